//! Operator overloading: `+ - * /` for every mix of `Tensor`, `&Tensor` and Rust
//! numbers, and unary `-`. Each is the method of the same name (`add`, `sub`,
//! ...), with broadcasting and PyTorch's promotion.
//!
//! ```
//! use tessera_core::tensor;
//! let x = tensor!([1.0, 2.0, 4.0]);
//! let y = &x * 2.0 + 1.0;
//! let z = 1.0 / &x - &y;
//! assert_eq!(z.to_vec::<f32>(), vec![-2.0, -4.5, -8.75]);
//! assert_eq!((-&x).to_vec::<f32>(), vec![-1.0, -2.0, -4.0]);
//! ```

use super::binary::{binary, Rhs};
use crate::Tensor;
use std::ops::{Add, Div, Mul, Neg, Sub};

macro_rules! tensor_ops {
    ($($tr:ident, $method:ident, $op:ident;)*) => {$(
        impl $tr<&Tensor> for &Tensor {
            type Output = Tensor;
            fn $method(self, rhs: &Tensor) -> Tensor {
                binary::<super::binary::$op>(&Rhs::from(self), &Rhs::from(rhs))
            }
        }
        impl $tr<Tensor> for &Tensor {
            type Output = Tensor;
            fn $method(self, rhs: Tensor) -> Tensor {
                self.$method(&rhs)
            }
        }
        impl $tr<&Tensor> for Tensor {
            type Output = Tensor;
            fn $method(self, rhs: &Tensor) -> Tensor {
                (&self).$method(rhs)
            }
        }
        impl $tr<Tensor> for Tensor {
            type Output = Tensor;
            fn $method(self, rhs: Tensor) -> Tensor {
                (&self).$method(&rhs)
            }
        }
        // One float and one integer type, so that literals (`&x + 1`, `2.0 * &x`) infer.
        scalar_ops!($tr, $method, $op; f64, i64);
    )*};
}

macro_rules! scalar_ops {
    ($tr:ident, $method:ident, $op:ident; $($s:ty),*) => {$(
        impl $tr<$s> for &Tensor {
            type Output = Tensor;
            fn $method(self, rhs: $s) -> Tensor {
                binary::<super::binary::$op>(&Rhs::from(self), &Rhs::from(rhs))
            }
        }
        impl $tr<$s> for Tensor {
            type Output = Tensor;
            fn $method(self, rhs: $s) -> Tensor {
                (&self).$method(rhs)
            }
        }
        impl $tr<&Tensor> for $s {
            type Output = Tensor;
            fn $method(self, rhs: &Tensor) -> Tensor {
                binary::<super::binary::$op>(&Rhs::from(self), &Rhs::from(rhs))
            }
        }
        impl $tr<Tensor> for $s {
            type Output = Tensor;
            fn $method(self, rhs: Tensor) -> Tensor {
                self.$method(&rhs)
            }
        }
    )*};
}

tensor_ops! {
    Add, add, Add;
    Sub, sub, Sub;
    Mul, mul, Mul;
    Div, div, Div;
}

impl Neg for &Tensor {
    type Output = Tensor;
    fn neg(self) -> Tensor {
        Tensor::neg(self)
    }
}

impl Neg for Tensor {
    type Output = Tensor;
    fn neg(self) -> Tensor {
        Tensor::neg(&self)
    }
}

#[cfg(test)]
mod tests {
    use crate::{tensor, DType};

    #[test]
    fn scalar_on_the_left_keeps_order_and_promotion() {
        let x = tensor!([1, 2]);
        assert_eq!((10 - &x).to_vec::<i64>(), vec![9, 8]);
        let r = 1.0 / &x;
        assert_eq!((r.dtype(), r.to_vec::<f32>()), (DType::F32, vec![1.0, 0.5]));
        let y = tensor!([1.0], dtype = DType::F64);
        assert_eq!((2.0 * &y).dtype(), DType::F64);
        assert_eq!((&x + 1).to_vec::<i64>(), vec![2, 3]);
        assert_eq!((x.clone() + x).to_vec::<i64>(), vec![2, 4]);
    }
}
