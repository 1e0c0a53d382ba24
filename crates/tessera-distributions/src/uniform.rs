//! [`Uniform`]: `torch.distributions.Uniform(low, high)`.

use crate::constraints::Constraint;
use crate::distribution::{
    check_expand, check_param, default_validate_args, repr_of, validate_sample, Distribution,
};
use crate::util::{broadcast_all, extended};
use std::any::Any;
use tessera_core::{Generator, Result, Tensor};

/// The uniform distribution on `[low, high)`.
///
/// ```
/// use tessera_core::tensor;
/// use tessera_distributions::{Distribution, Uniform};
/// let d = Uniform::new(&tensor!(0.0), &tensor!(4.0)).unwrap();
/// assert_eq!(d.log_prob(&tensor!(1.0)).unwrap().item::<f32>(), -(4f32.ln()));
/// assert!(Uniform::new(&tensor!(1.0), &tensor!(1.0)).is_err());
/// ```
#[derive(Clone, Debug)]
pub struct Uniform {
    /// The lower bound.
    pub low: Tensor,
    /// The upper bound.
    pub high: Tensor,
    validate: bool,
}

impl Uniform {
    /// `Uniform(low, high)` with validation per [`default_validate_args`].
    ///
    /// # Errors
    /// With validation on: `low < high` fails anywhere (PyTorch's constraints:
    /// `low` must satisfy `LessThan(upper_bound=high)`, `high` `GreaterThan(low)`).
    ///
    /// # Panics
    /// If the shapes do not broadcast.
    pub fn new(low: &Tensor, high: &Tensor) -> Result<Uniform> {
        Uniform::new_with(low, high, default_validate_args())
    }

    /// `Uniform(low, high, validate_args=validate)`.
    ///
    /// # Errors
    /// As [`Uniform::new`] when `validate` is true.
    ///
    /// # Panics
    /// If the shapes do not broadcast.
    pub fn new_with(low: &Tensor, high: &Tensor, validate: bool) -> Result<Uniform> {
        let p = broadcast_all("Uniform", &[low, high]);
        let d = Uniform {
            low: p[0].clone(),
            high: p[1].clone(),
            validate,
        };
        if validate {
            let r = || d.repr();
            let (lo, hi) = (d.low.detach(), d.high.detach());
            check_param("Uniform", &r, "low", &d.low, &Constraint::LessThan(hi))?;
            check_param("Uniform", &r, "high", &d.high, &Constraint::GreaterThan(lo))?;
        }
        Ok(d)
    }
}

impl Distribution for Uniform {
    fn repr(&self) -> String {
        repr_of("Uniform", &[("low", &self.low), ("high", &self.high)])
    }
    fn batch_shape(&self) -> &[usize] {
        self.low.shape()
    }
    fn event_shape(&self) -> &[usize] {
        &[]
    }
    fn support(&self) -> Constraint {
        Constraint::Interval(self.low.detach(), self.high.detach())
    }
    fn validate_args(&self) -> bool {
        self.validate
    }
    fn has_rsample(&self) -> bool {
        true
    }
    fn rsample(&self, shape: &[usize], g: &mut Generator) -> Result<Tensor> {
        let u = g.rand(&extended(shape, self.batch_shape(), &[]), self.low.dtype());
        Ok(&self.low + u * (&self.high - &self.low))
    }
    fn log_prob(&self, value: &Tensor) -> Result<Tensor> {
        if self.validate {
            validate_sample(self, value)?;
        }
        let inside = self.low.le(value).logical_and(&self.high.gt(value));
        Ok(inside.to_dtype(self.low.dtype()).log() - (&self.high - &self.low).log())
    }
    fn cdf(&self, value: &Tensor) -> Result<Tensor> {
        if self.validate {
            validate_sample(self, value)?;
        }
        Ok(((value - &self.low) / (&self.high - &self.low)).clamp(Some(0.0), Some(1.0)))
    }
    fn icdf(&self, value: &Tensor) -> Result<Tensor> {
        Ok(value * (&self.high - &self.low) + &self.low)
    }
    fn entropy(&self) -> Result<Tensor> {
        Ok((&self.high - &self.low).log())
    }
    fn mean(&self) -> Result<Tensor> {
        Ok((&self.high + &self.low) / 2.0)
    }
    fn mode(&self) -> Result<Tensor> {
        Ok(&self.high * f64::NAN)
    }
    fn variance(&self) -> Result<Tensor> {
        Ok((&self.high - &self.low).square() / 12.0)
    }
    fn expand(&self, batch_shape: &[usize]) -> Result<Box<dyn Distribution>> {
        check_expand(&self.repr(), self.batch_shape(), batch_shape)?;
        Ok(Box::new(Uniform {
            low: self.low.expand(batch_shape.to_vec()),
            high: self.high.expand(batch_shape.to_vec()),
            validate: self.validate,
        }))
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}
