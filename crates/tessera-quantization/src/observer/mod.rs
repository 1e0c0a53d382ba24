//! Observers (`torch.ao.quantization.observer`): modules that watch the values flowing
//! through a point of a model and compute the scale and zero point to quantize them
//! with (`calculate_qparams`), with PyTorch's formulas in its `f32` arithmetic.
//!
//! An [`ObserverSpec`] is what PyTorch's `MinMaxObserver.with_args(...)` is: a
//! description (kind and arguments) that [`ObserverSpec::build`] turns into a fresh
//! [`Observer`]; a [`crate::QConfig`] holds two of them.
//!
//! ```
//! use tessera_core::tensor;
//! use tessera_quantization::observer::{Observer, ObserverSpec, ObserverDType};
//! use tessera_quantization::QScheme;
//! let obs = ObserverSpec::min_max().dtype(ObserverDType::QInt8)
//!     .qscheme(QScheme::PerTensorSymmetric).build();
//! let x = tensor!([-1.0, 0.5, 2.0]);
//! let y = obs.forward(&x); // observes, returns x unchanged
//! assert!(y.shares_storage(&x));
//! let (scale, zero_point) = obs.calculate_qparams();
//! assert_eq!(scale.to_vec::<f32>(), vec![2.0f32 / 127.5]);
//! assert_eq!(zero_point.to_vec::<i64>(), vec![0]);
//! ```

mod histogram;
mod minmax;
mod qparams;
mod simple;

pub use histogram::HistogramObserver;
pub use minmax::{MinMaxObserver, MovingAverageMinMaxObserver, PerChannelMinMaxObserver};
pub use qparams::calculate_qmin_qmax;
pub use simple::{FixedQParamsObserver, NoopObserver, PlaceholderObserver, ReuseInputObserver};

use crate::{QDType, QScheme};
use std::fmt;
use std::sync::Arc;
use tessera_core::Tensor;

/// The dtype an observer targets: a quantized dtype, or a float dtype for observers that
/// leave values in float (`PlaceholderObserver`, `NoopObserver`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ObserverDType {
    /// `torch.quint8`
    QUInt8,
    /// `torch.qint8`
    QInt8,
    /// `torch.qint32`
    QInt32,
    /// `torch.float32`
    Float32,
    /// `torch.float16`
    Float16,
}

impl ObserverDType {
    /// PyTorch's name: `torch.quint8`, ..., `torch.float16`.
    pub fn torch_name(self) -> &'static str {
        match self {
            ObserverDType::QUInt8 => "torch.quint8",
            ObserverDType::QInt8 => "torch.qint8",
            ObserverDType::QInt32 => "torch.qint32",
            ObserverDType::Float32 => "torch.float32",
            ObserverDType::Float16 => "torch.float16",
        }
    }

    /// The dtype named `name` (`torch.` prefix optional; `torch.float` is `Float32`).
    pub fn from_torch_name(name: &str) -> Option<ObserverDType> {
        let n = name.strip_prefix("torch.").unwrap_or(name);
        Some(match n {
            "quint8" => ObserverDType::QUInt8,
            "qint8" => ObserverDType::QInt8,
            "qint32" => ObserverDType::QInt32,
            "float32" | "float" => ObserverDType::Float32,
            "float16" | "half" => ObserverDType::Float16,
            _ => return None,
        })
    }

    /// The quantized dtype, if this is one.
    pub fn qdtype(self) -> Option<QDType> {
        match self {
            ObserverDType::QUInt8 => Some(QDType::QUInt8),
            ObserverDType::QInt8 => Some(QDType::QInt8),
            ObserverDType::QInt32 => Some(QDType::QInt32),
            _ => None,
        }
    }
}

impl From<QDType> for ObserverDType {
    fn from(d: QDType) -> Self {
        match d {
            QDType::QUInt8 => ObserverDType::QUInt8,
            QDType::QInt8 => ObserverDType::QInt8,
            QDType::QInt32 => ObserverDType::QInt32,
        }
    }
}

impl fmt::Display for ObserverDType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.torch_name())
    }
}

/// Which observer an [`ObserverSpec`] builds, with the arguments only it takes.
#[derive(Clone, Debug, PartialEq)]
pub enum ObserverKind {
    /// [`MinMaxObserver`]
    MinMax,
    /// [`MovingAverageMinMaxObserver`]
    MovingAverageMinMax {
        /// `averaging_constant` (PyTorch's default 0.01).
        averaging_constant: f64,
    },
    /// [`PerChannelMinMaxObserver`]
    PerChannelMinMax {
        /// `ch_axis` (default 0).
        ch_axis: isize,
    },
    /// [`HistogramObserver`]
    Histogram {
        /// `bins` (default 2048).
        bins: usize,
    },
    /// [`PlaceholderObserver`]
    Placeholder,
    /// [`FixedQParamsObserver`]
    FixedQParams {
        /// The fixed scale.
        scale: f64,
        /// The fixed zero point.
        zero_point: i64,
    },
    /// [`ReuseInputObserver`]
    ReuseInput,
    /// [`NoopObserver`]
    Noop,
}

