//! Quantized 2-D convolution on NHWC u8 images through the u8 x i8 GEMM. With one group
//! and no horizontal dilation the taps of one kernel row are one contiguous run of the
//! image (`kw * c` bytes), so the GEMM reads each output pixel's `kh` runs in place: from
//! the image itself without padding, else from blocks of input rows copied once with the
//! padding filled with the input zero point (padded taps then contribute exactly zero).
//! Groups and horizontal dilation take im2col into row blocks; a 1x1, stride-1, unpadded
//! convolution reads the image in place as a plain matrix.

use super::gemm::{gemm_rows, qgemm_u8i8_panels, ARows};
use super::pack::{PackedWeightI8, WeightQuant, PANEL_COLS};
use super::requant::{QGemmParams, Requant};
use std::ops::Range;

/// The geometry of a 2-D convolution (PyTorch's `conv2d` arguments), pairs as `(h, w)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Conv2dShape {
    /// Images in the batch.
    pub batch: usize,
    /// Input channels (all groups).
    pub in_channels: usize,
    /// Input height and width.
    pub input: (usize, usize),
    /// Output channels (all groups).
    pub out_channels: usize,
    /// Kernel height and width.
    pub kernel: (usize, usize),
    /// Stride (each at least 1).
    pub stride: (usize, usize),
    /// Zero padding (filled with the input zero point) on each side.
    pub padding: (usize, usize),
    /// Dilation (each at least 1).
    pub dilation: (usize, usize),
    /// Groups; divides both channel counts.
    pub groups: usize,
}

impl Conv2dShape {
    /// Output height and width: `(in + 2 pad - dil (k - 1) - 1) / stride + 1`.
    ///
    /// # Panics
    /// If a stride, dilation or `groups` is 0, `groups` does not divide the channel counts,
    /// or the dilated kernel is larger than the padded input.
    pub fn output(&self) -> (usize, usize) {
        let s = self;
        assert!(
            s.stride.0 > 0 && s.stride.1 > 0 && s.dilation.0 > 0 && s.dilation.1 > 0,
            "qconv2d: stride {:?} and dilation {:?} must be positive",
            s.stride,
            s.dilation
        );
        assert!(
            s.groups > 0
                && s.in_channels.is_multiple_of(s.groups)
                && s.out_channels.is_multiple_of(s.groups),
            "qconv2d: groups={} must divide in_channels={} and out_channels={}",
            s.groups,
            s.in_channels,
            s.out_channels
        );
        let dim = |i: usize, p: usize, d: usize, k: usize, st: usize, name: &str| {
            let span = d * (k.max(1) - 1) + 1;
            assert!(
                i + 2 * p >= span,
                "qconv2d: padded input {name} {} is smaller than the dilated kernel {span}",
                i + 2 * p
            );
            (i + 2 * p - span) / st + 1
        };
        (
            dim(
                s.input.0,
                s.padding.0,
                s.dilation.0,
                s.kernel.0,
                s.stride.0,
                "height",
            ),
            dim(
                s.input.1,
                s.padding.1,
                s.dilation.1,
                s.kernel.1,
                s.stride.1,
                "width",
            ),
        )
    }

    /// Output pixels (`batch * out_h * out_w`): the rows [`qconv2d_nhwc`] splits.
    pub fn out_pixels(&self) -> usize {
        let (oh, ow) = self.output();
        self.batch * oh * ow
    }
}

/// Convolution weights `[out_channels, in_channels / groups, kh, kw]` (PyTorch's layout),
/// packed per group for the GEMM with the reduction ordered `(ky, kx, c)` to match NHWC
/// im2col rows.
#[derive(Clone, Debug)]
pub struct PackedConvWeightI8 {
    out_channels: usize,
    in_per_group: usize,
    kernel: (usize, usize),
    groups: Vec<PackedWeightI8>,
}

