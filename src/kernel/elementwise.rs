//! Driver for losses that are a function of one (prediction, target) pair.

use ndarray::{Array, ArrayRef, ArrayView, Dimension, IntoDimension, Zip};

use super::simd::{dispatch, Kernel, Streamer};
use super::sum::{block_total, halving_sum, halving_sum_64, sum_indexed, Cascade, Stream, BLOCK};
use crate::error::{Error, Result};
use crate::float::Float;
use crate::reduction::{element_denominator, Reduction};

/// A predicate every prediction must satisfy, and its description for the error.
pub(crate) type Domain<A> = (fn(A) -> bool, &'static str);

/// The math of an element-wise loss: `ℓ(p, t)` and `∂ℓ/∂p`, with its
/// hyperparameters already converted to `A`.
pub(crate) trait PointMath<A: Float>: Copy + Send + Sync {
    /// Domain of the prediction, checked for every element before anything is
    /// written (`None`: any value). Returns a description for the error.
    fn pred_domain(self) -> Option<Domain<A>> {
        None
    }
    /// `ℓ(p, t)`.
    fn value(self, p: A, t: A) -> A;
    /// `(ℓ(p, t), ∂ℓ/∂p)`.
    fn value_grad(self, p: A, t: A) -> (A, A);
    /// The math costs more time per element than streaming its inputs from
    /// memory (an exponential, a logarithm, a division): the kernels then
    /// prefetch the inputs ahead in software, so that the loads overlap the
    /// arithmetic (the hardware prefetcher alone does not run ahead of a
    /// slow loop, which leaves the two in series). Cheap math must not: its
    /// loops are bound by bandwidth, and the prefetches are extra
    /// instructions there.
    const HEAVY: bool = false;
    /// [`PointMath::value_grad`] in a kernel compiled with (`FMA`) or
    /// without the fused multiply-add instructions: losses built on the
    /// vectorised transcendental functions override it (and define
    /// `value_grad` as `value_grad_k::<false>`) so that their polynomials use
    /// the instruction where the dispatch provides it.
    #[inline(always)]
    fn value_grad_k<const FMA: bool>(self, p: A, t: A) -> (A, A) {
        self.value_grad(p, t)
    }
    /// `(ℓ, ∂ℓ/∂p)` with a per-element auxiliary input `a` (a per-class
    /// `pos_weight`, say); losses without one ignore it.
    #[inline(always)]
    fn value_grad_aux(self, p: A, t: A, a: A) -> (A, A) {
        let _ = a;
        self.value_grad(p, t)
    }
    /// Hands `pass` the math specialised for its settings: a math whose
    /// formula branches on a setting (`BceWithLogits`' optional
    /// `pos_weight`) overrides this to pass a variant with the setting in
    /// its type, so that the contiguous kernels hold no branch per vector.
    /// (The branch splits the loop body into blocks the compiler schedules
    /// one at a time.)
    #[inline(always)]
    fn specialize<P: Pass<A>>(self, pass: P) -> P::Output {
        pass.run(self)
    }
}

/// A computation over some [`PointMath`], for [`PointMath::specialize`].
pub(crate) trait Pass<A: Float> {
    /// What the computation returns.
    type Output;
    /// Runs it with `math`.
    fn run<M: PointMath<A>>(self, math: M) -> Self::Output;
}

/// How a weighted mean is normalised.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum WeightedMean {
    /// `Σ wᵢ·ℓᵢ / Σ wᵢ` (PyTorch's `mse_loss`/`l1_loss` with `weight=`).
    SumOfWeights,
    /// `Σ wᵢ·ℓᵢ / n` (PyTorch's BCE family, Huber).
    Count,
}

/// Optional per-element inputs beside (pred, target), already broadcast to
/// the prediction's shape.
pub(crate) struct Extras<'a, A, D> {
    pub(crate) weight: Option<(ArrayView<'a, A, D>, WeightedMean)>,
    pub(crate) aux: Option<ArrayView<'a, A, D>>,
}

/// Broadcasts `x` to `shape`, or names it in the error.
pub(crate) fn broadcast_to<'a, A, E: Dimension, D: Dimension>(
    what: &'static str,
    x: &'a ArrayRef<A, E>,
    shape: &D,
) -> Result<ArrayView<'a, A, D>> {
    x.broadcast(shape.clone())
        .ok_or_else(|| Error::ShapeMismatch {
            what,
            expected: shape.slice().to_vec(),
            found: x.shape().to_vec(),
        })
}

