//! Shared by the `conformance_*` tests: reads `tests/data/core_cases.txt` (written by
//! `scripts/make_core_data.py`; its docstring describes the format), rebuilds tensors and
//! scalars bit for bit, and compares tessera's results with PyTorch's.
#![allow(dead_code)]

use std::panic::{catch_unwind, AssertUnwindSafe};
use tessera_core::{dispatch, DType, Element, Scalar, Tensor};

/// The committed cases.
pub const DATA: &str = include_str!("../data/core_cases.txt");

/// One line of the data file: its kind and `key=value` fields.
pub struct Case {
    /// Line number in the data file, for messages.
    pub line: usize,
    /// The whole line, for messages.
    pub text: String,
    /// `unary`, `binary`, ...
    pub kind: String,
    fields: Vec<(String, String)>,
}

impl Case {
    /// The raw value of field `k`.
    pub fn get(&self, k: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
    }

    /// The raw value of field `k`, which must exist.
    pub fn req(&self, k: &str) -> &str {
        self.get(k)
            .unwrap_or_else(|| panic!("line {}: no field {k}", self.line))
    }

    /// Field `k` as a tensor.
    pub fn tensor(&self, k: &str) -> Tensor {
        parse_tensor(self.req(k))
    }

    /// Field `k` parsed as a number.
    pub fn num<T: std::str::FromStr>(&self, k: &str) -> T
    where
        T::Err: std::fmt::Debug,
    {
        self.req(k).parse().unwrap()
    }

    /// The expected result: `None` when PyTorch raised an error.
    pub fn expected(&self) -> Option<Tensor> {
        match self.req("y") {
            "ERR" => None,
            s => Some(parse_tensor(s)),
        }
    }

    /// The exact reference and its ULP tolerance, if the case has one.
    pub fn reference(&self) -> Option<(Tensor, u64)> {
        self.get("ref")
            .map(|r| (parse_tensor(r), self.num::<u64>("tol")))
    }
}

/// Every case of `kind`.
pub fn cases(kind: &str) -> Vec<Case> {
    DATA.lines()
        .enumerate()
        .filter(|(_, l)| !l.starts_with('#') && !l.trim().is_empty())
        .filter(|(_, l)| l.split(' ').next() == Some(kind))
        .map(|(i, l)| {
            let mut it = l.split(' ');
            let kind = it.next().unwrap().to_string();
            let fields = it
                .map(|kv| {
                    let (k, v) = kv.split_once('=').expect("key=value");
                    (k.to_string(), v.to_string())
                })
                .collect();
            Case {
                line: i + 1,
                text: l.chars().take(300).collect(),
                kind,
                fields,
            }
        })
        .collect()
}

/// A dtype from its PyTorch name without `torch.`.
pub fn parse_dtype(s: &str) -> DType {
    DType::ALL
        .into_iter()
        .find(|d| d.torch_name().strip_prefix("torch.") == Some(s))
        .unwrap_or_else(|| panic!("unknown dtype {s:?}"))
}

/// `dtype:shape:values`, bit for bit.
pub fn parse_tensor(s: &str) -> Tensor {
    let mut parts = s.splitn(3, ':');
    let (d, sh, vals) = (
        parts.next().unwrap(),
        parts.next().expect("shape"),
        parts.next().expect("values"),
    );
    let dtype = parse_dtype(d);
    let shape: Vec<usize> = if sh.is_empty() {
        vec![]
    } else {
        sh.split(',').map(|v| v.parse().unwrap()).collect()
    };
    build_tensor(dtype, &shape, vals.split(',').filter(|t| !t.is_empty()))
}

/// A tensor from value tokens, bit for bit: floats from their hex bits, the rest from
/// decimals.
pub fn build_tensor<'a>(
    dtype: DType,
    shape: &[usize],
    toks: impl Iterator<Item = &'a str>,
) -> Tensor {
    match dtype {
        DType::F32 => Tensor::from_vec(
            toks.map(|t| f32::from_bits(u32::from_str_radix(t, 16).unwrap()))
                .collect(),
            shape,
        ),
        DType::F64 => Tensor::from_vec(
            toks.map(|t| f64::from_bits(u64::from_str_radix(t, 16).unwrap()))
                .collect(),
            shape,
        ),
        d => dispatch!(d, T => Tensor::from_vec(
            toks.map(|t| T::from_i64(t.parse::<i64>().unwrap())).collect::<Vec<T>>(),
            shape,
        )),
    }
}

/// `int:5`, `float:<f64 hex bits>` or `bool:1`.
pub fn parse_scalar(s: &str) -> Scalar {
    let (k, v) = s.split_once(':').expect("kind:value");
    match k {
        "int" => Scalar::Int(v.parse().unwrap()),
        "float" => Scalar::Float(f64::from_bits(u64::from_str_radix(v, 16).unwrap())),
        "bool" => Scalar::Bool(v == "1"),
        _ => panic!("not a scalar: {s}"),
    }
}

/// A tensor or a Python scalar operand.
pub enum Operand {
    /// `dtype:shape:values`
    Tensor(Tensor),
    /// `kind:value`
    Scalar(Scalar),
}

/// Parses a field that may hold a tensor or a scalar.
pub fn parse_operand(s: &str) -> Operand {
    if s.matches(':').count() == 2 {
        Operand::Tensor(parse_tensor(s))
    } else {
        Operand::Scalar(parse_scalar(s))
    }
}

