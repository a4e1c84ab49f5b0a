//! The scalar types `ndloss` computes in.

use std::fmt::{Debug, Display};

use ndarray::ScalarOperand;

/// A floating-point element type: `f32` or `f64`.
///
/// Sealed: the kernels carry hand-written, vectorisable transcendental
/// functions for exactly these two types. Hyperparameters are stored as `f64`
/// and converted with [`Float::from_f64`] when a call starts.
///
/// # Examples
///
/// ```
/// use ndloss::Float;
///
/// fn half<A: Float>(x: A) -> A {
///     x * A::from_f64(0.5)
/// }
/// assert_eq!(half(3.0_f32), 1.5);
/// assert_eq!(3.0_f64.to_f64(), 3.0);
/// ```
pub trait Float:
    num_traits::Float + ScalarOperand + Debug + Display + Default + Send + Sync + 'static + FloatKernels
{
    /// Converts from `f64`, rounding to nearest (`as` semantics).
    fn from_f64(x: f64) -> Self;
    /// Converts to `f64` (exact for both types).
    fn to_f64(self) -> f64;
    /// Converts a count to this type.
    fn from_usize(n: usize) -> Self;
    /// `eˣ`, branch-free so that loops over slices vectorise; within 2 ulp of
    /// `std`'s `exp` over the whole range, including overflow to `+∞`,
    /// underflow through the subnormals to `0`, and NaN propagation.
    #[inline(always)]
    fn exp_fast(self) -> Self {
        self.exp_k::<false>()
    }
    /// `ln x`, branch-free like [`Float::exp_fast`]; within 2 ulp of `std`'s
    /// `ln` over the whole range, subnormals included; `ln 0 = −∞`,
    /// `ln ∞ = ∞`, NaN for negative inputs and NaN.
    #[inline(always)]
    fn ln_fast(self) -> Self {
        self.ln_k::<false>()
    }
    /// `ln(1 + x)`, accurate for tiny `x`, branch-free; within 3 ulp of
    /// `std`'s `ln_1p`.
    #[inline(always)]
    fn ln_1p_fast(self) -> Self {
        self.ln_1p_k::<false>()
    }
}

/// The scalar math the kernels are built on: the vectorisable
/// transcendental functions in their kernel variants (with or without fused
/// multiply-adds, without special cases their callers rule out) and the
/// `f32` views of the AVX-512 paths.
///
/// A supertrait of [`Float`] that users cannot name (it lives in a private
/// module), so its methods are not part of the public API, and it seals
/// [`Float`] to `f32` and `f64`. Inside the crate, `use
/// crate::float::FloatKernels` brings the methods into scope.
pub trait FloatKernels: num_traits::Float {
    /// The one of two copies of the same values that has this type: for
    /// settings stored in both precisions so that a call converts nothing
    /// (and allocates nothing).
    fn pick<'a>(f32s: &'a [f32], f64s: &'a [f64]) -> &'a [Self];
    /// [`Float::exp_fast`] with fused multiply-adds when `FMA` (as for
    /// [`FloatKernels::exp_nonpos`]), for the kernels..
    fn exp_k<const FMA: bool>(self) -> Self;
    /// [`Float::exp_fast`] for `x ≤ 0` or NaN only (larger `x` unspecified):
    /// one clamp fewer, for the softmax kernel..
    fn exp_nonpos<const FMA: bool>(self) -> Self;
    /// [`FloatKernels::exp_nonpos`] with results below the smallest normal number
    /// (`x < ln MIN_POSITIVE`, −87.3 for `f32`, −708.4 for `f64`) flushed to
    /// 0 instead of rounded to subnormals: one scale factor instead of two,
    /// three instructions fewer, for the softmax kernel, whose sums such terms
    /// cannot change..
    fn exp_nonpos_ftz<const FMA: bool>(self) -> Self;
    /// `eˣ − 1` for `x ≤ 0` (NaN kept; larger `x` unspecified), accurate near
    /// 0, branch-free; fused multiply-adds when `FMA` (as for
    /// [`FloatKernels::exp_nonpos`]), for the kernels' `tanh`
    /// ([`tanh_from_expm1`]).
    fn expm1_nonpos<const FMA: bool>(self) -> Self;
    /// [`Float::ln_fast`] with fused multiply-adds when `FMA` (as for
    /// [`FloatKernels::exp_nonpos`]), for the kernels..
    #[inline(always)]
    fn ln_k<const FMA: bool>(self) -> Self {
        finish_ln(self, self.ln_core_k::<FMA, true>())
    }
    /// [`FloatKernels::ln_k`] before its special cases (`0`, `∞`, negative and NaN
    /// inputs give unspecified values), for callers that handle the ones
    /// their arguments can take; without the rescaling of subnormal inputs
    /// unless `SUBNORMAL`..
    fn ln_core_k<const FMA: bool, const SUBNORMAL: bool>(self) -> Self;
    /// `ln x` for `x ∈ [−0, 1]` without [`FloatKernels::ln_k`]'s special cases,
    /// for `Bce`: subnormal `x` as exact as normal ones (always rescaled: one
    /// multiply-add instead of a test), and `x = ±0` gives a finite value
    /// below −100 (−103.97 for `f32`, −745.13 for `f64`) where `ln` gives
    /// −∞, which a clamp at −100 cannot tell apart. On (0, 1] within 1 ulp
    /// of `ln` (`f32`: a polynomial a degree shorter than `ln_k`'s, checked
    /// over every `f32` of (0, 1]; `f64`: `ln_k`'s values); NaN and other
    /// `x` give unspecified values..
    fn ln_unit_core_k<const FMA: bool>(self) -> Self;
    /// `ln(1 − p)` for `p ∈ [−0, 1]` without special cases, for `Bce`: its
    /// reduced argument is formed from `p` exactly, so the rounding of
    /// `1 − p` never enters (`f32`: within 1 ulp of `ln(1 − p)` rounded,
    /// checked over every `f32` of [0, 1); `f64`: within 2 ulp); `p = 1` gives a
    /// finite value below −100 where `ln` gives −∞; NaN gives NaN; other
    /// `p` unspecified..
    fn ln_1m_unit_k<const FMA: bool>(self) -> Self;
    /// `ln(1 + x)` for `x ∈ [0, 1]` (NaN kept; other `x` unspecified), for
    /// `ln(1 + e^{−|x|})` in the logistic losses: for `f32` a polynomial (no
    /// division), for `f64` the logarithm's series in `s = f/(2 + f)` on the
    /// exactly reduced argument; within 2 ulp of `std`.
    fn ln_1p_unit<const FMA: bool>(self) -> Self;
    /// The slice itself when `Self` is `f32`: for kernels written for `f32`
    /// lanes only (the AVX-512 cross-entropy)..
    fn as_f32(x: &[Self]) -> Option<&[f32]>;
    /// As [`FloatKernels::as_f32`], mutable; gives the slice back otherwise.
    fn as_f32_mut(x: &mut [Self]) -> Result<&mut [f32], &mut [Self]>;
    /// [`Float::ln_1p_fast`] with fused multiply-adds when `FMA`, for the
    /// kernels..
    #[inline(always)]
    fn ln_1p_k<const FMA: bool>(self) -> Self {
        // With u = 1 ⊕ x rounded, ln(1 + x) = ln u + ln(1 + c/u), where
        // c = x − (u − 1) is u's rounding error, exactly (Fast2Sum, for
        // |x| ≤ 1; 0 for x ≤ −½, where u is exact). ln(1 + c/u) ≈ c/u, and
        // 1/u ≈ 1 − x: that error, |c|·x²/(1 + x), stays below half an ulp
        // of the result. Above 1 the correction (at most half an ulp of u,
        // over u) is dropped. No division (Goldberg's ln(u)·x/(u − 1) has
        // one, and the losses calling this are bound by their arithmetic).
        let one = Self::one();
        // u is 0 or at least 2⁻²⁴ (f32; 2⁻⁵³ for f64) in magnitude, never
        // subnormal: the rescaling step is left out (5 instructions of ~40).
        let u = one + self;
        ln_1p_corrected(self, u, finish_ln(u, u.ln_core_k::<FMA, false>()))
    }
    /// [`FloatKernels::ln_1p_k`] for `x ≥ 0`, `+∞` and NaN (negative `x`
    /// unspecified): one special case (`1 ⊕ x` infinite or NaN) instead of
    /// three, for `Msle`..
    #[inline(always)]
    fn ln_1p_nonneg_k<const FMA: bool>(self) -> Self {
        let one = Self::one();
        let u = one + self;
        let core = u.ln_core_k::<FMA, false>();
        // `!(u < ∞)`: infinite or NaN, which is then the result.
        let r = if u < Self::infinity() { core } else { u };
        ln_1p_corrected(self, u, r)
    }
}

