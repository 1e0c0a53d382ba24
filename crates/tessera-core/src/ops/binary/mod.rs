//! Binary elementwise ops with broadcasting and PyTorch's type promotion (`add`, `sub`,
//! `mul`, `div`, `pow`, `maximum`, `minimum`, and `clamp` on top of them), each defined
//! once as a named type implementing [`BinaryOp`] (in `arith_ops.rs`, one `binary_op!`
//! invocation per op), and the one driver that runs them in the three call forms:
//! `a.add(&b)`, `a.add_(&b)` and `add_out(&a, &b, &mut out)`.

use super::arith::Arith;
use super::out::{copy_into, plan, OutPlan};
use crate::autograd::{record, sum_to_shape, Saves};
use crate::layout::{broadcast_shapes, Layout};
use crate::runtime::pool::{par_zip, par_zip3, PARALLEL_THRESHOLD};
use crate::storage::StorageElement;
use crate::{dispatch, result_type, DType, Operand, Scalar, Tensor};

mod arith_ops;
mod clamp;

pub use arith_ops::*;
pub use clamp::clamp_out;

/// The right-hand side of a binary op: a tensor or a Rust number (promoted as a
/// Python scalar). Anything `Into<Rhs>` can be passed: `&Tensor`, `Tensor`, `f64`,
/// `i32`, `bool`, ...
#[derive(Clone, Debug)]
pub enum Rhs {
    /// A tensor operand.
    Tensor(Tensor),
    /// A number.
    Scalar(Scalar),
}

impl From<&Tensor> for Rhs {
    fn from(t: &Tensor) -> Rhs {
        Rhs::Tensor(t.clone())
    }
}
impl From<Tensor> for Rhs {
    fn from(t: Tensor) -> Rhs {
        Rhs::Tensor(t)
    }
}
impl<S: Into<Scalar>> From<S> for Rhs {
    fn from(s: S) -> Rhs {
        Rhs::Scalar(s.into())
    }
}

impl Rhs {
    fn operand(&self) -> Operand {
        match self {
            Rhs::Tensor(t) if t.dim() == 0 => Operand::ZeroDim(t.dtype()),
            Rhs::Tensor(t) => Operand::Dimensioned(t.dtype()),
            Rhs::Scalar(s) => Operand::Scalar(s.category()),
        }
    }

    /// The operand as a tensor of `dtype`.
    pub(crate) fn to_tensor(&self, dtype: DType) -> Tensor {
        match self {
            Rhs::Tensor(t) => t.to_dtype(dtype),
            Rhs::Scalar(s) => Tensor::full_dtype(&[], *s, dtype),
        }
    }

    /// The operand's shape (`[]` for a number).
    pub fn shape(&self) -> &[usize] {
        match self {
            Rhs::Tensor(t) => t.shape(),
            Rhs::Scalar(_) => &[],
        }
    }
}

/// The promoted dtype of two operands (`torch.result_type`).
pub fn promote(a: &Rhs, b: &Rhs) -> DType {
    result_type(&[a.operand(), b.operand()])
}

/// Walks two layouts of the same shape together, calling `f(ia, ib)` with their
/// storage indices in row-major order.
fn for_each_pair(la: &Layout, lb: &Layout, mut f: impl FnMut(usize, usize)) {
    let shape = la.shape();
    if shape.contains(&0) {
        return;
    }
    if shape.is_empty() {
        return f(la.offset(), lb.offset());
    }
    let r = shape.len();
    let (n, sa, sb) = (shape[r - 1], la.strides()[r - 1], lb.strides()[r - 1]);
    let mut idx = vec![0usize; r - 1];
    let (mut ba, mut bb) = (la.offset(), lb.offset());
    loop {
        for j in 0..n {
            f(ba + j * sa, bb + j * sb);
        }
        let mut d = r - 1;
        loop {
            if d == 0 {
                return;
            }
            d -= 1;
            idx[d] += 1;
            ba += la.strides()[d];
            bb += lb.strides()[d];
            if idx[d] < shape[d] {
                break;
            }
            ba -= la.strides()[d] * shape[d];
            bb -= lb.strides()[d] * shape[d];
            idx[d] = 0;
        }
    }
}

