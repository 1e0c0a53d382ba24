//! [`QTensorRecord`]: a quantized tensor as a `.pth` file holds it (PyTorch's
//! `torch._utils._rebuild_qtensor`): its integer values over a `QUInt8Storage`,
//! `QInt8Storage` or `QInt32Storage`, and its quantizer parameters. tessera-io only
//! reads and writes the record; `tessera-quantization` turns it into a quantized tensor
//! (io does not depend on it).

use tessera_core::Tensor;

/// A quantized tensor in a `.pth` file: `values` is the integer tensor (`U8` for
/// `quint8`, `I8` for `qint8`, `I32` for `qint32`) over the file's storage, with the
/// file's size, stride and offset.
#[derive(Clone, Debug)]
pub struct QTensorRecord {
    /// The quantized values, as the integer dtype of the same width.
    pub values: Tensor,
    /// The quantizer parameters.
    pub params: QParamsRecord,
    /// The `requires_grad` flag the file gives.
    pub requires_grad: bool,
}

/// The quantizer parameters of a [`QTensorRecord`] (the `quantizer_params` tuple of
/// `_rebuild_qtensor`).
#[derive(Clone, Debug)]
pub enum QParamsRecord {
    /// `(torch.per_tensor_affine, scale, zero_point)`
    PerTensorAffine {
        /// The scale.
        scale: f64,
        /// The zero point.
        zero_point: i64,
    },
    /// `(torch.per_channel_affine, scales, zero_points, axis)`
    PerChannelAffine {
        /// The scales (`float64` in PyTorch's files).
        scales: Tensor,
        /// The zero points (`int64`).
        zero_points: Tensor,
        /// The channel axis.
        axis: i64,
    },
}

impl QTensorRecord {
    /// PyTorch's storage class for the values' dtype: `QUInt8Storage`, `QInt8Storage` or
    /// `QInt32Storage` (`None` for another dtype).
    pub fn storage_name(&self) -> Option<&'static str> {
        match self.values.dtype() {
            tessera_core::DType::U8 => Some("QUInt8Storage"),
            tessera_core::DType::I8 => Some("QInt8Storage"),
            tessera_core::DType::I32 => Some("QInt32Storage"),
            _ => None,
        }
    }
}
