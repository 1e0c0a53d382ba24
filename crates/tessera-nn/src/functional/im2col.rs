//! im2col and its adjoint col2im for the convolution, over a range of output positions
//! so that a tile of columns fits in a core's cache.
//!
//! Written here because no maintained crate packs convolution windows for `gemm`.

use super::conv::Geom;
use crate::Float;

/// The range of output columns `ow` whose input column `ow * s + off` lies in `[0, w)`.
fn valid_range(off: isize, s: usize, w: usize, wo: usize) -> (usize, usize) {
    let s = s as isize;
    // smallest ow with ow*s + off >= 0
    let lo = if off >= 0 { 0 } else { (-off + s - 1) / s };
    // largest ow with ow*s + off <= w-1, plus one
    let hi = if (w as isize) - 1 - off < 0 {
        0
    } else {
        ((w as isize - 1 - off) / s + 1).min(wo as isize)
    };
    (lo as usize, (hi.max(lo)) as usize)
}

/// Calls `f(oh, a, b, at)` for each output row `oh` that the flat output positions
/// `[p0, p1)` touch: its columns `[a, b)`, which sit at `at..at + (b - a)` of a row of
/// the tile.
fn rows_of(g: &Geom, (p0, p1): (usize, usize), mut f: impl FnMut(usize, usize, usize, usize)) {
    if p0 >= p1 {
        return;
    }
    for oh in p0 / g.wo..=(p1 - 1) / g.wo {
        let a = p0.max(oh * g.wo) - oh * g.wo;
        let b = p1.min((oh + 1) * g.wo) - oh * g.wo;
        f(oh, a, b, oh * g.wo + a - p0);
    }
}

/// `dst.copy_from_slice(src)` for the short runs of small images (rows of up to 64
/// elements): blocks of 8 (or 4) of a size the compiler knows, the last block
/// overlapping the one before it, instead of a call to `memmove` per run.
#[inline]
fn copy_run<T: Copy>(dst: &mut [T], src: &[T]) {
    let n = dst.len();
    assert_eq!(n, src.len());
    if n > 64 {
        return dst.copy_from_slice(src);
    }
    if n < 4 {
        for (d, &v) in dst.iter_mut().zip(src) {
            *d = v;
        }
        return;
    }
    let b = if n < 8 { 4 } else { 8 };
    let mut i = 0;
    while i + b <= n {
        copy_block(&mut dst[i..i + b], &src[i..i + b]);
        i += b;
    }
    if i < n {
        copy_block(&mut dst[n - b..], &src[n - b..]);
    }
}

/// Copies a block of 4 or 8 elements as an array of that size.
#[inline(always)]
fn copy_block<T: Copy>(d: &mut [T], s: &[T]) {
    if d.len() == 8 {
        let s: &[T; 8] = s.try_into().expect("8 elements");
        let d: &mut [T; 8] = d.try_into().expect("8 elements");
        *d = *s;
    } else {
        let s: &[T; 4] = s.try_into().expect("4 elements");
        let d: &mut [T; 4] = d.try_into().expect("4 elements");
        *d = *s;
    }
}

/// Packs the windows of output positions `[p0, p1)` of one group of one image (`x`:
/// `[cg, h, w]`) into `cols` (`[cg * kh * kw, p1 - p0]`, row-major), zeros where a
/// window reads padding. Writes every element of `cols[.. ckk * (p1 - p0)]`.
pub(super) fn im2col<T: Float>(g: &Geom, x: &[T], range: (usize, usize), cols: &mut [T]) {
    if g.sw == 1 && g.dw == 1 && range == (0, g.ho * g.wo) {
        return im2col_unit(g, x, cols);
    }
    let len = range.1 - range.0;
    let plane = g.h * g.w;
    let padded = g.pt > 0 || g.pl > 0;
    for c in 0..g.cg() {
        let xc = &x[c * plane..(c + 1) * plane];
        for ki in 0..g.kh {
            for kj in 0..g.kw {
                let r = (c * g.kh + ki) * g.kw + kj;
                let row = &mut cols[r * len..(r + 1) * len];
                if padded {
                    // One fill for the row rather than a call per padded run.
                    row.fill(T::ZERO);
                }
                let offw = (kj * g.dw) as isize - g.pl as isize;
                let (lo, hi) = valid_range(offw, g.sw, g.w, g.wo);
                rows_of(g, range, |oh, a, b, at| {
                    let dst = &mut row[at..at + (b - a)];
                    let ih = (oh * g.sh + ki * g.dh) as isize - g.pt as isize;
                    let (lo, hi) = (lo.clamp(a, b), hi.clamp(a, b));
                    if ih < 0 || ih >= g.h as isize || lo >= hi {
                        if !padded {
                            dst.fill(T::ZERO);
                        }
                        return;
                    }
                    if !padded {
                        dst[..lo - a].fill(T::ZERO);
                        dst[hi - a..].fill(T::ZERO);
                    }
                    let src = &xc[ih as usize * g.w..][..g.w];
                    let start = (lo as isize * g.sw as isize + offw) as usize;
                    let dst = &mut dst[lo - a..hi - a];
                    match g.sw {
                        1 => copy_run(dst, &src[start..start + (hi - lo)]),
                        2 => copy_even(dst, &src[start..]),
                        _ => {
                            for (i, d) in dst.iter_mut().enumerate() {
                                *d = src[start + i * g.sw];
                            }
                        }
                    }
                });
            }
        }
    }
}

