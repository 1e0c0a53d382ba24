//! `erf`, `erfc` (from the `libm` crate) and `erfinv`, in `f64`.

/// The error function (musl's through `libm`).
///
/// # Accuracy
/// Within 1 ULP in f64 (ACCURACY.md).
#[inline]
pub fn erf_scalar(x: f64) -> f64 {
    libm::erf(x)
}

/// `1 - erf(x)` without cancellation (musl's through `libm`).
///
/// # Accuracy
/// Within a few ULP in f64 (ACCURACY.md).
#[inline]
pub fn erfc_scalar(x: f64) -> f64 {
    libm::erfc(x)
}

#[allow(clippy::excessive_precision)] // the published coefficients, as printed
/// Giles' approximation of erfinv ("Approximating the erfinv function", GPU Computing
/// Gems, 2010), relative error below 1e-9 on (-1, 1).
fn erfinv_giles(x: f64) -> f64 {
    let w = -((1.0 - x) * (1.0 + x)).ln();
    if w < 6.25 {
        let w = w - 3.125;
        let mut p = -3.6444120640178196996e-21;
        for c in [
            -1.685059138182016589e-19,
            1.2858480715256400167e-18,
            1.115787767802518096e-17,
            -1.333171662854620906e-16,
            2.0972767875968561637e-17,
            6.6376381343583238325e-15,
            -4.0545662729752068639e-14,
            -8.1519341976054721522e-14,
            2.6335093153082322977e-12,
            -1.2975133253453532498e-11,
            -5.4154120542946279317e-11,
            1.051212273321532285e-09,
            -4.1126339803469836976e-09,
            -2.9070369957882005086e-08,
            4.2347877827932403518e-07,
            -1.3654692000834678645e-06,
            -1.3882523362786468719e-05,
            0.0001867342080340571352,
            -0.00074070253416626697512,
            -0.0060336708714301490533,
            0.24015818242558961693,
            1.6536545626831027356,
        ] {
            p = c + p * w;
        }
        p * x
    } else if w < 16.0 {
        let w = w.sqrt() - 3.25;
        let mut p = 2.2137376921775787049e-09;
        for c in [
            9.0756561938885390979e-08,
            -2.7517406297064545428e-07,
            1.8239629214389227755e-08,
            1.5027403968909827627e-06,
            -4.013867526981545969e-06,
            2.9234449089955446044e-06,
            1.2475304481671778723e-05,
            -4.7318229009055733981e-05,
            6.8284851459573175448e-05,
            2.4031110387097893999e-05,
            -0.0003550375203628474796,
            0.00095328937973738049703,
            -0.0016882755560235047313,
            0.0024914420961078508066,
            -0.0037512085075692412107,
            0.005370914553590063617,
            1.0052589676941592334,
            3.0838856104922207635,
        ] {
            p = c + p * w;
        }
        p * x
    } else {
        let w = w.sqrt() - 5.0;
        let mut p = -2.7109920616438573243e-11;
        for c in [
            -2.5556418169965252055e-10,
            1.5076572693500548083e-09,
            -3.7894654401267369937e-09,
            7.6157012080783393804e-09,
            -1.4960026627149240478e-08,
            2.9147953450901080826e-08,
            -6.7711997758452339498e-08,
            2.2900482228026654717e-07,
            -9.9298272942317002539e-07,
            4.5260625972231537039e-06,
            -1.9681778105531670567e-05,
            7.5995277030017761139e-05,
            -0.00021503011930044477347,
            -0.00013871931833623122026,
            1.0103004648645343977,
            4.8499064014085844221,
        ] {
            p = c + p * w;
        }
        p * x
    }
}

/// The inverse error function (`torch.erfinv`): `±inf` at `±1`, NaN outside
/// `[-1, 1]` and for NaN, `±0` at `±0`.
///
/// Giles' approximation, then two Newton steps on `erf(y) - x` (on `erfc(y) - (1 - x)`
/// for `|x| > 1/2`, where `1 - x` is exact, so the tails keep their relative accuracy).
///
/// # Accuracy
/// Measured against mpmath in ACCURACY.md (a few ULP in f64).
pub fn erfinv_scalar(x: f64) -> f64 {
    if x.is_nan() || x.abs() > 1.0 {
        return f64::NAN;
    }
    if x.abs() == 1.0 {
        return x * f64::INFINITY;
    }
    if x == 0.0 {
        return x;
    }
    let a = x.abs();
    let mut y = erfinv_giles(a);
    const TWO_OVER_SQRT_PI: f64 = std::f64::consts::FRAC_2_SQRT_PI;
    for _ in 0..2 {
        let r = if a > 0.5 {
            (1.0 - a) - erfc_scalar(y)
        } else {
            erf_scalar(y) - a
        };
        let d = TWO_OVER_SQRT_PI * (-y * y).exp();
        // On both branches r = erf(y) - a.
        y -= r / d;
    }
    y.copysign(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erfinv_inverts_erf() {
        for &y in &[1e-300, 1e-10, 0.1, 0.5, 1.0, 2.0, 3.0, 5.0, 8.0] {
            let x = erf_scalar(y);
            if x < 1.0 {
                let back = erfinv_scalar(x);
                // erf is flat near 1: compare in x
                assert!(
                    (erf_scalar(back) - x).abs() <= 2.0 * f64::EPSILON * x,
                    "{y}"
                );
            }
            // In the tail, 1 - x is exact: erfc of the result gives it back.
            if x > 0.5 && x < 1.0 {
                let back = erfinv_scalar(x);
                let c = erfc_scalar(back);
                // erfc's condition number at y is about 2y^2: allow 2 ULP of y through it.
                let bound = (2.0 * y * y + 1.0) * 2.0 * f64::EPSILON * (1.0 - x);
                assert!((c - (1.0 - x)).abs() <= bound, "{y}");
            }
        }
        assert_eq!(erfinv_scalar(1.0), f64::INFINITY);
        assert_eq!(erfinv_scalar(-1.0), f64::NEG_INFINITY);
        assert!(erfinv_scalar(1.5).is_nan());
        assert!(erfinv_scalar(-0.0).is_sign_negative());
        assert!((erfinv_scalar(0.5) - 0.4769362762044699).abs() < 2e-16);
    }
}
