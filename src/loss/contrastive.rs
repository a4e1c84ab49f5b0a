//! Contrastive and metric-learning losses on embeddings: pairs labelled
//! similar or dissimilar ([`CosineEmbedding`]) and triplets of anchor,
//! positive and negative ([`TripletMargin`]). Losses of several
//! differentiable inputs, with the method set the
//! [`ranking`](crate::loss::ranking) module describes.

use ndarray::{Array1, Array2, ArrayRef, Ix1, Ix2};

use super::loss_builders;
use super::multi::{clamp_min_zero, multi_loss, shape_error};
use crate::error::{check_hyper, Result};
use crate::float::Float;
use crate::kernel::check_same_shape;
use crate::kernel::rowwise::{row_reduction, sum_rows_multi};
use crate::loss::Reduction;

/// PyTorch's `EPSILON` in `cosine_embedding_loss`: a `float` constant, so
/// it is 1e-12 rounded to f32 (9.99999996e-13) for every dtype.
const COSINE_EPSILON: f32 = 1e-12;

/// Cosine embedding loss: pull similar pairs to cosine 1, push dissimilar
/// ones below a margin.
///
/// ```text
/// cos = Σ x1·x2 / sqrt((Σ x1² + ε)·(Σ x2² + ε))       per row, ε = 1e-12 (as f32)
/// ℓ = 1 − cos                 where y = 1
/// ℓ = max(0, cos − margin)    where y = −1
/// ℓ = 0                       for any other label
/// ∂cos/∂x1 = x2/√(…) − cos·x1/(Σ x1² + ε)    (and symmetrically for x2)
/// mean and batch mean: Σ ℓ / N    sum: Σ ℓ
/// ```
///
/// For learning embeddings from pairs labelled similar or dissimilar
/// (siamese networks, retrieval): the loss depends only on the angle between
/// the two embeddings. `x1`, `x2` are `(N, D)` (one pair per row), `y` is
/// `(N,)`. The `ε` added to each squared norm keeps a zero row finite (its
/// cosine is 0, its gradient large: ~1e6·x2/‖x2‖ for the mean over one row).
/// At `cos = margin` the gradient is PyTorch's subgradient (it passes).
///
/// | parameter | default | range |
/// | --- | --- | --- |
/// | `margin` | 0 | finite (−1 to 1 is meaningful) |
/// | `reduction` | `Mean` | `Mean`, `Sum`, `BatchMean` |
///
/// PyTorch: `torch.nn.CosineEmbeddingLoss(margin)` / `F.cosine_embedding_loss`,
/// same values and gradients, including the placement of `EPSILON` (added to
/// each squared norm before the product and the square root, and a `float`
/// constant in ATen, hence 9.99999996e-13 in f64 too). Differences: a mean
/// over no rows is an error, not NaN; a single pair `(D,)` with a 0-d label
/// is `x.insert_axis(Axis(0))` with a length-1 `y` here.
///
/// # Examples
///
/// ```
/// use ndarray::array;
/// use ndloss::loss::CosineEmbedding;
///
/// let x1 = array![[1.0_f64, 0.0], [1.0, 1.0]];
/// let x2 = array![[0.0, 2.0], [2.0, 2.0]];
/// let y = array![1.0, -1.0];
/// // Row 0: orthogonal but similar, 1 − 0 = 1. Row 1: parallel but dissimilar, max(0, 1 − 0) = 1.
/// let v = CosineEmbedding::new().forward(&x1, &x2, &y)?;
/// assert!((v - 1.0).abs() < 1e-9);
/// # Ok::<(), ndloss::Error>(())
/// ```
///
/// # Errors
///
/// [`Error::ShapeMismatch`](crate::Error::ShapeMismatch) naming `x2` (or a gradient buffer:
/// `"gradient buffer for x1"`, `"gradient buffer for x2"`) not shaped like
/// `x1`, or `y` not of shape `(N,)`; [`Error::InvalidHyperparameter`](crate::Error::InvalidHyperparameter) for a
/// non-finite `margin`; [`Error::EmptyReduction`](crate::Error::EmptyReduction) for the mean over no rows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CosineEmbedding {
    reduction: Reduction,
    margin: f64,
}

impl Default for CosineEmbedding {
    fn default() -> Self {
        Self {
            reduction: Reduction::Mean,
            margin: 0.0,
        }
    }
}
loss_builders!(CosineEmbedding);
multi_loss!(CosineEmbedding<> (x1: Ix2, x2: Ix2, y: Ix1) -> (grad_x1: Ix2, grad_x2: Ix2), ndarray::Array1<A>);

/// One pair of rows of [`CosineEmbedding`]: the value, and (if asked) the
/// gradients scaled by `scale`, in PyTorch's backward order.
#[inline]
fn cosine_row<A: Float>(
    x1: &[A],
    x2: &[A],
    y: A,
    margin: A,
    scale: A,
    grads: [Option<&mut [A]>; 2],
) -> A {
    let zero = A::zero();
    let one = A::one();
    let eps = A::from_f64(f64::from(COSINE_EPSILON));
    let (mut dot, mut s1, mut s2) = (zero, zero, zero);
    for (&a, &b) in x1.iter().zip(x2) {
        dot = dot + a * b;
        s1 = s1 + a * a;
        s2 = s2 + b * b;
    }
    let (m1, m2) = (s1 + eps, s2 + eps);
    let denom = (m1 * m2).sqrt();
    let cos = dot / denom;
    let (value, dcos) = if y == one {
        (one - cos, -one)
    } else if y == -one {
        clamp_min_zero(cos - margin)
    } else {
        (zero, zero)
    };
    let [g1, g2] = grads;
    if g1.is_some() || g2.is_some() {
        // cos = dot / denom, denom = sqrt(m1·m2), m = Σ x² + ε.
        let g = dcos * scale;
        let g_dot = g / denom;
        let g_denom = -g * (cos / denom);
        let g_prod = g_denom / (denom + denom);
        let (g_m1, g_m2) = (g_prod * m2, g_prod * m1);
        if let Some(g1) = g1 {
            for ((d, &a), &b) in g1.iter_mut().zip(x1).zip(x2) {
                *d = g_dot * b + (g_m1 * a + g_m1 * a);
            }
        }
        if let Some(g2) = g2 {
            for ((d, &a), &b) in g2.iter_mut().zip(x1).zip(x2) {
                *d = g_dot * a + (g_m2 * b + g_m2 * b);
            }
        }
    }
    value
}

impl CosineEmbedding {
    /// Cosine embedding loss with `margin = 0` and mean reduction (PyTorch's defaults).
    pub fn new() -> Self {
        Self::default()
    }

    /// The cosine below which dissimilar pairs cost nothing (default 0).
    #[must_use]
    pub fn margin(mut self, margin: f64) -> Self {
        self.margin = margin;
        self
    }

    fn check_margin(&self) -> Result<f64> {
        check_hyper(
            "margin",
            self.margin,
            self.margin.is_finite(),
            "a finite value",
        )
    }

    fn checked<A: Float>(
        &self,
        x1: &ArrayRef<A, Ix2>,
        x2: &ArrayRef<A, Ix2>,
        y: &ArrayRef<A, Ix1>,
    ) -> Result<A> {
        let m = self.check_margin()?;
        check_same_shape("x2", x1, x2)?;
        if y.len() != x1.nrows() {
            return Err(shape_error("y", &[x1.nrows()], y.shape()));
        }
        Ok(A::from_f64(m))
    }

    fn run<A: Float>(
        &self,
        x1: &ArrayRef<A, Ix2>,
        x2: &ArrayRef<A, Ix2>,
        y: &ArrayRef<A, Ix1>,
        margin: A,
        grads: [Option<&mut ArrayRef<A, Ix2>>; 2],
    ) -> Result<A> {
        let (scale, n) = row_reduction::<A>(self.reduction, true, x1.nrows())?;
        let total = sum_rows_multi([x1, x2], grads, &mut |i, [a, b], gs| {
            cosine_row(a, b, y[i], margin, scale, gs)
        });
        Ok(total / n)
    }

