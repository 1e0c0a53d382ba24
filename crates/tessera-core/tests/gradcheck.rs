//! Finite-difference checks of every differentiable op in f64: first derivatives
//! (`autograd::gradcheck`) and second derivatives (`autograd::gradgradcheck`, the backward
//! pass recorded with `create_graph` and differentiated again).

use tessera_core::autograd::{gradcheck, gradgradcheck, GradcheckOptions};
use tessera_core::{tensor, DType, Generator, Tensor};

fn input(shape: &[usize], seed: u64) -> Tensor {
    let t = Generator::new(seed).randn(shape, DType::F64);
    t.requires_grad_(true);
    t
}

fn positive(shape: &[usize], seed: u64) -> Tensor {
    let t = Generator::new(seed).rand(shape, DType::F64) + 0.5;
    t.requires_grad_(true);
    t
}

fn check(name: &str, f: impl Fn(&[Tensor]) -> Tensor, inputs: &[Tensor]) {
    if let Err(e) = gradcheck(&f, inputs, GradcheckOptions::default()) {
        panic!("{name}: {e}");
    }
    if let Err(e) = gradgradcheck(&f, inputs, None, GradcheckOptions::default()) {
        panic!("{name} (second derivative): {e}");
    }
}

#[test]
fn unary_ops() {
    let x = input(&[2, 3], 1);
    let p = positive(&[2, 3], 2);
    type Op = fn(&Tensor) -> Tensor;
    let on_any: [(&str, Op); 11] = [
        ("expm1", |t| t.expm1()),
        ("exp", |t| t.exp()),
        ("tanh", |t| t.tanh()),
        ("sigmoid", |t| t.sigmoid()),
        ("softplus", |t| t.softplus()),
        ("sin", |t| t.sin()),
        ("cos", |t| t.cos()),
        ("neg", |t| t.neg()),
        ("square", |t| t.square()),
        ("abs", |t| t.abs()),
        ("relu", |t| t.relu()),
    ];
    for (name, f) in on_any {
        check(name, |v| f(&v[0]), std::slice::from_ref(&x));
    }
    let on_positive: [(&str, Op); 5] = [
        ("log", |t| t.log()),
        ("log1p", |t| t.log1p()),
        ("sqrt", |t| t.sqrt()),
        ("rsqrt", |t| t.rsqrt()),
        ("reciprocal", |t| t.reciprocal()),
    ];
    for (name, f) in on_positive {
        check(name, |v| f(&v[0]), std::slice::from_ref(&p));
    }
    check(
        "clamp",
        |v| v[0].clamp(Some(-0.5), Some(0.5)),
        std::slice::from_ref(&x),
    );
}

#[test]
fn piecewise_constant_ops_have_zero_gradient() {
    let x = input(&[4], 3);
    for y in [x.floor(), x.ceil(), x.round(), x.sign()] {
        y.sum().backward();
        assert_eq!(x.grad().unwrap().to_vec::<f64>(), vec![0.0; 4]);
        x.zero_grad();
    }
}

#[test]
fn binary_ops_with_broadcasting() {
    let a = input(&[2, 3], 4);
    let b = input(&[3], 5);
    let p = positive(&[2, 1], 6);
    check("add", |v| &v[0] + &v[1], &[a.clone(), b.clone()]);
    check("sub", |v| &v[0] - &v[1], &[a.clone(), b.clone()]);
    check("mul", |v| &v[0] * &v[1], &[a.clone(), b.clone()]);
    check("div", |v| &v[0] / &v[1], &[a.clone(), p.clone()]);
    check("pow", |v| v[0].pow(&v[1]), &[p.clone(), b.clone()]);
    check("maximum", |v| v[0].maximum(&v[1]), &[a.clone(), b.clone()]);
    check("minimum", |v| v[0].minimum(&v[1]), &[a.clone(), b.clone()]);
    check(
        "scalars",
        |v| (2.0 - &v[0]) * 3.0 / 4.0 + 1.0,
        std::slice::from_ref(&a),
    );
    check(
        "where",
        |v| v[0].where_(&v[0].gt(0.0), &v[1]),
        &[a.clone(), b.clone()],
    );
}

#[test]
fn reductions() {
    let x = input(&[2, 3, 4], 7);
    check("sum", |v| v[0].sum(), std::slice::from_ref(&x));
    check(
        "sum_dim",
        |v| v[0].sum_dim(-1, false),
        std::slice::from_ref(&x),
    );
    check(
        "sum_dims keepdim",
        |v| v[0].sum_dim([0, 2], true),
        std::slice::from_ref(&x),
    );
    check(
        "mean_dim",
        |v| v[0].mean_dim(1, false),
        std::slice::from_ref(&x),
    );
    check(
        "prod_dim",
        |v| v[0].prod_dim(2, false),
        std::slice::from_ref(&x),
    );
    check(
        "max_dim",
        |v| v[0].max_dim(1, false).0,
        std::slice::from_ref(&x),
    );
    check("min", |v| v[0].min(), std::slice::from_ref(&x));
    check(
        "logsumexp",
        |v| v[0].logsumexp(-1, true),
        std::slice::from_ref(&x),
    );
    check("softmax", |v| v[0].softmax(1), std::slice::from_ref(&x));
    check(
        "log_softmax",
        |v| v[0].log_softmax(0),
        std::slice::from_ref(&x),
    );
}

