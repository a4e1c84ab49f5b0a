//! Probabilistic losses: negative log-likelihoods of count ([`PoissonNll`])
//! and Gaussian ([`GaussianNll`], with a predicted variance) models, and the
//! KL divergence ([`KlDiv`]).

use ndarray::{Array, ArrayRef, ArrayView, Axis, Dimension, IntoDimension, IxDyn};

use super::multi::{multi_loss, shape_error};
use crate::error::{check_hyper, Error, Result};
use crate::float::Float;
use crate::kernel::check_same_shape;
use crate::kernel::elementwise::{broadcast_to, map3, reduce3};
use crate::kernel::elementwise::{Pass, PointMath, WeightedMean};
use crate::loss::{counted_elementwise, elementwise_loss, loss_builders, Elementwise, Reduction};

/// Poisson negative log-likelihood, PyTorch's `PoissonNLLLoss`.
///
/// ```text
/// log_input = true:   ℓ = eˣ − y·x              ∂ℓ/∂x = eˣ − y
/// log_input = false:  ℓ = x − y·ln(x + eps)     ∂ℓ/∂x = 1 − y/(x + eps)
/// full = true adds Stirling's term y·ln y − y + ½·ln(2πy) where y > 1
/// ```
///
/// For count targets (events per interval) with a predicted rate `λ = eˣ`
/// (or `λ = x`).
///
/// | parameter | default | range |
/// | --- | --- | --- |
/// | `log_input` | true | |
/// | `full` | false | |
/// | `eps` | 1e-8 | finite, ≥ 0 |
/// | `reduction` | `Mean` | `Mean`, `Sum`, `BatchMean` |
///
/// PyTorch: `PoissonNLLLoss(log_input, full, eps)`. Keras' `Poisson` is
/// `log_input(false).eps(1e-7)` (checked against Keras itself).
///
/// # Examples
///
/// ```
/// use ndarray::array;
/// use ndloss::prelude::*;
///
/// let v = PoissonNll::new().forward(&array![0.0_f64, 1.0], &array![1.0, 2.0])?;
/// assert!((v - (1.0 + std::f64::consts::E - 2.0) / 2.0).abs() < 1e-15);
/// # Ok::<(), ndloss::Error>(())
/// ```
///
/// # Errors
///
/// As [`Mse`](crate::loss::Mse), plus [`Error::InvalidHyperparameter`] for a negative `eps`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PoissonNll {
    reduction: Reduction,
    log_input: bool,
    full: bool,
    eps: f64,
}

impl Default for PoissonNll {
    fn default() -> Self {
        Self {
            reduction: Reduction::Mean,
            log_input: true,
            full: false,
            eps: 1e-8,
        }
    }
}

impl PoissonNll {
    /// PyTorch's defaults: log input, no Stirling term, `eps = 1e-8`.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether the input is the log-rate (default true) or the rate.
    #[must_use]
    pub fn log_input(mut self, log_input: bool) -> Self {
        self.log_input = log_input;
        self
    }

    /// Add Stirling's approximation of `ln y!` (default false).
    #[must_use]
    pub fn full(mut self, full: bool) -> Self {
        self.full = full;
        self
    }

    /// Added to the rate before the logarithm when `log_input` is false (default 1e-8).
    #[must_use]
    pub fn eps(mut self, eps: f64) -> Self {
        self.eps = eps;
        self
    }

    fn checked_math<A: Float>(&self) -> Result<PoissonMath<A>> {
        let eps = check_hyper(
            "eps",
            self.eps,
            self.eps.is_finite() && self.eps >= 0.0,
            "a finite value >= 0",
        )?;
        Ok(PoissonMath {
            log_input: self.log_input,
            full: self.full,
            eps: A::from_f64(eps),
        })
    }
}
counted_elementwise!(PoissonNll, PoissonMath);

