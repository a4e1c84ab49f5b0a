//! Diabetes: linear regression with five objectives, checked against exact
//! solutions.
//!
//! The diabetes data of Efron, Hastie, Johnstone and Tibshirani (2004),
//! shipped by the `linfa-datasets` crate (scikit-learn's `load_diabetes()`,
//! as in its scaled data file): 442 patients, ten baseline measurements (age,
//! sex, body mass index, blood pressure and six blood serum measurements),
//! and a quantitative measure of disease progression one year later. (The
//! packaged file loses its first row to a header bug; `common::diabetes` puts
//! it back and checks that all 442 rows are there.)
//!
//! The model is linear, `ŷ = x·w + b`. The features are standardised (mean 0,
//! standard deviation 1, as scikit-learn's `StandardScaler`), so the
//! coefficients are comparable with each other; the target is left in its
//! units and the model has an intercept `b`, which is never penalised. Every
//! model is trained full-batch from zero, and every gradient is written out:
//! the loss gives `∂loss/∂ŷ`, and `∂/∂w = Xᵀ·∂loss/∂ŷ`, `∂/∂b = Σ ∂loss/∂ŷ`.
//!
//! 1. **Least squares.** [`Mse`] + [`Adam`] against the closed-form solution
//!    of the normal equations `[X 1]ᵀ[X 1]·θ = [X 1]ᵀy`, solved by a
//!    Cholesky factorisation (`common::least_squares`, a few lines of f64).
//!    Required: R² within 1e-3 of it.
//! 2. **Three losses.** The same model trained with [`Mse`], [`Huber`] and
//!    [`Mae`]; each one wins on the metric it optimises (RMSE for `Mse`, MAE
//!    for `Mae`), as the table shows.
//! 3. **Ridge.** `Mse.regularized(L2::new(λ))` (objective `mean r² + λ‖w‖²`)
//!    with Adam, against its closed form `(XᵀX + nλ·I)w = Xᵀy` (intercept
//!    unpenalised).
//! 4. **Lasso.** `Proximal::new(Sgd::new(lr), L1::new(α))`, i.e. proximal
//!    gradient descent (ISTA), on scikit-learn's objective
//!    `‖y − Xw − b‖²/(2n) + α‖w‖₁` (so the data gradient is half `Mse`'s),
//!    against coordinate descent written in this file (scikit-learn's
//!    algorithm for `Lasso`), at scikit-learn's default `alpha = 1`. Both
//!    must give the same exact zeros.
//!
//! Run it with
//!
//! ```text
//! cargo run --release --example diabetes
//! ```
//!
//! It writes the loss curves to `target/ndloss-examples/diabetes_loss.png`
//! and exits with status 1 if any of the checks above fails.

mod common;

use ndarray::{Array1, Array2, ArrayView1, Axis};
use ndloss::metrics::{mean_absolute_error, r2_score, root_mean_squared_error};
use ndloss::optim::schedule::{LrScheduler, Schedule};
use ndloss::prelude::*;

