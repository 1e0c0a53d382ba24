//! `Fv<S>`: a vector of `f64` lanes for one pulp backend, with operators, so the kernels read
//! like the scalar formulas they implement. Every method is `#[inline(always)]`: a helper that
//! is not inlined loses the caller's target features (and `mul_add` becomes a libm call).

use super::lanes::Lanes;
use core::ops::{Add, Div, Mul, Neg, Sub};

/// `S::f64s` with its backend token.
#[derive(Clone, Copy)]
pub(crate) struct Fv<S: Lanes> {
    pub(crate) s: S,
    pub(crate) v: S::f64s,
}

/// A lane mask (the result of a comparison).
#[derive(Clone, Copy)]
pub(crate) struct Mv<S: Lanes> {
    s: S,
    m: S::m64s,
}

impl<S: Lanes> Fv<S> {
    #[inline(always)]
    pub(crate) fn new(s: S, v: S::f64s) -> Self {
        Self { s, v }
    }
    #[inline(always)]
    pub(crate) fn splat(s: S, c: f64) -> Self {
        Self::new(s, s.splat_f64s(c))
    }
    #[inline(always)]
    pub(crate) fn c(self, c: f64) -> Self {
        Self::splat(self.s, c)
    }
    #[inline(always)]
    pub(crate) fn from_bits(s: S, b: S::u64s) -> Self {
        Self::new(s, s.transmute_f64s_u64s(b))
    }
    #[inline(always)]
    pub(crate) fn bits(self) -> S::u64s {
        self.s.transmute_u64s_f64s(self.v)
    }
    /// `self * b + c` with one rounding (a real FMA on every backend).
    #[inline(always)]
    pub(crate) fn fma(self, b: Self, c: Self) -> Self {
        Self::new(self.s, self.s.mul_add_f64s(self.v, b.v, c.v))
    }
    #[inline(always)]
    pub(crate) fn abs(self) -> Self {
        Self::new(self.s, self.s.abs_f64s(self.v))
    }
    /// `min(|self|, b)` for `b >= 0` (one instruction on AVX-512); NaN lanes are
    /// unspecified (the callers redo them).
    #[inline(always)]
    pub(crate) fn abs_min(self, b: f64) -> Self {
        Self::new(self.s, self.s.abs_min_f64s(self.v, self.s.splat_f64s(b)))
    }
    /// `min` and `max` for clamping finite bounds; NaN lanes are restored by the callers.
    #[inline(always)]
    pub(crate) fn min(self, b: f64) -> Self {
        Self::new(self.s, self.s.min_f64s(self.v, self.s.splat_f64s(b)))
    }
    #[inline(always)]
    pub(crate) fn max(self, b: f64) -> Self {
        Self::new(self.s, self.s.max_f64s(self.v, self.s.splat_f64s(b)))
    }
    #[inline(always)]
    pub(crate) fn clamp(self, lo: f64, hi: f64) -> Self {
        self.max(lo).min(hi)
    }
    #[inline(always)]
    pub(crate) fn lt(self, b: Self) -> Mv<S> {
        Mv {
            s: self.s,
            m: self.s.less_than_f64s(self.v, b.v),
        }
    }
    #[inline(always)]
    pub(crate) fn gt(self, b: Self) -> Mv<S> {
        b.lt(self)
    }
    #[inline(always)]
    pub(crate) fn le(self, b: Self) -> Mv<S> {
        b.ge(self)
    }
    #[inline(always)]
    pub(crate) fn ge(self, b: Self) -> Mv<S> {
        Mv {
            s: self.s,
            m: self.s.greater_than_or_equal_f64s(self.v, b.v),
        }
    }
    #[inline(always)]
    pub(crate) fn eq(self, b: Self) -> Mv<S> {
        Mv {
            s: self.s,
            m: self.s.equal_f64s(self.v, b.v),
        }
    }
    /// Lanes that are not NaN.
    #[inline(always)]
    pub(crate) fn is_num(self) -> Mv<S> {
        self.eq(self)
    }
    /// `|self|` with the sign of `sign`.
    #[inline(always)]
    pub(crate) fn copysign(self, sign: Self) -> Self {
        let s = self.s;
        let m = s.splat_u64s(1 << 63);
        let b = s.or_u64s(
            s.and_u64s(self.bits(), s.not_u64s(m)),
            s.and_u64s(sign.bits(), m),
        );
        Self::from_bits(s, b)
    }
    /// `2^k` for an integral `k` in [-1022, 1023] given as a float.
    #[inline(always)]
    pub(crate) fn pow2(self) -> Self {
        (self + self.c(POW2_SHIFT)).pow2_shifted()
    }
    /// `2^k` from `self = k + POW2_SHIFT` (the form the magic-constant rounding leaves).
    #[inline(always)]
    pub(crate) fn pow2_shifted(self) -> Self {
        Self::from_bits(self.s, self.s.shl52_u64s(self.bits()))
    }
    /// `1 / self` to about 2^-24 relative (f32 division), for positive normal lanes below
    /// 2^127.
    #[inline(always)]
    pub(crate) fn recip_estimate(self) -> Self {
        Self::new(self.s, self.s.recip_f32(self.v))
    }
    /// `1 / self` to about 2^-47 relative: the f32 estimate and one Newton step. Positive
    /// normal lanes below 2^127.
    #[inline(always)]
    pub(crate) fn recip_47(self) -> Self {
        let y = self.recip_estimate();
        y.fma((-self).fma(y, self.c(1.0)), y)
    }
    /// `1 / self` to about 2^-52 relative: the f32 estimate and two Newton steps (4 FMAs,
    /// much cheaper than an f64 division). Positive normal lanes below 2^127.
    #[inline(always)]
    pub(crate) fn recip(self) -> Self {
        let one = self.c(1.0);
        let y = self.recip_estimate();
        let y = y.fma((-self).fma(y, one), y);
        y.fma((-self).fma(y, one), y)
    }
    /// Splits a positive normal `self` as `2^e * m` with `m` in [sqrt(1/2), sqrt(2)); returns
    /// `(e, m)`, `e` as a float.
    #[inline(always)]
    pub(crate) fn frexp_sqrt2(self) -> (Self, Self) {
        let s = self.s;
        let bits = self.bits();
        // Adding 1 - sqrt(1/2) (in the bit pattern) makes the exponent field round at sqrt(2).
        let d = s.add_u64s(bits, s.splat_u64s(ONE_BITS - SQRT_HALF_BITS));
        let e_biased = s.shr52_u64s(d);
        let m_bits = s.add_u64s(
            s.sub_u64s(bits, s.shl52_u64s(e_biased)),
            s.splat_u64s(ONE_BITS),
        );
        let e = Self::from_bits(s, s.or_u64s(e_biased, s.splat_u64s(TWO52_BITS)))
            - self.c(4503599627370496.0 + 1023.0);
        (e, Self::from_bits(s, m_bits))
    }
}

