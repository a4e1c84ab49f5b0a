//! Optimizer trajectories against PyTorch (`tests/data/optim.json`): every
//! optimizer and option (Lion against its Keras/optax formula), parameter
//! groups, two parameters of different shapes, 12 steps, f32 and f64.

use crate::common::{array, assert_close, cast, load, num};
use ndarray::ArrayD;
use ndloss::prelude::*;
use serde_json::Value;

/// Applies the options present in `o` with the builder methods named after them.
macro_rules! configure {
    ($opt:expr, $o:expr; $($key:literal => $method:ident($conv:ident)),* $(,)?) => {{
        let mut opt = $opt;
        $(if let Some(v) = $o.get($key) {
            opt = opt.$method($conv(v));
        })*
        if let Some(groups) = $o.get("groups") {
            for g in groups.as_array().unwrap() {
                let slots = g["params"].as_array().unwrap().iter().map(|s| s.as_u64().unwrap() as usize);
                let mut group = ParamGroup::new(slots);
                if let Some(lr) = g.get("lr") {
                    group = group.lr(num(lr));
                }
                if let Some(wd) = g.get("weight_decay") {
                    group = group.weight_decay(num(wd));
                }
                opt = opt.param_group(group);
            }
        }
        opt
    }};
}

fn flag(v: &Value) -> bool {
    v.as_bool().unwrap()
}

fn betas(o: &Value) -> Option<(f64, f64)> {
    o.get("betas").map(|b| (num(&b[0]), num(&b[1])))
}

/// Runs `$body` with `$opt` bound to the optimizer the case describes.
macro_rules! with_optimizer {
    ($case:expr, $A:ty, |$opt:ident| $body:expr) => {{
        let o = &$case["options"];
        let lr = num(&o["lr"]);
        match $case["optimizer"].as_str().unwrap() {
            "sgd" => {
                let $opt = configure!(Sgd::<$A>::new(lr), o; "momentum" => momentum(num), "dampening" => dampening(num),
                    "weight_decay" => weight_decay(num), "nesterov" => nesterov(flag), "maximize" => maximize(flag));
                $body
            }
            "adam" => {
                let mut a = configure!(Adam::<$A>::new(lr), o; "eps" => eps(num), "weight_decay" => weight_decay(num),
                    "amsgrad" => amsgrad(flag), "maximize" => maximize(flag), "decoupled_weight_decay" => decoupled_weight_decay(flag));
                if let Some((b1, b2)) = betas(o) {
                    a = a.betas(b1, b2);
                }
                let $opt = a;
                $body
            }
            "adamw" => {
                let mut a = configure!(AdamW::<$A>::new(lr), o; "eps" => eps(num), "weight_decay" => weight_decay(num),
                    "amsgrad" => amsgrad(flag), "maximize" => maximize(flag));
                if let Some((b1, b2)) = betas(o) {
                    a = a.betas(b1, b2);
                }
                let $opt = a;
                $body
            }
            "rmsprop" => {
                let $opt = configure!(RmsProp::<$A>::new(lr), o; "alpha" => alpha(num), "eps" => eps(num),
                    "momentum" => momentum(num), "centered" => centered(flag), "weight_decay" => weight_decay(num),
                    "maximize" => maximize(flag));
                $body
            }
            "adagrad" => {
                let $opt = configure!(Adagrad::<$A>::new(lr), o; "lr_decay" => lr_decay(num),
                    "initial_accumulator_value" => initial_accumulator_value(num), "eps" => eps(num),
                    "weight_decay" => weight_decay(num), "maximize" => maximize(flag));
                $body
            }
            "adadelta" => {
                let $opt = configure!(Adadelta::<$A>::new(lr), o; "rho" => rho(num), "eps" => eps(num),
                    "weight_decay" => weight_decay(num), "maximize" => maximize(flag));
                $body
            }
            "adamax" => {
                let mut a = configure!(Adamax::<$A>::new(lr), o; "eps" => eps(num), "weight_decay" => weight_decay(num),
                    "maximize" => maximize(flag));
                if let Some((b1, b2)) = betas(o) {
                    a = a.betas(b1, b2);
                }
                let $opt = a;
                $body
            }
            "nadam" => {
                let mut a = configure!(NAdam::<$A>::new(lr), o; "eps" => eps(num), "weight_decay" => weight_decay(num),
                    "momentum_decay" => momentum_decay(num), "decoupled_weight_decay" => decoupled_weight_decay(flag),
                    "maximize" => maximize(flag));
                if let Some((b1, b2)) = betas(o) {
                    a = a.betas(b1, b2);
                }
                let $opt = a;
                $body
            }
            "radam" => {
                let mut a = configure!(RAdam::<$A>::new(lr), o; "eps" => eps(num), "weight_decay" => weight_decay(num),
                    "decoupled_weight_decay" => decoupled_weight_decay(flag), "maximize" => maximize(flag));
                if let Some((b1, b2)) = betas(o) {
                    a = a.betas(b1, b2);
                }
                let $opt = a;
                $body
            }
            "lion" => {
                let mut a = configure!(Lion::<$A>::new(lr), o; "weight_decay" => weight_decay(num), "maximize" => maximize(flag));
                if let Some((b1, b2)) = betas(o) {
                    a = a.betas(b1, b2);
                }
                let $opt = a;
                $body
            }
            other => panic!("optimizer {other}"),
        }
    }};
}

fn trajectory<A: Float, O: Optimizer<A>>(case: &Value, mut opt: O, rtol: f64) {
    let name = case["name"].as_str().unwrap();
    let params: Vec<ArrayD<A>> = case["params"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| cast(&array(p)))
        .collect();
    let (mut w, mut b) = (params[0].clone(), params[1].clone());
    assert_ne!(w.shape(), b.shape(), "{name}: two different shapes");
    let steps = case["grads"].as_array().unwrap();
    assert!(steps.len() >= 12, "{name}: at least 12 steps");
    for (t, (grads, expected)) in steps
        .iter()
        .zip(case["trajectory"].as_array().unwrap())
        .enumerate()
    {
        let gw: ArrayD<A> = cast(&array(&grads[0]));
        let gb: ArrayD<A> = cast(&array(&grads[1]));
        opt.step((&mut w, &mut b), (&gw, &gb)).unwrap();
        let ctx = format!("{name} step {}", t + 1);
        // Relative to max(|θ|, 0.1): a parameter passing near 0 keeps the rounding
        // error of its earlier, larger values.
        assert_close(w.view(), &array(&expected[0]), rtol, 0.1, &ctx);
        assert_close(b.view(), &array(&expected[1]), rtol, 0.1, &ctx);
    }
    assert_eq!(opt.steps(), steps.len() as u64);
}

fn run<A: Float>(case: &Value, rtol: f64) {
    with_optimizer!(case, A, |opt| trajectory(case, opt, rtol))
}

#[test]
fn trajectories_match_pytorch() {
    let data = load("optim.json");
    let cases = data["cases"].as_array().unwrap();
    assert!(cases.len() >= 100, "reference file truncated");
    for case in cases {
        match case["dtype"].as_str().unwrap() {
            // f64: 1e-10 relative; f32: 1e-5 (PyTorch's CPU kernels fuse
            // multiply-adds and its sqrt is 1 ulp off at times).
            "f64" => run::<f64>(case, 1e-10),
            "f32" => run::<f32>(case, 1e-5),
            d => panic!("dtype {d}"),
        }
    }
}
