use ndarray::{ArrayViewD, ArrayViewMutD};

use super::rule::{rule_core, rule_optimizer, Rule};
use super::{
    core_builders, coupled_grad, non_negative, slot_buffers, unit_interval, Core, SlotBuffers,
    SlotHyper,
};
use crate::error::Result;
use crate::float::Float;
use crate::kernel::update::update;

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

    core_builders!("ndloss::optim::Adadelta::<f64>::new(0.1)");

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
}

/// The scalars of one Adadelta step.
#[derive(Clone, Copy)]
pub(crate) struct Step<A> {
    sign: A,
    rho: A,
    w: A,
    eps: A,
}

impl<A: Float> Rule<A> for Adadelta<A> {
    type Init = [Option<A>; 2];
    type Step = Step<A>;
    rule_core!();

    fn prepare(&self, _t: u64, sign: A) -> Result<(Step<A>, Self::Init)> {
        unit_interval("rho", self.rho)?;
        non_negative("eps", self.eps)?;
        let step = Step {
            sign,
            rho: A::from_f64(self.rho),
            w: A::from_f64(1.0 - self.rho),
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
        let (neg_lr, wd) = (A::from_f64(-h.lr), A::from_f64(h.weight_decay));
        update(p, g, slot_buffers::<A, 2>(slot), |p, g, [s, u]| {
            let g = coupled_grad(c.sign, g, wd, p);
            *s = *s * c.rho + c.w * g * g;
            let delta = (*u + c.eps).sqrt() / (*s + c.eps).sqrt() * g;
            *u = *u * c.rho + c.w * delta * delta;
            p + neg_lr * delta
        });
    }
}

rule_optimizer!(Adadelta);

getters!(Adadelta<A> = "ndloss::optim::Adadelta::<f64>::new(0.1)" {
    get_rho => rho(0.95): f64 = 0.95,
    get_eps => eps(1e-8): f64 = 1e-8,
});
