//! Reading and writing elements, dtype conversion, copies.

use super::Tensor;
use crate::autograd::{record, Saves};
use crate::storage::StorageElement;
use crate::{dispatch, DType, Element, Scalar};

impl Tensor {
    /// The elements in row-major order (`x.flatten().tolist()`).
    ///
    /// ```
    /// let x = tessera_core::tensor!([[1, 2], [3, 4]]);
    /// assert_eq!(x.t().to_vec::<i64>(), vec![1, 3, 2, 4]);
    /// ```
    ///
    /// # Panics
    /// If `T` is not the tensor's dtype (use [`Tensor::to_dtype`] first).
    pub fn to_vec<T: StorageElement>(&self) -> Vec<T> {
        self.expect_dtype::<T>("to_vec");
        self.with_contiguous(|s: &[T]| s.to_vec())
    }

    /// The value of a one-element tensor (`x.item()`), cast to `T`.
    ///
    /// ```
    /// assert_eq!(tessera_core::tensor!([2.5]).item::<f64>(), 2.5);
    /// ```
    ///
    /// # Panics
    /// If the tensor does not have exactly one element.
    pub fn item<T: Element>(&self) -> T {
        assert_eq!(
            self.numel(),
            1,
            "item: a Tensor with {} elements (shape {:?}) cannot be converted to a scalar",
            self.numel(),
            self.shape()
        );
        let at = self.layout().offset();
        let data = self.storage().read_for("item");
        dispatch!(self.dtype(), S => T::cast_from(S::slice(&data).unwrap()[at]))
    }

    /// The element at `index` (negative entries count from the end), cast to `T`:
    /// `x[i, j].item()`.
    ///
    /// ```
    /// let x = tessera_core::tensor!([[1.0, 2.0], [3.0, 4.0]]);
    /// assert_eq!(x.get::<f32>(&[1, -1]), 4.0);
    /// ```
    ///
    /// # Panics
    /// If the index has the wrong length or is out of bounds.
    pub fn get<T: Element>(&self, index: &[isize]) -> T {
        let at = self.layout().index_of("get", index);
        let data = self.storage().read_for("get");
        dispatch!(self.dtype(), S => T::cast_from(S::slice(&data).unwrap()[at]))
    }

    /// Writes one element in place (`x[i, j] = v`), casting `v` to the tensor's dtype.
    /// Seen through every view of the storage.
    ///
    /// ```
    /// let y = tessera_core::Tensor::zeros(&[3]);
    /// y.set(&[1], 5.0);
    /// assert_eq!(y.to_vec::<f32>(), vec![0.0, 5.0, 0.0]);
    /// ```
    ///
    /// # Panics
    /// If the index has the wrong length or is out of bounds.
    pub fn set(&self, index: &[isize], v: impl Into<Scalar>) {
        let at = self.layout().index_of("set", index);
        self.check_inplace("set");
        let v = v.into();
        let mut data = self.storage().write_for("set");
        dispatch!(self.dtype(), S => data.slice_mut::<S>().unwrap()[at] = v.to_element::<S>())
    }

    /// A copy converted to `dtype` (`x.to(dtype)`); the same handle when the dtype
    /// already matches, as PyTorch returns `self`.
    ///
    /// Floats to integers truncate toward zero; anything to `Bool` is "not zero".
    pub fn to_dtype(&self, dtype: DType) -> Tensor {
        if dtype == self.dtype() {
            return self.clone();
        }
        let forward = || {
            dispatch!(self.dtype(), S => self.with_contiguous(|src: &[S]| {
                dispatch!(dtype, D => {
                    let v: Vec<D> = src.iter().map(|&x| D::cast_from(x)).collect();
                    Tensor::from_vec(v, self.shape())
                })
            }))
        };
        record("to", &[self], Saves::Nothing, forward, |g, _, inputs| {
            vec![Some(g.to_dtype(inputs[0].dtype()))]
        })
    }

    /// A contiguous tensor with the same values: `self` if already contiguous, else a copy.
    pub fn contiguous(&self) -> Tensor {
        if self.is_contiguous() {
            return self.clone();
        }
        self.deep_clone()
    }

