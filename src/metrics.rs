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

use std::collections::{BTreeMap, BTreeSet, HashMap};

use ndarray::{Array1, Array2, ArrayRef, ArrayView2, Axis, Dimension, Ix1, Ix2};

use crate::error::{Error, Result};
use crate::float::Float;

// ---------------------------------------------------------------------------
// Shared validation and accumulation
// ---------------------------------------------------------------------------

/// Compensated (Kahan–Babuška–Neumaier) `f64` sum: the error does not grow
/// with the number of terms.
#[derive(Clone, Copy, Default)]
struct Sum {
    sum: f64,
    compensation: f64,
}

impl Sum {
    #[inline]
    fn push(&mut self, x: f64) {
        let t = self.sum + x;
        self.compensation += if self.sum.abs() >= x.abs() {
            (self.sum - t) + x
        } else {
            (x - t) + self.sum
        };
        self.sum = t;
    }

    fn total(self) -> f64 {
        self.sum + self.compensation
    }
}

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
        let (mut num, mut den) = (Sum::default(), Sum::default());
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

// ---------------------------------------------------------------------------
// Accuracy
// ---------------------------------------------------------------------------

/// Accuracy: the (weighted) fraction of samples whose predicted label equals
/// the true label.
///
/// ```text
/// accuracy = Σᵢ wᵢ·[ŷᵢ = yᵢ] / Σᵢ wᵢ          (wᵢ = 1 without weights)
/// ```
///
/// | parameter | meaning |
/// | --- | --- |
/// | `y_true` | true labels, shape `(n,)` |
/// | `y_pred` | predicted labels, shape `(n,)` |
/// | `sample_weight` | optional weights, shape `(n,)`; `None` weighs every sample 1 |
///
/// The float type `A` is that of the weights, or of the result when there
/// are none (write `accuracy::<f64>(…, None)` or annotate the binding).
///
/// scikit-learn: `accuracy_score(y_true, y_pred, sample_weight=w)`.
///
/// # Errors
///
/// [`Error::ShapeMismatch`] if `y_pred` or `sample_weight` does not have
/// `y_true`'s length; [`Error::EmptyReduction`] for empty inputs, all-zero
/// weights, or weights that sum to zero; [`Error::InvalidValue`] for a
/// non-finite weight.
///
/// # Examples
///
/// ```
/// use ndarray::array;
/// use ndloss::metrics::accuracy;
///
/// let (y_true, y_pred) = (array![0_usize, 1, 2, 3], array![0_usize, 2, 1, 3]);
/// assert_eq!(accuracy::<f64>(&y_true, &y_pred, None)?, 0.5);
/// let w = array![1.0_f32, 1.0, 1.0, 5.0];
/// assert_eq!(accuracy(&y_true, &y_pred, Some(&w))?, 0.75); // (1 + 5) / 8
/// # Ok::<(), ndloss::Error>(())
/// ```
pub fn accuracy<A: Float>(
    y_true: &ArrayRef<usize, Ix1>,
    y_pred: &ArrayRef<usize, Ix1>,
    sample_weight: Option<&ArrayRef<A, Ix1>>,
) -> Result<A> {
    let n = check_pair(y_true, y_pred)?;
    let w = Weights::new(sample_weight, n)?;
    let hit = |i: usize| f64::from(u8::from(y_true[i] == y_pred[i]));
    w.mean(n, hit, WEIGHTS_SUM_TO_ZERO).map(A::from_f64)
}

/// The (weighted) number of correctly classified samples.
///
/// ```text
/// count = Σᵢ wᵢ·[ŷᵢ = yᵢ]          (wᵢ = 1 without weights)
/// ```
///
/// Parameters as [`accuracy`].
///
/// scikit-learn: `accuracy_score(y_true, y_pred, normalize=False, sample_weight=w)`.
///
/// # Errors
///
/// As [`accuracy`], except that weights summing to zero are allowed (only
/// all-zero weights are rejected, as scikit-learn does).
///
/// # Examples
///
/// ```
/// use ndarray::array;
/// use ndloss::metrics::accuracy_count;
///
/// let (y_true, y_pred) = (array![0_usize, 1, 2, 3], array![0_usize, 2, 1, 3]);
/// assert_eq!(accuracy_count::<f64>(&y_true, &y_pred, None)?, 2.0);
/// let w = array![0.5_f64, 1.0, 1.0, 2.0];
/// assert_eq!(accuracy_count(&y_true, &y_pred, Some(&w))?, 2.5);
/// # Ok::<(), ndloss::Error>(())
/// ```
pub fn accuracy_count<A: Float>(
    y_true: &ArrayRef<usize, Ix1>,
    y_pred: &ArrayRef<usize, Ix1>,
    sample_weight: Option<&ArrayRef<A, Ix1>>,
) -> Result<A> {
    let n = check_pair(y_true, y_pred)?;
    let w = Weights::new(sample_weight, n)?;
    let mut sum = Sum::default();
    for i in 0..n {
        if y_true[i] == y_pred[i] {
            sum.push(w.get(i));
        }
    }
    Ok(A::from_f64(sum.total()))
}

// ---------------------------------------------------------------------------
// Top-k accuracy
// ---------------------------------------------------------------------------

