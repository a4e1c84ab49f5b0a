//! The connectionist temporal classification (CTC) recursion for one
//! sample: the forward variables α, the backward variables β, and from both
//! the gradient with respect to the log-probabilities.
//!
//! The target `l` of length `S` is extended with blanks, `l' = (b, l₁, b,
//! l₂, …, l_S, b)` of length `L = 2S + 1`. In log space, with `y_t(k)` the
//! log-probability of class `k` at time `t` (Graves et al. 2006, eq. 6–10),
//! α includes the emission at `t` and β̃ does not (`β̃ = β − y`, PyTorch's β
//! without its emission):
//!
//! ```text
//! α_0(0) = y_0(b),  α_0(1) = y_0(l'_1)
//! α_t(s) = y_t(l'_s) + lse(α_{t−1}(s), α_{t−1}(s−1), α_{t−1}(s−2) if l'_s ≠ l'_{s−2})
//! β̃_{T−1}(L−1) = β̃_{T−1}(L−2) = 0
//! β̃_t(s) = lse(y_{t+1}(l'_r) + β̃_{t+1}(r) for r = s, s+1, and s+2 if l'_s ≠ l'_{s+2})
//! log p = lse(α_{T−1}(L−1), α_{T−1}(L−2))
//! γ_t(k) = Σ_{s : l'_s = k} exp(α_t(s) + β̃_t(s) − log p)
//! ```
//!
//! `γ_t(k)` is the posterior probability of emitting `k` at `t`, and
//! `∂(−log p)/∂y_t(k) = −γ_t(k)`. Keeping the emission out of β̃ means the
//! posterior never computes `y − y`: a class of probability 0 (`y = −∞`)
//! gets `γ = 0`, its limit, where PyTorch's `α + β − y` is `−∞ + ∞ = NaN`.
//!
//! Everything runs in `f64` whatever the input type: the α of a long
//! sequence reaches hundreds or thousands in magnitude, and `f32`'s spacing
//! there (6·10⁻⁵ at 1000) would reach the gradient through `exp(α + β̃ −
//! log p)`. Each step of the recursion is independent across `s`, so it
//! vectorises over rows padded to whole vectors (`PAD`); `lse` of three
//! terms costs two exponentials and one logarithm from `float`'s
//! branch-free kernels.

use ndarray::{ArrayView1, ArrayView2, ArrayViewMut1, ArrayViewMut2};

use super::simd::{dispatch, Kernel};
use crate::float::{Float, FloatKernels};

const NEG: f64 = f64::NEG_INFINITY;

/// Which gradient with respect to the log-probabilities is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum GradForm {
    /// PyTorch's: `exp(y_t(k)) − γ_t(k)`.
    PyTorch,
    /// The exact partial derivative, `−γ_t(k)`.
    LogProbs,
}

/// Buffers one sample's recursion reuses; they grow to the largest sample
/// and are kept for the next.
#[derive(Default)]
pub(crate) struct Workspace {
    /// `l'`.
    ext: Vec<usize>,
    /// `0` where the skip `s − 2 → s` is allowed, else `−∞`, `w` long (the
    /// backward step reads it shifted by two).
    skip: Vec<f64>,
    /// `y_t(l'_s)`, rows of `w` (see `widths`) with `−∞` past `L`.
    emit: Vec<f64>,
    /// α rows of `w` (two leading `−∞` guards); all `T` rows when the
    /// gradient follows, two otherwise.
    alpha: Vec<f64>,
    /// Two rows of β without its emission (`w`, two trailing guards).
    beta: Vec<f64>,
    /// `exp(α + β − y − log p)` per `s` of one row.
    post: Vec<f64>,
    /// `γ_t` (length C).
    gamma: Vec<f64>,
}

/// One sample: its log-probabilities (`T_i` rows, any strides), its target
/// (validated: every class in `0..C` and not the blank) and the blank.
pub(crate) struct Sample<'a, A> {
    pub(crate) log_probs: ArrayView2<'a, A>,
    pub(crate) target: &'a [usize],
    pub(crate) blank: usize,
}