impl ObserverKind {
    /// PyTorch's class name (`MinMaxObserver`, ...).
    pub fn class_name(&self) -> &'static str {
        match self {
            ObserverKind::MinMax => "MinMaxObserver",
            ObserverKind::MovingAverageMinMax { .. } => "MovingAverageMinMaxObserver",
            ObserverKind::PerChannelMinMax { .. } => "PerChannelMinMaxObserver",
            ObserverKind::Histogram { .. } => "HistogramObserver",
            ObserverKind::Placeholder => "PlaceholderObserver",
            ObserverKind::FixedQParams { .. } => "FixedQParamsObserver",
            ObserverKind::ReuseInput => "ReuseInputObserver",
            ObserverKind::Noop => "NoopObserver",
        }
    }
}

/// An observer's kind and arguments (PyTorch's `Observer.with_args(...)`): a factory
/// that [`ObserverSpec::build`] turns into a fresh observer. The defaults are
/// PyTorch's (`quint8`, per-tensor affine, no `reduce_range`, the dtype's range,
/// `eps = f32::EPSILON`).
#[derive(Clone, Debug, PartialEq)]
pub struct ObserverSpec {
    /// Which observer, with its own arguments.
    pub kind: ObserverKind,
    /// `dtype`
    pub dtype: ObserverDType,
    /// `qscheme`
    pub qscheme: QScheme,
    /// `reduce_range`: one bit less of range (what FBGEMM's kernels need for activations).
    pub reduce_range: bool,
    /// `quant_min` (used only together with `quant_max`).
    pub quant_min: Option<i64>,
    /// `quant_max` (used only together with `quant_min`).
    pub quant_max: Option<i64>,
    /// `eps`: the smallest scale.
    pub eps: f32,
    /// `is_dynamic`
    pub is_dynamic: bool,
}

impl ObserverSpec {
    fn of(kind: ObserverKind) -> ObserverSpec {
        let qscheme = match kind {
            ObserverKind::PerChannelMinMax { .. } => QScheme::PerChannelAffine,
            _ => QScheme::PerTensorAffine,
        };
        let dtype = match kind {
            ObserverKind::Placeholder => ObserverDType::Float32,
            ObserverKind::Noop => ObserverDType::Float16,
            _ => ObserverDType::QUInt8,
        };
        ObserverSpec {
            kind,
            dtype,
            qscheme,
            reduce_range: false,
            quant_min: None,
            quant_max: None,
            eps: f32::EPSILON,
            is_dynamic: false,
        }
    }

    /// `MinMaxObserver` with PyTorch's defaults.
    pub fn min_max() -> ObserverSpec {
        Self::of(ObserverKind::MinMax)
    }

    /// `MovingAverageMinMaxObserver` (`averaging_constant` 0.01).
    pub fn moving_average_min_max() -> ObserverSpec {
        Self::of(ObserverKind::MovingAverageMinMax {
            averaging_constant: 0.01,
        })
    }

    /// `PerChannelMinMaxObserver` (`ch_axis` 0, per-channel affine).
    pub fn per_channel_min_max() -> ObserverSpec {
        Self::of(ObserverKind::PerChannelMinMax { ch_axis: 0 })
    }

    /// `HistogramObserver` (2048 bins).
    pub fn histogram() -> ObserverSpec {
        Self::of(ObserverKind::Histogram { bins: 2048 })
    }

    /// `PlaceholderObserver` (dtype `float32`).
    pub fn placeholder() -> ObserverSpec {
        Self::of(ObserverKind::Placeholder)
    }

    /// `FixedQParamsObserver(scale, zero_point)` (range 0..=255 unless set).
    pub fn fixed_qparams(scale: f64, zero_point: i64) -> ObserverSpec {
        let mut s = Self::of(ObserverKind::FixedQParams { scale, zero_point });
        s.quant_min = Some(0);
        s.quant_max = Some(255);
        s
    }

    /// `ReuseInputObserver`.
    pub fn reuse_input() -> ObserverSpec {
        Self::of(ObserverKind::ReuseInput)
    }

    /// `NoopObserver` (dtype `float16`).
    pub fn noop() -> ObserverSpec {
        Self::of(ObserverKind::Noop)
    }

    /// Sets `dtype`.
    pub fn dtype(mut self, dtype: impl Into<ObserverDType>) -> Self {
        self.dtype = dtype.into();
        self
    }

    /// Sets `qscheme`.
    pub fn qscheme(mut self, qscheme: QScheme) -> Self {
        self.qscheme = qscheme;
        self
    }

