//! The driver of the losses of a lane: a function of a whole lane along
//! the last axis (a sample's row of scores, Keras' `axis=-1`) against the
//! target lane of the same shape. [`CategoricalHinge`], [`CosineSimilarity`]
//! and [`CategoricalFocal`] are their math on it.
//!
//! A loss supplies [`LaneMath`] (the value of one lane and, if asked, its
//! gradient) and, through [`Lanewise`], its settings' validation and its
//! check of the prediction's values; `lanewise_loss!` turns that into
//! [`Loss`](crate::loss::Loss) with `unreduced` of one value per lane
//! (`D::Smaller`). The reductions are over lanes: `Mean` over all of them
//! (Keras' `'sum_over_batch_size'`), `Sum`, `BatchMean` over the first axis.
//!
//! [`CategoricalHinge`]: crate::loss::CategoricalHinge
//! [`CosineSimilarity`]: crate::loss::CosineSimilarity
//! [`CategoricalFocal`]: crate::loss::CategoricalFocal

use ndarray::{Array, ArrayRef, Axis, Dimension};

use crate::error::{Error, Result};
use crate::float::Float;
use crate::kernel::check_same_shape;
use crate::kernel::rowwise::{lane_slice, map_lanes, sum_lanes};
use crate::loss::Reduction;

/// The math of one lane.
pub(crate) trait LaneMath<A: Float> {
    /// `ℓ(x, t)` of the prediction lane `x` and the target lane `t` (equal,
    /// non-zero lengths); with `g`, writes `scale · ∂ℓ/∂x` into it.
    fn lane(&self, x: &[A], t: &[A], g: Option<&mut [A]>, scale: A) -> A;
}

/// What a lane loss supplies to the driver.
pub(crate) trait Lanewise {
    /// The lane math with the settings in `A` (borrowing per-class settings).
    type Math<'a, A: Float>: LaneMath<A>
    where
        Self: 'a;
    /// Validates the settings against a last axis of `classes` entries
    /// (`None`: without data, for `validate`) and converts them.
    fn math<A: Float>(&self, classes: Option<usize>) -> Result<Self::Math<'_, A>>;
    /// The reduction setting.
    fn lane_reduction(&self) -> Reduction;
    /// Checks the prediction's values (probabilities, say); none by default.
    fn check_values<A: Float, D: Dimension>(&self, _pred: &ArrayRef<A, D>) -> Result<()> {
        Ok(())
    }
}

/// The last axis of `pred`, or an error for a 0-d array or an empty axis
/// (a lane of no entries has no maximum, no norm and no distribution).
pub(crate) fn last_axis<A, D: Dimension>(pred: &ArrayRef<A, D>) -> Result<Axis> {
    match pred.shape().last() {
        Some(&c) if c > 0 => Ok(Axis(pred.ndim() - 1)),
        _ => Err(Error::ShapeMismatch {
            what: "prediction (needs a non-empty last axis)",
            expected: vec![1],
            found: pred.shape().to_vec(),
        }),
    }
}

/// The number of lanes and the batch (the first axis; 1 for a single lane
/// `(C,)`) of a prediction whose last axis is `axis`.
pub(crate) fn lane_counts<A, D: Dimension>(pred: &ArrayRef<A, D>, axis: Axis) -> (usize, usize) {
    let lanes = pred.len() / pred.len_of(axis);
    let batch = if pred.ndim() >= 2 { pred.shape()[0] } else { 1 };
    (lanes, batch)
}

/// `(gradient scale, denominator)` of a reduction over the lanes of `pred`.
fn lane_scale<A: Float, D: Dimension>(
    reduction: Reduction,
    pred: &ArrayRef<A, D>,
    axis: Axis,
) -> Result<(A, A)> {
    let (lanes, batch) = lane_counts(pred, axis);
    crate::reduction::scale::<A>(reduction, true, lanes as f64, batch, "the input is empty")
}

/// The maximum of `values` and how many attain it (NaN values are skipped;
/// the callers' other terms carry a NaN).
pub(crate) fn max_ties(values: impl Iterator<Item = f64>) -> (f64, usize) {
    values.fold((f64::NEG_INFINITY, 0), |(m, ties), v| {
        if v > m {
            (v, 1)
        } else if v == m {
            (m, ties + 1)
        } else {
            (m, ties)
        }
    })
}

