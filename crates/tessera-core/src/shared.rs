//! [`SharedData`]: a storage's elements borrowed, without a copy, from bytes that another
//! object owns (a memory-mapped checkpoint), with copy-on-write on the first mutation.
//!
//! A storage normally owns a `Vec`. A loader that has the file's bytes mapped can instead
//! hand each tensor a window of the mapping ([`StorageData::Shared`]): reading it costs
//! nothing until the pages are touched, and many storages share one owner (kept alive by
//! an `Arc` until the last of them is dropped). The first mutable access
//! ([`crate::StorageElement::slice_mut`], so every in-place op and `Storage::write`)
//! copies the elements into an owned `Vec` and the storage forgets the owner: the bytes
//! are never written through this type.
//!
//! The owner is any `AsRef<[u8]> + Send + Sync + 'static` (the model is
//! `bytes::Bytes::from_owner`): through a shared reference it cannot free or change the
//! bytes it returned, so the window stays valid while the `Arc` lives. An owner whose
//! bytes can change behind Rust's back (a file mapping that another process writes or
//! truncates) is the constructor's caller's responsibility: `memmap2::Mmap::map` is
//! `unsafe` for that reason, and `tessera-io` documents its policy where it maps files.

use crate::data::{StorageData, StorageElement};
use crate::DType;
use std::sync::Arc;

/// Elements of one dtype borrowed from an owner's bytes (see the module docs).
#[derive(Clone)]
pub struct SharedData {
    /// Start of the elements, aligned for `dtype`; inside the owner's bytes.
    ptr: *const u8,
    /// Number of elements.
    len: usize,
    dtype: DType,
    /// Keeps the bytes alive; never used otherwise.
    _owner: Arc<dyn AsRef<[u8]> + Send + Sync>,
}

// SAFETY: `SharedData` only reads the bytes behind `ptr`, which the `Send + Sync` owner
// keeps alive and (by the `AsRef` contract, module docs) unchanged; sharing or sending a
// read-only view of them across threads is what `Arc<[u8]>` does.
unsafe impl Send for SharedData {}
// SAFETY: as for `Send`: no method writes through `ptr`.
unsafe impl Sync for SharedData {}

impl std::fmt::Debug for SharedData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedData")
            .field("dtype", &self.dtype)
            .field("len", &self.len)
            .finish_non_exhaustive()
    }
}

impl SharedData {
    /// The elements of type `T` in `owner.as_ref()[bytes]`, in this machine's byte order,
    /// without a copy; `None` if the range is out of bounds, not a whole number of
    /// elements, or not aligned for `T`, or (for `bool`) holds a byte other than 0 or 1.
    pub fn new<T: StorageElement, O>(
        owner: Arc<O>,
        bytes: std::ops::Range<usize>,
    ) -> Option<SharedData>
    where
        O: AsRef<[u8]> + Send + Sync + 'static,
    {
        let size = std::mem::size_of::<T>();
        let window = <O as AsRef<[u8]>>::as_ref(&owner).get(bytes)?;
        if !window.len().is_multiple_of(size)
            || !(window.as_ptr() as usize).is_multiple_of(std::mem::align_of::<T>())
        {
            return None;
        }
        if T::DTYPE == DType::Bool && window.iter().any(|&b| b > 1) {
            return None;
        }
        let (ptr, len) = (window.as_ptr(), window.len() / size);
        Some(SharedData {
            ptr,
            len,
            dtype: T::DTYPE,
            _owner: owner,
        })
    }

