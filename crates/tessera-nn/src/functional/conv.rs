//! `conv1d` and `conv2d` (`torch.nn.functional.conv1d/conv2d`): im2col into the `gemm`
//! crate tile by tile, with a hand-written backward (col2im) recorded as one autograd
//! node.
//!
//! The forward cuts each image and group into tiles of output positions whose im2col
//! columns fit in a core's cache (`[64, 56, 56]` with a 3x3 kernel: 224 positions, 516
//! KiB) and spreads the tiles over the pool, each a single-threaded gemm into its block
//! of the output; a pointwise (1x1, stride 1) convolution reads the input in place. The
//! backward spreads (image, group) pairs, each walking its tiles through one buffer.
//! A small convolution whose weight needs a gradient packs all its columns once, before
//! the forward, and keeps them for the weight gradient.
//! im2col lives in `im2col.rs`; the products are gemm's.

use super::fused::Epilogue;
use super::gemm::{matmul, Dst, Mat};
use super::im2col::{col2im, im2col};
use super::{winograd, winograd_grad};
use crate::{float_dispatch, Float};
use rayon::prelude::*;
use tessera_core::autograd::{custom_op, is_grad_enabled, Saves};
use tessera_core::runtime::pool::{parallel, pool, usable_threads};
use tessera_core::runtime::{scratch, Output};
use tessera_core::{DType, Tensor};

/// Padding of a convolution (`padding=` of `F.conv2d`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Padding {
    /// Zero padding of `(height, width)` on both sides (`padding=(ph, pw)`); conv1d
    /// uses the second.
    Explicit(usize, usize),
    /// `padding="same"`: the output keeps the input's size (stride 1 only); an odd total
    /// puts the extra row or column at the end, as PyTorch.
    Same,
    /// `padding="valid"`: no padding.
    Valid,
}

/// Options of [`conv2d`] and [`conv1d`]: PyTorch's defaults (stride 1, no padding,
/// dilation 1, one group). Pairs are `(height, width)`; conv1d uses the second.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConvOptions {
    /// Stride.
    pub stride: (usize, usize),
    /// Padding.
    pub padding: Padding,
    /// Dilation.
    pub dilation: (usize, usize),
    /// Groups.
    pub groups: usize,
}

impl Default for ConvOptions {
    fn default() -> Self {
        ConvOptions {
            stride: (1, 1),
            padding: Padding::Explicit(0, 0),
            dilation: (1, 1),
            groups: 1,
        }
    }
}

impl ConvOptions {
    /// The same stride in every dim.
    pub fn stride(mut self, s: usize) -> Self {
        self.stride = (s, s);
        self
    }
    /// Stride `(sh, sw)`.
    pub fn stride_hw(mut self, sh: usize, sw: usize) -> Self {
        self.stride = (sh, sw);
        self
    }
    /// The same zero padding in every dim.
    pub fn padding(mut self, p: usize) -> Self {
        self.padding = Padding::Explicit(p, p);
        self
    }
    /// Zero padding `(ph, pw)`.
    pub fn padding_hw(mut self, ph: usize, pw: usize) -> Self {
        self.padding = Padding::Explicit(ph, pw);
        self
    }
    /// `padding="same"`.
    pub fn same(mut self) -> Self {
        self.padding = Padding::Same;
        self
    }
    /// The same dilation in every dim.
    pub fn dilation(mut self, d: usize) -> Self {
        self.dilation = (d, d);
        self
    }
    /// Dilation `(dh, dw)`.
    pub fn dilation_hw(mut self, dh: usize, dw: usize) -> Self {
        self.dilation = (dh, dw);
        self
    }
    /// Groups.
    pub fn groups(mut self, g: usize) -> Self {
        self.groups = g;
        self
    }
}

