//! Matrix products from tiny (`[2, 2] @ [2]`, where call overhead dominates) to large
//! (2048 x 2048), against torch (2 threads) and NumPy on the same values in the same run
//! when `python3` with both is installed (`scripts/bench_matmul.py`).
//!
//! Run with `cargo run --release --example bench_matmul`.

mod common;

use common::{median, print_table, python_times};
use tessera::prelude::*;

/// `sin` of the flat index, the same values `scripts/bench_matmul.py` builds.
fn mat(shape: &[usize], dtype: DType) -> Tensor {
    let n: usize = shape.iter().product();
    let v: Vec<f64> = (0..n).map(|i| (i as f64).sin()).collect();
    Tensor::from_vec(v, shape).to_dtype(dtype)
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
    let rows: Vec<(String, f64)> = cases
        .iter()
        .map(|&(name, sa, sb, dt, iters, reps)| {
            let (a, b) = (mat(sa, dt), mat(sb, dt));
            (name.to_string(), median(iters, reps, || drop(a.matmul(&b))))
        })
        .collect();
    let py = python_times("scripts/bench_matmul.py");
    println!(
        "tessera threads: {}, torch threads: 2, numpy: its BLAS default; medians per call",
        tessera::get_num_threads()
    );
    print_table(&rows, &py, (1e6, "us"));
}
