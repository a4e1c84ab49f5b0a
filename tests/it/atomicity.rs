//! Every fallible call that writes (gradient buffers, parameters, optimizer,
//! schedule or plateau state) writes nothing when it fails.

use ndarray::{array, Array1, Array2, ArrayD, IxDyn};
use ndloss::optim::clip::{clip_grad_norm, clip_grad_value};
use ndloss::optim::schedule::{LrScheduler, OneCycle, ReduceLrOnPlateau, Schedule};
use ndloss::prelude::*;

use crate::catalogue::{inputs, Pick, Settings, CATALOGUE};
use crate::common::cast;

const SENTINEL: f64 = 7.25;

/// Every catalogue loss: a failing `forward_grad_into` or weighted call
/// (a target or weight of the wrong shape, an invalid hyperparameter, a
/// prediction outside the domain) leaves the buffer as it was, in both
/// precisions.
fn catalogue<A: Pick>() {
    for entry in CATALOGUE {
        for u in [0.1, 0.45, 0.9] {
            let s = Settings::plain(u, 4);
            let (p, t) = inputs(entry, &s, &[3, 4], 11);
            let (p, t) = (cast::<A, _>(&p), cast::<A, _>(&t));
            let loss = (entry.make)(&s);
            let loss = A::of(&*loss);
            let name = entry.name;
            let sentinel = A::from_f64(SENTINEL);
            let mut g = ArrayD::from_elem(p.raw_dim(), sentinel);
            let bad_target = ArrayD::<A>::zeros(IxDyn(&[4, 3]));
            assert!(
                loss.forward_grad_into(&p, &bad_target, &mut g).is_err(),
                "{name}"
            );
            let bad_weight = ArrayD::<A>::ones(IxDyn(&[5]));
            assert!(
                loss.forward_grad_weighted_into(&p, &t, &bad_weight, &mut g)
                    .is_err(),
                "{name}"
            );
            if let Some(knob) = &entry.knob {
                let bad = (knob.set)(knob.invalid, &s);
                let bad = A::of(&*bad);
                assert!(bad.forward_grad_into(&p, &t, &mut g).is_err(), "{name}");
                let w = ArrayD::<A>::ones(p.raw_dim());
                assert!(
                    bad.forward_grad_weighted_into(&p, &t, &w, &mut g).is_err(),
                    "{name}"
                );
            }
            if let Some((bad_p, bad_t)) = entry.refused {
                // The refused element last, after valid ones.
                let (mut p, mut t) = (p.clone(), t.clone());
                p[[2, 3]] = A::from_f64(bad_p);
                t[[2, 3]] = A::from_f64(bad_t);
                assert!(loss.forward_grad_into(&p, &t, &mut g).is_err(), "{name}");
            }
            assert!(
                g.iter().all(|&v| v == sentinel),
                "{name} wrote into the gradient buffer"
            );
            // The valid call writes: the sentinel check above can fail.
            loss.forward_grad_into(&p, &t, &mut g).unwrap();
            assert!(g.iter().any(|&v| v != sentinel), "{name}");
        }
    }
}

#[test]
fn failing_losses_write_no_gradient() {
    catalogue::<f64>();
    catalogue::<f32>();

    // Class-axis losses: a class out of range in the *last* sample.
    let logits = Array2::from_shape_fn((4, 3), |(i, j)| (i + j) as f64);
    let classes = array![0_usize, 1, 2, 3];
    let mut g = Array2::from_elem((4, 3), SENTINEL);
    assert!(CrossEntropy::new()
        .forward_grad_into(&logits, &classes, &mut g)
        .is_err());
    assert!(Nll::new()
        .forward_grad_into(&logits, &classes, &mut g)
        .is_err());
    assert!(MultiMargin::new()
        .forward_grad_into(&logits, &classes, &mut g)
        .is_err());
    let mut probs = logits.mapv(|v| v + 1.0);
    probs[[3, 2]] = -1.0;
    assert!(CrossEntropy::new()
        .from_probs(true)
        .forward_grad_into(&probs, &array![0_usize, 1, 2, 0], &mut g)
        .is_err());
    let boxes = Array2::from_shape_fn((4, 4), |(i, j)| (i + j) as f64);
    let mut gb = Array2::from_elem((4, 4), SENTINEL);
    assert!(GiouLoss::new()
        .eps(-1.0)
        .forward_grad_into(&boxes, &boxes, &mut gb)
        .is_err());
    assert!(CiouLoss::new()
        .forward_grad_into(&boxes, &boxes.slice(ndarray::s![..3, ..]), &mut gb)
        .is_err());
    assert!(g.iter().chain(gb.iter()).all(|&v| v == SENTINEL));
}

