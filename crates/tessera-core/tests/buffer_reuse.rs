//! A reused output buffer never shows its old values: the cache is filled with buffers of
//! a poison value, then every driver that may take one (unary float and dtype-keeping ops,
//! binary ops with every operand layout, the row ops, `where`) runs on inputs whose results cannot
//! be the poison. One test in its own binary, so no other test takes the buffers.

use tessera_core::{release_cached_buffers, DType, Tensor};

const POISON: f64 = 12345.0;

/// An op run on the test's inputs.
type Case<'a> = Box<dyn Fn() -> Tensor + 'a>;
/// Large enough to go through the cache (2 MiB of f32), and a mid size (256 KiB of f32)
/// that takes a kept buffer too.
const SIZES: [usize; 2] = [1 << 19, 1 << 16];

/// Drops `count` storages of `n` poison values of `dtype` into the cache; returns their
/// addresses.
fn poison_cache(n: usize, dtype: DType, count: usize) -> Vec<usize> {
    let kept: Vec<Tensor> = (0..count)
        .map(|_| Tensor::full_dtype(&[n], POISON, dtype))
        .collect();
    kept.iter().map(data_ptr).collect()
}

fn data_ptr(t: &Tensor) -> usize {
    match t.dtype() {
        DType::F32 => t.with_contiguous(|s: &[f32]| s.as_ptr() as usize),
        _ => t.with_contiguous(|s: &[f64]| s.as_ptr() as usize),
    }
}

fn assert_clean(what: &str, t: &Tensor) {
    let v = t.to_dtype(DType::F64).to_vec::<f64>();
    assert_eq!(v.len(), t.numel(), "{what}");
    let bad = v.iter().filter(|&&x| x == POISON).count();
    assert_eq!(
        bad, 0,
        "{what}: {bad} elements kept a reused buffer's old value"
    );
}

#[test]
fn reused_buffers_never_leak_old_values() {
    release_cached_buffers();
    for (dtype, n) in [DType::F32, DType::F64]
        .into_iter()
        .flat_map(|d| SIZES.map(|n| (d, n)))
    {
        // Inputs in [0, 1): no result below can be 12345.
        let x = Tensor::linspace_dtype(0.0, 0.999, n, dtype);
        let m = x.reshape([1024, n / 1024]);
        let strided = m.t(); // [n/1024, 1024], not contiguous
        let row = Tensor::linspace_dtype(0.0, 0.5, n / 1024, dtype);
        let mask = x.gt(0.5);

        let cases: Vec<(&str, Case)> = vec![
            ("expm1 contiguous", Box::new(|| x.expm1())),
            ("tanh strided", Box::new(|| strided.tanh())),
            ("sqrt strided", Box::new(|| strided.sqrt())),
            ("neg contiguous", Box::new(|| x.neg())),
            ("relu strided", Box::new(|| strided.relu())),
            ("add contiguous", Box::new(|| x.add(&x))),
            ("mul by a scalar", Box::new(|| x.mul(0.5))),
            ("sub broadcast row", Box::new(|| m.sub(&row))),
            ("div strided", Box::new(|| strided.div(strided.add(1.0)))),
            (
                "maximum strided and contiguous",
                Box::new(|| strided.maximum(strided.contiguous())),
            ),
            ("softmax last dim", Box::new(|| m.softmax(-1))),
            ("where with a value", Box::new(|| x.where_(&mask, 0.0))),
            ("log_softmax first dim", Box::new(|| m.log_softmax(0))),
        ];
        let mut reused = 0;
        for (what, run) in &cases {
            let kept = poison_cache(n, dtype, 4);
            let y = run();
            if kept.contains(&data_ptr(&y)) {
                reused += 1;
            }
            assert_clean(what, &y);
            drop(y);
            release_cached_buffers();
        }
        // The path under test was taken: every result landed in a poisoned buffer (an op
        // with a temporary, like `div` of a sum, may put the temporary there instead).
        assert!(
            reused >= cases.len() - 2,
            "{dtype}, {n} elements: only {reused} of {} results reused a kept buffer",
            cases.len()
        );
    }
    // Zero-size and 0-dim results take no buffer and still come out right.
    poison_cache(SIZES[0], DType::F32, 2);
    assert_eq!(Tensor::zeros(&[0, 5]).exp().shape(), &[0, 5]);
    assert_eq!(Tensor::zeros(&[]).expm1().item::<f32>(), 0.0);
    release_cached_buffers();
}
