//! Large inputs: f32 accuracy of the blocked reductions at 16M elements, and
//! (with the `rayon` feature) bit-identical results for any thread count.

use ndarray::Array1;
#[cfg(feature = "rayon")]
use ndarray::Array2;
use ndloss::prelude::*;

mod common;
use common::uniform;

const N: usize = 1 << 24;

#[test]
fn f32_means_over_16m_match_f64_within_1e_6() {
    let p = uniform(N, 1, -3.0, 3.0);
    let t = uniform(N, 2, 0.0, 1.0);
    let (p64, t64) = (p.mapv(f64::from), t.mapv(f64::from));
    let mut g = Array1::<f32>::zeros(N);

    // The exact mean of the f32 data, summed in f64 (its own error ~1e-12).
    let exact_mse = p64
        .iter()
        .zip(&t64)
        .map(|(a, b)| (a - b) * (a - b))
        .sum::<f64>()
        / N as f64;
    let mse = Mse::new().forward_grad_into(&p, &t, &mut g).unwrap() as f64;
    assert!(
        ((mse - exact_mse) / exact_mse).abs() < 1e-6,
        "{mse} vs {exact_mse}"
    );

    let exact_bce = p64
        .iter()
        .zip(&t64)
        .map(|(&x, &y)| x.max(0.0) - x * y + (-x.abs()).exp().ln_1p())
        .sum::<f64>()
        / N as f64;
    let bce = BceWithLogits::new()
        .forward_grad_into(&p, &t, &mut g)
        .unwrap() as f64;
    assert!(
        ((bce - exact_bce) / exact_bce).abs() < 1e-6,
        "{bce} vs {exact_bce}"
    );

    // A naive f32 running sum of the same squared errors is far off: the
    // test can fail.
    let naive = p
        .iter()
        .zip(&t)
        .map(|(a, b)| (a - b) * (a - b))
        .sum::<f32>()
        / N as f32;
    assert!(((naive as f64 - exact_mse) / exact_mse).abs() > 1e-5);
}

#[cfg(feature = "rayon")]
mod parallel {
    use super::*;

    fn with_threads<R: Send>(k: usize, f: impl FnOnce() -> R + Send) -> R {
        rayon::ThreadPoolBuilder::new()
            .num_threads(k)
            .build()
            .unwrap()
            .install(f)
    }

    #[test]
    fn element_wise_is_bit_identical_for_any_thread_count() {
        let n = (1 << 21) + 12_345; // above the threshold, ragged last chunk
        let p = uniform(n, 3, -4.0, 4.0);
        let t = uniform(n, 4, 0.0, 1.0);
        let run = |k| {
            with_threads(k, || {
                let mut g = Array1::<f32>::zeros(n);
                let v = BceWithLogits::new()
                    .forward_grad_into(&p, &t, &mut g)
                    .unwrap();
                (v, g)
            })
        };
        let (v1, g1) = run(1);
        for k in [2, 3, 4] {
            let (v, g) = run(k);
            assert_eq!(v.to_bits(), v1.to_bits(), "{k} threads");
            assert_eq!(g, g1, "{k} threads");
        }
        // And it is the right value.
        let exact: f64 = p
            .iter()
            .zip(&t)
            .map(|(&x, &y)| {
                let (x, y) = (x as f64, y as f64);
                x.max(0.0) - x * y + (-x.abs()).exp().ln_1p()
            })
            .sum::<f64>()
            / n as f64;
        assert!(((v1 as f64 - exact) / exact).abs() < 1e-6);
    }

    #[test]
    fn cross_entropy_is_bit_identical_for_any_thread_count() {
        for (rows, cols) in [(256, 1000), (32, 32768), (70_000, 10)] {
            let x = uniform(rows * cols, 5, -4.0, 4.0)
                .into_shape_with_order((rows, cols))
                .unwrap();
            let y = Array1::from_shape_fn(rows, |i| (i * 7919) % cols);
            let run = |k| {
                with_threads(k, || {
                    let mut g = Array2::<f32>::zeros((rows, cols));
                    let v = CrossEntropy::new()
                        .forward_grad_into(&x, &y, &mut g)
                        .unwrap();
                    (v, g)
                })
            };
            let (v1, g1) = run(1);
            let (v2, g2) = run(2);
            assert_eq!(v1.to_bits(), v2.to_bits(), "{rows}x{cols}");
            assert_eq!(g1, g2, "{rows}x{cols}");
            // Row sums of the gradient are 0 and the value is a mean NLL > 0.
            assert!(v1 > 0.0);
            let worst = g1
                .sum_axis(ndarray::Axis(1))
                .iter()
                .fold(0.0_f32, |m, &s| m.max(s.abs()));
            assert!(worst < 1e-6 / rows as f32 * 10.0, "{worst}");
        }
    }
}
