//! Every `Error` variant reachable from the public API, reached; and every
//! failing call leaves its outputs (gradient buffers, parameters, optimizer
//! state) untouched.

use crate::catalogue::{inputs, Settings, CATALOGUE};
use crate::common::{cast, is_hyper, is_shape};
use ndarray::{array, Array1, Array2, ArrayD, IxDyn, ShapeBuilder};
use ndloss::prelude::*;

#[test]
fn shape_mismatches_name_the_argument() {
    let p = array![[1.0_f64, 2.0], [3.0, 4.0]];
    let e = Mse::new()
        .forward(&p, &array![[1.0, 2.0, 3.0]])
        .unwrap_err();
    assert!(is_shape(&e, "target"), "{e}");
    assert_eq!(
        e.to_string(),
        "shape mismatch for target: expected [2, 2], found [1, 3]"
    );
    let mut g = Array2::<f64>::zeros((3, 2));
    let e = Mae::new().forward_grad_into(&p, &p, &mut g).unwrap_err();
    assert!(is_shape(&e, "gradient buffer"), "{e}");

    let logits = array![[1.0_f32, 2.0, 3.0], [0.0, 0.0, 0.0]];
    let e = CrossEntropy::new()
        .forward(&logits, &array![0_usize])
        .unwrap_err();
    assert!(is_shape(&e, "target"), "{e}");
    let e = CrossEntropy::new()
        .forward(&logits, &array![[0.5_f32, 0.5]])
        .unwrap_err();
    assert!(is_shape(&e, "target"), "{e}");
    let e = CrossEntropy::new()
        .class_weights(array![1.0_f32, 2.0])
        .forward(&logits, &array![0_usize, 1])
        .unwrap_err();
    assert!(is_shape(&e, "class_weights"), "{e}");
    let mut g = Array2::<f32>::zeros((2, 2));
    let e = CrossEntropy::new()
        .forward_grad_into(&logits, &array![0_usize, 1], &mut g)
        .unwrap_err();
    assert!(is_shape(&e, "gradient buffer"), "{e}");
}

#[test]
fn class_out_of_range_says_which_sample() {
    let logits = array![[1.0_f64, 2.0, 3.0], [0.0, 0.0, 0.0]];
    let e = CrossEntropy::new()
        .forward(&logits, &array![0_usize, 3])
        .unwrap_err();
    assert!(
        matches!(
            &e,
            Error::ClassOutOfRange {
                sample: 1,
                class: 3,
                num_classes: 3,
                ..
            }
        ),
        "{e:?}"
    );
    assert_eq!(
        e.to_string(),
        "class index 3 of sample 1 is out of range for 3 classes"
    );
    // The ignore index itself may lie outside the classes; others may not.
    let ce = CrossEntropy::new().ignore_index(99);
    assert!(ce.forward(&logits, &array![0_usize, 99]).is_ok());
    assert!(ce.forward(&logits, &array![98_usize, 99]).is_err());
}

/// Small inputs take a single-dispatch path that checks the targets inside
/// the kernel: the same errors, in the same order, and nothing written.
#[test]
fn small_cross_entropy_refusals_write_nothing() {
    fn check<A: ndloss::Float>(rows: usize, cols: usize) {
        let logits = Array2::from_shape_fn((rows, cols), |(r, c)| {
            A::from_f64((r * 7 + c) as f64 / 10.0)
        });
        let mut bad = Array1::from_shape_fn(rows, |r| r % cols);
        bad[rows - 1] = cols;
        let mut g = Array2::from_elem((rows, cols), A::from_f64(7.0));
        let e = CrossEntropy::new()
            .forward_grad_into(&logits, &bad, &mut g)
            .unwrap_err();
        let expected = |e: &Error| {
            matches!(e, Error::ClassOutOfRange { sample, class, num_classes, .. }
                if (*sample, *class, *num_classes) == (rows - 1, cols, cols))
        };
        assert!(expected(&e), "{rows} x {cols}: {e:?}");
        // A bad target is named before a bad hyperparameter, as before.
        let e = CrossEntropy::new()
            .label_smoothing(2.0)
            .forward_grad_into(&logits, &bad, &mut g)
            .unwrap_err();
        assert!(expected(&e), "{rows} x {cols}: {e:?}");
        let ignored = Array1::from_elem(rows, 1);
        let e = CrossEntropy::new()
            .ignore_index(1)
            .forward_grad_into(&logits, &ignored, &mut g)
            .unwrap_err();
        assert!(matches!(e, Error::EmptyReduction { .. }), "{e}");
        assert!(g.iter().all(|&v| v == A::from_f64(7.0)), "{rows} x {cols}");
        // And a valid call through the same path writes every element.
        let ok = Array1::from_shape_fn(rows, |r| r % cols);
        CrossEntropy::new()
            .forward_grad_into(&logits, &ok, &mut g)
            .unwrap();
        assert!(g.iter().all(|&v| v != A::from_f64(7.0)), "{rows} x {cols}");
    }
    // 32 × 10 (the AVX-512 lane path for f32), 1 row, and the largest
    // single-dispatch input (16K logits) and one row more.
    for (rows, cols) in [(32, 10), (1, 5), (2, 3), (1638, 10), (1639, 10), (16, 1024)] {
        check::<f32>(rows, cols);
        check::<f64>(rows, cols);
    }
}

