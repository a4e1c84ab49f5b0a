#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(unsafe_code)]
#![deny(missing_docs)]

/// `get_<option>(&self)` for settings stored in fields, each with a doc
/// example built from the type's constructor (a string: it goes into the
/// example as written):
/// `getters!(Type<A> = "ndloss::optim::Type::<f64>::new(0.1)" { get_x => x(0.5): f64 = 0.5 })`.
/// `x` is the builder and the field; `x[field]` names the field when it
/// differs, `x[a, b]` returns the tuple of two fields; the parentheses hold
/// the example's builder arguments, `= value` what the getter then returns.
/// Builders take the option's name and consume `self`, so the getter is
/// `get_` and the name.
macro_rules! getters {
    ($ty:ident $(<$g:ident>)? = $new:literal {
        $($get:ident => $builder:ident $([$($field:ident),+])? ($($arg:expr),*): $t:ty = $expected:expr),* $(,)?
    }) => {
        impl$(<$g: $crate::float::Float>)? $ty$(<$g>)? {
            $(
                #[doc = concat!("The `", stringify!($builder), "` setting, as [`", stringify!($builder), "`](Self::", stringify!($builder), ") set it (or its default).")]
                #[doc = ""]
                #[doc = "```"]
                #[doc = concat!("let x = ", $new, ".", stringify!($builder), "(", stringify!($($arg),*), ");")]
                #[doc = concat!("assert_eq!(x.", stringify!($get), "(), ", stringify!($expected), ");")]
                #[doc = "```"]
                pub fn $get(&self) -> $t {
                    getters!(@field self $builder $($($field),+)?)
                }
            )*
        }
    };
    (@field $s:ident $builder:ident) => {
        $s.$builder
    };
    (@field $s:ident $builder:ident $field:ident) => {
        $s.$field
    };
    (@field $s:ident $builder:ident $($field:ident),+) => {
        ($($s.$field),+)
    };
}

pub mod error;
mod float;
mod kernel;
pub mod loss;
pub mod metrics;
pub mod optim;
pub mod params;
mod reduction;
pub mod regularize;

pub use error::{Error, Result};
pub use float::Float;
pub use kernel::simd::SimdLevel;

/// The instruction set the loss kernels run with on this CPU.
///
/// The kernels are compiled for each level and the best one the CPU supports
/// is chosen at run time, so no `-C target-cpu` flag is needed. Setting the
/// environment variable `NDLOSS_SIMD` to `baseline` (or `sse2`), `avx2` or
/// `avx512` before the first loss call caps the level (for comparing or
/// testing the paths). The detection runs once per process, on the first
/// kernel call or on the first call of this function: call it at start-up to
/// keep that one-time work out of a real-time loop.
///
/// # Errors
///
/// [`Error::InvalidEnv`] when `NDLOSS_SIMD` holds anything else: the
/// kernels then run uncapped, at the level they would without it, and this
/// is where the typo shows (the variable is read on every call).
///
/// # Examples
///
/// ```
/// use ndloss::SimdLevel;
///
/// let level = ndloss::simd_level()?;
/// assert!(level >= SimdLevel::Baseline);
/// # Ok::<(), ndloss::Error>(())
/// ```
pub fn simd_level() -> Result<SimdLevel> {
    let var = std::env::var("NDLOSS_SIMD").ok();
    let level = kernel::simd::level();
    match kernel::simd::parse_cap(var.as_deref()) {
        Ok(_) => Ok(level),
        Err(value) => Err(Error::InvalidEnv {
            name: "NDLOSS_SIMD",
            value,
            expected: kernel::simd::CAP_VALUES,
        }),
    }
}

/// Everything a training loop needs, in one import.
///
/// ```
/// use ndloss::prelude::*;
/// let _ = (Mse::new(), CrossEntropy::new(), Adam::<f32>::new(1e-3), L2::new(1e-4));
/// ```
pub mod prelude {
    pub use crate::error::{Error, Result};
    pub use crate::float::Float;
    pub use crate::loss::Regularized;
    pub use crate::loss::{
        Bce, BceWithLogits, BinaryFocal, CiouLoss, CrossEntropy, DiouLoss, GiouLoss, Hinge,
        HingeEmbedding, Huber, IouLoss, KlDiv, LogCosh, Loss, Mae, Mape, Mse, Msle, MultiMargin,
        Nll, PoissonNll, Quantile, Reduction, SigmoidFocal, SmoothL1, SoftMargin, SquaredHinge,
        WeightedLoss,
    };
    pub use crate::loss::{
        BinarySparsemax, GeneralizedKl, MultiLabelSoftMargin, MulticlassHinge,
        MulticlassPerceptron, Perceptron, PolyLoss, Sparsemax,
    };
    pub use crate::loss::{
        CategoricalFocal, CategoricalHinge, CosineSimilarity, GeneralizedCrossEntropy,
    };
    pub use crate::loss::{ClipLoss, Dice, DiceInput, NtXent, TripletDistance};
    pub use crate::loss::{CosineEmbedding, GaussianNll, MarginRanking, MultiLoss, TripletMargin};
    pub use crate::loss::{Ctc, CtcGradient, CtcTargets};
    pub use crate::metrics::{Average, Normalize, PrfOptions, Prfs, ZeroDivision};
    pub use crate::optim::{
        Adadelta, Adagrad, Adam, AdamW, Adamax, Lion, NAdam, Optimizer, ParamGroup, Proximal,
        RAdam, RmsProp, Sgd,
    };
    pub use crate::params::{Params, ParamsMut};
    pub use crate::regularize::{ElasticNet, Regularizer, L1, L2};
}
