//! Runtime choice of the SIMD backend.
//!
//! The best backend the CPU has is detected once (cached in a `OnceLock`). Two ways force
//! another one, for tests and accuracy proofs:
//! - the environment variable `TESSERA_KERNELS_BACKEND` (`scalar`, `v3`, `v4` or `neon`),
//!   read once at the first kernel call;
//! - [`with_backend`], which forces a backend for the current thread inside a closure.
//!
//! Every backend computes bit-identical results (same operation sequence, real FMAs
//! everywhere), so forcing one only changes the speed.

use crate::simd::Lanes;
use std::cell::Cell;
use std::sync::OnceLock;

/// A SIMD instruction set the kernels can run on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Backend {
    /// Portable scalar code (one lane, software FMA if the CPU has none).
    Scalar,
    /// x86-64-v3: AVX2 + FMA, 4 f64 lanes.
    V3,
    /// x86-64-v4: AVX-512 (F, BW, CD, DQ, VL), 8 f64 lanes.
    V4,
    /// AArch64 NEON, 2 f64 lanes.
    Neon,
}

impl Backend {
    /// Parses `scalar`, `v3`, `v4` or `neon` (any case; `avx2` and `avx512` are accepted too).
    pub fn parse(name: &str) -> Option<Backend> {
        match name.trim().to_ascii_lowercase().as_str() {
            "scalar" => Some(Backend::Scalar),
            "v3" | "avx2" => Some(Backend::V3),
            "v4" | "avx512" => Some(Backend::V4),
            "neon" => Some(Backend::Neon),
            _ => None,
        }
    }

    /// Whether this CPU can run the backend.
    pub fn is_available(self) -> bool {
        match self {
            Backend::Scalar => true,
            #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
            Backend::V3 => pulp::x86::V3::try_new().is_some(),
            #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
            Backend::V4 => pulp::x86::V4::try_new().is_some(),
            #[cfg(target_arch = "aarch64")]
            Backend::Neon => pulp::aarch64::Neon::try_new().is_some(),
            #[allow(unreachable_patterns)]
            _ => false,
        }
    }
}

/// The backends this CPU can run, slowest first.
pub fn available_backends() -> Vec<Backend> {
    [Backend::Scalar, Backend::V3, Backend::V4, Backend::Neon]
        .into_iter()
        .filter(|b| b.is_available())
        .collect()
}

fn default_backend() -> Backend {
    static DEFAULT: OnceLock<Backend> = OnceLock::new();
    *DEFAULT.get_or_init(|| {
        if let Ok(name) = std::env::var("TESSERA_KERNELS_BACKEND") {
            match Backend::parse(&name) {
                Some(b) if b.is_available() => return b,
                _ => panic!(
                    "TESSERA_KERNELS_BACKEND={name:?}: unknown or unavailable here \
                     (available: {:?})",
                    available_backends()
                ),
            }
        }
        *available_backends()
            .last()
            .expect("scalar is always available")
    })
}

thread_local! {
    static FORCED: Cell<Option<Backend>> = const { Cell::new(None) };
}

/// The backend kernels called from this thread use now.
pub fn current_backend() -> Backend {
    FORCED.with(|f| f.get()).unwrap_or_else(default_backend)
}

/// Runs `f` with every kernel called on this thread forced to `backend`.
///
/// # Panics
/// If this CPU cannot run `backend`.
pub fn with_backend<R>(backend: Backend, f: impl FnOnce() -> R) -> R {
    assert!(
        backend.is_available(),
        "with_backend: {backend:?} is not available on this CPU (available: {:?})",
        available_backends()
    );
    struct Restore(Option<Backend>);
    impl Drop for Restore {
        fn drop(&mut self) {
            FORCED.with(|f| f.set(self.0));
        }
    }
    let _restore = Restore(FORCED.with(|f| f.replace(Some(backend))));
    f()
}

/// A computation generic over the backend.
pub(crate) trait LanesOp {
    type Output;
    fn run<S: Lanes>(self, s: S) -> Self::Output;
}

/// Adapts a [`LanesOp`] to pulp's `WithSimd` for one backend: pulp calls `with_simd`
/// inside a function compiled with the backend's target features, and the op runs (inlined
/// there) on the backend token `S` it carries. The token's type picks the code at compile
/// time; no runtime type test.
struct On<Op, S>(Op, S);

impl<Op: LanesOp, S: Lanes> pulp::WithSimd for On<Op, S> {
    type Output = Op::Output;
    #[inline(always)]
    fn with_simd<P: pulp::Simd>(self, _: P) -> Self::Output {
        self.0.run(self.1)
    }
}

/// A backend token, detected once: a kernel call on a short slice pays one cached load, not
/// a round of CPU feature checks.
fn token<T: Copy + Send + Sync + 'static>(
    cell: &'static OnceLock<Option<T>>,
    new: fn() -> Option<T>,
) -> T {
    cell.get_or_init(new)
        .expect("current_backend only returns available backends")
}

/// Runs `op` on the current backend.
#[inline]
pub(crate) fn dispatch<Op: LanesOp>(op: Op) -> Op::Output {
    use pulp::Simd;
    match current_backend() {
        #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
        Backend::V4 => {
            static V4: OnceLock<Option<pulp::x86::V4>> = OnceLock::new();
            let v4 = token(&V4, pulp::x86::V4::try_new);
            Simd::vectorize(v4, On(op, v4))
        }
        #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
        Backend::V3 => {
            static V3: OnceLock<Option<pulp::x86::V3>> = OnceLock::new();
            let v3 = token(&V3, pulp::x86::V3::try_new);
            Simd::vectorize(v3, On(op, v3))
        }
        #[cfg(target_arch = "aarch64")]
        Backend::Neon => {
            static NEON: OnceLock<Option<pulp::aarch64::Neon>> = OnceLock::new();
            let neon = token(&NEON, pulp::aarch64::Neon::try_new);
            Simd::vectorize(neon, On(op, neon))
        }
        _ => {
            let scalar = pulp::Scalar::new();
            Simd::vectorize(scalar, On(op, scalar))
        }
    }
}
