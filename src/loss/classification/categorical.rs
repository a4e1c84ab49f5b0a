//! Keras' categorical losses over the last axis: the focal cross-entropy
//! ([`CategoricalFocal`]) and the generalized cross-entropy
//! ([`GeneralizedCrossEntropy`]). Their class axis is the last one, as
//! Keras' (`axis=-1`), where the PyTorch-anchored losses of this family
//! take axis 1; for `(N, C)` the two are the same.

use ndarray::{Array, ArrayRef, Axis, Dimension};

use crate::error::{check_hyper, Error, Result};
use crate::float::Float;
use crate::kernel::check_same_shape;
use crate::kernel::rowwise::{map_lanes, sum_lanes};
use crate::loss::lanes::{
    check_entries, lane_counts, lanewise_loss, last_axis, LaneMath, Lanewise,
};
use crate::loss::{Loss, Reduction};

/// Keras' `epsilon()`: the clip of the probabilities inside the logarithm.
const KERAS_EPS: f64 = 1e-7;

/// Keras' categorical focal cross-entropy, on probabilities or logits, over
/// each lane of the last axis.
///
/// With `C` classes, `t' = t·(1 − s) + s/C` (label smoothing `s`), `o` the
/// prediction divided by its lane's sum (or `softmax(x)` with
/// `from_logits`), `ô = clip(o, ε, 1 − ε)` and `ε = 1e-7` (Keras'
/// `epsilon()`):
///
/// ```text
/// ℓ = Σₖ αₖ · (1 − ôₖ)^γ · (−t'ₖ · ln ôₖ)
/// ```
///
/// `αₖ` is `alpha` for every class, or `alpha_per_class[k]`. The gradient
/// goes through the normalisation (or the softmax); it is 0 in the entries
/// the clip holds, as Keras'. With `γ = 0` and `α = 1` it is Keras'
/// clipped categorical cross-entropy ([`CrossEntropy::from_probs`](crate::loss::CrossEntropy::from_probs)
/// on `(N, C)`). One value per lane unreduced.
///
/// | parameter | default | range |
/// | --- | --- | --- |
/// | `alpha` | 0.25 | finite, ≥ 0 |
/// | `alpha_per_class` | none | `C` values, finite, ≥ 0 (replaces `alpha`) |
/// | `gamma` | 2 | finite, ≥ 0 |
/// | `from_logits` | `false` | |
/// | `label_smoothing` | 0 | [0, 1] |
/// | `reduction` | `Mean` | `Mean` (over lanes), `Sum`, `BatchMean` (over the first axis) |
///
/// Keras: `keras.losses.CategoricalFocalCrossentropy(alpha, gamma,
/// from_logits, label_smoothing)` (`axis=-1`; a list `alpha` is
/// `alpha_per_class`; its `'sum_over_batch_size'` is `Mean`). Not in
/// PyTorch, whose focal loss is torchvision's binary one
/// ([`SigmoidFocal`](crate::loss::SigmoidFocal)).
///
/// # Examples
///
/// ```
/// use ndarray::array;
/// use ndloss::prelude::*;
///
/// let (p, t) = (array![[0.8_f64, 0.2]], array![[1.0, 0.0]]);
/// let v = CategoricalFocal::new().forward(&p, &t)?;
/// assert!((v - 0.25 * 0.2_f64.powi(2) * -(0.8_f64.ln())).abs() < 1e-15);
/// // Unnormalised probabilities are divided by their sum first.
/// let v2 = CategoricalFocal::new().forward(&array![[4.0_f64, 1.0]], &t)?;
/// assert!((v - v2).abs() < 1e-15);
/// # Ok::<(), ndloss::Error>(())
/// ```
///
/// # Errors
///
/// [`Error::InvalidHyperparameter`] for an `alpha`, `gamma` or
/// `label_smoothing` out of range; [`Error::ShapeMismatch`] for a target or
/// a gradient buffer not shaped like the prediction, a 0-d prediction or an
/// empty last axis, or `alpha_per_class` not of the last axis' length;
/// without `from_logits`, [`Error::InvalidValue`] for a negative
/// probability or a lane summing to 0 (NaN propagates);
/// [`Error::EmptyReduction`] for a mean over no lanes. On error nothing is
/// written.
#[derive(Debug, Clone, PartialEq)]
pub struct CategoricalFocal {
    alpha: f64,
    alpha_per_class: Option<Vec<f64>>,
    gamma: f64,
    from_logits: bool,
    label_smoothing: f64,
    reduction: Reduction,
}

