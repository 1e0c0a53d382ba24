//! Comparisons to `Bool` tensors (`eq`, `ne`, `lt`, `le`, `gt`, `ge`), logical ops
//! and `where_`.

use super::binary::{promote, zip_map, Rhs};
use crate::autograd::{record_saving, sum_to_shape, Saves};
use crate::layout::broadcast_shapes;
use crate::{dispatch, DType, Tensor};

fn compare(op: &str, a: &Tensor, b: Rhs, f: fn(std::cmp::Ordering) -> bool, nan: bool) -> Tensor {
    let dtype = promote(&Rhs::from(a), &b);
    let (ta, tb) = (a.to_dtype(dtype), b.to_tensor(dtype));
    dispatch!(dtype, T => zip_map(op, &ta, &tb, |x: T, y: T| match x.partial_cmp(&y) {
        Some(o) => f(o),
        None => nan,
    }))
}

macro_rules! comparisons {
    ($($name:ident, $pat:pat, $nan:expr, $doc:literal;)*) => {
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

impl Tensor {$(
            #[doc = $doc]
            ///
            /// Operands are promoted to a common dtype first; the result is `Bool`.
            ///
            /// # Panics
            /// If the shapes do not broadcast.
            pub fn $name(&self, other: impl Into<Rhs>) -> Tensor {
                compare(stringify!($name), self, other.into(), |o| matches!(o, $pat), $nan)
            }
        )*}
    };
}

comparisons! {
    eq, std::cmp::Ordering::Equal, false, "`self == other` elementwise (`torch.eq`); NaN is unequal to everything.\n\n```\nlet m = tessera_core::tensor!([1, 2, 3]).eq(2);\nassert_eq!(m.to_vec::<bool>(), vec![false, true, false]);\n```";
    ne, std::cmp::Ordering::Less | std::cmp::Ordering::Greater, true, "`self != other` elementwise (`torch.ne`); true where either is NaN.";
    lt, std::cmp::Ordering::Less, false, "`self < other` elementwise (`torch.lt`).";
    le, std::cmp::Ordering::Less | std::cmp::Ordering::Equal, false, "`self <= other` elementwise (`torch.le`).";
    gt, std::cmp::Ordering::Greater, false, "`self > other` elementwise (`torch.gt`).";
    ge, std::cmp::Ordering::Greater | std::cmp::Ordering::Equal, false, "`self >= other` elementwise (`torch.ge`).";
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
