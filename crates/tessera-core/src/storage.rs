//! Storage: the buffer that tensors and their views share, and its locks (the typed data
//! and its allocation are in `data`).
//!
//! # Invariants that `unsafe` code relies on
//! - A storage's length and dtype never change after [`Storage::new`]: the guards give
//!   shared access to [`StorageData`] and mutable access to its *elements* only, never
//!   to the vector itself, so safe code cannot shrink or replace a buffer under a live
//!   tensor. [`Storage::len`] and [`Storage::dtype`] are read without the lock.
//! - Every tensor's layout reaches at most [`Storage::len`] elements (checked once in
//!   `Tensor`'s constructors with the overflow-checked [`crate::Layout`] arithmetic).
//!
//! # Locking, and why it cannot deadlock
//! Each storage sits behind a reader-writer lock. Readers never wait for a writer that is
//! only *waiting* (a read is granted while other reads are held, even with a writer
//! queued), and a thread holding a write lock may take no other storage lock, while a
//! thread may take a write lock only when it holds no storage lock at all. So a thread
//! that waits while holding locks holds only read locks and waits for an active writer,
//! which holds one lock and waits for nothing: there is no cycle. Breaking either rule is
//! a panic that names the op (for example an in-place write to a tensor from inside the
//! closure of [`crate::Tensor::with_contiguous`] on the same storage), never a hang.

pub(crate) use crate::data::{
    alloc_capacity, alloc_filled, alloc_from_fn, alloc_zeroed, out_of_memory, try_with_capacity,
};
pub use crate::data::{StorageData, StorageElement};
use crate::DType;
use parking_lot::{RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};

/// What a thread holds: the storage's address and whether for writing.
type Held = (usize, bool);

thread_local! {
    static HELD: RefCell<Vec<Held>> = const { RefCell::new(Vec::new()) };
}

/// A registration in [`HELD`], removed on drop. Not `Send` (so neither are the guards
/// that hold one): it must be dropped on the thread that registered it.
struct HeldToken(usize, bool, std::marker::PhantomData<*const ()>);

impl HeldToken {
    /// Registers `at`, first checking the locking rules (module docs).
    fn acquire(at: usize, write: bool, op: &str) -> HeldToken {
        Self::check(at, write, op);
        Self::register(at, write)
    }

    /// Registers `at` without checking: for the second lock of [`lock_for_out`].
    fn register(at: usize, write: bool) -> HeldToken {
        HELD.with(|h| h.borrow_mut().push((at, write)));
        HeldToken(at, write, std::marker::PhantomData)
    }

    /// Panics if taking `at` (for writing if `write`) would break the locking rules.
    fn check(at: usize, write: bool, op: &str) {
        HELD.with(|h| {
            let h = h.borrow();
            if let Some(&(other, _)) = h.iter().find(|e| e.1) {
                let what = if other == at {
                    "this tensor's storage"
                } else {
                    "another storage"
                };
                panic!(
                    "{op}: this thread holds a write lock on {what} (Storage::write); release it before using tensors: waiting for another lock while holding it could deadlock"
                );
            }
            if write && !h.is_empty() {
                let same = h.iter().any(|e| e.0 == at);
                panic!(
                    "{op}: cannot write to a tensor while this thread is reading {} (inside the closure of with_contiguous, or holding Storage::read); the write would wait for that read forever. Copy the values out first (to_vec), or clone the tensor",
                    if same {
                        "the same storage"
                    } else {
                        "a storage"
                    }
                );
            }
        });
    }
}

impl Drop for HeldToken {
    fn drop(&mut self) {
        // `try_with`: a guard may be dropped while the thread's locals are torn down.
        let _ = HELD.try_with(|h| {
            let mut h = h.borrow_mut();
            if let Some(i) = h.iter().rposition(|e| *e == (self.0, self.1)) {
                h.swap_remove(i);
            }
        });
    }
}

/// Shared access to a storage's data (see [`Storage::read`]).
pub struct StorageReadGuard<'a> {
    guard: RwLockReadGuard<'a, StorageData>,
    _held: HeldToken,
}

impl std::ops::Deref for StorageReadGuard<'_> {
    type Target = StorageData;
    fn deref(&self) -> &StorageData {
        &self.guard
    }
}

/// Exclusive access to a storage's elements (see [`Storage::write`]): the elements can be
/// changed, the buffer's length and dtype cannot.
pub struct StorageWriteGuard<'a> {
    guard: RwLockWriteGuard<'a, StorageData>,
    _held: HeldToken,
}

impl std::ops::Deref for StorageWriteGuard<'_> {
    type Target = StorageData;
    fn deref(&self) -> &StorageData {
        &self.guard
    }
}

impl StorageWriteGuard<'_> {
    /// The elements as a mutable slice, if they are of type `T`.
    pub fn slice_mut<T: StorageElement>(&mut self) -> Option<&mut [T]> {
        T::slice_mut(&mut self.guard)
    }
}

/// A buffer shared by a tensor and all its views, with a version counter that every
/// in-place write bumps (autograd uses it to detect a modified saved tensor).
///
/// Its length and dtype are fixed when it is made.
#[derive(Debug)]
pub struct Storage {
    data: RwLock<StorageData>,
    len: usize,
    dtype: DType,
    version: AtomicU64,
}

