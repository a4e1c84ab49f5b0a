//! Optimizer benchmarks (f32, one parameter array): every optimizer's `step`
//! against the fused `Zip` update a user would write by hand, and against a
//! memory-bandwidth reference.
//!
//! Run with `cargo bench --bench optim` (about four to five minutes on two
//! cores). One group per optimizer, `<name>_step`, each with three functions
//! on 1K, 1M and 16M parameters:
//!
//! - `ndloss`: `opt.step(&mut param, &grad)` with the optimizer's default
//!   hyperparameters (a typical learning rate; AdamW keeps its default weight
//!   decay 1e-2). The state is allocated by a warm-up step before timing, so
//!   every timed call is a steady-state update.
//! - `naive_zip`: the same update written as one `ndarray::Zip` pass over
//!   (p, g, state…), with the per-step scalars (bias corrections, schedules)
//!   computed outside the loop, and per element the operations of the
//!   formula in the optimizer's doc comment.
//! - `copy_roofline`: one `Zip` pass with the same memory traffic as the
//!   update (reads p, g and every state array; writes p and every state
//!   array) and one add or subtract per array. `time(copy_roofline) /
//!   time(ndloss)` is the fraction of the reachable memory bandwidth `ndloss`
//!   attains (meaningful for the out-of-cache sizes).
//!
//! Parameters keep moving from iteration to iteration (the same gradient is
//! applied over and over); the values stay finite and normal. Before timing,
//! each group checks that its naive update agrees with `ndloss`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use ndarray::{Array1, Zip};
use ndloss::prelude::*;

mod common;
use common::{configure, Rng};

const SIZES: [usize; 3] = [1024, 1 << 20, 1 << 24];

/// The state arrays of an optimizer with `K` buffers per parameter array.
type State<const K: usize> = [Array1<f32>; K];

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

/// Same traffic as a `K`-buffer optimizer: reads p, g, s₁…s_K and writes p,
/// s₁…s_K, i.e. `(3 + 2K)·4` bytes per element, with one add each.
fn roofline<const K: usize>(p: &mut Array1<f32>, g: &Array1<f32>, state: &mut State<K>) {
    match state.as_mut_slice() {
        [a] => Zip::from(p).and(g).and(a).for_each(|p, &g, a| {
            *p += g;
            *a -= g;
        }),
        [a, b] => Zip::from(p).and(g).and(a).and(b).for_each(|p, &g, a, b| {
            *p += g;
            *a -= g;
            *b += g;
        }),
        _ => unreachable!("every optimizer here has one or two state arrays"),
    }
}

/// `max |a − b| / (1 + |a|)`.
fn rel_diff(a: &Array1<f32>, b: &Array1<f32>) -> f32 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs() / (1.0 + x.abs()))
        .fold(0.0, f32::max)
}

