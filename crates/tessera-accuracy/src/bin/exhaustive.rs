//! f32 accuracy of tessera-kernels over every input (or a random sample), on every backend.
//!
//! ```text
//! exhaustive [--funcs expm1,exp,...] [--backends scalar,v3,v4|best] [--sample N] [--check]
//!            [--grade highest|high]
//! exhaustive --score-stdin FUNC --label NAME [--stride K] [--check]
//! ```
//! `--stride K` tests the bit patterns 0, K, 2K, ... instead of all of them. The second form
//! scores another library: stdin holds its f32 outputs for the inputs (bit patterns
//! 0, 1, ..., 2^32 - 1, or 0, K, 2K, ... with `--stride K`) in order; see
//! `scripts/dump_f32.py`.
//!
//! Reference: glibc's f64 function widened by its error bound (2^-50 relative, 2^-47 for the
//! composed sigmoid/softplus references); MPFR decides when the two ends round differently.
//! Prints one line per function and backend; `--check` exits 1 if a documented bound fails.
//! `--grade high` measures the `High` kernels (`tessera_kernels::high`): bound 1 ULP, and
//! every special value (NaN, ±inf, ±0, the overflow and underflow thresholds) as in the
//! correctly rounded result (`special_mismatch` counts the others).

use rayon::prelude::*;
use std::io::Read;
use std::time::Instant;
use tessera_accuracy::*;
use tessera_kernels::{available_backends, with_backend, Backend};

const CHUNK: u64 = 1 << 20;

/// Which f32 inputs to test.
#[derive(Clone, Copy)]
enum Inputs {
    /// All 2^32 bit patterns.
    All,
    /// This many pseudo-random bit patterns.
    Sample(u64),
    /// Bit patterns 0, k, 2k, ... below 2^32.
    Stride(u64),
}

impl Inputs {
    fn count(self) -> u64 {
        match self {
            Inputs::All => 1 << 32,
            Inputs::Sample(n) => n,
            Inputs::Stride(k) => (1u64 << 32).div_ceil(k),
        }
    }
}

struct Args {
    funcs: Vec<Func>,
    backends: Vec<Backend>,
    sample: Inputs,
    score_stdin: Option<(Func, String)>,
    check: bool,
    high: bool,
}

fn parse_args() -> Args {
    let mut a = Args {
        funcs: Func::ALL.to_vec(),
        backends: available_backends(),
        sample: Inputs::All,
        score_stdin: None,
        check: false,
        high: false,
    };
    let mut label = String::from("other");
    let mut stdin_func = None;
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut val = || it.next().unwrap_or_else(|| panic!("{arg} needs a value"));
        match arg.as_str() {
            "--funcs" => {
                a.funcs = val()
                    .split(',')
                    .map(|n| Func::parse(n).unwrap_or_else(|| panic!("unknown function {n}")))
                    .collect()
            }
            "--backends" => {
                let v = val();
                a.backends = if v == "best" {
                    vec![*available_backends().last().expect("scalar is always there")]
                } else {
                    v.split(',')
                        .map(|n| Backend::parse(n).unwrap_or_else(|| panic!("unknown backend {n}")))
                        .collect()
                }
            }
            "--sample" => a.sample = Inputs::Sample(val().parse().expect("--sample N")),
            "--stride" => a.sample = Inputs::Stride(val().parse().expect("--stride K")),
            "--score-stdin" => {
                let n = val();
                stdin_func = Some(Func::parse(&n).unwrap_or_else(|| panic!("unknown function {n}")))
            }
            "--label" => label = val(),
            "--check" => a.check = true,
            "--grade" => {
                a.high = match val().as_str() {
                    "high" => true,
                    "highest" => false,
                    g => panic!("unknown grade {g} (highest or high)"),
                }
            }
            other => panic!("unknown argument {other}"),
        }
    }
    a.score_stdin = stdin_func.map(|f| (f, label));
    a
}

