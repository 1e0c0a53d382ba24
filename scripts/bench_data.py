#!/usr/bin/env python3
"""PyTorch's side of crates/tessera-data/examples/bench_data.rs: the same cases on the same
data (x.npy, y.npy in the folder given), printed as `case samples_per_second` lines.

Usage: python3 scripts/bench_data.py DIR   (the example runs it itself)
"""
import sys
import time

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, TensorDataset

BATCH = 256
SLOW_ROWS = 10_240
SLOW_COST = 50e-6


class NpyRows(Dataset):
    """Rows of memory-mapped .npy files, as tessera's NpyDataset."""

    def __init__(self, paths):
        self.paths = paths
        self.arrays = None
        self.n = np.load(paths[0], mmap_mode="r").shape[0]

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if self.arrays is None:  # opened lazily, so each worker maps the files itself
            self.arrays = [np.load(p, mmap_mode="r") for p in self.paths]
        return tuple(torch.from_numpy(np.array(a[i])) for a in self.arrays)


class Slow(Dataset):
    """Rows whose __getitem__ busy-waits 50 us."""

    def __init__(self, x, y):
        self.x, self.y = x, y

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        t = time.perf_counter()
        while time.perf_counter() - t < SLOW_COST:
            pass
        return self.x[i], self.y[i]


def rate(ds, workers, epochs):
    loader = DataLoader(ds, batch_size=BATCH, shuffle=True, num_workers=workers,
                        generator=torch.Generator().manual_seed(0))
    best = 0.0
    for _ in range(epochs):
        t = time.perf_counter()
        n = 0
        for _, y in loader:
            n += y.numel()
        best = max(best, n / (time.perf_counter() - t))
    return best


def main():
    d = sys.argv[1]
    torch.set_num_threads(2)
    x = torch.from_numpy(np.load(f"{d}/x.npy"))
    y = torch.from_numpy(np.load(f"{d}/y.npy"))
    for w in [0, 2]:
        print(f"tensor_dataset workers={w} {rate(TensorDataset(x, y), w, 3):.1f}", flush=True)
    for w in [0, 2]:
        ds = NpyRows([f"{d}/x.npy", f"{d}/y.npy"])
        print(f"npy_dataset workers={w} {rate(ds, w, 3):.1f}", flush=True)
    for w in [0, 2]:
        ds = Slow(x[:SLOW_ROWS], y[:SLOW_ROWS])
        print(f"slow_50us workers={w} {rate(ds, w, 2):.1f}", flush=True)
    print(f"# torch {torch.__version__}, numpy {np.__version__}", file=sys.stderr)


if __name__ == "__main__":
    main()
