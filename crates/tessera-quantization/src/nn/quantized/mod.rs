//! `torch.ao.nn.quantized` (and the fused `torch.ao.nn.intrinsic.quantized` modules):
//! [`Linear`], [`LinearReLU`], [`Conv2d`], [`ConvReLU2d`], [`ReLU`], [`Quantize`] and
//! [`DeQuantize`] (what `QuantStub`/`DeQuantStub` become), [`QFunctional`] (quantized
//! `add`), [`MaxPool2d`] and [`AdaptiveAvgPool2d`] on quantized tensors, and the ops they
//! run in [`functional`].
//!
//! The arithmetic is PyTorch's `fbgemm` engine's, bit for bit: `Linear` and `Conv2d` run
//! the u8 x i8 kernels of `tessera_kernels::quant` (VNNI where the CPU has it) with
//! FBGEMM's requantization; see the tests in `tests/qmodules.rs`, which compare with
//! committed PyTorch outputs.
//!
//! Quantized convolutions, like PyTorch's, return channels-last tensors (an NCHW view of
//! NHWC memory), so a chain of quantized layers never transposes; any layout is accepted.

mod conv;
pub mod functional;
mod layout;
mod linear;
mod modules;
mod pool;

pub use conv::PackedConv2d;
pub use linear::PackedLinear;
pub use modules::{
    AdaptiveAvgPool2d, Conv2d, ConvReLU2d, DeQuantize, Linear, LinearReLU, MaxPool2d, QFunctional,
    Quantize, ReLU,
};
