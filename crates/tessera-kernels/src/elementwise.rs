//! The public elementwise kernels: `name_f32(&x, &mut y)`, `name_f32_inplace(&mut x)` and the
//! f64 pair, each running the SIMD core of [`crate::simd`] on the current backend.

use crate::dispatch::dispatch;
use crate::simd::map::{Elem, Map, Unary};
use crate::simd::{exp, family, log, log_t16, softplus_t16, tanh_t16};
use core::marker::PhantomData;

#[inline]
fn run<T: Elem, K: Unary>(src: *const T, dst: *mut T, len: usize) {
    dispatch(Map::<T, K> {
        src,
        dst,
        len,
        kernel: PhantomData,
    });
}

macro_rules! unary_kernels {
    (
        $kernel:ident, $f32core:path, $f64core:path,
        $name32:ident, $inplace32:ident, $name64:ident, $inplace64:ident,
        $what:literal, $acc32:literal, $acc64:literal, $special:literal
    ) => {
        unary_kernels!(
            $kernel, $f32core, $f64core, [],
            $name32, $inplace32, $name64, $inplace64, $what, $acc32, $acc64, $special
        );
    };
    (
        $kernel:ident, $f32core:path, $f64core:path, [$($hard:expr)?] $({ interleave: $il:expr })?,
        $name32:ident, $inplace32:ident, $name64:ident, $inplace64:ident,
        $what:literal, $acc32:literal, $acc64:literal, $special:literal
    ) => {
        struct $kernel;
        impl Unary for $kernel {
            $(const F32_HARD_CASES: &'static [(u32, u32)] = $hard;)?
            $(const INTERLEAVE: bool = $il;)?
            #[inline(always)]
            fn f32_core<S: crate::simd::Lanes>(
                x: crate::simd::vec::Fv<S>,
            ) -> crate::simd::vec::Fv<S> {
                $f32core(x)
            }
            #[inline(always)]
            fn f64_core<S: crate::simd::Lanes>(
                x: crate::simd::vec::Fv<S>,
            ) -> crate::simd::vec::Fv<S> {
                $f64core(x)
            }
        }
        unary_kernels!(@pair $kernel, f32, $name32, $inplace32, $what, $acc32, $special);
        unary_kernels!(@pair $kernel, f64, $name64, $inplace64, $what, $acc64, $special);
    };
    (@pair $kernel:ident, $t:ty, $name:ident, $inplace:ident,
     $what:literal, $acc:literal, $special:literal) => {
        #[doc = concat!("Writes `y[i] = ", $what, "` for `", stringify!($t), "`.")]
        ///
        /// # Accuracy
        #[doc = $acc]
        ///
        #[doc = $special]
        ///
        /// # Panics
        /// If `x` and `y` have different lengths.
        pub fn $name(x: &[$t], y: &mut [$t]) {
            assert_eq!(
                x.len(),
                y.len(),
                concat!(
                    stringify!($name),
                    ": input has {} elements but output has {}"
                ),
                x.len(),
                y.len()
            );
            run::<$t, $kernel>(x.as_ptr(), y.as_mut_ptr(), x.len());
        }

        #[doc = concat!("Replaces each `x` by `", $what, "`, in place; same accuracy as [`", stringify!($name), "`].")]
        pub fn $inplace(x: &mut [$t]) {
            let p = x.as_mut_ptr();
            run::<$t, $kernel>(p, p, x.len());
        }
    };
}

unary_kernels!(
    Expm1, exp::expm1_f32_lanes, exp::expm1_f64_lanes,
    expm1_f32, expm1_f32_inplace, expm1_f64, expm1_f64_inplace,
    "e^x - 1",
    "f32: correctly rounded (0 ULP of misrounding) for all 2^32 inputs, proven exhaustively.",
    "f64: at most 1 ULP (measured max in ACCURACY.md against MPFR).",
    "NaN -> NaN, +inf -> +inf, -inf -> -1, ±0 -> ±0 (sign kept), tiny x -> x; overflows to +inf above ln(MAX) (f32 88.72, f64 709.78)."
);
unary_kernels!(
    Exp, exp::exp_f32_lanes, exp::exp_f64_lanes,
    exp_f32, exp_f32_inplace, exp_f64, exp_f64_inplace,
    "e^x",
    "f32: correctly rounded for all 2^32 inputs, proven exhaustively.",
    "f64: at most 1 ULP (subnormal results included).",
    "NaN -> NaN, +inf -> +inf, -inf -> +0, ±0 -> 1; overflow to +inf, underflow through subnormals to +0."
);
unary_kernels!(
    Log1p,
    log_t16::log1p_f32_cr,
    log::log1p_f64_lanes,
    [] { interleave: false },
    log1p_f32,
    log1p_f32_inplace,
    log1p_f64,
    log1p_f64_inplace,
    "ln(1 + x)",
    "f32: correctly rounded for all 2^32 inputs, proven exhaustively.",
    "f64: at most 1 ULP.",
    "NaN -> NaN, x < -1 -> NaN, -1 -> -inf, +inf -> +inf, ±0 -> ±0 (sign kept), tiny x -> x."
);
unary_kernels!(
    Log,
    log_t16::log_f32_cr,
    log::log_f64_lanes,
    [] { interleave: false },
    log_f32,
    log_f32_inplace,
    log_f64,
    log_f64_inplace,
    "ln(x)",
    "f32: correctly rounded for all 2^32 inputs, proven exhaustively.",
    "f64: at most 1 ULP (subnormal inputs included).",
    "NaN -> NaN, x < 0 -> NaN, ±0 -> -inf, +inf -> +inf, 1 -> +0."
);
/// `tanh`, written out instead of through the macro's first arm: its f32 core has a pair
/// form (one branch for both vectors of an iteration) and it keeps plain stores for large
/// f32 outputs (see [`Unary::F32_STREAM`]).
struct Tanh;
impl Unary for Tanh {
    const F32_STREAM: bool = false;
    #[inline(always)]
    fn f32_core<S: crate::simd::Lanes>(x: crate::simd::vec::Fv<S>) -> crate::simd::vec::Fv<S> {
        tanh_t16::tanh_f32_cr(x)
    }
    #[inline(always)]
    fn f32_core_pair<S: crate::simd::Lanes>(
        x0: crate::simd::vec::Fv<S>,
        x1: crate::simd::vec::Fv<S>,
    ) -> (crate::simd::vec::Fv<S>, crate::simd::vec::Fv<S>) {
        tanh_t16::tanh_f32_cr_pair(x0, x1)
    }
    #[inline(always)]
    fn f64_core<S: crate::simd::Lanes>(x: crate::simd::vec::Fv<S>) -> crate::simd::vec::Fv<S> {
        family::tanh_f64_lanes(x)
    }
}
unary_kernels!(
    @pair Tanh, f32, tanh_f32, tanh_f32_inplace,
    "tanh(x)",
    "f32: correctly rounded for all 2^32 inputs, proven exhaustively.",
    "NaN -> NaN, ±inf -> ±1, ±0 -> ±0 (sign kept); odd: tanh(-x) = -tanh(x)."
);
unary_kernels!(
    @pair Tanh, f64, tanh_f64, tanh_f64_inplace,
    "tanh(x)",
    "f64: at most 2 ULP.",
    "NaN -> NaN, ±inf -> ±1, ±0 -> ±0 (sign kept); odd: tanh(-x) = -tanh(x)."
);
unary_kernels!(
    Sigmoid, family::sigmoid_f32_lanes, family::sigmoid_f64_lanes,
    sigmoid_f32, sigmoid_f32_inplace, sigmoid_f64, sigmoid_f64_inplace,
    "1 / (1 + e^-x)",
    "f32: at most 1 ULP (computed in f64, rounded once).",
    "f64: at most 2 ULP.",
    "NaN -> NaN, +inf -> 1, -inf -> +0, ±0 -> 0.5; never overflows, tiny results for very negative x are kept (down to subnormals), not flushed to 0."
);
unary_kernels!(
    Softplus, softplus_t16::softplus_f32_t16, family::softplus_f64_lanes, [] { interleave: false },
    softplus_f32, softplus_f32_inplace, softplus_f64, softplus_f64_inplace,
    "ln(1 + e^x)",
    "f32: at most 1 ULP over all 2^32 inputs, proven exhaustively (computed in f64 and rounded once: a table-driven fast path, and an accurate path for the rare lanes its rounding test cannot decide).",
    "f64: at most 2 ULP.",
    "NaN -> NaN, +inf -> +inf, -inf -> +0, ±0 -> ln 2. This is the mathematical function, computed as `max(x, 0) + log1p(e^-|x|)`; the `beta`/`threshold` options of `torch.nn.functional.softplus` belong to the caller."
);
