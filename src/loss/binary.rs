//! Binary losses, element-wise: each element is its own yes/no prediction
//! against a target in [0, 1] — binary cross-entropy on probabilities
//! ([`Bce`]) or logits ([`BceWithLogits`], with `pos_weight`), and the
//! sigmoid focal loss on logits ([`SigmoidFocal`], torchvision's) and
//! Keras' binary focal cross-entropy ([`BinaryFocal`]). Multi-label
//! classification is this family over `(N, C)`.

use crate::error::{check_hyper, Result};
use crate::float::{clamp_keep_nan, ln_unit_pair, softplus_parts, softplus_sigmoids, Float};
use crate::kernel::elementwise::{Pass, PointMath, WeightedMean};
use crate::loss::{counted_elementwise, elementwise_loss, loss_builders, Elementwise, Reduction};

/// Binary cross-entropy on probabilities.
///
/// ```text
/// ℓᵢ = −[tᵢ·max(ln pᵢ, −100) + (1 − tᵢ)·max(ln(1 − pᵢ), −100)]
/// ∂ℓᵢ/∂pᵢ = (pᵢ − tᵢ) / max((1 − pᵢ)·pᵢ, 1e-12)     (1e-12 rounded to f32, as PyTorch)
/// ```
///
/// The logarithms are clamped at −100 exactly as PyTorch does, so `p = 0`
/// with `t = 1` gives 100, not ∞. Prefer [`BceWithLogits`] when you have
/// logits: it is exact where this one clamps.
///
/// | parameter | default | range |
/// | --- | --- | --- |
/// | `reduction` | `Mean` | `Mean`, `Sum` |
///
/// PyTorch: `torch.nn.BCELoss(weight)` / `F.binary_cross_entropy`; the
/// per-element `weight` through [`WeightedLoss`](crate::loss::WeightedLoss)
/// (mean over the element count, as PyTorch). Keras'
/// `BinaryCrossentropy` clips `p` to [1e-7, 1 − 1e-7] instead (16.1 rather than
/// 100 for a certain miss).
///
/// # Examples
///
/// ```
/// use ndarray::array;
/// use ndloss::prelude::*;
///
/// let value = Bce::new().forward(&array![0.9_f64, 0.0], &array![1.0, 1.0])?;
/// assert!((value - (-(0.9_f64.ln()) + 100.0) / 2.0).abs() < 1e-12);
/// # Ok::<(), ndloss::Error>(())
/// ```
///
/// # Errors
///
/// As [`Mse`](crate::loss::Mse), plus [`Error::InvalidValue`](crate::Error::InvalidValue) for a prediction
/// outside [0, 1] (NaN propagates).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Bce {
    reduction: Reduction,
}

impl Bce {
    /// Binary cross-entropy with mean reduction.
    pub fn new() -> Self {
        Self::default()
    }

    fn checked_math<A: Float>(&self) -> Result<BceMath<A>> {
        Ok(BceMath(std::marker::PhantomData))
    }
}
counted_elementwise!(Bce, BceMath);

#[derive(Clone, Copy)]
pub(crate) struct BceMath<A>(std::marker::PhantomData<A>);

/// `max(x, lo)` that keeps NaN.
#[inline(always)]
fn at_least<A: Float>(x: A, lo: A) -> A {
    if x < lo {
        lo
    } else {
        x
    }
}