impl PackedConvWeightI8 {
    /// Packs `w` (row-major `[out_channels, in_per_group, kh, kw]`) for `groups` groups, with
    /// per-tensor or per-output-channel qparams.
    ///
    /// # Panics
    /// If the length of `w` does not match, `groups` does not divide `out_channels`, or the
    /// qparams are invalid (see [`PackedWeightI8::pack`]).
    pub fn pack(
        w: &[i8],
        out_channels: usize,
        in_per_group: usize,
        kernel: (usize, usize),
        groups: usize,
        quant: WeightQuant<'_>,
    ) -> Self {
        let (kh, kw) = kernel;
        assert!(
            w.len() == out_channels * in_per_group * kh * kw
                && groups > 0
                && out_channels.is_multiple_of(groups),
            "PackedConvWeightI8::pack: weight of length {} is not [{out_channels}, \
             {in_per_group}, {kh}, {kw}] or groups={groups} does not divide {out_channels}",
            w.len()
        );
        let og = out_channels / groups;
        let kg = kh * kw * in_per_group;
        let packed = (0..groups)
            .map(|g| {
                let mut rows = vec![0i8; og * kg];
                for o in 0..og {
                    for c in 0..in_per_group {
                        for y in 0..kh {
                            for x in 0..kw {
                                let src = (((g * og + o) * in_per_group + c) * kh + y) * kw + x;
                                rows[o * kg + (y * kw + x) * in_per_group + c] = w[src];
                            }
                        }
                    }
                }
                let q = match quant {
                    WeightQuant::PerChannel {
                        scales,
                        zero_points,
                    } => {
                        assert!(
                            scales.len() == out_channels && zero_points.len() == out_channels,
                            "PackedConvWeightI8::pack: {} scales, {} zero points for \
                             {out_channels} output channels",
                            scales.len(),
                            zero_points.len()
                        );
                        WeightQuant::PerChannel {
                            scales: &scales[g * og..(g + 1) * og],
                            zero_points: &zero_points[g * og..(g + 1) * og],
                        }
                    }
                    t => t,
                };
                PackedWeightI8::pack(&rows, og, kg, q)
            })
            .collect();
        PackedConvWeightI8 {
            out_channels,
            in_per_group,
            kernel,
            groups: packed,
        }
    }

    /// The weights back in PyTorch's `[out_channels, in_per_group, kh, kw]` layout.
    pub fn unpack(&self) -> Vec<i8> {
        let (kh, kw) = self.kernel;
        let og = self.out_channels / self.groups.len();
        let kg = kh * kw * self.in_per_group;
        let mut w = vec![0i8; self.out_channels * kg];
        for (g, p) in self.groups.iter().enumerate() {
            let rows = p.unpack();
            for o in 0..og {
                for c in 0..self.in_per_group {
                    for y in 0..kh {
                        for x in 0..kw {
                            let dst = (((g * og + o) * self.in_per_group + c) * kh + y) * kw + x;
                            w[dst] = rows[o * kg + (y * kw + x) * self.in_per_group + c];
                        }
                    }
                }
            }
        }
        w
    }

    /// Output channels.
    pub fn out_channels(&self) -> usize {
        self.out_channels
    }
    /// Input channels per group.
    pub fn in_per_group(&self) -> usize {
        self.in_per_group
    }
    /// Kernel height and width.
    pub fn kernel(&self) -> (usize, usize) {
        self.kernel
    }
    /// Number of groups.
    pub fn groups(&self) -> usize {
        self.groups.len()
    }
    /// The packed GEMM weight of group `g`.
    pub fn group(&self, g: usize) -> &PackedWeightI8 {
        &self.groups[g]
    }

