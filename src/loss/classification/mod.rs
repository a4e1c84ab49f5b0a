//! Classification losses over a class axis: softmax cross-entropy (from
//! logits or, Keras-style, from probabilities), negative log-likelihood,
//! multi-class margin.
//!
//! The class-axis losses take inputs `(N, C)`, `(N, C, d1, d2, …)` (one class
//! vector per position: segmentation, sequences) or a single sample `(C,)`,
//! with targets shaped like the input without its class axis: class indices
//! (`usize`) or, for cross-entropy, probabilities shaped like the input.
//! Per-element binary losses (`Bce`, `BceWithLogits`) are the
//! [`binary`](crate::loss::binary) family.

use ndarray::{Array, ArrayRef, Axis, Dimension};

use crate::error::{check_hyper, Error, Result};
use crate::float::Float;
use crate::kernel::rowwise::{class_axis, map_lanes, sum_lanes};
use crate::kernel::softmax::count_targets;
use crate::loss::{loss_builders, Loss, Reduction};

/// The `class_weights` builder shared by the class-axis losses (stored as
/// `f64`, validated against C when a call starts).
macro_rules! class_weights_builder {
    ($name:ident, $doc:literal) => {
        #[doc = $doc]
        #[must_use]
        pub fn class_weights<S>(mut self, weights: ndarray::ArrayBase<S, ndarray::Ix1>) -> Self
        where
            S: ndarray::Data,
            S::Elem: $crate::float::Float,
        {
            self.class_weights = Some($crate::loss::to_f64_vec(&weights));
            self
        }

        /// The class weights, as [`class_weights`](Self::class_weights) set them
        /// (in `f64`); `None` without them.
        ///
        /// ```
        /// use ndarray::array;
        ///
        #[doc = concat!("let loss = ndloss::loss::", stringify!($name), "::new().class_weights(array![1.0_f32, 0.5]);")]
        /// assert_eq!(loss.get_class_weights(), Some(&[1.0, 0.5][..]));
        /// ```
        pub fn get_class_weights(&self) -> Option<&[f64]> {
            self.class_weights.as_deref()
        }
    };
}

/// `Loss::forward` and `forward_grad_into` for a class-index loss with a
/// `run(pred, target, grad)` method.
macro_rules! index_forward_methods {
    () => {
        fn forward(
            &self,
            pred: &ArrayRef<A, D>,
            target: &ArrayRef<usize, D::Smaller>,
        ) -> Result<A> {
            self.run(pred, target, None)
        }

        fn forward_grad_into(
            &self,
            pred: &ArrayRef<A, D>,
            target: &ArrayRef<usize, D::Smaller>,
            grad: &mut ArrayRef<A, D>,
        ) -> Result<A> {
            self.run(pred, target, Some(grad))
        }
    };
}

mod categorical;
mod cross_entropy;
pub use categorical::{CategoricalFocal, GeneralizedCrossEntropy, PolyLoss, Sparsemax};
pub use cross_entropy::CrossEntropy;

/// Class weights, ignore index and reduction: what cross-entropy and NLL share.
struct ClassOptions<'w> {
    weights: Option<&'w [f64]>,
    ignore: Option<usize>,
    reduction: Reduction,
}

/// Every class weight finite and ≥ 0 (their count is checked against C by a call).
fn check_weight_values(weights: Option<&[f64]>) -> Result<()> {
    for &v in weights.unwrap_or_default() {
        check_hyper(
            "class_weights",
            v,
            v.is_finite() && v >= 0.0,
            "finite weights >= 0",
        )?;
    }
    Ok(())
}

