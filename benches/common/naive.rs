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

/// `ln(eᵃ + eᵇ)` as the textbook writes it (and PyTorch's CPU kernel).
fn log_add(a: f32, b: f32) -> f32 {
    if a == f32::NEG_INFINITY {
        return b;
    }
    if b == f32::NEG_INFINITY {
        return a;
    }
    let m = a.max(b);
    m + (-(a - b).abs()).exp().ln_1p()
}

/// CTC (mean over samples of the loss over the target length) and its
/// gradient (PyTorch's form) as a user would write them from Graves et al.:
/// per sample, α and β as `T × L` arrays in log space, one state at a time
/// with `f32::exp` and `ln_1p`, then the posteriors class by class.
pub fn naive_ctc(
    lp: &ndarray::Array3<f32>,
    targets: &[usize],
    s: usize,
) -> (f32, ndarray::Array3<f32>) {
    let (t_len, n, c) = lp.dim();
    let neg = f32::NEG_INFINITY;
    let mut grad = ndarray::Array3::<f32>::zeros((t_len, n, c));
    let mut total = 0.0;
    for b in 0..n {
        let target = &targets[b * s..(b + 1) * s];
        let mut ext = vec![0];
        for &k in target {
            ext.push(k);
            ext.push(0);
        }
        let l = ext.len();
        let skip = |i: usize| i >= 2 && ext[i] != ext[i - 2];
        let mut alpha = Array2::from_elem((t_len, l), neg);
        let mut beta = Array2::from_elem((t_len, l), neg);
        alpha[[0, 0]] = lp[[0, b, ext[0]]];
        alpha[[0, 1]] = lp[[0, b, ext[1]]];
        for t in 1..t_len {
            for i in 0..l {
                let mut a = alpha[[t - 1, i]];
                if i >= 1 {
                    a = log_add(a, alpha[[t - 1, i - 1]]);
                }
                if skip(i) {
                    a = log_add(a, alpha[[t - 1, i - 2]]);
                }
                alpha[[t, i]] = a + lp[[t, b, ext[i]]];
            }
        }
        beta[[t_len - 1, l - 1]] = lp[[t_len - 1, b, ext[l - 1]]];
        beta[[t_len - 1, l - 2]] = lp[[t_len - 1, b, ext[l - 2]]];
        for t in (0..t_len - 1).rev() {
            for i in 0..l {
                let mut a = beta[[t + 1, i]];
                if i + 1 < l {
                    a = log_add(a, beta[[t + 1, i + 1]]);
                }
                if i + 2 < l && skip(i + 2) {
                    a = log_add(a, beta[[t + 1, i + 2]]);
                }
                beta[[t, i]] = a + lp[[t, b, ext[i]]];
            }
        }
        let ll = log_add(alpha[[t_len - 1, l - 1]], alpha[[t_len - 1, l - 2]]);
        let scale = 1.0 / (n * s.max(1)) as f32;
        total += -ll * scale;
        for t in 0..t_len {
            for k in 0..c {
                let mut lcab = neg;
                for i in 0..l {
                    if ext[i] == k {
                        lcab = log_add(lcab, alpha[[t, i]] + beta[[t, i]]);
                    }
                }
                let y = lp[[t, b, k]];
                grad[[t, b, k]] = (y.exp() - (lcab - ll - y).exp()) * scale;
            }
        }
    }
    (total, grad)
}
