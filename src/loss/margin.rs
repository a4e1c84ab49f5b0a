//! Margin losses on scores with ±1 (or 0/1) labels: hinge, squared hinge,
//! soft margin, hinge embedding (all element-wise).

use ndarray::{ArrayRef, Dimension};

use crate::error::{check_hyper, Result};
use crate::float::{softplus_sigmoids, Float};
use crate::kernel::elementwise::{PointMath, WeightedMean};
use crate::loss::{counted_elementwise, elementwise_loss, loss_builders, Elementwise, Reduction};

/// Hinge loss (Keras): `max(0, 1 − y·s)` with labels `±1` (or `0/1`).
///
/// ```text
/// ℓ = max(0, 1 − y·s)         ∂ℓ/∂s = −y where y·s < 1, else 0
/// ```
///
/// If every label is 0 or 1 they are mapped to −1/+1 first, as Keras does.
/// The loss of linear SVMs.
///
/// | parameter | default | range |
/// | --- | --- | --- |
/// | `reduction` | `Mean` | `Mean`, `Sum`, `BatchMean` |
///
/// Keras: `Hinge` (mean over the last axis, then over the batch: the same
/// mean); optax: `hinge_loss` (labels must be ±1). Not in PyTorch.
///
/// # Examples
///
/// ```
/// use ndarray::array;
/// use ndloss::prelude::*;
///
/// // 0/1 labels are read as −1/+1.
/// let v = Hinge::new().reduction(Reduction::Sum).forward(&array![0.3_f64, -2.0], &array![1.0, 0.0])?;
/// assert_eq!(v, 0.7);
/// # Ok::<(), ndloss::Error>(())
/// ```
///
/// # Errors
///
/// As [`Mse`](crate::loss::Mse).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Hinge {
    reduction: Reduction,
}

/// Squared hinge loss (Keras): `max(0, 1 − y·s)²`.
///
/// ```text
/// ℓ = max(0, 1 − y·s)²        ∂ℓ/∂s = −2y·max(0, 1 − y·s)
/// ```
///
/// Labels as [`Hinge`]. Differentiable everywhere, penalises margin
/// violations quadratically.
///
/// | parameter | default | range |
/// | --- | --- | --- |
/// | `reduction` | `Mean` | `Mean`, `Sum`, `BatchMean` |
///
/// Keras: `SquaredHinge`. Not in PyTorch.
///
/// # Examples
///
/// ```
/// use ndarray::array;
/// use ndloss::prelude::*;
///
/// let v = SquaredHinge::new().forward(&array![0.5_f64], &array![1.0])?;
/// assert_eq!(v, 0.25);
/// # Ok::<(), ndloss::Error>(())
/// ```
///
/// # Errors
///
/// As [`Mse`](crate::loss::Mse).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct SquaredHinge {
    reduction: Reduction,
}

macro_rules! hinge_like {
    ($name:ident, $squared:expr, $doc:literal) => {
        impl $name {
            #[doc = $doc]
            pub fn new() -> Self {
                Self::default()
            }
        }

        impl Elementwise for $name {
            type Math<A: Float> = HingeMath<A>;
            const WEIGHTED_MEAN: WeightedMean = WeightedMean::Count;
            fn math<A: Float>(&self) -> Result<HingeMath<A>> {
                Ok(HingeMath {
                    convert: false,
                    squared: $squared,
                    _a: std::marker::PhantomData,
                })
            }
            fn math_for<A: Float, D: Dimension>(
                &self,
                target: &ArrayRef<A, D>,
            ) -> Result<HingeMath<A>> {
                let binary = target.iter().all(|&y| y == A::zero() || y == A::one());
                Ok(HingeMath {
                    convert: binary,
                    squared: $squared,
                    _a: std::marker::PhantomData,
                })
            }
            fn reduction_mode(&self) -> Reduction {
                self.reduction
            }
        }
        loss_builders!($name);
        elementwise_loss!($name);
    };
}
hinge_like!(Hinge, false, "Hinge loss with mean reduction.");
hinge_like!(
    SquaredHinge,
    true,
    "Squared hinge loss with mean reduction."
);

