//! Accuracy measurement for `tessera-kernels`: references (glibc libm screened, MPFR when
//! it matters), ULP errors, and statistics. The binaries `exhaustive` (every f32 input) and
//! `sampled_f64` (MPFR at 160 bits on chosen f64 inputs) print the tables in ACCURACY.md.

use rug::float::Round;
use rug::Float;

/// Precision of the MPFR references, in bits.
pub const MPFR_PREC: u32 = 160;

/// The elementwise functions of `tessera-kernels`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Func {
    /// e^x - 1
    Expm1,
    /// e^x
    Exp,
    /// ln(1 + x)
    Log1p,
    /// ln(x)
    Log,
    /// tanh(x)
    Tanh,
    /// 1 / (1 + e^-x)
    Sigmoid,
    /// ln(1 + e^x)
    Softplus,
}

/// What a function promises.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Target {
    /// Every result correctly rounded.
    CorrectlyRounded,
    /// At most this many ULP.
    MaxUlp(f64),
}

impl Func {
    /// All functions, in table order.
    pub const ALL: [Func; 7] = [
        Func::Expm1,
        Func::Exp,
        Func::Log1p,
        Func::Log,
        Func::Tanh,
        Func::Sigmoid,
        Func::Softplus,
    ];

    /// The kernel's name.
    pub fn name(self) -> &'static str {
        match self {
            Func::Expm1 => "expm1",
            Func::Exp => "exp",
            Func::Log1p => "log1p",
            Func::Log => "log",
            Func::Tanh => "tanh",
            Func::Sigmoid => "sigmoid",
            Func::Softplus => "softplus",
        }
    }

    /// Parses a name.
    pub fn parse(name: &str) -> Option<Func> {
        Func::ALL.into_iter().find(|f| f.name() == name)
    }

    /// The f32 kernel.
    pub fn kernel_f32(self) -> fn(&[f32], &mut [f32]) {
        use tessera_kernels::*;
        match self {
            Func::Expm1 => expm1_f32,
            Func::Exp => exp_f32,
            Func::Log1p => log1p_f32,
            Func::Log => log_f32,
            Func::Tanh => tanh_f32,
            Func::Sigmoid => sigmoid_f32,
            Func::Softplus => softplus_f32,
        }
    }

    /// The f32 kernel of the `High` grade (`tessera_kernels::high`).
    pub fn kernel_f32_high(self) -> fn(&[f32], &mut [f32]) {
        use tessera_kernels::high::*;
        match self {
            Func::Expm1 => expm1_f32,
            Func::Exp => exp_f32,
            Func::Log1p => log1p_f32,
            Func::Log => log_f32,
            Func::Tanh => tanh_f32,
            Func::Sigmoid => sigmoid_f32,
            Func::Softplus => softplus_f32,
        }
    }

    /// The f64 kernel.
    pub fn kernel_f64(self) -> fn(&[f64], &mut [f64]) {
        use tessera_kernels::*;
        match self {
            Func::Expm1 => expm1_f64,
            Func::Exp => exp_f64,
            Func::Log1p => log1p_f64,
            Func::Log => log_f64,
            Func::Tanh => tanh_f64,
            Func::Sigmoid => sigmoid_f64,
            Func::Softplus => softplus_f64,
        }
    }

    /// The documented bound for f32.
    pub fn target_f32(self) -> Target {
        match self {
            Func::Sigmoid | Func::Softplus => Target::MaxUlp(1.0),
            _ => Target::CorrectlyRounded,
        }
    }

    /// The documented bound for f64, in ULP.
    pub fn target_f64(self) -> f64 {
        match self {
            Func::Tanh | Func::Sigmoid | Func::Softplus => 2.0,
            _ => 1.0,
        }
    }

    /// An f64 reference (glibc libm), and a bound on its relative error.
    pub fn ref_f64(self, x: f64) -> (f64, f64) {
        const LIBM: f64 = 1.0 / (1u64 << 50) as f64;
        const COMPOSED: f64 = 1.0 / (1u64 << 47) as f64;
        match self {
            Func::Expm1 => (x.exp_m1(), LIBM),
            Func::Exp => (x.exp(), LIBM),
            Func::Log1p => (x.ln_1p(), LIBM),
            Func::Log => (x.ln(), LIBM),
            Func::Tanh => (x.tanh(), LIBM),
            Func::Sigmoid => {
                let z = (-x.abs()).exp();
                let r = if x >= 0.0 {
                    1.0 / (1.0 + z)
                } else {
                    z / (1.0 + z)
                };
                (if x.is_nan() { x } else { r }, COMPOSED)
            }
            Func::Softplus => {
                let r = x.max(0.0) + (-x.abs()).exp().ln_1p();
                (if x.is_nan() { x } else { r }, COMPOSED)
            }
        }
    }

    /// The exact value at [`MPFR_PREC`] bits (for finite `x` in the domain).
    pub fn mpfr(self, x: f64) -> Float {
        let p = MPFR_PREC;
        let v = Float::with_val(p, x);
        match self {
            Func::Expm1 => v.exp_m1(),
            Func::Exp => v.exp(),
            Func::Log1p => v.ln_1p(),
            Func::Log => v.ln(),
            Func::Tanh => v.tanh(),
            Func::Sigmoid => {
                // 1 / (1 + e^-x)
                let e = Float::with_val(p, -&v).exp();
                Float::with_val(p, e + 1u32).recip()
            }
            Func::Softplus => {
                if x > 0.0 {
                    let e = Float::with_val(p, -&v).exp().ln_1p();
                    Float::with_val(p, e + &v)
                } else {
                    v.exp().ln_1p()
                }
            }
        }
    }
}

