//! Special functions as elementwise tensor ops, in PyTorch's three call forms:
//! `lgamma`, `digamma`, `polygamma(n)`, `mvlgamma(p)`, `erf`, `erfc`, `erfinv` and the
//! binary `xlogy`. All are differentiable (their backward is written with these same
//! ops, so `create_graph` differentiates them again).
//!
//! Bool and integer inputs give the default float dtype; the in-place forms need a
//! float tensor. The slice kernels are `tessera_kernels::special`: each computes in
//! `f64` and rounds once for `f32`. Their measured accuracy against mpmath is in
//! ACCURACY.md ("Special functions").
//!
//! ```
//! use tessera_core::{tensor, DType};
//! let x = tensor!([1.0, 2.0, 5.0], dtype = DType::F64);
//! let y = x.lgamma();
//! assert!((y.get::<f64>(&[2]) - 24f64.ln()).abs() < 1e-14);
//! let mut out = tessera_core::Tensor::zeros_dtype(&[3], DType::F64);
//! tessera_core::ops::digamma_out(&x, &mut out);
//! assert!((out.get::<f64>(&[0]) + 0.5772156649015329).abs() < 1e-14);
//! ```

use super::binary::{promote, zip_map, zip_map_direct, Rhs};
use super::out::{copy_into, plan, OutPlan};
use super::unary::{map_direct, map_new, unary_op};
use crate::autograd::{no_grad, record, sum_to_shape, Saves};
use crate::layout::broadcast_shapes;
use crate::{dispatch_float, DType, Tensor};
use tessera_kernels::special as k;

/// `2 / sqrt(pi)`
const TWO_OVER_SQRT_PI: f64 = std::f64::consts::FRAC_2_SQRT_PI;

unary_op! {
    /// `ln |Γ(x)|` (`torch.lgamma`); `inf` at 0 and the negative integers.
    ///
    /// Bool and integer inputs give the default float dtype. Differentiable.
    ///
    /// # Accuracy
    /// f64: within 1 ULP for x > 0 away from the roots 1 and 2 (musl's algorithm); f32:
    /// computed in f64, rounded once. Measured figures in ACCURACY.md.
    fn lgamma, lgamma_, lgamma_out = Lgamma;
    float kernels(k::lgamma::<f32>, k::lgamma_inplace::<f32>, k::lgamma::<f64>, k::lgamma_inplace::<f64>);
    saves Inputs, backward |g, x, y| g * x.digamma();
}

unary_op! {
    /// The digamma function `ψ(x) = d/dx ln Γ(x)` (`torch.digamma`): `-inf` at `+0`, `+inf`
    /// at `-0`, NaN at negative integers, as PyTorch.
    ///
    /// Bool and integer inputs give the default float dtype. Differentiable.
    ///
    /// # Accuracy
    /// f64: a few ULP on x > 0 (measured in ACCURACY.md), relative error growing near the
    /// negative roots; f32: computed in f64, rounded once.
    fn digamma, digamma_, digamma_out = Digamma;
    float kernels(k::digamma::<f32>, k::digamma_inplace::<f32>, k::digamma::<f64>, k::digamma_inplace::<f64>);
    saves Inputs, backward |g, x, y| g * x.polygamma(1);
}

unary_op! {
    /// The error function (`torch.erf`).
    ///
    /// Bool and integer inputs give the default float dtype. Differentiable.
    ///
    /// # Accuracy
    /// f64: within 1 ULP (musl's); f32: computed in f64, rounded once.
    fn erf, erf_, erf_out = Erf;
    float kernels(k::erf::<f32>, k::erf_inplace::<f32>, k::erf::<f64>, k::erf_inplace::<f64>);
    saves Inputs, backward |g, x, y| g * (-(x * x)).exp() * TWO_OVER_SQRT_PI;
}

