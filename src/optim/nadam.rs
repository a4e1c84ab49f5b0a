use ndarray::{ArrayViewD, ArrayViewMutD};

use super::rule::{rule_core, rule_optimizer, Rule};
use super::{
    core_builders, coupled_grad, lerp, non_negative, slot_buffers, unit_interval, Core,
    SlotBuffers, SlotHyper,
};
use crate::error::Result;
use crate::float::Float;
use crate::kernel::update::update;

/// NAdam (Adam with Nesterov momentum), PyTorch's `torch.optim.NAdam`.
///
/// ```text
/// t ← t + 1,  g ← ±g (+ weight_decay·θ, or θ ← θ·(1 − lr·wd) when decoupled)
/// μₜ = β₁·(1 − ½·0.96^(t·ψ)),  μₜ₊₁ likewise,  Π ← Π·μₜ
/// m ← lerp(m, g, 1 − β₁),  v ← β₂·v + (1 − β₂)·g²,  d = √(v/(1 − β₂ᵗ)) + eps
/// θ ← θ − lr·(1 − μₜ)/(1 − Π) · g/d − lr·μₜ₊₁/(1 − Π·μₜ₊₁) · m/d
/// ```
///
/// | parameter | default | range |
/// | --- | --- | --- |
/// | `lr` | — (PyTorch 2e-3) | finite, ≥ 0 |
/// | `betas` | (0.9, 0.999) | each in [0, 1) |
/// | `eps` | 1e-8 | finite, ≥ 0 |
/// | `momentum_decay` (ψ) | 4e-3 | finite, ≥ 0 |
/// | `weight_decay` | 0 | finite, ≥ 0 |
/// | `decoupled_weight_decay` | false | |
/// | `maximize` | false | |
///
/// Keras' `Nadam` equals this with `momentum_decay = 1.0` (its `0.96ᵗ`) and
/// `epsilon = 1e-7`; optax's `nadam` has no momentum schedule.
///
/// # Examples
///
/// ```
/// use ndarray::array;
/// use ndloss::prelude::*;
///
/// let mut w = array![0.0_f64, 0.0];
/// let mut opt = NAdam::new(0.05);
/// for _ in 0..500 {
///     let g = (&w - 1.0) * 2.0; // minimise ‖w − 1‖²
///     opt.step(&mut w, &g)?;
/// }
/// assert!(w.iter().all(|x| (x - 1.0).abs() < 1e-2));
/// # Ok::<(), ndloss::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct NAdam<A> {
    core: Core<A>,
    beta1: f64,
    beta2: f64,
    eps: f64,
    momentum_decay: f64,
    decoupled: bool,
    /// Product of the momentum schedule μ₁·…·μₜ (state).
    mu_product: f64,
}

impl<A: Float> NAdam<A> {
    /// NAdam with learning rate `lr` and PyTorch's other defaults.
    pub fn new(lr: f64) -> Self {
        Self {
            core: Core::new(lr, 0.0),
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            momentum_decay: 4e-3,
            decoupled: false,
            mu_product: 1.0,
        }
    }

    core_builders!("ndloss::optim::NAdam::<f64>::new(0.1)");

    /// Decay rates of the moment estimates (default (0.9, 0.999)).
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

    /// ψ of the momentum schedule (default 4e-3).
    #[must_use]
    pub fn momentum_decay(mut self, momentum_decay: f64) -> Self {
        self.momentum_decay = momentum_decay;
        self
    }

    /// Decoupled weight decay, as AdamW (default false).
    #[must_use]
    pub fn decoupled_weight_decay(mut self, decoupled: bool) -> Self {
        self.decoupled = decoupled;
        self
    }
}

/// The scalars of one NAdam step.
#[derive(Clone, Copy)]
pub(crate) struct Step<A> {
    sign: A,
    /// μₜ, μₜ₊₁ and the product μ₁⋯μₜ (kept by the optimizer once the step succeeds).
    mu: f64,
    mu_next: f64,
    mu_product: f64,
    decoupled: bool,
    bias2: A,
    w1: A,
    b2: A,
    w2: A,
    eps: A,
}

impl<A: Float> Rule<A> for NAdam<A> {
    type Init = [Option<A>; 2];
    type Step = Step<A>;
    rule_core!();

    fn prepare(&self, t: u64, sign: A) -> Result<(Step<A>, Self::Init)> {
        unit_interval("beta1", self.beta1)?;
        unit_interval("beta2", self.beta2)?;
        non_negative("eps", self.eps)?;
        non_negative("momentum_decay", self.momentum_decay)?;
        let t = t as f64;
        let mu = self.beta1 * (1.0 - 0.5 * 0.96_f64.powf(t * self.momentum_decay));
        let mu_next = self.beta1 * (1.0 - 0.5 * 0.96_f64.powf((t + 1.0) * self.momentum_decay));
        let step = Step {
            sign,
            mu,
            mu_next,
            mu_product: self.mu_product * mu,
            decoupled: self.decoupled,
            bias2: A::from_f64(1.0 - self.beta2.powf(t)),
            w1: A::from_f64(1.0 - self.beta1),
            b2: A::from_f64(self.beta2),
            w2: A::from_f64(1.0 - self.beta2),
            eps: A::from_f64(self.eps),
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
        let (mu, mu_next, mu_product) = (c.mu, c.mu_next, c.mu_product);
        let c_grad = A::from_f64(-h.lr * (1.0 - mu) / (1.0 - mu_product));
        let c_mom = A::from_f64((-h.lr * mu_next) / (1.0 - mu_product * mu_next));
        let (coupled, decay) = match (h.weight_decay != 0.0, c.decoupled) {
            (true, false) => (A::from_f64(h.weight_decay), A::one()),
            (true, true) => (A::zero(), A::from_f64(1.0 - h.lr * h.weight_decay)),
            (false, _) => (A::zero(), A::one()),
        };
        update(p, g, slot_buffers::<A, 2>(slot), |p, g, [m, v]| {
            let g = coupled_grad(c.sign, g, coupled, p);
            let p = p * decay;
            *m = lerp(*m, g, c.w1);
            *v = *v * c.b2 + c.w2 * g * g;
            let d = (*v / c.bias2).sqrt() + c.eps;
            let p = p + (c_grad * g) / d;
            p + (c_mom * *m) / d
        });
    }

    fn finish(&mut self, step: Step<A>) {
        self.mu_product = step.mu_product;
    }

    fn reset_extra(&mut self) {
        self.mu_product = 1.0;
    }
}

rule_optimizer!(NAdam, momentum: beta1);

getters!(NAdam<A> = "ndloss::optim::NAdam::<f64>::new(0.1)" {
    get_betas => betas[beta1, beta2](0.8, 0.99): (f64, f64) = (0.8, 0.99),
    get_eps => eps(1e-6): f64 = 1e-6,
    get_momentum_decay => momentum_decay(0.002): f64 = 0.002,
    get_decoupled_weight_decay => decoupled_weight_decay[decoupled](true): bool = true,
});
