//! [`Float`]: the element types (`f32`, `f64`) the nn kernels are written once for.

use std::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};
use tessera_core::StorageElement;

/// `f32` or `f64`, with the arithmetic the convolution, pooling and normalization
/// kernels use. Conversions come from [`tessera_core::Element`] (`from_f64`, `to_f64`).
pub trait Float:
    StorageElement
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + AddAssign
    + SubAssign
    + MulAssign
    + DivAssign
    + std::iter::Sum
{
    /// 0
    const ZERO: Self;
    /// 1
    const ONE: Self;
    /// Negative infinity.
    const NEG_INF: Self;
    /// Square root.
    fn sqrt(self) -> Self;
    /// `e^x`.
    fn exp(self) -> Self;
    /// The error function (from `libm`, within 1 ULP).
    fn erf_(self) -> Self;
    /// Whether the value is NaN.
    fn nan(self) -> bool;
}

macro_rules! impl_float {
    ($t:ty, $erf:path) => {
        impl Float for $t {
            const ZERO: Self = 0.0;
            const ONE: Self = 1.0;
            const NEG_INF: Self = <$t>::NEG_INFINITY;
            #[inline]
            fn sqrt(self) -> Self {
                <$t>::sqrt(self)
            }
            #[inline]
            fn exp(self) -> Self {
                <$t>::exp(self)
            }
            #[inline]
            fn erf_(self) -> Self {
                $erf(self)
            }
            #[inline]
            fn nan(self) -> bool {
                <$t>::is_nan(self)
            }
        }
    };
}
impl_float!(f32, libm::erff);
impl_float!(f64, libm::erf);

/// Runs `$body` with `$T` bound to `f32` or `f64` by `$dtype`; panics naming `$op` for
/// other dtypes.
#[macro_export]
#[doc(hidden)]
macro_rules! float_dispatch {
    ($op:expr, $dtype:expr, $T:ident => $body:expr) => {
        match $dtype {
            tessera_core::DType::F32 => {
                type $T = f32;
                $body
            }
            tessera_core::DType::F64 => {
                type $T = f64;
                $body
            }
            d => panic!("{}: expected a float32 or float64 tensor, got {}", $op, d),
        }
    };
}
