//! Views and copies of a [`QTensor`]: each runs core's op on the integer values and
//! carries the quantization parameters, moving or narrowing a per-channel axis with the
//! dims. Where PyTorch refuses an op on a per-channel tensor (`permute`, `transpose`,
//! `cat`), tessera refuses with PyTorch's text.

use crate::qtensor::{QParams, QTensor};
use std::sync::Arc;
use tessera_core::layout::normalize_dim;
use tessera_core::Tensor;

/// PyTorch's refusal to restride a per-channel tensor.
const STRIDES_REFUSED: &str = "Setting strides is possible only on uniformly quantized tensor";

/// Where dim `axis` of `old` lands in `new` when a row-major reshape keeps it whole: the
/// first dim `j` of `new` with the same size and the same product of the dims before it.
fn reshape_axis(old: &[usize], axis: usize, new: &[usize]) -> Option<usize> {
    let before: usize = old[..axis].iter().product();
    let mut prod = 1usize;
    for (j, &d) in new.iter().enumerate() {
        if prod == before && d == old[axis] {
            return Some(j);
        }
        prod *= d;
    }
    None
}

impl QTensor {
    /// Per-channel parameters with the axis moved to `axis`.
    fn params_with_axis(&self, axis: usize) -> QParams {
        match &self.params {
            QParams::PerChannel {
                scales,
                zero_points,
                ..
            } => QParams::PerChannel {
                scales: scales.clone(),
                zero_points: zero_points.clone(),
                axis,
            },
            p => p.clone(),
        }
    }

    /// The result of a reshape to `values`' shape.
    fn reshaped(&self, op: &str, values: Tensor) -> QTensor {
        let params = match &self.params {
            QParams::PerChannel { axis, .. } => {
                let new_axis = reshape_axis(self.shape(), *axis, values.shape()).unwrap_or_else(|| {
                    panic!(
                        "{op}: shape {:?} splits or merges the channel axis {axis} of the per-channel quantized tensor of shape {:?}",
                        values.shape(),
                        self.shape()
                    )
                });
                self.params_with_axis(new_axis)
            }
            p => p.clone(),
        };
        self.with(values, params)
    }

    /// `x.reshape(shape)`: a view when the strides allow, else a copy; a per-channel axis
    /// moves to the dim that keeps it.
    ///
    /// # Panics
    /// As [`Tensor::reshape`], and if the new shape splits or merges the channel axis
    /// (PyTorch keeps a stale axis then).
    pub fn reshape(&self, shape: impl tessera_core::Dims) -> QTensor {
        self.reshaped("QTensor::reshape", self.values.reshape(shape))
    }

    /// `x.view(shape)`: as [`QTensor::reshape`], never copying.
    ///
    /// # Panics
    /// As [`Tensor::view`] and [`QTensor::reshape`].
    pub fn view(&self, shape: impl tessera_core::Dims) -> QTensor {
        self.reshaped("QTensor::view", self.values.view(shape))
    }

    /// `x.flatten()`.
    ///
    /// # Panics
    /// If the tensor is per channel with more than one dim of size above 1 around the
    /// channel axis (flattening merges it).
    pub fn flatten(&self) -> QTensor {
        self.reshaped("QTensor::flatten", self.values.flatten())
    }

    /// `x.select(dim, index)`: selecting along a per-channel axis gives a per-tensor
    /// tensor with that channel's scale and zero point (as PyTorch does).
    ///
    /// # Panics
    /// As [`Tensor::select`].
    pub fn select(&self, dim: isize, index: isize) -> QTensor {
        let values = self.values.select(dim, index);
        let d = normalize_dim("QTensor::select", dim, self.dim());
        let params = match &self.params {
            QParams::PerChannel {
                scales,
                zero_points,
                axis,
            } => {
                if d == *axis {
                    let i = if index < 0 {
                        (index + self.shape()[d] as isize) as usize
                    } else {
                        index as usize
                    };
                    QParams::PerTensor {
                        scale: scales[i],
                        zero_point: zero_points[i],
                    }
                } else {
                    self.params_with_axis(if d < *axis { axis - 1 } else { *axis })
                }
            }
            p => p.clone(),
        };
        self.with(values, params)
    }

    /// `x.narrow(dim, start, length)`: narrowing a per-channel axis keeps those channels'
    /// parameters.
    ///
    /// # Panics
    /// As [`Tensor::narrow`].
    pub fn narrow(&self, dim: isize, start: usize, length: usize) -> QTensor {
        let values = self.values.narrow(dim, start, length);
        let d = normalize_dim("QTensor::narrow", dim, self.dim());
        let params = match &self.params {
            QParams::PerChannel {
                scales,
                zero_points,
                axis,
            } if d == *axis => QParams::PerChannel {
                scales: Arc::from(&scales[start..start + length]),
                zero_points: Arc::from(&zero_points[start..start + length]),
                axis: *axis,
            },
            p => p.clone(),
        };
        self.with(values, params)
    }

    /// `x.permute(dims)`.
    ///
    /// # Panics
    /// As [`Tensor::permute`]; and for a per-channel tensor, with PyTorch's "Setting
    /// strides is possible only on uniformly quantized tensor".
    pub fn permute(&self, dims: impl tessera_core::Dims) -> QTensor {
        self.refuse_per_channel("QTensor::permute");
        self.with(self.values.permute(dims), self.params.clone())
    }

