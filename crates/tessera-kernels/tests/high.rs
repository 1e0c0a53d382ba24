//! The `High` grade (`tessera_kernels::high`): within 1 ULP on a dense sample of every
//! function, special values exactly as the default kernels, bit-identical on every backend,
//! in place and out of place, and for every way of cutting a slice into chunks.
//!
//! The exhaustive proof over all 2^32 inputs is `exhaustive --grade high` in
//! `crates/tessera-accuracy` (ACCURACY.md); this is its fast counterpart for every test run.

mod common;
use common::*;
use tessera_kernels::{available_backends, high, with_backend};

/// Every `High` kernel with its name and the default kernel it must match on special values.
const HIGH_FNS: [(&str, F32Fn, F32Fn); 7] = [
    ("expm1", high::expm1_f32, tessera_kernels::expm1_f32),
    ("exp", high::exp_f32, tessera_kernels::exp_f32),
    ("log1p", high::log1p_f32, tessera_kernels::log1p_f32),
    ("log", high::log_f32, tessera_kernels::log_f32),
    ("tanh", high::tanh_f32, tessera_kernels::tanh_f32),
    ("sigmoid", high::sigmoid_f32, tessera_kernels::sigmoid_f32),
    (
        "softplus",
        high::softplus_f32,
        tessera_kernels::softplus_f32,
    ),
];

/// One ULP of f32 at the magnitude of `v` (subnormal spacing below 2^-126), as in the
/// accuracy tool.
fn ulp_f32(v: f64) -> f64 {
    let e = ((v.abs().to_bits() >> 52) as i64 - 1023).max(-126);
    f64::from_bits(((e - 23 + 1023) as u64) << 52)
}

/// The kind of a result: NaN, +inf, -inf, +0, -0, or finite and nonzero.
fn kind(v: f32) -> u8 {
    if v.is_nan() {
        0
    } else if v == f32::INFINITY {
        1
    } else if v == f32::NEG_INFINITY {
        2
    } else if v == 0.0 {
        3 + v.is_sign_negative() as u8
    } else {
        5
    }
}

/// The dense sample: every 4093rd f32 bit pattern (1,049,345 inputs over every exponent and
/// both signs), 2^18 uniform inputs over the range where the function does its work, and
/// the inputs around its thresholds.
fn dense_sample(name: &str) -> Vec<f32> {
    let mut x: Vec<f32> = (0..=u32::MAX / 4093)
        .map(|i| f32::from_bits(i * 4093))
        .collect();
    let (lo, hi) = match name {
        "log" => (0.0, 4.0),
        "log1p" => (-1.0, 4.0),
        "tanh" => (-10.0, 10.0),
        _ => (-110.0, 90.0),
    };
    let mut rng = Rng(17);
    x.extend((0..1 << 18).map(|_| rng.uniform(lo, hi) as f32));
    for t in [
        88.72283f32,
        -103.97208,
        -87.33655,
        -17.32868,
        0.346_573_6,
        9.1,
        1.0,
    ] {
        for s in [t, -t] {
            let b = s.to_bits();
            x.extend((b.saturating_sub(64)..b.saturating_add(64)).map(f32::from_bits));
        }
    }
    x
}

#[test]
fn high_is_within_one_ulp_on_a_dense_sample() {
    for (name, hf, df) in HIGH_FNS {
        let x = dense_sample(name);
        let mut y = vec![0.0f32; x.len()];
        let mut d = vec![0.0f32; x.len()];
        hf(&x, &mut y);
        df(&x, &mut d);
        let (mut worst, mut worst_x) = (0.0f64, 0.0f32);
        for ((&xi, &yi), &di) in x.iter().zip(&y).zip(&d) {
            // The default kernels' results are correctly rounded (sigmoid, softplus: within
            // 1 ULP), proven exhaustively: their kind is the required one.
            assert_eq!(
                kind(yi),
                kind(di),
                "high::{name}({xi:e} = {:#010x}) = {yi:e}, default gives {di:e}",
                xi.to_bits()
            );
            let r = reference(name, xi as f64);
            if r.is_finite() && yi.is_finite() {
                let e = (yi as f64 - r).abs() / ulp_f32(r);
                if e > worst {
                    (worst, worst_x) = (e, xi);
                }
            }
        }
        eprintln!(
            "high::{name}: {} inputs, max {worst:.4} ULP at {worst_x:e}",
            x.len()
        );
        // The f64 reference is within about 2^-29 ULP of f32: 1 ULP leaves no room for it.
        assert!(
            worst <= 1.0,
            "high::{name}: {worst} ULP at {worst_x:e} ({:#010x})",
            worst_x.to_bits()
        );
        // Faithful, not correctly rounded: a bound that holds with nothing to spare would
        // show a result further off than half an ULP somewhere.
        assert!(worst > 0.5, "high::{name}: {worst} ULP, suspiciously exact");
    }
}

