//! Bounding-box regression losses: IoU, generalized IoU, distance IoU and
//! complete IoU, on `(N, 4)` arrays of boxes `(x1, y1, x2, y2)`.
//!
//! Each row of the prediction is compared with the same row of the target
//! and gives one loss value; the gradient is taken with respect to the
//! predicted corners only. The values and gradients are those of
//! torchvision's `ops.generalized_box_iou_loss`, `distance_box_iou_loss` and
//! `complete_box_iou_loss` (and `1 − IoU` built from the same intersection),
//! including the places where autograd's conventions decide the gradient:
//!
//! - the intersection is `0` unless *both* overlaps are strictly positive, and
//!   then contributes no gradient (torchvision's masked `_loss_inter_union`);
//! - `min`/`max` send the gradient to the argument that wins, and split it
//!   in halves on a tie (`torch.minimum`/`torch.maximum`), so identical boxes
//!   get torch's gradient;
//! - CIoU's trade-off weight `α` is a constant (torchvision computes it under
//!   `no_grad`).
//!
//! Boxes are not validated, as in torchvision: `x2 < x1` gives a negative
//! width and a meaningless (but finite) loss. A predicted box of zero height
//! gives CIoU an infinite aspect ratio `w/h`: its value stays finite
//! (`atan(∞) = π/2`) but its gradient is NaN, as in torchvision.
//!
//! References: H. Rezatofighi et al., *Generalized Intersection over Union: A
//! Metric and A Loss for Bounding Box Regression*, CVPR 2019
//! (arXiv:1902.09630); Z. Zheng et al., *Distance-IoU Loss: Faster and Better
//! Learning for Bounding Box Regression*, AAAI 2020 (arXiv:1911.08287).

use ndarray::{Array1, ArrayRef, Ix2};

use crate::error::{check_hyper, Error, Result};
use crate::float::Float;
use crate::kernel::check_same_shape;
use crate::kernel::rowwise::{map_rows, row_reduction, sum_rows};
use crate::loss::{loss_builders, Loss, Reduction};

/// torchvision's default `eps` for every box loss.
const DEFAULT_EPS: f64 = 1e-7;

/// A box's corners `(x1, y1, x2, y2)`.
type Corners<A> = [A; 4];

/// The per-box math: `(loss, ∂loss/∂pred corners)` of a predicted and a
/// target box, with the loss's `eps`.
type BoxMath<A> = fn(Corners<A>, Corners<A>, A) -> (A, Corners<A>);

/// `max(a, b)` that propagates NaN, like `torch.maximum`.
#[inline(always)]
fn maximum<A: Float>(a: A, b: A) -> A {
    if a > b || a.is_nan() {
        a
    } else {
        b
    }
}

/// `min(a, b)` that propagates NaN, like `torch.minimum`.
#[inline(always)]
fn minimum<A: Float>(a: A, b: A) -> A {
    if a < b || a.is_nan() {
        a
    } else {
        b
    }
}

/// `∂ max(a, b) / ∂a` as autograd has it: 1 if `a` wins, ½ on a tie, else 0.
#[inline(always)]
fn max_share<A: Float>(a: A, b: A) -> A {
    if a > b {
        A::one()
    } else if a == b {
        A::from_f64(0.5)
    } else {
        A::zero()
    }
}

/// `∂ min(a, b) / ∂a` as autograd has it: 1 if `a` wins, ½ on a tie, else 0.
#[inline(always)]
fn min_share<A: Float>(a: A, b: A) -> A {
    max_share(b, a)
}

/// Intersection, union and IoU of two boxes, exactly as torchvision's
/// `_loss_inter_union` followed by `iou = inter / (union + eps)`.
struct Overlap<A> {
    p: Corners<A>,
    t: Corners<A>,
    /// Width and height of the intersection (may be ≤ 0).
    iw: A,
    ih: A,
    /// Both overlaps strictly positive: only then is `inter = iw·ih`.
    overlapping: bool,
    /// `union + eps`.
    den: A,
    iou: A,
}

