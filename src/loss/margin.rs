//! Margin and focal losses on logits or scores: sigmoid focal, hinge,
//! squared hinge, soft margin, hinge embedding (all element-wise).

use ndarray::{ArrayRef, Dimension};

use crate::error::{check_hyper, Result};
use crate::float::{logistic, Float};
use crate::kernel::elementwise::{Pass, PointMath, WeightedMean};
use crate::loss::{counted_elementwise, elementwise_loss, loss_builders, Elementwise, Reduction};

/// `(ln(1 + eˣ), σ(x), σ(−x))`: softplus without overflow, both sigmoids
/// without cancellation.
#[inline(always)]
fn softplus_sigmoids<A: Float, const FMA: bool>(x: A) -> (A, A, A) {
    let (e, l, r) = logistic::<A, FMA>(x);
    let (small, large) = (e * r, r);
    let neg = x < A::zero();
    let softplus = (if neg { A::zero() } else { x }) + l;
    if neg {
        (softplus, small, large)
    } else {
        (softplus, large, small)
    }
}

/// Sigmoid focal loss on logits (RetinaNet), torchvision's `sigmoid_focal_loss`.
///
/// ```text
/// p = σ(x),  ce = BCE-with-logits(x, t),  1 − pₜ = t·(1 − p) + (1 − t)·p
/// ℓ = αₜ · ce · (1 − pₜ)^γ,      αₜ = α·t + (1 − α)·(1 − t)   (αₜ = 1 when alpha is off)
/// ```
///
/// Down-weights easy, well-classified examples so training focuses on hard
/// ones: dense detection, heavy class imbalance. `1 − pₜ` is formed from
/// `σ(±x)` directly, so saturated logits keep exact small values and finite
/// gradients.
///
/// | parameter | default | range |
/// | --- | --- | --- |
/// | `alpha` | 0.25 | [0, 1], or `None` (no weighting: torchvision's −1) |
/// | `gamma` | 2 | finite, ≥ 0 |
/// | `reduction` | `Mean` | `Mean`, `Sum`, `BatchMean` |
///
/// torchvision: `ops.sigmoid_focal_loss(alpha=0.25, gamma=2, reduction='none')`
/// (its default reduction is `'none'`, ours `Mean`). optax's
/// `sigmoid_focal_loss` has no alpha by default (`alpha(None)` here).
///
/// # Examples
///
/// ```
/// use ndarray::array;
/// use ndloss::prelude::*;
///
/// let focal = SigmoidFocal::new().alpha(None).gamma(0.0);
/// let bce = BceWithLogits::new();
/// let (x, t) = (array![0.3_f64, -2.0], array![1.0, 0.0]);
/// assert!((focal.forward(&x, &t)? - bce.forward(&x, &t)?).abs() < 1e-15); // γ = 0, no α: plain BCE
/// # Ok::<(), ndloss::Error>(())
/// ```
///
/// # Errors
///
/// As [`Mse`](crate::loss::Mse), plus [`Error::InvalidHyperparameter`](crate::Error::InvalidHyperparameter)
/// for `alpha` outside [0, 1] or a negative `gamma`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SigmoidFocal {
    reduction: Reduction,
    alpha: Option<f64>,
    gamma: f64,
}

impl Default for SigmoidFocal {
    fn default() -> Self {
        Self {
            reduction: Reduction::Mean,
            alpha: Some(0.25),
            gamma: 2.0,
        }
    }
}

impl SigmoidFocal {
    /// torchvision's defaults: `alpha = 0.25`, `gamma = 2`, mean reduction.
    pub fn new() -> Self {
        Self::default()
    }

    /// Weight of the positive class, or `None` for no class weighting (default `Some(0.25)`).
    #[must_use]
    pub fn alpha(mut self, alpha: Option<f64>) -> Self {
        self.alpha = alpha;
        self
    }

    /// Focusing exponent (default 2; 0 is plain BCE).
    #[must_use]
    pub fn gamma(mut self, gamma: f64) -> Self {
        self.gamma = gamma;
        self
    }

    fn checked_math<A: Float>(&self) -> Result<FocalMath<A>> {
        let g = check_hyper(
            "gamma",
            self.gamma,
            self.gamma.is_finite() && self.gamma >= 0.0,
            "a finite value >= 0",
        )?;
        let alpha = match self.alpha {
            Some(a) => Some(A::from_f64(check_hyper(
                "alpha",
                a,
                (0.0..=1.0).contains(&a),
                "a value in [0, 1]",
            )?)),
            None => None,
        };
        Ok(FocalMath {
            alpha,
            gamma: A::from_f64(g),
        })
    }
}
counted_elementwise!(SigmoidFocal, FocalMath);

/// `SQUARE`: `gamma` is 2 (torchvision's default), the variant
/// [`PointMath::specialize`] hands the contiguous kernels then:
/// `(1 − pₜ)²` is one multiply.
#[derive(Clone, Copy)]
pub(crate) struct FocalMath<A, const SQUARE: bool = false> {
    alpha: Option<A>,
    gamma: A,
}

impl<A: Float, const SQUARE: bool> PointMath<A> for FocalMath<A, SQUARE> {
    const HEAVY: bool = true;
    #[inline(always)]
    fn specialize<P: Pass<A>>(self, pass: P) -> P::Output {
        if !SQUARE && self.gamma == A::from_f64(2.0) {
            pass.run(FocalMath::<A, true> {
                alpha: self.alpha,
                gamma: self.gamma,
            })
        } else {
            pass.run(self)
        }
    }
    #[inline(always)]
    fn value(self, x: A, t: A) -> A {
        self.value_grad(x, t).0
    }
    #[inline(always)]
    fn value_grad(self, x: A, t: A) -> (A, A) {
        self.value_grad_k::<false>(x, t)
    }
    #[inline(always)]
    fn value_grad_k<const FMA: bool>(self, x: A, t: A) -> (A, A) {
        let one = A::one();
        let (sp, p, q) = softplus_sigmoids::<A, FMA>(x); // σ(x), σ(−x) = 1 − p
        let ce = sp - t * x;
        let dce = p - t;
        let miss = t * q + (one - t) * p; // 1 − pₜ
        let dmiss = (one - t - t) * p * q; // d(1 − pₜ)/dx = (1 − 2t)·p·(1 − p)
        let (m, dm) = if SQUARE {
            (miss * miss, (miss + miss) * dmiss)
        } else if self.gamma == A::zero() {
            (one, A::zero())
        } else {
            // (1 − pₜ)^γ as e^{γ·ln(1 − pₜ)} with the crate's branch-free
            // functions: `powf`, a C library call, kept the loop scalar
            // (16M elements: 8% of the copy roofline). 0^γ = 0 for γ > 0,
            // and there the derivative's limit is 0.
            let pos = miss > A::zero();
            let m = if pos {
                (self.gamma * miss.ln_k::<FMA>()).exp_k::<FMA>()
            } else {
                A::zero()
            };
            let dm = if pos {
                self.gamma * m / miss * dmiss
            } else {
                A::zero()
            };
            (m, dm)
        };
        let a = match self.alpha {
            Some(alpha) => alpha * t + (one - alpha) * (one - t),
            None => one,
        };
        (a * ce * m, a * (dce * m + ce * dm))
    }
}

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
