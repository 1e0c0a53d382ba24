//! Binary elementwise ops with broadcasting and PyTorch's type promotion:
//! `add`, `sub`, `mul`, `div`, `pow`, `maximum`, `minimum`, and their in-place forms.

use super::arith::Arith;
use super::out::{copy_into, plan, OutPlan};
use crate::autograd::{record, sum_to_shape, Saves};
use crate::layout::{broadcast_shapes, Layout};
use crate::storage::StorageElement;
use crate::threads::{par_zip, par_zip3, PARALLEL_THRESHOLD};
use crate::{dispatch, result_type, DType, Operand, Scalar, Tensor};

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

    fn shape(&self) -> &[usize] {
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
    let mut out = crate::threads::output_vec_for::<O>(op, n);
    // Both operands may share one storage: lock it once.
    let ga = a.storage().read_for(op);
    let gb = (!a.shares_storage(b)).then(|| b.storage().read_for(op));
    let da = A::slice(&ga).expect("dtype checked");
    let db = B::slice(gb.as_deref().unwrap_or(&ga)).expect("dtype checked");
    zip_into(op, (da, a.layout()), (db, b.layout()), &shape, &mut out, f);
    drop(gb);
    drop(ga);
    Tensor::from_vec(out, &shape)
}

/// [`zip_map`] written straight into `out`'s contiguous storage elements `range`; `out`
/// shares no storage with `a` or `b` (see `ops::out`).
fn zip_map_direct<A, B, O>(
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

/// Which arithmetic binary op.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryOp {
    /// `a + b`
    Add,
    /// `a - b`
    Sub,
    /// `a * b`
    Mul,
    /// `a / b`, true division
    Div,
    /// `a ^ b`
    Pow,
    /// NaN-propagating max
    Maximum,
    /// NaN-propagating min
    Minimum,
}

impl BinaryOp {
    fn name(self) -> &'static str {
        match self {
            BinaryOp::Add => "add",
            BinaryOp::Sub => "sub",
            BinaryOp::Mul => "mul",
            BinaryOp::Div => "div",
            BinaryOp::Pow => "pow",
            BinaryOp::Maximum => "maximum",
            BinaryOp::Minimum => "minimum",
        }
    }

    /// The dtype the op computes and returns for promoted dtype `d`.
    fn result_dtype(self, d: DType) -> DType {
        match self {
            BinaryOp::Div => d.to_float(),
            _ => d,
        }
    }
}

/// Runs `$body` with `$f` bound to `$op`'s elementwise function on the Rust type of
/// `$dtype` (a function item, so the loop around it is compiled per op and type).
macro_rules! with_binary_fn {
    ($op:expr, $dtype:expr, |$f:ident| $body:expr) => {
        match ($op, $dtype) {
            (BinaryOp::Div, DType::F32) => {
                let $f = |x: f32, y: f32| x / y;
                $body
            }
            (BinaryOp::Div, DType::F64) => {
                let $f = |x: f64, y: f64| x / y;
                $body
            }
            (BinaryOp::Div, d) => unreachable!("div computes in a float dtype, not {d}"),
            (op, d) => dispatch!(d, T => match op {
                BinaryOp::Add => { let $f = <T as Arith>::add; $body }
                BinaryOp::Sub => { let $f = <T as Arith>::sub; $body }
                BinaryOp::Mul => { let $f = <T as Arith>::mul; $body }
                BinaryOp::Pow => { let $f = <T as Arith>::pow; $body }
                BinaryOp::Maximum => { let $f = <T as Arith>::maximum; $body }
                BinaryOp::Minimum => { let $f = <T as Arith>::minimum; $body }
                BinaryOp::Div => unreachable!("matched above"),
            }),
        }
    };
}