/// The sizes of one convolution.
#[derive(Clone, Copy, Debug)]
pub(super) struct Geom {
    pub n: usize,
    pub c: usize,
    pub h: usize,
    pub w: usize,
    pub o: usize,
    pub g: usize,
    pub kh: usize,
    pub kw: usize,
    pub sh: usize,
    pub sw: usize,
    pub dh: usize,
    pub dw: usize,
    pub pt: usize,
    pub pl: usize,
    pub ho: usize,
    pub wo: usize,
}

impl Geom {
    pub fn cg(&self) -> usize {
        self.c / self.g
    }
    fn og(&self) -> usize {
        self.o / self.g
    }
    fn ckk(&self) -> usize {
        self.cg() * self.kh * self.kw
    }
    fn hwo(&self) -> usize {
        self.ho * self.wo
    }
    /// A 1x1 convolution without stride or padding: the input is its own column matrix.
    fn pointwise(&self) -> bool {
        self.kh == 1 && self.kw == 1 && self.sh == 1 && self.sw == 1 && self.pt == 0 && self.pl == 0
    }
}

pub(super) fn geometry(op: &str, x: &Tensor, w: &Tensor, o: &ConvOptions) -> Geom {
    assert!(
        x.dim() == 4 && w.dim() == 4,
        "{op}: expected a 4-D input and weight, got input of shape {:?} and weight of shape {:?}",
        x.shape(),
        w.shape()
    );
    assert_eq!(
        x.dtype(),
        w.dtype(),
        "{op}: input type ({}) and weight type ({}) should be the same",
        x.dtype(),
        w.dtype()
    );
    let (n, c, h, wd) = (x.shape()[0], x.shape()[1], x.shape()[2], x.shape()[3]);
    let (oc, cg, kh, kw) = (w.shape()[0], w.shape()[1], w.shape()[2], w.shape()[3]);
    let g = o.groups;
    assert!(
        g > 0 && oc % g == 0 && cg * g == c && kh > 0 && kw > 0,
        "{op}: weight of shape {:?} with groups={g} does not fit an input of shape {:?} (expected {c}/groups input channels per group and out_channels divisible by groups)",
        w.shape(),
        x.shape()
    );
    let (sh, sw) = o.stride;
    let (dh, dw) = o.dilation;
    assert!(
        sh > 0 && sw > 0 && dh > 0 && dw > 0,
        "{op}: stride and dilation must be positive, got {:?} and {:?}",
        o.stride,
        o.dilation
    );
    let (eh, ew) = (dh * (kh - 1), dw * (kw - 1));
    let (pt, pb, pl, pr) = match o.padding {
        Padding::Explicit(ph, pw) => (ph, ph, pw, pw),
        Padding::Valid => (0, 0, 0, 0),
        Padding::Same => {
            assert!(
                sh == 1 && sw == 1,
                "{op}: padding='same' is not supported for strided convolutions"
            );
            (eh / 2, eh - eh / 2, ew / 2, ew - ew / 2)
        }
    };
    assert!(
        h + pt + pb > eh && wd + pl + pr > ew,
        "{op}: input size ({h}x{wd}) with padding is smaller than the dilated kernel size ({}x{})",
        eh + 1,
        ew + 1
    );
    Geom {
        n,
        c,
        h,
        w: wd,
        o: oc,
        g,
        kh,
        kw,
        sh,
        sw,
        dh,
        dw,
        pt,
        pl,
        ho: (h + pt + pb - eh - 1) / sh + 1,
        wo: (wd + pl + pr - ew - 1) / sw + 1,
    }
}

/// How one convolution is cut into tasks: `nchunks` ranges of `nc` output positions per
/// image and group (so that a tile of im2col columns stays in a core's cache), times
/// `parts` ranges of `mo` output channels per group (only when there are fewer tiles
/// than threads, as in the last layers of a ResNet on one image).
#[derive(Clone, Copy, Debug)]
struct Tiles {
    nc: usize,
    nchunks: usize,
    mo: usize,
    parts: usize,
}

