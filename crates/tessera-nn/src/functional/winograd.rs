//! Winograd's minimal filtering F(2x2, 3x3) for the f32 forward of 3x3 convolutions with
//! stride 1 (Lavin and Gray, "Fast Algorithms for Convolutional Neural Networks", 2016):
//! each 2x2 block of outputs costs 16 multiplies per input channel instead of 36.
//!
//! Each 4x4 input tile `d` becomes `V = Bᵀ d B`, each 3x3 kernel `g` becomes
//! `U = G g Gᵀ`; the sixteen products `M[ξ] = U[ξ] V[ξ]` (over channels) are gemm's,
//! and `Y = Aᵀ M A` gives the 2x2 outputs. The transforms hold only 0, ±1 and ½, so the
//! rounding is close to the direct sum's (`tests/conv_paths.rs` and the unit tests bound it
//! against the f64 direct sum). The
//! gradients are in `winograd_grad.rs`.
//! Written here because no maintained crate implements Winograd convolution for `gemm`.

use super::conv::Geom;
use super::fused::Epilogue;
use super::gemm::{matmul, Dst, Mat};
use rayon::prelude::*;
use std::mem::MaybeUninit;
use std::sync::atomic::{AtomicUsize, Ordering};
use tessera_core::runtime::pool::{pool, usable_threads};
use tessera_core::runtime::scratch;

/// Whether the Winograd path takes this convolution: 3x3, stride 1, no dilation, one
/// group, enough channels for the sixteen products to be worth their transforms, and
/// enough 2x2 tiles to keep `threads` busy with wide products.
pub(super) fn applies(g: &Geom, threads: usize) -> bool {
    let tiles = g.n * g.ho.div_ceil(2) * g.wo.div_ceil(2);
    g.kh == 3
        && g.kw == 3
        && (g.sh, g.sw, g.dh, g.dw, g.g) == (1, 1, 1, 1, 1)
        && g.c >= 16
        && g.o >= 16
        && tiles >= MIN_TILES * threads.max(1)
}

/// Fewest tiles per thread (the products' width).
const MIN_TILES: usize = 96;
/// Bytes of transformed inputs and products per task: twice a 1 MiB L2, because the
/// products' widths (the task's tiles) are gemm's rows, which it fills 16 at a time, and
/// wider tasks leave fewer of them empty (ResNet-18's 28x28 layer at batch 1: two tasks
/// of 98 tiles, 112 rows of work each, instead of four of 49, 64 each). Each of the
/// sixteen products still fits in L2. Measured on ResNet-18 batch 1 (the 28x28 layers
/// about 10% faster on one thread, the 56x56 ones unchanged).
const TASK_BYTES: usize = 2 << 20;

/// `U[ξ][o][c] = (G g Gᵀ)[ξ]` for every kernel `g = w[o][c]`, in a buffer from core's
/// scratch (kept between calls, so a large layer's transform does not fault its pages in
/// every time; give it back when done), written once, without zeroing it first. Across
/// `threads` threads of the pool when there are enough kernels: each kernel's transform
/// is computed alone, so the bits do not depend on the split.
fn weights(g: &Geom, w: &[f32], threads: usize) -> Vec<f32> {
    let oc = g.o * g.c;
    assert_eq!(
        w.len(),
        9 * oc,
        "winograd: weight of {} for {oc} kernels",
        w.len()
    );
    let mut u: Vec<f32> = scratch::take(0);
    if oc == 0 {
        return u;
    }
    u.reserve(16 * oc);
    let spare = &mut u.spare_capacity_mut()[..16 * oc];
    // Kernels per task: whole blocks of `KB`, about two tasks per thread.
    let per = oc.div_ceil(2 * threads.max(1)).div_ceil(KB) * KB;
    if threads <= 1 || oc < 2 * PAR_KERNELS || per >= oc {
        pulp::Arch::new().dispatch(KernelTiles {
            w,
            u: spare.chunks_mut(oc).collect(),
        });
    } else {
        // The 16 rows of `U`, each cut into the tasks' ranges of kernels: task `t` gets
        // the `t`-th range of every row.
        let mut rows: Vec<_> = spare.chunks_mut(oc).map(|r| r.chunks_mut(per)).collect();
        let tasks: Vec<(&[f32], Vec<_>)> = w
            .chunks(9 * per)
            .map(|wt| (wt, rows.iter_mut().filter_map(Iterator::next).collect()))
            .collect();
        pool().install(|| {
            tasks.into_par_iter().for_each(|(w, u)| {
                pulp::Arch::new().dispatch(KernelTiles { w, u });
            })
        });
    }
    // SAFETY: the capacity is at least `16 * oc` (reserved above), and every one of
    // those elements was written: the tasks' kernel ranges cover `0..oc` (`w` holds
    // `9 * oc` elements, asserted above, cut into the same ranges as each row), and
    // `kernel_tiles` writes all of its 16 rows' elements (it asserts that it has 16
    // rows of one element per kernel, and its blocks cover all its kernels).
    unsafe { u.set_len(16 * oc) };
    u
}