/// Benchmarks one optimizer: group `name` with `ndloss`, `naive_zip` and
/// `copy_roofline` on every size of [`SIZES`].
///
/// `make` builds the optimizer; `naive` builds a fresh hand-written update
/// (a closure that keeps its own step count) over `K` zero-initialised state
/// arrays. Before timing, checks that both agree over 20 steps.
fn bench_optimizer<O, N, const K: usize>(
    c: &mut Criterion,
    name: &str,
    make: impl Fn() -> O,
    naive: impl Fn() -> N,
) where
    O: Optimizer<f32>,
    N: FnMut(&mut Array1<f32>, &Array1<f32>, &mut State<K>),
{
    {
        let (p0, g) = inputs(1000);
        let (mut p1, mut p2) = (p0.clone(), p0);
        let (mut opt, mut step) = (make(), naive());
        let mut state: State<K> = std::array::from_fn(|_| Array1::zeros(1000));
        for _ in 0..20 {
            opt.step(&mut p1, &g).unwrap();
            step(&mut p2, &g, &mut state);
        }
        let diff = rel_diff(&p1, &p2);
        assert!(
            diff <= 1e-5,
            "{name}: naive update disagrees with ndloss ({diff:e})"
        );
    }

    let mut group = c.benchmark_group(name);
    for n in SIZES {
        let (param0, grad) = inputs(n);
        configure(&mut group, n);
        group.throughput(Throughput::Elements(n as u64));

        {
            let mut param = param0.clone();
            let mut opt = make();
            opt.step(&mut param, &grad).unwrap(); // allocates the state
            group.bench_function(BenchmarkId::new("ndloss", n), |b| {
                b.iter(|| opt.step(black_box(&mut param), black_box(&grad)).unwrap())
            });
        }
        {
            let mut param = param0.clone();
            let mut state: State<K> = std::array::from_fn(|_| Array1::zeros(n));
            let mut step = naive();
            step(&mut param, &grad, &mut state); // same step count as `ndloss`
            group.bench_function(BenchmarkId::new("naive_zip", n), |b| {
                b.iter(|| {
                    step(
                        black_box(&mut param),
                        black_box(&grad),
                        black_box(&mut state),
                    )
                })
            });
        }
        {
            let mut param = param0.clone();
            let mut state: State<K> = std::array::from_fn(|_| Array1::zeros(n));
            group.bench_function(BenchmarkId::new("copy_roofline", n), |b| {
                b.iter(|| {
                    roofline(
                        black_box(&mut param),
                        black_box(&grad),
                        black_box(&mut state),
                    )
                })
            });
        }
    }
    group.finish();
}

/// Advances a step counter, saturating it (every bias correction is 1 long before).
fn tick(t: &mut i32) -> f64 {
    *t = (*t + 1).min(1 << 20);
    f64::from(*t)
}

// ---------------------------------------------------------------------------
// The hand-written updates. Per-step scalars in f64 (as PyTorch computes them
// in Python floats), per-element work in f32.

const SGD_LR: f32 = 0.01;
const MOMENTUM: f32 = 0.9;

/// SGD with momentum (PyTorch's rule, dampening 0).
fn naive_sgd_momentum() -> impl FnMut(&mut Array1<f32>, &Array1<f32>, &mut State<1>) {
    let mut first = true;
    move |p, g, [b]| {
        // PyTorch's first step sets b = g: μ = 0 on the zero buffer does that.
        let mu = if first { 0.0 } else { MOMENTUM };
        first = false;
        Zip::from(p).and(g).and(b).for_each(|p, &g, b| {
            *b = mu * *b + g;
            *p -= SGD_LR * *b;
        });
    }
}

const LR: f32 = 1e-3;
const BETA1: f32 = 0.9;
const BETA2: f32 = 0.999;
const EPS: f32 = 1e-8;

/// Adam's per-step scalars: `lr/(1 − β₁ᵗ)` and `√(1 − β₂ᵗ)`.
fn adam_scalars(t: f64) -> (f32, f32) {
    let bias1 = 1.0 - f64::from(BETA1).powf(t);
    let bias2 = 1.0 - f64::from(BETA2).powf(t);
    ((f64::from(LR) / bias1) as f32, bias2.sqrt() as f32)
}

/// Adam: m ← β₁m + (1 − β₁)g, v ← β₂v + (1 − β₂)g², θ ← θ − lr/(1 − β₁ᵗ)·m/(√v/√(1 − β₂ᵗ) + eps).
fn naive_adam() -> impl FnMut(&mut Array1<f32>, &Array1<f32>, &mut State<2>) {
    let mut t = 0;
    move |p, g, [m, v]| {
        let (step_size, bias2_sqrt) = adam_scalars(tick(&mut t));
        Zip::from(p).and(g).and(m).and(v).for_each(|p, &g, m, v| {
            *m = BETA1 * *m + (1.0 - BETA1) * g;
            *v = BETA2 * *v + (1.0 - BETA2) * g * g;
            *p -= step_size * *m / (v.sqrt() / bias2_sqrt + EPS);
        });
    }
}

