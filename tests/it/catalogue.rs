//! The element-wise loss catalogue: every loss whose prediction and target
//! have one shape, registered once and iterated by every suite: gradients
//! (`gradcheck`), parity with PyTorch (`parity_catalogue`), errors and
//! validation (`errors`), atomicity, robustness, reliability, allocations
//! (`no_alloc`) and the fuzz target (`fuzz/fuzz_targets/losses.rs`, which
//! includes this file).
//!
//! An entry says how to build the loss from settings drawn in [0, 1), where
//! its inputs live, where it is not differentiable, which hyperparameter it
//! validates and how to build it from a reference case's options. A new
//! element-wise loss adds one entry to [`CATALOGUE`]; its reference cases
//! come from `scripts/gen_reference.py`, and `parity_catalogue` fails until
//! they are there.
//!
//! This file depends on `ndarray` and `ndloss` only, so that the fuzz crate
//! can include it.
#![allow(dead_code)]

use ndarray::{Array1, ArrayD, ArrayRef, IxDyn};
use ndloss::prelude::*;

type Arr<A> = ArrayRef<A, IxDyn>;

/// A loss over `IxDyn` arrays of one element type: `Loss` with a target of
/// the prediction's shape, and `WeightedLoss` with `IxDyn` weights (its
/// methods are generic over the weight's dimension, so not dyn-compatible).
pub trait DenseLoss<A: Float>: Loss<A, IxDyn, Unreduced = IxDyn> {
    /// [`WeightedLoss::forward_weighted`].
    fn forward_weighted(&self, p: &Arr<A>, t: &Arr<A>, w: &Arr<A>) -> Result<A>;
    /// [`WeightedLoss::forward_grad_weighted_into`].
    fn forward_grad_weighted_into(
        &self,
        p: &Arr<A>,
        t: &Arr<A>,
        w: &Arr<A>,
        g: &mut Arr<A>,
    ) -> Result<A>;
    /// [`WeightedLoss::unreduced_weighted`].
    fn unreduced_weighted(&self, p: &Arr<A>, t: &Arr<A>, w: &Arr<A>) -> Result<ArrayD<A>>;
}

impl<A: Float, L: Loss<A, IxDyn, Unreduced = IxDyn> + WeightedLoss<A, IxDyn>> DenseLoss<A> for L {
    fn forward_weighted(&self, p: &Arr<A>, t: &Arr<A>, w: &Arr<A>) -> Result<A> {
        WeightedLoss::forward_weighted(self, p, t, w)
    }
    fn forward_grad_weighted_into(
        &self,
        p: &Arr<A>,
        t: &Arr<A>,
        w: &Arr<A>,
        g: &mut Arr<A>,
    ) -> Result<A> {
        WeightedLoss::forward_grad_weighted_into(self, p, t, w, g)
    }
    fn unreduced_weighted(&self, p: &Arr<A>, t: &Arr<A>, w: &Arr<A>) -> Result<ArrayD<A>> {
        WeightedLoss::unreduced_weighted(self, p, t, w)
    }
}

/// A catalogue loss in both precisions. `Send + Sync` is a supertrait, so
/// registering a loss proves it can be shared between threads.
pub trait Dense: Send + Sync + std::fmt::Debug {
    /// The loss on `f64` arrays.
    fn f64(&self) -> &dyn DenseLoss<f64>;
    /// The loss on `f32` arrays.
    fn f32(&self) -> &dyn DenseLoss<f32>;
}

impl<L: DenseLoss<f64> + DenseLoss<f32> + Send + Sync + std::fmt::Debug> Dense for L {
    fn f64(&self) -> &dyn DenseLoss<f64> {
        self
    }
    fn f32(&self) -> &dyn DenseLoss<f32> {
        self
    }
}

/// The settings of one case: three draws in [0, 1) that an entry maps to its
/// options, the reduction, and the length of the inputs' last axis (for
/// per-class options).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Settings {
    pub u: [f64; 3],
    pub reduction: Reduction,
    pub last: usize,
}

