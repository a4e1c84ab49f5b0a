//! Runtime CPU-feature dispatch.
//!
//! Users build for the default target (on x86-64 that enables only SSE2), so
//! the wider instruction sets are chosen at run time: a hot loop is written
//! once as a [`Kernel`] (plain generic Rust, every call on its path
//! `#[inline(always)]`), and [`dispatch`] runs it inside a function compiled
//! with `target_feature` for the best level the CPU has — AVX-512, AVX2 + FMA,
//! or the baseline. The compiler vectorises the same source three times; the
//! detection is done once and cached.
//!
//! This module and [`super::avx512`] hold the crate's only `unsafe`; here:
//! calling a `target_feature` function, which is sound exactly when the CPU
//! has those features, and the level is only ever chosen from
//! `is_x86_feature_detected!`; prefetch hints; and streaming stores into
//! bounds- and alignment-checked arrays ([`Streamer`]).
//!
//! Set the environment variable `NDLOSS_SIMD` to `baseline`, `avx2` (at most)
//! before the first call to cap the level: for benchmarking the paths against
//! each other and for testing that they agree.

#![allow(unsafe_code)]
#![warn(clippy::undocumented_unsafe_blocks)]

/// A hot loop: run once per dispatch, compiled once per instruction-set level.
///
/// Implementations mark `run` `#[inline(always)]` (and everything it calls
/// that matters), so the whole loop is compiled inside the feature-enabled
/// caller.
pub(crate) trait Kernel {
    /// What the loop returns.
    type Output;
    /// Runs the loop. `FMA` says the caller was compiled with fused
    /// multiply-add instructions: pass it on to the math
    /// (`Float::exp_nonpos::<FMA>` and the like).
    fn run<const FMA: bool>(self) -> Self::Output;

    /// Runs the loop on a CPU with AVX-512 (the token proves it): for
    /// kernels that need instructions the compiler does not produce from
    /// plain Rust (lane shuffles, masked loads; see [`super::avx512`]).
    /// By default the plain loop.
    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    fn run_avx512(self, _: Avx512) -> Self::Output
    where
        Self: Sized,
    {
        self.run::<true>()
    }
}

/// Proof that the CPU has AVX-512 F/BW/DQ/VL (and AVX2, FMA): only
/// [`dispatch`] makes one, after detecting them. Functions taking it may use
/// those instructions (see [`super::avx512`]).
#[cfg(target_arch = "x86_64")]
#[derive(Clone, Copy, Debug)]
pub(crate) struct Avx512(());

/// The instruction-set level the kernels run at, from [`simd_level`](crate::simd_level).
///
/// Ordered from the narrowest to the widest.
///
/// # Examples
///
/// ```
/// use ndloss::SimdLevel;
///
/// assert!(SimdLevel::Baseline < SimdLevel::Avx2);
/// assert_eq!(SimdLevel::Avx2.to_string(), "avx2+fma");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum SimdLevel {
    /// What the build target enables (SSE2 on default x86-64).
    Baseline = 1,
    /// AVX2 and FMA (Haswell, Zen and later).
    Avx2 = 2,
    /// AVX-512 F/BW/DQ/VL (Skylake-X, Ice Lake, Zen 4 and later).
    Avx512 = 3,
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::sync::atomic::{AtomicU8, Ordering};

    use super::{Avx512, Kernel, SimdLevel};

    /// 0 until detected, then a `SimdLevel` discriminant.
    static LEVEL: AtomicU8 = AtomicU8::new(0);

    /// The best level this CPU has, before the `NDLOSS_SIMD` cap.
    pub(super) fn detected() -> SimdLevel {
        let avx2 = is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma");
        let avx512 = avx2
            && is_x86_feature_detected!("avx512f")
            && is_x86_feature_detected!("avx512bw")
            && is_x86_feature_detected!("avx512dq")
            && is_x86_feature_detected!("avx512vl");
        if avx512 {
            SimdLevel::Avx512
        } else if avx2 {
            SimdLevel::Avx2
        } else {
            SimdLevel::Baseline
        }
    }

    #[cold]
    fn detect() -> SimdLevel {
        let level = detected().min(super::cap());
        LEVEL.store(level as u8, Ordering::Relaxed);
        level
    }

    #[inline(always)]
    pub(super) fn level() -> SimdLevel {
        match LEVEL.load(Ordering::Relaxed) {
            3 => SimdLevel::Avx512,
            2 => SimdLevel::Avx2,
            1 => SimdLevel::Baseline,
            _ => detect(),
        }
    }

    #[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl,avx2,fma")]
    #[inline(never)]
    pub(super) fn avx512<K: Kernel>(k: K) -> K::Output {
        // The only place a token is made: this function is entered only
        // when the features were detected (see `dispatch`).
        k.run_avx512(Avx512(()))
    }

    #[target_feature(enable = "avx2,fma")]
    #[inline(never)]
    pub(super) fn avx2<K: Kernel>(k: K) -> K::Output {
        k.run::<true>()
    }
}

