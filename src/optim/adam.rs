use ndarray::{ArrayViewD, ArrayViewMutD};

use super::rule::{rule_core, rule_optimizer, Rule};
use super::{
    core_builders, lerp, non_negative, slot_buffers, unit_interval, Core, Optimizer, SlotBuffers,
    SlotHyper,
};
use crate::error::Result;
use crate::float::Float;
use crate::kernel::update::update;
use crate::params::{Params, ParamsMut};

/// Adam, PyTorch's `torch.optim.Adam`.
///
/// ```text
/// t ← t + 1
/// g ← −g                          if maximize
/// g ← g + weight_decay·θ          (coupled, L2-style; default)
/// θ ← θ·(1 − lr·weight_decay)     (instead, with decoupled_weight_decay: AdamW)
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
/// | `decoupled_weight_decay` | false | |
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
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Adam<A> {
    core: Core<A>,
    beta1: f64,
    beta2: f64,
    eps: f64,
    amsgrad: bool,
    decoupled: bool,
}

impl<A: Float> Adam<A> {
    /// Adam with learning rate `lr` and PyTorch's other defaults.
    pub fn new(lr: f64) -> Self {
        Self {
            core: Core::new(lr, 0.0),
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            amsgrad: false,
            decoupled: false,
        }
    }

    core_builders!("ndloss::optim::Adam::<f64>::new(0.1)");

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

    /// The AMSGrad variant: the denominator uses the running maximum of `v` (default false).
    #[must_use]
    pub fn amsgrad(mut self, amsgrad: bool) -> Self {
        self.amsgrad = amsgrad;
        self
    }

    /// Decoupled weight decay `θ ← θ·(1 − lr·wd)` instead of adding `wd·θ` to
    /// the gradient (default false; [`AdamW`] sets it).
    #[must_use]
    pub fn decoupled_weight_decay(mut self, decoupled: bool) -> Self {
        self.decoupled = decoupled;
        self
    }

    fn check(&self) -> Result<()> {
        non_negative("eps", self.eps)?;
        unit_interval("beta1", self.beta1)?;
        unit_interval("beta2", self.beta2)?;
        Ok(())
    }
}

/// Loop-invariant quantities of one Adam step for one slot, already in `A`.
#[derive(Clone, Copy)]
struct Coeffs<A> {
    sign: A,
    wd: A,
    decay: A,
    w1: A,
    b2: A,
    w2: A,
    neg_step: A,
    bias2_sqrt: A,
    eps: A,
}

impl<A: Float> Coeffs<A> {
    /// Weight decay, then `m ← lerp(m, g, 1 − β₁)`, `v ← β₂·v + (1 − β₂)·g²`;
    /// returns the (possibly decayed) parameter.
    #[inline(always)]
    fn moments<const WD: u8>(self, p: A, g: A, m: &mut A, v: &mut A) -> A {
        let g = self.sign * g;
        let (p, g) = match WD {
            COUPLED => (p, g + self.wd * p),
            DECOUPLED => (p * self.decay, g),
            _ => (p, g),
        };
        *m = lerp(*m, g, self.w1);
        *v = *v * self.b2 + self.w2 * g * g;
        p
    }

    /// `θ − lr/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + eps)`, in PyTorch's operation order.
    #[inline(always)]
    fn apply(self, p: A, m: A, v: A) -> A {
        p + (self.neg_step * m) / (v.sqrt() / self.bias2_sqrt + self.eps)
    }
}

const NO_DECAY: u8 = 0;
const COUPLED: u8 = 1;
const DECOUPLED: u8 = 2;

fn adam_pass<A: Float, const WD: u8>(
    param: ndarray::ArrayViewMutD<'_, A>,
    grad: ndarray::ArrayViewD<'_, A>,
    [m, v]: [&mut [A]; 2],
    c: Coeffs<A>,
) {
    update(param, grad, [m, v], |p, g, [m, v]| {
        let p = c.moments::<WD>(p, g, m, v);
        c.apply(p, *m, *v)
    });
}

