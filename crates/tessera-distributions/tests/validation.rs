//! Every validation error: invalid parameters, values outside the support, values whose
//! shape does not fit, unknown KL pairs, methods a distribution does not define, and
//! switching validation off. NaN, ±inf, zero-size and non-contiguous inputs included.

use std::sync::Arc;
use tessera_core::{tensor, DType, Tensor};
use tessera_distributions::*;

fn err<T>(r: tessera_core::Result<T>) -> String {
    match r {
        Ok(_) => panic!("expected an error"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn invalid_parameters() {
    let nan = tensor!([f32::NAN]);
    let e = err(Normal::new(&nan, &tensor!([1.0])));
    assert!(e.starts_with("Expected parameter loc (Tensor of shape (1,)) of distribution Normal(loc: NaN, scale: 1.0) to satisfy the constraint Real(), but found invalid values:"), "{e}");
    assert!(err(Normal::new(&tensor!(0.0), &tensor!(0.0))).contains("GreaterThan(lower_bound=0.0)"));
    assert!(err(Normal::new(&tensor!(0.0), &tensor!(f32::NAN))).contains("parameter scale"));
    assert!(err(Exponential::new(&tensor!([1.0, -1.0])))
        .contains("parameter rate (Tensor of shape (2,))"));
    assert!(err(Gamma::new(&tensor!(-1.0), &tensor!(1.0))).contains("parameter concentration"));
    assert!(err(Gamma::new(&tensor!(1.0), &tensor!(0.0))).contains("parameter rate"));
    assert!(err(Chi2::new(&tensor!(0.0))).contains("parameter df"));
    assert!(err(Beta::new(&tensor!(1.0), &tensor!(-2.0))).contains("parameter concentration0"));
    assert!(err(Dirichlet::new(&tensor!([1.0, 0.0])))
        .contains("IndependentConstraint(GreaterThan(lower_bound=0.0), 1)"));
    assert!(err(Dirichlet::new(&tensor!(1.0))).contains("at least one-dimensional"));
    assert!(err(Bernoulli::from_probs(&tensor!([1.5])))
        .contains("Interval(lower_bound=0.0, upper_bound=1.0)"));
    assert!(err(Bernoulli::from_logits(&tensor!([f32::NAN]))).contains("parameter logits"));
    assert!(err(Categorical::from_probs(&tensor!([0.5, -0.1]))).contains("parameter probs"));
    assert!(err(Categorical::from_probs(&tensor!(0.5)))
        .contains("`probs` parameter must be at least one-dimensional."));
    assert!(err(Categorical::new_with(None, None, true)).contains("Either `probs` or `logits`"));
    assert!(
        err(Uniform::new(&tensor!([0.0, 2.0]), &tensor!([1.0, 1.0])))
            .contains("LessThan(upper_bound=tensor([1., 1.]))")
    );
    assert!(err(LogNormal::new(&tensor!(0.0), &tensor!(-1.0))).contains("parameter scale"));
    // matrices
    let not_pd = tensor!([[1.0, 2.0], [2.0, 1.0]]);
    let loc = tensor!([0.0, 0.0]);
    assert!(
        err(MultivariateNormal::new(&loc, Some(&not_pd), None, None))
            .contains("covariance_matrix (Tensor of shape (2, 2))")
    );
    assert!(
        err(MultivariateNormal::new(&loc, Some(&not_pd), None, None))
            .contains("PositiveDefinite()")
    );
    assert!(
        err(MultivariateNormal::new(&loc, None, Some(&not_pd), None)).contains("precision_matrix")
    );
    let upper = tensor!([[1.0, 1.0], [0.0, 1.0]]);
    assert!(
        err(MultivariateNormal::new(&loc, None, None, Some(&upper))).contains("LowerCholesky()")
    );
    assert!(err(MultivariateNormal::new(
        &tensor!(0.0),
        Some(&Tensor::eye(1)),
        None,
        None
    ))
    .contains("loc must be at least one-dimensional."));
    assert!(err(MultivariateNormal::new(
        &loc,
        None,
        None,
        Some(&tensor!([1.0]))
    ))
    .contains("scale_tril matrix must be at least two-dimensional"));
    let asym = tensor!([[2.0, 0.5], [0.0, 2.0]]);
    assert!(
        err(MultivariateNormal::new(&loc, Some(&asym), None, None)).contains("PositiveDefinite()")
    );
    let df = tensor!([3.0, 0.9]);
    let e = err(Wishart::new(&df, Some(&Tensor::eye(2)), None, None));
    assert!(
        e.starts_with(
            "Value of df=tensor([3.0000, 0.9000]) expected to be greater than ndim - 1 = 1."
        ),
        "{e}"
    );
    // A NaN df is refused even with validation off (it would reach mvlgamma's domain
    // check in log_prob and entropy otherwise).
    let nan_df = Wishart::new_with(
        &tensor!(f32::NAN),
        tessera_distributions::Scale::Covariance(Tensor::eye(2)),
        false,
    );
    let e = err(nan_df);
    assert!(
        e.contains("expected to be greater than ndim - 1 = 1"),
        "{e}"
    );
    assert!(
        err(Wishart::new(&tensor!(3.0), Some(&not_pd), None, None)).contains("PositiveDefinite()")
    );
    assert!(err(Wishart::new(&tensor!(3.0), None, None, None)).contains("Exactly one of"));
    assert!(err(Wishart::new(
        &tensor!(3.0),
        Some(&tensor!([1.0])),
        None,
        None
    ))
    .contains("at least two-dimensional"));
    assert!(err(Independent::new(
        Arc::new(Normal::new(&tensor!([0.0]), &tensor!([1.0])).unwrap()),
        2
    ))
    .contains(
        "Expected reinterpreted_batch_ndims <= len(base_distribution.batch_shape), actual 2 vs 1"
    ));
}

#[test]
fn values_outside_the_support() {
    let g = Gamma::new(&tensor!(2.0), &tensor!(1.0)).unwrap();
    let e = err(g.log_prob(&tensor!([1.0, -0.5])));
    assert!(e.starts_with("Expected value argument (Tensor of shape (2,)) to be within the support (GreaterThanEq(lower_bound=0.0)) of the distribution Gamma(concentration: 2.0, rate: 1.0), but found invalid values:"), "{e}");
    assert!(err(g.cdf(&tensor!([f32::NAN]))).contains("within the support"));
    let u = Uniform::new(&tensor!(0.0), &tensor!(1.0)).unwrap();
    assert!(err(u.log_prob(&tensor!(1.5))).contains("Interval(lower_bound=0.0, upper_bound=1.0)"));
    assert!(err(Bernoulli::from_probs(&tensor!(0.5))
        .unwrap()
        .log_prob(&tensor!(0.5)))
    .contains("Boolean()"));
    assert!(err(Categorical::from_probs(&tensor!([0.5, 0.5]))
        .unwrap()
        .log_prob(&tensor!(2)))
    .contains("IntegerInterval(lower_bound=0, upper_bound=1)"));
    assert!(err(Dirichlet::new(&tensor!([1.0, 1.0]))
        .unwrap()
        .log_prob(&tensor!([0.5, 0.6])))
    .contains("Simplex()"));
    assert!(err(Beta::new(&tensor!(1.0), &tensor!(1.0))
        .unwrap()
        .log_prob(&tensor!(1.5)))
    .contains("support"));
    assert!(err(Exponential::new(&tensor!(1.0))
        .unwrap()
        .log_prob(&tensor!(f32::NEG_INFINITY)))
    .contains("support"));
    assert!(err(Normal::new(&tensor!(0.0), &tensor!(1.0))
        .unwrap()
        .log_prob(&tensor!(f32::NAN)))
    .contains("Real()"));
    assert!(err(LogNormal::new(&tensor!(0.0), &tensor!(1.0))
        .unwrap()
        .log_prob(&tensor!(-1.0)))
    .contains("GreaterThan(lower_bound=0.0)"));
    let w = Wishart::new(&tensor!(3.0), Some(&Tensor::eye(2)), None, None).unwrap();
    assert!(err(w.log_prob(&tensor!([[1.0, 2.0], [2.0, 1.0]]))).contains("PositiveDefinite()"));
    // ±inf is inside the real line's support only as far as PyTorch's `real` says
    // (x == x): accepted.
    assert!(Normal::new(&tensor!(0.0), &tensor!(1.0))
        .unwrap()
        .log_prob(&tensor!(f32::INFINITY))
        .is_ok());
}

#[test]
fn value_shapes() {
    let n = Normal::new(&tensor!([0.0, 0.0]), &tensor!([1.0, 1.0])).unwrap();
    assert_eq!(err(n.log_prob(&tensor!([1.0, 2.0, 3.0]))), "Value is not broadcastable with batch_shape+event_shape: torch.Size([3]) vs torch.Size([2]).");
    let m =
        MultivariateNormal::new(&tensor!([0.0, 0.0]), Some(&Tensor::eye(2)), None, None).unwrap();
    assert_eq!(
        err(m.log_prob(&tensor!([1.0, 2.0, 3.0]))),
        "The right-most size of value must match event_shape: torch.Size([3]) vs torch.Size([2])."
    );
    assert_eq!(
        err(m.log_prob(&tensor!(1.0))),
        "The right-most size of value must match event_shape: torch.Size([]) vs torch.Size([2])."
    );
    // zero-size values and non-contiguous values are fine
    assert_eq!(m.log_prob(&Tensor::zeros(&[0, 2])).unwrap().shape(), &[0]);
    let v = tensor!([[0.0, 1.0], [2.0, 3.0]]).t();
    let a = m.log_prob(&v).unwrap().to_vec::<f32>();
    let b = m.log_prob(&v.contiguous()).unwrap().to_vec::<f32>();
    assert_eq!(a, b);
}

#[test]
fn not_implemented_and_kl() {
    let b = Bernoulli::from_probs(&tensor!(0.5)).unwrap();
    assert!(err(b.rsample(&[1], &mut tessera_core::Generator::new(0)))
        .contains("rsample is not implemented"));
    assert!(err(b.cdf(&tensor!(1.0))).contains("cdf is not implemented"));
    let w = Wishart::new(&tensor!(3.0), Some(&Tensor::eye(2)), None, None).unwrap();
    let n = Normal::new(&tensor!(0.0), &tensor!(1.0)).unwrap();
    let e = err(kl_divergence(&w, &n));
    assert!(e.starts_with("No KL(p || q) is implemented for p = Wishart(df: 3.0, covariance_matrix: torch.Size([2, 2])) and q = Normal(loc: 0.0, scale: 1.0)"), "{e}");
    let m2 =
        MultivariateNormal::new(&tensor!([0.0, 0.0]), Some(&Tensor::eye(2)), None, None).unwrap();
    let m3 = MultivariateNormal::new(&tensor!([0.0, 0.0, 0.0]), Some(&Tensor::eye(3)), None, None)
        .unwrap();
    assert!(err(kl_divergence(&m2, &m3)).contains("different event shapes"));
    // a user-registered pair
    fn kl_wn(_: &dyn std::any::Any, _: &dyn std::any::Any) -> tessera_core::Result<Tensor> {
        Ok(tensor!(7.0))
    }
    kl::register_kl::<Wishart, Normal>(kl_wn);
    assert_eq!(kl_divergence(&w, &n).unwrap().item::<f32>(), 7.0);
}

#[test]
fn validation_can_be_switched_off() {
    let d = Normal::new_with(&tensor!(0.0), &tensor!(-1.0), false).unwrap();
    assert!(!d.validate_args());
    assert!(d.log_prob(&tensor!(0.0)).unwrap().item::<f32>().is_nan());
    let g = Gamma::new_with(&tensor!(1.0), &tensor!(1.0), false).unwrap();
    assert!(g.log_prob(&tensor!(-1.0)).is_ok());
    let u = Uniform::new_with(
        &tensor!(0.0, dtype = DType::F64),
        &tensor!(1.0, dtype = DType::F64),
        false,
    )
    .unwrap();
    assert_eq!(
        u.log_prob(&tensor!(2.0, dtype = DType::F64))
            .unwrap()
            .item::<f64>(),
        f64::NEG_INFINITY
    );
}
