//! Index-based selection: `gather` and `index_select`.

use super::arith::Arith;
use crate::autograd::{record_saving, Saves};
use crate::layout::normalize_dim;
use crate::runtime::pool::par_rows;
use crate::runtime::Output;
use crate::StorageElement;
use crate::{dispatch, DType, Tensor};

/// Checks an index tensor for `gather`/`scatter_add`; returns the normalized dim.
fn check_index(op: &str, x: &Tensor, dim: isize, index: &Tensor) -> usize {
    assert_eq!(
        index.dtype(),
        DType::I64,
        "{op}: expected dtype int64 for index, got {}",
        index.dtype()
    );
    let rank = x.dim();
    assert_eq!(
        index.dim(),
        rank,
        "{op}: index tensor must have the same number of dimensions as input tensor ({:?} vs {:?})",
        index.shape(),
        x.shape()
    );
    let d = normalize_dim(op, dim, rank);
    for k in 0..rank {
        assert!(
            k == d || index.shape()[k] <= x.shape()[k],
            "{op}: size does not match at dimension {k}: index {:?}, input {:?}",
            index.shape(),
            x.shape()
        );
    }
    d
}

/// Storage offsets, in `index`'s row-major order, of the elements `index` picks
/// along `d` from a tensor of `shape` with `strides` and `offset`.
fn index_offsets(
    op: &str,
    shape: &[usize],
    strides: &[usize],
    offset: usize,
    d: usize,
    index: &Tensor,
) -> Vec<usize> {
    let rank = shape.len();
    let idx = index.to_vec::<i64>();
    let ishape = index.shape();
    let size = if rank == 0 { 1 } else { shape[d] as i64 };
    let mut offsets = Vec::with_capacity(idx.len());
    let mut pos = vec![0usize; rank];
    for &i in &idx {
        // Negative indices are out of bounds here, as in torch.gather.
        assert!(
            (0..size).contains(&i),
            "{op}: index {i} is out of bounds for dimension {d} with size {size}"
        );
        let i = i as usize;
        let mut at = offset;
        for k in 0..rank {
            at += if k == d { i } else { pos[k] } * strides[k];
        }
        offsets.push(at);
        for k in (0..rank).rev() {
            pos[k] += 1;
            if pos[k] < ishape[k] {
                break;
            }
            pos[k] = 0;
        }
    }
    offsets
}

impl Tensor {
    /// Values picked along `dim` by `index` (`torch.gather`): for `dim = 1` of a
    /// 2-D tensor, `out[i][j] = self[i][index[i][j]]`. The result has `index`'s shape.
    ///
    /// ```
    /// use tessera_core::tensor;
    /// let x = tensor!([[1, 2], [3, 4]]);
    /// let y = x.gather(1, &tensor!([[1, 1], [0, 1]]));
    /// assert_eq!(y.to_vec::<i64>(), vec![2, 2, 3, 4]);
    /// ```
    ///
    /// # Panics
    /// If `index` is not `I64`, has another rank, is larger than `self` in a dim
    /// other than `dim`, or holds an index out of range.
    pub fn gather(&self, dim: isize, index: &Tensor) -> Tensor {
        let d = check_index("gather", self, dim, index);
        let offsets = index_offsets(
            "gather",
            self.shape(),
            self.strides(),
            self.storage_offset(),
            d,
            index,
        );
        let forward = || {
            let data = self.storage().read_for("gather");
            dispatch!(self.dtype(), T => {
                let all = <T as StorageElement>::slice(&data).expect("dtype matches storage");
                Tensor::from_vec(offsets.iter().map(|&o| all[o]).collect::<Vec<T>>(), index.shape())
            })
        };
        let idx = index.clone();
        record_saving(
            "gather",
            &[self],
            Saves::Nothing,
            &[index],
            forward,
            move |g, _, inputs| {
                vec![Some(
                    inputs[0].zeros_like().scatter_add(d as isize, &idx, g),
                )]
            },
        )
    }

    /// `self` with `src` added at the positions `index` gives along `dim`
    /// (`torch.scatter_add`, out of place): for `dim = 1` of a 2-D tensor,
    /// `out[i][index[i][j]] += src[i][j]`. Only the part of `src` of `index`'s shape is used.
    ///
    /// ```
    /// use tessera_core::{tensor, Tensor};
    /// let y = Tensor::zeros(&[3]).scatter_add(0, &tensor!([0, 2, 0]), &tensor!([1.0, 2.0, 3.0]));
    /// assert_eq!(y.to_vec::<f32>(), vec![4.0, 0.0, 2.0]);
    /// ```
    ///
    /// # Panics
    /// As [`Tensor::gather`], and if `src` is smaller than `index` in some dim or
    /// has another dtype.
    pub fn scatter_add(&self, dim: isize, index: &Tensor, src: &Tensor) -> Tensor {
        let d = check_index("scatter_add", self, dim, index);
        assert_eq!(
            src.dtype(),
            self.dtype(),
            "scatter_add: expected src dtype {} to match self dtype {}",
            src.dtype(),
            self.dtype()
        );
        assert!(
            src.dim() == index.dim() && index.shape().iter().zip(src.shape()).all(|(i, s)| i <= s),
            "scatter_add: index {:?} must not be larger than src {:?}",
            index.shape(),
            src.shape()
        );
        let mut part = src.clone();
        for (k, &n) in index.shape().iter().enumerate() {
            part = part.narrow(k as isize, 0, n);
        }
        let strides = crate::layout::contiguous_strides(self.shape());
        let targets = index_offsets("scatter_add", self.shape(), &strides, 0, d, index);
        let forward = || {
            dispatch!(self.dtype(), T => {
                let mut out = self.to_vec::<T>();
                let vals = part.to_vec::<T>();
                for (&t, &v) in targets.iter().zip(&vals) {
                    out[t] = <T as Arith>::add(out[t], v);
                }
                Tensor::from_vec(out, self.shape())
            })
        };
        let idx = index.clone();
        record_saving(
            "scatter_add",
            &[self, &part],
            Saves::Nothing,
            &[index],
            forward,
            move |g, _, _| vec![Some(g.clone()), Some(g.gather(d as isize, &idx))],
        )
    }

