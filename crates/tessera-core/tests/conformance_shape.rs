//! `matmul`, views (values, strides, offsets, sharing), `cat`/`stack` and creation
//! (`arange`, `linspace`, `eye`) against PyTorch (`tests/data/core_cases.txt`).

mod common;

use common::{cases, parse_dtype, parse_scalar, try_run, Report};
use tessera_core::{Scalar, Tensor};

#[test]
fn matmul_matches_torch() {
    let mut rep = Report::default();
    for c in cases("matmul") {
        let (mut a, mut b) = (c.tensor("a"), c.tensor("b"));
        if c.get("transpose") == Some("both") {
            (a, b) = (a.t(), b.t());
        }
        rep.check(&c, try_run(|| a.matmul(&b)));
    }
    rep.finish("matmul");
}

fn ints(s: &str) -> Vec<isize> {
    s.split(',')
        .filter(|v| !v.is_empty())
        .map(|v| v.parse().unwrap())
        .collect()
}

/// Applies a `|`-separated chain of view ops written as `name:arg,arg`.
fn apply_chain(mut t: Tensor, chain: &str) -> Tensor {
    for step in chain.split('|') {
        let (name, args) = step.split_once(':').unwrap_or((step, ""));
        let a = ints(args);
        t = match name {
            "reshape" => t.reshape(a),
            "view" | "view_err" => t.view(a),
            "permute" => t.permute(a),
            "transpose" => t.transpose(a[0], a[1]),
            "t" => t.t(),
            "squeeze" => t.squeeze(),
            "squeeze_dim" => t.squeeze_dim(a[0]),
            "unsqueeze" => t.unsqueeze(a[0]),
            "expand" => t.expand(a),
            "narrow" => t.narrow(a[0], a[1] as usize, a[2] as usize),
            "select" => t.select(a[0], a[1]),
            "flatten" => t.flatten(),
            "flatten_dims" => t.flatten_dims(a[0], a[1]),
            "contiguous" => t.contiguous(),
            _ => panic!("unknown view op {name}"),
        };
    }
    t
}

#[test]
fn views_match_torch() {
    let mut rep = Report::default();
    for c in cases("view") {
        let base = c.tensor("base");
        let got = try_run(|| apply_chain(base.clone(), c.req("ops")));
        if let (Ok(v), Some(_)) = (&got, c.expected()) {
            let strides: Vec<usize> = ints(c.req("strides")).iter().map(|&s| s as usize).collect();
            let offset: usize = c.num("offset");
            let shares = c.req("shares") == "1";
            // Strides only mean something when there are elements to step over.
            let layout_ok =
                v.numel() == 0 || (v.strides() == strides && v.storage_offset() == offset);
            if !layout_ok || v.shares_storage(&base) != shares {
                rep.record(
                    &c,
                    Err(format!(
                        "strides {:?} offset {} shares {} != torch {strides:?} {offset} {shares}",
                        v.strides(),
                        v.storage_offset(),
                        v.shares_storage(&base)
                    )),
                );
            }
            if shares && v.numel() > 0 && !strides.contains(&0) {
                rep.record(&c, write_through(&c, &strides, offset));
            }
        }
        rep.check(&c, got);
    }
    rep.finish("view");
}

/// Fills the view of a fresh base with -1: exactly the storage positions torch's strides
/// and offset name must change.
fn write_through(c: &common::Case, strides: &[usize], offset: usize) -> Result<(), String> {
    let base = c.tensor("base");
    let v = apply_chain(base.clone(), c.req("ops"));
    v.fill_(-1.0);
    let mut want = vec![false; base.numel()];
    let shape = v.shape().to_vec();
    let mut idx = vec![0usize; shape.len()];
    for _ in 0..v.numel() {
        let pos = offset + idx.iter().zip(strides).map(|(i, s)| i * s).sum::<usize>();
        if pos >= want.len() {
            return Err(format!(
                "torch's strides reach position {pos} of {}",
                want.len()
            ));
        }
        want[pos] = true;
        for d in (0..idx.len()).rev() {
            idx[d] += 1;
            if idx[d] < shape[d] {
                break;
            }
            idx[d] = 0;
        }
    }
    let got: Vec<bool> = base.to_vec::<f32>().iter().map(|&x| x == -1.0).collect();
    if got == want {
        Ok(())
    } else {
        Err("fill_ through the view changed other storage positions than torch's view".into())
    }
}

fn tensors(c: &common::Case) -> Vec<Tensor> {
    (0..c.num::<usize>("n"))
        .map(|i| c.tensor(&format!("x{i}")))
        .collect()
}

#[test]
fn cat_and_stack_match_torch() {
    let mut rep = Report::default();
    for kind in ["cat", "stack"] {
        for c in cases(kind) {
            let ts = tensors(&c);
            let dim: isize = c.num("dim");
            let got = try_run(|| {
                if kind == "cat" {
                    Tensor::cat(&ts, dim)
                } else {
                    Tensor::stack(&ts, dim)
                }
            });
            rep.check(&c, got);
        }
    }
    rep.finish("cat/stack");
}

#[test]
fn arange_matches_torch() {
    let mut rep = Report::default();
    for c in cases("arange") {
        let (s, e, st) = (
            parse_scalar(c.req("start")),
            parse_scalar(c.req("end")),
            parse_scalar(c.req("step")),
        );
        rep.check(&c, try_run(|| Tensor::arange_step(s, e, st)));
    }
    rep.finish("arange");
}

#[test]
fn linspace_matches_torch_bitwise() {
    let mut rep = Report::default();
    for c in cases("linspace") {
        let f = |k| match parse_scalar(c.req(k)) {
            Scalar::Float(v) => v,
            s => panic!("{s:?}"),
        };
        let (start, end) = (f("start"), f("end"));
        let steps: usize = c.num("steps");
        let dtype = parse_dtype(c.req("dtype"));
        rep.check(
            &c,
            try_run(|| Tensor::linspace_dtype(start, end, steps, dtype)),
        );
    }
    rep.finish("linspace");
}

#[test]
fn eye_matches_torch() {
    let mut rep = Report::default();
    for c in cases("eye") {
        let dtype = parse_dtype(c.req("dtype"));
        let (n, m) = (c.num("n"), c.num("m"));
        rep.check(&c, try_run(|| Tensor::eye_dtype(n, m, dtype)));
    }
    rep.finish("eye");
}
