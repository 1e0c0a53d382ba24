//! The arithmetic binary ops: one `binary_op!` each (see the parent module).

use super::{binary_op, Rhs, Side};
use crate::{DType, Scalar, Tensor};

/// Whether an operand is bool (a bool tensor or a bool number).
fn is_bool(r: &Rhs) -> bool {
    match r {
        Rhs::Tensor(t) => t.dtype() == DType::Bool,
        Rhs::Scalar(s) => matches!(s, Scalar::Bool(_)),
    }
}

/// The gradient of `maximum` (`max = true`) or `minimum`: the larger (smaller) side takes
/// it, ties split it, as PyTorch.
fn extreme_grad(max: bool, side: Side, g: &Tensor, a: &Tensor, b: &Tensor) -> Tensor {
    let wins = if max { a.gt(b) } else { a.lt(b) };
    let weight_a = wins.to_dtype(g.dtype()) + a.eq(b).to_dtype(g.dtype()) * 0.5;
    match side {
        Side::Left => g * weight_a,
        Side::Right => g * (1.0 - weight_a),
    }
}

binary_op! {
    /// `self + other` (`torch.add`). Differentiable.
    ///
    /// ```
    /// use tessera_core::tensor;
    /// let y = tensor!([[1, 2], [3, 4]]).add(&tensor!([10, 20]));
    /// assert_eq!(y.to_vec::<i64>(), vec![11, 22, 13, 24]);
    /// ```
    fn add, add_, add_out = Add;
    apply |a, b| T::add(a, b);
    saves Nothing, grad |side, g, a, b, out| g.clone();
}

binary_op! {
    /// `self - other` (`torch.sub`). Differentiable. Panics on a bool operand, as PyTorch.
    fn sub, sub_, sub_out = Sub;
    apply |a, b| T::sub(a, b);
    check |a, b, promoted| {
        assert!(
            promoted != DType::Bool,
            "sub: subtraction, the `-` operator, with two bool tensors is not supported; use the `^` or `logical_xor()` operator instead"
        );
        assert!(
            !(is_bool(a) || is_bool(b)),
            "sub: subtraction, the `-` operator, with a bool tensor is not supported; to invert a mask use `logical_not()`"
        );
    };
    saves Nothing, grad |side, g, a, b, out| match side {
        Side::Left => g.clone(),
        Side::Right => -g,
    };
}

binary_op! {
    /// `self * other` (`torch.mul`). Differentiable.
    fn mul, mul_, mul_out = Mul;
    apply |a, b| T::mul(a, b);
    saves Inputs, grad |side, g, a, b, out| match side {
        Side::Left => g * b,
        Side::Right => g * a,
    };
}

binary_op! {
    /// `self / other`, true division (`torch.div`): integer inputs give a float result.
    /// Differentiable.
    ///
    /// ```
    /// let y = tessera_core::tensor!([1, 2]).div(2);
    /// assert_eq!(y.to_vec::<f32>(), vec![0.5, 1.0]);
    /// ```
    fn div, div_, div_out = Div;
    apply |a, b| T::div(a, b);
    float_result: true;
    saves Both, grad |side, g, a, b, out| match side {
        Side::Left => g / b,
        Side::Right => -(g * out / b),
    };
}

binary_op! {
    /// `self ^ other` (`torch.pow`). Differentiable.
    ///
    /// Panics on integer tensors raised to a negative integer scalar, as PyTorch; with an
    /// integer tensor exponent, negative powers give 0 (1 and -1 keep their powers), as
    /// PyTorch.
    fn pow, pow_, pow_out = Pow;
    apply |a, b| T::pow(a, b);
    // Only a scalar exponent is rejected; tensor exponents follow torch's integer rule
    // (see `Arith::pow`).
    check |a, b, promoted| {
        if let (true, Rhs::Scalar(s)) = (promoted.is_int(), b) {
            assert!(
                s.to_f64() >= 0.0,
                "pow: integers to negative integer powers are not allowed"
            );
        }
    };
    // d/da = b a^(b-1); d/db = a^b ln a, taken as 0 where a = 0 and b >= 0.
    saves Both, grad |side, g, a, b, out| match side {
        Side::Left => g * b * a.pow(&(b - 1.0)),
        Side::Right => (g * out * a.log()).where_(&a.ne(0.0).logical_or(&b.lt(0.0)), 0.0),
    };
}

binary_op! {
    /// The elementwise larger (`torch.maximum`); NaN if either is NaN. Differentiable
    /// (ties split the gradient, as PyTorch).
    fn maximum, maximum_, maximum_out = Maximum;
    apply |a, b| T::maximum(a, b);
    saves Inputs, grad |side, g, a, b, out| extreme_grad(true, side, g, a, b);
}

binary_op! {
    /// The elementwise smaller (`torch.minimum`); NaN if either is NaN. Differentiable
    /// (ties split the gradient, as PyTorch).
    fn minimum, minimum_, minimum_out = Minimum;
    apply |a, b| T::minimum(a, b);
    saves Inputs, grad |side, g, a, b, out| extreme_grad(false, side, g, a, b);
}
