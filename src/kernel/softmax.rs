//! The fused softmax cross-entropy kernel: rows of logits with class-index
//! targets, value and gradient in one dispatched call.
//!
//! Rows are processed in groups of up to [`GROUP_ROWS`] rows and about
//! [`GROUP_ELEMS`] logits, in passes that each vectorise on their own:
//!
//! 1. per row: the maximum `m` (64 running maxima in registers, then
//!    halving), and `g ← x − m`;
//! 2. over the whole group at once: `g ← exp(g)` — one long loop even when
//!    rows are short (ten classes), so the exponentials run at full SIMD width;
//! 3. per row: `s = Σ g` (blocks summed by halving, block sums in `f64`);
//! 4. over the group: `ln s`, vectorised;
//! 5. per row: the value and `g ← a·g − b·w`, `g_y −= …`.
//!
//! With AVX-512, `f32` rows shorter than [`LONG_ROW`] take the lane path
//! instead, from a few rows up ([`LaneRows`]: blocks of 16 rows
//! transposed, one row per lane).
//!
//! The caller has validated every shape, index and option.

#[cfg(target_arch = "x86_64")]
use super::avx512::{load_targets, load_transposed, store_transposed, F32x16, LANES};
#[cfg(target_arch = "x86_64")]
use super::simd::Avx512;
use super::simd::Kernel;
use super::sum::{halving_sum_64, map_sum, row_max, row_sum, sum_indexed, Stream, BLOCK};
use crate::float::Float;

/// Rows at least this long are processed one at a time, with the
/// subtraction of the maximum fused into the exponential pass.
pub(crate) const LONG_ROW: usize = 64;
/// Elements whose exponentials are summed in `f32` lanes before the lanes
/// go to `f64` (16 terms in `[0, 1]` per lane: 64 lanes in the long-row
/// loop).
const SUM_SPAN: usize = 16 * TAIL;
/// Remainders of the long-row loops are done as one overlapping chunk of
/// this many elements.
const TAIL: usize = 64;
const _: () = assert!(TAIL == 64 && TAIL <= LONG_ROW); // halving_sum_64; rows ≥ TAIL
/// Most rows in one group (the per-row scalars live on the stack).
pub(crate) const GROUP_ROWS: usize = 64;
/// About how many logits a group holds (an L1/L2-resident working set).
pub(crate) const GROUP_ELEMS: usize = 4096;

/// Class weights and label smoothing of a cross-entropy with class-index
/// targets: the per-row value and gradient once `m = max x`, `s = Σ e^{x−m}`
/// are known. Shared by the kernel and the strided path.
#[derive(Clone, Copy)]
pub(crate) struct IndexMath<'w, A> {
    /// Class weights (length C).
    pub(crate) weights: Option<&'w [f64]>,
    /// Label smoothing ε, ε/C and Σ w (C without weights).
    pub(crate) eps: A,
    pub(crate) eps_over_c: A,
    pub(crate) weight_sum: A,
    /// PaLM's z-loss coefficient (0: off): `z·lse²` per row, weighted as it.
    pub(crate) z: A,
}

