//! Gradients: gradcheck (finite differences in f64) of `log_prob` in the parameters
//! and the value, and of `rsample` at a fixed seed for samplers that are smooth in
//! their parameters at fixed randomness. Gamma-based samplers use an implicit
//! gradient, which is not the derivative of the rejection sampler at fixed random
//! numbers: they are checked by `E[dx/dθ] = dE[x]/dθ` instead.

use std::sync::Arc;
use tessera_core::autograd::{gradcheck, GradcheckOptions};
use tessera_core::{tensor, DType, Generator, Tensor};
use tessera_distributions::*;

fn leaf(t: Tensor) -> Tensor {
    let t = t.to_dtype(DType::F64);
    t.requires_grad_(true);
    t
}

/// The lower triangle (gradcheck perturbs every entry; a scale_tril must stay lower).
fn tril(t: &Tensor) -> Tensor {
    let n = t.size(-1);
    let m: Vec<f64> = (0..n * n)
        .map(|k| if k % n <= k / n { 1.0 } else { 0.0 })
        .collect();
    t * Tensor::from_vec(m, &[n, n])
}

fn opts() -> GradcheckOptions {
    GradcheckOptions::default()
}

#[test]
fn log_prob_gradcheck_univariate() {
    let loc = leaf(tensor!([0.3, -1.0]));
    let scale = leaf(tensor!([0.7, 2.0]));
    let x = leaf(tensor!([0.1, 0.5]));
    gradcheck(
        |v| Normal::new(&v[0], &v[1]).unwrap().log_prob(&v[2]).unwrap(),
        &[loc.clone(), scale.clone(), x.clone()],
        opts(),
    )
    .unwrap();
    gradcheck(
        |v| Normal::new(&v[0], &v[1]).unwrap().cdf(&v[2]).unwrap(),
        &[loc.clone(), scale.clone(), x.clone()],
        opts(),
    )
    .unwrap();
    gradcheck(
        |v| {
            LogNormal::new(&v[0], &v[1])
                .unwrap()
                .log_prob(&v[2])
                .unwrap()
        },
        &[loc, scale.clone(), x.clone()],
        opts(),
    )
    .unwrap();
    let a = leaf(tensor!([0.6, 3.0]));
    let b = leaf(tensor!([1.5, 0.4]));
    gradcheck(
        |v| Gamma::new(&v[0], &v[1]).unwrap().log_prob(&v[2]).unwrap(),
        &[a.clone(), b.clone(), x.clone()],
        opts(),
    )
    .unwrap();
    gradcheck(
        |v| Gamma::new(&v[0], &v[1]).unwrap().cdf(&v[2]).unwrap(),
        &[a.clone(), b.clone(), x.clone()],
        opts(),
    )
    .unwrap();
    gradcheck(
        |v| Gamma::new(&v[0], &v[1]).unwrap().entropy().unwrap(),
        &[a.clone(), b.clone()],
        opts(),
    )
    .unwrap();
    gradcheck(
        |v| Beta::new(&v[0], &v[1]).unwrap().log_prob(&v[2]).unwrap(),
        &[a.clone(), b.clone(), x.clone()],
        opts(),
    )
    .unwrap();
    gradcheck(
        |v| Exponential::new(&v[0]).unwrap().log_prob(&v[1]).unwrap(),
        &[b.clone(), x.clone()],
        opts(),
    )
    .unwrap();
    gradcheck(
        |v| Chi2::new(&v[0]).unwrap().log_prob(&v[1]).unwrap(),
        &[a, x.clone()],
        opts(),
    )
    .unwrap();
    let p = leaf(tensor!([0.2, 0.7]));
    gradcheck(
        |v| {
            Bernoulli::from_probs(&v[0])
                .unwrap()
                .log_prob(&tensor!([1.0, 0.0], dtype = DType::F64))
                .unwrap()
        },
        &[p],
        opts(),
    )
    .unwrap();
    let l = leaf(tensor!([[0.2, -1.0, 0.5]]));
    gradcheck(
        |v| {
            Categorical::from_logits(&v[0])
                .unwrap()
                .log_prob(&tensor!([2, 0]))
                .unwrap()
        },
        std::slice::from_ref(&l),
        opts(),
    )
    .unwrap();
    gradcheck(
        |v| Categorical::from_logits(&v[0]).unwrap().entropy().unwrap(),
        &[l],
        opts(),
    )
    .unwrap();
    let c = leaf(tensor!([0.8, 2.0, 3.5]));
    gradcheck(
        |v| {
            Dirichlet::new(&v[0])
                .unwrap()
                .log_prob(&tensor!([0.2, 0.3, 0.5], dtype = DType::F64))
                .unwrap()
        },
        &[c],
        opts(),
    )
    .unwrap();
}