/// Fewest kernels per task of the parallel kernel transform.
const PAR_KERNELS: usize = 4096;
/// Kernels per step of the kernel transform (one SIMD lane each).
const KB: usize = 16;

/// The kernel transform, for [`pulp::Arch::dispatch`].
struct KernelTiles<'a> {
    /// `[K, 3, 3]`: `K` kernels.
    w: &'a [f32],
    /// The 16 rows of `U` for these kernels, `K` elements each, every one written.
    u: Vec<&'a mut [MaybeUninit<f32>]>,
}

impl pulp::WithSimd for KernelTiles<'_> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _: S) {
        kernel_tiles(self)
    }
}

/// `U = G g Gᵀ`, [`KB`] kernels at a time, each step over the kernels apart (so it
/// vectorizes across them), and stored as runs of `KB` along each row of `U`.
#[inline(always)]
fn kernel_tiles(t: KernelTiles<'_>) {
    let KernelTiles { w, mut u } = t;
    let oc = w.len() / 9;
    assert!(w.len() == 9 * oc && u.len() == 16 && u.iter().all(|r| r.len() == oc));
    for (blk, ws) in w.chunks(9 * KB).enumerate() {
        // k[e][l]: element e of kernel l of the block (zeros past its end)
        let mut k = [[0.0f32; KB]; 9];
        for (l, kk) in ws.chunks_exact(9).enumerate() {
            for e in 0..9 {
                k[e][l] = kk[e];
            }
        }
        // G k: 4x3
        let mut gk = [[[0.0f32; KB]; 3]; 4];
        for j in 0..3 {
            for l in 0..KB {
                let (a, b, d) = (k[j][l], k[3 + j][l], k[6 + j][l]);
                gk[0][j][l] = a;
                gk[1][j][l] = 0.5 * (a + b + d);
                gk[2][j][l] = 0.5 * (a - b + d);
                gk[3][j][l] = d;
            }
        }
        // (G k) Gᵀ
        let (at, nb) = (blk * KB, ws.len() / 9);
        for (i, r) in gk.iter().enumerate() {
            let mut row = [[0.0f32; KB]; 4];
            for l in 0..KB {
                row[0][l] = r[0][l];
                row[1][l] = 0.5 * (r[0][l] + r[1][l] + r[2][l]);
                row[2][l] = 0.5 * (r[0][l] - r[1][l] + r[2][l]);
                row[3][l] = r[2][l];
            }
            for (j, vals) in row.iter().enumerate() {
                for (d, &v) in u[i * 4 + j][at..][..nb].iter_mut().zip(&vals[..nb]) {
                    d.write(v);
                }
            }
        }
    }
}

/// A thread's working buffers (from core's scratch, given back on drop): the
/// transformed inputs, the products and a few padded rows. Every element a task reads
/// it has written first (all tiles of all channels; gemm without accumulation).
#[derive(Default)]
pub(super) struct Bufs(Vec<f32>, Vec<f32>, Vec<f32>);
impl Bufs {
    /// The three buffers with `a`, `b` and `c` elements.
    pub fn get(&mut self, a: usize, b: usize, c: usize) -> (&mut [f32], &mut [f32], &mut [f32]) {
        for (v, n) in [(&mut self.0, a), (&mut self.1, b), (&mut self.2, c)] {
            if v.capacity() == 0 {
                *v = scratch::take(0);
            }
            if v.len() < n {
                v.resize(n, 0.0);
            }
        }
        (&mut self.0[..a], &mut self.1[..b], &mut self.2[..c])
    }
}
impl Drop for Bufs {
    fn drop(&mut self) {
        for v in [&mut self.0, &mut self.1, &mut self.2] {
            scratch::give_back(std::mem::take(v));
        }
    }
}

