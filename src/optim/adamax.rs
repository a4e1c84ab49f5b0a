use ndarray::{ArrayViewD, ArrayViewMutD};

use super::rule::{rule_core, rule_optimizer, Rule};
use super::{
    core_builders, coupled_grad, lerp, non_negative, slot_buffers, unit_interval, Core,
    SlotBuffers, SlotHyper,
};
use crate::error::Result;
use crate::float::Float;
use crate::kernel::update::update;

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

    core_builders!("ndloss::optim::Adamax::<f64>::new(0.1)");

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
}

/// The scalars of one Adamax step, in `A` where the update uses them.
#[derive(Clone, Copy)]
pub(crate) struct Step<A> {
    sign: A,
    bias1: f64,
    w1: A,
    b2: A,
    eps: A,
}

impl<A: Float> Rule<A> for Adamax<A> {
    type Init = [Option<A>; 2];
    type Step = Step<A>;
    rule_core!();

    fn prepare(&self, t: u64, sign: A) -> Result<(Step<A>, Self::Init)> {
        unit_interval("beta1", self.beta1)?;
        unit_interval("beta2", self.beta2)?;
        non_negative("eps", self.eps)?;
        let step = Step {
            sign,
            bias1: 1.0 - self.beta1.powf(t as f64),
            w1: A::from_f64(1.0 - self.beta1),
            b2: A::from_f64(self.beta2),
            eps: A::from_f64(self.eps),
        };
        Ok((step, [Some(A::zero()); 2]))
    }

    fn update(
        c: Step<A>,
        h: SlotHyper,
        p: ArrayViewMutD<'_, A>,
        g: ArrayViewD<'_, A>,
        slot: &mut SlotBuffers<A>,
    ) {
        let (neg_clr, wd) = (A::from_f64(-(h.lr / c.bias1)), A::from_f64(h.weight_decay));
        update(p, g, slot_buffers::<A, 2>(slot), |p, g, [m, u]| {
            let g = coupled_grad(c.sign, g, wd, p);
            *m = lerp(*m, g, c.w1);
            let decayed = *u * c.b2;
            let candidate = g.abs() + c.eps;
            // torch.maximum: NaN wins.
            *u = if decayed > candidate || decayed.is_nan() {
                decayed
            } else {
                candidate
            };
            p + (neg_clr * *m) / *u
        });
    }
}

rule_optimizer!(Adamax, momentum: beta1);

getters!(Adamax<A> = "ndloss::optim::Adamax::<f64>::new(0.1)" {
    get_betas => betas[beta1, beta2](0.8, 0.99): (f64, f64) = (0.8, 0.99),
    get_eps => eps(1e-6): f64 = 1e-6,
});
