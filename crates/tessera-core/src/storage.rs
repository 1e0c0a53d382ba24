//! Storage: the typed buffer that tensors and their views share.

use crate::{DType, Element};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

/// The typed data of a storage, one variant per [`DType`].
#[derive(Clone, Debug, PartialEq)]
pub enum StorageData {
    /// `bool` elements
    Bool(Vec<bool>),
    /// `u8` elements
    U8(Vec<u8>),
    /// `i8` elements
    I8(Vec<i8>),
    /// `i32` elements
    I32(Vec<i32>),
    /// `i64` elements
    I64(Vec<i64>),
    /// `f32` elements
    F32(Vec<f32>),
    /// `f64` elements
    F64(Vec<f64>),
}

/// Ties an [`Element`] to its [`StorageData`] variant. Implemented for every element type.
pub trait StorageElement: Element {
    /// Wraps a vector.
    fn wrap(v: Vec<Self>) -> StorageData;
    /// The slice, if the data is of this type.
    fn slice(d: &StorageData) -> Option<&[Self]>;
    /// The mutable slice, if the data is of this type.
    fn slice_mut(d: &mut StorageData) -> Option<&mut [Self]>;
    /// The vector, if the data is of this type.
    fn into_vec(d: StorageData) -> Option<Vec<Self>>;
}

macro_rules! impl_storage_element {
    ($($t:ty => $v:ident),*) => {$(
        impl StorageElement for $t {
            #[inline]
            fn wrap(v: Vec<Self>) -> StorageData { StorageData::$v(v) }
            #[inline]
            fn slice(d: &StorageData) -> Option<&[Self]> {
                match d { StorageData::$v(v) => Some(v), _ => None }
            }
            #[inline]
            fn slice_mut(d: &mut StorageData) -> Option<&mut [Self]> {
                match d { StorageData::$v(v) => Some(v), _ => None }
            }
            #[inline]
            fn into_vec(d: StorageData) -> Option<Vec<Self>> {
                match d { StorageData::$v(v) => Some(v), _ => None }
            }
        }
    )*};
}
impl_storage_element!(bool => Bool, u8 => U8, i8 => I8, i32 => I32, i64 => I64, f32 => F32, f64 => F64);

impl StorageData {
    /// The dtype of the elements.
    pub fn dtype(&self) -> DType {
        match self {
            StorageData::Bool(_) => DType::Bool,
            StorageData::U8(_) => DType::U8,
            StorageData::I8(_) => DType::I8,
            StorageData::I32(_) => DType::I32,
            StorageData::I64(_) => DType::I64,
            StorageData::F32(_) => DType::F32,
            StorageData::F64(_) => DType::F64,
        }
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        crate::dispatch!(self.dtype(), T => T::slice(self).unwrap().len())
    }

    /// Whether there are no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A zero-filled buffer of `n` elements.
    pub fn zeros(dtype: DType, n: usize) -> StorageData {
        crate::dispatch!(dtype, T => T::wrap(vec![T::default(); n]))
    }
}

/// A buffer shared by a tensor and all its views, with a version counter that every
/// in-place write bumps (autograd uses it to detect a modified saved tensor).
#[derive(Debug)]
pub struct Storage {
    data: RwLock<StorageData>,
    version: AtomicU64,
}

impl Storage {
    /// Wraps data.
    pub fn new(data: StorageData) -> Storage {
        Storage {
            data: RwLock::new(data),
            version: AtomicU64::new(0),
        }
    }

    /// Locks for reading.
    pub fn read(&self) -> RwLockReadGuard<'_, StorageData> {
        self.data.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Locks for writing and bumps the version.
    pub fn write(&self) -> RwLockWriteGuard<'_, StorageData> {
        self.version.fetch_add(1, Ordering::Relaxed);
        self.data.write().unwrap_or_else(|e| e.into_inner())
    }

    /// How many times the storage was written in place.
    pub fn version(&self) -> u64 {
        self.version.load(Ordering::Relaxed)
    }

    /// The dtype of the elements.
    pub fn dtype(&self) -> DType {
        self.read().dtype()
    }
}

impl Drop for Storage {
    /// Large buffers go back to [`crate::buffers`] for the next op's output.
    fn drop(&mut self) {
        let data = self.data.get_mut().unwrap_or_else(|e| e.into_inner());
        crate::buffers::recycle(std::mem::replace(data, StorageData::Bool(Vec::new())));
    }
}