/// `ln(1 + x)` from `r = ln u`, `u = 1 ⊕ x`: adds the rounding error of
/// `u` over `u` (see [`FloatKernels::ln_1p_k`]) for `x < 1`.
#[inline(always)]
fn ln_1p_corrected<T: num_traits::Float>(x: T, u: T, r: T) -> T {
    let one = T::one();
    if x < one {
        r + (x - (u - one)) * (one - x)
    } else {
        r
    }
}

/// `(ln p, ln(1 − p))` for a probability `p ∈ [−0, 1]`, branch-free and
/// without special cases, for `Bce` ([`FloatKernels::ln_unit_core_k`],
/// [`FloatKernels::ln_1m_unit_k`]): `p = 0` or `1` gives a finite value below −100
/// in place of −∞ (which a clamp at −100 turns into −100). At NaN, `ln p`
/// is unspecified and `ln(1 − p)` is NaN (`Bce` relies on it).
#[inline(always)]
pub(crate) fn ln_unit_pair<A: Float, const FMA: bool>(p: A) -> (A, A) {
    (p.ln_unit_core_k::<FMA>(), p.ln_1m_unit_k::<FMA>())
}

/// The pieces of the logistic losses at a logit `x`, branch-free:
/// `(e, ln(1 + e), 1/(1 + e))` with `e = e^{−|x|} ∈ [0, 1]`, so that
/// `σ(x) = 1/(1 + e)` (x ≥ 0) or `e/(1 + e)` (x < 0), and
/// `ln(1 + eˣ) = max(x, 0) + ln(1 + e)`, each without overflow or
/// cancellation. `FMA` as for [`FloatKernels::exp_nonpos`].
#[inline(always)]
pub(crate) fn logistic<A: Float, const FMA: bool>(x: A) -> (A, A, A) {
    let (e, l) = softplus_parts::<A, FMA>(x);
    // The reciprocal is a division: on current x86 cores a vector division
    // costs less than the ten multiply-adds of a polynomial for it.
    (e, l, A::one() / (A::one() + e))
}

/// The first two of [`logistic`]'s pieces, `(e, ln(1 + e))`, for callers
/// that form `σ` themselves.
#[inline(always)]
pub(crate) fn softplus_parts<A: Float, const FMA: bool>(x: A) -> (A, A) {
    let e = (-x.abs()).exp_nonpos::<FMA>();
    (e, e.ln_1p_unit::<FMA>())
}

/// `tanh x` from `m = e^{−2|x|} − 1` (`(−2|x|).expm1_nonpos()`):
/// `±(−m/(2 + m))`, branch-free and with no cancellation; within 4 ulp of
/// `std` (tested). Takes `m` so that `LogCosh` computes one exponential for
/// its value and its gradient.
#[inline(always)]
pub(crate) fn tanh_from_expm1<A: num_traits::Float>(x: A, m: A) -> A {
    let t = -m / (A::one() + A::one() + m);
    if x < A::zero() {
        -t
    } else {
        t
    }
}

/// `(ln(1 + eˣ), σ(x), σ(−x))`: softplus without overflow, both sigmoids
/// without cancellation.
#[inline(always)]
pub(crate) fn softplus_sigmoids<A: Float, const FMA: bool>(x: A) -> (A, A, A) {
    let (e, l, r) = logistic::<A, FMA>(x);
    let (small, large) = (e * r, r);
    let neg = x < A::zero();
    let softplus = (if neg { A::zero() } else { x }) + l;
    if neg {
        (softplus, small, large)
    } else {
        (softplus, large, small)
    }
}

/// `sign(x)` with `sign(±0) = 0` and NaN kept (`Float::signum` gives `1` at `+0`).
#[inline(always)]
pub(crate) fn sign<A: Float>(x: A) -> A {
    if x > A::zero() {
        A::one()
    } else if x < A::zero() {
        -A::one()
    } else {
        x * A::zero() // 0, or NaN for NaN
    }
}

/// Branch-free clamp that keeps NaN (unlike `f32::clamp`/`max`, which would
/// silently turn a NaN input into a bound).
#[inline(always)]
pub(crate) fn clamp_keep_nan<T: PartialOrd + Copy>(x: T, lo: T, hi: T) -> T {
    let x = if x < lo { lo } else { x };
    if x > hi {
        hi
    } else {
        x
    }
}

/// `a·b + c`: fused (one rounding) when `FMA`, for kernels compiled with the
/// FMA instruction set; two roundings otherwise (a fused multiply-add without
/// the instruction is a slow library call).
#[inline(always)]
fn madd<const FMA: bool, T: num_traits::Float>(a: T, b: T, c: T) -> T {
    if FMA {
        a.mul_add(b, c)
    } else {
        a * b + c
    }
}

// Minimax-quality polynomials for eʳ on |r| ≤ ln2/2, from
// `scripts/poly_coefficients.py`: truncation error 2.5e-9 (f32, degree 6)
// and 4.2e-18 (f64, degree 11) relative, far below half an ulp.
pub(crate) const EXP_F32: [f32; 7] = [
    1.0,
    1.0,
    0.5,
    0.166_664_15,
    0.041_666_35,
    0.008_375_134,
    0.001_394_111_9,
];
const EXP_F64: [f64; 12] = [
    1.0,
    1.0,
    0.500_000_000_000_001_9,
    0.166_666_666_666_666_8,
    0.041_666_666_666_487_95,
    0.008_333_333_333_319_589,
    0.001_388_888_895_235_286_3,
    0.000_198_412_698_900_764_03,
    2.480_148_544_156_131_3e-5,
    2.755_724_088_722_987e-6,
    2.763_265_472_252_779e-7,
    2.511_004_920_481_865_8e-8,
];

/// `c₀ + u·(c₁ + u·(…))` (Horner), in either precision.
#[inline(always)]
fn horner<const FMA: bool, T: num_traits::Float, const N: usize>(u: T, c: &[T; N]) -> T {
    let mut p = c[N - 1];
    for &ci in c[..N - 1].iter().rev() {
        p = madd::<FMA, _>(p, u, ci);
    }
    p
}

/// `c₀ + u·(c₁ + u·S(u))` for 9 coefficients, with `S = c₂ + … + c₈u⁶`
/// by Estrin's scheme in `u²`: 5 multiply-adds on the dependency chain
/// instead of Horner's 8, with Horner's accuracy (the last two steps scale
/// `S`'s rounding errors by `u² ≤ ¼`). All of Estrin's scheme was 1.8 ulp
/// (`scripts/poly_coefficients.py`). For the logistic losses, whose loops
/// are bound by the length of that chain, not by the instruction count.
#[inline(always)]
fn horner_estrin_9<const FMA: bool>(u: f32, c: &[f32; 9]) -> f32 {
    let u2 = u * u;
    let p23 = madd::<FMA, _>(c[3], u, c[2]);
    let p45 = madd::<FMA, _>(c[5], u, c[4]);
    let p67 = madd::<FMA, _>(c[7], u, c[6]);
    let s = madd::<FMA, _>(
        madd::<FMA, _>(madd::<FMA, _>(c[8], u2, p67), u2, p45),
        u2,
        p23,
    );
    madd::<FMA, _>(madd::<FMA, _>(s, u, c[1]), u, c[0])
}