/// Bytes of im2col columns per tile: half of a 1 MiB L2, leaving room for gemm's
/// packed blocks.
const TILE_BYTES: usize = 512 << 10;
/// Fewest output positions per tile: below this gemm repacks the weight for too
/// little work.
const MIN_COLS: usize = 128;

fn tiles(g: &Geom, threads: usize, elem: usize, balance: bool) -> Tiles {
    let hwo = g.hwo().max(1);
    let min_nc = MIN_COLS.min(hwo);
    let fit = (TILE_BYTES / (g.ckk().max(1) * elem)).max(min_nc);
    let mut nchunks = hwo.div_ceil(fit);
    let mut parts = 1;
    let base = (g.n * g.g).max(1);
    let tasks = base * nchunks;
    // Few tiles: make their count a multiple of the threads so none waits for the
    // last one, with narrower tiles while they stay wide enough, else by splitting
    // the output channels.
    if balance && threads > 1 && tasks < 4 * threads && !tasks.is_multiple_of(threads) {
        let want = tasks.div_ceil(threads) * threads;
        let nch = want.div_ceil(base);
        if hwo / nch >= min_nc {
            nchunks = nch;
        } else {
            parts = want.div_ceil(tasks).min(g.og().max(1));
        }
    }
    let nc = hwo.div_ceil(nchunks);
    let mo = g.og().max(1).div_ceil(parts);
    Tiles {
        nc,
        nchunks: hwo.div_ceil(nc),
        mo,
        parts: g.og().max(1).div_ceil(mo),
    }
}

/// A raw pointer shared by tasks that write disjoint parts of one buffer.
#[derive(Clone, Copy)]
struct SharedPtr<T>(*mut T);
// SAFETY: only used by `forward_kernel`, whose tasks write disjoint tiles of the output
// (see the SAFETY comment there) while the owning `Vec` outlives them.
unsafe impl<T: Send> Send for SharedPtr<T> {}
// SAFETY: as for `Send`.
unsafe impl<T: Send> Sync for SharedPtr<T> {}
impl<T> SharedPtr<T> {
    fn get(self) -> *mut T {
        self.0
    }
}

/// A per-thread working buffer from core's scratch, given back when the task ends.
struct Cols<T: Float>(Vec<T>);
impl<T: Float + Default> Cols<T> {
    fn new() -> Self {
        Cols(scratch::take(0))
    }
    /// The first `len` elements; whatever they held is overwritten by the caller
    /// (im2col and a non-accumulating gemm write every element).
    fn get(&mut self, len: usize) -> &mut [T] {
        if self.0.len() < len {
            self.0.resize(len, T::ZERO);
        }
        &mut self.0[..len]
    }
}
impl<T: Float> Drop for Cols<T> {
    fn drop(&mut self) {
        scratch::give_back(std::mem::take(&mut self.0));
    }
}

/// The columns `[p0, p1)` of (image, group) pair `pair` (input `xg`) as a
/// `[ckk, p1 - p0]` matrix: the input itself for a pointwise convolution, else the
/// pair's block of `pre` (all pairs' columns, from [`all_columns`]) when given, else
/// im2col into `cols`.
fn columns<'a, T: Float + Default>(
    g: &Geom,
    (xg, pre, pair): (&'a [T], Option<&'a [T]>, usize),
    (p0, p1): (usize, usize),
    cols: &'a mut Cols<T>,
) -> Mat<'a, T> {
    if g.pointwise() {
        Mat {
            data: &xg[p0..],
            rs: g.hwo(),
            cs: 1,
        }
    } else if let Some(pre) = pre {
        let per = g.ckk() * g.hwo();
        Mat {
            data: &pre[pair * per..(pair + 1) * per][p0..],
            rs: g.hwo(),
            cs: 1,
        }
    } else {
        let buf = cols.get(g.ckk() * (p1 - p0));
        im2col(g, xg, (p0, p1), buf);
        Mat::rows(buf, p1 - p0)
    }
}

