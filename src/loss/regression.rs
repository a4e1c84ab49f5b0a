//! Regression losses: the prediction and the target are arrays of the same
//! shape, and the loss is a function of each pair of elements.

use crate::error::{check_hyper, Result};
use crate::float::{clamp_keep_nan, sign, tanh_from_expm1, Float};
use crate::kernel::elementwise::{PointMath, WeightedMean};
use crate::loss::{counted_elementwise, elementwise_loss, loss_builders, Elementwise, Reduction};

/// Mean squared error.
///
/// ```text
/// ℓᵢ = (pᵢ − tᵢ)²          ∂ℓᵢ/∂pᵢ = 2(pᵢ − tᵢ)
/// mean: Σ ℓᵢ / n           sum: Σ ℓᵢ
/// ```
///
/// The loss for regression with Gaussian noise. Works on arrays of any
/// dimension, owned or views, contiguous or strided. The target must have the
/// prediction's shape exactly (no broadcasting, where PyTorch only warns): for
/// a `(batch, 1)` model output use `(batch, 1)` targets, e.g.
/// `y.insert_axis(Axis(1))`.
///
/// | parameter | default | range |
/// | --- | --- | --- |
/// | `reduction` | `Mean` | `Mean`, `Sum` |
///
/// PyTorch: `torch.nn.MSELoss()` / `F.mse_loss`, same values and gradients.
/// Keras' `MeanSquaredError` averages over the last axis first; with the
/// default reduction the result is the same. optax's `l2_loss` is *half* this.
///
/// # Examples
///
/// ```
/// use ndarray::array;
/// use ndloss::prelude::*;
///
/// let pred = array![[0.5_f64, 1.0], [2.0, -1.0]];
/// let target = array![[0.0_f64, 1.0], [2.5, -1.0]];
/// let (value, grad) = Mse::new().forward_grad(&pred, &target)?;
/// assert_eq!(value, 0.125); // (0.25 + 0 + 0.25 + 0) / 4
/// assert_eq!(grad, array![[0.25, 0.0], [-0.25, 0.0]]); // 2(p − t) / 4
/// # Ok::<(), ndloss::Error>(())
/// ```
///
/// # Errors
///
/// [`Error::ShapeMismatch`](crate::Error::ShapeMismatch) if `target` (or the
/// gradient buffer) is not shaped like `pred`;
/// [`Error::EmptyReduction`](crate::Error::EmptyReduction) for the mean of an
/// empty input (PyTorch returns NaN).
///
/// Weighted ([`WeightedLoss`](crate::loss::WeightedLoss)): the mean divides by `Σw`, as PyTorch's `mse_loss(weight=)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Mse {
    reduction: Reduction,
}

impl Mse {
    /// Mean squared error with mean reduction.
    pub fn new() -> Self {
        Self::default()
    }
}
loss_builders!(Mse);
elementwise_loss!(Mse);

impl Elementwise for Mse {
    type Math<A: Float> = MseMath;
    const WEIGHTED_MEAN: WeightedMean = WeightedMean::SumOfWeights;
    fn math<A: Float>(&self) -> Result<MseMath> {
        Ok(MseMath)
    }
    fn reduction_mode(&self) -> Reduction {
        self.reduction
    }
}

#[derive(Clone, Copy)]
pub(crate) struct MseMath;

impl<A: Float> PointMath<A> for MseMath {
    #[inline(always)]
    fn value(self, p: A, t: A) -> A {
        let e = p - t;
        e * e
    }
    #[inline(always)]
    fn value_grad(self, p: A, t: A) -> (A, A) {
        let e = p - t;
        (e * e, e + e)
    }
}