/// `c₀ + c₁u + … + c_{N−1}u^{N−1}` given `u2 = u²`: the pairs
/// `c₂ₖ + c₂ₖ₊₁u`, then Horner's rule in `u²` over them. No `u⁴` (Estrin's
/// last steps need it): an instruction fewer, for a longer chain, which the
/// logarithm's loops — bound by the count of vector instructions, not by a
/// chain — take. For [`LN_P`] and [`LN_P7`],
/// whose rounding errors the caller scales by `u² ≤ 0.18`.
#[inline(always)]
fn pairs_horner<const FMA: bool, const N: usize>(u: f32, u2: f32, c: &[f32; N]) -> f32 {
    let pair = |k: usize| madd::<FMA, _>(c[2 * k + 1], u, c[2 * k]);
    let (mut acc, below) = if N % 2 == 1 {
        (c[N - 1], N / 2)
    } else {
        (pair(N / 2 - 1), N / 2 - 1)
    };
    for k in (0..below).rev() {
        acc = madd::<FMA, _>(acc, u2, pair(k));
    }
    acc
}

/// `ln 2` split for Cody–Waite reduction: the high part has few significant
/// bits, so `n·hi` is exact for every `n` the functions use.
pub(crate) const LN2_F32: (f32, f32) = (0.693_359_4, -2.121_944_4e-4);
/// [`LN2_F32`] for `f64` (high part: ln 2 with its low 21 bits zero).
const LN2_F64: (f64, f64) = (
    f64::from_bits(0x3fe6_2e42_fee0_0000),
    f64::from_bits(0x3dea_39ef_3579_3c76),
);

/// Cody–Waite reduction: `t = x·log₂e + magic`, which rounds to an integer
/// `n = t − magic` (and leaves it, biased by `magic`'s low bits, in `t`'s
/// bits), and `r = x − n·ln 2` in two steps. Returns `(t, r)`.
#[inline(always)]
fn reduce<const FMA: bool, T: num_traits::Float>(x: T, log2e: T, magic: T, ln2: (T, T)) -> (T, T) {
    let t = madd::<FMA, _>(x, log2e, magic);
    let nf = t - magic;
    (t, madd::<FMA, _>(-nf, ln2.1, madd::<FMA, _>(-nf, ln2.0, x)))
}

#[inline(always)]
fn exp_f32<const FMA: bool, const NONPOS: bool>(x: f32) -> f32 {
    // eˣ = 2ⁿ·eʳ with n = round(x·log₂e), |r| ≤ ln2/2. The bounds make
    // n ∈ [-150, 129], so 2ⁿ is applied as two normal powers of two:
    // overflow lands on +∞ and deep underflow rounds to 0 exactly once.
    //
    // Adding MAGIC = 1.5·2²³ + 254 rounds x·log₂e to an integer and leaves
    // k = n + 254 (in [104, 383]) in the low bits of t. The two powers are
    // 2^(n₁) and 2^(n − n₁) with n₁ = ⌊n/2⌋: their biased exponents are
    // k₁ = k >> 1 = n₁ + 127 and k − k₁, and shifting t's bits by 23 drops
    // MAGIC's own bits (its low 22 are zero), so four integer operations
    // make both.
    const MAGIC: f32 = 12_583_166.0;
    // For x ≤ 0 (NONPOS) only the lower bound can be crossed.
    let x = if NONPOS {
        if x < -104.0 {
            -104.0
        } else {
            x
        }
    } else {
        clamp_keep_nan(x, -104.0, 89.0)
    };
    let (t, r) = reduce::<FMA, _>(x, std::f32::consts::LOG2_E, MAGIC, LN2_F32);
    let p = horner::<FMA, _, 7>(r, &EXP_F32);
    let bits = t.to_bits();
    let s1 = (bits >> 1) << 23;
    let s2 = (bits << 23).wrapping_sub(s1);
    p * f32::from_bits(s1) * f32::from_bits(s2)
}

#[inline(always)]
fn exp_f64<const FMA: bool, const NONPOS: bool>(x: f64) -> f64 {
    // Same scheme as f32: n ∈ [-1077, 1025], MAGIC = 1.5·2⁵² + 2046 leaves
    // k = n + 2046 in the low bits (MAGIC's low 51 bits are zero).
    const MAGIC: f64 = 6_755_399_441_057_790.0;
    let x = if NONPOS {
        if x < -746.0 {
            -746.0
        } else {
            x
        }
    } else {
        clamp_keep_nan(x, -746.0, 710.0)
    };
    let (t, r) = reduce::<FMA, _>(x, std::f64::consts::LOG2_E, MAGIC, LN2_F64);
    let p = horner::<FMA, _, 12>(r, &EXP_F64);
    let bits = t.to_bits();
    let s1 = (bits >> 1) << 52;
    let s2 = (bits << 52).wrapping_sub(s1);
    p * f64::from_bits(s1) * f64::from_bits(s2)
}

/// `exp_nonpos_ftz` for `f32`: MAGIC = 1.5·2²³ + 127, and below this
/// (`ln f32::MIN_POSITIVE`, rounded up) the result is 0. The magic number is
/// shared with the AVX-512 lane version (`kernel::avx512::F32x16::exp_nonpos`,
/// the same bits wherever the result is normal).
pub(crate) const EXP_FTZ_MAGIC_F32: f32 = 12_583_039.0;
/// See [`EXP_FTZ_MAGIC_F32`].
pub(crate) const EXP_FTZ_MIN_F32: f32 = -87.336_54;

#[inline(always)]
fn exp_ftz_f32<const FMA: bool>(x: f32) -> f32 {
    // As exp_f32 for x ∈ [ln MIN_POSITIVE, 0]: n ∈ [-126, 0], so one factor
    // 2ⁿ is normal. MAGIC = 1.5·2²³ + 127 leaves the biased exponent n + 127
    // in t's low bits; the shift by 23 drops MAGIC's own bits.
    let (t, r) = reduce::<FMA, _>(x, std::f32::consts::LOG2_E, EXP_FTZ_MAGIC_F32, LN2_F32);
    let p = horner::<FMA, _, 7>(r, &EXP_F32);
    let e = p * f32::from_bits(t.to_bits() << 23);
    // Below −87.34 (−∞ included) the factor is garbage: 0. NaN compares
    // false and stays NaN through p.
    if x < EXP_FTZ_MIN_F32 {
        0.0
    } else {
        e
    }
}

#[inline(always)]
fn exp_ftz_f64<const FMA: bool>(x: f64) -> f64 {
    // As exp_ftz_f32: n ∈ [-1022, 0], MAGIC = 1.5·2⁵² + 1023.
    const MAGIC: f64 = 6_755_399_441_056_767.0;
    let (t, r) = reduce::<FMA, _>(x, std::f64::consts::LOG2_E, MAGIC, LN2_F64);
    let p = horner::<FMA, _, 12>(r, &EXP_F64);
    let e = p * f64::from_bits(t.to_bits() << 52);
    if x < -708.396_418_532_264 {
        0.0
    } else {
        e
    }
}

/// The bits of √½ in `f32` (`0x3f3504f3`): `ln_fast` splits `x = 2ᵉ·m` with
/// `m ∈ [√½, √2)`. Shared with `kernel::avx512::F32x16::ln`.
pub(crate) const SQRT_HALF_BITS_F32: i32 = 0x3f35_04f3;

/// `k·ln 2 + ln(1 + f)` for `f ∈ [√½ − 1, √2 − 1]`, in `f64`:
/// ln(1 + f) = f − (f²/2 − s·(f²/2 + R)), s = f/(2 + f), R = Σ 2s^{2j}/(2j+1)
/// (j ≥ 1, to s²², below 1e-18 relative). The leading term `f` is exact, so
/// results near 0 keep their relative accuracy. (`f32` uses a division-free
/// polynomial in `f`, [`LN_P`]; in `f64` one would need degree ~20.)
#[inline(always)]
fn ln1p_core_f64(f: f64, k: f64) -> f64 {
    let (ln2_hi, ln2_lo) = LN2_F64;
    let s = f / (2.0 + f);
    let z = s * s;
    let mut big_r = 2.0 / 23.0;
    for j in (1..11).rev() {
        big_r = big_r * z + 2.0 / (2 * j + 1) as f64;
    }
    let big_r = z * big_r;
    let hfsq = 0.5 * f * f;
    k * ln2_hi - ((hfsq - (s * (hfsq + big_r) + k * ln2_lo)) - f)
}