    /// `x.transpose(d0, d1)`.
    ///
    /// # Panics
    /// As [`QTensor::permute`].
    pub fn transpose(&self, d0: isize, d1: isize) -> QTensor {
        self.refuse_per_channel("QTensor::transpose");
        self.with(self.values.transpose(d0, d1), self.params.clone())
    }

    /// `x.t()` (at most 2 dims).
    ///
    /// # Panics
    /// As [`Tensor::t`] and [`QTensor::permute`].
    pub fn t(&self) -> QTensor {
        self.refuse_per_channel("QTensor::t");
        self.with(self.values.t(), self.params.clone())
    }

    fn refuse_per_channel(&self, op: &str) {
        if matches!(self.params, QParams::PerChannel { .. }) {
            panic!("{op}: {STRIDES_REFUSED}");
        }
    }

    /// `x.unsqueeze(dim)`.
    ///
    /// # Panics
    /// As [`Tensor::unsqueeze`].
    pub fn unsqueeze(&self, dim: isize) -> QTensor {
        let values = self.values.unsqueeze(dim);
        let d = normalize_dim("QTensor::unsqueeze", dim, self.dim() + 1);
        let params = match &self.params {
            QParams::PerChannel { axis, .. } => {
                self.params_with_axis(if d <= *axis { axis + 1 } else { *axis })
            }
            p => p.clone(),
        };
        self.with(values, params)
    }

    /// `x.squeeze_dim(dim)`: removing a per-channel axis of size 1 leaves a per-tensor
    /// tensor with its one scale and zero point (as PyTorch does).
    ///
    /// # Panics
    /// As [`Tensor::squeeze_dim`].
    pub fn squeeze_dim(&self, dim: isize) -> QTensor {
        let d = normalize_dim("QTensor::squeeze_dim", dim, self.dim());
        if self.shape()[d] != 1 {
            return self.clone();
        }
        self.select(d as isize, 0)
    }

    /// `x.squeeze()`: every dim of size 1 removed, as [`QTensor::squeeze_dim`] removes one.
    pub fn squeeze(&self) -> QTensor {
        let mut out = self.clone();
        for d in (0..self.dim()).rev() {
            if self.shape()[d] == 1 {
                out = out.squeeze_dim(d as isize);
            }
        }
        out
    }

    /// `x.expand(shape)`: a view repeating dims of size 1.
    ///
    /// # Panics
    /// As [`Tensor::expand`]; and if a per-channel axis would be expanded.
    pub fn expand(&self, shape: impl tessera_core::Dims) -> QTensor {
        let values = self.values.expand(shape);
        let added = values.dim() - self.dim();
        let params = match &self.params {
            QParams::PerChannel { axis, .. } => {
                if values.shape()[axis + added] != self.shape()[*axis] {
                    panic!(
                        "QTensor::expand: cannot expand the channel axis {axis} of a per-channel quantized tensor of shape {:?} to {:?}",
                        self.shape(),
                        values.shape()
                    );
                }
                self.params_with_axis(axis + added)
            }
            p => p.clone(),
        };
        self.with(values, params)
    }

    /// `x.contiguous()`: itself if contiguous, else a contiguous copy.
    pub fn contiguous(&self) -> QTensor {
        self.with(self.values.contiguous(), self.params.clone())
    }

    /// `x.clone()`: a contiguous copy of the values with the same parameters.
    pub fn deep_clone(&self) -> QTensor {
        self.with(self.values.deep_clone(), self.params.clone())
    }
}

/// `torch.cat(tensors, dim)` for quantized tensors: the result has the first tensor's
/// scale and zero point; the values of a tensor with other parameters are requantized
/// (dequantized and quantized again, as PyTorch does).
///
/// # Panics
/// With PyTorch's texts if the list is empty, the dtypes differ ("All dtypes must be the
/// same.") or a tensor is per channel ("Only per-tensor quantization is supported in
/// 'cat'!"); as [`Tensor::cat`] for shapes and `dim`.
pub fn cat(tensors: &[QTensor], dim: isize) -> QTensor {
    let first = tensors
        .first()
        .expect("quantized cat: expected a non-empty list of tensors");
    if tensors.iter().any(|t| t.dtype() != first.dtype()) {
        panic!("All dtypes must be the same.");
    }
    let (scale, zero_point) = match first.params {
        QParams::PerTensor { scale, zero_point } => (scale, zero_point),
        _ => panic!("Only per-tensor quantization is supported in 'cat'!"),
    };
    if tensors
        .iter()
        .any(|t| matches!(t.params, QParams::PerChannel { .. }))
    {
        panic!("Only per-tensor quantization is supported in 'cat'!");
    }
    let values: Vec<Tensor> = tensors
        .iter()
        .map(|t| {
            if t.params == first.params {
                t.values.clone()
            } else {
                crate::quantize_per_tensor(&t.dequantize(), scale, zero_point, first.dtype()).values
            }
        })
        .collect();
    first.with(Tensor::cat(&values, dim), first.params.clone())
}

#[cfg(test)]
mod tests {
    use super::reshape_axis;

    #[test]
    fn reshape_axis_follows_the_channel_dim() {
        assert_eq!(reshape_axis(&[2, 3, 4], 1, &[2, 3, 2, 2]), Some(1));
        assert_eq!(reshape_axis(&[2, 3, 4], 1, &[1, 2, 3, 4]), Some(2));
        assert_eq!(reshape_axis(&[2, 3, 4], 1, &[6, 4]), None);
        assert_eq!(reshape_axis(&[2, 3, 4], 2, &[6, 4]), Some(1));
    }
}
