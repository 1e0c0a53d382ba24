//! Shared pieces: broadcasting of parameters, shape formatting for messages, the few
//! matrix ops the distributions need that core does not have (diagonal, lower mask,
//! batched triangular solve with its backward), and the standard gamma sampler with
//! its implicit reparameterization gradient.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::Distribution as _;
use rayon::prelude::*;
use tessera_core::autograd::{custom_op, sum_to_shape, Saves};
use tessera_core::layout::broadcast_shapes;
use tessera_core::{dispatch_float, DType, Generator, Tensor};
use tessera_linalg::Float;

/// `torch.Size([2, 3])`
pub(crate) fn torch_size(s: &[usize]) -> String {
    let v: Vec<String> = s.iter().map(|d| d.to_string()).collect();
    format!("torch.Size([{}])", v.join(", "))
}

/// `(2, 3)` / `(2,)` / `()`, as a Python tuple prints.
pub(crate) fn tuple(s: &[usize]) -> String {
    match s.len() {
        1 => format!("({},)", s[0]),
        _ => {
            let v: Vec<String> = s.iter().map(|d| d.to_string()).collect();
            format!("({})", v.join(", "))
        }
    }
}

/// The common float dtype of `ts` (f32 unless one is f64).
pub(crate) fn float_dtype(ts: &[&Tensor]) -> DType {
    if ts.iter().any(|t| t.dtype() == DType::F64) {
        DType::F64
    } else {
        DType::F32
    }
}

/// Broadcasts `ts` to one shape and one float dtype (`broadcast_all`).
///
/// # Panics
/// If the shapes do not broadcast (the message names them).
pub(crate) fn broadcast_all(op: &str, ts: &[&Tensor]) -> Vec<Tensor> {
    let dtype = float_dtype(ts);
    let mut shape: Vec<usize> = vec![];
    for t in ts {
        shape = broadcast_shapes(op, &shape, t.shape());
    }
    ts.iter()
        .map(|t| t.to_dtype(dtype).expand(shape.clone()))
        .collect()
}

/// `sample_shape + batch_shape + event_shape`.
pub(crate) fn extended(sample: &[usize], batch: &[usize], event: &[usize]) -> Vec<usize> {
    [sample, batch, event].concat()
}

/// A `[n, m]` tensor of ones on and below the diagonal.
pub(crate) fn tril_mask(n: usize, m: usize, dtype: DType) -> Tensor {
    let v: Vec<f64> = (0..n * m)
        .map(|k| if k % m <= k / m { 1.0 } else { 0.0 })
        .collect();
    Tensor::from_vec(v, &[n, m]).to_dtype(dtype)
}

/// The lower triangle of the last two dims (`torch.tril`), differentiable.
pub(crate) fn tril(x: &Tensor) -> Tensor {
    let (n, m) = (x.size(-2), x.size(-1));
    x * tril_mask(n, m, x.dtype())
}

/// The diagonal of the last two dims (`x.diagonal(dim1=-2, dim2=-1)`), differentiable.
pub(crate) fn diagonal(x: &Tensor) -> Tensor {
    let (n, m) = (x.size(-2), x.size(-1));
    let k = n.min(m);
    let idx = Tensor::from_vec((0..k as i64).map(|i| i * (m as i64 + 1)).collect(), &[k]);
    x.flatten_dims(-2, -1).index_select(-1, &idx)
}

/// `[..., n] -> [..., n, n]` with the vector on the diagonal (`torch.diag_embed`),
/// differentiable.
pub(crate) fn diag_embed(v: &Tensor) -> Tensor {
    let n = v.size(-1);
    v.unsqueeze(-1) * Tensor::eye_dtype(n, n, v.dtype())
}

/// Forward (or, with `trans`, backward with `Lᵀ`) substitution on one vector.
#[inline]
fn solve_one<T: Float>(l: &[T], b: &[T], x: &mut [T], n: usize, trans: bool) {
    if !trans {
        for i in 0..n {
            let mut s = b[i];
            let row = &l[i * n..i * n + i];
            for (j, &lij) in row.iter().enumerate() {
                s -= lij * x[j];
            }
            x[i] = s / l[i * n + i];
        }
    } else {
        for i in (0..n).rev() {
            let mut s = b[i];
            for j in i + 1..n {
                s -= l[j * n + i] * x[j];
            }
            x[i] = s / l[i * n + i];
        }
    }
}

