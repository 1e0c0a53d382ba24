#!/usr/bin/env python3
"""Reference timings for crates/tessera-kernels/examples/bench_kernels.rs.

Times PyTorch (2 threads) and NumPy (1 thread) on the same inputs as the Rust benchmark
(lo + (hi - lo) * frac(i * golden ratio), 10^7 elements) and prints lines
`lib function dtype Gelem/s`. NumPy has no sigmoid/softplus/softmax: the usual idioms are
timed (1/(1+exp(-x)), logaddexp(0, x), exp(x - max) / sum).
Arguments: the function names to time (default: all). Run it with OPENBLAS_CORETYPE and
OPENBLAS_L2_SIZE unset (the Rust benchmark does).
"""
import time

import numpy as np
import torch

N = 10_000_000
REPS = 15
torch.set_num_threads(2)


def inputs(lo, hi, n):
    g = 0.6180339887498949
    return lo + (hi - lo) * np.modf(np.arange(n, dtype=np.float64) * g)[0]


DOMAIN = {"log": (1e-3, 100.0), "log1p": (-0.9, 100.0)}


def best(f):
    f()
    t = float("inf")
    for _ in range(REPS):
        t0 = time.perf_counter()
        f()
        t = min(t, time.perf_counter() - t0)
    return t


def torch_fn(name):
    return {
        "expm1": torch.expm1, "exp": torch.exp, "log1p": torch.log1p, "log": torch.log,
        "tanh": torch.tanh, "sigmoid": torch.sigmoid,
        "softplus": lambda x, out: torch.nn.functional.softplus(x),
    }[name]


def numpy_fn(name):
    return {
        "expm1": np.expm1, "exp": np.exp, "log1p": np.log1p, "log": np.log, "tanh": np.tanh,
        "sigmoid": lambda x, out: np.divide(1.0, 1.0 + np.exp(-x), out=out),
        "softplus": lambda x, out: np.logaddexp(0, x, out=out),
    }[name]


def main():
    import sys
    only = set(sys.argv[1:])  # function names to time (default: all)
    want = lambda name: not only or name in only
    np.seterr(all="ignore")
    for name in ["expm1", "exp", "log1p", "log", "tanh", "sigmoid", "softplus"]:
        if not want(name):
            continue
        lo, hi = DOMAIN.get(name, (-10.0, 10.0))
        for dtype, npt in [("f32", np.float32), ("f64", np.float64)]:
            x = inputs(lo, hi, N).astype(npt)
            y = np.empty_like(x)
            tx, ty = torch.from_numpy(x), torch.from_numpy(y)
            tf, nf = torch_fn(name), numpy_fn(name)
            t = best(lambda: tf(tx, out=ty))
            print(f"torch {name} {dtype} {N / t / 1e9:.4f}", flush=True)
            t = best(lambda: nf(x, out=y))
            print(f"numpy {name} {dtype} {N / t / 1e9:.4f}", flush=True)
    x = inputs(-10.0, 10.0, 1_000_000).astype(np.float32).reshape(1000, 1000)
    tx = torch.from_numpy(x)
    for name, tf, nf in [
        ("softmax", lambda: torch.softmax(tx, 1),
         lambda: (lambda e: e / e.sum(1, keepdims=True))(np.exp(x - x.max(1, keepdims=True)))),
        ("log_softmax", lambda: torch.log_softmax(tx, 1),
         lambda: (lambda d: d - np.log(np.exp(d).sum(1, keepdims=True)))(x - x.max(1, keepdims=True))),
        ("logsumexp", lambda: torch.logsumexp(tx, 1),
         lambda: (lambda m: m[:, 0] + np.log(np.exp(x - m).sum(1)))(x.max(1, keepdims=True))),
    ]:
        if not want(name):
            continue
        print(f"torch {name} f32[1000,1000] {1e6 / best(tf) / 1e9:.4f}", flush=True)
        print(f"numpy {name} f32[1000,1000] {1e6 / best(nf) / 1e9:.4f}", flush=True)


if __name__ == "__main__":
    main()