impl<A: Float> PointMath<A> for BceMath<A> {
    const HEAVY: bool = true;
    fn pred_domain(self) -> Option<crate::kernel::elementwise::Domain<A>> {
        Some((
            |p| !(p < A::zero() || p > A::one()),
            "a probability in [0, 1]",
        ))
    }
    #[inline(always)]
    fn value(self, p: A, t: A) -> A {
        self.value_grad(p, t).0
    }
    #[inline(always)]
    fn value_grad(self, p: A, t: A) -> (A, A) {
        self.value_grad_k::<false>(p, t)
    }
    #[inline(always)]
    fn value_grad_k<const FMA: bool>(self, p: A, t: A) -> (A, A) {
        let lo = A::from_f64(-100.0);
        // The domain check lets through [−0, 1] and NaN only: the logs
        // without their special cases (p = 0 and 1 give values below the
        // clamp instead of −∞), ln(1 − p) from p exactly (no correction
        // for the rounding of 1 − p): fewer vector instructions than
        // `ln_k` and `ln_1p_k`, in a loop bound by them. A NaN p makes
        // ln(1 − p) NaN, which `at_least` keeps, so the value is NaN.
        let (ln_p, ln_q) = ln_unit_pair::<A, FMA>(p);
        let v = (t - A::one()) * at_least(ln_q, lo) - t * at_least(ln_p, lo);
        // PyTorch's floor is the f32 value of 1e-12 for every dtype
        // (9.99999996e-13): matching it matters at p = 0 or 1.
        let d = (p - t) / at_least((A::one() - p) * p, A::from_f64(f64::from(1e-12_f32)));
        (v, d)
    }
}

/// Binary cross-entropy on logits, stable for any logit.
///
/// With `lw = 1 + (pos_weight − 1)·t` (1 without `pos_weight`):
///
/// ```text
/// ℓᵢ = (1 − tᵢ)·xᵢ − lw·log σ(xᵢ),    log σ(x) = min(x, 0) − ln(1 + e^{−|x|})
///    = −[pos_weight·t·log σ(x) + (1 − t)·log(1 − σ(x))]
/// ∂ℓᵢ/∂xᵢ = lw·σ(xᵢ) − pos_weight·tᵢ
/// ```
///
/// Never forms `σ(x)` before the logarithm, so ±1e4 logits give exact finite
/// values where sigmoid-then-BCE gives ∞ or NaN.
///
/// | parameter | default | range |
/// | --- | --- | --- |
/// | `reduction` | `Mean` | `Mean`, `Sum` |
/// | `pos_weight` | none (1) | finite, ≥ 0: one scalar, or one per class (`pos_weights`) |
///
/// PyTorch: `torch.nn.BCEWithLogitsLoss(weight, pos_weight)`; per-element
/// `weight` through [`WeightedLoss`](crate::loss::WeightedLoss) (mean over the
/// element count, as PyTorch). Keras: `BinaryCrossentropy(from_logits=True)`; optax:
/// `sigmoid_binary_cross_entropy` (unreduced).
///
/// # Examples
///
/// ```
/// use ndarray::array;
/// use ndloss::prelude::*;
///
/// let x = array![10_000.0_f32, -10_000.0];
/// let t = array![0.0_f32, 1.0];
/// assert_eq!(BceWithLogits::new().forward(&x, &t)?, 10_000.0); // finite: (1e4 + 1e4) / 2
/// let v = BceWithLogits::new().pos_weight(3.0).forward(&array![0.0_f64], &array![1.0])?;
/// assert!((v - 3.0 * 2.0_f64.ln()).abs() < 1e-12);
/// # Ok::<(), ndloss::Error>(())
/// ```
///
/// # Errors
///
/// As [`Mse`](crate::loss::Mse), plus [`Error::InvalidHyperparameter`](crate::Error::InvalidHyperparameter) for a
/// negative or non-finite `pos_weight`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BceWithLogits {
    reduction: Reduction,
    pos_weight: Option<f64>,
    /// Per-class weights in `f64` and rounded to `f32`: a call reads the
    /// copy of its type, converting and allocating nothing.
    pos_weights: Option<(Vec<f64>, Vec<f32>)>,
}

impl BceWithLogits {
    /// BCE-with-logits with mean reduction and no positive weight.
    pub fn new() -> Self {
        Self::default()
    }

    /// Weight of the positive term, one scalar for all outputs: above 1
    /// favours recall, below 1 precision.
    #[must_use]
    pub fn pos_weight(mut self, pos_weight: f64) -> Self {
        self.pos_weight = Some(pos_weight);
        self.pos_weights = None;
        self
    }

