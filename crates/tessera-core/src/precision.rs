//! The f32 elementwise precision: correctly rounded by default, or at most 1 ULP at SIMD
//! speed when the user asks for it, the way `torch.set_float32_matmul_precision` lets a
//! PyTorch user trade matmul precision for speed.
//!
//! The setting is process-wide ([`set_float32_elementwise_precision`]); a guard
//! ([`float32_elementwise_precision`]) overrides it on the current thread for a block and
//! restores the previous state when dropped, even on panic. An op reads it once, on the
//! calling thread, before it splits its work across the pool, so every chunk of one op
//! runs the same kernel and the bits do not depend on the number of threads.
//!
//! It covers the f32 forms of `exp`, `expm1`, `log`, `log1p`, `tanh`, `sigmoid`,
//! `softplus` and the row ops `softmax`, `log_softmax`, `logsumexp` (and what is built on
//! them); other ops and every f64 op are the same in both modes.

use std::cell::Cell;
use std::sync::atomic::{AtomicU8, Ordering};

/// How f32 elementwise functions are computed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Precision {
    /// Correctly rounded: the exact result rounded once to f32, proven over all 2^32
    /// inputs (ACCURACY.md). The default.
    #[default]
    Highest,
    /// At most 1 ULP from the exact result on every f32 input (faithful rounding), computed
    /// in f32 lanes: faster. NaN, ±inf, ±0, subnormals and the overflow and underflow
    /// thresholds are exactly as in `Highest`. Bit-identical on every SIMD backend.
    High,
}

impl Precision {
    /// PyTorch's spelling: `"highest"` or `"high"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Precision::Highest => "highest",
            Precision::High => "high",
        }
    }

    /// Parses PyTorch's spelling (`"highest"`, `"high"`), as
    /// `torch.set_float32_matmul_precision` takes it.
    pub fn parse(s: &str) -> Option<Precision> {
        match s {
            "highest" => Some(Precision::Highest),
            "high" => Some(Precision::High),
            _ => None,
        }
    }

    fn code(self) -> u8 {
        match self {
            Precision::Highest => 1,
            Precision::High => 2,
        }
    }

    fn from_code(c: u8) -> Option<Precision> {
        match c {
            1 => Some(Precision::Highest),
            2 => Some(Precision::High),
            _ => None,
        }
    }
}

static GLOBAL: AtomicU8 = AtomicU8::new(1);

thread_local! {
    /// A guard's override on this thread (0: none).
    static OVERRIDE: Cell<u8> = const { Cell::new(0) };
}

/// Sets the f32 elementwise precision for the whole process (named after
/// `torch.set_float32_matmul_precision`). A guard's override on a thread still wins there.
///
/// ```
/// use tessera_core::{get_float32_elementwise_precision, set_float32_elementwise_precision, Precision};
///
/// set_float32_elementwise_precision(Precision::High);
/// assert_eq!(get_float32_elementwise_precision(), Precision::High);
/// set_float32_elementwise_precision(Precision::Highest);
/// ```
pub fn set_float32_elementwise_precision(p: Precision) {
    GLOBAL.store(p.code(), Ordering::Relaxed);
}

/// The f32 elementwise precision ops called from this thread use now: the guard's
/// override if one is active here, else the process-wide setting.
pub fn get_float32_elementwise_precision() -> Precision {
    let local = OVERRIDE.with(|o| o.get());
    Precision::from_code(local)
        .or_else(|| Precision::from_code(GLOBAL.load(Ordering::Relaxed)))
        .unwrap_or_default()
}

/// Restores the previous precision of this thread when dropped.
#[must_use = "the precision is restored when the guard is dropped"]
pub struct PrecisionGuard {
    previous: u8,
}

impl Drop for PrecisionGuard {
    fn drop(&mut self) {
        OVERRIDE.with(|o| o.set(self.previous));
    }
}

/// Uses precision `p` for f32 elementwise ops on this thread until the guard is dropped
/// (like `no_grad`). Guards nest; dropping one, also by unwinding from a panic, restores
/// what was there before.
///
/// ```
/// use tessera_core::{float32_elementwise_precision, get_float32_elementwise_precision, tensor, Precision};
///
/// let x = tensor!([0.5, 1.0]);
/// {
///     let _fast = float32_elementwise_precision(Precision::High);
///     assert_eq!(get_float32_elementwise_precision(), Precision::High);
///     let y = x.expm1(); // within 1 ULP
///     assert!((y.get::<f32>(&[0]) - 0.648_721_3).abs() < 1e-6);
/// }
/// assert_eq!(get_float32_elementwise_precision(), Precision::Highest);
/// ```
pub fn float32_elementwise_precision(p: Precision) -> PrecisionGuard {
    let previous = OVERRIDE.with(|o| o.replace(p.code()));
    PrecisionGuard { previous }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guards_nest_and_restore_on_panic() {
        assert_eq!(get_float32_elementwise_precision(), Precision::Highest);
        {
            let _a = float32_elementwise_precision(Precision::High);
            {
                let _b = float32_elementwise_precision(Precision::Highest);
                assert_eq!(get_float32_elementwise_precision(), Precision::Highest);
            }
            assert_eq!(get_float32_elementwise_precision(), Precision::High);
            let r = std::panic::catch_unwind(|| {
                let _c = float32_elementwise_precision(Precision::Highest);
                panic!("inside");
            });
            assert!(r.is_err());
            assert_eq!(get_float32_elementwise_precision(), Precision::High);
        }
        assert_eq!(get_float32_elementwise_precision(), Precision::Highest);
        // Another thread sees the process-wide setting, not this thread's guard.
        let _g = float32_elementwise_precision(Precision::High);
        let other = std::thread::spawn(get_float32_elementwise_precision)
            .join()
            .unwrap();
        assert_eq!(other, Precision::Highest);
    }

    #[test]
    fn names_are_pytorchs() {
        for p in [Precision::Highest, Precision::High] {
            assert_eq!(Precision::parse(p.as_str()), Some(p));
        }
        assert_eq!(Precision::parse("medium"), None);
    }
}
