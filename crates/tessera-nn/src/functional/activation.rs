//! Activations and `dropout`.

use crate::{float_dispatch, Float};
use tessera_core::autograd::{custom_op, Saves};
use tessera_core::{Element, Generator, Tensor};

/// `max(x, 0)` (`F.relu`); NaN stays NaN.
pub fn relu(x: &Tensor) -> Tensor {
    x.relu()
}

/// `x` where positive, `negative_slope * x` elsewhere (`F.leaky_relu`).
pub fn leaky_relu(x: &Tensor, negative_slope: f64) -> Tensor {
    x.where_(&x.gt(0.0), x.mul(negative_slope))
}

/// `x * sigmoid(x)` (`F.silu`), from core's overflow-free `sigmoid`.
pub fn silu(x: &Tensor) -> Tensor {
    x * &x.sigmoid()
}

/// Which GELU (`approximate=` of `F.gelu`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Gelu {
    /// `x * Phi(x)` with the exact normal CDF (`approximate="none"`).
    #[default]
    Exact,
    /// `0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3)))` (`approximate="tanh"`).
    Tanh,
}

fn map<T: Float>(x: &Tensor, f: impl Fn(T) -> T) -> Tensor {
    let v = x.with_contiguous(|s: &[T]| s.iter().map(|&v| f(v)).collect::<Vec<T>>());
    Tensor::from_vec(v, x.shape())
}

/// GELU (`F.gelu(x, approximate)`). The exact form uses `libm`'s `erf` (within 1 ULP) in
/// one node with its derivative `Phi(x) + x phi(x)`; the tanh form is composed of core's
/// ops.
///
/// ```
/// use tessera_core::tensor;
/// use tessera_nn::functional::{gelu, Gelu};
/// let y = gelu(&tensor!([0.0, 1.0]), Gelu::Exact);
/// assert!((y.get::<f32>(&[1]) - 0.841_344_7).abs() < 1e-6);
/// ```
///
/// # Panics
/// If `x` is not a float tensor.
pub fn gelu(x: &Tensor, approximate: Gelu) -> Tensor {
    match approximate {
        Gelu::Tanh => {
            let k = (2.0 / std::f64::consts::PI).sqrt();
            let inner = (x + &(x * x * x * 0.044715)) * k;
            x * 0.5 * (inner.tanh() + 1.0)
        }
        Gelu::Exact => custom_op(
            "gelu",
            &[x],
            Saves::Inputs,
            || {
                float_dispatch!("gelu", x.dtype(), T => map::<T>(x, |v| {
                    v * T::from_f64(0.5) * (T::ONE + (v * T::from_f64(std::f64::consts::FRAC_1_SQRT_2)).erf_())
                }))
            },
            |g, _, inp| {
                let x = inp[0].contiguous();
                let d = float_dispatch!("gelu backward", x.dtype(), T => map::<T>(&x, |v| {
                    let cdf = T::from_f64(0.5) * (T::ONE + (v * T::from_f64(std::f64::consts::FRAC_1_SQRT_2)).erf_());
                    let pdf = (-(v * v) * T::from_f64(0.5)).exp() * T::from_f64(0.398_942_280_401_432_7);
                    cdf + v * pdf
                }));
                vec![Some(g * &d)]
            },
        ),
    }
}

/// `softmax` over `dim` (`F.softmax`): core's stable form (subtracts the max).
pub fn softmax(x: &Tensor, dim: isize) -> Tensor {
    x.softmax(dim)
}

/// `log_softmax` over `dim` (`F.log_softmax`): core's stable form.
pub fn log_softmax(x: &Tensor, dim: isize) -> Tensor {
    x.log_softmax(dim)
}

/// Dropout (`F.dropout(x, p, training)`) drawing its mask from the default generator
/// (seeded by `tessera_core::manual_seed`): each element is zeroed with probability `p`
/// and the rest scaled by `1 / (1 - p)`. The identity when not training. The mask's bits
/// differ from PyTorch's (another generator); its distribution is the same.
///
/// # Panics
/// If `p` is outside `[0, 1]` or `x` is not float.
pub fn dropout(x: &Tensor, p: f64, training: bool) -> Tensor {
    tessera_core::with_default_generator(|g| dropout_with(x, p, training, g))
}

/// [`dropout`] with an explicit generator, for reproducible masks.
///
/// ```
/// use tessera_core::{Element, Generator, Tensor};
/// use tessera_nn::functional::dropout_with;
/// let x = Tensor::ones(&[1000]);
/// let a = dropout_with(&x, 0.5, true, &mut Generator::new(7));
/// let b = dropout_with(&x, 0.5, true, &mut Generator::new(7));
/// assert_eq!(a.to_vec::<f32>(), b.to_vec::<f32>());
/// assert!(a.to_vec::<f32>().iter().all(|&v| v == 0.0 || v == 2.0));
/// ```
///
/// # Panics
/// As [`dropout`].
pub fn dropout_with(x: &Tensor, p: f64, training: bool, gen: &mut Generator) -> Tensor {
    assert!(
        (0.0..=1.0).contains(&p),
        "dropout: probability has to be between 0 and 1, but got {p}"
    );
    assert!(
        x.dtype().is_float(),
        "dropout: expected a float tensor, got {}",
        x.dtype()
    );
    if !training || p == 0.0 {
        return x.clone();
    }
    if p == 1.0 {
        return x * 0.0;
    }
    let u = gen.rand(x.shape(), x.dtype());
    let mask = u.ge(p).to_dtype(x.dtype()) * (1.0 / (1.0 - p));
    x * &mask
}
