//! Optimizer benchmarks (f32, one parameter array): `ndloss` against the
//! fused `Zip` update a user would write by hand, and against a
//! memory-bandwidth reference.
//!
//! Run with `cargo bench --bench optim`. The optimizer state is allocated by
//! a warm-up step before timing, so every timed call is a steady-state
//! update. Parameters keep moving from iteration to iteration (the same
//! gradient is applied over and over); the values stay finite and normal.
//!
//! `copy_roofline` makes the same memory traffic as the update with trivial
//! arithmetic: for Adam it reads p, g, m, v and writes p, m, v (28 bytes per
//! element), for SGD with momentum it reads p, g, b and writes p, b (20 bytes).
//! `time(copy_roofline) / time(ndloss)` is the fraction of the reachable
//! memory bandwidth `ndloss` attains (meaningful for the out-of-cache sizes).

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use ndarray::{Array1, Zip};
use ndloss::prelude::*;

mod common;
use common::{configure, Rng};

const SIZES: [usize; 3] = [1024, 1 << 20, 1 << 24];
const LR: f32 = 1e-3;
const BETA1: f32 = 0.9;
const BETA2: f32 = 0.999;
const EPS: f32 = 1e-8;
const SGD_LR: f32 = 0.01;
const MOMENTUM: f32 = 0.9;

/// Parameters uniform in [−1, 1); gradients bounded away from 0 (|g| ∈ [0.01, 1))
/// so that no state decays toward subnormals.
fn inputs(n: usize) -> (Array1<f32>, Array1<f32>) {
    let mut rng = Rng::new(0xAD ^ n as u64);
    let param = Array1::from_shape_simple_fn(n, || rng.uniform(-1.0, 1.0));
    let grad = Array1::from_shape_simple_fn(n, || {
        let g = rng.uniform(0.01, 1.0);
        if rng.next_u64() & 1 == 0 {
            g
        } else {
            -g
        }
    });
    (param, grad)
}

/// The Adam update a user would write: bias corrections per step outside the
/// loop, one fused `Zip` pass over (p, g, m, v).
struct NaiveAdam {
    m: Array1<f32>,
    v: Array1<f32>,
    t: i32,
}

impl NaiveAdam {
    fn new(n: usize) -> Self {
        Self {
            m: Array1::zeros(n),
            v: Array1::zeros(n),
            t: 0,
        }
    }

    fn step(&mut self, p: &mut Array1<f32>, g: &Array1<f32>) {
        // Saturate the step count: the bias corrections are 1 long before.
        self.t = (self.t + 1).min(1 << 20);
        let step_size = LR / (1.0 - BETA1.powi(self.t));
        let bias2_sqrt = (1.0 - BETA2.powi(self.t)).sqrt();
        Zip::from(p)
            .and(g)
            .and(&mut self.m)
            .and(&mut self.v)
            .for_each(|p, &g, m, v| {
                *m = BETA1 * *m + (1.0 - BETA1) * g;
                *v = BETA2 * *v + (1.0 - BETA2) * g * g;
                *p -= step_size * *m / (v.sqrt() / bias2_sqrt + EPS);
            });
    }
}

/// SGD with momentum (PyTorch's rule, dampening 0) as a user would write it.
fn naive_sgd_momentum(p: &mut Array1<f32>, g: &Array1<f32>, buf: &mut Array1<f32>) {
    Zip::from(p).and(g).and(buf).for_each(|p, &g, b| {
        *b = MOMENTUM * *b + g;
        *p -= SGD_LR * *b;
    });
}

