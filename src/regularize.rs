//! Penalties on the parameters: [`L1`], [`L2`], [`ElasticNet`]. A loss plus
//! a penalty is [`Regularized`](crate::loss::Regularized), made with any
//! loss's `regularized` builder.
//!
//! Conventions follow Keras' regularizers (`L2` is `λ·Σw²`, without ½).
//! PyTorch has no regularizer objects; its optimizers' coupled
//! `weight_decay = wd` adds `wd·w` to the gradient, which equals
//! `L2::new(wd / 2)`.

use std::fmt::Debug;

use crate::error::{check_hyper, Result};
use crate::float::sign;
use crate::float::Float;
use crate::kernel::update::{check_pair, sum_map, zip_apply};
use crate::params::{Params, ParamsMut};

/// A penalty `R(w) = Σ r(wᵢ)` over every element of a parameter set, with its
/// (sub)gradient and proximal operator.
///
/// # Examples
///
/// ```
/// use ndarray::array;
/// use ndloss::prelude::*;
///
/// let w = array![[1.0_f64, -2.0], [0.0, 3.0]];
/// assert_eq!(L1::new(0.5).penalty(&w)?, 3.0);   // 0.5·(1 + 2 + 0 + 3)
/// assert_eq!(L2::new(0.5).penalty(&w)?, 7.0);   // 0.5·(1 + 4 + 0 + 9)
/// let mut g = array![[0.0_f64, 0.0], [0.0, 0.0]];
/// L2::new(0.5).add_grad(&w, &mut g)?;            // g += 2·0.5·w
/// assert_eq!(g, w);
/// # Ok::<(), ndloss::Error>(())
/// ```
pub trait Regularizer: Clone + Debug {
    /// `R(params)`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidHyperparameter`](crate::Error::InvalidHyperparameter) for a negative or non-finite strength.
    fn penalty<A: Float, P: Params<A>>(&self, params: P) -> Result<A>;

    /// `grads += ∂R/∂params` (a subgradient where `R` is not differentiable).
    ///
    /// # Errors
    ///
    /// As [`penalty`](Regularizer::penalty), plus
    /// [`Error::ParamCountMismatch`](crate::Error::ParamCountMismatch) /
    /// [`Error::ParamShapeMismatch`](crate::Error::ParamShapeMismatch) when
    /// `grads` does not match `params`; nothing is written then.
    fn add_grad<A: Float, P: Params<A>, G: ParamsMut<A>>(&self, params: P, grads: G) -> Result<()>;

    /// The proximal step `params ← argmin_v ½‖v − params‖² + step·R(v)`, applied
    /// after a gradient step of size `step` (the learning rate) on the data
    /// term. For [`L1`] this is soft-thresholding: small weights become exactly 0.
    ///
    /// # Errors
    ///
    /// As [`penalty`](Regularizer::penalty), plus a negative or non-finite `step`.
    fn prox<A: Float, P: ParamsMut<A>>(&self, params: P, step: f64) -> Result<()>;

    /// Validates the hyperparameters without touching any array.
    ///
    /// # Errors
    ///
    /// As [`penalty`](Regularizer::penalty).
    fn validate(&self) -> Result<()>;
}

/// Per-element math of a separable penalty, constants already in `A`.
trait Separable<A: Float>: Copy {
    fn value(self, w: A) -> A;
    fn grad(self, w: A) -> A;
    /// `argmin_v ½(v − w)² + step·r(v)` (with `step` folded in at construction).
    fn prox(self, w: A) -> A;
}

fn check_strength(name: &'static str, v: f64) -> Result<f64> {
    check_hyper(name, v, v.is_finite() && v >= 0.0, "a finite value >= 0")
}

fn penalty_of<A: Float, P: Params<A>, S: Separable<A>>(params: &P, math: S) -> A {
    (0..params.num_slots()).fold(A::zero(), |acc, i| {
        acc + sum_map(&params.slot(i), |w| math.value(w))
    })
}

fn add_grad_of<A: Float, P: Params<A>, G: ParamsMut<A>, S: Separable<A>>(
    params: &P,
    grads: &mut G,
    math: S,
) -> Result<()> {
    check_pair(params, grads)?;
    for i in 0..params.num_slots() {
        zip_apply(grads.slot_mut(i), params.slot(i), |g, w| g + math.grad(w));
    }
    Ok(())
}

fn prox_of<A: Float, P: ParamsMut<A>, S: Separable<A>>(params: &mut P, math: S) {
    for i in 0..params.num_slots() {
        params.slot_mut(i).mapv_inplace(|w| math.prox(w));
    }
}

