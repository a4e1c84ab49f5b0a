//! Overlap losses for segmentation: the soft Dice loss and its Tversky and
//! generalized (class-frequency weighted) forms, [`Dice`].

use ndarray::{Array2, ArrayRef, ArrayViewD, ArrayViewMutD, Axis, Dimension, Zip};

use crate::error::{check_hyper, Error, Result};
use crate::float::Float;
use crate::kernel::check_same_shape;
use crate::loss::{loss_builders, Loss, Reduction};

/// What the prediction of a [`Dice`] loss holds, and so how it becomes
/// probabilities.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum DiceInput {
    /// Logits, turned into probabilities by a softmax over the class axis
    /// (a sigmoid when there is one class, as optax). The default.
    #[default]
    Softmax,
    /// Logits, each through its own sigmoid (multi-label segmentation).
    Sigmoid,
    /// Probabilities in [0, 1], used as they are.
    Probabilities,
}

/// How the classes of a [`Dice`] loss are weighted.
#[derive(Debug, Clone, PartialEq, Default)]
enum Weighting {
    #[default]
    Equal,
    Given(Vec<f64>),
    /// `1/(f_c² + 10⁻⁷)` from the target's class totals, normalised to sum to `C`.
    Generalized,
}

/// Stack room for the per-class statistics: classes beyond it use the heap.
const STACK_CLASSES: usize = 256;

/// Soft Dice loss over a class axis, with Tversky's weights of the false
/// positives and false negatives, smoothing, class weights (given, or
/// generalized Dice's inverse squared class frequencies), and a softmax,
/// sigmoid or nothing inside; optax's `dice_loss` and
/// `multiclass_generalized_dice_loss`, and Keras' `Dice` and `Tversky`.
///
/// For each sample `n` (or, with `batch`, for the whole batch at once) and
/// class `c`, with `p` the probabilities and `t` the targets summed over
/// every position `i` of the spatial axes:
///
/// ```text
/// I = Σᵢ pᵢ·tᵢ,   P = Σᵢ pᵢ,   T = Σᵢ tᵢ
/// ℓ_nc = w_c · (1 − (I + s_num) / (I + α·(P − I) + β·(T − I) + s_den))
/// ```
///
/// `P − I` is the soft count of false positives and `T − I` of false
/// negatives: `α = β = ½` is the Dice loss `1 − (2I + 2s)/(P + T + 2s)`,
/// `α = β = 1` the Jaccard (IoU) loss, other values Tversky's. An empty
/// class (`P = T = 0`) costs `1 − s_num/s_den`: 0 with optax's smoothing,
/// 1 with Keras'. The gradient goes through the softmax or sigmoid; the
/// targets are not differentiated. `unreduced` gives `ℓ_nc` as `(N, C)`
/// (`(1, C)` with `batch`; one column fewer with `ignore_background`).
///
/// | parameter | default | range |
/// | --- | --- | --- |
/// | `alpha` (false positives) | ½ | finite, ≥ 0 |
/// | `beta` (false negatives) | ½ | finite, ≥ 0 |
/// | `smooth` (`s_num` and `s_den`) | 1 | finite, ≥ 0 (each) |
/// | `input` | `Softmax` | [`DiceInput`] |
/// | `class_weights` | equal | `C` values, finite, ≥ 0; or `generalized` |
/// | `ignore_background` | false | drops class 0 (when `C > 1`) |
/// | `batch` | false | sums over the batch too: one ℓ per class |
/// | `channels_last` | false: `(N, C, d1, …)` | true: `(N, d1, …, C)`, optax' and Keras' layout |
/// | `reduction` | `Mean` | `Mean` (over the ℓ_nc kept), `Sum`, `BatchMean` (`Sum` over `N`) |
///
/// optax: `dice_loss(predictions, targets, class_weights, smooth, alpha,
/// beta, apply_softmax, reduction, ignore_background)` averaged over the
/// batch is `Dice` with `channels_last(true)` and `Mean` (its `reduction =
/// 'sum'` over classes is `BatchMean`), `apply_softmax=False` is
/// [`DiceInput::Probabilities`]; `multiclass_generalized_dice_loss` is
/// `.generalized()`. Keras: `Dice()` (every element summed, one class) is
/// this loss on the whole tensor as one sample and one class, with
/// `Probabilities`, `smooth_numerator(0)` and `smooth_denominator(5e-8)`
/// (half Keras' 1e-7, as Keras doubles the intersection); `Tversky(α, β)`
/// likewise with `smooth_denominator(1e-7)` and its α and β swapped (Keras'
/// α weighs the false negatives). MONAI's `DiceLoss` is `(N, C, …)`
/// with `smooth_nr`, `smooth_dr` and `batch` as here. optax requires
/// probabilities to sum to 1 over the classes; here they need only lie in
/// [0, 1] (multi-label masks too).
///
/// With up to 256 classes `forward_grad_into` allocates nothing.
///
/// # Examples
///
/// ```
/// use ndarray::array;
/// use ndloss::prelude::*;
///
/// // One sample, one class, four pixels, probabilities.
/// let p = array![[[0.9_f64, 0.8, 0.1, 0.0]]];
/// let t = array![[[1.0_f64, 1.0, 0.0, 0.0]]];
/// let dice = Dice::new().input(DiceInput::Probabilities).smooth(0.0);
/// // I = 1.7, P = 1.8, T = 2: 1 − 2·1.7/3.8.
/// let v = dice.forward(&p, &t)?;
/// assert!((v - (1.0 - 3.4 / 3.8)).abs() < 1e-15);
/// // Tversky with α = β = 1 is the soft Jaccard loss: 1 − I/(P + T − I).
/// let v = Dice::tversky(1.0, 1.0).input(DiceInput::Probabilities).smooth(0.0).forward(&p, &t)?;
/// assert!((v - (1.0 - 1.7 / 2.1)).abs() < 1e-15);
/// # Ok::<(), ndloss::Error>(())
/// ```
///
/// # Errors
///
/// [`Error::InvalidHyperparameter`] for an `alpha`, `beta`, smoothing or
/// class weight that is negative or not finite;
/// [`Error::ShapeMismatch`] for a target or gradient buffer not shaped like
/// the prediction, a prediction of fewer than two axes or without classes,
/// or class weights not of length `C`; with [`DiceInput::Probabilities`],
/// [`Error::InvalidValue`] for a probability outside [0, 1] (NaN
/// propagates); [`Error::EmptyReduction`] for a mean over nothing. On error
/// nothing is written.
#[derive(Debug, Clone, PartialEq)]
pub struct Dice {
    alpha: f64,
    beta: f64,
    smooth_num: f64,
    smooth_den: f64,
    input: DiceInput,
    weighting: Weighting,
    ignore_background: bool,
    batch: bool,
    channels_last: bool,
    reduction: Reduction,
}

