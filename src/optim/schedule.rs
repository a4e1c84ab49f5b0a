//! Learning-rate schedules that drive any [`Optimizer`]'s learning rate,
//! with PyTorch's `torch.optim.lr_scheduler` semantics.
//!
//! A [`Schedule`] is the math: the learning rate of a group with base rate
//! `base` after `epoch` scheduler steps. An [`LrScheduler`] applies one to an
//! optimizer: it records each group's base rate when created (and sets the
//! epoch-0 rate, as PyTorch's constructors do), then sets every group's rate
//! at each [`step`](LrScheduler::step). [`ReduceLrOnPlateau`] reacts to a
//! metric instead.
//!
//! PyTorch computes most schedules recursively (`lr ← lr·ratio`); ndloss uses
//! the closed forms, which agree to a few ulp and do not drift.
//!
//! ```
//! use ndarray::array;
//! use ndloss::optim::schedule::{LrScheduler, Schedule};
//! use ndloss::prelude::*;
//!
//! let mut w = array![1.0_f64];
//! let mut opt = Sgd::new(0.1).momentum(0.9);
//! // 5 warm-up steps from 1% of the rate, then cosine decay over 20 steps.
//! let mut sched = LrScheduler::new(Schedule::warmup_cosine(5, 0.01, 20, 0.0), &mut opt)?;
//! assert!((opt.get_lr() - 0.001).abs() < 1e-15);
//! for _ in 0..5 {
//!     opt.step(&mut w, &array![0.0])?;
//!     sched.step(&mut opt)?;
//! }
//! assert!((opt.get_lr() - 0.1).abs() < 1e-15);
//! # Ok::<(), ndloss::Error>(())
//! ```

use std::f64::consts::PI;

use super::Optimizer;
use crate::error::{check_hyper, Error, Result};
use crate::float::Float;

/// A learning-rate schedule: the rate after `epoch` steps for base rate `base`.
///
/// Each variant names its PyTorch counterpart; construct them with the
/// associated functions, which take PyTorch's defaults where it has them.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum Schedule {
    /// `StepLR`: `base·γ^⌊e / step_size⌋`.
    StepLr {
        /// Epochs between decays (> 0).
        step_size: u64,
        /// Multiplicative factor (PyTorch default 0.1).
        gamma: f64,
    },
    /// `MultiStepLR`: `base·γ^(number of milestones ≤ e)`.
    MultiStepLr {
        /// Epochs at which to decay (repeats decay twice, as PyTorch).
        milestones: Vec<u64>,
        /// Multiplicative factor (PyTorch default 0.1).
        gamma: f64,
    },
    /// `ExponentialLR`: `base·γ^e`.
    ExponentialLr {
        /// Multiplicative factor per epoch.
        gamma: f64,
    },
    /// `LinearLR` (warm-up): `base·(s + (f − s)·min(e, T)/T)`.
    LinearLr {
        /// Factor at epoch 0, in (0, 1] (PyTorch default 1/3).
        start_factor: f64,
        /// Factor from epoch `T` on, in [0, 1] (PyTorch default 1).
        end_factor: f64,
        /// `T` (PyTorch default 5).
        total_iters: u64,
    },
    /// `CosineAnnealingLR`: `η_min + (base − η_min)·(1 + cos(π·e/T_max))/2`,
    /// un-clamped: past `T_max` it rises again, as in PyTorch.
    CosineAnnealingLr {
        /// Half period (> 0).
        t_max: u64,
        /// Minimum rate (PyTorch default 0).
        eta_min: f64,
    },
    /// `OneCycleLR`: warm up to `max_lr`, anneal to `max_lr/div_factor/final_div_factor`;
    /// optionally cycles the optimizer's momentum (or β₁) inversely.
    OneCycleLr(OneCycle),
    /// `SequentialLR`: schedule `i` runs from milestone `i − 1` (its epoch
    /// counting from 0 there).
    Sequential {
        /// The schedules, in order (one more than milestones).
        schedules: Vec<Schedule>,
        /// Epochs at which to switch to the next schedule (increasing).
        milestones: Vec<u64>,
    },
    /// `ChainedScheduler`: the product of the schedules' factors `lrᵢ(base, e)/base`.
    Chained(Vec<Schedule>),
}