impl<'w, A: Float> IndexMath<'w, A> {
    /// The same options in `f32`.
    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    fn to_f32(self) -> IndexMath<'w, f32> {
        IndexMath {
            weights: self.weights,
            eps: self.eps.to_f64() as f32,
            eps_over_c: self.eps_over_c.to_f64() as f32,
            weight_sum: self.weight_sum.to_f64() as f32,
            z: self.z.to_f64() as f32,
        }
    }

    #[inline(always)]
    fn weight(&self, c: usize) -> A {
        self.weights.map_or(A::one(), |w| A::from_f64(w[c]))
    }

    /// The value of row `x` with target `y`; if `g` holds `exp(x − m)`, it
    /// becomes the gradient (times `scale`).
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    pub(crate) fn finish(
        &self,
        x: &[A],
        y: usize,
        g: Option<&mut [A]>,
        m: A,
        ln_s: A,
        s: A,
        scale: A,
    ) -> A {
        let one = A::one();
        // −log p_y = (m − x_y) + ln s: exact for the maximal logit.
        let w_y = self.weight(y);
        let mut value = w_y * ((m - x[y]) + ln_s);
        if self.eps > A::zero() {
            let smooth = match self.weights {
                None => A::from_f64(map_sum(x, |v| (m - v) + ln_s)),
                Some(w) => x.iter().zip(w).fold(A::zero(), |acc, (&v, &wc)| {
                    acc + A::from_f64(wc) * ((m - v) + ln_s)
                }),
            };
            value = (one - self.eps) * value + self.eps_over_c * smooth;
        }
        // z-loss: w_y·z·lse², whose gradient is w_y·2z·lse·softmax_c.
        let lse = m + ln_s;
        let zq = w_y * self.z * lse;
        value = value + zq * lse;
        if let Some(g) = g {
            // g_c = scale·[softmax_c·((1−ε)w_y + (ε/C)Σw + 2·w_y·z·lse) − (ε/C)w_c − [c=y](1−ε)w_y]
            let a = scale
                * ((one - self.eps) * w_y + self.eps_over_c * self.weight_sum + (zq + zq))
                / s;
            let b = scale * self.eps_over_c;
            match self.weights {
                Some(w) if b != A::zero() => g
                    .iter_mut()
                    .zip(w)
                    .for_each(|(e, &wc)| *e = a * *e - b * A::from_f64(wc)),
                // No smoothing: one multiply per element (the pass is
                // port-bound with the exponentials on 256 × 1000).
                _ if b == A::zero() => g.iter_mut().for_each(|e| *e = a * *e),
                _ => g.iter_mut().for_each(|e| *e = a * *e - b),
            }
            g[y] = g[y] - scale * (one - self.eps) * w_y;
        }
        value
    }
}

/// Cross-entropy from logits with class indices, with gradient.
struct IndexRows<'a, A> {
    /// `rows × cols` logits, row-major.
    pub(crate) x: &'a [A],
    /// Number of classes.
    pub(crate) cols: usize,
    /// One class index per row (checked `< cols` unless ignored).
    pub(crate) targets: &'a [usize],
    /// Rows with this target contribute nothing.
    pub(crate) ignore: Option<usize>,
    /// Class weights and label smoothing.
    pub(crate) math: IndexMath<'a, A>,
    /// Gradient scale of the reduction (1/denominator, or 1).
    pub(crate) scale: A,
    /// The gradient, `rows × cols`, row-major.
    pub(crate) g: &'a mut [A],
}

impl<A: Float> Kernel for IndexRows<'_, A> {
    type Output = f64;

    #[inline(always)]
    fn run<const FMA: bool>(mut self) -> f64 {
        let grad = std::mem::take(&mut self.g);
        let cols = self.cols;
        let rows = self.targets.len();
        if cols == 0 || rows == 0 {
            return 0.0;
        }
        if cols >= LONG_ROW {
            let mut total = 0.0;
            for (r, &y) in self.targets.iter().enumerate() {
                let x = &self.x[r * cols..(r + 1) * cols];
                let next = self.x.get((r + 1) * cols..(r + 2) * cols).unwrap_or(&[]);
                let g = &mut grad[r * cols..(r + 1) * cols];
                total += self.long_row::<FMA>(x, y, g, next);
            }
            return total;
        }
        let per_group = (GROUP_ELEMS / cols).clamp(1, GROUP_ROWS);
        let mut total = 0.0;
        let mut r0 = 0;
        while r0 < rows {
            let n = per_group.min(rows - r0);
            let x = &self.x[r0 * cols..(r0 + n) * cols];
            let g = &mut grad[r0 * cols..(r0 + n) * cols];
            let targets = &self.targets[r0..r0 + n];
            total += self.group::<FMA>(x, targets, g);
            r0 += n;
        }
        total
    }

    /// `f32` rows shorter than [`LONG_ROW`], at least [`LANE_MIN_ROWS`] of
    /// them ([`LANE_MIN_ROWS_WIDE`] beyond 16 classes): [`LaneRows`];
    /// otherwise as [`Kernel::run`].
    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    fn run_avx512(mut self, t: Avx512) -> f64 {
        let min_rows = if self.cols <= LANES {
            LANE_MIN_ROWS
        } else {
            LANE_MIN_ROWS_WIDE
        };
        // The lane path has no z-loss: with it, the group path.
        if self.cols < LONG_ROW && self.targets.len() >= min_rows && self.math.z == A::zero() {
            if let Some(x) = A::as_f32(self.x) {
                match A::as_f32_mut(std::mem::take(&mut self.g)) {
                    Ok(g) => {
                        let rows = LaneRows {
                            x,
                            cols: self.cols,
                            targets: self.targets,
                            ignore: self.ignore,
                            math: self.math.to_f32(),
                            scale: self.scale.to_f64() as f32,
                        };
                        // Up to 16 classes, the count as a constant (the
                        // class loops unrolled, every vector in a register,
                        // the padding's shuffles dropped).
                        macro_rules! by_cols {
                            ($($c:literal)*) => {
                                match self.cols {
                                    $($c => rows.run::<1, $c>(t, g),)*
                                    17..=32 => rows.run::<2, 0>(t, g),
                                    33..=48 => rows.run::<3, 0>(t, g),
                                    _ => rows.run::<4, 0>(t, g),
                                }
                            };
                        }
                        return by_cols!(1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16);
                    }
                    Err(g) => self.g = g,
                }
            }
        }
        self.run::<true>()
    }
}