/// The correctly rounded f32 result: the libm reference when its error interval rounds to a
/// single f32, MPFR otherwise. Returns `(result, reference as f64)`.
pub fn correct_f32(f: Func, x: f32) -> (f32, f64) {
    let (r, rel) = f.ref_f64(x as f64);
    if !r.is_finite() || r == 0.0 {
        return (r as f32, r);
    }
    let lo = (r - r.abs() * rel) as f32;
    let hi = (r + r.abs() * rel) as f32;
    if lo.to_bits() == hi.to_bits() {
        return (lo, r);
    }
    let exact = f.mpfr(x as f64);
    (exact.to_f32(), exact.to_f64())
}

/// One ULP of f32 at the magnitude of `v` (subnormal spacing below 2^-126).
pub fn ulp_f32(v: f64) -> f64 {
    let e = ((v.abs().to_bits() >> 52) as i64 - 1023).max(-126);
    f64::from_bits(((e - 23 + 1023) as u64) << 52)
}

/// One ULP of f64 at the magnitude of `v` (rounded toward zero first).
pub fn ulp_f64(v: &Float) -> f64 {
    let a = v.to_f64_round(Round::Zero).abs();
    if a < f64::MIN_POSITIVE {
        return f64::from_bits(1);
    }
    let e = (a.to_bits() >> 52) as i64 - 1023 - 52;
    if e >= -1022 {
        f64::from_bits(((e + 1023) as u64) << 52)
    } else {
        f64::from_bits(1u64 << (e + 1074))
    }
}

/// Error of an f64 result in ULP of the exact value.
pub fn ulp_err_f64(y: f64, exact: &Float) -> f64 {
    let ex = exact.to_f64();
    if y.is_nan() || ex.is_nan() {
        return if y.is_nan() && ex.is_nan() {
            0.0
        } else {
            f64::INFINITY
        };
    }
    if y.is_infinite() || ex.is_infinite() {
        return if y == ex { 0.0 } else { f64::INFINITY };
    }
    let d = Float::with_val(2 * MPFR_PREC, y - exact);
    // Divide in MPFR: d itself may be below the smallest subnormal.
    Float::with_val(2 * MPFR_PREC, d / ulp_f64(exact))
        .to_f64()
        .abs()
}

