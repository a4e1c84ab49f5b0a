//! Tuning the regularisation strength: grid search and random search with
//! 5-fold cross-validation, for L1, L2 and elastic-net penalties.
//!
//! The data are the diabetes measurements (442 patients, 10 features, disease
//! progression after one year; see the `diabetes` example). With the 10
//! features alone a linear model hardly overfits, and no penalty helps much.
//! So, as one does when a linear model is too simple, the model gets every
//! pairwise product and square of the features as well (`bmi·s5`, `age²`, …;
//! `sex²` is left out, being an affine function of the two-valued `sex`):
//! 64 features for 354 training patients per fold. Unregularised, that model
//! overfits and does worse than the 10-feature one; tuned, it does better.
//!
//! The model is linear in these features, `ŷ = x·w + b`, fitted by minimising
//! scikit-learn's elastic-net objective
//!
//! ```text
//! ‖y − Xw − b‖²/(2n) + λ·(ρ‖w‖₁ + ½(1 − ρ)‖w‖²)
//! ```
//!
//! with `ρ = 1` (the lasso, `L1::new(λ)`), `ρ = 0` (ridge, `L2::new(λ/2)`, as
//! `L2` is `λ·Σw²` without the ½) and `ρ = ½` (`ElasticNet::new(λ/2, λ/4)`):
//! exactly `sklearn.linear_model.ElasticNet(alpha=λ, l1_ratio=ρ)`. Each fit
//! is proximal gradient descent, `Proximal::new(Sgd::new(lr), penalty)` on
//! `w` (a gradient step on the data term, then the penalty's proximal
//! operator: soft-thresholding and/or shrinking) and a plain `Sgd` on the
//! unpenalised intercept, run to convergence.
//!
//! Cross-validation: the patients are shuffled once (seeded) and split into 5
//! folds; for every λ, each fold in turn is held out, the features are
//! standardised with the statistics of the other four folds only, the model is
//! fitted on those four, and its mean squared error is measured on the held-out
//! fold. The score of λ is the mean of the 5 held-out MSEs (± their standard
//! deviation, `ddof = 0` as `GridSearchCV` reports it).
//!
//! - **Grid search** tries 13 values of λ, evenly spaced in log λ from 1e2
//!   down to 1e-1 (each fit warm-started from the previous λ's solution, as
//!   scikit-learn's path solvers do).
//! - **Random search** draws 10 values of log₁₀ λ uniformly from [−1, 2] with
//!   a seeded SplitMix64 generator written in `common` (no `rand` crate).
//!
//! The unregularised models (10 and 64 features) are scored the same way,
//! with their exact least-squares fits (`common::least_squares`).
//!
//! The λ with the lowest mean CV MSE is chosen per penalty and search; the
//! model is then refitted on all the data with it.
//!
//! Run it with
//!
//! ```text
//! cargo run --release --example tuning
//! ```
//!
//! It prints the tables, writes the CV curves to
//! `target/ndloss-examples/tuning_cv.png`, and exits with status 1 if a
//! chosen model does not beat the unregularised 64-feature model in CV error.

mod common;

use common::SplitMix64;
use ndarray::{Array1, Array2, Axis};
use ndloss::metrics::{mean_squared_error, r2_score};
use ndloss::prelude::*;

const FOLDS: usize = 5;
const GRID: usize = 13;
const GRID_LOG10: (f64, f64) = (-1.0, 2.0);
const RANDOM_DRAWS: usize = 10;
const SEED: u64 = 2024;
/// A fit stops when no coefficient moves by more than this in a step (the
/// held-out MSEs then agree with those of fits run 100 times longer to the
/// digits printed).
const TOL: f64 = 1e-6;
const MAX_STEPS: usize = 100_000;

/// The three penalties, as members of scikit-learn's elastic-net family.
#[derive(Clone, Copy, PartialEq)]
enum Penalty {
    L1,
    L2,
    ElasticNet,
}

impl Penalty {
    const ALL: [Penalty; 3] = [Penalty::L1, Penalty::L2, Penalty::ElasticNet];

    fn name(self) -> &'static str {
        match self {
            Penalty::L1 => "L1",
            Penalty::L2 => "L2",
            Penalty::ElasticNet => "ElasticNet",
        }
    }

    fn ndloss_call(self) -> &'static str {
        match self {
            Penalty::L1 => "L1::new(λ)",
            Penalty::L2 => "L2::new(λ/2)",
            Penalty::ElasticNet => "ElasticNet::new(λ/2, λ/4)",
        }
    }
}