/// `L⁻¹ b` (or `L⁻ᵀ b`) for lower-triangular `l` `[..., n, n]` and `b` `[..., n]` with
/// broadcast batch dims, without a graph.
fn tri_solve_raw(l: &Tensor, b: &Tensor, trans: bool) -> Tensor {
    let n = l.size(-1);
    let lb = &l.shape()[..l.dim() - 2];
    let bb = &b.shape()[..b.dim() - 1];
    let batch = broadcast_shapes("solve_triangular", lb, bb);
    let count: usize = batch.iter().product();
    // The common case (one L for many b): keep L once, read b contiguous.
    let l_single = lb.iter().product::<usize>() == 1;
    let b = b.expand([batch.clone(), vec![n]].concat()).contiguous();
    let l = if l_single {
        l.reshape([n, n]).contiguous()
    } else {
        l.expand([batch.clone(), vec![n, n]].concat()).contiguous()
    };
    let out_shape = [batch, vec![n]].concat();
    dispatch_float!(l.dtype(), T => {
        let lv = l.to_vec::<T>();
        let bv = b.to_vec::<T>();
        let mut xv = vec![T::ZERO; count * n];
        if n > 0 {
            xv.par_chunks_mut(n * 256).enumerate().for_each(|(c, xs)| {
                for (k, x) in xs.chunks_mut(n).enumerate() {
                    let i = c * 256 + k;
                    let li = if l_single { &lv[..] } else { &lv[i * n * n..(i + 1) * n * n] };
                    solve_one(li, &bv[i * n..(i + 1) * n], x, n, trans);
                }
            });
        }
        Tensor::from_vec(xv, &out_shape)
    }, _ => panic!("solve_triangular: expected a float tensor, got {}", l.dtype()))
}

/// `L⁻¹ b` for lower-triangular `l` `[..., n, n]` and vectors `b` `[..., n]`, batch dims
/// broadcast (`torch.linalg.solve_triangular(L, b.unsqueeze(-1), upper=False)`),
/// differentiable in both. Only the lower triangle of `l` is read.
pub(crate) fn solve_lower(l: &Tensor, b: &Tensor) -> Tensor {
    let dtype = float_dtype(&[l, b]);
    let (l, b) = (l.to_dtype(dtype), b.to_dtype(dtype));
    custom_op(
        "solve_triangular",
        &[&l, &b],
        Saves::Both,
        || tri_solve_raw(&l, &b, false),
        |g, x, inputs| {
            let (l, b) = (&inputs[0], &inputs[1]);
            // x = L⁻¹ b: gb = L⁻ᵀ g, gL = -tril(gb xᵀ).
            let gb = solve_lower_t(l, g);
            let gl = tril(&(-(gb.unsqueeze(-1) * x.unsqueeze(-2))));
            vec![
                Some(sum_to_shape(&gl, l.shape())),
                Some(sum_to_shape(&gb, b.shape())),
            ]
        },
    )
}

/// `L⁻ᵀ b`, differentiable (the backward of [`solve_lower`]).
pub(crate) fn solve_lower_t(l: &Tensor, b: &Tensor) -> Tensor {
    custom_op(
        "solve_triangular_t",
        &[l, b],
        Saves::Both,
        || tri_solve_raw(l, b, true),
        |g, x, inputs| {
            let (l, b) = (&inputs[0], &inputs[1]);
            // x = L⁻ᵀ b: gb = L⁻¹ g, gL = -tril(x gbᵀ).
            let gb = solve_lower(l, g);
            let gl = tril(&(-(x.unsqueeze(-1) * gb.unsqueeze(-2))));
            vec![
                Some(sum_to_shape(&gl, l.shape())),
                Some(sum_to_shape(&gb, b.shape())),
            ]
        },
    )
}

