//! Comparisons to `Bool` tensors (`eq`, `ne`, `lt`, `le`, `gt`, `ge`), each a named type
//! implementing [`CompareOp`] defined by one `compare_op!` invocation and run by one driver
//! ([`compare`], [`compare_out`]); logical ops and `where_`.

use super::binary::{promote, zip_map, zip_map_direct, Rhs};
use super::out::{copy_into, plan, OutPlan};
use crate::autograd::{record_saving, sum_to_shape, Saves};
use crate::layout::broadcast_shapes;
use crate::{dispatch, DType, Tensor};
use std::cmp::Ordering;

/// A comparison: its name and its result for each ordering of two values (NaN, which has
/// no ordering, gives [`CompareOp::NAN`]). The result is `Bool`; operands are promoted to
/// a common dtype first and broadcast.
pub trait CompareOp: 'static {
    /// The op's name as in PyTorch (`"eq"`).
    const NAME: &'static str;
    /// The result where either value is NaN.
    const NAN: bool;
    /// The result for two ordered values.
    fn holds(o: Ordering) -> bool;
}

/// The promoted operands of a comparison and the broadcast shape.
fn compare_operands<O: CompareOp>(a: &Tensor, b: &Rhs) -> (DType, Tensor, Tensor, Vec<usize>) {
    let dtype = promote(&Rhs::from(a), b);
    let shape = broadcast_shapes(O::NAME, a.shape(), b.shape());
    (dtype, a.to_dtype(dtype), b.to_tensor(dtype), shape)
}

/// `O` on two values.
#[inline]
fn compare_values<O: CompareOp, T: PartialOrd>(x: T, y: T) -> bool {
    x.partial_cmp(&y).map_or(O::NAN, O::holds)
}

/// Runs comparison `O` (`a.eq(&b)`): a new `Bool` tensor of the broadcast shape.
///
/// # Panics
/// If the shapes do not broadcast (the message names the op and both shapes).
pub fn compare<O: CompareOp>(a: &Tensor, b: &Rhs) -> Tensor {
    let (dtype, ta, tb, _) = compare_operands::<O>(a, b);
    compare_forward::<O>(dtype, &ta, &tb)
}

/// `O` over the promoted operands, as a new `Bool` tensor.
fn compare_forward<O: CompareOp>(dtype: DType, a: &Tensor, b: &Tensor) -> Tensor {
    dispatch!(dtype, T => zip_map(O::NAME, a, b, compare_values::<O, T>))
}

/// Runs comparison `O` into a `Bool` `out` (`torch.eq(a, b, out=out)`): straight into
/// `out`'s storage when it is contiguous and shares none with the operands.
///
/// # Panics
/// As [`compare`], and as the `out=` contract (`ops::out`): a non-empty `out` of another
/// shape than the broadcast result's, or a dtype other than `Bool`.
pub fn compare_out<O: CompareOp>(a: &Tensor, b: &Rhs, out: &mut Tensor) {
    let (dtype, ta, tb, shape) = compare_operands::<O>(a, b);
    let plan = plan(O::NAME, &shape, DType::Bool, &[&ta, &tb], out);
    let _no_graph = crate::autograd::no_grad();
    match plan {
        OutPlan::Resize => *out = compare_forward::<O>(dtype, &ta, &tb),
        OutPlan::InPlace | OutPlan::Copy => copy_into(&compare_forward::<O>(dtype, &ta, &tb), out),
        OutPlan::Direct(range) => {
            dispatch!(dtype, T => zip_map_direct(O::NAME, (&ta, &tb), out, range, compare_values::<O, T>))
        }
    }
}

