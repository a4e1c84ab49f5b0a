//! AVX-512 building blocks for kernels whose speed depends on the exact
//! instruction sequence: [`F32x16`], sixteen `f32` lanes in one register
//! with the arithmetic, masks and math (`exp`, `ln`) a kernel needs, and
//! moving a block of rows into lanes and back (a 16 × 16 transpose by lane
//! shuffles, with masked loads and stores for ragged edges).
//!
//! With rows in lanes, per-row reductions (a softmax's maximum and sum)
//! become element-wise operations between whole vectors. Plain Rust over
//! `[f32; 16]` arrays is at the mercy of the compiler's SLP vectoriser,
//! which split such code into 1 + 1 + 2 + 4 + 8-lane pieces with
//! store-forwarding stalls between them (BENCHMARKS.md, "Design
//! measurements"); written with [`F32x16`], each operation is one instruction.
//!
//! Every [`F32x16`] is made from the [`Avx512`] token, which only exists on a
//! CPU with the features, or from other values; every function checks its
//! slice bounds. So each is safe to call. This module and [`super::simd`]
//! hold the crate's only `unsafe`.

#![allow(unsafe_code)]
#![warn(clippy::undocumented_unsafe_blocks)]

use std::arch::x86_64::{
    __m512, __m512i, _mm256_castpd_ps, _mm512_add_pd, _mm512_add_ps, _mm512_castpd_ps,
    _mm512_castps512_ps256, _mm512_castps_pd, _mm512_castps_si512, _mm512_castsi256_si512,
    _mm512_castsi512_ps, _mm512_cmp_ps_mask, _mm512_cmpeq_epi32_mask, _mm512_cmpneq_epi64_mask,
    _mm512_cvtepi32_ps, _mm512_cvtepi64_epi32, _mm512_cvtps_pd, _mm512_div_ps,
    _mm512_extractf64x4_pd, _mm512_fmadd_ps, _mm512_fnmadd_ps, _mm512_inserti64x4,
    _mm512_mask_blend_epi32, _mm512_mask_blend_ps, _mm512_mask_storeu_ps, _mm512_mask_sub_ps,
    _mm512_maskz_loadu_epi64, _mm512_maskz_loadu_ps, _mm512_maskz_mov_ps, _mm512_maskz_mul_ps,
    _mm512_max_ps, _mm512_mul_ps, _mm512_reduce_add_pd, _mm512_scalef_ps, _mm512_set1_epi32,
    _mm512_set1_epi64, _mm512_set1_ps, _mm512_setzero_ps, _mm512_shuffle_f32x4, _mm512_slli_epi32,
    _mm512_srai_epi32, _mm512_sub_epi32, _mm512_sub_ps, _mm512_unpackhi_pd, _mm512_unpackhi_ps,
    _mm512_unpacklo_pd, _mm512_unpacklo_ps, _CMP_EQ_OQ, _CMP_GE_OQ, _CMP_LT_OQ,
};
use std::ops::{Add, BitAnd, Div, Mul, Sub};

use super::simd::Avx512;
use crate::float::{EXP_F32, EXP_FTZ_MAGIC_F32, LN2_F32, LN_P, SQRT_HALF_BITS_F32};

/// SIMD lanes of an f32 vector: the rows of one block.
pub(crate) const LANES: usize = 16;

/// Sixteen `f32` lanes in one AVX-512 register.
///
/// A value exists only on a CPU with AVX-512 F/BW/DQ/VL: the constructors
/// take the [`Avx512`] token and every operation makes its result from
/// values that exist. Each method is `#[inline(always)]`: used inside a
/// kernel's `run_avx512` (under `simd::dispatch`), it is one instruction of
/// a function compiled for AVX-512.
#[derive(Clone, Copy)]
pub(crate) struct F32x16(__m512);

/// Sixteen `i32` lanes (class indices; bit patterns of an [`F32x16`]), made
/// only from the token or from other vectors, as [`F32x16`].
#[derive(Clone, Copy)]
pub(crate) struct I32x16(__m512i);

/// One bit per lane: the result of a comparison, and which lanes an
/// operation touches.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct Mask16(pub(crate) u16);

// The `unsafe` blocks of the vector types: each intrinsic only computes on
// registers, and it runs on a CPU with AVX-512 F/BW/DQ/VL because an
// `F32x16` or `I32x16` (an argument, or `self`) or an `Avx512` token exists,
// and none exists on any other CPU.

