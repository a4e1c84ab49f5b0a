//! Driver for losses that are a function of one (prediction, target) pair.

use ndarray::{Array, ArrayRef, Dimension, IntoDimension, Zip};

use super::sum::{sum_slice, Cascade, Stream, BLOCK};
use crate::error::{Error, Result};
use crate::float::Float;
use crate::loss::Reduction;

/// A predicate every prediction must satisfy, and its description for the error.
pub(crate) type Domain<A> = (fn(A) -> bool, &'static str);

/// The math of an element-wise loss: `ℓ(p, t)` and `∂ℓ/∂p`, with its
/// hyperparameters already converted to `A`.
pub(crate) trait PointMath<A: Float>: Copy {
    /// Domain of the prediction, checked for every element before anything is
    /// written (`None`: any value). Returns a description for the error.
    fn pred_domain(self) -> Option<Domain<A>> {
        None
    }
    /// `ℓ(p, t)`.
    fn value(self, p: A, t: A) -> A;
    /// `(ℓ(p, t), ∂ℓ/∂p)`.
    fn value_grad(self, p: A, t: A) -> (A, A);
}

fn check_inputs<A: Float, D: Dimension, M: PointMath<A>>(
    pred: &ArrayRef<A, D>,
    target: &ArrayRef<A, D>,
    math: M,
) -> Result<()> {
    super::check_same_shape("target", pred, target)?;
    if let Some((ok, expected)) = math.pred_domain() {
        if !pred.iter().all(|&p| ok(p)) {
            if let Some((index, &p)) = pred.indexed_iter().find(|(_, &p)| !ok(p)) {
                return Err(Error::InvalidValue {
                    what: "prediction",
                    index: index.into_dimension().slice().to_vec(),
                    value: p.to_f64(),
                    expected,
                });
            }
        }
    }
    Ok(())
}

/// Mean/sum of `ℓ` over all elements; if `grad` is given, writes
/// `∂(reduced loss)/∂pred` into it in the same pass.
pub(crate) fn reduce<A: Float, D: Dimension, M: PointMath<A>>(
    pred: &ArrayRef<A, D>,
    target: &ArrayRef<A, D>,
    grad: Option<&mut ArrayRef<A, D>>,
    reduction: Reduction,
    math: M,
) -> Result<A> {
    check_inputs(pred, target, math)?;
    if let Some(g) = &grad {
        super::check_same_shape("gradient buffer", pred, g)?;
    }
    let n = pred.len();
    let scale = match reduction {
        Reduction::Mean if n == 0 => {
            return Err(Error::EmptyReduction {
                what: "the input is empty",
            })
        }
        Reduction::Mean => A::one() / A::from_usize(n),
        Reduction::Sum => A::one(),
    };
    let total = match grad {
        Some(g) => fused(pred, target, g, scale, math),
        None => values_only(pred, target, math),
    };
    Ok(match reduction {
        Reduction::Mean => total / A::from_usize(n),
        Reduction::Sum => total,
    })
}

/// The unreduced loss: `ℓ(pᵢ, tᵢ)` for every element, shaped like `pred`.
pub(crate) fn unreduced<A: Float, D: Dimension, M: PointMath<A>>(
    pred: &ArrayRef<A, D>,
    target: &ArrayRef<A, D>,
    math: M,
) -> Result<Array<A, D>> {
    check_inputs(pred, target, math)?;
    Ok(Zip::from(pred)
        .and(target)
        .map_collect(|&p, &t| math.value(p, t)))
}

/// Slices of the three arrays in one common memory order, if they share one.
fn common_slices<'a, A, D: Dimension>(
    pred: &'a ArrayRef<A, D>,
    target: &'a ArrayRef<A, D>,
    grad: &'a mut ArrayRef<A, D>,
) -> Option<(&'a [A], &'a [A], &'a mut [A])> {
    if pred.strides() != target.strides() || pred.strides() != grad.strides() {
        return None;
    }
    Some((
        pred.as_slice_memory_order()?,
        target.as_slice_memory_order()?,
        grad.as_slice_memory_order_mut()?,
    ))
}

fn fused<A: Float, D: Dimension, M: PointMath<A>>(
    pred: &ArrayRef<A, D>,
    target: &ArrayRef<A, D>,
    grad: &mut ArrayRef<A, D>,
    scale: A,
    math: M,
) -> A {
    if let Some((p, t, g)) = common_slices(pred, target, grad) {
        let mut values = [A::zero(); BLOCK];
        if p.len() <= BLOCK {
            return fused_block(p, t, g, &mut values, scale, math);
        }
        let mut cascade = Cascade::new();
        for ((p, t), g) in p
            .chunks(BLOCK)
            .zip(t.chunks(BLOCK))
            .zip(g.chunks_mut(BLOCK))
        {
            cascade.push(fused_block(p, t, g, &mut values, scale, math));
        }
        return cascade.total();
    }
    let mut stream = Stream::new();
    Zip::from(grad).and(pred).and(target).for_each(|g, &p, &t| {
        let (v, d) = math.value_grad(p, t);
        *g = d * scale;
        stream.push(v);
    });
    stream.total()
}

/// One block: gradients into `g`, values into the scratch `values`, then a
/// lane sum. Two simple loops vectorise where one fused loop does not.
#[inline(always)]
fn fused_block<A: Float, M: PointMath<A>>(
    p: &[A],
    t: &[A],
    g: &mut [A],
    values: &mut [A; BLOCK],
    scale: A,
    math: M,
) -> A {
    let values = &mut values[..p.len()];
    for (((v, g), &p), &t) in values.iter_mut().zip(g.iter_mut()).zip(p).zip(t) {
        let (value, d) = math.value_grad(p, t);
        *g = d * scale;
        *v = value;
    }
    sum_slice(values)
}

fn values_only<A: Float, D: Dimension, M: PointMath<A>>(
    pred: &ArrayRef<A, D>,
    target: &ArrayRef<A, D>,
    math: M,
) -> A {
    if pred.strides() == target.strides() {
        if let (Some(p), Some(t)) = (pred.as_slice_memory_order(), target.as_slice_memory_order()) {
            let mut values = [A::zero(); BLOCK];
            let mut block = |p: &[A], t: &[A]| {
                let values = &mut values[..p.len()];
                for ((v, &p), &t) in values.iter_mut().zip(p).zip(t) {
                    *v = math.value(p, t);
                }
                sum_slice(values)
            };
            if p.len() <= BLOCK {
                return block(p, t);
            }
            let mut cascade = Cascade::new();
            for (p, t) in p.chunks(BLOCK).zip(t.chunks(BLOCK)) {
                cascade.push(block(p, t));
            }
            return cascade.total();
        }
    }
    let mut stream = Stream::new();
    Zip::from(pred)
        .and(target)
        .for_each(|&p, &t| stream.push(math.value(p, t)));
    stream.total()
}
