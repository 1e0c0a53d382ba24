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


def obs_args(p):
    """An observer partial as {"observer": class name, "args": {...}} (the dict form)."""
    import functools
    if isinstance(p, functools.partial):
        # with_args partials nest: flatten them
        kw = {}
        while isinstance(p, functools.partial):
            kw = {**p.keywords, **kw}
            p = p.func
        func = p
    elif hasattr(p, "p"):  # _PartialWrapper
        return obs_args(p.p)
    else:
        func, kw = p, {}
    out = {}
    for k, v in kw.items():
        if isinstance(v, torch.dtype):
            v = str(v)
        elif isinstance(v, torch.qscheme):
            v = str(v)
        out[k] = v
    return {"observer": func.__name__, "args": out}


def qconfig_dict(q):
    if q is None:
        return None
    return {"activation": obs_args(q.activation), "weight": obs_args(q.weight)}


def type_key(t):
    if isinstance(t, str):
        return t
    if isinstance(t, type):
        return t.__name__
    mod = getattr(t, "__module__", None) or "torch"
    return f"{mod}.{t.__name__}"


def mapping_dict(m):
    d = m.to_dict()
    return {
        "": qconfig_dict(d.get("")),
        "object_type": [[type_key(k), qconfig_dict(v)] for k, v in d["object_type"]],
        "module_name_regex": [[k, qconfig_dict(v)] for k, v in d["module_name_regex"]],
        "module_name": [[k, qconfig_dict(v)] for k, v in d["module_name"]],
        "module_name_object_type_order": [[a, type_key(b), c, qconfig_dict(v)]
                                          for a, b, c, v in d["module_name_object_type_order"]],
    }


def observer_cases():
    from torch.ao.quantization import observer as O
    cases = []

    def batches(kind):
        b = [
            (rng.normal(size=(4, 6)) * 2 + 0.5).astype(np.float32),
            (rng.normal(size=(4, 6)) * 5 - 1).astype(np.float32),
            (rng.uniform(-0.5, 0.5, size=(4, 6))).astype(np.float32),
        ]
        if kind == "constant_first":
            b[0] = np.full((4, 6), 0.75, np.float32)
        if kind == "positive":
            b = [np.abs(x) + 0.1 for x in b]
        if kind == "zero_size":
            b = [np.zeros((0, 6), np.float32)] + b[:1]
        if kind == "nan":
            b[1] = b[1].copy(); b[1][0, 0] = np.nan
        if kind == "inf":
            b[1] = b[1].copy(); b[1][0, 0] = np.inf
        if kind == "none":
            b = []
        return b

    def run(name, ctor, args, kind, spec):
        obs = ctor()
        bs = batches(kind)
        for x in bs:
            obs(torch.from_numpy(x))
        try:
            s, z = obs.calculate_qparams()
            res = {"scale": bits(s.numpy()), "zero_point": z.to(torch.int64).tolist()}
        except Exception as e:  # noqa
            res = {"error": str(e)}
        mn = getattr(obs, "min_val", torch.tensor([]))
        mx = getattr(obs, "max_val", torch.tensor([]))
        cases.append({"name": name, "spec": spec, "kind": kind,
                      "batches": [{"shape": list(x.shape), "x": bits(x)} for x in bs],
                      "min_val": bits(mn.numpy()), "max_val": bits(mx.numpy()), **res})

    for cls, per_channel in [(O.MinMaxObserver, False), (O.MovingAverageMinMaxObserver, False),
                             (O.PerChannelMinMaxObserver, True), (O.HistogramObserver, False)]:
        schemes = ([torch.per_channel_affine, torch.per_channel_symmetric] if per_channel
                   else [torch.per_tensor_affine, torch.per_tensor_symmetric])
        for dtype in [torch.quint8, torch.qint8, torch.qint32]:
            for qs in schemes:
                for rr in [False, True]:
                    if rr and dtype == torch.quint8 and qs in (torch.per_tensor_symmetric, torch.per_channel_symmetric):
                        continue
                    if cls is O.HistogramObserver and dtype == torch.qint32:
                        continue
                    kw = {"dtype": dtype, "qscheme": qs, "reduce_range": rr}
                    if cls is O.HistogramObserver:
                        kw["bins"] = 64 if rr else 2048
                    kinds = ["plain"]
                    if dtype == torch.quint8 and not rr:
                        kinds += ["positive", "zero_size", "none", "constant_first"]
                        if cls is not O.HistogramObserver:
                            kinds += ["nan"]
                        else:
                            kinds += ["inf"]
                    for kind in kinds:
                        extra = {}
                        if per_channel:
                            for axis in [0, 1, -1]:
                                kw2 = {**kw, "ch_axis": axis}
                                run(cls.__name__, lambda: cls(**kw2), kw2, kind, obs_args(cls.with_args(**kw2)))
                            continue
                        run(cls.__name__, lambda: cls(**kw, **extra), kw, kind, obs_args(cls.with_args(**kw)))
    # custom ranges, eps, averaging constant
    for cls, kw in [
        (O.MinMaxObserver, {"dtype": torch.quint8, "quant_min": 0, "quant_max": 15}),
        (O.MinMaxObserver, {"dtype": torch.qint8, "quant_min": -8, "quant_max": 7, "reduce_range": True}),
        (O.MinMaxObserver, {"dtype": torch.quint8, "qscheme": torch.per_tensor_symmetric, "quant_min": 0, "quant_max": 31}),
        (O.MinMaxObserver, {"dtype": torch.qint8, "eps": 0.5}),
        (O.MovingAverageMinMaxObserver, {"averaging_constant": 0.3, "dtype": torch.qint8}),
        (O.PerChannelMinMaxObserver, {"dtype": torch.quint8, "quant_min": 0, "quant_max": 127, "ch_axis": 1}),
        (O.HistogramObserver, {"bins": 128, "quant_min": 0, "quant_max": 63}),
    ]:
        run(cls.__name__, lambda: cls(**kw), kw, "plain", obs_args(cls.with_args(**kw)))
    write("observers.json", cases)


