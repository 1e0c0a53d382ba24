//! A training-style loop over a `TensorDataset` and an `NpyDataset`, with worker
//! threads: linear regression fitted by minibatch SGD with autograd, a train/validation
//! split, and a resume from the middle of an epoch.
//!
//! Run: `cargo run --release -p tessera-data --example training_loop`

use tessera_core::{Generator, Result, Tensor};
use tessera_data::{random_split_fractions, DataLoader, Dataset, NpyDataset, TensorDataset};

const FEATURES: usize = 8;

/// One epoch of SGD on `w`; returns the mean loss over the batches.
fn train_epoch(loader: &mut DataLoader<Vec<Tensor>>, w: &mut Tensor, lr: f64) -> Result<f64> {
    let (mut total, mut batches) = (0.0, 0);
    for batch in loader.by_ref() {
        let batch = batch?; // [x rows, y values]: an Err names the failing index
        let (x, y) = (&batch[0], batch[1].unsqueeze(1));
        let diff = &x.matmul(w) - &y;
        let loss = (&diff * &diff).mean();
        loss.backward();
        let grad = w.grad().expect("w requires grad");
        let next = &w.detach() - &(&grad * lr);
        next.requires_grad_(true);
        *w = next;
        total += loss.item::<f32>() as f64;
        batches += 1;
    }
    Ok(total / batches as f64)
}

/// The mean squared error of `w` over a loader's epoch.
fn evaluate(loader: &mut DataLoader<Vec<Tensor>>, w: &Tensor) -> Result<f64> {
    let _no_grad = tessera_core::autograd::no_grad();
    let (mut sum, mut n) = (0.0, 0);
    for batch in loader.by_ref() {
        let batch = batch?;
        let diff = &batch[0].matmul(w) - &batch[1].unsqueeze(1);
        sum += (&diff * &diff).sum().item::<f32>() as f64;
        n += batch[0].shape()[0];
    }
    Ok(sum / n as f64)
}

fn main() -> Result<()> {
    // y = x . w_true + small noise
    let mut g = Generator::new(0);
    let n = 8192;
    let x = g.randn(&[n, FEATURES], tessera_core::DType::F32);
    let w_true = Tensor::arange(1.0, (FEATURES + 1) as f64).reshape([FEATURES as isize, 1]) / 4.0;
    let noise = g.randn(&[n, 1], tessera_core::DType::F32) * 0.01;
    let y = (&x.matmul(&w_true) + &noise).squeeze_dim(1);
    let data = TensorDataset::new(vec![x.clone(), y.clone()]);

    // 90% train, 10% validation, as random_split(data, [0.9, 0.1]).
    let parts = random_split_fractions(&data, &[0.9, 0.1], &mut Generator::new(1));
    let (train, val) = (parts[0].clone(), parts[1].clone());
    println!(
        "TensorDataset: {} rows, train {} / validation {}",
        data.len(),
        train.len(),
        val.len()
    );
    let mut train_loader = DataLoader::builder(train)
        .batch_size(64)
        .shuffle(true)
        .num_workers(2)
        .generator(Generator::new(2))
        .build();
    let mut val_loader = DataLoader::builder(val).batch_size(256).build();
    let mut w = Tensor::zeros(&[FEATURES, 1]);
    w.requires_grad_(true);
    for epoch in 0..4 {
        let loss = train_epoch(&mut train_loader, &mut w, 0.1)?;
        let val = evaluate(&mut val_loader, &w)?;
        println!("  epoch {epoch}: train loss {loss:.6}, validation MSE {val:.6}");
    }

    // The same data from .npy files on disk, memory-mapped, read by 2 workers that stay
    // up between epochs.
    let dir = std::env::temp_dir();
    let (px, py) = (
        dir.join("tessera_example_x.npy"),
        dir.join("tessera_example_y.npy"),
    );
    x.write_npy(&px)?;
    y.write_npy(&py)?;
    let on_disk = NpyDataset::open(&[&px, &py])?;
    println!("NpyDataset: {:?}", on_disk.shapes());
    let mut disk_loader = DataLoader::builder(on_disk)
        .batch_size(64)
        .shuffle(true)
        .num_workers(2)
        .persistent_workers(true)
        .generator(Generator::new(3))
        .build();
    let mut w = Tensor::zeros(&[FEATURES, 1]);
    w.requires_grad_(true);
    for epoch in 0..3 {
        let loss = train_epoch(&mut disk_loader, &mut w, 0.1)?;
        println!("  epoch {epoch}: train loss {loss:.6}");
    }

    // Stop in the middle of an epoch and resume in a new loader: the rest of the epoch
    // is exactly the batches not yet seen.
    for _ in 0..10 {
        disk_loader
            .next()
            .expect("an epoch has more than 10 batches")?;
    }
    let state = disk_loader.state_dict();
    let left: usize = disk_loader.by_ref().count();
    let mut resumed = DataLoader::builder(NpyDataset::open(&[&px, &py])?)
        .batch_size(64)
        .shuffle(true)
        .num_workers(2)
        .generator(Generator::new(3))
        .build();
    resumed.load_state_dict(state);
    println!(
        "resumed after 10 of {} batches: {} left, {} from the resumed loader",
        resumed.len(),
        left,
        resumed.by_ref().count()
    );
    std::fs::remove_file(px).ok();
    std::fs::remove_file(py).ok();
    Ok(())
}
