//! CTC benchmarks (f32): `Ctc` forward + backward against the textbook
//! recursion a user would write (`naive`), over the workload
//! (T = 200, N = 32, C = 40, S = 50) and a table over T and over S.
//!
//! Run with `cargo bench --bench ctc` (about a minute); with
//! `--features rayon` a `ndloss_rayon` row splits the batch over threads
//! next to a `ndloss` row timed on a one-thread pool. PyTorch's figures for
//! the same inputs come from `scripts/bench_torch.py` (its `ctc_*` rows).
//!
//! Reading the results: the work is `Σ T·(2S + 1)` recursion cells, each
//! costing two log-sum-exps of three terms (α, β) and a posterior; the
//! throughput column is in cells per second and should stay flat along the
//! tables (time linear in T·S). The data (T·N·C floats in, as many out) fit
//! in cache: the bound is arithmetic, not memory.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use ndarray::Array3;
use ndloss::loss::Ctc;

mod common;
use common::naive::naive_ctc;
use common::{configure, ctc_inputs};

fn case(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    (t, n, c, s): (usize, usize, usize, usize),
    with_naive: bool,
) {
    let (lp, targets) = ctc_inputs(t, n, c, s);
    let il = vec![t; n];
    let tl = vec![s; n];
    let id = format!("{t}x{n}x{c}x{s}");
    let cells = (t * (2 * s + 1) * n) as u64;
    configure(group, 1 << 20);
    group.throughput(Throughput::Elements(cells));
    let ctc = Ctc::new();
    let mut grad = Array3::<f32>::zeros((t, n, c));
    #[cfg(feature = "rayon")]
    {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        group.bench_function(BenchmarkId::new("ndloss", &id), |b| {
            pool.install(|| {
                b.iter(|| {
                    black_box(
                        ctc.forward_grad_into(&lp, &targets, &il, &tl, &mut grad)
                            .unwrap(),
                    )
                })
            })
        });
        group.bench_function(BenchmarkId::new("ndloss_rayon", &id), |b| {
            b.iter(|| {
                black_box(
                    ctc.forward_grad_into(&lp, &targets, &il, &tl, &mut grad)
                        .unwrap(),
                )
            })
        });
    }
    #[cfg(not(feature = "rayon"))]
    group.bench_function(BenchmarkId::new("ndloss", &id), |b| {
        b.iter(|| {
            black_box(
                ctc.forward_grad_into(&lp, &targets, &il, &tl, &mut grad)
                    .unwrap(),
            )
        })
    });
    if with_naive {
        group.bench_function(BenchmarkId::new("naive", &id), |b| {
            b.iter(|| black_box(naive_ctc(&lp, &targets, s)))
        });
    }
}

/// The printed loss values, to compare with `scripts/bench_torch.py`'s.
fn sanity() {
    let (t, n, c, s) = (200, 32, 40, 50);
    let (lp, targets) = ctc_inputs(t, n, c, s);
    let (v, g) = Ctc::new()
        .forward_grad(&lp, &targets, &vec![t; n], &vec![s; n])
        .unwrap();
    let (nv, ng) = naive_ctc(&lp, &targets, s);
    let diff = g
        .iter()
        .zip(&ng)
        .fold(0.0_f32, |m, (a, b)| m.max((a - b).abs()));
    eprintln!("ctc {t}x{n}x{c}x{s}: ndloss {v:.7}, naive {nv:.7}, max |grad diff| {diff:.2e}");
}

fn benches(c: &mut Criterion) {
    sanity();
    let mut group = c.benchmark_group("ctc_forward_grad");
    case(&mut group, (200, 32, 40, 50), true);
    group.finish();
    let mut group = c.benchmark_group("ctc_over_t");
    for t in [100, 200, 400, 800, 1600] {
        case(&mut group, (t, 8, 40, 50), false);
    }
    group.finish();
    let mut group = c.benchmark_group("ctc_over_s");
    for s in [10, 25, 50, 100] {
        case(&mut group, (400, 8, 40, s), false);
    }
    group.finish();
    let mut group = c.benchmark_group("ctc_forward");
    let (t, n, cl, s) = (200, 32, 40, 50);
    let (lp, targets) = ctc_inputs(t, n, cl, s);
    let (il, tl) = (vec![t; n], vec![s; n]);
    configure(&mut group, 1 << 20);
    group.throughput(Throughput::Elements((t * (2 * s + 1) * n) as u64));
    group.bench_function(
        BenchmarkId::new("ndloss", format!("{t}x{n}x{cl}x{s}")),
        |b| b.iter(|| black_box(Ctc::new().forward(&lp, &targets, &il, &tl).unwrap())),
    );
    group.finish();
}

criterion_group!(ctc, benches);
criterion_main!(ctc);
