//! Iris flowers: a softmax (multinomial logistic) classifier, by hand.
//!
//! Fisher's iris data (shipped by the `linfa-datasets` crate): 150 flowers,
//! four measurements each (sepal and petal length and width, in cm), three
//! species, 50 of each. The task is to tell the species from the
//! measurements. (The packaged file is the UCI copy, with two known
//! transcription errors; `common::iris` corrects them, which gives Fisher's
//! and scikit-learn's data, and checks the result.)
//!
//! The model is linear, `logits = x·W + b` with `W` 4×3 and `b` of 3, the
//! model scikit-learn's `LogisticRegression` fits. It is trained full-batch
//! on standardised features (each column to mean 0 and standard deviation 1,
//! as `StandardScaler` does) with
//!
//! - [`CrossEntropy`] (from logits, class-index targets) for the data term,
//! - `.regularized(L2::new(λ))` for the penalty on `W` (not on `b`),
//! - [`Adam`] with a cosine-annealed learning rate
//!   ([`LrScheduler`], `Schedule::cosine_annealing_lr`).
//!
//! and then judged with `ndloss::metrics`: accuracy, per-class precision,
//! recall and F1, and the confusion matrix.
//!
//! **The scikit-learn reference.** `LogisticRegression(C=1)` minimises
//! `C·Σᵢ CEᵢ + ½‖W‖²`; divided by `C·n` that is `mean CE + ‖W‖²/(2·C·n)`,
//! so the same problem here is `CrossEntropy` (mean) `+ L2::new(λ)` with
//! `λ = 1/(2·C·n) = 1/300` (`L2` is `λ·Σw²`, no ½), and the intercept left
//! unpenalised, as scikit-learn does. The optimum is unique in `W` (the
//! intercepts only up to a common shift, which the softmax ignores), so we
//! compare the objective and `W` with what scikit-learn 1.9.1 reaches on the
//! same standardised data (`LogisticRegression(C=1, tol=1e-14)`, lbfgs;
//! numbers copied below), and the training accuracy with its 97.33 %.
//!
//! Run it with
//!
//! ```text
//! cargo run --release --example iris
//! ```
//!
//! It prints the figures, writes the loss curve to
//! `target/ndloss-examples/iris_loss.png`, and exits with status 1 if the
//! training accuracy is more than one point below scikit-learn's.

mod common;

use ndarray::{Array1, Array2, Axis};
use ndloss::metrics::{accuracy, confusion_matrix, precision_recall_fscore};
use ndloss::optim::schedule::{LrScheduler, Schedule};
use ndloss::prelude::*;

const CLASSES: [&str; 3] = ["setosa", "versicolor", "virginica"];
/// scikit-learn's inverse regularisation strength.
const C: f64 = 1.0;
const STEPS: u64 = 2000;
const LEARNING_RATE: f64 = 0.05;

