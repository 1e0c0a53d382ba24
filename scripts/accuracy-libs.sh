#!/usr/bin/env bash
# Scores PyTorch and NumPy f32 results with the same tool and reference as tessera-kernels
# (the torch and numpy columns of ACCURACY.md), and tessera on the same inputs: the default
# (correctly rounded) kernels and the `High` grade (tessera_kernels::high).
# Usage: scripts/accuracy-libs.sh [STRIDE]   (default 17: every 17th f32 bit pattern,
# 252,645,136 inputs; STRIDE 1 tests all 2^32, much slower). Needs python3 with torch, numpy.
set -euo pipefail
cd "$(dirname "$0")/.."
stride=${1:-17}
cargo build --release --manifest-path crates/tessera-accuracy/Cargo.toml --bins
bin=crates/tessera-accuracy/target/release/exhaustive
for f in expm1 exp log1p log tanh sigmoid softplus; do
    "$bin" --funcs "$f" --backends best --stride "$stride"
    "$bin" --funcs "$f" --backends best --stride "$stride" --grade high 2> >(grep -v '^misrounded:' >&2)
    for lib in torch numpy; do
        env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python3 scripts/dump_f32.py "$lib" "$f" "$stride" \
            | "$bin" --score-stdin "$f" --label "$lib" --stride "$stride"
    done
done