impl Storage {
    /// Wraps data.
    pub fn new(data: StorageData) -> Storage {
        Storage {
            len: data.len(),
            dtype: data.dtype(),
            data: RwLock::new(data),
            version: AtomicU64::new(0),
        }
    }

    /// Locks for reading. A thread may hold several read locks, on one storage or many.
    ///
    /// # Panics
    /// If this thread holds a write lock (module docs: that could deadlock).
    pub fn read(&self) -> StorageReadGuard<'_> {
        self.read_for("Storage::read")
    }

    /// Locks for writing and bumps the version.
    ///
    /// # Panics
    /// If this thread already holds a lock on any storage (module docs: that could deadlock).
    pub fn write(&self) -> StorageWriteGuard<'_> {
        self.write_for("Storage::write")
    }

    /// [`Storage::read`], naming `op` in its panic.
    pub(crate) fn read_for(&self, op: &str) -> StorageReadGuard<'_> {
        let held = HeldToken::acquire(self as *const Storage as usize, false, op);
        StorageReadGuard {
            // Recursive: granted while other reads are held, even if a writer waits.
            guard: self.data.read_recursive(),
            _held: held,
        }
    }

    /// [`Storage::write`], naming `op` in its panic.
    pub(crate) fn write_for(&self, op: &str) -> StorageWriteGuard<'_> {
        let held = HeldToken::acquire(self as *const Storage as usize, true, op);
        self.version.fetch_add(1, Ordering::Relaxed);
        StorageWriteGuard {
            guard: self.data.write(),
            _held: held,
        }
    }

    /// How many times the storage was written in place.
    pub fn version(&self) -> u64 {
        self.version.load(Ordering::Relaxed)
    }

    /// The dtype of the elements.
    pub fn dtype(&self) -> DType {
        self.dtype
    }

    /// Number of elements (fixed for the storage's life).
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the storage has no elements.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// Locks `reads` for reading and `dst` for writing, all in one global order (by address),
/// for an op that reads some storages and writes its result into another (`exp_out`,
/// `add_out`). The only way to hold a write lock together with other locks: the thread
/// must hold no storage lock before, and acquiring in one order keeps such ops from
/// waiting on each other in a cycle (module docs). The read guards come back in the order
/// of `reads` (a storage given twice is read-locked twice, which recursive reads allow).
///
/// # Panics
/// If `dst` is one of `reads` (the caller handles aliasing), or this thread already holds
/// a storage lock.
pub(crate) fn lock_for_out<'a>(
    op: &str,
    reads: &[&'a Storage],
    dst: &'a Storage,
) -> (Vec<StorageReadGuard<'a>>, StorageWriteGuard<'a>) {
    let addr = |s: &Storage| s as *const Storage as usize;
    assert!(
        reads.iter().all(|r| addr(r) != addr(dst)),
        "{op}: internal error: the output storage is also an input; alias it first"
    );
    HeldToken::check(addr(dst), true, op);
    let mut order: Vec<usize> = (0..reads.len()).collect();
    order.sort_by_key(|&i| addr(reads[i]));
    let mut slots: Vec<Option<StorageReadGuard<'a>>> = reads.iter().map(|_| None).collect();
    let mut write = None;
    let take_write = || {
        dst.version.fetch_add(1, Ordering::Relaxed);
        StorageWriteGuard {
            guard: dst.data.write(),
            _held: HeldToken::register(addr(dst), true),
        }
    };
    for i in order {
        let s = reads[i];
        if write.is_none() && addr(dst) < addr(s) {
            write = Some(take_write());
        }
        slots[i] = Some(StorageReadGuard {
            guard: s.data.read_recursive(),
            _held: HeldToken::register(addr(s), false),
        });
    }
    let write = write.unwrap_or_else(take_write);
    let guards = slots
        .into_iter()
        .map(|g| g.expect("every read is locked"))
        .collect();
    (guards, write)
}

impl Drop for Storage {
    /// Large buffers go back to the runtime's buffer cache (`runtime::buffers`) for the next op's output.
    fn drop(&mut self) {
        let data = self.data.get_mut();
        crate::runtime::recycle(std::mem::replace(data, StorageData::Bool(Vec::new())));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guards_track_what_the_thread_holds() {
        let s = Storage::new(StorageData::F32(vec![1.0, 2.0]));
        {
            let a = s.read();
            let b = s.read(); // recursive reads are fine
            assert_eq!(a.len() + b.len(), 4);
        }
        {
            let mut w = s.write();
            w.slice_mut::<f32>().unwrap()[0] = 5.0;
            assert!(w.slice_mut::<f64>().is_none());
        }
        assert_eq!(f32::slice(&s.read()).unwrap(), &[5.0, 2.0]);
        assert_eq!((s.len(), s.dtype(), s.version()), (2, DType::F32, 1));
        HELD.with(|h| assert!(h.borrow().is_empty()));
    }

    #[test]
    #[should_panic(
        expected = "cannot write to a tensor while this thread is reading the same storage"
    )]
    fn write_while_reading_panics() {
        let s = Storage::new(StorageData::F32(vec![1.0]));
        let _r = s.read();
        let _w = s.write();
    }

    #[test]
    #[should_panic(expected = "holds a write lock on another storage")]
    fn lock_while_writing_panics() {
        let (a, b) = (
            Storage::new(StorageData::F32(vec![1.0])),
            Storage::new(StorageData::F32(vec![1.0])),
        );
        let _w = a.write();
        let _r = b.read();
    }
}
