//! The typed buffer behind a storage ([`StorageData`]), the element types it holds
//! ([`StorageElement`]), and the fallible allocation of tensor buffers. Below both
//! [`crate::storage`] (the shared, locked storage) and `runtime::buffers` (the reuse of
//! large buffers), which both build on it.

use crate::{DType, Element};

/// The typed data of a storage: one owned variant per [`DType`], or elements borrowed
/// from another object's bytes ([`StorageData::Shared`], copied on the first write).
///
/// Read elements with [`StorageElement::slice`], which handles every variant; two
/// `StorageData` are equal when their dtypes and elements are.
#[derive(Clone, Debug)]
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
    /// Elements of any dtype borrowed without a copy from bytes another object owns (a
    /// memory-mapped file): see [`crate::shared`]. The first mutable access
    /// ([`StorageElement::slice_mut`]) replaces it with the owned variant of its dtype.
    Shared(crate::shared::SharedData),
}

impl PartialEq for StorageData {
    fn eq(&self, other: &StorageData) -> bool {
        self.dtype() == other.dtype()
            && crate::dispatch!(self.dtype(), T => T::slice(self) == T::slice(other))
    }
}

mod sealed {
    /// Only tessera's element types are storage elements: [`super::alloc_zeroed`]
    /// relies on every one of them being valid, and equal to its default, at all-zero bits.
    pub trait Sealed {}
}

/// Ties an [`Element`] to its [`StorageData`] variant. Implemented for `bool`, `u8`,
/// `i8`, `i32`, `i64`, `f32` and `f64` (sealed: no other type can implement it).
pub trait StorageElement: Element + sealed::Sealed {
    /// Wraps a vector.
    fn wrap(v: Vec<Self>) -> StorageData;
    /// The slice, if the data is of this type.
    fn slice(d: &StorageData) -> Option<&[Self]>;
    /// The mutable slice, if the data is of this type. Shared data
    /// ([`StorageData::Shared`]) is copied into an owned vector first.
    fn slice_mut(d: &mut StorageData) -> Option<&mut [Self]>;
    /// The vector, if the data is of this type (shared data is copied).
    fn into_vec(d: StorageData) -> Option<Vec<Self>>;
}