#[test]
fn log_prob_gradcheck_mvn_and_wishart() {
    let loc = leaf(tensor!([0.5, -0.2, 0.1]));
    let lt = leaf(tensor!([
        [1.2, 0.0, 0.0],
        [0.3, 0.8, 0.0],
        [-0.4, 0.2, 1.5]
    ]));
    let x = leaf(tensor!([[0.1, 0.2, 0.3], [1.0, -1.0, 0.0]]));
    gradcheck(
        |v| {
            MultivariateNormal::new(&v[0], None, None, Some(&tril(&v[1])))
                .unwrap()
                .log_prob(&v[2])
                .unwrap()
        },
        &[loc.clone(), lt.clone(), x],
        opts(),
    )
    .unwrap();
    let cov = leaf(tensor!([
        [2.0, 0.3, 0.1],
        [0.3, 1.0, -0.2],
        [0.1, -0.2, 1.5]
    ]));
    let y = tensor!([0.4, 0.0, -0.3], dtype = DType::F64);
    // a symmetric perturbation keeps the covariance valid: feed (C + Cᵀ)/2
    gradcheck(
        |v| {
            let c = (&v[0] + v[0].mt()) * 0.5;
            MultivariateNormal::new(&loc.detach(), Some(&c), None, None)
                .unwrap()
                .log_prob(&y)
                .unwrap()
        },
        &[cov],
        opts(),
    )
    .unwrap();
    let df = leaf(tensor!(4.5));
    let wx = tensor!(
        [[3.0, 0.5, 0.2], [0.5, 2.0, -0.1], [0.2, -0.1, 4.0]],
        dtype = DType::F64
    );
    gradcheck(
        |v| {
            Wishart::new(&v[0], None, None, Some(&tril(&v[1])))
                .unwrap()
                .log_prob(&wx)
                .unwrap()
        },
        &[df.clone(), lt.clone()],
        opts(),
    )
    .unwrap();
    gradcheck(
        |v| {
            Wishart::new(&v[0], None, None, Some(&tril(&v[1])))
                .unwrap()
                .entropy()
                .unwrap()
        },
        &[df, lt],
        opts(),
    )
    .unwrap();
}

