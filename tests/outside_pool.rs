//! With the `rayon` feature, a pass called from a thread outside the rayon
//! pool (the usual case: a training loop on the main thread) runs on the
//! caller and the pool's workers together, taking chunks from a shared
//! queue. Which thread computes which chunk varies from run to run; the
//! result must not: bit-identical to one thread, every time.
//!
//! One test in its own binary, so that it sets the global pool's size (3
//! threads, whatever the machine has) before anything else touches it.
#![cfg(feature = "rayon")]

use ndarray::{Array, Array1, Array2, Dimension};
use ndloss::prelude::*;
use rayon::ThreadPool;

#[path = "it/common/uniform.rs"]
mod uniform;
use uniform::uniform;

/// Runs `run` once on the one-thread pool `one`, then 20 times from this
/// thread (outside the global pool): value and gradient bit-identical every
/// round. Returns the value.
fn same_as_one_thread<D: Dimension>(
    one: &ThreadPool,
    run: impl Fn() -> (f32, Array<f32, D>) + Sync,
    what: &str,
) -> f32 {
    let (v1, g1) = one.install(&run);
    for round in 0..20 {
        let (v, g) = run();
        assert_eq!(v.to_bits(), v1.to_bits(), "{what}, round {round}");
        assert_eq!(g, g1, "{what}, round {round}");
    }
    v1
}

#[test]
fn calls_from_outside_the_pool_are_bit_identical_to_one_thread() {
    rayon::ThreadPoolBuilder::new()
        .num_threads(3)
        .build_global()
        .expect("the only test in this binary builds the global pool first");
    assert!(rayon::current_thread_index().is_none());
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();

    // Cross-entropy: whole rows per chunk (16 chunks of 16 rows; 21 of 49
    // rows, the last ragged).
    for (rows, cols) in [(256, 1000), (1000, 333)] {
        let x = uniform(rows * cols, 5, -4.0, 4.0)
            .into_shape_with_order((rows, cols))
            .unwrap();
        let y = Array1::from_shape_fn(rows, |i| (i * 7919) % cols);
        let run = || {
            let mut g = Array2::<f32>::zeros((rows, cols));
            let v = CrossEntropy::new()
                .forward_grad_into(&x, &y, &mut g)
                .unwrap();
            (v, g)
        };
        let v1 = same_as_one_thread(&one, run, &format!("{rows}x{cols}"));
        assert!(v1 > 0.0);
    }

    // Element-wise: 64K-element chunks, ragged last.
    let n = (1 << 20) + 4321;
    let p = uniform(n, 3, -4.0, 4.0);
    let t = uniform(n, 4, 0.0, 1.0);
    let run = || {
        let mut g = Array1::<f32>::zeros(n);
        let v = Mse::new().forward_grad_into(&p, &t, &mut g).unwrap();
        (v, g)
    };
    let v1 = same_as_one_thread(&one, run, "MSE");
    let exact = p
        .iter()
        .zip(&t)
        .map(|(&a, &b)| (f64::from(a) - f64::from(b)).powi(2))
        .sum::<f64>()
        / n as f64;
    assert!((f64::from(v1) - exact).abs() < 1e-6 * exact);
}
