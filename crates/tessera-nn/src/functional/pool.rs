//! 2-D pooling: `max_pool2d`, `avg_pool2d`, `adaptive_avg_pool2d`, each one autograd
//! node with a hand-written backward; planes (`N * C`) are split across the pool.

use crate::{float_dispatch, Float};
use rayon::prelude::*;
use std::sync::Arc;
use tessera_core::autograd::{custom_op, is_grad_enabled, Saves};
use tessera_core::runtime::pool::{parallel, pool};
use tessera_core::runtime::Output;
use tessera_core::{Element, Tensor};

/// Options of [`max_pool2d`] and [`avg_pool2d`] (`kernel_size, stride, padding,
/// dilation, ceil_mode, count_include_pad`); pairs are `(height, width)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolOptions {
    /// Window size.
    pub kernel: (usize, usize),
    /// Step; PyTorch's default is the kernel size.
    pub stride: (usize, usize),
    /// Implicit padding on both sides (`-inf` for max, zeros for average).
    pub padding: (usize, usize),
    /// Spacing of the window's elements (max pooling only).
    pub dilation: (usize, usize),
    /// Round the output size up instead of down.
    pub ceil_mode: bool,
    /// Average pooling: count padded zeros in the divisor (PyTorch's default `true`).
    pub count_include_pad: bool,
}

impl PoolOptions {
    /// A `k x k` window with stride `k`, PyTorch's defaults otherwise.
    pub fn new(k: usize) -> Self {
        Self::hw(k, k)
    }
    /// A `kh x kw` window with stride `(kh, kw)`.
    pub fn hw(kh: usize, kw: usize) -> Self {
        PoolOptions {
            kernel: (kh, kw),
            stride: (kh, kw),
            padding: (0, 0),
            dilation: (1, 1),
            ceil_mode: false,
            count_include_pad: true,
        }
    }
    /// Stride `s` in both dims.
    pub fn stride(mut self, s: usize) -> Self {
        self.stride = (s, s);
        self
    }
    /// Padding `p` in both dims.
    pub fn padding(mut self, p: usize) -> Self {
        self.padding = (p, p);
        self
    }
    /// Dilation `d` in both dims.
    pub fn dilation(mut self, d: usize) -> Self {
        self.dilation = (d, d);
        self
    }
    /// `ceil_mode`.
    pub fn ceil_mode(mut self, c: bool) -> Self {
        self.ceil_mode = c;
        self
    }
    /// `count_include_pad`.
    pub fn count_include_pad(mut self, c: bool) -> Self {
        self.count_include_pad = c;
        self
    }
}

/// PyTorch's `pooling_output_shape`.
fn out_size(op: &str, len: usize, k: usize, s: usize, p: usize, d: usize, ceil: bool) -> usize {
    assert!(
        k > 0 && s > 0 && d > 0,
        "{op}: kernel size, stride and dilation must be positive"
    );
    assert!(
        p <= k / 2,
        "{op}: pad should be at most half of effective kernel size, but got pad={p} and kernel_size={k}"
    );
    let span = (len + 2 * p) as isize - (d * (k - 1)) as isize - 1;
    let num = span + if ceil { s as isize - 1 } else { 0 };
    let mut out = num.div_euclid(s as isize) + 1;
    if ceil && (out - 1) * s as isize >= (len + p) as isize {
        out -= 1;
    }
    assert!(
        out > 0,
        "{op}: output size is too small (input size {len}, kernel {k}, padding {p})"
    );
    out as usize
}

/// The input as `[planes, h, w]` plus the leading shape of the output.
fn planes(op: &str, x: &Tensor) -> (Vec<usize>, usize, usize) {
    assert!(
        x.dim() == 3 || x.dim() == 4,
        "{op}: expected a 3-D or 4-D input, got shape {:?}",
        x.shape()
    );
    let s = x.shape();
    let (h, w) = (s[s.len() - 2], s[s.len() - 1]);
    assert!(
        h > 0 && w > 0,
        "{op}: expected non-empty spatial dims, got shape {s:?}"
    );
    (s[..s.len() - 2].to_vec(), h, w)
}

