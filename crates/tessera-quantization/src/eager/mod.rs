//! Eager-mode post-training quantization (`torch.ao.quantization.{fuse_modules, prepare,
//! convert}`, `QuantStub`, `DeQuantStub`) for models built from `Sequential` trees of
//! tessera-nn layers.
//!
//! ```
//! use tessera_core::Tensor;
//! use tessera_nn::{functional::ConvOptions, BatchNorm2d, Conv2d, Module, ReLU, Sequential};
//! use tessera_quantization::*;
//! let model = Sequential::new()
//!     .append(QuantStub)
//!     .append(Conv2d::new(3, 8, 3, ConvOptions::default().padding(1), true))
//!     .append(BatchNorm2d::new(8))
//!     .append(ReLU)
//!     .append(DeQuantStub);
//! model.eval();
//! let fused = fuse_modules(&model, &[&["1", "2", "3"]]); // Conv2d+BatchNorm2d+ReLU
//! let x = Tensor::randn(&[2, 3, 8, 8]);
//! let prepared = prepare(&fused, &get_default_qconfig_mapping("fbgemm"), &[x.clone()]);
//! prepared.forward(&x); // calibration: the observers record ranges
//! let quantized = convert(&prepared); // int8 modules
//! let y = quantized.forward(&x);
//! assert_eq!(y.shape(), &[2, 8, 8, 8]);
//! ```
//!
//! As in PyTorch's eager mode, the model says where tensors are quantized and
//! dequantized with [`QuantStub`] and [`DeQuantStub`]; layers whose qconfig resolves to
//! `None` stay f32 (see "Layers left in f32" below: a `QuantStub` is needed after them when
//! quantized layers follow).
//!
//! # What a model may contain
//! `Sequential` (nested), `Conv2d`, `Linear`, `BatchNorm2d` (folded by [`fuse_modules`]),
//! `ReLU`, `MaxPool2d`, `AdaptiveAvgPool2d`, `Flatten`, `Identity`, [`QuantStub`],
//! [`DeQuantStub`], the fused [`ConvReLU2d`] and [`LinearReLU`], and the quantizable
//! models of [`crate::models`] (a ResNet's residual blocks, whose add goes through a
//! [`FloatFunctional`]). A module with its own `forward` cannot be followed (tessera-nn has
//! no forward hooks), so the flow knows each of these types' forward and panics on anything
//! else, naming it. The copies these functions make share the parameters' storage with
//! the original model.
//!
//! # Layers left in f32
//! A layer whose qconfig resolves to `None` stays f32. Given a quantized input it
//! dequantizes it first (as FX-mode `convert` inserts a `dequantize`; PyTorch's eager
//! mode would fail there), so trailing layers (a classifier head) can be left in f32
//! by name alone. The way back, f32 into a quantized layer, needs a [`QuantStub`] (its
//! observer gives the qparams); without one the converted model panics and says so.

mod convert;
mod fuse;
mod modules;
mod prepare;
mod state;
mod tree;

pub use convert::{convert, QValue, QuantizedModel};
pub(crate) use fuse::fuse_group;
pub use fuse::{fuse_conv_bn_weights, fuse_modules};
pub use modules::{ConvReLU2d, DeQuantStub, FloatFunctional, LinearReLU, QuantStub};
pub use prepare::{prepare, PreparedModel};
