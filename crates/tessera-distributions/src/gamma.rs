//! [`Gamma`] and [`Chi2`]: `torch.distributions.Gamma(concentration, rate)`, `Chi2(df)`.

use crate::constraints::Constraint;
use crate::distribution::{
    check_expand, check_param, default_validate_args, repr_of, validate_sample, Distribution,
};
use crate::util::{broadcast_all, extended, gammainc, standard_gamma};
use std::any::Any;
use tessera_core::{DType, Generator, Result, Tensor};

/// The gamma distribution with shape `concentration` and `rate` (mean
/// `concentration / rate`).
///
/// `rsample` is reparameterized in both parameters: in `rate` by scaling, in
/// `concentration` by the implicit gradient `dx/dα = -(∂F/∂α) / f(x)` of the CDF `F`
/// at the sample (PyTorch's `_standard_gamma` backward; tessera computes it from the
/// series and continued fraction of the incomplete gamma function, to about 1e-9
/// relative).
///
/// ```
/// use tessera_core::{tensor, DType, Generator};
/// use tessera_distributions::{Distribution, Gamma};
/// let a = tensor!([2.0], dtype = DType::F64);
/// a.requires_grad_(true);
/// let d = Gamma::new(&a, &tensor!([1.0], dtype = DType::F64)).unwrap();
/// let x = d.rsample(&[100], &mut Generator::new(1)).unwrap();
/// x.sum().backward();
/// assert!(a.grad().unwrap().item::<f64>() > 0.0); // samples grow with the shape
/// ```
#[derive(Clone, Debug)]
pub struct Gamma {
    /// The shape parameter α.
    pub concentration: Tensor,
    /// The rate β.
    pub rate: Tensor,
    validate: bool,
}

impl Gamma {
    /// `Gamma(concentration, rate)` with validation per [`default_validate_args`].
    ///
    /// # Errors
    /// With validation on: a parameter not positive.
    ///
    /// # Panics
    /// If the shapes do not broadcast.
    pub fn new(concentration: &Tensor, rate: &Tensor) -> Result<Gamma> {
        Gamma::new_with(concentration, rate, default_validate_args())
    }

    /// `Gamma(concentration, rate, validate_args=validate)`.
    ///
    /// # Errors
    /// As [`Gamma::new`] when `validate` is true.
    ///
    /// # Panics
    /// If the shapes do not broadcast.
    pub fn new_with(concentration: &Tensor, rate: &Tensor, validate: bool) -> Result<Gamma> {
        let p = broadcast_all("Gamma", &[concentration, rate]);
        let d = Gamma {
            concentration: p[0].clone(),
            rate: p[1].clone(),
            validate,
        };
        if validate {
            let r = || d.repr();
            let pos = Constraint::positive();
            check_param("Gamma", &r, "concentration", &d.concentration, &pos)?;
            check_param("Gamma", &r, "rate", &d.rate, &pos)?;
        }
        Ok(d)
    }
}

