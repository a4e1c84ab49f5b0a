//! The public surface that wraps the losses and optimizers: `validate` on
//! every loss, the `MultiLoss` trait, `Regularized::with_params` as a loss,
//! and `DynOptimizer` boxes.

use ndarray::{array, Array1, Array2, ArrayRef, Ix1, Ix2};
use ndloss::loss::WithParams;
use ndloss::optim::schedule::{LrScheduler, Schedule};
use ndloss::optim::DynOptimizer;
use ndloss::prelude::*;

fn hyper_name(e: &Error) -> &'static str {
    match e {
        Error::InvalidHyperparameter { name, .. } => name,
        other => panic!("not a hyperparameter error: {other:?}"),
    }
}

/// `validate` returns the error a call returns for the same settings.
#[test]
fn validate_reports_what_a_call_reports() {
    let (p, t) = (array![[0.2_f64, 0.7]], array![[0.0_f64, 1.0]]);
    macro_rules! same_error {
        ($name:literal, $loss:expr) => {{
            let loss = $loss;
            let (v, f) = (
                loss.validate().unwrap_err(),
                loss.forward(&p, &t).unwrap_err(),
            );
            assert_eq!(v, f, $name);
            assert_eq!(hyper_name(&v), $name);
        }};
    }
    same_error!("delta", Huber::new().delta(-1.0));
    same_error!("beta", SmoothL1::new().beta(-1.0));
    same_error!("tau", Quantile::new().tau(1.5));
    same_error!("eps", PoissonNll::new().eps(-1.0));
    same_error!("pos_weight", BceWithLogits::new().pos_weight(-1.0));
    same_error!("gamma", SigmoidFocal::new().gamma(-1.0));
    same_error!("margin", HingeEmbedding::new().margin(f64::INFINITY));

    let (logits, classes) = (array![[0.1_f64, 0.9], [0.4, 0.2]], array![1_usize, 0]);
    let ce = CrossEntropy::new().label_smoothing(2.0);
    assert_eq!(
        ce.validate().unwrap_err(),
        ce.forward(&logits, &classes).unwrap_err()
    );
    let nll = Nll::new().class_weights(array![1.0_f64, -1.0]);
    assert_eq!(
        nll.validate().unwrap_err(),
        nll.forward(&logits, &classes).unwrap_err()
    );
    assert_eq!(hyper_name(&nll.validate().unwrap_err()), "class_weights");
    let mm = MultiMargin::new().p(3);
    assert_eq!(
        mm.validate().unwrap_err(),
        mm.forward(&logits, &classes).unwrap_err()
    );
    // A weight count that does not match C is known only with the data.
    let short = CrossEntropy::new().class_weights(array![1.0_f64]);
    assert!(short.validate().is_ok());
    assert!(matches!(
        short.forward(&logits, &classes),
        Err(Error::ShapeMismatch { .. })
    ));

    let boxes = array![[0.0_f64, 0.0, 1.0, 1.0]];
    let iou = IouLoss::new().eps(-1.0);
    assert_eq!(
        iou.validate().unwrap_err(),
        iou.forward(&boxes, &boxes).unwrap_err()
    );

    let (x, y1) = (array![[1.0_f64, 2.0]], array![1.0_f64]);
    let g = GaussianNll::new().eps(0.0);
    assert_eq!(
        g.validate().unwrap_err(),
        g.forward(&x, &x, &x).unwrap_err()
    );
    let c = CosineEmbedding::new().margin(f64::NEG_INFINITY);
    assert_eq!(
        c.validate().unwrap_err(),
        c.forward(&x, &x, &y1).unwrap_err()
    );
    let tm = TripletMargin::new().margin(0.0);
    assert_eq!(
        tm.validate().unwrap_err(),
        tm.forward(&x, &x, &x).unwrap_err()
    );
    let mr = MarginRanking::new().margin(f64::INFINITY);
    assert_eq!(
        mr.validate().unwrap_err(),
        mr.forward(&x, &x, &x).unwrap_err()
    );

    for ok in [
        Mse::new().validate(),
        CrossEntropy::new().validate(),
        TripletMargin::new().validate(),
        GiouLoss::new().validate(),
    ] {
        ok.unwrap();
    }
}

type Triplet<'a> = (
    &'a ArrayRef<f64, Ix2>,
    &'a ArrayRef<f64, Ix2>,
    &'a ArrayRef<f64, Ix2>,
);
type TripletGrads<'g> = (
    &'g mut ArrayRef<f64, Ix2>,
    &'g mut ArrayRef<f64, Ix2>,
    &'g mut ArrayRef<f64, Ix2>,
);

type TripletOut = (f64, (Array2<f64>, Array2<f64>, Array2<f64>), Array1<f64>);

fn through_trait<'a, L>(loss: &L, inputs: Triplet<'a>) -> TripletOut
where
    L: for<'g> MultiLoss<
        f64,
        Triplet<'a>,
        TripletGrads<'g>,
        Grads = (Array2<f64>, Array2<f64>, Array2<f64>),
        Unreduced = Array1<f64>,
    >,
{
    let (value, grads) = loss.forward_grad(inputs).unwrap();
    let (mut ga, mut gp, mut gn) = (
        Array2::zeros((2, 3)),
        Array2::zeros((2, 3)),
        Array2::zeros((2, 3)),
    );
    let v2 = loss
        .forward_grad_into(inputs, (&mut ga, &mut gp, &mut gn))
        .unwrap();
    assert_eq!(v2, value);
    assert_eq!((&ga, &gp, &gn), (&grads.0, &grads.1, &grads.2));
    assert_eq!(loss.forward(inputs).unwrap(), value);
    assert_eq!(loss.grad(inputs).unwrap(), grads);
    (value, grads, loss.unreduced(inputs).unwrap())
}

