//! The gradients of a Winograd F(2x2, 3x3) convolution (see `winograd.rs`): the input
//! gradient as another Winograd forward, the weight gradient by the adjoint of the
//! forward's transforms.
//!
//! The forward computes, per 2x2 output tile `t`, `Y = Aᵀ M A` with
//! `M[ξ][o] = Σ_c U[ξ][o][c] V_t[ξ][c]`, `U = G g Gᵀ` and `V_t = Bᵀ d_t B`. Its adjoint
//! in `g` is `dM_t = A dY_t Aᵀ` (4x4 from the 2x2 output gradient), sixteen products
//! `dU[ξ] = Σ_t dM_t[ξ] V_t[ξ]ᵀ` (`[o x c]`, a gemm over the tiles) and
//! `dg = Gᵀ dU G`: 16 multiply-adds per tile and channel pair where the direct product
//! takes 36 per 2x2 outputs. Output positions past the edge (odd sizes) have zero
//! gradient, so they add nothing.

use super::conv::Geom;
use super::gemm::{matmul, Dst, Mat};
use super::winograd::{applies, block, forward, run_tasks, Bufs, InputTiles, Run, Split, L};
use std::sync::Mutex;
use tessera_core::runtime::pool::usable_threads;
use tessera_core::runtime::Output;

/// The input gradient of a convolution this path could also run, as the Winograd
/// convolution of the output gradient with the flipped, transposed kernel and padding
/// `2 - p`; `None` when that convolution does not take this path (see [`applies`]).
pub(super) fn input_grad(g: &Geom, w: &[f32], gy: &[f32]) -> Option<Vec<f32>> {
    if g.pt > 2 || g.pl > 2 {
        return None;
    }
    let t = Geom {
        c: g.o,
        h: g.ho,
        w: g.wo,
        o: g.c,
        pt: 2 - g.pt,
        pl: 2 - g.pl,
        ho: g.h,
        wo: g.w,
        ..*g
    };
    if !applies(g, usable_threads()) || !applies(&t, usable_threads()) {
        return None;
    }
    // wt[c][o][i][j] = w[o][c][2 - i][2 - j]
    let mut wt = vec![0.0f32; w.len()];
    for o in 0..g.o {
        for c in 0..g.c {
            for k in 0..9 {
                wt[(c * g.o + o) * 9 + 8 - k] = w[(o * g.c + c) * 9 + k];
            }
        }
    }
    let mut dx = Output::<f32>::zeroed("conv2d backward", g.n * g.c * g.h * g.w).into_vec();
    forward(&t, gy, &wt, None, None, &mut dx);
    Some(dx)
}

/// Bytes of the weight gradient's partial sums, which set how many groups of tasks it
/// makes (between [`MIN_GROUPS`] and [`MAX_GROUPS`]), each group summing into its own
/// partial: the count depends on the sizes only, never on the threads, so that the
/// order of the sum, and its bits, do not either.
const GROUP_BYTES: usize = 8 << 20;
/// Fewest groups: two threads busy.
const MIN_GROUPS: usize = 2;
/// Most groups: enough for two threads to even out when one is slowed.
const MAX_GROUPS: usize = 8;

