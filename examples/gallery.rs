//! A gallery of the loss functions: every regression, probabilistic and
//! classification loss of the crate, drawn with its gradient, in one image.
//!
//! Each panel sweeps one prediction across a range for a fixed target and
//! draws two curves, both computed by the crate itself over the whole sweep
//! at once (one array of predictions, one call each):
//!
//! - the loss of each point, from [`Loss::unreduced`] (PyTorch's
//!   `reduction='none'`);
//! - its derivative with respect to the prediction, from [`Loss::grad`] of
//!   the loss with `Reduction::Sum` (the gradient of a sum is each point's
//!   own derivative).
//!
//! A dashed vertical line marks the target (or, where the x axis is not in
//! the target's units, the loss's minimiser). The panels show at a glance
//! what the formulas say: where a loss is quadratic and where linear (`Mse`,
//! `Mae`, `Huber`, `SmoothL1`, `LogCosh`), that the gradient of `Mae`,
//! `Quantile` and `Hinge` jumps while `Huber`'s is continuous and bounded,
//! that `Bce` on probabilities has an unbounded gradient where
//! `BceWithLogits` on logits saturates at −1, that the focal loss flattens
//! the well-classified side, and that `BceWithLogits`, two-class
//! `CrossEntropy` and `SoftMargin` are the same curve.
//!
//! Classification losses on a row of logits (`CrossEntropy`, `Nll`,
//! `MultiMargin`) are drawn for two classes with the logits `(z, 0)` and
//! true class 0, against `z`. `GaussianNll` is drawn against the predicted
//! variance for an error of 1, the input where it differs from `Mse`.
//!
//! Run it with
//!
//! ```text
//! cargo run --release --example gallery
//! ```
//!
//! It takes a fraction of a second and writes `docs/gallery.png` (1600×1200),
//! the image shown in the README. The drawing uses plotters with an embedded
//! font, so it needs no system font or graphics library.

mod common;

use std::error::Error;
use std::path::Path;

use ndarray::{Array1, Array2, Ix1};
use ndloss::prelude::*;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// The image, in pixels.
const SIZE: (u32, u32) = (1600, 1200);
/// Height of the title and colour key above the panels.
const HEADER: u32 = 92;
const COLUMNS: usize = 5;
/// Points per sweep.
const POINTS: usize = 241;

/// One panel: a loss and its derivative over a sweep of one prediction.
struct Panel {
    title: String,
    x_label: String,
    x: Vec<f64>,
    loss: Vec<f64>,
    grad: Vec<f64>,
    /// Where the dashed vertical line goes (the target, or the minimiser).
    marker: Option<f64>,
    /// A fixed y range, for the curves that go to infinity.
    y_range: Option<(f64, f64)>,
}

impl Panel {
    fn new(
        title: &str,
        x_label: &str,
        x: Array1<f64>,
        (loss, grad): (Array1<f64>, Array1<f64>),
    ) -> Self {
        Self {
            title: title.into(),
            x_label: x_label.into(),
            x: x.to_vec(),
            loss: loss.to_vec(),
            grad: grad.to_vec(),
            marker: None,
            y_range: None,
        }
    }

    fn marker(mut self, at: f64) -> Self {
        self.marker = Some(at);
        self
    }

    fn y_range(mut self, lo: f64, hi: f64) -> Self {
        self.y_range = Some((lo, hi));
        self
    }
}

fn main() -> Result<(), Box<dyn Error>> {
    let panels = panels()?;
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("docs")
        .join("gallery.png");
    std::fs::create_dir_all(path.parent().ok_or("no parent folder")?)?;
    draw(&path, &panels)?;
    let bytes = std::fs::metadata(&path)?.len();
    println!(
        "{} losses, each with its gradient over {POINTS} points, drawn to {} ({}×{} px, {} KB)",
        panels.len(),
        path.display(),
        SIZE.0,
        SIZE.1,
        bytes.div_ceil(1024)
    );
    Ok(())
}

/// `n` evenly spaced points from `a` to `b`.
fn sweep(a: f64, b: f64) -> Array1<f64> {
    Array1::linspace(a, b, POINTS)
}

