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