/// The weight gradient (`[O, C, 3, 3]`) of a convolution that takes the Winograd path
/// (see [`applies`]) from its input `x` and output gradient `gy`; `None` when it does
/// not take that path. Tasks are ranges of tiles as the forward's (as cut for one thread),
/// each adding its sixteen products into its group's partial `dU` (see [`GROUP_BYTES`]).
pub(super) fn weight_grad(g: &Geom, x: &[f32], gy: &[f32]) -> Option<Vec<f32>> {
    let threads = usable_threads();
    if !applies(g, threads) {
        return None;
    }
    let (c, o) = (g.c, g.o);
    assert_eq!(x.len(), g.n * c * g.h * g.w);
    assert_eq!(gy.len(), g.n * o * g.ho * g.wo);
    // the tasks' tiles do not depend on the threads either
    let split = Split::new(g, 1);
    let half = g.wo.div_ceil(2) + 1;
    let task = |t: usize, du: &mut [f32], bufs: &mut Bufs| {
        let (runs, nt) = split.runs(t);
        let (v, dm, rows) = bufs.get(16 * c * nt, 16 * o * nt, 16 * half);
        pulp::Arch::new().dispatch(InputTiles {
            g,
            x,
            runs: &runs,
            nt,
            v: &mut *v,
            rows: &mut *rows,
        });
        pulp::Arch::new().dispatch(GradTiles {
            g,
            gy,
            runs: &runs,
            nt,
            dm: &mut *dm,
            rows,
        });
        // dU[ξ] += dM[ξ] V[ξ]ᵀ: [o x nt] [nt x c]
        for xi in 0..16 {
            matmul(
                (o, c, nt),
                Dst::rows(&mut du[xi * o * c..][..o * c], c),
                true,
                Mat::rows(&dm[xi * o * nt..][..o * nt], nt),
                Mat::rows_t(&v[xi * c * nt..][..c * nt], nt),
                1,
            );
        }
    };
    // Fixed groups of consecutive tasks, each summed into its own partial, and the
    // partials summed in order: the bits do not depend on the threads.
    let ulen = 16 * o * c;
    let groups = (GROUP_BYTES / (4 * ulen).max(1))
        .clamp(MIN_GROUPS, MAX_GROUPS)
        .min(split.ntasks);
    let slots: Vec<Mutex<Vec<f32>>> = (0..groups).map(|_| Mutex::default()).collect();
    run_tasks(groups, threads, Bufs::default, |j, bufs| {
        let mut du = vec![0.0f32; ulen];
        for t in j * split.ntasks / groups..(j + 1) * split.ntasks / groups {
            task(t, &mut du, bufs);
        }
        *slots[j].lock().unwrap_or_else(|e| e.into_inner()) = du;
    });
    let mut parts = slots
        .into_iter()
        .map(|s| s.into_inner().unwrap_or_else(|e| e.into_inner()));
    let mut du = parts.next().unwrap_or_else(|| vec![0.0; ulen]);
    for p in parts {
        du.iter_mut().zip(p).for_each(|(a, b)| *a += b);
    }
    Some(kernel_grads(&du, o * c))
}

/// `dg = Gᵀ dU G` for each of the `oc` kernels (`du`: `[16, oc]`), as `[oc, 3, 3]`.
fn kernel_grads(du: &[f32], oc: usize) -> Vec<f32> {
    // Gᵀ u for a 4-vector: (u0 + (u1 + u2) / 2, (u1 - u2) / 2, (u1 + u2) / 2 + u3)
    let gt = |u: [f32; 4]| {
        [
            u[0] + 0.5 * (u[1] + u[2]),
            0.5 * (u[1] - u[2]),
            0.5 * (u[1] + u[2]) + u[3],
        ]
    };
    let mut dw = vec![0.0f32; 9 * oc];
    for (k, dg) in dw.chunks_exact_mut(9).enumerate() {
        let e = |xi: usize| du[xi * oc + k];
        // Gᵀ applied to each column of dU (over ξ's row index), then to each row
        let cols: [[f32; 3]; 4] =
            std::array::from_fn(|j| gt([e(j), e(4 + j), e(8 + j), e(12 + j)]));
        for i in 0..3 {
            let r = gt([cols[0][i], cols[1][i], cols[2][i], cols[3][i]]);
            dg[3 * i..3 * i + 3].copy_from_slice(&r);
        }
    }
    dw
}

/// The output-gradient transform of a task's tiles, for [`pulp::Arch::dispatch`].
struct GradTiles<'a> {
    g: &'a Geom,
    /// `[N, O, Ho, Wo]`.
    gy: &'a [f32],
    runs: &'a [Run],
    /// Tiles in the task.
    nt: usize,
    /// `dM[ξ][o][t]`, `16 * o * nt` elements.
    dm: &'a mut [f32],
    /// Working rows, at least `4 * tw` elements.
    rows: &'a mut [f32],
}

impl pulp::WithSimd for GradTiles<'_> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _: S) {
        grad_tiles(self)
    }
}