/// The trait gives the inherent methods' values, for a loss and for the
/// same loss with a bound penalty.
#[test]
fn multi_loss_matches_the_inherent_methods() {
    let a = array![[0.1_f64, 0.5, -0.3], [1.0, 0.2, 0.0]];
    let p = array![[0.0_f64, 0.4, -0.1], [0.7, 0.3, 0.1]];
    let n = array![[0.3_f64, -0.5, 0.2], [0.9, 0.1, -0.2]];
    let loss = TripletMargin::new().margin(2.0).swap(true);
    let (v, grads, un) = through_trait(&loss, (&a, &p, &n));
    let (v0, ga, gp, gn) = loss.forward_grad(&a, &p, &n).unwrap();
    assert_eq!((v, grads), (v0, (ga.clone(), gp.clone(), gn.clone())));
    assert_eq!(un, loss.unreduced(&a, &p, &n).unwrap());

    // Bound to parameters: the value gains the penalty, gradients and the
    // unreduced loss are the data term's.
    let w = array![1.0_f64, -2.0];
    let objective = loss.regularized(L2::new(0.25));
    let bound: WithParams<'_, _, _, _> = objective.with_params(&w);
    let (vb, gb, unb) = through_trait(&bound, (&a, &p, &n));
    assert_eq!(vb, v0 + 0.25 * 5.0);
    assert_eq!(gb, (ga, gp, gn));
    assert_eq!(unb, un);
}

#[test]
fn a_bound_objective_is_a_loss() {
    fn value_and_grad<L: Loss<f64, Ix1>>(
        l: &L,
        p: &Array1<f64>,
        t: &Array1<f64>,
    ) -> (f64, Array1<f64>) {
        l.forward_grad(p, t).unwrap()
    }
    let (pred, target) = (array![1.0_f64, 2.0, -1.0], array![0.0_f64, 2.0, 1.0]);
    let (w, b) = (array![[1.0_f64, -1.0]], array![3.0_f64]);
    let objective = Mse::new().regularized(ElasticNet::new(0.5, 0.25));
    let (v, g) = value_and_grad(&objective.with_params((&w, &b)), &pred, &target);
    let (v0, g0) = Mse::new().forward_grad(&pred, &target).unwrap();
    // L1 0.5·(1 + 1 + 3) + L2 0.25·(1 + 1 + 9)
    assert_eq!(v, v0 + 0.5 * 5.0 + 0.25 * 11.0);
    assert_eq!(g, g0);
    // A bad penalty is the call's error.
    let bad = Mse::new().regularized(L1::new(-1.0));
    assert!(matches!(
        bad.with_params(&w).forward(&pred, &target),
        Err(Error::InvalidHyperparameter { name: "lambda", .. })
    ));
}

/// A boxed optimizer steps, schedules and refuses exactly as the concrete one.
#[test]
fn a_boxed_optimizer_is_the_optimizer() {
    let make = || {
        Adam::<f64>::new(0.1)
            .weight_decay(0.01)
            .param_group(ParamGroup::new([1]).lr(0.05))
    };
    let mut concrete = make();
    let mut boxed: Box<dyn DynOptimizer<f64>> = Box::new(make());
    let (mut w1, mut b1) = (array![[1.0_f64, -2.0]], array![0.5_f64]);
    let (mut w2, mut b2) = (w1.clone(), b1.clone());
    for k in 0..5 {
        let (gw, gb) = (&w1 * 2.0 - f64::from(k), &b1 * 0.5);
        concrete.step((&mut w1, &mut b1), (&gw, &gb)).unwrap();
        boxed.step((&mut w2, &mut b2), (&gw, &gb)).unwrap();
    }
    assert_eq!((&w1, &b1), (&w2, &b2));
    assert_eq!(boxed.steps(), 5);
    assert_eq!(
        (
            boxed.num_groups(),
            boxed.get_group_lr(1).unwrap(),
            boxed.get_slot_lr(1)
        ),
        (2, 0.05, 0.05)
    );
    assert_eq!(boxed.get_cycle_momentum(), Some(0.9));

    // A refused step changes nothing, in the box as in the optimizer.
    let e = boxed
        .step((&mut w2, &mut b2), (&array![[0.1, 0.2]], &array![0.1, 0.2]))
        .unwrap_err();
    assert!(
        matches!(e, Error::ParamShapeMismatch { slot: 1, .. }),
        "{e:?}"
    );
    assert_eq!((&w1, &b1, boxed.steps()), (&w2, &b2, 5));

    // Schedules drive a box through the Optimizer trait.
    let mut sched = LrScheduler::new(Schedule::step_lr(1, 0.5), &mut boxed).unwrap();
    sched.step(&mut boxed).unwrap();
    assert_eq!(boxed.get_lr(), 0.05);
    assert!(boxed.set_group_lr(2, 1.0).is_err());
    boxed.set_lr(1.0);
    assert_eq!(boxed.get_group_lr(1).unwrap(), 1.0);
    assert!(boxed.validate().is_ok());
    boxed.set_cycle_momentum(0.8);
    assert_eq!(boxed.get_cycle_momentum(), Some(0.8));
    boxed.reset();
    assert_eq!(boxed.steps(), 0);

    // Different optimizers in one collection.
    let mut all: Vec<Box<dyn DynOptimizer<f64>>> =
        vec![Box::new(Sgd::new(0.5)), Box::new(Lion::new(0.5))];
    let mut w = array![1.0_f64];
    for opt in &mut all {
        opt.step(&mut w, &array![1.0]).unwrap();
    }
    assert_eq!(w, array![1.0 - 0.5 - 0.5]); // SGD: −lr·g; Lion: −lr·sign(·)
}
