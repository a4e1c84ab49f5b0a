use ndarray::{ArrayViewD, ArrayViewMutD};

use super::rule::{rule_core, rule_optimizer, Rule};
use super::{core_builders, non_negative, slot_buffers, Core, SlotBuffers, SlotHyper};
use crate::error::{check_hyper, Result};
use crate::float::Float;
use crate::kernel::update::update;

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
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Sgd<A> {
    core: Core<A>,
    momentum: f64,
    dampening: f64,
    nesterov: bool,
}

impl<A: Float> Sgd<A> {
    /// Plain SGD with learning rate `lr`.
    pub fn new(lr: f64) -> Self {
        Self {
            core: Core::new(lr, 0.0),
            momentum: 0.0,
            dampening: 0.0,
            nesterov: false,
        }
    }

    core_builders!("ndloss::optim::Sgd::<f64>::new(0.1)");

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

    /// Nesterov momentum (default false).
    #[must_use]
    pub fn nesterov(mut self, nesterov: bool) -> Self {
        self.nesterov = nesterov;
        self
    }

    fn check(&self) -> Result<()> {
        non_negative("momentum", self.momentum)?;
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

/// The scalars of one SGD step (a slot's learning rate and weight decay
/// complete its [`Coeffs`]).
#[derive(Clone, Copy)]
pub(crate) struct Step<A> {
    sign: A,
    momentum: f64,
    keep: f64,
    nesterov: bool,
}

impl<A: Float> Rule<A> for Sgd<A> {
    /// The momentum buffer is created by the first momentum step itself,
    /// from the gradient (as PyTorch does).
    type Init = [Option<A>; 1];
    type Step = Step<A>;
    rule_core!();

    fn prepare(&self, _t: u64, sign: A) -> Result<(Step<A>, Self::Init)> {
        self.check()?;
        let step = Step {
            sign,
            momentum: self.momentum,
            keep: 1.0 - self.dampening,
            nesterov: self.nesterov,
        };
        Ok((step, [None]))
    }

    fn stateless(&self) -> bool {
        self.momentum == 0.0
    }

    fn update(
        s: Step<A>,
        h: SlotHyper,
        p: ArrayViewMutD<'_, A>,
        g: ArrayViewD<'_, A>,
        slot: &mut SlotBuffers<A>,
    ) {
        let c = Coeffs {
            neg_lr: A::from_f64(-h.lr),
            sign: s.sign,
            wd: A::from_f64(h.weight_decay),
            mu: A::from_f64(s.momentum),
            keep: A::from_f64(s.keep),
        };
        let wd = h.weight_decay != 0.0;
        if s.momentum == 0.0 {
            if wd {
                plain_pass::<A, true>(p, g, c);
            } else {
                plain_pass::<A, false>(p, g, c);
            }
            return;
        }
        // PyTorch creates the buffer from the first gradient it sees.
        let first = slot[0].is_empty();
        if first {
            slot[0] = vec![A::zero(); p.len()];
        }
        let [buf] = slot_buffers::<A, 1>(slot);
        match (first, s.nesterov, wd) {
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

rule_optimizer!(Sgd, momentum: momentum);

getters!(Sgd<A> = "ndloss::optim::Sgd::<f64>::new(0.1)" {
    get_momentum => momentum(0.9): f64 = 0.9,
    get_dampening => dampening(0.5): f64 = 0.5,
    get_nesterov => nesterov(true): bool = true,
});

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optim::Optimizer;
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
