//! Ranking losses: should one score rank above another? [`MarginRanking`]
//! on pairs of scores.
//!
//! Like every loss of several differentiable inputs
//! ([`GaussianNll`](crate::loss::GaussianNll),
//! [`CosineEmbedding`](crate::loss::CosineEmbedding),
//! [`TripletMargin`](crate::loss::TripletMargin)), it implements
//! [`MultiLoss`](crate::loss::MultiLoss) rather than the single-prediction
//! [`Loss`](crate::loss::Loss), and has the same methods as inherent methods
//! with positional arguments:
//!
//! | method | returns |
//! | --- | --- |
//! | `forward` | the reduced value |
//! | `forward_grad_into` | the value, with the gradient of every differentiable input written into caller buffers in one pass |
//! | `forward_grad` | the value and the gradients as new arrays, in argument order |
//! | `grad` | the gradients only |
//! | `unreduced` | the loss per element (per pair, per triplet): PyTorch's `reduction='none'` |
//!
//! Inputs are `&ArrayRef`s, so owned arrays and views (contiguous or
//! strided) all pass as `&a`. Every call validates its hyperparameters,
//! shapes and values before it writes anything: on error every gradient
//! buffer is unchanged.
//!
//! | loss | inputs | differentiable |
//! | --- | --- | --- |
//! | [`MarginRanking`] | `x1`, `x2`, `y` of one shape | `x1`, `x2` |
//! | [`GaussianNll`](crate::loss::GaussianNll) | `input`, `target` of one shape, `var` (same shape or one per row) | `input`, `var` |
//! | [`CosineEmbedding`](crate::loss::CosineEmbedding) | `x1`, `x2` of shape `(N, D)`, `y` of shape `(N,)` | `x1`, `x2` |
//! | [`TripletMargin`](crate::loss::TripletMargin) | `anchor`, `positive`, `negative` of shape `(N, D)` | all three |

use ndarray::{Array, ArrayRef, Dimension};

use super::loss_builders;
use super::multi::{clamp_min_zero, multi_loss};
use crate::error::{check_hyper, Result};
use crate::float::Float;
use crate::kernel::check_same_shape;
use crate::kernel::elementwise::{map3, reduce3};
use crate::loss::Reduction;

/// Margin ranking loss: should `x1` rank above `x2` (`y = 1`) or below (`y = −1`)?
///
/// ```text
/// ℓ = max(0, −y·(x1 − x2) + margin)
/// ∂ℓ/∂x1 = −y,  ∂ℓ/∂x2 = y    where −y·(x1 − x2) + margin ≥ 0, else 0
/// mean: Σ ℓ / n    sum: Σ ℓ    batch mean: Σ ℓ / (size of axis 0)
/// ```
///
/// For learning scores from pairwise preferences (learning to rank, siamese
/// scoring): a pair costs nothing once the preferred score leads by at least
/// `margin`. `x1`, `x2` and `y` have one shape (any dimension). Labels are
/// used as given, as in PyTorch (any `y` works in the formula; ±1 is the
/// meaningful choice). At the kink the gradient is PyTorch's subgradient
/// (`−y`, `y`).
///
/// | parameter | default | range |
/// | --- | --- | --- |
/// | `margin` | 0 | finite |
/// | `reduction` | `Mean` | `Mean`, `Sum`, `BatchMean` |
///
/// PyTorch: `torch.nn.MarginRankingLoss(margin)` / `F.margin_ranking_loss`,
/// same values and gradients (PyTorch too requires the three shapes to be
/// equal). Difference: a mean over an empty input is an error, not NaN.
///
/// # Examples
///
/// ```
/// use ndarray::array;
/// use ndloss::loss::MarginRanking;
///
/// let (x1, x2, y) = (array![1.0_f64, 2.0], array![2.0, 0.0], array![1.0, 1.0]);
/// let (value, g1, g2) = MarginRanking::new().forward_grad(&x1, &x2, &y)?;
/// assert_eq!(value, 0.5); // (max(0, 1) + max(0, −2)) / 2
/// assert_eq!(g1, array![-0.5, 0.0]);
/// assert_eq!(g2, array![0.5, 0.0]);
/// # Ok::<(), ndloss::Error>(())
/// ```
///
/// # Errors
///
/// [`Error::ShapeMismatch`](crate::Error::ShapeMismatch) naming `x2`, `y` or a gradient buffer
/// (`"gradient buffer for x1"`, `"gradient buffer for x2"`) whose shape is
/// not `x1`'s; [`Error::InvalidHyperparameter`](crate::Error::InvalidHyperparameter) for a non-finite `margin`;
/// [`Error::EmptyReduction`](crate::Error::EmptyReduction) for the mean of an empty input.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MarginRanking {
    reduction: Reduction,
    margin: f64,
}

impl Default for MarginRanking {
    fn default() -> Self {
        Self {
            reduction: Reduction::Mean,
            margin: 0.0,
        }
    }
}
loss_builders!(MarginRanking);
multi_loss!(MarginRanking<D> (x1: D, x2: D, y: D) -> (grad_x1: D, grad_x2: D), Array<A, D>);

