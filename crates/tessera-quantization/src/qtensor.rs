//! [`QTensor`]: a quantized tensor, its quantization parameters ([`QParams`]), and the
//! functions that make one (`quantize_per_tensor`, `quantize_per_channel`) and read it.
//!
//! # Why a separate type
//! PyTorch keeps quantized tensors in `torch.Tensor` with a quantized dtype. tessera keeps
//! them in their own type, in this crate: an integer core [`Tensor`] (`u8`, `i8` or `i32`)
//! plus its [`QParams`]. The arithmetic of quantized values (quantize, dequantize,
//! requantize, the int8 kernels) is this crate's, as DESIGN.md asks, and core needs no
//! quantized dtype. The integer tensor is a view like any other: `reshape`, `select`,
//! `narrow`, ... on a `QTensor` make views of the same storage and carry the parameters
//! (a per-channel axis follows the dims). The price: a `QTensor` is not a `Tensor`, so
//! core's float ops do not take one; [`QTensor::dequantize`] gives the float tensor.

use crate::qdispatch;
use crate::qtype::{QDType, QElement, QScheme};
use crate::quantize::{
    dequantize_slice_per_channel, dequantize_slice_per_tensor, quantize_slice_per_channel,
    quantize_slice_per_tensor,
};
use std::sync::Arc;
use tessera_core::{DType, Tensor};

/// The quantization parameters of a [`QTensor`].
#[derive(Clone, Debug, PartialEq)]
pub enum QParams {
    /// One scale and zero point (`torch.per_tensor_affine`).
    PerTensor {
        /// The step between adjacent quantized values.
        scale: f64,
        /// The quantized value that stands for 0.0.
        zero_point: i64,
    },
    /// A scale and zero point per index of `axis` (`torch.per_channel_affine`).
    PerChannel {
        /// One scale per channel.
        scales: Arc<[f64]>,
        /// One zero point per channel.
        zero_points: Arc<[i64]>,
        /// The channel dimension.
        axis: usize,
    },
}

/// A quantized tensor (`torch.quint8`, `torch.qint8`, `torch.qint32`): integer values
/// and the [`QParams`] that map them to reals, `real = (q - zero_point) * scale`.
///
/// Cloning the handle shares the values (as [`Tensor`]'s `clone` does);
/// [`QTensor::deep_clone`] copies them.
///
/// ```
/// use tessera_core::tensor;
/// use tessera_quantization::{quantize_per_tensor, QDType, QScheme};
/// let x = tensor!([-1.0, 0.0, 0.25, 0.3, 100.0]);
/// let q = quantize_per_tensor(&x, 0.1, 10, QDType::QUInt8);
/// assert_eq!(q.int_repr().to_vec::<u8>(), vec![0, 10, 12, 13, 255]);
/// assert_eq!(q.qscheme(), QScheme::PerTensorAffine);
/// assert_eq!(q.dequantize().to_vec::<f32>(), vec![-1.0, 0.0, 0.2, 0.3, 24.5]);
/// ```
#[derive(Clone)]
pub struct QTensor {
    pub(crate) values: Tensor,
    pub(crate) qdtype: QDType,
    pub(crate) params: QParams,
}

/// PyTorch's name of a core dtype in its "got Double" messages.
fn scalar_type_name(d: DType) -> &'static str {
    match d {
        DType::Bool => "Bool",
        DType::U8 => "Byte",
        DType::I8 => "Char",
        DType::I32 => "Int",
        DType::I64 => "Long",
        DType::F32 => "Float",
        DType::F64 => "Double",
    }
}

/// Panics with PyTorch's text if `zero_point` is outside `dtype`'s range.
fn check_zero_point(op: &str, zero_point: i64, dtype: QDType) {
    if zero_point > dtype.qmax() {
        panic!("{op} zero_point {zero_point} is above upper bound.");
    }
    if zero_point < dtype.qmin() {
        panic!("{op} zero_point {zero_point} is below lower bound.");
    }
}

/// Panics unless `scale` is a positive finite number that stays positive and finite in
/// `f32` (PyTorch accepts any scale and saturates every value for 0 or NaN; tessera
/// refuses such a scale rather than return meaningless values).
fn check_scale(op: &str, scale: f64) {
    let s = scale as f32;
    if !(scale > 0.0 && s.is_finite() && s > 0.0 && (1.0f32 / s).is_finite()) {
        panic!(
            "{op}: scale must be positive and finite as an f32 with a finite reciprocal, got {scale}"
        );
    }
}

