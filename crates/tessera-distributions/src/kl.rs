//! `kl_divergence(p, q)` with a registry of pairs (`torch.distributions.kl`).
//!
//! Built in: Normal, MultivariateNormal, Gamma, Beta, Dirichlet, Exponential, Uniform,
//! Bernoulli and Categorical with themselves, with PyTorch's formulas (including its
//! `inf` where `q` puts no mass where `p` does). More pairs can be added with
//! [`register_kl`]. An unknown pair is an `Err` naming both distributions.
//!
//! ```
//! use tessera_core::tensor;
//! use tessera_distributions::{kl_divergence, Normal, Exponential};
//! let p = Normal::new(&tensor!(0.0), &tensor!(1.0)).unwrap();
//! let q = Normal::new(&tensor!(1.0), &tensor!(1.0)).unwrap();
//! assert_eq!(kl_divergence(&p, &q).unwrap().item::<f32>(), 0.5);
//! let e = Exponential::new(&tensor!(1.0)).unwrap();
//! assert!(kl_divergence(&p, &e).is_err());
//! ```

use crate::util::{diagonal, solve_lower, solve_lower_mat};
use crate::*;
use std::any::{Any, TypeId};
use std::sync::RwLock;
use tessera_core::{Error, Result, Tensor};

/// A KL function on two downcastable distributions.
pub type KlFn = fn(&dyn Any, &dyn Any) -> Result<Tensor>;

type Entry = (TypeId, TypeId, KlFn);

static REGISTRY: RwLock<Vec<Entry>> = RwLock::new(Vec::new());

/// Registers `f` as the KL divergence of `P` from `Q` (`register_kl(P, Q)`), replacing
/// an earlier one for the same pair.
pub fn register_kl<P: 'static, Q: 'static>(f: KlFn) {
    let mut r = REGISTRY.write().unwrap_or_else(|e| e.into_inner());
    let key = (TypeId::of::<P>(), TypeId::of::<Q>());
    r.retain(|(a, b, _)| (*a, *b) != key);
    r.push((key.0, key.1, f));
}

fn down<T: 'static>(d: &dyn Any) -> &T {
    d.downcast_ref::<T>()
        .expect("registry key matched the type")
}

macro_rules! builtin {
    ($($t:ty => $f:ident;)*) => {
        fn builtin(p: TypeId, q: TypeId) -> Option<KlFn> {
            $(
                if p == TypeId::of::<$t>() && q == TypeId::of::<$t>() {
                    return Some(|a, b| $f(down::<$t>(a), down::<$t>(b)));
                }
            )*
            None
        }
    };
}

builtin! {
    Normal => kl_normal;
    Exponential => kl_exponential;
    Gamma => kl_gamma;
    Beta => kl_beta;
    Dirichlet => kl_dirichlet;
    Uniform => kl_uniform;
    Bernoulli => kl_bernoulli;
    Categorical => kl_categorical;
    MultivariateNormal => kl_mvn;
}

/// `KL(p || q)`, of the broadcast batch shape.
///
/// # Errors
/// No formula registered for the pair ("No KL(p || q) is implemented for ... and ...",
/// PyTorch's NotImplementedError); or the formula's own errors (MultivariateNormals of
/// different event shapes).
pub fn kl_divergence(p: &dyn Distribution, q: &dyn Distribution) -> Result<Tensor> {
    let (tp, tq) = (p.as_any().type_id(), q.as_any().type_id());
    let user = {
        let r = REGISTRY.read().unwrap_or_else(|e| e.into_inner());
        r.iter()
            .find(|(a, b, _)| *a == tp && *b == tq)
            .map(|(_, _, f)| *f)
    };
    match user.or_else(|| builtin(tp, tq)) {
        Some(f) => f(p.as_any(), q.as_any()),
        None => Err(Error::Msg(format!(
            "No KL(p || q) is implemented for p = {} and q = {} (NotImplementedError)",
            p.repr(),
            q.repr()
        ))),
    }
}

fn kl_normal(p: &Normal, q: &Normal) -> Result<Tensor> {
    let var_ratio = (&p.scale / &q.scale).square();
    let t1 = ((&p.loc - &q.loc) / &q.scale).square();
    Ok((&var_ratio + t1 - 1.0 - var_ratio.log()) * 0.5)
}