/// Top-k accuracy: the (weighted) fraction of samples whose true class is
/// among the `k` highest-scored classes.
///
/// ```text
/// rankᵢ = #{ j : sᵢⱼ > sᵢ,yᵢ  or  (sᵢⱼ = sᵢ,yᵢ and j > yᵢ) }     (0 = top)
/// top-k = Σᵢ wᵢ·[rankᵢ < k] / Σᵢ wᵢ
/// ```
///
/// `y_true[i]` is the column of `y_score` holding the true class's score:
/// this is scikit-learn's `top_k_accuracy_score` with
/// `labels=range(n_classes)`.
///
/// **Ties** are broken exactly as scikit-learn does (it ranks with a stable
/// ascending `argsort` and reverses it): among equal scores, the class with
/// the *higher* column index ranks first. So with scores `[0.2, 0.2, 0.2,
/// 0.4]` and true class 0, the rank is 3 (classes 3, 2, 1 come first) and
/// only `k ≥ 4` counts a hit.
///
/// **One column** (`y_score` of shape `(n, 1)`): the score of class 1 in a
/// binary problem, scikit-learn's 1-D `y_score` path. Then `y_true` must be
/// 0 or 1; for `k = 1` the prediction is `s > 0.5` if every score lies in
/// `[0, 1]` (probabilities) and `s > 0` otherwise (decision values); for
/// `k ≥ 2` every sample is a hit. With two or more columns the ranking rule
/// above applies (scikit-learn rejects 2-column scores for binary `y_true`;
/// here a tie `[0.5, 0.5]` predicts class 1).
///
/// | parameter | meaning |
/// | --- | --- |
/// | `y_true` | true class indices, shape `(n,)`, each `< n_classes` |
/// | `y_score` | scores (probabilities or decision values), shape `(n, n_classes)` |
/// | `k` | number of top classes that count, `≥ 1` (scikit-learn's default is 2); `k ≥ n_classes` gives 1 |
/// | `sample_weight` | optional weights, shape `(n,)` |
///
/// scikit-learn: `top_k_accuracy_score(y_true, y_score, k=k, labels=range(n_classes), sample_weight=w)`.
///
/// # Errors
///
/// [`Error::InvalidHyperparameter`] for `k = 0`; [`Error::ShapeMismatch`] if
/// `y_score` does not have one row per sample or `sample_weight` is not of
/// length `n`; [`Error::ClassOutOfRange`] for a true class `≥ n_classes`
/// (`≥ 2` with one column); [`Error::InvalidValue`] for a non-finite score
/// or weight; [`Error::EmptyReduction`] for empty inputs, all-zero weights,
/// or weights that sum to zero.
///
/// # Examples
///
/// ```
/// use ndarray::array;
/// use ndloss::metrics::top_k_accuracy;
///
/// let y_true = array![0_usize, 1, 2, 2];
/// let y_score = array![
///     [0.5_f64, 0.2, 0.2], // 0 is in the top 2
///     [0.3, 0.4, 0.2],     // 1 is in the top 2
///     [0.2, 0.4, 0.3],     // 2 is in the top 2
///     [0.7, 0.2, 0.1],     // 2 is not
/// ];
/// assert_eq!(top_k_accuracy(&y_true, &y_score, 2, None)?, 0.75);
/// // Ties: the higher class index ranks first.
/// let tied = array![[0.2_f64, 0.2, 0.2, 0.4]];
/// assert_eq!(top_k_accuracy(&array![2_usize], &tied, 2, None)?, 1.0);
/// assert_eq!(top_k_accuracy(&array![0_usize], &tied, 3, None)?, 0.0);
/// # Ok::<(), ndloss::Error>(())
/// ```
pub fn top_k_accuracy<A: Float>(
    y_true: &ArrayRef<usize, Ix1>,
    y_score: &ArrayRef<A, Ix2>,
    k: usize,
    sample_weight: Option<&ArrayRef<A, Ix1>>,
) -> Result<A> {
    if k == 0 {
        return Err(Error::InvalidHyperparameter {
            name: "k",
            value: 0.0,
            expected: "k ≥ 1",
        });
    }
    let n = y_true.len();
    let (rows, cols) = y_score.dim();
    if rows != n {
        return Err(Error::ShapeMismatch {
            what: "y_score",
            expected: vec![n, cols],
            found: vec![rows, cols],
        });
    }
    if n == 0 {
        return Err(Error::EmptyReduction {
            what: "y_true and y_score are empty",
        });
    }
    for ((i, j), &s) in y_score.indexed_iter() {
        if !s.is_finite() {
            return Err(Error::InvalidValue {
                what: "y_score",
                index: vec![i, j],
                value: s.to_f64(),
                expected: "a finite score",
            });
        }
    }
    // One column scores class 1 of a binary problem.
    let num_classes = if cols == 1 { 2 } else { cols };
    for (i, &c) in y_true.iter().enumerate() {
        if c >= num_classes {
            return Err(Error::ClassOutOfRange {
                sample: i,
                class: c,
                num_classes,
            });
        }
    }
    let w = Weights::new(sample_weight, n)?;
    let hits: Vec<bool> = if cols == 1 {
        let column = y_score.column(0);
        if k == 1 {
            let probabilities = column.iter().all(|&s| s >= A::zero() && s <= A::one());
            let threshold = if probabilities {
                A::from_f64(0.5)
            } else {
                A::zero()
            };
            (0..n)
                .map(|i| usize::from(column[i] > threshold) == y_true[i])
                .collect()
        } else {
            vec![true; n]
        }
    } else {
        (0..n)
            .map(|i| {
                let row = y_score.row(i);
                let c = y_true[i];
                let s = row[c];
                let rank = row
                    .iter()
                    .enumerate()
                    .filter(|&(j, &x)| x > s || (x == s && j > c))
                    .count();
                rank < k
            })
            .collect()
    };
    w.mean(n, |i| f64::from(u8::from(hits[i])), WEIGHTS_SUM_TO_ZERO)
        .map(A::from_f64)
}

// ---------------------------------------------------------------------------
// Precision, recall, F-score
// ---------------------------------------------------------------------------

/// How [`precision_recall_fscore`] combines the per-class scores
/// (scikit-learn's `average`).
///
/// scikit-learn's `'samples'` averages over the samples of a *multilabel*
/// problem; multilabel inputs are not supported, so it has no counterpart.
///
/// # Examples
///
/// ```
/// use ndarray::array;
/// use ndloss::metrics::{recall, Average, PrfOptions};
///
/// // Class 0: recall 1/1; class 1: 1/3.
/// let (y_true, y_pred) = (array![0_usize, 1, 1, 1], array![0_usize, 1, 0, 0]);
/// let r = |average| recall::<f64>(&y_true, &y_pred, None, &PrfOptions::new().average(average));
/// assert_eq!(r(Average::Binary { pos_label: 1 })?, 1.0 / 3.0);
/// assert_eq!(r(Average::Binary { pos_label: 0 })?, 1.0);
/// assert_eq!(r(Average::Micro)?, 0.5); // 2 of 4 samples
/// assert_eq!(r(Average::Macro)?, (1.0 + 1.0 / 3.0) / 2.0);
/// assert_eq!(r(Average::Weighted)?, 0.5); // (1·1 + 3·1/3) / 4
/// assert_eq!(Average::default(), Average::Binary { pos_label: 1 });
/// # Ok::<(), ndloss::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Average {
    /// Binary problems: the scores of class `pos_label` only (`average='binary'`,
    /// the default, with `pos_label=1`). `y_true` and `y_pred` together may
    /// hold at most two distinct labels; the `labels` option is ignored, as in
    /// scikit-learn.
    Binary {
        /// The positive class.
        pos_label: usize,
    },
    /// Global counts: `Σtp / Σ(tp + fp)` etc. over the selected labels (`'micro'`).
    Micro,
    /// Unweighted mean of the per-class scores (`'macro'`); NaN scores are
    /// left out of the mean.
    Macro,
    /// Mean of the per-class scores weighted by their support (`'weighted'`);
    /// NaN scores are left out, and if the remaining supports sum to zero the
    /// unweighted mean is used.
    Weighted,
    /// No average: per-class scores only (`average=None`).
    None,
}

impl Default for Average {
    /// `Binary { pos_label: 1 }`, scikit-learn's default.
    fn default() -> Self {
        Average::Binary { pos_label: 1 }
    }
}

/// The value of a precision, recall or F-score whose denominator is zero
/// (scikit-learn's `zero_division`).
///
/// # Examples
///
/// ```
/// use ndarray::array;
/// use ndloss::metrics::{precision, PrfOptions, ZeroDivision};
///
/// // Class 1 is never predicted: its precision is 0/0.
/// let (y_true, y_pred) = (array![0_usize, 1, 1], array![0_usize, 0, 0]);
/// let p = |zd| precision::<f64>(&y_true, &y_pred, None, &PrfOptions::new().zero_division(zd));
/// assert_eq!(p(ZeroDivision::Zero)?, 0.0);
/// assert_eq!(p(ZeroDivision::One)?, 1.0);
/// assert!(p(ZeroDivision::Nan)?.is_nan());
/// # Ok::<(), ndloss::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ZeroDivision {
    /// 0: scikit-learn's `0` and its default `'warn'` (which also warns).
    #[default]
    Zero,
    /// 1: scikit-learn's `1`.
    One,
    /// NaN: scikit-learn's `np.nan`. NaN per-class scores are left out of
    /// the macro and weighted averages; the average is NaN only if every
    /// class is.
    Nan,
}

impl ZeroDivision {
    fn value(self) -> f64 {
        match self {
            ZeroDivision::Zero => 0.0,
            ZeroDivision::One => 1.0,
            ZeroDivision::Nan => f64::NAN,
        }
    }
}

/// Options of [`precision_recall_fscore`] and its convenience functions.
///
/// | option | default | scikit-learn |
/// | --- | --- | --- |
/// | `beta` | 1 | `beta`: weight of recall in the F-score, `≥ 0`; `0` gives precision, `∞` recall |
/// | `average` | [`Average::Binary`] `{ pos_label: 1 }` | `average` and `pos_label` |
/// | `labels` | `None`: sorted union of the labels in `y_true` and `y_pred` | `labels`: the classes to score, in this order; may include absent labels and leave out present ones |
/// | `zero_division` | [`ZeroDivision::Zero`] | `zero_division` (`'warn'` is `Zero` without the warning) |
///
/// # Examples
///
/// ```
/// use ndloss::metrics::{Average, PrfOptions, ZeroDivision};
///
/// let options = PrfOptions::new()
///     .beta(0.5)
///     .average(Average::Macro)
///     .labels(vec![0, 1, 2])
///     .zero_division(ZeroDivision::Nan);
/// assert_eq!(options.get_beta(), 0.5);
/// assert_eq!(options.get_labels(), Some(&[0, 1, 2][..]));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct PrfOptions {
    beta: f64,
    average: Average,
    labels: Option<Vec<usize>>,
    zero_division: ZeroDivision,
}