impl Default for Dice {
    fn default() -> Self {
        Self {
            alpha: 0.5,
            beta: 0.5,
            smooth_num: 1.0,
            smooth_den: 1.0,
            input: DiceInput::Softmax,
            weighting: Weighting::Equal,
            ignore_background: false,
            batch: false,
            channels_last: false,
            reduction: Reduction::Mean,
        }
    }
}

impl Dice {
    /// The Dice loss with optax's defaults: `α = β = ½`, smoothing 1,
    /// softmax over the classes of `(N, C, d1, …)` logits, mean over samples
    /// and classes.
    pub fn new() -> Self {
        Self::default()
    }

    /// The Tversky loss: `α` on the false positives, `β` on the false
    /// negatives (`Dice::new().alpha(α).beta(β)`).
    pub fn tversky(alpha: f64, beta: f64) -> Self {
        Self::new().alpha(alpha).beta(beta)
    }

    /// Weight of the false positives, `P − I` (default ½).
    #[must_use]
    pub fn alpha(mut self, alpha: f64) -> Self {
        self.alpha = alpha;
        self
    }

    /// Weight of the false negatives, `T − I` (default ½).
    #[must_use]
    pub fn beta(mut self, beta: f64) -> Self {
        self.beta = beta;
        self
    }

    /// Adds `smooth` to the numerator and the denominator (default 1).
    #[must_use]
    pub fn smooth(mut self, smooth: f64) -> Self {
        self.smooth_num = smooth;
        self.smooth_den = smooth;
        self
    }

