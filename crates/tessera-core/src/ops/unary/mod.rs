//! Unary elementwise ops, each defined once as a named type, and the one driver that runs
//! them in PyTorch's three call forms: `x.exp()` (new tensor), `x.exp_()` (in place, seen
//! through every view) and `exp_out(&x, &mut out)` (into a preallocated tensor),
//! contiguous or strided.
//!
//! Two kinds, one trait each:
//! - [`FloatUnaryOp`] (`expm1`, `exp`, `log1p`, `log`, `tanh`, `sigmoid`, `softplus`,
//!   `sqrt`, `rsqrt`, `sin`, `cos`, `reciprocal`): a slice kernel per float dtype. Bool and
//!   integer inputs become the default float dtype, as in PyTorch; the in-place form needs
//!   a float tensor. The first seven run the vectorized kernels of `tessera-kernels`
//!   (their accuracy is stated on each method and proven in ACCURACY.md); the rest use
//!   Rust's `std` functions (correctly rounded, or the platform libm's accuracy).
//! - [`MapUnaryOp`] (`neg`, `abs`, `square`, `sign`, `relu`, `floor`, `ceil`, `round`):
//!   one scalar function generic over [`Arith`], keeping the dtype.
//!
//! The definitions are in `float.rs` and `same.rs`, one `unary_op!` invocation per op
//! whose `///` docs become the method's: `grep -n "fn expm1"` finds it. See the `ops`
//! module docs for a worked example of adding an op.

mod float;
mod same;

pub use float::*;
pub use same::*;

use super::arith::Arith;
use super::out::{copy_into, plan, OutPlan};
use crate::autograd::{record, Saves};
use crate::runtime::pool::{par_chunks_indexed, par_chunks_mut, par_zip};
use crate::runtime::Output;
use crate::storage::{lock_for_out, StorageElement};
use crate::{dispatch, dispatch_float, DType, Layout, Tensor};

/// A float elementwise op: its name, what its backward needs, a slice kernel per float
/// dtype (out of place and in place), and its gradient.
///
/// Implemented by one `unary_op!` invocation per op inside core; outside core, implement
/// it directly and run the op with [`float_unary`], [`float_unary_`] and
/// [`float_unary_out`] (see the `ops` module docs for an example).
pub trait FloatUnaryOp: 'static {
    /// The op's name as in PyTorch (`"expm1"`), used in messages and autograd's graph.
    const NAME: &'static str;
    /// The in-place form's name (`"expm1_"`), used in messages.
    const NAME_INPLACE: &'static str;
    /// What [`FloatUnaryOp::backward`] needs kept from the forward pass.
    const SAVES: Saves;
    /// `y[i] = f(x[i])` on `f32` (same lengths).
    fn f32(x: &[f32], y: &mut [f32]);
    /// `x[i] = f(x[i])` on `f32`.
    fn f32_inplace(x: &mut [f32]);
    /// `y[i] = f(x[i])` on `f32` under [`Precision::High`](crate::Precision) (at most
    /// 1 ULP); by default the same as [`FloatUnaryOp::f32`].
    fn f32_high(x: &[f32], y: &mut [f32]) {
        Self::f32(x, y)
    }
    /// `x[i] = f(x[i])` on `f32` under [`Precision::High`](crate::Precision).
    fn f32_high_inplace(x: &mut [f32]) {
        Self::f32_inplace(x)
    }
    /// `y[i] = f(x[i])` on `f64` (same lengths).
    fn f64(x: &[f64], y: &mut [f64]);
    /// `x[i] = f(x[i])` on `f64`.
    fn f64_inplace(x: &mut [f64]);
    /// The gradient with respect to the input, from the output's gradient `g`, the input
    /// `x` and the output `y` (only what [`FloatUnaryOp::SAVES`] names is meaningful).
    fn backward(g: &Tensor, x: &Tensor, y: &Tensor) -> Tensor;
}