impl Default for PrfOptions {
    fn default() -> Self {
        Self {
            beta: 1.0,
            average: Average::default(),
            labels: None,
            zero_division: ZeroDivision::default(),
        }
    }
}

impl PrfOptions {
    /// scikit-learn's defaults: `beta = 1`, binary average with `pos_label = 1`,
    /// labels from the data, zero divisions give 0.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets β, the weight of recall in the F-score (default 1). Checked when
    /// a metric is computed: β must be `≥ 0` (`f64::INFINITY` is allowed).
    #[must_use]
    pub fn beta(mut self, beta: f64) -> Self {
        self.beta = beta;
        self
    }

    /// Sets the averaging mode (default [`Average::Binary`] `{ pos_label: 1 }`).
    #[must_use]
    pub fn average(mut self, average: Average) -> Self {
        self.average = average;
        self
    }

    /// Sets the labels to score, in the order of the per-class results
    /// (default: the sorted union of the labels present). Ignored by
    /// [`Average::Binary`].
    #[must_use]
    pub fn labels(mut self, labels: impl Into<Vec<usize>>) -> Self {
        self.labels = Some(labels.into());
        self
    }

    /// Sets the value of a score whose denominator is zero (default
    /// [`ZeroDivision::Zero`]).
    #[must_use]
    pub fn zero_division(mut self, zero_division: ZeroDivision) -> Self {
        self.zero_division = zero_division;
        self
    }

    /// β.
    pub fn get_beta(&self) -> f64 {
        self.beta
    }

    /// The averaging mode.
    pub fn get_average(&self) -> Average {
        self.average
    }

    /// The labels option (`None`: from the data).
    pub fn get_labels(&self) -> Option<&[usize]> {
        self.labels.as_deref()
    }

    /// The zero-division value.
    pub fn get_zero_division(&self) -> ZeroDivision {
        self.zero_division
    }
}

/// Averaged precision, recall and F-score: the `average` field of [`Prfs`].
///
/// # Examples
///
/// ```
/// use ndarray::array;
/// use ndloss::metrics::{precision_recall_fscore, Average, Averaged, PrfOptions};
///
/// let (y_true, y_pred) = (array![0_usize, 1, 1, 0], array![0_usize, 1, 0, 0]);
/// let options = PrfOptions::new().average(Average::Micro);
/// let avg = precision_recall_fscore::<f64>(&y_true, &y_pred, None, &options)?.average;
/// let all = 0.75; // micro averages of single-label data all equal the accuracy
/// assert_eq!(avg, Some(Averaged { precision: all, recall: all, fscore: all }));
/// # Ok::<(), ndloss::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Averaged<A> {
    /// Averaged precision.
    pub precision: A,
    /// Averaged recall.
    pub recall: A,
    /// Averaged F-beta score.
    pub fscore: A,
}

/// The result of [`precision_recall_fscore`]: per-class scores, and their
/// average unless the options asked for [`Average::None`].
///
/// The per-class arrays are always filled (scikit-learn returns them only for
/// `average=None`); entry `c` belongs to `labels[c]`.
///
/// # Examples
///
/// ```
/// use ndarray::array;
/// use ndloss::metrics::{precision_recall_fscore, Average, PrfOptions};
///
/// let (y_true, y_pred) = (array![0_usize, 1, 1, 2], array![0_usize, 1, 0, 0]);
/// let options = PrfOptions::new().average(Average::Macro).labels(vec![1, 2]);
/// let prfs = precision_recall_fscore::<f32>(&y_true, &y_pred, None, &options)?;
/// assert_eq!(prfs.labels, vec![1, 2]);
/// assert_eq!(prfs.precision, array![1.0, 0.0]); // label 2: never predicted, 0/0 → 0
/// assert_eq!(prfs.recall, array![0.5, 0.0]);
/// assert_eq!(prfs.support, array![2.0, 1.0]);
/// assert_eq!(prfs.average.map(|a| a.recall), Some(0.25));
/// # Ok::<(), ndloss::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Prfs<A> {
    /// The labels scored, in the order of the per-class arrays: the `labels`
    /// option, the sorted labels present, or `[pos_label]` for
    /// [`Average::Binary`].
    pub labels: Vec<usize>,
    /// Per-class precision `tp / (tp + fp)`.
    pub precision: Array1<A>,
    /// Per-class recall `tp / (tp + fn)`.
    pub recall: Array1<A>,
    /// Per-class F-beta score.
    pub fscore: Array1<A>,
    /// Per-class support: the (weighted) number of samples of that true class.
    pub support: Array1<A>,
    /// The average the options asked for; `None` for [`Average::None`].
    pub average: Option<Averaged<A>>,
}

/// `num / den`, or the zero-division value when `den = 0`.
#[inline]
fn divide(num: f64, den: f64, zero_division: ZeroDivision) -> f64 {
    if den == 0.0 {
        zero_division.value()
    } else {
        num / den
    }
}

/// Precision, recall and F-beta from counts, as scikit-learn computes them.
fn prf_from_counts(
    tp: f64,
    pred: f64,
    truth: f64,
    beta: f64,
    zero_division: ZeroDivision,
) -> (f64, f64, f64) {
    let p = divide(tp, pred, zero_division);
    let r = divide(tp, truth, zero_division);
    let f = if beta == f64::INFINITY {
        r
    } else if beta == 0.0 {
        p
    } else {
        let b2 = beta * beta;
        divide((1.0 + b2) * tp, b2 * truth + pred, zero_division)
    };
    (p, r, f)
}

/// scikit-learn's `_nanaverage`: the (weighted) mean of the non-NaN entries;
/// NaN if every entry is NaN; unweighted if the remaining weights sum to 0.
fn nan_average(values: &[f64], weights: Option<&[f64]>) -> f64 {
    let kept: Vec<usize> = (0..values.len()).filter(|&c| !values[c].is_nan()).collect();
    if kept.is_empty() {
        return f64::NAN;
    }
    let unweighted = || kept.iter().map(|&c| values[c]).sum::<f64>() / kept.len() as f64;
    match weights {
        None => unweighted(),
        Some(w) => {
            let den: f64 = kept.iter().map(|&c| w[c]).sum();
            if den == 0.0 {
                unweighted()
            } else {
                kept.iter().map(|&c| w[c] * values[c]).sum::<f64>() / den
            }
        }
    }
}

