//! The [`Loss`] trait, [`Reduction`], and every loss, grouped by family.
//!
//! | family | losses |
//! | --- | --- |
//! | [`regression`] | [`Mse`], [`Mae`] |
//! | [`classification`] | [`CrossEntropy`], [`Bce`], [`BceWithLogits`] |

use ndarray::{Array, ArrayRef, Dimension};

use crate::error::Result;
use crate::float::Float;

pub mod classification;
pub mod regression;

pub use classification::{Bce, BceWithLogits, CrossEntropy};
pub use regression::{Mae, Mse};

/// How per-element (or per-sample) losses are combined into one number.
///
/// PyTorch's `reduction='none'` is the separate method [`Loss::unreduced`],
/// because its result is an array rather than a scalar.
///
/// # Examples
///
/// ```
/// use ndarray::array;
/// use ndloss::prelude::*;
///
/// let (p, t) = (array![1.0_f64, 2.0], array![0.0_f64, 0.0]);
/// assert_eq!(Mse::new().forward(&p, &t)?, 2.5); // (1 + 4) / 2
/// assert_eq!(Mse::new().reduction(Reduction::Sum).forward(&p, &t)?, 5.0);
/// # Ok::<(), ndloss::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Reduction {
    /// The mean: PyTorch's default, `'mean'`. Each loss documents its
    /// denominator (the element count, or the sum of the selected weights).
    #[default]
    Mean,
    /// The sum, PyTorch's `'sum'`.
    Sum,
}

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

/// Builder methods every loss shares: `reduction` and `regularized`.
macro_rules! loss_builders {
    ($name:ident) => {
        impl $name {
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
            /// see [`Regularized`](crate::regularize::Regularized).
            pub fn regularized<R: $crate::regularize::Regularizer>(
                self,
                regularizer: R,
            ) -> $crate::regularize::Regularized<Self, R> {
                $crate::regularize::Regularized::new(self, regularizer)
            }
        }
    };
}
pub(crate) use loss_builders;

/// Implements [`Loss`] for an element-wise loss whose `math::<A>()` returns
/// its [`PointMath`](crate::kernel::elementwise::PointMath).
macro_rules! elementwise_loss {
    ($name:ident) => {
        impl<A: $crate::float::Float, D: ndarray::Dimension> $crate::loss::Loss<A, D> for $name {
            type Unreduced = D;

            fn forward(
                &self,
                pred: &ndarray::ArrayRef<A, D>,
                target: &ndarray::ArrayRef<A, D>,
            ) -> $crate::error::Result<A> {
                $crate::kernel::elementwise::reduce(
                    pred,
                    target,
                    None,
                    self.reduction,
                    self.math()?,
                )
            }

            fn forward_grad_into(
                &self,
                pred: &ndarray::ArrayRef<A, D>,
                target: &ndarray::ArrayRef<A, D>,
                grad: &mut ndarray::ArrayRef<A, D>,
            ) -> $crate::error::Result<A> {
                $crate::kernel::elementwise::reduce(
                    pred,
                    target,
                    Some(grad),
                    self.reduction,
                    self.math()?,
                )
            }

            fn unreduced(
                &self,
                pred: &ndarray::ArrayRef<A, D>,
                target: &ndarray::ArrayRef<A, D>,
            ) -> $crate::error::Result<ndarray::Array<A, D>> {
                $crate::kernel::elementwise::unreduced(pred, target, self.math()?)
            }
        }
    };
}
pub(crate) use elementwise_loss;