impl ClassOptions<'_> {
    fn check_weights(&self, classes: usize) -> Result<()> {
        if let Some(w) = self.weights {
            if w.len() != classes {
                return Err(Error::ShapeMismatch {
                    what: "class_weights",
                    expected: vec![classes],
                    found: vec![w.len()],
                });
            }
        }
        check_weight_values(self.weights)
    }

    fn weight<A: Float>(&self, c: usize) -> A {
        self.weights.map_or(A::one(), |w| A::from_f64(w[c]))
    }

    /// Checks the shapes and every class index (before anything is written)
    /// and returns `(gradient scale, denominator)` of the reduction.
    fn check_indices<A: Float, D: Dimension>(
        &self,
        pred: &ArrayRef<A, D>,
        targets: &ArrayRef<usize, D::Smaller>,
        grad: Option<&ArrayRef<A, D>>,
        reduced: bool,
    ) -> Result<(Axis, A, A)> {
        let axis = check_class_input(pred, grad)?;
        let mut expected = pred
            .shape()
            .iter()
            .enumerate()
            .filter(|&(i, _)| i != axis.index());
        let same = targets.ndim() + 1 == pred.ndim()
            && targets
                .shape()
                .iter()
                .all(|&d| expected.next().map(|(_, &e)| e) == Some(d));
        if !same {
            return Err(Error::ShapeMismatch {
                what: "target",
                expected: sample_shape(pred.shape(), axis),
                found: targets.shape().to_vec(),
            });
        }
        let classes = pred.len_of(axis);
        self.check_weights(classes)?;
        // Σ weights of the counted targets, or the first out of range.
        let checked_total = || {
            let mut total = 0.0;
            for (sample, &class) in targets.iter().enumerate() {
                if Some(class) == self.ignore {
                    continue;
                }
                if class >= classes {
                    return Err(Error::ClassOutOfRange {
                        sample,
                        class,
                        num_classes: classes,
                    });
                }
                total += self.weights.map_or(1.0, |w| w[class]);
            }
            Ok(total)
        };
        let total = match (targets.as_slice(), self.weights) {
            // Contiguous, unweighted: a vectorised count; the loop above
            // only to name the first bad target.
            (Some(targets), None) => {
                let (counted, bad) = count_targets(targets, self.ignore, classes);
                if bad {
                    checked_total()?;
                }
                counted as f64
            }
            _ => checked_total()?,
        };
        let batch = pred.shape()[0];
        let (scale, denominator) = crate::reduction::scale(
            self.reduction,
            reduced,
            total,
            batch,
            "every target is ignored or has weight 0",
        )?;
        Ok((axis, scale, denominator))
    }
}

/// The class axis of `pred`, after checking `pred` has one and `grad` its shape.
fn check_class_input<A, D: Dimension>(
    pred: &ArrayRef<A, D>,
    grad: Option<&ArrayRef<A, D>>,
) -> Result<Axis> {
    if pred.ndim() == 0 {
        return Err(Error::ShapeMismatch {
            what: "prediction (needs a class axis)",
            expected: vec![0],
            found: vec![],
        });
    }
    if let Some(g) = grad {
        crate::kernel::check_same_shape("gradient buffer", pred, g)?;
    }
    Ok(class_axis(pred.ndim()))
}

/// `shape` without `axis`.
fn sample_shape(shape: &[usize], axis: Axis) -> Vec<usize> {
    shape
        .iter()
        .enumerate()
        .filter(|&(i, _)| i != axis.index())
        .map(|(_, &d)| d)
        .collect()
}

/// Negative log-likelihood on log-probabilities, PyTorch's `NLLLoss`.
///
/// ```text
/// ℓ = −w_y·x_y         ∂ℓ/∂x_c = −w_y·[c = y]
/// mean: Σ ℓ / Σ w_y   over kept positions
/// ```
///
/// Pair it with a log-softmax you compute yourself; [`CrossEntropy`] fuses
/// both (and is more stable). Inputs and targets as [`CrossEntropy`]'s index
/// mode: `(N, C)`, `(N, C, d1, …)` or `(C,)`.
///
/// | parameter | default | range |
/// | --- | --- | --- |
/// | `reduction` | `Mean` | `Mean`, `Sum`, `BatchMean` |
/// | `class_weights` | none (all 1) | length C, finite, ≥ 0 |
/// | `ignore_index` | none | any `usize` |
///
/// PyTorch: `NLLLoss(weight, ignore_index, reduction)`; the all-ignored mean
/// is an error instead of NaN.
///
/// # Examples
///
/// ```
/// use ndarray::array;
/// use ndloss::prelude::*;
///
/// let logp = array![[0.25_f64.ln(), 0.75_f64.ln()], [0.5_f64.ln(), 0.5_f64.ln()]];
/// let v = Nll::new().forward(&logp, &array![1_usize, 0])?;
/// assert!((v + (0.75_f64.ln() + 0.5_f64.ln()) / 2.0).abs() < 1e-15);
/// # Ok::<(), ndloss::Error>(())
/// ```
///
/// # Errors
///
/// As [`CrossEntropy`]'s index mode.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Nll {
    reduction: Reduction,
    class_weights: Option<Vec<f64>>,
    ignore_index: Option<usize>,
}

