//! Byte-matrix transposes, for moving quantized activations between NCHW and NHWC.
//!
//! Hand-written: the `transpose` crate's blocked loops move one element at a time, and for
//! `u8` that scalar walk of a batch of 8 images of 64 x 56 x 56 costs a third of the 3x3
//! convolution that follows it. Here a 16 x 16 tile moves through SSE2 (part of every
//! x86-64 CPU, so no feature detection) in 64 unpacks; edges and other targets run the
//! scalar loop. Both give the same bytes: a transpose has no rounding.

/// Writes the transpose of the `rows x cols` byte matrix in `src` (row `r` at
/// `src[r * src_stride..][..cols]`) into `dst` (row `j` at `dst[j * dst_stride..][..rows]`).
/// The bytes of `dst` between rows are left as they were.
///
/// ```
/// use tessera_kernels::quant::transpose_u8;
/// let src = [1u8, 2, 3, 4, 5, 6]; // [[1, 2, 3], [4, 5, 6]]
/// let mut dst = [0u8; 6];
/// transpose_u8(&src, 3, &mut dst, 2, 2, 3);
/// assert_eq!(dst, [1, 4, 2, 5, 3, 6]);
/// ```
///
/// # Panics
/// If a stride is shorter than its row, or `src` or `dst` is too short for the matrix.
pub fn transpose_u8(
    src: &[u8],
    src_stride: usize,
    dst: &mut [u8],
    dst_stride: usize,
    rows: usize,
    cols: usize,
) {
    if rows == 0 || cols == 0 {
        return;
    }
    assert!(
        src_stride >= cols
            && dst_stride >= rows
            && src.len() >= (rows - 1) * src_stride + cols
            && dst.len() >= (cols - 1) * dst_stride + rows,
        "transpose_u8: a {rows} x {cols} matrix does not fit src (len {}, stride {src_stride}) \
         and dst (len {}, stride {dst_stride})",
        src.len(),
        dst.len()
    );
    let (full_rows, full_cols) = (rows / TILE * TILE, cols / TILE * TILE);
    for r0 in (0..full_rows).step_by(TILE) {
        for c0 in (0..full_cols).step_by(TILE) {
            tile(src, src_stride, dst, dst_stride, r0, c0);
        }
    }
    let edge = |dst: &mut [u8], rs: std::ops::Range<usize>, cs: std::ops::Range<usize>| {
        for r in rs {
            for c in cs.clone() {
                dst[c * dst_stride + r] = src[r * src_stride + c];
            }
        }
    };
    edge(dst, full_rows..rows, 0..cols);
    edge(dst, 0..full_rows, full_cols..cols);
}

/// Side of the square tile moved at once.
const TILE: usize = 16;

/// Transposes the 16 x 16 tile at row `r0`, column `c0` of `src` (checked in bounds by
/// the caller).
#[cfg(target_arch = "x86_64")]
fn tile(src: &[u8], ss: usize, dst: &mut [u8], ds: usize, r0: usize, c0: usize) {
    use std::arch::x86_64::*;
    assert!((r0 + TILE - 1) * ss + c0 + TILE <= src.len());
    assert!((c0 + TILE - 1) * ds + r0 + TILE <= dst.len());
    // SAFETY: SSE2 is in x86-64's baseline, so these intrinsics run on every CPU this
    // compiles for. Load `r` reads the 16 bytes `src[(r0 + r) * ss + c0..][..16]` and
    // store `j` writes `dst[(c0 + j) * ds + r0..][..16]`, both in bounds by the asserts
    // above (the largest offsets are `r = 15` and `j = 15`); unaligned access is allowed.
    unsafe {
        let a: [__m128i; 16] = std::array::from_fn(|r| {
            _mm_loadu_si128(src.as_ptr().add((r0 + r) * ss + c0) as *const __m128i)
        });
        // Bytes of rows 2p, 2p+1 paired per column: b[p][h] holds columns 8h..8h+8.
        let b: [[__m128i; 2]; 8] = std::array::from_fn(|p| {
            [
                _mm_unpacklo_epi8(a[2 * p], a[2 * p + 1]),
                _mm_unpackhi_epi8(a[2 * p], a[2 * p + 1]),
            ]
        });
        // Rows 4q..4q+4 per column: c[q][h][l] holds columns 8h+4l..8h+4l+4.
        let c: [[[__m128i; 2]; 2]; 4] = std::array::from_fn(|q| {
            std::array::from_fn(|h| {
                [
                    _mm_unpacklo_epi16(b[2 * q][h], b[2 * q + 1][h]),
                    _mm_unpackhi_epi16(b[2 * q][h], b[2 * q + 1][h]),
                ]
            })
        });
        // Rows 8s..8s+8 per column: d[s][h][l][m] holds columns 8h+4l+2m, +1.
        let d: [[[[__m128i; 2]; 2]; 2]; 2] = std::array::from_fn(|s| {
            std::array::from_fn(|h| {
                std::array::from_fn(|l| {
                    [
                        _mm_unpacklo_epi32(c[2 * s][h][l], c[2 * s + 1][h][l]),
                        _mm_unpackhi_epi32(c[2 * s][h][l], c[2 * s + 1][h][l]),
                    ]
                })
            })
        });
        for j in (0..TILE).step_by(2) {
            let (h, l, m) = (j / 8, j / 4 % 2, j / 2 % 2);
            let (lo, hi) = (d[0][h][l][m], d[1][h][l][m]);
            let out = dst.as_mut_ptr();
            _mm_storeu_si128(
                out.add((c0 + j) * ds + r0) as *mut __m128i,
                _mm_unpacklo_epi64(lo, hi),
            );
            _mm_storeu_si128(
                out.add((c0 + j + 1) * ds + r0) as *mut __m128i,
                _mm_unpackhi_epi64(lo, hi),
            );
        }
    }
}

/// Transposes the 16 x 16 tile at row `r0`, column `c0` of `src`, one byte at a time.
#[cfg(not(target_arch = "x86_64"))]
fn tile(src: &[u8], ss: usize, dst: &mut [u8], ds: usize, r0: usize, c0: usize) {
    for r in r0..r0 + TILE {
        for c in c0..c0 + TILE {
            dst[c * ds + r] = src[r * ss + c];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every shape from empty to a few tiles with ragged edges and padded strides,
    /// against the definition.
    #[test]
    fn matches_the_definition() {
        for rows in [0, 1, 3, 15, 16, 17, 33, 64] {
            for cols in [0, 1, 7, 16, 31, 48, 50] {
                let (ss, ds) = (cols + 5, rows + 3);
                let src: Vec<u8> = (0..rows * ss).map(|i| (i * 31 % 253) as u8).collect();
                let mut dst = vec![0xAAu8; cols * ds];
                transpose_u8(&src, ss, &mut dst, ds, rows, cols);
                for j in 0..cols {
                    for r in 0..ds {
                        let want = if r < rows { src[r * ss + j] } else { 0xAA };
                        assert_eq!(dst[j * ds + r], want, "{rows}x{cols} at ({j}, {r})");
                    }
                }
            }
        }
    }

    #[test]
    #[should_panic(expected = "transpose_u8: a 4 x 4 matrix does not fit")]
    fn short_dst_panics() {
        transpose_u8(&[0; 16], 4, &mut [0; 15], 4, 4, 4);
    }
}