/// The checked, promoted operands of a binary op: the result dtype and both operands
/// as tensors of it.
///
/// # Panics
/// As [`binary`].
fn operands(op: BinaryOp, a: &Rhs, b: &Rhs) -> (DType, Tensor, Tensor) {
    let promoted = promote(a, b);
    let name = op.name();
    assert!(
        !(op == BinaryOp::Sub && promoted == DType::Bool),
        "sub: subtraction, the `-` operator, with two bool tensors is not supported; use the `^` or `logical_xor()` operator instead"
    );
    let is_bool = |r: &Rhs| match r {
        Rhs::Tensor(t) => t.dtype() == DType::Bool,
        Rhs::Scalar(s) => matches!(s, Scalar::Bool(_)),
    };
    assert!(
        !(op == BinaryOp::Sub && (is_bool(a) || is_bool(b))),
        "sub: subtraction, the `-` operator, with a bool tensor is not supported; to invert a mask use `logical_not()`"
    );
    let dtype = op.result_dtype(promoted);
    let (ta, tb) = (a.to_tensor(dtype), b.to_tensor(dtype));
    // Only a scalar exponent is rejected; tensor exponents follow torch's integer rule
    // (see `Arith::pow`).
    if op == BinaryOp::Pow && dtype.is_int() && matches!(b, Rhs::Scalar(_)) {
        let negative = tb
            .to_dtype(DType::I64)
            .with_contiguous(|s: &[i64]| s.iter().any(|&v| v < 0));
        assert!(
            !negative,
            "pow: integers to negative integer powers are not allowed"
        );
    }
    // Broadcast check first so the message names the op and both shapes.
    broadcast_shapes(name, a.shape(), b.shape());
    (dtype, ta, tb)
}

/// [`binary`] written into `out` (`torch.add(a, b, out=out)`): straight into `out`'s
/// storage when it is contiguous and shares none with the operands.
///
/// # Panics
/// As [`binary`], and as the `out=` contract (`ops::out`): a non-empty `out` of another
/// shape than the broadcast result's, or another dtype than the result's.
pub fn binary_out(op: BinaryOp, a: &Rhs, b: &Rhs, out: &mut Tensor) {
    let (dtype, ta, tb) = operands(op, a, b);
    let name = op.name();
    let shape = broadcast_shapes(name, ta.shape(), tb.shape());
    let plan = plan(name, &shape, dtype, &[&ta, &tb], out);
    let _no_graph = crate::autograd::no_grad();
    // The checked, promoted operands are reused: no second promotion or conversion.
    let result = || with_binary_fn!(op, dtype, |f| zip_map(name, &ta, &tb, f));
    match plan {
        OutPlan::Resize => *out = result(),
        OutPlan::InPlace | OutPlan::Copy => copy_into(&result(), out),
        OutPlan::Direct(range) => {
            with_binary_fn!(op, dtype, |f| zip_map_direct(
                name,
                (&ta, &tb),
                out,
                range,
                f
            ))
        }
    }
}

/// Runs a binary op on two operands with broadcasting and promotion.
///
/// # Panics
/// If the shapes do not broadcast, on `-` with a bool operand, on integer tensors
/// raised to a negative integer scalar.
pub fn binary(op: BinaryOp, a: &Rhs, b: &Rhs) -> Tensor {
    let (dtype, ta, tb) = operands(op, a, b);
    let name = op.name();
    let forward = || with_binary_fn!(op, dtype, |f| zip_map(name, &ta, &tb, f));
    let saves = match op {
        BinaryOp::Add | BinaryOp::Sub => Saves::Nothing,
        BinaryOp::Div | BinaryOp::Pow => Saves::Both,
        _ => Saves::Inputs,
    };
    record(name, &[&ta, &tb], saves, forward, move |g, out, inputs| {
        let (a, b) = (&inputs[0], &inputs[1]);
        vec![
            a.requires_grad()
                .then(|| sum_to_shape(&binary_grad(op, Side::Left, g, a, b, out), a.shape())),
            b.requires_grad()
                .then(|| sum_to_shape(&binary_grad(op, Side::Right, g, a, b, out), b.shape())),
        ]
    })
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Left,
    Right,
}

