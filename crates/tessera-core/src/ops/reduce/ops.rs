//! The value reductions, one `reduce_op!` invocation each: `sum`, `mean`, `prod`,
//! `amax`, `amin`, `all`, `any`.

use super::{expand_reduced, reduce_op, sum_f64};
use crate::{DType, Element, Tensor};

/// Bool and integers sum and multiply to `I64`, floats keep their dtype (PyTorch's rule).
fn int_to_i64(d: DType) -> DType {
    if d.is_float() {
        d
    } else {
        DType::I64
    }
}

reduce_op! {
    /// Sum over `dims` (`x.sum(dims, keepdim)`). Bool and integer tensors give `I64`
    /// (wrapping on overflow, as PyTorch); an empty reduction gives 0.
    ///
    /// # Accuracy
    /// Floats are summed pairwise in `f64`: the f32 result is within 1 ULP of the exact
    /// sum when nothing cancels.
    ///
    /// ```
    /// let x = tessera_core::tensor!([[1, 2], [3, 4]]);
    /// assert_eq!(x.sum().item::<i64>(), 10);
    /// assert_eq!(x.sum_dim(-1, false).to_vec::<i64>(), [3, 7]);
    /// ```
    fn sum, sum_dim, sum_out = Sum;
    dtype |d| int_to_i64(d);
    row<T> |r| if T::DTYPE.is_float() {
        Same(T::from_f64(sum_f64(r)))
    } else {
        Int(r.iter().fold(0i64, |a, v| a.wrapping_add(v.to_i64())))
    };
    saves Nothing, backward |g, x, y, dims, keepdim| Some(expand_reduced(g, x.shape(), dims, keepdim));
}

reduce_op! {
    /// Mean over `dims` (`x.mean(dims, keepdim)`); NaN for an empty reduction.
    ///
    /// # Accuracy
    /// As [`Tensor::sum_dim`], then one division.
    ///
    /// ```
    /// let m = tessera_core::tensor!([[1.0, 3.0], [5.0, 7.0]]).mean_dim(0, false);
    /// assert_eq!(m.to_vec::<f32>(), [3.0, 5.0]);
    /// ```
    ///
    /// # Panics
    /// Also if the tensor is not a float tensor, as PyTorch.
    fn mean, mean_dim, mean_out = Mean;
    dtype |d| {
        assert!(
            d.is_float(),
            "mean: could not infer output dtype. Input dtype must be either a floating point or complex dtype. Got: {d}"
        );
        d
    };
    row<T> |r| Same(T::from_f64(sum_f64(r) / r.len() as f64));
    saves Nothing, backward |g, x, y, dims, keepdim| {
        let n: usize = dims.iter().map(|&d| x.shape()[d]).product();
        Some(expand_reduced(g, x.shape(), dims, keepdim) / n as f64)
    };
}

reduce_op! {
    /// Product over `dims` (`x.prod(dim, keepdim)`); bool and integers give `I64`; an
    /// empty reduction gives 1.
    ///
    /// # Accuracy
    /// Floats multiply in `f64`, so an f32 product of up to about 2^29 factors is
    /// correctly rounded unless it overflows f64.
    fn prod, prod_dim, prod_out = Prod;
    dtype |d| int_to_i64(d);
    row<T> |r| if T::DTYPE.is_float() {
        Same(T::from_f64(r.iter().fold(1.0, |a, v| a * v.to_f64())))
    } else {
        Int(r.iter().fold(1i64, |a, v| a.wrapping_mul(v.to_i64())))
    };
    saves Inputs, backward |g, x, y, dims, keepdim| Some(prod_backward(g, x, dims, keepdim));
}

reduce_op! {
    /// The largest value over `dims` (`torch.amax(x, dims, keepdim)`), of the input's
    /// dtype; NaN if the reduced elements hold one. Unlike [`Tensor::max_dim`] it takes
    /// several dims and gives no indices; its gradient is shared evenly among ties, as
    /// PyTorch's.
    ///
    /// ```
    /// let x = tessera_core::tensor!([[1, 5], [7, 2]]);
    /// assert_eq!(x.amax_dim(0, false).to_vec::<i64>(), [7, 5]);
    /// assert_eq!(x.amax().item::<i64>(), 7);
    /// ```
    ///
    /// # Panics
    /// Also if a reduced dim has size 0, as PyTorch.
    fn amax, amax_dim, amax_out = Amax;
    dtype |d| d;
    check |x, dims| check_nonempty("amax", x, dims);
    row<T> |r| Same(extreme(r, |v, b| v > b));
    saves Both, backward |g, x, y, dims, keepdim| Some(extreme_backward(g, x, y, dims, keepdim));
}