/// `DEFAULTS`: `log_input` and not `full` (PyTorch's defaults), fixed in
/// the type: the variant [`PointMath::specialize`] hands the contiguous
/// kernels then. With the settings read per element, the vectorised loop
/// would compute both inputs' formulas and select.
#[derive(Clone, Copy)]
pub(crate) struct PoissonMath<A, const DEFAULTS: bool = false> {
    log_input: bool,
    full: bool,
    eps: A,
}

impl<A: Float, const DEFAULTS: bool> PointMath<A> for PoissonMath<A, DEFAULTS> {
    const HEAVY: bool = true;
    #[inline(always)]
    fn specialize<P: Pass<A>>(self, pass: P) -> P::Output {
        if !DEFAULTS && self.log_input && !self.full {
            pass.run(PoissonMath::<A, true> {
                log_input: true,
                full: false,
                eps: self.eps,
            })
        } else {
            pass.run(self)
        }
    }
    #[inline(always)]
    fn value(self, x: A, y: A) -> A {
        self.value_grad(x, y).0
    }
    #[inline(always)]
    fn value_grad(self, x: A, y: A) -> (A, A) {
        self.value_grad_k::<false>(x, y)
    }
    #[inline(always)]
    fn value_grad_k<const FMA: bool>(self, x: A, y: A) -> (A, A) {
        let (log_input, full) = if DEFAULTS {
            (true, false)
        } else {
            (self.log_input, self.full)
        };
        let (mut v, d) = if log_input {
            let e = x.exp_k::<FMA>();
            (e - y * x, e - y)
        } else {
            (
                x - y * (x + self.eps).ln_k::<FMA>(),
                A::one() - y / (x + self.eps),
            )
        };
        if full && y > A::one() {
            // Stirling: y·ln y − y + ½·ln(2πy), with the crate's branch-free
            // `ln` (a C library call here keeps the whole loop scalar, even
            // without `full`).
            let ln_y = y.ln_k::<FMA>();
            let half_ln_two_pi = A::from_f64(0.5 * (2.0 * std::f64::consts::PI).ln());
            v = v + (y * ln_y - y + (A::from_f64(0.5) * ln_y + half_ln_two_pi));
        }
        (v, d)
    }
}

/// Kullback–Leibler divergence on log-probabilities, PyTorch's `KLDivLoss`.
///
/// ```text
/// log_target = false:  ℓ = y·(ln y − x)   (0 where y = 0)     ∂ℓ/∂x = −y
/// log_target = true:   ℓ = eʸ·(y − x)                          ∂ℓ/∂x = −eʸ
/// ```
///
/// The input `x` is log-probabilities (a log-softmax output); the target is
/// probabilities (or log-probabilities with `log_target`). Use
/// `Reduction::BatchMean` for the true per-sample KL divergence;
/// `Reduction::Mean` (PyTorch's default) divides by every element.
///
/// | parameter | default | range |
/// | --- | --- | --- |
/// | `log_target` | false | |
/// | `reduction` | `Mean` | `Mean`, `Sum`, `BatchMean` |
///
/// PyTorch: `KLDivLoss(reduction, log_target)`. Keras' `KLDivergence` takes
/// probabilities for both and clips them to [1e-7, 1].
///
/// # Examples
///
/// ```
/// use ndarray::array;
/// use ndloss::prelude::*;
///
/// let logq = array![[0.5_f64.ln(), 0.5_f64.ln()]];
/// let p = array![[1.0, 0.0]];
/// let kl = KlDiv::new().reduction(Reduction::BatchMean).forward(&logq, &p)?;
/// assert!((kl - 2.0_f64.ln()).abs() < 1e-15);
/// # Ok::<(), ndloss::Error>(())
/// ```
///
/// # Errors
///
/// As [`Mse`](crate::loss::Mse).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct KlDiv {
    reduction: Reduction,
    log_target: bool,
}

impl KlDiv {
    /// KL divergence with probability targets and mean reduction (PyTorch's defaults).
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether the target is given as log-probabilities (default false).
    #[must_use]
    pub fn log_target(mut self, log_target: bool) -> Self {
        self.log_target = log_target;
        self
    }

