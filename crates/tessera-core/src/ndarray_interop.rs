//! Conversions between [`Tensor`] and [`ndarray`] arrays.
//!
//! `Tensor::from(array)` takes an owned array of any dimensionality (or `&array`
//! for views and borrowed arrays) and [`Tensor::to_ndarray`] returns an
//! [`ndarray::ArrayD`]. Both copy the elements in logical (row-major) order, so
//! transposed, sliced or negatively strided arrays and non-contiguous tensor views
//! convert to the values they show.

use crate::storage::StorageElement;
use crate::Tensor;
use ndarray::{Array, ArrayBase, ArrayD, Data, Dimension, IxDyn};

impl<T: StorageElement, D: Dimension> From<Array<T, D>> for Tensor {
    /// A contiguous tensor with the array's shape and elements in logical order.
    /// A standard-layout array gives up its buffer without a copy.
    ///
    /// ```
    /// use ndarray::array;
    /// use tessera_core::Tensor;
    /// let a = array![[1.0f64, 2.0, 3.0], [4.0, 5.0, 6.0]];
    /// let t = Tensor::from(a.reversed_axes()); // a transposed (Fortran-order) array
    /// assert_eq!(t.shape(), &[3, 2]);
    /// assert_eq!(t.to_vec::<f64>(), vec![1.0, 4.0, 2.0, 5.0, 3.0, 6.0]);
    /// ```
    fn from(a: Array<T, D>) -> Tensor {
        let shape = a.shape().to_vec();
        let n = a.len();
        let values = if a.is_standard_layout() {
            // Row-major and gap-free from the logical first element, which may sit
            // past the start of the buffer after in-place slicing.
            let (mut v, offset) = a.into_raw_vec_and_offset();
            let offset = offset.unwrap_or(0);
            if offset == 0 && v.len() == n {
                v
            } else {
                v.truncate(offset + n);
                v.split_off(offset)
            }
        } else {
            a.iter().copied().collect()
        };
        Tensor::from_vec(values, &shape)
    }
}

impl<T, S, D> From<&ArrayBase<S, D>> for Tensor
where
    T: StorageElement,
    S: Data<Elem = T>,
    D: Dimension,
{
    /// A contiguous tensor copied from an array or view, in logical order.
    ///
    /// ```
    /// use ndarray::{array, s};
    /// use tessera_core::Tensor;
    /// let a = array![[1i32, 2, 3], [4, 5, 6]];
    /// let t = Tensor::from(&a.slice(s![.., ..;-2])); // a strided, reversed view
    /// assert_eq!(t.shape(), &[2, 2]);
    /// assert_eq!(t.to_vec::<i32>(), vec![3, 1, 6, 4]);
    /// ```
    fn from(a: &ArrayBase<S, D>) -> Tensor {
        let shape = a.shape().to_vec();
        let values: Vec<T> = match a.as_slice() {
            Some(s) => s.to_vec(),
            None => a.iter().copied().collect(),
        };
        Tensor::from_vec(values, &shape)
    }
}

impl Tensor {
    /// The elements as an [`ndarray::ArrayD`] of the same shape, in logical order
    /// (a copy; non-contiguous views give their logical values).
    ///
    /// ```
    /// use tessera_core::tensor;
    /// let x = tensor!([[1, 2, 3], [4, 5, 6]]);
    /// let a = x.t().to_ndarray::<i64>();
    /// assert_eq!(a.shape(), &[3, 2]);
    /// assert_eq!(a[[2, 0]], 3);
    /// ```
    ///
    /// # Panics
    /// If `T` is not the tensor's dtype (convert with [`Tensor::to_dtype`] first), as
    /// [`Tensor::to_vec`] does.
    pub fn to_ndarray<T: StorageElement>(&self) -> ArrayD<T> {
        self.expect_dtype::<T>("to_ndarray");
        let values = self.with_contiguous(|s: &[T]| s.to_vec());
        ArrayD::from_shape_vec(IxDyn(self.shape()), values)
            .expect("a tensor's element count matches its shape")
    }
}

#[cfg(test)]
mod tests {
    use crate::{dispatch, DType, Tensor};
    use ndarray::{array, s, Array, Array0, Array2, ArrayD, Axis, IxDyn};

