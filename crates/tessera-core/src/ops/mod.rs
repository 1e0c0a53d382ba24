//! Ops on tensors: elementwise math, broadcasting binary ops, comparisons,
//! reductions, softmax, matmul, joins.

pub mod arith;
mod out;
pub mod unary;

pub use unary::*;
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
