//! Learning-rate schedules and gradient clipping against PyTorch
//! (`tests/data/schedules.json`, `tests/data/clip.json`).

use crate::common::{array, assert_close, cast, load, num};
use ndarray::ArrayD;
use ndloss::optim::clip::{clip_grad_norm, clip_grad_value};
use ndloss::optim::schedule::{LrScheduler, OneCycle, ReduceLrOnPlateau, Schedule};
use ndloss::prelude::*;
use serde_json::Value;

fn u(v: &Value) -> u64 {
    v.as_u64().unwrap()
}

fn schedule(kind: &str, o: &Value) -> Schedule {
    let f = |key: &str, default: f64| o.get(key).map_or(default, num);
    match kind {
        "step_lr" => Schedule::step_lr(u(&o["step_size"]), f("gamma", 0.1)),
        "multistep_lr" => Schedule::multi_step_lr(
            o["milestones"].as_array().unwrap().iter().map(u),
            f("gamma", 0.1),
        ),
        "exponential_lr" => Schedule::exponential_lr(num(&o["gamma"])),
        "linear_lr" => Schedule::linear_lr(
            f("start_factor", 1.0 / 3.0),
            f("end_factor", 1.0),
            o.get("total_iters").map_or(5, u),
        ),
        "cosine_annealing_lr" => Schedule::cosine_annealing_lr(u(&o["T_max"]), f("eta_min", 0.0)),
        "one_cycle_lr" => {
            let mut c = OneCycle::new(num(&o["max_lr"]), u(&o["total_steps"]));
            c.pct_start = f("pct_start", 0.3);
            c.cosine = o.get("anneal_strategy").is_none_or(|s| s == "cos");
            c.three_phase = o.get("three_phase").is_some_and(|v| v.as_bool().unwrap());
            c.cycle_momentum = o.get("cycle_momentum").is_none_or(|v| v.as_bool().unwrap());
            Schedule::one_cycle_lr(c)
        }
        "sequential_lr" | "chained_scheduler" => {
            let parts: Vec<Schedule> = o["schedulers"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| schedule(s["scheduler"].as_str().unwrap(), &s["options"]))
                .collect();
            match o.get("milestones") {
                Some(m) => {
                    Schedule::sequential(parts, m.as_array().unwrap().iter().map(u).collect())
                }
                None => Schedule::chained(parts),
            }
        }
        other => panic!("scheduler {other}"),
    }
}

fn plateau(o: &Value) -> ReduceLrOnPlateau {
    let mut p = ReduceLrOnPlateau::new();
    if o.get("mode").is_some_and(|m| m == "max") {
        p = p.mode_max();
    }
    if o.get("threshold_mode").is_some_and(|m| m == "abs") {
        p = p.threshold_abs();
    }
    if let Some(v) = o.get("factor") {
        p = p.factor(num(v));
    }
    if let Some(v) = o.get("patience") {
        p = p.patience(u(v));
    }
    if let Some(v) = o.get("threshold") {
        p = p.threshold(num(v));
    }
    if let Some(v) = o.get("cooldown") {
        p = p.cooldown(u(v));
    }
    if let Some(v) = o.get("min_lr") {
        p = p.min_lr(num(v));
    }
    p
}

fn assert_lrs<O: Optimizer<f64>>(opt: &O, expected: &Value, ctx: &str) {
    for (g, e) in expected.as_array().unwrap().iter().enumerate() {
        let (got, e) = (opt.get_group_lr(g).unwrap(), num(e));
        assert!(
            (got - e).abs() <= 1e-12 * e.abs().max(1e-12),
            "{ctx} group {g}: lr {got} vs {e}"
        );
    }
}

