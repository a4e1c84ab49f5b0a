use super::{
    common_methods, core_builders, coupled_grad, non_negative, slot_buffers, unit_interval, Core,
    Optimizer,
};
use crate::error::Result;
use crate::float::Float;
use crate::kernel::update::update;
use crate::params::{Params, ParamsMut};

/// Adadelta, PyTorch's `torch.optim.Adadelta`.
///
/// ```text
/// g ← ±g + weight_decay·θ
/// s ← ρ·s + (1 − ρ)·g²
/// Δ ← √(u + eps) / √(s + eps) · g
/// u ← ρ·u + (1 − ρ)·Δ²
/// θ ← θ − lr·Δ
/// ```
///
/// | parameter | default | range |
/// | --- | --- | --- |
/// | `lr` | — (PyTorch 1.0) | finite, ≥ 0 |
/// | `rho` | 0.9 | [0, 1) |
/// | `eps` | 1e-6 | finite, ≥ 0 |
/// | `weight_decay` | 0 | finite, ≥ 0 (coupled) |
/// | `maximize` | false | |
///
/// Keras defaults to `learning_rate = 1e-3`, `rho = 0.95`, `epsilon = 1e-7`
/// (same formula); optax's `adadelta(learning_rate=None)` skips the learning
/// rate *and the sign flip*, so it ascends: pass a learning rate.
///
/// # Examples
///
/// ```
/// use ndarray::array;
/// use ndloss::prelude::*;
///
/// let mut w = array![0.0_f64];
/// Adadelta::new(1.0).step(&mut w, &array![1.0])?;
/// let delta = (1e-6_f64).sqrt() / (0.1_f64 + 1e-6).sqrt();
/// assert!((w[0] + delta).abs() < 1e-15);
/// # Ok::<(), ndloss::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Adadelta<A> {
    core: Core<A>,
    rho: f64,
    eps: f64,
}

impl<A: Float> Adadelta<A> {
    /// Adadelta with learning rate `lr` (PyTorch's default is 1.0).
    pub fn new(lr: f64) -> Self {
        Self {
            core: Core::new(lr, 0.0),
            rho: 0.9,
            eps: 1e-6,
        }
    }

    core_builders!();

    /// Decay rate of both running averages (default 0.9).
    #[must_use]
    pub fn rho(mut self, rho: f64) -> Self {
        self.rho = rho;
        self
    }

    /// Term added inside both roots (default 1e-6).
    #[must_use]
    pub fn eps(mut self, eps: f64) -> Self {
        self.eps = eps;
        self
    }

    fn reset_extra(&mut self) {}
}

impl<A: Float> Optimizer<A> for Adadelta<A> {
    fn step<P: ParamsMut<A>, G: Params<A>>(&mut self, mut params: P, grads: G) -> Result<()> {
        unit_interval("rho", self.rho)?;
        non_negative("eps", self.eps)?;
        let sign = self.core.sign();
        let (rho, w, eps) = (
            A::from_f64(self.rho),
            A::from_f64(1.0 - self.rho),
            A::from_f64(self.eps),
        );
        let zero = Some(A::zero());
        let (hyper, buffers) = self.core.begin(&params, &grads, [zero, zero], false)?;
        for (i, (h, slot)) in hyper.iter().zip(buffers.iter_mut()).enumerate() {
            let (neg_lr, wd) = (A::from_f64(-h.lr), A::from_f64(h.weight_decay));
            let (p, g) = (params.array_mut(i), grads.array(i));
            update(p, g, slot_buffers::<A, 2>(slot), |p, g, [s, u]| {
                let g = coupled_grad(sign, g, wd, p);
                *s = *s * rho + w * g * g;
                let delta = (*u + eps).sqrt() / (*s + eps).sqrt() * g;
                *u = *u * rho + w * delta * delta;
                p + neg_lr * delta
            });
        }
        self.core.steps += 1;
        Ok(())
    }

    common_methods!();
}