    /// The dtype of the elements.
    pub fn dtype(&self) -> DType {
        self.dtype
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are no elements.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The elements, if they are of type `T`.
    pub fn slice<T: StorageElement>(&self) -> Option<&[T]> {
        if T::DTYPE != self.dtype {
            return None;
        }
        // SAFETY: `new` checked that `len` elements of `T` (the dtype checked just above)
        // lie inside the owner's bytes at an address aligned for `T`, and that each is a
        // valid value (every bit pattern is, for the sealed numeric `StorageElement`s;
        // `bool` bytes were checked to be 0 or 1). `_owner` keeps the bytes alive and
        // unchanged for as long as `self` (module docs), and the returned slice borrows
        // `self`.
        Some(unsafe { std::slice::from_raw_parts(self.ptr.cast::<T>(), self.len) })
    }

    /// The elements copied into a `Vec`, if they are of type `T`.
    pub fn to_vec<T: StorageElement>(&self) -> Option<Vec<T>> {
        self.slice::<T>().map(<[T]>::to_vec)
    }
}

impl StorageData {
    /// A storage's data that borrows `owner.as_ref()[bytes]` as elements of `T` without
    /// copying (see [`SharedData`]); `None` as [`SharedData::new`].
    ///
    /// ```
    /// use std::sync::Arc;
    /// use tessera_core::{Storage, StorageData, StorageElement};
    /// let bytes: Arc<Vec<u8>> = Arc::new(1.5f32.to_ne_bytes().repeat(2));
    /// let data = StorageData::shared::<f32, _>(bytes, 0..8).unwrap();
    /// let storage = Storage::new(data);
    /// assert_eq!(f32::slice(&storage.read()).unwrap(), &[1.5, 1.5]);
    /// // The first write copies: the owner's bytes are never changed.
    /// storage.write().slice_mut::<f32>().unwrap()[0] = 2.0;
    /// assert_eq!(f32::slice(&storage.read()).unwrap(), &[2.0, 1.5]);
    /// ```
    pub fn shared<T: StorageElement, O>(
        owner: Arc<O>,
        bytes: std::ops::Range<usize>,
    ) -> Option<StorageData>
    where
        O: AsRef<[u8]> + Send + Sync + 'static,
    {
        SharedData::new::<T, O>(owner, bytes).map(StorageData::Shared)
    }

    /// Whether the elements are borrowed from an owner (not yet copied on a write).
    pub fn is_shared(&self) -> bool {
        matches!(self, StorageData::Shared(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_are_checked_and_copied_on_write() {
        let owner = Arc::new((0u8..32).collect::<Vec<u8>>());
        // out of bounds, ragged, misaligned, bools that are not 0/1
        assert!(StorageData::shared::<f32, _>(owner.clone(), 0..33).is_none());
        assert!(StorageData::shared::<f32, _>(owner.clone(), 0..6).is_none());
        let base = owner.as_ptr() as usize;
        let odd = if base.is_multiple_of(4) { 1 } else { 0 };
        assert!(StorageData::shared::<f32, _>(owner.clone(), odd..odd + 4).is_none());
        assert!(StorageData::shared::<bool, _>(owner.clone(), 0..3).is_none());
        assert!(StorageData::shared::<bool, _>(owner.clone(), 0..2).is_some());
        let mut d = StorageData::shared::<u8, _>(owner.clone(), 4..8).unwrap();
        assert!(d.is_shared() && d.len() == 4 && d.dtype() == DType::U8);
        assert_eq!(d, StorageData::U8(vec![4, 5, 6, 7]));
        assert!(f32::slice(&d).is_none() && f32::slice_mut(&mut d).is_none());
        assert!(d.is_shared());
        u8::slice_mut(&mut d).unwrap()[0] = 99;
        assert!(!d.is_shared());
        assert_eq!(d, StorageData::U8(vec![99, 5, 6, 7]));
        assert_eq!(owner[4], 4, "the owner's bytes are never written");
        let e = StorageData::shared::<i32, _>(owner.clone(), 0..0).unwrap();
        assert!(e.is_empty());
        assert_eq!(
            i64::into_vec(StorageData::shared::<i64, _>(owner, 0..8).unwrap()).map(|v| v.len()),
            Some(1)
        );
    }
}