/// Runs `f(plane_index, out_plane)` over output planes, in parallel when large.
fn for_planes<T: Float>(out: &mut [T], per: usize, f: impl Fn(usize, &mut [T]) + Sync) {
    if per == 0 {
        return;
    }
    if parallel(out.len()) {
        pool().install(|| {
            out.par_chunks_mut(per)
                .enumerate()
                .for_each(|(i, o)| f(i, o))
        });
    } else {
        out.chunks_mut(per).enumerate().for_each(|(i, o)| f(i, o));
    }
}

/// Max pooling over 2-D windows (`F.max_pool2d`), input `[N, C, H, W]` or `[C, H, W]`.
/// NaN in a window gives NaN, as PyTorch; the gradient goes to the first maximum.
///
/// ```
/// use tessera_core::Tensor;
/// use tessera_nn::functional::{max_pool2d, PoolOptions};
/// let x = Tensor::arange(0.0, 16.0).reshape([1, 1, 4, 4]);
/// let y = max_pool2d(&x, PoolOptions::new(2));
/// assert_eq!(y.to_vec::<f32>(), vec![5.0, 7.0, 13.0, 15.0]);
/// ```
///
/// # Panics
/// If the input is not 3-D or 4-D float, a size is 0, the padding exceeds half the
/// kernel, or the output would be empty.
pub fn max_pool2d(x: &Tensor, o: PoolOptions) -> Tensor {
    if is_grad_enabled() && x.requires_grad() {
        return max_pool2d_node(x, o).0;
    }
    // No gradient: the values alone, without the indices the backward would need.
    let (h, w, ho, wo, np, shape) = max_geometry(x, &o);
    let xc = x.contiguous();
    float_dispatch!("max_pool2d", x.dtype(), T => xc.with_contiguous(|xs: &[T]| {
        let mut out = Output::<T>::zeroed("max_pool2d", np * ho * wo).into_vec();
        for_planes(&mut out, ho * wo, |p, ob| {
            max_plane(&xs[p * h * w..][..h * w], (h, w), &o, (ho, wo), ob)
        });
        Tensor::from_vec(out, &shape)
    }))
}

/// `(h, w, ho, wo, planes, output shape)` of a max pooling.
fn max_geometry(x: &Tensor, o: &PoolOptions) -> (usize, usize, usize, usize, usize, Vec<usize>) {
    let op = "max_pool2d";
    let (lead, h, w) = planes(op, x);
    let out = |len, k, s, p, d, ceil| out_size(op, len, k, s, p, d, ceil);
    let ho = out(
        h,
        o.kernel.0,
        o.stride.0,
        o.padding.0,
        o.dilation.0,
        o.ceil_mode,
    );
    let wo = out(
        w,
        o.kernel.1,
        o.stride.1,
        o.padding.1,
        o.dilation.1,
        o.ceil_mode,
    );
    let np: usize = lead.iter().product();
    let mut shape = lead;
    shape.extend([ho, wo]);
    (h, w, ho, wo, np, shape)
}

/// The valid kernel taps `[lo, hi)` of a window starting at `start` (padded
/// coordinates shifted: input index `start + tap * d`) on an axis of length `len`.
fn taps(start: isize, k: usize, d: usize, len: usize) -> (usize, usize) {
    let d = d as isize;
    let lo = if start >= 0 { 0 } else { (-start + d - 1) / d };
    let hi = ((len as isize - 1 - start).div_euclid(d) + 1).clamp(0, k as isize);
    (lo as usize, (hi as usize).max(lo as usize))
}