/// Settings of [`Schedule::OneCycleLr`], PyTorch's `OneCycleLR` (with a
/// single `max_lr` for every group).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct OneCycle {
    /// Peak learning rate.
    pub max_lr: f64,
    /// Total number of steps of the cycle (stepping past it is an error).
    pub total_steps: u64,
    /// Fraction of the cycle spent increasing the rate (default 0.3).
    pub pct_start: f64,
    /// Cosine (default) or linear annealing.
    pub cosine: bool,
    /// Cycle momentum / β₁ inversely to the rate (default true).
    pub cycle_momentum: bool,
    /// Momentum at the peak rate (default 0.85).
    pub base_momentum: f64,
    /// Momentum at the start and end (default 0.95).
    pub max_momentum: f64,
    /// Initial rate = `max_lr / div_factor` (default 25).
    pub div_factor: f64,
    /// Final rate = initial rate / `final_div_factor` (default 1e4).
    pub final_div_factor: f64,
    /// Fast.ai's three-phase variant (default false).
    pub three_phase: bool,
}

impl OneCycle {
    /// PyTorch's defaults for a cycle of `total_steps` peaking at `max_lr`.
    pub fn new(max_lr: f64, total_steps: u64) -> Self {
        Self {
            max_lr,
            total_steps,
            pct_start: 0.3,
            cosine: true,
            cycle_momentum: true,
            base_momentum: 0.85,
            max_momentum: 0.95,
            div_factor: 25.0,
            final_div_factor: 1e4,
            three_phase: false,
        }
    }

    /// `(end step, start lr, end lr, start momentum, end momentum)` per phase.
    fn phases(&self) -> Vec<(f64, f64, f64, f64, f64)> {
        let initial = self.max_lr / self.div_factor;
        let min = initial / self.final_div_factor;
        let (t, pct) = (self.total_steps as f64, self.pct_start);
        let (lo, hi) = (self.base_momentum, self.max_momentum);
        if self.three_phase {
            vec![
                (pct * t - 1.0, initial, self.max_lr, hi, lo),
                (2.0 * pct * t - 2.0, self.max_lr, initial, lo, hi),
                (t - 1.0, initial, min, hi, hi),
            ]
        } else {
            vec![
                (pct * t - 1.0, initial, self.max_lr, hi, lo),
                (t - 1.0, self.max_lr, min, lo, hi),
            ]
        }
    }

    /// `(lr, momentum)` at step `e`.
    fn at(&self, e: u64) -> (f64, f64) {
        let phases = self.phases();
        let mut start = 0.0;
        let e = e as f64;
        let last = phases.len() - 1;
        for (i, &(end, lr0, lr1, m0, m1)) in phases.iter().enumerate() {
            if e <= end || i == last {
                let pct = (e - start) / (end - start);
                let anneal = |a: f64, b: f64| {
                    if self.cosine {
                        b + (a - b) / 2.0 * (1.0 + (PI * pct).cos())
                    } else {
                        (b - a) * pct + a
                    }
                };
                return (anneal(lr0, lr1), anneal(m0, m1));
            }
            start = end;
        }
        (self.max_lr, self.max_momentum)
    }
}

impl Schedule {
    /// `StepLR(step_size, gamma)`.
    pub fn step_lr(step_size: u64, gamma: f64) -> Self {
        Self::StepLr { step_size, gamma }
    }

    /// `MultiStepLR(milestones, gamma)`.
    pub fn multi_step_lr(milestones: impl IntoIterator<Item = u64>, gamma: f64) -> Self {
        Self::MultiStepLr {
            milestones: milestones.into_iter().collect(),
            gamma,
        }
    }

    /// `ExponentialLR(gamma)`.
    pub fn exponential_lr(gamma: f64) -> Self {
        Self::ExponentialLr { gamma }
    }

    /// `LinearLR(start_factor, end_factor, total_iters)`.
    pub fn linear_lr(start_factor: f64, end_factor: f64, total_iters: u64) -> Self {
        Self::LinearLr {
            start_factor,
            end_factor,
            total_iters,
        }
    }

    /// `CosineAnnealingLR(T_max, eta_min)`.
    pub fn cosine_annealing_lr(t_max: u64, eta_min: f64) -> Self {
        Self::CosineAnnealingLr { t_max, eta_min }
    }

