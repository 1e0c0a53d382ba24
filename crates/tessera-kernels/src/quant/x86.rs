//! x86-64 micro-kernels and requantization: AVX-512 VNNI (`vpdpbusd`) and AVX2 (widening
//! `vpmaddwd`). Written by hand with `std::arch` because no crate offers a u8 x i8 GEMM with
//! FBGEMM's requantization (see the module docs of `quant`).
//!
//! Every public-in-crate function here checks its slice lengths with `assert!` before the
//! `unsafe` call, and is only called by the dispatcher after the CPU features were detected.

use super::gemm::{RqOut, Tile, MR};
use super::pack::PANEL_COLS;
use super::requant::Requant;
use std::arch::x86_64::*;
use std::sync::OnceLock;

/// Whether the CPU has AVX-512 F/BW/VL with VNNI (detected once).
pub(crate) fn has_vnni() -> bool {
    static VNNI: OnceLock<bool> = OnceLock::new();
    *VNNI.get_or_init(|| {
        is_x86_feature_detected!("avx512f")
            && is_x86_feature_detected!("avx512bw")
            && is_x86_feature_detected!("avx512vl")
            && is_x86_feature_detected!("avx512vnni")
    })
}

/// Whether the CPU has AVX2 (detected once).
fn has_avx2() -> bool {
    static AVX2: OnceLock<bool> = OnceLock::new();
    *AVX2.get_or_init(|| is_x86_feature_detected!("avx2"))
}

/// The raw form of a [`Tile`] for the `unsafe` kernels: the start of every row's first run,
/// the distance between runs, the runs and the groups of 4 bytes per run.
struct RawTile {
    rows: [*const u8; MR],
    seg_stride: usize,
    segs: usize,
    seg_q: usize,
}

impl RawTile {
    /// Checks `a` (with [`Tile::check`]) and that `b` holds the panel's `kp * PANEL_COLS`
    /// bytes; the raw pointers then address only bytes inside `a.data`.
    fn new(a: &Tile<'_>, b: &[i8]) -> RawTile {
        let kp = a.segs * a.seg_len;
        a.check(kp);
        assert!(
            b.len() >= kp * PANEL_COLS,
            "int8 micro-kernel: panel too short"
        );
        RawTile {
            // `wrapping_add` is no out-of-bounds pointer arithmetic: the offsets were checked.
            rows: std::array::from_fn(|r| a.data.as_ptr().wrapping_add(a.offs[r])),
            seg_stride: a.seg_stride,
            segs: a.segs,
            seg_q: a.seg_len / 4,
        }
    }
}

pub(crate) fn kernel_vnni(a: &Tile<'_>, b: &[i8], o: &RqOut<'_>, out: &mut [u8]) {
    let t = RawTile::new(a, b);
    o.check(out.len());
    assert!(has_vnni());
    // SAFETY: the CPU features the function enables were detected by `has_vnni` (asserted
    // above); it reads the runs of the MR rows (inside `a.data`, checked by `Tile::check` in
    // `RawTile::new`), the `kp * PANEL_COLS` bytes of `b` (checked there too) and
    // PANEL_COLS entries of the requantization vectors from `o.j0`, and writes `o.cols`
    // bytes at `out[o.offs[r]..]` for `r < o.rows` (all checked by `RqOut::check`).
    unsafe { vnni(&t, b.as_ptr(), o, out.as_mut_ptr()) }
}