/// `f(a, b)` elementwise over the broadcast shape of two tensors of types `A`
/// and `B`, giving a new contiguous tensor of type `O`.
pub fn zip_map<A, B, O>(op: &str, a: &Tensor, b: &Tensor, f: impl Fn(A, B) -> O + Sync) -> Tensor
where
    A: StorageElement,
    B: StorageElement,
    O: StorageElement,
{
    a.expect_dtype::<A>(op);
    b.expect_dtype::<B>(op);
    let shape = broadcast_shapes(op, a.shape(), b.shape());
    let n = crate::layout::checked_numel(op, &shape);
    // `zip_into` writes every element: a reused buffer is safe.
    let mut out = crate::runtime::Output::<O>::for_overwrite(op, n);
    // Both operands may share one storage: lock it once.
    let ga = a.storage().read_for(op);
    let gb = (!a.shares_storage(b)).then(|| b.storage().read_for(op));
    let da = A::slice(&ga).expect("dtype checked");
    let db = B::slice(gb.as_deref().unwrap_or(&ga)).expect("dtype checked");
    zip_into(
        op,
        (da, a.layout()),
        (db, b.layout()),
        &shape,
        out.as_mut_slice(),
        f,
    );
    drop(gb);
    drop(ga);
    out.into_tensor(&shape)
}

/// [`zip_map`] written straight into `out`'s contiguous storage elements `range`; `out`
/// shares no storage with `a` or `b` (see `ops::out`).
pub(crate) fn zip_map_direct<A, B, O>(
    op: &str,
    (a, b): (&Tensor, &Tensor),
    out: &Tensor,
    range: std::ops::Range<usize>,
    f: impl Fn(A, B) -> O + Sync,
) where
    A: StorageElement,
    B: StorageElement,
    O: StorageElement,
{
    let (reads, mut write) = crate::storage::lock_for_out(
        op,
        &[a.storage().as_ref(), b.storage().as_ref()],
        out.storage().as_ref(),
    );
    let da = A::slice(&reads[0]).expect("dtype checked");
    let db = B::slice(&reads[1]).expect("dtype checked");
    let dst = &mut write.slice_mut::<O>().expect("dtype checked by the plan")[range];
    zip_into(op, (da, a.layout()), (db, b.layout()), out.shape(), dst, f);
}

/// The loop of [`zip_map`]: `out[i] = f(a[i], b[i])` over `shape`, the operands given
/// as storage slices with their layouts.
fn zip_into<A: Copy + Sync, B: Copy + Sync, O: Send>(
    op: &str,
    (da, la): (&[A], &Layout),
    (db, lb): (&[B], &Layout),
    shape: &[usize],
    out: &mut [O],
    f: impl Fn(A, B) -> O + Sync,
) {
    let (la, lb) = (la.broadcast_to(op, shape), lb.broadcast_to(op, shape));
    let kernel = |x: &[A], y: &[B], o: &mut [O]| {
        for ((o, &x), &y) in o.iter_mut().zip(x).zip(y) {
            *o = f(x, y);
        }
    };
    match (la.contiguous_range(), lb.contiguous_range()) {
        (Some(ra), Some(rb)) => par_zip3(&da[ra], &db[rb], out, kernel),
        (Some(ra), None) if lb.strides().iter().all(|&s| s == 0) => {
            let y = db[lb.offset()];
            par_zip(&da[ra], out, |x, o| {
                o.iter_mut().zip(x).for_each(|(o, &x)| *o = f(x, y))
            });
        }
        (None, Some(rb)) if la.strides().iter().all(|&s| s == 0) => {
            let x = da[la.offset()];
            par_zip(&db[rb], out, |y, o| {
                o.iter_mut().zip(y).for_each(|(o, &y)| *o = f(x, y))
            });
        }
        _ if out.len() >= PARALLEL_THRESHOLD => {
            // Strided or broadcast: gather both into row-major order, then zip in parallel.
            let (xa, xb) = (la.gather(da), lb.gather(db));
            par_zip3(&xa, &xb, out, kernel);
        }
        _ => {
            let mut k = 0;
            for_each_pair(&la, &lb, |i, j| {
                out[k] = f(da[i], db[j]);
                k += 1;
            });
        }
    }
}