/// `[outer, channels, inner]` for a contiguous tensor of `shape` split at `axis`.
pub(crate) fn split_at_axis(shape: &[usize], axis: usize) -> (usize, usize, usize) {
    let outer = shape[..axis].iter().product();
    let inner = shape[axis + 1..].iter().product();
    (outer, shape[axis], inner)
}

/// `torch.quantize_per_tensor(x, scale, zero_point, dtype)`: each value becomes
/// `clamp(zero_point + round_half_even(x * (1/scale)), qmin, qmax)` with PyTorch's exact
/// `f32` arithmetic (see [`crate::quantize`] for the rounding, saturation and NaN rules).
/// The result is contiguous.
///
/// # Panics
/// If `x` is not `F32` (PyTorch's "Quantize only works on Float Tensor, got Double"), if
/// `zero_point` is outside the dtype's range (PyTorch's "quantize_tensor_per_tensor_affine
/// zero_point 256 is above upper bound."), or if `scale` is not positive and finite
/// (PyTorch accepts it and saturates; tessera refuses).
pub fn quantize_per_tensor(x: &Tensor, scale: f64, zero_point: i64, dtype: QDType) -> QTensor {
    if x.dtype() != DType::F32 {
        panic!(
            "Quantize only works on Float Tensor, got {}",
            scalar_type_name(x.dtype())
        );
    }
    check_zero_point("quantize_tensor_per_tensor_affine", zero_point, dtype);
    check_scale("quantize_per_tensor", scale);
    let values = x.with_contiguous(|s: &[f32]| {
        qdispatch!(dtype, T => {
            let mut out = vec![0 as T; s.len()];
            quantize_slice_per_tensor(s, &mut out, scale, zero_point);
            Tensor::from_vec(out, x.shape())
        })
    });
    QTensor {
        values,
        qdtype: dtype,
        params: QParams::PerTensor { scale, zero_point },
    }
}

/// `torch.quantize_per_channel(x, scales, zero_points, axis, dtype)`: like
/// [`quantize_per_tensor`] with the scale and zero point of each index along `axis`.
/// `scales` may be any float tensor (kept as `f64`, as PyTorch keeps them), `zero_points`
/// any integer tensor.
///
/// ```
/// use tessera_core::{tensor, Tensor};
/// use tessera_quantization::{quantize_per_channel, QDType};
/// let x = tensor!([[0.5, 1.0], [0.5, 1.0]]);
/// let scales = Tensor::from_vec(vec![0.5f64, 0.25], &[2]);
/// let zps = Tensor::from_vec(vec![0i64, -1], &[2]);
/// let q = quantize_per_channel(&x, &scales, &zps, 1, QDType::QInt8);
/// assert_eq!(q.int_repr().to_vec::<i8>(), vec![1, 3, 1, 3]);
/// assert_eq!(q.q_per_channel_axis(), 1);
/// ```
///
/// # Panics
/// With PyTorch's texts: `x` not `F32`; `axis` outside `[0, x.dim())` (negative axes
/// included, as in PyTorch); `scales` or `zero_points` not 1-dim, of different lengths, or
/// not as long as dim `axis`; a zero point out of range. Also if a scale is not positive
/// and finite (PyTorch accepts it).
pub fn quantize_per_channel(
    x: &Tensor,
    scales: &Tensor,
    zero_points: &Tensor,
    axis: isize,
    dtype: QDType,
) -> QTensor {
    if x.dtype() != DType::F32 {
        panic!(
            "quantize_tensor_per_channel_affine expects a Float Tensor, got {}",
            scalar_type_name(x.dtype())
        );
    }
    let (scales, zero_points) = per_channel_params(x.shape(), scales, zero_points, axis);
    for &z in zero_points.iter() {
        check_zero_point("quantize_tensor_per_channel_affine", z, dtype);
    }
    for &s in scales.iter() {
        check_scale("quantize_per_channel", s);
    }
    let axis = axis as usize;
    let (_, _, inner) = split_at_axis(x.shape(), axis);
    let values = x.with_contiguous(|s: &[f32]| {
        qdispatch!(dtype, T => {
            let mut out = vec![0 as T; s.len()];
            quantize_slice_per_channel(s, &mut out, &scales, &zero_points, inner);
            Tensor::from_vec(out, x.shape())
        })
    });
    QTensor {
        values,
        qdtype: dtype,
        params: QParams::PerChannel {
            scales,
            zero_points,
            axis,
        },
    }
}

