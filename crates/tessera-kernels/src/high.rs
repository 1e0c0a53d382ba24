//! The `High` precision grade of the f32 kernels: faster, within 1 ULP instead of correctly
//! rounded.
//!
//! The default f32 kernels (the crate root's `*_f32`) are correctly rounded (`exp`, `expm1`,
//! `log`, `log1p`, `tanh`) or within 1 ULP (`sigmoid`, `softplus`): they evaluate in f64
//! lanes and round once. The functions here have the same names and signatures and
//! evaluate in f32 lanes (twice as many elements per vector), with the large terms kept as
//! exact f32 pairs so that each result is rounded about once:
//!
//! - **Accuracy**: at most 1 ULP (faithful rounding: the result is one of the two f32
//!   values around the exact one) on every f32 input, measured by the exhaustive sweep
//!   over all 2^32 inputs (`ACCURACY.md` has the maximum of each function and which
//!   backends were swept); the other backends give the same bits.
//! - **Special values** are exactly those of the default kernels: NaN, ±inf, ±0 (signs
//!   kept), subnormal inputs and results, and the overflow and underflow thresholds (the
//!   inputs at which `exp`, `expm1`, `sigmoid` and `softplus` switch to `+inf` or `+0`, and
//!   `expm1` to -1) are the same.
//! - **Reproducible**: the same bits on every backend (AVX-512, AVX2, NEON, scalar: the
//!   same operation sequence, FMAs everywhere, the same choice for every lane whatever its
//!   neighbours), at every position of a slice and for every way of splitting a slice into
//!   chunks or threads. Tested on Scalar, V3 and V4; NEON is compiled on AArch64 only and
//!   has not been run.
//! - f64 has no `High` grade: the f64 kernels are the crate root's.
//! - **Row kernels** ([`softmax_f32`], [`log_softmax_f32`], [`logsumexp_f32`]): the
//!   default evaluation (f64 lanes with a 16-entry table, about 2^-37 per exponential,
//!   summed in f64) is already within the `High` bounds and was measured faster than an
//!   f32-lane evaluation that keeps `x - max` and the exponential as exact pairs.
//!   `log_softmax_f32` and `logsumexp_f32` sum a
//!   shorter exponential (a degree-1 polynomial instead of degree 2: about 2^-29.2 relative
//!   instead of 2^-37.5, one FMA fewer, about 4% faster per thread on AVX-512) on rows whose
//!   entries lie in [-600, 600] (other rows: the default kernel); their results stay within
//!   about 0.56 ULP (2^-29.2 on the terms, twice, is at most 2^-4.2 ULP of the result, which
//!   has no cancellation), inside the 1 ULP bound. [`softmax_f32`] is the default kernel
//!   (same bits) in both grades: on f32 rows within ±170, of spread at most 72 and at most
//!   4096 entries it needs no `x - max` (it centers by a power of two), runs in f32 lanes
//!   with the 16-entry table of the `High` sigmoid and rounds once (0.67 ULP by its
//!   error analysis, `src/simd/softmax_f32.rs`); other rows keep the f64 evaluation and its
//!   two roundings (1.5 ULP).
//! - **`sigmoid`** ([`sigmoid_f32`]) runs in f32 lanes with a 16-entry table of `2^(j/16)`
//!   (one permute per lookup on AVX-512), a degree-3 polynomial and one f32 division
//!   corrected by FMA residuals (`src/simd/high/sigmoid.rs` has the error analysis), 15
//!   multiplications and FMAs per vector, 13 when every lane has `|x| <= 64` (an unscaled
//!   path with the same bits): about 45% faster per thread than the default kernel's
//!   f64-lane evaluation, which this grade used before (2.64 against 1.82 Gelem/s per
//!   thread, thread CPU time, AVX-512, loaded machine), within 0.78 ULP on every input.
//!
//! Nothing here is global: the caller picks the grade by calling these functions or the
//! default ones (tessera's `set_float32_elementwise_precision` does that choice above this
//! crate).
//!
//! ```
//! use tessera_kernels::high;
//! let x = [1.0f32, 2.0, -3.0];
//! let mut y = [0.0f32; 3];
//! high::expm1_f32(&x, &mut y);
//! // Within 1 ULP of the exact e - 1, whose correctly rounded value is 1.7182819.
//! let exact = 1f64.exp_m1();
//! assert!((y[0] as f64 - exact).abs() < f32::EPSILON as f64 * 2.0);
//! // Special values as in the default kernels.
//! let mut z = [0.0f32; 2];
//! high::log_f32(&[0.0, -1.0], &mut z);
//! assert_eq!(z[0], f32::NEG_INFINITY);
//! assert!(z[1].is_nan());
//! ```

use crate::dispatch::dispatch;
use crate::simd::high::map::{HighMap, HighUnary};
use crate::simd::high::v32::Gv;
use crate::simd::high::{exp, log, sigmoid};
use crate::simd::Lanes;
use core::marker::PhantomData;

#[inline]
fn run<K: HighUnary>(src: *const f32, dst: *mut f32, len: usize) {
    dispatch(HighMap::<K> {
        src,
        dst,
        len,
        kernel: PhantomData,
    });
}