reduce_op! {
    /// The smallest value over `dims` (`torch.amin(x, dims, keepdim)`); as
    /// [`Tensor::amax_dim`] otherwise.
    ///
    /// # Panics
    /// Also if a reduced dim has size 0, as PyTorch.
    fn amin, amin_dim, amin_out = Amin;
    dtype |d| d;
    check |x, dims| check_nonempty("amin", x, dims);
    row<T> |r| Same(extreme(r, |v, b| v < b));
    saves Both, backward |g, x, y, dims, keepdim| Some(extreme_backward(g, x, y, dims, keepdim));
}

reduce_op! {
    /// Whether every element over `dims` is nonzero, as `Bool` (`x.all(dims,
    /// keepdim)`); true for an empty reduction.
    ///
    /// ```
    /// let x = tessera_core::tensor!([[true, false], [true, true]]);
    /// assert_eq!(x.all_dim(1, false).to_vec::<bool>(), [false, true]);
    /// ```
    fn all, all_dim, all_out = All;
    dtype |_d| DType::Bool;
    row<T> |r| Bool(r.iter().all(|v| v.is_nonzero()));
    saves Nothing, backward |g, x, y, dims, keepdim| None;
}

reduce_op! {
    /// Whether any element over `dims` is nonzero, as `Bool` (`x.any(dims, keepdim)`);
    /// false for an empty reduction.
    fn any, any_dim, any_out = Any;
    dtype |_d| DType::Bool;
    row<T> |r| Bool(r.iter().any(|v| v.is_nonzero()));
    saves Nothing, backward |g, x, y, dims, keepdim| None;
}

/// Panics if a reduced dim has size 0 (nothing to take the extreme of).
pub(super) fn check_nonempty(op: &str, x: &Tensor, dims: &[usize]) {
    for &d in dims {
        assert!(
            x.shape()[d] > 0,
            "{op}(): Expected reduction dim {d} to have non-zero size (shape {:?})",
            x.shape()
        );
    }
}

/// The extreme of a non-empty row under `better(v, best)`; the first NaN wins.
fn extreme<T: Element>(r: &[T], better: impl Fn(T, T) -> bool) -> T {
    let mut best = r[0];
    for &v in &r[1..] {
        #[allow(clippy::eq_op)]
        if best != best {
            break;
        }
        #[allow(clippy::eq_op)]
        if v != v || better(v, best) {
            best = v;
        }
    }
    best
}

/// Gradient of `amax`/`amin`: `g` shared evenly among the elements equal to the result
/// (PyTorch's rule for ties).
fn extreme_backward(g: &Tensor, x: &Tensor, y: &Tensor, dims: &[usize], keepdim: bool) -> Tensor {
    let ds: Vec<isize> = dims.iter().map(|&d| d as isize).collect();
    let hit = x.eq(expand_reduced(y, x.shape(), dims, keepdim));
    let count = hit.sum_dim(&ds[..], true);
    let share = expand_reduced(g, x.shape(), dims, keepdim) / count;
    share.where_(&hit, 0.0)
}

/// Gradient of `prod` over `dims`: each element gets the product of the other elements
/// of its group. Written so that it is itself differentiable (for `create_graph`) where
/// the group has zeros: the product of the others is `prod(nonzeros) / x` (the zeros
/// counted as 1) times the zeros among the others, which is 1 with none, their value
/// (0, but with derivative 1) with exactly one, and 0 with two or more (whose product
/// has a zero first derivative too). No `0 / 0` or `inf * 0` enters the graph.
fn prod_backward(g: &Tensor, x: &Tensor, dims: &[usize], keepdim: bool) -> Tensor {
    let ds: Vec<isize> = dims.iter().map(|&d| d as isize).collect();
    let zero = x.eq(0.0);
    let x_safe = x.where_(&zero.logical_not(), 1.0);
    let nonzero_prod = x_safe.prod_dim(&ds[..], true);
    let zero_values = x.where_(&zero, 0.0);
    let zeros_elsewhere = zero_values.sum_dim(&ds[..], true) - &zero_values;
    let n_zeros = zero.to_dtype(DType::I64);
    let other_zeros = n_zeros.sum_dim(&ds[..], true) - &n_zeros;
    let factor = x.ones_like().where_(
        &other_zeros.eq(0),
        zeros_elsewhere.where_(&other_zeros.eq(1), 0.0),
    );
    let others = nonzero_prod / x_safe * factor;
    expand_reduced(g, x.shape(), dims, keepdim) * others
}
