//! Software prefetch for the streaming loops.
//!
//! Measured on the 2-core AVX-512 machine (BENCHMARKS.md): with 10^7-element slices (40 MB,
//! beyond L2), f32 `expm1` ran at 0.74 Gelem/s per thread without prefetch against 1.96
//! when the data sat in L2; asking for the lines 4 KiB ahead brought it to about 1.6. The
//! hardware prefetcher alone does not keep up with a loop that spends this long per line.
//! The row kernels (softmax, log_softmax, logsumexp) do not prefetch: they pass over each
//! row several times while it sits in L1, and asking for the next row 4 KiB ahead made them
//! 13-50% slower per thread at `[10000, 1000]` (2026-12-07, same process, alternating);
//! the hardware prefetcher keeps up with their first pass. In that measurement the
//! elementwise loops (f32 `expm1`, `exp`, `tanh`, the `High` sigmoid) ran within a few
//! percent of the same speed with and without their prefetch, which stays.
//! Prefetches never fault, so reading past the end of a slice is harmless; the addresses
//! are formed with `wrapping_add` and never dereferenced.

/// How far ahead of the current element the loops ask for memory, in bytes.
const AHEAD: usize = 4096;

/// Asks for the lines `AHEAD` bytes past `src .. src + n` (to read) and past
/// `dst .. dst + n` (to write). Either may be null: it is then skipped. No effect on
/// targets without a prefetch instruction in `core::arch`.
#[inline(always)]
pub(crate) fn prefetch_ahead<T>(src: *const T, dst: *mut T, n: usize) {
    #[cfg(target_arch = "x86_64")]
    {
        use core::arch::x86_64::{_mm_prefetch, _MM_HINT_ET0, _MM_HINT_T0};
        let bytes = n * core::mem::size_of::<T>();
        let (src, dst) = (src as *const i8, dst as *const i8);
        let mut off = 0;
        while off < bytes {
            // SAFETY: prefetch instructions do not access memory architecturally and never
            // fault, whatever the address.
            unsafe {
                if !src.is_null() {
                    _mm_prefetch::<_MM_HINT_T0>(src.wrapping_add(AHEAD + off));
                }
                if !dst.is_null() {
                    _mm_prefetch::<_MM_HINT_ET0>(dst.wrapping_add(AHEAD + off));
                }
            }
            off += 64;
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (src, dst, n);
}