// Polynomials in u = e − ½ for e ∈ [0, 1], from `scripts/poly_coefficients.py`
// (Chebyshev interpolation; |u| ≤ ½ keeps the evaluation well conditioned).
/// `ln(1 + e)/e`, degree 8, evaluated by [`horner_estrin_9`] (0.95 ulp of
/// evaluation error; degree 9 gave 0.79 with Horner's rule, for one more
/// multiply-add on the chain).
const LN1P_Q: [f32; 9] = [
    0.810_930_2,
    -0.288_526_68,
    0.132_609_5,
    -0.067_711_19,
    0.036_625_605,
    -0.020_230_34,
    0.011_639_576,
    -0.008_569_656,
    0.005_126_102_4,
];

/// `P(f) = (ln(1 + f) − f + f²/2)/f³` on `f ∈ [√½ − 1, √2 − 1]`, degree 8
/// (truncation error 0.05 ulp of the logarithm; degree 7 was 0.34), from
/// `scripts/poly_coefficients.py`.
pub(crate) const LN_P: [f32; 9] = [
    0.333_333_3,
    -0.249_999_97,
    0.200_007_16,
    -0.166_678_03,
    0.142_490_58,
    -0.124_256_87,
    0.116_854_2,
    -0.114_797_34,
    0.069_716_12,
];

/// [`LN_P`] of degree 7 (truncation error 0.34 ulp of the logarithm), for
/// `Bce`'s logarithms ([`FloatKernels::ln_unit_core_k`]), whose values only enter
/// a mean: a multiply-add fewer per logarithm.
pub(crate) const LN_P7: [f32; 8] = [
    0.333_333_3,
    -0.250_003_07,
    0.200_010_45,
    -0.166_412_82,
    0.142_144_96,
    -0.129_981_83,
    0.126_223_19,
    -0.079_027_44,
];

/// `ln x` in `f32` before the special cases (`Float::ln_core_k`):
/// x = 2ᵉ·m with m ∈ [√½, √2), f = m − 1 exact, and
/// ln(1 + f) = f − f²/2 + f³·P(f) ([`LN_P`]): the leading term f is exact,
/// so results near 1 keep their relative accuracy, and P's rounding errors
/// are scaled by f² ≤ 0.18. No division: the series in
/// s = f/(2 + f) needs one, and the losses that take logarithms are bound
/// by their arithmetic. `SUBNORMAL`: rescale subnormal inputs first
/// (callers whose argument cannot be subnormal leave it out).
#[inline(always)]
fn ln_f32<const FMA: bool, const SUBNORMAL: bool>(x: f32) -> f32 {
    let sub = SUBNORMAL && x < f32::MIN_POSITIVE;
    let xs = if sub { x * 8_388_608.0 } else { x }; // 2²³ makes subnormals normal
    let bits = xs.to_bits() as i32;
    let e = (bits.wrapping_sub(SQRT_HALF_BITS_F32)) >> 23;
    let m = f32::from_bits(bits.wrapping_sub(e << 23) as u32);
    // (A masked subtract: one instruction. Folding the shift into the
    // split, as `ln_unit_f32` does, takes two here.)
    let e = (e - if sub { 23 } else { 0 }) as f32;
    ln_f32_reduced::<FMA>(e, m - 1.0, |f, z| pairs_horner::<FMA, 9>(f, z, &LN_P))
}

/// `ln(x·2²³) − 23·ln 2` for `x ∈ [−0, 1]`: every such `x·2²³` is normal
/// (or 0), so one multiply-add replaces [`ln_f32`]'s test for subnormals
/// (its `+ 0` turns −0 into +0), and `x = 0` gives `−150·ln 2 ≈ −103.97`
/// instead of `−∞` (see [`FloatKernels::ln_unit_core_k`]). The 23 is taken off
/// the exponent in the split at √½ ([`split_scaled_f32`]). `P` of degree 7
/// ([`LN_P7`]).
#[inline(always)]
fn ln_unit_f32<const FMA: bool>(x: f32) -> f32 {
    let d = split_scaled_f32(madd::<FMA, _>(x, 8_388_608.0, 0.0));
    let m = f32::from_bits(((d & 0x7f_ffff) + SQRT_HALF_BITS_F32) as u32);
    ln_f32_reduced::<FMA>((d >> 23) as f32, m - 1.0, |f, z| {
        pairs_horner::<FMA, 8>(f, z, &LN_P7)
    })
}

/// The split at √½ of `x·2²³` (normal or 0) with the 23 taken off the
/// exponent: `d >> 23` is the exponent of `x`'s reduction, `d`'s low 23 bits
/// its mantissa's offset from √½.
#[inline(always)]
fn split_scaled_f32(xs: f32) -> i32 {
    (xs.to_bits() as i32)
        .wrapping_sub(SQRT_HALF_BITS_F32)
        .wrapping_sub(23 << 23)
}

/// `ln(1 − p)` for `p ∈ [−0, 1]` (see [`FloatKernels::ln_1m_unit_k`]): `u = 1 ⊖ p`
/// only gives the exponent `e` (scaled as in [`ln_unit_f32`]); the reduced
/// argument comes from `p` itself, `f = 2⁻ᵉ·(1 − p) − 1 = (s − 1) − p·s`
/// with `s = 2⁻ᵉ`, which is exact (`e = 0`: `−p`; `e = −1`: `1 − 2p` with
/// `2p ∈ (2 − √2, 1.3]`; below, `p > ½` and `u` itself is exact), so `u`'s rounding
/// error never enters. At `p = 1` (`u = 0`, `e = −150`) the bits of `2¹⁵⁰`
/// wrap to a tiny negative `s`, `f ≈ −1` and the result ≈ −106.9, below
/// `Bce`'s clamp; NaN gives NaN through `f`.
#[inline(always)]
fn ln_1m_unit_f32<const FMA: bool>(p: f32) -> f32 {
    let d = split_scaled_f32(madd::<FMA, _>(-p, 8_388_608.0, 8_388_608.0)); // 2²³·(1 ⊖ p)
    let e = d >> 23;
    let s = f32::from_bits((127 - e).wrapping_shl(23) as u32);
    let f = madd::<FMA, _>(-p, s, s - 1.0);
    ln_f32_reduced::<FMA>(e as f32, f, |f, z| pairs_horner::<FMA, 8>(f, z, &LN_P7))
}

/// `ln(2ᵉ·(1 + f))` for `1 + f ∈ [√½, √2)` with `P(f, f²)` ([`LN_P`] for
/// [`ln_f32`]).
#[inline(always)]
fn ln_f32_reduced<const FMA: bool>(e: f32, f: f32, poly: impl Fn(f32, f32) -> f32) -> f32 {
    let z = f * f;
    let p = poly(f, z);
    let q = madd::<FMA, _>(f, p, -0.5);
    let (ln2_hi, ln2_lo) = LN2_F32;
    if FMA {
        // f + f²·q, then + e·ln2_lo, then + e·ln2_hi (exact: ln2_hi has 9
        // significant bits), each in one rounding: an instruction fewer
        // than the order below, and over every positive f32 more accurate
        // (12.1M results 1 ulp off instead of 13.3M, none more).
        madd::<FMA, _>(
            e,
            ln2_hi,
            madd::<FMA, _>(e, ln2_lo, madd::<FMA, _>(z, q, f)),
        )
    } else {
        // The small terms first: f²·(f·P − ½) + e·ln2_lo; then f; then
        // e·ln2_hi.
        let y = madd::<FMA, _>(z, q, e * ln2_lo);
        madd::<FMA, _>(e, ln2_hi, f + y)
    }
}

