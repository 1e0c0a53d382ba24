//! [`TransformedDistribution`] and [`LogNormal`].

use crate::constraints::Constraint;
use crate::distribution::{check_expand, default_validate_args, validate_sample, Distribution};
use crate::independent::Independent;
use crate::normal::Normal;
use crate::transforms::{sum_rightmost, ComposeTransform, ExpTransform, Transform, TransformRef};
use std::any::Any;
use std::sync::Arc;
use tessera_core::{Error, Generator, Result, Tensor};

/// A base distribution pushed through transforms (`TransformedDistribution`): samples
/// are `t_n(...t_1(x))`, and `log_prob` subtracts the log-det-Jacobians. When the
/// transforms raise the event dim, the base is wrapped in [`Independent`], as PyTorch
/// does.
///
/// ```
/// use std::sync::Arc;
/// use tessera_core::{tensor, DType};
/// use tessera_distributions::{transforms::ExpTransform, Distribution, Normal, TransformedDistribution};
/// let base = Normal::new(&tensor!(0.0, dtype = DType::F64), &tensor!(1.0, dtype = DType::F64)).unwrap();
/// let d = TransformedDistribution::new(Arc::new(base), vec![Arc::new(ExpTransform)]).unwrap();
/// // the log-normal density at 1 is the standard normal's at 0
/// let lp = d.log_prob(&tensor!(1.0, dtype = DType::F64)).unwrap().item::<f64>();
/// assert!((lp + 0.9189385332046727).abs() < 1e-15);
/// ```
#[derive(Clone)]
pub struct TransformedDistribution {
    /// The base distribution (wrapped in `Independent` if needed).
    pub base: Arc<dyn Distribution>,
    /// The transforms, applied first to last.
    pub transforms: Vec<TransformRef>,
    batch: Vec<usize>,
    event: Vec<usize>,
    validate: bool,
}

impl TransformedDistribution {
    /// `TransformedDistribution(base, transforms)`, validating per the base's setting.
    ///
    /// # Errors
    /// If the base's shape has fewer dims than the transforms' domain event dims
    /// ("base_distribution needs to have shape with size at least ..."), or the base
    /// cannot be expanded to the shape the transforms need.
    pub fn new(
        base: Arc<dyn Distribution>,
        transforms: Vec<TransformRef>,
    ) -> Result<TransformedDistribution> {
        let validate = base.validate_args();
        let t = ComposeTransform {
            parts: transforms.clone(),
        };
        let base_shape = [base.batch_shape(), base.event_shape()].concat();
        let base_event_dim = base.event_shape().len();
        let dom_ed = t.domain().event_dim();
        if base_shape.len() < dom_ed {
            return Err(Error::Msg(format!(
                "base_distribution needs to have shape with size at least {dom_ed}, but got {}.",
                crate::util::torch_size(&base_shape)
            )));
        }
        let forward_shape = t.forward_shape(&base_shape);
        let expanded = t.inverse_shape(&forward_shape);
        let mut base = base;
        if expanded != base_shape {
            let bb = &expanded[..expanded.len() - base_event_dim];
            base = Arc::from(base.expand(bb)?);
        }
        if dom_ed > base_event_dim {
            base = Arc::new(Independent::new(base, dom_ed - base_event_dim)?);
        }
        let cod_ed = t.codomain().event_dim();
        let event_dim = cod_ed.max((base_event_dim + cod_ed).saturating_sub(dom_ed));
        let cut = forward_shape.len() - event_dim;
        Ok(TransformedDistribution {
            base,
            transforms,
            batch: forward_shape[..cut].to_vec(),
            event: forward_shape[cut..].to_vec(),
            validate,
        })
    }

    fn monotone_sign(&self) -> Result<Tensor> {
        let mut s = Tensor::full_dtype(&[], 1.0, tessera_core::DType::F64);
        for t in &self.transforms {
            s = s * t.sign()?;
        }
        Ok(s)
    }
}