impl<A: Float> Overlap<A> {
    #[inline(always)]
    fn new(p: Corners<A>, t: Corners<A>, eps: A) -> Self {
        let [x1, y1, x2, y2] = p;
        let [x1g, y1g, x2g, y2g] = t;
        let iw = minimum(x2, x2g) - maximum(x1, x1g);
        let ih = minimum(y2, y2g) - maximum(y1, y1g);
        let overlapping = ih > A::zero() && iw > A::zero();
        let inter = if overlapping { iw * ih } else { A::zero() };
        let union = (x2 - x1) * (y2 - y1) + (x2g - x1g) * (y2g - y1g) - inter;
        let den = union + eps;
        Overlap {
            p,
            t,
            iw,
            ih,
            overlapping,
            den,
            iou: inter / den,
        }
    }

    /// The gradient with respect to the predicted corners of a loss that
    /// depends on the pair through `iou` (with `∂loss/∂iou = g_iou`) and
    /// directly through `union` (`∂loss/∂union = g_union`, not counting the
    /// path through `iou`).
    #[inline(always)]
    fn backward(&self, g_iou: A, g_union: A) -> Corners<A> {
        let [x1, y1, x2, y2] = self.p;
        let [x1g, y1g, x2g, y2g] = self.t;
        // iou = inter / den: autograd's div backward.
        let g_union = g_union - g_iou * (self.iou / self.den);
        // union = area_pred + area_target − inter.
        let g_inter = g_iou / self.den - g_union;
        let (gw, gh) = (g_union * (y2 - y1), g_union * (x2 - x1));
        let mut d = [-gw, -gh, gw, gh];
        if self.overlapping {
            // inter = (min(x2, x2g) − max(x1, x1g)) · (min(y2, y2g) − max(y1, y1g))
            let (g_iw, g_ih) = (g_inter * self.ih, g_inter * self.iw);
            d[0] = d[0] - g_iw * max_share(x1, x1g);
            d[1] = d[1] - g_ih * max_share(y1, y1g);
            d[2] = d[2] + g_iw * min_share(x2, x2g);
            d[3] = d[3] + g_ih * min_share(y2, y2g);
        }
        d
    }
}

/// Width and height of the smallest box enclosing both.
#[inline(always)]
fn enclosing<A: Float>(p: &Corners<A>, t: &Corners<A>) -> (A, A) {
    (
        maximum(p[2], t[2]) - minimum(p[0], t[0]),
        maximum(p[3], t[3]) - minimum(p[1], t[1]),
    )
}

/// Adds the gradient of the enclosing box's width and height (`g_cw`,
/// `g_ch`) to the predicted corners that define them.
#[inline(always)]
fn enclosing_backward<A: Float>(
    p: &Corners<A>,
    t: &Corners<A>,
    g_cw: A,
    g_ch: A,
    d: &mut Corners<A>,
) {
    d[0] = d[0] - g_cw * min_share(p[0], t[0]);
    d[1] = d[1] - g_ch * min_share(p[1], t[1]);
    d[2] = d[2] + g_cw * max_share(p[2], t[2]);
    d[3] = d[3] + g_ch * max_share(p[3], t[3]);
}

/// `1 − IoU` of one box pair and its gradient.
fn iou_box<A: Float>(p: Corners<A>, t: Corners<A>, eps: A) -> (A, Corners<A>) {
    let o = Overlap::new(p, t, eps);
    (A::one() - o.iou, o.backward(-A::one(), A::zero()))
}

/// Generalized IoU loss of one box pair and its gradient.
fn giou_box<A: Float>(p: Corners<A>, t: Corners<A>, eps: A) -> (A, Corners<A>) {
    let one = A::one();
    let o = Overlap::new(p, t, eps);
    let union = o.den - eps;
    let (cw, ch) = enclosing(&p, &t);
    let area_c = cw * ch;
    let c_den = area_c + eps;
    let penalty = (area_c - union) / c_den;
    // torchvision: 1 − (iou − penalty).
    let value = one - (o.iou - penalty);
    // ∂penalty/∂union = −1/c_den; ∂penalty/∂area_c = (1 − penalty)/c_den.
    let mut d = o.backward(-one, -one / c_den);
    let g_area_c = (one - penalty) / c_den;
    enclosing_backward(&p, &t, g_area_c * ch, g_area_c * cw, &mut d);
    (value, d)
}