/// Mean absolute error (L1 loss).
///
/// ```text
/// ℓᵢ = |pᵢ − tᵢ|           ∂ℓᵢ/∂pᵢ = sign(pᵢ − tᵢ), 0 where pᵢ = tᵢ
/// mean: Σ ℓᵢ / n           sum: Σ ℓᵢ
/// ```
///
/// Robust to outliers: the gradient's magnitude does not grow with the error.
/// At a tie the subgradient 0 is used, as PyTorch does.
///
/// | parameter | default | range |
/// | --- | --- | --- |
/// | `reduction` | `Mean` | `Mean`, `Sum` |
///
/// PyTorch: `torch.nn.L1Loss()` / `F.l1_loss`. Keras: `MeanAbsoluteError`.
///
/// # Examples
///
/// ```
/// use ndarray::array;
/// use ndloss::prelude::*;
///
/// let (value, grad) = Mae::new().forward_grad(&array![3.0_f64, 0.0, 1.0], &array![1.0, 1.0, 1.0])?;
/// assert_eq!(value, 1.0); // (2 + 1 + 0) / 3
/// assert_eq!(grad, array![1.0 / 3.0, -1.0 / 3.0, 0.0]);
/// # Ok::<(), ndloss::Error>(())
/// ```
///
/// # Errors
///
/// As [`Mse`].
///
/// Weighted ([`WeightedLoss`](crate::loss::WeightedLoss)): the mean divides by `Σw`, as PyTorch's `l1_loss(weight=)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Mae {
    reduction: Reduction,
}

impl Mae {
    /// Mean absolute error with mean reduction.
    pub fn new() -> Self {
        Self::default()
    }
}
loss_builders!(Mae);
elementwise_loss!(Mae);

impl Elementwise for Mae {
    type Math<A: Float> = MaeMath;
    const WEIGHTED_MEAN: WeightedMean = WeightedMean::SumOfWeights;
    fn math<A: Float>(&self) -> Result<MaeMath> {
        Ok(MaeMath)
    }
    fn reduction_mode(&self) -> Reduction {
        self.reduction
    }
}

#[derive(Clone, Copy)]
pub(crate) struct MaeMath;

impl<A: Float> PointMath<A> for MaeMath {
    #[inline(always)]
    fn value(self, p: A, t: A) -> A {
        (p - t).abs()
    }
    #[inline(always)]
    fn value_grad(self, p: A, t: A) -> (A, A) {
        let e = p - t;
        (e.abs(), sign(e))
    }
}

/// Huber loss: quadratic near zero, linear beyond `delta`.
///
/// ```text
/// z = |p − t|:   ℓ = ½z²             if z < δ      ∂ℓ/∂p = p − t
///                ℓ = δ·(z − ½δ)      otherwise     ∂ℓ/∂p = δ·sign(p − t)
/// ```
///
/// Robust regression: squared error for small residuals, absolute error (so
/// bounded gradients) for outliers. Finite for any finite error (1e19 included).
///
/// | parameter | default | range |
/// | --- | --- | --- |
/// | `delta` | 1 | finite, > 0 |
/// | `reduction` | `Mean` | `Mean`, `Sum`, `BatchMean` |
///
/// PyTorch: `HuberLoss(delta)`; equals `delta·SmoothL1(beta = delta)`.
/// Keras `Huber` and optax `huber_loss` compute the same values. Weighted mean
/// divides by the element count (PyTorch's `huber_loss(weight=)`).
///
/// # Examples
///
/// ```
/// use ndarray::array;
/// use ndloss::prelude::*;
///
/// let v = Huber::new().delta(1.0).forward(&array![0.5_f64, 3.0], &array![0.0, 0.0])?;
/// assert_eq!(v, (0.125 + 2.5) / 2.0);
/// # Ok::<(), ndloss::Error>(())
/// ```
///
/// # Errors
///
/// As [`Mse`], plus [`Error::InvalidHyperparameter`](crate::Error::InvalidHyperparameter) for `delta ≤ 0`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Huber {
    reduction: Reduction,
    delta: f64,
}

impl Default for Huber {
    fn default() -> Self {
        Self {
            reduction: Reduction::Mean,
            delta: 1.0,
        }
    }
}

impl Huber {
    /// Huber loss with `delta = 1`.
    pub fn new() -> Self {
        Self::default()
    }

    /// The threshold between the quadratic and the linear part (default 1).
    #[must_use]
    pub fn delta(mut self, delta: f64) -> Self {
        self.delta = delta;
        self
    }

    fn checked_math<A: Float>(&self) -> Result<HuberMath<A>> {
        let d = check_hyper(
            "delta",
            self.delta,
            self.delta > 0.0 && self.delta.is_finite(),
            "a finite value > 0",
        )?;
        Ok(HuberMath {
            delta: A::from_f64(d),
        })
    }
}
counted_elementwise!(Huber, HuberMath);

