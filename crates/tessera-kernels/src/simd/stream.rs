//! Streaming (non-temporal) stores for large outputs of the elementwise slice drivers
//! ([`super::map::Map`], [`super::high::map::HighMap`]).
//!
//! A plain store to a line that is not in the cache first reads the line from memory (the
//! read-for-ownership) and writes it back later: 12 bytes of memory traffic per f32 element
//! of `y = f(x)` instead of 8. For outputs far beyond the caches, where the elementwise
//! kernels run near the memory bandwidth with 2 threads, the drivers write the bulk of the
//! slice with streaming stores instead (`vmovntps`/`vmovntpd` on AVX2 and AVX-512, see
//! [`super::Lanes::stream_f32s`]), which skip that read. The stored bits are the same as a
//! plain store's: only the path to memory changes.
//!
//! Small and medium outputs keep plain stores: a result that fits in the last-level cache
//! is likely read again soon, and a streaming store would push it out to memory. So do the
//! f32 kernels whose core is too slow to be memory bound (`Unary::F32_STREAM`, in
//! [`super::map`]): for f32 `tanh` the streaming stores cost about 3% per thread at 10^7
//! elements and saved nothing.
//!
//! A call splits its slice in three: a head of plain stores up to the first 64-byte
//! boundary of the destination, a body of whole iterations (two vectors) streamed at
//! aligned addresses, and the rest with plain stores; then an `sfence` makes the streamed
//! lines visible before the call returns (and before a rayon join hands them to another
//! thread). The source may be the destination (in place): every iteration loads its
//! vectors before it stores them, as with plain stores.

use super::Lanes;

/// Destinations of at least this many bytes per call are streamed. 16 MiB, half the
/// last-level cache of the machine this was measured on (32 MiB L3 shared by the cores,
/// 2 MiB L2 each): with one thread (thread CPU time, loaded machine), streaming cost 0-8%
/// on outputs of 8-24 MB called again and again (plain stores leave them in the L3 for the
/// next call) and gained about 6% at 40 MB (10^7 f32), where the read-for-ownership goes to
/// memory. The 10^7-element calls of the 2-thread benchmark (20 MB each) stream.
pub(crate) const STREAM_MIN_BYTES: usize = 16 << 20;

/// Alignment of the streamed body, in bytes: a cache line, a multiple of every backend's
/// vector size.
const ALIGN: usize = 64;

/// How a call of `len` elements splits: elements `[0, head)` with plain stores,
/// `[head, head + body)` streamed, the rest with plain stores.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Split {
    pub(crate) head: usize,
    pub(crate) body: usize,
}

/// The split for a destination `dst` of `len` elements of `T` and a loop that stores `step`
/// elements per iteration (whole vectors; `step * size_of::<T>()` a multiple of each
/// vector's size), or `None` when the call keeps plain stores: the backend has no streaming
/// store, the destination is below [`STREAM_MIN_BYTES`], or it is not aligned to its
/// element size. With `Some`, `dst + head` is 64-byte aligned and `body` is a multiple of
/// `step`, so every vector stored in the body is aligned to its size, as the
/// `Lanes::stream_*` stores require.
#[inline(always)]
pub(crate) fn split<S: Lanes, T>(dst: *const T, len: usize, step: usize) -> Option<Split> {
    let size = core::mem::size_of::<T>();
    if !S::STREAMS || len.saturating_mul(size) < STREAM_MIN_BYTES {
        return None;
    }
    let misalign = dst as usize % ALIGN;
    if !misalign.is_multiple_of(size) {
        return None;
    }
    let head = ((ALIGN - misalign) % ALIGN) / size;
    // `len * size >= STREAM_MIN_BYTES > ALIGN > head * size`, so `len > head`.
    let body = (len - head) / step * step;
    Some(Split { head, body })
}

/// The drivers' prefetch of `n` elements ahead of `src` and `dst`; with `STREAM`, of `src`
/// alone: fetching the streamed lines of `dst` would bring back the read-for-ownership the
/// streaming stores avoid.
#[inline(always)]
pub(crate) fn prefetch<T, const STREAM: bool>(src: *const T, dst: *mut T, n: usize) {
    let dst = if STREAM { core::ptr::null_mut() } else { dst };
    super::prefetch::prefetch_ahead(src, dst, n);
}

/// A slice driver that can run any range of its elements with plain or streaming stores.
pub(crate) trait Parts {
    /// Elements `[start, start + count)`, stored with streaming stores if `STREAM` (then
    /// `dst + start` is aligned to 64 bytes and `count` is a multiple of the `step` given to
    /// [`run`]).
    fn part<S: Lanes, const STREAM: bool>(&self, s: S, start: usize, count: usize);
}