/// A data split, features standardised with the training part's statistics.
struct Split {
    x_train: Array2<f64>,
    y_train: Array1<f64>,
    x_test: Array2<f64>,
    y_test: Array1<f64>,
    /// Step size of proximal gradient descent on this split: `1.8/L`, `L` the
    /// largest eigenvalue of `XᵀX/n` (the Lipschitz constant of the data
    /// term's gradient); any step below `2/L` converges.
    lr: f64,
}

/// CV result for one λ.
#[derive(Clone, Copy)]
struct Score {
    lambda: f64,
    mean: f64,
    std: f64,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let data = common::diabetes();
    let (x, names) = quadratic_features(&data.x, &data.feature_names);
    let y = data.y;
    let (n, d) = x.dim();
    let mut rng = SplitMix64::new(SEED);

    // The folds: a seeded shuffle, then 5 contiguous blocks (89, 89, 88, 88, 88).
    let mut order: Vec<usize> = (0..n).collect();
    rng.shuffle(&mut order);
    let splits: Vec<Split> = (0..FOLDS)
        .map(|k| {
            let (lo, hi) = (k * n / FOLDS, (k + 1) * n / FOLDS);
            let test: Vec<usize> = order[lo..hi].to_vec();
            let train: Vec<usize> = order[..lo].iter().chain(&order[hi..]).copied().collect();
            split(&x, &y, &train, &test)
        })
        .collect();

    // The λ values: a log grid, and random draws (the same ones for each
    // penalty). Both are fitted from the largest λ down, warm-starting.
    let grid: Vec<f64> = (0..GRID)
        .map(|i| {
            10f64.powf(GRID_LOG10.0 + (GRID_LOG10.1 - GRID_LOG10.0) * i as f64 / (GRID - 1) as f64)
        })
        .collect();
    let mut random: Vec<f64> = (0..RANDOM_DRAWS)
        .map(|_| 10f64.powf(GRID_LOG10.0 + (GRID_LOG10.1 - GRID_LOG10.0) * rng.uniform()))
        .collect();
    random.sort_by(f64::total_cmp);

    println!(
        "diabetes: {n} patients; the 10 features plus their 54 pairwise products and squares = {d} features"
    );
    println!("{FOLDS}-fold cross-validation (shuffle seed {SEED}); features standardised on each training part");
    println!("objective: ‖y − Xw − b‖²/(2n) + λ·(ρ‖w‖₁ + ½(1 − ρ)‖w‖²)   (scikit-learn's ElasticNet(alpha=λ, l1_ratio=ρ))");
    for p in Penalty::ALL {
        println!("  {:<11} {}", p.name(), p.ndloss_call());
    }
    println!(
        "grid search: {GRID} values of λ from {:.0e} to {:.0e}; random search: {RANDOM_DRAWS} values, log₁₀ λ ~ U({}, {})",
        grid[0], grid[GRID - 1], GRID_LOG10.0, GRID_LOG10.1
    );

    // The unregularised baselines: exact least squares on 10 and on 64 features.
    let ols10 = cross_validate_ols(&splits, 10)?;
    let ols64 = cross_validate_ols(&splits, d)?;

    // Both searches, for every penalty.
    let fits = (Penalty::ALL.len() * (GRID + RANDOM_DRAWS) * FOLDS) as u64;
    let bar = common::progress(fits, "cross-validating");
    let mut grid_scores = Vec::new();
    let mut random_scores = Vec::new();
    for p in Penalty::ALL {
        bar.set_message(format!("{} grid", p.name()));
        grid_scores.push(cross_validate(&splits, p, &grid, &bar)?);
        bar.set_message(format!("{} random", p.name()));
        random_scores.push(cross_validate(&splits, p, &random, &bar)?);
    }
    bar.finish_and_clear();

    // The two tables.
    for (title, lambdas, scores) in [
        (
            format!("Grid search: mean CV MSE ± std over the {FOLDS} held-out folds (* = lowest)"),
            &grid,
            &grid_scores,
        ),
        (
            format!("Random search: the same {RANDOM_DRAWS} random λ for each penalty, sorted"),
            &random,
            &random_scores,
        ),
    ] {
        println!();
        println!("{title}");
        print!("{:>10}", "λ");
        for p in Penalty::ALL {
            print!("  {:>19}", p.name());
        }
        println!();
        for (i, lambda) in lambdas.iter().enumerate() {
            print!("{lambda:>10.4}");
            for column in scores.iter() {
                print!("  {}", cell(&column[i], column));
            }
            println!();
        }
    }

