//! `Ctc`: parity with PyTorch's `ctc_loss` (`tests/data/ctc.json`, from
//! `scripts/gen_reference_ctc.py`) in two layouts, the loss against a brute
//! force sum over every path, central finite differences of both gradient
//! forms, a 5000-frame sequence against a plain scalar recursion, every error path
//! with the gradient buffer untouched, and no panic on arbitrary input.

use crate::common::{array, assert_close, cast, finite_diff, index_array, load, num, rtol, Worst};
use ndarray::{Array1, Array2, Array3, ArrayD, Axis, Ix2, Ix3, IxDyn, ShapeBuilder};
use ndloss::loss::{Ctc, CtcGradient, CtcTargets, Reduction};
use ndloss::{Error, Float};
use proptest::prelude::*;
use serde_json::Value;

fn ctc_of(case: &Value) -> Ctc {
    let reduction = match case["reduction"].as_str().unwrap() {
        "mean" => Reduction::Mean,
        "sum" => Reduction::Sum,
        r => panic!("reduction {r}"),
    };
    Ctc::new()
        .blank(case["blank"].as_u64().unwrap() as usize)
        .zero_infinity(case["zero_infinity"].as_bool().unwrap())
        .reduction(reduction)
}

fn lengths(v: &Value) -> Vec<usize> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as usize)
        .collect()
}

/// The same values in column-major order (`T` fastest): no row is contiguous.
fn column_major<A: Float>(a: &Array3<A>) -> Array3<A> {
    let mut b = Array3::zeros(a.raw_dim().f());
    b.assign(a);
    b
}

/// One case at type `A`: the reduced value, the per-sample losses and both
/// gradient forms, in standard and in column-major layout.
fn run_case<A: Float>(case: &Value, worst: &Worst) {
    let name = case["name"].as_str().unwrap();
    let dtype = case["dtype"].as_str().unwrap();
    let tol = rtol(dtype);
    let ctc = ctc_of(case);
    let lp = cast::<A, _>(&array(&case["log_probs"]));
    let targets = index_array(&case["targets"]);
    let il = lengths(&case["input_lengths"]);
    let tl = lengths(&case["target_lengths"]);
    let want_value = num(&case["value"]);
    let want_unreduced = array(&case["unreduced"]);
    let want_grad = array(&case["grad"]);
    // PyTorch's gradient entries are probabilities (times the reduction's
    // factor): a difference near 0 is judged against the largest entry.
    let floor = want_grad
        .iter()
        .filter(|g| g.is_finite())
        .fold(0.0_f64, |m, g| m.max(g.abs()))
        .max(1e-300);
    let t2 = targets.view().into_dimensionality::<Ix2>().ok();
    let t1 = targets.view().into_dimensionality::<ndarray::Ix1>().ok();
    let tg = || -> CtcTargets<'_> {
        match (&t2, &t1) {
            (Some(t), _) => t.into(),
            (None, Some(t)) => t.into(),
            _ => panic!("{name}: targets of rank {}", targets.ndim()),
        }
    };
    let check =
        |value: A, unreduced: Array1<A>, grad: ArrayD<A>, exact: ArrayD<A>, layout: &str| {
            let ctx = format!("{name} ({layout})");
            let e = crate::common::assert_scalar(value, want_value, tol, &format!("{ctx}: value"));
            worst.record("ctc", dtype, e);
            let e = assert_close(
                unreduced.view().into_dyn(),
                &want_unreduced,
                tol,
                1e-300,
                &format!("{ctx}: unreduced"),
            );
            worst.record("ctc", dtype, e);
            let e = assert_close(grad.view(), &want_grad, tol, floor, &format!("{ctx}: grad"));
            worst.record("ctc", dtype, e);
            // The exact form is PyTorch's without exp(log_probs), inside the input lengths.
            // A sample whose gradient PyTorch zeroed (zero_infinity) is zero in both forms.
            let zeroed = |n: usize| {
                want_grad
                    .indexed_iter()
                    .all(|(idx, &w)| (if lp.ndim() == 3 { idx[1] } else { 0 }) != n || w == 0.0)
            };
            let mut want_exact = want_grad.clone();
            for ((idx, w), &y) in want_exact.indexed_iter_mut().zip(lp.iter()) {
                let n = if lp.ndim() == 3 { idx[1] } else { 0 };
                if idx[0] < il[n] && !zeroed(n) {
                    *w -= y.to_f64().exp() * scale_of(&ctc, &tl, n);
                }
            }
            assert_close(
                exact.view(),
                &want_exact,
                tol,
                floor,
                &format!("{ctx}: exact grad"),
            );
        };
    let exact = ctc.gradient(CtcGradient::LogProbs);
    if case["unbatched"].as_bool().unwrap() {
        let lp2 = lp.clone().into_dimensionality::<Ix2>().unwrap();
        for (layout, x) in [
            ("standard", lp2.clone()),
            ("column-major", {
                let mut f = Array2::zeros(lp2.raw_dim().f());
                f.assign(&lp2);
                f
            }),
        ] {
            let v = ctc.forward(&x, tg(), &il, &tl).unwrap();
            let (v2, g) = ctc.forward_grad(&x, tg(), &il, &tl).unwrap();
            assert_eq!(
                v.to_f64().to_bits(),
                v2.to_f64().to_bits(),
                "{name}: forward = forward_grad"
            );
            let u = ctc.unreduced(&x, tg(), &il, &tl).unwrap();
            let ge = exact.grad(&x, tg(), &il, &tl).unwrap();
            check(v, u, g.into_dyn(), ge.into_dyn(), layout);
        }
    } else {
        let lp3 = lp.clone().into_dimensionality::<Ix3>().unwrap();
        for (layout, x) in [
            ("standard", lp3.clone()),
            ("column-major", column_major(&lp3)),
        ] {
            let v = ctc.forward(&x, tg(), &il, &tl).unwrap();
            let (v2, g) = ctc.forward_grad(&x, tg(), &il, &tl).unwrap();
            assert_eq!(
                v.to_f64().to_bits(),
                v2.to_f64().to_bits(),
                "{name}: forward = forward_grad"
            );
            let u = ctc.unreduced(&x, tg(), &il, &tl).unwrap();
            let ge = exact.grad(&x, tg(), &il, &tl).unwrap();
            check(v, u, g.into_dyn(), ge.into_dyn(), layout);
        }
    }
}