/// What to do with the gradient rows of a sample, when one is wanted.
pub(crate) struct GradOut<'g, A> {
    /// All `T` rows of the sample; rows from `T_i` on are zeroed.
    pub(crate) rows: ArrayViewMut2<'g, A>,
    /// The factor on `∂ℓ/∂y` (the reduction's and the caller's).
    pub(crate) scale: f64,
    pub(crate) form: GradForm,
    /// An infinite loss gets a zero gradient (else NaN, as PyTorch).
    pub(crate) zero_infinity: bool,
}

/// `−log p(target | log_probs)`: `+∞` when no alignment exists. With `grad`,
/// also writes the gradient rows.
pub(crate) fn nll<A: Float>(
    sample: &Sample<'_, A>,
    ws: &mut Workspace,
    grad: Option<GradOut<'_, A>>,
) -> f64 {
    dispatch(Run { sample, ws, grad })
}

struct Run<'s, 'a, 'w, 'g, A> {
    sample: &'s Sample<'a, A>,
    ws: &'w mut Workspace,
    grad: Option<GradOut<'g, A>>,
}

impl<A: Float> Kernel for Run<'_, '_, '_, '_, A> {
    type Output = f64;

    #[inline(always)]
    fn run<const FMA: bool>(self) -> f64 {
        let Run { sample, ws, grad } = self;
        let t_len = sample.log_probs.nrows();
        let l = 2 * sample.target.len() + 1;
        if t_len == 0 {
            // No frames: only the empty target has an alignment (the empty one).
            let value = if l == 1 { 0.0 } else { f64::INFINITY };
            if let Some(mut g) = grad {
                g.rows.fill(A::zero());
            }
            return value;
        }
        prepare(sample, ws, l);
        let store = grad.is_some();
        let ll = forward::<FMA>(ws, t_len, l, store);
        let value = -ll;
        let Some(mut g) = grad else {
            return value;
        };
        g.rows.slice_mut(ndarray::s![t_len.., ..]).fill(A::zero());
        if !value.is_finite() {
            // No alignment (or NaN input): zero, or NaN for every class as
            // PyTorch (its exp(−∞ + ∞) for the classes the target lacks too).
            let fill = if value == f64::INFINITY && g.zero_infinity {
                A::zero()
            } else {
                A::nan()
            };
            g.rows.slice_mut(ndarray::s![..t_len, ..]).fill(fill);
            return value;
        }
        backward::<FMA, A>(sample, ws, t_len, l, value, &mut g);
        value
    }
}

/// The states of one row padded to a multiple of this (AVX-512's `f64`
/// lanes), so the vector loops have no scalar remainder. The pad states
/// have emission `−∞`, so their α and β stay `−∞` and reach no real state.
const PAD: usize = 8;

/// The row widths of a target of `l` states: `(p, w)`, `p` the padded
/// state count, `w = p + 2` with two `−∞` guards (α's in front, β's and
/// the emissions' behind).
#[inline(always)]
fn widths(l: usize) -> (usize, usize) {
    let p = l.div_ceil(PAD) * PAD;
    (p, p + 2)
}

/// Fills `l'`, the skip table and the emissions `y_t(l'_s)` (rows of `w`).
#[inline(always)]
fn prepare<A: Float>(sample: &Sample<'_, A>, ws: &mut Workspace, l: usize) {
    let (_, w) = widths(l);
    let b = sample.blank;
    ws.ext.clear();
    ws.ext.push(b);
    for &k in sample.target {
        ws.ext.push(k);
        ws.ext.push(b);
    }
    ws.skip.clear();
    ws.skip.extend((0..w).map(|s| {
        if s >= 2 && s < l && ws.ext[s] != ws.ext[s - 2] {
            0.0
        } else {
            NEG
        }
    }));
    let t_len = sample.log_probs.nrows();
    ws.emit.clear();
    ws.emit.reserve(t_len * w);
    for row in sample.log_probs.rows() {
        match row.as_slice() {
            Some(r) => ws.emit.extend(ws.ext.iter().map(|&k| r[k].to_f64())),
            None => ws.emit.extend(ws.ext.iter().map(|&k| row[k].to_f64())),
        }
        ws.emit.extend(std::iter::repeat_n(NEG, w - l));
    }
}

