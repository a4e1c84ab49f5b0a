//! The loss catalogue against PyTorch / torchvision (and Keras formulas
//! re-derived in the generator): `tests/data/losses_catalogue.json`, every
//! option, reductions none/mean/sum/batchmean, f32 and f64. (Box and
//! multi-input losses have their own suites.)

mod common;

use common::{array, assert_close, assert_scalar, cast, index_array, load, num, Worst};
use ndarray::{ArrayD, IxDyn};
use ndloss::prelude::*;
use serde_json::Value;

fn reduction(case: &Value) -> Option<Reduction> {
    match case["reduction"].as_str().unwrap() {
        "mean" => Some(Reduction::Mean),
        "sum" => Some(Reduction::Sum),
        "batchmean" => Some(Reduction::BatchMean),
        "none" => None,
        r => panic!("reduction {r}"),
    }
}

fn opt(case: &Value, key: &str) -> Option<f64> {
    case["options"].get(key).map(num)
}

fn flag(case: &Value, key: &str) -> Option<bool> {
    case["options"].get(key).map(|v| v.as_bool().unwrap())
}

fn weights(case: &Value) -> Option<ndarray::Array1<f64>> {
    case["options"]
        .get("class_weights")
        .map(|w| w.as_array().unwrap().iter().map(num).collect())
}

struct Check<'c, A> {
    worst: &'c Worst,
    case: &'c Value,
    name: &'c str,
    rtol: f64,
    pred: ArrayD<A>,
    grad_key: &'static str,
}

impl<A: Float> Check<'_, A> {
    fn input(&self, key: &str) -> ArrayD<A> {
        cast(&array(&self.case["inputs"][key]))
    }

    /// Relative tolerance with a floor relative to the largest reference entry
    /// (entries that cancel down to ~0 keep the rounding error of their terms).
    fn compare(&self, got: ndarray::ArrayViewD<'_, A>, expected: &ArrayD<f64>) {
        let scale = expected.iter().fold(
            0.0_f64,
            |m, v| if v.is_finite() { m.max(v.abs()) } else { m },
        );
        // f32: 2e-7 of the scale absolute, a few f32 ulps (the f32 references carry that much).
        let floor = if self.rtol > 1e-8 { 1e-2 } else { 1e-6 } * scale;
        self.record(assert_close(got, expected, self.rtol, floor, self.name));
    }

    fn record(&self, err: f64) {
        let (loss, dtype) = (
            self.case["loss"].as_str().unwrap(),
            self.case["dtype"].as_str().unwrap(),
        );
        self.worst.record(loss, dtype, err);
    }

    fn value(&self, v: A) {
        self.record(assert_scalar(
            v,
            num(&self.case["value"]["data"][0]),
            self.rtol,
            self.name,
        ));
    }

    fn grad(&self, g: &ArrayD<A>) {
        self.compare(g.view(), &array(&self.case["grads"][self.grad_key]));
    }

    /// `Loss` with a dense target of the prediction's shape.
    fn dense<L: Loss<A, IxDyn, Unreduced = IxDyn> + Clone>(
        &self,
        loss: L,
        with_reduction: impl Fn(L, Reduction) -> L,
    ) {
        let target = self.input(if self.grad_key == "inputs" {
            "targets"
        } else {
            "target"
        });
        match reduction(self.case) {
            None => self.compare(
                loss.unreduced(&self.pred, &target).unwrap().view(),
                &array(&self.case["value"]),
            ),
            Some(r) => {
                let loss = with_reduction(loss, r);
                self.value(loss.forward(&self.pred, &target).unwrap());
                let (v, g) = loss.forward_grad(&self.pred, &target).unwrap();
                self.value(v);
                self.grad(&g);
            }
        }
    }

    /// `WeightedLoss` with the case's `weight` input.
    fn weighted<L: WeightedLoss<A, IxDyn, Unreduced = IxDyn> + Clone>(
        &self,
        loss: L,
        with_reduction: impl Fn(L, Reduction) -> L,
    ) {
        let (target, weight) = (self.input("target"), self.input("weight"));
        match reduction(self.case) {
            None => self.compare(
                loss.unreduced_weighted(&self.pred, &target, &weight)
                    .unwrap()
                    .view(),
                &array(&self.case["value"]),
            ),
            Some(r) => {
                let loss = with_reduction(loss, r);
                self.value(loss.forward_weighted(&self.pred, &target, &weight).unwrap());
                let mut g = ArrayD::<A>::zeros(self.pred.raw_dim());
                self.value(
                    loss.forward_grad_weighted_into(&self.pred, &target, &weight, &mut g)
                        .unwrap(),
                );
                self.grad(&g);
            }
        }
    }

    /// Class-index targets (`usize`), shaped like the input without axis 1.
    fn indices<L: Loss<A, IxDyn, usize, IxDyn, Unreduced = IxDyn> + Clone>(
        &self,
        loss: L,
        with_reduction: impl Fn(L, Reduction) -> L,
    ) {
        let target = index_array(&self.case["inputs"]["target"]);
        match reduction(self.case) {
            None => self.compare(
                loss.unreduced(&self.pred, &target).unwrap().view(),
                &array(&self.case["value"]),
            ),
            Some(r) => {
                let loss = with_reduction(loss, r);
                self.value(loss.forward(&self.pred, &target).unwrap());
                let (v, g) = loss.forward_grad(&self.pred, &target).unwrap();
                self.value(v);
                self.grad(&g);
            }
        }
    }
}

