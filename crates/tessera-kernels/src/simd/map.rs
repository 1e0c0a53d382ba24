//! Slice drivers: apply an f64-lane core to every element of a slice, full vectors first,
//! then the tail through a small stack buffer (no per-call allocation). Large outputs are
//! written with streaming stores ([`super::stream`]), with the same bits, unless the kernel
//! opts out ([`Unary::F32_STREAM`]).

use super::lanes::Lanes;
use super::stream;
use super::vec::{Fv, Mv};
use crate::dispatch::LanesOp;
use core::marker::PhantomData;

/// An element type the kernels take: loaded into f64 lanes, stored back rounded.
pub(crate) trait Elem: Copy + 'static {
    /// Whether the f32 cores apply (else the f64 ones).
    const IS_F32: bool;
    /// Loads `S::F64_LANES` values.
    ///
    /// # Safety
    /// `p` valid for reading `S::F64_LANES` values.
    unsafe fn load<S: Lanes>(s: S, p: *const Self) -> S::f64s;
    /// Stores `S::F64_LANES` values (rounded to `Self`).
    ///
    /// # Safety
    /// `p` valid for writing `S::F64_LANES` values.
    unsafe fn store<S: Lanes>(s: S, v: S::f64s, p: *mut Self);
    /// [`Elem::store`] with a streaming store ([`crate::simd::stream`]).
    ///
    /// # Safety
    /// `p` valid for writing `S::F64_LANES` values and aligned to their size in bytes.
    unsafe fn stream<S: Lanes>(s: S, v: S::f64s, p: *mut Self);
    /// A value used to pad a partial vector.
    fn from_f64(v: f64) -> Self;
}

impl Elem for f32 {
    const IS_F32: bool = true;
    #[inline(always)]
    unsafe fn load<S: Lanes>(s: S, p: *const f32) -> S::f64s {
        s.load_f32(p)
    }
    #[inline(always)]
    unsafe fn store<S: Lanes>(s: S, v: S::f64s, p: *mut f32) {
        s.store_f32(v, p)
    }
    #[inline(always)]
    unsafe fn stream<S: Lanes>(s: S, v: S::f64s, p: *mut f32) {
        s.stream_f32(v, p)
    }
    #[inline(always)]
    fn from_f64(v: f64) -> f32 {
        v as f32
    }
}

impl Elem for f64 {
    const IS_F32: bool = false;
    #[inline(always)]
    unsafe fn load<S: Lanes>(_: S, p: *const f64) -> S::f64s {
        (p as *const S::f64s).read_unaligned()
    }
    #[inline(always)]
    unsafe fn store<S: Lanes>(_: S, v: S::f64s, p: *mut f64) {
        (p as *mut S::f64s).write_unaligned(v)
    }
    #[inline(always)]
    unsafe fn stream<S: Lanes>(s: S, v: S::f64s, p: *mut f64) {
        s.stream_f64s(v, p)
    }
    #[inline(always)]
    fn from_f64(v: f64) -> f64 {
        v
    }
}

/// Copies `n` (< 8) elements from memory outside into a stack buffer, one by one. The
/// volatile reads keep LLVM from turning the loop into a `memcpy` call and the buffer a
/// plain array it can keep in registers: together about 150 ns cheaper per call (measured).
///
/// # Safety
/// `src` valid for reading `n` elements; `n <= buf.len()`.
#[inline(always)]
pub(crate) unsafe fn load_small<T: Copy>(src: *const T, buf: &mut [T], n: usize) {
    for (j, b) in buf.iter_mut().enumerate().take(n) {
        *b = core::ptr::read_volatile(src.add(j));
    }
}

/// The way back: the first `n` elements of `buf` to `dst` (see [`load_small`]).
///
/// # Safety
/// `dst` valid for writing `n` elements; `n <= buf.len()`.
#[inline(always)]
pub(crate) unsafe fn store_small<T: Copy>(buf: &[T], dst: *mut T, n: usize) {
    for (j, b) in buf.iter().enumerate().take(n) {
        core::ptr::write_volatile(dst.add(j), *b);
    }
}

