//! `conv1d` and `conv2d` (`torch.nn.functional.conv1d/conv2d`): im2col into the `gemm`
//! crate, threaded over the batch (or inside gemm for a batch smaller than the pool),
//! with a hand-written backward (col2im) recorded as one autograd node.
//!
//! im2col is written here because no maintained crate packs convolution windows for
//! `gemm`; the products themselves are gemm's.

use super::gemm::{matmul, Mat};
use crate::{float_dispatch, Float};
use rayon::prelude::*;
use tessera_core::autograd::{custom_op, Saves};
use tessera_core::runtime::pool::{pool, usable_threads};
use tessera_core::Tensor;

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
struct Geom {
    n: usize,
    c: usize,
    h: usize,
    w: usize,
    o: usize,
    g: usize,
    kh: usize,
    kw: usize,
    sh: usize,
    sw: usize,
    dh: usize,
    dw: usize,
    pt: usize,
    pl: usize,
    ho: usize,
    wo: usize,
}

impl Geom {
    fn cg(&self) -> usize {
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

fn geometry(op: &str, x: &Tensor, w: &Tensor, o: &ConvOptions) -> Geom {
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

/// The range of output columns `ow` whose input column `ow * sw + off` lies in
/// `[0, w)`, for `off = kj * dw - pl`.
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

/// Packs the windows of one group of one image (`x`: `[cg, h, w]`) into `cols`
/// (`[cg * kh * kw, ho * wo]`), zeros where the window reads padding. Rows of one input
/// channel are written by one task when `par`.
fn im2col<T: Float>(g: &Geom, x: &[T], cols: &mut [T], par: bool) {
    let per_c = g.kh * g.kw * g.hwo();
    let fill = |c: usize, out: &mut [T]| {
        let xc = &x[c * g.h * g.w..(c + 1) * g.h * g.w];
        for ki in 0..g.kh {
            for kj in 0..g.kw {
                let row = &mut out[(ki * g.kw + kj) * g.hwo()..][..g.hwo()];
                let offw = (kj * g.dw) as isize - g.pl as isize;
                let (lo, hi) = valid_range(offw, g.sw, g.w, g.wo);
                for oh in 0..g.ho {
                    let dst = &mut row[oh * g.wo..(oh + 1) * g.wo];
                    let ih = (oh * g.sh + ki * g.dh) as isize - g.pt as isize;
                    if ih < 0 || ih >= g.h as isize || lo >= hi {
                        dst.fill(T::ZERO);
                        continue;
                    }
                    let src = &xc[ih as usize * g.w..][..g.w];
                    dst[..lo].fill(T::ZERO);
                    dst[hi..].fill(T::ZERO);
                    let start = (lo as isize * g.sw as isize + offw) as usize;
                    if g.sw == 1 {
                        dst[lo..hi].copy_from_slice(&src[start..start + (hi - lo)]);
                    } else {
                        for (i, d) in dst[lo..hi].iter_mut().enumerate() {
                            *d = src[start + i * g.sw];
                        }
                    }
                }
            }
        }
    };
    if par {
        pool().install(|| {
            cols.par_chunks_mut(per_c)
                .enumerate()
                .for_each(|(c, out)| fill(c, out))
        });
    } else {
        for (c, out) in cols.chunks_mut(per_c).enumerate() {
            fill(c, out);
        }
    }
}

/// The adjoint of [`im2col`]: adds the columns back into the image gradient `dx`
/// (`[cg, h, w]`, accumulated).
fn col2im<T: Float>(g: &Geom, cols: &[T], dx: &mut [T], par: bool) {
    let per_c = g.kh * g.kw * g.hwo();
    let add = |c: usize, dxc: &mut [T]| {
        let src_c = &cols[c * per_c..(c + 1) * per_c];
        for ki in 0..g.kh {
            for kj in 0..g.kw {
                let row = &src_c[(ki * g.kw + kj) * g.hwo()..][..g.hwo()];
                let offw = (kj * g.dw) as isize - g.pl as isize;
                let (lo, hi) = valid_range(offw, g.sw, g.w, g.wo);
                if lo >= hi {
                    continue;
                }
                for oh in 0..g.ho {
                    let ih = (oh * g.sh + ki * g.dh) as isize - g.pt as isize;
                    if ih < 0 || ih >= g.h as isize {
                        continue;
                    }
                    let dst = &mut dxc[ih as usize * g.w..][..g.w];
                    let src = &row[oh * g.wo..(oh + 1) * g.wo];
                    let start = (lo as isize * g.sw as isize + offw) as usize;
                    for (i, &v) in src[lo..hi].iter().enumerate() {
                        dst[start + i * g.sw] += v;
                    }
                }
            }
        }
    };
    let plane = g.h * g.w;
    if par {
        pool().install(|| {
            dx.par_chunks_mut(plane)
                .enumerate()
                .for_each(|(c, d)| add(c, d))
        });
    } else {
        for (c, d) in dx.chunks_mut(plane).enumerate() {
            add(c, d);
        }
    }
}

/// How to spread work over `threads`: over images when there are enough of them and
/// each image's product is small (below gemm's own threading, the small CNN of the
/// example); otherwise image after image with the pool inside gemm and im2col. Measured
/// on 2 threads (3x3 convolutions, batch 8, `[64, 56, 56]`, `[128, 28, 28]`,
/// `[512, 7, 7]`): splitting the batch took 1.5-2.5x longer than threading each
/// product, forward and backward alike.
fn over_batch(g: &Geom, threads: usize) -> bool {
    threads > 1 && g.n >= threads && g.og() * g.hwo() * g.ckk() < BATCH_SPLIT_MAX
}

/// Multiply-adds per image and group below which the batch is split across threads.
const BATCH_SPLIT_MAX: usize = 1 << 22;

fn forward_kernel<T: Float>(g: &Geom, x: &[T], w: &[T], b: Option<&[T]>) -> Vec<T> {
    let threads = usable_threads();
    let per_img_out = g.o * g.hwo();
    let mut out =
        tessera_core::runtime::Output::<T>::zeroed("conv2d", g.n * per_img_out).into_vec();
    let batch_par = over_batch(g, threads);
    let inner = if batch_par { 1 } else { threads };
    let one = |n: usize, out_n: &mut [T], cols: &mut Vec<T>| {
        for gi in 0..g.g {
            let xg = &x[(n * g.c + gi * g.cg()) * g.h * g.w..][..g.cg() * g.h * g.w];
            let colm: &[T] = if g.pointwise() {
                xg
            } else {
                cols.resize(g.ckk() * g.hwo(), T::ZERO);
                im2col(g, xg, cols, inner > 1);
                cols
            };
            let wg = &w[gi * g.og() * g.ckk()..][..g.og() * g.ckk()];
            let og = &mut out_n[gi * g.og() * g.hwo()..][..g.og() * g.hwo()];
            matmul(
                (g.og(), g.hwo(), g.ckk()),
                og,
                false,
                Mat::rows(wg, g.ckk()),
                Mat::rows(colm, g.hwo()),
                inner,
            );
        }
        if let Some(b) = b {
            for (o, row) in out_n.chunks_mut(g.hwo()).enumerate() {
                let bo = b[o];
                row.iter_mut().for_each(|v| *v += bo);
            }
        }
    };
    if per_img_out == 0 {
        return out;
    }
    if batch_par {
        pool().install(|| {
            out.par_chunks_mut(per_img_out)
                .enumerate()
                .for_each_init(Vec::new, |cols, (n, o)| one(n, o, cols))
        });
    } else {
        let mut cols = Vec::new();
        for (n, o) in out.chunks_mut(per_img_out).enumerate() {
            one(n, o, &mut cols);
        }
    }
    out
}

/// Gradients of the input and of the weight (each only when asked for).
fn backward_kernel<T: Float>(
    g: &Geom,
    x: &[T],
    w: &[T],
    gy: &[T],
    want_x: bool,
    want_w: bool,
) -> (Option<Vec<T>>, Option<Vec<T>>) {
    let threads = usable_threads();
    let batch_par = over_batch(g, threads);
    let inner = if batch_par { 1 } else { threads };
    let img = g.c * g.h * g.w;
    let wlen = g.o * g.ckk();
    // One image: adds its weight gradient into `dw` and writes its input gradient.
    let one = |n: usize, dx_n: Option<&mut [T]>, dw: &mut [T], cols: &mut Vec<T>| {
        let gy_n = &gy[n * g.o * g.hwo()..][..g.o * g.hwo()];
        let mut dx_n = dx_n;
        for gi in 0..g.g {
            let xg = &x[n * img + gi * g.cg() * g.h * g.w..][..g.cg() * g.h * g.w];
            let gyg = &gy_n[gi * g.og() * g.hwo()..][..g.og() * g.hwo()];
            let wg = &w[gi * g.og() * g.ckk()..][..g.og() * g.ckk()];
            if want_w {
                let colm: &[T] = if g.pointwise() {
                    xg
                } else {
                    cols.resize(g.ckk() * g.hwo(), T::ZERO);
                    im2col(g, xg, cols, inner > 1);
                    cols
                };
                matmul(
                    (g.og(), g.ckk(), g.hwo()),
                    &mut dw[gi * g.og() * g.ckk()..][..g.og() * g.ckk()],
                    true,
                    Mat::rows(gyg, g.hwo()),
                    Mat::rows_t(colm, g.hwo()),
                    inner,
                );
            }
            if let Some(dx_n) = dx_n.as_deref_mut() {
                let dxg = &mut dx_n[gi * g.cg() * g.h * g.w..][..g.cg() * g.h * g.w];
                let a = Mat::rows_t(wg, g.ckk());
                let b = Mat::rows(gyg, g.hwo());
                if g.pointwise() {
                    matmul((g.ckk(), g.hwo(), g.og()), dxg, false, a, b, inner);
                } else {
                    cols.resize(g.ckk() * g.hwo(), T::ZERO);
                    matmul((g.ckk(), g.hwo(), g.og()), cols, false, a, b, inner);
                    col2im(g, cols, dxg, inner > 1);
                }
            }
        }
    };
    let mut dx = if want_x {
        Some(vec![T::ZERO; g.n * img])
    } else {
        None
    };
    let mut dw = vec![T::ZERO; wlen];
    if g.n == 0 || img == 0 {
        return (dx, want_w.then_some(dw));
    }
    if batch_par {
        // Contiguous runs of images per task, each with its own weight-gradient partial.
        let per = g.n.div_ceil(threads);
        let partials: Vec<Vec<T>> = pool().install(|| {
            let tasks: Vec<(usize, Option<&mut [T]>)> = match dx.as_mut() {
                Some(d) => d.chunks_mut(per * img).map(Some).enumerate().collect(),
                None => (0..g.n.div_ceil(per)).map(|i| (i, None)).collect(),
            };
            tasks
                .into_par_iter()
                .map(|(t, dx_chunk)| {
                    let mut part = vec![T::ZERO; if want_w { wlen } else { 0 }];
                    let mut cols = Vec::new();
                    let mut dx_chunk = dx_chunk;
                    for n in t * per..((t + 1) * per).min(g.n) {
                        let local = n - t * per;
                        let dxn = dx_chunk
                            .as_deref_mut()
                            .map(|d| &mut d[local * img..][..img]);
                        one(n, dxn, &mut part, &mut cols);
                    }
                    part
                })
                .collect()
        });
        if want_w {
            for p in partials {
                dw.iter_mut().zip(p).for_each(|(a, b)| *a += b);
            }
        }
    } else {
        let mut cols = Vec::new();
        for n in 0..g.n {
            let dxn = dx.as_deref_mut().map(|d| &mut d[n * img..][..img]);
            one(n, dxn, &mut dw, &mut cols);
        }
    }
    (dx, want_w.then_some(dw))
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
/// absolute in f64, for the output and all three gradients.
///
/// # Panics
/// If the input or weight is not 4-D, their dtypes differ or are not float, the channels
/// do not fit `groups`, the bias is not `[O]`, stride or dilation is 0, `padding="same"`
/// has a stride, or the padded input is smaller than the dilated kernel.
pub fn conv2d(x: &Tensor, weight: &Tensor, bias: Option<&Tensor>, opts: ConvOptions) -> Tensor {
    let g = geometry("conv2d", x, weight, &opts);
    if let Some(b) = bias {
        assert!(
            b.shape() == [g.o] && b.dtype() == x.dtype(),
            "conv2d: bias must have shape [{}] and dtype {}, got {:?} and {}",
            g.o,
            x.dtype(),
            b.shape(),
            b.dtype()
        );
    }
    let xc = x.contiguous();
    let wc = weight.contiguous();
    let bc = bias.map(Tensor::contiguous);
    let shape = [g.n, g.o, g.ho, g.wo];
    let forward = || {
        float_dispatch!("conv2d", x.dtype(), T => {
            let out = xc.with_contiguous(|xs: &[T]| {
                wc.with_contiguous(|ws: &[T]| match &bc {
                    Some(b) => b.with_contiguous(|bs: &[T]| forward_kernel(&g, xs, ws, Some(bs))),
                    None => forward_kernel(&g, xs, ws, None),
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
            let (dx, dw) = float_dispatch!("conv2d backward", gy.dtype(), T => {
                let (dx, dw) = xc.with_contiguous(|xs: &[T]| {
                    wc.with_contiguous(|ws: &[T]| {
                        gy.with_contiguous(|gs: &[T]| backward_kernel(&g, xs, ws, gs, want_x, want_w))
                    })
                });
                (
                    dx.map(|v| Tensor::from_vec(v, inp[0].shape())),
                    dw.map(|v| Tensor::from_vec(v, inp[1].shape())),
                )
            });
            let mut grads = vec![dx, dw];
            if inp.len() == 3 {
                grads.push(Some(gy.sum_dim([0, 2, 3], false)));
            }
            grads
        },
    )
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
