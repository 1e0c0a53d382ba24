//! `Gv<S>`: a vector of `f32` lanes for one pulp backend, with operators, so the `High`
//! kernels read like the scalar formulas they implement (the f32 twin of [`super::super::vec`]).
//! Every operation is an IEEE operation with one rounding (FMAs are real FMAs on every
//! backend, software on `Scalar`) or exact integer work on the bits, so every backend gives
//! the same bits. Every method is `#[inline(always)]`: a helper that is not inlined loses the
//! caller's target features.

use crate::simd::Lanes;
use core::ops::{Add, Div, Mul, Neg, Sub};

/// `S::f32s` with its backend token.
#[derive(Clone, Copy)]
pub(crate) struct Gv<S: Lanes> {
    pub(crate) s: S,
    pub(crate) v: S::f32s,
}

/// A lane mask (the result of a comparison).
#[derive(Clone, Copy)]
pub(crate) struct Gm<S: Lanes> {
    s: S,
    m: S::m32s,
}

impl<S: Lanes> Gv<S> {
    #[inline(always)]
    pub(crate) fn new(s: S, v: S::f32s) -> Self {
        Self { s, v }
    }
    #[inline(always)]
    pub(crate) fn splat(s: S, c: f32) -> Self {
        Self::new(s, s.splat_f32s(c))
    }
    #[inline(always)]
    pub(crate) fn c(self, c: f32) -> Self {
        Self::splat(self.s, c)
    }
    #[inline(always)]
    pub(crate) fn from_bits(s: S, b: S::u32s) -> Self {
        Self::new(s, s.transmute_f32s_u32s(b))
    }
    #[inline(always)]
    pub(crate) fn bits(self) -> S::u32s {
        self.s.transmute_u32s_f32s(self.v)
    }
    /// `self * b + c` with one rounding.
    #[inline(always)]
    pub(crate) fn fma(self, b: Self, c: Self) -> Self {
        Self::new(self.s, self.s.mul_add_f32s(self.v, b.v, c.v))
    }
    #[inline(always)]
    pub(crate) fn abs(self) -> Self {
        Self::new(self.s, self.s.abs_f32s(self.v))
    }
    /// `min` and `max` for clamping finite bounds; NaN lanes are restored by the callers.
    #[inline(always)]
    pub(crate) fn min(self, b: f32) -> Self {
        Self::new(self.s, self.s.min_f32s(self.v, self.s.splat_f32s(b)))
    }
    #[inline(always)]
    pub(crate) fn max(self, b: f32) -> Self {
        Self::new(self.s, self.s.max_f32s(self.v, self.s.splat_f32s(b)))
    }
    /// Lane-wise `max` of two vectors whose lanes are not NaN.
    #[inline(always)]
    pub(crate) fn maxv(self, b: Self) -> Self {
        Self::new(self.s, self.s.max_f32s(self.v, b.v))
    }
    /// Lane-wise `min` of two vectors whose lanes are not NaN.
    #[inline(always)]
    pub(crate) fn minv(self, b: Self) -> Self {
        Self::new(self.s, self.s.min_f32s(self.v, b.v))
    }
    #[inline(always)]
    pub(crate) fn clamp(self, lo: f32, hi: f32) -> Self {
        self.max(lo).min(hi)
    }
    #[inline(always)]
    pub(crate) fn lt(self, b: f32) -> Gm<S> {
        Gm {
            s: self.s,
            m: self.s.less_than_f32s(self.v, self.s.splat_f32s(b)),
        }
    }
    #[inline(always)]
    pub(crate) fn le(self, b: f32) -> Gm<S> {
        Gm {
            s: self.s,
            m: self.s.less_than_or_equal_f32s(self.v, self.s.splat_f32s(b)),
        }
    }
    #[inline(always)]
    pub(crate) fn gt(self, b: f32) -> Gm<S> {
        Gm {
            s: self.s,
            m: self.s.greater_than_f32s(self.v, self.s.splat_f32s(b)),
        }
    }
    #[inline(always)]
    pub(crate) fn ge(self, b: f32) -> Gm<S> {
        Gm {
            s: self.s,
            m: self
                .s
                .greater_than_or_equal_f32s(self.v, self.s.splat_f32s(b)),
        }
    }
    #[inline(always)]
    pub(crate) fn eq(self, b: f32) -> Gm<S> {
        Gm {
            s: self.s,
            m: self.s.equal_f32s(self.v, self.s.splat_f32s(b)),
        }
    }
    /// Lanes that are not NaN.
    #[inline(always)]
    pub(crate) fn is_num(self) -> Gm<S> {
        Gm {
            s: self.s,
            m: self.s.equal_f32s(self.v, self.v),
        }
    }
    /// `|self|` with the sign of `sign`.
    #[inline(always)]
    pub(crate) fn copysign(self, sign: Self) -> Self {
        let s = self.s;
        let m = s.splat_u32s(1 << 31);
        let b = s.or_u32s(
            s.and_u32s(self.bits(), s.not_u32s(m)),
            s.and_u32s(sign.bits(), m),
        );
        Self::from_bits(s, b)
    }
    /// `table[bits & 15]` in each lane (exact integer work).
    #[inline(always)]
    pub(crate) fn lookup16(s: S, table: &[u32; 16], bits: S::u32s) -> S::u32s {
        s.lookup16_u32s(table, bits)
    }
    /// The bits shifted left by `N` (integer work on the lanes).
    #[inline(always)]
    pub(crate) fn shl_bits<const N: u32>(s: S, b: S::u32s) -> S::u32s {
        s.wrapping_dyn_shl_u32s(b, s.splat_u32s(N))
    }
    /// The bits shifted right (logical) by `N`.
    #[inline(always)]
    pub(crate) fn shr_bits<const N: u32>(s: S, b: S::u32s) -> S::u32s {
        s.wrapping_dyn_shr_u32s(b, s.splat_u32s(N))
    }
}