/// AdamW's default weight decay.
const ADAMW_WD: f64 = 1e-2;

/// AdamW: θ ← θ·(1 − lr·wd), then Adam's update.
fn naive_adamw() -> impl FnMut(&mut Array1<f32>, &Array1<f32>, &mut State<2>) {
    let mut t = 0;
    let decay = (1.0 - f64::from(LR) * ADAMW_WD) as f32;
    move |p, g, [m, v]| {
        let (step_size, bias2_sqrt) = adam_scalars(tick(&mut t));
        Zip::from(p).and(g).and(m).and(v).for_each(|p, &g, m, v| {
            *m = BETA1 * *m + (1.0 - BETA1) * g;
            *v = BETA2 * *v + (1.0 - BETA2) * g * g;
            *p = *p * decay - step_size * *m / (v.sqrt() / bias2_sqrt + EPS);
        });
    }
}

const RMSPROP_LR: f32 = 1e-2;
const ALPHA: f32 = 0.99;

/// RMSprop (no momentum, not centered): s ← αs + (1 − α)g², θ ← θ − lr·g/(√s + eps).
fn naive_rmsprop() -> impl FnMut(&mut Array1<f32>, &Array1<f32>, &mut State<1>) {
    |p, g, [s]| {
        Zip::from(p).and(g).and(s).for_each(|p, &g, s| {
            *s = ALPHA * *s + (1.0 - ALPHA) * g * g;
            *p -= RMSPROP_LR * g / (s.sqrt() + EPS);
        });
    }
}

const ADAGRAD_LR: f32 = 1e-2;
const ADAGRAD_EPS: f32 = 1e-10;

/// Adagrad (lr_decay 0): s ← s + g², θ ← θ − lr·g/(√s + eps).
fn naive_adagrad() -> impl FnMut(&mut Array1<f32>, &Array1<f32>, &mut State<1>) {
    |p, g, [s]| {
        Zip::from(p).and(g).and(s).for_each(|p, &g, s| {
            *s += g * g;
            *p -= ADAGRAD_LR * g / (s.sqrt() + ADAGRAD_EPS);
        });
    }
}

const ADADELTA_LR: f32 = 1.0;
const RHO: f32 = 0.9;
const ADADELTA_EPS: f32 = 1e-6;

/// Adadelta: s ← ρs + (1 − ρ)g², Δ ← √(u + eps)/√(s + eps)·g, u ← ρu + (1 − ρ)Δ², θ ← θ − lr·Δ.
fn naive_adadelta() -> impl FnMut(&mut Array1<f32>, &Array1<f32>, &mut State<2>) {
    |p, g, [s, u]| {
        Zip::from(p).and(g).and(s).and(u).for_each(|p, &g, s, u| {
            *s = RHO * *s + (1.0 - RHO) * g * g;
            let delta = (*u + ADADELTA_EPS).sqrt() / (*s + ADADELTA_EPS).sqrt() * g;
            *u = RHO * *u + (1.0 - RHO) * delta * delta;
            *p -= ADADELTA_LR * delta;
        });
    }
}

const ADAMAX_LR: f32 = 2e-3;

/// Adamax: m ← β₁m + (1 − β₁)g, u ← max(β₂u, |g| + eps), θ ← θ − lr/(1 − β₁ᵗ)·m/u.
/// (`f32::max` ignores a NaN where `torch.maximum` keeps it; same values otherwise.)
fn naive_adamax() -> impl FnMut(&mut Array1<f32>, &Array1<f32>, &mut State<2>) {
    let mut t = 0;
    move |p, g, [m, u]| {
        let t = tick(&mut t);
        let step_size = (f64::from(ADAMAX_LR) / (1.0 - f64::from(BETA1).powf(t))) as f32;
        Zip::from(p).and(g).and(m).and(u).for_each(|p, &g, m, u| {
            *m = BETA1 * *m + (1.0 - BETA1) * g;
            *u = (BETA2 * *u).max(g.abs() + EPS);
            *p -= step_size * *m / *u;
        });
    }
}

