//! Results against f64 std functions: an f32 result must equal the f64 reference rounded to
//! f32 wherever that rounding is unambiguous; an f64 result must be within 3 ULP of std's.

mod common;
use common::*;
use tessera_kernels::*;

fn domain(name: &str, rng: &mut Rng) -> f64 {
    match name {
        "log" => rng.uniform(-30.0, 30.0).exp2(),
        "log1p" => {
            if rng.next_u64().is_multiple_of(2) {
                rng.uniform(-1.0, 4.0)
            } else {
                rng.uniform(-60.0, 60.0).exp2()
            }
        }
        _ => {
            rng.uniform(-30.0, 30.0)
                * if rng.next_u64().is_multiple_of(3) {
                    0.01
                } else {
                    1.0
                }
        }
    }
}

#[test]
fn f32_matches_rounded_f64_reference() {
    for backend in available_backends() {
        with_backend(backend, || {
            for (name, f) in F32_FNS {
                let mut rng = Rng(7);
                let x: Vec<f32> = (0..20_000).map(|_| domain(name, &mut rng) as f32).collect();
                let mut y = vec![0.0f32; x.len()];
                f(&x, &mut y);
                let mut checked = 0;
                for (&xi, &yi) in x.iter().zip(&y) {
                    let r = reference(name, xi as f64);
                    // Unambiguous: r and its neighbours at 2^-40 relative round alike.
                    let lo = (r * (1.0 - 2f64.powi(-40))) as f32;
                    let hi = (r * (1.0 + 2f64.powi(-40))) as f32;
                    if lo == hi {
                        assert_eq!(yi, lo, "{name}_f32({xi:e}) on {backend:?}");
                        checked += 1;
                    }
                }
                assert!(checked > 19_000, "{name}: only {checked} unambiguous cases");
            }
        });
    }
}

#[test]
fn f64_close_to_std() {
    for backend in available_backends() {
        with_backend(backend, || {
            for (name, f) in F64_FNS {
                let mut rng = Rng(11);
                let x: Vec<f64> = (0..20_000).map(|_| domain(name, &mut rng)).collect();
                let mut y = vec![0.0f64; x.len()];
                f(&x, &mut y);
                for (&xi, &yi) in x.iter().zip(&y) {
                    let r = reference(name, xi);
                    assert!(
                        ulps64(yi, r) <= 3,
                        "{name}_f64({xi:e}) = {yi:e}, std gives {r:e} on {backend:?}"
                    );
                }
            }
        });
    }
}