/// `dst[i] = src[2 * i]` for every `i < dst.len()` (stride-2 rows, as the ResNet stem's),
/// reading `src` in pairs so that the loop vectorizes (the last element alone: its pair
/// may end past the row).
#[inline]
fn copy_even<T: Copy>(dst: &mut [T], src: &[T]) {
    let Some(n) = dst.len().checked_sub(1) else {
        return;
    };
    let (body, last) = dst.split_at_mut(n);
    for (d, pair) in body.iter_mut().zip(src[..2 * n].chunks_exact(2)) {
        *d = pair[0];
    }
    last[0] = src[2 * n];
}

/// [`im2col`] of all output positions with unit stride and dilation along rows (most
/// small convolutions): per kernel tap and output row, the zeros of the padding at its
/// two ends and one copy between them, each element written once.
fn im2col_unit<T: Float>(g: &Geom, x: &[T], cols: &mut [T]) {
    let (plane, hwo, wo) = (g.h * g.w, g.ho * g.wo, g.wo);
    for c in 0..g.cg() {
        let xc = &x[c * plane..(c + 1) * plane];
        for ki in 0..g.kh {
            for kj in 0..g.kw {
                let r = (c * g.kh + ki) * g.kw + kj;
                let row = &mut cols[r * hwo..(r + 1) * hwo];
                let offw = (kj * g.dw) as isize - g.pl as isize;
                let (lo, hi) = valid_range(offw, 1, g.w, wo);
                // input column of output column `lo`
                let start = (lo as isize + offw) as usize;
                for (oh, dst) in row.chunks_exact_mut(wo).enumerate() {
                    let ih = (oh * g.sh + ki * g.dh) as isize - g.pt as isize;
                    if ih < 0 || ih >= g.h as isize || lo >= hi {
                        dst.fill(T::ZERO);
                        continue;
                    }
                    let src = &xc[ih as usize * g.w..][..g.w];
                    let (left, rest) = dst.split_at_mut(lo);
                    let (mid, right) = rest.split_at_mut(hi - lo);
                    left.iter_mut().for_each(|v| *v = T::ZERO);
                    copy_run(mid, &src[start..start + (hi - lo)]);
                    right.iter_mut().for_each(|v| *v = T::ZERO);
                }
            }
        }
    }
}

/// The adjoint of [`im2col`]: adds the columns of output positions `[p0, p1)` back into
/// the image gradient `dx` (`[cg, h, w]`, accumulated).
pub(super) fn col2im<T: Float>(g: &Geom, cols: &[T], range: (usize, usize), dx: &mut [T]) {
    if g.sw == 1 && g.dw == 1 && range == (0, g.ho * g.wo) {
        return col2im_unit(g, cols, dx);
    }
    let len = range.1 - range.0;
    let plane = g.h * g.w;
    for c in 0..g.cg() {
        let dxc = &mut dx[c * plane..(c + 1) * plane];
        for ki in 0..g.kh {
            for kj in 0..g.kw {
                let r = (c * g.kh + ki) * g.kw + kj;
                let row = &cols[r * len..(r + 1) * len];
                let offw = (kj * g.dw) as isize - g.pl as isize;
                let (lo, hi) = valid_range(offw, g.sw, g.w, g.wo);
                rows_of(g, range, |oh, a, b, at| {
                    let ih = (oh * g.sh + ki * g.dh) as isize - g.pt as isize;
                    let (lo, hi) = (lo.clamp(a, b), hi.clamp(a, b));
                    if ih < 0 || ih >= g.h as isize || lo >= hi {
                        return;
                    }
                    let dst = &mut dxc[ih as usize * g.w..][..g.w];
                    let src = &row[at + (lo - a)..at + (hi - a)];
                    let start = (lo as isize * g.sw as isize + offw) as usize;
                    if g.sw == 1 {
                        for (d, &v) in dst[start..start + src.len()].iter_mut().zip(src) {
                            *d += v;
                        }
                    } else {
                        for (i, &v) in src.iter().enumerate() {
                            dst[start + i * g.sw] += v;
                        }
                    }
                });
            }
        }
    }
}

