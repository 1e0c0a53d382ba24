//! `QConfig` (`torch.ao.quantization.QConfig`): how to observe a layer's activation and
//! its weight, and PyTorch's default qconfigs per backend.

use crate::observer::{ObserverDType, ObserverSpec};
use crate::QScheme;

/// How to observe the output (activation) and the weight of a layer: two observer
/// factories, as PyTorch's `QConfig(activation=..., weight=...)` holds two `with_args`
/// partials. Each layer that resolves to a qconfig gets fresh observers from it.
#[derive(Clone, Debug, PartialEq)]
pub struct QConfig {
    /// The activation observer.
    pub activation: ObserverSpec,
    /// The weight observer.
    pub weight: ObserverSpec,
}

impl QConfig {
    /// `QConfig(activation, weight)`.
    pub fn new(activation: ObserverSpec, weight: ObserverSpec) -> QConfig {
        QConfig { activation, weight }
    }
}

/// `default_weight_observer`: `MinMaxObserver(dtype=qint8, qscheme=per_tensor_symmetric)`.
pub fn default_weight_observer() -> ObserverSpec {
    ObserverSpec::min_max()
        .dtype(ObserverDType::QInt8)
        .qscheme(QScheme::PerTensorSymmetric)
}

/// `default_per_channel_weight_observer`: `PerChannelMinMaxObserver(dtype=qint8,
/// qscheme=per_channel_symmetric)`.
pub fn default_per_channel_weight_observer() -> ObserverSpec {
    ObserverSpec::per_channel_min_max()
        .dtype(ObserverDType::QInt8)
        .qscheme(QScheme::PerChannelSymmetric)
}

/// The backends PyTorch's defaults are made for.
fn check_backend(op: &str, backend: &str) {
    if !matches!(backend, "x86" | "fbgemm" | "qnnpack") {
        panic!("{op}: backend {backend:?} is not supported; expected \"x86\", \"fbgemm\" or \"qnnpack\"");
    }
}

/// `get_default_qconfig(backend)` (post-training, version 0): for `"x86"` and
/// `"fbgemm"` a `HistogramObserver(reduce_range=True)` on activations and per-channel
/// symmetric `qint8` weights; for `"qnnpack"` `HistogramObserver(reduce_range=False)` and
/// per-tensor symmetric `qint8` weights.
///
/// # Panics
/// For another backend.
pub fn get_default_qconfig(backend: &str) -> QConfig {
    check_backend("get_default_qconfig", backend);
    if backend == "qnnpack" {
        QConfig::new(
            ObserverSpec::histogram().reduce_range(false),
            default_weight_observer(),
        )
    } else {
        QConfig::new(
            ObserverSpec::histogram().reduce_range(true),
            default_per_channel_weight_observer(),
        )
    }
}

/// The qconfig of ops whose output range is fixed (PyTorch's `_FIXED_QPARAMS_OP_TO_OBSERVER`):
/// `scale` and `zero_point` over `quint8` `0..=255`, and the default weight observer.
fn fixed_qparams_qconfig(scale: f64, zero_point: i64) -> QConfig {
    QConfig::new(
        ObserverSpec::fixed_qparams(scale, zero_point).dtype(ObserverDType::QUInt8),
        default_weight_observer(),
    )
}

/// `get_default_qconfig_mapping(backend)`: the global qconfig of [`get_default_qconfig`]
/// and PyTorch's per-type entries (`reshape` reuses its input's observer; transposed
/// convolutions use per-tensor weights on `x86`/`fbgemm`; `LayerNorm` keeps float weights;
/// `PReLU` gets `quint8` weights; sigmoid, softmax, hardsigmoid and tanh get fixed
/// qparams). Object types are named as [`crate::QConfigMapping`] names them: module types
/// by class name (`"LayerNorm"`), functions by qualified name (`"torch.sigmoid"`,
/// `"torch.nn.functional.layer_norm"`), methods by name (`"sigmoid_"`).
///
/// # Panics
/// For a backend other than `"x86"`, `"fbgemm"` or `"qnnpack"`.
pub fn get_default_qconfig_mapping(backend: &str) -> crate::QConfigMapping {
    check_backend("get_default_qconfig_mapping", backend);
    let qconfig = get_default_qconfig(backend);
    let transpose = if backend == "qnnpack" {
        qconfig.clone()
    } else {
        QConfig::new(qconfig.activation.clone(), default_weight_observer())
    };
    let layernorm = QConfig::new(qconfig.activation.clone(), ObserverSpec::placeholder());
    let reuse = QConfig::new(ObserverSpec::reuse_input(), ObserverSpec::noop());
    let prelu = QConfig::new(ObserverSpec::histogram(), ObserverSpec::min_max());
    let sigmoid_like = fixed_qparams_qconfig(1.0 / 256.0, 0);
    let tanh_like = fixed_qparams_qconfig(2.0 / 256.0, 128);
    let mut m = crate::QConfigMapping::new().set_global(Some(qconfig));
    m = m.set_object_type("reshape", Some(reuse));
    for t in [
        "ConvTranspose1d",
        "ConvTranspose2d",
        "ConvTranspose3d",
        "torch.conv_transpose1d",
        "torch.conv_transpose2d",
        "torch.conv_transpose3d",
    ] {
        m = m.set_object_type(t, Some(transpose.clone()));
    }
    m = m
        .set_object_type("torch.nn.functional.layer_norm", Some(layernorm.clone()))
        .set_object_type("LayerNorm", Some(layernorm))
        .set_object_type("PReLU", Some(prelu));
    for t in [
        "Hardsigmoid",
        "torch.nn.functional.hardsigmoid",
        "hardsigmoid",
        "hardsigmoid_",
        "Sigmoid",
        "torch.sigmoid",
        "sigmoid",
        "sigmoid_",
        "Softmax",
    ] {
        m = m.set_object_type(t, Some(sigmoid_like.clone()));
    }
    for t in ["Tanh", "torch.tanh", "tanh", "tanh_"] {
        m = m.set_object_type(t, Some(tanh_like.clone()));
    }
    m
}
