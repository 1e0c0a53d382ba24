//! Blocked LU with partial pivoting and triangular solves with many right-hand sides,
//! on row-major matrices: the large-matrix path of `inv`, `solve`, `lu_factor`, `det`
//! and `matrix_exp`.
//!
//! Why not faer's own LU and solves: they want column-major storage (tessera's tensors
//! are row-major; transposing a 512x512 matrix in or out costs about 0.4 ms), faer's
//! recursive triangular solves spend their time in tiny blocks (12-30 GFLOP/s on the
//! 64x64 diagonal blocks against 80 for its matrix product), and its parallel LU was no
//! faster on 2 threads than its sequential one (measured on the benchmark machine).
//! Here the bulk of the work is faer matrix products, which take any strides; the rest
//! is the LU of each narrow panel (copied to column-major and factored by the recursive
//! LU below) and the triangular solves on the diagonal blocks (the kernels below, which
//! run along contiguous rows and are compiled for the CPU's vector width at run time).

use crate::scalar::Float;
use crate::strided::{padded_stride, strided_mut};
use faer::linalg::matmul::matmul;
use faer::reborrow::*;
use faer::traits::pulp::{Arch, Simd, WithSimd};
use faer::{Accum, MatMut, MatRef, Par};
use std::sync::atomic::{AtomicBool, Ordering};
use tessera_core::runtime::scratch;

/// Largest order of the diagonal blocks of the triangular solves (their leaves).
const NB: usize = 64;
/// Width of the LU panels: wider than `NB` because the panel chain (each factored by
/// one thread) is the LU's critical path, and the recursive panel LU does most of a
/// wide panel's work in products. At n = 512 on 2 threads 128 took 1.65 ms against
/// 1.88 ms for 64 (96: 1.82, 256: 2.4); at 1024, 8.8 against 10.1; at 256, equal.
const LU_NB: usize = 128;
/// Columns a diagonal-block kernel handles at once: 64 rows of them fit in L1.
const STRIP: usize = 64;

/// A row of a row-major view as a slice.
#[inline(always)]
fn row<'a, T>(m: MatRef<'a, T>, i: usize) -> &'a [T] {
    m.row(i)
        .try_as_row_major()
        .expect("row-major view")
        .as_slice()
}

/// A row of a row-major view as a mutable slice.
#[inline(always)]
fn row_mut<'a, T>(m: MatMut<'a, T>, i: usize) -> &'a mut [T] {
    m.row_mut(i)
        .try_as_row_major_mut()
        .expect("row-major view")
        .as_slice_mut()
}

/// [`axpy`] on two accumulators with the same `x`.
#[inline(always)]
fn axpy2<T: Float, const N: usize>(a: &mut [T; N], ca: T, c: &mut [T; N], cc: T, x: &[T]) {
    let x: &[T; N] = x.try_into().expect("strip length");
    let (ca, cc) = (-ca, -cc);
    for j in 0..N {
        a[j] = ca.fmadd(x[j], a[j]);
        c[j] = cc.fmadd(x[j], c[j]);
    }
}

/// Runs `$f(rows)` on the rows of the `b x STRIP` view `$x` as slices. When the row
/// stride is a multiple of 1 KiB (an unpadded 512-column f64 matrix, say) the rows of a
/// strip would share a handful of L1 sets, so `$f` then works on a contiguous copy in
/// `$buf`. (A macro, not a function taking a closure: the kernel must be inlined into
/// the caller's target-feature context.)
macro_rules! with_rows {
    ($x:expr, $buf:expr, $f:expr) => {{
        let mut x: MatMut<'_, _> = $x;
        let buf: &mut [_] = $buf;
        let stride = x.row_stride().unsigned_abs() * std::mem::size_of_val(&buf[0]);
        if stride.is_multiple_of(1024) {
            for (i, b) in buf.chunks_exact_mut(STRIP).enumerate() {
                b.copy_from_slice(row(x.rb(), i));
            }
            let mut rows: Vec<&mut [_]> = buf.chunks_exact_mut(STRIP).collect();
            $f(&mut rows);
            for (i, b) in buf.chunks_exact(STRIP).enumerate() {
                row_mut(x.rb_mut(), i).copy_from_slice(b);
            }
        } else {
            let mut rows: Vec<&mut [_]> = x
                .row_iter_mut()
                .map(|r| {
                    r.try_as_row_major_mut()
                        .expect("row-major view")
                        .as_slice_mut()
                })
                .collect();
            $f(&mut rows);
        }
    }};
}

