//! `Dice` (and its Tversky and generalized forms): gradients against
//! central finite differences for every input kind and option, both class
//! layouts, by-hand values (empty classes, Jaccard, Keras' form), every
//! error with nothing written, and no panic on arbitrary input. Parity with
//! optax and Keras is in `parity_catalogue`.

use crate::common::strategies::reductions;
use crate::common::{finite_diff, grad_matches};
use ndarray::{array, Array1, ArrayD, Axis, IxDyn};
use ndloss::prelude::*;
use proptest::prelude::*;

fn filled(shape: &[usize], seed: u64, lo: f64, hi: f64) -> ArrayD<f64> {
    let mut state = seed | 1;
    ArrayD::from_shape_fn(IxDyn(shape), |_| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        lo + (hi - lo) * ((state >> 11) as f64 / (1u64 << 53) as f64)
    })
}

/// `(N, C, d…)` with 1 to 3 samples, 1 to 4 classes, 0 to 2 spatial axes.
fn dice_shape() -> impl Strategy<Value = Vec<usize>> {
    (1usize..4, 1usize..5, prop::collection::vec(1usize..4, 0..3)).prop_map(|(n, c, s)| {
        let mut v = vec![n, c];
        v.extend(s);
        v
    })
}

fn input_kind() -> impl Strategy<Value = DiceInput> {
    prop_oneof![
        Just(DiceInput::Softmax),
        Just(DiceInput::Sigmoid),
        Just(DiceInput::Probabilities)
    ]
}

proptest! {
    #[test]
    fn dice_gradient(
        s in dice_shape(),
        kind in input_kind(),
        seed in any::<u64>(),
        alpha in prop_oneof![Just(0.5), 0.0f64..1.5],
        beta in prop_oneof![Just(0.5), 0.0f64..1.5],
        smooth in prop_oneof![Just(1.0), Just(1e-3), 0.01f64..2.0],
        weighting in 0usize..3,
        ignore_background in any::<bool>(),
        batch in any::<bool>(),
        soft in any::<bool>(),
        r in reductions(),
    ) {
        let c = s[1];
        let p = match kind {
            DiceInput::Probabilities => filled(&s, seed, 0.05, 0.95),
            _ => filled(&s, seed, -3.0, 3.0),
        };
        let t = if soft {
            filled(&s, seed ^ 0x77, 0.0, 1.0)
        } else {
            filled(&s, seed ^ 0x77, 0.0, 1.0).mapv(|v| if v > 0.6 { 1.0 } else { 0.0 })
        };
        let mut d = Dice::tversky(alpha, beta)
            .smooth(smooth)
            .input(kind)
            .ignore_background(ignore_background)
            .batch(batch)
            .reduction(r);
        d = match weighting {
            0 => d,
            1 => d.class_weights(&Array1::from_shape_fn(c, |k| 0.5 + k as f64)),
            _ => d.generalized(),
        };
        let (_, g) = d.forward_grad(&p, &t).unwrap();
        grad_matches(&g, &finite_diff(&p, |x| d.forward(x, &t).unwrap()))?;
    }

    #[test]
    fn channels_last_is_the_permuted_layout(s in dice_shape(), kind in input_kind(), seed in any::<u64>(), batch in any::<bool>()) {
        let p = filled(&s, seed, 0.05, 0.95);
        let t = filled(&s, seed ^ 1, 0.0, 1.0);
        let n = s.len();
        let mut order = vec![0];
        order.extend(2..n);
        order.push(1);
        let (pl, tl) = (p.view().permuted_axes(order.clone()), t.view().permuted_axes(order.clone()));
        let first = Dice::new().input(kind).batch(batch).generalized();
        let last = first.clone().channels_last(true);
        let (v, g) = first.forward_grad(&p, &t).unwrap();
        let (vl, gl) = last.forward_grad(&pl, &tl).unwrap();
        prop_assert!((v - vl).abs() <= 1e-15 * v.abs().max(1.0));
        prop_assert_eq!(g.view().permuted_axes(order), gl.view());
        prop_assert_eq!(first.unreduced(&p, &t).unwrap(), last.unreduced(&pl, &tl).unwrap());
    }
}

