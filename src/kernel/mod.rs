//! Private drivers every loss and optimizer runs on.
//!
//! A loss supplies its math (a per-element or per-row function); the drivers
//! here own everything else: shape checks, reductions, contiguous fast paths
//! with strided fallbacks, accurate accumulation and vectorisation. Optimise
//! here and every loss inherits it.

#[cfg(target_arch = "x86_64")]
pub(crate) mod avx512;
pub(crate) mod ctc;
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
/// `rayon` feature: below it the fork-join cost outweighs what a second
/// thread gains.
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
        let totals = if rayon::current_thread_index().is_some() {
            use rayon::prelude::*;
            g.par_chunks_mut(chunk)
                .enumerate()
                .map(|(i, c)| f(i * chunk, c))
                .collect()
        } else {
            shared_chunks(g, chunk, f)
        };
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

/// The chunk totals of [`split_sum`] (`f` of each chunk, in chunk order),
/// computed by the calling thread — not a worker of the rayon pool — and
/// the pool's workers together.
///
/// Called from outside the pool, rayon's own parallel iterators hand the
/// whole pass to the pool and put the caller to sleep until it is done:
/// waking a worker and then the caller costs much of what a mid-sized
/// pass gains from the second thread. Here the caller
/// works from the start: the chunks are a shared queue that the caller and
/// `n − 1` spawned helpers take from, so a helper that wakes late just takes
/// fewer chunks; and the caller waits for the helpers' last chunks by
/// spinning on a counter (at most one chunk's time), not in rayon's
/// sleeping latch. Which thread computes a chunk changes nothing: each
/// total goes to its chunk's slot.
#[cfg(feature = "rayon")]
fn shared_chunks<A: Float>(
    g: &mut [A],
    chunk: usize,
    f: &(dyn Fn(usize, &mut [A]) -> f64 + Sync),
) -> Vec<f64> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Mutex, PoisonError};

    struct Finished<'a>(&'a AtomicUsize);
    impl Drop for Finished<'_> {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::Release);
        }
    }

    let n = g.len().div_ceil(chunk);
    let queue = Mutex::new(g.chunks_mut(chunk).enumerate());
    let done = AtomicUsize::new(0);
    let totals = Mutex::new(vec![0.0; n]);
    let work = || {
        let mut mine = Vec::new();
        loop {
            // The guard is dropped at the end of the statement: the lock is
            // held only to take a chunk.
            let next = queue.lock().unwrap_or_else(PoisonError::into_inner).next();
            let Some((i, c)) = next else { break };
            // Counted when the chunk ends, even by a panic (the caller
            // stops waiting, and the scope passes the panic on).
            let _count = Finished(&done);
            mine.push((i, f(i * chunk, c)));
        }
        let mut totals = totals.lock().unwrap_or_else(PoisonError::into_inner);
        for (i, t) in mine {
            totals[i] = t;
        }
    };
    rayon::in_place_scope(|s| {
        for _ in 1..rayon::current_num_threads().min(n) {
            s.spawn(|_| work());
        }
        work();
        // Every chunk is taken; wait for the ones in flight on other threads.
        while done.load(Ordering::Acquire) < n {
            std::hint::spin_loop();
        }
    });
    totals.into_inner().unwrap_or_else(PoisonError::into_inner)
}

/// A per-element test for [`all_of`]. A type rather than a function
/// pointer so that the dispatched kernel inlines it: through a pointer the
/// kernel makes a call per element.
pub(crate) trait Test<A>: Copy {
    /// Whether `x` passes.
    fn ok(self, x: A) -> bool;
}

/// Whether every element of `s` passes `test`, as a dispatched kernel
/// (vectorised in the CPU's widest instruction set). Blocks are
/// tested without short-circuiting, so the loop vectorises; the scan stops
/// at the first failing block. For the checks that must read a whole input
/// before a pass may write anything (`Bce`'s domain, `check_finite`).
pub(crate) fn all_of<A: Float, T: Test<A>>(s: &[A], test: T) -> bool {
    simd::dispatch(AllOf { s, test })
}

struct AllOf<'a, A, T> {
    s: &'a [A],
    test: T,
}

impl<A: Float, T: Test<A>> simd::Kernel for AllOf<'_, A, T> {
    type Output = bool;
    #[inline(always)]
    fn run<const FMA: bool>(self) -> bool {
        // One line per page eight pages ahead, so the page walks start early
        // (one line is enough to start a walk; prefetching every line of a
        // block costs more than it saves).
        let (s, test) = (self.s, self.test);
        s.chunks(1024).enumerate().all(|(i, c)| {
            simd::prefetch_pages(s.as_ptr().wrapping_add((i + 8) * 1024), 1024);
            c.iter().fold(true, |all, &x| all & test.ok(x))
        })
    }
}

/// Errors unless `found` has the shape `expected` has.
#[inline]
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
