//! Row kernels: stability on large rows, PyTorch's results on non-finite rows, agreement with
//! an f64 reference, and identical results on every backend.

mod common;
use common::*;
use tessera_kernels::*;

const INF: f32 = f32::INFINITY;

#[test]
fn large_and_small_rows_stay_finite() {
    let mut out = [0.0f32; 2];
    let ln2 = std::f64::consts::LN_2;
    assert_eq!(logsumexp_f32(&[1000.0, 1000.0]), (1000.0 + ln2) as f32);
    assert_eq!(logsumexp_f32(&[-1000.0, -1000.0]), (-1000.0 + ln2) as f32);
    softmax_f32(&[1000.0, 1000.0], &mut out);
    assert_eq!(out, [0.5, 0.5]);
    softmax_f32(&[-1000.0, -1000.0], &mut out);
    assert_eq!(out, [0.5, 0.5]);
    log_softmax_f32(&[1000.0, 1000.0], &mut out);
    assert_eq!(out, [-ln2 as f32; 2]);
    assert_eq!(logsumexp_f64(&[1000.0, 1000.0]), 1000.0 + ln2);
}

/// Expected values are PyTorch 2.15's (torch.logsumexp / softmax / log_softmax on these rows).
#[test]
fn non_finite_rows_follow_pytorch() {
    let nan = f32::NAN;
    // (row, logsumexp, softmax, log_softmax)
    type Case = ([f32; 2], f32, [f32; 2], [f32; 2]);
    let rows: [Case; 7] = [
        ([INF, 1.0], INF, [nan, nan], [nan, nan]),
        ([INF, INF], INF, [nan, nan], [nan, nan]),
        ([-INF, 1.0], 1.0, [0.0, 1.0], [-INF, 0.0]),
        ([-INF, -INF], -INF, [nan, nan], [nan, nan]),
        ([nan, 1.0], nan, [nan, nan], [nan, nan]),
        ([INF, nan], nan, [nan, nan], [nan, nan]),
        ([-INF, nan], nan, [nan, nan], [nan, nan]),
    ];
    let same = |a: f32, b: f32| (a.is_nan() && b.is_nan()) || a == b;
    for backend in available_backends() {
        with_backend(backend, || {
            for (row, lse, sm, lsm) in rows {
                assert!(
                    same(logsumexp_f32(&row), lse),
                    "logsumexp {row:?} on {backend:?}"
                );
                let r64 = row.map(|v| v as f64);
                assert!(
                    same(logsumexp_f64(&r64) as f32, lse),
                    "logsumexp_f64 {row:?}"
                );
                let mut o = [0.0f32; 2];
                softmax_f32(&row, &mut o);
                assert!(
                    same(o[0], sm[0]) && same(o[1], sm[1]),
                    "softmax {row:?}: {o:?}"
                );
                log_softmax_f32(&row, &mut o);
                assert!(
                    same(o[0], lsm[0]) && same(o[1], lsm[1]),
                    "log_softmax {row:?}: {o:?}"
                );
            }
        });
    }
}

