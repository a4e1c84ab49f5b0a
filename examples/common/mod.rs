//! Helpers shared by the examples (each example says `mod common;`).
//!
//! - where the images go ([`out_dir`]) and a progress bar ([`progress`]);
//! - line charts written to PNG ([`plot_curves`], [`plot_xy`]) with fonts
//!   embedded in the binary ([`register_fonts`]), so that they render on a
//!   machine without any system font or graphics library;
//! - the real data sets from `linfa-datasets` ([`iris`], [`diabetes`]),
//!   converted to this crate's ndarray 0.17 ([`array2_from`]), with the
//!   packaged diabetes file repaired (see [`diabetes`]);
//! - feature standardisation ([`standardize`]) and a small seeded PRNG
//!   ([`SplitMix64`]).
//!
//! Not every example uses every helper, hence the `dead_code` allowances.

#![allow(dead_code)]

use std::error::Error;
use std::path::{Path, PathBuf};
use std::sync::Once;

use indicatif::{ProgressBar, ProgressStyle};
use ndarray::{s, Array1, Array2, Axis};
use plotters::coord::ranged1d::ValueFormatter;
use plotters::prelude::*;

// ---------------------------------------------------------------------------
// Output folder and progress bar
// ---------------------------------------------------------------------------

/// The folder the examples write their images to, `target/ndloss-examples/`
/// of this crate, created if needed.
pub fn out_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target")
        .join("ndloss-examples");
    if let Err(e) = std::fs::create_dir_all(&dir) {
        panic!("cannot create {}: {e}", dir.display());
    }
    dir
}

/// A progress bar of `steps` steps labelled `label`, drawn on standard error.
///
/// It is hidden when standard error is not a terminal (a pipe, a file, CI),
/// so the printed results stay clean. Show the current loss with
/// `bar.set_message(format!("loss {loss:.4}"))`; finish with
/// `bar.finish_and_clear()` (or `finish()` to leave it on screen).
pub fn progress(steps: u64, label: &str) -> ProgressBar {
    let style = ProgressStyle::with_template(
        "{prefix:>14.bold} [{bar:36.cyan/blue}] {pos:>6}/{len:<6} {elapsed:>4} {msg}",
    )
    .expect("valid progress template")
    .progress_chars("=> ");
    let bar = ProgressBar::new(steps).with_style(style);
    bar.set_prefix(label.to_string());
    bar
}

// ---------------------------------------------------------------------------
// Fonts and charts
// ---------------------------------------------------------------------------

/// Registers the DejaVu fonts embedded by the `dejavu` crate with plotters'
/// `ab_glyph` text backend, under the family names plotters uses
/// (`"sans-serif"`, `"serif"`, `"monospace"`). Idempotent; [`plot_curves`]
/// and [`plot_xy`] call it. Call it yourself before drawing text with
/// plotters directly.
///
/// plotters is built with `default-features = false` and the `ab_glyph`
/// feature: it never looks for system fonts (no fontconfig, no freetype), so
/// any text drawn in a family that was not registered here is an error.
pub fn register_fonts() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let fonts: [(&str, FontStyle, &'static [u8]); 7] = [
            ("sans-serif", FontStyle::Normal, dejavu::sans::regular()),
            ("sans-serif", FontStyle::Bold, dejavu::sans::bold()),
            ("sans-serif", FontStyle::Italic, dejavu::sans::oblique()),
            ("sans-serif", FontStyle::Oblique, dejavu::sans::oblique()),
            ("serif", FontStyle::Normal, dejavu::serif::regular()),
            ("monospace", FontStyle::Normal, dejavu::sans_mono::regular()),
            ("monospace", FontStyle::Bold, dejavu::sans_mono::bold()),
        ];
        for (family, style, bytes) in fonts {
            if plotters::style::register_font(family, style, bytes).is_err() {
                panic!("the embedded DejaVu font for {family:?} is not a valid TTF");
            }
        }
    });
}

/// A colour-blind-friendly palette (Okabe-Ito), then plotters' own.
pub fn color(i: usize) -> RGBColor {
    const OKABE_ITO: [RGBColor; 7] = [
        RGBColor(0, 114, 178),
        RGBColor(213, 94, 0),
        RGBColor(0, 158, 115),
        RGBColor(204, 121, 167),
        RGBColor(230, 159, 0),
        RGBColor(86, 180, 233),
        RGBColor(0, 0, 0),
    ];
    if i < OKABE_ITO.len() {
        OKABE_ITO[i]
    } else {
        let (r, g, b) = Palette99::COLORS[i % Palette99::COLORS.len()];
        RGBColor(r, g, b)
    }
}