/// Distance IoU loss of one box pair, its gradient, and the pair's IoU.
#[inline(always)]
fn diou_parts<A: Float>(p: Corners<A>, t: Corners<A>, eps: A) -> (A, Corners<A>, A) {
    let one = A::one();
    let two = one + one;
    let o = Overlap::new(p, t, eps);
    let (cw, ch) = enclosing(&p, &t);
    let diag = (cw * cw + ch * ch) + eps;
    let dx = (p[2] + p[0]) / two - (t[0] + t[2]) / two;
    let dy = (p[3] + p[1]) / two - (t[1] + t[3]) / two;
    let rho2 = dx * dx + dy * dy;
    let value = (one - o.iou) + rho2 / diag;
    let mut d = o.backward(-one, A::zero());
    // ρ²/diag: ∂/∂diag = −(ρ²/diag)/diag, diag = cw² + ch² + eps.
    let g_diag = -((rho2 / diag) / diag);
    enclosing_backward(&p, &t, g_diag * two * cw, g_diag * two * ch, &mut d);
    // ∂(ρ²/diag)/∂x1 = ∂/∂x2 = 2·dx·½ / diag (the centre moves by half).
    let (gx, gy) = (dx / diag, dy / diag);
    d[0] = d[0] + gx;
    d[1] = d[1] + gy;
    d[2] = d[2] + gx;
    d[3] = d[3] + gy;
    (value, d, o.iou)
}

/// Distance IoU loss of one box pair and its gradient.
fn diou_box<A: Float>(p: Corners<A>, t: Corners<A>, eps: A) -> (A, Corners<A>) {
    let (value, d, _) = diou_parts(p, t, eps);
    (value, d)
}

/// Complete IoU loss of one box pair and its gradient (`α` held constant).
fn ciou_box<A: Float>(p: Corners<A>, t: Corners<A>, eps: A) -> (A, Corners<A>) {
    let one = A::one();
    // torchvision's complete_box_iou_loss calls _diou_iou_loss without
    // forwarding its eps: the DIoU part and the IoU inside α use 1e-7.
    let (diou, mut d, iou) = diou_parts(p, t, A::from_f64(DEFAULT_EPS));
    let (wp, hp) = (p[2] - p[0], p[3] - p[1]);
    let (wg, hg) = (t[2] - t[0], t[3] - t[1]);
    let ratio = wp / hp;
    let delta = (wg / hg).atan() - ratio.atan();
    let k = A::from_f64(4.0 / (std::f64::consts::PI * std::f64::consts::PI));
    let v = k * (delta * delta);
    let alpha = v / ((one - iou) + v + eps);
    let value = diou + alpha * v;
    // α·v with α constant: ∂/∂ratio = α·k·2·delta·(−1)/(1 + ratio²).
    let g_ratio = -(alpha * (k * ((one + one) * delta))) / (ratio * ratio + one);
    let g_w = g_ratio / hp;
    let g_h = -(g_ratio * (ratio / hp));
    d[0] = d[0] - g_w;
    d[1] = d[1] - g_h;
    d[2] = d[2] + g_w;
    d[3] = d[3] + g_h;
    (value, d)
}

/// A validated call: the per-box math with its constants in `A`.
struct BoxRows<A> {
    math: BoxMath<A>,
    eps: A,
    /// Gradient scale and denominator of the reduction (`1/N` and `N` for a
    /// mean, `1` and `1` otherwise).
    scale: A,
    denominator: A,
}

