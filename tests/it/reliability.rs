//! Reliability properties that are not about bad input: every public type is
//! `Send + Sync` (checked at compile time), one loss shared across threads
//! gives the same results, and extreme but valid inputs stay finite where the
//! math is finite.

use ndarray::{array, s, Array1, Array2, ArrayD, IxDyn};
use ndloss::optim::schedule::{LrScheduler, ReduceLrOnPlateau, Schedule};
use ndloss::prelude::*;

use crate::catalogue::{inputs, Pick, Settings, CATALOGUE};

fn send_sync<T: Send + Sync>() {}

#[test]
fn public_types_are_send_and_sync() {
    // The catalogue's losses are `Send + Sync` by registration
    // (`catalogue::Dense` requires it); the others:
    send_sync::<CrossEntropy>();
    send_sync::<Nll>();
    send_sync::<MultiMargin>();
    send_sync::<IouLoss>();
    send_sync::<GiouLoss>();
    send_sync::<DiouLoss>();
    send_sync::<CiouLoss>();
    send_sync::<L1>();
    send_sync::<L2>();
    send_sync::<ElasticNet>();
    send_sync::<Regularized<Mse, L2>>();
    send_sync::<Sgd<f32>>();
    send_sync::<Adam<f64>>();
    send_sync::<AdamW<f32>>();
    send_sync::<RmsProp<f32>>();
    send_sync::<Adagrad<f32>>();
    send_sync::<Adadelta<f32>>();
    send_sync::<Adamax<f32>>();
    send_sync::<NAdam<f32>>();
    send_sync::<RAdam<f32>>();
    send_sync::<Lion<f32>>();
    send_sync::<Proximal<Sgd<f32>, L1>>();
    send_sync::<ParamGroup>();
    send_sync::<Schedule>();
    send_sync::<LrScheduler>();
    send_sync::<ReduceLrOnPlateau>();
    send_sync::<Error>();
}

#[test]
fn every_catalogue_loss_shared_across_threads_gives_the_same_results() {
    for entry in CATALOGUE {
        let s = Settings::plain(0.6, 16);
        let (p, t) = inputs(entry, &s, &[64, 16], 5);
        let loss = (entry.make)(&s);
        let alone = loss.f64().forward_grad(&p, &t).unwrap();
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..4)
                .map(|_| scope.spawn(|| loss.f64().forward_grad(&p, &t).unwrap()))
                .collect();
            for h in handles {
                let (v, g) = h.join().unwrap();
                // Bit for bit: the threads' gradient buffers lie at other
                // addresses than the first call's.
                assert_eq!(
                    v.to_bits(),
                    alone.0.to_bits(),
                    "{}: {v} vs {}",
                    entry.name,
                    alone.0
                );
                for (a, b) in g.iter().zip(&alone.1) {
                    assert_eq!(
                        a.to_bits(),
                        b.to_bits(),
                        "{}: gradient {a} vs {b}",
                        entry.name
                    );
                }
            }
        });
    }
}

/// Every catalogue loss's value and gradient are the same bits wherever the
/// gradient buffer lies: views at every element offset of a 64-byte span
/// into one buffer (so every alignment the kernels could peel for), with
/// inputs long enough for several blocks of the vector kernels.
fn same_bits_at_every_gradient_offset<A: Pick>() {
    let n = 2_500;
    let lanes = 64 / std::mem::size_of::<A>();
    for entry in CATALOGUE {
        let s = Settings::plain(0.3, 1);
        let (p, t) = inputs(entry, &s, &[n], 9);
        let (p, t) = (p.mapv(A::from_f64), t.mapv(A::from_f64));
        let w = ArrayD::from_shape_fn(IxDyn(&[n]), |i| A::from_f64(0.5 + (i[0] % 7) as f64 * 0.25));
        let made = (entry.make)(&s);
        let loss = A::of(&*made);
        let mut buf = ArrayD::<A>::zeros(IxDyn(&[n + lanes]));
        let mut first: Option<(A, A, Vec<A>, Vec<A>)> = None;
        for off in 0..lanes {
            let mut g = buf.slice_mut(s![off..off + n]).into_dyn();
            let v = loss.forward_grad_into(&p, &t, &mut g).unwrap();
            let grad = g.to_owned().into_raw_vec_and_offset().0;
            let vw = loss.forward_grad_weighted_into(&p, &t, &w, &mut g).unwrap();
            let grad_w = g.to_owned().into_raw_vec_and_offset().0;
            let bit = |x: A| ndloss::Float::to_f64(x).to_bits();
            let bits = |x: &[A]| x.iter().map(|&a| bit(a)).collect::<Vec<_>>();
            match &first {
                None => first = Some((v, vw, grad, grad_w)),
                Some((v0, vw0, g0, gw0)) => {
                    let at = format!(
                        "{} ({}), gradient at element offset {off}",
                        entry.name,
                        std::any::type_name::<A>()
                    );
                    assert_eq!(bit(v), bit(*v0), "{at}: value {v} vs {v0}");
                    assert_eq!(bit(vw), bit(*vw0), "{at}: weighted value {vw} vs {vw0}");
                    assert!(bits(&grad) == bits(g0), "{at}: gradient");
                    assert!(bits(&grad_w) == bits(gw0), "{at}: weighted gradient");
                }
            }
        }
    }
}

