//! The [`Loss`] trait, [`Reduction`], and every loss, grouped by family.
//!
//! | family | losses |
//! | --- | --- |
//! | [`regression`] | [`Mse`], [`Mae`], [`Huber`], [`SmoothL1`], [`LogCosh`], [`Msle`], [`Mape`], [`Quantile`] |
//! | [`binary`] | [`Bce`], [`BceWithLogits`], [`SigmoidFocal`], [`BinaryFocal`] (element-wise, targets in [0, 1]) |
//! | [`classification`] | [`CrossEntropy`] (logits or probabilities, any number of spatial axes), [`Nll`], [`MultiMargin`] (over a class axis); Keras' [`CategoricalFocal`], [`GeneralizedCrossEntropy`] (over the last axis) |
//! | [`margin`] | [`Hinge`], [`SquaredHinge`], [`SoftMargin`], [`HingeEmbedding`] (scores with ±1 labels), [`CategoricalHinge`] (per lane) |
//! | [`probabilistic`] | [`PoissonNll`], [`GaussianNll`], [`KlDiv`] |
//! | [`boxes`] | [`IouLoss`], [`GiouLoss`], [`DiouLoss`], [`CiouLoss`] |
//! | [`ranking`] | [`MarginRanking`] |
//! | [`contrastive`] | [`CosineEmbedding`], [`TripletMargin`], [`CosineSimilarity`] (per lane) |
//! | [`overlap`] | [`Dice`] (Tversky, generalized; segmentation over a class axis) |
//! | [`sequence`] | [`Ctc`] (log-probabilities over frames against unaligned targets) |
//!
//! [`MarginRanking`], [`GaussianNll`], [`CosineEmbedding`] and
//! [`TripletMargin`] take several differentiable inputs: they implement
//! [`MultiLoss`] instead of [`Loss`] (see [`ranking`]). [`Regularized`] adds
//! a penalty on the parameters to any loss.

use ndarray::{Array, ArrayRef, Dimension};

use crate::error::Result;
use crate::float::Float;
pub use crate::reduction::Reduction;

pub mod binary;
pub mod boxes;
pub mod classification;
pub mod contrastive;
pub(crate) mod lanes;
pub mod margin;
mod multi;
pub mod overlap;
pub use multi::MultiLoss;
pub mod probabilistic;
pub mod ranking;
pub mod regression;
mod regularized;
pub mod sequence;

pub use binary::{Bce, BceWithLogits, BinaryFocal, BinarySparsemax, SigmoidFocal};
pub use boxes::{CiouLoss, DiouLoss, GiouLoss, IouLoss};
pub use classification::{
    CategoricalFocal, CrossEntropy, GeneralizedCrossEntropy, MultiMargin, Nll, PolyLoss, Sparsemax,
};
pub use contrastive::{
    ClipLoss, CosineEmbedding, CosineSimilarity, NtXent, TripletDistance, TripletMargin,
};
pub use margin::{
    CategoricalHinge, Hinge, HingeEmbedding, MultiLabelSoftMargin, MulticlassHinge,
    MulticlassPerceptron, Perceptron, SoftMargin, SquaredHinge,
};
pub use overlap::{Dice, DiceInput};
pub use probabilistic::{GaussianNll, GeneralizedKl, KlDiv, PoissonNll};
pub use ranking::MarginRanking;
pub use regression::{Huber, LogCosh, Mae, Mape, Mse, Msle, Quantile, SmoothL1};
pub use regularized::{Regularized, WithParams};
pub use sequence::{Ctc, CtcGradient, CtcLayout, CtcTargets};