/// `rows <- l^-1 rows` for a strip of `STRIP` columns, `l` unit lower: two rows at a
/// time, so each solved row loaded once serves both.
#[inline(always)]
fn lower_strip<T: Float>(l: MatRef<'_, T>, rows: &mut [&mut [T]]) {
    let b = rows.len();
    let mut i = 1;
    while i < b {
        let two = i + 1 < b;
        let (top, bot) = rows.split_at_mut(i);
        let (ri, rest) = bot.split_first_mut().expect("row");
        let (li, lj) = (row(l, i), row(l, if two { i + 1 } else { i }));
        // Local copies stay in vector registers across the loop.
        let mut a: [T; STRIP] = (&**ri).try_into().expect("strip");
        let mut c: [T; STRIP] = if two {
            (&*rest[0]).try_into().expect("strip")
        } else {
            a
        };
        for (k, xk) in top.iter().enumerate() {
            axpy2(&mut a, li[k], &mut c, lj[k], xk);
        }
        ri.copy_from_slice(&a);
        if two {
            axpy(&mut c, lj[i], &a);
            rest[0].copy_from_slice(&c);
        }
        i += 2;
    }
}

/// `rows <- u^-1 rows` for a strip of `STRIP` columns, `u` upper: rows `i - 1` and `i`
/// together, from the bottom. Multiplies by the reciprocal of the diagonal, as faer's
/// solves do: a division per element would cost as much as the rest of the block.
#[inline(always)]
fn upper_strip<T: Float>(u: MatRef<'_, T>, rows: &mut [&mut [T]]) {
    let mut end = rows.len();
    while end > 0 {
        let two = end >= 2;
        let i = end - 1;
        let h = if two { i - 1 } else { i };
        let (top, bot) = rows.split_at_mut(end);
        let (ui, uh) = (row(u, i), row(u, h));
        let mut a: [T; STRIP] = (&*top[i]).try_into().expect("strip");
        let mut c: [T; STRIP] = (&*top[h]).try_into().expect("strip");
        for (k, xk) in bot.iter().enumerate() {
            axpy2(&mut a, ui[end + k], &mut c, uh[end + k], xk);
        }
        let d = T::ONE / ui[i];
        a.iter_mut().for_each(|x| *x *= d);
        top[i].copy_from_slice(&a);
        if two {
            axpy(&mut c, uh[i], &a);
            let d = T::ONE / uh[h];
            c.iter_mut().for_each(|x| *x *= d);
            top[h].copy_from_slice(&c);
        }
        end = h;
    }
}

/// `acc -= c * x` over a strip (as `acc + (-c) x` with fused multiply-adds); with `N`
/// known the loop is fully unrolled and `acc` stays in vector registers.
#[inline(always)]
fn axpy<T: Float, const N: usize>(acc: &mut [T; N], c: T, x: &[T]) {
    let x: &[T; N] = x.try_into().expect("strip length");
    let c = -c;
    for j in 0..N {
        acc[j] = c.fmadd(x[j], acc[j]);
    }
}

/// `x <- l^-1 x` for the unit lower triangle of the square `l`, `x` row-major.
struct LowerUnit<'a, T> {
    l: MatRef<'a, T>,
    x: MatMut<'a, T>,
}