impl<A: Float> IndexRows<'_, A> {
    /// One long row: max; `g = exp(x − m)`; sum; value and gradient.
    /// `next` (the next row, or empty) is prefetched during the exponential
    /// pass, so that its first read — the max pass, otherwise waiting on
    /// L2/L3 — overlaps this row's arithmetic.
    #[inline(always)]
    fn long_row<const FMA: bool>(&self, x: &[A], y: usize, g: &mut [A], next: &[A]) -> f64 {
        if Some(y) == self.ignore {
            g.fill(A::zero());
            return 0.0;
        }
        let m = row_max(x);
        let s = A::from_f64(exp_row::<FMA, A>(x, m, g, next));
        self.math
            .finish(x, y, Some(g), m, s.ln(), s, self.scale)
            .to_f64()
    }

    /// One group of rows; returns the sum of their values.
    #[inline(always)]
    fn group<const FMA: bool>(&self, x: &[A], targets: &[usize], g: &mut [A]) -> f64 {
        let cols = self.cols;
        let n = targets.len();
        let mut maxes = [A::zero(); GROUP_ROWS];
        let mut logs = [A::zero(); GROUP_ROWS];
        // 1. row maxima, g = x − m
        for r in 0..n {
            let xr = &x[r * cols..(r + 1) * cols];
            let m = row_max(xr);
            maxes[r] = m;
            for (gc, &xc) in g[r * cols..(r + 1) * cols].iter_mut().zip(xr) {
                *gc = xc - m;
            }
        }
        // 2. one long exponential loop over the group
        for v in g.iter_mut() {
            *v = exp::<FMA, A>(*v);
        }
        // 3. row sums
        for r in 0..n {
            logs[r] = A::from_f64(row_sum(&g[r * cols..(r + 1) * cols]));
        }
        let sums = logs;
        // 4. logarithms of the sums, vectorised (fused multiply-adds where
        // the kernel has them, as the AVX-512 lane path's `F32x16::ln`)
        for v in logs[..n].iter_mut() {
            *v = v.ln_k::<FMA>();
        }
        // 5. values and gradients
        let mut total = 0.0;
        for (r, &y) in targets.iter().enumerate() {
            let gr = &mut g[r * cols..(r + 1) * cols];
            if Some(y) == self.ignore {
                gr.fill(A::zero());
                continue;
            }
            let xr = &x[r * cols..(r + 1) * cols];
            total += self
                .math
                .finish(xr, y, Some(gr), maxes[r], logs[r], sums[r], self.scale)
                .to_f64();
        }
        total
    }
}

/// Logits per chunk of [`index_rows`]; inputs of at most one chunk can take
/// [`small_index_rows`], validation and rows in a single dispatch.
pub(crate) const SMALL_INDEX_LOGITS: usize = 1 << 14;

/// Cross-entropy of row-major logits `x` (`cols` classes) with class-index
/// targets (validated, `< cols` unless `ignore`): returns the sum of the row
/// values and writes the gradient times `scale` into `g`.
///
/// Whole rows per chunk of about [`SMALL_INDEX_LOGITS`] logits, finer than
/// the element-wise chunks, so that two threads get balanced work on a
/// few hundred rows (with the `rayon` feature; see [`super::split_sum`]).
pub(crate) fn index_rows<A: Float>(
    x: &[A],
    cols: usize,
    targets: &[usize],
    ignore: Option<usize>,
    math: IndexMath<'_, A>,
    scale: A,
    g: &mut [A],
) -> f64 {
    let cols1 = cols.max(1);
    let rows_per_chunk = (SMALL_INDEX_LOGITS / cols1).max(1);
    let chunk_total = |offset: usize, g: &mut [A]| -> f64 {
        let (r0, rows) = (offset / cols1, g.len() / cols1);
        super::simd::dispatch(IndexRows {
            x: &x[offset..offset + g.len()],
            cols,
            targets: &targets[r0..r0 + rows],
            ignore,
            math,
            scale,
            g,
        })
    };
    super::split_sum(g, rows_per_chunk * cols1, &chunk_total)
}