/// The target's shape, the predictions' domain, then the gradient buffer's
/// shape (if one is given), in that order.
fn check_inputs<A: Float, D: Dimension, M: PointMath<A>>(
    pred: &ArrayRef<A, D>,
    target: &ArrayRef<A, D>,
    grad: Option<&ArrayRef<A, D>>,
    math: M,
) -> Result<()> {
    super::check_same_shape("target", pred, target)?;
    if let Some((ok, expected)) = math.pred_domain() {
        // Contiguous input: the dispatched block scan (`all_of`), which
        // vectorises; `iter().all` stops per element and does not.
        let all_ok = match pred.as_slice_memory_order() {
            Some(s) => super::all_of(s, InDomain(math)),
            None => pred.iter().all(|&p| ok(p)),
        };
        if !all_ok {
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
    if let Some(g) = grad {
        super::check_same_shape("gradient buffer", pred, g)?;
    }
    Ok(())
}

/// [`PointMath::pred_domain`]'s test, for [`super::all_of`]: the math is
/// held and asked for its predicate inside the kernel, where the predicate
/// is a constant.
#[derive(Clone, Copy)]
struct InDomain<M>(M);

impl<A: Float, M: PointMath<A>> super::Test<A> for InDomain<M> {
    #[inline(always)]
    fn ok(self, x: A) -> bool {
        self.0.pred_domain().is_none_or(|(ok, _)| ok(x))
    }
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
    check_inputs(pred, target, grad.as_deref(), math)?;
    let n = element_denominator(reduction, pred.shape())?;
    let scale = n.map_or(A::one(), |n| {
        pow2_recip(n).map_or_else(|| A::one() / A::from_f64(n), A::from_f64)
    });
    let total = math.specialize(Contiguous {
        pred,
        target,
        grad,
        scale,
    });
    Ok(A::from_f64(n.map_or(total, |n| mean(total, n))))
}

/// [`reduce`]'s pass after the checks: the fused pass with a gradient, the
/// value-only pass without.
struct Contiguous<'a, A, D: Dimension> {
    pred: &'a ArrayRef<A, D>,
    target: &'a ArrayRef<A, D>,
    grad: Option<&'a mut ArrayRef<A, D>>,
    scale: A,
}

impl<A: Float, D: Dimension> Pass<A> for Contiguous<'_, A, D> {
    type Output = f64;
    #[inline(always)]
    fn run<M: PointMath<A>>(self, math: M) -> f64 {
        match self.grad {
            Some(g) => fused(self.pred, self.target, g, self.scale, math),
            None => values_only(self.pred, self.target, math),
        }
    }
}

/// `total / n`. For a power of two the reciprocal is exact, and so is the
/// product: the same bits without a division's latency at the end of the
/// call's dependency chain, which short calls feel.
#[inline(always)]
pub(crate) fn mean(total: f64, n: f64) -> f64 {
    match pow2_recip(n) {
        Some(r) => total * r,
        None => total / n,
    }
}

/// `1/n` for a power of two `n`, from the exponent bits (`n = 2ᵏ`, `k ≤ 63`:
/// `2⁻ᵏ` is normal): exact, and no division, whose latency the compiler
/// otherwise leaves at the end of the call (it computed `1.0 / n` there).
#[inline(always)]
fn pow2_recip(n: f64) -> Option<f64> {
    // A count is a whole number below 2⁶⁴: a power of two has no mantissa
    // bits, and its exponent k = (bits >> 52) − 1023 is in 0..64.
    let bits = n.to_bits();
    (n >= 1.0 && bits & ((1 << 52) - 1) == 0 && n < 18_446_744_073_709_551_616.0)
        .then(|| f64::from_bits((2046 - (bits >> 52)) << 52))
}

/// [`reduce`] with per-element weights and/or an auxiliary input: the
/// strided path, one pass. A weighted mean divides by `Σw` or by the count.
#[inline]
pub(crate) fn reduce_extras<A: Float, D: Dimension, M: PointMath<A>>(
    pred: &ArrayRef<A, D>,
    target: &ArrayRef<A, D>,
    extras: &Extras<'_, A, D>,
    grad: Option<&mut ArrayRef<A, D>>,
    reduction: Reduction,
    math: M,
) -> Result<A> {
    if extras.weight.is_none() && extras.aux.is_none() {
        return reduce(pred, target, grad, reduction, math);
    }
    reduce_weighted(pred, target, extras, grad, reduction, math)
}