fn amsgrad_pass<A: Float, const WD: u8>(
    param: ndarray::ArrayViewMutD<'_, A>,
    grad: ndarray::ArrayViewD<'_, A>,
    bufs: [&mut [A]; 3],
    c: Coeffs<A>,
) {
    update(param, grad, bufs, |p, g, [m, v, vm]| {
        let p = c.moments::<WD>(p, g, m, v);
        *vm = if *v > *vm { *v } else { *vm };
        c.apply(p, *m, *vm)
    });
}

/// The scalars of one Adam step (a slot's learning rate and weight decay
/// complete its [`Coeffs`]).
#[derive(Clone, Copy)]
pub(crate) struct Step<A> {
    sign: A,
    amsgrad: bool,
    decoupled: bool,
    bias1: f64,
    bias2_sqrt: A,
    w1: A,
    b2: A,
    w2: A,
    eps: A,
}

impl<A: Float> Rule<A> for Adam<A> {
    type Init = [Option<A>; 3];
    type Step = Step<A>;
    rule_core!();

    fn prepare(&self, t: u64, sign: A) -> Result<(Step<A>, Self::Init)> {
        self.check()?;
        let t = t as f64;
        let bias2 = 1.0 - self.beta2.powf(t);
        let step = Step {
            sign,
            amsgrad: self.amsgrad,
            decoupled: self.decoupled,
            bias1: 1.0 - self.beta1.powf(t),
            bias2_sqrt: A::from_f64(bias2.sqrt()),
            w1: A::from_f64(1.0 - self.beta1),
            b2: A::from_f64(self.beta2),
            w2: A::from_f64(1.0 - self.beta2),
            eps: A::from_f64(self.eps),
        };
        let zero = Some(A::zero());
        Ok((step, [zero, zero, self.amsgrad.then_some(A::zero())]))
    }

    fn update(
        s: Step<A>,
        h: SlotHyper,
        p: ArrayViewMutD<'_, A>,
        g: ArrayViewD<'_, A>,
        slot: &mut SlotBuffers<A>,
    ) {
        let c = Coeffs {
            sign: s.sign,
            wd: A::from_f64(h.weight_decay),
            decay: A::from_f64(1.0 - h.lr * h.weight_decay),
            w1: s.w1,
            b2: s.b2,
            w2: s.w2,
            neg_step: A::from_f64(-(h.lr / s.bias1)),
            bias2_sqrt: s.bias2_sqrt,
            eps: s.eps,
        };
        let wd = match (h.weight_decay != 0.0, s.decoupled) {
            (false, _) => NO_DECAY,
            (true, false) => COUPLED,
            (true, true) => DECOUPLED,
        };
        let [m, v, vm] = slot_buffers::<A, 3>(slot);
        match (s.amsgrad, wd) {
            (true, NO_DECAY) => amsgrad_pass::<A, NO_DECAY>(p, g, [m, v, vm], c),
            (true, COUPLED) => amsgrad_pass::<A, COUPLED>(p, g, [m, v, vm], c),
            (true, _) => amsgrad_pass::<A, DECOUPLED>(p, g, [m, v, vm], c),
            (false, NO_DECAY) => adam_pass::<A, NO_DECAY>(p, g, [m, v], c),
            (false, COUPLED) => adam_pass::<A, COUPLED>(p, g, [m, v], c),
            (false, _) => adam_pass::<A, DECOUPLED>(p, g, [m, v], c),
        }
    }
}

rule_optimizer!(Adam, momentum: beta1);

