//! `matrix_exp`: scaling and squaring with Padé approximants (Higham 2005).

use crate::batch::{map_batch, square_batch, to_owned};
use crate::dense::{self, in_pool, par_for};
use crate::scalar::Float;
use crate::small::{matmul_small, solve_small, SMALL};
use crate::solve::solve_large;
use faer::Par;
use tessera_core::autograd::{custom_op, Saves};
use tessera_core::runtime::scratch;
use tessera_core::{dispatch_float, Tensor};

/// Matrix products and solves for one order `n`, small or large.
struct Ops {
    n: usize,
    par: Par,
}

impl Ops {
    fn mm<T: Float>(&self, c: &mut [T], a: &[T], b: &[T]) {
        if self.n <= SMALL {
            matmul_small(c, a, b, self.n);
        } else {
            dense::matmul(c, a, b, self.n, self.par);
        }
    }

    /// `b <- a^-1 b` (`a` may be destroyed).
    fn solve<T: Float>(&self, a: &mut [T], b: &mut [T]) {
        let n = self.n;
        if n <= SMALL {
            solve_small(a, n, b, n);
        } else {
            solve_large(a, n, None, b, n, self.par);
        }
    }
}

/// Coefficients of the `[m/m]` Padé approximant of `exp`:
/// `c_j = (2m - j)! m! / ((2m)! j! (m - j)!)`, `c_0 = 1`.
fn pade_coefficients(m: usize) -> Vec<f64> {
    let mut c = vec![1.0f64; m + 1];
    for j in 1..=m {
        c[j] = c[j - 1] * (m - j + 1) as f64 / ((2 * m - j + 1) * j) as f64;
    }
    c
}

/// Higham (2005), Table 2.3: the largest 1-norm for which the `[m/m]` Padé
/// approximant is accurate to the unit roundoff, for double (m = 3, 5, 7, 9, 13) and
/// single (m = 3, 5, 7) precision.
#[allow(clippy::excessive_precision)] // as printed in the paper
const THETA_F64: [(usize, f64); 5] = [
    (3, 1.495585217958292e-2),
    (5, 2.539398330063230e-1),
    (7, 9.504178996162932e-1),
    (9, 2.097847961257068e0),
    (13, 5.371920351148152e0),
];
#[allow(clippy::excessive_precision)]
const THETA_F32: [(usize, f64); 3] = [
    (3, 4.258730016922831e-1),
    (5, 1.880152677804762e0),
    (7, 3.925724783138660e0),
];

/// Elements per block of the elementwise passes: a block of `out` stays in L1 while
/// every term is added to it (one pass over memory instead of one per term).
const CHUNK: usize = 2048;

/// `out = sum_k w_k * mats_k` (+ `diag` on the diagonal).
fn combine<T: Float>(out: &mut [T], terms: &[(f64, &[T])], diag: f64, ops: &Ops) {
    blocks(out, ops, |o, off| {
        o.fill(T::ZERO);
        add_terms(o, off, terms);
    });
    add_diag(out, diag, ops.n);
}

/// `out += sum_k w_k * mats_k` (+ `diag` on the diagonal).
fn accumulate<T: Float>(out: &mut [T], terms: &[(f64, &[T])], diag: f64, ops: &Ops) {
    blocks(out, ops, |o, off| add_terms(o, off, terms));
    add_diag(out, diag, ops.n);
}

/// `o += sum_k w_k * mats_k[off..]`.
fn add_terms<T: Float>(o: &mut [T], off: usize, terms: &[(f64, &[T])]) {
    for &(w, m) in terms {
        let w = T::lit(w);
        for (x, &y) in o.iter_mut().zip(&m[off..]) {
            *x += w * y;
        }
    }
}

fn add_diag<T: Float>(out: &mut [T], diag: f64, n: usize) {
    if diag != 0.0 {
        for i in 0..n {
            out[i * n + i] += T::lit(diag);
        }
    }
}

/// `f(block, offset)` over the `CHUNK`-element blocks of `out`, split across the pool's
/// threads when the products are.
fn blocks<T: Float>(out: &mut [T], ops: &Ops, f: impl Fn(&mut [T], usize) + Sync + Send) {
    if matches!(ops.par, Par::Rayon(_)) {
        use rayon::prelude::*;
        out.par_chunks_mut(CHUNK)
            .enumerate()
            .for_each(|(c, o)| f(o, c * CHUNK));
    } else {
        for (c, o) in out.chunks_mut(CHUNK).enumerate() {
            f(o, c * CHUNK);
        }
    }
}

/// Temporaries [`pade`] needs for order `m`: the even powers up to `A^(m-1)` (`A^2`,
/// `A^4`, `A^6` for `m = 13`), then three more.
fn pade_buffers(m: usize) -> usize {
    if m == 13 {
        6
    } else {
        m.div_ceil(2) + 2
    }
}

