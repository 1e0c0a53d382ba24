//! The `High` grade: f32 kernels evaluated in f32 lanes (twice as many per vector as the
//! default f64-lane evaluation), within 1 ULP (faithful) on every f32 input. See
//! [`crate::high`] for the public functions and `ACCURACY.md` for the proofs.

pub(crate) mod exp;
pub(crate) mod log;
pub(crate) mod map;
pub(crate) mod poly;
pub(crate) mod sigmoid;
pub(crate) mod v32;
