//! Ops on tensors: elementwise math, broadcasting binary ops, comparisons,
//! reductions, softmax, matmul, joins.

pub mod arith;
mod out;
pub(crate) mod unary;

pub use unary::{
    abs_out, ceil_out, cos_out, exp_out, expm1_out, floor_out, log1p_out, log_out, neg_out,
    reciprocal_out, relu_out, round_out, rsqrt_out, sigmoid_out, sign_out, sin_out, softplus_out,
    sqrt_out, square_out, tanh_out,
};
pub mod binary;
pub use binary::{
    add_out, binary, binary_out, clamp_out, div_out, maximum_out, minimum_out, mul_out, pow_out,
    sub_out, zip_map, BinaryOp, Rhs,
};
mod close;
pub mod compare;
pub use compare::where_out;
mod index;
mod join;
mod overload;
pub mod reduce;
mod softmax;
pub use close::Tolerance;
mod matmul;
mod special;
pub use special::{
    digamma_out, erf_out, erfc_out, erfinv_out, lgamma_out, mvlgamma_out, polygamma_out, xlogy_out,
};
