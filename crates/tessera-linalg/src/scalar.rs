//! [`Float`]: the element types linalg works in (`f32`, `f64`).

use tessera_core::storage::StorageElement;
use tessera_core::FloatElement;

/// A real float type that linalg's kernels are generic over: `f32` and `f64`.
///
/// It ties tessera's element traits to faer's [`RealField`](faer::traits::RealField)
/// so one generic kernel serves both dtypes.
pub trait Float:
    StorageElement
    + FloatElement
    + faer::traits::RealField
    + Copy
    + std::ops::Neg<Output = Self>
    + std::ops::Sub<Output = Self>
    + std::ops::Div<Output = Self>
    + std::ops::AddAssign
    + std::ops::SubAssign
    + std::ops::MulAssign
    + std::ops::DivAssign
{
    /// 0.
    const ZERO: Self;
    /// 1.
    const ONE: Self;
    /// Machine epsilon (the gap between 1 and the next float).
    const EPSILON: Self;
    /// The smallest positive normal number.
    const MIN_POSITIVE: Self;
    /// `|x|`.
    fn fabs(self) -> Self;
    /// `sqrt(x)`.
    fn fsqrt(self) -> Self;
    /// `ln(x)`.
    fn fln(self) -> Self;
    /// Whether `x` is neither infinite nor NaN.
    fn ffinite(self) -> bool;
    /// `self * a + b` with one rounding (a single instruction where the CPU has FMA,
    /// which the blocked kernels are compiled for).
    fn fmadd(self, a: Self, b: Self) -> Self;
    /// `x` as an `f64` literal conversion.
    #[inline]
    fn lit(v: f64) -> Self {
        <Self as tessera_core::Element>::from_f64(v)
    }
}

macro_rules! impl_float {
    ($t:ty) => {
        impl Float for $t {
            const ZERO: Self = 0.0;
            const ONE: Self = 1.0;
            const EPSILON: Self = <$t>::EPSILON;
            const MIN_POSITIVE: Self = <$t>::MIN_POSITIVE;
            #[inline(always)]
            fn fabs(self) -> Self {
                self.abs()
            }
            #[inline(always)]
            fn fsqrt(self) -> Self {
                self.sqrt()
            }
            #[inline(always)]
            fn fln(self) -> Self {
                self.ln()
            }
            #[inline(always)]
            fn ffinite(self) -> bool {
                self.is_finite()
            }
            #[inline(always)]
            fn fmadd(self, a: Self, b: Self) -> Self {
                self.mul_add(a, b)
            }
        }
    };
}
impl_float!(f32);
impl_float!(f64);
