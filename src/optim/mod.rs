//! Optimizers: update parameters in place from their gradients.
//!
//! Every optimizer follows PyTorch's update rule, defaults and order of
//! operations exactly, keeps its state per parameter *slot* (the position of
//! the array in the [`Params`] set), and validates the whole
//! `(params, grads, state)` set before writing anything: a mismatch returns an
//! error and leaves parameters and state untouched.
//!
//! | optimizer | PyTorch |
//! | --- | --- |
//! | [`Sgd`] | `torch.optim.SGD` (momentum, dampening, Nesterov, coupled weight decay, maximize) |
//! | [`Adam`] | `torch.optim.Adam` (betas, eps, coupled weight decay, AMSGrad, maximize) |
//!
//! Each update is one fused pass over (parameter, gradient, state) per array;
//! state buffers are allocated on the first step and never again.

use crate::error::Result;
use crate::float::Float;
use crate::kernel::update::{check_pair, check_state};
use crate::params::{Params, ParamsMut};

mod adam;
mod sgd;

pub use adam::Adam;
pub use sgd::Sgd;

/// An optimizer: a rule that moves parameters using their gradients.
///
/// # Examples
///
/// Minimising `‖w − 3‖²` with any optimizer:
///
/// ```
/// use ndarray::{array, Array1};
/// use ndloss::prelude::*;
///
/// fn fit<O: Optimizer<f64>>(mut opt: O) -> Result<Array1<f64>, ndloss::Error> {
///     let mut w = array![0.0, 10.0];
///     for _ in 0..500 {
///         let g = (&w - 3.0) * 2.0;
///         opt.step(&mut w, &g)?;
///     }
///     Ok(w)
/// }
/// for w in [fit(Sgd::new(0.1))?, fit(Adam::new(0.1))?] {
///     assert!(w.iter().all(|&x| (x - 3.0).abs() < 1e-3));
/// }
/// # Ok::<(), ndloss::Error>(())
/// ```
pub trait Optimizer<A: Float> {
    /// Applies one update to `params` from `grads` (same count, same shapes).
    ///
    /// # Errors
    ///
    /// - [`Error::ParamCountMismatch`](crate::Error::ParamCountMismatch),
    ///   [`Error::ParamShapeMismatch`](crate::Error::ParamShapeMismatch): `grads` does not match `params`;
    /// - [`Error::StateMismatch`](crate::Error::StateMismatch): `params` is not the set the state was built for;
    /// - [`Error::InvalidHyperparameter`](crate::Error::InvalidHyperparameter).
    ///
    /// On error nothing has been written: parameters, state and step count are unchanged.
    fn step<P: ParamsMut<A>, G: Params<A>>(&mut self, params: P, grads: G) -> Result<()>;

    /// The learning rate.
    fn lr(&self) -> f64;

    /// Sets the learning rate (checked at the next step), e.g. from a schedule.
    fn set_lr(&mut self, lr: f64);

    /// Number of successful steps taken since creation or [`reset`](Optimizer::reset).
    fn steps(&self) -> u64;

    /// Drops all state (moments, step count), as if newly created.
    fn reset(&mut self);
}

/// The `Optimizer` methods every optimizer implements the same way, over its
/// `lr`, `steps` and `state: Option<…>` fields.
macro_rules! common_methods {
    () => {
        fn lr(&self) -> f64 {
            self.lr
        }

        fn set_lr(&mut self, lr: f64) {
            self.lr = lr;
        }

        fn steps(&self) -> u64 {
            self.steps
        }

        fn reset(&mut self) {
            self.state = None;
            self.steps = 0;
        }
    };
}
use common_methods;

/// The per-slot buffers of an optimizer, and the shapes they were made for.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SlotState<A, const K: usize> {
    shapes: Vec<Vec<usize>>,
    buffers: Vec<[Vec<A>; K]>,
}

impl<A: Float, const K: usize> SlotState<A, K> {
    /// Zeroed buffers for every array of `params`.
    fn zeros<P: Params<A>>(params: &P) -> Self {
        let shapes = crate::kernel::update::shapes(params);
        let buffers = shapes
            .iter()
            .map(|s| std::array::from_fn(|_| vec![A::zero(); s.iter().product()]))
            .collect();
        Self { shapes, buffers }
    }
}

/// Validates a step: grads against params, params against existing state.
fn validate<A, P: Params<A>, G: Params<A>, const K: usize>(
    params: &P,
    grads: &G,
    state: Option<&SlotState<A, K>>,
) -> Result<()> {
    check_pair(params, grads)?;
    if let Some(state) = state {
        check_state(params, &state.shapes)?;
    }
    Ok(())
}

/// Finite and ≥ 0.
fn non_negative(name: &'static str, v: f64) -> Result<f64> {
    crate::error::check_hyper(name, v, v.is_finite() && v >= 0.0, "a finite value >= 0")
}
