//! The `out=` forms' contract, shared by every op that has one (`exp_out`, `add_out`, ...).
//!
//! PyTorch's rules: an empty `out` is resized to the result's shape; a non-empty `out`
//! of another shape, or of another dtype than the result's, is an error (a panic here,
//! naming both shapes or dtypes). The result is written straight into `out`'s storage
//! when `out` is contiguous and shares no storage with an input; otherwise it goes
//! through a temporary (an `out` that is exactly an input is computed in place).

use crate::{dispatch, DType, Tensor};
use std::ops::Range;

/// How an `out=` form writes its result.
#[derive(Debug)]
pub(crate) enum OutPlan {
    /// `out` is empty with another shape: replace it by the allocating form's result.
    Resize,
    /// `out` is one of the inputs, with the same layout: compute in place.
    InPlace,
    /// `out` is contiguous and shares nothing with the inputs: write these storage
    /// elements directly.
    Direct(Range<usize>),
    /// Otherwise: compute a temporary, then copy it into `out`.
    Copy,
}

/// Checks `out` against the result's `shape` and `dtype` and picks how to write it.
///
/// # Panics
/// If `out` is not empty and its shape differs from `shape`, if its dtype differs from
/// `dtype`, if several of its elements share one memory location, or, while grad mode is
/// on, if `out` or an input requires grad (`out=` forms are not differentiable, as in
/// PyTorch; use them under [`crate::autograd::no_grad`]).
pub(crate) fn plan(
    op: &str,
    shape: &[usize],
    dtype: DType,
    inputs: &[&Tensor],
    out: &Tensor,
) -> OutPlan {
    check_no_grad(op, inputs);
    if out.numel() == 0 && out.shape() != shape {
        assert_eq!(
            out.dtype(),
            dtype,
            "{op}_out: out has dtype {} but the result has dtype {dtype}",
            out.dtype()
        );
        return OutPlan::Resize;
    }
    assert_eq!(
        out.shape(),
        shape,
        "{op}_out: out has shape {:?} but the result has shape {shape:?}",
        out.shape()
    );
    assert_eq!(
        out.dtype(),
        dtype,
        "{op}_out: out has dtype {} but the result has dtype {dtype}",
        out.dtype()
    );
    out.check_inplace(&format!("{op}_out"));
    out.assert_no_internal_overlap(format_args!("{op}_out"));
    let aliased: Vec<&&Tensor> = inputs.iter().filter(|t| t.shares_storage(out)).collect();
    if !aliased.is_empty() {
        let exact = aliased
            .iter()
            .all(|t| t.layout() == out.layout() && t.dtype() == dtype);
        return if exact {
            OutPlan::InPlace
        } else {
            OutPlan::Copy
        };
    }
    match out.layout().contiguous_range() {
        Some(r) => OutPlan::Direct(r),
        None => OutPlan::Copy,
    }
}

/// Panics if grad mode is on and an input requires grad: PyTorch's "functions with
/// out=... arguments don't support automatic differentiation".
fn check_no_grad(op: &str, inputs: &[&Tensor]) {
    if crate::autograd::is_grad_enabled() {
        assert!(
            !inputs.iter().any(|t| t.requires_grad()),
            "{op}_out: functions with out=... arguments don't support automatic differentiation, but one of the arguments requires grad; call it under autograd::no_grad()"
        );
    }
}

/// Writes `result` (of `out`'s shape and dtype) into `out` through a copy.
pub(crate) fn copy_into(result: &Tensor, out: &Tensor) {
    // Copied out first: a write may not wait while this thread holds a read lock.
    dispatch!(result.dtype(), T => out.write_values(&result.to_vec::<T>()));
}

/// Writes `compute()` into `out` under the contract above, for ops whose result is
/// computed first: `clamp_out` where its result dtype differs from the input's or both
/// bounds are absent (every other `out=` form writes directly). `inputs` are the op's
/// tensor arguments (checked as [`plan`] does).
///
/// # Panics
/// As [`plan`].
pub(crate) fn write_out(
    op: &str,
    inputs: &[&Tensor],
    compute: impl FnOnce() -> Tensor,
    out: &mut Tensor,
) {
    check_no_grad(op, inputs);
    let result = {
        let _no_graph = crate::autograd::no_grad();
        compute()
    };
    let result = &result;
    match plan(op, result.shape(), result.dtype(), &[], out) {
        OutPlan::Resize => *out = result.clone(),
        _ if result.shares_storage(out) && result.layout() == out.layout() => {}
        _ => copy_into(result, out),
    }
}
