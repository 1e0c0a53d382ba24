//! Reductions over all elements or over dims (negative dims allowed), with `keepdim`:
//! `sum`, `mean`, `prod`, `amax`, `amin`, `all`, `any` (`ops.rs`) and `argmax`, `argmin`,
//! `max`, `min` (`arg.rs`).
//!
//! Each reduction is a named type implementing [`ReduceOp`], defined by one
//! `reduce_op!` invocation: its name, its result dtype, its row function (one generic
//! body for every element type) and its backward. One driver runs every reduction in
//! its forms: all elements ([`reduce`] with no dims: `x.sum()`), over dims
//! (`x.sum_dim(dims, keepdim)`) and into a preallocated tensor ([`reduce_out`]:
//! `sum_out(&x, dims, keepdim, &mut out)`), contiguous or strided, rows split across the
//! thread pool, with autograd.
//!
//! Sums and products of `f32` accumulate in `f64`, and sums are pairwise, so results are
//! at least as accurate as PyTorch's. Integer and bool sums give `I64`, as in PyTorch.

use super::out::{copy_into, plan, OutPlan};
use crate::autograd::{record, Saves};
use crate::layout::normalize_dim;
use crate::runtime::pool::{par_rows, pool, PARALLEL_THRESHOLD};
use crate::runtime::Output;
use crate::storage::StorageElement;
use crate::{dispatch, DType, Element, Tensor};
use rayon::prelude::*;

mod arg;
mod ops;

pub use arg::{ArgMax, ArgMin};
pub use ops::*;

/// What a reduction gives for one row of `T` values; the driver converts it to the
/// result dtype's element type with PyTorch's casts.
#[derive(Clone, Copy, Debug)]
pub enum Reduced<T> {
    /// A value of the input's type (`amax`, and float sums).
    Same(T),
    /// An integer (integer sums and products, indices).
    Int(i64),
    /// A truth value (`all`, `any`).
    Bool(bool),
}

impl<T: Element> Reduced<T> {
    #[inline]
    fn into_element<U: Element>(self) -> U {
        match self {
            Reduced::Same(v) => U::cast_from(v),
            Reduced::Int(v) => U::from_i64(v),
            Reduced::Bool(v) => U::from_i64(v as i64),
        }
    }
}

/// A reduction: its name, its result dtype, one generic row function and its backward.
///
/// Implemented by one `reduce_op!` invocation per op inside core; outside core,
/// implement it and run the op with [`reduce`] and [`reduce_out`]:
///
/// ```
/// use tessera_core::autograd::Saves;
/// use tessera_core::ops::reduce::{reduce, reduce_out, ReduceOp, Reduced};
/// use tessera_core::{tensor, DType, Element, Tensor};
///
/// /// `torch.count_nonzero`: how many elements are not zero.
/// struct CountNonzero;
///
/// impl ReduceOp for CountNonzero {
///     const NAME: &'static str = "count_nonzero";
///     const SAVES: Saves = Saves::Nothing;
///     fn out_dtype(_: DType) -> DType {
///         DType::I64
///     }
///     fn row<T: Element>(r: &[T]) -> Reduced<T> {
///         Reduced::Int(r.iter().filter(|v| v.is_nonzero()).count() as i64)
///     }
///     fn backward(_: &Tensor, _: &Tensor, _: &Tensor, _: &[usize], _: bool) -> Option<Tensor> {
///         None
///     }
/// }
///
/// let x = tensor!([[0.0, 1.0], [2.0, 3.0]]);
/// assert_eq!(reduce::<CountNonzero>(&x, &[], false).item::<i64>(), 3);
/// assert_eq!(reduce::<CountNonzero>(&x.t(), &[-1], false).to_vec::<i64>(), [1, 2]);
/// let mut out = Tensor::zeros_dtype(&[2, 1], DType::I64);
/// reduce_out::<CountNonzero>(&x, &[1], true, &mut out);
/// assert_eq!(out.to_vec::<i64>(), [1, 2]);
/// ```
pub trait ReduceOp: 'static {
    /// The op's name as in PyTorch (`"sum"`).
    const NAME: &'static str;
    /// What [`ReduceOp::backward`] needs kept from the forward pass.
    const SAVES: Saves;
    /// The result dtype for an input of dtype `input`: the input's own, `I64` or `Bool`.
    ///
    /// # Panics
    /// For an input dtype the op refuses (`mean` of integers), naming the op.
    fn out_dtype(input: DType) -> DType;
    /// Checks beyond the dims (a reduction that needs non-empty rows). Panics on failure.
    fn check(_x: &Tensor, _dims: &[usize]) {}
    /// Reduces one row (the elements of one output position, in row-major order of the
    /// reduced dims). May be called on any thread of the pool.
    fn row<T: Element>(row: &[T]) -> Reduced<T>;
    /// The gradient with respect to the input `x`, from the output's gradient `g` and the
    /// output `y` (only what [`ReduceOp::SAVES`] names is meaningful); `None` for a
    /// reduction without one (`all`, `argmax`).
    fn backward(
        g: &Tensor,
        x: &Tensor,
        y: &Tensor,
        dims: &[usize],
        keepdim: bool,
    ) -> Option<Tensor>;
}

