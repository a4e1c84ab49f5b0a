//! The multi-input losses (`MarginRanking`, `GaussianNll`, `CosineEmbedding`,
//! `TripletMargin`): hand-derived values and gradients, central finite
//! differences over random shapes and values, every error path (with the
//! gradient buffers left untouched), and parity with the PyTorch references
//! in `tests/data/losses_catalogue.json` in three memory layouts.

use crate::common::strategies::{array_in, reductions, shape};
use crate::common::{
    array, assert_close, assert_scalar, cast, finite_diff, fortran, grad_matches, load, num,
    reduction, rtol, strided, Worst,
};
use crate::common::{is_hyper, is_shape};
use ndarray::{array, Array1, Array2, ArrayD, Axis, Ix1, Ix2, IxDyn, ShapeBuilder};
use ndloss::prelude::*;
use proptest::prelude::*;
use serde_json::Value;

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * b.abs().max(1.0)
}

fn assert_all_close<D: ndarray::Dimension>(
    got: &ndarray::Array<f64, D>,
    want: &ndarray::Array<f64, D>,
    tol: f64,
) {
    assert_eq!(got.shape(), want.shape());
    for (g, w) in got.iter().zip(want) {
        assert!(close(*g, *w, tol), "got {got}, want {want}");
    }
}

// ---------------------------------------------------------------------------
// hand-derived values
// ---------------------------------------------------------------------------

#[test]
fn margin_ranking_by_hand() -> Result<(), Error> {
    let (x1, x2, y) = (
        array![1.0_f64, 2.0, 0.5],
        array![2.0, 0.0, 0.5],
        array![1.0, 1.0, -1.0],
    );
    let loss = MarginRanking::new().margin(0.25);
    // −y·(x1 − x2) + 0.25: 1.25, −1.75, 0.25
    assert_eq!(loss.unreduced(&x1, &x2, &y)?, array![1.25, 0.0, 0.25]);
    assert_eq!(loss.forward(&x1, &x2, &y)?, 0.5);
    let sum = loss.reduction(Reduction::Sum);
    let (v, g1, g2) = sum.forward_grad(&x1, &x2, &y)?;
    assert_eq!(v, 1.5);
    assert_eq!(g1, array![-1.0, 0.0, 1.0]);
    assert_eq!(g2, array![1.0, 0.0, -1.0]);
    let (g1m, g2m) = loss.grad(&x1, &x2, &y)?;
    assert_eq!(g1m, &g1 / 3.0);
    assert_eq!(g2m, &g2 / 3.0);

    // Batch mean divides by the first axis of a 2-D input.
    let x1 = array![[1.0_f64, 2.0], [0.0, 0.0]];
    let x2 = array![[0.0, 0.0], [1.0, 3.0]];
    let y = array![[-1.0, -1.0], [1.0, 1.0]];
    let total = MarginRanking::new()
        .reduction(Reduction::Sum)
        .forward(&x1, &x2, &y)?;
    assert_eq!(total, 1.0 + 2.0 + 1.0 + 3.0);
    let bm = MarginRanking::new().reduction(Reduction::BatchMean);
    assert_eq!(bm.forward(&x1, &x2, &y)?, total / 2.0);
    let (g1, _) = bm.grad(&x1, &x2, &y)?;
    assert_eq!(g1, array![[0.5, 0.5], [-0.5, -0.5]]);

    // At the kink (−y·(x1 − x2) + margin = 0) the gradient passes, as torch's clamp_min.
    let (v, g1, g2) =
        MarginRanking::new().forward_grad(&array![1.0_f64], &array![1.0], &array![1.0])?;
    assert_eq!((v, g1[0], g2[0]), (0.0, -1.0, 1.0));

    // f32, views and a strided x2.
    let x1 = array![1.0_f32, 2.0, 3.0, 4.0];
    let wide = array![0.0_f32, 9.0, 5.0, 9.0, 0.0, 9.0, 5.0, 9.0];
    let x2 = wide.slice(ndarray::s![..;2]);
    let y = array![1.0_f32, 1.0, 1.0, 1.0];
    let v = MarginRanking::new()
        .reduction(Reduction::Sum)
        .forward(&x1.view(), &x2, &y)?;
    assert_eq!(v, 3.0 + 1.0); // x2 = 0, 5, 0, 5: max(0, −1), max(0, 3), max(0, −3), max(0, 1)
    Ok(())
}

#[test]
fn gaussian_nll_by_hand() -> Result<(), Error> {
    let ln2 = 2.0_f64.ln();
    let input = array![[1.0_f64, 2.0], [0.0, -1.0]];
    let target = array![[0.0, 0.0], [0.0, 1.0]];
    let var = array![[1.0, 2.0], [0.5, 4.0]];
    // e² = 1, 4, 0, 4;  ℓ = ½(ln v + e²/v)
    let want = array![[0.5, 1.0 + 0.5 * ln2], [-0.5 * ln2, ln2 + 0.5]];
    let sum = GaussianNll::new().reduction(Reduction::Sum);
    assert_all_close(
        &GaussianNll::new().unreduced(&input, &target, &var)?,
        &want,
        1e-15,
    );
    let (v, gi, gv) = sum.forward_grad(&input, &target, &var)?;
    assert!(close(v, 2.0 + ln2, 1e-15));
    assert_eq!(gi, array![[1.0, 1.0], [0.0, -0.5]]); // e/v
    assert_eq!(gv, array![[0.0, -0.25], [1.0, 0.0]]); // ½(1/v − e²/v²)
    let mean = GaussianNll::new().forward(&input, &target, &var)?;
    assert!(close(mean, (2.0 + ln2) / 4.0, 1e-15));
    let bm = GaussianNll::new()
        .reduction(Reduction::BatchMean)
        .forward(&input, &target, &var)?;
    assert!(close(bm, (2.0 + ln2) / 2.0, 1e-15));

    // full adds ½ ln 2π per element.
    let full = GaussianNll::new().full(true).reduction(Reduction::Sum);
    let c = 0.5 * (2.0 * std::f64::consts::PI).ln();
    assert!(close(
        full.forward(&input, &target, &var)?,
        2.0 + ln2 + 4.0 * c,
        1e-15
    ));
    assert_eq!(full.grad(&input, &target, &var)?.1, gv);

    // One variance per row, as (N,) or (N, 1): the var gradient sums over the row.
    for var in [array![2.0, 0.5].into_dyn(), array![[2.0], [0.5]].into_dyn()] {
        let (v, gi, gv) =
            sum.forward_grad(&input.clone().into_dyn(), &target.clone().into_dyn(), &var)?;
        // row 0: v = 2, e² = 1, 4; row 1: v = 0.5, e² = 0, 4
        assert!(close(
            v,
            (ln2 + 0.5) / 2.0 + (ln2 + 2.0) / 2.0 - ln2 / 2.0 + (-ln2 + 8.0) / 2.0,
            1e-15
        ));
        assert_eq!(gi, array![[0.5, 1.0], [0.0, -4.0]].into_dyn());
        // ½Σ(1/v − e²/v²): row 0 = ½(½ − ¼) + ½(½ − 1), row 1 = ½·2 + ½(2 − 16)
        assert_eq!(gv.shape(), var.shape());
        assert_eq!(gv.iter().copied().collect::<Vec<_>>(), vec![-0.125, -6.0]);
    }
    // A size-1 axis in the middle: (N, 1, W) for (N, C, W).
    let x = ArrayD::from_shape_fn(IxDyn(&[2, 3, 2]), |i| (i[0] + 2 * i[1] + i[2]) as f64 * 0.5);
    let t = ArrayD::zeros(IxDyn(&[2, 3, 2]));
    let var = ArrayD::from_shape_fn(IxDyn(&[2, 1, 2]), |i| 1.0 + (i[0] + i[2]) as f64);
    let (v, _, gv) = sum.forward_grad(&x, &t, &var)?;
    let full_var = var.broadcast(IxDyn(&[2, 3, 2])).unwrap().to_owned();
    let (v_full, _, gv_full) = sum.forward_grad(&x, &t, &full_var)?;
    assert!(close(v, v_full, 1e-15));
    assert_all_close(&gv, &gv_full.sum_axis(Axis(1)).insert_axis(Axis(1)), 1e-15);

    // The clamp at eps changes the value and the gradient formula, but does
    // not zero the var gradient (torch clamps a clone in place under no_grad).
    let nll = GaussianNll::new().eps(0.5).reduction(Reduction::Sum);
    let (v, gi, gv) =
        nll.forward_grad(&array![1.0_f64, 1.0], &array![0.0, 0.0], &array![0.0, 0.25])?;
    assert!(close(v, 0.5_f64.ln() + 2.0, 1e-15)); // both use v = 0.5
    assert_eq!(gi, array![2.0, 2.0]);
    assert_eq!(gv, array![-1.0, -1.0]); // ½(2 − 4), not 0
    Ok(())
}

