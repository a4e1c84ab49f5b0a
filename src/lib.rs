#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(unsafe_code)]
#![deny(missing_docs)]

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

/// The instruction set the loss kernels run with on this CPU: `"avx512"`,
/// `"avx2+fma"` or `"baseline"` (what the build target enables: SSE2 on
/// default x86-64).
///
/// The kernels are compiled for each level and the best one the CPU supports
/// is chosen at run time, so no `-C target-cpu` flag is needed. Setting the
/// environment variable `NDLOSS_SIMD` to `baseline` or `avx2` before the
/// first loss call caps the level (for comparing or testing the paths).
/// The detection runs once per process, on the first kernel call or on the
/// first call of this function: call it at start-up to keep that one-time
/// work (an environment lookup) out of a real-time loop.
///
/// # Examples
///
/// ```
/// let level = ndloss::simd_level();
/// assert!(["avx512", "avx2+fma", "baseline"].contains(&level));
/// ```
pub fn simd_level() -> &'static str {
    match kernel::simd::level() {
        kernel::simd::Level::Avx512 => "avx512",
        kernel::simd::Level::Avx2 => "avx2+fma",
        kernel::simd::Level::Baseline => "baseline",
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
        Bce, BceWithLogits, CiouLoss, CrossEntropy, DiouLoss, GiouLoss, Hinge, HingeEmbedding,
        Huber, IouLoss, KlDiv, LogCosh, Loss, Mae, Mape, Mse, Msle, MultiMargin, Nll, PoissonNll,
        Quantile, Reduction, SigmoidFocal, SmoothL1, SoftMargin, SquaredHinge, WeightedLoss,
    };
    pub use crate::loss::{CosineEmbedding, GaussianNll, MarginRanking, TripletMargin};
    pub use crate::metrics::{Average, Normalize, PrfOptions, Prfs, ZeroDivision};
    pub use crate::optim::{
        Adadelta, Adagrad, Adam, AdamW, Adamax, Lion, NAdam, Optimizer, ParamGroup, Proximal,
        RAdam, RmsProp, Sgd,
    };
    pub use crate::params::{Params, ParamsMut};
    pub use crate::regularize::{ElasticNet, Regularizer, L1, L2};
}