/// Checks per-channel parameters against `shape` with PyTorch's texts and reads them.
fn per_channel_params(
    shape: &[usize],
    scales: &Tensor,
    zero_points: &Tensor,
    axis: isize,
) -> (Arc<[f64]>, Arc<[i64]>) {
    if scales.dim() != 1 {
        panic!("scale tensor must have dimension 1");
    }
    if zero_points.dim() != 1 {
        panic!("zero_points tensor must have dimension 1");
    }
    if scales.numel() != zero_points.numel() {
        panic!("number of elements in scales and zero_points must match");
    }
    if axis < 0 || axis as usize >= shape.len() {
        panic!(
            "Channel axis out of range in per channel affine quantization. Got: {axis}Expected: [0, {})",
            shape.len()
        );
    }
    let channels = shape[axis as usize];
    if scales.numel() != channels {
        panic!(
            "length of scales must equal to channel, expected {channels} got, {}",
            scales.numel()
        );
    }
    if !scales.dtype().is_float() {
        panic!(
            "quantize_per_channel: scales must be a float tensor, got {}",
            scales.dtype()
        );
    }
    if !zero_points.dtype().is_int() {
        panic!(
            "quantize_per_channel: zero_points must be an integer tensor, got {}",
            zero_points.dtype()
        );
    }
    let s: Vec<f64> = scales.to_dtype(DType::F64).to_vec();
    let z: Vec<i64> = zero_points.to_dtype(DType::I64).to_vec();
    (s.into(), z.into())
}

impl QTensor {
    /// `torch._make_per_tensor_quantized_tensor(values, scale, zero_point)`: wraps
    /// integer values (shared, not copied) with per-tensor parameters; the dtype follows
    /// the values' (`U8` gives `QUInt8`, `I8` `QInt8`, `I32` `QInt32`).
    ///
    /// # Panics
    /// If `values` is not `U8`, `I8` or `I32`, the zero point is out of range or the scale
    /// not positive and finite.
    pub fn from_int_repr_per_tensor(values: Tensor, scale: f64, zero_point: i64) -> QTensor {
        let qdtype = int_qdtype("QTensor::from_int_repr_per_tensor", &values);
        check_zero_point("QTensor::from_int_repr_per_tensor", zero_point, qdtype);
        check_scale("QTensor::from_int_repr_per_tensor", scale);
        QTensor {
            values,
            qdtype,
            params: QParams::PerTensor { scale, zero_point },
        }
    }

    /// `torch._make_per_channel_quantized_tensor(values, scales, zero_points, axis)`:
    /// wraps integer values (shared, not copied) with per-channel parameters.
    ///
    /// # Panics
    /// As [`quantize_per_channel`], and if `values` is not `U8`, `I8` or `I32`.
    pub fn from_int_repr_per_channel(
        values: Tensor,
        scales: &Tensor,
        zero_points: &Tensor,
        axis: isize,
    ) -> QTensor {
        let qdtype = int_qdtype("QTensor::from_int_repr_per_channel", &values);
        let (scales, zero_points) = per_channel_params(values.shape(), scales, zero_points, axis);
        for &z in zero_points.iter() {
            check_zero_point("QTensor::from_int_repr_per_channel", z, qdtype);
        }
        for &s in scales.iter() {
            check_scale("QTensor::from_int_repr_per_channel", s);
        }
        QTensor {
            values,
            qdtype,
            params: QParams::PerChannel {
                scales,
                zero_points,
                axis: axis as usize,
            },
        }
    }

    /// `x.dequantize()`: the real values as a new contiguous `F32` tensor, with PyTorch's
    /// exact arithmetic (see [`crate::quantize`]).
    pub fn dequantize(&self) -> Tensor {
        let shape = self.shape().to_vec();
        qdispatch!(self.qdtype, T => self.values.with_contiguous(|q: &[T]| {
            let mut out = vec![0f32; q.len()];
            match &self.params {
                QParams::PerTensor { scale, zero_point } => {
                    dequantize_slice_per_tensor(q, &mut out, *scale, *zero_point)
                }
                QParams::PerChannel { scales, zero_points, axis } => {
                    let (_, _, inner) = split_at_axis(&shape, *axis);
                    dequantize_slice_per_channel(q, &mut out, scales, zero_points, inner)
                }
            }
            Tensor::from_vec(out, &shape)
        }))
    }

    /// `x.int_repr()`: the integer values as a new contiguous tensor (`U8`, `I8` or `I32`);
    /// a copy, as in PyTorch. [`QTensor::values`] is the shared view.
    pub fn int_repr(&self) -> Tensor {
        self.values.deep_clone()
    }

    /// The integer values as a view sharing this tensor's storage (writes through it
    /// change the quantized tensor).
    pub fn values(&self) -> &Tensor {
        &self.values
    }

    /// The quantization parameters.
    pub fn qparams(&self) -> &QParams {
        &self.params
    }

