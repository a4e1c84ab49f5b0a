//! Drivers over parameter sets: validation of (params, grads, state) and the
//! fused per-element passes optimizers and regularizers run.

use ndarray::{ArrayViewD, ArrayViewMutD};

use super::simd::{dispatch, Kernel};
use super::sum::{map_sum, Stream};
use crate::error::{Error, Result};
use crate::float::Float;
use crate::params::Params;

/// Errors unless `grads` has as many arrays as `params`, each of its shape.
pub(crate) fn check_pair<A, P: Params<A>, G: Params<A>>(params: &P, grads: &G) -> Result<()> {
    check_pair_state(params, grads, None).map(|_| ())
}

/// [`check_pair`], and with the `shapes` of a stored optimizer state, the
/// first way `params` differs from them (the slot count, else the first
/// slot of another shape) — returned, not raised, so that the caller keeps
/// the order of its errors (pairs, its own checks, then the state). One
/// view of each parameter and gradient per slot: a view is a sizeable part
/// of a step on a small parameter.
pub(crate) fn check_pair_state<A, P: Params<A>, G: Params<A>>(
    params: &P,
    grads: &G,
    shapes: Option<&[Vec<usize>]>,
) -> Result<Option<Error>> {
    if params.num_slots() != grads.num_slots() {
        return Err(Error::ParamCountMismatch {
            params: params.num_slots(),
            grads: grads.num_slots(),
        });
    }
    let mut state = shapes.and_then(|shapes| {
        (params.num_slots() != shapes.len()).then(|| Error::StateMismatch {
            slot: None,
            state: vec![shapes.len()],
            found: vec![params.num_slots()],
        })
    });
    for slot in 0..params.num_slots() {
        let (p, g) = (params.slot(slot), grads.slot(slot));
        if p.shape() != g.shape() {
            return Err(Error::ParamShapeMismatch {
                slot,
                param: p.shape().to_vec(),
                grad: g.shape().to_vec(),
            });
        }
        if let (None, Some(shapes)) = (&state, shapes) {
            if p.shape() != shapes[slot].as_slice() {
                state = Some(Error::StateMismatch {
                    slot: Some(slot),
                    state: shapes[slot].clone(),
                    found: p.shape().to_vec(),
                });
            }
        }
    }
    Ok(state)
}

/// The shapes of every array of a set.
pub(crate) fn shapes<A, P: Params<A>>(params: &P) -> Vec<Vec<usize>> {
    (0..params.num_slots())
        .map(|i| params.slot(i).shape().to_vec())
        .collect()
}

/// `Σ f(x)` over one array, accurately.
pub(crate) fn sum_map<A: Float>(x: &ArrayViewD<'_, A>, f: impl Fn(A) -> A + Copy) -> A {
    if let Some(s) = x.as_slice_memory_order() {
        return A::from_f64(map_sum(s, f));
    }
    let mut stream = Stream::new();
    x.iter().for_each(|&v| stream.push(f(v)));
    A::from_f64(stream.total())
}

/// One fused pass over a parameter, its gradient and `K` state buffers (each
/// stored in the parameter's logical, row-major order):
/// `p ← f(p, g, &mut [s₁, …, s_K])`.
///
/// The caller has checked that the shapes agree and every state buffer has
/// `param.len()` elements.
#[inline(always)]
pub(crate) fn update<A: Float, const K: usize>(
    mut param: ArrayViewMutD<'_, A>,
    grad: ArrayViewD<'_, A>,
    state: [&mut [A]; K],
    f: impl Fn(A, A, &mut [A; K]) -> A,
) {
    let n = param.len();
    debug_assert!(state.iter().all(|s| s.len() == n));
    // Re-slicing everything to `n` lets the compiler drop the bounds checks.
    let state = state.map(|s| &mut s[..n]);
    if let (Some(p), Some(g)) = (param.as_slice_mut(), grad.as_slice()) {
        let (p, g) = (&mut p[..n], &g[..n]);
        dispatch(Update { p, g, state, f });
        return;
    }
    let mut state = state;
    for (i, (p, &g)) in param.iter_mut().zip(grad.iter()).enumerate() {
        *p = step(&f, *p, g, &mut state, i);
    }
}

