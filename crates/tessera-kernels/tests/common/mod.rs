//! Helpers shared by the integration tests.
#![allow(dead_code)]

use tessera_kernels::*;

/// A deterministic pseudo-random generator (SplitMix64), so tests need no extra crates.
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in [lo, hi).
    pub fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * ((self.next_u64() >> 11) as f64 / (1u64 << 53) as f64)
    }
    /// Any f32 bit pattern.
    pub fn any_f32(&mut self) -> f32 {
        f32::from_bits(self.next_u64() as u32)
    }
    /// Any f64 bit pattern.
    pub fn any_f64(&mut self) -> f64 {
        f64::from_bits(self.next_u64())
    }
}

pub type F32Fn = fn(&[f32], &mut [f32]);
pub type F64Fn = fn(&[f64], &mut [f64]);

/// Every elementwise kernel with its name.
pub const F32_FNS: [(&str, F32Fn); 7] = [
    ("expm1", expm1_f32),
    ("exp", exp_f32),
    ("log1p", log1p_f32),
    ("log", log_f32),
    ("tanh", tanh_f32),
    ("sigmoid", sigmoid_f32),
    ("softplus", softplus_f32),
];
pub const F64_FNS: [(&str, F64Fn); 7] = [
    ("expm1", expm1_f64),
    ("exp", exp_f64),
    ("log1p", log1p_f64),
    ("log", log_f64),
    ("tanh", tanh_f64),
    ("sigmoid", sigmoid_f64),
    ("softplus", softplus_f64),
];

/// f64 references from std (glibc libm, within 1 ULP).
pub fn reference(name: &str, x: f64) -> f64 {
    match name {
        "expm1" => x.exp_m1(),
        "exp" => x.exp(),
        "log1p" => x.ln_1p(),
        "log" => x.ln(),
        "tanh" => x.tanh(),
        "sigmoid" => {
            if x >= 0.0 {
                1.0 / (1.0 + (-x).exp())
            } else {
                x.exp() / (1.0 + x.exp())
            }
        }
        "softplus" => x.max(0.0) + (-x.abs()).exp().ln_1p(),
        _ => unreachable!(),
    }
}

/// Distance in ULPs between two finite f64 of the same sign.
pub fn ulps64(a: f64, b: f64) -> u64 {
    let key = |v: f64| {
        let b = v.to_bits() as i64;
        if b < 0 {
            i64::MIN - b
        } else {
            b
        }
    };
    (key(a) - key(b)).unsigned_abs()
}

/// A row's maximum `m` and the sum of `e^(v - m)` over its other entries, in f64: the
/// reference for softmax (`e^(v - m) / (1 + rest)`), log_softmax (`(v - m) - ln_1p(rest)`)
/// and logsumexp. Taking the maximum's term out keeps the tiny results of peaked rows.
pub fn max_and_rest(row: &[f32]) -> (f64, f64) {
    let m = row.iter().fold(f64::NEG_INFINITY, |a, &b| a.max(b as f64));
    let top = row.iter().position(|&v| v as f64 == m).unwrap();
    let rest: f64 = (row.iter().enumerate())
        .filter(|&(j, _)| j != top)
        .map(|(_, &v)| (v as f64 - m).exp())
        .sum();
    (m, rest)
}

/// A 64-bit linear congruential generator (Knuth's constants), the quantized tests'
/// source of bytes and sizes.
pub struct Lcg(pub u64);

impl Lcg {
    pub fn next(&mut self) -> u32 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) as u32
    }
    pub fn below(&mut self, n: u32) -> u32 {
        self.next() % n
    }
}
