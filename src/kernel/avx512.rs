//! AVX-512 building blocks the compiler does not produce from plain Rust:
//! moving a block of rows into SIMD lanes and back (a 16 × 16 transpose by
//! lane shuffles, with masked loads and stores for ragged edges).
//!
//! With rows in lanes, per-row reductions (a softmax's maximum and sum)
//! become element-wise operations between whole vectors, which plain Rust
//! over `[f32; 16]` arrays vectorises: the kernels keep their math generic
//! and come here only for the rearrangement.
//!
//! Every function takes the [`Avx512`] token, which only exists on a CPU with
//! the features, and checks its slice bounds, so each is safe to call. This
//! module and [`super::simd`] hold the crate's only `unsafe`.

#![allow(unsafe_code)]

use std::arch::x86_64::{
    __m512, _mm512_castpd_ps, _mm512_castps_pd, _mm512_loadu_ps, _mm512_mask_storeu_ps,
    _mm512_maskz_loadu_ps, _mm512_setzero_ps, _mm512_shuffle_f32x4, _mm512_storeu_ps,
    _mm512_unpackhi_pd, _mm512_unpackhi_ps, _mm512_unpacklo_pd, _mm512_unpacklo_ps,
};

use super::simd::Avx512;

/// SIMD lanes of an f32 vector: the rows of one block.
pub(crate) const LANES: usize = 16;

/// A block transposed: `[c][r]`, one `[f32; 16]` (one vector) per column.
pub(crate) type Block = [[f32; LANES]; LANES];

/// The mask of the first `n ≤ 16` lanes.
#[inline(always)]
fn first(n: usize) -> u16 {
    ((1u32 << n) - 1) as u16
}

/// Reads rows `0..rows` of a row-major matrix with row stride `stride`,
/// columns `0..cols`, into `out[c][r]`; every other entry of `out` is 0.
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
    out: &mut Block,
) {
    assert!(rows <= LANES && cols <= LANES);
    assert!(rows == 0 || (rows - 1) * stride + cols <= x.len());
    // SAFETY: the token proves the CPU has AVX-512F; the assertions keep
    // every read of `load_impl` inside `x`.
    unsafe { load_impl(x, stride, rows, cols, out) }
}

#[inline(always)]
unsafe fn load_impl(x: &[f32], stride: usize, rows: usize, cols: usize, out: &mut Block) {
    let mask = first(cols);
    let mut r = [_mm512_setzero_ps(); LANES];
    for (i, v) in r.iter_mut().enumerate().take(rows) {
        // SAFETY: lanes `0..cols` of row `i` are `x[i·stride ..][..cols]`,
        // inside `x` (checked by the caller); masked-off lanes are not read.
        *v = unsafe { _mm512_maskz_loadu_ps(mask, x.as_ptr().add(i * stride)) };
    }
    let t = transpose(r);
    for (o, v) in out.iter_mut().zip(t) {
        // SAFETY: `o` is 16 writable f32.
        unsafe { _mm512_storeu_ps(o.as_mut_ptr(), v) };
    }
}

/// Writes `block[c][r]` to `g[r·stride + c]` for rows `0..rows`, columns
/// `0..cols`; nothing else of `g` is touched.
///
/// # Panics
///
/// As [`load_transposed`], for writes.
#[inline(always)]
pub(crate) fn store_transposed(
    _: Avx512,
    block: &Block,
    g: &mut [f32],
    stride: usize,
    rows: usize,
    cols: usize,
) {
    assert!(rows <= LANES && cols <= LANES);
    assert!(rows == 0 || (rows - 1) * stride + cols <= g.len());
    // SAFETY: as in `load_transposed`, for the writes of `store_impl`.
    unsafe { store_impl(block, g, stride, rows, cols) }
}

#[inline(always)]
unsafe fn store_impl(block: &Block, g: &mut [f32], stride: usize, rows: usize, cols: usize) {
    let mask = first(cols);
    let mut c = [_mm512_setzero_ps(); LANES];
    for (v, b) in c.iter_mut().zip(block) {
        // SAFETY: `b` is 16 readable f32.
        *v = unsafe { _mm512_loadu_ps(b.as_ptr()) };
    }
    let t = transpose(c);
    for (i, v) in t.into_iter().enumerate().take(rows) {
        // SAFETY: lanes `0..cols` of row `i` are `g[i·stride ..][..cols]`,
        // inside `g` (checked by the caller); masked-off lanes are not
        // written.
        unsafe { _mm512_mask_storeu_ps(g.as_mut_ptr().add(i * stride), mask, v) };
    }
}

/// Lanes of `x` and `y` interleaved in pairs (as `f64`), low halves of
/// each quarter.
#[inline(always)]
unsafe fn lo(x: __m512, y: __m512) -> __m512 {
    _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(x), _mm512_castps_pd(y)))
}

/// As [`lo`], high halves.
#[inline(always)]
unsafe fn hi(x: __m512, y: __m512) -> __m512 {
    _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(x), _mm512_castps_pd(y)))
}

/// `out[c]` lane `r` = `v[r]` lane `c`: 64 shuffles in four rounds.
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

    #[test]
    fn load_and_store_transpose_every_ragged_block() {
        let Some(t) = super::super::simd::avx512_token() else {
            eprintln!("no AVX-512 here: nothing to test");
            return;
        };
        let stride = 19;
        let x: Vec<f32> = (0..16 * stride).map(|i| i as f32 + 0.5).collect();
        for rows in 0..=16 {
            for cols in 0..=16 {
                let mut block = [[f32::NAN; 16]; 16];
                load_transposed(t, &x, stride, rows, cols, &mut block);
                for (c, col) in block.iter().enumerate() {
                    for (r, &v) in col.iter().enumerate() {
                        let want = if r < rows && c < cols {
                            x[r * stride + c]
                        } else {
                            0.0
                        };
                        assert_eq!(v, want, "rows {rows} cols {cols} at [{c}][{r}]");
                    }
                }
                let mut g = vec![-1.0_f32; x.len()];
                store_transposed(t, &block, &mut g, stride, rows, cols);
                for (i, &v) in g.iter().enumerate() {
                    let (r, c) = (i / stride, i % stride);
                    let want = if r < rows && c < cols { x[i] } else { -1.0 };
                    assert_eq!(v, want, "rows {rows} cols {cols} at {i}");
                }
            }
        }
    }
}