/// The inputs of chunk `c`.
fn inputs(c: u64, mode: Inputs) -> Vec<f32> {
    let len = CHUNK.min(mode.count() - c * CHUNK);
    let first = c * CHUNK;
    match mode {
        Inputs::All => (first..first + len)
            .map(|b| f32::from_bits(b as u32))
            .collect(),
        Inputs::Stride(k) => (first..first + len)
            .map(|i| f32::from_bits((i * k) as u32))
            .collect(),
        Inputs::Sample(_) => {
            let mut state = 0x5eed_0000_0000_0000u64 ^ c.wrapping_mul(0x9e37_79b9_7f4a_7c15);
            (0..len)
                .map(|_| {
                    state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
                    let mut z = state;
                    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
                    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
                    f32::from_bits((z ^ (z >> 31)) as u32)
                })
                .collect()
        }
    }
}

fn report(func: Func, label: &str, st: &Stats, secs: f64, high: bool) -> bool {
    let target = if high {
        Target::MaxUlp(1.0)
    } else {
        func.target_f32()
    };
    let ok = meets_f32(st, target);
    println!(
        "f32 {:<8} {:<8} inputs={:<10} misrounded={:<8} special_mismatch={} max_ulp={:.6} worst_x={:e} ({:#010x}) {:.1}s target={} {}",
        func.name(),
        label,
        st.tested,
        st.misrounded,
        st.special_mismatch,
        st.max_ulp,
        f32::from_bits(st.worst as u32),
        st.worst,
        secs,
        match target {
            Target::CorrectlyRounded => "correctly-rounded".to_string(),
            Target::MaxUlp(u) => format!("<={u}ulp"),
        },
        if ok { "OK" } else { "FAIL" }
    );
    ok
}

fn run_kernels(a: &Args) -> bool {
    let chunks = a.sample.count().div_ceil(CHUNK);
    let mut all_ok = true;
    for &func in &a.funcs {
        let t0 = Instant::now();
        let kernel = if a.high {
            func.kernel_f32_high()
        } else {
            func.kernel_f32()
        };
        let nb = a.backends.len();
        let stats = (0..chunks)
            .into_par_iter()
            .map(|c| {
                let x = inputs(c, a.sample);
                let refs = correct_all_f32(func, &x);
                let mut y = vec![0.0f32; x.len()];
                a.backends
                    .iter()
                    .map(|&b| {
                        with_backend(b, || kernel(&x, &mut y));
                        score_f32(&x, &refs, &y)
                    })
                    .collect::<Vec<_>>()
            })
            .reduce(
                || vec![Stats::default(); nb],
                |p, q| p.into_iter().zip(q).map(|(s, t)| s.merge(t)).collect(),
            );
        let secs = t0.elapsed().as_secs_f64();
        for (b, st) in a.backends.iter().zip(&stats) {
            let label = if a.high {
                format!("{b:?}/high")
            } else {
                format!("{b:?}")
            };
            all_ok &= report(func, &label, st, secs, a.high);
        }
    }
    all_ok
}

fn score_stdin(func: Func, label: &str, mode: Inputs) -> bool {
    let t0 = Instant::now();
    let mut stdin = std::io::stdin().lock();
    let batch = 32 * CHUNK;
    let mut total = Stats::default();
    for start in (0..mode.count()).step_by(batch as usize) {
        let n = batch.min(mode.count() - start);
        let mut bytes = vec![0u8; (n * 4) as usize];
        stdin
            .read_exact(&mut bytes)
            .expect("stdin ended before all outputs");
        let y: Vec<f32> = bytes
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        let st = y
            .par_chunks(CHUNK as usize)
            .enumerate()
            .map(|(i, ys)| {
                let x = inputs(start / CHUNK + i as u64, mode);
                score_f32(&x, &correct_all_f32(func, &x), ys)
            })
            .reduce(Stats::default, Stats::merge);
        total = total.merge(st);
    }
    report(func, label, &total, t0.elapsed().as_secs_f64(), false)
}

fn main() {
    let a = parse_args();
    let ok = match &a.score_stdin {
        Some((func, label)) => score_stdin(*func, label, a.sample),
        None => run_kernels(&a),
    };
    if a.check && !ok {
        std::process::exit(1);
    }
}