    /// The numerator's smoothing alone.
    #[must_use]
    pub fn smooth_numerator(mut self, smooth: f64) -> Self {
        self.smooth_num = smooth;
        self
    }

    /// The denominator's smoothing alone.
    #[must_use]
    pub fn smooth_denominator(mut self, smooth: f64) -> Self {
        self.smooth_den = smooth;
        self
    }

    /// What the prediction holds (default [`DiceInput::Softmax`]: logits).
    #[must_use]
    pub fn input(mut self, input: DiceInput) -> Self {
        self.input = input;
        self
    }

    /// One weight per class on its `ℓ` (replaces `generalized`).
    #[must_use]
    pub fn class_weights<S>(mut self, weights: &ndarray::ArrayBase<S, ndarray::Ix1>) -> Self
    where
        S: ndarray::Data,
        S::Elem: Float,
    {
        self.weighting = Weighting::Given(crate::loss::to_f64_vec(weights));
        self
    }

    /// Generalized Dice (Sudre et al. 2017, as optax): each class weighted by
    /// `1/(f_c² + 10⁻⁷)`, `f_c` its target total over the batch, normalised so
    /// the weights sum to `C` (replaces `class_weights`).
    #[must_use]
    pub fn generalized(mut self) -> Self {
        self.weighting = Weighting::Generalized;
        self
    }

    /// Leaves class 0 out of the loss (default false); ignored with one class.
    #[must_use]
    pub fn ignore_background(mut self, ignore: bool) -> Self {
        self.ignore_background = ignore;
        self
    }

    /// Sums over the batch as well as the spatial axes, one `ℓ` per class
    /// (default false: one per sample and class).
    #[must_use]
    pub fn batch(mut self, batch: bool) -> Self {
        self.batch = batch;
        self
    }

    /// Whether the class axis is the last (`(N, d1, …, C)`, optax and
    /// Keras) instead of axis 1 (default false).
    #[must_use]
    pub fn channels_last(mut self, channels_last: bool) -> Self {
        self.channels_last = channels_last;
        self
    }

    /// The per-class weights, if given.
    ///
    /// ```
    /// use ndarray::array;
    /// let d = ndloss::loss::Dice::new().class_weights(&array![1.0, 2.0]);
    /// assert_eq!(d.get_class_weights(), Some(&[1.0, 2.0][..]));
    /// ```
    pub fn get_class_weights(&self) -> Option<&[f64]> {
        match &self.weighting {
            Weighting::Given(w) => Some(w),
            _ => None,
        }
    }

    /// Whether the class weights are generalized Dice's.
    ///
    /// ```
    /// assert!(ndloss::loss::Dice::new().generalized().get_generalized());
    /// ```
    pub fn get_generalized(&self) -> bool {
        self.weighting == Weighting::Generalized
    }

    /// The `(numerator, denominator)` smoothing.
    ///
    /// ```
    /// let d = ndloss::loss::Dice::new().smooth_denominator(1e-7);
    /// assert_eq!(d.get_smooth(), (1.0, 1e-7));
    /// ```
    pub fn get_smooth(&self) -> (f64, f64) {
        (self.smooth_num, self.smooth_den)
    }

    fn check_scalars(&self) -> Result<()> {
        let nonneg =
            |name, v: f64| check_hyper(name, v, v.is_finite() && v >= 0.0, "a finite value >= 0");
        nonneg("alpha", self.alpha)?;
        nonneg("beta", self.beta)?;
        nonneg("smooth", self.smooth_num)?;
        nonneg("smooth", self.smooth_den)?;
        if let Weighting::Given(w) = &self.weighting {
            for &v in w {
                nonneg("class_weights", v)?;
            }
        }
        Ok(())
    }
}

impl crate::loss::CheckSettings for Dice {
    fn check_settings(&self) -> Result<()> {
        self.check_scalars()
    }
}
loss_builders!(Dice);

