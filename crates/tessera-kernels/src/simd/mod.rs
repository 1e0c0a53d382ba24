//! The SIMD kernels: f64-lane cores generic over the pulp backend, and the slice drivers.
//!
//! Hand-rolled on purpose: no crate offers vectorized kernels that are correctly rounded
//! (f32) or within 1 ULP (f64) and bit-identical on every backend.

pub(crate) mod exp;
pub(crate) mod exp_t16;
pub(crate) mod family;
pub(crate) mod high;
pub(crate) mod lanes;
pub(crate) mod log;
pub(crate) mod log_t16;
pub(crate) mod map;
pub(crate) mod poly;
pub(crate) mod prefetch;
pub(crate) mod vec;

pub(crate) use lanes::Lanes;
pub(crate) mod hard_cases;
pub(crate) mod rowops;
pub(crate) mod softmax_f32;
pub(crate) mod softplus_t16;
pub(crate) mod stream;
pub(crate) mod sum;
pub(crate) mod tanh_t16;