/// Validates everything, then reduces the lanes; writes `grad` only after.
pub(crate) fn run<L: Lanewise, A: Float, D: Dimension>(
    loss: &L,
    pred: &ArrayRef<A, D>,
    target: &ArrayRef<A, D>,
    grad: Option<&mut ArrayRef<A, D>>,
) -> Result<A> {
    loss.math::<A>(None)?;
    check_same_shape("target", pred, target)?;
    if let Some(g) = grad.as_deref() {
        check_same_shape("gradient buffer", pred, g)?;
    }
    let axis = last_axis(pred)?;
    let math = loss.math::<A>(Some(pred.len_of(axis)))?;
    loss.check_values(pred)?;
    let (scale, denominator) = lane_scale(loss.lane_reduction(), pred, axis)?;
    let mut st = Vec::new();
    let total = sum_lanes(pred, axis, target.lanes(axis), grad, |x, t, g| {
        math.lane(x, lane_slice(&t, &mut st), g, scale)
    });
    Ok(total / denominator)
}

/// One value per lane.
pub(crate) fn unreduced<L: Lanewise, A: Float, D: Dimension>(
    loss: &L,
    pred: &ArrayRef<A, D>,
    target: &ArrayRef<A, D>,
) -> Result<Array<A, D::Smaller>> {
    loss.math::<A>(None)?;
    check_same_shape("target", pred, target)?;
    let axis = last_axis(pred)?;
    let math = loss.math::<A>(Some(pred.len_of(axis)))?;
    loss.check_values(pred)?;
    let mut st = Vec::new();
    Ok(map_lanes(pred, axis, target.lanes(axis), |x, t, _| {
        math.lane(x, lane_slice(&t, &mut st), None, A::one())
    }))
}

/// Implements [`Loss`](crate::loss::Loss) (one value per lane unreduced),
/// `validate` and the common builders for a [`Lanewise`] loss.
macro_rules! lanewise_loss {
    ($name:ident) => {
        impl<A: $crate::float::Float, D: ndarray::Dimension> $crate::loss::Loss<A, D> for $name {
            type Unreduced = D::Smaller;

            fn forward(
                &self,
                pred: &ndarray::ArrayRef<A, D>,
                target: &ndarray::ArrayRef<A, D>,
            ) -> $crate::error::Result<A> {
                $crate::loss::lanes::run(self, pred, target, None)
            }

            fn forward_grad_into(
                &self,
                pred: &ndarray::ArrayRef<A, D>,
                target: &ndarray::ArrayRef<A, D>,
                grad: &mut ndarray::ArrayRef<A, D>,
            ) -> $crate::error::Result<A> {
                $crate::loss::lanes::run(self, pred, target, Some(grad))
            }

            fn unreduced(
                &self,
                pred: &ndarray::ArrayRef<A, D>,
                target: &ndarray::ArrayRef<A, D>,
            ) -> $crate::error::Result<ndarray::Array<A, D::Smaller>> {
                $crate::loss::lanes::unreduced(self, pred, target)
            }
        }

        impl $crate::loss::CheckSettings for $name {
            fn check_settings(&self) -> $crate::error::Result<()> {
                $crate::loss::lanes::Lanewise::math::<f64>(self, None).map(drop)
            }
        }

        $crate::loss::loss_builders!($name);
    };
}
pub(crate) use lanewise_loss;

/// `Σ aᵢ·bᵢ` in `f64`.
#[inline]
pub(crate) fn dot<A: Float>(a: &[A], b: &[A]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(&x, &y)| x.to_f64() * y.to_f64())
        .sum()
}

/// Errors for the first entry of `pred` that fails `ok` (NaN passes), as
/// [`Error::InvalidValue`] on `"prediction"` at its index.
pub(crate) fn check_entries<A: Float, D: Dimension>(
    pred: &ArrayRef<A, D>,
    ok: impl Fn(f64) -> bool,
    expected: &'static str,
) -> Result<()> {
    match pred
        .indexed_iter()
        .find(|(_, &x)| !(ok(x.to_f64()) || x.is_nan()))
    {
        None => Ok(()),
        Some((i, &x)) => Err(Error::InvalidValue {
            what: "prediction",
            index: ndarray::IntoDimension::into_dimension(i).slice().to_vec(),
            value: x.to_f64(),
            expected,
        }),
    }
}

/// The math of one lane against a class index (the target of a lane).
pub(crate) trait IndexLaneMath<A: Float> {
    /// `ℓ(x, y)` of the lane `x` (non-empty) and the class `y < x.len()`;
    /// with `g`, writes `scale · ∂ℓ/∂x` into it.
    fn lane(&self, x: &[A], y: usize, g: Option<&mut [A]>, scale: A) -> A;
}