/// A raw output pointer shared by the tasks, which write disjoint 2x2 blocks.
#[derive(Clone, Copy)]
struct OutPtr(*mut f32);
// SAFETY: the tasks of `forward` write disjoint tiles of the output (see there), which
// outlives them.
unsafe impl Send for OutPtr {}
// SAFETY: as for `Send`.
unsafe impl Sync for OutPtr {}
impl OutPtr {
    fn get(self) -> *mut f32 {
        self.0
    }
}

/// The forward of [`super::conv2d`] by F(2x2, 3x3) into `out` (`[N, O, Ho, Wo]`, every
/// element written), on `threads` threads of the pool; `epi` applied to each output row
/// of a task right after it is written.
pub(super) fn forward(
    g: &Geom,
    x: &[f32],
    w: &[f32],
    b: Option<&[f32]>,
    epi: Option<&Epilogue<'_, f32>>,
    out: &mut [f32],
) {
    let threads = usable_threads();
    let u = weights(g, w, threads);
    let (c, o) = (g.c, g.o);
    let split = Split::new(g, threads);
    assert_eq!(out.len(), g.n * o * g.ho * g.wo);
    let (optr, olen) = (OutPtr(out.as_mut_ptr()), out.len());
    let task = |t: usize, bufs: &mut Bufs| {
        let (runs, nt) = split.runs(t);
        let half = g.wo.div_ceil(2) + 1;
        let (v, m, rows) = bufs.get(16 * c * nt, 16 * o * nt, 16 * half);
        pulp::Arch::new().dispatch(InputTiles {
            g,
            x,
            runs: &runs,
            nt,
            v: &mut *v,
            rows,
        });
        // M[ξ] = U[ξ] V[ξ]: [o x c] [c x nt]
        for xi in 0..16 {
            matmul(
                (o, nt, c),
                Dst::rows(&mut m[xi * o * nt..][..o * nt], nt),
                false,
                Mat::rows(&u[xi * o * c..][..o * c], c),
                Mat::rows(&v[xi * c * nt..][..c * nt], nt),
                1,
            );
        }
        pulp::Arch::new().dispatch(OutputTiles {
            g,
            m,
            b,
            epi,
            runs: &runs,
            nt,
            out: optr,
            olen,
        });
    };
    run_tasks(split.ntasks, threads, Bufs::default, task);
    scratch::give_back(u);
}

/// Runs `task(t, state)` for every `t < ntasks` on up to `threads` workers of the pool,
/// each taking the next task as it comes free and keeping one `init()` state for all of
/// its tasks (rayon's `for_each_init` makes one per split of the range, and each of
/// Winograd's [`Bufs`] zeroes about 1 MiB when it is first sized).
pub(super) fn run_tasks<S>(
    ntasks: usize,
    threads: usize,
    init: impl Fn() -> S + Sync,
    task: impl Fn(usize, &mut S) + Sync,
) {
    if threads <= 1 || ntasks <= 1 {
        let mut s = init();
        (0..ntasks).for_each(|t| task(t, &mut s));
        return;
    }
    let next = AtomicUsize::new(0);
    pool().install(|| {
        (0..threads.min(ntasks)).into_par_iter().for_each(|_| {
            let mut s = None;
            loop {
                let t = next.fetch_add(1, Ordering::Relaxed);
                if t >= ntasks {
                    break;
                }
                task(t, s.get_or_insert_with(&init));
            }
        })
    });
}

/// How the 2x2 output tiles (`n` images of `ceil(ho / 2) x ceil(wo / 2)`, in order) are
/// cut into tasks: `ntasks` ranges of `tc` tiles (the last may be shorter).
#[derive(Clone, Copy)]
pub(super) struct Split {
    /// Tiles per task.
    pub tc: usize,
    /// Tasks.
    pub ntasks: usize,
    /// Tiles in all.
    pub total: usize,
    /// Tiles per tile row.
    tw: usize,
    /// Tiles per image.
    per_img: usize,
}

