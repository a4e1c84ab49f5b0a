//! SGD and Adam trajectories against PyTorch (`tests/data/optim.json`):
//! two parameters of different shapes, 12 steps, every option, f32 and f64.

mod common;

use common::{array, assert_close, cast, load, num};
use ndarray::ArrayD;
use ndloss::prelude::*;
use serde_json::Value;

fn sgd<A: Float>(o: &Value) -> Sgd<A> {
    let mut s = Sgd::new(num(&o["lr"]));
    if let Some(v) = o.get("momentum") {
        s = s.momentum(num(v));
    }
    if let Some(v) = o.get("dampening") {
        s = s.dampening(num(v));
    }
    if let Some(v) = o.get("weight_decay") {
        s = s.weight_decay(num(v));
    }
    if let Some(v) = o.get("nesterov") {
        s = s.nesterov(v.as_bool().unwrap());
    }
    if let Some(v) = o.get("maximize") {
        s = s.maximize(v.as_bool().unwrap());
    }
    s
}

fn adam<A: Float>(o: &Value) -> Adam<A> {
    let mut a = Adam::new(num(&o["lr"]));
    if let Some(b) = o.get("betas") {
        a = a.betas(num(&b[0]), num(&b[1]));
    }
    if let Some(v) = o.get("eps") {
        a = a.eps(num(v));
    }
    if let Some(v) = o.get("weight_decay") {
        a = a.weight_decay(num(v));
    }
    if let Some(v) = o.get("amsgrad") {
        a = a.amsgrad(v.as_bool().unwrap());
    }
    if let Some(v) = o.get("maximize") {
        a = a.maximize(v.as_bool().unwrap());
    }
    a
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
    let o = &case["options"];
    match case["optimizer"].as_str().unwrap() {
        "sgd" => trajectory(case, sgd::<A>(o), rtol),
        "adam" => trajectory(case, adam::<A>(o), rtol),
        other => panic!("optimizer {other}"),
    }
}

#[test]
fn trajectories_match_pytorch() {
    let data = load("optim.json");
    let cases = data["cases"].as_array().unwrap();
    assert!(cases.len() >= 30);
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
