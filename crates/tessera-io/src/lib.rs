//! tessera-io: `torch.save` / `torch.load` for PyTorch's `.pth` files, and safetensors.
//!
//! - [`load`] reads what `torch.save` wrote: the zip format of PyTorch 1.6 and later
//!   (any archive prefix, `data.pkl`, `data/N`, `byteorder`, `version`) and the legacy
//!   format before it (`_use_new_zipfile_serialization=False`). The result is a
//!   [`Value`] tree (dicts, `OrderedDict`s with their `_metadata`, lists, tuples, ints,
//!   floats, strings, bytes, `torch.Size`, dtypes, tensors, `nn.Parameter`s); a state
//!   dict comes out of it with [`Value::to_state_dict`] (or [`load_state_dict`]).
//!   Tensors are rebuilt with their storage offset, size and stride, and tensors that
//!   shared a storage in the file share one [`tessera_core::Storage`].
//! - [`save`] writes PyTorch's zip format, which `torch.load(..., weights_only=True)`
//!   reads back tensor for tensor.
//! - [`safetensors`]: `load_file` / `save_file` (memory-mapped) like the Python package.
//!
//! ## Safety of loading
//! Unpickling a `.pth` in PyTorch without `weights_only=True` can run any code. tessera's
//! unpickler is a small allow-list machine like PyTorch's `weights_only` one: it knows
//! the opcodes that data needs and a fixed list of globals (`collections.OrderedDict`,
//! the tensor and parameter rebuild functions, storage classes, `torch.Size`, dtypes,
//! `_codecs.encode`, `set`), and interprets each; it calls nothing. Unknown opcodes and
//! globals are an `Err` naming them. Every length and size read from a file is checked
//! against the bytes that remain before anything is allocated, zip entries are
//! CRC-checked and entries with `..` or absolute paths are refused, and hostile input
//! is an `Err`, never a panic, a hang or a huge allocation (a fuzz target under `fuzz/`
//! and a mutation test check this).
//!
//! ## Dtypes
//! tessera has no 16-bit dtypes yet: `float16` and `bfloat16` load as `float32`,
//! `int16` and `uint16` as `int32`, `uint32` as `int64`, all exactly. Complex, float8,
//! `uint64` and quantized tensors are an `Err` naming the dtype (there is no
//! quantization in tessera yet). [`save`] writes tessera's dtypes as they are.
//!
//! ## Not supported
//! - Files of PyTorch before 0.4 whose pickles hold storage *views* (a persistent id
//!   with view metadata), and the tar-based format of PyTorch 0.1: an `Err` saying so.
//! - Tensor subclasses and parameters with Python attributes (`_rebuild_from_type_v2`
//!   with state), sparse, quantized and meta tensors, and any class outside the
//!   allow-list (a whole pickled `nn.Module`): an `Err` naming the global.
//! - `map_location`: everything loads on the CPU, tessera's only device.
//! - [`save`] writes the zip format only (never the legacy one).
//!
//! ```
//! use tessera_core::{StateDict, Tensor};
//! let dir = tempfile::tempdir()?;
//! let mut sd = StateDict::new();
//! sd.insert("weight", Tensor::ones(&[4, 3]));
//! sd.insert("bias", Tensor::zeros(&[4]));
//! tessera_io::save(&sd, dir.path().join("model.pth"))?;
//! let back = tessera_io::load_state_dict(dir.path().join("model.pth"))?;
//! assert_eq!(back.keys().collect::<Vec<_>>(), ["weight", "bias"]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![warn(missing_docs)]

mod element;
pub mod pickle;
mod pth;
mod qtensor;
pub mod safetensors;
mod value;

pub use element::FileDType;
pub use pth::read::{load, load_bytes, load_state_dict};
pub use pth::write::{save, save_bytes, save_to_writer};
pub use qtensor::{QParamsRecord, QTensorRecord};
pub use value::{Dict, Value};