/// The normalized, sorted, deduplicated list of reduced dims (`None` or empty: all).
///
/// # Panics
/// If a dim is out of range or repeated.
pub(crate) fn reduced_dims(op: &str, x: &Tensor, dims: Option<&[isize]>) -> Vec<usize> {
    let rank = x.dim();
    let mut ds: Vec<usize> = match dims {
        None | Some([]) => (0..rank).collect(),
        Some(ds) => ds.iter().map(|&d| normalize_dim(op, d, rank)).collect(),
    };
    ds.sort_unstable();
    let n = ds.len();
    ds.dedup();
    assert_eq!(
        n,
        ds.len(),
        "{op}: dim appears multiple times in the list of dims"
    );
    ds.retain(|&d| d < rank);
    ds
}

/// Output shape of a reduction.
fn out_shape(x: &Tensor, dims: &[usize], keepdim: bool) -> Vec<usize> {
    let mut shape = Vec::new();
    for (d, &s) in x.shape().iter().enumerate() {
        if !dims.contains(&d) {
            shape.push(s);
        } else if keepdim {
            shape.push(1);
        }
    }
    shape
}

/// Moves the reduced dims last and returns the tensor (row-major rows of
/// `row_len` elements, one per output element) and `row_len`.
pub(crate) fn rows_last(x: &Tensor, dims: &[usize]) -> (Tensor, usize) {
    let mut perm: Vec<usize> = (0..x.dim()).filter(|d| !dims.contains(d)).collect();
    perm.extend_from_slice(dims);
    let row_len = dims.iter().map(|&d| x.shape()[d]).product();
    let moved = if perm.iter().enumerate().all(|(i, &p)| i == p) {
        x.clone()
    } else {
        x.permute(perm)
    };
    (moved, row_len)
}

/// `out[i] = f(row i)` for the rows of `moved` (`row_len` elements each, reduced dims
/// last), split across the pool when long.
fn rows_into<T: StorageElement, O: Send>(
    moved: &Tensor,
    row_len: usize,
    out: &mut [O],
    f: impl Fn(&[T]) -> O + Sync,
) {
    moved.with_contiguous(|s: &[T]| par_rows(s, row_len, out, 1, |r, o| o[0] = f(r)));
}

/// Reduces rows with `f`, one output element per row, as a new tensor.
pub(crate) fn reduce_rows<T: StorageElement, O: StorageElement>(
    op: &str,
    x: &Tensor,
    dims: Option<&[isize]>,
    keepdim: bool,
    f: impl Fn(&[T]) -> O + Sync,
) -> Tensor {
    let ds = reduced_dims(op, x, dims);
    let shape = out_shape(x, &ds, keepdim);
    let (moved, row_len) = rows_last(x, &ds);
    let n = crate::layout::checked_numel(op, &shape);
    // `rows_into` writes one element per row, and there is one row per output element
    // (rows of nothing included): a reused buffer is safe.
    let mut out = Output::<O>::for_overwrite(op, n);
    rows_into(&moved, row_len, out.as_mut_slice(), f);
    out.into_tensor(&shape)
}