    /// Same shape and elements in logical order.
    fn assert_same<T: crate::storage::StorageElement>(t: &Tensor, a: &ArrayD<T>) {
        assert_eq!(t.shape(), a.shape());
        assert_eq!(t.to_vec::<T>(), a.iter().copied().collect::<Vec<T>>());
    }

    #[test]
    fn every_dtype_round_trips() {
        for dtype in DType::ALL {
            let t = Tensor::arange(-5, 7).to_dtype(dtype).reshape([2, 3, 2]);
            dispatch!(dtype, T => {
                let a = t.to_ndarray::<T>();
                assert_same(&t, &a);
                let back = Tensor::from(a);
                assert_eq!(back.dtype(), dtype);
                assert_eq!(back.to_vec::<T>(), t.to_vec::<T>());
                assert_eq!(back.shape(), t.shape());
            });
        }
    }

    #[test]
    fn non_standard_arrays_convert_in_logical_order() {
        let a = Array::from_shape_fn((3, 4), |(i, j)| (10 * i + j) as f32);
        let transposed = a.clone().reversed_axes();
        assert!(!transposed.is_standard_layout());
        assert_same(&Tensor::from(transposed.clone()), &transposed.into_dyn());

        let reversed = a.clone().slice_move(s![..;-1, 1..;2]);
        assert!(!reversed.is_standard_layout());
        assert_same(&Tensor::from(reversed.clone()), &reversed.into_dyn());

        // Standard layout, but starting past the front of its buffer.
        let mut tail = a.clone();
        tail.slice_axis_inplace(Axis(0), (1..).into());
        assert!(tail.is_standard_layout());
        assert_same(&Tensor::from(tail.clone()), &tail.into_dyn());

        // Borrowed arrays and views.
        let view = a.slice(s![1.., ..;3]);
        assert_same(&Tensor::from(&view), &view.to_owned().into_dyn());
        assert_same(&Tensor::from(&a), &a.clone().into_dyn());
    }

    #[test]
    fn non_contiguous_tensors_convert_in_logical_order() {
        let x = Tensor::arange(0, 24).reshape([2, 3, 4]);
        for v in [
            x.permute([2, 0, 1]),
            x.narrow(2, 1, 2),
            x.select(1, 2),
            x.narrow(0, 1, 1).expand([3, 3, 4]),
        ] {
            assert!(!v.is_contiguous());
            let a = v.to_ndarray::<i64>();
            assert_same(&v, &a);
            let back = Tensor::from(a);
            assert_eq!(back.to_vec::<i64>(), v.to_vec::<i64>());
        }
        // Index by index through a transposed view.
        let t = x.select(0, 1).t();
        let a = t.to_ndarray::<i64>();
        for i in 0..4 {
            for j in 0..3 {
                assert_eq!(a[[i, j]], t.get::<i64>(&[i as isize, j as isize]));
            }
        }
    }

    #[test]
    fn zero_dim_and_empty() {
        let z: Array0<f64> = Array0::from_elem((), 2.5);
        let t = Tensor::from(z);
        assert_eq!(t.dim(), 0);
        assert_eq!(t.item::<f64>(), 2.5);
        let a = t.to_ndarray::<f64>();
        assert_eq!(a.ndim(), 0);
        assert_eq!(a[IxDyn(&[])], 2.5);

        let e: Array2<u8> = Array2::zeros((0, 3));
        let t = Tensor::from(e);
        assert_eq!((t.shape(), t.dtype()), (&[0, 3][..], DType::U8));
        assert_eq!(t.to_ndarray::<u8>().shape(), &[0, 3]);
        let e2 = Tensor::zeros_dtype(&[2, 0], DType::Bool).to_ndarray::<bool>();
        assert_eq!(e2.shape(), &[2, 0]);
    }

    #[test]
    fn literal_arrays() {
        let t = Tensor::from(array![[true, false], [false, true]]);
        assert_eq!(t.dtype(), DType::Bool);
        assert_eq!(t.to_vec::<bool>(), vec![true, false, false, true]);
        let i = Tensor::from(array![1i8, -2, 3]);
        assert_eq!((i.dtype(), i.to_vec::<i8>()), (DType::I8, vec![1, -2, 3]));
    }

    #[test]
    #[should_panic(
        expected = "to_ndarray: the tensor has dtype torch.float32 but torch.float64 was asked for"
    )]
    fn wrong_dtype_panics() {
        Tensor::zeros(&[2]).to_ndarray::<f64>();
    }
}