#[test]
fn invalid_hyperparameters_are_refused() {
    let logits = array![[1.0_f64, 2.0], [0.0, 0.0]];
    let y = array![0_usize, 1];
    for eps in [-0.1, 1.5, f64::NAN] {
        let e = CrossEntropy::new()
            .label_smoothing(eps)
            .forward(&logits, &y)
            .unwrap_err();
        assert!(is_hyper(&e, "label_smoothing"), "{e}");
    }
    for w in [-1.0, f64::INFINITY] {
        let e = CrossEntropy::new()
            .class_weights(array![1.0, w])
            .forward(&logits, &y)
            .unwrap_err();
        assert!(is_hyper(&e, "class_weights"), "{e}");
    }
    let e = CrossEntropy::new()
        .ignore_index(0)
        .forward(&logits, &array![[0.5, 0.5], [1.0, 0.0]])
        .unwrap_err();
    assert!(is_hyper(&e, "ignore_index"), "{e}");
    let x = array![0.5_f64, -0.5];
    let e = BceWithLogits::new()
        .pos_weight(-1.0)
        .forward(&x, &x)
        .unwrap_err();
    assert!(is_hyper(&e, "pos_weight"), "{e}");

    let w = array![1.0_f64, -1.0];
    assert!(is_hyper(&L1::new(-1.0).penalty(&w).unwrap_err(), "lambda"));
    assert!(is_hyper(
        &L2::new(f64::NAN).penalty(&w).unwrap_err(),
        "lambda"
    ));
    assert!(is_hyper(
        &ElasticNet::new(0.1, -0.1).penalty(&w).unwrap_err(),
        "l2"
    ));
    let mut w2 = w.clone();
    assert!(is_hyper(
        &L1::new(0.1).prox(&mut w2, -1.0).unwrap_err(),
        "step"
    ));
    assert_eq!(w2, w);

    let g = array![0.1_f64, 0.1];
    let mut p = w.clone();
    assert!(is_hyper(
        &Sgd::new(-0.1).step(&mut p, &g).unwrap_err(),
        "lr"
    ));
    assert!(is_hyper(
        &Sgd::new(0.1).momentum(-0.5).step(&mut p, &g).unwrap_err(),
        "momentum"
    ));
    assert!(is_hyper(
        &Sgd::new(0.1).nesterov(true).step(&mut p, &g).unwrap_err(),
        "momentum"
    ));
    assert!(is_hyper(
        &Sgd::new(0.1)
            .momentum(0.9)
            .dampening(0.1)
            .nesterov(true)
            .step(&mut p, &g)
            .unwrap_err(),
        "dampening"
    ));
    assert!(is_hyper(
        &Sgd::new(0.1)
            .weight_decay(-1.0)
            .step(&mut p, &g)
            .unwrap_err(),
        "weight_decay"
    ));
    assert!(is_hyper(
        &Adam::new(f64::INFINITY).step(&mut p, &g).unwrap_err(),
        "lr"
    ));
    assert!(is_hyper(
        &Adam::new(0.1)
            .betas(1.0, 0.999)
            .step(&mut p, &g)
            .unwrap_err(),
        "beta1"
    ));
    assert!(is_hyper(
        &Adam::new(0.1)
            .betas(0.9, -0.1)
            .step(&mut p, &g)
            .unwrap_err(),
        "beta2"
    ));
    assert!(is_hyper(
        &Adam::new(0.1).eps(-1e-8).step(&mut p, &g).unwrap_err(),
        "eps"
    ));
    assert_eq!(p, w, "a refused step wrote nothing");
}

