//! The float unary ops: one `unary_op!` each (see the parent module).

use super::unary_op;
use crate::Tensor;
use tessera_kernels as k;

unary_op! {
    /// `e^x - 1`, accurate for small `x` where `exp(x) - 1` cancels (`torch.expm1`).
    ///
    /// Bool and integer inputs give the default float dtype. Differentiable.
    ///
    /// ```
    /// let y = tessera_core::tensor!([1.0, 2.0, 3.0]).expm1();
    /// assert!((y.get::<f32>(&[0]) - 1.7182817).abs() < 1e-6);
    /// ```
    ///
    /// # Accuracy
    /// f32: correctly rounded; f64: within 1 ULP (see ACCURACY.md). Under
    /// [`Precision::High`](crate::Precision): f32 within 1 ULP.
    fn expm1, expm1_, expm1_out = Expm1;
    float kernels(k::expm1_f32, k::expm1_f32_inplace, k::expm1_f64, k::expm1_f64_inplace);
    high kernels(k::high::expm1_f32, k::high::expm1_f32_inplace);
    saves Output, backward |g, x, y| g * (y + 1.0);
}

unary_op! {
    /// `e^x` (`torch.exp`).
    ///
    /// Bool and integer inputs give the default float dtype. Differentiable.
    ///
    /// # Accuracy
    /// f32: correctly rounded; f64: within 1 ULP. Under
    /// [`Precision::High`](crate::Precision): f32 within 1 ULP.
    fn exp, exp_, exp_out = Exp;
    float kernels(k::exp_f32, k::exp_f32_inplace, k::exp_f64, k::exp_f64_inplace);
    high kernels(k::high::exp_f32, k::high::exp_f32_inplace);
    saves Output, backward |g, x, y| g * y;
}

unary_op! {
    /// `ln(1 + x)`, accurate for small `x` (`torch.log1p`). NaN below -1, `-inf` at -1.
    ///
    /// Bool and integer inputs give the default float dtype. Differentiable.
    ///
    /// # Accuracy
    /// f32: correctly rounded; f64: within 1 ULP. Under
    /// [`Precision::High`](crate::Precision): f32 within 1 ULP.
    fn log1p, log1p_, log1p_out = Log1p;
    float kernels(k::log1p_f32, k::log1p_f32_inplace, k::log1p_f64, k::log1p_f64_inplace);
    high kernels(k::high::log1p_f32, k::high::log1p_f32_inplace);
    saves Inputs, backward |g, x, y| g / (x + 1.0);
}

unary_op! {
    /// Natural logarithm (`torch.log`). NaN for negative inputs, `-inf` at 0.
    ///
    /// Bool and integer inputs give the default float dtype. Differentiable.
    ///
    /// # Accuracy
    /// f32: correctly rounded; f64: within 1 ULP. Under
    /// [`Precision::High`](crate::Precision): f32 within 1 ULP.
    fn log, log_, log_out = Log;
    float kernels(k::log_f32, k::log_f32_inplace, k::log_f64, k::log_f64_inplace);
    high kernels(k::high::log_f32, k::high::log_f32_inplace);
    saves Inputs, backward |g, x, y| g / x;
}

unary_op! {
    /// Hyperbolic tangent (`torch.tanh`), from `expm1` so it is accurate near 0.
    ///
    /// Bool and integer inputs give the default float dtype. Differentiable.
    ///
    /// # Accuracy
    /// f32: correctly rounded; f64: within 2 ULP. Under
    /// [`Precision::High`](crate::Precision): f32 within 1 ULP.
    fn tanh, tanh_, tanh_out = Tanh;
    float kernels(k::tanh_f32, k::tanh_f32_inplace, k::tanh_f64, k::tanh_f64_inplace);
    high kernels(k::high::tanh_f32, k::high::tanh_f32_inplace);
    saves Output, backward |g, x, y| g * (1.0 - y * y);
}

unary_op! {
    /// `1 / (1 + e^-x)` (`torch.sigmoid`), computed from `e^-|x|` so it never overflows
    /// and keeps tiny results for very negative `x`.
    ///
    /// Bool and integer inputs give the default float dtype. Differentiable.
    ///
    /// # Accuracy
    /// f32: within 1 ULP; f64: within 2 ULP. Under [`Precision::High`](crate::Precision):
    /// f32 within 1 ULP, faster.
    fn sigmoid, sigmoid_, sigmoid_out = Sigmoid;
    float kernels(k::sigmoid_f32, k::sigmoid_f32_inplace, k::sigmoid_f64, k::sigmoid_f64_inplace);
    high kernels(k::high::sigmoid_f32, k::high::sigmoid_f32_inplace);
    saves Output, backward |g, x, y| g * y * (1.0 - y);
}

unary_op! {
    /// `ln(1 + e^x)` (`torch.nn.functional.softplus` with beta 1), as
    /// `max(x, 0) + log1p(e^-|x|)`: never overflows. PyTorch returns `x` itself above 20;
    /// tessera keeps the exact value there.
    ///
    /// Bool and integer inputs give the default float dtype. Differentiable.
    ///
    /// # Accuracy
    /// f32: within 1 ULP; f64: within 2 ULP. Under [`Precision::High`](crate::Precision):
    /// f32 within 1 ULP, faster.
    fn softplus, softplus_, softplus_out = Softplus;
    float kernels(k::softplus_f32, k::softplus_f32_inplace, k::softplus_f64, k::softplus_f64_inplace);
    high kernels(k::high::softplus_f32, k::high::softplus_f32_inplace);
    saves Inputs, backward |g, x, y| g * x.sigmoid();
}

unary_op! {
    /// Square root (`torch.sqrt`); NaN for negative inputs. Correctly rounded.
    ///
    /// Bool and integer inputs give the default float dtype. Differentiable.
    fn sqrt, sqrt_, sqrt_out = Sqrt;
    float map |v| v.sqrt();
    saves Output, backward |g, x, y| g * 0.5 / y;
}

unary_op! {
    /// `1 / sqrt(x)` (`torch.rsqrt`); `inf` at 0. Within 1 ULP.
    ///
    /// Bool and integer inputs give the default float dtype. Differentiable.
    fn rsqrt, rsqrt_, rsqrt_out = Rsqrt;
    float map |v| 1.0 / v.sqrt();
    saves Output, backward |g, x, y| g * -0.5 * y * y * y;
}

unary_op! {
    /// Sine (`torch.sin`), from Rust's `std` (the platform libm's accuracy).
    ///
    /// Bool and integer inputs give the default float dtype. Differentiable.
    fn sin, sin_, sin_out = Sin;
    float map |v| v.sin();
    saves Inputs, backward |g, x, y| g * x.cos();
}

unary_op! {
    /// Cosine (`torch.cos`), from Rust's `std` (the platform libm's accuracy).
    ///
    /// Bool and integer inputs give the default float dtype. Differentiable.
    fn cos, cos_, cos_out = Cos;
    float map |v| v.cos();
    saves Inputs, backward |g, x, y| -(g * x.sin());
}

unary_op! {
    /// `1 / x` (`torch.reciprocal`); `inf` at 0. Correctly rounded.
    ///
    /// Bool and integer inputs give the default float dtype. Differentiable.
    fn reciprocal, reciprocal_, reciprocal_out = Reciprocal;
    float map |v| 1.0 / v;
    saves Output, backward |g, x, y| -(g * y * y);
}
