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
