//! Sequence losses: [`Ctc`], the connectionist temporal classification loss
//! of speech and handwriting recognition, for outputs that must spell a
//! target without a frame-by-frame alignment.

use ndarray::{
    Array, Array1, ArrayBase, ArrayRef, ArrayView1, ArrayView2, ArrayView3, ArrayViewMut2,
    ArrayViewMut3, Axis, Data, Ix1, Ix2, Ix3,
};

use crate::error::{Error, Result};
use crate::float::Float;
use crate::kernel::ctc::{self, GradForm, GradOut, Sample, Workspace};
use crate::loss::multi::shape_error;
use crate::loss::Reduction;

/// Which gradient with respect to the log-probabilities [`Ctc`] returns.
///
/// The two differ by `exp(log_probs)`, which the backward pass of a
/// log-softmax removes: when the log-probabilities come from
/// `log_softmax(logits)` (as they should), both give the same gradient with
/// respect to the logits.
///
/// # Examples
///
/// ```
/// use ndloss::loss::{Ctc, CtcGradient};
///
/// let exact = Ctc::new().gradient(CtcGradient::LogProbs);
/// assert_eq!(exact.get_gradient(), CtcGradient::LogProbs);
/// assert_eq!(Ctc::new().get_gradient(), CtcGradient::PyTorch);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CtcGradient {
    /// PyTorch's: `exp(log_probs[t, n, k]) − γ_t(k)` for frames inside the
    /// input length. This is the gradient with respect to the logits when
    /// `log_probs = log_softmax(logits)`, and what `loss.backward()` writes
    /// into `log_probs.grad`.
    #[default]
    PyTorch,
    /// The exact partial derivative `∂ℓ/∂log_probs[t, n, k] = −γ_t(k)`, for
    /// chaining through something other than a log-softmax, or for
    /// log-probabilities that are not normalised.
    LogProbs,
}

/// The targets of a batch for [`Ctc`], in either of PyTorch's forms.
///
/// Built with `.into()` from `&Array2<usize>` (padded), `&Array1<usize>`,
/// `&[usize]` or `&Vec<usize>` (concatenated), or their views, so a call
/// takes `&targets` directly.
///
/// # Examples
///
/// ```
/// use ndarray::array;
/// use ndloss::loss::CtcTargets;
///
/// let padded = array![[1_usize, 2, 0], [3, 0, 0]];
/// assert!(matches!(CtcTargets::from(&padded), CtcTargets::Padded(_)));
/// let concatenated: &[usize] = &[1, 2, 3];
/// assert!(matches!(CtcTargets::from(concatenated), CtcTargets::Concatenated(_)));
/// ```
#[derive(Debug, Clone)]
pub enum CtcTargets<'a> {
    /// `(N, S)`: sample `n`'s target is `targets[n, ..target_lengths[n]]`;
    /// the rest of the row is padding and is not read.
    Padded(ArrayView2<'a, usize>),
    /// `(Σ target_lengths,)`: the targets one after another.
    Concatenated(ArrayView1<'a, usize>),
}

impl<'a, S: Data<Elem = usize>> From<&'a ArrayBase<S, Ix2>> for CtcTargets<'a> {
    fn from(t: &'a ArrayBase<S, Ix2>) -> Self {
        Self::Padded(t.view())
    }
}

impl<'a> From<&'a ArrayRef<usize, Ix2>> for CtcTargets<'a> {
    fn from(t: &'a ArrayRef<usize, Ix2>) -> Self {
        Self::Padded(t.view())
    }
}

impl<'a, S: Data<Elem = usize>> From<&'a ArrayBase<S, Ix1>> for CtcTargets<'a> {
    fn from(t: &'a ArrayBase<S, Ix1>) -> Self {
        Self::Concatenated(t.view())
    }
}

impl<'a> From<&'a ArrayRef<usize, Ix1>> for CtcTargets<'a> {
    fn from(t: &'a ArrayRef<usize, Ix1>) -> Self {
        Self::Concatenated(t.view())
    }
}

impl<'a> From<&'a [usize]> for CtcTargets<'a> {
    fn from(t: &'a [usize]) -> Self {
        Self::Concatenated(ArrayView1::from(t))
    }
}

