//! # tessera
//!
//! PyTorch's tensor semantics in Rust, with the numerics done right.
//!
//! A PyTorch program ports function by function: `torch.tensor` is [`tensor!`],
//! `x.expm1()` is [`Tensor::expm1`], `x.expm1_()` is [`Tensor::expm1_`], and
//! `torch.expm1(x, out=y)` is [`expm1_out`]. Dtypes follow PyTorch's promotion,
//! views share storage, and printing matches PyTorch's.
//!
//! ```
//! use tessera::prelude::*;
//!
//! let x = tensor!([1.0, 2.0, 3.0]);
//! let y = x.expm1(); // e^x - 1, not e^x
//! assert!((y.get::<f32>(&[0]) - 1.718_281_8).abs() < 1e-6);
//!
//! // accurate where exp(x) - 1 cancels
//! let tiny = tensor!([1e-10]);
//! assert_eq!((tiny.exp() - 1.0).item::<f32>(), 0.0);
//! assert!((tiny.expm1().item::<f32>() - 1e-10).abs() < 1e-16);
//! ```
//!
//! The crates behind it: `tessera-kernels` (vectorized, correctly rounded
//! elementwise kernels on slices), `tessera-core` (the tensor), and one crate per
//! area, re-exported here as modules.
#![warn(missing_docs)]

// The public surface, listed: the tensor and its types, the free functions a PyTorch
// user calls as `torch.*`, and the modules of core that users reach by name. Internals
// of core (kernel tables, output buffers, the thread pool) are not re-exported.
pub use tessera_core::{
    cached_buffer_bytes, float32_elementwise_precision, get_float32_elementwise_precision,
    get_num_threads, manual_seed, release_cached_buffers, result_type,
    set_float32_elementwise_precision, set_num_threads, tensor, with_default_generator, Category,
    DType, Device, Dims, Element, Error, FloatElement, Generator, Layout, Operand, Precision,
    PrecisionGuard, PrintOptions, Result, Scalar, StateDict, Storage, StorageData, StorageElement,
    Tensor, TensorLiteral,
};

/// The `out=` forms (`torch.expm1(x, out=y)` is `tessera::expm1_out(&x, &mut y)`): each
/// writes straight into a contiguous `out` of the result's shape and dtype, resizes an
/// empty `out`, and panics on another shape or dtype.
pub use tessera_core::ops::{
    abs_out, add_out, ceil_out, clamp_out, cos_out, div_out, eq_out, exp_out, expm1_out, floor_out,
    ge_out, gt_out, le_out, log1p_out, log_out, lt_out, maximum_out, minimum_out, mul_out, ne_out,
    neg_out, pow_out, reciprocal_out, relu_out, round_out, rsqrt_out, sigmoid_out, sign_out,
    sin_out, softplus_out, sqrt_out, square_out, sub_out, tanh_out, where_out,
};

/// The special functions' `out=` forms (`torch.lgamma(x, out=y)`, ...).
pub use tessera_core::ops::{
    digamma_out, erf_out, erfc_out, erfinv_out, lgamma_out, mvlgamma_out, polygamma_out, xlogy_out,
};

/// Reverse-mode autograd: `grad`, `no_grad`, `gradcheck`, custom ops.
pub use tessera_core::autograd;

/// Ops by module, as in core: the `out=` forms, `Tolerance` for `allclose`, `BinaryOp`.
pub use tessera_core::ops;

/// The slice kernels (`tessera_kernels`): `expm1_f32(&x, &mut y)` and friends,
/// usable without tensors.
pub use tessera_kernels as kernels;

/// `torch.linalg`: `inv`, `inv_ex`, `det`, `slogdet`, `solve`, `lu_factor`,
/// `cholesky`, `matrix_exp`, `matrix_norm`, `cond`; batched, f32 and f64.
pub use tessera_linalg as linalg;

/// ODE solvers with torchdiffeq's interface (`odeint`, `odeint_adjoint`):
/// Euler, midpoint, RK4, dopri5 and tsit5, differentiable through autograd.
pub use tessera_ode as ode;

/// `torch.utils.data`: datasets (in memory, memory-mapped `.npy`, streams), samplers
/// (random, weighted, distributed, ...) and a multi-threaded `DataLoader` with
/// PyTorch's options, reproducible seeds and resumable state.
pub use tessera_data as data;

/// `torch.save` / `torch.load`: PyTorch's `.pth` files (zip and legacy formats), read by
/// an allow-list unpickler that never executes anything from the file, into a
/// [`io::Value`] tree (`.to_state_dict()` gives a [`StateDict`]); and safetensors.
pub use tessera_io as io;

/// `torch.load(path, weights_only=True)`, `torch.save(obj, path)`, and a state dict
/// straight from a file.
pub use tessera_io::{load, load_state_dict, save};

/// safetensors files: `load_file` / `save_file`, like the Python package.
pub use tessera_io::safetensors;

/// `torch.hub`: `get_dir` / `set_dir` (PyTorch's cache directory), `download_url_to_file`
/// and `load_state_dict_from_url` with hash checks, `file://` URLs and a cross-process lock.
pub use tessera_hub as hub;

/// `torch.utils.model_zoo`: `load_url` is `hub::load_state_dict_from_url`.
pub use tessera_hub::model_zoo;

/// `torch.utils.cpp_extension`: C and C++ custom ops compiled and loaded at run time
/// (`load`, `load_inline`), cached across runs, called on tensors with autograd; the C ABI
/// header `tessera.h` (`include_paths`) and the compiler check.
pub use tessera_extension as extension;

/// `torch.nn`: the `Module` trait with PyTorch's dotted parameter names and
/// `state_dict` / `load_state_dict`, layers with PyTorch's defaults and initialization,
/// `nn::functional` (convolution, pooling, normalization, activations, losses, ...) and
/// `nn::init`.
pub use tessera_nn as nn;

/// `torch.optim`: SGD, Adam, AdamW, RMSprop with parameter groups and state dicts, the
/// learning-rate schedulers, and `clip_grad_norm_`.
pub use tessera_nn::optim;

/// `torch.distributions`: Normal ... Wishart, `TransformedDistribution`, transforms
/// (with `ComposeTransform`), constraints and `kl_divergence`; reparameterized samples
/// from a seedable generator.
pub use tessera_distributions as distributions;
/// torchvision's models: `resnet18`, `resnet34`, `resnet50` with torchvision's
/// `state_dict` keys, and small models for examples.
pub use tessera_models as models;

/// `torch.ao.quantization`: quantized tensors (`quint8`, `qint8`, `qint32`) with
/// PyTorch's arithmetic bit for bit, observers, `FakeQuantize`, `QConfig` and
/// `QConfigMapping`.
pub use tessera_quantization as quantization;

/// What most programs need: `use tessera::prelude::*;`.
pub mod prelude {
    pub use tessera_core::autograd::{self, no_grad};
    pub use tessera_core::ops::Tolerance;
    pub use tessera_core::{
        manual_seed, tensor, DType, Device, Error, Generator, Result, Scalar, Tensor,
    };
}

/// The README's example, run as a doctest so the README stays true.
#[doc = include_str!("../../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
