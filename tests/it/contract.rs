//! The foundation issue's contract program, kept verbatim as a test.

use ndarray::{array, Array2};
use ndloss::prelude::*;

#[test]
fn contract() -> Result<(), ndloss::Error> {
    let pred = array![[0.5_f64, 1.0], [2.0, -1.0]];
    let target = array![[0.0_f64, 1.0], [2.5, -1.0]];
    let mse = Mse::new();
    let value: f64 = mse.forward(&pred, &target)?;
    let grad: Array2<f64> = mse.grad(&pred, &target)?;
    let (value2, grad2) = mse.forward_grad(&pred, &target)?;
    let mut buf = Array2::<f64>::zeros((2, 2));
    let value3 = mse.forward_grad_into(&pred, &target, &mut buf)?;
    assert!(
        (value - 0.125).abs() < 1e-12
            && (value2 - value).abs() < 1e-12
            && (value3 - value).abs() < 1e-12
    );
    assert!((&grad - &grad2)
        .iter()
        .chain((&grad - &buf).iter())
        .all(|d| d.abs() < 1e-12));
    let sum = Mse::new()
        .reduction(Reduction::Sum)
        .forward(&pred.view(), &target.view())?;
    let per_element: Array2<f64> = mse.unreduced(&pred, &target)?;
    assert!((per_element.sum() - sum).abs() < 1e-12);
    let _mae = Mae::new().forward(&pred, &target)?;

    let logits = array![[2.0_f32, 0.5, -1.0], [0.1, 0.2, 3.0]];
    let classes = array![0_usize, 2];
    let ce = CrossEntropy::new().label_smoothing(0.1);
    let _: f32 = ce.forward(&logits, &classes)?;
    let _: Array2<f32> = ce.grad(&logits, &classes)?;
    let soft = array![[0.7_f32, 0.2, 0.1], [0.0, 0.0, 1.0]];
    let _: f32 = CrossEntropy::new().forward(&logits, &soft)?;
    let _ = CrossEntropy::new()
        .class_weights(array![1.0_f32, 2.0, 0.5])
        .ignore_index(1)
        .forward(&logits, &classes)?;
    let z = array![3.0_f32, -2.0, 0.5];
    let y = array![1.0_f32, 0.0, 1.0];
    let _ = BceWithLogits::new().pos_weight(2.0).forward(&z, &y)?;
    let _ = Bce::new().forward(&array![0.9_f32, 0.2, 0.6], &y)?;

    assert!(mse.forward(&pred, &array![[1.0_f64, 2.0, 3.0]]).is_err());
    assert!(CrossEntropy::new()
        .forward(&logits, &array![0_usize, 7])
        .is_err());

    let mut w = array![[0.1_f64, -0.2], [0.3, 0.4]];
    let mut b = array![0.0_f64, 0.1];
    let gw = array![[0.01_f64, 0.02], [0.03, 0.04]];
    let gb = array![0.5_f64, -0.5];
    let objective = Mse::new().regularized(L2::new(1e-3));
    let _total = objective.forward(&pred, &target, (&w, &b))?;
    let (mut gw_total, mut gb_total) = (gw.clone(), gb.clone());
    objective.add_penalty_grad((&w, &b), (&mut gw_total, &mut gb_total))?;
    let _ = Mae::new()
        .regularized(ElasticNet::new(1e-3, 1e-4))
        .forward(&pred, &target, &w)?;
    let _ = L1::new(1e-2).penalty(&w);

    let mut sgd = Sgd::new(0.1).momentum(0.9).nesterov(true);
    sgd.step(&mut w, &gw)?;
    let mut adam = Adam::new(1e-3).weight_decay(1e-2);
    adam.step((&mut w, &mut b), (&gw, &gb))?;
    let (w_before, b_before) = (w.clone(), b.clone());
    assert!(adam
        .step((&mut w, &mut b), (&gw, &array![0.5_f64, -0.5, 0.1]))
        .is_err());
    assert_eq!((w, b), (w_before, b_before));
    Ok(())
}