impl Nll {
    /// NLL with mean reduction, no weights, nothing ignored.
    pub fn new() -> Self {
        Self::default()
    }

    class_weights_builder!(Nll, "A weight per class (length C), PyTorch's `weight`.");

    /// Positions whose target equals `index` contribute nothing.
    #[must_use]
    pub fn ignore_index(mut self, index: usize) -> Self {
        self.ignore_index = Some(index);
        self
    }

    fn classes(&self) -> ClassOptions<'_> {
        ClassOptions {
            weights: self.class_weights.as_deref(),
            ignore: self.ignore_index,
            reduction: self.reduction,
        }
    }

    fn run<A: Float, D: Dimension>(
        &self,
        pred: &ArrayRef<A, D>,
        target: &ArrayRef<usize, D::Smaller>,
        grad: Option<&mut ArrayRef<A, D>>,
    ) -> Result<A> {
        let opts = self.classes();
        let (axis, scale, denominator) = opts.check_indices(pred, target, grad.as_deref(), true)?;
        let ignore = self.ignore_index;
        let total = sum_lanes(pred, axis, target.view(), grad, |x, &y, g| {
            if let Some(g) = g {
                g.fill(A::zero());
                if Some(y) != ignore {
                    g[y] = -scale * opts.weight::<A>(y);
                }
            }
            if Some(y) == ignore {
                A::zero()
            } else {
                -opts.weight::<A>(y) * x[y]
            }
        });
        Ok(total / denominator)
    }
}
loss_builders!(Nll);

impl<A: Float, D: Dimension> Loss<A, D, usize, D::Smaller> for Nll {
    type Unreduced = D::Smaller;

    index_forward_methods!();

    fn unreduced(
        &self,
        pred: &ArrayRef<A, D>,
        target: &ArrayRef<usize, D::Smaller>,
    ) -> Result<Array<A, D::Smaller>> {
        let opts = self.classes();
        let (axis, _, _) = opts.check_indices(pred, target, None, false)?;
        let ignore = self.ignore_index;
        Ok(map_lanes(pred, axis, target.view(), |x, &y, _| {
            if Some(y) == ignore {
                A::zero()
            } else {
                -opts.weight::<A>(y) * x[y]
            }
        }))
    }
}

/// Multi-class margin (hinge) loss, PyTorch's `MultiMarginLoss`.
///
/// ```text
/// ℓ = w_y · Σ_{c ≠ y} max(0, margin − x_y + x_c)^p / C        p ∈ {1, 2}
/// ```
///
/// The multi-class SVM loss of Weston & Watkins (summed over the violating
/// classes and divided by C, as PyTorch; the Crammer–Singer form of
/// scikit-learn takes the maximum instead). The mean divides by the number of
/// samples (not by the weights).
///
/// | parameter | default | range |
/// | --- | --- | --- |
/// | `p` | 1 | 1 or 2 |
/// | `margin` | 1 | finite |
/// | `class_weights` | none | length C, finite, ≥ 0 |
/// | `reduction` | `Mean` | `Mean`, `Sum`, `BatchMean` |
///
/// # Examples
///
/// ```
/// use ndarray::array;
/// use ndloss::prelude::*;
///
/// let v = MultiMargin::new().forward(&array![[0.1_f64, 0.2, 0.4, 0.8]], &array![3_usize])?;
/// assert!((v - (0.3 + 0.4 + 0.6) / 4.0).abs() < 1e-15);
/// # Ok::<(), ndloss::Error>(())
/// ```
///
/// # Errors
///
/// As [`CrossEntropy`]'s index mode, plus [`Error::InvalidHyperparameter`] for
/// `p` other than 1 or 2 or a non-finite margin.
#[derive(Debug, Clone, PartialEq)]
pub struct MultiMargin {
    reduction: Reduction,
    p: u32,
    margin: f64,
    class_weights: Option<Vec<f64>>,
}

impl Default for MultiMargin {
    fn default() -> Self {
        Self {
            reduction: Reduction::Mean,
            p: 1,
            margin: 1.0,
            class_weights: None,
        }
    }
}

impl MultiMargin {
    /// PyTorch's defaults: `p = 1`, `margin = 1`.
    pub fn new() -> Self {
        Self::default()
    }

