"""Writes the PyTorch reference data for tessera-quantization's quantized ResNet test
(crates/tessera-quantization/tests/qresnet.rs).

Run from the repository root: python3 scripts/make_qresnet_data.py
Made with torch 2.15 / torchvision 0.29 on x86 (fbgemm engine, 1 thread).

`python3 scripts/make_qresnet_data.py --resnet18 DIR` writes the same three files for the
full torchvision quantizable resnet18 (1000 classes, 224x224 inputs, about 60 MB, not
committed) into DIR, for the ignored test `resnet18_full_size` (run it with
`TESSERA_QRESNET18_DATA=DIR cargo test --release -p tessera-quantization --test qresnet --
--ignored`).

The model is torchvision's quantizable ResNet (torchvision.models.quantization.resnet:
QuantizableResNet, QuantizableBasicBlock, fuse_model) with BasicBlocks [1, 1, 1, 1] and
narrow stages (8, 16, 32, 64 channels) so the data is small; the structure and every
state_dict key name are those of quantizable resnet18. Random weights (seed 15), batch norm
statistics from a few training-mode batches, fuse_model, prepare with
get_default_qconfig_mapping("fbgemm")'s global qconfig (HistogramObserver with
reduce_range, per-channel weights), calibration, convert. Writes to tests/data/:
- qresnet_float.pth: the float (unfused) state_dict, torchvision's keys;
- qresnet_quant.pth: the converted model's state_dict as torch.save writes it (quantized
  per-channel weights via _rebuild_qtensor, scale/zero_point, Linear's _packed_params);
- qresnet_io.pth: {"calib": calibration batches, "x": test inputs, "y": the converted
  model's output on x, "y_float": the fused float model's output, "qfc_in": the quantized
  input of fc (int repr, scale, zero point)}.
"""
import os
import sys
import warnings

import torch
import torch.nn as nn
from torchvision.models.quantization.resnet import QuantizableBasicBlock, QuantizableResNet

warnings.filterwarnings("ignore")
torch.set_num_threads(1)
torch.backends.quantized.engine = "fbgemm"
OUT = os.path.join(os.path.dirname(__file__), "..", "crates", "tessera-quantization", "tests", "data")


class SmallQuantizableResNet(QuantizableResNet):
    """QuantizableResNet with chosen stage widths (torchvision fixes 64..512)."""

    def __init__(self, layers, widths, num_classes):
        nn.Module.__init__(self)
        self._norm_layer = nn.BatchNorm2d
        self.inplanes = widths[0]
        self.dilation = 1
        self.groups = 1
        self.base_width = 64
        self.conv1 = nn.Conv2d(3, widths[0], kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(QuantizableBasicBlock, widths[0], layers[0])
        self.layer2 = self._make_layer(QuantizableBasicBlock, widths[1], layers[1], stride=2)
        self.layer3 = self._make_layer(QuantizableBasicBlock, widths[2], layers[2], stride=2)
        self.layer4 = self._make_layer(QuantizableBasicBlock, widths[3], layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(widths[3], num_classes)
        self.quant = torch.ao.quantization.QuantStub()
        self.dequant = torch.ao.quantization.DeQuantStub()


def main():
    torch.manual_seed(15)
    out, size, calib_shape, x_shape = OUT, 32, (2, 8, 3, 32, 32), (4, 3, 32, 32)
    if len(sys.argv) == 3 and sys.argv[1] == "--resnet18":
        from torchvision.models.quantization import resnet18
        out, size, calib_shape, x_shape = sys.argv[2], 224, (2, 2, 3, 224, 224), (2, 3, 224, 224)
        os.makedirs(out, exist_ok=True)
        m = resnet18(weights=None, quantize=False)
    else:
        m = SmallQuantizableResNet([1, 1, 1, 1], [8, 16, 32, 64], 10)
    for mod in m.modules():
        if isinstance(mod, nn.Conv2d):
            nn.init.kaiming_normal_(mod.weight, mode="fan_out", nonlinearity="relu")
        elif isinstance(mod, nn.BatchNorm2d):
            # Non-trivial affine parameters, so fusion is exercised.
            with torch.no_grad():
                mod.weight.uniform_(0.5, 1.5)
                mod.bias.uniform_(-0.2, 0.2)
    m.train()
    with torch.no_grad():
        for _ in range(4):
            m(torch.randn(8, 3, size, size))
    m.eval()
    torch.save(m.state_dict(), os.path.join(out, "qresnet_float.pth"))

    m.fuse_model()
    calib = torch.randn(*calib_shape)
    x = torch.randn(*x_shape)
    with torch.no_grad():
        y_float = m(x)
    m.qconfig = torch.ao.quantization.get_default_qconfig("fbgemm")
    torch.ao.quantization.prepare(m, inplace=True)
    with torch.no_grad():
        for b in calib:
            m(b)
    torch.ao.quantization.convert(m, inplace=True)
    seen = {}
    m.fc.register_forward_pre_hook(lambda mod, inp: seen.__setitem__("fc_in", inp[0]))
    with torch.no_grad():
        y = m(x)
    q = seen["fc_in"]
    torch.save(m.state_dict(), os.path.join(out, "qresnet_quant.pth"))
    torch.save({
        "calib": calib, "x": x, "y": y, "y_float": y_float,
        "qfc_in": {"int_repr": q.int_repr(), "scale": q.q_scale(), "zero_point": q.q_zero_point()},
    }, os.path.join(out, "qresnet_io.pth"))
    print(f"wrote qresnet_float.pth, qresnet_quant.pth ({len(m.state_dict())} keys), qresnet_io.pth")


if __name__ == "__main__":
    main()