/// [`reduce_extras`] with extras, out of line, so that its large stack
/// frame (the strided `Zip` passes) is not paid by every call, short
/// unweighted ones included.
#[inline(never)]
fn reduce_weighted<A: Float, D: Dimension, M: PointMath<A>>(
    pred: &ArrayRef<A, D>,
    target: &ArrayRef<A, D>,
    extras: &Extras<'_, A, D>,
    grad: Option<&mut ArrayRef<A, D>>,
    reduction: Reduction,
    math: M,
) -> Result<A> {
    check_inputs(pred, target, grad.as_deref(), math)?;
    let one = A::one();
    let one = ndarray::aview0(&one);
    let ones = broadcast_to("weight", &one, &pred.raw_dim())?; // a 0-d view always broadcasts
    let w = extras
        .weight
        .as_ref()
        .map_or_else(|| ones.view(), |(w, _)| w.view());
    let a = extras
        .aux
        .as_ref()
        .map_or_else(|| ones.view(), |a| a.view());
    let mut n = element_denominator(reduction, pred.shape())?;
    if let (Reduction::Mean, Some((wv, WeightedMean::SumOfWeights))) = (reduction, &extras.weight) {
        let total = super::update::sum_map(&wv.view().into_dyn(), |x| x).to_f64();
        n = crate::reduction::denominator(reduction, total, 0, "the weights sum to 0")?;
    }
    let scale = A::from_f64(n.map_or(1.0, |n| 1.0 / n));
    let mut stream = Stream::new();
    match grad {
        Some(g) => {
            Zip::from(g)
                .and(pred)
                .and(target)
                .and(&w)
                .and(&a)
                .for_each(|g, &p, &t, &w, &a| {
                    let (v, d) = math.value_grad_aux(p, t, a);
                    *g = w * d * scale;
                    stream.push(w * v);
                })
        }
        None => Zip::from(pred)
            .and(target)
            .and(&w)
            .and(&a)
            .for_each(|&p, &t, &w, &a| {
                stream.push(w * math.value_grad_aux(p, t, a).0);
            }),
    }
    let total = stream.total();
    Ok(A::from_f64(n.map_or(total, |n| total / n)))
}

/// [`unreduced`] with weights and/or an auxiliary input: `wᵢ·ℓᵢ`.
pub(crate) fn unreduced_extras<A: Float, D: Dimension, M: PointMath<A>>(
    pred: &ArrayRef<A, D>,
    target: &ArrayRef<A, D>,
    extras: &Extras<'_, A, D>,
    math: M,
) -> Result<Array<A, D>> {
    let mut out = unreduced(pred, target, math)?;
    if let Some(a) = &extras.aux {
        Zip::from(&mut out)
            .and(pred)
            .and(target)
            .and(a)
            .for_each(|o, &p, &t, &a| {
                *o = math.value_grad_aux(p, t, a).0;
            });
    }
    if let Some((w, _)) = &extras.weight {
        Zip::from(&mut out).and(w).for_each(|o, &w| *o = *o * w);
    }
    Ok(out)
}

/// The unreduced loss: `ℓ(pᵢ, tᵢ)` for every element, shaped like `pred`.
pub(crate) fn unreduced<A: Float, D: Dimension, M: PointMath<A>>(
    pred: &ArrayRef<A, D>,
    target: &ArrayRef<A, D>,
    math: M,
) -> Result<Array<A, D>> {
    check_inputs(pred, target, None, math)?;
    Ok(Zip::from(pred)
        .and(target)
        .map_collect(|&p, &t| math.value(p, t)))
}

/// Value and gradient element by element, values summed in `f64`: for
/// inputs and pieces too short for the block kernels.
///
/// Four running sums (element `i` into sum `i mod 4`, then `(s₀ + s₁) +
/// (s₂ + s₃)`): one sum would be a chain of dependent `f64` additions, the
/// critical path of a short call.
#[inline]
fn scalar_pass<A: Float, M: PointMath<A>>(p: &[A], t: &[A], g: &mut [A], scale: A, math: M) -> f64 {
    const K: usize = 4;
    let n = g.len().min(p.len()).min(t.len());
    let (g, p, t) = (&mut g[..n], &p[..n], &t[..n]);
    let mut acc = [0.0_f64; K];
    let (gc, g_rest) = g.as_chunks_mut::<K>();
    let (pc, p_rest) = p.as_chunks::<K>();
    let (tc, t_rest) = t.as_chunks::<K>();
    for ((gk, pk), tk) in gc.iter_mut().zip(pc).zip(tc) {
        for j in 0..K {
            let (v, d) = math.value_grad(pk[j], tk[j]);
            gk[j] = d * scale;
            acc[j] += v.to_f64();
        }
    }
    for (j, ((g, &p), &t)) in g_rest.iter_mut().zip(p_rest).zip(t_rest).enumerate() {
        let (v, d) = math.value_grad(p, t);
        *g = d * scale;
        acc[j] += v.to_f64();
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3])
}

