//! Writes the data file of the f32 hard-case test of tessera-kernels: every input listed in
//! `crates/tessera-kernels/src/simd/hard_cases.rs` with its correctly rounded result, decided
//! by MPFR (not by the list).
//!
//! ```text
//! hard_cases > crates/tessera-kernels/tests/data/hard_cases_f32.txt
//! ```
//! Run from the repository root. The result is MPFR's value at 160 bits rounded to f32; the
//! binary stops if 320 bits round otherwise (the value would be too close to a boundary to
//! trust 160 bits). The workspace test `tests/hard_cases.rs` reads the file (no MPFR there).

use rug::Float;
use tessera_accuracy::{Func, MPFR_PREC};

const TABLE: &str = "crates/tessera-kernels/src/simd/hard_cases.rs";

/// The function of a table (`LOG1P_F32` -> log1p).
fn func_of(table: &str) -> Func {
    let name = table
        .strip_suffix("_F32")
        .unwrap_or_else(|| panic!("{TABLE}: table {table} is not an f32 table"))
        .to_lowercase();
    Func::parse(&name).unwrap_or_else(|| panic!("{TABLE}: no function {name}"))
}

/// `(function, input bits)` of every entry of the tables (the lines between a
/// `pub(crate) const NAME_F32` line and its closing `];`), in file order.
fn listed_inputs(src: &str) -> Vec<(Func, u32)> {
    let mut out = Vec::new();
    let mut func = None;
    for line in src.lines().map(str::trim) {
        if let Some(rest) = line.strip_prefix("pub(crate) const ") {
            func = Some(func_of(rest.split(':').next().unwrap_or_default().trim()));
        } else if line == "];" {
            func = None;
        } else if let (Some(f), Some(entry)) = (func, line.strip_prefix('(')) {
            let hex = entry.split(',').next().unwrap_or_default().trim();
            let bits = u32::from_str_radix(hex.trim_start_matches("0x"), 16)
                .unwrap_or_else(|e| panic!("{TABLE}: bad entry {line}: {e}"));
            out.push((f, bits));
        }
    }
    out
}

fn main() {
    let src = std::fs::read_to_string(TABLE)
        .unwrap_or_else(|e| panic!("{TABLE}: {e} (run from the repository root)"));
    let cases = listed_inputs(&src);
    assert!(!cases.is_empty(), "{TABLE}: no entries found");
    println!("# f32 hard cases of tessera-kernels: function, input bits, correctly rounded result");
    println!("# bits (MPFR at {MPFR_PREC} bits, confirmed at 320), for the inputs listed in");
    println!("# src/simd/hard_cases.rs. Made by crates/tessera-accuracy/src/bin/hard_cases.rs:");
    println!("#   cargo run --release --manifest-path crates/tessera-accuracy/Cargo.toml \\");
    println!("#     --bin hard_cases > crates/tessera-kernels/tests/data/hard_cases_f32.txt");
    for (func, bits) in cases {
        let x = f32::from_bits(bits) as f64;
        let y = func.mpfr(x).to_f32();
        let wide = {
            let v = Float::with_val(320, x);
            match func {
                Func::Log1p => v.ln_1p(),
                Func::Log => v.ln(),
                other => panic!("no 320-bit reference for {}", other.name()),
            }
        };
        assert_eq!(
            wide.to_f32().to_bits(),
            y.to_bits(),
            "{}({bits:#010x}): 160 and 320 bits round differently",
            func.name()
        );
        println!("{} {bits:#010x} {:#010x}", func.name(), y.to_bits());
    }
}