    /// The reduced loss.
    ///
    /// # Errors
    ///
    /// See [`CosineEmbedding`].
    pub fn forward<A: Float>(
        &self,
        x1: &ArrayRef<A, Ix2>,
        x2: &ArrayRef<A, Ix2>,
        y: &ArrayRef<A, Ix1>,
    ) -> Result<A> {
        let margin = self.checked(x1, x2, y)?;
        self.run(x1, x2, y, margin, [None, None])
    }

    /// The reduced loss, with its gradients with respect to `x1` and `x2`
    /// written into `grad_x1` and `grad_x2` (shaped like `x1`) in one pass.
    ///
    /// # Errors
    ///
    /// See [`CosineEmbedding`]; on error both buffers are unchanged.
    pub fn forward_grad_into<A: Float>(
        &self,
        x1: &ArrayRef<A, Ix2>,
        x2: &ArrayRef<A, Ix2>,
        y: &ArrayRef<A, Ix1>,
        grad_x1: &mut ArrayRef<A, Ix2>,
        grad_x2: &mut ArrayRef<A, Ix2>,
    ) -> Result<A> {
        let margin = self.checked(x1, x2, y)?;
        check_same_shape("gradient buffer for x1", x1, grad_x1)?;
        check_same_shape("gradient buffer for x2", x1, grad_x2)?;
        self.run(x1, x2, y, margin, [Some(grad_x1), Some(grad_x2)])
    }

    /// The reduced loss and its gradients `(value, ∂/∂x1, ∂/∂x2)`.
    ///
    /// # Errors
    ///
    /// See [`CosineEmbedding`].
    pub fn forward_grad<A: Float>(
        &self,
        x1: &ArrayRef<A, Ix2>,
        x2: &ArrayRef<A, Ix2>,
        y: &ArrayRef<A, Ix1>,
    ) -> Result<(A, Array2<A>, Array2<A>)> {
        let mut g1 = Array2::zeros(x1.raw_dim());
        let mut g2 = Array2::zeros(x1.raw_dim());
        let v = self.forward_grad_into(x1, x2, y, &mut g1, &mut g2)?;
        Ok((v, g1, g2))
    }

    /// The gradients `(∂/∂x1, ∂/∂x2)` of the reduced loss.
    ///
    /// # Errors
    ///
    /// See [`CosineEmbedding`].
    pub fn grad<A: Float>(
        &self,
        x1: &ArrayRef<A, Ix2>,
        x2: &ArrayRef<A, Ix2>,
        y: &ArrayRef<A, Ix1>,
    ) -> Result<(Array2<A>, Array2<A>)> {
        self.forward_grad(x1, x2, y).map(|(_, g1, g2)| (g1, g2))
    }

    /// The loss per pair, shape `(N,)` (PyTorch's `reduction='none'`); no rows is valid.
    ///
    /// # Errors
    ///
    /// See [`CosineEmbedding`].
    pub fn unreduced<A: Float>(
        &self,
        x1: &ArrayRef<A, Ix2>,
        x2: &ArrayRef<A, Ix2>,
        y: &ArrayRef<A, Ix1>,
    ) -> Result<Array1<A>> {
        let margin = self.checked(x1, x2, y)?;
        let mut out = Array1::zeros(x1.nrows());
        sum_rows_multi([x1, x2], [None, None], &mut |i, [a, b], gs| {
            let v = cosine_row(a, b, y[i], margin, A::one(), gs);
            out[i] = v;
            v
        });
        Ok(out)
    }
}

/// The p-norm of `x − y + eps` (PyTorch's `pairwise_distance`) and its
/// derivative, with PyTorch's special cases for p = 1 and p = 2.
#[derive(Clone, Copy)]
struct PNorm<A> {
    p: A,
    exact: Option<u8>,
    eps: A,
}

impl<A: Float> PNorm<A> {
    fn new(p: f64, eps: A) -> Self {
        let exact = if p == 1.0 {
            Some(1)
        } else if p == 2.0 {
            Some(2)
        } else {
            None
        };
        Self {
            p: A::from_f64(p),
            exact,
            eps,
        }
    }

    /// The difference PyTorch takes the norm of: `(x − y) + eps`.
    #[inline(always)]
    fn diff(self, x: A, y: A) -> A {
        (x - y) + self.eps
    }

    /// `‖x − y + eps‖_p`.
    fn dist(self, x: &[A], y: &[A]) -> A {
        let d = x.iter().zip(y).map(|(&a, &b)| self.diff(a, b));
        match self.exact {
            Some(1) => d.fold(A::zero(), |s, d| s + d.abs()),
            Some(2) => d.fold(A::zero(), |s, d| s + d * d).sqrt(),
            _ => d
                .fold(A::zero(), |s, d| s + d.abs().powf(self.p))
                .powf(self.p.recip()),
        }
    }

    /// `∂‖·‖/∂d` for one component `d` of a vector of norm `r`: 0 where
    /// `r = 0` (PyTorch's subgradient), `sign(d)` (0 at 0) for p = 1.
    #[inline(always)]
    fn slope(self, d: A, r: A) -> A {
        let zero = A::zero();
        if self.exact == Some(1) {
            return if d > zero {
                A::one()
            } else if d < zero {
                -A::one()
            } else {
                d * zero
            };
        }
        if r == zero {
            return zero;
        }
        match self.exact {
            Some(2) => d / r,
            _ => {
                let two = A::from_f64(2.0);
                let scaled = if self.p < two {
                    d.signum() * d.abs().powf(self.p - A::one())
                } else {
                    d * d.abs().powf(self.p - two)
                };
                scaled / r.powf(self.p - A::one())
            }
        }
    }
}

/// Triplet margin loss: an anchor should be closer to its positive than to
/// its negative by a margin.
///
/// ```text
/// d(a, b) = ‖a − b + eps‖_p            per row (eps added to every component)
/// d⁻ = d(a, n), or min(d(a, n), d(p, n)) with swap
/// ℓ = max(d(a, p) − d⁻ + margin, 0)
/// mean and batch mean: Σ ℓ / N    sum: Σ ℓ
/// ```
///
/// For metric learning (face recognition, image retrieval, embeddings):
/// `anchor`, `positive`, `negative` are `(N, D)`, one triplet per row. The
/// *distance swap* (Balntas et al., 2016) uses the positive–negative distance
/// when it is the smaller one, so the hardest negative distance is used.
///
/// Gradients are PyTorch's: where a distance is 0 its gradient is 0; for
/// p = 1 the sign of each component (0 at 0); at a swap tie
/// (`d(a, n) = d(p, n)`) each distance gets half the gradient (the
/// derivative of `torch.minimum`); at the hinge (`ℓ`'s argument exactly 0)
/// the gradient passes.
///
/// | parameter | default | range |
/// | --- | --- | --- |
/// | `margin` | 1 | finite, > 0 |
/// | `p` | 2 | finite, ≥ 1 |
/// | `eps` | 1e-6 | finite, ≥ 0 |
/// | `swap` | false | |
/// | `reduction` | `Mean` | `Mean`, `Sum`, `BatchMean` |
///
/// With [`distance`](Self::distance)`(TripletDistance::Cosine)` the
/// distance is `1 − cos(a, b)`: PyTorch's
/// `TripletMarginWithDistanceLoss(distance_function=lambda a, b: 1 −
/// F.cosine_similarity(a, b), margin, swap)`.
///
/// PyTorch: `torch.nn.TripletMarginLoss(margin, p, eps, swap)` /
/// `F.triplet_margin_loss`, same values and gradients. Differences: a mean
/// over no rows is an error, not NaN; `p < 1`, `p = ∞` and a negative `eps`
/// are rejected; the three inputs must have one shape `(N, D)` (PyTorch
/// broadcasts, and takes a single triplet `(D,)`: use `insert_axis(Axis(0))`).
///
/// # Examples
///
/// ```
/// use ndarray::array;
/// use ndloss::loss::TripletMargin;
///
/// let anchor = array![[0.0_f64, 0.0]];
/// let positive = array![[3.0, 4.0]]; // distance 5
/// let negative = array![[0.0, 1.0]]; // distance 1
/// let v = TripletMargin::new().forward(&anchor, &positive, &negative)?;
/// assert!((v - 5.0).abs() < 1e-5); // 5 − 1 + margin 1 (eps shifts it by ~1e-6)
/// # Ok::<(), ndloss::Error>(())
/// ```
///
/// # Errors
///
/// [`Error::ShapeMismatch`](crate::Error::ShapeMismatch) naming `positive`, `negative` or a gradient
/// buffer (`"gradient buffer for anchor"`, … `positive`, … `negative`) not
/// shaped like `anchor`; [`Error::InvalidHyperparameter`](crate::Error::InvalidHyperparameter) for `margin ≤ 0`
/// (PyTorch raises too), `p < 1` or a negative `eps` (or any non-finite one);
/// [`Error::EmptyReduction`](crate::Error::EmptyReduction) for the mean over no rows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TripletMargin {
    reduction: Reduction,
    margin: f64,
    p: f64,
    eps: f64,
    swap: bool,
    distance: TripletDistance,
}

