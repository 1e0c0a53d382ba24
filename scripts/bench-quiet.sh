#!/usr/bin/env bash
# Runs the benchmarks of BENCHMARKS.md one after another and keeps each one's output in
# $OUT (default target/bench-quiet/), with the commit and the load average before each.
# Run it on a quiet machine (no builds, no CI): PyTorch slows far more than tessera under
# load, so a loaded run overstates tessera's ratios. Builds everything first, so that no
# compilation runs during a timing.
#
#   scripts/bench-quiet.sh                # every section
#   scripts/bench-quiet.sh kernels nn     # some sections (names below)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-target/bench-quiet}
mkdir -p "$OUT"
declare -A CMD=(
  [kernels]="-p tessera-kernels --example bench_kernels"
  [tensor]="-p tessera --example bench_tensor"
  [out]="-p tessera --example bench_out"
  [matmul]="-p tessera --example bench_matmul"
  [extension]="-p tessera-extension --example bench_extension"
  [nn]="-p tessera-models --example bench_nn"
  [distributions]="-p tessera-distributions --example bench_distributions"
  [io]="-p tessera-io --example bench_io"
  [quant]="-p tessera-quantization --example bench_quant"
)
ORDER=(kernels tensor out matmul extension nn distributions io quant)
[ $# -gt 0 ] && ORDER=("$@")
for s in "${ORDER[@]}"; do
  [ -n "${CMD[$s]:-}" ] || { echo "unknown section $s (one of: ${!CMD[*]})" >&2; exit 2; }
  # shellcheck disable=SC2086
  cargo build --release ${CMD[$s]}
done
for s in "${ORDER[@]}"; do
  f="$OUT/$s.txt"
  {
    echo "# $s: cargo run --release ${CMD[$s]}"
    echo "# commit $(git rev-parse --short HEAD), $(date -u '+%Y-%m-%d %H:%M UTC'), load $(cut -d' ' -f1-3 /proc/loadavg)"
    # shellcheck disable=SC2086
    cargo run -q --release ${CMD[$s]}
  } 2>&1 | tee "$f"
done
echo "outputs in $OUT"
