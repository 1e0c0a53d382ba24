//! Data types, the [`Element`] trait that ties a Rust type to a [`DType`], and
//! PyTorch's type promotion.

use std::fmt;

/// The element type of a tensor, chosen at run time as in PyTorch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DType {
    /// `torch.bool`
    Bool,
    /// `torch.uint8`
    U8,
    /// `torch.int8`
    I8,
    /// `torch.int32`
    I32,
    /// `torch.int64` (the dtype of integer literals)
    I64,
    /// `torch.float32` (the default float dtype)
    F32,
    /// `torch.float64`
    F64,
}

/// The three kinds of dtype that promotion distinguishes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Category {
    /// `Bool`
    Bool,
    /// `U8`, `I8`, `I32`, `I64`
    Integer,
    /// `F32`, `F64`
    Float,
}

impl DType {
    /// Every dtype, in promotion order.
    pub const ALL: [DType; 7] = [
        DType::Bool,
        DType::U8,
        DType::I8,
        DType::I32,
        DType::I64,
        DType::F32,
        DType::F64,
    ];

    /// The default float dtype (`torch.get_default_dtype()`): `F32`.
    pub const DEFAULT_FLOAT: DType = DType::F32;

    /// Whether this is `F32` or `F64`.
    pub fn is_float(self) -> bool {
        matches!(self, DType::F32 | DType::F64)
    }

    /// Whether this is one of the integer dtypes (not `Bool`).
    pub fn is_int(self) -> bool {
        matches!(self, DType::U8 | DType::I8 | DType::I32 | DType::I64)
    }

    /// The promotion category.
    pub fn category(self) -> Category {
        match self {
            DType::Bool => Category::Bool,
            DType::F32 | DType::F64 => Category::Float,
            _ => Category::Integer,
        }
    }

    /// Size of one element in bytes.
    pub fn size_in_bytes(self) -> usize {
        match self {
            DType::Bool | DType::U8 | DType::I8 => 1,
            DType::I32 | DType::F32 => 4,
            DType::I64 | DType::F64 => 8,
        }
    }

    /// PyTorch's name, as printed in `dtype=` suffixes: `torch.float64`.
    pub fn torch_name(self) -> &'static str {
        match self {
            DType::Bool => "torch.bool",
            DType::U8 => "torch.uint8",
            DType::I8 => "torch.int8",
            DType::I32 => "torch.int32",
            DType::I64 => "torch.int64",
            DType::F32 => "torch.float32",
            DType::F64 => "torch.float64",
        }
    }

    /// `torch.promote_types(a, b)`: the smallest dtype both can be cast to
    /// without leaving their category.
    ///
    /// tessera has no `int16`, so `U8` with `I8` gives `I32` (PyTorch gives `int16`).
    pub fn promote(a: DType, b: DType) -> DType {
        use DType::*;
        if a == b {
            return a;
        }
        match (a, b) {
            (Bool, x) | (x, Bool) => x,
            (U8, I8) | (I8, U8) => I32,
            _ => a.max(b),
        }
    }

    /// The float dtype an op such as `exp` computes in for an input of this dtype:
    /// floats keep theirs, bool and integers use the default float dtype.
    pub fn to_float(self) -> DType {
        if self.is_float() {
            self
        } else {
            DType::DEFAULT_FLOAT
        }
    }
}

impl fmt::Display for DType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.torch_name())
    }
}

/// How an operand takes part in type promotion (`torch.result_type`):
/// tensors with dims outrank 0-dim tensors, which outrank Rust scalars, and a
/// lower group only matters when it is of a higher category.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operand {
    /// A tensor with at least one dimension.
    Dimensioned(DType),
    /// A 0-dim tensor.
    ZeroDim(DType),
    /// A Rust scalar (PyTorch's Python scalar): `f64` counts as the default float,
    /// integers as `I64`, `bool` as `Bool`.
    Scalar(Category),
}

/// `torch.result_type` over a list of operands.
///
/// ```
/// use tessera_core::{result_type, DType, Operand, Category};
/// // int tensor + 1.0 -> default float
/// assert_eq!(result_type(&[Operand::Dimensioned(DType::I64), Operand::Scalar(Category::Float)]), DType::F32);
/// // f64 0-dim tensor does not promote an f32 tensor
/// assert_eq!(result_type(&[Operand::Dimensioned(DType::F32), Operand::ZeroDim(DType::F64)]), DType::F32);
/// ```
///
/// # Panics
/// If `ops` is empty.
pub fn result_type(ops: &[Operand]) -> DType {
    assert!(!ops.is_empty(), "result_type: no operands");
    let mut dim: Option<DType> = None;
    let mut zero: Option<DType> = None;
    let mut wrapped: Option<DType> = None;
    let fold = |acc: &mut Option<DType>, d: DType| {
        *acc = Some(acc.map_or(d, |a| DType::promote(a, d)));
    };
    for op in ops {
        match *op {
            Operand::Dimensioned(d) => fold(&mut dim, d),
            Operand::ZeroDim(d) => fold(&mut zero, d),
            Operand::Scalar(c) => fold(
                &mut wrapped,
                match c {
                    Category::Bool => DType::Bool,
                    Category::Integer => DType::I64,
                    Category::Float => DType::DEFAULT_FLOAT,
                },
            ),
        }
    }
    combine(dim, combine(zero, wrapped)).expect("at least one operand")
}

