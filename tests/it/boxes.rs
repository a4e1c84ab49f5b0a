//! The bounding-box losses (`IouLoss`, `GiouLoss`, `DiouLoss`, `CiouLoss`):
//! hand values, edge cases, finite-difference gradients, error paths, and
//! parity with torchvision (`tests/data/losses_catalogue.json`, written by
//! `scripts/gen_reference.py`).

use crate::common::strategies::reductions;
use crate::common::{array, cast, finite_diff, grad_matches as assert_grad_matches, load, num};
use ndarray::{array, Array1, Array2, ArrayD, Ix1, Ix2, ShapeBuilder};
use ndloss::prelude::*;
use ndloss::Error;
use proptest::prelude::*;
use serde_json::Value;

type BoxLoss<A> = Box<dyn Loss<A, Ix2, Unreduced = Ix1>>;

/// The four losses with the given settings, with their catalogue names.
fn all_losses<A: Float>(eps: f64, reduction: Reduction) -> [(&'static str, BoxLoss<A>); 4] {
    [
        (
            "iou",
            Box::new(IouLoss::new().eps(eps).reduction(reduction)),
        ),
        (
            "giou",
            Box::new(GiouLoss::new().eps(eps).reduction(reduction)),
        ),
        (
            "diou",
            Box::new(DiouLoss::new().eps(eps).reduction(reduction)),
        ),
        (
            "ciou",
            Box::new(CiouLoss::new().eps(eps).reduction(reduction)),
        ),
    ]
}

fn loss_named<A: Float>(name: &str, eps: f64, reduction: Reduction) -> BoxLoss<A> {
    all_losses(eps, reduction)
        .into_iter()
        .find(|(n, _)| *n == name)
        .unwrap_or_else(|| panic!("no box loss {name}"))
        .1
}

/// torchvision's documentation sample: overlapping, disjoint, identical.
fn sample<A: Float>() -> (Array2<A>, Array2<A>) {
    let b1 = array![
        [0.0, 0.0, 2.0, 2.0],
        [0.0, 0.0, 1.0, 1.0],
        [1.0, 1.0, 3.0, 4.0]
    ];
    let b2 = array![
        [1.0, 1.0, 3.0, 3.0],
        [2.0, 2.0, 3.0, 3.0],
        [1.0, 1.0, 3.0, 4.0]
    ];
    (cast(&b1), cast(&b2))
}

/// |actual − expected| ≤ max(rtol·|expected|, atol), elementwise.
fn assert_near<A: Float>(actual: &[A], expected: &[f64], rtol: f64, atol: f64, ctx: &str) {
    assert_eq!(actual.len(), expected.len(), "{ctx}: length");
    for (i, (&a, &e)) in actual.iter().zip(expected).enumerate() {
        let a = a.to_f64();
        if e.is_nan() {
            assert!(a.is_nan(), "{ctx}[{i}]: expected NaN, got {a}");
            continue;
        }
        let allowed = (rtol * e.abs()).max(atol);
        assert!(
            (a - e).abs() <= allowed || a == e,
            "{ctx}[{i}]: got {a:e}, expected {e:e} (diff {:e}, allowed {allowed:e})",
            (a - e).abs()
        );
    }
}

// ---------------------------------------------------------------------------
// hand values
// ---------------------------------------------------------------------------

#[test]
fn docs_sample_f64() {
    let (p, t) = sample::<f64>();
    let giou = GiouLoss::new().unreduced(&p, &t).unwrap();
    let diou = DiouLoss::new().unreduced(&p, &t).unwrap();
    let ciou = CiouLoss::new().unreduced(&p, &t).unwrap();
    let iou = IouLoss::new().unreduced(&p, &t).unwrap();
    assert_near(
        giou.as_slice().unwrap(),
        &[1.0793650789, 1.7777777691, 1.67e-8],
        0.0,
        1e-10,
        "giou",
    );
    assert_near(
        diou.as_slice().unwrap(),
        &[0.9682539697, 1.4444444420, 1.67e-8],
        0.0,
        1e-10,
        "diou",
    );
    // Equal aspect ratios in every pair: v = 0 and CIoU is DIoU exactly.
    assert_eq!(ciou, diou);
    // inter 1, union 7 (+ eps); disjoint; identical: eps / (area + eps).
    assert_near(
        iou.as_slice().unwrap(),
        &[1.0 - 1.0 / (7.0 + 1e-7), 1.0, 1e-7 / 6.0],
        1e-15,
        1e-15,
        "iou",
    );
    // Means and sums are the per-box values combined.
    let mean = GiouLoss::new().forward(&p, &t).unwrap();
    assert!((mean - giou.sum() / 3.0).abs() < 1e-15);
    let batch_mean = GiouLoss::new()
        .reduction(Reduction::BatchMean)
        .forward(&p, &t)
        .unwrap();
    assert_eq!(batch_mean, mean);
    let sum = GiouLoss::new()
        .reduction(Reduction::Sum)
        .forward(&p, &t)
        .unwrap();
    assert!((sum - giou.sum()).abs() < 1e-15);
}

#[test]
fn docs_sample_f32() {
    let (p, t) = sample::<f32>();
    let giou = GiouLoss::new().unreduced(&p, &t).unwrap();
    let diou = DiouLoss::new().unreduced(&p, &t).unwrap();
    let ciou = CiouLoss::new().unreduced(&p, &t).unwrap();
    // In f32, 1 − IoU of the identical pair rounds to 0 (1 − 1.7e-8 is 1).
    assert_near(
        giou.as_slice().unwrap(),
        &[1.0793650789, 1.7777777691, 1.67e-8],
        2e-7,
        1e-7,
        "giou",
    );
    assert_near(
        diou.as_slice().unwrap(),
        &[0.9682539697, 1.4444444420, 1.67e-8],
        2e-7,
        1e-7,
        "diou",
    );
    assert_near(
        ciou.as_slice().unwrap(),
        &[0.9682539697, 1.4444444420, 1.67e-8],
        2e-7,
        1e-7,
        "ciou",
    );
}

#[test]
fn disjoint_gradient_by_hand() {
    // p = [0,0,1,1], t = [2,2,3,3]: inter 0, union U = 2, enclosing box
    // [0,0,3,3] of area C = 9, GIoU loss = 2 − U/C (eps aside).
    // ∂/∂x1 = −(∂U·C − U·∂C)/C² = −(−1·9 − 2·(−3))/81 = 3/81 (also y1);
    // ∂/∂x2 = −(1·9 − 0)/81 = −1/9 (x2 = 1 does not define C; also y2).
    let p = array![[0.0_f64, 0.0, 1.0, 1.0]];
    let t = array![[2.0_f64, 2.0, 3.0, 3.0]];
    let (v, g) = GiouLoss::new().forward_grad(&p, &t).unwrap();
    assert!((v - (2.0 - 2.0 / 9.0)).abs() < 1e-7);
    assert_near(
        g.as_slice().unwrap(),
        &[3.0 / 81.0, 3.0 / 81.0, -1.0 / 9.0, -1.0 / 9.0],
        1e-7,
        0.0,
        "giou",
    );
    // IoU is flat for disjoint boxes: loss 1, gradient 0.
    let (v, g) = IouLoss::new().forward_grad(&p, &t).unwrap();
    assert_eq!(v, 1.0);
    assert!(g.iter().all(|&d| d == 0.0));
    // DIoU: ρ² = 2·2² = 8, c² = 3² + 3² = 18: loss 1 + 8/18, between 1 and 2.
    let v = DiouLoss::new().forward(&p, &t).unwrap();
    assert!((v - (1.0 + 8.0 / 18.0)).abs() < 1e-7);
}

#[test]
fn identical_boxes_give_about_zero() {
    let b = array![[0.5_f64, 1.0, 3.0, 2.25], [-4.0, -1.0, 10.0, 0.0]];
    for (name, loss) in all_losses::<f64>(1e-7, Reduction::Mean) {
        let per_box = loss.unreduced(&b, &b).unwrap();
        // eps / (area + eps): at most 1e-7 / 3.125.
        assert!(
            per_box.iter().all(|&v| (0.0..1e-7).contains(&v)),
            "{name}: {per_box}"
        );
        let (_, g) = loss.forward_grad(&b, &b).unwrap();
        assert!(g.iter().all(|d| d.abs() < 1e-7), "{name}: {g}");
    }
    let b32 = b.mapv(|v| v as f32);
    for (name, loss) in all_losses::<f32>(1e-7, Reduction::Mean) {
        let per_box = loss.unreduced(&b32, &b32).unwrap();
        assert!(
            per_box.iter().all(|&v| (0.0..1e-6).contains(&v)),
            "{name}: {per_box}"
        );
    }
    // With eps = 0 it is exactly 0.
    assert_eq!(IouLoss::new().eps(0.0).forward(&b, &b).unwrap(), 0.0);
}

#[test]
fn disjoint_boxes() {
    // Right of, below, diagonally past, and far from the prediction.
    let p = array![
        [0.0_f64, 0.0, 1.0, 2.0],
        [0.0, 0.0, 1.0, 2.0],
        [0.0, 0.0, 1.0, 2.0],
        [0.0, 0.0, 1.0, 1.0]
    ];
    let t = array![
        [1.5_f64, 0.0, 2.5, 2.0],
        [0.0, 3.0, 1.0, 4.0],
        [2.0, 3.0, 4.0, 5.0],
        [50.0, 50.0, 51.0, 51.0]
    ];
    let iou = IouLoss::new().unreduced(&p, &t).unwrap();
    assert!(iou.iter().all(|&v| v == 1.0), "{iou}");
    let giou = GiouLoss::new().unreduced(&p, &t).unwrap();
    assert!(giou.iter().all(|&v| v > 1.0 && v < 2.0), "{giou}");
    let diou = DiouLoss::new().unreduced(&p, &t).unwrap();
    assert!(diou.iter().all(|&v| v > 1.0 && v < 2.0), "{diou}");
    let ciou = CiouLoss::new().unreduced(&p, &t).unwrap();
    assert!(ciou.iter().zip(&diou).all(|(c, d)| c >= d), "{ciou}");
    // Touching edges (x2 = x1ᵍ) do not overlap either.
    let touching = IouLoss::new()
        .forward(
            &array![[0.0_f64, 0.0, 1.0, 1.0]],
            &array![[1.0_f64, 0.0, 2.0, 1.0]],
        )
        .unwrap();
    assert_eq!(touching, 1.0);
}

#[test]
fn zero_area_boxes_are_finite() {
    // Zero width (x1 = x2) in the prediction or in the target, and a point.
    let p = array![
        [2.0_f64, 1.0, 2.0, 3.0],
        [0.0, 0.0, 2.0, 2.0],
        [1.0, 1.0, 1.0, 1.5]
    ];
    let t = array![
        [1.0_f64, 1.0, 4.0, 4.0],
        [1.0, 0.5, 1.0, 1.5],
        [1.0, 1.0, 1.0, 1.5]
    ];
    for (name, loss) in all_losses::<f64>(1e-7, Reduction::Sum) {
        let (v, g) = loss.forward_grad(&p, &t).unwrap();
        assert!(v.is_finite(), "{name}: {v}");
        assert!(g.iter().all(|d| d.is_finite()), "{name}: {g}");
        let per_box = loss.unreduced(&p, &t).unwrap();
        assert!(
            per_box[0] >= 1.0 - 1e-12,
            "{name}: no area, no IoU: {per_box}"
        );
    }
    let point = array![[1.0_f64, 1.0, 1.0, 1.0]];
    let other = array![[0.0_f64, 0.0, 2.0, 2.0]];
    for (name, loss) in all_losses::<f64>(1e-7, Reduction::Sum).into_iter().take(3) {
        let (v, g) = loss.forward_grad(&point, &other).unwrap();
        assert!(
            v.is_finite() && g.iter().all(|d| d.is_finite()),
            "{name}: {v} {g}"
        );
    }
    // A zero-height prediction: CIoU's aspect ratio w/h is infinite; the
    // value stays finite (atan(∞) = π/2) and the gradient is NaN, as torch's.
    let flat = array![[0.0_f64, 1.0, 2.0, 1.0]];
    let (v, g) = CiouLoss::new().forward_grad(&flat, &other).unwrap();
    assert!(v.is_finite());
    assert!(g.iter().any(|d| d.is_nan()));
}

#[test]
fn ciou_eps_only_enters_alpha() {
    // torchvision's complete_box_iou_loss does not forward eps to the DIoU
    // part: with v = 0 (equal aspect ratios) any eps gives the same value.
    let p = array![[0.0_f64, 0.0, 2.0, 2.0]];
    let t = array![[1.0_f64, 1.0, 3.0, 3.0]];
    let default = CiouLoss::new().forward(&p, &t).unwrap();
    assert_eq!(CiouLoss::new().eps(0.5).forward(&p, &t).unwrap(), default);
    assert_eq!(DiouLoss::new().forward(&p, &t).unwrap(), default);
    assert_ne!(DiouLoss::new().eps(0.5).forward(&p, &t).unwrap(), default);
    // With different aspect ratios it changes α = v / (1 − IoU + v + eps).
    let wide = array![[0.0_f64, 0.0, 4.0, 1.0]];
    assert!(
        CiouLoss::new().eps(0.5).forward(&wide, &t).unwrap()
            < CiouLoss::new().forward(&wide, &t).unwrap()
    );
}

#[test]
fn layouts_agree() {
    // Rows that are not contiguous (a transposed (4, N) array, and every
    // other row of a larger one) give the same values and gradients.
    let (p, t) = sample::<f64>();
    let pt = p.t().to_owned();
    let p_strided = pt.t();
    let mut t_big = Array2::<f64>::from_elem((6, 4), f64::NAN);
    t_big.slice_mut(ndarray::s![..;2, ..]).assign(&t);
    let t_strided = t_big.slice(ndarray::s![..;2, ..]);
    for (name, loss) in all_losses::<f64>(1e-7, Reduction::Mean) {
        let (v, g) = loss.forward_grad(&p, &t).unwrap();
        let mut g_f = Array2::<f64>::zeros((3, 4).f());
        let v_s = loss
            .forward_grad_into(&p_strided, &t_strided, &mut g_f)
            .unwrap();
        assert_eq!(v, v_s, "{name}");
        assert_eq!(g, g_f, "{name}");
        assert_eq!(
            loss.unreduced(&p, &t).unwrap(),
            loss.unreduced(&p_strided, &t_strided).unwrap(),
            "{name}"
        );
    }
}

// ---------------------------------------------------------------------------
// gradients against finite differences
// ---------------------------------------------------------------------------

/// A valid box: x2 > x1 + 0.1, y2 > y1 + 0.1.
fn a_box(lo: f64, hi: f64) -> impl Strategy<Value = [f64; 4]> {
    (lo..hi, lo..hi, 0.11..4.0, 0.11..4.0).prop_map(|(x, y, w, h)| [x, y, x + w, y + h])
}

/// A target for `p`: a jittered copy (overlapping), any box nearby
/// (overlapping or not), or a box moved clear of it (disjoint).
fn a_target(p: [f64; 4]) -> impl Strategy<Value = [f64; 4]> {
    let (w, h) = (p[2] - p[0], p[3] - p[1]);
    prop_oneof![
        prop::array::uniform4(-0.6..0.6f64).prop_map(move |j| [
            p[0] + j[0],
            p[1] + j[1],
            p[2] + j[2],
            p[3] + j[3]
        ]),
        a_box(-4.0, 10.0),
        (a_box(0.0, 3.0), 0.2..3.0f64, 0usize..4).prop_map(move |(b, gap, dir)| {
            let (dx, dy) = [
                (w + gap, 0.0),
                (0.0, h + gap),
                (-(b[2] - b[0]) - gap, 0.0),
                (w + gap, h + gap),
            ][dir];
            [
                p[0] + dx,
                p[1] + dy,
                p[0] + dx + (b[2] - b[0]),
                p[1] + dy + (b[3] - b[1]),
            ]
        }),
    ]
    .prop_filter("a valid box", |t| t[2] > t[0] + 0.1 && t[3] > t[1] + 0.1)
}

/// Away from the kinks: no min/max tie within 1e-3, and neither side of the
/// intersection within 1e-3 of 0 (where the masked intersection switches).
fn away_from_kinks(p: &[f64; 4], t: &[f64; 4]) -> bool {
    let iw = p[2].min(t[2]) - p[0].max(t[0]);
    let ih = p[3].min(t[3]) - p[1].max(t[1]);
    (0..4).all(|k| (p[k] - t[k]).abs() > 1e-3) && iw.abs() > 1e-3 && ih.abs() > 1e-3
}

fn box_pairs() -> impl Strategy<Value = (Array2<f64>, Array2<f64>)> {
    let pair = a_box(0.0, 6.0)
        .prop_flat_map(|p| (Just(p), a_target(p)))
        .prop_filter("away from the kinks", |(p, t)| away_from_kinks(p, t));
    prop::collection::vec(pair, 1..6).prop_map(|pairs| {
        let n = pairs.len();
        let p = Array2::from_shape_fn((n, 4), |(i, k)| pairs[i].0[k]);
        let t = Array2::from_shape_fn((n, 4), |(i, k)| pairs[i].1[k]);
        (p, t)
    })
}

fn as_ix2(x: &ArrayD<f64>) -> ndarray::ArrayView2<'_, f64> {
    x.view().into_dimensionality::<Ix2>().unwrap()
}