/// Accumulated results of one measurement.
#[derive(Clone, Copy, Debug, Default)]
pub struct Stats {
    /// Inputs tested.
    pub tested: u64,
    /// Results that differ (in bits, NaN aside) from the correctly rounded one.
    pub misrounded: u64,
    /// Largest error in ULP.
    pub max_ulp: f64,
    /// Input (bits) with the largest error.
    pub worst: u64,
    /// Results whose kind differs from the correctly rounded one's: NaN, +inf, -inf, +0,
    /// -0, or finite and nonzero (a special value, a sign of zero, an overflow or underflow
    /// threshold missed).
    pub special_mismatch: u64,
}

impl Stats {
    /// Adds one result.
    pub fn add(&mut self, x_bits: u64, ulp: f64, misrounded: bool) {
        self.tested += 1;
        self.misrounded += misrounded as u64;
        // A NaN error (a bug in the measurement or the kernel) counts as the worst.
        let ulp = if ulp.is_nan() { f64::INFINITY } else { ulp };
        if ulp > self.max_ulp {
            self.max_ulp = ulp;
            self.worst = x_bits;
        }
    }

    /// Combines two measurements.
    pub fn merge(mut self, o: Stats) -> Stats {
        self.tested += o.tested;
        self.misrounded += o.misrounded;
        self.special_mismatch += o.special_mismatch;
        if o.max_ulp > self.max_ulp {
            self.max_ulp = o.max_ulp;
            self.worst = o.worst;
        }
        self
    }
}

/// The correctly rounded results (and f64 references) for inputs `x`.
pub fn correct_all_f32(f: Func, x: &[f32]) -> Vec<(f32, f64)> {
    x.iter().map(|&xi| correct_f32(f, xi)).collect()
}

/// Scores f32 results `y` on inputs `x` against `refs` from [`correct_all_f32`].
pub fn score_f32(x: &[f32], refs: &[(f32, f64)], y: &[f32]) -> Stats {
    let mut st = Stats::default();
    for ((&xi, &(c, r)), &yi) in x.iter().zip(refs).zip(y) {
        let ok = c.to_bits() == yi.to_bits() || (c.is_nan() && yi.is_nan());
        let ulp = if r.is_finite() && yi.is_finite() {
            (yi as f64 - r).abs() / ulp_f32(r)
        } else if ok {
            0.0
        } else {
            f64::INFINITY
        };
        if !ok && st.misrounded < 8 {
            eprintln!(
                "misrounded: x={xi:e} ({:#010x}) got {yi:e} ({:#010x}) want {c:e} ({:#010x})",
                xi.to_bits(),
                yi.to_bits(),
                c.to_bits()
            );
        }
        if kind(c) != kind(yi) {
            if st.special_mismatch < 8 {
                eprintln!(
                    "special value differs: x={xi:e} ({:#010x}) got {yi:e} want {c:e}",
                    xi.to_bits()
                );
            }
            st.special_mismatch += 1;
        }
        st.add(xi.to_bits() as u64, ulp, !ok);
    }
    st
}

/// The kind of an f32 result: NaN, +inf, -inf, +0, -0, or finite and nonzero.
fn kind(v: f32) -> u8 {
    if v.is_nan() {
        0
    } else if v == f32::INFINITY {
        1
    } else if v == f32::NEG_INFINITY {
        2
    } else if v == 0.0 {
        3 + v.is_sign_negative() as u8
    } else {
        5
    }
}

/// Whether `st` meets `target`.
pub fn meets_f32(st: &Stats, target: Target) -> bool {
    match target {
        Target::CorrectlyRounded => st.misrounded == 0,
        Target::MaxUlp(u) => st.max_ulp <= u && st.special_mismatch == 0,
    }
}