    /// The entries of `index` along `dim` (`torch.index_select`).
    ///
    /// # Panics
    /// If `index` is not a 1-D `I64` tensor or holds an index out of range.
    pub fn index_select(&self, dim: isize, index: &Tensor) -> Tensor {
        assert!(
            index.dim() <= 1 && index.dtype() == DType::I64,
            "index_select: index must be a 1-D int64 tensor, got shape {:?} and dtype {}",
            index.shape(),
            index.dtype()
        );
        if self.dim() == 0 {
            normalize_dim("index_select", dim, 0);
            let idx = index.to_vec::<i64>();
            for &i in &idx {
                assert!(
                    i == 0,
                    "index_select: index {i} is out of range for dimension 0 with size 1"
                );
            }
            return self
                .reshape([1])
                .expand([idx.len()])
                .contiguous()
                .reshape(index.shape());
        }
        let d = normalize_dim("index_select", dim, self.dim());
        let size = self.shape()[d];
        let idx: Vec<usize> = index
            .to_vec::<i64>()
            .iter()
            .map(|&i| {
                // Negative indices are out of range here, as in torch.index_select.
                assert!(
                    (0..size as i64).contains(&i),
                    "index_select: index {i} is out of range for dimension {d} with size {size}"
                );
                i as usize
            })
            .collect();
        let mut shape = self.shape().to_vec();
        shape[d] = idx.len();
        let outer: usize = self.shape()[..d].iter().product();
        let inner: usize = self.shape()[d + 1..].iter().product();
        let forward = || {
            dispatch!(self.dtype(), T => self.with_contiguous(|src: &[T]| {
                // Every element is written below: a reused buffer is safe.
                let mut out = Output::<T>::for_overwrite("index_select", outer * idx.len() * inner);
                // One block of `inner` values per (outer, picked) pair.
                par_rows(src, (size * inner).max(1), out.as_mut_slice(), idx.len() * inner, |s, o| {
                    for (o, &i) in o.chunks_mut(inner.max(1)).zip(&idx) {
                        o.copy_from_slice(&s[i * inner..(i + 1) * inner]);
                    }
                });
                out.into_tensor(&shape)
            }))
        };
        let picked = index.reshape([index.numel()]);
        record_saving(
            "index_select",
            &[self],
            Saves::Nothing,
            &[index],
            forward,
            move |g, _, inputs| {
                let mut at = vec![1isize; g.dim()];
                at[d] = -1;
                let full = picked.reshape(&at[..]).expand(g.shape()).contiguous();
                vec![Some(
                    inputs[0].zeros_like().scatter_add(d as isize, &full, g),
                )]
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use crate::{tensor, Tensor};

    #[test]
    fn gather_on_views() {
        let x = Tensor::arange(0, 6).reshape([2, 3]).t(); // [[0,3],[1,4],[2,5]]
        let g = x.gather(0, &tensor!([[2, 0]]));
        assert_eq!(g.to_vec::<i64>(), vec![2, 3]);
        assert_eq!(
            x.index_select(1, &tensor!([1])).to_vec::<i64>(),
            vec![3, 4, 5]
        );
    }

    #[test]
    #[should_panic(expected = "gather: index -1 is out of bounds for dimension 1 with size 2")]
    fn gather_negative_index_panics() {
        // Regression: negative indices used to wrap; torch.gather rejects them.
        tensor!([[1, 2]]).gather(1, &tensor!([[-1]]));
    }

    #[test]
    #[should_panic(expected = "index_select: index -1 is out of range for dimension 0 with size 1")]
    fn index_select_negative_index_panics() {
        tensor!([[1, 2]]).index_select(0, &tensor!([-1]));
    }

    #[test]
    #[should_panic(expected = "gather: index 3 is out of bounds for dimension 1 with size 2")]
    fn gather_out_of_range() {
        tensor!([[1, 2]]).gather(1, &tensor!([[3]]));
    }

    #[test]
    fn index_select_strided_empty_and_gradient() {
        let x = Tensor::arange(0, 24).reshape([2, 3, 4]);
        let idx = tensor!([2, 0, 2]);
        let y = x.permute([2, 1, 0]).index_select(1, &idx); // strided input
        assert_eq!(y.shape(), &[4, 3, 2]);
        assert_eq!(
            y.to_vec::<i64>()[..6],
            [8, 20, 0, 12, 8, 20] // x[:, 2, 0], x[:, 0, 0], x[:, 2, 0]
        );
        assert_eq!(
            x.index_select(-1, &tensor!([3])).to_vec::<i64>(),
            [3, 7, 11, 15, 19, 23]
        );
        let none = Tensor::zeros_dtype(&[0], crate::DType::I64);
        assert_eq!(x.index_select(0, &none).shape(), &[0, 3, 4]);
        let w = Tensor::randn(&[5, 3]).to_dtype(crate::DType::F64);
        w.requires_grad_(true);
        let picks = tensor!([4, 1, 4]);
        crate::autograd::gradcheck(
            |v| v[0].index_select(0, &picks),
            std::slice::from_ref(&w),
            Default::default(),
        )
        .unwrap();
        crate::autograd::gradcheck(
            |v| v[0].index_select(1, &picks.narrow(0, 1, 1)),
            &[w],
            Default::default(),
        )
        .unwrap();
    }
}
