//! [`DynOptimizer`]: an optimizer chosen at run time.

use crate::error::Result;
use crate::float::Float;
use crate::optim::Optimizer;
use crate::params::{Params, ParamsMut};

/// The dyn-compatible form of [`Optimizer`], for an optimizer chosen at run
/// time: `Box<dyn DynOptimizer<A>>` implements [`Optimizer`], so the boxed
/// optimizer is used exactly as a concrete one.
///
/// [`Optimizer`] itself cannot be a trait object (its `step` is generic over
/// the parameter set). Every optimizer implements this trait through a
/// blanket implementation; its methods, suffixed `_dyn` so that they never
/// clash with [`Optimizer`]'s, take the parameter set as `&mut dyn ParamsMut`.
/// Call them through the boxed optimizer's [`Optimizer`] methods.
///
/// # Examples
///
/// ```
/// use ndarray::array;
/// use ndloss::optim::DynOptimizer;
/// use ndloss::prelude::*;
///
/// fn pick(name: &str) -> Box<dyn DynOptimizer<f64>> {
///     match name {
///         "sgd" => Box::new(Sgd::new(0.5)),
///         _ => Box::new(Adam::new(0.1)),
///     }
/// }
/// let mut opt = pick("sgd");
/// let (mut w, mut b) = (array![1.0_f64, 2.0], array![0.5_f64]);
/// opt.step((&mut w, &mut b), (&array![1.0, -1.0], &array![2.0]))?;
/// assert_eq!((w, b), (array![0.5, 2.5], array![-0.5]));
/// assert_eq!((opt.get_lr(), opt.steps()), (0.5, 1));
/// # Ok::<(), ndloss::Error>(())
/// ```
pub trait DynOptimizer<A: Float> {
    /// [`Optimizer::step`] over a parameter set behind `dyn`.
    ///
    /// # Errors
    ///
    /// As [`Optimizer::step`]; nothing is written on error.
    fn step_dyn(&mut self, params: &mut dyn ParamsMut<A>, grads: &dyn Params<A>) -> Result<()>;
    /// [`Optimizer::validate`].
    ///
    /// # Errors
    ///
    /// As [`Optimizer::validate`].
    fn validate_dyn(&self) -> Result<()>;
    /// [`Optimizer::get_lr`].
    fn get_lr_dyn(&self) -> f64;
    /// [`Optimizer::set_lr`].
    fn set_lr_dyn(&mut self, lr: f64);
    /// [`Optimizer::num_groups`].
    fn num_groups_dyn(&self) -> usize;
    /// [`Optimizer::get_group_lr`].
    ///
    /// # Errors
    ///
    /// As [`Optimizer::get_group_lr`].
    fn get_group_lr_dyn(&self, g: usize) -> Result<f64>;
    /// [`Optimizer::set_group_lr`].
    ///
    /// # Errors
    ///
    /// As [`Optimizer::set_group_lr`].
    fn set_group_lr_dyn(&mut self, g: usize, lr: f64) -> Result<()>;
    /// [`Optimizer::get_cycle_momentum`].
    fn get_cycle_momentum_dyn(&self) -> Option<f64>;
    /// [`Optimizer::set_cycle_momentum`].
    fn set_cycle_momentum_dyn(&mut self, momentum: f64);
    /// [`Optimizer::get_slot_lr`].
    fn get_slot_lr_dyn(&self, slot: usize) -> f64;
    /// [`Optimizer::steps`].
    fn steps_dyn(&self) -> u64;
    /// [`Optimizer::reset`].
    fn reset_dyn(&mut self);
}

impl<A: Float, O: Optimizer<A>> DynOptimizer<A> for O {
    fn step_dyn(&mut self, params: &mut dyn ParamsMut<A>, grads: &dyn Params<A>) -> Result<()> {
        self.step(params, grads)
    }
    fn validate_dyn(&self) -> Result<()> {
        self.validate()
    }
    fn get_lr_dyn(&self) -> f64 {
        self.get_lr()
    }
    fn set_lr_dyn(&mut self, lr: f64) {
        self.set_lr(lr);
    }
    fn num_groups_dyn(&self) -> usize {
        self.num_groups()
    }
    fn get_group_lr_dyn(&self, g: usize) -> Result<f64> {
        self.get_group_lr(g)
    }
    fn set_group_lr_dyn(&mut self, g: usize, lr: f64) -> Result<()> {
        self.set_group_lr(g, lr)
    }
    fn get_cycle_momentum_dyn(&self) -> Option<f64> {
        self.get_cycle_momentum()
    }
    fn set_cycle_momentum_dyn(&mut self, momentum: f64) {
        self.set_cycle_momentum(momentum);
    }
    fn get_slot_lr_dyn(&self, slot: usize) -> f64 {
        self.get_slot_lr(slot)
    }
    fn steps_dyn(&self) -> u64 {
        self.steps()
    }
    fn reset_dyn(&mut self) {
        self.reset();
    }
}

impl<A: Float, O: DynOptimizer<A> + ?Sized> Optimizer<A> for Box<O> {
    fn step<P: ParamsMut<A>, G: Params<A>>(&mut self, mut params: P, grads: G) -> Result<()> {
        (**self).step_dyn(&mut params, &grads)
    }
    fn validate(&self) -> Result<()> {
        (**self).validate_dyn()
    }
    fn get_lr(&self) -> f64 {
        (**self).get_lr_dyn()
    }
    fn set_lr(&mut self, lr: f64) {
        (**self).set_lr_dyn(lr);
    }
    fn num_groups(&self) -> usize {
        (**self).num_groups_dyn()
    }
    fn get_group_lr(&self, g: usize) -> Result<f64> {
        (**self).get_group_lr_dyn(g)
    }
    fn set_group_lr(&mut self, g: usize, lr: f64) -> Result<()> {
        (**self).set_group_lr_dyn(g, lr)
    }
    fn get_cycle_momentum(&self) -> Option<f64> {
        (**self).get_cycle_momentum_dyn()
    }
    fn set_cycle_momentum(&mut self, momentum: f64) {
        (**self).set_cycle_momentum_dyn(momentum);
    }
    fn get_slot_lr(&self, slot: usize) -> f64 {
        (**self).get_slot_lr_dyn(slot)
    }
    fn steps(&self) -> u64 {
        (**self).steps_dyn()
    }
    fn reset(&mut self) {
        (**self).reset_dyn();
    }
}