    /// The requantization of each group for one call (the bias, if any, has
    /// `out_channels` entries).
    ///
    /// # Panics
    /// As [`Requant::new`], or if the bias length is not `out_channels`.
    pub fn requant(&self, p: &QGemmParams<'_>) -> Vec<Requant> {
        if let Some(b) = p.bias {
            assert_eq!(
                b.len(),
                self.out_channels,
                "qconv2d: bias of length {} for {} output channels",
                b.len(),
                self.out_channels
            );
        }
        let og = self.out_channels / self.groups.len();
        self.groups
            .iter()
            .enumerate()
            .map(|(g, w)| {
                let bias = p.bias.map(|b| &b[g * og..(g + 1) * og]);
                Requant::new(w, &QGemmParams { bias, ..*p })
            })
            .collect()
    }
}

/// Output pixels per im2col block.
const BLOCK_PIXELS: usize = 128;

/// The size a block of zero-point-padded input rows is kept under: in L2 while the GEMM
/// passes over it, and below glibc's initial mmap threshold (128 KiB), so the allocator
/// reuses the block's memory from call to call instead of mapping (and faulting in) fresh
/// pages each time.
const BLOCK_BYTES: usize = 96 << 10;

/// The quantized convolution of the NHWC u8 image `input` (`[batch, h, w, in_channels]`),
/// output pixels `pixels` (indices into `batch * out_h * out_w`, row-major), written to
/// `out` as NHWC rows of `out_channels` bytes (`out.len() == pixels.len() * out_channels`).
///
/// `rq` is `w.requant(&params)`; its activation zero point fills the padding. Equal bit for
/// bit to PyTorch's `quantized::conv2d` (and `conv2d_relu`) on the fbgemm engine, whatever
/// the backend. Single-threaded; split `pixels` across threads to parallelize.
///
/// One known difference: for depthwise convolutions fbgemm runs a special kernel that adds
/// pairs of u8 x i8 products in saturating i16 (`vpmaddubsw`), so with activations above
/// 127 its sums can saturate; this function's sums are exact. With 7-bit activations (what
/// PyTorch's fbgemm qconfigs produce, `reduce_range=True`) the two agree, which the tests
/// check.
///
/// # Panics
/// If the shapes of `input`, `w`, `rq` or `out` do not match `shape`, or as
/// [`Conv2dShape::output`].
pub fn qconv2d_nhwc(
    input: &[u8],
    shape: &Conv2dShape,
    w: &PackedConvWeightI8,
    rq: &[Requant],
    pixels: Range<usize>,
    out: &mut [u8],
) {
    conv(input, shape, w, rq, pixels, None, out);
}

/// [`qconv2d_nhwc`] for the output channels of the weight panels `panels` only (channels
/// `panels.start * PANEL_COLS .. min(out_channels, panels.end * PANEL_COLS)`, written as
/// rows of that many bytes): the split for threads when the output has few pixels and the
/// weights are large, so each thread reads its share of the weights once instead of all of
/// them for its share of the pixels. Same bytes as [`qconv2d_nhwc`] in those columns.
///
/// # Panics
/// As [`qconv2d_nhwc`], or if `groups > 1` or `panels` is not a range of the weight's
/// panels.
pub fn qconv2d_nhwc_panels(
    input: &[u8],
    shape: &Conv2dShape,
    w: &PackedConvWeightI8,
    rq: &[Requant],
    pixels: Range<usize>,
    panels: Range<usize>,
    out: &mut [u8],
) {
    assert_eq!(
        shape.groups, 1,
        "qconv2d_nhwc_panels: only for groups=1, got {shape:?}"
    );
    conv(input, shape, w, rq, pixels, Some(panels), out);
}