impl Default for CategoricalFocal {
    fn default() -> Self {
        Self {
            alpha: 0.25,
            alpha_per_class: None,
            gamma: 2.0,
            from_logits: false,
            label_smoothing: 0.0,
            reduction: Reduction::Mean,
        }
    }
}

impl CategoricalFocal {
    /// Keras' defaults: `alpha = 0.25`, `gamma = 2`, probabilities, no
    /// smoothing, mean over lanes.
    pub fn new() -> Self {
        Self::default()
    }

    /// The weight of every class (default 0.25); clears `alpha_per_class`.
    #[must_use]
    pub fn alpha(mut self, alpha: f64) -> Self {
        self.alpha = alpha;
        self.alpha_per_class = None;
        self
    }

    /// One weight per class (Keras' list `alpha`), replacing `alpha`.
    #[must_use]
    pub fn alpha_per_class<S>(mut self, alpha: &ndarray::ArrayBase<S, ndarray::Ix1>) -> Self
    where
        S: ndarray::Data,
        S::Elem: Float,
    {
        self.alpha_per_class = Some(crate::loss::to_f64_vec(alpha));
        self
    }

    /// Focusing exponent (default 2; 0 is the clipped cross-entropy).
    #[must_use]
    pub fn gamma(mut self, gamma: f64) -> Self {
        self.gamma = gamma;
        self
    }

    /// Whether the predictions are logits (default `false`: probabilities).
    #[must_use]
    pub fn from_logits(mut self, from_logits: bool) -> Self {
        self.from_logits = from_logits;
        self
    }

    /// Mixes the targets with the uniform distribution: `t·(1 − s) + s/C`
    /// (default 0).
    #[must_use]
    pub fn label_smoothing(mut self, label_smoothing: f64) -> Self {
        self.label_smoothing = label_smoothing;
        self
    }

    /// The per-class weights, if set.
    ///
    /// ```
    /// use ndarray::array;
    /// let l = ndloss::loss::CategoricalFocal::new().alpha_per_class(&array![0.5, 1.0]);
    /// assert_eq!(l.get_alpha_per_class(), Some(&[0.5, 1.0][..]));
    /// ```
    pub fn get_alpha_per_class(&self) -> Option<&[f64]> {
        self.alpha_per_class.as_deref()
    }
}

fn non_negative(name: &'static str, v: f64) -> Result<f64> {
    check_hyper(name, v, v.is_finite() && v >= 0.0, "a finite value >= 0")
}

impl Lanewise for CategoricalFocal {
    type Math<'a, A: Float> = FocalMath<'a>;
    fn math<A: Float>(&self, classes: Option<usize>) -> Result<FocalMath<'_>> {
        let alpha = non_negative("alpha", self.alpha)?;
        if let Some(w) = &self.alpha_per_class {
            for &a in w {
                non_negative("alpha_per_class", a)?;
            }
            if let Some(c) = classes.filter(|&c| c != w.len()) {
                return Err(Error::ShapeMismatch {
                    what: "alpha_per_class",
                    expected: vec![c],
                    found: vec![w.len()],
                });
            }
        }
        let gamma = non_negative("gamma", self.gamma)?;
        let s = check_hyper(
            "label_smoothing",
            self.label_smoothing,
            (0.0..=1.0).contains(&self.label_smoothing),
            "a value in [0, 1]",
        )?;
        Ok(FocalMath {
            alpha,
            per_class: self.alpha_per_class.as_deref(),
            gamma,
            logits: self.from_logits,
            smoothing: s,
        })
    }
    fn lane_reduction(&self) -> Reduction {
        self.reduction
    }
    fn check_values<A: Float, D: Dimension>(&self, pred: &ArrayRef<A, D>) -> Result<()> {
        if self.from_logits {
            return Ok(());
        }
        check_entries(pred, |x| x >= 0.0, "a probability >= 0")?;
        check_lane_sums(pred)
    }
}
lanewise_loss!(CategoricalFocal);

