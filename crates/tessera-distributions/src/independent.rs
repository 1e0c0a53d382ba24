//! [`Independent`]: `torch.distributions.Independent(base, reinterpreted_batch_ndims)`.

use crate::constraints::Constraint;
use crate::distribution::{check_expand, validate_sample, Distribution};
use std::any::Any;
use std::sync::Arc;
use tessera_core::{Error, Generator, Result, Tensor};

/// Reinterprets the rightmost `reinterpreted_batch_ndims` batch dims of `base` as event
/// dims: `log_prob` and `entropy` are summed over them.
///
/// ```
/// use std::sync::Arc;
/// use tessera_core::Tensor;
/// use tessera_distributions::{Distribution, Independent, Normal};
/// let base = Normal::new(&Tensor::zeros(&[3, 2]), &Tensor::ones(&[3, 2])).unwrap();
/// let d = Independent::new(Arc::new(base), 1).unwrap();
/// assert_eq!((d.batch_shape(), d.event_shape()), (&[3usize][..], &[2usize][..]));
/// ```
#[derive(Clone)]
pub struct Independent {
    /// The base distribution.
    pub base: Arc<dyn Distribution>,
    /// How many batch dims become event dims.
    pub reinterpreted_batch_ndims: usize,
    batch: Vec<usize>,
    event: Vec<usize>,
}

impl Independent {
    /// `Independent(base, n)`.
    ///
    /// # Errors
    /// If `n` exceeds the base's batch dims (PyTorch's "Expected
    /// reinterpreted_batch_ndims <= len(base_distribution.batch_shape), actual ...").
    pub fn new(base: Arc<dyn Distribution>, n: usize) -> Result<Independent> {
        let b = base.batch_shape();
        if n > b.len() {
            return Err(Error::Msg(format!(
                "Expected reinterpreted_batch_ndims <= len(base_distribution.batch_shape), actual {n} vs {}",
                b.len()
            )));
        }
        let split = b.len() - n;
        let batch = b[..split].to_vec();
        let event = [&b[split..], base.event_shape()].concat();
        Ok(Independent {
            base,
            reinterpreted_batch_ndims: n,
            batch,
            event,
        })
    }

    fn sum_rightmost(&self, t: Tensor) -> Tensor {
        let n = self.reinterpreted_batch_ndims;
        if n == 0 {
            return t;
        }
        let dims: Vec<isize> = (1..=n as isize).map(|d| -d).collect();
        t.sum_dim(dims, false)
    }
}

impl Distribution for Independent {
    fn repr(&self) -> String {
        format!(
            "Independent({}, {})",
            self.base.repr(),
            self.reinterpreted_batch_ndims
        )
    }
    fn batch_shape(&self) -> &[usize] {
        &self.batch
    }
    fn event_shape(&self) -> &[usize] {
        &self.event
    }
    fn support(&self) -> Constraint {
        Constraint::independent(self.base.support(), self.reinterpreted_batch_ndims)
    }
    fn validate_args(&self) -> bool {
        self.base.validate_args()
    }
    fn has_rsample(&self) -> bool {
        self.base.has_rsample()
    }
    fn sample(&self, shape: &[usize], g: &mut Generator) -> Tensor {
        self.base.sample(shape, g)
    }
    fn rsample(&self, shape: &[usize], g: &mut Generator) -> Result<Tensor> {
        self.base.rsample(shape, g)
    }
    fn log_prob(&self, value: &Tensor) -> Result<Tensor> {
        if self.validate_args() {
            validate_sample(self, value)?;
        }
        Ok(self.sum_rightmost(self.base.log_prob(value)?))
    }
    fn entropy(&self) -> Result<Tensor> {
        Ok(self.sum_rightmost(self.base.entropy()?))
    }
    fn mean(&self) -> Result<Tensor> {
        self.base.mean()
    }
    fn mode(&self) -> Result<Tensor> {
        self.base.mode()
    }
    fn variance(&self) -> Result<Tensor> {
        self.base.variance()
    }
    fn expand(&self, batch_shape: &[usize]) -> Result<Box<dyn Distribution>> {
        check_expand(&self.repr(), &self.batch, batch_shape)?;
        let n = self.reinterpreted_batch_ndims;
        let bb = self.base.batch_shape();
        let full = [batch_shape, &bb[bb.len() - n..]].concat();
        let base: Arc<dyn Distribution> = Arc::from(self.base.expand(&full)?);
        Ok(Box::new(Independent::new(base, n)?))
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}