impl<A: Float> BoxRows<A> {
    /// Validates `eps` and every shape; `reduced` is false for an unreduced
    /// call (which accepts zero boxes).
    fn new(
        math: BoxMath<A>,
        eps: f64,
        reduction: Reduction,
        pred: &ArrayRef<A, Ix2>,
        target: &ArrayRef<A, Ix2>,
        grad: Option<&ArrayRef<A, Ix2>>,
        reduced: bool,
    ) -> Result<Self> {
        let eps = check_eps(eps)?;
        let (rows, cols) = pred.dim();
        if cols != 4 {
            return Err(Error::ShapeMismatch {
                what: "boxes",
                expected: vec![rows, 4],
                found: pred.shape().to_vec(),
            });
        }
        check_same_shape("target", pred, target)?;
        if let Some(g) = grad {
            check_same_shape("gradient buffer", pred, g)?;
        }
        let (scale, denominator) = row_reduction::<A>(reduction, reduced, rows)?;
        Ok(BoxRows {
            math,
            eps: A::from_f64(eps),
            scale,
            denominator,
        })
    }

    /// One box pair: its loss, and the scaled gradient written into `g`.
    #[inline(always)]
    fn row(&self, x: &[A], t: &[A], g: Option<&mut [A]>) -> A {
        let (value, d) = (self.math)([x[0], x[1], x[2], x[3]], [t[0], t[1], t[2], t[3]], self.eps);
        if let Some(g) = g {
            g.iter_mut()
                .zip(d)
                .for_each(|(gk, dk)| *gk = self.scale * dk);
        }
        value
    }

    /// The reduced loss, and the gradient if a buffer is given.
    fn reduce(
        &self,
        pred: &ArrayRef<A, Ix2>,
        target: &ArrayRef<A, Ix2>,
        grad: Option<&mut ArrayRef<A, Ix2>>,
    ) -> A {
        sum_rows(pred, Some(target), grad, &mut |_, x, t, g| {
            self.row(x, t, g)
        }) / self.denominator
    }

    /// One loss per box.
    fn map(&self, pred: &ArrayRef<A, Ix2>, target: &ArrayRef<A, Ix2>) -> Array1<A> {
        map_rows(pred, Some(target), &mut |_, x, t, g| self.row(x, t, g))
    }
}

/// The box losses' `eps`: finite and ≥ 0.
fn check_eps(eps: f64) -> Result<f64> {
    check_hyper(
        "eps",
        eps,
        eps.is_finite() && eps >= 0.0,
        "a finite value >= 0",
    )
}

/// Builders and the [`Loss`] implementation shared by the box losses.
macro_rules! box_loss {
    ($name:ident, $math:ident, $summary:literal, $eps_doc:literal) => {
        impl Default for $name {
            fn default() -> Self {
                Self {
                    reduction: Reduction::Mean,
                    eps: DEFAULT_EPS,
                }
            }
        }

        impl $name {
            #[doc = $summary]
            pub fn new() -> Self {
                Self::default()
            }

            #[doc = $eps_doc]
            #[must_use]
            pub fn eps(mut self, eps: f64) -> Self {
                self.eps = eps;
                self
            }
        }
        loss_builders!($name);

        impl $name {
            /// The `eps` setting, as [`eps`](Self::eps) set it (or its default).
            ///
            /// ```
            #[doc = concat!("let x = ndloss::loss::", stringify!($name), "::new().eps(1e-9);")]
            /// assert_eq!(x.get_eps(), 1e-9);
            /// ```
            pub fn get_eps(&self) -> f64 {
                self.eps
            }
        }

        impl $crate::loss::CheckSettings for $name {
            fn check_settings(&self) -> Result<()> {
                check_eps(self.eps).map(drop)
            }
        }

        impl<A: Float> Loss<A, Ix2> for $name {
            type Unreduced = ndarray::Ix1;

            fn forward(&self, pred: &ArrayRef<A, Ix2>, target: &ArrayRef<A, Ix2>) -> Result<A> {
                let rows = BoxRows::new($math, self.eps, self.reduction, pred, target, None, true)?;
                Ok(rows.reduce(pred, target, None))
            }

            fn forward_grad_into(
                &self,
                pred: &ArrayRef<A, Ix2>,
                target: &ArrayRef<A, Ix2>,
                grad: &mut ArrayRef<A, Ix2>,
            ) -> Result<A> {
                let rows = BoxRows::new(
                    $math,
                    self.eps,
                    self.reduction,
                    pred,
                    target,
                    Some(&*grad),
                    true,
                )?;
                Ok(rows.reduce(pred, target, Some(grad)))
            }

            fn unreduced(
                &self,
                pred: &ArrayRef<A, Ix2>,
                target: &ArrayRef<A, Ix2>,
            ) -> Result<Array1<A>> {
                let rows =
                    BoxRows::new($math, self.eps, self.reduction, pred, target, None, false)?;
                Ok(rows.map(pred, target))
            }
        }
    };
}