#[test]
fn cosine_embedding_by_hand() -> Result<(), Error> {
    let x1 = array![[3.0_f64, 4.0], [1.0, 0.0], [1.0, 1.0]];
    let x2 = array![[3.0, 4.0], [0.0, 1.0], [1.0, 0.0]];
    let y = array![1.0, -1.0, -1.0];
    let loss = CosineEmbedding::new().margin(0.5);
    let per_pair = loss.unreduced(&x1, &x2, &y)?;
    let r = std::f64::consts::FRAC_1_SQRT_2;
    assert!(per_pair[0].abs() < 1e-12); // cos ≈ 1 (ε shifts it by ~4e-14)
    assert_eq!(per_pair[1], 0.0); // cos 0 < margin
    assert!(close(per_pair[2], r - 0.5, 1e-11)); // ε moves cos by ~1e-12
    let (v, g1, g2) = loss.reduction(Reduction::Sum).forward_grad(&x1, &x2, &y)?;
    assert!(close(v, r - 0.5, 1e-12));
    // Row 2: ∂cos/∂x1 = x2/‖x1‖‖x2‖ − cos·x1/‖x1‖² = (1/(2√2), −1/(2√2)).
    let h = 0.5 * r;
    assert!(close(g1[[2, 0]], h, 1e-12) && close(g1[[2, 1]], -h, 1e-12));
    assert!(close(g2[[2, 0]], 0.0, 1e-12) && close(g2[[2, 1]], r, 1e-12)); // x1/√2 − cos·x2
    assert_eq!(g1.row(1), array![0.0, 0.0]);
    let mean = loss.forward(&x1, &x2, &y)?;
    assert!(close(mean, v / 3.0, 1e-15));

    // A zero row: cos = 0, loss 1, and a large but finite gradient. ATen's
    // EPSILON is a float constant: 1e-12 rounded to f32, in f64 too.
    let eps = f64::from(1e-12_f32);
    let (v, g1, g2) = CosineEmbedding::new().forward_grad(
        &array![[0.0_f64, 0.0]],
        &array![[3.0, 4.0]],
        &array![1.0],
    )?;
    assert_eq!(v, 1.0);
    let denom = (eps * (25.0 + eps)).sqrt();
    assert!(close(g1[[0, 0]], -3.0 / denom, 1e-14) && close(g1[[0, 1]], -4.0 / denom, 1e-14));
    let denom_f64_eps = (1e-12_f64 * (25.0 + 1e-12)).sqrt();
    assert!(!close(g1[[0, 0]], -3.0 / denom_f64_eps, 1e-10)); // the f32 rounding is visible
    assert_eq!(g2, array![[0.0, 0.0]]);

    // Labels other than ±1 contribute nothing (torch.where on y == ±1).
    let (v, g1, _) = CosineEmbedding::new()
        .reduction(Reduction::Sum)
        .forward_grad(&array![[1.0_f64, 2.0]], &array![[2.0, 1.0]], &array![0.0])?;
    assert_eq!((v, g1), (0.0, array![[0.0, 0.0]]));
    Ok(())
}