/// The distance of a [`TripletMargin`] loss: PyTorch's `TripletMarginLoss`
/// takes the first, `TripletMarginWithDistanceLoss` any function, of which
/// these two are the ones used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum TripletDistance {
    /// `‖a − b + eps‖_p` (`F.pairwise_distance`, with the loss' `p` and
    /// `eps`). The default.
    #[default]
    Pairwise,
    /// `1 − cos(a, b)`, the cosine similarity with each norm clamped at
    /// `1e-8` (`1 − F.cosine_similarity(a, b)`); `p` and `eps` unused.
    Cosine,
}

impl Default for TripletMargin {
    fn default() -> Self {
        Self {
            reduction: Reduction::Mean,
            margin: 1.0,
            p: 2.0,
            eps: 1e-6,
            swap: false,
            distance: TripletDistance::Pairwise,
        }
    }
}
loss_builders!(TripletMargin);
multi_loss!(TripletMargin<> (anchor: Ix2, positive: Ix2, negative: Ix2)
    -> (grad_anchor: Ix2, grad_positive: Ix2, grad_negative: Ix2), ndarray::Array1<A>);

/// The validated settings of a [`TripletMargin`] call, in `A`.
#[derive(Clone, Copy)]
struct TripletMath<A> {
    margin: A,
    norm: Distance<A>,
    swap: bool,
}

/// A [`TripletDistance`] with its settings in `A`.
#[derive(Clone, Copy)]
enum Distance<A> {
    Pairwise(PNorm<A>),
    Cosine,
}

/// `F.cosine_similarity`'s clamp of each norm.
const COSINE_NORM_EPS: f64 = 1e-8;

impl<A: Float> Distance<A> {
    fn dist(self, a: &[A], b: &[A]) -> A {
        match self {
            Distance::Pairwise(n) => n.dist(a, b),
            Distance::Cosine => {
                let (_, _, c) = Self::cosine(a, b);
                A::from_f64(1.0 - c)
            }
        }
    }

    /// `(1/max(‖a‖, ε), 1/max(‖b‖, ε), cos)`.
    fn cosine(a: &[A], b: &[A]) -> (f64, f64, f64) {
        let dot = |x: &[A], y: &[A]| -> f64 {
            x.iter()
                .zip(y)
                .map(|(&u, &v)| u.to_f64() * v.to_f64())
                .sum()
        };
        let ia = 1.0 / dot(a, a).sqrt().max(COSINE_NORM_EPS);
        let ib = 1.0 / dot(b, b).sqrt().max(COSINE_NORM_EPS);
        (ia, ib, dot(a, b) * ia * ib)
    }

    /// Adds `coef·∂d/∂a` to `ga` and `coef·∂d/∂b` to `gb`; `d = dist(a, b)`.
    fn add_grad(self, a: &[A], b: &[A], d: A, coef: A, ga: Option<&mut [A]>, gb: Option<&mut [A]>) {
        match self {
            Distance::Pairwise(n) => {
                // ∂d/∂b = −∂d/∂a for a function of a − b.
                let slope = |k: usize| coef * n.slope(n.diff(a[k], b[k]), d);
                if let Some(ga) = ga {
                    ga.iter_mut()
                        .enumerate()
                        .for_each(|(k, g)| *g = *g + slope(k));
                }
                if let Some(gb) = gb {
                    gb.iter_mut()
                        .enumerate()
                        .for_each(|(k, g)| *g = *g - slope(k));
                }
            }
            Distance::Cosine => {
                // d = 1 − a·b·ia·ib: ∂d/∂a = −ia·(b·ib − cos·a·ia) above the
                // clamp, −ia·ib·b where the clamp holds (likewise for b).
                let (ia, ib, c) = Self::cosine(a, b);
                let coef = coef.to_f64();
                let (na, nb) = (1.0 / ia > COSINE_NORM_EPS, 1.0 / ib > COSINE_NORM_EPS);
                let side = |g: &mut [A], x: &[A], y: &[A], ix: f64, iy: f64, free: bool| {
                    for ((o, &xk), &yk) in g.iter_mut().zip(x).zip(y) {
                        let own = if free { c * xk.to_f64() * ix } else { 0.0 };
                        let v = -ix * (yk.to_f64() * iy - own);
                        *o = *o + A::from_f64(coef * v);
                    }
                };
                if let Some(ga) = ga {
                    side(ga, a, b, ia, ib, na);
                }
                if let Some(gb) = gb {
                    side(gb, b, a, ib, ia, nb);
                }
            }
        }
    }
}

impl<A: Float> TripletMath<A> {
    /// One triplet: the value and, if asked, the gradients scaled by `scale`.
    fn row(self, [a, p, n]: [&[A]; 3], scale: A, grads: [Option<&mut [A]>; 3]) -> A {
        let (zero, one) = (A::zero(), A::one());
        let norm = self.norm;
        let d_pos = norm.dist(a, p);
        let d_an = norm.dist(a, n);
        // torch.minimum: NaN propagates; a tie sends half the gradient to each.
        let (d_neg, w_an, w_pn, d_pn) = if self.swap {
            let d_pn = norm.dist(p, n);
            let d_neg = if d_an.is_nan() || d_pn.is_nan() {
                d_an + d_pn
            } else if d_pn < d_an {
                d_pn
            } else {
                d_an
            };
            let (w_an, w_pn) = if d_an == d_pn {
                let half = A::from_f64(0.5);
                (half, half)
            } else {
                (
                    if d_an > d_pn { zero } else { one },
                    if d_an < d_pn { zero } else { one },
                )
            };
            (d_neg, w_an, w_pn, d_pn)
        } else {
            (d_an, one, zero, zero)
        };
        let (value, dv) = clamp_min_zero(self.margin + d_pos - d_neg);
        if grads.iter().any(Option::is_some) {
            let g = dv * scale;
            let [mut ga, mut gp, mut gn] = grads;
            for b in [&mut ga, &mut gp, &mut gn].into_iter().flatten() {
                b.fill(zero);
            }
            norm.add_grad(a, p, d_pos, g, ga.as_deref_mut(), gp.as_deref_mut());
            norm.add_grad(a, n, d_an, -(g * w_an), ga, gn.as_deref_mut());
            if self.swap {
                norm.add_grad(p, n, d_pn, -(g * w_pn), gp, gn);
            }
        }
        value
    }
}