    fn checked_math<A: Float>(&self) -> Result<KlMath<A>> {
        Ok(KlMath {
            log_target: self.log_target,
            _a: std::marker::PhantomData,
        })
    }
}
counted_elementwise!(KlDiv, KlMath);

#[derive(Clone, Copy)]
pub(crate) struct KlMath<A> {
    log_target: bool,
    _a: std::marker::PhantomData<A>,
}

impl<A: Float> PointMath<A> for KlMath<A> {
    const HEAVY: bool = true;
    #[inline(always)]
    fn value(self, x: A, y: A) -> A {
        self.value_grad(x, y).0
    }
    #[inline(always)]
    fn value_grad(self, x: A, y: A) -> (A, A) {
        self.value_grad_k::<false>(x, y)
    }
    #[inline(always)]
    fn value_grad_k<const FMA: bool>(self, x: A, y: A) -> (A, A) {
        // The crate's branch-free `exp`/`ln` (within 2 ulp of `std`): a
        // call to the C library in the loop keeps it scalar.
        if self.log_target {
            let e = y.exp_k::<FMA>();
            (e * (y - x), -e)
        } else {
            // xlogy(y, y) − y·x, with xlogy(0, ·) = 0, as PyTorch.
            let ylny = if y == A::zero() {
                A::zero()
            } else {
                y * y.ln_k::<FMA>()
            };
            (ylny - y * x, -y)
        }
    }
}

/// How `var` lines up with `input` in [`GaussianNll`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum VarLayout {
    /// One variance per element.
    Full,
    /// Broadcast along this axis of the input: `var` lacks the last axis, or
    /// has size 1 on this one axis.
    Along(usize),
}

/// PyTorch's rules for the shape of `var`, in PyTorch's order.
fn var_layout(input: &[usize], var: &[usize]) -> Result<VarLayout> {
    let n = input.len();
    if var == input {
        return Ok(VarLayout::Full);
    }
    if n >= 1 && var == &input[..n - 1] {
        return Ok(VarLayout::Along(n - 1));
    }
    if var.len() == n {
        let mut mismatched = (0..n).filter(|&k| var[k] != input[k]);
        if let (Some(k), None) = (mismatched.next(), mismatched.next()) {
            if var[k] == 1 {
                return Ok(VarLayout::Along(k));
            }
        }
    }
    Err(shape_error("var", input, var))
}

/// `var` with the input's number of axes (a size-1 axis inserted where it
/// lacks the last one), not yet broadcast.
fn var_with_input_axes<'a, A, D: Dimension, E: Dimension>(
    var: &'a ArrayRef<A, E>,
    input: &D,
) -> Result<ArrayView<'a, A, D>> {
    let mut v: ArrayView<'a, A, IxDyn> = var.view().into_dyn();
    if v.ndim() + 1 == input.ndim() {
        let last = v.ndim();
        v = v.insert_axis(Axis(last));
    }
    v.into_dimensionality::<D>()
        .map_err(|_| shape_error("var", input.slice(), var.shape()))
}