/// Runs all `len` elements of a driver writing to `dst`, `step` elements per iteration:
/// with plain stores, or (when [`split`] says so) a plain head, a streamed body and a plain
/// tail, then the fence that orders the streamed lines before anything after the call.
#[inline(always)]
pub(crate) fn run<S: Lanes, T, P: Parts>(p: &P, s: S, dst: *const T, len: usize, step: usize) {
    match split::<S, T>(dst, len, step) {
        None => p.part::<S, false>(s, 0, len),
        Some(Split { head, body }) => {
            p.part::<S, false>(s, 0, head);
            p.part::<S, true>(s, head, body);
            p.part::<S, false>(s, head + body, len - head - body);
            s.stream_fence();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(target_arch = "x86_64")]
    fn split_aligns_the_body_and_keeps_small_calls_plain() {
        let n = STREAM_MIN_BYTES / 4 + 37;
        for offset in 0..16usize {
            // Addresses only: nothing is dereferenced.
            let dst = (4096 + 4 * offset) as *const f32;
            let Split { head, body } =
                split::<pulp::x86::V4, f32>(dst, n, 32).expect("large outputs stream");
            assert_eq!((dst as usize + 4 * head) % ALIGN, 0);
            assert!(head < 16);
            assert_eq!(body % 32, 0);
            assert!(head + body <= n && n - head - body < 32);
        }
        let dst = 4096 as *const f32;
        assert_eq!(split::<pulp::x86::V4, f32>(dst, n - 64, 32), None);
        assert_eq!(split::<pulp::Scalar, f32>(dst, n, 1), None);
        // A destination not aligned to its element size never streams.
        assert_eq!(split::<pulp::x86::V4, f64>(4100 as *const f64, n, 16), None);
    }

    /// The streaming path (outputs of at least `STREAM_MIN_BYTES`) gives the bits of the
    /// plain path (the same kernel on pieces far below the threshold), on an odd length at
    /// unaligned source and destination offsets, and in place, on every backend.
    fn same_bits_as_plain<T: Copy>(
        name: &str,
        f: fn(&[T], &mut [T]),
        f_inplace: fn(&mut [T]),
        from: fn(f64) -> T,
        bits: fn(T) -> u64,
    ) {
        let n = STREAM_MIN_BYTES / core::mem::size_of::<T>() + 1001;
        // Inputs over the range where the kernels are finite and nontrivial, a few specials.
        let mut x: Vec<T> = (0..n + 7)
            .map(|i| from(-20.0 + 40.0 * ((i as f64) * 0.618_033_988_749_894_9).fract()))
            .collect();
        x[100] = from(f64::NAN);
        x[n / 2] = from(f64::INFINITY);
        x[n - 3] = from(-110.0);
        for b in crate::available_backends() {
            crate::with_backend(b, || {
                for (xo, yo) in [(3, 5), (0, 1), (7, 0)] {
                    let src = &x[xo..xo + n];
                    let mut plain = vec![from(0.0); n];
                    for (a, y) in src.chunks(4099).zip(plain.chunks_mut(4099)) {
                        f(a, y);
                    }
                    let mut out = vec![from(0.0); n + 8];
                    f(src, &mut out[yo..yo + n]);
                    let streamed = &out[yo..yo + n];
                    for i in 0..n {
                        assert_eq!(
                            bits(streamed[i]),
                            bits(plain[i]),
                            "{name} {b:?} offsets ({xo}, {yo}) element {i}"
                        );
                    }
                    let mut inplace = out.clone();
                    inplace[yo..yo + n].copy_from_slice(src);
                    f_inplace(&mut inplace[yo..yo + n]);
                    assert!(
                        (0..n).all(|i| bits(inplace[yo + i]) == bits(plain[i])),
                        "{name} {b:?} in place, offset {yo}"
                    );
                }
            });
        }
    }

    #[test]
    fn streaming_stores_keep_the_bits() {
        same_bits_as_plain(
            "high::sigmoid_f32",
            crate::high::sigmoid_f32,
            crate::high::sigmoid_f32_inplace,
            |v| v as f32,
            |v| v.to_bits() as u64,
        );
        same_bits_as_plain(
            "high::exp_f32",
            crate::high::exp_f32,
            crate::high::exp_f32_inplace,
            |v| v as f32,
            |v| v.to_bits() as u64,
        );
        same_bits_as_plain(
            "sigmoid_f32",
            crate::sigmoid_f32,
            crate::sigmoid_f32_inplace,
            |v| v as f32,
            |v| v.to_bits() as u64,
        );
        same_bits_as_plain(
            "expm1_f64",
            crate::expm1_f64,
            crate::expm1_f64_inplace,
            |v| v,
            f64::to_bits,
        );
    }
}
