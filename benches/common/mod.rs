//! Shared by the bench binaries: a deterministic PRNG, the benchmark inputs
//! and criterion settings.
#![allow(dead_code)]

pub mod naive;

use std::time::Duration;

use criterion::SamplingMode;
use ndarray::{Array1, Array2};

/// SplitMix64: a tiny, deterministic PRNG (no extra crates needed).
pub struct Rng(pub u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)` with 24 random bits.
    pub fn unit(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 * (1.0 / (1u64 << 24) as f32)
    }

    /// Uniform in `[lo, hi)`.
    pub fn uniform(&mut self, lo: f32, hi: f32) -> f32 {
        lo + (hi - lo) * self.unit()
    }

    /// Uniform in `0..n` (the modulo bias is irrelevant here).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

/// `n` values uniform in `[lo, hi)`.
pub fn uniform1(rng: &mut Rng, n: usize, lo: f32, hi: f32) -> Array1<f32> {
    Array1::from_shape_simple_fn(n, || rng.uniform(lo, hi))
}

/// The MSE benchmark's inputs of size `n`: predictions and targets uniform
/// in `[-1, 1)` (one seed per size, so every crate times the same arrays).
pub fn mse_inputs(n: usize) -> (Array1<f32>, Array1<f32>) {
    let mut rng = Rng::new(0x5EED ^ n as u64);
    let pred = uniform1(&mut rng, n, -1.0, 1.0);
    let target = uniform1(&mut rng, n, -1.0, 1.0);
    (pred, target)
}

/// The cross-entropy benchmark's inputs: `rows × cols` logits uniform in
/// `[-4, 4)` and one class index per row.
pub fn cross_entropy_inputs(rows: usize, cols: usize) -> (Array2<f32>, Array1<usize>) {
    let mut rng = Rng::new(0xCE ^ (rows * cols) as u64);
    let logits = Array2::from_shape_simple_fn((rows, cols), || rng.uniform(-4.0, 4.0));
    let classes = Array1::from_shape_simple_fn(rows, || rng.below(cols));
    (logits, classes)
}

/// Measurement settings by problem size: many short samples while a call
/// takes microseconds, few flat samples once it takes milliseconds.
pub fn configure<M: criterion::measurement::Measurement>(
    group: &mut criterion::BenchmarkGroup<'_, M>,
    elements: usize,
) {
    if elements >= 1 << 20 {
        group
            .sampling_mode(SamplingMode::Flat)
            .sample_size(10)
            .warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_secs(2));
    } else {
        group
            .sampling_mode(SamplingMode::Auto)
            .sample_size(50)
            .warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_millis(1500));
    }
}

/// The CTC benchmark's inputs: `(T, N, C)` log-probabilities (the f32
/// log-softmax of logits uniform in `[-4, 4)`), and `N` targets of `s`
/// labels in `1..C` (blank 0), concatenated; every input length is `T`.
pub fn ctc_inputs(t: usize, n: usize, c: usize, s: usize) -> (ndarray::Array3<f32>, Vec<usize>) {
    let mut rng = Rng::new(0xC7C ^ (t * n * c * s) as u64);
    let mut lp = ndarray::Array3::from_shape_simple_fn((t, n, c), || rng.uniform(-4.0, 4.0));
    for mut row in lp.lanes_mut(ndarray::Axis(2)) {
        let m = row.fold(f32::NEG_INFINITY, |m, &v| m.max(v));
        let lse = m + row.iter().map(|&v| (v - m).exp()).sum::<f32>().ln();
        row.mapv_inplace(|v| v - lse);
    }
    let targets = (0..n * s).map(|_| 1 + rng.below(c - 1)).collect();
    (lp, targets)
}