/// The maxima of one plane and the flat index of each (the first maximum in the
/// window's row-major order, or the first NaN), as PyTorch's kernel scans.
fn max_plane_indices<T: Float>(
    xp: &[T],
    (h, w): (usize, usize),
    o: &PoolOptions,
    (ho, wo): (usize, usize),
    ob: &mut [T],
    ib: &mut [i64],
) {
    let ((kh, kw), (sh, sw), (ph, pw), (dh, dw)) = (o.kernel, o.stride, o.padding, o.dilation);
    if ph == 0 && pw == 0 && (ho - 1) * sh + (kh - 1) * dh < h && (wo - 1) * sw + (kw - 1) * dw < w
    {
        max_plane_indices_inside(xp, w, o, (ho, wo), ob, ib)
    } else {
        max_plane_indices_scan(xp, (h, w), o, (ho, wo), ob, ib)
    }
}

/// [`max_plane_indices`] window by window, clipping each to the plane.
fn max_plane_indices_scan<T: Float>(
    xp: &[T],
    (h, w): (usize, usize),
    o: &PoolOptions,
    (ho, wo): (usize, usize),
    ob: &mut [T],
    ib: &mut [i64],
) {
    let ((kh, kw), (sh, sw), (ph, pw), (dh, dw)) = (o.kernel, o.stride, o.padding, o.dilation);
    for oh in 0..ho {
        let hs = (oh * sh) as isize - ph as isize;
        let (ilo, ihi) = taps(hs, kh, dh, h);
        for ow in 0..wo {
            let ws = (ow * sw) as isize - pw as isize;
            let (jlo, jhi) = taps(ws, kw, dw, w);
            let mut best = T::NEG_INF;
            let mut at = usize::MAX;
            'scan: for i in ilo..ihi {
                let row = (hs + (i * dh) as isize) as usize * w;
                for j in jlo..jhi {
                    let k = row + (ws + (j * dw) as isize) as usize;
                    let v = xp[k];
                    if at == usize::MAX || v > best || v.nan() {
                        best = v;
                        at = k;
                        if v.nan() {
                            break 'scan;
                        }
                    }
                }
            }
            ob[oh * wo + ow] = best;
            ib[oh * wo + ow] = at as i64;
        }
    }
}

/// [`max_plane_indices`] when every window lies inside the plane (no padding, as in
/// most networks): no clipping, and per output row one pass per kernel tap (in the
/// window's row-major order) over all the row's windows, a branch-free select the
/// compiler vectorizes (a branch per element mispredicts on real activations). A tap
/// replaces the running maximum when larger, or when NaN over a number, so the result
/// and index are the first maximum or the first NaN, as the scalar scan's.
fn max_plane_indices_inside<T: Float>(
    xp: &[T],
    w: usize,
    o: &PoolOptions,
    (ho, wo): (usize, usize),
    ob: &mut [T],
    ib: &mut [i64],
) {
    let ((kh, kw), (sh, sw), (dh, dw)) = (o.kernel, o.stride, o.dilation);
    if (kh, kw, sh, sw, dh, dw) == (2, 2, 2, 2, 1, 1) {
        return max_plane_indices_2x2(xp, w, (ho, wo), ob, ib);
    }
    let span = (wo - 1) * sw + 1;
    // One tap's inputs of a row of windows, copied to be read at unit stride.
    let mut tap = vec![T::ZERO; wo];
    for oh in 0..ho {
        let (orow, irow) = (&mut ob[oh * wo..][..wo], &mut ib[oh * wo..][..wo]);
        for i in 0..kh {
            for j in 0..kw {
                let first = (oh * sh + i * dh) * w + j * dw;
                for (t, &v) in tap
                    .iter_mut()
                    .zip(xp[first..first + span].iter().step_by(sw))
                {
                    *t = v;
                }
                if i == 0 && j == 0 {
                    orow.copy_from_slice(&tap);
                    for (k, oi) in irow.iter_mut().enumerate() {
                        *oi = (first + k * sw) as i64;
                    }
                    continue;
                }
                let (first, sw) = (first as i64, sw as i64);
                let mut at = first;
                for ((ov, oi), &v) in orow.iter_mut().zip(irow.iter_mut()).zip(&tap) {
                    let b = *ov;
                    // `v > b`, or `v` NaN, unless `b` is NaN already. Arithmetic rather
                    // than a branch: the outcome is data-dependent.
                    let take = ((v > b) | v.nan()) & !b.nan();
                    *ov = if take { v } else { b };
                    *oi += (take as i64) * (at - *oi);
                    at += sw;
                }
            }
        }
    }
}