/// What a lane loss with class-index targets supplies to the driver.
pub(crate) trait IndexLanewise {
    /// The lane math with the settings in `A`.
    type Math<A: Float>: IndexLaneMath<A>;
    /// Validates the settings and converts them.
    fn math<A: Float>(&self) -> Result<Self::Math<A>>;
    /// The reduction setting.
    fn lane_reduction(&self) -> Reduction;
    /// Checks the prediction's values; none by default.
    fn check_values<A: Float, D: Dimension>(&self, _pred: &ArrayRef<A, D>) -> Result<()> {
        Ok(())
    }
}

/// Validates the settings, the shapes (targets shaped like the prediction
/// without its last axis), the classes and the values.
fn check_index<L: IndexLanewise, A: Float, D: Dimension>(
    loss: &L,
    pred: &ArrayRef<A, D>,
    target: &ArrayRef<usize, D::Smaller>,
    grad: Option<&ArrayRef<A, D>>,
) -> Result<(L::Math<A>, Axis)> {
    let math = loss.math::<A>()?;
    let axis = last_axis(pred)?;
    let lanes = &pred.shape()[..pred.ndim() - 1];
    if target.shape() != lanes {
        return Err(Error::ShapeMismatch {
            what: "target",
            expected: lanes.to_vec(),
            found: target.shape().to_vec(),
        });
    }
    if let Some(g) = grad {
        check_same_shape("gradient buffer", pred, g)?;
    }
    let classes = pred.len_of(axis);
    if let Some((sample, &class)) = target.iter().enumerate().find(|(_, &y)| y >= classes) {
        return Err(Error::ClassOutOfRange {
            sample,
            class,
            num_classes: classes,
        });
    }
    loss.check_values(pred)?;
    Ok((math, axis))
}

/// [`run`] for class-index targets.
pub(crate) fn run_index<L: IndexLanewise, A: Float, D: Dimension>(
    loss: &L,
    pred: &ArrayRef<A, D>,
    target: &ArrayRef<usize, D::Smaller>,
    grad: Option<&mut ArrayRef<A, D>>,
) -> Result<A> {
    let (math, axis) = check_index(loss, pred, target, grad.as_deref())?;
    let (scale, denominator) = lane_scale(loss.lane_reduction(), pred, axis)?;
    let total = sum_lanes(pred, axis, target.view(), grad, |x, &y, g| {
        math.lane(x, y, g, scale)
    });
    Ok(total / denominator)
}

/// [`unreduced`] for class-index targets.
pub(crate) fn unreduced_index<L: IndexLanewise, A: Float, D: Dimension>(
    loss: &L,
    pred: &ArrayRef<A, D>,
    target: &ArrayRef<usize, D::Smaller>,
) -> Result<Array<A, D::Smaller>> {
    let (math, axis) = check_index(loss, pred, target, None)?;
    Ok(map_lanes(pred, axis, target.view(), |x, &y, _| {
        math.lane(x, y, None, A::one())
    }))
}

/// [`lanewise_loss!`] for an [`IndexLanewise`] loss: `Loss<A, D, usize,
/// D::Smaller>`.
macro_rules! index_lane_loss {
    ($name:ident) => {
        impl<A: $crate::float::Float, D: ndarray::Dimension>
            $crate::loss::Loss<A, D, usize, D::Smaller> for $name
        {
            type Unreduced = D::Smaller;

            fn forward(
                &self,
                pred: &ndarray::ArrayRef<A, D>,
                target: &ndarray::ArrayRef<usize, D::Smaller>,
            ) -> $crate::error::Result<A> {
                $crate::loss::lanes::run_index(self, pred, target, None)
            }

            fn forward_grad_into(
                &self,
                pred: &ndarray::ArrayRef<A, D>,
                target: &ndarray::ArrayRef<usize, D::Smaller>,
                grad: &mut ndarray::ArrayRef<A, D>,
            ) -> $crate::error::Result<A> {
                $crate::loss::lanes::run_index(self, pred, target, Some(grad))
            }

            fn unreduced(
                &self,
                pred: &ndarray::ArrayRef<A, D>,
                target: &ndarray::ArrayRef<usize, D::Smaller>,
            ) -> $crate::error::Result<ndarray::Array<A, D::Smaller>> {
                $crate::loss::lanes::unreduced_index(self, pred, target)
            }
        }

        impl $crate::loss::CheckSettings for $name {
            fn check_settings(&self) -> $crate::error::Result<()> {
                $crate::loss::lanes::IndexLanewise::math::<f64>(self).map(drop)
            }
        }

        $crate::loss::loss_builders!($name);
    };
}
pub(crate) use index_lane_loss;
