//! [`ConcatDataset`]: datasets one after another.

use crate::dataset::Dataset;
use tessera_core::Result;

/// Several datasets one after another (`torch.utils.data.ConcatDataset`).
///
/// Datasets of different types can be joined as `Box<dyn Dataset<Item = T>>`.
///
/// ```
/// use tessera_data::{ConcatDataset, Dataset, FnDataset};
/// let part = |len, start: usize| FnDataset::new(len, move |i| Ok(start + i));
/// let ds = ConcatDataset::new(vec![part(2, 0), part(3, 100)]);
/// assert_eq!(ds.len(), 5);
/// assert_eq!(ds.get(2)?, 100);
/// assert_eq!(ds.get_signed(-1)?, 102); // negative indices count from the end
/// assert_eq!(ds.cumulative_sizes(), &[2, 5]);
/// # Ok::<(), tessera_core::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct ConcatDataset<D> {
    datasets: Vec<D>,
    cumulative_sizes: Vec<usize>,
}

impl<D: Dataset> ConcatDataset<D> {
    /// The datasets, in order.
    ///
    /// # Panics
    /// If `datasets` is empty (PyTorch: "datasets should not be an empty iterable").
    pub fn new(datasets: Vec<D>) -> ConcatDataset<D> {
        assert!(
            !datasets.is_empty(),
            "ConcatDataset: datasets should not be an empty iterable"
        );
        let cumulative_sizes = datasets
            .iter()
            .scan(0, |total, d| {
                *total += d.len();
                Some(*total)
            })
            .collect();
        ConcatDataset {
            datasets,
            cumulative_sizes,
        }
    }

    /// The datasets (`ds.datasets`).
    pub fn datasets(&self) -> &[D] {
        &self.datasets
    }

    /// The running totals of the lengths (`ds.cumulative_sizes`).
    pub fn cumulative_sizes(&self) -> &[usize] {
        &self.cumulative_sizes
    }

    /// Which dataset holds `index`, and the index inside it.
    fn locate(&self, index: usize) -> (usize, usize) {
        // bisect_right over the cumulative sizes, as PyTorch does.
        let d = self.cumulative_sizes.partition_point(|&c| c <= index);
        assert!(
            d < self.datasets.len(),
            "ConcatDataset: index {index} is out of range for a dataset of length {}",
            self.len()
        );
        let start = if d == 0 {
            0
        } else {
            self.cumulative_sizes[d - 1]
        };
        (d, index - start)
    }

    /// The item at `index`, where a negative index counts from the end (`ds[-1]`).
    ///
    /// # Panics
    /// If `-index > len()` (PyTorch: "absolute value of index should not exceed
    /// dataset length") or `index >= len()`.
    ///
    /// # Errors
    /// As the underlying dataset's `get`.
    pub fn get_signed(&self, index: isize) -> Result<D::Item> {
        let len = self.len();
        let i = if index < 0 {
            assert!(
                index.unsigned_abs() <= len,
                "ConcatDataset: absolute value of index should not exceed dataset length \
                 (index {index}, length {len})"
            );
            len - index.unsigned_abs()
        } else {
            index as usize
        };
        self.get(i)
    }
}

impl<D: Dataset> Dataset for ConcatDataset<D> {
    type Item = D::Item;

    fn len(&self) -> usize {
        self.cumulative_sizes.last().copied().unwrap_or(0)
    }

    /// # Panics
    /// If `index >= len()`.
    fn get(&self, index: usize) -> Result<D::Item> {
        let (d, i) = self.locate(index);
        self.datasets[d].get(i)
    }
}
