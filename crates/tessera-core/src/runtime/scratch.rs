//! Scratch memory kept per thread between calls: an algorithm's working copies (an LU
//! factorization, the padded blocks of a solve) that never become a tensor themselves.
//!
//! A large matrix's working copies are a few MiB each. Freed, they go back to the system
//! (the allocator trims the heap or unmaps them) and the next call faults every page in
//! again: `inv` of a 512x512 f64 matrix took 512 page faults per call, about 0.2 ms of its
//! 3.3 on the benchmark machine. Buffers up to [`KEEP_BYTES`] are kept instead, [`KEEP`]
//! per thread.
//!
//! A kept buffer is handed out **zeroed**, so no call sees another call's values: zeroing
//! costs one pass over memory that is already mapped and cached, a few percent of the
//! factorizations that use it, and it makes reuse safe without any caller's care.
//!
//! ```
//! use tessera_core::runtime::scratch;
//!
//! let sum = scratch::with(1000, |buf: &mut [f64]| {
//!     assert!(buf.iter().all(|&v| v == 0.0));
//!     buf[0] = 1.0;
//!     buf.iter().sum::<f64>()
//! });
//! assert_eq!(sum, 1.0);
//! ```

use std::any::Any;
use std::cell::RefCell;

/// Largest buffer kept, in bytes (a 1024x1024 f64 matrix with padding).
pub const KEEP_BYTES: usize = 9 << 20;
/// Buffers kept per thread.
pub const KEEP: usize = 4;

thread_local! {
    static SPARE: RefCell<Vec<Box<dyn Any>>> = const { RefCell::new(Vec::new()) };
}

/// A zeroed buffer of `len` elements: a kept one of this thread when there is one, else a
/// new one. Give it back with [`give_back`] when done (or drop it).
pub fn take<T: Copy + Default + 'static>(len: usize) -> Vec<T> {
    let kept = SPARE.with(|s| {
        let mut s = s.borrow_mut();
        // The largest kept buffer of `T`, so one big enough is reused when there is one.
        let i = (0..s.len())
            .filter_map(|i| s[i].downcast_ref::<Vec<T>>().map(|v| (v.capacity(), i)))
            .max()?
            .1;
        s.swap_remove(i).downcast::<Vec<T>>().ok().map(|b| *b)
    });
    match kept {
        Some(mut v) => {
            v.clear();
            v.resize(len, T::default());
            v
        }
        None => vec![T::default(); len],
    }
}

/// Keeps `v` for a later [`take`] on this thread, unless it is larger than [`KEEP_BYTES`]
/// or [`KEEP`] buffers are kept already (then it is freed).
pub fn give_back<T: 'static>(v: Vec<T>) {
    if v.capacity() * std::mem::size_of::<T>() > KEEP_BYTES {
        return;
    }
    SPARE.with(|s| {
        let mut s = s.borrow_mut();
        if s.len() < KEEP {
            s.push(Box::new(v));
        }
    });
}

/// Runs `f` on a zeroed scratch buffer of `len` elements ([`take`]), then keeps the buffer
/// for the next call ([`give_back`]).
pub fn with<T: Copy + Default + 'static, R>(len: usize, f: impl FnOnce(&mut [T]) -> R) -> R {
    let mut v = take::<T>(len);
    let r = f(&mut v);
    give_back(v);
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_are_reused_zeroed_and_resized() {
        let mut v = take::<f64>(1000);
        v[7] = 3.0;
        let p = v.as_ptr();
        give_back(v);
        // The same buffer comes back, shorter, and zeroed: no old value leaks.
        let v = take::<f64>(10);
        assert_eq!((v.as_ptr(), v.len()), (p, 10));
        assert!(v.iter().all(|&x| x == 0.0));
        give_back(v);
        // Longer: zero throughout.
        let v = take::<f64>(2000);
        assert_eq!(v.len(), 2000);
        assert!(v.iter().all(|&x| x == 0.0));
        // Another element type does not take it.
        let w = take::<f32>(5);
        assert_eq!(w.len(), 5);
        give_back(w);
        give_back(v);
        // Too large to keep: freed, never handed out again.
        give_back(vec![0.0f64; KEEP_BYTES / 8 + 1]);
        assert!(take::<f64>(1).capacity() < KEEP_BYTES / 8 + 1);
        assert_eq!(with(0, |b: &mut [u8]| b.len()), 0);
    }
}