impl TripletMargin {
    /// PyTorch's defaults: `margin = 1`, `p = 2`, `eps = 1e-6`, no swap, mean reduction.
    pub fn new() -> Self {
        Self::default()
    }

    /// The required gap between the negative and the positive distance (default 1).
    #[must_use]
    pub fn margin(mut self, margin: f64) -> Self {
        self.margin = margin;
        self
    }

    /// The order of the norm of the distances (default 2).
    #[must_use]
    pub fn p(mut self, p: f64) -> Self {
        self.p = p;
        self
    }

    /// Added to every component of each difference before the norm (default 1e-6).
    #[must_use]
    pub fn eps(mut self, eps: f64) -> Self {
        self.eps = eps;
        self
    }

    /// The distance between rows (default [`TripletDistance::Pairwise`]):
    /// PyTorch's `TripletMarginWithDistanceLoss(distance_function=…)`.
    #[must_use]
    pub fn distance(mut self, distance: TripletDistance) -> Self {
        self.distance = distance;
        self
    }

    /// The distance in use.
    ///
    /// ```
    /// use ndloss::loss::{TripletDistance, TripletMargin};
    /// let l = TripletMargin::new().distance(TripletDistance::Cosine);
    /// assert_eq!(l.get_distance(), TripletDistance::Cosine);
    /// ```
    pub fn get_distance(&self) -> TripletDistance {
        self.distance
    }

    /// Use `min(d(a, n), d(p, n))` as the negative distance (default false).
    #[must_use]
    pub fn swap(mut self, swap: bool) -> Self {
        self.swap = swap;
        self
    }

    /// `(margin, p, eps)`, checked.
    fn check_scalars(&self) -> Result<(f64, f64, f64)> {
        let margin = check_hyper(
            "margin",
            self.margin,
            self.margin.is_finite() && self.margin > 0.0,
            "a finite value > 0",
        )?;
        let p = check_hyper(
            "p",
            self.p,
            self.p.is_finite() && self.p >= 1.0,
            "a finite value >= 1",
        )?;
        let eps = check_hyper(
            "eps",
            self.eps,
            self.eps.is_finite() && self.eps >= 0.0,
            "a finite value >= 0",
        )?;
        Ok((margin, p, eps))
    }

    fn checked<A: Float>(
        &self,
        anchor: &ArrayRef<A, Ix2>,
        positive: &ArrayRef<A, Ix2>,
        negative: &ArrayRef<A, Ix2>,
    ) -> Result<TripletMath<A>> {
        let (margin, p, eps) = self.check_scalars()?;
        check_same_shape("positive", anchor, positive)?;
        check_same_shape("negative", anchor, negative)?;
        Ok(TripletMath {
            margin: A::from_f64(margin),
            norm: match self.distance {
                TripletDistance::Pairwise => Distance::Pairwise(PNorm::new(p, A::from_f64(eps))),
                TripletDistance::Cosine => Distance::Cosine,
            },
            swap: self.swap,
        })
    }

    fn run<A: Float>(
        &self,
        inputs: [&ArrayRef<A, Ix2>; 3],
        math: TripletMath<A>,
        grads: [Option<&mut ArrayRef<A, Ix2>>; 3],
    ) -> Result<A> {
        let (scale, n) = row_reduction::<A>(self.reduction, true, inputs[0].nrows())?;
        let total = sum_rows_multi(inputs, grads, &mut |_, xs, gs| math.row(xs, scale, gs));
        Ok(total / n)
    }

    /// The reduced loss.
    ///
    /// # Errors
    ///
    /// See [`TripletMargin`].
    pub fn forward<A: Float>(
        &self,
        anchor: &ArrayRef<A, Ix2>,
        positive: &ArrayRef<A, Ix2>,
        negative: &ArrayRef<A, Ix2>,
    ) -> Result<A> {
        let math = self.checked(anchor, positive, negative)?;
        self.run([anchor, positive, negative], math, [None, None, None])
    }

    /// The reduced loss, with its gradients with respect to the three inputs
    /// written into `grad_anchor`, `grad_positive`, `grad_negative` (shaped
    /// like `anchor`) in one pass.
    ///
    /// # Errors
    ///
    /// See [`TripletMargin`]; on error the three buffers are unchanged.
    pub fn forward_grad_into<A: Float>(
        &self,
        anchor: &ArrayRef<A, Ix2>,
        positive: &ArrayRef<A, Ix2>,
        negative: &ArrayRef<A, Ix2>,
        grad_anchor: &mut ArrayRef<A, Ix2>,
        grad_positive: &mut ArrayRef<A, Ix2>,
        grad_negative: &mut ArrayRef<A, Ix2>,
    ) -> Result<A> {
        let math = self.checked(anchor, positive, negative)?;
        check_same_shape("gradient buffer for anchor", anchor, grad_anchor)?;
        check_same_shape("gradient buffer for positive", anchor, grad_positive)?;
        check_same_shape("gradient buffer for negative", anchor, grad_negative)?;
        self.run(
            [anchor, positive, negative],
            math,
            [Some(grad_anchor), Some(grad_positive), Some(grad_negative)],
        )
    }

    /// The reduced loss and its gradients `(value, ∂/∂anchor, ∂/∂positive, ∂/∂negative)`.
    ///
    /// # Errors
    ///
    /// See [`TripletMargin`].
    #[allow(clippy::type_complexity)]
    pub fn forward_grad<A: Float>(
        &self,
        anchor: &ArrayRef<A, Ix2>,
        positive: &ArrayRef<A, Ix2>,
        negative: &ArrayRef<A, Ix2>,
    ) -> Result<(A, Array2<A>, Array2<A>, Array2<A>)> {
        let mut ga = Array2::zeros(anchor.raw_dim());
        let mut gp = Array2::zeros(anchor.raw_dim());
        let mut gn = Array2::zeros(anchor.raw_dim());
        let v = self.forward_grad_into(anchor, positive, negative, &mut ga, &mut gp, &mut gn)?;
        Ok((v, ga, gp, gn))
    }

    /// The gradients `(∂/∂anchor, ∂/∂positive, ∂/∂negative)` of the reduced loss.
    ///
    /// # Errors
    ///
    /// See [`TripletMargin`].
    pub fn grad<A: Float>(
        &self,
        anchor: &ArrayRef<A, Ix2>,
        positive: &ArrayRef<A, Ix2>,
        negative: &ArrayRef<A, Ix2>,
    ) -> Result<(Array2<A>, Array2<A>, Array2<A>)> {
        self.forward_grad(anchor, positive, negative)
            .map(|(_, ga, gp, gn)| (ga, gp, gn))
    }

    /// The loss per triplet, shape `(N,)` (PyTorch's `reduction='none'`); no rows is valid.
    ///
    /// # Errors
    ///
    /// See [`TripletMargin`].
    pub fn unreduced<A: Float>(
        &self,
        anchor: &ArrayRef<A, Ix2>,
        positive: &ArrayRef<A, Ix2>,
        negative: &ArrayRef<A, Ix2>,
    ) -> Result<Array1<A>> {
        let math = self.checked(anchor, positive, negative)?;
        let mut out = Array1::zeros(anchor.nrows());
        sum_rows_multi(
            [anchor, positive, negative],
            [None, None, None],
            &mut |i, xs, gs| {
                let v = math.row(xs, A::one(), gs);
                out[i] = v;
                v
            },
        );
        Ok(out)
    }
}

impl crate::loss::CheckSettings for CosineEmbedding {
    fn check_settings(&self) -> Result<()> {
        self.check_margin().map(drop)
    }
}

impl crate::loss::CheckSettings for TripletMargin {
    fn check_settings(&self) -> Result<()> {
        self.check_scalars().map(drop)
    }
}

