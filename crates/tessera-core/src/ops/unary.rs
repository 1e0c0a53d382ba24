//! Unary elementwise ops in PyTorch's three call forms: `x.exp()` (new tensor),
//! `x.exp_()` (in place, seen through every view) and `exp_out(&x, &mut out)`
//! (into a preallocated tensor).
//!
//! Float ops (`exp`, `expm1`, `log`, `sigmoid`, ...) turn bool and integer inputs
//! into the default float dtype, as PyTorch does; their in-place form needs a float
//! tensor. The rest (`neg`, `abs`, `floor`, ...) keep the dtype.
//!
//! `expm1`, `exp`, `log1p`, `log`, `tanh`, `sigmoid` and `softplus` run the
//! vectorized kernels of `tessera-kernels` (their accuracy is stated there and in
//! ACCURACY.md); the other float ops use Rust's `std` functions (correctly rounded
//! or within 1 ULP, as the platform's libm). Large tensors are split across the
//! thread pool ([`crate::set_num_threads`]).

use super::arith::Arith;
use super::out::write_out;
use super::out::{copy_into, plan, OutPlan};
use crate::autograd::{record, Saves};
use crate::storage::{lock_for_out, StorageElement};
use crate::threads::{output_vec_for, par_chunks_indexed, par_chunks_mut, par_zip};

/// Elements gathered at a time from a strided input (fits in L1 with its output).
const GATHER_CHUNK: usize = 2048;
use crate::{dispatch, DType, Tensor};

/// The slice kernels of one float op.
pub struct FloatKernel {
    /// The op's name, for messages.
    pub name: &'static str,
    /// `y = f(x)` on `f32`
    pub f32: fn(&[f32], &mut [f32]),
    /// `x = f(x)` on `f32`
    pub f32_inplace: fn(&mut [f32]),
    /// `y = f(x)` on `f64`
    pub f64: fn(&[f64], &mut [f64]),
    /// `x = f(x)` on `f64`
    pub f64_inplace: fn(&mut [f64]),
}

/// `y = f(x)` on slices.
pub type SliceMap<T> = fn(&[T], &mut [T]);
/// `x = f(x)` on a slice.
pub type SliceMapInPlace<T> = fn(&mut [T]);

/// `f32` and `f64`: picks their kernels out of a [`FloatKernel`].
pub trait KernelFloat: Arith + crate::FloatElement {
    /// The out-of-place and in-place kernels for this type.
    fn kernels(k: &FloatKernel) -> (SliceMap<Self>, SliceMapInPlace<Self>);
}
impl KernelFloat for f32 {
    fn kernels(k: &FloatKernel) -> (SliceMap<f32>, SliceMapInPlace<f32>) {
        (k.f32, k.f32_inplace)
    }
}
impl KernelFloat for f64 {
    fn kernels(k: &FloatKernel) -> (SliceMap<f64>, SliceMapInPlace<f64>) {
        (k.f64, k.f64_inplace)
    }
}

/// Runs `k` on the elements of `x` (of type `T`, laid out by `layout` in `all`) into
/// `out`, row-major: straight from the storage when contiguous, else through cache-sized
/// gathered chunks; split across the pool when large.
fn map_float_into<T: KernelFloat>(
    all: &[T],
    layout: &crate::Layout,
    k: &FloatKernel,
    out: &mut [T],
) {
    let (f, f_inplace) = T::kernels(k);
    match layout.contiguous_range() {
        Some(r) => par_zip(&all[r], out, f),
        None => {
            // Strided input: gather a cache-sized chunk, then run the in-place
            // kernel on it while it is hot.
            par_chunks_indexed(out, GATHER_CHUNK, |start, chunk| {
                layout.gather_into(all, start, chunk);
                f_inplace(chunk);
            });
        }
    }
}

/// Applies `k` to a float tensor of type `T`, giving a new contiguous tensor.
fn map_float<T: KernelFloat>(x: &Tensor, k: &FloatKernel) -> Tensor {
    let data = x.storage().read_for(k.name);
    let all = T::slice(&data).expect("dtype checked by caller");
    let mut out = output_vec_for::<T>(k.name, x.numel());
    map_float_into(all, x.layout(), k, &mut out);
    drop(data);
    Tensor::from_vec(out, x.shape())
}