#[derive(Clone, Copy)]
pub(crate) struct HingeMath<A> {
    convert: bool,
    squared: bool,
    _a: std::marker::PhantomData<A>,
}

impl<A: Float> PointMath<A> for HingeMath<A> {
    #[inline(always)]
    fn value(self, s: A, y: A) -> A {
        self.value_grad(s, y).0
    }
    #[inline(always)]
    fn value_grad(self, s: A, y: A) -> (A, A) {
        let y = if self.convert { y + y - A::one() } else { y };
        let m = A::one() - y * s;
        let (h, dh) = if m > A::zero() {
            (m, -y)
        } else {
            (A::zero(), A::zero())
        };
        if self.squared {
            (h * h, (h + h) * dh)
        } else {
            (h, dh)
        }
    }
}

/// Soft margin loss: logistic loss with labels ±1, `ln(1 + e^{−y·x})`.
///
/// ```text
/// ℓ = ln(1 + exp(−y·x))       ∂ℓ/∂x = −y·σ(−y·x)
/// ```
///
/// Computed as a stable softplus: finite for any logit.
///
/// | parameter | default | range |
/// | --- | --- | --- |
/// | `reduction` | `Mean` | `Mean`, `Sum`, `BatchMean` |
///
/// PyTorch: `SoftMarginLoss`.
///
/// # Examples
///
/// ```
/// use ndarray::array;
/// use ndloss::prelude::*;
///
/// let v = SoftMargin::new().forward(&array![0.0_f64, 100.0], &array![1.0, -1.0])?;
/// assert!((v - (2.0_f64.ln() + 100.0) / 2.0).abs() < 1e-12);
/// # Ok::<(), ndloss::Error>(())
/// ```
///
/// # Errors
///
/// As [`Mse`](crate::loss::Mse).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct SoftMargin {
    reduction: Reduction,
}

impl SoftMargin {
    /// Soft margin loss with mean reduction.
    pub fn new() -> Self {
        Self::default()
    }

    fn checked_math<A: Float>(&self) -> Result<SoftMarginMath<A>> {
        Ok(SoftMarginMath(std::marker::PhantomData))
    }
}
counted_elementwise!(SoftMargin, SoftMarginMath);

#[derive(Clone, Copy)]
pub(crate) struct SoftMarginMath<A>(std::marker::PhantomData<A>);

impl<A: Float> PointMath<A> for SoftMarginMath<A> {
    const HEAVY: bool = true;
    #[inline(always)]
    fn value(self, x: A, y: A) -> A {
        self.value_grad(x, y).0
    }
    #[inline(always)]
    fn value_grad(self, x: A, y: A) -> (A, A) {
        self.value_grad_k::<false>(x, y)
    }
    #[inline(always)]
    fn value_grad_k<const FMA: bool>(self, x: A, y: A) -> (A, A) {
        let z = -y * x;
        let (sp, s, _) = softplus_sigmoids::<A, FMA>(z);
        (sp, -y * s)
    }
}

/// Hinge embedding loss: `x` where `y = 1`, `max(0, margin − x)` where `y = −1`.
///
/// ```text
/// ℓ = [y ≠ −1]·x + [y ≠ 1]·max(0, margin − x)
/// ```
///
/// For learning whether two inputs are similar from a distance `x` (e.g.
/// an L1 distance): similar pairs (`y = 1`) are pulled to 0, dissimilar ones
/// pushed beyond the margin. The formula is PyTorch's, including for labels
/// other than ±1.
///
/// | parameter | default | range |
/// | --- | --- | --- |
/// | `margin` | 1 | finite |
/// | `reduction` | `Mean` | `Mean`, `Sum`, `BatchMean` |
///
/// PyTorch: `HingeEmbeddingLoss(margin)`.
///
/// # Examples
///
/// ```
/// use ndarray::array;
/// use ndloss::prelude::*;
///
/// let v = HingeEmbedding::new().reduction(Reduction::Sum).forward(&array![0.3_f64, 0.4], &array![1.0, -1.0])?;
/// assert!((v - (0.3 + 0.6)).abs() < 1e-15);
/// # Ok::<(), ndloss::Error>(())
/// ```
///
/// # Errors
///
/// As [`Mse`](crate::loss::Mse), plus [`Error::InvalidHyperparameter`](crate::Error::InvalidHyperparameter) for a non-finite margin.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HingeEmbedding {
    reduction: Reduction,
    margin: f64,
}

