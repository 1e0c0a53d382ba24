#!/usr/bin/env python3
"""Reference values for tessera-linalg's tests.

Writes crates/tessera-linalg/tests/data/singular_lu.json: exactly singular matrices
with LAPACK's getrf output (scipy.linalg.lu_factor: packed LU, 1-based pivots, and the
info = first exactly zero U[k, k]) and the inverse that getrs gives from that LU
(scipy.linalg.lu_solve on the identity, as PyTorch's inv_ex computes it), whose inf/NaN
pattern tessera's inv_ex must reproduce; non-finite values are written as strings.

Writes crates/tessera-linalg/tests/data/matrix_exp.json: a list of cases, each with
the input matrix A (row-major; every entry exactly representable in f32, so the same
reference serves the f32 and f64 tests), exp(A) computed by mpmath at 60 significant
digits (Taylor series with scaling and squaring in high precision), and the relative
condition number of exp at A in the Frobenius norm (scipy.linalg.expm_cond) that the
tests scale their tolerance by. scipy.linalg.expm is computed too, as a cross-check
of the reference (it must agree to ~cond * 1e-16).

Run from the repository root:  python3 scripts/make_linalg_data.py
Requires numpy, scipy, mpmath.
"""
import json
import os

import mpmath
import numpy as np
import scipy.linalg

mpmath.mp.dps = 60
OUT = os.path.join("crates", "tessera-linalg", "tests", "data", "matrix_exp.json")
OUT_LU = os.path.join("crates", "tessera-linalg", "tests", "data", "singular_lu.json")


def singular_cases():
    yield "rank2_3x3", np.array([[1.0, 2, 3], [2, 4, 6], [1, 0, 1]])
    yield "zero_3x3", np.zeros((3, 3))
    m = np.arange(25.0).reshape(5, 5) % 7 + np.eye(5)
    m[:, 2] = 0.0
    yield "zero_column_5x5", m
    # 4 I + strictly upper ones: multipliers and updates are exact, so the zero pivot
    # that a duplicated row creates is exactly zero in every elimination order.
    m = 4 * np.eye(20) + np.triu(np.ones((20, 20)), 1)
    m[13] = m[4]
    yield "duplicate_row_20x20", m
    rng = np.random.default_rng(7)
    m = rng.integers(-4, 5, size=(24, 24)).astype(float) + 12 * np.eye(24)
    m[:, 17] = 0.0
    yield "zero_column_24x24", m


def enc(v):
    return [float(x) if np.isfinite(x) else str(x) for x in v]


def write_singular():
    import warnings
    out = []
    for name, a in singular_cases():
        n = a.shape[0]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            lu, piv = scipy.linalg.lu_factor(a, check_finite=False)
            with np.errstate(all="ignore"):
                inv = scipy.linalg.lu_solve((lu, piv), np.eye(n), check_finite=False)
        d = np.diag(lu)
        info = int(np.argmax(d == 0) + 1) if (d == 0).any() else 0
        print(f"{name:24s} n={n:3d} info={info}")
        out.append({
            "name": name,
            "n": n,
            "a": a.ravel().tolist(),
            "lu": enc(lu.ravel()),
            "pivots": [int(p) + 1 for p in piv],
            "info": info,
            "inv": enc(inv.ravel()),
        })
    with open(OUT_LU, "w") as f:
        json.dump({"generator": "scripts/make_linalg_data.py (scipy.linalg.lu_factor / lu_solve = LAPACK getrf / getrs)", "cases": out}, f, indent=0)
    print("wrote", OUT_LU)


def f32_exact(a):
    """Round to the nearest f32 so the input is the same in both dtypes."""
    return np.asarray(a, dtype=np.float32).astype(np.float64)


def expm_mp(a):
    m = mpmath.matrix(a.tolist())
    e = mpmath.expm(m, method="taylor")
    n = a.shape[0]
    return np.array([[float(e[i, j]) for j in range(n)] for i in range(n)])


def cases():
    rng = np.random.default_rng(20261127)
    yield "diagonal", np.diag([-10.0, -0.5, 0.0, 1.0, 5.0])
    yield "nilpotent_4", np.triu(rng.integers(-3, 4, size=(4, 4)).astype(float), 1)
    yield "nilpotent_jordan_6", np.diag(np.ones(5), 1) * 2.0
    for t in [1.0, 10.0, 100.0]:
        yield f"rotation_2d_t{t:g}", np.array([[0.0, -t], [t, 0.0]])
    w = np.array([0.3, -1.2, 2.0])
    yield "rotation_so3", np.array([[0, -w[2], w[1]], [w[2], 0, -w[0]], [-w[1], w[0], 0]])
    # Moler & Van Loan's example: exp has entries ~1 from terms ~e^{15}/...; cancellation.
    yield "moler_van_loan", np.array([[-49.0, 24.0], [-64.0, 31.0]])
    yield "large_norm_random_5", rng.standard_normal((5, 5)) * 8.0
    yield "large_norm_negative_definite", -(lambda q: q @ q.T)(rng.standard_normal((6, 6))) * 4.0
    yield "upper_large_offdiag", np.array([[1.0, 1e4], [0.0, -1.0]])
    yield "nearly_defective", np.array([[1.0, 1.0], [0.0, 1.0 + 2.0**-20]])
    yield "nearly_defective_3", np.array([[2.0, 1.0, 0.0], [0.0, 2.0 + 2.0**-18, 1.0], [0.0, 0.0, 2.0 - 2.0**-18]])
    yield "small_norm", rng.standard_normal((7, 7)) * 1e-3
    yield "medium_16", rng.standard_normal((16, 16)) * 0.3
    # Orders above 16 take the faer path.
    yield "random_24", rng.standard_normal((24, 24)) * 0.5
    yield "random_40_large_norm", rng.standard_normal((40, 40)) * 1.5
    yield "zero_3", np.zeros((3, 3))


def main():
    write_singular()
    out = []
    for name, a in cases():
        a = f32_exact(a)
        ref = expm_mp(a)
        sp = scipy.linalg.expm(a)
        cond = float(scipy.linalg.expm_cond(a)) if a.any() else 1.0
        rel = np.linalg.norm(sp - ref) / np.linalg.norm(ref)
        print(f"{name:32s} n={a.shape[0]:3d} ||A||_1={np.abs(a).sum(0).max():10.3g} cond={cond:10.3g} scipy rel err={rel:.2e}")
        out.append({
            "name": name,
            "n": a.shape[0],
            "a": a.ravel().tolist(),
            "expm": ref.ravel().tolist(),
            "cond": cond,
        })
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump({"generator": "scripts/make_linalg_data.py (mpmath.expm, 60 digits)", "cases": out}, f, indent=0)
    print("wrote", OUT)


if __name__ == "__main__":
    main()
