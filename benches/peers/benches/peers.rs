//! ndloss beside candle-nn (CPU, f32) and the naive ndarray code, on the
//! inputs of the main crate's `benches/losses.rs` (same PRNG, seeds, shapes
//! and criterion settings), so the numbers sit in one table.
//!
//! Run from `benches/peers`: `RAYON_NUM_THREADS=1 cargo bench` (see
//! README.md). Single-threaded: candle sizes its thread pools from
//! `CANDLE_NUM_THREADS`, else `RAYON_NUM_THREADS`, else the number of
//! physical cores (ignoring `taskset`); when neither variable is set this
//! binary sets `RAYON_NUM_THREADS=1` before candle reads it.
//!
//! Groups and ids match `benches/losses.rs` (`mse_forward_grad`,
//! `cross_entropy_forward_grad`; functions `ndloss`, `naive`, plus `candle`),
//! so `python3 scripts/bench_table.py benches/peers/target/criterion` prints
//! the table. Before timing a size, the loss values are checked against an
//! f64 computation (ndloss within 1e-5 relative; candle and the naive code,
//! which accumulate in f32, within 1e-2) and the three gradients against each
//! other (within 1e-5 of the largest gradient element); the errors are printed.

use std::hint::black_box;

use candle_core::{Tensor, Var};
use criterion::{BenchmarkId, Criterion, Throughput};
use ndarray::{Array1, Array2};
use ndloss::prelude::*;
use ndloss_peers::{
    candle_cross_entropy, candle_mse, classes_to_candle, max_abs_diff, naive_cross_entropy,
    naive_mse, to_candle,
};

#[path = "../../common/mod.rs"]
mod common;
use common::{configure, cross_entropy_inputs, mse_inputs};

/// ndloss's loss value agrees with the f64 `reference` within 1e-5
/// relative; candle's and the naive one within 1e-2 (both accumulate in f32:
/// at 16M elements candle's `mean_all` is off by 2e-4, the naive `mean()` by
/// 1.6e-3); the gradients of all three agree within 1e-5 of the
/// largest gradient element. Prints the errors.
fn check_agreement<D: ndarray::Dimension>(
    what: &str,
    reference: f64,
    (loss, grad): (f32, &ndarray::Array<f32, D>),
    (naive_loss, naive_grad): (f32, &ndarray::Array<f32, D>),
    (candle_loss, candle_grad): (f32, &Tensor),
) {
    let rel = |v: f32| ((f64::from(v) - reference) / reference).abs();
    assert!(
        rel(loss) <= 1e-5,
        "{what}: ndloss {loss} vs f64 {reference}"
    );
    assert!(
        rel(candle_loss) <= 1e-2 && rel(naive_loss) <= 1e-2,
        "{what}: candle {candle_loss}, naive {naive_loss} vs f64 {reference}"
    );
    let scale = grad.iter().fold(0.0_f32, |m, g| m.max(g.abs()));
    let naive_diff = grad
        .iter()
        .zip(naive_grad.iter())
        .fold(0.0_f32, |m, (a, b)| m.max((a - b).abs()));
    let candle_diff = max_abs_diff(candle_grad, grad).unwrap();
    assert!(
        naive_diff <= 1e-5 * scale && candle_diff <= 1e-5 * scale,
        "{what}: gradients differ (naive {naive_diff:e}, candle {candle_diff:e}, scale {scale:e})"
    );
    eprintln!(
        "{what}: loss f64 {reference:.9}, relative error ndloss {:.1e} candle {:.1e} naive {:.1e}; \
         max |grad diff| from ndloss: candle {candle_diff:.1e} naive {naive_diff:.1e} (max |grad| {scale:.1e})",
        rel(loss),
        rel(candle_loss),
        rel(naive_loss),
    );
}

/// Mean squared error in f64.
fn mse_f64(pred: &Array1<f32>, target: &Array1<f32>) -> f64 {
    let sum: f64 = pred
        .iter()
        .zip(target)
        .map(|(&p, &t)| (f64::from(p) - f64::from(t)).powi(2))
        .sum();
    sum / pred.len() as f64
}

/// Mean cross-entropy from logits in f64 (log-sum-exp minus the target logit).
fn cross_entropy_f64(logits: &Array2<f32>, classes: &Array1<usize>) -> f64 {
    let sum: f64 = logits
        .outer_iter()
        .zip(classes)
        .map(|(row, &y)| {
            let max = row.fold(f64::NEG_INFINITY, |m, &x| m.max(f64::from(x)));
            let lse = max
                + row
                    .iter()
                    .map(|&x| (f64::from(x) - max).exp())
                    .sum::<f64>()
                    .ln();
            lse - f64::from(row[y])
        })
        .sum();
    sum / logits.nrows() as f64
}

