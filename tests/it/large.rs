//! Large inputs: f32 accuracy of the blocked reductions at 16M elements, and
//! (with the `rayon` feature) bit-identical results for any thread count.

use ndarray::Array1;
#[cfg(feature = "rayon")]
use ndarray::Array2;
use ndloss::prelude::*;

use crate::common::uniform;

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

/// Gradients of 32 MiB and more are written with streaming stores: they must
/// be the bits plain stores write. With `Sum` reduction each element's
/// gradient does not depend on the length, so the whole pass (streamed) is
/// compared with the same elements in 1M-element pieces (plain stores),
/// written to the same buffer, 3 elements in. The pieces after the first
/// start on 64-byte boundaries, so every element takes the same path (the
/// vector loop, or the scalar head and ragged block end) as in the whole.
fn streamed_gradient_is_the_plain_one<A, L>(loss: &L, p: &Array1<A>, t: &Array1<A>)
where
    A: ndloss::Float,
    L: Loss<A, ndarray::Ix1>,
{
    use ndarray::s;
    const PIECE: usize = 1 << 20;
    let n = p.len() - 3;
    let (p, t) = (p.slice(s![3..]), t.slice(s![3..]));
    let mut buf = Array1::<A>::from_elem(n + 3, A::nan());
    loss.forward_grad_into(&p, &t, &mut buf.slice_mut(s![3..]))
        .unwrap();
    let whole = buf.clone();
    buf.fill(A::nan());
    let head = buf.slice(s![3..]).as_ptr().align_offset(64);
    let mut start = 0;
    while start < n {
        let end = if start == 0 {
            head + PIECE
        } else {
            start + PIECE
        }
        .min(n);
        let mut g = buf.slice_mut(s![3 + start..3 + end]);
        loss.forward_grad_into(&p.slice(s![start..end]), &t.slice(s![start..end]), &mut g)
            .unwrap();
        start = end;
    }
    let bits = |x: A| ndloss::Float::to_f64(x).to_bits();
    let differ = whole
        .iter()
        .zip(&buf)
        .skip(3)
        .filter(|(&a, &b)| bits(a) != bits(b))
        .count();
    assert_eq!(differ, 0, "{differ} of {n} gradient elements differ");
    // Nothing before the view was written.
    assert!(whole.iter().take(3).all(|x| x.is_nan()));
}

#[test]
fn streamed_gradients_match_plain_stores() {
    // Just above 32 MiB of gradient (the streaming threshold).
    let n = (1 << 23) + 1000;
    let p = uniform(n, 5, -3.0, 3.0);
    let t = uniform(n, 6, 0.0, 1.0);
    streamed_gradient_is_the_plain_one(&Mse::new().reduction(Reduction::Sum), &p, &t);
    streamed_gradient_is_the_plain_one(&BceWithLogits::new().reduction(Reduction::Sum), &p, &t);
    let n64 = (1 << 22) + 1000; // as many bytes of f64
    let (p, t) = (
        p.slice(ndarray::s![..n64]).mapv(f64::from),
        t.slice(ndarray::s![..n64]).mapv(f64::from),
    );
    streamed_gradient_is_the_plain_one(&LogCosh::new().reduction(Reduction::Sum), &p, &t);
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
