//! Every loss and regularizer: the analytic gradient equals central finite
//! differences (f64, random shapes and values), plus the invariants the math
//! promises. The element-wise losses come from the catalogue, with and without
//! per-element weights.

use crate::catalogue::{frac, inputs, DenseLoss, Settings, CATALOGUE};
use crate::common::strategies::{array_in, logits_and_classes, pair, reductions, shape};
use crate::common::{finite_diff, grad_matches as assert_grad_matches};
use ndarray::{Array1, ArrayD, Axis, Dimension, Ix2, IxDyn};
use ndloss::prelude::*;
use proptest::prelude::*;

/// The gradient of `loss` at (p, t), unweighted and with weights `w`,
/// against finite differences.
fn check_dense(
    loss: &dyn DenseLoss<f64>,
    p: &ArrayD<f64>,
    t: &ArrayD<f64>,
    w: &ArrayD<f64>,
) -> Result<(), TestCaseError> {
    let (_, g) = loss.forward_grad(p, t).unwrap();
    assert_grad_matches(&g, &finite_diff(p, |x| loss.forward(x, t).unwrap()))?;
    let mut g = ArrayD::zeros(p.raw_dim());
    loss.forward_grad_weighted_into(p, t, w, &mut g).unwrap();
    let numeric = finite_diff(p, |x| loss.forward_weighted(x, t, w).unwrap());
    assert_grad_matches(&g, &numeric)
}

proptest! {
    #[test]
    fn catalogue_gradients(
        s in shape(),
        u in prop::array::uniform3(0.0f64..1.0),
        reduction in reductions(),
        seed in any::<u64>(),
    ) {
        let last = *s.last().unwrap();
        let settings = Settings { u, reduction, last };
        let w = ArrayD::from_shape_fn(IxDyn(&s), |i| 0.1 + frac(seed ^ 0x5eed, i.slice()));
        for entry in CATALOGUE {
            let (p, t) = inputs(entry, &settings, &s, seed);
            let loss = (entry.make)(&settings);
            check_dense(loss.f64(), &p, &t, &w).map_err(|e| {
                TestCaseError::fail(format!("{} {loss:?}: {e}", entry.name))
            })?;
        }
    }
}

proptest! {
    #[test]
    fn cross_entropy_index_gradient(
        (x, y) in logits_and_classes(),
        r in reductions(),
        eps in prop_oneof![Just(0.0), 0.0f64..1.0],
        weighted in any::<bool>(),
        ignore_first in any::<bool>(),
        z in prop_oneof![Just(0.0), Just(1e-4), 0.0f64..0.5],
    ) {
        let x = x.into_dimensionality::<Ix2>().unwrap();
        let c = x.ncols();
        let mut y = Array1::from(y);
        let mut ce = CrossEntropy::new().label_smoothing(eps).z_loss(z).reduction(r);
        if weighted {
            ce = ce.class_weights(Array1::from_shape_fn(c, |k| 0.5 + k as f64 / c as f64));
        }
        if ignore_first && y.len() > 1 {
            y[0] = usize::MAX;
            ce = ce.ignore_index(usize::MAX);
        }
        let (_, g) = ce.forward_grad(&x, &y).unwrap();
        let xd = x.clone().into_dyn();
        let numeric = finite_diff(&xd, |v| {
            ce.forward(&v.view().into_dimensionality::<Ix2>().unwrap(), &y).unwrap()
        });
        assert_grad_matches(&g.into_dyn(), &numeric)?;
    }

    #[test]
    fn cross_entropy_probability_gradient(
        (x, _) in logits_and_classes(),
        r in reductions(),
        eps in 0.0f64..1.0,
        weighted in any::<bool>(),
        seed in any::<u64>(),
    ) {
        let x = x.into_dimensionality::<Ix2>().unwrap();
        let (n, c) = x.dim();
        let raw = ndarray::Array2::from_shape_fn((n, c), |(i, k)| frac(seed, &[i, k]) + 0.01);
        let t = &raw / &raw.sum_axis(Axis(1)).insert_axis(Axis(1));
        let mut ce = CrossEntropy::new().label_smoothing(eps).reduction(r);
        if weighted {
            ce = ce.class_weights(Array1::from_shape_fn(c, |k| 2.0 - k as f64 / c as f64));
        }
        let (_, g) = ce.forward_grad(&x, &t).unwrap();
        let numeric = finite_diff(&x.clone().into_dyn(), |v| {
            ce.forward(&v.view().into_dimensionality::<Ix2>().unwrap(), &t).unwrap()
        });
        assert_grad_matches(&g.into_dyn(), &numeric)?;
    }

    #[test]
    fn regularizer_gradients(w in shape().prop_flat_map(|s| array_in(s, -3.0, 3.0)), l1 in 0.0f64..2.0, l2 in 0.0f64..2.0) {
        prop_assume!(w.iter().all(|v| v.abs() > 1e-3)); // away from |w|'s kink
        fn check<R: Regularizer>(reg: R, w: &ArrayD<f64>) -> Result<(), TestCaseError> {
            let mut g = ArrayD::zeros(w.raw_dim());
            reg.add_grad(w, &mut g).unwrap();
            let numeric = finite_diff(w, |v| reg.penalty(v).unwrap());
            assert_grad_matches(&g, &numeric)
        }
        check(L1::new(l1), &w)?;
        check(L2::new(l2), &w)?;
        check(ElasticNet::new(l1, l2), &w)?;
    }

    #[test]
    fn prox_is_the_proximal_minimiser(w in -3.0f64..3.0, l1 in 0.0f64..1.0, l2 in 0.0f64..1.0, step in 0.0f64..2.0) {
        // argmin_v ½(v − w)² + step·(l1|v| + l2·v²), checked against a fine grid.
        let mut v = Array1::from(vec![w]);
        ElasticNet::new(l1, l2).prox(&mut v, step).unwrap();
        let obj = |u: f64| 0.5 * (u - w).powi(2) + step * (l1 * u.abs() + l2 * u * u);
        let best = (-40_000..=40_000).map(|i| i as f64 * 1e-4).fold(f64::INFINITY, |m, u| m.min(obj(u)));
        prop_assert!(obj(v[0]) <= best + 1e-9, "prox {} gives {}, grid best {}", v[0], obj(v[0]), best);
    }

    #[test]
    fn mse_is_non_negative_and_zero_iff_equal((p, t) in pair(-1e3, 1e3)) {
        let mse = Mse::new();
        prop_assert!(mse.forward(&p, &t).unwrap() > 0.0 || p == t);
        prop_assert_eq!(mse.forward(&p, &p).unwrap(), 0.0);
        let (_, g) = mse.forward_grad(&p, &p).unwrap();
        prop_assert!(g.iter().all(|&v| v == 0.0));
    }

    #[test]
    fn cross_entropy_is_shift_invariant_and_rows_of_its_gradient_sum_to_zero(
        (x, y) in logits_and_classes(),
        shift in -50.0f64..50.0,
        weighted in any::<bool>(),
    ) {
        let x = x.into_dimensionality::<Ix2>().unwrap();
        let y = Array1::from(y);
        let mut ce = CrossEntropy::new();
        if weighted {
            ce = ce.class_weights(Array1::from_shape_fn(x.ncols(), |k| 1.0 + k as f64));
        }
        let mut shifted = x.clone();
        shifted.row_mut(0).mapv_inplace(|v| v + shift);
        let (a, g) = ce.forward_grad(&x, &y).unwrap();
        let b = ce.forward(&shifted, &y).unwrap();
        prop_assert!((a - b).abs() <= 1e-12 * a.abs().max(1.0) * (1.0 + shift.abs()));
        for row in g.rows() {
            prop_assert!(row.sum().abs() < 1e-14);
        }
        let per_sample = ce.unreduced(&x, &y).unwrap();
        prop_assert!(per_sample.iter().all(|&v| v >= 0.0));
    }
}