/// [`qconv2d_nhwc`] (`panels == None`) and [`qconv2d_nhwc_panels`].
fn conv(
    input: &[u8],
    shape: &Conv2dShape,
    w: &PackedConvWeightI8,
    rq: &[Requant],
    pixels: Range<usize>,
    panels: Option<Range<usize>>,
    out: &mut [u8],
) {
    let s = shape;
    let (oh, ow) = s.output();
    let (h, wd) = s.input;
    let c = s.in_channels;
    let panels = panels.unwrap_or(0..w.group(0).panels());
    // Output row length: every channel, or those of `panels` (groups == 1 then).
    let oc = if panels == (0..w.group(0).panels()) {
        s.out_channels
    } else {
        s.out_channels.min(panels.end * PANEL_COLS)
            - (panels.start * PANEL_COLS).min(s.out_channels)
    };
    assert!(
        w.out_channels == s.out_channels
            && w.groups() == s.groups
            && w.in_per_group * s.groups == c
            && w.kernel == s.kernel
            && rq.len() == s.groups,
        "qconv2d: packed weight [{}, {}, {:?}] x {} groups does not match {s:?}",
        w.out_channels,
        w.in_per_group,
        w.kernel,
        w.groups()
    );
    assert!(
        input.len() == s.batch * h * wd * c
            && pixels.end <= s.batch * oh * ow
            && out.len() == pixels.len() * oc,
        "qconv2d: input of length {} (expected {}), pixels {pixels:?} of {}, or output of \
         length {} (expected {}) do not match {s:?}",
        input.len(),
        s.batch * h * wd * c,
        s.batch * oh * ow,
        out.len(),
        pixels.len() * oc
    );
    let groups = s.groups;
    let (cg, og) = (c / groups, oc / groups);
    // The panels each group computes: all of them, or `panels` (then groups == 1).
    let gp = |g: usize| {
        if groups == 1 {
            panels.clone()
        } else {
            0..w.group(g).panels()
        }
    };
    let (kh, kw) = s.kernel;
    let pointwise = s.kernel == (1, 1) && s.stride == (1, 1) && s.padding == (0, 0);
    if pointwise {
        // Output pixel p reads input pixel p.
        let m = pixels.len();
        let a = &input[pixels.start * c..pixels.end * c];
        for g in 0..groups {
            let out_g = &mut out[g * og..];
            qgemm_u8i8_panels(&a[g * cg..], m, c, w.group(g), &rq[g], gp(g), out_g, oc);
        }
        return;
    }
    if groups == 1 && s.dilation.1 == 1 && kh > 0 && kw > 0 {
        direct(input, s, w.group(0), &rq[0], pixels, panels, out, oc);
        return;
    }
    let kg = kh * kw * cg;
    let ktot = kg * groups;
    let zp = rq.first().map_or(0, |r| r.a_zp) as u8;
    let mut buf = vec![0u8; BLOCK_PIXELS.min(pixels.len()) * ktot];
    let mut p0 = pixels.start;
    while p0 < pixels.end {
        let p1 = pixels.end.min(p0 + BLOCK_PIXELS);
        for (r, p) in (p0..p1).enumerate() {
            let (b, rem) = (p / (oh * ow), p % (oh * ow));
            let (oy, ox) = (rem / ow, rem % ow);
            let row = &mut buf[r * ktot..(r + 1) * ktot];
            for g in 0..groups {
                for ky in 0..kh {
                    let iy = (oy * s.stride.0 + ky * s.dilation.0) as isize - s.padding.0 as isize;
                    let d0 = g * kg + ky * kw * cg;
                    let taps = &mut row[d0..d0 + kw * cg];
                    if iy < 0 || iy as usize >= h {
                        taps.fill(zp);
                        continue;
                    }
                    let line = (b * h + iy as usize) * wd;
                    let x0 = (ox * s.stride.1) as isize - s.padding.1 as isize;
                    for kx in 0..kw {
                        let ix = x0 + (kx * s.dilation.1) as isize;
                        let dst = &mut taps[kx * cg..(kx + 1) * cg];
                        if ix >= 0 && (ix as usize) < wd {
                            let src = (line + ix as usize) * c + g * cg;
                            dst.copy_from_slice(&input[src..src + cg]);
                        } else {
                            dst.fill(zp);
                        }
                    }
                }
            }
        }
        let m = p1 - p0;
        let o = &mut out[(p0 - pixels.start) * oc..(p1 - pixels.start) * oc];
        for g in 0..groups {
            qgemm_u8i8_panels(
                &buf[g * kg..],
                m,
                ktot,
                w.group(g),
                &rq[g],
                gp(g),
                &mut o[g * og..],
                oc,
            );
        }
        p0 = p1;
    }
}