getters!(CosineEmbedding = "ndloss::loss::CosineEmbedding::new()" { get_margin => margin(0.5): f64 = 0.5 });
getters!(TripletMargin = "ndloss::loss::TripletMargin::new()" {
    get_margin => margin(0.5): f64 = 0.5,
    get_p => p(1.0): f64 = 1.0,
    get_eps => eps(1e-8): f64 = 1e-8,
    get_swap => swap(true): bool = true,
});

/// Keras' cosine similarity loss: minus the cosine of the angle between the
/// prediction and the target, over each lane of the last axis.
///
/// ```text
/// x̂ = x·min(1/‖x‖, 1/ε),   t̂ = t·min(1/‖t‖, 1/ε),   ℓ = −Σₖ x̂ₖ·t̂ₖ
/// ∂ℓ/∂xₖ = −min(1/‖t‖, 1/ε)·(tₖ/‖x‖ − (t·x)·xₖ/‖x‖³)   where ‖x‖ > ε
/// ∂ℓ/∂xₖ = −min(1/‖t‖, 1/ε)·tₖ/ε                       where ‖x‖ ≤ ε
/// ```
///
/// `ℓ ∈ [−1, 1]`: −1 when the two point the same way. A lane of norm at most
/// `ε` is divided by `ε` instead (Keras' `normalize`), so a zero lane gives 0
/// and a finite gradient. One value per lane unreduced. The target is not
/// differentiated.
///
/// | parameter | default | range |
/// | --- | --- | --- |
/// | `eps` | 1e-7 (Keras' `epsilon()`) | finite, > 0 |
/// | `reduction` | `Mean` | `Mean` (over lanes), `Sum`, `BatchMean` (over the first axis) |
///
/// Keras: `keras.losses.CosineSimilarity()` (`axis=-1`; its
/// `'sum_over_batch_size'` is `Mean`). PyTorch has the similarity
/// (`F.cosine_similarity`, which clamps each norm at its `eps` = 1e-8 as
/// this does) but not the loss; [`CosineEmbedding`] is PyTorch's loss with
/// ±1 labels.
///
/// # Examples
///
/// ```
/// use ndarray::array;
/// use ndloss::prelude::*;
///
/// let (x, t) = (array![[3.0_f64, 4.0], [1.0, 0.0]], array![[3.0, 4.0], [0.0, 2.0]]);
/// let l = CosineSimilarity::new();
/// assert_eq!(l.unreduced(&x, &t)?, array![-1.0, 0.0]);
/// // Moving x along itself changes nothing: the gradient is orthogonal to x.
/// let g = l.grad(&x, &t)?;
/// assert!((g[[0, 0]] * 3.0 + g[[0, 1]] * 4.0).abs() < 1e-15);
/// # Ok::<(), ndloss::Error>(())
/// ```
///
/// # Errors
///
/// [`Error::InvalidHyperparameter`](crate::Error::InvalidHyperparameter) for
/// an `eps` that is not finite and positive;
/// [`Error::ShapeMismatch`](crate::Error::ShapeMismatch) for a target or a
/// gradient buffer not shaped like the prediction, and for a 0-d prediction
/// or an empty last axis; [`Error::EmptyReduction`](crate::Error::EmptyReduction)
/// for a mean over no lanes. On error nothing is written.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CosineSimilarity {
    eps: f64,
    reduction: Reduction,
}

impl Default for CosineSimilarity {
    fn default() -> Self {
        Self {
            eps: 1e-7,
            reduction: Reduction::Mean,
        }
    }
}

impl CosineSimilarity {
    /// Keras' defaults: `eps = 1e-7`, mean over lanes.
    pub fn new() -> Self {
        Self::default()
    }

    /// The smallest norm a lane is divided by (default 1e-7).
    #[must_use]
    pub fn eps(mut self, eps: f64) -> Self {
        self.eps = eps;
        self
    }
}

impl crate::loss::lanes::Lanewise for CosineSimilarity {
    type Math<'a, A: Float> = CosineSimilarityMath;
    fn math<A: Float>(&self, _: Option<usize>) -> Result<CosineSimilarityMath> {
        let eps = check_hyper(
            "eps",
            self.eps,
            self.eps.is_finite() && self.eps > 0.0,
            "a finite value > 0",
        )?;
        Ok(CosineSimilarityMath { inv_eps: 1.0 / eps })
    }
    fn lane_reduction(&self) -> Reduction {
        self.reduction
    }
}
crate::loss::lanes::lanewise_loss!(CosineSimilarity);

#[derive(Clone, Copy)]
pub(crate) struct CosineSimilarityMath {
    inv_eps: f64,
}

impl<A: Float> crate::loss::lanes::LaneMath<A> for CosineSimilarityMath {
    fn lane(&self, x: &[A], t: &[A], g: Option<&mut [A]>, scale: A) -> A {
        use crate::loss::lanes::dot;
        let (d, sx, st) = (dot(x, t), dot(x, x), dot(t, t));
        // 1/‖·‖ capped at 1/ε (a zero lane's 1/0 = ∞ included).
        let inv = |s: f64| (1.0 / s.sqrt()).min(self.inv_eps);
        let (ix, it) = (inv(sx), inv(st));
        if let Some(g) = g {
            let c = -scale.to_f64() * it * ix;
            if 1.0 / sx.sqrt() < self.inv_eps {
                // Not capped: the projection of t̂ orthogonal to x̂, over ‖x‖.
                let k = d * ix * ix;
                for ((o, &xk), &tk) in g.iter_mut().zip(x).zip(t) {
                    *o = A::from_f64(c * (tk.to_f64() - k * xk.to_f64()));
                }
            } else {
                for (o, &tk) in g.iter_mut().zip(t) {
                    *o = A::from_f64(c * tk.to_f64());
                }
            }
        }
        A::from_f64(-d * it * ix)
    }
}

getters!(CosineSimilarity = "ndloss::loss::CosineSimilarity::new()" { get_eps => eps(1e-8): f64 = 1e-8 });

/// Turns `g = ∂L/∂u` into `∂L/∂x` in place, for unit rows `u = x·inv` with
/// `inv = 1/max(‖x‖, floor)`: `inv·(g − (g·u)·u)` where the norm is above the
/// floor, `inv·g` where the floor holds (the norm is then a constant).
fn through_unit_rows<A: Float>(
    g: &mut ArrayRef<A, Ix2>,
    x: &ArrayRef<A, Ix2>,
    inv: &[f64],
    floor: f64,
) {
    for (i, (mut gr, xr)) in g.rows_mut().into_iter().zip(x.rows()).enumerate() {
        let floored = 1.0 / inv[i] <= floor;
        let proj: f64 = gr
            .iter()
            .zip(&xr)
            .map(|(&gd, &xd)| gd.to_f64() * xd.to_f64() * inv[i])
            .sum();
        for (gd, &xd) in gr.iter_mut().zip(&xr) {
            let du = gd.to_f64();
            let v = if floored {
                du
            } else {
                du - proj * xd.to_f64() * inv[i]
            };
            *gd = A::from_f64(v * inv[i]);
        }
    }
}

/// Anchors a stack buffer serves; larger batches use the heap.
const NTXENT_STACK: usize = 1024;

