//! Loss values and gradients against PyTorch references
//! (`tests/data/losses.json`, written by `scripts/gen_reference.py`).
//!
//! Every case is checked in three layouts: contiguous, strided (every other
//! element of a larger buffer) and column-major, for the inputs and for the
//! gradient buffer, so the fast paths and the fallbacks are both held to the
//! reference.

use crate::common::{
    array, assert_close, assert_scalar, cast, fortran, index_array, load, num, reduction, rtol,
    strided,
};
use ndarray::{Array1, ArrayD, Ix1, Ix2, IxDyn};
use ndloss::prelude::*;
use serde_json::Value;

fn run_elementwise<A: Float>(case: &Value) {
    let name = case["name"].as_str().unwrap();
    let dtype = case["dtype"].as_str().unwrap();
    let tol = rtol(dtype);
    let pred: ArrayD<A> = cast(&array(&case["pred"]));
    let target: ArrayD<A> = cast(&array(&case["target"]));
    let expected_value = array(&case["value"]);
    let opts = &case["options"];
    let red = reduction(case);

    macro_rules! check {
        ($loss:expr) => {{
            let loss = $loss;
            match red {
                None => {
                    let got = loss.unreduced(&pred, &target).unwrap();
                    assert_close(got.view(), &expected_value, tol, 0.0, name);
                    let got = loss
                        .unreduced(
                            &strided(&pred).index_axis(ndarray::Axis(pred.ndim()), 0),
                            &target,
                        )
                        .unwrap();
                    assert_close(got.view(), &expected_value, tol, 0.0, name);
                }
                Some(r) => {
                    let loss = loss.reduction(r);
                    let expected_grad = array(&case["grad"]);
                    let v = loss.forward(&pred, &target).unwrap();
                    assert_scalar(v, expected_value[[]], tol, name);
                    let (v, g) = loss.forward_grad(&pred, &target).unwrap();
                    assert_scalar(v, expected_value[[]], tol, name);
                    assert_close(g.view(), &expected_grad, tol, 0.0, name);
                    // Strided inputs and gradient buffer (fallback path).
                    let (sp, st) = (strided(&pred), strided(&target));
                    let axis = ndarray::Axis(pred.ndim());
                    let mut sg = strided(&ArrayD::<A>::zeros(pred.raw_dim()));
                    let mut sg_view = sg.index_axis_mut(axis, 0);
                    let v = loss
                        .forward_grad_into(
                            &sp.index_axis(axis, 0),
                            &st.index_axis(axis, 0),
                            &mut sg_view,
                        )
                        .unwrap();
                    assert_scalar(v, expected_value[[]], tol, name);
                    assert_close(sg_view.view(), &expected_grad, tol, 0.0, name);
                    // Column-major inputs and buffer (memory-order fast path).
                    let mut fg = fortran(&ArrayD::<A>::zeros(pred.raw_dim()));
                    let v = loss
                        .forward_grad_into(&fortran(&pred), &fortran(&target), &mut fg)
                        .unwrap();
                    assert_scalar(v, expected_value[[]], tol, name);
                    assert_close(fg.view(), &expected_grad, tol, 0.0, name);
                }
            }
        }};
    }

    match case["loss"].as_str().unwrap() {
        "mse" => check!(Mse::new()),
        "mae" => check!(Mae::new()),
        "bce" => check!(Bce::new()),
        "bce_with_logits" => match opts.get("pos_weight") {
            Some(pw) => check!(BceWithLogits::new().pos_weight(num(pw))),
            None => check!(BceWithLogits::new()),
        },
        other => panic!("loss {other}"),
    }
}

fn cross_entropy(case: &Value) -> CrossEntropy {
    let opts = &case["options"];
    let mut ce = CrossEntropy::new();
    if let Some(eps) = opts.get("label_smoothing") {
        ce = ce.label_smoothing(num(eps));
    }
    if let Some(w) = opts.get("class_weights") {
        ce = ce.class_weights(Array1::from(
            w.as_array().unwrap().iter().map(num).collect::<Vec<f64>>(),
        ));
    }
    if let Some(i) = opts.get("ignore_index") {
        ce = ce.ignore_index(i.as_u64().unwrap() as usize);
    }
    ce
}

