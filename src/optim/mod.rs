//! Optimizers, learning-rate schedules and gradient clipping.
//!
//! Every optimizer follows PyTorch's update rule, defaults and order of
//! operations, keeps its state per parameter *slot* (the position of the array
//! in the [`Params`] set), and validates the whole `(params, grads, state)` set
//! before writing anything: a mismatch returns an error and leaves parameters
//! and state untouched.
//!
//! | optimizer | PyTorch / reference | default lr |
//! | --- | --- | --- |
//! | [`Sgd`] | `torch.optim.SGD` (momentum, dampening, Nesterov) | — |
//! | [`Adam`] | `torch.optim.Adam` (AMSGrad, coupled or decoupled decay) | — (1e-3) |
//! | [`AdamW`] | `torch.optim.AdamW` (decoupled decay, 1e-2 by default) | — (1e-3) |
//! | [`RmsProp`] | `torch.optim.RMSprop` (`alpha`, centered, momentum; eps outside the root) | — (1e-2) |
//! | [`Adagrad`] | `torch.optim.Adagrad` (`lr_decay`, `initial_accumulator_value`) | — (1e-2) |
//! | [`Adadelta`] | `torch.optim.Adadelta` | — (1.0) |
//! | [`Adamax`] | `torch.optim.Adamax` | — (2e-3) |
//! | [`NAdam`] | `torch.optim.NAdam` (`momentum_decay`) | — (2e-3) |
//! | [`RAdam`] | `torch.optim.RAdam` | — (1e-3) |
//! | [`Lion`] | Keras / optax `lion` (not in PyTorch) | — (1e-4 to 3e-4 typical) |
//!
//! All of them share: `weight_decay`, `maximize` (where PyTorch has it),
//! [`ParamGroup`]s (per-group learning rate and weight decay), a learning rate
//! that [`schedule`]s drive, and, with the `serde` feature, state that
//! serialises for checkpoints. [`Proximal`] adds a regularizer's proximal step
//! after any optimizer's step (exact zeros for `L1`). [`clip`] has PyTorch's
//! `clip_grad_norm_` and `clip_grad_value_`.
//!
//! Each update is one fused pass over (parameter, gradient, state) per array;
//! state buffers are allocated on the first step and never again.
//!
//! # Checkpoints
//!
//! With the `serde` feature every optimizer, [`schedule::LrScheduler`] and
//! [`schedule::ReduceLrOnPlateau`] implements `Serialize`/`Deserialize`
//! (settings, moments, step counts, groups). Save them with the parameters and
//! training resumes exactly where it stopped. Use a lossless format: `bincode`,
//! `postcard`, or `serde_json` with its `float_roundtrip` feature (its default
//! float parser may be off by one ulp). A loaded state is checked against the
//! parameter set at the next `step`: a different number of arrays, another
//! shape, or inconsistent buffers are [`Error::StateMismatch`], and nothing is
//! written.
//!
//! ```
//! # #[cfg(feature = "serde")] {
//! use ndarray::array;
//! use ndloss::prelude::*;
//!
//! let mut w = array![1.0_f64, 2.0];
//! let mut adam = Adam::new(0.1);
//! adam.step(&mut w, &array![0.5, -0.5]).unwrap();
//! let saved = serde_json::to_string(&adam).unwrap();
//! let mut restored: Adam<f64> = serde_json::from_str(&saved).unwrap();
//! assert_eq!(restored, adam);
//! restored.step(&mut w, &array![0.5, -0.5]).unwrap();
//! assert_eq!(restored.steps(), 2);
//! # }
//! ```

use crate::error::{check_hyper, Error, Result};
use crate::float::Float;
use crate::kernel::update::check_pair_state;
use crate::params::{Params, ParamsMut};

mod adadelta;
mod adagrad;
mod adam;
mod adamax;
pub mod clip;
mod dynamic;
mod lion;
mod nadam;
mod proximal;
mod radam;
mod rmsprop;
pub(crate) mod rule;
pub mod schedule;
mod sgd;

pub use adadelta::Adadelta;
pub use adagrad::Adagrad;
pub use adam::{Adam, AdamW};
pub use adamax::Adamax;
pub use dynamic::DynOptimizer;
pub use lion::Lion;
pub use nadam::NAdam;
pub use proximal::Proximal;
pub use radam::RAdam;
pub use rmsprop::RmsProp;
pub use sgd::Sgd;