fn kl_exponential(p: &Exponential, q: &Exponential) -> Result<Tensor> {
    let r = &q.rate / &p.rate;
    Ok(-r.log() + &r - 1.0)
}

fn kl_gamma(p: &Gamma, q: &Gamma) -> Result<Tensor> {
    let t1 = &q.concentration * (&p.rate / &q.rate).log();
    let t2 = q.concentration.lgamma() - p.concentration.lgamma();
    let t3 = (&p.concentration - &q.concentration) * p.concentration.digamma();
    let t4 = (&q.rate - &p.rate) * (&p.concentration / &p.rate);
    Ok(t1 + t2 + t3 + t4)
}

fn kl_beta(p: &Beta, q: &Beta) -> Result<Tensor> {
    let (p1, p0, q1, q0) = (
        &p.concentration1,
        &p.concentration0,
        &q.concentration1,
        &q.concentration0,
    );
    let sp = p1 + p0;
    let sq = q1 + q0;
    let t1 = q1.lgamma() + q0.lgamma() + sp.lgamma();
    let t2 = p1.lgamma() + p0.lgamma() + sq.lgamma();
    let t3 = (p1 - q1) * p1.digamma();
    let t4 = (p0 - q0) * p0.digamma();
    let t5 = (&sq - &sp) * sp.digamma();
    Ok(t1 - t2 + t3 + t4 + t5)
}

fn kl_dirichlet(p: &Dirichlet, q: &Dirichlet) -> Result<Tensor> {
    let (pc, qc) = (&p.concentration, &q.concentration);
    let sp = pc.sum_dim(-1, false);
    let sq = qc.sum_dim(-1, false);
    let t1 = sp.lgamma() - sq.lgamma();
    let t2 = (pc.lgamma() - qc.lgamma()).sum_dim(-1, false);
    let t3 = pc - qc;
    let t4 = pc.digamma() - sp.digamma().unsqueeze(-1);
    Ok(t1 - t2 + (t3 * t4).sum_dim(-1, false))
}

fn kl_uniform(p: &Uniform, q: &Uniform) -> Result<Tensor> {
    let r = ((&q.high - &q.low) / (&p.high - &p.low)).log();
    let outside = q.low.gt(&p.low).logical_or(&q.high.lt(&p.high));
    Ok(r.where_(&outside.logical_not(), f64::INFINITY))
}

fn kl_bernoulli(p: &Bernoulli, q: &Bernoulli) -> Result<Tensor> {
    let t1 = &p.probs * ((-&q.logits).softplus() - (-&p.logits).softplus());
    let t1 = t1.where_(&q.probs.ne(0.0), f64::INFINITY);
    let t1 = t1.where_(&p.probs.ne(0.0), 0.0);
    let t2 = (1.0 - &p.probs) * (q.logits.softplus() - p.logits.softplus());
    let t2 = t2.where_(&q.probs.ne(1.0), f64::INFINITY);
    let t2 = t2.where_(&p.probs.ne(1.0), 0.0);
    Ok(t1 + t2)
}

fn kl_categorical(p: &Categorical, q: &Categorical) -> Result<Tensor> {
    let t = &p.probs * (&p.logits - &q.logits);
    let t = t.where_(&q.probs.ne(0.0).expand_as(&t), f64::INFINITY);
    let t = t.where_(&p.probs.ne(0.0).expand_as(&t), 0.0);
    Ok(t.sum_dim(-1, false))
}

fn kl_mvn(p: &MultivariateNormal, q: &MultivariateNormal) -> Result<Tensor> {
    if p.event_shape() != q.event_shape() {
        return Err(Error::Msg(
            "KL-divergence between two Multivariate Normals with different event shapes cannot be computed"
                .into(),
        ));
    }
    let n = p.event_shape()[0] as f64;
    let half1 = diagonal(&q.scale_tril).log().sum_dim(-1, false)
        - diagonal(&p.scale_tril).log().sum_dim(-1, false);
    // tr(Σq⁻¹ Σp) = ||Lq⁻¹ Lp||_F²
    let term2 = solve_lower_mat(&q.scale_tril, &p.scale_tril)
        .square()
        .sum_dim([-2, -1], false);
    let term3 = solve_lower(&q.scale_tril, &(&q.loc - &p.loc))
        .square()
        .sum_dim(-1, false);
    Ok(half1 + (term2 + term3 - n) * 0.5)
}