impl Split {
    /// Tiles per task such that a task's transformed inputs and products fit
    /// `TASK_BYTES`, and a task count that is a multiple of the threads.
    pub fn new(g: &Geom, threads: usize) -> Split {
        let (th, tw) = (g.ho.div_ceil(2), g.wo.div_ceil(2));
        let per_img = th * tw;
        let total = g.n * per_img;
        let fit = (TASK_BYTES / (16 * (g.c + g.o) * 4)).max(32);
        let mut ntasks = total.div_ceil(fit).max(1);
        ntasks = ntasks.div_ceil(threads.max(1)) * threads.max(1);
        let tc = total.div_ceil(ntasks).max(1);
        Split {
            tc,
            ntasks: total.div_ceil(tc),
            total,
            tw,
            per_img,
        }
    }

    /// The tiles of task `t` as runs along tile rows, and their count.
    pub fn runs(&self, t: usize) -> (Vec<Run>, usize) {
        let (t0, t1) = (t * self.tc, ((t + 1) * self.tc).min(self.total));
        let (tw, per_img) = (self.tw, self.per_img);
        let mut runs: Vec<Run> = Vec::new();
        let mut tile = t0;
        while tile < t1 {
            let (n, ty, tx) = (tile / per_img, tile % per_img / tw, tile % tw);
            let cnt = (tw - tx).min(t1 - tile);
            runs.push((n, ty, tx, cnt, tile - t0));
            tile += cnt;
        }
        (runs, t1.saturating_sub(t0))
    }
}

/// Tiles per block of the transforms' array steps.
pub(super) const L: usize = 8;

/// A task's tiles as runs along tile rows: (image, tile row, first tile column, count,
/// index of the run's first tile in the task).
pub(super) type Run = (usize, usize, usize, usize, usize);

// The transforms run under the CPU's SIMD features through `pulp`'s dispatch (as the
// quantized kernels do): their loops are plain Rust over unit strides, which LLVM turns
// into AVX-512 or AVX2 code there but only into SSE2 for the baseline target. They only
// add, subtract and copy, in the same order on every backend, so the bits do not depend
// on the backend.

/// The input transform of a task's tiles, for [`pulp::Arch::dispatch`].
pub(super) struct InputTiles<'a> {
    pub g: &'a Geom,
    pub x: &'a [f32],
    pub runs: &'a [Run],
    /// Tiles in the task.
    pub nt: usize,
    /// `V[ξ][c][t]`, `16 * c * nt` elements.
    pub v: &'a mut [f32],
    /// Padded input rows, `16 * (tw + 1)` elements.
    pub rows: &'a mut [f32],
}

impl pulp::WithSimd for InputTiles<'_> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _: S) {
        input_tiles(self)
    }
}

