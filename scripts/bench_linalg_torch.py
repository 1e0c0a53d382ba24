#!/usr/bin/env python3
"""PyTorch side of crates/tessera-linalg/examples/bench_linalg.rs.

Usage: bench_linalg_torch.py DIR THREADS. Reads the raw little-endian f64 inputs the
Rust bench wrote to DIR, times the same ops with torch limited to THREADS threads
(best run after a warm-up, as the Rust side), and prints one "TIME seconds" line per op
in the bench's order.
"""
import sys
import time

import numpy as np
import torch


def load(d, name, shape):
    return torch.from_numpy(np.fromfile(f"{d}/{name}", dtype="<f8").reshape(shape).copy())


def best_time(reps, f):
    f()
    ts = []
    for _ in range(reps):
        s = time.perf_counter()
        f()
        ts.append(time.perf_counter() - s)
    ts.sort()
    return ts[0]


def main():
    d, threads = sys.argv[1], int(sys.argv[2])
    torch.set_num_threads(threads)
    small = load(d, "small.bin", (10000, 8, 8))
    big = load(d, "big.bin", (512, 512))
    rhs = load(d, "rhs.bin", (512, 512))
    expm = load(d, "expm.bin", (256, 256))
    times = [
        best_time(31, lambda: torch.linalg.inv_ex(small)),
        best_time(21, lambda: torch.linalg.inv(big)),
        best_time(21, lambda: torch.linalg.solve(big, rhs)),
        best_time(21, lambda: torch.linalg.matrix_exp(expm)),
    ]
    print(f"# torch {torch.__version__}, {torch.get_num_threads()} threads", file=sys.stderr)
    for t in times:
        print(f"TIME {t}")


if __name__ == "__main__":
    main()