impl<S: Lanes> Gm<S> {
    /// The mask of a comparison made on the backend directly (integer comparisons).
    #[inline(always)]
    pub(crate) fn from_mask(s: S, m: S::m32s) -> Self {
        Self { s, m }
    }
    /// Whether any lane is set.
    #[inline(always)]
    pub(crate) fn any(self) -> bool {
        self.s.any_m32s(self.m)
    }
    /// `if self { t } else { f }` lane by lane.
    #[inline(always)]
    pub(crate) fn select(self, t: Gv<S>, f: Gv<S>) -> Gv<S> {
        Gv::new(self.s, self.s.select_f32s(self.m, t.v, f.v))
    }
    #[inline(always)]
    pub(crate) fn and(self, b: Self) -> Self {
        Self {
            s: self.s,
            m: self.s.and_m32s(self.m, b.m),
        }
    }
    #[inline(always)]
    #[allow(dead_code)]
    pub(crate) fn or(self, b: Self) -> Self {
        Self {
            s: self.s,
            m: self.s.or_m32s(self.m, b.m),
        }
    }
}

macro_rules! binop {
    ($tr:ident, $f:ident, $op:ident) => {
        impl<S: Lanes> $tr for Gv<S> {
            type Output = Self;
            #[inline(always)]
            fn $f(self, b: Self) -> Self {
                Self::new(self.s, self.s.$op(self.v, b.v))
            }
        }
        impl<S: Lanes> $tr<f32> for Gv<S> {
            type Output = Self;
            #[inline(always)]
            fn $f(self, b: f32) -> Self {
                Self::new(self.s, self.s.$op(self.v, self.s.splat_f32s(b)))
            }
        }
    };
}
binop!(Add, add, add_f32s);
binop!(Sub, sub, sub_f32s);
binop!(Mul, mul, mul_f32s);
binop!(Div, div, div_f32s);

impl<S: Lanes> Neg for Gv<S> {
    type Output = Self;
    #[inline(always)]
    fn neg(self) -> Self {
        Self::new(self.s, self.s.neg_f32s(self.v))
    }
}

/// Horner evaluation of `c[0] + c[1] x + ... + c[n] x^n` with FMAs.
#[inline(always)]
pub(crate) fn horner<S: Lanes, const N: usize>(x: Gv<S>, c: &[f32; N]) -> Gv<S> {
    let mut acc = x.c(c[N - 1]);
    let mut i = N - 1;
    while i > 0 {
        i -= 1;
        acc = acc.fma(x, x.c(c[i]));
    }
    acc
}

/// Error-free sum for `|a| >= |b|` or `a = 0` (Fast2Sum): `a + b = hi + lo` exactly.
#[inline(always)]
pub(crate) fn fast_two_sum<S: Lanes>(a: Gv<S>, b: Gv<S>) -> (Gv<S>, Gv<S>) {
    let hi = a + b;
    (hi, b - (hi - a))
}

/// Error-free sum for any `a`, `b` (Knuth's TwoSum).
#[inline(always)]
pub(crate) fn two_sum<S: Lanes>(a: Gv<S>, b: Gv<S>) -> (Gv<S>, Gv<S>) {
    let hi = a + b;
    let bb = hi - a;
    (hi, (a - (hi - bb)) + (b - bb))
}