/// CIoU's aspect-ratio term v = (4/π²)(atan(wᵍ/hᵍ) − atan(w/h))², per box.
fn aspect_term(p: ndarray::ArrayView2<'_, f64>, t: &Array2<f64>) -> Array1<f64> {
    let k = 4.0 / (std::f64::consts::PI * std::f64::consts::PI);
    Array1::from_shape_fn(p.nrows(), |i| {
        let (rp, rt) = (
            (p[[i, 2]] - p[[i, 0]]) / (p[[i, 3]] - p[[i, 1]]),
            (t[[i, 2]] - t[[i, 0]]) / (t[[i, 3]] - t[[i, 1]]),
        );
        k * (rt.atan() - rp.atan()).powi(2)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn iou_giou_diou_gradients((p, t) in box_pairs(), r in reductions(), eps in prop_oneof![Just(1e-7), 0.0..0.5f64]) {
        for (name, loss) in all_losses::<f64>(eps, r).into_iter().take(3) {
            let (v, g) = loss.forward_grad(&p, &t).unwrap();
            prop_assert!((v - loss.forward(&p, &t).unwrap()).abs() <= 1e-15 * v.abs().max(1.0), "{}", name);
            let numeric = finite_diff(&p.clone().into_dyn(), |x| loss.forward(&as_ix2(x), &t).unwrap());
            assert_grad_matches(&g, &numeric)?;
        }
    }

    /// CIoU's gradient treats α = v / (1 − IoU + v + eps) as a constant
    /// (torchvision computes it under no_grad), so the reference is the finite
    /// difference of DIoU + α₀·v with α₀ frozen at the base point, not of
    /// the loss itself.
    #[test]
    fn ciou_gradient_with_alpha_fixed((p, t) in box_pairs(), r in reductions(), eps in prop_oneof![Just(1e-7), 0.0..0.5f64]) {
        let ciou = CiouLoss::new().eps(eps).reduction(r);
        // The DIoU part and the IoU inside α always use eps = 1e-7.
        let diou = DiouLoss::new();
        let iou0 = IouLoss::new().unreduced(&p, &t).unwrap().mapv(|l| 1.0 - l);
        let v0 = aspect_term(p.view(), &t);
        let alpha0 = Array1::from_shape_fn(p.nrows(), |i| v0[i] / ((1.0 - iou0[i]) + v0[i] + eps));
        let per_box = ciou.unreduced(&p, &t).unwrap();
        let expected = diou.unreduced(&p, &t).unwrap() + &alpha0 * &v0;
        for (a, b) in per_box.iter().zip(&expected) {
            prop_assert!((a - b).abs() <= 1e-14 * b.abs().max(1.0), "{} vs {}", a, b);
        }
        let n = p.nrows() as f64;
        let scale = if r == Reduction::Sum { 1.0 } else { 1.0 / n };
        let frozen = |x: &ArrayD<f64>| {
            let x = as_ix2(x);
            let d = diou.unreduced(&x, &t).unwrap();
            let v = aspect_term(x, &t);
            (d + &alpha0 * &v).sum() * scale
        };
        let (value, g) = ciou.forward_grad(&p, &t).unwrap();
        prop_assert!((value - per_box.sum() * scale).abs() <= 1e-14 * value.abs().max(1.0));
        let numeric = finite_diff(&p.clone().into_dyn(), frozen);
        assert_grad_matches(&g, &numeric)?;
    }
}

// ---------------------------------------------------------------------------
// errors
// ---------------------------------------------------------------------------

#[test]
fn shape_errors() {
    let p = Array2::<f64>::ones((2, 4));
    for (name, loss) in all_losses::<f64>(1e-7, Reduction::Mean) {
        let err = loss.forward(&p, &Array2::ones((3, 4))).unwrap_err();
        assert!(
            matches!(&err, Error::ShapeMismatch { what: "target", expected, found, .. }
                if *expected == vec![2, 4] && *found == vec![3, 4]),
            "{name}: {err:?}"
        );
        let three = Array2::<f64>::ones((2, 3));
        let err = loss.unreduced(&three, &three).unwrap_err();
        assert!(
            matches!(&err, Error::ShapeMismatch { what: "boxes", expected, found, .. }
                if *expected == vec![2, 4] && *found == vec![2, 3]),
            "{name}: {err:?}"
        );
        assert!(err.to_string().contains("boxes"));
        // The gradient buffer: error, and nothing written.
        let mut g = Array2::from_elem((3, 4), 7.0);
        let err = loss.forward_grad_into(&p, &p, &mut g).unwrap_err();
        assert!(
            matches!(
                err,
                Error::ShapeMismatch {
                    what: "gradient buffer",
                    ..
                }
            ),
            "{name}"
        );
        assert!(g.iter().all(|&v| v == 7.0));
    }
}

#[test]
fn eps_errors() {
    let (p, t) = sample::<f64>();
    for eps in [-1e-7, f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        for (name, loss) in all_losses::<f64>(eps, Reduction::Mean) {
            let mut g = Array2::from_elem((3, 4), 7.0);
            let err = loss.forward_grad_into(&p, &t, &mut g).unwrap_err();
            assert!(
                matches!(err, Error::InvalidHyperparameter { name: "eps", .. }),
                "{name}: {err}"
            );
            assert!(g.iter().all(|&v| v == 7.0));
            assert!(loss.unreduced(&p, &t).is_err());
        }
    }
    // 0 is allowed.
    assert!(GiouLoss::new().eps(0.0).forward(&p, &t).is_ok());
}

#[test]
fn empty_batch() {
    // torchvision returns 0 for the mean over no boxes; we refuse.
    let e = Array2::<f32>::zeros((0, 4));
    for r in [Reduction::Mean, Reduction::BatchMean] {
        for (name, loss) in all_losses::<f32>(1e-7, r) {
            let err = loss.forward(&e, &e).unwrap_err();
            assert!(matches!(err, Error::EmptyReduction { .. }), "{name}");
            let mut g = Array2::<f32>::zeros((0, 4));
            assert!(loss.forward_grad_into(&e, &e, &mut g).is_err());
            assert_eq!(loss.unreduced(&e, &e).unwrap().len(), 0);
        }
    }
    for (name, loss) in all_losses::<f32>(1e-7, Reduction::Sum) {
        assert_eq!(loss.forward(&e, &e).unwrap(), 0.0, "{name}");
        assert_eq!(loss.grad(&e, &e).unwrap().dim(), (0, 4));
    }
}

#[test]
fn builders_and_defaults() {
    assert_eq!(GiouLoss::new(), GiouLoss::default());
    assert_eq!(GiouLoss::new().get_reduction(), Reduction::Mean);
    assert_eq!(CiouLoss::new().eps(1e-7), CiouLoss::default());
    assert_ne!(IouLoss::new().eps(1e-6), IouLoss::new());
    let copy = DiouLoss::new().reduction(Reduction::Sum);
    let (a, b) = (copy, copy);
    assert_eq!(a, b);
    assert!(format!("{a:?}").contains("DiouLoss"));
}

// ---------------------------------------------------------------------------
// parity with torchvision
// ---------------------------------------------------------------------------

const BOX_LOSSES: [&str; 4] = ["iou", "giou", "diou", "ciou"];

/// `(relative, absolute)` tolerance per dtype. The absolute floor is for
/// near-zero values: 1 − IoU of identical boxes is 1.7e-8 in f64 but 0 in
/// f32, and the gradients of identical or zero-area pairs (~1e-9) are
/// differences of O(0.1) terms, so they carry the rounding of those terms
/// (seen: 3e-17 in f64, 2e-8 in f32) whatever the order of accumulation.
fn tolerance(dtype: &str) -> (f64, f64) {
    match dtype {
        "f64" => (1e-10, 1e-15),
        "f32" => (2e-5, 1e-6),
        other => panic!("dtype {other}"),
    }
}

fn run_parity<A: Float>(case: &Value) {
    let name = case["name"].as_str().unwrap();
    let (rtol, atol) = tolerance(case["dtype"].as_str().unwrap());
    let eps = case["options"].get("eps").map_or(1e-7, num);
    let p: Array2<A> = cast(
        &array(&case["inputs"]["boxes1"])
            .into_dimensionality::<Ix2>()
            .unwrap(),
    );
    let t: Array2<A> = cast(
        &array(&case["inputs"]["boxes2"])
            .into_dimensionality::<Ix2>()
            .unwrap(),
    );
    let value = array(&case["value"]);
    let loss_name = case["loss"].as_str().unwrap();
    let reduction = match case["reduction"].as_str().unwrap() {
        "none" => None,
        "mean" => Some(Reduction::Mean),
        "sum" => Some(Reduction::Sum),
        "batchmean" => Some(Reduction::BatchMean),
        other => panic!("{name}: reduction {other}"),
    };
    match reduction {
        None => {
            let loss = loss_named::<A>(loss_name, eps, Reduction::Mean);
            let got = loss.unreduced(&p, &t).unwrap();
            assert_near(
                got.as_slice().unwrap(),
                value.as_slice().unwrap(),
                rtol,
                atol,
                &format!("{name} value"),
            );
        }
        Some(r) => {
            let loss = loss_named::<A>(loss_name, eps, r);
            let expected = value.first().copied().expect("a scalar value");
            let grad = array(&case["grads"]["boxes1"]);
            let grad = grad.as_slice().unwrap();
            let (value_ctx, grad_ctx) = (format!("{name} value"), format!("{name} gradient"));
            assert_near(
                &[loss.forward(&p, &t).unwrap()],
                &[expected],
                rtol,
                atol,
                &value_ctx,
            );
            let (v, g) = loss.forward_grad(&p, &t).unwrap();
            assert_near(&[v], &[expected], rtol, atol, &value_ctx);
            assert_near(g.as_slice().unwrap(), grad, rtol, atol, &grad_ctx);
            // Column-major inputs and gradient buffer (strided rows).
            let (pf, tf) = (to_fortran(&p), to_fortran(&t));
            let mut gf = Array2::<A>::zeros(p.raw_dim().f());
            let v = loss.forward_grad_into(&pf, &tf, &mut gf).unwrap();
            assert_near(&[v], &[expected], rtol, atol, &value_ctx);
            let gf: Vec<A> = gf.iter().copied().collect();
            assert_near(&gf, grad, rtol, atol, &grad_ctx);
        }
    }
}

fn to_fortran<A: Float>(a: &Array2<A>) -> Array2<A> {
    let mut f = Array2::zeros(a.raw_dim().f());
    f.assign(a);
    f
}

#[test]
fn parity_with_torchvision() {
    let doc = load("losses_catalogue.json");
    let cases: Vec<&Value> = doc["cases"]
        .as_array()
        .expect("a case list")
        .iter()
        .filter(|c| BOX_LOSSES.contains(&c["loss"].as_str().unwrap_or("")))
        .collect();
    assert!(
        !cases.is_empty(),
        "losses_catalogue.json has no box-loss cases"
    );
    for loss in BOX_LOSSES {
        for dtype in ["f32", "f64"] {
            for reduction in ["mean", "sum", "none"] {
                assert!(
                    cases.iter().any(|c| c["loss"] == loss
                        && c["dtype"] == dtype
                        && c["reduction"] == reduction),
                    "no {loss} {dtype} {reduction} case in the catalogue"
                );
            }
        }
    }
    for case in &cases {
        match case["dtype"].as_str().unwrap() {
            "f32" => run_parity::<f32>(case),
            "f64" => run_parity::<f64>(case),
            other => panic!("{}: dtype {other}", case["name"]),
        }
    }
}