impl Default for HingeEmbedding {
    fn default() -> Self {
        Self {
            reduction: Reduction::Mean,
            margin: 1.0,
        }
    }
}

impl HingeEmbedding {
    /// Hinge embedding loss with `margin = 1`.
    pub fn new() -> Self {
        Self::default()
    }

    /// The margin for dissimilar pairs (default 1).
    #[must_use]
    pub fn margin(mut self, margin: f64) -> Self {
        self.margin = margin;
        self
    }

    fn checked_math<A: Float>(&self) -> Result<HingeEmbeddingMath<A>> {
        let m = check_hyper(
            "margin",
            self.margin,
            self.margin.is_finite(),
            "a finite value",
        )?;
        Ok(HingeEmbeddingMath {
            margin: A::from_f64(m),
        })
    }
}
counted_elementwise!(HingeEmbedding, HingeEmbeddingMath);

#[derive(Clone, Copy)]
pub(crate) struct HingeEmbeddingMath<A> {
    margin: A,
}

impl<A: Float> PointMath<A> for HingeEmbeddingMath<A> {
    #[inline(always)]
    fn value(self, x: A, y: A) -> A {
        self.value_grad(x, y).0
    }
    #[inline(always)]
    fn value_grad(self, x: A, y: A) -> (A, A) {
        let one = A::one();
        let (mut v, mut d) = (A::zero(), A::zero());
        if y != one {
            let m = self.margin - x;
            if m > A::zero() {
                v = m;
                d = -one;
            }
        }
        if y != -one {
            v = v + x;
            d = d + one;
        }
        (v, d)
    }
}

getters!(HingeEmbedding = "ndloss::loss::HingeEmbedding::new()" { get_margin => margin(2.0): f64 = 2.0 });

/// Keras' categorical hinge: the margin between the target's score and the
/// best other one, over each lane of the last axis.
///
/// ```text
/// pos = Σₖ tₖ·xₖ,   neg = maxₖ (1 − tₖ)·xₖ,   ℓ = max(0, neg − pos + 1)
/// ∂ℓ/∂xₖ = (1 − tₖ)·[k attains neg]/m − tₖ   where neg − pos + 1 > 0, else 0
/// ```
///
/// with `m` the number of entries that attain the maximum (ties share its
/// gradient, as JAX's `max`). With one-hot targets, `pos` is the true
/// class' score and `neg` the best wrong one (Crammer–Singer's multiclass
/// hinge). The targets may be any values; at the kink `neg − pos + 1 = 0`
/// the gradient is 0, as [`Hinge`]'s. One value per lane unreduced.
///
/// | parameter | default | range |
/// | --- | --- | --- |
/// | `reduction` | `Mean` | `Mean` (over lanes), `Sum`, `BatchMean` (over the first axis) |
///
/// Keras: `keras.losses.CategoricalHinge()` (its `'sum_over_batch_size'`
/// is `Mean`); always on the last axis. Not in PyTorch.
///
/// # Examples
///
/// ```
/// use ndarray::array;
/// use ndloss::prelude::*;
///
/// // The true class scores 2, the best other 1.5: a margin of 0.5 short of 1.
/// let (x, t) = (array![[2.0_f64, 1.5, -1.0]], array![[1.0, 0.0, 0.0]]);
/// let (v, g) = CategoricalHinge::new().forward_grad(&x, &t)?;
/// assert_eq!(v, 0.5);
/// assert_eq!(g, array![[-1.0, 1.0, 0.0]]);
/// # Ok::<(), ndloss::Error>(())
/// ```
///
/// # Errors
///
/// [`Error::ShapeMismatch`](crate::Error::ShapeMismatch) for a target or a
/// gradient buffer not shaped like the prediction, and for a 0-d prediction
/// or an empty last axis; [`Error::EmptyReduction`](crate::Error::EmptyReduction)
/// for a mean over no lanes. On error nothing is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct CategoricalHinge {
    reduction: Reduction,
}