/// An optimizer: a rule that moves parameters using their gradients.
///
/// `Optimizer` is not dyn-compatible (`step` is generic over the parameter
/// set): to choose one at run time, box it as [`DynOptimizer`], which
/// every optimizer implements and whose box implements `Optimizer`.
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
    /// - [`Error::ParamCountMismatch`], [`Error::ParamShapeMismatch`]: `grads` does not match `params`;
    /// - [`Error::StateMismatch`]: `params` is not the set the state was built for
    ///   (or a loaded checkpoint's state is inconsistent);
    /// - [`Error::ParamGroup`]: a group names a slot outside the set, or a slot twice;
    /// - [`Error::InvalidHyperparameter`].
    ///
    /// On error nothing has been written: parameters, state and step count are unchanged.
    ///
    /// ```
    /// use ndarray::array;
    /// use ndloss::prelude::*;
    ///
    /// // Two tensors in one step: a tuple of `&mut` arrays and one of gradients.
    /// let (mut w, mut b) = (array![[1.0_f64, 2.0]], array![0.5_f64]);
    /// let mut sgd = Sgd::new(0.5);
    /// sgd.step((&mut w, &mut b), (&array![[1.0, -1.0]], &array![2.0]))?;
    /// assert_eq!((w, b), (array![[0.5, 2.5]], array![-0.5]));
    /// # Ok::<(), ndloss::Error>(())
    /// ```
    fn step<P: ParamsMut<A>, G: Params<A>>(&mut self, params: P, grads: G) -> Result<()>;

    /// Checks every hyperparameter without stepping: the errors
    /// [`step`](Optimizer::step) would return for the settings alone
    /// (whether the parameter groups' slots exist is known only at a step,
    /// from the parameter set).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidHyperparameter`] naming the first bad setting.
    ///
    /// ```
    /// use ndloss::prelude::*;
    ///
    /// assert!(Adam::<f32>::new(1e-3).validate().is_ok());
    /// assert!(Adam::<f32>::new(1e-3).betas(1.5, 0.999).validate().is_err());
    /// ```
    fn validate(&self) -> Result<()>;

    /// The learning rate of the default group.
    ///
    /// ```
    /// use ndloss::prelude::*;
    ///
    /// assert_eq!(Adam::<f32>::new(1e-3).get_lr(), 1e-3);
    /// ```
    fn get_lr(&self) -> f64;

    /// Sets the learning rate of every group (checked at the next step).
    ///
    /// ```
    /// use ndloss::prelude::*;
    /// use ndloss::optim::ParamGroup;
    ///
    /// let mut sgd = Sgd::<f64>::new(0.1).param_group(ParamGroup::new([1]).lr(0.01));
    /// sgd.set_lr(0.5);
    /// assert_eq!((sgd.get_group_lr(0)?, sgd.get_group_lr(1)?), (0.5, 0.5));
    /// # Ok::<(), ndloss::Error>(())
    /// ```
    fn set_lr(&mut self, lr: f64);

    /// Number of learning-rate groups: 1 (the default group) plus one per [`ParamGroup`].
    ///
    /// ```
    /// use ndloss::prelude::*;
    /// use ndloss::optim::ParamGroup;
    ///
    /// assert_eq!(Sgd::<f64>::new(0.1).num_groups(), 1);
    /// assert_eq!(Sgd::<f64>::new(0.1).param_group(ParamGroup::new([0])).num_groups(), 2);
    /// ```
    fn num_groups(&self) -> usize;

    /// Learning rate of group `g` (0 is the default group).
    ///
    /// # Errors
    ///
    /// [`Error::NoSuchGroup`] when `g >= num_groups()`.
    ///
    /// ```
    /// use ndloss::prelude::*;
    /// use ndloss::optim::ParamGroup;
    ///
    /// let sgd = Sgd::<f64>::new(0.1).param_group(ParamGroup::new([1]).lr(0.01));
    /// assert_eq!(sgd.get_group_lr(1)?, 0.01);
    /// assert!(sgd.get_group_lr(2).is_err());
    /// # Ok::<(), ndloss::Error>(())
    /// ```
    fn get_group_lr(&self, g: usize) -> Result<f64>;

    /// Sets the learning rate of group `g` alone (0 is the default group).
    ///
    /// # Errors
    ///
    /// [`Error::NoSuchGroup`] when `g >= num_groups()`; nothing is changed.
    ///
    /// ```
    /// use ndloss::prelude::*;
    /// use ndloss::optim::ParamGroup;
    ///
    /// let mut sgd = Sgd::<f64>::new(0.1).param_group(ParamGroup::new([1]));
    /// sgd.set_group_lr(1, 0.01)?;
    /// assert_eq!((sgd.get_group_lr(0)?, sgd.get_group_lr(1)?), (0.1, 0.01));
    /// assert!(sgd.set_group_lr(2, 0.01).is_err());
    /// # Ok::<(), ndloss::Error>(())
    /// ```
    fn set_group_lr(&mut self, g: usize, lr: f64) -> Result<()>;

    /// The momentum-like coefficient that one-cycle schedules cycle: SGD's
    /// and RMSprop's `momentum`, the Adam family's and Lion's `β₁`; `None` for
    /// optimizers without one.
    ///
    /// ```
    /// use ndloss::prelude::*;
    ///
    /// assert_eq!(Sgd::<f64>::new(0.1).momentum(0.9).get_cycle_momentum(), Some(0.9));
    /// assert_eq!(Adam::<f64>::new(0.1).get_cycle_momentum(), Some(0.9)); // β₁
    /// assert_eq!(Adagrad::<f64>::new(0.1).get_cycle_momentum(), None);
    /// ```
    fn get_cycle_momentum(&self) -> Option<f64> {
        None
    }

    /// Sets the coefficient [`get_cycle_momentum`](Optimizer::get_cycle_momentum)
    /// reads (ignored without one).
    ///
    /// ```
    /// use ndloss::prelude::*;
    ///
    /// let mut adam = Adam::<f64>::new(0.1);
    /// adam.set_cycle_momentum(0.85);
    /// assert_eq!(adam.get_betas(), (0.85, 0.999));
    /// ```
    fn set_cycle_momentum(&mut self, _momentum: f64) {}

    /// The learning rate that applies to parameter slot `slot` (its group's,
    /// or the default group's for a slot in no group).
    ///
    /// ```
    /// use ndloss::prelude::*;
    /// use ndloss::optim::ParamGroup;
    ///
    /// let sgd = Sgd::<f64>::new(0.1).param_group(ParamGroup::new([1]).lr(0.01));
    /// assert_eq!((sgd.get_slot_lr(0), sgd.get_slot_lr(1)), (0.1, 0.01));
    /// ```
    fn get_slot_lr(&self, slot: usize) -> f64 {
        let _ = slot;
        self.get_lr()
    }

    /// Number of successful steps taken since creation or [`reset`](Optimizer::reset).
    ///
    /// ```
    /// use ndarray::array;
    /// use ndloss::prelude::*;
    ///
    /// let (mut w, mut adam) = (array![1.0_f64], Adam::new(0.1));
    /// adam.step(&mut w, &array![0.5])?;
    /// assert!(adam.step(&mut w, &array![0.5, 1.0]).is_err()); // not counted
    /// assert_eq!(adam.steps(), 1);
    /// # Ok::<(), ndloss::Error>(())
    /// ```
    fn steps(&self) -> u64;

    /// Drops all state (moments, step count), as if newly created; keeps the hyperparameters.
    ///
    /// ```
    /// use ndarray::array;
    /// use ndloss::prelude::*;
    ///
    /// let (mut w, mut adam) = (array![1.0_f64], Adam::new(0.1));
    /// adam.step(&mut w, &array![0.5])?;
    /// adam.reset();
    /// assert_eq!((adam.steps(), adam, w.len()), (0, Adam::new(0.1), 1));
    /// # Ok::<(), ndloss::Error>(())
    /// ```
    fn reset(&mut self);
}