def fake_quant_cases():
    from torch.ao.quantization import FakeQuantize
    from torch.ao.quantization.observer import MovingAverageMinMaxObserver, MovingAveragePerChannelMinMaxObserver
    out = {"per_tensor": [], "per_channel": [], "module": []}
    for scale, zp, qmin, qmax in [(0.1, 3, 0, 255), (0.05, 0, -128, 127), (0.25, -2, -8, 7), (0.01, 128, 0, 255)]:
        x = inputs(16, scale)
        t = torch.from_numpy(x.copy()).requires_grad_(True)
        y = torch.fake_quantize_per_tensor_affine(t, scale, zp, qmin, qmax)
        y.sum().backward()
        out["per_tensor"].append({"scale": scale, "zero_point": zp, "quant_min": qmin, "quant_max": qmax,
                                  "x": bits(x), "y": bits(y.detach().numpy()), "grad": bits(t.grad.numpy())})
    for axis in [0, 1]:
        x = rng.normal(size=(3, 5)).astype(np.float32) * 3
        x[0, 0] = np.nan; x[1, 1] = np.inf
        c = x.shape[axis]
        scales = rng.uniform(0.01, 0.2, size=c).astype(np.float32)
        zps = rng.integers(0, 255, size=c).astype(np.int32)
        t = torch.from_numpy(x.copy()).requires_grad_(True)
        y = torch.fake_quantize_per_channel_affine(t, torch.from_numpy(scales), torch.from_numpy(zps), axis, 0, 255)
        y.sum().backward()
        out["per_channel"].append({"axis": axis, "scales": bits(scales), "zero_points": zps.tolist(), "shape": list(x.shape),
                                   "quant_min": 0, "quant_max": 255,
                                   "x": bits(x), "y": bits(y.detach().numpy()), "grad": bits(t.grad.numpy())})
    fq = FakeQuantize(observer=MovingAverageMinMaxObserver, quant_min=0, quant_max=255)
    steps = []
    for i in range(3):
        x = (rng.normal(size=(2, 7)) * (i + 1)).astype(np.float32)
        y = fq(torch.from_numpy(x))
        steps.append({"x": bits(x), "y": bits(y.numpy()), "scale": bits(fq.scale.numpy()),
                      "zero_point": fq.zero_point.tolist()})
    out["module"] = steps
    write("fake_quantize.json", out)