    /// `OneCycleLR` (see [`OneCycle`] for the settings).
    pub fn one_cycle_lr(settings: OneCycle) -> Self {
        Self::OneCycleLr(settings)
    }

    /// `SequentialLR(schedules, milestones)`.
    pub fn sequential(schedules: Vec<Schedule>, milestones: Vec<u64>) -> Self {
        Self::Sequential {
            schedules,
            milestones,
        }
    }

    /// `ChainedScheduler(schedules)`.
    pub fn chained(schedules: Vec<Schedule>) -> Self {
        Self::Chained(schedules)
    }

    /// Linear warm-up from `start_factor·base` over `warmup` steps, then
    /// cosine annealing to `eta_min` over `t_max` more steps: `SequentialLR`
    /// of `LinearLR` and `CosineAnnealingLR`.
    pub fn warmup_cosine(warmup: u64, start_factor: f64, t_max: u64, eta_min: f64) -> Self {
        Self::sequential(
            vec![
                Self::linear_lr(start_factor, 1.0, warmup),
                Self::cosine_annealing_lr(t_max, eta_min),
            ],
            vec![warmup],
        )
    }

    /// Checks the settings.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidHyperparameter`] naming the first bad setting.
    pub fn validate(&self) -> Result<()> {
        let positive = |name, v: u64| check_hyper(name, v as f64, v > 0, "a value > 0");
        let finite =
            |name, v: f64| check_hyper(name, v, v.is_finite() && v >= 0.0, "a finite value >= 0");
        match self {
            Self::StepLr { step_size, gamma } => {
                positive("step_size", *step_size)?;
                finite("gamma", *gamma)?;
            }
            Self::MultiStepLr { gamma, .. } | Self::ExponentialLr { gamma } => {
                finite("gamma", *gamma)?;
            }
            Self::LinearLr {
                start_factor,
                end_factor,
                total_iters,
            } => {
                let s = *start_factor;
                check_hyper("start_factor", s, s > 0.0 && s <= 1.0, "a value in (0, 1]")?;
                let e = *end_factor;
                check_hyper(
                    "end_factor",
                    e,
                    (0.0..=1.0).contains(&e),
                    "a value in [0, 1]",
                )?;
                positive("total_iters", *total_iters)?;
            }
            Self::CosineAnnealingLr { t_max, eta_min } => {
                positive("t_max", *t_max)?;
                finite("eta_min", *eta_min)?;
            }
            Self::OneCycleLr(c) => {
                finite("max_lr", c.max_lr)?;
                positive("total_steps", c.total_steps)?;
                let p = c.pct_start;
                check_hyper(
                    "pct_start",
                    p,
                    (0.0..=1.0).contains(&p),
                    "a value in [0, 1]",
                )?;
                check_hyper(
                    "div_factor",
                    c.div_factor,
                    c.div_factor > 0.0,
                    "a value > 0",
                )?;
                let f = c.final_div_factor;
                check_hyper("final_div_factor", f, f > 0.0, "a value > 0")?;
                finite("base_momentum", c.base_momentum)?;
                finite("max_momentum", c.max_momentum)?;
            }
            Self::Sequential {
                schedules,
                milestones,
            } => {
                let ok = schedules.len() == milestones.len() + 1
                    && milestones.windows(2).all(|w| w[0] < w[1]);
                let expected = "one more schedule than milestones, milestones increasing";
                check_hyper("milestones", milestones.len() as f64, ok, expected)?;
                schedules.iter().try_for_each(Schedule::validate)?;
            }
            Self::Chained(schedules) => schedules.iter().try_for_each(Schedule::validate)?,
        }
        Ok(())
    }

