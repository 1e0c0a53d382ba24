//! The [`Distribution`] trait and argument validation with PyTorch's messages.

use crate::constraints::Constraint;
use crate::util::{torch_size, tuple};
use std::any::Any;
use std::sync::atomic::{AtomicBool, Ordering};
use tessera_core::{Error, Generator, Result, Tensor};

static DEFAULT_VALIDATE: AtomicBool = AtomicBool::new(true);

/// Sets whether distributions made from now on validate their arguments by default
/// (`Distribution.set_default_validate_args`); on at start-up, as in PyTorch.
pub fn set_default_validate_args(on: bool) {
    DEFAULT_VALIDATE.store(on, Ordering::Relaxed);
}

/// The current default of `validate_args`.
pub fn default_validate_args() -> bool {
    DEFAULT_VALIDATE.load(Ordering::Relaxed)
}

/// A probability distribution (`torch.distributions.Distribution`).
///
/// Shapes follow PyTorch: a sample of `sample(shape)` has shape
/// `shape + batch_shape + event_shape`; `log_prob(value)` has the broadcast shape of
/// `value` less the event dims. Parameters are checked when a distribution is built and
/// values when `log_prob`/`cdf`/`icdf` get them, unless validation is off
/// ([`set_default_validate_args`] or the `validate_args` argument of each constructor):
/// a failed check is an `Err` with PyTorch's message.
///
/// Methods a distribution does not define (PyTorch's `NotImplementedError`) return an
/// `Err` naming the method and the distribution.
pub trait Distribution: Send + Sync + 'static {
    /// `Normal(loc: torch.Size([2]), scale: torch.Size([2]))`: the name and parameter
    /// shapes, for messages.
    fn repr(&self) -> String;
    /// The shape over which parameters are batched.
    fn batch_shape(&self) -> &[usize];
    /// The shape of one event.
    fn event_shape(&self) -> &[usize];
    /// The support of the distribution.
    fn support(&self) -> Constraint;
    /// Whether arguments are validated.
    fn validate_args(&self) -> bool;
    /// Whether [`Distribution::rsample`] is implemented.
    fn has_rsample(&self) -> bool {
        false
    }
    /// Samples of shape `shape + batch_shape + event_shape`, outside the autograd graph.
    fn sample(&self, shape: &[usize], g: &mut Generator) -> Tensor {
        let _ng = tessera_core::autograd::no_grad();
        self.rsample(shape, g)
            .unwrap_or_else(|e| panic!("{}: sample: {e}", self.repr()))
    }
    /// Reparameterized samples: gradients flow back to the parameters.
    ///
    /// # Errors
    /// For distributions without a reparameterized sampler (discrete ones).
    fn rsample(&self, shape: &[usize], g: &mut Generator) -> Result<Tensor> {
        let _ = (shape, g);
        Err(not_implemented(&self.repr(), "rsample"))
    }
    /// The log density (or mass) at `value`.
    ///
    /// # Errors
    /// With validation on: `value`'s shape does not broadcast with
    /// `batch_shape + event_shape`, or a value lies outside the support.
    fn log_prob(&self, value: &Tensor) -> Result<Tensor>;
    /// The cumulative distribution function at `value`.
    fn cdf(&self, value: &Tensor) -> Result<Tensor> {
        let _ = value;
        Err(not_implemented(&self.repr(), "cdf"))
    }
    /// The inverse CDF at probabilities `value`.
    fn icdf(&self, value: &Tensor) -> Result<Tensor> {
        let _ = value;
        Err(not_implemented(&self.repr(), "icdf"))
    }
    /// The entropy, of shape `batch_shape`.
    fn entropy(&self) -> Result<Tensor> {
        Err(not_implemented(&self.repr(), "entropy"))
    }
    /// The mean, of shape `batch_shape + event_shape`.
    fn mean(&self) -> Result<Tensor> {
        Err(not_implemented(&self.repr(), "mean"))
    }
    /// The mode.
    fn mode(&self) -> Result<Tensor> {
        Err(not_implemented(&self.repr(), "mode"))
    }
    /// The variance.
    fn variance(&self) -> Result<Tensor> {
        Err(not_implemented(&self.repr(), "variance"))
    }
    /// The standard deviation, `variance().sqrt()`.
    fn stddev(&self) -> Result<Tensor> {
        Ok(self.variance()?.sqrt())
    }
    /// The same distribution with parameters expanded to `batch_shape`.
    ///
    /// # Errors
    /// If the current batch shape does not expand to `batch_shape`.
    fn expand(&self, batch_shape: &[usize]) -> Result<Box<dyn Distribution>>;
    /// For downcasting (the KL registry).
    fn as_any(&self) -> &dyn Any;
}