def qconfig_mapping_cases():
    import torch.nn as nn
    from torch.ao.quantization import QConfig, QConfigMapping, get_default_qconfig_mapping
    from torch.ao.quantization.observer import MinMaxObserver
    from torch.ao.quantization.fx.qconfig_mapping_utils import (
        _maybe_adjust_qconfig_for_module_type_or_name,
        _maybe_adjust_qconfig_for_module_name_object_type_order,
    )
    from torch.ao.quantization.utils import _parent_name

    q = {name: QConfig(activation=MinMaxObserver.with_args(quant_min=0, quant_max=i + 10),
                       weight=MinMaxObserver.with_args(dtype=torch.qint8, qscheme=torch.per_tensor_symmetric))
         for i, name in enumerate(["G", "T_linear", "T_relu", "R1", "R2", "N_block2", "N_head_fc2", "O1", "O2", "N_deep"])}
    m = (QConfigMapping()
         .set_global(q["G"])
         .set_object_type(nn.Linear, q["T_linear"])
         .set_object_type(nn.Conv2d, None)
         .set_object_type(nn.ReLU, q["T_relu"])
         .set_module_name_regex(r"block\d\.conv", q["R1"])
         .set_module_name_regex(r"block1", q["R2"])
         .set_module_name_regex(r"head", None)
         .set_module_name_regex(r"block1", q["R2"])  # again: keeps its place
         .set_module_name("block2", q["N_block2"])
         .set_module_name("block1.sub", None)
         .set_module_name("head.fc2", q["N_head_fc2"])
         .set_module_name("block3.inner.deep", q["N_deep"])
         .set_module_name_object_type_order("block3", nn.Linear, 1, q["O1"])
         .set_module_name_object_type_order("", nn.ReLU, 0, q["O2"])
         .set_module_name_object_type_order("block2", nn.Linear, 0, None))
    label = {id(v): k for k, v in q.items()}
    queries = [
        ("fc", nn.Linear, 0), ("relu", nn.ReLU, 0), ("relu2", nn.ReLU, 1), ("conv", nn.Conv2d, 0),
        ("pool", nn.MaxPool2d, 0), ("block1.conv", nn.Conv2d, 0), ("block1.fc", nn.Linear, 0),
        ("block1.sub", nn.Linear, 0), ("block1.sub.fc", nn.Linear, 0), ("block1x", nn.ReLU, 0),
        ("xblock1", nn.Linear, 0), ("block2.conv", nn.Conv2d, 0), ("block2.fc", nn.Linear, 0),
        ("block2.fc1", nn.Linear, 1), ("block2.relu", nn.ReLU, 0), ("block3.fc0", nn.Linear, 0),
        ("block3.fc1", nn.Linear, 1), ("block3.conv", nn.Conv2d, 0), ("block3.inner.deep.fc", nn.Linear, 0),
        ("block3.inner.deeper", nn.Linear, 0), ("head", nn.Sequential, 0), ("head.fc1", nn.Linear, 0),
        ("head.fc2", nn.Linear, 1), ("head.fc2.x", nn.ReLU, 0), ("block9.conv", nn.Conv2d, 0),
    ]
    table = []
    for name, ty, idx in queries:
        r = _maybe_adjust_qconfig_for_module_type_or_name(m, ty, name, q["G"])
        r = _maybe_adjust_qconfig_for_module_name_object_type_order(m, _parent_name(name)[0], ty, idx, r)
        table.append({"name": name, "type": ty.__name__, "index": idx,
                      "qconfig": None if r is None else label[id(r)]})
    defaults = {b: mapping_dict(get_default_qconfig_mapping(b)) for b in ["x86", "fbgemm", "qnnpack"]}
    write("qconfig_mapping.json", {"mapping": mapping_dict(m),
                                   "labels": {k: qconfig_dict(v) for k, v in q.items()},
                                   "table": table, "defaults": defaults, "fx": fx_case()})


def fx_case():
    """A model prepared by prepare_fx: the qconfig FX gives each leaf module (node_name_to_qconfig)."""
    import torch.nn as nn
    from torch.ao.quantization import QConfig, QConfigMapping
    from torch.ao.quantization.observer import MinMaxObserver
    from torch.ao.quantization.quantize_fx import prepare_fx

    class Inner(nn.Module):  # SiLU, not ReLU: Linear+ReLU would be fused
        def __init__(s):
            super().__init__()
            s.fc0 = nn.Linear(4, 4)
            s.relu = nn.SiLU()
            s.fc1 = nn.Linear(4, 4)

        def forward(s, x):
            return s.fc1(s.relu(s.fc0(x)))

    class M(nn.Module):
        def __init__(s):
            super().__init__()
            s.fc = nn.Linear(4, 4)
            s.relu = nn.SiLU()
            s.block1 = Inner()
            s.block2 = Inner()
            s.relu2 = nn.SiLU()
            s.head = Inner()

        def forward(s, x):
            return s.head(s.relu2(s.block2(s.block1(s.relu(s.fc(x))))))

    q = {n: QConfig(activation=MinMaxObserver.with_args(quant_min=0, quant_max=i + 10),
                    weight=MinMaxObserver.with_args(dtype=torch.qint8, qscheme=torch.per_tensor_symmetric))
         for i, n in enumerate("GTRNOP")}
    m = (QConfigMapping().set_global(q["G"]).set_object_type(nn.SiLU, q["T"])
         .set_module_name_regex(r"block\d\.fc", q["R"]).set_module_name("block2", q["N"])
         .set_module_name("head.relu", None)
         .set_module_name_object_type_order("block1", nn.Linear, 1, q["O"])
         .set_module_name_object_type_order("", nn.SiLU, 1, q["P"]))
    gm = prepare_fx(M().eval(), m, (torch.randn(2, 4),))
    n2q = gm.meta["_observed_graph_module_attrs"].node_name_to_qconfig
    by_qmax = {i + 10: n for i, n in enumerate("GTRNOP")}
    leaves = []
    for node in gm.graph.nodes:
        if node.op == "call_module" and not node.target.startswith("activation_post_process"):
            qc = n2q.get(node.name)
            leaves.append([node.target, None if qc is None else by_qmax[qc.activation.p.keywords["quant_max"]]])
    return {"mapping": mapping_dict(m), "labels": {k: qconfig_dict(v) for k, v in q.items()}, "leaves": leaves}


