//! tessera-core: the [`Tensor`] type, with PyTorch's semantics.
//!
//! Dtypes with PyTorch's type promotion, shared storage with views, broadcasting,
//! elementwise math in PyTorch's three call forms, reductions, `matmul`, and
//! torch-style printing. Most users depend on the `tessera` facade crate instead.
#![warn(missing_docs)]

pub mod autograd;
mod data;
mod device;
mod display;
pub mod dtype;
mod error;
pub mod layout;
mod ndarray_interop;
mod npy;
pub mod ops;
mod precision;
pub mod runtime;
mod scalar;
pub mod shared;
mod state_dict;
pub mod storage;
mod tensor;

pub use device::Device;
pub use display::PrintOptions;
pub use dtype::{result_type, Category, DType, Element, FloatElement, Operand};
pub use error::{Error, Result};
pub use layout::Layout;
pub use precision::{
    float32_elementwise_precision, get_float32_elementwise_precision,
    set_float32_elementwise_precision, Precision, PrecisionGuard,
};
pub use runtime::{cached_buffer_bytes, get_num_threads, release_cached_buffers, set_num_threads};
pub use scalar::Scalar;
pub use state_dict::StateDict;
pub use storage::{Storage, StorageData, StorageElement};
pub use tensor::{manual_seed, with_default_generator, Dims, Generator, Tensor, TensorLiteral};
