//! Sampling: same seed, same samples; sample shapes; moments against the analytic ones
//! at fixed seeds, each with its statistical bound stated (k standard errors of the
//! estimate, the standard error from the analytic variance); Wishart's positive
//! definiteness near df = p - 1.

use tessera_core::{tensor, DType, Generator, Tensor};
use tessera_distributions::*;

fn f64t(t: Tensor) -> Tensor {
    t.to_dtype(DType::F64)
}

/// Mean over dim 0 of `x` is within `k` standard errors of `mean`, with the standard
/// error `sqrt(var / n)` from the analytic variance.
fn check_mean(what: &str, x: &Tensor, mean: &Tensor, var: &Tensor, k: f64) {
    let n = x.size(0) as f64;
    let m = x
        .to_dtype(DType::F64)
        .mean_dim(0, false)
        .contiguous()
        .to_vec::<f64>();
    let want = mean.to_dtype(DType::F64).contiguous().to_vec::<f64>();
    let v = var.to_dtype(DType::F64).contiguous().to_vec::<f64>();
    for i in 0..m.len() {
        let se = (v[i] / n).sqrt();
        assert!(
            (m[i] - want[i]).abs() <= k * se,
            "{what}[{i}]: sample mean {} vs {} (se {se})",
            m[i],
            want[i]
        );
    }
}

/// Sample variance over dim 0 is within `rel` of the analytic one.
fn check_var(what: &str, x: &Tensor, var: &Tensor, rel: f64) {
    let x = x.to_dtype(DType::F64);
    let m = x.mean_dim(0, true);
    let n = x.size(0) as f64;
    let s = (&x - m)
        .square()
        .sum_dim(0, false)
        .contiguous()
        .to_vec::<f64>();
    let want = var.to_dtype(DType::F64).contiguous().to_vec::<f64>();
    for i in 0..s.len() {
        let sv = s[i] / (n - 1.0);
        assert!(
            (sv - want[i]).abs() <= rel * want[i],
            "{what}[{i}]: sample variance {sv} vs {}",
            want[i]
        );
    }
}

#[test]
fn same_seed_same_samples() {
    let cov = tensor!([[2.0, 0.5], [0.5, 1.0]], dtype = DType::F64);
    let ds: Vec<Box<dyn Distribution>> = vec![
        Box::new(Normal::new(&tensor!([0.0, 1.0]), &tensor!([1.0, 2.0])).unwrap()),
        Box::new(Gamma::new(&tensor!([0.5, 3.0]), &tensor!(1.0)).unwrap()),
        Box::new(Dirichlet::new(&tensor!([0.5, 3.0, 1.0])).unwrap()),
        Box::new(Categorical::from_probs(&tensor!([0.5, 3.0, 1.0])).unwrap()),
        Box::new(Bernoulli::from_probs(&tensor!([0.5, 0.1])).unwrap()),
        Box::new(Wishart::new(&tensor!(3.0, dtype = DType::F64), Some(&cov), None, None).unwrap()),
    ];
    for d in &ds {
        let a = d.sample(&[4], &mut Generator::new(42));
        let b = d.sample(&[4], &mut Generator::new(42));
        let c = d.sample(&[4], &mut Generator::new(43));
        let (a, b, c) = (
            f64t(a).to_vec::<f64>(),
            f64t(b).to_vec::<f64>(),
            f64t(c).to_vec::<f64>(),
        );
        assert_eq!(a, b, "{}", d.repr());
        assert_ne!(a, c, "{}", d.repr());
    }
}

#[test]
fn sample_shapes() {
    let d = MultivariateNormal::new(&Tensor::zeros(&[4, 3]), Some(&Tensor::eye(3)), None, None)
        .unwrap();
    assert_eq!(d.batch_shape(), &[4]);
    assert_eq!(
        d.sample(&[2, 5], &mut Generator::new(0)).shape(),
        &[2, 5, 4, 3]
    );
    assert_eq!(
        d.log_prob(&Tensor::zeros(&[7, 1, 3])).unwrap().shape(),
        &[7, 4]
    );
    let e = d.expand(&[2, 4]).unwrap();
    assert_eq!(e.batch_shape(), &[2, 4]);
    assert_eq!(e.sample(&[], &mut Generator::new(0)).shape(), &[2, 4, 3]);
    let n = Normal::new(&tensor!(0.0), &tensor!(1.0)).unwrap();
    assert_eq!(n.sample(&[0], &mut Generator::new(0)).shape(), &[0]);
    assert!(n.expand(&[3]).is_ok());
    assert!(Normal::new(&tensor!([0.0, 1.0]), &tensor!(1.0))
        .unwrap()
        .expand(&[3])
        .is_err());
    // f32 parameters give f32 samples and log-probs
    assert_eq!(n.sample(&[2], &mut Generator::new(0)).dtype(), DType::F32);
    assert_eq!(n.log_prob(&tensor!([0.5])).unwrap().dtype(), DType::F32);
    let c = Categorical::from_logits(&Tensor::zeros(&[2, 5])).unwrap();
    let s = c.sample(&[3], &mut Generator::new(0));
    assert_eq!((s.shape(), s.dtype()), (&[3usize, 2][..], DType::I64));
}

