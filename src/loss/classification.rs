//! Classification losses: softmax cross-entropy over classes, and binary
//! cross-entropy on probabilities or logits.

use ndarray::{Array1, ArrayBase, ArrayRef, Data, Ix1, Ix2};

use crate::error::{check_hyper, Error, Result};
use crate::float::Float;
use crate::kernel::elementwise::{PointMath, WeightedMean};
use crate::kernel::rowwise::{map_rows, sum_rows, RowMath};
use crate::kernel::sum::{map_into_sum, map_sum, max_slice};
use crate::loss::regression::counted_elementwise;
use crate::loss::{elementwise_loss, loss_builders, Elementwise, Loss, Reduction};

/// Softmax cross-entropy from logits, with class-index or probability targets.
///
/// With `logp = log_softmax(x)` over each row of the `(N, C)` logits, class
/// weights `w` (default 1) and label smoothing `ε`:
///
/// ```text
/// index target y:        ℓᵢ = (1 − ε)·w_y·(−logp_y) + (ε/C)·Σ_c w_c·(−logp_c)
///   mean: Σᵢ ℓᵢ / Σᵢ w_{yᵢ}   (ignored rows count in neither sum)
/// probability target t:  t'_c = (1 − ε)·t_c + ε/C,   ℓᵢ = Σ_c w_c·t'_c·(−logp_c)
///   mean: Σᵢ ℓᵢ / N
/// gradient:              ∂ℓᵢ/∂x_c = softmax_c·Σ_k w_k·q_k − w_c·q_c   (q = the smoothed one-hot or t')
/// ```
///
/// The log-softmax is computed as `x − max − ln Σ exp(x − max)`: finite for any
/// finite logits (±1e4 included), never `log(0)`.
///
/// | parameter | default | range |
/// | --- | --- | --- |
/// | `reduction` | `Mean` | `Mean`, `Sum` |
/// | `class_weights` | none (all 1) | length C, finite, ≥ 0 |
/// | `label_smoothing` | 0 | [0, 1] |
/// | `ignore_index` | none | any `usize` (may lie outside `0..C`); index targets only |
///
/// Implements [`Loss<A, Ix2, usize, Ix1>`](Loss) (class indices, `Array1<usize>`)
/// and [`Loss<A, Ix2>`](Loss) (probabilities, same shape as the logits); the
/// target's type picks the mode. [`unreduced`](Loss::unreduced) gives one
/// value per sample (0 for ignored samples).
///
/// PyTorch: `torch.nn.CrossEntropyLoss(weight, ignore_index, reduction,
/// label_smoothing)` / `F.cross_entropy`, same values, gradients and
/// denominators: the weighted mean divides by the sum of the picked weights;
/// with probability targets it divides by N. Differences: a mean in which every
/// target is ignored (or the picked weights sum to 0) is an
/// [`Error::EmptyReduction`] where PyTorch returns NaN; negative class weights
/// are rejected. Keras `CategoricalCrossentropy(from_logits=True)` equals the
/// probability-target mode.
///
/// # Examples
///
/// ```
/// use ndarray::array;
/// use ndloss::prelude::*;
///
/// let logits = array![[2.0_f64, 0.0], [0.0, 0.0]];
/// let classes = array![0_usize, 1];
/// let (value, grad) = CrossEntropy::new().forward_grad(&logits, &classes)?;
/// let p = 1.0 / (1.0 + (-2.0_f64).exp()); // softmax of the first row, class 0
/// assert!((value - (-(p.ln()) + 2.0_f64.ln()) / 2.0).abs() < 1e-12);
/// assert!((grad[[0, 0]] - (p - 1.0) / 2.0).abs() < 1e-12);
///
/// // Soft targets, label smoothing, weights and an ignored class.
/// let soft = array![[0.9, 0.1], [0.5, 0.5]];
/// let _ = CrossEntropy::new().label_smoothing(0.1).forward(&logits, &soft)?;
/// let padded = array![0_usize, usize::MAX];
/// let ce = CrossEntropy::new().class_weights(array![1.0, 3.0]).ignore_index(usize::MAX);
/// assert!((ce.forward(&logits, &padded)? + p.ln()).abs() < 1e-12); // only row 0 counts
/// # Ok::<(), ndloss::Error>(())
/// ```
///
/// # Errors
///
/// - [`Error::ShapeMismatch`]: index targets not of length N; probability
///   targets or the gradient buffer not shaped like the logits;
///   `class_weights` not of length C.
/// - [`Error::ClassOutOfRange`]: a target `≥ C` that is not the ignore index.
/// - [`Error::InvalidHyperparameter`]: `label_smoothing` outside [0, 1];
///   a negative or non-finite class weight; `ignore_index` with probability targets.
/// - [`Error::EmptyReduction`]: a mean over no rows, or over zero total weight.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CrossEntropy {
    reduction: Reduction,
    label_smoothing: f64,
    class_weights: Option<Vec<f64>>,
    ignore_index: Option<usize>,
}

