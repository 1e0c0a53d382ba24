//! Reuse of large tensor buffers.
//!
//! glibc maps every large allocation afresh when the same size was just freed (its dynamic
//! mmap threshold rises to the freed size, and a request of that size is mapped again), so
//! each new 4 MB output paid its page faults: a zeroed 4 MB vector took 146 us against
//! 15 us for 1 MB, which the heap reuses, and softmax over a [1000, 1000] f32 tensor spent
//! a quarter of its time there. Mid-sized buffers fare little better when many are in
//! flight: the heap grows and is trimmed back around them, and one training step of the
//! examples' small CNN (outputs of 64 KiB to 512 KiB) took about 450 page faults. Storages
//! of at least [`MIN_BYTES`] are therefore kept when dropped, at most [`MAX_ITEMS`] of
//! them and [`MAX_BYTES`] in all (the oldest go first), and handed to the next op that
//! needs an output of nearly that size (at most 1/8 larger). [`release_cached_buffers`]
//! gives them back to the allocator.

use crate::data::{StorageData, StorageElement};
use std::sync::Mutex;

/// Buffers below this size are left to the allocator, which reuses them well.
pub const MIN_BYTES: usize = 128 << 10;
/// At most this many bytes are kept.
pub const MAX_BYTES: usize = 256 << 20;
/// At most this many buffers are kept (a lookup scans them all).
pub const MAX_ITEMS: usize = 64;

struct Cache {
    items: Vec<StorageData>,
    bytes: usize,
}

static CACHE: Mutex<Cache> = Mutex::new(Cache {
    items: Vec::new(),
    bytes: 0,
});

fn cache() -> std::sync::MutexGuard<'static, Cache> {
    CACHE.lock().unwrap_or_else(|e| e.into_inner())
}

fn bytes_of(d: &StorageData) -> usize {
    d.len() * d.dtype().size_in_bytes()
}

/// Keeps `data` for reuse if it is large (making room by dropping the oldest kept
/// buffers); drops it otherwise.
pub(crate) fn recycle(data: StorageData) {
    let bytes = bytes_of(&data);
    // Borrowed elements are no buffer to reuse: dropping them releases the owner.
    if !(MIN_BYTES..=MAX_BYTES).contains(&bytes) || data.is_shared() {
        return;
    }
    let evicted = {
        let mut c = cache();
        let mut k = 0;
        let mut freed = 0;
        while k < c.items.len()
            && (c.items.len() - k >= MAX_ITEMS || c.bytes - freed + bytes > MAX_BYTES)
        {
            freed += bytes_of(&c.items[k]);
            k += 1;
        }
        c.bytes = c.bytes - freed + bytes;
        let evicted: Vec<StorageData> = c.items.drain(..k).collect();
        c.items.push(data);
        evicted
    };
    // Freed outside the lock: unmapping a large buffer is a system call.
    drop(evicted);
}

/// A kept buffer of `n` elements of `T` (truncated from at most `n + n/8`), if any. Its
/// values are whatever the previous tensor held: the caller overwrites every element.
pub(crate) fn take<T: StorageElement>(n: usize) -> Option<Vec<T>> {
    let mut c = cache();
    // The most recently kept first: its memory is the likeliest to be in cache.
    let i = c
        .items
        .iter()
        .rposition(|d| d.dtype() == T::DTYPE && d.len() >= n && d.len() - n <= n / 8)?;
    let data = c.items.remove(i);
    c.bytes -= bytes_of(&data);
    drop(c);
    let mut v = T::into_vec(data).expect("dtype checked above");
    v.truncate(n);
    Some(v)
}

/// Frees the buffers kept for reuse (up to 64 dropped tensors' storages, 256 MiB), like
/// `torch.cuda.empty_cache` does for PyTorch's caching allocator. Returns the bytes freed.
///
/// ```
/// let freed = tessera_core::release_cached_buffers();
/// assert_eq!(tessera_core::cached_buffer_bytes(), 0);
/// # let _ = freed;
/// ```
pub fn release_cached_buffers() -> usize {
    let items = {
        let mut c = cache();
        c.bytes = 0;
        std::mem::take(&mut c.items)
    };
    items.iter().map(bytes_of).sum()
}

/// How many bytes of dropped tensors are kept for reuse right now.
pub fn cached_buffer_bytes() -> usize {
    cache().bytes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Tensor;

    #[test]
    fn a_dropped_output_is_reused_and_fully_overwritten() {
        // An odd size no other test uses, so the parallel tests do not take it.
        let n = (MIN_BYTES / 8) + 12_345;
        let a = Tensor::full(&[n], 7.0).to_dtype(crate::DType::F64);
        let b = a.exp();
        let p = b.with_contiguous(|s: &[f64]| s.as_ptr() as usize);
        drop(b);
        // Same size again: the buffer comes back, and every element is the new result.
        let c = a.neg();
        let q = c.with_contiguous(|s: &[f64]| s.as_ptr() as usize);
        assert_eq!(p, q);
        assert!(c.to_vec::<f64>().iter().all(|&v| v == -7.0));
        // Small buffers are not kept; release empties the cache.
        drop(c);
        assert!(cached_buffer_bytes() >= n * 8);
        release_cached_buffers();
        drop(Tensor::zeros(&[10]));
        assert!(take::<f64>(n).is_none());
    }
}
