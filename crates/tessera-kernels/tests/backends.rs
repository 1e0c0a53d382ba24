//! Every backend gives bit-identical results (NaN payloads aside), on random bit patterns and
//! on every slice length up to a few vectors (tails included); lengths are checked.

mod common;
use common::*;
use tessera_kernels::*;

fn same32(a: &[f32], b: &[f32]) -> bool {
    a.iter()
        .zip(b)
        .all(|(x, y)| x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()))
}
fn same64(a: &[f64], b: &[f64]) -> bool {
    a.iter()
        .zip(b)
        .all(|(x, y)| x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()))
}

/// The backends this CPU's features call for, found independently of the dispatcher
/// (the features pulp's `V3` and `V4` require).
fn backends_the_cpu_offers() -> Vec<Backend> {
    #[allow(unused_mut)]
    let mut want = vec![Backend::Scalar];
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::is_x86_feature_detected as has;
        let v3 = has!("sse3")
            && has!("ssse3")
            && has!("sse4.1")
            && has!("sse4.2")
            && has!("popcnt")
            && has!("fxsr")
            && has!("avx")
            && has!("avx2")
            && has!("bmi1")
            && has!("bmi2")
            && has!("fma")
            && has!("lzcnt");
        let v4 = has!("avx512f")
            && has!("avx512bw")
            && has!("avx512cd")
            && has!("avx512dq")
            && has!("avx512vl");
        if v3 {
            want.push(Backend::V3);
            if v4 {
                want.push(Backend::V4);
            }
        }
    }
    #[cfg(target_arch = "aarch64")]
    if std::arch::is_aarch64_feature_detected!("neon") {
        want.push(Backend::Neon);
    }
    want
}

/// Compares every backend the CPU offers; says which, and fails when the dispatcher
/// offers fewer (a comparison of one backend with itself proves nothing).
#[test]
fn backends_are_bit_identical() {
    let backends = available_backends();
    let offered = backends_the_cpu_offers();
    eprintln!("backends_are_bit_identical: comparing {backends:?}");
    assert_eq!(
        backends, offered,
        "the dispatcher's backends differ from those this CPU's features call for"
    );
    let mut rng = Rng(42);
    // Half any bit pattern, half moderate values where the functions do real work.
    let x32: Vec<f32> = (0..100_003)
        .map(|i| {
            if i % 2 == 0 {
                rng.any_f32()
            } else {
                rng.uniform(-100.0, 100.0) as f32
            }
        })
        .collect();
    let x64: Vec<f64> = (0..100_003)
        .map(|i| {
            if i % 2 == 0 {
                rng.any_f64()
            } else {
                rng.uniform(-800.0, 800.0)
            }
        })
        .collect();
    for (name, f) in F32_FNS {
        let outs: Vec<Vec<f32>> = backends
            .iter()
            .map(|&b| {
                let mut y = vec![0.0; x32.len()];
                with_backend(b, || f(&x32, &mut y));
                y
            })
            .collect();
        for (b, o) in backends.iter().zip(&outs) {
            assert!(
                same32(o, &outs[0]),
                "{name}_f32: {b:?} differs from {:?}",
                backends[0]
            );
        }
    }
    for (name, f) in F64_FNS {
        let outs: Vec<Vec<f64>> = backends
            .iter()
            .map(|&b| {
                let mut y = vec![0.0; x64.len()];
                with_backend(b, || f(&x64, &mut y));
                y
            })
            .collect();
        for (b, o) in backends.iter().zip(&outs) {
            assert!(
                same64(o, &outs[0]),
                "{name}_f64: {b:?} differs from {:?}",
                backends[0]
            );
        }
    }
}

#[test]
fn every_length_and_inplace_match_elementwise() {
    let mut rng = Rng(5);
    for backend in available_backends() {
        with_backend(backend, || {
            for len in 0..40 {
                let x: Vec<f32> = (0..len).map(|_| rng.uniform(-5.0, 5.0) as f32).collect();
                for (name, f) in F32_FNS {
                    let mut y = vec![0.0f32; len];
                    f(&x, &mut y);
                    for (i, &xi) in x.iter().enumerate() {
                        let mut one = [0.0f32];
                        f(&[xi], &mut one);
                        assert_eq!(y[i].to_bits(), one[0].to_bits(), "{name} len {len} at {i}");
                    }
                }
                let mut a = x.clone();
                expm1_f32_inplace(&mut a);
                let mut b = vec![0.0f32; len];
                expm1_f32(&x, &mut b);
                assert!(same32(&a, &b));
                let x64: Vec<f64> = x.iter().map(|&v| v as f64).collect();
                let mut a = x64.clone();
                log1p_f64_inplace(&mut a);
                let mut b = vec![0.0f64; len];
                log1p_f64(&x64, &mut b);
                assert!(same64(&a, &b));
            }
        });
    }
}

