//! Regression with a small neural network, trained by hand.
//!
//! This is the Rust version of the Keras program
//!
//! ```python
//! model = keras.Sequential([keras.layers.Dense(10, activation="relu"), keras.layers.Dense(1)])
//! model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="mse")
//! model.fit(x, y, epochs=10)
//! ```
//!
//! A two-layer perceptron (4 inputs → 10 ReLU units → 1 output) learns a
//! smooth nonlinear function of four features. `ndloss` has no layers and no
//! autograd, so the forward and backward passes are written out with ndarray
//! (`dot`, a ReLU mask, `sum_axis`). The library supplies the two parts that
//! are easy to get subtly wrong:
//!
//! - [`Mse`] gives the loss *and* its gradient with respect to the
//!   prediction in one call ([`Loss::forward_grad_into`], no allocation);
//! - [`Adam`] updates all four parameter arrays in one call, taking them as a
//!   tuple (each array keeps its own moment buffers).
//!
//! Like Keras' `fit`, it trains for 10 epochs on minibatches of 32 samples,
//! reshuffled every epoch, and reports the mean training loss of each epoch.
//! Everything (data, initial weights, shuffling) comes from a small seeded
//! PRNG in this file, so every run prints the same numbers.
//!
//! Run it with
//!
//! ```text
//! cargo run --release --example regression
//! ```
//!
//! Expected output (the last digit may differ on another platform):
//!
//! ```text
//! data: 1000 samples, 4 features; y = sin(x0) + 0.5·x1² − x2·x3 + noise
//! epoch 1/10 - loss: 1.8286
//! epoch 2/10 - loss: 1.0556
//! epoch 3/10 - loss: 0.6406
//! epoch 4/10 - loss: 0.3716
//! epoch 5/10 - loss: 0.2648
//! epoch 6/10 - loss: 0.2209
//! epoch 7/10 - loss: 0.2003
//! epoch 8/10 - loss: 0.1963
//! epoch 9/10 - loss: 0.1922
//! epoch 10/10 - loss: 0.1833
//! constant predictor (variance of y): 1.9655
//! final MSE on all 1000 samples:      0.1787
//! loss curve: …/target/ndloss-examples/regression_loss.png
//! ```
//!
//! In a terminal a progress bar follows the training (it is hidden when the
//! output goes to a pipe or a file). The loss curve, every minibatch loss and
//! each epoch's mean on a log scale, is written as a PNG under this crate's
//! `target/ndloss-examples/`.
//!
//! The loss falls to under a tenth of what the best constant prediction
//! achieves. The program exits with status 1 if the loss did not fall.
//!
//! Two small differences from Keras remain: `Adam` follows PyTorch, adding
//! `eps = 1e-8` to the bias-corrected `√v̂` where Keras adds `epsilon = 1e-7`
//! to the uncorrected `√v` (invisible here); and the data, initial weights
//! and shuffles come from a different random stream, so the numbers are not
//! Keras' numbers, only its behaviour.

mod common;

use common::SplitMix64;
use ndarray::{s, Array1, Array2, ArrayRef2, Axis};
use ndloss::prelude::*;