/// AdamW: Adam with decoupled weight decay, PyTorch's `torch.optim.AdamW`.
///
/// ```text
/// θ ← θ·(1 − lr·weight_decay)     then the Adam update of [`Adam`]
/// ```
///
/// Identical to `Adam::new(lr).weight_decay(wd).decoupled_weight_decay(true)`,
/// with PyTorch's AdamW default `weight_decay = 1e-2`. The decay is scaled by
/// the learning rate (PyTorch, optax) and not by a schedule multiplier alone.
///
/// | parameter | default | range |
/// | --- | --- | --- |
/// | `lr` | — (PyTorch 1e-3) | finite, ≥ 0 |
/// | `betas` | (0.9, 0.999) | each in [0, 1) |
/// | `eps` | 1e-8 | finite, ≥ 0 |
/// | `weight_decay` | 1e-2 | finite, ≥ 0 |
/// | `amsgrad`, `maximize` | false | |
///
/// # Examples
///
/// ```
/// use ndarray::array;
/// use ndloss::prelude::*;
///
/// let mut w = array![2.0_f64];
/// AdamW::new(0.1).step(&mut w, &array![0.0])?; // zero gradient: only the decay acts
/// assert_eq!(w[0], 2.0 * (1.0 - 0.1 * 0.01));
/// # Ok::<(), ndloss::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct AdamW<A>(Adam<A>);

impl<A: Float> AdamW<A> {
    /// AdamW with learning rate `lr`, weight decay 1e-2 and PyTorch's other defaults.
    pub fn new(lr: f64) -> Self {
        Self(
            Adam::new(lr)
                .weight_decay(1e-2)
                .decoupled_weight_decay(true),
        )
    }

    /// Decoupled weight decay of the default group (default 1e-2).
    #[must_use]
    pub fn weight_decay(self, weight_decay: f64) -> Self {
        Self(self.0.weight_decay(weight_decay))
    }

    /// Ascend instead of descend (default false).
    #[must_use]
    pub fn maximize(self, maximize: bool) -> Self {
        Self(self.0.maximize(maximize))
    }

    /// Adds a parameter group with its own learning rate / weight decay.
    #[must_use]
    pub fn param_group(self, group: super::ParamGroup) -> Self {
        Self(self.0.param_group(group))
    }

    /// Decay rates of the moment estimates (default (0.9, 0.999)).
    #[must_use]
    pub fn betas(self, beta1: f64, beta2: f64) -> Self {
        Self(self.0.betas(beta1, beta2))
    }

    /// Term added to the denominator (default 1e-8).
    #[must_use]
    pub fn eps(self, eps: f64) -> Self {
        Self(self.0.eps(eps))
    }

    /// The AMSGrad variant (default false).
    #[must_use]
    pub fn amsgrad(self, amsgrad: bool) -> Self {
        Self(self.0.amsgrad(amsgrad))
    }

    /// Refuse non-finite gradients (see [`Adam::check_finite`]).
    #[must_use]
    pub fn check_finite(self, check: bool) -> Self {
        Self(self.0.check_finite(check))
    }

    /// The default group's decoupled weight decay, as [`weight_decay`](Self::weight_decay) set it.
    ///
    /// ```
    /// let x = ndloss::optim::AdamW::<f64>::new(1e-3).weight_decay(0.1);
    /// assert_eq!(x.get_weight_decay(), 0.1);
    /// ```
    pub fn get_weight_decay(&self) -> f64 {
        self.0.get_weight_decay()
    }

    /// Whether the optimizer ascends, as [`maximize`](Self::maximize) set it.
    ///
    /// ```
    /// let x = ndloss::optim::AdamW::<f64>::new(1e-3).maximize(true);
    /// assert_eq!(x.get_maximize(), true);
    /// ```
    pub fn get_maximize(&self) -> bool {
        self.0.get_maximize()
    }

    /// The parameter groups, in the order [`param_group`](Self::param_group) added them.
    ///
    /// ```
    /// use ndloss::optim::{AdamW, ParamGroup};
    ///
    /// let x = AdamW::<f64>::new(1e-3).param_group(ParamGroup::new([1]).weight_decay(0.0));
    /// assert_eq!(x.get_param_groups()[0].get_weight_decay(), Some(0.0));
    /// ```
    pub fn get_param_groups(&self) -> &[super::ParamGroup] {
        self.0.get_param_groups()
    }

