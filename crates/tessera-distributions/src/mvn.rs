//! [`MultivariateNormal`]: `torch.distributions.MultivariateNormal(loc,
//! covariance_matrix | precision_matrix | scale_tril)`.

use crate::constraints::Constraint;
use crate::distribution::{
    check_expand, check_param, default_validate_args, repr_of, validate_sample, Distribution,
};
use crate::util::{diagonal, extended, float_dtype, mvn_log_prob_fast, solve_lower};
use std::any::Any;
use std::f64::consts::PI;
use tessera_core::layout::broadcast_shapes;
use tessera_core::{Error, Generator, Result, Tensor};

/// Which matrix parameterizes a [`MultivariateNormal`] or a [`crate::Wishart`].
#[derive(Clone, Debug)]
pub enum Scale {
    /// `covariance_matrix` Σ (symmetric positive definite).
    Covariance(Tensor),
    /// `precision_matrix` Σ⁻¹ (symmetric positive definite).
    Precision(Tensor),
    /// `scale_tril` L, lower triangular with positive diagonal, Σ = L Lᵀ.
    ScaleTril(Tensor),
}

impl Scale {
    /// `(name, matrix)`.
    pub(crate) fn parts(&self) -> (&'static str, &Tensor) {
        match self {
            Scale::Covariance(t) => ("covariance_matrix", t),
            Scale::Precision(t) => ("precision_matrix", t),
            Scale::ScaleTril(t) => ("scale_tril", t),
        }
    }

    /// The Cholesky factor L of Σ (differentiable).
    pub(crate) fn scale_tril(&self) -> Result<Tensor> {
        match self {
            Scale::ScaleTril(l) => Ok(l.clone()),
            Scale::Covariance(c) => tessera_linalg::cholesky(c, false),
            Scale::Precision(p) => tessera_linalg::cholesky(&tessera_linalg::inv(p)?, false),
        }
    }

    /// The constraint its matrix must satisfy.
    pub(crate) fn constraint(&self) -> Constraint {
        match self {
            Scale::ScaleTril(_) => Constraint::LowerCholesky,
            _ => Constraint::PositiveDefinite,
        }
    }

    /// Exactly one of the three (PyTorch's check and message).
    pub(crate) fn exactly_one(
        covariance_matrix: Option<&Tensor>,
        precision_matrix: Option<&Tensor>,
        scale_tril: Option<&Tensor>,
    ) -> Result<Scale> {
        match (covariance_matrix, precision_matrix, scale_tril) {
            (Some(c), None, None) => Ok(Scale::Covariance(c.clone())),
            (None, Some(p), None) => Ok(Scale::Precision(p.clone())),
            (None, None, Some(l)) => Ok(Scale::ScaleTril(l.clone())),
            _ => Err(Error::Msg(
                "Exactly one of covariance_matrix or precision_matrix or scale_tril may be specified."
                    .into(),
            )),
        }
    }
}

/// The multivariate normal distribution with mean `loc` `[..., n]` and a covariance
/// given by one of [`Scale`]'s three forms, batched with broadcasting.
///
/// `log_prob` solves with the Cholesky factor (one batched triangular solve, parallel
/// over the points) and never forms Σ⁻¹.
///
/// ```
/// use tessera_core::{tensor, DType};
/// use tessera_distributions::{Distribution, MultivariateNormal};
/// let loc = tensor!([0.0, 0.0], dtype = DType::F64);
/// let cov = tensor!([[1.0, 0.0], [0.0, 4.0]], dtype = DType::F64);
/// let d = MultivariateNormal::new(&loc, Some(&cov), None, None).unwrap();
/// let lp = d.log_prob(&tensor!([0.0, 0.0], dtype = DType::F64)).unwrap().item::<f64>();
/// assert!((lp - (-(2.0 * std::f64::consts::PI).ln() - 2f64.ln())).abs() < 1e-14);
/// ```
#[derive(Clone, Debug)]
pub struct MultivariateNormal {
    /// The mean, `batch_shape + [n]`.
    pub loc: Tensor,
    /// The parameter as given.
    pub scale: Scale,
    /// The lower Cholesky factor of the covariance, unbroadcast (`_unbroadcasted_scale_tril`).
    pub scale_tril: Tensor,
    batch: Vec<usize>,
    validate: bool,
}

impl MultivariateNormal {
    /// `MultivariateNormal(loc, covariance_matrix=, precision_matrix=, scale_tril=)`,
    /// with validation per [`default_validate_args`].
    ///
    /// # Errors
    /// Not exactly one matrix given; `loc` 0-dim ("loc must be at least
    /// one-dimensional."); a matrix of fewer than 2 dims; with validation on, a matrix
    /// that is not positive definite (or not lower Cholesky), NaN in `loc`; a
    /// Cholesky factorization that fails.
    ///
    /// # Panics
    /// If the batch shapes do not broadcast or the matrix is not `n x n`.
    pub fn new(
        loc: &Tensor,
        covariance_matrix: Option<&Tensor>,
        precision_matrix: Option<&Tensor>,
        scale_tril: Option<&Tensor>,
    ) -> Result<MultivariateNormal> {
        let s = Scale::exactly_one(covariance_matrix, precision_matrix, scale_tril)?;
        MultivariateNormal::new_with(loc, s, default_validate_args())
    }

