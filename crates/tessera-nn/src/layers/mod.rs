//! The layers (`nn.Linear`, `nn.Conv2d`, ...): parameters under PyTorch's names,
//! PyTorch's default initialization, forward through [`crate::functional`].

mod conv;
mod linear;
mod loss;
mod norm;
mod simple;

pub use conv::{Conv1d, Conv2d};
pub use linear::{Embedding, Linear};
pub use loss::{BCEWithLogitsLoss, CrossEntropyLoss, MSELoss};
pub use norm::{BatchNorm1d, BatchNorm2d, GroupNorm, LayerNorm};
pub use simple::{
    AdaptiveAvgPool2d, AvgPool2d, Dropout, Flatten, Identity, LeakyReLU, LogSoftmax, MaxPool2d,
    ReLU, SiLU, Sigmoid, Softmax, Tanh, GELU,
};

use crate::init;
use crate::module::Slot;
use tessera_core::{DType, Tensor};

/// PyTorch's default init of a weight and bias (`reset_parameters` of `Linear` and
/// `_ConvNd`): `kaiming_uniform_(a=sqrt(5))`, i.e. `U(-1/sqrt(fan_in), 1/sqrt(fan_in))`,
/// and the bias from the same bound.
fn default_weight_bias(shape: &[usize], bias: bool) -> (Slot, Option<Slot>) {
    let w = Tensor::zeros_dtype(shape, DType::F32);
    init::kaiming_uniform_(
        &w,
        init::Fan::In,
        init::Nonlinearity::LeakyRelu(5f64.sqrt()),
    );
    let b = bias.then(|| {
        let b = Tensor::zeros_dtype(&[shape[0]], DType::F32);
        let fan_in = if shape.len() >= 2 {
            init::fan_in_and_fan_out(&w).0
        } else {
            0
        };
        if fan_in > 0 {
            let bound = 1.0 / (fan_in as f64).sqrt();
            init::uniform_(&b, -bound, bound);
        }
        Slot::parameter(b)
    });
    (Slot::parameter(w), b)
}