const NADAM_LR: f32 = 2e-3;
const MOMENTUM_DECAY: f64 = 4e-3;

/// NAdam: μₜ = β₁(1 − ½·0.96^(tψ)), Π ← Π·μₜ, m, v as Adam, d = √(v/(1 − β₂ᵗ)) + eps,
/// θ ← θ − lr(1 − μₜ)/(1 − Π)·g/d − lr·μₜ₊₁/(1 − Π·μₜ₊₁)·m/d.
fn naive_nadam() -> impl FnMut(&mut Array1<f32>, &Array1<f32>, &mut State<2>) {
    let (mut t, mut mu_product) = (0, 1.0_f64);
    move |p, g, [m, v]| {
        let t = tick(&mut t);
        let (b1, lr) = (f64::from(BETA1), f64::from(NADAM_LR));
        let mu = b1 * (1.0 - 0.5 * 0.96_f64.powf(t * MOMENTUM_DECAY));
        let mu_next = b1 * (1.0 - 0.5 * 0.96_f64.powf((t + 1.0) * MOMENTUM_DECAY));
        mu_product *= mu;
        let c_grad = (lr * (1.0 - mu) / (1.0 - mu_product)) as f32;
        let c_mom = (lr * mu_next / (1.0 - mu_product * mu_next)) as f32;
        let bias2 = (1.0 - f64::from(BETA2).powf(t)) as f32;
        Zip::from(p).and(g).and(m).and(v).for_each(|p, &g, m, v| {
            *m = BETA1 * *m + (1.0 - BETA1) * g;
            *v = BETA2 * *v + (1.0 - BETA2) * g * g;
            let d = (*v / bias2).sqrt() + EPS;
            *p -= c_grad * g / d + c_mom * *m / d;
        });
    }
}

/// RAdam: m, v as Adam; once ρₜ > 5, θ ← θ − lr·r·√(1 − β₂ᵗ)/(1 − β₁ᵗ)·m/(√v + eps),
/// before that θ ← θ − lr/(1 − β₁ᵗ)·m (each case its own loop; the benchmark
/// runs the rectified one).
fn naive_radam() -> impl FnMut(&mut Array1<f32>, &Array1<f32>, &mut State<2>) {
    let mut t = 0;
    move |p, g, [m, v]| {
        let t = tick(&mut t);
        let (b1, b2, lr) = (f64::from(BETA1), f64::from(BETA2), f64::from(LR));
        let (bias1, bias2) = (1.0 - b1.powf(t), 1.0 - b2.powf(t));
        let rho_inf = 2.0 / (1.0 - b2) - 1.0;
        let rho_t = rho_inf - 2.0 * t * b2.powf(t) / bias2;
        let zip = Zip::from(p).and(g).and(m).and(v);
        if rho_t > 5.0 {
            let rect = ((rho_t - 4.0) * (rho_t - 2.0) * rho_inf
                / ((rho_inf - 4.0) * (rho_inf - 2.0) * rho_t))
                .sqrt();
            let step_size = (lr * rect * bias2.sqrt() / bias1) as f32;
            zip.for_each(|p, &g, m, v| {
                *m = BETA1 * *m + (1.0 - BETA1) * g;
                *v = BETA2 * *v + (1.0 - BETA2) * g * g;
                *p -= step_size * *m / (v.sqrt() + EPS);
            });
        } else {
            let step_size = (lr / bias1) as f32;
            zip.for_each(|p, &g, m, v| {
                *m = BETA1 * *m + (1.0 - BETA1) * g;
                *v = BETA2 * *v + (1.0 - BETA2) * g * g;
                *p -= step_size * *m;
            });
        }
    }
}

