//! `tessera::linalg`: PyTorch's `torch.linalg` for tessera tensors.
//!
//! Every function takes `F32` or `F64` tensors holding a matrix or a batch of
//! matrices (any number of leading dims) and works on each matrix of the batch:
//!
//! | PyTorch | tessera |
//! | --- | --- |
//! | `torch.linalg.inv`, `inv_ex` | [`inv`], [`inv_ex`] |
//! | `torch.linalg.det`, `slogdet` | [`det`], [`slogdet`] |
//! | `torch.linalg.solve`, `solve_ex` | [`solve`], [`solve_ex`] |
//! | `torch.linalg.lu_factor`, `lu_factor_ex` | [`lu_factor`], [`lu_factor_ex`] |
//! | `torch.linalg.cholesky`, `cholesky_ex` | [`cholesky`], [`cholesky_ex`] |
//! | `torch.linalg.matrix_exp` | [`matrix_exp`] |
//! | `torch.linalg.matrix_norm`, `cond` | [`matrix_norm`], [`cond`] |
//!
//! Errors follow tessera's rule: a wrong shape or dtype is a programmer error and
//! panics with a message naming the op and the shapes; a failure that depends on the
//! values (a singular matrix, a matrix that is not positive definite) is an
//! [`Error::Numerical`](tessera_core::Error::Numerical) naming the batch element, and
//! the `_ex` variants report it per matrix in an `info` tensor instead.
//!
//! Batches of small matrices (up to 16x16) take a dedicated path: LU and Cholesky on
//! stack buffers with code specialised per size, parallel across the batch on
//! tessera's thread pool. Larger matrices use blocked LU and triangular solves built
//! on [faer](https://docs.rs/faer)'s matrix products, and faer's Cholesky.
//!
//! Gradients: `inv`, `inv_ex`, `det`, `slogdet` (of `logabsdet`), `solve`,
//! `solve_ex`, `cholesky`, `cholesky_ex` and `matrix_exp` record their backward
//! for tessera's autograd, written with tensor ops so `create_graph` can
//! differentiate them again. The gradients of `det` and `slogdet` use `A^-1` and
//! are defined for invertible matrices only (PyTorch switches to an SVD at singular
//! ones). `lu_factor`, `matrix_norm` and `cond` are not differentiable yet.
//!
//! ```
//! use tessera_core::{tensor, DType};
//! let a = tensor!([[4.0, 1.0], [2.0, 3.0]], dtype = DType::F64);
//! let x = tessera_linalg::inv(&a).unwrap();
//! assert!((tessera_linalg::det(&a).item::<f64>() - 10.0).abs() < 1e-14);
//! assert!((x.get::<f64>(&[0, 0]) - 0.3).abs() < 1e-15);
//! ```
#![warn(missing_docs)]

mod batch;
mod blocked;
mod cholesky;
mod dense;
mod det;
mod inv;
mod lu;
mod matrix_exp;
mod norm;
pub mod scalar;
mod small;
mod solve;
mod strided;

pub use cholesky::{cholesky, cholesky_ex};
pub use det::{det, slogdet};
pub use inv::{inv, inv_ex};
pub use lu::{lu_factor, lu_factor_ex};
pub use matrix_exp::matrix_exp;
pub use norm::{cond, matrix_norm, NormOrd};
pub use scalar::Float;
pub use solve::{solve, solve_ex};