impl CategoricalHinge {
    /// Keras' categorical hinge with the mean over lanes.
    pub fn new() -> Self {
        Self::default()
    }
}

impl crate::loss::lanes::Lanewise for CategoricalHinge {
    type Math<'a, A: Float> = CategoricalHingeMath;
    fn math<A: Float>(&self, _: Option<usize>) -> Result<CategoricalHingeMath> {
        Ok(CategoricalHingeMath)
    }
    fn lane_reduction(&self) -> Reduction {
        self.reduction
    }
}
crate::loss::lanes::lanewise_loss!(CategoricalHinge);

#[derive(Clone, Copy)]
pub(crate) struct CategoricalHingeMath;

impl<A: Float> crate::loss::lanes::LaneMath<A> for CategoricalHingeMath {
    fn lane(&self, x: &[A], t: &[A], g: Option<&mut [A]>, scale: A) -> A {
        let pos = crate::loss::lanes::dot(x, t);
        // The maximum of (1 − t)·x; a NaN makes `pos` NaN, so the result is
        // NaN whatever `neg` is.
        let (neg, ties) = crate::loss::lanes::max_ties(
            x.iter()
                .zip(t)
                .map(|(&xk, &tk)| (1.0 - tk.to_f64()) * xk.to_f64()),
        );
        let m = neg - pos + 1.0;
        if let Some(g) = g {
            if m > 0.0 {
                let share = scale.to_f64() / ties as f64;
                for ((d, &xk), &tk) in g.iter_mut().zip(x).zip(t) {
                    let tk = tk.to_f64();
                    let top = (1.0 - tk) * xk.to_f64() == neg;
                    *d = A::from_f64(
                        if top { (1.0 - tk) * share } else { 0.0 } - tk * scale.to_f64(),
                    );
                }
            } else {
                let fill = if m.is_nan() { A::nan() } else { A::zero() };
                g.fill(fill);
            }
        }
        if m > 0.0 || m.is_nan() {
            A::from_f64(m)
        } else {
            A::zero()
        }
    }
}

/// optax's multiclass hinge loss: the score of the best class, with a
/// margin added to every wrong one, above the true class' score.
///
/// ```text
/// ℓ = maxₖ (xₖ + m·[k ≠ y]) − x_y ≥ 0
/// ∂ℓ/∂xₖ = [k attains the max]/ties − [k = y]
/// ```
///
/// (Crammer and Singer's multiclass SVM loss; ties share the maximum's
/// gradient, as JAX's `max`.) The lanes are along the last axis, with
/// class-index targets shaped like the prediction without it. PyTorch's
/// [`MultiMargin`](crate::loss::MultiMargin) sums the violations instead of
/// taking the largest. One value per lane unreduced.
///
/// | parameter | default | range |
/// | --- | --- | --- |
/// | `margin` | 1 | finite |
/// | `reduction` | `Mean` | `Mean` (over lanes), `Sum`, `BatchMean` (over the first axis) |
///
/// optax: `multiclass_hinge_loss(scores, labels)` averaged is `Mean`.
///
/// # Examples
///
/// ```
/// use ndarray::array;
/// use ndloss::prelude::*;
///
/// let x = array![[2.0_f64, 1.5, -1.0]];
/// let (v, g) = MulticlassHinge::new().forward_grad(&x, &array![0_usize])?;
/// assert_eq!(v, 0.5); // 1.5 + 1 − 2
/// assert_eq!(g, array![[-1.0, 1.0, 0.0]]);
/// # Ok::<(), ndloss::Error>(())
/// ```
///
/// # Errors
///
/// [`Error::InvalidHyperparameter`](crate::Error::InvalidHyperparameter)
/// for a non-finite `margin`; [`Error::ShapeMismatch`](crate::Error::ShapeMismatch)
/// for a 0-d prediction or an empty last axis, a target not shaped like the
/// prediction without its last axis, or a gradient buffer not shaped like
/// the prediction; [`Error::ClassOutOfRange`](crate::Error::ClassOutOfRange)
/// for a class not below `C` (`sample` is the lane's flat index);
/// [`Error::EmptyReduction`](crate::Error::EmptyReduction) for a mean over
/// no lanes. On error nothing is written.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MulticlassHinge {
    margin: f64,
    reduction: Reduction,
}