/// IoU loss, `1 − IoU`, of predicted and target boxes `(x1, y1, x2, y2)`.
///
/// Per box (row) of the `(N, 4)` arrays; the intersection counts only when
/// both of its sides are strictly positive:
///
/// ```text
/// inter = (min(x2, x2ᵍ) − max(x1, x1ᵍ)) · (min(y2, y2ᵍ) − max(y1, y1ᵍ))   if both factors > 0, else 0
/// union = (x2 − x1)(y2 − y1) + (x2ᵍ − x1ᵍ)(y2ᵍ − y1ᵍ) − inter
/// IoU   = inter / (union + eps)
/// ℓᵢ    = 1 − IoU
/// mean: Σᵢ ℓᵢ / N
/// ```
///
/// Scale-invariant overlap loss for box regression when predictions and
/// targets already overlap; it is flat (zero gradient) for disjoint boxes, so
/// prefer [`GiouLoss`], [`DiouLoss`] or [`CiouLoss`] when they may not.
///
/// | parameter | default | range |
/// | --- | --- | --- |
/// | `eps` | 1e-7 | finite, ≥ 0 |
/// | `reduction` | `Mean` | `Mean`, `Sum`, `BatchMean` (= `Mean`: one value per box) |
///
/// Implements [`Loss<A, Ix2>`](Loss): prediction and target are `(N, 4)`;
/// [`unreduced`](Loss::unreduced) gives one value per box; the gradient is
/// with respect to the predicted corners.
///
/// torchvision has no IoU loss function; this is `1 − inter / (union + eps)`
/// with the intersection and union of `torchvision.ops._utils._loss_inter_union`,
/// the ones its GIoU, DIoU and CIoU losses use (`ops.box_iou` differs: no
/// `eps`). A mean over zero boxes is an [`Error::EmptyReduction`] where
/// torchvision's box losses return 0.
///
/// # Examples
///
/// ```
/// use ndarray::array;
/// use ndloss::prelude::*;
///
/// let pred = array![[0.0_f64, 0.0, 2.0, 2.0], [0.0, 0.0, 1.0, 1.0], [1.0, 1.0, 3.0, 4.0]];
/// let target = array![[1.0_f64, 1.0, 3.0, 3.0], [2.0, 2.0, 3.0, 3.0], [1.0, 1.0, 3.0, 4.0]];
/// let per_box = IouLoss::new().unreduced(&pred, &target)?;
/// assert!((per_box[0] - (1.0 - 1.0 / 7.0)).abs() < 1e-7); // inter 1, union 7
/// assert_eq!(per_box[1], 1.0); // disjoint
/// assert!(per_box[2] < 1e-7); // identical
/// let (mean, grad) = IouLoss::new().forward_grad(&pred, &target)?;
/// assert!((mean - per_box.sum() / 3.0).abs() < 1e-15);
/// assert_eq!(grad.row(1).to_vec(), [0.0; 4]); // no gradient without overlap
/// # Ok::<(), ndloss::Error>(())
/// ```
///
/// # Errors
///
/// - [`Error::ShapeMismatch`]: the prediction does not have 4 columns
///   (`"boxes"`); the target or the gradient buffer is not shaped like the
///   prediction.
/// - [`Error::InvalidHyperparameter`]: a negative or non-finite `eps`.
/// - [`Error::EmptyReduction`]: a mean over zero boxes.
///
/// References: J. Yu et al., *UnitBox: An Advanced Object Detection Network*,
/// ACM MM 2016 (arXiv:1608.01471).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IouLoss {
    reduction: Reduction,
    eps: f64,
}
box_loss!(
    IouLoss,
    iou_box,
    "The IoU loss with `eps = 1e-7` and mean reduction.",
    "Added to the union before dividing (default 1e-7)."
);

