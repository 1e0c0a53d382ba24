//! Scratch buffers kept per thread between calls.
//!
//! A large matrix's working copies (its LU, the inverse's scratch, the padded blocks of
//! a solve) are a few MiB each. Freed, they go back to the system (the allocator trims
//! the heap or unmaps them) and the next call faults every page in again: `inv` of a
//! 512x512 f64 matrix took 512 page faults per call, about 0.2 ms of its 3.3 on the
//! benchmark machine. Buffers up to [`KEEP_BYTES`] are kept here instead, a few per
//! thread and element type.

use crate::scalar::Float;
use std::any::Any;
use std::cell::RefCell;

/// Largest buffer kept, in bytes (a 1024x1024 f64 matrix with padding).
const KEEP_BYTES: usize = 9 << 20;
/// Buffers kept per thread.
const KEEP: usize = 4;

thread_local! {
    static SPARE: RefCell<Vec<Box<dyn Any>>> = const { RefCell::new(Vec::new()) };
}

/// A buffer of `len` elements with unspecified (initialized) contents: a kept one of
/// this thread when there is one, else a new one.
pub(crate) fn take<T: Float>(len: usize) -> Vec<T> {
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
            v.resize(len, T::ZERO);
            v
        }
        None => vec![T::ZERO; len],
    }
}

/// Keeps `v` for a later [`take`] on this thread unless it is too large or enough are
/// kept already (then it is freed).
pub(crate) fn give_back<T: 'static>(v: Vec<T>) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_are_reused_and_resized() {
        let mut v = take::<f64>(1000);
        v[7] = 3.0;
        let p = v.as_ptr();
        give_back(v);
        // The same buffer comes back, shorter, with its old contents.
        let v = take::<f64>(10);
        assert_eq!((v.as_ptr(), v.len(), v[7]), (p, 10, 3.0));
        give_back(v);
        // Longer: the new elements are zero.
        let v = take::<f64>(2000);
        assert_eq!(v.len(), 2000);
        assert!(v[1000..].iter().all(|&x| x == 0.0));
        // Another element type does not take it.
        let w = take::<f32>(5);
        assert_eq!(w.len(), 5);
        give_back(w);
        give_back(v);
        // Too large to keep: freed, never handed out again.
        give_back(vec![0.0f64; KEEP_BYTES / 8 + 1]);
        assert!(take::<f64>(1).capacity() < KEEP_BYTES / 8 + 1);
    }
}