/// Precision, recall, F-beta score and support, per class and averaged.
///
/// ```text
/// precision = tp / (tp + fp)        recall = tp / (tp + fn)
/// Fβ        = (1 + β²)·tp / (β²·(tp + fn) + tp + fp)
/// ```
///
/// Counts are per class, one-vs-rest, and weighted by `sample_weight`
/// (`tp` of class `c` is `Σ wᵢ` over samples with `yᵢ = ŷᵢ = c`). Fβ is
/// computed from the counts, as scikit-learn does, not from precision and
/// recall: it is 0 when `tp = 0` but `fp + fn > 0`, and takes the
/// [`ZeroDivision`] value only when its own denominator is zero (no true and
/// no predicted sample of the class). `β = 0` gives the precision and
/// `β = ∞` the recall, including their zero-division values.
///
/// | parameter | meaning |
/// | --- | --- |
/// | `y_true` | true labels, shape `(n,)` |
/// | `y_pred` | predicted labels, shape `(n,)` |
/// | `sample_weight` | optional weights, shape `(n,)` |
/// | `options` | β, [`Average`], labels, [`ZeroDivision`]: see [`PrfOptions`] |
///
/// Labels of `y_true`/`y_pred` that are not in the `labels` option are
/// ignored (they count neither as a true nor as a predicted sample of a
/// scored class, except as the `fn`/`fp` of the scored class they are paired
/// with).
///
/// scikit-learn: `precision_recall_fscore_support(y_true, y_pred, beta=β,
/// labels=…, pos_label=…, average=…, sample_weight=w, zero_division=…)`.
/// Differences: multilabel inputs and `average='samples'` are not supported;
/// an empty `labels` list is an error (scikit-learn returns NaN or empty
/// arrays); the per-class arrays are returned for every average.
///
/// # Errors
///
/// [`Error::ShapeMismatch`] if `y_pred` or `sample_weight` does not have
/// `y_true`'s length; [`Error::EmptyReduction`] for empty inputs or all-zero
/// weights; [`Error::InvalidValue`] for a non-finite weight;
/// [`Error::InvalidHyperparameter`] for `β < 0` or NaN (`"beta"`), an empty
/// `labels` list (`"labels"`), [`Average::Binary`] with more than two labels
/// present (`"average"`), or a `pos_label` absent from data that holds two
/// labels (`"pos_label"`).
///
/// # Examples
///
/// scikit-learn's documentation example:
///
/// ```
/// use ndarray::array;
/// use ndloss::metrics::{precision_recall_fscore, Average, PrfOptions};
///
/// let y_true = array![0_usize, 1, 2, 2, 1, 0, 2];
/// let y_pred = array![0_usize, 2, 2, 2, 0, 0, 1];
/// let per_class = precision_recall_fscore::<f64>(
///     &y_true,
///     &y_pred,
///     None,
///     &PrfOptions::new().average(Average::None),
/// )?;
/// assert_eq!(per_class.labels, vec![0, 1, 2]);
/// assert_eq!(per_class.recall, array![1.0, 0.0, 2.0 / 3.0]);
/// assert_eq!(per_class.support, array![2.0, 2.0, 3.0]);
/// assert_eq!(per_class.average, None);
///
/// let macro_avg = precision_recall_fscore::<f64>(
///     &y_true,
///     &y_pred,
///     None,
///     &PrfOptions::new().average(Average::Macro),
/// )?
/// .average
/// .expect("averaged");
/// assert!((macro_avg.precision - 4.0 / 9.0).abs() < 1e-15);
/// assert!((macro_avg.fscore - 0.488_888_888_888_888_9).abs() < 1e-15);
/// # Ok::<(), ndloss::Error>(())
/// ```
pub fn precision_recall_fscore<A: Float>(
    y_true: &ArrayRef<usize, Ix1>,
    y_pred: &ArrayRef<usize, Ix1>,
    sample_weight: Option<&ArrayRef<A, Ix1>>,
    options: &PrfOptions,
) -> Result<Prfs<A>> {
    let beta = options.beta;
    if beta.is_nan() || beta < 0.0 {
        return Err(Error::InvalidHyperparameter {
            name: "beta",
            value: beta,
            expected: "β ≥ 0 (∞ allowed)",
        });
    }
    let n = check_pair(y_true, y_pred)?;
    let present = present_labels(y_true, y_pred);
    let labels: Vec<usize> = match options.average {
        Average::Binary { pos_label } => {
            if present.len() > 2 {
                return Err(Error::InvalidHyperparameter {
                    name: "average",
                    value: present.len() as f64,
                    expected: "at most two distinct labels in y_true and y_pred for \
                               Average::Binary (multiclass data needs Micro, Macro, \
                               Weighted or None)",
                });
            }
            if present.len() == 2 && !present.contains(&pos_label) {
                return Err(Error::InvalidHyperparameter {
                    name: "pos_label",
                    value: pos_label as f64,
                    expected: "one of the two labels present in y_true and y_pred",
                });
            }
            vec![pos_label]
        }
        _ => match &options.labels {
            Some(l) => l.clone(),
            None => present,
        },
    };
    if labels.is_empty() {
        return Err(Error::InvalidHyperparameter {
            name: "labels",
            value: 0.0,
            expected: "at least one label",
        });
    }
    let w = Weights::new(sample_weight, n)?;

    // [tp, predicted, true] per label present in the data.
    let mut counts: BTreeMap<usize, [f64; 3]> = BTreeMap::new();
    for i in 0..n {
        let wi = w.get(i);
        let (t, p) = (y_true[i], y_pred[i]);
        counts.entry(p).or_default()[1] += wi;
        let ct = counts.entry(t).or_default();
        ct[2] += wi;
        if t == p {
            ct[0] += wi;
        }
    }
    let k = labels.len();
    let (mut tp, mut pred, mut truth) = (vec![0.0; k], vec![0.0; k], vec![0.0; k]);
    for (c, l) in labels.iter().enumerate() {
        if let Some(&[a, b, d]) = counts.get(l) {
            (tp[c], pred[c], truth[c]) = (a, b, d);
        }
    }
    let zd = options.zero_division;
    let (mut ps, mut rs, mut fs) = (vec![0.0; k], vec![0.0; k], vec![0.0; k]);
    for c in 0..k {
        (ps[c], rs[c], fs[c]) = prf_from_counts(tp[c], pred[c], truth[c], beta, zd);
    }
    let average = match options.average {
        Average::None => None,
        Average::Micro => {
            let (p, r, f) = prf_from_counts(
                tp.iter().sum(),
                pred.iter().sum(),
                truth.iter().sum(),
                beta,
                zd,
            );
            Some((p, r, f))
        }
        Average::Binary { .. } | Average::Macro => Some((
            nan_average(&ps, None),
            nan_average(&rs, None),
            nan_average(&fs, None),
        )),
        Average::Weighted => Some((
            nan_average(&ps, Some(&truth)),
            nan_average(&rs, Some(&truth)),
            nan_average(&fs, Some(&truth)),
        )),
    };
    let to_a = |v: &[f64]| v.iter().map(|&x| A::from_f64(x)).collect::<Array1<A>>();
    Ok(Prfs {
        precision: to_a(&ps),
        recall: to_a(&rs),
        fscore: to_a(&fs),
        support: to_a(&truth),
        labels,
        average: average.map(|(p, r, f)| Averaged {
            precision: A::from_f64(p),
            recall: A::from_f64(r),
            fscore: A::from_f64(f),
        }),
    })
}

/// The averaged scores, or the error for `Average::None`.
fn averaged<A: Float>(
    y_true: &ArrayRef<usize, Ix1>,
    y_pred: &ArrayRef<usize, Ix1>,
    sample_weight: Option<&ArrayRef<A, Ix1>>,
    options: &PrfOptions,
) -> Result<Averaged<A>> {
    if options.average == Average::None {
        return Err(Error::InvalidHyperparameter {
            name: "average",
            value: f64::NAN,
            expected: "Binary, Micro, Macro or Weighted for a single score \
                       (per-class scores: precision_recall_fscore with Average::None)",
        });
    }
    let prfs = precision_recall_fscore(y_true, y_pred, sample_weight, options)?;
    prfs.average.ok_or(Error::InvalidHyperparameter {
        name: "average",
        value: f64::NAN,
        expected: "an averaging mode",
    })
}

/// Precision `tp / (tp + fp)`, averaged as `options` says.
///
/// The averaged precision of [`precision_recall_fscore`]; parameters and
/// defaults as there (binary, `pos_label = 1`).
///
/// scikit-learn: `precision_score(y_true, y_pred, labels=…, pos_label=…,
/// average=…, sample_weight=w, zero_division=…)`.
///
/// # Errors
///
/// As [`precision_recall_fscore`], and [`Error::InvalidHyperparameter`]
/// (`"average"`) for [`Average::None`]: per-class scores are the arrays of
/// [`precision_recall_fscore`].
///
/// # Examples
///
/// ```
/// use ndarray::array;
/// use ndloss::metrics::{precision, PrfOptions};
///
/// let (y_true, y_pred) = (array![0_usize, 1, 1, 0, 1], array![1_usize, 1, 0, 0, 1]);
/// let p: f64 = precision(&y_true, &y_pred, None, &PrfOptions::new())?;
/// assert_eq!(p, 2.0 / 3.0); // class 1: tp = 2, fp = 1
/// # Ok::<(), ndloss::Error>(())
/// ```
pub fn precision<A: Float>(
    y_true: &ArrayRef<usize, Ix1>,
    y_pred: &ArrayRef<usize, Ix1>,
    sample_weight: Option<&ArrayRef<A, Ix1>>,
    options: &PrfOptions,
) -> Result<A> {
    averaged(y_true, y_pred, sample_weight, options).map(|a| a.precision)
}

