//! [`Arith`]: the scalar arithmetic elementwise ops need, for every element type,
//! with PyTorch's semantics (integers wrap, `maximum` propagates NaN, `round`
//! rounds half to even).

use crate::storage::StorageElement;

/// Scalar arithmetic for one element type. `bool` implements it with logical
/// meanings where PyTorch allows them (`+` is or, `*` is and).
pub trait Arith: StorageElement {
    /// `a + b`
    fn add(a: Self, b: Self) -> Self;
    /// `a - b`
    fn sub(a: Self, b: Self) -> Self;
    /// `a * b`
    fn mul(a: Self, b: Self) -> Self;
    /// `a / b`: true division on floats; on integers (and bool) truncating division,
    /// wrapping on `MIN / -1`, as `torch.div(a, b, rounding_mode="trunc")`.
    ///
    /// # Panics
    /// On an integer (or bool) division by zero, as PyTorch ("ZeroDivisionError").
    fn div(a: Self, b: Self) -> Self;
    /// `-a`
    fn neg(a: Self) -> Self;
    /// `|a|`
    fn abs(a: Self) -> Self;
    /// -1, 0 or 1 (NaN gives 0, as `torch.sign`)
    fn sign(a: Self) -> Self;
    /// The larger, NaN if either is NaN.
    fn maximum(a: Self, b: Self) -> Self;
    /// The smaller, NaN if either is NaN.
    fn minimum(a: Self, b: Self) -> Self;
    /// `a ^ b`.
    fn pow(a: Self, b: Self) -> Self;
    /// Round down (identity on integers).
    fn floor(a: Self) -> Self;
    /// Round up (identity on integers).
    fn ceil(a: Self) -> Self;
    /// Round half to even (identity on integers).
    fn round(a: Self) -> Self;
    /// Whether the value is NaN.
    fn is_nan(a: Self) -> bool;
}

macro_rules! impl_arith_int {
    ($($t:ty: $abs:expr, $sign:expr);*) => {$(
        impl Arith for $t {
            #[inline] fn add(a: Self, b: Self) -> Self { a.wrapping_add(b) }
            #[inline] fn sub(a: Self, b: Self) -> Self { a.wrapping_sub(b) }
            #[inline] fn mul(a: Self, b: Self) -> Self { a.wrapping_mul(b) }
            #[inline] fn div(a: Self, b: Self) -> Self {
                assert!(b != 0, "div: ZeroDivisionError (integer division by zero)");
                a.wrapping_div(b)
            }
            #[inline] fn neg(a: Self) -> Self { (0 as $t).wrapping_sub(a) }
            #[inline] fn abs(a: Self) -> Self { let f: fn($t) -> $t = $abs; f(a) }
            #[inline] fn sign(a: Self) -> Self { let f: fn($t) -> $t = $sign; f(a) }
            #[inline] fn maximum(a: Self, b: Self) -> Self { if a >= b { a } else { b } }
            #[inline] fn minimum(a: Self, b: Self) -> Self { if a <= b { a } else { b } }
            #[inline] fn pow(a: Self, b: Self) -> Self {
                let (one, e) = (1 as $t, b as i64);
                if e < 0 {
                    // As torch: 1 and -1 keep their powers, other bases truncate to 0.
                    let minus_one = (0 as $t).wrapping_sub(one);
                    return if a == one { one } else if a == minus_one { if e & 1 == 1 { a } else { one } } else { 0 };
                }
                let mut r: $t = 1;
                let (mut base, mut e) = (a, e);
                while e > 0 {
                    if e & 1 == 1 { r = r.wrapping_mul(base); }
                    base = base.wrapping_mul(base);
                    e >>= 1;
                }
                r
            }
            #[inline] fn floor(a: Self) -> Self { a }
            #[inline] fn ceil(a: Self) -> Self { a }
            #[inline] fn round(a: Self) -> Self { a }
            #[inline] fn is_nan(_: Self) -> bool { false }
        }
    )*};
}
impl_arith_int!(
    u8: |a| a, |a| (a > 0) as u8;
    i8: i8::wrapping_abs, i8::signum;
    i32: i32::wrapping_abs, i32::signum;
    i64: i64::wrapping_abs, i64::signum
);

