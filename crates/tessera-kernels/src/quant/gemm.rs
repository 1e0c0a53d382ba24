//! The u8 x i8 -> i32 GEMM driver: runs a micro-kernel per [`MR`] rows x [`PANEL_COLS`]
//! columns and requantizes each tile to u8 (in the VNNI kernel's epilogue, else from an i32
//! tile). The activation rows are read in place ([`ARows`]: a row may be several runs of
//! bytes, as a convolution's taps are); only rows whose runs are not whole groups of 4
//! bytes are copied, one tile at a time.

use super::pack::{PackedWeightI8, PANEL_COLS};
use super::requant::Requant;
use super::{path, Path};

/// Rows per micro-kernel tile.
pub(crate) const MR: usize = 8;

/// Panels per column block: the block's packed weights (`BLOCK_PANELS * kp * 32` bytes) stay
/// in L2 while every row tile passes over them.
fn block_panels(kp: usize) -> usize {
    (256 * 1024 / (kp * PANEL_COLS).max(1)).max(1)
}

/// `out[i, j] = requant(sum_k a[i, k] * w[j, k])` for `i < m`, `j < w.n()`: a quantized
/// linear layer (`quantized::linear` on PyTorch's fbgemm engine, bit for bit).
///
/// `a` holds `m` rows of `w.k()` u8 activations, row `i` starting at `i * lda`; row `i` of the
/// output starts at `out[i * ldc]` and has `w.n()` bytes. `rq` comes from
/// [`Requant::new`] for the same `w`. Single-threaded: split the rows across threads to
/// parallelize. Every backend gives identical bytes.
///
/// ```
/// use tessera_kernels::quant::*;
/// // a = [[3, 5]] with zero point 1; w = [[2, -1]] per tensor, scale 1, zero point 0.
/// let w = PackedWeightI8::pack(&[2, -1], 1, 2, WeightQuant::PerTensor { scale: 1.0, zero_point: 0 });
/// let p = QGemmParams { a_scale: 0.5, a_zero_point: 1, bias: None, out_scale: 0.25,
///                       out_zero_point: 10, relu: false };
/// let mut out = [0u8; 1];
/// qgemm_u8i8(&[3, 5], 1, 2, &w, &Requant::new(&w, &p), &mut out, 1);
/// // (3-1)*2 + (5-1)*(-1) = 0 -> 0 * 0.5 / 0.25 + 10
/// assert_eq!(out, [10]);
/// ```
///
/// # Panics
/// If `lda < w.k()`, `ldc < w.n()`, or `a`/`out` are too short for `m` rows.
#[allow(clippy::too_many_arguments)]
pub fn qgemm_u8i8(
    a: &[u8],
    m: usize,
    lda: usize,
    w: &PackedWeightI8,
    rq: &Requant,
    out: &mut [u8],
    ldc: usize,
) {
    let (n, k) = (w.n(), w.k());
    check(a.len(), m, lda, k, out.len(), ldc, n, rq);
    qgemm_u8i8_panels(a, m, lda, w, rq, 0..w.panels(), out, ldc);
}

/// [`qgemm_u8i8`] for the output columns of the weight panels `panels` only: column
/// `panels.start * PANEL_COLS` of the product is column 0 of `out`, each row having
/// `min(n, panels.end * PANEL_COLS) - panels.start * PANEL_COLS` bytes at stride `ldc`.
/// The split for threads when the weights outweigh the activations (few rows): each thread
/// reads its share of the weights (which then stays in its cache from call to call)
/// instead of all of them. Same bytes as [`qgemm_u8i8`] in those columns.
///
/// # Panics
/// As [`qgemm_u8i8`], or if `panels` is not a range of `w`'s panels.
#[allow(clippy::too_many_arguments)]
pub fn qgemm_u8i8_panels(
    a: &[u8],
    m: usize,
    lda: usize,
    w: &PackedWeightI8,
    rq: &Requant,
    panels: std::ops::Range<usize>,
    out: &mut [u8],
    ldc: usize,
) {
    let rows = ARows {
        data: a,
        m,
        start: |i| i * lda,
        segs: 1,
        seg_stride: 0,
        seg_len: w.k(),
    };
    check_a(a.len(), m, lda, w.k());
    gemm_rows(&rows, w, rq, panels, out, ldc);
}

