//! Shared helpers for the integration suites: reading the committed PyTorch
//! references, comparing arrays with a tolerance, strided copies, large
//! reproducible inputs, and the proptest strategies.
#![allow(dead_code)]

use std::path::Path;

use ndarray::{Array, ArrayD, ArrayViewD, Axis, Dimension, IxDyn, ShapeBuilder};
use ndloss::Float;
use serde_json::Value;

mod uniform;
pub use uniform::uniform;

/// Whether `e` is a shape mismatch of the argument `what`.
pub fn is_shape(e: &ndloss::Error, what: &str) -> bool {
    matches!(e, ndloss::Error::ShapeMismatch { what: w, .. } if *w == what)
}

/// Whether `e` refuses the hyperparameter `name`.
pub fn is_hyper(e: &ndloss::Error, name: &str) -> bool {
    matches!(e, ndloss::Error::InvalidHyperparameter { name: n, .. } if *n == name)
}

/// A reference case's reduction (`None` for PyTorch's `'none'`).
pub fn reduction(case: &Value) -> Option<ndloss::loss::Reduction> {
    match case["reduction"].as_str().expect("a reduction") {
        "mean" => Some(ndloss::loss::Reduction::Mean),
        "sum" => Some(ndloss::loss::Reduction::Sum),
        "batchmean" => Some(ndloss::loss::Reduction::BatchMean),
        "none" => None,
        r => panic!("reduction {r}"),
    }
}

/// Parses `tests/data/<name>`.
pub fn load(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).expect("valid JSON")
}

/// A JSON float (numbers, or the strings "nan", "inf", "-inf").
pub fn num(v: &Value) -> f64 {
    match v {
        Value::Number(n) => n.as_f64().expect("number"),
        Value::String(s) if s == "nan" => f64::NAN,
        Value::String(s) if s == "inf" => f64::INFINITY,
        Value::String(s) if s == "-inf" => f64::NEG_INFINITY,
        other => panic!("not a float: {other}"),
    }
}

/// `{"shape": [...], "data": [...]}` as an f64 array.
pub fn array(v: &Value) -> ArrayD<f64> {
    let shape: Vec<usize> = v["shape"]
        .as_array()
        .expect("shape")
        .iter()
        .map(|d| d.as_u64().unwrap() as usize)
        .collect();
    let data: Vec<f64> = v["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(num)
        .collect();
    ArrayD::from_shape_vec(IxDyn(&shape), data).expect("consistent shape")
}

/// `{"shape": [...], "data": [...]}` of integers.
pub fn index_array(v: &Value) -> ArrayD<usize> {
    let shape: Vec<usize> = v["shape"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_u64().unwrap() as usize)
        .collect();
    let data: Vec<usize> = v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_u64().expect("non-negative index") as usize)
        .collect();
    ArrayD::from_shape_vec(IxDyn(&shape), data).unwrap()
}

/// Converts an f64 array to `A` (exact for data generated in `A`).
pub fn cast<A: Float, D: Dimension>(a: &Array<f64, D>) -> Array<A, D> {
    a.mapv(A::from_f64)
}

/// The same values in a non-contiguous layout: every other element of a
/// buffer twice as large along the last axis.
pub fn strided<A: Float>(a: &ArrayD<A>) -> ArrayD<A> {
    let mut shape = a.shape().to_vec();
    shape.push(2);
    let mut big = ArrayD::<A>::from_elem(IxDyn(&shape), A::nan());
    big.index_axis_mut(Axis(a.ndim()), 0).assign(a);
    big
}

/// The same values stored column-major (Fortran order).
pub fn fortran<A: Float>(a: &ArrayD<A>) -> ArrayD<A> {
    let mut f = ArrayD::<A>::zeros(IxDyn(a.shape()).f());
    f.assign(a);
    f
}

/// Asserts `|actual − expected| ≤ rtol·max(|expected|, floor)` elementwise;
/// returns the largest `|actual − expected| / max(|expected|, floor)` seen
/// (for PARITY.md).
pub fn assert_close<A: Float>(
    actual: ArrayViewD<'_, A>,
    expected: &ArrayD<f64>,
    rtol: f64,
    floor: f64,
    ctx: &str,
) -> f64 {
    assert_eq!(actual.shape(), expected.shape(), "{ctx}: shape");
    let mut worst = 0.0_f64;
    for ((idx, &e), &a) in expected.indexed_iter().zip(actual.iter()) {
        let a = a.to_f64();
        if e.is_nan() {
            assert!(a.is_nan(), "{ctx} at {idx:?}: expected NaN, got {a}");
            continue;
        }
        let allowed = rtol * e.abs().max(floor);
        assert!(
            (a - e).abs() <= allowed || a == e,
            "{ctx} at {idx:?}: got {a:e}, expected {e:e} (diff {:e}, allowed {allowed:e})",
            (a - e).abs()
        );
        if a != e {
            worst = worst.max((a - e).abs() / e.abs().max(floor).max(f64::MIN_POSITIVE));
        }
    }
    worst
}

/// Asserts a scalar is within `rtol` relative of the reference; returns the
/// relative error.
pub fn assert_scalar<A: Float>(actual: A, expected: f64, rtol: f64, ctx: &str) -> f64 {
    let a = actual.to_f64();
    assert!(
        (a - expected).abs() <= rtol * expected.abs().max(1e-30) || a == expected,
        "{ctx}: got {a:e}, expected {expected:e}"
    );
    if a == expected {
        0.0
    } else {
        (a - expected).abs() / expected.abs().max(1e-30)
    }
}

/// The largest relative error per (loss, dtype), printed by the parity
/// suites (`cargo test --test it -- parity_catalogue:: --nocapture`) for PARITY.md.
#[derive(Default)]
pub struct Worst(pub std::cell::RefCell<std::collections::BTreeMap<(String, String), f64>>);