/// The forward of `O` over `dims` (normalized) as a new tensor of dtype `out_dtype`.
fn forward<O: ReduceOp>(x: &Tensor, dims: &[isize], keepdim: bool, out_dtype: DType) -> Tensor {
    let dims = Some(dims);
    dispatch!(x.dtype(), T => match out_dtype {
        d if d == T::DTYPE => reduce_rows(O::NAME, x, dims, keepdim, |r: &[T]| O::row(r).into_element::<T>()),
        DType::I64 => reduce_rows(O::NAME, x, dims, keepdim, |r: &[T]| O::row(r).into_element::<i64>()),
        DType::Bool => reduce_rows(O::NAME, x, dims, keepdim, |r: &[T]| O::row(r).into_element::<bool>()),
        d => unreachable!("{}: a reduction gives the input's dtype, I64 or Bool, not {d}", O::NAME),
    })
}

/// The checked dims of `O` on `x` and its result dtype.
fn prepare<O: ReduceOp>(x: &Tensor, dims: &[isize]) -> (Vec<usize>, DType) {
    let out_dtype = O::out_dtype(x.dtype());
    let ds = reduced_dims(O::NAME, x, Some(dims));
    O::check(x, &ds);
    (ds, out_dtype)
}

/// Runs the reduction `O` over `dims` of `x` (all dims when empty), recorded for
/// autograd: `x.sum_dim(dims, keepdim)` is `reduce::<Sum>(&x, dims, keepdim)`.
///
/// # Panics
/// If a dim is out of range or repeated, or a check of `O` fails.
pub fn reduce<O: ReduceOp>(x: &Tensor, dims: &[isize], keepdim: bool) -> Tensor {
    let (ds, out_dtype) = prepare::<O>(x, dims);
    record(
        O::NAME,
        &[x],
        O::SAVES,
        || forward::<O>(x, dims, keepdim, out_dtype),
        move |g, y, inputs| vec![O::backward(g, &inputs[0], y, &ds, keepdim)],
    )
}

/// Runs the reduction `O` into `out` (`torch.sum(x, dims, keepdim, out=out)`): straight
/// into `out`'s storage when it is contiguous and shares none with `x`, through a
/// temporary otherwise (see `ops::out`).
///
/// # Panics
/// As [`reduce`], and if `out` is not empty and its shape differs from the result's, or
/// its dtype from the result's (an empty `out` is resized); if `x` or `out` requires grad
/// while grad mode is on.
pub fn reduce_out<O: ReduceOp>(x: &Tensor, dims: &[isize], keepdim: bool, out: &mut Tensor) {
    let (ds, out_dtype) = prepare::<O>(x, dims);
    let shape = out_shape(x, &ds, keepdim);
    let plan = plan(O::NAME, &shape, out_dtype, &[x], out);
    let _no_graph = crate::autograd::no_grad();
    match plan {
        OutPlan::Resize => *out = forward::<O>(x, dims, keepdim, out_dtype),
        // A reduction reads other positions than it writes: `out` aliasing `x` goes
        // through a temporary too.
        OutPlan::InPlace | OutPlan::Copy => {
            copy_into(&forward::<O>(x, dims, keepdim, out_dtype), out)
        }
        OutPlan::Direct(range) => {
            let (moved, row_len) = rows_last(x, &ds);
            // Copied to a contiguous temporary first when strided: no read lock on `x`
            // is held while `out` is locked for writing.
            let moved = moved.contiguous();
            let (reads, mut write) = crate::storage::lock_for_out(
                O::NAME,
                &[moved.storage().as_ref()],
                out.storage().as_ref(),
            );
            let src = moved.layout().contiguous_range().expect("made contiguous");
            dispatch!(x.dtype(), T => {
                let s = &T::slice(&reads[0]).expect("dtype checked")[src];
                dispatch!(out_dtype, U => {
                    let dst = &mut write.slice_mut::<U>().expect("dtype checked by the plan")[range.clone()];
                    par_rows(s, row_len, dst, 1, |r, o| o[0] = O::row(r).into_element::<U>());
                })
            })
        }
    }
}