/// Which operand a gradient is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// `a` in `a op b`.
    Left,
    /// `b` in `a op b`.
    Right,
}

/// An elementwise binary op: its name, its dtype rule, one scalar function for every
/// element type, its checks and its gradient.
///
/// Implemented by one `binary_op!` invocation per op inside core; outside core,
/// implement it and run the op with [`binary`], [`binary_`] and [`binary_out`].
pub trait BinaryOp: 'static {
    /// The op's name as in PyTorch (`"add"`).
    const NAME: &'static str;
    /// The in-place form's name (`"add_"`).
    const NAME_INPLACE: &'static str;
    /// What [`BinaryOp::grad`] needs kept from the forward pass.
    const SAVES: Saves;
    /// Whether the op computes in the float dtype of the promoted type (`div`: integers
    /// give a float result); otherwise in the promoted type itself.
    const FLOAT_RESULT: bool = false;
    /// The op on one pair of values (of the result dtype).
    fn apply<T: Arith>(a: T, b: T) -> T;
    /// Checks beyond broadcasting, given the operands and their promoted dtype (`sub`
    /// refuses bool, `pow` negative integer scalar exponents). Panics on failure.
    fn check(_a: &Rhs, _b: &Rhs, _promoted: DType) {}
    /// The gradient with respect to one side at the broadcast shape, from the output's
    /// gradient `g`, the operands `a` and `b` and the output `out` (only what
    /// [`BinaryOp::SAVES`] names is meaningful).
    fn grad(side: Side, g: &Tensor, a: &Tensor, b: &Tensor, out: &Tensor) -> Tensor;
}

/// The checked, promoted operands of `O`: the result dtype and both operands as tensors
/// of it, and the broadcast shape.
///
/// # Panics
/// As [`binary`].
fn operands<O: BinaryOp>(a: &Rhs, b: &Rhs) -> (DType, Tensor, Tensor, Vec<usize>) {
    let promoted = promote(a, b);
    O::check(a, b, promoted);
    let dtype = if O::FLOAT_RESULT {
        promoted.to_float()
    } else {
        promoted
    };
    // Broadcast check first so the message names the op and both shapes.
    let shape = broadcast_shapes(O::NAME, a.shape(), b.shape());
    (dtype, a.to_tensor(dtype), b.to_tensor(dtype), shape)
}

/// `O` over the broadcast operands, of the result dtype, as a new tensor.
fn forward<O: BinaryOp>(dtype: DType, a: &Tensor, b: &Tensor) -> Tensor {
    dispatch!(dtype, T => zip_map(O::NAME, a, b, O::apply::<T>))
}

/// Runs `O` on two operands with broadcasting and promotion (`a.add(&b)`), recorded for
/// autograd.
///
/// # Panics
/// If the shapes do not broadcast (the message names the op and both shapes), or a check
/// of `O` fails (`-` with a bool operand, an integer tensor to a negative integer scalar).
pub fn binary<O: BinaryOp>(a: &Rhs, b: &Rhs) -> Tensor {
    let (dtype, ta, tb, _) = operands::<O>(a, b);
    record(
        O::NAME,
        &[&ta, &tb],
        O::SAVES,
        || forward::<O>(dtype, &ta, &tb),
        move |g, out, inputs| {
            let (a, b) = (&inputs[0], &inputs[1]);
            vec![
                a.requires_grad()
                    .then(|| sum_to_shape(&O::grad(Side::Left, g, a, b, out), a.shape())),
                b.requires_grad()
                    .then(|| sum_to_shape(&O::grad(Side::Right, g, a, b, out), b.shape())),
            ]
        },
    )
}

