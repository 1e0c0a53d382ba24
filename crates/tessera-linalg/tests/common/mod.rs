//! Helpers shared by the integration tests: a deterministic RNG, dense products and
//! norms on row-major `Vec<f64>`s.
#![allow(dead_code)]

use tessera_core::{DType, Tensor};

/// xorshift64*: deterministic, no dependency.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    /// Uniform in [-1, 1).
    pub fn uniform(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let x = self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11;
        (x as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
    }
    pub fn vec(&mut self, len: usize) -> Vec<f64> {
        (0..len).map(|_| self.uniform()).collect()
    }
}

/// `c = a b` for `n x k` times `k x m` row-major.
pub fn matmul(a: &[f64], b: &[f64], n: usize, k: usize, m: usize) -> Vec<f64> {
    let mut c = vec![0.0; n * m];
    for i in 0..n {
        for l in 0..k {
            let x = a[i * k + l];
            for j in 0..m {
                c[i * m + j] += x * b[l * m + j];
            }
        }
    }
    c
}

pub fn eye(n: usize) -> Vec<f64> {
    let mut v = vec![0.0; n * n];
    for i in 0..n {
        v[i * n + i] = 1.0;
    }
    v
}

pub fn transpose(a: &[f64], r: usize, c: usize) -> Vec<f64> {
    let mut t = vec![0.0; r * c];
    for i in 0..r {
        for j in 0..c {
            t[j * r + i] = a[i * c + j];
        }
    }
    t
}

pub fn fro(a: &[f64]) -> f64 {
    a.iter().map(|x| x * x).sum::<f64>().sqrt()
}

pub fn fro_diff(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y) * (x - y))
        .sum::<f64>()
        .sqrt()
}

/// A random `n x n` orthogonal matrix: a Householder reflection `I - 2 v v^T / v^T v`.
pub fn householder(rng: &mut Rng, n: usize) -> Vec<f64> {
    let v = rng.vec(n);
    let vv: f64 = v.iter().map(|x| x * x).sum();
    let mut h = eye(n);
    for i in 0..n {
        for j in 0..n {
            h[i * n + j] -= 2.0 * v[i] * v[j] / vv;
        }
    }
    h
}

/// A random `r x c` matrix with the singular values `sigma` (`min(r, c)` of them):
/// `U [diag(sigma) 0] V` with random orthogonal `U`, `V`.
pub fn with_singular_values(rng: &mut Rng, r: usize, c: usize, sigma: &[f64]) -> Vec<f64> {
    assert_eq!(sigma.len(), r.min(c));
    let mut d = vec![0.0; r * c];
    for (i, &s) in sigma.iter().enumerate() {
        d[i * c + i] = s;
    }
    let u = householder(rng, r);
    let v = householder(rng, c);
    matmul(&matmul(&u, &d, r, r, c), &v, r, c, c)
}

/// A random `n x n` matrix with condition number `cond` (2-norm): singular values
/// from 1 down to `1 / cond`, evenly spaced in log.
pub fn with_cond(rng: &mut Rng, n: usize, cond: f64) -> Vec<f64> {
    let sigma: Vec<f64> = (0..n)
        .map(|i| {
            let t = if n == 1 {
                0.0
            } else {
                i as f64 / (n - 1) as f64
            };
            cond.powf(-t)
        })
        .collect();
    with_singular_values(rng, n, n, &sigma)
}

pub fn t64(v: Vec<f64>, shape: &[usize]) -> Tensor {
    Tensor::from_vec(v, shape)
}

/// The values of a float tensor widened to f64.
pub fn vals(t: &Tensor) -> Vec<f64> {
    t.to_dtype(DType::F64).to_vec::<f64>()
}