/// `x <- u^-1 x` for the upper triangle of the square `u`, `x` row-major.
struct Upper<'a, T> {
    u: MatRef<'a, T>,
    x: MatMut<'a, T>,
}

/// Runs `strip_fn::<STRIP>` on full strips of `x`'s columns and `strip_fn::<1>`-style
/// generic code on the rest (through `rest`).
macro_rules! by_strips {
    ($x:expr, $full:expr, $rest:expr) => {{
        let mut x = $x;
        let w = x.ncols();
        let mut j0 = 0;
        while j0 < w {
            let sw = STRIP.min(w - j0);
            let xs = x.rb_mut().subcols_mut(j0, sw);
            if sw == STRIP {
                $full(xs);
            } else {
                $rest(xs);
            }
            j0 += sw;
        }
    }};
}

impl<T: Float> WithSimd for LowerUnit<'_, T> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: Simd>(self, _: S) {
        let l = self.l;
        let b = l.nrows();
        let mut buf = vec![T::ZERO; b * STRIP];
        let mut full = |xs: MatMut<'_, T>| {
            with_rows!(xs, &mut buf, |rows: &mut [&mut [T]]| lower_strip(l, rows))
        };
        let rest = |mut xs: MatMut<'_, T>| {
            for i in 1..b {
                let (top, bot) = xs.rb_mut().split_at_row_mut(i);
                let xi = row_mut(bot, 0);
                for k in 0..i {
                    let c = -l[(i, k)];
                    for (a, &y) in xi.iter_mut().zip(row(top.rb(), k)) {
                        *a = c.fmadd(y, *a);
                    }
                }
            }
        };
        by_strips!(self.x, full, rest);
    }
}

impl<T: Float> WithSimd for Upper<'_, T> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: Simd>(self, _: S) {
        let u = self.u;
        let b = u.nrows();
        let mut buf = vec![T::ZERO; b * STRIP];
        let mut full = |xs: MatMut<'_, T>| {
            with_rows!(xs, &mut buf, |rows: &mut [&mut [T]]| upper_strip(u, rows))
        };
        let rest = |mut xs: MatMut<'_, T>| {
            for i in (0..b).rev() {
                let (top, bot) = xs.rb_mut().split_at_row_mut(i + 1);
                let xi = row_mut(top, i);
                for k in i + 1..b {
                    let c = -u[(i, k)];
                    for (a, &y) in xi.iter_mut().zip(row(bot.rb(), k - i - 1)) {
                        *a = c.fmadd(y, *a);
                    }
                }
                let d = T::ONE / u[(i, i)];
                for a in xi.iter_mut() {
                    *a *= d;
                }
            }
        };
        by_strips!(self.x, full, rest);
    }
}

/// Where a triangular solve of order `n > NB` splits: about half, rounded up to whole
/// `NB` blocks, so the leaves are full diagonal blocks where possible.
fn split(n: usize) -> usize {
    (n / 2).next_multiple_of(NB).min(n - 1)
}

/// `x <- L^-1 x` with `L` the unit lower triangle of the `n x n` `lu`. Rows of `x`
/// above `first` must be zero (they stay zero and are skipped).
///
/// Recursive: solve the top half, subtract its product with the block below the
/// diagonal from the bottom half, solve the bottom half; diagonal blocks of order at
/// most `NB` go to the kernels above. Against `NB`-row blocks from the top (a product
/// with all the rows solved so far, then a diagonal block), most of the flops are in
/// fewer, larger products: a 512 x 256 right-hand side took 0.90 ms against 1.03 on
/// one thread (n = 512).
pub(crate) fn solve_lower_unit<T: Float>(lu: MatRef<'_, T>, x: MatMut<'_, T>, first: usize) {
    let n = lu.nrows();
    let (_, x) = x.split_at_row_mut(first);
    lower_rec(lu.submatrix(first, first, n - first, n - first), x);
}