/// Image size of the charts, in pixels.
pub const CHART_SIZE: (u32, u32) = (900, 560);

/// Loss curves: each series is drawn against its index `1, 2, …, len` (epoch
/// or step), with a legend; `log_y` draws the y axis on a log scale
/// (non-positive values are then left out). Writes a PNG to `path`.
///
/// ```ignore
/// common::plot_curves(&path, "Training loss", "epoch", "MSE", &[("train", &losses)], true)?;
/// ```
pub fn plot_curves(
    path: &Path,
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[(&str, &[f64])],
    log_y: bool,
) -> Result<(), Box<dyn Error>> {
    let points: Vec<(&str, Vec<(f64, f64)>)> = series
        .iter()
        .map(|&(name, ys)| {
            let xy = ys.iter().enumerate().map(|(i, &y)| ((i + 1) as f64, y));
            (name, xy.collect())
        })
        .collect();
    let refs: Vec<(&str, &[(f64, f64)])> = points.iter().map(|(n, p)| (*n, p.as_slice())).collect();
    plot_xy(path, title, x_label, y_label, &refs, false, log_y, false)
}

/// Lines through `(x, y)` points, one per series, with a legend; either axis
/// may be logarithmic (non-positive values are then left out); `markers`
/// also draws a dot at each point. Writes a PNG of [`CHART_SIZE`] to `path`.
#[allow(clippy::too_many_arguments)]
pub fn plot_xy(
    path: &Path,
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[(&str, &[(f64, f64)])],
    log_x: bool,
    log_y: bool,
    markers: bool,
) -> Result<(), Box<dyn Error>> {
    let series: Vec<Series> = series
        .iter()
        .enumerate()
        .map(|(i, &(name, points))| Series {
            name,
            points,
            color: i,
            line: true,
            markers,
        })
        .collect();
    let axes = Axes {
        log_x,
        log_y,
        legend: SeriesLabelPosition::UpperRight,
    };
    plot_series(path, title, x_label, y_label, &series, &axes)
}

/// One series of [`plot_series`].
#[derive(Clone, Copy)]
pub struct Series<'a> {
    /// Legend entry (`""`: none).
    pub name: &'a str,
    /// The points, in drawing order.
    pub points: &'a [(f64, f64)],
    /// Index into [`color`].
    pub color: usize,
    /// Join the points with a line.
    pub line: bool,
    /// Draw a dot at each point.
    pub markers: bool,
}

/// Axis scales and legend placement of [`plot_series`].
#[derive(Clone)]
pub struct Axes {
    /// Logarithmic x axis.
    pub log_x: bool,
    /// Logarithmic y axis.
    pub log_y: bool,
    /// Where the legend goes, e.g. `SeriesLabelPosition::UpperLeft`.
    pub legend: SeriesLabelPosition,
}

/// The general chart: each series with its own colour, line and/or markers.
/// Non-finite points, and non-positive ones on a log axis, are left out.
/// Writes a PNG of [`CHART_SIZE`] to `path`.
pub fn plot_series(
    path: &Path,
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[Series],
    axes: &Axes,
) -> Result<(), Box<dyn Error>> {
    register_fonts();
    let (log_x, log_y) = (axes.log_x, axes.log_y);
    let keep = |&(x, y): &(f64, f64)| {
        x.is_finite() && y.is_finite() && (!log_x || x > 0.0) && (!log_y || y > 0.0)
    };
    let kept: Vec<Vec<(f64, f64)>> = series
        .iter()
        .map(|s| s.points.iter().copied().filter(keep).collect())
        .collect();
    let all = || kept.iter().flat_map(|p| p.iter().copied());
    if all().next().is_none() {
        return Err(format!("{}: nothing to plot", path.display()).into());
    }
    let xr = padded(all().map(|p| p.0), log_x, 0.0);
    let yr = padded(all().map(|p| p.1), log_y, 0.05);
    let series: Vec<Series> = series
        .iter()
        .zip(&kept)
        .map(|(s, points)| Series { points, ..*s })
        .collect();
    let text = Labels {
        x: x_label,
        y: y_label,
        legend: axes.legend.clone(),
    };

    let root = BitMapBackend::new(path, CHART_SIZE).into_drawing_area();
    root.fill(&WHITE)?;
    let mut builder = ChartBuilder::on(&root);
    builder
        .caption(title, ("sans-serif", 24).into_font())
        .margin(18)
        .x_label_area_size(50)
        .y_label_area_size(80);
    // The four axis combinations are four chart types; one generic body. Log
    // axes get our own ticks (plotters' only mark powers of ten).
    let (xt, yt) = (log_ticks(&xr), log_ticks(&yr));
    match (log_x, log_y) {
        (false, false) => draw(builder.build_cartesian_2d(xr, yr)?, &series, &text)?,
        (true, false) => draw(
            builder.build_cartesian_2d(xr.log_scale().with_key_points(xt), yr)?,
            &series,
            &text,
        )?,
        (false, true) => draw(
            builder.build_cartesian_2d(xr, yr.log_scale().with_key_points(yt))?,
            &series,
            &text,
        )?,
        (true, true) => draw(
            builder.build_cartesian_2d(
                xr.log_scale().with_key_points(xt),
                yr.log_scale().with_key_points(yt),
            )?,
            &series,
            &text,
        )?,
    }
    root.present()?;
    Ok(())
}