impl CrossEntropy {
    /// Cross-entropy with mean reduction, no weights, no smoothing, nothing ignored.
    pub fn new() -> Self {
        Self::default()
    }

    /// Mixes the target with the uniform distribution: `t' = (1 − ε)·t + ε/C`.
    #[must_use]
    pub fn label_smoothing(mut self, epsilon: f64) -> Self {
        self.label_smoothing = epsilon;
        self
    }

    /// A weight per class (length C), PyTorch's `weight`.
    #[must_use]
    pub fn class_weights<S>(mut self, weights: ArrayBase<S, Ix1>) -> Self
    where
        S: Data,
        S::Elem: Float,
    {
        self.class_weights = Some(weights.iter().map(|w| w.to_f64()).collect());
        self
    }

    /// Samples whose target equals `index` contribute nothing, to the loss or
    /// to the mean's denominator. The index may be outside `0..C` (a padding
    /// marker such as `usize::MAX`).
    #[must_use]
    pub fn ignore_index(mut self, index: usize) -> Self {
        self.ignore_index = Some(index);
        self
    }

    /// Validates the options against `C` classes.
    fn checked<A: Float>(&self, classes: usize) -> Result<Setup<'_, A>> {
        let eps = self.label_smoothing;
        check_hyper(
            "label_smoothing",
            eps,
            (0.0..=1.0).contains(&eps),
            "a value in [0, 1]",
        )?;
        if let Some(w) = &self.class_weights {
            if w.len() != classes {
                return Err(Error::ShapeMismatch {
                    what: "class_weights",
                    expected: vec![classes],
                    found: vec![w.len()],
                });
            }
            for &v in w {
                check_hyper(
                    "class_weights",
                    v,
                    v.is_finite() && v >= 0.0,
                    "finite weights >= 0",
                )?;
            }
        }
        let weights = self.class_weights.as_deref();
        let weight_sum = weights.map_or(classes as f64, |w| w.iter().sum());
        Ok(Setup {
            weights,
            eps: A::from_f64(eps),
            eps_over_c: A::from_f64(eps / classes as f64),
            weight_sum: A::from_f64(weight_sum),
        })
    }

    fn weight<A: Float>(weights: Option<&[f64]>, c: usize) -> A {
        weights.map_or(A::one(), |w| A::from_f64(w[c]))
    }

    /// Checks index targets; returns the mean's denominator `Σ w_{yᵢ}` over kept rows.
    fn check_indices(
        &self,
        targets: &ArrayRef<usize, Ix1>,
        rows: usize,
        classes: usize,
        weights: Option<&[f64]>,
    ) -> Result<f64> {
        if targets.len() != rows {
            return Err(Error::ShapeMismatch {
                what: "target",
                expected: vec![rows],
                found: targets.shape().to_vec(),
            });
        }
        let mut total = 0.0;
        for (sample, &class) in targets.iter().enumerate() {
            if Some(class) == self.ignore_index {
                continue;
            }
            if class >= classes {
                return Err(Error::ClassOutOfRange {
                    sample,
                    class,
                    num_classes: classes,
                });
            }
            total += weights.map_or(1.0, |w| w[class]);
        }
        Ok(total)
    }

    /// Validates everything for index targets and returns the row function
    /// and the mean's denominator.
    fn index_rows<'a, A: Float>(
        &'a self,
        pred: &ArrayRef<A, Ix2>,
        targets: &'a ArrayRef<usize, Ix1>,
        grad: Option<&ArrayRef<A, Ix2>>,
        reduced: bool,
    ) -> Result<(impl RowMath<A> + 'a, A)> {
        let (rows, classes) = pred.dim();
        let setup = self.checked::<A>(classes)?;
        let denominator = self.check_indices(targets, rows, classes, setup.weights)?;
        if let Some(g) = grad {
            crate::kernel::check_same_shape("gradient buffer", pred, g)?;
        }
        let empty = "every target is ignored or has weight 0";
        let (scale, denominator) = reduction_scale(self.reduction, reduced, denominator, empty)?;
        let ignore = self.ignore_index;
        let row = move |i: usize, x: &[A], _: &[A], g: Option<&mut [A]>| -> A {
            let y = targets[i];
            if Some(y) == ignore {
                if let Some(g) = g {
                    g.fill(A::zero());
                }
                return A::zero();
            }
            setup.index_row(x, y, g, scale)
        };
        Ok((row, denominator))
    }

    /// Validates everything for probability targets and returns the row
    /// function and the mean's denominator.
    fn prob_rows<A: Float>(
        &self,
        pred: &ArrayRef<A, Ix2>,
        targets: &ArrayRef<A, Ix2>,
        grad: Option<&ArrayRef<A, Ix2>>,
        reduced: bool,
    ) -> Result<(impl RowMath<A> + '_, A)> {
        let (rows, classes) = pred.dim();
        let setup = self.checked::<A>(classes)?;
        if let Some(index) = self.ignore_index {
            return Err(Error::InvalidHyperparameter {
                name: "ignore_index",
                value: index as f64,
                expected: "no ignore_index with probability targets (as in PyTorch)",
            });
        }
        crate::kernel::check_same_shape("target", pred, targets)?;
        if let Some(g) = grad {
            crate::kernel::check_same_shape("gradient buffer", pred, g)?;
        }
        let (scale, denominator) =
            reduction_scale(self.reduction, reduced, rows as f64, "the batch is empty")?;
        let row =
            move |_: usize, x: &[A], t: &[A], g: Option<&mut [A]>| setup.prob_row(x, t, g, scale);
        Ok((row, denominator))
    }
}
loss_builders!(CrossEntropy);