fn check_step(step: f64) -> Result<f64> {
    check_hyper(
        "step",
        step,
        step.is_finite() && step >= 0.0,
        "a finite learning rate >= 0",
    )
}

/// Soft-thresholding: `sign(w)·max(|w| − t, 0)`.
#[inline(always)]
fn soft_threshold<A: Float>(w: A, t: A) -> A {
    let shrunk = w.abs() - t;
    if shrunk > A::zero() {
        sign(w) * shrunk
    } else if shrunk.is_nan() {
        shrunk
    } else {
        A::zero()
    }
}

/// Implements [`Regularizer`] from a `separable::<A>(step)` constructor.
macro_rules! separable_regularizer {
    ($name:ident) => {
        impl Regularizer for $name {
            fn penalty<A: Float, P: Params<A>>(&self, params: P) -> Result<A> {
                Ok(penalty_of(&params, self.separable::<A>(0.0)?))
            }
            fn add_grad<A: Float, P: Params<A>, G: ParamsMut<A>>(
                &self,
                params: P,
                mut grads: G,
            ) -> Result<()> {
                add_grad_of(&params, &mut grads, self.separable::<A>(0.0)?)
            }
            fn prox<A: Float, P: ParamsMut<A>>(&self, mut params: P, step: f64) -> Result<()> {
                let math = self.separable::<A>(check_step(step)?)?;
                prox_of(&mut params, math);
                Ok(())
            }
            fn validate(&self) -> Result<()> {
                self.separable::<f64>(0.0).map(|_| ())
            }
        }
    };
}

/// L1 (lasso) penalty: `λ·Σ|wᵢ|`.
///
/// ```text
/// R(w) = λ·Σ|wᵢ|     ∂R/∂wᵢ = λ·sign(wᵢ) (0 at 0)     prox: sign(w)·max(|w| − step·λ, 0)
/// ```
///
/// Drives weights to exactly zero, but only through the proximal operator: a
/// plain (sub)gradient step makes weights oscillate around 0 instead. For
/// sparse solutions, take the optimizer step on the data loss, then call
/// [`prox`](Regularizer::prox) with the learning rate.
///
/// | parameter | default | range |
/// | --- | --- | --- |
/// | `lambda` | — | finite, ≥ 0 |
///
/// Keras: `regularizers.L1(l1=λ)`. scikit-learn's `Lasso(alpha)` minimises
/// `‖y − Xw‖²/(2n) + alpha·‖w‖₁`.
///
/// # Examples
///
/// ```
/// use ndarray::array;
/// use ndloss::prelude::*;
///
/// let mut w = array![0.3_f64, -0.05, -1.0];
/// L1::new(0.1).prox(&mut w, 1.0)?; // threshold 0.1
/// assert_eq!(w, array![0.3 - 0.1, 0.0, -0.9]);
/// # Ok::<(), ndloss::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct L1 {
    lambda: f64,
}

impl L1 {
    /// The strength `lambda`, as [`new`](Self::new) set it.
    ///
    /// ```
    /// assert_eq!(ndloss::regularize::L1::new(0.1).get_lambda(), 0.1);
    /// ```
    pub fn get_lambda(&self) -> f64 {
        self.lambda
    }

    /// L1 penalty of strength `lambda`.
    pub fn new(lambda: f64) -> Self {
        Self { lambda }
    }

    fn separable<A: Float>(&self, step: f64) -> Result<ElasticMath<A>> {
        elastic(check_strength("lambda", self.lambda)?, 0.0, step)
    }
}
separable_regularizer!(L1);

/// L2 (ridge) penalty: `λ·Σwᵢ²` (Keras' convention, no ½).
///
/// ```text
/// R(w) = λ·Σwᵢ²      ∂R/∂wᵢ = 2λ·wᵢ      prox: w / (1 + 2·step·λ)
/// ```
///
/// Adding `L2::new(λ)` to the loss is the same as PyTorch's coupled
/// `weight_decay = 2λ` in `SGD` or `Adam` (not `AdamW`, whose decay is
/// decoupled from the gradient).
///
/// | parameter | default | range |
/// | --- | --- | --- |
/// | `lambda` | — | finite, ≥ 0 |
///
/// Keras: `regularizers.L2(l2=λ)`.
///
/// # Examples
///
/// ```
/// use ndarray::array;
/// use ndloss::prelude::*;
///
/// let w = array![1.0_f64, -2.0];
/// let mut g = array![0.5_f64, 0.5];
/// L2::new(0.25).add_grad(&w, &mut g)?;
/// assert_eq!(g, array![1.0, -0.5]); // g + 2·0.25·w
/// # Ok::<(), ndloss::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct L2 {
    lambda: f64,
}