#[test]
fn high_special_values_match_the_default_kernels() {
    let tiny = f32::from_bits(1);
    let x = [
        f32::NAN,
        -f32::NAN,
        f32::INFINITY,
        f32::NEG_INFINITY,
        0.0,
        -0.0,
        tiny,
        -tiny,
        f32::MIN_POSITIVE,
        -f32::MIN_POSITIVE,
        f32::MAX,
        f32::MIN,
        1.0,
        -1.0,
        88.72283,
        88.72284,
        -103.97208,
        f32::from_bits(0xc2cf_f1b4),
        -87.33655,
        -17.32868,
        -17.328678,
        9.1,
        -1e-30,
        3e-8,
    ];
    for (name, hf, df) in HIGH_FNS {
        let mut y = vec![0.0f32; x.len()];
        let mut d = vec![0.0f32; x.len()];
        hf(&x, &mut y);
        df(&x, &mut d);
        for ((&xi, &yi), &di) in x.iter().zip(&y).zip(&d) {
            let ok = kind(yi) == kind(di)
                && (kind(yi) != 5 || (yi as f64 - di as f64).abs() <= ulp_f32(di as f64));
            assert!(ok, "high::{name}({xi:e}) = {yi:e}, default gives {di:e}");
        }
    }
}

fn same_bits(a: &[f32], b: &[f32]) -> bool {
    a.iter()
        .zip(b)
        .all(|(x, y)| x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()))
}

#[test]
fn high_backends_are_bit_identical() {
    let backends = available_backends();
    eprintln!("high_backends_are_bit_identical: comparing {backends:?}");
    let mut rng = Rng(7);
    let x: Vec<f32> = (0..100_003)
        .map(|i| match i % 3 {
            0 => rng.any_f32(),
            1 => rng.uniform(-110.0, 90.0) as f32,
            _ => rng.uniform(-2.0, 2.0) as f32,
        })
        .collect();
    for (name, hf, _) in HIGH_FNS {
        let want = with_backend(tessera_kernels::Backend::Scalar, || {
            let mut y = vec![0.0f32; x.len()];
            hf(&x, &mut y);
            y
        });
        for &b in &backends {
            let got = with_backend(b, || {
                let mut y = vec![0.0f32; x.len()];
                hf(&x, &mut y);
                y
            });
            assert!(
                same_bits(&got, &want),
                "high::{name}: {b:?} differs from Scalar"
            );
            // Every slice length up to a few vectors (tails included), every offset.
            for len in 0..70 {
                let got = with_backend(b, || {
                    let mut y = vec![0.0f32; len];
                    hf(&x[3..3 + len], &mut y);
                    y
                });
                assert!(
                    same_bits(&got, &want[3..3 + len]),
                    "high::{name}: {b:?} differs at length {len}"
                );
            }
        }
    }
}

