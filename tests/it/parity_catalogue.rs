//! The loss catalogue against PyTorch / torchvision (and Keras formulas
//! re-derived in the generator): `tests/data/losses_catalogue.json`, every
//! option, reductions none/mean/sum/batchmean, f32 and f64. Every entry of
//! `catalogue::CATALOGUE` must have its cases here, and the class-axis losses
//! too, and Keras' lane losses (`tests/data/losses_keras.json`). (Box and
//! multi-input losses have their own suites.)

use crate::catalogue::{Entry, Options, Pick, CATALOGUE};
use crate::common::{
    array, assert_close, assert_scalar, cast, index_array, load, num, reduction, Worst,
};
use ndarray::{ArrayD, IxDyn};
use ndloss::prelude::*;
use serde_json::Value;

fn opt(case: &Value, key: &str) -> Option<f64> {
    case["options"].get(key).map(num)
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

    /// A catalogue entry: the loss built from the case's options, with the
    /// case's per-element weights when it has them.
    fn entry(&self, entry: &Entry)
    where
        A: Pick,
    {
        let options = CaseOptions(self.case);
        let target = self.input(entry.parity.target);
        let weight = self.case["inputs"]
            .get("weight")
            .map(|w| cast::<A, _>(&array(w)));
        let r = reduction(self.case);
        let loss = (entry.parity.make)(&options, r.unwrap_or(Reduction::Mean));
        let loss = A::of(&*loss);
        let Some(_) = r else {
            let unreduced = match &weight {
                Some(w) => loss.unreduced_weighted(&self.pred, &target, w),
                None => loss.unreduced(&self.pred, &target),
            };
            self.compare(unreduced.unwrap().view(), &array(&self.case["value"]));
            return;
        };
        let mut g = ArrayD::<A>::zeros(self.pred.raw_dim());
        match &weight {
            Some(w) => {
                self.value(loss.forward_weighted(&self.pred, &target, w).unwrap());
                self.value(
                    loss.forward_grad_weighted_into(&self.pred, &target, w, &mut g)
                        .unwrap(),
                );
            }
            None => {
                self.value(loss.forward(&self.pred, &target).unwrap());
                self.value(loss.forward_grad_into(&self.pred, &target, &mut g).unwrap());
            }
        }
        self.grad(&g);
    }

    /// `Loss` with probability targets of the prediction's shape.
    fn dense<L: Loss<A, IxDyn, Unreduced = IxDyn> + Clone>(
        &self,
        loss: L,
        with_reduction: impl Fn(L, Reduction) -> L,
    ) {
        self.replay(loss, with_reduction, &self.input("target"));
    }

    /// Class-index targets (`usize`), shaped like the input without axis 1.
    fn indices<L: Loss<A, IxDyn, usize, IxDyn, Unreduced = IxDyn> + Clone>(
        &self,
        loss: L,
        with_reduction: impl Fn(L, Reduction) -> L,
    ) {
        self.replay(
            loss,
            with_reduction,
            &index_array(&self.case["inputs"]["target"]),
        );
    }

    /// The case's value and gradient through `forward` and `forward_grad`
    /// (reduced cases only); with `whole`, on the input flattened to
    /// `(1, 1, L)` (one sample, one class), the gradient reshaped back.
    fn reduced(&self, loss: Dice, whole: bool) {
        let shape = |a: ArrayD<A>| {
            if whole {
                let n = a.len();
                a.into_shape_with_order(IxDyn(&[1, 1, n])).unwrap()
            } else {
                a
            }
        };
        let (p, t) = (shape(self.pred.clone()), shape(self.input("target")));
        self.value(loss.forward(&p, &t).unwrap());
        let (v, g) = loss.forward_grad(&p, &t).unwrap();
        self.value(v);
        self.grad(&g.into_shape_with_order(self.pred.raw_dim()).unwrap());
    }

    /// The case's unreduced values, or its value and gradient (through
    /// `forward` and `forward_grad`) with its reduction.
    fn replay<T, L: Loss<A, IxDyn, T, IxDyn, Unreduced = IxDyn> + Clone>(
        &self,
        loss: L,
        with_reduction: impl Fn(L, Reduction) -> L,
        target: &ArrayD<T>,
    ) {
        match reduction(self.case) {
            None => self.compare(
                loss.unreduced(&self.pred, target).unwrap().view(),
                &array(&self.case["value"]),
            ),
            Some(r) => {
                let loss = with_reduction(loss, r);
                self.value(loss.forward(&self.pred, target).unwrap());
                let (v, g) = loss.forward_grad(&self.pred, target).unwrap();
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
    if let Some(z) = opt(case, "z_loss") {
        ce = ce.z_loss(z);
    }
    ce
}

/// A case's options for the catalogue's builders.
struct CaseOptions<'a>(&'a Value);

impl Options for CaseOptions<'_> {
    fn num(&self, key: &str) -> Option<f64> {
        self.0["options"].get(key).map(|v| match v {
            Value::Bool(b) => f64::from(u8::from(*b)),
            v => num(v),
        })
    }

    fn list(&self, key: &str) -> Option<Vec<f64>> {
        match self.0["options"].get(key) {
            Some(w) => Some(w.as_array().unwrap().iter().map(num).collect()),
            None => self.0["inputs"]
                .get(key)
                .map(|v| array(v).iter().copied().collect()),
        }
    }
}

/// Returns whether the case was one of this suite's losses.
fn run<A: Pick>(worst: &Worst, case: &Value, rtol: f64) -> bool {
    let loss = case["loss"].as_str().unwrap();
    let entry = CATALOGUE.iter().find(|e| e.parity.case == loss);
    let grad_key = entry.map_or("input", |e| e.parity.pred);
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
    if let Some(entry) = entry {
        c.entry(entry);
        return true;
    }
    match loss {
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
        "cross_entropy_z" => c.indices(cross_entropy(case), red!(CrossEntropy)),
        "multilabel_soft_margin" => {
            let mut l = MultiLabelSoftMargin::new();
            if let Some(w) = weights(case) {
                l = l.class_weights(&w);
            }
            c.dense(l, red!(MultiLabelSoftMargin));
        }
        // Keras' lane losses (`scripts/gen_reference_keras.py`).
        "categorical_hinge" => c.dense(CategoricalHinge::new(), red!(CategoricalHinge)),
        "cosine_similarity" => c.dense(
            CosineSimilarity::new().eps(opt(case, "eps").unwrap()),
            red!(CosineSimilarity),
        ),
        "categorical_focal" | "categorical_focal_logits" => {
            let mut l = CategoricalFocal::new()
                .gamma(opt(case, "gamma").unwrap())
                .label_smoothing(opt(case, "label_smoothing").unwrap())
                .from_logits(loss == "categorical_focal_logits");
            l = match &case["options"]["alpha"] {
                Value::Array(a) => {
                    l.alpha_per_class(&a.iter().map(num).collect::<ndarray::Array1<f64>>())
                }
                a => l.alpha(num(a)),
            };
            c.dense(l, red!(CategoricalFocal));
        }
        "generalized_ce" => c.indices(
            GeneralizedCrossEntropy::new().q(opt(case, "q").unwrap()),
            red!(GeneralizedCrossEntropy),
        ),
        // optax' lane losses (`scripts/gen_reference_optax.py`).
        "multiclass_hinge" => c.indices(
            MulticlassHinge::new().margin(opt(case, "margin").unwrap()),
            red!(MulticlassHinge),
        ),
        "multiclass_perceptron" => {
            c.indices(MulticlassPerceptron::new(), red!(MulticlassPerceptron))
        }
        "sparsemax" => c.indices(Sparsemax::new(), red!(Sparsemax)),
        "poly_loss" => c.dense(
            PolyLoss::new().epsilon(opt(case, "epsilon").unwrap()),
            red!(PolyLoss),
        ),
        "generalized_kl" => c.dense(GeneralizedKl::new(), red!(GeneralizedKl)),
        "ntxent" => {
            let l = NtXent::new().temperature(opt(case, "temperature").unwrap());
            let x = c
                .pred
                .clone()
                .into_dimensionality::<ndarray::Ix2>()
                .unwrap();
            let y = index_array(&case["inputs"]["target"])
                .into_dimensionality::<ndarray::Ix1>()
                .unwrap();
            c.value(l.forward(&x, &y).unwrap());
            let (v, g) = l.forward_grad(&x, &y).unwrap();
            c.value(v);
            c.grad(&g.into_dyn());
        }
        // optax' Dice (`scripts/gen_reference_optax.py`): channels last.
        "dice" | "generalized_dice" => {
            let mut d = Dice::tversky(opt(case, "alpha").unwrap(), opt(case, "beta").unwrap())
                .smooth(opt(case, "smooth").unwrap())
                .channels_last(true)
                .ignore_background(case["options"]["ignore_background"].as_bool().unwrap());
            if !case["options"]["apply_softmax"].as_bool().unwrap() {
                d = d.input(DiceInput::Probabilities);
            }
            if let Some(w) = weights(case) {
                d = d.class_weights(&w);
            }
            if loss == "generalized_dice" {
                d = d.generalized();
            }
            // optax' sum over classes, averaged over the batch.
            let class_sum = case["options"]["class_reduction"] == "sum";
            let r = reduction(case).unwrap();
            c.reduced(
                d.reduction(if class_sum { Reduction::BatchMean } else { r }),
                false,
            );
        }
        // Keras' Dice and Tversky sum over every element: one sample, one
        // class, Keras' smoothing in the denominator only, its α on the
        // false negatives.
        "keras_dice" | "keras_tversky" => {
            let d = if loss == "keras_dice" {
                Dice::new().smooth_denominator(5e-8)
            } else {
                Dice::tversky(opt(case, "beta").unwrap(), opt(case, "alpha").unwrap())
                    .smooth_denominator(1e-7)
            };
            c.reduced(
                d.input(DiceInput::Probabilities).smooth_numerator(0.0),
                true,
            );
        }
        _ => return false,
    }
    true
}

#[test]
fn the_catalogue_matches_its_references() {
    // PyTorch's references (`scripts/gen_reference.py`) and Keras' for the
    // losses only Keras has (`scripts/gen_reference_keras.py`), one schema.
    let files = [
        "losses_catalogue.json",
        "losses_keras.json",
        "losses_optax.json",
    ]
    .map(load);
    let mut counts = std::collections::BTreeMap::<String, usize>::new();
    let worst = Worst::default();
    for case in files.iter().flat_map(|d| d["cases"].as_array().unwrap()) {
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
    // Every catalogue entry, and the class-axis losses this file builds.
    let expected = CATALOGUE.iter().map(|e| e.parity.case).chain([
        "nll",
        "multi_margin",
        "cross_entropy_nd",
        "cross_entropy_keras_probs",
        "categorical_hinge",
        "cosine_similarity",
        "categorical_focal",
        "categorical_focal_logits",
        "generalized_ce",
        "dice",
        "generalized_dice",
        "keras_dice",
        "keras_tversky",
        "multiclass_hinge",
        "multiclass_perceptron",
        "sparsemax",
        "poly_loss",
        "generalized_kl",
        "multilabel_soft_margin",
        "cross_entropy_z",
        "ntxent",
    ]);
    for loss in expected {
        assert!(
            counts.get(loss).copied().unwrap_or(0) >= 12,
            "too few {loss} cases: {counts:?}"
        );
    }
    worst.print("loss");
}
