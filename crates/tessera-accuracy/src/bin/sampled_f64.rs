//! f64 accuracy of tessera-kernels against MPFR (160 bits) on sampled inputs: log-uniform
//! magnitudes over each domain, uniform ranges, points near `(k ± 1/2) ln2` (where the
//! exp reduction switches k) and near `k ln2`, and the thresholds (overflow, saturation,
//! subnormal results, tiny inputs). Every available backend is scored on the same inputs.
//!
//! ```text
//! sampled_f64 [--n PER_FUNCTION] [--funcs expm1,...] [--backends scalar,v3,v4] [--max-abs A] [--check]
//! ```

use rayon::prelude::*;
use std::time::Instant;
use tessera_accuracy::*;
use tessera_kernels::{available_backends, with_backend, Backend};

/// SplitMix64.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }
    /// `±2^u` with `u` uniform in [lo, hi].
    fn log_uniform(&mut self, lo: f64, hi: f64, signed: bool) -> f64 {
        let v = self.uniform(lo, hi).exp2();
        if signed && self.next() & 1 == 1 {
            -v
        } else {
            v
        }
    }
    /// `v` moved by a few ULP.
    fn jitter(&mut self, v: f64) -> f64 {
        let d = (self.next() % 64) as i64 - 32;
        f64::from_bits((v.to_bits() as i64 + d) as u64)
    }
}

/// One input for `f`, category chosen by `i`.
fn input(f: Func, rng: &mut Rng, i: u64) -> f64 {
    let ln2 = std::f64::consts::LN_2;
    let near_half_ln2 = |rng: &mut Rng, kmin: i64, kmax: i64| {
        let k = kmin + (rng.next() % (kmax - kmin + 1) as u64) as i64;
        let h = if rng.next() & 1 == 0 { 0.5 } else { 0.0 };
        rng.jitter((k as f64 + h) * ln2)
    };
    let pick = rng.next() as usize;
    match (f, i % 4) {
        (Func::Expm1, 0) => rng.log_uniform(-60.0, 9.47, true).clamp(-745.0, 709.78),
        (Func::Expm1, 1) => rng.uniform(-2.0, 2.0),
        (Func::Expm1, 2) => near_half_ln2(rng, -60, 1023),
        (Func::Expm1, _) => rng.jitter(
            [
                709.782712893384,
                -37.42994775023705,
                2f64.powi(-54),
                0.5 * ln2,
            ][pick % 4],
        ),
        (Func::Exp, 0) => rng.log_uniform(-60.0, 9.54, true).clamp(-746.0, 709.78),
        (Func::Exp, 1) => rng.uniform(-745.2, -707.0),
        (Func::Exp, 2) => near_half_ln2(rng, -1075, 1023),
        (Func::Exp, _) => {
            rng.jitter([709.782712893384, -745.1332191019411, -708.3964185322641][pick % 3])
        }
        (Func::Log, 0) => f64::from_bits(rng.next() >> 1).max(f64::from_bits(1)),
        (Func::Log, 1) => 1.0 + rng.log_uniform(-60.0, -1.0, true),
        (Func::Log, 2) => rng.uniform(0.5, 2.0),
        (Func::Log, _) => f64::from_bits(rng.next() % (1u64 << 52)).max(f64::from_bits(1)),
        (Func::Log1p, 0) => rng.log_uniform(-60.0, 0.0, true).max(-0.999_999),
        (Func::Log1p, 1) => rng.log_uniform(0.0, 1020.0, false),
        (Func::Log1p, 2) => -1.0 + rng.log_uniform(-52.0, -1.0, false),
        (Func::Log1p, _) => rng.uniform(-0.5, 1.0),
        (Func::Tanh, 0) => rng.log_uniform(-60.0, 4.4, true),
        (Func::Tanh, 1) => rng.uniform(-3.0, 3.0),
        (Func::Tanh, 2) => rng.uniform(-0.6, 0.6),
        (Func::Tanh, _) => rng.uniform(-20.0, 20.0),
        (Func::Sigmoid | Func::Softplus, 0) => rng.log_uniform(-60.0, 9.54, true),
        (Func::Sigmoid | Func::Softplus, 1) => rng.uniform(-40.0, 40.0),
        (Func::Sigmoid | Func::Softplus, 2) => rng.uniform(-745.0, -680.0),
        (Func::Sigmoid | Func::Softplus, _) => rng.uniform(-3.0, 3.0),
    }
}

fn main() {
    let mut n: u64 = 1_000_000;
    let mut funcs = Func::ALL.to_vec();
    let mut backends = available_backends();
    let mut check = false;
    // Only inputs with |x| <= max_abs count (to score one path of a kernel, such as exp's
    // table-driven one for |x| <= 708).
    let mut max_abs = f64::INFINITY;
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut val = || it.next().unwrap_or_else(|| panic!("{arg} needs a value"));
        match arg.as_str() {
            "--n" => n = val().parse().expect("--n N"),
            "--funcs" => {
                funcs = val()
                    .split(',')
                    .map(|s| Func::parse(s).unwrap_or_else(|| panic!("unknown function {s}")))
                    .collect()
            }
            "--backends" => {
                backends = val()
                    .split(',')
                    .map(|s| Backend::parse(s).unwrap_or_else(|| panic!("unknown backend {s}")))
                    .collect()
            }
            "--check" => check = true,
            "--max-abs" => max_abs = val().parse().expect("--max-abs A"),
            other => panic!("unknown argument {other}"),
        }
    }
    let mut all_ok = true;
    const CHUNK: u64 = 4096;
    for f in funcs {
        let t0 = Instant::now();
        let kernel = f.kernel_f64();
        let nb = backends.len();
        let stats = (0..n.div_ceil(CHUNK))
            .into_par_iter()
            .map(|c| {
                let mut rng = Rng(0xacc0_0000 ^ (c << 20) ^ f as u64);
                let len = CHUNK.min(n - c * CHUNK);
                let x: Vec<f64> = (0..len).map(|i| input(f, &mut rng, i)).collect();
                let exact: Vec<_> = x.iter().map(|&v| f.mpfr(v)).collect();
                let mut y = vec![0.0; x.len()];
                backends
                    .iter()
                    .map(|&b| {
                        with_backend(b, || kernel(&x, &mut y));
                        let mut st = Stats::default();
                        for ((&xi, yi), e) in x.iter().zip(&y).zip(&exact) {
                            if xi.abs() > max_abs {
                                continue;
                            }
                            st.add(xi.to_bits(), ulp_err_f64(*yi, e), false);
                        }
                        st
                    })
                    .collect::<Vec<_>>()
            })
            .reduce(
                || vec![Stats::default(); nb],
                |p, q| p.into_iter().zip(q).map(|(s, t)| s.merge(t)).collect(),
            );
        for (b, st) in backends.iter().zip(&stats) {
            let ok = st.max_ulp <= f.target_f64();
            all_ok &= ok;
            println!(
                "f64 {:<8} {:<8} inputs={:<9} max_ulp={:.6} worst_x={:e} {:.1}s target=<={}ulp {}",
                f.name(),
                format!("{b:?}"),
                st.tested,
                st.max_ulp,
                f64::from_bits(st.worst),
                t0.elapsed().as_secs_f64(),
                f.target_f64(),
                if ok { "OK" } else { "FAIL" }
            );
        }
    }
    if check && !all_ok {
        std::process::exit(1);
    }
}
