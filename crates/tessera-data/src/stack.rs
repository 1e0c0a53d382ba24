//! [`StackDataset`]: several datasets of the same length read side by side.

use crate::dataset::{check_index, Dataset};
use std::collections::BTreeMap;
use tessera_core::Result;

/// Datasets that [`StackDataset`] reads side by side: tuples of up to four datasets
/// (PyTorch's `StackDataset(*args)`), a `Vec` of one dataset type, and a `BTreeMap`
/// from names to datasets (PyTorch's `StackDataset(**kwargs)`).
pub trait Stackable: Send + Sync {
    /// The combined item: a tuple, a `Vec` or a map of the datasets' items.
    type Item: Send + 'static;
    /// The datasets' lengths, in order.
    fn lens(&self) -> Vec<usize>;
    /// The combined item at `index`.
    ///
    /// # Errors
    /// The first error of a dataset.
    fn get(&self, index: usize) -> Result<Self::Item>;
}

macro_rules! stackable_tuple {
    ($($D:ident $i:tt),+) => {
        impl<$($D: Dataset),+> Stackable for ($($D,)+) {
            type Item = ($($D::Item,)+);
            fn lens(&self) -> Vec<usize> {
                vec![$(self.$i.len()),+]
            }
            fn get(&self, index: usize) -> Result<Self::Item> {
                Ok(($(self.$i.get(index)?,)+))
            }
        }
    };
}
stackable_tuple!(A 0);
stackable_tuple!(A 0, B 1);
stackable_tuple!(A 0, B 1, C 2);
stackable_tuple!(A 0, B 1, C 2, E 3);

impl<D: Dataset> Stackable for Vec<D> {
    type Item = Vec<D::Item>;
    fn lens(&self) -> Vec<usize> {
        self.iter().map(|d| d.len()).collect()
    }
    fn get(&self, index: usize) -> Result<Self::Item> {
        self.iter().map(|d| d.get(index)).collect()
    }
}

impl<D: Dataset> Stackable for BTreeMap<String, D> {
    type Item = BTreeMap<String, D::Item>;
    fn lens(&self) -> Vec<usize> {
        self.values().map(|d| d.len()).collect()
    }
    fn get(&self, index: usize) -> Result<Self::Item> {
        self.iter()
            .map(|(k, d)| Ok((k.clone(), d.get(index)?)))
            .collect()
    }
}

/// Datasets of the same length read side by side (`torch.utils.data.StackDataset`):
/// item `i` is the tuple (or `Vec`, or map) of the datasets' items `i`.
///
/// ```
/// use std::collections::BTreeMap;
/// use tessera_data::{Dataset, FnDataset, StackDataset};
/// let images = FnDataset::new(3, |i| Ok(i as f64));
/// let labels = FnDataset::new(3, |i| Ok(i as i64 % 2));
/// let ds = StackDataset::new((images, labels));
/// assert_eq!(ds.get(1)?, (1.0, 1));
///
/// let scaled = |k: usize| FnDataset::new(2, move |i| Ok(k * i));
/// let named = StackDataset::new(BTreeMap::from([
///     ("x".to_string(), scaled(1)),
///     ("y".to_string(), scaled(10)),
/// ]));
/// assert_eq!(named.get(1)?["y"], 10);
/// # Ok::<(), tessera_core::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct StackDataset<S> {
    datasets: S,
    len: usize,
}

impl<S: Stackable> StackDataset<S> {
    /// Stacks `datasets`.
    ///
    /// # Panics
    /// If there is no dataset ("At least one dataset should be passed") or the lengths
    /// differ ("Size mismatch between datasets").
    pub fn new(datasets: S) -> StackDataset<S> {
        let lens = datasets.lens();
        assert!(
            !lens.is_empty(),
            "StackDataset: At least one dataset should be passed"
        );
        assert!(
            lens.iter().all(|&l| l == lens[0]),
            "StackDataset: Size mismatch between datasets: lengths {lens:?}"
        );
        StackDataset {
            len: lens[0],
            datasets,
        }
    }

    /// The stacked datasets.
    pub fn datasets(&self) -> &S {
        &self.datasets
    }
}

impl<S: Stackable> Dataset for StackDataset<S> {
    type Item = S::Item;

    fn len(&self) -> usize {
        self.len
    }

    /// # Panics
    /// If `index >= len()`.
    fn get(&self, index: usize) -> Result<S::Item> {
        check_index("StackDataset", index, self.len);
        self.datasets.get(index)
    }
}