/// Huber with threshold δ, or smooth L1 with β = δ (Huber divided by δ; β = 0
/// is then exactly L1, since the quadratic branch is never taken).
#[derive(Clone, Copy)]
pub(crate) struct HuberMathG<A, const SMOOTH_L1: bool> {
    delta: A,
}

/// Huber's math.
pub(crate) type HuberMath<A> = HuberMathG<A, false>;
/// Smooth L1's math (Huber divided by β). A const parameter, not a runtime
/// flag: with a flag, every element would compute both variants, divisions
/// included, and blend them.
pub(crate) type SmoothL1Math<A> = HuberMathG<A, true>;

impl<A: Float, const SMOOTH_L1: bool> PointMath<A> for HuberMathG<A, SMOOTH_L1> {
    #[inline(always)]
    fn value(self, p: A, t: A) -> A {
        self.value_grad(p, t).0
    }
    #[inline(always)]
    fn value_grad(self, p: A, t: A) -> (A, A) {
        let e = p - t;
        let half = A::from_f64(0.5);
        if !SMOOTH_L1 {
            // Huber: the gradient is e clamped to [−δ, δ] (NaN kept), and
            // the value c·(e − c/2) with c that gradient: (e/2)·e inside,
            // δ·(|e| − δ/2) outside — the same products as the two-branch
            // form, to the bit (halving is exact), in half the
            // instructions; `abs` only turns the −0 of e = −0 into +0.
            let c = clamp_keep_nan(e, -self.delta, self.delta);
            return ((c * (e - half * c)).abs(), c);
        }
        let z = e.abs();
        if z < self.delta {
            (half * e * e / self.delta, e / self.delta)
        } else {
            (z - half * self.delta, sign(e))
        }
    }
}

/// Smooth L1 loss: quadratic below `beta`, `|e| − β/2` above.
///
/// ```text
/// z = |p − t|:   ℓ = ½z²/β        if z < β      ∂ℓ/∂p = (p − t)/β
///                ℓ = z − ½β       otherwise     ∂ℓ/∂p = sign(p − t)
/// β = 0:         ℓ = |p − t|   (PyTorch dispatches to the L1 loss)
/// ```
///
/// The box-regression loss of Fast R-CNN.
///
/// | parameter | default | range |
/// | --- | --- | --- |
/// | `beta` | 1 | finite, ≥ 0 |
/// | `reduction` | `Mean` | `Mean`, `Sum`, `BatchMean` |
///
/// PyTorch: `SmoothL1Loss(beta)`.
///
/// # Examples
///
/// ```
/// use ndarray::array;
/// use ndloss::prelude::*;
///
/// let v = SmoothL1::new().beta(0.5).reduction(Reduction::Sum).forward(&array![0.25_f64, 2.0], &array![0.0, 0.0])?;
/// assert_eq!(v, 0.0625 + 1.75);
/// assert_eq!(SmoothL1::new().beta(0.0).forward(&array![-2.0_f64], &array![0.0])?, 2.0);
/// # Ok::<(), ndloss::Error>(())
/// ```
///
/// # Errors
///
/// As [`Mse`], plus [`Error::InvalidHyperparameter`](crate::Error::InvalidHyperparameter) for `beta < 0`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SmoothL1 {
    reduction: Reduction,
    beta: f64,
}

impl Default for SmoothL1 {
    fn default() -> Self {
        Self {
            reduction: Reduction::Mean,
            beta: 1.0,
        }
    }
}

impl SmoothL1 {
    /// Smooth L1 with `beta = 1`.
    pub fn new() -> Self {
        Self::default()
    }

    /// The threshold between the quadratic and the linear part (default 1; 0 gives L1).
    #[must_use]
    pub fn beta(mut self, beta: f64) -> Self {
        self.beta = beta;
        self
    }

    fn checked_math<A: Float>(&self) -> Result<SmoothL1Math<A>> {
        let b = check_hyper(
            "beta",
            self.beta,
            self.beta >= 0.0 && self.beta.is_finite(),
            "a finite value >= 0",
        )?;
        Ok(SmoothL1Math {
            delta: A::from_f64(b),
        })
    }
}
counted_elementwise!(SmoothL1, SmoothL1Math);