getters!(Dice = "ndloss::loss::Dice::new()" {
    get_alpha => alpha(0.3): f64 = 0.3,
    get_beta => beta(0.7): f64 = 0.7,
    get_input => input(ndloss::loss::DiceInput::Sigmoid): DiceInput = ndloss::loss::DiceInput::Sigmoid,
    get_ignore_background => ignore_background(true): bool = true,
    get_batch => batch(true): bool = true,
    get_channels_last => channels_last(true): bool = true,
});

/// How one class lane becomes probabilities: the softmax' shift and
/// normaliser, computed once per lane.
#[derive(Clone, Copy)]
enum Act {
    Softmax { max: f64, sum: f64 },
    Sigmoid,
    Identity,
}

impl Act {
    fn of<A: Float>(kind: DiceInput, lane: &ndarray::ArrayView1<'_, A>) -> Self {
        match kind {
            DiceInput::Softmax => {
                let max = lane.fold(f64::NEG_INFINITY, |m, &x| m.max(x.to_f64()));
                let sum = lane.fold(0.0, |s, &x| s + (x.to_f64() - max).exp());
                Act::Softmax { max, sum }
            }
            DiceInput::Sigmoid => Act::Sigmoid,
            DiceInput::Probabilities => Act::Identity,
        }
    }

    #[inline]
    fn prob(self, x: f64) -> f64 {
        match self {
            Act::Softmax { max, sum } => (x - max).exp() / sum,
            Act::Sigmoid => sigmoid(x),
            Act::Identity => x,
        }
    }
}

/// σ(x) without overflow or cancellation.
#[inline]
fn sigmoid(x: f64) -> f64 {
    crate::float::softplus_sigmoids::<f64, false>(x).1
}

/// The settings of one call, checked against the data.
struct Plan<'w> {
    kind: DiceInput,
    classes: usize,
    /// The first class in the loss (1 with `ignore_background`).
    first: usize,
    weights: Option<&'w [f64]>,
    generalized: bool,
}

impl Dice {
    /// The axis order that puts the classes at axis 1, when they are last
    /// (fewer than two axes is an error `plan` reports).
    fn class_order(&self, ndim: usize) -> Option<Vec<usize>> {
        (self.channels_last && ndim >= 2).then(|| {
            let mut order = vec![0, ndim - 1];
            order.extend(1..ndim - 1);
            order
        })
    }

