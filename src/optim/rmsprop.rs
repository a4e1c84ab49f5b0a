use ndarray::{ArrayViewD, ArrayViewMutD};

use super::rule::{rule_core, rule_optimizer, Rule};
use super::{
    core_builders, coupled_grad, lerp, non_negative, slot_buffers, unit_interval, Core,
    SlotBuffers, SlotHyper,
};
use crate::error::Result;
use crate::float::Float;
use crate::kernel::update::update;

/// RMSprop, PyTorch's `torch.optim.RMSprop`.
///
/// ```text
/// g ← ±g + weight_decay·θ
/// s ← α·s + (1 − α)·g²
/// centered: ḡ ← lerp(ḡ, g, 1 − α),  d ← √(s − ḡ²) + eps;   else d ← √s + eps
/// momentum μ > 0: b ← μ·b + g/d,  θ ← θ − lr·b;            else θ ← θ − lr·g/d
/// ```
///
/// `eps` is added *outside* the square root, as in PyTorch; Keras' and optax's
/// default `rmsprop` put it inside (optax: `eps_in_sqrt=False` to match this),
/// and Keras defaults to `rho = 0.9`, `epsilon = 1e-7`.
///
/// | parameter | default | range |
/// | --- | --- | --- |
/// | `lr` | — (PyTorch 1e-2) | finite, ≥ 0 |
/// | `alpha` | 0.99 | [0, 1) |
/// | `eps` | 1e-8 | finite, ≥ 0 |
/// | `momentum` | 0 | finite, ≥ 0 |
/// | `centered` | false | |
/// | `weight_decay` | 0 | finite, ≥ 0 (coupled) |
/// | `maximize` | false | |
///
/// # Examples
///
/// ```
/// use ndarray::array;
/// use ndloss::prelude::*;
///
/// let mut w = array![1.0_f64];
/// RmsProp::new(0.01).step(&mut w, &array![2.0])?;
/// // s = 0.01·4, θ = 1 − 0.01·2/(√0.04 + 1e-8)
/// assert!((w[0] - (1.0 - 0.01 * 2.0 / (0.2 + 1e-8))).abs() < 1e-15);
/// # Ok::<(), ndloss::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct RmsProp<A> {
    core: Core<A>,
    alpha: f64,
    eps: f64,
    momentum: f64,
    centered: bool,
}

impl<A: Float> RmsProp<A> {
    /// RMSprop with learning rate `lr` and PyTorch's other defaults.
    pub fn new(lr: f64) -> Self {
        Self {
            core: Core::new(lr, 0.0),
            alpha: 0.99,
            eps: 1e-8,
            momentum: 0.0,
            centered: false,
        }
    }

    core_builders!("ndloss::optim::RmsProp::<f64>::new(0.1)");

    /// Smoothing constant of the squared-gradient average (default 0.99).
    #[must_use]
    pub fn alpha(mut self, alpha: f64) -> Self {
        self.alpha = alpha;
        self
    }

    /// Term added to the root (default 1e-8).
    #[must_use]
    pub fn eps(mut self, eps: f64) -> Self {
        self.eps = eps;
        self
    }

    /// Momentum factor (default 0).
    #[must_use]
    pub fn momentum(mut self, momentum: f64) -> Self {
        self.momentum = momentum;
        self
    }

    /// Normalise by the estimated variance instead of the second moment (default false).
    #[must_use]
    pub fn centered(mut self, centered: bool) -> Self {
        self.centered = centered;
        self
    }
}

#[derive(Clone, Copy)]
struct Coeffs<A> {
    sign: A,
    wd: A,
    alpha: A,
    w: A,
    eps: A,
    mu: A,
    neg_lr: A,
}

impl<A: Float> Coeffs<A> {
    #[inline(always)]
    fn grad(self, p: A, g: A) -> A {
        coupled_grad(self.sign, g, self.wd, p)
    }
}

/// Updates `s` (and `ḡ`) and returns the denominator `d`.
#[inline(always)]
fn denominator<A: Float, const CENTERED: bool>(c: Coeffs<A>, g: A, s: &mut A, gbar: &mut A) -> A {
    *s = *s * c.alpha + c.w * g * g;
    let avg = if CENTERED {
        *gbar = lerp(*gbar, g, c.w);
        (*s + (-*gbar) * *gbar).sqrt()
    } else {
        s.sqrt()
    };
    avg + c.eps
}

