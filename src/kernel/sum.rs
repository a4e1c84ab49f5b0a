//! Accurate, vectorisable summation.
//!
//! Values are summed in blocks of [`BLOCK`] with [`LANES`] independent
//! accumulators (so the compiler can keep them in SIMD registers), and block
//! sums are combined pairwise, in `f64`, by a binary-counter cascade. The
//! lanes stay in the element type (an `f64` lane would halve the SIMD width
//! of every `f32` loss); a block whose sum overflows is summed again in `f64`,
//! so an `f32` loss's sum cannot overflow where its mean is finite (two
//! losses of 3e38 average to 3e38, not ∞). The rounding error grows like
//! `(BLOCK / LANES)·ε + log₂(n / BLOCK)·2⁻⁵³`.

use crate::float::Float;

/// Independent accumulators per block.
pub(crate) const LANES: usize = 8;
/// Elements per block; block sums enter the pairwise cascade.
pub(crate) const BLOCK: usize = 256;

/// Pairwise combination of block sums: level `k` holds the sum of `2ᵏ` blocks.
#[derive(Clone, Copy)]
pub(crate) struct Cascade {
    levels: [f64; 64],
    count: u64,
}

impl Cascade {
    pub(crate) fn new() -> Self {
        Self {
            levels: [0.0; 64],
            count: 0,
        }
    }

    /// Adds the sum of one block.
    #[inline]
    pub(crate) fn push(&mut self, block_sum: f64) {
        let mut carry = block_sum;
        let mut level = 0;
        while self.count & (1 << level) != 0 {
            carry += self.levels[level];
            level += 1;
        }
        self.levels[level] = carry;
        self.count += 1;
    }

    /// The total of everything pushed: the occupied levels, lowest first.
    /// Only the set bits of the count are visited: a loop over all 64
    /// levels is a fixed cost that short calls feel.
    pub(crate) fn total(&self) -> f64 {
        let mut total = 0.0;
        let mut occupied = self.count;
        while occupied != 0 {
            total += self.levels[occupied.trailing_zeros() as usize];
            occupied &= occupied - 1;
        }
        total
    }
}

/// Sums the lanes. Written as a left fold: a pairwise tree here makes the SLP
/// vectoriser regroup the lanes of the loops that feed it into shuffles.
#[inline(always)]
pub(crate) fn reduce_lanes<A: Float>(l: [A; LANES]) -> A {
    l.iter().fold(A::zero(), |acc, &x| acc + x)
}

/// `Σ buf` in the element type, pairwise (the error grows like `log₂ n · ε`).
///
/// Every level has a constant size, so the compiler unrolls the whole tree
/// and keeps the partial sums in vector registers. Measured alternatives:
/// lane accumulators became one latency-bound register or scalar code
/// depending on what surrounded them, and a halving loop of run-time length
/// went through memory with a store-forwarding stall at every level.
#[inline(always)]
pub(crate) fn halving_sum<A: Float>(buf: &[A; BLOCK]) -> A {
    let a: [A; 128] = half(buf);
    halving_sum_64(&half(&a))
}

/// [`halving_sum`] of 64 values.
#[inline(always)]
pub(crate) fn halving_sum_64<A: Float>(a: &[A; 64]) -> A {
    let a: [A; 32] = half(a);
    let a: [A; 16] = half(&a);
    let a: [A; 8] = half(&a);
    let a: [A; 4] = half(&a);
    let a: [A; 2] = half(&a);
    a[0] + a[1]
}

/// `x[i] + x[i + H]` for `i < H` (`N = 2H`).
#[inline(always)]
fn half<A: Float, const N: usize, const H: usize>(x: &[A; N]) -> [A; H] {
    std::array::from_fn(|i| x[i] + x[i + H])
}

/// A block's sum as `f64`: `sum` if finite, else `exact()`, the same values
/// summed in `f64` (overflow of the element type; NaN stays NaN either way).
#[inline(always)]
pub(crate) fn block_total<A: Float>(sum: A, exact: impl FnOnce() -> f64) -> f64 {
    if sum.is_finite() {
        sum.to_f64()
    } else {
        exact()
    }
}

/// Compensated (Kahan–Babuška–Neumaier) `f64` sum: the error does not grow
/// with the number of terms.
#[derive(Clone, Copy, Default)]
pub(crate) struct Compensated {
    sum: f64,
    compensation: f64,
}

impl Compensated {
    #[inline]
    pub(crate) fn push(&mut self, x: f64) {
        let t = self.sum + x;
        self.compensation += if self.sum.abs() >= x.abs() {
            (self.sum - t) + x
        } else {
            (x - t) + self.sum
        };
        self.sum = t;
    }

    pub(crate) fn total(self) -> f64 {
        self.sum + self.compensation
    }
}

