//! Fused, parallel kernels for [`crate::Wishart`]'s `sample` and `log_prob` in the common
//! case: one scale matrix and one `df` (no batch), and no gradient needed. Each works on
//! a block of matrices at a time with scratch allocated once per block, in f64, and
//! rounds once to the tensor's dtype; the general, differentiable tensor path handles
//! everything else.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::Distribution as _;
use rayon::prelude::*;
use tessera_core::{dispatch_float, DType, Element, Generator, Tensor};
use tessera_linalg::Float;

/// Matrices per parallel block (and per random stream) of [`sample`].
const BLOCK: usize = 512;

/// Whether a tensor takes part in a graph that needs its gradient.
fn needs_grad(ts: &[&Tensor]) -> bool {
    tessera_core::autograd::is_grad_enabled() && ts.iter().any(|t| t.requires_grad())
}

/// `l` `[p, p]` as f64, row-major.
fn to_f64(t: &Tensor) -> Vec<f64> {
    t.detach().to_dtype(DType::F64).contiguous().to_vec::<f64>()
}

/// `count` Bartlett draws `X = (L A)(L A)ᵀ`, `A` lower triangular with
/// `A_ii = sqrt(2 Gamma((df - i) / 2))` (a gamma draw that underflows is raised to the
/// dtype's smallest normal, as the tensor path does) and `A_ij ~ N(0, 1)` below the
/// diagonal. Block `b` of [`BLOCK`] matrices draws from a ChaCha8 stream `b` of one seed
/// taken from `g`: the samples depend on the seed only, never on the thread count. Only
/// the lower triangle is computed and mirrored, so every sample is exactly symmetric.
/// `None` (nothing drawn) unless `df` is one number and `scale_tril` one `[p, p]` matrix.
pub(crate) fn sample(
    df: &Tensor,
    scale_tril: &Tensor,
    shape: &[usize],
    g: &mut Generator,
) -> Option<Tensor> {
    if df.numel() != 1 || scale_tril.dim() != 2 || !df.dtype().is_float() {
        return None;
    }
    let p = scale_tril.size(-1);
    let dtype = df.dtype();
    let df = df
        .detach()
        .to_dtype(DType::F64)
        .reshape([1])
        .get::<f64>(&[0]);
    let tiny = match dtype {
        DType::F32 => f32::MIN_POSITIVE as f64,
        _ => f64::MIN_POSITIVE,
    };
    // (df - i) / 2 > 0 for i < p, since df > p - 1 was checked at construction.
    let gammas: Vec<Option<rand_distr::Gamma<f64>>> = (0..p)
        .map(|i| rand_distr::Gamma::new((df - i as f64) / 2.0, 1.0).ok())
        .collect();
    let l = to_f64(scale_tril);
    let count: usize = shape.iter().product();
    let seed = g.next_u64();
    let out_shape = [shape, &[p, p]].concat();
    Some(dispatch_float!(dtype, T => {
        let mut out = vec![T::ZERO; count * p * p];
        out.par_chunks_mut(BLOCK * p * p).enumerate().for_each(|(b, chunk)| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            rng.set_stream(b as u64);
            let (mut a, mut c) = (vec![0.0f64; p * p], vec![0.0f64; p * p]);
            for x in chunk.chunks_exact_mut(p * p) {
                for i in 0..p {
                    let chi2 = match &gammas[i] {
                        Some(d) => 2.0 * d.sample(&mut rng).max(tiny),
                        None => f64::NAN,
                    };
                    a[i * p + i] = chi2.sqrt();
                    for j in 0..i {
                        a[i * p + j] = rand_distr::StandardNormal.sample(&mut rng);
                    }
                }
                // C = L A, both lower triangular: C_ij = Σ_{j<=k<=i} L_ik A_kj
                for i in 0..p {
                    for j in 0..=i {
                        let mut s = 0.0;
                        for k in j..=i {
                            s += l[i * p + k] * a[k * p + j];
                        }
                        c[i * p + j] = s;
                    }
                }
                // X = C Cᵀ: X_ij = Σ_{k<=min(i,j)} C_ik C_jk, mirrored
                for i in 0..p {
                    for j in 0..=i {
                        let mut s = 0.0;
                        for k in 0..=j {
                            s += c[i * p + k] * c[j * p + k];
                        }
                        let v = T::lit(s);
                        x[i * p + j] = v;
                        x[j * p + i] = v;
                    }
                }
            }
        });
        Tensor::from_vec(out, &out_shape)
    }, _ => return None))
}

