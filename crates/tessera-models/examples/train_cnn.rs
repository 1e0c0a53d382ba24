//! Trains the small CNN on a synthetic image set with the DataLoader and reports the
//! loss falling and the held-out accuracy.
//!
//! Four classes of 16x16 grayscale images, each a short bar (horizontal, vertical,
//! diagonal, anti-diagonal) of random position and brightness on a noisy background.
//! 2048 training and 512 test images; Adam (lr 3e-3), batch 64, 4 epochs.
//!
//! Measured (commit 8deb753): the test accuracy goes from chance (29%) to 78% after one
//! epoch and 100% after three, the mean training loss from 1.24 to 0.04; about 1 s in all.
//!
//! Run: `cargo run --release -p tessera-models --example train_cnn`

use tessera_core::{autograd::no_grad, DType, Generator, Result, Tensor};
use tessera_data::{DataLoader, TensorDataset};
use tessera_models::SmallCnn;
use tessera_nn::functional::{cross_entropy, CrossEntropyOptions};
use tessera_nn::optim::{Adam, Optimizer};
use tessera_nn::Module;

const S: usize = 16;

/// `n` images `[n, 1, S, S]` and their labels `[n]` (`tessera_models::synthetic_strokes`).
fn synthetic(n: usize, g: &mut Generator) -> (Tensor, Tensor) {
    tessera_models::synthetic_strokes(n, S, g)
}

fn accuracy(model: &SmallCnn, x: &Tensor, y: &Tensor) -> f64 {
    let _g = no_grad();
    let pred = model.forward(x).argmax_dim(1, false);
    pred.eq(y).to_dtype(DType::F64).mean().item::<f64>()
}

fn main() -> Result<()> {
    tessera_core::manual_seed(0);
    let mut g = Generator::new(42);
    let (xtr, ytr) = synthetic(2048, &mut g);
    let (xte, yte) = synthetic(512, &mut g);
    let model = SmallCnn::new(1, S, 4);
    let mut opt = Adam::new(model.parameters(), 3e-3);
    let mut loader = DataLoader::builder(TensorDataset::new(vec![xtr.clone(), ytr.clone()]))
        .batch_size(64)
        .shuffle(true)
        .generator(Generator::new(7))
        .build();
    let ce = CrossEntropyOptions::default();
    println!(
        "before training: test accuracy {:.1}%",
        100.0 * accuracy(&model, &xte, &yte)
    );
    let start = std::time::Instant::now();
    for epoch in 0..4 {
        let (mut total, mut batches) = (0.0, 0);
        for (step, batch) in loader.by_ref().enumerate() {
            let batch = batch?;
            opt.zero_grad();
            let loss = cross_entropy(&model.forward(&batch[0]), &batch[1], &ce);
            loss.backward();
            opt.step();
            total += loss.item::<f32>() as f64;
            batches += 1;
            if epoch == 0 && step % 8 == 0 {
                println!("  epoch 0 step {step:2}: loss {:.4}", loss.item::<f32>());
            }
        }
        println!(
            "epoch {epoch}: mean train loss {:.4}, test accuracy {:.1}%",
            total / batches as f64,
            100.0 * accuracy(&model, &xte, &yte)
        );
    }
    println!(
        "trained in {:.2} s; final train accuracy {:.1}%",
        start.elapsed().as_secs_f64(),
        100.0 * accuracy(&model, &xtr, &ytr)
    );
    Ok(())
}