/// [`index_rows`] for one chunk of rows, with the target check in the same
/// dispatch ([`CountedIndexRows`]) and the reduction's `(scale,
/// denominator)` from `scale_of(counted targets)`: `Some((total,
/// denominator))`, or `None` with nothing written when a target is out of
/// range or the reduction is empty (the caller's general path then names the
/// error).
pub(crate) fn small_index_rows<A: Float>(
    x: &[A],
    cols: usize,
    targets: &[usize],
    ignore: Option<usize>,
    math: IndexMath<'_, A>,
    g: &mut [A],
    scale_of: impl FnOnce(usize) -> Option<(A, A)>,
) -> Option<(f64, A)> {
    super::simd::dispatch(CountedIndexRows {
        count: CountTargets {
            targets,
            ignore,
            classes: cols,
        },
        rows: IndexRows {
            x,
            cols,
            targets,
            ignore,
            math,
            scale: A::one(),
            g,
        },
        scale_of,
    })
    .ok()
}

/// Cross-entropy of row-major logits `x` (`cols ≥` [`LONG_ROW`] classes) with
/// probability targets `t`, class `weights`, label smoothing `eps` (`eps_over_c`
/// = ε/C): the sum of the row values, the gradient times `scale` into `g`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn prob_rows<A: Float>(
    x: &[A],
    t: &[A],
    cols: usize,
    weights: Option<&[f64]>,
    eps: A,
    eps_over_c: A,
    scale: A,
    g: &mut [A],
) -> f64 {
    super::simd::dispatch(ProbRows {
        x,
        t,
        cols,
        weights,
        keep: A::one() - eps,
        share: eps_over_c,
        scale,
        g,
    })
}

/// How many of `targets` take part (those not `ignore`), and whether any of
/// them is `classes` or more: [`CountTargets`], dispatched.
pub(crate) fn count_targets(
    targets: &[usize],
    ignore: Option<usize>,
    classes: usize,
) -> (usize, bool) {
    super::simd::dispatch(CountTargets {
        targets,
        ignore,
        classes,
    })
}

/// Counts the class-index targets that take part (those not `ignore`) and
/// says whether any of them is `classes` or more: the validation before
/// [`IndexRows`], dispatched so that it vectorises (the baseline x86-64 has
/// no 64-bit unsigned compare, so its build is scalar and a visible part
/// of a small call).
struct CountTargets<'a> {
    /// The targets.
    pub(crate) targets: &'a [usize],
    /// Targets equal to this are not counted (and never out of range).
    pub(crate) ignore: Option<usize>,
    /// The number of classes.
    pub(crate) classes: usize,
}

impl Kernel for CountTargets<'_> {
    /// (targets counted, whether one is out of range)
    type Output = (usize, bool);

    #[inline(always)]
    fn run<const FMA: bool>(self) -> (usize, bool) {
        let (has_ignore, ignore) = (self.ignore.is_some(), self.ignore.unwrap_or(0));
        let (mut counted, mut bad) = (0_usize, false);
        for &class in self.targets {
            let counts = !(has_ignore & (class == ignore));
            counted += usize::from(counts);
            bad |= counts & (class >= self.classes);
        }
        (counted, bad)
    }
}

/// [`CountTargets`] and then [`IndexRows`] in one dispatch: the whole
/// validated call for one chunk of rows, for small inputs whose fixed cost
/// matters (two dispatches were a tenth of a 32 × 10 cross-entropy). The
/// targets are checked before anything is written.
struct CountedIndexRows<'a, A, F> {
    /// The target check (the same targets as `rows`).
    pub(crate) count: CountTargets<'a>,
    /// The kernel; its `scale` is replaced by `scale_of`'s.
    pub(crate) rows: IndexRows<'a, A>,
    /// The gradient scale and the denominator of the reduction for this
    /// many counted targets, `None` when the reduction is empty.
    pub(crate) scale_of: F,
}