/// Axis descriptions and legend placement, for [`draw`].
struct Labels<'a> {
    x: &'a str,
    y: &'a str,
    legend: SeriesLabelPosition,
}

/// The range of `values`, widened by `pad` of its width on each side (by a
/// factor on a log axis), and never empty.
fn padded(values: impl Iterator<Item = f64>, log: bool, pad: f64) -> std::ops::Range<f64> {
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| {
        (l.min(v), h.max(v))
    });
    if log {
        let (l, h) = (lo.ln(), hi.ln().max(lo.ln() + 1e-9));
        let w = (h - l) * pad;
        (l - w).exp()..(h + w).exp()
    } else {
        let w = ((hi - lo) * pad).max(1e-12 * hi.abs().max(1.0));
        let lo = if pad == 0.0 && hi > lo { lo } else { lo - w };
        let hi = if pad == 0.0 && hi > lo { hi } else { hi + w };
        lo..hi
    }
}

/// Tick positions for a log axis over `r` (positive): powers of ten, or
/// 1-2-5, or 1…9 per decade, whichever first gives at least four ticks
/// (every k-th power of ten when there are too many decades), or evenly
/// spaced round values when `r` spans less than a factor of about 3.
fn log_ticks(r: &std::ops::Range<f64>) -> Vec<f64> {
    let (lo, hi) = (r.start, r.end);
    let (d0, d1) = (lo.log10().floor() as i32 - 1, hi.log10().ceil() as i32 + 1);
    let decades = (d1 - d0).max(1);
    let within = |v: &f64| *v >= lo * (1.0 - 1e-9) && *v <= hi * (1.0 + 1e-9);
    let mantissas: [&[f64]; 3] = [
        &[1.0],
        &[1.0, 2.0, 5.0],
        &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0],
    ];
    let every = (decades as usize).div_ceil(10).max(1);
    for ms in mantissas {
        let ticks: Vec<f64> = (d0..=d1)
            .filter(|e| ms.len() > 1 || ((e - d0) as usize).is_multiple_of(every))
            .flat_map(|e| ms.iter().map(move |m| m * 10f64.powi(e)))
            .filter(within)
            .collect();
        if ticks.len() >= 4 {
            return ticks;
        }
    }
    // A narrow range: round values on a linear grid.
    let raw = (hi - lo) / 5.0;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(raw);
    let first = (lo / step).ceil() as i64;
    let last = (hi / step).floor() as i64;
    (first..=last)
        .map(|k| k as f64 * step)
        .filter(|v| *v > 0.0)
        .collect()
}

type Chart<'a, X, Y> = ChartContext<'a, BitMapBackend<'a>, Cartesian2d<X, Y>>;

