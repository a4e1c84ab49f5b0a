//! Keras' categorical losses over the last axis: the focal cross-entropy
//! ([`CategoricalFocal`]) and the generalized cross-entropy
//! ([`GeneralizedCrossEntropy`]). Their class axis is the last one, as
//! Keras' (`axis=-1`), where the PyTorch-anchored losses of this family
//! take axis 1; for `(N, C)` the two are the same.

use ndarray::{ArrayRef, Axis, Dimension};

use crate::error::{check_hyper, Error, Result};
use crate::float::Float;
use crate::loss::lanes::{
    check_entries, index_lane_loss, lanewise_loss, IndexLaneMath, IndexLanewise, LaneMath, Lanewise,
};
use crate::loss::Reduction;

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
}

impl IndexLanewise for GeneralizedCrossEntropy {
    type Math<A: Float> = GceMath;
    fn math<A: Float>(&self) -> Result<GceMath> {
        Ok(GceMath {
            q: self.checked_q()?,
        })
    }
    fn lane_reduction(&self) -> Reduction {
        self.reduction
    }
    fn check_values<A: Float, D: Dimension>(&self, pred: &ArrayRef<A, D>) -> Result<()> {
        check_entries(
            pred,
            |x| (0.0..=1.0).contains(&x),
            "a probability in [0, 1]",
        )
    }
}
index_lane_loss!(GeneralizedCrossEntropy);

#[derive(Clone, Copy)]
pub(crate) struct GceMath {
    q: f64,
}

impl<A: Float> IndexLaneMath<A> for GceMath {
    fn lane(&self, x: &[A], y: usize, g: Option<&mut [A]>, scale: A) -> A {
        let p = x[y].to_f64();
        let pq = p.powf(self.q);
        if let Some(g) = g {
            g.fill(A::zero());
            // p^{q−1} as p^q/p is NaN at p = 0; the derivative is −∞ there.
            g[y] = A::from_f64(if p == 0.0 {
                f64::NEG_INFINITY
            } else {
                -scale.to_f64() * pq / p
            });
        }
        A::from_f64((1.0 - pq) / self.q)
    }
}

getters!(CategoricalFocal = "ndloss::loss::CategoricalFocal::new()" {
    get_alpha => alpha(0.5): f64 = 0.5,
    get_gamma => gamma(1.5): f64 = 1.5,
    get_from_logits => from_logits(true): bool = true,
    get_label_smoothing => label_smoothing(0.1): f64 = 0.1,
});
getters!(GeneralizedCrossEntropy = "ndloss::loss::GeneralizedCrossEntropy::new()" { get_q => q(0.7): f64 = 0.7 });

/// The sparsemax loss of Martins and Astudillo (2016), optax's
/// `multiclass_sparsemax_loss`: the loss whose gradient is sparsemax minus
/// the one-hot target, as softmax cross-entropy's is softmax minus it.
///
/// With `p = sparsemax(x)`, the Euclidean projection of the lane onto the
/// probability simplex (`pₖ = max(xₖ − τ, 0)`, `τ` such that `Σ pₖ = 1`):
///
/// ```text
/// ℓ = Σₖ pₖ·(xₖ − x_y) + ½·(1 − Σₖ pₖ²) ≥ 0,    ∂ℓ/∂x = p − e_y
/// ```
///
/// `ℓ = 0` exactly when `p = e_y`, so unlike cross-entropy it reaches 0 at
/// a finite margin, and `p` has exact zeros. `τ` is found without sorting
/// (Michelot's algorithm: at most `C` passes over the lane, usually two or
/// three), so nothing is allocated. The lanes are along the last axis, with
/// class-index targets shaped like the prediction without it. One value per
/// lane unreduced.
///
/// | parameter | default | range |
/// | --- | --- | --- |
/// | `reduction` | `Mean` | `Mean` (over lanes), `Sum`, `BatchMean` (over the first axis) |
///
/// optax: `multiclass_sparsemax_loss(scores, labels)` averaged is `Mean`
/// (the binary `sparsemax_loss` is [`BinarySparsemax`](crate::loss::BinarySparsemax)).
///
/// # Examples
///
/// ```
/// use ndarray::array;
/// use ndloss::prelude::*;
///
/// // sparsemax([1, 0.2, −1]) = [0.9, 0.1, 0]: τ = 0.1.
/// let x = array![[1.0_f64, 0.2, -1.0]];
/// let (v, g) = Sparsemax::new().forward_grad(&x, &array![0_usize])?;
/// assert!((v - (0.1 * -0.8 + 0.5 * (1.0 - 0.82))).abs() < 1e-15);
/// assert!((g[[0, 0]] + 0.1).abs() < 1e-15 && (g[[0, 1]] - 0.1).abs() < 1e-15);
/// assert_eq!(g[[0, 2]], 0.0);
/// # Ok::<(), ndloss::Error>(())
/// ```
///
/// # Errors
///
/// [`Error::ShapeMismatch`] for a 0-d prediction or an empty last axis, a
/// target not shaped like the prediction without its last axis, or a
/// gradient buffer not shaped like the prediction;
/// [`Error::ClassOutOfRange`] for a class not below `C` (`sample` is the
/// lane's flat index); [`Error::EmptyReduction`] for a mean over no lanes.
/// On error nothing is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Sparsemax {
    reduction: Reduction,
}