/// Running maxima of [`row_max`] (the halving below assumes 64).
const ROW_LANES: usize = 64;
/// Width of the register accumulators of [`row_sum`].
const W: usize = 32;

/// Maximum of a row's non-NaN elements, `−∞` for an empty row.
///
/// A NaN is skipped, which is enough: a NaN logit makes its exponential NaN,
/// so the row's sum, value and whole gradient row are NaN anyway (as in
/// PyTorch). `if v > m { v } else { m }` is exactly one x86 `max` instruction
/// with that NaN rule; long rows keep [`ROW_LANES`] running maxima in an array
/// updated element-wise (a loop the vectoriser handles without reduction
/// support; the `f32::max` fold it did vectorise costs three instructions per
/// vector for `maxnum`'s NaN rule), then reduce them by halving.
#[inline(always)]
pub(crate) fn row_max<A: Float>(x: &[A]) -> A {
    #[inline(always)]
    fn max<A: Float>(m: A, v: A) -> A {
        if v > m {
            v
        } else {
            m
        }
    }
    let n = x.len();
    if n < ROW_LANES {
        // Short rows: one scalar max per element (rows are independent, so
        // the out-of-order core overlaps their chains).
        return x.iter().fold(A::neg_infinity(), |m, &v| max(m, v));
    }
    const L: usize = ROW_LANES;
    let mut acc = [A::neg_infinity(); L];
    let (chunks, _) = x.as_chunks::<L>();
    // The whole multiples of L, then the last L elements again
    // (overlapping: max is idempotent) instead of a scalar remainder.
    for c in chunks {
        acc = std::array::from_fn(|k| max(acc[k], c[k]));
    }
    let last: &[A; L] = x[n - L..].try_into().expect("n ≥ ROW_LANES");
    acc = std::array::from_fn(|k| max(acc[k], last[k]));
    #[inline(always)]
    fn half<A: Float, const N: usize, const H: usize>(x: &[A; N]) -> [A; H] {
        std::array::from_fn(|i| max(x[i], x[i + H]))
    }
    let a: [A; 32] = half(&acc);
    let a: [A; 16] = half(&a);
    let a: [A; 8] = half(&a);
    let a: [A; 4] = half(&a);
    let a: [A; 2] = half(&a);
    max(a[0], a[1])
}

/// `Σ x` with [`W`] lane accumulators, combined by halving; in `f64` per
/// [`BLOCK`]-element block (exact enough: every term of a softmax sum is in
/// `[0, 1]`).
#[inline(always)]
pub(crate) fn row_sum<A: Float>(x: &[A]) -> f64 {
    if x.len() < W {
        // Short rows: a plain sum (fewer than W terms in [0, 1]).
        return x.iter().fold(A::zero(), |s, &v| s + v).to_f64();
    }
    let mut total = 0.0;
    for block in x.chunks(BLOCK) {
        let mut acc = [A::zero(); W];
        let (chunks, rest) = block.as_chunks::<W>();
        for c in chunks {
            for k in 0..W {
                acc[k] = acc[k] + c[k];
            }
        }
        for (k, &v) in rest.iter().enumerate() {
            acc[k] = acc[k] + v;
        }
        let mut m = W;
        while m > 1 {
            let h = m / 2;
            for k in 0..h {
                acc[k] = acc[k] + acc[k + h];
            }
            m = h;
        }
        total += acc[0].to_f64();
    }
    total
}

/// A streaming accumulator for values that arrive one at a time (the strided
/// fallbacks): they are buffered into blocks and summed exactly as the
/// contiguous paths sum a slice.
pub(crate) struct Stream<A> {
    buf: [A; BLOCK],
    len: usize,
    cascade: Cascade,
}

impl<A: Float> Stream<A> {
    pub(crate) fn new() -> Self {
        Self {
            buf: [A::zero(); BLOCK],
            len: 0,
            cascade: Cascade::new(),
        }
    }

    #[inline]
    pub(crate) fn push(&mut self, v: A) {
        self.buf[self.len] = v;
        self.len += 1;
        if self.len == BLOCK {
            self.cascade.push(block_map_sum(&self.buf, |x| x));
            self.len = 0;
        }
    }

    pub(crate) fn total(mut self) -> f64 {
        if self.len > 0 {
            self.cascade
                .push(block_map_sum(&self.buf[..self.len], |x| x));
        }
        self.cascade.total()
    }
}

