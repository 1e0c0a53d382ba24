//! Matrix products from tiny (`[2, 2] @ [2]`, where call overhead dominates) to large
//! (2048 x 2048), against torch (2 threads) and NumPy on the same values in the same run
//! when `python3` with both is installed (`scripts/bench_matmul.py`).
//!
//! Run with `cargo run --release --example bench_matmul`.

use std::process::Command;
use std::time::Instant;
use tessera::prelude::*;

/// Median seconds per call of `f` over `reps` timed batches of `iters` calls.
fn time(iters: usize, reps: usize, mut f: impl FnMut()) -> f64 {
    f();
    let mut v: Vec<f64> = (0..reps)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..iters {
                f();
            }
            t.elapsed().as_secs_f64() / iters as f64
        })
        .collect();
    v.sort_by(|a, b| a.total_cmp(b));
    v[reps / 2]
}

/// `sin` of the flat index, the same values `scripts/bench_matmul.py` builds.
fn mat(shape: &[usize], dtype: DType) -> Tensor {
    let n: usize = shape.iter().product();
    let v: Vec<f64> = (0..n).map(|i| (i as f64).sin()).collect();
    Tensor::from_vec(v, shape).to_dtype(dtype)
}

/// `case torch_seconds numpy_seconds` lines from the Python side, if it runs.
fn python_times() -> Vec<(String, f64, f64)> {
    let out = match Command::new("python3")
        .arg("scripts/bench_matmul.py")
        .env_remove("OPENBLAS_CORETYPE")
        .env_remove("OPENBLAS_L2_SIZE")
        .output()
    {
        Ok(o) if o.status.success() => o,
        _ => {
            eprintln!("python benchmark skipped (needs python3 with torch and numpy)");
            return Vec::new();
        }
    };
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f.len() == 3).then_some(())?;
            Some((f[0].to_string(), f[1].parse().ok()?, f[2].parse().ok()?))
        })
        .collect()
}

fn main() {
    type Case = (
        &'static str,
        &'static [usize],
        &'static [usize],
        DType,
        usize,
        usize,
    );
    let cases: [Case; 8] = [
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
        ("f32_512", &[512, 512], &[512, 512], DType::F32, 5, 7),
        ("f64_512", &[512, 512], &[512, 512], DType::F64, 5, 7),
        ("f32_2048", &[2048, 2048], &[2048, 2048], DType::F32, 1, 5),
        ("f64_2048", &[2048, 2048], &[2048, 2048], DType::F64, 1, 5),
    ];
    let rows: Vec<(&str, f64)> = cases
        .iter()
        .map(|&(name, sa, sb, dt, iters, reps)| {
            let (a, b) = (mat(sa, dt), mat(sb, dt));
            (name, time(iters, reps, || drop(a.matmul(&b))))
        })
        .collect();
    let py = python_times();
    println!(
        "tessera threads: {}, torch threads: 2, numpy: its BLAS default",
        tessera::get_num_threads()
    );
    println!(
        "{:<24} {:>12} {:>12} {:>12} {:>9} {:>9}",
        "case", "tessera", "torch", "numpy", "vs torch", "vs numpy"
    );
    let us = |s: f64| {
        if s.is_nan() {
            "-".into()
        } else {
            format!("{:.3} us", s * 1e6)
        }
    };
    let ratio = |other: f64, t: f64| {
        if other.is_nan() {
            "-".into()
        } else {
            format!("{:.2}x", other / t)
        }
    };
    for (name, t) in rows {
        let (tt, tn) = py
            .iter()
            .find(|r| r.0 == name)
            .map_or((f64::NAN, f64::NAN), |r| (r.1, r.2));
        println!(
            "{name:<24} {:>12} {:>12} {:>12} {:>9} {:>9}",
            us(t),
            us(tt),
            us(tn),
            ratio(tt, t),
            ratio(tn, t)
        );
    }
    println!("(ratios > 1 mean tessera is faster; times are medians per call)");
}
