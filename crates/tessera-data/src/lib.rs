//! tessera-data: PyTorch's `torch.utils.data` for tessera tensors.
//!
//! - **Datasets**: the map-style [`Dataset`] trait (`len`, `get`, and an optional
//!   batched [`Dataset::get_batch`], PyTorch's `__getitems__`) and the streaming
//!   [`IterableDataset`]; [`TensorDataset`], [`StackDataset`], [`ConcatDataset`],
//!   [`ChainDataset`], [`Subset`], [`random_split`] / [`random_split_fractions`],
//!   [`FnDataset`] (a dataset from a closure), and [`NpyDataset`], memory-mapped `.npy`
//!   files read row by row without loading them whole.
//! - **Samplers** ([`sampler`]): sequential, random, subset-random, weighted (no cap on
//!   the number of categories), batch and distributed, with PyTorch's semantics and errors.
//! - **[`DataLoader`]**: PyTorch's options (batch size, shuffle, samplers, `collate_fn`,
//!   worker threads, prefetching, persistent workers, `in_order`, timeout,
//!   `worker_init_fn`, generator), reproducible seeds, [`get_worker_info`], errors and
//!   panics of items delivered as `Err`s naming the index, and resumable mid-epoch
//!   state ([`DataLoader::state_dict`]).
//!
//! ```
//! use tessera_core::{Generator, Tensor};
//! use tessera_data::{DataLoader, TensorDataset};
//!
//! let x = Tensor::arange(0.0, 20.0).reshape([10, 2]);
//! let y = Tensor::arange(0, 10);
//! let ds = TensorDataset::new(vec![x, y]);
//! let mut loader = DataLoader::builder(ds).batch_size(4).shuffle(true)
//!     .generator(Generator::new(0)).build();
//! assert_eq!(loader.len(), 3); // 4 + 4 + 2
//! let mut seen = 0;
//! for batch in &mut loader {
//!     let batch = batch?; // Vec<Tensor>: [x rows, y values]
//!     assert_eq!(batch[0].shape()[1], 2);
//!     seen += batch[1].numel();
//! }
//! assert_eq!(seen, 10);
//! # Ok::<(), tessera_core::Error>(())
//! ```
//!
//! Programmer errors (a batch size of 0, `shuffle` with a `sampler`, a rank out of
//! range) panic with PyTorch's message; failures of data (a corrupt file, an item that
//! fails or panics, a timeout) are `Err(tessera_core::Error)`.
#![warn(missing_docs)]

mod concat;
mod dataset;
mod fn_dataset;
mod iterable;
pub mod loader;
mod npy_dataset;
mod npy_header;
pub mod sampler;
mod split;
mod stack;
mod subset;
mod tensor_dataset;

pub use concat::ConcatDataset;
pub use dataset::Dataset;
pub use fn_dataset::FnDataset;
pub use iterable::{ChainDataset, IterFnDataset, IterableDataset};
pub use loader::collate::{default_collate, Collate};
pub use loader::state::LoaderState;
pub use loader::worker::{get_worker_info, WorkerInfo};
pub use loader::{DataLoader, DataLoaderBuilder};
pub use npy_dataset::NpyDataset;
pub use split::{random_split, random_split_fractions, split_lengths};
pub use stack::{StackDataset, Stackable};
pub use subset::Subset;
pub use tensor_dataset::TensorDataset;
