//! Scalar-on-the-left arithmetic, `isclose`, dtype casts, `gather` and `index_select`
//! against PyTorch (`tests/data/core_cases.txt`).

mod common;

use common::{cases, parse_dtype, parse_scalar, try_run, Report};
use tessera_core::ops::binary::{Add, Div, Mul, Pow, Sub};
use tessera_core::ops::{binary, Rhs, Tolerance};
use tessera_core::{DType, Scalar, Tensor};

#[test]
fn scalar_on_the_left_matches_torch() {
    let mut rep = Report::default();
    for c in cases("rbinary") {
        let op = c.req("op");
        let run = |s: Scalar, x: &Tensor| -> Tensor {
            let (a, b) = (Rhs::Scalar(s), Rhs::from(x));
            match op {
                "add" => binary::<Add>(&a, &b),
                "sub" => binary::<Sub>(&a, &b),
                "mul" => binary::<Mul>(&a, &b),
                "div" => binary::<Div>(&a, &b),
                "pow" => binary::<Pow>(&a, &b),
                o => panic!("unknown op {o}"),
            }
        };
        let (s, x) = (parse_scalar(c.req("s")), c.tensor("x"));
        if c.expected().is_none() && op == "pow" && x.dtype() == DType::Bool {
            // Deliberate (as for bool ** bool in conformance_binary): torch has no bool pow
            // kernel; tessera computes s ** x = s or not x.
            let want = Tensor::full_dtype(x.shape(), s, DType::Bool).logical_or(&x.logical_not());
            rep.record(&c, common::compare(&run(s, &x), &want, None));
            continue;
        }
        let got = try_run(|| run(s, &x));
        // The operators give the same as the function.
        if let (Ok(y), Scalar::Float(f)) = (&got, s) {
            let via_op = match op {
                "sub" => Some(f - &x),
                "div" => Some(f / &x),
                _ => None,
            };
            if let Some(v) = via_op {
                rep.record(&c, common::compare(&v, y, None));
            }
        }
        rep.check(&c, got);
    }
    rep.finish("rbinary");
}

#[test]
fn isclose_matches_torch() {
    let mut rep = Report::default();
    for c in cases("isclose") {
        let (a, b) = (c.tensor("a"), c.tensor("b"));
        let f = |k| parse_scalar(c.req(k)).to_f64();
        let tol = Tolerance {
            rtol: f("rtol"),
            atol: f("atol"),
            equal_nan: c.req("equal_nan") == "1",
        };
        let got = try_run(|| a.isclose_with(&b, tol));
        if let Ok(g) = &got {
            let all = a.allclose_with(&b, tol);
            if all != g.all().item::<bool>() {
                rep.record(&c, Err("allclose disagrees with isclose".into()));
            }
        }
        rep.check(&c, got);
    }
    rep.finish("isclose");
}

#[test]
fn casts_match_torch() {
    let mut rep = Report::default();
    for c in cases("cast") {
        let x = c.tensor("x");
        let d = parse_dtype(c.req("dtype"));
        rep.check(&c, try_run(|| x.to_dtype(d)));
    }
    rep.finish("cast");
}

#[test]
fn gather_and_index_select_match_torch() {
    let mut rep = Report::default();
    for c in cases("gather") {
        let (x, idx) = (c.tensor("x"), c.tensor("index"));
        let dim: isize = c.num("dim");
        rep.check(&c, try_run(|| x.gather(dim, &idx)));
    }
    for c in cases("index_select") {
        let (x, idx) = (c.tensor("x"), c.tensor("index"));
        let dim: isize = c.num("dim");
        rep.check(&c, try_run(|| x.index_select(dim, &idx)));
    }
    rep.finish("gather/index_select");
}