/// The convolution without im2col, for one group and no horizontal dilation: the taps of
/// kernel row `ky` for output pixel `(oy, ox)` are `kw * c` consecutive bytes of input row
/// `oy * sh + ky * dh - ph` (NHWC), so the GEMM reads each pixel's `kh` runs in place
/// ([`ARows`]). Without padding they are read from `input`; with padding, from blocks of
/// input rows copied with `pw` zero-point pixels either side and zero-point rows above and
/// below (one copy of the input, where im2col writes `kh * kw` of them).
#[allow(clippy::too_many_arguments)]
fn direct(
    input: &[u8],
    s: &Conv2dShape,
    w: &PackedWeightI8,
    rq: &Requant,
    pixels: Range<usize>,
    panels: Range<usize>,
    out: &mut [u8],
    oc: usize,
) {
    let (oh, ow) = s.output();
    let (h, wd) = s.input;
    let c = s.in_channels;
    let (kh, kw) = s.kernel;
    let (sh, sw) = s.stride;
    let dh = s.dilation.0;
    let (ph, pw) = s.padding;
    let seg_len = kw * c;
    let plane = oh * ow;
    if (ph, pw) == (0, 0) {
        let rows = ARows {
            data: input,
            m: pixels.len(),
            start: |i: usize| {
                let p = pixels.start + i;
                let (b, oy, ox) = (p / plane, p % plane / ow, p % ow);
                ((b * h + oy * sh) * wd + ox * sw) * c
            },
            segs: kh,
            seg_stride: dh * wd * c,
            seg_len,
        };
        gemm_rows(&rows, w, rq, panels, out, oc);
        return;
    }
    let zp = rq.a_zp as u8;
    let row_bytes = (wd + 2 * pw) * c;
    let span = (kh - 1) * dh + 1;
    // Output rows per block: (per - 1) * sh + span padded rows of about BLOCK_BYTES.
    let per = ((BLOCK_BYTES / row_bytes.max(1)).saturating_sub(span) / sh + 1).max(1);
    let mut buf = Vec::new();
    let mut p0 = pixels.start;
    while p0 < pixels.end {
        let (b, oy0) = (p0 / plane, p0 % plane / ow);
        let oy1 = oh.min(oy0 + per);
        let p1 = pixels.end.min(b * plane + oy1 * ow);
        // Padded rows py0..py1 (input row py - ph), every byte written below.
        let py0 = oy0 * sh;
        let py1 = (oy1 - 1) * sh + span;
        let len = (py1 - py0) * row_bytes;
        if buf.len() < len {
            buf.resize(len, 0u8);
        }
        for (py, row) in (py0..py1).zip(buf[..len].chunks_exact_mut(row_bytes)) {
            match usize::try_from(py as isize - ph as isize) {
                Ok(iy) if iy < h => {
                    let src = (b * h + iy) * wd * c;
                    row[..pw * c].fill(zp);
                    row[pw * c..(pw + wd) * c].copy_from_slice(&input[src..src + wd * c]);
                    row[(pw + wd) * c..].fill(zp);
                }
                _ => row.fill(zp),
            }
        }
        let rows = ARows {
            data: &buf[..len],
            m: p1 - p0,
            start: |i: usize| {
                let q = p0 + i - b * plane;
                let (oy, ox) = (q / ow, q % ow);
                (oy * sh - py0) * row_bytes + ox * sw * c
            },
            segs: kh,
            seg_stride: dh * row_bytes,
            seg_len,
        };
        let o = &mut out[(p0 - pixels.start) * oc..(p1 - pixels.start) * oc];
        gemm_rows(&rows, w, rq, panels.clone(), o, oc);
        p0 = p1;
    }
}
