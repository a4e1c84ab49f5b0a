//! Schedules with arbitrary settings, stepped far past their ends, and the
//! plateau reducer on arbitrary metrics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ndloss::optim::schedule::{LrScheduler, OneCycle, ReduceLrOnPlateau, Schedule};
use ndloss::prelude::*;

#[path = "input.rs"]
mod input;
use input::Input;

fn schedule(input: &mut Input<'_>, depth: u8) -> Schedule {
    let n = |input: &mut Input<'_>| input.u8() as u64;
    match input.below(if depth > 2 { 6 } else { 8 }) {
        0 => Schedule::step_lr(n(input), input.f64()),
        1 => Schedule::multi_step_lr([n(input), n(input)], input.f64()),
        2 => Schedule::exponential_lr(input.f64()),
        3 => Schedule::linear_lr(input.f64(), input.f64(), n(input)),
        4 => Schedule::cosine_annealing_lr(n(input), input.f64()),
        5 => {
            let mut c = OneCycle::new(input.f64(), n(input));
            c.pct_start = input.f64();
            c.three_phase = input.bool();
            c.cosine = input.bool();
            c.div_factor = input.f64();
            Schedule::one_cycle_lr(c)
        }
        6 => Schedule::sequential(
            vec![schedule(input, depth + 1), schedule(input, depth + 1)],
            vec![n(input)],
        ),
        _ => Schedule::chained(vec![schedule(input, depth + 1), schedule(input, depth + 1)]),
    }
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input(data);
    let s = schedule(&mut input, 0);
    let mut opt = Sgd::<f32>::new(0.1)
        .momentum(0.9)
        .param_group(ParamGroup::new([1]).lr(0.01));
    if let Ok(mut sched) = LrScheduler::new(s, &mut opt) {
        for _ in 0..input.u8() {
            let _ = sched.step(&mut opt);
        }
    }
    let mut plateau = ReduceLrOnPlateau::new()
        .factor(input.f64())
        .patience(input.u8() as u64)
        .threshold(input.f64())
        .cooldown(input.u8() as u64)
        .min_lr(input.f64());
    for _ in 0..input.u8() {
        let _ = plateau.step(input.f64(), &mut opt);
    }
});