/// Loss and derivative of an element-wise loss at each point of `x`, for the
/// target `target`: `unreduced`, and the gradient of the sum.
fn pointwise<L>(loss: L, x: &Array1<f64>, target: f64) -> ndloss::Result<(Array1<f64>, Array1<f64>)>
where
    L: Loss<f64, Ix1, Unreduced = Ix1>,
{
    let t = Array1::from_elem(x.len(), target);
    Ok((loss.unreduced(x, &t)?, loss.grad(x, &t)?))
}

/// The same for a loss on a row of logits (or log-probabilities) and a class
/// index: the rows are `row(z)`, the true class is 0, and the derivative is
/// the one with respect to `z`, the first entry of the row.
fn per_row<L>(
    loss: L,
    z: &Array1<f64>,
    row: impl Fn(f64) -> [f64; 2],
) -> ndloss::Result<(Array1<f64>, Array1<f64>)>
where
    L: Loss<f64, ndarray::Ix2, usize, Ix1, Unreduced = Ix1>,
{
    let logits = Array2::from_shape_fn((z.len(), 2), |(i, j)| row(z[i])[j]);
    let classes = Array1::zeros(z.len());
    let grad = loss.grad(&logits, &classes)?;
    Ok((
        loss.unreduced(&logits, &classes)?,
        grad.column(0).to_owned(),
    ))
}