#[test]
fn rsample_gradcheck_at_fixed_seed() {
    let loc = leaf(tensor!([0.3, -1.0]));
    let scale = leaf(tensor!([0.7, 2.0]));
    gradcheck(
        |v| {
            Normal::new(&v[0], &v[1])
                .unwrap()
                .rsample(&[3], &mut Generator::new(5))
                .unwrap()
        },
        &[loc.clone(), scale.clone()],
        opts(),
    )
    .unwrap();
    gradcheck(
        |v| {
            LogNormal::new(&v[0], &v[1])
                .unwrap()
                .rsample(&[3], &mut Generator::new(5))
                .unwrap()
        },
        &[loc.clone(), scale.clone()],
        opts(),
    )
    .unwrap();
    let hi = leaf(tensor!([1.0, 4.0]));
    gradcheck(
        |v| {
            Uniform::new(&v[0], &v[1])
                .unwrap()
                .rsample(&[3], &mut Generator::new(5))
                .unwrap()
        },
        &[loc.clone(), hi],
        opts(),
    )
    .unwrap();
    gradcheck(
        |v| {
            Exponential::new(&v[0])
                .unwrap()
                .rsample(&[3], &mut Generator::new(5))
                .unwrap()
        },
        std::slice::from_ref(&scale),
        opts(),
    )
    .unwrap();
    // Gamma in its rate (a scaling at fixed standard-gamma draws)
    let a = tensor!([0.6, 3.0], dtype = DType::F64);
    gradcheck(
        |v| {
            Gamma::new(&a, &v[0])
                .unwrap()
                .rsample(&[3], &mut Generator::new(5))
                .unwrap()
        },
        std::slice::from_ref(&scale),
        opts(),
    )
    .unwrap();
    let mloc = leaf(tensor!([0.5, -0.2]));
    let lt = leaf(tensor!([[1.2, 0.0], [0.3, 0.8]]));
    gradcheck(
        |v| {
            MultivariateNormal::new(&v[0], None, None, Some(&tril(&v[1])))
                .unwrap()
                .rsample(&[2], &mut Generator::new(5))
                .unwrap()
        },
        &[mloc, lt.clone()],
        opts(),
    )
    .unwrap();
    // Wishart in its scale (df fixed: the chi-squared draws are then fixed)
    let df = tensor!(3.5, dtype = DType::F64);
    gradcheck(
        |v| {
            Wishart::new(&df, None, None, Some(&tril(&v[0])))
                .unwrap()
                .rsample(&[2], &mut Generator::new(5))
                .unwrap()
        },
        &[lt],
        opts(),
    )
    .unwrap();
    // Independent and TransformedDistribution pass gradients through
    gradcheck(
        |v| {
            let base = Normal::new(&v[0], &v[1]).unwrap();
            let d = Independent::new(Arc::new(base), 1).unwrap();
            d.rsample(&[2], &mut Generator::new(1)).unwrap()
        },
        &[loc, scale],
        opts(),
    )
    .unwrap();
}

/// `E[dX/dα] = dE[X]/dα`: for Gamma(α, β) the mean is α/β, so the average of the
/// implicit gradients over n samples must be 1/β within 5 standard errors (the
/// standard error estimated from the same gradients).
#[test]
fn implicit_gamma_gradients_are_unbiased() {
    for &(alpha, rate) in &[(0.05f64, 1.0f64), (0.7, 2.0), (4.0, 0.5)] {
        let n = 20_000;
        let a = Tensor::full_dtype(&[n], alpha, DType::F64);
        a.requires_grad_(true);
        let d = Gamma::new(&a, &tensor!(rate, dtype = DType::F64)).unwrap();
        let x = d.rsample(&[], &mut Generator::new(11)).unwrap();
        x.sum().backward();
        let g = a.grad().unwrap().to_vec::<f64>();
        let mean = g.iter().sum::<f64>() / n as f64;
        let var = g.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n as f64 - 1.0);
        let se = (var / n as f64).sqrt();
        assert!(
            (mean - 1.0 / rate).abs() < 5.0 * se,
            "alpha {alpha}: mean grad {mean} vs {} (se {se})",
            1.0 / rate
        );
    }
    // Dirichlet: E[x_0] = a_0 / Σa, so dE[x_0]/da_0 = (Σa - a_0) / (Σa)²
    let c = tensor!([1.5, 0.5, 2.0], dtype = DType::F64);
    let n = 20_000;
    let cc = c.expand([n, 3]).contiguous();
    cc.requires_grad_(true);
    let x = Dirichlet::new(&cc)
        .unwrap()
        .rsample(&[], &mut Generator::new(3))
        .unwrap();
    x.select(-1, 0).sum().backward();
    let g = cc.grad().unwrap().select(-1, 0).to_vec::<f64>();
    let mean = g.iter().sum::<f64>() / n as f64;
    let var = g.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n as f64 - 1.0);
    let se = (var / n as f64).sqrt();
    let want = (4.0 - 1.5) / 16.0;
    assert!(
        (mean - want).abs() < 5.0 * se,
        "dirichlet {mean} vs {want} (se {se})"
    );
}

