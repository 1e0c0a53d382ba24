//! tessera-quantization: PyTorch's `torch.ao.quantization` (`tessera::quantization`).
//!
//! - Quantized tensors: [`QTensor`] with the dtypes [`QDType`] (`quint8`, `qint8`,
//!   `qint32`), [`quantize_per_tensor`], [`quantize_per_channel`],
//!   [`QTensor::dequantize`], [`QTensor::int_repr`], views that keep the quantization,
//!   and [`cat`]; the arithmetic is PyTorch's bit for bit (see [`quantize`]).
//!
//! Quantized tensors are a type of this crate rather than a dtype of core: see
//! [`QTensor`]'s module docs for why.
#![warn(missing_docs)]

pub mod nn;
mod qtensor;
mod qtype;
pub mod quantize;
mod views;

pub use qtensor::{quantize_per_channel, quantize_per_tensor, QParams, QTensor};
pub use qtype::{QDType, QElement, QScheme};
pub use views::cat;