/// Most bytes of columns a convolution keeps from its forward for its weight gradient
/// (see [`all_columns`]); larger ones are packed again tile by tile.
const KEEP_BYTES: usize = 16 << 20;

/// Whether a convolution keeps its columns for the backward: not pointwise (its input
/// is its columns), and all of them within [`KEEP_BYTES`].
fn keeps_columns(g: &Geom, elem: usize) -> bool {
    !g.pointwise() && g.n * g.g * g.ckk() * g.hwo() * elem <= KEEP_BYTES
}

/// The im2col columns of every (image, group) pair, `[N * groups, ckk, Ho * Wo]`: built
/// once by the forward and read again by the weight gradient (small convolutions,
/// where packing costs as much as the products), across the pool when large.
pub(super) fn all_columns<T: Float + Default>(g: &Geom, x: &[T]) -> Vec<T> {
    let (per, plane) = (g.ckk() * g.hwo(), g.cg() * g.h * g.w);
    let mut cols = vec![T::ZERO; g.n * g.g * per];
    if per == 0 {
        return cols;
    }
    let run = |i: usize, c: &mut [T]| im2col(g, &x[i * plane..][..plane], (0, g.hwo()), c);
    if usable_threads() > 1 && parallel(cols.len()) {
        pool().install(|| {
            cols.par_chunks_mut(per)
                .enumerate()
                .for_each(|(i, c)| run(i, c))
        });
    } else {
        cols.chunks_mut(per)
            .enumerate()
            .for_each(|(i, c)| run(i, c));
    }
    cols
}

/// The forward into a new `[N, O, Ho, Wo]` buffer; `pre`: the columns from
/// [`all_columns`], if built; `epi`: applied to each tile after its product and bias.
pub(super) fn forward_kernel<T: Float + Default>(
    g: &Geom,
    x: &[T],
    w: &[T],
    b: Option<&[T]>,
    pre: Option<&[T]>,
    epi: Option<&Epilogue<'_, T>>,
) -> Vec<T> {
    let threads = usable_threads();
    let hwo = g.hwo();
    let mut out = Output::<T>::zeroed("conv2d", g.n * g.o * hwo).into_vec();
    if out.is_empty() {
        return out;
    }
    let t = tiles(g, threads, std::mem::size_of::<T>(), true);
    let (og, ckk) = (g.og(), g.ckk());
    let ntasks = g.n * g.g * t.nchunks * t.parts;
    let (ptr, total) = (SharedPtr(out.as_mut_ptr()), out.len());
    let task = |i: usize, cols: &mut Cols<T>| {
        let (part, chunk, gi, n) = (
            i % t.parts,
            i / t.parts % t.nchunks,
            i / (t.parts * t.nchunks) % g.g,
            i / (t.parts * t.nchunks * g.g),
        );
        let (p0, p1) = (chunk * t.nc, ((chunk + 1) * t.nc).min(hwo));
        let (o0, o1) = (part * t.mo, ((part + 1) * t.mo).min(og));
        if p0 >= p1 || o0 >= o1 {
            return;
        }
        let xg = &x[(n * g.c + gi * g.cg()) * g.h * g.w..][..g.cg() * g.h * g.w];
        let colm = columns(g, (xg, pre, n * g.g + gi), (p0, p1), cols);
        let first = (n * g.o + gi * og + o0) * hwo + p0;
        let len = (o1 - o0 - 1) * hwo + (p1 - p0);
        assert!(first + len <= total);
        // SAFETY: the task writes rows `o0..o1` x columns `p0..p1` of image `n`, group
        // `gi`: the tasks' `(n, gi, chunk, part)` are distinct, so their tiles are
        // disjoint; `first + len` is inside the output (asserted), which outlives the
        // tasks and is not otherwise touched until they end.
        let dst = unsafe { Dst::raw(ptr.get().add(first), len, hwo) };
        let wg = &w[(gi * og + o0) * ckk..][..(o1 - o0) * ckk];
        matmul(
            (o1 - o0, p1 - p0, ckk),
            dst,
            false,
            Mat::rows(wg, ckk),
            colm,
            1,
        );
        if b.is_some() || epi.is_some() {
            for o in o0..o1 {
                let at = first + (o - o0) * hwo;
                // SAFETY: row `o` of this task's tile, `at .. at + (p1 - p0)`: it ends at or
                // before `first + len` (`o < o1`), inside the output (asserted above); the
                // tile is this task's alone (see `dst`), and `dst` is no longer used.
                let row = unsafe { std::slice::from_raw_parts_mut(ptr.get().add(at), p1 - p0) };
                if let Some(b) = b {
                    let bo = b[gi * og + o];
                    row.iter_mut().for_each(|v| *v += bo);
                }
                if let Some(e) = epi {
                    e.apply(gi * og + o, at, row);
                }
            }
        }
    };
    if threads > 1 && ntasks > 1 {
        pool().install(|| {
            (0..ntasks)
                .into_par_iter()
                .for_each_init(Cols::new, |cols, i| task(i, cols))
        });
    } else {
        let mut cols = Cols::new();
        (0..ntasks).for_each(|i| task(i, &mut cols));
    }
    out
}

