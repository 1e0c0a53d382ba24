//! The float modules of the eager flow: the stubs that mark where quantization starts and
//! ends, and the fused `Conv2d + ReLU` and `Linear + ReLU` that `fuse_modules` makes
//! (`torch.ao.nn.intrinsic.ConvReLU2d`, `LinearReLU`).

use tessera_core::Tensor;
use tessera_nn::{Conv2d, Linear, Member, Module};

/// `torch.ao.quantization.QuantStub`: the identity in f32; `convert` makes it a
/// `Quantize` with the qparams its observer chose.
#[derive(Clone, Copy, Debug, Default)]
pub struct QuantStub;

/// `torch.ao.quantization.DeQuantStub`: the identity in f32; `convert` makes it a
/// `DeQuantize`.
#[derive(Clone, Copy, Debug, Default)]
pub struct DeQuantStub;

macro_rules! identity_module {
    ($($t:ident),*) => {$(
        impl Module for $t {
            fn forward(&self, x: &Tensor) -> Tensor {
                x.clone()
            }
            fn visit<'a>(&'a self, _f: &mut dyn FnMut(Member<'a>)) {}
            tessera_nn::as_dyn!();
        }
    )*};
}
identity_module!(QuantStub, DeQuantStub);

/// `torch.ao.nn.quantized.FloatFunctional`: the f32 `add` and `add_relu` of a model, as a
/// module so that `prepare` can observe its output and `convert` can make it a
/// [`QFunctional`](crate::nn::quantized::QFunctional) (the residual add of a ResNet block).
#[derive(Clone, Copy, Debug, Default)]
pub struct FloatFunctional;

impl FloatFunctional {
    /// `a + b`.
    ///
    /// # Panics
    /// As tensor addition (shapes that do not broadcast, ...).
    pub fn add(&self, a: &Tensor, b: &Tensor) -> Tensor {
        a + b
    }

    /// `relu(a + b)`.
    ///
    /// # Panics
    /// As tensor addition.
    pub fn add_relu(&self, a: &Tensor, b: &Tensor) -> Tensor {
        (a + b).relu()
    }
}

impl Module for FloatFunctional {
    /// # Panics
    /// Always, as PyTorch's raises: use [`FloatFunctional::add`] or
    /// [`FloatFunctional::add_relu`].
    fn forward(&self, _x: &Tensor) -> Tensor {
        panic!(
            "FloatFunctional is not intended to use the 'forward'. Please use the underlying \
             operation (add, add_relu)"
        )
    }
    fn visit<'a>(&'a self, _f: &mut dyn FnMut(Member<'a>)) {}
    tessera_nn::as_dyn!();
}

/// `torch.ao.nn.intrinsic.ConvReLU2d`: a convolution followed by ReLU, one module for
/// quantization (child `"0"` is the convolution, with any batch norm already folded in, and
/// `"1"` the ReLU, as PyTorch names them).
pub struct ConvReLU2d {
    /// The convolution.
    pub conv: Conv2d,
    relu: tessera_nn::ReLU,
}

/// `torch.ao.nn.intrinsic.LinearReLU`: a linear layer followed by ReLU.
pub struct LinearReLU {
    /// The linear layer.
    pub linear: Linear,
    relu: tessera_nn::ReLU,
}

impl ConvReLU2d {
    /// Fuses `conv` with a following ReLU.
    pub fn new(conv: Conv2d) -> Self {
        ConvReLU2d {
            conv,
            relu: tessera_nn::ReLU,
        }
    }
}

impl LinearReLU {
    /// Fuses `linear` with a following ReLU.
    pub fn new(linear: Linear) -> Self {
        LinearReLU {
            linear,
            relu: tessera_nn::ReLU,
        }
    }
}

impl Module for ConvReLU2d {
    fn forward(&self, x: &Tensor) -> Tensor {
        self.conv.forward(x).relu()
    }
    fn visit<'a>(&'a self, f: &mut dyn FnMut(Member<'a>)) {
        f(Member::Child("0", &self.conv));
        f(Member::Child("1", &self.relu));
    }
    tessera_nn::as_dyn!();
}

impl Module for LinearReLU {
    fn forward(&self, x: &Tensor) -> Tensor {
        self.linear.forward(x).relu()
    }
    fn visit<'a>(&'a self, f: &mut dyn FnMut(Member<'a>)) {
        f(Member::Child("0", &self.linear));
        f(Member::Child("1", &self.relu));
    }
    tessera_nn::as_dyn!();
}
