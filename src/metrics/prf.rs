//! Precision, recall, F-beta and support, per class and averaged.

use std::collections::BTreeMap;

use ndarray::{Array1, ArrayRef, Ix1};

use super::{check_pair, present_labels, Weights};
use crate::error::{Error, Result};
use crate::float::Float;

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