/// `k(x)` as a new tensor, promoting bool and integer inputs to the default float.
pub fn float_unary(x: &Tensor, k: &FloatKernel) -> Tensor {
    let x = x.to_dtype(x.dtype().to_float());
    match x.dtype() {
        DType::F32 => map_float::<f32>(&x, k),
        _ => map_float::<f64>(&x, k),
    }
}

/// `k(x)` written into `out` (`torch.exp(x, out=out)`): straight into `out`'s storage
/// when it is contiguous and shares none with `x`, in place when `out` is `x` itself.
///
/// # Panics
/// As the `out=` contract (`ops::out`): a non-empty `out` of another shape, or another
/// dtype than the result's.
pub fn float_unary_out(x: &Tensor, k: &FloatKernel, out: &mut Tensor) {
    let plan = plan(k.name, x.shape(), x.dtype().to_float(), &[x], out);
    let _no_graph = crate::autograd::no_grad();
    let x = x.to_dtype(x.dtype().to_float());
    match plan {
        OutPlan::Resize => *out = float_unary(&x, k),
        OutPlan::InPlace => float_unary_(out, k),
        OutPlan::Copy => copy_into(&float_unary(&x, k), out),
        OutPlan::Direct(range) => {
            let (reads, mut write) =
                lock_for_out(k.name, &[x.storage().as_ref()], out.storage().as_ref());
            let all_x = &reads[0];
            match x.dtype() {
                DType::F32 => map_float_into(
                    f32::slice(all_x).expect("dtype checked"),
                    x.layout(),
                    k,
                    &mut write.slice_mut::<f32>().expect("dtype checked by plan")[range],
                ),
                _ => map_float_into(
                    f64::slice(all_x).expect("dtype checked"),
                    x.layout(),
                    k,
                    &mut write.slice_mut::<f64>().expect("dtype checked by plan")[range],
                ),
            }
        }
    }
}

/// `k(x)` in place.
///
/// # Panics
/// If `x` is not a float tensor (PyTorch cannot cast the float result back).
pub fn float_unary_(x: &Tensor, k: &FloatKernel) {
    let op = &format!("{}_", k.name);
    x.assert_no_internal_overlap(op);
    match x.dtype() {
        DType::F32 => x.modify::<f32>(op, |s| par_chunks_mut(s, k.f32_inplace)),
        DType::F64 => x.modify::<f64>(op, |s| par_chunks_mut(s, k.f64_inplace)),
        d => panic!(
            "{op}: result type {} can't be cast to the desired output type {d}",
            d.to_float()
        ),
    }
}

/// Maps every element with `f`, keeping the dtype.
pub(crate) fn map_same<T: StorageElement>(
    op: &str,
    x: &Tensor,
    f: impl Fn(T) -> T + Sync,
) -> Tensor {
    let v = x.with_contiguous(|s: &[T]| {
        let mut out = output_vec_for::<T>(op, s.len());
        par_zip(s, &mut out, |a, b| {
            for (o, &i) in b.iter_mut().zip(a) {
                *o = f(i);
            }
        });
        out
    });
    Tensor::from_vec(v, x.shape())
}

/// Maps every element in place with `f`.
pub(crate) fn map_same_<T: StorageElement>(op: &str, x: &Tensor, f: impl Fn(T) -> T + Sync) {
    x.assert_no_internal_overlap(op);
    x.modify::<T>(op, |s| {
        par_chunks_mut(s, |c| {
            for v in c.iter_mut() {
                *v = f(*v);
            }
        })
    });
}

/// Defines slice kernels from a scalar expression valid for both `f32` and `f64`.
macro_rules! std_kernel {
    ($name:ident, |$v:ident| $body:expr) => {
        #[allow(non_upper_case_globals)]
        #[doc = concat!("Kernels of `", stringify!($name), "`.")]
        pub const $name: FloatKernel = {
            fn f32(x: &[f32], y: &mut [f32]) {
                for (o, &$v) in y.iter_mut().zip(x) {
                    *o = $body;
                }
            }
            fn f32_inplace(x: &mut [f32]) {
                for o in x.iter_mut() {
                    let $v = *o;
                    *o = $body;
                }
            }
            fn f64(x: &[f64], y: &mut [f64]) {
                for (o, &$v) in y.iter_mut().zip(x) {
                    *o = $body;
                }
            }
            fn f64_inplace(x: &mut [f64]) {
                for o in x.iter_mut() {
                    let $v = *o;
                    *o = $body;
                }
            }
            FloatKernel {
                name: stringify!($name),
                f32,
                f32_inplace,
                f64,
                f64_inplace,
            }
        };
    };
}

