#!/usr/bin/env python3
"""Write a library's f32 results for every f32 input to stdout, for the accuracy tool.

    python3 scripts/dump_f32.py torch expm1 [STRIDE] | \
        crates/tessera-accuracy/target/release/exhaustive --score-stdin expm1 --label torch \
        [--stride STRIDE]

Inputs are the bit patterns 0, STRIDE, 2*STRIDE, ... below 2^32 (default STRIDE 1: all of
them, NaNs included), in order, in chunks of 2^24; outputs are
little-endian f32. torch runs with 2 threads; NumPy has no sigmoid or softplus, so the usual
idioms are measured (1/(1+exp(-x)) and logaddexp(0, x)). torch's softplus is
torch.nn.functional.softplus with its default threshold 20.
"""
import sys

import numpy as np
import torch

CHUNK = 1 << 24


def fn(lib, name):
    if lib == "torch":
        torch.set_num_threads(2)
        f = {
            "expm1": torch.expm1, "exp": torch.exp, "log1p": torch.log1p, "log": torch.log,
            "tanh": torch.tanh, "sigmoid": torch.sigmoid,
            "softplus": torch.nn.functional.softplus,
        }[name]
        return lambda x: f(torch.from_numpy(x)).numpy()
    f = {
        "expm1": np.expm1, "exp": np.exp, "log1p": np.log1p, "log": np.log, "tanh": np.tanh,
        "sigmoid": lambda x: np.float32(1) / (np.float32(1) + np.exp(-x)),
        "softplus": lambda x: np.logaddexp(np.float32(0), x),
    }[name]
    return f


def main():
    lib, name = sys.argv[1], sys.argv[2]
    stride = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    count = ((1 << 32) + stride - 1) // stride
    f = fn(lib, name)
    np.seterr(all="ignore")
    out = sys.stdout.buffer
    for start in range(0, count, CHUNK):
        i = np.arange(start, min(start + CHUNK, count), dtype=np.uint64)
        x = (i * np.uint64(stride)).astype(np.uint32).view(np.float32)
        y = np.ascontiguousarray(f(x), dtype=np.float32)
        out.write(y.astype("<f4").tobytes())
    out.flush()


if __name__ == "__main__":
    main()
