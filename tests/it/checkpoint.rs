//! Checkpoints (feature `serde`): optimizer and schedule state serialise, and
//! training resumed from a checkpoint follows the uninterrupted trajectory
//! bit for bit; state that does not fit, or is corrupt, is an error.
#![cfg(feature = "serde")]

use ndarray::{Array1, Array2};
use ndloss::optim::schedule::{LrScheduler, Schedule};
use ndloss::prelude::*;
use serde::{de::DeserializeOwned, Serialize};

/// Deterministic gradients that depend on the parameters (so state matters).
fn grads(w: &Array2<f64>, b: &Array1<f64>, t: usize) -> (Array2<f64>, Array1<f64>) {
    let s = (t as f64 * 0.7).sin();
    (w.mapv(|x| 2.0 * x - 0.3 + s), b.mapv(|x| x * x - 0.5 * s))
}

fn start() -> (Array2<f64>, Array1<f64>) {
    (
        Array2::from_shape_fn((3, 4), |(i, j)| (i as f64 - 1.0) * 0.5 + j as f64 * 0.1),
        Array1::from_shape_fn(5, |i| i as f64 * 0.2 - 0.4),
    )
}

fn run<O: Optimizer<f64>>(
    opt: &mut O,
    sched: &mut LrScheduler,
    w: &mut Array2<f64>,
    b: &mut Array1<f64>,
    steps: std::ops::Range<usize>,
) {
    for t in steps {
        let (gw, gb) = grads(w, b, t);
        opt.step((&mut *w, &mut *b), (&gw, &gb)).unwrap();
        sched.step(opt).unwrap();
    }
}

fn roundtrip<T: Serialize + DeserializeOwned>(x: &T) -> T {
    serde_json::from_str(&serde_json::to_string(x).unwrap()).unwrap()
}

fn resume_equals_uninterrupted<O>(name: &str, make: impl Fn() -> O)
where
    O: Optimizer<f64> + Serialize + DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let schedule = Schedule::warmup_cosine(3, 0.1, 9, 1e-4);
    let (mut w1, mut b1) = start();
    let mut opt1 = make();
    let mut sched1 = LrScheduler::new(schedule.clone(), &mut opt1).unwrap();
    run(&mut opt1, &mut sched1, &mut w1, &mut b1, 0..12);

    let (mut w2, mut b2) = start();
    let mut opt2 = make();
    let mut sched2 = LrScheduler::new(schedule, &mut opt2).unwrap();
    run(&mut opt2, &mut sched2, &mut w2, &mut b2, 0..5);
    // Checkpoint: parameters, optimizer and schedule through JSON.
    let (mut w3, mut b3, mut opt3, mut sched3) = (
        roundtrip(&w2),
        roundtrip(&b2),
        roundtrip(&opt2),
        roundtrip(&sched2),
    );
    assert_eq!(opt3, opt2, "{name}: state survives the round trip");
    run(&mut opt3, &mut sched3, &mut w3, &mut b3, 5..12);

    assert_eq!(w3, w1, "{name}: weights after resume");
    assert_eq!(b3, b1, "{name}: biases after resume");
    assert_eq!(opt3.steps(), 12);
}

#[test]
fn every_optimizer_resumes_without_drift() {
    resume_equals_uninterrupted("sgd", || {
        Sgd::new(0.1)
            .momentum(0.9)
            .nesterov(true)
            .weight_decay(1e-3)
    });
    resume_equals_uninterrupted("adam", || Adam::new(0.01).amsgrad(true));
    resume_equals_uninterrupted("adamw", || {
        AdamW::new(0.01).param_group(ParamGroup::new([1]).weight_decay(0.0))
    });
    resume_equals_uninterrupted("rmsprop", || {
        RmsProp::new(0.01).centered(true).momentum(0.5)
    });
    resume_equals_uninterrupted("adagrad", || {
        Adagrad::new(0.1)
            .lr_decay(0.01)
            .initial_accumulator_value(0.1)
    });
    resume_equals_uninterrupted("adadelta", || Adadelta::new(1.0));
    resume_equals_uninterrupted("adamax", || Adamax::new(0.01));
    resume_equals_uninterrupted("nadam", || NAdam::new(0.01).weight_decay(0.01));
    resume_equals_uninterrupted("radam", || RAdam::new(0.01));
    resume_equals_uninterrupted("lion", || Lion::new(1e-3).weight_decay(0.1));
    resume_equals_uninterrupted("proximal", || {
        Proximal::new(Sgd::new(0.05).momentum(0.5), L1::new(0.01))
    });
}

#[test]
fn a_checkpoint_for_another_parameter_set_is_refused() {
    let (mut w, mut b) = start();
    let mut opt = Adam::new(0.01);
    let (gw, gb) = grads(&w, &b, 0);
    opt.step((&mut w, &mut b), (&gw, &gb)).unwrap();
    let mut loaded: Adam<f64> = roundtrip(&opt);
    // Same count, other shape.
    let (mut w2, g2) = (Array2::<f64>::zeros((4, 3)), Array2::<f64>::zeros((4, 3)));
    let e = loaded.step((&mut w2, &mut b), (&g2, &gb)).unwrap_err();
    assert!(
        matches!(e, Error::StateMismatch { slot: Some(0), .. }),
        "{e}"
    );
    // Other count.
    let e = loaded.step(&mut w, &gw).unwrap_err();
    assert!(matches!(e, Error::StateMismatch { slot: None, .. }), "{e}");
    assert_eq!(loaded, opt, "nothing loaded was changed");
}