/// `max`, as `maxpd` computes it (the second operand when either is NaN).
#[inline(always)]
fn max(a: f64, b: f64) -> f64 {
    if a > b {
        a
    } else {
        b
    }
}

/// `min`, as `minpd` computes it.
#[inline(always)]
fn min(a: f64, b: f64) -> f64 {
    if a < b {
        a
    } else {
        b
    }
}

/// `ln(eᵃ + eᵇ + eᶜ)`: `−∞` when all three are, NaN when one is. Sorted so
/// that the largest term is `e⁰ = 1`: two exponentials, not three.
#[inline(always)]
fn lse3<const FMA: bool>(a: f64, b: f64, c: f64) -> f64 {
    let (hi, lo) = (max(a, b), min(a, b));
    let (m, mid) = (max(hi, c), min(hi, c));
    // All −∞: shift by 0, so the sum is 0 and its logarithm −∞.
    let shift = if m == NEG { 0.0 } else { m };
    let one = if m == NEG { 0.0 } else { 1.0 };
    // Terms below f64's smallest normal number change no sum of 1 and more;
    // flushing them keeps subnormals (microcode assists on some CPUs) out.
    let sum = one + (mid - shift).exp_nonpos_ftz::<FMA>() + (lo - shift).exp_nonpos_ftz::<FMA>();
    let r = shift + sum.ln_k::<FMA>();
    // min and max drop a NaN operand: put it back.
    if a.is_nan() || b.is_nan() || c.is_nan() {
        f64::NAN
    } else {
        r
    }
}

/// α: returns `log p`. With `store`, every row stays in `ws.alpha`.
#[inline(always)]
fn forward<const FMA: bool>(ws: &mut Workspace, t_len: usize, l: usize, store: bool) -> f64 {
    let (p, w) = widths(l);
    let rows = if store { t_len } else { 2 };
    ws.alpha.clear();
    ws.alpha.resize(rows * w, NEG);
    let first = &mut ws.alpha[..w];
    first[2] = ws.emit[0];
    if l > 1 {
        first[3] = ws.emit[1];
    }
    let skip = &ws.skip[..p];
    for t in 1..t_len {
        let (pi, ci) = if store {
            (t - 1, t)
        } else {
            ((t - 1) % 2, t % 2)
        };
        let (lo, hi) = ws.alpha.split_at_mut(pi.max(ci) * w);
        let (prev, cur) = if pi < ci {
            (&lo[pi * w..], &mut hi[..w])
        } else {
            (&hi[..w], &mut lo[ci * w..ci * w + w])
        };
        let emit = &ws.emit[t * w..t * w + p];
        let (p0, p1, p2) = (&prev[..p], &prev[1..p + 1], &prev[2..p + 2]);
        for ((((c, &e), &k), (&x0, &x1)), &x2) in cur[2..]
            .iter_mut()
            .zip(emit)
            .zip(skip)
            .zip(p0.iter().zip(p1))
            .zip(p2)
        {
            *c = e + lse3::<FMA>(x2, x1, x0 + k);
        }
    }
    let last_row = if store { t_len - 1 } else { (t_len - 1) % 2 };
    let last = &ws.alpha[last_row * w..last_row * w + w];
    // α(L − 1) and α(L − 2) sit at L + 1 and L (a pad when L = 1).
    lse3::<FMA>(last[l + 1], last[l], NEG)
}