impl Settings {
    /// Every draw at `u`, mean reduction, a last axis of `last`.
    pub fn plain(u: f64, last: usize) -> Self {
        Self {
            u: [u; 3],
            reduction: Reduction::Mean,
            last,
        }
    }
}

/// The hyperparameter an entry validates: its name in
/// `Error::InvalidHyperparameter`, a value it refuses, and the loss with it
/// set to any value (valid or not).
pub struct Knob {
    pub name: &'static str,
    pub invalid: f64,
    pub set: fn(f64, &Settings) -> Box<dyn Dense>,
}

/// A reference case's options, as the parity suite reads them from
/// `tests/data/losses_catalogue.json` (booleans as 0 or 1).
pub trait Options {
    /// A scalar option.
    fn num(&self, key: &str) -> Option<f64>;
    /// An array option or input (per-class weights).
    fn list(&self, key: &str) -> Option<Vec<f64>>;
}

/// Where an entry's PyTorch references are: the `loss` name of its cases in
/// `tests/data/losses_catalogue.json`, the input keys of the prediction and
/// the target, and the loss built from a case's options.
pub struct Parity {
    pub case: &'static str,
    pub pred: &'static str,
    pub target: &'static str,
    pub make: fn(&dyn Options, Reduction) -> Box<dyn Dense>,
}

/// One element-wise loss.
pub struct Entry {
    /// The loss's name in messages.
    pub name: &'static str,
    /// The loss with the options `s` draws (always valid ones).
    pub make: fn(&Settings) -> Box<dyn Dense>,
    /// A (prediction, target) pair in the loss's domain from two draws in
    /// [0, 1).
    pub point: fn(&Settings, f64, f64) -> (f64, f64),
    /// Whether the loss is differentiable around (prediction, target), at
    /// least 1e-3 from every kink, so that finite differences hold there.
    pub smooth: fn(&Settings, f64, f64) -> bool,
    /// The validated hyperparameter, if the loss has one.
    pub knob: Option<Knob>,
    /// A (prediction, target) pair outside the domain the loss checks, if it
    /// checks one.
    pub refused: Option<(f64, f64)>,
    pub parity: Parity,
}

fn boxed<L: Dense + 'static>(loss: L) -> Box<dyn Dense> {
    Box::new(loss)
}

fn lerp(lo: f64, hi: f64, u: f64) -> f64 {
    lo + (hi - lo) * u
}

fn away(x: f64, kink: f64) -> bool {
    (x - kink).abs() > 1e-3
}

fn any(_: &Settings, _: f64, _: f64) -> bool {
    true
}

fn real(_: &Settings, a: f64, b: f64) -> (f64, f64) {
    (lerp(-5.0, 5.0, a), lerp(-5.0, 5.0, b))
}

/// ±1 labels.
fn sign(u: f64) -> f64 {
    if u < 0.5 {
        -1.0
    } else {
        1.0
    }
}

/// Logits in [−4, 4) against ±1 labels.
fn logit_sign(_: &Settings, a: f64, b: f64) -> (f64, f64) {
    (lerp(-4.0, 4.0, a), sign(b))
}

fn huber_delta(s: &Settings) -> f64 {
    lerp(0.1, 3.0, s.u[0])
}

fn quantile_tau(s: &Settings) -> f64 {
    lerp(0.05, 0.95, s.u[0])
}

fn margin(s: &Settings) -> f64 {
    lerp(0.2, 2.0, s.u[0])
}

/// Positive weights: none, one scalar, or one per class of the last axis.
fn bce_logits(s: &Settings) -> BceWithLogits {
    let l = BceWithLogits::new().reduction(s.reduction);
    let pw = lerp(0.1, 5.0, s.u[0]);
    if s.u[1] < 0.3 {
        l
    } else if s.u[1] < 0.6 {
        l.pos_weight(pw)
    } else {
        l.pos_weights(Array1::from_shape_fn(s.last, |k| pw + k as f64))
    }
}

/// Focal loss: `gamma` in [0, 3), `alpha` in [0, 1) or none.
fn focal(s: &Settings) -> SigmoidFocal {
    SigmoidFocal::new()
        .gamma(3.0 * s.u[0])
        .alpha((s.u[1] < 0.7).then_some(s.u[1]))
        .reduction(s.reduction)
}

