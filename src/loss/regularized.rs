//! [`Regularized`]: a loss plus a penalty on the parameters.

use ndarray::{ArrayRef, Dimension};

use crate::error::Result;
use crate::float::Float;
use crate::loss::Loss;
use crate::params::{Params, ParamsMut};
use crate::regularize::Regularizer;

/// A loss plus a regularizer over a parameter set: `loss(pred, target) + R(params)`.
///
/// Made with the `regularized` builder every loss has. The data term's
/// gradient is with respect to the prediction (back-propagate it through your
/// model); the penalty's gradient is with respect to the parameters, added with
/// [`add_penalty_grad`](Regularized::add_penalty_grad).
///
/// # Examples
///
/// ```
/// use ndarray::array;
/// use ndloss::prelude::*;
///
/// let (pred, target) = (array![1.0_f64, 2.0], array![1.0, 0.0]);
/// let (w, b) = (array![[1.0_f64, -1.0]], array![2.0_f64]);
/// let objective = Mse::new().regularized(L2::new(0.1));
/// let total = objective.forward(&pred, &target, (&w, &b))?;
/// assert!((total - (2.0 + 0.1 * 6.0)).abs() < 1e-12);
///
/// let (mut gw, mut gb) = (array![[0.0_f64, 0.0]], array![0.0_f64]);
/// objective.add_penalty_grad((&w, &b), (&mut gw, &mut gb))?;
/// assert_eq!(gb, array![0.4]); // 2·0.1·2
/// # Ok::<(), ndloss::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Regularized<L, R> {
    loss: L,
    regularizer: R,
}

impl<L, R: Regularizer> Regularized<L, R> {
    /// Combines `loss` and `regularizer`.
    pub fn new(loss: L, regularizer: R) -> Self {
        Self { loss, regularizer }
    }

    /// The data loss.
    pub fn loss(&self) -> &L {
        &self.loss
    }

    /// The regularizer.
    pub fn regularizer(&self) -> &R {
        &self.regularizer
    }

    /// `loss(pred, target) + R(params)`.
    ///
    /// # Errors
    ///
    /// Those of the loss and of [`Regularizer::penalty`](crate::regularize::Regularizer::penalty).
    pub fn forward<A, D, T, TD, P>(
        &self,
        pred: &ArrayRef<A, D>,
        target: &ArrayRef<T, TD>,
        params: P,
    ) -> Result<A>
    where
        A: Float,
        D: Dimension,
        TD: Dimension,
        L: Loss<A, D, T, TD>,
        P: Params<A>,
    {
        let penalty = self.regularizer.penalty(params)?;
        Ok(self.loss.forward(pred, target)? + penalty)
    }

    /// `loss(pred, target) + R(params)`, writing `∂loss/∂pred` into `grad`.
    ///
    /// # Errors
    ///
    /// As [`forward`](Regularized::forward); `grad` is untouched on error.
    pub fn forward_grad_into<A, D, T, TD, P>(
        &self,
        pred: &ArrayRef<A, D>,
        target: &ArrayRef<T, TD>,
        grad: &mut ArrayRef<A, D>,
        params: P,
    ) -> Result<A>
    where
        A: Float,
        D: Dimension,
        TD: Dimension,
        L: Loss<A, D, T, TD>,
        P: Params<A>,
    {
        let penalty = self.regularizer.penalty(params)?;
        Ok(self.loss.forward_grad_into(pred, target, grad)? + penalty)
    }

    /// `R(params)` alone.
    ///
    /// # Errors
    ///
    /// As [`Regularizer::penalty`](crate::regularize::Regularizer::penalty).
    pub fn penalty<A: Float, P: Params<A>>(&self, params: P) -> Result<A> {
        self.regularizer.penalty(params)
    }

    /// `grads += ∂R/∂params`.
    ///
    /// # Errors
    ///
    /// As [`Regularizer::add_grad`](crate::regularize::Regularizer::add_grad); nothing is written on error.
    pub fn add_penalty_grad<A: Float, P: Params<A>, G: ParamsMut<A>>(
        &self,
        params: P,
        grads: G,
    ) -> Result<()> {
        self.regularizer.add_grad(params, grads)
    }
}
