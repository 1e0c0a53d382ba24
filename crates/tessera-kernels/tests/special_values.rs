//! Special values of every elementwise kernel, on every backend, in both dtypes.

mod common;
use common::*;
use tessera_kernels::*;

const INF: f64 = f64::INFINITY;

/// (function, input, expected) with expected given in f64 and compared after conversion.
/// Sign of zero is compared too.
fn cases() -> Vec<(&'static str, f64, f64)> {
    let nan = f64::NAN;
    vec![
        ("expm1", nan, nan),
        ("expm1", INF, INF),
        ("expm1", -INF, -1.0),
        ("expm1", 0.0, 0.0),
        ("expm1", -0.0, -0.0),
        ("expm1", 1000.0, INF),
        ("expm1", -1000.0, -1.0),
        ("exp", nan, nan),
        ("exp", INF, INF),
        ("exp", -INF, 0.0),
        ("exp", 0.0, 1.0),
        ("exp", -0.0, 1.0),
        ("exp", 1000.0, INF),
        ("exp", -1000.0, 0.0),
        ("log1p", nan, nan),
        ("log1p", INF, INF),
        ("log1p", -INF, nan),
        ("log1p", -1.0, -INF),
        ("log1p", -2.0, nan),
        ("log1p", 0.0, 0.0),
        ("log1p", -0.0, -0.0),
        ("log", nan, nan),
        ("log", INF, INF),
        ("log", -INF, nan),
        ("log", 0.0, -INF),
        ("log", -0.0, -INF),
        ("log", -1.0, nan),
        ("log", 1.0, 0.0),
        ("tanh", nan, nan),
        ("tanh", INF, 1.0),
        ("tanh", -INF, -1.0),
        ("tanh", 0.0, 0.0),
        ("tanh", -0.0, -0.0),
        ("tanh", 50.0, 1.0),
        ("tanh", -50.0, -1.0),
        ("sigmoid", nan, nan),
        ("sigmoid", INF, 1.0),
        ("sigmoid", -INF, 0.0),
        ("sigmoid", 0.0, 0.5),
        ("sigmoid", -0.0, 0.5),
        ("sigmoid", 800.0, 1.0),
        ("sigmoid", -800.0, 0.0),
        ("softplus", nan, nan),
        ("softplus", INF, INF),
        ("softplus", -INF, 0.0),
        ("softplus", 0.0, std::f64::consts::LN_2),
        ("softplus", -0.0, std::f64::consts::LN_2),
        ("softplus", -800.0, 0.0),
    ]
}

fn same(a: f64, b: f64) -> bool {
    (a.is_nan() && b.is_nan()) || a.to_bits() == b.to_bits()
}

#[test]
fn special_values_f32_and_f64() {
    for backend in available_backends() {
        with_backend(backend, || {
            for (name, x, want) in cases() {
                let f32f = F32_FNS.iter().find(|f| f.0 == name).unwrap().1;
                let f64f = F64_FNS.iter().find(|f| f.0 == name).unwrap().1;
                let mut y32 = [0.0f32];
                f32f(&[x as f32], &mut y32);
                assert!(
                    same(y32[0] as f64, want as f32 as f64),
                    "{name}_f32({x}) = {} on {backend:?}, want {want}",
                    y32[0]
                );
                let mut y64 = [0.0f64];
                f64f(&[x], &mut y64);
                assert!(
                    same(y64[0], want),
                    "{name}_f64({x}) = {} on {backend:?}, want {want}",
                    y64[0]
                );
            }
        });
    }
}

#[test]
fn tiny_and_subnormal_inputs_keep_value_and_sign() {
    // expm1, log1p, tanh of a tiny x round to x itself (sign kept).
    for backend in available_backends() {
        with_backend(backend, || {
            for name in ["expm1", "log1p", "tanh"] {
                let f32f = F32_FNS.iter().find(|f| f.0 == name).unwrap().1;
                let f64f = F64_FNS.iter().find(|f| f.0 == name).unwrap().1;
                for x in [
                    1e-40f32,
                    -1e-40,
                    f32::from_bits(1),
                    -f32::from_bits(1),
                    1e-30,
                    -1e-30,
                ] {
                    let mut y = [0.0f32];
                    f32f(&[x], &mut y);
                    assert_eq!(
                        y[0].to_bits(),
                        x.to_bits(),
                        "{name}_f32({x:e}) on {backend:?}"
                    );
                }
                for x in [1e-310f64, -1e-310, f64::from_bits(1), -1e-300, 1e-20] {
                    let mut y = [0.0f64];
                    f64f(&[x], &mut y);
                    assert_eq!(
                        y[0].to_bits(),
                        x.to_bits(),
                        "{name}_f64({x:e}) on {backend:?}"
                    );
                }
            }
        });
    }
}

