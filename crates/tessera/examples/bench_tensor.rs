//! Tensor-level benchmarks: small-tensor call overhead, softmax and logsumexp over
//! rows, and elementwise ops through the tensor API (threads included). When
//! `python3` with torch and numpy is available, `scripts/bench_tensor.py` times
//! the same inputs in the same run and the ratios are printed. Rows marked ` [High]` run
//! under `Precision::High` and are compared with the same torch and NumPy figures.
//!
//! Both sides run twice in turn (tessera, Python, tessera, Python) and each case keeps
//! each side's faster median (`common::alternating`).
//!
//! Run with `cargo run --release --example bench_tensor` (`-- --no-python` skips
//! `scripts/bench_tensor.py`).

mod common;

use common::{alternating, median as time, print_table, HIGH};
use tessera::prelude::*;
use tessera::Precision;

fn main() {
    let threads = tessera::get_num_threads();
    let no_python = std::env::args().any(|a| a == "--no-python");
    let script = (!no_python).then_some("scripts/bench_tensor.py");
    let (rows, py) = alternating(2, script, tessera_rows);
    println!("tessera threads: {threads}; medians per call, the faster of two sets per side");
    print_table(&rows, &py, (1e6, "us"));
}

/// Tessera's median seconds per call of every case.
fn tessera_rows() -> Vec<(String, f64)> {
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
    let ops: [(&str, &str, Op); 7] = [
        ("expm1", "", Tensor::expm1),
        ("exp", "", Tensor::exp),
        ("log1p", "pos", Tensor::log1p),
        ("log", "pos", Tensor::log),
        ("tanh", "", Tensor::tanh),
        ("sigmoid", "", Tensor::sigmoid),
        ("softplus", "", Tensor::softplus),
    ];
    for (name, domain, op) in ops {
        for (dt, x) in [("f32", [&big32, &pos32]), ("f64", [&big64, &pos64])] {
            let x = if domain == "pos" { x[1] } else { x[0] };
            rows.push((format!("{name}_{dt}_1e7"), time(3, 7, || drop(op(x)))));
            if dt == "f32" {
                // The same call under Precision::High (compared with the same torch and
                // NumPy figures).
                let _fast = tessera::float32_elementwise_precision(Precision::High);
                rows.push((format!("{name}_{dt}_1e7{HIGH}"), time(3, 7, || drop(op(x)))));
            }
        }
    }

    // Rows of 1000 entries: 10^6 elements, and 10^7 elements (the size the elementwise
    // rows use; torch's allocating call then gets fresh pages from the OS every call).
    manual_seed(0);
    let row_ops: [(&str, Op); 3] = [
        ("softmax", |m| m.softmax(-1)),
        ("log_softmax", |m| m.log_softmax(-1)),
        ("logsumexp", |m| m.logsumexp(-1, false)),
    ];
    for (rows_n, iters) in [(1000, 10), (10_000, 2)] {
        let m = Tensor::randn(&[rows_n, 1000]);
        for (name, op) in row_ops {
            rows.push((
                format!("{name}_f32_{rows_n}x1000"),
                time(iters, 9, || drop(op(&m))),
            ));
            let _fast = tessera::float32_elementwise_precision(Precision::High);
            rows.push((
                format!("{name}_f32_{rows_n}x1000{HIGH}"),
                time(iters, 9, || drop(op(&m))),
            ));
        }
    }
    let a = Tensor::randn(&[512, 512]);
    rows.push(("matmul_f32_512".into(), time(5, 7, || drop(a.matmul(&a)))));
    rows.push(("sum_f32_1e7".into(), time(5, 7, || drop(big32.sum()))));

    rows
}
