"""Writes the PyTorch reference data for tessera-quantization's tests.

Run from the repository root: python3 scripts/make_quant_data.py
Writes crates/tessera-quantization/tests/data/*.json (f32 values as their bit patterns,
so the comparisons are bit for bit). Made with torch 2.15 on x86 (fbgemm/x86 engine).
"""
import json
import os
import warnings

import numpy as np
import torch

warnings.filterwarnings("ignore")
OUT = os.path.join(os.path.dirname(__file__), "..", "crates", "tessera-quantization", "tests", "data")
os.makedirs(OUT, exist_ok=True)
rng = np.random.default_rng(15)
QDT = {"quint8": torch.quint8, "qint8": torch.qint8, "qint32": torch.qint32}
RANGE = {"quint8": (0, 255), "qint8": (-128, 127), "qint32": (-(2**31), 2**31 - 1)}


def bits(a):
    return np.ascontiguousarray(np.asarray(a, dtype=np.float32)).view(np.uint32).ravel().tolist()


def inputs(n, scale):
    """Values on and next to the .5 boundaries, saturating values, NaN and infinities."""
    k = rng.integers(-400, 400, size=n)
    half = ((k + 0.5) * scale).astype(np.float32)
    x = np.concatenate([
        half,
        np.nextafter(half, np.float32(np.inf)),
        np.nextafter(half, np.float32(-np.inf)),
        (rng.normal(size=n) * 200 * scale).astype(np.float32),
        np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1e30, -1e30, 3e9, -3e9], dtype=np.float32),
    ])
    return x.astype(np.float32)


def write(name, obj):
    with open(os.path.join(OUT, name), "w") as f:
        json.dump(obj, f)


def tensor_cases():
    per_tensor, per_channel, dequant, cat = [], [], [], []
    for i in range(12):
        scale = float(rng.uniform(1e-3, 0.5)) if i % 3 else float(rng.integers(1, 100)) * 1e-2
        for name, dt in QDT.items():
            lo, hi = RANGE[name]
            zp = int(rng.integers(lo, hi + 1)) if name != "qint32" else int(rng.integers(-5000, 5000))
            x = inputs(24, scale)
            q = torch.quantize_per_tensor(torch.from_numpy(x), scale, zp, dt)
            per_tensor.append({"dtype": name, "scale": scale, "zero_point": zp, "shape": [len(x)],
                               "x": bits(x), "q": q.int_repr().numpy().astype(np.int64).tolist(),
                               "dq": bits(q.dequantize().numpy())})
    # the FBGEMM example on the .5 boundary, and large qint32 values rounded in f32
    for x, scale, zp, name in [([0.273939937], 0.00214854861, 0, "quint8"),
                               ([16777217.0, 1e9, 2147483520.0, 2147483647.0], 1.0, 3, "qint32"),
                               ([16777217.0, 1e9], 1.0, -3, "qint32")]:
        x = np.array(x, dtype=np.float32)
        q = torch.quantize_per_tensor(torch.from_numpy(x), scale, zp, QDT[name])
        per_tensor.append({"dtype": name, "scale": scale, "zero_point": zp, "shape": [len(x)],
                           "x": bits(x), "q": q.int_repr().numpy().astype(np.int64).tolist(),
                           "dq": bits(q.dequantize().numpy())})
    for shape, axis in [((4, 30), 0), ((3, 5, 7), 1), ((2, 3, 4, 6), 3), ((5, 2, 9), 2), ((6,), 0), ((2, 0, 3), 2)]:
        for name, dt in QDT.items():
            lo, hi = RANGE[name]
            c = shape[axis]
            scales = rng.uniform(1e-3, 0.3, size=c)
            zps = rng.integers(lo, hi + 1, size=c) if name != "qint32" else rng.integers(-5000, 5000, size=c)
            n = int(np.prod(shape))
            x = rng.permutation(np.resize(inputs(n, 0.05), n)).astype(np.float32).reshape(shape)
            q = torch.quantize_per_channel(torch.from_numpy(x), torch.from_numpy(scales),
                                           torch.from_numpy(zps.astype(np.int64)), axis, dt)
            per_channel.append({"dtype": name, "scales": scales.tolist(), "zero_points": zps.astype(np.int64).tolist(),
                                "axis": axis, "shape": list(shape), "x": bits(x),
                                "q": q.int_repr().numpy().astype(np.int64).ravel().tolist(),
                                "dq": bits(q.dequantize().numpy())})
    # dequantize of every integer value / random large qint32 values
    for name, dt in QDT.items():
        lo, hi = RANGE[name]
        if name == "qint32":
            v = rng.integers(lo, hi, size=200, dtype=np.int64)
            v[:4] = [lo, hi, 0, -1]
            zp = -1234
        else:
            v = np.arange(lo, hi + 1)
            zp = int(rng.integers(lo, hi + 1))
        npt = {"quint8": np.uint8, "qint8": np.int8, "qint32": np.int32}[name]
        scale = float(rng.uniform(1e-4, 2))
        q = torch._make_per_tensor_quantized_tensor(torch.from_numpy(v.astype(npt)), scale, zp)
        dequant.append({"dtype": name, "scale": scale, "zero_point": zp, "q": v.tolist(),
                        "dq": bits(q.dequantize().numpy())})
    # cat: same parameters copy, other parameters requantize to the first's
    for name, dt in [("quint8", torch.quint8), ("qint8", torch.qint8)]:
        a = torch.from_numpy((rng.normal(size=(2, 5)) * 2).astype(np.float32))
        b = torch.from_numpy((rng.normal(size=(2, 3)) * 2).astype(np.float32))
        qa = torch.quantize_per_tensor(a, 0.03, 5, dt)
        qb = torch.quantize_per_tensor(b, 0.017, -3 if name == "qint8" else 9, dt)
        qc = torch.cat([qa, qb], 1)
        cat.append({"dtype": name, "a": bits(a), "b": bits(b), "a_params": [0.03, 5],
                    "b_params": [0.017, -3 if name == "qint8" else 9],
                    "q": qc.int_repr().numpy().astype(np.int64).ravel().tolist(),
                    "scale": qc.q_scale(), "zero_point": qc.q_zero_point()})
    write("tensors.json", {"per_tensor": per_tensor, "per_channel": per_channel,
                           "dequantize": dequant, "cat": cat})


if __name__ == "__main__":
    torch.manual_seed(0)
    tensor_cases()