    /// The exponent: 1 (hinge) or 2 (squared hinge).
    #[must_use]
    pub fn p(mut self, p: u32) -> Self {
        self.p = p;
        self
    }

    /// The margin (default 1).
    #[must_use]
    pub fn margin(mut self, margin: f64) -> Self {
        self.margin = margin;
        self
    }

    class_weights_builder!(
        MultiMargin,
        "A weight per class, applied by the target's class."
    );

    /// `p` and `margin` (the weights are checked with C).
    fn check_scalars(&self) -> Result<()> {
        check_hyper("p", f64::from(self.p), self.p == 1 || self.p == 2, "1 or 2")?;
        check_hyper(
            "margin",
            self.margin,
            self.margin.is_finite(),
            "a finite value",
        )?;
        Ok(())
    }

    fn opts(&self) -> Result<ClassOptions<'_>> {
        self.check_scalars()?;
        Ok(ClassOptions {
            weights: self.class_weights.as_deref(),
            ignore: None,
            reduction: self.reduction,
        })
    }

    /// One sample: value, and the gradient scaled by `scale` if asked.
    fn row<A: Float>(
        &self,
        opts: &ClassOptions<'_>,
        x: &[A],
        y: usize,
        g: Option<&mut [A]>,
        scale: A,
    ) -> A {
        let c = A::from_usize(x.len());
        let w = opts.weight::<A>(y) / c;
        let margin = A::from_f64(self.margin);
        let squared = self.p == 2;
        let mut value = A::zero();
        let mut g = g;
        if let Some(g) = g.as_deref_mut() {
            g.fill(A::zero());
        }
        let mut dy = A::zero();
        for (k, &xk) in x.iter().enumerate() {
            if k == y {
                continue;
            }
            let z = margin - x[y] + xk;
            if z > A::zero() {
                value = value + if squared { z * z } else { z };
                let d = if squared { z + z } else { A::one() };
                if let Some(g) = g.as_deref_mut() {
                    g[k] = scale * w * d;
                }
                dy = dy + d;
            }
        }
        if let Some(g) = g {
            g[y] = -scale * w * dy;
        }
        w * value
    }

    fn run<A: Float, D: Dimension>(
        &self,
        pred: &ArrayRef<A, D>,
        target: &ArrayRef<usize, D::Smaller>,
        grad: Option<&mut ArrayRef<A, D>>,
    ) -> Result<A> {
        let opts = self.opts()?;
        let (axis, _, _) = opts.check_indices(pred, target, grad.as_deref(), false)?;
        let samples = target.len();
        let (scale, denominator) = crate::reduction::scale(
            self.reduction,
            true,
            samples as f64,
            pred.shape()[0],
            "the batch is empty",
        )?;
        let total = sum_lanes(pred, axis, target.view(), grad, |x, &y, g| {
            self.row(&opts, x, y, g, scale)
        });
        Ok(total / denominator)
    }
}
loss_builders!(MultiMargin);

impl<A: Float, D: Dimension> Loss<A, D, usize, D::Smaller> for MultiMargin {
    type Unreduced = D::Smaller;

    index_forward_methods!();

    fn unreduced(
        &self,
        pred: &ArrayRef<A, D>,
        target: &ArrayRef<usize, D::Smaller>,
    ) -> Result<Array<A, D::Smaller>> {
        let opts = self.opts()?;
        let (axis, _, _) = opts.check_indices(pred, target, None, false)?;
        Ok(map_lanes(pred, axis, target.view(), |x, &y, _| {
            self.row(&opts, x, y, None, A::one())
        }))
    }
}

impl crate::loss::CheckSettings for Nll {
    fn check_settings(&self) -> Result<()> {
        check_weight_values(self.class_weights.as_deref())
    }
}

impl crate::loss::CheckSettings for MultiMargin {
    fn check_settings(&self) -> Result<()> {
        self.check_scalars()?;
        check_weight_values(self.class_weights.as_deref())
    }
}

getters!(Nll = "ndloss::loss::Nll::new()" { get_ignore_index => ignore_index(3): Option<usize> = Some(3) });
getters!(MultiMargin = "ndloss::loss::MultiMargin::new()" {
    get_p => p(2): u32 = 2,
    get_margin => margin(0.5): f64 = 0.5,
});