/// A loss: a scalar objective of a prediction and a target, with its exact
/// gradient with respect to the prediction.
///
/// `A` is the float type, `D` the dimension of the prediction; `T` and `TD`
/// are the element type and dimension of the target (by default those of the
/// prediction; `usize` and `Ix1` for class-index targets).
///
/// Arguments are taken as `&ArrayRef`, so owned arrays, views and strided
/// slices all pass as `&a` (or `&a.view()`). Implementations validate every
/// input before writing anything: on error the gradient buffer is untouched.
///
/// [`forward_grad_into`](Loss::forward_grad_into) is the hot path: value and
/// gradient in one pass, no allocation. [`grad`](Loss::grad) and
/// [`forward_grad`](Loss::forward_grad) allocate the gradient and call it.
///
/// # Examples
///
/// Choosing a loss at run time through a trait object:
///
/// ```
/// use ndarray::{array, Ix1};
/// use ndloss::prelude::*;
///
/// let losses: Vec<Box<dyn Loss<f64, Ix1, Unreduced = Ix1>>> =
///     vec![Box::new(Mse::new()), Box::new(Mae::new())];
/// let (p, t) = (array![1.0, -1.0], array![0.0, 0.0]);
/// let values: Vec<f64> = losses
///     .iter()
///     .map(|l| l.forward(&p, &t))
///     .collect::<Result<_, _>>()?;
/// assert_eq!(values, [1.0, 1.0]);
/// # Ok::<(), ndloss::Error>(())
/// ```
pub trait Loss<A: Float, D: Dimension, T = A, TD: Dimension = D> {
    /// Dimension of [`unreduced`](Loss::unreduced): `D` for element-wise
    /// losses, one per sample (`Ix1`) for cross-entropy.
    type Unreduced: Dimension;

    /// The reduced loss value.
    ///
    /// # Errors
    ///
    /// Shape mismatches, out-of-range targets or values, invalid
    /// hyperparameters, and a mean over nothing; see each loss.
    fn forward(&self, pred: &ArrayRef<A, D>, target: &ArrayRef<T, TD>) -> Result<A>;

    /// The reduced loss value, and its gradient with respect to `pred`
    /// written into `grad` (same shape as `pred`), in one pass with no
    /// allocation.
    ///
    /// # Errors
    ///
    /// As [`forward`](Loss::forward), plus a `grad` whose shape differs from
    /// `pred`'s. On error `grad` is unchanged.
    fn forward_grad_into(
        &self,
        pred: &ArrayRef<A, D>,
        target: &ArrayRef<T, TD>,
        grad: &mut ArrayRef<A, D>,
    ) -> Result<A>;

    /// The loss per element (or per sample), without reduction: PyTorch's
    /// `reduction='none'`.
    ///
    /// # Errors
    ///
    /// As [`forward`](Loss::forward), except that an empty input is valid.
    fn unreduced(
        &self,
        pred: &ArrayRef<A, D>,
        target: &ArrayRef<T, TD>,
    ) -> Result<Array<A, Self::Unreduced>>;

    /// The gradient of the reduced loss with respect to `pred`, in a new array.
    ///
    /// # Errors
    ///
    /// As [`forward`](Loss::forward).
    fn grad(&self, pred: &ArrayRef<A, D>, target: &ArrayRef<T, TD>) -> Result<Array<A, D>> {
        self.forward_grad(pred, target).map(|(_, g)| g)
    }

    /// The reduced loss value and its gradient, in one pass.
    ///
    /// # Errors
    ///
    /// As [`forward`](Loss::forward).
    fn forward_grad(
        &self,
        pred: &ArrayRef<A, D>,
        target: &ArrayRef<T, TD>,
    ) -> Result<(A, Array<A, D>)> {
        let mut grad = Array::zeros(pred.raw_dim());
        let value = self.forward_grad_into(pred, target, &mut grad)?;
        Ok((value, grad))
    }
}

/// The settings check behind every loss's `validate`: the
/// [`InvalidHyperparameter`](crate::Error::InvalidHyperparameter) errors a
/// call returns for the settings alone, in the order the call checks them.
pub(crate) trait CheckSettings {
    fn check_settings(&self) -> Result<()>;
}

