//! The crate's error type.
//!
//! Every bad input a user can pass returns one of these variants instead of
//! panicking, and a call that returns an error has written nothing: no
//! parameter, optimizer state or gradient buffer is touched.

use std::fmt;

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong when calling into `ndloss`.
///
/// Each variant carries what was expected and what was found, so the message
/// says what went wrong and where.
///
/// # Examples
///
/// ```
/// use ndarray::array;
/// use ndloss::prelude::*;
///
/// let err = Mse::new()
///     .forward(&array![1.0_f64, 2.0], &array![1.0_f64, 2.0, 3.0])
///     .unwrap_err();
/// assert!(matches!(err, ndloss::Error::ShapeMismatch { .. }));
/// assert_eq!(err.to_string(), "shape mismatch for target: expected [2], found [3]");
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Error {
    /// An array does not have the shape the call requires.
    #[non_exhaustive]
    ShapeMismatch {
        /// Which argument is wrong (`"target"`, `"gradient buffer"`, `"class_weights"`, ...).
        what: &'static str,
        /// The shape it must have.
        expected: Vec<usize>,
        /// The shape it has.
        found: Vec<usize>,
    },
    /// A class-index target is outside `0..num_classes` and is not the ignore index.
    #[non_exhaustive]
    ClassOutOfRange {
        /// Position of the offending target (the sample index).
        sample: usize,
        /// The class index found there.
        class: usize,
        /// Number of classes (size of the class axis of the logits).
        num_classes: usize,
    },
    /// A hyperparameter is outside its valid range (negative learning rate, label smoothing above 1, ...).
    #[non_exhaustive]
    InvalidHyperparameter {
        /// Name of the hyperparameter, as the builder method calls it.
        name: &'static str,
        /// The rejected value.
        value: f64,
        /// The valid range, in words.
        expected: &'static str,
    },
    /// An input value is outside the domain of the loss (a probability above 1 for `Bce`, ...).
    #[non_exhaustive]
    InvalidValue {
        /// Which argument holds it.
        what: &'static str,
        /// Index of the offending element (row-major position per axis).
        index: Vec<usize>,
        /// The rejected value.
        value: f64,
        /// The valid domain, in words.
        expected: &'static str,
    },
    /// A mean over nothing: the input is empty, or every target is ignored, or the selected weights sum to zero.
    ///
    /// PyTorch returns NaN here; `ndloss` refuses, so a NaN never reaches the parameters unnoticed.
    #[non_exhaustive]
    EmptyReduction {
        /// What was being averaged.
        what: &'static str,
    },
    /// The gradient set has a different number of arrays than the parameter set.
    #[non_exhaustive]
    ParamCountMismatch {
        /// Number of parameter arrays.
        params: usize,
        /// Number of gradient arrays.
        grads: usize,
    },
    /// A gradient does not have the shape of its parameter.
    #[non_exhaustive]
    ParamShapeMismatch {
        /// Position of the parameter in the set.
        slot: usize,
        /// Shape of the parameter.
        param: Vec<usize>,
        /// Shape of the gradient.
        grad: Vec<usize>,
    },
    /// A parameter group names a slot that does not exist, or a slot already in another group.
    #[non_exhaustive]
    ParamGroup {
        /// Index of the group (in the order the groups were added, from 0).
        group: usize,
        /// The offending slot.
        slot: usize,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A gradient holds NaN or ±∞ and the optimizer was asked to refuse it
    /// (`check_finite(true)`); nothing was updated.
    #[non_exhaustive]
    NonFiniteGradient {
        /// Position of the gradient array in the set.
        slot: usize,
        /// Index of the first non-finite element in it.
        index: Vec<usize>,
        /// The value found.
        value: f64,
    },
    /// A clipped gradient set has a non-finite total norm and the caller asked for an error.
    #[non_exhaustive]
    NonFiniteNorm {
        /// The total norm found (NaN or infinite).
        norm: f64,
    },
    /// The parameter set does not match the one the optimizer's state was built for
    /// (a different number of arrays, or an array of another shape).
    #[non_exhaustive]
    StateMismatch {
        /// Position of the first parameter whose shape differs from the
        /// state's; `None` when the number of arrays differs (or the state's
        /// buffers do not fit its own shapes).
        slot: Option<usize>,
        /// Shape (or slot count) the state holds.
        state: Vec<usize>,
        /// Shape (or slot count) found in the parameter set.
        found: Vec<usize>,
    },
    /// A parameter group index past the optimizer's groups.
    #[non_exhaustive]
    NoSuchGroup {
        /// The index asked for.
        group: usize,
        /// How many groups there are (the default group 0 included).
        groups: usize,
    },
    /// An environment variable the crate reads holds a value it does not
    /// understand.
    #[non_exhaustive]
    InvalidEnv {
        /// The variable's name.
        name: &'static str,
        /// Its value.
        value: String,
        /// The values it accepts, in words.
        expected: &'static str,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::ShapeMismatch {
                what,
                expected,
                found,
            } => write!(
                f,
                "shape mismatch for {what}: expected {expected:?}, found {found:?}"
            ),
            Error::ClassOutOfRange {
                sample,
                class,
                num_classes,
            } => write!(
                f,
                "class index {class} of sample {sample} is out of range for {num_classes} classes"
            ),
            Error::InvalidHyperparameter {
                name,
                value,
                expected,
            } => write!(f, "invalid hyperparameter {name} = {value}: expected {expected}"),
            Error::InvalidValue {
                what,
                index,
                value,
                expected,
            } => write!(
                f,
                "invalid value {value} in {what} at index {index:?}: expected {expected}"
            ),
            Error::EmptyReduction { what } => {
                write!(f, "mean over nothing: {what}")
            }
            Error::ParamCountMismatch { params, grads } => write!(
                f,
                "parameter set has {params} arrays but gradient set has {grads}"
            ),
            Error::ParamShapeMismatch { slot, param, grad } => write!(
                f,
                "gradient {slot} has shape {grad:?} but parameter {slot} has shape {param:?}"
            ),
            Error::ParamGroup {
                group,
                slot,
                reason,
            } => write!(f, "parameter group {group}, slot {slot}: {reason}"),
            Error::NonFiniteGradient { slot, index, value } => write!(
                f,
                "gradient {slot} holds {value} at index {index:?}: refusing a non-finite update"
            ),
            Error::NonFiniteNorm { norm } => write!(
                f,
                "the total gradient norm is {norm}: refusing to clip non-finite gradients"
            ),
            Error::StateMismatch {
                slot: Some(slot),
                state,
                found,
            } => write!(
                f,
                "optimizer state does not fit the parameter set at slot {slot}: state {state:?}, parameters {found:?}"
            ),
            Error::StateMismatch {
                slot: None,
                state,
                found,
            } => write!(
                f,
                "optimizer state does not fit the parameter set: the state is for {state:?} arrays, the set has {found:?}"
            ),
            Error::NoSuchGroup { group, groups } => write!(
                f,
                "no parameter group {group}: the optimizer has {groups} (0 is the default group)"
            ),
            Error::InvalidEnv {
                name,
                value,
                expected,
            } => write!(f, "{name}={value:?} is not understood: expected {expected}"),
        }
    }
}

impl std::error::Error for Error {}

/// Checks a hyperparameter and returns it, or the error naming it.
pub(crate) fn check_hyper(
    name: &'static str,
    value: f64,
    ok: bool,
    expected: &'static str,
) -> Result<f64> {
    if ok {
        Ok(value)
    } else {
        Err(Error::InvalidHyperparameter {
            name,
            value,
            expected,
        })
    }
}