/// Wraps the `tessera-kernels` functions of one op.
macro_rules! kernel_of {
    ($name:ident, $a:ident, $b:ident, $c:ident, $d:ident) => {
        #[allow(non_upper_case_globals)]
        #[doc = concat!("Kernels of `", stringify!($name), "` from `tessera-kernels`.")]
        pub const $name: FloatKernel = FloatKernel {
            name: stringify!($name),
            f32: tessera_kernels::$a,
            f32_inplace: tessera_kernels::$b,
            f64: tessera_kernels::$c,
            f64_inplace: tessera_kernels::$d,
        };
    };
}

/// The kernels of every float unary op, by name.
pub mod kernels {
    use super::FloatKernel;
    kernel_of!(
        expm1,
        expm1_f32,
        expm1_f32_inplace,
        expm1_f64,
        expm1_f64_inplace
    );
    kernel_of!(exp, exp_f32, exp_f32_inplace, exp_f64, exp_f64_inplace);
    kernel_of!(
        log1p,
        log1p_f32,
        log1p_f32_inplace,
        log1p_f64,
        log1p_f64_inplace
    );
    kernel_of!(log, log_f32, log_f32_inplace, log_f64, log_f64_inplace);
    kernel_of!(tanh, tanh_f32, tanh_f32_inplace, tanh_f64, tanh_f64_inplace);
    kernel_of!(
        sigmoid,
        sigmoid_f32,
        sigmoid_f32_inplace,
        sigmoid_f64,
        sigmoid_f64_inplace
    );
    kernel_of!(
        softplus,
        softplus_f32,
        softplus_f32_inplace,
        softplus_f64,
        softplus_f64_inplace
    );
    std_kernel!(sqrt, |v| v.sqrt());
    std_kernel!(rsqrt, |v| 1.0 / v.sqrt());
    std_kernel!(sin, |v| v.sin());
    std_kernel!(cos, |v| v.cos());
    std_kernel!(reciprocal, |v| 1.0 / v);
}

/// Defines the three forms of float unary ops.
macro_rules! float_ops {
    ($($name:ident, $name_:ident, $name_out:ident, $saves:ident, |$g:ident, $x:ident, $y:ident| $bw:expr, $doc:literal;)*) => {
        impl Tensor {$(
            #[doc = $doc]
            ///
            /// Bool and integer inputs give the default float dtype. Differentiable.
            pub fn $name(&self) -> Tensor {
                record(stringify!($name), &[self], Saves::$saves, || float_unary(self, &kernels::$name), |$g, $y, inputs| {
                    let $x = &inputs[0];
                    let _ = (&$x, &$y);
                    vec![Some($bw)]
                })
            }

            #[doc = concat!("In-place [`Tensor::", stringify!($name), "`]; returns `self`.")]
            ///
            /// # Panics
            /// If the tensor is not a float tensor.
            pub fn $name_(&self) -> &Tensor {
                float_unary_(self, &kernels::$name);
                self
            }
        )*}

        $(
            #[doc = concat!("[`Tensor::", stringify!($name), "`] written into `out` (`torch.", stringify!($name), "(x, out=out)`): straight into `out`'s storage when it is contiguous and shares none with `x`, in place when `out` is `x`.")]
            ///
            /// # Panics
            /// If `out` is not empty and its shape differs from `x`'s, or its dtype from
            /// the result's (an empty `out` is resized, as PyTorch does).
            pub fn $name_out(x: &Tensor, out: &mut Tensor) {
                float_unary_out(x, &kernels::$name, out)
            }
        )*
    };
}

