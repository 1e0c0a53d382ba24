//! [`Wishart`]: `torch.distributions.Wishart(df, covariance_matrix | precision_matrix |
//! scale_tril)`.

use crate::constraints::Constraint;
use crate::distribution::{
    check_expand, check_param, default_validate_args, repr_of, validate_sample, Distribution,
};
use crate::mvn::Scale;
use crate::util::{diag_embed, diagonal, float_dtype, solve_lower_mat, standard_gamma, tril_mask};
use std::any::Any;
use std::f64::consts::LN_2;
use tessera_core::layout::broadcast_shapes;
use tessera_core::{Error, Generator, Result, Tensor};

/// The Wishart distribution over `p x p` symmetric positive-definite matrices with `df`
/// degrees of freedom and scale Σ (given as covariance, precision or `scale_tril`),
/// batched with broadcasting. `df > p - 1` is required.
///
/// Sampling is Bartlett's decomposition: `X = (L A)(L A)ᵀ` with `A` lower triangular,
/// `A_ii = sqrt(χ²(df - i))`, `A_ij ~ N(0, 1)` below the diagonal. Every sample is drawn
/// once: unlike PyTorch (whose singularity check is negated, issue #122021, so it
/// resamples valid draws and warns), nothing is rejected or redrawn, so the samples
/// follow the Wishart law without selection bias. `rsample` is reparameterized: in Σ
/// through `L`, in `df` through the chi-squared draws' implicit gradients.
///
/// A diagonal entry of `A` is at least `sqrt(2 · f64::MIN_POSITIVE)` (the gamma draw is
/// raised to the smallest normal when it underflows). With `df - p + 1` tiny (say 1e-3)
/// most draws of the last chi-squared lie far below f64's range, so the smallest
/// eigenvalue of such a sample is not representable: the sample is then exactly
/// symmetric and positive semi-definite to working precision, but a Cholesky
/// factorization of it may fail. The distribution's `log_prob` is then `-inf`/NaN there,
/// as any floating-point evaluation would give.
///
/// ```
/// use tessera_core::{tensor, DType, Generator};
/// use tessera_distributions::{Distribution, Wishart};
/// let cov = tensor!([[2.0, 0.5], [0.5, 1.0]], dtype = DType::F64);
/// let w = Wishart::new(&tensor!(4.0, dtype = DType::F64), Some(&cov), None, None).unwrap();
/// let x = w.sample(&[3], &mut Generator::new(0));
/// assert_eq!(x.shape(), &[3, 2, 2]);
/// assert!(w.log_prob(&x).unwrap().isfinite().all().item::<bool>());
/// // df must exceed p - 1
/// let e = Wishart::new(&tensor!(0.5, dtype = DType::F64), Some(&cov), None, None).unwrap_err();
/// assert!(e.to_string().contains("expected to be greater than ndim - 1 = 1"));
/// ```
#[derive(Clone, Debug)]
pub struct Wishart {
    /// Degrees of freedom, `batch_shape`.
    pub df: Tensor,
    /// The scale as given.
    pub scale: Scale,
    /// Lower Cholesky factor of Σ, unbroadcast.
    pub scale_tril: Tensor,
    batch: Vec<usize>,
    event: Vec<usize>,
    validate: bool,
}

impl Wishart {
    /// `Wishart(df, covariance_matrix=, precision_matrix=, scale_tril=)` with
    /// validation per [`default_validate_args`].
    ///
    /// # Errors
    /// Not exactly one matrix given; a matrix of fewer than 2 dims; `df <= p - 1` or NaN
    /// anywhere (PyTorch's "Value of df=... expected to be greater than ndim - 1 = ...";
    /// PyTorch lets a NaN through to fail later in `mvlgamma`);
    /// with validation on, a matrix that is not positive definite / lower Cholesky.
    ///
    /// # Panics
    /// If the batch shapes do not broadcast or the matrix is not square.
    pub fn new(
        df: &Tensor,
        covariance_matrix: Option<&Tensor>,
        precision_matrix: Option<&Tensor>,
        scale_tril: Option<&Tensor>,
    ) -> Result<Wishart> {
        let s = Scale::exactly_one(covariance_matrix, precision_matrix, scale_tril)?;
        Wishart::new_with(df, s, default_validate_args())
    }

