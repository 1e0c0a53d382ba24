//! Slice driver of the `High` kernels: apply an f32-lane core to every element, two vectors
//! per iteration, then one, then the tail through a stack buffer of one vector. The core
//! works lane by lane, so the result of an element does not depend on the backend, its
//! position in the slice or the slice's length.

use super::v32::Gv;
use crate::dispatch::LanesOp;
use crate::simd::map::{load_small, store_small};
use crate::simd::prefetch::prefetch_ahead;
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

impl<K: HighUnary> LanesOp for HighMap<K> {
    type Output = ();
    #[inline(always)]
    fn run<S: Lanes>(self, s: S) {
        let n = S::F32_LANES;
        let f = |v: S::f32s| K::core(Gv::new(s, v)).v;
        let mut i = 0;
        // SAFETY: the callers pass pointers valid for `len` elements; every access below is
        // at an index < len, or inside the stack buffer.
        unsafe {
            while i + 2 * n <= self.len {
                prefetch_ahead(self.src.add(i), self.dst.add(i), 2 * n);
                let v0 = (self.src.add(i) as *const S::f32s).read_unaligned();
                let v1 = (self.src.add(i + n) as *const S::f32s).read_unaligned();
                let (y0, y1) = (f(v0), f(v1));
                (self.dst.add(i) as *mut S::f32s).write_unaligned(y0);
                (self.dst.add(i + n) as *mut S::f32s).write_unaligned(y1);
                i += 2 * n;
            }
            while i + n <= self.len {
                let v = (self.src.add(i) as *const S::f32s).read_unaligned();
                (self.dst.add(i) as *mut S::f32s).write_unaligned(f(v));
                i += n;
            }
            let rest = self.len - i;
            if rest > 0 {
                let mut buf = [0.0f32; MAX_F32_LANES];
                load_small(self.src.add(i), &mut buf, rest);
                let v = (buf.as_ptr() as *const S::f32s).read_unaligned();
                (buf.as_mut_ptr() as *mut S::f32s).write_unaligned(f(v));
                store_small(&buf, self.dst.add(i), rest);
            }
        }
    }
}
