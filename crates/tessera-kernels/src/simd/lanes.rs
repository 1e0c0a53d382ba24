//! `Lanes`: what the kernels need beyond pulp's generic `Simd` trait (64-bit shifts by 52 and
//! f32 <-> f64 conversion), implemented for each backend with its own instructions.
//!
//! It also carries the streaming (non-temporal) stores of the slice drivers
//! ([`super::stream`]): plain stores by default, `vmovntps`/`vmovntpd` and `sfence` on AVX2
//! and AVX-512.
//!
//! The defaults work lane by lane through memory; a backend overrides them when it has the
//! instruction (AVX2 and AVX-512 do). All results are exact, so every backend agrees bit for bit.

use pulp::Simd;

/// A pulp backend the kernels can run on.
pub(crate) trait Lanes: Simd {
    /// Logical left shift of each 64-bit lane by 52.
    #[inline(always)]
    fn shl52_u64s(self, a: Self::u64s) -> Self::u64s {
        map_u64(a, |v| v << 52)
    }
    /// Logical right shift of each 64-bit lane by 52.
    #[inline(always)]
    fn shr52_u64s(self, a: Self::u64s) -> Self::u64s {
        map_u64(a, |v| v >> 52)
    }
    /// Logical left shift of each 64-bit lane by 48.
    #[inline(always)]
    fn shl48_u64s(self, a: Self::u64s) -> Self::u64s {
        map_u64(a, |v| v << 48)
    }
    /// Logical right shift of each 64-bit lane by 48.
    #[inline(always)]
    fn shr48_u64s(self, a: Self::u64s) -> Self::u64s {
        map_u64(a, |v| v >> 48)
    }
    /// `table[a & 15]` in each lane (exact, so every backend agrees).
    #[inline(always)]
    fn lookup16_u64s(self, table: &[u64; 16], a: Self::u64s) -> Self::u64s {
        map_u64(a, |v| table[(v & 15) as usize])
    }
    /// `table[a & 15]` in each 32-bit lane (exact, so every backend agrees).
    #[inline(always)]
    fn lookup16_u32s(self, table: &[u32; 16], a: Self::u32s) -> Self::u32s {
        let mut a = a;
        for l in as_lanes_mut::<u32, _>(&mut a) {
            *l = table[(*l & 15) as usize];
        }
        a
    }
    /// `min(|a|, b)` in each lane, for `b >= 0`: exact, so every backend agrees, except
    /// in NaN lanes (unspecified: the callers redo them).
    #[inline(always)]
    fn abs_min_f64s(self, a: Self::f64s, b: Self::f64s) -> Self::f64s {
        self.min_f64s(self.abs_f64s(a), b)
    }
    /// Whether any lane of a 32-bit lane mask is set.
    #[inline(always)]
    fn any_m32s(self, m: Self::m32s) -> bool {
        !pulp::bytemuck::bytes_of(&m).iter().all(|&b| b == 0)
    }
    /// `1 / a` in f32 precision: each lane rounded to f32, divided in f32 (IEEE, correctly
    /// rounded, so identical on every backend), widened back. Seeds Newton iterations.
    #[inline(always)]
    fn recip_f32(self, a: Self::f64s) -> Self::f64s {
        let mut v = a;
        for l in as_lanes_mut::<f64, _>(&mut v) {
            *l = (1.0f32 / (*l as f32)) as f64;
        }
        v
    }
    /// Whether the `stream_*` stores below bypass the caches (non-temporal stores). When
    /// `false` they are plain stores and the slice drivers do not split a slice for them.
    const STREAMS: bool = false;
    /// Stores `F32_LANES` f32 values at `p`, non-temporally where the backend can: the line
    /// is written to memory without being read first (no read-for-ownership). The value
    /// stored is `v`'s bits, as a plain store's. Call [`Lanes::stream_fence`] after the
    /// last one.
    ///
    /// # Safety
    /// `p` must be valid for writing `Self::F32_LANES` f32 values and aligned to their size
    /// in bytes (`4 * Self::F32_LANES`).
    #[inline(always)]
    unsafe fn stream_f32s(self, v: Self::f32s, p: *mut f32) {
        (p as *mut Self::f32s).write_unaligned(v)
    }
    /// [`Lanes::stream_f32s`] for `F64_LANES` f64 values.
    ///
    /// # Safety
    /// `p` must be valid for writing `Self::F64_LANES` f64 values and aligned to their size
    /// in bytes (`8 * Self::F64_LANES`).
    #[inline(always)]
    unsafe fn stream_f64s(self, v: Self::f64s, p: *mut f64) {
        (p as *mut Self::f64s).write_unaligned(v)
    }
    /// [`Lanes::store_f32`] (each lane rounded to f32, to nearest) with a streaming store.
    ///
    /// # Safety
    /// `p` must be valid for writing `Self::F64_LANES` f32 values and aligned to
    /// `4 * Self::F64_LANES` bytes.
    #[inline(always)]
    unsafe fn stream_f32(self, v: Self::f64s, p: *mut f32) {
        self.store_f32(v, p)
    }
    /// Makes the streaming stores issued before it globally visible before any store
    /// issued after it (`sfence`): streaming stores are weakly ordered, and a thread that
    /// hands its output to another (a rayon join) must fence them first.
    #[inline(always)]
    fn stream_fence(self) {}
    /// Loads `F64_LANES` f32 values from `p` and widens them (exact).
    ///
    /// # Safety
    /// `p` must be valid for reading `Self::F64_LANES` f32 values.
    #[inline(always)]
    unsafe fn load_f32(self, p: *const f32) -> Self::f64s {
        let mut v = self.splat_f64s(0.0);
        let lanes = as_lanes_mut::<f64, _>(&mut v);
        for (i, l) in lanes.iter_mut().enumerate() {
            *l = *p.add(i) as f64;
        }
        v
    }
    /// Rounds each lane to f32 (to nearest) and stores `F64_LANES` values at `p`.
    ///
    /// # Safety
    /// `p` must be valid for writing `Self::F64_LANES` f32 values.
    #[inline(always)]
    unsafe fn store_f32(self, v: Self::f64s, p: *mut f32) {
        let mut v = v;
        let lanes = as_lanes_mut::<f64, _>(&mut v);
        for (i, l) in lanes.iter().enumerate() {
            *p.add(i) = *l as f32;
        }
    }
}