impl<L: Elementwise> CheckSettings for L {
    fn check_settings(&self) -> Result<()> {
        self.math::<f64>().map(drop)
    }
}

/// Builder methods every loss shares: `reduction`, `get_reduction`,
/// `validate` and `regularized`.
macro_rules! loss_builders {
    ($name:ident) => {
        impl $name {
            /// Checks the settings without data: the
            /// [`InvalidHyperparameter`](crate::Error::InvalidHyperparameter)
            /// error a call would return for them alone (what depends on the
            /// data, such as the length of per-class weights, is checked by
            /// the call).
            ///
            /// # Errors
            ///
            /// The first invalid setting.
            ///
            /// ```
            #[doc = concat!("assert!(ndloss::loss::", stringify!($name), "::new().validate().is_ok());")]
            /// ```
            pub fn validate(&self) -> $crate::error::Result<()> {
                $crate::loss::CheckSettings::check_settings(self)
            }

            /// Sets how the loss is reduced (default [`Reduction::Mean`]).
            ///
            /// [`Reduction::Mean`]: crate::loss::Reduction::Mean
            #[must_use]
            pub fn reduction(mut self, reduction: $crate::loss::Reduction) -> Self {
                self.reduction = reduction;
                self
            }

            /// The reduction in use.
            pub fn get_reduction(&self) -> $crate::loss::Reduction {
                self.reduction
            }

            /// Wraps the loss with a regularizer over a parameter set:
            /// see [`Regularized`](crate::loss::Regularized).
            pub fn regularized<R: $crate::regularize::Regularizer>(
                self,
                regularizer: R,
            ) -> $crate::loss::Regularized<Self, R> {
                $crate::loss::Regularized::new(self, regularizer)
            }
        }
    };
}
pub(crate) use loss_builders;

/// A float vector's values as `f64` (how the losses store per-class settings).
pub(crate) fn to_f64_vec<S>(values: &ndarray::ArrayBase<S, ndarray::Ix1>) -> Vec<f64>
where
    S: ndarray::Data,
    S::Elem: Float,
{
    values.iter().map(|v| v.to_f64()).collect()
}

/// Element-wise losses with per-element weights, PyTorch's `weight=`.
///
/// The weight broadcasts to the prediction's shape (same shape, or e.g. one
/// weight per class `(C,)` for `(N, C)`). Each loss documents its weighted
/// mean: `Σ wᵢℓᵢ / Σ wᵢ` (`Mse`, `Mae`, as PyTorch's `mse_loss`/`l1_loss`)
/// or `Σ wᵢℓᵢ / n` (the BCE family, Huber, and the rest, as PyTorch's
/// `BCELoss(weight)`).
///
/// # Examples
///
/// ```
/// use ndarray::array;
/// use ndloss::prelude::*;
///
/// let (p, t) = (array![1.0_f64, 2.0, 3.0], array![0.0, 0.0, 0.0]);
/// let w = array![1.0, 0.0, 1.0];
/// assert_eq!(Mse::new().forward_weighted(&p, &t, &w)?, (1.0 + 9.0) / 2.0);
/// # Ok::<(), ndloss::Error>(())
/// ```
pub trait WeightedLoss<A: Float, D: Dimension>: Loss<A, D> {
    /// The weighted, reduced loss.
    ///
    /// # Errors
    ///
    /// As [`Loss::forward`], plus [`Error::ShapeMismatch`](crate::Error::ShapeMismatch)
    /// for a weight that does not broadcast, and
    /// [`Error::EmptyReduction`](crate::Error::EmptyReduction) for weights summing to 0
    /// under a `Σw` mean.
    fn forward_weighted<E: Dimension>(
        &self,
        pred: &ArrayRef<A, D>,
        target: &ArrayRef<A, D>,
        weight: &ArrayRef<A, E>,
    ) -> Result<A>;