/// The activation rows of a GEMM as the micro-kernels read them, in place: row `i < m` is
/// the concatenation of `segs` runs of `seg_len` bytes of `data`, the `s`-th starting at
/// `start(i) + s * seg_stride`. A row-major matrix is one run per row (`start(i) = i * lda`);
/// a convolution over a (padded) NHWC image is, per output pixel, one run of `kw * c`
/// bytes per kernel row, so it needs no im2col copy.
pub(crate) struct ARows<'a, F: Fn(usize) -> usize> {
    pub data: &'a [u8],
    pub m: usize,
    pub start: F,
    pub segs: usize,
    pub seg_stride: usize,
    pub seg_len: usize,
}

impl<F: Fn(usize) -> usize> ARows<'_, F> {
    /// Row `i`'s runs.
    fn runs(&self, i: usize) -> impl Iterator<Item = &[u8]> + '_ {
        let s0 = (self.start)(i);
        (0..self.segs).map(move |s| {
            let o = s0 + s * self.seg_stride;
            &self.data[o..o + self.seg_len]
        })
    }
}

/// [`qgemm_u8i8_panels`] on [`ARows`]: `out[i * ldc + j - c0] = requant(sum_k row_i[k] w[j, k])`
/// for the columns `j` of `panels` (`c0` its first column).
///
/// # Panics
/// If a row's runs are out of `a.data`, `segs * seg_len != w.k()`, `panels` is not a range
/// of `w`'s panels, or `out` is too short.
pub(crate) fn gemm_rows<F: Fn(usize) -> usize>(
    a: &ARows<'_, F>,
    w: &PackedWeightI8,
    rq: &Requant,
    panels: std::ops::Range<usize>,
    out: &mut [u8],
    ldc: usize,
) {
    let (n, k, m) = (w.n(), w.k(), a.m);
    assert!(
        panels.start <= panels.end && panels.end <= w.panels(),
        "qgemm_u8i8: panels {panels:?} of {}",
        w.panels()
    );
    assert_eq!(
        a.segs * a.seg_len,
        k,
        "qgemm_u8i8: rows of {} x {} bytes for k={k}",
        a.segs,
        a.seg_len
    );
    let c0 = panels.start * PANEL_COLS;
    let ncols = n.min(panels.end * PANEL_COLS).saturating_sub(c0);
    check_out(out.len(), m, ldc, ncols, rq);
    assert!(
        rq.multiplier.len() >= c0 + ncols,
        "qgemm_u8i8: the Requant is for another weight"
    );
    if m == 0 || ncols == 0 {
        return;
    }
    let path = path();
    let kp = w.kp();
    let row_off: Vec<i32> = if rq.row_offsets {
        (0..m)
            .map(|i| a.runs(i).flatten().map(|&v| v as i32).sum())
            .collect()
    } else {
        vec![0; m]
    };
    // Runs of whole groups of 4 bytes are read in place (a partial tile repeats its last
    // row, whose products are dropped); otherwise each tile of rows is copied into `tbuf`
    // (MR rows of kp bytes, zero-padded).
    let direct = a.seg_len.is_multiple_of(4);
    let mut tbuf = Vec::new();
    let bp = block_panels(kp);
    let tiles = m.div_ceil(MR);
    for p0 in (panels.start..panels.end).step_by(bp) {
        for t in 0..tiles {
            let rows = MR.min(m - t * MR);
            let last = t * MR + rows - 1;
            let at = if direct {
                Tile {
                    data: a.data,
                    offs: std::array::from_fn(|r| (a.start)((t * MR + r).min(last))),
                    segs: a.segs,
                    seg_stride: a.seg_stride,
                    seg_len: a.seg_len,
                }
            } else {
                // Zeroed once: the bytes past k of each row stay zero, rows past `rows`
                // are never read (the offsets repeat the last row).
                if tbuf.is_empty() {
                    tbuf = vec![0u8; MR * kp];
                }
                for r in 0..rows {
                    let mut d = r * kp;
                    for run in a.runs(t * MR + r) {
                        tbuf[d..d + run.len()].copy_from_slice(run);
                        d += run.len();
                    }
                }
                Tile {
                    data: &tbuf,
                    offs: std::array::from_fn(|r| r.min(rows - 1) * kp),
                    segs: 1,
                    seg_stride: 0,
                    seg_len: kp,
                }
            };
            at.check(kp);
            let first = t * MR;
            for p in p0..panels.end.min(p0 + bp) {
                let j0 = p * PANEL_COLS;
                let o = RqOut {
                    rq,
                    j0,
                    cols: PANEL_COLS.min(n - j0),
                    rows,
                    row_off: &row_off[first..first + rows],
                    offs: std::array::from_fn(|r| (first + r.min(rows - 1)) * ldc + j0 - c0),
                };
                tile_requant(path, &at, w.panel(p), &o, out);
            }
        }
    }
}