fn run_case<O: Optimizer<f64>>(case: &Value, mut opt: O) {
    let name = case["name"].as_str().unwrap();
    let lrs = case["lrs"].as_array().unwrap();
    let kind = case["scheduler"].as_str().unwrap();
    if kind == "reduce_lr_on_plateau" {
        let mut p = plateau(&case["options"]);
        assert_lrs(&opt, &lrs[0], name);
        for (k, m) in case["metrics"].as_array().unwrap().iter().enumerate() {
            p.step(num(m), &mut opt).unwrap();
            assert_lrs(&opt, &lrs[k + 1], &format!("{name} epoch {}", k + 1));
        }
        return;
    }
    let mut sched = LrScheduler::new(schedule(kind, &case["options"]), &mut opt).unwrap();
    let momentums = case.get("momentums").and_then(Value::as_array);
    for (k, expected) in lrs.iter().enumerate() {
        if k > 0 {
            sched.step(&mut opt).unwrap();
        }
        let ctx = format!("{name} epoch {k}");
        assert_lrs(&opt, expected, &ctx);
        if let Some(m) = momentums {
            let (got, e) = (opt.get_cycle_momentum().unwrap(), num(&m[k][0]));
            assert!((got - e).abs() <= 1e-12, "{ctx}: momentum {got} vs {e}");
        }
    }
    assert_eq!(sched.epoch() as usize, lrs.len() - 1);
}

#[test]
fn schedules_match_pytorch() {
    let data = load("schedules.json");
    let cases = data["cases"].as_array().unwrap();
    assert!(cases.len() >= 15);
    for case in cases {
        let oo = &case["optimizer_options"];
        let lr = num(&oo["lr"]);
        let bases = case["base_lrs"].as_array().unwrap();
        let group =
            |bases: &[Value]| (bases.len() > 1).then(|| ParamGroup::new([1]).lr(num(&bases[1])));
        match case["optimizer"].as_str().unwrap() {
            "sgd" => {
                let mut opt = Sgd::<f64>::new(lr).momentum(oo.get("momentum").map_or(0.0, num));
                if let Some(g) = group(bases) {
                    opt = opt.param_group(g);
                }
                run_case(case, opt);
            }
            "adam" => run_case(case, Adam::<f64>::new(lr)),
            other => panic!("optimizer {other}"),
        }
    }
}

#[test]
fn one_cycle_refuses_to_step_past_its_end() {
    let mut opt = Sgd::<f32>::new(0.1).momentum(0.9);
    let mut sched =
        LrScheduler::new(Schedule::one_cycle_lr(OneCycle::new(1.0, 3)), &mut opt).unwrap();
    for _ in 0..3 {
        sched.step(&mut opt).unwrap();
    }
    let lr = opt.get_lr();
    assert!(matches!(
        sched.step(&mut opt).unwrap_err(),
        Error::InvalidHyperparameter {
            name: "total_steps",
            ..
        }
    ));
    assert_eq!((opt.get_lr(), sched.epoch()), (lr, 3));
}

fn run_clip<A: Float>(case: &Value, rtol: f64) {
    let name = case["name"].as_str().unwrap();
    let o = &case["options"];
    let mut grads: Vec<ArrayD<A>> = case["grads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| cast(&array(g)))
        .collect();
    match case["kind"].as_str().unwrap() {
        "norm" => {
            let total =
                clip_grad_norm(&mut grads, num(&o["max_norm"]), num(&o["norm_type"]), false)
                    .unwrap();
            let expected = num(&case["total_norm"]["data"][0]);
            assert!(
                (total - expected).abs() <= rtol * expected.abs() || total == expected,
                "{name}: norm {total} vs {expected}"
            );
        }
        "value" => clip_grad_value(&mut grads, num(&o["clip_value"])).unwrap(),
        k => panic!("clip kind {k}"),
    }
    for (g, e) in grads.iter().zip(case["clipped"].as_array().unwrap()) {
        assert_close(g.view(), &array(e), rtol, 1e-3, name);
    }
}

#[test]
fn clipping_matches_pytorch() {
    let data = load("clip.json");
    let cases = data["cases"].as_array().unwrap();
    assert!(cases.len() >= 10);
    for case in cases {
        match case["dtype"].as_str().unwrap() {
            "f64" => run_clip::<f64>(case, 1e-12),
            "f32" => run_clip::<f32>(case, 2e-6),
            d => panic!("dtype {d}"),
        }
    }
}

#[test]
fn clip_can_refuse_a_non_finite_norm_and_write_nothing() {
    let mut g = (
        ndarray::array![1.0_f64, f64::INFINITY],
        ndarray::array![2.0_f64],
    );
    let before = g.clone();
    let e = clip_grad_norm((&mut g.0, &mut g.1), 1.0, 2.0, true).unwrap_err();
    assert!(
        matches!(e, Error::NonFiniteNorm { norm, .. } if norm == f64::INFINITY),
        "{e:?}"
    );
    assert_eq!(g, before);
}