#[test]
fn rows_match_f64_reference_and_backends_agree() {
    let mut rng = Rng(9);
    let backends = available_backends();
    for len in [1usize, 2, 7, 8, 9, 31, 100, 1000] {
        let row: Vec<f32> = (0..len).map(|_| rng.uniform(-20.0, 20.0) as f32).collect();
        let m = row.iter().fold(f64::NEG_INFINITY, |a, &b| a.max(b as f64));
        let s: f64 = row.iter().map(|&v| (v as f64 - m).exp()).sum();
        let lse = m + s.ln();
        let mut results = vec![];
        for &b in &backends {
            with_backend(b, || {
                let l = logsumexp_f32(&row);
                assert_eq!(l, lse as f32, "logsumexp len {len} on {b:?}");
                let mut sm = vec![0.0f32; len];
                softmax_f32(&row, &mut sm);
                let mut lsm = vec![0.0f32; len];
                log_softmax_f32(&row, &mut lsm);
                for i in 0..len {
                    let want = (row[i] as f64 - m).exp() / s;
                    assert!(
                        ((sm[i] as f64 - want) / want).abs() < 2.0 * f32::EPSILON as f64,
                        "softmax len {len} [{i}]: {} vs {want}",
                        sm[i]
                    );
                    let want = row[i] as f64 - lse;
                    assert!(
                        (lsm[i] as f64 - want).abs()
                            <= (want.abs() * f32::EPSILON as f64).max(1e-6)
                    );
                }
                let r64: Vec<f64> = row.iter().map(|&v| v as f64).collect();
                let l64 = logsumexp_f64(&r64);
                assert!(
                    ulps64(l64, lse) <= 4,
                    "logsumexp_f64 len {len}: {l64} vs {lse}"
                );
                results.push((l, sm, lsm, l64));
            });
        }
        for r in &results[1..] {
            assert_eq!(r.0.to_bits(), results[0].0.to_bits());
            assert_eq!(r.1, results[0].1);
            assert_eq!(r.2, results[0].2);
            assert_eq!(r.3.to_bits(), results[0].3.to_bits());
        }
    }
}

#[test]
#[should_panic(expected = "softmax_f32: row has 2 elements but out has 3")]
fn softmax_length_mismatch_panics() {
    softmax_f32(&[1.0, 2.0], &mut [0.0; 3]);
}

#[test]
fn remainders_around_the_one_pass_threshold() {
    // rest = e^-d sweeps across 2^-20 (f32's one-pass threshold, d = 13.86) and 1 (f64's,
    // d = 0): both sides of each threshold must keep the bound.
    for i in 0..800 {
        let d = i as f64 * 0.05;
        let rest = (-d).exp();
        let row64 = [0.5, 0.5 - d];
        let want = 0.5 + rest.ln_1p();
        let l64 = logsumexp_f64(&row64);
        assert!(
            ulps64(l64, want) <= 4,
            "logsumexp_f64 {row64:?}: {l64} vs {want}"
        );
        let mut out = [0.0f64; 2];
        log_softmax_f64(&row64, &mut out);
        assert!(
            ulps64(out[0], -rest.ln_1p()) <= 4,
            "log_softmax_f64 {row64:?}"
        );

        let row32 = [0.5f32, (0.5 - d) as f32];
        let rest32 = ((row32[1] as f64) - 0.5).exp();
        let want32 = 0.5 + rest32.ln_1p();
        let l32 = logsumexp_f32(&row32) as f64;
        assert!(
            (l32 - want32).abs() <= f32::EPSILON as f64 * want32.abs(),
            "logsumexp_f32 {row32:?}: {l32} vs {want32}"
        );
        let mut o32 = [0.0f32; 2];
        log_softmax_f32(&row32, &mut o32);
        let w = -rest32.ln_1p();
        assert!(
            (o32[0] as f64 - w).abs() <= f32::EPSILON as f64 * w.abs(),
            "log_softmax_f32 {row32:?}: {} vs {w}",
            o32[0]
        );
    }
}

#[test]
fn log_softmax_of_negative_zero_rows() {
    // x - m - lse with m = -0 and lse = 0: -0 - (-0) - 0 is +0, as in PyTorch.
    let mut o32 = [1.0f32; 1];
    log_softmax_f32(&[-0.0], &mut o32);
    assert!(o32[0] == 0.0 && o32[0].is_sign_positive(), "{o32:?}");
    let mut o64 = [1.0f64; 2];
    log_softmax_f64(&[-0.0, f64::NEG_INFINITY], &mut o64);
    assert!(o64[0] == 0.0 && o64[0].is_sign_positive(), "{o64:?}");
}