/// Gradients of the input and of the weight (each only when asked for). Tasks are
/// (image, group) pairs, each walking its column tiles: im2col, the weight gradient's
/// product into the thread's partial sum, the input gradient's product and col2im,
/// all in one cached buffer. With fewer pairs than threads, the threads go inside gemm.
/// `pre`: the forward's columns (from [`all_columns`]), if kept.
pub(super) fn backward_kernel<T: Float + Default>(
    g: &Geom,
    (x, pre): (&[T], Option<&[T]>),
    w: &[T],
    gy: &[T],
    want_x: bool,
    want_w: bool,
) -> (Option<Vec<T>>, Option<Vec<T>>) {
    let threads = usable_threads();
    let hwo = g.hwo();
    let (og, ckk, plane) = (g.og(), g.ckk(), g.cg() * g.h * g.w);
    let wlen = g.o * ckk;
    let pairs = g.n * g.g;
    let outer = threads > 1 && pairs >= threads;
    let (t, inner) = if outer || threads == 1 {
        (tiles(g, threads, std::mem::size_of::<T>(), false), 1)
    } else {
        (
            Tiles {
                nc: hwo.max(1),
                nchunks: 1,
                mo: og,
                parts: 1,
            },
            threads,
        )
    };
    // One (image, group) pair: adds its weight gradient into `dw` and writes its input
    // gradient into `dxg`.
    let pair = |i: usize, dxg: Option<&mut [T]>, dw: &mut [T], cols: &mut Cols<T>| {
        let (n, gi) = (i / g.g, i % g.g);
        let xg = &x[(n * g.c + gi * g.cg()) * g.h * g.w..][..plane];
        let gyg = &gy[(n * g.o + gi * og) * hwo..][..og * hwo];
        let wg = &w[gi * og * ckk..][..og * ckk];
        let mut dxg = dxg;
        for chunk in 0..t.nchunks {
            let (p0, p1) = (chunk * t.nc, ((chunk + 1) * t.nc).min(hwo));
            if p0 >= p1 {
                continue;
            }
            let gyc = Mat {
                data: &gyg[p0..],
                rs: hwo,
                cs: 1,
            };
            if want_w {
                let colm = columns(g, (xg, pre, i), (p0, p1), cols);
                let colt = Mat {
                    data: colm.data,
                    rs: colm.cs,
                    cs: colm.rs,
                };
                let dwg = Dst::rows(&mut dw[gi * og * ckk..][..og * ckk], ckk);
                matmul((og, ckk, p1 - p0), dwg, true, gyc, colt, inner);
            }
            if let Some(dxg) = dxg.as_deref_mut() {
                let wt = Mat::rows_t(wg, ckk);
                if g.pointwise() {
                    let dst = Dst::strided(&mut dxg[p0..], hwo);
                    matmul((ckk, p1 - p0, og), dst, false, wt, gyc, inner);
                } else {
                    let buf = cols.get(ckk * (p1 - p0));
                    matmul(
                        (ckk, p1 - p0, og),
                        Dst::rows(buf, p1 - p0),
                        false,
                        wt,
                        gyc,
                        inner,
                    );
                    col2im(g, buf, (p0, p1), dxg);
                }
            }
        }
    };
    let mut dx =
        want_x.then(|| Output::<T>::zeroed("conv2d backward", g.n * g.c * g.h * g.w).into_vec());
    let mut dw = vec![T::ZERO; if want_w { wlen } else { 0 }];
    if pairs == 0 || plane == 0 || hwo == 0 {
        return (dx, want_w.then(|| vec![T::ZERO; wlen]));
    }
    let tasks: Vec<(usize, Option<&mut [T]>)> = match dx.as_mut() {
        Some(d) => d.chunks_mut(plane).map(Some).enumerate().collect(),
        None => (0..pairs).map(|i| (i, None)).collect(),
    };
    if outer {
        // Each fold keeps its own weight-gradient partial; at most 2 per thread.
        let min_len = (pairs / (2 * threads)).max(1);
        let partials: Vec<Vec<T>> = pool().install(|| {
            tasks
                .into_par_iter()
                .with_min_len(min_len)
                .fold(
                    || (vec![T::ZERO; dw.len()], Cols::new()),
                    |(mut part, mut cols), (i, dxg)| {
                        pair(i, dxg, &mut part, &mut cols);
                        (part, cols)
                    },
                )
                .map(|(part, _)| part)
                .collect()
        });
        for p in partials {
            dw.iter_mut().zip(p).for_each(|(a, b)| *a += b);
        }
    } else {
        let mut cols = Cols::new();
        for (i, dxg) in tasks {
            pair(i, dxg, &mut dw, &mut cols);
        }
    }
    (dx, want_w.then_some(dw))
}