/// Inputs this short skip the dispatched block kernels (their fixed cost
/// dominates there).
const SMALL: usize = 32;

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
) -> f64 {
    if let Some((p, t, g)) = common_slices(pred, target, grad) {
        if p.len() <= SMALL {
            // Tiny inputs: a plain loop, no dispatch and no block buffer.
            return scalar_pass(p, t, g, scale, math);
        }
        // Chunks of PAR_CHUNK elements (spread over threads with the `rayon`
        // feature), one dispatch each. Chunks, blocks and the lanes of their
        // sums start at multiples of their sizes in index space, never at an
        // address boundary, so that a call's bits do not depend on where its
        // buffers lie (`tests/it/reliability.rs`).
        let far = M::HEAVY && std::mem::size_of_val(p) >= PREFETCH_MIN_BYTES;
        let stream = (std::mem::size_of_val(g) >= STREAM_MIN_BYTES).then(Streamer::new);
        let chunk_total = |offset: usize, g: &mut [A]| -> f64 {
            dispatch(FusedChunk {
                p: &p[offset..offset + g.len()],
                t: &t[offset..offset + g.len()],
                g,
                scale,
                math,
                far,
                stream,
            })
        };
        return super::split_sum(g, super::PAR_CHUNK, &chunk_total);
    }
    fused_strided(pred, target, grad, scale, math)
}

/// [`fused`] over arrays that share no memory order, out of line (as
/// [`reduce_weighted`]: its stack frame stays off the contiguous path).
#[inline(never)]
fn fused_strided<A: Float, D: Dimension, M: PointMath<A>>(
    pred: &ArrayRef<A, D>,
    target: &ArrayRef<A, D>,
    grad: &mut ArrayRef<A, D>,
    scale: A,
    math: M,
) -> f64 {
    let mut stream = Stream::new();
    Zip::from(grad).and(pred).and(target).for_each(|g, &p, &t| {
        let (v, d) = math.value_grad(p, t);
        *g = d * scale;
        stream.push(v);
    });
    stream.total()
}

/// The fused value + gradient pass over one chunk, as a dispatched kernel:
/// blocks of [`SUPER`] elements ([`fused_block`]), block sums into the
/// cascade.
struct FusedChunk<'a, A, M> {
    p: &'a [A],
    t: &'a [A],
    g: &'a mut [A],
    scale: A,
    math: M,
    /// Prefetch in software ([`PointMath::HEAVY`] math on inputs beyond
    /// [`PREFETCH_MIN_BYTES`]).
    far: bool,
    /// Write the gradient with streaming stores (beyond
    /// [`STREAM_MIN_BYTES`]).
    stream: Option<Streamer>,
}

impl<A: Float, M: PointMath<A>> Kernel for FusedChunk<'_, A, M> {
    type Output = f64;
    #[inline(always)]
    fn run<const FMA: bool>(self) -> f64 {
        let Self {
            p,
            t,
            g,
            scale,
            math,
            far,
            stream,
        } = self;
        let mut cascade = Cascade::new();
        // An address only (never dereferenced): see below.
        let (g_all, g_len) = (g.as_ptr(), g.len());
        for (start, g) in (0..).step_by(SUPER).zip(g.chunks_mut(SUPER)) {
            if stream.is_some() && start + SUPER < g_len {
                // The next block's gradient pages, a block ahead: a
                // streaming store reads no line, so nothing else walks the
                // page tables for it before the store itself, which then
                // waits for the walk (under nested paging, a large part of
                // the pass; with 2 MiB pages the walks all but vanish).
                // The last block may be shorter: a
                // prefetch past the slice is harmless.
                super::simd::prefetch_pages(g_all.wrapping_add(start + SUPER), SUPER);
            }
            let (p, t) = (&p[start..], &t[start..]);
            cascade.push(if stream.is_some() {
                fused_block::<FMA, true, _, _>(p, t, g, scale, math, far, stream)
            } else {
                fused_block::<FMA, false, _, _>(p, t, g, scale, math, far, None)
            });
        }
        if stream.is_some() {
            super::simd::stream_fence();
        }
        cascade.total()
    }
}