/// Generalized IoU loss (Rezatofighi et al.): `1 − IoU` plus the fraction of
/// the smallest enclosing box that neither box covers.
///
/// Per box, with `inter`, `union` and `IoU` as in [`IouLoss`] and `C` the
/// smallest box enclosing both:
///
/// ```text
/// area_C = (max(x2, x2ᵍ) − min(x1, x1ᵍ)) · (max(y2, y2ᵍ) − min(y1, y1ᵍ))
/// ℓᵢ     = 1 − (IoU − (area_C − union) / (area_C + eps))      ∈ [0, 2)
/// mean: Σᵢ ℓᵢ / N
/// ```
///
/// The standard choice for box regression against matched targets (DETR,
/// FCOS): unlike plain IoU it still has a gradient that pulls disjoint boxes
/// together.
///
/// | parameter | default | range |
/// | --- | --- | --- |
/// | `eps` | 1e-7 | finite, ≥ 0 |
/// | `reduction` | `Mean` | `Mean`, `Sum`, `BatchMean` (= `Mean`: one value per box) |
///
/// Implements [`Loss<A, Ix2>`](Loss): prediction and target are `(N, 4)`;
/// [`unreduced`](Loss::unreduced) gives one value per box; the gradient is
/// with respect to the predicted corners (the enclosing box's `min`/`max`
/// pass it to the winning corner, halved on a tie, as autograd does).
///
/// torchvision: `ops.generalized_box_iou_loss(boxes1=pred, boxes2=target,
/// reduction, eps)` — same values and gradients. Its default reduction is
/// `'none'` (ours `Mean`), and its mean over zero boxes is 0 where we return
/// [`Error::EmptyReduction`].
///
/// # Examples
///
/// ```
/// use ndarray::array;
/// use ndloss::prelude::*;
///
/// // torchvision's documentation sample: overlapping, disjoint, identical.
/// let pred = array![[0.0_f64, 0.0, 2.0, 2.0], [0.0, 0.0, 1.0, 1.0], [1.0, 1.0, 3.0, 4.0]];
/// let target = array![[1.0_f64, 1.0, 3.0, 3.0], [2.0, 2.0, 3.0, 3.0], [1.0, 1.0, 3.0, 4.0]];
/// let per_box = GiouLoss::new().unreduced(&pred, &target)?;
/// assert!((per_box[0] - 1.0793650789).abs() < 1e-9);
/// assert!((per_box[1] - 1.7777777691).abs() < 1e-9);
/// assert!((per_box[2] - 1.67e-8).abs() < 1e-10); // eps / area
/// let (sum, grad) = GiouLoss::new().reduction(Reduction::Sum).forward_grad(&pred, &target)?;
/// assert!((sum - per_box.sum()).abs() < 1e-15);
/// assert!(grad.row(1).iter().all(|&g| g != 0.0)); // disjoint boxes still get a gradient
/// # Ok::<(), ndloss::Error>(())
/// ```
///
/// # Errors
///
/// As [`IouLoss`].
///
/// References: H. Rezatofighi et al., *Generalized Intersection over Union: A
/// Metric and A Loss for Bounding Box Regression*, CVPR 2019 (arXiv:1902.09630).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GiouLoss {
    reduction: Reduction,
    eps: f64,
}
box_loss!(
    GiouLoss,
    giou_box,
    "The GIoU loss with `eps = 1e-7` (torchvision's default) and mean reduction.",
    "Added to the union and to the enclosing area before dividing (default 1e-7)."
);