/// A failing step leaves parameters and the optimizer exactly as they were.
fn optimizer<O: Optimizer<f64> + Clone + PartialEq + std::fmt::Debug>(name: &str, mut opt: O) {
    let (mut w, mut b) = (Array2::from_elem((2, 3), 0.5), Array1::from_elem(3, -0.5));
    let (gw, gb) = (Array2::from_elem((2, 3), 0.1), Array1::from_elem(3, 0.2));
    opt.step((&mut w, &mut b), (&gw, &gb)).unwrap();
    let (w0, b0, opt0) = (w.clone(), b.clone(), opt.clone());
    let failures: [Result<(), Error>; 4] = [
        opt.step((&mut w, &mut b), (&gw, &Array1::from_elem(4, 0.2))),
        opt.step((&mut w, &mut b), &gw),
        opt.step(&mut w, &gw),
        // Every optimizer here has check_finite on.
        opt.step((&mut w, &mut b), (&gw, &array![0.2, f64::NAN, 0.2])),
    ];
    for (k, r) in failures.iter().enumerate() {
        assert!(r.is_err(), "{name}: failure {k} was accepted");
    }
    assert_eq!((&w, &b), (&w0, &b0), "{name}: a failed step wrote");
    assert_eq!(opt, opt0, "{name}: a failed step changed the state");
}

#[test]
fn failing_steps_write_nothing() {
    optimizer("sgd", Sgd::new(0.1).momentum(0.9).check_finite(true));
    optimizer("adam", Adam::new(0.1).amsgrad(true).check_finite(true));
    optimizer("adamw", AdamW::new(0.1).check_finite(true));
    optimizer(
        "rmsprop",
        RmsProp::new(0.1)
            .centered(true)
            .momentum(0.5)
            .check_finite(true),
    );
    optimizer("adagrad", Adagrad::new(0.1).check_finite(true));
    optimizer("adadelta", Adadelta::new(1.0).check_finite(true));
    optimizer("adamax", Adamax::new(0.1).check_finite(true));
    optimizer("nadam", NAdam::new(0.1).check_finite(true));
    optimizer("radam", RAdam::new(0.1).check_finite(true));
    optimizer("lion", Lion::new(0.1).check_finite(true));
    optimizer(
        "proximal",
        Proximal::new(
            Sgd::new(0.1).momentum(0.9).check_finite(true),
            L1::new(0.01),
        ),
    );
    // A proximal step whose regularizer is invalid fails before the inner step.
    let mut w = array![1.0_f64, -1.0];
    let mut opt = Proximal::new(Adam::new(0.1), L1::new(-1.0));
    assert!(opt.step(&mut w, &array![0.1, 0.1]).is_err());
    assert_eq!((w, opt.steps()), (array![1.0, -1.0], 0));
}

#[test]
fn failing_clips_regularizers_and_schedules_write_nothing() {
    let mut g = (array![1.0_f64, 2.0], array![3.0_f64]);
    let g0 = g.clone();
    assert!(clip_grad_value((&mut g.0, &mut g.1), -1.0).is_err());
    assert!(clip_grad_norm((&mut g.0, &mut g.1), -1.0, 2.0, false).is_err());
    assert!(clip_grad_norm((&mut g.0, &mut g.1), 1.0, 0.0, false).is_err());
    assert_eq!(g, g0);
    let w = array![1.0_f64, -2.0];
    let mut gw = array![SENTINEL, SENTINEL];
    assert!(L1::new(f64::NAN).add_grad(&w, &mut gw).is_err());
    assert!(ElasticNet::new(0.1, 0.1)
        .add_grad(&w, &mut array![0.0])
        .is_err());
    assert!(L2::new(0.1).add_grad((&w, &w), &mut gw).is_err());
    assert_eq!(gw, array![SENTINEL, SENTINEL]);
    let mut p = w.clone();
    assert!(L2::new(-0.1).prox(&mut p, 0.1).is_err());
    assert_eq!(p, w);

    // An invalid schedule leaves the optimizer's rate alone.
    let mut opt = Sgd::<f64>::new(0.1).momentum(0.9);
    assert!(LrScheduler::new(Schedule::step_lr(0, 0.5), &mut opt).is_err());
    assert!(LrScheduler::new(Schedule::one_cycle_lr(OneCycle::new(1.0, 0)), &mut opt).is_err());
    assert_eq!((opt.get_lr(), opt.get_cycle_momentum()), (0.1, Some(0.9)));
    // A plateau step on a NaN metric or an invalid factor changes nothing.
    let mut plateau = ReduceLrOnPlateau::new().patience(0);
    plateau.step(1.0, &mut opt).unwrap();
    let before = plateau.clone();
    assert!(plateau.step(f64::NAN, &mut opt).is_err());
    let mut bad = plateau.clone().factor(1.5);
    assert!(bad.step(2.0, &mut opt).is_err());
    assert_eq!((plateau, opt.get_lr()), (before, 0.1));
}
