//! Quantized tensors in `.pth` files: [`QTensor`] to and from tessera-io's
//! [`QTensorRecord`] (PyTorch's `torch._utils._rebuild_qtensor`), so `tessera::save` and
//! `tessera::load` carry quantized state dicts.
//!
//! ```
//! use tessera_core::tensor;
//! use tessera_io::{Dict, Value};
//! use tessera_quantization::{quantize_per_tensor, QDType, QTensor};
//! let q = quantize_per_tensor(&tensor!([0.5, -1.0]), 0.25, 3, QDType::QInt8);
//! let mut d = Dict::default();
//! d.insert(Value::Str("w".into()), Value::from(&q));
//! let bytes = tessera_io::save_bytes(Value::Dict(d)).unwrap();
//! let back = tessera_io::load_bytes(&bytes).unwrap();
//! let w = QTensor::from_value(back.get("w").unwrap()).unwrap();
//! assert_eq!(w.int_repr().to_vec::<i8>(), vec![5, -1]);
//! ```

use crate::{QDType, QParams, QTensor};
use tessera_core::{DType, Error, Result};
use tessera_io::{QParamsRecord, QTensorRecord, Value};

fn bad(m: String) -> Error {
    Error::format("pth", format!("quantized tensor: {m}"))
}

impl QTensor {
    /// The record tessera-io writes as `_rebuild_qtensor` (per-channel scales as `F64`,
    /// zero points as `I64`, as PyTorch writes them).
    pub fn to_record(&self) -> QTensorRecord {
        let params = match &self.params {
            QParams::PerTensor { scale, zero_point } => QParamsRecord::PerTensorAffine {
                scale: *scale,
                zero_point: *zero_point,
            },
            QParams::PerChannel { axis, .. } => QParamsRecord::PerChannelAffine {
                scales: self.q_per_channel_scales(),
                zero_points: self.q_per_channel_zero_points(),
                axis: *axis as i64,
            },
        };
        QTensorRecord {
            values: self.values.clone(),
            params,
            requires_grad: false,
        }
    }

    /// The quantized tensor of a record read from a file, sharing its storage.
    ///
    /// # Errors
    /// [`Error::Format`] if the values are not `U8`/`I8`/`I32`, a zero point is out of
    /// the dtype's range, a scale is not positive and finite, or the per-channel
    /// parameters do not fit the shape (the checks that would panic on a programmer's
    /// arguments are errors for a file's).
    pub fn from_record(r: &QTensorRecord) -> Result<QTensor> {
        let qdtype = QDType::from_int_dtype(r.values.dtype())
            .ok_or_else(|| bad(format!("values of dtype {}", r.values.dtype())))?;
        let check_zp = |z: i64| -> Result<()> {
            if (qdtype.qmin()..=qdtype.qmax()).contains(&z) {
                Ok(())
            } else {
                Err(bad(format!("zero point {z} out of the range of {qdtype}")))
            }
        };
        let check_scale = |s: f64| -> Result<()> {
            let f = s as f32;
            if s > 0.0 && f.is_finite() && f > 0.0 && (1.0 / f).is_finite() {
                Ok(())
            } else {
                Err(bad(format!("scale {s} is not positive and finite")))
            }
        };
        match &r.params {
            QParamsRecord::PerTensorAffine { scale, zero_point } => {
                check_zp(*zero_point)?;
                check_scale(*scale)?;
                Ok(QTensor::from_int_repr_per_tensor(
                    r.values.clone(),
                    *scale,
                    *zero_point,
                ))
            }
            QParamsRecord::PerChannelAffine {
                scales,
                zero_points,
                axis,
            } => {
                let shape = r.values.shape();
                let a = usize::try_from(*axis)
                    .ok()
                    .filter(|&a| a < shape.len())
                    .ok_or_else(|| bad(format!("axis {axis} for shape {shape:?}")))?;
                if scales.dim() != 1
                    || zero_points.dim() != 1
                    || scales.numel() != shape[a]
                    || zero_points.numel() != shape[a]
                    || !scales.dtype().is_float()
                    || !zero_points.dtype().is_int()
                {
                    return Err(bad(format!(
                        "{} scales ({}) and {} zero points ({}) for {} channels",
                        scales.numel(),
                        scales.dtype(),
                        zero_points.numel(),
                        zero_points.dtype(),
                        shape[a]
                    )));
                }
                for s in scales.to_dtype(DType::F64).to_vec::<f64>() {
                    check_scale(s)?;
                }
                for z in zero_points.to_dtype(DType::I64).to_vec::<i64>() {
                    check_zp(z)?;
                }
                Ok(QTensor::from_int_repr_per_channel(
                    r.values.clone(),
                    scales,
                    zero_points,
                    *axis as isize,
                ))
            }
        }
    }

    /// The quantized tensor in a loaded [`Value`].
    ///
    /// # Errors
    /// If `v` is not a quantized tensor, or as [`QTensor::from_record`].
    pub fn from_value(v: &Value) -> Result<QTensor> {
        match v {
            Value::QTensor(r) => QTensor::from_record(r),
            o => Err(bad(format!(
                "expected a quantized tensor, got a {}",
                o.type_name()
            ))),
        }
    }
}

impl From<&QTensor> for Value {
    fn from(q: &QTensor) -> Value {
        Value::QTensor(q.to_record())
    }
}