    /// The learning rate after `epoch` steps for a group whose base rate is `base`.
    ///
    /// # Examples
    ///
    /// ```
    /// use ndloss::optim::schedule::Schedule;
    ///
    /// let s = Schedule::step_lr(3, 0.5);
    /// assert_eq!((0..7).map(|e| s.lr(1.0, e)).collect::<Vec<_>>(), [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25]);
    /// ```
    pub fn lr(&self, base: f64, epoch: u64) -> f64 {
        match self {
            Self::StepLr { step_size, gamma } => {
                base * gamma.powf((epoch / (*step_size).max(1)) as f64)
            }
            Self::MultiStepLr { milestones, gamma } => {
                let passed = milestones.iter().filter(|&&m| m <= epoch).count();
                base * gamma.powf(passed as f64)
            }
            Self::ExponentialLr { gamma } => base * gamma.powf(epoch as f64),
            Self::LinearLr {
                start_factor,
                end_factor,
                total_iters,
            } => {
                let t = (*total_iters).max(1) as f64;
                let e = (epoch as f64).min(t);
                base * (start_factor + (end_factor - start_factor) * e / t)
            }
            Self::CosineAnnealingLr { t_max, eta_min } => {
                let t = (*t_max).max(1) as f64;
                eta_min + (base - eta_min) * (1.0 + (PI * epoch as f64 / t).cos()) / 2.0
            }
            Self::OneCycleLr(c) => c.at(epoch).0,
            Self::Sequential {
                schedules,
                milestones,
            } => {
                let idx = milestones.iter().filter(|&&m| m <= epoch).count();
                let offset = if idx == 0 { 0 } else { milestones[idx - 1] };
                match schedules.get(idx) {
                    Some(s) => s.lr(base, epoch - offset),
                    None => base,
                }
            }
            Self::Chained(schedules) => schedules.iter().fold(base, |lr, s| {
                if base == 0.0 {
                    0.0
                } else {
                    lr * (s.lr(base, epoch) / base)
                }
            }),
        }
    }

    /// The momentum (or β₁) the schedule sets at `epoch`, if it cycles one.
    pub fn momentum(&self, epoch: u64) -> Option<f64> {
        match self {
            Self::OneCycleLr(c) if c.cycle_momentum => Some(c.at(epoch).1),
            Self::Sequential {
                schedules,
                milestones,
            } => {
                let idx = milestones.iter().filter(|&&m| m <= epoch).count();
                let offset = if idx == 0 { 0 } else { milestones[idx - 1] };
                schedules.get(idx).and_then(|s| s.momentum(epoch - offset))
            }
            _ => None,
        }
    }

    /// The last epoch the schedule accepts (`OneCycleLr`: `total_steps`).
    fn last_epoch(&self) -> Option<u64> {
        match self {
            Self::OneCycleLr(c) => Some(c.total_steps),
            _ => None,
        }
    }
}

/// Applies a [`Schedule`] to an optimizer's learning-rate groups.
///
/// # Examples
///
/// ```
/// use ndarray::array;
/// use ndloss::optim::schedule::{LrScheduler, Schedule};
/// use ndloss::prelude::*;
///
/// let mut opt = Adam::<f32>::new(0.1);
/// let mut sched = LrScheduler::new(Schedule::exponential_lr(0.5), &mut opt)?;
/// sched.step(&mut opt)?;
/// sched.step(&mut opt)?;
/// assert_eq!(opt.get_lr(), 0.025);
/// assert_eq!(sched.last_lr(), &[0.025]);
/// # Ok::<(), ndloss::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct LrScheduler {
    schedule: Schedule,
    base_lrs: Vec<f64>,
    last_lrs: Vec<f64>,
    epoch: u64,
}

impl LrScheduler {
    /// Records each group's current rate as its base and sets the epoch-0
    /// rates (e.g. `LinearLr`'s start factor), as PyTorch's constructors do.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidHyperparameter`] for invalid schedule settings; the
    /// optimizer is unchanged then.
    pub fn new<A: Float, O: Optimizer<A>>(schedule: Schedule, opt: &mut O) -> Result<Self> {
        schedule.validate()?;
        let base_lrs = (0..opt.num_groups())
            .map(|g| opt.get_group_lr(g))
            .collect::<Result<Vec<f64>>>()?;
        let mut s = Self {
            schedule,
            last_lrs: base_lrs.clone(),
            base_lrs,
            epoch: 0,
        };
        s.apply(opt)?;
        Ok(s)
    }

    /// Advances one epoch and sets the optimizer's rates (and momentum, for
    /// one-cycle). Call it after `optimizer.step`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidHyperparameter`] (`total_steps`) when stepping a
    /// one-cycle schedule past its end; nothing changes then.
    pub fn step<A: Float, O: Optimizer<A>>(&mut self, opt: &mut O) -> Result<()> {
        if let Some(last) = self.schedule.last_epoch() {
            if self.epoch + 1 > last {
                return Err(Error::InvalidHyperparameter {
                    name: "total_steps",
                    value: last as f64,
                    expected: "more steps than the one-cycle schedule was given",
                });
            }
        }
        self.epoch += 1;
        self.apply(opt)
    }

