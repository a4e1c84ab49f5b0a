use ndarray::{ArrayViewD, ArrayViewMutD};

use super::rule::{rule_core, rule_optimizer, Rule};
use super::{core_builders, slot_buffers, unit_interval, Core, SlotBuffers, SlotHyper};
use crate::error::Result;
use crate::float::{sign, Float};
use crate::kernel::update::update;

/// Lion (evolved sign momentum), Keras' `Lion` and optax's `lion`; not in PyTorch.
///
/// ```text
/// u ← sign(β₁·m + (1 − β₁)·g)          (sign(0) = 0)
/// θ ← θ − lr·(u + weight_decay·θ)      (decoupled decay, on the old θ)
/// m ← β₂·m + (1 − β₂)·g
/// ```
///
/// Every coordinate moves by exactly `lr` (plus decay), so Lion wants a
/// learning rate 3–10× smaller than AdamW's and a larger weight decay.
///
/// | parameter | default | range |
/// | --- | --- | --- |
/// | `lr` | — (1e-4 to 3e-4 typical) | finite, ≥ 0 |
/// | `betas` | (0.9, 0.99) | each in [0, 1) |
/// | `weight_decay` | 0 (optax: 1e-3) | finite, ≥ 0 |
/// | `maximize` | false | |
///
/// # Examples
///
/// ```
/// use ndarray::array;
/// use ndloss::prelude::*;
///
/// let mut w = array![1.0_f64, 1.0, 1.0];
/// Lion::new(0.1).step(&mut w, &array![5.0, -0.01, 0.0])?;
/// assert_eq!(w, array![0.9, 1.1, 1.0]); // sign steps
/// # Ok::<(), ndloss::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Lion<A> {
    core: Core<A>,
    beta1: f64,
    beta2: f64,
}

impl<A: Float> Lion<A> {
    /// Lion with learning rate `lr`, betas (0.9, 0.99) and no weight decay.
    pub fn new(lr: f64) -> Self {
        Self {
            core: Core::new(lr, 0.0),
            beta1: 0.9,
            beta2: 0.99,
        }
    }

    core_builders!("ndloss::optim::Lion::<f64>::new(0.1)");

    /// β₁ (interpolation for the update) and β₂ (momentum decay) (default (0.9, 0.99)).
    #[must_use]
    pub fn betas(mut self, beta1: f64, beta2: f64) -> Self {
        self.beta1 = beta1;
        self.beta2 = beta2;
        self
    }
}

/// The scalars of one Lion step.
#[derive(Clone, Copy)]
pub(crate) struct Step<A> {
    sign: A,
    b1: A,
    w1: A,
    b2: A,
    w2: A,
}

impl<A: Float> Rule<A> for Lion<A> {
    type Init = [Option<A>; 1];
    type Step = Step<A>;
    rule_core!();

    fn prepare(&self, _t: u64, sign: A) -> Result<(Step<A>, Self::Init)> {
        unit_interval("beta1", self.beta1)?;
        unit_interval("beta2", self.beta2)?;
        let step = Step {
            sign,
            b1: A::from_f64(self.beta1),
            w1: A::from_f64(1.0 - self.beta1),
            b2: A::from_f64(self.beta2),
            w2: A::from_f64(1.0 - self.beta2),
        };
        Ok((step, [Some(A::zero())]))
    }

    fn update(
        c: Step<A>,
        h: SlotHyper,
        p: ArrayViewMutD<'_, A>,
        g: ArrayViewD<'_, A>,
        slot: &mut SlotBuffers<A>,
    ) {
        let (lr, wd) = (A::from_f64(h.lr), A::from_f64(h.weight_decay));
        update(p, g, slot_buffers::<A, 1>(slot), |p, g, [m]| {
            let g = c.sign * g;
            let u = sign(c.b1 * *m + c.w1 * g);
            *m = c.b2 * *m + c.w2 * g;
            // Decay only when set: 0·∞ would make an infinite θ NaN.
            if wd != A::zero() {
                p - lr * (u + wd * p)
            } else {
                p - lr * u
            }
        });
    }
}

rule_optimizer!(Lion, momentum: beta1);

getters!(Lion<A> = "ndloss::optim::Lion::<f64>::new(0.1)" {
    get_betas => betas[beta1, beta2](0.8, 0.99): (f64, f64) = (0.8, 0.99),
});