impl Default for MulticlassHinge {
    fn default() -> Self {
        Self {
            margin: 1.0,
            reduction: Reduction::Mean,
        }
    }
}

impl MulticlassHinge {
    /// optax' multiclass hinge: margin 1, mean over lanes.
    pub fn new() -> Self {
        Self::default()
    }

    /// The margin added to the wrong classes' scores (default 1).
    #[must_use]
    pub fn margin(mut self, margin: f64) -> Self {
        self.margin = margin;
        self
    }
}

impl crate::loss::lanes::IndexLanewise for MulticlassHinge {
    type Math<A: Float> = MaxMarginMath;
    fn math<A: Float>(&self) -> Result<MaxMarginMath> {
        let margin = check_hyper(
            "margin",
            self.margin,
            self.margin.is_finite(),
            "a finite value",
        )?;
        Ok(MaxMarginMath { margin })
    }
    fn lane_reduction(&self) -> Reduction {
        self.reduction
    }
}
crate::loss::lanes::index_lane_loss!(MulticlassHinge);

/// optax's multiclass perceptron loss: the best score above the true
/// class' score, `ℓ = maxₖ xₖ − x_y` ([`MulticlassHinge`] with margin 0).
///
/// ```text
/// ∂ℓ/∂xₖ = [k attains the max]/ties − [k = y]
/// ```
///
/// | parameter | default | range |
/// | --- | --- | --- |
/// | `reduction` | `Mean` | `Mean` (over lanes), `Sum`, `BatchMean` (over the first axis) |
///
/// optax: `multiclass_perceptron_loss(scores, labels)` averaged is `Mean`.
///
/// # Examples
///
/// ```
/// use ndarray::array;
/// use ndloss::prelude::*;
///
/// let x = array![[2.0_f64, 3.0], [1.0, 0.0]];
/// let u = MulticlassPerceptron::new().unreduced(&x, &array![0_usize, 0])?;
/// assert_eq!(u, array![1.0, 0.0]);
/// # Ok::<(), ndloss::Error>(())
/// ```
///
/// # Errors
///
/// As [`MulticlassHinge`], without its hyperparameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct MulticlassPerceptron {
    reduction: Reduction,
}

impl MulticlassPerceptron {
    /// optax' multiclass perceptron loss with the mean over lanes.
    pub fn new() -> Self {
        Self::default()
    }
}

impl crate::loss::lanes::IndexLanewise for MulticlassPerceptron {
    type Math<A: Float> = MaxMarginMath;
    fn math<A: Float>(&self) -> Result<MaxMarginMath> {
        Ok(MaxMarginMath { margin: 0.0 })
    }
    fn lane_reduction(&self) -> Reduction {
        self.reduction
    }
}
crate::loss::lanes::index_lane_loss!(MulticlassPerceptron);

/// `maxₖ (xₖ + margin·[k ≠ y]) − x_y`.
#[derive(Clone, Copy)]
pub(crate) struct MaxMarginMath {
    margin: f64,
}

impl<A: Float> crate::loss::lanes::IndexLaneMath<A> for MaxMarginMath {
    fn lane(&self, x: &[A], y: usize, g: Option<&mut [A]>, scale: A) -> A {
        let z = |k: usize, v: A| v.to_f64() + if k == y { 0.0 } else { self.margin };
        let (m, ties) = crate::loss::lanes::max_ties(x.iter().enumerate().map(|(k, &v)| z(k, v)));
        let xy = x[y].to_f64();
        // A NaN score: skipped by the max, so put it back.
        let nan = x.iter().any(|v| v.is_nan());
        if let Some(g) = g {
            let (s, share) = (scale.to_f64(), scale.to_f64() / ties as f64);
            for (k, (d, &v)) in g.iter_mut().zip(x).enumerate() {
                let top = if z(k, v) == m { share } else { 0.0 };
                let own = if k == y { s } else { 0.0 };
                *d = if nan {
                    A::nan()
                } else {
                    A::from_f64(top - own)
                };
            }
        }
        if nan {
            A::nan()
        } else {
            A::from_f64(m - xy)
        }
    }
}