impl Sparsemax {
    /// The sparsemax loss with the mean over lanes.
    pub fn new() -> Self {
        Self::default()
    }
}

impl IndexLanewise for Sparsemax {
    type Math<A: Float> = SparsemaxMath;
    fn math<A: Float>(&self) -> Result<SparsemaxMath> {
        Ok(SparsemaxMath)
    }
    fn lane_reduction(&self) -> Reduction {
        self.reduction
    }
}
index_lane_loss!(Sparsemax);

/// The threshold `τ` of the projection of `x` onto the simplex: `Σₖ max(xₖ −
/// τ, 0) = 1`. Michelot's algorithm: `τ` of the current support, then the
/// support of that `τ`, until it stops shrinking (each pass drops at least
/// one entry or ends). NaN for a lane with a NaN or an infinity.
pub(crate) fn sparsemax_threshold<A: Float>(x: &[A]) -> f64 {
    let (mut sum, mut count) = (0.0, 0_usize);
    for &v in x {
        sum += v.to_f64();
        count += 1;
    }
    let mut tau = (sum - 1.0) / count as f64;
    for _ in 0..x.len() {
        let (mut s, mut c) = (0.0, 0_usize);
        for &v in x {
            let v = v.to_f64();
            if v > tau {
                s += v;
                c += 1;
            }
        }
        if c == count || c == 0 {
            break;
        }
        (sum, count) = (s, c);
        tau = (sum - 1.0) / count as f64;
    }
    if tau.is_finite() {
        tau
    } else {
        f64::NAN
    }
}

#[derive(Clone, Copy)]
pub(crate) struct SparsemaxMath;

impl<A: Float> IndexLaneMath<A> for SparsemaxMath {
    fn lane(&self, x: &[A], y: usize, g: Option<&mut [A]>, scale: A) -> A {
        let tau = sparsemax_threshold(x);
        let xy = x[y].to_f64();
        let (mut dot, mut sq) = (0.0, 0.0);
        for &v in x {
            let v = v.to_f64();
            let p = (v - tau).max(0.0);
            if p > 0.0 {
                dot += p * (v - xy);
                sq += p * p;
            }
        }
        if let Some(g) = g {
            let s = scale.to_f64();
            for (k, (d, &v)) in g.iter_mut().zip(x).enumerate() {
                let p = if tau.is_nan() {
                    f64::NAN
                } else {
                    (v.to_f64() - tau).max(0.0)
                };
                *d = A::from_f64(s * (p - if k == y { 1.0 } else { 0.0 }));
            }
        }
        if tau.is_nan() {
            A::nan()
        } else {
            A::from_f64(dot + 0.5 * (1.0 - sq))
        }
    }
}