#[test]
fn empty_classes_jaccard_and_keras_by_hand() {
    // Class 1 is absent from both: with smoothing s it costs 1 − s/s = 0;
    // with Keras' (no numerator smoothing) it costs 1.
    let p = array![[[0.9_f64, 0.6], [0.0, 0.0]]];
    let t = array![[[1.0_f64, 0.0], [0.0, 0.0]]];
    let d = Dice::new().input(DiceInput::Probabilities);
    let u = d.unreduced(&p, &t).unwrap();
    // I = 0.9, P = 1.5, T = 1: 1 − (I + 1)/(½P + ½T + 1).
    assert!((u[[0, 0]] - (1.0 - 1.9 / 2.25)).abs() < 1e-15);
    assert_eq!(u[[0, 1]], 0.0);
    let keras = d.clone().smooth_numerator(0.0).smooth_denominator(5e-8);
    assert_eq!(keras.unreduced(&p, &t).unwrap()[[0, 1]], 1.0);
    // α = β = 1: the soft Jaccard loss, 1 − I/(P + T − I), for class 0.
    let j = Dice::tversky(1.0, 1.0)
        .input(DiceInput::Probabilities)
        .smooth(0.0)
        .ignore_background(false);
    let u = j
        .unreduced(
            &p.slice(ndarray::s![.., ..1, ..]),
            &t.slice(ndarray::s![.., ..1, ..]),
        )
        .unwrap();
    assert!((u[[0, 0]] - (1.0 - 0.9 / 1.6)).abs() < 1e-15);
    // The gradient through P alone: class 0's second pixel (t = 0) gets
    // ∂ℓ/∂P = α·num/den² = 0.9/1.6².
    let g = j
        .grad(
            &p.slice(ndarray::s![.., ..1, ..]),
            &t.slice(ndarray::s![.., ..1, ..]),
        )
        .unwrap();
    assert!((g[[0, 0, 1]] - 0.9 / (1.6 * 1.6)).abs() < 1e-15);
    // ignore_background drops class 0; batch sums samples first.
    let two = ndarray::concatenate(Axis(0), &[p.view(), p.view()]).unwrap();
    let tt = ndarray::concatenate(Axis(0), &[t.view(), t.view()]).unwrap();
    let u = d
        .clone()
        .ignore_background(true)
        .unreduced(&two, &tt)
        .unwrap();
    assert_eq!(u.shape(), &[2, 1]);
    let b = d.clone().batch(true).unreduced(&two, &tt).unwrap();
    assert_eq!(b.shape(), &[1, 2]);
    // I = 1.8, P = 3, T = 2 over the batch: 1 − (1.8 + 1)/(2.5 + 1).
    assert!((b[[0, 0]] - (1.0 - 2.8 / 3.5)).abs() < 1e-15);
    // One class with Softmax is a sigmoid, as optax.
    let x = array![[[0.3_f64, -1.2]]];
    let sig = Dice::new()
        .input(DiceInput::Sigmoid)
        .forward(&x, &array![[[1.0, 0.0]]])
        .unwrap();
    let soft = Dice::new().forward(&x, &array![[[1.0, 0.0]]]).unwrap();
    assert_eq!(sig, soft);
}

