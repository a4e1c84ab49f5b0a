//! Gradient clipping over a whole gradient set, PyTorch's
//! `torch.nn.utils.clip_grad_norm_` and `clip_grad_value_`.

use crate::error::{check_hyper, Error, Result};
use crate::float::Float;
use crate::params::ParamsMut;

/// Scales the whole gradient set so its total norm is at most `max_norm`, and
/// returns the total norm *before* clipping.
///
/// ```text
/// total = ‖(‖g₁‖ₚ, ‖g₂‖ₚ, …)‖ₚ          (p = ∞: the largest |gᵢⱼ|)
/// c     = min(max_norm / (total + 1e-6), 1)
/// gᵢ   ← c·gᵢ                           (always multiplied, as PyTorch)
/// ```
///
/// The `1e-6` is PyTorch's: clipped gradients come out a factor
/// `total/(total + 1e-6)` below `max_norm` (Keras and optax divide by the norm
/// exactly). Norms are accumulated in `f64`.
///
/// A non-finite total norm is an [`Error::NonFiniteNorm`] with nothing written
/// when `error_if_nonfinite` is true; otherwise it is handled as PyTorch does
/// (an infinite norm gives `c = 0`: infinite entries become NaN, the rest 0).
///
/// # Errors
///
/// [`Error::InvalidHyperparameter`] for a negative or NaN `max_norm` or a
/// `norm_type` that is not positive; [`Error::NonFiniteNorm`] as above.
///
/// # Examples
///
/// ```
/// use ndarray::array;
/// use ndloss::optim::clip::clip_grad_norm;
///
/// let (mut a, mut b) = (array![3.0_f64], array![[4.0_f64]]);
/// let total = clip_grad_norm((&mut a, &mut b), 1.0, 2.0, false)?;
/// assert_eq!(total, 5.0);
/// assert!((a[0] - 3.0 / (5.0 + 1e-6)).abs() < 1e-15);
/// # Ok::<(), ndloss::Error>(())
/// ```
pub fn clip_grad_norm<A: Float, G: ParamsMut<A>>(
    mut grads: G,
    max_norm: f64,
    norm_type: f64,
    error_if_nonfinite: bool,
) -> Result<f64> {
    check_hyper("max_norm", max_norm, max_norm >= 0.0, "a value >= 0")?;
    check_hyper(
        "norm_type",
        norm_type,
        norm_type > 0.0,
        "a value > 0 (or infinity)",
    )?;
    let total = total_norm(&grads, norm_type);
    if error_if_nonfinite && !total.is_finite() {
        return Err(Error::NonFiniteNorm { norm: total });
    }
    let coef = max_norm / (total + 1e-6);
    // `min` that keeps NaN, as torch.clamp does.
    let coef = if coef > 1.0 { 1.0 } else { coef };
    let c = A::from_f64(coef);
    for i in 0..grads.num_slots() {
        grads.slot_mut(i).mapv_inplace(|g| g * c);
    }
    Ok(total)
}

/// The total `p`-norm of a gradient set (the value [`clip_grad_norm`] returns),
/// without changing anything.
///
/// # Examples
///
/// ```
/// use ndarray::array;
/// use ndloss::optim::clip::total_norm;
///
/// assert_eq!(total_norm(&(&array![3.0_f32], &array![-4.0_f32]), 2.0), 5.0);
/// assert_eq!(total_norm(&(&array![3.0_f32], &array![-4.0_f32]), f64::INFINITY), 4.0);
/// ```
pub fn total_norm<A: Float, G: crate::params::Params<A>>(grads: &G, norm_type: f64) -> f64 {
    let norms = (0..grads.num_slots()).map(|i| {
        let g = grads.slot(i);
        if norm_type.is_infinite() {
            g.iter()
                .fold(0.0_f64, |m, &x| max_keep_nan(m, x.to_f64().abs()))
        } else {
            let s: f64 = g.iter().map(|&x| x.to_f64().abs().powf(norm_type)).sum();
            s.powf(1.0 / norm_type)
        }
    });
    if norm_type.is_infinite() {
        norms.fold(0.0, max_keep_nan)
    } else {
        norms
            .map(|n| n.powf(norm_type))
            .sum::<f64>()
            .powf(1.0 / norm_type)
    }
}

fn max_keep_nan(a: f64, b: f64) -> f64 {
    if a.is_nan() || b > a || b.is_nan() {
        b
    } else {
        a
    }
}

/// Clamps every gradient element to `[−clip_value, clip_value]` (NaN stays NaN).
///
/// # Errors
///
/// [`Error::InvalidHyperparameter`] for a negative or NaN `clip_value`.
///
/// # Examples
///
/// ```
/// use ndarray::array;
/// use ndloss::optim::clip::clip_grad_value;
///
/// let mut g = array![-3.0_f32, 0.2, 7.0];
/// clip_grad_value(&mut g, 0.5)?;
/// assert_eq!(g, array![-0.5, 0.2, 0.5]);
/// # Ok::<(), ndloss::Error>(())
/// ```
pub fn clip_grad_value<A: Float, G: ParamsMut<A>>(mut grads: G, clip_value: f64) -> Result<()> {
    check_hyper("clip_value", clip_value, clip_value >= 0.0, "a value >= 0")?;
    let (lo, hi) = (A::from_f64(-clip_value), A::from_f64(clip_value));
    for i in 0..grads.num_slots() {
        grads.slot_mut(i).mapv_inplace(|g| {
            if g < lo {
                lo
            } else if g > hi {
                hi
            } else {
                g
            }
        });
    }
    Ok(())
}
