//! `MinMaxObserver`, `MovingAverageMinMaxObserver` and `PerChannelMinMaxObserver`: the
//! running (or moving-average) min and max, and PyTorch's `_calculate_qparams` on them.

use super::qparams::{calculate_qmin_qmax, max_nan_pub, min_nan, qparams, QParamsConfig};
use super::{qparams_tensors, Observer, ObserverKind, ObserverSpec};
use crate::QScheme;
use std::sync::Mutex;
use tessera_core::{DType, Tensor};

/// What every uniform-quantization observer checks and keeps
/// (`UniformQuantizationObserverBase`).
#[derive(Debug)]
pub(crate) struct Uniform {
    pub spec: ObserverSpec,
    pub config: QParamsConfig,
}

impl Uniform {
    /// Validates the arguments as PyTorch's constructors do.
    pub fn new(name: &str, spec: ObserverSpec, per_channel: bool) -> Uniform {
        if spec.qscheme.is_per_tensor() == per_channel {
            if per_channel {
                panic!("{name}'s qscheme only support torch.per_channel_symmetric, torch.per_channel_affine and torch.per_channel_affine_float_qparams.");
            }
            panic!("{name}'s qscheme only support torch.per_tensor_symmetric and torch.per_tensor_affine.");
        }
        if spec.qscheme.is_symmetric()
            && spec.reduce_range
            && spec.dtype == super::ObserverDType::QUInt8
        {
            panic!("{name}: Cannot reduce range for symmetric quantization for quint8");
        }
        if spec.dtype.qdtype().is_none() {
            panic!(
                "{name}: Default Observer only works for quantized data types, got {}",
                spec.dtype
            );
        }
        let customized = spec.quant_min.is_some() && spec.quant_max.is_some();
        let (quant_min, quant_max) = calculate_qmin_qmax(
            spec.quant_min,
            spec.quant_max,
            spec.dtype,
            spec.reduce_range,
        );
        let config = QParamsConfig {
            dtype: spec.dtype,
            qscheme: spec.qscheme,
            quant_min,
            quant_max,
            customized,
            eps: spec.eps,
        };
        Uniform { spec, config }
    }
}

/// `torch.aminmax` of a tensor as `f32`: NaN for both if any value is NaN.
pub(crate) fn aminmax(x: &[f32]) -> (f32, f32) {
    let mut lo = f32::INFINITY;
    let mut hi = f32::NEG_INFINITY;
    for &v in x {
        if v.is_nan() {
            return (f32::NAN, f32::NAN);
        }
        lo = lo.min(v);
        hi = hi.max(v);
    }
    (lo, hi)
}

/// The input detached and as `f32` (`x.detach().to(torch.float32)`), contiguous.
pub(crate) fn as_f32(x: &Tensor) -> Vec<f32> {
    let x = x.detach();
    if x.dtype() == DType::F32 {
        x.to_vec()
    } else {
        x.to_dtype(DType::F32).to_vec()
    }
}

/// `MinMaxObserver`: the running min and max of everything observed.
///
/// ```
/// use tessera_core::tensor;
/// use tessera_quantization::observer::{MinMaxObserver, Observer, ObserverSpec};
/// let obs = MinMaxObserver::new(ObserverSpec::min_max());
/// obs.forward(&tensor!([-1.0, 3.0]));
/// obs.forward(&tensor!([0.5, 4.1]));
/// assert_eq!(obs.min_max(), (-1.0, 4.1));
/// let (s, z) = obs.calculate_qparams();
/// assert_eq!(z.to_vec::<i64>(), vec![50]);
/// ```
#[derive(Debug)]
pub struct MinMaxObserver {
    base: Uniform,
    /// `(min_val, max_val)`, `(inf, -inf)` before any data.
    state: Mutex<(f32, f32)>,
}

impl MinMaxObserver {
    /// A `MinMaxObserver` with the arguments of `spec` (its kind is not checked).
    ///
    /// # Panics
    /// With PyTorch's texts for a per-channel scheme, `reduce_range` with symmetric
    /// `quint8`, a float dtype or a bad range.
    pub fn new(spec: ObserverSpec) -> MinMaxObserver {
        MinMaxObserver {
            base: Uniform::new("MinMaxObserver", spec, false),
            state: Mutex::new((f32::INFINITY, f32::NEG_INFINITY)),
        }
    }

