#!/usr/bin/env python3
"""Turn the `misrounded:` lines of `exhaustive` (stderr) into a sorted Rust table of
`(input bits, correctly rounded result bits)`, for crates/tessera-kernels/src/simd/hard_cases.rs.

    exhaustive --funcs log1p --backends v4 2> log1p.err
    python3 scripts/hard_cases.py LOG1P_F32 < log1p.err
"""
import re
import sys

name = sys.argv[1]
cases = {}
for line in sys.stdin:
    m = re.search(r"x=\S+ \((0x[0-9a-f]+)\) got .* want \S+ \((0x[0-9a-f]+)\)", line)
    if m:
        cases[int(m.group(1), 16)] = int(m.group(2), 16)
print(f"pub(crate) const {name}: &[(u32, u32)] = &[")
for x in sorted(cases):
    print(f"    ({x:#010x}, {cases[x]:#010x}),")
print("];")
