use super::{common_methods, non_negative, validate, Optimizer, SlotState};
use crate::error::{check_hyper, Result};
use crate::float::Float;
use crate::kernel::update::update;
use crate::params::{Params, ParamsMut};

/// Adam, PyTorch's `torch.optim.Adam` (with `decoupled_weight_decay=False`).
///
/// ```text
/// t ← t + 1
/// g ← −g                          if maximize
/// g ← g + weight_decay·θ          (coupled, L2-style)
/// m ← lerp(m, g, 1 − β₁)          v ← β₂·v + (1 − β₂)·g²
/// v̂ ← max(v̂, v) if amsgrad, else v      (the raw v, as PyTorch)
/// θ ← θ − lr/(1 − β₁ᵗ) · m / (√v̂ / √(1 − β₂ᵗ) + eps)
/// ```
///
/// | parameter | default | range |
/// | --- | --- | --- |
/// | `lr` | — (PyTorch 1e-3) | finite, ≥ 0 |
/// | `betas` (β₁, β₂) | (0.9, 0.999) | each in [0, 1) |
/// | `eps` | 1e-8 | finite, ≥ 0 |
/// | `weight_decay` | 0 | finite, ≥ 0 |
/// | `amsgrad` | false | |
/// | `maximize` | false | |
///
/// `Adam<A>` holds its moments in the parameters' float type, which the first
/// [`step`](Optimizer::step) usually lets the compiler infer; where it cannot
/// (an optimizer stored in a struct field), write `Adam::<f32>::new(1e-3)`.
///
/// State: the step count `t` (shared by all slots, incremented once per
/// [`step`](Optimizer::step)) and per slot `m`, `v` (and `v̂` with AMSGrad).
/// Bias corrections are computed in `f64`, as PyTorch computes them in Python
/// floats. Keras' `Adam` defaults to `epsilon = 1e-7` and scales it by
/// `√(1 − β₂ᵗ)`; optax's `adam` equals this one.
///
/// # Examples
///
/// ```
/// use ndarray::array;
/// use ndloss::prelude::*;
///
/// let mut w = array![1.0_f64];
/// let mut adam = Adam::new(0.1);
/// adam.step(&mut w, &array![4.0])?;
/// // First step: m̂ = g, v̂ = g², so θ moves by lr·g/(|g| + eps) ≈ lr.
/// assert!((w[0] - (1.0 - 0.1 * 4.0 / (4.0 + 1e-8))).abs() < 1e-15);
/// # Ok::<(), ndloss::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Adam<A> {
    lr: f64,
    beta1: f64,
    beta2: f64,
    eps: f64,
    weight_decay: f64,
    amsgrad: bool,
    maximize: bool,
    /// Per slot: `[m, v, v̂]` (`v̂` empty until AMSGrad is used).
    state: Option<SlotState<A, 3>>,
    steps: u64,
}

impl<A: Float> Adam<A> {
    /// Adam with learning rate `lr` and PyTorch's other defaults.
    pub fn new(lr: f64) -> Self {
        Self {
            lr,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.0,
            amsgrad: false,
            maximize: false,
            state: None,
            steps: 0,
        }
    }

    /// Decay rates of the first and second moment estimates (default (0.9, 0.999)).
    #[must_use]
    pub fn betas(mut self, beta1: f64, beta2: f64) -> Self {
        self.beta1 = beta1;
        self.beta2 = beta2;
        self
    }

    /// Term added to the denominator (default 1e-8).
    #[must_use]
    pub fn eps(mut self, eps: f64) -> Self {
        self.eps = eps;
        self
    }

    /// Coupled weight decay, added to the gradient (default 0). For decoupled
    /// decay use AdamW.
    #[must_use]
    pub fn weight_decay(mut self, weight_decay: f64) -> Self {
        self.weight_decay = weight_decay;
        self
    }

    /// The AMSGrad variant: the denominator uses the running maximum of `v` (default false).
    #[must_use]
    pub fn amsgrad(mut self, amsgrad: bool) -> Self {
        self.amsgrad = amsgrad;
        self
    }

    /// Ascend instead of descend (default false).
    #[must_use]
    pub fn maximize(mut self, maximize: bool) -> Self {
        self.maximize = maximize;
        self
    }

    fn check(&self) -> Result<()> {
        non_negative("lr", self.lr)?;
        non_negative("eps", self.eps)?;
        non_negative("weight_decay", self.weight_decay)?;
        for (name, b) in [("beta1", self.beta1), ("beta2", self.beta2)] {
            check_hyper(name, b, (0.0..1.0).contains(&b), "a value in [0, 1)")?;
        }
        Ok(())
    }
}

/// PyTorch's `lerp`: `a + w·(b − a)` for `|w| < ½`, else `b − (b − a)·(1 − w)`.
#[inline(always)]
pub(crate) fn lerp<A: Float>(a: A, b: A, w: A) -> A {
    let half = A::from_f64(0.5);
    if w.abs() < half {
        a + w * (b - a)
    } else {
        b - (b - a) * (A::one() - w)
    }
}

/// Loop-invariant quantities of one Adam step, already in `A`.
#[derive(Clone, Copy)]
struct Coeffs<A> {
    sign: A,
    wd: A,
    w1: A,
    b2: A,
    w2: A,
    neg_step: A,
    bias2_sqrt: A,
    eps: A,
}