/// Gradient of `out = a op b` with respect to one side, at the broadcast shape.
fn binary_grad(
    op: BinaryOp,
    side: Side,
    g: &Tensor,
    a: &Tensor,
    b: &Tensor,
    out: &Tensor,
) -> Tensor {
    let left = side == Side::Left;
    match op {
        BinaryOp::Add => g.clone(),
        BinaryOp::Sub if left => g.clone(),
        BinaryOp::Sub => -g,
        BinaryOp::Mul => g * if left { b } else { a },
        BinaryOp::Div if left => g / b,
        BinaryOp::Div => -(g * out / b),
        // d/da = b a^(b-1); d/db = a^b ln a, taken as 0 where a = 0 and b >= 0.
        BinaryOp::Pow if left => g * b * a.pow(&(b - 1.0)),
        BinaryOp::Pow => (g * out * a.log()).where_(&a.ne(0.0).logical_or(&b.lt(0.0)), 0.0),
        // The larger (smaller) side takes the gradient; ties split it, as PyTorch.
        BinaryOp::Maximum | BinaryOp::Minimum => {
            let wins = if op == BinaryOp::Maximum {
                a.gt(b)
            } else {
                a.lt(b)
            };
            let weight_a = wins.to_dtype(g.dtype()) + a.eq(b).to_dtype(g.dtype()) * 0.5;
            if left {
                g * weight_a
            } else {
                g * (1.0 - weight_a)
            }
        }
    }
}

macro_rules! binary_methods {
    ($($name:ident, $name_:ident, $name_out:ident, $op:ident, $doc:literal;)*) => {
        impl Tensor {$(
            #[doc = $doc]
            ///
            /// `other` is a tensor (broadcast against `self`) or a Rust number.
            ///
            /// # Panics
            /// If the shapes do not broadcast (the message names both shapes).
            pub fn $name(&self, other: impl Into<Rhs>) -> Tensor {
                binary(BinaryOp::$op, &Rhs::from(self), &other.into())
            }

            #[doc = concat!("In-place [`Tensor::", stringify!($name), "`]: the result is written into `self`, whose shape and dtype stay. Returns `self`.")]
            ///
            /// # Panics
            /// If `other` does not broadcast to `self`'s shape, or the result's dtype is
            /// of a higher category than `self`'s (an integer tensor cannot take a float result).
            pub fn $name_(&self, other: impl Into<Rhs>) -> &Tensor {
                self.check_inplace(stringify!($name_));
                self.assert_no_internal_overlap(stringify!($name_));
                let r = binary(BinaryOp::$op, &Rhs::from(self), &other.into());
                assert!(
                    r.dtype().category() <= self.dtype().category(),
                    concat!(stringify!($name_), ": result type {} can't be cast to the desired output type {}"),
                    r.dtype(),
                    self.dtype()
                );
                assert!(
                    broadcast_shapes(stringify!($name_), r.shape(), self.shape()) == self.shape(),
                    concat!(stringify!($name_), ": output with shape {:?} doesn't match the broadcast shape {:?}"),
                    self.shape(),
                    r.shape()
                );
                self.copy_(&r)
            }
        )*}

        $(
            #[doc = concat!("[`Tensor::", stringify!($name), "`] written into `out` (`torch.", stringify!($name), "(a, b, out=out)`): straight into `out`'s storage when it is contiguous and shares none with the operands.")]
            ///
            /// # Panics
            /// As the method, and if `out` is not empty and its shape differs from the
            /// broadcast result's, or its dtype from the result's (an empty `out` is
            /// resized, as PyTorch does).
            pub fn $name_out(a: &Tensor, b: impl Into<Rhs>, out: &mut Tensor) {
                binary_out(BinaryOp::$op, &Rhs::from(a), &b.into(), out)
            }
        )*
    };
}

