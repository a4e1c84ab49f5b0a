//! Private drivers every loss and optimizer runs on.
//!
//! A loss supplies its math (a per-element or per-row function); the drivers
//! here own everything else: shape checks, reductions, contiguous fast paths
//! with strided fallbacks, accurate accumulation and vectorisation. Optimise
//! here and every loss inherits it.

#[cfg(target_arch = "x86_64")]
pub(crate) mod avx512;
pub(crate) mod elementwise;
pub(crate) mod rowwise;
pub(crate) mod simd;
pub(crate) mod softmax;
pub(crate) mod sum;
pub(crate) mod update;

use ndarray::{ArrayRef, Dimension};

use crate::error::{Error, Result};
use crate::float::Float;
use sum::Cascade;

/// Elements per chunk of a split pass (a multiple of [`sum::BLOCK`]).
pub(crate) const PAR_CHUNK: usize = 1 << 16;

/// Passes over at least this many elements run on several threads with the
/// `rayon` feature (measured on 2 cores: at 1M elements two threads give
/// 1.6–2×, at 256K cross-entropy 1.8×; the fork-join cost is a few µs, so
/// below ~128K elements one thread is as fast).
#[cfg_attr(not(feature = "rayon"), allow(dead_code))]
pub(crate) const PAR_MIN: usize = 1 << 17;

/// `Σ f(offset, chunk)` over the chunks of `g` of `chunk` elements (the last
/// may be shorter), the chunk totals combined pairwise in chunk order.
///
/// With the `rayon` feature and `g.len() ≥ PAR_MIN`, the chunks run in
/// parallel. The split and the order of combination depend only on the
/// slice (its length; for element-wise losses also where the caller starts
/// it, see `elementwise::fused`), never on the threads, so the result is the
/// same, to the bit, for any thread count and with or without the feature.
pub(crate) fn split_sum<A: Float>(
    g: &mut [A],
    chunk: usize,
    f: &(dyn Fn(usize, &mut [A]) -> f64 + Sync),
) -> f64 {
    let chunk = chunk.max(1);
    if g.len() <= chunk {
        return f(0, g);
    }
    #[cfg(feature = "rayon")]
    if g.len() >= PAR_MIN && rayon::current_num_threads() > 1 {
        use rayon::prelude::*;
        let totals: Vec<f64> = g
            .par_chunks_mut(chunk)
            .enumerate()
            .map(|(i, c)| f(i * chunk, c))
            .collect();
        let mut cascade = Cascade::new();
        totals.iter().for_each(|&t| cascade.push(t));
        return cascade.total();
    }
    let mut cascade = Cascade::new();
    for (i, c) in g.chunks_mut(chunk).enumerate() {
        cascade.push(f(i * chunk, c));
    }
    cascade.total()
}

/// Errors unless `found` has the shape `expected` has.
pub(crate) fn check_same_shape<A, B, D: Dimension>(
    what: &'static str,
    expected: &ArrayRef<A, D>,
    found: &ArrayRef<B, D>,
) -> Result<()> {
    if expected.shape() == found.shape() {
        Ok(())
    } else {
        Err(Error::ShapeMismatch {
            what,
            expected: expected.shape().to_vec(),
            found: found.shape().to_vec(),
        })
    }
}