#[test]
fn triplet_margin_by_hand() -> Result<(), Error> {
    let a = array![[0.0_f64, 0.0]];
    let (p, n) = (array![[3.0, 4.0]], array![[0.0, 1.0]]);
    let exact = TripletMargin::new().eps(0.0);
    let (v, ga, gp, gn) = exact.forward_grad(&a, &p, &n)?;
    assert_eq!(v, 5.0); // 5 − 1 + 1
    assert!(close(ga[[0, 0]], -0.6, 1e-15) && close(ga[[0, 1]], 0.2, 1e-15)); // (a−p)/5 − (a−n)/1
    assert!(close(gp[[0, 0]], 0.6, 1e-15) && close(gp[[0, 1]], 0.8, 1e-15));
    assert_eq!(gn, array![[0.0, -1.0]]);
    assert_eq!(exact.p(1.0).forward(&a, &p, &n)?, 7.0 - 1.0 + 1.0);
    let p3 = exact.p(3.0).forward(&a, &p, &n)?;
    assert!(close(p3, 91.0_f64.cbrt(), 1e-15)); // (27 + 64)^(1/3) − 1 + 1
                                                // With the default eps = 1e-6 added to every component.
    let v = TripletMargin::new().forward(&a, &p, &n)?;
    let want = (3.0_f64 - 1e-6).hypot(4.0 - 1e-6) - 1e-6_f64.hypot(1.0 - 1e-6) + 1.0;
    assert!(close(v, want, 1e-15));

    // The swap: d(p, n) = 1 < d(a, n) = 2 replaces the negative distance.
    let (a, p, n) = (
        array![[0.0_f64, 0.0]],
        array![[1.0, 0.0]],
        array![[2.0, 0.0]],
    );
    let plain = TripletMargin::new().eps(0.0);
    // Without swap: 1 − 2 + 1 = 0, exactly at the hinge: the gradient passes.
    let (v, ga, gp, gn) = plain.forward_grad(&a, &p, &n)?;
    assert_eq!(
        (v, ga, gp, gn),
        (
            0.0,
            array![[0.0, 0.0]],
            array![[1.0, 0.0]],
            array![[-1.0, 0.0]]
        )
    );
    let (v, ga, gp, gn) = plain.swap(true).forward_grad(&a, &p, &n)?;
    assert_eq!(v, 1.0);
    assert_eq!(
        (ga, gp, gn),
        (array![[-1.0, 0.0]], array![[2.0, 0.0]], array![[-1.0, 0.0]])
    );
    // A swap tie d(a, n) = d(p, n) = 1: each distance gets half the gradient.
    let (v, ga, gp, gn) =
        plain
            .swap(true)
            .forward_grad(&a, &array![[2.0, 0.0]], &array![[1.0, 0.0]])?;
    assert_eq!(v, 2.0);
    assert_eq!(
        (ga, gp, gn),
        (array![[-0.5, 0.0]], array![[0.5, 0.0]], array![[0.0, 0.0]])
    );

    // Anchor equal to positive: d(a, p) = eps·√D, its gradient 1/√D per component.
    let a = array![[1.0_f64, 2.0, 3.0], [0.0, 0.0, 0.0]];
    let n = array![[1.0, 2.0, 3.5], [10.0, 0.0, 0.0]];
    let (v, ga, gp, _) = TripletMargin::new()
        .reduction(Reduction::Sum)
        .forward_grad(&a, &a, &n)?;
    let per = TripletMargin::new().unreduced(&a, &a, &n)?;
    assert!(close(
        per[0],
        1e-6 * 3.0_f64.sqrt() - (1e-6_f64.powi(2) * 2.0 + (0.5 - 1e-6_f64).powi(2)).sqrt() + 1.0,
        1e-15
    ));
    assert_eq!(per[1], 0.0);
    assert!(close(v, per.sum(), 1e-15));
    let s = 1.0 / 3.0_f64.sqrt();
    assert!(close(gp[[0, 0]], -s, 1e-12));
    assert!(close(
        ga[[0, 0]] + gp[[0, 0]],
        -(1e-6 / (per[0] - 1.0 - 1e-6 * 3.0_f64.sqrt()).abs()),
        1e-6
    ));
    assert_eq!(ga.row(1), array![0.0, 0.0, 0.0]);
    Ok(())
}

// ---------------------------------------------------------------------------
// finite differences
// ---------------------------------------------------------------------------

fn signs(s: Vec<usize>) -> impl Strategy<Value = ArrayD<f64>> {
    array_in(s, -1.0, 1.0).prop_map(|a| a.mapv(|v| if v < 0.0 { -1.0 } else { 1.0 }))
}

fn two_d(a: &ArrayD<f64>) -> ndarray::ArrayView2<'_, f64> {
    a.view().into_dimensionality::<Ix2>().unwrap()
}

/// `(N, D)` matrices, `k` of them, values in `[lo, hi)`.
fn matrices(k: usize, lo: f64, hi: f64) -> impl Strategy<Value = Vec<ArrayD<f64>>> {
    (1usize..5, 1usize..6)
        .prop_flat_map(move |(n, d)| prop::collection::vec(array_in(vec![n, d], lo, hi), k))
}

proptest! {
    #[test]
    fn margin_ranking_gradient(
        (x1, x2, y) in shape().prop_flat_map(|s| (array_in(s.clone(), -5.0, 5.0), array_in(s.clone(), -5.0, 5.0), signs(s))),
        margin in -1.0f64..1.0,
        r in reductions(),
    ) {
        // Away from the hinge.
        prop_assume!(x1.iter().zip(&x2).zip(&y).all(|((a, b), y)| (-y * (a - b) + margin).abs() > 1e-3));
        let loss = MarginRanking::new().margin(margin).reduction(r);
        let (_, g1, g2) = loss.forward_grad(&x1, &x2, &y).unwrap();
        grad_matches(&g1, &finite_diff(&x1, |x| loss.forward(x, &x2, &y).unwrap()))?;
        grad_matches(&g2, &finite_diff(&x2, |x| loss.forward(&x1, x, &y).unwrap()))?;
        let u = loss.unreduced(&x1, &x2, &y).unwrap();
        let v = loss.reduction(Reduction::Sum).forward(&x1, &x2, &y).unwrap();
        prop_assert!((u.sum() - v).abs() <= 1e-12 * v.abs().max(1.0));
    }

    #[test]
    fn gaussian_nll_gradient(
        (input, target, var) in shape().prop_flat_map(|s| {
            let n = s.len();
            let var_shapes = vec![s.clone(), s[..n - 1].to_vec(), { let mut v = s.clone(); v[n - 1] = 1; v }];
            (array_in(s.clone(), -3.0, 3.0), array_in(s.clone(), -3.0, 3.0), prop::sample::select(var_shapes).prop_flat_map(|vs| array_in(vs, 0.2, 3.0)))
        }),
        full in any::<bool>(),
        r in reductions(),
    ) {
        let loss = GaussianNll::new().full(full).reduction(r);
        let (_, gi, gv) = loss.forward_grad(&input, &target, &var).unwrap();
        grad_matches(&gi, &finite_diff(&input, |x| loss.forward(x, &target, &var).unwrap()))?;
        grad_matches(&gv, &finite_diff(&var, |v| loss.forward(&input, &target, v).unwrap()))?;
        // The target's gradient is minus the input's (checked numerically, not returned).
        let gt = finite_diff(&target, |t| loss.forward(&input, t, &var).unwrap());
        grad_matches(&gi.mapv(|g| -g), &gt)?;
    }

    #[test]
    fn cosine_embedding_gradient(
        xs in matrices(2, -3.0, 3.0),
        ys in prop::collection::vec(any::<bool>(), 5),
        margin in -0.5f64..0.5,
        r in reductions(),
    ) {
        let (x1, x2) = (&xs[0], &xs[1]);
        let n = x1.shape()[0];
        let y = Array1::from_iter(ys[..n].iter().map(|&b| if b { 1.0 } else { -1.0 }));
        let loss = CosineEmbedding::new().margin(margin).reduction(r);
        // Away from zero rows and from the hinge cos = margin of y = −1 rows.
        let norms_ok = |x: &ArrayD<f64>| two_d(x).rows().into_iter().all(|row| row.dot(&row) > 0.01);
        prop_assume!(norms_ok(x1) && norms_ok(x2));
        let per = CosineEmbedding::new().unreduced(&two_d(x1), &two_d(x2), &y).unwrap();
        let cos: Vec<f64> = two_d(x1).rows().into_iter().zip(two_d(x2).rows())
            .map(|(a, b)| a.dot(&b) / (a.dot(&a) * b.dot(&b)).sqrt()).collect();
        prop_assume!(y.iter().zip(&cos).all(|(&y, &c)| y > 0.0 || (c - margin).abs() > 1e-3));
        prop_assert_eq!(per.len(), n);
        let (_, g1, g2) = loss.forward_grad(&two_d(x1), &two_d(x2), &y).unwrap();
        grad_matches(&g1.into_dyn(), &finite_diff(x1, |x| loss.forward(&two_d(x), &two_d(x2), &y).unwrap()))?;
        grad_matches(&g2.into_dyn(), &finite_diff(x2, |x| loss.forward(&two_d(x1), &two_d(x), &y).unwrap()))?;
    }

    #[test]
    fn triplet_margin_gradient(
        xs in matrices(3, -2.0, 2.0),
        p in prop_oneof![Just(1.0), Just(2.0), Just(1.5), Just(3.0)],
        margin in 0.1f64..2.0,
        swap in any::<bool>(),
        eps in prop_oneof![Just(0.0), Just(1e-6), Just(0.01)],
        r in reductions(),
    ) {
        let loss = TripletMargin::new().margin(margin).p(p).eps(eps).swap(swap).reduction(r);
        let (a, pos, neg) = (&xs[0], &xs[1], &xs[2]);
        // Away from kinks: the hinge, swap ties, zero distances, and (p = 1) zero components.
        let dist = |x: ndarray::ArrayView1<f64>, y: ndarray::ArrayView1<f64>| {
            x.iter().zip(&y).map(|(a, b)| (a - b + eps).abs().powf(p)).sum::<f64>().powf(1.0 / p)
        };
        let comps_ok = |x: &ArrayD<f64>, y: &ArrayD<f64>| x.iter().zip(y).all(|(a, b)| (a - b + eps).abs() > 1e-3);
        prop_assume!(comps_ok(a, pos) && comps_ok(a, neg) && comps_ok(pos, neg));
        for ((ra, rp), rn) in two_d(a).rows().into_iter().zip(two_d(pos).rows()).zip(two_d(neg).rows()) {
            let (dp, dn, ds) = (dist(ra, rp), dist(ra, rn), dist(rp, rn));
            let dneg = if swap { dn.min(ds) } else { dn };
            prop_assume!((dp - dneg + margin).abs() > 1e-3);
            prop_assume!(!swap || (dn - ds).abs() > 1e-3);
        }
        triplet_gradients_match(&loss, a, pos, neg)?;
    }

    #[test]
    fn triplet_cosine_distance_gradient(
        xs in matrices(3, -2.0, 2.0),
        margin in 0.1f64..1.5,
        swap in any::<bool>(),
        r in reductions(),
    ) {
        let loss = TripletMargin::new().margin(margin).swap(swap).distance(TripletDistance::Cosine).reduction(r);
        let (a, pos, neg) = (&xs[0], &xs[1], &xs[2]);
        let cos_d = |x: ndarray::ArrayView1<f64>, y: ndarray::ArrayView1<f64>| 1.0 - x.dot(&y) / (x.dot(&x).sqrt() * y.dot(&y).sqrt());
        for ((ra, rp), rn) in two_d(a).rows().into_iter().zip(two_d(pos).rows()).zip(two_d(neg).rows()) {
            // Away from the hinge, swap ties and tiny rows.
            prop_assume!(ra.dot(&ra) > 1e-2 && rp.dot(&rp) > 1e-2 && rn.dot(&rn) > 1e-2);
            let (dp, dn, ds) = (cos_d(ra, rp), cos_d(ra, rn), cos_d(rp, rn));
            let dneg = if swap { dn.min(ds) } else { dn };
            prop_assume!((dp - dneg + margin).abs() > 1e-3);
            prop_assume!(!swap || (dn - ds).abs() > 1e-3);
        }
        triplet_gradients_match(&loss, a, pos, neg)?;
    }
}