/// β, and from α and β the gradient rows `0..t_len`. The rows hold
/// `β̃_t(s) = β_t(s) − y_t(l'_s)`, β without its own emission, so that the
/// posterior `exp(α + β̃ + nll)` never subtracts an infinite `y` from itself
/// (a class of probability 0 gets γ = 0, where PyTorch's `α + β − y` is
/// NaN).
#[inline(always)]
fn backward<const FMA: bool, A: Float>(
    sample: &Sample<'_, A>,
    ws: &mut Workspace,
    t_len: usize,
    l: usize,
    nll: f64,
    g: &mut GradOut<'_, A>,
) {
    let (p, w) = widths(l);
    let classes = sample.log_probs.ncols();
    ws.beta.clear();
    ws.beta.resize(2 * w, NEG);
    ws.post.clear();
    ws.post.resize(p, 0.0);
    ws.gamma.clear();
    ws.gamma.resize(classes, 0.0);
    {
        let b = &mut ws.beta[((t_len - 1) % 2) * w..];
        b[l - 1] = 0.0;
        if l > 1 {
            b[l - 2] = 0.0;
        }
    }
    let skip = &ws.skip[2..p + 2];
    for t in (0..t_len).rev() {
        let (ci, ni) = (t % 2, (t + 1) % 2);
        if t + 1 < t_len {
            // β̃_t(s) = lse(y + β̃ at t + 1 for s, s + 1 and (if allowed) s + 2).
            let (lo, hi) = ws.beta.split_at_mut(w);
            let (next, cur) = if ni == 0 { (&*lo, hi) } else { (&*hi, lo) };
            let e = &ws.emit[(t + 1) * w..(t + 2) * w];
            let (n0, n1, n2) = (&next[..p], &next[1..p + 1], &next[2..p + 2]);
            let (e0, e1, e2) = (&e[..p], &e[1..p + 1], &e[2..p + 2]);
            for (((c, &k), ((&x0, &x1), &x2)), ((&y0, &y1), &y2)) in cur[..p]
                .iter_mut()
                .zip(skip)
                .zip(n0.iter().zip(n1).zip(n2))
                .zip(e0.iter().zip(e1).zip(e2))
            {
                *c = lse3::<FMA>(x0 + y0, x1 + y1, x2 + y2 + k);
            }
        }
        let beta = &ws.beta[ci * w..ci * w + p];
        let alpha = &ws.alpha[t * w + 2..t * w + 2 + p];
        // exp(α + β̃ − log p) = exp(α + β̃ + nll): a probability, so its
        // exponent is at most 0 but for rounding. Below 2.2·10⁻³⁰⁸ it is
        // flushed to 0 (no subnormals, which cost microcode assists on some
        // CPUs; γ is a sum of such terms and at most 1).
        for ((q, &a), &b) in ws.post.iter_mut().zip(alpha).zip(beta) {
            *q = min(a + b + nll, 0.0).exp_nonpos_ftz::<FMA>();
        }
        ws.gamma.fill(0.0);
        for (&k, &q) in ws.ext.iter().zip(&ws.post) {
            ws.gamma[k] += q;
        }
        write_row::<FMA, A>(
            g.rows.row_mut(t),
            sample.log_probs.row(t),
            &ws.gamma,
            g.scale,
            g.form,
        );
    }
}

/// One gradient row from `γ_t`: plain loops over slices (an ndarray `Zip`
/// would run its closure outside the feature-enabled kernel, where a fused
/// multiply-add is a library call), indexing for strided rows.
#[inline(always)]
fn write_row<const FMA: bool, A: Float>(
    mut out: ArrayViewMut1<'_, A>,
    y: ArrayView1<'_, A>,
    gamma: &[f64],
    scale: f64,
    form: GradForm,
) {
    match (out.as_slice_mut(), y.as_slice()) {
        (Some(o), Some(y)) => {
            for ((d, &y), &c) in o.iter_mut().zip(y).zip(gamma) {
                *d = entry::<FMA, A>(form, scale, y, c);
            }
        }
        _ => {
            for (k, &c) in gamma.iter().enumerate() {
                out[k] = entry::<FMA, A>(form, scale, y[k], c);
            }
        }
    }
}

#[inline(always)]
fn entry<const FMA: bool, A: Float>(form: GradForm, scale: f64, y: A, c: f64) -> A {
    match form {
        GradForm::PyTorch => A::from_f64(scale * (y.to_f64().exp_k::<FMA>() - c)),
        GradForm::LogProbs => A::from_f64(-scale * c),
    }
}
