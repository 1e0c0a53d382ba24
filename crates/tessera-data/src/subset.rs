//! [`Subset`]: a dataset at chosen indices of another.

use crate::dataset::{check_index, Dataset};
use tessera_core::Result;

/// The items of `dataset` at `indices`, in that order (`torch.utils.data.Subset`).
///
/// ```
/// use tessera_data::{Dataset, FnDataset, Subset};
/// let ds = FnDataset::new(10, |i| Ok(i * 10));
/// let sub = Subset::new(ds, vec![7, 2]);
/// assert_eq!((sub.len(), sub.get(0)?, sub.get(1)?), (2, 70, 20));
/// # Ok::<(), tessera_core::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Subset<D> {
    dataset: D,
    indices: Vec<usize>,
}

impl<D: Dataset> Subset<D> {
    /// The items of `dataset` at `indices`. Indices are checked when read, as in
    /// PyTorch.
    pub fn new(dataset: D, indices: Vec<usize>) -> Subset<D> {
        Subset { dataset, indices }
    }

    /// The underlying dataset (`subset.dataset`).
    pub fn dataset(&self) -> &D {
        &self.dataset
    }

    /// The indices into the underlying dataset (`subset.indices`).
    pub fn indices(&self) -> &[usize] {
        &self.indices
    }

    /// The underlying dataset's indices for `indices` of the subset.
    fn map(&self, indices: &[usize]) -> Vec<usize> {
        indices
            .iter()
            .map(|&i| {
                check_index("Subset", i, self.indices.len());
                self.indices[i]
            })
            .collect()
    }
}

impl<D: Dataset> Dataset for Subset<D> {
    type Item = D::Item;

    fn len(&self) -> usize {
        self.indices.len()
    }

    /// # Panics
    /// If `index >= len()` or the stored index is out of range of the dataset.
    fn get(&self, index: usize) -> Result<D::Item> {
        check_index("Subset", index, self.indices.len());
        self.dataset.get(self.indices[index])
    }

    /// Forwards to the underlying dataset's `get_batch` with the mapped indices.
    fn get_batch(&self, indices: &[usize]) -> Option<Result<Vec<D::Item>>> {
        self.dataset.get_batch(&self.map(indices))
    }

    /// Forwards to the underlying dataset's `get_batch_collated` with the mapped indices.
    fn get_batch_collated(&self, indices: &[usize]) -> Option<Result<D::Item>> {
        self.dataset.get_batch_collated(&self.map(indices))
    }
}