const LION_LR: f32 = 1e-4;
const LION_BETA2: f32 = 0.99;

/// Lion: u ← sign(β₁m + (1 − β₁)g) (sign(0) = 0), θ ← θ − lr·u, m ← β₂m + (1 − β₂)g.
fn naive_lion() -> impl FnMut(&mut Array1<f32>, &Array1<f32>, &mut State<1>) {
    |p, g, [m]| {
        Zip::from(p).and(g).and(m).for_each(|p, &g, m| {
            let c = BETA1 * *m + (1.0 - BETA1) * g;
            let u = if c > 0.0 {
                1.0
            } else if c < 0.0 {
                -1.0
            } else {
                0.0
            };
            *p -= LION_LR * u;
            *m = LION_BETA2 * *m + (1.0 - LION_BETA2) * g;
        });
    }
}

// ---------------------------------------------------------------------------
// Bytes per element = 4·(reads + writes): reads p, g + K states, writes p + K
// states; K = 1 → 20 B/elem, K = 2 → 28 B/elem.

fn benches(c: &mut Criterion) {
    let lr = f64::from;
    // SGD momentum: reads p, g, b + writes p, b = 20 B/elem.
    bench_optimizer(
        c,
        "sgd_momentum_step",
        || Sgd::<f32>::new(lr(SGD_LR)).momentum(lr(MOMENTUM)),
        naive_sgd_momentum,
    );
    // Adam: reads p, g, m, v + writes p, m, v = 28 B/elem.
    bench_optimizer(c, "adam_step", || Adam::<f32>::new(lr(LR)), naive_adam);
    // The cost of refusing non-finite gradients: one extra read of g (32 B/elem
    // of traffic against the same 28 B/elem roofline).
    bench_optimizer(
        c,
        "adam_check_finite_step",
        || Adam::<f32>::new(lr(LR)).check_finite(true),
        naive_adam,
    );
    // AdamW (weight decay 1e-2): reads p, g, m, v + writes p, m, v = 28 B/elem.
    bench_optimizer(c, "adamw_step", || AdamW::<f32>::new(lr(LR)), naive_adamw);
    // RMSprop (no momentum, not centered): reads p, g, s + writes p, s = 20 B/elem.
    bench_optimizer(
        c,
        "rmsprop_step",
        || RmsProp::<f32>::new(lr(RMSPROP_LR)),
        naive_rmsprop,
    );
    // Adagrad: reads p, g, s + writes p, s = 20 B/elem.
    bench_optimizer(
        c,
        "adagrad_step",
        || Adagrad::<f32>::new(lr(ADAGRAD_LR)),
        naive_adagrad,
    );
    // Adadelta: reads p, g, s, u + writes p, s, u = 28 B/elem.
    bench_optimizer(
        c,
        "adadelta_step",
        || Adadelta::<f32>::new(lr(ADADELTA_LR)),
        naive_adadelta,
    );
    // Adamax: reads p, g, m, u + writes p, m, u = 28 B/elem.
    bench_optimizer(
        c,
        "adamax_step",
        || Adamax::<f32>::new(lr(ADAMAX_LR)),
        naive_adamax,
    );
    // NAdam: reads p, g, m, v + writes p, m, v = 28 B/elem.
    bench_optimizer(
        c,
        "nadam_step",
        || NAdam::<f32>::new(lr(NADAM_LR)),
        naive_nadam,
    );
    // RAdam: reads p, g, m, v + writes p, m, v = 28 B/elem.
    bench_optimizer(c, "radam_step", || RAdam::<f32>::new(lr(LR)), naive_radam);
    // Lion: reads p, g, m + writes p, m = 20 B/elem.
    bench_optimizer(c, "lion_step", || Lion::<f32>::new(lr(LION_LR)), naive_lion);
}

criterion_group!(optim, benches);
criterion_main!(optim);
