//! Unary ops and `clamp` against PyTorch (`tests/data/core_cases.txt`, kinds `unary` and
//! `clamp`), in all three call forms.

mod common;

use common::{cases, compare, parse_scalar, try_run, Report};
use tessera_core::{ops, DType, Scalar, Tensor};

fn unary(op: &str, x: &Tensor) -> Tensor {
    match op {
        "neg" => x.neg(),
        "abs" => x.abs(),
        "exp" => x.exp(),
        "expm1" => x.expm1(),
        "log" => x.log(),
        "log1p" => x.log1p(),
        "sqrt" => x.sqrt(),
        "rsqrt" => x.rsqrt(),
        "sin" => x.sin(),
        "cos" => x.cos(),
        "tanh" => x.tanh(),
        "sigmoid" => x.sigmoid(),
        "relu" => x.relu(),
        "softplus" => x.softplus(),
        "reciprocal" => x.reciprocal(),
        "square" => x.square(),
        "sign" => x.sign(),
        "floor" => x.floor(),
        "ceil" => x.ceil(),
        "round" => x.round(),
        _ => panic!("unknown op {op}"),
    }
}

fn unary_(op: &str, x: &Tensor) {
    match op {
        "neg" => x.neg_(),
        "abs" => x.abs_(),
        "exp" => x.exp_(),
        "expm1" => x.expm1_(),
        "log" => x.log_(),
        "log1p" => x.log1p_(),
        "sqrt" => x.sqrt_(),
        "rsqrt" => x.rsqrt_(),
        "sin" => x.sin_(),
        "cos" => x.cos_(),
        "tanh" => x.tanh_(),
        "sigmoid" => x.sigmoid_(),
        "relu" => x.relu_(),
        "softplus" => x.softplus_(),
        "reciprocal" => x.reciprocal_(),
        "square" => x.square_(),
        "sign" => x.sign_(),
        "floor" => x.floor_(),
        "ceil" => x.ceil_(),
        "round" => x.round_(),
        _ => panic!("unknown op {op}"),
    };
}

fn unary_out(op: &str, x: &Tensor, out: &mut Tensor) {
    let f: fn(&Tensor, &mut Tensor) = match op {
        "neg" => ops::neg_out,
        "abs" => ops::abs_out,
        "exp" => ops::exp_out,
        "expm1" => ops::expm1_out,
        "log" => ops::log_out,
        "log1p" => ops::log1p_out,
        "sqrt" => ops::sqrt_out,
        "rsqrt" => ops::rsqrt_out,
        "sin" => ops::sin_out,
        "cos" => ops::cos_out,
        "tanh" => ops::tanh_out,
        "sigmoid" => ops::sigmoid_out,
        "relu" => ops::relu_out,
        "softplus" => ops::softplus_out,
        "reciprocal" => ops::reciprocal_out,
        "square" => ops::square_out,
        "sign" => ops::sign_out,
        "floor" => ops::floor_out,
        "ceil" => ops::ceil_out,
        "round" => ops::round_out,
        _ => panic!("unknown op {op}"),
    };
    f(x, out)
}

/// Bitwise equality of two tensors of one dtype and shape (NaN payloads aside).
fn same(a: &Tensor, b: &Tensor) -> bool {
    a.dtype() == b.dtype() && a.shape() == b.shape() && compare(a, b, None).is_ok()
}

/// Cases where PyTorch raises and tessera deliberately computes a result.
fn deliberate(op: &str, dtype: DType) -> bool {
    // torch: "softplus" not implemented for integer dtypes; tessera promotes them to the
    // default float, as it does for every other float function (exp, log, sigmoid, ...).
    op == "softplus" && !dtype.is_float()
}

#[test]
fn unary_ops_match_torch() {
    let mut rep = Report::default();
    for c in cases("unary") {
        let op = c.req("op");
        let x = c.tensor("x");
        if op == "square" && x.dtype() == DType::Bool {
            // Deliberate: torch gives int64 (square is pow(x, 2)); tessera rejects bool
            // arithmetic here as it does for neg, with a message saying to cast first.
            rep.record(
                &c,
                try_run(|| x.square())
                    .map(|_| ())
                    .err()
                    .map_or(Err("square(bool) did not panic".into()), |_| Ok(())),
            );
            continue;
        }
        if c.expected().is_none() && deliberate(op, x.dtype()) {
            let y = unary(op, &x);
            rep.record(
                &c,
                if y.dtype() == DType::F32 {
                    Ok(())
                } else {
                    Err("not promoted".into())
                },
            );
            continue;
        }
        let got = try_run(|| unary(op, &x));
        // The in-place and out= forms give the same values where the dtype allows them.
        if let Ok(y) = &got {
            if y.dtype() == x.dtype() {
                let z = x.deep_clone();
                unary_(op, &z);
                let mut out = y.zeros_like();
                unary_out(op, &x, &mut out);
                if !same(&z, y) || !same(&out, y) {
                    rep.record(&c, Err(format!("{op}_ or {op}_out differs from {op}")));
                }
            }
        }
        // For the functions with an accuracy bound the data holds the exact value: tessera
        // is checked against it (deliberately not against torch's bits, which are off by up
        // to 27 ULPs for sigmoid of large negatives and ~3.5e5 ULPs for softplus above 20),
        // and must be NaN, infinite or a signed zero exactly where torch/exact math say so.
        rep.check(&c, got);
    }
    rep.finish("unary");
}

#[test]
fn unary_inplace_on_int_panics_for_float_ops() {
    for op in ["exp", "sqrt", "sin", "sigmoid", "softplus", "reciprocal"] {
        let r = try_run(|| unary_(op, &Tensor::from_vec(vec![1i64, 2], &[2])));
        let msg = r.expect_err(op);
        assert!(
            msg.contains(&format!("{op}_: result type torch.float32 can't be cast")),
            "{msg}"
        );
    }
}

fn opt(s: &str) -> Option<Scalar> {
    (s != "none").then(|| parse_scalar(s))
}

#[test]
fn clamp_matches_torch() {
    let mut rep = Report::default();
    for c in cases("clamp") {
        let x = c.tensor("x");
        let (lo, hi) = (opt(c.req("min")), opt(c.req("max")));
        let got = try_run(|| x.clamp(lo, hi));
        if let Ok(y) = &got {
            let mut out = y.zeros_like();
            ops::clamp_out(&x, lo, hi, &mut out);
            if !same(&out, y) {
                rep.record(&c, Err("clamp_out differs from clamp".into()));
            }
            if y.dtype() == x.dtype() {
                let z = x.deep_clone();
                z.clamp_(lo, hi);
                if !same(&z, y) {
                    rep.record(&c, Err("clamp_ differs from clamp".into()));
                }
            }
        }
        rep.check(&c, got);
    }
    rep.finish("clamp");
}

#[test]
fn unary_cases_cover_every_dtype() {
    // The 0-dim and transposed cases exist for every op (guards against a thinned data file).
    let ops = cases("unary");
    for d in DType::ALL {
        let n = ops.iter().filter(|c| c.tensor("x").dtype() == d).count();
        assert!(n >= 20, "only {n} unary cases for {d}");
    }
}
