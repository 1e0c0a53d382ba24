//! Small runs of every path of tessera-core that uses `unsafe`, sized for Miri
//! (`scripts/miri.sh`); they also run, quickly, in the normal test suite.
//!
//! - zeroed allocation (`alloc_zeroed` into a `Vec`) for every dtype;
//! - the kernels' pointer loads and stores, with their short tails, through tensor ops;
//! - the float sums' slice reinterpretation;
//! - matmul's raw-pointer gemm call on strided, transposed, broadcast and empty operands;
//! - gathers and scatters over strided views.

use tessera_core::{tensor, DType, Tensor};

#[test]
fn zeroed_tensors_of_every_dtype() {
    for dtype in DType::ALL {
        for n in [0usize, 1, 7, 33] {
            let t = Tensor::zeros_dtype(&[n], dtype);
            assert_eq!(t.numel(), n);
            assert!(t
                .to_dtype(DType::F64)
                .to_vec::<f64>()
                .iter()
                .all(|&v| v == 0.0));
        }
    }
}

#[test]
fn kernels_on_contiguous_and_strided_inputs() {
    for n in [1usize, 3, 8, 17] {
        let x = Tensor::arange(0, (2 * n) as i64).to_dtype(DType::F32) * 0.25 - 1.0;
        let strided = x.reshape([n, 2]).select(1, 1);
        for t in [x.clone(), strided] {
            let want: Vec<f32> = t.to_vec::<f32>().iter().map(|v| v.exp_m1()).collect();
            let got = t.expm1().to_vec::<f32>();
            for (g, w) in got.iter().zip(&want) {
                assert!((g - w).abs() <= 1e-6 * w.abs().max(1.0));
            }
            let d = t.to_dtype(DType::F64);
            assert!((d.sum().item::<f64>() - d.to_vec::<f64>().iter().sum::<f64>()).abs() < 1e-12);
            assert_eq!(t.sum().item::<f32>(), t.to_vec::<f32>().iter().sum::<f32>());
            let y = t.deep_clone();
            y.tanh_();
            assert_eq!(y.to_vec::<f32>(), t.tanh().to_vec::<f32>());
        }
    }
}

#[test]
fn matmul_through_raw_pointers() {
    let a = Tensor::arange(0, 12).to_dtype(DType::F64).reshape([3, 4]);
    let b = Tensor::arange(0, 20)
        .to_dtype(DType::F64)
        .reshape([5, 4])
        .t();
    let naive = |a: &Tensor, b: &Tensor| {
        let (m, k, n) = (a.size(0), a.size(1), b.size(1));
        let (av, bv) = (a.to_vec::<f64>(), b.to_vec::<f64>());
        (0..m * n)
            .map(|ij| {
                (0..k)
                    .map(|p| av[ij / n * k + p] * bv[p * n + ij % n])
                    .sum()
            })
            .collect::<Vec<f64>>()
    };
    assert_eq!(a.matmul(&b).to_vec::<f64>(), naive(&a, &b));
    let a32 = a.to_dtype(DType::F32).t().contiguous().t();
    assert_eq!(
        a32.matmul(&b.to_dtype(DType::F32)).to_vec::<f32>(),
        naive(&a, &b).iter().map(|&v| v as f32).collect::<Vec<_>>()
    );
    // Broadcast batch, empty inner and outer sizes.
    let batch = a.unsqueeze(0).expand([2, 3, 4]);
    assert_eq!(batch.matmul(&b).shape(), &[2, 3, 5]);
    assert_eq!(
        Tensor::zeros_dtype(&[3, 0], DType::F64)
            .matmul(&Tensor::zeros_dtype(&[0, 2], DType::F64))
            .to_vec::<f64>(),
        vec![0.0; 6]
    );
    assert_eq!(a.narrow(0, 3, 0).matmul(&b).shape(), &[0, 5]);
}

#[test]
fn gathers_and_scatters_on_views() {
    let x = Tensor::arange(0, 24).reshape([2, 3, 4]).permute([2, 0, 1]);
    let flat = x.contiguous().to_vec::<i64>();
    assert_eq!(x.to_vec::<i64>(), flat);
    let g = x.gather(0, &tensor!([[[3, 0, 1]]]));
    assert_eq!(g.shape(), &[1, 1, 3]);
    let v = x.narrow(0, 1, 2);
    v.copy_(&Tensor::full(&[2, 2, 3], 7));
    assert_eq!(x.select(0, 1).to_vec::<i64>(), vec![7; 6]);
    assert_eq!(x.select(0, 0).to_vec::<i64>(), vec![0, 4, 8, 12, 16, 20]);
}

#[test]
fn outputs_of_two_mebibytes_and_more() {
    // 2.4 MB of f64: the output path that reserves, writes every element in place and
    // only then sets the length; then a second output that may reuse the first's buffer.
    let n = 300_000;
    let x = Tensor::zeros_dtype(&[n], DType::F64);
    let y = x.neg();
    assert!(y.to_vec::<f64>().iter().all(|&v| v == 0.0));
    drop(y);
    let z = x.add(1.0);
    assert!(z.to_vec::<f64>().iter().all(|&v| v == 1.0));
}
