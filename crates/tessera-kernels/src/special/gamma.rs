//! The gamma family: `lgamma`, `digamma`, `trigamma`, `polygamma`, Hurwitz `zeta`,
//! `mvlgamma`, all in `f64`.

use std::f64::consts::PI;

/// `ln |Γ(x)|` (musl's algorithm through the `libm` crate): `+inf` at 0 and the
/// negative integers, `+inf` at `±inf`, NaN for NaN.
///
/// # Accuracy
/// Within 1 ULP for `x > 0` away from the roots at 1 and 2 in the mpmath comparison
/// (ACCURACY.md); near the negative roots the relative error grows (absolute error stays
/// below 1e-15).
#[inline]
pub fn lgamma_scalar(x: f64) -> f64 {
    libm::lgamma_r(x).0
}

/// The positive root of ψ, split in two doubles.
const ROOT_HI: f64 = 1.4616321449683622;
const ROOT_LO: f64 = 9.549_995_429_965_698e-17;

/// `ψ⁽ᵏ⁾(x₀) / k!` for k = 1..=40 at the positive root x₀ (mpmath, 50 digits).
const ROOT_TAYLOR: [f64; 40] = [
    0.9676722454476212,
    -0.4427631689835921,
    0.258499760955651,
    -0.16394270544240652,
    0.10782405069126237,
    -0.07219956125645471,
    0.04880428816414311,
    -0.03316112647484736,
    0.022597648232218104,
    -0.01542476590494896,
    0.010538791616612175,
    -0.007204534386356869,
    0.004926781395729853,
    -0.003369801655439328,
    0.002305126326734928,
    -0.0015769367714301972,
    0.0010788252019162967,
    -0.0007380709389960052,
    0.000504953265834602,
    -0.0003454680251063077,
    0.00023635601564027053,
    -0.00016170622091974803,
    0.0001106337276874741,
    -7.569179582195066e-05,
    5.178575795222081e-05,
    -3.5430070947659604e-05,
    2.424006611860132e-05,
    -1.6584242271854135e-05,
    1.134638458466385e-05,
    -7.762817668462094e-06,
    5.3110609208898636e-06,
    -3.6336507898010456e-06,
    2.486022733129538e-06,
    -1.7008538854332607e-06,
    1.1636675363548843e-06,
    -7.96142543124197e-07,
    5.446941930669446e-07,
    -3.7266161283438227e-07,
    2.549626552021554e-07,
    -1.7443695117727745e-07,
];

/// `π / tan(πx)` with the argument reduced exactly (so large `|x|` keep their accuracy).
fn pi_over_tan_pi(x: f64) -> f64 {
    let r = x - x.round(); // exact, in [-0.5, 0.5]
                           // cos(πr) as sin(π(1/2 - |r|)): exact argument, so ±1/2 gives exactly 0.
    PI * (PI * (0.5 - r.abs())).sin() / (PI * r).sin()
}

/// ψ(x) for `x >= 10` by its asymptotic series.
fn digamma_asymptotic(x: f64) -> f64 {
    // B_{2k} / (2k) for k = 1..=8
    const C: [f64; 8] = [
        1.0 / 12.0,
        -1.0 / 120.0,
        1.0 / 252.0,
        -1.0 / 240.0,
        1.0 / 132.0,
        -691.0 / 32760.0,
        1.0 / 12.0,
        -3617.0 / 8160.0,
    ];
    let z = 1.0 / (x * x);
    let mut s = 0.0;
    for c in C.iter().rev() {
        s = s * z + c;
    }
    x.ln() - 0.5 / x - s * z
}