const SAMPLES: usize = 1000;
const FEATURES: usize = 4;
const HIDDEN: usize = 10;
const BATCH: usize = 32; // Keras' default `batch_size`
const EPOCHS: usize = 10;
const LEARNING_RATE: f64 = 0.01;
const NOISE: f64 = 0.1;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut rng = SplitMix64::new(42);

    // 1. The data: x ~ N(0, 1), y a nonlinear function of x plus noise.
    let (x, y) = make_data(&mut rng);
    println!("data: {SAMPLES} samples, {FEATURES} features; y = sin(x0) + 0.5·x1² − x2·x3 + noise");

    // 2. The model, initialised as Keras does (Glorot-uniform kernels, zero biases).
    let mut model = Mlp::new(&mut rng);

    // 3. The loss and the optimizer.
    let mse = Mse::new();
    let mut adam = Adam::new(LEARNING_RATE);

    // Gradient of the loss with respect to the prediction, reused every batch.
    // The last batch of an epoch is smaller (1000 = 31·32 + 8): it uses the
    // top rows of this buffer, through a view of the right shape.
    let mut grad_pred = Array2::<f32>::zeros((BATCH, 1));

    // 4. Training.
    let mut order: Vec<usize> = (0..SAMPLES).collect();
    let mut epoch_losses = Vec::with_capacity(EPOCHS);
    let mut batch_losses = Vec::with_capacity(EPOCHS * SAMPLES.div_ceil(BATCH));
    let bar = common::progress((EPOCHS * SAMPLES.div_ceil(BATCH)) as u64, "training");
    for epoch in 1..=EPOCHS {
        rng.shuffle(&mut order);
        let xs = x.select(Axis(0), &order);
        let ys = y.select(Axis(0), &order);

        // Keras' progress bar shows the running mean of the batch losses,
        // each weighted by its batch size; at the end of the epoch that is
        // the mean loss over the epoch's samples.
        let mut loss_sum = 0.0_f64;
        for start in (0..SAMPLES).step_by(BATCH) {
            let end = (start + BATCH).min(SAMPLES);
            let n = end - start;
            let x_batch = xs.slice(s![start..end, ..]);
            let y_batch = ys.slice(s![start..end, ..]);

            // Forward pass, keeping what the backward pass needs.
            let fwd = model.forward(&x_batch);

            // Loss value, and d(loss)/d(pred) written into the buffer's first n rows.
            let mut grad = grad_pred.slice_mut(s![..n, ..]);
            let loss = mse.forward_grad_into(&fwd.pred, &y_batch, &mut grad)?;
            loss_sum += f64::from(loss) * n as f64;
            batch_losses.push(f64::from(loss));

            // Backward pass, then one Adam step over all four parameter arrays.
            let g = model.backward(&x_batch, &fwd, &grad);
            adam.step(
                (&mut model.w1, &mut model.b1, &mut model.w2, &mut model.b2),
                (&g.w1, &g.b1, &g.w2, &g.b2),
            )?;
            bar.set_message(format!("epoch {epoch}/{EPOCHS}  batch loss {loss:.4}"));
            bar.inc(1);
        }
        let epoch_loss = loss_sum / SAMPLES as f64;
        epoch_losses.push(epoch_loss);
        bar.suspend(|| println!("epoch {epoch}/{EPOCHS} - loss: {epoch_loss:.4}"));
    }
    bar.finish_and_clear();

    // 5. Evaluation: the trained model against the best constant prediction,
    // the mean of y, whose MSE is the variance of y.
    let mean_y = y.mean().unwrap_or(0.0);
    let constant = Array2::from_elem(y.raw_dim(), mean_y);
    let baseline = mse.forward(&constant, &y)?;
    let final_mse = mse.forward(&model.forward(&x).pred, &y)?;
    println!("constant predictor (variance of y): {baseline:.4}");
    println!("final MSE on all {SAMPLES} samples:      {final_mse:.4}");

    // 6. The loss curve: every minibatch loss, and each epoch's mean placed
    // at the epoch's last batch.
    let per_epoch = SAMPLES.div_ceil(BATCH);
    let epoch_points: Vec<(f64, f64)> = (1..=EPOCHS)
        .map(|e| ((e * per_epoch) as f64, epoch_losses[e - 1]))
        .collect();
    let batch_points: Vec<(f64, f64)> = batch_losses
        .iter()
        .enumerate()
        .map(|(i, &l)| ((i + 1) as f64, l))
        .collect();
    let path = common::out_dir().join("regression_loss.png");
    common::plot_xy(
        &path,
        "Dense(10, relu) → Dense(1), Mse + Adam(0.01)",
        "minibatch step",
        "MSE (log scale)",
        &[
            ("minibatch loss", &batch_points),
            ("epoch mean", &epoch_points),
        ],
        false,
        true,
        false,
    )?;
    println!("loss curve: {}", path.display());

    // Written so that a NaN loss also counts as a failure.
    let (first, last) = (epoch_losses[0], epoch_losses[EPOCHS - 1]);
    let learned = last < first && final_mse < baseline;
    if !learned {
        eprintln!(
            "error: training did not reduce the loss \
             (epoch 1: {first:.4}, epoch {EPOCHS}: {last:.4}, baseline: {baseline:.4})"
        );
        std::process::exit(1);
    }
    Ok(())
}