/// A subset of the parameter slots with its own learning rate and/or weight
/// decay: PyTorch's `param_groups`.
///
/// Slots not named by any group form the default group, which uses the
/// optimizer's own settings. A typical use is no weight decay on biases.
///
/// # Examples
///
/// ```
/// use ndarray::{array, Array1, Array2};
/// use ndloss::prelude::*;
///
/// let (mut w, mut b) = (Array2::<f64>::ones((2, 2)), Array1::<f64>::ones(2));
/// let (gw, gb) = (Array2::<f64>::zeros((2, 2)), Array1::<f64>::zeros(2));
/// // Decoupled decay 0.1 on the weights (slot 0), none on the bias (slot 1).
/// let mut opt = AdamW::new(0.1).weight_decay(0.1).param_group(ParamGroup::new([1]).weight_decay(0.0));
/// opt.step((&mut w, &mut b), (&gw, &gb))?;
/// assert!((w[[0, 0]] - (1.0 - 0.1 * 0.1)).abs() < 1e-15);
/// assert_eq!(b[0], 1.0);
/// # Ok::<(), ndloss::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ParamGroup {
    slots: Vec<usize>,
    lr: Option<f64>,
    weight_decay: Option<f64>,
}

impl ParamGroup {
    /// A group of the given slots (positions in the parameter set).
    pub fn new(slots: impl IntoIterator<Item = usize>) -> Self {
        Self {
            slots: slots.into_iter().collect(),
            lr: None,
            weight_decay: None,
        }
    }