impl<'a> From<&'a Vec<usize>> for CtcTargets<'a> {
    fn from(t: &'a Vec<usize>) -> Self {
        Self::Concatenated(ArrayView1::from(&t[..]))
    }
}

mod private {
    pub trait Sealed {}
    impl Sealed for ndarray::Ix2 {}
    impl Sealed for ndarray::Ix3 {}
}

/// The shapes [`Ctc`] takes log-probabilities in: `(T, N, C)` (a batch,
/// `Ix3`) or `(T, C)` (one sequence, `Ix2`, PyTorch's unbatched input).
/// Sealed.
///
/// # Examples
///
/// ```
/// use ndarray::Array2;
/// use ndloss::loss::Ctc;
///
/// // One unbatched sequence: T = 3 frames over C = 2 classes (blank 0).
/// let lp = Array2::from_elem((3, 2), 0.5_f64.ln());
/// let v = Ctc::new().forward(&lp, &[1_usize][..], &[3], &[1])?;
/// // The paths spelling "1": bb1, b1b, 1bb, b11, 11b, 111: six of the eight.
/// assert!((v - (8.0_f64 / 6.0).ln()).abs() < 1e-12);
/// # Ok::<(), ndloss::Error>(())
/// ```
pub trait CtcLayout: ndarray::Dimension + private::Sealed {
    /// The array as `(T, N, C)`.
    fn as_tnc<A>(a: &ArrayRef<A, Self>) -> ArrayView3<'_, A>;
    /// The mutable array as `(T, N, C)`.
    fn as_tnc_mut<A>(a: &mut ArrayRef<A, Self>) -> ArrayViewMut3<'_, A>;
}

impl CtcLayout for Ix3 {
    fn as_tnc<A>(a: &ArrayRef<A, Ix3>) -> ArrayView3<'_, A> {
        a.view()
    }
    fn as_tnc_mut<A>(a: &mut ArrayRef<A, Ix3>) -> ArrayViewMut3<'_, A> {
        a.view_mut()
    }
}

impl CtcLayout for Ix2 {
    fn as_tnc<A>(a: &ArrayRef<A, Ix2>) -> ArrayView3<'_, A> {
        a.view().insert_axis(Axis(1))
    }
    fn as_tnc_mut<A>(a: &mut ArrayRef<A, Ix2>) -> ArrayViewMut3<'_, A> {
        a.view_mut().insert_axis(Axis(1))
    }
}