/// A dtype-keeping elementwise op from one scalar function for every element type.
pub trait MapUnaryOp: 'static {
    /// The op's name as in PyTorch (`"neg"`).
    const NAME: &'static str;
    /// The in-place form's name (`"neg_"`).
    const NAME_INPLACE: &'static str;
    /// What [`MapUnaryOp::backward`] needs kept from the forward pass.
    const SAVES: Saves;
    /// Whether bool tensors are taken (else the op panics on them, as PyTorch does).
    const TAKES_BOOL: bool;
    /// The op on one value.
    fn map<T: Arith>(v: T) -> T;
    /// The gradient with respect to the input (see [`FloatUnaryOp::backward`]).
    fn backward(g: &Tensor, x: &Tensor, y: &Tensor) -> Tensor;
}

/// An out-of-place slice kernel.
pub type SliceMap<T> = fn(&[T], &mut [T]);
/// An in-place slice kernel.
pub type SliceMapInPlace<T> = fn(&mut [T]);

/// `f32` and `f64`: each picks its own hooks of a [`FloatUnaryOp`], so the drivers stay
/// generic over the element type.
pub trait KernelFloat: Arith + crate::FloatElement {
    /// The op's out-of-place and in-place kernels for this type at the precision this
    /// thread uses now ([`crate::get_float32_elementwise_precision`]; f64 has one). Called
    /// on the op's calling thread, before its work is split, so that every chunk runs
    /// the same kernel.
    fn kernels<O: FloatUnaryOp>() -> (SliceMap<Self>, SliceMapInPlace<Self>);
}
impl KernelFloat for f32 {
    fn kernels<O: FloatUnaryOp>() -> (SliceMap<f32>, SliceMapInPlace<f32>) {
        match crate::get_float32_elementwise_precision() {
            crate::Precision::Highest => (O::f32, O::f32_inplace),
            crate::Precision::High => (O::f32_high, O::f32_high_inplace),
        }
    }
}
impl KernelFloat for f64 {
    fn kernels<O: FloatUnaryOp>() -> (SliceMap<f64>, SliceMapInPlace<f64>) {
        (O::f64, O::f64_inplace)
    }
}

/// Elements gathered at a time from a strided input (fits in L1 with its output).
const GATHER_CHUNK: usize = 2048;

/// The loop under every form: `out[i] = f(x[i])` over the elements of `x` (laid out by
/// `layout` in its storage `all`), row-major. Straight from the storage when contiguous,
/// else through cache-sized gathered chunks on which the in-place kernel runs while they
/// are hot; split across the pool when large. Every element of `out` is written.
fn map_into<T: Copy + Send + Sync>(
    all: &[T],
    layout: &Layout,
    out: &mut [T],
    f: impl Fn(&[T], &mut [T]) + Sync,
    f_inplace: impl Fn(&mut [T]) + Sync,
) {
    match layout.contiguous_range() {
        Some(r) => par_zip(&all[r], out, f),
        None => par_chunks_indexed(out, GATHER_CHUNK, |start, chunk| {
            layout.gather_into(all, start, chunk);
            f_inplace(chunk);
        }),
    }
}

/// The allocating form: `x`'s elements mapped into a new contiguous tensor.
pub(crate) fn map_new<T: StorageElement>(
    op: &str,
    x: &Tensor,
    f: impl Fn(&[T], &mut [T]) + Sync,
    f_inplace: impl Fn(&mut [T]) + Sync,
) -> Tensor {
    let data = x.storage().read_for(op);
    let all = T::slice(&data).expect("dtype checked by the driver");
    // `map_into` writes every element, so the buffer may be a reused one.
    let mut out = Output::<T>::for_overwrite(op, x.numel());
    map_into(all, x.layout(), out.as_mut_slice(), f, f_inplace);
    drop(data);
    out.into_tensor(x.shape())
}

/// The `out=` form into `out`'s contiguous elements `range`, which share no storage with
/// `x` (see `ops::out`).
pub(crate) fn map_direct<T: StorageElement>(
    op: &str,
    x: &Tensor,
    out: &Tensor,
    range: std::ops::Range<usize>,
    f: impl Fn(&[T], &mut [T]) + Sync,
    f_inplace: impl Fn(&mut [T]) + Sync,
) {
    let (reads, mut write) = lock_for_out(op, &[x.storage().as_ref()], out.storage().as_ref());
    let all = T::slice(&reads[0]).expect("dtype checked by the driver");
    let dst = &mut write.slice_mut::<T>().expect("dtype checked by the plan")[range];
    map_into(all, x.layout(), dst, f, f_inplace);
}