    /// The group's learning rate (default: the optimizer's).
    #[must_use]
    pub fn lr(mut self, lr: f64) -> Self {
        self.lr = Some(lr);
        self
    }

    /// The group's weight decay (default: the optimizer's).
    #[must_use]
    pub fn weight_decay(mut self, weight_decay: f64) -> Self {
        self.weight_decay = Some(weight_decay);
        self
    }

    /// The slots of the group.
    ///
    /// ```
    /// use ndloss::optim::ParamGroup;
    ///
    /// assert_eq!(ParamGroup::new([0, 2]).get_slots(), &[0, 2]);
    /// ```
    pub fn get_slots(&self) -> &[usize] {
        &self.slots
    }

    /// The group's learning rate; `None`: the optimizer's.
    ///
    /// ```
    /// use ndloss::optim::ParamGroup;
    ///
    /// assert_eq!(ParamGroup::new([0]).lr(0.01).get_lr(), Some(0.01));
    /// assert_eq!(ParamGroup::new([0]).get_lr(), None);
    /// ```
    pub fn get_lr(&self) -> Option<f64> {
        self.lr
    }

    /// The group's weight decay; `None`: the optimizer's.
    ///
    /// ```
    /// use ndloss::optim::ParamGroup;
    ///
    /// assert_eq!(ParamGroup::new([0]).weight_decay(0.0).get_weight_decay(), Some(0.0));
    /// assert_eq!(ParamGroup::new([0]).get_weight_decay(), None);
    /// ```
    pub fn get_weight_decay(&self) -> Option<f64> {
        self.weight_decay
    }
}

/// The state buffers of one slot (`K` of them, some possibly empty).
pub(crate) type SlotBuffers<A> = Vec<Vec<A>>;

/// Learning rate and weight decay that apply to one slot at one step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct SlotHyper {
    pub(crate) lr: f64,
    pub(crate) weight_decay: f64,
}

/// What every optimizer holds besides its own hyperparameters: the default
/// group's learning rate and weight decay, `maximize`, parameter groups, the
/// per-slot state buffers (`K` per slot, allocated on demand) and the step count.
#[derive(Debug, Clone)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub(crate) struct Core<A> {
    pub(crate) lr: f64,
    pub(crate) weight_decay: f64,
    pub(crate) maximize: bool,
    /// Refuse non-finite gradients (an error, nothing written) instead of
    /// letting NaN/∞ into the parameters and state.
    #[cfg_attr(feature = "serde", serde(default))]
    pub(crate) check_finite: bool,
    pub(crate) groups: Vec<ParamGroup>,
    /// Per slot: its shape and `K` buffers (empty until an option needs them).
    pub(crate) shapes: Option<Vec<Vec<usize>>>,
    pub(crate) buffers: Vec<Vec<Vec<A>>>,
    pub(crate) steps: u64,
    /// Scratch reused every step (not state): each slot's hyperparameters.
    #[cfg_attr(feature = "serde", serde(skip))]
    pub(crate) slot_hyper: Vec<SlotHyper>,
}

/// Equality of settings and state; the per-step scratch is not compared.
impl<A: PartialEq> PartialEq for Core<A> {
    fn eq(&self, other: &Self) -> bool {
        self.lr == other.lr
            && self.weight_decay == other.weight_decay
            && self.maximize == other.maximize
            && self.check_finite == other.check_finite
            && self.groups == other.groups
            && self.shapes == other.shapes
            && self.buffers == other.buffers
            && self.steps == other.steps
    }
}