    /// `MultivariateNormal` from a [`Scale`], `validate_args=validate`.
    ///
    /// # Errors
    /// As [`MultivariateNormal::new`].
    ///
    /// # Panics
    /// As [`MultivariateNormal::new`].
    pub fn new_with(loc: &Tensor, scale: Scale, validate: bool) -> Result<MultivariateNormal> {
        if loc.dim() < 1 {
            return Err(Error::Msg("loc must be at least one-dimensional.".into()));
        }
        let (name, m) = scale.parts();
        if m.dim() < 2 {
            return Err(Error::Msg(format!(
                "{name} matrix must be at least two-dimensional, with optional leading batch dimensions"
            )));
        }
        let n = loc.size(-1);
        assert!(
            m.size(-1) == n && m.size(-2) == n,
            "MultivariateNormal: {name} has shape {:?} but loc has event size {n}",
            m.shape()
        );
        let dtype = float_dtype(&[loc, m]);
        let batch = broadcast_shapes(
            "MultivariateNormal",
            &m.shape()[..m.dim() - 2],
            &loc.shape()[..loc.dim() - 1],
        );
        let loc = loc
            .to_dtype(dtype)
            .expand([batch.clone(), vec![n]].concat());
        let scale = match scale {
            Scale::Covariance(t) => Scale::Covariance(t.to_dtype(dtype)),
            Scale::Precision(t) => Scale::Precision(t.to_dtype(dtype)),
            Scale::ScaleTril(t) => Scale::ScaleTril(t.to_dtype(dtype)),
        };
        let repr = || {
            let (name, m) = scale.parts();
            repr_of("MultivariateNormal", &[("loc", &loc), (name, m)])
        };
        if validate {
            let c = Constraint::independent(Constraint::Real, 1);
            check_param("MultivariateNormal", &repr, "loc", &loc, &c)?;
            let (name, m) = scale.parts();
            check_param("MultivariateNormal", &repr, name, m, &scale.constraint())?;
        }
        let scale_tril = scale.scale_tril()?;
        Ok(MultivariateNormal {
            loc,
            scale,
            scale_tril,
            batch,
            validate,
        })
    }

    /// Σ = L Lᵀ, broadcast to `batch_shape + [n, n]`.
    pub fn covariance_matrix(&self) -> Tensor {
        let n = self.loc.size(-1);
        self.scale_tril
            .matmul(&self.scale_tril.mt())
            .expand([self.batch.clone(), vec![n, n]].concat())
    }

    /// Σ⁻¹.
    ///
    /// # Errors
    /// If the inverse fails numerically.
    pub fn precision_matrix(&self) -> Result<Tensor> {
        tessera_linalg::inv(&self.covariance_matrix())
    }

    /// `Σ log diag(L)`, half the log-determinant of Σ (unbroadcast batch).
    pub(crate) fn half_log_det(&self) -> Tensor {
        diagonal(&self.scale_tril).log().sum_dim(-1, false)
    }
}

impl Distribution for MultivariateNormal {
    fn repr(&self) -> String {
        let (name, m) = self.scale.parts();
        repr_of("MultivariateNormal", &[("loc", &self.loc), (name, m)])
    }
    fn batch_shape(&self) -> &[usize] {
        &self.batch
    }
    fn event_shape(&self) -> &[usize] {
        let s = self.loc.shape();
        &s[s.len() - 1..]
    }
    fn support(&self) -> Constraint {
        Constraint::independent(Constraint::Real, 1)
    }
    fn validate_args(&self) -> bool {
        self.validate
    }
    fn has_rsample(&self) -> bool {
        true
    }
    fn rsample(&self, shape: &[usize], g: &mut Generator) -> Result<Tensor> {
        let s = extended(shape, &self.batch, self.event_shape());
        let eps = crate::util::randn(&s, self.loc.dtype(), g);
        Ok(&self.loc + self.scale_tril.matmul(&eps.unsqueeze(-1)).squeeze_dim(-1))
    }
    fn log_prob(&self, value: &Tensor) -> Result<Tensor> {
        if self.validate {
            validate_sample(self, value)?;
        }
        let n = self.loc.size(-1) as f64;
        // One fused pass over the points when nothing needs a gradient and nothing is
        // batched: -½ |L⁻¹(x - μ)|² - (½ n ln 2π + ½ ln det Σ).
        if self.batch.is_empty() && self.half_log_det().numel() == 1 {
            let c = 0.5 * n * (2.0 * PI).ln()
                + self
                    .half_log_det()
                    .to_dtype(tessera_core::DType::F64)
                    .reshape([1])
                    .get::<f64>(&[0]);
            if let Some(lp) = mvn_log_prob_fast(&self.scale_tril, &self.loc, value, 0.0, -0.5, c) {
                return Ok(lp);
            }
        }
        let m = solve_lower(&self.scale_tril, &(value - &self.loc))
            .square()
            .sum_dim(-1, false);
        Ok((m + n * (2.0 * PI).ln()) * -0.5 - self.half_log_det())
    }
    fn entropy(&self) -> Result<Tensor> {
        let n = self.loc.size(-1) as f64;
        let h = self.half_log_det() + 0.5 * n * (1.0 + (2.0 * PI).ln());
        Ok(h.expand(self.batch.clone()))
    }
    fn mean(&self) -> Result<Tensor> {
        Ok(self.loc.clone())
    }
    fn mode(&self) -> Result<Tensor> {
        Ok(self.loc.clone())
    }
    fn variance(&self) -> Result<Tensor> {
        Ok(self
            .scale_tril
            .square()
            .sum_dim(-1, false)
            .expand(self.loc.shape().to_vec()))
    }
    fn expand(&self, batch_shape: &[usize]) -> Result<Box<dyn Distribution>> {
        check_expand(&self.repr(), &self.batch, batch_shape)?;
        let n = self.loc.size(-1);
        Ok(Box::new(MultivariateNormal {
            loc: self.loc.expand([batch_shape.to_vec(), vec![n]].concat()),
            scale: self.scale.clone(),
            scale_tril: self.scale_tril.clone(),
            batch: batch_shape.to_vec(),
            validate: self.validate,
        }))
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}
