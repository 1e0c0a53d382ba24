//! The quantized modules: each holds its packed weights or options and the output qparams
//! that calibration chose, and runs one op of [`super::functional`].

use super::functional as F;
use super::{PackedConv2d, PackedLinear};
use crate::{quantize_per_tensor, QDType, QTensor};
use tessera_core::Tensor;
use tessera_nn::functional::{ConvOptions, PoolOptions};

macro_rules! weighted_module {
    ($(#[$doc:meta])* $name:ident, $packed:ident, $op:path, $relu:expr, ($($arg:ident: $ty:ty),*)) => {
        $(#[$doc])*
        #[derive(Clone)]
        pub struct $name {
            /// The packed `qint8` weight and f32 bias.
            pub packed: $packed,
            /// Output scale.
            pub scale: f64,
            /// Output zero point.
            pub zero_point: i64,
        }

        impl $name {
            /// A module from its quantized weight, float bias and output qparams.
            ///
            /// # Panics
            /// As the packing (see the packed type) and if the output qparams are out of
            /// `quint8`'s range.
            pub fn new(weight: &QTensor, bias: Option<&Tensor>, $($arg: $ty,)* scale: f64, zero_point: i64) -> Self {
                super::layout::check_out_qparams(stringify!($name), scale, zero_point);
                $name { packed: $packed::new(weight, bias, $($arg),*), scale, zero_point }
            }

            /// The forward pass on a per-tensor `quint8` input.
            ///
            /// # Panics
            /// As the op.
            pub fn forward(&self, x: &QTensor) -> QTensor {
                $op(x, &self.packed, self.scale, self.zero_point, $relu)
            }
        }
    };
}

weighted_module!(
    /// `torch.ao.nn.quantized.Linear`: `quantized::linear` with a packed `qint8` weight.
    ///
    /// ```
    /// use tessera_core::Tensor;
    /// use tessera_quantization::nn::quantized::Linear;
    /// use tessera_quantization::{quantize_per_tensor, QDType};
    /// let w = quantize_per_tensor(&Tensor::randn(&[3, 4]), 0.02, 0, QDType::QInt8);
    /// let lin = Linear::new(&w, None, 0.1, 128);
    /// let x = quantize_per_tensor(&Tensor::rand(&[2, 4]), 1.0 / 255.0, 0, QDType::QUInt8);
    /// let y = lin.forward(&x);
    /// assert_eq!((y.shape(), y.q_scale(), y.q_zero_point()), (&[2usize, 3][..], 0.1, 128));
    /// ```
    Linear, PackedLinear, F::linear, false, ()
);
weighted_module!(
    /// `torch.ao.nn.intrinsic.quantized.LinearReLU`: `quantized::linear_relu`.
    LinearReLU, PackedLinear, F::linear, true, ()
);
weighted_module!(
    /// `torch.ao.nn.quantized.Conv2d`: `quantized::conv2d` with a packed `qint8` weight.
    Conv2d, PackedConv2d, F::conv2d, false, (options: ConvOptions)
);
weighted_module!(
    /// `torch.ao.nn.intrinsic.quantized.ConvReLU2d`: `quantized::conv2d_relu`.
    ConvReLU2d, PackedConv2d, F::conv2d, true, (options: ConvOptions)
);

/// `nn.ReLU` on quantized tensors ([`F::relu`]).
#[derive(Clone, Copy, Debug, Default)]
pub struct ReLU;

impl ReLU {
    /// `max(q, zero_point)`, the qparams kept.
    pub fn forward(&self, x: &QTensor) -> QTensor {
        F::relu(x)
    }
}

/// `torch.ao.nn.quantized.Quantize` (what `QuantStub` becomes): f32 -> `quint8` per tensor.
#[derive(Clone, Copy, Debug)]
pub struct Quantize {
    /// Scale.
    pub scale: f64,
    /// Zero point.
    pub zero_point: i64,
}

impl Quantize {
    /// `quantize_per_tensor(x, scale, zero_point, quint8)`.
    ///
    /// # Panics
    /// As [`quantize_per_tensor`].
    pub fn forward(&self, x: &Tensor) -> QTensor {
        quantize_per_tensor(x, self.scale, self.zero_point, QDType::QUInt8)
    }
}

/// `torch.ao.nn.quantized.DeQuantize` (what `DeQuantStub` becomes).
#[derive(Clone, Copy, Debug, Default)]
pub struct DeQuantize;

impl DeQuantize {
    /// `x.dequantize()`.
    pub fn forward(&self, x: &QTensor) -> Tensor {
        x.dequantize()
    }
}

/// `torch.ao.nn.quantized.QFunctional` (what `FloatFunctional` becomes): quantized `add`
/// with the output qparams calibration chose.
#[derive(Clone, Copy, Debug)]
pub struct QFunctional {
    /// Output scale.
    pub scale: f64,
    /// Output zero point.
    pub zero_point: i64,
}

impl QFunctional {
    /// `quantized::add(a, b, scale, zero_point)` ([`F::add`]).
    pub fn add(&self, a: &QTensor, b: &QTensor) -> QTensor {
        F::add(a, b, self.scale, self.zero_point, false)
    }
    /// `quantized::add_relu(a, b, scale, zero_point)`.
    pub fn add_relu(&self, a: &QTensor, b: &QTensor) -> QTensor {
        F::add(a, b, self.scale, self.zero_point, true)
    }
}

/// `nn.MaxPool2d` on quantized tensors ([`F::max_pool2d`]).
#[derive(Clone, Copy, Debug)]
pub struct MaxPool2d {
    /// Window, stride, padding, dilation, ceil mode.
    pub options: PoolOptions,
}

impl MaxPool2d {
    /// The forward pass.
    pub fn forward(&self, x: &QTensor) -> QTensor {
        F::max_pool2d(x, self.options)
    }
}

/// `nn.AdaptiveAvgPool2d` on quantized tensors ([`F::adaptive_avg_pool2d`]).
#[derive(Clone, Copy, Debug)]
pub struct AdaptiveAvgPool2d {
    /// Output height and width.
    pub output_size: (usize, usize),
}

impl AdaptiveAvgPool2d {
    /// The forward pass.
    pub fn forward(&self, x: &QTensor) -> QTensor {
        F::adaptive_avg_pool2d(x, self.output_size)
    }
}