impl<A: Float> Core<A> {
    pub(crate) fn new(lr: f64, weight_decay: f64) -> Self {
        Self {
            lr,
            weight_decay,
            maximize: false,
            check_finite: false,
            groups: Vec::new(),
            shapes: None,
            buffers: Vec::new(),
            steps: 0,
            slot_hyper: Vec::new(),
        }
    }

    /// `-1` when maximizing, else `1`: multiplying by it is PyTorch's negation, exactly.
    pub(crate) fn sign(&self) -> A {
        if self.maximize {
            -A::one()
        } else {
            A::one()
        }
    }

    /// Validates a step and, once everything is known to be valid, allocates
    /// the buffers marked in `init` (`Some(v)`: filled with `v` if still
    /// empty) and fills `slot_hyper`. Returns `K` buffers per slot.
    ///
    /// A `stateless` step (plain SGD) neither records nor checks the slots'
    /// shapes until a stateful step does, as PyTorch keeps no state then.
    pub(crate) fn begin<P: Params<A>, G: Params<A>>(
        &mut self,
        params: &P,
        grads: &G,
        init: &[Option<A>],
        stateless: bool,
    ) -> Result<(&[SlotHyper], &mut [SlotBuffers<A>])> {
        let k = init.len();
        self.validate()?;
        let state_error = check_pair_state(params, grads, self.shapes.as_deref())?;
        let n = params.num_slots();
        for (group, g) in self.groups.iter().enumerate() {
            for (k, &slot) in g.slots.iter().enumerate() {
                let reason = if slot >= n {
                    Some("no such slot in the parameter set")
                } else if g.slots[..k].contains(&slot)
                    || self.groups[..group].iter().any(|h| h.slots.contains(&slot))
                {
                    Some("slot already in a group")
                } else {
                    None
                };
                if let Some(reason) = reason {
                    return Err(Error::ParamGroup {
                        group,
                        slot,
                        reason,
                    });
                }
            }
        }
        match &self.shapes {
            Some(shapes) => match state_error {
                Some(e) => return Err(e),
                None => self.check_buffers(shapes, k)?,
            },
            // Buffers without the shapes they belong to (a corrupt checkpoint).
            None if self.buffers.iter().flatten().any(|b| !b.is_empty()) => {
                return Err(Error::StateMismatch {
                    slot: None,
                    state: vec![self.buffers.len()],
                    found: vec![n],
                })
            }
            None => {}
        }
        if self.check_finite {
            check_finite(grads)?;
        }

        // Valid: from here on nothing can fail.
        if self.shapes.is_none() {
            if !stateless {
                self.shapes = Some(crate::kernel::update::shapes(params));
            }
            if self.buffers.len() != n {
                self.buffers = (0..n).map(|_| vec![Vec::new(); k]).collect();
            }
        }
        for (slot, bufs) in self.buffers.iter_mut().enumerate() {
            for (buf, &init) in bufs.iter_mut().zip(init) {
                if let (Some(v), true) = (init, buf.is_empty()) {
                    // The slot's length only here, when its buffers are
                    // allocated: a view per slot per step is a sizeable part
                    // of a small step.
                    *buf = vec![v; params.slot(slot).len()];
                }
            }
        }
        self.slot_hyper.clear();
        for slot in 0..n {
            let group = self.groups.iter().find(|g| g.slots.contains(&slot));
            self.slot_hyper.push(SlotHyper {
                lr: group.and_then(|g| g.lr).unwrap_or(self.lr),
                weight_decay: group
                    .and_then(|g| g.weight_decay)
                    .unwrap_or(self.weight_decay),
            });
        }
        Ok((&self.slot_hyper, &mut self.buffers))
    }

    /// After the set's slots and shapes were checked against the state's
    /// (`check_pair_state`): (after a checkpoint load) `K` buffers per slot,
    /// each empty or of the slot's size.
    fn check_buffers(&self, shapes: &[Vec<usize>], k: usize) -> Result<()> {
        let consistent = self.buffers.len() == shapes.len()
            && self.buffers.iter().zip(shapes).all(|(bufs, shape)| {
                let len: usize = shape.iter().product();
                bufs.len() == k && bufs.iter().all(|b| b.is_empty() || b.len() == len)
            });
        if consistent {
            Ok(())
        } else {
            Err(Error::StateMismatch {
                slot: None,
                state: vec![self.buffers.len()],
                found: vec![shapes.len()],
            })
        }
    }