/// `(gradient scale, denominator)` of a reduction: `(1/d, d)` for a mean over
/// a total weight `d`, `(1, 1)` for a sum or no reduction.
fn reduction_scale<A: Float>(
    reduction: Reduction,
    reduced: bool,
    denominator: f64,
    empty: &'static str,
) -> Result<(A, A)> {
    match reduction {
        Reduction::Mean if reduced && denominator == 0.0 => {
            Err(Error::EmptyReduction { what: empty })
        }
        Reduction::Mean if reduced => {
            let d = A::from_f64(denominator);
            Ok((A::one() / d, d))
        }
        _ => Ok((A::one(), A::one())),
    }
}

/// Validated options, converted to `A`.
struct Setup<'w, A> {
    weights: Option<&'w [f64]>,
    eps: A,
    eps_over_c: A,
    weight_sum: A,
}

impl<A: Float> Setup<'_, A> {
    /// `(m, ln Σ exp(x − m))` for a row; fills `g` with `exp(x − m)` if given.
    #[inline]
    fn log_sum_exp(x: &[A], g: Option<&mut [A]>) -> (A, A, A) {
        let m = max_slice(x);
        let s = match g {
            Some(g) => map_into_sum(x, g, |v| (v - m).exp_fast()),
            None => map_sum(x, |v| (v - m).exp_fast()),
        };
        (m, s.ln(), s)
    }

    fn index_row(&self, x: &[A], y: usize, g: Option<&mut [A]>, scale: A) -> A {
        let mut g = g;
        let (m, ln_s, s) = Self::log_sum_exp(x, g.as_deref_mut());
        // −logp_c = (m − x_c) + ln s: exact for the maximal logit.
        let nll_y = (m - x[y]) + ln_s;
        let w_y: A = CrossEntropy::weight(self.weights, y);
        let one = A::one();
        let mut value = w_y * nll_y;
        if self.eps > A::zero() {
            let smooth = match self.weights {
                None => map_sum(x, |v| (m - v) + ln_s),
                Some(w) => x.iter().zip(w).fold(A::zero(), |acc, (&v, &wc)| {
                    acc + A::from_f64(wc) * ((m - v) + ln_s)
                }),
            };
            value = (one - self.eps) * value + self.eps_over_c * smooth;
        }
        if let Some(g) = g {
            // g_c = scale·[softmax_c·((1−ε)w_y + (ε/C)Σw) − (ε/C)w_c − [c=y](1−ε)w_y]
            let a = scale * ((one - self.eps) * w_y + self.eps_over_c * self.weight_sum) / s;
            let b = scale * self.eps_over_c;
            match self.weights {
                None => g.iter_mut().for_each(|e| *e = a * *e - b),
                Some(w) => g
                    .iter_mut()
                    .zip(w)
                    .for_each(|(e, &wc)| *e = a * *e - b * A::from_f64(wc)),
            }
            g[y] = g[y] - scale * (one - self.eps) * w_y;
        }
        value
    }

    fn prob_row(&self, x: &[A], t: &[A], g: Option<&mut [A]>, scale: A) -> A {
        let mut g = g;
        let (m, ln_s, s) = Self::log_sum_exp(x, g.as_deref_mut());
        let one = A::one();
        // q_c = w_c·t'_c; value = Σ q_c·(−logp_c); total weight T = Σ q_c.
        let q = |c: usize, tc: A| {
            CrossEntropy::weight::<A>(self.weights, c) * ((one - self.eps) * tc + self.eps_over_c)
        };
        let mut value = A::zero();
        let mut total = A::zero();
        for (c, (&xc, &tc)) in x.iter().zip(t).enumerate() {
            let qc = q(c, tc);
            value = value + qc * ((m - xc) + ln_s);
            total = total + qc;
        }
        if let Some(g) = g {
            let a = scale * total / s;
            for (c, (e, &tc)) in g.iter_mut().zip(t).enumerate() {
                *e = a * *e - scale * q(c, tc);
            }
        }
        value
    }
}