/// The reduction's factor on sample `n`'s gradient.
fn scale_of(ctc: &Ctc, tl: &[usize], n: usize) -> f64 {
    let batch = tl.len() as f64;
    match ctc.get_reduction() {
        Reduction::Sum => 1.0,
        Reduction::BatchMean => 1.0 / batch,
        Reduction::Mean => 1.0 / batch / tl[n].max(1) as f64,
        _ => unreachable!(),
    }
}

#[test]
fn every_reference_case_matches_pytorch() {
    let data = load("ctc.json");
    let cases = data["cases"].as_array().unwrap();
    assert!(
        cases.len() >= 40,
        "reference file truncated: {} cases",
        cases.len()
    );
    let worst = Worst::default();
    for case in cases {
        match case["dtype"].as_str().unwrap() {
            "f32" => run_case::<f32>(case, &worst),
            "f64" => run_case::<f64>(case, &worst),
            d => panic!("dtype {d}"),
        }
    }
    worst.print("loss");
}

// ---------------------------------------------------------------------------
// brute force and finite differences
// ---------------------------------------------------------------------------

/// `−log Σ_π Π_t p_t(π_t)` over every path of `t` frames that collapses to
/// `target` (merge repeats, drop blanks): the definition, by enumeration.
fn brute_force(lp: &Array2<f64>, target: &[usize], blank: usize) -> f64 {
    let (t, c) = lp.dim();
    let mut total = 0.0;
    let mut path = vec![0usize; t];
    loop {
        let mut collapsed = Vec::new();
        let mut prev = None;
        for &k in &path {
            if Some(k) != prev && k != blank {
                collapsed.push(k);
            }
            prev = Some(k);
        }
        if collapsed == target {
            total += path
                .iter()
                .enumerate()
                .map(|(i, &k)| lp[[i, k]])
                .sum::<f64>()
                .exp();
        }
        // Next path, as a base-c counter.
        let mut i = 0;
        loop {
            if i == t {
                return -total.ln();
            }
            path[i] += 1;
            if path[i] < c {
                break;
            }
            path[i] = 0;
            i += 1;
        }
    }
}