/// Recall `tp / (tp + fn)`, averaged as `options` says.
///
/// The averaged recall of [`precision_recall_fscore`]; parameters and
/// defaults as there.
///
/// scikit-learn: `recall_score(y_true, y_pred, labels=…, pos_label=…,
/// average=…, sample_weight=w, zero_division=…)`.
///
/// # Errors
///
/// As [`precision`].
///
/// # Examples
///
/// ```
/// use ndarray::array;
/// use ndloss::metrics::{recall, Average, PrfOptions};
///
/// let (y_true, y_pred) = (array![0_usize, 1, 2, 0, 1, 2], array![0_usize, 2, 1, 0, 0, 1]);
/// let options = PrfOptions::new().average(Average::Macro);
/// let r: f64 = recall(&y_true, &y_pred, None, &options)?;
/// assert!((r - 1.0 / 3.0).abs() < 1e-15); // (1 + 0 + 0) / 3
/// # Ok::<(), ndloss::Error>(())
/// ```
pub fn recall<A: Float>(
    y_true: &ArrayRef<usize, Ix1>,
    y_pred: &ArrayRef<usize, Ix1>,
    sample_weight: Option<&ArrayRef<A, Ix1>>,
    options: &PrfOptions,
) -> Result<A> {
    averaged(y_true, y_pred, sample_weight, options).map(|a| a.recall)
}

/// F1 score, the harmonic mean of precision and recall, averaged as
/// `options` says.
///
/// ```text
/// F1 = 2·tp / (2·tp + fp + fn)
/// ```
///
/// [`fbeta`] with `β = 1`: `options`' β is ignored; other parameters and
/// defaults as [`precision_recall_fscore`].
///
/// scikit-learn: `f1_score(y_true, y_pred, labels=…, pos_label=…, average=…,
/// sample_weight=w, zero_division=…)`.
///
/// # Errors
///
/// As [`precision`].
///
/// # Examples
///
/// ```
/// use ndarray::array;
/// use ndloss::metrics::{f1, Average, PrfOptions};
///
/// let (y_true, y_pred) = (array![0_usize, 1, 2, 0, 1, 2], array![0_usize, 2, 1, 0, 0, 1]);
/// let micro: f64 = f1(&y_true, &y_pred, None, &PrfOptions::new().average(Average::Micro))?;
/// assert!((micro - 1.0 / 3.0).abs() < 1e-15); // micro-F1 = accuracy
/// # Ok::<(), ndloss::Error>(())
/// ```
pub fn f1<A: Float>(
    y_true: &ArrayRef<usize, Ix1>,
    y_pred: &ArrayRef<usize, Ix1>,
    sample_weight: Option<&ArrayRef<A, Ix1>>,
    options: &PrfOptions,
) -> Result<A> {
    fbeta(y_true, y_pred, 1.0, sample_weight, options)
}

/// F-beta score, averaged as `options` says.
///
/// ```text
/// Fβ = (1 + β²)·tp / (β²·(tp + fn) + tp + fp)
/// ```
///
/// `β < 1` favours precision, `β > 1` recall. The `beta` argument replaces
/// `options`' β; other parameters and defaults as
/// [`precision_recall_fscore`].
///
/// scikit-learn: `fbeta_score(y_true, y_pred, beta=β, labels=…, pos_label=…,
/// average=…, sample_weight=w, zero_division=…)`.
///
/// # Errors
///
/// As [`precision`]; [`Error::InvalidHyperparameter`] (`"beta"`) for
/// `β < 0` or NaN.
///
/// # Examples
///
/// ```
/// use ndarray::array;
/// use ndloss::metrics::{fbeta, PrfOptions};
///
/// let (y_true, y_pred) = (array![0_usize, 1, 1, 0, 1], array![1_usize, 1, 0, 0, 1]);
/// // tp = 2, fp = 1, fn = 1: F2 = 5·2 / (4·3 + 3)
/// let f2: f64 = fbeta(&y_true, &y_pred, 2.0, None, &PrfOptions::new())?;
/// assert!((f2 - 10.0 / 15.0).abs() < 1e-15);
/// # Ok::<(), ndloss::Error>(())
/// ```
pub fn fbeta<A: Float>(
    y_true: &ArrayRef<usize, Ix1>,
    y_pred: &ArrayRef<usize, Ix1>,
    beta: f64,
    sample_weight: Option<&ArrayRef<A, Ix1>>,
    options: &PrfOptions,
) -> Result<A> {
    let options = options.clone().beta(beta);
    averaged(y_true, y_pred, sample_weight, &options).map(|a| a.fscore)
}

// ---------------------------------------------------------------------------
// Confusion matrix
// ---------------------------------------------------------------------------

/// How [`confusion_matrix`] normalizes its counts (scikit-learn's `normalize`).
///
/// # Examples
///
/// ```
/// use ndarray::array;
/// use ndloss::metrics::{confusion_matrix, Normalize};
///
/// let (y_true, y_pred) = (array![0_usize, 0, 1, 1], array![0_usize, 1, 1, 1]);
/// let cm = |n| confusion_matrix::<f64>(&y_true, &y_pred, None, None, Some(n));
/// assert_eq!(cm(Normalize::True)?, array![[0.5, 0.5], [0.0, 1.0]]);
/// assert_eq!(cm(Normalize::Pred)?, array![[1.0, 1.0 / 3.0], [0.0, 2.0 / 3.0]]);
/// assert_eq!(cm(Normalize::All)?, array![[0.25, 0.25], [0.0, 0.5]]);
/// # Ok::<(), ndloss::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Normalize {
    /// Each row (true class) sums to 1: entry `(i, j)` is the fraction of
    /// class `i` predicted as `j` (`'true'`).
    True,
    /// Each column (predicted class) sums to 1 (`'pred'`).
    Pred,
    /// The whole matrix sums to 1 (`'all'`).
    All,
}

