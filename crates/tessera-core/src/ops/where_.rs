//! `where_` (`torch.where(cond, x, other)`): a ternary select with broadcasting of all
//! three operands, in the allocating and `out=` forms. One loop (`select_into`) serves
//! both; the `out=` form writes straight into `out` when the contract allows it
//! (`ops::out`).

use super::binary::{promote, Rhs};
use super::out::{copy_into, plan, OutPlan};
use crate::autograd::{record_saving, sum_to_shape, Saves};
use crate::layout::broadcast_shapes;
use crate::runtime::pool::{chunk_len, par_chunks_indexed};
use crate::runtime::Output;
use crate::storage::StorageElement;
use crate::{dispatch, DType, Tensor};

/// The checked operands of `where`: the result dtype, `cond`, `x` and `other` as tensors
/// (the last two of the result dtype), and the broadcast shape.
///
/// # Panics
/// As [`Tensor::where_`].
fn operands(x: &Tensor, cond: &Tensor, other: &Rhs) -> (DType, Tensor, Tensor, Vec<usize>) {
    assert_eq!(
        cond.dtype(),
        DType::Bool,
        "where: expected condition to be a boolean tensor, but got a tensor with dtype {}",
        cond.dtype()
    );
    let dtype = promote(&Rhs::from(x), other);
    let (a, b) = (x.to_dtype(dtype), other.to_tensor(dtype));
    let shape = broadcast_shapes(
        "where",
        &broadcast_shapes("where", cond.shape(), a.shape()),
        b.shape(),
    );
    (dtype, a, b, shape)
}

/// The operands expanded to `shape` and made contiguous (a no-op for the common case
/// of contiguous operands of the result's shape); a single value (`x.where_(&m, 0.0)`,
/// ReLU's backward) stays one element instead of being copied out to `shape`.
fn contiguous_at(shape: &[usize], [cond, a, b]: [&Tensor; 3]) -> [Tensor; 3] {
    let value_or_full = |t: &Tensor| {
        if t.numel() == 1 {
            t.reshape([1]).contiguous()
        } else {
            t.expand(shape).contiguous()
        }
    };
    [
        cond.expand(shape).contiguous(),
        value_or_full(a),
        value_or_full(b),
    ]
}

/// `out[i] = if c[i] { a[i] } else { b[i] }`, split across the pool when long; `a` or
/// `b` of one element stands for that value everywhere.
fn select_into<T: StorageElement>(c: &[bool], a: &[T], b: &[T], out: &mut [T]) {
    /// Both values are read before the choice, so the loop is a branch-free blend the
    /// compiler vectorizes (a branch per element mispredicts on data like ReLU's mask).
    #[inline(always)]
    fn run<T: Copy>(c: &[bool], a: impl Fn(usize) -> T, b: impl Fn(usize) -> T, o: &mut [T]) {
        let c = &c[..o.len()];
        for (i, o) in o.iter_mut().enumerate() {
            let (x, y) = (a(i), b(i));
            *o = if c[i] { x } else { y };
        }
    }
    let one = |s: &[T]| s.len() == 1 && out.len() != 1;
    let (a_one, b_one) = (one(a), one(b));
    par_chunks_indexed(out, chunk_len(out.len()), |start, o| {
        let r = start..start + o.len();
        let c = &c[r.clone()];
        match (a_one, b_one) {
            (false, false) => {
                let (a, b) = (&a[r.clone()], &b[r]);
                run(c, |i| a[i], |i| b[i], o)
            }
            (false, true) => {
                let (a, b) = (&a[r], b[0]);
                run(c, |i| a[i], |_| b, o)
            }
            (true, false) => {
                let (a, b) = (a[0], &b[r]);
                run(c, |_| a, |i| b[i], o)
            }
            (true, true) => run(c, |_| a[0], |_| b[0], o),
        }
    });
}

/// The forward of `where` as a new contiguous tensor of `shape`.
fn forward<T: StorageElement>(shape: &[usize], cond: &Tensor, a: &Tensor, b: &Tensor) -> Tensor {
    let [c, a, b] = contiguous_at(shape, [cond, a, b]);
    // `select_into` writes every element: a reused buffer is safe.
    let mut out = Output::<T>::for_overwrite("where", c.numel());
    c.with_contiguous(|cv: &[bool]| {
        a.with_contiguous(|av: &[T]| {
            b.with_contiguous(|bv: &[T]| select_into(cv, av, bv, out.as_mut_slice()))
        })
    });
    out.into_tensor(shape)
}