    /// The weighted, reduced loss and its gradient, written into `grad`.
    ///
    /// # Errors
    ///
    /// As [`forward_weighted`](WeightedLoss::forward_weighted); `grad` is untouched on error.
    fn forward_grad_weighted_into<E: Dimension>(
        &self,
        pred: &ArrayRef<A, D>,
        target: &ArrayRef<A, D>,
        weight: &ArrayRef<A, E>,
        grad: &mut ArrayRef<A, D>,
    ) -> Result<A>;

    /// `wᵢ·ℓᵢ` per element.
    ///
    /// # Errors
    ///
    /// As [`forward_weighted`](WeightedLoss::forward_weighted).
    fn unreduced_weighted<E: Dimension>(
        &self,
        pred: &ArrayRef<A, D>,
        target: &ArrayRef<A, D>,
        weight: &ArrayRef<A, E>,
    ) -> Result<Array<A, D>>;
}

/// What an element-wise loss supplies; [`elementwise_loss!`] turns it into
/// [`Loss`] and [`WeightedLoss`] implementations over the shared driver.
pub(crate) trait Elementwise {
    /// The per-element math with constants in `A`.
    type Math<A: Float>: crate::kernel::elementwise::PointMath<A>;
    /// How a weighted mean is normalised.
    const WEIGHTED_MEAN: crate::kernel::elementwise::WeightedMean;
    /// Validates the settings and converts them to `A`.
    fn math<A: Float>(&self) -> Result<Self::Math<A>>;
    /// The reduction in use.
    fn reduction_mode(&self) -> Reduction;
    /// The math for these targets (losses whose math depends on the whole
    /// target array, like Keras' hinge label conversion, override this).
    fn math_for<A: Float, D: Dimension>(&self, target: &ArrayRef<A, D>) -> Result<Self::Math<A>> {
        let _ = target;
        self.math()
    }
    /// Per-position values along the last axis handed to the math as its
    /// auxiliary input (`BceWithLogits`' per-class `pos_weight`), stored in
    /// `A` so that a call allocates nothing.
    fn last_axis_aux<A: Float>(&self) -> Option<&[A]> {
        None
    }
}

/// Runs an element-wise loss: weights, auxiliary input, reduction, gradient.
pub(crate) fn run_elementwise<L: Elementwise, A: Float, D: Dimension, E: Dimension>(
    loss: &L,
    pred: &ArrayRef<A, D>,
    target: &ArrayRef<A, D>,
    weight: Option<&ArrayRef<A, E>>,
    grad: Option<&mut ArrayRef<A, D>>,
) -> Result<A> {
    use crate::kernel::elementwise::{broadcast_to, reduce_extras, Extras};
    let math = loss.math_for(target)?;
    let aux_values = loss.last_axis_aux::<A>().map(ndarray::ArrayView1::from);
    let shape = pred.raw_dim();
    let extras = Extras {
        weight: match weight {
            Some(w) => Some((broadcast_to("weight", w, &shape)?, L::WEIGHTED_MEAN)),
            None => None,
        },
        aux: match &aux_values {
            Some(a) => Some(broadcast_to("pos_weight", a, &shape)?),
            None => None,
        },
    };
    reduce_extras(pred, target, &extras, grad, loss.reduction_mode(), math)
}

/// The unreduced counterpart of [`run_elementwise`].
pub(crate) fn unreduced_elementwise<L: Elementwise, A: Float, D: Dimension, E: Dimension>(
    loss: &L,
    pred: &ArrayRef<A, D>,
    target: &ArrayRef<A, D>,
    weight: Option<&ArrayRef<A, E>>,
) -> Result<Array<A, D>> {
    use crate::kernel::elementwise::{broadcast_to, unreduced_extras, Extras};
    let math = loss.math_for(target)?;
    let aux_values = loss.last_axis_aux::<A>().map(ndarray::ArrayView1::from);
    let shape = pred.raw_dim();
    let extras = Extras {
        weight: match weight {
            Some(w) => Some((broadcast_to("weight", w, &shape)?, L::WEIGHTED_MEAN)),
            None => None,
        },
        aux: match &aux_values {
            Some(a) => Some(broadcast_to("pos_weight", a, &shape)?),
            None => None,
        },
    };
    unreduced_extras(pred, target, &extras, math)
}