/// Where a tile's requantized rows go: row `r < rows` of the tile (row offset
/// `row_off[r]`), weight columns `j0..j0 + cols`, to `out[offs[r]..offs[r] + cols]`.
pub(crate) struct RqOut<'a> {
    pub rq: &'a Requant,
    pub j0: usize,
    pub cols: usize,
    pub rows: usize,
    pub row_off: &'a [i32],
    pub offs: [usize; MR],
}

impl RqOut<'_> {
    /// Asserts what the requantizing stores rely on: at most `MR` rows and `PANEL_COLS`
    /// columns, each row's bytes inside `out`, and the requantization vectors reaching
    /// past column `j0 + PANEL_COLS` (they are padded to whole panels).
    pub(crate) fn check(&self, out_len: usize) {
        let rq = self.rq;
        let end = self.j0 + PANEL_COLS;
        assert!(
            (1..=MR).contains(&self.rows)
                && self.cols <= PANEL_COLS
                && self.row_off.len() >= self.rows
                && self.offs[..self.rows]
                    .iter()
                    .all(|&o| o + self.cols <= out_len)
                && rq.multiplier.len() >= end
                && rq.bias_term.len() >= end
                && rq.a_zp_col.len() >= end
                && rq.w_zp.len() >= end,
            "int8 micro-kernel: output rows out of bounds"
        );
    }
}

/// The product of the tile `a` with the weight panel `b`, requantized into `out` as `o`
/// says: fused into the VNNI kernel's epilogue, else through an i32 tile.
fn tile_requant(path: Path, a: &Tile<'_>, b: &[i8], o: &RqOut<'_>, out: &mut [u8]) {
    o.check(out.len());
    #[cfg(target_arch = "x86_64")]
    if path == Path::Vnni {
        return super::x86::kernel_vnni(a, b, o, out);
    }
    let mut tile = [0i32; MR * PANEL_COLS];
    micro_kernel(path, a, b, &mut tile);
    for r in 0..o.rows {
        let acc = &tile[r * PANEL_COLS..(r + 1) * PANEL_COLS];
        let dst = &mut out[o.offs[r]..o.offs[r] + o.cols];
        requant_row(path, o.rq, acc, o.row_off[r], o.j0, dst);
    }
}

/// `MR` rows of activations for a micro-kernel: row `r`'s `segs * seg_len` bytes are
/// `segs` runs of `seg_len` bytes (a multiple of 4), the `s`-th at
/// `data[offs[r] + s * seg_stride..]`.
pub(crate) struct Tile<'a> {
    pub data: &'a [u8],
    pub offs: [usize; MR],
    pub segs: usize,
    pub seg_stride: usize,
    pub seg_len: usize,
}

impl Tile<'_> {
    /// Asserts what the micro-kernels rely on: the runs hold `kp` bytes in groups of 4 and
    /// lie inside `data`.
    pub(crate) fn check(&self, kp: usize) {
        let end = self.segs.saturating_sub(1) * self.seg_stride + self.seg_len;
        assert!(
            self.segs * self.seg_len == kp
                && self.seg_len.is_multiple_of(4)
                && self.offs.iter().all(|&o| o + end <= self.data.len()),
            "int8 micro-kernel: activation runs out of bounds"
        );
    }
}

#[allow(clippy::too_many_arguments)]
fn check(
    a_len: usize,
    m: usize,
    lda: usize,
    k: usize,
    o_len: usize,
    ldc: usize,
    n: usize,
    rq: &Requant,
) {
    check_a(a_len, m, lda, k);
    check_out(o_len, m, ldc, n, rq);
}

/// `m` rows of `k` activations at stride `lda` fit in `a_len` bytes.
fn check_a(a_len: usize, m: usize, lda: usize, k: usize) {
    assert!(
        lda >= k && (m == 0 || a_len >= (m - 1) * lda + k),
        "qgemm_u8i8: activations of length {a_len} too short for m={m} rows of k={k} at \
         lda={lda}"
    );
}

