//! What the tensor-level benchmarks share: timing loops and the run of their Python
//! counterpart (torch and NumPy on the same inputs, in the same run).

#![allow(dead_code)] // each example uses some of these

use std::process::Command;
use std::time::Instant;

/// Per-call seconds of `f` over `reps` timed batches of `iters` calls, after a warm-up.
fn batches(iters: usize, reps: usize, mut f: impl FnMut()) -> Vec<f64> {
    f();
    (0..reps)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..iters {
                f();
            }
            t.elapsed().as_secs_f64() / iters as f64
        })
        .collect()
}

/// Median seconds per call (`scripts/bench_common.py`'s `median` does the same).
pub fn median(iters: usize, reps: usize, f: impl FnMut()) -> f64 {
    let mut v = batches(iters, reps, f);
    v.sort_by(|a, b| a.total_cmp(b));
    v[reps / 2]
}

/// Best seconds per call (`scripts/bench_common.py`'s `best` does the same).
pub fn best(iters: usize, reps: usize, f: impl FnMut()) -> f64 {
    batches(iters, reps, f)
        .into_iter()
        .fold(f64::INFINITY, f64::min)
}

/// The `case torch_seconds numpy_seconds` lines that `script` prints, or `None` (with
/// the reason on stderr) when python3, torch or NumPy is missing. OpenBLAS's core-type
/// overrides of this machine are dropped so NumPy runs its own kernels.
pub fn python_times(script: &str) -> Option<Vec<(String, f64, f64)>> {
    let out = Command::new("python3")
        .arg(script)
        .env_remove("OPENBLAS_CORETYPE")
        .env_remove("OPENBLAS_L2_SIZE")
        .output()
        .ok()?;
    if !out.status.success() {
        eprintln!(
            "python benchmark skipped: {}",
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .last()
                .unwrap_or("")
        );
        return None;
    }
    Some(
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| {
                let f: Vec<&str> = l.split_whitespace().collect();
                (f.len() == 3).then_some(())?;
                Some((f[0].to_string(), f[1].parse().ok()?, f[2].parse().ok()?))
            })
            .collect(),
    )
}

/// The Python side's `(case, torch seconds, NumPy seconds)`.
pub type PyTimes = Vec<(String, f64, f64)>;

/// Times both sides `sets` times in turn: tessera's cases (`rows`), then `script`'s torch
/// and NumPy figures (skipped when `script` is `None` or Python is missing), then again;
/// each case keeps each side's fastest set. The machine's load then hits every side alike
/// instead of whichever ran during a burst: on the 2-core virtual machine of BENCHMARKS.md
/// a side's median moves by 10-30% from one run to the next.
pub fn alternating(
    sets: usize,
    script: Option<&str>,
    mut rows: impl FnMut() -> Vec<(String, f64)>,
) -> (Vec<(String, f64)>, Option<PyTimes>) {
    let mut best_rows: Vec<(String, f64)> = vec![];
    let mut best_py: Option<PyTimes> = None;
    for _ in 0..sets.max(1) {
        for (name, t) in rows() {
            match best_rows.iter_mut().find(|r| r.0 == name) {
                Some(r) => r.1 = r.1.min(t),
                None => best_rows.push((name, t)),
            }
        }
        let Some(py) = script.and_then(python_times) else {
            continue;
        };
        let kept = best_py.get_or_insert_with(Vec::new);
        for (name, tt, tn) in py {
            match kept.iter_mut().find(|r| r.0 == name) {
                Some(r) => (r.1, r.2) = (r.1.min(tt), r.2.min(tn)),
                None => kept.push((name, tt, tn)),
            }
        }
    }
    (best_rows, best_py)
}

/// Prints one table row per case: tessera's time, torch's and NumPy's, and the ratios
/// (> 1: tessera is faster). `unit` scales seconds (`1e3` for ms, `1e6` for us).
/// The suffix of a row timed under `Precision::High`: it is compared with the Python
/// figures of the row without it.
#[allow(dead_code)]
pub const HIGH: &str = " [High]";

pub fn print_table(
    rows: &[(String, f64)],
    py: &Option<Vec<(String, f64, f64)>>,
    unit: (f64, &str),
) {
    println!(
        "{:<28} {:>13} {:>13} {:>13} {:>9} {:>9}",
        "case", "tessera", "torch", "numpy", "vs torch", "vs numpy"
    );
    let fmt = |s: f64| {
        if s.is_nan() {
            "-".to_string()
        } else {
            format!("{:.3} {}", s * unit.0, unit.1)
        }
    };
    let ratio = |other: f64, t: f64| {
        if other.is_nan() {
            "-".to_string()
        } else {
            format!("{:.2}x", other / t)
        }
    };
    for (name, t) in rows {
        let (tt, tn) = py
            .as_ref()
            .and_then(|p| {
                let key = name.strip_suffix(HIGH).unwrap_or(name);
                p.iter().find(|r| r.0 == key).map(|r| (r.1, r.2))
            })
            .unwrap_or((f64::NAN, f64::NAN));
        println!(
            "{name:<28} {:>13} {:>13} {:>13} {:>9} {:>9}",
            fmt(*t),
            fmt(tt),
            fmt(tn),
            ratio(tt, *t),
            ratio(tn, *t)
        );
    }
    println!("(ratios > 1 mean tessera is faster)");
}
