//! The `out=` forms against the allocating forms, and against torch (2 threads) and
//! NumPy (1 thread) writing into preallocated outputs too (`scripts/bench_out.py`, run in
//! the same process when `python3` with both is installed). 10^7 elements; every side
//! reports its best of 7 batches of 3 calls.
//!
//! Run with `cargo run --release --example bench_out`.

mod common;

use common::{best, print_table, python_times};
use tessera::ops::{add_out, exp_out, expm1_out, mul_out, tanh_out};
use tessera::prelude::*;

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
    let py = python_times("scripts/bench_out.py");
    println!(
        "tessera threads: {}, torch threads: 2, numpy: 1 (best of 7 x 3 calls, every side)",
        tessera::get_num_threads()
    );
    print_table(&rows, &py, (1e3, "ms"));
}
