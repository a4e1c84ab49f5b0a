use super::Optimizer;
use crate::error::Result;
use crate::float::Float;
use crate::params::{Params, ParamsMut};
use crate::regularize::Regularizer;

/// Any optimizer followed by a regularizer's proximal step: proximal gradient
/// descent (ISTA) when the optimizer is [`Sgd`](super::Sgd).
///
/// ```text
/// θ ← step of the inner optimizer on the data gradient
/// θ ← prox_{lr·R}(θ)            (lr of each slot's group)
/// ```
///
/// With [`L1`](crate::regularize::L1) the proximal step is soft-thresholding,
/// so weights reach *exact* zeros, which a subgradient step on `|w|` never
/// does: `Proximal::new(Sgd::new(lr), L1::new(λ))` minimises
/// `loss + λ‖w‖₁` and converges to the lasso solution for `lr ≤ 1/L`.
/// Do **not** also add the regularizer's gradient to `grads`.
///
/// With adaptive optimizers (Adam, …) the step `lr` is not the step each
/// coordinate actually takes, so the combination is a heuristic (it still
/// produces exact zeros, and is what most "Adam + L1 prox" code does); use
/// `Sgd` when you need the lasso solution itself.
///
/// Momentum changes the problem being solved, too. At a fixed point,
/// [`Sgd`](super::Sgd) with momentum `μ` moves by `lr·g/(1 − μ)` per step,
/// but the proximal step still uses `lr`, so
/// `Proximal::new(Sgd::new(lr).momentum(μ), R)` converges to the minimiser
/// of `loss + (1 − μ)·R`, not `loss + R` (with dampening `d`:
/// `(1 − μ)/(1 − d)·R`; Nesterov does not change this). For an exact lasso,
/// wrap plain `Sgd` (no momentum), or divide the regularizer's strength by
/// `1 − μ`.
///
/// # Examples
///
/// ```
/// use ndarray::array;
/// use ndloss::prelude::*;
///
/// // Minimise ½(w − 0.05)² + 0.1·|w|: the solution is exactly 0.
/// let mut w = array![1.0_f64];
/// let mut opt = Proximal::new(Sgd::new(0.5), L1::new(0.1));
/// for _ in 0..50 {
///     let g = &w - 0.05;
///     opt.step(&mut w, &g)?;
/// }
/// assert_eq!(w[0], 0.0);
///
/// // ½(w − 1)² + 0.4·|w| has its minimum at 0.6; with momentum 0.5 the
/// // same loop finds the minimum of ½(w − 1)² + (1 − 0.5)·0.4·|w|, at 0.8.
/// for (momentum, solution) in [(0.0, 0.6), (0.5, 0.8)] {
///     let mut w = array![0.0_f64];
///     let mut opt = Proximal::new(Sgd::new(0.5).momentum(momentum), L1::new(0.4));
///     for _ in 0..100 {
///         let g = &w - 1.0;
///         opt.step(&mut w, &g)?;
///     }
///     assert!((w[0] - solution).abs() < 1e-12);
/// }
/// # Ok::<(), ndloss::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Proximal<O, R> {
    inner: O,
    regularizer: R,
}

impl<O, R: Regularizer> Proximal<O, R> {
    /// `inner`'s step followed by `regularizer`'s proximal step.
    pub fn new(inner: O, regularizer: R) -> Self {
        Self { inner, regularizer }
    }

    /// The inner optimizer.
    ///
    /// ```
    /// use ndloss::optim::{Optimizer, Proximal, Sgd};
    /// use ndloss::regularize::L1;
    ///
    /// let opt = Proximal::new(Sgd::<f64>::new(0.1), L1::new(1e-3));
    /// assert_eq!(opt.get_inner().get_lr(), 0.1);
    /// ```
    pub fn get_inner(&self) -> &O {
        &self.inner
    }

    /// The regularizer.
    ///
    /// ```
    /// use ndloss::optim::{Proximal, Sgd};
    /// use ndloss::regularize::L1;
    ///
    /// let opt = Proximal::new(Sgd::<f64>::new(0.1), L1::new(1e-3));
    /// assert_eq!(opt.get_regularizer().get_lambda(), 1e-3);
    /// ```
    pub fn get_regularizer(&self) -> &R {
        &self.regularizer
    }
}

/// Re-lends a parameter set so two calls can use it in turn.
struct Relend<'a, P>(&'a mut P);

impl<A, P: Params<A>> Params<A> for Relend<'_, P> {
    fn num_slots(&self) -> usize {
        self.0.num_slots()
    }
    fn slot(&self, i: usize) -> ndarray::ArrayViewD<'_, A> {
        self.0.slot(i)
    }
}

impl<A, P: ParamsMut<A>> ParamsMut<A> for Relend<'_, P> {
    fn slot_mut(&mut self, i: usize) -> ndarray::ArrayViewMutD<'_, A> {
        self.0.slot_mut(i)
    }
}

impl<A: Float, O: Optimizer<A>, R: Regularizer> Optimizer<A> for Proximal<O, R> {
    fn step<P: ParamsMut<A>, G: Params<A>>(&mut self, mut params: P, grads: G) -> Result<()> {
        // Everything that can fail is checked by the inner step and here,
        // before anything is written.
        self.regularizer.validate()?;
        for slot in 0..params.num_slots() {
            let lr = self.inner.get_slot_lr(slot);
            super::non_negative("lr", lr)?;
        }
        self.inner.step(Relend(&mut params), grads)?;
        for slot in 0..params.num_slots() {
            let lr = self.inner.get_slot_lr(slot);
            self.regularizer.prox(params.slot_mut(slot), lr)?;
        }
        Ok(())
    }

    fn validate(&self) -> Result<()> {
        self.inner.validate()?;
        self.regularizer.validate()
    }
    fn get_lr(&self) -> f64 {
        self.inner.get_lr()
    }
    fn set_lr(&mut self, lr: f64) {
        self.inner.set_lr(lr);
    }
    fn num_groups(&self) -> usize {
        self.inner.num_groups()
    }
    fn get_group_lr(&self, g: usize) -> Result<f64> {
        self.inner.get_group_lr(g)
    }
    fn set_group_lr(&mut self, g: usize, lr: f64) -> Result<()> {
        self.inner.set_group_lr(g, lr)
    }
    fn get_cycle_momentum(&self) -> Option<f64> {
        self.inner.get_cycle_momentum()
    }
    fn set_cycle_momentum(&mut self, momentum: f64) {
        self.inner.set_cycle_momentum(momentum);
    }
    fn get_slot_lr(&self, slot: usize) -> f64 {
        self.inner.get_slot_lr(slot)
    }
    fn steps(&self) -> u64 {
        self.inner.steps()
    }
    fn reset(&mut self) {
        self.inner.reset();
    }
}