float_ops! {
    expm1, expm1_, expm1_out, Output, |g, x, y| g * (y + 1.0), "`e^x - 1`, accurate for small `x` where `exp(x) - 1` cancels (`torch.expm1`).\n\n```\nlet y = tessera_core::tensor!([1.0, 2.0, 3.0]).expm1();\nassert!((y.get::<f32>(&[0]) - 1.7182817).abs() < 1e-6);\n```\n\n# Accuracy\nf32: correctly rounded; f64: within 1 ULP (see ACCURACY.md).";
    exp, exp_, exp_out, Output, |g, x, y| g * y, "`e^x` (`torch.exp`).\n\n# Accuracy\nf32: correctly rounded; f64: within 1 ULP.";
    log1p, log1p_, log1p_out, Inputs, |g, x, y| g / (x + 1.0), "`ln(1 + x)`, accurate for small `x` (`torch.log1p`). NaN below -1, `-inf` at -1.\n\n# Accuracy\nf32: correctly rounded; f64: within 1 ULP.";
    log, log_, log_out, Inputs, |g, x, y| g / x, "Natural logarithm (`torch.log`). NaN for negative inputs, `-inf` at 0.\n\n# Accuracy\nf32: correctly rounded; f64: within 1 ULP.";
    tanh, tanh_, tanh_out, Output, |g, x, y| g * (1.0 - y * y), "Hyperbolic tangent (`torch.tanh`), from `expm1` so it is accurate near 0.\n\n# Accuracy\nf32: correctly rounded; f64: within 2 ULP.";
    sigmoid, sigmoid_, sigmoid_out, Output, |g, x, y| g * y * (1.0 - y), "`1 / (1 + e^-x)` (`torch.sigmoid`), computed from `e^-|x|` so it never overflows and keeps tiny results for very negative `x`.\n\n# Accuracy\nf32: within 1 ULP; f64: within 2 ULP.";
    softplus, softplus_, softplus_out, Inputs, |g, x, y| g * x.sigmoid(), "`ln(1 + e^x)` (`torch.nn.functional.softplus` with beta 1), as `max(x, 0) + log1p(e^-|x|)`: never overflows. PyTorch returns `x` itself above 20; tessera keeps the exact value there.\n\n# Accuracy\nf32: within 1 ULP; f64: within 2 ULP.";
    sqrt, sqrt_, sqrt_out, Output, |g, x, y| g * 0.5 / y, "Square root (`torch.sqrt`); NaN for negative inputs. Correctly rounded.";
    rsqrt, rsqrt_, rsqrt_out, Output, |g, x, y| g * -0.5 * y * y * y, "`1 / sqrt(x)` (`torch.rsqrt`); `inf` at 0. Within 1 ULP.";
    sin, sin_, sin_out, Inputs, |g, x, y| g * x.cos(), "Sine (`torch.sin`), from Rust's `std` (platform libm).";
    cos, cos_, cos_out, Inputs, |g, x, y| -(g * x.sin()), "Cosine (`torch.cos`), from Rust's `std` (platform libm).";
    reciprocal, reciprocal_, reciprocal_out, Output, |g, x, y| -(g * y * y), "`1 / x` (`torch.reciprocal`); `inf` at 0. Correctly rounded.";
}

/// Defines the three forms of dtype-keeping unary ops from an [`Arith`] expression.
macro_rules! same_ops {
    ($($name:ident, $name_:ident, $name_out:ident, |$v:ident: $T:ident| $body:expr, $check:expr, $saves:ident, |$g:ident, $x:ident, $y:ident| $bw:expr, $doc:literal;)*) => {
        impl Tensor {$(
            #[doc = $doc]
            pub fn $name(&self) -> Tensor {
                let check: fn(&str, DType) = $check;
                check(stringify!($name), self.dtype());
                record(stringify!($name), &[self], Saves::$saves, || dispatch!(self.dtype(), $T => map_same::<$T>(stringify!($name), self, |$v| $body)), |$g, $y, inputs| {
                    let $x = &inputs[0];
                    let _ = (&$x, &$y);
                    vec![Some($bw)]
                })
            }

            #[doc = concat!("In-place [`Tensor::", stringify!($name), "`]; returns `self`.")]
            pub fn $name_(&self) -> &Tensor {
                let check: fn(&str, DType) = $check;
                check(concat!(stringify!($name), "_"), self.dtype());
                dispatch!(self.dtype(), $T => map_same_::<$T>(concat!(stringify!($name), "_"), self, |$v| $body));
                self
            }
        )*}

        $(
            #[doc = concat!("[`Tensor::", stringify!($name), "`] written into `out`, through a temporary.")]
            ///
            /// # Panics
            /// If `out` is not empty and its shape differs from the result's, or its dtype
            /// (an empty `out` is resized, as PyTorch does).
            pub fn $name_out(x: &Tensor, out: &mut Tensor) {
                write_out(stringify!($name), &[x], || x.$name(), out)
            }
        )*
    };
}