binary_methods! {
    add, add_, add_out, Add, "`self + other` (`torch.add`).\n\n```\nuse tessera_core::tensor;\nlet y = tensor!([[1, 2], [3, 4]]).add(&tensor!([10, 20]));\nassert_eq!(y.to_vec::<i64>(), vec![11, 22, 13, 24]);\n```";
    sub, sub_, sub_out, Sub, "`self - other` (`torch.sub`).\n\nPanics on two bool operands, as PyTorch.";
    mul, mul_, mul_out, Mul, "`self * other` (`torch.mul`).";
    div, div_, div_out, Div, "`self / other`, true division (`torch.div`): integer inputs give a float result.\n\n```\nlet y = tessera_core::tensor!([1, 2]).div(2);\nassert_eq!(y.to_vec::<f32>(), vec![0.5, 1.0]);\n```";
    pow, pow_, pow_out, Pow, "`self ^ other` (`torch.pow`).\n\nPanics on integer tensors raised to a negative integer scalar, as PyTorch; with an integer tensor exponent, negative powers give 0 (1 and -1 keep their powers), as PyTorch.";
    maximum, maximum_, maximum_out, Maximum, "The elementwise larger (`torch.maximum`); NaN if either is NaN.";
    minimum, minimum_, minimum_out, Minimum, "The elementwise smaller (`torch.minimum`); NaN if either is NaN.";
}

impl Tensor {
    /// `self` clamped to `[min, max]` (`torch.clamp`); either bound may be `None`.
    /// NaN stays NaN. The result dtype follows promotion with the bounds (an integer
    /// tensor clamped by float bounds becomes float).
    ///
    /// ```
    /// let y = tessera_core::tensor!([-2.0, 0.5, 9.0]).clamp(Some(0.0), Some(1.0));
    /// assert_eq!(y.to_vec::<f32>(), vec![0.0, 0.5, 1.0]);
    /// ```
    ///
    /// # Panics
    /// If both bounds are `None`, as PyTorch.
    pub fn clamp(&self, min: Option<impl Into<Scalar>>, max: Option<impl Into<Scalar>>) -> Tensor {
        let (min, max) = (min.map(Into::into), max.map(Into::into));
        assert!(
            min.is_some() || max.is_some(),
            "clamp: at least one of 'min' or 'max' must not be None"
        );
        let forward = || {
            let mut r = self.clone();
            if let Some(lo) = min {
                r = clamp_bound(&r, lo, BinaryOp::Maximum);
            }
            if let Some(hi) = max {
                r = clamp_bound(&r, hi, BinaryOp::Minimum);
            }
            r
        };
        // The gradient passes where min <= x <= max, bounds included, as PyTorch.
        record(
            "clamp",
            &[self],
            Saves::Inputs,
            forward,
            move |g, _, inputs| {
                let x = &inputs[0];
                let mut inside = x.eq(x);
                if let Some(lo) = min {
                    inside = inside.logical_and(&x.ge(lo));
                }
                if let Some(hi) = max {
                    inside = inside.logical_and(&x.le(hi));
                }
                vec![Some(g.where_(&inside, 0.0))]
            },
        )
    }

    /// In-place [`Tensor::clamp`]; returns `self`.
    ///
    /// # Panics
    /// If both bounds are `None`, or a float bound is given for an integer tensor.
    pub fn clamp_(
        &self,
        min: Option<impl Into<Scalar>>,
        max: Option<impl Into<Scalar>>,
    ) -> &Tensor {
        self.assert_no_internal_overlap("clamp_");
        let r = self.clamp(min, max);
        assert!(
            r.dtype() == self.dtype(),
            "clamp_: result type {} can't be cast to the desired output type {}",
            r.dtype(),
            self.dtype()
        );
        self.copy_(&r)
    }
}

/// One side of a clamp: NaN in the tensor stays NaN, a NaN bound gives NaN. An integer
/// bound outside an integer tensor's range (casting it would wrap) changes nothing on the
/// harmless side and panics on the other, as PyTorch.
fn clamp_bound(x: &Tensor, bound: Scalar, op: BinaryOp) -> Tensor {
    if let (Scalar::Int(v), true) = (bound, x.dtype().is_int()) {
        let fits = dispatch!(x.dtype(), T => crate::Element::to_i64(<T as crate::Element>::from_i64(v)) == v);
        let is_min = op == BinaryOp::Maximum;
        if !fits && (v < 0) == is_min {
            return x.deep_clone();
        }
        assert!(
            fits,
            "clamp: {} value {v} is outside the representable range of {}",
            if is_min { "min" } else { "max" },
            x.dtype()
        );
    }
    binary(op, &Rhs::from(x), &Rhs::Scalar(bound))
}