impl Distribution for Gamma {
    fn repr(&self) -> String {
        repr_of(
            "Gamma",
            &[("concentration", &self.concentration), ("rate", &self.rate)],
        )
    }
    fn batch_shape(&self) -> &[usize] {
        self.concentration.shape()
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
        let s = extended(shape, self.batch_shape(), &[]);
        let x = standard_gamma(&self.concentration.expand(s.clone()), g);
        let tiny = match x.dtype() {
            DType::F32 => f32::MIN_POSITIVE as f64,
            _ => f64::MIN_POSITIVE,
        };
        // PyTorch clamps the scaled sample at the smallest normal as well.
        let v = x / self.rate.expand(s);
        let floor = v.detach().lt(tiny);
        Ok(v.where_(&floor.logical_not(), tiny))
    }
    fn log_prob(&self, value: &Tensor) -> Result<Tensor> {
        if self.validate {
            validate_sample(self, value)?;
        }
        let a = &self.concentration;
        Ok(a.xlogy(&self.rate) + (a - 1.0).xlogy(value) - &self.rate * value - a.lgamma())
    }
    /// `P(concentration, rate * value)`, the regularized incomplete gamma function
    /// (series / continued fraction in f64, about 1e-15 relative), differentiable in
    /// the value and both parameters.
    fn cdf(&self, value: &Tensor) -> Result<Tensor> {
        if self.validate {
            validate_sample(self, value)?;
        }
        Ok(gammainc(&self.concentration, &(&self.rate * value)))
    }
    fn entropy(&self) -> Result<Tensor> {
        let a = &self.concentration;
        Ok(a - self.rate.log() + a.lgamma() + (1.0 - a) * a.digamma())
    }
    fn mean(&self) -> Result<Tensor> {
        Ok(&self.concentration / &self.rate)
    }
    fn mode(&self) -> Result<Tensor> {
        Ok(((&self.concentration - 1.0) / &self.rate).clamp(Some(0.0), None::<f64>))
    }
    fn variance(&self) -> Result<Tensor> {
        Ok(&self.concentration / self.rate.square())
    }
    fn expand(&self, batch_shape: &[usize]) -> Result<Box<dyn Distribution>> {
        check_expand(&self.repr(), self.batch_shape(), batch_shape)?;
        Ok(Box::new(Gamma {
            concentration: self.concentration.expand(batch_shape.to_vec()),
            rate: self.rate.expand(batch_shape.to_vec()),
            validate: self.validate,
        }))
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// The chi-squared distribution with `df` degrees of freedom: `Gamma(df / 2, 1 / 2)`.
///
/// ```
/// use tessera_core::tensor;
/// use tessera_distributions::{Chi2, Distribution};
/// let d = Chi2::new(&tensor!(3.0)).unwrap();
/// assert_eq!(d.mean().unwrap().item::<f32>(), 3.0);
/// ```
#[derive(Clone, Debug)]
pub struct Chi2 {
    /// The degrees of freedom.
    pub df: Tensor,
    gamma: Gamma,
}

impl Chi2 {
    /// `Chi2(df)` with validation per [`default_validate_args`].
    ///
    /// # Errors
    /// With validation on: `df` not positive.
    pub fn new(df: &Tensor) -> Result<Chi2> {
        Chi2::new_with(df, default_validate_args())
    }

    /// `Chi2(df, validate_args=validate)`.
    ///
    /// # Errors
    /// As [`Chi2::new`] when `validate` is true.
    pub fn new_with(df: &Tensor, validate: bool) -> Result<Chi2> {
        let df = broadcast_all("Chi2", &[df]).remove(0);
        if validate {
            let r = || repr_of("Chi2", &[("df", &df)]);
            check_param("Chi2", &r, "df", &df, &Constraint::positive())?;
        }
        let half = Tensor::full_dtype(&[], 0.5, df.dtype());
        let gamma = Gamma::new_with(&(&df * 0.5), &half, false)?;
        let gamma = Gamma { validate, ..gamma };
        Ok(Chi2 { df, gamma })
    }
}

impl Distribution for Chi2 {
    fn repr(&self) -> String {
        repr_of("Chi2", &[("df", &self.df)])
    }
    fn batch_shape(&self) -> &[usize] {
        self.df.shape()
    }
    fn event_shape(&self) -> &[usize] {
        &[]
    }
    fn support(&self) -> Constraint {
        Constraint::nonnegative()
    }
    fn validate_args(&self) -> bool {
        self.gamma.validate
    }
    fn has_rsample(&self) -> bool {
        true
    }
    fn rsample(&self, shape: &[usize], g: &mut Generator) -> Result<Tensor> {
        self.gamma.rsample(shape, g)
    }
    fn log_prob(&self, value: &Tensor) -> Result<Tensor> {
        if self.gamma.validate {
            validate_sample(self, value)?;
        }
        Gamma {
            validate: false,
            ..self.gamma.clone()
        }
        .log_prob(value)
    }
    fn cdf(&self, value: &Tensor) -> Result<Tensor> {
        if self.gamma.validate {
            validate_sample(self, value)?;
        }
        Gamma {
            validate: false,
            ..self.gamma.clone()
        }
        .cdf(value)
    }
    fn entropy(&self) -> Result<Tensor> {
        self.gamma.entropy()
    }
    fn mean(&self) -> Result<Tensor> {
        self.gamma.mean()
    }
    fn mode(&self) -> Result<Tensor> {
        self.gamma.mode()
    }
    fn variance(&self) -> Result<Tensor> {
        self.gamma.variance()
    }
    fn expand(&self, batch_shape: &[usize]) -> Result<Box<dyn Distribution>> {
        check_expand(&self.repr(), self.batch_shape(), batch_shape)?;
        Ok(Box::new(Chi2::new_with(
            &self.df.expand(batch_shape.to_vec()),
            self.gamma.validate,
        )?))
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}