impl<A: Float> Coeffs<A> {
    /// `g ← ±g (+ wd·θ)`, `m ← lerp(m, g, 1 − β₁)`, `v ← β₂·v + (1 − β₂)·g²`.
    #[inline(always)]
    fn moments<const WD: bool>(self, p: A, g: A, m: &mut A, v: &mut A) {
        let g = self.sign * g;
        let g = if WD { g + self.wd * p } else { g };
        *m = lerp(*m, g, self.w1);
        *v = *v * self.b2 + self.w2 * g * g;
    }

    /// `θ − lr/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + eps)`, in PyTorch's operation order.
    #[inline(always)]
    fn apply(self, p: A, m: A, v: A) -> A {
        p + (self.neg_step * m) / (v.sqrt() / self.bias2_sqrt + self.eps)
    }
}

fn adam_pass<A: Float, const WD: bool>(
    param: ndarray::ArrayViewMutD<'_, A>,
    grad: ndarray::ArrayViewD<'_, A>,
    m: &mut [A],
    v: &mut [A],
    c: Coeffs<A>,
) {
    update(param, grad, [m, v], |p, g, [m, v]| {
        c.moments::<WD>(p, g, m, v);
        c.apply(p, *m, *v)
    });
}

fn amsgrad_pass<A: Float, const WD: bool>(
    param: ndarray::ArrayViewMutD<'_, A>,
    grad: ndarray::ArrayViewD<'_, A>,
    [m, v, v_max]: [&mut [A]; 3],
    c: Coeffs<A>,
) {
    update(param, grad, [m, v, v_max], |p, g, [m, v, vm]| {
        c.moments::<WD>(p, g, m, v);
        *vm = if *v > *vm { *v } else { *vm };
        c.apply(p, *m, *vm)
    });
}

impl<A: Float> Optimizer<A> for Adam<A> {
    fn step<P: ParamsMut<A>, G: Params<A>>(&mut self, mut params: P, grads: G) -> Result<()> {
        self.check()?;
        validate(&params, &grads, self.state.as_ref())?;

        let t = (self.steps + 1) as f64;
        let bias1 = 1.0 - self.beta1.powf(t);
        let bias2 = 1.0 - self.beta2.powf(t);
        let c = Coeffs {
            sign: if self.maximize { -A::one() } else { A::one() },
            wd: A::from_f64(self.weight_decay),
            w1: A::from_f64(1.0 - self.beta1),
            b2: A::from_f64(self.beta2),
            w2: A::from_f64(1.0 - self.beta2),
            neg_step: A::from_f64(-(self.lr / bias1)),
            bias2_sqrt: A::from_f64(bias2.sqrt()),
            eps: A::from_f64(self.eps),
        };
        let (wd, amsgrad) = (self.weight_decay != 0.0, self.amsgrad);
        let state = self.state.get_or_insert_with(|| SlotState::zeros(&params));
        for (i, [m, v, v_max]) in state.buffers.iter_mut().enumerate() {
            let (p, g) = (params.array_mut(i), grads.array(i));
            if amsgrad {
                if v_max.len() != m.len() {
                    *v_max = vec![A::zero(); m.len()];
                }
                let bufs = [m.as_mut_slice(), v.as_mut_slice(), v_max.as_mut_slice()];
                if wd {
                    amsgrad_pass::<A, true>(p, g, bufs, c);
                } else {
                    amsgrad_pass::<A, false>(p, g, bufs, c);
                }
            } else if wd {
                adam_pass::<A, true>(p, g, m, v, c);
            } else {
                adam_pass::<A, false>(p, g, m, v, c);
            }
        }
        self.steps += 1;
        Ok(())
    }

    common_methods!();
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn two_steps_by_hand() {
        let (b1, b2, lr, eps) = (0.9_f64, 0.999_f64, 0.1, 1e-8);
        let mut w = array![1.0_f64];
        let mut adam = Adam::new(lr);
        adam.step(&mut w, &array![1.0]).unwrap();
        adam.step(&mut w, &array![-2.0]).unwrap();
        let (m1, v1) = (0.1, 0.001);
        let (m2, v2) = (b1 * m1 + 0.1 * -2.0, b2 * v1 + 0.001 * 4.0);
        let step1 = lr / (1.0 - b1) * m1 / ((v1 / (1.0 - b2)).sqrt() + eps);
        let step2 = lr / (1.0 - b1 * b1) * m2 / (v2.sqrt() / (1.0 - b2 * b2).sqrt() + eps);
        assert!((w[0] - (1.0 - step1 - step2)).abs() < 1e-14);
    }

    #[test]
    fn amsgrad_keeps_the_largest_second_moment() {
        let mut w = array![0.0_f64, 0.0];
        let mut plain = w.clone();
        let mut ams = Adam::new(0.01).amsgrad(true);
        let mut adam = Adam::new(0.01);
        for g in [array![10.0, 1.0], array![0.1, 1.0], array![0.1, 1.0]] {
            ams.step(&mut w, &g).unwrap();
            adam.step(&mut plain, &g).unwrap();
        }
        // Coordinate 0 saw a large gradient first: AMSGrad's denominator stays large.
        assert!(w[0].abs() < plain[0].abs());
        assert_eq!(w[1], plain[1]); // constant gradient: v never decreases, same path
    }

    #[test]
    fn lerp_matches_both_branches() {
        assert_eq!(lerp(1.0_f64, 3.0, 0.25), 1.5);
        assert_eq!(lerp(1.0_f64, 3.0, 0.75), 2.5);
    }
}