macro_rules! impl_arith_float {
    ($($t:ty),*) => {$(
        impl Arith for $t {
            #[inline] fn add(a: Self, b: Self) -> Self { a + b }
            #[inline] fn sub(a: Self, b: Self) -> Self { a - b }
            #[inline] fn mul(a: Self, b: Self) -> Self { a * b }
            #[inline] fn div(a: Self, b: Self) -> Self { a / b }
            #[inline] fn neg(a: Self) -> Self { -a }
            #[inline] fn abs(a: Self) -> Self { a.abs() }
            #[inline] fn sign(a: Self) -> Self { if a > 0.0 { 1.0 } else if a < 0.0 { -1.0 } else { 0.0 } }
            #[inline] fn maximum(a: Self, b: Self) -> Self { if a.is_nan() || b.is_nan() { <$t>::NAN } else { a.max(b) } }
            #[inline] fn minimum(a: Self, b: Self) -> Self { if a.is_nan() || b.is_nan() { <$t>::NAN } else { a.min(b) } }
            #[inline] fn pow(a: Self, b: Self) -> Self { a.powf(b) }
            #[inline] fn floor(a: Self) -> Self { a.floor() }
            #[inline] fn ceil(a: Self) -> Self { a.ceil() }
            #[inline] fn round(a: Self) -> Self { a.round_ties_even() }
            #[inline] fn is_nan(a: Self) -> bool { a.is_nan() }
        }
    )*};
}
impl_arith_float!(f32, f64);

impl Arith for bool {
    #[inline]
    fn add(a: Self, b: Self) -> Self {
        a | b
    }
    #[inline]
    fn sub(a: Self, b: Self) -> Self {
        a ^ b
    }
    #[inline]
    fn mul(a: Self, b: Self) -> Self {
        a & b
    }
    #[inline]
    fn div(a: Self, b: Self) -> Self {
        assert!(b, "div: ZeroDivisionError (integer division by zero)");
        a
    }
    #[inline]
    fn neg(a: Self) -> Self {
        a
    }
    #[inline]
    fn abs(a: Self) -> Self {
        a
    }
    #[inline]
    fn sign(a: Self) -> Self {
        a
    }
    #[inline]
    fn maximum(a: Self, b: Self) -> Self {
        a | b
    }
    #[inline]
    fn minimum(a: Self, b: Self) -> Self {
        a & b
    }
    #[inline]
    fn pow(a: Self, b: Self) -> Self {
        a | !b
    }
    #[inline]
    fn floor(a: Self) -> Self {
        a
    }
    #[inline]
    fn ceil(a: Self) -> Self {
        a
    }
    #[inline]
    fn round(a: Self) -> Self {
        a
    }
    #[inline]
    fn is_nan(_: Self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::Arith;

    #[test]
    fn int_semantics() {
        assert_eq!(<i8 as Arith>::abs(-128), -128); // wraps as in PyTorch
        assert_eq!(<i32 as Arith>::abs(-5), 5);
        assert_eq!(<u8 as Arith>::abs(200), 200);
        assert_eq!(<i64 as Arith>::pow(3, 4), 81);
        assert_eq!(<i8 as Arith>::pow(-1, -3), -1);
        assert_eq!(<i32 as Arith>::pow(5, -1), 0);
        assert_eq!(<u8 as Arith>::neg(1), 255);
        assert_eq!(<i32 as Arith>::sign(-7), -1);
        assert_eq!(<i32 as Arith>::div(-7, 2), -3); // truncates
        assert_eq!(<i8 as Arith>::div(-128, -1), -128); // wraps
    }

    #[test]
    #[should_panic(expected = "div: ZeroDivisionError")]
    fn int_division_by_zero_panics() {
        <i64 as Arith>::div(1, 0);
    }

    #[test]
    fn float_semantics() {
        assert!(<f32 as Arith>::maximum(f32::NAN, 1.0).is_nan());
        assert_eq!(<f64 as Arith>::round(2.5), 2.0);
        assert_eq!(<f64 as Arith>::round(-0.5), -0.0);
        assert_eq!(<f64 as Arith>::sign(f64::NAN), 0.0); // torch.sign(nan) == 0
    }
}