/// Connectionist temporal classification loss (Graves et al. 2006): the
/// negative log-probability of a target sequence, summed over every
/// alignment of it to the input frames.
///
/// ```text
/// l' = (b, l₁, b, l₂, …, l_S, b)       the target with blanks around every label
/// ℓ = −log Σ_{π ∈ B⁻¹(l)} Π_t p_t(π_t)  over the paths π of length T that collapse to l
///     (merge repeats, then drop blanks), computed by the α/β recursion in log space
/// ∂ℓ/∂log p_t(k) = −γ_t(k),  γ_t(k) = posterior of emitting k at t
/// mean: Σₙ ℓₙ / max(Sₙ, 1) / N    sum: Σ ℓₙ    batch mean: Σ ℓₙ / N
/// ```
///
/// For training a model whose output sequence (audio frames, image columns)
/// is longer than its target and not aligned to it: speech recognition,
/// handwriting and scene-text recognition. The model emits, per frame, a
/// distribution over the classes plus a blank; the loss sums over every way
/// the frames can spell the target. Between two equal consecutive labels a
/// blank is needed, so a target of `S` labels with `R` repeats needs at least
/// `S + R` frames; with fewer the probability is 0 and the loss `+∞` (or 0
/// with `zero_infinity`).
///
/// Inputs, as PyTorch's:
/// - `log_probs`: `(T, N, C)` log-probabilities (`log_softmax` over the
///   class axis), or `(T, C)` for one sequence with `N = 1`; any strides.
/// - `targets`: padded `(N, S)` or concatenated `(Σ Sₙ,)` class indices
///   ([`CtcTargets`]), never the blank.
/// - `input_lengths` (`Tₙ ≤ T`) and `target_lengths` (`Sₙ`), one per sample.
///   Frames from `Tₙ` on are not read and get a zero gradient.
///
/// The recursion runs in `f64` for both element types, stable for `T` in
/// the thousands (the tests run `T = 5000`). The gradient is
/// [`CtcGradient::PyTorch`]'s by default (see it); `unreduced` gives the
/// loss per sample. With the `rayon` feature the samples of a large batch
/// run in parallel, with results independent of the thread count.
///
/// | parameter | default | range |
/// | --- | --- | --- |
/// | `blank` | 0 | a class index below `C` |
/// | `zero_infinity` | false | an infinite loss (no alignment) and its gradient become 0 |
/// | `gradient` | `PyTorch` | `PyTorch`, `LogProbs` ([`CtcGradient`]) |
/// | `reduction` | `Mean` | `Mean` (PyTorch's: each sample over its target length), `Sum`, `BatchMean` (over `N` only, Keras' `CTC` and TensorFlow's) |
///
/// PyTorch: `torch.nn.CTCLoss(blank, reduction, zero_infinity)` /
/// `F.ctc_loss`, same values and gradients (an infinite loss has a NaN
/// gradient there and here). Differences: a blank inside a target is an
/// error (PyTorch computes a meaningless value), and so is an input length
/// of 0 with PyTorch's garbage result: here it is a loss of 0 for an empty
/// target and `+∞` otherwise; a mean over no samples is an error, not NaN;
/// a log-probability of `−∞` (a class of probability 0 inside a sample's
/// frames) gets its limit as gradient, `0` with the default form, where
/// PyTorch's is NaN; `BatchMean` is extra.
///
/// # Examples
///
/// ```
/// use ndarray::{array, Array3};
/// use ndloss::loss::{Ctc, Reduction};
///
/// // T = 2 frames, N = 1, C = 2 (blank 0, label 1): the target "1" is spelled
/// // by the paths 1b, b1 and 11, of probability 3/4 under uniform frames.
/// let lp = Array3::from_elem((2, 1, 2), 0.5_f64.ln());
/// let targets = array![[1_usize]];
/// let ctc = Ctc::new().reduction(Reduction::Sum);
/// let (v, g) = ctc.forward_grad(&lp, &targets, &[2], &[1])?;
/// assert!((v + 0.75_f64.ln()).abs() < 1e-12);
/// // γ: the label is emitted at t = 0 by 1b and 11 (2 of 3 paths); PyTorch's
/// // gradient is p − γ.
/// assert!((g[[0, 0, 1]] - (0.5 - 2.0 / 3.0)).abs() < 1e-12);
/// # Ok::<(), ndloss::Error>(())
/// ```
///
/// # Errors
///
/// - [`Error::InvalidHyperparameter`] for a `blank` not below `C`;
/// - [`Error::ShapeMismatch`] for `input_lengths` or `target_lengths` not of
///   length `N`, padded `targets` without `N` rows, concatenated `targets`
///   not of length `Σ Sₙ`, or a gradient buffer not shaped like `log_probs`;
/// - [`Error::InvalidValue`] for an input length above `T`, a target length
///   above the padded width `S`, or a blank inside a target (at its index);
/// - [`Error::ClassOutOfRange`] for a target class not below `C` (`sample`
///   is the sample's index);
/// - [`Error::EmptyReduction`] for a mean over `N = 0` samples.
///
/// On error nothing is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Ctc {
    reduction: Reduction,
    blank: usize,
    zero_infinity: bool,
    gradient: CtcGradient,
}

/// A validated batch: per sample its frame count and target.
struct Batch<'a, 't, A> {
    log_probs: ArrayView3<'a, A>,
    input_lengths: &'a [usize],
    targets: Vec<TargetRef<'t>>,
}

/// One sample's target: contiguous, or a strided row copied once.
enum TargetRef<'a> {
    Slice(&'a [usize]),
    Owned(Vec<usize>),
}

impl TargetRef<'_> {
    fn as_slice(&self) -> &[usize] {
        match self {
            Self::Slice(s) => s,
            Self::Owned(v) => v,
        }
    }
}