def print_cases():
    cases = []

    def add(x, q, storage=False):
        c = {"x": bits(x.numpy()), "shape": list(x.shape), "dtype": str(q.dtype), "str": str(q)}
        if q.qscheme() == torch.per_tensor_affine:
            c.update({"scale": q.q_scale(), "zero_point": q.q_zero_point()})
        else:
            c.update({"scales": q.q_per_channel_scales().tolist(), "zero_points": q.q_per_channel_zero_points().tolist(),
                      "axis": q.q_per_channel_axis()})
        c["storage_str"] = str(q.storage())
        cases.append(c)

    for shape, scale, zp, dt in [((2,), 0.1, 10, torch.quint8), ((2, 3), 0.05, -3, torch.qint8), ((), 0.1, 3, torch.qint32),
                                 ((0, 3), 0.1, 3, torch.quint8), ((0,), 1e-5, 0, torch.qint8), ((4, 5), 0.00390625, 0, torch.quint8),
                                 ((3, 2, 2), 1e-7, 7, torch.qint32), ((1200,), 0.5, 100, torch.quint8), ((2, 40), 0.01, 0, torch.qint8)]:
        x = torch.from_numpy(np.asarray(rng.normal(size=shape) * 2, dtype=np.float32))
        add(x, torch.quantize_per_tensor(x, scale, zp, dt))
    for shape, axis, dt in [((2, 3), 0, torch.qint8), ((2, 3, 2), 1, torch.quint8), ((3, 12), 1, torch.quint8)]:
        x = torch.from_numpy(np.asarray(rng.normal(size=shape) * 2, dtype=np.float32))
        c = shape[axis]
        sc = torch.from_numpy(rng.uniform(0.01, 0.5, size=c))
        zps = torch.from_numpy(rng.integers(0, 20, size=c))
        add(x, torch.quantize_per_channel(x, sc, zps, axis, dt))
    write("print.json", cases)


def pth_cases():
    x = torch.from_numpy((rng.normal(size=(3, 4)) * 2).astype(np.float32))
    a = torch.quantize_per_tensor(x, 0.05, 7, torch.quint8)
    b = torch.quantize_per_tensor(x, 0.02, -3, torch.qint8)
    c = torch.quantize_per_tensor(x, 1e-4, 12345, torch.qint32)
    d = torch.quantize_per_channel(x, torch.tensor([0.1, 0.05, 0.2], dtype=torch.float64), torch.tensor([1, 2, 3]), 0, torch.qint8)
    e = torch.quantize_per_channel(x, torch.tensor([0.1, 0.05, 0.2, 0.01], dtype=torch.float64), torch.tensor([10, 0, 255, 128]), 1, torch.quint8)
    sd = {"a": a, "b": b, "c": c, "d": d, "e": e, "a_t": a.t(), "a_row": a[1], "plain": x}
    torch.save(sd, os.path.join(OUT, "quantized.pth"))
    expect = {}
    for k, q in sd.items():
        if not q.is_quantized:
            continue
        r = {"dtype": str(q.dtype), "shape": list(q.shape), "stride": list(q.stride()), "offset": q.storage_offset(),
             "int_repr": q.int_repr().to(torch.int64).flatten().tolist(), "dq": bits(q.dequantize().numpy())}
        if q.qscheme() == torch.per_tensor_affine:
            r.update({"scale": q.q_scale(), "zero_point": q.q_zero_point()})
        else:
            r.update({"scales": q.q_per_channel_scales().tolist(), "zero_points": q.q_per_channel_zero_points().tolist(),
                      "axis": q.q_per_channel_axis()})
        expect[k] = r
    write("quantized_pth.json", expect)


if __name__ == "__main__":
    torch.manual_seed(0)
    tensor_cases()
    observer_cases()
    fake_quant_cases()
    qconfig_mapping_cases()
    print_cases()
    pth_cases()