/// Defines one reduction: its type, its [`ReduceOp`] impl, and its forms
/// (`Tensor::name()` over all elements, `Tensor::name_dim(dims, keepdim)`, and
/// `ops::name_out`), with the `///` docs written above `fn` on the dims form.
macro_rules! reduce_op {
    (
        $(#[$doc:meta])*
        fn $all:ident, $name_dim:ident, $name_out:ident = $Op:ident;
        dtype |$d:ident| $dtype:expr;
        $(check |$cx:ident, $cdims:ident| $check:expr;)?
        row<$T:ident> |$r:ident| $row:expr;
        saves $saves:ident, backward |$g:ident, $x:ident, $y:ident, $dims:ident, $keepdim:ident| $backward:expr;
    ) => {
        #[doc = concat!("The `", stringify!($all), "` reduction ([`Tensor::", stringify!($name_dim), "`]) as a type, for the generic drivers.")]
        #[derive(Clone, Copy, Debug, Default)]
        pub struct $Op;

        impl $crate::ops::reduce::ReduceOp for $Op {
            const NAME: &'static str = stringify!($all);
            const SAVES: $crate::autograd::Saves = $crate::autograd::Saves::$saves;
            fn out_dtype($d: $crate::DType) -> $crate::DType {
                $dtype
            }
            $(fn check($cx: &Tensor, $cdims: &[usize]) {
                $check
            })?
            #[inline]
            fn row<$T: $crate::Element>($r: &[$T]) -> $crate::ops::reduce::Reduced<$T> {
                #[allow(unused_imports)]
                use $crate::ops::reduce::Reduced::*;
                $row
            }
            #[allow(unused_variables)]
            fn backward($g: &Tensor, $x: &Tensor, $y: &Tensor, $dims: &[usize], $keepdim: bool) -> Option<Tensor> {
                $backward
            }
        }

        impl Tensor {
            #[doc = concat!("[`Tensor::", stringify!($name_dim), "`] over all elements, as a 0-dim tensor (`x.", stringify!($all), "()`).")]
            ///
            /// # Panics
            #[doc = concat!("As [`Tensor::", stringify!($name_dim), "`].")]
            pub fn $all(&self) -> Tensor {
                $crate::ops::reduce::reduce::<$Op>(self, &[], false)
            }

            $(#[$doc])*
            ///
            /// `dims` may be negative (counted from the end); an empty list reduces every
            /// dim. With `keepdim` the reduced dims stay, with size 1.
            ///
            /// # Panics
            /// If a dim is out of range or repeated.
            pub fn $name_dim(&self, dims: impl $crate::Dims, keepdim: bool) -> Tensor {
                $crate::ops::reduce::reduce::<$Op>(self, &dims.to_dims(), keepdim)
            }
        }

        #[doc = concat!("[`Tensor::", stringify!($name_dim), "`] written into `out` (`torch.", stringify!($all), "(x, dims, keepdim, out=out)`): straight into `out`'s storage when it is contiguous and shares none with `x`.")]
        ///
        /// # Panics
        /// As the method, and if `out` is not empty and its shape differs from the
        /// result's, or its dtype from the result's (an empty `out` is resized); if `x` or
        /// `out` requires grad while grad mode is on.
        pub fn $name_out(x: &Tensor, dims: impl $crate::Dims, keepdim: bool, out: &mut Tensor) {
            $crate::ops::reduce::reduce_out::<$Op>(x, &dims.to_dims(), keepdim, out)
        }
    };
}
use reduce_op;

/// Pairwise sum in `f64`, split across the pool when long. `f32` and `f64` slices go to
/// the vectorized kernel; the other types are summed here.
pub(crate) fn sum_f64<T: Element>(s: &[T]) -> f64 {
    if s.len() < PARALLEL_THRESHOLD * 4 {
        return T::sum_f64(s);
    }
    // The same chunks on one thread or many, so the sum does not depend on threading.
    let c = PARALLEL_THRESHOLD * 2;
    let parts: Vec<f64> = if crate::runtime::pool::parallel(s.len()) {
        pool().install(|| s.par_chunks(c).map(T::sum_f64).collect())
    } else {
        s.chunks(c).map(T::sum_f64).collect()
    };
    tessera_kernels::sum_f64(&parts)
}

/// `g` of a reduction over `dims` broadcast back to the input's `shape`.
pub(crate) fn expand_reduced(g: &Tensor, shape: &[usize], dims: &[usize], keepdim: bool) -> Tensor {
    let mut g = g.clone();
    if !keepdim {
        for &d in dims {
            g = g.unsqueeze(d as isize);
        }
    }
    g.expand(shape)
}

#[cfg(test)]
mod tests;
