//! The lane losses (Keras' `CategoricalHinge`, `CosineSimilarity`,
//! `CategoricalFocal`, `GeneralizedCrossEntropy`; optax's multiclass
//! losses, `PolyLoss`, `GeneralizedKl`; PyTorch's `MultiLabelSoftMargin`),
//! `CrossEntropy`'s z-loss, and the embedding losses `NtXent` and `ClipLoss`:
//! gradients against central finite differences, the same values in every
//! memory layout, agreement with `CrossEntropy` where the formulas meet,
//! by-hand values at the kinks and caps, every error with nothing written,
//! and no panic on arbitrary input. Parity with Keras, optax and PyTorch is
//! in `parity_catalogue` (CLIP's here).

use crate::common::strategies::reductions;
use crate::common::{finite_diff, grad_matches};
use ndarray::{array, Array1, ArrayD, Axis, IxDyn, ShapeBuilder};
use ndloss::prelude::*;
use proptest::prelude::*;

/// A lane loss as a trait object.
type DynLane = dyn Loss<f64, IxDyn, Unreduced = IxDyn>;
/// A lane loss with class-index targets as a trait object.
type DynIndexLane = dyn Loss<f64, IxDyn, usize, IxDyn, Unreduced = IxDyn>;

/// A shape of 1 to 3 axes whose last has 2 to 6 entries.
fn lane_shape() -> impl Strategy<Value = Vec<usize>> {
    (prop::collection::vec(1usize..4, 0..3), 2usize..7).prop_map(|(mut s, c)| {
        s.push(c);
        s
    })
}

fn filled(shape: &[usize], seed: u64, lo: f64, hi: f64) -> ArrayD<f64> {
    let mut state = seed | 1;
    ArrayD::from_shape_fn(IxDyn(shape), |_| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        lo + (hi - lo) * ((state >> 11) as f64 / (1u64 << 53) as f64)
    })
}

/// Gradient of a dense-target lane loss against finite differences.
fn check<L: Loss<f64, IxDyn, Unreduced = IxDyn>>(
    loss: &L,
    p: &ArrayD<f64>,
    t: &ArrayD<f64>,
) -> Result<(), TestCaseError> {
    let (_, g) = loss.forward_grad(p, t).unwrap();
    grad_matches(&g, &finite_diff(p, |x| loss.forward(x, t).unwrap()))
}

/// Whether every lane of the categorical hinge is 1e-3 away from its kinks
/// (the hinge at 0 and a tie for the maximum).
fn hinge_smooth(p: &ArrayD<f64>, t: &ArrayD<f64>) -> bool {
    let ax = Axis(p.ndim() - 1);
    p.lanes(ax).into_iter().zip(t.lanes(ax)).all(|(x, t)| {
        let mut v: Vec<f64> = x.iter().zip(&t).map(|(x, t)| (1.0 - t) * x).collect();
        let pos: f64 = x.iter().zip(&t).map(|(x, t)| t * x).sum();
        v.sort_by(|a, b| b.partial_cmp(a).unwrap());
        (v[0] - pos + 1.0).abs() > 1e-3 && v[0] - v[1] > 1e-3
    })
}

proptest! {
    #[test]
    fn categorical_hinge_gradient(s in lane_shape(), r in reductions(), seed in any::<u64>(), one_hot in any::<bool>()) {
        let p = filled(&s, seed, -3.0, 3.0);
        let mut t = filled(&s, seed ^ 0xA5, 0.0, 1.0);
        if one_hot {
            let c = *s.last().unwrap();
            for (i, mut lane) in t.lanes_mut(Axis(s.len() - 1)).into_iter().enumerate() {
                lane.iter_mut().enumerate().for_each(|(k, v)| *v = f64::from(u8::from(k == (i * 7 + seed as usize) % c)));
            }
        }
        prop_assume!(hinge_smooth(&p, &t));
        check(&CategoricalHinge::new().reduction(r), &p, &t)?;
    }

    #[test]
    fn cosine_similarity_gradient(s in lane_shape(), r in reductions(), seed in any::<u64>(), scale in prop_oneof![Just(1.0), Just(0.05), Just(1e3)]) {
        let p = filled(&s, seed, -2.0, 2.0) * scale;
        let t = filled(&s, seed ^ 0xC0, -2.0, 2.0);
        let ax = Axis(s.len() - 1);
        prop_assume!(p.lanes(ax).into_iter().all(|x| x.dot(&x).sqrt() > 1e-2 * scale));
        check(&CosineSimilarity::new().reduction(r), &p, &t)?;
    }

    #[test]
    fn categorical_focal_gradient(
        s in lane_shape(),
        r in reductions(),
        seed in any::<u64>(),
        gamma in prop_oneof![Just(0.0), Just(1.0), Just(2.0), 0.0f64..4.0],
        alpha in 0.0f64..2.0,
        per_class in any::<bool>(),
        smoothing in prop_oneof![Just(0.0), 0.0f64..1.0],
        logits in any::<bool>(),
    ) {
        let c = *s.last().unwrap();
        let p = if logits { filled(&s, seed, -5.0, 5.0) } else { filled(&s, seed, 0.05, 2.0) };
        let t = filled(&s, seed ^ 0xF0, 0.0, 1.0);
        let mut l = CategoricalFocal::new()
            .alpha(alpha)
            .gamma(gamma)
            .label_smoothing(smoothing)
            .from_logits(logits)
            .reduction(r);
        if per_class {
            l = l.alpha_per_class(&Array1::from_shape_fn(c, |k| 0.1 + k as f64 * 0.3));
        }
        check(&l, &p, &t)?;
    }

    #[test]
    fn generalized_ce_gradient(s in lane_shape(), r in reductions(), seed in any::<u64>(), q in 0.05f64..0.95) {
        let z = filled(&s, seed, -2.0, 2.0);
        let ax = Axis(s.len() - 1);
        let p = &z.mapv(f64::exp) / &z.mapv(f64::exp).sum_axis(ax).insert_axis(ax);
        let c = *s.last().unwrap();
        let y = ArrayD::from_shape_fn(IxDyn(&s[..s.len() - 1]), |i| {
            (ndarray::Dimension::slice(&i).iter().sum::<usize>() + seed as usize) % c
        });
        let l = GeneralizedCrossEntropy::new().q(q).reduction(r);
        let (_, g) = l.forward_grad(&p, &y).unwrap();
        grad_matches(&g, &finite_diff(&p, |x| l.forward(x, &y).unwrap()))?;
    }
}