/// Full-batch Adam steps for each smooth or robust loss.
const ADAM_STEPS: u64 = 4000;
/// Adam's initial learning rate, annealed to 0 by a cosine schedule. The
/// target is in its own units (mean 152), so the intercept has far to go.
const ADAM_LR: f64 = 2.0;
/// Huber's threshold, in target units: about half the residual standard
/// deviation of the least-squares fit (54), so the large residuals count
/// linearly.
const HUBER_DELTA: f64 = 25.0;
/// Ridge strength in `mean r² + λ‖w‖²` (scikit-learn's `Ridge(alpha)` with
/// `alpha = n·λ = 22.1`).
const RIDGE_LAMBDA: f64 = 0.05;
/// Lasso strength: scikit-learn's default `Lasso(alpha=1.0)`.
const LASSO_ALPHA: f64 = 1.0;
/// Proximal gradient steps, and the step size: `lr ≤ 1/L` with `L` the
/// largest eigenvalue of `XᵀX/n` (about 4.0 for these standardised features).
const ISTA_STEPS: u64 = 3_000;
const ISTA_LR: f64 = 0.2;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The data: 442 × 10, standardised features, target as is.
    let data = common::diabetes();
    let (n, d) = data.x.dim();
    let (x, _, _) = common::standardize(&data.x);
    let y = data.y;
    let names = &data.feature_names;
    println!(
        "diabetes: {n} patients, {d} features ({})",
        names.join(", ")
    );
    println!(
        "target: disease progression after one year, {}–{}, mean {:.1}",
        y.fold(f64::INFINITY, |a, &b| a.min(b)),
        y.fold(f64::NEG_INFINITY, |a, &b| a.max(b)),
        y.mean().unwrap_or(f64::NAN)
    );
    println!("features standardised (mean 0, sd 1); target in its units; model ŷ = x·w + b");
    let mut failures: Vec<String> = Vec::new();
    let mut curves: Vec<(&str, Vec<f64>)> = Vec::new();

    // ---- 1. Least squares: Mse + Adam against the normal equations -------
    let (ols_w, ols_b) = common::least_squares(&x, &y, 0.0);
    let ols_r2: f64 = r2_score(&y, &predict(&x, &ols_w, ols_b), None)?;

    let mse = Mse::new();
    let fit = train_adam(
        &x,
        &y,
        "Mse",
        Some(&ols_w),
        |p, t, g, _| mse.forward_grad_into(p, t, g),
        |_, _| Ok(()),
    )?;
    let mse_r2: f64 = r2_score(&y, &predict(&x, &fit.w, fit.b), None)?;
    let ols_dw = max_abs_diff(fit.w.view(), ols_w.view());
    curves.push(("Mse", fit.curve.clone()));
    println!();
    println!(
        "1. Least squares: Mse + Adam ({ADAM_STEPS} full-batch steps) vs the normal equations"
    );
    println!("   closed form (Cholesky)   R² = {ols_r2:.6}   b = {ols_b:.4}");
    println!(
        "   Mse + Adam               R² = {mse_r2:.6}   b = {:.4}",
        fit.b
    );
    println!(
        "   |ΔR²| = {:.1e} (required < 1e-3), max |Δw| = {ols_dw:.1e}",
        (mse_r2 - ols_r2).abs()
    );
    if (mse_r2 - ols_r2).abs().is_nan() || (mse_r2 - ols_r2).abs() >= 1e-3 {
        failures.push(format!(
            "Mse + Adam R² {mse_r2} is not within 1e-3 of {ols_r2}"
        ));
    }

    // ---- 2. Three losses, one model ---------------------------------------
    let huber = Huber::new().delta(HUBER_DELTA);
    let mae = Mae::new();
    let huber_fit = train_adam(
        &x,
        &y,
        "Huber",
        None,
        |p, t, g, _| huber.forward_grad_into(p, t, g),
        |_, _| Ok(()),
    )?;
    let mae_fit = train_adam(
        &x,
        &y,
        "Mae",
        None,
        |p, t, g, _| mae.forward_grad_into(p, t, g),
        |_, _| Ok(()),
    )?;
    curves.push(("Huber(δ = 25)", huber_fit.curve.clone()));
    curves.push(("Mae", mae_fit.curve.clone()));
    println!();
    println!("2. One linear model, three losses (Adam, {ADAM_STEPS} full-batch steps each)");
    println!(
        "   {:<22} {:>8} {:>8} {:>8}",
        "trained with", "R²", "RMSE", "MAE"
    );
    let huber_name = format!("Huber (δ = {HUBER_DELTA})");
    for (name, f) in [
        ("Mse", &fit),
        (huber_name.as_str(), &huber_fit),
        ("Mae", &mae_fit),
    ] {
        let pred = predict(&x, &f.w, f.b);
        let r2: f64 = r2_score(&y, &pred, None)?;
        let rmse: f64 = root_mean_squared_error(&y, &pred, None)?;
        let mae: f64 = mean_absolute_error(&y, &pred, None)?;
        println!("   {name:<22} {r2:>8.4} {rmse:>8.3} {mae:>8.3}");
    }

    // ---- 3. Ridge: Mse + L2 against its closed form ------------------------
    let (ridge_w, ridge_b) = common::least_squares(&x, &y, RIDGE_LAMBDA);
    let ridge = Mse::new().regularized(L2::new(RIDGE_LAMBDA));
    // The penalty sees only w: `forward_grad_into(…, &w)` adds λ‖w‖² to the
    // value, `add_penalty_grad(&w, &mut gw)` adds 2λw to w's gradient.
    let ridge_fit = train_adam(
        &x,
        &y,
        "Mse + L2",
        Some(&ridge_w),
        |p, t, g, w| ridge.forward_grad_into(p, t, g, w),
        |w, gw| ridge.add_penalty_grad(w, gw),
    )?;
    let ridge_dw = max_abs_diff(ridge_fit.w.view(), ridge_w.view());
    let ridge_db = (ridge_fit.b - ridge_b).abs();
    curves.push(("Mse + L2(0.05)", ridge_fit.curve.clone()));
    println!();
    println!("3. Ridge: Mse.regularized(L2::new({RIDGE_LAMBDA})) + Adam vs (XᵀX + nλ·I)w = Xᵀy");
    println!(
        "   max |w − w_closed| = {ridge_dw:.1e}, |b − b_closed| = {ridge_db:.1e} (required < 1e-3)"
    );
    if ridge_dw.is_nan() || ridge_dw.max(ridge_db) >= 1e-3 {
        failures.push(format!(
            "ridge coefficients differ from the closed form by {ridge_dw}"
        ));
    }

    // ---- 4. Lasso: proximal SGD against coordinate descent -----------------
    let (cd_w, cd_b, sweeps) = lasso_coordinate_descent(&x, &y, LASSO_ALPHA);
    let lasso_fit = train_lasso(&x, &y, LASSO_ALPHA, &cd_w)?;
    let lasso_dw = max_abs_diff(lasso_fit.w.view(), cd_w.view());
    let same_zeros = lasso_fit
        .w
        .iter()
        .zip(&cd_w)
        .all(|(a, b)| (*a == 0.0) == (*b == 0.0));
    curves.push(("lasso ½Mse + L1(1), proximal SGD", lasso_fit.curve.clone()));
    let zeros: Vec<&str> = cd_w
        .iter()
        .zip(names)
        .filter(|(w, _)| **w == 0.0)
        .map(|(_, n)| n.as_str())
        .collect();
    println!();
    println!(
        "4. Lasso (α = {LASSO_ALPHA}): Proximal::new(Sgd::new({ISTA_LR}), L1::new(α)), {ISTA_STEPS} steps, \
         vs coordinate descent ({sweeps} sweeps)"
    );
    println!(
        "   zero pattern: {} ({} zeros: {}); max |Δw| = {lasso_dw:.1e}, |Δb| = {:.1e}",
        if same_zeros { "identical" } else { "DIFFERENT" },
        zeros.len(),
        zeros.join(", "),
        (lasso_fit.b - cd_b).abs()
    );
    if !same_zeros || lasso_dw.is_nan() || lasso_dw >= 1e-6 {
        failures.push(format!(
            "lasso: zero pattern identical: {same_zeros}, max |Δw| {lasso_dw}"
        ));
    }

    // ---- The coefficients side by side --------------------------------------
    println!();
    println!("Coefficients (per standard deviation of each feature)");
    println!(
        "   {:<9}{:>12}{:>12}{:>12}{:>12}{:>12}{:>12}",
        "feature", "OLS exact", "Mse+Adam", "ridge exact", "Mse+L2", "lasso CD", "prox SGD"
    );
    // Exact zeros (the lasso's) are printed as "0".
    let row = |name: &str, v: [f64; 6]| {
        let cells: Vec<String> = v
            .iter()
            .map(|c| {
                if *c == 0.0 {
                    format!("{:>12}", "0")
                } else {
                    format!("{c:>12.4}")
                }
            })
            .collect();
        println!("   {name:<9}{}", cells.join(""));
    };
    for j in 0..d {
        row(
            &names[j],
            [
                ols_w[j],
                fit.w[j],
                ridge_w[j],
                ridge_fit.w[j],
                cd_w[j],
                lasso_fit.w[j],
            ],
        );
    }
    row(
        "intercept",
        [ols_b, fit.b, ridge_b, ridge_fit.b, cd_b, lasso_fit.b],
    );

    // ---- The pictures: loss curves, and the distance to the exact solutions
    let log_log = |c: &[f64], scale: f64| -> Vec<(f64, f64)> {
        c.iter()
            .enumerate()
            .map(|(i, v)| ((i + 1) as f64, v / scale))
            .collect()
    };
    let relative: Vec<(&str, Vec<(f64, f64)>)> = curves
        .iter()
        .map(|(name, c)| (*name, log_log(c, c[0])))
        .collect();
    let refs: Vec<(&str, &[(f64, f64)])> =
        relative.iter().map(|(n, c)| (*n, c.as_slice())).collect();
    let loss_path = common::out_dir().join("diabetes_loss.png");
    common::plot_xy(
        &loss_path,
        "Diabetes, linear model: training loss ÷ loss at step 1",
        "full-batch step (log scale)",
        "relative loss (log scale)",
        &refs,
        true,
        true,
        false,
    )?;
    let gaps = [
        ("Mse + Adam vs least squares", log_log(&fit.gap, 1.0)),
        ("Mse + L2 + Adam vs ridge", log_log(&ridge_fit.gap, 1.0)),
        ("Proximal(Sgd, L1) vs lasso", log_log(&lasso_fit.gap, 1.0)),
    ];
    let refs: Vec<(&str, &[(f64, f64)])> = gaps.iter().map(|(n, c)| (*n, c.as_slice())).collect();
    let gap_path = common::out_dir().join("diabetes_convergence.png");
    common::plot_xy(
        &gap_path,
        "Diabetes: distance to the exact solution, max |w − w*|",
        "full-batch step (log scale)",
        "max |w − w*| (log scale)",
        &refs,
        true,
        true,
        false,
    )?;
    println!();
    println!("loss curves:            {}", loss_path.display());
    println!("distance to the optima: {}", gap_path.display());

    if !failures.is_empty() {
        for f in &failures {
            eprintln!("error: {f}");
        }
        std::process::exit(1);
    }
    Ok(())
}

