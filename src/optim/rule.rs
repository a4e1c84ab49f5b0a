//! The one `step` every element-wise optimizer runs: an optimizer is its
//! settings plus a [`Rule`], its math.

use ndarray::{ArrayViewD, ArrayViewMutD};

use super::{Core, SlotBuffers, SlotHyper};
use crate::error::Result;
use crate::float::Float;
use crate::params::{Params, ParamsMut};

/// An element-wise optimizer's math, as optax writes one (`init` and
/// `update`): which state buffers a slot holds and their initial values, the
/// scalars a step fixes, and the update of one slot.
///
/// [`step`] does the rest, the same way for every optimizer: the settings'
/// validation ([`Rule::prepare`]), the whole parameter, gradient, group and
/// state set checked before anything is written (`Core::begin`),
/// `check_finite`, the buffers allocated on first use, each slot's group
/// hyperparameters, the sign of `maximize`, and the step count.
pub(crate) trait Rule<A: Float> {
    /// Initial values of a slot's state buffers (`None`: a buffer this step
    /// does not use, or that [`Rule::update`] creates itself).
    type Init: AsRef<[Option<A>]>;
    /// The scalars a step fixes before it updates any slot.
    type Step: Copy;

    /// The state every optimizer holds (groups, buffers, step count).
    fn core(&self) -> &Core<A>;
    /// [`Rule::core`], mutable.
    fn core_mut(&mut self) -> &mut Core<A>;

    /// Validates the settings and fixes step `t`'s scalars (`t` = 1 for the
    /// first step; `sign` is −1 when maximizing, else 1). Changes nothing:
    /// an error here leaves the optimizer as it was.
    fn prepare(&self, t: u64, sign: A) -> Result<(Self::Step, Self::Init)>;

    /// A step that keeps no state (plain SGD, as PyTorch keeps none): the
    /// slots' shapes are neither recorded nor checked.
    fn stateless(&self) -> bool {
        false
    }

    /// Updates one slot in one fused pass: its parameter, gradient and
    /// buffers (as [`Rule::Init`] asked), with its group's `hyper`.
    fn update(
        step: Self::Step,
        hyper: SlotHyper,
        param: ArrayViewMutD<'_, A>,
        grad: ArrayViewD<'_, A>,
        buffers: &mut SlotBuffers<A>,
    );

    /// After a successful step: state kept besides the buffers (NAdam's
    /// running product of the momentum schedule).
    fn finish(&mut self, step: Self::Step) {
        let _ = step;
    }

    /// Clears that state on `Optimizer::reset`.
    fn reset_extra(&mut self) {}
}

/// One step of the optimizer `opt`: see [`Rule`]. On error nothing has been
/// written: parameters, state and step count are unchanged.
pub(crate) fn step<A, R, P, G>(opt: &mut R, mut params: P, grads: G) -> Result<()>
where
    A: Float,
    R: Rule<A>,
    P: ParamsMut<A>,
    G: Params<A>,
{
    let core = opt.core();
    let (t, sign) = (core.steps + 1, core.sign());
    let (step, init) = opt.prepare(t, sign)?;
    let stateless = opt.stateless();
    let core = opt.core_mut();
    let (hyper, buffers) = core.begin(&params, &grads, init.as_ref(), stateless)?;
    for (i, (&h, slot)) in hyper.iter().zip(buffers.iter_mut()).enumerate() {
        R::update(step, h, params.slot_mut(i), grads.slot(i), slot);
    }
    core.steps += 1;
    opt.finish(step);
    Ok(())
}

/// `Rule::core` and `Rule::core_mut` over a `core` field.
macro_rules! rule_core {
    () => {
        fn core(&self) -> &$crate::optim::Core<A> {
            &self.core
        }

        fn core_mut(&mut self) -> &mut $crate::optim::Core<A> {
            &mut self.core
        }
    };
}
pub(crate) use rule_core;

/// Implements `Optimizer` for an optimizer with a [`Rule`]: its `step` is
/// [`step`]; `momentum: field` names the coefficient one-cycle schedules
/// cycle (`Optimizer::get_cycle_momentum`).
macro_rules! rule_optimizer {
    ($name:ident $(, momentum: $field:ident)?) => {
        impl<A: $crate::float::Float> $crate::optim::Optimizer<A> for $name<A> {
            fn step<P: $crate::params::ParamsMut<A>, G: $crate::params::Params<A>>(
                &mut self,
                params: P,
                grads: G,
            ) -> $crate::error::Result<()> {
                $crate::optim::rule::step(self, params, grads)
            }

            $(
                fn get_cycle_momentum(&self) -> Option<f64> {
                    Some(self.$field)
                }

                fn set_cycle_momentum(&mut self, momentum: f64) {
                    self.$field = momentum;
                }
            )?

            $crate::optim::common_methods!();
        }
    };
}
pub(crate) use rule_optimizer;