impl F32x16 {
    /// Every lane `x`.
    #[inline(always)]
    pub(crate) fn splat(_: Avx512, x: f32) -> Self {
        // SAFETY: register arithmetic; the operands (or the token) prove AVX-512.
        Self(unsafe { _mm512_set1_ps(x) })
    }

    /// Every lane `x`, on the CPU `self` proves.
    #[inline(always)]
    fn k(self, x: f32) -> Self {
        // SAFETY: register arithmetic; the operands (or the token) prove AVX-512.
        Self(unsafe { _mm512_set1_ps(x) })
    }

    /// `self·b + c`, rounded once.
    #[inline(always)]
    pub(crate) fn mul_add(self, b: Self, c: Self) -> Self {
        // SAFETY: register arithmetic; the operands (or the token) prove AVX-512.
        Self(unsafe { _mm512_fmadd_ps(self.0, b.0, c.0) })
    }

    /// `c − self·b`, rounded once.
    #[inline(always)]
    fn neg_mul_add(self, b: Self, c: Self) -> Self {
        // SAFETY: register arithmetic; the operands (or the token) prove AVX-512.
        Self(unsafe { _mm512_fnmadd_ps(self.0, b.0, c.0) })
    }

    /// Per lane `if v > self { v } else { self }`: the maximum, skipping a
    /// NaN `v` (the scalar kernels' rule; one instruction).
    #[inline(always)]
    pub(crate) fn max_with(self, v: Self) -> Self {
        // x86 `max(a, b)` is `a > b ? a : b`.
        // SAFETY: register arithmetic; the operands (or the token) prove AVX-512.
        Self(unsafe { _mm512_max_ps(v.0, self.0) })
    }

    /// Lanes where `self < o` (false for NaN).
    #[inline(always)]
    pub(crate) fn lt(self, o: Self) -> Mask16 {
        // SAFETY: register arithmetic; the operands (or the token) prove AVX-512.
        Mask16(unsafe { _mm512_cmp_ps_mask::<_CMP_LT_OQ>(self.0, o.0) })
    }

    /// Lanes where `self == o` (false for NaN).
    #[inline(always)]
    fn eq(self, o: Self) -> Mask16 {
        // SAFETY: register arithmetic; the operands (or the token) prove AVX-512.
        Mask16(unsafe { _mm512_cmp_ps_mask::<_CMP_EQ_OQ>(self.0, o.0) })
    }

    /// Lanes where `self >= o` (false for NaN).
    #[inline(always)]
    fn ge(self, o: Self) -> Mask16 {
        // SAFETY: register arithmetic; the operands (or the token) prove AVX-512.
        Mask16(unsafe { _mm512_cmp_ps_mask::<_CMP_GE_OQ>(self.0, o.0) })
    }

    /// Per lane `if mask { a } else { b }`.
    #[inline(always)]
    pub(crate) fn select(mask: Mask16, a: Self, b: Self) -> Self {
        // SAFETY: register arithmetic; the operands (or the token) prove AVX-512.
        Self(unsafe { _mm512_mask_blend_ps(mask.0, b.0, a.0) })
    }

    /// `self` in the lanes of `mask`, 0 elsewhere.
    #[inline(always)]
    pub(crate) fn zero_unless(self, mask: Mask16) -> Self {
        // SAFETY: register arithmetic; the operands (or the token) prove AVX-512.
        Self(unsafe { _mm512_maskz_mov_ps(mask.0, self.0) })
    }

    /// `self − b` in the lanes of `mask`, `self` elsewhere.
    #[inline(always)]
    pub(crate) fn sub_where(self, mask: Mask16, b: Self) -> Self {
        // SAFETY: register arithmetic; the operands (or the token) prove AVX-512.
        Self(unsafe { _mm512_mask_sub_ps(self.0, mask.0, self.0, b.0) })
    }

    /// The sum of the lanes of `mask`, in `f64`.
    #[inline(always)]
    pub(crate) fn sum_f64_where(self, mask: Mask16) -> f64 {
        let v = self.zero_unless(mask).0;
        // SAFETY: register arithmetic; the operands (or the token) prove AVX-512.
        unsafe {
            let lo = _mm512_cvtps_pd(_mm512_castps512_ps256(v));
            let hi = _mm512_extractf64x4_pd::<1>(_mm512_castps_pd(v));
            let hi = _mm512_cvtps_pd(_mm256_castpd_ps(hi));
            _mm512_reduce_add_pd(_mm512_add_pd(lo, hi))
        }
    }