    /// One positive weight per class, broadcast along the last axis
    /// (PyTorch's `pos_weight` tensor of shape `(C,)` for `(…, C)` logits).
    #[must_use]
    pub fn pos_weights<S>(mut self, pos_weights: ndarray::ArrayBase<S, ndarray::Ix1>) -> Self
    where
        S: ndarray::Data,
        S::Elem: Float,
    {
        let weights = crate::loss::to_f64_vec(&pos_weights);
        let rounded = weights.iter().map(|&w| w as f32).collect();
        self.pos_weights = Some((weights, rounded));
        self.pos_weight = None;
        self
    }

    fn checked_math<A: Float>(&self) -> Result<BceLogitsMath<A>> {
        let check = |pw: f64| {
            check_hyper(
                "pos_weight",
                pw,
                pw.is_finite() && pw >= 0.0,
                "a finite value >= 0",
            )
        };
        if let Some((ws, _)) = &self.pos_weights {
            ws.iter().try_for_each(|&w| check(w).map(|_| ()))?;
        }
        let pw = match self.pos_weight {
            None => None,
            Some(pw) => Some(A::from_f64(check(pw)?)),
        };
        Ok(BceLogitsMath {
            pos_weight: pw,
            per_class: self.pos_weights.is_some(),
        })
    }
}

impl Elementwise for BceWithLogits {
    type Math<A: Float> = BceLogitsMath<A>;
    const WEIGHTED_MEAN: WeightedMean = WeightedMean::Count;
    fn math<A: Float>(&self) -> Result<BceLogitsMath<A>> {
        self.checked_math()
    }
    fn reduction_mode(&self) -> Reduction {
        self.reduction
    }
    fn last_axis_aux<A: Float>(&self) -> Option<&[A]> {
        self.pos_weights
            .as_ref()
            .map(|(w64, w32)| A::pick(w32, w64))
    }
}
loss_builders!(BceWithLogits);
elementwise_loss!(BceWithLogits);

/// `WEIGHTED = false`: the variant without a positive weight that
/// [`PointMath::specialize`] hands the contiguous kernels (its `pos_weight`
/// is `None`).
#[derive(Clone, Copy)]
pub(crate) struct BceLogitsMath<A, const WEIGHTED: bool = true> {
    pos_weight: Option<A>,
    per_class: bool,
}

impl<A: Float, const WEIGHTED: bool> BceLogitsMath<A, WEIGHTED> {
    /// `(log σ(x), σ(x))` without overflow.
    #[inline(always)]
    fn log_sigmoid<const FMA: bool>(x: A) -> (A, A) {
        let (e, l) = softplus_parts::<A, FMA>(x);
        let neg = x < A::zero();
        let log_sig = (if neg { x } else { A::zero() }) - l;
        // σ = 1/(1 + e) or e/(1 + e): one division with the numerator
        // selected (not `e · (1/(1 + e))`: a multiply fewer on the chain,
        // one rounding fewer).
        let sig = (if neg { e } else { A::one() }) / (A::one() + e);
        (log_sig, sig)
    }
}