fn draw<X, Y>(
    mut chart: Chart<'_, X, Y>,
    series: &[Series],
    text: &Labels,
) -> Result<(), Box<dyn Error>>
where
    X: Ranged<ValueType = f64> + ValueFormatter<f64>,
    Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    chart
        .configure_mesh()
        .x_desc(text.x)
        .y_desc(text.y)
        .axis_desc_style(("sans-serif", 18))
        .label_style(("sans-serif", 14))
        .x_label_formatter(&|v| tick(*v))
        .y_label_formatter(&|v| tick(*v))
        .max_light_lines(4)
        .light_line_style(RGBColor(238, 238, 238))
        .draw()?;
    for s in series {
        let c = color(s.color);
        let (line, markers) = (s.line, s.markers);
        let points = s.points.iter().copied();
        if line {
            let anno = chart.draw_series(LineSeries::new(points, c.stroke_width(2)))?;
            if !s.name.is_empty() {
                anno.label(s.name).legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 22, y)], c.stroke_width(3))
                });
            }
        } else {
            let anno = chart.draw_series(points.map(|p| Circle::new(p, 4, c.filled())))?;
            if !s.name.is_empty() {
                anno.label(s.name)
                    .legend(move |(x, y)| Circle::new((x + 11, y), 4, c.filled()));
            }
        }
        if line && markers {
            chart.draw_series(s.points.iter().map(|&p| Circle::new(p, 3, c.filled())))?;
        }
    }
    if series.iter().any(|s| !s.name.is_empty()) {
        chart
            .configure_series_labels()
            .position(text.legend.clone())
            .background_style(WHITE.mix(0.85))
            .border_style(RGBColor(160, 160, 160))
            .label_font(("sans-serif", 15))
            .draw()?;
    }
    Ok(())
}

