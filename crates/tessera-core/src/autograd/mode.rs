//! Grad mode: a thread-local switch that `no_grad` turns off, as `torch.no_grad()`.

use std::cell::Cell;

thread_local! {
    static DISABLED: Cell<usize> = const { Cell::new(0) };
}

/// Whether ops record gradients on this thread (`torch.is_grad_enabled()`).
pub fn is_grad_enabled() -> bool {
    DISABLED.with(|d| d.get() == 0)
}

/// Turns gradient recording off on this thread until dropped (`torch.no_grad()`).
/// Guards nest; [`enable_grad`] turns it back on inside.
#[must_use = "grad mode is restored when the guard is dropped"]
pub struct NoGradGuard {
    previous: usize,
}

/// Starts a `no_grad` region: ops inside record no graph.
///
/// ```
/// use tessera_core::{autograd, tensor};
/// let w = tensor!([1.0, 2.0]);
/// w.requires_grad_(true);
/// {
///     let _g = autograd::no_grad();
///     assert!(!(&w * 2.0).requires_grad());
/// }
/// assert!((&w * 2.0).requires_grad());
/// ```
pub fn no_grad() -> NoGradGuard {
    DISABLED.with(|d| {
        let previous = d.get();
        d.set(previous + 1);
        NoGradGuard { previous }
    })
}

/// Turns recording back on inside a `no_grad` region until dropped (`torch.enable_grad()`).
pub fn enable_grad() -> NoGradGuard {
    DISABLED.with(|d| {
        let previous = d.get();
        d.set(0);
        NoGradGuard { previous }
    })
}

impl Drop for NoGradGuard {
    fn drop(&mut self) {
        DISABLED.with(|d| d.set(self.previous));
    }
}

/// Runs `f` with grad mode set to `enabled`.
pub(crate) fn with_grad_mode<R>(enabled: bool, f: impl FnOnce() -> R) -> R {
    let _g = if enabled { enable_grad() } else { no_grad() };
    f()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guards_nest() {
        assert!(is_grad_enabled());
        {
            let _a = no_grad();
            {
                let _b = no_grad();
                assert!(!is_grad_enabled());
                {
                    let _c = enable_grad();
                    assert!(is_grad_enabled());
                }
                assert!(!is_grad_enabled());
            }
            assert!(!is_grad_enabled());
        }
        assert!(is_grad_enabled());
    }
}