#[test]
fn every_catalogue_loss_gives_the_same_bits_wherever_its_gradient_lies() {
    same_bits_at_every_gradient_offset::<f32>();
    same_bits_at_every_gradient_offset::<f64>();
}

#[test]
fn one_loss_shared_across_threads_gives_the_same_results() {
    let ce = CrossEntropy::new()
        .label_smoothing(0.1)
        .class_weights(array![1.0, 2.0, 0.5]);
    let logits = Array2::from_shape_fn((64, 3), |(i, j)| ((i * 3 + j) as f64 * 0.37).sin() * 5.0);
    let classes = Array1::from_shape_fn(64, |i| i % 3);
    let alone = ce.forward_grad(&logits, &classes).unwrap();
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|_| s.spawn(|| ce.forward_grad(&logits, &classes).unwrap()))
            .collect();
        for h in handles {
            assert_eq!(h.join().unwrap(), alone);
        }
    });
}

#[test]
fn extreme_but_valid_inputs_stay_finite() {
    // Logits of ±1e4, and f32 logits near its range.
    let x = array![[1e4_f64, -1e4, 0.0], [-1e4, 1e4, 1e4]];
    let (v, g) = CrossEntropy::new()
        .forward_grad(&x, &array![1_usize, 0])
        .unwrap();
    assert!(v.is_finite() && g.iter().all(|d| d.is_finite()));
    let big = array![[3e38_f32, -3e38, 0.0]];
    let (v, g) = CrossEntropy::new()
        .forward_grad(&big, &array![0_usize])
        .unwrap();
    assert!(v.is_finite() && g.iter().all(|d| d.is_finite()), "{v} {g}");
    let (v, g) = BceWithLogits::new()
        .forward_grad(&array![3e38_f32, -3e38], &array![0.0, 1.0])
        .unwrap();
    assert!(v.is_finite() && g.iter().all(|d| d.is_finite()), "{v} {g}");
    let (v, g) = SigmoidFocal::new()
        .forward_grad(&array![1e4_f32, -1e4, 40.0], &array![0.0, 1.0, 1.0])
        .unwrap();
    assert!(v.is_finite() && g.iter().all(|d| d.is_finite()), "{v} {g}");
    let (v, _) = SoftMargin::new()
        .forward_grad(&array![1e30_f64], &array![-1.0])
        .unwrap();
    assert_eq!(v, 1e30);

    // Probabilities of exactly 0 and 1.
    let (v, g) = Bce::new()
        .forward_grad(&array![0.0_f64, 1.0, 0.0, 1.0], &array![0.0, 1.0, 1.0, 0.0])
        .unwrap();
    assert!(v.is_finite() && g.iter().all(|d| d.is_finite()));
    let keras = CrossEntropy::new().from_probs(true);
    let (v, g) = keras
        .forward_grad(&array![[1.0_f64, 0.0], [0.0, 1.0]], &array![1_usize, 1])
        .unwrap();
    assert!(v.is_finite() && g.iter().all(|d| d.is_finite()));

    // Errors of 1e19 in LogCosh and Huber.
    for loss in [
        &LogCosh::new() as &dyn Loss<f64, ndarray::Ix1, Unreduced = ndarray::Ix1>,
        &Huber::new(),
        &SmoothL1::new(),
    ] {
        let (v, g) = loss
            .forward_grad(&array![1e19, -1e19], &array![0.0, 0.0])
            .unwrap();
        assert!(v.is_finite() && v > 1e18 && g.iter().all(|d| d.is_finite()));
    }
    let (v, g) = LogCosh::new()
        .forward_grad(&array![1e19_f32], &array![-1e19])
        .unwrap();
    assert!(v.is_finite() && g[0] == 1.0);

    // Boxes with zero area.
    let b = array![[1.0_f64, 1.0, 1.0, 3.0], [0.0, 0.0, 2.0, 2.0]];
    let t = array![[0.0_f64, 0.0, 2.0, 2.0], [0.0, 0.0, 2.0, 2.0]];
    for v in [
        IouLoss::new().forward(&b, &t).unwrap(),
        GiouLoss::new().forward(&b, &t).unwrap(),
        DiouLoss::new().forward(&b, &t).unwrap(),
    ] {
        assert!(v.is_finite());
    }
}

#[test]
fn without_weight_decay_an_infinite_parameter_stays_infinite() {
    // PyTorch adds wd·θ only when wd ≠ 0; adding 0·∞ would turn θ into NaN.
    fn check<O: Optimizer<f64>>(name: &str, mut opt: O) {
        let mut w = array![f64::INFINITY, 1.0];
        opt.step(&mut w, &array![1.0, 1.0]).unwrap();
        assert_eq!(w[0], f64::INFINITY, "{name}");
        assert!(w[1].is_finite(), "{name}");
    }
    check("sgd", Sgd::new(0.1).momentum(0.9));
    check("adam", Adam::new(0.1));
    check("rmsprop", RmsProp::new(0.1).centered(true));
    check("adagrad", Adagrad::new(0.1));
    check("adadelta", Adadelta::new(1.0));
    check("adamax", Adamax::new(0.1));
    check("nadam", NAdam::new(0.1));
    check("radam", RAdam::new(0.1));
    check("lion", Lion::new(0.1));
}