/// `a + b · |L⁻¹ (x - μ)|² - c` for every point `x` of `value` (the MVN log density has
/// `a = 0`, `b = -1/2`, `c = ½ n ln 2π + ½ ln det Σ`), fused in one parallel pass; `None`
/// when a gradient is needed, `L` or `μ` is batched, or the shapes or dtypes differ. Points go through the forward substitution
/// a block of [`SOA`] at a time, transposed so that the inner loops run across points
/// (independent, so the compiler vectorizes them) instead of along one point's
/// dependency chain; each point sees exactly the operations of [`solve_one`] in the same
/// order, so the distances are bit for bit those of the point-by-point loop. The
/// scratch is one buffer per parallel task, never one per point.
pub(crate) fn mvn_log_prob_fast(
    l: &Tensor,
    loc: &Tensor,
    value: &Tensor,
    a: f64,
    b: f64,
    c: f64,
) -> Option<Tensor> {
    let n = l.size(-1);
    let needs_grad = tessera_core::autograd::is_grad_enabled()
        && (l.requires_grad() || loc.requires_grad() || value.requires_grad());
    if needs_grad
        || l.dim() != 2
        || loc.dim() != 1
        || value.dim() < 1
        || value.size(-1) != n
        || value.dtype() != l.dtype()
        || loc.dtype() != l.dtype()
    {
        return None;
    }
    let out_shape = value.shape()[..value.dim() - 1].to_vec();
    dispatch_float!(l.dtype(), T => {
        let lv = l.contiguous().to_vec::<T>();
        let mu = loc.contiguous().to_vec::<T>();
        let (a, b, c) = (T::lit(a), T::lit(b), T::lit(c));
        let rows: usize = out_shape.iter().product();
        let mut out = vec![T::ZERO; rows];
        value.with_contiguous(|xs: &[T]| {
            const CHUNK: usize = 4096;
            out.par_chunks_mut(CHUNK).enumerate().for_each(|(ci, o)| {
                // y[i * SOA + k]: coordinate i of point k of the block
                let mut y = vec![T::ZERO; n * SOA];
                for (bi, ob) in o.chunks_mut(SOA).enumerate() {
                    let first = ci * CHUNK + bi * SOA;
                    let m = ob.len();
                    for k in 0..m {
                        let x = &xs[(first + k) * n..(first + k + 1) * n];
                        for i in 0..n {
                            y[i * SOA + k] = x[i] - mu[i];
                        }
                    }
                    for i in 0..n {
                        let (done, rest) = y.split_at_mut(i * SOA);
                        let yi = &mut rest[..m];
                        for (j, &lij) in lv[i * n..i * n + i].iter().enumerate() {
                            let yj = &done[j * SOA..j * SOA + m];
                            for (v, &w) in yi.iter_mut().zip(yj) {
                                *v -= lij * w;
                            }
                        }
                        let lii = lv[i * n + i];
                        for v in yi.iter_mut() {
                            *v /= lii;
                        }
                    }
                    let mut acc = [T::ZERO; SOA];
                    for i in 0..n {
                        for (s, &v) in acc[..m].iter_mut().zip(&y[i * SOA..i * SOA + m]) {
                            *s += v * v;
                        }
                    }
                    for (r, &s) in ob.iter_mut().zip(&acc[..m]) {
                        *r = a + b * s - c;
                    }
                }
            });
        });
        Some(Tensor::from_vec(out, &out_shape))
    }, _ => None)
}

/// Points per block of [`mvn_log_prob_fast`]'s transposed substitution.
const SOA: usize = 64;

/// `L⁻¹ M` for a matrix right-hand side `m` `[..., n, k]`, differentiable.
pub(crate) fn solve_lower_mat(l: &Tensor, m: &Tensor) -> Tensor {
    // columns of M as vectors: [..., k, n]
    solve_lower(&l.unsqueeze(-3), &m.mt()).mt()
}