/// scikit-learn 1.9.1, `LogisticRegression(C=1, tol=1e-14, max_iter=100000)`
/// on `StandardScaler().fit_transform(X)`: the objective
/// `mean CE + ½‖W‖²/(C·n)` at its solution, the solution's `W` (as
/// features × classes, i.e. `coef_.T`) and its training accuracy.
const SKLEARN_OBJECTIVE: f64 = 0.209_191_788_405_311_94;
const SKLEARN_W: [[f64; 3]; 4] = [
    [-1.074_065_854_962, 0.587_810_060_523, 0.486_255_794_440],
    [1.160_115_017_746, -0.361_840_587_977, -0.798_274_429_770],
    [-1.930_691_939_029, -0.363_430_860_639, 2.294_122_799_669],
    [-1.811_556_131_179, -0.826_269_755_178, 2.637_825_886_357],
];
const SKLEARN_ACCURACY: f64 = 146.0 / 150.0;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // 1. The data, standardised.
    let data = common::iris();
    let (n, d) = data.x.dim();
    let (x, _, _) = common::standardize(&data.x);
    let y = data.y;
    println!(
        "iris: {n} flowers, {d} features ({}), 3 species × 50",
        data.feature_names.join(", ")
    );
    println!("features standardised to mean 0, standard deviation 1");

    // 2. The objective: mean cross-entropy + λ‖W‖², scikit-learn's C = 1.
    let lambda = 1.0 / (2.0 * C * n as f64);
    let objective = CrossEntropy::new().regularized(L2::new(lambda));
    println!("model: softmax(x·W + b), W {d}×3, b 3");
    println!("objective: mean cross-entropy + λ·‖W‖², λ = 1/(2·C·n) = {lambda:.6} (C = {C})");

    // 3. Training: full batch, Adam with a cosine-annealed learning rate.
    let mut w = Array2::<f64>::zeros((d, 3));
    let mut b = Array1::<f64>::zeros(3);
    let mut adam = Adam::new(LEARNING_RATE);
    let mut schedule = LrScheduler::new(Schedule::cosine_annealing_lr(STEPS, 0.0), &mut adam)?;
    println!(
        "training: {STEPS} full-batch steps of Adam (lr {LEARNING_RATE}, cosine-annealed to 0)"
    );

    let mut grad_logits = Array2::<f64>::zeros((n, 3));
    let (mut objective_curve, mut ce_curve) = (Vec::new(), Vec::new());
    let bar = common::progress(STEPS, "iris");
    for step in 0..STEPS {
        let logits = x.dot(&w) + &b;
        let total = objective.forward_grad_into(&logits, &y, &mut grad_logits, &w)?;
        objective_curve.push(total);
        ce_curve.push(total - L2::new(lambda).penalty(&w)?);

        // Back through the linear layer; the penalty's gradient goes to W only.
        let mut gw = x.t().dot(&grad_logits);
        let gb = grad_logits.sum_axis(Axis(0));
        objective.add_penalty_grad(&w, &mut gw)?;
        adam.step((&mut w, &mut b), (&gw, &gb))?;
        schedule.step(&mut adam)?;

        if step % 50 == 0 {
            bar.set_message(format!("objective {total:.6}"));
        }
        bar.inc(1);
    }
    bar.finish_and_clear();

    // 4. Where it ended, against scikit-learn's solution.
    let logits = x.dot(&w) + &b;
    let reached = objective.forward(&logits, &y, &w)?;
    let w_diff = w
        .indexed_iter()
        .map(|((i, j), &v)| (v - SKLEARN_W[i][j]).abs())
        .fold(0.0_f64, f64::max);
    let y_pred: Array1<usize> = logits.map_axis(Axis(1), |row| argmax(row.iter().copied()));
    let acc: f64 = accuracy(&y, &y_pred, None)?;
    println!();
    println!("                          ndloss           scikit-learn");
    println!(
        "objective at the end      {reached:<16.10} {SKLEARN_OBJECTIVE:.10}   (difference {:.1e})",
        reached - SKLEARN_OBJECTIVE
    );
    println!("max |W − W_sklearn|       {w_diff:.1e}");
    println!(
        "training accuracy         {:<16} {:.2} %   (required: ≥ {:.2} %)",
        format!("{:.2} %", 100.0 * acc),
        100.0 * SKLEARN_ACCURACY,
        100.0 * (SKLEARN_ACCURACY - 0.01)
    );

    // 5. Per-class scores and the confusion matrix.
    let prfs = precision_recall_fscore::<f64>(
        &y,
        &y_pred,
        None,
        &PrfOptions::new().average(Average::Macro),
    )?;
    println!();
    println!(
        "{:<12} {:>9} {:>7} {:>7} {:>8}",
        "species", "precision", "recall", "F1", "support"
    );
    for (k, &label) in prfs.labels.iter().enumerate() {
        println!(
            "{:<12} {:>9.3} {:>7.3} {:>7.3} {:>8}",
            CLASSES[label], prfs.precision[k], prfs.recall[k], prfs.fscore[k], prfs.support[k]
        );
    }
    if let Some(avg) = prfs.average {
        println!(
            "{:<12} {:>9.3} {:>7.3} {:>7.3} {:>8}",
            "macro avg", avg.precision, avg.recall, avg.fscore, n
        );
    }

    let cm = confusion_matrix::<f64>(&y, &y_pred, None, Some(&[0, 1, 2]), None)?;
    println!();
    println!("confusion matrix (rows: true species, columns: predicted)");
    println!(
        "{:<12} {:>10} {:>10} {:>10}",
        "", CLASSES[0], CLASSES[1], CLASSES[2]
    );
    for (i, row) in cm.rows().into_iter().enumerate() {
        println!(
            "{:<12} {:>10} {:>10} {:>10}",
            CLASSES[i], row[0], row[1], row[2]
        );
    }

    // 6. The loss curve.
    let path = common::out_dir().join("iris_loss.png");
    common::plot_curves(
        &path,
        "Iris, softmax regression: CrossEntropy + L2(1/300), Adam",
        "full-batch step",
        "loss (log scale)",
        &[
            ("objective (CE + λ‖W‖²)", &objective_curve),
            ("cross-entropy", &ce_curve),
        ],
        true,
    )?;
    println!();
    println!("loss curve: {}", path.display());

    if acc.is_nan() || acc < SKLEARN_ACCURACY - 0.01 {
        eprintln!(
            "error: training accuracy {:.2} % is more than one point below scikit-learn's",
            100.0 * acc
        );
        std::process::exit(1);
    }
    Ok(())
}

/// Index of the largest value (the first one on ties, as NumPy's `argmax`).
fn argmax(values: impl Iterator<Item = f64>) -> usize {
    let mut best = (0, f64::NEG_INFINITY);
    for (i, v) in values.enumerate() {
        if v > best.1 {
            best = (i, v);
        }
    }
    best.0
}
