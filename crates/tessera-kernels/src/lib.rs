//! Pure numerics on slices for tessera: `expm1`, `exp`, `log1p`, `log`, `tanh`,
//! `sigmoid`, `softplus` for `f32` and `f64`, and the row kernels behind
//! `softmax`, `log_softmax` and `logsumexp`, and a vectorized pairwise `sum`.
//!
//! This crate knows nothing of tensors; `tessera-core` calls it on contiguous
//! chunks and splits large tensors across threads itself. Every kernel is
//! single-threaded over its slice.
//!
//! Every function comes in two forms: `name_f32(&x, &mut y)` writes `y[i] = f(x[i])`
//! (the slices must have the same length), and `name_f32_inplace(&mut x)`.
//!
//! ```
//! let x = [1.0f32, 2.0, 3.0];
//! let mut y = [0.0f32; 3];
//! tessera_kernels::expm1_f32(&x, &mut y);
//! // Correctly rounded: the exact e - 1 rounded to f32.
//! assert_eq!(y[0], 1f64.exp_m1() as f32);
//! ```
//!
//! # Two precision grades for f32
//! The functions at the crate root are the default grade (`Highest` in tessera's
//! `set_float32_elementwise_precision`): correctly rounded where stated. The module [`high`]
//! has the same f32 functions, with the same signatures, evaluated in f32 lanes: within
//! 1 ULP (faithful) on every input, the same special values and thresholds, faster. Nothing
//! in this crate is global: callers choose by calling one or the other. f64 has one grade.
//!
//! # Why hand-rolled
//! No crate gives vectorized `expm1`/`log1p`/... that are correctly rounded in f32 (or within
//! 1 ULP in f64) and identical on every instruction set, so the kernels are written here:
//! f32 functions are evaluated in f64 lanes and rounded once (`log`, `log1p` and `tanh`
//! through a table-driven fast path whose rounding test sends the few results it cannot
//! decide, and special values, to the accurate evaluation), f64 ones with double-double
//! corrections (f64 `exp` and `tanh` from a 16-entry table, Tang's method). Each function's `# Accuracy` section states its bound; `ACCURACY.md` at the
//! repository root has the proofs (exhaustive for f32) and the commands that rerun them.
//!
//! # Backends
//! SIMD through `pulp` with runtime detection: AVX-512 (`V4`), AVX2+FMA (`V3`), NEON, or
//! scalar. All give bit-identical results. See [`Backend`], [`with_backend`] and the
//! `TESSERA_KERNELS_BACKEND` environment variable to force one.

#![warn(missing_docs)]

mod dispatch;
mod elementwise;
pub mod high;
pub mod quant;
mod rows;
mod simd;
pub mod special;
mod sum;

pub use dispatch::{available_backends, current_backend, with_backend, Backend};
pub use elementwise::*;
pub use rows::*;
pub use sum::{sum_f32, sum_f64};