/// Moments of the univariate families: means within 5 standard errors (n = 40000),
/// variances within 5% (the relative standard error of a sample variance is
/// sqrt((kurtosis - 1) / n), at most 1.5% for these parameters).
#[test]
fn univariate_moments() {
    let n = 40_000;
    let mut g = Generator::new(2024);
    let ds: Vec<Box<dyn Distribution>> = vec![
        Box::new(Normal::new(&tensor!([0.5, -3.0]), &tensor!([1.0, 0.25])).unwrap()),
        Box::new(Uniform::new(&tensor!([0.0, -2.0]), &tensor!([1.0, 5.0])).unwrap()),
        Box::new(Gamma::new(&tensor!([2.5, 9.0]), &tensor!([1.0, 3.0])).unwrap()),
        Box::new(Chi2::new(&tensor!([4.0, 10.0])).unwrap()),
        Box::new(Beta::new(&tensor!([2.0, 5.0]), &tensor!([3.0, 1.5])).unwrap()),
        Box::new(LogNormal::new(&tensor!([0.0, 1.0]), &tensor!([0.25, 0.1])).unwrap()),
        Box::new(Bernoulli::from_probs(&tensor!([0.3, 0.5])).unwrap()),
    ];
    for d in &ds {
        let x = d.sample(&[n], &mut g);
        check_mean(
            &d.repr(),
            &x,
            &d.mean().unwrap(),
            &d.variance().unwrap(),
            5.0,
        );
        check_var(&d.repr(), &x, &d.variance().unwrap(), 0.05);
    }
    // Exponential: kurtosis 9, so the variance bound is 10% (relative se 1.4%)
    let d = Exponential::new(&tensor!([0.5, 4.0])).unwrap();
    let x = d.sample(&[n], &mut g);
    check_mean(
        "Exponential",
        &x,
        &d.mean().unwrap(),
        &d.variance().unwrap(),
        5.0,
    );
    check_var("Exponential", &x, &d.variance().unwrap(), 0.1);
    // Small gamma shape: mean within 5 se only (heavy relative tails)
    let d = Gamma::new(
        &tensor!([0.05], dtype = DType::F64),
        &tensor!(1.0, dtype = DType::F64),
    )
    .unwrap();
    let x = d.sample(&[n], &mut g);
    check_mean(
        "Gamma(0.05)",
        &x,
        &d.mean().unwrap(),
        &d.variance().unwrap(),
        5.0,
    );
}

/// Dirichlet, Categorical and MultivariateNormal moments (5 standard errors).
#[test]
fn multivariate_moments() {
    let n = 40_000;
    let mut g = Generator::new(7);
    let d = Dirichlet::new(&tensor!([0.5, 2.0, 4.0], dtype = DType::F64)).unwrap();
    let x = d.sample(&[n], &mut g);
    check_mean(
        "Dirichlet",
        &x,
        &d.mean().unwrap(),
        &d.variance().unwrap(),
        5.0,
    );
    check_var("Dirichlet", &x, &d.variance().unwrap(), 0.05);
    let p = tensor!([0.1, 0.6, 0.3], dtype = DType::F64);
    let c = Categorical::from_probs(&p).unwrap();
    let s = c.sample(&[n], &mut g).to_vec::<i64>();
    for k in 0..3 {
        let f = s.iter().filter(|&&v| v == k as i64).count() as f64 / n as f64;
        let pk = p.get::<f64>(&[k as isize]);
        let se = (pk * (1.0 - pk) / n as f64).sqrt();
        assert!((f - pk).abs() < 5.0 * se, "category {k}: {f} vs {pk}");
    }
    let cov = tensor!(
        [[2.0, 0.6, -0.3], [0.6, 1.0, 0.2], [-0.3, 0.2, 0.5]],
        dtype = DType::F64
    );
    let loc = tensor!([1.0, -2.0, 0.0], dtype = DType::F64);
    for m in [
        MultivariateNormal::new(&loc, Some(&cov), None, None).unwrap(),
        MultivariateNormal::new(&loc, None, Some(&tessera_linalg::inv(&cov).unwrap()), None)
            .unwrap(),
    ] {
        let x = m.sample(&[n], &mut g);
        check_mean("MVN", &x, &m.mean().unwrap(), &m.variance().unwrap(), 5.0);
        // sample covariance within 5% of Σ's scale (entries' se ~ sqrt(2/n) of σᵢσⱼ)
        let xc = &x - x.mean_dim(0, true);
        let sc = xc.mt().matmul(&xc) / (n as f64 - 1.0);
        let diff = (sc - &cov).abs().max().item::<f64>();
        assert!(diff < 0.05 * 2.0, "MVN sample covariance off by {diff}");
    }
}