    // The choice, and a refit on all the data with it.
    let (x_all, _, _) = common::standardize(&x);
    let lr_all = 1.8 / largest_eigenvalue(&x_all);
    println!();
    println!(
        "unregularised, 10 features: CV MSE {:.1} ± {:.1}",
        ols10.mean, ols10.std
    );
    println!(
        "unregularised, {d} features: CV MSE {:.1} ± {:.1}",
        ols64.mean, ols64.std
    );
    println!();
    println!(
        "{:<11} {:<7} {:>9} {:>15} {:>9} {:>10}",
        "penalty", "search", "chosen λ", "CV MSE", "train R²", "nonzero w"
    );
    let mut ok = true;
    let mut lasso_w = None;
    for (k, p) in Penalty::ALL.into_iter().enumerate() {
        for (search, scores) in [("grid", &grid_scores[k]), ("random", &random_scores[k])] {
            let best = best(scores);
            let (mut w, mut b) = (Array1::zeros(d), Array1::zeros(1));
            fit(&x_all, &y, p, best.lambda, lr_all, &mut w, &mut b)?;
            let r2: f64 = r2_score(&y, &(x_all.dot(&w) + b[0]), None)?;
            let nonzero = w.iter().filter(|v| **v != 0.0).count();
            println!(
                "{:<11} {:<7} {:>9.4} {:>15} {:>9.4} {:>7}/{d}",
                p.name(),
                search,
                best.lambda,
                format!("{:.1} ± {:.1}", best.mean, best.std),
                r2,
                nonzero
            );
            ok &= best.mean < ols64.mean;
            if p == Penalty::L1 && search == "grid" {
                lasso_w = Some(w);
            }
        }
    }
    let (k, overall) = (0..Penalty::ALL.len())
        .map(|k| (k, best(&grid_scores[k])))
        .min_by(|a, b| a.1.mean.total_cmp(&b.1.mean))
        .expect("three penalties");
    println!();
    println!(
        "best: {} at λ = {:.4} takes the {d}-feature model from CV MSE {:.1} to {:.1} ({:+.1} %);",
        Penalty::ALL[k].name(),
        overall.lambda,
        ols64.mean,
        overall.mean,
        100.0 * (overall.mean / ols64.mean - 1.0)
    );
    println!(
        "the unregularised 10-feature model scores {:.1}: the 54 products add little to these data.",
        ols10.mean
    );
    if let Some(w) = lasso_w {
        let mut idx: Vec<usize> = (0..d).filter(|&j| w[j] != 0.0).collect();
        idx.sort_by(|&a, &b| w[b].abs().total_cmp(&w[a].abs()));
        let top: Vec<String> = idx
            .iter()
            .take(8)
            .map(|&j| format!("{} {:+.1}", names[j], w[j]))
            .collect();
        println!();
        println!(
            "largest L1 (grid) coefficients, per standard deviation: {}",
            top.join(", ")
        );
    }

    // The CV curves: the grid as lines, the random draws as dots of the
    // same colour, the unregularised models as flat lines.
    let pts = |s: &[Score]| s.iter().map(|s| (s.lambda, s.mean)).collect::<Vec<_>>();
    let grid_pts: Vec<_> = grid_scores.iter().map(|s| pts(s)).collect();
    let random_pts: Vec<_> = random_scores.iter().map(|s| pts(s)).collect();
    let span = |v: f64| vec![(grid[0], v), (grid[GRID - 1], v)];
    let (flat10, flat64) = (span(ols10.mean), span(ols64.mean));
    let names: Vec<[String; 2]> = Penalty::ALL
        .iter()
        .map(|p| {
            [
                format!("{} (grid)", p.name()),
                format!("{} (random)", p.name()),
            ]
        })
        .collect();
    let flat64_name = format!("least squares, {d} features");
    let mut series = Vec::new();
    for k in 0..Penalty::ALL.len() {
        series.push(common::Series {
            name: &names[k][0],
            points: &grid_pts[k],
            color: k,
            line: true,
            markers: true,
        });
        series.push(common::Series {
            name: &names[k][1],
            points: &random_pts[k],
            color: k,
            line: false,
            markers: true,
        });
    }
    series.push(common::Series {
        name: "least squares, 10 features",
        points: &flat10,
        color: 6,
        line: true,
        markers: false,
    });
    series.push(common::Series {
        name: &flat64_name,
        points: &flat64,
        color: 4,
        line: true,
        markers: false,
    });
    let path = common::out_dir().join("tuning_cv.png");
    common::plot_series(
        &path,
        "Diabetes, 64 features: 5-fold CV error against the penalty strength",
        "λ (log scale)",
        "mean held-out MSE",
        &series,
        &common::Axes {
            log_x: true,
            log_y: false,
            legend: plotters::chart::SeriesLabelPosition::UpperLeft,
        },
    )?;
    println!();
    println!("CV curves: {}", path.display());