const ONE_BITS: u64 = 0x3ff0_0000_0000_0000;
const SQRT_HALF_BITS: u64 = 0x3fe6_a09e_667f_3bcd;
const TWO52_BITS: u64 = 0x4330_0000_0000_0000;
/// `1.5 * 2^52 + 1023`: adding it to an integral float leaves `k + 1023` in the low bits.
pub(crate) const POW2_SHIFT: f64 = 6755399441055744.0 + 1023.0;

impl<S: Lanes> Mv<S> {
    /// `if self { t } else { f }` lane by lane.
    #[inline(always)]
    pub(crate) fn select(self, t: Fv<S>, f: Fv<S>) -> Fv<S> {
        Fv::new(self.s, self.s.select_f64s(self.m, t.v, f.v))
    }
    /// Whether any lane is set. A mask is all-zero bytes exactly when no lane is set (a
    /// bitmask on AVX-512, lane-wide masks elsewhere): one test, no horizontal reduction.
    #[inline(always)]
    pub(crate) fn any(self) -> bool {
        !pulp::bytemuck::bytes_of(&self.m).iter().all(|&b| b == 0)
    }
    #[inline(always)]
    pub(crate) fn not(self) -> Self {
        Self {
            s: self.s,
            m: self.s.not_m64s(self.m),
        }
    }
    #[inline(always)]
    pub(crate) fn or(self, b: Self) -> Self {
        Self {
            s: self.s,
            m: self.s.or_m64s(self.m, b.m),
        }
    }
    /// Lanes of `y` whose bits lie within `window` f64 ULPs of an f32 rounding boundary (a
    /// midpoint between two f32 values: the 29 bits below f32 precision are `0x1000_0000`).
    /// Exact integer work, so every backend flags the same lanes.
    #[inline(always)]
    pub(crate) fn near_f32_midpoint(y: Fv<S>, window: u64) -> Self {
        // The low 29 bits lie in [2^28 - window, 2^28 + window) exactly when those of
        // `bits + window - 2^28` lie in [0, 2 window): all the bits from `2 window` to 2^28
        // are clear (one AND-test on AVX-512; `window` is a power of 2).
        debug_assert!(window.is_power_of_two() && window < 1 << 27);
        let s = y.s;
        let d = s.add_u64s(y.bits(), s.splat_u64s(window.wrapping_sub(0x1000_0000)));
        let high = s.and_u64s(d, s.splat_u64s(0x1fff_ffff & !(2 * window - 1)));
        Self {
            s,
            m: s.equal_u64s(high, s.splat_u64s(0)),
        }
    }
    #[inline(always)]
    pub(crate) fn and(self, b: Self) -> Self {
        Self {
            s: self.s,
            m: self.s.and_m64s(self.m, b.m),
        }
    }
}