/// Gaussian negative log-likelihood with a predicted variance.
///
/// ```text
/// v = max(var, eps)
/// ℓ = ½·(ln v + (input − target)²/v)   [+ ½·ln 2π if full]
/// ∂ℓ/∂input = (input − target)/v
/// ∂ℓ/∂var   = ½·(1/v − (input − target)²/v²)      (also where var < eps: see below)
/// mean: Σ ℓ / (number of elements of input)    batch mean: Σ ℓ / (size of axis 0)
/// ```
///
/// For regression that predicts its own uncertainty (heteroscedastic
/// regression, deep ensembles): the model outputs a mean `input` and a
/// variance `var` per target.
///
/// `var` has the shape of `input` (one variance per element), or the shape
/// of `input` without its last axis (one variance per row, broadcast along
/// it), or `input`'s shape with size 1 on exactly one axis (e.g. `(N, 1)`
/// for `(N, D)`, or `(N, 1, H, W)` for `(N, C, H, W)`), as PyTorch accepts
/// (older releases only took the size-1 axis last).
/// The gradient with respect to `var` has `var`'s shape: the sum over the
/// axis it is broadcast along. That case adds one scratch array of the
/// input's shape; the one-variance-per-element case allocates nothing.
///
/// **The clamp does not block the gradient.** PyTorch clamps a copy of
/// `var` in place under `no_grad`, so autograd sees the clamp as the
/// identity: where `var < eps` the value uses `eps`, and so does the
/// gradient formula above, which is *not* zeroed there. This loss does the
/// same. (The gradient with respect to `target` is `−∂ℓ/∂input`.)
///
/// | parameter | default | range |
/// | --- | --- | --- |
/// | `full` | false | |
/// | `eps` | 1e-6 | finite, > 0 |
/// | `reduction` | `Mean` | `Mean`, `Sum`, `BatchMean` |
///
/// PyTorch: `torch.nn.GaussianNLLLoss(full, eps)` / `F.gaussian_nll_loss`,
/// same values and gradients. Differences: a mean over an empty input is an
/// error, not NaN; `eps ≤ 0` is rejected (PyTorch accepts it and returns
/// `−∞`/NaN for a zero variance); a scalar `var` is a 0-d array only for a
/// 1-D input (broadcast it yourself otherwise, or use a size-1 axis); `target`
/// must have `input`'s shape (PyTorch would broadcast it).
///
/// # Examples
///
/// ```
/// use ndarray::array;
/// use ndloss::loss::GaussianNll;
///
/// let (input, target, var) = (array![1.0_f64, 0.0], array![0.0, 0.0], array![1.0, 1.0]);
/// let (value, d_input, d_var) = GaussianNll::new().forward_grad(&input, &target, &var)?;
/// assert_eq!(value, 0.25); // (½·(ln 1 + 1) + ½·(ln 1 + 0)) / 2
/// assert_eq!(d_input, array![0.5, 0.0]); // (input − target)/var / 2
/// assert_eq!(d_var, array![0.0, 0.25]); // ½·(1 − e²) / 2
/// # Ok::<(), ndloss::Error>(())
/// ```
///
/// # Errors
///
/// [`Error::ShapeMismatch`] naming `target`, `var` or a gradient buffer
/// (`"gradient buffer for input"`, `"gradient buffer for var"`: shaped like
/// `input` and like `var`); [`Error::InvalidValue`] for a negative entry of
/// `var` (PyTorch raises too); [`Error::InvalidHyperparameter`] for an `eps`
/// that is not finite and positive; [`Error::EmptyReduction`] for the mean of
/// an empty input.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GaussianNll {
    reduction: Reduction,
    full: bool,
    eps: f64,
}

impl Default for GaussianNll {
    fn default() -> Self {
        Self {
            reduction: Reduction::Mean,
            full: false,
            eps: 1e-6,
        }
    }
}
loss_builders!(GaussianNll);
multi_loss!(GaussianNll<D, E> (input: D, target: D, var: E) -> (grad_input: D, grad_var: E), Array<A, D>);

impl GaussianNll {
    /// PyTorch's defaults: no constant term, `eps = 1e-6`, mean reduction.
    pub fn new() -> Self {
        Self::default()
    }

    /// Add the constant `½·ln 2π` to every element (default false).
    #[must_use]
    pub fn full(mut self, full: bool) -> Self {
        self.full = full;
        self
    }

    /// The lower clamp of the variance (default 1e-6).
    #[must_use]
    pub fn eps(mut self, eps: f64) -> Self {
        self.eps = eps;
        self
    }

    fn check_eps(&self) -> Result<f64> {
        check_hyper(
            "eps",
            self.eps,
            self.eps.is_finite() && self.eps > 0.0,
            "a finite value > 0",
        )
    }

