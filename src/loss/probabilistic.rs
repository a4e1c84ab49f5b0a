//! Probabilistic losses: negative log-likelihoods of count and Gaussian
//! models, and the KL divergence.

use crate::error::{check_hyper, Result};
use crate::float::Float;
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
/// `log_input = false` with `eps = 1e-7`.
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
/// As [`Mse`](crate::loss::Mse), plus [`Error::InvalidHyperparameter`](crate::Error::InvalidHyperparameter) for a negative `eps`.
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
/// computed both inputs' formulas and selected (16M elements: 59% of the
/// copy roofline).
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
            // `ln` (a C library call here kept the whole loop scalar: 9% of
            // the copy roofline at 16M, even without `full`).
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
        // call to the C library in the loop kept it scalar (16M elements:
        // 18% of the copy roofline).
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