impl Worst {
    pub fn record(&self, loss: &str, dtype: &str, err: f64) {
        let mut m = self.0.borrow_mut();
        let e = m
            .entry((loss.to_string(), dtype.to_string()))
            .or_insert(0.0);
        *e = e.max(err);
    }

    /// Prints the table, `what` heading the first column.
    pub fn print(&self, what: &str) {
        println!("| {what} | f32 worst rel. error | f64 worst rel. error |");
        println!("| --- | --- | --- |");
        let m = self.0.borrow();
        let mut losses: Vec<&String> = m.keys().map(|(l, _)| l).collect();
        losses.dedup();
        for l in losses {
            let get = |d: &str| {
                m.get(&(l.clone(), d.to_string()))
                    .map_or("—".to_string(), |e| format!("{e:.1e}"))
            };
            println!("| {l} | {} | {} |", get("f32"), get("f64"));
        }
    }
}

/// Relative tolerance per dtype name, as the foundation issue sets them.
pub fn rtol(dtype: &str) -> f64 {
    match dtype {
        "f64" => 1e-10,
        "f32" => 2e-5,
        other => panic!("dtype {other}"),
    }
}

/// Central finite differences of `f` at `x` (f64), step `h` scaled per
/// element, with each entry's rounding-error bound.
pub struct Numeric {
    /// `(f(x + hᵢ) − f(x − hᵢ))/(2hᵢ)` per element.
    pub grad: ArrayD<f64>,
    /// What rounding can make of it: `f`'s values carry errors of a few ε
    /// of their size (more after long sums), which the quotient divides by
    /// `2h`. For a sum of 75 squares of up to 400 (3e4) and `h = 1e-6` that
    /// is ~1e-6 by itself — the size of the tolerance, so a fixed tolerance
    /// failed now and then on such inputs (`Mse` with `Sum`).
    pub bound: ArrayD<f64>,
}

impl std::ops::Deref for Numeric {
    type Target = ArrayD<f64>;
    fn deref(&self) -> &ArrayD<f64> {
        &self.grad
    }
}

/// [`Numeric`] for `f` at `x`.
pub fn finite_diff(x: &ArrayD<f64>, f: impl Fn(&ArrayD<f64>) -> f64) -> Numeric {
    let mut grad = ArrayD::zeros(x.raw_dim());
    let mut bound = ArrayD::zeros(x.raw_dim());
    let mut xp = x.clone();
    for (i, &xi) in x.iter().enumerate() {
        let h = 1e-6 * xi.abs().max(1.0);
        xp.as_slice_mut().unwrap()[i] = xi + h;
        let up = f(&xp);
        xp.as_slice_mut().unwrap()[i] = xi - h;
        let down = f(&xp);
        xp.as_slice_mut().unwrap()[i] = xi;
        grad.as_slice_mut().unwrap()[i] = (up - down) / (2.0 * h);
        bound.as_slice_mut().unwrap()[i] =
            16.0 * f64::EPSILON * (up.abs() + down.abs()) / (2.0 * h);
    }
    Numeric { grad, bound }
}

/// `|analytic − numeric| ≤ 1e-6·max(1, |numeric|)` plus the numeric
/// entry's rounding bound, element by element.
pub fn grad_matches<D: Dimension>(
    analytic: &ndarray::ArrayRef<f64, D>,
    numeric: &Numeric,
) -> Result<(), proptest::test_runner::TestCaseError> {
    proptest::prop_assert_eq!(analytic.len(), numeric.len());
    for ((a, n), b) in analytic.iter().zip(&numeric.grad).zip(&numeric.bound) {
        proptest::prop_assert!(
            (a - n).abs() <= 1e-6 * n.abs().max(1.0) + b,
            "analytic {} vs numeric {} (rounding bound {:e})",
            a,
            n,
            b
        );
    }
    Ok(())
}

pub mod strategies {
    //! Proptest strategies: shapes and values.
    use ndarray::{ArrayD, IxDyn};
    use proptest::prelude::*;

    /// A shape of 1 to 3 axes with 1 to 6 elements each.
    pub fn shape() -> impl Strategy<Value = Vec<usize>> {
        prop::collection::vec(1usize..6, 1..4)
    }

    /// An f64 array of the given shape with values in `range`.
    pub fn array_in(shape: Vec<usize>, lo: f64, hi: f64) -> impl Strategy<Value = ArrayD<f64>> {
        let n: usize = shape.iter().product();
        prop::collection::vec(lo..hi, n)
            .prop_map(move |v| ArrayD::from_shape_vec(IxDyn(&shape), v).unwrap())
    }

    /// Every reduction.
    pub fn reductions() -> impl Strategy<Value = ndloss::loss::Reduction> {
        prop_oneof![
            Just(ndloss::loss::Reduction::Mean),
            Just(ndloss::loss::Reduction::Sum),
            Just(ndloss::loss::Reduction::BatchMean)
        ]
    }

    /// Two arrays of one random shape, values in `range`.
    pub fn pair(lo: f64, hi: f64) -> impl Strategy<Value = (ArrayD<f64>, ArrayD<f64>)> {
        shape().prop_flat_map(move |s| (array_in(s.clone(), lo, hi), array_in(s, lo, hi)))
    }

    /// Logits `(n, c)` and class indices `< c`.
    pub fn logits_and_classes() -> impl Strategy<Value = (ArrayD<f64>, Vec<usize>)> {
        (1usize..6, 2usize..7).prop_flat_map(|(n, c)| {
            (
                array_in(vec![n, c], -5.0, 5.0),
                prop::collection::vec(0..c, n),
            )
        })
    }
}
