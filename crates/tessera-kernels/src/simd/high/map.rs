//! Slice driver of the `High` kernels: apply an f32-lane core to every element, two vectors
//! per iteration, then one, then the tail through a stack buffer of one vector. Large
//! outputs are written with streaming stores ([`crate::simd::stream`]), with the same
//! bits. The core works lane by lane, so the result of an element does not depend on the
//! backend, its position in the slice or the slice's length.

use super::v32::Gv;
use crate::dispatch::LanesOp;
use crate::simd::map::{load_small, store_small};
use crate::simd::stream;
use crate::simd::Lanes;
use core::marker::PhantomData;

/// An elementwise function on f32 lanes.
pub(crate) trait HighUnary {
    fn core<S: Lanes>(x: Gv<S>) -> Gv<S>;
}

/// Most f32 lanes any backend has (AVX-512: 16).
const MAX_F32_LANES: usize = 16;

/// `dst[i] = K(src[i])` for `i < len`; `src` may equal `dst` (in place).
pub(crate) struct HighMap<K> {
    pub(crate) src: *const f32,
    pub(crate) dst: *mut f32,
    pub(crate) len: usize,
    pub(crate) kernel: PhantomData<K>,
}

impl<K: HighUnary> stream::Parts for HighMap<K> {
    #[inline(always)]
    fn part<S: Lanes, const STREAM: bool>(&self, s: S, start: usize, count: usize) {
        let n = S::F32_LANES;
        let f = |v: S::f32s| K::core(Gv::new(s, v)).v;
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
            let store = |v: S::f32s, p: *mut f32| {
                if STREAM {
                    s.stream_f32s(v, p)
                } else {
                    (p as *mut S::f32s).write_unaligned(v)
                }
            };
            let mut i = 0;
            while i + 2 * n <= count {
                stream::prefetch::<_, STREAM>(src.add(i), dst.add(i), 2 * n);
                let v0 = (src.add(i) as *const S::f32s).read_unaligned();
                let v1 = (src.add(i + n) as *const S::f32s).read_unaligned();
                let (y0, y1) = (f(v0), f(v1));
                store(y0, dst.add(i));
                store(y1, dst.add(i + n));
                i += 2 * n;
            }
            while i + n <= count {
                let v = (src.add(i) as *const S::f32s).read_unaligned();
                store(f(v), dst.add(i));
                i += n;
            }
            let rest = count - i;
            if rest > 0 {
                let mut buf = [0.0f32; MAX_F32_LANES];
                load_small(src.add(i), &mut buf, rest);
                let v = (buf.as_ptr() as *const S::f32s).read_unaligned();
                (buf.as_mut_ptr() as *mut S::f32s).write_unaligned(f(v));
                store_small(&buf, dst.add(i), rest);
            }
        }
    }
}

impl<K: HighUnary> LanesOp for HighMap<K> {
    type Output = ();
    #[inline(always)]
    fn run<S: Lanes>(self, s: S) {
        stream::run(&self, s, self.dst, self.len, 2 * S::F32_LANES);
    }
}