/// Distance IoU loss (Zheng et al.): `1 − IoU` plus the squared distance
/// between the box centres over the squared diagonal of the enclosing box.
///
/// Per box, with `IoU` as in [`IouLoss`], `C` the smallest enclosing box and
/// centres `(xc, yc) = ((x1 + x2)/2, (y1 + y2)/2)`:
///
/// ```text
/// ρ² = (xc − xcᵍ)² + (yc − ycᵍ)²
/// c² = (max(x2, x2ᵍ) − min(x1, x1ᵍ))² + (max(y2, y2ᵍ) − min(y1, y1ᵍ))²
/// ℓᵢ = 1 − IoU + ρ² / (c² + eps)
/// mean: Σᵢ ℓᵢ / N
/// ```
///
/// Like [`GiouLoss`] it pulls disjoint boxes together, but through their
/// centres directly, which converges faster, also when one box contains the
/// other (where the GIoU penalty vanishes).
///
/// | parameter | default | range |
/// | --- | --- | --- |
/// | `eps` | 1e-7 | finite, ≥ 0 |
/// | `reduction` | `Mean` | `Mean`, `Sum`, `BatchMean` (= `Mean`: one value per box) |
///
/// Implements [`Loss<A, Ix2>`](Loss): prediction and target are `(N, 4)`;
/// [`unreduced`](Loss::unreduced) gives one value per box; the gradient is
/// with respect to the predicted corners.
///
/// torchvision: `ops.distance_box_iou_loss(boxes1=pred, boxes2=target,
/// reduction, eps)` — same values and gradients. Its default reduction is
/// `'none'` (ours `Mean`), and its mean over zero boxes is 0 where we return
/// [`Error::EmptyReduction`].
///
/// # Examples
///
/// ```
/// use ndarray::array;
/// use ndloss::prelude::*;
///
/// let pred = array![[0.0_f64, 0.0, 2.0, 2.0], [0.0, 0.0, 1.0, 1.0], [1.0, 1.0, 3.0, 4.0]];
/// let target = array![[1.0_f64, 1.0, 3.0, 3.0], [2.0, 2.0, 3.0, 3.0], [1.0, 1.0, 3.0, 4.0]];
/// let per_box = DiouLoss::new().unreduced(&pred, &target)?;
/// assert!((per_box[0] - 0.9682539697).abs() < 1e-9);
/// assert!((per_box[1] - 1.4444444420).abs() < 1e-9);
/// assert!((per_box[2] - 1.67e-8).abs() < 1e-10);
/// let mean = DiouLoss::new().forward(&pred, &target)?;
/// assert!((mean - per_box.sum() / 3.0).abs() < 1e-15);
/// # Ok::<(), ndloss::Error>(())
/// ```
///
/// # Errors
///
/// As [`IouLoss`].
///
/// References: Z. Zheng et al., *Distance-IoU Loss: Faster and Better Learning
/// for Bounding Box Regression*, AAAI 2020 (arXiv:1911.08287).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DiouLoss {
    reduction: Reduction,
    eps: f64,
}
box_loss!(
    DiouLoss,
    diou_box,
    "The DIoU loss with `eps = 1e-7` (torchvision's default) and mean reduction.",
    "Added to the union and to the squared diagonal before dividing (default 1e-7)."
);