/// Runs `O` on `x` as a new tensor (`x.expm1()`), promoting bool and integer inputs to
/// the default float dtype, and records it for autograd.
pub fn float_unary<O: FloatUnaryOp>(x: &Tensor) -> Tensor {
    record(
        O::NAME,
        &[x],
        O::SAVES,
        || float_forward::<O>(x),
        |g, y, inputs| vec![Some(O::backward(g, &inputs[0], y))],
    )
}

fn float_forward<O: FloatUnaryOp>(x: &Tensor) -> Tensor {
    let x = x.to_dtype(x.dtype().to_float());
    dispatch_float!(x.dtype(), T => {
        let (f, f_inplace) = T::kernels::<O>();
        map_new::<T>(O::NAME, &x, f, f_inplace)
    }, other => unreachable!("{} computes in a float dtype, not {other}", O::NAME))
}

/// Runs `O` in place on `x` (`x.expm1_()`), through every view of its storage.
///
/// # Panics
/// If `x` is not a float tensor (PyTorch cannot cast the float result back), or if
/// elements of `x` overlap (an expanded view).
pub fn float_unary_<O: FloatUnaryOp>(x: &Tensor) {
    let op = O::NAME_INPLACE;
    x.assert_no_internal_overlap(op);
    dispatch_float!(x.dtype(), T => {
        let (_, f_inplace) = T::kernels::<O>();
        x.modify::<T>(op, |s| par_chunks_mut(s, f_inplace))
    }, d => panic!(
        "{op}: result type {} can't be cast to the desired output type {d}",
        d.to_float()
    ))
}

/// Runs `O` on `x` into `out` (`torch.expm1(x, out=out)`): straight into `out`'s storage
/// when it is contiguous and shares none with `x`, in place when `out` is `x` itself, and
/// through a temporary only where `out` overlaps `x` otherwise or is strided.
///
/// # Panics
/// As the `out=` contract (`ops::out`): a non-empty `out` of another shape, or another
/// dtype than the result's; an `out` or input that requires grad while grad mode is on.
pub fn float_unary_out<O: FloatUnaryOp>(x: &Tensor, out: &mut Tensor) {
    let dtype = x.dtype().to_float();
    let plan = plan(O::NAME, x.shape(), dtype, &[x], out);
    let _no_graph = crate::autograd::no_grad();
    match plan {
        OutPlan::Resize => *out = float_forward::<O>(x),
        OutPlan::InPlace => float_unary_::<O>(out),
        OutPlan::Copy => copy_into(&float_forward::<O>(x), out),
        OutPlan::Direct(range) => {
            let x = x.to_dtype(dtype);
            dispatch_float!(dtype, T => {
                let (f, f_inplace) = T::kernels::<O>();
                map_direct::<T>(O::NAME, &x, out, range, f, f_inplace)
            }, other => unreachable!("{} computes in a float dtype, not {other}", O::NAME))
        }
    }
}

/// Panics if `O` does not take `dtype` (bool, for most).
fn check_map<O: MapUnaryOp>(op: &str, dtype: DType) {
    assert!(
        O::TAKES_BOOL || dtype != DType::Bool,
        "{op}: not supported for bool tensors (dtype {dtype}); use logical_not or cast first"
    );
}

/// The out-of-place slice kernel of a [`MapUnaryOp`] on type `T`.
fn map_slice<O: MapUnaryOp, T: Arith>(x: &[T], y: &mut [T]) {
    for (o, &v) in y.iter_mut().zip(x) {
        *o = O::map(v);
    }
}

/// The in-place slice kernel of a [`MapUnaryOp`] on type `T`.
fn map_slice_inplace<O: MapUnaryOp, T: Arith>(x: &mut [T]) {
    for v in x.iter_mut() {
        *v = O::map(*v);
    }
}

fn map_forward<O: MapUnaryOp>(x: &Tensor) -> Tensor {
    dispatch!(x.dtype(), T => map_new::<T>(O::NAME, x, map_slice::<O, T>, map_slice_inplace::<O, T>))
}

