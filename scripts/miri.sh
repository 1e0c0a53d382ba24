#!/usr/bin/env bash
# Runs Miri (nightly) over the unsafe code that safe callers reach:
#   - tessera-kernels' scalar backend (Miri reports no AVX, so dispatch picks scalar),
#     with its pointer loads/stores, the small-tail buffers and the pairwise sums;
#   - tessera-core's storage (zeroed allocation, guards), layouts, the output-buffer
#     cache, the gather/scatter paths, matmul's gemm call and the soundness regressions.
# Usage: scripts/miri.sh            (installs the nightly Miri component if missing)
# Takes a few minutes on 2 cores; not part of `cargo test --workspace`.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! cargo +nightly miri --version >/dev/null 2>&1; then
  rustup toolchain install nightly --profile minimal --component miri --component rust-src
fi
cargo +nightly miri setup

# Tree borrows checks raw-pointer use as the kernels do it; the pool's threads are
# allowed to outlive a test (rayon keeps them parked).
export MIRIFLAGS="${MIRIFLAGS:--Zmiri-tree-borrows -Zmiri-ignore-leaks}"

echo "== tessera-kernels (scalar backend)"
cargo +nightly miri test -p tessera-kernels --lib

echo "== tessera-core: storage, layout, buffers, views, gather/scatter, matmul"
# The buffer-cache test and the large matmul test need megabytes of arithmetic, hours
# under Miri; the cache's paths and gemm's are covered by `miri_paths` at small sizes.
cargo +nightly miri test -p tessera-core --lib -- \
  storage:: layout:: ops::index:: tensor::views:: ops::matmul:: \
  --skip strided_and_large_match_naive
cargo +nightly miri test -p tessera-core --test miri_paths