/// Keeps `|p − t|` (or `|x|` for margin kinks) away from the non-smooth points.
fn away(x: f64, kink: f64) -> bool {
    (x - kink).abs() > 1e-3
}

proptest! {
    #[test]
    fn class_axis_gradients(
        (n, c, d) in (1usize..4, 2usize..5, 1usize..4),
        seed in any::<u64>(),
        r in reductions(),
        eps in 0.0f64..0.5,
        margin in 0.2f64..2.0,
    ) {
        let x = ArrayD::from_shape_fn(IxDyn(&[n, c, d]), |i| 6.0 * frac(seed, i.slice()) - 3.0);
        let y = ArrayD::from_shape_fn(IxDyn(&[n, d]), |i| (frac(seed ^ 7, i.slice()) * c as f64) as usize % c);
        let w = Array1::from_shape_fn(c, |k| 0.5 + k as f64 / c as f64);
        let check_idx = |loss: &ValueGrad<'_>| -> Result<(), TestCaseError> {
            let (_, g) = loss(&x);
            let numeric = finite_diff(&x, |v| loss(v).0);
            assert_grad_matches(&g, &numeric)
        };
        let ce = CrossEntropy::new().label_smoothing(eps).class_weights(w.clone()).reduction(r);
        check_idx(&|v| ce.forward_grad(v, &y).unwrap())?;
        let nll = Nll::new().class_weights(w.clone()).reduction(r);
        check_idx(&|v| nll.forward_grad(v, &y).unwrap())?;
        // Probability input (Keras): strictly positive rows away from the clip.
        let probs = x.mapv(|v| 0.2 + (v + 3.0) / 6.0);
        let keras = CrossEntropy::new().from_probs(true).reduction(r);
        let (_, g) = keras.forward_grad(&probs, &y).unwrap();
        assert_grad_matches(&g, &finite_diff(&probs, |v| keras.forward(v, &y).unwrap()))?;
        // Multi-margin on (N, C), away from its kinks.
        let x2 = x.index_axis(ndarray::Axis(2), 0).to_owned();
        let y2 = y.index_axis(ndarray::Axis(1), 0).to_owned();
        let kinks = x2.outer_iter().zip(&y2).all(|(row, &t)| row.iter().all(|&v| away(margin - row[t] + v, 0.0)));
        prop_assume!(kinks);
        for p in [1, 2] {
            let mm = MultiMargin::new().p(p).margin(margin).class_weights(w.clone()).reduction(r);
            let (_, g) = mm.forward_grad(&x2, &y2).unwrap();
            assert_grad_matches(&g, &finite_diff(&x2, |v| mm.forward(v, &y2).unwrap()))?;
        }
    }
}

/// A loss at a point: value and analytic gradient.
type ValueGrad<'a> = dyn Fn(&ArrayD<f64>) -> (f64, ArrayD<f64>) + 'a;