impl<'a, A: Float, F: FnOnce(usize) -> Option<(A, A)>> CountedIndexRows<'a, A, F> {
    /// Counts; `Err` (the gradient untouched) if a target is out of range or
    /// the reduction is empty, else the rows with their scale, and the
    /// denominator.
    #[inline(always)]
    fn checked<const FMA: bool>(self) -> Result<(IndexRows<'a, A>, A), ()> {
        let Self {
            count,
            mut rows,
            scale_of,
        } = self;
        let (counted, bad) = count.run::<FMA>();
        if bad {
            return Err(());
        }
        let (scale, denominator) = scale_of(counted).ok_or(())?;
        rows.scale = scale;
        Ok((rows, denominator))
    }
}

impl<A: Float, F: FnOnce(usize) -> Option<(A, A)>> Kernel for CountedIndexRows<'_, A, F> {
    /// The rows' total and the reduction's denominator, or `Err` with
    /// nothing written: the caller takes the validating path, which names
    /// the error.
    type Output = Result<(f64, A), ()>;

    #[inline(always)]
    fn run<const FMA: bool>(self) -> Result<(f64, A), ()> {
        let (rows, denominator) = self.checked::<FMA>()?;
        Ok((rows.run::<FMA>(), denominator))
    }

    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    fn run_avx512(self, t: Avx512) -> Result<(f64, A), ()> {
        let (rows, denominator) = self.checked::<true>()?;
        Ok((rows.run_avx512(t), denominator))
    }
}

/// [`IndexRows`] in `f32` with AVX-512, for rows shorter than [`LONG_ROW`]:
/// blocks of 16 rows are transposed so that each row is one SIMD lane and
/// each class one vector. The row maximum and sum are then element-wise
/// operations across vectors (no horizontal reductions, no scalar work per
/// row), and the exponentials run at full width whatever the row length.
/// Written with [`F32x16`], one instruction per operation. The arithmetic
/// is that of the group path, operation for operation, except that
/// exponentials below `f32::MIN_POSITIVE` are subnormal (as PyTorch's)
/// where the group path gives 0.
#[cfg(target_arch = "x86_64")]
struct LaneRows<'a> {
    x: &'a [f32],
    cols: usize,
    targets: &'a [usize],
    ignore: Option<usize>,
    math: IndexMath<'a, f32>,
    scale: f32,
}

#[cfg(target_arch = "x86_64")]
const _: () = assert!(LONG_ROW <= 4 * LANES); // `run_avx512`'s chunk counts

/// Fewer rows go through the group path: a block costs about the same for
/// 1 row as for 16, which one or two rows do not repay.
#[cfg(target_arch = "x86_64")]
const LANE_MIN_ROWS: usize = 3;
/// [`LANE_MIN_ROWS`] for more than 16 classes (two to four transposed
/// blocks per 16 rows, so the lane path pays off from more rows).
#[cfg(target_arch = "x86_64")]
const LANE_MIN_ROWS_WIDE: usize = 8;