/// The three gradients of a triplet loss against finite differences.
fn triplet_gradients_match(
    loss: &TripletMargin,
    a: &ArrayD<f64>,
    pos: &ArrayD<f64>,
    neg: &ArrayD<f64>,
) -> Result<(), TestCaseError> {
    let f = |a: &ArrayD<f64>, p: &ArrayD<f64>, n: &ArrayD<f64>| {
        loss.forward(&two_d(a), &two_d(p), &two_d(n)).unwrap()
    };
    let (_, ga, gp, gn) = loss
        .forward_grad(&two_d(a), &two_d(pos), &two_d(neg))
        .unwrap();
    grad_matches(&ga.into_dyn(), &finite_diff(a, |x| f(x, pos, neg)))?;
    grad_matches(&gp.into_dyn(), &finite_diff(pos, |x| f(a, x, neg)))?;
    grad_matches(&gn.into_dyn(), &finite_diff(neg, |x| f(a, pos, x)))
}

// ---------------------------------------------------------------------------
// errors
// ---------------------------------------------------------------------------

fn untouched<D: ndarray::Dimension>(bufs: &[&ndarray::Array<f64, D>]) {
    for b in bufs {
        assert!(
            b.iter().all(|&v| v == 7.0),
            "a gradient buffer was written on error"
        );
    }
}

#[test]
fn margin_ranking_errors() {
    let (x, y) = (array![1.0_f64, 2.0], array![1.0, -1.0]);
    let (mut g1, mut g2) = (Array1::from_elem(2, 7.0), Array1::from_elem(2, 7.0));
    let l = MarginRanking::new();
    let e = l
        .forward_grad_into(&x, &array![1.0], &y, &mut g1, &mut g2)
        .unwrap_err();
    assert!(is_shape(&e, "x2"), "{e}");
    assert_eq!(
        e.to_string(),
        "shape mismatch for x2: expected [2], found [1]"
    );
    let e = l
        .forward_grad_into(&x, &x, &array![1.0, 1.0, 1.0], &mut g1, &mut g2)
        .unwrap_err();
    assert!(is_shape(&e, "y"), "{e}");
    let mut short = Array1::from_elem(3, 7.0);
    let e = l
        .forward_grad_into(&x, &x, &y, &mut short, &mut g2)
        .unwrap_err();
    assert!(is_shape(&e, "gradient buffer for x1"), "{e}");
    let e = l
        .forward_grad_into(&x, &x, &y, &mut g1, &mut short)
        .unwrap_err();
    assert!(is_shape(&e, "gradient buffer for x2"), "{e}");
    for m in [f64::NAN, f64::INFINITY] {
        let e = l
            .margin(m)
            .forward_grad_into(&x, &x, &y, &mut g1, &mut g2)
            .unwrap_err();
        assert!(is_hyper(&e, "margin"), "{e}");
    }
    let empty = Array1::<f64>::zeros(0);
    let (mut e1, mut e2) = (Array1::<f64>::zeros(0), Array1::<f64>::zeros(0));
    for r in [Reduction::Mean, Reduction::BatchMean] {
        let e = l
            .reduction(r)
            .forward_grad_into(&empty, &empty, &empty, &mut e1, &mut e2)
            .unwrap_err();
        assert!(matches!(e, Error::EmptyReduction { .. }), "{e}");
    }
    assert_eq!(
        l.reduction(Reduction::Sum).forward(&empty, &empty, &empty),
        Ok(0.0)
    );
    assert_eq!(l.unreduced(&empty, &empty, &empty).unwrap().len(), 0);
    untouched(&[&g1, &g2, &short]);
}