/// Confusion matrix: entry `(i, j)` is the (weighted) number of samples of
/// true class `labels[i]` predicted as `labels[j]`.
///
/// ```text
/// Cᵢⱼ = Σₛ wₛ·[yₛ = labels[i] and ŷₛ = labels[j]]
/// Normalize::True: Cᵢⱼ / Σⱼ Cᵢⱼ    Pred: Cᵢⱼ / Σᵢ Cᵢⱼ    All: Cᵢⱼ / Σᵢⱼ Cᵢⱼ
/// ```
///
/// Rows are true labels, columns predicted labels. Samples whose true or
/// predicted label is not in `labels` are left out. Normalizing a row (or
/// column, or matrix) that sums to zero gives zeros, as scikit-learn's
/// `nan_to_num` does (and ±∞, possible only with negative weights, becomes
/// ±`A::MAX`).
///
/// | parameter | meaning |
/// | --- | --- |
/// | `y_true`, `y_pred` | true and predicted labels, shape `(n,)` |
/// | `labels` | the classes, in row/column order; `None`: the sorted union of the labels present. A label listed twice keeps its *last* position (the earlier row and column stay zero), as in scikit-learn |
/// | `sample_weight` | optional weights, shape `(n,)` |
/// | `normalize` | `None` for counts, or a [`Normalize`] mode |
///
/// scikit-learn: `confusion_matrix(y_true, y_pred, labels=…, sample_weight=w,
/// normalize=…)`; the counts are returned as floats of type `A`.
///
/// # Errors
///
/// [`Error::ShapeMismatch`] if `y_pred` or `sample_weight` does not have
/// `y_true`'s length; [`Error::EmptyReduction`] for empty inputs (even with
/// `labels`, as scikit-learn) or all-zero weights; [`Error::InvalidValue`]
/// for a non-finite weight; [`Error::InvalidHyperparameter`] (`"labels"`)
/// for an empty `labels` list or one with no label occurring in `y_true`.
///
/// # Examples
///
/// ```
/// use ndarray::array;
/// use ndloss::metrics::{confusion_matrix, Normalize};
///
/// let y_true = array![2_usize, 0, 2, 2, 0, 1];
/// let y_pred = array![0_usize, 0, 2, 2, 0, 2];
/// let cm = confusion_matrix::<f64>(&y_true, &y_pred, None, None, None)?;
/// assert_eq!(cm, array![[2.0, 0.0, 0.0], [0.0, 0.0, 1.0], [1.0, 0.0, 2.0]]);
///
/// let by_row = confusion_matrix::<f64>(&y_true, &y_pred, None, None, Some(Normalize::True))?;
/// assert_eq!(by_row.row(2), array![1.0 / 3.0, 0.0, 2.0 / 3.0]);
///
/// // Only labels 2 and 0, in that order.
/// let sub = confusion_matrix::<f64>(&y_true, &y_pred, Some(&[2, 0]), None, None)?;
/// assert_eq!(sub, array![[2.0, 1.0], [0.0, 2.0]]);
/// # Ok::<(), ndloss::Error>(())
/// ```
pub fn confusion_matrix<A: Float>(
    y_true: &ArrayRef<usize, Ix1>,
    y_pred: &ArrayRef<usize, Ix1>,
    labels: Option<&[usize]>,
    sample_weight: Option<&ArrayRef<A, Ix1>>,
    normalize: Option<Normalize>,
) -> Result<Array2<A>> {
    let n = check_pair(y_true, y_pred)?;
    let w = Weights::new(sample_weight, n)?;
    let labels: Vec<usize> = match labels {
        None => present_labels(y_true, y_pred),
        Some(l) => {
            if l.is_empty() {
                return Err(Error::InvalidHyperparameter {
                    name: "labels",
                    value: 0.0,
                    expected: "at least one label",
                });
            }
            if !y_true.iter().any(|y| l.contains(y)) {
                return Err(Error::InvalidHyperparameter {
                    name: "labels",
                    value: l.len() as f64,
                    expected: "at least one label that occurs in y_true",
                });
            }
            l.to_vec()
        }
    };
    let k = labels.len();
    // Later duplicates overwrite earlier ones, as scikit-learn's dict does.
    let index: HashMap<usize, usize> = labels.iter().enumerate().map(|(i, &l)| (l, i)).collect();
    let mut cm = Array2::<f64>::zeros((k, k));
    for s in 0..n {
        if let (Some(&i), Some(&j)) = (index.get(&y_true[s]), index.get(&y_pred[s])) {
            cm[[i, j]] += w.get(s);
        }
    }
    match normalize {
        None => {}
        Some(Normalize::True) => {
            for mut row in cm.rows_mut() {
                let s: f64 = row.sum();
                row.mapv_inplace(|x| x / s);
            }
        }
        Some(Normalize::Pred) => {
            for mut col in cm.columns_mut() {
                let s: f64 = col.sum();
                col.mapv_inplace(|x| x / s);
            }
        }
        Some(Normalize::All) => {
            let s: f64 = cm.sum();
            cm.mapv_inplace(|x| x / s);
        }
    }
    Ok(cm.mapv(|x| {
        let x = A::from_f64(x);
        if x.is_nan() {
            A::zero()
        } else if x == A::infinity() {
            A::max_value()
        } else if x == A::neg_infinity() {
            A::min_value()
        } else {
            x
        }
    }))
}

// ---------------------------------------------------------------------------
// Log loss
// ---------------------------------------------------------------------------

/// Log loss (cross-entropy) of predicted class probabilities.
///
/// ```text
/// ℓᵢ = −ln clip(pᵢ,col(yᵢ), ε, 1 − ε)       ε = A::EPSILON
/// log_loss = Σᵢ wᵢ·ℓᵢ / Σᵢ wᵢ
/// ```
///
/// `ε` is the machine epsilon of the probabilities' type (2.22e-16 for
/// `f64`, 1.19e-7 for `f32`), as in scikit-learn ≥ 1.5, so a probability of
/// exactly 0 for the true class costs `−ln ε` (36.04 or 15.94). Rows are
/// **not** renormalised (scikit-learn only warns when they do not sum to 1).
///
/// **Columns** are the classes in sorted order: the sorted distinct values of
/// `labels`, or of `y_true` when `labels` is `None` (scikit-learn's
/// `LabelBinarizer` order). With `y_true = [3, 7, 3]`, column 0 is class 3.
/// **One column** holds the probability of the second (positive) class of a
/// binary problem and is expanded to `[1 − p, p]`.
///
/// | parameter | meaning |
/// | --- | --- |
/// | `y_true` | true labels, shape `(n,)` |
/// | `y_proba` | probabilities in `[0, 1]`, shape `(n, n_classes)` or `(n, 1)` |
/// | `sample_weight` | optional weights, shape `(n,)` |
/// | `labels` | all classes, when `y_true` does not hold every one; order does not matter (sorted) |
///
/// scikit-learn: `log_loss(y_true, y_proba, sample_weight=w, labels=…)`.
///
/// # Errors
///
/// [`Error::ShapeMismatch`] (`"y_proba"`) if `y_proba` does not have one row
/// per sample or its columns do not match the number of classes (2 for one
/// column); [`Error::ShapeMismatch`] (`"sample_weight"`) for weights of the
/// wrong length; [`Error::InvalidValue`] for a probability outside `[0, 1]`
/// or NaN (`"y_proba"`), a label of `y_true` missing from `labels`
/// (`"y_true"`), or a non-finite weight; [`Error::InvalidHyperparameter`]
/// (`"labels"`) if there are fewer than two classes (pass `labels` when
/// `y_true` holds a single class); [`Error::EmptyReduction`] for empty
/// inputs, all-zero weights, or weights that sum to zero.
///
/// # Examples
///
/// ```
/// use ndarray::array;
/// use ndloss::metrics::log_loss;
///
/// // scikit-learn's example, with "ham" = 0 and "spam" = 1.
/// let y_true = array![1_usize, 0, 0, 1];
/// let y_proba = array![[0.1_f64, 0.9], [0.9, 0.1], [0.8, 0.2], [0.35, 0.65]];
/// let loss = log_loss(&y_true, &y_proba, None, None)?;
/// assert!((loss - 0.216_161_874_680_579_1).abs() < 1e-15);
///
/// // One column: P(class 1); an exact 0 for the true class is clipped to ε.
/// let p1 = array![[0.9_f64], [0.0]];
/// let loss = log_loss(&array![1_usize, 1], &p1, None, None::<&[usize]>);
/// assert!(loss.is_err()); // y_true holds one class: pass the labels
/// let loss = log_loss(&array![1_usize, 1], &p1, None, Some(&[0, 1]))?;
/// assert!((loss - (-(0.9_f64.ln()) - f64::EPSILON.ln()) / 2.0).abs() < 1e-12);
/// # Ok::<(), ndloss::Error>(())
/// ```
pub fn log_loss<A: Float>(
    y_true: &ArrayRef<usize, Ix1>,
    y_proba: &ArrayRef<A, Ix2>,
    sample_weight: Option<&ArrayRef<A, Ix1>>,
    labels: Option<&[usize]>,
) -> Result<A> {
    let n = y_true.len();
    let (rows, cols) = y_proba.dim();
    if rows != n {
        return Err(Error::ShapeMismatch {
            what: "y_proba",
            expected: vec![n, cols],
            found: vec![rows, cols],
        });
    }
    if n == 0 {
        return Err(Error::EmptyReduction {
            what: "y_true and y_proba are empty",
        });
    }
    for ((i, j), &p) in y_proba.indexed_iter() {
        if !(p >= A::zero() && p <= A::one()) {
            return Err(Error::InvalidValue {
                what: "y_proba",
                index: vec![i, j],
                value: p.to_f64(),
                expected: "a probability in [0, 1]",
            });
        }
    }
    let w = Weights::new(sample_weight, n)?;
    let classes: Vec<usize> = match labels {
        Some(l) => l
            .iter()
            .copied()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect(),
        None => y_true
            .iter()
            .copied()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect(),
    };
    let mut col_of = Vec::with_capacity(n);
    for (i, y) in y_true.iter().enumerate() {
        match classes.binary_search(y) {
            Ok(c) => col_of.push(c),
            Err(_) => {
                return Err(Error::InvalidValue {
                    what: "y_true",
                    index: vec![i],
                    value: *y as f64,
                    expected: "a label listed in `labels`",
                })
            }
        }
    }
    if classes.len() < 2 {
        return Err(Error::InvalidHyperparameter {
            name: "labels",
            value: classes.len() as f64,
            expected: "at least two classes (pass `labels` when y_true holds a single class)",
        });
    }
    let effective_cols = if cols == 1 { 2 } else { cols };
    if effective_cols != classes.len() {
        return Err(Error::ShapeMismatch {
            what: "y_proba",
            expected: vec![n, classes.len()],
            found: vec![rows, cols],
        });
    }
    let eps = A::epsilon();
    let hi = A::one() - eps;
    let loss = |i: usize| {
        let c = col_of[i];
        let p = if cols == 1 {
            let p1 = y_proba[[i, 0]];
            if c == 1 {
                p1
            } else {
                A::one() - p1
            }
        } else {
            y_proba[[i, c]]
        };
        let p = if p < eps {
            eps
        } else if p > hi {
            hi
        } else {
            p
        };
        -p.to_f64().ln()
    };
    w.mean(n, loss, WEIGHTS_SUM_TO_ZERO).map(A::from_f64)
}