    /// Checks everything read-only; returns the layout of `var`, `var` with
    /// the input's axes and the per-element math `(input, var, target)`.
    #[allow(clippy::type_complexity)]
    fn checked<'a, A: Float, D: Dimension, E: Dimension>(
        &self,
        input: &ArrayRef<A, D>,
        target: &ArrayRef<A, D>,
        var: &'a ArrayRef<A, E>,
    ) -> Result<(
        VarLayout,
        ArrayView<'a, A, D>,
        impl Fn(A, A, A) -> (A, A, A) + Copy,
    )> {
        let eps = self.check_eps()?;
        check_same_shape("target", input, target)?;
        let layout = var_layout(input.shape(), var.shape())?;
        if let Some((index, &v)) = var.indexed_iter().find(|(_, &v)| v < A::zero()) {
            return Err(Error::InvalidValue {
                what: "var",
                index: index.into_dimension().slice().to_vec(),
                value: v.to_f64(),
                expected: "a variance >= 0",
            });
        }
        let v = var_with_input_axes(var, &input.raw_dim())?;
        let eps = A::from_f64(eps);
        let constant = if self.full {
            A::from_f64(0.5 * (2.0 * std::f64::consts::PI).ln())
        } else {
            A::zero()
        };
        let half = A::from_f64(0.5);
        let full = self.full;
        let f = move |x: A, v: A, t: A| {
            // The clamp keeps NaN, like torch.clamp_.
            let v = if v < eps { eps } else { v };
            let e = x - t;
            let r = e * e / v;
            // `ln_fast` (within 2 ulp of `std`): a C library `ln` would keep
            // the fused three-input kernel scalar.
            let value = half * (v.ln_fast() + r);
            let value = if full { value + constant } else { value };
            // PyTorch's backward of ln v and of e²/v: ½/v − ½·((e²/v)/v).
            (value, e / v, half / v - half * (r / v))
        };
        Ok((layout, v, f))
    }

    /// The reduced loss.
    ///
    /// # Errors
    ///
    /// See [`GaussianNll`].
    pub fn forward<A: Float, D: Dimension, E: Dimension>(
        &self,
        input: &ArrayRef<A, D>,
        target: &ArrayRef<A, D>,
        var: &ArrayRef<A, E>,
    ) -> Result<A> {
        let (_, v, f) = self.checked(input, target, var)?;
        let v = broadcast_to("var", &v, &input.raw_dim())?;
        reduce3([input.view(), v, target.view()], None, self.reduction, f)
    }

    /// The reduced loss, with its gradients with respect to `input` and `var`
    /// written into `grad_input` (shaped like `input`) and `grad_var` (shaped
    /// like `var`) in one pass.
    ///
    /// # Errors
    ///
    /// See [`GaussianNll`]; on error both buffers are unchanged.
    pub fn forward_grad_into<A: Float, D: Dimension, E: Dimension>(
        &self,
        input: &ArrayRef<A, D>,
        target: &ArrayRef<A, D>,
        var: &ArrayRef<A, E>,
        grad_input: &mut ArrayRef<A, D>,
        grad_var: &mut ArrayRef<A, E>,
    ) -> Result<A> {
        let (layout, v, f) = self.checked(input, target, var)?;
        check_same_shape("gradient buffer for input", input, grad_input)?;
        check_same_shape("gradient buffer for var", var, grad_var)?;
        let shape = input.raw_dim();
        let v = broadcast_to("var", &v, &shape)?;
        let inputs = [input.view(), v, target.view()];
        match layout {
            VarLayout::Full => {
                let mut gv = grad_var
                    .view_mut()
                    .into_dimensionality::<D>()
                    .map_err(|_| {
                        shape_error("gradient buffer for var", input.shape(), var.shape())
                    })?;
                reduce3(inputs, Some((grad_input, &mut gv)), self.reduction, f)
            }
            VarLayout::Along(axis) => {
                // reduce3 writes full-shape gradients; the variance's is the
                // sum of its per-element terms along the broadcast axis.
                let mut per_element = Array::<A, D>::zeros(shape);
                let value = reduce3(
                    inputs,
                    Some((grad_input, &mut per_element)),
                    self.reduction,
                    f,
                )?;
                let summed = per_element.into_dyn().sum_axis(Axis(axis));
                // Dropping (or never having) a size-1 axis keeps the
                // row-major order, so the two iterate in step.
                grad_var
                    .iter_mut()
                    .zip(summed.iter())
                    .for_each(|(g, &s)| *g = s);
                Ok(value)
            }
        }
    }

    /// The reduced loss and its gradients `(value, ∂/∂input, ∂/∂var)`.
    ///
    /// # Errors
    ///
    /// See [`GaussianNll`].
    #[allow(clippy::type_complexity)]
    pub fn forward_grad<A: Float, D: Dimension, E: Dimension>(
        &self,
        input: &ArrayRef<A, D>,
        target: &ArrayRef<A, D>,
        var: &ArrayRef<A, E>,
    ) -> Result<(A, Array<A, D>, Array<A, E>)> {
        let mut gi = Array::zeros(input.raw_dim());
        let mut gv = Array::zeros(var.raw_dim());
        let value = self.forward_grad_into(input, target, var, &mut gi, &mut gv)?;
        Ok((value, gi, gv))
    }

    /// The gradients `(∂/∂input, ∂/∂var)` of the reduced loss.
    ///
    /// # Errors
    ///
    /// See [`GaussianNll`].
    pub fn grad<A: Float, D: Dimension, E: Dimension>(
        &self,
        input: &ArrayRef<A, D>,
        target: &ArrayRef<A, D>,
        var: &ArrayRef<A, E>,
    ) -> Result<(Array<A, D>, Array<A, E>)> {
        self.forward_grad(input, target, var)
            .map(|(_, gi, gv)| (gi, gv))
    }

    /// The loss per element of `input` (PyTorch's `reduction='none'`); an
    /// empty input is valid.
    ///
    /// # Errors
    ///
    /// See [`GaussianNll`].
    pub fn unreduced<A: Float, D: Dimension, E: Dimension>(
        &self,
        input: &ArrayRef<A, D>,
        target: &ArrayRef<A, D>,
        var: &ArrayRef<A, E>,
    ) -> Result<Array<A, D>> {
        let (_, v, f) = self.checked(input, target, var)?;
        let v = broadcast_to("var", &v, &input.raw_dim())?;
        Ok(map3([input.view(), v, target.view()], f))
    }
}