#[test]
fn gaussian_nll_errors() {
    let x = array![[1.0_f64, 2.0, 3.0], [4.0, 5.0, 6.0]];
    let var = Array2::from_elem((2, 3), 1.0);
    let (mut gi, mut gv) = (
        Array2::from_elem((2, 3), 7.0),
        Array2::from_elem((2, 3), 7.0),
    );
    let l = GaussianNll::new();
    let e = l
        .forward_grad_into(&x, &array![[1.0, 2.0, 3.0]], &var, &mut gi, &mut gv)
        .unwrap_err();
    assert!(is_shape(&e, "target"), "{e}");
    // var: not input's shape, not input's without the last axis, not one size-1 axis.
    for bad in [
        vec![3],
        vec![2, 2],
        vec![1, 1],
        vec![2, 3, 1],
        vec![1, 3, 1],
    ] {
        let v = ArrayD::from_elem(IxDyn(&bad), 1.0);
        let mut gvd = ArrayD::from_elem(IxDyn(&bad), 7.0);
        let mut gid = ArrayD::from_elem(IxDyn(&[2, 3]), 7.0);
        let e = l
            .forward_grad_into(
                &x.clone().into_dyn(),
                &x.clone().into_dyn(),
                &v,
                &mut gid,
                &mut gvd,
            )
            .unwrap_err();
        assert!(is_shape(&e, "var"), "{bad:?}: {e}");
        untouched(&[&gvd, &gid]);
    }
    let mut wrong = Array2::from_elem((3, 2), 7.0);
    let e = l
        .forward_grad_into(&x, &x, &var, &mut wrong, &mut gv)
        .unwrap_err();
    assert!(is_shape(&e, "gradient buffer for input"), "{e}");
    // The var buffer has var's shape, not the input's.
    let mut gv_rows = Array1::from_elem(3, 7.0);
    let e = l
        .forward_grad_into(&x, &x, &array![1.0, 1.0], &mut gi, &mut gv_rows)
        .unwrap_err();
    assert!(is_shape(&e, "gradient buffer for var"), "{e}");
    // A negative variance, with its position.
    let mut neg = var.clone();
    neg[[1, 2]] = -0.5;
    let e = l
        .forward_grad_into(&x, &x, &neg, &mut gi, &mut gv)
        .unwrap_err();
    assert!(
        matches!(&e, Error::InvalidValue { what: "var", index, value, expected: "a variance >= 0", .. }
            if index == &[1, 2] && *value == -0.5),
        "{e:?}"
    );
    assert!(matches!(
        l.unreduced(&x, &x, &neg),
        Err(Error::InvalidValue { .. })
    ));
    for eps in [0.0, -1e-6, f64::NAN, f64::INFINITY] {
        let e = l
            .eps(eps)
            .forward_grad_into(&x, &x, &var, &mut gi, &mut gv)
            .unwrap_err();
        assert!(is_hyper(&e, "eps"), "{e}");
    }
    let empty = Array2::<f64>::zeros((0, 3));
    let (mut ei, mut ev) = (Array2::<f64>::zeros((0, 3)), Array1::<f64>::zeros(0));
    let e = l
        .forward_grad_into(&empty, &empty, &Array1::<f64>::zeros(0), &mut ei, &mut ev)
        .unwrap_err();
    assert!(matches!(e, Error::EmptyReduction { .. }), "{e}");
    untouched(&[&gi, &gv, &wrong]);
    assert!(gv_rows.iter().all(|&v| v == 7.0));
}

#[test]
fn cosine_embedding_errors() {
    let x = array![[1.0_f64, 2.0], [3.0, 4.0]];
    let y = array![1.0, -1.0];
    let (mut g1, mut g2) = (
        Array2::from_elem((2, 2), 7.0),
        Array2::from_elem((2, 2), 7.0),
    );
    let l = CosineEmbedding::new();
    let e = l
        .forward_grad_into(
            &x,
            &array![[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]],
            &y,
            &mut g1,
            &mut g2,
        )
        .unwrap_err();
    assert!(is_shape(&e, "x2"), "{e}");
    let e = l
        .forward_grad_into(&x, &x, &array![1.0], &mut g1, &mut g2)
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "shape mismatch for y: expected [2], found [1]"
    );
    let mut wrong = Array2::from_elem((2, 3), 7.0);
    let e = l
        .forward_grad_into(&x, &x, &y, &mut wrong, &mut g2)
        .unwrap_err();
    assert!(is_shape(&e, "gradient buffer for x1"), "{e}");
    let e = l
        .forward_grad_into(&x, &x, &y, &mut g1, &mut wrong)
        .unwrap_err();
    assert!(is_shape(&e, "gradient buffer for x2"), "{e}");
    let e = l
        .margin(f64::NAN)
        .forward_grad_into(&x, &x, &y, &mut g1, &mut g2)
        .unwrap_err();
    assert!(is_hyper(&e, "margin"), "{e}");
    let empty = Array2::<f64>::zeros((0, 2));
    let (mut e1, mut e2) = (Array2::<f64>::zeros((0, 2)), Array2::<f64>::zeros((0, 2)));
    let e = l
        .forward_grad_into(&empty, &empty, &Array1::zeros(0), &mut e1, &mut e2)
        .unwrap_err();
    assert!(matches!(e, Error::EmptyReduction { .. }), "{e}");
    assert_eq!(
        l.reduction(Reduction::Sum)
            .forward(&empty, &empty, &Array1::zeros(0)),
        Ok(0.0)
    );
    untouched(&[&g1, &g2, &wrong]);
}

#[test]
fn triplet_margin_errors() {
    let a = array![[1.0_f64, 2.0], [3.0, 4.0]];
    let mut g: Vec<Array2<f64>> = (0..3).map(|_| Array2::from_elem((2, 2), 7.0)).collect();
    let l = TripletMargin::new();
    let run = |l: TripletMargin, p: &Array2<f64>, n: &Array2<f64>, g: &mut Vec<Array2<f64>>| {
        let [ga, gp, gn] = &mut g[..] else {
            unreachable!()
        };
        l.forward_grad_into(&a, p, n, ga, gp, gn).unwrap_err()
    };
    let short = array![[1.0_f64, 2.0]];
    assert!(is_shape(&run(l, &short, &a, &mut g), "positive"));
    assert!(is_shape(&run(l, &a, &short, &mut g), "negative"));
    for (name, bad) in [
        ("margin", l.margin(0.0)),
        ("margin", l.margin(-1.0)),
        ("margin", l.margin(f64::NAN)),
        ("p", l.p(0.5)),
        ("p", l.p(f64::INFINITY)),
        ("eps", l.eps(-1e-6)),
        ("eps", l.eps(f64::NAN)),
    ] {
        let e = run(bad, &a, &a, &mut g);
        assert!(is_hyper(&e, name), "{e}");
    }
    for k in 0..3 {
        let mut bufs: Vec<Array2<f64>> = (0..3).map(|_| Array2::from_elem((2, 2), 7.0)).collect();
        bufs[k] = Array2::from_elem((2, 1), 7.0);
        let [ga, gp, gn] = &mut bufs[..] else {
            unreachable!()
        };
        let e = l.forward_grad_into(&a, &a, &a, ga, gp, gn).unwrap_err();
        let what = [
            "gradient buffer for anchor",
            "gradient buffer for positive",
            "gradient buffer for negative",
        ][k];
        assert!(is_shape(&e, what), "{e}");
        untouched(&bufs.iter().collect::<Vec<_>>());
    }
    let empty = Array2::<f64>::zeros((0, 2));
    let e = l.forward(&empty, &empty, &empty).unwrap_err();
    assert!(matches!(e, Error::EmptyReduction { .. }), "{e}");
    assert_eq!(l.unreduced(&empty, &empty, &empty).unwrap().len(), 0);
    untouched(&g.iter().collect::<Vec<_>>());
}

