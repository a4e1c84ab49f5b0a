//! Element-wise losses whose hot loops use the crate's vectorised `exp` and
//! `ln` (not the C library's, which kept those loops scalar), against their
//! definitions written here with `std` in f64: `SigmoidFocal` for several
//! `gamma` (the general `(1 − pₜ)^γ = e^{γ·ln(1 − pₜ)}` path and the
//! `gamma = 2` variant), `PoissonNll` with and without `log_input` and
//! `full`, and `KlDiv` with and without `log_target`. Values per element
//! (`unreduced`) and the mean's gradient, in f64 and f32, on inputs long
//! enough for the vectorised kernels (the PyTorch parity files cover only
//! the defaults of some of these). `Bce` over the unit interval's edges.
//! Also `CrossEntropy` with probability targets on rows long enough for its
//! dispatched row kernel.

use ndarray::{Array1, Zip};
use ndloss::prelude::*;

const N: usize = 1000;

/// Logits over [−12, 12], targets in [0, 1] (every tenth exactly 0 or 1).
fn logits_and_targets() -> (Array1<f64>, Array1<f64>) {
    let x = Array1::from_shape_fn(N, |i| -12.0 + 24.0 * ((i * 7919) % N) as f64 / N as f64);
    let t = Array1::from_shape_fn(N, |i| match i % 10 {
        0 => 0.0,
        5 => 1.0,
        _ => ((i * 104_729) % 997) as f64 / 997.0,
    });
    (x, t)
}

/// `|got − want| ≤ rel·|want| + abs[i]` element by element, with the index.
fn assert_close(what: &str, got: &[f64], want: &[f64], rel: f64, abs: &[f64]) {
    assert_eq!(got.len(), want.len());
    for (i, ((&g, &w), &a)) in got.iter().zip(want).zip(abs).enumerate() {
        assert!(
            (g - w).abs() <= rel * w.abs() + a,
            "{what}[{i}]: {g:e} vs {w:e}"
        );
    }
}

/// Checks `loss` in f64 and f32 against `value(p, t)` and its derivative
/// `deriv(p, t)` (the mean's gradient is `deriv / N`).
fn check<L64, L32>(
    what: &str,
    (l64, l32): (L64, L32),
    (p, t): (&Array1<f64>, &Array1<f64>),
    value: impl Fn(f64, f64) -> f64,
    deriv: impl Fn(f64, f64) -> f64,
) where
    L64: Loss<f64, ndarray::Ix1, Unreduced = ndarray::Ix1>,
    L32: Loss<f32, ndarray::Ix1, Unreduced = ndarray::Ix1>,
{
    // The definition's values and the mean's gradient at these inputs.
    let reference = |p: &Array1<f64>, t: &Array1<f64>| -> (Vec<f64>, Vec<f64>) {
        let v = Zip::from(p).and(t).map_collect(|&p, &t| value(p, t));
        let g = Zip::from(p)
            .and(t)
            .map_collect(|&p, &t| deriv(p, t) / N as f64);
        (v.to_vec(), g.to_vec())
    };
    let (want, want_g) = reference(p, t);
    // Both sides cancel where the formulas do (see f32 below): besides
    // 1e-12 of the value, 1e-14 of the terms' size (~45 ulp).
    let terms = |scale: f64, p: &Array1<f64>, t: &Array1<f64>| -> Vec<f64> {
        Zip::from(p)
            .and(t)
            .map_collect(|&p, &t| scale * (1.0 + p.abs()) * (1.0 + t.abs()))
            .to_vec()
    };
    let got = l64.unreduced(p, t).unwrap();
    let abs = terms(1e-14, p, t);
    assert_close(
        &format!("{what} f64"),
        got.as_slice().unwrap(),
        &want,
        1e-12,
        &abs,
    );
    let (_, g) = l64.forward_grad(p, t).unwrap();
    let abs = terms(1e-14 / N as f64, p, t);
    assert_close(
        &format!("{what} f64 grad"),
        g.as_slice().unwrap(),
        &want_g,
        1e-11,
        &abs,
    );

    let (p32, t32) = (p.mapv(|x| x as f32), t.mapv(|x| x as f32));
    // The reference at the f32 inputs, so only the arithmetic differs. The
    // f32 formulas cancel (softplus(x) − t·x for large x, y·ln y − y·x), as
    // PyTorch's do: the error is relative to the terms' size, ~(1 + |p|)(1 +
    // |t|), so 2e-6 of that (16 ulp) besides 2e-5 of the value.
    let (p32w, t32w) = (p32.mapv(f64::from), t32.mapv(f64::from));
    let (want, want_g) = reference(&p32w, &t32w);
    let terms = terms(2e-6, &p32w, &t32w);
    let got: Vec<f64> = l32
        .unreduced(&p32, &t32)
        .unwrap()
        .iter()
        .map(|&v| f64::from(v))
        .collect();
    assert_close(&format!("{what} f32"), &got, &want, 2e-5, &terms);
    let (_, g) = l32.forward_grad(&p32, &t32).unwrap();
    let g: Vec<f64> = g.iter().map(|&v| f64::from(v)).collect();
    let terms: Vec<f64> = terms.iter().map(|a| a / N as f64).collect();
    assert_close(&format!("{what} f32 grad"), &g, &want_g, 2e-5, &terms);
}