/// [`Tensor::where_`] written into `out` (`torch.where(cond, x, other, out=out)`):
/// straight into `out`'s storage when it is contiguous and shares none with the operands.
///
/// ```
/// use tessera_core::{ops::where_out, tensor, Tensor};
/// let x = tensor!([1.0, -2.0, 3.0]);
/// let mut out = Tensor::zeros(&[3]);
/// where_out(&x, &x.gt(0.0), 0.0, &mut out);
/// assert_eq!(out.to_vec::<f32>(), [1.0, 0.0, 3.0]);
/// ```
///
/// # Panics
/// As [`Tensor::where_`], and if `out` is not empty and its shape differs from the
/// result's, or its dtype from the result's (an empty `out` is resized); if an operand or
/// `out` requires grad while grad mode is on.
pub fn where_out(x: &Tensor, cond: &Tensor, other: impl Into<Rhs>, out: &mut Tensor) {
    let (dtype, a, b, shape) = operands(x, cond, &other.into());
    let plan = plan("where", &shape, dtype, &[cond, &a, &b], out);
    let _no_graph = crate::autograd::no_grad();
    match plan {
        OutPlan::Resize => *out = dispatch!(dtype, T => forward::<T>(&shape, cond, &a, &b)),
        OutPlan::InPlace | OutPlan::Copy => copy_into(
            &dispatch!(dtype, T => forward::<T>(&shape, cond, &a, &b)),
            out,
        ),
        OutPlan::Direct(range) => {
            let [c, a, b] = contiguous_at(&shape, [cond, &a, &b]);
            let (reads, mut write) = crate::storage::lock_for_out(
                "where_out",
                &[
                    c.storage().as_ref(),
                    a.storage().as_ref(),
                    b.storage().as_ref(),
                ],
                out.storage().as_ref(),
            );
            let range_of = |t: &Tensor| t.layout().contiguous_range().expect("made contiguous");
            let cv = &bool::slice(&reads[0]).expect("Bool checked")[range_of(&c)];
            dispatch!(dtype, T => {
                let av = &T::slice(&reads[1]).expect("dtype checked")[range_of(&a)];
                let bv = &T::slice(&reads[2]).expect("dtype checked")[range_of(&b)];
                let dst = &mut write.slice_mut::<T>().expect("dtype checked by the plan")[range.clone()];
                select_into(cv, av, bv, dst)
            })
        }
    }
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
        let (dtype, a, b, shape) = operands(self, cond, &other.into());
        let mask = cond.clone();
        record_saving(
            "where",
            &[&a, &b],
            Saves::Nothing,
            &[cond],
            || dispatch!(dtype, T => forward::<T>(&shape, cond, &a, &b)),
            move |g, _, inputs| {
                let zero = g.zeros_like();
                vec![
                    Some(sum_to_shape(&g.where_(&mask, 0.0), inputs[0].shape())),
                    Some(sum_to_shape(&zero.where_(&mask, g), inputs[1].shape())),
                ]
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::where_out;
    use crate::autograd::no_grad;
    use crate::{tensor, DType, Tensor};

    #[test]
    fn broadcast_promote_strided() {
        let x = tensor!([[1, -2], [3, -4]]);
        let y = x.t().where_(&tensor!([true, false]), 0.5);
        assert_eq!(y.dtype(), DType::F32);
        assert_eq!(y.to_vec::<f32>(), [1.0, 0.5, -2.0, 0.5]);
        let big = Tensor::arange(0.0, 100_000.0).to_dtype(DType::F64);
        let r = big.where_(&big.lt(50_000.0), -1.0).sum().item::<f64>();
        assert_eq!(r, (0..50_000).sum::<i64>() as f64 - 50_000.0);
    }

    #[test]
    fn out_direct_strided_aliased_and_empty() {
        let _g = no_grad();
        let x = tensor!([1.0, -2.0, 3.0, -4.0]);
        let c = x.gt(0.0);
        // Bool operands, a one-element condition and a one-element tensor operand.
        let t = tensor!([true, false, true]);
        assert_eq!(
            t.where_(&tensor!([true]), false).to_vec::<bool>(),
            [true, false, true]
        );
        assert_eq!(
            tensor!([1, 2])
                .where_(&tensor!([false, true]), tensor!([7]))
                .to_vec::<i64>(),
            [7, 2]
        );
        // Direct, into a contiguous slice of a larger storage.
        let base = Tensor::full(&[6], 9.0);
        let mut out = base.narrow(0, 1, 4);
        where_out(&x, &c, 0.0, &mut out);
        assert_eq!(base.to_vec::<f32>(), [9.0, 1.0, 0.0, 3.0, 0.0, 9.0]);
        // Non-contiguous out: through a temporary, same values.
        let m = Tensor::zeros(&[2, 2]);
        let mut mt = m.t();
        where_out(&x.reshape([2, 2]), &c.reshape([2, 2]), 0.0, &mut mt);
        assert_eq!(m.to_vec::<f32>(), [1.0, 3.0, 0.0, 0.0]);
        // out aliasing an input.
        let mut alias = x.clone();
        where_out(&x, &c, x.neg(), &mut alias);
        assert_eq!(x.to_vec::<f32>(), [1.0, 2.0, 3.0, 4.0]);
        // Empty out is resized.
        let mut e = Tensor::zeros(&[0]);
        where_out(&x, &c, 0.0, &mut e);
        assert_eq!(e.shape(), &[4]);
    }

    #[test]
    #[should_panic(expected = "where_out: out has shape [3] but the result has shape [4]")]
    fn out_wrong_shape_panics() {
        let x = tensor!([1.0, -2.0, 3.0, -4.0]);
        where_out(&x, &x.gt(0.0), 0.0, &mut Tensor::zeros(&[3]));
    }

    #[test]
    #[should_panic(expected = "where: expected condition to be a boolean tensor")]
    fn non_bool_condition_panics() {
        tensor!([1.0]).where_(&tensor!([1]), 0.0);
    }
}
