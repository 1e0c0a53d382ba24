//! Readers for the committed PyTorch data (tests/data/*.json, written by
//! scripts/make_quant_data.py and scripts/make_qkern_data.py): f32 values travel as their
//! bit patterns, so every comparison is bit for bit.
#![allow(dead_code)] // each test file uses some of these

use serde_json::Value;
use tessera_core::Tensor;

/// `tests/data/<name>` parsed, with the script that makes it named if it is missing.
pub fn load(name: &str) -> Value {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!("{path}: {e} (python3 scripts/make_quant_data.py or scripts/make_qkern_data.py)")
    });
    serde_json::from_str(&text).unwrap()
}

/// f32 values from a list of their bit patterns.
pub fn f32s(v: &Value) -> Vec<f32> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|b| f32::from_bits(b.as_u64().unwrap() as u32))
        .collect()
}

/// f64 values from a list of JSON numbers.
pub fn f64s(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|b| b.as_f64().unwrap())
        .collect()
}

/// Integers from a list of JSON numbers.
pub fn i64s(v: &Value) -> Vec<i64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|b| b.as_i64().unwrap())
        .collect()
}

/// A shape from a list of JSON numbers.
pub fn shape(v: &Value) -> Vec<usize> {
    i64s(v).into_iter().map(|d| d as usize).collect()
}

/// An f32 tensor from `{"bits": [...], "shape": [...]}`.
pub fn ftensor(v: &Value) -> Tensor {
    Tensor::from_vec(f32s(&v["bits"]), &shape(&v["shape"]))
}
