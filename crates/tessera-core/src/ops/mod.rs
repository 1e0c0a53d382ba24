//! Ops on tensors: elementwise math, broadcasting binary ops, comparisons, reductions,
//! softmax, matmul, joins.
//!
//! # How an op is defined
//! An elementwise op is a named type that states its name, its per-dtype slice kernels (or
//! one generic scalar body), what its backward keeps, its gradient, and, in its docs, its
//! accuracy. One generic driver per kind runs every op of that kind in PyTorch's three call
//! forms (new tensor, in place, `out=`), on contiguous and strided inputs, chunked across
//! the thread pool, with autograd:
//!
//! | kind | trait | drivers | definitions |
//! | --- | --- | --- | --- |
//! | float unary (`expm1`, `tanh`, ...) | [`FloatUnaryOp`] | [`unary::float_unary`], [`unary::float_unary_`], [`unary::float_unary_out`] | `unary/float.rs` |
//! | dtype-keeping unary (`neg`, `relu`, ...) | [`MapUnaryOp`] | [`unary::map_unary`], `map_unary_`, `map_unary_out` | `unary/same.rs` |
//! | binary with broadcasting (`add`, `pow`, ...) | [`BinaryOp`] | [`binary()`], [`binary_`], [`binary_out`] | `binary/arith_ops.rs` |
//! | comparison (`eq`, `lt`, ...) | [`CompareOp`] | [`compare()`], [`compare_out`] | `compare.rs` |
//! | reduction (`sum`, `amax`, `argmax`, ...) | [`ReduceOp`] | [`reduce()`], [`reduce_out`] (all dims, over dims, `out=`) | `reduce/ops.rs`, `reduce/arg.rs` |
//!
//! Inside core, each op is one `unary_op!`, `binary_op!`, `compare_op!` or `reduce_op!` invocation whose `///` docs
//! become the method's, so `grep -n "fn expm1"` lands on the definition:
//!
//! ```text
//! unary_op! {
//!     /// `e^x - 1`, accurate for small `x` ... (`torch.expm1`).
//!     ///
//!     /// # Accuracy
//!     /// f32: correctly rounded; f64: within 1 ULP (see ACCURACY.md).
//!     fn expm1, expm1_, expm1_out = Expm1;
//!     float kernels(k::expm1_f32, k::expm1_f32_inplace, k::expm1_f64, k::expm1_f64_inplace);
//!     saves Output, backward |g, x, y| g * (y + 1.0);
//! }
//! ```
//!
//! It defines the type `Expm1`, its [`FloatUnaryOp`] impl, `Tensor::expm1`,
//! `Tensor::expm1_` and `ops::expm1_out`. The runtime dtype reaches a Rust type in one way
//! only, `dispatch!` / `dispatch_float!`, inside the drivers.
//!
//! # Adding an op
//! Outside core (an area crate, or a user's own code) the same trait and drivers give a new
//! op all three forms and its gradient; the `out=` form writes straight into `out` when it
//! is contiguous:
//!
//! ```
//! use tessera_core::autograd::{self, Saves};
//! use tessera_core::ops::unary::{float_unary, float_unary_, float_unary_out, FloatUnaryOp};
//! use tessera_core::{tensor, DType, Tensor};
//!
//! /// `x^3`, exact up to one rounding per multiply.
//! struct Cube;
//!
//! impl FloatUnaryOp for Cube {
//!     const NAME: &'static str = "cube";
//!     const NAME_INPLACE: &'static str = "cube_";
//!     const SAVES: Saves = Saves::Inputs;
//!     fn f32(x: &[f32], y: &mut [f32]) {
//!         y.iter_mut().zip(x).for_each(|(y, &x)| *y = x * x * x);
//!     }
//!     fn f32_inplace(x: &mut [f32]) {
//!         x.iter_mut().for_each(|x| *x = *x * *x * *x);
//!     }
//!     fn f64(x: &[f64], y: &mut [f64]) {
//!         y.iter_mut().zip(x).for_each(|(y, &x)| *y = x * x * x);
//!     }
//!     fn f64_inplace(x: &mut [f64]) {
//!         x.iter_mut().for_each(|x| *x = *x * *x * *x);
//!     }
//!     fn backward(g: &Tensor, x: &Tensor, _y: &Tensor) -> Tensor {
//!         g * x.square() * 3.0
//!     }
//! }
//!
//! // New tensor; integers promote to the default float dtype, as for built-in ops.
//! assert_eq!(float_unary::<Cube>(&tensor!([1, 2])).to_vec::<f32>(), [1.0, 8.0]);
//! // In place, through a strided view.
//! let m = tensor!([[1.0, 2.0], [3.0, 4.0]]);
//! float_unary_::<Cube>(&m.t().select(0, 0)); // column 0
//! assert_eq!(m.to_vec::<f32>(), [1.0, 2.0, 27.0, 4.0]);
//! // Into a preallocated tensor.
//! let mut out = Tensor::zeros(&[2]);
//! float_unary_out::<Cube>(&tensor!([2.0, -1.0]), &mut out);
//! assert_eq!(out.to_vec::<f32>(), [8.0, -1.0]);
//! // The gradient, checked by finite differences.
//! let x = tensor!([0.5, -1.5], dtype = DType::F64);
//! x.requires_grad_(true);
//! autograd::gradcheck(|v| float_unary::<Cube>(&v[0]), &[x], Default::default()).unwrap();
//! ```
//!
//! The row ops `softmax`, `log_softmax` and `logsumexp` (`softmax.rs`) share one driver
//! over rows along a dim, with per-dtype row kernels picked by the `RowFloat` trait (the
//! f32 kernel follows the calling thread's [`crate::Precision`]). The remaining ops that
//! are neither elementwise nor reductions (`matmul`, indexing, joins, views) have one
//! body each and are one method each in their own file, with their backward recorded
//! next to the forward (`autograd::custom_op` for ops outside core).

pub mod arith;
mod out;
pub mod unary;

pub use unary::{
    abs_out, ceil_out, cos_out, exp_out, expm1_out, floor_out, log1p_out, log_out, neg_out,
    reciprocal_out, relu_out, round_out, rsqrt_out, sigmoid_out, sign_out, sin_out, softplus_out,
    sqrt_out, square_out, tanh_out, FloatUnaryOp, MapUnaryOp,
};
pub mod binary;
pub use binary::{
    add_out, binary, binary_, binary_out, clamp_out, div_out, maximum_out, minimum_out, mul_out,
    pow_out, sub_out, zip_map, BinaryOp, Rhs, Side,
};
mod close;
pub mod compare;
pub use compare::{
    compare, compare_out, eq_out, ge_out, gt_out, le_out, lt_out, ne_out, CompareOp,
};
mod index;
mod join;
mod overload;
pub mod reduce;
pub use reduce::{
    all_out, amax_out, amin_out, any_out, mean_out, prod_out, reduce, reduce_out, sum_out, ReduceOp,
};
mod softmax;
pub use close::Tolerance;
mod matmul;
mod special;
mod where_;
pub use special::{
    digamma_out, erf_out, erfc_out, erfinv_out, lgamma_out, mvlgamma_out, polygamma_out, xlogy_out,
};
pub use where_::where_out;
