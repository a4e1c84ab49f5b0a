//! The scalar types `ndloss` computes in.
//!
//! [`Float`] is the public face; [`FloatKernels`], its private supertrait,
//! holds the vectorisable transcendental functions, each written once over
//! the IEEE bit layout its implementation for `f32` and `f64` describes
//! (`layout.rs`: the constants, the polynomials and the one step whose
//! algorithm differs between the precisions, the logarithm of the reduced
//! argument).

use std::fmt::{Debug, Display};

use ndarray::ScalarOperand;
use num_traits::{AsPrimitive, PrimInt, WrappingShl, WrappingSub};

mod layout;
#[cfg(test)]
mod tests;

pub(crate) use layout::{EXP_F32, EXP_FTZ_MAGIC_F32, LN2_F32, LN_P, SQRT_HALF_BITS_F32};

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

/// The scalar math the kernels are built on: the vectorisable
/// transcendental functions in their kernel variants (with or without fused
/// multiply-adds, without special cases their callers rule out) and the
/// `f32` views of the AVX-512 paths.
///
/// A supertrait of [`Float`] that users cannot name (it lives in a private
/// module), so its items are not part of the public API, and it seals
/// [`Float`] to `f32` and `f64`. Inside the crate, `use
/// crate::float::FloatKernels` brings the methods into scope.
///
/// The required items describe the type's bit layout and constants; the
/// functions are provided methods written once over them, so `f32` and `f64`
/// run the same operations. Only the logarithm of a reduced argument
/// ([`FloatKernels::ln_reduced`]) and `ln(1 + x)` on `[0, 1]`
/// ([`FloatKernels::ln_1p_unit`]) differ: for `f32` a division-free
/// polynomial, for `f64`, where one would need degree ~20, the series in
/// `f/(2 + f)`.
pub trait FloatKernels: num_traits::Float + 'static {
    /// The signed integer of the same width, for the functions' bit
    /// manipulation (`i32`, `i64`).
    type Bits: PrimInt + WrappingSub + WrappingShl + AsPrimitive<Self>;
    /// Fraction bits: 23, 52.
    const MANT: usize;
    /// [`FloatKernels::MANT`] as a `Bits`.
    const MANT_BITS: Self::Bits;
    /// The fraction's mask, `2^MANT − 1`.
    const MANT_MASK: Self::Bits;
    /// The exponent bias: 127, 1023.
    const BIAS: Self::Bits;
    /// `2^MANT`: multiplying by it makes every subnormal normal.
    const TWO_MANT: Self;
    /// The bits of √½: logarithms split `x = 2ᵉ·m` with `m ∈ [√½, √2)`.
    const SQRT_HALF_BITS: Self::Bits;
    /// `log₂ e`.
    const LOG2E: Self;
    /// `ln 2` split for Cody–Waite reduction: the high part has few
    /// significant bits, so `n·hi` is exact for every `n` the functions use.
    const LN2: (Self, Self);
    /// `eʳ` on `|r| ≤ ln2/2`, coefficients from degree 0 up.
    const EXP_POLY: &'static [Self];
    /// `exp_k`'s clamp: below it every result rounds to 0, above it to `+∞`,
    /// and between them `n = round(x·log₂e)` keeps `2ⁿ` a product of two
    /// normal powers of two.
    const EXP_RANGE: (Self, Self);
    /// `1.5·2^MANT + 2·(BIAS)`: adding it rounds `x·log₂e` to an integer `n`
    /// and leaves `n + 2·BIAS` in the low bits.
    const EXP_MAGIC: Self;
    /// `1.5·2^MANT + BIAS`: as [`FloatKernels::EXP_MAGIC`], leaving the biased
    /// exponent of `2ⁿ` itself.
    const FTZ_MAGIC: Self;
    /// `ln MIN_POSITIVE` rounded up: below it `exp_nonpos_ftz` gives 0.
    const FTZ_MIN: Self;
    /// `expm1_nonpos`'s clamp: above it `2ⁿ` is normal, below it the result
    /// is −1 to the last bit anyway.
    const EXPM1_MIN: Self;
    /// `(eʳ − 1)/r`, coefficients from degree 0 up (Taylor's).
    const EXPM1_POLY: &'static [Self];

    /// The bits, as the signed integer of the same width.
    fn to_bits_int(self) -> Self::Bits;
    /// The value of the bits.
    fn from_bits_int(b: Self::Bits) -> Self;
    /// `e·ln 2 + ln(1 + f)` for `1 + f ∈ [√½, √2)`, `e` an integer; `SHORT`:
    /// `f32` takes a polynomial a degree shorter (see
    /// [`FloatKernels::ln_unit_core_k`]).
    fn ln_reduced<const FMA: bool, const SHORT: bool>(e: Self, f: Self) -> Self;
    /// `ln(1 + x)` for `x ∈ [0, 1]` (NaN kept; other `x` unspecified), for
    /// `ln(1 + e^{−|x|})` in the logistic losses: for `f32` a polynomial (no
    /// division), for `f64` the logarithm's series in `s = f/(2 + f)` on the
    /// exactly reduced argument; within 2 ulp of `std`.
    fn ln_1p_unit<const FMA: bool>(self) -> Self;

    /// The one of two copies of the same values that has this type: for
    /// settings stored in both precisions so that a call converts nothing
    /// (and allocates nothing).
    fn pick<'a>(f32s: &'a [f32], f64s: &'a [f64]) -> &'a [Self];
    /// The slice itself when `Self` is `f32`: for kernels written for `f32`
    /// lanes only (the AVX-512 cross-entropy).
    fn as_f32(x: &[Self]) -> Option<&[f32]>;
    /// As [`FloatKernels::as_f32`], mutable; gives the slice back otherwise.
    fn as_f32_mut(x: &mut [Self]) -> Result<&mut [f32], &mut [Self]>;

    /// [`Float::exp_fast`] with fused multiply-adds when `FMA`, for the
    /// kernels.
    #[inline(always)]
    fn exp_k<const FMA: bool>(self) -> Self {
        exp_scaled::<FMA, false, _>(self)
    }
    /// [`Float::exp_fast`] for `x ≤ 0` or NaN only (larger `x` unspecified):
    /// one clamp fewer, for the softmax kernel.
    #[inline(always)]
    fn exp_nonpos<const FMA: bool>(self) -> Self {
        exp_scaled::<FMA, true, _>(self)
    }
    /// [`FloatKernels::exp_nonpos`] with results below the smallest normal
    /// number (`x < ln MIN_POSITIVE`, −87.3 for `f32`, −708.4 for `f64`)
    /// flushed to 0 instead of rounded to subnormals: one scale factor
    /// instead of two, three instructions fewer, for the softmax kernel,
    /// whose sums such terms cannot change.
    #[inline(always)]
    fn exp_nonpos_ftz<const FMA: bool>(self) -> Self {
        // For x ∈ [ln MIN_POSITIVE, 0], n ∈ [1 − BIAS, 0]: one factor 2ⁿ,
        // normal, whose biased exponent FTZ_MAGIC leaves in t's low bits (the
        // shift by MANT drops the magic number's own bits).
        let (t, r) = reduce::<FMA, _>(self, Self::LOG2E, Self::FTZ_MAGIC, Self::LN2);
        let p = horner::<FMA, _>(r, Self::EXP_POLY);
        let e = p * Self::from_bits_int(t.to_bits_int() << Self::MANT);
        // Below FTZ_MIN (−∞ included) the factor is garbage: 0. NaN compares
        // false and stays NaN through p.
        if self < Self::FTZ_MIN {
            Self::zero()
        } else {
            e
        }
    }
    /// `eˣ − 1` for `x ≤ 0` (NaN kept; larger `x` unspecified), accurate near
    /// 0, branch-free; fused multiply-adds when `FMA`, for the kernels' `tanh`
    /// ([`tanh_from_expm1`]).
    #[inline(always)]
    fn expm1_nonpos<const FMA: bool>(self) -> Self {
        // eˣ − 1 = 2ⁿ·(eʳ − 1) + (2ⁿ − 1), with eʳ − 1 = r·(1 + r/2 + …) so
        // no 1 is added and taken away.
        let x = if self < Self::EXPM1_MIN {
            Self::EXPM1_MIN
        } else {
            self
        };
        let (t, r) = reduce::<FMA, _>(x, Self::LOG2E, Self::FTZ_MAGIC, Self::LN2);
        let q = r * horner::<FMA, _>(r, Self::EXPM1_POLY);
        let two_n = Self::from_bits_int(t.to_bits_int() << Self::MANT);
        madd::<FMA, _>(two_n, q, two_n - Self::one())
    }
    /// [`Float::ln_fast`] with fused multiply-adds when `FMA`, for the
    /// kernels.
    #[inline(always)]
    fn ln_k<const FMA: bool>(self) -> Self {
        finish_ln(self, self.ln_core_k::<FMA, true>())
    }
    /// [`FloatKernels::ln_k`] before its special cases (`0`, `∞`, negative
    /// and NaN inputs give unspecified values), for callers that handle the
    /// ones their arguments can take; without the rescaling of subnormal
    /// inputs unless `SUBNORMAL`.
    #[inline(always)]
    fn ln_core_k<const FMA: bool, const SUBNORMAL: bool>(self) -> Self {
        // x = 2ᵉ·m with m ∈ [√½, √2), f = m − 1 exact: the leading term of
        // ln(1 + f) is exact, so results near 1 keep their relative accuracy.
        let sub = SUBNORMAL && self < Self::min_positive_value();
        let xs = if sub { self * Self::TWO_MANT } else { self };
        let bits = xs.to_bits_int();
        let e = bits.wrapping_sub(&Self::SQRT_HALF_BITS) >> Self::MANT;
        let m = Self::from_bits_int(bits.wrapping_sub(&(e << Self::MANT)));
        // (A masked subtract: one instruction. Folding the shift into the
        // split, as `ln_unit_core_k` does, takes two here.)
        let e = e - if sub {
            Self::MANT_BITS
        } else {
            num_traits::Zero::zero()
        };
        Self::ln_reduced::<FMA, false>(e.as_(), m - Self::one())
    }
    /// `ln x` for `x ∈ [−0, 1]` without [`FloatKernels::ln_k`]'s special
    /// cases, for `Bce`: subnormal `x` as exact as normal ones (always
    /// rescaled: one multiply-add instead of a test), and `x = ±0` gives a
    /// finite value below −100 (−103.97 for `f32`, −745.13 for `f64`) where
    /// `ln` gives −∞, which a clamp at −100 cannot tell apart. On (0, 1]
    /// within 1 ulp of `ln` (`f32`: a polynomial a degree shorter than
    /// `ln_k`'s, checked over every `f32` of (0, 1]; `f64`: `ln_k`'s values);
    /// NaN and other `x` give unspecified values.
    #[inline(always)]
    fn ln_unit_core_k<const FMA: bool>(self) -> Self {
        // ln(x·2^MANT) − MANT·ln 2: every such x·2^MANT is normal (or 0; the
        // `+ 0` turns −0 into +0), and the MANT is taken off the exponent in
        // the split at √½.
        let d = split_scaled::<_>(madd::<FMA, _>(self, Self::TWO_MANT, Self::zero()));
        let m = Self::from_bits_int((d & Self::MANT_MASK) + Self::SQRT_HALF_BITS);
        Self::ln_reduced::<FMA, true>((d >> Self::MANT).as_(), m - Self::one())
    }
    /// `ln(1 − p)` for `p ∈ [−0, 1]` without special cases, for `Bce`: its
    /// reduced argument is formed from `p` exactly, so the rounding of
    /// `1 − p` never enters (`f32`: within 1 ulp of `ln(1 − p)` rounded,
    /// checked over every `f32` of [0, 1); `f64`: within 2 ulp); `p = 1`
    /// gives a finite value below −100 where `ln` gives −∞; NaN gives NaN;
    /// other `p` unspecified.
    #[inline(always)]
    fn ln_1m_unit_k<const FMA: bool>(self) -> Self {
        // u = 1 ⊖ p only gives the exponent e (scaled as in ln_unit_core_k);
        // the reduced argument is f = 2⁻ᵉ·(1 − p) − 1 = (s − 1) − p·s with
        // s = 2⁻ᵉ, exact (e = 0: −p; e = −1: 1 − 2p with 2p ∈ (2 − √2, 1.3];
        // below, p > ½ and u itself is exact). At p = 1 (u = 0) the bits of
        // s wrap to a tiny negative number, f ≈ −1, and the result is below
        // −100; NaN gives NaN through f.
        let d = split_scaled::<_>(madd::<FMA, _>(-self, Self::TWO_MANT, Self::TWO_MANT));
        let e = d >> Self::MANT;
        let s = Self::from_bits_int((Self::BIAS - e).wrapping_shl(Self::MANT as u32));
        let f = madd::<FMA, _>(-self, s, s - Self::one());
        Self::ln_reduced::<FMA, true>(e.as_(), f)
    }
    /// [`Float::ln_1p_fast`] with fused multiply-adds when `FMA`, for the
    /// kernels.
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
        // subnormal: the rescaling step is left out.
        let u = one + self;
        ln_1p_corrected(self, u, finish_ln(u, u.ln_core_k::<FMA, false>()))
    }
    /// [`FloatKernels::ln_1p_k`] for `x ≥ 0`, `+∞` and NaN (negative `x`
    /// unspecified): one special case (`1 ⊕ x` infinite or NaN) instead of
    /// three, for `Msle`.
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

