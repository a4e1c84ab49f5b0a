//! What the losses of several inputs share ([`MarginRanking`](super::MarginRanking),
//! [`GaussianNll`](super::GaussianNll), [`CosineEmbedding`](super::CosineEmbedding),
//! [`TripletMargin`](super::TripletMargin)): the [`MultiLoss`] trait and its
//! implementation over their inherent methods, PyTorch's `clamp_min(·, 0)`
//! with its subgradient, and the shape error of a 1-D argument.

use crate::error::{Error, Result};
use crate::float::Float;

/// A loss of three inputs, some of them differentiable:
/// [`MarginRanking`](super::MarginRanking), [`GaussianNll`](super::GaussianNll),
/// [`CosineEmbedding`](super::CosineEmbedding), [`TripletMargin`](super::TripletMargin).
///
/// `I` is the tuple of the three inputs, `(&ArrayRef, &ArrayRef, &ArrayRef)`,
/// and `G` the tuple of gradient buffers, one `&mut ArrayRef` per
/// differentiable input in argument order (see the table in
/// [`ranking`](super::ranking)). Each loss also has the same methods as
/// inherent methods with positional arguments; this trait lets code take any
/// of them generically, as a trait object, or through
/// [`Regularized::with_params`](super::Regularized::with_params).
///
/// Every method validates the settings, shapes and values before it writes
/// anything: on error every gradient buffer is unchanged.
///
/// # Examples
///
/// Two pair losses behind one trait object:
///
/// ```
/// use ndarray::{array, Array2, ArrayRef, Ix2};
/// use ndloss::prelude::*;
///
/// type Pair<'a> = (&'a ArrayRef<f64, Ix2>, &'a ArrayRef<f64, Ix2>, &'a ArrayRef<f64, Ix2>);
/// type PairGrads<'g> = (&'g mut ArrayRef<f64, Ix2>, &'g mut ArrayRef<f64, Ix2>);
/// type PairLoss = dyn for<'a, 'g> MultiLoss<
///     f64,
///     Pair<'a>,
///     PairGrads<'g>,
///     Grads = (Array2<f64>, Array2<f64>),
///     Unreduced = Array2<f64>,
/// >;
///
/// let losses: Vec<Box<PairLoss>> = vec![
///     Box::new(MarginRanking::new().margin(0.5)),
///     Box::new(MarginRanking::new().reduction(Reduction::Sum)),
/// ];
/// let (x1, x2, y) = (array![[1.0, 0.0]], array![[0.0, 0.0]], array![[1.0, 1.0]]);
/// let (mut g1, mut g2) = (Array2::zeros((1, 2)), Array2::zeros((1, 2)));
/// let v = losses[0].forward_grad_into((&x1, &x2, &y), (&mut g1, &mut g2))?;
/// assert_eq!(v, (0.0 + 0.5) / 2.0); // max(0, −(x1 − x2) + 0.5) per pair
/// assert_eq!(g1, array![[0.0, -0.5]]);
/// assert_eq!(losses[1].forward((&x1, &x2, &y))?, 0.0);
/// # Ok::<(), ndloss::Error>(())
/// ```
pub trait MultiLoss<A: Float, I, G> {
    /// The gradients as new arrays, one per differentiable input, in argument order.
    type Grads;
    /// The loss per element (per pair, per triplet), without reduction.
    type Unreduced;

    /// The reduced loss value.
    ///
    /// # Errors
    ///
    /// Invalid settings, shapes or values; see each loss.
    fn forward(&self, inputs: I) -> Result<A>;

    /// The reduced value, with the gradient of every differentiable input
    /// written into `grads` in one pass, no allocation.
    ///
    /// # Errors
    ///
    /// As [`forward`](MultiLoss::forward), plus a buffer whose shape differs
    /// from its input's. On error no buffer is written.
    fn forward_grad_into(&self, inputs: I, grads: G) -> Result<A>;

    /// The reduced value and the gradients, as new arrays.
    ///
    /// # Errors
    ///
    /// As [`forward`](MultiLoss::forward).
    fn forward_grad(&self, inputs: I) -> Result<(A, Self::Grads)>;

    /// The gradients alone.
    ///
    /// # Errors
    ///
    /// As [`forward`](MultiLoss::forward).
    fn grad(&self, inputs: I) -> Result<Self::Grads> {
        self.forward_grad(inputs).map(|(_, g)| g)
    }

    /// The loss per element (per pair, per triplet): PyTorch's `reduction='none'`.
    ///
    /// # Errors
    ///
    /// As [`forward`](MultiLoss::forward), except that an empty input is valid.
    fn unreduced(&self, inputs: I) -> Result<Self::Unreduced>;
}

/// Implements [`MultiLoss`] over a loss's inherent methods:
/// `multi_loss!(Name<D, E> (x: D, y: D, v: E) -> (gx: D, gv: E), Unreduced)`.
macro_rules! multi_loss {
    ($name:ident <$($gen:ident),*> ($($x:ident: $xd:ty),+) -> ($($g:ident: $gd:ty),+), $un:ty) => {
        impl<'a, 'g, A: $crate::float::Float $(, $gen: ndarray::Dimension)*>
            $crate::loss::MultiLoss<
                A,
                ($(&'a ndarray::ArrayRef<A, $xd>,)+),
                ($(&'g mut ndarray::ArrayRef<A, $gd>,)+),
            > for $name
        {
            type Grads = ($(ndarray::Array<A, $gd>,)+);
            type Unreduced = $un;

            fn forward(
                &self,
                ($($x,)+): ($(&'a ndarray::ArrayRef<A, $xd>,)+),
            ) -> $crate::error::Result<A> {
                $name::forward(self, $($x),+)
            }

            fn forward_grad_into(
                &self,
                ($($x,)+): ($(&'a ndarray::ArrayRef<A, $xd>,)+),
                ($($g,)+): ($(&'g mut ndarray::ArrayRef<A, $gd>,)+),
            ) -> $crate::error::Result<A> {
                $name::forward_grad_into(self, $($x),+, $($g),+)
            }

            fn forward_grad(
                &self,
                ($($x,)+): ($(&'a ndarray::ArrayRef<A, $xd>,)+),
            ) -> $crate::error::Result<(A, Self::Grads)> {
                let (value, $($g),+) = $name::forward_grad(self, $($x),+)?;
                Ok((value, ($($g,)+)))
            }

            fn unreduced(
                &self,
                ($($x,)+): ($(&'a ndarray::ArrayRef<A, $xd>,)+),
            ) -> $crate::error::Result<$un> {
                $name::unreduced(self, $($x),+)
            }
        }
    };
}
pub(crate) use multi_loss;

/// `max(u, 0)` as PyTorch's `clamp_min(u, 0)`: NaN stays NaN, and the
/// gradient passes where `u ≥ 0` (the subgradient 1 at the kink `u = 0`).
/// Returns the value and the factor on `∂u`.
#[inline(always)]
pub(crate) fn clamp_min_zero<A: Float>(u: A) -> (A, A) {
    if u >= A::zero() {
        (u, A::one())
    } else if u < A::zero() {
        (A::zero(), A::zero())
    } else {
        (u, A::zero()) // NaN
    }
}

/// The error for a row-count or shape mismatch of a 1-D argument.
pub(crate) fn shape_error(what: &'static str, expected: &[usize], found: &[usize]) -> Error {
    Error::ShapeMismatch {
        what,
        expected: expected.to_vec(),
        found: found.to_vec(),
    }
}
