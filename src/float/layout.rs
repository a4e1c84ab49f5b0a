//! The `f32` and `f64` implementations of [`FloatKernels`]: their bit
//! layouts, constants and polynomials, and the logarithm of a reduced
//! argument, whose algorithm differs between them.

use super::{madd, FloatKernels};

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

/// `FloatKernels::FTZ_MAGIC` for `f32`: 1.5·2²³ + 127. Shared with the
/// AVX-512 lane version (`kernel::avx512::F32x16::exp_nonpos`, the same bits
/// wherever the result is normal).
pub(crate) const EXP_FTZ_MAGIC_F32: f32 = 12_583_039.0;
/// `FloatKernels::FTZ_MIN` for `f32`: `ln f32::MIN_POSITIVE`, rounded up.
pub(crate) const EXP_FTZ_MIN_F32: f32 = -87.336_54;

/// The bits of √½ in `f32` (`0x3f3504f3`): `ln_fast` splits `x = 2ᵉ·m` with
/// `m ∈ [√½, √2)`. Shared with `kernel::avx512::F32x16::ln`.
pub(crate) const SQRT_HALF_BITS_F32: i32 = 0x3f35_04f3;

/// `k·ln 2 + ln(1 + f)` for `f ∈ [√½ − 1, √2 − 1]`, in `f64`:
/// ln(1 + f) = f − (f²/2 − s·(f²/2 + R)), s = f/(2 + f), R = Σ 2s^{2j}/(2j+1)
/// (j ≥ 1, to s²², below 1e-18 relative). The leading term `f` is exact, so
/// results near 0 keep their relative accuracy. (`f32` uses a division-free
/// polynomial in `f`, [`LN_P`]; in `f64` one would need degree ~20.) With
/// `FMA` the series takes fused multiply-adds: half the instructions of the
/// logarithm's longest part.
#[inline(always)]
fn ln1p_core_f64<const FMA: bool>(f: f64, k: f64) -> f64 {
    let (ln2_hi, ln2_lo) = LN2_F64;
    let s = f / (2.0 + f);
    let z = s * s;
    let mut big_r = 2.0 / 23.0;
    for j in (1..11).rev() {
        big_r = madd::<FMA, _>(big_r, z, 2.0 / (2 * j + 1) as f64);
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

/// `ln(2ᵉ·(1 + f))` for `1 + f ∈ [√½, √2)` in `f32`:
/// `ln(1 + f) = f − f²/2 + f³·P(f)` with `P(f, f²)` ([`LN_P`] or
/// [`LN_P7`]). The leading term `f` is exact and `P`'s rounding errors are
/// scaled by `f² ≤ 0.18`. No division: the series in `s = f/(2 + f)` needs
/// one, and the losses that take logarithms are bound by their arithmetic.
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

/// The bits of √½ in `f64`.
const SQRT_HALF_BITS_F64: i64 = 0x3fe6_a09e_667f_3bcd;

/// `(eʳ − 1)/r = Σ rᵏ/(k + 1)!` for `f32`, to degree 6.
const EXPM1_F32: [f32; 7] = [
    1.0,
    0.5,
    1.0 / 6.0,
    1.0 / 24.0,
    1.0 / 120.0,
    1.0 / 720.0,
    1.0 / 5040.0,
];

/// `(eʳ − 1)/r` for `f64`, to degree 12 (every factorial exact in `f64`, so
/// each coefficient is `1/k!` correctly rounded).
const EXPM1_F64: [f64; 13] = [
    1.0,
    1.0 / 2.0,
    1.0 / 6.0,
    1.0 / 24.0,
    1.0 / 120.0,
    1.0 / 720.0,
    1.0 / 5_040.0,
    1.0 / 40_320.0,
    1.0 / 362_880.0,
    1.0 / 3_628_800.0,
    1.0 / 39_916_800.0,
    1.0 / 479_001_600.0,
    1.0 / 6_227_020_800.0,
];

impl FloatKernels for f32 {
    type Bits = i32;
    const MANT: usize = 23;
    const MANT_BITS: i32 = 23;
    const MANT_MASK: i32 = 0x7f_ffff;
    const BIAS: i32 = 127;
    const TWO_MANT: f32 = 8_388_608.0;
    const SQRT_HALF_BITS: i32 = SQRT_HALF_BITS_F32;
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    const LN2: (f32, f32) = LN2_F32;
    const EXP_POLY: &'static [f32] = &EXP_F32;
    // n ∈ [−150, 129]; k = n + 254 ∈ [104, 383].
    const EXP_RANGE: (f32, f32) = (-104.0, 89.0);
    const EXP_MAGIC: f32 = 12_583_166.0;
    const FTZ_MAGIC: f32 = EXP_FTZ_MAGIC_F32;
    const FTZ_MIN: f32 = EXP_FTZ_MIN_F32;
    const EXPM1_MIN: f32 = -80.0;
    const EXPM1_POLY: &'static [f32] = &EXPM1_F32;

    #[inline(always)]
    fn to_bits_int(self) -> i32 {
        self.to_bits() as i32
    }
    #[inline(always)]
    fn from_bits_int(b: i32) -> f32 {
        f32::from_bits(b as u32)
    }
    #[inline(always)]
    fn ln_reduced<const FMA: bool, const SHORT: bool>(e: f32, f: f32) -> f32 {
        if SHORT {
            ln_f32_reduced::<FMA>(e, f, |f, z| pairs_horner::<FMA, 8>(f, z, &LN_P7))
        } else {
            ln_f32_reduced::<FMA>(e, f, |f, z| pairs_horner::<FMA, 9>(f, z, &LN_P))
        }
    }
    #[inline(always)]
    fn ln_1p_unit<const FMA: bool>(self) -> f32 {
        self * horner_estrin_9::<FMA>(self - 0.5, &LN1P_Q)
    }
    #[inline(always)]
    fn pick<'a>(f32s: &'a [f32], _: &'a [f64]) -> &'a [f32] {
        f32s
    }
    #[inline(always)]
    fn as_f32(x: &[f32]) -> Option<&[f32]> {
        Some(x)
    }
    #[inline(always)]
    fn as_f32_mut(x: &mut [f32]) -> Result<&mut [f32], &mut [f32]> {
        Ok(x)
    }
}

impl FloatKernels for f64 {
    type Bits = i64;
    const MANT: usize = 52;
    const MANT_BITS: i64 = 52;
    const MANT_MASK: i64 = 0xf_ffff_ffff_ffff;
    const BIAS: i64 = 1023;
    const TWO_MANT: f64 = 4_503_599_627_370_496.0;
    const SQRT_HALF_BITS: i64 = SQRT_HALF_BITS_F64;
    const LOG2E: f64 = std::f64::consts::LOG2_E;
    const LN2: (f64, f64) = LN2_F64;
    const EXP_POLY: &'static [f64] = &EXP_F64;
    // n ∈ [−1077, 1025]; k = n + 2046.
    const EXP_RANGE: (f64, f64) = (-746.0, 710.0);
    const EXP_MAGIC: f64 = 6_755_399_441_057_790.0;
    const FTZ_MAGIC: f64 = 6_755_399_441_056_767.0;
    const FTZ_MIN: f64 = -708.396_418_532_264;
    const EXPM1_MIN: f64 = -700.0;
    const EXPM1_POLY: &'static [f64] = &EXPM1_F64;

    #[inline(always)]
    fn to_bits_int(self) -> i64 {
        self.to_bits() as i64
    }
    #[inline(always)]
    fn from_bits_int(b: i64) -> f64 {
        f64::from_bits(b as u64)
    }
    #[inline(always)]
    fn ln_reduced<const FMA: bool, const SHORT: bool>(e: f64, f: f64) -> f64 {
        ln1p_core_f64::<FMA>(f, e)
    }
    #[inline(always)]
    fn ln_1p_unit<const FMA: bool>(self) -> f64 {
        // x = 1 + x rounded to 2ᵏ·(1 + f) with k ∈ {0, 1}: x − 1 is exact for
        // x ≥ ½, so (1 + x)/2 − 1 = (x − 1)/2 is too.
        let big = self > std::f64::consts::SQRT_2 - 1.0;
        let f = if big { (self - 1.0) * 0.5 } else { self };
        ln1p_core_f64::<FMA>(f, if big { 1.0 } else { 0.0 })
    }
    #[inline(always)]
    fn pick<'a>(_: &'a [f32], f64s: &'a [f64]) -> &'a [f64] {
        f64s
    }
    #[inline(always)]
    fn as_f32(_: &[f64]) -> Option<&[f32]> {
        None
    }
    #[inline(always)]
    fn as_f32_mut(x: &mut [f64]) -> Result<&mut [f32], &mut [f64]> {
        Err(x)
    }
}
