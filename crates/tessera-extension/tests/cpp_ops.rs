//! C++ ops through tessera.hpp: spans, typed access, two-input gradients, second
//! derivatives, exceptions turned into errors, and load_inline.

mod common;

use common::{cpp_ext, shared_root};
use tessera_core::autograd::{gradcheck, gradgradcheck};
use tessera_core::{tensor, DType, Tensor};
use tessera_extension::{load_inline_with, LoadOptions, OpSpec};

#[test]
fn mul_matches_the_builtin_op_on_strided_inputs() {
    let ext = cpp_ext();
    for dtype in [DType::F32, DType::F64] {
        let a = Tensor::linspace_dtype(-2.0, 2.0, 12, dtype).reshape([3, 4]);
        let b = Tensor::linspace_dtype(1.0, 5.0, 12, dtype)
            .reshape([4, 3])
            .t();
        let y = ext.call("cpp_mul", &[&a, &b], &[]).unwrap().remove(0);
        assert_eq!(
            y.to_dtype(DType::F64).to_vec::<f64>(),
            (&a * &b).to_dtype(DType::F64).to_vec::<f64>()
        );
    }
}

#[test]
fn mul_gradients_for_both_inputs() {
    let op = cpp_ext().op("cpp_mul").unwrap();
    let a = Tensor::linspace_dtype(-1.0, 1.0, 5, DType::F64);
    let b = Tensor::linspace_dtype(0.5, 3.0, 5, DType::F64);
    a.requires_grad_(true);
    b.requires_grad_(true);
    gradcheck(
        |v| op.call(&[&v[0], &v[1]], &[]).unwrap().remove(0),
        &[a.clone(), b.clone()],
        Default::default(),
    )
    .unwrap();
    // only one input requiring grad
    let c = b.detach();
    let y = op.call(&[&a, &c], &[]).unwrap().remove(0);
    y.sum().backward();
    assert_eq!(a.grad().unwrap().to_vec::<f64>(), c.to_vec::<f64>());
}

#[test]
fn second_derivatives_through_a_backward_with_its_own_backward() {
    let op = cpp_ext().op("cpp_sin").unwrap();
    let x = Tensor::linspace_dtype(-2.0, 2.0, 4, DType::F64);
    x.requires_grad_(true);
    gradcheck(
        |v| op.call(&[&v[0]], &[]).unwrap().remove(0),
        std::slice::from_ref(&x),
        Default::default(),
    )
    .unwrap();
    gradgradcheck(
        |v| op.call(&[&v[0]], &[]).unwrap().remove(0),
        std::slice::from_ref(&x),
        None,
        Default::default(),
    )
    .unwrap();
}

#[test]
fn transpose_with_typed_access_on_int64_and_float64() {
    let ext = cpp_ext();
    let x = Tensor::arange(0, 6).reshape([2, 3]);
    let y = ext.call("cpp_transpose", &[&x], &[]).unwrap().remove(0);
    assert_eq!(y.shape(), &[3, 2]);
    assert_eq!(y.to_vec::<i64>(), x.t().to_vec::<i64>());
    // a strided input
    let xf = x.to_dtype(DType::F64).t();
    let yf = ext.call("cpp_transpose", &[&xf], &[]).unwrap().remove(0);
    assert_eq!(yf.to_vec::<f64>(), xf.t().to_vec::<f64>());
}

#[test]
fn exceptions_become_errors() {
    let ext = cpp_ext();
    let e = ext
        .call("cpp_throws", &[&tensor!([1.0, 2.0])], &[])
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "extension op `cpp_throws`: cpp_throws: refused a tensor of 2 elements"
    );
    let e = ext
        .call("cpp_transpose", &[&tensor!([1, 2])], &[])
        .unwrap_err()
        .to_string();
    assert!(e.contains("cpp_transpose: expected 2 dims"), "{e}");
    let e = ext
        .call("cpp_wrong_type", &[&tensor!([1, 2])], &[])
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("data<T>() with the wrong element type for dtype code 4"),
        "{e}"
    );
}

#[test]
fn load_inline_generates_the_op_table() {
    let src = r#"
        TESSERA_CPP_OP(inline_affine, call) {
            auto x = call.input(0);
            auto y = call.alloc_like(0, x);
            double a = call.scalar(0), b = call.scalar(1);
            tessera::dispatch_float(x.dtype(), [&](auto z) {
                using T = decltype(z);
                for (int64_t i = 0; i < x.numel(); i++) y.flat<T>(i) = T(a) * x.flat<T>(i) + T(b);
            });
        }
        TESSERA_CPP_OP(inline_affine_backward, call) {
            auto g = call.input(0);
            auto gx = call.alloc_like(0, call.input(1));
            double a = call.scalar(0);
            tessera::dispatch_float(g.dtype(), [&](auto z) {
                using T = decltype(z);
                for (int64_t i = 0; i < g.numel(); i++) gx.flat<T>(i) = T(a) * g.flat<T>(i);
            });
        }
    "#;
    let floats = [DType::F32, DType::F64];
    let ext = load_inline_with(
        "inline_affine",
        src,
        &[
            OpSpec::new("inline_affine")
                .scalars(2)
                .dtypes(&floats)
                .backward("inline_affine_backward"),
            OpSpec::new("inline_affine_backward")
                .inputs(3)
                .scalars(2)
                .dtypes(&floats),
        ],
        &LoadOptions::new().build_directory(shared_root("shared")),
    )
    .unwrap();
    let x = tensor!([1.0, -2.0]).to_dtype(DType::F64);
    x.requires_grad_(true);
    let y = ext
        .call("inline_affine", &[&x], &[3.0, 0.5])
        .unwrap()
        .remove(0);
    assert_eq!(y.to_vec::<f64>(), vec![3.5, -5.5]);
    gradcheck(
        |v| {
            ext.call("inline_affine", &[&v[0]], &[3.0, 0.5])
                .unwrap()
                .remove(0)
        },
        &[x],
        Default::default(),
    )
    .unwrap();
}