/// `Σ f(xᵢ)` over a short slice (one block) with `LANES` accumulators.
///
/// Vectorisation notes, from the generated code: the tail must go to its own accumulator
/// (feeding it into `lanes[k]` makes the SLP vectoriser regroup the lanes into
/// shuffles), and the lanes are reduced by a left fold for the same reason.
#[inline(always)]
fn block_map_sum<A: Float>(xs: &[A], f: impl Fn(A) -> A) -> f64 {
    let mut lanes = [A::zero(); LANES];
    let (chunks, rest) = xs.as_chunks::<LANES>();
    for c in chunks {
        for k in 0..LANES {
            lanes[k] = lanes[k] + f(c[k]);
        }
    }
    let tail = rest.iter().fold(A::zero(), |acc, &x| acc + f(x));
    block_total(reduce_lanes(lanes) + tail, || {
        xs.iter().map(|&x| f(x).to_f64()).sum()
    })
}

/// `dst[i] = f(src[i])` and `Σ dst[i]` over one block.
#[inline(always)]
fn block_map_into_sum<A: Float>(src: &[A], dst: &mut [A], f: impl Fn(A) -> A) -> f64 {
    let mut lanes = [A::zero(); LANES];
    let (sc, sr) = src.as_chunks::<LANES>();
    let (dc, dr) = dst.as_chunks_mut::<LANES>();
    for (s, d) in sc.iter().zip(dc.iter_mut()) {
        for k in 0..LANES {
            let v = f(s[k]);
            d[k] = v;
            lanes[k] = lanes[k] + v;
        }
    }
    let mut tail = A::zero();
    for (&s, d) in sr.iter().zip(dr.iter_mut()) {
        let v = f(s);
        *d = v;
        tail = tail + v;
    }
    block_total(reduce_lanes(lanes) + tail, || {
        dst.iter().map(|&v| Float::to_f64(v)).sum()
    })
}

/// `Σ f(xᵢ)` over a slice of any length: blocks of `LANES` accumulators, block
/// sums combined by the cascade.
#[inline]
pub(crate) fn map_sum<A: Float>(xs: &[A], f: impl Fn(A) -> A + Copy) -> f64 {
    if xs.len() <= BLOCK {
        return block_map_sum(xs, f);
    }
    let mut cascade = Cascade::new();
    for block in xs.chunks(BLOCK) {
        cascade.push(block_map_sum(block, f));
    }
    cascade.total()
}

/// Writes `dst[i] = f(src[i])` and returns `Σ dst[i]`, in one pass.
#[inline]
pub(crate) fn map_into_sum<A: Float>(src: &[A], dst: &mut [A], f: impl Fn(A) -> A + Copy) -> f64 {
    if dst.len() <= BLOCK {
        return block_map_into_sum(src, dst, f);
    }
    let mut cascade = Cascade::new();
    for (s, d) in src.chunks(BLOCK).zip(dst.chunks_mut(BLOCK)) {
        cascade.push(block_map_into_sum(s, d, f));
    }
    cascade.total()
}

/// `Σ f(i)` for `i` in `0..n`, for terms that depend on the index (a class
/// weight, a one-hot target) where a serial `fold` would not vectorise:
/// blocks of [`BLOCK`], each in 64 running sums (one per index of a chunk of
/// 64, as the fused element-wise pass does it; the loop vectorises across
/// them) totalled by the halving tree, the block sums by the cascade.
#[inline(always)]
pub(crate) fn sum_indexed<A: Float>(n: usize, f: impl Fn(usize) -> A + Copy) -> f64 {
    const L: usize = 64;
    let mut cascade = Cascade::new();
    for start in (0..n).step_by(BLOCK) {
        let end = (start + BLOCK).min(n);
        let full = start + (end - start) / L * L;
        let mut acc = [A::zero(); L];
        for i in (start..full).step_by(L) {
            for (j, a) in acc.iter_mut().enumerate() {
                *a = *a + f(i + j);
            }
        }
        let mut rest = [A::zero(); L];
        for (r, i) in rest.iter_mut().zip(full..end) {
            *r = f(i);
        }
        let buf: [A; L] = std::array::from_fn(|j| acc[j] + rest[j]);
        cascade.push(block_total(halving_sum_64(&buf), || {
            (start..end).map(|i| f(i).to_f64()).sum()
        }));
    }
    cascade.total()
}