/// Implements both target modes on top of a `rows` method that validates and
/// returns the row function.
macro_rules! cross_entropy_impl {
    ($target:ty, $tdim:ty, $rows:ident, $as_matrix:expr) => {
        impl<A: Float> Loss<A, Ix2, $target, $tdim> for CrossEntropy {
            type Unreduced = Ix1;

            fn forward(
                &self,
                pred: &ArrayRef<A, Ix2>,
                target: &ArrayRef<$target, $tdim>,
            ) -> Result<A> {
                let (mut row, denominator) = self.$rows(pred, target, None, true)?;
                Ok(sum_rows(pred, $as_matrix(target), None, &mut row) / denominator)
            }

            fn forward_grad_into(
                &self,
                pred: &ArrayRef<A, Ix2>,
                target: &ArrayRef<$target, $tdim>,
                grad: &mut ArrayRef<A, Ix2>,
            ) -> Result<A> {
                let (mut row, denominator) = self.$rows(pred, target, Some(grad), true)?;
                Ok(sum_rows(pred, $as_matrix(target), Some(grad), &mut row) / denominator)
            }

            fn unreduced(
                &self,
                pred: &ArrayRef<A, Ix2>,
                target: &ArrayRef<$target, $tdim>,
            ) -> Result<Array1<A>> {
                let (mut row, _) = self.$rows(pred, target, None, false)?;
                Ok(map_rows(pred, $as_matrix(target), &mut row))
            }
        }
    };
}

fn no_matrix<A>(_: &ArrayRef<usize, Ix1>) -> Option<&ArrayRef<A, Ix2>> {
    None
}

cross_entropy_impl!(usize, Ix1, index_rows, no_matrix);
cross_entropy_impl!(A, Ix2, prob_rows, Some);