#[test]
fn configs_are_plain_values() {
    assert_eq!(MarginRanking::default(), MarginRanking::new().margin(0.0));
    assert_eq!(
        GaussianNll::default(),
        GaussianNll::new().full(false).eps(1e-6)
    );
    assert_eq!(
        CosineEmbedding::default(),
        CosineEmbedding::new().reduction(Reduction::Mean)
    );
    let t = TripletMargin::new()
        .margin(1.0)
        .p(2.0)
        .eps(1e-6)
        .swap(false);
    assert_eq!(t, TripletMargin::default());
    assert_eq!(t.reduction(Reduction::Sum).get_reduction(), Reduction::Sum);
    assert_ne!(format!("{:?}", GaussianNll::new()), "");
}

/// Values that stress every branch: zeros, signs, huge, tiny, NaN, ∞.
fn nasty(shape: &[usize], seed: usize) -> ArrayD<f64> {
    const V: [f64; 9] = [
        0.0,
        1.0,
        -1.0,
        0.5,
        1e300,
        -1e-300,
        f64::NAN,
        f64::INFINITY,
        2.0,
    ];
    let mut k = seed;
    ArrayD::from_shape_simple_fn(IxDyn(shape), || {
        k = k.wrapping_mul(31).wrapping_add(7);
        V[k % V.len()]
    })
}

fn any_shape() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(0usize..4, 0..4)
}

fn matrix_shape() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(0usize..4, 2)
}

fn hyper() -> impl Strategy<Value = f64> {
    prop::sample::select(vec![
        0.0,
        -1.0,
        1e-6,
        0.5,
        1.0,
        2.0,
        3.5,
        f64::NAN,
        f64::INFINITY,
    ])
}

proptest! {
    /// No call panics, whatever the shapes, values and settings; a failing
    /// call leaves every buffer as it was.
    #[test]
    fn never_panics(
        shapes in prop::collection::vec(any_shape(), 5),
        mats in prop::collection::vec(matrix_shape(), 6),
        y_len in 0usize..4,
        seed in any::<usize>(),
        (h1, h2, h3) in (hyper(), hyper(), hyper()),
        flag in any::<bool>(),
        r in reductions(),
    ) {
        let a: Vec<ArrayD<f64>> = shapes.iter().enumerate().map(|(i, s)| nasty(s, seed + i)).collect();
        let fresh = |s: &[usize]| ArrayD::from_elem(IxDyn(s), 7.0);
        let unchanged = |bufs: &[&ArrayD<f64>]| bufs.iter().all(|b| b.iter().all(|&v| v == 7.0));
        let mr = MarginRanking::new().margin(h1).reduction(r);
        let _ = mr.unreduced(&a[0], &a[1], &a[2]);
        let (mut g1, mut g2) = (fresh(&shapes[3]), fresh(&shapes[4]));
        if mr.forward_grad_into(&a[0], &a[1], &a[2], &mut g1, &mut g2).is_err() {
            prop_assert!(unchanged(&[&g1, &g2]));
        }
        let nll = GaussianNll::new().eps(h1).full(flag).reduction(r);
        let _ = nll.unreduced(&a[0], &a[1], &a[2]);
        let (mut g1, mut g2) = (fresh(&shapes[3]), fresh(&shapes[4]));
        if nll.forward_grad_into(&a[0], &a[1], &a[2], &mut g1, &mut g2).is_err() {
            prop_assert!(unchanged(&[&g1, &g2]));
        }

        let m: Vec<Array2<f64>> = mats
            .iter()
            .enumerate()
            .map(|(i, s)| nasty(s, seed + 10 + i).into_dimensionality::<Ix2>().unwrap())
            .collect();
        let y = nasty(&[y_len], seed).into_dimensionality::<Ix1>().unwrap();
        let fresh2 = |k: usize| m[k].mapv(|_| 7.0);
        let unchanged2 = |bufs: &[&Array2<f64>]| bufs.iter().all(|b| b.iter().all(|&v| v == 7.0));
        let ce = CosineEmbedding::new().margin(h2).reduction(r);
        let _ = ce.unreduced(&m[0], &m[1], &y);
        let (mut b1, mut b2) = (fresh2(3), fresh2(4));
        if ce.forward_grad_into(&m[0], &m[1], &y, &mut b1, &mut b2).is_err() {
            prop_assert!(unchanged2(&[&b1, &b2]));
        }
        let tm = TripletMargin::new().margin(h1).p(h2).eps(h3).swap(flag).reduction(r);
        let _ = tm.unreduced(&m[0], &m[1], &m[2]);
        let (mut b1, mut b2, mut b3) = (fresh2(3), fresh2(4), fresh2(5));
        if tm.forward_grad_into(&m[0], &m[1], &m[2], &mut b1, &mut b2, &mut b3).is_err() {
            prop_assert!(unchanged2(&[&b1, &b2, &b3]));
        }
    }

    /// The same with consistent shapes, so the calls get past validation.
    #[test]
    fn never_panics_on_valid_shapes(
        s in any_shape(),
        (n, d) in (0usize..4, 0usize..4),
        seed in any::<usize>(),
        (h1, h2, h3) in (hyper(), hyper(), hyper()),
        flag in any::<bool>(),
        r in reductions(),
    ) {
        let a: Vec<ArrayD<f64>> = (0..3).map(|i| nasty(&s, seed + i).mapv(f64::abs)).collect();
        let _ = MarginRanking::new().margin(h1).reduction(r).forward_grad(&a[0], &a[1], &a[2]);
        let _ = GaussianNll::new().eps(h1).full(flag).reduction(r).forward_grad(&a[0], &a[1], &a[2]);
        if let Some((_, head)) = s.split_last() {
            let var = nasty(head, seed).mapv(f64::abs);
            let _ = GaussianNll::new().eps(h2).reduction(r).forward_grad(&a[0], &a[1], &var);
        }
        let m: Vec<Array2<f64>> = (0..3).map(|i| nasty(&[n, d], seed + i).into_dimensionality::<Ix2>().unwrap()).collect();
        let y = nasty(&[n], seed).into_dimensionality::<Ix1>().unwrap();
        let _ = CosineEmbedding::new().margin(h2).reduction(r).forward_grad(&m[0], &m[1], &y);
        let _ = TripletMargin::new().margin(h1).p(h2).eps(h3).swap(flag).reduction(r).forward_grad(&m[0], &m[1], &m[2]);
    }
}