/// `eˣ = 2ⁿ·eʳ` with `n = round(x·log₂e)`, `|r| ≤ ln2/2`. The clamp keeps
/// `n` where `2ⁿ` is the product of two normal powers of two, so overflow
/// lands on `+∞` and deep underflow rounds to 0 exactly once. `NONPOS`:
/// `x ≤ 0`, only the lower bound can be crossed.
#[inline(always)]
fn exp_scaled<const FMA: bool, const NONPOS: bool, T: FloatKernels>(x: T) -> T {
    let (lo, hi) = T::EXP_RANGE;
    let x = if NONPOS {
        if x < lo {
            lo
        } else {
            x
        }
    } else {
        clamp_keep_nan(x, lo, hi)
    };
    // EXP_MAGIC leaves k = n + 2·BIAS in t's low bits. The two powers are
    // 2^(n₁) and 2^(n − n₁) with n₁ = ⌊n/2⌋: their biased exponents are
    // k >> 1 = n₁ + BIAS and k − (k >> 1), and shifting by MANT drops the
    // magic number's own bits (its low MANT − 1 are zero), so four integer
    // operations make both.
    let (t, r) = reduce::<FMA, _>(x, T::LOG2E, T::EXP_MAGIC, T::LN2);
    let p = horner::<FMA, _>(r, T::EXP_POLY);
    let bits = t.to_bits_int();
    let s1 = (bits >> 1) << T::MANT;
    let s2 = (bits << T::MANT).wrapping_sub(&s1);
    p * T::from_bits_int(s1) * T::from_bits_int(s2)
}