    /// The quantized dtype.
    pub fn dtype(&self) -> QDType {
        self.qdtype
    }

    /// `x.qscheme()`: `PerTensorAffine` or `PerChannelAffine`.
    pub fn qscheme(&self) -> QScheme {
        match self.params {
            QParams::PerTensor { .. } => QScheme::PerTensorAffine,
            QParams::PerChannel { .. } => QScheme::PerChannelAffine,
        }
    }

    /// `x.q_scale()`.
    ///
    /// # Panics
    /// If the tensor is quantized per channel.
    pub fn q_scale(&self) -> f64 {
        match self.params {
            QParams::PerTensor { scale, .. } => scale,
            _ => panic!("q_scale: the tensor is quantized per channel (use q_per_channel_scales)"),
        }
    }

    /// `x.q_zero_point()`.
    ///
    /// # Panics
    /// If the tensor is quantized per channel.
    pub fn q_zero_point(&self) -> i64 {
        match self.params {
            QParams::PerTensor { zero_point, .. } => zero_point,
            _ => panic!(
                "q_zero_point: the tensor is quantized per channel (use q_per_channel_zero_points)"
            ),
        }
    }

    /// `x.q_per_channel_scales()`: an `F64` tensor.
    ///
    /// # Panics
    /// If the tensor is quantized per tensor.
    pub fn q_per_channel_scales(&self) -> Tensor {
        match &self.params {
            QParams::PerChannel { scales, .. } => {
                Tensor::from_vec(scales.to_vec(), &[scales.len()])
            }
            _ => panic!("q_per_channel_scales: the tensor is quantized per tensor (use q_scale)"),
        }
    }

    /// `x.q_per_channel_zero_points()`: an `I64` tensor.
    ///
    /// # Panics
    /// If the tensor is quantized per tensor.
    pub fn q_per_channel_zero_points(&self) -> Tensor {
        match &self.params {
            QParams::PerChannel { zero_points, .. } => {
                Tensor::from_vec(zero_points.to_vec(), &[zero_points.len()])
            }
            _ => panic!(
                "q_per_channel_zero_points: the tensor is quantized per tensor (use q_zero_point)"
            ),
        }
    }

    /// `x.q_per_channel_axis()`.
    ///
    /// # Panics
    /// If the tensor is quantized per tensor.
    pub fn q_per_channel_axis(&self) -> usize {
        match &self.params {
            QParams::PerChannel { axis, .. } => *axis,
            _ => panic!("q_per_channel_axis: the tensor is quantized per tensor"),
        }
    }

    /// The sizes of the dimensions.
    pub fn shape(&self) -> &[usize] {
        self.values.shape()
    }

    /// Number of dimensions.
    pub fn dim(&self) -> usize {
        self.values.dim()
    }

    /// Number of elements.
    pub fn numel(&self) -> usize {
        self.values.numel()
    }

    /// Strides in elements.
    pub fn strides(&self) -> &[usize] {
        self.values.strides()
    }

    /// Offset of the first element in the storage.
    pub fn storage_offset(&self) -> usize {
        self.values.storage_offset()
    }

    /// Whether the values are contiguous in row-major order.
    pub fn is_contiguous(&self) -> bool {
        self.values.is_contiguous()
    }

    /// Whether `self` and `other` view the same storage.
    pub fn shares_storage(&self, other: &QTensor) -> bool {
        self.values.shares_storage(&other.values)
    }

    /// A tensor with the same dtype over other values (a view op's result).
    pub(crate) fn with(&self, values: Tensor, params: QParams) -> QTensor {
        QTensor {
            values,
            qdtype: self.qdtype,
            params,
        }
    }
}

/// The quantized dtype of integer `values`, or a panic naming `op`.
fn int_qdtype(op: &str, values: &Tensor) -> QDType {
    QDType::from_int_dtype(values.dtype()).unwrap_or_else(|| {
        panic!(
            "{op}: the values must be U8, I8 or I32 (quint8, qint8, qint32), got {}",
            values.dtype()
        )
    })
}

/// Ties [`QElement`] to [`QTensor`]: the values as a typed `Vec` (tests, kernels).
impl QTensor {
    /// The values in row-major order as `T`.
    ///
    /// # Panics
    /// If `T` is not the tensor's integer type.
    pub fn int_values<T: QElement>(&self) -> Vec<T> {
        assert_eq!(
            T::QDTYPE,
            self.qdtype,
            "QTensor::int_values: the tensor is {}, not {}",
            self.qdtype,
            T::QDTYPE
        );
        self.values.to_vec()
    }
}
