use ndarray::{ArrayViewD, ArrayViewMutD};

use super::rule::{rule_core, rule_optimizer, Rule};
use super::{
    core_builders, coupled_grad, lerp, non_negative, slot_buffers, unit_interval, Core,
    SlotBuffers, SlotHyper,
};
use crate::error::Result;
use crate::float::Float;
use crate::kernel::update::update;

/// RAdam (rectified Adam), PyTorch's `torch.optim.RAdam`.
///
/// ```text
/// t ← t + 1,  g ← ±g (+ weight_decay·θ, or θ ← θ·(1 − lr·wd) when decoupled)
/// m ← lerp(m, g, 1 − β₁),  v ← β₂·v + (1 − β₂)·g²,  m̂ = m/(1 − β₁ᵗ)
/// ρ∞ = 2/(1 − β₂) − 1,  ρₜ = ρ∞ − 2t·β₂ᵗ/(1 − β₂ᵗ)
/// ρₜ > 5:  r = √((ρₜ − 4)(ρₜ − 2)ρ∞ / ((ρ∞ − 4)(ρ∞ − 2)ρₜ)),  θ ← θ − lr·m̂·√(1 − β₂ᵗ)/(√v + eps)·r
/// else:    θ ← θ − lr·m̂          (plain momentum while the variance estimate is unreliable)
/// ```
///
/// | parameter | default | range |
/// | --- | --- | --- |
/// | `lr` | — (PyTorch 1e-3) | finite, ≥ 0 |
/// | `betas` | (0.9, 0.999) | each in [0, 1) |
/// | `eps` | 1e-8 | finite, ≥ 0 |
/// | `weight_decay` | 0 | finite, ≥ 0 |
/// | `decoupled_weight_decay` | false | |
/// | `maximize` | false | |
///
/// optax's `radam` uses `ρₜ ≥ 5` and adds `eps` to the bias-corrected root.
///
/// # Examples
///
/// ```
/// use ndarray::array;
/// use ndloss::prelude::*;
///
/// let mut w = array![0.0_f64];
/// RAdam::new(0.1).step(&mut w, &array![2.0])?; // ρ₁ ≤ 5: a plain momentum step
/// assert!((w[0] + 0.1 * 2.0).abs() < 1e-15);
/// # Ok::<(), ndloss::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct RAdam<A> {
    core: Core<A>,
    beta1: f64,
    beta2: f64,
    eps: f64,
    decoupled: bool,
}

impl<A: Float> RAdam<A> {
    /// RAdam with learning rate `lr` and PyTorch's other defaults.
    pub fn new(lr: f64) -> Self {
        Self {
            core: Core::new(lr, 0.0),
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            decoupled: false,
        }
    }

    core_builders!("ndloss::optim::RAdam::<f64>::new(0.1)");

    /// Decay rates of the moment estimates (default (0.9, 0.999)).
    #[must_use]
    pub fn betas(mut self, beta1: f64, beta2: f64) -> Self {
        self.beta1 = beta1;
        self.beta2 = beta2;
        self
    }

    /// Term added to the root (default 1e-8).
    #[must_use]
    pub fn eps(mut self, eps: f64) -> Self {
        self.eps = eps;
        self
    }

    /// Decoupled weight decay, as AdamW (default false).
    #[must_use]
    pub fn decoupled_weight_decay(mut self, decoupled: bool) -> Self {
        self.decoupled = decoupled;
        self
    }
}

/// The scalars of one RAdam step.
#[derive(Clone, Copy)]
pub(crate) struct Step<A> {
    sign: A,
    /// The variance is tractable (ρₜ > 5): the rectified update.
    rectified: bool,
    decoupled: bool,
    w1: A,
    b2: A,
    w2: A,
    eps: A,
    bias1: A,
    bias2_sqrt: A,
    rect: A,
}

impl<A: Float> Rule<A> for RAdam<A> {
    type Init = [Option<A>; 2];
    type Step = Step<A>;
    rule_core!();

    fn prepare(&self, t: u64, sign: A) -> Result<(Step<A>, Self::Init)> {
        unit_interval("beta1", self.beta1)?;
        unit_interval("beta2", self.beta2)?;
        non_negative("eps", self.eps)?;
        let t = t as f64;
        let bias1 = 1.0 - self.beta1.powf(t);
        let bias2 = 1.0 - self.beta2.powf(t);
        let rho_inf = 2.0 / (1.0 - self.beta2) - 1.0;
        let rho_t = rho_inf - 2.0 * t * self.beta2.powf(t) / bias2;
        let rect = ((rho_t - 4.0) * (rho_t - 2.0) * rho_inf
            / ((rho_inf - 4.0) * (rho_inf - 2.0) * rho_t))
            .sqrt();
        let step = Step {
            sign,
            rectified: rho_t > 5.0,
            decoupled: self.decoupled,
            w1: A::from_f64(1.0 - self.beta1),
            b2: A::from_f64(self.beta2),
            w2: A::from_f64(1.0 - self.beta2),
            eps: A::from_f64(self.eps),
            bias1: A::from_f64(bias1),
            bias2_sqrt: A::from_f64(bias2.sqrt()),
            rect: A::from_f64(rect),
        };
        Ok((step, [Some(A::zero()); 2]))
    }

    fn update(
        c: Step<A>,
        h: SlotHyper,
        p: ArrayViewMutD<'_, A>,
        g: ArrayViewD<'_, A>,
        slot: &mut SlotBuffers<A>,
    ) {
        let lr = A::from_f64(h.lr);
        let (coupled, decay) = match (h.weight_decay != 0.0, c.decoupled) {
            (true, false) => (A::from_f64(h.weight_decay), A::one()),
            (true, true) => (A::zero(), A::from_f64(1.0 - h.lr * h.weight_decay)),
            (false, _) => (A::zero(), A::one()),
        };
        let moments = move |p: A, g: A, m: &mut A, v: &mut A| {
            let g = coupled_grad(c.sign, g, coupled, p);
            *m = lerp(*m, g, c.w1);
            *v = *v * c.b2 + c.w2 * g * g;
            (p * decay, *m / c.bias1)
        };
        // The rectification is decided per step: two loops, no per-element branch.
        if c.rectified {
            update(p, g, slot_buffers::<A, 2>(slot), |p, g, [m, v]| {
                let (p, m_hat) = moments(p, g, m, v);
                p - m_hat * lr * (c.bias2_sqrt / (v.sqrt() + c.eps)) * c.rect
            });
        } else {
            update(p, g, slot_buffers::<A, 2>(slot), |p, g, [m, v]| {
                let (p, m_hat) = moments(p, g, m, v);
                p - m_hat * lr
            });
        }
    }
}

rule_optimizer!(RAdam, momentum: beta1);

getters!(RAdam<A> = "ndloss::optim::RAdam::<f64>::new(0.1)" {
    get_betas => betas[beta1, beta2](0.8, 0.99): (f64, f64) = (0.8, 0.99),
    get_eps => eps(1e-6): f64 = 1e-6,
    get_decoupled_weight_decay => decoupled_weight_decay[decoupled](true): bool = true,
});