#[test]
fn bce_refuses_probabilities_outside_the_unit_interval() {
    let p = array![[0.5_f64, 0.2], [1.5, 0.1]];
    let t = array![[1.0, 0.0], [1.0, 0.0]];
    let mut g = Array2::from_elem((2, 2), 7.0);
    let e = Bce::new().forward_grad_into(&p, &t, &mut g).unwrap_err();
    assert!(
        matches!(&e, Error::InvalidValue { what: "prediction", index, value, expected: "a probability in [0, 1]", .. } if *index == vec![1, 0] && *value == 1.5),
        "{e:?}"
    );
    assert!(g.iter().all(|&v| v == 7.0), "gradient buffer untouched");
    // Exactly 0 and 1 are valid (clamped logs), and NaN propagates.
    assert_eq!(
        Bce::new().forward(&array![0.0_f64], &array![1.0]).unwrap(),
        100.0
    );
    assert!(Bce::new()
        .forward(&array![f64::NAN], &array![1.0])
        .unwrap()
        .is_nan());
}

#[test]
fn bce_finds_an_out_of_range_probability_anywhere_in_a_long_input() {
    // The domain check runs blockwise in the dispatched SIMD build: a bad
    // value at a block's edge, in the last partial vector, or anywhere in
    // between is found, with its index, and the buffer stays untouched.
    let n = 5001;
    let t = Array1::<f32>::from_elem(n, 1.0);
    for at in [0, 15, 1023, 1024, 2500, 4999, 5000] {
        for bad in [1.000_000_1_f32, -1e-30, f32::INFINITY, -0.5] {
            let mut p = Array1::<f32>::from_shape_fn(n, |i| (i % 97) as f32 / 96.0);
            p[at] = bad;
            let mut g = Array1::<f32>::from_elem(n, 7.0);
            let e = Bce::new().forward_grad_into(&p, &t, &mut g).unwrap_err();
            assert!(
                matches!(&e, Error::InvalidValue { what: "prediction", index, value, expected: "a probability in [0, 1]", .. } if *index == vec![at] && *value == f64::from(bad)),
                "{bad} at {at}"
            );
            assert!(g.iter().all(|&v| v == 7.0), "gradient buffer untouched");
        }
    }
}

#[test]
fn means_over_nothing_are_refused() {
    let empty = ArrayD::<f64>::zeros(IxDyn(&[0, 3]));
    assert!(matches!(
        Mse::new().forward(&empty, &empty).unwrap_err(),
        Error::EmptyReduction { .. }
    ));
    assert_eq!(
        Mse::new()
            .reduction(Reduction::Sum)
            .forward(&empty, &empty)
            .unwrap(),
        0.0
    );
    assert_eq!(
        Mse::new().unreduced(&empty, &empty).unwrap().shape(),
        &[0, 3]
    );

    let logits = array![[1.0_f64, 2.0], [0.0, 0.0]];
    let ce = CrossEntropy::new().ignore_index(1);
    let mut g = Array2::from_elem((2, 2), 7.0);
    let e = ce
        .forward_grad_into(&logits, &array![1_usize, 1], &mut g)
        .unwrap_err();
    assert!(matches!(e, Error::EmptyReduction { .. }), "{e}");
    assert!(g.iter().all(|&v| v == 7.0));
    let zero_weights = CrossEntropy::new().class_weights(array![0.0, 1.0]);
    assert!(matches!(
        zero_weights
            .forward(&logits, &array![0_usize, 0])
            .unwrap_err(),
        Error::EmptyReduction { .. }
    ));
    let no_rows = Array2::<f64>::zeros((0, 2));
    assert!(matches!(
        CrossEntropy::new()
            .forward(&no_rows, &Array1::<usize>::zeros(0))
            .unwrap_err(),
        Error::EmptyReduction { .. }
    ));
    assert!(matches!(
        CrossEntropy::new().forward(&no_rows, &no_rows).unwrap_err(),
        Error::EmptyReduction { .. }
    ));
}

