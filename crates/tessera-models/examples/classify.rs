//! Classifies an image with a ResNet-18 whose weights come through
//! `tessera_hub::load_state_dict_from_url` (torch.hub's function), and prints the top 5.
//!
//! ```sh
//! cargo run --release -p tessera-models --example classify
//! cargo run --release -p tessera-models --example classify -- \
//!     --weights https://download.pytorch.org/models/resnet18-f37072fd.pth --input img.npy
//! ```
//!
//! `--weights` takes an `http(s)://` or `file://` URL or a path (default: a checkpoint of
//! the formula weights of `scripts/make_nn_data.py`, written to a temporary folder as
//! `resnet18-<sha256 prefix>.pth` and loaded through its `file://` URL with the hash
//! checked). `--input` takes a `.npy` of a preprocessed image batch `[N, 3, H, W]`, f32,
//! normalized as torchvision does (default: the script's formula image `[1, 3, 64, 64]`,
//! for which `tests/data/resnet18_logits.txt` holds PyTorch's logits; the test below
//! checks that this example's logits equal them). With torchvision's `IMAGENET1K_V1`
//! weights the printed indices are ImageNet classes.

#[path = "common/formula.rs"]
mod formula;

use std::path::Path;
use tessera_core::{Result, Tensor};
use tessera_models::{resnet18, ResNet};
use tessera_nn::Module;

/// Writes the formula checkpoint to `dir` as `resnet18-<sha256[..8]>.pth` (torch.hub's
/// naming, so the hash is checked on load) and returns its `file://` URL.
fn formula_checkpoint(dir: &Path) -> Result<String> {
    use sha2::{Digest, Sha256};
    let sd = formula::formula_weights(&tessera_nn::init::skip_init(|| resnet18(1000)));
    let bytes = tessera_io::save_bytes(&sd)?;
    let hex: String = Sha256::digest(&bytes)[..4]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let path = dir.join(format!("resnet18-{hex}.pth"));
    std::fs::write(&path, &bytes)
        .map_err(|e| tessera_core::Error::io("writing the checkpoint", e))?;
    Ok(format!("file://{}", path.display()))
}

/// ResNet-18 (eval mode) with the state dict at `url`, fetched into `model_dir` (or
/// read in place for `file://` URLs and paths), hash-checked when the name has one.
fn load_model(url: &str, model_dir: &Path) -> Result<ResNet> {
    let sd = tessera_hub::load_state_dict_from_url(url, Some(model_dir), true, true, None)?;
    let classes = sd.get("fc.weight").map_or(1000, |w| w.shape()[0]);
    let model = tessera_nn::init::skip_init(|| resnet18(classes));
    model.load_state_dict(&sd, true)?;
    model.eval();
    Ok(model)
}

/// The logits `[N, classes]` of `model` for `x`.
fn logits(model: &ResNet, x: &Tensor) -> Tensor {
    let _g = tessera_core::autograd::no_grad();
    model.forward(x)
}

/// The `k` largest probabilities of a row of logits, with their class indices.
fn top_k(row: &Tensor, k: usize) -> Vec<(usize, f32)> {
    let p = row.softmax(-1).to_vec::<f32>();
    let mut idx: Vec<usize> = (0..p.len()).collect();
    idx.sort_by(|&a, &b| p[b].total_cmp(&p[a]));
    idx.into_iter().take(k).map(|i| (i, p[i])).collect()
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1).cloned())
    };
    let dir = tempfile::tempdir().map_err(|e| tessera_core::Error::io("temp dir", e))?;
    let url = match arg("--weights") {
        Some(u) => u,
        None => formula_checkpoint(dir.path())?,
    };
    let model = load_model(&url, &dir.path().join("checkpoints"))?;
    let x = match arg("--input") {
        Some(p) => Tensor::read_npy(p)?.to_dtype(tessera_core::DType::F32),
        None => formula::formula_input(),
    };
    let y = logits(&model, &x);
    println!("weights: {url}");
    for n in 0..y.size(0) {
        println!("image {n}: top 5 (class index, probability)");
        for (class, p) in top_k(&y.select(0, n as isize), 5) {
            println!("  {class:4}  {p:.4}");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logits_through_the_hub_equal_pytorchs() {
        let dir = tempfile::tempdir().unwrap();
        let url = formula_checkpoint(dir.path()).unwrap();
        let model = load_model(&url, &dir.path().join("checkpoints")).unwrap();
        let got = logits(&model, &formula::formula_input());
        let want = formula::pytorch_logits();
        let got_v = got.to_vec::<f32>();
        assert_eq!(got_v.len(), want.len());
        let scale = want.iter().fold(0f32, |a, v| a.max(v.abs()));
        let worst = got_v
            .iter()
            .zip(&want)
            .map(|(a, b)| (a - b).abs())
            .fold(0f32, f32::max);
        // f32 through 20 layers: agreement to 1e-4 of the logits' scale.
        assert!(worst <= 1e-4 * scale, "worst {worst} (scale {scale})");
        // The same top 5 as PyTorch's logits, in the same order.
        let ours: Vec<usize> = top_k(&got.select(0, 0), 5).iter().map(|c| c.0).collect();
        let theirs: Vec<usize> = top_k(&Tensor::from_vec(want, &[1000]), 5)
            .iter()
            .map(|c| c.0)
            .collect();
        assert_eq!(ours, theirs);
        // A corrupt hash prefix in the name is an error, as in torch.hub.
        let bad = url.replace("resnet18-", "resnet18-0");
        std::fs::copy(
            url.trim_start_matches("file://"),
            bad.trim_start_matches("file://"),
        )
        .unwrap();
        assert!(load_model(&bad, &dir.path().join("checkpoints")).is_err());
    }
}
