//! [`Categorical`]: `torch.distributions.Categorical(probs=None, logits=None)`.

use crate::constraints::Constraint;
use crate::distribution::{
    check_expand, check_param, default_validate_args, repr_of, validate_sample, Distribution,
};
use crate::util::extended;
use std::any::Any;
use tessera_core::{DType, Error, Generator, Result, Tensor};

/// A categorical distribution over `0..k` with `probs` or `logits` of shape `[..., k]`
/// (normalized along the last dim). Samples are `I64`, as in PyTorch.
///
/// ```
/// use tessera_core::{tensor, Generator};
/// use tessera_distributions::{Categorical, Distribution};
/// let d = Categorical::from_probs(&tensor!([0.0, 1.0, 3.0])).unwrap();
/// let lp = d.log_prob(&tensor!(2)).unwrap();
/// assert!((lp.item::<f32>() - 0.75f32.ln()).abs() < 1e-6);
/// let x = d.sample(&[5], &mut Generator::new(0));
/// assert!(x.to_vec::<i64>().iter().all(|&i| i == 1 || i == 2));
/// ```
#[derive(Clone, Debug)]
pub struct Categorical {
    /// Normalized probabilities `[..., k]`.
    pub probs: Tensor,
    /// Normalized log-probabilities `[..., k]`.
    pub logits: Tensor,
    from_logits: bool,
    validate: bool,
}

impl Categorical {
    /// `Categorical(probs=..., logits=...)`: exactly one must be given, at least 1-D.
    ///
    /// # Errors
    /// "Either `probs` or `logits` must be specified, but not both."; a 0-dim
    /// parameter; with validation on, probs that are negative or sum to 0, NaN logits.
    pub fn new_with(
        probs: Option<&Tensor>,
        logits: Option<&Tensor>,
        validate: bool,
    ) -> Result<Categorical> {
        let (t, from_logits) = match (probs, logits) {
            (Some(p), None) => (p, false),
            (None, Some(l)) => (l, true),
            _ => {
                return Err(Error::Msg(
                    "Either `probs` or `logits` must be specified, but not both.".into(),
                ))
            }
        };
        if t.dim() < 1 {
            let n = if from_logits { "logits" } else { "probs" };
            return Err(Error::Msg(format!(
                "`{n}` parameter must be at least one-dimensional."
            )));
        }
        let t = if t.dtype().is_float() {
            t.clone()
        } else {
            t.to_dtype(DType::F32)
        };
        if validate {
            let r = || {
                let n = if from_logits { "logits" } else { "probs" };
                repr_of("Categorical", &[(n, &t)])
            };
            if from_logits {
                let c = Constraint::independent(Constraint::Real, 1);
                check_param("Categorical", &r, "logits", &t, &c)?;
            } else {
                let c = Constraint::independent(Constraint::nonnegative(), 1);
                check_param("Categorical", &r, "probs", &t, &c)?;
                let norm = &t / t.sum_dim(-1, true);
                check_param("Categorical", &r, "probs", &norm, &Constraint::Simplex)?;
            }
        }
        let (probs, logits) = if from_logits {
            let l = &t - t.logsumexp(-1, true);
            (l.exp(), l)
        } else {
            let p = &t / t.sum_dim(-1, true);
            let eps = match p.dtype() {
                DType::F32 => f32::EPSILON as f64,
                _ => f64::EPSILON,
            };
            (p.clone(), p.clamp(Some(eps), Some(1.0 - eps)).log())
        };
        Ok(Categorical {
            probs,
            logits,
            from_logits,
            validate,
        })
    }

    /// `Categorical(probs=probs)`.
    ///
    /// # Errors
    /// As [`Categorical::new_with`].
    pub fn from_probs(probs: &Tensor) -> Result<Categorical> {
        Categorical::new_with(Some(probs), None, default_validate_args())
    }

    /// `Categorical(logits=logits)`.
    ///
    /// # Errors
    /// As [`Categorical::new_with`].
    pub fn from_logits(logits: &Tensor) -> Result<Categorical> {
        Categorical::new_with(None, Some(logits), default_validate_args())
    }

    fn k(&self) -> usize {
        self.probs.size(-1)
    }
}

impl Distribution for Categorical {
    fn repr(&self) -> String {
        if self.from_logits {
            repr_of("Categorical", &[("logits", &self.logits)])
        } else {
            repr_of("Categorical", &[("probs", &self.probs)])
        }
    }
    fn batch_shape(&self) -> &[usize] {
        let s = self.probs.shape();
        &s[..s.len() - 1]
    }
    fn event_shape(&self) -> &[usize] {
        &[]
    }
    fn support(&self) -> Constraint {
        Constraint::IntegerInterval(0, self.k() as i64 - 1)
    }
    fn validate_args(&self) -> bool {
        self.validate
    }
    fn sample(&self, shape: &[usize], g: &mut Generator) -> Tensor {
        let k = self.k();
        let p = self
            .probs
            .detach()
            .to_dtype(DType::F64)
            .contiguous()
            .to_vec::<f64>();
        let rows = p.len() / k.max(1);
        let n: usize = shape.iter().product();
        // Inverse CDF on each row's cumulative sums.
        let cum: Vec<f64> = p
            .chunks(k)
            .flat_map(|r| {
                let mut s = 0.0;
                r.iter()
                    .map(move |&v| {
                        s += v;
                        s
                    })
                    .collect::<Vec<_>>()
            })
            .collect();
        let mut out = Vec::with_capacity(n * rows);
        for _ in 0..n {
            for r in 0..rows {
                let c = &cum[r * k..(r + 1) * k];
                let u = g.next_f64() * c[k - 1];
                let i = c.partition_point(|&v| v <= u).min(k - 1);
                out.push(i as i64);
            }
        }
        Tensor::from_vec(out, &extended(shape, self.batch_shape(), &[]))
    }
    fn log_prob(&self, value: &Tensor) -> Result<Tensor> {
        if self.validate {
            validate_sample(self, value)?;
        }
        let v = value.to_dtype(DType::I64).unsqueeze(-1);
        let shape = tessera_core::layout::broadcast_shapes(
            "Categorical.log_prob",
            v.shape(),
            self.logits.shape(),
        );
        let mut vs = shape.clone();
        *vs.last_mut().expect("at least 1-D") = 1;
        let l = self.logits.expand(shape);
        Ok(l.gather(-1, &v.expand(vs).contiguous()).squeeze_dim(-1))
    }
    fn entropy(&self) -> Result<Tensor> {
        Ok(-(&self.probs * &self.logits).sum_dim(-1, false))
    }
    fn mean(&self) -> Result<Tensor> {
        Ok(Tensor::full_dtype(
            self.batch_shape(),
            f64::NAN,
            self.probs.dtype(),
        ))
    }
    fn mode(&self) -> Result<Tensor> {
        Ok(self.probs.argmax_dim(-1, false))
    }
    fn variance(&self) -> Result<Tensor> {
        Ok(Tensor::full_dtype(
            self.batch_shape(),
            f64::NAN,
            self.probs.dtype(),
        ))
    }
    fn expand(&self, batch_shape: &[usize]) -> Result<Box<dyn Distribution>> {
        check_expand(&self.repr(), self.batch_shape(), batch_shape)?;
        let s = [batch_shape, &[self.k()]].concat();
        Ok(Box::new(Categorical {
            probs: self.probs.expand(s.clone()),
            logits: self.logits.expand(s),
            from_logits: self.from_logits,
            validate: self.validate,
        }))
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}