/// [`Tensor::clamp`] written into `out` (`torch.clamp(x, min, max, out=out)`), through a
/// temporary.
///
/// # Panics
/// As [`Tensor::clamp`], and if `out` is not empty and its shape differs from the
/// result's, or its dtype from the result's (an empty `out` is resized).
pub fn clamp_out(
    x: &Tensor,
    min: Option<impl Into<Scalar>>,
    max: Option<impl Into<Scalar>>,
    out: &mut Tensor,
) {
    super::out::write_out("clamp", &[x], || x.clamp(min, max), out)
}

#[cfg(test)]
mod tests {
    use crate::{tensor, DType, Tensor};

    #[test]
    fn broadcasting_edge_cases() {
        let a = Tensor::arange(0, 6).reshape([2, 3, 1]);
        let b = tensor!([10, 20]);
        let c = a.add(&b);
        assert_eq!(c.shape(), &[2, 3, 2]);
        assert_eq!(c.to_vec::<i64>()[..4], [10, 20, 11, 21]);
        // zero-size broadcasts
        assert_eq!(
            Tensor::zeros(&[0, 1]).add(Tensor::zeros(&[1, 4])).shape(),
            &[0, 4]
        );
        // 0-dim with 0-dim
        assert_eq!(tensor!(2.0).mul(tensor!(3.0)).item::<f32>(), 6.0);
        // transposed and expanded inputs
        let m = Tensor::arange(0, 6).reshape([2, 3]);
        let s = m.t().add(m.t());
        assert_eq!(s.to_vec::<i64>(), vec![0, 6, 2, 8, 4, 10]);
        let e = tensor!([1]).expand([3]).mul(m.select(0, 1));
        assert_eq!(e.to_vec::<i64>(), vec![3, 4, 5]);
    }

    #[test]
    #[should_panic(expected = "add: shapes [2, 3] and [2] do not broadcast")]
    fn broadcast_failure_names_shapes() {
        Tensor::zeros(&[2, 3]).add(Tensor::zeros(&[2]));
    }

    #[test]
    fn promotion() {
        assert_eq!(tensor!([1, 2]).add(1.5).dtype(), DType::F32);
        assert_eq!(
            tensor!([1, 2]).to_dtype(DType::I32).add(7).dtype(),
            DType::I32
        );
        assert_eq!(
            tensor!([1.0])
                .add(tensor!([1.0], dtype = DType::F64))
                .dtype(),
            DType::F64
        );
        assert_eq!(
            tensor!([1.0]).add(tensor!(1.0, dtype = DType::F64)).dtype(),
            DType::F32
        );
        assert_eq!(tensor!([true]).add(true).dtype(), DType::Bool);
        assert_eq!(
            tensor!([true, false])
                .add(tensor!([true, true]))
                .to_vec::<bool>(),
            vec![true, true]
        );
        assert_eq!(tensor!([3]).div(tensor!([2])).to_vec::<f32>(), vec![1.5]);
        assert_eq!(tensor!([2]).pow(10).to_vec::<i64>(), vec![1024]);
        assert_eq!(tensor!([4.0]).pow(0.5).to_vec::<f32>(), vec![2.0]);
    }

