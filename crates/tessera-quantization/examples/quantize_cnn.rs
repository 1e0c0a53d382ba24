//! Post-training quantization of a small CNN with the eager flow, one layer left in f32
//! through `QConfigMapping::set_module_name`, compared with the f32 model for agreement
//! and speed.
//!
//! The network (3x64x64 inputs, 10 classes) is randomly initialized and the data is
//! random, so "accuracy" here is the int8 model's agreement with the f32 model's top-1
//! predictions and the size of its output error, not accuracy on a dataset. Run:
//! `cargo run --release -p tessera-quantization --example quantize_cnn`

use std::time::Instant;
use tessera_core::Tensor;
use tessera_nn::functional::{ConvOptions, PoolOptions};
use tessera_nn::{
    AdaptiveAvgPool2d, BatchNorm2d, Conv2d, Flatten, Linear, MaxPool2d, Module, ReLU, Sequential,
};
use tessera_quantization::{
    convert, fuse_modules, get_default_qconfig_mapping, prepare, DeQuantStub, QuantStub,
};

fn model() -> Sequential {
    let pad = ConvOptions::default().padding(1);
    let block = |cin, cout| {
        Sequential::new()
            .append(Conv2d::new(cin, cout, 3, pad, false))
            .append(BatchNorm2d::new(cout))
            .append(ReLU)
    };
    Sequential::new()
        .append(QuantStub) // 0
        .append(block(3, 32)) // 1
        .append(MaxPool2d {
            options: PoolOptions::new(2),
        }) // 2
        .append(block(32, 64)) // 3
        .append(block(64, 64)) // 4
        .append(MaxPool2d {
            options: PoolOptions::new(2),
        }) // 5
        .append(block(64, 128)) // 6
        .append(AdaptiveAvgPool2d {
            output_size: (1, 1),
        }) // 7
        .append(Flatten::default()) // 8
        .append(Linear::new(128, 64, true)) // 9
        .append(ReLU) // 10
        .append(DeQuantStub) // 11
        .append(Linear::new(64, 10, true)) // 12: stays f32
}

fn time(reps: usize, mut f: impl FnMut()) -> f64 {
    f();
    let mut best = f64::INFINITY;
    for _ in 0..reps {
        let t = Instant::now();
        f();
        best = best.min(t.elapsed().as_secs_f64());
    }
    best
}

fn argmax_rows(t: &Tensor) -> Vec<usize> {
    let v: Vec<f32> = t.to_vec();
    let c = t.shape()[1];
    v.chunks(c)
        .map(|r| (0..c).max_by(|&a, &b| r[a].total_cmp(&r[b])).unwrap())
        .collect()
}

fn main() {
    tessera_core::set_num_threads(2);
    let net = model();
    // Give the batch norms running statistics, as a trained model has.
    for _ in 0..20 {
        net.forward(&Tensor::randn(&[8, 3, 64, 64]));
    }
    net.eval();
    let fused = fuse_modules(
        &net,
        &[
            &["1.0", "1.1", "1.2"],
            &["3.0", "3.1", "3.2"],
            &["4.0", "4.1", "4.2"],
            &["6.0", "6.1", "6.2"],
            &["9", "10"],
        ],
    );
    // fbgemm defaults everywhere, except the classifier head, kept in f32 by name.
    let mapping = get_default_qconfig_mapping("fbgemm").set_module_name("12", None);
    let example = Tensor::randn(&[1, 3, 64, 64]);
    let prepared = prepare(&fused, &mapping, &[example]);
    for (name, q) in prepared.qconfigs() {
        if !q {
            println!("layer {name:>4}: stays f32");
        }
    }
    for _ in 0..8 {
        prepared.forward(&Tensor::randn(&[16, 3, 64, 64]));
    }
    let quantized = convert(&prepared);

    let x = Tensor::randn(&[64, 3, 64, 64]);
    let yf = fused.forward(&x);
    let yq = quantized.forward(&x);
    let (a, b): (Vec<f32>, Vec<f32>) = (yf.to_vec(), yq.to_vec());
    let max_err = a
        .iter()
        .zip(&b)
        .map(|(p, q)| (p - q).abs())
        .fold(0f32, f32::max);
    let range = a.iter().map(|p| p.abs()).fold(0f32, f32::max);
    let (pf, pq) = (argmax_rows(&yf), argmax_rows(&yq));
    let agree = pf.iter().zip(&pq).filter(|(p, q)| p == q).count();
    println!(
        "top-1 agreement int8 vs f32: {agree}/{} ({:.1}%), max |error| {max_err:.4} (outputs up to {range:.3})",
        pf.len(),
        100.0 * agree as f64 / pf.len() as f64
    );

    let xb = Tensor::randn(&[8, 3, 64, 64]);
    let tf = time(5, || {
        let _g = tessera_core::autograd::no_grad();
        fused.forward(&xb);
    });
    let tq = time(5, || {
        quantized.forward(&xb);
    });
    println!(
        "batch 8, 2 threads: f32 {:.2} ms, int8 {:.2} ms ({:.2}x)",
        tf * 1e3,
        tq * 1e3,
        tf / tq
    );
}