/// `exp(a)` by the `[m/m]` Padé approximant, written into `a`. `ws` holds
/// [`pade_buffers`]`(m)` matrices (one allocation for all the temporaries).
fn pade<T: Float>(a: &mut [T], m: usize, ops: &Ops, ws: &mut [T]) {
    let n = ops.n;
    let nn = n * n;
    let c = pade_coefficients(m);
    let (pows, rest) = ws.split_at_mut(if m == 13 { 3 * nn } else { (m - 1) / 2 * nn });
    let mut pows: Vec<&mut [T]> = pows.chunks_exact_mut(nn).collect();
    let mut rest = rest.chunks_exact_mut(nn);
    let (u_in, v, u) = (
        rest.next().expect("workspace"),
        rest.next().expect("workspace"),
        rest.next().expect("workspace"),
    );
    ops.mm(pows[0], a, a);
    if m == 13 {
        let [a2, a4, a6] = &mut pows[..] else {
            unreachable!("three powers")
        };
        ops.mm(a4, a2, a2);
        ops.mm(a6, a4, a2);
        // U = A [A6 (c13 A6 + c11 A4 + c9 A2) + c7 A6 + c5 A4 + c3 A2 + c1 I]
        // (`v` is scratch until V is formed)
        combine(v, &[(c[13], a6), (c[11], a4), (c[9], a2)], 0.0, ops);
        ops.mm(u_in, a6, v);
        accumulate(u_in, &[(c[7], a6), (c[5], a4), (c[3], a2)], c[1], ops);
        ops.mm(u, a, u_in);
        // V = A6 (c12 A6 + c10 A4 + c8 A2) + c6 A6 + c4 A4 + c2 A2 + c0 I
        // (`u_in` is now scratch)
        combine(u_in, &[(c[12], a6), (c[10], a4), (c[8], a2)], 0.0, ops);
        ops.mm(v, a6, u_in);
        accumulate(v, &[(c[6], a6), (c[4], a4), (c[2], a2)], c[0], ops);
    } else {
        // Powers A^2, A^4, ..., A^(m-1).
        for k in 1..pows.len() {
            let (done, todo) = pows.split_at_mut(k);
            ops.mm(todo[0], done[k - 1], done[0]);
        }
        let uterms: Vec<(f64, &[T])> = pows
            .iter()
            .enumerate()
            .map(|(k, p)| (c[2 * k + 3], &**p))
            .collect();
        combine(u_in, &uterms, c[1], ops);
        let vterms: Vec<(f64, &[T])> = pows
            .iter()
            .enumerate()
            .map(|(k, p)| (c[2 * k + 2], &**p))
            .collect();
        combine(v, &vterms, c[0], ops);
        ops.mm(u, a, u_in);
    }
    // exp(A) ~ (V - U)^-1 (V + U); `v` becomes V - U.
    let (v_ro, u_ro): (&[T], &[T]) = (v, u);
    blocks(a, ops, |o, off| {
        for ((x, &vi), &ui) in o.iter_mut().zip(&v_ro[off..]).zip(&u_ro[off..]) {
            *x = vi + ui;
        }
    });
    for (vi, &ui) in v.iter_mut().zip(u.iter()) {
        *vi -= ui;
    }
    ops.solve(v, a);
}

/// `exp` of one row-major matrix in place.
fn expm_one<T: Float>(a: &mut [T], n: usize, par: Par) {
    if n == 0 {
        return;
    }
    // 1-norm: max column sum (summed row by row: contiguous reads).
    let mut sums = vec![T::ZERO; n];
    for row in a.chunks_exact(n) {
        for (s, &x) in sums.iter_mut().zip(row) {
            *s += x.fabs();
        }
    }
    if !sums.iter().all(|s| s.ffinite()) {
        // inf or NaN entries: PyTorch's result is all NaN; never scale by 2^inf.
        a.fill(T::NAN);
        return;
    }
    let norm = sums.iter().fold(T::ZERO, |m, &s| if s > m { s } else { m });
    let ops = Ops { n, par };
    let thetas: &[(usize, f64)] = if T::DTYPE == tessera_core::DType::F64 {
        &THETA_F64
    } else {
        &THETA_F32
    };
    let norm = norm.to_f64();
    let (last, theta) = thetas[thetas.len() - 1];
    let m = thetas
        .iter()
        .find(|&&(_, theta)| norm <= theta)
        .map_or(last, |&(m, _)| m);
    // Kept between calls (a 256x256 f64 matrix needs 3 MiB, whose page faults a fresh
    // allocation pays again); every element is written before it is read.
    let mut ws = scratch::take::<T>(pade_buffers(m) * n * n);
    if norm <= theta {
        pade(a, m, &ops, &mut ws);
        scratch::give_back(ws);
        return;
    }
    let s = (norm / theta).log2().ceil() as i32;
    let scale = T::lit((-s as f64).exp2());
    for x in a.iter_mut() {
        *x *= scale;
    }
    pade(a, m, &ops, &mut ws);
    // Square s times, ping-ponging between `a` and the first workspace matrix.
    let t = &mut ws[..n * n];
    let mut in_a = true;
    for _ in 0..s {
        if in_a {
            ops.mm(t, a, a);
        } else {
            ops.mm(a, t, t);
        }
        in_a = !in_a;
    }
    if !in_a {
        a.copy_from_slice(t);
    }
    scratch::give_back(ws);
}