macro_rules! high_kernels {
    ($kernel:ident, $core:path, $name:ident, $inplace:ident, $what:literal, $special:literal) => {
        struct $kernel;
        impl HighUnary for $kernel {
            #[inline(always)]
            fn core<S: Lanes>(x: Gv<S>) -> Gv<S> {
                $core(x)
            }
        }

        #[doc = concat!("Writes `y[i] = ", $what, "` for `f32`, `High` grade.")]
        ///
        /// # Accuracy
        /// At most 1 ULP (faithful) for every f32 input, proven exhaustively (ACCURACY.md);
        /// evaluated in f32 lanes, bit-identical on every backend.
        ///
        #[doc = $special]
        ///
        /// # Panics
        /// If `x` and `y` have different lengths.
        pub fn $name(x: &[f32], y: &mut [f32]) {
            assert_eq!(
                x.len(),
                y.len(),
                concat!(
                    "high::",
                    stringify!($name),
                    ": input has {} elements but output has {}"
                ),
                x.len(),
                y.len()
            );
            run::<$kernel>(x.as_ptr(), y.as_mut_ptr(), x.len());
        }

        #[doc = concat!("Replaces each `x` by `", $what, "`, in place; same accuracy as [`", stringify!($name), "`].")]
        pub fn $inplace(x: &mut [f32]) {
            let p = x.as_mut_ptr();
            run::<$kernel>(p, p, x.len());
        }
    };
}

high_kernels!(
    Expm1, exp::expm1_lanes, expm1_f32, expm1_f32_inplace,
    "e^x - 1",
    "Special values as [`crate::expm1_f32`]: NaN -> NaN, +inf -> +inf, -inf -> -1, ±0 -> ±0, tiny x -> x; +inf above 88.72283, -1 from -17.32868 down."
);
high_kernels!(
    Exp, exp::exp_lanes, exp_f32, exp_f32_inplace,
    "e^x",
    "Special values as [`crate::exp_f32`]: NaN -> NaN, +inf -> +inf, -inf -> +0, ±0 -> 1; +inf above 88.72283, subnormal results below -87.34, +0 from -103.97208 down."
);
high_kernels!(
    Log1p, log::log1p_lanes, log1p_f32, log1p_f32_inplace,
    "ln(1 + x)",
    "Special values as [`crate::log1p_f32`]: NaN -> NaN, x < -1 -> NaN, -1 -> -inf, +inf -> +inf, ±0 -> ±0, tiny x -> x."
);
high_kernels!(
    Log, log::log_lanes, log_f32, log_f32_inplace,
    "ln(x)",
    "Special values as [`crate::log_f32`]: NaN -> NaN, x < 0 -> NaN, ±0 -> -inf, +inf -> +inf, 1 -> +0; subnormal inputs are exact."
);
high_kernels!(
    Tanh,
    exp::tanh_lanes,
    tanh_f32,
    tanh_f32_inplace,
    "tanh(x)",
    "Special values as [`crate::tanh_f32`]: NaN -> NaN, ±inf -> ±1, ±0 -> ±0; odd."
);
high_kernels!(
    Softplus, log::softplus_lanes, softplus_f32, softplus_f32_inplace,
    "ln(1 + e^x)",
    "Special values as [`crate::softplus_f32`]: NaN -> NaN, +inf -> +inf, -inf -> +0, ±0 -> ln 2; subnormal results below -87.34, +0 from -103.97208 down."
);

high_kernels!(
    Sigmoid, sigmoid::sigmoid_lanes, sigmoid_f32, sigmoid_f32_inplace,
    "1 / (1 + e^-x)",
    "Special values as [`crate::sigmoid_f32`]: NaN -> NaN, +inf -> 1, -inf -> +0, ±0 -> 0.5; tiny results are kept down to subnormals, +0 from -103.97208 down."
);

/// Softmax of an f32 row, `High` grade: the same evaluation and bits as
/// [`crate::softmax_f32`] (see the module docs for why).
///
/// # Accuracy
/// Within 0.67 ULP on rows within ±170, of spread `max - min` at most 72 and at most 4096
/// entries (rounded once); within 1.5 ULP on other rows (the exponential and the scaling
/// each round once).
///
/// # Panics
/// If `row` and `out` have different lengths.
pub fn softmax_f32(row: &[f32], out: &mut [f32]) {
    crate::softmax_f32(row, out)
}

/// Log-softmax of an f32 row, `High` grade: the evaluation of [`crate::log_softmax_f32`]
/// with a shorter exponential in the sum (see the module docs).
///
/// # Accuracy
/// Within 1 ULP (rounded once from f64; about 0.56 ULP at worst, from the exponentials'
/// 2^-29.2).
///
/// # Panics
/// If `row` and `out` have different lengths.
pub fn log_softmax_f32(row: &[f32], out: &mut [f32]) {
    crate::rows::log_softmax_f32_grade(row, out, true)
}

/// `log(sum(exp(row)))` of an f32 row, `High` grade: the evaluation of
/// [`crate::logsumexp_f32`] with a shorter exponential in the sum (see the module docs).
///
/// # Accuracy
/// Within 1 ULP (rounded once from f64; about 0.56 ULP at worst).
pub fn logsumexp_f32(row: &[f32]) -> f32 {
    crate::rows::logsumexp_f32_grade(row, true)
}
