"""Times torch (2 threads) and numpy on the inputs of examples/bench_out.rs: the `out=`
forms, each side writing into a preallocated output, next to the allocating forms.

Prints `case torch_seconds numpy_seconds` per line. Called by
`cargo run --release --example bench_out`. NumPy runs on one thread (its ufuncs do).
"""

import numpy as np
import torch

from bench_common import best

torch.set_num_threads(2)




N = 10_000_000
for dt, tdt in (("f32", torch.float32), ("f64", torch.float64)):
    x = torch.linspace(-10, 10, N, dtype=tdt)
    y = torch.linspace(0.5, 2, N, dtype=tdt)
    xn, yn = x.numpy(), y.numpy()
    out, outn = torch.empty_like(x), np.empty_like(xn)
    for name, tf, nf in (("expm1", torch.expm1, np.expm1), ("exp", torch.exp, np.exp),
                         ("tanh", torch.tanh, np.tanh)):
        print(f"{name}_{dt}", best(3, 7, lambda: tf(x)), best(3, 7, lambda: nf(xn)), flush=True)
        print(f"{name}_out_{dt}", best(3, 7, lambda: tf(x, out=out)),
              best(3, 7, lambda: nf(xn, out=outn)), flush=True)
    for name, tf, nf in (("add", torch.add, np.add), ("mul", torch.mul, np.multiply)):
        print(f"{name}_{dt}", best(3, 7, lambda: tf(x, y)), best(3, 7, lambda: nf(xn, yn)), flush=True)
        print(f"{name}_out_{dt}", best(3, 7, lambda: tf(x, y, out=out)),
              best(3, 7, lambda: nf(xn, yn, out=outn)), flush=True)