/// [`max_plane_indices_inside`] for 2x2 windows with stride 2 (most networks' pooling):
/// each window's four inputs read in place, the same selects in the same order.
fn max_plane_indices_2x2<T: Float>(
    xp: &[T],
    w: usize,
    (ho, wo): (usize, usize),
    ob: &mut [T],
    ib: &mut [i64],
) {
    // `v` replaces `(b, i)` when larger, or NaN over a number.
    #[inline(always)]
    fn step<T: Float>((b, i): (T, i64), v: T, at: i64) -> (T, i64) {
        let take = ((v > b) | v.nan()) & !b.nan();
        (if take { v } else { b }, i + (take as i64) * (at - i))
    }
    for oh in 0..ho {
        let (r0, r1) = (
            &xp[2 * oh * w..][..2 * wo],
            &xp[(2 * oh + 1) * w..][..2 * wo],
        );
        let (orow, irow) = (&mut ob[oh * wo..][..wo], &mut ib[oh * wo..][..wo]);
        let first = (2 * oh * w) as i64;
        let wins = r0.chunks_exact(2).zip(r1.chunks_exact(2));
        for (k, ((ov, oi), (a, c))) in orow.iter_mut().zip(irow.iter_mut()).zip(wins).enumerate() {
            let at = first + 2 * k as i64;
            let m = step((a[0], at), a[1], at + 1);
            let m = step(m, c[0], at + w as i64);
            let (v, i) = step(m, c[1], at + w as i64 + 1);
            *ov = v;
            *oi = i;
        }
    }
}

/// `a` or `v`, whichever is larger, NaN winning (PyTorch's `val > max || isnan(val)`).
#[inline(always)]
fn pick<T: Float>(a: T, v: T) -> T {
    if v > a || v.nan() {
        v
    } else {
        a
    }
}

/// The maxima of one plane `xp` (`[h, w]`) into `ob` (`[ho, wo]`), separably: for each
/// output row, the elementwise maximum of its window's input rows (contiguous, so the
/// compiler vectorizes it) into a row padded with `-inf`, then the maximum of each
/// window of that row. Hand-written: no crate pools; every window holds at least one
/// input element (the padding is at most half the kernel).
fn max_plane<T: Float>(
    xp: &[T],
    (h, w): (usize, usize),
    o: &PoolOptions,
    (ho, wo): (usize, usize),
    ob: &mut [T],
) {
    let ((kh, kw), (sh, sw), (ph, pw), (dh, dw)) = (o.kernel, o.stride, o.padding, o.dilation);
    // Padded column of input column `iw` is `iw + pw`; windows reach at most
    // `(wo - 1) * sw + (kw - 1) * dw`.
    let len = ((wo - 1) * sw + (kw - 1) * dw + 1).max(w + pw);
    let mut row = vec![T::NEG_INF; len];
    for oh in 0..ho {
        let r = &mut row[pw..pw + w];
        r.fill(T::NEG_INF);
        let hs = (oh * sh) as isize - ph as isize;
        for i in 0..kh {
            let ih = hs + (i * dh) as isize;
            if ih < 0 || ih >= h as isize {
                continue;
            }
            for (m, &v) in r.iter_mut().zip(&xp[ih as usize * w..][..w]) {
                *m = pick(*m, v);
            }
        }
        let orow = &mut ob[oh * wo..(oh + 1) * wo];
        for (ow, out) in orow.iter_mut().enumerate() {
            let win = &row[ow * sw..];
            let mut best = T::NEG_INF;
            for j in 0..kw {
                best = pick(best, win[j * dw]);
            }
            *out = best;
        }
    }
}