/// Standard normal samples of `shape` and a float `dtype`, filled in parallel: one seed
/// is drawn from `g`, and block `b` of 2^16 values comes from a ChaCha8 stream seeded
/// with it on stream `b`. The result depends on the seed only, never on the number of
/// threads.
pub(crate) fn randn(shape: &[usize], dtype: DType, g: &mut Generator) -> Tensor {
    const BLOCK: usize = 1 << 16;
    let n: usize = shape.iter().product();
    let seed = g.next_u64();
    fn fill<T: Send + Copy + Default>(
        n: usize,
        seed: u64,
        draw: impl Fn(&mut ChaCha8Rng) -> T + Sync,
    ) -> Vec<T> {
        let mut v = vec![T::default(); n];
        v.par_chunks_mut(BLOCK).enumerate().for_each(|(b, c)| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            rng.set_stream(b as u64);
            for x in c.iter_mut() {
                *x = draw(&mut rng);
            }
        });
        v
    }
    match dtype {
        DType::F32 => Tensor::from_vec(
            fill::<f32>(n, seed, |r| rand_distr::StandardNormal.sample(r)),
            shape,
        ),
        DType::F64 => Tensor::from_vec(
            fill::<f64>(n, seed, |r| rand_distr::StandardNormal.sample(r)),
            shape,
        ),
        d => panic!("randn: expected a float dtype, got {d}"),
    }
}

/// The regularized lower incomplete gamma `P(a, x)` series' pieces: returns
/// `(ln P, ∂ ln P / ∂a, ∂ ln P / ∂x)` for `x` not far in the upper tail.
fn log_p_series(a: f64, x: f64) -> (f64, f64, f64) {
    // P = x^a e^-x / Γ(a+1) · S,  S = Σ tₙ,  tₙ = xⁿ / ((a+1)…(a+n))
    let (mut t, mut s, mut ds_da, mut ds_dx) = (1.0f64, 1.0f64, 0.0f64, 0.0f64);
    let mut h = 0.0f64; // Σ_{k<=n} 1/(a+k)
    for n in 1..10_000 {
        let nf = n as f64;
        t *= x / (a + nf);
        h += 1.0 / (a + nf);
        s += t;
        ds_da -= t * h;
        ds_dx += t * nf / x;
        if t < s * 1e-17 {
            break;
        }
    }
    let lgam = tessera_kernels_lgamma(a + 1.0);
    let logp = a * x.ln() - x - lgam + s.ln();
    let da = x.ln() - tessera_kernels_digamma(a + 1.0) + ds_da / s;
    let dx = a / x - 1.0 + ds_dx / s;
    (logp, da, dx)
}

use tessera_kernels::special::{
    digamma_scalar as tessera_kernels_digamma, lgamma_scalar as tessera_kernels_lgamma,
};

/// `ln Q(a, x)` (upper regularized incomplete gamma) by Lentz's continued fraction,
/// for `x > a + 1`.
fn log_q_cf(a: f64, x: f64) -> f64 {
    let tiny = 1e-300;
    let mut b = x + 1.0 - a;
    let mut c = 1.0 / tiny;
    let mut d = 1.0 / b;
    let mut h = d;
    for i in 1..10_000 {
        let an = -(i as f64) * (i as f64 - a);
        b += 2.0;
        d = an * d + b;
        if d.abs() < tiny {
            d = tiny;
        }
        c = b + an / c;
        if c.abs() < tiny {
            c = tiny;
        }
        d = 1.0 / d;
        let del = d * c;
        h *= del;
        if (del - 1.0).abs() < 1e-16 {
            break;
        }
    }
    -x + a * x.ln() - tessera_kernels_lgamma(a) + h.ln()
}

/// `dx/da` for a standard gamma sample `x ~ Gamma(a, 1)`, by the implicit function
/// theorem on its CDF: `-(∂P/∂a) / (∂P/∂x)`, computed in log space (PyTorch's
/// `_standard_gamma_grad` uses approximations; this is the exact derivative to about
/// 1e-9 relative).
pub(crate) fn standard_gamma_grad(a: f64, x: f64) -> f64 {
    if x.is_nan() || x <= 0.0 || !x.is_finite() {
        return 0.0;
    }
    if x <= a + 1.0 || x < 20.0 {
        let (_, da, dx) = log_p_series(a, x);
        -da / dx
    } else {
        // Upper tail: ∂Q/∂a by a central difference of ln Q; ∂Q/∂x = -pdf.
        let h = 1e-5 * a.max(1.0);
        let dlq_da = (log_q_cf(a + h, x) - log_q_cf(a - h, x)) / (2.0 * h);
        let log_pdf = (a - 1.0) * x.ln() - x - tessera_kernels_lgamma(a);
        let lq = log_q_cf(a, x);
        // dx/da = (∂Q/∂a) / pdf = Q dlnQ/da / pdf
        dlq_da * (lq - log_pdf).exp()
    }
}