/// `max(v, 0)` keeping NaN and `-0.0`, as PyTorch (bool tensors are rejected before this runs).
#[inline]
fn relu_of<T: Arith>(v: T) -> T {
    let zero = T::default();
    if v.partial_cmp(&zero) == Some(std::cmp::Ordering::Less) {
        zero
    } else {
        v
    }
}

fn any_dtype(_: &str, _: DType) {}

fn no_bool(op: &str, d: DType) {
    assert!(
        d != DType::Bool,
        "{op}: not supported for bool tensors (dtype {d}); use logical_not or cast first"
    );
}

same_ops! {
    neg, neg_, neg_out, |v: T| <T as Arith>::neg(v), no_bool, Nothing, |g, x, y| -g, "`-x` (`torch.neg`). Integers wrap.\n\n# Panics\nOn bool tensors, as PyTorch.";
    abs, abs_, abs_out, |v: T| <T as Arith>::abs(v), no_bool, Inputs, |g, x, y| g * x.sign(), "`|x|` (`torch.abs`). `i8::MIN` and the like wrap, as in PyTorch.\n\n# Panics\nOn bool tensors, as PyTorch.";
    square, square_, square_out, |v: T| <T as Arith>::mul(v, v), no_bool, Inputs, |g, x, y| g * x * 2.0, "`x * x` (`torch.square`), keeping the dtype.\n\n# Panics\nOn bool tensors.";
    sign, sign_, sign_out, |v: T| <T as Arith>::sign(v), any_dtype, Nothing, |g, x, y| g.zeros_like(), "-1, 0 or 1 by sign (`torch.sign`); NaN gives 0, as in PyTorch.";
    relu, relu_, relu_out, |v: T| relu_of(v), no_bool, Output, |g, x, y| g.where_(&y.gt(0.0), 0.0), "`max(x, 0)` (`torch.relu`); NaN stays NaN.\n\n# Panics\nOn bool tensors.";
    floor, floor_, floor_out, |v: T| <T as Arith>::floor(v), no_bool, Nothing, |g, x, y| g.zeros_like(), "Round toward -inf (`torch.floor`); integers are unchanged.\n\n# Panics\nOn bool tensors, as PyTorch.";
    ceil, ceil_, ceil_out, |v: T| <T as Arith>::ceil(v), no_bool, Nothing, |g, x, y| g.zeros_like(), "Round toward +inf (`torch.ceil`); integers are unchanged.\n\n# Panics\nOn bool tensors, as PyTorch.";
    round, round_, round_out, |v: T| <T as Arith>::round(v), no_bool, Nothing, |g, x, y| g.zeros_like(), "Round half to even (`torch.round`); integers are unchanged.\n\n# Panics\nOn bool tensors, as PyTorch.";
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tensor;

    #[test]
    fn three_forms_agree() {
        let x = tensor!([0.5, -1.0, 2.0]);
        let y = x.expm1();
        let mut out = Tensor::zeros(&[3]);
        expm1_out(&x, &mut out);
        assert_eq!(out.to_vec::<f32>(), y.to_vec::<f32>());
        let z = x.deep_clone();
        z.expm1_();
        assert_eq!(z.to_vec::<f32>(), y.to_vec::<f32>());
        assert_eq!(x.to_vec::<f32>(), vec![0.5, -1.0, 2.0]);
    }

    #[test]
    fn int_input_promotes() {
        let y = tensor!([0, 1]).exp();
        assert_eq!(y.dtype(), DType::F32);
        assert_eq!(y.to_vec::<f32>()[0], 1.0);
        assert_eq!(tensor!([-2, 3]).abs().to_vec::<i64>(), vec![2, 3]);
    }

    #[test]
    #[should_panic(
        expected = "exp_: result type torch.float32 can't be cast to the desired output type torch.int64"
    )]
    fn inplace_float_op_on_int_panics() {
        tensor!([1, 2]).exp_();
    }

    #[test]
    #[should_panic(expected = "expm1_out: out has shape [2] but the result has shape [3]")]
    fn out_shape_mismatch_panics() {
        expm1_out(&tensor!([1.0, 2.0, 3.0]), &mut Tensor::zeros(&[2]));
    }

    #[test]
    #[should_panic(
        expected = "expm1_out: out has dtype torch.float64 but the result has dtype torch.float32"
    )]
    fn out_dtype_mismatch_panics() {
        expm1_out(&tensor!([1.0]), &mut Tensor::zeros_dtype(&[1], DType::F64));
    }

    #[test]
    #[should_panic(expected = "neg: not supported for bool tensors")]
    fn neg_bool_panics() {
        tensor!([true]).neg();
    }

    #[test]
    fn inplace_on_views() {
        let x = Tensor::arange(0, 6).to_dtype(DType::F64).reshape([2, 3]);
        x.t().select(0, 1).exp_(); // column 1
        let v = x.to_vec::<f64>();
        assert_eq!(v[1], 1f64.exp());
        assert_eq!(v[4], 4f64.exp());
        assert_eq!(v[0], 0.0);
        // expanded views compute per logical element
        let e = tensor!([[2.0]]).expand([2, 2]).sqrt();
        assert_eq!(e.to_vec::<f32>(), vec![2f32.sqrt(); 4]);
    }

    #[test]
    fn special_values() {
        let x = tensor!(
            [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -0.0],
            dtype = DType::F64
        );
        let e = x.expm1().to_vec::<f64>();
        assert!(e[0].is_nan());
        assert_eq!(&e[1..3], &[f64::INFINITY, -1.0]);
        assert!(e[3] == 0.0 && e[3].is_sign_negative());
        let r = x.relu().to_vec::<f64>();
        assert!(r[0].is_nan());
        assert_eq!(&r[1..], &[f64::INFINITY, 0.0, 0.0]);
        assert_eq!(
            tensor!([-0.5, 0.5, 1.5, 2.5]).round().to_vec::<f32>(),
            vec![-0.0, 0.0, 2.0, 2.0]
        );
        let s = tensor!([-1000.0, 1000.0]).sigmoid().to_vec::<f32>();
        assert_eq!(s, vec![0.0, 1.0]);
        assert!(tensor!([-100.0]).sigmoid().item::<f32>() > 0.0); // no flush to 0
    }

    #[test]
    fn relu_keeps_negative_zero_and_sign_of_nan_is_zero() {
        // Regressions against torch: relu(-0.0) is -0.0, sign(NaN) is 0.
        let r = tensor!([-0.0, -1.0]).relu().to_vec::<f32>();
        assert!(r[0] == 0.0 && r[0].is_sign_negative());
        assert!(r[1] == 0.0 && r[1].is_sign_positive());
        assert_eq!(tensor!([f32::NAN]).sign().to_vec::<f32>(), vec![0.0]);
    }

    #[test]
    #[should_panic(
        expected = "exp_: unsupported operation: more than one element of the written-to tensor refers to a single memory location"
    )]
    fn inplace_on_expanded_panics() {
        // Regression: each copy of an element was written in turn (last one won).
        Tensor::zeros(&[3, 1]).expand([3, 4]).exp_();
    }

    #[test]
    #[should_panic(expected = "floor: not supported for bool tensors")]
    fn floor_bool_panics() {
        tensor!([true]).floor();
    }

    #[test]
    fn zero_size_and_0dim() {
        assert_eq!(Tensor::zeros(&[0, 3]).exp().shape(), &[0, 3]);
        let s = tensor!(0.0).expm1();
        assert_eq!((s.dim(), s.item::<f32>()), (0, 0.0));
    }

    #[test]
    fn large_strided_inputs_use_chunked_gather() {
        let x = Tensor::linspace_dtype(-3.0, 3.0, 300 * 401, DType::F64).reshape([300, 401]);
        let y = x.t().expm1();
        assert_eq!(y.shape(), &[401, 300]);
        // the strided path must give the contiguous path's bits
        assert_eq!(
            y.to_vec::<f64>(),
            x.t().contiguous().expm1().to_vec::<f64>()
        );
    }

    #[test]
    fn large_tensors_split_across_threads() {
        let n = 200_000;
        let x = Tensor::linspace_dtype(-5.0, 5.0, n, DType::F64);
        let y = x.tanh().to_vec::<f64>();
        let xs = x.to_vec::<f64>();
        for i in (0..n).step_by(997) {
            assert!((y[i] - xs[i].tanh()).abs() <= 4.0 * f64::EPSILON);
        }
    }
}