/// MultivariateNormal.log_prob takes a fused one-pass path when no gradient is needed:
/// it must agree with the differentiable path.
#[test]
fn mvn_fast_and_graph_paths_agree() {
    let loc = tensor!([0.5, -0.2, 0.1], dtype = DType::F64);
    let lt = tensor!(
        [[1.2, 0.0, 0.0], [0.3, 0.8, 0.0], [-0.4, 0.2, 1.5]],
        dtype = DType::F64
    );
    let x = Generator::new(3).randn(&[50, 3], DType::F64);
    let fast = MultivariateNormal::new(&loc, None, None, Some(&lt))
        .unwrap()
        .log_prob(&x)
        .unwrap();
    let l2 = leaf(loc.clone());
    let slow = MultivariateNormal::new(&l2, None, None, Some(&lt))
        .unwrap()
        .log_prob(&x)
        .unwrap();
    assert!(slow.requires_grad());
    let (a, b) = (fast.to_vec::<f64>(), slow.detach().to_vec::<f64>());
    for (a, b) in a.iter().zip(&b) {
        assert!((a - b).abs() <= 1e-13 * b.abs().max(1.0), "{a} vs {b}");
    }
}

/// Wishart rsample in df: E[X] = df Σ, so E[dX/d df] = Σ. The average of the
/// gradients of Σᵢⱼ Xᵢⱼ over n samples must be Σᵢⱼ Σᵢⱼ within 5 standard errors.
#[test]
fn wishart_df_gradient_is_unbiased() {
    let cov = tensor!([[2.0, 0.6], [0.6, 1.0]], dtype = DType::F64);
    let n = 20_000;
    let df = Tensor::full_dtype(&[n], 2.5, DType::F64);
    df.requires_grad_(true);
    let w = Wishart::new(&df, Some(&cov), None, None).unwrap();
    let x = w.rsample(&[], &mut Generator::new(4)).unwrap();
    x.sum().backward();
    let g = df.grad().unwrap().to_vec::<f64>();
    let mean = g.iter().sum::<f64>() / n as f64;
    let var = g.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n as f64 - 1.0);
    let se = (var / n as f64).sqrt();
    let want = 2.0 + 0.6 + 0.6 + 1.0;
    assert!((mean - want).abs() < 5.0 * se, "{mean} vs {want} (se {se})");
}

/// Transforms are differentiable through their forward maps and log-det-Jacobians.
#[test]
fn transforms_gradcheck() {
    use tessera_distributions::transforms::*;
    let x = leaf(tensor!([[0.3, -1.2, 0.5], [0.1, 0.2, -0.4]]));
    gradcheck(
        |v| CorrCholeskyTransform.forward(&v[0]),
        std::slice::from_ref(&x),
        opts(),
    )
    .unwrap();
    gradcheck(
        |v| {
            let y = CorrCholeskyTransform.forward(&v[0]);
            CorrCholeskyTransform
                .log_abs_det_jacobian(&v[0], &y)
                .unwrap()
        },
        std::slice::from_ref(&x),
        opts(),
    )
    .unwrap();
    gradcheck(
        |v| StickBreakingTransform.forward(&v[0]),
        std::slice::from_ref(&x),
        opts(),
    )
    .unwrap();
    let c: TransformRef = ComposeTransform::new(vec![
        Arc::new(TanhTransform),
        Arc::new(AffineTransform::new(
            &tensor!(2.0, dtype = DType::F64),
            &tensor!(0.5, dtype = DType::F64),
            1,
        )),
    ]);
    gradcheck(
        |v| {
            let y = c.forward(&v[0]);
            c.log_abs_det_jacobian(&v[0], &y).unwrap()
        },
        &[x],
        opts(),
    )
    .unwrap();
}
