#!/usr/bin/env python3
"""Writes the test files of crates/tessera-io/tests/data/ with PyTorch and safetensors,
and checks the files tessera wrote by reading them back with PyTorch.

    python3 scripts/make_io_data.py            # write the files PyTorch makes
    python3 scripts/make_io_data.py --readback # read tessera's files, write what was read

The first form writes the .pth and .safetensors files (and state_dict.linear_out.txt,
the output of state_dict.pth's last Linear layer for the input arange(4)/4 - 0.5, as
hex bits of the doubles, which the hub example checks), and for each one a manifest
`<file>.txt` that tests/pth.rs reads (no Python at test time): one line per leaf of the
object, in a depth-first walk (dict keys, list and tuple indices joined with '/'):

    <path> tensor <dtype> <shape> <stride> <offset> <storage group> <requires_grad> <values>
    <path> int <decimal> | float <hex bits of the IEEE double> | str <hex of UTF-8>
    <path> bytes <hex> | bool 0/1 | none - | size <sizes> | dtype <name>
    <path> dict <n items> <ordered 0/1> | list <n> | tuple <n> | set <n>
    <path>/@<attr> ...            attributes of an OrderedDict (its _metadata)

Lists of numbers are comma-separated ('-' when empty). Tensor values are in row-major
order: floats as the hex bits of the IEEE double they equal, integers in decimal,
bools as 0/1. The storage group numbers the distinct storages of the file in order of
first use, so tensors that share a storage have the same group.

`--readback` loads tests/data/from_tessera.pth (written by tessera: tests/pth.rs
checks that tessera still writes it byte for byte) with torch.load(weights_only=True)
and from_tessera.safetensors with safetensors.torch.load_file, and writes what they
read in the same manifest form to from_tessera.pth.read.txt and
from_tessera.safetensors.read.txt, which tests/pth.rs compares with tessera's tensors.
"""

import collections
import os
import struct
import sys
import zipfile

import torch

OUT = os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "crates", "tessera-io", "tests", "data"
)


def fhex(x):
    return struct.pack(">d", float(x)).hex()


def nums(v):
    return ",".join(str(int(x)) for x in v) if len(v) else "-"


def tensor_values(t):
    flat = t.detach().reshape(-1)
    if t.dtype.is_floating_point:
        vals = [fhex(x) for x in flat.double().tolist()]
    elif t.dtype == torch.bool:
        vals = [str(int(x)) for x in flat.tolist()]
    else:
        vals = [str(int(x)) for x in flat.tolist()]
    return ",".join(vals) if vals else "-"


def manifest(obj):
    lines = []
    groups = {}

    def walk(path, o):
        if isinstance(o, torch.Tensor):
            ptr = o.untyped_storage().data_ptr()
            key = (ptr, o.untyped_storage().nbytes())
            g = groups.setdefault(key, len(groups))
            lines.append(
                f"{path} tensor {str(o.dtype).replace('torch.', '')} {nums(o.shape)} "
                f"{nums(o.stride())} {o.storage_offset()} {g} {int(o.requires_grad)} "
                f"{tensor_values(o)}"
            )
        elif isinstance(o, torch.Size):
            lines.append(f"{path} size {nums(o)}")
        elif isinstance(o, dict):
            lines.append(f"{path} dict {len(o)} {int(isinstance(o, collections.OrderedDict))}")
            for k, v in o.items():
                walk(f"{path}/{k}", v)
            meta = getattr(o, "_metadata", None)
            if meta is not None:
                walk(f"{path}/@_metadata", meta)
        elif isinstance(o, list):
            lines.append(f"{path} list {len(o)}")
            for i, v in enumerate(o):
                walk(f"{path}/{i}", v)
        elif isinstance(o, tuple):
            lines.append(f"{path} tuple {len(o)}")
            for i, v in enumerate(o):
                walk(f"{path}/{i}", v)
        elif isinstance(o, (set, frozenset)):
            lines.append(f"{path} set {len(o)}")
        elif isinstance(o, bool):
            lines.append(f"{path} bool {int(o)}")
        elif isinstance(o, int):
            lines.append(f"{path} int {o}")
        elif isinstance(o, float):
            lines.append(f"{path} float {fhex(o)}")
        elif isinstance(o, str):
            lines.append(f"{path} str {o.encode().hex() or '-'}")
        elif isinstance(o, bytes):
            lines.append(f"{path} bytes {o.hex() or '-'}")
        elif o is None:
            lines.append(f"{path} none -")
        elif isinstance(o, torch.dtype):
            lines.append(f"{path} dtype {str(o).replace('torch.', '')}")
        else:
            raise TypeError(type(o))

    walk("", obj)
    return "\n".join(lines) + "\n"


def write_manifest(name, obj):
    with open(os.path.join(OUT, name + ".txt"), "w") as f:
        f.write(manifest(obj))