/// An elementwise function: its f32 core (on exactly widened f32 values, result rounded
/// to f32 by the store) and its f64 core.
pub(crate) trait Unary {
    fn f32_core<S: Lanes>(x: Fv<S>) -> Fv<S>;
    fn f64_core<S: Lanes>(x: Fv<S>) -> Fv<S>;
    /// The f32 inputs whose exact result lies so close to an f32 rounding boundary that the
    /// f64-lane evaluation (about 2^-52 relative) rounds it the wrong way, with their correctly
    /// rounded results: `(input bits, result bits)`, sorted by input. Found by the exhaustive
    /// sweep (`crates/tessera-accuracy`), which proves the list complete.
    const F32_HARD_CASES: &'static [(u32, u32)] = &[];
    /// Whether the slice driver may load the next vector before the current one is stored
    /// (two independent chains per iteration, which most cores need to keep the FMA units
    /// busy). `false` for cores with a rare accurate path inlined behind a branch (`log`,
    /// `log1p`): a vector loaded early lives across that path, LLVM keeps it on the stack,
    /// and the 64-byte store and reload in the hot loop cost 2-3x whenever the stack is not
    /// 64-byte aligned (measured: f32 `log` 0.54 against 1.50 Gelem/s per thread, decided
    /// by the caller's stack offset; BENCHMARKS.md, section 1).
    const INTERLEAVE: bool = true;
    /// Whether the f32 kernel writes large outputs with streaming stores
    /// ([`super::stream`]; the f64 kernel always may). `false` for a core so slow that
    /// the memory keeps up with plain stores: there the streaming stores only cost time
    /// (f32 `tanh`: about 3% per thread at 10^7 elements, 1 and 2 threads).
    const F32_STREAM: bool = true;
    /// The f32 core on the two vectors of one iteration of the interleaved loop (see
    /// [`Unary::INTERLEAVE`]). The default runs [`Unary::f32_core`] on each; a core with a
    /// rare accurate path behind a branch can override it to take one branch for both.
    /// Must give the bits of `(f32_core(x0), f32_core(x1))`.
    #[inline(always)]
    fn f32_core_pair<S: Lanes>(x0: Fv<S>, x1: Fv<S>) -> (Fv<S>, Fv<S>) {
        (Self::f32_core(x0), Self::f32_core(x1))
    }
}

/// Half-width, in f64 ULPs, of the window around an f32 rounding boundary in which results
/// are checked against [`Unary::F32_HARD_CASES`] (every listed case lies within a few ULPs).
const HARD_WINDOW: u64 = 1 << 10;

/// Replaces the lanes of `y` (results for inputs `x`) that are listed hard cases. The test
/// is cheap and vectorized; the lookup runs only when some lane is near an f32 rounding
/// boundary (about one lane in 2^18).
#[inline(always)]
pub(crate) fn fix_hard_cases<S: Lanes>(x: Fv<S>, y: Fv<S>, table: &'static [(u32, u32)]) -> Fv<S> {
    let s = y.s;
    if !Mv::near_f32_midpoint(y, HARD_WINDOW).any() {
        return y;
    }
    let (mut xs, mut ys) = (x.v, y.v);
    let xl: &mut [f64] = pulp::bytemuck::cast_slice_mut(core::slice::from_mut(&mut xs));
    let yl: &mut [f64] = pulp::bytemuck::cast_slice_mut(core::slice::from_mut(&mut ys));
    lookup_hard_cases(xl, yl, table);
    Fv::new(s, ys)
}

/// The rare path of [`fix_hard_cases`]: plain scalar code on lane arrays (no vector types
/// cross the call, so it needs no target features and stays out of the hot loop).
#[cold]
#[inline(never)]
fn lookup_hard_cases(x: &[f64], y: &mut [f64], table: &[(u32, u32)]) {
    for (xi, yi) in x.iter().zip(y.iter_mut()) {
        let key = (*xi as f32).to_bits();
        if let Ok(i) = table.binary_search_by_key(&key, |e| e.0) {
            *yi = f32::from_bits(table[i].1) as f64;
        }
    }
}

/// Most lanes any backend has (AVX-512: 8 f64).
pub(crate) const MAX_LANES: usize = 8;

/// `dst[i] = K(src[i])` for `i < len`; `src` may equal `dst` (in place).
pub(crate) struct Map<T, K> {
    pub(crate) src: *const T,
    pub(crate) dst: *mut T,
    pub(crate) len: usize,
    pub(crate) kernel: PhantomData<K>,
}