/// `x·w + b`.
fn predict(x: &Array2<f64>, w: &Array1<f64>, b: f64) -> Array1<f64> {
    x.dot(w) + b
}

fn max_abs_diff(a: ArrayView1<f64>, b: ArrayView1<f64>) -> f64 {
    a.iter()
        .zip(b)
        .map(|(p, q)| (p - q).abs())
        .fold(0.0, f64::max)
}

/// A trained linear model and its loss at every step.
struct Fit {
    w: Array1<f64>,
    b: f64,
    curve: Vec<f64>,
    /// `max |w − w_exact|` at every step, when an exact solution was given.
    gap: Vec<f64>,
}

/// Full-batch Adam from zero, with a cosine-annealed learning rate.
///
/// `loss(pred, target, grad_pred, w)` returns the objective and writes
/// `∂loss/∂pred`; `penalty_grad(w, gw)` adds the penalty's gradient (if any)
/// to `w`'s.
fn train_adam(
    x: &Array2<f64>,
    y: &Array1<f64>,
    label: &str,
    exact: Option<&Array1<f64>>,
    loss: impl Fn(&Array1<f64>, &Array1<f64>, &mut Array1<f64>, &Array1<f64>) -> ndloss::Result<f64>,
    penalty_grad: impl Fn(&Array1<f64>, &mut Array1<f64>) -> ndloss::Result<()>,
) -> ndloss::Result<Fit> {
    let (n, d) = x.dim();
    let (mut w, mut b) = (Array1::<f64>::zeros(d), Array1::<f64>::zeros(1));
    let mut adam = Adam::new(ADAM_LR);
    let mut schedule = LrScheduler::new(Schedule::cosine_annealing_lr(ADAM_STEPS, 0.0), &mut adam)?;
    let mut grad_pred = Array1::<f64>::zeros(n);
    let mut curve = Vec::with_capacity(ADAM_STEPS as usize);
    let mut gap = Vec::new();
    let bar = common::progress(ADAM_STEPS, label);
    for step in 0..ADAM_STEPS {
        if let Some(exact) = exact {
            gap.push(max_abs_diff(w.view(), exact.view()));
        }
        let pred = x.dot(&w) + b[0];
        let value = loss(&pred, y, &mut grad_pred, &w)?;
        curve.push(value);
        let mut gw = x.t().dot(&grad_pred);
        let gb = Array1::from_elem(1, grad_pred.sum());
        penalty_grad(&w, &mut gw)?;
        adam.step((&mut w, &mut b), (&gw, &gb))?;
        schedule.step(&mut adam)?;
        if step % 100 == 0 {
            bar.set_message(format!("loss {value:.4}"));
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    Ok(Fit {
        w,
        b: b[0],
        curve,
        gap,
    })
}

/// The lasso by proximal gradient descent: `Proximal(Sgd, L1)` on `w` (a
/// gradient step, then soft-thresholding by `lr·α`), and plain `Sgd` on the
/// unpenalised intercept. scikit-learn's objective is `Mse/2 + α‖w‖₁`, so
/// the gradients are half of `Mse`'s.
fn train_lasso(
    x: &Array2<f64>,
    y: &Array1<f64>,
    alpha: f64,
    exact: &Array1<f64>,
) -> ndloss::Result<Fit> {
    let (n, d) = x.dim();
    let (mut w, mut b) = (Array1::<f64>::zeros(d), Array1::<f64>::zeros(1));
    let mut prox = Proximal::new(Sgd::new(ISTA_LR), L1::new(alpha));
    let mut intercept = Sgd::new(ISTA_LR);
    let mse = Mse::new();
    let mut grad_pred = Array1::<f64>::zeros(n);
    let mut curve = Vec::with_capacity(ISTA_STEPS as usize);
    let mut gap = Vec::with_capacity(ISTA_STEPS as usize);
    let bar = common::progress(ISTA_STEPS, "lasso");
    for step in 0..ISTA_STEPS {
        gap.push(max_abs_diff(w.view(), exact.view()));
        let pred = x.dot(&w) + b[0];
        let value =
            0.5 * mse.forward_grad_into(&pred, y, &mut grad_pred)? + L1::new(alpha).penalty(&w)?;
        curve.push(value);
        let gw = x.t().dot(&grad_pred) * 0.5;
        let gb = Array1::from_elem(1, 0.5 * grad_pred.sum());
        prox.step(&mut w, &gw)?;
        intercept.step(&mut b, &gb)?;
        if step % 500 == 0 {
            bar.set_message(format!("objective {value:.4}"));
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    Ok(Fit {
        w,
        b: b[0],
        curve,
        gap,
    })
}

/// scikit-learn's lasso, `‖y − Xw − b‖²/(2n) + α‖w‖₁`, by cyclic coordinate
/// descent (the algorithm of `sklearn.linear_model.Lasso`). With centred
/// columns the intercept is `mean(y) − mean(X)·w`, so we centre `X` and `y`,
/// solve without intercept, and put it back. Each coordinate update is exact:
/// `w_j ← S(x_jᵀ(r + x_j w_j)/n, α) / (x_jᵀx_j/n)`, `S` the soft threshold.
/// Returns `w`, `b` and the number of sweeps until no coefficient moved by
/// more than 1e-15.
fn lasso_coordinate_descent(
    x: &Array2<f64>,
    y: &Array1<f64>,
    alpha: f64,
) -> (Array1<f64>, f64, usize) {
    let (n, d) = x.dim();
    let x_mean = x.mean_axis(Axis(0)).expect("rows");
    let y_mean = y.mean().expect("rows");
    let xc = x - &x_mean;
    let mut r = y - y_mean; // residual of w = 0
    let mut w = Array1::<f64>::zeros(d);
    let col_sq: Vec<f64> = xc
        .axis_iter(Axis(1))
        .map(|c| c.dot(&c) / n as f64)
        .collect();
    let mut sweeps = 0;
    loop {
        sweeps += 1;
        let mut moved = 0.0_f64;
        for j in 0..d {
            let col = xc.column(j);
            let rho = col.dot(&r) / n as f64 + col_sq[j] * w[j];
            let new = rho.signum() * (rho.abs() - alpha).max(0.0) / col_sq[j];
            let delta = new - w[j];
            if delta != 0.0 {
                r.scaled_add(-delta, &col);
                w[j] = new;
                moved = moved.max(delta.abs());
            }
        }
        if moved <= 1e-15 || sweeps == 1_000_000 {
            break;
        }
    }
    let b = y_mean - x_mean.dot(&w);
    (w, b, sweeps)
}