#[test]
fn log_softmax_keeps_minus_infinity_entries() {
    // [0, -inf]: the scaling by exactly 1 must not turn -inf into NaN.
    let mut o32 = [0.0f32; 3];
    log_softmax_f32(&[0.0, f32::NEG_INFINITY, f32::NEG_INFINITY], &mut o32);
    assert_eq!(o32, [0.0, f32::NEG_INFINITY, f32::NEG_INFINITY]);
    let mut o64 = [0.0f64; 2];
    log_softmax_f64(&[0.0, f64::NEG_INFINITY], &mut o64);
    assert_eq!(o64, [0.0, f64::NEG_INFINITY]);
    let mut s32 = [1.0f32; 2];
    softmax_f32(&[0.0, f32::NEG_INFINITY], &mut s32);
    assert_eq!(s32, [1.0, 0.0]);
}

#[test]
fn non_finite_entries_anywhere_in_long_rows() {
    // The finiteness check runs in the vector loop and in the tail: put the special value
    // at every position of a row longer than two vectors.
    for pos in 0..37 {
        let mut row: Vec<f32> = (0..37).map(|i| (i as f32 * 0.37).sin() * 5.0).collect();
        row[pos] = f32::NAN;
        let mut out = vec![0.0f32; 37];
        softmax_f32(&row, &mut out);
        assert!(out.iter().all(|v| v.is_nan()), "softmax NaN at {pos}");
        log_softmax_f32(&row, &mut out);
        assert!(out.iter().all(|v| v.is_nan()), "log_softmax NaN at {pos}");
        assert!(logsumexp_f32(&row).is_nan());

        // +inf is the maximum: inf - inf is NaN everywhere, as in PyTorch.
        row[pos] = INF;
        for out in on_every_backend(&format!("softmax +inf at {pos}"), &row, softmax_f32) {
            assert!(out.iter().all(|v| v.is_nan()), "softmax +inf at {pos}");
        }

        row[pos] = f32::NEG_INFINITY;
        softmax_f32(&row, &mut out);
        assert_eq!(out[pos], 0.0, "softmax -inf at {pos}");
        assert!(out.iter().all(|v| v.is_finite()));
        log_softmax_f32(&row, &mut out);
        assert_eq!(out[pos], f32::NEG_INFINITY, "log_softmax -inf at {pos}");

        let r64: Vec<f64> = row.iter().map(|&v| v as f64).collect();
        let mut o64 = vec![0.0f64; 37];
        softmax_f64(&r64, &mut o64);
        assert_eq!(o64[pos], 0.0);
        let mut r64 = r64;
        r64[pos] = f64::NAN;
        softmax_f64(&r64, &mut o64);
        assert!(o64.iter().all(|v| v.is_nan()), "softmax_f64 NaN at {pos}");
    }
}

#[test]
fn rows_spread_beyond_the_exponential_domain() {
    // A row whose minimum lies more than 700 below its maximum needs the clamp the
    // exponentials skip on ordinary rows: put the far value at every position (vector
    // body and tail), with the rest of the row ordinary.
    for far in [-800.0f32, -1e30, f32::MIN] {
        for pos in 0..37 {
            let mut row: Vec<f32> = (0..37).map(|i| (i as f32 * 0.37).sin() * 5.0).collect();
            row[pos] = far;
            let r64: Vec<f64> = row.iter().map(|&v| v as f64).collect();
            let m = r64.iter().fold(f64::NEG_INFINITY, |a, &b| a.max(b));
            let s: f64 = r64.iter().map(|&v| (v - m).exp()).sum();
            let mut out = vec![0.0f32; 37];
            softmax_f32(&row, &mut out);
            assert_eq!(out[pos], 0.0, "softmax far {far} at {pos}");
            for (i, &o) in out.iter().enumerate() {
                let want = (r64[i] - m).exp() / s;
                assert!(
                    ((o as f64 - want) / want.max(1e-300)).abs() < 2.0 * f32::EPSILON as f64
                        || want < 1e-40,
                    "softmax far {far} at {pos}, [{i}]: {o} vs {want}"
                );
            }
            assert_eq!(
                logsumexp_f32(&row),
                (m + s.ln()) as f32,
                "far {far} at {pos}"
            );
            log_softmax_f32(&row, &mut out);
            assert_eq!(out[pos], (r64[pos] - m - s.ln()) as f32);
        }
    }
}