#[inline(always)]
fn as_lanes_mut<T: pulp::bytemuck::Pod, V: pulp::bytemuck::Pod>(v: &mut V) -> &mut [T] {
    pulp::bytemuck::cast_slice_mut(core::slice::from_mut(v))
}

#[inline(always)]
fn map_u64<V: pulp::bytemuck::Pod>(a: V, f: impl Fn(u64) -> u64) -> V {
    let mut a = a;
    for l in as_lanes_mut::<u64, _>(&mut a) {
        *l = f(*l);
    }
    a
}

impl Lanes for pulp::Scalar {}

#[cfg(target_arch = "aarch64")]
impl Lanes for pulp::aarch64::Neon {}

#[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
mod x86 {
    use super::Lanes;
    use pulp::x86::{V3, V4};
    use pulp::{f32x4, f32x8};

    impl Lanes for V3 {
        #[inline(always)]
        fn shl48_u64s(self, a: Self::u64s) -> Self::u64s {
            self.shl_const_u64x4::<48>(a)
        }
        #[inline(always)]
        fn shr48_u64s(self, a: Self::u64s) -> Self::u64s {
            self.shr_const_u64x4::<48>(a)
        }
        #[inline(always)]
        fn lookup16_u64s(self, table: &[u64; 16], a: Self::u64s) -> Self::u64s {
            let idx = self.and_u64x4(a, self.splat_u64x4(15));
            // SAFETY: every index is below 16, inside `table`.
            pulp::cast(unsafe {
                self.avx2
                    ._mm256_i64gather_epi64::<8>(table.as_ptr() as *const i64, pulp::cast(idx))
            })
        }
        #[inline(always)]
        fn lookup16_u32s(self, table: &[u32; 16], a: Self::u32s) -> Self::u32s {
            // Two one-register permutes (each reads the low 3 bits of the index), blended on
            // bit 3 (shifted into the sign bit, which `blendv` reads).
            // SAFETY: `table` holds 16 u32, two 256-bit vectors.
            let (lo, hi): (pulp::u32x8, pulp::u32x8) = unsafe {
                (
                    (table.as_ptr() as *const pulp::u32x8).read_unaligned(),
                    (table.as_ptr().add(8) as *const pulp::u32x8).read_unaligned(),
                )
            };
            let avx = self.avx;
            let avx2 = self.avx2;
            let from_lo = avx2._mm256_permutevar8x32_epi32(pulp::cast(lo), pulp::cast(a));
            let from_hi = avx2._mm256_permutevar8x32_epi32(pulp::cast(hi), pulp::cast(a));
            let bit3 = avx2._mm256_slli_epi32::<28>(pulp::cast(a));
            pulp::cast(avx._mm256_blendv_ps(
                avx._mm256_castsi256_ps(from_lo),
                avx._mm256_castsi256_ps(from_hi),
                avx._mm256_castsi256_ps(bit3),
            ))
        }
        #[inline(always)]
        fn any_m32s(self, m: Self::m32s) -> bool {
            self.avx._mm256_testz_si256(pulp::cast(m), pulp::cast(m)) == 0
        }
        #[inline(always)]
        fn shl52_u64s(self, a: Self::u64s) -> Self::u64s {
            self.shl_const_u64x4::<52>(a)
        }
        #[inline(always)]
        fn shr52_u64s(self, a: Self::u64s) -> Self::u64s {
            self.shr_const_u64x4::<52>(a)
        }
        #[inline(always)]
        fn recip_f32(self, a: Self::f64s) -> Self::f64s {
            let a = self.convert_f64x4_to_f32x4(a);
            self.convert_f32x4_to_f64x4(self.div_f32x4(self.splat_f32x4(1.0), a))
        }
        const STREAMS: bool = true;
        #[inline(always)]
        unsafe fn stream_f32s(self, v: Self::f32s, p: *mut f32) {
            // SAFETY: the caller guarantees `p` valid for 8 f32 and 32-byte aligned, as
            // `vmovntps` on a 256-bit vector needs (trait contract, met by `stream::split`).
            unsafe { self.avx._mm256_stream_ps(p, pulp::cast(v)) }
        }
        #[inline(always)]
        unsafe fn stream_f64s(self, v: Self::f64s, p: *mut f64) {
            // SAFETY: the caller guarantees `p` valid for 4 f64 and 32-byte aligned (trait
            // contract, met by `stream::split`).
            unsafe { self.avx._mm256_stream_pd(p, pulp::cast(v)) }
        }
        #[inline(always)]
        unsafe fn stream_f32(self, v: Self::f64s, p: *mut f32) {
            let v = self.convert_f64x4_to_f32x4(v);
            // SAFETY: the caller guarantees `p` valid for 4 f32 and 16-byte aligned (trait
            // contract, met by `stream::split`).
            unsafe { self.sse._mm_stream_ps(p, pulp::cast(v)) }
        }
        #[inline(always)]
        fn stream_fence(self) {
            self.sse._mm_sfence()
        }
        #[inline(always)]
        unsafe fn load_f32(self, p: *const f32) -> Self::f64s {
            self.convert_f32x4_to_f64x4((p as *const f32x4).read_unaligned())
        }
        #[inline(always)]
        unsafe fn store_f32(self, v: Self::f64s, p: *mut f32) {
            (p as *mut f32x4).write_unaligned(self.convert_f64x4_to_f32x4(v))
        }
    }