impl<T: Elem, K: Unary> Map<T, K> {
    /// The f32 core's result with the listed hard cases fixed.
    #[inline(always)]
    fn fixed<S: Lanes>(x: Fv<S>, y: Fv<S>) -> S::f64s {
        if K::F32_HARD_CASES.is_empty() {
            y.v
        } else {
            fix_hard_cases(x, y, K::F32_HARD_CASES).v
        }
    }

    #[inline(always)]
    fn apply<S: Lanes>(s: S, v: S::f64s) -> S::f64s {
        let x = Fv::new(s, v);
        if T::IS_F32 {
            Self::fixed(x, K::f32_core(x))
        } else {
            K::f64_core(x).v
        }
    }

    /// [`Self::apply`] on two vectors (through [`Unary::f32_core_pair`] for f32).
    #[inline(always)]
    fn apply_pair<S: Lanes>(s: S, v0: S::f64s, v1: S::f64s) -> (S::f64s, S::f64s) {
        let (x0, x1) = (Fv::new(s, v0), Fv::new(s, v1));
        if T::IS_F32 {
            let (y0, y1) = K::f32_core_pair(x0, x1);
            (Self::fixed(x0, y0), Self::fixed(x1, y1))
        } else {
            (K::f64_core(x0).v, K::f64_core(x1).v)
        }
    }
}

impl<T: Elem, K: Unary> stream::Parts for Map<T, K> {
    #[inline(always)]
    fn part<S: Lanes, const STREAM: bool>(&self, s: S, start: usize, count: usize) {
        let n = S::F64_LANES;
        let mut i = 0;
        assert!(
            start <= self.len && count <= self.len - start,
            "part out of range"
        );
        // SAFETY: the callers pass pointers valid for `len` elements, and `start + count <=
        // len` (asserted above); every access below is at an index < count from `src` and
        // `dst`, or inside the stack buffer. With `STREAM`, each vector stored is aligned to
        // its size (`stream::split`'s contract: `dst` aligned to 64 bytes, whole vectors).
        unsafe {
            let (src, dst) = (self.src.add(start), self.dst.add(start));
            debug_assert!(
                !STREAM || (dst as usize).is_multiple_of(64),
                "unaligned stream"
            );
            let store = |v: S::f64s, p: *mut T| {
                if STREAM {
                    T::stream(s, v, p)
                } else {
                    T::store(s, v, p)
                }
            };
            // Two vectors per iteration: independent chains the core can overlap, or (see
            // `Unary::INTERLEAVE`) one after the other; the store to `dst` keeps LLVM from
            // hoisting the next load above it, since `src` may alias `dst`.
            while i + 2 * n <= count {
                stream::prefetch::<_, STREAM>(src.add(i), dst.add(i), 2 * n);
                if K::INTERLEAVE || !T::IS_F32 {
                    let v0 = T::load(s, src.add(i));
                    let v1 = T::load(s, src.add(i + n));
                    let (y0, y1) = Self::apply_pair(s, v0, v1);
                    store(y0, dst.add(i));
                    store(y1, dst.add(i + n));
                } else {
                    let y0 = Self::apply(s, T::load(s, src.add(i)));
                    store(y0, dst.add(i));
                    let y1 = Self::apply(s, T::load(s, src.add(i + n)));
                    store(y1, dst.add(i + n));
                }
                i += 2 * n;
            }
            while i + n <= count {
                let v = T::load(s, src.add(i));
                store(Self::apply(s, v), dst.add(i));
                i += n;
            }
            let rest = count - i;
            if rest > 0 {
                let mut buf = [T::from_f64(0.0); MAX_LANES];
                load_small(src.add(i), &mut buf, rest);
                let v = T::load(s, buf.as_ptr());
                T::store(s, Self::apply(s, v), buf.as_mut_ptr());
                store_small(&buf, dst.add(i), rest);
            }
        }
    }
}

impl<T: Elem, K: Unary> LanesOp for Map<T, K> {
    type Output = ();
    #[inline(always)]
    fn run<S: Lanes>(self, s: S) {
        if T::IS_F32 && !K::F32_STREAM {
            stream::Parts::part::<S, false>(&self, s, 0, self.len);
        } else {
            stream::run(&self, s, self.dst, self.len, 2 * S::F64_LANES);
        }
    }
}
