//! Softmax cross-entropy over a class axis, from logits or (Keras-style)
//! from probabilities, with class-index or probability targets.
//!
//! This file says what a row computes: the options, their validation, the
//! row formulas of the generic (strided) path. The fused row kernels, their
//! dispatch and the split of the rows across threads are the driver's, in
//! `kernel::softmax`.

use ndarray::{Array, ArrayRef, Axis, Dimension};

use super::{check_class_input, ClassOptions};
use crate::error::{check_hyper, Error, Result};
use crate::float::Float;
use crate::kernel::rowwise::{map_lanes, sum_lanes};
use crate::kernel::softmax::{
    index_rows, prob_row_finish, prob_rows, small_index_rows, IndexMath, SMALL_INDEX_LOGITS,
};
use crate::kernel::sum::{map_into_sum, map_sum, max_slice, sum_indexed};
use crate::loss::{loss_builders, Loss, Reduction};

/// Keras' probability clipping bound.
const KERAS_EPSILON: f64 = 1e-7;

/// Softmax cross-entropy from logits (or probabilities), with class-index or
/// probability targets.
///
/// With `logp = log_softmax(x)` over the class axis, class weights `w`
/// (default 1) and label smoothing `ε`:
///
/// ```text
/// index target y:        ℓ = (1 − ε)·w_y·(−logp_y) + (ε/C)·Σ_c w_c·(−logp_c)
///   mean: Σ ℓ / Σ w_y   over kept positions (ignored ones count in neither sum)
/// probability target t:  t'_c = (1 − ε)·t_c + ε/C,   ℓ = Σ_c w_c·t'_c·(−logp_c)
///   mean: Σ ℓ / (number of positions)
/// gradient:              ∂ℓ/∂x_c = softmax_c·Σ_k w_k·q_k − w_c·q_c   (q = the smoothed one-hot or t')
/// ```
///
/// The log-softmax is computed as `x − max − ln Σ exp(x − max)`: finite for any
/// finite logits (±1e4 included), never `log(0)`.
///
/// Inputs: `(N, C)`, `(N, C, d1, …)` with targets `(N, d1, …)`, or `(C,)`
/// with a 0-d target; any dimension `D` (use `IxDyn` or the fixed ones).
/// `Reduction::BatchMean` divides the sum by `N`.
///
/// **Probability input** (`from_probs(true)`, Keras' default
/// `from_logits=False`): the input rows are probabilities, renormalised to sum
/// to 1 and clipped to `[1e-7, 1 − 1e-7]` before the logarithm, exactly as
/// Keras' `categorical_crossentropy`; the gradient is with respect to the
/// probabilities (0 where clipped).
///
/// | parameter | default | range |
/// | --- | --- | --- |
/// | `reduction` | `Mean` | `Mean`, `Sum`, `BatchMean` |
/// | `class_weights` | none (all 1) | length C, finite, ≥ 0 |
/// | `label_smoothing` | 0 | [0, 1] |
/// | `ignore_index` | none | any `usize` (may lie outside `0..C`); index targets only |
/// | `from_probs` | false | |
/// | `z_loss` | 0 | finite, ≥ 0; class-index targets on logits ([`z_loss`](Self::z_loss)) |
///
/// Implements [`Loss<A, D, usize, D::Smaller>`](Loss) (class indices) and
/// [`Loss<A, D>`](Loss) (probabilities, shaped like the input); the target's
/// type picks the mode. [`unreduced`](Loss::unreduced) gives one value per
/// position (0 where ignored).
///
/// PyTorch: `torch.nn.CrossEntropyLoss(weight, ignore_index, reduction,
/// label_smoothing)` / `F.cross_entropy`, same values, gradients and
/// denominators: the weighted mean divides by the sum of the picked weights;
/// with probability targets it divides by the number of positions.
/// Differences: a mean in which every target is ignored (or the picked weights
/// sum to 0) is an [`Error::EmptyReduction`] where PyTorch returns NaN;
/// negative class weights are rejected. Keras `CategoricalCrossentropy`:
/// `from_logits=True` is the probability-target mode, the default is
/// `from_probs(true)`; `SparseCategoricalCrossentropy` is the index mode.
///
/// # Examples
///
/// ```
/// use ndarray::{array, Array3};
/// use ndloss::prelude::*;
///
/// let logits = array![[2.0_f64, 0.0], [0.0, 0.0]];
/// let classes = array![0_usize, 1];
/// let (value, grad) = CrossEntropy::new().forward_grad(&logits, &classes)?;
/// let p = 1.0 / (1.0 + (-2.0_f64).exp()); // softmax of the first row, class 0
/// assert!((value - (-(p.ln()) + 2.0_f64.ln()) / 2.0).abs() < 1e-12);
/// assert!((grad[[0, 0]] - (p - 1.0) / 2.0).abs() < 1e-12);
///
/// // Soft targets, label smoothing, weights and a padding index.
/// let soft = array![[0.9, 0.1], [0.5, 0.5]];
/// let _ = CrossEntropy::new().label_smoothing(0.1).forward(&logits, &soft)?;
/// let padded = array![0_usize, usize::MAX];
/// let ce = CrossEntropy::new().class_weights(array![1.0, 3.0]).ignore_index(usize::MAX);
/// assert!((ce.forward(&logits, &padded)? + p.ln()).abs() < 1e-12); // only row 0 counts
///
/// // Segmentation: (N, C, H, W) logits, (N, H, W) classes.
/// let seg = Array3::<f32>::zeros((2, 4, 5)).insert_axis(ndarray::Axis(3));
/// let labels = ndarray::Array3::<usize>::from_elem((2, 5, 1), 3);
/// assert!((CrossEntropy::new().forward(&seg, &labels)? - 4.0_f32.ln()).abs() < 1e-6);
/// # Ok::<(), ndloss::Error>(())
/// ```
///
/// # Errors
///
/// - [`Error::ShapeMismatch`]: targets not shaped like the input without its
///   class axis (index mode) or like the input (probability mode), a 0-d
///   input, `class_weights` not of length C, a gradient buffer of another shape.
/// - [`Error::ClassOutOfRange`]: a target `≥ C` that is not the ignore index
///   (`sample` is the flat, row-major position of the target).
/// - [`Error::InvalidHyperparameter`]: `label_smoothing` outside [0, 1];
///   a negative or non-finite class weight; `ignore_index` with probability
///   targets; a negative or non-finite `z_loss`, or a non-zero one with
///   probability targets or `from_probs`.
/// - [`Error::InvalidValue`]: with `from_probs`, a negative probability or a
///   row that sums to 0.
/// - [`Error::EmptyReduction`]: a mean over no positions, or over zero total weight.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CrossEntropy {
    reduction: Reduction,
    label_smoothing: f64,
    class_weights: Option<Vec<f64>>,
    ignore_index: Option<usize>,
    from_probs: bool,
    z_loss: f64,
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

    class_weights_builder!(
        CrossEntropy,
        "A weight per class (length C), PyTorch's `weight`."
    );

    /// Positions whose target equals `index` contribute nothing, to the loss
    /// or to the mean's denominator. The index may be outside `0..C` (a
    /// padding marker such as `usize::MAX`).
    #[must_use]
    pub fn ignore_index(mut self, index: usize) -> Self {
        self.ignore_index = Some(index);
        self
    }

    /// Read the input as probabilities, Keras-style (renormalise, clip to
    /// `[1e-7, 1 − 1e-7]`) instead of logits (default false).
    #[must_use]
    pub fn from_probs(mut self, from_probs: bool) -> Self {
        self.from_probs = from_probs;
        self
    }

    /// PaLM's auxiliary z-loss (Chowdhery et al. 2022; `1e-4` there): adds
    /// `z·(log Σ_c e^{x_c})²` to each row's loss, weighted as the row, which
    /// keeps the softmax normaliser near 1 and the logits from drifting in
    /// large-vocabulary training (default 0, off). Class-index targets on
    /// logits only.
    ///
    /// ```
    /// use ndarray::array;
    /// use ndloss::prelude::*;
    ///
    /// let x = array![[1.0_f64, 2.0, 3.0]];
    /// let y = array![2_usize];
    /// let lse = (1.0_f64.exp() + 2.0_f64.exp() + 3.0_f64.exp()).ln();
    /// let with = CrossEntropy::new().z_loss(1e-4).forward(&x, &y)?;
    /// let without = CrossEntropy::new().forward(&x, &y)?;
    /// assert!((with - without - 1e-4 * lse * lse).abs() < 1e-15);
    /// # Ok::<(), ndloss::Error>(())
    /// ```
    #[must_use]
    pub fn z_loss(mut self, z: f64) -> Self {
        self.z_loss = z;
        self
    }

    fn check_z(&self) -> Result<f64> {
        let z = self.z_loss;
        check_hyper(
            "z_loss",
            z,
            z.is_finite() && z >= 0.0,
            "a finite value >= 0",
        )?;
        if z != 0.0 && self.from_probs {
            return Err(Error::InvalidHyperparameter {
                name: "z_loss",
                value: z,
                expected: "0 with from_probs (the z-loss needs logits)",
            });
        }
        Ok(z)
    }

    /// The z-loss is defined for class-index targets only.
    fn check_z_probs(&self) -> Result<()> {
        if self.z_loss != 0.0 {
            return Err(Error::InvalidHyperparameter {
                name: "z_loss",
                value: self.z_loss,
                expected: "0 with probability targets (the z-loss takes class indices)",
            });
        }
        Ok(())
    }

    fn classes(&self) -> ClassOptions<'_> {
        ClassOptions {
            weights: self.class_weights.as_deref(),
            ignore: self.ignore_index,
            reduction: self.reduction,
        }
    }

    fn check_smoothing(&self) -> Result<f64> {
        let eps = self.label_smoothing;
        check_hyper(
            "label_smoothing",
            eps,
            (0.0..=1.0).contains(&eps),
            "a value in [0, 1]",
        )
    }

    /// Validates the options against `C` classes.
    fn setup<A: Float>(&self, classes: usize) -> Result<Setup<'_, A>> {
        let eps = self.check_smoothing()?;
        let z = self.check_z()?;
        self.classes().check_weights(classes)?;
        let weights = self.class_weights.as_deref();
        let weight_sum = weights.map_or(classes as f64, |w| w.iter().sum());
        Ok(Setup {
            weights,
            eps: A::from_f64(eps),
            eps_over_c: A::from_f64(eps / classes as f64),
            weight_sum: A::from_f64(weight_sum),
            from_probs: self.from_probs,
            z: A::from_f64(z),
        })
    }

    /// With `from_probs`, every probability must be ≥ 0 and every row sum > 0.
    fn check_probs_input<A: Float, D: Dimension>(
        &self,
        pred: &ArrayRef<A, D>,
        axis: Axis,
    ) -> Result<()> {
        if !self.from_probs {
            return Ok(());
        }
        // Contiguous inputs: one dispatched scan first (an indexed search
        // over every element does not vectorise), the index only on failure.
        let clean = pred
            .as_slice_memory_order()
            .is_some_and(|s| crate::kernel::all_of(s, NonNegative));
        let negative = (!clean)
            .then(|| pred.indexed_iter().find(|(_, &p)| p < A::zero()))
            .flatten();
        if let Some((index, &p)) = negative {
            return Err(Error::InvalidValue {
                what: "prediction",
                index: ndarray::IntoDimension::into_dimension(index)
                    .slice()
                    .to_vec(),
                value: p.to_f64(),
                expected: "a probability >= 0",
            });
        }
        let sums = pred.lanes(axis).into_iter().map(|lane| lane.sum());
        if let Some((index, s)) = sums
            .enumerate()
            .find(|(_, s)| s.partial_cmp(&A::zero()) != Some(std::cmp::Ordering::Greater))
        {
            return Err(Error::InvalidValue {
                what: "prediction (row sums)",
                index: vec![index],
                value: s.to_f64(),
                expected: "probability rows with a positive sum",
            });
        }
        Ok(())
    }
}
loss_builders!(CrossEntropy);