/// Runs `O` in place on `x` (`x.add_(&b)`): the result is written into `x`, whose shape
/// and dtype stay.
///
/// # Panics
/// If `b` does not broadcast to `x`'s shape, or the result's dtype is of a higher
/// category than `x`'s (an integer tensor cannot take a float result), or `x` is a leaf
/// that requires grad, or its elements overlap.
pub fn binary_<O: BinaryOp>(x: &Tensor, b: &Rhs) {
    let op = O::NAME_INPLACE;
    x.check_inplace(op);
    x.assert_no_internal_overlap(op);
    if inplace_direct::<O>(x, b) {
        return;
    }
    let r = binary::<O>(&Rhs::from(x), b);
    assert!(
        r.dtype().category() <= x.dtype().category(),
        "{op}: result type {} can't be cast to the desired output type {}",
        r.dtype(),
        x.dtype()
    );
    assert!(
        broadcast_shapes(op, r.shape(), x.shape()) == x.shape(),
        "{op}: output with shape {:?} doesn't match the broadcast shape {:?}",
        x.shape(),
        r.shape()
    );
    x.copy_(&r);
}

/// The direct path of [`binary_`]: `x[i] = O(x[i], b[i])` in `x`'s storage, without a
/// temporary, when nothing needs the general path: no graph is being recorded, `x` is
/// contiguous and already of the result dtype and shape, and `b` is a number or a
/// tensor sharing no storage with `x` (each element then reads only its own old value).
/// Returns whether it ran.
fn inplace_direct<O: BinaryOp>(x: &Tensor, b: &Rhs) -> bool {
    let b_grad = matches!(b, Rhs::Tensor(t) if t.requires_grad());
    if crate::autograd::is_grad_enabled() && (x.requires_grad() || b_grad) {
        return false;
    }
    if matches!(b, Rhs::Tensor(t) if t.shares_storage(x)) {
        return false;
    }
    let Some(range) = x.layout().contiguous_range() else {
        return false;
    };
    let (dtype, _, tb, shape) = operands::<O>(&Rhs::from(x), b);
    if dtype != x.dtype() || shape != x.shape() {
        return false;
    }
    dispatch!(dtype, T => zip_inplace::<T>(O::NAME_INPLACE, x, &tb, range, O::apply::<T>));
    true
}

/// `x[i] = f(x[i], b[i])` over `x`'s contiguous storage elements `range`, `b` broadcast
/// to `x`'s shape and sharing no storage with it.
fn zip_inplace<T: StorageElement>(
    op: &str,
    x: &Tensor,
    b: &Tensor,
    range: std::ops::Range<usize>,
    f: impl Fn(T, T) -> T + Sync,
) {
    let (reads, mut write) =
        crate::storage::lock_for_out(op, &[b.storage().as_ref()], x.storage().as_ref());
    let db = T::slice(&reads[0]).expect("dtype checked");
    let dst = &mut write.slice_mut::<T>().expect("dtype checked")[range];
    let lb = b.layout().broadcast_to(op, x.shape());
    let zip = |y: &[T], o: &mut [T]| o.iter_mut().zip(y).for_each(|(o, &y)| *o = f(*o, y));
    if let Some(rb) = lb.contiguous_range() {
        par_zip(&db[rb], dst, zip);
    } else if lb.strides().iter().all(|&s| s == 0) {
        let y = db[lb.offset()];
        crate::runtime::pool::par_chunks_mut(dst, |o| o.iter_mut().for_each(|o| *o = f(*o, y)));
    } else {
        // Broadcast or strided `b` (a bias row added to every row): gather it once.
        par_zip(&lb.gather(db), dst, zip);
    }
}