#[test]
fn overflow_and_saturation_thresholds() {
    for backend in available_backends() {
        with_backend(backend, || {
            // f32: expm1/exp overflow just above ln(f32::MAX) = 88.72284; -17.33 saturates to -1.
            let mut y = [0.0f32; 4];
            expm1_f32(&[88.72283, 88.72284, -17.34, -17.32], &mut y);
            assert!(
                y[0].is_finite() && y[1].is_infinite() && y[2] == -1.0 && y[3] > -1.0,
                "{y:?}"
            );
            // f64: expm1 overflows above 709.782712893384; -37.43 saturates to -1.
            let mut z = [0.0f64; 4];
            expm1_f64(&[709.78271289338, 709.7827128933841, -37.5, -37.4], &mut z);
            assert!(
                z[0].is_finite() && z[1].is_infinite() && z[2] == -1.0 && z[3] > -1.0,
                "{z:?}"
            );
            // f64 exp: subnormal results, then 0 below -745.13.
            exp_f64(&[-740.0, -745.0, -745.2, -744.0], &mut z);
            assert!(
                z[0] > 0.0 && z[0] < f64::MIN_POSITIVE && z[1] == f64::from_bits(1) && z[2] == 0.0
            );
            // f32 sigmoid keeps tiny results instead of flushing them.
            sigmoid_f32(&[-100.0, -103.0, -104.0, -110.0], &mut y);
            assert!(
                y[0] > 0.0 && y[0] < f32::MIN_POSITIVE && y[1] > 0.0 && y[3] == 0.0,
                "{y:?}"
            );
            // f32 log of subnormals is finite.
            log_f32(
                &[f32::from_bits(1), 1e-40, f32::MIN_POSITIVE, f32::MAX],
                &mut y,
            );
            assert!(y.iter().all(|v| v.is_finite()), "{y:?}");
        });
    }
}

#[test]
fn f64_exp_and_tanh_at_their_table_and_path_boundaries() {
    // exp switches from its table-driven path to the general one at |x| = 708; both
    // reduce by multiples of ln2/16, switching table entry halfway between. Check inputs
    // a few ULPs around those points against std (glibc, within 1 ULP): at most 1 ULP
    // apart means tessera is within about 1.5 ULP here, its sampled bound being 0.54.
    let mut x = vec![];
    for base in [708.0f64, -708.0, 707.5, -707.5, 1e-300, 0.0] {
        for d in -3i64..=3 {
            x.push(f64::from_bits((base.to_bits() as i64 + d) as u64));
        }
    }
    let step = std::f64::consts::LN_2 / 16.0;
    for k in -40i64..=40 {
        for half in [0.0, 0.5] {
            // tanh reduces 2|x|: its table points are half as far apart.
            for p in [(k as f64 + half) * step, (k as f64 + half) * step / 2.0] {
                for d in -2i64..=2 {
                    x.push(f64::from_bits((p.to_bits() as i64 + d) as u64));
                }
            }
        }
    }
    for backend in available_backends() {
        with_backend(backend, || {
            let mut y = vec![0.0f64; x.len()];
            exp_f64(&x, &mut y);
            for (&xi, &yi) in x.iter().zip(&y) {
                assert!(
                    ulps64(yi, xi.exp()) <= 1,
                    "exp_f64({xi:e}) = {yi:e} on {backend:?}"
                );
            }
            tanh_f64(&x, &mut y);
            for (&xi, &yi) in x.iter().zip(&y) {
                assert!(
                    ulps64(yi, xi.tanh()) <= 2,
                    "tanh_f64({xi:e}) = {yi:e} on {backend:?}"
                );
            }
        });
    }
}