#[test]
fn mismatched_parameter_sets_change_nothing() {
    let mut w = array![[0.1_f64, -0.2], [0.3, 0.4]];
    let mut b = array![0.0_f64, 0.1];
    let gw = array![[0.01_f64, 0.02], [0.03, 0.04]];
    let gb = array![0.5_f64, -0.5];
    let mut adam = Adam::new(1e-2).amsgrad(true);
    adam.step((&mut w, &mut b), (&gw, &gb)).unwrap();
    let (w0, b0, adam0) = (w.clone(), b.clone(), adam.clone());

    let e = adam.step((&mut w, &mut b), &gw).unwrap_err();
    assert!(
        matches!(
            &e,
            Error::ParamCountMismatch {
                params: 2,
                grads: 1,
                ..
            }
        ),
        "{e:?}"
    );
    let e = adam
        .step((&mut w, &mut b), (&gw, &array![0.5_f64, -0.5, 0.1]))
        .unwrap_err();
    assert!(
        matches!(&e, Error::ParamShapeMismatch { slot: 1, param, grad, .. } if *param == vec![2] && *grad == vec![3]),
        "{e:?}"
    );
    assert_eq!(
        e.to_string(),
        "gradient 1 has shape [3] but parameter 1 has shape [2]"
    );
    let (mut w3, g3) = (Array2::<f64>::zeros((3, 3)), Array2::<f64>::zeros((3, 3)));
    let e = adam.step((&mut w3, &mut b), (&g3, &gb)).unwrap_err();
    assert!(
        matches!(&e, Error::StateMismatch { slot: Some(0), state, found, .. } if *state == vec![2, 2] && *found == vec![3, 3]),
        "{e:?}"
    );
    let e = adam.step(&mut w, &gw).unwrap_err();
    assert!(matches!(e, Error::StateMismatch { .. }), "{e}");
    assert_eq!((&w, &b), (&w0, &b0));
    assert_eq!(adam, adam0, "state and step count untouched");

    let mut sgd = Sgd::new(0.1).momentum(0.9);
    sgd.step(&mut w, &gw).unwrap();
    let (w1, sgd1) = (w.clone(), sgd.clone());
    assert!(sgd.step(&mut w, &gb).is_err());
    assert!(sgd.step((&mut w, &mut b), (&gw, &gb)).is_err());
    assert_eq!((w, sgd), (w1, sgd1));

    let mut gw_total = gw.clone();
    let e = L2::new(0.1)
        .add_grad((&w0, &b0), &mut gw_total)
        .unwrap_err();
    assert!(
        matches!(
            &e,
            Error::ParamCountMismatch {
                params: 2,
                grads: 1,
                ..
            }
        ),
        "{e:?}"
    );
    assert_eq!(gw_total, gw);
}

#[test]
fn catalogue_losses_name_their_errors() {
    for entry in CATALOGUE {
        let s = Settings::plain(0.7, 3);
        let (p, t) = inputs(entry, &s, &[2, 3], 1);
        let (p32, t32) = (cast::<f32, _>(&p), cast::<f32, _>(&t));
        let loss = (entry.make)(&s);
        let name = entry.name;
        let e = loss
            .f64()
            .forward(&p, &ArrayD::zeros(IxDyn(&[3, 2])))
            .unwrap_err();
        assert!(is_shape(&e, "target"), "{name}: {e}");
        let mut g = ArrayD::zeros(IxDyn(&[2, 2]));
        let e = loss.f64().forward_grad_into(&p, &t, &mut g).unwrap_err();
        assert!(is_shape(&e, "gradient buffer"), "{name}: {e}");
        let e = loss
            .f64()
            .forward_weighted(&p, &t, &ArrayD::ones(IxDyn(&[4])))
            .unwrap_err();
        assert!(is_shape(&e, "weight"), "{name}: {e}");
        if let Some(knob) = &entry.knob {
            let bad = (knob.set)(knob.invalid, &s);
            for e in [
                bad.f64().forward(&p, &t).unwrap_err(),
                bad.f64().unreduced(&p, &t).unwrap_err(),
                bad.f32().forward_grad(&p32, &t32).unwrap_err(),
            ] {
                assert!(is_hyper(&e, knob.name), "{name}: {e}");
            }
        }
        if let Some((bad_p, bad_t)) = entry.refused {
            let (mut p, mut t) = (p.clone(), t.clone());
            p[[1, 2]] = bad_p;
            t[[1, 2]] = bad_t;
            let e = loss.f64().forward(&p, &t).unwrap_err();
            assert!(
                matches!(&e, Error::InvalidValue { what: "prediction", index, .. } if *index == vec![1, 2]),
                "{name}: {e:?}"
            );
        }
    }
}

