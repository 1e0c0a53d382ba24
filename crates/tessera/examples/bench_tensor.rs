//! Tensor-level benchmarks: small-tensor call overhead, softmax and logsumexp over
//! rows, and elementwise ops through the tensor API (threads included). When
//! `python3` with torch and numpy is available, `scripts/bench_tensor.py` times
//! the same inputs in the same run and the ratios are printed.
//!
//! Run with `cargo run --release --example bench_tensor`.

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
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[reps / 2]
}

fn python_times() -> Option<Vec<(String, f64, f64)>> {
    let out = Command::new("python3")
        .arg("scripts/bench_tensor.py")
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
                if f.len() != 3 {
                    return None;
                }
                Some((f[0].to_string(), f[1].parse().ok()?, f[2].parse().ok()?))
            })
            .collect(),
    )
}

fn main() {
    let threads = tessera::get_num_threads();
    let mut rows: Vec<(String, f64)> = Vec::new();

    let small = Tensor::linspace(-1.0, 1.0, 100);
    rows.push((
        "expm1_f32_n100_call".into(),
        time(20_000, 9, || drop(small.expm1())),
    ));

    let big32 = Tensor::linspace(-10.0, 10.0, 10_000_000);
    let big64 = Tensor::linspace_dtype(-10.0, 10.0, 10_000_000, DType::F64);
    // log1p takes [-0.9, 100], as in the kernel benchmark.
    let pos32 = Tensor::linspace(-0.9, 100.0, 10_000_000);
    let pos64 = Tensor::linspace_dtype(-0.9, 100.0, 10_000_000, DType::F64);
    type Op = fn(&Tensor) -> Tensor;
    let ops: [(&str, &str, Op); 5] = [
        ("expm1", "", Tensor::expm1),
        ("exp", "", Tensor::exp),
        ("log1p", "pos", Tensor::log1p),
        ("tanh", "", Tensor::tanh),
        ("sigmoid", "", Tensor::sigmoid),
    ];
    for (name, domain, op) in ops {
        for (dt, x) in [("f32", [&big32, &pos32]), ("f64", [&big64, &pos64])] {
            let x = if domain == "pos" { x[1] } else { x[0] };
            rows.push((format!("{name}_{dt}_1e7"), time(3, 7, || drop(op(x)))));
        }
    }

    manual_seed(0);
    let m = Tensor::randn(&[1000, 1000]);
    rows.push((
        "softmax_f32_1000x1000".into(),
        time(10, 9, || drop(m.softmax(-1))),
    ));
    rows.push((
        "log_softmax_f32_1000x1000".into(),
        time(10, 9, || drop(m.log_softmax(-1))),
    ));
    rows.push((
        "logsumexp_f32_1000x1000".into(),
        time(10, 9, || drop(m.logsumexp(-1, false))),
    ));
    let a = Tensor::randn(&[512, 512]);
    rows.push(("matmul_f32_512".into(), time(5, 7, || drop(a.matmul(&a)))));
    rows.push(("sum_f32_1e7".into(), time(5, 7, || drop(big32.sum()))));

    let py = python_times();
    println!(
        "threads: tessera {threads}, torch 2, numpy 1 (ufuncs) / 2 (BLAS matmul); every side \
         calls the out-of-place form (allocates its result); medians of the same batches"
    );
    println!(
        "{:<28} {:>12} {:>12} {:>12} {:>9} {:>9}",
        "case", "tessera", "torch", "numpy", "vs torch", "vs numpy"
    );
    for (name, t) in rows {
        let (tt, tn) = py
            .as_ref()
            .and_then(|p| p.iter().find(|r| r.0 == *name).map(|r| (r.1, r.2)))
            .unwrap_or((f64::NAN, f64::NAN));
        let fmt = |s: f64| {
            if s.is_nan() {
                "-".to_string()
            } else {
                format!("{:.3} us", s * 1e6)
            }
        };
        let ratio = |s: f64| {
            if s.is_nan() {
                "-".to_string()
            } else {
                format!("{:.2}x", s / t)
            }
        };
        println!(
            "{name:<28} {:>12} {:>12} {:>12} {:>9} {:>9}",
            fmt(t),
            fmt(tt),
            fmt(tn),
            ratio(tt),
            ratio(tn)
        );
    }
    println!("(ratios > 1 mean tessera is faster; times are medians per call)");
}
