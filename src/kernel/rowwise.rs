//! Driver for losses defined on rows of an `(N, C)` array (softmax
//! cross-entropy and its relatives).
//!
//! The loss supplies a function of one contiguous row (and the matching
//! target row and gradient row, if any); the driver walks the rows, hands out
//! contiguous slices (copying strided rows through a scratch buffer, the only
//! allocation, and only for strided input), and accumulates the row values
//! accurately.

use ndarray::{Array1, ArrayRef, Axis, Ix2};

use super::sum::Stream;
use crate::float::Float;

/// One row as the loss sees it: index, logits, target row (empty when the
/// target is not a matrix) and the gradient row to fill (if requested).
pub(crate) type RowFn<'f, A> = dyn FnMut(usize, &[A], &[A], Option<&mut [A]>) -> A + 'f;

/// Sum of `f` over all rows. The caller has checked every shape and value.
pub(crate) fn sum_rows<A: Float>(
    pred: &ArrayRef<A, Ix2>,
    target: Option<&ArrayRef<A, Ix2>>,
    mut grad: Option<&mut ArrayRef<A, Ix2>>,
    f: &mut RowFn<'_, A>,
) -> A {
    let cols = pred.ncols();
    let mut scratch_x: Vec<A> = Vec::new();
    let mut scratch_t: Vec<A> = Vec::new();
    let mut scratch_g: Vec<A> = Vec::new();
    let mut stream = Stream::new();
    for i in 0..pred.nrows() {
        let x_view = pred.index_axis(Axis(0), i);
        let x: &[A] = match x_view.to_slice() {
            Some(s) => s,
            None => {
                refill(&mut scratch_x, x_view.iter().copied());
                &scratch_x
            }
        };
        let t: &[A] = match target {
            None => &[],
            Some(t) => {
                let t_view = t.index_axis(Axis(0), i);
                match t_view.to_slice() {
                    Some(s) => s,
                    None => {
                        refill(&mut scratch_t, t_view.iter().copied());
                        &scratch_t
                    }
                }
            }
        };
        let value = match grad.as_deref_mut() {
            None => f(i, x, t, None),
            Some(g) => {
                let mut g_row = g.index_axis_mut(Axis(0), i);
                match g_row.as_slice_mut() {
                    Some(s) => f(i, x, t, Some(s)),
                    None => {
                        scratch_g.resize(cols, A::zero());
                        let v = f(i, x, t, Some(&mut scratch_g));
                        g_row.iter_mut().zip(&scratch_g).for_each(|(d, &s)| *d = s);
                        v
                    }
                }
            }
        };
        stream.push(value);
    }
    A::from_f64(stream.total())
}

/// `f` for every row, without gradients: the unreduced loss.
pub(crate) fn map_rows<A: Float>(
    pred: &ArrayRef<A, Ix2>,
    target: Option<&ArrayRef<A, Ix2>>,
    f: &mut RowFn<'_, A>,
) -> Array1<A> {
    let mut out = Array1::zeros(pred.nrows());
    sum_rows(pred, target, None, &mut |r, x, t, g| {
        let v = f(r, x, t, g);
        out[r] = v;
        v
    });
    out
}

fn refill<A: Copy>(buf: &mut Vec<A>, it: impl Iterator<Item = A>) {
    buf.clear();
    buf.extend(it);
}

/// `(gradient scale, denominator)` of a per-row reduction over `rows` rows
/// (`Mean` and `BatchMean` divide by the row count): `(1/n, n)`, or `(1, 1)`
/// for a sum or an unreduced call.
pub(crate) fn row_reduction<A: Float>(
    reduction: crate::reduction::Reduction,
    reduced: bool,
    rows: usize,
) -> crate::error::Result<(A, A)> {
    crate::reduction::scale(reduction, reduced, rows as f64, rows, "the batch is empty")
}

/// One row of `K` matrices as the loss sees them, and the gradient rows to
/// fill (each `None` when that input's gradient is not wanted).
pub(crate) type MultiRowFn<'f, A, const K: usize> =
    dyn FnMut(usize, [&[A]; K], [Option<&mut [A]>; K]) -> A + 'f;

