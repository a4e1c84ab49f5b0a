//! [`Reduction`], and the one place that says what each reduction divides
//! by: the element-wise, row-wise and class-index drivers all take their
//! denominators from [`denominator`].
//!
//! Below `kernel` and `loss`, which both use it.

use crate::error::{Error, Result};

/// How per-element (or per-sample) losses are combined into one number.
///
/// PyTorch's `reduction='none'` is the separate method [`Loss::unreduced`](crate::loss::Loss::unreduced),
/// because its result is an array rather than a scalar.
///
/// # Examples
///
/// ```
/// use ndarray::array;
/// use ndloss::prelude::*;
///
/// let (p, t) = (array![1.0_f64, 2.0], array![0.0_f64, 0.0]);
/// assert_eq!(Mse::new().forward(&p, &t)?, 2.5); // (1 + 4) / 2
/// assert_eq!(Mse::new().reduction(Reduction::Sum).forward(&p, &t)?, 5.0);
/// # Ok::<(), ndloss::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Reduction {
    /// The mean: PyTorch's default, `'mean'`. Each loss documents its
    /// denominator (the element count, or the sum of the selected weights).
    #[default]
    Mean,
    /// The sum, PyTorch's `'sum'`.
    Sum,
    /// The sum divided by the size of the first axis (the batch):
    /// PyTorch's `KLDivLoss(reduction='batchmean')`, the mathematically
    /// correct KL divergence per sample. Accepted by every loss.
    BatchMean,
}

/// The number a reduced loss is divided by, or `None` for a sum.
///
/// `mean_count` is what [`Reduction::Mean`] divides by: the element count
/// (element-wise losses), the row count (per-row losses), the number or the
/// weight of the counted targets (class-index losses), or `Σ w` (a weighted
/// mean normalised by its weights). [`Reduction::BatchMean`] divides by
/// `batch`, the length of the first axis. A denominator of 0 is
/// [`Error::EmptyReduction`] with `empty` as its reason: a mean over nothing
/// has no value.
#[inline]
pub(crate) fn denominator(
    reduction: Reduction,
    mean_count: f64,
    batch: usize,
    empty: &'static str,
) -> Result<Option<f64>> {
    let n = match reduction {
        Reduction::Sum => return Ok(None),
        Reduction::Mean => mean_count,
        Reduction::BatchMean => batch as f64,
    };
    if n == 0.0 {
        return Err(Error::EmptyReduction { what: empty });
    }
    Ok(Some(n))
}

/// [`denominator`] of a reduction over every element of an array of
/// `shape` (the batch is its first axis; a 0-d array is a batch of one).
#[inline]
pub(crate) fn element_denominator(reduction: Reduction, shape: &[usize]) -> Result<Option<f64>> {
    let count: usize = shape.iter().product();
    let batch = shape.first().copied().unwrap_or(1);
    denominator(reduction, count as f64, batch, "the input is empty")
}

/// `(gradient scale, denominator)` in `A` of a reduction (see
/// [`denominator`]): `(1/d, d)`, or `(1, 1)` for a sum and for an unreduced
/// call (`reduced` false), which divides by nothing and cannot be empty.
#[inline]
pub(crate) fn scale<A: crate::float::Float>(
    reduction: Reduction,
    reduced: bool,
    mean_count: f64,
    batch: usize,
    empty: &'static str,
) -> Result<(A, A)> {
    if !reduced {
        return Ok((A::one(), A::one()));
    }
    Ok(match denominator(reduction, mean_count, batch, empty)? {
        None => (A::one(), A::one()),
        Some(d) => {
            let d = A::from_f64(d);
            (A::one() / d, d)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn denominators() {
        assert_eq!(denominator(Reduction::Sum, 0.0, 0, "x").unwrap(), None);
        assert_eq!(
            denominator(Reduction::Mean, 6.0, 2, "x").unwrap(),
            Some(6.0)
        );
        assert_eq!(
            denominator(Reduction::BatchMean, 6.0, 2, "x").unwrap(),
            Some(2.0)
        );
        assert_eq!(
            denominator(Reduction::Mean, 0.0, 2, "nothing"),
            Err(Error::EmptyReduction { what: "nothing" })
        );
        assert!(denominator(Reduction::BatchMean, 3.0, 0, "x").is_err());
        assert_eq!(
            element_denominator(Reduction::Mean, &[2, 3]).unwrap(),
            Some(6.0)
        );
        assert_eq!(
            element_denominator(Reduction::BatchMean, &[]).unwrap(),
            Some(1.0)
        );
        assert_eq!(
            scale::<f64>(Reduction::Mean, true, 4.0, 1, "x"),
            Ok((0.25, 4.0))
        );
        assert_eq!(
            scale::<f64>(Reduction::BatchMean, true, 4.0, 2, "x"),
            Ok((0.5, 2.0))
        );
        assert_eq!(
            scale::<f32>(Reduction::Sum, true, 4.0, 1, "x"),
            Ok((1.0, 1.0))
        );
        // Unreduced: nothing to divide by, so nothing can be empty.
        assert_eq!(
            scale::<f32>(Reduction::Mean, false, 0.0, 0, "x"),
            Ok((1.0, 1.0))
        );
    }
}