/// Complete IoU loss (Zheng et al.): the [`DiouLoss`] plus a penalty on the
/// difference in aspect ratio, weighted by a constant trade-off `α`.
///
/// Per box, with `w = x2 − x1`, `h = y2 − y1` and the DIoU loss and `IoU`
/// computed with `eps = 1e-7` (see below):
///
/// ```text
/// v  = (4/π²) · (atan(wᵍ/hᵍ) − atan(w/h))²
/// α  = v / (1 − IoU + v + eps)          (a constant: no gradient flows through α)
/// ℓᵢ = DIoU loss + α·v
/// mean: Σᵢ ℓᵢ / N
/// ```
///
/// The most complete of the IoU family (overlap, centre distance and shape):
/// the usual choice in YOLO-style detectors.
///
/// | parameter | default | range |
/// | --- | --- | --- |
/// | `eps` | 1e-7 | finite, ≥ 0; only in `α`'s denominator |
/// | `reduction` | `Mean` | `Mean`, `Sum`, `BatchMean` (= `Mean`: one value per box) |
///
/// Implements [`Loss<A, Ix2>`](Loss): prediction and target are `(N, 4)`;
/// [`unreduced`](Loss::unreduced) gives one value per box; the gradient is
/// with respect to the predicted corners, with `α` held fixed. A predicted box
/// of zero height gives a NaN gradient (its aspect ratio `w/h` is infinite),
/// as in torchvision.
///
/// torchvision: `ops.complete_box_iou_loss(boxes1=pred, boxes2=target,
/// reduction, eps)` — same values and gradients, including two of its
/// details: `α` is computed under `torch.no_grad()` (as in the paper, which
/// treats it as a trade-off constant), and the DIoU part and the IoU inside
/// `α` are computed with the default `eps = 1e-7` whatever `eps` is given
/// (torchvision does not forward `eps` to `_diou_iou_loss`), so `eps` only
/// enters `α`'s denominator. Its default reduction is `'none'` (ours `Mean`),
/// and its mean over zero boxes is 0 where we return [`Error::EmptyReduction`].
///
/// # Examples
///
/// ```
/// use ndarray::array;
/// use ndloss::prelude::*;
///
/// let pred = array![[0.0_f64, 0.0, 2.0, 2.0], [0.0, 0.0, 1.0, 1.0], [1.0, 1.0, 3.0, 4.0]];
/// let target = array![[1.0_f64, 1.0, 3.0, 3.0], [2.0, 2.0, 3.0, 3.0], [1.0, 1.0, 3.0, 4.0]];
/// let per_box = CiouLoss::new().unreduced(&pred, &target)?;
/// // Same aspect ratios in each pair: v = 0, so CIoU equals DIoU here.
/// assert!((per_box[0] - 0.9682539697).abs() < 1e-9);
/// assert!((per_box[1] - 1.4444444420).abs() < 1e-9);
/// assert!((per_box[2] - 1.67e-8).abs() < 1e-10);
/// let wide = array![[0.0_f64, 0.0, 4.0, 1.0]];
/// let tall = array![[0.0_f64, 0.0, 1.0, 4.0]];
/// let ciou = CiouLoss::new().forward(&wide, &tall)?;
/// assert!(ciou > DiouLoss::new().forward(&wide, &tall)?); // the shape penalty
/// # Ok::<(), ndloss::Error>(())
/// ```
///
/// # Errors
///
/// As [`IouLoss`].
///
/// References: Z. Zheng et al., *Distance-IoU Loss: Faster and Better Learning
/// for Bounding Box Regression*, AAAI 2020 (arXiv:1911.08287).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CiouLoss {
    reduction: Reduction,
    eps: f64,
}
box_loss!(
    CiouLoss,
    ciou_box,
    "The CIoU loss with `eps = 1e-7` (torchvision's default) and mean reduction.",
    "Added to `α`'s denominator (default 1e-7). The DIoU part always uses \
     1e-7, as torchvision's `complete_box_iou_loss` does."
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_split_the_gradient() {
        // Identical boxes: every min/max is a tie, as in autograd each
        // argument gets half of the gradient.
        assert_eq!(max_share(1.0_f64, 1.0), 0.5);
        assert_eq!(min_share(1.0_f64, 2.0), 1.0);
        assert_eq!(max_share(1.0_f64, 2.0), 0.0);
        assert!(maximum(f64::NAN, 1.0).is_nan() && maximum(1.0, f64::NAN).is_nan());
        assert!(minimum(f64::NAN, 1.0).is_nan() && minimum(1.0, f64::NAN).is_nan());
    }

    #[test]
    fn iou_of_nested_boxes() {
        // Target inside the prediction: IoU = 1/4, gradient only through the
        // prediction's own area (the intersection is the target).
        let (v, d) = iou_box([0.0_f64, 0.0, 2.0, 2.0], [0.5, 0.5, 1.5, 1.5], 0.0);
        assert!((v - 0.75).abs() < 1e-15);
        // ∂(1 − 1/area)/∂x2 = (1/area²)·∂area/∂x2 = 2/16.
        assert!((d[2] - 0.125).abs() < 1e-15 && (d[0] + 0.125).abs() < 1e-15);
    }
}