// ---------------------------------------------------------------------------
// Regression
// ---------------------------------------------------------------------------

mod sealed {
    use ndarray::{ArrayRef, ArrayView2, Axis, Ix1, Ix2};

    pub trait AsOutputs: ndarray::Dimension {
        /// The targets as `(n_samples, n_outputs)`.
        fn outputs<A>(a: &ArrayRef<A, Self>) -> ArrayView2<'_, A>;
    }

    impl AsOutputs for Ix1 {
        fn outputs<A>(a: &ArrayRef<A, Ix1>) -> ArrayView2<'_, A> {
            a.view().insert_axis(Axis(1))
        }
    }

    impl AsOutputs for Ix2 {
        fn outputs<A>(a: &ArrayRef<A, Ix2>) -> ArrayView2<'_, A> {
            a.view()
        }
    }
}

/// The dimensions the regression metrics accept: [`Ix1`](type@Ix1) (one
/// output, shape `(n_samples,)`) and [`Ix2`](type@Ix2) (shape
/// `(n_samples, n_outputs)`).
///
/// Sealed: implemented for exactly these two.
///
/// # Examples
///
/// ```
/// use ndarray::{array, Array};
/// use ndloss::metrics::{mean_absolute_error, Targets};
///
/// fn mae<D: Targets>(t: &Array<f64, D>, p: &Array<f64, D>) -> ndloss::Result<f64> {
///     mean_absolute_error(t, p, None)
/// }
/// assert_eq!(mae(&array![1.0, 2.0], &array![1.5, 2.5])?, 0.5);
/// assert_eq!(mae(&array![[1.0, 2.0]], &array![[1.5, 3.0]])?, 0.75);
/// # Ok::<(), ndloss::Error>(())
/// ```
pub trait Targets: Dimension + sealed::AsOutputs {}
impl Targets for Ix1 {}
impl Targets for Ix2 {}

/// Validated regression inputs as `(n_samples, n_outputs)` views.
struct RegressionInputs<'a, A> {
    y_true: ArrayView2<'a, A>,
    y_pred: ArrayView2<'a, A>,
    weights: Weights,
}

fn regression_inputs<'a, A: Float, D: Targets>(
    y_true: &'a ArrayRef<A, D>,
    y_pred: &'a ArrayRef<A, D>,
    sample_weight: Option<&ArrayRef<A, Ix1>>,
) -> Result<RegressionInputs<'a, A>> {
    if y_pred.shape() != y_true.shape() {
        return Err(Error::ShapeMismatch {
            what: "y_pred",
            expected: y_true.shape().to_vec(),
            found: y_pred.shape().to_vec(),
        });
    }
    if y_true.is_empty() {
        return Err(Error::EmptyReduction {
            what: "y_true and y_pred are empty",
        });
    }
    let one_d = y_true.ndim() == 1;
    let (t, p) = (D::outputs(y_true), D::outputs(y_pred));
    for (what, a) in [("y_true", &t), ("y_pred", &p)] {
        for ((i, j), &x) in a.indexed_iter() {
            if !x.is_finite() {
                return Err(Error::InvalidValue {
                    what,
                    index: if one_d { vec![i] } else { vec![i, j] },
                    value: x.to_f64(),
                    expected: "a finite value",
                });
            }
        }
    }
    let weights = Weights::new(sample_weight, t.nrows())?;
    Ok(RegressionInputs {
        y_true: t,
        y_pred: p,
        weights,
    })
}

impl<A: Float> RegressionInputs<'_, A> {
    /// Mean over outputs of `g(weighted mean over samples of f(t, p))`.
    fn per_output_mean(&self, f: impl Fn(f64, f64) -> f64, g: impl Fn(f64) -> f64) -> Result<A> {
        let (n, m) = self.y_true.dim();
        let mut total = 0.0;
        for j in 0..m {
            let (t, p) = (self.y_true.column(j), self.y_pred.column(j));
            let v =
                self.weights
                    .mean(n, |i| f(t[i].to_f64(), p[i].to_f64()), WEIGHTS_SUM_TO_ZERO)?;
            total += g(v);
        }
        Ok(A::from_f64(total / m as f64))
    }
}

/// Mean squared error, averaged uniformly over outputs.
///
/// ```text
/// MSEⱼ = Σᵢ wᵢ·(yᵢⱼ − ŷᵢⱼ)² / Σᵢ wᵢ          MSE = mean over outputs j of MSEⱼ
/// ```
///
/// | parameter | meaning |
/// | --- | --- |
/// | `y_true` | targets, shape `(n,)` or `(n, n_outputs)` |
/// | `y_pred` | predictions, `y_true`'s shape |
/// | `sample_weight` | optional weights, shape `(n,)` |
///
/// scikit-learn: `mean_squared_error(y_true, y_pred, sample_weight=w)`
/// (`multioutput='uniform_average'`). The loss [`Mse`](crate::loss::Mse)
/// computes the same unweighted value with a gradient.
///
/// # Errors
///
/// [`Error::ShapeMismatch`] if `y_pred` is not shaped like `y_true` or
/// `sample_weight` is not of length `n`; [`Error::EmptyReduction`] for an
/// empty input (no samples or no outputs), all-zero weights, or weights that
/// sum to zero; [`Error::InvalidValue`] for a non-finite target, prediction
/// or weight.
///
/// # Examples
///
/// ```
/// use ndarray::array;
/// use ndloss::metrics::mean_squared_error;
///
/// let (y_true, y_pred) = (array![3.0_f64, -0.5, 2.0, 7.0], array![2.5_f64, 0.0, 2.0, 8.0]);
/// assert_eq!(mean_squared_error(&y_true, &y_pred, None)?, 0.375);
/// let y_true = array![[0.5_f64, 1.0], [-1.0, 1.0], [7.0, -6.0]];
/// let y_pred = array![[0.0_f64, 2.0], [-1.0, 2.0], [8.0, -5.0]];
/// assert!((mean_squared_error(&y_true, &y_pred, None)? - 0.708_333_333_333_333_4).abs() < 1e-15);
/// # Ok::<(), ndloss::Error>(())
/// ```
pub fn mean_squared_error<A: Float, D: Targets>(
    y_true: &ArrayRef<A, D>,
    y_pred: &ArrayRef<A, D>,
    sample_weight: Option<&ArrayRef<A, Ix1>>,
) -> Result<A> {
    regression_inputs(y_true, y_pred, sample_weight)?.per_output_mean(
        |t, p| {
            let e = t - p;
            e * e
        },
        |v| v,
    )
}