/// Validated options, converted to `A`.
struct Setup<'w, A> {
    weights: Option<&'w [f64]>,
    eps: A,
    eps_over_c: A,
    weight_sum: A,
    from_probs: bool,
    z: A,
}

/// What a row is compared with.
enum RowTarget<'t, A> {
    Class(usize),
    Probs(&'t [A]),
}

impl<A: Float> Setup<'_, A> {
    /// `(m, ln Σ exp(x − m), Σ exp(x − m))` for a row; fills `g` with `exp(x − m)` if given.
    #[inline]
    fn log_sum_exp(x: &[A], g: Option<&mut [A]>) -> (A, A, A) {
        let m = max_slice(x);
        let s = match g {
            Some(g) => map_into_sum(x, g, |v| (v - m).exp_fast()),
            None => map_sum(x, |v| (v - m).exp_fast()),
        };
        let s = A::from_f64(s);
        (m, s.ln(), s)
    }

    fn row(&self, x: &[A], target: RowTarget<'_, A>, g: Option<&mut [A]>, scale: A) -> A {
        match (self.from_probs, target) {
            (false, RowTarget::Class(y)) => self.index_row(x, y, g, scale),
            (false, RowTarget::Probs(t)) => self.prob_row(x, t, g, scale),
            (true, target) => self.keras_row(x, target, g, scale),
        }
    }

    fn index_row(&self, x: &[A], y: usize, g: Option<&mut [A]>, scale: A) -> A {
        let mut g = g;
        let (m, ln_s, s) = Self::log_sum_exp(x, g.as_deref_mut());
        self.index_math().finish(x, y, g, m, ln_s, s, scale)
    }

    /// The class-index row math the softmax kernel shares.
    fn index_math(&self) -> IndexMath<'_, A> {
        IndexMath {
            weights: self.weights,
            eps: self.eps,
            eps_over_c: self.eps_over_c,
            weight_sum: self.weight_sum,
            z: self.z,
        }
    }

    /// Soft targets on logits. The weight is a closure (`1`, or `w[c]` from
    /// a slice cut to the row's length) and the sums are [`sum_indexed`],
    /// so the loops vectorise: a serial sum with `weight(c)` per element
    /// leaves the rows scalar.
    fn prob_row(&self, x: &[A], t: &[A], g: Option<&mut [A]>, scale: A) -> A {
        let n = x.len();
        match self.weights {
            None => self.prob_row_w(x, &t[..n], g, scale, |_| A::one()),
            Some(w) => {
                let w = &w[..n];
                self.prob_row_w(x, &t[..n], g, scale, |c| A::from_f64(w[c]))
            }
        }
    }

    #[inline(always)]
    fn prob_row_w(
        &self,
        x: &[A],
        t: &[A],
        g: Option<&mut [A]>,
        scale: A,
        w: impl Fn(usize) -> A + Copy,
    ) -> A {
        let mut g = g;
        let (m, ln_s, s) = Self::log_sum_exp(x, g.as_deref_mut());
        let (keep, share) = (A::one() - self.eps, self.eps_over_c);
        prob_row_finish(x, g, (m, ln_s, s), scale, |c| w(c) * (keep * t[c] + share))
    }

    /// Keras' `categorical_crossentropy(from_logits=False)`: `q = p/Σp`,
    /// clipped to `[ε, 1 − ε]`, `ℓ = −Σ_c w_c·t'_c·ln q_c`; gradient through
    /// the renormalisation, 0 where the clip is active. One closure per
    /// target form and weighting, so the loops vectorise (with `std`'s `ln`
    /// and serial sums the rows are scalar).
    fn keras_row(&self, p: &[A], target: RowTarget<'_, A>, g: Option<&mut [A]>, scale: A) -> A {
        let n = p.len();
        match self.weights {
            None => self.keras_row_w(p, target, g, scale, |_| A::one()),
            Some(w) => {
                let w = &w[..n];
                self.keras_row_w(p, target, g, scale, |c| A::from_f64(w[c]))
            }
        }
    }

    #[inline(always)]
    fn keras_row_w(
        &self,
        p: &[A],
        target: RowTarget<'_, A>,
        g: Option<&mut [A]>,
        scale: A,
        w: impl Fn(usize) -> A + Copy,
    ) -> A {
        let (keep, share) = (A::one() - self.eps, self.eps_over_c);
        let sum = A::from_f64(map_sum(p, |v| v));
        match target {
            RowTarget::Class(y) => {
                let t = |c: usize| if c == y { keep + share } else { share };
                if share == A::zero() && sum.is_finite() {
                    return Self::keras_row_class(p, sum, y, g, scale, w(y) * t(y));
                }
                Self::keras_row_t(p, sum, g, scale, |c| w(c) * t(c))
            }
            RowTarget::Probs(t) => {
                let t = &t[..p.len()];
                Self::keras_row_t(p, sum, g, scale, |c| w(c) * (keep * t[c] + share))
            }
        }
    }

    /// [`Self::keras_row_t`] for a class-index target without label
    /// smoothing and a finite row sum: every target but `t_y` is 0, so one
    /// logarithm and a constant gradient off the target class, with the
    /// same values (the other terms of the general row's sums are ±0; an
    /// infinite sum makes them NaN there, so it takes the general row).
    #[inline(always)]
    fn keras_row_class(p: &[A], sum: A, y: usize, g: Option<&mut [A]>, scale: A, t_y: A) -> A {
        let eps = A::from_f64(KERAS_EPSILON);
        let hi = A::one() - eps;
        let q = p[y] / sum;
        let inside = q >= eps && q <= hi;
        let clipped = if q < eps {
            eps
        } else if q > hi {
            hi
        } else {
            q
        };
        let value = -(t_y * clipped.ln_fast());
        if let Some(g) = g {
            let a_y = if inside { -t_y / q } else { A::zero() };
            let weighted = a_y * q;
            let g = &mut g[..p.len()];
            g.fill(scale * (A::zero() - weighted) / sum);
            g[y] = scale * (a_y - weighted) / sum;
        }
        value
    }

    /// [`Self::keras_row`] with the smoothed, weighted target `t(c)` and
    /// the row's sum.
    #[inline(always)]
    fn keras_row_t(
        p: &[A],
        sum: A,
        g: Option<&mut [A]>,
        scale: A,
        t: impl Fn(usize) -> A + Copy,
    ) -> A {
        let eps = A::from_f64(KERAS_EPSILON);
        let hi = A::one() - eps;
        let n = p.len();
        // NaN passes through the clip (both comparisons false).
        let clip = |q: A| {
            if q < eps {
                eps
            } else if q > hi {
                hi
            } else {
                q
            }
        };
        let value = -A::from_f64(sum_indexed(n, |c| t(c) * clip(p[c] / sum).ln_fast()));
        if let Some(g) = g {
            // a_c = ∂ℓ/∂q_c (0 where clipped); ∂ℓ/∂p_k = (a_k − Σ_c a_c·q_c)/Σp.
            let g = &mut g[..n];
            for (c, gc) in g.iter_mut().enumerate() {
                let q = p[c] / sum;
                *gc = if q >= eps && q <= hi {
                    -t(c) / q
                } else {
                    A::zero()
                };
            }
            let a: &[A] = g;
            let weighted = A::from_f64(sum_indexed(n, |c| a[c] * (p[c] / sum)));
            g.iter_mut()
                .for_each(|gc| *gc = scale * (*gc - weighted) / sum);
        }
        value
    }
}