/// [`col2im`] of all output positions with unit stride and dilation along rows: per
/// kernel tap and output row, one run added into the input row it came from.
fn col2im_unit<T: Float>(g: &Geom, cols: &[T], dx: &mut [T]) {
    let (plane, hwo, wo) = (g.h * g.w, g.ho * g.wo, g.wo);
    for c in 0..g.cg() {
        let dxc = &mut dx[c * plane..(c + 1) * plane];
        for ki in 0..g.kh {
            for kj in 0..g.kw {
                let r = (c * g.kh + ki) * g.kw + kj;
                let row = &cols[r * hwo..(r + 1) * hwo];
                let offw = (kj * g.dw) as isize - g.pl as isize;
                let (lo, hi) = valid_range(offw, 1, g.w, wo);
                if lo >= hi {
                    continue;
                }
                let start = (lo as isize + offw) as usize;
                for (oh, src) in row.chunks_exact(wo).enumerate() {
                    let ih = (oh * g.sh + ki * g.dh) as isize - g.pt as isize;
                    if ih < 0 || ih >= g.h as isize {
                        continue;
                    }
                    let dst = &mut dxc[ih as usize * g.w + start..][..hi - lo];
                    for (d, &v) in dst.iter_mut().zip(&src[lo..hi]) {
                        *d += v;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn copy_even_copies_every_length() {
        for n in 0..40 {
            // A source that ends at the last element read.
            let src: Vec<u32> = (0..(2 * n).max(1) as u32 - 1).map(|i| i * 3 + 1).collect();
            let mut dst = vec![0u32; n];
            super::copy_even(&mut dst, &src);
            let want: Vec<u32> = (0..n).map(|i| src[2 * i]).collect();
            assert_eq!(dst, want, "length {n}");
        }
    }

    #[test]
    fn copy_run_copies_every_length() {
        for n in 0..80 {
            let src: Vec<u32> = (0..n as u32).map(|i| i * 3 + 1).collect();
            let mut dst = vec![0u32; n];
            super::copy_run(&mut dst, &src);
            assert_eq!(dst, src, "length {n}");
        }
    }

    /// The whole-image unit-stride paths against the tiled general ones (two ranges
    /// that split a row): paddings, a dilation in height, a 3x2 kernel, odd sizes.
    #[test]
    fn unit_paths_match_the_general_ones() {
        use super::super::conv::{geometry, ConvOptions};
        use tessera_core::{DType, Generator};
        let mut rng = Generator::new(9);
        for &(c, h, w, kh, kw, p, dh) in &[
            (1, 5, 7, 3, 3, 1, 1),
            (3, 6, 4, 3, 2, 2, 1),
            (2, 9, 8, 3, 3, 0, 2),
            (2, 4, 3, 3, 3, 2, 1),
        ] {
            let x = rng.randn(&[1, c, h, w], DType::F64);
            let wt = rng.randn(&[1, c, kh, kw], DType::F64);
            let o = ConvOptions::default().padding(p).dilation_hw(dh, 1);
            let g = geometry("t", &x, &wt, &o);
            let xs = x.to_vec::<f64>();
            let (ckk, hwo) = (c * kh * kw, g.ho * g.wo);
            let mut whole = vec![f64::NAN; ckk * hwo];
            super::im2col(&g, &xs, (0, hwo), &mut whole);
            let cut = hwo / 2 + 1;
            let mut parts = vec![0.0; ckk * hwo];
            for (p0, p1) in [(0, cut), (cut, hwo)] {
                let mut tile = vec![f64::NAN; ckk * (p1 - p0)];
                super::im2col(&g, &xs, (p0, p1), &mut tile);
                for r in 0..ckk {
                    parts[r * hwo + p0..r * hwo + p1]
                        .copy_from_slice(&tile[r * (p1 - p0)..(r + 1) * (p1 - p0)]);
                }
            }
            assert_eq!(
                whole, parts,
                "im2col {c}x{h}x{w}, kernel {kh}x{kw}, pad {p}"
            );
            let cols = rng.randn(&[ckk * hwo], DType::F64).to_vec::<f64>();
            let mut dx_whole = vec![0.0; c * h * w];
            super::col2im(&g, &cols, (0, hwo), &mut dx_whole);
            let mut dx_parts = vec![0.0; c * h * w];
            for (p0, p1) in [(0, cut), (cut, hwo)] {
                let tile: Vec<f64> = (0..ckk)
                    .flat_map(|r| cols[r * hwo + p0..r * hwo + p1].to_vec())
                    .collect();
                super::col2im(&g, &tile, (p0, p1), &mut dx_parts);
            }
            for (a, b) in dx_whole.iter().zip(&dx_parts) {
                assert!(
                    (a - b).abs() <= 1e-12 * (1.0 + b.abs()),
                    "col2im: {a} vs {b}"
                );
            }
        }
    }
}