/// `ln x` in `f64`: as [`ln_f32`], with the series in s = f/(2 + f) to s²²
/// ([`ln1p_core_f64`]; a division-free polynomial in f would need degree ~20
/// on this range).
#[inline(always)]
fn ln_f64<const SUBNORMAL: bool>(x: f64) -> f64 {
    let sub = SUBNORMAL && x < f64::MIN_POSITIVE;
    let xs = if sub { x * 4_503_599_627_370_496.0 } else { x }; // 2⁵²
    let bits = xs.to_bits() as i64;
    let e = (bits.wrapping_sub(SQRT_HALF_BITS_F64)) >> 52;
    let m = f64::from_bits(bits.wrapping_sub(e << 52) as u64);
    let e = (e - if sub { 52 } else { 0 }) as f64;
    ln1p_core_f64(m - 1.0, e)
}

/// The bits of √½ in `f64`.
const SQRT_HALF_BITS_F64: i64 = 0x3fe6_a09e_667f_3bcd;

/// [`ln_unit_f32`] in `f64`: `ln(x·2⁵²) − 52·ln 2` for `x ∈ [−0, 1]`;
/// `x = 0` gives `−1075·ln 2 ≈ −745.13`.
#[inline(always)]
fn ln_unit_f64<const FMA: bool>(x: f64) -> f64 {
    let d = split_scaled_f64(madd::<FMA, _>(x, 4_503_599_627_370_496.0, 0.0));
    let m = f64::from_bits(((d & 0xf_ffff_ffff_ffff) + SQRT_HALF_BITS_F64) as u64);
    ln1p_core_f64(m - 1.0, (d >> 52) as f64)
}

/// [`split_scaled_f32`] in `f64`, with 52.
#[inline(always)]
fn split_scaled_f64(xs: f64) -> i64 {
    (xs.to_bits() as i64)
        .wrapping_sub(SQRT_HALF_BITS_F64)
        .wrapping_sub(52 << 52)
}

/// [`ln_1m_unit_f32`] in `f64` (`p = 1`: below −745).
#[inline(always)]
fn ln_1m_unit_f64<const FMA: bool>(p: f64) -> f64 {
    let two52 = 4_503_599_627_370_496.0;
    let d = split_scaled_f64(madd::<FMA, _>(-p, two52, two52));
    let e = d >> 52;
    let s = f64::from_bits((1023 - e).wrapping_shl(52) as u64);
    ln1p_core_f64(madd::<FMA, _>(-p, s, s - 1.0), e as f64)
}

/// The special cases of `ln`: `ln(±0) = −∞`, `ln ∞ = ∞`, NaN below 0 and for NaN.
#[inline(always)]
fn finish_ln<T: num_traits::Float>(x: T, r: T) -> T {
    let r = if x == T::zero() { T::neg_infinity() } else { r };
    let r = if x == T::infinity() { x } else { r };
    // `!(x >= 0)`: negative or NaN.
    if x >= T::zero() {
        r
    } else {
        T::nan()
    }
}

impl Float for f32 {
    #[inline(always)]
    fn from_f64(x: f64) -> Self {
        x as f32
    }
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self as f64
    }
    #[inline(always)]
    fn from_usize(n: usize) -> Self {
        n as f32
    }
}

impl FloatKernels for f32 {
    #[inline(always)]
    fn pick<'a>(f32s: &'a [f32], _: &'a [f64]) -> &'a [f32] {
        f32s
    }
    #[inline(always)]
    fn as_f32(x: &[Self]) -> Option<&[f32]> {
        Some(x)
    }
    #[inline(always)]
    fn as_f32_mut(x: &mut [Self]) -> Result<&mut [f32], &mut [Self]> {
        Ok(x)
    }
    #[inline(always)]
    fn exp_k<const FMA: bool>(self) -> Self {
        exp_f32::<FMA, false>(self)
    }
    #[inline(always)]
    fn exp_nonpos<const FMA: bool>(self) -> Self {
        exp_f32::<FMA, true>(self)
    }
    #[inline(always)]
    fn exp_nonpos_ftz<const FMA: bool>(self) -> Self {
        exp_ftz_f32::<FMA>(self)
    }
    #[inline(always)]
    fn ln_1p_unit<const FMA: bool>(self) -> Self {
        self * horner_estrin_9::<FMA>(self - 0.5, &LN1P_Q)
    }
    #[inline(always)]
    fn expm1_nonpos<const FMA: bool>(self) -> Self {
        // eˣ − 1 = 2ⁿ·(eʳ − 1) + (2ⁿ − 1), with eʳ − 1 = r·(1 + r/2 + …) so
        // no 1 is added and taken away. x ≥ −80 keeps 2ⁿ normal; below it
        // the result is −1 to the last bit anyway.
        // MAGIC = 1.5·2²³ + 127: t's bits shifted by 23 are 2ⁿ.
        const MAGIC: f32 = 12_583_039.0;
        let x = if self < -80.0 { -80.0 } else { self };
        let (t, r) = reduce::<FMA, _>(x, std::f32::consts::LOG2_E, MAGIC, LN2_F32);
        const C: [f32; 7] = [
            1.0,
            0.5,
            1.0 / 6.0,
            1.0 / 24.0,
            1.0 / 120.0,
            1.0 / 720.0,
            1.0 / 5040.0,
        ];
        let q = r * horner::<FMA, _, 7>(r, &C);
        let two_n = f32::from_bits(t.to_bits() << 23);
        madd::<FMA, _>(two_n, q, two_n - 1.0)
    }
    #[inline(always)]
    fn ln_core_k<const FMA: bool, const SUBNORMAL: bool>(self) -> Self {
        ln_f32::<FMA, SUBNORMAL>(self)
    }
    #[inline(always)]
    fn ln_unit_core_k<const FMA: bool>(self) -> Self {
        ln_unit_f32::<FMA>(self)
    }
    #[inline(always)]
    fn ln_1m_unit_k<const FMA: bool>(self) -> Self {
        ln_1m_unit_f32::<FMA>(self)
    }
}

impl Float for f64 {
    #[inline(always)]
    fn from_f64(x: f64) -> Self {
        x
    }
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self
    }
    #[inline(always)]
    fn from_usize(n: usize) -> Self {
        n as f64
    }
}

impl FloatKernels for f64 {
    #[inline(always)]
    fn pick<'a>(_: &'a [f32], f64s: &'a [f64]) -> &'a [f64] {
        f64s
    }
    #[inline(always)]
    fn as_f32(_: &[Self]) -> Option<&[f32]> {
        None
    }
    #[inline(always)]
    fn as_f32_mut(x: &mut [Self]) -> Result<&mut [f32], &mut [Self]> {
        Err(x)
    }
    #[inline(always)]
    fn exp_k<const FMA: bool>(self) -> Self {
        exp_f64::<FMA, false>(self)
    }
    #[inline(always)]
    fn exp_nonpos<const FMA: bool>(self) -> Self {
        exp_f64::<FMA, true>(self)
    }
    #[inline(always)]
    fn exp_nonpos_ftz<const FMA: bool>(self) -> Self {
        exp_ftz_f64::<FMA>(self)
    }
    #[inline(always)]
    fn ln_1p_unit<const FMA: bool>(self) -> Self {
        // x = 1 + x rounded to 2ᵏ·(1 + f) with k ∈ {0, 1}: x − 1 is exact for
        // x ≥ ½, so (1 + x)/2 − 1 = (x − 1)/2 is too.
        let big = self > std::f64::consts::SQRT_2 - 1.0;
        let f = if big { (self - 1.0) * 0.5 } else { self };
        ln1p_core_f64(f, if big { 1.0 } else { 0.0 })
    }
    #[inline(always)]
    fn expm1_nonpos<const FMA: bool>(self) -> Self {
        // As for f32; x ≥ −700 keeps 2ⁿ normal.
        const MAGIC: f64 = 6_755_399_441_056_767.0; // 1.5·2⁵² + 1023
        let x = if self < -700.0 { -700.0 } else { self };
        let (t, r) = reduce::<FMA, _>(x, std::f64::consts::LOG2_E, MAGIC, LN2_F64);
        // r·Σ rᵏ/(k+1)! for k = 0..12.
        let mut q = 1.0 / 6_227_020_800.0;
        let mut fact = 6_227_020_800.0_f64; // 13!
        for k in (1..13).rev() {
            fact /= (k + 1) as f64;
            q = madd::<FMA, _>(q, r, 1.0 / fact);
        }
        let q = r * q;
        let two_n = f64::from_bits(t.to_bits() << 52);
        madd::<FMA, _>(two_n, q, two_n - 1.0)
    }
    #[inline(always)]
    fn ln_core_k<const FMA: bool, const SUBNORMAL: bool>(self) -> Self {
        ln_f64::<SUBNORMAL>(self)
    }
    #[inline(always)]
    fn ln_unit_core_k<const FMA: bool>(self) -> Self {
        ln_unit_f64::<FMA>(self)
    }
    #[inline(always)]
    fn ln_1m_unit_k<const FMA: bool>(self) -> Self {
        ln_1m_unit_f64::<FMA>(self)
    }
}