getters!(PoissonNll = "ndloss::loss::PoissonNll::new()" {
    get_log_input => log_input(false): bool = false,
    get_full => full(true): bool = true,
    get_eps => eps(1e-6): f64 = 1e-6,
});
getters!(KlDiv = "ndloss::loss::KlDiv::new()" { get_log_target => log_target(true): bool = true });
impl crate::loss::CheckSettings for GaussianNll {
    fn check_settings(&self) -> Result<()> {
        self.check_eps().map(drop)
    }
}

getters!(GaussianNll = "ndloss::loss::GaussianNll::new()" {
    get_full => full(true): bool = true,
    get_eps => eps(1e-8): f64 = 1e-8,
});

#[cfg(test)]
mod tests {
    use super::{var_layout, VarLayout};

    #[test]
    fn var_layouts_follow_pytorch() {
        assert_eq!(var_layout(&[4, 3], &[4, 3]).unwrap(), VarLayout::Full);
        assert_eq!(var_layout(&[4, 3], &[4]).unwrap(), VarLayout::Along(1));
        assert_eq!(var_layout(&[4, 3], &[4, 1]).unwrap(), VarLayout::Along(1));
        assert_eq!(
            var_layout(&[4, 3, 5], &[4, 1, 5]).unwrap(),
            VarLayout::Along(1)
        );
        assert_eq!(var_layout(&[3], &[]).unwrap(), VarLayout::Along(0));
        assert_eq!(var_layout(&[3], &[1]).unwrap(), VarLayout::Along(0));
        assert_eq!(var_layout(&[], &[]).unwrap(), VarLayout::Full);
        assert!(var_layout(&[4, 3], &[3]).is_err());
        assert!(var_layout(&[4, 3], &[1, 1]).is_err());
        assert!(var_layout(&[4, 3], &[4, 2]).is_err());
        assert!(var_layout(&[4, 3], &[4, 3, 1]).is_err());
        assert!(var_layout(&[], &[1]).is_err());
    }
}