macro_rules! red {
    ($t:ty) => {
        |l: $t, r: Reduction| l.reduction(r)
    };
}

fn cross_entropy(case: &Value) -> CrossEntropy {
    let mut ce = CrossEntropy::new();
    if let Some(eps) = opt(case, "label_smoothing") {
        ce = ce.label_smoothing(eps);
    }
    if let Some(w) = weights(case) {
        ce = ce.class_weights(w);
    }
    if let Some(i) = case["options"].get("ignore_index") {
        ce = ce.ignore_index(i.as_u64().unwrap() as usize);
    }
    ce
}

/// Returns whether the case was one of this suite's losses.
fn run<A: Float>(worst: &Worst, case: &Value, rtol: f64) -> bool {
    let loss = case["loss"].as_str().unwrap();
    let grad_key = if loss == "sigmoid_focal" {
        "inputs"
    } else {
        "input"
    };
    let Some(pred) = case["inputs"].get(grad_key) else {
        return false;
    };
    let c = Check::<A> {
        worst,
        case,
        name: case["name"].as_str().unwrap(),
        rtol,
        pred: cast(&array(pred)),
        grad_key,
    };
    match loss {
        "huber" => c.dense(
            Huber::new().delta(opt(case, "delta").unwrap_or(1.0)),
            red!(Huber),
        ),
        "smooth_l1" => c.dense(
            SmoothL1::new().beta(opt(case, "beta").unwrap_or(1.0)),
            red!(SmoothL1),
        ),
        "log_cosh" => c.dense(LogCosh::new(), red!(LogCosh)),
        "msle" => c.dense(Msle::new(), red!(Msle)),
        "mape" => c.dense(Mape::new(), red!(Mape)),
        "quantile" => c.dense(
            Quantile::new().tau(opt(case, "tau").unwrap_or(0.5)),
            red!(Quantile),
        ),
        "mse_weighted" => c.weighted(Mse::new(), red!(Mse)),
        "mae_weighted" => c.weighted(Mae::new(), red!(Mae)),
        "poisson_nll" => {
            let mut l = PoissonNll::new();
            if let Some(v) = flag(case, "log_input") {
                l = l.log_input(v);
            }
            if let Some(v) = flag(case, "full") {
                l = l.full(v);
            }
            if let Some(v) = opt(case, "eps") {
                l = l.eps(v);
            }
            c.dense(l, red!(PoissonNll));
        }
        "kl_div" => c.dense(
            KlDiv::new().log_target(flag(case, "log_target").unwrap_or(false)),
            red!(KlDiv),
        ),
        "sigmoid_focal" => {
            let alpha = opt(case, "alpha").unwrap_or(0.25);
            let l = SigmoidFocal::new()
                .alpha((alpha >= 0.0).then_some(alpha))
                .gamma(opt(case, "gamma").unwrap_or(2.0));
            c.dense(l, red!(SigmoidFocal));
        }
        "hinge" => c.dense(Hinge::new(), red!(Hinge)),
        "squared_hinge" => c.dense(SquaredHinge::new(), red!(SquaredHinge)),
        "soft_margin" => c.dense(SoftMargin::new(), red!(SoftMargin)),
        "hinge_embedding" => c.dense(
            HingeEmbedding::new().margin(opt(case, "margin").unwrap_or(1.0)),
            red!(HingeEmbedding),
        ),
        "bce_weighted" => c.weighted(Bce::new(), red!(Bce)),
        "bce_with_logits_weighted" => {
            let pw: ndarray::Array1<f64> = array(&case["inputs"]["pos_weight"])
                .iter()
                .copied()
                .collect();
            let l = BceWithLogits::new().pos_weights(pw);
            if case["inputs"].get("weight").is_some() {
                c.weighted(l, red!(BceWithLogits));
            } else {
                c.dense(l, red!(BceWithLogits));
            }
        }
        "nll" => {
            let mut l = Nll::new();
            if let Some(w) = weights(case) {
                l = l.class_weights(w);
            }
            if let Some(i) = case["options"].get("ignore_index") {
                l = l.ignore_index(i.as_u64().unwrap() as usize);
            }
            c.indices(l, red!(Nll));
        }
        "multi_margin" => {
            let mut l = MultiMargin::new().margin(opt(case, "margin").unwrap_or(1.0));
            if let Some(p) = opt(case, "p") {
                l = l.p(p as u32);
            }
            if let Some(w) = weights(case) {
                l = l.class_weights(w);
            }
            c.indices(l, red!(MultiMargin));
        }
        "cross_entropy_nd" | "cross_entropy_keras_probs" => {
            let ce = cross_entropy(case).from_probs(loss == "cross_entropy_keras_probs");
            if case["target_kind"] == "probs" {
                c.dense(ce, red!(CrossEntropy));
            } else {
                c.indices(ce, red!(CrossEntropy));
            }
        }
        _ => return false,
    }
    true
}

