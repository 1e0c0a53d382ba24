//! Elementwise kernels. Scalar reference versions; see the crate docs for accuracy.

macro_rules! unary_kernel {
    ($name:ident, $name_inplace:ident, $t:ty, $f:expr, $doc:literal) => {
        #[doc = $doc]
        ///
        /// # Panics
        /// If `x` and `y` have different lengths.
        pub fn $name(x: &[$t], y: &mut [$t]) {
            assert_eq!(
                x.len(),
                y.len(),
                concat!(
                    stringify!($name),
                    ": input has {} elements but output has {}"
                ),
                x.len(),
                y.len()
            );
            let f: fn($t) -> $t = $f;
            for (o, &i) in y.iter_mut().zip(x) {
                *o = f(i);
            }
        }

        #[doc = $doc]
        /// In place.
        pub fn $name_inplace(x: &mut [$t]) {
            let f: fn($t) -> $t = $f;
            for v in x.iter_mut() {
                *v = f(*v);
            }
        }
    };
}

fn sigmoid64(x: f64) -> f64 {
    let z = (-x.abs()).exp();
    let r = 1.0 / (1.0 + z);
    if x >= 0.0 {
        r
    } else if x.is_nan() {
        x
    } else {
        z * r
    }
}

fn softplus64(x: f64) -> f64 {
    if x.is_nan() {
        return x;
    }
    x.max(0.0) + (-x.abs()).exp().ln_1p()
}

unary_kernel!(
    expm1_f32,
    expm1_f32_inplace,
    f32,
    |v| (v as f64).exp_m1() as f32,
    "e^x - 1 for f32."
);
unary_kernel!(
    expm1_f64,
    expm1_f64_inplace,
    f64,
    |v| v.exp_m1(),
    "e^x - 1 for f64."
);
unary_kernel!(
    exp_f32,
    exp_f32_inplace,
    f32,
    |v| (v as f64).exp() as f32,
    "e^x for f32."
);
unary_kernel!(exp_f64, exp_f64_inplace, f64, |v| v.exp(), "e^x for f64.");
unary_kernel!(
    log1p_f32,
    log1p_f32_inplace,
    f32,
    |v| (v as f64).ln_1p() as f32,
    "ln(1 + x) for f32."
);
unary_kernel!(
    log1p_f64,
    log1p_f64_inplace,
    f64,
    |v| v.ln_1p(),
    "ln(1 + x) for f64."
);
unary_kernel!(
    log_f32,
    log_f32_inplace,
    f32,
    |v| (v as f64).ln() as f32,
    "ln(x) for f32."
);
unary_kernel!(log_f64, log_f64_inplace, f64, |v| v.ln(), "ln(x) for f64.");
unary_kernel!(
    tanh_f32,
    tanh_f32_inplace,
    f32,
    |v| (v as f64).tanh() as f32,
    "tanh(x) for f32."
);
unary_kernel!(
    tanh_f64,
    tanh_f64_inplace,
    f64,
    |v| v.tanh(),
    "tanh(x) for f64."
);
unary_kernel!(
    sigmoid_f32,
    sigmoid_f32_inplace,
    f32,
    |v| sigmoid64(v as f64) as f32,
    "1 / (1 + e^-x) for f32."
);
unary_kernel!(
    sigmoid_f64,
    sigmoid_f64_inplace,
    f64,
    sigmoid64,
    "1 / (1 + e^-x) for f64."
);
unary_kernel!(
    softplus_f32,
    softplus_f32_inplace,
    f32,
    |v| softplus64(v as f64) as f32,
    "ln(1 + e^x) for f32."
);
unary_kernel!(
    softplus_f64,
    softplus_f64_inplace,
    f64,
    softplus64,
    "ln(1 + e^x) for f64."
);