def dtypes_obj():
    g = torch.Generator().manual_seed(0)
    specials = [0.0, -0.0, 1.0, -2.5, float("nan"), float("inf"), float("-inf"), 1e-30, 65504.0]
    d = collections.OrderedDict()
    d["bool"] = torch.tensor([True, False, True])
    d["uint8"] = torch.tensor([0, 1, 255], dtype=torch.uint8)
    d["int8"] = torch.tensor([-128, 0, 127], dtype=torch.int8)
    d["int16"] = torch.tensor([-32768, 7, 32767], dtype=torch.int16)
    d["uint16"] = torch.tensor([0, 1, 65535], dtype=torch.uint16)
    d["int32"] = torch.tensor([-(2**31), 5, 2**31 - 1], dtype=torch.int32)
    d["uint32"] = torch.tensor([0, 2**32 - 1], dtype=torch.uint32)
    d["int64"] = torch.tensor([-(2**63), -1, 2**63 - 1], dtype=torch.int64)
    d["float16"] = torch.tensor(specials + [6e-8], dtype=torch.float16)
    d["bfloat16"] = torch.tensor(specials[:-1] + [3e38], dtype=torch.bfloat16)
    d["float32"] = torch.tensor(specials + [1e-45, 3.4e38], dtype=torch.float32)
    d["float64"] = torch.tensor(specials + [5e-324, 1.7e308], dtype=torch.float64)
    d["randn"] = torch.randn(3, 4, generator=g)
    d["scalar"] = torch.tensor(2.5, dtype=torch.float64)
    d["empty"] = torch.zeros(0, 3)
    return d


def views_obj():
    base = torch.arange(24, dtype=torch.float32).reshape(4, 6)
    return {
        "base": base,
        "t": base.t(),
        "narrow": base[1:3, 2:5],
        "strided": base[::2, ::3],
        "row": base[2],
        "expand": torch.tensor([1.0, 2.0, 3.0]).expand(2, 3),
        "other": torch.arange(5, dtype=torch.int64)[1:],
        "empty_view": base[:, 6:],
    }


def nested_obj():
    p = torch.nn.Parameter(torch.tensor([[1.0, -1.0]]))
    return {
        "epoch": 7,
        "lr": 0.125,
        "neg_big": -(2**40),
        "huge": 2**70,
        "name": "résumé ✓",
        "blob": b"\x00\xffab",
        "flags": [True, False, None],
        "pair": (1, "two", 3.0),
        "shape": torch.Size([2, 3, 4]),
        "dt": torch.float16,
        "param": p,
        "inner": {"list": [torch.ones(2, dtype=torch.int32), [torch.zeros(1)]], 3: "int key"},
        "ordered": collections.OrderedDict([("b", 1), ("a", 2)]),
        "set": {5},
    }


def state_dict_obj():
    torch.manual_seed(0)
    m = torch.nn.Sequential(
        torch.nn.Conv2d(2, 3, 3), torch.nn.BatchNorm2d(3), torch.nn.ReLU(), torch.nn.Linear(4, 2)
    )
    with torch.no_grad():
        m[1].running_mean.uniform_()
        m[1].running_var.uniform_(0.5, 2.0)
    m[1].num_batches_tracked += 3
    return m


def make():
    os.makedirs(OUT, exist_ok=True)
    files = {
        "dtypes.pth": dtypes_obj(),
        "views.pth": views_obj(),
        "nested.pth": nested_obj(),
        "state_dict.pth": state_dict_obj().state_dict(),
    }
    for name, obj in files.items():
        torch.save(obj, os.path.join(OUT, name))
        write_manifest(name, obj)
    legacy = {"views": views_obj(), "dtypes": dtypes_obj(), "sd": state_dict_obj().state_dict()}
    del legacy["dtypes"]["uint16"], legacy["dtypes"]["uint32"]  # no legacy storage types
    torch.save(legacy, os.path.join(OUT, "legacy.pth"), _use_new_zipfile_serialization=False)
    write_manifest("legacy.pth", legacy)

    # The last layer's output for a fixed input, for the hub example (load_url.rs).
    m = state_dict_obj()
    x = torch.arange(4, dtype=torch.float32) / 4 - 0.5
    with torch.no_grad():
        y = m[3](x)
    with open(os.path.join(OUT, "state_dict.linear_out.txt"), "w") as f:
        f.write(" ".join(fhex(v) for v in y.tolist()) + "\n")

    # A big-endian file: the same archive with byteorder "big" and every float32
    # storage byte-swapped (PyTorch writes the machine's order; no big-endian machine here).
    obj = {"x": torch.tensor([1.5, -2.0, 3.25]), "y": torch.tensor([[7.0, 8.0]])}
    src = os.path.join(OUT, "tmp_le.pth")
    torch.save(obj, src)
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(
        os.path.join(OUT, "big_endian.pth"), "w", zipfile.ZIP_STORED
    ) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename.endswith("/byteorder"):
                data = b"big"
            elif "/data/" in info.filename and not info.filename.endswith("serialization_id"):
                data = b"".join(data[i : i + 4][::-1] for i in range(0, len(data), 4))
            zout.writestr(info, data)
    os.remove(src)
    write_manifest("big_endian.pth", obj)

    from safetensors.torch import save_file

    st = collections.OrderedDict()
    for k, v in dtypes_obj().items():
        if k not in ("scalar",):
            st[k] = v.contiguous()
    st["scalar"] = torch.tensor(2.5, dtype=torch.float64)
    save_file(st, os.path.join(OUT, "tensors.safetensors"), metadata={"format": "pt"})
    write_manifest("tensors.safetensors", dict(sorted(st.items())))


def readback():
    obj = torch.load(os.path.join(OUT, "from_tessera.pth"), weights_only=True)
    write_manifest("from_tessera.pth.read", obj)
    from safetensors.torch import load_file

    st = load_file(os.path.join(OUT, "from_tessera.safetensors"))
    write_manifest("from_tessera.safetensors.read", dict(sorted(st.items())))


if __name__ == "__main__":
    if "--readback" in sys.argv:
        readback()
    else:
        make()
