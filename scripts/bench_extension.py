"""torch.utils.cpp_extension's overheads on the cases of
crates/tessera-extension/examples/bench_extension.rs: the per-call time of a C++ op that
only allocates its output (torch::empty_like) on a 100-element float32 tensor, built-in ops
on the same tensor, and a warm load_inline (already built) in a fresh process.

Usage: python3 scripts/bench_extension.py BUILD_DIR. Prints `case seconds` per line.
Needs torch and ninja (pip install ninja); the first run compiles the extension.
"""
import os
import subprocess
import sys
import time

import torch
from torch.utils.cpp_extension import load_inline

from bench_common import median

SRC = "torch::Tensor noop_alloc(torch::Tensor x) { return torch::empty_like(x); }"


def build(build_dir):
    os.makedirs(build_dir, exist_ok=True)
    return load_inline(name="tessera_bench_noop", cpp_sources=[SRC], functions=["noop_alloc"],
                       build_directory=build_dir, verbose=False)


if len(sys.argv) > 2 and sys.argv[2] == "--child-load":
    t = time.perf_counter()
    build(sys.argv[1])
    print(time.perf_counter() - t)
    sys.exit(0)

torch.set_num_threads(1)
build_dir = sys.argv[1]
ext = build(build_dir)
x = torch.linspace(-1, 1, 100, dtype=torch.float32)
print("call_noop_f32_100", median(20000, 9, lambda: ext.noop_alloc(x)), flush=True)
print("builtin_expm1_mul_f32_100", median(20000, 9, lambda: torch.expm1(x) * 0.5), flush=True)
print("builtin_neg_f32_100", median(20000, 9, lambda: torch.neg(x)), flush=True)
loads = []
for _ in range(5):
    out = subprocess.run([sys.executable, __file__, build_dir, "--child-load"],
                         capture_output=True, text=True, check=True)
    loads.append(float(out.stdout.strip().splitlines()[-1]))
loads.sort()
print("load_warm_new_process", loads[len(loads) // 2], flush=True)