    /// A contiguous copy that shares nothing with `self` (`x.clone()` in PyTorch;
    /// [`Clone::clone`] only copies the handle).
    pub fn deep_clone(&self) -> Tensor {
        let forward = || dispatch!(self.dtype(), S => Tensor::from_vec(self.with_contiguous(|s: &[S]| s.to_vec()), self.shape()));
        record("clone", &[self], Saves::Nothing, forward, |g, _, _| {
            vec![Some(g.clone())]
        })
    }

    /// Copies `src` into `self` in place (`x.copy_(src)`), broadcasting `src` to
    /// `self`'s shape and casting to `self`'s dtype. Returns `self`.
    ///
    /// # Panics
    /// If `src` does not broadcast to `self`'s shape.
    pub fn copy_(&self, src: &Tensor) -> &Tensor {
        self.check_inplace("copy_");
        self.assert_no_internal_overlap("copy_");
        let src = src.expand(self.shape()).to_dtype(self.dtype());
        dispatch!(self.dtype(), S => {
            // Gather first: `src` may be a view of `self`'s own storage.
            let values = src.with_contiguous(|s: &[S]| s.to_vec());
            self.write_values(&values);
        });
        self
    }

    /// Panics if several elements of `self` are one storage element (a dim of size > 1
    /// with stride 0, as after `expand`): an in-place op writing there would keep only
    /// one of its results. PyTorch refuses the same writes; `fill_` is allowed.
    pub(crate) fn assert_no_internal_overlap(&self, op: impl std::fmt::Display) {
        let overlap = self
            .shape()
            .iter()
            .zip(self.strides())
            .any(|(&n, &s)| n > 1 && s == 0);
        assert!(
            !overlap,
            "{op}: unsupported operation: more than one element of the written-to tensor refers to a single memory location (shape {:?}, strides {:?}); clone the tensor first",
            self.shape(),
            self.strides()
        );
    }

    /// Fills every element with `v` in place (`x.fill_(v)`). Returns `self`.
    pub fn fill_(&self, v: impl Into<Scalar>) -> &Tensor {
        let v = v.into();
        dispatch!(self.dtype(), S => {
            let x = v.to_element::<S>();
            self.modify::<S>("fill_", |s| s.fill(x));
        });
        self
    }
}

#[cfg(test)]
mod tests {
    use crate::{tensor, DType, Tensor};

    #[test]
    fn to_dtype_casts_like_torch() {
        let x = tensor!([-1.5, 0.0, 2.7]);
        assert_eq!(x.to_dtype(DType::I64).to_vec::<i64>(), vec![-1, 0, 2]);
        assert_eq!(
            x.to_dtype(DType::Bool).to_vec::<bool>(),
            vec![true, false, true]
        );
        assert!(x.to_dtype(DType::F32).shares_storage(&x));
    }

    #[test]
    #[should_panic(
        expected = "to_vec: the tensor has dtype torch.float32 but torch.int64 was asked for"
    )]
    fn to_vec_wrong_dtype_panics() {
        tensor!([1.0]).to_vec::<i64>();
    }

    #[test]
    #[should_panic(expected = "get: index 2 is out of bounds for dimension 0 with size 2")]
    fn get_out_of_bounds_panics() {
        tensor!([1.0, 2.0]).get::<f32>(&[2]);
    }

    #[test]
    #[should_panic(expected = "item: a Tensor with 2 elements")]
    fn item_needs_one_element() {
        tensor!([1.0, 2.0]).item::<f32>();
    }

    #[test]
    fn set_through_view_is_seen() {
        let x = Tensor::zeros(&[2, 3]);
        let row = x.select(0, 1);
        row.set(&[-1], 7);
        assert_eq!(x.get::<f32>(&[1, 2]), 7.0);
    }

    #[test]
    fn copy_broadcasts_and_casts() {
        let x = Tensor::zeros(&[2, 2]);
        x.copy_(&tensor!([1, 2]));
        assert_eq!(x.to_vec::<f32>(), vec![1.0, 2.0, 1.0, 2.0]);
        // copy from an overlapping view of itself
        let y = tensor!([1.0, 2.0, 3.0]);
        y.narrow(0, 0, 2).copy_(&y.narrow(0, 1, 2));
        assert_eq!(y.to_vec::<f32>(), vec![2.0, 3.0, 3.0]);
    }
}