/// The bias gradient: the sum of each output channel's planes of `gy` (`[N, O, Ho, Wo]`,
/// contiguous), each plane summed in eight lanes (which the compiler vectorizes) and the
/// planes in f64. Written out because `gy.sum_dim([0, 2, 3])` permutes and copies all of
/// `gy` first.
fn bias_grad<T: Float>(g: &Geom, gy: &[T]) -> Vec<T> {
    let hwo = g.hwo();
    let mut acc = vec![0.0f64; g.o];
    if hwo > 0 {
        for (i, plane) in gy.chunks_exact(hwo).enumerate() {
            let mut lanes = [T::ZERO; 8];
            let mut chunks = plane.chunks_exact(8);
            for c in &mut chunks {
                for (l, &v) in lanes.iter_mut().zip(c) {
                    *l += v;
                }
            }
            let rest: f64 = chunks.remainder().iter().map(|v| v.to_f64()).sum();
            acc[i % g.o] += lanes.iter().map(|v| v.to_f64()).sum::<f64>() + rest;
        }
    }
    acc.into_iter().map(T::from_f64).collect()
}

/// 2-D convolution (`F.conv2d(input, weight, bias, stride, padding, dilation, groups)`):
/// input `[N, C, H, W]`, weight `[O, C / groups, kH, kW]`, bias `[O]`; output
/// `[N, O, H_out, W_out]`. f32 and f64, differentiable in all three (one node, its
/// backward computed by gemm and col2im).
///
/// ```
/// use tessera_core::Tensor;
/// use tessera_nn::functional::{conv2d, ConvOptions};
/// let x = Tensor::ones(&[1, 1, 4, 4]);
/// let w = Tensor::ones(&[1, 1, 3, 3]);
/// let y = conv2d(&x, &w, None, ConvOptions::default().padding(1));
/// assert_eq!(y.shape(), &[1, 1, 4, 4]);
/// assert_eq!(y.get::<f32>(&[0, 0, 0, 0]), 4.0); // a corner sees 2x2 ones
/// assert_eq!(y.get::<f32>(&[0, 0, 1, 1]), 9.0);
/// ```
///
/// # Accuracy
/// Each output is one gemm dot product (plus the bias), summed in another order than
/// PyTorch's: the parity tests (`tests/parity_functional.rs`) require agreement with
/// PyTorch within 2e-5 relative + 2e-5 absolute in f32 and 1e-11 relative + 1e-12
/// absolute in f64, for the output and all three gradients. f32 3x3 convolutions with
/// stride 1, one group, at least 16 channels each way and enough 2x2 output blocks take
/// Winograd's F(2x2, 3x3) instead (forward, input gradient and weight gradient): its
/// transforms add a few roundings per output, within `1e-6 * 9 * C` of the exact sum
/// for unit-scale data (`1e-6 * N * H_out * W_out` for the weight gradient; checked
/// against the direct path in f64 by `tests/conv_paths.rs` and winograd's unit tests;
/// the parity tests' and the ResNet-18 logits test's inputs are too small to reach it).
///
/// # Panics
/// If the input or weight is not 4-D, their dtypes differ or are not float, the channels
/// do not fit `groups`, the bias is not `[O]`, stride or dilation is 0, `padding="same"`
/// has a stride, or the padded input is smaller than the dilated kernel.
pub fn conv2d(x: &Tensor, weight: &Tensor, bias: Option<&Tensor>, opts: ConvOptions) -> Tensor {
    let g = geometry("conv2d", x, weight, &opts);
    check_bias("conv2d", &g, x, bias);
    let xc = x.contiguous();
    let wc = weight.contiguous();
    let bc = bias.map(Tensor::contiguous);
    let shape = [g.n, g.o, g.ho, g.wo];
    let wino = x.dtype() == DType::F32 && winograd::applies(&g, usable_threads());
    // The columns, built once for the forward and the weight gradient when small.
    let cols = (!wino
        && is_grad_enabled()
        && weight.requires_grad()
        && keeps_columns(&g, x.dtype().size_in_bytes()))
    .then(|| {
        float_dispatch!("conv2d", x.dtype(), T => {
            let cols = xc.with_contiguous(|xs: &[T]| all_columns(&g, xs));
            let len = cols.len();
            Tensor::from_vec(cols, &[len])
        })
    });
    let fcols = cols.clone();
    let forward = || {
        if wino {
            let out = xc.with_contiguous(|xs: &[f32]| {
                wc.with_contiguous(|ws: &[f32]| {
                    let mut out = Output::<f32>::zeroed("conv2d", g.n * g.o * g.hwo()).into_vec();
                    with_opt(bc.as_ref(), |bs: Option<&[f32]>| {
                        winograd::forward(&g, xs, ws, bs, None, &mut out)
                    });
                    out
                })
            });
            return Tensor::from_vec(out, &shape);
        }
        float_dispatch!("conv2d", x.dtype(), T => {
            let out = with_opt(fcols.as_ref(), |pre: Option<&[T]>| {
                xc.with_contiguous(|xs: &[T]| {
                    wc.with_contiguous(|ws: &[T]| {
                        with_opt(bc.as_ref(), |bs: Option<&[T]>| {
                            forward_kernel(&g, xs, ws, bs, pre, None)
                        })
                    })
                })
            });
            Tensor::from_vec(out, &shape)
        })
    };
    let mut inputs = vec![x, weight];
    if let Some(b) = bias {
        inputs.push(b);
    }
    custom_op(
        "conv2d",
        &inputs,
        Saves::Inputs,
        forward,
        move |gy, _, inp| {
            let (want_x, want_w) = (inp[0].requires_grad(), inp[1].requires_grad());
            let gy = gy.contiguous();
            let (xc, wc) = (inp[0].contiguous(), inp[1].contiguous());
            // The input gradient by Winograd where its convolution takes that path, the
            // weight gradient where the forward did.
            let f32s = gy.dtype() == DType::F32;
            let wdx = (want_x && f32s)
                .then(|| {
                    wc.with_contiguous(|ws: &[f32]| {
                        gy.with_contiguous(|gs: &[f32]| winograd_grad::input_grad(&g, ws, gs))
                    })
                })
                .flatten()
                .map(|v| Tensor::from_vec(v, inp[0].shape()));
            let wdw = (want_w && f32s)
                .then(|| {
                    xc.with_contiguous(|xs: &[f32]| {
                        gy.with_contiguous(|gs: &[f32]| winograd_grad::weight_grad(&g, xs, gs))
                    })
                })
                .flatten()
                .map(|v| Tensor::from_vec(v, inp[1].shape()));
            let want_x = want_x && wdx.is_none();
            let want_w = want_w && wdw.is_none();
            let (dx, dw) = if !want_x && !want_w {
                (None, None)
            } else {
                float_dispatch!("conv2d backward", gy.dtype(), T => {
                let (dx, dw) = with_opt(cols.as_ref(), |pre: Option<&[T]>| {
                    xc.with_contiguous(|xs: &[T]| {
                        wc.with_contiguous(|ws: &[T]| {
                            gy.with_contiguous(|gs: &[T]| {
                                backward_kernel(&g, (xs, pre), ws, gs, want_x, want_w)
                            })
                        })
                    })
                });
                (
                    dx.map(|v| Tensor::from_vec(v, inp[0].shape())),
                    dw.map(|v| Tensor::from_vec(v, inp[1].shape())),
                )
                })
            };
            let mut grads = vec![wdx.or(dx), wdw.or(dw)];
            if inp.len() == 3 {
                let db = float_dispatch!("conv2d backward", gy.dtype(), T => {
                    Tensor::from_vec(gy.with_contiguous(|gs: &[T]| bias_grad(&g, gs)), &[g.o])
                });
                grads.push(Some(db));
            }
            grads
        },
    )
}