/// Log-cosh loss: `ln cosh(p − t)`, computed stably.
///
/// ```text
/// ℓ = ln cosh(e) = |e| + ln(1 + e^{−2|e|}) − ln 2      ∂ℓ/∂p = tanh(e),   e = p − t
/// ```
///
/// Like Huber without a threshold to tune: ≈ e²/2 near zero, ≈ |e| − ln 2
/// far from it. Finite for any finite error (the naive `cosh` overflows at 710).
///
/// | parameter | default | range |
/// | --- | --- | --- |
/// | `reduction` | `Mean` | `Mean`, `Sum`, `BatchMean` |
///
/// Keras: `LogCosh` (mean over the last axis, then over the batch: the same
/// mean); optax: `log_cosh`. Not in PyTorch.
///
/// # Examples
///
/// ```
/// use ndarray::array;
/// use ndloss::prelude::*;
///
/// let v = LogCosh::new().forward(&array![1e19_f64], &array![0.0])?;
/// assert_eq!(v, 1e19 - 2.0_f64.ln());
/// # Ok::<(), ndloss::Error>(())
/// ```
///
/// # Errors
///
/// As [`Mse`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct LogCosh {
    reduction: Reduction,
}

impl LogCosh {
    /// Log-cosh with mean reduction.
    pub fn new() -> Self {
        Self::default()
    }

    fn checked_math<A: Float>(&self) -> Result<LogCoshMath<A>> {
        Ok(LogCoshMath(std::marker::PhantomData))
    }
}
counted_elementwise!(LogCosh, LogCoshMath);

#[derive(Clone, Copy)]
pub(crate) struct LogCoshMath<A>(std::marker::PhantomData<A>);

impl<A: Float> PointMath<A> for LogCoshMath<A> {
    const HEAVY: bool = true;
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
        // With z = |p − t|, m = e^{−2z} − 1 and e = 1 + m:
        // ln cosh z = z + ln(1 + e) − ln 2 and tanh z = −m/(1 + e), one
        // exponential for both.
        let d = p - t;
        let z = d.abs();
        let m = (-(z + z)).expm1_nonpos::<FMA>();
        let e = A::one() + m;
        let value = z + e.ln_1p_unit::<FMA>() - A::from_f64(std::f64::consts::LN_2);
        (value, tanh_from_expm1(d, m))
    }
}

/// Mean squared logarithmic error (Keras).
///
/// ```text
/// ℓ = (ln(1 + max(p, ε)) − ln(1 + max(t, ε)))²,   ε = 1e-7
/// ∂ℓ/∂p = 2·(…)/(1 + p) where p ≥ ε, else 0
/// ```
///
/// For targets spanning orders of magnitude (counts, prices): penalises
/// relative rather than absolute error.
///
/// | parameter | default | range |
/// | --- | --- | --- |
/// | `reduction` | `Mean` | `Mean`, `Sum`, `BatchMean` |
///
/// Keras: `MeanSquaredLogarithmicError` (same values). Not in PyTorch.
///
/// # Examples
///
/// ```
/// use ndarray::array;
/// use ndloss::prelude::*;
///
/// let v = Msle::new().forward(&array![std::f64::consts::E - 1.0], &array![0.0])?;
/// assert!((v - (1.0 - 1e-7_f64.ln_1p()).powi(2)).abs() < 1e-15); // the target is clamped to 1e-7
/// # Ok::<(), ndloss::Error>(())
/// ```
///
/// # Errors
///
/// As [`Mse`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Msle {
    reduction: Reduction,
}

impl Msle {
    /// MSLE with mean reduction.
    pub fn new() -> Self {
        Self::default()
    }

    fn checked_math<A: Float>(&self) -> Result<MsleMath<A>> {
        Ok(MsleMath {
            eps: A::from_f64(1e-7),
        })
    }
}
counted_elementwise!(Msle, MsleMath);

#[derive(Clone, Copy)]
pub(crate) struct MsleMath<A> {
    eps: A,
}

