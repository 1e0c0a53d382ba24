//! Work items of a matrix product shared between the calling thread and the pool, handed
//! out one at a time from a counter.
//!
//! Hand-rolled on top of rayon's `spawn` (rayon has no loop of this shape) because of two
//! costs measured in `pool().install` plus a static split:
//! - `install` sends the whole loop to the pool and puts the calling thread to sleep until
//!   it is done: two thread wake-ups per call, each several microseconds, on products
//!   that take 20-50 us (`64 x [32, 32] @ [32, 32]`).
//! - A static split (half the work per thread, as rayon's indexed loops and gemm's own
//!   threading do) makes the call as slow as its latest thread: a worker that wakes late,
//!   or whose core is busy, turns a 2-thread product into a 1-thread one plus the wait.
//!
//! Here the calling thread starts on the items at once, helpers join when they wake, and
//! each takes the next item when it finishes one, so a late helper takes fewer items
//! instead of delaying the call. The caller returns when every item is done; a helper that
//! wakes after that finds no item left and touches nothing but the shared counter.

use crate::runtime::pool::{pool, usable_threads};
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// The items' state, shared with the helper jobs (which may outlive the call).
struct Shared {
    /// The next item to hand out (may run past `n`).
    next: AtomicUsize,
    /// How many items are finished.
    done: AtomicUsize,
    n: usize,
    /// The item body, its lifetime erased (see `for_each_item`'s SAFETY comment).
    body: *const (dyn Fn(usize) + Sync),
    /// The calling thread, woken when the last item finishes.
    caller: std::thread::Thread,
    /// Whether an item panicked on a helper, and the payload of the first panic.
    panicked: AtomicBool,
    payload: Mutex<Option<Box<dyn std::any::Any + Send>>>,
}

// SAFETY: `body` points to a `Sync` closure (so calling it from several threads is
// allowed); every other field is `Send + Sync`. The pointer is dereferenced only while the
// closure is alive (see `for_each_item`).
unsafe impl Send for Shared {}
// SAFETY: as above.
unsafe impl Sync for Shared {}

impl Shared {
    /// Takes items until none is left. A panic in an item is caught, its payload kept
    /// (the first one) and the item counted as done.
    fn work(&self) {
        loop {
            let i = self.next.fetch_add(1, Ordering::Relaxed);
            if i >= self.n {
                return;
            }
            // SAFETY: item `i < n` was claimed by this thread, and the caller of
            // `for_each_item` does not return (so the closure stays alive) until `done`
            // counts it, which happens below, after the call.
            let body = unsafe { &*self.body };
            if let Err(p) = catch_unwind(AssertUnwindSafe(|| body(i))) {
                self.panicked.store(true, Ordering::Relaxed);
                let mut slot = self.payload.lock().unwrap_or_else(|e| e.into_inner());
                slot.get_or_insert(p);
            }
            if self.done.fetch_add(1, Ordering::AcqRel) + 1 == self.n {
                self.caller.unpark();
            }
        }
    }
}

/// Runs `body(i)` for every `i` in `0..n`, on the calling thread and up to
/// `usable_threads() - 1` workers of the pool, each taking the next item when it finishes
/// one. Returns when all items are done. On a worker of any rayon pool, or with one
/// thread, every item runs on the calling thread.
///
/// # Panics
/// If `body` panics, after all items are done, with the first panic's payload.
pub(super) fn for_each_item(n: usize, body: &(dyn Fn(usize) + Sync)) {
    let helpers = usable_threads().saturating_sub(1).min(n.saturating_sub(1));
    if helpers == 0 || rayon::current_thread_index().is_some() {
        // A rayon worker must not block waiting for other jobs (it would hold up its pool),
        // and nested products are parallel already at the outer level.
        return (0..n).for_each(body);
    }
    // SAFETY (lifetime erasure): `body` is only called through `Shared::work` for a
    // claimed item `i < n`, and this function does not return before `done == n`, i.e.
    // before every such call has returned; a helper that starts later claims `i >= n` and
    // never dereferences the pointer. A panic in an item is caught in `work`, so the wait
    // below is always reached.
    let body: *const (dyn Fn(usize) + Sync + '_) = body;
    let body: *const (dyn Fn(usize) + Sync + 'static) = unsafe { std::mem::transmute(body) };
    let shared = Arc::new(Shared {
        next: AtomicUsize::new(0),
        done: AtomicUsize::new(0),
        n,
        body,
        caller: std::thread::current(),
        panicked: AtomicBool::new(false),
        payload: Mutex::new(None),
    });
    let p = pool();
    for _ in 0..helpers {
        let s = Arc::clone(&shared);
        p.spawn(move || s.work());
    }
    shared.work();
    // The last items may still run on helpers: spin briefly (they are short), then sleep
    // until the helper that finishes the last one wakes this thread.
    let mut spins = 0u32;
    while shared.done.load(Ordering::Acquire) != n {
        if spins < 2000 {
            spins += 1;
            std::hint::spin_loop();
        } else {
            std::thread::park();
        }
    }
    if shared.panicked.load(Ordering::Relaxed) {
        let p = shared
            .payload
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        resume_unwind(p.unwrap_or_else(|| Box::new("matmul: a work item panicked")));
    }
}

#[cfg(test)]
mod tests {
    use super::for_each_item;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn every_item_runs_once() {
        for n in [0, 1, 2, 3, 1000] {
            let hits: Vec<AtomicUsize> = (0..n).map(|_| AtomicUsize::new(0)).collect();
            for_each_item(n, &|i| {
                hits[i].fetch_add(1, Ordering::Relaxed);
            });
            assert!(
                hits.iter().all(|h| h.load(Ordering::Relaxed) == 1),
                "n = {n}"
            );
        }
    }

    /// A panicking item does not stop the others, and the call panics after all are done
    /// (so no item outlives the data it borrows), with the item's message.
    #[test]
    fn a_panic_surfaces_after_every_item() {
        let done = AtomicUsize::new(0);
        let r = std::panic::catch_unwind(|| {
            for_each_item(200, &|i| {
                if i == 37 {
                    panic!("item 37 failed");
                }
                std::thread::yield_now();
                done.fetch_add(1, Ordering::Relaxed);
            })
        });
        let msg = r.expect_err("the panic must surface");
        assert_eq!(msg.downcast_ref::<&str>(), Some(&"item 37 failed"));
        assert_eq!(done.load(Ordering::Relaxed), 199);
    }
}