#[test]
fn high_chunking_and_in_place_do_not_change_bits() {
    let mut rng = Rng(99);
    let x: Vec<f32> = (0..10_007)
        .map(|_| rng.uniform(-30.0, 30.0) as f32)
        .collect();
    for (name, hf, _) in HIGH_FNS {
        let mut whole = vec![0.0f32; x.len()];
        hf(&x, &mut whole);
        // Chunks of odd sizes, as a thread pool might cut the slice.
        let mut pieces = vec![0.0f32; x.len()];
        let mut start = 0;
        for size in [1usize, 7, 33, 1000, 5, 4096].iter().cycle() {
            if start == x.len() {
                break;
            }
            let end = (start + size).min(x.len());
            hf(&x[start..end], &mut pieces[start..end]);
            start = end;
        }
        assert!(
            same_bits(&pieces, &whole),
            "high::{name}: chunking changed bits"
        );
        let mut inplace = x.clone();
        let inplace_fn = match name {
            "expm1" => high::expm1_f32_inplace,
            "exp" => high::exp_f32_inplace,
            "log1p" => high::log1p_f32_inplace,
            "log" => high::log_f32_inplace,
            "tanh" => high::tanh_f32_inplace,
            "sigmoid" => high::sigmoid_f32_inplace,
            _ => high::softplus_f32_inplace,
        };
        inplace_fn(&mut inplace);
        assert!(
            same_bits(&inplace, &whole),
            "high::{name}: in place differs"
        );
    }
}

#[test]
#[should_panic(expected = "high::exp_f32: input has 3 elements but output has 2")]
fn high_length_mismatch_panics() {
    high::exp_f32(&[1.0, 2.0, 3.0], &mut [0.0; 2]);
}

#[test]
fn high_empty_slices_are_fine() {
    for (_, hf, _) in HIGH_FNS {
        hf(&[], &mut []);
    }
}

#[test]
fn high_row_kernels_stay_within_their_bounds() {
    // softmax is the default kernel; log_softmax and logsumexp sum a shorter exponential
    // (2^-29.2) on rows within [-600, 600] and are the default kernels elsewhere: within
    // 1 ULP (about 0.56 at worst), the same bits on every backend.
    let mut rng = Rng(5);
    let backends = tessera_kernels::available_backends();
    let (mut w_lsm, mut w_lse) = (0.0f64, 0.0f64);
    for (k, &(lo, hi)) in [(-20.0, 20.0), (-3.0, 3.0), (550.0, 620.0), (-5.0, 60.0)]
        .iter()
        .enumerate()
    {
        for len in [1usize, 7, 16, 33, 257, 1001] {
            let row: Vec<f32> = (0..len).map(|_| rng.uniform(lo, hi) as f32).collect();
            let (mut a, mut b) = (vec![0.0f32; len], vec![0.0f32; len]);
            high::softmax_f32(&row, &mut a);
            tessera_kernels::softmax_f32(&row, &mut b);
            assert!(same_bits(&a, &b));
            let (m, rest) = max_and_rest(&row);
            let ls = rest.ln_1p();
            let mut outs = vec![];
            for &be in &backends {
                let mut o = vec![0.0f32; len];
                let l = tessera_kernels::with_backend(be, || {
                    high::log_softmax_f32(&row, &mut o);
                    high::logsumexp_f32(&row)
                });
                w_lse = w_lse.max(ulps(l, m + ls));
                for (&v, &y) in row.iter().zip(&o) {
                    w_lsm = w_lsm.max(ulps(y, (v as f64 - m) - ls));
                }
                outs.push((l.to_bits(), o));
            }
            for o in &outs[1..] {
                assert_eq!(o.0, outs[0].0, "high::logsumexp_f32 kind {k} len {len}");
                assert!(
                    same_bits(&o.1, &outs[0].1),
                    "high::log_softmax_f32 kind {k} len {len}"
                );
            }
        }
    }
    eprintln!("high::log_softmax_f32 max {w_lsm:.4} ULP, high::logsumexp_f32 max {w_lse:.4} ULP");
    assert!(w_lsm <= 0.6 && w_lse <= 0.6, "{w_lsm} {w_lse}");
}

/// `|got - want|` in ULPs of the f32 spacing at `want`.
fn ulps(got: f32, want: f64) -> f64 {
    let w = want as f32;
    let (lo, hi) = if (w as f64) <= want {
        (w, f32::from_bits(w.to_bits() + 1))
    } else {
        (f32::from_bits(w.to_bits() - 1), w)
    };
    (got as f64 - want).abs() / (hi.abs() as f64 - lo.abs() as f64).abs()
}
