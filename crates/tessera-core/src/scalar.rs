//! [`Scalar`]: a Rust number taking part in a tensor op, promoted as PyTorch
//! promotes Python scalars.

use crate::dtype::Category;
use crate::DType;

/// A number passed to a tensor op (`&x + 1.0`, `x.clamp(0, 6)`, `full(&[2], 7)`).
///
/// Like a Python scalar in PyTorch, it only changes the result dtype when it is of a
/// higher category than the tensor: `int_tensor + 1.5` is float, `f32_tensor + 1.5`
/// stays `f32`, `i32_tensor + 1` stays `i32`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Scalar {
    /// `true` / `false`
    Bool(bool),
    /// any Rust integer
    Int(i64),
    /// any Rust float
    Float(f64),
}

impl Scalar {
    /// The promotion category.
    pub fn category(self) -> Category {
        match self {
            Scalar::Bool(_) => Category::Bool,
            Scalar::Int(_) => Category::Integer,
            Scalar::Float(_) => Category::Float,
        }
    }

    /// The value as `f64`.
    pub fn to_f64(self) -> f64 {
        match self {
            Scalar::Bool(b) => b as u8 as f64,
            Scalar::Int(i) => i as f64,
            Scalar::Float(f) => f,
        }
    }

    /// The dtype a tensor made from this scalar alone gets (`torch.tensor(v)`).
    pub fn dtype(self) -> DType {
        match self {
            Scalar::Bool(_) => DType::Bool,
            Scalar::Int(_) => DType::I64,
            Scalar::Float(_) => DType::DEFAULT_FLOAT,
        }
    }

    /// Casts to an element type with PyTorch's rules.
    pub fn to_element<T: crate::Element>(self) -> T {
        match self {
            Scalar::Bool(b) => T::cast_from(b),
            Scalar::Int(i) => T::cast_from(i),
            Scalar::Float(f) => T::cast_from(f),
        }
    }
}

macro_rules! scalar_from {
    ($($t:ty => $v:ident as $c:ty),*) => {$(
        impl From<$t> for Scalar {
            fn from(v: $t) -> Scalar { Scalar::$v(v as $c) }
        }
    )*};
}
scalar_from!(f32 => Float as f64, f64 => Float as f64, i8 => Int as i64, u8 => Int as i64,
    i16 => Int as i64, u16 => Int as i64, i32 => Int as i64, u32 => Int as i64, i64 => Int as i64,
    usize => Int as i64, isize => Int as i64);

impl From<bool> for Scalar {
    fn from(v: bool) -> Scalar {
        Scalar::Bool(v)
    }
}