/// `m` output rows of `n` bytes at stride `ldc` fit in `o_len` bytes, and `rq` has `n`
/// channels.
fn check_out(o_len: usize, m: usize, ldc: usize, n: usize, rq: &Requant) {
    assert!(
        ldc >= n && (m == 0 || o_len >= (m - 1) * ldc + n),
        "qgemm_u8i8: output of length {o_len} too short for m={m} rows of n={n} at ldc={ldc}"
    );
    assert!(
        rq.multiplier.len() >= n,
        "qgemm_u8i8: the Requant was made for another weight (fewer than n={n} channels)"
    );
}

/// `tile[r][c] = sum_k row_r[k] * b[c, k]` (wrapping i32) for the `MR` rows of `a` and one
/// weight panel `b` of `kp * PANEL_COLS` bytes, on the paths without a fused epilogue.
fn micro_kernel(path: Path, a: &Tile<'_>, b: &[i8], tile: &mut [i32; MR * PANEL_COLS]) {
    let kp = a.segs * a.seg_len;
    a.check(kp);
    assert!(b.len() >= kp * PANEL_COLS);
    match path {
        #[cfg(target_arch = "x86_64")]
        Path::Avx2 => super::x86::kernel_avx2(a, b, tile),
        _ => kernel_scalar(a, b, tile),
    }
}

fn kernel_scalar(a: &Tile<'_>, b: &[i8], tile: &mut [i32; MR * PANEL_COLS]) {
    tile.fill(0);
    let sq = a.seg_len / 4;
    for s in 0..a.segs {
        for q in 0..sq {
            let bq = &b[(s * sq + q) * PANEL_COLS * 4..(s * sq + q + 1) * PANEL_COLS * 4];
            for r in 0..MR {
                let o = a.offs[r] + s * a.seg_stride + 4 * q;
                let ar = &a.data[o..o + 4];
                let trow = &mut tile[r * PANEL_COLS..(r + 1) * PANEL_COLS];
                for (c, t) in trow.iter_mut().enumerate() {
                    let bc = &bq[c * 4..c * 4 + 4];
                    let dot: i32 = (0..4).map(|x| ar[x] as i32 * bc[x] as i32).sum();
                    *t = t.wrapping_add(dot);
                }
            }
        }
    }
}

fn requant_row(path: Path, rq: &Requant, acc: &[i32], row_off: i32, j0: usize, out: &mut [u8]) {
    match path {
        #[cfg(target_arch = "x86_64")]
        Path::Avx2 => super::x86::requant_row_avx2(rq, acc, row_off, j0, out),
        _ => rq.row_scalar(&acc[..out.len()], row_off, j0, out),
    }
}

/// The definition [`qgemm_u8i8`] implements, written plainly from unpacked row-major
/// `[n, k]` weights (for tests): `sum_k (a - a_zp)(w - w_zp)` in wrapping i32, then
/// [`Requant`]'s scalar sequence. Slow; every backend of [`qgemm_u8i8`] equals it.
///
/// # Panics
/// As [`qgemm_u8i8`].
#[allow(clippy::too_many_arguments)]
pub fn qgemm_u8i8_reference(
    a: &[u8],
    m: usize,
    lda: usize,
    w: &PackedWeightI8,
    rq: &Requant,
    out: &mut [u8],
    ldc: usize,
) {
    let (n, k) = (w.n(), w.k());
    check(a.len(), m, lda, k, out.len(), ldc, n, rq);
    let wu = w.unpack();
    for i in 0..m {
        for j in 0..n {
            let mut s = 0i32;
            for kk in 0..k {
                let x = a[i * lda + kk] as i32 - rq.a_zp;
                let y = wu[j * k + kk] as i32 - w.zero_points()[j];
                s = s.wrapping_add(x * y);
            }
            // row_scalar subtracts the offsets; feed it the acc that makes raw == s.
            let row: i32 = a[i * lda..i * lda + k].iter().map(|&v| v as i32).sum();
            let row = if rq.row_offsets { row } else { 0 };
            let acc = s
                .wrapping_add(rq.a_zp_col[j])
                .wrapping_add(row.wrapping_mul(rq.w_zp[j]));
            rq.row_scalar(&[acc], row, j, &mut out[i * ldc + j..i * ldc + j + 1]);
        }
    }
}
