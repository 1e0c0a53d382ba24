//! [`Normal`]: `torch.distributions.Normal(loc, scale)`.

use crate::constraints::Constraint;
use crate::distribution::{
    check_expand, check_param, default_validate_args, repr_of, validate_sample, Distribution,
};
use crate::util::{broadcast_all, extended};
use std::any::Any;
use std::f64::consts::{LN_2, PI, SQRT_2};
use tessera_core::{Generator, Result, Tensor};

/// The normal distribution with mean `loc` and standard deviation `scale`.
///
/// ```
/// use tessera_core::{tensor, DType, Generator};
/// use tessera_distributions::{Distribution, Normal};
/// let d = Normal::new(&tensor!([0.0, 1.0], dtype = DType::F64), &tensor!([1.0, 2.0], dtype = DType::F64)).unwrap();
/// let lp = d.log_prob(&tensor!([0.0, 1.0], dtype = DType::F64)).unwrap();
/// assert!((lp.get::<f64>(&[0]) + 0.9189385332046727).abs() < 1e-15);
/// let x = d.sample(&[1000], &mut Generator::new(0));
/// assert_eq!(x.shape(), &[1000, 2]);
/// // a bad scale is an Err with PyTorch's message
/// assert!(Normal::new(&tensor!(0.0), &tensor!(-1.0)).is_err());
/// ```
#[derive(Clone, Debug)]
pub struct Normal {
    /// The mean.
    pub loc: Tensor,
    /// The standard deviation.
    pub scale: Tensor,
    validate: bool,
}

impl Normal {
    /// `Normal(loc, scale)` with validation per [`default_validate_args`].
    ///
    /// # Errors
    /// With validation on: `loc` has NaN, or `scale` is not positive.
    ///
    /// # Panics
    /// If the shapes do not broadcast.
    pub fn new(loc: &Tensor, scale: &Tensor) -> Result<Normal> {
        Normal::new_with(loc, scale, default_validate_args())
    }

    /// `Normal(loc, scale, validate_args=validate)`.
    ///
    /// # Errors
    /// As [`Normal::new`] when `validate` is true.
    ///
    /// # Panics
    /// If the shapes do not broadcast.
    pub fn new_with(loc: &Tensor, scale: &Tensor, validate: bool) -> Result<Normal> {
        let p = broadcast_all("Normal", &[loc, scale]);
        let d = Normal {
            loc: p[0].clone(),
            scale: p[1].clone(),
            validate,
        };
        if validate {
            let r = || d.repr();
            check_param("Normal", &r, "loc", &d.loc, &Constraint::Real)?;
            check_param("Normal", &r, "scale", &d.scale, &Constraint::positive())?;
        }
        Ok(d)
    }

    fn check(&self, value: &Tensor) -> Result<()> {
        if self.validate {
            validate_sample(self, value)?;
        }
        Ok(())
    }
}

impl Distribution for Normal {
    fn repr(&self) -> String {
        repr_of("Normal", &[("loc", &self.loc), ("scale", &self.scale)])
    }
    fn batch_shape(&self) -> &[usize] {
        self.loc.shape()
    }
    fn event_shape(&self) -> &[usize] {
        &[]
    }
    fn support(&self) -> Constraint {
        Constraint::Real
    }
    fn validate_args(&self) -> bool {
        self.validate
    }
    fn has_rsample(&self) -> bool {
        true
    }
    fn rsample(&self, shape: &[usize], g: &mut Generator) -> Result<Tensor> {
        let s = extended(shape, self.batch_shape(), &[]);
        let eps = crate::util::randn(&s, self.loc.dtype(), g);
        Ok(&self.loc + eps * &self.scale)
    }
    fn log_prob(&self, value: &Tensor) -> Result<Tensor> {
        self.check(value)?;
        let var = self.scale.square();
        Ok(
            -((value - &self.loc).square()) / (var * 2.0)
                - self.scale.log()
                - 0.5 * (2.0 * PI).ln(),
        )
    }
    fn cdf(&self, value: &Tensor) -> Result<Tensor> {
        self.check(value)?;
        Ok(((value - &self.loc) / (&self.scale * SQRT_2))
            .erf()
            .add(1.0)
            * 0.5)
    }
    fn icdf(&self, value: &Tensor) -> Result<Tensor> {
        Ok(&self.loc + &self.scale * (value * 2.0 - 1.0).erfinv() * SQRT_2)
    }
    fn entropy(&self) -> Result<Tensor> {
        Ok(self.scale.log() + 0.5 + 0.5 * (LN_2 + PI.ln()))
    }
    fn mean(&self) -> Result<Tensor> {
        Ok(self.loc.clone())
    }
    fn mode(&self) -> Result<Tensor> {
        Ok(self.loc.clone())
    }
    fn variance(&self) -> Result<Tensor> {
        Ok(self.scale.square())
    }
    fn stddev(&self) -> Result<Tensor> {
        Ok(self.scale.clone())
    }
    fn expand(&self, batch_shape: &[usize]) -> Result<Box<dyn Distribution>> {
        check_expand(&self.repr(), self.batch_shape(), batch_shape)?;
        Ok(Box::new(Normal {
            loc: self.loc.expand(batch_shape.to_vec()),
            scale: self.scale.expand(batch_shape.to_vec()),
            validate: self.validate,
        }))
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}