#[test]
fn softmax_f32_error_stays_within_its_bound() {
    // The documented bounds, measured against an f64 reference on random rows of varied
    // spread: softmax rounds once on rows of spread up to 72 (its f32-lane path, 0.67 ULP),
    // twice beyond (1.5 ULP); log_softmax once (1 ULP).
    let mut rng = Rng(23);
    let (mut worst_sm, mut worst_lsm, mut worst_fast) = (0.0f64, 0.0f64, 0.0f64);
    let mut out = vec![0.0f32; 257];
    for _ in 0..2000 {
        let spread = rng.uniform(1.0, 40.0);
        let row: Vec<f32> = (0..257)
            .map(|_| rng.uniform(-spread, spread) as f32)
            .collect();
        let m = row.iter().fold(f64::NEG_INFINITY, |a, &b| a.max(b as f64));
        let s: f64 = row.iter().map(|&v| (v as f64 - m).exp()).sum();
        let low = row.iter().fold(f64::INFINITY, |a, &b| a.min(b as f64));
        softmax_f32(&row, &mut out);
        for (&v, &o) in row.iter().zip(&out) {
            let want = (v as f64 - m).exp() / s;
            if want >= f32::MIN_POSITIVE as f64 {
                let e = ulps_f32(o, want);
                if m - low <= 72.0 {
                    worst_fast = worst_fast.max(e);
                } else {
                    worst_sm = worst_sm.max(e);
                }
            }
        }
        log_softmax_f32(&row, &mut out);
        for (&v, &o) in row.iter().zip(&out) {
            worst_lsm = worst_lsm.max(ulps_f32(o, (v as f64 - m) - s.ln()));
        }
    }
    // The figures ACCURACY.md quotes (`--nocapture` shows them).
    eprintln!(
        "softmax_f32 max {worst_fast:.4} ULP (spread <= 72), {worst_sm:.4} ULP (beyond), \
         log_softmax_f32 max {worst_lsm:.4} ULP over {} elements",
        2000 * 257
    );
    assert!(
        worst_fast <= 0.67,
        "softmax_f32 (spread <= 72): {worst_fast} ULP"
    );
    assert!(worst_sm <= 1.5 + 1e-3, "softmax_f32: {worst_sm} ULP");
    assert!(worst_lsm <= 1.0, "log_softmax_f32: {worst_lsm} ULP");
    // The double rounding shows beyond spread 72: a bound of 1 ULP would be wrong there.
    assert!(worst_sm > 1.0, "softmax_f32: {worst_sm} ULP");
}

