//! What the losses of several inputs share ([`MarginRanking`](super::MarginRanking),
//! [`GaussianNll`](super::GaussianNll), [`CosineEmbedding`](super::CosineEmbedding),
//! [`TripletMargin`](super::TripletMargin)): their reduction builder, PyTorch's
//! `clamp_min(·, 0)` with its subgradient, and the shape error of a 1-D argument.

use crate::error::Error;
use crate::float::Float;

/// `reduction` and `get_reduction`, as every loss has them (the shared
/// `loss_builders!` would also add `regularized`, which needs a [`Loss`](crate::loss::Loss)).
macro_rules! reduction_builder {
    ($name:ident) => {
        impl $name {
            /// Sets how the loss is reduced (default [`Reduction::Mean`]).
            #[must_use]
            pub fn reduction(mut self, reduction: $crate::loss::Reduction) -> Self {
                self.reduction = reduction;
                self
            }

            /// The reduction in use.
            pub fn get_reduction(&self) -> $crate::loss::Reduction {
                self.reduction
            }
        }
    };
}
pub(crate) use reduction_builder;

/// `max(u, 0)` as PyTorch's `clamp_min(u, 0)`: NaN stays NaN, and the
/// gradient passes where `u ≥ 0` (the subgradient 1 at the kink `u = 0`).
/// Returns the value and the factor on `∂u`.
#[inline(always)]
pub(crate) fn clamp_min_zero<A: Float>(u: A) -> (A, A) {
    if u >= A::zero() {
        (u, A::one())
    } else if u < A::zero() {
        (A::zero(), A::zero())
    } else {
        (u, A::zero()) // NaN
    }
}

/// The error for a row-count or shape mismatch of a 1-D argument.
pub(crate) fn shape_error(what: &'static str, expected: &[usize], found: &[usize]) -> Error {
    Error::ShapeMismatch {
        what,
        expected: expected.to_vec(),
        found: found.to_vec(),
    }
}