    /// The running `(min_val, max_val)`.
    pub fn min_max(&self) -> (f32, f32) {
        *self.state.lock().unwrap()
    }
}

/// `calculate_qparams` for a per-tensor observer's `(min, max)`.
fn per_tensor_qparams(name: &str, (lo, hi): (f32, f32), c: &QParamsConfig) -> (Tensor, Tensor) {
    if lo == f32::INFINITY && hi == f32::NEG_INFINITY {
        super::qparams::warn_not_run(name);
        return qparams_tensors(vec![1.0], vec![0]);
    }
    let (s, z) = qparams(name, &[lo], &[hi], c);
    qparams_tensors(s, z)
}

impl Observer for MinMaxObserver {
    fn forward(&self, x: &Tensor) -> Tensor {
        if x.numel() == 0 {
            return x.clone();
        }
        let (lo, hi) = aminmax(&as_f32(x));
        let mut s = self.state.lock().unwrap();
        *s = (min_nan(lo, s.0), max_nan_pub(hi, s.1));
        x.clone()
    }

    fn calculate_qparams(&self) -> (Tensor, Tensor) {
        per_tensor_qparams("MinMaxObserver", self.min_max(), &self.base.config)
    }

    fn spec(&self) -> &ObserverSpec {
        &self.base.spec
    }

    fn quant_range(&self) -> (i64, i64) {
        (self.base.config.quant_min, self.base.config.quant_max)
    }

    fn reset(&self) {
        *self.state.lock().unwrap() = (f32::INFINITY, f32::NEG_INFINITY);
    }
}

/// `MovingAverageMinMaxObserver`: `min = min + c * (min(x) - min)` (and so for max) in
/// `f32`, starting from the first batch's min and max.
#[derive(Debug)]
pub struct MovingAverageMinMaxObserver {
    base: Uniform,
    c: f32,
    state: Mutex<(f32, f32)>,
}

impl MovingAverageMinMaxObserver {
    /// A `MovingAverageMinMaxObserver` with the arguments of `spec` (its
    /// `averaging_constant` if it is a moving-average spec, else 0.01).
    ///
    /// # Panics
    /// As [`MinMaxObserver::new`]; and with `is_dynamic` unless the constant is 1.
    pub fn new(spec: ObserverSpec) -> MovingAverageMinMaxObserver {
        let c = match spec.kind {
            ObserverKind::MovingAverageMinMax { averaging_constant } => averaging_constant,
            _ => 0.01,
        };
        if spec.is_dynamic && c != 1.0 {
            panic!("MovingAverageMinMaxObserver doesn't support dynamic quantization for averaging constant of {c}");
        }
        MovingAverageMinMaxObserver {
            base: Uniform::new("MovingAverageMinMaxObserver", spec, false),
            c: c as f32,
            state: Mutex::new((f32::INFINITY, f32::NEG_INFINITY)),
        }
    }

    /// The running `(min_val, max_val)`.
    pub fn min_max(&self) -> (f32, f32) {
        *self.state.lock().unwrap()
    }
}

impl Observer for MovingAverageMinMaxObserver {
    fn forward(&self, x: &Tensor) -> Tensor {
        if x.numel() == 0 {
            return x.clone();
        }
        let (lo, hi) = aminmax(&as_f32(x));
        let mut s = self.state.lock().unwrap();
        if s.0 == f32::INFINITY && s.1 == f32::NEG_INFINITY {
            *s = (lo, hi);
        } else {
            *s = (s.0 + self.c * (lo - s.0), s.1 + self.c * (hi - s.1));
        }
        x.clone()
    }

    fn calculate_qparams(&self) -> (Tensor, Tensor) {
        per_tensor_qparams(
            "MovingAverageMinMaxObserver",
            self.min_max(),
            &self.base.config,
        )
    }