/// Binary cross-entropy on probabilities.
///
/// ```text
/// ℓᵢ = −[tᵢ·max(ln pᵢ, −100) + (1 − tᵢ)·max(ln(1 − pᵢ), −100)]
/// ∂ℓᵢ/∂pᵢ = (pᵢ − tᵢ) / max((1 − pᵢ)·pᵢ, 1e-12)     (1e-12 rounded to f32, as PyTorch)
/// ```
///
/// The logarithms are clamped at −100 exactly as PyTorch does, so `p = 0`
/// with `t = 1` gives 100, not ∞. Prefer [`BceWithLogits`] when you have
/// logits: it is exact where this one clamps.
///
/// | parameter | default | range |
/// | --- | --- | --- |
/// | `reduction` | `Mean` | `Mean`, `Sum` |
///
/// PyTorch: `torch.nn.BCELoss(weight)` / `F.binary_cross_entropy`; the
/// per-element `weight` through [`WeightedLoss`](crate::loss::WeightedLoss)
/// (mean over the element count, as PyTorch). Keras'
/// `BinaryCrossentropy` clips `p` to [1e-7, 1 − 1e-7] instead (16.1 rather than
/// 100 for a certain miss).
///
/// # Examples
///
/// ```
/// use ndarray::array;
/// use ndloss::prelude::*;
///
/// let value = Bce::new().forward(&array![0.9_f64, 0.0], &array![1.0, 1.0])?;
/// assert!((value - (-(0.9_f64.ln()) + 100.0) / 2.0).abs() < 1e-12);
/// # Ok::<(), ndloss::Error>(())
/// ```
///
/// # Errors
///
/// As [`Mse`](crate::loss::Mse), plus [`Error::InvalidValue`] for a prediction
/// outside [0, 1] (NaN propagates).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Bce {
    reduction: Reduction,
}

impl Bce {
    /// Binary cross-entropy with mean reduction.
    pub fn new() -> Self {
        Self::default()
    }

    fn checked_math<A: Float>(&self) -> Result<BceMath<A>> {
        Ok(BceMath(std::marker::PhantomData))
    }
}
counted_elementwise!(Bce, BceMath);

#[derive(Clone, Copy)]
pub(crate) struct BceMath<A>(std::marker::PhantomData<A>);

/// `max(x, lo)` that keeps NaN.
#[inline(always)]
fn at_least<A: Float>(x: A, lo: A) -> A {
    if x < lo {
        lo
    } else {
        x
    }
}

impl<A: Float> PointMath<A> for BceMath<A> {
    fn pred_domain(self) -> Option<crate::kernel::elementwise::Domain<A>> {
        Some((
            |p| !(p < A::zero() || p > A::one()),
            "a probability in [0, 1]",
        ))
    }
    #[inline(always)]
    fn value(self, p: A, t: A) -> A {
        let lo = A::from_f64(-100.0);
        (t - A::one()) * at_least((-p).ln_1p(), lo) - t * at_least(p.ln(), lo)
    }
    #[inline(always)]
    fn value_grad(self, p: A, t: A) -> (A, A) {
        // PyTorch's floor is the f32 value of 1e-12 for every dtype
        // (9.99999996e-13): matching it matters at p = 0 or 1.
        let d = (p - t) / at_least((A::one() - p) * p, A::from_f64(f64::from(1e-12_f32)));
        (self.value(p, t), d)
    }
}

/// Binary cross-entropy on logits, stable for any logit.
///
/// With `lw = 1 + (pos_weight − 1)·t` (1 without `pos_weight`):
///
/// ```text
/// ℓᵢ = (1 − tᵢ)·xᵢ − lw·log σ(xᵢ),    log σ(x) = min(x, 0) − ln(1 + e^{−|x|})
///    = −[pos_weight·t·log σ(x) + (1 − t)·log(1 − σ(x))]
/// ∂ℓᵢ/∂xᵢ = lw·σ(xᵢ) − pos_weight·tᵢ
/// ```
///
/// Never forms `σ(x)` before the logarithm, so ±1e4 logits give exact finite
/// values where sigmoid-then-BCE gives ∞ or NaN.
///
/// | parameter | default | range |
/// | --- | --- | --- |
/// | `reduction` | `Mean` | `Mean`, `Sum` |
/// | `pos_weight` | none (1) | finite, ≥ 0: one scalar, or one per class (`pos_weights`) |
///
/// PyTorch: `torch.nn.BCEWithLogitsLoss(weight, pos_weight)`; per-element
/// `weight` through [`WeightedLoss`](crate::loss::WeightedLoss) (mean over the
/// element count, as PyTorch). Keras: `BinaryCrossentropy(from_logits=True)`; optax:
/// `sigmoid_binary_cross_entropy` (unreduced).
///
/// # Examples
///
/// ```
/// use ndarray::array;
/// use ndloss::prelude::*;
///
/// let x = array![10_000.0_f32, -10_000.0];
/// let t = array![0.0_f32, 1.0];
/// assert_eq!(BceWithLogits::new().forward(&x, &t)?, 10_000.0); // finite: (1e4 + 1e4) / 2
/// let v = BceWithLogits::new().pos_weight(3.0).forward(&array![0.0_f64], &array![1.0])?;
/// assert!((v - 3.0 * 2.0_f64.ln()).abs() < 1e-12);
/// # Ok::<(), ndloss::Error>(())
/// ```
///
/// # Errors
///
/// As [`Mse`](crate::loss::Mse), plus [`Error::InvalidHyperparameter`] for a
/// negative or non-finite `pos_weight`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BceWithLogits {
    reduction: Reduction,
    pos_weight: Option<f64>,
    pos_weights: Option<Vec<f64>>,
}

