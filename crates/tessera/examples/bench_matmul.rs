//! Matrix products from tiny (`[2, 2] @ [2]`, where call overhead dominates) to large
//! (2048 x 2048), against torch (2 threads) and NumPy on the same values in the same run
//! when `python3` with both is installed (`scripts/bench_matmul.py`). Each side times
//! `reps` batches of `iters` calls and reports the median and the best batch: the median
//! is the figure to compare, the best shows how far a run's noise (a late thread, a busy
//! core) moved it.
//!
//! Run with `cargo run --release --example bench_matmul`.
//!
//! `cargo run --release --example bench_matmul -- --self` times tessera alone on one
//! thread in thread CPU time (Linux), with the page faults per call: a figure to compare
//! tessera with itself across commits on a loaded machine, never with torch.

use std::process::Command;
use std::time::Instant;
use tessera::prelude::*;

/// `sin` of the flat index, the same values `scripts/bench_matmul.py` builds.
fn mat(shape: &[usize], dtype: DType) -> Tensor {
    let n: usize = shape.iter().product();
    let v: Vec<f64> = (0..n).map(|i| (i as f64).sin()).collect();
    Tensor::from_vec(v, shape).to_dtype(dtype)
}

/// name, a's shape, b's shape, dtype, calls per batch, batches.
type Case = (
    &'static str,
    &'static [usize],
    &'static [usize],
    DType,
    usize,
    usize,
);

const CASES: [Case; 10] = [
    ("f64_2x2_at_2", &[2, 2], &[2], DType::F64, 20_000, 9),
    ("f64_32x32_at_32", &[32, 32], &[32], DType::F64, 20_000, 9),
    (
        "f32_32x32_at_32x32",
        &[32, 32],
        &[32, 32],
        DType::F32,
        20_000,
        9,
    ),
    (
        "f32_64x32x32_batched",
        &[64, 32, 32],
        &[64, 32, 32],
        DType::F32,
        2_000,
        9,
    ),
    (
        "f64_64x32x32_batched",
        &[64, 32, 32],
        &[64, 32, 32],
        DType::F64,
        1_000,
        9,
    ),
    ("f32_512", &[512, 512], &[512, 512], DType::F32, 5, 15),
    ("f64_512", &[512, 512], &[512, 512], DType::F64, 5, 15),
    ("f32_2048", &[2048, 2048], &[2048, 2048], DType::F32, 1, 7),
    ("f64_2048", &[2048, 2048], &[2048, 2048], DType::F64, 1, 7),
    // A transposed view on the left: passed to gemm as strides, no copy.
    (
        "f32_512_t_at_512",
        &[512, 512],
        &[512, 512],
        DType::F32,
        5,
        15,
    ),
];

/// This thread's CPU time in seconds (wall time where there is no such clock).
fn thread_cpu() -> f64 {
    #[cfg(target_os = "linux")]
    {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `ts` is a valid timespec for the call to write.
        unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
        ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
    }
    #[cfg(not(target_os = "linux"))]
    {
        use std::sync::OnceLock;
        static T0: OnceLock<Instant> = OnceLock::new();
        T0.get_or_init(Instant::now).elapsed().as_secs_f64()
    }
}

/// Minor page faults of the process so far (0 where unknown).
fn page_faults() -> i64 {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: `ru` is a valid rusage for the call to write.
        let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
        unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
        ru.ru_minflt as i64
    }
    #[cfg(not(target_os = "linux"))]
    0
}

/// Per-call seconds of each of `reps` batches of `iters` calls (after one warm-up call),
/// measured by `clock`, sorted; and the page faults per call.
fn batches(
    iters: usize,
    reps: usize,
    clock: &dyn Fn() -> f64,
    mut f: impl FnMut(),
) -> (Vec<f64>, f64) {
    f();
    let faults = page_faults();
    let mut v: Vec<f64> = (0..reps)
        .map(|_| {
            let t = clock();
            for _ in 0..iters {
                f();
            }
            (clock() - t) / iters as f64
        })
        .collect();
    v.sort_by(|a, b| a.total_cmp(b));
    let faults = (page_faults() - faults) as f64 / (iters * reps) as f64;
    (v, faults)
}