macro_rules! impl_storage_element {
    ($($t:ty => $v:ident),*) => {$(
        impl sealed::Sealed for $t {}
        impl StorageElement for $t {
            #[inline]
            fn wrap(v: Vec<Self>) -> StorageData { StorageData::$v(v) }
            #[inline]
            fn slice(d: &StorageData) -> Option<&[Self]> {
                match d {
                    StorageData::$v(v) => Some(v),
                    StorageData::Shared(s) => s.slice::<Self>(),
                    _ => None,
                }
            }
            #[inline]
            fn slice_mut(d: &mut StorageData) -> Option<&mut [Self]> {
                if let StorageData::Shared(s) = d {
                    // Copy on write: the owner's bytes are never written.
                    *d = StorageData::$v(s.to_vec::<Self>()?);
                }
                match d { StorageData::$v(v) => Some(v), _ => None }
            }
            #[inline]
            fn into_vec(d: StorageData) -> Option<Vec<Self>> {
                match d {
                    StorageData::$v(v) => Some(v),
                    StorageData::Shared(s) => s.to_vec::<Self>(),
                    _ => None,
                }
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
            StorageData::Shared(s) => s.dtype(),
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
    ///
    /// # Panics
    /// If the memory cannot be allocated (the message names `zeros` and the bytes).
    pub fn zeros(dtype: DType, n: usize) -> StorageData {
        crate::dispatch!(dtype, T => T::wrap(alloc_zeroed::<T>("zeros", &[n])))
    }
}

/// The bytes that `n` elements of `T` take, if that fits the address space.
fn bytes_for<T>(n: usize) -> Option<usize> {
    n.checked_mul(std::mem::size_of::<T>())
        .filter(|&b| b <= isize::MAX as usize)
}

/// Panics as PyTorch's allocator reports a failed allocation, naming the op.
#[cold]
#[track_caller]
pub(crate) fn out_of_memory(op: &str, shape: &[usize], dtype: DType) -> ! {
    let n = shape
        .iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .map_or("more than 2^64".to_string(), |n| n.to_string());
    let bytes = shape
        .iter()
        .try_fold(dtype.size_in_bytes(), |a, &d| a.checked_mul(d))
        .map_or("more than 2^64".to_string(), |b| b.to_string());
    panic!(
        "{op}: not enough memory: you tried to allocate {bytes} bytes ({n} elements of {dtype}, shape {shape:?})"
    )
}

/// An empty vector with room for `n` elements of `T`, or `None` if the memory cannot be had.
pub(crate) fn try_with_capacity<T>(n: usize) -> Option<Vec<T>> {
    bytes_for::<T>(n)?;
    let mut v = Vec::new();
    v.try_reserve_exact(n).ok()?;
    Some(v)
}

/// An empty vector with room for the elements of `shape`.
///
/// # Panics
/// If the memory cannot be allocated: the message names `op`, the bytes and the shape,
/// and the process lives on (an allocation failure would otherwise abort it).
#[track_caller]
pub(crate) fn alloc_capacity<T: StorageElement>(op: &str, shape: &[usize]) -> Vec<T> {
    let n = crate::layout::checked_numel(op, shape);
    try_with_capacity(n).unwrap_or_else(|| out_of_memory(op, shape, T::DTYPE))
}

/// `numel(shape)` copies of `v`.
///
/// # Panics
/// As [`alloc_capacity`].
#[track_caller]
pub(crate) fn alloc_filled<T: StorageElement>(op: &str, shape: &[usize], v: T) -> Vec<T> {
    let n = crate::layout::checked_numel(op, shape);
    let mut out = alloc_capacity::<T>(op, shape);
    out.resize(n, v);
    out
}

/// `f(0), f(1), ...` for the elements of `shape`.
///
/// # Panics
/// As [`alloc_capacity`].
#[track_caller]
pub(crate) fn alloc_from_fn<T: StorageElement>(
    op: &str,
    shape: &[usize],
    f: impl FnMut(usize) -> T,
) -> Vec<T> {
    let n = crate::layout::checked_numel(op, shape);
    let mut out = alloc_capacity::<T>(op, shape);
    out.extend((0..n).map(f));
    out
}

/// `numel(shape)` zeros, from zeroed memory (fresh pages stay untouched until used).
///
/// # Panics
/// As [`alloc_capacity`].
#[track_caller]
pub(crate) fn alloc_zeroed<T: StorageElement>(op: &str, shape: &[usize]) -> Vec<T> {
    let n = crate::layout::checked_numel(op, shape);
    try_zeroed::<T>(n).unwrap_or_else(|| out_of_memory(op, shape, T::DTYPE))
}

/// Allocations of at least this many bytes are backed by transparent huge pages (fewer
/// page faults and TLB misses when a large tensor is first written and then streamed).
pub(crate) const HUGE_OUTPUT: usize = 2 << 20;

/// Asks Linux to back the whole 2 MiB pages inside `v`'s allocation with huge pages.
pub(crate) fn advise_huge_pages<T>(v: &mut Vec<T>) {
    #[cfg(target_os = "linux")]
    {
        let bytes = v.capacity() * std::mem::size_of::<T>();
        let p = v.as_mut_ptr() as usize;
        let (start, end) = (
            (p + HUGE_OUTPUT - 1) & !(HUGE_OUTPUT - 1),
            (p + bytes) & !(HUGE_OUTPUT - 1),
        );
        if end > start {
            // SAFETY: the range lies inside the vector's allocation; madvise only
            // advises the kernel and never changes the memory's contents.
            unsafe {
                libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE);
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = v;
}

/// `n` zeros of `T`, or `None` if the memory cannot be had. From [`HUGE_OUTPUT`] bytes
/// on, the pages are advised to be huge ones (`zeros` of 10^7 f32 would otherwise be
/// streamed through 4 KiB pages while the ops' own outputs use 2 MiB ones).
pub(crate) fn try_zeroed<T: StorageElement>(n: usize) -> Option<Vec<T>> {
    bytes_for::<T>(n)?;
    if n == 0 {
        return Some(Vec::new());
    }
    let layout = std::alloc::Layout::array::<T>(n).ok()?;
    // SAFETY: `layout` has a nonzero size (n > 0 and no element type is zero-sized).
    // A non-null result is an allocation of the global allocator with exactly that layout,
    // which is what `Vec::from_raw_parts` needs for capacity `n`; all `n` elements are
    // initialized, since every `StorageElement` (a sealed set: bool, integers, floats) is
    // valid at all-zero bits, where it equals `T::default()`.
    let mut v = unsafe {
        let p = std::alloc::alloc_zeroed(layout) as *mut T;
        if p.is_null() {
            return None;
        }
        Vec::from_raw_parts(p, n, n)
    };
    if layout.size() >= HUGE_OUTPUT {
        advise_huge_pages(&mut v);
    }
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    // Miri stops at an impossible allocation instead of returning null.
    #[cfg_attr(miri, ignore)]
    fn zeroed_allocations_are_zero_and_fail_softly() {
        let v = try_zeroed::<f64>(1000).unwrap();
        assert!(v.iter().all(|&x| x == 0.0) && v.len() == 1000);
        assert!(try_zeroed::<bool>(3).unwrap().iter().all(|&b| !b));
        assert!(try_zeroed::<f32>(usize::MAX / 2).is_none());
        assert!(try_zeroed::<f32>(1 << 50).is_none());
        assert!(try_with_capacity::<i64>(1 << 60).is_none());
    }
}
