//! int8 kernels for quantized inference: a u8 x i8 -> i32 GEMM with FBGEMM's
//! requantization, a quantized 2-D convolution on NHWC u8 images built on it, and the
//! per-element steps around them (per-tensor [`quantize_fbgemm`] and [`dequantize`], the
//! quantized [`add_u8`]).
//!
//! These are the kernels behind PyTorch's `quantized::linear` and `quantized::conv2d` on the
//! `fbgemm` engine, reproduced bit for bit:
//!
//! - activations are `u8` with a zero point (`quint8`), weights `i8` (`qint8`) with per-tensor
//!   or per-output-channel scales and zero points, packed once into a [`PackedWeightI8`]
//!   (column offsets precomputed);
//! - the products accumulate exactly in `i32` (wrapping, as the hardware does), then
//!   `acc - a_zp * col_offset[j] - row_offset[i] * w_zp[j]` is the exact
//!   `sum_k (a - a_zp)(w - w_zp)`;
//! - the f32 bias is folded in as FBGEMM's `ReQuantizeOutput<.., float>` does: divided by
//!   `act_times_w_scale = a_scale * w_scale[j]` (per channel), or multiplied by the f32
//!   rounding of the f64 reciprocal `1.0 / act_times_w_scale` (per tensor), and added to the
//!   accumulator converted to f32;
//! - that sum is multiplied by the f32 multiplier `act_times_w_scale / out_scale`, rounded
//!   to nearest even, the output zero point added, and the result clamped to `[0, 255]`
//!   (`[out_zp, 255]` with a fused ReLU). A NaN or out-of-range product becomes `i32::MIN`
//!   before the clamp, as `cvtps2dq` makes it.
//!
//! See [`Requant`] for the exact sequence of f32 operations.
//!
//! # Backends
//! AVX-512 with VNNI (`vpdpbusd`), AVX2 (widening `vpmaddwd`, exact: no `vpmaddubsw`
//! saturation) and portable scalar code. The integer sums are exact on every path and the
//! requantization is the same f32 operations in the same order, so every backend gives
//! identical bytes. The backend follows the crate's [`crate::current_backend`]: `V4` runs the
//! VNNI kernel when the CPU has `avx512vnni` (else the AVX2 one), `V3` the AVX2 kernel.
//!
//! # Why hand-rolled
//! No crate offers a u8 x i8 GEMM with FBGEMM's requantization (the `gemm` crate is float
//! only; no Rust crate exposes VNNI int8 GEMM), so the micro-kernels are written here with
//! `std::arch` intrinsics behind runtime feature detection.
//!
//! # Threads
//! Like every kernel in this crate, these are single-threaded: [`qgemm_u8i8`] computes the
//! rows it is given, [`qconv2d_nhwc`] a range of output pixels, and [`qgemm_u8i8_panels`]
//! and [`qconv2d_nhwc_panels`] a range of output-channel panels (the split to use when the
//! weights are larger than the input); callers split the work across their thread pool.

mod add;
mod conv;
mod gemm;
mod pack;
mod quantize;
mod requant;
mod transpose;
#[cfg(target_arch = "x86_64")]
mod x86;

pub use add::{add_u8, QAddParams};
pub use conv::{qconv2d_nhwc, qconv2d_nhwc_panels, Conv2dShape, PackedConvWeightI8};
pub use gemm::{qgemm_u8i8, qgemm_u8i8_panels, qgemm_u8i8_reference};
pub use pack::{PackedWeightI8, WeightQuant, PANEL_COLS};
pub use quantize::{dequantize, quantize_fbgemm, QuantInt};
pub use requant::{QGemmParams, Requant};
pub use transpose::transpose_u8;

use crate::dispatch::{current_backend, Backend};

/// The int8 code path a call takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Path {
    Scalar,
    #[cfg(target_arch = "x86_64")]
    Avx2,
    #[cfg(target_arch = "x86_64")]
    Vnni,
}

/// The path for the current backend (see the module docs).
pub(crate) fn path() -> Path {
    match current_backend() {
        #[cfg(target_arch = "x86_64")]
        Backend::V4 if x86::has_vnni() => Path::Vnni,
        #[cfg(target_arch = "x86_64")]
        Backend::V4 | Backend::V3 => Path::Avx2,
        _ => Path::Scalar,
    }
}