    if !ok {
        eprintln!(
            "error: a chosen λ does not beat the unregularised {d}-feature model in CV error"
        );
        std::process::exit(1);
    }
    Ok(())
}

/// The 10 features, then every product `xᵢ·xⱼ` (`i ≤ j`) except `sex²`,
/// with their names.
fn quadratic_features(x: &Array2<f64>, names: &[String]) -> (Array2<f64>, Vec<String>) {
    let d = x.ncols();
    let mut columns: Vec<Array1<f64>> = x.columns().into_iter().map(|c| c.to_owned()).collect();
    let mut out_names: Vec<String> = names.iter().map(|n| short(n).to_string()).collect();
    for i in 0..d {
        for j in i..d {
            if i == j && short(&names[i]) == "sex" {
                continue;
            }
            columns.push(&x.column(i) * &x.column(j));
            out_names.push(if i == j {
                format!("{}²", short(&names[i]))
            } else {
                format!("{}·{}", short(&names[i]), short(&names[j]))
            });
        }
    }
    let views: Vec<_> = columns
        .iter()
        .map(|c| c.view().insert_axis(Axis(1)))
        .collect();
    let out = ndarray::concatenate(Axis(1), &views).expect("columns of equal length");
    (out, out_names)
}

/// `"s5 ltg"` → `"s5"`; other names unchanged.
fn short(name: &str) -> &str {
    name.split(' ').next().unwrap_or(name)
}

/// The largest eigenvalue of `XᵀX/n`, by power iteration.
fn largest_eigenvalue(x: &Array2<f64>) -> f64 {
    let n = x.nrows() as f64;
    let mut v = Array1::<f64>::ones(x.ncols());
    let mut value = 0.0;
    for _ in 0..500 {
        let next = x.t().dot(&x.dot(&v)) / n;
        value = next.dot(&next).sqrt();
        v = next / value;
    }
    value
}

/// `"mean ± std"`, starred for the lowest mean of its column.
fn cell(score: &Score, column: &[Score]) -> String {
    let star = if score.lambda == best(column).lambda {
        "*"
    } else {
        " "
    };
    format!(
        "{:>17}{star} ",
        format!("{:.1} ± {:5.1}", score.mean, score.std)
    )
}

/// The score with the lowest mean CV MSE.
fn best(scores: &[Score]) -> Score {
    *scores
        .iter()
        .min_by(|a, b| a.mean.total_cmp(&b.mean))
        .expect("at least one score")
}

/// Rows `train` and `test` of `(x, y)`, the features standardised with the
/// mean and standard deviation of the training rows.
fn split(x: &Array2<f64>, y: &Array1<f64>, train: &[usize], test: &[usize]) -> Split {
    let x_train = x.select(Axis(0), train);
    let (x_train_std, mean, std) = common::standardize(&x_train);
    Split {
        lr: 1.8 / largest_eigenvalue(&x_train_std),
        x_test: (x.select(Axis(0), test) - &mean) / &std,
        x_train: x_train_std,
        y_train: y.select(Axis(0), train),
        y_test: y.select(Axis(0), test),
    }
}