/// The VNNI micro-kernel with the requantization fused into its epilogue: the i32 sums
/// never leave the registers. The f32 steps are [`Requant`]'s; the clamp is done in i32
/// as `clamp(r, lo - zp, 255 - zp) + zp`, which equals `clamp(r + zp, lo, 255)` for every
/// i32 `r` without overflow.
///
/// # Safety
/// The CPU has AVX-512 F/BW/VL and VNNI; `t`'s row runs and the `kp * PANEL_COLS` bytes at
/// `b` are readable (`RawTile::new` checks them through `Tile::check`), and `o` describes
/// writable bytes of `out` (checked by `RqOut::check`).
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512vnni")]
unsafe fn vnni(t: &RawTile, b: *const i8, o: &RqOut<'_>, out: *mut u8) {
    let mut acc = [_mm512_setzero_si512(); 2 * MR];
    let mut bp = b;
    for s in 0..t.segs {
        // SAFETY (loop body): run s of every row and the panel's next seg_q groups are in
        // bounds (checked by the caller through `RawTile::new`).
        let rows: [*const u8; MR] = std::array::from_fn(|r| t.rows[r].add(s * t.seg_stride));
        for q in 0..t.seg_q {
            let b0 = _mm512_loadu_si512(bp as *const _);
            let b1 = _mm512_loadu_si512(bp.add(64) as *const _);
            for r in 0..MR {
                let av = _mm512_set1_epi32((rows[r].add(4 * q) as *const i32).read_unaligned());
                acc[2 * r] = _mm512_dpbusd_epi32(acc[2 * r], av, b0);
                acc[2 * r + 1] = _mm512_dpbusd_epi32(acc[2 * r + 1], av, b1);
            }
            bp = bp.add(PANEL_COLS * 4);
        }
    }
    // SAFETY (epilogue): the vectors hold PANEL_COLS entries from j0 (checked by the
    // caller through `RqOut::check`); each row's store is masked to its `cols` bytes.
    let rq = o.rq;
    let j = o.j0;
    let ld = |v: &Vec<i32>, h: usize| _mm512_loadu_si512(v.as_ptr().add(j + 16 * h) as *const _);
    let ldf = |v: &Vec<f32>, h: usize| _mm512_loadu_ps(v.as_ptr().add(j + 16 * h));
    let azc = [ld(&rq.a_zp_col, 0), ld(&rq.a_zp_col, 1)];
    let wz = [ld(&rq.w_zp, 0), ld(&rq.w_zp, 1)];
    let bias = [ldf(&rq.bias_term, 0), ldf(&rq.bias_term, 1)];
    let mul = [ldf(&rq.multiplier, 0), ldf(&rq.multiplier, 1)];
    let zp = _mm512_set1_epi32(rq.out_zp);
    let lo = _mm512_set1_epi32(rq.lo - rq.out_zp);
    let hi = _mm512_set1_epi32(255 - rq.out_zp);
    let mask: __mmask32 = if o.cols >= 32 {
        !0
    } else {
        (1u32 << o.cols) - 1
    };
    for r in 0..MR {
        if r >= o.rows {
            break;
        }
        let ro = _mm512_set1_epi32(o.row_off[r]);
        let half = |h: usize| {
            let mut x = _mm512_sub_epi32(acc[2 * r + h], azc[h]);
            if rq.row_offsets {
                x = _mm512_sub_epi32(x, _mm512_mullo_epi32(ro, wz[h]));
            }
            let y = _mm512_mul_ps(_mm512_add_ps(_mm512_cvtepi32_ps(x), bias[h]), mul[h]);
            let v =
                _mm512_cvt_roundps_epi32::<{ _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC }>(y);
            let v = _mm512_add_epi32(_mm512_min_epi32(_mm512_max_epi32(v, lo), hi), zp);
            _mm512_cvtepi32_epi8(v)
        };
        let bytes = _mm256_set_m128i(half(1), half(0));
        _mm256_mask_storeu_epi8(out.add(o.offs[r]) as *mut i8, mask, bytes);
    }
}

pub(crate) fn kernel_avx2(a: &Tile<'_>, b: &[i8], tile: &mut [i32; MR * PANEL_COLS]) {
    let t = RawTile::new(a, b);
    assert!(has_avx2());
    for half in 0..2 {
        for r0 in (0..MR).step_by(2) {
            // SAFETY: AVX2 was detected (asserted above); the reads stay within the runs of
            // rows r0, r0 + 1 < MR and the panel (checked by `RawTile::new`), columns
            // 16 * half .. + 16 < PANEL_COLS, and the writes within `tile`.
            unsafe { avx2_pair(&t, b.as_ptr(), half, r0, tile.as_mut_ptr()) }
        }
    }
}

