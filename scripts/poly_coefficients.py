#!/usr/bin/env python3
"""Offline generator of the polynomial coefficients in `src/float/layout.rs`.

Prints the coefficients of `e^r` on |r| <= ln(2)/2 (the reduced argument of
`exp`: degree 6 for f32, 11 for f64, truncation error below 0.05 ulp), and
the f32 coefficients of the division-free `ln(1 + e)`
for `e` in [0, 1] used by the logistic losses (BCE with logits, soft margin,
sigmoid focal, log-cosh). Each is a polynomial in `u = e - 1/2` (|u| <= 1/2,
so the evaluation is well conditioned: the coefficients shrink like (2/3)^k),
interpolated at the Chebyshev nodes in 40-digit arithmetic (within a small
factor of minimax), then rounded to f32:

    ln(1 + e) = e * q(u),   q = ln(1 + e)/e   (degree 8)

and the f32 coefficients of the division-free logarithm `ln_k` (LN_P): with
x = 2^k * (1 + f), f in [sqrt(1/2) - 1, sqrt(2) - 1],

    ln(1 + f) = f - f^2/2 + f^3 * P(f),   P of degree 8

(truncation error printed in units of 2^-24 of the result), and of degree 7
(LN_P7) for `Bce`'s logarithms, whose values only enter a mean.

The accuracy actually claimed is checked in Rust against `std` over all of
[0, 1] (`float::tests`). Needs `mpmath` and `numpy`; never run by CI.

    python3 scripts/poly_coefficients.py
"""
import mpmath as mp
import numpy as np

mp.mp.dps = 40
HALF = mp.mpf(1) / 2


def q(e):
    return mp.mpf(1) if e == 0 else mp.log1p(e) / e


def r(e):
    return 1 / (1 + e)


def interpolate(f, deg):
    n = deg + 1
    nodes = [mp.cos(mp.pi * (k + HALF) / n) / 2 for k in range(n)]
    a = mp.matrix([[u**j for j in range(n)] for u in nodes])
    c = mp.lu_solve(a, mp.matrix([f(u + HALF) for u in nodes]))
    return [c[j] for j in range(n)]


def fma32(a, b, c):
    """a*b + c rounded once to f32 (the product of two f32 is exact in f64;
    the f64 sum is then rounded twice, which can differ from one rounding
    only on exact ties)."""
    return (np.float64(a) * np.float64(b) + np.float64(c)).astype(np.float32)


def horner_estrin_9(u, c):
    """`float::horner_estrin_9` in f32 with fused multiply-adds:
    c0 + u*(c1 + u*S), S = c2 + ... + c8*u^6 by Estrin's scheme in u^2."""
    u2 = (u * u).astype(np.float32)
    p23, p45, p67 = (fma32(c[j + 1], u, c[j]) for j in (2, 4, 6))
    s = fma32(fma32(fma32(np.full_like(u, c[8]), u2, p67), u2, p45), u2, p23)
    return fma32(fma32(s, u, c[1]), u, c[0])


def f32_error(f, coeffs):
    """Max relative error (in units of f32 epsilon) of the f32 evaluation
    (`horner_estrin_9`) over a fine grid of f32 inputs e in [0, 1]."""
    cs = [np.float32(float(x)) for x in coeffs]
    es = np.linspace(0, 1, 20001).astype(np.float32)
    u = es - np.float32(0.5)
    p = horner_estrin_9(u, cs)
    exact = np.array([float(f(mp.mpf(float(e)))) for e in es])
    return float(np.max(np.abs(p - exact) / exact) / np.finfo(np.float32).eps)


def exp_coefficients(deg, digits_type):
    half = mp.log(2) / 2 * mp.mpf("1.0001")  # r can round just past ln2/2
    n = deg + 1
    nodes = [half * mp.cos(mp.pi * (k + HALF) / n) for k in range(n)]
    a = mp.matrix([[u**j for j in range(n)] for u in nodes])
    c = mp.lu_solve(a, mp.matrix([mp.exp(u) for u in nodes]))
    grid = [-half + 2 * half * k / 4000 for k in range(4001)]
    err = max(abs(sum(c[j] * u**j for j in range(n)) / mp.exp(u) - 1) for u in grid)
    print(f"// truncation error {float(err):.2e} relative")
    print(f"const EXP_{digits_type.upper()}: [{digits_type}; {n}] = [")
    for j in range(n):
        x = float(c[j])
        print(f"    {np.format_float_positional(np.float32(x))}," if digits_type == "f32" else f"    {x!r},")
    print("];")


exp_coefficients(6, "f32")
exp_coefficients(11, "f64")
for name, f, deg in (("LN1P_Q", q, 8),):
    c = interpolate(f, deg)
    print(f"// max f32 evaluation error {f32_error(f, c):.2f} eps")
    print(f"const {name}: [f32; {deg + 1}] = [")
    for x in c:
        print(f"    {np.format_float_positional(np.float32(float(x)))},")
    print("];")


def ln_p(f):
    return mp.mpf(1) / 3 if f == 0 else (mp.log1p(f) - f + f * f / 2) / f**3


def ln_p_coefficients(deg, name):
    lo, hi = mp.sqrt(HALF) - 1, mp.sqrt(2) - 1
    n = deg + 1
    nodes = [(lo + hi) / 2 + (hi - lo) / 2 * mp.cos(mp.pi * (k + HALF) / n) for k in range(n)]
    a = mp.matrix([[u**j for j in range(n)] for u in nodes])
    c = mp.lu_solve(a, mp.matrix([ln_p(u) for u in nodes]))
    grid = [lo + (hi - lo) * k / 3000 for k in range(3001)]
    err = max(
        abs((sum(c[j] * f**j for j in range(n)) - ln_p(f)) * f**3 / mp.log1p(f))
        for f in grid
        if f != 0
    )
    print(f"// truncation error {float(err) * 2**24:.2f} x 2^-24 of ln(1 + f)")
    print(f"const {name}: [f32; {n}] = [")
    for x in c:
        print(f"    {np.format_float_positional(np.float32(float(x)))},")
    print("];")


ln_p_coefficients(8, "LN_P")
ln_p_coefficients(7, "LN_P7")