/// Errors for the first lane of the last axis whose sum is 0 (its entries
/// are all ≥ 0 or NaN by then), at the lane's flat index.
fn check_lane_sums<A: Float, D: Dimension>(pred: &ArrayRef<A, D>) -> Result<()> {
    let axis = Axis(pred.ndim() - 1);
    for (i, lane) in pred.lanes(axis).into_iter().enumerate() {
        let s: f64 = lane.iter().map(|&x| x.to_f64()).sum();
        if s == 0.0 {
            return Err(Error::InvalidValue {
                what: "prediction (lane sums)",
                index: vec![i],
                value: s,
                expected: "probability lanes with a positive sum",
            });
        }
    }
    Ok(())
}

pub(crate) struct FocalMath<'a> {
    alpha: f64,
    per_class: Option<&'a [f64]>,
    gamma: f64,
    logits: bool,
    smoothing: f64,
}

impl FocalMath<'_> {
    /// `(ℓₖ, ∂ℓ/∂oₖ)` of one entry at the normalised probability `o`.
    #[inline]
    fn entry(&self, k: usize, o: f64, t: f64, classes: usize) -> (f64, f64) {
        let a = self.per_class.map_or(self.alpha, |w| w[k]);
        let w = a * (t * (1.0 - self.smoothing) + self.smoothing / classes as f64);
        let clipped = !(o > KERAS_EPS && o < 1.0 - KERAS_EPS);
        let oc = o.clamp(KERAS_EPS, 1.0 - KERAS_EPS);
        let miss = 1.0 - oc;
        let f = if self.gamma == 0.0 {
            1.0
        } else {
            miss.powf(self.gamma)
        };
        let ln = oc.ln();
        let value = -w * f * ln;
        // d/dô [(1 − ô)^γ·(−ln ô)] = γ(1 − ô)^{γ−1}·ln ô − (1 − ô)^γ/ô; 0
        // where the clip holds (NaN stays NaN).
        let d = if clipped && !o.is_nan() {
            0.0
        } else {
            let focus = if self.gamma == 0.0 {
                0.0
            } else {
                self.gamma * f / miss * ln
            };
            w * (focus - f / oc)
        };
        (value, d)
    }
}

impl<A: Float> LaneMath<A> for FocalMath<'_> {
    fn lane(&self, x: &[A], t: &[A], g: Option<&mut [A]>, scale: A) -> A {
        let c = x.len();
        // o = x/S, or softmax: eₖ/Z with eₖ = exp(xₖ − m). Recomputed in
        // each pass instead of stored, so that nothing is allocated.
        let (shift, norm) = if self.logits {
            let m = x.iter().fold(f64::NEG_INFINITY, |m, &v| m.max(v.to_f64()));
            let z: f64 = x.iter().map(|&v| (v.to_f64() - m).exp()).sum();
            (m, z)
        } else {
            (0.0, x.iter().map(|&v| v.to_f64()).sum())
        };
        let prob = |v: A| {
            if self.logits {
                (v.to_f64() - shift).exp() / norm
            } else {
                v.to_f64() / norm
            }
        };
        let (mut total, mut dot) = (0.0, 0.0);
        for (k, (&xk, &tk)) in x.iter().zip(t).enumerate() {
            let o = prob(xk);
            let (v, d) = self.entry(k, o, tk.to_f64(), c);
            total += v;
            dot += d * o;
        }
        if let Some(g) = g {
            // Through o = x/S: (dⱼ − Σ dₖoₖ)/S; through the softmax:
            // oⱼ·(dⱼ − Σ dₖoₖ).
            let scale = scale.to_f64();
            for (k, ((gk, &xk), &tk)) in g.iter_mut().zip(x).zip(t).enumerate() {
                let o = prob(xk);
                let (_, d) = self.entry(k, o, tk.to_f64(), c);
                let j = if self.logits { o } else { 1.0 / norm };
                *gk = A::from_f64(scale * j * (d - dot));
            }
        }
        A::from_f64(total)
    }
}