fn expm_impl<T: Float>(a: &Tensor, batch: &[usize], n: usize) -> Tensor {
    let count: usize = batch.iter().product();
    let mut data = to_owned::<T>(a);
    let par = par_for(n);
    let across = matches!(par, Par::Seq);
    in_pool(|| map_batch(&mut data, n * n, count, across, |_, m| expm_one(m, n, par)));
    Tensor::from_vec(data, a.shape())
}

/// `torch.linalg.matrix_exp(A)`: the matrix exponential `exp(A) = sum_k A^k / k!` of a
/// square matrix or of each matrix of a batch.
///
/// This is not the elementwise `exp` (nor `expm1`) of the entries: for a diagonal
/// matrix they agree on the diagonal only, and in general every entry of `exp(A)`
/// depends on all of `A`.
///
/// Algorithm: scaling and squaring with Padé approximants (Higham, "The scaling and
/// squaring method for the matrix exponential revisited", SIAM J. Matrix Anal. Appl.
/// 26(4), 2005): the `[m/m]` approximant with the smallest `m` whose bound `theta_m`
/// covers `||A||_1` (m in 3, 5, 7, 9, 13 for f64; 3, 5, 7 for f32), else `A / 2^s` with
/// the largest `m` and `s` squarings. Matrices up to 16x16 run in parallel across the
/// batch; larger ones use faer's parallel products.
///
/// ```
/// use tessera_core::{tensor, DType};
/// // exp of the rotation generator [[0, -t], [t, 0]] is the rotation by t.
/// let t = 0.5f64;
/// let e = tessera_linalg::matrix_exp(&tensor!([[0.0, -t], [t, 0.0]], dtype = DType::F64));
/// assert!((e.get::<f64>(&[0, 0]) - t.cos()).abs() < 1e-15);
/// assert!((e.get::<f64>(&[1, 0]) - t.sin()).abs() < 1e-15);
/// ```
///
/// # Accuracy
/// Backward error of about the unit roundoff in exact arithmetic (Higham 2005); the
/// computed relative error is of order `cond_exp(A) * eps`, usually `1e-15`..`1e-13`
/// in f64 and `1e-7`..`1e-5` in f32 (the tests check the hard cases against
/// high-precision references).
///
/// Matrices with an `inf` or NaN entry give all-NaN results, as in PyTorch.
///
/// # Panics
/// If `a` has fewer than 2 dims, is not square, or is not `F32`/`F64`.
pub fn matrix_exp(a: &Tensor) -> Tensor {
    let (batch, n) = square_batch("linalg.matrix_exp", a);
    let e = dispatch_float!(a.dtype(), T => expm_impl::<T>(a, &batch, n), _ => unreachable!());
    // The gradient is the upper-right block of exp([[A^T, G], [0, A^T]]) (Najfeld and
    // Havel 1995), computed by matrix_exp itself so it is differentiable again.
    custom_op(
        "linalg.matrix_exp",
        &[a],
        Saves::Inputs,
        move || e,
        |g, _, inputs| {
            let at = inputs[0].mt();
            let top = Tensor::cat(&[at.clone(), g.clone()], -1);
            let bottom = Tensor::cat(&[at.zeros_like(), at], -1);
            let big = matrix_exp(&Tensor::cat(&[top, bottom], -2));
            let n = g.size(-1);
            vec![Some(big.narrow(-2, 0, n).narrow(-1, n, n))]
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pade_approximant_matches_exp_to_order_2m() {
        // r_m(x) = p(x) / p(-x) agrees with e^x up to O(x^(2m+1)).
        for m in [3usize, 5, 7, 9, 13] {
            let c = pade_coefficients(m);
            let p = |x: f64| c.iter().rev().fold(0.0, |acc, &ck| acc * x + ck);
            let x = 0.2f64;
            let err = (p(x) / p(-x) - x.exp()).abs();
            assert!(err <= 1e-15 + x.powi(2 * m as i32 + 1), "m = {m}: {err}");
            // and not better than that order for m = 3 (the coefficients matter)
            if m == 3 {
                assert!(err > 1e-6 * x.powi(7), "m = 3: {err}");
            }
        }
    }
}