impl<A: Float, D: Dimension> Loss<A, D, usize, D::Smaller> for CrossEntropy {
    type Unreduced = D::Smaller;

    fn forward(&self, pred: &ArrayRef<A, D>, target: &ArrayRef<usize, D::Smaller>) -> Result<A> {
        self.run_indices(pred, target, None)
    }

    fn forward_grad_into(
        &self,
        pred: &ArrayRef<A, D>,
        target: &ArrayRef<usize, D::Smaller>,
        grad: &mut ArrayRef<A, D>,
    ) -> Result<A> {
        self.run_indices(pred, target, Some(grad))
    }

    fn unreduced(
        &self,
        pred: &ArrayRef<A, D>,
        target: &ArrayRef<usize, D::Smaller>,
    ) -> Result<Array<A, D::Smaller>> {
        let (axis, _, _) = self.classes().check_indices(pred, target, None, false)?;
        let setup = self.setup::<A>(pred.len_of(axis))?;
        self.check_probs_input(pred, axis)?;
        let ignore = self.ignore_index;
        Ok(map_lanes(pred, axis, target.view(), |x, &y, g| {
            if Some(y) == ignore {
                return A::zero();
            }
            setup.row(x, RowTarget::Class(y), g, A::one())
        }))
    }
}

impl CrossEntropy {
    fn run_indices<A: Float, D: Dimension>(
        &self,
        pred: &ArrayRef<A, D>,
        target: &ArrayRef<usize, D::Smaller>,
        grad: Option<&mut ArrayRef<A, D>>,
    ) -> Result<A> {
        if let Some(g) = grad {
            if let Some(total) = self.small_indices(pred, target, g) {
                return Ok(total);
            }
            return self.run_indices_checked(pred, target, Some(g));
        }
        self.run_indices_checked(pred, target, None)
    }