#[test]
fn sigmoid_focal_for_any_gamma() {
    let (x, t) = logits_and_targets();
    for gamma in [0.0, 0.5, 1.0, 1.5, 2.0, 3.0] {
        for alpha in [None, Some(0.25)] {
            let loss = SigmoidFocal::new().gamma(gamma).alpha(alpha);
            // p = σ(x); ce = ln(1 + eˣ) − t·x; 1 − pₜ = t(1 − p) + (1 − t)p.
            let parts = move |x: f64, t: f64| {
                let p = 1.0 / (1.0 + (-x).exp());
                let ce = x.max(0.0) + (-x.abs()).exp().ln_1p() - t * x;
                let miss = t * (1.0 - p) + (1.0 - t) * p;
                let a = alpha.map_or(1.0, |a| a * t + (1.0 - a) * (1.0 - t));
                (p, ce, miss, a)
            };
            let value = move |x: f64, t: f64| {
                let (_, ce, miss, a) = parts(x, t);
                a * ce * miss.powf(gamma)
            };
            // dℓ/dx = a·((p − t)·m + ce·γ·miss^{γ−1}·(1 − 2t)·p(1 − p)).
            let deriv = move |x: f64, t: f64| {
                let (p, ce, miss, a) = parts(x, t);
                let dm = if gamma == 0.0 || miss == 0.0 {
                    0.0
                } else {
                    gamma * miss.powf(gamma - 1.0) * (1.0 - 2.0 * t) * p * (1.0 - p)
                };
                a * ((p - t) * miss.powf(gamma) + ce * dm)
            };
            check(
                &format!("focal γ={gamma} α={alpha:?}"),
                (loss, loss),
                (&x, &t),
                value,
                deriv,
            );
        }
    }
}

#[test]
fn poisson_nll_with_each_setting() {
    let (x, t) = logits_and_targets();
    // Counts up to 20 (Stirling's term applies above 1) and rates > 0.
    let y = t.mapv(|t| (t * 20.0).round());
    let rate = x.mapv(|x| x.abs() + 0.05);
    let stirling = |y: f64| {
        if y > 1.0 {
            y * y.ln() - y + 0.5 * (2.0 * std::f64::consts::PI * y).ln()
        } else {
            0.0
        }
    };
    for full in [false, true] {
        let extra = move |y: f64| if full { stirling(y) } else { 0.0 };
        let loss = PoissonNll::new().full(full);
        check(
            &format!("poisson log_input full={full}"),
            (loss, loss),
            (&x, &y),
            move |x, y| x.exp() - y * x + extra(y),
            |x, y| x.exp() - y,
        );
        let loss = PoissonNll::new().log_input(false).full(full);
        let eps = 1e-8;
        check(
            &format!("poisson rate full={full}"),
            (loss, loss),
            (&rate, &y),
            move |r, y| r - y * (r + eps).ln() + extra(y),
            move |r, y| 1.0 - y / (r + eps),
        );
    }
}

#[test]
fn kl_div_with_each_target_form() {
    let (x, t) = logits_and_targets();
    let log_p = x.mapv(|x| -(x.abs() / 3.0) - 0.01);
    check(
        "kl",
        (KlDiv::new(), KlDiv::new()),
        (&log_p, &t),
        |x, y| if y == 0.0 { 0.0 } else { y * y.ln() } - y * x,
        |_, y| -y,
    );
    let log_t = t.mapv(|t| (t + 1e-3).ln());
    check(
        "kl log_target",
        (KlDiv::new().log_target(true), KlDiv::new().log_target(true)),
        (&log_p, &log_t),
        |x, y| y.exp() * (y - x),
        |_, y| -y.exp(),
    );
}