#[test]
fn f64_results_do_not_depend_on_the_neighbouring_lanes() {
    // f64 exp picks its table-driven path or its general one (|x| > 708, NaN) lane by
    // lane: a lane's result must not change with what shares its vector. Slide a window
    // of mixed values over every offset and compare with one-element calls.
    let pool = [
        1.0,
        -3.25,
        707.9,
        708.0,
        708.0000000000001,
        -708.0,
        -708.5,
        709.7,
        709.9,
        -745.2,
        -800.0,
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        0.0,
        -0.0,
        1e-300,
        0.02,
        37.5,
    ];
    // Ordinary values (where the two paths of exp may round differently), each between
    // values that take the general path.
    let mut rng = Rng(17);
    let mixed: Vec<f64> = (0..4000)
        .map(|i| match i % 4 {
            0 => rng.uniform(-700.0, 700.0),
            1 => 800.0,
            2 => rng.uniform(-5.0, 5.0),
            _ => f64::NAN,
        })
        .collect();
    for backend in available_backends() {
        with_backend(backend, || {
            let mut y = vec![0.0f64; mixed.len()];
            exp_f64(&mixed, &mut y);
            for (&xi, &yi) in mixed.iter().zip(&y) {
                let mut one = [0.0f64];
                exp_f64(&[xi], &mut one);
                assert!(same64(&[yi], &one), "exp_f64({xi:e}) on {backend:?}");
            }
            for start in 0..pool.len() {
                let x: Vec<f64> = (0..17)
                    .map(|i| pool[(start + 3 * i) % pool.len()])
                    .collect();
                for (name, f) in F64_FNS {
                    let mut y = vec![0.0f64; x.len()];
                    f(&x, &mut y);
                    for (i, &xi) in x.iter().enumerate() {
                        let mut one = [0.0f64];
                        f(&[xi], &mut one);
                        assert!(
                            same64(&y[i..i + 1], &one),
                            "{name}_f64({xi:e}) on {backend:?}: {} in a slice, {} alone",
                            y[i],
                            one[0]
                        );
                    }
                }
            }
        });
    }
}

#[test]
fn backend_names_parse() {
    assert_eq!(Backend::parse("scalar"), Some(Backend::Scalar));
    assert_eq!(Backend::parse("AVX2"), Some(Backend::V3));
    assert_eq!(Backend::parse(" v4 "), Some(Backend::V4));
    assert_eq!(Backend::parse("neon"), Some(Backend::Neon));
    assert_eq!(Backend::parse("sse"), None);
    assert!(Backend::Scalar.is_available());
    assert_eq!(available_backends()[0], Backend::Scalar);
}

#[test]
fn with_backend_forces_and_restores() {
    let before = current_backend();
    for b in available_backends() {
        with_backend(b, || assert_eq!(current_backend(), b));
        assert_eq!(current_backend(), before);
    }
}

#[test]
#[should_panic(expected = "expm1_f32: input has 3 elements but output has 2")]
fn length_mismatch_panics_f32() {
    expm1_f32(&[1.0, 2.0, 3.0], &mut [0.0; 2]);
}

#[test]
#[should_panic(expected = "softplus_f64: input has 1 elements but output has 0")]
fn length_mismatch_panics_f64() {
    softplus_f64(&[1.0], &mut []);
}

#[test]
fn empty_slices() {
    for (_, f) in F32_FNS {
        f(&[], &mut []);
    }
    for (_, f) in F64_FNS {
        f(&[], &mut []);
    }
    tanh_f32_inplace(&mut []);
    assert_eq!(logsumexp_f32(&[]), f32::NEG_INFINITY);
    softmax_f64(&[], &mut []);
}