/// Hard 0/1 labels or soft targets in [0, 1).
fn focal_point(s: &Settings, a: f64, b: f64) -> (f64, f64) {
    let t = if s.u[2] < 0.5 {
        b
    } else {
        f64::from(u8::from(b >= 0.5))
    };
    (lerp(-4.0, 4.0, a), t)
}

/// Keras' binary focal cross-entropy: `gamma` in [0, 3), `alpha` in [0, 1)
/// or none, label smoothing in [0, 0.3).
fn binary_focal(s: &Settings, logits: bool) -> BinaryFocal {
    BinaryFocal::new()
        .gamma(3.0 * s.u[0])
        .alpha((s.u[1] < 0.7).then_some(s.u[1]))
        .label_smoothing(0.3 * (2.0 * s.u[2]).fract())
        .from_logits(logits)
        .reduction(s.reduction)
}

/// A reference case's `BinaryFocal` (alpha −1: off).
fn binary_focal_case(o: &dyn Options, r: Reduction) -> Box<dyn Dense> {
    let alpha = o.num("alpha").unwrap_or(-1.0);
    boxed(
        BinaryFocal::new()
            .gamma(o.num("gamma").unwrap_or(2.0))
            .alpha((alpha >= 0.0).then_some(alpha))
            .from_logits(o.num("from_logits") == Some(1.0))
            .label_smoothing(o.num("label_smoothing").unwrap_or(0.0))
            .reduction(r),
    )
}

fn poisson(s: &Settings) -> PoissonNll {
    PoissonNll::new()
        .log_input(s.u[0] < 0.5)
        .full(s.u[1] < 0.5)
        .reduction(s.reduction)
}

/// The log-rate (log input) or the rate, against counts 0 to 5.
fn poisson_point(s: &Settings, a: f64, b: f64) -> (f64, f64) {
    let p = if s.u[0] < 0.5 {
        lerp(-3.0, 3.0, a)
    } else {
        lerp(0.1, 3.0, a)
    };
    (p, (6.0 * b).floor())
}

/// Log-probabilities against probabilities or, with `log_target`, their
/// logarithms.
fn kl_point(s: &Settings, a: f64, b: f64) -> (f64, f64) {
    let t = if s.u[0] < 0.5 { lerp(-3.0, 0.0, b) } else { b };
    (lerp(-3.0, 0.0, a), t)
}