#[test]
fn bce_over_the_unit_interval() {
    // Probabilities over [0, 1] with the edges that the kernel's logarithms
    // treat without special cases: 0, −0 and 1 (the clamp at −100), f32
    // subnormals above the clamp (ln 1e-40 ≈ −92.1) and below it, and
    // 1 − 2⁻²⁴; soft and hard targets.
    let (_, t) = logits_and_targets();
    let p = Array1::from_shape_fn(N, |i| match i % 11 {
        0 => 0.0,
        1 => 1.0,
        2 => 1e-40,
        3 => 1e-45,
        4 => 1.0 - 2f64.powi(-24),
        5 => -0.0,
        6 => 3e-8,
        _ => ((i * 7919) % N) as f64 / N as f64,
    });
    let floor = f64::from(1e-12_f32);
    check(
        "bce",
        (Bce::new(), Bce::new()),
        (&p, &t),
        |p, t| -(t * p.ln().max(-100.0) + (1.0 - t) * (-p).ln_1p().max(-100.0)),
        move |p, t| (p - t) / ((1.0 - p) * p).max(floor),
    );
    // NaN propagates to its own value and gradient only, on the kernel path.
    let mut p32 = p.mapv(|x| x as f32);
    p32[500] = f32::NAN;
    let t32 = t.mapv(|x| x as f32);
    let v = Bce::new().unreduced(&p32, &t32).unwrap();
    let (_, g) = Bce::new().forward_grad(&p32, &t32).unwrap();
    for (i, (v, g)) in v.iter().zip(&g).enumerate() {
        assert_eq!(
            (v.is_nan(), g.is_nan()),
            (i == 500, i == 500),
            "{i}: {v} {g}"
        );
    }
}

#[test]
fn msle_over_its_range() {
    // Predictions and targets in [0, 24], some below the clamp ε = 1e-7 and
    // some tiny above it (where ln(1 + x) ≈ x must keep its accuracy).
    let (x, t) = logits_and_targets();
    let p = Array1::from_shape_fn(N, |i| match i % 7 {
        0 => 0.0,
        1 => 3e-8,
        2 => 2e-7 * (1.0 + t[i]),
        _ => x[i] + 12.0,
    });
    let y = t.mapv(|t| 20.0 * t * t);
    let eps = 1e-7;
    let d = move |p: f64, y: f64| p.max(eps).ln_1p() - y.max(eps).ln_1p();
    check(
        "msle",
        (Msle::new(), Msle::new()),
        (&p, &y),
        move |p, y| d(p, y).powi(2),
        move |p, y| {
            if p >= eps {
                2.0 * d(p, y) / (1.0 + p)
            } else {
                0.0
            }
        },
    );
}

/// `CrossEntropy` from logits with probability targets on rows long enough
/// for the dispatched row kernel (≥ 64 classes, row-major), with and without
/// class weights and label smoothing, in f64 and f32, against
/// `Σ_c q_c·(−log_softmax(x)_c)`, `q_c = w_c·((1 − ε)·t_c + ε/C)`, written
/// here in f64; the gradient `softmax_c·Σq − q_c` over the mean's
/// denominator (the number of rows). A column-major copy (the generic row
/// driver) must agree as well.
#[test]
fn cross_entropy_soft_targets_on_long_rows() {
    use ndarray::{Array2, ShapeBuilder};
    let (rows, cols) = (7, 300);
    let x = Array2::from_shape_fn((rows, cols), |(r, c)| {
        -8.0 + 16.0 * (((r * 131 + c * 7919) % 1009) as f64 / 1009.0)
    });
    let t = Array2::from_shape_fn((rows, cols), |(r, c)| {
        let raw = ((r * 17 + c * 29) % 11) as f64;
        raw / (0..cols)
            .map(|k| ((r * 17 + k * 29) % 11) as f64)
            .sum::<f64>()
    });
    let w = Array1::from_shape_fn(cols, |c| 0.5 + (c % 5) as f64 * 0.25);
    for (weights, eps) in [(None, 0.0), (None, 0.1), (Some(&w), 0.0), (Some(&w), 0.2)] {
        let mut ce = CrossEntropy::new().label_smoothing(eps);
        if let Some(w) = weights {
            ce = ce.class_weights(w.clone());
        }
        // The definition, in f64.
        let mut want_v = 0.0;
        let mut want_g = Array2::<f64>::zeros((rows, cols));
        for r in 0..rows {
            let m = x.row(r).fold(f64::NEG_INFINITY, |a, &b| a.max(b));
            let s: f64 = x.row(r).iter().map(|&v| (v - m).exp()).sum();
            let q = |c: usize| {
                weights.map_or(1.0, |w| w[c]) * ((1.0 - eps) * t[[r, c]] + eps / cols as f64)
            };
            let total: f64 = (0..cols).map(q).sum();
            for c in 0..cols {
                let logp = x[[r, c]] - m - s.ln();
                want_v -= q(c) * logp;
                want_g[[r, c]] = (logp.exp() * total - q(c)) / rows as f64;
            }
        }
        want_v /= rows as f64;
        let (v, g) = ce.forward_grad(&x, &t).unwrap();
        assert!(
            (v - want_v).abs() <= 1e-12 * want_v.abs(),
            "{v} vs {want_v}"
        );
        let g_err = (&g - &want_g).iter().fold(0.0_f64, |a, &e| a.max(e.abs()));
        assert!(g_err <= 1e-15, "f64 gradient off by {g_err:e}");
        // f32, row-major (the kernel) and column-major (the generic driver).
        let (x32, t32) = (x.mapv(|v| v as f32), t.mapv(|v| v as f32));
        let mut xf = Array2::<f32>::zeros((rows, cols).f());
        xf.assign(&x32);
        let mut tf = Array2::<f32>::zeros((rows, cols).f());
        tf.assign(&t32);
        for (xs, ts) in [(&x32, &t32), (&xf, &tf)] {
            let (v, g) = ce.forward_grad(xs, ts).unwrap();
            assert!(
                (f64::from(v) - want_v).abs() <= 2e-6 * want_v.abs(),
                "f32 {v} vs {want_v}"
            );
            let g_err = g
                .iter()
                .zip(&want_g)
                .fold(0.0_f64, |a, (&gf, &gw)| a.max((f64::from(gf) - gw).abs()));
            assert!(g_err <= 1e-7, "f32 gradient off by {g_err:e}");
        }
    }
}

