#!/usr/bin/env python3
"""Fit the polynomial coefficients used by tessera-kernels (src/simd/poly.rs).

Near-minimax fits: weighted least squares in 80-digit arithmetic (mpmath) on
Chebyshev nodes, coefficients rounded to the nearest double. Prints Rust
constants and the max error of the rounded polynomial on a dense grid.

    python3 scripts/fit_polys.py
"""
import mpmath as mp

mp.mp.dps = 80


def fit(name, g, lo, hi, deg, weight=lambda t: 1):
    n = 6 * (deg + 1)
    nodes = [(lo + hi) / 2 + (hi - lo) / 2 * mp.cos(mp.pi * (2 * i + 1) / (2 * n)) for i in range(n)]
    a = mp.matrix(n, deg + 1)
    b = mp.matrix(n, 1)
    for i, t in enumerate(nodes):
        w = weight(t)
        for j in range(deg + 1):
            a[i, j] = w * t**j
        b[i] = w * g(t)
    c = mp.lu_solve(a.T * a, a.T * b)
    coeffs = [float(c[j]) for j in range(deg + 1)]
    worst = mp.mpf(0)
    for i in range(2001):
        t = lo + (hi - lo) * i / 2000
        p = mp.mpf(0)
        for cj in reversed(coeffs):
            p = p * t + mp.mpf(cj)
        e = abs((p - g(t)) * weight(t))
        worst = max(worst, e)
    print(f"/// {name}: degree {deg} on [{mp.nstr(lo, 6)}, {mp.nstr(hi, 6)}], max weighted error {mp.nstr(worst, 3)} (2^{mp.nstr(mp.log(worst, 2), 4)}).")
    print(f"pub(crate) const {name}: [f64; {deg + 1}] = [")
    for cj in coeffs:
        print(f"    {cj!r},")
    print("];")


def expm1_q(r):
    if abs(r) < mp.mpf(10) ** -20:
        return mp.mpf(1) / 2 + r / 6
    return (mp.expm1(r) - r) / r**2


def expm1_q3(r):
    if abs(r) < mp.mpf(10) ** -20:
        return mp.mpf(1) / 6 + r / 24
    return (mp.expm1(r) - r - r**2 / 2) / r**3


def log_p(z):
    # R(z) = 2 atanh(s)/s - 2 with z = s^2, written R(z) = z * P(z); this is P.
    if z < mp.mpf(10) ** -30:
        return mp.mpf(2) / 3 + 2 * z / 5
    s = mp.sqrt(z)
    return (2 * mp.atanh(s) / s - 2) / z


R = mp.log(2) / 2 + mp.mpf(2) ** -20
# s = f / (2 + f) with f = m - 1, m in [sqrt(2)/2, sqrt(2)): |s| <= 3 - 2 sqrt(2).
SMAX = 3 - 2 * mp.sqrt(2) + mp.mpf(2) ** -30
fit("EXPM1_Q_F32", expm1_q, -R, R, 9)
fit("EXPM1_Q3_F64", expm1_q3, -R, R, 9)
fit("LOG_P_F64", log_p, mp.mpf(0), SMAX**2, 7)
# The table-driven exp/expm1 (src/simd/exp_t16.rs, 16 entries): |r| <= ln2/32, weight |r|
# (relative error of r + r^2 Q, which expm1 needs).
R16 = mp.log(2) / 32 + mp.mpf(2) ** -20
fit("EXP_T16_Q", expm1_q, -R16, R16, 5, weight=lambda t: abs(t))
# Its grade for the row kernels and the f32 sigmoid: weight r^2 (absolute error of e^r).
fit("EXP_T16_ROWS_Q", expm1_q, -R16, R16, 2, weight=lambda t: t**2)
# The High grade's row sums (logsumexp, log_softmax): degree 1, same weight.
fit("EXP_T16_ROWS_HIGH_Q", expm1_q, -R16, R16, 1, weight=lambda t: t**2)


# The table-driven fast path of the correctly rounded f32 log and log1p
# (src/simd/log_t16.rs): m in [0.703125, 1.40625) split in 16 chunks (9 of width 1/32 below
# 0.984375, one [0.984375, 1.03125) with c = 1, 6 of width 1/16 above), r = m / c - 1.
def log1p_q(r):
    if abs(r) < mp.mpf(10) ** -20:
        return -mp.mpf(1) / 2 + r / 3
    return (mp.log1p(r) - r) / r**2


def log_t16_tables():
    bounds = [mp.mpf(45) / 64 + mp.mpf(j) / 32 for j in range(10)]
    bounds += [mp.mpf(33) / 32 + mp.mpf(j) / 16 for j in range(7)]
    invc, logc, rmin, rmax = [], [], mp.mpf(0), mp.mpf(0)
    for j in range(16):
        lo, hi = bounds[j], bounds[j + 1]
        if j == 9:
            ic = mp.mpf(1)
        else:
            # 1/center rounded to 29 significant bits: m * invc is exact in f64 (24 + 29 bits).
            c = (lo + hi) / 2
            e = mp.floor(mp.log(1 / c, 2))
            ic = mp.nint((1 / c) * 2 ** (28 - e)) / 2 ** (28 - e)
        invc.append(ic)
        logc.append(-mp.log(ic))
        rmin = min(rmin, lo * ic - 1)
        rmax = max(rmax, hi * ic - 1)
    print("/// `1 / c_j`, 29 significant bits (`m * INVC` is exact for an f32 `m`).")
    print("const INVC: [f64; 16] = [")
    for v in invc:
        print(f"    {float(v)!r},")
    print("];")
    print("/// `log(c_j) = -log(INVC[j])`, rounded to nearest.")
    print("const LOGC: [f64; 16] = [")
    for v in logc:
        print(f"    {float(v)!r},")
    print("];")
    print(f"// r in [{mp.nstr(rmin, 8)}, {mp.nstr(rmax, 8)}]")
    return rmin, rmax


RMIN, RMAX = log_t16_tables()
fit("LOG_T16_Q", log1p_q, RMIN - mp.mpf(2) ** -20, RMAX + mp.mpf(2) ** -20, 4, weight=lambda t: abs(t))


# The fast path of the correctly rounded f32 tanh (src/simd/tanh_t16.rs): with
# a = |x| = k ln2/32 + r', e^(2a) = 2^(k/16) (1 + 2 p) where p = (e^(2r') - 1) / 2 =
# r' + r'^2 Q(r'), |r'| <= ln2/64; weight r'^2 (the absolute error of e^(2r')).
def tanh_q(r):
    if abs(r) < mp.mpf(10) ** -20:
        return 1 + 2 * r / 3
    return (mp.expm1(2 * r) / 2 - r) / r**2


R64 = mp.log(2) / 64 + mp.mpf(2) ** -20
fit("TANH_T16_Q", tanh_q, -R64, R64, 3, weight=lambda t: 2 * t**2)
