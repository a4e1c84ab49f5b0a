//! Loading arbitrary (truncated, corrupted, mismatched) optimizer and
//! schedule checkpoints: an error, never a panic, never a half-applied step.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ndarray::{Array1, Array2};
use ndloss::optim::schedule::{LrScheduler, ReduceLrOnPlateau};
use ndloss::prelude::*;

fn try_optimizer<O: Optimizer<f64> + serde::de::DeserializeOwned>(text: &str) {
    if let Ok(mut opt) = serde_json::from_str::<O>(text) {
        let (mut w, mut b) = (Array2::<f64>::ones((3, 4)), Array1::<f64>::ones(5));
        let (gw, gb) = (
            Array2::<f64>::from_elem((3, 4), 0.1),
            Array1::<f64>::from_elem(5, -0.1),
        );
        let (w0, b0) = (w.clone(), b.clone());
        if opt.step((&mut w, &mut b), (&gw, &gb)).is_err() {
            assert_eq!((w, b), (w0, b0));
        }
        if let Ok(mut sched) = serde_json::from_str::<LrScheduler>(text) {
            let _ = sched.step(&mut opt);
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    try_optimizer::<Adam<f64>>(text);
    try_optimizer::<Sgd<f64>>(text);
    try_optimizer::<RmsProp<f64>>(text);
    try_optimizer::<NAdam<f64>>(text);
    try_optimizer::<Lion<f64>>(text);
    if let Ok(mut p) = serde_json::from_str::<ReduceLrOnPlateau>(text) {
        let _ = p.step(1.0, &mut Sgd::<f64>::new(0.1));
    }
});
