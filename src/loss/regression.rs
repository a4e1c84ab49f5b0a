//! Regression losses: the prediction and the target are arrays of the same
//! shape, and the loss is a function of each pair of elements.

use crate::error::Result;
use crate::float::Float;
use crate::kernel::elementwise::PointMath;
use crate::loss::{elementwise_loss, loss_builders, Reduction};

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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Mse {
    reduction: Reduction,
}

impl Mse {
    /// Mean squared error with mean reduction.
    pub fn new() -> Self {
        Self::default()
    }

    fn math(&self) -> Result<MseMath> {
        Ok(MseMath)
    }
}
loss_builders!(Mse);
elementwise_loss!(Mse);

#[derive(Clone, Copy)]
struct MseMath;

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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Mae {
    reduction: Reduction,
}

impl Mae {
    /// Mean absolute error with mean reduction.
    pub fn new() -> Self {
        Self::default()
    }

    fn math(&self) -> Result<MaeMath> {
        Ok(MaeMath)
    }
}
loss_builders!(Mae);
elementwise_loss!(Mae);

#[derive(Clone, Copy)]
struct MaeMath;

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

/// `sign(x)` with `sign(±0) = 0` and NaN kept (`Float::signum` gives `1` at `+0`).
#[inline(always)]
pub(crate) fn sign<A: Float>(x: A) -> A {
    if x > A::zero() {
        A::one()
    } else if x < A::zero() {
        -A::one()
    } else {
        x * A::zero() // 0, or NaN for NaN
    }
}
