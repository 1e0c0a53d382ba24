use crate::{tensor, DType, Tensor};

#[test]
fn sums_and_dtypes() {
    let x = tensor!([[1, 2, 3], [4, 5, 6]]);
    assert_eq!(x.sum_dim(0, false).to_vec::<i64>(), vec![5, 7, 9]);
    assert_eq!(x.sum_dim(-1, true).shape(), &[2, 1]);
    assert_eq!(x.sum_dim([0, 1], false).item::<i64>(), 21);
    assert_eq!(tensor!([true, true]).sum().dtype(), DType::I64);
    assert_eq!(x.t().sum_dim(1, false).to_vec::<i64>(), vec![5, 7, 9]);
    assert_eq!(
        Tensor::zeros(&[0, 3]).sum_dim(0, false).to_vec::<f32>(),
        vec![0.0; 3]
    );
    assert_eq!(Tensor::zeros(&[0]).sum().item::<f32>(), 0.0);
    assert_eq!(tensor!(5).sum().item::<i64>(), 5);
}

/// The f32 sum is within 1 ULP of the exact sum when nothing cancels (the bound of
/// `tessera_kernels::sum_f32`); a plain f32 loop gives 100958.34 for the first case.
#[test]
fn f32_sum_is_accurate() {
    let n = 1_000_000;
    let x = Tensor::full(&[n], 0.1);
    // 10^6 * 0.1f32 is exact in f64 (24 + 20 bits); its f32 rounding is the only answer.
    let exact = (0.1f32 as f64 * n as f64) as f32;
    assert_eq!(x.sum().item::<f32>(), exact);
    let v: Vec<f32> = (0..n).map(|i| ((i * 7919) % 1000) as f32 / 997.0).collect();
    let exact: f64 = v.iter().map(|&a| a as f64).sum(); // error ~1e-10 relative
    let s = Tensor::from_vec(v, &[n]).sum().item::<f32>();
    let ulp = (s.next_up() - s) as f64;
    assert!((s as f64 - exact).abs() <= ulp, "{s} vs {exact}");
}

#[test]
fn mean_prod_nan() {
    assert!(Tensor::zeros(&[0]).mean().item::<f32>().is_nan());
    assert_eq!(
        tensor!([[1.0, 3.0], [5.0, 7.0]])
            .mean_dim(0, false)
            .to_vec::<f32>(),
        vec![3.0, 5.0]
    );
    assert_eq!(tensor!([2, 3, 4]).prod().item::<i64>(), 24);
    assert!(tensor!([1.0, f32::NAN]).sum().item::<f32>().is_nan());
}

#[test]
#[should_panic(expected = "mean: could not infer output dtype")]
fn mean_of_ints_panics() {
    tensor!([1, 2]).mean();
}

#[test]
fn max_min_arg() {
    let x = tensor!([[1.0, 9.0, 3.0], [f32::NAN, 0.0, -1.0]]);
    let (v, i) = x.max_dim(1, false);
    let v = v.to_vec::<f32>();
    assert_eq!(v[0], 9.0);
    assert!(v[1].is_nan());
    assert_eq!(i.to_vec::<i64>(), vec![1, 0]);
    assert!(x.max().item::<f32>().is_nan());
    assert_eq!(x.narrow(0, 0, 1).min().item::<f32>(), 1.0);
    assert_eq!(x.argmin_dim(-1, true).shape(), &[2, 1]);
    assert_eq!(tensor!([3, 7, 7]).argmax().item::<i64>(), 1);
    assert_eq!(tensor!([[3, 1], [0, 7]]).argmin().item::<i64>(), 2);
    let (mv, mi) = tensor!([[1, 2], [3, 0]]).min_dim(0, true);
    assert_eq!(
        (mv.to_vec::<i64>(), mi.to_vec::<i64>(), mv.shape().to_vec()),
        (vec![1, 0], vec![0, 1], vec![1, 2])
    );
}

#[test]
#[should_panic(expected = "max(): Expected reduction dim to be specified for input.numel() == 0")]
fn max_of_empty_panics() {
    Tensor::zeros(&[0]).max();
}

#[test]
#[should_panic(expected = "argmax(): Expected reduction dim 1 to have non-zero size")]
fn argmax_over_empty_dim_panics() {
    Tensor::zeros(&[2, 0]).argmax_dim(1, false);
}

#[test]
fn all_any() {
    let x = tensor!([[true, false], [true, true]]);
    assert_eq!(x.all_dim(1, false).to_vec::<bool>(), vec![false, true]);
    assert!(x.any().item::<bool>());
    assert!(Tensor::zeros(&[0]).all().item::<bool>());
    assert!(!Tensor::zeros(&[0]).any().item::<bool>());
}