fn lower_rec<T: Float>(l: MatRef<'_, T>, x: MatMut<'_, T>) {
    let n = l.nrows();
    if n <= NB {
        Arch::new().dispatch(LowerUnit { l, x });
        return;
    }
    let h = split(n);
    let (mut top, mut bot) = x.split_at_row_mut(h);
    lower_rec(l.submatrix(0, 0, h, h), top.rb_mut());
    matmul(
        bot.rb_mut(),
        Accum::Add,
        l.submatrix(h, 0, n - h, h),
        top.rb(),
        -T::ONE,
        Par::Seq,
    );
    lower_rec(l.submatrix(h, h, n - h, n - h), bot);
}

/// `x <- U^-1 x` with `U` the upper triangle of the `n x n` `lu`; recursive as
/// [`solve_lower_unit`], bottom half first.
pub(crate) fn solve_upper<T: Float>(u: MatRef<'_, T>, x: MatMut<'_, T>) {
    let n = u.nrows();
    if n <= NB {
        Arch::new().dispatch(Upper { u, x });
        return;
    }
    let h = split(n);
    let (mut top, mut bot) = x.split_at_row_mut(h);
    solve_upper(u.submatrix(h, h, n - h, n - h), bot.rb_mut());
    matmul(
        top.rb_mut(),
        Accum::Add,
        u.submatrix(0, h, h, n - h),
        bot.rb(),
        -T::ONE,
        Par::Seq,
    );
    solve_upper(u.submatrix(0, 0, h, h), top);
}

/// Splits `m`'s columns into blocks of `w` (the last may be narrower), with the
/// index of each block's first column.
pub(crate) fn col_blocks<T>(mut m: MatMut<'_, T>, w: usize) -> Vec<(usize, MatMut<'_, T>)> {
    let mut out = Vec::new();
    let mut at = 0;
    while m.ncols() > 0 {
        let k = w.max(1).min(m.ncols());
        let (l, r) = m.split_at_col_mut(k);
        out.push((at, l));
        at += k;
        m = r;
    }
    out
}

/// Runs `f` on each block, in parallel on the current rayon pool when `par`.
pub(crate) fn for_blocks<T: Send>(
    blocks: Vec<(usize, MatMut<'_, T>)>,
    par: bool,
    f: impl Fn(usize, MatMut<'_, T>) + Sync + Send,
) {
    if par && blocks.len() > 1 {
        use rayon::prelude::*;
        blocks.into_par_iter().for_each(|(at, m)| f(at, m));
    } else {
        blocks.into_iter().for_each(|(at, m)| f(at, m));
    }
}

/// Unblocked LU (LAPACK's `getf2`, right-looking) of the column-major `m x w` panel
/// `p` (column stride `ld`), `w <= 8`; `piv` relative to the panel's first row.
struct PanelKernel<'a, T> {
    p: &'a mut [T],
    m: usize,
    w: usize,
    ld: usize,
    piv: &'a mut [usize],
}

impl<T: Float> WithSimd for PanelKernel<'_, T> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: Simd>(self, _: S) {
        let PanelKernel { p, m, w, ld, piv } = self;
        let mut cols: Vec<&mut [T]> = p.chunks_mut(ld).take(w).map(|c| &mut c[..m]).collect();
        for j in 0..w {
            let (left, right) = cols.split_at_mut(j + 1);
            let (left, cj) = left.split_at_mut(j);
            let cj = &mut *cj[0];
            let q = pivot(cj, j);
            piv[j] = q;
            if q != j {
                cj.swap(j, q);
                for c in left.iter_mut().chain(right.iter_mut()) {
                    c.swap(j, q);
                }
            }
            let d = cj[j];
            if d != T::ZERO {
                // LAPACK's dgetf2: a reciprocal unless it would overflow.
                if d.fabs() >= T::MIN_POSITIVE {
                    let r = T::ONE / d;
                    cj[j + 1..].iter_mut().for_each(|x| *x *= r);
                } else {
                    cj[j + 1..].iter_mut().for_each(|x| *x /= d);
                }
            }
            let lj = &cj[j + 1..];
            for c in right.iter_mut() {
                let f = -c[j];
                for (x, &l) in c[j + 1..].iter_mut().zip(lj) {
                    *x = f.fmadd(l, *x);
                }
            }
        }
    }
}