getters!(MulticlassHinge = "ndloss::loss::MulticlassHinge::new()" { get_margin => margin(0.5): f64 = 0.5 });

/// optax's perceptron loss: `ℓ = max(0, −x·y)`, the score's violation of
/// the label's sign (labels ±1).
///
/// ```text
/// ∂ℓ/∂x = −y where x·y < 0, else 0
/// ```
///
/// It is [`Hinge`] without the margin: any correctly signed score costs 0.
///
/// | parameter | default | range |
/// | --- | --- | --- |
/// | `reduction` | `Mean` | `Mean`, `Sum`, `BatchMean` |
///
/// optax: `perceptron_loss(predictor_outputs, targets)` averaged is `Mean`.
///
/// # Examples
///
/// ```
/// use ndarray::array;
/// use ndloss::prelude::*;
///
/// let v = Perceptron::new().forward(&array![0.5_f64, -2.0], &array![1.0, 1.0])?;
/// assert_eq!(v, 1.0); // (0 + 2)/2
/// # Ok::<(), ndloss::Error>(())
/// ```
///
/// # Errors
///
/// As [`Mse`](crate::loss::Mse).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Perceptron {
    reduction: Reduction,
}

impl Perceptron {
    /// optax' perceptron loss with the mean reduction.
    pub fn new() -> Self {
        Self::default()
    }

    fn checked_math<A: Float>(&self) -> Result<PerceptronMath<A>> {
        Ok(PerceptronMath(std::marker::PhantomData))
    }
}
counted_elementwise!(Perceptron, PerceptronMath);

#[derive(Clone, Copy)]
pub(crate) struct PerceptronMath<A>(std::marker::PhantomData<A>);

impl<A: Float> PointMath<A> for PerceptronMath<A> {
    #[inline(always)]
    fn value(self, x: A, y: A) -> A {
        self.value_grad(x, y).0
    }
    #[inline(always)]
    fn value_grad(self, x: A, y: A) -> (A, A) {
        let v = -x * y;
        if v > A::zero() {
            (v, -y)
        } else if v.is_nan() {
            (v, v)
        } else {
            (A::zero(), A::zero())
        }
    }
}

/// PyTorch's multi-label soft margin loss: the binary cross-entropy of
/// every class' logit, averaged over the classes of each lane.
///
/// ```text
/// ℓ = (1/C)·Σ_c w_c·[t_c·softplus(−x_c) + (1 − t_c)·softplus(x_c)]
/// ∂ℓ/∂x_c = w_c·(σ(x_c) − t_c)/C
/// ```
///
/// The classes are the last axis (as PyTorch's, which takes `input.dim() −
/// 1`), targets in [0, 1] (usually 0/1 labels), `w` optional per-class
/// weights. Computed from `softplus` directly, so large logits stay exact
/// where `log σ` would round to 0. One value per lane unreduced.
///
/// | parameter | default | range |
/// | --- | --- | --- |
/// | `class_weights` | none | `C` values, finite |
/// | `reduction` | `Mean` | `Mean` (over lanes), `Sum`, `BatchMean` (over the first axis) |
///
/// PyTorch: `torch.nn.MultiLabelSoftMarginLoss(weight, reduction)` /
/// `F.multilabel_soft_margin_loss`.
///
/// # Examples
///
/// ```
/// use ndarray::array;
/// use ndloss::prelude::*;
///
/// let (x, t) = (array![[0.0_f64, 0.0]], array![[1.0, 0.0]]);
/// let v = MultiLabelSoftMargin::new().forward(&x, &t)?;
/// assert!((v - 2.0_f64.ln()).abs() < 1e-15);
/// # Ok::<(), ndloss::Error>(())
/// ```
///
/// # Errors
///
/// [`Error::InvalidHyperparameter`](crate::Error::InvalidHyperparameter)
/// for a non-finite class weight; [`Error::ShapeMismatch`](crate::Error::ShapeMismatch)
/// for a target or gradient buffer not shaped like the prediction, class
/// weights not of the last axis' length, a 0-d prediction or an empty last
/// axis; [`Error::EmptyReduction`](crate::Error::EmptyReduction) for a mean
/// over no lanes. On error nothing is written.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MultiLabelSoftMargin {
    class_weights: Option<Vec<f64>>,
    reduction: Reduction,
}

