//! Every optimizer minimises a quadratic and the Rosenbrock function (one
//! table, optax's habit); proximal SGD recovers scikit-learn's lasso solution,
//! zeros included.

use crate::common::{array, load, num};
use ndarray::{array, Array1, Array2, Ix1, Ix2};
use ndloss::prelude::*;

/// `f(w) = Σ cᵢ(wᵢ − tᵢ)²` with condition number 10.
fn quadratic(w: &Array1<f64>) -> (f64, Array1<f64>) {
    let c = array![1.0, 3.0, 10.0];
    let t = array![1.0, -2.0, 0.5];
    let e = w - &t;
    ((&c * &e * &e).sum(), &c * &e * 2.0)
}

/// Rosenbrock `(1 − x)² + 100(y − x²)²`, minimum 0 at (1, 1).
fn rosenbrock(w: &Array1<f64>) -> (f64, Array1<f64>) {
    let (x, y) = (w[0], w[1]);
    let f = (1.0 - x).powi(2) + 100.0 * (y - x * x).powi(2);
    let g = array![
        -2.0 * (1.0 - x) - 400.0 * x * (y - x * x),
        200.0 * (y - x * x)
    ];
    (f, g)
}

fn minimise<O: Optimizer<f64>>(
    mut opt: O,
    f: fn(&Array1<f64>) -> (f64, Array1<f64>),
    start: Array1<f64>,
    steps: usize,
) -> f64 {
    let mut w = start;
    for _ in 0..steps {
        let (_, g) = f(&w);
        opt.step(&mut w, &g).unwrap();
    }
    f(&w).0
}

/// `(name, quadratic result, rosenbrock result)` for every optimizer.
macro_rules! table {
    ($( $name:literal => $quad:expr, $rosen:expr, $steps:expr; )*) => {{
        let mut rows = Vec::new();
        $(
            let q = minimise($quad, quadratic, array![0.0, 0.0, 0.0], 3000);
            let r = minimise($rosen, rosenbrock, array![-1.5, 2.0], $steps);
            rows.push(($name, q, r));
        )*
        rows
    }};
}

#[test]
fn every_optimizer_minimises_a_quadratic_and_rosenbrock() {
    let rows = table! {
        "sgd" => Sgd::new(0.02), Sgd::new(1e-3).momentum(0.9), 20_000;
        "sgd nesterov" => Sgd::new(0.02).momentum(0.5).nesterov(true), Sgd::new(1e-3).momentum(0.9).nesterov(true), 20_000;
        "adam" => Adam::new(0.05), Adam::new(0.02), 20_000;
        "adam amsgrad" => Adam::new(0.05).amsgrad(true), Adam::new(0.02).amsgrad(true), 20_000;
        "adamw" => AdamW::new(0.05).weight_decay(0.0), AdamW::new(0.02).weight_decay(0.0), 20_000;
        "rmsprop" => RmsProp::new(0.01), RmsProp::new(1e-3).momentum(0.9), 20_000;
        "rmsprop centered" => RmsProp::new(0.01).centered(true), RmsProp::new(1e-3).centered(true).momentum(0.9), 20_000;
        "adagrad" => Adagrad::new(0.5), Adagrad::new(0.5), 20_000;
        "adadelta" => Adadelta::new(1.0).rho(0.9), Adadelta::new(0.01).rho(0.9), 20_000;
        "adamax" => Adamax::new(0.05), Adamax::new(0.02), 20_000;
        "nadam" => NAdam::new(0.05), NAdam::new(0.005), 20_000;
        "radam" => RAdam::new(0.05), RAdam::new(0.002), 20_000;
        "lion" => Lion::new(0.01).betas(0.9, 0.99), Lion::new(1e-3).betas(0.9, 0.99), 20_000;
    };
    let mut failures = Vec::new();
    for (name, q, r) in &rows {
        println!("{name:18} quadratic {q:10.3e}   rosenbrock {r:10.3e}");
        // Written so that NaN counts as a failure.
        let converged = *q < 1e-6 && *r < 1e-3;
        if !converged {
            failures.push(*name);
        }
    }
    assert!(failures.is_empty(), "did not converge: {failures:?}");
    assert_eq!(rows.len(), 13);
}

