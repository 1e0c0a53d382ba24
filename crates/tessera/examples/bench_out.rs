//! The `out=` forms against the allocating forms, and against torch (2 threads) and
//! NumPy (1 thread) writing into preallocated outputs too (`scripts/bench_out.py`, run in
//! the same process when `python3` with both is installed). 10^7 elements; every side
//! reports its best of 7 batches of 3 calls.
//!
//! Run with `cargo run --release --example bench_out`.

use std::process::Command;
use std::time::Instant;
use tessera::ops::{add_out, exp_out, expm1_out, mul_out, tanh_out};
use tessera::prelude::*;

/// Best seconds per call of `f` over `reps` batches of `iters` calls.
fn best(iters: usize, reps: usize, mut f: impl FnMut()) -> f64 {
    f();
    (0..reps)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..iters {
                f();
            }
            t.elapsed().as_secs_f64() / iters as f64
        })
        .fold(f64::INFINITY, f64::min)
}

/// `case torch_seconds numpy_seconds` lines from the Python side, if it runs.
fn python_times() -> Vec<(String, f64, f64)> {
    let out = match Command::new("python3")
        .arg("scripts/bench_out.py")
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
    const N: usize = 10_000_000;
    type Alloc = fn(&Tensor) -> Tensor;
    type Out = fn(&Tensor, &mut Tensor);
    let unary: [(&str, Alloc, Out); 3] = [
        ("expm1", Tensor::expm1, expm1_out),
        ("exp", Tensor::exp, exp_out),
        ("tanh", Tensor::tanh, tanh_out),
    ];
    let mut rows: Vec<(String, f64)> = Vec::new();
    for (dt, dtype) in [("f32", DType::F32), ("f64", DType::F64)] {
        let x = Tensor::linspace_dtype(-10.0, 10.0, N, dtype);
        let y = Tensor::linspace_dtype(0.5, 2.0, N, dtype);
        let mut out = Tensor::zeros_dtype(&[N], dtype);
        for (name, alloc, into) in unary {
            rows.push((format!("{name}_{dt}"), best(3, 7, || drop(alloc(&x)))));
            rows.push((
                format!("{name}_out_{dt}"),
                best(3, 7, || into(&x, &mut out)),
            ));
        }
        rows.push((format!("add_{dt}"), best(3, 7, || drop(x.add(&y)))));
        rows.push((
            format!("add_out_{dt}"),
            best(3, 7, || add_out(&x, &y, &mut out)),
        ));
        rows.push((format!("mul_{dt}"), best(3, 7, || drop(x.mul(&y)))));
        rows.push((
            format!("mul_out_{dt}"),
            best(3, 7, || mul_out(&x, &y, &mut out)),
        ));
    }
    let py = python_times();
    println!(
        "tessera threads: {}, torch threads: 2, numpy: 1 (best of 7 x 3 calls, every side)",
        tessera::get_num_threads()
    );
    println!(
        "{:<16} {:>11} {:>11} {:>11} {:>9} {:>9}",
        "case", "tessera", "torch", "numpy", "vs torch", "vs numpy"
    );
    let ms = |s: f64| {
        if s.is_nan() {
            "-".into()
        } else {
            format!("{:.3} ms", s * 1e3)
        }
    };
    let ratio = |other: f64, t: f64| {
        if other.is_nan() {
            "-".into()
        } else {
            format!("{:.2}x", other / t)
        }
    };
    for (name, t) in &rows {
        let (tt, tn) = py
            .iter()
            .find(|r| r.0 == *name)
            .map_or((f64::NAN, f64::NAN), |r| (r.1, r.2));
        println!(
            "{name:<16} {:>11} {:>11} {:>11} {:>9} {:>9}",
            ms(*t),
            ms(tt),
            ms(tn),
            ratio(tt, *t),
            ratio(tn, *t)
        );
    }
    println!("(ratios > 1 mean tessera is faster)");
}