/// Every panel of the gallery, in reading order.
fn panels() -> ndloss::Result<Vec<Panel>> {
    let sum = Reduction::Sum;
    let p = sweep(-3.0, 3.0);
    let logit = sweep(-6.0, 6.0);
    let score = sweep(-3.0, 3.0);
    let pred0 = "prediction p (target 0)";
    let label1 = "logit x (label 1)";
    let two_class = "true-class logit z (logits z, 0)";

    // GaussianNll takes three inputs: prediction, target and variance.
    // Swept over the variance, with the prediction one unit off target.
    let var = sweep(0.15, 4.0);
    let ones = Array1::from_elem(POINTS, 1.0);
    let zeros = Array1::zeros(POINTS);
    let gauss = GaussianNll::new().reduction(sum);
    let (_, _, d_var) = gauss.forward_grad(&ones, &zeros, &var)?;
    let gauss_curves = (gauss.unreduced(&ones, &zeros, &var)?, d_var);

    let rate = sweep(-2.0, 2.5);
    let log_q = sweep(-4.0, 0.0);
    let prob = sweep(0.02, 0.99);
    let positive = sweep(0.01, 12.0);
    let around_two = sweep(0.0, 4.0);
    let log_p = sweep(-4.0, -0.02);

    Ok(vec![
        // Regression.
        Panel::new(
            "Mse",
            pred0,
            p.clone(),
            pointwise(Mse::new().reduction(sum), &p, 0.0)?,
        )
        .marker(0.0),
        Panel::new(
            "Mae",
            pred0,
            p.clone(),
            pointwise(Mae::new().reduction(sum), &p, 0.0)?,
        )
        .marker(0.0),
        Panel::new(
            "Huber (δ = 1.5)",
            pred0,
            p.clone(),
            pointwise(Huber::new().delta(1.5).reduction(sum), &p, 0.0)?,
        )
        .marker(0.0),
        Panel::new(
            "SmoothL1 (β = 1.5)",
            pred0,
            p.clone(),
            pointwise(SmoothL1::new().beta(1.5).reduction(sum), &p, 0.0)?,
        )
        .marker(0.0),
        Panel::new(
            "LogCosh",
            pred0,
            p.clone(),
            pointwise(LogCosh::new().reduction(sum), &p, 0.0)?,
        )
        .marker(0.0),
        Panel::new(
            "Quantile (τ = 0.9)",
            pred0,
            p.clone(),
            pointwise(Quantile::new().tau(0.9).reduction(sum), &p, 0.0)?,
        )
        .marker(0.0),
        Panel::new(
            "Msle",
            "prediction p (target 3)",
            positive.clone(),
            pointwise(Msle::new().reduction(sum), &positive, 3.0)?,
        )
        .marker(3.0),
        Panel::new(
            "Mape (percent)",
            "prediction p (target 2)",
            around_two.clone(),
            pointwise(Mape::new().reduction(sum), &around_two, 2.0)?,
        )
        .marker(2.0),
        // Probabilistic.
        Panel::new(
            "PoissonNll (log input)",
            "log-rate x (count 2; min at ln 2)",
            rate.clone(),
            pointwise(PoissonNll::new().reduction(sum), &rate, 2.0)?,
        )
        .marker(2.0_f64.ln()),
        Panel::new(
            "GaussianNll (vs variance)",
            "variance v (error 1; min at v = 1)",
            var,
            gauss_curves,
        )
        .marker(1.0)
        .y_range(-3.0, 3.0),
        Panel::new(
            "KlDiv",
            "log-probability x (target 0.4)",
            log_q.clone(),
            pointwise(KlDiv::new().reduction(sum), &log_q, 0.4)?,
        )
        .marker(0.4_f64.ln()),
        // Classification.
        Panel::new(
            "Bce",
            "probability p (label 1)",
            prob.clone(),
            pointwise(Bce::new().reduction(sum), &prob, 1.0)?,
        )
        .y_range(-6.0, 4.5),
        Panel::new(
            "BceWithLogits",
            label1,
            logit.clone(),
            pointwise(BceWithLogits::new().reduction(sum), &logit, 1.0)?,
        ),
        Panel::new(
            "SigmoidFocal (α = 0.25, γ = 2)",
            label1,
            logit.clone(),
            pointwise(SigmoidFocal::new().reduction(sum), &logit, 1.0)?,
        ),
        Panel::new(
            "BinaryFocal (Keras, logits)",
            label1,
            logit.clone(),
            pointwise(
                BinaryFocal::new().from_logits(true).reduction(sum),
                &logit,
                1.0,
            )?,
        ),
        Panel::new(
            "BinarySparsemax (optax)",
            label1,
            logit.clone(),
            pointwise(BinarySparsemax::new().reduction(sum), &logit, 1.0)?,
        ),
        Panel::new(
            "Perceptron (optax, label +1)",
            "score x",
            score.clone(),
            pointwise(Perceptron::new().reduction(sum), &score, 1.0)?,
        ),
        Panel::new(
            "CrossEntropy (2 classes)",
            two_class,
            logit.clone(),
            per_row(CrossEntropy::new().reduction(sum), &logit, |z| [z, 0.0])?,
        ),
        Panel::new(
            "Nll (2 classes)",
            "log-probability x of the true class",
            log_p.clone(),
            per_row(Nll::new().reduction(sum), &log_p, |x| {
                [x, (-x.exp()).ln_1p()]
            })?,
        ),
        Panel::new(
            "Sparsemax (optax, 2 classes)",
            two_class,
            logit.clone(),
            per_row(Sparsemax::new().reduction(sum), &logit, |z| [z, 0.0])?,
        ),
        Panel::new(
            "MulticlassHinge (optax, 2 classes)",
            two_class,
            score.clone(),
            per_row(MulticlassHinge::new().reduction(sum), &score, |z| [z, 0.0])?,
        ),
        Panel::new(
            "MultiMargin (2 classes)",
            two_class,
            score.clone(),
            per_row(MultiMargin::new().reduction(sum), &score, |z| [z, 0.0])?,
        ),
        Panel::new(
            "Hinge",
            "score s (label 1)",
            score.clone(),
            pointwise(Hinge::new().reduction(sum), &score, 1.0)?,
        ),
        Panel::new(
            "SquaredHinge",
            "score s (label 1)",
            score.clone(),
            pointwise(SquaredHinge::new().reduction(sum), &score, 1.0)?,
        ),
        Panel::new(
            "SoftMargin",
            "score s (label 1)",
            logit.clone(),
            pointwise(SoftMargin::new().reduction(sum), &logit, 1.0)?,
        ),
    ])
}

// ---------------------------------------------------------------------------
// Drawing
// ---------------------------------------------------------------------------

const GRID_COLOR: RGBColor = RGBColor(225, 225, 225);
const AXIS_COLOR: RGBColor = RGBColor(120, 120, 120);

fn loss_color() -> RGBColor {
    common::color(0)
}

fn grad_color() -> RGBColor {
    common::color(1)
}

/// Drawing is done at `SCALE` times the image size and then shrunk, each
/// output pixel the mean of `SCALE × SCALE` drawn ones: plotters' bitmap
/// backend does not anti-alias thick lines, this does (and smooths the text).
const SCALE: u32 = 2;

/// A length in output pixels, in drawn pixels.
fn px(v: u32) -> u32 {
    v * SCALE
}