    /// The lanes' bits.
    #[inline(always)]
    fn to_bits(self) -> I32x16 {
        // SAFETY: register arithmetic; the operands (or the token) prove AVX-512.
        I32x16(unsafe { _mm512_castps_si512(self.0) })
    }

    /// `eˣ` per lane for `x ≤ 0` (and NaN), results below
    /// `f32::MIN_POSITIVE` subnormal as in `std` (and PyTorch), `e^{−∞} = 0`.
    ///
    /// Where the result is normal these are the operations of
    /// `f32::exp_nonpos_ftz::<true>`, so the same bits; the power of two is
    /// applied by one `vscalefps`, which rounds a subnormal product once and
    /// needs neither the shift, the multiply nor the flush-to-zero select
    /// (two instructions fewer per vector than the scalar scheme).
    #[inline(always)]
    pub(crate) fn exp_nonpos(self) -> Self {
        // Below −104 every result rounds to 0; the clamp keeps NaN.
        let x = self.at_least(self.k(-104.0));
        let t = x.mul_add(x.k(std::f32::consts::LOG2_E), x.k(EXP_FTZ_MAGIC_F32));
        let nf = t - x.k(EXP_FTZ_MAGIC_F32);
        let r = nf.neg_mul_add(x.k(LN2_F32.0), x);
        let r = nf.neg_mul_add(x.k(LN2_F32.1), r);
        let mut p = x.k(EXP_F32[EXP_F32.len() - 1]);
        for &c in EXP_F32[..EXP_F32.len() - 1].iter().rev() {
            p = p.mul_add(r, x.k(c));
        }
        // SAFETY: register arithmetic; the operands (or the token) prove AVX-512.
        Self(unsafe { _mm512_scalef_ps(p.0, nf.0) })
    }

    /// Per lane `if self > lo { self } else { lo }`, NaN kept: `max(self, lo)`.
    #[inline(always)]
    fn at_least(self, lo: Self) -> Self {
        // x86 `max(a, b)` is `a > b ? a : b`: a NaN `self` is returned.
        // SAFETY: register arithmetic; the operands (or the token) prove AVX-512.
        Self(unsafe { _mm512_max_ps(lo.0, self.0) })
    }

    /// `self·b` in the lanes of `mask`, 0 elsewhere (one instruction).
    #[inline(always)]
    pub(crate) fn mul_zero_unless(self, b: Self, mask: Mask16) -> Self {
        // SAFETY: register arithmetic; the operands (or the token) prove AVX-512.
        Self(unsafe { _mm512_maskz_mul_ps(mask.0, self.0, b.0) })
    }

    /// `ln x` per lane: the same operations as `f32::ln_k::<true>`, so the
    /// same bits (subnormals, 0, ∞, negative and NaN inputs included).
    #[inline(always)]
    pub(crate) fn ln(self) -> Self {
        let x = self;
        let sub = x.lt(x.k(f32::MIN_POSITIVE));
        let xs = Self::select(sub, x * x.k(8_388_608.0), x);
        let bits = xs.to_bits();
        let e = (bits - bits.k(SQRT_HALF_BITS_F32)).shr_arith::<23>();
        let m = (bits - e.shl::<23>()).to_float_bits();
        let e = I32x16::select(sub, e - e.k(23), e).to_float();
        // ln(1 + f) + e·ln 2 with fused multiply-adds, as `ln_k::<true>`
        // (`float::LN_P`: pairs, then Horner's rule in f²).
        let f = m - x.k(1.0);
        let z = f * f;
        let c = |j: usize| x.k(LN_P[j]);
        let pair = |k: usize| c(2 * k + 1).mul_add(f, c(2 * k));
        let p = c(8).mul_add(z, pair(3)).mul_add(z, pair(2));
        let p = p.mul_add(z, pair(1)).mul_add(z, pair(0));
        let s = z.mul_add(f.mul_add(p, x.k(-0.5)), f);
        let r = e.mul_add(x.k(LN2_F32.0), e.mul_add(x.k(LN2_F32.1), s));
        // The special cases, as `finish_ln`.
        let r = Self::select(x.eq(x.k(0.0)), x.k(f32::NEG_INFINITY), r);
        let r = Self::select(x.eq(x.k(f32::INFINITY)), x, r);
        Self::select(x.ge(x.k(0.0)), r, x.k(f32::NAN))
    }