/// Runs `f`, turning a panic into `Err(message)`.
pub fn try_run<R>(f: impl FnOnce() -> R) -> Result<R, String> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|e| {
        e.downcast_ref::<String>()
            .cloned()
            .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default()
    })
}

/// Distance in ULPs between two floats of the same type (as ordered integers; `+0` and
/// `-0` are one apart).
pub fn ulps_f64(a: f64, b: f64) -> u64 {
    fn key(x: f64) -> i128 {
        let b = x.to_bits() as i64;
        if b < 0 {
            -((b & i64::MAX) as i128) - 1
        } else {
            b as i128
        }
    }
    (key(a) - key(b)).unsigned_abs() as u64
}

/// [`ulps_f64`] for `f32`.
pub fn ulps_f32(a: f32, b: f32) -> u64 {
    fn key(x: f32) -> i64 {
        let b = x.to_bits() as i32;
        if b < 0 {
            -((b & i32::MAX) as i64) - 1
        } else {
            b as i64
        }
    }
    (key(a) - key(b)).unsigned_abs()
}

/// Float values as `f64` (exact for `f32`) together with a ULP measure in the native type.
fn float_values(t: &Tensor) -> Vec<f64> {
    t.to_dtype(DType::F64).to_vec::<f64>()
}

fn ulps(dtype: DType, a: f64, b: f64) -> u64 {
    if dtype == DType::F32 {
        ulps_f32(a as f32, b as f32)
    } else {
        ulps_f64(a, b)
    }
}

/// Checks `got` against PyTorch's `want` (dtype, shape, values) and, when given, against
/// the exact reference within `tol` ULPs.
///
/// Without a reference, values must be equal bit for bit (any NaN matches any NaN). With
/// one, a value must be NaN exactly where PyTorch's is; where PyTorch's value is infinite
/// or zero, or the reference is, it must equal the reference bit for bit (sign of zero
/// included); elsewhere it must lie within `tol` ULPs of the reference.
pub fn compare(
    got: &Tensor,
    want: &Tensor,
    reference: Option<&(Tensor, u64)>,
) -> Result<(), String> {
    if got.dtype() != want.dtype() {
        return Err(format!("dtype {} != torch {}", got.dtype(), want.dtype()));
    }
    if got.shape() != want.shape() {
        return Err(format!(
            "shape {:?} != torch {:?}",
            got.shape(),
            want.shape()
        ));
    }
    if !got.dtype().is_float() {
        let (g, w) = (
            got.to_dtype(DType::I64).to_vec::<i64>(),
            want.to_dtype(DType::I64).to_vec::<i64>(),
        );
        return if g == w {
            Ok(())
        } else {
            Err(format!("values {g:?} != torch {w:?}"))
        };
    }
    let d = got.dtype();
    let (g, w) = (float_values(got), float_values(want));
    let r = reference.map(|(r, tol)| (float_values(r), *tol));
    for i in 0..g.len() {
        let (gi, wi) = (g[i], w[i]);
        let bad = |why: &str| {
            Err(format!(
                "element {i}: tessera {gi:e} ({:#x}), torch {wi:e}{}: {why}",
                gi.to_bits(),
                r.as_ref()
                    .map(|(r, _)| format!(", exact {:e}", r[i]))
                    .unwrap_or_default()
            ))
        };
        if gi.is_nan() || wi.is_nan() {
            if gi.is_nan() != wi.is_nan() {
                return bad("NaN where the other is not");
            }
            continue;
        }
        match &r {
            None => {
                if gi.to_bits() != wi.to_bits() {
                    return bad("not bitwise equal");
                }
            }
            Some((r, tol)) => {
                let ri = r[i];
                let special = wi.is_infinite() || wi == 0.0 || ri.is_infinite() || ri == 0.0;
                if special && gi.to_bits() != ri.to_bits() {
                    return bad("special value differs from the exact one");
                }
                if !special && ulps(d, gi, ri) > *tol {
                    return bad(&format!(
                        "{} ULPs from exact (tolerance {tol})",
                        ulps(d, gi, ri)
                    ));
                }
            }
        }
    }
    Ok(())
}

/// Collects failures and reports them all at once.
#[derive(Default)]
pub struct Report {
    failures: Vec<String>,
    /// How many cases ran.
    pub checked: usize,
}

impl Report {
    /// Records the outcome of one case.
    pub fn record(&mut self, case: &Case, outcome: Result<(), String>) {
        self.checked += 1;
        if let Err(e) = outcome {
            self.failures
                .push(format!("line {}: {}\n    {}", case.line, e, case.text));
        }
    }

    /// Checks a case's result: expected error (PyTorch raised) or a tensor to compare.
    pub fn check(&mut self, case: &Case, got: Result<Tensor, String>) {
        let outcome = match (case.expected(), got) {
            (None, Err(_)) => Ok(()),
            (None, Ok(t)) => Err(format!(
                "torch raises an error but tessera returned {:?} {}",
                t.shape(),
                t.dtype()
            )),
            (Some(_), Err(e)) => Err(format!("tessera panicked: {e}")),
            (Some(w), Ok(g)) => compare(&g, &w, case.reference().as_ref()),
        };
        self.record(case, outcome);
    }

    /// Panics listing every failure; also fails if nothing was checked.
    pub fn finish(self, what: &str) {
        assert!(self.checked > 0, "{what}: no cases found");
        assert!(
            self.failures.is_empty(),
            "{what}: {} of {} cases differ from PyTorch:\n{}",
            self.failures.len(),
            self.checked,
            self.failures.join("\n")
        );
    }
}
