"""Times torch (2 threads) and numpy on the inputs of examples/bench_tensor.rs.

Prints `case torch_seconds numpy_seconds` per line (nan where a library has no
equivalent). Called by `cargo run --release --example bench_tensor`. Every side calls the
out-of-place form (each call allocates its result, as `x.expm1()` does in tessera) and
takes the median of the same batches. Threads: torch 2; NumPy's ufuncs 1 (they have no
threading), its BLAS (matmul) 2.
"""
import math
import os

os.environ["OPENBLAS_NUM_THREADS"] = "2"  # before NumPy loads its BLAS

import numpy as np  # noqa: E402
import torch  # noqa: E402

from bench_common import median  # noqa: E402

torch.set_num_threads(2)




def np_softmax(a):
    m = a.max(axis=-1, keepdims=True)
    e = np.exp(a - m)
    return e / e.sum(axis=-1, keepdims=True)


def np_log_softmax(a):
    m = a.max(axis=-1, keepdims=True)
    s = a - m
    return s - np.log(np.exp(s).sum(axis=-1, keepdims=True))


def np_logsumexp(a):
    m = a.max(axis=-1, keepdims=True)
    return (m + np.log(np.exp(a - m).sum(axis=-1, keepdims=True)))[..., 0]


def np_sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def np_softplus(a):
    return np.logaddexp(a, 0.0)


small = torch.linspace(-1, 1, 100)
small_np = small.numpy()
big32 = torch.linspace(-10, 10, 10_000_000)
big64 = torch.linspace(-10, 10, 10_000_000, dtype=torch.float64)
b32, b64 = big32.numpy(), big64.numpy()
m = torch.randn(1000, 1000)
mn = m.numpy()
m7 = torch.randn(10_000, 1000)
m7n = m7.numpy()
a = torch.randn(512, 512)
an = a.numpy()

cases = [
    ("expm1_f32_n100_call", 20000, 9, lambda: torch.expm1(small), lambda: np.expm1(small_np)),
]
# log1p takes [-0.9, 100], as in the kernel benchmark.
pos = {"f32": torch.linspace(-0.9, 100, 10_000_000),
       "f64": torch.linspace(-0.9, 100, 10_000_000, dtype=torch.float64)}
big = {"f32": big32, "f64": big64}
for name, tf, nf, domain in [
    ("expm1", torch.expm1, np.expm1, big),
    ("exp", torch.exp, np.exp, big),
    ("log1p", torch.log1p, np.log1p, pos),
    ("log", torch.log, np.log, pos),
    ("tanh", torch.tanh, np.tanh, big),
    ("sigmoid", torch.sigmoid, np_sigmoid, big),
    ("softplus", torch.nn.functional.softplus, np_softplus, big),
]:
    for dt in ("f32", "f64"):
        x = domain[dt]
        xn = x.numpy()
        cases.append((f"{name}_{dt}_1e7", 3, 7,
                      lambda tf=tf, x=x: tf(x), lambda nf=nf, xn=xn: nf(xn)))
cases += [
    ("softmax_f32_1000x1000", 10, 9, lambda: torch.softmax(m, -1), lambda: np_softmax(mn)),
    ("log_softmax_f32_1000x1000", 10, 9, lambda: torch.log_softmax(m, -1), lambda: np_log_softmax(mn)),
    ("logsumexp_f32_1000x1000", 10, 9, lambda: torch.logsumexp(m, -1), lambda: np_logsumexp(mn)),
    ("softmax_f32_10000x1000", 2, 9, lambda: torch.softmax(m7, -1), lambda: np_softmax(m7n)),
    ("log_softmax_f32_10000x1000", 2, 9, lambda: torch.log_softmax(m7, -1), lambda: np_log_softmax(m7n)),
    ("logsumexp_f32_10000x1000", 2, 9, lambda: torch.logsumexp(m7, -1), lambda: np_logsumexp(m7n)),
    ("matmul_f32_512", 5, 7, lambda: a @ a, lambda: an @ an),
    ("sum_f32_1e7", 5, 7, lambda: big32.sum(), lambda: b32.sum()),
]
for name, iters, reps, ft, fn in cases:
    tt = median(iters, reps, ft)
    tn = median(iters, reps, fn) if fn else math.nan
    print(name, tt, tn, flush=True)