/// Runs `O` on `x` as a new tensor of the same dtype (`x.neg()`), recorded for autograd.
///
/// # Panics
/// On a bool tensor unless `O` takes bool.
pub fn map_unary<O: MapUnaryOp>(x: &Tensor) -> Tensor {
    check_map::<O>(O::NAME, x.dtype());
    record(
        O::NAME,
        &[x],
        O::SAVES,
        || map_forward::<O>(x),
        |g, y, inputs| vec![Some(O::backward(g, &inputs[0], y))],
    )
}

/// Runs `O` in place on `x` (`x.neg_()`).
///
/// # Panics
/// On a bool tensor unless `O` takes bool, or if elements of `x` overlap.
pub fn map_unary_<O: MapUnaryOp>(x: &Tensor) {
    let op = O::NAME_INPLACE;
    check_map::<O>(op, x.dtype());
    x.assert_no_internal_overlap(op);
    dispatch!(x.dtype(), T => x.modify::<T>(op, |s| par_chunks_mut(s, map_slice_inplace::<O, T>)))
}

/// Runs `O` on `x` into `out` (`torch.neg(x, out=out)`), as [`float_unary_out`] does.
///
/// # Panics
/// As [`map_unary`], and as the `out=` contract (`ops::out`).
pub fn map_unary_out<O: MapUnaryOp>(x: &Tensor, out: &mut Tensor) {
    check_map::<O>(O::NAME, x.dtype());
    let plan = plan(O::NAME, x.shape(), x.dtype(), &[x], out);
    let _no_graph = crate::autograd::no_grad();
    match plan {
        OutPlan::Resize => *out = map_forward::<O>(x),
        OutPlan::InPlace => map_unary_::<O>(out),
        OutPlan::Copy => copy_into(&map_forward::<O>(x), out),
        OutPlan::Direct(range) => {
            dispatch!(x.dtype(), T => map_direct::<T>(O::NAME, x, out, range, map_slice::<O, T>, map_slice_inplace::<O, T>))
        }
    }
}

