#!/usr/bin/env python3
"""Writes crates/tessera-data/tests/data/parity.txt: PyTorch's results for the parts of
torch.utils.data that do not depend on its random stream (SequentialSampler,
BatchSampler, DistributedSampler without shuffle, the lengths random_split makes from
fractions, len(DataLoader)). The tests read the file; they never run Python.

Format, one case per line: `kind arg arg ... | output`, where output is indices
separated by spaces, batches separated by ';'.

Usage: python3 scripts/make_data_parity.py
"""
import os
import warnings

import torch
from torch.utils.data import (BatchSampler, DataLoader, SequentialSampler, TensorDataset,
                              random_split)
from torch.utils.data.distributed import DistributedSampler

OUT = os.path.join(os.path.dirname(__file__), "..", "crates", "tessera-data", "tests", "data",
                   "parity.txt")


def fmt(indices):
    return " ".join(str(int(i)) for i in indices)


def main():
    lines = [f"# made by scripts/make_data_parity.py with torch {torch.__version__}"]
    for n in [0, 1, 5, 10]:
        lines.append(f"sequential {n} | {fmt(SequentialSampler(range(n)))}")
    for n, bs, drop in [(10, 3, False), (10, 3, True), (9, 3, True), (2, 5, False), (2, 5, True),
                        (0, 2, False), (7, 1, False)]:
        batches = list(BatchSampler(SequentialSampler(range(n)), bs, drop))
        assert len(batches) == len(BatchSampler(SequentialSampler(range(n)), bs, drop))
        lines.append(f"batch {n} {bs} {int(drop)} | " + ";".join(fmt(b) for b in batches))
    for n, reps, drop in [(10, 3, False), (10, 3, True), (5, 2, False), (5, 2, True), (2, 4, False),
                          (2, 4, True), (9, 3, False), (1, 3, False), (7, 7, True), (3, 5, False)]:
        for rank in range(reps):
            s = DistributedSampler(range(n), num_replicas=reps, rank=rank, shuffle=False,
                                   drop_last=drop)
            idx = list(s)
            assert len(idx) == len(s)
            lines.append(f"distributed {n} {reps} {rank} {int(drop)} | {fmt(idx)}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zero-length splits warn
        for n, fracs in [(10, [0.33, 0.33, 0.34]), (10, [0.5, 0.25, 0.25]), (7, [0.5, 0.5]),
                         (100, [0.7, 0.2, 0.1]), (3, [0.1, 0.1, 0.8]), (5, [1.0]),
                         (11, [0.25, 0.25, 0.25, 0.25]), (2, [0.2, 0.3, 0.5]),
                         (1000, [0.333, 0.333, 0.334])]:
            parts = random_split(range(n), fracs, generator=torch.Generator().manual_seed(0))
            lines.append(f"split {n} {' '.join(repr(f) for f in fracs)} | "
                         f"{fmt(len(p) for p in parts)}")
    for n, bs, drop in [(10, 3, False), (10, 3, True), (200000, 256, False), (1, 4, True)]:
        ds = TensorDataset(torch.zeros(n, 1))
        lines.append(f"loader_len {n} {bs} {int(drop)} | {len(DataLoader(ds, bs, drop_last=drop))}")
    with open(OUT, "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"wrote {len(lines) - 1} cases to {os.path.normpath(OUT)}")


if __name__ == "__main__":
    main()
