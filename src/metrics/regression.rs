//! Regression scores: R², mean squared, root mean squared and mean absolute
//! error, with one or several outputs.

use ndarray::{ArrayRef, ArrayView2, Axis, Dimension, Ix1, Ix2};

use super::{Weights, WEIGHTS_SUM_TO_ZERO};
use crate::error::{Error, Result};
use crate::float::Float;
use crate::kernel::sum::Compensated;

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
        let (mut ss_res, mut ss_tot) = (Compensated::default(), Compensated::default());
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