    #[test]
    #[should_panic(
        expected = "sub: subtraction, the `-` operator, with two bool tensors is not supported"
    )]
    fn bool_sub_panics() {
        tensor!([true]).sub(tensor!([false]));
    }

    #[test]
    #[should_panic(expected = "pow: integers to negative integer powers are not allowed")]
    fn int_negative_pow_panics() {
        tensor!([2]).pow(-1);
    }

    #[test]
    fn nan_and_inf() {
        let x = tensor!([f32::NAN, 1.0, f32::INFINITY]);
        let m = x.maximum(tensor!([0.0, f32::NAN, 0.0])).to_vec::<f32>();
        assert!(m[0].is_nan() && m[1].is_nan() && m[2] == f32::INFINITY);
        let d = tensor!([1.0, -1.0, 0.0]).div(0.0).to_vec::<f32>();
        assert_eq!(&d[..2], &[f32::INFINITY, f32::NEG_INFINITY]);
        assert!(d[2].is_nan());
        let c = tensor!([f32::NAN, -3.0, 3.0])
            .clamp(Some(-1.0), Some(1.0))
            .to_vec::<f32>();
        assert!(c[0].is_nan());
        assert_eq!(&c[1..], &[-1.0, 1.0]);
    }

    #[test]
    fn inplace_binary_through_views() {
        let x = Tensor::zeros(&[2, 2]);
        x.select(1, 0).add_(tensor!([1.0, 2.0]));
        assert_eq!(x.to_vec::<f32>(), vec![1.0, 0.0, 2.0, 0.0]);
        let y = tensor!([1.0, 2.0]);
        y.mul_(&y); // aliasing operand
        assert_eq!(y.to_vec::<f32>(), vec![1.0, 4.0]);
    }

    #[test]
    #[should_panic(
        expected = "add_: result type torch.float32 can't be cast to the desired output type torch.int64"
    )]
    fn inplace_int_with_float_panics() {
        tensor!([1]).add_(0.5);
    }

    #[test]
    #[should_panic(expected = "add_: output with shape [1] doesn't match the broadcast shape [2]")]
    fn inplace_broadcast_growth_panics() {
        tensor!([1.0]).add_(tensor!([1.0, 2.0]));
    }

    #[test]
    fn int_pow_with_negative_tensor_exponents() {
        // Regression: torch computes these (only a negative scalar exponent is an error).
        let y = tensor!([0, 1, -1, -1, 2]).pow(tensor!([-1, -2, -3, -2, -1]));
        assert_eq!(y.to_vec::<i64>(), vec![0, 1, -1, 1, 0]);
        // bool ** bool scalar stays bool, as in torch
        let b = tensor!([true, false]).pow(false);
        assert_eq!(
            (b.dtype(), b.to_vec::<bool>()),
            (DType::Bool, vec![true, true])
        );
    }

    #[test]
    #[should_panic(
        expected = "sub: subtraction, the `-` operator, with a bool tensor is not supported"
    )]
    fn sub_with_one_bool_operand_panics() {
        tensor!([1.5]).sub(true);
    }

    #[test]
    fn clamp_int_bound_outside_dtype_range() {
        // Regression: the bound used to be cast with wrapping (-1 as u8 = 255).
        let u = tensor!([0, 7, 255], dtype = DType::U8);
        let c = u.clamp(Some(-1), Some(300));
        assert_eq!(c.to_vec::<u8>(), vec![0, 7, 255]);
        assert!(!c.shares_storage(&u));
        let i = tensor!([-128, 7, 127], dtype = DType::I8);
        assert_eq!(
            i.clamp(Some(-1), None::<i64>).to_vec::<i8>(),
            vec![-1, 7, 127]
        );
    }

    #[test]
    #[should_panic(
        expected = "clamp: max value -2 is outside the representable range of torch.uint8"
    )]
    fn clamp_int_bound_on_wrong_side_panics() {
        tensor!([1], dtype = DType::U8).clamp(None::<i64>, Some(-2));
    }

    #[test]
    fn large_strided_binary_matches_small_path() {
        let a = Tensor::arange(0, 300 * 300)
            .to_dtype(DType::F64)
            .reshape([300, 300]);
        let big = a.t().sub(&a);
        let v = big.to_vec::<f64>();
        assert_eq!(v[1], 300.0 - 1.0);
        assert_eq!(v[300], 1.0 - 300.0);
    }
}
