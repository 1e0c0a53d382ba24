//! nn speed against PyTorch, both on 2 threads, in the same run.
//!
//! Cases (f32, median seconds per call):
//! - `resnet18_b1` / `resnet18_b8`: ResNet-18 inference (eval, no grad) on `[1|8, 3, 224, 224]`;
//! - `conv3x3_fwd`: conv2d 3x3, 64 -> 64 channels, padding 1, on `[8, 64, 56, 56]`;
//! - `conv3x3_fwd_bwd`: the same forward plus the backward of `sum(y * g)` into the
//!   input and the weight;
//! - `cnn_train_step`: one training step of the example's `SmallCnn` (batch 64 of
//!   `1 x 16 x 16`): forward, cross entropy, backward, Adam step;
//! - `linear_fwd` / `linear_fwd_bwd`: `nn.Linear(1024, 1024)` on `[64, 1024]`, and the
//!   same plus the backward of `sum(y * g)` into the input, the weight and the bias.
//!
//! Both sides run twice in turn (tessera, Python, tessera, Python) and each case keeps
//! each side's faster median (`common::alternating`).
//!
//! Inputs are random of the same shapes on both sides (speed does not depend on the
//! values away from denormals). Run:
//! `cargo run --release -p tessera-models --example bench_nn` (`-- --no-python` skips
//! `scripts/bench_nn.py`).

#[path = "../../tessera/examples/common/mod.rs"]
mod common;

use tessera_core::{autograd::no_grad, Tensor};
use tessera_models::{resnet18, SmallCnn};
use tessera_nn::functional::{conv2d, cross_entropy, ConvOptions};
use tessera_nn::optim::{Adam, Optimizer};
use tessera_nn::{Linear, Module};

fn main() {
    tessera_core::set_num_threads(2);
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/bench_nn.py");
    let no_python = std::env::args().any(|a| a == "--no-python");
    let (rows, py) = common::alternating(2, (!no_python).then_some(script), tessera_rows);
    common::print_table(&rows, &py, (1e3, "ms"));
}

/// Tessera's median seconds per call of every case.
fn tessera_rows() -> Vec<(String, f64)> {
    let mut rows: Vec<(String, f64)> = vec![];
    let net = resnet18(1000);
    net.eval();
    for b in [1usize, 8] {
        let x = Tensor::randn(&[b, 3, 224, 224]);
        let reps = if b == 1 { 9 } else { 5 };
        let t = common::median(1, reps, || {
            let _g = no_grad();
            net.forward(&x);
        });
        rows.push((format!("resnet18_b{b}"), t));
    }
    drop(net);
    let x = Tensor::randn(&[8, 64, 56, 56]);
    let w = Tensor::randn(&[64, 64, 3, 3]) * 0.05;
    let o = ConvOptions::default().padding(1);
    rows.push((
        "conv3x3_fwd".into(),
        common::median(3, 7, || {
            conv2d(&x, &w, None, o);
        }),
    ));
    let g = Tensor::randn(&[8, 64, 56, 56]);
    x.requires_grad_(true);
    w.requires_grad_(true);
    rows.push((
        "conv3x3_fwd_bwd".into(),
        common::median(2, 7, || {
            let y = conv2d(&x, &w, None, o);
            (&y * &g).sum().backward();
            x.zero_grad();
            w.zero_grad();
        }),
    ));
    let cnn = SmallCnn::new(1, 16, 4);
    let mut opt = Adam::new(cnn.parameters(), 1e-3);
    let xb = Tensor::randn(&[64, 1, 16, 16]);
    let yb = Tensor::randint(0, 4, &[64]);
    rows.push((
        "cnn_train_step".into(),
        common::median(20, 9, || {
            opt.zero_grad();
            cross_entropy(&cnn.forward(&xb), &yb, &Default::default()).backward();
            opt.step();
        }),
    ));
    let lin = Linear::new(1024, 1024, true);
    let xl = Tensor::randn(&[64, 1024]);
    rows.push((
        "linear_fwd".into(),
        common::median(20, 9, || {
            let _g = no_grad();
            lin.forward(&xl);
        }),
    ));
    let gl = Tensor::randn(&[64, 1024]);
    xl.requires_grad_(true);
    rows.push((
        "linear_fwd_bwd".into(),
        common::median(10, 9, || {
            (&lin.forward(&xl) * &gl).sum().backward();
            xl.zero_grad();
            lin.zero_grad();
        }),
    ));
    rows
}