impl Ctc {
    /// CTC with PyTorch's defaults: blank 0, no `zero_infinity`, mean reduction.
    pub fn new() -> Self {
        Self::default()
    }

    /// The class index of the blank (default 0).
    #[must_use]
    pub fn blank(mut self, blank: usize) -> Self {
        self.blank = blank;
        self
    }

    /// The blank's class index.
    pub fn get_blank(&self) -> usize {
        self.blank
    }

    /// Whether an infinite loss (a target no alignment can produce) and its
    /// gradient become 0 (default false): PyTorch's `zero_infinity`.
    #[must_use]
    pub fn zero_infinity(mut self, zero_infinity: bool) -> Self {
        self.zero_infinity = zero_infinity;
        self
    }

    /// Whether infinite losses are zeroed.
    pub fn get_zero_infinity(&self) -> bool {
        self.zero_infinity
    }

    /// Which gradient with respect to the log-probabilities is returned
    /// (default [`CtcGradient::PyTorch`]).
    #[must_use]
    pub fn gradient(mut self, gradient: CtcGradient) -> Self {
        self.gradient = gradient;
        self
    }

    /// The gradient returned.
    pub fn get_gradient(&self) -> CtcGradient {
        self.gradient
    }

    /// Sets how the loss is reduced (default [`Reduction::Mean`], PyTorch's:
    /// each sample's loss divided by its target length, at least 1, then the
    /// mean over the batch).
    #[must_use]
    pub fn reduction(mut self, reduction: Reduction) -> Self {
        self.reduction = reduction;
        self
    }

    /// The reduction in use.
    pub fn get_reduction(&self) -> Reduction {
        self.reduction
    }

