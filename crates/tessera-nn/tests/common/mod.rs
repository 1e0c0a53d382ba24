//! Reads `tests/data/nn_cases.txt` (written by `scripts/make_nn_data.py`; its docstring
//! describes the format) and compares tensors.
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::OnceLock;
use tessera_core::{DType, Tensor};

const DATA: &str = include_str!("../data/nn_cases.txt");

/// The cases' options and the tensors, by name.
pub struct Data {
    pub cases: Vec<(String, HashMap<String, String>)>,
    tensors: HashMap<String, (DType, Vec<usize>, String)>,
}

pub fn data() -> &'static Data {
    static D: OnceLock<Data> = OnceLock::new();
    D.get_or_init(|| {
        let mut cases = Vec::new();
        let mut tensors = HashMap::new();
        for line in DATA.lines() {
            let mut it = line.split(' ');
            match it.next() {
                Some("case") => {
                    let name = it.next().unwrap().to_string();
                    let opts = it
                        .map(|kv| {
                            let (k, v) = kv.split_once('=').expect("key=value");
                            (k.to_string(), v.to_string())
                        })
                        .collect();
                    cases.push((name, opts));
                }
                Some("t") => {
                    let name = it.next().unwrap().to_string();
                    let dtype = match it.next().unwrap() {
                        "f32" => DType::F32,
                        "f64" => DType::F64,
                        "i64" => DType::I64,
                        d => panic!("unknown dtype {d}"),
                    };
                    let shape = match it.next().unwrap() {
                        "-" => vec![],
                        s => s.split(',').map(|v| v.parse().unwrap()).collect(),
                    };
                    let values = it.next().unwrap_or("").to_string();
                    tensors.insert(name, (dtype, shape, values));
                }
                _ => {}
            }
        }
        Data { cases, tensors }
    })
}

impl Data {
    /// The names of the cases starting with `prefix`.
    pub fn names(&self, prefix: &str) -> Vec<String> {
        let v: Vec<String> = self
            .cases
            .iter()
            .filter(|(n, _)| n.starts_with(prefix))
            .map(|(n, _)| n.clone())
            .collect();
        assert!(!v.is_empty(), "no cases named {prefix}*");
        v
    }

    /// Option `key` of case `name`.
    pub fn opt(&self, name: &str, key: &str) -> &str {
        self.cases
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, o)| o.get(key))
            .unwrap_or_else(|| panic!("case {name} has no option {key}"))
            .as_str()
    }

    pub fn has(&self, name: &str) -> bool {
        self.tensors.contains_key(name)
    }

    /// The tensor `name`, rebuilt bit for bit.
    pub fn t(&self, name: &str) -> Tensor {
        let (dtype, shape, values) = self
            .tensors
            .get(name)
            .unwrap_or_else(|| panic!("no tensor {name}"));
        let parts: Vec<&str> = if values.is_empty() {
            vec![]
        } else {
            values.split(',').collect()
        };
        match dtype {
            DType::F32 => Tensor::from_vec(
                parts
                    .iter()
                    .map(|h| f32::from_bits(u32::from_str_radix(h, 16).unwrap()))
                    .collect::<Vec<f32>>(),
                shape,
            ),
            DType::F64 => Tensor::from_vec(
                parts
                    .iter()
                    .map(|h| f64::from_bits(u64::from_str_radix(h, 16).unwrap()))
                    .collect::<Vec<f64>>(),
                shape,
            ),
            _ => Tensor::from_vec(
                parts
                    .iter()
                    .map(|v| v.parse::<i64>().unwrap())
                    .collect::<Vec<i64>>(),
                shape,
            ),
        }
    }
}

/// Tolerances by dtype: f32 results are sums of products rounded differently from
/// PyTorch's; f64 ones must agree to near the last bits.
pub fn tol(d: DType) -> (f64, f64) {
    match d {
        DType::F32 => (2e-5, 2e-5),
        _ => (1e-11, 1e-12),
    }
}

/// Asserts `|got - want| <= atol + rtol |want|` elementwise (NaN matching NaN) and equal
/// shapes and dtypes.
pub fn assert_close(what: &str, got: &Tensor, want: &Tensor) {
    let (rtol, atol) = tol(want.dtype());
    assert_eq!(got.shape(), want.shape(), "{what}: shape");
    assert_eq!(got.dtype(), want.dtype(), "{what}: dtype");
    let g = got.to_dtype(DType::F64).to_vec::<f64>();
    let w = want.to_dtype(DType::F64).to_vec::<f64>();
    let mut worst = 0.0f64;
    for (i, (a, b)) in g.iter().zip(&w).enumerate() {
        if a.is_nan() && b.is_nan() {
            continue;
        }
        let ok = (a - b).abs() <= atol + rtol * b.abs() || a == b;
        assert!(ok, "{what}: element {i}: got {a}, PyTorch {b}");
        worst = worst.max((a - b).abs() / (atol + rtol * b.abs()));
    }
}

/// Runs `f` on the case's inputs `in0, in1, ...` (float ones requiring grad), compares
/// `y`, then backpropagates `gy` and compares each input's gradient `g<i>` when the data
/// has one.
pub fn check(name: &str, f: impl Fn(&[Tensor]) -> Tensor) {
    let d = data();
    let mut inputs = vec![];
    let mut i = 0;
    while d.has(&format!("{name}.in{i}")) {
        let t = d.t(&format!("{name}.in{i}"));
        if t.dtype().is_float() {
            t.requires_grad_(true);
        }
        inputs.push(t);
        i += 1;
    }
    let y = f(&inputs);
    assert_close(&format!("{name}.y"), &y, &d.t(&format!("{name}.y")));
    let key = format!("{name}.gy");
    if !d.has(&key) {
        return;
    }
    let gy = d.t(&key);
    assert!(
        y.requires_grad(),
        "{name}: the output does not require grad"
    );
    (&y * &gy).sum().backward();
    for (k, x) in inputs.iter().enumerate() {
        let key = format!("{name}.g{k}");
        if d.has(&key) {
            let g = x
                .grad()
                .unwrap_or_else(|| panic!("{key}: no gradient reached input {k}"));
            assert_close(&key, &g, &d.t(&key));
        }
    }
}

/// A pair option `"a,b"`.
pub fn pair(s: &str) -> (usize, usize) {
    let v: Vec<usize> = s.split(',').map(|x| x.parse().unwrap()).collect();
    (v[0], v[1])
}