/// `Dense(10, relu) → Dense(1)`. Kernels are `(inputs, units)`, as in Keras,
/// so a layer computes `x · W + b` on a `(batch, inputs)` matrix.
struct Mlp {
    w1: Array2<f32>,
    b1: Array1<f32>,
    w2: Array2<f32>,
    b2: Array1<f32>,
}

/// Intermediate values of a forward pass.
struct Forward {
    /// Hidden pre-activation, `(batch, HIDDEN)`.
    z1: Array2<f32>,
    /// Hidden activation `relu(z1)`, `(batch, HIDDEN)`.
    a1: Array2<f32>,
    /// The prediction, `(batch, 1)`.
    pred: Array2<f32>,
}

/// Gradients of the loss with respect to each parameter, shaped like it.
struct Grads {
    w1: Array2<f32>,
    b1: Array1<f32>,
    w2: Array2<f32>,
    b2: Array1<f32>,
}

impl Mlp {
    fn new(rng: &mut SplitMix64) -> Self {
        Self {
            w1: glorot_uniform(FEATURES, HIDDEN, rng),
            b1: Array1::zeros(HIDDEN),
            w2: glorot_uniform(HIDDEN, 1, rng),
            b2: Array1::zeros(1),
        }
    }

    fn forward(&self, x: &ArrayRef2<f32>) -> Forward {
        let z1 = x.dot(&self.w1) + &self.b1;
        let a1 = z1.mapv(|v| v.max(0.0));
        let pred = a1.dot(&self.w2) + &self.b2;
        Forward { z1, a1, pred }
    }

    /// Backpropagates `grad_pred` = d(loss)/d(pred) through both layers.
    fn backward(&self, x: &ArrayRef2<f32>, fwd: &Forward, grad_pred: &ArrayRef2<f32>) -> Grads {
        // Output layer: pred = a1 · w2 + b2.
        let w2 = fwd.a1.t().dot(grad_pred);
        let b2 = grad_pred.sum_axis(Axis(0));
        // Into the hidden layer, through the ReLU (derivative 1 where z1 > 0, else 0).
        let mut grad_z1 = grad_pred.dot(&self.w2.t());
        grad_z1.zip_mut_with(&fwd.z1, |g, &z| {
            if z <= 0.0 {
                *g = 0.0;
            }
        });
        // Hidden layer: z1 = x · w1 + b1.
        let w1 = x.t().dot(&grad_z1);
        let b1 = grad_z1.sum_axis(Axis(0));
        Grads { w1, b1, w2, b2 }
    }
}

/// Keras' default kernel initializer: uniform on `±√(6 / (fan_in + fan_out))`.
fn glorot_uniform(fan_in: usize, fan_out: usize, rng: &mut SplitMix64) -> Array2<f32> {
    let limit = (6.0 / (fan_in + fan_out) as f64).sqrt();
    Array2::from_shape_simple_fn((fan_in, fan_out), || {
        ((2.0 * rng.uniform() - 1.0) * limit) as f32
    })
}

/// `SAMPLES` rows of 4 standard-normal features, and the target
/// `y = sin(x0) + 0.5·x1² − x2·x3 + ε`, `ε ~ N(0, NOISE²)`, as a `(SAMPLES, 1)`
/// column (the shape of the model's output, which `Mse` requires).
fn make_data(rng: &mut SplitMix64) -> (Array2<f32>, Array2<f32>) {
    let x = Array2::from_shape_simple_fn((SAMPLES, FEATURES), || rng.normal() as f32);
    let y = Array2::from_shape_fn((SAMPLES, 1), |(i, _)| {
        let r = x.row(i).mapv(f64::from);
        let clean = r[0].sin() + 0.5 * r[1] * r[1] - r[2] * r[3];
        (clean + NOISE * rng.normal()) as f32
    });
    (x, y)
}
