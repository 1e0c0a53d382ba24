//! [`Dirichlet`] and [`Beta`]: `torch.distributions.Dirichlet(concentration)`,
//! `Beta(concentration1, concentration0)`.

use crate::constraints::Constraint;
use crate::distribution::{
    check_expand, check_param, default_validate_args, repr_of, validate_sample, Distribution,
};
use crate::util::{broadcast_all, extended, standard_gamma};
use std::any::Any;
use tessera_core::{Error, Generator, Result, Tensor};

/// The Dirichlet distribution on the simplex, with `concentration` `[..., k]`.
///
/// `rsample` normalizes reparameterized gamma samples, so gradients reach the
/// concentration through the gammas' implicit gradients.
///
/// ```
/// use tessera_core::tensor;
/// use tessera_distributions::{Dirichlet, Distribution};
/// let d = Dirichlet::new(&tensor!([1.0, 2.0, 3.0])).unwrap();
/// assert_eq!(d.event_shape(), &[3]);
/// assert!((d.mean().unwrap().get::<f32>(&[2]) - 0.5).abs() < 1e-7);
/// ```
#[derive(Clone, Debug)]
pub struct Dirichlet {
    /// The concentration `[..., k]`.
    pub concentration: Tensor,
    validate: bool,
}

impl Dirichlet {
    /// `Dirichlet(concentration)` with validation per [`default_validate_args`].
    ///
    /// # Errors
    /// If `concentration` is 0-dim (PyTorch's "`concentration` parameter must be at
    /// least one-dimensional."), and with validation on, an entry not positive.
    pub fn new(concentration: &Tensor) -> Result<Dirichlet> {
        Dirichlet::new_with(concentration, default_validate_args())
    }

    /// `Dirichlet(concentration, validate_args=validate)`.
    ///
    /// # Errors
    /// As [`Dirichlet::new`].
    pub fn new_with(concentration: &Tensor, validate: bool) -> Result<Dirichlet> {
        if concentration.dim() < 1 {
            return Err(Error::Msg(
                "`concentration` parameter must be at least one-dimensional.".into(),
            ));
        }
        let d = Dirichlet {
            concentration: broadcast_all("Dirichlet", &[concentration]).remove(0),
            validate,
        };
        if validate {
            let c = Constraint::independent(Constraint::positive(), 1);
            check_param(
                "Dirichlet",
                &|| d.repr(),
                "concentration",
                &d.concentration,
                &c,
            )?;
        }
        Ok(d)
    }
}

