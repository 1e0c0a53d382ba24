"""Reference outputs of PyTorch's quantized linear and conv2d on the fbgemm engine.

Writes crates/tessera-kernels/tests/data/qgemm_cases.txt (kernel level: the quantized
inputs, weights, qparams and PyTorch's output bytes). Floats are written as f32 bit patterns
in hex, so the file is exact. Run: python3 scripts/make_qkern_data.py
"""
import os
import warnings

import numpy as np
import torch

warnings.filterwarnings("ignore")
torch.backends.quantized.engine = "fbgemm"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def f32hex(v):
    return " ".join(f"{x:08x}" for x in np.asarray(v, np.float32).reshape(-1).view(np.uint32))


def ints(v):
    return " ".join(str(int(x)) for x in np.asarray(v).reshape(-1))


def weight(rng, shape, perchan, wzp_nonzero):
    w = torch.tensor(rng.standard_normal(shape), dtype=torch.float32)
    n = shape[0]
    if perchan:
        sc = torch.tensor(rng.uniform(0.002, 0.02, n), dtype=torch.float64)
        zp = torch.tensor(rng.integers(-20, 20, n) if wzp_nonzero else np.zeros(n, np.int64))
        wq = torch.quantize_per_channel(w, sc, zp, 0, torch.qint8)
        return wq, wq.q_per_channel_scales().numpy(), wq.q_per_channel_zero_points().numpy()
    sc = float(rng.uniform(0.002, 0.03))
    zp = int(rng.integers(-20, 20)) if wzp_nonzero else 0
    wq = torch.quantize_per_tensor(w, sc, zp, torch.qint8)
    return wq, np.array([wq.q_scale()]), np.array([wq.q_zero_point()])


def act(rng, shape, spread, zp=None):
    x = torch.tensor(rng.standard_normal(shape) * spread, dtype=torch.float32)
    xs = float(rng.uniform(0.005, 0.05))
    xzp = int(rng.integers(0, 256)) if zp is None else zp
    return torch.quantize_per_tensor(x, xs, xzp, torch.quint8)


def write_case(f, name, kind, dims, xq, wq, ws, wzp, bias, osc, ozp, relu, perchan, out):
    f.write(f"case {name}\n{kind} {ints(dims)}\n")
    f.write(f"qparams {f32hex([xq.q_scale()])} {xq.q_zero_point()} {f32hex([osc])} {ozp} "
            f"{int(relu)} {int(perchan)}\n")
    f.write(f"a {ints(xq.int_repr().numpy())}\n")
    f.write(f"w {ints(wq.int_repr().numpy())}\n")
    f.write(f"wscale {f32hex(ws)}\nwzp {ints(wzp)}\n")
    f.write("bias none\n" if bias is None else f"bias {f32hex(bias.numpy())}\n")
    f.write(f"out {ints(out.int_repr().numpy())}\nend\n")


def linear_cases(f, rng):
    specs = [
        # name, m, k, n, perchan, wzp, bias scale, relu, out_scale, act spread
        ("lin_tensor_nobias", 5, 37, 19, False, False, None, False, 0.2, 2.0),
        ("lin_tensor_bias", 13, 64, 40, False, True, 1.0, False, 0.1, 2.0),
        ("lin_tensor_bias_relu", 9, 130, 33, False, True, 5.0, True, 0.15, 2.0),
        ("lin_channel_bias", 17, 100, 70, True, True, 1.0, False, 0.1, 2.0),
        ("lin_channel_relu_k1", 4, 1, 5, True, False, 0.5, True, 0.01, 2.0),
        ("lin_saturate", 8, 256, 48, False, False, 1000.0, False, 0.002, 10.0),
        ("lin_channel_saturate_relu", 8, 300, 31, True, True, 100.0, True, 0.003, 10.0),
        ("lin_big_k", 3, 1000, 12, True, False, 1e-4, False, 0.5, 3.0),
        ("lin_wide", 2, 64, 200, False, False, 2.0, False, 0.05, 1.0),
    ]
    for name, m, k, n, perchan, wz, bsc, relu, osc, spread in specs:
        xq = act(rng, (m, k), spread)
        wq, ws, wzp = weight(rng, (n, k), perchan, wz)
        bias = None if bsc is None else torch.tensor(rng.standard_normal(n) * bsc, dtype=torch.float32)
        ozp = int(rng.integers(0, 256))
        packed = torch.ops.quantized.linear_prepack(wq, bias)
        op = torch.ops.quantized.linear_relu if relu else torch.ops.quantized.linear
        out = op(xq, packed, osc, ozp)
        write_case(f, name, "linear", [m, k, n], xq, wq, ws, wzp, bias, osc, ozp, relu, perchan, out)