impl BceWithLogits {
    /// BCE-with-logits with mean reduction and no positive weight.
    pub fn new() -> Self {
        Self::default()
    }

    /// Weight of the positive term, one scalar for all outputs: above 1
    /// favours recall, below 1 precision.
    #[must_use]
    pub fn pos_weight(mut self, pos_weight: f64) -> Self {
        self.pos_weight = Some(pos_weight);
        self.pos_weights = None;
        self
    }

    /// One positive weight per class, broadcast along the last axis
    /// (PyTorch's `pos_weight` tensor of shape `(C,)` for `(…, C)` logits).
    #[must_use]
    pub fn pos_weights<S>(mut self, pos_weights: ArrayBase<S, Ix1>) -> Self
    where
        S: Data,
        S::Elem: Float,
    {
        self.pos_weights = Some(pos_weights.iter().map(|w| w.to_f64()).collect());
        self.pos_weight = None;
        self
    }

    fn checked_math<A: Float>(&self) -> Result<BceLogitsMath<A>> {
        let check = |pw: f64| {
            check_hyper(
                "pos_weight",
                pw,
                pw.is_finite() && pw >= 0.0,
                "a finite value >= 0",
            )
        };
        if let Some(ws) = &self.pos_weights {
            ws.iter().try_for_each(|&w| check(w).map(|_| ()))?;
        }
        let pw = match self.pos_weight {
            None => None,
            Some(pw) => Some(A::from_f64(check(pw)?)),
        };
        Ok(BceLogitsMath {
            pos_weight: pw,
            per_class: self.pos_weights.is_some(),
        })
    }
}

impl Elementwise for BceWithLogits {
    type Math<A: Float> = BceLogitsMath<A>;
    const WEIGHTED_MEAN: WeightedMean = WeightedMean::Count;
    fn math<A: Float>(&self) -> Result<BceLogitsMath<A>> {
        self.checked_math()
    }
    fn reduction_mode(&self) -> Reduction {
        self.reduction
    }
    fn last_axis_aux<A: Float>(&self) -> Option<Vec<A>> {
        self.pos_weights
            .as_ref()
            .map(|w| w.iter().map(|&x| A::from_f64(x)).collect())
    }
}
loss_builders!(BceWithLogits);
elementwise_loss!(BceWithLogits);

#[derive(Clone, Copy)]
pub(crate) struct BceLogitsMath<A> {
    pos_weight: Option<A>,
    per_class: bool,
}

impl<A: Float> BceLogitsMath<A> {
    /// `(log σ(x), σ(x))` without overflow.
    #[inline(always)]
    fn log_sigmoid(x: A) -> (A, A) {
        let e = (-x.abs()).exp();
        let one = A::one();
        let log_sig = (if x < A::zero() { x } else { A::zero() }) - e.ln_1p();
        let sig = if x < A::zero() {
            e / (one + e)
        } else {
            one / (one + e)
        };
        (log_sig, sig)
    }
}