/// A compact tick label: plain decimals in a readable range, else `1.5e-4`.
fn tick(v: f64) -> String {
    let a = v.abs();
    if v == 0.0 {
        "0".into()
    } else if !(1e-3..1e5).contains(&a) {
        let s = format!("{v:.1e}");
        s.replace(".0e", "e")
    } else {
        let s = format!("{v:.4}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        s.to_string()
    }
}

// ---------------------------------------------------------------------------
// Data
// ---------------------------------------------------------------------------

/// An ndarray 0.17 matrix from `rows × cols` values in row-major order, e.g.
/// `array2_from(a.dim(), a.iter().copied())` for an array of another ndarray
/// version (`linfa-datasets` uses ndarray 0.16; its arrays are not this
/// crate's arrays, but their iterators yield plain `f64`s in logical order).
pub fn array2_from(shape: (usize, usize), values: impl IntoIterator<Item = f64>) -> Array2<f64> {
    let v: Vec<f64> = values.into_iter().collect();
    let n = v.len();
    Array2::from_shape_vec(shape, v)
        .unwrap_or_else(|_| panic!("{n} values do not make a {}×{} matrix", shape.0, shape.1))
}

/// A data set as ndarray 0.17 arrays.
pub struct Data<T> {
    /// `(samples, features)`.
    pub x: Array2<f64>,
    /// One target per sample.
    pub y: Array1<T>,
    /// Column names of `x`.
    pub feature_names: Vec<String>,
}

/// Fisher's iris flowers: 150 samples, 4 features (cm), 3 classes
/// (0 setosa, 1 versicolor, 2 virginica), 50 each; the data of Fisher's
/// paper and of scikit-learn's `load_iris()`.
///
/// **Repair.** `linfa-datasets` 0.8 ships the UCI copy of the data, which has
/// two transcription errors that UCI's own notes list: sample 35 should be
/// `4.9, 3.1, 1.5, 0.2` (not petal width 0.1) and sample 38 should be
/// `4.9, 3.6, 1.4, 0.1` (not `4.9, 3.1, 1.5, 0.1`). scikit-learn ships the
/// corrected values. This function corrects exactly these two rows when they
/// hold the UCI values, and then checks the column sums of the corrected data,
/// so a changed `linfa-datasets` cannot go unnoticed.
pub fn iris() -> Data<usize> {
    let ds = linfa_datasets::iris();
    let (n, d) = (ds.records.nrows(), ds.records.ncols());
    let mut data = Data {
        x: array2_from((n, d), ds.records.iter().copied()),
        y: ds.targets.iter().copied().collect(),
        feature_names: ds.feature_names().to_vec(),
    };
    assert_eq!(data.x.dim(), (150, 4), "iris: expected 150 × 4 features");
    for class in 0..3 {
        let count = data.y.iter().filter(|&&c| c == class).count();
        assert_eq!(count, 50, "iris: expected 50 samples of class {class}");
    }
    const UCI_ERRATA: [(usize, [f64; 4], [f64; 4]); 2] = [
        (34, [4.9, 3.1, 1.5, 0.1], [4.9, 3.1, 1.5, 0.2]),
        (37, [4.9, 3.1, 1.5, 0.1], [4.9, 3.6, 1.4, 0.1]),
    ];
    for (i, wrong, right) in UCI_ERRATA {
        let mut row = data.x.row_mut(i);
        if row.iter().eq(wrong.iter()) {
            row.assign(&Array1::from(right.to_vec()));
        }
    }
    // Column sums of scikit-learn's (Fisher's) iris data, in tenths of a cm.
    let sums = data.x.sum_axis(Axis(0)).mapv(|s| (s * 10.0).round() as i64);
    assert_eq!(
        sums.to_vec(),
        [8765, 4586, 5637, 1799],
        "iris: the data differ from Fisher's (scikit-learn's)"
    );
    data
}

/// The first line of `diabetes_data.csv.gz` in `linfa-datasets` 0.8, exactly
/// as written in the file (these decimal strings parse to the same `f64`s
/// the CSV reader produces).
const DIABETES_FIRST_ROW: [&str; 10] = [
    "3.807590643342410180e-02",
    "5.068011873981870252e-02",
    "6.169620651868849837e-02",
    "2.187235499495579841e-02",
    "-4.422349842444640161e-02",
    "-3.482076283769860309e-02",
    "-4.340084565202689815e-02",
    "-2.592261998182820038e-03",
    "1.990842087631829876e-02",
    "-1.764612515980519894e-02",
];
/// The first line of `diabetes_target.csv.gz`.
const DIABETES_FIRST_TARGET: f64 = 151.0;
/// The first feature of the file's *second* line, which `linfa-datasets`
/// returns as its first row.
const DIABETES_SECOND_ROW_AGE: &str = "-1.882016527791040067e-03";

/// scikit-learn's names of the diabetes features. (`linfa-datasets` calls
/// s1…s6 "t-cells", "low-density lipoproteins", "high-density lipoproteins",
/// "thyroid stimulating hormone", "lamotrigine" and "blood sugar level"; the
/// original study's serum measurements are total cholesterol, LDL, HDL, total
/// cholesterol / HDL, log of serum triglycerides, and blood sugar.)
pub const DIABETES_FEATURES: [&str; 10] = [
    "age", "sex", "bmi", "bp", "s1 tc", "s2 ldl", "s3 hdl", "s4 tch", "s5 ltg", "s6 glu",
];

/// The diabetes data of Efron et al. (2004), as in scikit-learn's
/// `load_diabetes()`: 442 patients, 10 baseline features (each column mean
/// centred and scaled to unit Euclidean norm), and a quantitative measure of
/// disease progression one year later (25 to 346). The feature names are
/// scikit-learn's ([`DIABETES_FEATURES`]). The values are those of
/// scikit-learn's scaled data file; recent scikit-learn versions (1.9.1
/// checked) scale the raw file themselves instead, which changes `bp` and
/// `s5` by at most 1.3e-5 (and fitted coefficients in the fourth digit).
///
/// **Repair.** `linfa_datasets::diabetes()` (0.8.1) reads its two CSV files
/// with `has_headers = true`, but the files have no header line, so the first
/// patient is silently dropped and it returns 441 rows. This function puts the
/// lost row back (copied above from the packaged file) when, and only when,
/// the returned data start at the file's second row; it then checks
/// everything that identifies the true data set (442 rows, the target sum
/// 67 243, every column centred with unit norm) and panics otherwise, so a
/// future fixed or changed `linfa-datasets` cannot go unnoticed.
pub fn diabetes() -> Data<f64> {
    let ds = linfa_datasets::diabetes();
    let (n, d) = (ds.records.nrows(), ds.records.ncols());
    assert_eq!(
        d, 10,
        "diabetes: expected 10 features, linfa-datasets returned {d}"
    );
    let mut values: Vec<f64> = Vec::with_capacity((n + 1) * d);
    let mut targets: Vec<f64> = Vec::with_capacity(n + 1);
    let first_age = ds.records[[0, 0]];
    let first = DIABETES_FIRST_ROW.map(|s| s.parse::<f64>().expect("a decimal number"));
    let second_age: f64 = DIABETES_SECOND_ROW_AGE.parse().expect("a decimal number");
    if n == 441 && first_age == second_age {
        // The header bug: put the first patient back.
        values.extend_from_slice(&first);
        targets.push(DIABETES_FIRST_TARGET);
    } else if !(n == 442 && first_age == first[0]) {
        panic!(
            "diabetes: linfa-datasets returned {n} rows starting with age {first_age}; \
             expected 441 rows (header bug) or the full 442"
        );
    }
    values.extend(ds.records.iter().copied());
    targets.extend(ds.targets.iter().copied());
    let rows = targets.len();
    let data = Data {
        x: array2_from((rows, d), values),
        y: Array1::from(targets),
        feature_names: DIABETES_FEATURES.iter().map(|s| s.to_string()).collect(),
    };

    // Fail loudly unless this is exactly scikit-learn's data set.
    assert_eq!(
        data.x.nrows(),
        442,
        "diabetes: expected 442 rows, have {rows}"
    );
    assert_eq!(
        data.y.sum(),
        67_243.0,
        "diabetes: the targets do not sum to 67 243"
    );
    for (j, col) in data.x.axis_iter(Axis(1)).enumerate() {
        let (mean, norm) = (col.mean().unwrap_or(f64::NAN), col.dot(&col).sqrt());
        assert!(
            mean.abs() < 1e-9 && (norm - 1.0).abs() < 1e-6,
            "diabetes: column {j} has mean {mean:e} and norm {norm}; expected 0 and 1"
        );
    }
    data
}

/// Standardised features and the statistics used: each column minus its
/// mean, divided by its population standard deviation (`ddof = 0`, as
/// scikit-learn's `StandardScaler`; a constant column is left at zero).
pub fn standardize(x: &Array2<f64>) -> (Array2<f64>, Array1<f64>, Array1<f64>) {
    let mean = x.mean_axis(Axis(0)).expect("at least one row");
    let std = x
        .std_axis(Axis(0), 0.0)
        .mapv(|s| if s > 0.0 { s } else { 1.0 });
    ((x - &mean) / &std, mean, std)
}

// ---------------------------------------------------------------------------
// Exact least squares
// ---------------------------------------------------------------------------

/// The exact minimiser of `mean (y − Xw − b)² + λ‖w‖²`: the normal equations
/// of the design `[X 1]`, `(AᵀA + nλ·D)θ = Aᵀy` with `D = diag(1, …, 1, 0)`
/// (the intercept is not penalised), solved by Cholesky. `λ = 0` is
/// ordinary least squares.
pub fn least_squares(x: &Array2<f64>, y: &Array1<f64>, lambda: f64) -> (Array1<f64>, f64) {
    let (n, d) = x.dim();
    let mut a = Array2::<f64>::ones((n, d + 1));
    a.slice_mut(s![.., ..d]).assign(x);
    let mut gram = a.t().dot(&a);
    for j in 0..d {
        gram[[j, j]] += n as f64 * lambda;
    }
    let theta = cholesky_solve(&gram, &a.t().dot(y));
    (theta.slice(s![..d]).to_owned(), theta[d])
}

/// Solves `M·z = r` for a symmetric positive definite `M`: `M = LLᵀ`, then
/// two triangular solves.
pub fn cholesky_solve(m: &Array2<f64>, r: &Array1<f64>) -> Array1<f64> {
    let k = m.nrows();
    let mut l = Array2::<f64>::zeros((k, k));
    for i in 0..k {
        for j in 0..=i {
            let dot: f64 = (0..j).map(|p| l[[i, p]] * l[[j, p]]).sum();
            if i == j {
                let pivot = m[[i, i]] - dot;
                assert!(
                    pivot > 0.0,
                    "the normal equations are not positive definite"
                );
                l[[i, i]] = pivot.sqrt();
            } else {
                l[[i, j]] = (m[[i, j]] - dot) / l[[j, j]];
            }
        }
    }
    let mut z = Array1::<f64>::zeros(k); // L·z = r
    for i in 0..k {
        z[i] = (r[i] - (0..i).map(|p| l[[i, p]] * z[p]).sum::<f64>()) / l[[i, i]];
    }
    let mut out = Array1::<f64>::zeros(k); // Lᵀ·out = z
    for i in (0..k).rev() {
        out[i] = (z[i] - (i + 1..k).map(|p| l[[p, i]] * out[p]).sum::<f64>()) / l[[i, i]];
    }
    out
}

// ---------------------------------------------------------------------------
// Random numbers
// ---------------------------------------------------------------------------

/// SplitMix64: a tiny, fast, well-mixed PRNG, plenty for an example. Seeded,
/// so every run prints the same numbers.
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator started from `seed`.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform on `[0, 1)`, from the top 53 bits.
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1_u64 << 53) as f64
    }

    /// Standard normal, by the Box-Muller transform (the second value is dropped).
    pub fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.uniform(); // in (0, 1], so ln(u1) is finite
        let u2 = self.uniform();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    /// Fisher-Yates shuffle.
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = (self.next_u64() % (i as u64 + 1)) as usize;
            items.swap(i, j);
        }
    }
}
