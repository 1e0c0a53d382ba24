//! Batched parameters: a batched distribution gives, element by element, what the
//! unbatched ones give (Wishart, MultivariateNormal with broadcast loc and scale, KL).

use tessera_core::{tensor, DType, Generator, Tensor};
use tessera_distributions::*;

fn close(a: &Tensor, b: &Tensor) {
    let (a, b) = (
        a.contiguous().to_vec::<f64>(),
        b.contiguous().to_vec::<f64>(),
    );
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(&b) {
        assert!((x - y).abs() <= 1e-12 * y.abs().max(1.0), "{x} vs {y}");
    }
}

#[test]
fn wishart_batched_equals_unbatched() {
    let c0 = tensor!([[2.0, 0.5], [0.5, 1.0]], dtype = DType::F64);
    let c1 = tensor!([[1.0, -0.2], [-0.2, 3.0]], dtype = DType::F64);
    let cov = Tensor::stack(&[c0.clone(), c1.clone()], 0);
    let df = tensor!([2.5, 6.0], dtype = DType::F64);
    let w = Wishart::new(&df, Some(&cov), None, None).unwrap();
    assert_eq!(
        (w.batch_shape(), w.event_shape()),
        (&[2usize][..], &[2usize, 2][..])
    );
    let x = w.sample(&[3], &mut Generator::new(0));
    assert_eq!(x.shape(), &[3, 2, 2, 2]);
    let lp = w.log_prob(&x).unwrap();
    assert_eq!(lp.shape(), &[3, 2]);
    for (i, c) in [c0, c1].iter().enumerate() {
        let wi = Wishart::new(&df.select(0, i as isize), Some(c), None, None).unwrap();
        close(
            &lp.select(1, i as isize),
            &wi.log_prob(&x.select(1, i as isize)).unwrap(),
        );
        close(
            &w.entropy().unwrap().select(0, i as isize),
            &wi.entropy().unwrap(),
        );
        close(
            &w.mean().unwrap().select(0, i as isize),
            &wi.mean().unwrap(),
        );
        close(
            &w.variance().unwrap().select(0, i as isize),
            &wi.variance().unwrap(),
        );
    }
    // mode: NaN where df <= p + 1 = 3
    let m = w.mode().unwrap();
    assert!(m.select(0, 0).isnan().all().item::<bool>());
    assert!(m.select(0, 1).isfinite().all().item::<bool>());
}

#[test]
fn mvn_broadcast_batches() {
    let loc = tensor!([[0.0, 1.0], [2.0, -1.0], [0.5, 0.5]], dtype = DType::F64);
    let l = tensor!([[1.5, 0.0], [0.4, 0.7]], dtype = DType::F64);
    let m = MultivariateNormal::new(&loc, None, None, Some(&l)).unwrap();
    assert_eq!(m.batch_shape(), &[3]);
    let x = tensor!([[0.3, 0.2], [1.0, 1.0], [-1.0, 0.0]], dtype = DType::F64);
    let lp = m.log_prob(&x).unwrap();
    for i in 0..3 {
        let mi = MultivariateNormal::new(&loc.select(0, i), None, None, Some(&l)).unwrap();
        close(&lp.select(0, i), &mi.log_prob(&x.select(0, i)).unwrap());
    }
    // batched scale_tril with one loc
    let ls = Tensor::stack(&[l.clone(), &l * 2.0], 0);
    let mb = MultivariateNormal::new(&loc.select(0, 0), None, None, Some(&ls)).unwrap();
    let lp = mb.log_prob(&x.select(0, 0)).unwrap();
    assert_eq!(lp.shape(), &[2]);
    let m1 = MultivariateNormal::new(&loc.select(0, 0), None, None, Some(&(&l * 2.0))).unwrap();
    close(&lp.select(0, 1), &m1.log_prob(&x.select(0, 0)).unwrap());
    let q = MultivariateNormal::new(&loc.select(0, 1), None, None, Some(&l)).unwrap();
    let k = kl_divergence(&mb, &q).unwrap();
    assert_eq!(k.shape(), &[2]);
    let p1 = MultivariateNormal::new(&loc.select(0, 0), None, None, Some(&(&l * 2.0))).unwrap();
    close(&k.select(0, 1), &kl_divergence(&p1, &q).unwrap());
}