/// The generalized cross-entropy of Zhang and Sabuncu (2018), Keras'
/// `CategoricalGeneralizedCrossEntropy`: a cross-entropy robust to noisy
/// labels, on probabilities over the last axis and class-index targets.
///
/// ```text
/// ℓ = (1 − p_y^q) / q,    ∂ℓ/∂p_y = −p_y^{q−1}    (0 for the other classes)
/// ```
///
/// As `q → 0` it tends to the cross-entropy `−ln p_y`; at `q = 1` it would
/// be `1 − p_y`, the mean absolute error of the one-hot target. At `p_y = 0`
/// the gradient is `−∞`, as the derivative is. The targets are shaped like
/// the prediction without its last axis. One value per lane unreduced.
///
/// | parameter | default | range |
/// | --- | --- | --- |
/// | `q` | 0.5 | (0, 1), as Keras |
/// | `reduction` | `Mean` | `Mean` (over lanes), `Sum`, `BatchMean` (over the first axis) |
///
/// Keras: `keras.losses.CategoricalGeneralizedCrossEntropy(q)` (its
/// `'sum_over_batch_size'` is `Mean`). Not in PyTorch.
///
/// # Examples
///
/// ```
/// use ndarray::array;
/// use ndloss::prelude::*;
///
/// let p = array![[0.25_f64, 0.75], [0.5, 0.5]];
/// let y = array![1_usize, 0];
/// let l = GeneralizedCrossEntropy::new();
/// let u = l.unreduced(&p, &y)?;
/// assert!((u[0] - (1.0 - 0.75_f64.sqrt()) / 0.5).abs() < 1e-15);
/// let g = l.grad(&p, &y)?;
/// assert!((g[[1, 0]] + 0.5 * 0.5_f64.powf(-0.5)).abs() < 1e-15); // mean over 2 lanes
/// assert_eq!(g[[1, 1]], 0.0);
/// # Ok::<(), ndloss::Error>(())
/// ```
///
/// # Errors
///
/// [`Error::InvalidHyperparameter`] for a `q` outside (0, 1);
/// [`Error::ShapeMismatch`] for a 0-d prediction or an empty last axis, a
/// target not shaped like the prediction without its last axis, or a
/// gradient buffer not shaped like the prediction;
/// [`Error::ClassOutOfRange`] for a class not below `C` (`sample` is the
/// lane's flat index); [`Error::InvalidValue`] for a probability outside
/// [0, 1] (NaN propagates); [`Error::EmptyReduction`] for a mean over no
/// lanes. On error nothing is written.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GeneralizedCrossEntropy {
    q: f64,
    reduction: Reduction,
}

impl Default for GeneralizedCrossEntropy {
    fn default() -> Self {
        Self {
            q: 0.5,
            reduction: Reduction::Mean,
        }
    }
}

impl GeneralizedCrossEntropy {
    /// Keras' defaults: `q = 0.5`, mean over lanes.
    pub fn new() -> Self {
        Self::default()
    }

    /// The exponent `q` (default 0.5).
    #[must_use]
    pub fn q(mut self, q: f64) -> Self {
        self.q = q;
        self
    }

    fn checked_q(&self) -> Result<f64> {
        check_hyper(
            "q",
            self.q,
            self.q > 0.0 && self.q < 1.0,
            "a value in (0, 1)",
        )
    }

