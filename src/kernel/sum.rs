//! Accurate, vectorisable summation.
//!
//! Values are summed in blocks of [`BLOCK`] with [`LANES`] independent
//! accumulators (so the compiler can keep them in SIMD registers), and block
//! sums are combined pairwise by a binary-counter cascade. The rounding error
//! grows like `(BLOCK / LANES + log₂(n / BLOCK))·ε` instead of `n·ε`: an `f32`
//! mean over 16M elements stays close to the `f64` result.

use crate::float::Float;

/// Independent accumulators per block.
pub(crate) const LANES: usize = 8;
/// Elements per block; block sums enter the pairwise cascade.
pub(crate) const BLOCK: usize = 256;

/// Pairwise combination of block sums: level `k` holds the sum of `2ᵏ` blocks.
#[derive(Clone, Copy)]
pub(crate) struct Cascade<A> {
    levels: [A; 64],
    count: u64,
}

impl<A: Float> Cascade<A> {
    pub(crate) fn new() -> Self {
        Self {
            levels: [A::zero(); 64],
            count: 0,
        }
    }

    /// Adds the sum of one block.
    #[inline]
    pub(crate) fn push(&mut self, block_sum: A) {
        let mut carry = block_sum;
        let mut level = 0;
        while self.count & (1 << level) != 0 {
            carry = self.levels[level] + carry;
            level += 1;
        }
        self.levels[level] = carry;
        self.count += 1;
    }

    /// The total of everything pushed.
    pub(crate) fn total(&self) -> A {
        let mut total = A::zero();
        for (level, &v) in self.levels.iter().enumerate() {
            if self.count & (1 << level) != 0 {
                total = total + v;
            }
        }
        total
    }
}

/// Sums the lanes pairwise.
#[inline(always)]
pub(crate) fn reduce_lanes<A: Float>(l: [A; LANES]) -> A {
    ((l[0] + l[4]) + (l[2] + l[6])) + ((l[1] + l[5]) + (l[3] + l[7]))
}

/// A streaming accumulator for values that arrive one at a time (the strided
/// fallbacks): they are buffered into blocks and summed exactly as the
/// contiguous paths sum a slice.
pub(crate) struct Stream<A> {
    buf: [A; BLOCK],
    len: usize,
    cascade: Cascade<A>,
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
            self.cascade.push(sum_slice(&self.buf));
            self.len = 0;
        }
    }

    pub(crate) fn total(mut self) -> A {
        if self.len > 0 {
            self.cascade.push(sum_slice(&self.buf[..self.len]));
        }
        self.cascade.total()
    }
}

/// Sums a slice with `LANES` accumulators (vectorises; the compiler may not
/// reorder a single running float sum).
#[inline]
pub(crate) fn sum_slice<A: Float>(xs: &[A]) -> A {
    let mut lanes = [A::zero(); LANES];
    let (chunks, rest) = xs.as_chunks::<LANES>();
    for c in chunks {
        for k in 0..LANES {
            lanes[k] = lanes[k] + c[k];
        }
    }
    for (k, &x) in rest.iter().enumerate() {
        lanes[k] = lanes[k] + x;
    }
    reduce_lanes(lanes)
}

/// `dst[i] = f(src[i])`: a plain zipped loop, which the loop vectoriser
/// handles (fusing the map with a lane-sum defeats it).
#[inline(always)]
pub(crate) fn map_into<A: Float>(src: &[A], dst: &mut [A], f: impl Fn(A) -> A) {
    for (d, &s) in dst.iter_mut().zip(src) {
        *d = f(s);
    }
}

/// `Σ f(xᵢ)` over a slice of any length: each block is mapped into a stack
/// buffer, lane-summed, and the block sums enter the cascade.
#[inline]
pub(crate) fn map_sum<A: Float>(xs: &[A], f: impl Fn(A) -> A + Copy) -> A {
    let mut buf = [A::zero(); BLOCK];
    if xs.len() <= BLOCK {
        let buf = &mut buf[..xs.len()];
        map_into(xs, buf, f);
        return sum_slice(buf);
    }
    let mut cascade = Cascade::new();
    for block in xs.chunks(BLOCK) {
        let buf = &mut buf[..block.len()];
        map_into(block, buf, f);
        cascade.push(sum_slice(buf));
    }
    cascade.total()
}

/// Writes `dst[i] = f(src[i])` and returns `Σ dst[i]`.
#[inline]
pub(crate) fn map_into_sum<A: Float>(src: &[A], dst: &mut [A], f: impl Fn(A) -> A) -> A {
    map_into(src, dst, f);
    if dst.len() <= BLOCK {
        return sum_slice(dst);
    }
    let mut cascade = Cascade::new();
    for block in dst.chunks(BLOCK) {
        cascade.push(sum_slice(block));
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
    fn f32_sum_of_16m_is_accurate() {
        // 0.1 is not representable: a naive running f32 sum drifts by ~1e-1
        // relative here; the blocked cascade stays within 1e-6.
        let n = 1 << 24;
        let xs = vec![0.1_f32; n];
        let exact = 0.1_f32 as f64 * n as f64;
        let got = map_sum(&xs, |x| x) as f64;
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