// ---------------------------------------------------------------------------
// parity with PyTorch
// ---------------------------------------------------------------------------

const LOSSES: [&str; 4] = [
    "margin_ranking",
    "gaussian_nll",
    "cosine_embedding",
    "triplet_margin",
];

fn opt_f64(case: &Value, key: &str, default: f64) -> f64 {
    case["options"].get(key).map_or(default, num)
}

fn opt_bool(case: &Value, key: &str, default: bool) -> bool {
    case["options"]
        .get(key)
        .map_or(default, |v| v.as_bool().unwrap())
}

/// Absolute floor for near-zero entries: cancellation leaves f32 results a
/// few ulps of the largest term away from PyTorch's (different summation
/// and operation order), so entries are compared relative to at least
/// 1e-4 × the largest magnitude; f64 has no floor.
fn floor(dtype: &str, expected: &ArrayD<f64>) -> f64 {
    match dtype {
        "f32" => 1e-4 * expected.iter().fold(0.0_f64, |m, v| m.max(v.abs())),
        _ => 0.0,
    }
}

/// The inputs of a case in three layouts: contiguous, strided (every other
/// element of a larger buffer) and column-major.
struct Layouts<A> {
    plain: ArrayD<A>,
    wide: ArrayD<A>,
    fortran: ArrayD<A>,
}

impl<A: Float> Layouts<A> {
    fn new(v: &Value) -> Self {
        let plain: ArrayD<A> = cast(&array(v));
        Layouts {
            wide: strided(&plain),
            fortran: fortran(&plain),
            plain,
        }
    }
    fn views(&self) -> [ndarray::ArrayViewD<'_, A>; 3] {
        let nd = self.plain.ndim();
        [
            self.plain.view(),
            self.wide.index_axis(Axis(nd), 0),
            self.fortran.view(),
        ]
    }
}

/// Gradient buffers in the three layouts, filled with NaN so an element the
/// loss fails to write is caught.
fn buffers<A: Float>(shape: &[usize]) -> [ArrayD<A>; 3] {
    let nan = ArrayD::from_elem(IxDyn(shape), A::nan());
    [nan.clone(), strided(&nan), fortran(&nan)]
}

fn buffer_view<A: Float>(
    buf: &mut ArrayD<A>,
    layout: usize,
    nd: usize,
) -> ndarray::ArrayViewMutD<'_, A> {
    if layout == 1 {
        buf.index_axis_mut(Axis(nd), 0)
    } else {
        buf.view_mut()
    }
}

fn run_case<A: Float>(case: &Value, worst: &Worst) {
    let name = case["name"].as_str().unwrap();
    let dtype = case["dtype"].as_str().unwrap();
    let tol = rtol(dtype);
    let inputs = &case["inputs"];
    let expected = array(&case["value"]);
    let fl = floor(dtype, &expected);
    let red = reduction(case);
    let loss = case["loss"].as_str().unwrap();
    let names: &[&str] = match loss {
        "margin_ranking" | "cosine_embedding" => &["x1", "x2", "y"],
        "gaussian_nll" => &["input", "target", "var"],
        "triplet_margin" => &["anchor", "positive", "negative"],
        other => panic!("loss {other}"),
    };
    let diff: &[&str] = match loss {
        "gaussian_nll" => &["input", "var"],
        "triplet_margin" => &["anchor", "positive", "negative"],
        _ => &["x1", "x2"],
    };
    let data: Vec<Layouts<A>> = names.iter().map(|n| Layouts::new(&inputs[*n])).collect();
    let shapes: Vec<Vec<usize>> = diff
        .iter()
        .map(|n| array(&inputs[*n]).shape().to_vec())
        .collect();
    let reference: Vec<ArrayD<f64>> = match red {
        Some(_) => diff.iter().map(|n| array(&case["grads"][*n])).collect(),
        None => Vec::new(),
    };

    for layout in 0..3 {
        let ctx = format!("{name} (layout {layout})");
        let v: Vec<ndarray::ArrayViewD<'_, A>> =
            data.iter().map(|d| d.views()[layout].clone()).collect();
        let mut bufs: Vec<ArrayD<A>> = shapes
            .iter()
            .map(|s| buffers::<A>(s)[layout].clone())
            .collect();
        let nds: Vec<usize> = shapes.iter().map(Vec::len).collect();
        let mut gv: Vec<ndarray::ArrayViewMutD<'_, A>> = bufs
            .iter_mut()
            .zip(&nds)
            .map(|(b, &nd)| buffer_view(b, layout, nd))
            .collect();

        let (unreduced, value): (Option<ArrayD<A>>, Option<(A, A)>) = match loss {
            "margin_ranking" => {
                let l = MarginRanking::new().margin(opt_f64(case, "margin", 0.0));
                match red {
                    None => (Some(l.unreduced(&v[0], &v[1], &v[2]).unwrap()), None),
                    Some(r) => {
                        let l = l.reduction(r);
                        let f = l.forward(&v[0], &v[1], &v[2]).unwrap();
                        let [g1, g2] = &mut gv[..] else {
                            unreachable!()
                        };
                        (
                            None,
                            Some((f, l.forward_grad_into(&v[0], &v[1], &v[2], g1, g2).unwrap())),
                        )
                    }
                }
            }
            "gaussian_nll" => {
                let l = GaussianNll::new()
                    .full(opt_bool(case, "full", false))
                    .eps(opt_f64(case, "eps", 1e-6));
                match red {
                    None => (Some(l.unreduced(&v[0], &v[1], &v[2]).unwrap()), None),
                    Some(r) => {
                        let l = l.reduction(r);
                        let f = l.forward(&v[0], &v[1], &v[2]).unwrap();
                        let [gi, gvar] = &mut gv[..] else {
                            unreachable!()
                        };
                        (
                            None,
                            Some((
                                f,
                                l.forward_grad_into(&v[0], &v[1], &v[2], gi, gvar).unwrap(),
                            )),
                        )
                    }
                }
            }
            "cosine_embedding" => {
                let l = CosineEmbedding::new().margin(opt_f64(case, "margin", 0.0));
                let x1 = v[0].view().into_dimensionality::<Ix2>().unwrap();
                let x2 = v[1].view().into_dimensionality::<Ix2>().unwrap();
                let y = v[2].view().into_dimensionality::<Ix1>().unwrap();
                match red {
                    None => (Some(l.unreduced(&x1, &x2, &y).unwrap().into_dyn()), None),
                    Some(r) => {
                        let l = l.reduction(r);
                        let f = l.forward(&x1, &x2, &y).unwrap();
                        let [g1, g2] = &mut gv[..] else {
                            unreachable!()
                        };
                        let mut g1 = g1.view_mut().into_dimensionality::<Ix2>().unwrap();
                        let mut g2 = g2.view_mut().into_dimensionality::<Ix2>().unwrap();
                        (
                            None,
                            Some((
                                f,
                                l.forward_grad_into(&x1, &x2, &y, &mut g1, &mut g2).unwrap(),
                            )),
                        )
                    }
                }
            }
            "triplet_margin" => {
                let mut l = TripletMargin::new()
                    .margin(opt_f64(case, "margin", 1.0))
                    .p(opt_f64(case, "p", 2.0))
                    .eps(opt_f64(case, "eps", 1e-6))
                    .swap(opt_bool(case, "swap", false));
                if case["options"]
                    .get("distance")
                    .is_some_and(|d| d == "cosine")
                {
                    l = l.distance(TripletDistance::Cosine);
                }
                let m: Vec<ndarray::ArrayView2<'_, A>> = v
                    .iter()
                    .map(|x| x.view().into_dimensionality::<Ix2>().unwrap())
                    .collect();
                match red {
                    None => (
                        Some(l.unreduced(&m[0], &m[1], &m[2]).unwrap().into_dyn()),
                        None,
                    ),
                    Some(r) => {
                        let l = l.reduction(r);
                        let f = l.forward(&m[0], &m[1], &m[2]).unwrap();
                        let [ga, gp, gn] = &mut gv[..] else {
                            unreachable!()
                        };
                        let mut ga = ga.view_mut().into_dimensionality::<Ix2>().unwrap();
                        let mut gp = gp.view_mut().into_dimensionality::<Ix2>().unwrap();
                        let mut gn = gn.view_mut().into_dimensionality::<Ix2>().unwrap();
                        let g = l
                            .forward_grad_into(&m[0], &m[1], &m[2], &mut ga, &mut gp, &mut gn)
                            .unwrap();
                        (None, Some((f, g)))
                    }
                }
            }
            other => panic!("loss {other}"),
        };
        let err = match (unreduced, value) {
            (Some(u), _) => assert_close(u.view(), &expected, tol, fl, &ctx),
            (None, Some((f, fg))) => {
                let mut err = assert_scalar(f, expected[[]], tol, &ctx);
                err = err.max(assert_scalar(fg, expected[[]], tol, &ctx));
                for ((g, want), n) in gv.iter().zip(&reference).zip(diff) {
                    let gfl = floor(dtype, want);
                    let ctx = format!("{ctx}: d/d{n}");
                    err = err.max(assert_close(g.view(), want, tol, gfl, &ctx));
                }
                err
            }
            _ => unreachable!(),
        };
        worst.record(loss, dtype, err);
    }
}