/// The pivot row of column `c` at step `j`: the first `i >= j` with the largest
/// `|c[i]|`, as a scan from `j` that keeps the first strictly larger value (NaN never
/// wins, as in LAPACK's idamax after a NaN-free start). The maximum comes from a
/// vectorized pass (16 running maxima), then its first position: the scalar scan with
/// its branch per element was most of the time of the panel kernel.
#[inline(always)]
fn pivot<T: Float>(c: &[T], j: usize) -> usize {
    let m0 = c[j].fabs();
    if m0.partial_cmp(&m0).is_none() {
        return j;
    }
    let rest = &c[j + 1..];
    let mut acc = [m0; 16];
    let mut chunks = rest.chunks_exact(16);
    for ch in &mut chunks {
        for (a, &x) in acc.iter_mut().zip(ch) {
            let v = x.fabs();
            *a = if v > *a { v } else { *a };
        }
    }
    let mut max = m0;
    for &x in acc.iter().chain(chunks.remainder()) {
        let v = x.fabs();
        if v > max {
            max = v;
        }
    }
    if max > m0 {
        j + 1
            + rest
                .iter()
                .position(|x| x.fabs() == max)
                .expect("the maximum is there")
    } else {
        j
    }
}

/// Recursive LU with partial pivoting (Toledo's) of the column-major `m x w` panel
/// `p` (column stride `ld`), `m >= w`: the left half, its swaps and `L11^-1` on the
/// right half, the Schur complement by a product, the right half, its swaps on the
/// left half.
fn panel_lu<T: Float>(p: &mut [T], m: usize, w: usize, ld: usize, piv: &mut [usize]) {
    if w <= 8 {
        Arch::new().dispatch(PanelKernel { p, m, w, ld, piv });
        return;
    }
    let h = (w / 2).next_multiple_of(8).min(w - 1);
    let (pl, pr) = piv.split_at_mut(h);
    panel_lu(p, m, h, ld, pl);
    let (left, right) = p.split_at_mut(h * ld);
    let mut l = MatMut::from_column_major_slice_with_stride_mut(&mut left[..], m, h, ld);
    let rlen = right.len().min((w - h - 1) * ld + m);
    let mut r = MatMut::from_column_major_slice_with_stride_mut(&mut right[..rlen], m, w - h, ld);
    swap_rows(r.rb_mut(), pl, 0);
    let (r1, r2) = r.rb_mut().split_at_row_mut(h);
    let mut r1 = r1;
    faer::linalg::triangular_solve::solve_unit_lower_triangular_in_place(
        l.rb().subrows(0, h),
        r1.rb_mut(),
        Par::Seq,
    );
    matmul(
        r2,
        Accum::Add,
        l.rb().subrows(h, m - h),
        r1.rb(),
        -T::ONE,
        Par::Seq,
    );
    // The lower right part, as its own panel (column stride `ld`).
    let off = h;
    panel_lu(&mut right[off..], m - h, w - h, ld, pr);
    swap_rows(l.rb_mut().subrows_mut(h, m - h), pr, 0);
    pr.iter_mut().for_each(|x| *x += h);
}

