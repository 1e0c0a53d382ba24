//! The quantized dtypes ([`QDType`]), the quantization schemes ([`QScheme`]) and the
//! integer element types behind them ([`QElement`]).

use std::fmt;
use tessera_core::{DType, StorageElement};
use tessera_kernels::quant::QuantInt;

/// A quantized dtype, PyTorch's `torch.quint8`, `torch.qint8` and `torch.qint32`.
///
/// Each is stored as the integer dtype of the same width ([`QDType::int_dtype`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum QDType {
    /// `torch.quint8`: values 0..=255 in `u8`.
    QUInt8,
    /// `torch.qint8`: values -128..=127 in `i8`.
    QInt8,
    /// `torch.qint32`: values -2^31..=2^31-1 in `i32`.
    QInt32,
}

impl QDType {
    /// Every quantized dtype.
    pub const ALL: [QDType; 3] = [QDType::QUInt8, QDType::QInt8, QDType::QInt32];

    /// The integer dtype holding the values (`int_repr().dtype`): `U8`, `I8`, `I32`.
    pub fn int_dtype(self) -> DType {
        match self {
            QDType::QUInt8 => DType::U8,
            QDType::QInt8 => DType::I8,
            QDType::QInt32 => DType::I32,
        }
    }

    /// The quantized dtype stored as `dtype`, if any.
    pub fn from_int_dtype(dtype: DType) -> Option<QDType> {
        match dtype {
            DType::U8 => Some(QDType::QUInt8),
            DType::I8 => Some(QDType::QInt8),
            DType::I32 => Some(QDType::QInt32),
            _ => None,
        }
    }

    /// The smallest value (`torch.iinfo(int_dtype).min`).
    pub fn qmin(self) -> i64 {
        match self {
            QDType::QUInt8 => 0,
            QDType::QInt8 => -128,
            QDType::QInt32 => i32::MIN as i64,
        }
    }

    /// The largest value (`torch.iinfo(int_dtype).max`).
    pub fn qmax(self) -> i64 {
        match self {
            QDType::QUInt8 => 255,
            QDType::QInt8 => 127,
            QDType::QInt32 => i32::MAX as i64,
        }
    }

    /// Bytes per element.
    pub fn size_in_bytes(self) -> usize {
        self.int_dtype().size_in_bytes()
    }

    /// PyTorch's name: `torch.quint8`, `torch.qint8`, `torch.qint32`.
    pub fn torch_name(self) -> &'static str {
        match self {
            QDType::QUInt8 => "torch.quint8",
            QDType::QInt8 => "torch.qint8",
            QDType::QInt32 => "torch.qint32",
        }
    }

    /// The dtype named `name` (`"torch.quint8"` or `"quint8"`), if any.
    pub fn from_torch_name(name: &str) -> Option<QDType> {
        let n = name.strip_prefix("torch.").unwrap_or(name);
        QDType::ALL
            .into_iter()
            .find(|d| &d.torch_name()["torch.".len()..] == n)
    }
}

impl fmt::Display for QDType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.torch_name())
    }
}

/// How a tensor's values map to real numbers, PyTorch's `torch.qscheme`.
///
/// Quantized tensors are always affine (`PerTensorAffine`, `PerChannelAffine`), as in
/// PyTorch; the symmetric schemes tell an observer to pick a zero point in the middle of
/// the range (see [`crate::observer`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum QScheme {
    /// `torch.per_tensor_affine`: one scale and zero point.
    PerTensorAffine,
    /// `torch.per_channel_affine`: a scale and zero point per index of one axis.
    PerChannelAffine,
    /// `torch.per_tensor_symmetric`
    PerTensorSymmetric,
    /// `torch.per_channel_symmetric`
    PerChannelSymmetric,
}

impl QScheme {
    /// PyTorch's name: `torch.per_tensor_affine`, ...
    pub fn torch_name(self) -> &'static str {
        match self {
            QScheme::PerTensorAffine => "torch.per_tensor_affine",
            QScheme::PerChannelAffine => "torch.per_channel_affine",
            QScheme::PerTensorSymmetric => "torch.per_tensor_symmetric",
            QScheme::PerChannelSymmetric => "torch.per_channel_symmetric",
        }
    }

    /// The scheme named `name` (`"torch.per_tensor_affine"` or `"per_tensor_affine"`).
    pub fn from_torch_name(name: &str) -> Option<QScheme> {
        let n = name.strip_prefix("torch.").unwrap_or(name);
        [
            QScheme::PerTensorAffine,
            QScheme::PerChannelAffine,
            QScheme::PerTensorSymmetric,
            QScheme::PerChannelSymmetric,
        ]
        .into_iter()
        .find(|s| &s.torch_name()["torch.".len()..] == n)
    }

    /// Whether one scale and zero point cover the whole tensor.
    pub fn is_per_tensor(self) -> bool {
        matches!(self, QScheme::PerTensorAffine | QScheme::PerTensorSymmetric)
    }

    /// Whether the zero point is fixed at the middle of the range.
    pub fn is_symmetric(self) -> bool {
        matches!(
            self,
            QScheme::PerTensorSymmetric | QScheme::PerChannelSymmetric
        )
    }
}

impl fmt::Display for QScheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.torch_name())
    }
}

/// The integer types that hold quantized values: `u8`, `i8`, `i32`.
///
/// The generic quantize and dequantize loops are written once over this trait.
pub trait QElement: StorageElement + QuantInt + Copy + Send + Sync {
    /// The quantized dtype stored in this type.
    const QDTYPE: QDType;
    /// The value an `f64` already clamped to the type's range converts to.
    fn from_clamped(v: f64) -> Self;
    /// Whether PyTorch quantizes this type per tensor with FBGEMM's AVX2 kernel (`u8`
    /// and `i8`), whose int32 arithmetic wraps (see [`crate::quantize`]).
    const FBGEMM_PER_TENSOR: bool;
    /// The result of quantizing NaN in the `f32` path (per channel, and `qint32` per
    /// tensor): 0 for `quint8` and `qint8`, `i32::MIN` for `qint32` (PyTorch x86, 2.x).
    const NAN: Self;
}

macro_rules! impl_qelement {
    ($($t:ty => $q:ident, $fb:expr, $nan:expr);*) => {$(
        impl QElement for $t {
            const QDTYPE: QDType = QDType::$q;
            #[inline]
            fn from_clamped(v: f64) -> Self {
                v as $t
            }
            const FBGEMM_PER_TENSOR: bool = $fb;
            const NAN: Self = $nan;
        }
    )*};
}
impl_qelement!(u8 => QUInt8, true, 0; i8 => QInt8, true, 0; i32 => QInt32, false, i32::MIN);

/// Runs `$body` with `$t` bound to the integer type of the quantized dtype `$q`.
#[macro_export]
#[doc(hidden)]
macro_rules! qdispatch {
    ($q:expr, $t:ident => $body:expr) => {
        match $q {
            $crate::QDType::QUInt8 => {
                type $t = u8;
                $body
            }
            $crate::QDType::QInt8 => {
                type $t = i8;
                $body
            }
            $crate::QDType::QInt32 => {
                type $t = i32;
                $body
            }
        }
    };
}
