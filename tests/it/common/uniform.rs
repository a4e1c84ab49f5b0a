//! Large reproducible inputs without a data file (also used by
//! `tests/outside_pool.rs`, a binary of its own).

/// `n` values uniform in `[lo, hi)` from a SplitMix64 stream seeded with
/// `seed`: large reproducible inputs without a data file.
pub fn uniform(n: usize, seed: u64, lo: f32, hi: f32) -> ndarray::Array1<f32> {
    let mut s = seed;
    ndarray::Array1::from_shape_fn(n, |_| {
        s = s.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = s;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        lo + (hi - lo) * ((z >> 40) as f32 / (1u64 << 24) as f32)
    })
}