/// Running sums of the fused pass: one per lane of four 512-bit vectors
/// (the compiler keeps a fixed-size array of them in registers).
const ACC: usize = 64;

/// Elements per accumulation block of the fused pass: [`ACC`] lanes, each
/// summing 16 values before the halving tree (as the value-only pass's
/// blocks of [`VALUE_SPAN`] do). The
/// [`PointMath::HEAVY`] loop adds four values per stored sum into the first
/// 16 lanes, so there each lane sums 64 values in the element type
/// (`BceWithLogits`' mean over 16M stays within 1e-6 of `f64`:
/// `tests/it/large.rs`).
const SUPER: usize = 16 * ACC;

/// Elements per block of the value-only pass ([`BLOCK`] lanes in a stack
/// buffer, 16 values each).
const VALUE_SPAN: usize = 16 * BLOCK;

/// [`PointMath::HEAVY`] kernels prefetch in software only when each input
/// has at least this many bytes (beyond a 1 MiB L2 with the three arrays):
/// on inputs the caches hold, the prefetches are wasted instructions.
const PREFETCH_MIN_BYTES: usize = 512 << 10;

/// The fused pass writes the gradient with streaming stores
/// ([`Streamer::store`]) when it has at least this many bytes:
/// beyond the last-level cache of current parts (32 MiB per core complex
/// on recent AMD ones), so its first lines are evicted before the pass ends
/// and a following pass (the optimizer) reads it from memory either way. A
/// plain store reads its line first: streaming saves a quarter of the
/// traffic (12 bytes per element instead of 16).
const STREAM_MIN_BYTES: usize = 32 << 20;

/// How far ahead [`PointMath::HEAVY`] kernels prefetch, in chunks of
/// [`ACC`] elements (2 KiB of each `f32` input; a tuned distance: nearer
/// does no better, farther does worse).
const PREFETCH_CHUNKS: usize = 8;

/// Prefetches chunk `k` (of `L` elements) of the `len` elements from `x`,
/// if there is one. An address, so that it serves the gradient, whose lines
/// ahead lie past the block the kernel holds.
#[inline(always)]
fn prefetch_chunk<const L: usize, A>(x: *const A, len: usize, k: usize) {
    if (k + 1) * L <= len {
        super::simd::prefetch_lines(x.wrapping_add(k * L), L);
    }
}