/// `dM = A dY Aᵀ` of each tile's 2x2 output gradient `[[p, q], [r, s]]` (zero past the
/// output's edge): `A dY` has rows `(p, q), (p + r, q + s), (p - r, q - s), (-r, -s)`,
/// and `Aᵀ` maps a row `(a, b)` to `(a, a + b, a - b, -b)`. The four corners are first
/// split out of the two gradient rows (so the steps read unit strides).
#[inline(always)]
fn grad_tiles(t: GradTiles<'_>) {
    let GradTiles {
        g,
        gy,
        runs,
        nt,
        dm,
        rows,
    } = t;
    let o = g.o;
    let plane = g.ho * g.wo;
    for oi in 0..o {
        for &(n, ty, tx0, cnt, at) in runs {
            let gp = &gy[(n * o + oi) * plane..][..plane];
            let (pe, rest) = rows.split_at_mut(cnt);
            let (po, rest) = rest.split_at_mut(cnt);
            let (re, rest) = rest.split_at_mut(cnt);
            let ro = &mut rest[..cnt];
            // columns 2 * (tx0 + k) and the next, of output rows 2 * ty and the next
            let x0 = 2 * tx0;
            let full = ((g.wo - x0) / 2).min(cnt);
            for (i, (ev, od)) in [(&mut *pe, &mut *po), (&mut *re, &mut *ro)]
                .into_iter()
                .enumerate()
            {
                let oh = 2 * ty + i;
                if oh >= g.ho {
                    ev.fill(0.0);
                    od.fill(0.0);
                    continue;
                }
                let src = &gp[oh * g.wo + x0..(oh + 1) * g.wo];
                for ((e, d), pair) in ev.iter_mut().zip(od.iter_mut()).zip(src.chunks_exact(2)) {
                    *e = pair[0];
                    *d = pair[1];
                }
                // an odd last column: its tile's right half is past the edge
                if full < cnt {
                    ev[full] = src[2 * full];
                    od[full] = 0.0;
                }
            }
            let (pe, po, re, ro) = (&*pe, &*po, &*re, &*ro);
            // blocks of L tiles as arrays, each row of dM stored whole (so the steps
            // are vectors), the last block overlapping the one before when `L` does not
            // divide `cnt` (it writes the same values again); fewer than `L` one by one
            let body = if cnt >= L { cnt } else { 0 };
            for k in (0..body).step_by(L) {
                let k = k.min(cnt - L);
                let (p, q, r, s) = (block(pe, k), block(po, k), block(re, k), block(ro, k));
                let mut m = [[0.0f32; L]; 16];
                for l in 0..L {
                    let t = tile_grad(p[l], q[l], r[l], s[l]);
                    for (row, v) in m.iter_mut().zip(t) {
                        row[l] = v;
                    }
                }
                for (xi, row) in m.iter().enumerate() {
                    dm[(xi * o + oi) * nt + at + k..][..L].copy_from_slice(row);
                }
            }
            for k in body..cnt {
                let t = tile_grad(pe[k], po[k], re[k], ro[k]);
                for (xi, v) in t.into_iter().enumerate() {
                    dm[(xi * o + oi) * nt + at + k] = v;
                }
            }
        }
    }
}

/// `dM = A dY Aᵀ` (row-major) of one tile's output gradient `[[p, q], [r, s]]`.
#[inline(always)]
fn tile_grad(p: f32, q: f32, r: f32, s: f32) -> [f32; 16] {
    let mut m = [0.0f32; 16];
    // the rows (a, b) of A dY, each mapped to (a, a + b, a - b, -b)
    for (i, (a, b)) in [(p, q), (p + r, q + s), (p - r, q - s), (-r, -s)]
        .into_iter()
        .enumerate()
    {
        m[4 * i..4 * i + 4].copy_from_slice(&[a, a + b, a - b, -b]);
    }
    m
}

#[cfg(test)]
mod tests {
    use super::super::conv::{backward_kernel, geometry, ConvOptions, Geom};
    use tessera_core::{DType, Generator};

