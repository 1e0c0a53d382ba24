//! The map-style [`Dataset`] trait (`torch.utils.data.Dataset`).

use std::sync::Arc;
use tessera_core::Result;

/// A map-style dataset: `len()` items addressed by index (`torch.utils.data.Dataset`
/// with `__len__` and `__getitem__`).
///
/// Datasets are shared with loader threads, so they are `Send + Sync`; wrap one in an
/// [`Arc`] to share it between several wrappers ([`crate::Subset`],
/// [`crate::ConcatDataset`], ...): `Arc<D>` is a dataset too.
///
/// ```
/// use tessera_core::Result;
/// use tessera_data::Dataset;
///
/// struct Squares(usize);
/// impl Dataset for Squares {
///     type Item = u64;
///     fn len(&self) -> usize { self.0 }
///     fn get(&self, index: usize) -> Result<u64> { Ok((index * index) as u64) }
/// }
/// assert_eq!(Squares(5).get(3)?, 9);
/// # Ok::<(), tessera_core::Error>(())
/// ```
pub trait Dataset: Send + Sync {
    /// What one index gives (PyTorch returns any object; here a type that the
    /// loader's collate function takes, e.g. `Vec<Tensor>` or `(Tensor, i64)`).
    type Item: Send + 'static;

    /// The number of items (`len(dataset)`).
    fn len(&self) -> usize;

    /// Whether the dataset has no items.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The item at `index` (`dataset[index]`).
    ///
    /// # Errors
    /// When the data cannot be produced (a file cannot be read, a record is corrupt).
    /// An index out of range is a programmer error and panics.
    fn get(&self, index: usize) -> Result<Self::Item>;

    /// The items at `indices` in one call (PyTorch's `__getitems__`), for datasets that
    /// fetch a batch faster than item by item. The default returns `None`, and the
    /// loader then calls [`Dataset::get`] per index (naming the index of an item that
    /// fails or panics, and stopping early when the loader is dropped).
    ///
    /// # Errors
    /// As [`Dataset::get`]; the loader adds the batch's indices to the message.
    fn get_batch(&self, indices: &[usize]) -> Option<Result<Vec<Self::Item>>> {
        let _ = indices;
        None
    }

    /// The items at `indices` already batched, in the form [`crate::default_collate`]
    /// would give them, for datasets that can copy a batch straight out of their storage
    /// ([`crate::TensorDataset`] and [`crate::NpyDataset`] copy the rows into one tensor
    /// per column). It applies to items whose default collation has their own type (a
    /// `Vec<Tensor>` of rows collates to a `Vec<Tensor>` of stacked rows).
    ///
    /// The loader calls it only when it batches with the default collate function and
    /// the item type collates to itself; `None` (the default) falls back to
    /// [`Dataset::get_batch`] and [`Dataset::get`].
    ///
    /// # Errors
    /// As [`Dataset::get`].
    fn get_batch_collated(&self, indices: &[usize]) -> Option<Result<Self::Item>> {
        let _ = indices;
        None
    }
}

/// `Arc<D>` and `Box<D>` are datasets that read `D`.
macro_rules! forward_dataset {
    ($($ptr:ident),*) => {$(
        impl<D: Dataset + ?Sized> Dataset for $ptr<D> {
            type Item = D::Item;
            fn len(&self) -> usize {
                (**self).len()
            }
            fn get(&self, index: usize) -> Result<Self::Item> {
                (**self).get(index)
            }
            fn get_batch(&self, indices: &[usize]) -> Option<Result<Vec<Self::Item>>> {
                (**self).get_batch(indices)
            }
            fn get_batch_collated(&self, indices: &[usize]) -> Option<Result<Self::Item>> {
                (**self).get_batch_collated(indices)
            }
        }
    )*};
}
forward_dataset!(Arc, Box);

/// Panics with PyTorch's `IndexError` wording unless `index < len`.
#[track_caller]
pub(crate) fn check_index(op: &str, index: usize, len: usize) {
    assert!(
        index < len,
        "{op}: index {index} is out of range for a dataset of length {len}"
    );
}