    /// The reduced loss.
    ///
    /// # Errors
    ///
    /// See [`Ctc`].
    pub fn forward<'t, A: Float, D: CtcLayout>(
        &self,
        log_probs: &ArrayRef<A, D>,
        targets: impl Into<CtcTargets<'t>>,
        input_lengths: &[usize],
        target_lengths: &[usize],
    ) -> Result<A> {
        let targets = targets.into();
        let batch = self.validate(D::as_tnc(log_probs), targets, input_lengths, target_lengths)?;
        let scales = self.scales(target_lengths)?;
        let losses = self.run(&batch, None, &scales);
        Ok(A::from_f64(self.total(&losses, &scales)))
    }

    /// The reduced loss, with its gradient with respect to `log_probs`
    /// written into `grad` (shaped like `log_probs`; frames past an input
    /// length get 0).
    ///
    /// # Errors
    ///
    /// See [`Ctc`]; on error `grad` is unchanged.
    pub fn forward_grad_into<'t, A: Float, D: CtcLayout>(
        &self,
        log_probs: &ArrayRef<A, D>,
        targets: impl Into<CtcTargets<'t>>,
        input_lengths: &[usize],
        target_lengths: &[usize],
        grad: &mut ArrayRef<A, D>,
    ) -> Result<A> {
        if grad.shape() != log_probs.shape() {
            return Err(shape_error(
                "gradient buffer",
                log_probs.shape(),
                grad.shape(),
            ));
        }
        let targets = targets.into();
        let batch = self.validate(D::as_tnc(log_probs), targets, input_lengths, target_lengths)?;
        let scales = self.scales(target_lengths)?;
        let losses = self.run(&batch, Some(D::as_tnc_mut(grad)), &scales);
        Ok(A::from_f64(self.total(&losses, &scales)))
    }

    /// The reduced loss and its gradient as a new array.
    ///
    /// # Errors
    ///
    /// See [`Ctc`].
    pub fn forward_grad<'t, A: Float, D: CtcLayout>(
        &self,
        log_probs: &ArrayRef<A, D>,
        targets: impl Into<CtcTargets<'t>>,
        input_lengths: &[usize],
        target_lengths: &[usize],
    ) -> Result<(A, Array<A, D>)> {
        let mut grad = Array::zeros(log_probs.raw_dim());
        let v =
            self.forward_grad_into(log_probs, targets, input_lengths, target_lengths, &mut grad)?;
        Ok((v, grad))
    }

    /// The gradient alone.
    ///
    /// # Errors
    ///
    /// See [`Ctc`].
    pub fn grad<'t, A: Float, D: CtcLayout>(
        &self,
        log_probs: &ArrayRef<A, D>,
        targets: impl Into<CtcTargets<'t>>,
        input_lengths: &[usize],
        target_lengths: &[usize],
    ) -> Result<Array<A, D>> {
        self.forward_grad(log_probs, targets, input_lengths, target_lengths)
            .map(|(_, g)| g)
    }

    /// The loss of each sample, `(N,)` (length 1 for a `(T, C)` input):
    /// PyTorch's `reduction='none'`, with `zero_infinity` applied.
    ///
    /// # Errors
    ///
    /// See [`Ctc`], except that an empty batch is valid.
    pub fn unreduced<'t, A: Float, D: CtcLayout>(
        &self,
        log_probs: &ArrayRef<A, D>,
        targets: impl Into<CtcTargets<'t>>,
        input_lengths: &[usize],
        target_lengths: &[usize],
    ) -> Result<Array1<A>> {
        let targets = targets.into();
        let batch = self.validate(D::as_tnc(log_probs), targets, input_lengths, target_lengths)?;
        let ones = vec![1.0; input_lengths.len()];
        let losses = self.run(&batch, None, &ones);
        Ok(losses
            .iter()
            .map(|&v| A::from_f64(self.zeroed(v)))
            .collect())
    }

    fn zeroed(&self, v: f64) -> f64 {
        if self.zero_infinity && v == f64::INFINITY {
            0.0
        } else {
            v
        }
    }

    /// Each sample's weight in the reduced loss.
    fn scales(&self, target_lengths: &[usize]) -> Result<Vec<f64>> {
        let n = target_lengths.len();
        if n == 0 && self.reduction != Reduction::Sum {
            return Err(Error::EmptyReduction {
                what: "the batch is empty",
            });
        }
        let inv_n = 1.0 / n as f64;
        Ok(target_lengths
            .iter()
            .map(|&s| match self.reduction {
                Reduction::Sum => 1.0,
                Reduction::BatchMean => inv_n,
                Reduction::Mean => inv_n / s.max(1) as f64,
            })
            .collect())
    }

    /// `Σₙ scaleₙ·ℓₙ` in sample order, infinite losses zeroed if asked.
    fn total(&self, losses: &[f64], scales: &[f64]) -> f64 {
        losses
            .iter()
            .zip(scales)
            .map(|(&v, &w)| self.zeroed(v) * w)
            .sum()
    }

    fn validate<'a, 't, A: Float>(
        &self,
        log_probs: ArrayView3<'a, A>,
        targets: CtcTargets<'t>,
        input_lengths: &'a [usize],
        target_lengths: &[usize],
    ) -> Result<Batch<'a, 't, A>> {
        let (t_len, n, classes) = log_probs.dim();
        if self.blank >= classes {
            return Err(Error::InvalidHyperparameter {
                name: "blank",
                value: self.blank as f64,
                expected: "a class index below the number of classes",
            });
        }
        if input_lengths.len() != n {
            return Err(shape_error("input_lengths", &[n], &[input_lengths.len()]));
        }
        if target_lengths.len() != n {
            return Err(shape_error("target_lengths", &[n], &[target_lengths.len()]));
        }
        if let Some(i) = input_lengths.iter().position(|&l| l > t_len) {
            return Err(Error::InvalidValue {
                what: "input_lengths",
                index: vec![i],
                value: input_lengths[i] as f64,
                expected: "at most the number of frames T",
            });
        }
        let mut out = Vec::with_capacity(n);
        match targets {
            CtcTargets::Padded(t) => {
                if t.nrows() != n {
                    return Err(shape_error("targets", &[n, t.ncols()], t.shape()));
                }
                for (i, &s) in target_lengths.iter().enumerate() {
                    if s > t.ncols() {
                        return Err(Error::InvalidValue {
                            what: "target_lengths",
                            index: vec![i],
                            value: s as f64,
                            expected: "at most the padded target width S",
                        });
                    }
                    let row = t.index_axis_move(Axis(0), i).slice_move(ndarray::s![..s]);
                    self.check_classes(i, row, classes, |j| vec![i, j])?;
                    out.push(match row.to_slice() {
                        Some(r) => TargetRef::Slice(r),
                        None => TargetRef::Owned(row.to_vec()),
                    });
                }
            }
            CtcTargets::Concatenated(t) => {
                // Saturating: lengths summing past usize::MAX are a mismatch, not an overflow.
                let total = target_lengths
                    .iter()
                    .fold(0_usize, |a, &b| a.saturating_add(b));
                if t.len() != total {
                    return Err(shape_error("targets", &[total], &[t.len()]));
                }
                let mut start = 0;
                for (i, &s) in target_lengths.iter().enumerate() {
                    let row = t.slice_move(ndarray::s![start..start + s]);
                    let offset = start;
                    self.check_classes(i, row, classes, |j| vec![offset + j])?;
                    out.push(match row.to_slice() {
                        Some(r) => TargetRef::Slice(r),
                        None => TargetRef::Owned(row.to_vec()),
                    });
                    start += s;
                }
            }
        }
        Ok(Batch {
            log_probs,
            input_lengths,
            targets: out,
        })
    }

    fn check_classes(
        &self,
        sample: usize,
        target: ArrayView1<'_, usize>,
        classes: usize,
        index: impl Fn(usize) -> Vec<usize>,
    ) -> Result<()> {
        for (j, &k) in target.iter().enumerate() {
            if k >= classes {
                return Err(Error::ClassOutOfRange {
                    sample,
                    class: k,
                    num_classes: classes,
                });
            }
            if k == self.blank {
                return Err(Error::InvalidValue {
                    what: "targets",
                    index: index(j),
                    value: k as f64,
                    expected: "a class other than the blank",
                });
            }
        }
        Ok(())
    }

    /// Every sample's loss (unzeroed), writing the gradient scaled by
    /// `scales` when `grad` is given.
    fn run<A: Float>(
        &self,
        batch: &Batch<'_, '_, A>,
        grad: Option<ArrayViewMut3<'_, A>>,
        scales: &[f64],
    ) -> Vec<f64> {
        let form = match self.gradient {
            CtcGradient::PyTorch => GradForm::PyTorch,
            CtcGradient::LogProbs => GradForm::LogProbs,
        };
        let n = batch.targets.len();
        let mut grad = grad;
        let mut rows: Vec<Option<ArrayViewMut2<'_, A>>> = match grad.as_mut() {
            Some(g) => g.axis_iter_mut(Axis(1)).map(Some).collect(),
            None => (0..n).map(|_| None).collect(),
        };
        let one = |i: usize, g: Option<ArrayViewMut2<'_, A>>, ws: &mut Workspace| {
            let t_i = batch.input_lengths[i];
            let sample = Sample {
                log_probs: batch
                    .log_probs
                    .index_axis(Axis(1), i)
                    .slice_move(ndarray::s![..t_i, ..]),
                target: batch.targets[i].as_slice(),
                blank: self.blank,
            };
            let out = g.map(|rows| GradOut {
                rows,
                scale: scales[i],
                form,
                zero_infinity: self.zero_infinity,
            });
            ctc::nll(&sample, ws, out)
        };
        #[cfg(feature = "rayon")]
        {
            let work: usize = batch
                .input_lengths
                .iter()
                .zip(&batch.targets)
                .map(|(&t, s)| t * (2 * s.as_slice().len() + 1))
                .sum();
            if n > 1 && work >= PAR_WORK && rayon::current_num_threads() > 1 {
                use rayon::prelude::*;
                return rows
                    .par_iter_mut()
                    .enumerate()
                    .map_init(Workspace::default, |ws, (i, g)| one(i, g.take(), ws))
                    .collect();
            }
        }
        let mut ws = Workspace::default();
        rows.iter_mut()
            .enumerate()
            .map(|(i, g)| one(i, g.take(), &mut ws))
            .collect()
    }
}

/// Recursion cells (`Σₙ Tₙ·(2Sₙ + 1)`) from which a batch is split over
/// threads: about 50 µs of work.
#[cfg(feature = "rayon")]
const PAR_WORK: usize = 1 << 14;