/// PyTorch's `combine_categories`: the higher-priority group wins unless the lower
/// one is of a higher category.
fn combine(higher: Option<DType>, lower: Option<DType>) -> Option<DType> {
    match (higher, lower) {
        (None, l) => l,
        (h, None) => h,
        (Some(h), Some(l)) => {
            if h.is_float() {
                Some(h)
            } else if h == DType::Bool || l.is_float() {
                Some(DType::promote(h, l))
            } else {
                Some(h)
            }
        }
    }
}

/// A Rust type that can be a tensor element.
///
/// Implemented for `bool`, `u8`, `i8`, `i32`, `i64`, `f32` and `f64`. Casts between
/// elements follow PyTorch: float to integer truncates toward zero, anything to
/// `bool` is "not zero".
pub trait Element:
    Copy + Send + Sync + PartialEq + PartialOrd + fmt::Debug + Default + 'static
{
    /// The matching [`DType`].
    const DTYPE: DType;
    /// Widen to `f64` (`true` is 1).
    fn to_f64(self) -> f64;
    /// Widen to `i64` (floats truncate toward zero).
    fn to_i64(self) -> i64;
    /// Narrow from `f64` (as Rust's `as`, truncating toward zero for integers).
    fn from_f64(v: f64) -> Self;
    /// Narrow from `i64` (wrapping for the smaller integer types, as PyTorch does).
    fn from_i64(v: i64) -> Self;
    /// Whether the value is not zero.
    fn is_nonzero(self) -> bool;
    /// The sum of a slice in `f64` on the calling thread, as tessera's reductions add
    /// one chunk: the vectorized pairwise kernel of `tessera-kernels` for `f32` and `f64`,
    /// a pairwise sum (leaves of 256, four partial sums) for `bool` and the integers.
    #[inline]
    fn sum_f64(s: &[Self]) -> f64 {
        pairwise_sum(s)
    }
    /// Cast from any other element type with PyTorch's rules.
    #[inline]
    fn cast_from<S: Element>(v: S) -> Self {
        if Self::DTYPE == DType::Bool {
            Self::from_i64(v.is_nonzero() as i64)
        } else if S::DTYPE.is_float() {
            Self::from_f64(v.to_f64())
        } else {
            Self::from_i64(v.to_i64())
        }
    }
}

/// Pairwise sum in `f64` of bool and integer slices (leaves of 256, four partial sums).
fn pairwise_sum<T: Element>(s: &[T]) -> f64 {
    if s.len() <= 256 {
        let mut acc = [0.0f64; 4];
        let chunks = s.chunks_exact(4);
        let rest = chunks.remainder();
        for c in chunks {
            for k in 0..4 {
                acc[k] += c[k].to_f64();
            }
        }
        let tail: f64 = rest.iter().map(|v| v.to_f64()).sum();
        return (acc[0] + acc[1]) + (acc[2] + acc[3]) + tail;
    }
    let mid = s.len() / 2;
    pairwise_sum(&s[..mid]) + pairwise_sum(&s[mid..])
}

macro_rules! impl_element {
    ($t:ty, $d:ident, float, $sum:ident) => {
        impl Element for $t {
            const DTYPE: DType = DType::$d;
            #[inline]
            fn sum_f64(s: &[Self]) -> f64 {
                tessera_kernels::$sum(s)
            }
            #[inline]
            fn to_f64(self) -> f64 {
                self as f64
            }
            #[inline]
            fn to_i64(self) -> i64 {
                self as i64
            }
            #[inline]
            fn from_f64(v: f64) -> Self {
                v as $t
            }
            #[inline]
            fn from_i64(v: i64) -> Self {
                v as $t
            }
            #[inline]
            fn is_nonzero(self) -> bool {
                self != 0.0
            }
        }
    };
    ($t:ty, $d:ident, int) => {
        impl Element for $t {
            const DTYPE: DType = DType::$d;
            #[inline]
            fn to_f64(self) -> f64 {
                self as f64
            }
            #[inline]
            fn to_i64(self) -> i64 {
                self as i64
            }
            #[inline]
            fn from_f64(v: f64) -> Self {
                v as i64 as $t
            }
            #[inline]
            fn from_i64(v: i64) -> Self {
                v as $t
            }
            #[inline]
            fn is_nonzero(self) -> bool {
                self != 0
            }
        }
    };
}

impl_element!(f32, F32, float, sum_f32);
impl_element!(f64, F64, float, sum_f64);
impl_element!(u8, U8, int);
impl_element!(i8, I8, int);
impl_element!(i32, I32, int);
impl_element!(i64, I64, int);