fn log_softmax(z: &ArrayD<f64>) -> ArrayD<f64> {
    let mut out = z.clone();
    for mut row in out.lanes_mut(Axis(z.ndim() - 1)) {
        let m = row.fold(f64::NEG_INFINITY, |m, &v| m.max(v));
        let s = row.iter().map(|v| (v - m).exp()).sum::<f64>().ln();
        row.mapv_inplace(|v| v - m - s);
    }
    out
}

/// A batch: logits `(T, N, C)`, input lengths, targets (any, no blank 0).
fn batch() -> impl Strategy<Value = (ArrayD<f64>, Vec<usize>, Vec<Vec<usize>>)> {
    (1usize..6, 1usize..4, 2usize..5).prop_flat_map(|(t, n, c)| {
        (
            crate::common::strategies::array_in(vec![t, n, c], -3.0, 3.0),
            prop::collection::vec(0..=t, n),
            prop::collection::vec(prop::collection::vec(1..c, 0..4), n),
        )
    })
}

fn concat(targets: &[Vec<usize>]) -> (Vec<usize>, Vec<usize>) {
    (targets.concat(), targets.iter().map(Vec::len).collect())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn the_loss_is_the_sum_over_every_path(
        (z, il, targets) in batch(),
        blank_last in any::<bool>(),
    ) {
        let lp = log_softmax(&z).into_dimensionality::<Ix3>().unwrap();
        let c = lp.dim().2;
        // With the blank last, the labels 1..c become 0..c−1.
        let (blank, targets): (usize, Vec<Vec<usize>>) = if blank_last {
            (c - 1, targets.iter().map(|t| t.iter().map(|k| k - 1).collect()).collect())
        } else {
            (0, targets)
        };
        let (flat, tl) = concat(&targets);
        let got = Ctc::new().blank(blank).unreduced(&lp, &flat, &il, &tl).unwrap();
        for (n, target) in targets.iter().enumerate() {
            let frames = lp.index_axis(Axis(1), n).slice(ndarray::s![..il[n], ..]).to_owned();
            let want = if il[n] == 0 {
                if target.is_empty() { 0.0 } else { f64::INFINITY }
            } else {
                brute_force(&frames, target, blank)
            };
            prop_assert!(
                got[n] == want || (got[n] - want).abs() <= 1e-12 * want.abs().max(1.0),
                "sample {}: {} vs brute force {}", n, got[n], want
            );
        }
    }

    #[test]
    fn exact_gradient_is_the_finite_difference(
        (x, il, targets) in batch(),
        r in crate::common::strategies::reductions(),
    ) {
        // Any log-probabilities, normalised or not: the exact form is the partial derivative.
        let (flat, tl) = concat(&targets);
        let ctc = Ctc::new().gradient(CtcGradient::LogProbs).reduction(r);
        let x3 = x.clone().into_dimensionality::<Ix3>().unwrap();
        let (v, g) = ctc.forward_grad(&x3, &flat, &il, &tl).unwrap();
        prop_assume!(v.is_finite());
        let numeric = finite_diff(&x, |x| {
            ctc.forward(&x.view().into_dimensionality::<Ix3>().unwrap(), &flat, &il, &tl).unwrap()
        });
        crate::common::grad_matches(&g, &numeric)?;
    }

    #[test]
    fn pytorch_gradient_is_the_finite_difference_through_log_softmax(
        (z, il, targets) in batch(),
        r in crate::common::strategies::reductions(),
        zero_infinity in any::<bool>(),
    ) {
        // PyTorch's form is the gradient with respect to the logits of log_softmax.
        let (flat, tl) = concat(&targets);
        let ctc = Ctc::new().reduction(r).zero_infinity(zero_infinity);
        let lp = log_softmax(&z).into_dimensionality::<Ix3>().unwrap();
        let (v, g) = ctc.forward_grad(&lp, &flat, &il, &tl).unwrap();
        prop_assume!(v.is_finite());
        let numeric = finite_diff(&z, |z| {
            ctc.forward(&log_softmax(z).into_dimensionality::<Ix3>().unwrap(), &flat, &il, &tl).unwrap()
        });
        crate::common::grad_matches(&g, &numeric)?;
    }

    #[test]
    fn arbitrary_input_is_a_value_or_an_error(
        shape in (0usize..5, 0usize..4, 0usize..5),
        values in prop::collection::vec(prop_oneof![-50.0..5.0, Just(f64::NAN), Just(f64::NEG_INFINITY), Just(f64::INFINITY)], 100),
        il in prop::collection::vec(0usize..7, 0..5),
        tl in prop::collection::vec(0usize..5, 0..5),
        flat in prop::collection::vec(0usize..7, 0..12),
        blank in 0usize..6,
        padded in any::<bool>(),
        r in crate::common::strategies::reductions(),
    ) {
        let (t, n, c) = shape;
        let lp = Array3::from_shape_fn((t, n, c), |(i, j, k)| values[(i * n + j) * c + k]);
        let ctc = Ctc::new().blank(blank).reduction(r);
        let before = Array3::from_elem((t, n, c), 7.0);
        let mut g = before.clone();
        let result = if padded {
            let w = flat.len() / n.max(1);
            let p = Array2::from_shape_vec((n, w), flat[..n * w].to_vec()).unwrap();
            let _ = ctc.forward(&lp, &p, &il, &tl);
            let _ = ctc.unreduced(&lp, &p, &il, &tl);
            ctc.forward_grad_into(&lp, &p, &il, &tl, &mut g)
        } else {
            let _ = ctc.forward(&lp, &flat, &il, &tl);
            let _ = ctc.unreduced(&lp, &flat, &il, &tl);
            ctc.forward_grad_into(&lp, &flat, &il, &tl, &mut g)
        };
        if result.is_err() {
            prop_assert_eq!(g, before, "an error wrote the gradient");
        }
    }
}