/// Defines one comparison: its type, its [`CompareOp`] impl, `Tensor::name` with the
/// `///` docs written above `fn`, and `name_out`.
macro_rules! compare_op {
    (
        $(#[$doc:meta])*
        fn $name:ident, $name_out:ident = $Op:ident;
        holds $pat:pat, nan $nan:expr;
    ) => {
        #[doc = concat!("The `", stringify!($name), "` comparison ([`Tensor::", stringify!($name), "`]) as a type, for the generic drivers.")]
        #[derive(Clone, Copy, Debug, Default)]
        pub struct $Op;

        impl CompareOp for $Op {
            const NAME: &'static str = stringify!($name);
            const NAN: bool = $nan;
            #[inline]
            fn holds(o: Ordering) -> bool {
                matches!(o, $pat)
            }
        }

        impl Tensor {
            $(#[$doc])*
            ///
            /// Operands are promoted to a common dtype first; the result is `Bool`.
            ///
            /// # Panics
            /// If the shapes do not broadcast.
            pub fn $name(&self, other: impl Into<Rhs>) -> Tensor {
                compare::<$Op>(self, &other.into())
            }
        }

        #[doc = concat!("[`Tensor::", stringify!($name), "`] written into a `Bool` `out` (`torch.", stringify!($name), "(a, b, out=out)`).")]
        ///
        /// # Panics
        /// As the method, and if `out` is not empty and its shape differs from the
        /// broadcast result's, or its dtype is not `Bool` (an empty `out` is resized).
        pub fn $name_out(a: &Tensor, b: impl Into<Rhs>, out: &mut Tensor) {
            compare_out::<$Op>(a, &b.into(), out)
        }
    };
}

compare_op! {
    /// `self == other` elementwise (`torch.eq`); NaN is unequal to everything.
    ///
    /// ```
    /// let m = tessera_core::tensor!([1, 2, 3]).eq(2);
    /// assert_eq!(m.to_vec::<bool>(), vec![false, true, false]);
    /// ```
    fn eq, eq_out = Equal;
    holds Ordering::Equal, nan false;
}

compare_op! {
    /// `self != other` elementwise (`torch.ne`); true where either is NaN.
    fn ne, ne_out = NotEqual;
    holds Ordering::Less | Ordering::Greater, nan true;
}

compare_op! {
    /// `self < other` elementwise (`torch.lt`).
    fn lt, lt_out = Less;
    holds Ordering::Less, nan false;
}

compare_op! {
    /// `self <= other` elementwise (`torch.le`).
    fn le, le_out = LessEqual;
    holds Ordering::Less | Ordering::Equal, nan false;
}

compare_op! {
    /// `self > other` elementwise (`torch.gt`).
    fn gt, gt_out = Greater;
    holds Ordering::Greater, nan false;
}

compare_op! {
    /// `self >= other` elementwise (`torch.ge`).
    fn ge, ge_out = GreaterEqual;
    holds Ordering::Greater | Ordering::Equal, nan false;
}

/// [`Tensor::where_`] written into `out` (`torch.where(cond, x, other, out=out)`),
/// through a temporary.
///
/// # Panics
/// As [`Tensor::where_`], and if `out` is not empty and its shape differs from the
/// result's, or its dtype from the result's (an empty `out` is resized).
pub fn where_out(x: &Tensor, cond: &Tensor, other: impl Into<Rhs>, out: &mut Tensor) {
    let other = other.into();
    let inputs: Vec<&Tensor> = match &other {
        Rhs::Tensor(t) => vec![x, t],
        Rhs::Scalar(_) => vec![x],
    };
    super::out::write_out("where", &inputs, || x.where_(cond, other.clone()), out)
}

impl Tensor {
    /// `self` where `cond` is true, else `other` (`torch.where(cond, self, other)`),
    /// with broadcasting of all three and promotion of `self` and `other`.
    ///
    /// ```
    /// use tessera_core::tensor;
    /// let x = tensor!([1.0, -2.0, 3.0]);
    /// let y = x.where_(&x.gt(0.0), 0.0);
    /// assert_eq!(y.to_vec::<f32>(), vec![1.0, 0.0, 3.0]);
    /// ```
    ///
    /// # Panics
    /// If `cond` is not a `Bool` tensor or the shapes do not broadcast.
    pub fn where_(&self, cond: &Tensor, other: impl Into<Rhs>) -> Tensor {
        assert_eq!(
            cond.dtype(),
            DType::Bool,
            "where: expected condition to be a boolean tensor, but got a tensor with dtype {}",
            cond.dtype()
        );
        let other = other.into();
        let me = Rhs::from(self);
        let dtype = promote(&me, &other);
        let a = self.to_dtype(dtype);
        let b = other.to_tensor(dtype);
        let shape = broadcast_shapes(
            "where",
            &broadcast_shapes("where", cond.shape(), a.shape()),
            b.shape(),
        );
        let forward = || {
            let (c, a, b) = (
                cond.expand(&shape[..]),
                a.expand(&shape[..]),
                b.expand(&shape[..]),
            );
            dispatch!(dtype, T => {
                if b.numel() == 1 && cond.shape() == &shape[..] && a.shape() == &shape[..] {
                    // One `other` value (ReLU's backward): no broadcast copies.
                    let y = b.to_vec::<T>()[0];
                    let v: Vec<T> = a.with_contiguous(|av: &[T]| {
                        cond.with_contiguous(|cv: &[bool]| {
                            cv.iter().zip(av).map(|(&k, &x)| if k { x } else { y }).collect()
                        })
                    });
                    return Tensor::from_vec(v, &shape);
                }
                let av = a.to_vec::<T>();
                let bv = b.to_vec::<T>();
                let cv = c.to_vec::<bool>();
                let v: Vec<T> = cv.iter().zip(av.iter().zip(&bv)).map(|(&k, (&x, &y))| if k { x } else { y }).collect();
                Tensor::from_vec(v, &shape)
            })
        };
        let mask = cond.clone();
        record_saving(
            "where",
            &[&a, &b],
            Saves::Nothing,
            &[cond],
            forward,
            move |g, _, inputs| {
                let zero = g.zeros_like();
                vec![
                    Some(sum_to_shape(&g.where_(&mask, 0.0), inputs[0].shape())),
                    Some(sum_to_shape(&zero.where_(&mask, g), inputs[1].shape())),
                ]
            },
        )
    }

    /// Elementwise logical not (`torch.logical_not`): `Bool` result, true where zero.
    pub fn logical_not(&self) -> Tensor {
        self.eq(0)
    }

    /// Elementwise logical and (`torch.logical_and`): `Bool` result.
    ///
    /// # Panics
    /// If the shapes do not broadcast.
    pub fn logical_and(&self, other: &Tensor) -> Tensor {
        let (a, b) = (self.to_dtype(DType::Bool), other.to_dtype(DType::Bool));
        zip_map("logical_and", &a, &b, |x: bool, y: bool| x && y)
    }

    /// Elementwise logical or (`torch.logical_or`): `Bool` result.
    ///
    /// # Panics
    /// If the shapes do not broadcast.
    pub fn logical_or(&self, other: &Tensor) -> Tensor {
        let (a, b) = (self.to_dtype(DType::Bool), other.to_dtype(DType::Bool));
        zip_map("logical_or", &a, &b, |x: bool, y: bool| x || y)
    }

    /// Where elements are NaN (`torch.isnan`): `Bool` result.
    pub fn isnan(&self) -> Tensor {
        self.ne(self)
    }

    /// Where elements are finite (`torch.isfinite`): `Bool` result.
    pub fn isfinite(&self) -> Tensor {
        if !self.dtype().is_float() {
            return Tensor::full_dtype(self.shape(), true, DType::Bool);
        }
        self.abs().lt(f64::INFINITY)
    }
}

#[cfg(test)]
mod tests {
    use crate::{tensor, DType, Tensor};

    #[test]
    fn comparisons_promote_and_handle_nan() {
        let x = tensor!([1.0, f32::NAN, 3.0]);
        assert_eq!(x.eq(&x).to_vec::<bool>(), vec![true, false, true]);
        assert_eq!(x.ne(&x).to_vec::<bool>(), vec![false, true, false]);
        assert_eq!(x.ge(1).to_vec::<bool>(), vec![true, false, true]);
        assert_eq!(tensor!([1, 2]).lt(1.5).to_vec::<bool>(), vec![true, false]);
        assert_eq!(tensor!([1, 2]).le(tensor!([[1], [0]])).shape(), &[2, 2]);
        assert_eq!(x.isnan().to_vec::<bool>(), vec![false, true, false]);
        assert_eq!(
            tensor!([f32::INFINITY, 1.0]).isfinite().to_vec::<bool>(),
            vec![false, true]
        );
    }

    #[test]
    fn out_forms_write_bool_into_out() {
        let x = tensor!([[1.0, f32::NAN], [3.0, 0.5]]);
        let mut out = Tensor::zeros_dtype(&[2, 2], DType::Bool);
        super::lt_out(&x, 2, &mut out);
        assert_eq!(out.to_vec::<bool>(), vec![true, false, false, true]);
        // a strided out, through a temporary; NaN is unequal
        let base = Tensor::zeros_dtype(&[2, 2], DType::Bool);
        let mut col = base.t();
        super::ne_out(&x, x.t().t(), &mut col);
        assert_eq!(base.to_vec::<bool>(), vec![false, false, true, false]);
        // an empty out is resized
        let mut empty = Tensor::zeros_dtype(&[0], DType::Bool);
        super::ge_out(&tensor!([1, 2, 3]), 2, &mut empty);
        assert_eq!(empty.to_vec::<bool>(), vec![false, true, true]);
    }

    #[test]
    #[should_panic(
        expected = "eq_out: out has dtype torch.float32 but the result has dtype torch.bool"
    )]
    fn out_must_be_bool() {
        super::eq_out(&tensor!([1.0]), 1.0, &mut Tensor::zeros(&[1]));
    }

    #[test]
    fn where_broadcasts_and_promotes() {
        let c = tensor!([[true], [false]]);
        let y = tensor!([1, 2]).where_(&c, 0.5);
        assert_eq!(y.dtype(), DType::F32);
        assert_eq!(y.to_vec::<f32>(), vec![1.0, 2.0, 0.5, 0.5]);
        assert_eq!(
            Tensor::zeros(&[0])
                .where_(&tensor!([true]).expand([0]), 1.0)
                .numel(),
            0
        );
    }

    #[test]
    #[should_panic(
        expected = "where: expected condition to be a boolean tensor, but got a tensor with dtype torch.int64"
    )]
    fn where_needs_bool() {
        tensor!([1]).where_(&tensor!([1]), 0);
    }
}