impl SimdLevel {
    /// The level's name: `"baseline"`, `"avx2+fma"` or `"avx512"`.
    ///
    /// ```
    /// assert_eq!(ndloss::SimdLevel::Avx512.as_str(), "avx512");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            SimdLevel::Baseline => "baseline",
            SimdLevel::Avx2 => "avx2+fma",
            SimdLevel::Avx512 => "avx512",
        }
    }
}

impl std::fmt::Display for SimdLevel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What `NDLOSS_SIMD` accepts, in words.
pub(crate) const CAP_VALUES: &str = "baseline (or sse2), avx2, avx512, or unset";

/// The most `NDLOSS_SIMD` allows (ASCII case and surrounding blanks
/// ignored): `Ok(None)` when unset or empty, an error naming the value
/// when it is not one of [`CAP_VALUES`].
pub(crate) fn parse_cap(value: Option<&str>) -> Result<Option<SimdLevel>, String> {
    let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    match value.to_ascii_lowercase().as_str() {
        "baseline" | "sse2" => Ok(Some(SimdLevel::Baseline)),
        "avx2" | "avx2+fma" => Ok(Some(SimdLevel::Avx2)),
        "avx512" => Ok(Some(SimdLevel::Avx512)),
        _ => Err(value.to_owned()),
    }
}

/// The cap `NDLOSS_SIMD` sets; a value it does not understand caps
/// nothing here (kernels must run) and is reported by
/// [`simd_level`](crate::simd_level).
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
fn cap() -> SimdLevel {
    let var = std::env::var("NDLOSS_SIMD").ok();
    parse_cap(var.as_deref())
        .ok()
        .flatten()
        .unwrap_or(SimdLevel::Avx512)
}

/// The level the test run must exercise, from `NDLOSS_EXPECT_SIMD`
/// (`avx512`, `avx2` or `baseline`: what the CPU is known to have, set by
/// CI), capped by `NDLOSS_SIMD`; `None` when the variable is not set.
/// A test whose path needs a level above the one kernels run at fails
/// instead of passing without running (see [`avx512_token`]).
#[cfg(test)]
pub(crate) fn expected_level() -> Option<SimdLevel> {
    let expected = match std::env::var("NDLOSS_EXPECT_SIMD").ok()?.as_str() {
        "avx512" => SimdLevel::Avx512,
        "avx2" => SimdLevel::Avx2,
        "baseline" => SimdLevel::Baseline,
        other => panic!("NDLOSS_EXPECT_SIMD={other}: expected avx512, avx2 or baseline"),
    };
    Some(expected.min(cap()))
}

/// A token when this CPU has AVX-512 and kernels run at that level, for
/// testing the functions that take one. `None` skips such a test, unless
/// the run expects AVX-512 ([`expected_level`]): then it panics, so that
/// CI on an AVX-512 machine cannot pass without running the AVX-512 paths.
#[cfg(all(test, target_arch = "x86_64"))]
pub(crate) fn avx512_token() -> Option<Avx512> {
    let token = (level() == SimdLevel::Avx512).then_some(Avx512(()));
    if token.is_none() {
        assert!(
            expected_level() != Some(SimdLevel::Avx512),
            "NDLOSS_EXPECT_SIMD asks for AVX-512, but kernels run at {:?}",
            level()
        );
        eprintln!("no AVX-512 here: skipped");
    }
    token
}

/// The level [`dispatch`] runs kernels at on this CPU.
pub(crate) fn level() -> SimdLevel {
    #[cfg(target_arch = "x86_64")]
    {
        x86::level()
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        SimdLevel::Baseline
    }
}

/// Runs `k` compiled for the best instruction set this CPU has.
#[inline(always)]
pub(crate) fn dispatch<K: Kernel>(k: K) -> K::Output {
    #[cfg(target_arch = "x86_64")]
    {
        match x86::level() {
            // SAFETY: `level()` returns `Avx512` only when
            // `is_x86_feature_detected!` found every feature `avx512` enables.
            SimdLevel::Avx512 => return unsafe { x86::avx512(k) },
            // SAFETY: likewise, `Avx2` only when AVX2 and FMA were detected.
            SimdLevel::Avx2 => return unsafe { x86::avx2(k) },
            SimdLevel::Baseline => {}
        }
    }
    baseline(k)
}

/// The baseline build of a kernel, kept out of line like the others (a hot
/// loop inlined into its caller's loop vectorises worse).
#[inline(never)]
fn baseline<K: Kernel>(k: K) -> K::Output {
    k.run::<false>()
}

/// Asks the CPU to start loading every cache line of `x` into L1: a hint
/// with no effect on results (no-op off x86-64).
#[inline(always)]
pub(crate) fn prefetch<T>(x: &[T]) {
    prefetch_lines(x.as_ptr(), x.len());
}

