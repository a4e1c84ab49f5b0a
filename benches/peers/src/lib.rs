//! The workloads that `benches/peers.rs` times: MSE and cross-entropy, value
//! and gradient, written three ways on the same inputs.
//!
//! - `ndloss`: `forward_grad_into` into a buffer allocated once (what
//!   `benches/losses.rs` of the main crate times);
//! - `naive`: the ndarray code a user would write by hand, the same file as
//!   the main crate's `benches/losses.rs` uses (`benches/common/naive.rs`);
//! - `candle`: `candle_nn::loss::{mse, cross_entropy}` on a CPU `Var`, then
//!   `.backward()` and the gradient fetched from the `GradStore` (candle
//!   allocates every intermediate and the gradient on each call, as its users
//!   get it).
//!
//! Not part of ndloss: this crate has its own `[workspace]` and is built only
//! by `cargo bench` (or `cargo test`) run inside `benches/peers`.

use candle_core::{Device, Result, Tensor, Var};
use ndarray::Array1;

#[path = "../../common/naive.rs"]
mod naive;
pub use naive::{naive_cross_entropy, naive_mse};

/// A CPU candle tensor with the same elements and shape as `a` (row-major).
pub fn to_candle<D: ndarray::Dimension>(a: &ndarray::Array<f32, D>) -> Result<Tensor> {
    let data: Vec<f32> = a.iter().copied().collect();
    Tensor::from_vec(data, a.shape(), &Device::Cpu)
}

/// Class indices as the `u32` tensor `candle_nn::loss::cross_entropy` takes.
pub fn classes_to_candle(classes: &Array1<usize>) -> Result<Tensor> {
    let data: Vec<u32> = classes.iter().map(|&c| c as u32).collect();
    Tensor::from_vec(data, classes.len(), &Device::Cpu)
}

/// `candle_nn::loss::mse(pred, target)`, backward, and the gradient with
/// respect to `pred`: returns the loss value and the gradient tensor.
pub fn candle_mse(pred: &Var, target: &Tensor) -> Result<(f32, Tensor)> {
    let loss = candle_nn::loss::mse(pred.as_tensor(), target)?;
    let grads = loss.backward()?;
    let grad = grads
        .get(pred.as_tensor())
        .expect("pred is a Var on the loss's graph")
        .clone();
    Ok((loss.to_scalar::<f32>()?, grad))
}

/// `candle_nn::loss::cross_entropy(logits, classes)` (log-softmax then NLL,
/// mean over rows), backward, and the gradient with respect to `logits`.
pub fn candle_cross_entropy(logits: &Var, classes: &Tensor) -> Result<(f32, Tensor)> {
    let loss = candle_nn::loss::cross_entropy(logits.as_tensor(), classes)?;
    let grads = loss.backward()?;
    let grad = grads
        .get(logits.as_tensor())
        .expect("logits is a Var on the loss's graph")
        .clone();
    Ok((loss.to_scalar::<f32>()?, grad))
}

/// Largest absolute difference between a candle gradient and an ndarray one
/// of the same shape (row-major).
pub fn max_abs_diff<D: ndarray::Dimension>(
    candle: &Tensor,
    nd: &ndarray::Array<f32, D>,
) -> Result<f32> {
    assert_eq!(candle.dims(), nd.shape(), "gradient shapes differ");
    let flat: Vec<f32> = candle.flatten_all()?.to_vec1()?;
    Ok(flat
        .iter()
        .zip(nd.iter())
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f32::max))
}

/// `|a − b| ≤ rel · max(|a|, |b|)`.
pub fn close(a: f32, b: f32, rel: f32) -> bool {
    (a - b).abs() <= rel * a.abs().max(b.abs())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;
    use ndloss::prelude::*;

    #[test]
    fn candle_and_ndloss_agree_on_mse() {
        let pred = array![0.5_f32, 1.0, 2.0, -1.0, 0.25];
        let target = array![0.0_f32, 1.0, 2.5, -1.0, -0.75];
        let (loss, grad) = Mse::new().forward_grad(&pred, &target).unwrap();
        let var = Var::from_tensor(&to_candle(&pred).unwrap()).unwrap();
        let (c_loss, c_grad) = candle_mse(&var, &to_candle(&target).unwrap()).unwrap();
        assert!(close(loss, c_loss, 1e-6), "{loss} vs {c_loss}");
        assert!(max_abs_diff(&c_grad, &grad).unwrap() <= 1e-7);
        let (n_loss, n_grad) = naive_mse(&pred, &target);
        assert!(close(loss, n_loss, 1e-6));
        assert!(grad.iter().zip(&n_grad).all(|(a, b)| (a - b).abs() <= 1e-7));
    }

    #[test]
    fn candle_and_ndloss_agree_on_cross_entropy() {
        let logits = array![[2.0_f32, 0.5, -1.0], [0.1, 0.2, 3.0], [30.0, -30.0, 0.0]];
        let classes = array![0_usize, 2, 1];
        let (loss, grad) = CrossEntropy::new().forward_grad(&logits, &classes).unwrap();
        let var = Var::from_tensor(&to_candle(&logits).unwrap()).unwrap();
        let (c_loss, c_grad) =
            candle_cross_entropy(&var, &classes_to_candle(&classes).unwrap()).unwrap();
        assert!(close(loss, c_loss, 1e-6), "{loss} vs {c_loss}");
        assert!(max_abs_diff(&c_grad, &grad).unwrap() <= 1e-6);
        let (n_loss, n_grad) = naive_cross_entropy(&logits, &classes);
        assert!(close(loss, n_loss, 1e-6));
        assert!(grad.iter().zip(&n_grad).all(|(a, b)| (a - b).abs() <= 1e-6));
    }
}