fn mse_forward_grad(c: &mut Criterion) {
    let mut group = c.benchmark_group("mse_forward_grad");
    for n in [16, 1 << 20, 1 << 24] {
        // The inputs of benches/losses.rs (benches/common).
        let (pred, target) = mse_inputs(n);
        let mut grad = Array1::<f32>::zeros(n);
        let pred_var = Var::from_tensor(&to_candle(&pred).unwrap()).unwrap();
        let target_t = to_candle(&target).unwrap();

        let mse = Mse::new();
        let loss = mse.forward_grad_into(&pred, &target, &mut grad).unwrap();
        let (naive_loss, naive_grad) = naive_mse(&pred, &target);
        let (candle_loss, candle_grad) = candle_mse(&pred_var, &target_t).unwrap();
        check_agreement(
            &format!("mse {n}"),
            mse_f64(&pred, &target),
            (loss, &grad),
            (naive_loss, &naive_grad),
            (candle_loss, &candle_grad),
        );
        drop((naive_grad, candle_grad));

        configure(&mut group, n);
        group.throughput(Throughput::Elements(n as u64));

        group.bench_function(BenchmarkId::new("ndloss", n), |b| {
            b.iter(|| {
                let loss = mse
                    .forward_grad_into(black_box(&pred), black_box(&target), black_box(&mut grad))
                    .unwrap();
                black_box(loss)
            })
        });
        group.bench_function(BenchmarkId::new("naive", n), |b| {
            b.iter(|| black_box(naive_mse(black_box(&pred), black_box(&target))))
        });
        group.bench_function(BenchmarkId::new("candle", n), |b| {
            b.iter(|| black_box(candle_mse(black_box(&pred_var), black_box(&target_t)).unwrap()))
        });
    }
    group.finish();
}

fn cross_entropy_forward_grad(c: &mut Criterion) {
    let mut group = c.benchmark_group("cross_entropy_forward_grad");
    for (rows, cols) in [(32, 10), (256, 1000), (32, 32768)] {
        // The inputs of benches/losses.rs (benches/common).
        let (logits, classes) = cross_entropy_inputs(rows, cols);
        let mut grad = Array2::<f32>::zeros((rows, cols));
        let logits_var = Var::from_tensor(&to_candle(&logits).unwrap()).unwrap();
        let classes_t = classes_to_candle(&classes).unwrap();
        let id = format!("{rows}x{cols}");

        let ce = CrossEntropy::new();
        let loss = ce.forward_grad_into(&logits, &classes, &mut grad).unwrap();
        let (naive_loss, naive_grad) = naive_cross_entropy(&logits, &classes);
        let (candle_loss, candle_grad) = candle_cross_entropy(&logits_var, &classes_t).unwrap();
        check_agreement(
            &format!("cross_entropy {id}"),
            cross_entropy_f64(&logits, &classes),
            (loss, &grad),
            (naive_loss, &naive_grad),
            (candle_loss, &candle_grad),
        );

        configure(&mut group, rows * cols);
        group.throughput(Throughput::Elements((rows * cols) as u64));

        group.bench_function(BenchmarkId::new("ndloss", &id), |b| {
            b.iter(|| {
                let loss = ce
                    .forward_grad_into(
                        black_box(&logits),
                        black_box(&classes),
                        black_box(&mut grad),
                    )
                    .unwrap();
                black_box(loss)
            })
        });
        group.bench_function(BenchmarkId::new("naive", &id), |b| {
            b.iter(|| black_box(naive_cross_entropy(black_box(&logits), black_box(&classes))))
        });
        group.bench_function(BenchmarkId::new("candle", &id), |b| {
            b.iter(|| {
                black_box(
                    candle_cross_entropy(black_box(&logits_var), black_box(&classes_t)).unwrap(),
                )
            })
        });
    }
    group.finish();
}

fn main() {
    // Before the first candle call: candle reads the variable once, into a
    // process-wide pool. Nothing else runs yet, so setting it is sound.
    if std::env::var_os("RAYON_NUM_THREADS").is_none()
        && std::env::var_os("CANDLE_NUM_THREADS").is_none()
    {
        std::env::set_var("RAYON_NUM_THREADS", "1");
    }
    eprintln!(
        "candle {} thread(s) (RAYON_NUM_THREADS={:?}, CANDLE_NUM_THREADS={:?})",
        candle_core::utils::get_num_threads(),
        std::env::var("RAYON_NUM_THREADS").ok(),
        std::env::var("CANDLE_NUM_THREADS").ok(),
    );
    let mut c = Criterion::default().configure_from_args();
    mse_forward_grad(&mut c);
    cross_entropy_forward_grad(&mut c);
    c.final_summary();
}