impl<A: Float, const WEIGHTED: bool> PointMath<A> for BceLogitsMath<A, WEIGHTED> {
    const HEAVY: bool = true;
    #[inline(always)]
    fn specialize<P: Pass<A>>(self, pass: P) -> P::Output {
        if WEIGHTED && self.pos_weight.is_none() && !self.per_class {
            pass.run(BceLogitsMath::<A, false> {
                pos_weight: None,
                per_class: false,
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
    fn value_grad_aux(self, x: A, t: A, pw: A) -> (A, A) {
        if self.per_class {
            BceLogitsMath::<A, true> {
                pos_weight: Some(pw),
                per_class: false,
            }
            .value_grad(x, t)
        } else {
            self.value_grad(x, t)
        }
    }
    #[inline(always)]
    fn value_grad(self, x: A, t: A) -> (A, A) {
        self.value_grad_k::<false>(x, t)
    }
    #[inline(always)]
    fn value_grad_k<const FMA: bool>(self, x: A, t: A) -> (A, A) {
        let one = A::one();
        let (log_sig, sig) = Self::log_sigmoid::<FMA>(x);
        match self.pos_weight.filter(|_| WEIGHTED) {
            None => ((one - t) * x - log_sig, sig - t),
            Some(pw) => {
                let lw = one + (pw - one) * t;
                ((one - t) * x - lw * log_sig, lw * sig - pw * t)
            }
        }
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
/// As [`Mse`](crate::loss::Mse), plus [`Error::InvalidHyperparameter`](crate::Error::InvalidHyperparameter)(crate::Error::InvalidHyperparameter)
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
        let (gamma, alpha) = focal_options(self.gamma, self.alpha)?;
        Ok(FocalMath { alpha, gamma })
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
        } else {
            focal_factor::<A, FMA>(miss, dmiss, self.gamma)
        };
        let a = class_balance(self.alpha, t);
        (a * ce * m, a * (dce * m + ce * dm))
    }
}

/// The focal losses' validated `gamma` (finite, ≥ 0) and `alpha` (in
/// [0, 1], or off), in `A`.
fn focal_options<A: Float>(gamma: f64, alpha: Option<f64>) -> Result<(A, Option<A>)> {
    let gamma = check_hyper(
        "gamma",
        gamma,
        gamma.is_finite() && gamma >= 0.0,
        "a finite value >= 0",
    )?;
    let alpha = match alpha {
        Some(a) => Some(A::from_f64(check_hyper(
            "alpha",
            a,
            (0.0..=1.0).contains(&a),
            "a value in [0, 1]",
        )?)),
        None => None,
    };
    Ok((A::from_f64(gamma), alpha))
}

/// `((1 − pₜ)^γ, its derivative)` from `miss = 1 − pₜ ≥ 0` and `dmiss`, the
/// derivative of `miss`: `e^{γ·ln(1 − pₜ)}` with the crate's branch-free
/// functions (`powf`, a C library call, keeps the loop scalar). `γ = 0`
/// gives 1; `0^γ = 0` for `γ > 0`, and there the derivative is taken as 0
/// (its limit for γ ≥ 1; below 1 it is unbounded, and 0 is JAX's value too).
#[inline(always)]
fn focal_factor<A: Float, const FMA: bool>(miss: A, dmiss: A, gamma: A) -> (A, A) {
    if gamma == A::zero() {
        return (A::one(), A::zero());
    }
    let pos = miss > A::zero();
    let m = if pos {
        (gamma * miss.ln_k::<FMA>()).exp_k::<FMA>()
    } else {
        A::zero()
    };
    let dm = if pos {
        gamma * m / miss * dmiss
    } else {
        A::zero()
    };
    (m, dm)
}

/// The class weight `αₜ = α·t + (1 − α)·(1 − t)`, or 1 without `alpha`.
#[inline(always)]
fn class_balance<A: Float>(alpha: Option<A>, t: A) -> A {
    match alpha {
        Some(alpha) => alpha * t + (A::one() - alpha) * (A::one() - t),
        None => A::one(),
    }
}

/// Keras' binary focal cross-entropy, on probabilities or logits.
///
/// With `t' = t·(1 − s) + s/2` (label smoothing `s`), `p` the prediction (or
/// `σ(x)` with `from_logits`), `p̂ = clip(p, ε, 1 − ε)` and `ε = 1e-7`
/// (Keras' `epsilon()`):
///
/// ```text
/// ce = −[t'·ln p̂ + (1 − t')·ln(1 − p̂)],    1 − pₜ = t'·(1 − p) + (1 − t')·p
/// ℓ = αₜ · (1 − pₜ)^γ · ce,                αₜ = α·t' + (1 − α)·(1 − t')   (1 when alpha is off)
/// ```
///
/// Keras clips the probability inside the cross-entropy only (the focal
/// factor takes `p` unclipped), so the gradient of `ce` is 0 where `p` is
/// clipped; so is this one's. With `from_logits`, `1 − p` is `σ(−x)`
/// exactly where Keras rounds `1 − σ(x)`: the same values to 1e-10 for
/// moderate logits, and finite, tiny ones where Keras' `f32` saturates.
/// [`SigmoidFocal`] is torchvision's form on logits, without the clip.
///
/// | parameter | default | range |
/// | --- | --- | --- |
/// | `alpha` | `None` (Keras' `apply_class_balancing=False`) | [0, 1] |
/// | `gamma` | 2 | finite, ≥ 0 |
/// | `from_logits` | `false` | |
/// | `label_smoothing` | 0 | [0, 1] |
/// | `reduction` | `Mean` | `Mean`, `Sum`, `BatchMean` |
///
/// Keras: `keras.losses.BinaryFocalCrossentropy(apply_class_balancing,
/// alpha, gamma, from_logits, label_smoothing)` with its default
/// `'sum_over_batch_size'` reduction is `Mean` here (its per-sample mean over
/// the last axis, then the mean over samples, is the mean of all elements;
/// Keras' `'sum'` adds the per-sample means, which is `Sum` here divided by
/// the last axis' length); `.alpha(Some(a))` is
/// `apply_class_balancing=True, alpha=a`.
///
/// # Examples
///
/// ```
/// use ndarray::array;
/// use ndloss::prelude::*;
///
/// let (p, t) = (array![0.9_f64, 0.2], array![1.0, 0.0]);
/// let v = BinaryFocal::new().forward(&p, &t)?;
/// // (1 − 0.9)²·(−ln 0.9) and 0.2²·(−ln 0.8), averaged.
/// let expected = (0.01 * -(0.9_f64.ln()) + 0.04 * -(0.8_f64.ln())) / 2.0;
/// assert!((v - expected).abs() < 1e-15);
/// # Ok::<(), ndloss::Error>(())
/// ```
///
/// # Errors
///
/// As [`Mse`](crate::loss::Mse), plus
/// [`Error::InvalidHyperparameter`](crate::Error::InvalidHyperparameter) for
/// `alpha` or `label_smoothing` outside [0, 1] or a negative `gamma`, and
/// (without `from_logits`) [`Error::InvalidValue`](crate::Error::InvalidValue)
/// for a prediction outside [0, 1] (NaN propagates).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BinaryFocal {
    reduction: Reduction,
    alpha: Option<f64>,
    gamma: f64,
    from_logits: bool,
    label_smoothing: f64,
}

impl Default for BinaryFocal {
    fn default() -> Self {
        Self {
            reduction: Reduction::Mean,
            alpha: None,
            gamma: 2.0,
            from_logits: false,
            label_smoothing: 0.0,
        }
    }
}

impl BinaryFocal {
    /// Keras' defaults: no class balancing, `gamma = 2`, probabilities, no
    /// smoothing, mean reduction.
    pub fn new() -> Self {
        Self::default()
    }

    /// Weight of the positive class, or `None` for no class balancing
    /// (default `None`).
    #[must_use]
    pub fn alpha(mut self, alpha: Option<f64>) -> Self {
        self.alpha = alpha;
        self
    }

    /// Focusing exponent (default 2; 0 is Keras' clipped BCE).
    #[must_use]
    pub fn gamma(mut self, gamma: f64) -> Self {
        self.gamma = gamma;
        self
    }

    /// Whether the predictions are logits (default `false`: probabilities).
    #[must_use]
    pub fn from_logits(mut self, from_logits: bool) -> Self {
        self.from_logits = from_logits;
        self
    }

    /// Squeezes the targets towards ½: `t·(1 − s) + s/2` (default 0).
    #[must_use]
    pub fn label_smoothing(mut self, label_smoothing: f64) -> Self {
        self.label_smoothing = label_smoothing;
        self
    }

    fn checked_math<A: Float>(&self) -> Result<KerasFocalMath<A>> {
        let (gamma, alpha) = focal_options(self.gamma, self.alpha)?;
        let s = check_hyper(
            "label_smoothing",
            self.label_smoothing,
            (0.0..=1.0).contains(&self.label_smoothing),
            "a value in [0, 1]",
        )?;
        Ok(KerasFocalMath {
            alpha,
            gamma,
            logits: self.from_logits,
            keep: A::from_f64(1.0 - s),
            shift: A::from_f64(0.5 * s),
        })
    }
}
counted_elementwise!(BinaryFocal, KerasFocalMath);

#[derive(Clone, Copy)]
pub(crate) struct KerasFocalMath<A> {
    alpha: Option<A>,
    gamma: A,
    logits: bool,
    /// The smoothed target is `t·keep + shift`.
    keep: A,
    shift: A,
}

impl<A: Float> PointMath<A> for KerasFocalMath<A> {
    const HEAVY: bool = true;
    fn pred_domain(self) -> Option<crate::kernel::elementwise::Domain<A>> {
        if self.logits {
            None
        } else {
            Some((
                |p| !(p < A::zero() || p > A::one()),
                "a probability in [0, 1]",
            ))
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
        let eps = A::from_f64(1e-7);
        // Keras' upper clip is 1 − ε rounded to the type, and 1 − p̂ there is
        // 1 − (1 − ε) in the type.
        let hi = one - eps;
        let t = t * self.keep + self.shift;
        // p, 1 − p, and dp/d(input).
        let (p, q, dp) = if self.logits {
            let (_, p, q) = softplus_sigmoids::<A, FMA>(x);
            (p, q, p * q)
        } else {
            (x, one - x, one)
        };
        let inside = p >= eps && p <= hi;
        let pc = clamp_keep_nan(p, eps, hi);
        let qc = if p > hi {
            one - hi
        } else if p < eps {
            one - eps
        } else {
            q
        };
        let ce = -(t * pc.ln_k::<FMA>() + (one - t) * qc.ln_k::<FMA>());
        // dce/d(input) inside the clip, 0 outside (as the clip's gradient);
        // on logits (p − t), the cross-entropy's derivative times p·q.
        let dce = if !inside {
            A::zero()
        } else if self.logits {
            p - t
        } else {
            (one - t) / q - t / p
        };
        let miss = t * q + (one - t) * p; // 1 − pₜ
        let dmiss = one - t - t; // d(1 − pₜ)/dp
        let (m, dm) = focal_factor::<A, FMA>(miss, dmiss, self.gamma);
        let a = class_balance(self.alpha, t);
        (a * m * ce, a * (dm * dp * ce + m * dce))
    }
}

getters!(BinaryFocal = "ndloss::loss::BinaryFocal::new()" {
    get_alpha => alpha(Some(0.5)): Option<f64> = Some(0.5),
    get_gamma => gamma(1.0): f64 = 1.0,
    get_from_logits => from_logits(true): bool = true,
    get_label_smoothing => label_smoothing(0.1): f64 = 0.1,
});
getters!(SigmoidFocal = "ndloss::loss::SigmoidFocal::new()" {
    get_alpha => alpha(None): Option<f64> = None,
    get_gamma => gamma(1.0): f64 = 1.0,
});
getters!(BceWithLogits = "ndloss::loss::BceWithLogits::new()" { get_pos_weight => pos_weight(2.0): Option<f64> = Some(2.0) });

impl BceWithLogits {
    /// The per-class positive weights, as [`pos_weights`](Self::pos_weights)
    /// set them (in `f64`); `None` without them.
    ///
    /// ```
    /// use ndarray::array;
    /// use ndloss::loss::BceWithLogits;
    ///
    /// let loss = BceWithLogits::new().pos_weights(array![1.0_f32, 3.0]);
    /// assert_eq!(loss.get_pos_weights(), Some(&[1.0, 3.0][..]));
    /// assert_eq!(loss.get_pos_weight(), None);
    /// ```
    pub fn get_pos_weights(&self) -> Option<&[f64]> {
        self.pos_weights.as_ref().map(|(w, _)| w.as_slice())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loss::Loss;
    use ndarray::array;

    #[test]
    fn bce_with_logits_specialised_variant_is_the_general_formula() {
        // Without a positive weight the contiguous kernels run
        // `BceLogitsMath<_, false>` (`PointMath::specialize`); the general
        // math at weight 1 multiplies by exact ones: the same bits.
        let x = ndarray::Array1::from_shape_fn(1000, |i| (i as f32 - 500.0) / 37.0);
        let t = ndarray::Array1::from_shape_fn(1000, |i| ((i * 7) % 11) as f32 / 10.0);
        let mut g = ndarray::Array1::zeros(1000);
        let v0 = BceWithLogits::new()
            .forward_grad_into(&x, &t, &mut g)
            .unwrap();
        let g0 = g.clone();
        let weight_one = BceWithLogits::new().pos_weight(1.0);
        let v1 = weight_one.forward_grad_into(&x, &t, &mut g).unwrap();
        assert_eq!(v0.to_bits(), v1.to_bits());
        assert!(g0.iter().zip(&g).all(|(a, b)| a.to_bits() == b.to_bits()));
        // And a weight still reaches the general math: weight 3 adds
        // 2·t·ln(1 + e^{−x}) per element to the mean.
        let v3 = BceWithLogits::new()
            .pos_weight(3.0)
            .forward(&x, &t)
            .unwrap();
        let extra = x
            .iter()
            .zip(&t)
            .map(|(&x, &t)| 2.0 * f64::from(t) * (-f64::from(x)).exp().ln_1p())
            .sum::<f64>()
            / 1000.0;
        assert!((f64::from(v3 - v0) - extra).abs() < 1e-5 * extra);
    }

    #[test]
    fn bce_clamps_logs_at_minus_100() {
        let (v, g) = Bce::new()
            .reduction(Reduction::Sum)
            .forward_grad(&array![0.0_f64, 1.0, 1.0], &array![1.0, 0.0, 1.0])
            .unwrap();
        assert_eq!(v, 200.0);
        let floor = f64::from(1e-12_f32);
        assert_eq!(g, array![-1.0 / floor, 1.0 / floor, 0.0]);
    }
}

/// optax's binary sparsemax loss: `sparse_plus` of the logit signed by the
/// label, the sparse counterpart of [`BceWithLogits`] (`softplus` of the
/// same argument).
///
/// With `z = −x` where the label is non-zero and `z = x` where it is 0:
///
/// ```text
/// ℓ = 0 for z ≤ −1,   (z + 1)²/4 for −1 < z < 1,   z for z ≥ 1
/// ∂ℓ/∂z = 0, (z + 1)/2, 1 (continuous: ℓ is once differentiable)
/// ```
///
/// A logit beyond ±1 on the right side costs exactly 0. Any non-zero label
/// counts as positive, as optax's `jnp.where(labels, …)`.
///
/// | parameter | default | range |
/// | --- | --- | --- |
/// | `reduction` | `Mean` | `Mean`, `Sum`, `BatchMean` |
///
/// optax: `sparsemax_loss(logits, labels)` averaged is `Mean`. The
/// multiclass one is [`Sparsemax`](crate::loss::Sparsemax).
///
/// # Examples
///
/// ```
/// use ndarray::array;
/// use ndloss::prelude::*;
///
/// let x = array![2.0_f64, 0.0, -3.0];
/// let u = BinarySparsemax::new().unreduced(&x, &array![1.0, 1.0, 0.0])?;
/// assert_eq!(u, array![0.0, 0.25, 0.0]);
/// # Ok::<(), ndloss::Error>(())
/// ```
///
/// # Errors
///
/// As [`Mse`](crate::loss::Mse).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct BinarySparsemax {
    reduction: Reduction,
}

impl BinarySparsemax {
    /// optax' binary sparsemax loss with the mean reduction.
    pub fn new() -> Self {
        Self::default()
    }

    fn checked_math<A: Float>(&self) -> Result<BinarySparsemaxMath<A>> {
        Ok(BinarySparsemaxMath(std::marker::PhantomData))
    }
}
counted_elementwise!(BinarySparsemax, BinarySparsemaxMath);

#[derive(Clone, Copy)]
pub(crate) struct BinarySparsemaxMath<A>(std::marker::PhantomData<A>);

impl<A: Float> PointMath<A> for BinarySparsemaxMath<A> {
    #[inline(always)]
    fn value(self, x: A, y: A) -> A {
        self.value_grad(x, y).0
    }
    #[inline(always)]
    fn value_grad(self, x: A, y: A) -> (A, A) {
        let one = A::one();
        let (z, dz) = if y != A::zero() { (-x, -one) } else { (x, one) };
        let half = A::from_f64(0.5);
        if z >= one {
            (z, dz)
        } else if z > -one {
            let u = z + one;
            (u * u * A::from_f64(0.25), u * half * dz)
        } else if z.is_nan() {
            (z, z)
        } else {
            (A::zero(), A::zero())
        }
    }
}
