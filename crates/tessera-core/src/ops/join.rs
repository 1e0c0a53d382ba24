//! Joining tensors: `cat` and `stack`.

use crate::autograd::{record, Saves};
use crate::layout::normalize_dim;
use crate::{dispatch, result_type, Operand, Tensor};

impl Tensor {
    /// Concatenates tensors along an existing `dim` (`torch.cat`), promoting dtypes.
    /// As in PyTorch, 1-D empty tensors are skipped.
    ///
    /// ```
    /// use tessera_core::{tensor, Tensor};
    /// let c = Tensor::cat(&[tensor!([[1, 2]]), tensor!([[3, 4]])], 0);
    /// assert_eq!(c.shape(), &[2, 2]);
    /// ```
    ///
    /// # Panics
    /// If `tensors` is empty, ranks differ, or sizes differ outside `dim`.
    pub fn cat(tensors: &[Tensor], dim: isize) -> Tensor {
        assert!(
            !tensors.is_empty(),
            "cat: expected a non-empty list of Tensors"
        );
        let parts: Vec<&Tensor> = tensors
            .iter()
            .filter(|t| !(t.dim() == 1 && t.numel() == 0))
            .collect();
        let dtype = result_type(
            &tensors
                .iter()
                .map(|t| Operand::Dimensioned(t.dtype()))
                .collect::<Vec<_>>(),
        );
        let Some(first) = parts.first() else {
            return Tensor::zeros_dtype(&[0], dtype);
        };
        assert!(
            first.dim() > 0,
            "cat: zero-dimensional tensor cannot be concatenated"
        );
        let d = normalize_dim("cat", dim, first.dim());
        let mut shape = first.shape().to_vec();
        shape[d] = 0;
        for t in &parts {
            assert!(
                t.dim() == first.dim()
                    && t.shape()
                        .iter()
                        .zip(first.shape())
                        .enumerate()
                        .all(|(k, (a, b))| k == d || a == b),
                "cat: sizes of tensors must match except in dimension {d}; got {:?} and {:?}",
                first.shape(),
                t.shape()
            );
            shape[d] = shape[d]
                .checked_add(t.shape()[d])
                .unwrap_or_else(|| panic!("cat: the sizes of dim {d} add up past usize::MAX"));
        }
        let outer: usize = shape[..d].iter().product();
        let parts: Vec<Tensor> = parts.iter().map(|t| t.to_dtype(dtype)).collect();
        let forward = || {
            dispatch!(dtype, T => {
                let blocks: Vec<(Vec<T>, usize)> = parts
                    .iter()
                    .map(|t| (t.to_vec::<T>(), t.shape()[d..].iter().product()))
                    .collect();
                let mut out = crate::storage::alloc_capacity::<T>("cat", &shape);
                for o in 0..outer {
                    for (v, block) in &blocks {
                        out.extend_from_slice(&v[o * block..(o + 1) * block]);
                    }
                }
                Tensor::from_vec(out, &shape)
            })
        };
        let inputs: Vec<&Tensor> = parts.iter().collect();
        record(
            "cat",
            &inputs,
            Saves::Nothing,
            forward,
            move |g, _, inputs| {
                let mut at = 0;
                inputs
                    .iter()
                    .map(|t| {
                        let n = t.shape()[d];
                        at += n;
                        Some(g.narrow(d as isize, at - n, n))
                    })
                    .collect()
            },
        )
    }

    /// Stacks same-shaped tensors along a new `dim` (`torch.stack`).
    ///
    /// # Panics
    /// If `tensors` is empty or the shapes differ.
    pub fn stack(tensors: &[Tensor], dim: isize) -> Tensor {
        assert!(!tensors.is_empty(), "stack: expects a non-empty TensorList");
        let first = tensors[0].shape();
        for t in tensors {
            assert_eq!(
                t.shape(),
                first,
                "stack: expects each tensor to be equal size, but got {first:?} and {:?}",
                t.shape()
            );
        }
        let d = normalize_dim("stack", dim, tensors[0].dim() + 1) as isize;
        let parts: Vec<Tensor> = tensors.iter().map(|t| t.unsqueeze(d)).collect();
        Tensor::cat(&parts, d)
    }
}

#[cfg(test)]
mod tests {
    use crate::{tensor, DType, Tensor};

    #[test]
    fn cat_and_stack() {
        let a = tensor!([[1, 2], [3, 4]]);
        let b = tensor!([[5.0], [6.0]]);
        let c = Tensor::cat(&[a.clone(), b], -1);
        assert_eq!((c.dtype(), c.shape()), (DType::F32, &[2usize, 3][..]));
        assert_eq!(c.to_vec::<f32>(), vec![1.0, 2.0, 5.0, 3.0, 4.0, 6.0]);
        let s = Tensor::stack(&[a.t(), a.clone()], 1);
        assert_eq!(s.shape(), &[2, 2, 2]);
        assert_eq!(s.to_vec::<i64>(), vec![1, 3, 1, 2, 2, 4, 3, 4]);
        assert_eq!(
            Tensor::cat(&[Tensor::zeros(&[0]), tensor!([1.0])], 0).to_vec::<f32>(),
            vec![1.0]
        );
        assert_eq!(
            Tensor::stack(&[tensor!(1), tensor!(2)], 0).to_vec::<i64>(),
            vec![1, 2]
        );
    }

    #[test]
    #[should_panic(
        expected = "cat: sizes of tensors must match except in dimension 0; got [1, 2] and [1, 3]"
    )]
    fn cat_mismatch_panics() {
        Tensor::cat(&[Tensor::zeros(&[1, 2]), Tensor::zeros(&[1, 3])], 0);
    }
}