/// A coordinate in output pixels, in drawn pixels.
fn at(v: i32) -> i32 {
    v * SCALE as i32
}

/// Draws all panels, under a title and a colour key, into one PNG.
fn draw(path: &Path, panels: &[Panel]) -> Result<(), Box<dyn Error>> {
    common::register_fonts();
    let big = (px(SIZE.0), px(SIZE.1));
    let mut canvas = vec![0_u8; 3 * big.0 as usize * big.1 as usize];
    {
        let root = BitMapBackend::with_buffer(&mut canvas, big).into_drawing_area();
        root.fill(&WHITE)?;
        let (header, body) = root.split_vertically(px(HEADER));
        draw_header(&header)?;
        let rows = panels.len().div_ceil(COLUMNS);
        for (area, panel) in body.split_evenly((rows, COLUMNS)).iter().zip(panels) {
            draw_panel(area, panel)?;
        }
        root.present()?;
    }
    let image = shrink(&canvas, big, SCALE);
    let mut file = BitMapBackend::new(path, SIZE);
    file.blit_bitmap((0, 0), SIZE, &image)?;
    file.present()?;
    Ok(())
}

/// An RGB image of `size` shrunk by `factor`: each output pixel is the mean
/// of a `factor × factor` block.
fn shrink(rgb: &[u8], size: (u32, u32), factor: u32) -> Vec<u8> {
    let (w, h, f) = (size.0 as usize, size.1 as usize, factor as usize);
    let (ow, oh) = (w / f, h / f);
    let mut out = vec![0_u8; 3 * ow * oh];
    for y in 0..oh {
        for x in 0..ow {
            for c in 0..3 {
                let sum: u32 = (0..f)
                    .flat_map(|dy| (0..f).map(move |dx| (dy, dx)))
                    .map(|(dy, dx)| u32::from(rgb[3 * ((y * f + dy) * w + x * f + dx) + c]))
                    .sum();
                out[3 * (y * ow + x) + c] = ((sum + (f * f / 2) as u32) / (f * f) as u32) as u8;
            }
        }
    }
    out
}

/// The title and the key: which colour is the loss, which the gradient.
fn draw_header(area: &DrawingArea<BitMapBackend<'_>, Shift>) -> Result<(), Box<dyn Error>> {
    let width = area.dim_in_pixel().0 as i32;
    let title = TextStyle::from(("sans-serif", px(30)).into_font().style(FontStyle::Bold));
    area.draw(&Text::new(
        "ndloss: every regression and classification loss, with its gradient",
        (width / 2, at(14)),
        title.pos(Pos::new(HPos::Center, VPos::Top)),
    ))?;
    let key = TextStyle::from(("sans-serif", px(19)).into_font());
    let entries: [(&str, ShapeStyle); 3] = [
        ("loss ℓ", loss_color().stroke_width(px(3))),
        (
            "gradient ∂ℓ/∂(x-axis variable)",
            grad_color().stroke_width(px(3)),
        ),
        ("target (or minimiser)", AXIS_COLOR.stroke_width(px(2))),
    ];
    // Centre the key: measure it first.
    let gap = at(48);
    let sample = at(50); // line sample and the space after it
    let widths = entries
        .iter()
        .map(|(label, _)| Ok(area.estimate_text_size(label, &key)?.0 as i32))
        .collect::<Result<Vec<i32>, Box<dyn Error>>>()?;
    let total = widths.iter().map(|w| sample + w).sum::<i32>() + gap * (entries.len() as i32 - 1);
    let (mut x, y) = ((width - total) / 2, at(66));
    for (i, ((label, style), w)) in entries.into_iter().zip(widths).enumerate() {
        if i == 2 {
            let mid = x + at(20);
            area.draw(&plotters::element::DashedPathElement::new(
                [(mid, y - at(13)), (mid, y + at(13))],
                px(6),
                px(4),
                style,
            ))?;
        } else {
            area.draw(&PathElement::new(vec![(x, y), (x + at(40), y)], style))?;
        }
        area.draw(&Text::new(
            label,
            (x + sample, y),
            key.clone().pos(Pos::new(HPos::Left, VPos::Center)),
        ))?;
        x += sample + w + gap;
    }
    Ok(())
}