// ---------------------------------------------------------------------------
// long sequences
// ---------------------------------------------------------------------------

/// `−log p` by the plain recursion: scalar, in log space with `std`'s
/// `exp` and `ln_1p`, one state at a time (a second implementation; a
/// rescaled recursion in probability space is no reference here, since it
/// drops states far ahead of the bulk of α that the end of a long target
/// needs).
fn plain_nll(lp: &Array2<f64>, target: &[usize], blank: usize) -> f64 {
    fn add(a: f64, b: f64) -> f64 {
        if a == f64::NEG_INFINITY {
            return b;
        }
        if b == f64::NEG_INFINITY {
            return a;
        }
        a.max(b) + (-(a - b).abs()).exp().ln_1p()
    }
    let mut ext = vec![blank];
    for &k in target {
        ext.extend([k, blank]);
    }
    let l = ext.len();
    let mut alpha = vec![f64::NEG_INFINITY; l];
    alpha[0] = lp[[0, ext[0]]];
    if l > 1 {
        alpha[1] = lp[[0, ext[1]]];
    }
    for t in 1..lp.nrows() {
        let prev = alpha.clone();
        for s in 0..l {
            let mut a = prev[s];
            if s >= 1 {
                a = add(a, prev[s - 1]);
            }
            if s >= 2 && ext[s] != ext[s - 2] {
                a = add(a, prev[s - 2]);
            }
            alpha[s] = a + lp[[t, ext[s]]];
        }
    }
    -add(
        alpha[l - 1],
        if l > 1 {
            alpha[l - 2]
        } else {
            f64::NEG_INFINITY
        },
    )
}

