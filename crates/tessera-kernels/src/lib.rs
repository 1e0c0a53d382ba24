//! Pure numerics on slices for tessera: `expm1`, `exp`, `log1p`, `log`, `tanh`,
//! `sigmoid`, `softplus` for `f32` and `f64`, and the row kernels behind
//! `softmax`, `log_softmax` and `logsumexp`.
//!
//! This crate knows nothing of tensors; `tessera-core` calls it on contiguous
//! chunks and splits large tensors across threads itself.
//!
//! Every function comes in two forms: `name_f32(&x, &mut y)` writes `y[i] = f(x[i])`
//! (the slices must have the same length), and `name_f32_inplace(&mut x)`.
//!
//! ```
//! let x = [1.0f32, 2.0, 3.0];
//! let mut y = [0.0f32; 3];
//! tessera_kernels::expm1_f32(&x, &mut y);
//! assert!((y[0] - 1.718_281_8).abs() < 1e-6);
//! ```

mod elementwise;
mod rows;

pub use elementwise::*;
pub use rows::*;
