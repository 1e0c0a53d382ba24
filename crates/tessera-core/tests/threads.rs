//! Splitting work across threads never changes a result: every op on a 10^6-element
//! tensor gives the same bits with 1 and with 2 threads.
//!
//! The thread count is global, so this binary holds a single test that sets it.

use tessera_core::{get_num_threads, set_num_threads, DType, Tensor};

/// The ops to run, each on the same inputs.
fn run_all(x: &Tensor, y: &Tensor) -> Vec<(&'static str, Tensor)> {
    let m = x.reshape([1000, 1000]);
    let x64 = x.to_dtype(DType::F64);
    vec![
        ("exp", x.exp()),
        ("expm1", x.expm1()),
        ("tanh", x.tanh()),
        ("sigmoid", x.sigmoid()),
        ("softplus", x.softplus()),
        ("log1p", x.abs().log1p()),
        ("sin", x.sin()),
        ("exp_f64", x64.exp()),
        ("neg", x.neg()),
        ("round", x.mul(10.0).round()),
        ("relu_", {
            let c = x.deep_clone();
            c.relu_();
            c
        }),
        ("add", x.add(y)),
        ("mul_scalar", x.mul(3.5)),
        ("div_broadcast", m.div(m.select(0, 7))),
        ("sub_strided", m.t().sub(&m)),
        ("pow", x.abs().pow(y)),
        ("maximum", x.maximum(y)),
        ("lt", x.lt(y)),
        ("where", x.where_(&x.gt(y), y)),
        ("clamp", x.clamp(Some(-0.5), Some(0.5))),
        ("sum", x.sum()),
        ("sum_f64", x64.sum()),
        ("mean", x.mean()),
        ("prod", x.abs().add(0.5).prod()),
        ("sum_dim0", m.sum_dim(0, false)),
        ("sum_dim1", m.sum_dim(1, false)),
        ("mean_dims", m.mean_dim([0, 1], true)),
        ("max", x.max()),
        ("argmin", x.argmin()),
        ("max_dim", m.max_dim(0, false).1),
        ("any", m.gt(0.999).any_dim(1, false)),
        ("logsumexp", m.logsumexp(1, false)),
        ("softmax0", m.softmax(0)),
        ("log_softmax1", m.log_softmax(1)),
        ("matmul", m.narrow(0, 0, 64).matmul(&m.narrow(1, 0, 64))),
        ("contiguous", m.t().contiguous()),
        ("to_dtype", x.to_dtype(DType::I32)),
    ]
}

fn bits(t: &Tensor) -> Vec<u64> {
    t.to_dtype(DType::F64)
        .to_vec::<f64>()
        .iter()
        .map(|v| v.to_bits())
        .collect()
}

#[test]
fn one_and_two_threads_give_identical_results() {
    let n = 1_000_000;
    let x = Tensor::linspace_dtype(-8.0, 8.0, n, DType::F32)
        .mul(1.37)
        .sin()
        .mul(6.0);
    // a second operand unlike the first: x with every other sign flipped, shifted
    let signs: Vec<f32> = (0..n)
        .map(|i| if i % 2 == 0 { 1.0 } else { -1.0 })
        .collect();
    let y = x.mul(Tensor::from_vec(signs, &[n])).add(0.25);
    set_num_threads(1);
    assert_eq!(get_num_threads(), 1);
    let one = run_all(&x, &y);
    set_num_threads(2);
    assert_eq!(get_num_threads(), 2);
    let two = run_all(&x, &y);
    for ((name, a), (_, b)) in one.iter().zip(&two) {
        assert_eq!((a.dtype(), a.shape()), (b.dtype(), b.shape()), "{name}");
        assert!(bits(a) == bits(b), "{name}: 1 and 2 threads differ");
    }
}
