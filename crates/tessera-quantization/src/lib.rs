//! tessera-quantization: PyTorch's `torch.ao.quantization` (`tessera::quantization`).
//!
//! - Quantized tensors: [`QTensor`] with the dtypes [`QDType`] (`quint8`, `qint8`,
//!   `qint32`), [`quantize_per_tensor`], [`quantize_per_channel`],
//!   [`QTensor::dequantize`], [`QTensor::int_repr`], views that keep the quantization,
//!   and [`cat`]; the arithmetic is PyTorch's bit for bit (see [`quantize`]).
//! - Observers ([`observer`]): `MinMaxObserver`, `MovingAverageMinMaxObserver`,
//!   `PerChannelMinMaxObserver`, `HistogramObserver`, `PlaceholderObserver`, ... with
//!   PyTorch's `calculate_qparams`.
//! - [`QConfig`] (an activation and a weight observer factory) and [`QConfigMapping`]
//!   with PyTorch's precedence; [`get_default_qconfig_mapping`].
//! - [`FakeQuantize`] and the `fake_quantize_*` functions, with the straight-through
//!   gradient.
//! - [`QStorage`] (`QUInt8Storage`, ...): the raw values as bytes, shared with views;
//!   printing as PyTorch prints.
//! - `.pth` files: [`QTensor::to_record`] / [`QTensor::from_record`] with tessera-io's
//!   `_rebuild_qtensor` records.
//!
//! - Quantized modules ([`nn::quantized`]): `Linear`, `Conv2d`, their fused ReLU forms,
//!   quantized `add`, `relu` and pooling, on the int8 kernels of `tessera_kernels::quant`
//!   with PyTorch fbgemm's arithmetic bit for bit.
//! - The eager post-training flow: [`fuse_modules`], [`prepare`] with a
//!   [`QConfigMapping`], calibration, [`convert`], with [`QuantStub`] and [`DeQuantStub`];
//!   residual models through [`FloatFunctional`] ([`models::QuantizableResNet`], torchvision's
//!   quantizable ResNet-18 with its `fuse_model`); a converted model's state dict with
//!   PyTorch's keys ([`QuantizedModel::state_dict`], [`QuantizedModel::load_state_dict`]).
//!
//! Quantized tensors are a type of this crate rather than a dtype of core: see
//! [`QTensor`]'s module docs for why.
#![warn(missing_docs)]

pub mod dict;
mod display;
mod eager;
mod fake_quantize;
pub mod models;
pub mod nn;
mod pth;
mod qconfig;
mod qconfig_mapping;
mod qtensor;
mod qtype;
pub mod quantize;
mod storage;
mod views;

pub use eager::{
    convert, fuse_conv_bn_weights, fuse_modules, prepare, ConvReLU2d, DeQuantStub, FloatFunctional,
    LinearReLU, PreparedModel, QValue, QuantStub, QuantizedModel,
};
pub use fake_quantize::{
    fake_quantize_per_channel_affine, fake_quantize_per_tensor_affine, FakeQuantize,
};
pub use qconfig::{
    default_per_channel_weight_observer, default_weight_observer, get_default_qconfig,
    get_default_qconfig_mapping, QConfig,
};
pub use qconfig_mapping::QConfigMapping;
pub use qtensor::{quantize_per_channel, quantize_per_tensor, QParams, QTensor};
pub use qtype::{QDType, QElement, QScheme};
pub use storage::{QInt32Storage, QInt8Storage, QStorage, QUInt8Storage};
pub use views::cat;

pub mod observer;