/// optax's NT-Xent (normalised temperature-scaled cross-entropy, SimCLR's
/// contrastive loss): every pair of embeddings with the same label is pulled
/// together against the embeddings with other labels.
///
/// With `uᵢ = xᵢ/max(‖xᵢ‖, √ε)` (`ε` the element type's machine epsilon,
/// optax's), `s_ij = uᵢ·uⱼ/τ`, for anchor `i` its positives `Pᵢ = {j ≠ i :
/// yⱼ = yᵢ}` and negatives `Nᵢ = {k : y_k ≠ yᵢ}`:
///
/// ```text
/// ℓ_ij = −s_ij + ln(e^{s_ij} + Σ_{k∈Nᵢ} e^{s_ik})        for j ∈ Pᵢ
/// L = Σ_{i, j∈Pᵢ} ℓ_ij / #pairs
/// ```
///
/// Each positive is contrasted with the negatives only (not with the other
/// positives), as optax's. An anchor without positives adds nothing. The
/// gradient goes through the normalisation to the raw embeddings (a row
/// whose norm is below `√ε` is divided by `√ε` instead, and gets that
/// branch's gradient). `unreduced` gives `Σ_{j∈Pᵢ} ℓ_ij` per anchor.
///
/// | parameter | default | range |
/// | --- | --- | --- |
/// | `temperature` | 0.07 | finite, > 0 |
/// | `reduction` | `Mean` | `Mean` (over positive pairs), `Sum`, `BatchMean` (over anchors) |
///
/// optax: `ntxent(embeddings, labels, temperature)` is `Mean`. Where optax
/// returns NaN for a batch without a positive pair, `Mean` is an
/// [`Error::EmptyReduction`](crate::Error::EmptyReduction). The Gram matrix
/// is formed row by row (`O(N²·D)` time, `O(N)` memory: no allocation up to
/// 1024 embeddings).
///
/// # Examples
///
/// ```
/// use ndarray::array;
/// use ndloss::prelude::*;
///
/// // Two pairs: (0, 1) aligned, (2, 3) aligned, the pairs orthogonal.
/// let x = array![[1.0_f64, 0.0], [2.0, 0.0], [0.0, 1.0], [0.0, 3.0]];
/// let y = array![0_usize, 0, 1, 1];
/// let l = NtXent::new().temperature(1.0);
/// // Every pair: −1 + ln(e¹ + 2·e⁰).
/// let v = l.forward(&x, &y)?;
/// assert!((v - (-1.0 + (1.0_f64.exp() + 2.0).ln())).abs() < 1e-15);
/// # Ok::<(), ndloss::Error>(())
/// ```
///
/// # Errors
///
/// [`Error::InvalidHyperparameter`](crate::Error::InvalidHyperparameter) for
/// a temperature that is not finite and positive;
/// [`Error::ShapeMismatch`](crate::Error::ShapeMismatch) for labels not one
/// per row, or a gradient buffer not shaped like the embeddings;
/// [`Error::EmptyReduction`](crate::Error::EmptyReduction) for a `Mean`
/// without positive pairs or a `BatchMean` over no rows. On error nothing is
/// written.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NtXent {
    temperature: f64,
    reduction: Reduction,
}

impl Default for NtXent {
    fn default() -> Self {
        Self {
            temperature: 0.07,
            reduction: Reduction::Mean,
        }
    }
}

impl NtXent {
    /// optax's default temperature 0.07, mean over positive pairs.
    pub fn new() -> Self {
        Self::default()
    }

    /// The temperature `τ` dividing the cosine similarities (default 0.07).
    #[must_use]
    pub fn temperature(mut self, temperature: f64) -> Self {
        self.temperature = temperature;
        self
    }

    fn checked_temperature(&self) -> Result<f64> {
        let t = self.temperature;
        check_hyper(
            "temperature",
            t,
            t.is_finite() && t > 0.0,
            "a finite value > 0",
        )
    }

    /// Validates; returns (gradient scale, denominator).
    fn check<A: Float>(
        &self,
        x: &ArrayRef<A, Ix2>,
        y: &ArrayRef<usize, Ix1>,
        grad: Option<&ArrayRef<A, Ix2>>,
        reduced: bool,
    ) -> Result<(f64, f64)> {
        self.checked_temperature()?;
        if y.len() != x.nrows() {
            return Err(crate::Error::ShapeMismatch {
                what: "labels",
                expected: vec![x.nrows()],
                found: y.shape().to_vec(),
            });
        }
        if let Some(g) = grad {
            check_same_shape("gradient buffer", x, g)?;
        }
        let pairs: usize = y
            .iter()
            .map(|&a| y.iter().filter(|&&b| b == a).count() - 1)
            .sum();
        let (scale, d) = crate::reduction::scale::<f64>(
            self.reduction,
            reduced,
            pairs as f64,
            x.nrows(),
            "there are no positive pairs",
        )?;
        Ok((scale, d))
    }

    /// The loss: total (divided by the denominator), and per anchor into
    /// `out`; the gradient into `grad`.
    fn run<A: Float>(
        &self,
        x: &ArrayRef<A, Ix2>,
        y: &ArrayRef<usize, Ix1>,
        mut grad: Option<&mut ArrayRef<A, Ix2>>,
        mut out: Option<&mut Array1<A>>,
        scale: f64,
    ) -> f64 {
        let n = x.nrows();
        let inv_t = 1.0 / self.temperature;
        let floor = A::epsilon().to_f64().sqrt();
        // Per row: 1/‖x‖ (floored), whether the floor held, and one row of
        // s (the Gram row over τ) for the anchor at hand.
        let mut stack = [0.0_f64; 3 * NTXENT_STACK];
        let mut heap = Vec::new();
        let buf: &mut [f64] = if n <= NTXENT_STACK {
            &mut stack[..3 * n]
        } else {
            heap.resize(3 * n, 0.0);
            &mut heap
        };
        let (inv, rest) = buf.split_at_mut(n);
        let (row, coef) = rest.split_at_mut(n);
        for (i, r) in x.rows().into_iter().enumerate() {
            let s2: f64 = r.iter().map(|&v| v.to_f64() * v.to_f64()).sum();
            inv[i] = 1.0 / s2.sqrt().max(floor);
        }
        let dot = |i: usize, j: usize| -> f64 {
            x.row(i)
                .iter()
                .zip(x.row(j))
                .map(|(&a, &b)| a.to_f64() * b.to_f64())
                .sum::<f64>()
                * inv[i]
                * inv[j]
        };
        if let Some(g) = grad.as_deref_mut() {
            g.fill(A::zero());
        }
        let mut total = 0.0;
        for i in 0..n {
            for (j, r) in row.iter_mut().enumerate() {
                *r = dot(i, j) * inv_t;
            }
            let yi = y[i];
            // Shift by the row's largest relevant entry (not the anchor's own).
            let m = (0..n)
                .filter(|&j| j != i)
                .fold(f64::NEG_INFINITY, |m, j| m.max(row[j]));
            let neg: f64 = (0..n)
                .filter(|&k| y[k] != yi)
                .map(|k| (row[k] - m).exp())
                .sum();
            let mut anchor = 0.0;
            let mut inv_dens = 0.0;
            coef.fill(0.0);
            for j in (0..n).filter(|&j| j != i && y[j] == yi) {
                let e = (row[j] - m).exp();
                let den = e + neg;
                anchor += -(row[j] - m) + den.ln();
                // ∂ℓ_ij/∂s_ij = q − 1, ∂ℓ_ij/∂s_ik = e^{s_ik − m}/den.
                coef[j] += e / den - 1.0;
                inv_dens += 1.0 / den;
            }
            // Every negative k: e^{s_ik − m}·Σ_j 1/den_j, one pass, not one
            // per positive.
            if inv_dens != 0.0 {
                for k in (0..n).filter(|&k| y[k] != yi) {
                    coef[k] += (row[k] - m).exp() * inv_dens;
                }
            }
            total += anchor;
            if let Some(o) = out.as_deref_mut() {
                o[i] = A::from_f64(anchor);
            }
            let Some(g) = grad.as_deref_mut() else {
                continue;
            };
            // s_ij = uᵢ·uⱼ/τ: ∂/∂uᵢ += c·uⱼ/τ and ∂/∂uⱼ += c·uᵢ/τ (into g
            // as ∂L/∂u, converted to ∂L/∂x below).
            for (j, &c) in coef.iter().enumerate() {
                if c == 0.0 {
                    continue;
                }
                let c = scale * c * inv_t;
                let (ci, cj) = (c * inv[j], c * inv[i]);
                for d in 0..x.ncols() {
                    let (xi, xj) = (x[[i, d]].to_f64(), x[[j, d]].to_f64());
                    g[[i, d]] = A::from_f64(g[[i, d]].to_f64() + ci * xj);
                    g[[j, d]] = A::from_f64(g[[j, d]].to_f64() + cj * xi);
                }
            }
        }
        if let Some(g) = grad {
            through_unit_rows(g, x, inv, floor);
        }
        total
    }