/// The regularized lower incomplete gamma `P(a, x)` and `∂P/∂a`, in f64.
fn gammainc_scalar(a: f64, x: f64) -> (f64, f64) {
    if x.is_nan() || a.is_nan() {
        return (f64::NAN, f64::NAN);
    }
    if x <= 0.0 {
        return (0.0, 0.0);
    }
    if x == f64::INFINITY {
        return (1.0, 0.0);
    }
    if x <= a + 1.0 || x < 20.0 {
        let (lp, da, _) = log_p_series(a, x);
        let p = lp.exp();
        (p, p * da)
    } else {
        let lq = log_q_cf(a, x);
        let h = 1e-5 * a.max(1.0);
        let dlq = (log_q_cf(a + h, x) - log_q_cf(a - h, x)) / (2.0 * h);
        let q = lq.exp();
        (1.0 - q, -q * dlq)
    }
}

/// `P(a, x)` elementwise (`torch.special.gammainc`) for broadcast `a` and `x`,
/// differentiable in both: `∂P/∂x` is the gamma density, `∂P/∂a` comes from the series
/// (or a central difference of the continued fraction's `ln Q` in the upper tail).
pub(crate) fn gammainc(a: &Tensor, x: &Tensor) -> Tensor {
    let p = broadcast_all("gammainc", &[a, x]);
    let (a, x) = (p[0].clone(), p[1].clone());
    let eval = |a: &Tensor, x: &Tensor, deriv: bool| {
        let av = a.to_dtype(DType::F64).contiguous().to_vec::<f64>();
        let xv = x.to_dtype(DType::F64).contiguous().to_vec::<f64>();
        let v: Vec<f64> = av
            .iter()
            .zip(&xv)
            .map(|(&a, &x)| {
                let (p, dp) = gammainc_scalar(a, x);
                if deriv {
                    dp
                } else {
                    p
                }
            })
            .collect();
        Tensor::from_vec(v, a.shape()).to_dtype(a.dtype())
    };
    custom_op(
        "gammainc",
        &[&a, &x],
        Saves::Inputs,
        || eval(&a, &x, false),
        move |g, _, inputs| {
            let (a, x) = (&inputs[0], &inputs[1]);
            let da = eval(a, x, true);
            let pdf = ((a - 1.0).xlogy(x) - x - a.lgamma()).exp();
            vec![Some(g * da), Some(g * pdf)]
        },
    )
}

/// Standard gamma samples `Gamma(alpha, 1)` for every element of `alpha` (any shape),
/// drawn from `g` (rand_distr's Marsaglia-Tsang sampler on a stream seeded from `g`).
/// Values that underflow are raised to the smallest positive normal, so samples are
/// always positive (the exact law puts mass far below f64's range when `alpha` is tiny).
fn standard_gamma_raw(alpha: &Tensor, g: &mut Generator) -> Tensor {
    let a = alpha.to_dtype(DType::F64).contiguous().to_vec::<f64>();
    let mut rng = ChaCha8Rng::seed_from_u64(g.next_u64());
    let tiny = match alpha.dtype() {
        DType::F32 => f32::MIN_POSITIVE as f64,
        _ => f64::MIN_POSITIVE,
    };
    let v: Vec<f64> = a
        .iter()
        .map(|&a| match rand_distr::Gamma::new(a, 1.0) {
            Ok(d) => d.sample(&mut rng).max(tiny),
            Err(_) => f64::NAN,
        })
        .collect();
    Tensor::from_vec(v, alpha.shape()).to_dtype(alpha.dtype())
}