    /// The learning rates and weight decays of every group.
    pub(crate) fn validate(&self) -> Result<()> {
        non_negative("lr", self.lr)?;
        non_negative("weight_decay", self.weight_decay)?;
        for g in &self.groups {
            if let Some(lr) = g.lr {
                non_negative("lr", lr)?;
            }
            if let Some(wd) = g.weight_decay {
                non_negative("weight_decay", wd)?;
            }
        }
        Ok(())
    }

    pub(crate) fn num_groups(&self) -> usize {
        1 + self.groups.len()
    }

    fn no_such_group(&self, g: usize) -> Error {
        Error::NoSuchGroup {
            group: g,
            groups: self.num_groups(),
        }
    }

    pub(crate) fn group_lr(&self, g: usize) -> Result<f64> {
        match g.checked_sub(1) {
            None => Ok(self.lr),
            Some(i) => match self.groups.get(i) {
                Some(group) => Ok(group.lr.unwrap_or(self.lr)),
                None => Err(self.no_such_group(g)),
            },
        }
    }

    pub(crate) fn set_group_lr(&mut self, g: usize, lr: f64) -> Result<()> {
        match g.checked_sub(1) {
            None => self.lr = lr,
            Some(i) => match self.groups.get_mut(i) {
                Some(group) => group.lr = Some(lr),
                None => return Err(self.no_such_group(g)),
            },
        }
        Ok(())
    }

    pub(crate) fn slot_lr(&self, slot: usize) -> f64 {
        let group = self.groups.iter().find(|g| g.slots.contains(&slot));
        group.and_then(|g| g.lr).unwrap_or(self.lr)
    }

    pub(crate) fn set_lr(&mut self, lr: f64) {
        self.lr = lr;
        for g in &mut self.groups {
            g.lr = None;
        }
    }

    pub(crate) fn reset(&mut self) {
        self.shapes = None;
        self.buffers.clear();
        self.steps = 0;
    }
}

/// [`check_finite`]'s test, for [`crate::kernel::all_of`].
#[derive(Clone, Copy)]
struct Finite;

impl<A: Float> crate::kernel::Test<A> for Finite {
    #[inline(always)]
    fn ok(self, x: A) -> bool {
        x.is_finite()
    }
}

/// Errors on the first non-finite gradient element (a read-only pass).
fn check_finite<A: Float, G: Params<A>>(grads: &G) -> Result<()> {
    for slot in 0..grads.num_slots() {
        let g = grads.slot(slot);
        let finite = match g.as_slice_memory_order() {
            Some(s) => crate::kernel::all_of(s, Finite),
            None => g.iter().all(|x| x.is_finite()),
        };
        if !finite {
            if let Some((index, x)) = g.indexed_iter().find(|(_, x)| !x.is_finite()) {
                return Err(Error::NonFiniteGradient {
                    slot,
                    index: ndarray::Dimension::slice(&index).to_vec(),
                    value: Float::to_f64(*x),
                });
            }
        }
    }
    Ok(())
}

/// The `K` buffers of one slot as slices (missing ones empty).
pub(crate) fn slot_buffers<A, const K: usize>(slot: &mut [Vec<A>]) -> [&mut [A]; K] {
    let mut it = slot.iter_mut();
    std::array::from_fn(|_| match it.next() {
        Some(v) => v.as_mut_slice(),
        None => &mut [],
    })
}

