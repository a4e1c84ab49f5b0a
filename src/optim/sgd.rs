use super::{common_methods, non_negative, validate, Optimizer, SlotState};
use crate::error::{check_hyper, Result};
use crate::float::Float;
use crate::kernel::update::update;
use crate::params::{Params, ParamsMut};

/// Stochastic gradient descent with momentum, PyTorch's `torch.optim.SGD`.
///
/// ```text
/// g ← −g                       if maximize
/// g ← g + weight_decay·θ
/// b ← g                        first step (no dampening, as in PyTorch)
/// b ← μ·b + (1 − dampening)·g  later steps
/// g ← g + μ·b if nesterov, else b        (only when μ ≠ 0)
/// θ ← θ − lr·g
/// ```
///
/// | parameter | default | range |
/// | --- | --- | --- |
/// | `lr` | — | finite, ≥ 0 |
/// | `momentum` (μ) | 0 | finite, ≥ 0 |
/// | `dampening` | 0 | finite |
/// | `weight_decay` | 0 | finite, ≥ 0 (coupled: an L2 term of `wd/2·‖θ‖²`) |
/// | `nesterov` | false | needs μ > 0 and dampening = 0 |
/// | `maximize` | false | |
///
/// State: one momentum buffer per slot when μ ≠ 0, created on the first step.
/// Keras' `SGD` puts the learning rate inside the buffer; the two agree while
/// the learning rate is constant.
///
/// # Examples
///
/// ```
/// use ndarray::array;
/// use ndloss::prelude::*;
///
/// let mut w = array![1.0_f64, -1.0];
/// let g = array![0.5_f64, 0.5];
/// let mut sgd = Sgd::new(0.1).momentum(0.9);
/// sgd.step(&mut w, &g)?; // buffer = g
/// sgd.step(&mut w, &g)?; // buffer = 0.9·g + g
/// assert!((w[0] - (1.0 - 0.1 * 0.5 - 0.1 * 0.95)).abs() < 1e-15);
/// # Ok::<(), ndloss::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Sgd<A> {
    lr: f64,
    momentum: f64,
    dampening: f64,
    weight_decay: f64,
    nesterov: bool,
    maximize: bool,
    /// Momentum buffers, created by the first step with momentum.
    state: Option<SlotState<A, 1>>,
    steps: u64,
}

impl<A: Float> Sgd<A> {
    /// Plain SGD with learning rate `lr`.
    pub fn new(lr: f64) -> Self {
        Self {
            lr,
            momentum: 0.0,
            dampening: 0.0,
            weight_decay: 0.0,
            nesterov: false,
            maximize: false,
            state: None,
            steps: 0,
        }
    }

    /// Momentum factor μ (default 0).
    #[must_use]
    pub fn momentum(mut self, momentum: f64) -> Self {
        self.momentum = momentum;
        self
    }

    /// Dampening of the gradient in the momentum buffer (default 0).
    #[must_use]
    pub fn dampening(mut self, dampening: f64) -> Self {
        self.dampening = dampening;
        self
    }

    /// Coupled weight decay: adds `weight_decay·θ` to the gradient (default 0).
    #[must_use]
    pub fn weight_decay(mut self, weight_decay: f64) -> Self {
        self.weight_decay = weight_decay;
        self
    }

    /// Nesterov momentum (default false).
    #[must_use]
    pub fn nesterov(mut self, nesterov: bool) -> Self {
        self.nesterov = nesterov;
        self
    }

    /// Ascend instead of descend (default false).
    #[must_use]
    pub fn maximize(mut self, maximize: bool) -> Self {
        self.maximize = maximize;
        self
    }

    fn check(&self) -> Result<()> {
        non_negative("lr", self.lr)?;
        non_negative("momentum", self.momentum)?;
        non_negative("weight_decay", self.weight_decay)?;
        check_hyper(
            "dampening",
            self.dampening,
            self.dampening.is_finite(),
            "a finite value",
        )?;
        if self.nesterov {
            check_hyper(
                "momentum",
                self.momentum,
                self.momentum > 0.0,
                "> 0 with nesterov",
            )?;
            check_hyper(
                "dampening",
                self.dampening,
                self.dampening == 0.0,
                "0 with nesterov",
            )?;
        }
        Ok(())
    }
}

/// Loop-invariant hyperparameters of one SGD pass, already in `A`.
#[derive(Clone, Copy)]
struct Coeffs<A> {
    neg_lr: A,
    sign: A,
    wd: A,
    mu: A,
    keep: A,
}

