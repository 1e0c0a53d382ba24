//! tessera-models: torchvision-style models built from `tessera-nn`.
//!
//! [`resnet18`], [`resnet34`] and [`resnet50`] have torchvision's architecture and its
//! `state_dict` key names and shapes (checked against a committed list), so torchvision
//! weights load key for key with `load_state_dict`; [`resnet18_pretrained`] and friends
//! fetch torchvision's ImageNet checkpoints (or any URL or path) through the hub into
//! PyTorch's cache and load them. [`Mlp`] and [`SmallCnn`] are small models for examples.
//!
//! ```
//! use tessera_models::resnet18;
//! use tessera_nn::Module;
//! // skip_init: no random draws (weights are usually loaded next)
//! let m = tessera_nn::init::skip_init(|| resnet18(10));
//! let sd = m.state_dict();
//! assert_eq!(sd.len(), 122);
//! assert_eq!(sd["layer1.0.conv1.weight"].shape(), &[64, 64, 3, 3]);
//! assert_eq!(sd["fc.weight"].shape(), &[10, 512]);
//! ```
#![warn(missing_docs)]

mod pretrained;
mod resnet;
mod small;
mod strokes;

pub use pretrained::{resnet18_pretrained, resnet34_pretrained, resnet50_pretrained, Weights};
pub use resnet::{resnet18, resnet34, resnet50, BasicBlock, Bottleneck, ResNet};
pub use small::{Mlp, SmallCnn};
pub use strokes::synthetic_strokes;