#[test]
fn five_thousand_frames_agree_with_the_plain_recursion() {
    let (t, c, s) = (5000, 6, 400);
    let mut state = 0x5EED_u64;
    let mut next = || {
        // SplitMix64 to [0, 1).
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    };
    let z = ArrayD::from_shape_fn(IxDyn(&[t, c]), |_| 4.0 * next() - 2.0);
    let lp = log_softmax(&z).into_dimensionality::<Ix2>().unwrap();
    let target: Vec<usize> = (0..s)
        .map(|_| 1 + (next() * (c - 1) as f64) as usize)
        .collect();
    let want = plain_nll(&lp, &target, 0);
    let sum = Ctc::new().reduction(Reduction::Sum);
    let (v, g) = sum.forward_grad(&lp, &target, &[t], &[s]).unwrap();
    assert!(want > 1000.0 && want.is_finite(), "{want}");
    assert!((v - want).abs() <= 1e-12 * want, "{v} vs {want}");
    // Every frame's posteriors sum to 1: the exact gradient's rows to −1.
    let exact = sum
        .gradient(CtcGradient::LogProbs)
        .grad(&lp, &target, &[t], &[s])
        .unwrap();
    for (i, row) in exact.rows().into_iter().enumerate() {
        let total: f64 = row.sum();
        assert!((total + 1.0).abs() < 1e-9, "frame {i}: Σγ = {}", -total);
    }
    // PyTorch's form sums to 0 per frame.
    assert!(g.rows().into_iter().all(|r| r.sum().abs() < 1e-9));
    // f32 input: the recursion runs in f64, so the value is the f64 one of
    // the rounded input, to f32's rounding of the result.
    let lp32 = lp.mapv(|v| v as f32);
    let v32 = sum.forward(&lp32, &target, &[t], &[s]).unwrap();
    let want32 = plain_nll(&lp32.mapv(f64::from), &target, 0);
    assert!(
        ((v32 as f64) - want32).abs() <= 1e-7 * want32,
        "{v32} vs {want32}"
    );
}

// ---------------------------------------------------------------------------
// by hand
// ---------------------------------------------------------------------------

#[test]
fn two_frames_by_hand() {
    // C = 3 (blank 0), frames p_0 = (0.5, 0.3, 0.2), p_1 = (0.1, 0.6, 0.3), target "1 2":
    // the only path is 1 2, so ℓ = −ln(0.3·0.3), γ_0(1) = γ_1(2) = 1.
    let lp = Array3::from_shape_vec((2, 1, 3), vec![0.5_f64, 0.3, 0.2, 0.1, 0.6, 0.3])
        .unwrap()
        .mapv(f64::ln);
    let targets = Array2::from_shape_vec((1, 3), vec![1_usize, 2, 9]).unwrap(); // 9: padding
    let ctc = Ctc::new()
        .reduction(Reduction::Sum)
        .gradient(CtcGradient::LogProbs);
    let (v, g) = ctc.forward_grad(&lp, &targets, &[2], &[2]).unwrap();
    assert!((v + (0.09_f64).ln()).abs() < 1e-14);
    let want = [0.0, -1.0, 0.0, 0.0, 0.0, -1.0];
    for (a, b) in g.iter().zip(want) {
        assert!((a - b).abs() < 1e-14, "{g}");
    }
    // Mean divides by the target length (2) and the batch (1).
    let m = Ctc::new().forward(&lp, &targets, &[2], &[2]).unwrap();
    assert!((m - v / 2.0).abs() < 1e-14);
    // Batch mean divides by the batch only.
    let b = Ctc::new()
        .reduction(Reduction::BatchMean)
        .forward(&lp, &targets, &[2], &[2])
        .unwrap();
    assert!((b - v).abs() < 1e-14);
    // Repeated "1 1" needs a blank between: three frames at least.
    let u = Ctc::new()
        .unreduced(&lp, &[1_usize, 1][..], &[2], &[2])
        .unwrap();
    assert_eq!(u[0], f64::INFINITY);
    let z = Ctc::new().zero_infinity(true).reduction(Reduction::Sum);
    let mut g = Array3::from_elem((2, 1, 3), 5.0);
    assert_eq!(
        z.forward_grad_into(&lp, &[1_usize, 1][..], &[2], &[2], &mut g)
            .unwrap(),
        0.0
    );
    assert!(g.iter().all(|&x| x == 0.0));
    // Without zero_infinity the gradient of an infinite loss is NaN, as PyTorch's.
    let (v, g) = Ctc::new()
        .forward_grad(&lp, &[1_usize, 1][..], &[2], &[2])
        .unwrap();
    assert_eq!(v, f64::INFINITY);
    assert!(g.iter().all(|x| x.is_nan()));
}

