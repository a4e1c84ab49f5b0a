//! Evaluation metrics with scikit-learn's semantics: classification scores
//! from class labels, top-k and log-loss from scores and probabilities, and
//! regression scores.
//!
//! | function | scikit-learn 1.9 | inputs |
//! | --- | --- | --- |
//! | [`accuracy`] | `accuracy_score` | labels |
//! | [`accuracy_count`] | `accuracy_score(normalize=False)` | labels |
//! | [`top_k_accuracy`] | `top_k_accuracy_score(labels=range(n_classes))` | labels, scores `(n, n_classes)` |
//! | [`precision_recall_fscore`] | `precision_recall_fscore_support` | labels, [`PrfOptions`] |
//! | [`precision`], [`recall`], [`f1`], [`fbeta`] | `precision_score`, `recall_score`, `f1_score`, `fbeta_score` | labels, [`PrfOptions`] |
//! | [`confusion_matrix`] | `confusion_matrix` | labels, [`Normalize`] |
//! | [`log_loss`] | `log_loss` | labels, probabilities `(n, n_classes)` or `(n, 1)` |
//! | [`r2_score`] | `r2_score` (`force_finite=True`) | targets `(n,)` or `(n, n_outputs)` |
//! | [`mean_squared_error`] | `mean_squared_error` | targets |
//! | [`root_mean_squared_error`] | `root_mean_squared_error` | targets |
//! | [`mean_absolute_error`] | `mean_absolute_error` | targets |
//!
//! Options and results: [`PrfOptions`] ([`Average`], [`ZeroDivision`]) and
//! [`Prfs`] ([`Averaged`]) for precision/recall/F; [`Normalize`] for the
//! confusion matrix; [`Targets`] names the 1-D and 2-D target shapes.
//!
//! Conventions shared by every function:
//!
//! - **Labels** are `usize` values, any set of them (`{3, 7}` is a valid
//!   binary problem). Where a function needs "the classes", it uses the
//!   sorted union of the labels present, as scikit-learn does, unless the
//!   caller passes `labels`.
//! - **Argument order** is the same everywhere: the labels or targets
//!   (`y_true`, then `y_pred` or the scores), `k` for
//!   [`top_k_accuracy`], then `sample_weight`, then the function's own
//!   options (`labels`, `normalize`, [`PrfOptions`]).
//! - **Arguments** are `&ArrayRef`: owned arrays, views and strided slices all
//!   pass as `&a`. Scores, probabilities, targets and weights are `f32` or
//!   `f64` ([`Float`]); the result has that type.
//! - **Accumulation is in `f64`** (compensated sums) and the result is
//!   rounded to `A` once, so an `f32` metric is as accurate as the `f32`
//!   inputs allow (scikit-learn sums `f32` inputs in `f32` for some metrics;
//!   the two agree to ~1e-7).
//! - **Sample weights** are optional, one per sample: `Some(&w)` for an
//!   array `w` (from an `Option<Array1<A>>`, `w.as_deref()`). As in
//!   scikit-learn they may be negative, but must be finite and not all zero;
//!   a weighted mean whose weights sum to zero is an error. Without weights
//!   the float type comes from the result: `accuracy::<f64>(&t, &p, None)`.
//! - **Errors, not warnings**: where scikit-learn raises `ValueError` these
//!   functions return an [`Error`]; where it returns NaN with a warning (the
//!   R² of fewer than two samples) they return
//!   [`Error::EmptyReduction`]. Zero divisions in precision, recall and
//!   F-score follow [`ZeroDivision`] (scikit-learn's `zero_division`).
//!   Nothing panics.
//!
//! Deliberate differences from scikit-learn are listed on each function
//! (and in short: multilabel inputs and `average='samples'` are not
//! supported, labels are integers only, and the `multioutput` option of the
//! regression metrics is fixed to `'uniform_average'`).

use std::collections::BTreeSet;

use ndarray::{ArrayRef, Ix1};

use crate::error::{Error, Result};
use crate::float::Float;
use crate::kernel::sum::Compensated;

mod classification;
mod prf;
mod regression;

/// Checks that `y_pred` has `y_true`'s length and that it is not empty.
fn check_pair(y_true: &ArrayRef<usize, Ix1>, y_pred: &ArrayRef<usize, Ix1>) -> Result<usize> {
    let n = y_true.len();
    if y_pred.len() != n {
        return Err(Error::ShapeMismatch {
            what: "y_pred",
            expected: vec![n],
            found: vec![y_pred.len()],
        });
    }
    if n == 0 {
        return Err(Error::EmptyReduction {
            what: "y_true and y_pred are empty",
        });
    }
    Ok(n)
}

/// Validated sample weights in `f64`: `None` means every weight is 1.
struct Weights(Option<Vec<f64>>);

impl Weights {
    /// Checks length, finiteness and that not all weights are zero
    /// (scikit-learn's `_check_sample_weight`).
    fn new<A: Float>(sample_weight: Option<&ArrayRef<A, Ix1>>, n: usize) -> Result<Self> {
        let Some(w) = sample_weight else {
            return Ok(Self(None));
        };
        if w.len() != n {
            return Err(Error::ShapeMismatch {
                what: "sample_weight",
                expected: vec![n],
                found: vec![w.len()],
            });
        }
        let mut out = Vec::with_capacity(n);
        for (i, &x) in w.iter().enumerate() {
            if !x.is_finite() {
                return Err(Error::InvalidValue {
                    what: "sample_weight",
                    index: vec![i],
                    value: x.to_f64(),
                    expected: "a finite weight",
                });
            }
            out.push(x.to_f64());
        }
        if out.iter().all(|&x| x == 0.0) {
            return Err(Error::EmptyReduction {
                what: "the sample weights are all zero",
            });
        }
        Ok(Self(Some(out)))
    }

    #[inline]
    fn get(&self, i: usize) -> f64 {
        self.0.as_ref().map_or(1.0, |w| w[i])
    }

    /// `Σ wᵢ·xᵢ / Σ wᵢ` over a per-sample value; errors if `Σ wᵢ = 0`.
    fn mean(&self, n: usize, value: impl Fn(usize) -> f64, what: &'static str) -> Result<f64> {
        let (mut num, mut den) = (Compensated::default(), Compensated::default());
        for i in 0..n {
            let w = self.get(i);
            num.push(w * value(i));
            den.push(w);
        }
        let den = den.total();
        if den == 0.0 {
            return Err(Error::EmptyReduction { what });
        }
        Ok(num.total() / den)
    }
}

const WEIGHTS_SUM_TO_ZERO: &str = "the sample weights sum to zero";

/// The sorted, deduplicated union of the labels in `y_true` and `y_pred`.
fn present_labels(y_true: &ArrayRef<usize, Ix1>, y_pred: &ArrayRef<usize, Ix1>) -> Vec<usize> {
    let set: BTreeSet<usize> = y_true.iter().chain(y_pred.iter()).copied().collect();
    set.into_iter().collect()
}

pub use classification::{
    accuracy, accuracy_count, confusion_matrix, log_loss, top_k_accuracy, Normalize,
};
pub use prf::{
    f1, fbeta, precision, precision_recall_fscore, recall, Average, Averaged, PrfOptions, Prfs,
    ZeroDivision,
};
pub use regression::{
    mean_absolute_error, mean_squared_error, r2_score, root_mean_squared_error, Targets,
};