#[cfg(test)]
mod tests {
    use super::{Float, FloatKernels};

    fn ulp_diff_f32(a: f32, b: f32) -> u32 {
        if a == b || (a.is_nan() && b.is_nan()) {
            return 0;
        }
        (a.to_bits() as i64 - b.to_bits() as i64).unsigned_abs() as u32
    }

    #[test]
    fn exp_f32_matches_std_over_whole_range() {
        // 2M evenly spaced points over [-105, 90] (normal, subnormal and
        // overflowing results) plus a sweep of tiny arguments.
        let n = 2_000_000;
        let tiny = (0..2000).map(|i| 1e-30_f32 * 1.05_f32.powi(i));
        let grid = (0..=n).map(|i| -105.0 + 195.0 * (i as f32) / (n as f32));
        for x in grid.chain(tiny.clone()).chain(tiny.map(|x| -x)) {
            let (a, b) = (x.exp_fast(), x.exp());
            assert!(ulp_diff_f32(a, b) <= 2, "exp_fast({x}) = {a} vs std {b}");
        }
    }

    #[test]
    fn exp_f32_special_values() {
        assert_eq!(0.0_f32.exp_fast(), 1.0);
        assert_eq!(f32::INFINITY.exp_fast(), f32::INFINITY);
        assert_eq!(f32::NEG_INFINITY.exp_fast(), 0.0);
        assert_eq!(100.0_f32.exp_fast(), f32::INFINITY);
        assert_eq!((-200.0_f32).exp_fast(), 0.0);
        assert!(f32::NAN.exp_fast().is_nan());
        assert_eq!(88.7_f32.exp_fast(), 88.7_f32.exp());
    }

    #[test]
    fn exp_f64_matches_std_over_whole_range() {
        let mut worst = 0_u64;
        let n = 400_000;
        for i in 0..=n {
            let x = -750.0 + 1462.0 * (i as f64) / (n as f64);
            let (a, b) = (x.exp_fast(), x.exp());
            let d = if a == b {
                0
            } else {
                (a.to_bits() as i128 - b.to_bits() as i128).unsigned_abs() as u64
            };
            assert!(d <= 2, "exp_fast({x}) = {a} vs std {b}");
            worst = worst.max(d);
        }
        for x in [
            -1e-300_f64,
            1e-300,
            1e-17,
            -1e-17,
            0.5,
            -0.5,
            1.0,
            709.7,
            -745.1,
        ] {
            assert!((x.exp_fast() - x.exp()).abs() <= 2.0 * f64::EPSILON * x.exp());
        }
        assert!(worst <= 2);
    }

    #[test]
    fn exp_f64_special_values() {
        assert_eq!(0.0_f64.exp_fast(), 1.0);
        assert_eq!(f64::INFINITY.exp_fast(), f64::INFINITY);
        assert_eq!(f64::NEG_INFINITY.exp_fast(), 0.0);
        assert_eq!(710.0_f64.exp_fast(), f64::INFINITY);
        assert_eq!((-800.0_f64).exp_fast(), 0.0);
        assert!(f64::NAN.exp_fast().is_nan());
    }

    /// Every 97th f32 bit pattern of the positive finite range (subnormals
    /// included), plus the neighbourhood of 1.
    fn f32_sweep() -> impl Iterator<Item = f32> {
        (1..0x7f80_0000_u32)
            .step_by(97)
            .map(f32::from_bits)
            .chain((0..20_000).map(|i| 1.0 + (i as f32 - 10_000.0) * 1e-7))
    }

    #[test]
    fn ln_f32_matches_std_over_whole_range() {
        // Both evaluation orders: `ln_fast` (separate multiplies and adds)
        // and the kernels' `ln_k::<true>` (fused; a software `fma` call
        // here, with the same results as the instruction). Checked over
        // every positive finite f32 against the f64 logarithm rounded (an
        // offline scan with native FMA, too slow for the suite, which takes
        // every 97th): within 1 ulp either way, 0.6% of them 1 ulp off.
        for x in f32_sweep() {
            let (a, b) = (x.ln_fast(), x.ln());
            assert!(ulp_diff_f32(a, b) <= 1, "ln_fast({x:e}) = {a} vs std {b}");
        }
        for x in f32_sweep().step_by(5) {
            let (a, b) = (x.ln_k::<true>(), x.ln());
            assert!(
                ulp_diff_f32(a, b) <= 1,
                "ln_k::<true>({x:e}) = {a} vs std {b}"
            );
        }
    }

    #[test]
    fn ln_unit_is_ln_on_probabilities() {
        use super::ln_unit_pair;
        // Every 97th f32 of (0, 1], subnormals included: `ln_unit_core_k`
        // within 1 ulp of the logarithm (of every f32 of (0, 1] in an
        // offline scan with native FMA, both orders; 0.6% of them 1 ulp off), and
        // `ln_1m_unit_k`, which `ln_unit_pair` pairs it with, within 1 ulp
        // of ln(1 − p) (every f32 of [0, 1) scanned: 0.2% 1 ulp off). At ±0
        // and 1 the logarithms' −∞ become finite values below −100.
        let probs = (1..=0x3f80_0000_u32)
            .step_by(97)
            .chain([0x3f80_0000, 0x3f7f_ffff, 1])
            .map(f32::from_bits);
        for p in probs {
            let want = (f64::from(p)).ln() as f32;
            for got in [p.ln_unit_core_k::<true>(), p.ln_unit_core_k::<false>()] {
                assert!(
                    ulp_diff_f32(got, want) <= 1,
                    "ln_unit_core_k({p:e}) = {got} vs {want}"
                );
            }
            let (ln_p, ln_q) = ln_unit_pair::<f32, true>(p);
            assert_eq!(ln_p, p.ln_unit_core_k::<true>());
            if p < 1.0 {
                let want = (-f64::from(p)).ln_1p() as f32;
                for got in [ln_q, p.ln_1m_unit_k::<false>()] {
                    assert!(
                        ulp_diff_f32(got, want) <= 1,
                        "ln(1 − {p:e}): {got} vs {want}"
                    );
                }
            } else {
                assert!(ln_q < -100.0 && ln_q.is_finite(), "{ln_q}");
            }
        }
        for p in [0.0_f32, -0.0] {
            let (ln_p, ln_q) = ln_unit_pair::<f32, true>(p);
            assert!(ln_p < -100.0 && ln_p > -104.0, "{ln_p}");
            assert_eq!(ln_q, 0.0);
            let (ln_p, ln_q) = ln_unit_pair::<f32, false>(p);
            assert!(ln_p < -100.0 && ln_p > -104.0 && ln_q == 0.0, "{ln_p}");
        }
        // f64: every exponent of (0, 1] with pseudo-random mantissas.
        let mut state = 0x2545_F491_4F6C_DD1D_u64;
        for _ in 0..200_000 {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            let p = f64::from_bits((state >> 1) % 0x3ff0_0000_0000_0001);
            assert_eq!(
                p.ln_unit_core_k::<true>().to_bits(),
                p.ln_k::<true>().to_bits(),
                "{p:e}"
            );
            let (_, ln_q) = ln_unit_pair::<f64, true>(p);
            if p < 1.0 {
                let want = (-p).ln_1p();
                assert!(
                    ulp_diff_f64(ln_q, want) <= 2,
                    "ln(1 − {p:e}): {ln_q} vs {want}"
                );
            }
        }
        for p in [0.0_f64, -0.0] {
            let (ln_p, ln_q) = ln_unit_pair::<f64, true>(p);
            assert!(ln_p < -745.0 && ln_p > -746.0 && ln_q == 0.0, "{ln_p}");
        }
        assert!(ln_unit_pair::<f64, false>(1.0).1 < -745.0);
        // `Bce` takes its NaN from ln(1 − p).
        assert!(ln_unit_pair::<f32, true>(f32::NAN).1.is_nan());
        assert!(ln_unit_pair::<f32, false>(f32::NAN).1.is_nan());
        assert!(ln_unit_pair::<f64, true>(f64::NAN).1.is_nan());
    }