#[test]
fn frames_past_the_input_length_are_not_read() {
    let mut lp = Array3::from_elem((4, 2, 3), (1.0_f64 / 3.0).ln());
    let t = Array2::from_shape_vec((2, 2), vec![1_usize, 2, 2, 0]).unwrap();
    let (il, tl) = ([2, 3], [2, 1]);
    let ctc = Ctc::new().reduction(Reduction::Sum);
    let (v, g) = ctc.forward_grad(&lp, &t, &il, &tl).unwrap();
    lp[[3, 0, 1]] = f64::NAN;
    lp[[2, 0, 0]] = 40.0;
    lp[[3, 1, 2]] = f64::NAN;
    let (v2, g2) = ctc.forward_grad(&lp, &t, &il, &tl).unwrap();
    assert_eq!(v.to_bits(), v2.to_bits());
    assert_eq!(g, g2);
    assert!(g.slice(ndarray::s![2.., 0, ..]).iter().all(|&x| x == 0.0));
    assert!(g.slice(ndarray::s![3.., 1, ..]).iter().all(|&x| x == 0.0));
    // Zero frames: the empty target has probability 1, any other 0.
    let u = ctc
        .unreduced(&lp, &[1_usize][..], &[0, 0], &[0, 1])
        .unwrap();
    assert_eq!(u.to_vec(), vec![0.0, f64::INFINITY]);
}

#[test]
fn saturated_frames_stay_finite() {
    // log-probabilities near −1000 for the labels the only alignment takes:
    // ℓ is about 1000·T, far below f64's smallest probability, and finite.
    let t = 50;
    let mut lp = Array3::from_elem((t, 1, 3), -1000.0_f64);
    for i in 0..t {
        lp[[i, 0, 0]] = 0.0; // blank certain
    }
    let target: Vec<usize> = (0..t).map(|i| 1 + i % 2).collect(); // needs every frame
    let (v, g) = Ctc::new()
        .reduction(Reduction::Sum)
        .gradient(CtcGradient::LogProbs)
        .forward_grad(&lp, &target, &[t], &[t])
        .unwrap();
    assert!((v - 1000.0 * t as f64).abs() < 1e-9, "{v}");
    for i in 0..t {
        assert!((g[[i, 0, 1 + i % 2]] + 1.0).abs() < 1e-12);
        assert_eq!(g[[i, 0, 0]], 0.0);
    }
}

#[test]
fn zero_probabilities_get_the_limit_not_nan() {
    // Classes of probability 0 (y = −∞), in the target and outside it: the
    // loss and gradient are those of a tiny probability (e^−10⁴ is 0 in
    // f64), where PyTorch's gradient is NaN.
    let (t, c) = (7, 4);
    let z = Array3::from_shape_fn((t, 1, c), |(i, _, k)| ((i * 7 + k * 3) % 5) as f64 * 0.4);
    let z = log_softmax(&z.into_dyn())
        .into_dimensionality::<Ix3>()
        .unwrap();
    let target = [1_usize, 2, 1];
    for form in [CtcGradient::PyTorch, CtcGradient::LogProbs] {
        let ctc = Ctc::new().reduction(Reduction::Sum).gradient(form);
        let (mut zero, mut tiny) = (z.clone(), z.clone());
        for (i, k) in [(0, 3), (1, 3), (2, 1), (4, 3), (5, 2), (6, 0)] {
            zero[[i, 0, k]] = f64::NEG_INFINITY;
            tiny[[i, 0, k]] = -1e4;
        }
        let (v0, g0) = ctc.forward_grad(&zero, &target[..], &[t], &[3]).unwrap();
        let (v1, g1) = ctc.forward_grad(&tiny, &target[..], &[t], &[3]).unwrap();
        assert!(
            v0.is_finite() && (v0 - v1).abs() <= 1e-13 * v1.abs(),
            "{v0} {v1}"
        );
        for (a, b) in g0.iter().zip(&g1) {
            assert!(a.is_finite() && (a - b).abs() <= 1e-13, "{a} {b}");
        }
        // The blank at the last frame is impossible, so the last label is
        // emitted there for sure: γ = 1.
        assert!((g0[[6, 0, 1]] - (form_p(form, z[[6, 0, 1]]) - 1.0)).abs() < 1e-12);
    }
}