impl MarginRanking {
    /// Margin ranking loss with `margin = 0` and mean reduction (PyTorch's defaults).
    pub fn new() -> Self {
        Self::default()
    }

    /// The margin by which the preferred input must lead (default 0).
    #[must_use]
    pub fn margin(mut self, margin: f64) -> Self {
        self.margin = margin;
        self
    }

    fn check_margin(&self) -> Result<f64> {
        check_hyper(
            "margin",
            self.margin,
            self.margin.is_finite(),
            "a finite value",
        )
    }

    /// Checks the margin and the shapes; returns the per-element math.
    fn checked<A: Float, D: Dimension>(
        &self,
        x1: &ArrayRef<A, D>,
        x2: &ArrayRef<A, D>,
        y: &ArrayRef<A, D>,
    ) -> Result<impl Fn(A, A, A) -> (A, A, A) + Copy> {
        let m = self.check_margin()?;
        check_same_shape("x2", x1, x2)?;
        check_same_shape("y", x1, y)?;
        let margin = A::from_f64(m);
        Ok(move |a: A, b: A, y: A| {
            // PyTorch's order: (−y)·(x1 − x2) + margin.
            let (v, d) = clamp_min_zero(-y * (a - b) + margin);
            (v, -y * d, y * d)
        })
    }

    /// The reduced loss.
    ///
    /// # Errors
    ///
    /// See [`MarginRanking`].
    pub fn forward<A: Float, D: Dimension>(
        &self,
        x1: &ArrayRef<A, D>,
        x2: &ArrayRef<A, D>,
        y: &ArrayRef<A, D>,
    ) -> Result<A> {
        let f = self.checked(x1, x2, y)?;
        reduce3([x1.view(), x2.view(), y.view()], None, self.reduction, f)
    }

    /// The reduced loss, with its gradients with respect to `x1` and `x2`
    /// written into `grad_x1` and `grad_x2` (shaped like `x1`) in one pass.
    ///
    /// # Errors
    ///
    /// See [`MarginRanking`]; on error both buffers are unchanged.
    pub fn forward_grad_into<A: Float, D: Dimension>(
        &self,
        x1: &ArrayRef<A, D>,
        x2: &ArrayRef<A, D>,
        y: &ArrayRef<A, D>,
        grad_x1: &mut ArrayRef<A, D>,
        grad_x2: &mut ArrayRef<A, D>,
    ) -> Result<A> {
        let f = self.checked(x1, x2, y)?;
        check_same_shape("gradient buffer for x1", x1, grad_x1)?;
        check_same_shape("gradient buffer for x2", x1, grad_x2)?;
        reduce3(
            [x1.view(), x2.view(), y.view()],
            Some((grad_x1, grad_x2)),
            self.reduction,
            f,
        )
    }

    /// The reduced loss and its gradients `(value, ∂/∂x1, ∂/∂x2)`.
    ///
    /// # Errors
    ///
    /// See [`MarginRanking`].
    #[allow(clippy::type_complexity)]
    pub fn forward_grad<A: Float, D: Dimension>(
        &self,
        x1: &ArrayRef<A, D>,
        x2: &ArrayRef<A, D>,
        y: &ArrayRef<A, D>,
    ) -> Result<(A, Array<A, D>, Array<A, D>)> {
        let mut g1 = Array::zeros(x1.raw_dim());
        let mut g2 = Array::zeros(x1.raw_dim());
        let v = self.forward_grad_into(x1, x2, y, &mut g1, &mut g2)?;
        Ok((v, g1, g2))
    }

    /// The gradients `(∂/∂x1, ∂/∂x2)` of the reduced loss.
    ///
    /// # Errors
    ///
    /// See [`MarginRanking`].
    pub fn grad<A: Float, D: Dimension>(
        &self,
        x1: &ArrayRef<A, D>,
        x2: &ArrayRef<A, D>,
        y: &ArrayRef<A, D>,
    ) -> Result<(Array<A, D>, Array<A, D>)> {
        self.forward_grad(x1, x2, y).map(|(_, g1, g2)| (g1, g2))
    }

    /// The loss per element (PyTorch's `reduction='none'`); an empty input is valid.
    ///
    /// # Errors
    ///
    /// See [`MarginRanking`].
    pub fn unreduced<A: Float, D: Dimension>(
        &self,
        x1: &ArrayRef<A, D>,
        x2: &ArrayRef<A, D>,
        y: &ArrayRef<A, D>,
    ) -> Result<Array<A, D>> {
        let f = self.checked(x1, x2, y)?;
        Ok(map3([x1.view(), x2.view(), y.view()], f))
    }
}

impl crate::loss::CheckSettings for MarginRanking {
    fn check_settings(&self) -> Result<()> {
        self.check_margin().map(drop)
    }
}

getters!(MarginRanking = "ndloss::loss::MarginRanking::new()" { get_margin => margin(0.5): f64 = 0.5 });