#[cfg(target_arch = "x86_64")]
impl LaneRows<'_> {
    /// All rows, `NC` = ⌈cols / 16⌉ transposed blocks per 16 rows.
    #[inline(always)]
    fn run<const NC: usize, const C: usize>(&self, t: Avx512, g: &mut [f32]) -> f64 {
        let cols = self.cols;
        debug_assert!(cols.div_ceil(LANES) == NC);
        let mut total = 0.0;
        for (b, ys) in self.targets.chunks(LANES).enumerate() {
            let span = b * LANES * cols..(b * LANES + ys.len()) * cols;
            total += self.block::<NC, C>(t, &self.x[span.clone()], ys, &mut g[span]);
        }
        total
    }

    /// Up to 16 rows (`ys.len()`), their logits `x` and gradient `g`.
    #[inline(always)]
    fn block<const NC: usize, const C: usize>(
        &self,
        t: Avx512,
        x: &[f32],
        ys: &[usize],
        g: &mut [f32],
    ) -> f64 {
        debug_assert!(C == 0 || C == self.cols);
        let cols = if C > 0 { C } else { self.cols };
        let (n, math) = (ys.len(), &self.math);
        let k = |v: f32| F32x16::splat(t, v);
        // v[c] lane r = x[r][c]; columns ≥ cols and rows ≥ n are 0 (unused).
        let mut blocks = [[k(0.0); LANES]; NC];
        for (j, vj) in blocks.iter_mut().enumerate() {
            let c0 = j * LANES;
            *vj = load_transposed(t, &x[c0..], cols, n, (cols - c0).min(LANES));
        }
        // Padding columns are 0 (as loaded): said again so that, with the
        // class count a constant, the compiler drops their shuffles.
        for vc in &mut blocks.as_flattened_mut()[cols..] {
            *vc = k(0.0);
        }
        let v = &mut blocks.as_flattened_mut()[..cols];
        // Each lane's target, and the lanes that count (rows present and
        // not ignored).
        let (y, active) = load_targets(t, ys, self.ignore);
        let is_y = |c: usize| y.eq_splat(c as i32) & active;
        // The row maxima m, each row's target logit x_y and weight w_y.
        let mut m = k(f32::NEG_INFINITY);
        let mut x_y = k(0.0);
        for (c, &vc) in v.iter().enumerate() {
            m = m.max_with(vc);
            x_y = F32x16::select(is_y(c), vc, x_y);
        }
        let w_y = match math.weights {
            None => k(1.0).zero_unless(active),
            Some(w) => w.iter().enumerate().fold(k(0.0), |w_y, (c, &wc)| {
                F32x16::select(is_y(c), k(wc as f32), w_y)
            }),
        };
        // Σ w_c·(x_c − m) for label smoothing (terms ≤ 0: no cancellation).
        let smoothing = math.eps > 0.0;
        let mut wd = k(0.0);
        if smoothing {
            for (c, &vc) in v.iter().enumerate() {
                wd = wd + k(math.weight(c)) * (vc - m);
            }
        }
        // e = exp(x − m) in place of x; s = Σ e in class order (as the group
        // path; its exponentials below f32::MIN_POSITIVE are 0, these are
        // subnormal as PyTorch's, which changes no sum ≥ 1).
        let mut s = k(0.0);
        for vc in v.iter_mut() {
            *vc = (*vc - m).exp_nonpos();
            s = s + *vc;
        }
        // −log p_y = (m − x_y) + ln s; smoothing Σ w_c·((m − x_c) + ln s).
        let ln_s = s.ln();
        let one_eps = 1.0 - math.eps;
        let mut value = w_y * (ln_s - (x_y - m));
        if smoothing {
            value = k(one_eps) * value + k(math.eps_over_c) * (k(math.weight_sum) * ln_s - wd);
        }
        let total = value.sum_f64_where(active);
        // The gradient, in place of e: as `IndexMath::finish`.
        let scale = self.scale;
        let a = k(scale) * (k(one_eps) * w_y + k(math.eps_over_c * math.weight_sum)) / s;
        let k_y = k(scale * one_eps) * w_y;
        let b = scale * math.eps_over_c;
        for (c, vc) in v.iter_mut().enumerate() {
            *vc = if b != 0.0 {
                (a * *vc - k(b * math.weight(c))).zero_unless(active)
            } else {
                a.mul_zero_unless(*vc, active)
            }
            .sub_where(is_y(c), k_y);
        }
        for (j, vj) in blocks.iter().enumerate() {
            let c0 = j * LANES;
            store_transposed(vj, &mut g[c0..], cols, n, (cols - c0).min(LANES));
        }
        total
    }
}

/// The rest of a row of cross-entropy from logits with probability targets,
/// given `(m, ln s, s)` of its softmax (`g` holding `exp(x − m)` if given):
/// `ℓ = Σ_c q_c·(m + ln s − x_c)` with `q(c) = w_c·t'_c` (the smoothed,
/// weighted target), `∂ℓ/∂x_c = scale·(softmax_c·Σq − q_c)`. The sums are
/// [`sum_indexed`] (a serial sum with a weight lookup per class did not
/// vectorise).
#[inline(always)]
pub(crate) fn prob_row_finish<A: Float>(
    x: &[A],
    g: Option<&mut [A]>,
    (m, ln_s, s): (A, A, A),
    scale: A,
    q: impl Fn(usize) -> A + Copy,
) -> A {
    let n = x.len();
    let value = A::from_f64(sum_indexed(n, |c| q(c) * ((m - x[c]) + ln_s)));
    let total = A::from_f64(sum_indexed(n, q));
    if let Some(g) = g {
        let a = scale * total / s;
        for (c, e) in g[..n].iter_mut().enumerate() {
            *e = a * *e - scale * q(c);
        }
    }
    value
}