impl<A: Float> PointMath<A> for MsleMath<A> {
    const HEAVY: bool = true;
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
        let clamp = |x: A| if x < self.eps { self.eps } else { x };
        let d = clamp(p).ln_1p_nonneg_k::<FMA>() - clamp(t).ln_1p_nonneg_k::<FMA>();
        // The clamp passes the gradient where p ≥ ε (torch.clamp's rule).
        let g = if p >= self.eps {
            (d + d) / (A::one() + p)
        } else {
            A::zero()
        };
        (d * d, g)
    }
}

/// Mean absolute percentage error (Keras: in percent, ε = 1e-7).
///
/// ```text
/// ℓ = 100·|t − p| / max(|t|, ε)        ∂ℓ/∂p = 100·sign(p − t) / max(|t|, ε)
/// ```
///
/// Scale-free error for strictly non-zero targets; a target of 0 gives a
/// huge loss (`|p|·1e9`), as in Keras.
///
/// | parameter | default | range |
/// | --- | --- | --- |
/// | `reduction` | `Mean` | `Mean`, `Sum`, `BatchMean` |
///
/// Keras: `MeanAbsolutePercentageError`. scikit-learn's
/// `mean_absolute_percentage_error` is a fraction (no ×100) with ε = 2.2e-16.
///
/// # Examples
///
/// ```
/// use ndarray::array;
/// use ndloss::prelude::*;
///
/// let v = Mape::new().forward(&array![110.0_f64, 45.0], &array![100.0, 50.0])?;
/// assert!((v - 10.0).abs() < 1e-12); // 10% off on both
/// # Ok::<(), ndloss::Error>(())
/// ```
///
/// # Errors
///
/// As [`Mse`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Mape {
    reduction: Reduction,
}

impl Mape {
    /// MAPE with mean reduction.
    pub fn new() -> Self {
        Self::default()
    }

    fn checked_math<A: Float>(&self) -> Result<MapeMath<A>> {
        Ok(MapeMath {
            eps: A::from_f64(1e-7),
        })
    }
}
counted_elementwise!(Mape, MapeMath);

#[derive(Clone, Copy)]
pub(crate) struct MapeMath<A> {
    eps: A,
}

impl<A: Float> PointMath<A> for MapeMath<A> {
    #[inline(always)]
    fn value(self, p: A, t: A) -> A {
        self.value_grad(p, t).0
    }
    #[inline(always)]
    fn value_grad(self, p: A, t: A) -> (A, A) {
        let at = t.abs();
        let s = A::from_f64(100.0) / if at < self.eps { self.eps } else { at };
        ((t - p).abs() * s, sign(p - t) * s)
    }
}

/// Quantile (pinball) loss for quantile `τ`.
///
/// ```text
/// e = t − p:   ℓ = max(τ·e, (τ − 1)·e)      ∂ℓ/∂p = −τ if e > 0,  1 − τ if e < 0,  0 at e = 0
/// ```
///
/// Its minimiser is the `τ`-quantile of the target distribution: `τ = 0.5`
/// is half the absolute error (the median), `τ = 0.9` an upper bound that
/// 90% of targets fall below. For prediction intervals.
///
/// | parameter | default | range |
/// | --- | --- | --- |
/// | `tau` | 0.5 | (0, 1) |
/// | `reduction` | `Mean` | `Mean`, `Sum`, `BatchMean` |
///
/// Not in PyTorch or Keras core (TensorFlow Addons' `PinballLoss`).
///
/// # Examples
///
/// ```
/// use ndarray::array;
/// use ndloss::prelude::*;
///
/// let q = Quantile::new().tau(0.9).reduction(Reduction::Sum);
/// // Under-prediction by 1 costs 0.9, over-prediction by 1 costs 0.1.
/// assert!((q.forward(&array![0.0_f64, 2.0], &array![1.0, 1.0])? - 1.0).abs() < 1e-15);
/// # Ok::<(), ndloss::Error>(())
/// ```
///
/// # Errors
///
/// As [`Mse`], plus [`Error::InvalidHyperparameter`](crate::Error::InvalidHyperparameter) for `tau` outside (0, 1).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Quantile {
    reduction: Reduction,
    tau: f64,
}

impl Default for Quantile {
    fn default() -> Self {
        Self {
            reduction: Reduction::Mean,
            tau: 0.5,
        }
    }
}

impl Quantile {
    /// Pinball loss for the median (`tau = 0.5`).
    pub fn new() -> Self {
        Self::default()
    }

