use super::{common_methods, core_builders, slot_buffers, unit_interval, Core, Optimizer};
use crate::error::Result;
use crate::float::sign;
use crate::float::Float;
use crate::kernel::update::update;
use crate::params::{Params, ParamsMut};

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

    core_builders!();

    /// β₁ (interpolation for the update) and β₂ (momentum decay) (default (0.9, 0.99)).
    #[must_use]
    pub fn betas(mut self, beta1: f64, beta2: f64) -> Self {
        self.beta1 = beta1;
        self.beta2 = beta2;
        self
    }

    fn reset_extra(&mut self) {}
}

impl<A: Float> Optimizer<A> for Lion<A> {
    fn step<P: ParamsMut<A>, G: Params<A>>(&mut self, mut params: P, grads: G) -> Result<()> {
        unit_interval("beta1", self.beta1)?;
        unit_interval("beta2", self.beta2)?;
        let s = self.core.sign();
        let (b1, w1) = (A::from_f64(self.beta1), A::from_f64(1.0 - self.beta1));
        let (b2, w2) = (A::from_f64(self.beta2), A::from_f64(1.0 - self.beta2));
        let (hyper, buffers) = self.core.begin(&params, &grads, [Some(A::zero())], false)?;
        for (i, (h, slot)) in hyper.iter().zip(buffers.iter_mut()).enumerate() {
            let (lr, wd) = (A::from_f64(h.lr), A::from_f64(h.weight_decay));
            let (p, g) = (params.array_mut(i), grads.array(i));
            update(p, g, slot_buffers::<A, 1>(slot), |p, g, [m]| {
                let g = s * g;
                let u = sign(b1 * *m + w1 * g);
                *m = b2 * *m + w2 * g;
                // Decay only when set: 0·∞ would make an infinite θ NaN.
                if wd != A::zero() {
                    p - lr * (u + wd * p)
                } else {
                    p - lr * u
                }
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
