//! [`Regularized`]: a loss plus a penalty on the parameters.

use ndarray::{Array, ArrayRef, Dimension};

use crate::error::Result;
use crate::float::Float;
use crate::loss::{Loss, MultiLoss};
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
    ///
    /// ```
    /// use ndloss::prelude::*;
    ///
    /// let objective = Huber::new().delta(0.5).regularized(L1::new(0.1));
    /// assert_eq!(objective.get_loss().get_delta(), 0.5);
    /// ```
    pub fn get_loss(&self) -> &L {
        &self.loss
    }

    /// The regularizer.
    ///
    /// ```
    /// use ndloss::prelude::*;
    ///
    /// let objective = Mse::new().regularized(L2::new(0.1));
    /// assert_eq!(objective.get_regularizer().get_lambda(), 0.1);
    /// ```
    pub fn get_regularizer(&self) -> &R {
        &self.regularizer
    }

    /// The objective with its parameter set bound: a value that is itself a
    /// [`Loss`] (or a [`MultiLoss`] when the data loss is one), whose value is
    /// `loss + R(params)` and whose gradient is the data term's, with respect
    /// to the prediction (add `∂R/∂params` with
    /// [`add_penalty_grad`](Regularized::add_penalty_grad)). Its `unreduced`
    /// is the data term's alone: the penalty is one scalar, not per element.
    ///
    /// `params` is a `Copy` set of borrowed arrays (`&w`, `(&w, &b)`, …).
    ///
    /// ```
    /// use ndarray::{array, Ix1};
    /// use ndloss::prelude::*;
    ///
    /// fn report<L: Loss<f64, Ix1>>(loss: &L) -> f64 {
    ///     loss.forward(&array![1.0, 2.0], &array![1.0, 0.0]).unwrap()
    /// }
    /// let w = array![1.0_f64, -1.0];
    /// let objective = Mse::new().regularized(L2::new(0.5));
    /// assert_eq!(report(&objective.with_params(&w)), 2.0 + 0.5 * 2.0);
    /// ```
    pub fn with_params<P: Copy>(&self, params: P) -> WithParams<'_, L, R, P> {
        WithParams {
            objective: self,
            params,
        }
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

/// A [`Regularized`] objective with its parameter set bound, made by
/// [`Regularized::with_params`]: a [`Loss`] or [`MultiLoss`] whose value
/// includes the penalty.
#[derive(Debug, Clone, Copy)]
pub struct WithParams<'r, L, R, P> {
    objective: &'r Regularized<L, R>,
    params: P,
}

impl<A, D, T, TD, L, R, P> Loss<A, D, T, TD> for WithParams<'_, L, R, P>
where
    A: Float,
    D: Dimension,
    TD: Dimension,
    L: Loss<A, D, T, TD>,
    R: Regularizer,
    P: Params<A> + Copy,
{
    type Unreduced = L::Unreduced;

    fn forward(&self, pred: &ArrayRef<A, D>, target: &ArrayRef<T, TD>) -> Result<A> {
        self.objective.forward(pred, target, self.params)
    }

    fn forward_grad_into(
        &self,
        pred: &ArrayRef<A, D>,
        target: &ArrayRef<T, TD>,
        grad: &mut ArrayRef<A, D>,
    ) -> Result<A> {
        self.objective
            .forward_grad_into(pred, target, grad, self.params)
    }

    fn unreduced(
        &self,
        pred: &ArrayRef<A, D>,
        target: &ArrayRef<T, TD>,
    ) -> Result<Array<A, Self::Unreduced>> {
        self.objective.loss.unreduced(pred, target)
    }
}

impl<A, I, G, L, R, P> MultiLoss<A, I, G> for WithParams<'_, L, R, P>
where
    A: Float,
    L: MultiLoss<A, I, G>,
    R: Regularizer,
    P: Params<A> + Copy,
{
    type Grads = L::Grads;
    type Unreduced = L::Unreduced;

    fn forward(&self, inputs: I) -> Result<A> {
        let penalty = self.objective.regularizer.penalty(self.params)?;
        Ok(self.objective.loss.forward(inputs)? + penalty)
    }

    fn forward_grad_into(&self, inputs: I, grads: G) -> Result<A> {
        let penalty = self.objective.regularizer.penalty(self.params)?;
        Ok(self.objective.loss.forward_grad_into(inputs, grads)? + penalty)
    }

    fn forward_grad(&self, inputs: I) -> Result<(A, Self::Grads)> {
        let penalty = self.objective.regularizer.penalty(self.params)?;
        let (value, grads) = self.objective.loss.forward_grad(inputs)?;
        Ok((value + penalty, grads))
    }

    fn unreduced(&self, inputs: I) -> Result<Self::Unreduced> {
        self.objective.loss.unreduced(inputs)
    }
}