#[test]
fn the_catalogue_matches_its_references() {
    let data = load("losses_catalogue.json");
    let mut counts = std::collections::BTreeMap::<String, usize>::new();
    let worst = Worst::default();
    for case in data["cases"].as_array().unwrap() {
        let ran = match case["dtype"].as_str().unwrap() {
            "f64" => run::<f64>(&worst, case, 1e-10),
            "f32" => run::<f32>(&worst, case, 2e-5),
            d => panic!("dtype {d}"),
        };
        if ran {
            *counts
                .entry(case["loss"].as_str().unwrap().to_string())
                .or_default() += 1;
        }
    }
    let expected = [
        "huber",
        "smooth_l1",
        "log_cosh",
        "msle",
        "mape",
        "quantile",
        "mse_weighted",
        "mae_weighted",
        "poisson_nll",
        "kl_div",
        "sigmoid_focal",
        "hinge",
        "squared_hinge",
        "soft_margin",
        "hinge_embedding",
        "bce_weighted",
        "bce_with_logits_weighted",
        "nll",
        "multi_margin",
        "cross_entropy_nd",
        "cross_entropy_keras_probs",
    ];
    for loss in expected {
        assert!(
            counts.get(loss).copied().unwrap_or(0) >= 12,
            "too few {loss} cases: {counts:?}"
        );
    }
    worst.print();
}
