use ndarray::{ArrayViewD, ArrayViewMutD};

use super::rule::{rule_core, rule_optimizer, Rule};
use super::{
    core_builders, coupled_grad, non_negative, slot_buffers, Core, SlotBuffers, SlotHyper,
};
use crate::error::Result;
use crate::float::Float;
use crate::kernel::update::update;

/// Adagrad, PyTorch's `torch.optim.Adagrad`.
///
/// ```text
/// t ← t + 1,  g ← ±g + weight_decay·θ
/// lrₜ ← lr / (1 + (t − 1)·lr_decay)
/// s ← s + g²                       (s starts at initial_accumulator_value)
/// θ ← θ − lrₜ·g / (√s + eps)
/// ```
///
/// | parameter | default | range |
/// | --- | --- | --- |
/// | `lr` | — (PyTorch 1e-2) | finite, ≥ 0 |
/// | `lr_decay` | 0 | finite, ≥ 0 |
/// | `initial_accumulator_value` | 0 | finite, ≥ 0 |
/// | `eps` | 1e-10 | finite, ≥ 0 |
/// | `weight_decay` | 0 | finite, ≥ 0 (coupled) |
/// | `maximize` | false | |
///
/// Keras and optax default to `initial_accumulator_value = 0.1` and put
/// `eps = 1e-7` inside the square root.
///
/// # Examples
///
/// ```
/// use ndarray::array;
/// use ndloss::prelude::*;
///
/// let mut w = array![0.0_f64];
/// Adagrad::new(0.1).step(&mut w, &array![3.0])?;
/// assert!((w[0] + 0.1 * 3.0 / (3.0 + 1e-10)).abs() < 1e-15);
/// # Ok::<(), ndloss::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Adagrad<A> {
    core: Core<A>,
    lr_decay: f64,
    initial_accumulator_value: f64,
    eps: f64,
}

impl<A: Float> Adagrad<A> {
    /// Adagrad with learning rate `lr` and PyTorch's other defaults.
    pub fn new(lr: f64) -> Self {
        Self {
            core: Core::new(lr, 0.0),
            lr_decay: 0.0,
            initial_accumulator_value: 0.0,
            eps: 1e-10,
        }
    }

    core_builders!("ndloss::optim::Adagrad::<f64>::new(0.1)");

    /// Learning-rate decay per step (default 0).
    #[must_use]
    pub fn lr_decay(mut self, lr_decay: f64) -> Self {
        self.lr_decay = lr_decay;
        self
    }

    /// Starting value of the squared-gradient sum (default 0).
    #[must_use]
    pub fn initial_accumulator_value(mut self, value: f64) -> Self {
        self.initial_accumulator_value = value;
        self
    }

    /// Term added to the root (default 1e-10).
    #[must_use]
    pub fn eps(mut self, eps: f64) -> Self {
        self.eps = eps;
        self
    }
}

/// The scalars of one Adagrad step.
#[derive(Clone, Copy)]
pub(crate) struct Step<A> {
    sign: A,
    /// `1 + (t − 1)·lr_decay`, the learning rate's divisor.
    decay: f64,
    eps: A,
}

impl<A: Float> Rule<A> for Adagrad<A> {
    type Init = [Option<A>; 1];
    type Step = Step<A>;
    rule_core!();

    fn prepare(&self, t: u64, sign: A) -> Result<(Step<A>, Self::Init)> {
        non_negative("lr_decay", self.lr_decay)?;
        non_negative("initial_accumulator_value", self.initial_accumulator_value)?;
        non_negative("eps", self.eps)?;
        let step = Step {
            sign,
            decay: 1.0 + (t as f64 - 1.0) * self.lr_decay,
            eps: A::from_f64(self.eps),
        };
        Ok((step, [Some(A::from_f64(self.initial_accumulator_value))]))
    }

    fn update(
        c: Step<A>,
        h: SlotHyper,
        p: ArrayViewMutD<'_, A>,
        g: ArrayViewD<'_, A>,
        slot: &mut SlotBuffers<A>,
    ) {
        let neg_clr = A::from_f64(-(h.lr / c.decay));
        let wd = A::from_f64(h.weight_decay);
        update(p, g, slot_buffers::<A, 1>(slot), |p, g, [s]| {
            let g = coupled_grad(c.sign, g, wd, p);
            *s = *s + g * g;
            p + (neg_clr * g) / (s.sqrt() + c.eps)
        });
    }
}

rule_optimizer!(Adagrad);

getters!(Adagrad<A> = "ndloss::optim::Adagrad::<f64>::new(0.1)" {
    get_lr_decay => lr_decay(0.01): f64 = 0.01,
    get_initial_accumulator_value => initial_accumulator_value(0.1): f64 = 0.1,
    get_eps => eps(1e-8): f64 = 1e-8,
});