    /// The lanes as an array (for tests).
    #[cfg(test)]
    pub(crate) fn to_array(self) -> [f32; LANES] {
        let mut out = [0.0; LANES];
        // SAFETY: `self` proves AVX-512; `out` is 16 writable f32.
        unsafe { std::arch::x86_64::_mm512_storeu_ps(out.as_mut_ptr(), self.0) };
        out
    }

    /// Lanes from an array (for tests).
    #[cfg(test)]
    pub(crate) fn from_array(_: Avx512, a: [f32; LANES]) -> Self {
        // SAFETY: the token proves AVX-512; `a` is 16 readable f32.
        Self(unsafe { std::arch::x86_64::_mm512_loadu_ps(a.as_ptr()) })
    }
}

macro_rules! f32x16_op {
    ($($trait:ident $method:ident $intrinsic:ident),*) => {$(
        impl $trait for F32x16 {
            type Output = Self;
            #[inline(always)]
            fn $method(self, o: Self) -> Self {
                // SAFETY: register arithmetic; the operands (or the token) prove AVX-512.
                Self(unsafe { $intrinsic(self.0, o.0) })
            }
        }
    )*};
}
f32x16_op!(Add add _mm512_add_ps, Sub sub _mm512_sub_ps, Mul mul _mm512_mul_ps, Div div _mm512_div_ps);

impl I32x16 {
    /// Every lane `x`, on the CPU `self` proves.
    #[inline(always)]
    fn k(self, x: i32) -> Self {
        // SAFETY: register arithmetic; the operands (or the token) prove AVX-512.
        Self(unsafe { _mm512_set1_epi32(x) })
    }

    /// Lanes equal to `c`.
    #[inline(always)]
    pub(crate) fn eq_splat(self, c: i32) -> Mask16 {
        // SAFETY: register arithmetic; the operands (or the token) prove AVX-512.
        Mask16(unsafe { _mm512_cmpeq_epi32_mask(self.0, _mm512_set1_epi32(c)) })
    }

    /// Per lane `if mask { a } else { b }`.
    #[inline(always)]
    fn select(mask: Mask16, a: Self, b: Self) -> Self {
        // SAFETY: register arithmetic; the operands (or the token) prove AVX-512.
        Self(unsafe { _mm512_mask_blend_epi32(mask.0, b.0, a.0) })
    }

    /// Each lane shifted left by `N` bits.
    #[inline(always)]
    fn shl<const N: u32>(self) -> Self {
        // SAFETY: register arithmetic; the operands (or the token) prove AVX-512.
        Self(unsafe { _mm512_slli_epi32::<N>(self.0) })
    }

    /// Each lane shifted right by `N` bits, keeping the sign.
    #[inline(always)]
    fn shr_arith<const N: u32>(self) -> Self {
        // SAFETY: register arithmetic; the operands (or the token) prove AVX-512.
        Self(unsafe { _mm512_srai_epi32::<N>(self.0) })
    }

    /// The lanes as numbers, rounded to `f32`.
    #[inline(always)]
    fn to_float(self) -> F32x16 {
        // SAFETY: register arithmetic; the operands (or the token) prove AVX-512.
        F32x16(unsafe { _mm512_cvtepi32_ps(self.0) })
    }

    /// The lanes' bits as `f32` lanes.
    #[inline(always)]
    fn to_float_bits(self) -> F32x16 {
        // SAFETY: register arithmetic; the operands (or the token) prove AVX-512.
        F32x16(unsafe { _mm512_castsi512_ps(self.0) })
    }
}

impl Sub for I32x16 {
    type Output = Self;
    /// Wrapping subtraction per lane.
    #[inline(always)]
    fn sub(self, o: Self) -> Self {
        // SAFETY: register arithmetic; the operands (or the token) prove AVX-512.
        Self(unsafe { _mm512_sub_epi32(self.0, o.0) })
    }
}

impl BitAnd for Mask16 {
    type Output = Self;
    #[inline(always)]
    fn bitand(self, o: Self) -> Self {
        Self(self.0 & o.0)
    }
}