    /// `(β₁, β₂)`, as [`betas`](Self::betas) set them.
    ///
    /// ```
    /// let x = ndloss::optim::AdamW::<f64>::new(1e-3).betas(0.8, 0.99);
    /// assert_eq!(x.get_betas(), (0.8, 0.99));
    /// ```
    pub fn get_betas(&self) -> (f64, f64) {
        self.0.get_betas()
    }

    /// The denominator's `eps`, as [`eps`](Self::eps) set it.
    ///
    /// ```
    /// let x = ndloss::optim::AdamW::<f64>::new(1e-3).eps(1e-6);
    /// assert_eq!(x.get_eps(), 1e-6);
    /// ```
    pub fn get_eps(&self) -> f64 {
        self.0.get_eps()
    }

    /// Whether AMSGrad is on, as [`amsgrad`](Self::amsgrad) set it.
    ///
    /// ```
    /// let x = ndloss::optim::AdamW::<f64>::new(1e-3).amsgrad(true);
    /// assert_eq!(x.get_amsgrad(), true);
    /// ```
    pub fn get_amsgrad(&self) -> bool {
        self.0.get_amsgrad()
    }

    /// Whether non-finite gradients are refused, as [`check_finite`](Self::check_finite) set it.
    ///
    /// ```
    /// let x = ndloss::optim::AdamW::<f64>::new(1e-3).check_finite(true);
    /// assert_eq!(x.get_check_finite(), true);
    /// ```
    pub fn get_check_finite(&self) -> bool {
        self.0.get_check_finite()
    }
}

impl<A: Float> Optimizer<A> for AdamW<A> {
    fn step<P: ParamsMut<A>, G: Params<A>>(&mut self, params: P, grads: G) -> Result<()> {
        self.0.step(params, grads)
    }
    fn validate(&self) -> Result<()> {
        self.0.validate()
    }
    fn get_lr(&self) -> f64 {
        self.0.get_lr()
    }
    fn set_lr(&mut self, lr: f64) {
        self.0.set_lr(lr);
    }
    fn num_groups(&self) -> usize {
        self.0.num_groups()
    }
    fn get_group_lr(&self, g: usize) -> Result<f64> {
        self.0.get_group_lr(g)
    }
    fn set_group_lr(&mut self, g: usize, lr: f64) -> Result<()> {
        self.0.set_group_lr(g, lr)
    }
    fn get_cycle_momentum(&self) -> Option<f64> {
        self.0.get_cycle_momentum()
    }
    fn set_cycle_momentum(&mut self, beta1: f64) {
        self.0.set_cycle_momentum(beta1);
    }
    fn get_slot_lr(&self, slot: usize) -> f64 {
        self.0.get_slot_lr(slot)
    }
    fn steps(&self) -> u64 {
        self.0.steps()
    }
    fn reset(&mut self) {
        self.0.reset();
    }
}

getters!(Adam<A> = "ndloss::optim::Adam::<f64>::new(0.1)" {
    get_betas => betas[beta1, beta2](0.8, 0.99): (f64, f64) = (0.8, 0.99),
    get_eps => eps(1e-6): f64 = 1e-6,
    get_amsgrad => amsgrad(true): bool = true,
    get_decoupled_weight_decay => decoupled_weight_decay[decoupled](true): bool = true,
});

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

    #[test]
    fn amsgrad_buffer_only_when_asked() {
        let mut w = array![1.0_f32, 2.0];
        let mut adam = Adam::new(0.1);
        adam.step(&mut w, &array![1.0, 1.0]).unwrap();
        assert!(adam.core.buffers[0][2].is_empty());
        assert_eq!(adam.core.buffers[0][0].len(), 2);
    }
}
