//! Pretrained weights (`torchvision.models.resnet18(weights=...)`): torchvision's published
//! ImageNet checkpoints, or any checkpoint by URL or path, fetched through
//! [`tessera_hub::load_state_dict_from_url`] into PyTorch's own cache (so a checkpoint that
//! PyTorch downloaded is reused, and the reverse) and loaded with `load_state_dict`
//! (strict: every key and shape must match).

use crate::resnet::{resnet18, resnet34, resnet50, ResNet};
use std::path::PathBuf;
use tessera_core::{Error, Result, StateDict};
use tessera_nn::Module;

/// Where a model's weights come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Weights {
    /// torchvision's `IMAGENET1K_V1` checkpoint of the architecture (1000 classes), from
    /// `download.pytorch.org`, checked against the sha256 prefix in its file name.
    ImageNet1kV1,
    /// A checkpoint at a URL (`http://`, `https://` or `file://`), cached under
    /// `hub::get_dir()/checkpoints`; a file name of the form `name-<hex>.pth` is checked
    /// against that sha256 prefix, as PyTorch's `check_hash` does.
    Url(String),
    /// A checkpoint file (`.pth`, read in place, never copied into the cache).
    Path(PathBuf),
}

/// torchvision's `IMAGENET1K_V1` URLs (the hex in each name is the prefix of the file's
/// sha256).
fn imagenet_url(arch: &str) -> &'static str {
    match arch {
        "resnet18" => "https://download.pytorch.org/models/resnet18-f37072fd.pth",
        "resnet34" => "https://download.pytorch.org/models/resnet34-b627a593.pth",
        _ => "https://download.pytorch.org/models/resnet50-0676ba61.pth",
    }
}

/// The checkpoint's state dict.
fn fetch(arch: &str, weights: &Weights, progress: bool) -> Result<StateDict> {
    match weights {
        Weights::ImageNet1kV1 => {
            tessera_hub::load_state_dict_from_url(imagenet_url(arch), None, progress, true, None)
        }
        Weights::Url(url) => tessera_hub::load_state_dict_from_url(url, None, progress, true, None),
        Weights::Path(p) => tessera_io::load_state_dict(p),
    }
}

/// Builds `arch` with as many classes as the checkpoint's `fc.weight` has rows, and loads
/// the checkpoint into it, strictly.
fn pretrained(
    arch: &str,
    build: fn(usize) -> ResNet,
    weights: &Weights,
    progress: bool,
) -> Result<ResNet> {
    let sd = fetch(arch, weights, progress)?;
    let classes = sd
        .get("fc.weight")
        .filter(|w| w.dim() == 2)
        .map(|w| w.shape()[0])
        .ok_or_else(|| {
            Error::Msg(format!(
                "{arch}: the checkpoint has no 2-D fc.weight, so it is not a {arch} state dict"
            ))
        })?;
    // No random initialization: every value is overwritten by the checkpoint.
    let model = tessera_nn::init::skip_init(|| build(classes));
    model.load_state_dict(&sd, true)?;
    model.eval();
    Ok(model)
}

/// ResNet-18 with pretrained weights (`torchvision.models.resnet18(weights=...)`), in
/// eval mode. `progress` shows a progress bar on stderr while downloading.
///
/// ```no_run
/// use tessera_models::{resnet18_pretrained, Weights};
/// // Downloads torchvision's checkpoint into PyTorch's cache (or finds it there).
/// let model = resnet18_pretrained(&Weights::ImageNet1kV1, true)?;
/// # Ok::<(), tessera_core::Error>(())
/// ```
///
/// # Errors
/// A download, cache, hash or file error (see `tessera_hub::load_state_dict_from_url`), a
/// checkpoint that `tessera::load` cannot read, or one whose keys or shapes are not
/// ResNet-18's (`load_state_dict`'s missing and unexpected keys).
pub fn resnet18_pretrained(weights: &Weights, progress: bool) -> Result<ResNet> {
    pretrained("resnet18", resnet18, weights, progress)
}

/// ResNet-34 with pretrained weights, as [`resnet18_pretrained`].
///
/// # Errors
/// As [`resnet18_pretrained`].
pub fn resnet34_pretrained(weights: &Weights, progress: bool) -> Result<ResNet> {
    pretrained("resnet34", resnet34, weights, progress)
}

/// ResNet-50 with pretrained weights, as [`resnet18_pretrained`].
///
/// # Errors
/// As [`resnet18_pretrained`].
pub fn resnet50_pretrained(weights: &Weights, progress: bool) -> Result<ResNet> {
    pretrained("resnet50", resnet50, weights, progress)
}