unary_op! {
    /// `1 - erf(x)` without cancellation (`torch.erfc`).
    ///
    /// Bool and integer inputs give the default float dtype. Differentiable.
    ///
    /// # Accuracy
    /// f64: a few ULP (musl's); f32: computed in f64, rounded once.
    fn erfc, erfc_, erfc_out = Erfc;
    float kernels(k::erfc::<f32>, k::erfc_inplace::<f32>, k::erfc::<f64>, k::erfc_inplace::<f64>);
    saves Inputs, backward |g, x, y| g * (-(x * x)).exp() * -TWO_OVER_SQRT_PI;
}

unary_op! {
    /// The inverse error function (`torch.erfinv`): `±inf` at `±1`, NaN outside `[-1, 1]`.
    ///
    /// Bool and integer inputs give the default float dtype. Differentiable.
    ///
    /// # Accuracy
    /// f64: a few ULP (measured in ACCURACY.md); f32: computed in f64, rounded once.
    fn erfinv, erfinv_, erfinv_out = Erfinv;
    float kernels(k::erfinv::<f32>, k::erfinv_inplace::<f32>, k::erfinv::<f64>, k::erfinv_inplace::<f64>);
    saves Output, backward |g, x, y| g * (y * y).exp() * (1.0 / TWO_OVER_SQRT_PI);
}

/// `f` mapped over `x` (converted to a float dtype) into a new tensor, for op `op`.
fn map_param(op: &str, x: &Tensor, f: impl Fn(f64) -> f64 + Copy + Sync) -> Tensor {
    let x = x.to_dtype(x.dtype().to_float());
    // The unary ops' driver: contiguous or strided, threaded when large.
    dispatch_float!(x.dtype(), T => map_new::<T>(
        op,
        &x,
        |s, o| k::map(s, o, f),
        |s| k::map_inplace(s, f),
    ), d => unreachable!("special functions compute in a float dtype, not {d}"))
}

/// `f` mapped over `x` into `out` under the `out=` contract (`ops::out`): straight into
/// `out`'s storage when it is contiguous and shares none with `x`, in place when `out`
/// is `x`, through a temporary otherwise.
fn map_param_out(op: &str, x: &Tensor, f: impl Fn(f64) -> f64 + Copy + Sync, out: &mut Tensor) {
    let dtype = x.dtype().to_float();
    let plan = plan(op, x.shape(), dtype, &[x], out);
    let _no_graph = no_grad();
    match plan {
        OutPlan::Resize => *out = map_param(op, x, f),
        OutPlan::InPlace => map_param_(op, out, f),
        OutPlan::Copy => copy_into(&map_param(op, x, f), out),
        OutPlan::Direct(range) => {
            let x = x.to_dtype(dtype);
            dispatch_float!(dtype, T => map_direct::<T>(
                op,
                &x,
                out,
                range,
                |s, o| k::map(s, o, f),
                |s| k::map_inplace(s, f),
            ), d => unreachable!("special functions compute in a float dtype, not {d}"))
        }
    }
}

/// `f` mapped over a float tensor in place.
fn map_param_(op: &str, x: &Tensor, f: impl Fn(f64) -> f64 + Copy + Sync) {
    x.assert_no_internal_overlap(op);
    dispatch_float!(x.dtype(), T => x.modify::<T>(op, |s| k::map_inplace(s, f)), d => panic!(
        "{op}: result type {} can't be cast to the desired output type {d}",
        d.to_float()
    ))
}

/// Panics with PyTorch's message unless every element of `x` exceeds `(p - 1) / 2`.
fn check_mvlgamma(op: &str, x: &Tensor, p: u32) {
    assert!(p >= 1, "{op}: p has to be greater than or equal to 1");
    let bound = (p as f64 - 1.0) / 2.0;
    let xf = x.detach().to_dtype(DType::F64);
    let ok = xf.with_contiguous(|s: &[f64]| s.iter().all(|&v| v > bound));
    assert!(
        ok,
        "{op}: All elements must be greater than (p-1)/2 (p = {p}, shape {:?}, dtype {})",
        x.shape(),
        x.dtype()
    );
}