#[test]
fn catalogue_hyperparameters_and_shapes_are_checked() {
    let x = array![0.5_f64, -0.5];
    let bad = |e: Error, name: &str| assert!(is_hyper(&e, name), "{e}");
    // Beyond each catalogue entry's knob (`catalogue_losses_name_their_errors`):
    bad(
        SigmoidFocal::new()
            .alpha(Some(1.5))
            .forward(&x, &x)
            .unwrap_err(),
        "alpha",
    );
    bad(
        BceWithLogits::new()
            .pos_weights(array![1.0, -2.0])
            .forward(&x, &x)
            .unwrap_err(),
        "pos_weight",
    );
    let logits = array![[1.0_f64, 2.0, 3.0]];
    bad(
        MultiMargin::new()
            .p(3)
            .forward(&logits, &array![0_usize])
            .unwrap_err(),
        "p",
    );

    // Per-class positive weights must match the last axis; weights must broadcast.
    let e = BceWithLogits::new()
        .pos_weights(array![1.0, 2.0, 3.0])
        .forward(&x, &x)
        .unwrap_err();
    assert!(is_shape(&e, "pos_weight"), "{e}");
    let e = Mse::new()
        .forward_weighted(&x, &x, &array![1.0, 2.0, 3.0])
        .unwrap_err();
    assert!(is_shape(&e, "weight"), "{e}");
    let e = Mse::new()
        .forward_weighted(&x, &x, &array![0.0, 0.0])
        .unwrap_err();
    assert!(matches!(e, Error::EmptyReduction { .. }), "{e}");

    // Class-axis losses: targets shaped like the input without axis 1.
    let seg = ArrayD::<f64>::zeros(IxDyn(&[2, 3, 4]));
    let e = CrossEntropy::new()
        .forward(&seg, &ArrayD::<usize>::zeros(IxDyn(&[2, 3])))
        .unwrap_err();
    assert!(
        matches!(&e, Error::ShapeMismatch { what: "target", expected, found, .. } if *expected == vec![2, 4] && *found == vec![2, 3]),
        "{e:?}"
    );
    let mut targets = ArrayD::<usize>::zeros(IxDyn(&[2, 4]));
    targets[[1, 2]] = 3;
    let e = Nll::new().forward(&seg, &targets).unwrap_err();
    assert!(
        matches!(
            &e,
            Error::ClassOutOfRange {
                sample: 6,
                class: 3,
                num_classes: 3,
                ..
            }
        ),
        "{e:?}"
    );
    let scalar = ArrayD::<f64>::zeros(IxDyn(&[]));
    assert!(CrossEntropy::new()
        .forward(&scalar, &ArrayD::<usize>::zeros(IxDyn(&[])))
        .is_err());

    // Keras probability input: negative probabilities and empty rows.
    let probs = array![[0.5_f64, -0.1], [0.0, 0.0]];
    let ce = CrossEntropy::new().from_probs(true);
    assert!(matches!(
        ce.forward(&probs, &array![0_usize, 1]).unwrap_err(),
        Error::InvalidValue { .. }
    ));
    let e = ce
        .forward(&probs.mapv(f64::abs), &array![0_usize, 1])
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::InvalidValue {
                what: "prediction (row sums)",
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn from_probs_finds_a_negative_probability_anywhere() {
    // Contiguous inputs are scanned by the dispatched block kernel, the
    // index searched only after it fails: a negative entry at a block's
    // edge, in the last partial vector or anywhere between is reported with
    // its (row, class) index, in row-major and column-major layouts, and the
    // gradient buffer stays untouched.
    let (rows, cols) = (5, 1001);
    let y = Array1::from_shape_fn(rows, |r| r * 7);
    let ce = CrossEntropy::new().from_probs(true);
    for at in [0, 15, 1023, 1024, 2500, 5003, 5004] {
        let (r, c) = (at / cols, at % cols);
        for layout in [false, true] {
            let mut p = Array2::<f32>::from_shape_fn((rows, cols).set_f(layout), |(r, c)| {
                ((r * 31 + c) % 97) as f32 / 96.0
            });
            p[[r, c]] = -1e-30;
            let mut g = Array2::<f32>::from_elem((rows, cols), 7.0);
            let e = ce.forward_grad_into(&p, &y, &mut g).unwrap_err();
            assert!(
                matches!(&e, Error::InvalidValue { what: "prediction", index, value, expected: "a probability >= 0", .. } if *index == vec![r, c] && *value == -1e-30_f32 as f64),
                "at {at}, column-major {layout}"
            );
            assert!(g.iter().all(|&v| v == 7.0), "gradient buffer untouched");
            // A NaN passes the scan and makes its row's sum NaN.
            p[[r, c]] = f32::NAN;
            let e = ce.forward(&p, &y).unwrap_err();
            assert!(
                matches!(&e, Error::InvalidValue { what: "prediction (row sums)", index, .. } if index == &vec![r]),
                "{e}"
            );
        }
    }
}

#[test]
fn check_finite_finds_a_non_finite_gradient_anywhere_in_a_long_slot() {
    // The scan runs blockwise in the dispatched SIMD build: a bad value at
    // a block's edge, in the last partial vector, or in the second slot is
    // found with its slot and index, and nothing changes.
    let n = 5001;
    for (slot, at) in [(0, 0), (0, 1023), (0, 1024), (1, 15), (1, 4096), (1, 5000)] {
        for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
            let mut p = vec![Array1::<f32>::zeros(n), Array1::<f32>::zeros(n)];
            let mut g = vec![Array1::<f32>::from_elem(n, 0.5), Array1::from_elem(n, -0.5)];
            let mut adam = Adam::new(0.1).check_finite(true);
            adam.step(&mut p, &g).unwrap();
            let (p0, adam0) = (p.clone(), adam.clone());
            g[slot][at] = bad;
            let e = adam.step(&mut p, &g).unwrap_err();
            assert!(
                matches!(&e, Error::NonFiniteGradient { slot: s, index, value, .. }
                    if *s == slot && index == &[at] && (value.is_nan() == bad.is_nan())),
                "{bad} at {slot}/{at}: {e}"
            );
            assert_eq!((p, adam), (p0, adam0), "a refused step changed nothing");
        }
    }
}

#[test]
fn optimizers_can_refuse_non_finite_gradients_and_change_nothing() {
    let (mut w, mut b) = (array![[1.0_f64, 2.0]], array![3.0_f64]);
    let (gw, gb) = (array![[0.1_f64, 0.2]], array![f64::NAN]);
    let mut adam = AdamW::new(0.1).check_finite(true);
    adam.step((&mut w, &mut b), (&gw, &array![0.5])).unwrap();
    let (w0, b0, adam0) = (w.clone(), b.clone(), adam.clone());
    let e = adam.step((&mut w, &mut b), (&gw, &gb)).unwrap_err();
    assert!(
        matches!(&e, Error::NonFiniteGradient { slot: 1, index, value, .. } if index == &[0] && value.is_nan()),
        "{e}"
    );
    assert_eq!(
        e.to_string(),
        "gradient 1 holds NaN at index [0]: refusing a non-finite update"
    );
    assert_eq!((w, b, adam), (w0, b0, adam0));
    // Without the check, NaN propagates as in PyTorch (never a silent 0).
    let mut sgd = Sgd::new(0.1);
    let mut v = array![1.0_f64];
    sgd.step(&mut v, &array![f64::INFINITY]).unwrap();
    assert_eq!(v[0], f64::NEG_INFINITY);
}