/// Implements [`Loss`] and [`WeightedLoss`] for a type implementing [`Elementwise`].
macro_rules! elementwise_loss {
    ($name:ident) => {
        impl<A: $crate::float::Float, D: ndarray::Dimension> $crate::loss::Loss<A, D> for $name {
            type Unreduced = D;

            fn forward(
                &self,
                pred: &ndarray::ArrayRef<A, D>,
                target: &ndarray::ArrayRef<A, D>,
            ) -> $crate::error::Result<A> {
                $crate::loss::run_elementwise(
                    self,
                    pred,
                    target,
                    None::<&ndarray::ArrayRef<A, D>>,
                    None,
                )
            }

            fn forward_grad_into(
                &self,
                pred: &ndarray::ArrayRef<A, D>,
                target: &ndarray::ArrayRef<A, D>,
                grad: &mut ndarray::ArrayRef<A, D>,
            ) -> $crate::error::Result<A> {
                $crate::loss::run_elementwise(
                    self,
                    pred,
                    target,
                    None::<&ndarray::ArrayRef<A, D>>,
                    Some(grad),
                )
            }

            fn unreduced(
                &self,
                pred: &ndarray::ArrayRef<A, D>,
                target: &ndarray::ArrayRef<A, D>,
            ) -> $crate::error::Result<ndarray::Array<A, D>> {
                $crate::loss::unreduced_elementwise(
                    self,
                    pred,
                    target,
                    None::<&ndarray::ArrayRef<A, D>>,
                )
            }
        }

        impl<A: $crate::float::Float, D: ndarray::Dimension> $crate::loss::WeightedLoss<A, D>
            for $name
        {
            fn forward_weighted<E: ndarray::Dimension>(
                &self,
                pred: &ndarray::ArrayRef<A, D>,
                target: &ndarray::ArrayRef<A, D>,
                weight: &ndarray::ArrayRef<A, E>,
            ) -> $crate::error::Result<A> {
                $crate::loss::run_elementwise(self, pred, target, Some(weight), None)
            }

            fn forward_grad_weighted_into<E: ndarray::Dimension>(
                &self,
                pred: &ndarray::ArrayRef<A, D>,
                target: &ndarray::ArrayRef<A, D>,
                weight: &ndarray::ArrayRef<A, E>,
                grad: &mut ndarray::ArrayRef<A, D>,
            ) -> $crate::error::Result<A> {
                $crate::loss::run_elementwise(self, pred, target, Some(weight), Some(grad))
            }

            fn unreduced_weighted<E: ndarray::Dimension>(
                &self,
                pred: &ndarray::ArrayRef<A, D>,
                target: &ndarray::ArrayRef<A, D>,
                weight: &ndarray::ArrayRef<A, E>,
            ) -> $crate::error::Result<ndarray::Array<A, D>> {
                $crate::loss::unreduced_elementwise(self, pred, target, Some(weight))
            }
        }
    };
}
pub(crate) use elementwise_loss;

/// Implements [`Elementwise`] for a loss whose `math` is written as
/// `fn checked_math<A: Float>(&self) -> Result<$math<A>>`, with a count-based
/// weighted mean.
macro_rules! counted_elementwise {
    ($name:ident, $math:ident) => {
        impl Elementwise for $name {
            type Math<A: Float> = $math<A>;
            const WEIGHTED_MEAN: WeightedMean = WeightedMean::Count;
            fn math<A: Float>(&self) -> Result<$math<A>> {
                self.checked_math()
            }
            fn reduction_mode(&self) -> Reduction {
                self.reduction
            }
        }
        loss_builders!($name);
        elementwise_loss!($name);
    };
}
pub(crate) use counted_elementwise;