impl Tensor {
    /// The polygamma function `ψ⁽ⁿ⁾(x)` (`torch.polygamma(n, x)`, `x.polygamma(n)`):
    /// `digamma` for `n = 0`. Differentiable (the derivative is `polygamma(n + 1)`).
    ///
    /// ```
    /// let y = tessera_core::tensor!([1.0]).polygamma(1); // π²/6
    /// assert!((y.item::<f32>() - 1.6449341).abs() < 1e-6);
    /// ```
    ///
    /// # Accuracy
    /// f64: a few ULP for `x > 0` (Cephes' Hurwitz zeta, as PyTorch; measured in
    /// ACCURACY.md); f32: computed in f64, rounded once.
    pub fn polygamma(&self, n: u32) -> Tensor {
        record(
            "polygamma",
            &[self],
            Saves::Inputs,
            || map_param("polygamma", self, move |v| k::polygamma_scalar(n, v)),
            move |g, _, inputs| vec![Some(g * inputs[0].polygamma(n + 1))],
        )
    }

    /// In-place [`Tensor::polygamma`]; returns `self`.
    ///
    /// # Panics
    /// If the tensor is not a float tensor.
    pub fn polygamma_(&self, n: u32) -> &Tensor {
        map_param_("polygamma_", self, move |v| k::polygamma_scalar(n, v));
        self
    }

    /// The multivariate log-gamma function of dimension `p` (`torch.mvlgamma(x, p)`):
    /// `p(p-1)/4 ln π + Σ_{i<p} ln Γ(x - i/2)`. Differentiable.
    ///
    /// ```
    /// let x = tessera_core::tensor!([2.5]);
    /// assert_eq!(x.mvlgamma(1).item::<f32>(), x.lgamma().item::<f32>());
    /// ```
    ///
    /// # Panics
    /// If `p == 0` or an element is not greater than `(p - 1) / 2` (NaN included), with
    /// PyTorch's messages ("All elements must be greater than (p-1)/2"), where PyTorch
    /// raises. The domain depends on the values, but tessera treats it as it treats an
    /// index out of range in `gather` or `index_select`: an argument outside the
    /// function's domain is the caller's error, not a failure of data, files or the
    /// environment (which are `Err`s). Check values that come from data first, with
    /// `x.gt((p - 1) as f64 / 2.0).all()`. Empty tensors pass.
    ///
    /// # Accuracy
    /// A sum of `p` `lgamma` terms, each as [`Tensor::lgamma`].
    pub fn mvlgamma(&self, p: u32) -> Tensor {
        check_mvlgamma("mvlgamma", self, p);
        record(
            "mvlgamma",
            &[self],
            Saves::Inputs,
            || map_param("mvlgamma", self, move |v| k::mvlgamma_scalar(p, v)),
            move |g, _, inputs| {
                let x = &inputs[0];
                let mut d = x.digamma();
                for i in 1..p {
                    d = d + (x - i as f64 / 2.0).digamma();
                }
                vec![Some(g * d)]
            },
        )
    }

    /// In-place [`Tensor::mvlgamma`]; returns `self`.
    ///
    /// # Panics
    /// As [`Tensor::mvlgamma`], and if the tensor is not a float tensor.
    pub fn mvlgamma_(&self, p: u32) -> &Tensor {
        check_mvlgamma("mvlgamma_", self, p);
        map_param_("mvlgamma_", self, move |v| k::mvlgamma_scalar(p, v));
        self
    }