/// `exp(y)` in PyTorch's form, 0 in the exact one.
fn form_p(form: CtcGradient, y: f64) -> f64 {
    match form {
        CtcGradient::PyTorch => y.exp(),
        CtcGradient::LogProbs => 0.0,
    }
}

// ---------------------------------------------------------------------------
// errors
// ---------------------------------------------------------------------------

#[test]
fn every_bad_input_is_a_typed_error_and_writes_nothing() {
    let lp = Array3::from_elem((4, 2, 3), (1.0_f64 / 3.0).ln());
    let padded = Array2::from_shape_vec((2, 2), vec![1_usize, 2, 2, 0]).unwrap();
    let ctc = Ctc::new();
    let fresh = || Array3::from_elem((4, 2, 3), 9.0);
    let run = |ctc: Ctc, t: CtcTargets<'_>, il: &[usize], tl: &[usize]| -> Error {
        let mut g = fresh();
        let e = ctc
            .forward_grad_into(&lp, t.clone(), il, tl, &mut g)
            .unwrap_err();
        assert_eq!(g, fresh(), "{e}: the gradient was written");
        assert_eq!(ctc.forward(&lp, t.clone(), il, tl).unwrap_err(), e);
        assert_eq!(ctc.unreduced(&lp, t, il, tl).unwrap_err(), e);
        e
    };
    let e = run(ctc.blank(3), (&padded).into(), &[4, 4], &[2, 1]);
    assert!(
        matches!(e, Error::InvalidHyperparameter { name: "blank", .. }),
        "{e}"
    );
    let e = run(ctc, (&padded).into(), &[4], &[2, 1]);
    assert!(
        matches!(
            e,
            Error::ShapeMismatch {
                what: "input_lengths",
                ..
            }
        ),
        "{e}"
    );
    let e = run(ctc, (&padded).into(), &[4, 4], &[2, 1, 0]);
    assert!(
        matches!(
            e,
            Error::ShapeMismatch {
                what: "target_lengths",
                ..
            }
        ),
        "{e}"
    );
    let e = run(ctc, (&padded).into(), &[4, 5], &[2, 1]);
    assert!(
        matches!(&e, Error::InvalidValue { what: "input_lengths", index, .. } if index == &[1]),
        "{e}"
    );
    let e = run(ctc, (&padded).into(), &[4, 4], &[3, 1]);
    assert!(
        matches!(
            e,
            Error::InvalidValue {
                what: "target_lengths",
                ..
            }
        ),
        "{e}"
    );
    let three = Array2::from_shape_vec((3, 1), vec![1_usize, 1, 1]).unwrap();
    let e = run(ctc, (&three).into(), &[4, 4], &[1, 1]);
    assert!(
        matches!(
            e,
            Error::ShapeMismatch {
                what: "targets",
                ..
            }
        ),
        "{e}"
    );
    let flat = [1_usize, 2, 1];
    let e = run(ctc, flat[..].into(), &[4, 4], &[2, 2]);
    assert!(
        matches!(
            e,
            Error::ShapeMismatch {
                what: "targets",
                ..
            }
        ),
        "{e}"
    );
    let e = run(ctc, flat[..].into(), &[4, 4], &[1, 1]);
    assert!(
        matches!(
            e,
            Error::ShapeMismatch {
                what: "targets",
                ..
            }
        ),
        "{e}"
    );
    let bad_class = [1_usize, 3];
    let e = run(ctc, bad_class[..].into(), &[4, 4], &[1, 1]);
    assert_eq!(e, ctc_class_error(1, 3, 3));
    let blank_inside = Array2::from_shape_vec((2, 2), vec![1_usize, 2, 2, 0]).unwrap();
    let e = run(ctc, (&blank_inside).into(), &[4, 4], &[2, 2]);
    assert!(
        matches!(&e, Error::InvalidValue { what: "targets", index, .. } if index == &[1, 1]),
        "{e}"
    );
    // The padding after a target length is not read (the 0 above is padding here).
    assert!(ctc.forward(&lp, &blank_inside, &[4, 4], &[2, 1]).is_ok());
    // A gradient buffer of another shape.
    let mut small = Array3::<f64>::zeros((4, 2, 2));
    let e = ctc
        .forward_grad_into(&lp, &padded, &[4, 4], &[2, 1], &mut small)
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::ShapeMismatch {
                what: "gradient buffer",
                ..
            }
        ),
        "{e}"
    );
    assert!(small.iter().all(|&x| x == 0.0));
    // A mean over no samples.
    let empty = Array3::<f64>::zeros((4, 0, 3));
    let none: [usize; 0] = [];
    let e = ctc.forward(&empty, &none[..], &none, &none).unwrap_err();
    assert!(matches!(e, Error::EmptyReduction { .. }), "{e}");
    assert_eq!(
        ctc.reduction(Reduction::Sum)
            .forward(&empty, &none[..], &none, &none),
        Ok(0.0)
    );
    assert_eq!(
        ctc.unreduced(&empty, &none[..], &none, &none)
            .unwrap()
            .len(),
        0
    );
}