/// Root mean squared error: the square root of each output's MSE, averaged
/// uniformly over outputs.
///
/// ```text
/// RMSE = mean over outputs j of √MSEⱼ
/// ```
///
/// Parameters as [`mean_squared_error`]. For several outputs this is the
/// mean of the per-output roots, not the root of the mean, as in
/// scikit-learn.
///
/// scikit-learn: `root_mean_squared_error(y_true, y_pred, sample_weight=w)`.
///
/// # Errors
///
/// As [`mean_squared_error`].
///
/// # Examples
///
/// ```
/// use ndarray::array;
/// use ndloss::metrics::root_mean_squared_error;
///
/// let (y_true, y_pred) = (array![3.0_f64, -0.5, 2.0, 7.0], array![2.5_f64, 0.0, 2.0, 8.0]);
/// assert_eq!(root_mean_squared_error(&y_true, &y_pred, None)?, 0.375_f64.sqrt());
/// let y_true = array![[0.0_f64, 0.0], [0.0, 0.0]];
/// let y_pred = array![[1.0_f64, 2.0], [1.0, 2.0]];
/// assert_eq!(root_mean_squared_error(&y_true, &y_pred, None)?, 1.5); // (1 + 2) / 2
/// # Ok::<(), ndloss::Error>(())
/// ```
pub fn root_mean_squared_error<A: Float, D: Targets>(
    y_true: &ArrayRef<A, D>,
    y_pred: &ArrayRef<A, D>,
    sample_weight: Option<&ArrayRef<A, Ix1>>,
) -> Result<A> {
    regression_inputs(y_true, y_pred, sample_weight)?.per_output_mean(
        |t, p| {
            let e = t - p;
            e * e
        },
        f64::sqrt,
    )
}

/// Mean absolute error, averaged uniformly over outputs.
///
/// ```text
/// MAEⱼ = Σᵢ wᵢ·|yᵢⱼ − ŷᵢⱼ| / Σᵢ wᵢ          MAE = mean over outputs j of MAEⱼ
/// ```
///
/// Parameters as [`mean_squared_error`].
///
/// scikit-learn: `mean_absolute_error(y_true, y_pred, sample_weight=w)`
/// (`multioutput='uniform_average'`). The loss [`Mae`](crate::loss::Mae)
/// computes the same unweighted value with a gradient.
///
/// # Errors
///
/// As [`mean_squared_error`].
///
/// # Examples
///
/// ```
/// use ndarray::array;
/// use ndloss::metrics::mean_absolute_error;
///
/// let (y_true, y_pred) = (array![3.0_f64, -0.5, 2.0, 7.0], array![2.5_f64, 0.0, 2.0, 8.0]);
/// assert_eq!(mean_absolute_error(&y_true, &y_pred, None)?, 0.5);
/// let w = array![1.0_f64, 1.0, 1.0, 0.0];
/// assert_eq!(mean_absolute_error(&y_true, &y_pred, Some(&w))?, 1.0 / 3.0);
/// # Ok::<(), ndloss::Error>(())
/// ```
pub fn mean_absolute_error<A: Float, D: Targets>(
    y_true: &ArrayRef<A, D>,
    y_pred: &ArrayRef<A, D>,
    sample_weight: Option<&ArrayRef<A, Ix1>>,
) -> Result<A> {
    regression_inputs(y_true, y_pred, sample_weight)?.per_output_mean(|t, p| (t - p).abs(), |v| v)
}

/// R² (coefficient of determination), averaged uniformly over outputs.
///
/// ```text
/// ȳⱼ   = Σᵢ wᵢ·yᵢⱼ / Σᵢ wᵢ
/// SSresⱼ = Σᵢ wᵢ·(yᵢⱼ − ŷᵢⱼ)²         SStotⱼ = Σᵢ wᵢ·(yᵢⱼ − ȳⱼ)²
/// R²ⱼ  = 1 − SSresⱼ / SStotⱼ           R² = mean over outputs j of R²ⱼ
/// ```
///
/// scikit-learn's `force_finite=True` rules: a perfect prediction
/// (`SSres = 0`) scores 1, also for a constant target; an imperfect
/// prediction of a constant target (`SStot = 0`) scores 0 instead of −∞.
/// A target is constant when all its values with non-zero weight are equal,
/// tested exactly (scikit-learn tests `SStot == 0` after a floating-point
/// mean, so a constant target such as `[0.1, 0.1, 0.1]`, whose mean rounds
/// to 0.10000000000000002, gets a tiny `SStot` and an R² near −10³¹ there;
/// here it scores 0). R² can be negative: a model worse than predicting the
/// mean.
///
/// | parameter | meaning |
/// | --- | --- |
/// | `y_true` | targets, shape `(n,)` or `(n, n_outputs)`, `n ≥ 2` |
/// | `y_pred` | predictions, `y_true`'s shape |
/// | `sample_weight` | optional weights, shape `(n,)` |
///
/// scikit-learn: `r2_score(y_true, y_pred, sample_weight=w)`
/// (`multioutput='uniform_average'`, `force_finite=True`).
///
/// # Errors
///
/// As [`mean_squared_error`], and [`Error::EmptyReduction`] for fewer than
/// two samples, where scikit-learn returns NaN with a warning (R² is not
/// defined for a single sample).
///
/// # Examples
///
/// ```
/// use ndarray::array;
/// use ndloss::metrics::r2_score;
///
/// let (y_true, y_pred) = (array![3.0_f64, -0.5, 2.0, 7.0], array![2.5_f64, 0.0, 2.0, 8.0]);
/// assert!((r2_score(&y_true, &y_pred, None)? - 0.948_608_137_044_967_9).abs() < 1e-15);
/// // Constant targets: 1 if predicted exactly, else 0.
/// let y_const = array![2.0_f64, 2.0, 2.0];
/// assert_eq!(r2_score(&y_const, &y_const, None)?, 1.0);
/// assert_eq!(r2_score(&y_const, &array![2.0_f64, 2.0, 2.5], None)?, 0.0);
/// assert!(r2_score(&array![1.0_f64], &array![1.0_f64], None).is_err());
/// # Ok::<(), ndloss::Error>(())
/// ```
pub fn r2_score<A: Float, D: Targets>(
    y_true: &ArrayRef<A, D>,
    y_pred: &ArrayRef<A, D>,
    sample_weight: Option<&ArrayRef<A, Ix1>>,
) -> Result<A> {
    let inputs = regression_inputs(y_true, y_pred, sample_weight)?;
    let (n, m) = inputs.y_true.dim();
    if n < 2 {
        return Err(Error::EmptyReduction {
            what: "R² needs at least two samples",
        });
    }
    let w = &inputs.weights;
    let mut total = 0.0;
    for (t, p) in inputs
        .y_true
        .axis_iter(Axis(1))
        .zip(inputs.y_pred.axis_iter(Axis(1)))
    {
        let mean = w.mean(n, |i| t[i].to_f64(), WEIGHTS_SUM_TO_ZERO)?;
        let mut first = None;
        let constant = (0..n).filter(|&i| w.get(i) != 0.0).all(|i| {
            let v = t[i];
            *first.get_or_insert(v) == v
        });
        let (mut ss_res, mut ss_tot) = (Sum::default(), Sum::default());
        for i in 0..n {
            let (wi, ti) = (w.get(i), t[i].to_f64());
            let e = ti - p[i].to_f64();
            ss_res.push(wi * (e * e));
            let d = ti - mean;
            ss_tot.push(wi * (d * d));
        }
        let (ss_res, ss_tot) = (ss_res.total(), if constant { 0.0 } else { ss_tot.total() });
        total += if ss_res == 0.0 {
            1.0
        } else if ss_tot == 0.0 {
            0.0
        } else {
            1.0 - ss_res / ss_tot
        };
    }
    Ok(A::from_f64(total / m as f64))
}