/// One block of up to [`SUPER`] elements, in chunks of [`ACC`]: the
/// gradient is written and the values are added to [`ACC`] running sums kept
/// in registers, summed by the constant-size halving tree at the end.
///
/// The running sums stay in registers: sums in a stack buffer are stores,
/// which commit in order behind the gradient's cache misses. Cheap
/// math is written as whole arrays (`from_fn`), which stay in registers.
/// [`PointMath::HEAVY`] math is a loop over a quarter chunk, four values per
/// lane (whole arrays would keep all 64 lanes' temporaries live: spills on
/// AVX2 and SSE2), and prefetches its inputs [`PREFETCH_CHUNKS`] ahead.
/// `STREAM` (with `stream` given): each chunk's gradient is built in
/// registers and written with streaming stores.
#[inline(always)]
fn fused_block<const FMA: bool, const STREAM: bool, A: Float, M: PointMath<A>>(
    p_ahead: &[A],
    t_ahead: &[A],
    g: &mut [A],
    scale: A,
    math: M,
    far: bool,
    stream: Option<Streamer>,
) -> f64 {
    // The block's inputs, and (for prefetching) the chunk's from here on.
    let (p, t) = (&p_ahead[..g.len()], &t_ahead[..g.len()]);
    // The gradient's next lines, for prefetching: they may lie past this
    // block (in the chunk), so an address, never dereferenced.
    let g_ahead = g.as_ptr();
    const L: usize = ACC;
    let mut acc = [A::zero(); L];
    let (pp, pr) = p.as_chunks::<L>();
    let (tp, tr) = t.as_chunks::<L>();
    let (gp, gr) = g.as_chunks_mut::<L>();
    for (k, ((p, t), g)) in pp.iter().zip(tp).zip(gp.iter_mut()).enumerate() {
        if M::HEAVY && far {
            let ahead = k + PREFETCH_CHUNKS;
            prefetch_chunk::<L, _>(p_ahead.as_ptr(), p_ahead.len(), ahead);
            prefetch_chunk::<L, _>(t_ahead.as_ptr(), t_ahead.len(), ahead);
            // The gradient's lines too (the chunk's gradient is as long as
            // its inputs): a store to a line not in cache waits for the
            // line. Streaming stores need no line.
            if !STREAM {
                prefetch_chunk::<L, _>(g_ahead, p_ahead.len(), ahead);
            }
        }
        // The chunk's gradient: written in place, or (STREAM) built in
        // registers and streamed out.
        let mut streamed = [A::zero(); L];
        let gd: &mut [A; L] = if STREAM { &mut streamed } else { g };
        if M::HEAVY {
            // Long math: a loop, four values per running sum, added straight
            // into the sums (a zeroed array of values on the stack per chunk
            // would go through memory).
            const H: usize = L / 4;
            for j in 0..H {
                let (v1, d1) = math.value_grad_k::<FMA>(p[j], t[j]);
                let (v2, d2) = math.value_grad_k::<FMA>(p[j + H], t[j + H]);
                let (v3, d3) = math.value_grad_k::<FMA>(p[j + 2 * H], t[j + 2 * H]);
                let (v4, d4) = math.value_grad_k::<FMA>(p[j + 3 * H], t[j + 3 * H]);
                gd[j] = d1 * scale;
                gd[j + H] = d2 * scale;
                gd[j + 2 * H] = d3 * scale;
                gd[j + 3 * H] = d4 * scale;
                acc[j] = acc[j] + ((v1 + v2) + (v3 + v4));
            }
        } else {
            // Cheap math: whole arrays, kept in vector registers. (An array
            // of (value, gradient) pairs would go through memory; the math
            // written twice is merged by the compiler.)
            *gd = std::array::from_fn(|j| math.value_grad_k::<FMA>(p[j], t[j]).1 * scale);
            let v: [A; L] = std::array::from_fn(|j| math.value_grad_k::<FMA>(p[j], t[j]).0);
            acc = std::array::from_fn(|j| acc[j] + v[j]);
        }
        if let (true, Some(s)) = (STREAM, stream) {
            s.store(g, &streamed);
        }
    }
    let mut rest = [A::zero(); L];
    for (((v, g), &p), &t) in rest.iter_mut().zip(gr.iter_mut()).zip(pr).zip(tr) {
        let (val, d) = math.value_grad_k::<FMA>(p, t);
        *g = d * scale;
        *v = val;
    }
    let buf: [A; L] = std::array::from_fn(|j| acc[j] + rest[j]);
    block_total(halving_sum_64(&buf), || exact_block(p, t, math))
}

fn values_only<A: Float, D: Dimension, M: PointMath<A>>(
    pred: &ArrayRef<A, D>,
    target: &ArrayRef<A, D>,
    math: M,
) -> f64 {
    if pred.strides() == target.strides() {
        if let (Some(p), Some(t)) = (pred.as_slice_memory_order(), target.as_slice_memory_order()) {
            return dispatch(Values { p, t, math });
        }
    }
    let mut stream = Stream::new();
    Zip::from(pred)
        .and(target)
        .for_each(|&p, &t| stream.push(math.value(p, t)));
    stream.total()
}

/// The value-only pass over contiguous slices, as a dispatched kernel.
struct Values<'a, A, M> {
    p: &'a [A],
    t: &'a [A],
    math: M,
}

impl<A: Float, M: PointMath<A>> Kernel for Values<'_, A, M> {
    type Output = f64;
    #[inline(always)]
    fn run<const FMA: bool>(self) -> f64 {
        let mut cascade = Cascade::new();
        for (p, t) in self.p.chunks(VALUE_SPAN).zip(self.t.chunks(VALUE_SPAN)) {
            cascade.push(value_block(p, t, self.math));
        }
        cascade.total()
    }
}

