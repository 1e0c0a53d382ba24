//! `argmax`, `argmin` (reductions to indices, [`ArgMax`] and [`ArgMin`]) and the `max`,
//! `min` forms built on them and on `amax`/`amin`.

use super::ops::check_nonempty;
use super::{reduce, ReduceOp, Reduced};
use crate::autograd::Saves;
use crate::layout::normalize_dim;
use crate::{DType, Element, Tensor};

/// `argmax` as a reduction: the index of the first largest element of each row, the
/// first NaN winning, as `I64`.
#[derive(Clone, Copy, Debug, Default)]
pub struct ArgMax;

/// `argmin` as a reduction: the index of the first smallest element of each row.
#[derive(Clone, Copy, Debug, Default)]
pub struct ArgMin;

macro_rules! arg_reduction {
    ($Op:ident, $name:literal, $largest:literal) => {
        impl ReduceOp for $Op {
            const NAME: &'static str = $name;
            const SAVES: Saves = Saves::Nothing;
            fn out_dtype(_: DType) -> DType {
                DType::I64
            }
            fn check(x: &Tensor, dims: &[usize]) {
                check_nonempty($name, x, dims)
            }
            #[inline]
            fn row<T: Element>(r: &[T]) -> Reduced<T> {
                Reduced::Int(arg_extreme_row(r, $largest))
            }
            fn backward(
                _: &Tensor,
                _: &Tensor,
                _: &Tensor,
                _: &[usize],
                _: bool,
            ) -> Option<Tensor> {
                None
            }
        }
    };
}
arg_reduction!(ArgMax, "argmax", true);
arg_reduction!(ArgMin, "argmin", false);

/// Index of the first largest (or smallest) element; the first NaN wins.
fn arg_extreme_row<T: Element>(r: &[T], largest: bool) -> i64 {
    let mut best = 0usize;
    for (i, v) in r.iter().enumerate().skip(1) {
        let b = r[best];
        #[allow(clippy::eq_op)]
        if b != b {
            break; // NaN already found
        }
        #[allow(clippy::eq_op)]
        let better = v != v || if largest { *v > b } else { *v < b };
        if better {
            best = i;
        }
    }
    best as i64
}

impl Tensor {
    /// The largest element as a 0-dim tensor (`x.max()`); NaN if any element is NaN.
    /// Its gradient is shared evenly among ties, as PyTorch's.
    ///
    /// # Panics
    /// If the tensor is empty, as PyTorch.
    pub fn max(&self) -> Tensor {
        assert_nonempty("max", self);
        self.amax()
    }

    /// The smallest element as a 0-dim tensor (`x.min()`); NaN if any element is NaN.
    ///
    /// # Panics
    /// If the tensor is empty.
    pub fn min(&self) -> Tensor {
        assert_nonempty("min", self);
        self.amin()
    }

    /// Largest values over `dim` and their indices (`x.max(dim, keepdim)`), the
    /// first occurrence on ties; NaN wins.
    ///
    /// ```
    /// let (v, i) = tessera_core::tensor!([[1, 5], [7, 2]]).max_dim(-1, false);
    /// assert_eq!((v.to_vec::<i64>(), i.to_vec::<i64>()), (vec![5, 7], vec![1, 0]));
    /// ```
    ///
    /// # Panics
    /// If `dim` is out of range or has size 0.
    pub fn max_dim(&self, dim: isize, keepdim: bool) -> (Tensor, Tensor) {
        self.extreme_dim::<ArgMax>(dim, keepdim)
    }

    /// Smallest values over `dim` and their indices (`x.min(dim, keepdim)`).
    ///
    /// # Panics
    /// If `dim` is out of range or has size 0.
    pub fn min_dim(&self, dim: isize, keepdim: bool) -> (Tensor, Tensor) {
        self.extreme_dim::<ArgMin>(dim, keepdim)
    }

    /// Values (gathered, so the gradient flows to the chosen element) and indices.
    fn extreme_dim<O: ReduceOp>(&self, dim: isize, keepdim: bool) -> (Tensor, Tensor) {
        let idx = reduce::<O>(self, &[dim], true);
        if self.dim() == 0 {
            return (self.contiguous(), idx);
        }
        let d = normalize_dim(O::NAME, dim, self.dim()) as isize;
        let values = self.gather(d, &idx);
        if keepdim {
            (values, idx)
        } else {
            (values.squeeze_dim(d), idx.squeeze_dim(d))
        }
    }

    /// Flat index of the largest element (`x.argmax()`), an `I64` 0-dim tensor; the
    /// first occurrence on ties, and the first NaN if there is one.
    ///
    /// # Panics
    /// If the tensor is empty.
    pub fn argmax(&self) -> Tensor {
        assert_nonempty("argmax", self);
        reduce::<ArgMax>(self, &[], false)
    }

    /// Flat index of the smallest element (`x.argmin()`).
    ///
    /// # Panics
    /// If the tensor is empty.
    pub fn argmin(&self) -> Tensor {
        assert_nonempty("argmin", self);
        reduce::<ArgMin>(self, &[], false)
    }

    /// Indices of the largest values over `dim` (`x.argmax(dim, keepdim)`).
    ///
    /// # Panics
    /// If `dim` is out of range or has size 0.
    pub fn argmax_dim(&self, dim: isize, keepdim: bool) -> Tensor {
        reduce::<ArgMax>(self, &[dim], keepdim)
    }

    /// Indices of the smallest values over `dim` (`x.argmin(dim, keepdim)`).
    ///
    /// # Panics
    /// If `dim` is out of range or has size 0.
    pub fn argmin_dim(&self, dim: isize, keepdim: bool) -> Tensor {
        reduce::<ArgMin>(self, &[dim], keepdim)
    }
}

/// PyTorch's message for `max()`/`min()` of an empty tensor.
fn assert_nonempty(op: &str, x: &Tensor) {
    assert!(
        x.numel() > 0,
        "{op}(): Expected reduction dim to be specified for input.numel() == 0. Specify the reduction dim with the 'dim' argument."
    );
}
