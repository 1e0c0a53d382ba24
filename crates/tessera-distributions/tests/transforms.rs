//! Transforms: reference values from PyTorch, round trips, `ComposeTransform`'s
//! log-det-Jacobian against the sum of its parts and a finite-difference Jacobian,
//! event dims, `inv().inv()`, caching.

mod common;
use common::*;
use std::sync::Arc;
use tessera_core::{tensor, DType, Tensor};
use tessera_distributions::transforms::*;

fn t64(v: f64) -> Tensor {
    Tensor::full_dtype(&[], v, DType::F64)
}

fn reference_transform(name: &str) -> TransformRef {
    match name {
        "affine1_exp" => ComposeTransform::new(vec![
            Arc::new(AffineTransform::new(
                &tensor!([0.5, -1.0, 0.0], dtype = DType::F64),
                &tensor!([2.0, -0.5, 1.5], dtype = DType::F64),
                1,
            )),
            Arc::new(ExpTransform),
        ]),
        "affine_stickbreaking" => ComposeTransform::new(vec![
            Arc::new(AffineTransform::new(&t64(0.0), &t64(1.5), 0)),
            Arc::new(StickBreakingTransform),
        ]),
        "tanh_affine_power" => ComposeTransform::new(vec![
            Arc::new(TanhTransform),
            Arc::new(AffineTransform::new(&t64(1.0), &t64(3.0), 0)),
            Arc::new(PowerTransform::new(&t64(2.0))),
        ]),
        "sigmoid" => Arc::new(SigmoidTransform),
        "corr_cholesky" => Arc::new(CorrCholeskyTransform),
        n => panic!("unknown transform {n}"),
    }
}

#[test]
fn values_match_pytorch() {
    let r = reference();
    for c in r["transforms"].as_array().unwrap() {
        let name = c["name"].as_str().unwrap();
        let t = reference_transform(name);
        let x = tensor(&c["x"]);
        let y = t.forward(&x);
        assert_close(
            &format!("{name} forward"),
            &y,
            &tensor(&c["y"]),
            1e-13,
            1e-15,
        );
        let ladj = t.log_abs_det_jacobian(&x, &y).unwrap();
        assert_close(
            &format!("{name} ladj"),
            &ladj,
            &tensor(&c["ladj"]),
            1e-12,
            1e-13,
        );
        assert_eq!(
            t.domain().event_dim() as u64,
            c["domain_event_dim"].as_u64().unwrap(),
            "{name}"
        );
        assert_eq!(
            t.codomain().event_dim() as u64,
            c["codomain_event_dim"].as_u64().unwrap(),
            "{name}"
        );
        // round trip (the power's input leaves its domain, x > 0, at x = -1.5 there)
        if name == "tanh_affine_power" {
            continue;
        }
        assert_close(&format!("{name} inverse"), &t.inverse(&y), &x, 1e-10, 1e-12);
    }
}

#[test]
fn compose_ladj_is_the_sum_of_parts_and_the_jacobian_log_det() {
    let a: TransformRef = Arc::new(AffineTransform::new(
        &tensor!([0.5, -1.0, 0.0], dtype = DType::F64),
        &tensor!([2.0, -0.5, 1.5], dtype = DType::F64),
        1,
    ));
    let e: TransformRef = Arc::new(ExpTransform);
    let c = ComposeTransform::new(vec![a.clone(), e.clone()]);
    let x = tensor!([0.1, -0.3, 0.7], dtype = DType::F64);
    let y = c.forward(&x);
    let l = c.log_abs_det_jacobian(&x, &y).unwrap();
    assert_eq!(l.shape(), &[] as &[usize]);
    // sum of the parts, the exp part summed over the event dim
    let mid = a.forward(&x);
    let parts =
        a.log_abs_det_jacobian(&x, &mid).unwrap() + e.log_abs_det_jacobian(&mid, &y).unwrap().sum();
    assert!((l.item::<f64>() - parts.item::<f64>()).abs() < 1e-14);
    // finite-difference Jacobian
    let n = 3;
    let xv = x.to_vec::<f64>();
    let h = 1e-6;
    let mut jac = vec![0.0; n * n];
    for j in 0..n {
        let mut xp = xv.clone();
        let mut xm = xv.clone();
        xp[j] += h;
        xm[j] -= h;
        let yp = c.forward(&Tensor::from_vec(xp, &[n])).to_vec::<f64>();
        let ym = c.forward(&Tensor::from_vec(xm, &[n])).to_vec::<f64>();
        for i in 0..n {
            jac[i * n + j] = (yp[i] - ym[i]) / (2.0 * h);
        }
    }
    let (_, logabs) = tessera_linalg::slogdet(&Tensor::from_vec(jac, &[n, n]));
    assert!((logabs.item::<f64>() - l.item::<f64>()).abs() < 1e-8);
}

