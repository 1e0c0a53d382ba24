"""PyTorch's side of crates/tessera-quantization/examples/bench_quant.rs: the same cases on
2 threads, quantized modules (engine fbgemm) and f32, printed as
`case int8_seconds f32_seconds`."""
import os
import sys
import warnings

import torch
import torch.ao.nn.quantized as nnq

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_common import median  # noqa: E402

warnings.filterwarnings("ignore")
torch.set_num_threads(2)
torch.backends.quantized.engine = "fbgemm"
torch.manual_seed(0)


def main():
    x = torch.rand(64, 1024)
    w = torch.randn(1024, 1024) * 0.03
    b = torch.randn(1024) * 0.1
    qx = torch.quantize_per_tensor(x, 1.0 / 255.0, 0, torch.quint8)
    qw = torch.quantize_per_channel(w, torch.full((1024,), 0.1 / 127.0, dtype=torch.float64),
                                    torch.zeros(1024, dtype=torch.long), 0, torch.qint8)
    ql = nnq.Linear(1024, 1024)
    ql.set_weight_bias(qw, b)
    ql.scale, ql.zero_point = 0.05, 128
    fl = torch.nn.Linear(1024, 1024)
    with torch.no_grad():
        fl.weight.copy_(w)
        fl.bias.copy_(b)
        t8 = median(20, 9, lambda: ql(qx))
        t32 = median(10, 9, lambda: fl(x))
    print(f"linear_1024_b64 {t8} {t32}")

    wc = torch.randn(64, 64, 3, 3) * 0.05
    bc = torch.randn(64) * 0.1
    qwc = torch.quantize_per_channel(wc, torch.full((64,), 0.2 / 127.0, dtype=torch.float64),
                                     torch.zeros(64, dtype=torch.long), 0, torch.qint8)
    qc = nnq.Conv2d(64, 64, 3, padding=1)
    qc.set_weight_bias(qwc, bc)
    qc.scale, qc.zero_point = 0.1, 128
    fc = torch.nn.Conv2d(64, 64, 3, padding=1)
    with torch.no_grad():
        fc.weight.copy_(wc)
        fc.bias.copy_(bc)
    for batch, cl in [(1, False), (8, False), (8, True)]:
        x = torch.rand(batch, 64, 56, 56)
        qx = torch.quantize_per_tensor(x, 1.0 / 255.0, 0, torch.quint8)
        if cl:
            qx = qx.contiguous(memory_format=torch.channels_last)
        iters, reps = (10, 9) if batch == 1 else (2, 7)
        with torch.no_grad():
            t8 = median(iters, reps, lambda: qc(qx))
            t32 = float("nan") if cl else median(iters, reps, lambda: fc(x))
        print(f"conv3x3_64_b{batch}{'_cl' if cl else ''} {t8} {t32}")

    # ResNet-18 end to end: torchvision's quantizable model fused, prepared with the
    # default fbgemm qconfig, calibrated on two random batches, converted; f32 resnet18.
    from torchvision.models import resnet18
    from torchvision.models.quantization import resnet18 as qresnet18
    f32 = resnet18().eval()
    q = qresnet18(quantize=False).eval()
    q.fuse_model()
    q.qconfig = torch.ao.quantization.get_default_qconfig("fbgemm")
    torch.ao.quantization.prepare(q, inplace=True)
    calib = torch.randn(2, 3, 224, 224)
    with torch.no_grad():
        for _ in range(2):
            q(calib)
    torch.ao.quantization.convert(q, inplace=True)
    for batch in [1, 8]:
        x = torch.randn(batch, 3, 224, 224)
        reps = 7 if batch == 1 else 3
        with torch.no_grad():
            t8 = median(1, reps, lambda: q(x))
            t32 = median(1, reps, lambda: f32(x))
        print(f"resnet18_b{batch} {t8} {t32}")


if __name__ == "__main__":
    main()