pub static CATALOGUE: &[Entry] = &[
    Entry {
        name: "mse",
        make: |s| boxed(Mse::new().reduction(s.reduction)),
        point: real,
        smooth: any,
        knob: None,
        refused: None,
        parity: Parity {
            case: "mse_weighted",
            pred: "input",
            target: "target",
            make: |_, r| boxed(Mse::new().reduction(r)),
        },
    },
    Entry {
        name: "mae",
        make: |s| boxed(Mae::new().reduction(s.reduction)),
        point: real,
        smooth: |_, p, t| away(p, t),
        knob: None,
        refused: None,
        parity: Parity {
            case: "mae_weighted",
            pred: "input",
            target: "target",
            make: |_, r| boxed(Mae::new().reduction(r)),
        },
    },
    Entry {
        name: "huber",
        make: |s| boxed(Huber::new().delta(huber_delta(s)).reduction(s.reduction)),
        point: real,
        smooth: |s, p, t| away((p - t).abs(), huber_delta(s)),
        knob: Some(Knob {
            name: "delta",
            invalid: -1.0,
            set: |v, s| boxed(Huber::new().delta(v).reduction(s.reduction)),
        }),
        refused: None,
        parity: Parity {
            case: "huber",
            pred: "input",
            target: "target",
            make: |o, r| {
                boxed(
                    Huber::new()
                        .delta(o.num("delta").unwrap_or(1.0))
                        .reduction(r),
                )
            },
        },
    },
    Entry {
        name: "smooth_l1",
        make: |s| boxed(SmoothL1::new().beta(huber_delta(s)).reduction(s.reduction)),
        point: real,
        smooth: |s, p, t| away((p - t).abs(), huber_delta(s)),
        knob: Some(Knob {
            name: "beta",
            invalid: -1.0,
            set: |v, s| boxed(SmoothL1::new().beta(v).reduction(s.reduction)),
        }),
        refused: None,
        parity: Parity {
            case: "smooth_l1",
            pred: "input",
            target: "target",
            make: |o, r| {
                boxed(
                    SmoothL1::new()
                        .beta(o.num("beta").unwrap_or(1.0))
                        .reduction(r),
                )
            },
        },
    },
    Entry {
        name: "log_cosh",
        make: |s| boxed(LogCosh::new().reduction(s.reduction)),
        point: real,
        smooth: any,
        knob: None,
        refused: None,
        parity: Parity {
            case: "log_cosh",
            pred: "input",
            target: "target",
            make: |_, r| boxed(LogCosh::new().reduction(r)),
        },
    },
    Entry {
        name: "msle",
        make: |s| boxed(Msle::new().reduction(s.reduction)),
        point: |_, a, b| (lerp(0.0, 5.0, a), lerp(0.5, 5.5, b)),
        smooth: any,
        knob: None,
        refused: None,
        parity: Parity {
            case: "msle",
            pred: "input",
            target: "target",
            make: |_, r| boxed(Msle::new().reduction(r)),
        },
    },
    Entry {
        name: "mape",
        make: |s| boxed(Mape::new().reduction(s.reduction)),
        point: |_, a, b| (lerp(-5.0, 5.0, a), lerp(5.0, 15.0, b)),
        smooth: |_, p, t| away(p, t),
        knob: None,
        refused: None,
        parity: Parity {
            case: "mape",
            pred: "input",
            target: "target",
            make: |_, r| boxed(Mape::new().reduction(r)),
        },
    },
    Entry {
        name: "quantile",
        make: |s| boxed(Quantile::new().tau(quantile_tau(s)).reduction(s.reduction)),
        point: real,
        smooth: |_, p, t| away(p, t),
        knob: Some(Knob {
            name: "tau",
            invalid: 1.5,
            set: |v, s| boxed(Quantile::new().tau(v).reduction(s.reduction)),
        }),
        refused: None,
        parity: Parity {
            case: "quantile",
            pred: "input",
            target: "target",
            make: |o, r| {
                boxed(
                    Quantile::new()
                        .tau(o.num("tau").unwrap_or(0.5))
                        .reduction(r),
                )
            },
        },
    },
    Entry {
        name: "poisson_nll",
        make: |s| boxed(poisson(s)),
        point: poisson_point,
        smooth: any,
        knob: Some(Knob {
            name: "eps",
            invalid: -1.0,
            set: |v, s| boxed(poisson(s).eps(v)),
        }),
        refused: None,
        parity: Parity {
            case: "poisson_nll",
            pred: "input",
            target: "target",
            make: |o, r| {
                let mut l = PoissonNll::new().reduction(r);
                if let Some(v) = o.num("log_input") {
                    l = l.log_input(v != 0.0);
                }
                if let Some(v) = o.num("full") {
                    l = l.full(v != 0.0);
                }
                if let Some(v) = o.num("eps") {
                    l = l.eps(v);
                }
                boxed(l)
            },
        },
    },
    Entry {
        name: "kl_div",
        make: |s| boxed(KlDiv::new().log_target(s.u[0] < 0.5).reduction(s.reduction)),
        point: kl_point,
        smooth: any,
        knob: None,
        refused: None,
        parity: Parity {
            case: "kl_div",
            pred: "input",
            target: "target",
            make: |o, r| {
                let log_target = o.num("log_target").is_some_and(|v| v != 0.0);
                boxed(KlDiv::new().log_target(log_target).reduction(r))
            },
        },
    },
    Entry {
        name: "bce",
        make: |s| boxed(Bce::new().reduction(s.reduction)),
        point: |_, a, b| (lerp(0.05, 0.95, a), b),
        smooth: any,
        knob: None,
        refused: Some((2.0, 0.5)),
        parity: Parity {
            case: "bce_weighted",
            pred: "input",
            target: "target",
            make: |_, r| boxed(Bce::new().reduction(r)),
        },
    },
    Entry {
        name: "bce_with_logits",
        make: |s| boxed(bce_logits(s)),
        point: |_, a, b| (lerp(-8.0, 8.0, a), b),
        smooth: any,
        knob: Some(Knob {
            name: "pos_weight",
            invalid: -1.0,
            set: |v, s| {
                let l = BceWithLogits::new().reduction(s.reduction);
                if s.u[1] < 0.5 {
                    boxed(l.pos_weight(v))
                } else {
                    boxed(l.pos_weights(Array1::from_elem(s.last, v)))
                }
            },
        }),
        refused: None,
        parity: Parity {
            case: "bce_with_logits_weighted",
            pred: "input",
            target: "target",
            make: |o, r| {
                let l = BceWithLogits::new().reduction(r);
                match o.list("pos_weight") {
                    Some(pw) => boxed(l.pos_weights(Array1::from(pw))),
                    None => boxed(l),
                }
            },
        },
    },
    Entry {
        name: "sigmoid_focal",
        make: |s| boxed(focal(s)),
        point: focal_point,
        smooth: any,
        knob: Some(Knob {
            name: "gamma",
            invalid: -1.0,
            set: |v, s| boxed(focal(s).gamma(v)),
        }),
        refused: None,
        parity: Parity {
            case: "sigmoid_focal",
            pred: "inputs",
            target: "targets",
            make: |o, r| {
                let alpha = o.num("alpha").unwrap_or(0.25);
                let l = SigmoidFocal::new()
                    .alpha((alpha >= 0.0).then_some(alpha))
                    .gamma(o.num("gamma").unwrap_or(2.0));
                boxed(l.reduction(r))
            },
        },
    },
    Entry {
        name: "binary_focal",
        make: |s| boxed(binary_focal(s, false)),
        // Probabilities inside Keras' clip at 1e-7 (its kinks), hard or soft
        // targets as for the sigmoid focal loss.
        point: |s, a, b| {
            let (x, t) = focal_point(s, a, b);
            (lerp(0.01, 0.99, (x + 4.0) / 8.0), t)
        },
        smooth: any,
        knob: Some(Knob {
            name: "label_smoothing",
            invalid: 1.5,
            set: |v, s| boxed(binary_focal(s, false).label_smoothing(v)),
        }),
        refused: Some((2.0, 0.5)),
        parity: Parity {
            case: "binary_focal",
            pred: "y_pred",
            target: "y_true",
            make: binary_focal_case,
        },
    },
    Entry {
        name: "binary_focal_logits",
        make: |s| boxed(binary_focal(s, true)),
        // Logits in [−4, 4]: σ stays inside the clip.
        point: focal_point,
        smooth: any,
        knob: Some(Knob {
            name: "gamma",
            invalid: -1.0,
            set: |v, s| boxed(binary_focal(s, true).gamma(v)),
        }),
        refused: None,
        parity: Parity {
            case: "binary_focal_logits",
            pred: "y_pred",
            target: "y_true",
            make: binary_focal_case,
        },
    },
    Entry {
        name: "hinge",
        make: |s| boxed(Hinge::new().reduction(s.reduction)),
        // Keras' 0/1 labels, converted to ±1 by the loss.
        point: |_, a, b| (lerp(-4.0, 4.0, a), f64::from(u8::from(b >= 0.5))),
        smooth: |_, p, t| away(p * (2.0 * t - 1.0), 1.0),
        knob: None,
        refused: None,
        parity: Parity {
            case: "hinge",
            pred: "input",
            target: "target",
            make: |_, r| boxed(Hinge::new().reduction(r)),
        },
    },
    Entry {
        name: "squared_hinge",
        make: |s| boxed(SquaredHinge::new().reduction(s.reduction)),
        point: logit_sign,
        smooth: |_, p, t| away(p * t, 1.0),
        knob: None,
        refused: None,
        parity: Parity {
            case: "squared_hinge",
            pred: "input",
            target: "target",
            make: |_, r| boxed(SquaredHinge::new().reduction(r)),
        },
    },
    Entry {
        name: "soft_margin",
        make: |s| boxed(SoftMargin::new().reduction(s.reduction)),
        point: logit_sign,
        smooth: any,
        knob: None,
        refused: None,
        parity: Parity {
            case: "soft_margin",
            pred: "input",
            target: "target",
            make: |_, r| boxed(SoftMargin::new().reduction(r)),
        },
    },
    Entry {
        name: "perceptron",
        make: |s| boxed(Perceptron::new().reduction(s.reduction)),
        point: logit_sign,
        smooth: |_, p, t| away(p * t, 0.0),
        knob: None,
        refused: None,
        parity: Parity {
            case: "perceptron",
            pred: "input",
            target: "target",
            make: |_, r| boxed(Perceptron::new().reduction(r)),
        },
    },
    Entry {
        name: "binary_sparsemax",
        make: |s| boxed(BinarySparsemax::new().reduction(s.reduction)),
        // 0/1 labels; sparse_plus is once differentiable everywhere.
        point: |_, a, b| (lerp(-3.0, 3.0, a), f64::from(u8::from(b >= 0.5))),
        smooth: any,
        knob: None,
        refused: None,
        parity: Parity {
            case: "binary_sparsemax",
            pred: "input",
            target: "target",
            make: |_, r| boxed(BinarySparsemax::new().reduction(r)),
        },
    },
    Entry {
        name: "hinge_embedding",
        make: |s| {
            boxed(
                HingeEmbedding::new()
                    .margin(margin(s))
                    .reduction(s.reduction),
            )
        },
        point: logit_sign,
        smooth: |s, p, t| t > 0.0 || away(p, margin(s)),
        knob: Some(Knob {
            name: "margin",
            invalid: f64::NAN,
            set: |v, s| boxed(HingeEmbedding::new().margin(v).reduction(s.reduction)),
        }),
        refused: None,
        parity: Parity {
            case: "hinge_embedding",
            pred: "input",
            target: "target",
            make: |o, r| {
                boxed(
                    HingeEmbedding::new()
                        .margin(o.num("margin").unwrap_or(1.0))
                        .reduction(r),
                )
            },
        },
    },
];