fn ctc_class_error(sample: usize, class: usize, num_classes: usize) -> Error {
    // ClassOutOfRange is #[non_exhaustive]: build it through a real call.
    let lp = Array3::from_elem((1, sample + 1, num_classes), 0.0_f64);
    let mut t = vec![1_usize; sample + 1];
    t[sample] = class;
    let il = vec![1; sample + 1];
    let tl = vec![1; sample + 1];
    let e = Ctc::new().forward(&lp, &t, &il, &tl).unwrap_err();
    match &e {
        Error::ClassOutOfRange {
            sample: s,
            class: k,
            num_classes: c,
            ..
        } => {
            assert_eq!((*s, *k, *c), (sample, class, num_classes));
        }
        other => panic!("{other}"),
    }
    e
}

#[test]
fn settings_round_trip() {
    let c = Ctc::new()
        .blank(4)
        .zero_infinity(true)
        .gradient(CtcGradient::LogProbs)
        .reduction(Reduction::Sum);
    assert_eq!(c.get_blank(), 4);
    assert!(c.get_zero_infinity());
    assert_eq!(c.get_gradient(), CtcGradient::LogProbs);
    assert_eq!(c.get_reduction(), Reduction::Sum);
    assert_eq!(Ctc::default(), Ctc::new());
}

#[cfg(feature = "rayon")]
#[test]
fn batches_are_bit_identical_for_any_thread_count() {
    let (t, n, c) = (120, 9, 12);
    let z = ArrayD::from_shape_fn(IxDyn(&[t, n, c]), |i| {
        ((i[0] * 31 + i[1] * 7 + i[2] * 3) % 17) as f64 * 0.3 - 2.0
    });
    let lp = log_softmax(&z)
        .into_dimensionality::<Ix3>()
        .unwrap()
        .mapv(|v| v as f32);
    let targets: Vec<Vec<usize>> = (0..n)
        .map(|i| {
            (0..(5 + 4 * i))
                .map(|j| 1 + (i + j * j) % (c - 1))
                .collect()
        })
        .collect();
    let (flat, tl) = concat(&targets);
    let il: Vec<usize> = (0..n).map(|i| t - 3 * i).collect();
    let run = |k: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(k)
            .build()
            .unwrap()
            .install(|| Ctc::new().forward_grad(&lp, &flat, &il, &tl).unwrap())
    };
    let (v1, g1) = run(1);
    for k in [2, 3] {
        let (v, g) = run(k);
        assert_eq!(v.to_bits(), v1.to_bits(), "{k} threads");
        assert!(
            g.iter().zip(&g1).all(|(a, b)| a.to_bits() == b.to_bits()),
            "{k} threads"
        );
    }
}