/// [`max_pool2d`] and the flat index (`h * W + w`) of each maximum in its plane, as
/// `F.max_pool2d(..., return_indices=True)`.
///
/// # Panics
/// As [`max_pool2d`].
pub fn max_pool2d_with_indices(x: &Tensor, o: PoolOptions) -> (Tensor, Tensor) {
    let (y, saved) = max_pool2d_node(x, o);
    // The caller's indices are the backward's own unless a backward was recorded (then a
    // copy, so writing to them cannot change the gradient).
    let indices = if y.requires_grad() {
        saved.deep_clone()
    } else {
        saved
    };
    (y, indices)
}

/// The maxima as one autograd node, and the flat indices (`[.., Ho, Wo]`, i64) that its
/// backward scatters the gradient to.
fn max_pool2d_node(x: &Tensor, o: PoolOptions) -> (Tensor, Tensor) {
    let op = "max_pool2d";
    let (h, w, ho, wo, np, shape) = max_geometry(x, &o);
    let xc = x.contiguous();
    let per = ho * wo;
    let mut idx = Output::<i64>::zeroed(op, np * per).into_vec();
    let out = float_dispatch!(op, x.dtype(), T => {
        xc.with_contiguous(|xs: &[T]| {
            let mut out = Output::<T>::zeroed(op, np * per).into_vec();
            // Planes of values and of indices side by side.
            let mut pairs: Vec<(&mut [T], &mut [i64])> = if per == 0 {
                Vec::new()
            } else {
                out.chunks_mut(per).zip(idx.chunks_mut(per)).collect()
            };
            let run = |p: usize, (ob, ib): &mut (&mut [T], &mut [i64])| {
                max_plane_indices(&xs[p * h * w..][..h * w], (h, w), &o, (ho, wo), ob, ib)
            };
            if parallel(np * per) {
                pool().install(|| pairs.par_iter_mut().enumerate().for_each(|(p, q)| run(p, q)));
            } else {
                pairs.iter_mut().enumerate().for_each(|(p, q)| run(p, q));
            }
            Tensor::from_vec(out, &shape)
        })
    });
    let indices = Tensor::from_vec(idx, &shape);
    let saved = indices.clone();
    let in_shape = x.shape().to_vec();
    let y = custom_op(
        op,
        &[x],
        Saves::Nothing,
        || out,
        move |g, _, _| {
            let gc = g.contiguous();
            let dx = float_dispatch!("max_pool2d backward", g.dtype(), T => gc.with_contiguous(|gs: &[T]| {
                let mut dx = Output::<T>::zeroed("max_pool2d backward", np * h * w).into_vec();
                saved.with_contiguous(|idx: &[i64]| {
                    for_planes(&mut dx, h * w, |p, d| {
                        let (gp, ip) = (&gs[p * per..][..per], &idx[p * per..][..per]);
                        for (&gv, &i) in gp.iter().zip(ip) {
                            d[i as usize] += gv;
                        }
                    })
                });
                Tensor::from_vec(dx, &in_shape)
            }));
            vec![Some(dx)]
        },
    );
    (y, indices)
}

/// One axis of an averaging window: clipped `[lo, hi)` and the count PyTorch divides by.
#[derive(Clone, Copy)]
struct Win {
    lo: usize,
    hi: usize,
    count: usize,
}

