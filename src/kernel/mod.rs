//! Private drivers every loss and optimizer runs on.
//!
//! A loss supplies its math (a per-element or per-row function); the drivers
//! here own everything else: shape checks, reductions, contiguous fast paths
//! with strided fallbacks, accurate accumulation and vectorisation. Optimise
//! here and every loss inherits it.

pub(crate) mod elementwise;
pub(crate) mod rowwise;
pub(crate) mod simd;
pub(crate) mod softmax;
pub(crate) mod sum;
pub(crate) mod update;

use ndarray::{ArrayRef, Dimension};

use crate::error::{Error, Result};

/// Errors unless `found` has the shape `expected` has.
pub(crate) fn check_same_shape<A, B, D: Dimension>(
    what: &'static str,
    expected: &ArrayRef<A, D>,
    found: &ArrayRef<B, D>,
) -> Result<()> {
    if expected.shape() == found.shape() {
        Ok(())
    } else {
        Err(Error::ShapeMismatch {
            what,
            expected: expected.shape().to_vec(),
            found: found.shape().to_vec(),
        })
    }
}