/// Sum of `f` over the rows of `K` matrices with the same number of rows
/// (triplets, pairs of embeddings). Strided rows go through scratch copies.
/// The caller has checked every shape.
pub(crate) fn sum_rows_multi<A: Float, const K: usize>(
    inputs: [&ArrayRef<A, Ix2>; K],
    mut grads: [Option<&mut ArrayRef<A, Ix2>>; K],
    f: &mut MultiRowFn<'_, A, K>,
) -> A {
    let rows = inputs.first().map_or(0, |x| x.nrows());
    let mut scratch_x: [Vec<A>; K] = std::array::from_fn(|_| Vec::new());
    let mut scratch_g: [Vec<A>; K] = std::array::from_fn(|_| Vec::new());
    let mut stream = Stream::new();
    for i in 0..rows {
        for (k, x) in inputs.iter().enumerate() {
            refill(&mut scratch_x[k], x.index_axis(Axis(0), i).iter().copied());
        }
        let xs: [&[A]; K] = std::array::from_fn(|k| scratch_x[k].as_slice());
        for (k, g) in grads.iter().enumerate() {
            if let Some(g) = g {
                scratch_g[k].clear();
                scratch_g[k].resize(g.ncols(), A::zero());
            }
        }
        let value = {
            let mut it = scratch_g.iter_mut().zip(grads.iter());
            let gs: [Option<&mut [A]>; K] = std::array::from_fn(|_| match it.next() {
                Some((buf, Some(_))) => Some(buf.as_mut_slice()),
                _ => None,
            });
            f(i, xs, gs)
        };
        for (k, g) in grads.iter_mut().enumerate() {
            if let Some(g) = g {
                g.index_axis_mut(Axis(0), i)
                    .iter_mut()
                    .zip(&scratch_g[k])
                    .for_each(|(d, &s)| *d = s);
            }
        }
        stream.push(value);
    }
    A::from_f64(stream.total())
}

/// The class axis of an input with `ndim` axes: 1, or 0 for a single sample `(C,)`.
pub(crate) fn class_axis(ndim: usize) -> Axis {
    if ndim >= 2 {
        Axis(1)
    } else {
        Axis(0)
    }
}

/// `lane` as a slice: borrowed if contiguous, else copied into `scratch`.
pub(crate) fn lane_slice<'a, A: Copy>(
    lane: &'a ndarray::ArrayView1<'_, A>,
    scratch: &'a mut Vec<A>,
) -> &'a [A] {
    match lane.as_slice() {
        Some(s) => s,
        None => {
            refill(scratch, lane.iter().copied());
            scratch
        }
    }
}

/// Sum of `f` over the lanes of `pred` along `axis` (the class axis), each
/// with the matching item of `targets` (a class index, or the target lane)
/// and, if requested, the gradient lane to fill. Lanes that are not
/// contiguous (the class axis of `(N, C, d1, …)` inputs) go through scratch
/// copies. The caller has checked every shape.
pub(crate) fn sum_lanes<A, D, P>(
    pred: &ArrayRef<A, D>,
    axis: Axis,
    targets: P,
    grad: Option<&mut ArrayRef<A, D>>,
    mut f: impl FnMut(&[A], P::Item, Option<&mut [A]>) -> A,
) -> A
where
    A: Float,
    D: ndarray::Dimension,
    P: ndarray::NdProducer<Dim = D::Smaller>,
{
    let classes = pred.len_of(axis);
    let (mut sx, mut sg) = (Vec::new(), Vec::new());
    let mut stream = Stream::new();
    match grad {
        None => ndarray::Zip::from(pred.lanes(axis))
            .and(targets)
            .for_each(|x, t| {
                stream.push(f(lane_slice(&x, &mut sx), t, None));
            }),
        Some(g) => ndarray::Zip::from(pred.lanes(axis))
            .and(targets)
            .and(g.lanes_mut(axis))
            .for_each(|x, t, mut gl| {
                let xs = lane_slice(&x, &mut sx);
                let v = match gl.as_slice_mut() {
                    Some(gs) => f(xs, t, Some(gs)),
                    None => {
                        sg.clear();
                        sg.resize(classes, A::zero());
                        let v = f(xs, t, Some(&mut sg));
                        gl.iter_mut().zip(&sg).for_each(|(d, &s)| *d = s);
                        v
                    }
                };
                stream.push(v);
            }),
    }
    A::from_f64(stream.total())
}

/// `f` for every lane, without gradients: one value per sample position.
pub(crate) fn map_lanes<A, D, P>(
    pred: &ArrayRef<A, D>,
    axis: Axis,
    targets: P,
    mut f: impl FnMut(&[A], P::Item, Option<&mut [A]>) -> A,
) -> ndarray::Array<A, D::Smaller>
where
    A: Float,
    D: ndarray::Dimension,
    P: ndarray::NdProducer<Dim = D::Smaller>,
{
    let mut sx = Vec::new();
    ndarray::Zip::from(pred.lanes(axis))
        .and(targets)
        .map_collect(|x, t| f(lane_slice(&x, &mut sx), t, None))
}