#[test]
fn compose_event_dims_and_shapes() {
    // elementwise then event_dim=1 affine: domain gets event dim 1
    let c = ComposeTransform::new(vec![
        Arc::new(ExpTransform),
        Arc::new(AffineTransform::new(&t64(0.0), &t64(2.0), 1)),
    ]);
    assert_eq!(c.domain().event_dim(), 1);
    assert_eq!(c.codomain().event_dim(), 1);
    let x = Tensor::zeros_dtype(&[4, 3], DType::F64);
    let y = c.forward(&x);
    assert_eq!(c.log_abs_det_jacobian(&x, &y).unwrap().shape(), &[4]);
    // stick breaking raises the size of the last dim
    let s = ComposeTransform::new(vec![Arc::new(StickBreakingTransform)]);
    assert_eq!(s.forward_shape(&[5, 2]), vec![5, 3]);
    assert_eq!(s.inverse_shape(&[5, 3]), vec![5, 2]);
    let y = s.forward(&Tensor::zeros_dtype(&[5, 2], DType::F64));
    assert!(tessera_distributions::constraints::Constraint::Simplex
        .check(&y)
        .all()
        .item::<bool>());
}

#[test]
fn empty_compose_is_identity() {
    let c = ComposeTransform::new(vec![]);
    let x = tensor!([1.0, -2.0], dtype = DType::F64);
    assert_eq!(c.forward(&x).to_vec::<f64>(), x.to_vec::<f64>());
    assert_eq!(c.inverse(&x).to_vec::<f64>(), x.to_vec::<f64>());
    assert_eq!(
        c.log_abs_det_jacobian(&x, &x).unwrap().to_vec::<f64>(),
        vec![0.0, 0.0]
    );
    assert_eq!(c.domain().event_dim(), 0);
    assert!(c.bijective());
}

#[test]
fn inverse_of_inverse_is_the_original() {
    let t: TransformRef = Arc::new(ExpTransform);
    let i = t.inv();
    assert!(Arc::ptr_eq(&i.inv(), &t));
    let x = tensor!([0.5], dtype = DType::F64);
    assert_eq!(i.forward(&t.forward(&x)).to_vec::<f64>(), vec![0.5]);
    // inverse's ladj is the negated forward's at the swapped pair
    let y = t.forward(&x);
    assert_eq!(i.log_abs_det_jacobian(&y, &x).unwrap().item::<f64>(), -0.5);
    assert_eq!(i.domain().to_string(), "GreaterThan(lower_bound=0.0)");
}

#[test]
fn sign_and_bijectivity() {
    let c = ComposeTransform::new(vec![
        Arc::new(AffineTransform::new(&t64(0.0), &t64(-2.0), 0)),
        Arc::new(ExpTransform),
    ]);
    assert_eq!(c.sign().unwrap().item::<f64>(), -1.0);
    assert!(!SoftmaxTransform.bijective());
    assert!(SoftmaxTransform
        .log_abs_det_jacobian(&t64(0.0), &t64(0.0))
        .is_err());
}

#[test]
fn cache_size_one_returns_the_cached_tensor() {
    let c = Cached::new(Arc::new(ExpTransform));
    assert_eq!(c.cache_size(), 1);
    assert_eq!(ExpTransform.cache_size(), 0);
    let x = tensor!([0.3], dtype = DType::F64);
    let y = c.forward(&x);
    let back = c.inverse(&y);
    assert!(back.shares_storage(&x)); // not recomputed
}

#[test]
fn lower_cholesky_transform_round_trip() {
    let x = tensor!([[0.1, 5.0], [-2.0, 0.3]], dtype = DType::F64);
    let t = LowerCholeskyTransform;
    let y = t.forward(&x);
    assert!(
        tessera_distributions::constraints::Constraint::LowerCholesky
            .check(&y)
            .item::<bool>()
    );
    let back = t.inverse(&y).to_vec::<f64>();
    assert!((back[0] - 0.1).abs() < 1e-15 && back[1] == 0.0 && back[2] == -2.0);
}