/// optax's generalized Kullback–Leibler divergence over lanes of
/// log-predictions: the divergence between unnormalised non-negative
/// measures, convex in the predictions (optax's `convex_kl_divergence`,
/// deprecated there, is the same function).
///
/// With `q = e^{log_pred}` and targets `t ≥ 0`:
///
/// ```text
/// ℓ = Σₖ [tₖ·(ln tₖ − log_predₖ) + qₖ − tₖ]     (tₖ·ln tₖ = 0 where tₖ = 0)
/// ∂ℓ/∂log_predₖ = qₖ − tₖ
/// ```
///
/// For normalised `q` and `t` the extra terms cancel and it is
/// [`KlDiv`]'s per-lane sum. A negative target gives NaN, as optax. One
/// value per lane unreduced.
///
/// | parameter | default | range |
/// | --- | --- | --- |
/// | `reduction` | `Mean` | `Mean` (over lanes), `Sum`, `BatchMean` (over the first axis) |
///
/// optax: `generalized_kl_divergence(log_predictions, targets)` averaged
/// is `Mean` (`axis=-1`, no `where`).
///
/// # Examples
///
/// ```
/// use ndarray::array;
/// use ndloss::prelude::*;
///
/// // q = 1 against t = 2: 2·ln 2 + 1 − 2.
/// let v = GeneralizedKl::new().forward(&array![[0.0_f64]], &array![[2.0]])?;
/// assert!((v - (2.0 * 2.0_f64.ln() - 1.0)).abs() < 1e-15);
/// # Ok::<(), ndloss::Error>(())
/// ```
///
/// # Errors
///
/// [`Error::ShapeMismatch`] for a target or gradient buffer not shaped like
/// the prediction, a 0-d prediction or an empty last axis;
/// [`Error::EmptyReduction`] for a mean over no lanes. On error nothing is
/// written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct GeneralizedKl {
    reduction: Reduction,
}

impl GeneralizedKl {
    /// optax' generalized KL divergence with the mean over lanes.
    pub fn new() -> Self {
        Self::default()
    }
}

impl crate::loss::lanes::Lanewise for GeneralizedKl {
    type Math<'a, A: Float> = GeneralizedKlMath;
    fn math<A: Float>(&self, _: Option<usize>) -> Result<GeneralizedKlMath> {
        Ok(GeneralizedKlMath)
    }
    fn lane_reduction(&self) -> Reduction {
        self.reduction
    }
}
crate::loss::lanes::lanewise_loss!(GeneralizedKl);

#[derive(Clone, Copy)]
pub(crate) struct GeneralizedKlMath;

impl<A: Float> crate::loss::lanes::LaneMath<A> for GeneralizedKlMath {
    fn lane(&self, x: &[A], t: &[A], g: Option<&mut [A]>, scale: A) -> A {
        let mut total = 0.0;
        for (&lp, &tk) in x.iter().zip(t) {
            let (lp, tk) = (lp.to_f64(), tk.to_f64());
            let own = if tk == 0.0 { 0.0 } else { tk * (tk.ln() - lp) };
            total += own + lp.exp() - tk;
        }
        if let Some(g) = g {
            let s = scale.to_f64();
            for ((d, &lp), &tk) in g.iter_mut().zip(x).zip(t) {
                *d = A::from_f64(s * (lp.to_f64().exp() - tk.to_f64()));
            }
        }
        A::from_f64(total)
    }
}