#[test]
fn corrupt_checkpoints_are_errors_not_panics() {
    let (mut w, mut b) = start();
    let mut opt = RmsProp::new(0.01).centered(true);
    let (gw, gb) = grads(&w, &b, 0);
    opt.step((&mut w, &mut b), (&gw, &gb)).unwrap();
    let json = serde_json::to_string(&opt).unwrap();

    // Truncated: the deserializer says so.
    assert!(serde_json::from_str::<RmsProp<f64>>(&json[..json.len() / 2]).is_err());

    // Well-formed but inconsistent: a moment buffer one element short.
    let mut value: serde_json::Value = serde_json::from_str(&json).unwrap();
    let buf = value["core"]["buffers"][0][0].as_array_mut().unwrap();
    buf.pop();
    let mut bad: RmsProp<f64> = serde_json::from_value(value).unwrap();
    let (w0, b0) = (w.clone(), b.clone());
    let e = bad.step((&mut w, &mut b), (&gw, &gb)).unwrap_err();
    assert!(matches!(e, Error::StateMismatch { .. }), "{e}");
    assert_eq!((w, b), (w0, b0));
}

#[test]
fn buffers_without_their_shapes_are_refused() {
    // Found by the checkpoint fuzz target: a state whose "shapes" key is lost
    // (serde reads the missing Option as None) but whose buffers remain.
    let (mut w, mut b) = start();
    let mut opt = Adam::new(0.01);
    let (gw, gb) = grads(&w, &b, 0);
    opt.step((&mut w, &mut b), (&gw, &gb)).unwrap();
    let mut value: serde_json::Value = serde_json::to_value(&opt).unwrap();
    value["core"].as_object_mut().unwrap().remove("shapes");
    value["core"]["buffers"][0][0]
        .as_array_mut()
        .unwrap()
        .truncate(7);
    let mut bad: Adam<f64> = serde_json::from_value(value).unwrap();
    let (w0, b0) = (w.clone(), b.clone());
    let e = bad.step((&mut w, &mut b), (&gw, &gb)).unwrap_err();
    assert!(matches!(e, Error::StateMismatch { .. }), "{e}");
    assert_eq!((w, b), (w0, b0));
}

mod round_trip {
    use super::*;
    use proptest::prelude::*;

    fn check<O>(mut opt: O, steps: usize, seed: u64) -> Result<(), TestCaseError>
    where
        O: Optimizer<f64> + Serialize + DeserializeOwned + PartialEq + Clone + std::fmt::Debug,
    {
        let (mut w, mut b) = start();
        for t in 0..steps {
            let (gw, gb) = grads(&w, &b, t + seed as usize);
            opt.step((&mut w, &mut b), (&gw, &gb)).unwrap();
        }
        let mut loaded: O = roundtrip(&opt);
        prop_assert_eq!(&loaded, &opt);
        let (gw, gb) = grads(&w, &b, 99);
        let (mut w2, mut b2) = (w.clone(), b.clone());
        opt.step((&mut w, &mut b), (&gw, &gb)).unwrap();
        loaded.step((&mut w2, &mut b2), (&gw, &gb)).unwrap();
        prop_assert_eq!((w, b), (w2, b2));
        Ok(())
    }

    proptest! {
        #[test]
        fn any_state_survives_a_round_trip(
            kind in 0u8..10,
            lr in 1e-4f64..0.5,
            beta in 0.0f64..0.99,
            wd in prop_oneof![Just(0.0), 0.0f64..0.1],
            flag in any::<bool>(),
            steps in 0usize..6,
            seed in 0u64..100,
        ) {
            match kind {
                0 => check(Sgd::new(lr).momentum(beta).weight_decay(wd).maximize(flag), steps, seed)?,
                1 => check(Adam::new(lr).betas(beta, 0.999).weight_decay(wd).amsgrad(flag), steps, seed)?,
                2 => check(AdamW::new(lr).weight_decay(wd).amsgrad(flag), steps, seed)?,
                3 => check(RmsProp::new(lr).alpha(beta).centered(flag).momentum(beta / 2.0), steps, seed)?,
                4 => check(Adagrad::new(lr).lr_decay(wd).initial_accumulator_value(beta), steps, seed)?,
                5 => check(Adadelta::new(lr).rho(beta).weight_decay(wd), steps, seed)?,
                6 => check(Adamax::new(lr).betas(beta, 0.99), steps, seed)?,
                7 => check(NAdam::new(lr).betas(beta, 0.999).decoupled_weight_decay(flag).weight_decay(wd), steps, seed)?,
                8 => check(RAdam::new(lr).betas(beta, 0.99).decoupled_weight_decay(flag).weight_decay(wd), steps, seed)?,
                _ => check(Lion::new(lr).betas(beta, 0.99).weight_decay(wd).param_group(ParamGroup::new([1]).lr(lr / 2.0)), steps, seed)?,
            }
        }
    }
}
