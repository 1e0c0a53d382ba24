//! Reductions, `softmax` and `log_softmax` against PyTorch (`tests/data/core_cases.txt`,
//! kinds `reduce` and `softmax`): over everything and over dims (negative dims, keepdim,
//! several dims), with NaN, ±inf, empty dims, integer inputs and ties.

mod common;

use common::{cases, compare, try_run, Case, Report};
use tessera_core::{DType, Tensor};

fn dims(c: &Case) -> Option<Vec<isize>> {
    match c.req("dims") {
        "all" => None,
        s => Some(s.split(',').map(|d| d.parse().unwrap()).collect()),
    }
}

/// The op on `x`; for `max`/`min` over a dim, the values and the indices.
fn reduce(op: &str, x: &Tensor, dims: Option<&[isize]>, keepdim: bool) -> (Tensor, Option<Tensor>) {
    let all: &[isize] = &[];
    let one = || dims.expect("one dim")[0];
    let t = match (op, dims) {
        ("sum", d) => x.sum_dim(d.unwrap_or(all), keepdim),
        ("mean", d) => x.mean_dim(d.unwrap_or(all), keepdim),
        ("prod", d) => x.prod_dim(d.unwrap_or(all), keepdim),
        ("all", d) => x.all_dim(d.unwrap_or(all), keepdim),
        ("any", d) => x.any_dim(d.unwrap_or(all), keepdim),
        ("logsumexp", d) => x.logsumexp(d.unwrap_or(all), keepdim),
        ("max", None) => x.max(),
        ("min", None) => x.min(),
        ("argmax", None) => x.argmax(),
        ("argmin", None) => x.argmin(),
        ("argmax", Some(_)) => x.argmax_dim(one(), keepdim),
        ("argmin", Some(_)) => x.argmin_dim(one(), keepdim),
        ("max", Some(_)) => {
            let (v, i) = x.max_dim(one(), keepdim);
            return (v, Some(i));
        }
        ("min", Some(_)) => {
            let (v, i) = x.min_dim(one(), keepdim);
            return (v, Some(i));
        }
        _ => panic!("unknown op {op}"),
    };
    (t, None)
}

/// The no-dim forms must agree with the all-dims forms of the same op.
fn all_forms_agree(op: &str, x: &Tensor, got: &Tensor) -> Result<(), String> {
    let plain = match op {
        "sum" => x.sum(),
        "mean" => x.mean(),
        "prod" => x.prod(),
        "all" => x.all(),
        "any" => x.any(),
        _ => return Ok(()),
    };
    compare(&plain, got, None).map_err(|e| format!("{op}() differs from {op}_dim(all): {e}"))
}

#[test]
fn reductions_match_torch() {
    let mut rep = Report::default();
    for c in cases("reduce") {
        let (op, x) = (c.req("op"), c.tensor("x"));
        let ds = dims(&c);
        let keepdim = c.req("keepdim") == "1";
        let got = try_run(|| reduce(op, &x, ds.as_deref(), keepdim));
        if x.dtype() == DType::U8 && matches!(op, "all" | "any") {
            // Deliberate: torch keeps uint8 for all/any of uint8 (a legacy quirk it
            // documents); tessera always returns Bool. Same truth values.
            let want = c.expected().unwrap().to_dtype(DType::Bool);
            rep.record(&c, got.and_then(|(v, _)| compare(&v, &want, None)));
            continue;
        }
        if x.dtype() == DType::Bool && op.starts_with("arg") && c.expected().is_none() {
            // Deliberate: torch has no argmax/argmin for bool; tessera computes them
            // (false < true), equal to those of the uint8 copy.
            let want = reduce(op, &x.to_dtype(DType::U8), ds.as_deref(), keepdim).0;
            rep.record(&c, got.and_then(|(v, _)| compare(&v, &want, None)));
            continue;
        }
        if let (Ok((v, _)), None) = (&got, &ds) {
            rep.record(&c, all_forms_agree(op, &x, v));
        }
        match (got, c.get("idx")) {
            (Ok((v, Some(i))), Some(want_i)) => {
                let want_i = common::parse_tensor(want_i);
                rep.record(
                    &c,
                    compare(&i, &want_i, None).map_err(|e| format!("indices: {e}")),
                );
                rep.check(&c, Ok(v));
            }
            (got, _) => rep.check(&c, got.map(|(v, _)| v)),
        }
    }
    rep.finish("reduce");
}

#[test]
fn reductions_of_non_contiguous_inputs_equal_contiguous_ones() {
    // The transposed 3-D input of the data file against its contiguous copy, every op and dim.
    let x = cases("reduce")
        .iter()
        .map(|c| c.tensor("x"))
        .find(|t| t.shape() == [3, 4, 5])
        .expect("3-D case");
    let p = x.permute([2, 0, 1]);
    assert!(!p.is_contiguous());
    let q = p.contiguous();
    for op in [
        "sum",
        "mean",
        "prod",
        "max",
        "min",
        "argmax",
        "argmin",
        "all",
        "any",
        "logsumexp",
    ] {
        for d in [-3isize, -2, -1, 0, 1, 2] {
            let (a, ai) = reduce(op, &p, Some(&[d]), d % 2 == 0);
            let (b, bi) = reduce(op, &q, Some(&[d]), d % 2 == 0);
            compare(&a, &b, None).unwrap_or_else(|e| panic!("{op} dim {d}: {e}"));
            if let (Some(ai), Some(bi)) = (ai, bi) {
                compare(&ai, &bi, None).unwrap_or_else(|e| panic!("{op} dim {d} indices: {e}"));
            }
        }
    }
}

fn softmax(op: &str, x: &Tensor, dim: isize) -> Tensor {
    match op {
        "softmax" => x.softmax(dim),
        "log_softmax" => x.log_softmax(dim),
        _ => panic!("unknown op {op}"),
    }
}

#[test]
fn softmax_matches_torch() {
    let mut rep = Report::default();
    for c in cases("softmax") {
        let (op, x) = (c.req("op"), c.tensor("x"));
        let dim: isize = c.num("dim");
        let got = try_run(|| softmax(op, &x, dim));
        rep.check(&c, got);
    }
    rep.finish("softmax");
}