/// LU of the row-major `m x b` panel `p` (`m >= b`) in place; `piv[k]` (relative to
/// the panel's first row) is the row swapped with row `k` at step `k`. Factored on a
/// column-major copy: in row-major storage the panel's rows are a page apart, and
/// walking down its columns would miss the TLB on every element.
fn factor_panel<T: Float>(mut p: MatMut<'_, T>, piv: &mut [usize]) {
    let (m, b) = (p.nrows(), p.ncols());
    let mut col = scratch::take(m * b);
    // Eight rows at a time: eight contiguous reads, contiguous writes of eight.
    for i0 in (0..m).step_by(8) {
        let rows: Vec<&[T]> = (i0..(i0 + 8).min(m)).map(|i| row(p.rb(), i)).collect();
        for j in 0..b {
            for (r, x) in rows.iter().zip(&mut col[j * m + i0..]) {
                *x = r[j];
            }
        }
    }
    panel_lu(&mut col, m, b, m, piv);
    for i0 in (0..m).step_by(8) {
        let r = 8.min(m - i0);
        let (_, rest) = p.rb_mut().split_at_row_mut(i0);
        let mut rows: Vec<&mut [T]> = rest
            .subrows_mut(0, r)
            .row_iter_mut()
            .map(|x| {
                x.try_as_row_major_mut()
                    .expect("row-major view")
                    .as_slice_mut()
            })
            .collect();
        for j in 0..b {
            for (r, &x) in rows.iter_mut().zip(&col[j * m + i0..]) {
                r[j] = x;
            }
        }
    }
    scratch::give_back(col);
}

/// Swaps rows `off + i` and `off + piv[i]` of `m`, in order.
fn swap_rows<T>(mut m: MatMut<'_, T>, piv: &[usize], off: usize) {
    for (i, &p) in piv.iter().enumerate() {
        if p != i {
            faer::perm::swap_rows_idx(m.rb_mut(), off + i, off + p);
        }
    }
}

/// Applies the factored panel (`panel` = rows `k..` of the panel's columns) to the
/// columns `c` right of it: its row swaps, `U12 = L11^-1 A12`, `A22 -= L21 U12`.
fn update<T: Float>(mut c: MatMut<'_, T>, panel: MatRef<'_, T>, k: usize, piv: &[usize]) {
    let n = c.nrows();
    let b = panel.ncols();
    swap_rows(c.rb_mut(), piv, k);
    let (top, bot) = c.subrows_mut(k, n - k).split_at_row_mut(b);
    let mut top = top;
    // By blocks of `NB` rows: a 128-row strip would not fit in L1.
    solve_lower_unit(panel.subrows(0, b), top.rb_mut(), 0);
    if bot.nrows() > 0 {
        matmul(
            bot,
            Accum::Add,
            panel.subrows(b, n - k - b),
            top.rb(),
            -T::ONE,
            Par::Seq,
        );
    }
}