impl Distribution for Dirichlet {
    fn repr(&self) -> String {
        repr_of("Dirichlet", &[("concentration", &self.concentration)])
    }
    fn batch_shape(&self) -> &[usize] {
        let s = self.concentration.shape();
        &s[..s.len() - 1]
    }
    fn event_shape(&self) -> &[usize] {
        let s = self.concentration.shape();
        &s[s.len() - 1..]
    }
    fn support(&self) -> Constraint {
        Constraint::Simplex
    }
    fn validate_args(&self) -> bool {
        self.validate
    }
    fn has_rsample(&self) -> bool {
        true
    }
    fn rsample(&self, shape: &[usize], g: &mut Generator) -> Result<Tensor> {
        let s = extended(shape, self.batch_shape(), self.event_shape());
        let x = standard_gamma(&self.concentration.expand(s), g);
        Ok(&x / x.sum_dim(-1, true))
    }
    fn log_prob(&self, value: &Tensor) -> Result<Tensor> {
        if self.validate {
            validate_sample(self, value)?;
        }
        let c = &self.concentration;
        Ok(
            (c - 1.0).xlogy(value).sum_dim(-1, false) + c.sum_dim(-1, false).lgamma()
                - c.lgamma().sum_dim(-1, false),
        )
    }
    fn entropy(&self) -> Result<Tensor> {
        let c = &self.concentration;
        let k = c.size(-1) as f64;
        let a0 = c.sum_dim(-1, false);
        Ok(c.lgamma().sum_dim(-1, false)
            - a0.lgamma()
            - (k - &a0) * a0.digamma()
            - ((c - 1.0) * c.digamma()).sum_dim(-1, false))
    }
    fn mean(&self) -> Result<Tensor> {
        Ok(&self.concentration / self.concentration.sum_dim(-1, true))
    }
    /// `(α - 1) / Σ(α - 1)` with `α - 1` clamped at 0. Where every `α < 1` (the density
    /// is unbounded at every vertex) PyTorch's result is the first vertex `e_0` (its
    /// `argmax` over the NaN row picks index 0): the same here.
    fn mode(&self) -> Result<Tensor> {
        let c = &self.concentration;
        let m = (c - 1.0).clamp(Some(0.0), None::<f64>);
        let m = &m / m.sum_dim(-1, true);
        let all_below = c.lt(1.0).all_dim(-1, true).expand(c.shape().to_vec());
        let k = c.size(-1);
        let mut e0 = vec![0.0; k];
        e0[0] = 1.0;
        let e0 = Tensor::from_vec(e0, &[k])
            .to_dtype(c.dtype())
            .expand(c.shape().to_vec());
        Ok(e0.where_(&all_below, &m))
    }
    fn variance(&self) -> Result<Tensor> {
        let c = &self.concentration;
        let a0 = c.sum_dim(-1, true);
        Ok(c * (&a0 - c) / (a0.square() * (&a0 + 1.0)))
    }
    fn expand(&self, batch_shape: &[usize]) -> Result<Box<dyn Distribution>> {
        check_expand(&self.repr(), self.batch_shape(), batch_shape)?;
        let s = [batch_shape, self.event_shape()].concat();
        Ok(Box::new(Dirichlet {
            concentration: self.concentration.expand(s),
            validate: self.validate,
        }))
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// The beta distribution `Beta(concentration1, concentration0)` on `[0, 1]`, a
/// two-component [`Dirichlet`] (as in PyTorch).
///
/// ```
/// use tessera_core::tensor;
/// use tessera_distributions::{Beta, Distribution};
/// let d = Beta::new(&tensor!(2.0), &tensor!(2.0)).unwrap();
/// assert_eq!(d.mean().unwrap().item::<f32>(), 0.5);
/// ```
#[derive(Clone, Debug)]
pub struct Beta {
    /// α, the exponent of `x`.
    pub concentration1: Tensor,
    /// β, the exponent of `1 - x`.
    pub concentration0: Tensor,
    dirichlet: Dirichlet,
}

impl Beta {
    /// `Beta(concentration1, concentration0)` with validation per [`default_validate_args`].
    ///
    /// # Errors
    /// With validation on: a parameter not positive.
    ///
    /// # Panics
    /// If the shapes do not broadcast.
    pub fn new(concentration1: &Tensor, concentration0: &Tensor) -> Result<Beta> {
        Beta::new_with(concentration1, concentration0, default_validate_args())
    }

    /// `Beta(concentration1, concentration0, validate_args=validate)`.
    ///
    /// # Errors
    /// As [`Beta::new`] when `validate` is true.
    ///
    /// # Panics
    /// If the shapes do not broadcast.
    pub fn new_with(c1: &Tensor, c0: &Tensor, validate: bool) -> Result<Beta> {
        let p = broadcast_all("Beta", &[c1, c0]);
        let (c1, c0) = (p[0].clone(), p[1].clone());
        if validate {
            let r = || repr_of("Beta", &[("concentration1", &c1), ("concentration0", &c0)]);
            check_param("Beta", &r, "concentration1", &c1, &Constraint::positive())?;
            check_param("Beta", &r, "concentration0", &c0, &Constraint::positive())?;
        }
        let dirichlet = Dirichlet::new_with(&Tensor::stack(&[c1.clone(), c0.clone()], -1), false)?;
        let dirichlet = Dirichlet {
            validate,
            ..dirichlet
        };
        Ok(Beta {
            concentration1: c1,
            concentration0: c0,
            dirichlet,
        })
    }
}

impl Distribution for Beta {
    fn repr(&self) -> String {
        repr_of(
            "Beta",
            &[
                ("concentration1", &self.concentration1),
                ("concentration0", &self.concentration0),
            ],
        )
    }
    fn batch_shape(&self) -> &[usize] {
        self.concentration1.shape()
    }
    fn event_shape(&self) -> &[usize] {
        &[]
    }
    fn support(&self) -> Constraint {
        Constraint::unit_interval()
    }
    fn validate_args(&self) -> bool {
        self.dirichlet.validate
    }
    fn has_rsample(&self) -> bool {
        true
    }
    fn rsample(&self, shape: &[usize], g: &mut Generator) -> Result<Tensor> {
        Ok(self.dirichlet.rsample(shape, g)?.select(-1, 0))
    }
    fn log_prob(&self, value: &Tensor) -> Result<Tensor> {
        if self.dirichlet.validate {
            validate_sample(self, value)?;
        }
        let v = value.to_dtype(self.concentration1.dtype());
        let ht = Tensor::stack(&[v.clone(), 1.0 - &v], -1);
        Dirichlet {
            validate: false,
            ..self.dirichlet.clone()
        }
        .log_prob(&ht)
    }
    fn entropy(&self) -> Result<Tensor> {
        self.dirichlet.entropy()
    }
    fn mean(&self) -> Result<Tensor> {
        Ok(&self.concentration1 / (&self.concentration1 + &self.concentration0))
    }
    fn mode(&self) -> Result<Tensor> {
        Ok(self.dirichlet.mode()?.select(-1, 0))
    }
    fn variance(&self) -> Result<Tensor> {
        let t = &self.concentration1 + &self.concentration0;
        Ok(&self.concentration1 * &self.concentration0 / (t.square() * (&t + 1.0)))
    }
    fn expand(&self, batch_shape: &[usize]) -> Result<Box<dyn Distribution>> {
        check_expand(&self.repr(), self.batch_shape(), batch_shape)?;
        Ok(Box::new(Beta::new_with(
            &self.concentration1.expand(batch_shape.to_vec()),
            &self.concentration0.expand(batch_shape.to_vec()),
            self.dirichlet.validate,
        )?))
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}