/// `f` of the tensor's contiguous elements, if there is a tensor (the kept columns, a
/// bias, a residual).
pub(super) fn with_opt<T: Float, R>(t: Option<&Tensor>, f: impl FnOnce(Option<&[T]>) -> R) -> R {
    match t {
        Some(t) => t.with_contiguous(|s: &[T]| f(Some(s))),
        None => f(None),
    }
}

/// Panics (naming `op`) unless the bias, if any, is `[O]` of the input's dtype.
pub(super) fn check_bias(op: &str, g: &Geom, x: &Tensor, bias: Option<&Tensor>) {
    if let Some(b) = bias {
        assert!(
            b.shape() == [g.o] && b.dtype() == x.dtype(),
            "{op}: bias must have shape [{}] and dtype {}, got {:?} and {}",
            g.o,
            x.dtype(),
            b.shape(),
            b.dtype()
        );
    }
}

/// 1-D convolution (`F.conv1d`): input `[N, C, L]`, weight `[O, C / groups, k]`, bias
/// `[O]`; runs [`conv2d`] on a height-1 view, with the second component of each option.
///
/// # Panics
/// As [`conv2d`], and if the input or weight is not 3-D.
pub fn conv1d(x: &Tensor, weight: &Tensor, bias: Option<&Tensor>, opts: ConvOptions) -> Tensor {
    assert!(
        x.dim() == 3 && weight.dim() == 3,
        "conv1d: expected a 3-D input and weight, got input of shape {:?} and weight of shape {:?}",
        x.shape(),
        weight.shape()
    );
    let o = ConvOptions {
        stride: (1, opts.stride.1),
        dilation: (1, opts.dilation.1),
        padding: match opts.padding {
            Padding::Explicit(_, p) => Padding::Explicit(0, p),
            p => p,
        },
        groups: opts.groups,
    };
    conv2d(&x.unsqueeze(2), &weight.unsqueeze(2), bias, o).squeeze_dim(2)
}
