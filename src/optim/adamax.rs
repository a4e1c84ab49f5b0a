use super::{
    common_methods, core_builders, coupled_grad, lerp, non_negative, slot_buffers, unit_interval,
    Core, Optimizer,
};
use crate::error::Result;
use crate::float::Float;
use crate::kernel::update::update;
use crate::params::{Params, ParamsMut};

/// Adamax (Adam with the infinity norm), PyTorch's `torch.optim.Adamax`.
///
/// ```text
/// t ← t + 1,  g ← ±g + weight_decay·θ
/// m ← lerp(m, g, 1 − β₁)
/// u ← max(β₂·u, |g| + eps)
/// θ ← θ − lr/(1 − β₁ᵗ) · m / u
/// ```
///
/// | parameter | default | range |
/// | --- | --- | --- |
/// | `lr` | — (PyTorch 2e-3) | finite, ≥ 0 |
/// | `betas` | (0.9, 0.999) | each in [0, 1) |
/// | `eps` | 1e-8 | finite, ≥ 0 (inside the max, as PyTorch and optax) |
/// | `weight_decay` | 0 | finite, ≥ 0 (coupled) |
/// | `maximize` | false | |
///
/// Keras' `Adamax` adds `epsilon` to `u` outside the max instead.
///
/// # Examples
///
/// ```
/// use ndarray::array;
/// use ndloss::prelude::*;
///
/// let mut w = array![0.0_f64];
/// Adamax::new(0.002).step(&mut w, &array![-4.0])?;
/// // m = −0.4, u = 4 + 1e-8, θ = 0.002/0.1 · 0.4/u
/// assert!((w[0] - 0.02 * 0.4 / (4.0 + 1e-8)).abs() < 1e-15);
/// # Ok::<(), ndloss::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Adamax<A> {
    core: Core<A>,
    beta1: f64,
    beta2: f64,
    eps: f64,
}

impl<A: Float> Adamax<A> {
    /// Adamax with learning rate `lr` and PyTorch's other defaults.
    pub fn new(lr: f64) -> Self {
        Self {
            core: Core::new(lr, 0.0),
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
        }
    }

    core_builders!();

    /// Decay rates of the first moment and of the infinity norm (default (0.9, 0.999)).
    #[must_use]
    pub fn betas(mut self, beta1: f64, beta2: f64) -> Self {
        self.beta1 = beta1;
        self.beta2 = beta2;
        self
    }

    /// Term added to `|g|` (default 1e-8).
    #[must_use]
    pub fn eps(mut self, eps: f64) -> Self {
        self.eps = eps;
        self
    }

    fn reset_extra(&mut self) {}
}

impl<A: Float> Optimizer<A> for Adamax<A> {
    fn step<P: ParamsMut<A>, G: Params<A>>(&mut self, mut params: P, grads: G) -> Result<()> {
        unit_interval("beta1", self.beta1)?;
        unit_interval("beta2", self.beta2)?;
        non_negative("eps", self.eps)?;
        let t = (self.core.steps + 1) as f64;
        let bias1 = 1.0 - self.beta1.powf(t);
        let sign = self.core.sign();
        let (w1, b2, eps) = (
            A::from_f64(1.0 - self.beta1),
            A::from_f64(self.beta2),
            A::from_f64(self.eps),
        );
        let zero = Some(A::zero());
        let (hyper, buffers) = self.core.begin(&params, &grads, [zero, zero], false)?;
        for (i, (h, slot)) in hyper.iter().zip(buffers.iter_mut()).enumerate() {
            let (neg_clr, wd) = (A::from_f64(-(h.lr / bias1)), A::from_f64(h.weight_decay));
            let (p, g) = (params.array_mut(i), grads.array(i));
            update(p, g, slot_buffers::<A, 2>(slot), |p, g, [m, u]| {
                let g = coupled_grad(sign, g, wd, p);
                *m = lerp(*m, g, w1);
                let decayed = *u * b2;
                let candidate = g.abs() + eps;
                // torch.maximum: NaN wins.
                *u = if decayed > candidate || decayed.is_nan() {
                    decayed
                } else {
                    candidate
                };
                p + (neg_clr * *m) / *u
            });
        }
        self.core.steps += 1;
        Ok(())
    }

    fn momentum(&self) -> Option<f64> {
        Some(self.beta1)
    }

    fn set_momentum(&mut self, beta1: f64) {
        self.beta1 = beta1;
    }

    common_methods!();
}
