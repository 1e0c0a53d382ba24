//! Post-training quantization of a trained CNN with the eager flow, its classifier left in
//! f32 through `QConfigMapping::set_module_name`, compared with the f32 model for
//! accuracy and speed.
//!
//! The data and the network are those of tessera-models' `train_cnn` example: four
//! classes of 16x16 grayscale images (a short horizontal, vertical, diagonal or
//! anti-diagonal bar of random position and brightness on a noisy background), 2048
//! training and 512 test images, and the small CNN (3x3 convolution 1 -> 8, ReLU, 2x2 max
//! pool, 3x3 convolution 8 -> 16, ReLU, 2x2 max pool, Linear 256 -> 4), here with a
//! `QuantStub` in front and a `DeQuantStub` at the end. It is trained with Adam (lr 3e-3,
//! batch 64, 4 epochs), its Conv2d + ReLU pairs fused, prepared with the fbgemm defaults
//! except the final Linear (`set_module_name("8", None)`), calibrated on 256 training
//! images and converted. The accuracies printed are real test-set accuracies.
//!
//! The timings are best-of-N wall time on this machine as it is; they compare tessera
//! with itself and are no evidence against other libraries.
//!
//! Run: `cargo run --release -p tessera-quantization --example quantize_cnn`

use std::time::Instant;
use tessera_core::{autograd::no_grad, DType, Generator, Tensor};
use tessera_nn::functional::{cross_entropy, ConvOptions, CrossEntropyOptions, PoolOptions};
use tessera_nn::optim::{Adam, Optimizer};
use tessera_nn::{Conv2d, Flatten, Linear, MaxPool2d, Module, ReLU, Sequential};
use tessera_quantization::{
    convert, fuse_modules, get_default_qconfig_mapping, prepare, DeQuantStub, QuantStub,
};

const S: usize = 16;

/// `n` images `[n, 1, S, S]` and their labels `[n]` (`tessera_models::synthetic_strokes`).
fn synthetic(n: usize, g: &mut Generator) -> (Tensor, Tensor) {
    tessera_models::synthetic_strokes(n, S, g)
}

fn model() -> Sequential {
    let pad = ConvOptions::default().padding(1);
    let pool = || MaxPool2d {
        options: PoolOptions::new(2),
    };
    Sequential::new()
        .append(QuantStub) // 0
        .append(Conv2d::new(1, 8, 3, pad, true)) // 1
        .append(ReLU) // 2
        .append(pool()) // 3
        .append(Conv2d::new(8, 16, 3, pad, true)) // 4
        .append(ReLU) // 5
        .append(pool()) // 6
        .append(Flatten::default()) // 7
        .append(Linear::new(16 * (S / 4) * (S / 4), 4, true)) // 8: left in f32
        .append(DeQuantStub) // 9
}

fn accuracy(logits: &Tensor, y: &Tensor) -> f64 {
    let pred = logits.argmax_dim(1, false);
    pred.eq(y).to_dtype(DType::F64).mean().item::<f64>()
}

fn best(reps: usize, mut f: impl FnMut()) -> f64 {
    f();
    (0..reps)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}

fn main() {
    tessera_core::manual_seed(0);
    tessera_core::set_num_threads(1);
    let mut g = Generator::new(42);
    let (xtr, ytr) = synthetic(2048, &mut g);
    let (xte, yte) = synthetic(512, &mut g);

    let net = model();
    let mut opt = Adam::new(net.parameters(), 3e-3);
    let ce = CrossEntropyOptions::default();
    for _epoch in 0..4 {
        for b in 0..2048 / 64 {
            let x = xtr.narrow(0, b * 64, 64);
            let y = ytr.narrow(0, b * 64, 64);
            opt.zero_grad();
            let loss = cross_entropy(&net.forward(&x), &y, &ce);
            loss.backward();
            opt.step();
        }
    }
    net.eval();
    let yf = {
        let _g = no_grad();
        net.forward(&xte)
    };
    println!(
        "f32 model: test accuracy {:.2}%",
        100.0 * accuracy(&yf, &yte)
    );

    let fused = fuse_modules(&net, &[&["1", "2"], &["4", "5"]]);
    let mapping = get_default_qconfig_mapping("fbgemm").set_module_name("8", None);
    let prepared = prepare(&fused, &mapping, &[xtr.narrow(0, 0, 1)]);
    for (name, q) in prepared.qconfigs() {
        if !q {
            println!("layer {name}: left in f32 by set_module_name");
        }
    }
    for b in 0..4 {
        prepared.forward(&xtr.narrow(0, b * 64, 64));
    }
    let quantized = convert(&prepared);
    let yq = quantized.forward(&xte);
    let agree = yf
        .argmax_dim(1, false)
        .eq(yq.argmax_dim(1, false))
        .to_dtype(DType::F64)
        .mean()
        .item::<f64>();
    println!(
        "int8 model: test accuracy {:.2}%, top-1 agreement with f32 {:.2}%",
        100.0 * accuracy(&yq, &yte),
        100.0 * agree
    );

    for batch in [64usize, 512] {
        let x = xte.narrow(0, 0, batch);
        let tf = best(20, || {
            let _g = no_grad();
            net.forward(&x);
        });
        let tq = best(20, || {
            quantized.forward(&x);
        });
        println!(
            "batch {batch}, 1 thread (best of 20, this machine as it is): f32 {:.3} ms, int8 \
             {:.3} ms ({:.2}x)",
            tf * 1e3,
            tq * 1e3,
            tf / tq
        );
    }
}