fn pass<A: Float, const CENTERED: bool, const MOMENTUM: bool>(
    param: ndarray::ArrayViewMutD<'_, A>,
    grad: ndarray::ArrayViewD<'_, A>,
    bufs: [&mut [A]; 3],
    c: Coeffs<A>,
) {
    match (CENTERED, MOMENTUM) {
        (true, true) => update(param, grad, bufs, |p, g, [s, b, ga]| {
            let g = c.grad(p, g);
            let d = denominator::<A, true>(c, g, s, ga);
            *b = *b * c.mu + g / d;
            p + c.neg_lr * *b
        }),
        (true, false) => {
            let [s, _, ga] = bufs;
            update(param, grad, [s, ga], |p, g, [s, ga]| {
                let g = c.grad(p, g);
                let d = denominator::<A, true>(c, g, s, ga);
                p + (c.neg_lr * g) / d
            })
        }
        (false, true) => {
            let [s, b, _] = bufs;
            update(param, grad, [s, b], |p, g, [s, b]| {
                let g = c.grad(p, g);
                let d = denominator::<A, false>(c, g, s, &mut A::zero());
                *b = *b * c.mu + g / d;
                p + c.neg_lr * *b
            })
        }
        (false, false) => {
            let [s, _, _] = bufs;
            update(param, grad, [s], |p, g, [s]| {
                let g = c.grad(p, g);
                let d = denominator::<A, false>(c, g, s, &mut A::zero());
                p + (c.neg_lr * g) / d
            })
        }
    }
}

/// The scalars of one RMSprop step (a slot's learning rate and weight decay
/// are added per slot).
#[derive(Clone, Copy)]
pub(crate) struct Step<A> {
    centered: bool,
    momentum: bool,
    c: Coeffs<A>,
}

impl<A: Float> Rule<A> for RmsProp<A> {
    type Init = [Option<A>; 3];
    type Step = Step<A>;
    rule_core!();

    fn prepare(&self, _t: u64, sign: A) -> Result<(Step<A>, Self::Init)> {
        unit_interval("alpha", self.alpha)?;
        non_negative("eps", self.eps)?;
        non_negative("momentum", self.momentum)?;
        let (centered, momentum) = (self.centered, self.momentum > 0.0);
        let zero = Some(A::zero());
        let init = [
            zero,
            momentum.then_some(A::zero()),
            centered.then_some(A::zero()),
        ];
        let c = Coeffs {
            sign,
            wd: A::zero(),
            alpha: A::from_f64(self.alpha),
            w: A::from_f64(1.0 - self.alpha),
            eps: A::from_f64(self.eps),
            mu: A::from_f64(self.momentum),
            neg_lr: A::zero(),
        };
        Ok((
            Step {
                centered,
                momentum,
                c,
            },
            init,
        ))
    }

    fn update(
        step: Step<A>,
        h: SlotHyper,
        p: ArrayViewMutD<'_, A>,
        g: ArrayViewD<'_, A>,
        slot: &mut SlotBuffers<A>,
    ) {
        let c = Coeffs {
            wd: A::from_f64(h.weight_decay),
            neg_lr: A::from_f64(-h.lr),
            ..step.c
        };
        let bufs = slot_buffers::<A, 3>(slot);
        match (step.centered, step.momentum) {
            (true, true) => pass::<A, true, true>(p, g, bufs, c),
            (true, false) => pass::<A, true, false>(p, g, bufs, c),
            (false, true) => pass::<A, false, true>(p, g, bufs, c),
            (false, false) => pass::<A, false, false>(p, g, bufs, c),
        }
    }
}

rule_optimizer!(RmsProp, momentum: momentum);

getters!(RmsProp<A> = "ndloss::optim::RmsProp::<f64>::new(0.1)" {
    get_alpha => alpha(0.9): f64 = 0.9,
    get_eps => eps(1e-6): f64 = 1e-6,
    get_momentum => momentum(0.9): f64 = 0.9,
    get_centered => centered(true): bool = true,
});
