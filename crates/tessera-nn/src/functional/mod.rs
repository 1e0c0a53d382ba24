//! `torch.nn.functional`: the stateless forms of the layers, each differentiable.
//!
//! Convolution, pooling and batch normalization are one autograd node each with a
//! hand-written backward kernel (f32 and f64); the others are composed of core's
//! differentiable ops. Double backward through the hand-written nodes is not supported
//! (their backward is not itself recorded).

mod activation;
mod conv;
mod fused;
mod gemm;
mod im2col;
mod loss;
mod norm;
mod pool;
mod shape;
mod take;
mod winograd;
mod winograd_grad;

pub use activation::{
    dropout, dropout_with, gelu, leaky_relu, log_softmax, relu, silu, softmax, Gelu,
};
pub use conv::{conv1d, conv2d, ConvOptions, Padding};
pub use fused::{conv2d_bn, BatchNormEval};
pub use loss::{
    binary_cross_entropy_with_logits, cross_entropy, mse_loss, nll_loss, CrossEntropyOptions,
    Reduction,
};
pub use norm::{batch_norm, group_norm, layer_norm};
pub use pool::{adaptive_avg_pool2d, avg_pool2d, max_pool2d, max_pool2d_with_indices, PoolOptions};
pub use shape::{embedding, interpolate, linear, pad, InterpolateMode, PadMode, Size};