/// Class indices for the lanes of `s` (the prediction's shape).
fn classes_for(s: &[usize], seed: u64) -> ArrayD<usize> {
    let c = *s.last().unwrap();
    ArrayD::from_shape_fn(IxDyn(&s[..s.len() - 1]), |i| {
        (ndarray::Dimension::slice(&i).iter().sum::<usize>() * 3 + seed as usize) % c
    })
}

/// Gradient of a class-index lane loss against finite differences.
fn check_index<L: Loss<f64, IxDyn, usize, IxDyn, Unreduced = IxDyn>>(
    loss: &L,
    p: &ArrayD<f64>,
    y: &ArrayD<usize>,
) -> Result<(), TestCaseError> {
    let (_, g) = loss.forward_grad(p, y).unwrap();
    grad_matches(&g, &finite_diff(p, |x| loss.forward(x, y).unwrap()))
}

proptest! {
    #[test]
    fn multiclass_max_margin_gradients(s in lane_shape(), r in reductions(), seed in any::<u64>(), margin in prop_oneof![Just(1.0), -1.0f64..3.0]) {
        let p = filled(&s, seed, -3.0, 3.0);
        let y = classes_for(&s, seed);
        let ax = Axis(s.len() - 1);
        // Away from ties for the maximum (of the margin-shifted scores).
        let apart = |m: f64| p.lanes(ax).into_iter().zip(y.iter()).all(|(x, &y)| {
            let mut z: Vec<f64> = x.iter().enumerate().map(|(k, &v)| v + if k == y { 0.0 } else { m }).collect();
            z.sort_by(|a, b| b.partial_cmp(a).unwrap());
            z[0] - z[1] > 1e-3
        });
        prop_assume!(apart(margin) && apart(0.0));
        check_index(&MulticlassHinge::new().margin(margin).reduction(r), &p, &y)?;
        check_index(&MulticlassPerceptron::new().reduction(r), &p, &y)?;
    }

    #[test]
    fn sparsemax_gradient(s in lane_shape(), r in reductions(), seed in any::<u64>()) {
        let p = filled(&s, seed, -2.0, 2.0);
        let y = classes_for(&s, seed);
        let ax = Axis(s.len() - 1);
        // Away from changes of the support: every entry 1e-3 from τ, which
        // is where sparsemax is not differentiable.
        let tau = |x: &[f64]| {
            let mut v = x.to_vec();
            v.sort_by(|a, b| b.partial_cmp(a).unwrap());
            let (mut sum, mut best) = (0.0, 0.0);
            for (k, &z) in v.iter().enumerate() {
                sum += z;
                let t = (sum - 1.0) / (k + 1) as f64;
                if z > t {
                    best = t;
                }
            }
            best
        };
        prop_assume!(p.lanes(ax).into_iter().all(|x| {
            let x = x.to_vec();
            let t = tau(&x);
            x.iter().all(|&v| (v - t).abs() > 1e-3)
        }));
        let l = Sparsemax::new().reduction(r);
        check_index(&l, &p, &y)?;
        // Its gradient is sparsemax minus the one-hot target: adding the
        // one-hot back gives a distribution with exact zeros below τ.
        let (_, g) = Sparsemax::new().reduction(Reduction::Sum).forward_grad(&p, &y).unwrap();
        for ((lane, x), &yk) in g.lanes(ax).into_iter().zip(p.lanes(ax)).zip(y.iter()) {
            let q: Vec<f64> = lane.iter().enumerate().map(|(k, &v)| v + if k == yk { 1.0 } else { 0.0 }).collect();
            prop_assert!((q.iter().sum::<f64>() - 1.0).abs() < 1e-12);
            let t = tau(&x.to_vec());
            for (&qk, &xk) in q.iter().zip(x.iter()) {
                prop_assert!((qk - (xk - t).max(0.0)).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn poly_and_generalized_kl_gradients(s in lane_shape(), r in reductions(), seed in any::<u64>(), eps in prop_oneof![Just(2.0), -1.0f64..4.0]) {
        let x = filled(&s, seed, -3.0, 3.0);
        let t = filled(&s, seed ^ 0xBB, 0.0, 1.0);
        check(&PolyLoss::new().epsilon(eps).reduction(r), &x, &t)?;
        let mut t0 = t.clone();
        t0.iter_mut().step_by(3).for_each(|v| *v = 0.0);
        check(&GeneralizedKl::new().reduction(r), &x, &t0)?;
        let c = *s.last().unwrap();
        check(&MultiLabelSoftMargin::new().reduction(r), &x, &t)?;
        check(&MultiLabelSoftMargin::new().class_weights(&Array1::from_shape_fn(c, |k| 0.5 + k as f64)).reduction(r), &x, &t)?;
        // ε = 0 is the cross-entropy with probability targets.
        if s.len() == 2 {
            let ce = CrossEntropy::new().reduction(r).forward(&x, &t).unwrap();
            let poly = PolyLoss::new().epsilon(0.0).reduction(r).forward(&x, &t).unwrap();
            prop_assert!((ce - poly).abs() < 1e-13 * ce.abs().max(1.0));
        }
    }
}

/// The four losses on one input, as (value, gradient, unreduced).
fn all_four(
    p: &ndarray::ArrayViewD<'_, f64>,
    t: &ndarray::ArrayViewD<'_, f64>,
) -> Vec<(f64, ArrayD<f64>, ArrayD<f64>)> {
    let y = t.map_axis(Axis(t.ndim() - 1), |lane| {
        lane.iter()
            .enumerate()
            .fold((0, f64::MIN), |b, (k, &v)| if v > b.1 { (k, v) } else { b })
            .0
    });
    let probs = p.mapv(|v| 0.05 + v.abs().min(0.9));
    let focal = CategoricalFocal::new().gamma(1.5).label_smoothing(0.1);
    let mut out = Vec::new();
    let mut push = |v: f64, g: ArrayD<f64>, u: ArrayD<f64>| out.push((v, g, u));
    let (v, g) = CategoricalHinge::new().forward_grad(p, t).unwrap();
    push(v, g, CategoricalHinge::new().unreduced(p, t).unwrap());
    let (v, g) = CosineSimilarity::new().forward_grad(p, t).unwrap();
    push(v, g, CosineSimilarity::new().unreduced(p, t).unwrap());
    let (v, g) = focal.clone().from_logits(true).forward_grad(p, t).unwrap();
    push(
        v,
        g,
        focal.clone().from_logits(true).unreduced(p, t).unwrap(),
    );
    let (v, g) = focal.forward_grad(&probs, t).unwrap();
    push(v, g, focal.unreduced(&probs, t).unwrap());
    let (v, g) = GeneralizedCrossEntropy::new()
        .forward_grad(&probs, &y)
        .unwrap();
    push(
        v,
        g,
        GeneralizedCrossEntropy::new()
            .unreduced(&probs, &y)
            .unwrap(),
    );
    out
}

#[test]
fn every_layout_gives_the_same_lanes() {
    let s = [3, 4, 5];
    let p = filled(&s, 11, -2.0, 2.0);
    let t = filled(&s, 12, 0.0, 1.0);
    let reference = all_four(&p.view(), &t.view());
    // Column-major copies, and strided views (every other entry of a larger
    // array, the last axis included).
    let mut pf = ArrayD::zeros(IxDyn(&s).f());
    pf.assign(&p);
    let mut tf = ArrayD::zeros(IxDyn(&s).f());
    tf.assign(&t);
    let mut pb = ArrayD::zeros(IxDyn(&[3, 4, 10]));
    pb.slice_each_axis_mut(|a| {
        ndarray::Slice::new(0, None, if a.axis.index() == 2 { 2 } else { 1 })
    })
    .assign(&p);
    let mut tb = ArrayD::zeros(IxDyn(&[3, 4, 10]));
    tb.slice_each_axis_mut(|a| {
        ndarray::Slice::new(0, None, if a.axis.index() == 2 { 2 } else { 1 })
    })
    .assign(&t);
    let ps = pb
        .slice_each_axis(|a| ndarray::Slice::new(0, None, if a.axis.index() == 2 { 2 } else { 1 }));
    let ts = tb
        .slice_each_axis(|a| ndarray::Slice::new(0, None, if a.axis.index() == 2 { 2 } else { 1 }));
    for (p, t) in [(pf.view(), tf.view()), (ps, ts)] {
        for ((v, g, u), (rv, rg, ru)) in all_four(&p, &t).into_iter().zip(&reference) {
            // The lanes are summed in the layout's memory order: the total
            // may differ in its last bits, every lane's value may not.
            assert!((v - rv).abs() <= 4.0 * f64::EPSILON * rv.abs(), "{v} {rv}");
            assert_eq!(&g, rg);
            assert_eq!(&u, ru);
        }
    }
    assert_eq!(reference[0].2.shape(), &[3, 4]);
}

#[test]
fn focal_without_focus_is_kerass_cross_entropy() {
    // γ = 0, α = 1: Keras' clipped categorical cross-entropy, which is
    // `CrossEntropy::from_probs` (probabilities) and, without clipping, the
    // softmax cross-entropy (logits), label smoothing included.
    let x = filled(&[6, 5], 3, 0.05, 2.0);
    let t = filled(&[6, 5], 4, 0.0, 1.0);
    for s in [0.0, 0.2] {
        let focal = CategoricalFocal::new()
            .alpha(1.0)
            .gamma(0.0)
            .label_smoothing(s);
        let ce = CrossEntropy::new().label_smoothing(s);
        for logits in [false, true] {
            let (v, g) = focal
                .clone()
                .from_logits(logits)
                .forward_grad(&x, &t)
                .unwrap();
            let (cv, cg) = ce.clone().from_probs(!logits).forward_grad(&x, &t).unwrap();
            assert!((v - cv).abs() < 1e-14 * cv.abs(), "{v} {cv}");
            for (a, b) in g.iter().zip(&cg) {
                assert!((a - b).abs() < 1e-14, "{a} {b}");
            }
        }
    }
}

#[test]
fn z_loss_is_the_squared_normaliser_on_every_path() {
    // Rows few and many (the f32 lane kernel's threshold), long rows, and an
    // (N, C, d) input: the z-loss adds z·w_y·lse² and 2z·w_y·lse·softmax.
    for (n, c) in [(3, 5), (64, 10), (40, 33), (2, 300)] {
        let x = filled(&[n, c], n as u64 * 31 + c as u64, -4.0, 4.0)
            .into_dimensionality::<ndarray::Ix2>()
            .unwrap();
        let y = Array1::from_shape_fn(n, |i| (i * 7) % c);
        let w = Array1::from_shape_fn(c, |k| 0.5 + k as f64 / c as f64);
        let z = 0.01;
        let lse = x.map_axis(Axis(1), |r| {
            let m = r.fold(f64::MIN, |a, &b| a.max(b));
            m + r.iter().map(|v| (v - m).exp()).sum::<f64>().ln()
        });
        for weighted in [false, true] {
            let mut base = CrossEntropy::new().reduction(Reduction::Sum);
            if weighted {
                base = base.class_weights(w.clone());
            }
            let wy = |i: usize| if weighted { w[y[i]] } else { 1.0 };
            let (v0, g0) = base.forward_grad(&x, &y).unwrap();
            let (v1, g1) = base.clone().z_loss(z).forward_grad(&x, &y).unwrap();
            let extra: f64 = (0..n).map(|i| z * wy(i) * lse[i] * lse[i]).sum();
            assert!((v1 - v0 - extra).abs() < 1e-12 * v1.abs(), "{n}x{c}");
            for i in 0..n {
                for k in 0..c {
                    let p = (x[[i, k]] - lse[i]).exp();
                    let want = g0[[i, k]] + 2.0 * z * wy(i) * lse[i] * p;
                    assert!((g1[[i, k]] - want).abs() < 1e-13, "{n}x{c} {i} {k}");
                }
            }
            // f32 takes the same formula (on the AVX-512 lane kernel's rows too).
            let x32 = x.mapv(|v| v as f32);
            let (v32, _) = base.clone().z_loss(z).forward_grad(&x32, &y).unwrap();
            assert!((f64::from(v32) - v1).abs() < 2e-5 * v1.abs(), "{n}x{c} f32");
        }
    }
    // Settings it does not take.
    let x = array![[1.0_f64, 2.0]];
    let name = |e: Result<f64>| match e {
        Err(Error::InvalidHyperparameter { name, .. }) => name,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        name(
            CrossEntropy::new()
                .z_loss(-1.0)
                .forward(&x, &array![0_usize])
        ),
        "z_loss"
    );
    assert_eq!(
        name(
            CrossEntropy::new()
                .z_loss(f64::NAN)
                .forward(&x, &array![0_usize])
        ),
        "z_loss"
    );
    assert_eq!(
        name(
            CrossEntropy::new()
                .z_loss(0.1)
                .from_probs(true)
                .forward(&x, &array![0_usize])
        ),
        "z_loss"
    );
    assert_eq!(
        name(
            CrossEntropy::new()
                .z_loss(0.1)
                .forward(&x, &array![[0.5, 0.5]])
        ),
        "z_loss"
    );
    assert!(CrossEntropy::new()
        .z_loss(0.1)
        .from_probs(true)
        .validate()
        .is_err());
}

#[test]
fn kinks_ties_and_caps_by_hand() {
    // Hinge: two wrong classes tie for the maximum and share its gradient.
    let (x, t) = (array![[1.0_f64, 3.0, 3.0]], array![[1.0, 0.0, 0.0]]);
    let (v, g) = CategoricalHinge::new().forward_grad(&x, &t).unwrap();
    assert_eq!((v, g), (3.0, array![[-1.0, 0.5, 0.5]]));
    // At the kink (margin exactly 1) the loss and gradient are 0.
    let x = array![[2.0_f64, 1.0]];
    let (v, g) = CategoricalHinge::new()
        .forward_grad(&x, &array![[1.0, 0.0]])
        .unwrap();
    assert_eq!((v, g), (0.0, array![[0.0, 0.0]]));
    // Cosine: a zero prediction is divided by ε, so the loss is 0 and the
    // gradient −t̂/ε; a zero target gives 0 and a zero gradient.
    let (x, t) = (
        array![[0.0_f64, 0.0], [1.0, 1.0]],
        array![[3.0, 4.0], [0.0, 0.0]],
    );
    let l = CosineSimilarity::new().reduction(Reduction::Sum);
    let (v, g) = l.forward_grad(&x, &t).unwrap();
    assert_eq!(v, 0.0);
    assert!((g[[0, 0]] + 0.6e7).abs() < 1e-6 && (g[[0, 1]] + 0.8e7).abs() < 1e-6);
    assert_eq!(g.row(1).to_vec(), vec![0.0, 0.0]);
    // Focal: an entry the clip holds (o < 1e-7) has gradient 0 through its
    // own term; with one-hot targets elsewhere only the normalisation moves it.
    let (x, t) = (array![[1e-12_f64, 1.0]], array![[1.0, 0.0]]);
    let (v, g) = CategoricalFocal::new().forward_grad(&x, &t).unwrap();
    let o = 1e-7_f64;
    assert!((v - 0.25 * (1.0 - o).powi(2) * -o.ln()).abs() < 1e-12);
    assert_eq!(g, array![[0.0, 0.0]]);
    // GCE at p_y = 0: the loss is 1/q, the gradient −∞.
    let (v, g) = GeneralizedCrossEntropy::new()
        .forward_grad(&array![[0.0_f64, 1.0]], &array![0_usize])
        .unwrap();
    assert_eq!((v, g[[0, 0]], g[[0, 1]]), (2.0, f64::NEG_INFINITY, 0.0));
}

#[test]
fn every_bad_input_is_a_typed_error_and_writes_nothing() {
    let p = filled(&[2, 3], 5, 0.1, 0.9);
    let t = filled(&[2, 3], 6, 0.0, 1.0);
    let y = array![0_usize, 2];
    let mut g = ArrayD::from_elem(IxDyn(&[2, 3]), 7.0);
    let untouched = g.clone();
    let dense: Vec<(&str, Box<DynLane>)> = vec![
        ("hinge", Box::new(CategoricalHinge::new())),
        ("cosine", Box::new(CosineSimilarity::new())),
        ("focal", Box::new(CategoricalFocal::new())),
        (
            "focal logits",
            Box::new(CategoricalFocal::new().from_logits(true)),
        ),
    ];
    let p = p.into_dyn();
    let shape = |e: Result<f64>, what: &str| match e {
        Err(Error::ShapeMismatch { what: w, .. }) => assert!(w.starts_with(what), "{w}"),
        other => panic!("{what}: {other:?}"),
    };
    for (name, l) in &dense {
        shape(
            l.forward_grad_into(&p, &t.slice(ndarray::s![.., ..2]).into_dyn(), &mut g),
            "target",
        );
        shape(
            l.forward_grad_into(&p, &t, &mut ArrayD::zeros(IxDyn(&[3, 2]))),
            "gradient buffer",
        );
        let scalar = ArrayD::from_elem(IxDyn(&[]), 1.0);
        shape(l.forward(&scalar, &scalar), "prediction");
        let empty = ArrayD::zeros(IxDyn(&[2, 0]));
        shape(l.forward(&empty, &empty), "prediction");
        let none = ArrayD::zeros(IxDyn(&[0, 3]));
        assert!(
            matches!(l.forward(&none, &none), Err(Error::EmptyReduction { .. })),
            "{name}"
        );
        assert_eq!(l.unreduced(&none, &none).unwrap().shape(), &[0]);
        assert_eq!(g, untouched, "{name}");
    }
    let hyper = |e: Result<f64>, name: &str| match e {
        Err(Error::InvalidHyperparameter { name: n, .. }) => assert_eq!(n, name),
        other => panic!("{name}: {other:?}"),
    };
    hyper(
        CosineSimilarity::new()
            .eps(0.0)
            .forward_grad_into(&p, &t, &mut g),
        "eps",
    );
    hyper(
        CategoricalFocal::new()
            .gamma(-1.0)
            .forward_grad_into(&p, &t, &mut g),
        "gamma",
    );
    hyper(
        CategoricalFocal::new()
            .alpha(f64::NAN)
            .forward_grad_into(&p, &t, &mut g),
        "alpha",
    );
    hyper(
        CategoricalFocal::new()
            .label_smoothing(1.5)
            .forward_grad_into(&p, &t, &mut g),
        "label_smoothing",
    );
    hyper(
        CategoricalFocal::new()
            .alpha_per_class(&array![1.0, -1.0, 1.0])
            .forward_grad_into(&p, &t, &mut g),
        "alpha_per_class",
    );
    assert!(CategoricalFocal::new().gamma(-1.0).validate().is_err());
    shape(
        CategoricalFocal::new()
            .alpha_per_class(&array![1.0, 1.0])
            .forward_grad_into(&p, &t, &mut g),
        "alpha_per_class",
    );
    let value = |e: Result<f64>, index: &[usize]| match e {
        Err(Error::InvalidValue { index: i, .. }) => assert_eq!(i, index),
        other => panic!("{other:?}"),
    };
    let mut bad = p.clone();
    bad[[1, 2]] = -0.5;
    value(
        CategoricalFocal::new().forward_grad_into(&bad, &t, &mut g),
        &[1, 2],
    );
    let mut zero = p.clone();
    zero.index_axis_mut(Axis(0), 1).fill(0.0);
    value(
        CategoricalFocal::new().forward_grad_into(&zero, &t, &mut g),
        &[1],
    );
    // Logits have no domain.
    assert!(CategoricalFocal::new()
        .from_logits(true)
        .forward(&bad, &t)
        .is_ok());
    for q in [0.0, 1.0, f64::NAN] {
        hyper(
            GeneralizedCrossEntropy::new().q(q).forward_grad_into(
                &p,
                &y.clone().into_dyn(),
                &mut g,
            ),
            "q",
        );
    }
    let gce = GeneralizedCrossEntropy::new();
    match gce.forward_grad_into(&p, &array![0_usize, 3].into_dyn(), &mut g) {
        Err(Error::ClassOutOfRange {
            sample: 1,
            class: 3,
            num_classes: 3,
            ..
        }) => {}
        other => panic!("{other:?}"),
    }
    shape(
        gce.forward_grad_into(&p, &array![0_usize].into_dyn(), &mut g),
        "target",
    );
    let index: Vec<Box<DynIndexLane>> = vec![
        Box::new(MulticlassHinge::new()),
        Box::new(MulticlassPerceptron::new()),
        Box::new(Sparsemax::new()),
    ];
    for l in &index {
        match l.forward_grad_into(&p, &array![2_usize, 3].into_dyn(), &mut g) {
            Err(Error::ClassOutOfRange {
                sample: 1,
                class: 3,
                ..
            }) => {}
            other => panic!("{other:?}"),
        }
        shape(
            l.forward_grad_into(&p, &array![[0_usize]].into_dyn(), &mut g),
            "target",
        );
        shape(
            l.forward_grad_into(&p, &y.clone().into_dyn(), &mut ArrayD::zeros(IxDyn(&[2]))),
            "gradient buffer",
        );
        let none = ArrayD::<f64>::zeros(IxDyn(&[0, 3]));
        let no_y = ArrayD::<usize>::zeros(IxDyn(&[0]));
        assert!(matches!(
            l.forward(&none, &no_y),
            Err(Error::EmptyReduction { .. })
        ));
    }
    hyper(
        MulticlassHinge::new()
            .margin(f64::INFINITY)
            .forward_grad_into(&p, &y.clone().into_dyn(), &mut g),
        "margin",
    );
    hyper(
        PolyLoss::new()
            .epsilon(f64::NAN)
            .forward_grad_into(&p, &t, &mut g),
        "epsilon",
    );
    let mut above = p.clone();
    above[[0, 1]] = 1.5;
    value(
        gce.forward_grad_into(&above, &y.clone().into_dyn(), &mut g),
        &[0, 1],
    );
    assert_eq!(g, untouched);
}

proptest! {
    #[test]
    fn arbitrary_input_is_a_value_or_an_error(
        s in prop::collection::vec(0usize..4, 0..4),
        ts in prop::collection::vec(0usize..4, 0..4),
        vals in prop::collection::vec(prop_oneof![-3.0f64..3.0, Just(0.0), Just(f64::NAN), Just(f64::INFINITY), Just(-1e300)], 64),
        hyper in prop_oneof![-1.0f64..2.0, Just(0.0), Just(f64::NAN)],
        classes in prop::collection::vec(0usize..5, 16),
        r in reductions(),
    ) {
        let fill = |shape: &[usize]| ArrayD::from_shape_fn(IxDyn(shape), |i| vals[ndarray::Dimension::slice(&i).iter().sum::<usize>() % 64]);
        let (p, t) = (fill(&s), fill(if ts.len() % 2 == 0 { &s } else { &ts }));
        let losses: Vec<Box<DynLane>> = vec![
            Box::new(CategoricalHinge::new().reduction(r)),
            Box::new(CosineSimilarity::new().eps(hyper).reduction(r)),
            Box::new(CategoricalFocal::new().gamma(hyper).label_smoothing(hyper.abs()).reduction(r)),
            Box::new(CategoricalFocal::new().from_logits(true).alpha(hyper).reduction(r)),
            Box::new(PolyLoss::new().epsilon(hyper).reduction(r)),
            Box::new(GeneralizedKl::new().reduction(r)),
            Box::new(MultiLabelSoftMargin::new().class_weights(&Array1::from_elem(3, hyper)).reduction(r)),
        ];
        for l in &losses {
            let mut g = ArrayD::from_elem(p.raw_dim(), 7.0);
            if l.forward_grad_into(&p, &t, &mut g).is_err() {
                prop_assert!(g.iter().all(|&v| v == 7.0));
            }
            let _ = l.unreduced(&p, &t);
        }
        let lanes = &s[..s.len().saturating_sub(1)];
        let y = ArrayD::from_shape_fn(IxDyn(if ts.len() % 2 == 0 { lanes } else { &ts }), |i| classes[ndarray::Dimension::slice(&i).iter().sum::<usize>() % 16]);
        let index: Vec<Box<DynIndexLane>> = vec![
            Box::new(GeneralizedCrossEntropy::new().q(hyper).reduction(r)),
            Box::new(MulticlassHinge::new().margin(hyper).reduction(r)),
            Box::new(MulticlassPerceptron::new().reduction(r)),
            Box::new(Sparsemax::new().reduction(r)),
        ];
        for l in &index {
            let mut g = ArrayD::from_elem(p.raw_dim(), 7.0);
            if l.forward_grad_into(&p, &y, &mut g).is_err() {
                prop_assert!(g.iter().all(|&v| v == 7.0));
            }
            let _ = l.unreduced(&p, &y);
        }
    }
}

// ---------------------------------------------------------------------------
// NtXent (pairs of embeddings with labels)
// ---------------------------------------------------------------------------

proptest! {
    #[test]
    fn ntxent_gradient(
        n in 2usize..9,
        d in 1usize..6,
        groups in 1usize..4,
        seed in any::<u64>(),
        t in prop_oneof![Just(0.07), 0.05f64..2.0],
        r in reductions(),
    ) {
        let x = filled(&[n, d], seed, -2.0, 2.0).into_dimensionality::<ndarray::Ix2>().unwrap();
        let y = Array1::from_shape_fn(n, |i| (i + seed as usize) % groups);
        let l = NtXent::new().temperature(t).reduction(r);
        let v = l.forward(&x, &y);
        prop_assume!(v.is_ok()); // a mean needs a positive pair
        let (_, g) = l.forward_grad(&x, &y).unwrap();
        let xd = x.clone().into_dyn();
        let numeric = finite_diff(&xd, |v| {
            l.forward(&v.view().into_dimensionality::<ndarray::Ix2>().unwrap(), &y).unwrap()
        });
        grad_matches(&g.into_dyn(), &numeric)?;
        // The per-anchor values add up to the sum.
        let u = l.unreduced(&x, &y).unwrap();
        let s = l.reduction(Reduction::Sum).forward(&x, &y).unwrap();
        prop_assert!((u.sum() - s).abs() <= 1e-12 * s.abs().max(1.0));
    }
}

#[test]
fn ntxent_by_hand_and_errors() {
    // Scaling an embedding changes nothing; an anchor without positives
    // adds nothing.
    let x = array![
        [1.0_f64, 0.5],
        [2.0, 0.9],
        [-0.3, 1.0],
        [0.1, -2.0],
        [5.0, 5.0]
    ];
    let y = array![0_usize, 0, 1, 1, 2];
    let l = NtXent::new().temperature(0.5);
    let v = l.forward(&x, &y).unwrap();
    let mut scaled = x.clone();
    scaled.row_mut(1).mapv_inplace(|v| v * 7.0);
    assert!((l.forward(&scaled, &y).unwrap() - v).abs() < 1e-14);
    assert_eq!(l.unreduced(&x, &y).unwrap()[4], 0.0);
    // No positive pair: the mean is empty, the sum 0.
    let lone = array![0_usize, 1, 2, 3, 4];
    assert!(matches!(
        l.forward(&x, &lone),
        Err(Error::EmptyReduction { .. })
    ));
    assert_eq!(l.reduction(Reduction::Sum).forward(&x, &lone).unwrap(), 0.0);
    let mut g = ndarray::Array2::from_elem((5, 2), 7.0);
    assert!(matches!(
        l.forward_grad_into(&x, &array![0_usize, 0], &mut g),
        Err(Error::ShapeMismatch { what: "labels", .. })
    ));
    assert!(matches!(
        l.forward_grad_into(&x, &y, &mut ndarray::Array2::zeros((5, 3))),
        Err(Error::ShapeMismatch {
            what: "gradient buffer",
            ..
        })
    ));
    for t in [0.0, -1.0, f64::NAN] {
        assert!(matches!(
            NtXent::new()
                .temperature(t)
                .forward_grad_into(&x, &y, &mut g),
            Err(Error::InvalidHyperparameter {
                name: "temperature",
                ..
            })
        ));
    }
    assert!(g.iter().all(|&v| v == 7.0));
    // A row below the √ε norm floor is divided by √ε: the loss is smooth in
    // it there, and its gradient matches differences of a step well inside
    // the floor.
    let mut x = x;
    x.row_mut(2).mapv_inplace(|v| v * 1e-10);
    let (_, g) = l.forward_grad(&x, &y).unwrap();
    for d in 0..2 {
        let h = 1e-12;
        let (mut up, mut down) = (x.clone(), x.clone());
        up[[2, d]] += h;
        down[[2, d]] -= h;
        let fd = (l.forward(&up, &y).unwrap() - l.forward(&down, &y).unwrap()) / (2.0 * h);
        assert!(
            (g[[2, d]] - fd).abs() < 1e-4 * fd.abs().max(1.0),
            "{} {fd}",
            g[[2, d]]
        );
    }
}

// ---------------------------------------------------------------------------
// ClipLoss (two embeddings and the learnable scale)
// ---------------------------------------------------------------------------

fn clip_case<A: ndloss::Float>(case: &serde_json::Value, rtol: f64) -> f64 {
    use crate::common::{array, assert_close, assert_scalar, cast, num};
    let input = |k: &str| {
        cast::<A, _>(&array(&case["inputs"][k]))
            .into_dimensionality::<ndarray::Ix2>()
            .unwrap()
    };
    let (img, txt) = (input("image"), input("text"));
    let t = A::from_f64(num(&case["inputs"]["log_scale"]["data"][0]));
    let name = case["name"].as_str().unwrap();
    // Entries that cancel to ~0 keep their terms' rounding (PyTorch's f32
    // pair loss at scale 100 is lse − L_ii of two numbers near 100, and a
    // gradient entry sums terms as large as the largest): a floor relative to
    // the largest entry, as parity_catalogue's (f64: 1e-5, since the scale
    // multiplies every term).
    let floor = |g: &ArrayD<f64>| {
        g.iter().fold(0.0_f64, |m, v| m.max(v.abs())) * if rtol > 1e-8 { 1e-2 } else { 1e-5 }
    };
    let r = match case["reduction"].as_str().unwrap() {
        "none" => {
            let u = ClipLoss::new().unreduced(&img, &txt, t).unwrap();
            let want = array(&case["value"]);
            return assert_close(u.into_dyn().view(), &want, rtol, floor(&want), name);
        }
        "sum" => Reduction::Sum,
        _ => Reduction::Mean,
    };
    let l = ClipLoss::new().reduction(r);
    let value = num(&case["value"]["data"][0]);
    let mut worst = assert_scalar(l.forward(&img, &txt, t).unwrap(), value, rtol, name);
    let (v, gi, gt, gs) = l.forward_grad(&img, &txt, t).unwrap();
    worst = worst.max(assert_scalar(v, value, rtol, name));
    for (got, key) in [(gi, "image"), (gt, "text")] {
        let want = array(&case["grads"][key]);
        worst = worst.max(assert_close(
            got.into_dyn().view(),
            &want,
            rtol,
            floor(&want),
            name,
        ));
    }
    let want = num(&case["grads"]["log_scale"]["data"][0]);
    worst.max(assert_scalar(
        gs,
        want,
        rtol.max(1e-6 * (want.abs() < 1e-3) as u8 as f64),
        name,
    ))
}

#[test]
fn clip_matches_open_clips_formula_in_torch() {
    let data = crate::common::load("losses_catalogue.json");
    let mut counts = (0, 0.0_f64, 0.0_f64);
    for case in data["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["loss"] == "clip")
    {
        match case["dtype"].as_str().unwrap() {
            "f64" => counts.1 = counts.1.max(clip_case::<f64>(case, 1e-10)),
            _ => counts.2 = counts.2.max(clip_case::<f32>(case, 2e-5)),
        }
        counts.0 += 1;
    }
    assert!(counts.0 >= 12, "{counts:?}");
    eprintln!(
        "clip: {} cases, worst f64 {:.1e}, f32 {:.1e}",
        counts.0, counts.1, counts.2
    );
}

proptest! {
    #[test]
    fn clip_gradients(n in 1usize..7, d in 1usize..6, seed in any::<u64>(), t in -1.0f64..4.0, r in reductions()) {
        let img = filled(&[n, d], seed, -2.0, 2.0).into_dimensionality::<ndarray::Ix2>().unwrap();
        let txt = filled(&[n, d], seed ^ 0xC11, -2.0, 2.0).into_dimensionality::<ndarray::Ix2>().unwrap();
        let l = ClipLoss::new().reduction(r);
        let (_, gi, gt, gs) = l.forward_grad(&img, &txt, t).unwrap();
        let f = |a: &ArrayD<f64>, b: &ArrayD<f64>, t: f64| {
            l.forward(
                &a.view().into_dimensionality::<ndarray::Ix2>().unwrap(),
                &b.view().into_dimensionality::<ndarray::Ix2>().unwrap(),
                t,
            )
            .unwrap()
        };
        let (id, td) = (img.clone().into_dyn(), txt.clone().into_dyn());
        grad_matches(&gi.into_dyn(), &finite_diff(&id, |x| f(x, &td, t)))?;
        grad_matches(&gt.into_dyn(), &finite_diff(&td, |x| f(&id, x, t)))?;
        let ts = ArrayD::from_elem(IxDyn(&[]), t);
        grad_matches(&ArrayD::from_elem(IxDyn(&[]), gs), &finite_diff(&ts, |x| f(&id, &td, x[[]])))?;
        // Swapping the modalities swaps the gradients: the loss is symmetric.
        let (v2, gt2, gi2, gs2) = l.forward_grad(&txt, &img, t).unwrap();
        let (v, gi, gt, _) = l.forward_grad(&img, &txt, t).unwrap();
        prop_assert!((v - v2).abs() < 1e-12 && (gs - gs2).abs() < 1e-12);
        prop_assert!(gi.iter().zip(&gi2).chain(gt.iter().zip(&gt2)).all(|(a, b)| (a - b).abs() < 1e-12));
    }
}

#[test]
fn clip_errors_write_nothing() {
    let img = array![[1.0_f64, 0.0], [0.0, 1.0]];
    let mut gi = ndarray::Array2::from_elem((2, 2), 7.0);
    let mut gt = gi.clone();
    let l = ClipLoss::new();
    assert!(matches!(
        l.forward_grad_into(&img, &array![[1.0_f64, 0.0]], 0.0, &mut gi, &mut gt),
        Err(Error::ShapeMismatch {
            what: "text embeddings",
            ..
        })
    ));
    assert!(matches!(
        l.forward_grad_into(&img, &img, f64::INFINITY, &mut gi, &mut gt),
        Err(Error::InvalidValue {
            what: "log_scale",
            ..
        })
    ));
    assert!(matches!(
        l.forward_grad_into(
            &img,
            &img,
            0.0,
            &mut gi,
            &mut ndarray::Array2::zeros((2, 3))
        ),
        Err(Error::ShapeMismatch {
            what: "text gradient buffer",
            ..
        })
    ));
    let none = ndarray::Array2::<f64>::zeros((0, 2));
    assert!(matches!(
        l.forward(&none, &none, 0.0),
        Err(Error::EmptyReduction { .. })
    ));
    assert!(gi.iter().chain(&gt).all(|&v| v == 7.0));
    // A huge scale with every cosine far below 1 stays finite (the row
    // log-sum-exp shifts by its own maximum).
    let a = array![[1.0_f64, 0.0], [0.0, 1.0]];
    let b = array![[-1.0_f64, 0.05], [0.05, -1.0]];
    assert!(l.forward(&a, &b, 7.0).unwrap().is_finite());
}