impl<A: Float> PointMath<A> for BceLogitsMath<A> {
    #[inline(always)]
    fn value(self, x: A, t: A) -> A {
        self.value_grad(x, t).0
    }
    #[inline(always)]
    fn value_grad_aux(self, x: A, t: A, pw: A) -> (A, A) {
        if self.per_class {
            BceLogitsMath {
                pos_weight: Some(pw),
                per_class: false,
            }
            .value_grad(x, t)
        } else {
            self.value_grad(x, t)
        }
    }
    #[inline(always)]
    fn value_grad(self, x: A, t: A) -> (A, A) {
        let one = A::one();
        let (log_sig, sig) = Self::log_sigmoid(x);
        match self.pos_weight {
            None => ((one - t) * x - log_sig, sig - t),
            Some(pw) => {
                let lw = one + (pw - one) * t;
                ((one - t) * x - lw * log_sig, lw * sig - pw * t)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn cross_entropy_with_smoothing_by_hand() {
        // One row, logits (0, ln 3): softmax = (1/4, 3/4), −logp = (ln 4, ln 4/3).
        let x = array![[0.0_f64, 3.0_f64.ln()]];
        let (nll0, nll1) = (4.0_f64.ln(), (4.0_f64 / 3.0).ln());
        let eps = 0.2;
        // ℓ = (1 − ε)·nll_y + (ε/C)·Σ_c nll_c with y = 0, C = 2.
        let expected = 0.8 * nll0 + 0.1 * (nll0 + nll1);
        let ce = CrossEntropy::new().label_smoothing(eps);
        let (v, g) = ce.forward_grad(&x, &array![0_usize]).unwrap();
        assert!((v - expected).abs() < 1e-15);
        // ∂/∂x_c = p_c − t'_c with t' = (0.9, 0.1).
        assert!((g[[0, 0]] - (0.25 - 0.9)).abs() < 1e-15);
        assert!((g[[0, 1]] - (0.75 - 0.1)).abs() < 1e-15);
        // The same as probability targets (0.9, 0.1) without smoothing.
        let soft = CrossEntropy::new()
            .forward(&x, &array![[0.9, 0.1]])
            .unwrap();
        assert!((soft - expected).abs() < 1e-15);
    }

    #[test]
    fn weighted_mean_divides_by_picked_weights() {
        let x = array![[0.0_f64, 0.0], [0.0, 0.0], [5.0, 1.0]];
        let y = array![0_usize, 1, 7];
        let ce = CrossEntropy::new()
            .class_weights(array![1.0, 3.0])
            .ignore_index(7);
        // Both kept rows have −logp = ln 2; weights 1 and 3; denominator 4.
        let v: f64 = ce.forward(&x, &y).unwrap();
        assert!((v - 2.0_f64.ln()).abs() < 1e-15);
        let per_sample = ce.unreduced(&x, &y).unwrap();
        assert!((per_sample[1] - 3.0 * 2.0_f64.ln()).abs() < 1e-15);
        assert_eq!(per_sample[2], 0.0);
        let (_, g) = ce.reduction(Reduction::Sum).forward_grad(&x, &y).unwrap();
        assert_eq!(g.row(2), array![0.0, 0.0]);
        assert!((g[[1, 1]] - 3.0 * (0.5 - 1.0)).abs() < 1e-15);
    }

    #[test]
    fn huge_logits_stay_finite() {
        let x = array![[1e4_f32, -1e4, 0.0], [-1e4, 1e4, 1e4]];
        let (v, g) = CrossEntropy::new()
            .forward_grad(&x, &array![1_usize, 0])
            .unwrap();
        assert_eq!(v, 2e4 / 2.0 + (2e4 + 2.0_f32.ln()) / 2.0);
        assert!(g.iter().all(|d| d.is_finite()));
        let (v, g) = BceWithLogits::new()
            .forward_grad(&array![1e4_f32, -1e4, 40.0], &array![1.0, 1.0, 0.0])
            .unwrap();
        assert_eq!(v, (0.0 + 1e4 + 40.0) / 3.0);
        assert_eq!(g, array![0.0, -1.0 / 3.0, 1.0 / 3.0]);
    }

    #[test]
    fn bce_clamps_logs_at_minus_100() {
        let (v, g) = Bce::new()
            .reduction(Reduction::Sum)
            .forward_grad(&array![0.0_f64, 1.0, 1.0], &array![1.0, 0.0, 1.0])
            .unwrap();
        assert_eq!(v, 200.0);
        let floor = f64::from(1e-12_f32);
        assert_eq!(g, array![-1.0 / floor, 1.0 / floor, 0.0]);
    }
}