/// One block of up to [`VALUE_SPAN`] values: each added to one of
/// [`BLOCK`] lanes of a stack buffer (an element-wise update the loop
/// vectoriser handles), then summed by the halving tree.
#[inline(always)]
fn value_block<A: Float, M: PointMath<A>>(p: &[A], t: &[A], math: M) -> f64 {
    let mut buf = [A::zero(); BLOCK];
    for (p, t) in p.chunks(BLOCK).zip(t.chunks(BLOCK)) {
        for ((v, &p), &t) in buf.iter_mut().zip(p).zip(t) {
            *v = *v + math.value(p, t);
        }
    }
    block_total(halving_sum(&buf), || exact_block(p, t, math))
}

/// A block's values summed in `f64` (the rare overflow path).
#[cold]
fn exact_block<A: Float, M: PointMath<A>>(p: &[A], t: &[A], math: M) -> f64 {
    p.iter()
        .zip(t)
        .map(|(&p, &t)| math.value(p, t).to_f64())
        .sum()
}

/// Gradient buffers of the two differentiable inputs of [`reduce3`].
pub(crate) type GradPair<'g, A, D> = (&'g mut ArrayRef<A, D>, &'g mut ArrayRef<A, D>);

/// Element-wise loss of three inputs of one shape (two differentiable, one
/// not): `ℓ(a, b, c)` with `∂ℓ/∂a`, `∂ℓ/∂b`. Returns the reduced value, or
/// fills `out` with the unreduced values. The caller has checked the shapes
/// (broadcast views are fine for `c`).
pub(crate) fn reduce3<A: Float, D: Dimension>(
    [a, b, c]: [ArrayView<'_, A, D>; 3],
    grads: Option<GradPair<'_, A, D>>,
    reduction: Reduction,
    f: impl Fn(A, A, A) -> (A, A, A) + Copy,
) -> Result<A> {
    let n = element_denominator(reduction, a.shape())?;
    let scale = A::from_f64(n.map_or(1.0, |n| 1.0 / n));
    let mean_of = |total: f64| A::from_f64(n.map_or(total, |n| mean(total, n)));
    // Every array in logical order in memory (the common case; a broadcast
    // `var` of `GaussianNll` is not): a dispatched kernel over the slices.
    let grads_contiguous = grads
        .as_ref()
        .is_none_or(|(ga, gb)| ga.as_slice().is_some() && gb.as_slice().is_some());
    if let (Some(sa), Some(sb), Some(sc), true) =
        (a.as_slice(), b.as_slice(), c.as_slice(), grads_contiguous)
    {
        let g = grads.and_then(|(ga, gb)| Some((ga.as_slice_mut()?, gb.as_slice_mut()?)));
        let (a, b, c) = (sa, sb, sc);
        return Ok(mean_of(dispatch(Fused3 {
            a,
            b,
            c,
            g,
            scale,
            f,
        })));
    }
    Ok(mean_of(zip3([a, b, c], grads, scale, f)))
}

/// [`reduce3`] over contiguous slices: blocks of [`BLOCK`] elements
/// ([`block3`]), the block sums combined by the cascade. (The `Zip` over
/// five arrays feeding a [`Stream`] did not vectorise.)
struct Fused3<'a, A, F> {
    a: &'a [A],
    b: &'a [A],
    c: &'a [A],
    g: Option<(&'a mut [A], &'a mut [A])>,
    scale: A,
    f: F,
}

impl<A: Float, F: Fn(A, A, A) -> (A, A, A) + Copy> Kernel for Fused3<'_, A, F> {
    type Output = f64;
    #[inline(always)]
    fn run<const FMA: bool>(self) -> f64 {
        let Self {
            a,
            b,
            c,
            g,
            scale,
            f,
        } = self;
        let n = a.len();
        let (a, b, c) = (&a[..n], &b[..n], &c[..n]);
        let Some((ga, gb)) = g else {
            // Values only: the same blocks, running sums and cascade.
            return sum_indexed(n, |i| f(a[i], b[i], c[i]).0);
        };
        let mut cascade = Cascade::new();
        let blocks = a.chunks(BLOCK).zip(b.chunks(BLOCK)).zip(c.chunks(BLOCK));
        let grads = ga.chunks_mut(BLOCK).zip(gb.chunks_mut(BLOCK));
        for (((a, b), c), (ga, gb)) in blocks.zip(grads) {
            cascade.push(block3(a, b, c, ga, gb, scale, f));
        }
        cascade.total()
    }
}