/// The Poly-1 cross-entropy of Leng et al. (2022), optax's
/// `poly_loss_cross_entropy`: softmax cross-entropy plus `ε` times the
/// first term of its Taylor series in `1 − p`, over lanes of logits with
/// probability targets.
///
/// With `p = softmax(x)` over the lane:
///
/// ```text
/// ℓ = −Σₖ tₖ·ln pₖ + ε·Σₖ tₖ·(1 − pₖ)
/// ∂ℓ/∂xⱼ = pⱼ·Σₖ tₖ − tⱼ + ε·pⱼ·(Σₖ tₖpₖ − tⱼ)
/// ```
///
/// `ε = 0` is the cross-entropy; the paper's best `ε` for ImageNet is 2
/// (optax' default), and negative values down to −1 are meaningful too.
/// The targets are not differentiated and need not sum to 1. One value per
/// lane unreduced.
///
/// | parameter | default | range |
/// | --- | --- | --- |
/// | `epsilon` | 2 | finite |
/// | `reduction` | `Mean` | `Mean` (over lanes), `Sum`, `BatchMean` (over the first axis) |
///
/// optax: `poly_loss_cross_entropy(logits, labels, epsilon)` averaged is
/// `Mean` (`axis=-1`, no `where`).
///
/// # Examples
///
/// ```
/// use ndarray::array;
/// use ndloss::prelude::*;
///
/// let (x, t) = (array![[0.0_f64, 0.0]], array![[1.0, 0.0]]);
/// let v = PolyLoss::new().forward(&x, &t)?;
/// assert!((v - (2.0_f64.ln() + 2.0 * 0.5)).abs() < 1e-15);
/// # Ok::<(), ndloss::Error>(())
/// ```
///
/// # Errors
///
/// [`Error::InvalidHyperparameter`] for a non-finite `epsilon`;
/// [`Error::ShapeMismatch`] for a target or gradient buffer not shaped like
/// the prediction, a 0-d prediction or an empty last axis;
/// [`Error::EmptyReduction`] for a mean over no lanes. On error nothing is
/// written.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PolyLoss {
    epsilon: f64,
    reduction: Reduction,
}

impl Default for PolyLoss {
    fn default() -> Self {
        Self {
            epsilon: 2.0,
            reduction: Reduction::Mean,
        }
    }
}

impl PolyLoss {
    /// optax' defaults: `epsilon = 2`, mean over lanes.
    pub fn new() -> Self {
        Self::default()
    }

    /// The weight of the `1 − p` term (default 2).
    #[must_use]
    pub fn epsilon(mut self, epsilon: f64) -> Self {
        self.epsilon = epsilon;
        self
    }
}

impl Lanewise for PolyLoss {
    type Math<'a, A: Float> = PolyMath;
    fn math<A: Float>(&self, _: Option<usize>) -> Result<PolyMath> {
        let epsilon = check_hyper(
            "epsilon",
            self.epsilon,
            self.epsilon.is_finite(),
            "a finite value",
        )?;
        Ok(PolyMath { epsilon })
    }
    fn lane_reduction(&self) -> Reduction {
        self.reduction
    }
}
lanewise_loss!(PolyLoss);

#[derive(Clone, Copy)]
pub(crate) struct PolyMath {
    epsilon: f64,
}

impl<A: Float> LaneMath<A> for PolyMath {
    fn lane(&self, x: &[A], t: &[A], g: Option<&mut [A]>, scale: A) -> A {
        let m = x.iter().fold(f64::NEG_INFINITY, |m, &v| m.max(v.to_f64()));
        let z: f64 = x.iter().map(|&v| (v.to_f64() - m).exp()).sum();
        let lse = m + z.ln();
        let (mut ce, mut st, mut tp) = (0.0, 0.0, 0.0);
        for (&xk, &tk) in x.iter().zip(t) {
            let (xk, tk) = (xk.to_f64(), tk.to_f64());
            ce += tk * (lse - xk);
            st += tk;
            tp += tk * (xk - lse).exp();
        }
        if let Some(g) = g {
            let s = scale.to_f64();
            for ((d, &xk), &tk) in g.iter_mut().zip(x).zip(t) {
                let (p, tk) = ((xk.to_f64() - lse).exp(), tk.to_f64());
                *d = A::from_f64(s * (p * st - tk + self.epsilon * p * (tp - tk)));
            }
        }
        A::from_f64(ce + self.epsilon * (st - tp))
    }
}

getters!(PolyLoss = "ndloss::loss::PolyLoss::new()" { get_epsilon => epsilon(1.0): f64 = 1.0 });