/// LU with partial pivoting of the row-major `n x n` `a` in place, in LAPACK's form:
/// unit lower `L` below the diagonal, `U` on and above; `piv[k]` is the row swapped
/// with row `k` at step `k` (0-based). Returns LAPACK's info: `k + 1` for the first
/// exactly zero `U[k, k]`, else 0 (after a zero pivot the factors hold inf/NaN:
/// callers redo such matrices with LAPACK's unblocked algorithm).
///
/// Right-looking by panels of `LU_NB` columns with a look-ahead of one panel: with `par`,
/// one task updates the next panel's columns and factors it while the others update
/// the remaining columns, in blocks the pool's threads share.
pub(crate) fn lu_in_place<T: Float>(mut a: MatMut<'_, T>, piv: &mut [usize], par: bool) -> i32 {
    let n = a.nrows();
    if n == 0 {
        return 0;
    }
    let b0 = LU_NB.min(n);
    with_spinner(par, || {
        factor_panel(a.rb_mut().subcols_mut(0, b0), &mut piv[..b0])
    });
    let threads = rayon::current_num_threads();
    let mut k = 0;
    while k + LU_NB < n {
        let next = k + LU_NB;
        let b2 = LU_NB.min(n - next);
        let (_, rest) = a.rb_mut().split_at_col_mut(k);
        let (panel, rest) = rest.split_at_col_mut(LU_NB);
        let (ahead, others) = rest.split_at_col_mut(b2);
        let panel = panel.rb().subrows(k, n - k);
        let (done, todo) = piv.split_at_mut(next);
        let pk = &done[k..];
        let ahead_done = AtomicBool::new(false);
        let task_ahead = || {
            let _done = SetOnDrop(&ahead_done);
            let mut ahead = ahead;
            update(ahead.rb_mut(), panel, k, pk);
            factor_panel(ahead.subrows_mut(next, n - next), &mut todo[..b2]);
        };
        let width = others.ncols();
        let task_others = || {
            // Blocks of at least LU_NB columns, a few per thread so the look-ahead task's
            // thread can take some once its panel is done.
            let w = width.div_ceil(2 * threads).max(LU_NB);
            for_blocks(col_blocks(others, w), par, |_, c| update(c, panel, k, pk));
            // Then wait for the look-ahead task awake (see `with_spinner`).
            spin_until(&ahead_done);
        };
        if par && width > 0 {
            rayon::join(task_ahead, task_others);
        } else if par {
            with_spinner(par, task_ahead);
        } else {
            task_ahead();
            task_others();
        }
        k = next;
    }
    // Each panel's swaps, on the columns left of it.
    let mut k = LU_NB;
    while k < n {
        let b = LU_NB.min(n - k);
        let (left, _) = a.rb_mut().split_at_col_mut(k);
        swap_rows(left, &piv[k..k + b], k);
        for p in &mut piv[k..k + b] {
            *p += k;
        }
        k += b;
    }
    (0..n)
        .find(|&i| a[(i, i)] == T::ZERO)
        .map_or(0, |i| (i + 1) as i32)
}

/// Sets the flag when dropped, also when unwinding: a thread spinning on it is never
/// left waiting.
struct SetOnDrop<'a>(&'a AtomicBool);

impl Drop for SetOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Release);
    }
}

fn spin_until(flag: &AtomicBool) {
    while !flag.load(Ordering::Acquire) {
        std::hint::spin_loop();
    }
}

/// Runs the sequential `f` while, with `par`, a free thread of the pool spins until it
/// is done. A rayon thread that finds no work goes to sleep within microseconds, and
/// waking it for the next parallel step took about 50 us (on the benchmark machine, at
/// each of the LU's steps); a spinning one starts at once, as OpenMP's threads do
/// (their default is to spin for 200 ms). Used only on the LU's critical path, while
/// the other threads would otherwise idle.
fn with_spinner<R: Send>(par: bool, f: impl FnOnce() -> R + Send) -> R {
    if !par {
        return f();
    }
    let done = AtomicBool::new(false);
    let (r, ()) = rayon::join(
        || {
            let _done = SetOnDrop(&done);
            f()
        },
        || spin_until(&done),
    );
    r
}

/// Solves `A X = B` from [`lu_in_place`]'s factors, into `x` (row-major, `n x m`); `B`
/// is `src`, or `x` itself when `src` is `None`. With `par`, blocks of columns go to
/// the pool's threads.
///
/// Each block is solved in a copy whose rows are gathered in `P`'s order (the row swaps
/// for free) with [`padded_stride`]: an unpadded 512-column right-hand side has rows
/// 4 KiB apart, whose columns share a few L1 sets. The copies in and out cost less
/// than they save (n = m = 512 on 2 threads: about 0.1 ms of 2.2).
pub(crate) fn lu_solve<T: Float>(
    lu: MatRef<'_, T>,
    piv: &[usize],
    src: Option<MatRef<'_, T>>,
    x: MatMut<'_, T>,
    par: bool,
) {
    let (n, m) = (x.nrows(), x.ncols());
    let mut perm: Vec<usize> = (0..n).collect();
    for (i, &p) in piv.iter().enumerate() {
        perm.swap(i, p);
    }
    let threads = if par { rayon::current_num_threads() } else { 1 };
    let w = m.div_ceil(threads).next_multiple_of(8).max(8);
    for_blocks(col_blocks(x, w), par, |at, mut c| {
        let w = c.ncols();
        let ld = padded_stride::<T>(w);
        let mut buf = scratch::take(n * ld);
        let from = src.map_or(c.rb(), |s| s.subcols(at, w));
        for (b, &p) in buf.chunks_exact_mut(ld).zip(&perm) {
            b[..w].copy_from_slice(row(from, p));
        }
        let mut b = strided_mut(&mut buf, n, w, ld);
        solve_lower_unit(lu, b.rb_mut(), 0);
        solve_upper(lu, b);
        for (i, b) in buf.chunks_exact(ld).enumerate() {
            row_mut(c.rb_mut(), i).copy_from_slice(&b[..w]);
        }
        scratch::give_back(buf);
    });
}