/// `V[ξ][c][t] = (Bᵀ d B)[ξ]` of the input tile of the task's tile `t`. Per input row of a
/// run: its even and odd padded columns apart (so every later step reads unit strides),
/// then Bᵀ's row combinations, then B's column ones: tile k's columns 2k..2k+4 are
/// even[k], odd[k], even[k+1], odd[k+1].
#[inline(always)]
fn input_tiles(t: InputTiles<'_>) {
    let InputTiles {
        g,
        x,
        runs,
        nt,
        v,
        rows,
    } = t;
    let c = g.c;
    let plane = g.h * g.w;
    let half = g.wo.div_ceil(2) + 1;
    for ci in 0..c {
        for &(n, ty, tx0, cnt, at) in runs {
            let xp = &x[(n * c + ci) * plane..][..plane];
            let (d, t) = rows.split_at_mut(8 * half);
            // only the first `cnt + 1` even and odd columns are read below
            let m = cnt + 1;
            for (i, de) in d.chunks_mut(2 * half).enumerate() {
                let (ev, od) = de.split_at_mut(half);
                let r = (2 * ty + i) as isize - g.pt as isize;
                if r < 0 || r >= g.h as isize {
                    ev[..m].fill(0.0);
                    od[..m].fill(0.0);
                    continue;
                }
                let src = &xp[r as usize * g.w..][..g.w];
                // padded column 2 * tx0 + j (j < 2 * (cnt + 1)) is input column
                // first + j; the columns inside the input are j in lo..hi
                let first = (2 * tx0) as isize - g.pl as isize;
                let lo = ((-first).max(0) as usize).min(2 * m);
                let hi = ((g.w as isize - first).max(0) as usize).min(2 * m);
                let col = |j: usize| (first + j as isize) as usize;
                // even j = 2k for k in ke0..ke1, odd j = 2k + 1 for k in ko0..ko1; both
                // for k in k0..k1, copied as pairs of columns; the rest one by one, and
                // zeros outside (the padding: a column or two, so written one by one
                // rather than by a call to memset)
                let (ke0, ke1, ko0, ko1) = (lo.div_ceil(2), hi.div_ceil(2), lo / 2, hi / 2);
                let (k0, k1) = (ke0, ko1.max(ke0));
                for k in (0..ke0).chain(ke1..m) {
                    ev[k] = 0.0;
                }
                for k in (0..ko0).chain(ko1..m) {
                    od[k] = 0.0;
                }
                if k1 > k0 {
                    let pairs = &src[col(2 * k0)..][..2 * (k1 - k0)];
                    let (ev, od) = (&mut ev[k0..k1], &mut od[k0..k1]);
                    // as pairs (an indexed loop does not vectorize)
                    for ((e, d), pair) in ev.iter_mut().zip(od).zip(pairs.chunks_exact(2)) {
                        *e = pair[0];
                        *d = pair[1];
                    }
                }
                for k in (ke0..ke1).filter(|k| !(k0..k1).contains(k)) {
                    ev[k] = src[col(2 * k)];
                }
                for k in (ko0..ko1).filter(|k| !(k0..k1).contains(k)) {
                    od[k] = src[col(2 * k + 1)];
                }
            }
            let l = 2 * half;
            let (d0, d1, d2, d3) = (&d[..l], &d[l..2 * l], &d[2 * l..3 * l], &d[3 * l..4 * l]);
            let (ta, tb) = t.split_at_mut(2 * l);
            let (t0r, t1r) = ta.split_at_mut(l);
            let (t2r, t3r) = tb.split_at_mut(l);
            for j in 0..l {
                t0r[j] = d0[j] - d2[j];
                t1r[j] = d1[j] + d2[j];
                t2r[j] = d2[j] - d1[j];
                t3r[j] = d1[j] - d3[j];
            }
            for (i, tr) in [&*t0r, &*t1r, &*t2r, &*t3r].into_iter().enumerate() {
                let (ev, od) = tr.split_at(half);
                let (e0, e1, o0, o1) = (&ev[..cnt], &ev[1..cnt + 1], &od[..cnt], &od[1..cnt + 1]);
                let base = |j: usize| ((i * 4 + j) * c + ci) * nt + at;
                let (rest, v3) = v[base(0)..base(3) + cnt].split_at_mut(base(3) - base(0));
                let (rest, v2) = rest.split_at_mut(base(2) - base(0));
                let (v0, v1) = rest.split_at_mut(base(1) - base(0));
                // blocks of L tiles as arrays, each stored whole (so the steps are
                // vectors: the four rows of `v` are slices of one buffer, and stores
                // interleaved across them would not be), the last block overlapping
                // the one before when `L` does not divide `cnt` (it writes the same
                // values again); fewer than `L` tiles one by one
                let body = if cnt >= L { cnt } else { 0 };
                for k in (0..body).step_by(L) {
                    let k = k.min(cnt - L);
                    let (a0, a1, b0, b1) = (block(e0, k), block(e1, k), block(o0, k), block(o1, k));
                    let mut w = [[0.0f32; L]; 4];
                    for l in 0..L {
                        w[0][l] = a0[l] - a1[l];
                        w[1][l] = b0[l] + a1[l];
                        w[2][l] = a1[l] - b0[l];
                        w[3][l] = b0[l] - b1[l];
                    }
                    for (d, w) in [&mut *v0, &mut *v1, &mut *v2, &mut *v3].into_iter().zip(&w) {
                        d[k..k + L].copy_from_slice(w);
                    }
                }
                for k in body..cnt {
                    v0[k] = e0[k] - e1[k];
                    v1[k] = o0[k] + e1[k];
                    v2[k] = e1[k] - o0[k];
                    v3[k] = o0[k] - o1[k];
                }
            }
        }
    }
}

/// `s[k..k + L]` as an array.
#[inline(always)]
pub(super) fn block(s: &[f32], k: usize) -> [f32; L] {
    s[k..k + L].try_into().unwrap()
}

/// The output transform of a task's tiles, for [`pulp::Arch::dispatch`].
struct OutputTiles<'a> {
    g: &'a Geom,
    /// `M[ξ][o][t]`, `16 * o * nt` elements.
    m: &'a [f32],
    b: Option<&'a [f32]>,
    /// Applied to each output row after it is written.
    epi: Option<&'a Epilogue<'a, f32>>,
    runs: &'a [Run],
    /// Tiles in the task.
    nt: usize,
    out: OutPtr,
    /// Elements of the output.
    olen: usize,
}