    /// The reduced loss.
    ///
    /// # Errors
    ///
    /// See [`NtXent`].
    pub fn forward<A: Float>(&self, x: &ArrayRef<A, Ix2>, y: &ArrayRef<usize, Ix1>) -> Result<A> {
        let (_, d) = self.check(x, y, None, true)?;
        Ok(A::from_f64(self.run(x, y, None, None, 1.0) / d))
    }

    /// The reduced loss and its gradient with respect to the embeddings,
    /// written into `grad`.
    ///
    /// # Errors
    ///
    /// See [`NtXent`]; `grad` is untouched on error.
    pub fn forward_grad_into<A: Float>(
        &self,
        x: &ArrayRef<A, Ix2>,
        y: &ArrayRef<usize, Ix1>,
        grad: &mut ArrayRef<A, Ix2>,
    ) -> Result<A> {
        let (scale, d) = self.check(x, y, Some(grad), true)?;
        Ok(A::from_f64(self.run(x, y, Some(grad), None, scale) / d))
    }

    /// The loss per anchor, `Σ_{j∈Pᵢ} ℓ_ij`.
    ///
    /// # Errors
    ///
    /// See [`NtXent`] (an empty batch is valid).
    pub fn unreduced<A: Float>(
        &self,
        x: &ArrayRef<A, Ix2>,
        y: &ArrayRef<usize, Ix1>,
    ) -> Result<Array1<A>> {
        self.check(x, y, None, false)?;
        let mut out = Array1::zeros(x.nrows());
        self.run(x, y, None, Some(&mut out), 1.0);
        Ok(out)
    }
}

impl<A: Float> crate::loss::Loss<A, Ix2, usize, Ix1> for NtXent {
    type Unreduced = Ix1;

    fn forward(&self, pred: &ArrayRef<A, Ix2>, target: &ArrayRef<usize, Ix1>) -> Result<A> {
        NtXent::forward(self, pred, target)
    }

    fn forward_grad_into(
        &self,
        pred: &ArrayRef<A, Ix2>,
        target: &ArrayRef<usize, Ix1>,
        grad: &mut ArrayRef<A, Ix2>,
    ) -> Result<A> {
        NtXent::forward_grad_into(self, pred, target, grad)
    }

    fn unreduced(
        &self,
        pred: &ArrayRef<A, Ix2>,
        target: &ArrayRef<usize, Ix1>,
    ) -> Result<Array1<A>> {
        NtXent::unreduced(self, pred, target)
    }
}

impl crate::loss::CheckSettings for NtXent {
    fn check_settings(&self) -> Result<()> {
        self.checked_temperature().map(drop)
    }
}
loss_builders!(NtXent);

getters!(NtXent = "ndloss::loss::NtXent::new()" { get_temperature => temperature(0.5): f64 = 0.5 });

/// CLIP's symmetric contrastive loss (Radford et al. 2021): image–text
/// InfoNCE in both directions over a batch of matching pairs, with the
/// temperature as a learnable input.
///
/// With `uᵢ = imageᵢ/max(‖imageᵢ‖, ε)`, `vⱼ = textⱼ/max(‖textⱼ‖, ε)`
/// (`ε = 10⁻¹²`, `F.normalize`'s), the scale `s = e^{log_scale}` and the
/// logits `L_ij = s·uᵢ·vⱼ`, pair `i` matching pair `i`:
///
/// ```text
/// ℓ = ½·[CE(L, diag) + CE(Lᵀ, diag)]
///   = (1/2N)·Σᵢ [−2·L_ii + ln Σⱼ e^{L_ij} + ln Σⱼ e^{L_ji}]
/// ∂ℓ/∂L_ij = (1/2N)·[softmax_rowᵢ(L)ⱼ + softmax_colⱼ(L)ᵢ − 2·δ_ij]
/// ∂ℓ/∂log_scale = Σ_ij ∂ℓ/∂L_ij·L_ij
/// ```
///
/// The gradients reach the raw embeddings through the normalisation.
/// `log_scale` is CLIP's `logit_scale` parameter (initialised to `ln(1/0.07)`,
/// and clamped by CLIP's training at `ln 100`, which is the caller's
/// parameter update, not the loss's); a fixed temperature `τ` is
/// `log_scale = −ln τ` with its gradient ignored. The Gram matrix is formed
/// twice row by row, `O(N²·D)` time and `O(N)` memory (no allocation up to
/// 1024 pairs). `unreduced` gives each pair's `½·[ℓ_image + ℓ_text]`.
///
/// | parameter | default | range |
/// | --- | --- | --- |
/// | `reduction` | `Mean` | `Mean` (over pairs, CLIP's), `Sum`, `BatchMean` (the same as `Mean`) |
///
/// Reference: open_clip's `ClipLoss` on one process (`F.normalize`,
/// `logit_scale · image @ text.T`, the mean of the two cross-entropies); not
/// a single call in PyTorch, Keras or optax.
///
/// # Examples
///
/// ```
/// use ndarray::array;
/// use ndloss::prelude::*;
///
/// // Orthogonal pairs at scale 1: each direction is −1 + ln(e + 1).
/// let img = array![[1.0_f64, 0.0], [0.0, 2.0]];
/// let txt = array![[3.0_f64, 0.0], [0.0, 1.0]];
/// let (v, g_img, g_txt, g_scale) = ClipLoss::new().forward_grad(&img, &txt, 0.0)?;
/// assert!((v - (-1.0 + (1.0_f64.exp() + 1.0).ln())).abs() < 1e-15);
/// assert_eq!(g_img.dim(), (2, 2));
/// assert!(g_scale < 0.0); // a sharper softmax fits these pairs better
/// # let _ = g_txt;
/// # Ok::<(), ndloss::Error>(())
/// ```
///
/// # Errors
///
/// [`Error::ShapeMismatch`](crate::Error::ShapeMismatch) for text
/// embeddings not shaped like the image embeddings, or a gradient buffer not
/// shaped like its input; [`Error::InvalidValue`](crate::Error::InvalidValue)
/// for a non-finite `log_scale`; [`Error::EmptyReduction`](crate::Error::EmptyReduction)
/// for a mean over no pairs. On error nothing is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ClipLoss {
    reduction: Reduction,
}

/// `F.normalize`'s floor on the norm.
const CLIP_NORM_EPS: f64 = 1e-12;

/// The image and text gradient buffers.
type GradPair<'g, A> = (&'g mut ArrayRef<A, Ix2>, &'g mut ArrayRef<A, Ix2>);

impl ClipLoss {
    /// CLIP's loss with the mean over pairs.
    pub fn new() -> Self {
        Self::default()
    }

    fn check<A: Float>(
        &self,
        img: &ArrayRef<A, Ix2>,
        txt: &ArrayRef<A, Ix2>,
        log_scale: A,
        reduced: bool,
    ) -> Result<(f64, f64)> {
        check_same_shape("text embeddings", img, txt)?;
        if !log_scale.is_finite() {
            return Err(crate::Error::InvalidValue {
                what: "log_scale",
                index: vec![],
                value: log_scale.to_f64(),
                expected: "a finite value",
            });
        }
        let n = img.nrows();
        crate::reduction::scale::<f64>(self.reduction, reduced, n as f64, n, "the batch is empty")
    }