impl Distribution for TransformedDistribution {
    fn repr(&self) -> String {
        format!("TransformedDistribution({})", self.base.repr())
    }
    fn batch_shape(&self) -> &[usize] {
        &self.batch
    }
    fn event_shape(&self) -> &[usize] {
        &self.event
    }
    fn support(&self) -> Constraint {
        let Some(last) = self.transforms.last() else {
            return self.base.support();
        };
        let s = last.codomain();
        let ed = s.event_dim();
        if self.event.len() > ed {
            Constraint::independent(s, self.event.len() - ed)
        } else {
            s
        }
    }
    fn validate_args(&self) -> bool {
        self.validate
    }
    fn has_rsample(&self) -> bool {
        self.base.has_rsample()
    }
    fn sample(&self, shape: &[usize], g: &mut Generator) -> Tensor {
        let _ng = tessera_core::autograd::no_grad();
        let x = self.base.sample(shape, g);
        self.transforms.iter().fold(x, |x, t| t.forward(&x))
    }
    fn rsample(&self, shape: &[usize], g: &mut Generator) -> Result<Tensor> {
        let x = self.base.rsample(shape, g)?;
        Ok(self.transforms.iter().fold(x, |x, t| t.forward(&x)))
    }
    fn log_prob(&self, value: &Tensor) -> Result<Tensor> {
        if self.validate {
            validate_sample(self, value)?;
        }
        let mut event_dim = self.event.len() as isize;
        let mut lp: Option<Tensor> = None;
        let mut y = value.clone();
        for t in self.transforms.iter().rev() {
            let x = t.inverse(&y);
            event_dim += t.domain().event_dim() as isize - t.codomain().event_dim() as isize;
            let term = sum_rightmost(
                &t.log_abs_det_jacobian(&x, &y)?,
                (event_dim - t.domain().event_dim() as isize) as usize,
            );
            lp = Some(match lp {
                None => -term,
                Some(l) => l - term,
            });
            y = x;
        }
        let base_lp = sum_rightmost(
            &self.base.log_prob(&y)?,
            (event_dim - self.base.event_shape().len() as isize) as usize,
        );
        Ok(match lp {
            None => base_lp,
            Some(l) => l + base_lp,
        })
    }
    fn cdf(&self, value: &Tensor) -> Result<Tensor> {
        let sign = self.monotone_sign()?;
        if self.validate {
            validate_sample(self, value)?;
        }
        let v = self
            .transforms
            .iter()
            .rev()
            .fold(value.clone(), |y, t| t.inverse(&y));
        let c = self.base.cdf(&v)?;
        // sign * (c - 0.5) + 0.5
        Ok((c - 0.5) * sign.to_dtype(value.dtype()) + 0.5)
    }
    fn icdf(&self, value: &Tensor) -> Result<Tensor> {
        let sign = self.monotone_sign()?.to_dtype(value.dtype());
        let v = (value - 0.5) * sign + 0.5;
        let x = self.base.icdf(&v)?;
        Ok(self.transforms.iter().fold(x, |x, t| t.forward(&x)))
    }
    fn expand(&self, batch_shape: &[usize]) -> Result<Box<dyn Distribution>> {
        check_expand(&self.repr(), &self.batch, batch_shape)?;
        let shape = [batch_shape, &self.event[..]].concat();
        let t = ComposeTransform {
            parts: self.transforms.clone(),
        };
        let base_shape = t.inverse_shape(&shape);
        let be = self.base.event_shape().len();
        let base: Arc<dyn Distribution> =
            Arc::from(self.base.expand(&base_shape[..base_shape.len() - be])?);
        Ok(Box::new(TransformedDistribution {
            base,
            transforms: self.transforms.clone(),
            batch: batch_shape.to_vec(),
            event: self.event.clone(),
            validate: self.validate,
        }))
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// The log-normal distribution: `exp` of a `Normal(loc, scale)` (a
/// [`TransformedDistribution`] with [`ExpTransform`], as in PyTorch).
///
/// ```
/// use tessera_core::{tensor, DType};
/// use tessera_distributions::{Distribution, LogNormal};
/// let d = LogNormal::new(&tensor!(0.0, dtype = DType::F64), &tensor!(1.0, dtype = DType::F64)).unwrap();
/// assert!((d.mean().unwrap().item::<f64>() - 0.5f64.exp()).abs() < 1e-15);
/// ```
#[derive(Clone)]
pub struct LogNormal {
    /// The underlying normal.
    pub normal: Normal,
    inner: TransformedDistribution,
}

impl LogNormal {
    /// `LogNormal(loc, scale)` with validation per [`default_validate_args`].
    ///
    /// # Errors
    /// With validation on: NaN `loc`, `scale` not positive.
    ///
    /// # Panics
    /// If the shapes do not broadcast.
    pub fn new(loc: &Tensor, scale: &Tensor) -> Result<LogNormal> {
        LogNormal::new_with(loc, scale, default_validate_args())
    }

    /// `LogNormal(loc, scale, validate_args=validate)`.
    ///
    /// # Errors
    /// As [`LogNormal::new`] when `validate` is true.
    ///
    /// # Panics
    /// If the shapes do not broadcast.
    pub fn new_with(loc: &Tensor, scale: &Tensor, validate: bool) -> Result<LogNormal> {
        let normal = Normal::new_with(loc, scale, validate)?;
        let inner =
            TransformedDistribution::new(Arc::new(normal.clone()), vec![Arc::new(ExpTransform)])?;
        Ok(LogNormal { normal, inner })
    }
}

impl Distribution for LogNormal {
    fn repr(&self) -> String {
        crate::distribution::repr_of(
            "LogNormal",
            &[("loc", &self.normal.loc), ("scale", &self.normal.scale)],
        )
    }
    fn batch_shape(&self) -> &[usize] {
        self.inner.batch_shape()
    }
    fn event_shape(&self) -> &[usize] {
        &[]
    }
    fn support(&self) -> Constraint {
        Constraint::positive()
    }
    fn validate_args(&self) -> bool {
        self.inner.validate_args()
    }
    fn has_rsample(&self) -> bool {
        true
    }
    fn rsample(&self, shape: &[usize], g: &mut Generator) -> Result<Tensor> {
        self.inner.rsample(shape, g)
    }
    fn log_prob(&self, value: &Tensor) -> Result<Tensor> {
        self.inner.log_prob(value)
    }
    fn cdf(&self, value: &Tensor) -> Result<Tensor> {
        self.inner.cdf(value)
    }
    fn icdf(&self, value: &Tensor) -> Result<Tensor> {
        self.inner.icdf(value)
    }
    fn entropy(&self) -> Result<Tensor> {
        Ok(self.normal.entropy()? + &self.normal.loc)
    }
    fn mean(&self) -> Result<Tensor> {
        Ok((&self.normal.loc + self.normal.scale.square() / 2.0).exp())
    }
    fn mode(&self) -> Result<Tensor> {
        Ok((&self.normal.loc - self.normal.scale.square()).exp())
    }
    fn variance(&self) -> Result<Tensor> {
        let s2 = self.normal.scale.square();
        Ok(s2.expm1() * (&self.normal.loc * 2.0 + &s2).exp())
    }
    fn expand(&self, batch_shape: &[usize]) -> Result<Box<dyn Distribution>> {
        check_expand(&self.repr(), self.batch_shape(), batch_shape)?;
        let b = batch_shape.to_vec();
        Ok(Box::new(LogNormal::new_with(
            &self.normal.loc.expand(b.clone()),
            &self.normal.scale.expand(b),
            self.validate_args(),
        )?))
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}
