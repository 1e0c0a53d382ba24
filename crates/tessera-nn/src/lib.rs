//! tessera-nn: `torch.nn`, `torch.nn.functional`, `torch.nn.init` and `torch.optim`.
//!
//! Modules keep PyTorch's parameter and buffer names, so a PyTorch `state_dict` maps
//! onto a tessera model key for key; layers take PyTorch's arguments and defaults and
//! initialize as PyTorch does.
//!
//! ```
//! use tessera_core::Tensor;
//! use tessera_nn::{functional as F, optim::{Optimizer, Sgd}, Linear, Module};
//!
//! let model = Linear::new(3, 1, true);
//! let mut opt = Sgd::new(model.parameters(), 0.1);
//! let x = Tensor::randn(&[16, 3]);
//! let y = x.sum_dim([1], true);
//! let first = F::mse_loss(&model.forward(&x), &y, F::Reduction::Mean).item::<f32>();
//! for _ in 0..50 {
//!     opt.zero_grad();
//!     let loss = F::mse_loss(&model.forward(&x), &y, F::Reduction::Mean);
//!     loss.backward();
//!     opt.step();
//! }
//! let last = F::mse_loss(&model.forward(&x), &y, F::Reduction::Mean).item::<f32>();
//! assert!(last < first / 10.0);
//! ```
//!
//! # Where it differs from PyTorch
//! - Random draws (initialization, dropout masks) come from tessera's generator: the
//!   same distributions and bounds as PyTorch, other bits.
//! - The hand-written backward of `conv1d`/`conv2d`, the pooling ops, `batch_norm`, the
//!   exact `gelu` and the gathers behind `embedding`, `pad` and `interpolate` is not
//!   itself recorded: a second derivative through them (`create_graph`) is not
//!   available. The ops composed of core's ops (`layer_norm`, `group_norm`, losses, the
//!   tanh `gelu`, `silu`) support it.
//! - Only the modules whose forward depends on the mode (batch norm, dropout) and the
//!   containers carry a training flag (see [`Module::is_training`]).
//! - Optimizer hyper-parameters are numbers by name (`"beta1"`, `"beta2"` for
//!   `betas`; booleans as 0 or 1); `foreach`, `fused`, `capturable` and `differentiable`
//!   do not exist (the single-tensor update is the one implemented).
#![warn(missing_docs)]

mod float;
pub mod functional;
pub mod init;
mod layers;
mod module;
pub mod optim;

pub use float::Float;
pub use layers::*;
pub use module::{LoadReport, Member, Module, ModuleDict, ModuleList, Sequential, Slot, TrainFlag};