    /// Sets every group's rate for the current epoch. The groups are the
    /// optimizer's own (`0..num_groups()`), so `set_group_lr` cannot fail
    /// for a consistent `Optimizer`; a custom one that errs is reported.
    fn apply<A: Float, O: Optimizer<A>>(&mut self, opt: &mut O) -> Result<()> {
        for (g, (&base, last)) in self.base_lrs.iter().zip(&mut self.last_lrs).enumerate() {
            *last = self.schedule.lr(base, self.epoch);
            opt.set_group_lr(g, *last)?;
        }
        if let Some(m) = self.schedule.momentum(self.epoch) {
            opt.set_cycle_momentum(m);
        }
        Ok(())
    }

    /// The rates set by the last call, one per group.
    pub fn last_lr(&self) -> &[f64] {
        &self.last_lrs
    }

    /// Number of steps taken.
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// The schedule.
    pub fn schedule(&self) -> &Schedule {
        &self.schedule
    }
}

/// Lowers the learning rate when a metric stops improving, PyTorch's
/// `ReduceLROnPlateau`.
///
/// After each epoch call [`step`](ReduceLrOnPlateau::step) with the metric.
/// A metric is better than the best so far if (mode min, threshold mode rel)
/// `m < best·(1 − threshold)` (abs: `m < best − threshold`; mode max
/// mirrored). When the number of epochs without improvement exceeds `patience`
/// (strictly, as PyTorch — Keras reduces one epoch earlier), every group's rate
/// becomes `max(lr·factor, min_lr)` (if that changes it by more than `eps`), and
/// `cooldown` epochs pass before counting again.
///
/// | parameter | default |
/// | --- | --- |
/// | `mode` | min |
/// | `factor` | 0.1 (in [0, 1)) |
/// | `patience` | 10 |
/// | `threshold` | 1e-4 |
/// | `threshold_mode` | rel |
/// | `cooldown` | 0 |
/// | `min_lr` | 0 |
/// | `eps` | 1e-8 |
///
/// # Examples
///
/// ```
/// use ndloss::optim::schedule::ReduceLrOnPlateau;
/// use ndloss::prelude::*;
///
/// let mut opt = Sgd::<f64>::new(1.0);
/// let mut plateau = ReduceLrOnPlateau::new().patience(1).factor(0.5);
/// for loss in [1.0, 0.9, 0.9, 0.9] {
///     plateau.step(loss, &mut opt)?;
/// }
/// assert_eq!(opt.get_lr(), 0.5); // two epochs without improvement > patience 1
/// # Ok::<(), ndloss::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ReduceLrOnPlateau {
    maximize: bool,
    factor: f64,
    patience: u64,
    threshold: f64,
    absolute: bool,
    cooldown: u64,
    min_lr: f64,
    eps: f64,
    best: f64,
    bad_epochs: u64,
    cooldown_left: u64,
    epoch: u64,
}

impl Default for ReduceLrOnPlateau {
    fn default() -> Self {
        Self::new()
    }
}

impl ReduceLrOnPlateau {
    /// PyTorch's defaults (mode min).
    pub fn new() -> Self {
        Self {
            maximize: false,
            factor: 0.1,
            patience: 10,
            threshold: 1e-4,
            absolute: false,
            cooldown: 0,
            min_lr: 0.0,
            eps: 1e-8,
            best: f64::INFINITY,
            bad_epochs: 0,
            cooldown_left: 0,
            epoch: 0,
        }
    }

    /// Mode max: higher metrics are better (accuracy).
    #[must_use]
    pub fn mode_max(mut self) -> Self {
        self.maximize = true;
        self.best = f64::NEG_INFINITY;
        self
    }

    /// Multiplicative factor of each reduction (default 0.1).
    #[must_use]
    pub fn factor(mut self, factor: f64) -> Self {
        self.factor = factor;
        self
    }

    /// Epochs without improvement tolerated (default 10).
    #[must_use]
    pub fn patience(mut self, patience: u64) -> Self {
        self.patience = patience;
        self
    }