macro_rules! binop {
    ($tr:ident, $f:ident, $op:ident) => {
        impl<S: Lanes> $tr for Fv<S> {
            type Output = Self;
            #[inline(always)]
            fn $f(self, b: Self) -> Self {
                Self::new(self.s, self.s.$op(self.v, b.v))
            }
        }
        impl<S: Lanes> $tr<f64> for Fv<S> {
            type Output = Self;
            #[inline(always)]
            fn $f(self, b: f64) -> Self {
                Self::new(self.s, self.s.$op(self.v, self.s.splat_f64s(b)))
            }
        }
    };
}
binop!(Add, add, add_f64s);
binop!(Sub, sub, sub_f64s);
binop!(Mul, mul, mul_f64s);
binop!(Div, div, div_f64s);

impl<S: Lanes> Neg for Fv<S> {
    type Output = Self;
    #[inline(always)]
    fn neg(self) -> Self {
        Self::new(self.s, self.s.neg_f64s(self.v))
    }
}

/// Horner evaluation of `c[0] + c[1] x + ... + c[n] x^n` with FMAs.
#[inline(always)]
pub(crate) fn horner<S: Lanes, const N: usize>(x: Fv<S>, c: &[f64; N]) -> Fv<S> {
    let mut acc = x.c(c[N - 1]);
    let mut i = N - 1;
    while i > 0 {
        i -= 1;
        acc = acc.fma(x, x.c(c[i]));
    }
    acc
}

/// Error-free sum for `|a| >= |b|` (Fast2Sum): `a + b = hi + lo` exactly.
#[inline(always)]
pub(crate) fn fast_two_sum<S: Lanes>(a: Fv<S>, b: Fv<S>) -> (Fv<S>, Fv<S>) {
    let hi = a + b;
    (hi, b - (hi - a))
}

/// Error-free sum for any `a`, `b` (Knuth's TwoSum).
#[inline(always)]
pub(crate) fn two_sum<S: Lanes>(a: Fv<S>, b: Fv<S>) -> (Fv<S>, Fv<S>) {
    let hi = a + b;
    let bb = hi - a;
    (hi, (a - (hi - bb)) + (b - bb))
}
