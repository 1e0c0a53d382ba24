#!/usr/bin/env python3
"""PyTorch's side of crates/tessera-io/examples/bench_io.rs.

    python3 scripts/bench_io.py make DIR   # writes DIR/resnet18.pth and .safetensors
    python3 scripts/bench_io.py time DIR   # prints `case seconds` lines

The state dict has the names and shapes of torchvision's resnet18 (11,689,512 float32
parameters and buffers plus 20 int64 `num_batches_tracked`, 46.8 MB) with random values;
it is written with torch.save and with safetensors.torch.save_file. The timings are the
best of several loads of the same files (in the page cache), one thread.
"""
import collections
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_common import best  # noqa: E402


def resnet18_state_dict():
    g = torch.Generator().manual_seed(0)
    sd = collections.OrderedDict()

    def conv(name, cin, cout, k):
        sd[f"{name}.weight"] = torch.randn(cout, cin, k, k, generator=g) * 0.05

    def bn(name, c):
        sd[f"{name}.weight"] = torch.rand(c, generator=g)
        sd[f"{name}.bias"] = torch.randn(c, generator=g) * 0.1
        sd[f"{name}.running_mean"] = torch.randn(c, generator=g) * 0.1
        sd[f"{name}.running_var"] = torch.rand(c, generator=g) + 0.5
        sd[f"{name}.num_batches_tracked"] = torch.tensor(0)

    conv("conv1", 3, 64, 7)
    bn("bn1", 64)
    cin = 64
    for layer, cout in enumerate([64, 128, 256, 512], start=1):
        for block in range(2):
            p = f"layer{layer}.{block}"
            first_in = cin if block == 0 else cout
            conv(f"{p}.conv1", first_in, cout, 3)
            bn(f"{p}.bn1", cout)
            conv(f"{p}.conv2", cout, cout, 3)
            bn(f"{p}.bn2", cout)
            if block == 0 and first_in != cout:
                conv(f"{p}.downsample.0", first_in, cout, 1)
                bn(f"{p}.downsample.1", cout)
        cin = cout
    sd["fc.weight"] = torch.randn(1000, 512, generator=g) * 0.02
    sd["fc.bias"] = torch.zeros(1000)
    return sd


def main():
    cmd, d = sys.argv[1], sys.argv[2]
    pth, st = os.path.join(d, "resnet18.pth"), os.path.join(d, "resnet18.safetensors")
    if cmd == "make":
        sd = resnet18_state_dict()
        torch.save(sd, pth)
        from safetensors.torch import save_file

        save_file(sd, st)
        n = sum(t.numel() for t in sd.values())
        print(f"tensors {len(sd)} elements {n} bytes {os.path.getsize(pth)}")
        return
    torch.set_num_threads(1)
    from safetensors.torch import load_file, save_file

    sd = torch.load(pth, weights_only=True)
    cases = {
        "load_pth": lambda: torch.load(pth, weights_only=True),
        "load_pth_mmap": lambda: torch.load(pth, weights_only=True, mmap=True),
        "load_safetensors": lambda: load_file(st),
        "save_pth": lambda: torch.save(sd, os.path.join(d, "py_out.pth")),
        "save_safetensors": lambda: save_file(sd, os.path.join(d, "py_out.safetensors")),
    }
    for name, f in cases.items():
        print(f"{name} {best(1, 10, f):.6e}")


if __name__ == "__main__":
    main()