    /// `Wishart` from a [`Scale`], `validate_args=validate`.
    ///
    /// # Errors
    /// As [`Wishart::new`].
    ///
    /// # Panics
    /// As [`Wishart::new`].
    pub fn new_with(df: &Tensor, scale: Scale, validate: bool) -> Result<Wishart> {
        let (name, m) = scale.parts();
        if m.dim() < 2 {
            return Err(Error::Msg(format!(
                "{name} must be at least two-dimensional, with optional leading batch dimensions"
            )));
        }
        let p = m.size(-1);
        assert_eq!(
            m.size(-2),
            p,
            "Wishart: {name} must be square, got shape {:?}",
            m.shape()
        );
        let dtype = float_dtype(&[df, m]);
        let batch = broadcast_shapes("Wishart", &m.shape()[..m.dim() - 2], df.shape());
        let df = df.to_dtype(dtype).expand(batch.clone());
        let scale = match scale {
            Scale::Covariance(t) => Scale::Covariance(t.to_dtype(dtype)),
            Scale::Precision(t) => Scale::Precision(t.to_dtype(dtype)),
            Scale::ScaleTril(t) => Scale::ScaleTril(t.to_dtype(dtype)),
        };
        // `!(df > p - 1)` rather than `df <= p - 1`: a NaN df is refused here too, so
        // log_prob and entropy never hand mvlgamma an argument outside its domain.
        if df.gt((p as f64) - 1.0).logical_not().any().item::<bool>() {
            return Err(Error::Msg(format!(
                "Value of df={} expected to be greater than ndim - 1 = {}.",
                if df.numel() == 1 {
                    format!(
                        "{:?}",
                        df.detach()
                            .to_dtype(tessera_core::DType::F64)
                            .reshape([1])
                            .get::<f64>(&[0])
                    )
                } else {
                    format!("{}", df.detach())
                },
                p as i64 - 1
            )));
        }
        let repr = || {
            let (name, m) = scale.parts();
            repr_of("Wishart", &[("df", &df), (name, m)])
        };
        if validate {
            let (name, m) = scale.parts();
            check_param("Wishart", &repr, name, m, &scale.constraint())?;
            check_param("Wishart", &repr, "df", &df, &Constraint::positive())?;
        }
        let scale_tril = scale.scale_tril()?;
        Ok(Wishart {
            df,
            scale,
            scale_tril,
            batch,
            event: vec![p, p],
            validate,
        })
    }

    fn p(&self) -> usize {
        self.event[0]
    }

    /// Σ = L Lᵀ, broadcast to `batch_shape + [p, p]`.
    pub fn covariance_matrix(&self) -> Tensor {
        let p = self.p();
        self.scale_tril
            .matmul(&self.scale_tril.mt())
            .expand([self.batch.clone(), vec![p, p]].concat())
    }

    /// `df` viewed as `batch_shape + [1, 1]`.
    fn df_mat(&self) -> Tensor {
        self.df.reshape([self.batch.clone(), vec![1, 1]].concat())
    }

    /// `p ln2 / 2 + Σ ln diag(L)`.
    fn log_norm_part(&self) -> Tensor {
        let p = self.p() as f64;
        diagonal(&self.scale_tril).log().sum_dim(-1, false) + p * LN_2 / 2.0
    }
}