/// The error of a method a distribution does not define.
pub(crate) fn not_implemented(repr: &str, what: &str) -> Error {
    Error::Msg(format!(
        "{repr}: {what} is not implemented (NotImplementedError)"
    ))
}

/// Checks a parameter against its constraint, with PyTorch's message.
pub(crate) fn check_param(
    dist: &str,
    repr: &dyn Fn() -> String,
    name: &str,
    value: &Tensor,
    c: &Constraint,
) -> Result<()> {
    let ok = c.check(value);
    if ok.all().item::<bool>() {
        return Ok(());
    }
    let _ = dist;
    Err(Error::Msg(format!(
        "Expected parameter {name} (Tensor of shape {}) of distribution {} to satisfy the constraint {c}, but found invalid values:\n{value}",
        tuple(value.shape()),
        repr()
    )))
}

/// Checks `value` against the distribution's shapes and support
/// (`Distribution._validate_sample`), with PyTorch's messages.
pub fn validate_sample<D: Distribution + ?Sized>(d: &D, value: &Tensor) -> Result<()> {
    let ev = d.event_shape();
    let vs = value.shape();
    if vs.len() < ev.len() || &vs[vs.len() - ev.len()..] != ev {
        return Err(Error::Msg(format!(
            "The right-most size of value must match event_shape: {} vs {}.",
            torch_size(vs),
            torch_size(ev)
        )));
    }
    let expected = [d.batch_shape(), ev].concat();
    for (i, j) in vs.iter().rev().zip(expected.iter().rev()) {
        if *i != 1 && *j != 1 && i != j {
            return Err(Error::Msg(format!(
                "Value is not broadcastable with batch_shape+event_shape: {} vs {}.",
                torch_size(vs),
                torch_size(&expected)
            )));
        }
    }
    let support = d.support();
    if !support.check(value).all().item::<bool>() {
        return Err(Error::Msg(format!(
            "Expected value argument (Tensor of shape {}) to be within the support ({support}) of the distribution {}, but found invalid values:\n{value}",
            tuple(vs),
            d.repr()
        )));
    }
    Ok(())
}

/// Checks `batch_shape` is an expansion of `from` (for `expand`).
pub(crate) fn check_expand(repr: &str, from: &[usize], to: &[usize]) -> Result<()> {
    let ok = to.len() >= from.len()
        && from
            .iter()
            .rev()
            .zip(to.iter().rev())
            .all(|(a, b)| a == b || *a == 1);
    if ok {
        Ok(())
    } else {
        Err(Error::Msg(format!(
            "{repr}: the batch shape {} cannot be expanded to {}",
            torch_size(from),
            torch_size(to)
        )))
    }
}

/// `Name(p1: torch.Size([..]), p2: 1.0)`: shapes, or the value of one-element
/// parameters, as PyTorch's `repr`.
pub(crate) fn repr_of(name: &str, params: &[(&str, &Tensor)]) -> String {
    let v: Vec<String> = params
        .iter()
        .map(|(n, t)| {
            if t.numel() == 1 {
                let v = t.detach().to_dtype(tessera_core::DType::F64).reshape([1]);
                format!("{n}: {:?}", v.get::<f64>(&[0]))
            } else {
                format!("{n}: {}", torch_size(t.shape()))
            }
        })
        .collect();
    format!("{name}({})", v.join(", "))
}
