//! Special functions on slices, for `f32` and `f64`: `lgamma`, `digamma`,
//! `polygamma(n)`, `mvlgamma(p)`, `erf`, `erfc`, `erfinv`, and the scalar `xlogy`.
//!
//! Every function is computed in `f64` and, for `f32`, rounded once at the end, so the
//! `f32` forms are within 1 ULP of the exact value wherever the `f64` form is accurate
//! to a few ULP (measured bounds are in each function's docs and in ACCURACY.md,
//! section "Special functions").
//!
//! ```
//! use tessera_kernels::special;
//! let x = [0.5f64, 1.0, 4.0];
//! let mut y = [0.0f64; 3];
//! special::lgamma(&x, &mut y);
//! assert!((y[2] - 6f64.ln()).abs() < 1e-15);
//! special::digamma(&x, &mut y);
//! assert!((y[1] + 0.5772156649015329).abs() < 1e-15);
//! ```
//!
//! # Why partly hand-written
//! `lgamma`, `erf` and `erfc` come from the `libm` crate (a port of musl's, within
//! 1 ULP in f64). No well-kept crate has an accurate `digamma`, `polygamma`, Hurwitz
//! zeta or `erfinv` with PyTorch's conventions at poles and outside the domain, so
//! those are written here: `digamma` by recurrence and its asymptotic series, with a
//! Taylor series around its positive root (where the recurrence cancels);
//! `polygamma` through Cephes' Hurwitz zeta (what PyTorch uses); `erfinv` from Giles'
//! approximation refined by two Newton steps on `erf`/`erfc`.

mod erf;
mod gamma;

pub use erf::{erf_scalar, erfc_scalar, erfinv_scalar};
pub use gamma::{
    digamma_scalar, lgamma_scalar, mvlgamma_scalar, polygamma_scalar, trigamma_scalar, zeta_scalar,
};

/// `f32` or `f64`: the element types of the special-function slice kernels, which
/// compute in `f64` and round once to `Self`.
pub trait SpecialFloat: Copy + Send + Sync + 'static {
    /// Exact widening to `f64`.
    fn to_f64(self) -> f64;
    /// Rounding from `f64` (to nearest).
    fn from_f64(v: f64) -> Self;
}

impl SpecialFloat for f32 {
    #[inline]
    fn to_f64(self) -> f64 {
        self as f64
    }
    #[inline]
    fn from_f64(v: f64) -> f32 {
        v as f32
    }
}

impl SpecialFloat for f64 {
    #[inline]
    fn to_f64(self) -> f64 {
        self
    }
    #[inline]
    fn from_f64(v: f64) -> f64 {
        v
    }
}

/// `y[i] = f(x[i])` computed in `f64`.
///
/// # Panics
/// If the slices differ in length.
#[inline]
pub fn map<T: SpecialFloat>(x: &[T], y: &mut [T], f: impl Fn(f64) -> f64) {
    assert_eq!(x.len(), y.len(), "special::map: slices differ in length");
    for (o, &v) in y.iter_mut().zip(x) {
        *o = T::from_f64(f(v.to_f64()));
    }
}

/// `x[i] = f(x[i])` computed in `f64`.
#[inline]
pub fn map_inplace<T: SpecialFloat>(x: &mut [T], f: impl Fn(f64) -> f64) {
    for v in x.iter_mut() {
        *v = T::from_f64(f(v.to_f64()));
    }
}

macro_rules! slice_fns {
    ($($name:ident, $name_inplace:ident, $scalar:path, $doc:literal;)*) => {$(
        #[doc = $doc]
        ///
        /// # Panics
        /// If the slices differ in length.
        pub fn $name<T: SpecialFloat>(x: &[T], y: &mut [T]) {
            map(x, y, $scalar)
        }

        #[doc = concat!("In-place [`", stringify!($name), "`].")]
        pub fn $name_inplace<T: SpecialFloat>(x: &mut [T]) {
            map_inplace(x, $scalar)
        }
    )*};
}

slice_fns! {
    lgamma, lgamma_inplace, lgamma_scalar, "`ln |Γ(x)|` (`torch.lgamma`); `+inf` at the poles 0, -1, -2, ...";
    digamma, digamma_inplace, digamma_scalar, "`ψ(x) = d/dx ln Γ(x)` (`torch.digamma`); `∓inf` at `±0` and NaN at negative integers, as PyTorch.";
    erf, erf_inplace, erf_scalar, "The error function (`torch.erf`).";
    erfc, erfc_inplace, erfc_scalar, "`1 - erf(x)` without cancellation (`torch.erfc`).";
    erfinv, erfinv_inplace, erfinv_scalar, "The inverse error function (`torch.erfinv`): `±inf` at `±1`, NaN outside `[-1, 1]`.";
}

/// `y[i] = ψ⁽ⁿ⁾(x[i])` (`torch.polygamma(n, x)`).
///
/// # Panics
/// If the slices differ in length.
pub fn polygamma<T: SpecialFloat>(n: u32, x: &[T], y: &mut [T]) {
    map(x, y, |v| polygamma_scalar(n, v))
}

/// `y[i] = ln Γ_p(x[i])`, the multivariate log-gamma (`torch.mvlgamma(x, p)`),
/// with no domain check (the tensor op checks `x > (p - 1) / 2`).
///
/// # Panics
/// If the slices differ in length.
pub fn mvlgamma<T: SpecialFloat>(p: u32, x: &[T], y: &mut [T]) {
    map(x, y, |v| mvlgamma_scalar(p, v))
}

/// `x * ln(y)`, 0 where `x == 0` unless `y` is NaN (`torch.xlogy`).
#[inline]
pub fn xlogy_scalar(x: f64, y: f64) -> f64 {
    if y.is_nan() {
        f64::NAN
    } else if x == 0.0 {
        0.0
    } else {
        x * y.ln()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn f32_forms_round_the_f64_value() {
        let x = [0.3f32, 2.5, -1.5, 7.0];
        let mut y = [0f32; 4];
        lgamma(&x, &mut y);
        for (a, b) in x.iter().zip(&y) {
            assert_eq!(*b, lgamma_scalar(*a as f64) as f32);
        }
        let mut z = x;
        lgamma_inplace(&mut z);
        assert_eq!(z, y);
    }

    #[test]
    fn xlogy_conventions() {
        assert_eq!(xlogy_scalar(0.0, 0.0), 0.0);
        assert_eq!(xlogy_scalar(0.0, f64::INFINITY), 0.0);
        assert!(xlogy_scalar(0.0, f64::NAN).is_nan());
        assert!(xlogy_scalar(f64::NAN, 1.0).is_nan());
        assert_eq!(xlogy_scalar(2.0, std::f64::consts::E), 2.0);
    }
}