#[test]
fn prod_with_zeros() {
    let x = tensor!(
        [
            [2.0, 0.0, 3.0],
            [0.0, 0.0, 1.0],
            [1.0, 2.0, 3.0],
            [0.0, 0.0, 0.0]
        ],
        dtype = DType::F64
    );
    x.requires_grad_(true);
    check(
        "prod with zeros",
        |v| v[0].prod_dim(1, false),
        std::slice::from_ref(&x),
    );
}

#[test]
fn views_and_joins() {
    let x = input(&[2, 3], 8);
    let y = input(&[2, 3], 9);
    check(
        "reshape",
        |v| v[0].reshape([3, 2]) * 2.0,
        std::slice::from_ref(&x),
    );
    check("t", |v| v[0].t().matmul(&v[0]), std::slice::from_ref(&x));
    check(
        "permute",
        |v| v[0].unsqueeze(0).permute([2, 0, 1]) * 1.5,
        std::slice::from_ref(&x),
    );
    check(
        "expand",
        |v| v[0].unsqueeze(1).expand([2, 4, 3]) * 1.0,
        std::slice::from_ref(&x),
    );
    check(
        "narrow",
        |v| v[0].narrow(1, 1, 2).exp(),
        std::slice::from_ref(&x),
    );
    check(
        "select",
        |v| v[0].select(1, -1).exp(),
        std::slice::from_ref(&x),
    );
    check(
        "squeeze",
        |v| v[0].narrow(0, 0, 1).squeeze().exp(),
        std::slice::from_ref(&x),
    );
    check(
        "flatten",
        |v| v[0].t().flatten().exp(),
        std::slice::from_ref(&x),
    );
    check(
        "cat",
        |v| Tensor::cat(&[v[0].clone(), v[1].clone()], 1).exp(),
        &[x.clone(), y.clone()],
    );
    check(
        "stack",
        |v| Tensor::stack(&[v[0].clone(), v[1].clone()], 0).exp(),
        &[x.clone(), y.clone()],
    );
    check(
        "gather",
        |v| v[0].gather(1, &tensor!([[2, 0], [1, 1]])),
        std::slice::from_ref(&x),
    );
    check(
        "index_select",
        |v| v[0].index_select(1, &tensor!([2, 0, 2])),
        std::slice::from_ref(&x),
    );
    check(
        "scatter_add",
        |v| v[0].scatter_add(1, &tensor!([[0, 0, 2], [1, 2, 1]]), &v[1]),
        &[x.clone(), y.clone()],
    );
    check(
        "deep_clone",
        |v| v[0].t().deep_clone() * 2.0,
        std::slice::from_ref(&x),
    );
}

#[test]
fn dtype_conversion_routes_gradients() {
    let x = input(&[3], 10);
    // f32 in the middle: a linear function, so a large step keeps the differences exact enough.
    let opts = GradcheckOptions {
        eps: 1e-2,
        ..Default::default()
    };
    let through_f32 = |v: &[Tensor]| (v[0].to_dtype(DType::F32) * 2.0).to_dtype(DType::F64);
    gradcheck(through_f32, std::slice::from_ref(&x), opts).unwrap();
    gradgradcheck(through_f32, std::slice::from_ref(&x), None, opts).unwrap();
    let y = tensor!([1.0, 2.0]);
    y.requires_grad_(true);
    let z = (y.to_dtype(DType::F64) * 3.0).sum();
    z.backward();
    let g = y.grad().unwrap();
    assert_eq!((g.dtype(), g.to_vec::<f32>()), (DType::F32, vec![3.0, 3.0]));
}

#[test]
fn matmul_shapes() {
    let a = input(&[2, 3, 4], 11);
    let b = input(&[4, 5], 12);
    let v = input(&[4], 13);
    check(
        "batched broadcast",
        |t| t[0].matmul(&t[1]),
        &[a.clone(), b.clone()],
    );
    check(
        "matrix-vector",
        |t| t[0].matmul(&t[1]),
        &[b.t().contiguous().detach_requiring(), v.clone()],
    );
    check(
        "vector-vector",
        |t| t[0].matmul(&t[0]),
        std::slice::from_ref(&v),
    );
}

/// Test helper: a fresh leaf copy that requires grad.
trait DetachRequiring {
    fn detach_requiring(&self) -> Tensor;
}
impl DetachRequiring for Tensor {
    fn detach_requiring(&self) -> Tensor {
        let t = self.detach();
        t.requires_grad_(true);
        t
    }
}