/// Averages over the windows `rows x cols` of each plane, with the backward that
/// spreads each gradient evenly over its window.
fn window_average(op: &'static str, x: &Tensor, rows: Vec<Win>, cols: Vec<Win>) -> Tensor {
    let (lead, h, w) = planes(op, x);
    let (ho, wo) = (rows.len(), cols.len());
    let np: usize = lead.iter().product();
    let mut shape = lead;
    shape.extend([ho, wo]);
    let (rows, cols) = (Arc::new(rows), Arc::new(cols));
    let xc = x.contiguous();
    let (r2, c2) = (rows.clone(), cols.clone());
    let forward = move || {
        float_dispatch!(op, xc.dtype(), T => xc.with_contiguous(|xs: &[T]| {
            let mut out = vec![T::ZERO; np * ho * wo];
            for_planes(&mut out, ho * wo, |p, ob| {
                let xp = &xs[p * h * w..][..h * w];
                for (oh, r) in r2.iter().enumerate() {
                    for (ow, c) in c2.iter().enumerate() {
                        let mut s = T::ZERO;
                        for ih in r.lo..r.hi {
                            for v in &xp[ih * w + c.lo..ih * w + c.hi] {
                                s += *v;
                            }
                        }
                        ob[oh * wo + ow] = s / T::from_f64((r.count * c.count) as f64);
                    }
                }
            });
            Tensor::from_vec(out, &shape)
        }))
    };
    let in_shape = x.shape().to_vec();
    custom_op(op, &[x], Saves::Nothing, forward, move |g, _, _| {
        let gc = g.contiguous();
        let dx = float_dispatch!(op, g.dtype(), T => gc.with_contiguous(|gs: &[T]| {
            let mut dx = vec![T::ZERO; np * h * w];
            for_planes(&mut dx, h * w, |p, d| {
                let gp = &gs[p * ho * wo..][..ho * wo];
                for (oh, r) in rows.iter().enumerate() {
                    for (ow, c) in cols.iter().enumerate() {
                        let v = gp[oh * wo + ow] / T::from_f64((r.count * c.count) as f64);
                        for ih in r.lo..r.hi {
                            for e in &mut d[ih * w + c.lo..ih * w + c.hi] {
                                *e += v;
                            }
                        }
                    }
                }
            });
            Tensor::from_vec(dx, &in_shape)
        }));
        vec![Some(dx)]
    })
}

/// Average pooling over 2-D windows (`F.avg_pool2d`), input `[N, C, H, W]` or
/// `[C, H, W]`. With `count_include_pad` (the default) padded zeros count in the
/// divisor; windows are clipped at `H + padding` as in PyTorch. Dilation must be 1.
///
/// ```
/// use tessera_core::Tensor;
/// use tessera_nn::functional::{avg_pool2d, PoolOptions};
/// let x = Tensor::arange(0.0, 16.0).reshape([1, 1, 4, 4]);
/// assert_eq!(avg_pool2d(&x, PoolOptions::new(2)).to_vec::<f32>(), vec![2.5, 4.5, 10.5, 12.5]);
/// ```
///
/// # Panics
/// As [`max_pool2d`], and if a dilation is not 1.
pub fn avg_pool2d(x: &Tensor, o: PoolOptions) -> Tensor {
    let op = "avg_pool2d";
    assert!(
        o.dilation == (1, 1),
        "{op}: dilation is not supported (got {:?})",
        o.dilation
    );
    let (_, h, w) = planes(op, x);
    let axis = |len: usize, k: usize, s: usize, p: usize| -> Vec<Win> {
        let n = out_size(op, len, k, s, p, 1, o.ceil_mode);
        (0..n)
            .map(|i| {
                let start = (i * s) as isize - p as isize;
                let end = (start + k as isize).min((len + p) as isize);
                let span = (end - start) as usize;
                let (lo, hi) = (start.max(0) as usize, end.min(len as isize) as usize);
                Win {
                    lo,
                    hi,
                    count: if o.count_include_pad { span } else { hi - lo },
                }
            })
            .collect()
    };
    let rows = axis(h, o.kernel.0, o.stride.0, o.padding.0);
    let cols = axis(w, o.kernel.1, o.stride.1, o.padding.1);
    window_average(op, x, rows, cols)
}

