#!/bin/sh
# Runs `bench_cpu_time` (tessera-kernels) at four stack offsets: address-space
# randomization off (`setarch -R`) and an environment variable of 0, 16, 32 or 48 bytes,
# which moves the initial stack by that much. A kernel whose hot loop stores a vector to
# the stack and reloads it runs at two speeds depending on the stack's alignment; one
# ordinary run shows only one of them (BENCHMARKS.md, section 1).
#
#   scripts/bench-stack-offsets.sh [NAME ...]      (names as for bench_cpu_time)
#
# Prints one line per function: its Gelem/s at the four offsets. Needs util-linux's
# `setarch`. Set BIN to time an already built binary instead of building one.
set -eu
cd "$(dirname "$0")/.."
if [ -z "${BIN:-}" ]; then
    CARGO_INCREMENTAL=0 cargo build --release -q -p tessera-kernels --example bench_cpu_time
    BIN=target/release/examples/bench_cpu_time
fi
tmp=$(mktemp)
for k in 0 16 32 48; do
    pad=$(printf '%*s' "$k" '' | tr ' ' a)
    PAD="$pad" setarch "$(uname -m)" -R "$BIN" "$@" | grep '^| [a-z]' | grep -v '^| function' \
        | awk -v k="$k" '{print $2, k, $4}' >>"$tmp"
done
echo "| function | offset 0 | offset 16 | offset 32 | offset 48 |"
echo "| --- | --- | --- | --- | --- |"
awk '{v[$1] = v[$1] " | " $3; if (!($1 in seen)) {seen[$1] = 1; order[n++] = $1}}
     END {for (i = 0; i < n; i++) print "| " order[i] v[order[i]] " |"}' "$tmp"
rm -f "$tmp"
