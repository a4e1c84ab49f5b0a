//! The scalar types `ndloss` computes in.

use std::fmt::{Debug, Display};

use ndarray::ScalarOperand;

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
}

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
    num_traits::Float
    + ScalarOperand
    + Debug
    + Display
    + Default
    + Send
    + Sync
    + 'static
    + sealed::Sealed
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
    fn exp_fast(self) -> Self;
}

/// Branch-free clamp that keeps NaN (unlike `f32::clamp`/`max`, which would
/// silently turn a NaN input into a bound).
#[inline(always)]
fn clamp_keep_nan<T: PartialOrd + Copy>(x: T, lo: T, hi: T) -> T {
    let x = if x < lo { lo } else { x };
    if x > hi {
        hi
    } else {
        x
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
    #[inline(always)]
    fn exp_fast(self) -> Self {
        // eˣ = 2ⁿ·eʳ with n = round(x·log₂e), |r| ≤ ln2/2. The bounds make
        // n ∈ [-150, 129], so 2ⁿ is applied as two normal powers of two:
        // overflow lands on +∞ and deep underflow rounds to 0 exactly once.
        const MAGIC: f32 = 12_582_912.0; // 1.5·2²³: adding it rounds to an integer
        const LN2_HI: f32 = 0.693_359_4; // few significant bits: n·LN2_HI is exact
        const LN2_LO: f32 = -2.121_944_4e-4;
        let x = clamp_keep_nan(self, -104.0, 89.0);
        let t = x * std::f32::consts::LOG2_E + MAGIC;
        let n = (t.to_bits() as i32).wrapping_sub(MAGIC.to_bits() as i32);
        let nf = t - MAGIC;
        let r = (x - nf * LN2_HI) - nf * LN2_LO;
        // Taylor polynomial of degree 7: truncation error < 6e-9 on |r| ≤ 0.35.
        let p = 1.0
            + r * (1.0
                + r * (0.5
                    + r * (1.0 / 6.0
                        + r * (1.0 / 24.0
                            + r * (1.0 / 120.0 + r * (1.0 / 720.0 + r * (1.0 / 5040.0)))))));
        let n1 = n >> 1;
        let n2 = n - n1;
        let s1 = f32::from_bits(((n1 + 127) as u32) << 23);
        let s2 = f32::from_bits(((n2 + 127) as u32) << 23);
        p * s1 * s2
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
    #[inline(always)]
    fn exp_fast(self) -> Self {
        // Same scheme as f32, with n ∈ [-1077, 1025] split into two halves.
        const MAGIC: f64 = 6_755_399_441_055_744.0; // 1.5·2⁵²
        const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000); // ln 2, low 21 bits zero
        const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76); // ln 2 − LN2_HI
        let x = clamp_keep_nan(self, -746.0, 710.0);
        let t = x * std::f64::consts::LOG2_E + MAGIC;
        let n = (t.to_bits() as i64).wrapping_sub(MAGIC.to_bits() as i64);
        let nf = t - MAGIC;
        let r = (x - nf * LN2_HI) - nf * LN2_LO;
        // Taylor polynomial of degree 13: truncation error < 5e-18 on |r| ≤ 0.35.
        const C: [f64; 14] = [
            1.0,
            1.0,
            1.0 / 2.0,
            1.0 / 6.0,
            1.0 / 24.0,
            1.0 / 120.0,
            1.0 / 720.0,
            1.0 / 5040.0,
            1.0 / 40_320.0,
            1.0 / 362_880.0,
            1.0 / 3_628_800.0,
            1.0 / 39_916_800.0,
            1.0 / 479_001_600.0,
            1.0 / 6_227_020_800.0,
        ];
        let mut p = C[13];
        for &c in C[..13].iter().rev() {
            p = p * r + c;
        }
        let n1 = n >> 1;
        let n2 = n - n1;
        let s1 = f64::from_bits(((n1 + 1023) as u64) << 52);
        let s2 = f64::from_bits(((n2 + 1023) as u64) << 52);
        p * s1 * s2
    }
}

#[cfg(test)]
mod tests {
    use super::Float;

    fn ulp_diff_f32(a: f32, b: f32) -> u32 {
        if a == b {
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
}