fn adam_step(c: &mut Criterion) {
    let mut group = c.benchmark_group("adam_step");
    for n in SIZES {
        let (param0, grad) = inputs(n);
        configure(&mut group, n);
        group.throughput(Throughput::Elements(n as u64));

        {
            let mut param = param0.clone();
            let mut adam = Adam::<f32>::new(LR as f64);
            adam.step(&mut param, &grad).unwrap(); // allocates m, v
            group.bench_function(BenchmarkId::new("ndloss", n), |b| {
                b.iter(|| adam.step(black_box(&mut param), black_box(&grad)).unwrap())
            });
        }
        {
            let mut param = param0.clone();
            let mut naive = NaiveAdam::new(n);
            naive.step(&mut param, &grad);
            group.bench_function(BenchmarkId::new("naive_zip", n), |b| {
                b.iter(|| naive.step(black_box(&mut param), black_box(&grad)))
            });
        }
        {
            // Same traffic as Adam (read p, g, m, v; write p, m, v), one add each.
            let mut param = param0.clone();
            let (mut m, mut v) = (Array1::<f32>::zeros(n), Array1::<f32>::zeros(n));
            group.bench_function(BenchmarkId::new("copy_roofline", n), |b| {
                b.iter(|| {
                    Zip::from(black_box(&mut param))
                        .and(black_box(&grad))
                        .and(black_box(&mut m))
                        .and(black_box(&mut v))
                        .for_each(|p, &g, m, v| {
                            *p += g;
                            *m -= g;
                            *v += g;
                        });
                })
            });
        }
    }
    group.finish();
}

fn sgd_momentum_step(c: &mut Criterion) {
    let mut group = c.benchmark_group("sgd_momentum_step");
    for n in SIZES {
        let (param0, grad) = inputs(n);
        configure(&mut group, n);
        group.throughput(Throughput::Elements(n as u64));

        {
            let mut param = param0.clone();
            let mut sgd = Sgd::<f32>::new(SGD_LR as f64).momentum(MOMENTUM as f64);
            sgd.step(&mut param, &grad).unwrap(); // allocates the buffer
            group.bench_function(BenchmarkId::new("ndloss", n), |b| {
                b.iter(|| sgd.step(black_box(&mut param), black_box(&grad)).unwrap())
            });
        }
        {
            let mut param = param0.clone();
            let mut buf = grad.clone(); // PyTorch's first step: buffer = g
            group.bench_function(BenchmarkId::new("naive_zip", n), |b| {
                b.iter(|| {
                    naive_sgd_momentum(black_box(&mut param), black_box(&grad), black_box(&mut buf))
                })
            });
        }
        {
            // Same traffic as SGD with momentum (read p, g, b; write p, b).
            let mut param = param0.clone();
            let mut buf = Array1::<f32>::zeros(n);
            group.bench_function(BenchmarkId::new("copy_roofline", n), |b| {
                b.iter(|| {
                    Zip::from(black_box(&mut param))
                        .and(black_box(&grad))
                        .and(black_box(&mut buf))
                        .for_each(|p, &g, b| {
                            *p += g;
                            *b -= g;
                        });
                })
            });
        }
    }
    group.finish();
}

/// Checks once, outside any timing, that the naive updates match `ndloss`.
fn sanity() {
    let (p0, g) = inputs(1000);
    let close =
        |a: &Array1<f32>, b: &Array1<f32>| a.iter().zip(b).all(|(x, y)| (x - y).abs() <= 1e-5);

    let (mut p1, mut p2) = (p0.clone(), p0.clone());
    let mut adam = Adam::<f32>::new(LR as f64);
    let mut naive = NaiveAdam::new(1000);
    for _ in 0..5 {
        adam.step(&mut p1, &g).unwrap();
        naive.step(&mut p2, &g);
    }
    assert!(close(&p1, &p2), "naive Adam disagrees with ndloss");

    let (mut p1, mut p2) = (p0.clone(), p0.clone());
    let mut sgd = Sgd::<f32>::new(SGD_LR as f64).momentum(MOMENTUM as f64);
    sgd.step(&mut p1, &g).unwrap();
    let mut buf = g.clone();
    Zip::from(&mut p2)
        .and(&g)
        .for_each(|p, &g| *p -= SGD_LR * g);
    for _ in 0..4 {
        sgd.step(&mut p1, &g).unwrap();
        naive_sgd_momentum(&mut p2, &g, &mut buf);
    }
    assert!(close(&p1, &p2), "naive SGD disagrees with ndloss");
}

fn benches(c: &mut Criterion) {
    sanity();
    adam_step(c);
    sgd_momentum_step(c);
}

criterion_group!(optim, benches);
criterion_main!(optim);