/// Mean and standard deviation of the held-out MSE for each λ of `lambdas`
/// (sorted ascending). The fits run from the largest λ down, each fold's
/// warm-started from the previous λ's solution.
fn cross_validate(
    splits: &[Split],
    penalty: Penalty,
    lambdas: &[f64],
    bar: &indicatif::ProgressBar,
) -> ndloss::Result<Vec<Score>> {
    let d = splits[0].x_train.ncols();
    let mut warm: Vec<(Array1<f64>, Array1<f64>)> = splits
        .iter()
        .map(|_| (Array1::zeros(d), Array1::zeros(1)))
        .collect();
    let mut scores = Vec::with_capacity(lambdas.len());
    for &lambda in lambdas.iter().rev() {
        let mut errors = Vec::with_capacity(splits.len());
        for (s, (w, b)) in splits.iter().zip(&mut warm) {
            fit(&s.x_train, &s.y_train, penalty, lambda, s.lr, w, b)?;
            let pred = s.x_test.dot(&*w) + b[0];
            errors.push(mean_squared_error(&s.y_test, &pred, None)?);
            bar.inc(1);
        }
        scores.push(score(lambda, errors));
    }
    scores.reverse();
    Ok(scores)
}

/// CV score of exact least squares on the first `features` columns.
fn cross_validate_ols(splits: &[Split], features: usize) -> ndloss::Result<Score> {
    let mut errors = Vec::with_capacity(splits.len());
    for s in splits {
        let x_train = s.x_train.slice(ndarray::s![.., ..features]).to_owned();
        let (w, b) = common::least_squares(&x_train, &s.y_train, 0.0);
        let pred = s.x_test.slice(ndarray::s![.., ..features]).dot(&w) + b;
        errors.push(mean_squared_error(&s.y_test, &pred, None)?);
    }
    Ok(score(0.0, errors))
}

/// Mean and standard deviation (`ddof = 0`) of the fold errors.
fn score(lambda: f64, errors: Vec<f64>) -> Score {
    let errors = Array1::from(errors);
    Score {
        lambda,
        mean: errors.mean().unwrap_or(f64::NAN),
        std: errors.std(0.0),
    }
}

/// Fits `(w, b)` in place (starting from their current values) by proximal
/// gradient descent on `‖y − Xw − b‖²/(2n) + penalty(λ)` with step `lr`.
fn fit(
    x: &Array2<f64>,
    y: &Array1<f64>,
    penalty: Penalty,
    lambda: f64,
    lr: f64,
    w: &mut Array1<f64>,
    b: &mut Array1<f64>,
) -> ndloss::Result<usize> {
    match penalty {
        Penalty::L1 => proximal_gradient(x, y, L1::new(lambda), lr, w, b),
        Penalty::L2 => proximal_gradient(x, y, L2::new(lambda / 2.0), lr, w, b),
        Penalty::ElasticNet => {
            proximal_gradient(x, y, ElasticNet::new(lambda / 2.0, lambda / 4.0), lr, w, b)
        }
    }
}

/// `Proximal(Sgd, penalty)` on `w`, `Sgd` on the intercept, until no
/// coefficient moves by more than [`TOL`] in a step. The data term is half
/// `Mse`, so its gradients are half of `Mse`'s. Returns the steps taken.
fn proximal_gradient<R: Regularizer>(
    x: &Array2<f64>,
    y: &Array1<f64>,
    penalty: R,
    lr: f64,
    w: &mut Array1<f64>,
    b: &mut Array1<f64>,
) -> ndloss::Result<usize> {
    let mse = Mse::new();
    let mut prox = Proximal::new(Sgd::new(lr), penalty);
    let mut intercept = Sgd::new(lr);
    let mut grad_pred = Array1::<f64>::zeros(x.nrows());
    // Xᵀ in row-major order: ndarray's matrix-vector product is several
    // times faster on it than on the transposed view.
    let xt = x.t().as_standard_layout().into_owned();
    for step in 1..=MAX_STEPS {
        let pred = x.dot(&*w) + b[0];
        mse.forward_grad_into(&pred, y, &mut grad_pred)?;
        let gw = xt.dot(&grad_pred) * 0.5;
        let gb = Array1::from_elem(1, 0.5 * grad_pred.sum());
        let before = w.clone();
        prox.step(&mut *w, &gw)?;
        intercept.step(&mut *b, &gb)?;
        let moved = w
            .iter()
            .zip(&before)
            .map(|(a, c)| (a - c).abs())
            .fold(0.0, f64::max);
        if moved <= TOL && gb[0].abs() <= TOL {
            return Ok(step);
        }
    }
    Ok(MAX_STEPS)
}