/// [`prefetch`] for the `len` elements from `x`, an address that need not
/// be dereferenceable (the gradient's lines past the block a kernel holds):
/// a prefetch never faults. For lines about to be written it works as a
/// write prefetch: read by one core, a line arrives exclusive, so the stores
/// to it need no further request.
#[inline(always)]
pub(crate) fn prefetch_lines<T>(x: *const T, len: usize) {
    #[cfg(target_arch = "x86_64")]
    for i in (0..len).step_by((64 / std::mem::size_of::<T>()).max(1)) {
        // SAFETY: a prefetch is only a hint: it never faults (whatever the
        // address) and never changes memory or results.
        unsafe {
            std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(
                x.wrapping_add(i).cast(),
            )
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (x, len);
}

/// Prefetches one cache line in each 4 KiB page of the `len` elements from
/// `x` (from `x` itself on): enough to make the CPU walk the page tables
/// for them ahead of use. `x` is only an address, never dereferenced.
#[inline(always)]
pub(crate) fn prefetch_pages<T>(x: *const T, len: usize) {
    let per_page = (4096 / std::mem::size_of::<T>()).max(1);
    for i in (0..len).step_by(per_page) {
        prefetch_lines(x.wrapping_add(i), 1);
    }
}

/// How this CPU writes with non-temporal (streaming) stores, which send the
/// lines to memory without first reading them into the cache: for outputs
/// too large to stay there (a plain store reads its line first, a quarter of
/// the traffic of a fused loss pass). Made only by [`Streamer::new`], after
/// detection, so a wide one proves AVX.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Streamer {
    /// 32-byte stores (AVX, and kernels run at `Avx2` or above), else 16.
    wide: bool,
}

impl Streamer {
    /// The widest streaming store the kernels' level allows.
    pub(crate) fn new() -> Self {
        Self {
            wide: level() >= SimdLevel::Avx2,
        }
    }

    /// Writes `src` to `dst` with streaming stores when `dst` is aligned to
    /// their width (on x86-64), plain stores otherwise. Call
    /// [`stream_fence`] before the kernel returns.
    #[inline(always)]
    pub(crate) fn store<A: Copy, const L: usize>(self, dst: &mut [A; L], src: &[A; L]) {
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::x86_64::{
                _mm256_loadu_ps, _mm256_stream_ps, _mm_loadu_ps, _mm_stream_ps,
            };
            let bytes = std::mem::size_of::<[A; L]>();
            let d = dst.as_mut_ptr().cast::<u8>();
            let s = src.as_ptr().cast::<u8>();
            if self.wide && bytes.is_multiple_of(32) && (d as usize).is_multiple_of(32) {
                for k in (0..bytes).step_by(32) {
                    // SAFETY: `k + 32 <= bytes`, the size of both arrays, so
                    // the bytes read and written lie in them; `d + k` is
                    // 32-byte aligned (checked, `k` a multiple of 32), as the
                    // store requires; `wide` proves AVX (`Streamer::new`).
                    // The bytes are moved unchanged.
                    unsafe { _mm256_stream_ps(d.add(k).cast(), _mm256_loadu_ps(s.add(k).cast())) }
                }
                return;
            }
            if bytes.is_multiple_of(16) && (d as usize).is_multiple_of(16) {
                for k in (0..bytes).step_by(16) {
                    // SAFETY: as above, with 16 bytes and SSE, which the
                    // x86-64 baseline has.
                    unsafe { _mm_stream_ps(d.add(k).cast(), _mm_loadu_ps(s.add(k).cast())) }
                }
                return;
            }
        }
        *dst = *src;
    }
}

/// Orders the [`Streamer::store`]s before every later store, so that another
/// thread that sees a later write (the end of a `rayon` task) sees them too.
#[inline(always)]
pub(crate) fn stream_fence() {
    // SAFETY: a store fence has no operands and no effect on values; SSE is
    // part of the x86-64 baseline.
    #[cfg(target_arch = "x86_64")]
    unsafe {
        std::arch::x86_64::_mm_sfence()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// With `NDLOSS_EXPECT_SIMD` set (CI sets it from the CPU's flags), the
    /// kernels run at exactly that level, capped by `NDLOSS_SIMD`: a
    /// detection that fell back to a lower level fails the run.
    #[test]
    fn kernels_run_at_the_expected_level() {
        match expected_level() {
            Some(expected) => assert_eq!(level(), expected, "the SIMD level CI expects"),
            None => eprintln!("NDLOSS_EXPECT_SIMD not set: level {:?} unchecked", level()),
        }
    }

    #[test]
    fn the_cap_variable_is_parsed_strictly() {
        assert_eq!(parse_cap(None), Ok(None));
        assert_eq!(parse_cap(Some(" ")), Ok(None));
        assert_eq!(parse_cap(Some("baseline")), Ok(Some(SimdLevel::Baseline)));
        assert_eq!(parse_cap(Some("SSE2")), Ok(Some(SimdLevel::Baseline)));
        assert_eq!(parse_cap(Some(" avx2\n")), Ok(Some(SimdLevel::Avx2)));
        assert_eq!(parse_cap(Some("avx2+fma")), Ok(Some(SimdLevel::Avx2)));
        assert_eq!(parse_cap(Some("AVX512")), Ok(Some(SimdLevel::Avx512)));
        assert_eq!(parse_cap(Some("avx-2")), Err("avx-2".to_owned()));
        assert_eq!(parse_cap(Some("none")), Err("none".to_owned()));
    }
}
