#!/usr/bin/env python3
"""Fit the f32 polynomial coefficients of tessera-kernels' `High` kernels
(src/simd/high/poly.rs).

Near-minimax fits: weighted least squares in 80-digit arithmetic (mpmath) on
Chebyshev nodes. The coefficients are rounded to f32 one at a time, lowest
degree first, refitting the higher ones after each rounding (so the rounding
of a low coefficient is absorbed by the others). Prints Rust constants and the
max weighted error of the rounded polynomial on a dense grid.

    python3 scripts/fit_polys_high.py
"""
import struct

import mpmath as mp

mp.mp.dps = 80


def f32(v):
    return struct.unpack("f", struct.pack("f", float(v)))[0]


def lsq(g, lo, hi, deg, weight, fixed):
    n = 8 * (deg + 1)
    nodes = [(lo + hi) / 2 + (hi - lo) / 2 * mp.cos(mp.pi * (2 * i + 1) / (2 * n)) for i in range(n)]
    free = deg + 1 - len(fixed)
    a = mp.matrix(n, free)
    b = mp.matrix(n, 1)
    for i, t in enumerate(nodes):
        w = weight(t)
        rest = g(t) - sum(mp.mpf(c) * t**j for j, c in enumerate(fixed))
        for j in range(free):
            a[i, j] = w * t ** (j + len(fixed))
        b[i] = w * rest
    c = mp.lu_solve(a.T * a, a.T * b)
    return [c[j] for j in range(free)]


def fit(name, g, lo, hi, deg, weight=lambda t: 1):
    fixed = []
    while len(fixed) <= deg:
        c = lsq(g, lo, hi, deg, weight, fixed)
        fixed.append(f32(c[0]))
    worst = mp.mpf(0)
    for i in range(4001):
        t = lo + (hi - lo) * i / 4000
        p = mp.mpf(0)
        for cj in reversed(fixed):
            p = p * t + mp.mpf(cj)
        worst = max(worst, abs((p - g(t)) * weight(t)))
    print(f"/// {name}: degree {deg} on [{mp.nstr(lo, 6)}, {mp.nstr(hi, 6)}], max weighted error "
          f"{mp.nstr(worst, 3)} (2^{mp.nstr(mp.log(worst, 2), 4)}).")
    print(f"pub(crate) const {name}: [f32; {deg + 1}] = [")
    for cj in fixed:
        print(f"    f32::from_bits({hex(struct.unpack('I', struct.pack('f', cj))[0])}), // {cj!r}")
    print("];")


def q2(r):
    # (e^r - 1 - r) / r^2
    if abs(r) < mp.mpf(10) ** -20:
        return mp.mpf(1) / 2 + r / 6
    return (mp.expm1(r) - r) / r**2


def q3(r):
    # (e^r - 1 - r - r^2/2) / r^3
    if abs(r) < mp.mpf(10) ** -20:
        return mp.mpf(1) / 6 + r / 24
    return (mp.expm1(r) - r - r**2 / 2) / r**3


def log_p(z):
    # R(z) = 2 atanh(s)/s - 2 with z = s^2, written R(z) = z * P(z); this is P.
    if z < mp.mpf(10) ** -30:
        return mp.mpf(2) / 3 + 2 * z / 5
    s = mp.sqrt(z)
    return (2 * mp.atanh(s) / s - 2) / z


R = mp.log(2) / 2 + mp.mpf(2) ** -12
SMAX = 3 - 2 * mp.sqrt(2) + mp.mpf(2) ** -20
# exp: e^r = 1 + r + r^2 Q2(r); absolute error of r^2 Q2.
fit("EXP_Q2_F32", q2, -R, R, 5, weight=lambda t: t**2)
# expm1: e^r - 1 = r + r^2/2 + r^3 Q3(r); absolute error of r^3 Q3.
fit("EXPM1_Q3_F32", q3, -R, R, 4, weight=lambda t: abs(t) ** 3)
# log: log(1 + f) = f - f^2/2 + s (f^2/2 + z P(z)), s = f / (2 + f), z = s^2; absolute
# error of s z P(z).
fit("LOG_P_F32", log_p, mp.mpf(0), SMAX**2, 3, weight=lambda z: z * mp.sqrt(z))