/// One element of [`update`]: `f(p, g, s)` with element `i` of each state
/// buffer gathered into `s` and written back.
#[inline(always)]
fn step<A: Float, const K: usize>(
    f: &impl Fn(A, A, &mut [A; K]) -> A,
    p: A,
    g: A,
    state: &mut [&mut [A]; K],
    i: usize,
) -> A {
    let mut s: [A; K] = std::array::from_fn(|k| state[k][i]);
    let p = f(p, g, &mut s);
    for k in 0..K {
        state[k][i] = s[k];
    }
    p
}

/// The contiguous pass of [`update`], as a dispatched kernel: compiled for
/// AVX-512 and AVX2 as well as the baseline. The square roots and divisions
/// of the adaptive optimizers make an SSE2 loop compute-bound, not
/// memory-bound.
struct Update<'a, A, F, const K: usize> {
    p: &'a mut [A],
    g: &'a [A],
    state: [&'a mut [A]; K],
    f: F,
}

impl<A: Float, F: Fn(A, A, &mut [A; K]) -> A, const K: usize> Kernel for Update<'_, A, F, K> {
    type Output = ();

    #[inline(always)]
    fn run<const FMA: bool>(self) {
        let Self { p, g, state, f } = self;
        let n = p.len();
        let (g, mut state) = (&g[..n], state.map(|s| &mut s[..n]));
        for i in 0..n {
            p[i] = step(&f, p[i], g[i], &mut state, i);
        }
    }
}

/// `x ← f(x, y)` over two arrays of the same shape (logical order).
pub(crate) fn zip_apply<A: Float>(
    mut x: ArrayViewMutD<'_, A>,
    y: ArrayViewD<'_, A>,
    f: impl Fn(A, A) -> A,
) {
    if let (Some(xs), Some(ys)) = (x.as_slice_mut(), y.as_slice()) {
        xs.iter_mut().zip(ys).for_each(|(a, &b)| *a = f(*a, b));
        return;
    }
    x.iter_mut().zip(y.iter()).for_each(|(a, &b)| *a = f(*a, b));
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{Array1, ArrayD};

    /// The dispatched pass computes, element by element, exactly what the
    /// closure computes on scalars (CI runs this at every SIMD level).
    #[test]
    fn dispatched_update_is_the_scalar_update() {
        // An Adam-like step: square root and divisions, where a vector
        // build could differ if it reassociated or fused anything.
        let f = |p: f32, g: f32, [m, v]: &mut [f32; 2]| {
            *m = 0.9 * *m + 0.1 * g;
            *v = 0.999 * *v + 0.001 * g * g;
            p - (0.001 * *m) / (v.sqrt() / 0.3 + 1e-8)
        };
        for n in [0, 1, 15, 16, 17, 1000, 4099] {
            let x = |k: usize| {
                Array1::from_shape_fn(n, |i| {
                    ((i * 7919 + k * 104_729) % 2001) as f32 / 1000.0 - 1.0
                })
            };
            let (p0, g) = (x(1).into_dyn(), x(2).into_dyn());
            let (mut m, mut v) = (x(3).to_vec(), x(4).mapv(f32::abs).to_vec());
            let (mut m_ref, mut v_ref) = (m.clone(), v.clone());
            let mut p: ArrayD<f32> = p0.clone();
            update(p.view_mut(), g.view(), [&mut m, &mut v], f);
            for i in 0..n {
                let mut s = [m_ref[i], v_ref[i]];
                let want = f(p0[i], g[i], &mut s);
                [m_ref[i], v_ref[i]] = s;
                assert_eq!(p[i].to_bits(), want.to_bits(), "n = {n}, element {i}");
            }
            assert_eq!(m, m_ref, "n = {n}");
            assert_eq!(v, v_ref, "n = {n}");
        }
    }
}
