//! `torch.nn.init`: fill a tensor in place, under `no_grad`, from the default generator
//! (or an explicit one with the `_with` forms). Bounds and standard deviations are
//! PyTorch's; the random bits differ (another generator).

use tessera_core::autograd::no_grad;
use tessera_core::{with_default_generator, Generator, Tensor};

/// The non-linearity a gain is computed for (`nonlinearity=` of `calculate_gain`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Nonlinearity {
    /// `linear`, `conv*`, `sigmoid`: gain 1.
    Linear,
    /// `tanh`: gain 5/3.
    Tanh,
    /// `relu`: gain sqrt(2).
    Relu,
    /// `leaky_relu` with a negative slope: gain sqrt(2 / (1 + slope^2)).
    LeakyRelu(f64),
    /// `selu`: gain 3/4.
    Selu,
}

/// The recommended gain for a non-linearity (`nn.init.calculate_gain`).
pub fn calculate_gain(n: Nonlinearity) -> f64 {
    match n {
        Nonlinearity::Linear => 1.0,
        Nonlinearity::Tanh => 5.0 / 3.0,
        Nonlinearity::Relu => 2f64.sqrt(),
        Nonlinearity::LeakyRelu(s) => (2.0 / (1.0 + s * s)).sqrt(),
        Nonlinearity::Selu => 0.75,
    }
}

/// `(fan_in, fan_out)` of a weight (`_calculate_fan_in_and_fan_out`): dim 1 and dim 0
/// times the receptive field (the product of the dims after the second).
///
/// # Panics
/// If the tensor has fewer than 2 dims, as PyTorch.
pub fn fan_in_and_fan_out(t: &Tensor) -> (usize, usize) {
    assert!(
        t.dim() >= 2,
        "init: fan in and fan out can not be computed for tensor with fewer than 2 dimensions (shape {:?})",
        t.shape()
    );
    let rf: usize = t.shape()[2..].iter().product();
    (t.shape()[1] * rf, t.shape()[0] * rf)
}

/// Which fan [`kaiming_uniform_`] scales by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fan {
    /// Keeps the forward pass's variance (`mode="fan_in"`).
    In,
    /// Keeps the backward pass's variance (`mode="fan_out"`).
    Out,
}

thread_local! {
    static SKIP: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f` with the random initializers of this module turned into no-ops on this
/// thread (PyTorch's `torch.nn.utils.skip_init`): layers made inside keep zeros where
/// they would draw random values. For models whose weights are loaded right after.
///
/// ```
/// use tessera_nn::{init, Linear, Module};
/// let l = init::skip_init(|| Linear::new(3, 2, true));
/// assert!(l.parameters().iter().all(|p| p.to_vec::<f32>().iter().all(|&v| v == 0.0)));
/// ```
pub fn skip_init<R>(f: impl FnOnce() -> R) -> R {
    let old = SKIP.with(|s| s.replace(true));
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            SKIP.with(|s| s.set(self.0));
        }
    }
    let _r = Restore(old);
    f()
}

fn skipping() -> bool {
    SKIP.with(|s| s.get())
}

fn fill(t: &Tensor, values: Tensor) {
    let _g = no_grad();
    t.copy_(&values);
}

/// `U(a, b)` in place (`nn.init.uniform_`).
pub fn uniform_(t: &Tensor, a: f64, b: f64) {
    with_default_generator(|g| uniform_with(t, a, b, g))
}

/// [`uniform_`] with an explicit generator.
pub fn uniform_with(t: &Tensor, a: f64, b: f64, g: &mut Generator) {
    if skipping() {
        return;
    }
    let u = g.rand(t.shape(), t.dtype());
    fill(t, u * (b - a) + a);
}

/// `N(mean, std^2)` in place (`nn.init.normal_`).
pub fn normal_(t: &Tensor, mean: f64, std: f64) {
    with_default_generator(|g| normal_with(t, mean, std, g))
}

/// [`normal_`] with an explicit generator.
pub fn normal_with(t: &Tensor, mean: f64, std: f64, g: &mut Generator) {
    if skipping() {
        return;
    }
    let n = g.randn(t.shape(), t.dtype());
    fill(t, n * std + mean);
}

/// Fills with `v` (`nn.init.constant_`).
pub fn constant_(t: &Tensor, v: f64) {
    let _g = no_grad();
    t.fill_(v);
}

/// Zeros (`nn.init.zeros_`).
pub fn zeros_(t: &Tensor) {
    constant_(t, 0.0)
}

/// Ones (`nn.init.ones_`).
pub fn ones_(t: &Tensor) {
    constant_(t, 1.0)
}

fn fan(t: &Tensor, mode: Fan) -> usize {
    let (i, o) = fan_in_and_fan_out(t);
    match mode {
        Fan::In => i,
        Fan::Out => o,
    }
}

/// He uniform (`nn.init.kaiming_uniform_(t, a, mode, nonlinearity)`):
/// `U(-bound, bound)`, `bound = gain * sqrt(3 / fan)`. PyTorch's layers call it with
/// `LeakyRelu(sqrt(5))`, giving `bound = 1 / sqrt(fan_in)`.
///
/// # Panics
/// If the tensor has fewer than 2 dims.
pub fn kaiming_uniform_(t: &Tensor, mode: Fan, nonlinearity: Nonlinearity) {
    let f = fan(t, mode);
    if f == 0 {
        return; // PyTorch warns and leaves a zero-element tensor alone
    }
    let bound = calculate_gain(nonlinearity) * (3.0 / f as f64).sqrt();
    uniform_(t, -bound, bound)
}

/// He normal (`nn.init.kaiming_normal_`): `N(0, std^2)`, `std = gain / sqrt(fan)`.
///
/// # Panics
/// If the tensor has fewer than 2 dims.
pub fn kaiming_normal_(t: &Tensor, mode: Fan, nonlinearity: Nonlinearity) {
    let f = fan(t, mode);
    if f == 0 {
        return;
    }
    normal_(t, 0.0, calculate_gain(nonlinearity) / (f as f64).sqrt())
}

/// Glorot uniform (`nn.init.xavier_uniform_(t, gain)`):
/// `bound = gain * sqrt(6 / (fan_in + fan_out))`.
///
/// # Panics
/// If the tensor has fewer than 2 dims.
pub fn xavier_uniform_(t: &Tensor, gain: f64) {
    let (i, o) = fan_in_and_fan_out(t);
    let bound = gain * (6.0 / (i + o).max(1) as f64).sqrt();
    uniform_(t, -bound, bound)
}

/// Glorot normal (`nn.init.xavier_normal_(t, gain)`): `std = gain * sqrt(2 / (fan_in + fan_out))`.
///
/// # Panics
/// If the tensor has fewer than 2 dims.
pub fn xavier_normal_(t: &Tensor, gain: f64) {
    let (i, o) = fan_in_and_fan_out(t);
    normal_(t, 0.0, gain * (2.0 / (i + o).max(1) as f64).sqrt())
}
