"""Times torch (2 threads) and numpy on the matmul inputs of examples/bench_matmul.rs.

Prints `case torch_median numpy_median torch_best numpy_best` (seconds per call) per
line. Called by `cargo run --release --example bench_matmul`. The inputs are the same
values: each side builds them with the same formula (sin of the flat index).
"""

import numpy as np
import torch

from bench_common import _batches

torch.set_num_threads(2)


def mat(shape, dtype):
    n = int(np.prod(shape))
    return torch.from_numpy(np.sin(np.arange(n, dtype=np.float64)).reshape(shape)).to(dtype)


CASES = [
    # name, a shape, b shape, dtype, iters, reps (as in examples/bench_matmul.rs)
    ("f64_2x2_at_2", (2, 2), (2,), torch.float64, 20000, 9),
    ("f64_32x32_at_32", (32, 32), (32,), torch.float64, 20000, 9),
    ("f32_32x32_at_32x32", (32, 32), (32, 32), torch.float32, 20000, 9),
    ("f32_64x32x32_batched", (64, 32, 32), (64, 32, 32), torch.float32, 2000, 9),
    ("f64_64x32x32_batched", (64, 32, 32), (64, 32, 32), torch.float64, 1000, 9),
    ("f32_512", (512, 512), (512, 512), torch.float32, 5, 15),
    ("f64_512", (512, 512), (512, 512), torch.float64, 5, 15),
    ("f32_2048", (2048, 2048), (2048, 2048), torch.float32, 1, 7),
    ("f64_2048", (2048, 2048), (2048, 2048), torch.float64, 1, 7),
    # The left operand a transposed view.
    ("f32_512_t_at_512", (512, 512), (512, 512), torch.float32, 5, 15),
]
for name, sa, sb, dt, iters, reps in CASES:
    a, b = mat(sa, dt), mat(sb, dt)
    if "_t_" in name:
        a = a.t()
    an, bn = a.numpy(), b.numpy()
    tt = sorted(_batches(iters, reps, lambda: torch.matmul(a, b)))
    tn = sorted(_batches(iters, reps, lambda: np.matmul(an, bn)))
    print(name, tt[reps // 2], tn[reps // 2], tt[0], tn[0], flush=True)