    #[test]
    fn ln_1p_f32_matches_std() {
        let tiny = (0..3000).map(|i| 1e-30_f32 * 1.03_f32.powi(i));
        let grid = (0..400_000).map(|i| -0.999_999 + (i as f32) * 5e-6);
        let big = (0..2000).map(|i| 1.05_f32.powi(i));
        for x in tiny.clone().chain(tiny.map(|x| -x)).chain(grid).chain(big) {
            if x > f32::MAX {
                continue;
            }
            let (a, b) = (x.ln_1p_fast(), x.ln_1p());
            assert!(
                ulp_diff_f32(a, b) <= 3,
                "ln_1p_fast({x:e}) = {a} vs std {b}"
            );
        }
    }

    #[test]
    fn ln_special_values() {
        for (x, want) in [
            (0.0_f64, f64::NEG_INFINITY),
            (-0.0, f64::NEG_INFINITY),
            (f64::INFINITY, f64::INFINITY),
            (1.0, 0.0),
        ] {
            assert_eq!(x.ln_fast(), want);
            assert_eq!((x as f32).ln_fast(), want as f32);
        }
        for x in [-1.0_f64, -1e-30, f64::NEG_INFINITY, f64::NAN] {
            assert!(
                x.ln_fast().is_nan() && (-1e-300_f64).ln_fast().is_nan(),
                "{x}"
            );
            assert!((x as f32).ln_fast().is_nan(), "{x}");
        }
        assert_eq!((-1.0_f64).ln_1p_fast(), f64::NEG_INFINITY);
        assert_eq!((-1.0_f32).ln_1p_fast(), f32::NEG_INFINITY);
        assert_eq!(f64::INFINITY.ln_1p_fast(), f64::INFINITY);
        assert_eq!(f32::INFINITY.ln_1p_fast(), f32::INFINITY);
        assert!((-2.0_f64).ln_1p_fast().is_nan());
        assert!(f32::NAN.ln_1p_fast().is_nan());
        assert_eq!(1e-30_f64.ln_1p_fast(), 1e-30);
        // 1 ⊕ x is never subnormal (`ln_1p_k` skips the rescaling): its
        // smallest magnitude is 2⁻²⁴ (f32) or 2⁻⁵³ (f64), and just below −1
        // it is negative.
        let x32 = -1.0_f32 + f32::EPSILON / 2.0;
        assert!(ulp_diff_f32(x32.ln_1p_fast(), x32.ln_1p()) <= 3, "{x32}");
        let x64 = -1.0_f64 + f64::EPSILON / 2.0;
        assert!(ulp_diff_f64(x64.ln_1p_fast(), x64.ln_1p()) <= 3, "{x64}");
        assert!((-1.0_f32 - f32::EPSILON).ln_1p_fast().is_nan());
        assert!((-1.5_f64).ln_1p_fast().is_nan());
        assert!(f64::NEG_INFINITY.ln_1p_fast().is_nan());
        assert_eq!(f64::MIN_POSITIVE.ln_fast(), f64::MIN_POSITIVE.ln());
        assert_eq!(5e-324_f64.ln_fast(), 5e-324_f64.ln());
    }

    fn ulp_diff_f64(a: f64, b: f64) -> u64 {
        if a == b || (a.is_nan() && b.is_nan()) {
            return 0;
        }
        (a.to_bits() as i128 - b.to_bits() as i128).unsigned_abs() as u64
    }

    #[test]
    fn ln_f64_matches_std_over_whole_range() {
        // Every exponent, with pseudo-random mantissas, subnormals included.
        let mut state = 0x9E37_79B9_7F4A_7C15_u64;
        for i in 0..2_000_000_u64 {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            let bits = (state >> 1) % 0x7ff0_0000_0000_0000;
            let x = if i % 4 == 0 {
                1.0 + (f64::from_bits(bits) % 1.0 - 0.5) * 1e-3
            } else {
                f64::from_bits(bits)
            };
            let (a, b) = (x.ln_fast(), x.ln());
            assert!(ulp_diff_f64(a, b) <= 2, "ln_fast({x:e}) = {a} vs std {b}");
        }
    }

    #[test]
    fn ln_1p_f64_matches_std() {
        let tiny = (0..3000).map(|i| 1e-300_f64 * 1.3_f64.powi(i));
        let grid = (0..400_000).map(|i| -0.999_999 + (i as f64) * 5e-6);
        let big = (0..2000).map(|i| 1.4_f64.powi(i));
        for x in tiny.clone().chain(tiny.map(|x| -x)).chain(grid).chain(big) {
            if !x.is_finite() || x.abs() > 1e300 {
                continue;
            }
            let (a, b) = (x.ln_1p_fast(), x.ln_1p());
            assert!(
                ulp_diff_f64(a, b) <= 3,
                "ln_1p_fast({x:e}) = {a} vs std {b}"
            );
        }
    }

    /// `ln_1p_fast` on the arguments of `Bce` (`ln(1 − p)`, `p ∈ [0, 1]`:
    /// every 61st f32, and an f64 sweep dense near 0 and 1) and of `Msle`
    /// (`x ≥ 0`: every 97th f32 up to 1e30, f64 from 1e-12 to ~2e5), within
    /// 3 ulp of `std`. (Without the rounding-error correction, small
    /// arguments fail.)
    #[test]
    fn ln_1p_fast_on_the_losses_arguments() {
        for bits in (0..=1.0_f32.to_bits()).step_by(61) {
            let p = f32::from_bits(bits);
            let (got, want) = ((-p).ln_1p_fast(), (-p).ln_1p());
            assert!(
                ulp_diff_f32(got, want) <= 3,
                "f32 {p:e}: {got:e} vs {want:e}"
            );
        }
        for i in 0..=1_000_000 {
            let s = f64::from(i) / 1e6;
            for p in [s, s * s * s * 1e-3, 1.0 - s * s * s * 1e-3] {
                let (got, want) = ((-p).ln_1p_fast(), (-p).ln_1p());
                assert!(
                    ulp_diff_f64(got, want) <= 3,
                    "f64 {p:e}: {got:e} vs {want:e}"
                );
            }
        }
        assert_eq!((-1.0_f32).ln_1p_fast(), f32::NEG_INFINITY);
        assert_eq!((-0.0_f64).ln_1p_fast(), 0.0);
        // `Msle`'s: x ≥ 0 through `ln_1p_nonneg_k` (and `ln_1p_fast`), up to
        // the largest finite f32.
        for bits in (0..=f32::MAX.to_bits()).step_by(97) {
            let x = f32::from_bits(bits);
            let want = x.ln_1p();
            for got in [x.ln_1p_fast(), x.ln_1p_nonneg_k::<false>()] {
                assert!(
                    ulp_diff_f32(got, want) <= 3,
                    "f32 {x:e}: {got:e} vs {want:e}"
                );
            }
        }
        for bits in (0..=f32::MAX.to_bits()).step_by(9973) {
            let x = f32::from_bits(bits);
            let (got, want) = (x.ln_1p_nonneg_k::<true>(), x.ln_1p());
            assert!(ulp_diff_f32(got, want) <= 3, "{x:e}: {got:e} vs {want:e}");
        }
        for i in 0..200_000 {
            let x = 1e-12 * 1.0002_f64.powi(i); // 1e-12 to ~2e5
            let want = x.ln_1p();
            for got in [x.ln_1p_fast(), x.ln_1p_nonneg_k::<false>()] {
                assert!(
                    ulp_diff_f64(got, want) <= 3,
                    "f64 {x:e}: {got:e} vs {want:e}"
                );
            }
        }
        assert_eq!(0.0_f64.ln_1p_fast(), 0.0);
        assert_eq!(0.0_f32.ln_1p_nonneg_k::<true>(), 0.0);
        assert_eq!(f32::INFINITY.ln_1p_nonneg_k::<true>(), f32::INFINITY);
        assert_eq!(f64::INFINITY.ln_1p_nonneg_k::<false>(), f64::INFINITY);
        assert!(f32::NAN.ln_1p_nonneg_k::<true>().is_nan());
        assert!(f64::NAN.ln_1p_nonneg_k::<false>().is_nan());
        assert_eq!(f64::MAX.ln_1p_nonneg_k::<false>(), f64::MAX.ln_1p());
    }