    /// Total of the pair losses (each `½(ℓ_img + ℓ_txt)`), per pair into
    /// `out`, gradients (times `scale`) into `grads`; returns (total,
    /// ∂total/∂log_scale · scale).
    fn run<A: Float>(
        img: &ArrayRef<A, Ix2>,
        txt: &ArrayRef<A, Ix2>,
        log_scale: A,
        grads: Option<GradPair<'_, A>>,
        mut out: Option<&mut Array1<A>>,
        scale: f64,
    ) -> (f64, f64) {
        let n = img.nrows();
        let s = log_scale.to_f64().exp();
        // 1/‖·‖ of both sides, the log-sum-exp of every row and column, and
        // one row of logits.
        let mut stack = [0.0_f64; 6 * NTXENT_STACK];
        let mut heap = Vec::new();
        let buf: &mut [f64] = if n <= NTXENT_STACK {
            &mut stack[..6 * n]
        } else {
            heap.resize(6 * n, 0.0);
            &mut heap
        };
        let (inv_u, rest) = buf.split_at_mut(n);
        let (inv_v, rest) = rest.split_at_mut(n);
        let (row_lse, rest) = rest.split_at_mut(n);
        let (col_lse, rest) = rest.split_at_mut(n);
        let (col_sum, row) = rest.split_at_mut(n);
        let inv = |r: ndarray::ArrayView1<'_, A>| {
            let s2: f64 = r.iter().map(|&v| v.to_f64() * v.to_f64()).sum();
            1.0 / s2.sqrt().max(CLIP_NORM_EPS)
        };
        for i in 0..n {
            inv_u[i] = inv(img.row(i));
            inv_v[i] = inv(txt.row(i));
        }
        let logit = |i: usize, j: usize| -> f64 {
            let d: f64 = img
                .row(i)
                .iter()
                .zip(txt.row(j))
                .map(|(&a, &b)| a.to_f64() * b.to_f64())
                .sum();
            s * d * inv_u[i] * inv_v[j]
        };
        // Pass 1: each row's log-sum-exp from the row, the columns' online
        // (a running maximum in `col_lse` and the sum relative to it).
        col_lse.fill(f64::NEG_INFINITY);
        col_sum.fill(0.0);
        for (i, lse) in row_lse.iter_mut().enumerate() {
            for (j, r) in row.iter_mut().enumerate() {
                *r = logit(i, j);
            }
            let m = row.iter().fold(f64::NEG_INFINITY, |m, &v| m.max(v));
            *lse = m + row.iter().map(|&v| (v - m).exp()).sum::<f64>().ln();
            for ((cm, cs), &v) in col_lse.iter_mut().zip(col_sum.iter_mut()).zip(row.iter()) {
                if v > *cm {
                    *cs = *cs * (*cm - v).exp() + 1.0;
                    *cm = v;
                } else {
                    *cs += (v - *cm).exp();
                }
            }
        }
        for (c, &sum) in col_lse.iter_mut().zip(col_sum.iter()) {
            *c += sum.ln();
        }
        let mut total = 0.0;
        for i in 0..n {
            let l = 0.5 * (row_lse[i] + col_lse[i]) - logit(i, i);
            total += l;
            if let Some(o) = out.as_deref_mut() {
                o[i] = A::from_f64(l);
            }
        }
        let Some((g_img, g_txt)) = grads else {
            return (total, 0.0);
        };
        g_img.fill(A::zero());
        g_txt.fill(A::zero());
        // Pass 2: G_ij = ½·[softmax_row + softmax_col − 2δ], into ∂/∂u and
        // ∂/∂v (as g), and ∂/∂log_scale = Σ G·L.
        let mut d_scale = 0.0;
        for i in 0..n {
            for j in 0..n {
                let lij = logit(i, j);
                let mut gij = 0.5 * ((lij - row_lse[i]).exp() + (lij - col_lse[j]).exp());
                if i == j {
                    gij -= 1.0;
                }
                let gij = scale * gij;
                d_scale += gij * lij;
                let c = gij * s;
                let (cu, cv) = (c * inv_v[j], c * inv_u[i]);
                for d in 0..img.ncols() {
                    let (a, b) = (img[[i, d]].to_f64(), txt[[j, d]].to_f64());
                    g_img[[i, d]] = A::from_f64(g_img[[i, d]].to_f64() + cu * b);
                    g_txt[[j, d]] = A::from_f64(g_txt[[j, d]].to_f64() + cv * a);
                }
            }
        }
        through_unit_rows(g_img, img, inv_u, CLIP_NORM_EPS);
        through_unit_rows(g_txt, txt, inv_v, CLIP_NORM_EPS);
        (total, d_scale)
    }

    /// The reduced loss.
    ///
    /// # Errors
    ///
    /// See [`ClipLoss`].
    pub fn forward<A: Float>(
        &self,
        image: &ArrayRef<A, Ix2>,
        text: &ArrayRef<A, Ix2>,
        log_scale: A,
    ) -> Result<A> {
        let (_, d) = self.check(image, text, log_scale, true)?;
        Ok(A::from_f64(
            Self::run(image, text, log_scale, None, None, 1.0).0 / d,
        ))
    }

    /// The reduced loss, its gradients with respect to both embeddings
    /// written into the buffers, and its derivative in `log_scale` returned:
    /// `(loss, ∂loss/∂log_scale)`.
    ///
    /// # Errors
    ///
    /// See [`ClipLoss`]; the buffers are untouched on error.
    pub fn forward_grad_into<A: Float>(
        &self,
        image: &ArrayRef<A, Ix2>,
        text: &ArrayRef<A, Ix2>,
        log_scale: A,
        grad_image: &mut ArrayRef<A, Ix2>,
        grad_text: &mut ArrayRef<A, Ix2>,
    ) -> Result<(A, A)> {
        let (scale, d) = self.check(image, text, log_scale, true)?;
        check_same_shape("image gradient buffer", image, grad_image)?;
        check_same_shape("text gradient buffer", text, grad_text)?;
        let (total, ds) = Self::run(
            image,
            text,
            log_scale,
            Some((grad_image, grad_text)),
            None,
            scale,
        );
        Ok((A::from_f64(total / d), A::from_f64(ds)))
    }

    /// The loss and every gradient in new arrays: `(loss, ∂/∂image,
    /// ∂/∂text, ∂/∂log_scale)`.
    ///
    /// # Errors
    ///
    /// See [`ClipLoss`].
    pub fn forward_grad<A: Float>(
        &self,
        image: &ArrayRef<A, Ix2>,
        text: &ArrayRef<A, Ix2>,
        log_scale: A,
    ) -> Result<(A, Array2<A>, Array2<A>, A)> {
        let mut gi = Array2::zeros(image.raw_dim());
        let mut gt = Array2::zeros(text.raw_dim());
        let (v, ds) = self.forward_grad_into(image, text, log_scale, &mut gi, &mut gt)?;
        Ok((v, gi, gt, ds))
    }

    /// Each pair's `½·(ℓ_image + ℓ_text)`.
    ///
    /// # Errors
    ///
    /// See [`ClipLoss`] (an empty batch is valid).
    pub fn unreduced<A: Float>(
        &self,
        image: &ArrayRef<A, Ix2>,
        text: &ArrayRef<A, Ix2>,
        log_scale: A,
    ) -> Result<Array1<A>> {
        self.check(image, text, log_scale, false)?;
        let mut out = Array1::zeros(image.nrows());
        Self::run(image, text, log_scale, None, Some(&mut out), 1.0);
        Ok(out)
    }
}

impl crate::loss::CheckSettings for ClipLoss {
    fn check_settings(&self) -> Result<()> {
        Ok(())
    }
}
loss_builders!(ClipLoss);