#[test]
fn log_softmax_f32_rounds_once_on_every_kind_of_row() {
    // log_softmax_f32 writes `x - (m + ls)` in f32 lanes through an exact pair when every
    // |x| <= m + ls and ls is not tiny next to m + ls, and in f64 lanes otherwise: both must
    // round the exact value about once (0.5 ULP plus the sum's 2^-37), on every backend
    // alike, at every length (vector body and tail).
    let mut rng = Rng(41);
    let mut worst = 0.0f64;
    // (low, high) of the uniform entries: ordinary logits (pair path), rows reaching far
    // below -(m + ls), all-negative rows, large offsets (f64 path), peaked rows.
    let kinds = [
        (-10.0, 10.0),
        (-3.0, 30.0),
        (-60.0, 5.0),
        (-20.0, -1.0),
        (1000.0, 1010.0),
        (-1.0e-3, 1.0e-3),
        (0.0, 80.0),
    ];
    for (k, &(lo, hi)) in kinds.iter().enumerate() {
        for len in [2usize, 5, 15, 16, 17, 33, 64, 100, 257] {
            let mut row: Vec<f32> = (0..len).map(|_| rng.uniform(lo, hi) as f32).collect();
            if k == 6 {
                // One entry far above the others: ls tiny next to m.
                row[len / 2] = 120.0;
            }
            let (m, rest) = max_and_rest(&row);
            let ls = rest.ln_1p();
            let what = format!("log_softmax_f32 kind {k} len {len}");
            for out in on_every_backend(&what, &row, log_softmax_f32) {
                for (&v, &o) in row.iter().zip(&out) {
                    worst = worst.max(ulps_f32(o, (v as f64 - m) - ls));
                }
            }
        }
    }
    eprintln!("log_softmax_f32 max {worst:.5} ULP");
    assert!(worst <= 0.501, "log_softmax_f32: {worst} ULP");
}

#[test]
fn softmax_f32_rounds_once_inside_its_fast_domain() {
    // Rows of entries within +-170, spread at most 72 and at most 4096 entries take the
    // f32-lane path (one rounding, 0.67 ULP by the error analysis of
    // `simd/softmax_f32.rs`): uncentered within +-64, centered by the maximum beyond; every
    // backend gives the same bits, at every length, on both sides of each limit.
    let mut rng = Rng(61);
    let mut worst = 0.0f64;
    let kinds = [
        (-10.0, 10.0),
        (-36.0, 36.0),
        (98.0, 170.0),
        (-170.0, -98.0),
        (-1.0e-3, 1.0e-3),
        (-40.0, 40.0),
        (100.0, 180.0),
        // Across the uncentered try's limit (+-64): the centered run takes over.
        (30.0, 70.0),
        (-70.0, -10.0),
        (-64.0, 8.0),
        (56.0, 64.0),
    ];
    for (k, &(lo, hi)) in kinds.iter().enumerate() {
        for len in [1usize, 2, 3, 7, 15, 16, 17, 33, 100, 1000, 4096, 4097] {
            let row: Vec<f32> = (0..len).map(|_| rng.uniform(lo, hi) as f32).collect();
            let (m, rest) = max_and_rest(&row);
            let low = row.iter().fold(f64::INFINITY, |a, &v| a.min(v as f64));
            let fast = m - low <= 72.0 && m <= 170.0 && low >= -170.0 && len <= 4096;
            let what = format!("softmax_f32 kind {k} len {len}");
            for out in on_every_backend(&what, &row, softmax_f32) {
                if fast {
                    for (&v, &o) in row.iter().zip(&out) {
                        worst = worst.max(ulps_f32(o, (v as f64 - m).exp() / (1.0 + rest)));
                    }
                }
            }
        }
    }
    eprintln!("softmax_f32 (fast domain) max {worst:.4} ULP");
    assert!(worst <= 0.67, "softmax_f32: {worst} ULP");
}

#[test]
fn softmax_of_equal_entries_is_exact() {
    // The maximum's term is exactly 1: [c, c] gives exactly 0.5 (as PyTorch), [c; 4] 0.25.
    for c in [0.0f32, 1.0, -3.5, 70.0, 500.0] {
        let mut o = [0.0f32; 2];
        softmax_f32(&[c, c], &mut o);
        assert_eq!(o, [0.5, 0.5], "{c}");
        let mut o = [0.0f32; 4];
        softmax_f32(&[c; 4], &mut o);
        assert_eq!(o, [0.25; 4], "{c}");
    }
}