/// Cross-entropy from logits with probability targets over row-major
/// `(N, C)` arrays with `C ≥` [`LONG_ROW`], with gradient: the exponentials
/// as [`IndexRows`] computes them ([`exp_row`]), then [`prob_row_finish`].
/// Row values are streamed in row order, as the generic row driver does.
struct ProbRows<'a, A> {
    /// `rows × cols` logits.
    pub(crate) x: &'a [A],
    /// `rows × cols` target probabilities.
    pub(crate) t: &'a [A],
    /// Number of classes.
    pub(crate) cols: usize,
    /// Class weights (checked to have `cols` entries).
    pub(crate) weights: Option<&'a [f64]>,
    /// `1 − label_smoothing`.
    pub(crate) keep: A,
    /// `label_smoothing / C`.
    pub(crate) share: A,
    /// Gradient scale of the reduction.
    pub(crate) scale: A,
    /// The gradient, `rows × cols`.
    pub(crate) g: &'a mut [A],
}

impl<A: Float> Kernel for ProbRows<'_, A> {
    type Output = f64;

    #[inline(always)]
    fn run<const FMA: bool>(self) -> f64 {
        let (cols, keep, share, scale) = (self.cols, self.keep, self.share, self.scale);
        if cols == 0 {
            return 0.0;
        }
        let mut stream = Stream::new();
        let rows = self.x.chunks(cols).zip(self.t.chunks(cols));
        for (r, ((x, t), g)) in rows.zip(self.g.chunks_mut(cols)).enumerate() {
            let next = self.x.get((r + 1) * cols..(r + 2) * cols).unwrap_or(&[]);
            let m = row_max(x);
            let s = A::from_f64(exp_row::<FMA, A>(x, m, g, next));
            let parts = (m, s.ln(), s);
            let t = &t[..cols];
            let v = match self.weights {
                None => prob_row_finish(x, Some(g), parts, scale, |c| keep * t[c] + share),
                Some(w) => {
                    let w = &w[..cols];
                    let q = |c: usize| A::from_f64(w[c]) * (keep * t[c] + share);
                    prob_row_finish(x, Some(g), parts, scale, q)
                }
            };
            stream.push(v);
        }
        stream.total()
    }
}

/// `g = exp(x − m)` over a row of at least [`TAIL`] elements; returns
/// `Σ g` in `f64`. Each value is also added to one of [`TAIL`] running sums
/// in registers, summed by the halving tree every [`SUM_SPAN`] elements, in
/// `f64` across;
/// `next` (the next row, or empty) is prefetched along the way. Shared by
/// the class-index rows ([`IndexRows`]) and the probability-target rows
/// ([`ProbRows`]).
#[inline(always)]
fn exp_row<const FMA: bool, A: Float>(x: &[A], m: A, g: &mut [A], next: &[A]) -> f64 {
    // The loop runs over a multiple of TAIL elements; the rest of the row
    // is the last TAIL elements again, computed in full (the overlap
    // rewrites the same values) and summed under a mask: a fixed-length
    // vector loop instead of a scalar remainder of up to 63 exponentials.
    let n = x.len();
    let split = n - n % TAIL;
    let mut s = 0.0;
    for (span, (gs, xs)) in g[..split]
        .chunks_mut(SUM_SPAN)
        .zip(x[..split].chunks(SUM_SPAN))
        .enumerate()
    {
        // Whole fixed-size arrays: the compiler keeps them in registers.
        let mut acc = [A::zero(); TAIL];
        let (gc, _) = gs.as_chunks_mut::<TAIL>();
        let (xc, _) = xs.as_chunks::<TAIL>();
        for (k, (gb, xb)) in gc.iter_mut().zip(xc).enumerate() {
            if k % (BLOCK / TAIL) == 0 {
                // The next row's BLOCK logits at the offset of xb.
                let at = span * SUM_SPAN + k * TAIL;
                if let Some(ahead) = next.get(at..(at + BLOCK).min(next.len())) {
                    super::simd::prefetch(ahead);
                }
            }
            let e: [A; TAIL] = std::array::from_fn(|j| exp::<FMA, A>(xb[j] - m));
            *gb = e;
            acc = std::array::from_fn(|j| acc[j] + e[j]);
        }
        s += halving_sum_64(&acc).to_f64();
    }
    if split < n {
        let fresh = TAIL - (n - split); // the first `fresh` are counted
        let xt: &[A; TAIL] = x[n - TAIL..].try_into().expect("n ≥ TAIL");
        let gt: &mut [A; TAIL] = (&mut g[n - TAIL..]).try_into().expect("n ≥ TAIL");
        let mut buf = [A::zero(); TAIL];
        for j in 0..TAIL {
            let ev = exp::<FMA, A>(xt[j] - m);
            gt[j] = ev;
            buf[j] = if j < fresh { A::zero() } else { ev };
        }
        s += halving_sum_64(&buf).to_f64();
    }
    s
}

