//! `matmul` writes its result into a dropped tensor's buffer when one of nearly the right
//! size is kept (large outputs), so every element must be written and none read: the
//! cache is filled with NaN buffers, then every path of the product runs (gemm on one
//! thread and in column blocks, the small loop, the integer loop, `k == 0`) and its result
//! is compared with the one computed without kept buffers. One test in its own binary, so
//! no other test takes the buffers.

use tessera_core::{release_cached_buffers, DType, Tensor};

/// Drops `count` storages of `n` NaNs (or `i64::MIN` for integers) of `dtype` into the
/// cache; returns their addresses.
fn poison_cache(n: usize, dtype: DType, count: usize) -> Vec<usize> {
    let kept: Vec<Tensor> = (0..count)
        .map(|_| {
            if dtype.is_float() {
                Tensor::full_dtype(&[n], f64::NAN, dtype)
            } else {
                Tensor::full_dtype(&[n], i64::MIN as f64, dtype)
            }
        })
        .collect();
    kept.iter().map(data_ptr).collect()
}

fn data_ptr(t: &Tensor) -> usize {
    match t.dtype() {
        DType::F32 => t.with_contiguous(|s: &[f32]| s.as_ptr() as usize),
        DType::F64 => t.with_contiguous(|s: &[f64]| s.as_ptr() as usize),
        _ => t.with_contiguous(|s: &[i64]| s.as_ptr() as usize),
    }
}

#[test]
fn matmul_never_shows_a_reused_buffers_old_values() {
    release_cached_buffers();
    // Inputs whose products are finite (and exact in f64); results of 2 MiB or more go through the cache.
    let m = |s: &[usize], dtype| {
        let n: usize = s.iter().product();
        Tensor::arange(0, n as i64).reshape(s).to_dtype(dtype)
    };
    let f = DType::F32;
    let cases: Vec<(&str, Tensor, Tensor)> = vec![
        ("gemm, column blocks", m(&[1024, 256], f), m(&[256, 512], f)),
        (
            "gemm, transposed views",
            m(&[256, 1024], f).t(),
            m(&[512, 256], f).t(),
        ),
        (
            "gemm f64",
            m(&[512, 64], DType::F64),
            m(&[64, 512], DType::F64),
        ),
        (
            "gemm, batched entries",
            m(&[128, 64, 64], f),
            m(&[64, 64], f),
        ),
        (
            "small loop, batched",
            m(&[8192, 8, 8], f),
            m(&[8192, 8, 8], f),
        ),
        ("k == 0", m(&[1024, 0], f), m(&[0, 512], f)),
        (
            "integers",
            m(&[512, 16], DType::I64),
            m(&[16, 512], DType::I64),
        ),
    ];
    let mut reused = 0;
    for (what, a, b) in &cases {
        release_cached_buffers();
        let expected = a.matmul(b).to_dtype(DType::F64).to_vec::<f64>();
        release_cached_buffers();
        let kept = poison_cache(expected.len(), a.dtype(), 4);
        let y = a.matmul(b);
        if kept.contains(&data_ptr(&y)) {
            reused += 1;
        }
        let got = y.to_dtype(DType::F64).to_vec::<f64>();
        assert_eq!(got.len(), expected.len(), "{what}");
        let bad = got.iter().zip(&expected).filter(|(x, y)| x != y).count();
        assert_eq!(
            bad, 0,
            "{what}: {bad} elements differ from the product without reuse"
        );
    }
    release_cached_buffers();
    // The path under test was taken.
    assert_eq!(
        reused,
        cases.len(),
        "only {reused} results reused a kept buffer"
    );
}