impl Distribution for Wishart {
    fn repr(&self) -> String {
        let (name, m) = self.scale.parts();
        repr_of("Wishart", &[("df", &self.df), (name, m)])
    }
    fn batch_shape(&self) -> &[usize] {
        &self.batch
    }
    fn event_shape(&self) -> &[usize] {
        &self.event
    }
    fn support(&self) -> Constraint {
        Constraint::PositiveDefinite
    }
    fn validate_args(&self) -> bool {
        self.validate
    }
    fn has_rsample(&self) -> bool {
        true
    }
    /// Bartlett draws without a graph: one fused parallel pass when `df` and the scale
    /// are not batched (the same law as [`Distribution::rsample`], another stream of
    /// numbers), else `rsample` without gradients.
    fn sample(&self, shape: &[usize], g: &mut Generator) -> Tensor {
        if self.batch.is_empty() {
            if let Some(x) = crate::wishart_fast::sample(&self.df, &self.scale_tril, shape, g) {
                return x;
            }
        }
        let _ng = tessera_core::autograd::no_grad();
        self.rsample(shape, g)
            .unwrap_or_else(|e| panic!("{}: sample: {e}", self.repr()))
    }
    fn rsample(&self, shape: &[usize], g: &mut Generator) -> Result<Tensor> {
        let p = self.p();
        let dtype = self.df.dtype();
        let sb = [shape, &self.batch[..]].concat();
        // χ²(df - i) = 2 Gamma((df - i) / 2, 1), i = 0..p
        let offs = Tensor::arange(0, p as i64).to_dtype(dtype);
        let half_k = (self.df.unsqueeze(-1) - offs) * 0.5;
        let chi2 = standard_gamma(&half_k.expand([sb.clone(), vec![p]].concat()), g) * 2.0;
        let noise = crate::util::randn(&[sb.clone(), vec![p, p]].concat(), dtype, g);
        let strict = tril_mask(p, p, dtype) - Tensor::eye_dtype(p, p, dtype);
        let a = noise * strict + diag_embed(&chi2.sqrt());
        let c = self.scale_tril.matmul(&a);
        let x = c.matmul(&c.mt());
        // exactly symmetric whatever the product's rounding
        Ok((&x + x.mt()) * 0.5)
    }
    fn log_prob(&self, value: &Tensor) -> Result<Tensor> {
        if self.validate {
            validate_sample(self, value)?;
        }
        let p = self.p();
        let nu = &self.df;
        let value = value.to_dtype(nu.dtype());
        if self.batch.is_empty() {
            if let Some(lp) = crate::wishart_fast::log_prob(nu, &self.scale_tril, &value) {
                return Ok(lp);
            }
        }
        // tr(Σ⁻¹ X) = Σᵢⱼ (L⁻ᵀ L⁻¹)ᵢⱼ Xᵢⱼ for symmetric X
        let eye = Tensor::eye_dtype(p, p, nu.dtype());
        let linv = solve_lower_mat(&self.scale_tril, &eye);
        let prec = linv.mt().matmul(&linv);
        let trace = (&value * prec).sum_dim([-2, -1], false);
        let (_, logabsdet) = tessera_linalg::slogdet(&value);
        Ok(-(nu * self.log_norm_part()) - (nu * 0.5).mvlgamma(p as u32)
            + (nu - (p as f64 + 1.0)) * 0.5 * logabsdet
            - trace * 0.5)
    }
    fn entropy(&self) -> Result<Tensor> {
        let p = self.p();
        let nu = &self.df;
        let half = nu * 0.5;
        let mut mvdigamma = half.digamma();
        for i in 1..p {
            mvdigamma = mvdigamma + (&half - i as f64 / 2.0).digamma();
        }
        Ok(
            self.log_norm_part() * (p as f64 + 1.0) + half.mvlgamma(p as u32)
                - (nu - (p as f64 + 1.0)) * 0.5 * mvdigamma
                + nu * (p as f64 / 2.0),
        )
    }
    fn mean(&self) -> Result<Tensor> {
        Ok(self.df_mat() * self.covariance_matrix())
    }
    /// `(df - p - 1) Σ`, NaN where `df <= p + 1` (PyTorch's formula).
    fn mode(&self) -> Result<Tensor> {
        let f = &self.df - (self.p() as f64 + 1.0);
        let f = f.where_(&f.gt(0.0), f64::NAN);
        Ok(f.reshape([self.batch.clone(), vec![1, 1]].concat()) * self.covariance_matrix())
    }
    /// `df (Σᵢⱼ² + Σᵢᵢ Σⱼⱼ)`.
    fn variance(&self) -> Result<Tensor> {
        let v = self.covariance_matrix();
        let d = diagonal(&v);
        Ok(self.df_mat() * (v.square() + d.unsqueeze(-1) * d.unsqueeze(-2)))
    }
    fn expand(&self, batch_shape: &[usize]) -> Result<Box<dyn Distribution>> {
        check_expand(&self.repr(), &self.batch, batch_shape)?;
        Ok(Box::new(Wishart {
            df: self.df.expand(batch_shape.to_vec()),
            scale: self.scale.clone(),
            scale_tril: self.scale_tril.clone(),
            batch: batch_shape.to_vec(),
            event: self.event.clone(),
            validate: self.validate,
        }))
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}