/// Up to 16 class indices, one per lane, with the lanes that count: those
/// of `ys` (lane `l` is `ys[l]`) whose index is not `ignore`. Indices are
/// kept modulo 2³² (the kernels compare them with class numbers below
/// 2³¹, and validated targets of counted lanes are class numbers).
///
/// # Panics
///
/// If `ys` has more than 16 entries (a bug in the caller).
#[inline(always)]
pub(crate) fn load_targets(_: Avx512, ys: &[usize], ignore: Option<usize>) -> (I32x16, Mask16) {
    assert!(ys.len() <= LANES);
    let n = ys.len();
    let (m_lo, m_hi) = (first(n.min(8)) as u8, first(n.saturating_sub(8)) as u8);
    // SAFETY: the token proves AVX-512. The masked loads read lanes `0..n`
    // of `ys` only (`usize` is 64 bits on x86-64; a masked-off lane is not
    // accessed, so the second pointer may be past the end); the rest is
    // register arithmetic.
    unsafe {
        let p = ys.as_ptr().cast::<i64>();
        let lo = _mm512_maskz_loadu_epi64(m_lo, p);
        let hi = _mm512_maskz_loadu_epi64(m_hi, p.wrapping_add(8));
        let (mut a_lo, mut a_hi) = (m_lo, m_hi);
        if let Some(i) = ignore {
            let i = _mm512_set1_epi64(i as i64);
            a_lo &= _mm512_cmpneq_epi64_mask(lo, i);
            a_hi &= _mm512_cmpneq_epi64_mask(hi, i);
        }
        let y = _mm512_inserti64x4::<1>(
            _mm512_castsi256_si512(_mm512_cvtepi64_epi32(lo)),
            _mm512_cvtepi64_epi32(hi),
        );
        (I32x16(y), Mask16(u16::from(a_lo) | (u16::from(a_hi) << 8)))
    }
}

/// The mask of the first `n ≤ 16` lanes.
#[inline(always)]
fn first(n: usize) -> u16 {
    ((1u32 << n) - 1) as u16
}

/// Reads rows `0..rows` of a row-major matrix with row stride `stride`,
/// columns `0..cols`: vector `c`, lane `r` is `x[r·stride + c]`; every other
/// lane is 0.
///
/// # Panics
///
/// If `rows > 16`, `cols > 16`, or a row read would leave `x` (a bug in the
/// caller: the kernels pass whole blocks of their validated input).
#[inline(always)]
pub(crate) fn load_transposed(
    _: Avx512,
    x: &[f32],
    stride: usize,
    rows: usize,
    cols: usize,
) -> [F32x16; LANES] {
    assert!(rows <= LANES && cols <= LANES);
    assert!(rows_fit(rows, stride, cols, x.len()));
    let mask = first(cols);
    // SAFETY: the token proves the CPU has AVX-512F. Lanes `0..cols` of row
    // `i` are `x[i·stride ..][..cols]`, inside `x` (asserted); masked-off
    // lanes are not read.
    unsafe {
        // All 16 rows, those ≥ rows with an empty mask at row 0: a fixed
        // loop, so the vectors stay in registers (whole blocks without the
        // per-row choice).
        let mut r = [_mm512_setzero_ps(); LANES];
        if rows == LANES {
            for (i, v) in r.iter_mut().enumerate() {
                *v = _mm512_maskz_loadu_ps(mask, x.as_ptr().add(i * stride));
            }
        } else {
            for (i, v) in r.iter_mut().enumerate() {
                let (m, at) = if i < rows { (mask, i * stride) } else { (0, 0) };
                *v = _mm512_maskz_loadu_ps(m, x.as_ptr().add(at));
            }
        }
        let t = transpose(r);
        let mut out = [F32x16(_mm512_setzero_ps()); LANES];
        for (o, v) in out.iter_mut().zip(t) {
            *o = F32x16(v);
        }
        out
    }
}

/// Writes lane `r` of vector `c` to `g[r·stride + c]` for rows `0..rows`,
/// columns `0..cols`; nothing else of `g` is touched.
///
/// # Panics
///
/// As [`load_transposed`], for writes.
#[inline(always)]
pub(crate) fn store_transposed(
    block: &[F32x16; LANES],
    g: &mut [f32],
    stride: usize,
    rows: usize,
    cols: usize,
) {
    assert!(rows <= LANES && cols <= LANES);
    assert!(rows_fit(rows, stride, cols, g.len()));
    let mask = first(cols);
    // SAFETY: the vectors prove the CPU has AVX-512F. Lanes `0..cols` of
    // row `i` are `g[i·stride ..][..cols]`, inside `g` (asserted);
    // masked-off lanes are not written.
    unsafe {
        let mut c = [_mm512_setzero_ps(); LANES];
        for (c, v) in c.iter_mut().zip(block) {
            *c = v.0;
        }
        let t = transpose(c);
        if rows == LANES {
            for (i, v) in t.into_iter().enumerate() {
                _mm512_mask_storeu_ps(g.as_mut_ptr().add(i * stride), mask, v);
            }
        } else {
            for (i, v) in t.into_iter().enumerate() {
                let (m, at) = if i < rows { (mask, i * stride) } else { (0, 0) };
                _mm512_mask_storeu_ps(g.as_mut_ptr().add(at), m, v);
            }
        }
    }
}