    /// The quantile `τ` (default 0.5).
    #[must_use]
    pub fn tau(mut self, tau: f64) -> Self {
        self.tau = tau;
        self
    }

    fn checked_math<A: Float>(&self) -> Result<QuantileMath<A>> {
        let tau = check_hyper(
            "tau",
            self.tau,
            self.tau > 0.0 && self.tau < 1.0,
            "a value in (0, 1)",
        )?;
        Ok(QuantileMath {
            tau: A::from_f64(tau),
        })
    }
}
counted_elementwise!(Quantile, QuantileMath);

#[derive(Clone, Copy)]
pub(crate) struct QuantileMath<A> {
    tau: A,
}

impl<A: Float> PointMath<A> for QuantileMath<A> {
    #[inline(always)]
    fn value(self, p: A, t: A) -> A {
        self.value_grad(p, t).0
    }
    #[inline(always)]
    fn value_grad(self, p: A, t: A) -> (A, A) {
        let e = t - p;
        let (a, b) = (self.tau * e, (self.tau - A::one()) * e);
        let g = if e > A::zero() {
            -self.tau
        } else if e < A::zero() {
            A::one() - self.tau
        } else {
            e * A::zero()
        };
        (if a > b { a } else { b }, g)
    }
}

getters!(Huber = "ndloss::loss::Huber::new()" { get_delta => delta(0.5): f64 = 0.5 });
getters!(SmoothL1 = "ndloss::loss::SmoothL1::new()" { get_beta => beta(0.5): f64 = 0.5 });
getters!(Quantile = "ndloss::loss::Quantile::new()" { get_tau => tau(0.9): f64 = 0.9 });

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::elementwise::PointMath;

    /// Huber's one-clamp form gives, to the bit, the two-branch definition
    /// (`½e²` inside, `δ(|e| − δ/2)` outside, gradient `e` or `δ·sign e`),
    /// at the boundaries, for ±0, ±∞, NaN, subnormals and a dense sweep.
    #[test]
    fn huber_clamp_form_is_the_two_branch_definition_bit_for_bit() {
        fn check<A: Float>(delta: A, values: impl Iterator<Item = A>) -> usize {
            let math = HuberMath { delta };
            let half = A::from_f64(0.5);
            let mut n = 0;
            for e in values {
                let z = e.abs();
                let (v0, g0) = if z < delta {
                    (half * e * e, e)
                } else {
                    (delta * (z - half * delta), delta * sign(e))
                };
                let (v, g) = math.value_grad(e, A::zero());
                // Bits compared: e = −0 must give the value +0, as ½·e·e does.
                let same = |a: A, b: A| {
                    (a.is_nan() && b.is_nan()) || a.to_f64().to_bits() == b.to_f64().to_bits()
                };
                assert!(
                    same(v, v0),
                    "value at {}: {} vs {}",
                    e.to_f64(),
                    v.to_f64(),
                    v0.to_f64()
                );
                assert!(
                    same(g, g0),
                    "gradient at {}: {} vs {}",
                    e.to_f64(),
                    g.to_f64(),
                    g0.to_f64()
                );
                n += 1;
            }
            n
        }
        for delta in [1.0_f32, 0.37, 3.5, 1e-30] {
            let special = [
                0.0,
                -0.0,
                delta,
                -delta,
                f32::from_bits(delta.to_bits() - 1),
                -f32::from_bits(delta.to_bits() + 1),
                f32::INFINITY,
                f32::NEG_INFINITY,
                f32::NAN,
                f32::from_bits(3),
                -f32::from_bits(3),
                f32::MAX,
            ];
            let sweep = (0..=200_000).map(|i| (i as f32 - 100_000.0) * 1e-4 * delta.max(1e-3));
            let bits = (0..=u32::MAX / 65_521).map(|i| f32::from_bits(i * 65_521));
            assert!(check(delta, special.into_iter().chain(sweep).chain(bits)) > 250_000);
        }
        let sweep = (0..=20_000).map(|i| (i as f64 - 10_000.0) * 3e-4);
        assert!(check(1.0_f64, sweep.chain([0.0, -0.0, 1.0, -1.0, f64::NAN])) > 20_000);
    }
}