impl Element for bool {
    const DTYPE: DType = DType::Bool;
    #[inline]
    fn to_f64(self) -> f64 {
        self as u8 as f64
    }
    #[inline]
    fn to_i64(self) -> i64 {
        self as i64
    }
    #[inline]
    fn from_f64(v: f64) -> Self {
        v != 0.0
    }
    #[inline]
    fn from_i64(v: i64) -> Self {
        v != 0
    }
    #[inline]
    fn is_nonzero(self) -> bool {
        self
    }
}

/// Float element types (`f32`, `f64`), with the operations float kernels need.
pub trait FloatElement:
    Element + std::ops::Add<Output = Self> + std::ops::Mul<Output = Self>
{
    /// Not-a-number.
    const NAN: Self;
    /// Positive infinity.
    const INFINITY: Self;
    /// Negative infinity.
    const NEG_INFINITY: Self;
    /// Whether the value is NaN.
    fn is_nan(self) -> bool;
}

macro_rules! impl_float_element {
    ($t:ty) => {
        impl FloatElement for $t {
            const NAN: Self = <$t>::NAN;
            const INFINITY: Self = <$t>::INFINITY;
            const NEG_INFINITY: Self = <$t>::NEG_INFINITY;
            #[inline]
            fn is_nan(self) -> bool {
                <$t>::is_nan(self)
            }
        }
    };
}
impl_float_element!(f32);
impl_float_element!(f64);

/// Runs `$body` with `$T` bound to the Rust type of `$dtype`.
///
/// ```
/// use tessera_core::{dispatch, tensor};
/// let t = tensor!([1, 2, 3]);
/// let n = dispatch!(t.dtype(), T => t.to_vec::<T>().len());
/// assert_eq!(n, 3);
/// ```
#[macro_export]
macro_rules! dispatch {
    ($dtype:expr, $T:ident => $body:expr) => {
        match $dtype {
            $crate::DType::Bool => {
                type $T = bool;
                $body
            }
            $crate::DType::U8 => {
                type $T = u8;
                $body
            }
            $crate::DType::I8 => {
                type $T = i8;
                $body
            }
            $crate::DType::I32 => {
                type $T = i32;
                $body
            }
            $crate::DType::I64 => {
                type $T = i64;
                $body
            }
            $crate::DType::F32 => {
                type $T = f32;
                $body
            }
            $crate::DType::F64 => {
                type $T = f64;
                $body
            }
        }
    };
}

/// Like [`dispatch!`] for float dtypes only; `$other` runs for the rest, with the dtype
/// bound to `$d` when given (`d => panic!("... {d}")`).
///
/// `dispatch!` and `dispatch_float!` are tessera's one way from a runtime [`DType`] to a
/// Rust type: generic code below them is compiled once per element type.
#[macro_export]
macro_rules! dispatch_float {
    ($dtype:expr, $T:ident => $body:expr, _ => $other:expr) => {
        $crate::dispatch_float!($dtype, $T => $body, _not_float => $other)
    };
    ($dtype:expr, $T:ident => $body:expr, $d:ident => $other:expr) => {
        match $dtype {
            $crate::DType::F32 => {
                type $T = f32;
                $body
            }
            $crate::DType::F64 => {
                type $T = f64;
                $body
            }
            $d => $other,
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn promote_types_matches_torch() {
        use DType::*;
        assert_eq!(DType::promote(Bool, I32), I32);
        assert_eq!(DType::promote(U8, I8), I32);
        assert_eq!(DType::promote(I32, I64), I64);
        assert_eq!(DType::promote(I64, F32), F32);
        assert_eq!(DType::promote(F32, F64), F64);
        assert_eq!(DType::promote(U8, U8), U8);
    }

    #[test]
    fn result_type_scalar_rules() {
        use DType::*;
        use Operand::*;
        let s = |c| Scalar(c);
        assert_eq!(result_type(&[Dimensioned(I32), s(Category::Integer)]), I32);
        assert_eq!(result_type(&[Dimensioned(Bool), s(Category::Integer)]), I64);
        assert_eq!(result_type(&[Dimensioned(U8), s(Category::Float)]), F32);
        assert_eq!(result_type(&[Dimensioned(F64), s(Category::Float)]), F64);
        assert_eq!(result_type(&[Dimensioned(I32), ZeroDim(I64)]), I32);
        assert_eq!(result_type(&[Dimensioned(I32), ZeroDim(F64)]), F64);
        assert_eq!(result_type(&[ZeroDim(I32), s(Category::Float)]), F32);
        assert_eq!(result_type(&[Dimensioned(Bool), Dimensioned(Bool)]), Bool);
    }

    #[test]
    fn casts_follow_torch() {
        assert_eq!(i64::cast_from(-2.7f64), -2);
        assert!(bool::cast_from(0.5f32));
        assert!(!bool::cast_from(0i64));
        assert_eq!(f32::cast_from(true), 1.0);
        assert_eq!(u8::cast_from(-1i64), 255);
    }
}