    /// The class-first `IxDyn` view: `(N, C, d1, …)`.
    fn class_first<'a, A>(&self, v: ArrayViewD<'a, A>) -> ArrayViewD<'a, A> {
        match self.class_order(v.ndim()) {
            Some(order) => v.permuted_axes(order),
            None => v,
        }
    }

    fn class_first_mut<'a, A>(&self, v: ArrayViewMutD<'a, A>) -> ArrayViewMutD<'a, A> {
        match self.class_order(v.ndim()) {
            Some(order) => v.permuted_axes(order),
            None => v,
        }
    }

    fn plan<A: Float>(&self, pred: &ArrayViewD<'_, A>) -> Result<Plan<'_>> {
        self.check_scalars()?;
        if pred.ndim() < 2 || pred.shape()[1] == 0 {
            return Err(Error::ShapeMismatch {
                what: "prediction (needs a batch axis and a non-empty class axis)",
                expected: vec![0, 1],
                found: pred.shape().to_vec(),
            });
        }
        let classes = pred.shape()[1];
        let weights = match &self.weighting {
            Weighting::Given(w) if w.len() != classes => {
                return Err(Error::ShapeMismatch {
                    what: "class_weights",
                    expected: vec![classes],
                    found: vec![w.len()],
                })
            }
            Weighting::Given(w) => Some(w.as_slice()),
            _ => None,
        };
        let kind = match self.input {
            DiceInput::Softmax if classes == 1 => DiceInput::Sigmoid,
            k => k,
        };
        if kind == DiceInput::Probabilities {
            if let Some((i, &x)) = pred
                .indexed_iter()
                .find(|(_, &x)| !((A::zero()..=A::one()).contains(&x) || x.is_nan()))
            {
                // Report the index in the caller's layout.
                let mut index = i.slice().to_vec();
                if self.channels_last {
                    let c = index.remove(1);
                    index.push(c);
                }
                return Err(Error::InvalidValue {
                    what: "prediction",
                    index,
                    value: x.to_f64(),
                    expected: "a probability in [0, 1]",
                });
            }
        }
        Ok(Plan {
            kind,
            classes,
            first: usize::from(self.ignore_background && classes > 1),
            weights,
            generalized: self.weighting == Weighting::Generalized,
        })
    }

    /// Validates, then computes the total of the kept `ℓ_nc` (each scaled by
    /// the reduction's factor into the gradient) and writes the unreduced
    /// values into `out` when given.
    fn run<A: Float, D: Dimension>(
        &self,
        pred: &ArrayRef<A, D>,
        target: &ArrayRef<A, D>,
        grad: Option<&mut ArrayRef<A, D>>,
        out: Option<&mut Array2<A>>,
    ) -> Result<A> {
        check_same_shape("target", pred, target)?;
        if let Some(g) = grad.as_deref() {
            check_same_shape("gradient buffer", pred, g)?;
        }
        let x = self.class_first(pred.view().into_dyn());
        let t = self.class_first(target.view().into_dyn());
        let plan = self.plan(&x)?;
        let n = x.shape()[0];
        // With `batch`, one group of all samples (none for an empty batch).
        let (groups, per_group) = if self.batch {
            (usize::from(n > 0), n)
        } else {
            (n, 1)
        };
        let kept = plan.classes - plan.first;
        let reduced = out.is_none();
        let (scale, denominator) = crate::reduction::scale::<A>(
            self.reduction,
            reduced,
            (groups * kept) as f64,
            n,
            "the batch is empty",
        )?;
        let scale = scale.to_f64();
        // I, P, T, ∂ℓ/∂I, ∂ℓ/∂P and the class weight per class.
        let mut stack = [0.0_f64; 6 * STACK_CLASSES];
        let mut heap = Vec::new();
        let buf: &mut [f64] = if plan.classes <= STACK_CLASSES {
            &mut stack[..6 * plan.classes]
        } else {
            heap.resize(6 * plan.classes, 0.0);
            &mut heap
        };
        let (stats, rest) = buf.split_at_mut(3 * plan.classes);
        let (derivs, weights) = rest.split_at_mut(2 * plan.classes);
        self.class_weights_into(&plan, &t, weights);
        let mut grad = grad.map(|g| self.class_first_mut(g.view_mut().into_dyn()));
        let mut out = out;
        let mut total = 0.0;
        for group in 0..groups {
            let samples = group * per_group..(group + 1) * per_group;
            stats.fill(0.0);
            for s in samples.clone() {
                let (xs, ts) = (x.index_axis(Axis(0), s), t.index_axis(Axis(0), s));
                Zip::from(xs.lanes(Axis(0)))
                    .and(ts.lanes(Axis(0)))
                    .for_each(|xl, tl| {
                        let act = Act::of(plan.kind, &xl);
                        for (c, (&xc, &tc)) in xl.iter().zip(&tl).enumerate() {
                            let (p, tc) = (act.prob(xc.to_f64()), tc.to_f64());
                            stats[3 * c] += p * tc;
                            stats[3 * c + 1] += p;
                            stats[3 * c + 2] += tc;
                        }
                    });
            }
            derivs.fill(0.0);
            for c in plan.first..plan.classes {
                let (i, p, tt) = (stats[3 * c], stats[3 * c + 1], stats[3 * c + 2]);
                let w = weights[c];
                let k = 1.0 - self.alpha - self.beta;
                let num = i + self.smooth_num;
                let den = k * i + self.alpha * p + self.beta * tt + self.smooth_den;
                let value = w * (1.0 - num / den);
                total += value;
                if let Some(o) = out.as_deref_mut() {
                    o[[group, c - plan.first]] = A::from_f64(value);
                }
                derivs[2 * c] = -scale * w * (den - num * k) / (den * den);
                derivs[2 * c + 1] = scale * w * num * self.alpha / (den * den);
            }
            let Some(g) = grad.as_mut() else { continue };
            for s in samples {
                let (xs, ts) = (x.index_axis(Axis(0), s), t.index_axis(Axis(0), s));
                let mut gs = g.index_axis_mut(Axis(0), s);
                Zip::from(xs.lanes(Axis(0)))
                    .and(ts.lanes(Axis(0)))
                    .and(gs.lanes_mut(Axis(0)))
                    .for_each(|xl, tl, gl| write_lane(plan.kind, derivs, xl, tl, gl));
            }
        }
        Ok(A::from_f64(total) / denominator)
    }

    /// The class weights: 1, the given ones, or generalized Dice's from the
    /// target totals over the whole batch.
    fn class_weights_into<A: Float>(&self, plan: &Plan<'_>, t: &ArrayViewD<'_, A>, w: &mut [f64]) {
        match (plan.weights, plan.generalized) {
            (Some(given), _) => w.copy_from_slice(given),
            (None, false) => w.fill(1.0),
            (None, true) => {
                w.fill(0.0);
                for s in t.axis_iter(Axis(0)) {
                    for (c, lane) in s.axis_iter(Axis(0)).enumerate() {
                        w[c] += lane.iter().map(|&v| v.to_f64()).sum::<f64>();
                    }
                }
                for v in w.iter_mut() {
                    *v = 1.0 / (*v * *v + 1e-7);
                }
                let norm = w.len() as f64 / w.iter().sum::<f64>();
                w.iter_mut().for_each(|v| *v *= norm);
            }
        }
    }
}

