//! Autograd semantics: accumulation, retain_graph, version counters, no_grad,
//! create_graph, retain_grad, and error messages.

use tessera_core::autograd::{self, no_grad};
use tessera_core::{tensor, DType, Tensor};

fn leaf(v: &[f64]) -> Tensor {
    let t = Tensor::from_vec(v.to_vec(), &[v.len()]);
    t.requires_grad_(true);
    t
}

#[test]
fn expm1_gradient_is_exact_for_small_x() {
    let x = leaf(&[1e-10, -1e-300, 0.0]);
    x.expm1().sum().backward();
    // d/dx expm1 = e^x, computed as expm1(x) + 1: exactly e^x rounded.
    assert_eq!(
        x.grad().unwrap().to_vec::<f64>(),
        vec![1e-10f64.exp(), 1.0, 1.0]
    );
}

#[test]
fn a_tensor_used_twice_gets_both_gradients() {
    let x = leaf(&[2.0, 3.0]);
    let y = (&x * &x + &x).sum(); // 2x + 1
    y.backward();
    assert_eq!(x.grad().unwrap().to_vec::<f64>(), vec![5.0, 7.0]);
}

#[test]
fn gradients_accumulate_until_zero_grad() {
    let x = leaf(&[1.0]);
    (&x * 3.0).sum().backward();
    (&x * 3.0).sum().backward();
    assert_eq!(x.grad().unwrap().to_vec::<f64>(), vec![6.0]);
    x.zero_grad();
    assert!(x.grad().is_none());
}

#[test]
#[should_panic(expected = "exp: trying to backward through the graph a second time")]
fn second_backward_without_retain_graph_panics() {
    let x = leaf(&[1.0]);
    let y = x.exp().sum();
    y.backward();
    y.backward();
}

#[test]
fn retain_graph_allows_a_second_backward() {
    let x = leaf(&[1.0]);
    let y = x.exp().sum();
    y.backward_opts(None, true, false);
    y.backward();
    assert_eq!(x.grad().unwrap().to_vec::<f64>(), vec![2.0 * 1f64.exp()]);
    // ops that save nothing can be walked twice, as in PyTorch
    let z = (&x + 1.0).sum();
    z.backward();
    z.backward();
}

#[test]
#[should_panic(
    expected = "exp: one of the variables needed for gradient computation has been modified by an inplace operation"
)]
fn modifying_a_saved_tensor_is_detected() {
    let x = leaf(&[1.0, 2.0]);
    let y = x.exp();
    y.detach().mul_(2.0); // same storage, outside the graph
    y.sum().backward();
}

#[test]
#[should_panic(
    expected = "exp_: a leaf Variable that requires grad is being used in an in-place operation"
)]
fn inplace_on_leaf_panics() {
    leaf(&[1.0]).exp_();
}

#[test]
#[should_panic(
    expected = "add_: in-place operations on tensors that require grad are not supported"
)]
fn inplace_on_non_leaf_panics() {
    let x = leaf(&[1.0]);
    (&x * 2.0).add_(1.0);
}

#[test]
fn no_grad_allows_updates_and_records_nothing() {
    let w = leaf(&[1.0, 2.0]);
    (&w * &w).sum().backward();
    {
        let _g = no_grad();
        let g = w.grad().unwrap();
        w.sub_(&(g * 0.5));
        assert!(!(&w * 2.0).requires_grad());
    }
    assert_eq!(w.to_vec::<f64>(), vec![0.0, 0.0]);
    assert!(w.requires_grad() && w.is_leaf());
}

#[test]
fn detach_stops_gradients() {
    let x = leaf(&[3.0]);
    let y = (&x * x.detach()).sum();
    y.backward();
    assert_eq!(x.grad().unwrap().to_vec::<f64>(), vec![3.0]);
}

#[test]
fn retain_grad_keeps_non_leaf_gradients() {
    let x = leaf(&[1.0, 2.0]);
    let h = &x * 2.0;
    h.retain_grad();
    let y = (&h * &h).sum();
    y.backward();
    assert_eq!(h.grad().unwrap().to_vec::<f64>(), vec![4.0, 8.0]);
    assert_eq!(x.grad().unwrap().to_vec::<f64>(), vec![8.0, 16.0]);
    assert!(y.grad().is_none());
}

#[test]
fn create_graph_gives_second_derivatives() {
    let x = leaf(&[0.5]);
    let y = x.tanh().sum();
    y.backward_opts(None, false, true);
    let g = x.grad().unwrap(); // 1 - tanh^2, with a graph
    assert!(g.requires_grad());
    x.zero_grad();
    g.sum().backward();
    let t = 0.5f64.tanh();
    let expected = -2.0 * t * (1.0 - t * t);
    assert!((x.grad().unwrap().item::<f64>() - expected).abs() < 1e-15);
}

#[test]
fn functional_grad_does_not_touch_leaves() {
    let x = leaf(&[1.0, 2.0]);
    let y = x.exp();
    let g = autograd::grad(
        std::slice::from_ref(&y),
        std::slice::from_ref(&x),
        &[y.ones_like()],
        false,
        false,
    );
    assert_eq!(
        g[0].as_ref().unwrap().to_vec::<f64>(),
        vec![1f64.exp(), 2f64.exp()]
    );
    assert!(x.grad().is_none());
    let unused = leaf(&[0.0]);
    let y2 = x.exp().sum();
    let g2 = autograd::grad(
        &[y2],
        &[unused],
        &[tensor!(1.0, dtype = DType::F64)],
        false,
        false,
    );
    assert!(g2[0].is_none());
}

#[test]
#[should_panic(expected = "backward: grad can be implicitly created only for scalar outputs")]
fn backward_on_non_scalar_panics() {
    leaf(&[1.0, 2.0]).exp().backward();
}

#[test]
#[should_panic(
    expected = "requires_grad_: only Tensors of floating point dtype can require gradients"
)]
fn int_tensors_cannot_require_grad() {
    tensor!([1, 2]).requires_grad_(true);
}

#[test]
fn backward_with_a_gradient() {
    let x = leaf(&[1.0, 2.0]);
    let y = &x * 3.0;
    y.backward_with(&tensor!([1.0, 10.0], dtype = DType::F64));
    assert_eq!(x.grad().unwrap().to_vec::<f64>(), vec![3.0, 30.0]);
}

#[test]
fn deep_graphs_backprop_and_drop_without_overflow() {
    let x = leaf(&[1.0]);
    let mut y = x.clone();
    for _ in 0..100_000 {
        y = &y * 1.0;
    }
    y.sum().backward();
    assert_eq!(x.grad().unwrap().to_vec::<f64>(), vec![1.0]);
    drop(y);
}

#[test]
fn zero_size_and_views() {
    let x = Tensor::zeros_dtype(&[0, 3], DType::F64);
    x.requires_grad_(true);
    x.sum().backward();
    assert_eq!(x.grad().unwrap().shape(), &[0, 3]);
    let m = leaf(&[1.0, 2.0, 3.0, 4.0]);
    let v = m.reshape([2, 2]).t();
    (v.select(0, 1) * tensor!([10.0, 100.0], dtype = DType::F64))
        .sum()
        .backward();
    assert_eq!(
        m.grad().unwrap().to_vec::<f64>(),
        vec![0.0, 10.0, 0.0, 100.0]
    );
}