/// A number in [0, 1) from a seed and an index: each coordinate is mixed
/// in by SplitMix64's finalizer, so neighbouring indices are independent.
pub fn frac(seed: u64, idx: &[usize]) -> f64 {
    let mix = |mut z: u64| {
        z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    let h = idx.iter().fold(mix(seed), |h, &i| mix(h ^ mix(i as u64)));
    (h >> 11) as f64 / (1u64 << 53) as f64
}

/// Prediction and target of `shape` in `entry`'s domain from `seed`, every
/// element where the loss is smooth (each element redrawn until it is).
pub fn inputs(
    entry: &Entry,
    s: &Settings,
    shape: &[usize],
    seed: u64,
) -> (ndarray::ArrayD<f64>, ndarray::ArrayD<f64>) {
    let n: usize = shape.iter().product();
    let (mut p, mut t) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for i in 0..n {
        let (a, b) = (0..1000)
            .map(|k| (entry.point)(s, frac(seed, &[i, k, 0]), frac(seed, &[i, k, 1])))
            .find(|&(a, b)| (entry.smooth)(s, a, b))
            .expect("a smooth point within 1000 draws");
        p.push(a);
        t.push(b);
    }
    let shape = IxDyn(shape);
    (
        ndarray::ArrayD::from_shape_vec(shape.clone(), p).expect("n elements"),
        ndarray::ArrayD::from_shape_vec(shape, t).expect("n elements"),
    )
}

/// The catalogue loss of one precision.
pub trait Pick: Float {
    /// `loss` on arrays of `Self`.
    fn of(loss: &dyn Dense) -> &dyn DenseLoss<Self>;
}

impl Pick for f64 {
    fn of(loss: &dyn Dense) -> &dyn DenseLoss<f64> {
        loss.f64()
    }
}

impl Pick for f32 {
    fn of(loss: &dyn Dense) -> &dyn DenseLoss<f32> {
        loss.f32()
    }
}