/// One fused SGD pass over a slot. The options are const parameters so each
/// combination compiles to a branch-free, vectorised loop.
fn momentum_pass<A: Float, const FIRST: bool, const NESTEROV: bool, const WD: bool>(
    param: ndarray::ArrayViewMutD<'_, A>,
    grad: ndarray::ArrayViewD<'_, A>,
    buf: &mut [A],
    c: Coeffs<A>,
) {
    update(param, grad, [buf], |p, g, [b]| {
        let g = c.sign * g;
        let g = if WD { g + c.wd * p } else { g };
        *b = if FIRST { g } else { *b * c.mu + c.keep * g };
        let g = if NESTEROV { g + c.mu * *b } else { *b };
        p + c.neg_lr * g
    });
}

fn plain_pass<A: Float, const WD: bool>(
    param: ndarray::ArrayViewMutD<'_, A>,
    grad: ndarray::ArrayViewD<'_, A>,
    c: Coeffs<A>,
) {
    update(param, grad, [], |p, g, _| {
        let g = c.sign * g;
        let g = if WD { g + c.wd * p } else { g };
        p + c.neg_lr * g
    });
}

impl<A: Float> Optimizer<A> for Sgd<A> {
    fn step<P: ParamsMut<A>, G: Params<A>>(&mut self, mut params: P, grads: G) -> Result<()> {
        self.check()?;
        validate(&params, &grads, self.state.as_ref())?;

        let c = Coeffs {
            neg_lr: A::from_f64(-self.lr),
            // Multiplying by ±1 is exact: the same as PyTorch's negation.
            sign: if self.maximize { -A::one() } else { A::one() },
            wd: A::from_f64(self.weight_decay),
            mu: A::from_f64(self.momentum),
            keep: A::from_f64(1.0 - self.dampening),
        };
        let wd = self.weight_decay != 0.0;
        if self.momentum == 0.0 {
            for i in 0..params.len() {
                let (p, g) = (params.array_mut(i), grads.array(i));
                if wd {
                    plain_pass::<A, true>(p, g, c);
                } else {
                    plain_pass::<A, false>(p, g, c);
                }
            }
        } else {
            let (first, nesterov) = (self.state.is_none(), self.nesterov);
            let state = self.state.get_or_insert_with(|| SlotState::zeros(&params));
            for (i, [buf]) in state.buffers.iter_mut().enumerate() {
                let (p, g) = (params.array_mut(i), grads.array(i));
                match (first, nesterov, wd) {
                    (true, true, true) => momentum_pass::<A, true, true, true>(p, g, buf, c),
                    (true, true, false) => momentum_pass::<A, true, true, false>(p, g, buf, c),
                    (true, false, true) => momentum_pass::<A, true, false, true>(p, g, buf, c),
                    (true, false, false) => momentum_pass::<A, true, false, false>(p, g, buf, c),
                    (false, true, true) => momentum_pass::<A, false, true, true>(p, g, buf, c),
                    (false, true, false) => momentum_pass::<A, false, true, false>(p, g, buf, c),
                    (false, false, true) => momentum_pass::<A, false, false, true>(p, g, buf, c),
                    (false, false, false) => momentum_pass::<A, false, false, false>(p, g, buf, c),
                }
            }
        }
        self.steps += 1;
        Ok(())
    }

    common_methods!();
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn first_momentum_step_skips_dampening() {
        // PyTorch: buffer = g on step 1, μ·b + (1 − d)·g after: θ = −1, then −1 − 1.4.
        let mut w = array![0.0_f64];
        let mut sgd = Sgd::new(1.0).momentum(0.9).dampening(0.5);
        sgd.step(&mut w, &array![1.0]).unwrap();
        assert_eq!(w[0], -1.0);
        sgd.step(&mut w, &array![1.0]).unwrap();
        assert!((w[0] + 2.4).abs() < 1e-15);
    }

    #[test]
    fn nesterov_weight_decay_and_maximize_by_hand() {
        let mut w = array![2.0_f64];
        let mut sgd = Sgd::new(0.5)
            .momentum(0.5)
            .nesterov(true)
            .weight_decay(0.25)
            .maximize(true);
        sgd.step(&mut w, &array![1.0]).unwrap();
        // g = −1 + 0.25·2 = −0.5; b = −0.5; g + μ·b = −0.75; θ = 2 + 0.375.
        assert_eq!(w[0], 2.375);
        assert_eq!(sgd.steps(), 1);
        sgd.reset();
        assert_eq!(sgd.steps(), 0);
    }
}