    fn spec(&self) -> &ObserverSpec {
        &self.base.spec
    }

    fn quant_range(&self) -> (i64, i64) {
        (self.base.config.quant_min, self.base.config.quant_max)
    }

    fn reset(&self) {
        *self.state.lock().unwrap() = (f32::INFINITY, f32::NEG_INFINITY);
    }
}

/// `PerChannelMinMaxObserver`: the running min and max of each index along `ch_axis`.
#[derive(Debug)]
pub struct PerChannelMinMaxObserver {
    base: Uniform,
    ch_axis: isize,
    /// Per-channel `(min_vals, max_vals)`; empty before any data.
    state: Mutex<(Vec<f32>, Vec<f32>)>,
}

impl PerChannelMinMaxObserver {
    /// A `PerChannelMinMaxObserver` with the arguments of `spec` (its `ch_axis` if it is a
    /// per-channel spec, else 0).
    ///
    /// # Panics
    /// With PyTorch's texts for a per-tensor scheme, `is_dynamic`, `reduce_range` with
    /// symmetric `quint8`, a float dtype or a bad range.
    pub fn new(spec: ObserverSpec) -> PerChannelMinMaxObserver {
        let ch_axis = match spec.kind {
            ObserverKind::PerChannelMinMax { ch_axis } => ch_axis,
            _ => 0,
        };
        if spec.is_dynamic {
            panic!("PerChannelMinMaxObserver doesn't support dynamic quantization");
        }
        PerChannelMinMaxObserver {
            base: Uniform::new("PerChannelMinMaxObserver", spec, true),
            ch_axis,
            state: Mutex::new((Vec::new(), Vec::new())),
        }
    }

    /// The running per-channel `(min_vals, max_vals)` (empty before any data).
    pub fn min_max(&self) -> (Vec<f32>, Vec<f32>) {
        self.state.lock().unwrap().clone()
    }
}

impl Observer for PerChannelMinMaxObserver {
    /// # Panics
    /// If `ch_axis` is out of range for `x`, or the number of channels changes.
    fn forward(&self, x: &Tensor) -> Tensor {
        if x.numel() == 0 {
            return x.clone();
        }
        let axis = tessera_core::layout::normalize_dim(
            "PerChannelMinMaxObserver::forward",
            self.ch_axis,
            x.dim(),
        );
        let y = x.detach().transpose(0, axis as isize);
        let c = y.shape()[0];
        let v = as_f32(&y.contiguous());
        let per = v.len() / c;
        let (lo, hi): (Vec<f32>, Vec<f32>) = v.chunks(per).map(aminmax).unzip();
        let mut s = self.state.lock().unwrap();
        if s.0.is_empty() {
            *s = (lo, hi);
        } else {
            assert_eq!(
                s.0.len(),
                c,
                "PerChannelMinMaxObserver::forward: {c} channels along axis {axis} of {:?}, but {} observed before",
                x.shape(),
                s.0.len()
            );
            for i in 0..c {
                s.0[i] = min_nan(lo[i], s.0[i]);
                s.1[i] = max_nan_pub(hi[i], s.1[i]);
            }
        }
        x.clone()
    }

    fn calculate_qparams(&self) -> (Tensor, Tensor) {
        let (lo, hi) = self.min_max();
        let (s, z) = qparams("PerChannelMinMaxObserver", &lo, &hi, &self.base.config);
        qparams_tensors(s, z)
    }

    fn spec(&self) -> &ObserverSpec {
        &self.base.spec
    }

    fn quant_range(&self) -> (i64, i64) {
        (self.base.config.quant_min, self.base.config.quant_max)
    }

    fn ch_axis(&self) -> Option<isize> {
        Some(self.ch_axis)
    }

    fn reset(&self) {
        *self.state.lock().unwrap() = (Vec::new(), Vec::new());
    }
}

impl QScheme {
    /// The per-tensor scheme of the same kind (affine or symmetric).
    pub fn to_per_tensor(self) -> QScheme {
        if self.is_symmetric() {
            QScheme::PerTensorSymmetric
        } else {
            QScheme::PerTensorAffine
        }
    }
}