/// Rows `r0, r0 + 1` by columns `16 * half .. 16 * half + 16` of the tile. Each 16-byte
/// chunk of a weight panel is 4 columns x 4 k; widened to i16, `vpmaddwd` with the row's 4
/// activations (widened, repeated) gives per column two partial sums, added at the end.
///
/// # Safety
/// The CPU has AVX2; rows `r0` and `r0 + 1` of `t` and the panel at `b` are readable as
/// `RawTile::new` checked, `16 * half + 16 <= PANEL_COLS`, and `tile` holds the tile's
/// `MR x PANEL_COLS` i32 sums.
#[target_feature(enable = "avx2")]
unsafe fn avx2_pair(t: &RawTile, b: *const i8, half: usize, r0: usize, tile: *mut i32) {
    let mut acc = [_mm256_setzero_si256(); 8];
    let mut bp = b.add(half * 64);
    for s in 0..t.segs {
        // SAFETY (loop body): run s of rows r0, r0 + 1 and the panel's next seg_q groups
        // are in bounds (see the caller).
        let rows = [
            t.rows[r0].add(s * t.seg_stride),
            t.rows[r0 + 1].add(s * t.seg_stride),
        ];
        for q in 0..t.seg_q {
            let mut bw = [_mm256_setzero_si256(); 4];
            for (c, v) in bw.iter_mut().enumerate() {
                *v = _mm256_cvtepi8_epi16(_mm_loadu_si128(bp.add(c * 16) as *const __m128i));
            }
            for (r, row) in rows.iter().enumerate() {
                let a4 = (row.add(4 * q) as *const i32).read_unaligned();
                let aw = _mm256_cvtepu8_epi16(_mm_set1_epi32(a4));
                for c in 0..4 {
                    acc[r * 4 + c] = _mm256_add_epi32(acc[r * 4 + c], _mm256_madd_epi16(aw, bw[c]));
                }
            }
            bp = bp.add(PANEL_COLS * 4);
        }
    }
    for r in 0..2 {
        for pair in 0..2 {
            // hadd gives [c0 c1 c4 c5 | c2 c3 c6 c7]; the permute puts the columns in order.
            let s = _mm256_hadd_epi32(acc[r * 4 + 2 * pair], acc[r * 4 + 2 * pair + 1]);
            let s = _mm256_permute4x64_epi64::<0xD8>(s);
            let dst = tile.add((r0 + r) * PANEL_COLS + half * 16 + pair * 8);
            _mm256_storeu_si256(dst as *mut __m256i, s);
        }
    }
}

/// Checks shared by the requantization paths: `acc` is a whole padded panel row and the
/// requantization vectors reach past column `j0 + PANEL_COLS`.
fn check_requant(rq: &Requant, acc: &[i32], j0: usize, out: &[u8]) {
    assert!(
        acc.len() >= PANEL_COLS
            && out.len() <= PANEL_COLS
            && rq.multiplier.len() >= j0 + PANEL_COLS
            && rq.bias_term.len() >= j0 + PANEL_COLS
            && rq.a_zp_col.len() >= j0 + PANEL_COLS
            && rq.w_zp.len() >= j0 + PANEL_COLS
    );
}

pub(crate) fn requant_row_avx2(rq: &Requant, acc: &[i32], row_off: i32, j0: usize, out: &mut [u8]) {
    check_requant(rq, acc, j0, out);
    assert!(has_avx2());
    // SAFETY: AVX2 was detected (asserted); reads are within PANEL_COLS entries of `acc` and
    // of the requantization vectors from `j0` (checked by `check_requant`); writes go
    // through a bounds-checked copy into `out`.
    unsafe { rq256(rq, acc.as_ptr(), row_off, j0, out) }
}

#[target_feature(enable = "avx2")]
unsafe fn rq256(rq: &Requant, acc: *const i32, row_off: i32, j0: usize, out: &mut [u8]) {
    let ro = _mm256_set1_epi32(row_off);
    let zp = _mm256_set1_epi16(rq.out_zp as i16);
    let lo = _mm256_set1_epi16(rq.lo as i16);
    let hi = _mm256_set1_epi16(255);
    let order = _mm256_setr_epi32(0, 4, 1, 1, 1, 1, 1, 1);
    let len = out.len();
    for c in (0..len).step_by(8) {
        // SAFETY (loop body): c < len <= PANEL_COLS; 8-lane reads stay within the checked
        // PANEL_COLS entries.
        let j = j0 + c;
        let x = _mm256_loadu_si256(acc.add(c) as *const __m256i);
        let x = _mm256_sub_epi32(
            x,
            _mm256_loadu_si256(rq.a_zp_col.as_ptr().add(j) as *const _),
        );
        let wz = _mm256_loadu_si256(rq.w_zp.as_ptr().add(j) as *const __m256i);
        let x = _mm256_sub_epi32(x, _mm256_mullo_epi32(ro, wz));
        let f = _mm256_add_ps(
            _mm256_cvtepi32_ps(x),
            _mm256_loadu_ps(rq.bias_term.as_ptr().add(j)),
        );
        let y = _mm256_mul_ps(f, _mm256_loadu_ps(rq.multiplier.as_ptr().add(j)));
        // Rust code never changes MXCSR, so this rounds to nearest even.
        let r = _mm256_cvtps_epi32(y);
        let s = _mm256_adds_epi16(_mm256_packs_epi32(r, r), zp);
        let s = _mm256_min_epi16(_mm256_max_epi16(s, lo), hi);
        let bytes = _mm256_packus_epi16(s, s);
        // Bytes 0..4 of each 128-bit lane hold columns 0..4 and 4..8.
        let packed = _mm256_permutevar8x32_epi32(bytes, order);
        let v = _mm_cvtsi128_si64(_mm256_castsi256_si128(packed)) as u64;
        let n = (len - c).min(8);
        out[c..c + n].copy_from_slice(&v.to_le_bytes()[..n]);
    }
}
