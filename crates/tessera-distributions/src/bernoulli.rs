//! [`Bernoulli`]: `torch.distributions.Bernoulli(probs=None, logits=None)`.

use crate::constraints::Constraint;
use crate::distribution::{
    check_expand, check_param, default_validate_args, repr_of, validate_sample, Distribution,
};
use crate::util::{broadcast_all, extended};
use std::any::Any;
use tessera_core::{DType, Error, Generator, Result, Tensor};

/// `probs` clamped to `[eps, 1 - eps]` (PyTorch's `clamp_probs`).
pub(crate) fn clamp_probs(p: &Tensor) -> Tensor {
    let eps = match p.dtype() {
        DType::F32 => f32::EPSILON as f64,
        _ => f64::EPSILON,
    };
    p.clamp(Some(eps), Some(1.0 - eps))
}

/// A Bernoulli distribution: 1 with probability `probs` (or `sigmoid(logits)`).
/// Samples are floats of the parameters' dtype, as in PyTorch.
///
/// ```
/// use tessera_core::tensor;
/// use tessera_distributions::{Bernoulli, Distribution};
/// let d = Bernoulli::from_probs(&tensor!([0.25])).unwrap();
/// let lp = d.log_prob(&tensor!([1.0])).unwrap();
/// assert!((lp.item::<f32>() - 0.25f32.ln()).abs() < 1e-6);
/// ```
#[derive(Clone, Debug)]
pub struct Bernoulli {
    /// The probability of 1.
    pub probs: Tensor,
    /// `ln(p / (1 - p))`.
    pub logits: Tensor,
    from_logits: bool,
    validate: bool,
}

impl Bernoulli {
    /// `Bernoulli(probs=..., logits=...)`: exactly one must be given.
    ///
    /// # Errors
    /// "Either `probs` or `logits` must be specified, but not both." when both or
    /// neither are given; with validation on, probs outside `[0, 1]` or NaN logits.
    pub fn new_with(
        probs: Option<&Tensor>,
        logits: Option<&Tensor>,
        validate: bool,
    ) -> Result<Bernoulli> {
        let d = match (probs, logits) {
            (Some(p), None) => {
                let p = broadcast_all("Bernoulli", &[p]).remove(0);
                let c = clamp_probs(&p);
                Bernoulli {
                    logits: c.log() - (-&c).log1p(),
                    probs: p,
                    from_logits: false,
                    validate,
                }
            }
            (None, Some(l)) => {
                let l = broadcast_all("Bernoulli", &[l]).remove(0);
                Bernoulli {
                    probs: l.sigmoid(),
                    logits: l,
                    from_logits: true,
                    validate,
                }
            }
            _ => {
                return Err(Error::Msg(
                    "Either `probs` or `logits` must be specified, but not both.".into(),
                ))
            }
        };
        if validate {
            let r = || d.repr();
            if d.from_logits {
                check_param("Bernoulli", &r, "logits", &d.logits, &Constraint::Real)?;
            } else {
                check_param(
                    "Bernoulli",
                    &r,
                    "probs",
                    &d.probs,
                    &Constraint::unit_interval(),
                )?;
            }
        }
        Ok(d)
    }

    /// `Bernoulli(probs=probs)`.
    ///
    /// # Errors
    /// With validation on: probs outside `[0, 1]`.
    pub fn from_probs(probs: &Tensor) -> Result<Bernoulli> {
        Bernoulli::new_with(Some(probs), None, default_validate_args())
    }

    /// `Bernoulli(logits=logits)`.
    ///
    /// # Errors
    /// With validation on: NaN logits.
    pub fn from_logits(logits: &Tensor) -> Result<Bernoulli> {
        Bernoulli::new_with(None, Some(logits), default_validate_args())
    }
}

impl Distribution for Bernoulli {
    fn repr(&self) -> String {
        if self.from_logits {
            repr_of("Bernoulli", &[("logits", &self.logits)])
        } else {
            repr_of("Bernoulli", &[("probs", &self.probs)])
        }
    }
    fn batch_shape(&self) -> &[usize] {
        self.probs.shape()
    }
    fn event_shape(&self) -> &[usize] {
        &[]
    }
    fn support(&self) -> Constraint {
        Constraint::Boolean
    }
    fn validate_args(&self) -> bool {
        self.validate
    }
    fn sample(&self, shape: &[usize], g: &mut Generator) -> Tensor {
        let _ng = tessera_core::autograd::no_grad();
        let u = g.rand(
            &extended(shape, self.batch_shape(), &[]),
            self.probs.dtype(),
        );
        u.lt(&self.probs).to_dtype(self.probs.dtype())
    }
    fn log_prob(&self, value: &Tensor) -> Result<Tensor> {
        if self.validate {
            validate_sample(self, value)?;
        }
        // -binary_cross_entropy_with_logits(logits, value)
        Ok(&self.logits * value - self.logits.softplus())
    }
    fn entropy(&self) -> Result<Tensor> {
        Ok(self.logits.softplus() - &self.logits * &self.probs)
    }
    fn mean(&self) -> Result<Tensor> {
        Ok(self.probs.clone())
    }
    fn mode(&self) -> Result<Tensor> {
        let m = self.probs.ge(0.5).to_dtype(self.probs.dtype());
        Ok(m.where_(&self.probs.ne(0.5), f64::NAN))
    }
    fn variance(&self) -> Result<Tensor> {
        Ok(&self.probs * (1.0 - &self.probs))
    }
    fn expand(&self, batch_shape: &[usize]) -> Result<Box<dyn Distribution>> {
        check_expand(&self.repr(), self.batch_shape(), batch_shape)?;
        let b = batch_shape.to_vec();
        Ok(Box::new(Bernoulli {
            probs: self.probs.expand(b.clone()),
            logits: self.logits.expand(b),
            from_logits: self.from_logits,
            validate: self.validate,
        }))
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}
