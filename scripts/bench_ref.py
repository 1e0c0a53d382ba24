#!/usr/bin/env python3
"""Reference timings for crates/tessera-kernels/examples/bench_kernels.rs.

Times PyTorch (2 threads) and NumPy (1 thread: its ufuncs have no threading) on the same
inputs as the Rust benchmark (lo + (hi - lo) * frac(i * golden ratio), 10^7 elements) and
prints lines `lib function dtype Gelem/s`, best of REPS runs after a warm-up, as the Rust
side does. Every call writes into a preallocated output, as tessera's kernels do: torch
through `out=` (softplus through `torch._C._nn.softplus`, the `out=` form behind
`torch.nn.functional.softplus`; softmax and log_softmax through `torch._softmax` /
`torch._log_softmax`, the `out=` forms behind `torch.softmax`), NumPy through `out=` with
no 40 MB temporaries. NumPy has no sigmoid/softplus/softmax: the usual idioms are timed
(1/(1+exp(-x)), logaddexp(0, x), exp(x - max) / sum), each step in place in the output.
The Rust side times tessera's f32 kernels in both precision grades (dtype `f32` for the
default, correctly rounded ones, `f32 high` for tessera_kernels::high) against the same
f32 lines printed here. Arguments: the function names to time (default: all). Run it with OPENBLAS_CORETYPE and
OPENBLAS_L2_SIZE unset (the Rust benchmark does). TORCH_THREADS sets torch's thread count
(default 2; the Rust benchmark's `--torch-threads` sets it).
"""
import os
import time

import numpy as np
import torch

N = 10_000_000
REPS = 15
torch.set_num_threads(int(os.environ.get("TORCH_THREADS", "2")))


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
        "softplus": lambda x, out: torch._C._nn.softplus(x, 1, 20, out=out),
    }[name]


def np_sigmoid(x, out):
    np.negative(x, out=out)
    np.exp(out, out=out)
    np.add(out, 1.0, out=out)
    return np.divide(1.0, out, out=out)


def np_softmax(x, out):
    np.subtract(x, x.max(1, keepdims=True), out=out)
    np.exp(out, out=out)
    return np.divide(out, out.sum(1, keepdims=True), out=out)


def np_log_softmax(x, out, tmp):
    np.subtract(x, x.max(1, keepdims=True), out=out)
    np.exp(out, out=tmp)
    return np.subtract(out, np.log(tmp.sum(1, keepdims=True)), out=out)


def np_logsumexp(x, out, tmp):
    m = x.max(1, keepdims=True)
    np.subtract(x, m, out=tmp)
    np.exp(tmp, out=tmp)
    np.log(tmp.sum(1), out=out)
    return np.add(out, m[:, 0], out=out)


def numpy_fn(name):
    return {
        "expm1": np.expm1, "exp": np.exp, "log1p": np.log1p, "log": np.log, "tanh": np.tanh,
        "sigmoid": np_sigmoid,
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
    for rows in (1000, 10_000):
        n = rows * 1000
        x = inputs(-10.0, 10.0, n).astype(np.float32).reshape(rows, 1000)
        y, tmp, l = np.empty_like(x), np.empty_like(x), np.empty(rows, dtype=np.float32)
        tx, ty, tl = torch.from_numpy(x), torch.from_numpy(y), torch.from_numpy(l)
        for name, tf, nf in [
            ("softmax", lambda: torch._softmax(tx, 1, False, out=ty), lambda: np_softmax(x, y)),
            ("log_softmax", lambda: torch._log_softmax(tx, 1, False, out=ty),
             lambda: np_log_softmax(x, y, tmp)),
            ("logsumexp", lambda: torch.logsumexp(tx, 1, out=tl),
             lambda: np_logsumexp(x, l, tmp)),
        ]:
            if not want(name):
                continue
            print(f"torch {name} f32[{rows},1000] {n / best(tf) / 1e9:.4f}", flush=True)
            print(f"numpy {name} f32[{rows},1000] {n / best(nf) / 1e9:.4f}", flush=True)

if __name__ == "__main__":
    main()