/// Reparameterized standard gamma samples: the gradient w.r.t. `alpha` is the
/// implicit one, [`standard_gamma_grad`] (`torch._standard_gamma` with its backward).
pub(crate) fn standard_gamma(alpha: &Tensor, g: &mut Generator) -> Tensor {
    let alpha = alpha.contiguous();
    custom_op(
        "standard_gamma",
        &[&alpha],
        Saves::Both,
        || standard_gamma_raw(&alpha, g),
        |grad, x, inputs| {
            let a = inputs[0].to_dtype(DType::F64).to_vec::<f64>();
            let xv = x.to_dtype(DType::F64).contiguous().to_vec::<f64>();
            let d: Vec<f64> = a
                .iter()
                .zip(&xv)
                .map(|(&a, &x)| standard_gamma_grad(a, x))
                .collect();
            let d = Tensor::from_vec(d, x.shape()).to_dtype(x.dtype());
            vec![Some(grad * d)]
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use tessera_core::tensor;

    #[test]
    fn solve_and_grad() {
        let l = tensor!([[2.0, 0.0], [1.0, 3.0]], dtype = DType::F64);
        let b = tensor!([[2.0, 7.0], [4.0, 1.0]], dtype = DType::F64);
        let x = solve_lower(&l, &b);
        assert_eq!(x.to_vec::<f64>(), vec![1.0, 2.0, 2.0, -1.0 / 3.0]);
        let xt = solve_lower_t(&l, &b);
        // [2 1; 0 3] x = b
        let v = xt.to_vec::<f64>();
        assert!((v[1] - 7.0 / 3.0).abs() < 1e-15 && (v[0] - (2.0 - 7.0 / 3.0) / 2.0).abs() < 1e-15);
        l.requires_grad_(true);
        b.requires_grad_(true);
        let o = Default::default();
        tessera_core::autograd::gradcheck(
            |v| solve_lower(&v[0], &v[1]),
            &[l.clone(), b.clone()],
            o,
        )
        .unwrap();
        tessera_core::autograd::gradcheck(|v| solve_lower_t(&v[0], &v[1]), &[l, b], o).unwrap();
    }

    #[test]
    fn gamma_grad_matches_finite_difference_of_quantile() {
        // x(a) at fixed CDF level u: compare dx/da to a difference of x(a±h) found by
        // bisection on P(a, x) = u.
        for &(a, x) in &[(0.3, 0.05), (2.0, 1.5), (5.0, 12.0), (50.0, 80.0)] {
            let (lp, _, _) = if x <= a + 1.0 || x < 20.0 {
                log_p_series(a, x)
            } else {
                ((1.0 - log_q_cf(a, x).exp()).ln(), 0.0, 0.0)
            };
            let quantile = |a: f64| {
                let (mut lo, mut hi) = (x * 1e-3, x * 1e3);
                for _ in 0..300 {
                    let mid = (lo * hi).sqrt();
                    let l = if mid <= a + 1.0 || mid < 20.0 {
                        log_p_series(a, mid).0
                    } else {
                        (1.0 - log_q_cf(a, mid).exp()).ln()
                    };
                    if l < lp {
                        lo = mid
                    } else {
                        hi = mid
                    }
                }
                (lo * hi).sqrt()
            };
            let h = 1e-6 * a;
            let fd = (quantile(a + h) - quantile(a - h)) / (2.0 * h);
            let an = standard_gamma_grad(a, x);
            assert!(((an - fd) / fd).abs() < 1e-4, "a={a} x={x}: {an} vs {fd}");
        }
        // Far in the lower tail P ≈ x^a / Γ(a + 1), so x = (u Γ(a+1))^(1/a) and
        // dx/da = x (ψ(a + 1) - ln x) / a.
        let (a, x) = (1e-3f64, 1e-200f64);
        let want = x * (tessera_kernels_digamma(a + 1.0) - x.ln()) / a;
        let got = standard_gamma_grad(a, x);
        assert!(((got - want) / want).abs() < 1e-6, "{got} vs {want}");
    }
}
