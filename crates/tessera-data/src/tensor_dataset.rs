//! [`TensorDataset`]: rows of tensors that share their first dimension.

use crate::dataset::{check_index, Dataset};
use tessera_core::{dispatch, Result, StorageElement, Tensor};

/// Rows `indices` of a contiguous tensor, copied into a new `[indices.len(), ...]` tensor.
fn gather_rows<T: StorageElement>(t: &Tensor, indices: &[usize]) -> Tensor {
    let row: usize = t.shape()[1..].iter().product();
    let mut out = Vec::with_capacity(row * indices.len());
    t.with_contiguous(|s: &[T]| {
        for &i in indices {
            out.extend_from_slice(&s[i * row..(i + 1) * row]);
        }
    });
    let mut shape = t.shape().to_vec();
    shape[0] = indices.len();
    Tensor::from_vec(out, &shape)
}

/// Rows of one or more tensors that share their first dimension
/// (`torch.utils.data.TensorDataset`): item `i` is `[t[i] for t in tensors]`.
///
/// Cloning is cheap (tensors are handles); the items are views of the tensors.
///
/// ```
/// use tessera_core::{tensor, Tensor};
/// use tessera_data::{Dataset, TensorDataset};
/// let ds = TensorDataset::new(vec![tensor!([[1.0, 2.0], [3.0, 4.0]]), tensor!([7, 8])]);
/// assert_eq!(ds.len(), 2);
/// let item = ds.get(1)?;
/// assert_eq!(item[0].to_vec::<f32>(), vec![3.0, 4.0]);
/// assert_eq!(item[1].item::<i64>(), 8);
/// # Ok::<(), tessera_core::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct TensorDataset {
    tensors: Vec<Tensor>,
    len: usize,
}

impl TensorDataset {
    /// A dataset over `tensors`, indexed along their first dimension.
    ///
    /// # Panics
    /// If `tensors` is empty, a tensor is 0-dim, or the first dimensions differ
    /// (PyTorch: "Size mismatch between tensors").
    pub fn new(tensors: Vec<Tensor>) -> TensorDataset {
        assert!(
            !tensors.is_empty(),
            "TensorDataset: expected at least one tensor"
        );
        for t in &tensors {
            assert!(
                t.dim() > 0,
                "TensorDataset: tensors must have a first dimension, got a 0-dim tensor"
            );
        }
        let len = tensors[0].shape()[0];
        let sizes: Vec<usize> = tensors.iter().map(|t| t.shape()[0]).collect();
        assert!(
            sizes.iter().all(|&s| s == len),
            "TensorDataset: Size mismatch between tensors: first dimensions {sizes:?}"
        );
        TensorDataset { tensors, len }
    }

    /// The tensors (`dataset.tensors`).
    pub fn tensors(&self) -> &[Tensor] {
        &self.tensors
    }
}

impl Dataset for TensorDataset {
    type Item = Vec<Tensor>;

    fn len(&self) -> usize {
        self.len
    }

    /// The rows at `index`, as views.
    ///
    /// # Panics
    /// If `index >= len()`.
    fn get(&self, index: usize) -> Result<Vec<Tensor>> {
        check_index("TensorDataset", index, self.len);
        Ok(self
            .tensors
            .iter()
            .map(|t| t.select(0, index as isize))
            .collect())
    }

    /// The rows at `indices` of each tensor, copied into one tensor per tensor: what
    /// `default_collate` makes of the items, without making them. `None` (item by item)
    /// when a tensor is not contiguous.
    ///
    /// # Panics
    /// If an index is out of range.
    fn get_batch_collated(&self, indices: &[usize]) -> Option<Result<Vec<Tensor>>> {
        if !self.tensors.iter().all(Tensor::is_contiguous) {
            return None;
        }
        for &i in indices {
            check_index("TensorDataset", i, self.len);
        }
        Some(Ok(self
            .tensors
            .iter()
            .map(|t| dispatch!(t.dtype(), T => gather_rows::<T>(t, indices)))
            .collect()))
    }
}