    impl Lanes for V4 {
        #[inline(always)]
        fn shl48_u64s(self, a: Self::u64s) -> Self::u64s {
            self.shl_const_u64x8::<48>(a)
        }
        #[inline(always)]
        fn shr48_u64s(self, a: Self::u64s) -> Self::u64s {
            self.shr_const_u64x8::<48>(a)
        }
        #[inline(always)]
        fn lookup16_u64s(self, table: &[u64; 16], a: Self::u64s) -> Self::u64s {
            // One two-register permute: it reads only the low 4 bits of each index.
            // SAFETY: `table` holds 16 u64, two 512-bit vectors.
            let (lo, hi): (pulp::u64x8, pulp::u64x8) = unsafe {
                (
                    (table.as_ptr() as *const pulp::u64x8).read_unaligned(),
                    (table.as_ptr().add(8) as *const pulp::u64x8).read_unaligned(),
                )
            };
            pulp::cast(self.avx512f._mm512_permutex2var_epi64(
                pulp::cast(lo),
                pulp::cast(a),
                pulp::cast(hi),
            ))
        }
        #[inline(always)]
        fn lookup16_u32s(self, table: &[u32; 16], a: Self::u32s) -> Self::u32s {
            // One permute: it reads only the low 4 bits of each index.
            // SAFETY: `table` holds 16 u32, one 512-bit vector.
            let t: pulp::u32x16 =
                unsafe { (table.as_ptr() as *const pulp::u32x16).read_unaligned() };
            pulp::cast(
                self.avx512f
                    ._mm512_permutexvar_epi32(pulp::cast(a), pulp::cast(t)),
            )
        }
        #[inline(always)]
        fn any_m32s(self, m: Self::m32s) -> bool {
            m.0 != 0
        }
        #[inline(always)]
        fn abs_min_f64s(self, a: Self::f64s, b: Self::f64s) -> Self::f64s {
            // `vrangepd` in one instruction instead of an AND and a `vminpd`: imm8 bits 1:0
            // = 10 (the smaller magnitude), bits 3:2 = 10 (sign bit cleared).
            pulp::cast(
                self.avx512dq
                    ._mm512_range_pd::<0b1010>(pulp::cast(a), pulp::cast(b)),
            )
        }
        #[inline(always)]
        fn shl52_u64s(self, a: Self::u64s) -> Self::u64s {
            self.shl_const_u64x8::<52>(a)
        }
        #[inline(always)]
        fn shr52_u64s(self, a: Self::u64s) -> Self::u64s {
            self.shr_const_u64x8::<52>(a)
        }
        #[inline(always)]
        fn recip_f32(self, a: Self::f64s) -> Self::f64s {
            let a = self.convert_f64x8_to_f32x8(a);
            self.convert_f32x8_to_f64x8(self.div_f32x8(self.splat_f32x8(1.0), a))
        }
        const STREAMS: bool = true;
        #[inline(always)]
        unsafe fn stream_f32s(self, v: Self::f32s, p: *mut f32) {
            // SAFETY: the caller guarantees `p` valid for 16 f32 and 64-byte aligned, as
            // `vmovntps` on a 512-bit vector needs (trait contract, met by `stream::split`).
            unsafe { self.avx512f._mm512_stream_ps(p, pulp::cast(v)) }
        }
        #[inline(always)]
        unsafe fn stream_f64s(self, v: Self::f64s, p: *mut f64) {
            // SAFETY: the caller guarantees `p` valid for 8 f64 and 64-byte aligned (trait
            // contract, met by `stream::split`).
            unsafe { self.avx512f._mm512_stream_pd(p, pulp::cast(v)) }
        }
        #[inline(always)]
        unsafe fn stream_f32(self, v: Self::f64s, p: *mut f32) {
            let v = self.convert_f64x8_to_f32x8(v);
            // SAFETY: the caller guarantees `p` valid for 8 f32 and 32-byte aligned (trait
            // contract, met by `stream::split`).
            unsafe { self.avx._mm256_stream_ps(p, pulp::cast(v)) }
        }
        #[inline(always)]
        fn stream_fence(self) {
            self.sse._mm_sfence()
        }
        #[inline(always)]
        unsafe fn load_f32(self, p: *const f32) -> Self::f64s {
            self.convert_f32x8_to_f64x8((p as *const f32x8).read_unaligned())
        }
        #[inline(always)]
        unsafe fn store_f32(self, v: Self::f64s, p: *mut f32) {
            (p as *mut f32x8).write_unaligned(self.convert_f64x8_to_f32x8(v))
        }
    }
}
