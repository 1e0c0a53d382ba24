//! Evaluates one special function on the f64 values read from stdin (one per line) and
//! prints the results with 17 significant digits: the input side of
//! `scripts/special_accuracy.py`.
//!
//! `cargo run --release -p tessera-kernels --example special_eval -- digamma < xs.txt`
//! (functions: lgamma, digamma, polygamma1, polygamma2, polygamma3, mvlgamma3, erf,
//! erfc, erfinv; with a second argument `f32`, inputs are rounded to f32 first and
//! the f32 kernel runs).
use std::io::{BufRead, Write};
use tessera_kernels::special::*;

fn eval<T: SpecialFloat>(name: &str, x: &[T], y: &mut [T]) {
    match name {
        "lgamma" => lgamma(x, y),
        "digamma" => digamma(x, y),
        "polygamma1" => polygamma(1, x, y),
        "polygamma2" => polygamma(2, x, y),
        "polygamma3" => polygamma(3, x, y),
        "mvlgamma3" => mvlgamma(3, x, y),
        "erf" => erf(x, y),
        "erfc" => erfc(x, y),
        "erfinv" => erfinv(x, y),
        _ => panic!("unknown function {name}"),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let name = args.get(1).expect("usage: special_eval NAME [f32] < xs");
    let f32_mode = args.get(2).map(|s| s == "f32").unwrap_or(false);
    let xs: Vec<f64> = std::io::stdin()
        .lock()
        .lines()
        .map(|l| l.unwrap().trim().parse().unwrap())
        .collect();
    let out = std::io::stdout();
    let mut out = out.lock();
    if f32_mode {
        let x: Vec<f32> = xs.iter().map(|&v| v as f32).collect();
        let mut y = vec![0f32; x.len()];
        eval(name, &x, &mut y);
        for (a, b) in x.iter().zip(&y) {
            writeln!(out, "{:e} {:e}", *a as f64, *b as f64).unwrap();
        }
    } else {
        let mut y = vec![0f64; xs.len()];
        eval(name, &xs, &mut y);
        for (a, b) in xs.iter().zip(&y) {
            writeln!(out, "{a:e} {b:e}").unwrap();
        }
    }
}