/// Runs `O` into `out` (`torch.add(a, b, out=out)`): straight into `out`'s storage when
/// it is contiguous and shares none with the operands, through a temporary otherwise.
///
/// # Panics
/// As [`binary`], and as the `out=` contract (`ops::out`): a non-empty `out` of another
/// shape than the broadcast result's, or another dtype than the result's; an operand or
/// `out` that requires grad while grad mode is on.
pub fn binary_out<O: BinaryOp>(a: &Rhs, b: &Rhs, out: &mut Tensor) {
    let (dtype, ta, tb, shape) = operands::<O>(a, b);
    let plan = plan(O::NAME, &shape, dtype, &[&ta, &tb], out);
    let _no_graph = crate::autograd::no_grad();
    // The checked, promoted operands are reused: no second promotion or conversion.
    match plan {
        OutPlan::Resize => *out = forward::<O>(dtype, &ta, &tb),
        OutPlan::InPlace | OutPlan::Copy => copy_into(&forward::<O>(dtype, &ta, &tb), out),
        OutPlan::Direct(range) => {
            dispatch!(dtype, T => zip_map_direct(O::NAME, (&ta, &tb), out, range, O::apply::<T>))
        }
    }
}

/// Defines one binary op: its type, its [`BinaryOp`] impl, and its three forms
/// (`Tensor::name`, `Tensor::name_`, `name_out`) with the `///` docs written above `fn`
/// on the method.
macro_rules! binary_op {
    (
        $(#[$doc:meta])*
        fn $name:ident, $name_:ident, $name_out:ident = $Op:ident;
        apply |$a:ident, $b:ident| $body:expr;
        $(float_result: $float:expr;)?
        $(check |$ca:ident, $cb:ident, $cd:ident| $check:expr;)?
        saves $saves:ident, grad |$side:ident, $g:ident, $x:ident, $y:ident, $out:ident| $grad:expr;
    ) => {
        #[doc = concat!("The `", stringify!($name), "` op ([`Tensor::", stringify!($name), "`]) as a type, for the generic drivers.")]
        #[derive(Clone, Copy, Debug, Default)]
        pub struct $Op;

        impl $crate::ops::binary::BinaryOp for $Op {
            const NAME: &'static str = stringify!($name);
            const NAME_INPLACE: &'static str = stringify!($name_);
            const SAVES: $crate::autograd::Saves = $crate::autograd::Saves::$saves;
            $(const FLOAT_RESULT: bool = $float;)?
            #[inline]
            fn apply<T: $crate::ops::arith::Arith>($a: T, $b: T) -> T {
                $body
            }
            $(#[allow(unused_variables)]
            fn check($ca: &Rhs, $cb: &Rhs, $cd: $crate::DType) {
                $check
            })?
            #[allow(unused_variables)]
            fn grad($side: Side, $g: &Tensor, $x: &Tensor, $y: &Tensor, $out: &Tensor) -> Tensor {
                $grad
            }
        }

        impl Tensor {
            $(#[$doc])*
            ///
            /// `other` is a tensor (broadcast against `self`) or a Rust number.
            ///
            /// # Panics
            /// If the shapes do not broadcast (the message names both shapes).
            pub fn $name(&self, other: impl Into<Rhs>) -> Tensor {
                $crate::ops::binary::binary::<$Op>(&Rhs::from(self), &other.into())
            }

            #[doc = concat!("In-place [`Tensor::", stringify!($name), "`]: the result is written into `self`, whose shape and dtype stay. Returns `self`.")]
            ///
            /// # Panics
            /// If `other` does not broadcast to `self`'s shape, or the result's dtype is
            /// of a higher category than `self`'s (an integer tensor cannot take a float result).
            pub fn $name_(&self, other: impl Into<Rhs>) -> &Tensor {
                $crate::ops::binary::binary_::<$Op>(self, &other.into());
                self
            }
        }

        #[doc = concat!("[`Tensor::", stringify!($name), "`] written into `out` (`torch.", stringify!($name), "(a, b, out=out)`): straight into `out`'s storage when it is contiguous and shares none with the operands.")]
        ///
        /// # Panics
        /// As the method, and if `out` is not empty and its shape differs from the
        /// broadcast result's, or its dtype from the result's (an empty `out` is
        /// resized, as PyTorch does); if an operand or `out` requires grad while grad
        /// mode is on.
        pub fn $name_out(a: &Tensor, b: impl Into<Rhs>, out: &mut Tensor) {
            $crate::ops::binary::binary_out::<$Op>(&Rhs::from(a), &b.into(), out)
        }
    };
}
pub(crate) use binary_op;

#[cfg(test)]
mod tests;
