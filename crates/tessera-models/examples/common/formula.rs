//! The formula weights and input of `scripts/make_nn_data.py`, for which
//! `tests/data/resnet18_logits.txt` holds PyTorch's ResNet-18 logits: a checkpoint and an
//! image that need no download. Shared by the `classify` example and `tests/resnet.rs`.

use tessera_core::{DType, StateDict, Tensor};
use tessera_nn::Module;

/// Parameter or buffer number `i` of `n` elements gets `v[k] = sin(0.37 k + 1.3 i)`
/// (f64), scaled by its kind (see the script), rounded to f32.
pub fn formula_weights(m: &dyn Module) -> StateDict {
    let mut sd = StateDict::new();
    for (i, (k, t)) in m.state_dict().iter().enumerate() {
        let n = t.numel();
        if k.ends_with("num_batches_tracked") {
            sd.insert(k, Tensor::scalar(0i64));
            continue;
        }
        let s: Vec<f64> = (0..n)
            .map(|j| (0.37 * j as f64 + 1.3 * i as f64).sin())
            .collect();
        let v: Vec<f64> = if t.dim() >= 2 {
            let fan_in: usize = t.shape()[1..].iter().product();
            let sc = (6.0 / fan_in as f64).sqrt();
            s.iter().map(|x| x * sc).collect()
        } else if k.ends_with("running_var") {
            s.iter().map(|x| 1.0 + 0.5 * x.abs()).collect()
        } else if k.ends_with("running_mean") {
            s.iter().map(|x| 0.1 * x).collect()
        } else if k == "fc.bias" {
            s.iter().map(|x| 0.01 * x).collect()
        } else if k.ends_with("weight") {
            s.iter().map(|x| 1.0 + 0.1 * x).collect()
        } else {
            s.iter().map(|x| 0.1 * x).collect()
        };
        sd.insert(k, Tensor::from_vec(v, t.shape()).to_dtype(DType::F32));
    }
    sd
}

/// The input image `[1, 3, 64, 64]`: `sin(0.011 k) + 0.5 cos(0.0007 k)` for element
/// `k`, rounded to f32 (values in [-1.5, 1.5], as a normalized image's).
pub fn formula_input() -> Tensor {
    let x: Vec<f64> = (0..3 * 64 * 64)
        .map(|k| (0.011 * k as f64).sin() + 0.5 * (0.0007 * k as f64).cos())
        .collect();
    Tensor::from_vec(x, &[1, 3, 64, 64]).to_dtype(DType::F32)
}

/// PyTorch's logits from `resnet18_logits.txt` (f32 bit patterns in hex).
#[allow(dead_code)] // used by the tests, not by the example's main
pub fn pytorch_logits() -> Vec<f32> {
    const LOGITS: &str = include_str!("../../tests/data/resnet18_logits.txt");
    let line = LOGITS.lines().find(|l| !l.starts_with('#')).unwrap();
    line.split(',')
        .map(|h| f32::from_bits(u32::from_str_radix(h, 16).unwrap()))
        .collect()
}
