//! Buffers for code outside core that fills a whole storage itself (a file loader): the
//! same reuse of dropped large buffers that core's ops get (see `buffers`), so that
//! loading a checkpoint again does not pay a page fault per 4 KiB of fresh memory.

use crate::StorageElement;

/// A vector of exactly `n` elements taken from the buffers of dropped tensors, if one
/// of about that size is kept (2 MiB and more); `None` otherwise (allocate as usual).
///
/// Its elements are whatever the dropped tensor held: the caller must overwrite every
/// one before the vector becomes a tensor's data (and drop it on failure).
///
/// ```
/// let v = tessera_core::buffer_for_overwrite::<f32>(1 << 20);
/// assert!(v.is_none_or(|v| v.len() == 1 << 20));
/// ```
pub fn buffer_for_overwrite<T: StorageElement>(n: usize) -> Option<Vec<T>> {
    crate::buffers::take::<T>(n)
}