    /// Sets `reduce_range`.
    pub fn reduce_range(mut self, reduce_range: bool) -> Self {
        self.reduce_range = reduce_range;
        self
    }

    /// Sets `quant_min` and `quant_max`.
    pub fn quant_range(mut self, quant_min: i64, quant_max: i64) -> Self {
        self.quant_min = Some(quant_min);
        self.quant_max = Some(quant_max);
        self
    }

    /// Sets `eps`.
    pub fn eps(mut self, eps: f32) -> Self {
        self.eps = eps;
        self
    }

    /// Sets `is_dynamic`.
    pub fn is_dynamic(mut self, is_dynamic: bool) -> Self {
        self.is_dynamic = is_dynamic;
        self
    }

    /// Sets the `averaging_constant` of a moving-average observer.
    ///
    /// # Panics
    /// If this is not a moving-average observer.
    pub fn averaging_constant(mut self, c: f64) -> Self {
        match &mut self.kind {
            ObserverKind::MovingAverageMinMax { averaging_constant } => *averaging_constant = c,
            k => panic!(
                "ObserverSpec::averaging_constant: {} has none",
                k.class_name()
            ),
        }
        self
    }

    /// Sets the `ch_axis` of a per-channel observer.
    ///
    /// # Panics
    /// If this is not a per-channel observer.
    pub fn ch_axis(mut self, axis: isize) -> Self {
        match &mut self.kind {
            ObserverKind::PerChannelMinMax { ch_axis } => *ch_axis = axis,
            k => panic!("ObserverSpec::ch_axis: {} has none", k.class_name()),
        }
        self
    }

    /// Sets the `bins` of a histogram observer.
    ///
    /// # Panics
    /// If this is not a histogram observer.
    pub fn bins(mut self, n: usize) -> Self {
        match &mut self.kind {
            ObserverKind::Histogram { bins } => *bins = n,
            k => panic!("ObserverSpec::bins: {} has none", k.class_name()),
        }
        self
    }

    /// A fresh observer (PyTorch: calling the `with_args` partial).
    ///
    /// # Panics
    /// With PyTorch's texts where its constructor refuses the arguments (a per-channel
    /// scheme for a per-tensor observer, `reduce_range` with a symmetric `quint8`
    /// scheme, a bad `quant_min`/`quant_max`).
    pub fn build(&self) -> Arc<dyn Observer> {
        match self.kind {
            ObserverKind::MinMax => Arc::new(MinMaxObserver::new(self.clone())),
            ObserverKind::MovingAverageMinMax { .. } => {
                Arc::new(MovingAverageMinMaxObserver::new(self.clone()))
            }
            ObserverKind::PerChannelMinMax { .. } => {
                Arc::new(PerChannelMinMaxObserver::new(self.clone()))
            }
            ObserverKind::Histogram { .. } => Arc::new(HistogramObserver::new(self.clone())),
            ObserverKind::Placeholder => Arc::new(PlaceholderObserver::new(self.clone())),
            ObserverKind::FixedQParams { .. } => Arc::new(FixedQParamsObserver::new(self.clone())),
            ObserverKind::ReuseInput => Arc::new(ReuseInputObserver::new(self.clone())),
            ObserverKind::Noop => Arc::new(NoopObserver::new(self.clone())),
        }
    }
}

/// An observer (`torch.ao.quantization.ObserverBase`): `forward` records statistics of
/// its input and returns the input unchanged; `calculate_qparams` gives the scale and
/// zero point. Observers keep their state behind a lock, so `forward` takes `&self`
/// like a module's.
pub trait Observer: Send + Sync {
    /// Observes `x` (detached; any dtype, converted to `f32`) and returns it unchanged.
    fn forward(&self, x: &Tensor) -> Tensor;

    /// `(scale, zero_point)`: an `F32` tensor and an `I64` tensor of one element per
    /// channel (one for per-tensor observers). Before any data, PyTorch's defaults
    /// `([1.0], [0])` and its warning on stderr.
    ///
    /// # Panics
    /// For observers without qparams (`PlaceholderObserver`, ...), with PyTorch's text.
    fn calculate_qparams(&self) -> (Tensor, Tensor);

    /// The arguments the observer was made with.
    fn spec(&self) -> &ObserverSpec;

    /// The quantization range `(quant_min, quant_max)` in use.
    fn quant_range(&self) -> (i64, i64);

    /// The channel axis, for per-channel observers.
    fn ch_axis(&self) -> Option<isize> {
        None
    }

    /// Forgets what was observed (`reset_min_max_vals`).
    fn reset(&self) {}
}

/// The `(scale, zero_point)` tensors from per-channel vectors.
pub(crate) fn qparams_tensors(scales: Vec<f32>, zps: Vec<i64>) -> (Tensor, Tensor) {
    let n = scales.len();
    (Tensor::from_vec(scales, &[n]), Tensor::from_vec(zps, &[n]))
}