#[test]
fn parity_with_pytorch() {
    let doc = load("losses_catalogue.json");
    let cases: Vec<&Value> = doc["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| LOSSES.contains(&c["loss"].as_str().unwrap()))
        .collect();
    for loss in LOSSES {
        for dtype in ["f32", "f64"] {
            let n = cases
                .iter()
                .filter(|c| c["loss"] == loss && c["dtype"] == dtype)
                .count();
            assert!(n > 0, "no {dtype} PyTorch reference cases for {loss}");
        }
    }
    let worst = Worst::default();
    for case in &cases {
        match case["dtype"].as_str().unwrap() {
            "f32" => run_case::<f32>(case, &worst),
            "f64" => run_case::<f64>(case, &worst),
            d => panic!("dtype {d}"),
        }
    }
    // `cargo test --release --test it -- ranking::parity --nocapture` prints the
    // worst relative errors (PARITY.md).
    worst.print("loss");
}

#[test]
fn three_input_losses_agree_between_the_contiguous_and_strided_paths() -> Result<(), Error> {
    // 37 × 29 = 1073 elements: four blocks of 256 plus a tail, each block
    // in chunks of 64 plus a remainder. Column-major copies take the
    // strided path (`Zip` and a stream); the standard layout the
    // dispatched kernel. Per-element gradients are the same arithmetic,
    // so equal; the totals are summed in other orders, so close.
    let (rows, cols) = (37, 29);
    let input = Array2::from_shape_fn((rows, cols), |(i, j)| {
        ((i * 31 + j * 7) % 23) as f32 / 7.0 - 1.5
    });
    let target = Array2::from_shape_fn((rows, cols), |(i, j)| {
        ((i * 5 + j * 11) % 19) as f32 / 5.0 - 1.8
    });
    let var = Array2::from_shape_fn((rows, cols), |(i, j)| {
        0.05 + ((i + 3 * j) % 13) as f32 / 4.0
    });
    let sign = Array2::from_shape_fn(
        (rows, cols),
        |(i, j)| if (i + j) % 3 == 0 { -1.0_f32 } else { 1.0 },
    );
    let fortran = |a: &Array2<f32>| {
        let mut f = Array2::<f32>::zeros((a.nrows(), a.ncols()).f());
        f.assign(a);
        f
    };
    let (fi, ft, fv, fs) = (
        fortran(&input),
        fortran(&target),
        fortran(&var),
        fortran(&sign),
    );
    assert!(fi.as_slice().is_none() && fi.as_slice_memory_order().is_some());

    let gnll = GaussianNll::new().full(true);
    let (v1, gi1, gv1) = gnll.forward_grad(&input, &target, &var)?;
    let (v2, gi2, gv2) = gnll.forward_grad(&fi, &ft, &fv)?;
    assert!((v1 - v2).abs() <= 1e-6 * v1.abs(), "{v1} vs {v2}");
    assert_eq!((gi1, gv1), (gi2, gv2));
    let want: f64 = input
        .iter()
        .zip(&target)
        .zip(&var)
        .map(|((&x, &t), &v)| {
            let (x, t, v) = (f64::from(x), f64::from(t), f64::from(v));
            0.5 * (v.ln() + (x - t) * (x - t) / v + (2.0 * std::f64::consts::PI).ln())
        })
        .sum::<f64>()
        / (rows * cols) as f64;
    assert!(
        (f64::from(v1) - want).abs() <= 2e-6 * want.abs(),
        "{v1} vs f64 {want}"
    );
    assert!((gnll.forward(&input, &target, &var)? - v1).abs() <= 1e-6 * v1.abs());

    let mr = MarginRanking::new().margin(0.3);
    let (v1, g11, g21) = mr.forward_grad(&input, &target, &sign)?;
    let (v2, g12, g22) = mr.forward_grad(&fi, &ft, &fs)?;
    assert!((v1 - v2).abs() <= 1e-6 * v1.abs(), "{v1} vs {v2}");
    assert_eq!((g11, g21), (g12, g22));
    Ok(())
}