fn draw_panel(
    area: &DrawingArea<BitMapBackend<'_>, Shift>,
    panel: &Panel,
) -> Result<(), Box<dyn Error>> {
    let (x0, x1) = (panel.x[0], panel.x[panel.x.len() - 1]);
    let (y0, y1) = panel.y_range.unwrap_or_else(|| auto_range(panel));
    let mut chart = ChartBuilder::on(&area.margin(px(6), px(8), px(10), px(14)))
        .caption(
            &panel.title,
            ("sans-serif", px(20)).into_font().style(FontStyle::Bold),
        )
        .x_label_area_size(px(42))
        .y_label_area_size(px(40))
        .build_cartesian_2d(x0..x1, y0..y1)?;
    chart
        .configure_mesh()
        .x_desc(&panel.x_label)
        .axis_desc_style(("sans-serif", px(15)))
        .label_style(("sans-serif", px(13)))
        .x_labels(7)
        .y_labels(6)
        .max_light_lines(0)
        .bold_line_style(GRID_COLOR.stroke_width(px(1)))
        .axis_style(BLACK.stroke_width(px(1)))
        .set_all_tick_mark_size(px(4))
        .x_label_formatter(&|v| tick(*v))
        .y_label_formatter(&|v| tick(*v))
        .draw()?;

    // The zero line and the target.
    if y0 < 0.0 && y1 > 0.0 {
        chart.draw_series(LineSeries::new(
            [(x0, 0.0), (x1, 0.0)],
            AXIS_COLOR.stroke_width(px(1)),
        ))?;
    }
    if let Some(m) = panel.marker {
        chart.draw_series(DashedLineSeries::new(
            [(m, y0), (m, y1)],
            px(6),
            px(4),
            AXIS_COLOR.stroke_width(px(2)),
        ))?;
    }
    // The gradient under the loss, so the loss stays visible where they meet.
    for (values, style) in [
        (&panel.grad, grad_color().stroke_width(px(2))),
        (&panel.loss, loss_color().stroke_width(px(3))),
    ] {
        for segment in visible_segments(&panel.x, values, (y0, y1)) {
            chart.draw_series(LineSeries::new(segment, style))?;
        }
    }
    Ok(())
}

/// A y range holding both curves and zero, padded by 8%.
fn auto_range(panel: &Panel) -> (f64, f64) {
    let values = panel
        .loss
        .iter()
        .chain(&panel.grad)
        .copied()
        .filter(|v| v.is_finite());
    let (lo, hi) = values.fold((0.0_f64, 0.0_f64), |(l, h), v| (l.min(v), h.max(v)));
    let pad = 0.08 * (hi - lo).max(1e-9);
    (lo - pad, hi + pad)
}

/// The parts of the curve `(x, y)` inside the y range, each a separate line,
/// cut exactly where the curve leaves the range (steep curves are clipped
/// at the panel's edge instead of being drawn over its neighbours).
fn visible_segments(x: &[f64], y: &[f64], (lo, hi): (f64, f64)) -> Vec<Vec<(f64, f64)>> {
    let inside = |v: f64| (lo..=hi).contains(&v);
    let clamp = |v: f64| v.clamp(lo, hi);
    let mut segments = Vec::new();
    let mut current: Vec<(f64, f64)> = Vec::new();
    for i in 0..x.len() {
        let (xi, yi) = (x[i], y[i]);
        if !yi.is_finite() {
            segments.push(std::mem::take(&mut current));
            continue;
        }
        if i > 0 && y[i - 1].is_finite() && inside(yi) != inside(y[i - 1]) {
            // Where the segment from the previous point crosses the edge.
            let (xp, yp) = (x[i - 1], y[i - 1]);
            let edge = if inside(yi) { clamp(yp) } else { clamp(yi) };
            let xe = xp + (xi - xp) * (edge - yp) / (yi - yp);
            current.push((xe, edge));
            if !inside(yi) {
                segments.push(std::mem::take(&mut current));
            }
        }
        if inside(yi) {
            current.push((xi, yi));
        }
    }
    segments.push(current);
    segments.retain(|s| s.len() > 1);
    segments
}

/// A short tick label: `2`, `0.5`, `-1.25`, `100`.
fn tick(v: f64) -> String {
    if v.abs() < 1e-9 {
        return "0".into();
    }
    let s = format!("{v:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}