    #[test]
    fn expm1_and_tanh_match_std() {
        let grid = (0..400_000).map(|i| -30.0 + (i as f64) * 7.5e-5);
        let tiny = (0..2000)
            .map(|i| 1e-300_f64 * 1.4_f64.powi(i))
            .filter(|x| *x < 1.0);
        let xs: Vec<f64> = grid
            .chain(tiny.clone())
            .chain(tiny.map(|x| -x))
            .chain([0.0, -0.0, -1e3, 1e3, -90.0, -750.0])
            .collect();
        // tanh as the kernels compute it (LogCosh's gradient).
        fn tanh<const FMA: bool, A: Float>(x: A) -> A {
            super::tanh_from_expm1(x, (-(x.abs() + x.abs())).expm1_nonpos::<FMA>())
        }
        fn check<const FMA: bool>(xs: &[f64]) {
            for &x in xs {
                let xf = x as f32;
                if x <= 0.0 {
                    let (a, b) = (x.expm1_nonpos::<FMA>(), x.exp_m1());
                    assert!(ulp_diff_f64(a, b) <= 3, "expm1({x:e}) = {a} vs {b}");
                    let (a, b) = (xf.expm1_nonpos::<FMA>(), xf.exp_m1());
                    assert!(ulp_diff_f32(a, b) <= 3, "expm1({xf:e}) = {a} vs {b}");
                }
                let (a, b) = (tanh::<FMA, _>(x), x.tanh());
                assert!(ulp_diff_f64(a, b) <= 4, "tanh({x:e}) = {a} vs {b}");
                let (a, b) = (tanh::<FMA, _>(xf), xf.tanh());
                assert!(ulp_diff_f32(a, b) <= 4, "tanh({xf:e}) = {a} vs {b}");
            }
            assert!(tanh::<FMA, _>(f64::NAN).is_nan());
            assert!(tanh::<FMA, _>(f32::NAN).is_nan());
            assert!(f32::NAN.expm1_nonpos::<FMA>().is_nan());
            assert_eq!(tanh::<FMA, _>(f64::INFINITY), 1.0);
            assert_eq!(tanh::<FMA, _>(f32::NEG_INFINITY), -1.0);
            assert_eq!(f64::NEG_INFINITY.expm1_nonpos::<FMA>(), -1.0);
        }
        check::<false>(&xs);
        check::<true>(&xs);
    }

    #[test]
    fn exp_nonpos_matches_std() {
        for i in 0..=400_000 {
            let x = -750.0 * (i as f64) / 400_000.0;
            assert!(ulp_diff_f64(x.exp_nonpos::<true>(), x.exp()) <= 2, "{x}");
            assert!(ulp_diff_f64(x.exp_nonpos::<false>(), x.exp()) <= 2, "{x}");
            let xf = (-105.0 * (i as f64) / 400_000.0) as f32;
            assert!(ulp_diff_f32(xf.exp_nonpos::<true>(), xf.exp()) <= 2, "{xf}");
            assert!(
                ulp_diff_f32(xf.exp_nonpos::<false>(), xf.exp()) <= 2,
                "{xf}"
            );
        }
        assert!(f32::NAN.exp_nonpos::<false>().is_nan());
        assert_eq!(f64::NEG_INFINITY.exp_nonpos::<true>(), 0.0);
        assert_eq!((-0.0_f32).exp_nonpos::<true>(), 1.0);
    }

    #[test]
    fn exp_nonpos_ftz_matches_std_above_the_normal_range() {
        fn check<const FMA: bool>() {
            let lo32 = f32::MIN_POSITIVE.ln();
            let lo64 = f64::MIN_POSITIVE.ln();
            for i in 0..=400_000 {
                let x = -(i as f64) * 2e-3; // 0 … −800
                let xf = x as f32;
                let want = if xf < lo32 { 0.0 } else { xf.exp() };
                let got = xf.exp_nonpos_ftz::<FMA>();
                if xf < lo32 || want < f32::MIN_POSITIVE {
                    // At the threshold: 0 or the (possibly subnormal) value.
                    assert!(got == 0.0 || ulp_diff_f32(got, xf.exp()) <= 2, "{xf}");
                } else {
                    assert!(ulp_diff_f32(got, want) <= 2, "{xf}: {got} vs {want}");
                }
                let got = x.exp_nonpos_ftz::<FMA>();
                if x < lo64 {
                    assert_eq!(got, 0.0, "{x}");
                } else if x.exp() >= f64::MIN_POSITIVE {
                    assert!(ulp_diff_f64(got, x.exp()) <= 2, "{x}: {got}");
                }
            }
            assert!(f32::NAN.exp_nonpos_ftz::<FMA>().is_nan());
            assert!(f64::NAN.exp_nonpos_ftz::<FMA>().is_nan());
            assert_eq!(f32::NEG_INFINITY.exp_nonpos_ftz::<FMA>(), 0.0);
            assert_eq!(f64::NEG_INFINITY.exp_nonpos_ftz::<FMA>(), 0.0);
            assert_eq!(0.0_f32.exp_nonpos_ftz::<FMA>(), 1.0);
            assert_eq!((-1e-30_f64).exp_nonpos_ftz::<FMA>(), 1.0);
            assert_eq!((-90.0_f32).exp_nonpos_ftz::<FMA>(), 0.0); // std: 8.2e-40
        }
        check::<false>();
        check::<true>();
    }

    #[test]
    fn ln_1p_unit_matches_std() {
        fn check<const FMA: bool>() {
            for i in 0..=1_000_000 {
                let x = i as f64 / 1e6;
                let x2 = x * x * x * 1e-3; // dense near 0
                for x in [x, x2] {
                    assert!(ulp_diff_f64(x.ln_1p_unit::<FMA>(), x.ln_1p()) <= 2, "{x:e}");
                }
            }
            // Every 61st f32 of [0, 1], subnormals included: 17M inputs.
            for bits in (0..=1.0_f32.to_bits()).step_by(61) {
                let x = f32::from_bits(bits);
                assert!(ulp_diff_f32(x.ln_1p_unit::<FMA>(), x.ln_1p()) <= 2, "{x:e}");
            }
            assert_eq!(1.0_f32.ln_1p_unit::<FMA>(), std::f32::consts::LN_2);
            assert_eq!(0.0_f32.ln_1p_unit::<FMA>(), 0.0);
            assert!(f32::NAN.ln_1p_unit::<FMA>().is_nan());
            assert_eq!(1e-300_f64.ln_1p_unit::<FMA>(), 1e-300);
        }
        check::<false>();
        check::<true>();
    }
}