impl pulp::WithSimd for OutputTiles<'_> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _: S) {
        output_tiles(self)
    }
}

/// `Y = Aᵀ M A`, plus the bias, into the output, run by run.
#[inline(always)]
fn output_tiles(t: OutputTiles<'_>) {
    let OutputTiles {
        g,
        m,
        b,
        epi,
        runs,
        nt,
        out,
        olen,
    } = t;
    let o = g.o;
    for oi in 0..o {
        let bias = b.map_or(0.0, |b| b[oi]);
        let es: [&[f32]; 16] = std::array::from_fn(|xi| &m[(xi * o + oi) * nt..][..nt]);
        for &(n, ty, tx0, cnt, at) in runs {
            let e: [&[f32]; 16] = std::array::from_fn(|xi| &es[xi][at..at + cnt]);
            let wlen = (2 * cnt).min(g.wo - 2 * tx0);
            for i in 0..2 {
                let oh = 2 * ty + i;
                if oh >= g.ho {
                    break;
                }
                let first = ((n * o + oi) * g.ho + oh) * g.wo + 2 * tx0;
                assert!(first + wlen <= olen);
                // SAFETY: output row `oh` of channel `oi`, image `n`, columns of this
                // run's tiles only, which no other task has (the tasks' tile ranges are
                // disjoint); inside the output (asserted), which outlives the tasks.
                let orow = unsafe { std::slice::from_raw_parts_mut(out.get().add(first), wlen) };
                // row i of Aᵀ: (1, 1, 1, 0) or (0, 1, -1, -1)
                if i == 0 {
                    output_row::<false>(orow, [&e[0..4], &e[4..8], &e[8..12]], bias);
                } else {
                    output_row::<true>(orow, [&e[4..8], &e[8..12], &e[12..16]], bias);
                }
                if let Some(epi) = epi {
                    epi.apply(oi, first, orow);
                }
            }
        }
    }
}

/// One output row of a run's tiles: `a = p + q + s` (`p - q - s` if `MINUS`) over the
/// rows `p, q, s` of `M`, then `(a0 + a1 + a2, a1 - a2 - a3)` plus the bias per tile
/// (only the first if `orow` ends inside the tile).
#[inline(always)]
fn output_row<const MINUS: bool>(orow: &mut [f32], pqs: [&[&[f32]]; 3], bias: f32) {
    let wlen = orow.len();
    let full = wlen / 2;
    let [p, q, s] = pqs;
    let a = |j: usize, k: usize| {
        if MINUS {
            p[j][k] - q[j][k] - s[j][k]
        } else {
            p[j][k] + q[j][k] + s[j][k]
        }
    };
    let [p0, p1, p2, p3] = [p[0], p[1], p[2], p[3]].map(|r| &r[..full]);
    let [q0, q1, q2, q3] = [q[0], q[1], q[2], q[3]].map(|r| &r[..full]);
    let [s0, s1, s2, s3] = [s[0], s[1], s[2], s[3]].map(|r| &r[..full]);
    // blocks of L tiles as arrays (so the steps are whole vectors), the last one
    // overlapping the one before when `L` does not divide `full` (it writes the same
    // values again); fewer than `L` tiles one by one
    let body = if full >= L { full } else { 0 };
    for kb in (0..body).step_by(L) {
        let kb = kb.min(full - L);
        let r = |v: &[f32]| block(v, kb);
        let (p, q, s) = (
            [r(p0), r(p1), r(p2), r(p3)],
            [r(q0), r(q1), r(q2), r(q3)],
            [r(s0), r(s1), r(s2), r(s3)],
        );
        let mut a = [[0.0f32; L]; 4];
        for j in 0..4 {
            for l in 0..L {
                a[j][l] = if MINUS {
                    p[j][l] - q[j][l] - s[j][l]
                } else {
                    p[j][l] + q[j][l] + s[j][l]
                };
            }
        }
        let mut y = [0.0f32; 2 * L];
        for l in 0..L {
            y[2 * l] = a[0][l] + a[1][l] + a[2][l] + bias;
            y[2 * l + 1] = a[1][l] - a[2][l] - a[3][l] + bias;
        }
        orow[2 * kb..][..2 * L].copy_from_slice(&y);
    }
    for (k, y) in orow[2 * body..2 * full].chunks_exact_mut(2).enumerate() {
        let k = body + k;
        let (a0, a1, a2, a3) = if MINUS {
            (
                p0[k] - q0[k] - s0[k],
                p1[k] - q1[k] - s1[k],
                p2[k] - q2[k] - s2[k],
                p3[k] - q3[k] - s3[k],
            )
        } else {
            (
                p0[k] + q0[k] + s0[k],
                p1[k] + q1[k] + s1[k],
                p2[k] + q2[k] + s2[k],
                p3[k] + q3[k] + s3[k],
            )
        };
        y[0] = a0 + a1 + a2 + bias;
        y[1] = a1 - a2 - a3 + bias;
    }
    if wlen % 2 == 1 {
        orow[2 * full] = a(0, full) + a(1, full) + a(2, full) + bias;
    }
}

