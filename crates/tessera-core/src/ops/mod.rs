//! Ops on tensors: elementwise math, broadcasting binary ops, comparisons,
//! reductions, softmax, matmul, joins.

pub mod arith;
pub mod unary;

pub use unary::*;
pub mod binary;
pub use binary::{binary, clamp_out, zip_map, BinaryOp, Rhs};
mod close;
pub mod compare;
mod index;
mod join;
mod overload;
pub mod reduce;
mod softmax;
pub use close::Tolerance;
mod matmul;
