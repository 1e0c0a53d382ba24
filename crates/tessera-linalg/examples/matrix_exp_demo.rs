//! The matrix exponential is not the elementwise exponential (nor `expm1`).
//!
//! ```text
//! cargo run -p tessera-linalg --example matrix_exp_demo
//! ```

use tessera_core::{tensor, DType};
use tessera_linalg::matrix_exp;

fn main() {
    let a = tensor!([[1.0, 2.0], [3.0, 4.0]], dtype = DType::F64);
    let vals = a.to_vec::<f64>();
    // Elementwise expm1 on the entries (f64::exp_m1; the tensor op lives in core).
    let em1: Vec<f64> = vals.iter().map(|x| x.exp_m1()).collect();
    let e = matrix_exp(&a).to_vec::<f64>();

    println!("A = [[1, 2], [3, 4]]\n");
    println!("{:<34}matrix_exp(A):", "expm1(A), elementwise:");
    for i in 0..2 {
        println!(
            "[{:>14.6}, {:>14.6}]    [{:>14.6}, {:>14.6}]",
            em1[2 * i],
            em1[2 * i + 1],
            e[2 * i],
            e[2 * i + 1]
        );
    }
    println!(
        "\nexpm1 maps each entry to e^x - 1 on its own; matrix_exp(A) = I + A + A^2/2! + ... \
         mixes all entries through matrix products, so they differ everywhere (even matrix_exp(A) - I \
         is not expm1(A) unless A is diagonal)."
    );
}