    /// [`CrossEntropy::run_indices`] for one chunk of rows of logits (≤
    /// 16K), unweighted, in one dispatch (`kernel::softmax::small_index_rows`): the
    /// validation and the kernel together, for the small inputs whose fixed
    /// cost matters. `None` (nothing written) when the input is not such a
    /// case or is invalid: the caller then takes the general path, which
    /// names the error.
    fn small_indices<A: Float, D: Dimension>(
        &self,
        pred: &ArrayRef<A, D>,
        target: &ArrayRef<usize, D::Smaller>,
        grad: &mut ArrayRef<A, D>,
    ) -> Option<A> {
        if self.from_probs || self.class_weights.is_some() || pred.ndim() != 2 {
            return None;
        }
        let (rows, cols) = (pred.shape()[0], pred.shape()[1]);
        if cols == 0 || rows * cols > SMALL_INDEX_LOGITS || target.shape() != [rows] {
            return None;
        }
        if grad.shape() != pred.shape() {
            return None;
        }
        let setup = self.setup::<A>(cols).ok()?;
        let (x, t, g) = (pred.as_slice()?, target.as_slice()?, grad.as_slice_mut()?);
        let (reduction, batch) = (self.reduction, rows);
        let (total, denominator) = small_index_rows(
            x,
            cols,
            t,
            self.ignore_index,
            setup.index_math(),
            g,
            |counted| crate::reduction::scale::<A>(reduction, true, counted as f64, batch, "").ok(),
        )?;
        Some(A::from_f64(total) / denominator)
    }

