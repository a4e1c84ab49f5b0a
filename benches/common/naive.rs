//! The loss code a user would write with plain ndarray: the `naive`
//! baselines of `benches/losses.rs` and of the peers crate
//! (`benches/peers`), shared so both time the same code.
#![allow(dead_code)]

use ndarray::{Array1, Array2, Axis};

/// MSE value and gradient as a user would write them with ndarray: three
/// passes and three temporary arrays.
pub fn naive_mse(pred: &Array1<f32>, target: &Array1<f32>) -> (f32, Array1<f32>) {
    let n = pred.len();
    let diff = pred - target;
    let loss = diff.mapv(|d| d * d).mean().unwrap();
    let grad = &diff * (2.0 / n as f32);
    (loss, grad)
}

/// Cross-entropy (mean over rows, class-index targets) and its gradient as a
/// user would write them with ndarray: a stable log-softmax in five array
/// passes, then `(softmax − one_hot) / N`.
pub fn naive_cross_entropy(logits: &Array2<f32>, classes: &Array1<usize>) -> (f32, Array2<f32>) {
    let n = logits.nrows();
    let max = logits.fold_axis(Axis(1), f32::NEG_INFINITY, |&a, &b| a.max(b));
    let shifted = logits - &max.insert_axis(Axis(1));
    let exp = shifted.mapv(f32::exp);
    let sum = exp.sum_axis(Axis(1));
    let log_softmax = &shifted - &sum.mapv(f32::ln).insert_axis(Axis(1));
    let loss = -classes
        .iter()
        .enumerate()
        .map(|(i, &y)| log_softmax[[i, y]])
        .sum::<f32>()
        / n as f32;
    let mut grad = exp / &sum.insert_axis(Axis(1));
    for (i, &y) in classes.iter().enumerate() {
        grad[[i, y]] -= 1.0;
    }
    grad /= n as f32;
    (loss, grad)
}