#[test]
fn rows_on_both_sides_of_the_uncentered_limits() {
    // f32 rows whose entries all lie in [-600, 600] sum e^x instead of e^(x - m) for
    // logsumexp and log_softmax; rows beyond keep the subtraction. Either way the documented bounds
    // hold and every backend gives the same bits, at every length.
    let mut rng = Rng(57);
    let backends = available_backends();
    let (mut w_lse, mut w_sm, mut w_lsm) = (0.0f64, 0.0f64, 0.0f64);
    let kinds = [
        (-79.0, 79.0),
        (-85.0, 70.0),
        (40.0, 81.0),
        (550.0, 600.0),
        (-600.0, -560.0),
        (590.0, 610.0),
        (-640.0, -590.0),
        (-0.5, 0.5),
        // Spread beyond 700 inside [-600, 600]: no clamp on either path.
        (-600.0, 600.0),
    ];
    for (k, &(lo, hi)) in kinds.iter().enumerate() {
        for len in [1usize, 3, 8, 9, 16, 31, 100, 300] {
            let row: Vec<f32> = (0..len).map(|_| rng.uniform(lo, hi) as f32).collect();
            let (m, rest) = max_and_rest(&row);
            let ls = rest.ln_1p();
            let mut outs = vec![];
            for &b in &backends {
                let (mut sm, mut lsm) = (vec![0.0f32; len], vec![0.0f32; len]);
                let lse = with_backend(b, || {
                    softmax_f32(&row, &mut sm);
                    log_softmax_f32(&row, &mut lsm);
                    logsumexp_f32(&row)
                });
                w_lse = w_lse.max(ulps_f32(lse, m + ls));
                for (i, &v) in row.iter().enumerate() {
                    let want = (v as f64 - m).exp() / (1.0 + rest);
                    if want >= f32::MIN_POSITIVE as f64 {
                        w_sm = w_sm.max(ulps_f32(sm[i], want));
                    }
                    w_lsm = w_lsm.max(ulps_f32(lsm[i], (v as f64 - m) - ls));
                }
                outs.push((lse.to_bits(), sm, lsm));
            }
            for o in &outs[1..] {
                assert_eq!(o.0, outs[0].0, "logsumexp kind {k} len {len}");
                let same =
                    |a: &[f32], b: &[f32]| a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits());
                assert!(same(&o.1, &outs[0].1), "softmax kind {k} len {len}");
                assert!(same(&o.2, &outs[0].2), "log_softmax kind {k} len {len}");
            }
        }
    }
    eprintln!(
        "logsumexp_f32 max {w_lse:.5} ULP, softmax_f32 {w_sm:.4}, log_softmax_f32 {w_lsm:.5}"
    );
    assert!(w_lse <= 0.501, "logsumexp_f32: {w_lse} ULP");
    assert!(w_sm <= 1.5 + 1e-3, "softmax_f32: {w_sm} ULP");
    assert!(w_lsm <= 0.501, "log_softmax_f32: {w_lsm} ULP");
}

/// `f(row, out)` on every available backend, asserting that they give the same bits;
/// returns each backend's output.
fn on_every_backend(what: &str, row: &[f32], f: fn(&[f32], &mut [f32])) -> Vec<Vec<f32>> {
    let outs: Vec<Vec<f32>> = available_backends()
        .into_iter()
        .map(|b| {
            let mut out = vec![0.0f32; row.len()];
            with_backend(b, || f(row, &mut out));
            out
        })
        .collect();
    for o in &outs[1..] {
        let same = o
            .iter()
            .zip(&outs[0])
            .all(|(a, b)| a.to_bits() == b.to_bits());
        assert!(same, "{what}: backends differ");
    }
    outs
}

/// `|got - want|` in ULPs of `want` (the spacing of f32 values at `want`).
fn ulps_f32(got: f32, want: f64) -> f64 {
    let w = want as f32;
    let (lo, hi) = if (w as f64) <= want {
        (w, f32::from_bits(w.to_bits() + 1))
    } else {
        (f32::from_bits(w.to_bits() - 1), w)
    };
    let ulp = (hi.abs() as f64 - lo.abs() as f64).abs();
    (got as f64 - want).abs() / ulp
}