/// Defines one unary op: its type, its trait impl, its three forms (`Tensor::name`,
/// `Tensor::name_`, `name_out`), with the `///` docs written above `fn` on the method.
///
/// Three bodies:
/// - `float kernels(f32, f32_inplace, f64, f64_inplace);` slice kernels by path, and
///   optionally `high kernels(f32, f32_inplace);` for [`crate::Precision::High`];
/// - `float map |v| expr`: one expression valid for `f32` and `f64`;
/// - `same map |v: T| expr, bool: yes|no`: one [`Arith`] expression for every dtype.
macro_rules! unary_op {
    (@float_impl $Op:ident, $name:ident, $name_:ident, $saves:ident,
     ($f32:expr, $f32i:expr, $f64:expr, $f64i:expr), [$($high:expr, $highi:expr)?],
     |$g:ident, $x:ident, $y:ident| $bw:expr) => {
        impl $crate::ops::unary::FloatUnaryOp for $Op {
            const NAME: &'static str = stringify!($name);
            const NAME_INPLACE: &'static str = stringify!($name_);
            const SAVES: $crate::autograd::Saves = $crate::autograd::Saves::$saves;
            #[inline]
            fn f32(x: &[f32], y: &mut [f32]) {
                ($f32)(x, y)
            }
            #[inline]
            fn f32_inplace(x: &mut [f32]) {
                ($f32i)(x)
            }
            $(#[inline]
            fn f32_high(x: &[f32], y: &mut [f32]) {
                ($high)(x, y)
            }
            #[inline]
            fn f32_high_inplace(x: &mut [f32]) {
                ($highi)(x)
            })?
            #[inline]
            fn f64(x: &[f64], y: &mut [f64]) {
                ($f64)(x, y)
            }
            #[inline]
            fn f64_inplace(x: &mut [f64]) {
                ($f64i)(x)
            }
            #[allow(unused_variables)]
            fn backward($g: &Tensor, $x: &Tensor, $y: &Tensor) -> Tensor {
                $bw
            }
        }
    };
    (@forms $Op:ident, $name:ident, $name_:ident, $name_out:ident, $run:ident, $run_:ident, $run_out:ident, [$(#[$doc:meta])*]) => {
        #[doc = concat!("The `", stringify!($name), "` op ([`Tensor::", stringify!($name), "`]) as a type, for the generic drivers.")]
        #[derive(Clone, Copy, Debug, Default)]
        pub struct $Op;

        impl Tensor {
            $(#[$doc])*
            pub fn $name(&self) -> Tensor {
                $crate::ops::unary::$run::<$Op>(self)
            }

            #[doc = concat!("In-place [`Tensor::", stringify!($name), "`] (`x.", stringify!($name_), "()`); returns `self`.")]
            ///
            /// # Panics
            /// If the result's dtype cannot be written into `self`'s, or elements of
            /// `self` overlap (an expanded view).
            pub fn $name_(&self) -> &Tensor {
                $crate::ops::unary::$run_::<$Op>(self);
                self
            }
        }

        #[doc = concat!("[`Tensor::", stringify!($name), "`] written into `out` (`torch.", stringify!($name), "(x, out=out)`): straight into `out`'s storage when it is contiguous and shares none with `x`, in place when `out` is `x`.")]
        ///
        /// # Panics
        /// If `out` is not empty and its shape differs from `x`'s, or its dtype from the
        /// result's (an empty `out` is resized, as PyTorch does); if `x` or `out` requires
        /// grad while grad mode is on (`out=` forms are not differentiable).
        pub fn $name_out(x: &Tensor, out: &mut Tensor) {
            $crate::ops::unary::$run_out::<$Op>(x, out)
        }
    };
    (
        $(#[$doc:meta])*
        fn $name:ident, $name_:ident, $name_out:ident = $Op:ident;
        float kernels($f32:path, $f32i:path, $f64:path, $f64i:path);
        $(high kernels($high:path, $highi:path);)?
        saves $saves:ident, backward |$g:ident, $x:ident, $y:ident| $bw:expr;
    ) => {
        unary_op!(@forms $Op, $name, $name_, $name_out, float_unary, float_unary_, float_unary_out, [$(#[$doc])*]);
        unary_op!(@float_impl $Op, $name, $name_, $saves, ($f32, $f32i, $f64, $f64i), [$($high, $highi)?], |$g, $x, $y| $bw);
    };
    (
        $(#[$doc:meta])*
        fn $name:ident, $name_:ident, $name_out:ident = $Op:ident;
        float map |$v:ident| $body:expr;
        saves $saves:ident, backward |$g:ident, $x:ident, $y:ident| $bw:expr;
    ) => {
        unary_op!(@forms $Op, $name, $name_, $name_out, float_unary, float_unary_, float_unary_out, [$(#[$doc])*]);
        unary_op!(@float_impl $Op, $name, $name_, $saves, (
            |x: &[f32], y: &mut [f32]| for (o, &$v) in y.iter_mut().zip(x) { *o = $body },
            |x: &mut [f32]| for o in x.iter_mut() { let $v = *o; *o = $body },
            |x: &[f64], y: &mut [f64]| for (o, &$v) in y.iter_mut().zip(x) { *o = $body },
            |x: &mut [f64]| for o in x.iter_mut() { let $v = *o; *o = $body }
        ), [], |$g, $x, $y| $bw);
    };
    (
        $(#[$doc:meta])*
        fn $name:ident, $name_:ident, $name_out:ident = $Op:ident;
        same map |$v:ident: $T:ident| $body:expr, bool: $bool:ident;
        saves $saves:ident, backward |$g:ident, $x:ident, $y:ident| $bw:expr;
    ) => {
        unary_op!(@forms $Op, $name, $name_, $name_out, map_unary, map_unary_, map_unary_out, [$(#[$doc])*]);
        impl $crate::ops::unary::MapUnaryOp for $Op {
            const NAME: &'static str = stringify!($name);
            const NAME_INPLACE: &'static str = stringify!($name_);
            const SAVES: $crate::autograd::Saves = $crate::autograd::Saves::$saves;
            const TAKES_BOOL: bool = unary_op!(@bool $bool);
            #[inline]
            fn map<$T: $crate::ops::arith::Arith>($v: $T) -> $T {
                $body
            }
            #[allow(unused_variables)]
            fn backward($g: &Tensor, $x: &Tensor, $y: &Tensor) -> Tensor {
                $bw
            }
        }
    };
    (@bool yes) => { true };
    (@bool no) => { false };
}
pub(crate) use unary_op;

#[cfg(test)]
mod tests;