/// Builder methods every optimizer shares (on a `core: Core<A>` field).
macro_rules! core_builders {
    ($new:literal) => {
        /// Weight decay of the default group (PyTorch's `weight_decay`).
        #[must_use]
        pub fn weight_decay(mut self, weight_decay: f64) -> Self {
            self.core.weight_decay = weight_decay;
            self
        }

        /// Ascend the objective instead of descending it (default false).
        #[must_use]
        pub fn maximize(mut self, maximize: bool) -> Self {
            self.core.maximize = maximize;
            self
        }

        /// Adds a parameter group with its own learning rate / weight decay.
        #[must_use]
        pub fn param_group(mut self, group: $crate::optim::ParamGroup) -> Self {
            self.core.groups.push(group);
            self
        }

        /// Refuse gradients holding NaN or ±∞: `step` returns
        /// [`Error::NonFiniteGradient`](crate::Error::NonFiniteGradient) naming the array and
        /// index, and nothing is updated (default false: like PyTorch, a
        /// non-finite gradient propagates into the parameters). Costs one
        /// read of the gradients per step.
        #[must_use]
        pub fn check_finite(mut self, check: bool) -> Self {
            self.core.check_finite = check;
            self
        }

        /// The default group's weight decay, as set by [`weight_decay`](Self::weight_decay).
        ///
        /// ```
        #[doc = concat!("let x = ", $new, ".weight_decay(0.01);")]
        #[doc = concat!("assert_eq!(x.get_weight_decay(), 0.01);")]
        /// ```
        pub fn get_weight_decay(&self) -> f64 {
            self.core.weight_decay
        }

        /// Whether the optimizer ascends, as set by [`maximize`](Self::maximize).
        ///
        /// ```
        #[doc = concat!("let x = ", $new, ".maximize(true);")]
        #[doc = concat!("assert_eq!(x.get_maximize(), true);")]
        /// ```
        pub fn get_maximize(&self) -> bool {
            self.core.maximize
        }

        /// The parameter groups, in the order [`param_group`](Self::param_group) added them
        /// (group `g` of [`Optimizer::get_group_lr`](crate::optim::Optimizer::get_group_lr)
        /// is `get_param_groups()[g - 1]`).
        ///
        /// ```
        /// use ndloss::optim::ParamGroup;
        ///
        #[doc = concat!("let x = ", $new, ".param_group(ParamGroup::new([1]).lr(0.01));")]
        /// assert_eq!(x.get_param_groups()[0].get_slots(), &[1]);
        /// ```
        pub fn get_param_groups(&self) -> &[$crate::optim::ParamGroup] {
            &self.core.groups
        }

        /// Whether non-finite gradients are refused, as set by [`check_finite`](Self::check_finite).
        ///
        /// ```
        #[doc = concat!("let x = ", $new, ".check_finite(true);")]
        #[doc = concat!("assert_eq!(x.get_check_finite(), true);")]
        /// ```
        pub fn get_check_finite(&self) -> bool {
            self.core.check_finite
        }
    };
}
pub(crate) use core_builders;

/// The `Optimizer` methods every optimizer implements the same way, over its
/// `core: Core<A>` field.
macro_rules! common_methods {
    () => {
        fn validate(&self) -> $crate::error::Result<()> {
            let t = self.core.steps + 1;
            $crate::optim::rule::Rule::prepare(self, t, A::one())?;
            self.core.validate()
        }

        fn get_lr(&self) -> f64 {
            self.core.lr
        }

        fn set_lr(&mut self, lr: f64) {
            self.core.set_lr(lr);
        }

        fn num_groups(&self) -> usize {
            self.core.num_groups()
        }

        fn get_group_lr(&self, g: usize) -> $crate::error::Result<f64> {
            self.core.group_lr(g)
        }

        fn set_group_lr(&mut self, g: usize, lr: f64) -> $crate::error::Result<()> {
            self.core.set_group_lr(g, lr)
        }

        fn get_slot_lr(&self, slot: usize) -> f64 {
            self.core.slot_lr(slot)
        }

        fn steps(&self) -> u64 {
            self.core.steps
        }

        fn reset(&mut self) {
            self.core.reset();
            $crate::optim::rule::Rule::reset_extra(self);
        }
    };
}
pub(crate) use common_methods;

/// Finite and ≥ 0.
pub(crate) fn non_negative(name: &'static str, v: f64) -> Result<f64> {
    check_hyper(name, v, v.is_finite() && v >= 0.0, "a finite value >= 0")
}

/// In `[0, 1)`.
pub(crate) fn unit_interval(name: &'static str, v: f64) -> Result<f64> {
    check_hyper(name, v, (0.0..1.0).contains(&v), "a value in [0, 1)")
}

/// `±g` plus PyTorch's coupled weight decay `wd·θ`, added only when
/// `wd ≠ 0` (as PyTorch does), so an infinite parameter does not turn the
/// gradient into NaN through `0·∞`.
#[inline(always)]
pub(crate) fn coupled_grad<A: Float>(sign: A, g: A, wd: A, p: A) -> A {
    let g = sign * g;
    if wd != A::zero() {
        g + wd * p
    } else {
        g
    }
}

/// PyTorch's `lerp`: `a + w·(b − a)` for `|w| < ½`, else `b − (b − a)·(1 − w)`.
#[inline(always)]
pub(crate) fn lerp<A: Float>(a: A, b: A, w: A) -> A {
    if w.abs() < A::from_f64(0.5) {
        a + w * (b - a)
    } else {
        b - (b - a) * (A::one() - w)
    }
}
