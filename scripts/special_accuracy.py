"""Measures tessera's special functions (tessera_kernels::special) against mpmath.

Builds and runs `crates/tessera-kernels/examples/special_eval.rs` on fixed, seeded
sample points per function and domain, computes the exact values with mpmath at 40
digits, and prints the largest error in ULP (of the correctly rounded result) for f64
and f32, with the point where it occurs: the table in ACCURACY.md ("Special functions").

    pip install mpmath numpy
    python3 scripts/special_accuracy.py [N]   # N points per row, default 2000
"""
import subprocess
import sys

import mpmath as mp
import numpy as np

mp.mp.dps = 40
N = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
ROOT = subprocess.check_output(["git", "rev-parse", "--show-toplevel"], text=True).strip()
subprocess.check_call(
    ["cargo", "build", "--release", "-q", "-p", "tessera-kernels", "--example", "special_eval"],
    cwd=ROOT,
)
EXE = f"{ROOT}/target/release/examples/special_eval"

EXACT = {
    "lgamma": lambda x: mp.log(abs(mp.gamma(x))),
    "digamma": mp.digamma,
    "polygamma1": lambda x: mp.polygamma(1, x),
    "polygamma2": lambda x: mp.polygamma(2, x),
    "polygamma3": lambda x: mp.polygamma(3, x),
    "mvlgamma3": lambda x: mp.mpf(3) / 2 * mp.log(mp.pi) + sum(mp.loggamma(x - mp.mpf(i) / 2) for i in range(3)).real,
    "erf": mp.erf,
    "erfc": mp.erfc,
    "erfinv": mp.erfinv,
}


def points(lo, hi, n, log, rng):
    if log:
        return np.exp(rng.uniform(np.log(lo), np.log(hi), n))
    return rng.uniform(lo, hi, n)


# (function, lo, hi, log-spaced)
ROWS = [
    ("lgamma", 1e-3, 1e3, True),
    ("lgamma", 0.5, 3.0, False),
    ("lgamma", -9.99, -0.01, False),
    ("digamma", 1e-3, 1e3, True),
    ("digamma", 1.0, 2.0, False),
    ("digamma", -9.99, -0.01, False),
    ("polygamma1", 1e-3, 1e3, True),
    ("polygamma1", -4.99, -0.01, False),
    ("polygamma2", 1e-2, 1e2, True),
    ("polygamma3", 1e-2, 1e2, True),
    ("mvlgamma3", 1.01, 100.0, True),
    ("erf", 1e-8, 6.0, True),
    ("erf", -3.0, 3.0, False),
    ("erfc", -3.0, 27.0, False),
    ("erfinv", -0.999, 0.999, False),
    ("erfinv", 0.999, 1.0 - 1e-15, False),
]


def run(name, xs, f32):
    args = [EXE, name] + (["f32"] if f32 else [])
    out = subprocess.run(args, input="\n".join(repr(float(x)) for x in xs), capture_output=True, text=True, check=True).stdout
    pairs = [line.split() for line in out.strip().splitlines()]
    return np.array([float(a) for a, _ in pairs]), np.array([float(b) for _, b in pairs])


def ulp_err(y, exact, dtype):
    e = dtype(exact)
    if not np.isfinite(e):
        return 0.0 if y == e else np.inf
    sp = np.spacing(np.abs(e)) if e != 0 else np.spacing(dtype(0))
    return float(abs(mp.mpf(float(y)) - exact) / mp.mpf(float(sp)))


def main():
    rng = np.random.default_rng(13)
    print(f"| function | domain | f64 max ULP (at x) | f64 median ULP | f32 max ULP (at x) |")
    print("| --- | --- | --- | --- | --- |")
    for name, lo, hi, log in ROWS:
        xs = points(lo, hi, N, log, rng)
        res = {}
        for f32, dtype in ((False, np.float64), (True, np.float32)):
            x_used, ys = run(name, xs, f32)
            errs = [ulp_err(y, EXACT[name](mp.mpf(x)), dtype) for x, y in zip(x_used, ys)]
            i = int(np.argmax(errs))
            res[f32] = (errs[i], x_used[i], float(np.median(errs)))
        (e64, x64, m64), (e32, x32, _) = res[False], res[True]
        print(f"| {name} | [{lo:g}, {hi:g}]{' log' if log else ''} | {e64:.2f} ({x64:.6g}) | {m64:.2f} | {e32:.2f} ({x32:.6g}) |")


if __name__ == "__main__":
    main()
