//! The dtype-keeping unary ops: one `unary_op!` each (see the parent module).

use super::unary_op;
use crate::ops::arith::Arith;
use crate::Tensor;

/// `max(v, 0)` keeping NaN and `-0.0`, as PyTorch (bool tensors are rejected before this
/// runs).
#[inline]
fn relu_of<T: Arith>(v: T) -> T {
    let zero = T::default();
    if v.partial_cmp(&zero) == Some(std::cmp::Ordering::Less) {
        zero
    } else {
        v
    }
}

unary_op! {
    /// `-x` (`torch.neg`). Integers wrap. Differentiable.
    ///
    /// # Panics
    /// On bool tensors, as PyTorch.
    fn neg, neg_, neg_out = Neg;
    same map |v: T| T::neg(v), bool: no;
    saves Nothing, backward |g, x, y| -g;
}

unary_op! {
    /// `|x|` (`torch.abs`). `i8::MIN` and the like wrap, as in PyTorch. Differentiable.
    ///
    /// # Panics
    /// On bool tensors, as PyTorch.
    fn abs, abs_, abs_out = Abs;
    same map |v: T| T::abs(v), bool: no;
    saves Inputs, backward |g, x, y| g * x.sign();
}

unary_op! {
    /// `x * x` (`torch.square`), keeping the dtype. Differentiable.
    ///
    /// # Panics
    /// On bool tensors.
    fn square, square_, square_out = Square;
    same map |v: T| T::mul(v, v), bool: no;
    saves Inputs, backward |g, x, y| g * x * 2.0;
}

unary_op! {
    /// -1, 0 or 1 by sign (`torch.sign`); NaN gives 0, as in PyTorch. Its gradient is 0.
    fn sign, sign_, sign_out = Sign;
    same map |v: T| T::sign(v), bool: yes;
    saves Nothing, backward |g, x, y| g.zeros_like();
}

unary_op! {
    /// `max(x, 0)` (`torch.relu`); NaN stays NaN, `-0.0` stays `-0.0`. Differentiable,
    /// with PyTorch's gradient: 0 where the output is `<= 0`, the incoming gradient
    /// elsewhere (NaN outputs included).
    ///
    /// # Panics
    /// On bool tensors.
    fn relu, relu_, relu_out = Relu;
    same map |v: T| relu_of(v), bool: no;
    saves Output, backward |g, x, y| relu_grad(g, y);
}

/// ReLU's gradient as PyTorch's `threshold_backward`: `g` where `y > 0` or `y` is NaN, `+0`
/// elsewhere. f32 and f64 take one pass over `g` and `y` (the composed form's three passes
/// were about 5% of a small CNN's training step); other dtypes, and a `g` that is itself
/// differentiated (`create_graph`), take the composed, differentiable form.
fn relu_grad(g: &Tensor, y: &Tensor) -> Tensor {
    fn fused<T: Arith + crate::StorageElement>(g: &Tensor, y: &Tensor) -> Tensor {
        let zero = T::default();
        crate::ops::binary::zip_map("relu backward", g, y, move |g: T, y: T| {
            match y.partial_cmp(&zero) {
                Some(std::cmp::Ordering::Greater) | None => g,
                _ => zero,
            }
        })
    }
    let differentiated = crate::autograd::is_grad_enabled() && g.requires_grad();
    match (g.dtype(), y.dtype()) {
        (crate::DType::F32, crate::DType::F32) if !differentiated => fused::<f32>(g, y),
        (crate::DType::F64, crate::DType::F64) if !differentiated => fused::<f64>(g, y),
        _ => g.where_(&y.le(0.0).logical_not(), 0.0),
    }
}

unary_op! {
    /// Round toward -inf (`torch.floor`); integers are unchanged. Its gradient is 0.
    ///
    /// # Panics
    /// On bool tensors, as PyTorch.
    fn floor, floor_, floor_out = Floor;
    same map |v: T| T::floor(v), bool: no;
    saves Nothing, backward |g, x, y| g.zeros_like();
}

unary_op! {
    /// Round toward +inf (`torch.ceil`); integers are unchanged. Its gradient is 0.
    ///
    /// # Panics
    /// On bool tensors, as PyTorch.
    fn ceil, ceil_, ceil_out = Ceil;
    same map |v: T| T::ceil(v), bool: no;
    saves Nothing, backward |g, x, y| g.zeros_like();
}

unary_op! {
    /// Round half to even (`torch.round`); integers are unchanged. Its gradient is 0.
    ///
    /// # Panics
    /// On bool tensors, as PyTorch.
    fn round, round_, round_out = Round;
    same map |v: T| T::round(v), bool: no;
    saves Nothing, backward |g, x, y| g.zeros_like();
}
