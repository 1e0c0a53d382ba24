//! The u8 x i8 -> i32 GEMM driver: packs the activation rows, runs a micro-kernel per
//! [`MR`] rows x [`PANEL_COLS`] columns, and requantizes each tile to u8.

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
    qgemm_panels(a, m, lda, w, rq, 0..w.panels(), out, ldc);
}

/// [`qgemm_u8i8`] for the output columns of the weight panels `panels` only: column
/// `panels.start * PANEL_COLS` of the product is column 0 of `out`, each row having
/// `min(n, panels.end * PANEL_COLS) - panels.start * PANEL_COLS` bytes at stride `ldc`.
///
/// # Panics
/// As [`qgemm_u8i8`], or if `panels` is not a range of `w`'s panels.
#[allow(clippy::too_many_arguments)]
pub(crate) fn qgemm_panels(
    a: &[u8],
    m: usize,
    lda: usize,
    w: &PackedWeightI8,
    rq: &Requant,
    panels: std::ops::Range<usize>,
    out: &mut [u8],
    ldc: usize,
) {
    let (n, k) = (w.n(), w.k());
    assert!(
        panels.start <= panels.end && panels.end <= w.panels(),
        "qgemm_u8i8: panels {panels:?} of {}",
        w.panels()
    );
    let c0 = panels.start * PANEL_COLS;
    let ncols = n.min(panels.end * PANEL_COLS).saturating_sub(c0);
    check(a.len(), m, lda, k, out.len(), ldc, ncols, rq);
    if m == 0 || ncols == 0 {
        return;
    }
    let path = path();
    let kp = w.kp();
    let row_off: Vec<i32> = if rq.row_offsets {
        (0..m)
            .map(|i| a[i * lda..i * lda + k].iter().map(|&v| v as i32).sum())
            .collect()
    } else {
        vec![0; m]
    };
    // Whole tiles of rows with k a multiple of 4 are read in place; a partial last tile or
    // a k with a tail is copied into `tbuf` (MR rows of kp bytes, zero-padded).
    let mut tbuf = Vec::new();
    let mut tile = [0i32; MR * PANEL_COLS];
    let bp = block_panels(kp);
    let tiles = m.div_ceil(MR);
    for p0 in (panels.start..panels.end).step_by(bp) {
        for t in 0..tiles {
            let rows = MR.min(m - t * MR);
            let (at, ld) = if rows == MR && kp == k {
                (&a[t * MR * lda..(t * MR + MR - 1) * lda + kp], lda)
            } else {
                tbuf.clear();
                tbuf.resize(MR * kp, 0u8);
                for r in 0..rows {
                    let i = t * MR + r;
                    tbuf[r * kp..r * kp + k].copy_from_slice(&a[i * lda..i * lda + k]);
                }
                (&tbuf[..], kp)
            };
            for p in p0..panels.end.min(p0 + bp) {
                micro_kernel(path, at, ld, w.panel(p), kp, &mut tile);
                let j0 = p * PANEL_COLS;
                let cols = PANEL_COLS.min(n - j0);
                for r in 0..rows {
                    let i = t * MR + r;
                    let acc = &tile[r * PANEL_COLS..(r + 1) * PANEL_COLS];
                    let o = &mut out[i * ldc + j0 - c0..i * ldc + j0 - c0 + cols];
                    requant_row(path, rq, acc, row_off[i], j0, o);
                }
            }
        }
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
    assert!(
        lda >= k && ldc >= n,
        "qgemm_u8i8: lda={lda} < k={k} or ldc={ldc} < n={n}"
    );
    assert!(
        m == 0 || (a_len >= (m - 1) * lda + k && o_len >= (m - 1) * ldc + n),
        "qgemm_u8i8: activations of length {a_len} or output of length {o_len} too short for \
         m={m} rows (k={k}, lda={lda}, n={n}, ldc={ldc})"
    );
    assert!(
        rq.multiplier.len() >= n,
        "qgemm_u8i8: the Requant was made for another weight (fewer than n={n} channels)"
    );
}

/// `tile[r][c] = sum_k a[r * lda + k] * b[c, k]` (wrapping i32) for `MR` rows of `a`
/// (each with `kp` readable bytes: `a.len() >= (MR - 1) * lda + kp`) and one weight panel.
fn micro_kernel(
    path: Path,
    a: &[u8],
    lda: usize,
    b: &[i8],
    kp: usize,
    tile: &mut [i32; MR * PANEL_COLS],
) {
    assert!(a.len() >= (MR - 1) * lda + kp && b.len() >= kp * PANEL_COLS && kp.is_multiple_of(4));
    match path {
        #[cfg(target_arch = "x86_64")]
        Path::Vnni => super::x86::kernel_vnni(a, lda, b, kp, tile),
        #[cfg(target_arch = "x86_64")]
        Path::Avx2 => super::x86::kernel_avx2(a, lda, b, kp, tile),
        Path::Scalar => kernel_scalar(a, lda, b, kp, tile),
    }
}

fn kernel_scalar(a: &[u8], lda: usize, b: &[i8], kp: usize, tile: &mut [i32; MR * PANEL_COLS]) {
    tile.fill(0);
    for q in 0..kp / 4 {
        let bq = &b[q * PANEL_COLS * 4..(q + 1) * PANEL_COLS * 4];
        for r in 0..MR {
            let ar = &a[r * lda + 4 * q..r * lda + 4 * q + 4];
            let trow = &mut tile[r * PANEL_COLS..(r + 1) * PANEL_COLS];
            for (c, t) in trow.iter_mut().enumerate() {
                let bc = &bq[c * 4..c * 4 + 4];
                let dot: i32 = (0..4).map(|x| ar[x] as i32 * bc[x] as i32).sum();
                *t = t.wrapping_add(dot);
            }
        }
    }
}

fn requant_row(path: Path, rq: &Requant, acc: &[i32], row_off: i32, j0: usize, out: &mut [u8]) {
    match path {
        #[cfg(target_arch = "x86_64")]
        Path::Vnni => super::x86::requant_row_avx512(rq, acc, row_off, j0, out),
        #[cfg(target_arch = "x86_64")]
        Path::Avx2 => super::x86::requant_row_avx2(rq, acc, row_off, j0, out),
        Path::Scalar => rq.row_scalar(&acc[..out.len()], row_off, j0, out),
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