    fn run_indices_checked<A: Float, D: Dimension>(
        &self,
        pred: &ArrayRef<A, D>,
        target: &ArrayRef<usize, D::Smaller>,
        grad: Option<&mut ArrayRef<A, D>>,
    ) -> Result<A> {
        let (axis, scale, denominator) =
            self.classes()
                .check_indices(pred, target, grad.as_deref(), true)?;
        let setup = self.setup::<A>(pred.len_of(axis))?;
        self.check_probs_input(pred, axis)?;
        let ignore = self.ignore_index;
        let mut grad = grad;
        if let Some(g) = grad.as_deref_mut() {
            // Rows of logits in one row-major slice: the dispatched kernel.
            if let (false, true, Some(x), Some(t), Some(gs)) = (
                self.from_probs,
                pred.ndim() <= 2,
                pred.as_slice(),
                target.as_slice(),
                g.as_slice_mut(),
            ) {
                let cols = pred.len_of(axis);
                let total = index_rows(x, cols, t, ignore, setup.index_math(), scale, gs);
                return Ok(A::from_f64(total) / denominator);
            }
        }
        let total = sum_lanes(pred, axis, target.view(), grad, |x, &y, g| {
            if Some(y) == ignore {
                if let Some(g) = g {
                    g.fill(A::zero());
                }
                return A::zero();
            }
            setup.row(x, RowTarget::Class(y), g, scale)
        });
        Ok(total / denominator)
    }