/// Adaptive average pooling (`F.adaptive_avg_pool2d`) to `(out_h, out_w)`: bin `i` of
/// an axis of length `L` covers `[floor(i L / out), ceil((i + 1) L / out))`.
///
/// ```
/// use tessera_core::Tensor;
/// use tessera_nn::functional::adaptive_avg_pool2d;
/// let x = Tensor::arange(0.0, 16.0).reshape([1, 1, 4, 4]);
/// assert_eq!(adaptive_avg_pool2d(&x, (1, 1)).to_vec::<f32>(), vec![7.5]);
/// ```
///
/// # Panics
/// If the input is not 3-D or 4-D float, has an empty spatial dim, or an output size is 0.
pub fn adaptive_avg_pool2d(x: &Tensor, out: (usize, usize)) -> Tensor {
    let op = "adaptive_avg_pool2d";
    let (_, h, w) = planes(op, x);
    assert!(
        out.0 > 0 && out.1 > 0,
        "{op}: output size must be positive, got {out:?}"
    );
    let axis = |len: usize, n: usize| -> Vec<Win> {
        (0..n)
            .map(|i| {
                let lo = i * len / n;
                let hi = ((i + 1) * len).div_ceil(n);
                Win {
                    lo,
                    hi,
                    count: hi - lo,
                }
            })
            .collect()
    };
    window_average(op, x, axis(h, out.0), axis(w, out.1))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The row-pass path for windows inside the plane equals the window-by-window scan,
    /// values and indices, on data full of ties, NaNs and infinities.
    #[test]
    fn inside_path_matches_the_scan() {
        let (h, w) = (9, 11);
        let pattern = [
            1.0,
            3.0,
            3.0,
            f32::NAN,
            -2.0,
            f32::NEG_INFINITY,
            3.0,
            0.0,
            f32::NAN,
            7.0,
            7.0,
            -0.0,
        ];
        let xp: Vec<f32> = (0..h * w)
            .map(|i| pattern[(i * 5 + i / 7) % pattern.len()])
            .collect();
        let (mut nan_seen, mut number_seen) = (false, false);
        for (k, s, d) in [
            (2, 2, 1),
            (3, 1, 1),
            (2, 1, 2),
            (3, 2, 2),
            (1, 3, 1),
            (4, 3, 1),
        ] {
            let o = PoolOptions::new(k).stride(s).dilation(d);
            let ho = (h - d * (k - 1) - 1) / s + 1;
            let wo = (w - d * (k - 1) - 1) / s + 1;
            let (mut v1, mut i1) = (vec![0.0f32; ho * wo], vec![0i64; ho * wo]);
            let (mut v2, mut i2) = (vec![0.0f32; ho * wo], vec![0i64; ho * wo]);
            max_plane_indices_inside(&xp, w, &o, (ho, wo), &mut v1, &mut i1);
            max_plane_indices_scan(&xp, (h, w), &o, (ho, wo), &mut v2, &mut i2);
            assert_eq!(i1, i2, "indices, kernel {k} stride {s} dilation {d}");
            let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(
                bits(&v1),
                bits(&v2),
                "values, kernel {k} stride {s} dilation {d}"
            );
            nan_seen |= v1.iter().any(|x| x.is_nan());
            number_seen |= v1.iter().any(|x| !x.is_nan());
        }
        // The data exercised both outcomes.
        assert!(nan_seen && number_seen);
    }

    /// The 2x2 stride-2 kernel against the window-by-window scan: odd sizes, ties (the
    /// first maximum wins), NaN (the first NaN wins) and infinities.
    #[test]
    fn max_2x2_matches_scan() {
        let o = super::PoolOptions::new(2);
        for (h, w) in [(4, 4), (5, 7), (9, 6), (2, 3)] {
            let vals = [
                1.0,
                2.0,
                2.0,
                -1.0,
                f64::NAN,
                f64::INFINITY,
                f64::NEG_INFINITY,
                0.5,
            ];
            let xp: Vec<f64> = (0..h * w)
                .map(|i| vals[(i * 7 + i / 3) % vals.len()])
                .collect();
            let (ho, wo) = (h / 2, w / 2);
            let (mut o1, mut i1) = (vec![0.0; ho * wo], vec![0i64; ho * wo]);
            let (mut o2, mut i2) = (vec![0.0; ho * wo], vec![0i64; ho * wo]);
            super::max_plane_indices_2x2(&xp, w, (ho, wo), &mut o1, &mut i1);
            super::max_plane_indices_scan(&xp, (h, w), &o, (ho, wo), &mut o2, &mut i2);
            assert_eq!(i1, i2, "{h}x{w}");
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&o1), bits(&o2), "{h}x{w}");
        }
    }
}