/// Writes `A^-1` into `out` from [`lu_in_place`]'s factors, using the scratch `x`
/// (`n x n`, any row stride, any contents): `A^-1 = U^-1 L^-1 P`. `L^-1` is lower triangular, so
/// column block `j` of the identity only needs the rows from `j` down (a third of a
/// full solve); then the upper solve, then the columns are permuted by `P` on the
/// way into `out`. `2 n^3` flops with the LU.
pub(crate) fn lu_inverse<T: Float>(
    lu: MatRef<'_, T>,
    piv: &[usize],
    mut x: MatMut<'_, T>,
    out: MatMut<'_, T>,
    par: bool,
) {
    let n = lu.nrows();
    // Two passes. `L^-1`: column j costs about (n - j)^2 / 2, so blocks narrower than an
    // even split let the threads balance the difference. Then `U^-1` on all of it, each
    // column costing the same, in wider blocks (bigger products). At n = 512 on 2
    // threads, blocks of 64 then 128 took 1.45-1.48 ms against 1.61 for one pass over
    // blocks of 64 (256 for the second pass: 1.52; 64: 1.49).
    let threads = if par { rayon::current_num_threads() } else { 1 };
    let w = n.div_ceil(4 * threads).next_multiple_of(8).max(16);
    for_blocks(col_blocks(x.rb_mut(), w), par, |at, mut c| {
        // The block's columns of the identity, written by the thread that solves them
        // (a 2 MiB fill takes about 0.07 ms on one thread).
        for i in 0..n {
            let r = row_mut(c.rb_mut(), i);
            r.fill(T::ZERO);
            if (at..at + r.len()).contains(&i) {
                r[i - at] = T::ONE;
            }
        }
        solve_lower_unit(lu, c, at)
    });
    let w = n.div_ceil(2 * threads).next_multiple_of(8).max(16);
    for_blocks(col_blocks(x.rb_mut(), w), par, |_, c| solve_upper(lu, c));
    // A^-1 = X P: X's columns swapped in reverse order of the pivots.
    let mut q: Vec<usize> = (0..n).collect();
    for k in (0..n).rev() {
        q.swap(k, piv[k]);
    }
    let identity = q.iter().enumerate().all(|(i, &j)| i == j);
    let copy = |x: MatRef<'_, T>, mut out: MatMut<'_, T>| {
        for i in 0..out.nrows() {
            let (src, dst) = (row(x, i), row_mut(out.rb_mut(), i));
            if identity {
                dst.copy_from_slice(src);
            } else {
                for (o, &j) in dst.iter_mut().zip(&q) {
                    *o = src[j];
                }
            }
        }
    };
    // Half the rows each on 2 threads: a 2 MiB copy takes about 0.13 ms on one.
    if par && n >= 64 {
        let h = n / 2;
        let (o1, o2) = out.split_at_row_mut(h);
        rayon::join(
            || copy(x.rb().subrows(0, h), o1),
            || copy(x.rb().subrows(h, n - h), o2),
        );
    } else {
        copy(x.rb(), out);
    }
}

#[cfg(test)]
mod tests;