    /// `self * ln(other)`, 0 where `self == 0` unless `other` is NaN (`torch.xlogy`),
    /// with broadcasting; integer and bool operands give the default float dtype.
    /// Differentiable in both operands (PyTorch's gradients: `xlogy(self != 0, other)`
    /// and `self / other`).
    ///
    /// ```
    /// use tessera_core::tensor;
    /// let y = tensor!([0.0, 2.0]).xlogy(&tensor!([0.0, 1.0]));
    /// assert_eq!(y.to_vec::<f32>(), vec![0.0, 0.0]);
    /// ```
    ///
    /// # Panics
    /// If the shapes do not broadcast.
    pub fn xlogy(&self, other: impl Into<Rhs>) -> Tensor {
        let other = other.into();
        let dtype = promote(&Rhs::from(self), &other).to_float();
        let (a, b) = (self.to_dtype(dtype), other.to_tensor(dtype));
        let inputs = [&a, &b];
        record(
            "xlogy",
            &inputs,
            Saves::Inputs,
            || xlogy_forward(&a, &b),
            |g, _, inputs| {
                let (x, y) = (&inputs[0], &inputs[1]);
                let gx = g * x.ne(0.0).to_dtype(x.dtype()).xlogy(y);
                let gy = g * x / y;
                vec![
                    Some(sum_to_shape(&gx, x.shape())),
                    Some(sum_to_shape(&gy, y.shape())),
                ]
            },
        )
    }

    /// In-place [`Tensor::xlogy`]: the result is written into `self`. Returns `self`.
    ///
    /// # Panics
    /// If `self` is not a float tensor, or `other` does not broadcast to its shape.
    pub fn xlogy_(&self, other: impl Into<Rhs>) -> &Tensor {
        self.check_inplace("xlogy_");
        self.assert_no_internal_overlap("xlogy_");
        assert!(
            self.dtype().is_float(),
            "xlogy_: result type {} can't be cast to the desired output type {}",
            self.dtype().to_float(),
            self.dtype()
        );
        let r = self.xlogy(other);
        assert!(
            broadcast_shapes("xlogy_", r.shape(), self.shape()) == self.shape(),
            "xlogy_: output with shape {:?} doesn't match the broadcast shape {:?}",
            self.shape(),
            r.shape()
        );
        self.copy_(&r.to_dtype(self.dtype()))
    }
}

/// `xlogy` of f32 operands: computed in f64, rounded once.
fn xlogy_f32(x: f32, y: f32) -> f32 {
    k::xlogy_scalar(x as f64, y as f64) as f32
}

/// `xlogy` of two operands of one float dtype, as a new tensor.
fn xlogy_forward(a: &Tensor, b: &Tensor) -> Tensor {
    match a.dtype() {
        DType::F32 => zip_map("xlogy", a, b, xlogy_f32),
        _ => zip_map("xlogy", a, b, k::xlogy_scalar),
    }
}

/// [`Tensor::polygamma`] written into `out` (`torch.polygamma(n, x, out=out)`).
///
/// # Panics
/// If `out` is not empty and its shape differs from `x`'s, or its dtype from the result's.
pub fn polygamma_out(n: u32, x: &Tensor, out: &mut Tensor) {
    map_param_out("polygamma", x, move |v| k::polygamma_scalar(n, v), out)
}

/// [`Tensor::mvlgamma`] written into `out` (`torch.mvlgamma(x, p, out=out)`).
///
/// # Panics
/// As [`Tensor::mvlgamma`], and if `out` is not empty and its shape differs from `x`'s,
/// or its dtype from the result's.
pub fn mvlgamma_out(x: &Tensor, p: u32, out: &mut Tensor) {
    check_mvlgamma("mvlgamma", x, p);
    map_param_out("mvlgamma", x, move |v| k::mvlgamma_scalar(p, v), out)
}