    /// Minimum improvement (default 1e-4, relative).
    #[must_use]
    pub fn threshold(mut self, threshold: f64) -> Self {
        self.threshold = threshold;
        self
    }

    /// Measure the threshold absolutely (PyTorch's `threshold_mode='abs'`; default relative).
    #[must_use]
    pub fn threshold_abs(mut self) -> Self {
        self.absolute = true;
        self
    }

    /// Epochs to wait after a reduction before counting again (default 0).
    #[must_use]
    pub fn cooldown(mut self, cooldown: u64) -> Self {
        self.cooldown = cooldown;
        self
    }

    /// Lower bound of the rate (default 0).
    #[must_use]
    pub fn min_lr(mut self, min_lr: f64) -> Self {
        self.min_lr = min_lr;
        self
    }

    /// Smallest change of rate that is applied (default 1e-8).
    #[must_use]
    pub fn eps(mut self, eps: f64) -> Self {
        self.eps = eps;
        self
    }

    fn better(&self, m: f64) -> bool {
        match (self.maximize, self.absolute) {
            (false, false) => m < self.best * (1.0 - self.threshold),
            (false, true) => m < self.best - self.threshold,
            (true, false) => m > self.best * (self.threshold + 1.0),
            (true, true) => m > self.best + self.threshold,
        }
    }

    /// Checks the settings without stepping: the errors
    /// [`step`](Self::step) would return for them.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidHyperparameter`] for a factor outside [0, 1) or a
    /// negative threshold, min_lr or eps.
    ///
    /// ```
    /// use ndloss::optim::schedule::ReduceLrOnPlateau;
    ///
    /// assert!(ReduceLrOnPlateau::new().validate().is_ok());
    /// assert!(ReduceLrOnPlateau::new().factor(1.5).validate().is_err());
    /// ```
    pub fn validate(&self) -> Result<()> {
        check_hyper(
            "factor",
            self.factor,
            (0.0..1.0).contains(&self.factor),
            "a value in [0, 1)",
        )?;
        for (name, v) in [
            ("threshold", self.threshold),
            ("min_lr", self.min_lr),
            ("eps", self.eps),
        ] {
            check_hyper(name, v, v >= 0.0 && v.is_finite(), "a finite value >= 0")?;
        }
        Ok(())
    }

    /// Records one epoch's metric and reduces the rates if it has plateaued.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidHyperparameter`] for a factor outside [0, 1) or a
    /// negative threshold, min_lr or eps; [`Error::InvalidValue`] for a NaN
    /// metric. Nothing changes then.
    pub fn step<A: Float, O: Optimizer<A>>(&mut self, metric: f64, opt: &mut O) -> Result<()> {
        self.validate()?;
        if metric.is_nan() {
            return Err(Error::InvalidValue {
                what: "metric",
                index: vec![],
                value: metric,
                expected: "a number",
            });
        }
        self.epoch += 1;
        if self.better(metric) {
            self.best = metric;
            self.bad_epochs = 0;
        } else {
            self.bad_epochs += 1;
        }
        if self.cooldown_left > 0 {
            self.cooldown_left -= 1;
            self.bad_epochs = 0;
        }
        if self.bad_epochs > self.patience {
            for g in 0..opt.num_groups() {
                let old = opt.get_group_lr(g)?;
                let new = (old * self.factor).max(self.min_lr);
                if old - new > self.eps {
                    opt.set_group_lr(g, new)?;
                }
            }
            self.cooldown_left = self.cooldown;
            self.bad_epochs = 0;
        }
        Ok(())
    }

    /// Epochs seen, and the best metric so far.
    pub fn progress(&self) -> (u64, f64) {
        (self.epoch, self.best)
    }
}

getters!(ReduceLrOnPlateau = "ndloss::optim::schedule::ReduceLrOnPlateau::new()" {
    get_mode_max => mode_max[maximize](): bool = true,
    get_factor => factor(0.5): f64 = 0.5,
    get_patience => patience(3): u64 = 3,
    get_threshold => threshold(1e-3): f64 = 1e-3,
    get_threshold_abs => threshold_abs[absolute](): bool = true,
    get_cooldown => cooldown(2): u64 = 2,
    get_min_lr => min_lr(1e-5): f64 = 1e-5,
    get_eps => eps(1e-9): f64 = 1e-9,
});