/// Whether `rows` rows of `cols` elements, `stride` apart, lie within a
/// slice of `len` elements: `(rows − 1)·stride + cols ≤ len`, in checked
/// arithmetic (a huge stride must fail the check, not wrap around it).
#[inline(always)]
fn rows_fit(rows: usize, stride: usize, cols: usize, len: usize) -> bool {
    rows == 0
        || (rows - 1)
            .checked_mul(stride)
            .and_then(|start| start.checked_add(cols))
            .is_some_and(|end| end <= len)
}

/// Lanes of `x` and `y` interleaved in pairs (as `f64`), low halves of
/// each quarter.
///
/// # Safety
///
/// The CPU must support AVX-512F: call it only where an [`Avx512`] token
/// or an [`F32x16`] (made only with a token) is in hand.
#[inline(always)]
unsafe fn lo(x: __m512, y: __m512) -> __m512 {
    _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(x), _mm512_castps_pd(y)))
}

/// As [`lo`], high halves.
///
/// # Safety
///
/// As [`lo`].
#[inline(always)]
unsafe fn hi(x: __m512, y: __m512) -> __m512 {
    _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(x), _mm512_castps_pd(y)))
}

/// `out[c]` lane `r` = `v[r]` lane `c`: 64 shuffles in four rounds.
///
/// # Safety
///
/// As [`lo`].
#[inline(always)]
unsafe fn transpose(v: [__m512; LANES]) -> [__m512; LANES] {
    // 1. Interleave rows in pairs, within each 128-bit quarter Q (columns
    //    4Q..4Q+3): a[2i] = (v2i[4Q], v2i+1[4Q], v2i[4Q+1], v2i+1[4Q+1]),
    //    a[2i+1] the same for columns 4Q+2, 4Q+3.
    let mut a = [_mm512_setzero_ps(); LANES];
    for i in 0..LANES / 2 {
        a[2 * i] = _mm512_unpacklo_ps(v[2 * i], v[2 * i + 1]);
        a[2 * i + 1] = _mm512_unpackhi_ps(v[2 * i], v[2 * i + 1]);
    }
    // 2. Interleave pairs of pairs (as f64): b[4q + k], quarter Q, holds
    //    column 4Q + k of rows 4q..4q+3.
    let mut b = [_mm512_setzero_ps(); LANES];
    for q in 0..LANES / 4 {
        let (a0, a1, a2, a3) = (a[4 * q], a[4 * q + 1], a[4 * q + 2], a[4 * q + 3]);
        b[4 * q] = lo(a0, a2);
        b[4 * q + 1] = hi(a0, a2);
        b[4 * q + 2] = lo(a1, a3);
        b[4 * q + 3] = hi(a1, a3);
    }
    // 3–4. For each k, a 4 × 4 transpose of quarters among b[k], b[4+k],
    //    b[8+k], b[12+k]: column 4Q + k gets quarter Q of each, in order.
    let mut out = [_mm512_setzero_ps(); LANES];
    for k in 0..4 {
        let (b0, b1, b2, b3) = (b[k], b[4 + k], b[8 + k], b[12 + k]);
        let c0 = _mm512_shuffle_f32x4::<0x44>(b0, b1); // b0.Q0 b0.Q1 b1.Q0 b1.Q1
        let c1 = _mm512_shuffle_f32x4::<0xEE>(b0, b1); // b0.Q2 b0.Q3 b1.Q2 b1.Q3
        let c2 = _mm512_shuffle_f32x4::<0x44>(b2, b3);
        let c3 = _mm512_shuffle_f32x4::<0xEE>(b2, b3);
        out[k] = _mm512_shuffle_f32x4::<0x88>(c0, c2); // quarter 0 of each
        out[4 + k] = _mm512_shuffle_f32x4::<0xDD>(c0, c2); // quarter 1
        out[8 + k] = _mm512_shuffle_f32x4::<0x88>(c1, c3); // quarter 2
        out[12 + k] = _mm512_shuffle_f32x4::<0xDD>(c1, c3); // quarter 3
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::float::FloatKernels;

    fn token() -> Option<Avx512> {
        super::super::simd::avx512_token()
    }

    #[test]
    fn row_bounds_are_checked_without_overflow() {
        assert!(rows_fit(0, usize::MAX, 16, 0));
        assert!(rows_fit(1, usize::MAX, 16, 16));
        assert!(rows_fit(16, 20, 16, 15 * 20 + 16));
        assert!(!rows_fit(16, 20, 16, 15 * 20 + 15));
        // (rows − 1)·stride wraps in release arithmetic: must fail, not pass.
        assert!(!rows_fit(2, usize::MAX, 16, 64));
        assert!(!rows_fit(16, usize::MAX / 8, 16, 64));
        assert!(!rows_fit(2, usize::MAX - 3, 8, usize::MAX));
    }

    #[test]
    fn load_and_store_transpose_every_ragged_block() {
        let Some(t) = token() else { return };
        let stride = 19;
        let x: Vec<f32> = (0..16 * stride).map(|i| i as f32 + 0.5).collect();
        for rows in 0..=16 {
            for cols in 0..=16 {
                let block = load_transposed(t, &x, stride, rows, cols);
                for (c, col) in block.iter().enumerate() {
                    for (r, &v) in col.to_array().iter().enumerate() {
                        let want = if r < rows && c < cols {
                            x[r * stride + c]
                        } else {
                            0.0
                        };
                        assert_eq!(v, want, "rows {rows} cols {cols} at [{c}][{r}]");
                    }
                }
                let mut g = vec![-1.0_f32; x.len()];
                store_transposed(&block, &mut g, stride, rows, cols);
                for (i, &v) in g.iter().enumerate() {
                    let (r, c) = (i / stride, i % stride);
                    let want = if r < rows && c < cols { x[i] } else { -1.0 };
                    assert_eq!(v, want, "rows {rows} cols {cols} at {i}");
                }
            }
        }
    }

    /// Every 4093rd `f32` bit pattern (both signs, subnormals, ∞ and NaNs
    /// included) plus the edge values, through `f` 16 at a time, each lane
    /// compared with `scalar` (where it says), bit for bit (any NaN matches
    /// any NaN).
    fn same_bits(t: Avx512, f: fn(F32x16) -> F32x16, scalar: fn(f32) -> Option<f32>) -> usize {
        let edges = [
            0.0,
            -0.0,
            f32::MIN_POSITIVE,
            f32::MAX,
            f32::INFINITY,
            f32::NEG_INFINITY,
            f32::NAN,
            <f32 as FloatKernels>::FTZ_MIN,
            -87.336_55,
            1.0,
            -1.0,
            64.0,
        ];
        let all: Vec<f32> = edges
            .into_iter()
            .chain((0..=u32::MAX / 4093).map(|i| f32::from_bits(i * 4093)))
            .collect();
        let (chunks, _) = all.as_chunks::<LANES>();
        for xs in chunks {
            let got = f(F32x16::from_array(t, *xs)).to_array();
            for (&x, g) in xs.iter().zip(got) {
                let Some(want) = scalar(x) else { continue };
                assert!(
                    g.to_bits() == want.to_bits() || (g.is_nan() && want.is_nan()),
                    "at {x:e}: {g:e} vs {want:e}"
                );
            }
        }
        chunks.len() * LANES
    }

    #[test]
    fn exp_nonpos_is_the_scalar_function_where_normal_and_std_below() {
        let Some(t) = token() else { return };
        // Its domain x ≤ 0: positive inputs are negated. Where the result
        // is normal, exactly `exp_nonpos_ftz`; below, within a subnormal's
        // last bit of `std` (checked densely next).
        let n = same_bits(
            t,
            |x| F32x16::select(x.lt(x.k(0.0)), x, x.k(0.0) - x).exp_nonpos(),
            |x| {
                let x = if x < 0.0 { x } else { 0.0 - x };
                let ftz = x.exp_nonpos_ftz::<true>();
                (ftz >= f32::MIN_POSITIVE || x.is_nan()).then_some(ftz)
            },
        );
        assert!(n > 1_000_000);
        // The subnormal range, densely (a step of 8.5e-5 in x).
        let xs: Vec<f32> = (0..=200_000)
            .map(|i| -87.0 - 17.0 * i as f32 / 200_000.0)
            .collect();
        for c in xs.as_chunks::<LANES>().0 {
            let got = F32x16::from_array(t, *c).exp_nonpos().to_array();
            for (&x, g) in c.iter().zip(got) {
                let want = f64::from(x).exp();
                let ulp = if want < f64::from(f32::MIN_POSITIVE) {
                    f64::from(f32::from_bits(1)) // a subnormal's last bit
                } else {
                    want * f64::from(f32::EPSILON)
                };
                assert!(
                    (f64::from(g) - want).abs() <= 1.0 * ulp,
                    "exp({x:e}) = {g:e}, want {want:e}"
                );
            }
        }
        let special = [f32::NEG_INFINITY, f32::NAN, -0.0, -1000.0];
        let mut a = [0.0; LANES];
        a[..4].copy_from_slice(&special);
        let e = F32x16::from_array(t, a).exp_nonpos().to_array();
        assert_eq!(e[0], 0.0);
        assert!(e[1].is_nan());
        assert_eq!((e[2], e[3], e[4]), (1.0, 0.0, 1.0));
    }

    #[test]
    fn ln_is_the_scalar_function_bit_for_bit() {
        let Some(t) = token() else { return };
        let n = same_bits(t, F32x16::ln, |x| Some(x.ln_k::<true>()));
        assert!(n > 1_000_000);
    }

    #[test]
    fn lane_operations() {
        let Some(t) = token() else { return };
        let a = F32x16::from_array(t, std::array::from_fn(|l| l as f32 - 4.0));
        let b = F32x16::from_array(t, std::array::from_fn(|l| 2.0 * (l % 3) as f32));
        let nan = F32x16::splat(t, f32::NAN);
        // max_with: the larger; a NaN argument is skipped, a NaN self kept
        let m = a.max_with(b).to_array();
        assert_eq!(m[0], 0.0);
        assert_eq!(m[7], 3.0);
        assert_eq!(m[14], 10.0);
        assert_eq!(a.max_with(nan).to_array(), a.to_array());
        assert!(nan.max_with(a).to_array().iter().all(|v| v.is_nan()));
        let lt = a.lt(b);
        assert_eq!(lt, Mask16(0b0000_0000_0011_1111)); // l − 4 < 2·(l mod 3) for l < 6
        let s = F32x16::select(lt, a, b).to_array();
        assert_eq!((s[0], s[5], s[6], s[7], s[8]), (-4.0, 1.0, 0.0, 2.0, 4.0));
        assert_eq!(
            a.zero_unless(Mask16(0b10)).to_array()[..3],
            [0.0, -3.0, 0.0]
        );
        assert_eq!(
            a.sub_where(Mask16(0b100), b).to_array()[..3],
            [-4.0, -3.0, -6.0]
        );
        assert_eq!(a.sum_f64_where(Mask16(u16::MAX)), 56.0);
        assert_eq!(
            a.sum_f64_where(Mask16(0b1000_0000_0000_0011)),
            -4.0 - 3.0 + 11.0
        );
        assert_eq!(a.mul_add(b, a).to_array()[4], 0.0);
        assert_eq!(a.mul_add(b, a).to_array()[5], 1.0 * 4.0 + 1.0);
        assert_eq!(((a + b) * b - a / b).to_array()[5], 5.0 * 4.0 - 0.25);
    }

    #[test]
    fn targets_in_lanes() {
        let Some(t) = token() else { return };
        let ys: Vec<usize> = (0..16).map(|i| (i * 7) % 10).collect();
        for n in 0..=16 {
            for ignore in [None, Some(4), Some(usize::MAX)] {
                let (y, active) = load_targets(t, &ys[..n], ignore);
                for c in 0..10 {
                    let want = (0..n).filter(|&l| ys[l] == c).fold(0, |m, l| m | 1 << l);
                    // lanes ≥ n hold 0
                    let want = if c == 0 {
                        want | (0xFFFF << n & 0xFFFF)
                    } else {
                        want
                    };
                    assert_eq!(y.eq_splat(c as i32).0, want as u16, "n {n} class {c}");
                }
                let want = (0..n)
                    .filter(|&l| Some(ys[l]) != ignore)
                    .fold(0, |m, l| m | 1 << l);
                assert_eq!(active.0, want as u16, "n {n} ignore {ignore:?}");
            }
        }
    }
}