#[test]
fn every_bad_input_is_a_typed_error_and_writes_nothing() {
    let p = filled(&[2, 3, 4], 1, 0.1, 0.9);
    let t = filled(&[2, 3, 4], 2, 0.0, 1.0);
    let mut g = ArrayD::from_elem(IxDyn(&[2, 3, 4]), 7.0);
    let untouched = g.clone();
    let hyper = |d: Dice, name: &str| {
        let mut g = untouched.clone();
        match d.forward_grad_into(&p, &t, &mut g) {
            Err(Error::InvalidHyperparameter { name: n, .. }) => assert_eq!(n, name),
            other => panic!("{name}: {other:?}"),
        }
        assert!(d.validate().is_err());
        assert_eq!(g, untouched);
    };
    hyper(Dice::new().alpha(-0.1), "alpha");
    hyper(Dice::new().beta(f64::INFINITY), "beta");
    hyper(Dice::new().smooth(f64::NAN), "smooth");
    hyper(Dice::new().smooth_denominator(-1.0), "smooth");
    hyper(
        Dice::new().class_weights(&array![1.0, -1.0, 1.0]),
        "class_weights",
    );
    let shape = |e: Result<f64>, what: &str| match e {
        Err(Error::ShapeMismatch { what: w, .. }) => assert!(w.starts_with(what), "{w}"),
        other => panic!("{what}: {other:?}"),
    };
    let d = Dice::new();
    shape(
        d.forward_grad_into(&p, &t.slice(ndarray::s![.., .., ..2]).into_dyn(), &mut g),
        "target",
    );
    shape(
        d.forward_grad_into(&p, &t, &mut ArrayD::zeros(IxDyn(&[2, 3]))),
        "gradient buffer",
    );
    shape(
        d.forward(
            &array![1.0_f64, 2.0].into_dyn(),
            &array![1.0, 0.0].into_dyn(),
        ),
        "prediction",
    );
    let no_classes = ArrayD::zeros(IxDyn(&[2, 0, 3]));
    shape(d.forward(&no_classes, &no_classes), "prediction");
    shape(
        Dice::new()
            .class_weights(&array![1.0, 1.0])
            .forward_grad_into(&p, &t, &mut g),
        "class_weights",
    );
    let mut bad = p.clone();
    bad[[1, 2, 3]] = 1.5;
    let probs = Dice::new().input(DiceInput::Probabilities);
    match probs.forward_grad_into(&bad, &t, &mut g) {
        Err(Error::InvalidValue { index, .. }) => assert_eq!(index, vec![1, 2, 3]),
        other => panic!("{other:?}"),
    }
    // The index is the caller's, in the channels-last layout too.
    let bad_last = bad.view().permuted_axes(vec![0, 2, 1]);
    let t_last = t.view().permuted_axes(vec![0, 2, 1]);
    let mut g_last = ArrayD::from_elem(IxDyn(&[2, 4, 3]), 7.0);
    match probs
        .clone()
        .channels_last(true)
        .forward_grad_into(&bad_last, &t_last, &mut g_last)
    {
        Err(Error::InvalidValue { index, .. }) => assert_eq!(index, vec![1, 3, 2]),
        other => panic!("{other:?}"),
    }
    let empty = ArrayD::<f64>::zeros(IxDyn(&[0, 3, 2]));
    for batch in [false, true] {
        assert!(matches!(
            Dice::new().batch(batch).forward(&empty, &empty),
            Err(Error::EmptyReduction { .. })
        ));
        assert_eq!(
            Dice::new()
                .batch(batch)
                .reduction(Reduction::Sum)
                .forward(&empty, &empty)
                .unwrap(),
            0.0
        );
        assert_eq!(
            Dice::new()
                .batch(batch)
                .unreduced(&empty, &empty)
                .unwrap()
                .len(),
            0
        );
    }
    assert_eq!(g, untouched);
    assert!(g_last.iter().all(|&v| v == 7.0));
}

proptest! {
    #[test]
    fn arbitrary_input_is_a_value_or_an_error(
        s in prop::collection::vec(0usize..4, 0..5),
        other in prop::collection::vec(0usize..4, 0..5),
        vals in prop::collection::vec(prop_oneof![-3.0f64..3.0, Just(0.0), Just(1.0), Just(f64::NAN), Just(f64::INFINITY), Just(-1e300)], 32),
        hyper in prop_oneof![0.0f64..2.0, Just(-1.0), Just(f64::NAN)],
        kind in input_kind(),
        flags in prop::array::uniform4(any::<bool>()),
        r in reductions(),
    ) {
        let fill = |shape: &[usize]| ArrayD::from_shape_fn(IxDyn(shape), |i| vals[ndarray::Dimension::slice(&i).iter().sum::<usize>() % 32]);
        let p = fill(&s);
        let t = fill(if flags[3] { &other } else { &s });
        let mut d = Dice::tversky(hyper, 0.5)
            .smooth(hyper.abs())
            .input(kind)
            .ignore_background(flags[0])
            .batch(flags[1])
            .channels_last(flags[2])
            .reduction(r);
        if flags[3] {
            d = d.generalized();
        }
        let mut g = ArrayD::from_elem(p.raw_dim(), 7.0);
        if d.forward_grad_into(&p, &t, &mut g).is_err() {
            prop_assert!(g.iter().all(|&v| v == 7.0));
        }
        let _ = d.unreduced(&p, &t);
    }
}