    /// Validates everything: the class axis and the scales.
    fn check<A: Float, D: Dimension>(
        &self,
        pred: &ArrayRef<A, D>,
        target: &ArrayRef<usize, D::Smaller>,
        grad: Option<&ArrayRef<A, D>>,
    ) -> Result<(f64, Axis)> {
        let q = self.checked_q()?;
        let axis = last_axis(pred)?;
        let lanes = &pred.shape()[..pred.ndim() - 1];
        if target.shape() != lanes {
            return Err(Error::ShapeMismatch {
                what: "target",
                expected: lanes.to_vec(),
                found: target.shape().to_vec(),
            });
        }
        if let Some(g) = grad {
            check_same_shape("gradient buffer", pred, g)?;
        }
        let classes = pred.len_of(axis);
        if let Some((sample, &class)) = target.iter().enumerate().find(|(_, &y)| y >= classes) {
            return Err(Error::ClassOutOfRange {
                sample,
                class,
                num_classes: classes,
            });
        }
        check_entries(
            pred,
            |x| (0.0..=1.0).contains(&x),
            "a probability in [0, 1]",
        )?;
        Ok((q, axis))
    }
}

impl<A: Float, D: Dimension> Loss<A, D, usize, D::Smaller> for GeneralizedCrossEntropy {
    type Unreduced = D::Smaller;

    fn forward(&self, pred: &ArrayRef<A, D>, target: &ArrayRef<usize, D::Smaller>) -> Result<A> {
        self.run(pred, target, None)
    }

    fn forward_grad_into(
        &self,
        pred: &ArrayRef<A, D>,
        target: &ArrayRef<usize, D::Smaller>,
        grad: &mut ArrayRef<A, D>,
    ) -> Result<A> {
        self.run(pred, target, Some(grad))
    }

    fn unreduced(
        &self,
        pred: &ArrayRef<A, D>,
        target: &ArrayRef<usize, D::Smaller>,
    ) -> Result<Array<A, D::Smaller>> {
        let (q, axis) = self.check(pred, target, None)?;
        Ok(map_lanes(pred, axis, target.view(), |x, &y, _| {
            A::from_f64(gce(x[y].to_f64(), q).0)
        }))
    }
}

/// `(ℓ, ∂ℓ/∂p)` at the target's probability `p`.
#[inline]
fn gce(p: f64, q: f64) -> (f64, f64) {
    let pq = p.powf(q);
    ((1.0 - pq) / q, -pq / p)
}

impl GeneralizedCrossEntropy {
    fn run<A: Float, D: Dimension>(
        &self,
        pred: &ArrayRef<A, D>,
        target: &ArrayRef<usize, D::Smaller>,
        grad: Option<&mut ArrayRef<A, D>>,
    ) -> Result<A> {
        let (q, axis) = self.check(pred, target, grad.as_deref())?;
        let (lanes, batch) = lane_counts(pred, axis);
        let (scale, denominator) = crate::reduction::scale::<A>(
            self.reduction,
            true,
            lanes as f64,
            batch,
            "the input is empty",
        )?;
        let scale = scale.to_f64();
        let total = sum_lanes(pred, axis, target.view(), grad, |x, &y, g| {
            let (v, d) = gce(x[y].to_f64(), q);
            if let Some(g) = g {
                g.fill(A::zero());
                // p^{q−1} as p^q/p is NaN at p = 0; the derivative is −∞ there.
                g[y] = A::from_f64(if x[y] == A::zero() {
                    f64::NEG_INFINITY
                } else {
                    scale * d
                });
            }
            A::from_f64(v)
        });
        Ok(total / denominator)
    }
}

impl crate::loss::CheckSettings for GeneralizedCrossEntropy {
    fn check_settings(&self) -> Result<()> {
        self.checked_q().map(drop)
    }
}
crate::loss::loss_builders!(GeneralizedCrossEntropy);

getters!(CategoricalFocal = "ndloss::loss::CategoricalFocal::new()" {
    get_alpha => alpha(0.5): f64 = 0.5,
    get_gamma => gamma(1.5): f64 = 1.5,
    get_from_logits => from_logits(true): bool = true,
    get_label_smoothing => label_smoothing(0.1): f64 = 0.1,
});
getters!(GeneralizedCrossEntropy = "ndloss::loss::GeneralizedCrossEntropy::new()" { get_q => q(0.7): f64 = 0.7 });
