//! `Precision::High` at the tensor level: every covered op stays within 1 ULP of the
//! correctly rounded default on a dense sample, really runs other kernels (some results
//! differ), keeps the special values, gives the same bits in all three call forms, on
//! strided inputs and with 1 or 2 threads; the guard restores the mode.

use tessera_core::ops::{expm1_out, tanh_out};
use tessera_core::{
    float32_elementwise_precision, get_float32_elementwise_precision, set_num_threads, DType,
    Precision, Tensor,
};

/// A dense sample of f32 bit patterns over the whole range (every 16411th pattern, both
/// signs), plus the special values.
fn sample() -> Tensor {
    let mut v: Vec<f32> = (0..(1u64 << 32))
        .step_by(16411)
        .map(|b| f32::from_bits(b as u32))
        .collect();
    v.extend([
        0.0,
        -0.0,
        f32::INFINITY,
        f32::NEG_INFINITY,
        f32::NAN,
        1e-45,
        -1e-45,
    ]);
    let n = v.len();
    Tensor::from_vec(v, &[n])
}

fn ulps(a: f32, b: f32) -> u64 {
    if a.is_nan() || b.is_nan() {
        return if a.is_nan() && b.is_nan() {
            0
        } else {
            u64::MAX
        };
    }
    let key = |x: f32| {
        let i = x.to_bits() as i32 as i64;
        if i < 0 {
            i64::from(i32::MIN) - i
        } else {
            i
        }
    };
    key(a).abs_diff(key(b))
}

type Op = fn(&Tensor) -> Tensor;

/// The elementwise ops High covers, with their own f32-lane kernels.
const ELEMENTWISE: [(&str, Op); 7] = [
    ("exp", |x| x.exp()),
    ("expm1", |x| x.expm1()),
    ("log", |x| x.log()),
    ("log1p", |x| x.log1p()),
    ("tanh", |x| x.tanh()),
    ("sigmoid", |x| x.sigmoid()),
    ("softplus", |x| x.softplus()),
];

/// The row ops: their default kernels are already within the High bounds and serve both
/// modes (see `tessera_kernels::high`).
const ROWS: [(&str, Op); 3] = [
    ("softmax", |x| x.softmax(-1)),
    ("log_softmax", |x| x.log_softmax(-1)),
    ("logsumexp", |x| x.logsumexp(-1, false)),
];

/// The largest distance in ULPs between `op`'s results in the two modes, and whether any
/// result differs.
fn compare_modes(op: Op, x: &Tensor) -> (u64, bool) {
    let highest = op(x).to_vec::<f32>();
    let high = {
        let _g = float32_elementwise_precision(Precision::High);
        op(x).to_vec::<f32>()
    };
    let worst = highest.iter().zip(&high).map(|(&a, &b)| ulps(a, b)).max();
    (worst.unwrap_or(0), highest != high)
}

#[test]
fn high_is_within_one_ulp_of_highest_and_differs_somewhere() {
    // Faithful rounding: a High result is one of the two f32 values around the exact one,
    // so at most one step from the correctly rounded result.
    let x = sample();
    for (name, op) in ELEMENTWISE {
        let (worst, differs) = compare_modes(op, &x);
        assert!(worst <= 1, "{name}: High is {worst} ULP from Highest");
        assert!(
            differs,
            "{name}: High gave Highest's bits on every input: not wired?"
        );
    }
    let rows = Tensor::linspace(-30.0, 30.0, 7 * 20_000).reshape([20_000, 7]);
    for (name, op) in ROWS {
        let (worst, _) = compare_modes(op, &rows);
        assert!(worst <= 1, "{name}: High is {worst} ULP from Highest");
    }
    assert_eq!(get_float32_elementwise_precision(), Precision::Highest);
}

#[test]
fn forms_layouts_and_threads_agree_under_high() {
    let _g = float32_elementwise_precision(Precision::High);
    let x = Tensor::linspace(-20.0, 20.0, 300_001);
    let want = x.tanh().to_vec::<f32>();
    // out= form, in place, strided input
    let mut out = Tensor::zeros(&[300_001]);
    tanh_out(&x, &mut out);
    assert_eq!(out.to_vec::<f32>(), want);
    let y = x.deep_clone();
    y.tanh_();
    assert_eq!(y.to_vec::<f32>(), want);
    let m = x.narrow(0, 0, 300_000).reshape([600, 500]);
    assert_eq!(
        m.t().tanh().t().contiguous().reshape([-1]).to_vec::<f32>(),
        want[..300_000]
    );
    // one thread gives the bits of two
    let mut one = Tensor::zeros(&[0]);
    set_num_threads(1);
    expm1_out(&x, &mut one);
    set_num_threads(2);
    assert_eq!(one.to_vec::<f32>(), x.expm1().to_vec::<f32>());
    // f64 is the same in both modes
    let d = x.to_dtype(DType::F64);
    let high64 = d.expm1().to_vec::<f64>();
    drop(_g);
    assert_eq!(high64, d.expm1().to_vec::<f64>());
}