/// Wishart(df, Σ): the sample mean of every entry within 5 standard errors of df Σ
/// (se from the variance formula `df (Σᵢⱼ² + Σᵢᵢ Σⱼⱼ)`), and the sample variance of every
/// entry within 10% of that formula (its relative se is below 2% here).
#[test]
fn wishart_moments() {
    let n = 30_000;
    let cov = tensor!(
        [[2.0, 0.6, -0.3], [0.6, 1.0, 0.2], [-0.3, 0.2, 0.5]],
        dtype = DType::F64
    );
    for (df, seed) in [(3.5, 1u64), (8.0, 2)] {
        let w = Wishart::new(&tensor!(df, dtype = DType::F64), Some(&cov), None, None).unwrap();
        let x = w.sample(&[n], &mut Generator::new(seed));
        let flat = x.reshape([n as isize, 9]);
        let mean = w.mean().unwrap().reshape([9]);
        let var = w.variance().unwrap().reshape([9]);
        check_mean(&format!("Wishart df={df}"), &flat, &mean, &var, 5.0);
        check_var(&format!("Wishart df={df}"), &flat, &var, 0.10);
        // symmetric exactly
        assert_eq!(x.to_vec::<f64>(), x.mt().contiguous().to_vec::<f64>());
    }
}

/// Near df = p - 1 the last Bartlett chi-squared has k = df - p + 1 degrees of freedom,
/// and P(χ²_k < t) ≈ (t/2)^(k/2) / Γ(k/2 + 1): the law itself puts that much mass on
/// samples whose smallest eigenvalue is below `t` times the others. A sample with
/// t ≲ 1e-15 cannot be positive definite in f64 (a Cholesky factorization of the
/// rounded matrix fails about half the time). Samples are drawn once, never redrawn.
/// Checked: every sample is exactly symmetric, finite, with a positive diagonal; at
/// df = p + 2 every sample is positive definite; at df = p - 1 + 0.5 the number that
/// is not stays within what the law predicts (n P(χ²_0.5 < 1e-14) ≈ 6 of 20000; the
/// bound 20 is over 5 standard deviations above it); at df = p - 1 + 1e-3 the count is
/// printed (most samples: P(χ²_0.001 < 1e-14) ≈ 0.98).
#[test]
fn wishart_near_the_df_limit() {
    let p = 4;
    let cov = Tensor::eye_dtype(p, p, DType::F64);
    let not_pd = |df: f64, seed: u64| {
        let w = Wishart::new(&tensor!(df, dtype = DType::F64), Some(&cov), None, None).unwrap();
        let x = w.sample(&[20_000], &mut Generator::new(seed));
        let (_, info) = tessera_linalg::cholesky_ex(&x, false, false).unwrap();
        info.ne(0).to_dtype(DType::I64).sum().item::<i64>()
    };
    assert_eq!(not_pd(p as f64 + 2.0, 8), 0);
    let half = not_pd(p as f64 - 0.5, 9);
    eprintln!(
        "Wishart df = p - 1 + 0.5: {half} of 20000 samples not numerically positive definite"
    );
    assert!(half <= 20, "{half}");
    let w = Wishart::new(
        &tensor!(p as f64 - 1.0 + 1e-3, dtype = DType::F64),
        Some(&cov),
        None,
        None,
    )
    .unwrap();
    let x = w.sample(&[20_000], &mut Generator::new(10));
    assert!(x.isfinite().all().item::<bool>());
    assert_eq!(x.to_vec::<f64>(), x.mt().contiguous().to_vec::<f64>());
    let diag_pos = x
        .reshape([20_000, 16])
        .index_select(-1, &tensor!([0, 5, 10, 15]))
        .gt(0.0)
        .all()
        .item::<bool>();
    assert!(diag_pos);
    let (_, info) = tessera_linalg::cholesky_ex(&x, false, false).unwrap();
    let failed = info.ne(0).to_dtype(DType::I64).sum().item::<i64>();
    eprintln!(
        "Wishart df = p - 1 + 1e-3: {failed} of 20000 samples not numerically positive definite"
    );
}

/// Large normal draws are filled in parallel blocks; the values depend on the seed only.
#[test]
fn parallel_normal_draws_do_not_depend_on_threads() {
    let d = Normal::new(&tensor!(0.0), &tensor!(1.0)).unwrap();
    let a = d.sample(&[300_000], &mut Generator::new(5)).to_vec::<f32>();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let b = pool.install(|| d.sample(&[300_000], &mut Generator::new(5)).to_vec::<f32>());
    assert_eq!(a, b);
    let m = a.iter().map(|&v| v as f64).sum::<f64>() / a.len() as f64;
    assert!(m.abs() < 5.0 / (a.len() as f64).sqrt(), "{m}");
}
