//! [`Exponential`]: `torch.distributions.Exponential(rate)`.

use crate::constraints::Constraint;
use crate::distribution::{
    check_expand, check_param, default_validate_args, repr_of, validate_sample, Distribution,
};
use crate::util::{broadcast_all, extended};
use std::any::Any;
use tessera_core::{Generator, Result, Tensor};

/// The exponential distribution with `rate` (mean `1 / rate`).
///
/// ```
/// use tessera_core::tensor;
/// use tessera_distributions::{Distribution, Exponential};
/// let d = Exponential::new(&tensor!(2.0)).unwrap();
/// assert_eq!(d.mean().unwrap().item::<f32>(), 0.5);
/// ```
#[derive(Clone, Debug)]
pub struct Exponential {
    /// The rate.
    pub rate: Tensor,
    validate: bool,
}

impl Exponential {
    /// `Exponential(rate)` with validation per [`default_validate_args`].
    ///
    /// # Errors
    /// With validation on: `rate` not positive.
    pub fn new(rate: &Tensor) -> Result<Exponential> {
        Exponential::new_with(rate, default_validate_args())
    }

    /// `Exponential(rate, validate_args=validate)`.
    ///
    /// # Errors
    /// As [`Exponential::new`] when `validate` is true.
    pub fn new_with(rate: &Tensor, validate: bool) -> Result<Exponential> {
        let d = Exponential {
            rate: broadcast_all("Exponential", &[rate]).remove(0),
            validate,
        };
        if validate {
            check_param(
                "Exponential",
                &|| d.repr(),
                "rate",
                &d.rate,
                &Constraint::positive(),
            )?;
        }
        Ok(d)
    }
}

impl Distribution for Exponential {
    fn repr(&self) -> String {
        repr_of("Exponential", &[("rate", &self.rate)])
    }
    fn batch_shape(&self) -> &[usize] {
        self.rate.shape()
    }
    fn event_shape(&self) -> &[usize] {
        &[]
    }
    fn support(&self) -> Constraint {
        Constraint::nonnegative()
    }
    fn validate_args(&self) -> bool {
        self.validate
    }
    fn has_rsample(&self) -> bool {
        true
    }
    fn rsample(&self, shape: &[usize], g: &mut Generator) -> Result<Tensor> {
        let u = g.rand(&extended(shape, self.batch_shape(), &[]), self.rate.dtype());
        // -ln(1 - u) with u in [0, 1): a standard exponential, never inf
        Ok(-((-u).log1p()) / &self.rate)
    }
    fn log_prob(&self, value: &Tensor) -> Result<Tensor> {
        if self.validate {
            validate_sample(self, value)?;
        }
        Ok(self.rate.log() - &self.rate * value)
    }
    fn cdf(&self, value: &Tensor) -> Result<Tensor> {
        if self.validate {
            validate_sample(self, value)?;
        }
        Ok(-((-(&self.rate * value)).expm1()))
    }
    fn icdf(&self, value: &Tensor) -> Result<Tensor> {
        Ok(-((-value).log1p()) / &self.rate)
    }
    fn entropy(&self) -> Result<Tensor> {
        Ok(1.0 - self.rate.log())
    }
    fn mean(&self) -> Result<Tensor> {
        Ok(self.rate.reciprocal())
    }
    fn mode(&self) -> Result<Tensor> {
        Ok(self.rate.zeros_like())
    }
    fn variance(&self) -> Result<Tensor> {
        Ok(self.rate.square().reciprocal())
    }
    fn expand(&self, batch_shape: &[usize]) -> Result<Box<dyn Distribution>> {
        check_expand(&self.repr(), self.batch_shape(), batch_shape)?;
        Ok(Box::new(Exponential {
            rate: self.rate.expand(batch_shape.to_vec()),
            validate: self.validate,
        }))
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}