/// The split at √½ of `x·2^MANT` (normal or 0) with the `MANT` taken off the
/// exponent: `d >> MANT` is the exponent of `x`'s reduction, `d`'s low
/// `MANT` bits its mantissa's offset from √½.
#[inline(always)]
fn split_scaled<T: FloatKernels>(xs: T) -> T::Bits {
    xs.to_bits_int()
        .wrapping_sub(&T::SQRT_HALF_BITS)
        .wrapping_sub(&(T::MANT_BITS << T::MANT))
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

/// `c₀ + u·(c₁ + u·(…))` (Horner).
#[inline(always)]
fn horner<const FMA: bool, T: num_traits::Float>(u: T, c: &[T]) -> T {
    let mut p = c[c.len() - 1];
    for &ci in c[..c.len() - 1].iter().rev() {
        p = madd::<FMA, _>(p, u, ci);
    }
    p
}

/// Cody–Waite reduction: `t = x·log₂e + magic`, which rounds to an integer
/// `n = t − magic` (and leaves it, biased by `magic`'s low bits, in `t`'s
/// bits), and `r = x − n·ln 2` in two steps. Returns `(t, r)`.
#[inline(always)]
fn reduce<const FMA: bool, T: num_traits::Float>(x: T, log2e: T, magic: T, ln2: (T, T)) -> (T, T) {
    let t = madd::<FMA, _>(x, log2e, magic);
    let nf = t - magic;
    (t, madd::<FMA, _>(-nf, ln2.1, madd::<FMA, _>(-nf, ln2.0, x)))
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