impl MultiLabelSoftMargin {
    /// PyTorch's defaults: no class weights, mean over lanes.
    pub fn new() -> Self {
        Self::default()
    }

    /// One weight per class (PyTorch's `weight`).
    #[must_use]
    pub fn class_weights<S>(mut self, weights: &ndarray::ArrayBase<S, ndarray::Ix1>) -> Self
    where
        S: ndarray::Data,
        S::Elem: Float,
    {
        self.class_weights = Some(crate::loss::to_f64_vec(weights));
        self
    }

    /// The per-class weights, if set.
    ///
    /// ```
    /// use ndarray::array;
    /// let l = ndloss::loss::MultiLabelSoftMargin::new().class_weights(&array![1.0, 3.0]);
    /// assert_eq!(l.get_class_weights(), Some(&[1.0, 3.0][..]));
    /// ```
    pub fn get_class_weights(&self) -> Option<&[f64]> {
        self.class_weights.as_deref()
    }
}

impl crate::loss::lanes::Lanewise for MultiLabelSoftMargin {
    type Math<'a, A: Float> = MultiLabelSoftMarginMath<'a>;
    fn math<A: Float>(&self, classes: Option<usize>) -> Result<MultiLabelSoftMarginMath<'_>> {
        if let Some(w) = &self.class_weights {
            for &v in w {
                check_hyper("class_weights", v, v.is_finite(), "finite values")?;
            }
            if let Some(c) = classes.filter(|&c| c != w.len()) {
                return Err(crate::Error::ShapeMismatch {
                    what: "class_weights",
                    expected: vec![c],
                    found: vec![w.len()],
                });
            }
        }
        Ok(MultiLabelSoftMarginMath {
            weights: self.class_weights.as_deref(),
        })
    }
    fn lane_reduction(&self) -> Reduction {
        self.reduction
    }
}
crate::loss::lanes::lanewise_loss!(MultiLabelSoftMargin);

pub(crate) struct MultiLabelSoftMarginMath<'a> {
    weights: Option<&'a [f64]>,
}

impl<A: Float> crate::loss::lanes::LaneMath<A> for MultiLabelSoftMarginMath<'_> {
    fn lane(&self, x: &[A], t: &[A], g: Option<&mut [A]>, scale: A) -> A {
        let inv_c = 1.0 / x.len() as f64;
        let w = |c: usize| self.weights.map_or(1.0, |w| w[c]);
        let mut total = 0.0;
        for (c, (&xc, &tc)) in x.iter().zip(t).enumerate() {
            let (xc, tc) = (xc.to_f64(), tc.to_f64());
            // softplus(−x) = softplus(x) − x.
            let (sp, _, _) = softplus_sigmoids::<f64, false>(xc);
            total += w(c) * (tc * (sp - xc) + (1.0 - tc) * sp);
        }
        if let Some(g) = g {
            let s = scale.to_f64() * inv_c;
            for (c, ((d, &xc), &tc)) in g.iter_mut().zip(x).zip(t).enumerate() {
                // σ(x) − t = (1 − t)·σ(x) − t·σ(−x): no cancellation for
                // labels of 0 or 1 (σ(x) − 1 would lose σ(−x)'s digits).
                let (xc, tc) = (xc.to_f64(), tc.to_f64());
                let (_, pos, neg) = softplus_sigmoids::<f64, false>(xc);
                *d = A::from_f64(s * w(c) * ((1.0 - tc) * pos - tc * neg));
            }
        }
        A::from_f64(total * inv_c)
    }
}