fn operands(&(name, sa, sb, dt, _, _): &Case) -> (Tensor, Tensor) {
    let a = mat(sa, dt);
    let a = if name.contains("_t_") { a.t() } else { a };
    (a, mat(sb, dt))
}

/// The `case torch_median numpy_median torch_best numpy_best` lines of the Python
/// script, or `None` (with the reason on stderr) when python3, torch or NumPy is missing.
fn python_times(script: &str) -> Option<Vec<(String, [f64; 4])>> {
    let out = Command::new("python3")
        .arg(script)
        .env_remove("OPENBLAS_CORETYPE")
        .env_remove("OPENBLAS_L2_SIZE")
        .output()
        .ok()?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        eprintln!(
            "python benchmark skipped: {}",
            err.lines().last().unwrap_or("")
        );
        return None;
    }
    let rows = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f.len() == 5).then_some(())?;
            let mut t = [0.0; 4];
            for (x, s) in t.iter_mut().zip(&f[1..]) {
                *x = s.parse().ok()?;
            }
            Some((f[0].to_string(), t))
        })
        .collect();
    Some(rows)
}

fn self_comparison() {
    tessera::set_num_threads(1);
    println!("tessera alone, 1 thread, thread CPU time per call (to compare tessera with itself, not with torch)");
    println!(
        "{:<24} {:>13} {:>13} {:>12}",
        "case", "median", "best", "faults/call"
    );
    for case in &CASES {
        let (a, b) = operands(case);
        let (v, faults) = batches(case.4, case.5, &thread_cpu, || drop(a.matmul(&b)));
        println!(
            "{:<24} {:>10.3} us {:>10.3} us {:>12.1}",
            case.0,
            v[v.len() / 2] * 1e6,
            v[0] * 1e6,
            faults
        );
    }
}

fn main() {
    if std::env::args().any(|a| a == "--self") {
        return self_comparison();
    }
    let t0 = Instant::now();
    let wall = || t0.elapsed().as_secs_f64();
    let rows: Vec<(&str, f64, f64)> = CASES
        .iter()
        .map(|case| {
            let (a, b) = operands(case);
            let (v, _) = batches(case.4, case.5, &wall, || drop(a.matmul(&b)));
            (case.0, v[v.len() / 2], v[0])
        })
        .collect();
    let py = python_times("scripts/bench_matmul.py");
    println!(
        "tessera threads: {}, torch threads: 2, numpy: its BLAS default; per call, median and best of the batches",
        tessera::get_num_threads()
    );
    println!(
        "{:<22} {:>12} {:>12} {:>12} {:>12} {:>12} {:>12} {:>9} {:>9} {:>9} {:>9}",
        "case",
        "tessera med",
        "best",
        "torch med",
        "best",
        "numpy med",
        "best",
        "vs torch",
        "(best)",
        "vs numpy",
        "(best)"
    );
    let us = |s: f64| {
        if s.is_nan() {
            "-".to_string()
        } else {
            format!("{:.3} us", s * 1e6)
        }
    };
    let ratio = |other: f64, t: f64| {
        if other.is_nan() {
            "-".to_string()
        } else {
            format!("{:.2}x", other / t)
        }
    };
    for (name, med, best) in rows {
        let [tt, tn, tt_best, tn_best] = py
            .as_ref()
            .and_then(|p| p.iter().find(|r| r.0 == name).map(|r| r.1))
            .unwrap_or([f64::NAN; 4]);
        println!(
            "{name:<22} {:>12} {:>12} {:>12} {:>12} {:>12} {:>12} {:>9} {:>9} {:>9} {:>9}",
            us(med),
            us(best),
            us(tt),
            us(tt_best),
            us(tn),
            us(tn_best),
            ratio(tt, med),
            ratio(tt_best, best),
            ratio(tn, med),
            ratio(tn_best, best)
        );
    }
    println!("(ratios > 1 mean tessera is faster; '(best)' compares the best batches)");
}