    /// A random f64 case `[n, c, h, w] * [o, c, 3, 3]` with padding `p`: its geometry, the
    /// input, the weight and an output gradient.
    fn case(
        rng: &mut Generator,
        (n, c, o, h, w, p): (usize, usize, usize, usize, usize, usize),
    ) -> (Geom, Vec<f64>, Vec<f64>, Vec<f64>) {
        let x = rng.randn(&[n, c, h, w], DType::F64);
        let wt = rng.randn(&[o, c, 3, 3], DType::F64);
        let g = geometry("t", &x, &wt, &ConvOptions::default().padding(p));
        let gy = rng.randn(&[n, o, g.ho, g.wo], DType::F64);
        (g, x.to_vec(), wt.to_vec(), gy.to_vec())
    }

    fn f32s(v: &[f64]) -> Vec<f32> {
        v.iter().map(|&e| e as f32).collect()
    }

    /// The input gradient by Winograd against col2im's, padding 0-2.
    #[test]
    fn input_grad_matches_col2im() {
        let mut rng = Generator::new(6);
        // at least 192 tiles each way, so the path applies on up to 2 threads
        for &(n, c, o, h, w, p) in &[
            (2, 16, 24, 28, 26, 1),
            (1, 24, 16, 34, 32, 0),
            (3, 16, 16, 18, 17, 2),
        ] {
            let (g, x64, w64, gy64) = case(&mut rng, (n, c, o, h, w, p));
            let want = backward_kernel(&g, (&x64, None), &w64, &gy64, true, false)
                .0
                .unwrap();
            let got = super::input_grad(&g, &f32s(&w64), &f32s(&gy64)).expect("takes the path");
            for (i, (&a, &e)) in got.iter().zip(&want).enumerate() {
                assert!(
                    (a as f64 - e).abs() <= 1e-6 * (o * 9) as f64,
                    "case {n}x{c}x{h}x{w} -> {o}, pad {p}: element {i}: {a} vs {e}"
                );
            }
        }
    }

    /// The weight gradient's bits do not depend on the threads (its groups and their
    /// order are fixed by the sizes), nor on the run; nor do the input gradient's.
    #[test]
    fn gradients_keep_bits_across_threads() {
        let mut rng = Generator::new(8);
        let (g, x64, w64, gy64) = case(&mut rng, (3, 16, 24, 30, 29, 1));
        let (x, w, gy) = (f32s(&x64), f32s(&w64), f32s(&gy64));
        let bits = |v: Vec<f32>| v.iter().map(|e| e.to_bits()).collect::<Vec<u32>>();
        let run = |threads: usize| {
            tessera_core::set_num_threads(threads);
            let dw = super::weight_grad(&g, &x, &gy).expect("takes the path");
            let dx = super::input_grad(&g, &w, &gy).expect("takes the path");
            (bits(dw), bits(dx))
        };
        let one = run(1);
        for threads in [2, 1, 2] {
            assert!(run(threads) == one, "{threads} threads");
        }
        tessera_core::set_num_threads(2);
    }

    /// The weight gradient by Winograd against im2col's (in f64): odd and even sizes,
    /// paddings 0-2, tile runs that cross rows and images, on one and two threads.
    #[test]
    fn weight_grad_matches_im2col() {
        let mut rng = Generator::new(7);
        for threads in [1, 2] {
            tessera_core::set_num_threads(threads);
            for &(n, c, o, h, w, p) in &[
                (2, 16, 24, 28, 26, 1),
                (1, 24, 16, 35, 33, 0),
                (3, 16, 16, 17, 18, 2),
                (2, 17, 19, 27, 23, 1),
            ] {
                let (g, x64, w64, gy64) = case(&mut rng, (n, c, o, h, w, p));
                let want = backward_kernel(&g, (&x64, None), &w64, &gy64, false, true)
                    .1
                    .unwrap();
                let got =
                    super::weight_grad(&g, &f32s(&x64), &f32s(&gy64)).expect("takes the path");
                // each element sums n * ho * wo products of unit-scale values
                let tol = 1e-6 * (n * g.ho * g.wo) as f64;
                for (i, (&a, &e)) in got.iter().zip(&want).enumerate() {
                    assert!(
                        (a as f64 - e).abs() <= tol,
                        "case {n}x{c}x{h}x{w} -> {o}, pad {p}: element {i}: {a} vs {e}"
                    );
                }
            }
        }
        tessera_core::set_num_threads(2);
    }
}