/// [`Tensor::xlogy`] written into `out` (`torch.xlogy(a, b, out=out)`).
///
/// # Panics
/// As [`Tensor::xlogy`], and if `out` is not empty and its shape differs from the
/// broadcast result's, or its dtype from the result's.
pub fn xlogy_out(a: &Tensor, b: impl Into<Rhs>, out: &mut Tensor) {
    let b = b.into();
    let dtype = promote(&Rhs::from(a), &b).to_float();
    let (ta, tb) = (a.to_dtype(dtype), b.to_tensor(dtype));
    let shape = broadcast_shapes("xlogy", ta.shape(), tb.shape());
    let plan = plan("xlogy", &shape, dtype, &[&ta, &tb], out);
    let _no_graph = no_grad();
    match plan {
        OutPlan::Resize => *out = xlogy_forward(&ta, &tb),
        OutPlan::InPlace | OutPlan::Copy => copy_into(&xlogy_forward(&ta, &tb), out),
        OutPlan::Direct(range) => match dtype {
            DType::F32 => zip_map_direct("xlogy", (&ta, &tb), out, range, xlogy_f32),
            _ => zip_map_direct("xlogy", (&ta, &tb), out, range, k::xlogy_scalar),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::autograd::gradcheck;
    use crate::tensor;

    fn leaf(v: &[f64]) -> Tensor {
        let t = Tensor::from_vec(v.to_vec(), &[v.len()]);
        t.requires_grad_(true);
        t
    }

    #[test]
    fn three_forms_agree() {
        let x = tensor!([0.5, 1.5, 3.0]);
        for (name, y, f_) in [
            (
                "lgamma",
                x.lgamma(),
                (|t: &Tensor| {
                    t.lgamma_();
                }) as fn(&Tensor),
            ),
            ("digamma", x.digamma(), |t: &Tensor| {
                t.digamma_();
            }),
            ("erf", x.erf(), |t: &Tensor| {
                t.erf_();
            }),
            ("erfc", x.erfc(), |t: &Tensor| {
                t.erfc_();
            }),
        ] {
            let z = x.deep_clone();
            f_(&z);
            assert_eq!(z.to_vec::<f32>(), y.to_vec::<f32>(), "{name}");
        }
        let mut out = Tensor::zeros(&[3]);
        lgamma_out(&x, &mut out);
        assert_eq!(out.to_vec::<f32>(), x.lgamma().to_vec::<f32>());
        polygamma_out(2, &x, &mut out);
        assert_eq!(out.to_vec::<f32>(), x.polygamma(2).to_vec::<f32>());
        let z = x.deep_clone();
        z.polygamma_(2);
        assert_eq!(z.to_vec::<f32>(), x.polygamma(2).to_vec::<f32>());
        mvlgamma_out(&x.add(2.0), 3, &mut out);
        assert_eq!(out.to_vec::<f32>(), x.add(2.0).mvlgamma(3).to_vec::<f32>());
        let p = tensor!([0.1, -0.5, 0.9]);
        let mut o = Tensor::zeros(&[3]);
        erfinv_out(&p, &mut o);
        assert_eq!(o.to_vec::<f32>(), p.erfinv().to_vec::<f32>());
        xlogy_out(&x, 2.0, &mut o);
        assert_eq!(o.to_vec::<f32>(), x.xlogy(2.0).to_vec::<f32>());
        let z = x.deep_clone();
        z.xlogy_(tensor!([2.0]));
        assert_eq!(z.to_vec::<f32>(), x.xlogy(2.0).to_vec::<f32>());
    }

    #[test]
    fn gradients_pass_gradcheck() {
        let x = leaf(&[0.3, 1.7, 4.2]);
        let o = Default::default();
        gradcheck(|v| v[0].lgamma(), std::slice::from_ref(&x), o).unwrap();
        gradcheck(|v| v[0].digamma(), std::slice::from_ref(&x), o).unwrap();
        gradcheck(|v| v[0].polygamma(2), std::slice::from_ref(&x), o).unwrap();
        gradcheck(|v| v[0].erf(), std::slice::from_ref(&x), o).unwrap();
        gradcheck(|v| v[0].erfc(), std::slice::from_ref(&x), o).unwrap();
        gradcheck(|v| v[0].add(1.0).mvlgamma(3), std::slice::from_ref(&x), o).unwrap();
        let p = leaf(&[-0.7, 0.1, 0.95]);
        gradcheck(|v| v[0].erfinv(), &[p], o).unwrap();
        let y = leaf(&[0.5, 2.0, 3.0]);
        let xz = leaf(&[0.25, 1.5, -2.0]);
        gradcheck(|v| v[0].xlogy(&v[1]), &[xz, y.clone()], o).unwrap();
        // PyTorch's convention: d/dx is 0 where x == 0 (not ln y)
        let z = leaf(&[0.0, 1.0, 0.0]);
        z.xlogy(&y).sum().backward();
        assert_eq!(z.grad().unwrap().to_vec::<f64>(), vec![0.0, 2f64.ln(), 0.0]);
        // broadcast operand gets a summed gradient
        let s = leaf(&[2.0]);
        gradcheck(|v| v[0].xlogy(&v[1]), &[x, s], o).unwrap();
    }

    #[test]
    fn second_derivatives() {
        let x = leaf(&[0.8, 2.5]);
        crate::autograd::gradgradcheck(|v| v[0].lgamma(), &[x], None, Default::default()).unwrap();
    }

    #[test]
    fn special_values_and_ints() {
        let x = tensor!([0.0, -1.0, f64::INFINITY, f64::NAN], dtype = DType::F64);
        let l = x.lgamma().to_vec::<f64>();
        assert_eq!(&l[..3], &[f64::INFINITY; 3]);
        assert!(l[3].is_nan());
        let d = x.digamma().to_vec::<f64>();
        assert_eq!(d[0], f64::NEG_INFINITY);
        assert!(d[1].is_nan());
        assert_eq!(tensor!([1, 2]).lgamma().dtype(), DType::F32);
        assert_eq!(tensor!([1, 2]).xlogy(2).dtype(), DType::F32);
        assert_eq!(Tensor::zeros(&[0, 2]).digamma().shape(), &[0, 2]);
        // non-contiguous input
        let m = Tensor::arange(1, 7)
            .to_dtype(DType::F64)
            .reshape([2, 3])
            .t();
        assert_eq!(
            m.lgamma().to_vec::<f64>(),
            m.contiguous().lgamma().to_vec::<f64>()
        );
    }

    #[test]
    #[should_panic(expected = "mvlgamma: All elements must be greater than (p-1)/2")]
    fn mvlgamma_domain_panics() {
        tensor!([1.0, 0.9]).mvlgamma(3);
    }

    /// Every form checks the domain, NaN and -inf fail it, +inf, empty and
    /// non-contiguous inputs inside it pass.
    #[test]
    fn mvlgamma_domain_in_every_form() {
        use std::panic::{catch_unwind, AssertUnwindSafe};
        let fails = |f: &dyn Fn()| {
            let e = catch_unwind(AssertUnwindSafe(f)).expect_err("should panic");
            let msg = e.downcast_ref::<String>().cloned().unwrap_or_default();
            assert!(msg.contains("must be greater than (p-1)/2"), "{msg}");
        };
        fails(&|| drop(tensor!([2.0, f64::NAN]).mvlgamma(2)));
        fails(&|| drop(tensor!([f64::NEG_INFINITY]).mvlgamma(1)));
        fails(&|| drop(tensor!([0.5]).mvlgamma(2)));
        fails(&|| {
            tensor!([0.5]).mvlgamma_(2);
        });
        fails(&|| mvlgamma_out(&tensor!([0.5]), 2, &mut Tensor::zeros(&[1])));
        let x = leaf(&[0.5]);
        fails(&|| drop(x.mvlgamma(2)));
        assert_eq!(
            tensor!([f64::INFINITY], dtype = DType::F64)
                .mvlgamma(3)
                .to_vec::<f64>(),
            [f64::INFINITY]
        );
        assert_eq!(Tensor::zeros(&[0, 2]).mvlgamma(5).shape(), &[0, 2]);
        let m = (Tensor::arange(0, 6).to_dtype(DType::F64).reshape([2, 3]) + 1.5).t();
        assert_eq!(
            m.mvlgamma(2).to_vec::<f64>(),
            m.contiguous().mvlgamma(2).to_vec::<f64>()
        );
    }

    #[test]
    #[should_panic(expected = "lgamma_: result type torch.float32 can't be cast")]
    fn inplace_int_panics() {
        tensor!([1, 2]).lgamma_();
    }

    #[test]
    #[should_panic(expected = "xlogy_: result type torch.float32 can't be cast")]
    fn xlogy_inplace_int_panics() {
        tensor!([1, 2]).xlogy_(2.0);
    }

    /// Every path of the `out=` contract for the parameterized and binary forms: direct
    /// (large, threaded), into a strided `out`, into an `out` that is the input, into an
    /// empty `out`, from a strided input, and broadcasting.
    #[test]
    fn param_and_xlogy_out_paths_match_the_allocating_forms() {
        let n = 100_003;
        let x = Tensor::linspace_dtype(0.25, 30.0, n, DType::F64);
        let bits = |t: &Tensor| {
            t.to_vec::<f64>()
                .iter()
                .map(|v| v.to_bits())
                .collect::<Vec<_>>()
        };
        type Run<'a> = &'a dyn Fn(&Tensor, &mut Tensor);
        let cases: [(&str, Tensor, Run); 3] = [
            ("polygamma", x.polygamma(1), &|x, o| polygamma_out(1, x, o)),
            ("mvlgamma", x.add(1.0).mvlgamma(3), &|x, o| {
                mvlgamma_out(&x.add(1.0), 3, o)
            }),
            ("xlogy", x.xlogy(x.add(0.5)), &|x, o| {
                xlogy_out(x, x.add(0.5), o)
            }),
        ];
        for (name, want, run) in cases {
            // Direct into a fresh contiguous `out`, after garbage was in it.
            let mut out = Tensor::full_dtype(&[n], f64::NAN, DType::F64);
            run(&x, &mut out);
            assert_eq!(bits(&out), bits(&want), "{name} direct");
            // Empty `out`: resized.
            let mut out = Tensor::zeros_dtype(&[0], DType::F64);
            run(&x, &mut out);
            assert_eq!(bits(&out), bits(&want), "{name} resize");
            // Strided `out` (every other element of a larger buffer): the others untouched.
            let big = Tensor::full_dtype(&[n, 2], -7.0, DType::F64);
            let mut col = big.select(1, 0);
            run(&x, &mut col);
            assert_eq!(bits(&col), bits(&want), "{name} strided out");
            assert!(big.select(1, 1).to_vec::<f64>().iter().all(|&v| v == -7.0));
            // Strided input.
            let xs = Tensor::stack(&[x.clone(), x.clone()], 1).select(1, 1);
            let mut out = Tensor::zeros_dtype(&[n], DType::F64);
            run(&xs, &mut out);
            assert_eq!(bits(&out), bits(&want), "{name} strided input");
            // `out` is the input itself.
            let mut same = x.deep_clone();
            let alias = same.clone();
            run(&alias, &mut same);
            assert_eq!(bits(&same), bits(&want), "{name} aliased");
        }
        // f32 and broadcasting: a [3, 1] by [4] product into a [3, 4] `out`.
        let a = tensor!([[0.0], [1.5], [3.0]]);
        let b = tensor!([0.5, 1.0, 2.0, f32::NAN]);
        let mut out = Tensor::zeros(&[3, 4]);
        xlogy_out(&a, &b, &mut out);
        let want = a.xlogy(&b).to_vec::<f32>();
        let got = out.to_vec::<f32>();
        assert!(got
            .iter()
            .zip(&want)
            .all(|(g, w)| g.to_bits() == w.to_bits()));
        assert!(got[3].is_nan() && got[0] == 0.0);
    }

    #[test]
    #[should_panic(expected = "lgamma_out: out has shape [2] but the result has shape [3]")]
    fn out_shape_panics() {
        lgamma_out(&tensor!([1.0, 2.0, 3.0]), &mut Tensor::zeros(&[2]));
    }
}