#[cfg(test)]
mod tests {
    use super::super::conv::{forward_kernel, geometry, ConvOptions};
    use tessera_core::{DType, Generator};

    /// Winograd against im2col + gemm, in f64 for the reference: odd and even sizes,
    /// paddings 0-2, a batch whose tile runs cross rows and images, with and without
    /// bias, on one and two threads.
    #[test]
    fn matches_im2col() {
        let mut rng = Generator::new(5);
        for threads in [1, 2] {
            tessera_core::set_num_threads(threads);
            for &(n, c, o, h, w, p, bias) in &[
                (1, 16, 16, 7, 7, 1, false),
                (3, 16, 24, 9, 6, 0, true),
                (2, 17, 16, 8, 11, 2, true),
                (1, 32, 16, 4, 5, 1, false),
            ] {
                let x = rng.randn(&[n, c, h, w], DType::F64);
                let wt = rng.randn(&[o, c, 3, 3], DType::F64);
                let b = rng.randn(&[o], DType::F64);
                let g = geometry("t", &x, &wt, &ConvOptions::default().padding(p));
                let (x64, w64, b64) = (x.to_vec::<f64>(), wt.to_vec::<f64>(), b.to_vec::<f64>());
                let want = forward_kernel(&g, &x64, &w64, bias.then_some(&b64[..]), None, None);
                let f = |v: &[f64]| v.iter().map(|&e| e as f32).collect::<Vec<f32>>();
                let (x32, w32, b32) = (f(&x64), f(&w64), f(&b64));
                let mut got = vec![f32::NAN; want.len()];
                super::forward(&g, &x32, &w32, bias.then_some(&b32[..]), None, &mut got);
                let scale = (c * 9) as f64;
                for (i, (&a, &e)) in got.iter().zip(&want).enumerate() {
                    assert!(
                        (a as f64 - e).abs() <= 1e-6 * scale,
                        "case {n}x{c}x{h}x{w} -> {o}, pad {p}: element {i}: {a} vs {e}"
                    );
                }
            }
        }
        tessera_core::set_num_threads(2);
    }

    /// The kernel transform split across the pool (enough kernels, a count that is not
    /// a multiple of the block) gives the one-task transform's bits, and writes every
    /// element of its reused (poisoned) buffer.
    #[test]
    fn split_kernel_transform_keeps_bits() {
        let (o, c) = (91, 97);
        assert!(o * c >= 2 * super::PAR_KERNELS && (o * c) % super::KB != 0);
        let x = Generator::new(6).randn(&[1, c, 4, 4], DType::F32);
        let wt = Generator::new(7).randn(&[o, c, 3, 3], DType::F32);
        let g = geometry("t", &x, &wt, &ConvOptions::default());
        let w = wt.to_vec::<f32>();
        tessera_core::set_num_threads(2);
        // Each transform gets a NaN-poisoned scratch buffer, none of which may show.
        let run = |threads: usize| {
            tessera_core::runtime::scratch::give_back(vec![f32::NAN; 16 * o * c + 5]);
            let u = super::weights(&g, &w, threads);
            assert!(u.iter().all(|e| !e.is_nan()), "{threads} threads");
            u.iter().map(|e| e.to_bits()).collect::<Vec<u32>>()
        };
        let one = run(1);
        for threads in [2, 3] {
            assert_eq!(run(threads), one, "{threads} threads");
        }
    }
}