/// `CrossEntropy::from_probs` (Keras' probability inputs) with class-index
/// targets and no label smoothing takes a one-logarithm row; with the same
/// targets one-hot as probabilities it takes the general row. Both must
/// give the same values and gradients, bit for bit (up to the sign of
/// zero), with and without class weights, in f64 and f32, including
/// targets whose normalised probability is clipped below at 1e-7 or above
/// at 1 − 1e-7, and a row with an infinite entry (NaN either way).
#[test]
fn cross_entropy_from_probs_class_rows_are_the_general_rows() {
    let (rows, cols) = (9, 70);
    let mut p = ndarray::Array2::from_shape_fn((rows, cols), |(r, c)| {
        0.05 + ((r * 31 + c * 17) % 101) as f64 / 50.0
    });
    let y = Array1::from_shape_fn(rows, |r| (r * 13) % cols);
    p[[1, y[1]]] = 1e-12; // clipped at 1e-7
    p[[2, y[2]]] = 0.0; // clipped, zero gradient
    for c in 0..cols {
        if c != y[3] {
            p[[3, c]] = 1e-12; // the target's probability clipped at 1 − 1e-7
        }
    }
    p[[4, 0]] = f64::INFINITY;
    let onehot =
        ndarray::Array2::from_shape_fn((rows, cols), |(r, c)| if c == y[r] { 1.0 } else { 0.0 });
    let weights = Array1::from_shape_fn(cols, |c| 0.5 + (c % 7) as f64 / 4.0);
    // Sums: with class weights the mean's denominator differs by design
    // (Σ w_y for class indices, the row count for probabilities, as PyTorch).
    let sum = CrossEntropy::new()
        .from_probs(true)
        .reduction(Reduction::Sum);
    for ce in [sum.clone(), sum.class_weights(weights)] {
        let check = |v_idx: f64, v_hot: f64, g_idx: Vec<f64>, g_hot: Vec<f64>, what: &str| {
            assert!(
                v_idx.is_nan() && v_hot.is_nan() || v_idx == v_hot,
                "{what}: {v_idx} vs {v_hot}"
            );
            for (i, (a, b)) in g_idx.iter().zip(&g_hot).enumerate() {
                assert!(
                    a.is_nan() && b.is_nan() || a == b,
                    "{what} gradient [{i}]: {a} vs {b}"
                );
            }
        };
        let v_idx = ce.unreduced(&p, &y).unwrap();
        let v_hot = ce.unreduced(&p, &onehot).unwrap();
        for r in 0..rows {
            check(v_idx[r], v_hot[r], vec![], vec![], "f64 row value");
        }
        assert!(v_idx[4].is_nan() && v_idx[3] > 0.0 && v_idx[2] > 16.0);
        let (p_fin, y_fin, hot_fin) = (
            p.slice(ndarray::s![..4, ..]).to_owned(),
            y.slice(ndarray::s![..4]).to_owned(),
            onehot.slice(ndarray::s![..4, ..]).to_owned(),
        );
        let (a, ga) = ce.forward_grad(&p_fin, &y_fin).unwrap();
        let (b, gb) = ce.forward_grad(&p_fin, &hot_fin).unwrap();
        check(
            a,
            b,
            ga.iter().copied().collect(),
            gb.iter().copied().collect(),
            "f64",
        );
        let (p32, h32) = (p_fin.mapv(|v| v as f32), hot_fin.mapv(|v| v as f32));
        let (a, ga) = ce.forward_grad(&p32, &y_fin).unwrap();
        let (b, gb) = ce.forward_grad(&p32, &h32).unwrap();
        let wide = |g: ndarray::Array2<f32>| g.iter().map(|&v| f64::from(v)).collect();
        check(f64::from(a), f64::from(b), wide(ga), wide(gb), "f32");
    }
}
