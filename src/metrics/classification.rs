//! Classification scores from labels and scores: accuracy, top-k accuracy,
//! the confusion matrix and the log-loss.

use std::collections::{BTreeSet, HashMap};

use ndarray::{Array2, ArrayRef, Ix1, Ix2};

use super::{check_pair, present_labels, Weights, WEIGHTS_SUM_TO_ZERO};
use crate::error::{Error, Result};
use crate::float::Float;
use crate::kernel::sum::Compensated;

// Accuracy

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
    let mut sum = Compensated::default();
    for i in 0..n {
        if y_true[i] == y_pred[i] {
            sum.push(w.get(i));
        }
    }
    Ok(A::from_f64(sum.total()))
}

// Top-k accuracy

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

// Confusion matrix

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
/// | `sample_weight` | optional weights, shape `(n,)` |
/// | `labels` | the classes, in row/column order; `None`: the sorted union of the labels present. A label listed twice keeps its *last* position (the earlier row and column stay zero), as in scikit-learn |
/// | `normalize` | `None` for counts, or a [`Normalize`] mode |
///
/// scikit-learn: `confusion_matrix(y_true, y_pred, sample_weight=w, labels=…,
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
/// let sub = confusion_matrix::<f64>(&y_true, &y_pred, None, Some(&[2, 0]), None)?;
/// assert_eq!(sub, array![[2.0, 1.0], [0.0, 2.0]]);
/// # Ok::<(), ndloss::Error>(())
/// ```
pub fn confusion_matrix<A: Float>(
    y_true: &ArrayRef<usize, Ix1>,
    y_pred: &ArrayRef<usize, Ix1>,
    sample_weight: Option<&ArrayRef<A, Ix1>>,
    labels: Option<&[usize]>,
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

// Log loss

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