impl L2 {
    /// The strength `lambda`, as [`new`](Self::new) set it.
    ///
    /// ```
    /// assert_eq!(ndloss::regularize::L2::new(0.1).get_lambda(), 0.1);
    /// ```
    pub fn get_lambda(&self) -> f64 {
        self.lambda
    }

    /// L2 penalty of strength `lambda`.
    pub fn new(lambda: f64) -> Self {
        Self { lambda }
    }

    fn separable<A: Float>(&self, step: f64) -> Result<ElasticMath<A>> {
        elastic(0.0, check_strength("lambda", self.lambda)?, step)
    }
}
separable_regularizer!(L2);

/// Elastic net: `l1·Σ|wᵢ| + l2·Σwᵢ²`.
///
/// ```text
/// R(w) = l1·Σ|wᵢ| + l2·Σwᵢ²     ∂R/∂wᵢ = l1·sign(wᵢ) + 2·l2·wᵢ
/// prox: sign(w)·max(|w| − step·l1, 0) / (1 + 2·step·l2)
/// ```
///
/// | parameter | default | range |
/// | --- | --- | --- |
/// | `l1` | — | finite, ≥ 0 |
/// | `l2` | — | finite, ≥ 0 |
///
/// Keras: `regularizers.L1L2(l1, l2)`. scikit-learn's `ElasticNet(alpha,
/// l1_ratio)` uses `alpha·l1_ratio·‖w‖₁ + ½·alpha·(1 − l1_ratio)·‖w‖²` on a
/// loss divided by `2n`.
///
/// # Examples
///
/// ```
/// use ndarray::array;
/// use ndloss::prelude::*;
///
/// let w = array![1.0_f64, -2.0];
/// assert_eq!(ElasticNet::new(0.5, 0.25).penalty(&w)?, 0.5 * 3.0 + 0.25 * 5.0);
/// # Ok::<(), ndloss::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ElasticNet {
    l1: f64,
    l2: f64,
}

impl ElasticNet {
    /// The L1 strength, as [`new`](Self::new) set it.
    ///
    /// ```
    /// assert_eq!(ndloss::regularize::ElasticNet::new(0.1, 0.2).get_l1(), 0.1);
    /// ```
    pub fn get_l1(&self) -> f64 {
        self.l1
    }

    /// The L2 strength, as [`new`](Self::new) set it.
    ///
    /// ```
    /// assert_eq!(ndloss::regularize::ElasticNet::new(0.1, 0.2).get_l2(), 0.2);
    /// ```
    pub fn get_l2(&self) -> f64 {
        self.l2
    }

    /// Elastic-net penalty with strengths `l1` and `l2`.
    pub fn new(l1: f64, l2: f64) -> Self {
        Self { l1, l2 }
    }

    fn separable<A: Float>(&self, step: f64) -> Result<ElasticMath<A>> {
        elastic(
            check_strength("l1", self.l1)?,
            check_strength("l2", self.l2)?,
            step,
        )
    }
}
separable_regularizer!(ElasticNet);

/// `l1·|w| + l2·w²`, the math behind all three regularizers.
#[derive(Clone, Copy)]
struct ElasticMath<A> {
    l1: A,
    two_l2: A,
    threshold: A,
    shrink: A,
}

fn elastic<A: Float>(l1: f64, l2: f64, step: f64) -> Result<ElasticMath<A>> {
    Ok(ElasticMath {
        l1: A::from_f64(l1),
        two_l2: A::from_f64(2.0 * l2),
        threshold: A::from_f64(step * l1),
        shrink: A::from_f64(1.0 / (1.0 + 2.0 * step * l2)),
    })
}

impl<A: Float> Separable<A> for ElasticMath<A> {
    #[inline(always)]
    fn value(self, w: A) -> A {
        self.l1 * w.abs() + self.two_l2 / (A::one() + A::one()) * w * w
    }
    #[inline(always)]
    fn grad(self, w: A) -> A {
        self.l1 * sign(w) + self.two_l2 * w
    }
    #[inline(always)]
    fn prox(self, w: A) -> A {
        soft_threshold(w, self.threshold) * self.shrink
    }
}