/// The digamma function ψ(x) = Γ'(x)/Γ(x) (`torch.digamma`): `-inf` at `+0`, `+inf` at
/// `-0` and NaN at the negative integers (PyTorch's conventions), NaN for NaN, `+inf`
/// at `+inf`, NaN at `-inf`.
///
/// # Accuracy
/// Measured against mpmath in ACCURACY.md: a few ULP relative on `x > 0` (a Taylor
/// series keeps the relative accuracy around the root 1.4616...), and relative error
/// that grows near the negative roots (absolute error stays near 1e-16 times the terms).
pub fn digamma_scalar(x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    if x == 0.0 {
        return if x.is_sign_negative() {
            f64::INFINITY
        } else {
            f64::NEG_INFINITY
        };
    }
    if x == f64::INFINITY {
        return f64::INFINITY;
    }
    if x < 0.0 {
        if x == x.floor() {
            return f64::NAN;
        }
        // Reflection: ψ(x) = ψ(1 - x) - π / tan(πx).
        return digamma_scalar(1.0 - x) - pi_over_tan_pi(x);
    }
    if x >= 10.0 {
        return digamma_asymptotic(x);
    }
    if x < ROOT_HI - 0.5 {
        // ψ(x) = ψ(x + 1) - 1/x: one step up into the Taylor window (or past it).
        return digamma_scalar(x + 1.0) - 1.0 / x;
    }
    // Down into the window [x₀ - 1/2, x₀ + 1/2] by ψ(x) = ψ(x - 1) + 1/(x - 1): the
    // added terms are positive, so nothing cancels.
    let mut acc = 0.0;
    let mut x = x;
    while x > ROOT_HI + 0.5 {
        x -= 1.0;
        acc += 1.0 / x;
    }
    // Taylor series around the root (terms shrink by |x - x₀| / x₀ <= 0.35 each).
    let d = (x - ROOT_HI) - ROOT_LO;
    let mut s = 0.0;
    for c in ROOT_TAYLOR.iter().rev() {
        s = s * d + c;
    }
    s * d + acc
}

/// ψ'(x), the trigamma function: `+inf` at 0 and the negative integers.
///
/// # Accuracy
/// A few ULP on `x > 0` (ACCURACY.md).
pub fn trigamma_scalar(x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    if x <= 0.0 && x == x.floor() {
        return f64::INFINITY;
    }
    if x < 0.5 {
        // Reflection: ψ'(x) + ψ'(1 - x) = π² / sin²(πx).
        let r = x - x.round();
        let s = (PI * r).sin();
        return PI * PI / (s * s) - trigamma_scalar(1.0 - x);
    }
    if x == f64::INFINITY {
        return 0.0;
    }
    zeta_scalar(2.0, x)
}

/// The Hurwitz zeta function ζ(s, q) = Σₖ (q + k)⁻ˢ, Cephes' algorithm as PyTorch's
/// `torch.special.zeta`: `inf` at `s == 1` and at non-positive integer `q`, NaN for
/// `s < 1` and for non-positive `q` with non-integer `s`.
#[allow(clippy::excessive_precision)] // Cephes coefficients, as published
pub fn zeta_scalar(s: f64, q: f64) -> f64 {
    const MACHEP: f64 = 1.110_223_024_625_156_5e-16;
    // (2k)! / B_2k
    const A: [f64; 12] = [
        12.0,
        -720.0,
        30240.0,
        -1209600.0,
        47900160.0,
        -1.8924375803183791606e9,
        7.47242496e10,
        -2.950130727918164224e12,
        1.1646782814350067249e14,
        -4.5979787224074726105e15,
        1.8152105401943546773e17,
        -7.1661652561756670113e18,
    ];
    if s.is_nan() || q.is_nan() {
        return f64::NAN;
    }
    if s == 1.0 {
        return f64::INFINITY;
    }
    if s < 1.0 {
        return f64::NAN;
    }
    if q <= 0.0 {
        if q == q.floor() {
            return f64::INFINITY;
        }
        if s != s.floor() {
            return f64::NAN;
        }
    }
    if q == f64::INFINITY {
        return 0.0;
    }
    // Sum the first terms directly, then Euler-Maclaurin.
    let mut sum = q.powf(-s);
    let mut a = q;
    let mut b = 0.0;
    let mut i = 0;
    while i < 9 || a <= 9.0 {
        i += 1;
        a += 1.0;
        b = a.powf(-s);
        sum += b;
        if (b / sum).abs() < MACHEP {
            return sum;
        }
    }
    let w = a;
    sum += b * w / (s - 1.0);
    sum -= 0.5 * b;
    let mut fac = 1.0;
    let mut k = 0.0;
    for c in A {
        fac *= s + k;
        b /= w;
        let t = fac * b / c;
        sum += t;
        if (t / sum).abs() < MACHEP {
            return sum;
        }
        k += 1.0;
        fac *= s + k;
        b /= w;
        k += 1.0;
    }
    sum
}

