"""PyTorch's side of crates/tessera-models/examples/bench_nn.rs: the same cases on 2
threads, printed as `case torch_seconds nan` (no NumPy column)."""
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_common import median  # noqa: E402

torch.set_num_threads(2)
torch.manual_seed(0)


def resnet18():
    try:
        import torchvision
        return torchvision.models.resnet18()
    except ImportError:
        return None


def main():
    net = resnet18()
    if net is not None:
        net.eval()
        for b in (1, 8):
            x = torch.randn(b, 3, 224, 224)
            reps = 9 if b == 1 else 5

            def f():
                with torch.no_grad():
                    net(x)
            print(f"resnet18_b{b} {median(1, reps, f)} nan")
    x = torch.randn(8, 64, 56, 56)
    w = torch.randn(64, 64, 3, 3) * 0.05
    print(f"conv3x3_fwd {median(3, 7, lambda: F.conv2d(x, w, None, 1, 1))} nan")
    g = torch.randn(8, 64, 56, 56)
    x.requires_grad_(True)
    w.requires_grad_(True)

    def fb():
        y = F.conv2d(x, w, None, 1, 1)
        (y * g).sum().backward()
        x.grad = None
        w.grad = None
    print(f"conv3x3_fwd_bwd {median(2, 7, fb)} nan")
    cnn = torch.nn.Sequential(
        torch.nn.Conv2d(1, 8, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(8, 16, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(), torch.nn.Linear(16 * 4 * 4, 4))
    opt = torch.optim.Adam(cnn.parameters(), 1e-3)
    xb = torch.randn(64, 1, 16, 16)
    yb = torch.randint(0, 4, (64,))

    def step():
        opt.zero_grad()
        F.cross_entropy(cnn(xb), yb).backward()
        opt.step()
    print(f"cnn_train_step {median(20, 9, step)} nan")
    lin = torch.nn.Linear(1024, 1024)
    xl = torch.randn(64, 1024)

    def lf():
        with torch.no_grad():
            lin(xl)
    print(f"linear_fwd {median(20, 9, lf)} nan")
    gl = torch.randn(64, 1024)
    xl.requires_grad_(True)

    def lfb():
        (lin(xl) * gl).sum().backward()
        xl.grad = None
        lin.zero_grad()
    print(f"linear_fwd_bwd {median(10, 9, lfb)} nan")


main()