fn run_cross_entropy<A: Float>(case: &Value) {
    let name = case["name"].as_str().unwrap();
    let tol = rtol(case["dtype"].as_str().unwrap());
    let logits = cast::<A, _>(&array(&case["pred"]))
        .into_dimensionality::<Ix2>()
        .unwrap();
    let expected_value = array(&case["value"]);
    let ce = cross_entropy(case);
    let layouts = |a: &ArrayD<A>| (strided(a), fortran(a));

    macro_rules! check {
        ($target:expr) => {{
            let target = $target;
            match reduction(case) {
                None => {
                    let got = ce.unreduced(&logits, &target).unwrap();
                    let scale = expected_value.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
                    assert_close(
                        got.into_dyn().view(),
                        &expected_value,
                        tol,
                        1e-3 * scale,
                        name,
                    );
                }
                Some(r) => {
                    let ce = ce.clone().reduction(r);
                    let expected_grad = array(&case["grad"]);
                    let floor = 0.1 * expected_grad.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
                    let v: A = ce.forward(&logits, &target).unwrap();
                    assert_scalar(v, expected_value[[]], tol, name);
                    let (v, g) = ce.forward_grad(&logits, &target).unwrap();
                    assert_scalar(v, expected_value[[]], tol, name);
                    assert_close(g.into_dyn().view(), &expected_grad, tol, floor, name);
                    // Strided rows (scratch-buffer path) and column-major logits.
                    let (s, f) = layouts(&logits.clone().into_dyn());
                    let s_view = s
                        .index_axis(ndarray::Axis(2), 0)
                        .into_dimensionality::<Ix2>()
                        .unwrap();
                    let mut sg = strided(&ArrayD::<A>::zeros(IxDyn(logits.shape())));
                    let mut sg_view = sg
                        .index_axis_mut(ndarray::Axis(2), 0)
                        .into_dimensionality::<Ix2>()
                        .unwrap();
                    let v = ce
                        .forward_grad_into(&s_view, &target, &mut sg_view)
                        .unwrap();
                    assert_scalar(v, expected_value[[]], tol, name);
                    assert_close(sg_view.into_dyn().view(), &expected_grad, tol, floor, name);
                    let f = f.into_dimensionality::<Ix2>().unwrap();
                    let mut fg = fortran(&ArrayD::<A>::zeros(IxDyn(logits.shape())))
                        .into_dimensionality::<Ix2>()
                        .unwrap();
                    let v = ce.forward_grad_into(&f, &target, &mut fg).unwrap();
                    assert_scalar(v, expected_value[[]], tol, name);
                    assert_close(fg.into_dyn().view(), &expected_grad, tol, floor, name);
                }
            }
        }};
    }

    match case["target_kind"].as_str().unwrap() {
        "indices" => check!(index_array(&case["target"])
            .into_dimensionality::<Ix1>()
            .unwrap()),
        "probs" => check!(cast::<A, _>(&array(&case["target"]))
            .into_dimensionality::<Ix2>()
            .unwrap()),
        k => panic!("target kind {k}"),
    }
}

fn run<A: Float>(case: &Value) {
    match case["loss"].as_str().unwrap() {
        "cross_entropy" => run_cross_entropy::<A>(case),
        _ => run_elementwise::<A>(case),
    }
}

#[test]
fn every_reference_case_matches_pytorch() {
    let data = load("losses.json");
    let cases = data["cases"].as_array().unwrap();
    assert!(
        cases.len() >= 300,
        "reference file truncated: {} cases",
        cases.len()
    );
    let mut seen = std::collections::BTreeMap::<String, usize>::new();
    for case in cases {
        match case["dtype"].as_str().unwrap() {
            "f32" => run::<f32>(case),
            "f64" => run::<f64>(case),
            d => panic!("dtype {d}"),
        }
        *seen
            .entry(case["loss"].as_str().unwrap().to_string())
            .or_default() += 1;
    }
    for loss in ["mse", "mae", "cross_entropy", "bce", "bce_with_logits"] {
        assert!(
            seen.get(loss).copied().unwrap_or(0) >= 30,
            "too few {loss} cases: {seen:?}"
        );
    }
}

#[test]
fn all_ignored_mean_is_an_error_where_pytorch_gives_nan() {
    let data = load("losses.json");
    for case in data["all_ignored_torch_value"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let logits = array(&case["pred"]).into_dimensionality::<Ix2>().unwrap();
        let target = index_array(&case["target"])
            .into_dimensionality::<Ix1>()
            .unwrap();
        let ce = cross_entropy(case);
        match reduction(case) {
            Some(Reduction::Mean) => {
                assert!(
                    num(&case["value"]["data"][0]).is_nan(),
                    "{name}: torch gives NaN"
                );
                let err = ce.forward(&logits, &target).unwrap_err();
                assert!(matches!(err, Error::EmptyReduction { .. }), "{name}: {err}");
            }
            Some(r) => {
                let (v, g) = ce.reduction(r).forward_grad(&logits, &target).unwrap();
                assert_eq!(v, num(&case["value"]["data"][0]), "{name}");
                assert!(g.iter().all(|&x| x == 0.0), "{name}");
            }
            None => {
                let v = ce.unreduced(&logits, &target).unwrap();
                assert!(v.iter().all(|&x| x == 0.0), "{name}");
            }
        }
    }
}
