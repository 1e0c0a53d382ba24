//! tessera-models: torchvision-style models built from `tessera-nn`.
//!
//! [`resnet18`], [`resnet34`] and [`resnet50`] have torchvision's architecture and its
//! `state_dict` key names and shapes (checked against a committed list), so torchvision
//! weights load key for key with `load_state_dict`. [`Mlp`] and [`SmallCnn`] are small
//! models for examples.
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

mod resnet;
mod small;

pub use resnet::{resnet18, resnet34, resnet50, BasicBlock, Bottleneck, ResNet};
pub use small::{Mlp, SmallCnn};