/// `eˣ` for `x ≤ 0` (a logit minus its row's maximum), with or without
/// fused multiply-adds. Values below the smallest normal number are 0: they
/// cannot change a row sum of at least 1, and the gradient entries they
/// would give are below 1.2e-38 (f32) in magnitude (PyTorch's are
/// subnormal there). Three instructions fewer per vector than the exact
/// version, in a loop bound by its vector instructions.
#[inline(always)]
fn exp<const FMA: bool, A: Float>(x: A) -> A {
    x.exp_nonpos_ftz::<FMA>()
}

#[cfg(all(test, target_arch = "x86_64"))]
mod tests {
    use super::*;

    /// The AVX-512 lane path against the portable group path on the same
    /// `f32` inputs, for every option and ragged shape: the same arithmetic,
    /// so gradients agree to rounding and values to summation order.
    #[test]
    fn lane_path_matches_group_path() {
        let Some(t) = super::super::simd::avx512_token() else {
            return;
        };
        let mut state = 0x1234_5678_u64;
        let mut next = move || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 33) as f64 / (1u64 << 31) as f64
        };
        let mut checked = 0;
        for rows in [3, 5, 8, 9, 16, 17, 33, 40] {
            for cols in [1, 2, 10, 16, 17, 31, 32, 33, 48, 63] {
                let x: Vec<f32> = (0..rows * cols)
                    .map(|_| (next() * 30.0 - 15.0) as f32)
                    .collect();
                let y: Vec<usize> = (0..rows).map(|_| (next() * cols as f64) as usize).collect();
                let w: Vec<f64> = (0..cols).map(|_| 0.1 + next() * 2.0).collect();
                for (weights, eps, ignore) in [
                    (None, 0.0, None),
                    (Some(&w[..]), 0.0, None),
                    (None, 0.1, None),
                    (Some(&w[..]), 0.2, Some(y[rows / 2])),
                    (None, 0.0, Some(y[0])),
                ] {
                    let weight_sum = weights.map_or(cols as f64, |w| w.iter().sum());
                    let math = IndexMath {
                        weights,
                        eps: eps as f32,
                        eps_over_c: (eps / cols as f64) as f32,
                        weight_sum: weight_sum as f32,
                        z: 0.0,
                    };
                    let mut g_lane = vec![f32::NAN; rows * cols];
                    let mut g_group = vec![f32::NAN; rows * cols];
                    let kernel = |g| IndexRows {
                        x: &x,
                        cols,
                        targets: &y,
                        ignore,
                        math,
                        scale: 0.25,
                        g,
                    };
                    let lane = kernel(&mut g_lane).run_avx512(t);
                    let group = kernel(&mut g_group).run::<true>();
                    let at = format!(
                        "{rows}×{cols}, weights {}, ε {eps}, ignore {ignore:?}",
                        weights.is_some()
                    );
                    assert!(
                        (lane - group).abs() <= 1e-6 * group.abs().max(1.0),
                        "{at}: {lane} vs {group}"
                    );
                    // a·e_c − b·w_c − [c = y]·k can cancel: the error is
                    // relative to the terms subtracted (the sums s of the two
                    // paths may differ in the last bit from 32 classes on).
                    let w = |c: usize| weights.map_or(1.0, |w| w[c]);
                    for (i, (a, b)) in g_lane.iter().zip(&g_group).enumerate() {
                        let (r, c) = (i / cols, i % cols);
                        let k = if c == y[r] { 0.25 * w(c) } else { 0.0 };
                        let term = (0.25 * eps / cols as f64 * w(c) + k) as f32;
                        let tol = 8.0 * f32::EPSILON * (b.abs() + term);
                        assert!((a - b).abs() <= tol, "{at} at {i}: {a} vs {b}");
                    }
                    checked += 1;
                }
            }
        }
        assert_eq!(checked, 8 * 10 * 5);
    }
}