/// `log_prob` of every `[p, p]` matrix of `value`:
/// `-df (p ln2 / 2 + Σ ln L_ii) - ln Γ_p(df / 2) + (df - p - 1)/2 ln|X| - tr(Σ⁻¹ X) / 2`,
/// with `ln|X|` from a Cholesky factorization of each `X` (in f64). `None` (the caller
/// takes the tensor path, whose `slogdet` gives `ln|det X|` for any matrix) when a
/// gradient is needed, `df` is not one number or `scale_tril` not one matrix, the dtypes
/// differ, or some `X` is not numerically positive definite.
pub(crate) fn log_prob(df: &Tensor, scale_tril: &Tensor, value: &Tensor) -> Option<Tensor> {
    let p = scale_tril.size(-1);
    if needs_grad(&[df, scale_tril, value])
        || df.numel() != 1
        || scale_tril.dim() != 2
        || value.dim() < 2
        || value.size(-1) != p
        || value.size(-2) != p
        || value.dtype() != df.dtype()
        || !df.dtype().is_float()
    {
        return None;
    }
    let nu = df
        .detach()
        .to_dtype(DType::F64)
        .reshape([1])
        .get::<f64>(&[0]);
    let l = to_f64(scale_tril);
    // Σ⁻¹ = L⁻ᵀ L⁻¹, from M = L⁻¹ (forward substitution on the identity's columns)
    let mut m = vec![0.0f64; p * p];
    for col in 0..p {
        for i in 0..p {
            let mut s = if i == col { 1.0 } else { 0.0 };
            for k in 0..i {
                s -= l[i * p + k] * m[k * p + col];
            }
            m[i * p + col] = s / l[i * p + i];
        }
    }
    let prec: Vec<f64> = (0..p * p)
        .map(|ij| (0..p).map(|k| m[k * p + ij / p] * m[k * p + ij % p]).sum())
        .collect();
    let log_diag: f64 = (0..p).map(|i| l[i * p + i].ln()).sum();
    let pf = p as f64;
    let constant = -nu * (pf * std::f64::consts::LN_2 / 2.0 + log_diag)
        - tessera_kernels::special::mvlgamma_scalar(p as u32, nu / 2.0);
    let coef = (nu - pf - 1.0) / 2.0;
    let out_shape = value.shape()[..value.dim() - 2].to_vec();
    let count: usize = out_shape.iter().product();
    let not_pd = std::sync::atomic::AtomicBool::new(false);
    let out = dispatch_float!(value.dtype(), T => {
        let mut out = vec![T::ZERO; count];
        value.with_contiguous(|xs: &[T]| {
            out.par_chunks_mut(BLOCK).enumerate().for_each(|(b, o)| {
                let mut f = vec![0.0f64; p * p];
                for (k, r) in o.iter_mut().enumerate() {
                    let x = &xs[(b * BLOCK + k) * p * p..(b * BLOCK + k + 1) * p * p];
                    let mut trace = 0.0;
                    for (&pij, &xij) in prec.iter().zip(x) {
                        trace += pij * Element::to_f64(xij);
                    }
                    // Cholesky of the lower triangle: ln|X| = 2 Σ ln F_ii
                    let mut logdet = 0.0;
                    for j in 0..p {
                        let mut d = Element::to_f64(x[j * p + j]);
                        for k2 in 0..j {
                            d -= f[j * p + k2] * f[j * p + k2];
                        }
                        if d.is_nan() || d <= 0.0 || d.is_infinite() {
                            not_pd.store(true, std::sync::atomic::Ordering::Relaxed);
                            return;
                        }
                        let djj = d.sqrt();
                        f[j * p + j] = djj;
                        logdet += 2.0 * djj.ln();
                        for i in j + 1..p {
                            let mut s = Element::to_f64(x[i * p + j]);
                            for k2 in 0..j {
                                s -= f[i * p + k2] * f[j * p + k2];
                            }
                            f[i * p + j] = s / djj;
                        }
                    }
                    *r = T::lit(constant + coef * logdet - trace / 2.0);
                }
            });
        });
        Tensor::from_vec(out, &out_shape)
    }, _ => return None);
    (!not_pd.into_inner()).then_some(out)
}