#[test]
fn proximal_sgd_recovers_the_sklearn_lasso_solution() {
    let data = load("lasso.json");
    for case in data["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let x = array(&case["X"]).into_dimensionality::<Ix2>().unwrap();
        let y = array(&case["y"]).into_dimensionality::<Ix1>().unwrap();
        let expected = array(&case["coef"]).into_dimensionality::<Ix1>().unwrap();
        let alpha = num(&case["alpha"]);
        // sklearn minimises ‖y − Xw‖²/(2n) + α‖w‖₁ = Mse/2 + L1(α).
        let mse = Mse::new();
        let mut opt = Proximal::new(Sgd::new(0.5), L1::new(alpha));
        let mut w = Array1::<f64>::zeros(x.ncols());
        let mut grad_pred = Array1::<f64>::zeros(x.nrows());
        for _ in 0..20_000 {
            let pred = x.dot(&w);
            mse.forward_grad_into(&pred, &y, &mut grad_pred).unwrap();
            let g = x.t().dot(&grad_pred) * 0.5;
            opt.step(&mut w, &g).unwrap();
        }
        for (k, (&got, &want)) in w.iter().zip(&expected).enumerate() {
            if want == 0.0 {
                assert_eq!(got, 0.0, "{name}: coefficient {k} must be exactly zero");
            } else {
                assert!(
                    (got - want).abs() < 1e-9,
                    "{name}: coefficient {k}: {got} vs sklearn {want}"
                );
            }
        }
        let zeros = expected.iter().filter(|&&c| c == 0.0).count();
        assert!(zeros >= 3, "{name}: the case must have zeros to recover");
    }
}

#[test]
fn parameter_groups_validate_their_slots() {
    let (mut a, mut b) = (Array1::<f64>::ones(2), Array2::<f64>::ones((2, 2)));
    let (ga, gb) = (Array1::<f64>::ones(2), Array2::<f64>::ones((2, 2)));
    let mut opt = Sgd::new(0.1)
        .param_group(ParamGroup::new([1]))
        .param_group(ParamGroup::new([1]));
    let e = opt.step((&mut a, &mut b), (&ga, &gb)).unwrap_err();
    assert!(
        matches!(
            e,
            Error::ParamGroup {
                group: 1,
                slot: 1,
                reason: "slot already in a group",
                ..
            }
        ),
        "{e:?}"
    );
    let mut opt = Adam::new(0.1).param_group(ParamGroup::new([2]).lr(0.5));
    let e = opt.step((&mut a, &mut b), (&ga, &gb)).unwrap_err();
    assert!(matches!(e, Error::ParamGroup { slot: 2, .. }), "{e}");
    let mut opt = Adam::new(0.1).param_group(ParamGroup::new([0]).lr(-0.5));
    assert!(matches!(
        opt.step((&mut a, &mut b), (&ga, &gb)).unwrap_err(),
        Error::InvalidHyperparameter { name: "lr", .. }
    ));
    assert_eq!((a, b), (Array1::ones(2), Array2::ones((2, 2))));
    assert_eq!(opt.steps(), 0);
}

#[test]
fn groups_have_their_own_learning_rates_and_decay() {
    let (mut a, mut b) = (array![1.0_f64], array![1.0_f64]);
    let g = array![1.0_f64];
    let mut opt = Sgd::new(0.1)
        .weight_decay(0.5)
        .param_group(ParamGroup::new([1]).lr(0.01).weight_decay(0.0));
    opt.step((&mut a, &mut b), (&g, &g)).unwrap();
    assert_eq!(a[0], 1.0 - 0.1 * (1.0 + 0.5));
    assert_eq!(b[0], 1.0 - 0.01);
    assert_eq!(
        (
            opt.num_groups(),
            opt.get_group_lr(0).unwrap(),
            opt.get_group_lr(1).unwrap(),
            opt.get_slot_lr(1)
        ),
        (2, 0.1, 0.01, 0.01)
    );
    opt.set_group_lr(1, 0.02).unwrap();
    assert_eq!(opt.get_group_lr(1).unwrap(), 0.02);
    opt.set_lr(0.3);
    assert_eq!(
        (opt.get_group_lr(0).unwrap(), opt.get_group_lr(1).unwrap()),
        (0.3, 0.3)
    );
    // A group that does not exist is an error that names it, and changes nothing.
    let e = opt.get_group_lr(2).unwrap_err();
    assert!(
        matches!(
            e,
            Error::NoSuchGroup {
                group: 2,
                groups: 2,
                ..
            }
        ),
        "{e:?}"
    );
    assert_eq!(
        e.to_string(),
        "no parameter group 2: the optimizer has 2 (0 is the default group)"
    );
    assert!(opt.set_group_lr(2, 1.0).is_err());
    assert_eq!(
        (opt.get_group_lr(0).unwrap(), opt.get_group_lr(1).unwrap()),
        (0.3, 0.3)
    );
}