def conv_cases(f, rng):
    specs = [
        # name, N, C, H, W, OC, (kh, kw), stride, pad, dil, groups, perchan, wzp, bias, relu
        ("conv3x3", 2, 8, 9, 7, 16, (3, 3), 1, 1, 1, 1, False, True, 1.0, False),
        ("conv3x3_channel_relu", 1, 16, 8, 8, 40, (3, 3), 1, 1, 1, 1, True, False, 1.0, True),
        ("conv_stride2_pad2", 2, 5, 11, 10, 7, (3, 3), 2, 2, 1, 1, True, True, 0.5, False),
        ("conv_dilated", 1, 6, 12, 12, 9, (3, 3), 1, 2, 2, 1, False, False, None, False),
        ("conv_rect_kernel", 1, 4, 9, 11, 6, (1, 3), (2, 1), (0, 1), 1, 1, False, True, 1.0, True),
        ("conv_groups2", 2, 8, 7, 7, 12, (3, 3), 1, 1, 1, 2, True, False, 1.0, False),
        ("conv_groups4_stride2", 1, 16, 10, 10, 8, (3, 3), 2, 1, 1, 4, False, False, 2.0, False),
        ("conv_depthwise", 2, 8, 9, 9, 8, (3, 3), 1, 1, 1, 8, True, False, 1.0, True),
        ("conv_pointwise", 2, 24, 5, 6, 20, (1, 1), 1, 0, 1, 1, False, True, 1.0, False),
        ("conv_pointwise_groups", 1, 12, 4, 4, 6, (1, 1), 1, 0, 1, 3, True, False, None, False),
        ("conv_pointwise_stride2", 1, 8, 7, 7, 8, (1, 1), 2, 0, 1, 1, False, False, 1.0, False),
        ("conv5x5_saturate", 1, 3, 10, 10, 4, (5, 5), 1, 2, 1, 1, False, False, 50.0, False),
    ]
    for name, n, c, h, w, oc, k, s, p, d, g, perchan, wz, bsc, relu in specs:
        pair = lambda v: v if isinstance(v, tuple) else (v, v)  # noqa: E731
        s, p, d = pair(s), pair(p), pair(d)
        xq = act(rng, (n, c, h, w), 2.0)
        if g == c and g > 1:
            # fbgemm's depthwise kernel sums pairs of u8 x i8 products in saturating i16
            # (vpmaddubsw); PyTorch's fbgemm qconfigs keep activations in 7 bits
            # (reduce_range) so the sums never saturate. The cases stay in that range.
            xq = torch._make_per_tensor_quantized_tensor(
                xq.int_repr() // 2, xq.q_scale(), xq.q_zero_point() // 2)
        wq, ws, wzp = weight(rng, (oc, c // g, k[0], k[1]), perchan, wz)
        bias = None if bsc is None else torch.tensor(rng.standard_normal(oc) * bsc, dtype=torch.float32)
        osc = float(rng.uniform(0.02, 0.2)) if "saturate" not in name else 0.002
        ozp = int(rng.integers(0, 256))
        packed = torch.ops.quantized.conv2d_prepack(wq, bias, list(s), list(p), list(d), g)
        op = torch.ops.quantized.conv2d_relu if relu else torch.ops.quantized.conv2d
        out = op(xq, packed, osc, ozp)
        # NCHW in the file, as PyTorch presents them.
        write_case(f, name, "conv", [n, c, h, w, oc, k[0], k[1], s[0], s[1], p[0], p[1], d[0], d[1], g],
                   xq, wq, ws, wzp, bias, osc, ozp, relu, perchan, out.contiguous())


def main():
    rng = np.random.default_rng(15)
    path = os.path.join(ROOT, "crates/tessera-kernels/tests/data/qgemm_cases.txt")
    with open(path, "w") as f:
        f.write(f"# made by scripts/make_qkern_data.py with torch {torch.__version__}, engine fbgemm\n")
        linear_cases(f, rng)
        conv_cases(f, rng)
    print("wrote", path, os.path.getsize(path), "bytes")


if __name__ == "__main__":
    main()


# ---------------------------------------------------------------------------------------
# Module level: crates/tessera-quantization/tests/data/qmodules.json
# ---------------------------------------------------------------------------------------
import json  # noqa: E402


def bits(t):
    return np.asarray(t.detach().numpy() if torch.is_tensor(t) else t, np.float32).reshape(-1).view(np.uint32).tolist()


def qdump(q):
    d = {"shape": list(q.shape), "values": q.int_repr().contiguous().reshape(-1).tolist(),
         "channels_last": bool(q.dim() == 4 and not q.is_contiguous()
                               and q.is_contiguous(memory_format=torch.channels_last))}
    if q.qscheme() in (torch.per_tensor_affine, torch.per_tensor_symmetric):
        d.update(scale=q.q_scale(), zero_point=q.q_zero_point())
    else:
        d.update(scales=q.q_per_channel_scales().tolist(), zero_points=q.q_per_channel_zero_points().tolist())
    return d


def rand_q(rng, shape, lo=0, hi=256, cl=False):
    v = torch.tensor(rng.integers(lo, hi, shape), dtype=torch.uint8)
    q = torch._make_per_tensor_quantized_tensor(v, float(rng.uniform(0.01, 0.1)), int(rng.integers(0, 256)))
    return q.contiguous(memory_format=torch.channels_last) if cl else q


def module_cases(rng):
    import torch.ao.nn.quantized as nnq
    import torch.ao.nn.intrinsic.quantized as nniq
    out = {"linear": [], "conv": [], "relu": [], "add": [], "max_pool": [], "adaptive_avg_pool": []}
    for shape, relu, perchan in [([2, 3, 40], False, True), ([0, 40], False, False), ([5, 40], True, False)]:
        x = rand_q(rng, shape)
        m = (nniq.LinearReLU if relu else nnq.Linear)(40, 24)
        wq, _, _ = weight(rng, (24, 40), perchan, not perchan)
        b = torch.tensor(rng.standard_normal(24), dtype=torch.float32)
        m.set_weight_bias(wq, b)
        m.scale, m.zero_point = float(rng.uniform(0.05, 0.2)), int(rng.integers(0, 256))
        out["linear"].append({"x": qdump(x), "w": qdump(wq), "bias": bits(b), "relu": relu,
                              "scale": m.scale, "zero_point": m.zero_point, "y": qdump(m(x))})
    for shape, cl, relu, stride, groups in [([2, 6, 9, 8], False, False, 1, 1), ([1, 6, 7, 7], True, True, 2, 2),
                                            ([0, 6, 5, 5], False, False, 1, 1)]:
        x = rand_q(rng, shape, cl=cl)
        m = (nniq.ConvReLU2d if relu else nnq.Conv2d)(6, 10, 3, stride=stride, padding=1, groups=groups)
        wq, _, _ = weight(rng, (10, 6 // groups, 3, 3), True, False)
        b = torch.tensor(rng.standard_normal(10), dtype=torch.float32)
        m.set_weight_bias(wq, b)
        m.scale, m.zero_point = float(rng.uniform(0.05, 0.2)), int(rng.integers(0, 256))
        out["conv"].append({"x": qdump(x), "w": qdump(wq), "bias": bits(b), "relu": relu, "stride": stride,
                            "groups": groups, "scale": m.scale, "zero_point": m.zero_point, "y": qdump(m(x))})
    for cl in [False, True]:
        x = rand_q(rng, [2, 5, 4, 3], cl=cl)
        out["relu"].append({"x": qdump(x), "y": qdump(torch.relu(x))})
    for shape, cl, relu in [([3, 7], False, False), ([2, 3, 9, 11], False, True), ([2, 16, 5, 5], True, False)]:
        a, b = rand_q(rng, shape, cl=cl), rand_q(rng, shape, cl=cl)
        s, z = float(rng.uniform(0.02, 0.2)), int(rng.integers(0, 256))
        y = (torch.ops.quantized.add_relu if relu else torch.ops.quantized.add)(a, b, s, z)
        out["add"].append({"a": qdump(a), "b": qdump(b), "relu": relu, "scale": s, "zero_point": z, "y": qdump(y)})
    for shape, cl, k, s, p, ceil in [([2, 3, 9, 8], False, 2, 2, 0, False), ([1, 4, 7, 7], True, 3, 2, 1, True),
                                     ([1, 2, 6, 5], False, 3, 1, 1, False)]:
        x = rand_q(rng, shape, cl=cl)
        y = torch.nn.functional.max_pool2d(x, k, s, p, ceil_mode=ceil)
        out["max_pool"].append({"x": qdump(x), "k": k, "s": s, "p": p, "ceil": ceil, "y": qdump(y)})
    for shape, cl, osz in [([2, 5, 7, 9], False, [3, 4]), ([1, 20, 9, 7], True, [4, 3]), ([1, 1, 8, 6], False, [3, 5]),
                           ([2, 14, 7, 7], False, [1, 6]), ([1, 3, 7, 7], False, [1, 1])]:
        x = rand_q(rng, shape, cl=cl)
        y = torch.nn.functional.adaptive_avg_pool2d(x, osz)
        out["adaptive_avg_pool"].append({"x": qdump(x), "out": osz, "y": qdump(y)})
    return out


class SmallCnn(torch.nn.Module):
    """The converted-model test's network (fused conv+bn+relu, pool, conv+relu, adaptive
    pool, linear+relu, linear), between QuantStub and DeQuantStub."""

    def __init__(self):
        super().__init__()
        self.quant = torch.ao.quantization.QuantStub()
        self.conv1 = torch.nn.Conv2d(3, 8, 3, padding=1)
        self.bn1 = torch.nn.BatchNorm2d(8)
        self.relu1 = torch.nn.ReLU()
        self.pool = torch.nn.MaxPool2d(2)
        self.conv2 = torch.nn.Conv2d(8, 16, 3, padding=1)
        self.relu2 = torch.nn.ReLU()
        self.avg = torch.nn.AdaptiveAvgPool2d((2, 2))
        self.flatten = torch.nn.Flatten()
        self.fc1 = torch.nn.Linear(64, 32)
        self.relu3 = torch.nn.ReLU()
        self.fc2 = torch.nn.Linear(32, 10)
        self.dequant = torch.ao.quantization.DeQuantStub()

    def forward(self, x):
        x = self.quant(x)
        x = self.pool(self.relu1(self.bn1(self.conv1(x))))
        x = self.relu2(self.conv2(x))
        x = self.flatten(self.avg(x))
        x = self.fc2(self.relu3(self.fc1(x)))
        return self.dequant(x)


def cnn_case():
    torch.manual_seed(15)
    m = SmallCnn()
    with torch.no_grad():
        m.bn1.running_mean.uniform_(-0.5, 0.5)
        m.bn1.running_var.uniform_(0.5, 2.0)
        m.bn1.weight.uniform_(0.5, 1.5)
        m.bn1.bias.uniform_(-0.2, 0.2)
    m.eval()
    float_state = {k: {"shape": list(v.shape), "bits": bits(v.float())} for k, v in m.state_dict().items()}
    calib = [torch.randn(4, 3, 16, 16) for _ in range(3)]
    x = torch.randn(2, 3, 16, 16)
    fused = torch.ao.quantization.fuse_modules(m, [["conv1", "bn1", "relu1"], ["conv2", "relu2"], ["fc1", "relu3"]])
    fused.qconfig = torch.ao.quantization.get_default_qconfig("fbgemm")
    prepared = torch.ao.quantization.prepare(fused)
    with torch.no_grad():
        for c in calib:
            prepared(c)
    q = torch.ao.quantization.convert(prepared)
    with torch.no_grad():
        y = q(x)
    mods = {}
    for name in ["conv1", "conv2", "fc1", "fc2"]:
        mod = getattr(q, name)
        w, b = mod.weight(), mod.bias()
        mods[name] = {"w": qdump(w), "bias": bits(b), "scale": mod.scale, "zero_point": mod.zero_point}
    return {
        "float_state": float_state,
        "calib": [{"shape": list(c.shape), "bits": bits(c)} for c in calib],
        "x": {"shape": list(x.shape), "bits": bits(x)},
        "quant": {"scale": float(q.quant.scale), "zero_point": int(q.quant.zero_point)},
        "modules": mods,
        "y": {"shape": list(y.shape), "bits": bits(y)},
    }


def write_modules():
    rng = np.random.default_rng(16)
    data = module_cases(rng)
    data["cnn"] = cnn_case()
    data["torch"] = torch.__version__
    path = os.path.join(ROOT, "crates/tessera-quantization/tests/data/qmodules.json")
    with open(path, "w") as f:
        json.dump(data, f)
    print("wrote", path, os.path.getsize(path), "bytes")


if __name__ == "__main__":
    write_modules()