/// ψ⁽ⁿ⁾(x), the polygamma function of order `n` (`torch.polygamma(n, x)`):
/// `digamma` for `n = 0`, `trigamma` for `n = 1`, else `(-1)^(n+1) n! ζ(n + 1, x)`.
pub fn polygamma_scalar(n: u32, x: f64) -> f64 {
    match n {
        0 => digamma_scalar(x),
        1 => trigamma_scalar(x),
        _ => {
            let sign = if n % 2 == 1 { 1.0 } else { -1.0 };
            let fact = lgamma_scalar(n as f64 + 1.0).exp();
            sign * fact * zeta_scalar(n as f64 + 1.0, x)
        }
    }
}

/// `ln Γ_p(x) = p(p-1)/4 ln π + Σ_{i<p} ln Γ(x - i/2)`, the multivariate log-gamma
/// function (`torch.mvlgamma(x, p)`), with no domain check.
pub fn mvlgamma_scalar(p: u32, x: f64) -> f64 {
    let pf = p as f64;
    let mut s = pf * (pf - 1.0) / 4.0 * PI.ln();
    for i in 0..p {
        s += lgamma_scalar(x - i as f64 / 2.0);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rel(a: f64, b: f64) -> f64 {
        ((a - b) / b).abs()
    }

    #[test]
    fn digamma_values() {
        // mpmath values
        // bounds: the measured errors of ACCURACY.md (a few ULP)
        assert!(rel(digamma_scalar(1.0), -0.5772156649015329) < 2e-15);
        assert!(rel(digamma_scalar(0.5), -1.9635100260214235) < 2e-15);
        assert!(rel(digamma_scalar(1.5), 0.03648997397857652) < 4e-16);
        assert!(rel(digamma_scalar(100.0), 4.600161852738087) < 4e-16);
        assert!(rel(digamma_scalar(-0.5), 0.03648997397857652) < 2e-15);
        assert!(rel(digamma_scalar(ROOT_HI), -ROOT_LO * 0.9676722454476212) < 1e-6);
        assert_eq!(digamma_scalar(0.0), f64::NEG_INFINITY);
        assert_eq!(digamma_scalar(-0.0), f64::INFINITY);
        assert!(digamma_scalar(-2.0).is_nan());
        assert_eq!(digamma_scalar(f64::INFINITY), f64::INFINITY);
    }

    #[test]
    fn polygamma_values() {
        // trigamma(1) = pi^2/6, polygamma(2, 1) = -2 zeta(3), polygamma(3, 0.5) = pi^4
        assert!(rel(polygamma_scalar(1, 1.0), PI * PI / 6.0) < 4e-16);
        assert!(rel(polygamma_scalar(2, 1.0), -2.0 * 1.2020569031595942) < 4e-16);
        assert!(rel(polygamma_scalar(3, 0.5), PI.powi(4)) < 4e-16);
        assert!(rel(polygamma_scalar(1, -0.5), 8.934802200544704) < 8e-15);
        assert_eq!(polygamma_scalar(2, 0.0), f64::NEG_INFINITY);
    }

    #[test]
    fn zeta_edges() {
        assert_eq!(zeta_scalar(1.0, 2.0), f64::INFINITY);
        assert!(zeta_scalar(0.5, 2.0).is_nan());
        assert!(rel(zeta_scalar(2.0, 1.0), PI * PI / 6.0) < 4e-16);
    }

    #[test]
    fn mvlgamma_p1_is_lgamma() {
        assert_eq!(mvlgamma_scalar(1, 3.5), lgamma_scalar(3.5));
        let want = 0.5 * PI.ln() + lgamma_scalar(2.0) + lgamma_scalar(1.5);
        assert!(rel(mvlgamma_scalar(2, 2.0), want) < 1e-15);
    }
}