/// Maximum of a slice; NaN if any element is NaN; `-∞` for an empty slice.
#[inline]
pub(crate) fn max_slice<A: Float>(xs: &[A]) -> A {
    let mut lanes = [A::neg_infinity(); LANES];
    let mut nan = false;
    let (chunks, rest) = xs.as_chunks::<LANES>();
    for c in chunks {
        for k in 0..LANES {
            // `>` and the NaN flag instead of `max`, which drops NaN.
            nan |= c[k].is_nan();
            lanes[k] = if c[k] > lanes[k] { c[k] } else { lanes[k] };
        }
    }
    for (k, &x) in rest.iter().enumerate() {
        nan |= x.is_nan();
        lanes[k] = if x > lanes[k] { x } else { lanes[k] };
    }
    if nan {
        return A::nan();
    }
    lanes
        .iter()
        .fold(A::neg_infinity(), |m, &x| if x > m { x } else { m })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sum_indexed_is_map_sum_of_the_index_terms() {
        // Every chunk and block boundary: each term counted once, in f32
        // lanes whose block sums stay exact on small integers.
        for n in [0_usize, 1, 63, 64, 65, 255, 256, 257, 320, 1000, 5001] {
            let f = |i: usize| ((i * 7919) % 97) as f32;
            let want: f64 = (0..n).map(|i| f64::from(f(i))).sum();
            assert_eq!(sum_indexed(n, f), want, "n = {n}");
        }
        // Overflowing f32 blocks are re-summed in f64; NaN stays NaN.
        assert_eq!(sum_indexed(300, |_| f32::MAX), 300.0 * f64::from(f32::MAX));
        assert!(sum_indexed(300, |i| if i == 299 { f32::NAN } else { 1.0 }).is_nan());
        // Close to the f64 sum on values that do not add exactly.
        let g = |i: usize| 1.0 / (1.0 + i as f32);
        let want: f64 = (0..100_000).map(|i| f64::from(g(i))).sum();
        assert!((sum_indexed(100_000, g) - want).abs() <= 1e-6 * want);
    }

    #[test]
    fn cascade_sums_exactly_on_integers() {
        for n in [0_usize, 1, 7, 8, 255, 256, 257, 1000, 4097] {
            let xs: Vec<f64> = (0..n).map(|i| i as f64).collect();
            let expected = (n * n.saturating_sub(1) / 2) as f64;
            assert_eq!(map_sum(&xs, |x| x), expected, "n = {n}");
            let mut s = Stream::new();
            xs.iter().for_each(|&x| s.push(x));
            assert_eq!(s.total(), expected, "stream n = {n}");
        }
    }

    #[test]
    fn cascade_is_pairwise_in_its_order() {
        // Groups of 2ᵏ pushes, the largest first (the binary digits of the
        // count), each summed as a balanced tree; the total adds the groups
        // from the last (smallest) one on. Bit for bit, with values whose
        // sums round.
        fn tree(v: &[f64]) -> f64 {
            if v.len() == 1 {
                v[0]
            } else {
                let (a, b) = v.split_at(v.len() / 2);
                tree(a) + tree(b)
            }
        }
        for n in 1..=70_usize {
            let xs: Vec<f64> = (0..n)
                .map(|i| 0.1 * i as f64 + 1.0 / (i + 3) as f64)
                .collect();
            let mut c = Cascade::new();
            xs.iter().for_each(|&x| c.push(x));
            let mut groups = Vec::new();
            let mut start = 0;
            for bit in (0..usize::BITS).rev() {
                if n & (1 << bit) != 0 {
                    groups.push(tree(&xs[start..start + (1 << bit)]));
                    start += 1 << bit;
                }
            }
            let expected = groups.iter().rev().fold(0.0, |acc, &g| acc + g);
            assert_eq!(c.total().to_bits(), expected.to_bits(), "n = {n}");
        }
        assert_eq!(Cascade::new().total(), 0.0);
    }

    #[test]
    fn f32_sum_of_16m_is_accurate() {
        // 0.1 is not representable: a naive running f32 sum drifts by ~1e-1
        // relative here; the blocked f64 cascade stays within 1e-6.
        let n = 1 << 24;
        let xs = vec![0.1_f32; n];
        let exact = 0.1_f32 as f64 * n as f64;
        let got = map_sum(&xs, |x| x);
        assert!(((got - exact) / exact).abs() < 1e-6, "{got} vs {exact}");
        let naive: f32 = xs.iter().sum();
        assert!(((naive as f64 - exact) / exact).abs() > 1e-3);
    }

    #[test]
    fn max_propagates_nan_and_handles_empty() {
        assert_eq!(max_slice::<f64>(&[]), f64::NEG_INFINITY);
        assert_eq!(
            max_slice(&[1.0_f32, 5.0, -3.0, 2.0, 0.0, 4.0, 4.5, 1.0, 9.0]),
            9.0
        );
        assert!(max_slice(&[1.0_f32, f32::NAN, 3.0]).is_nan());
        let mut v = vec![0.0_f64; 20];
        v[13] = f64::NAN;
        assert!(max_slice(&v).is_nan());
    }

    #[test]
    fn map_into_sum_writes_and_sums() {
        let src: Vec<f64> = (0..19).map(|i| i as f64).collect();
        let mut dst = vec![0.0; 19];
        let s = map_into_sum(&src, &mut dst, |x| 2.0 * x);
        assert_eq!(s, 342.0);
        assert_eq!(dst[18], 36.0);
    }
}