#[test]
#[should_panic(
    expected = "sum: dimension out of range (expected to be in range of [-2, 1], but got 2)"
)]
fn bad_dim_panics() {
    Tensor::zeros(&[2, 2]).sum_dim(2, false);
}

#[test]
fn amax_amin_values_nan_and_ties_gradient() {
    let x = tensor!([[1.0, 9.0, 9.0], [f32::NAN, 0.0, -1.0]]);
    let m = x.amax_dim(1, false).to_vec::<f32>();
    assert_eq!(m[0], 9.0);
    assert!(m[1].is_nan());
    assert_eq!(x.narrow(0, 0, 1).amin().item::<f32>(), 1.0);
    assert_eq!(x.amin_dim([0, 1], true).shape(), &[1, 1]);
    assert_eq!(
        tensor!([[3, 1], [0, 7]])
            .amax_dim(-2, false)
            .to_vec::<i64>(),
        [3, 7]
    );
    // Ties share the gradient evenly (PyTorch's rule), for amax and for max().
    let w = tensor!([2.0, 5.0, 5.0, 1.0], dtype = DType::F64);
    w.requires_grad_(true);
    w.amax().backward();
    assert_eq!(w.grad().unwrap().to_vec::<f64>(), [0.0, 0.5, 0.5, 0.0]);
    let v = tensor!([2.0, 5.0, 5.0, 1.0], dtype = DType::F64);
    v.requires_grad_(true);
    v.max().backward();
    assert_eq!(v.grad().unwrap().to_vec::<f64>(), [0.0, 0.5, 0.5, 0.0]);
}

#[test]
fn amax_gradcheck() {
    let x = Tensor::randn(&[3, 4]).to_dtype(DType::F64);
    x.requires_grad_(true);
    crate::autograd::gradcheck(|v| v[0].amax_dim(-1, false), &[x], Default::default()).unwrap();
}

#[test]
#[should_panic(expected = "amax(): Expected reduction dim 1 to have non-zero size")]
fn amax_over_empty_dim_panics() {
    Tensor::zeros(&[2, 0]).amax_dim(1, false);
}

#[test]
fn out_forms_direct_strided_and_resized() {
    use crate::ops::{all_out, amax_out, mean_out, sum_out};
    let _g = crate::autograd::no_grad();
    let x = Tensor::arange(0.0, 12.0).reshape([3, 4]);
    // Direct into a slice of a larger storage, from a transposed (strided) input.
    let base = Tensor::full(&[6], -1.0);
    let mut out = base.narrow(0, 1, 4);
    sum_out(&x.t().t(), 0, false, &mut out);
    assert_eq!(base.to_vec::<f32>(), [-1.0, 12.0, 15.0, 18.0, 21.0, -1.0]);
    // Strided out: through a temporary.
    let m = Tensor::zeros(&[3, 2]);
    let mut col = m.select(1, 0);
    mean_out(&x, -1, false, &mut col);
    assert_eq!(m.to_vec::<f32>(), [1.5, 0.0, 5.5, 0.0, 9.5, 0.0]);
    // Empty out is resized; integer sums go to I64; bool results.
    let mut e = Tensor::zeros_dtype(&[0], DType::I64);
    sum_out(&tensor!([[1, 2], [3, 4]]), [0, 1], true, &mut e);
    assert_eq!((e.shape(), e.to_vec::<i64>()), (&[1usize, 1][..], vec![10]));
    let mut b = Tensor::zeros_dtype(&[3], DType::Bool);
    all_out(&x, 1, false, &mut b);
    assert_eq!(b.to_vec::<bool>(), [false, true, true]);
    // A row per output split across threads agrees with the allocating form.
    let big = Tensor::randn(&[4000, 64]);
    let mut o = Tensor::zeros(&[4000]);
    amax_out(&big, 1, false, &mut o);
    assert_eq!(o.to_vec::<f32>(), big.amax_dim(1, false).to_vec::<f32>());
}

#[test]
#[should_panic(
    expected = "sum_out: out has dtype torch.float32 but the result has dtype torch.int64"
)]
fn out_wrong_dtype_panics() {
    crate::ops::sum_out(&tensor!([1, 2]), 0, false, &mut Tensor::zeros(&[]));
}

#[test]
#[should_panic(expected = "mean_out: out has shape [3] but the result has shape [2]")]
fn out_wrong_shape_panics() {
    crate::ops::mean_out(&Tensor::zeros(&[2, 3]), 1, false, &mut Tensor::zeros(&[3]));
}