/// One block of [`Fused3`] with gradients, summed as
/// [`sum_indexed`](super::sum::sum_indexed) sums (as [`fused_block`] does
/// it): 64 running sums, each element's value added to its own (the loop
/// vectorises across them; eight sums fed in turn, as [`Stream`] does, left
/// the loop scalar), the block's total by the halving tree; gradients
/// scaled into `ga`, `gb`.
#[inline(always)]
fn block3<A: Float, F: Fn(A, A, A) -> (A, A, A) + Copy>(
    a: &[A],
    b: &[A],
    c: &[A],
    ga: &mut [A],
    gb: &mut [A],
    scale: A,
    f: F,
) -> f64 {
    const L: usize = 64;
    let n = a.len();
    let (a, b, c) = (&a[..n], &b[..n], &c[..n]);
    let (ga, gb) = (&mut ga[..n], &mut gb[..n]);
    let mut acc = [A::zero(); L];
    let mut rest = [A::zero(); L];
    let full = n / L * L;
    for i in (0..full).step_by(L) {
        let (a, b, c) = (&a[i..i + L], &b[i..i + L], &c[i..i + L]);
        let (ga, gb) = (&mut ga[i..i + L], &mut gb[i..i + L]);
        for j in 0..L {
            let (v, da, db) = f(a[j], b[j], c[j]);
            ga[j] = da * scale;
            gb[j] = db * scale;
            acc[j] = acc[j] + v;
        }
    }
    for (j, i) in (full..n).enumerate() {
        let (v, da, db) = f(a[i], b[i], c[i]);
        ga[i] = da * scale;
        gb[i] = db * scale;
        rest[j] = v;
    }
    let buf: [A; L] = std::array::from_fn(|j| acc[j] + rest[j]);
    block_total(halving_sum_64(&buf), || {
        (0..n).map(|i| f(a[i], b[i], c[i]).0.to_f64()).sum()
    })
}

/// [`reduce3`]'s strided path: a `Zip` feeding a [`Stream`]; the total.
fn zip3<A: Float, D: Dimension>(
    [a, b, c]: [ArrayView<'_, A, D>; 3],
    grads: Option<GradPair<'_, A, D>>,
    scale: A,
    f: impl Fn(A, A, A) -> (A, A, A),
) -> f64 {
    let mut stream = Stream::new();
    match grads {
        Some((ga, gb)) => {
            Zip::from(ga)
                .and(gb)
                .and(&a)
                .and(&b)
                .and(&c)
                .for_each(|ga, gb, &a, &b, &c| {
                    let (v, da, db) = f(a, b, c);
                    *ga = da * scale;
                    *gb = db * scale;
                    stream.push(v);
                })
        }
        None => Zip::from(&a)
            .and(&b)
            .and(&c)
            .for_each(|&a, &b, &c| stream.push(f(a, b, c).0)),
    }
    stream.total()
}

/// The unreduced counterpart of [`reduce3`].
pub(crate) fn map3<A: Float, D: Dimension>(
    [a, b, c]: [ArrayView<'_, A, D>; 3],
    f: impl Fn(A, A, A) -> (A, A, A),
) -> Array<A, D> {
    Zip::from(&a)
        .and(&b)
        .and(&c)
        .map_collect(|&a, &b, &c| f(a, b, c).0)
}

#[cfg(test)]
mod tests {
    use super::{mean, pow2_recip};

    /// `mean` is the division, bit for bit, at every `n` and over totals
    /// from subnormal to huge, both signs, ±0, ±∞ and NaN.
    #[test]
    fn mean_is_the_division() {
        let mut totals = vec![
            0.0,
            -0.0,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::MIN_POSITIVE,
            5e-324,
        ];
        let mut x = 0x9E37_79B9_7F4A_7C15_u64;
        for _ in 0..2000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            totals.push(f64::from_bits(x));
        }
        let ns = (1..=70)
            .chain((0..64).map(|k| 1_usize << k))
            .chain([3 << 40, usize::MAX]);
        for n in ns {
            // The gradient's scale, in both precisions: `1/n` to the bit.
            if let Some(r) = pow2_recip(n as f64) {
                assert_eq!(r, 1.0 / n as f64, "{n}");
                assert_eq!(r as f32, 1.0 / n as f32, "{n}");
            } else {
                assert!(!n.is_power_of_two());
            }
            for &t in &totals {
                let (got, want) = (mean(t, n as f64), t / n as f64);
                assert!(
                    got.to_bits() == want.to_bits() || (got.is_nan() && want.is_nan()),
                    "{t:e} / {n}"
                );
            }
        }
    }
}
