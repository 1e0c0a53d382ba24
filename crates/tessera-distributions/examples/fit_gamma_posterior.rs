//! Variational inference with `rsample` and autograd: the posterior of a Poisson rate.
//!
//! Counts `k_1..k_n ~ Poisson(λ)` with the prior `λ ~ Gamma(a0, b0)` have the exact
//! posterior `Gamma(a0 + Σk, b0 + n)`. This example forgets that and fits
//! `q(λ) = Gamma(α, β)` by maximizing the evidence lower bound
//! `E_q[ln p(k | λ) + ln p(λ) - ln q(λ)]`, estimated from 256 reparameterized samples
//! per step: the gradient in `α` flows through the implicit reparameterization of the
//! gamma sampler, the one in `β` through the scaling. Adam on `(ln α, ln β)`.
//! At the end it prints the fit next to the exact posterior and their KL divergence.
//!
//! Run: `cargo run --release -p tessera-distributions --example fit_gamma_posterior`

use tessera_core::autograd::no_grad;
use tessera_core::{tensor, DType, Generator, Tensor};
use tessera_distributions::{kl_divergence, Distribution, Gamma};

fn main() -> tessera_core::Result<()> {
    let f64t = |v: f64| Tensor::full_dtype(&[], v, DType::F64);
    // data: 40 counts drawn from Poisson(3.7) (fixed here so the run is reproducible)
    let counts = [
        4.0, 2.0, 5.0, 3.0, 6.0, 3.0, 4.0, 1.0, 3.0, 5.0, 4.0, 4.0, 2.0, 7.0, 3.0, 3.0, 5.0, 2.0,
        4.0, 3.0, 6.0, 4.0, 2.0, 3.0, 5.0, 4.0, 3.0, 1.0, 4.0, 5.0, 3.0, 4.0, 2.0, 6.0, 3.0, 4.0,
        5.0, 2.0, 3.0, 4.0,
    ];
    let k = Tensor::from_vec(counts.to_vec(), &[counts.len()]);
    let (n, sum_k) = (counts.len() as f64, counts.iter().sum::<f64>());
    let (a0, b0) = (2.0, 0.5);
    let prior = Gamma::new(&f64t(a0), &f64t(b0))?;
    let log_k_fact = (&k + 1.0).lgamma().sum();

    // variational parameters, unconstrained
    let log_a = tensor!(0.0, dtype = DType::F64);
    let log_b = tensor!(0.0, dtype = DType::F64);
    log_a.requires_grad_(true);
    log_b.requires_grad_(true);
    let params = [log_a.clone(), log_b.clone()];
    let (mut m, mut v) = ([0.0f64; 2], [0.0f64; 2]);
    let (lr, beta1, beta2) = (0.1, 0.9, 0.999);
    let mut g = Generator::new(0);
    for step in 1..=3000 {
        let q = Gamma::new(&log_a.exp(), &log_b.exp())?;
        let lam = q.rsample(&[256], &mut g)?; // reparameterized: gradients reach α, β
                                              // ln p(k | λ) for each sample: Σ_i k_i ln λ - n λ - Σ ln k_i!
        let loglik = lam.log() * sum_k - &lam * n - &log_k_fact;
        let elbo = (loglik + prior.log_prob(&lam)? - q.log_prob(&lam)?).mean();
        let loss = -&elbo;
        for p in &params {
            p.zero_grad();
        }
        loss.backward();
        let _ng = no_grad();
        for (i, p) in params.iter().enumerate() {
            let gr = p.grad().expect("gradient").item::<f64>();
            m[i] = beta1 * m[i] + (1.0 - beta1) * gr;
            v[i] = beta2 * v[i] + (1.0 - beta2) * gr * gr;
            let mh = m[i] / (1.0 - beta1.powi(step));
            let vh = v[i] / (1.0 - beta2.powi(step));
            p.sub_(lr * mh / (vh.sqrt() + 1e-8));
        }
        if step % 500 == 0 {
            println!(
                "step {step:5}: ELBO {:9.4}  alpha {:8.3}  beta {:7.3}",
                elbo.item::<f64>(),
                log_a.exp().item::<f64>(),
                log_b.exp().item::<f64>()
            );
        }
    }
    let fit = Gamma::new(&log_a.exp().detach(), &log_b.exp().detach())?;
    let exact = Gamma::new(&f64t(a0 + sum_k), &f64t(b0 + n))?;
    println!(
        "fit:   Gamma({:.3}, {:.3}), mean {:.4}, sd {:.4}",
        fit.concentration.item::<f64>(),
        fit.rate.item::<f64>(),
        fit.mean()?.item::<f64>(),
        fit.stddev()?.item::<f64>()
    );
    println!(
        "exact: Gamma({:.3}, {:.3}), mean {:.4}, sd {:.4}",
        a0 + sum_k,
        b0 + n,
        exact.mean()?.item::<f64>(),
        exact.stddev()?.item::<f64>()
    );
    println!(
        "KL(fit || exact) = {:.2e}",
        kl_divergence(&fit, &exact)?.item::<f64>()
    );
    Ok(())
}