    /// Checks probability targets; returns the class axis, gradient scale and denominator.
    fn check_prob_targets<A: Float, D: Dimension>(
        &self,
        pred: &ArrayRef<A, D>,
        target: &ArrayRef<A, D>,
        grad: Option<&ArrayRef<A, D>>,
        reduced: bool,
    ) -> Result<(Axis, A, A)> {
        let axis = check_class_input(pred, grad)?;
        if let Some(index) = self.ignore_index {
            return Err(Error::InvalidHyperparameter {
                name: "ignore_index",
                value: index as f64,
                expected: "no ignore_index with probability targets (as in PyTorch)",
            });
        }
        self.check_z()?;
        self.check_z_probs()?;
        crate::kernel::check_same_shape("target", pred, target)?;
        let positions = pred.len() / pred.len_of(axis).max(1);
        let (scale, d) = crate::reduction::scale(
            self.reduction,
            reduced,
            positions as f64,
            pred.shape()[0],
            "the batch is empty",
        )?;
        Ok((axis, scale, d))
    }
}

impl<A: Float, D: Dimension> Loss<A, D> for CrossEntropy {
    type Unreduced = D::Smaller;

    fn forward(&self, pred: &ArrayRef<A, D>, target: &ArrayRef<A, D>) -> Result<A> {
        self.run_probs(pred, target, None)
    }

    fn forward_grad_into(
        &self,
        pred: &ArrayRef<A, D>,
        target: &ArrayRef<A, D>,
        grad: &mut ArrayRef<A, D>,
    ) -> Result<A> {
        self.run_probs(pred, target, Some(grad))
    }