/// The gradient of one class lane: `dₖ = a_k·tₖ + b_k` with respect to the
/// probabilities, then through the activation.
fn write_lane<A: Float>(
    kind: DiceInput,
    derivs: &[f64],
    x: ndarray::ArrayView1<'_, A>,
    t: ndarray::ArrayView1<'_, A>,
    mut g: ndarray::ArrayViewMut1<'_, A>,
) {
    let act = Act::of(kind, &x);
    let d = |c: usize, tc: A| derivs[2 * c] * tc.to_f64() + derivs[2 * c + 1];
    match act {
        Act::Softmax { .. } => {
            let dot: f64 = x
                .iter()
                .zip(&t)
                .enumerate()
                .map(|(c, (&xc, &tc))| d(c, tc) * act.prob(xc.to_f64()))
                .sum();
            for (c, ((o, &xc), &tc)) in g.iter_mut().zip(&x).zip(&t).enumerate() {
                let p = act.prob(xc.to_f64());
                *o = A::from_f64(p * (d(c, tc) - dot));
            }
        }
        Act::Sigmoid => {
            for (c, ((o, &xc), &tc)) in g.iter_mut().zip(&x).zip(&t).enumerate() {
                let p = sigmoid(xc.to_f64());
                *o = A::from_f64(d(c, tc) * p * (1.0 - p));
            }
        }
        Act::Identity => {
            for (c, (o, &tc)) in g.iter_mut().zip(&t).enumerate() {
                *o = A::from_f64(d(c, tc));
            }
        }
    }
}

impl<A: Float, D: Dimension> Loss<A, D> for Dice {
    type Unreduced = ndarray::Ix2;

    fn forward(&self, pred: &ArrayRef<A, D>, target: &ArrayRef<A, D>) -> Result<A> {
        self.run(pred, target, None, None)
    }

    fn forward_grad_into(
        &self,
        pred: &ArrayRef<A, D>,
        target: &ArrayRef<A, D>,
        grad: &mut ArrayRef<A, D>,
    ) -> Result<A> {
        self.run(pred, target, Some(grad), None)
    }

    fn unreduced(&self, pred: &ArrayRef<A, D>, target: &ArrayRef<A, D>) -> Result<Array2<A>> {
        // Shapes first, so that the output's size is known to be valid.
        check_same_shape("target", pred, target)?;
        let x = self.class_first(pred.view().into_dyn());
        let plan = self.plan(&x)?;
        let n = x.shape()[0];
        let rows = if self.batch { usize::from(n > 0) } else { n };
        let mut out = Array2::zeros((rows, plan.classes - plan.first));
        if rows > 0 {
            self.run(pred, target, None, Some(&mut out))?;
        }
        Ok(out)
    }
}