    fn unreduced(
        &self,
        pred: &ArrayRef<A, D>,
        target: &ArrayRef<A, D>,
    ) -> Result<Array<A, D::Smaller>> {
        let (axis, _, _) = self.check_prob_targets(pred, target, None, false)?;
        let setup = self.setup::<A>(pred.len_of(axis))?;
        self.check_probs_input(pred, axis)?;
        let mut st = Vec::new();
        Ok(map_lanes(pred, axis, target.lanes(axis), |x, t, g| {
            setup.row(x, RowTarget::Probs(target_slice(&t, &mut st)), g, A::one())
        }))
    }
}

impl CrossEntropy {
    fn run_probs<A: Float, D: Dimension>(
        &self,
        pred: &ArrayRef<A, D>,
        target: &ArrayRef<A, D>,
        grad: Option<&mut ArrayRef<A, D>>,
    ) -> Result<A> {
        let (axis, scale, denominator) =
            self.check_prob_targets(pred, target, grad.as_deref(), true)?;
        let setup = self.setup::<A>(pred.len_of(axis))?;
        self.check_probs_input(pred, axis)?;
        let cols = pred.len_of(axis);
        // Logits (N, C), long rows, everything row-major: the dispatched row
        // kernel (the generic path's closure is compiled as baseline code).
        let mut grad = grad;
        if let (false, 2, true, Some(x), Some(t), Some(g)) = (
            self.from_probs,
            pred.ndim(),
            cols >= crate::kernel::softmax::LONG_ROW,
            pred.as_slice(),
            target.as_slice(),
            grad.as_deref_mut().and_then(|g| g.as_slice_mut()),
        ) {
            let total = prob_rows(
                x,
                t,
                cols,
                setup.weights,
                setup.eps,
                setup.eps_over_c,
                scale,
                g,
            );
            return Ok(A::from_f64(total) / denominator);
        }
        let mut st = Vec::new();
        let total = sum_lanes(pred, axis, target.lanes(axis), grad, |x, t, g| {
            setup.row(x, RowTarget::Probs(target_slice(&t, &mut st)), g, scale)
        });
        Ok(total / denominator)
    }
}

/// `x ≥ 0` or NaN, for [`crate::kernel::all_of`]: the check of Keras' probability
/// inputs (`CrossEntropy::from_probs`).
#[derive(Clone, Copy)]
struct NonNegative;

impl<A: Float> crate::kernel::Test<A> for NonNegative {
    #[inline(always)]
    fn ok(self, x: A) -> bool {
        x >= A::zero() || x.is_nan()
    }
}

/// A target lane as a slice (copied into `scratch` when strided).
fn target_slice<'a, A: Copy>(
    t: &'a ndarray::ArrayView1<'_, A>,
    scratch: &'a mut Vec<A>,
) -> &'a [A] {
    match t.as_slice() {
        Some(s) => s,
        None => {
            scratch.clear();
            scratch.extend(t.iter().copied());
            scratch
        }
    }
}

impl crate::loss::CheckSettings for CrossEntropy {
    fn check_settings(&self) -> Result<()> {
        self.check_smoothing()?;
        self.check_z()?;
        super::check_weight_values(self.class_weights.as_deref())
    }
}

getters!(CrossEntropy = "ndloss::loss::CrossEntropy::new()" {
    get_label_smoothing => label_smoothing(0.1): f64 = 0.1,
    get_ignore_index => ignore_index(3): Option<usize> = Some(3),
    get_from_probs => from_probs(true): bool = true,
    get_z_loss => z_loss(1e-4): f64 = 1e-4,
});

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loss::BceWithLogits;
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
    fn softmax_probabilities_below_the_normal_range_are_zero() {
        // Logit 0 and −95 (e^−95 = 5.5e-42, subnormal in f32): the kernel's
        // exponential flushes it, so its gradient entry is exactly 0 (PyTorch:
        // a subnormal); the value is unaffected (the term is below ulp(1)).
        let x = array![[0.0_f32, -95.0]];
        let (v, g) = CrossEntropy::new()
            .forward_grad(&x, &array![0_usize])
            .unwrap();
        assert_eq!(v, 0.0);
        assert_eq!(g, array![[0.0, 0.0]]);
        // In f64 the same probability is normal and kept.
        let x = array![[0.0_f64, -95.0]];
        let (_, g) = CrossEntropy::new()
            .forward_grad(&x, &array![0_usize])
            .unwrap();
        let p = (-95.0_f64).exp() / (1.0 + (-95.0_f64).exp());
        assert!((g[[0, 1]] - p).abs() <= 4.0 * f64::EPSILON * p);
        assert!((g[[0, 0]] + p).abs() <= 1e-30);
    }
}
