//! Butcher tableaus of the explicit Runge–Kutta methods, with the error and
//! dense-output weights of the adaptive ones.

use crate::Method;

/// An explicit Runge–Kutta method: `k_i = f(t + c_i h, y + h sum_j a_ij k_j)`,
/// `y1 = y + h sum_i b_i k_i`.
#[derive(Debug)]
pub(crate) struct Tableau {
    /// Nodes, one per stage; `c[0] = 0`.
    pub c: &'static [f64],
    /// The strictly lower triangle: row `i` has `i` entries.
    pub a: &'static [&'static [f64]],
    /// Weights of the solution, one per stage.
    pub b: &'static [f64],
    /// First same as last: the last stage is evaluated at `(t + h, y1)`, its row of
    /// `a` equals `b`, and its `k` is the next step's first.
    pub fsal: bool,
    /// Weights of the local error estimate (`b - b_hat`, one per stage); empty for
    /// fixed-step methods.
    pub e: &'static [f64],
    /// Weights of the solution at the middle of the step (`y(t + h/2) ~ y + h sum_i
    /// mid_i k_i`), used by the quartic dense output; empty for fixed-step methods.
    pub mid: &'static [f64],
}

impl Tableau {
    /// The number of stages (function evaluations per step, one less with FSAL).
    pub fn stages(&self) -> usize {
        self.c.len()
    }
}

/// The tableau of `method`.
pub(crate) fn tableau(method: Method) -> &'static Tableau {
    match method {
        Method::Euler => &EULER,
        Method::Midpoint => &MIDPOINT,
        Method::Rk4 => &RK4_38,
        Method::Dopri5 => &DOPRI5,
        Method::Tsit5 => &TSIT5,
    }
}

static EULER: Tableau = Tableau {
    c: &[0.0],
    a: &[&[]],
    b: &[1.0],
    fsal: false,
    e: &[],
    mid: &[],
};

static MIDPOINT: Tableau = Tableau {
    c: &[0.0, 0.5],
    a: &[&[], &[0.5]],
    b: &[0.0, 1.0],
    fsal: false,
    e: &[],
    mid: &[],
};

/// Kutta's 3/8 rule (torchdiffeq's `rk4`).
static RK4_38: Tableau = Tableau {
    c: &[0.0, 1.0 / 3.0, 2.0 / 3.0, 1.0],
    a: &[&[], &[1.0 / 3.0], &[-1.0 / 3.0, 1.0], &[1.0, -1.0, 1.0]],
    b: &[1.0 / 8.0, 3.0 / 8.0, 3.0 / 8.0, 1.0 / 8.0],
    fsal: false,
    e: &[],
    mid: &[],
};

/// Dormand & Prince (1980), with the embedded 4th-order solution and midpoint weights
/// of Shampine (1986) that torchdiffeq uses.
static DOPRI5: Tableau = Tableau {
    c: &[0.0, 1.0 / 5.0, 3.0 / 10.0, 4.0 / 5.0, 8.0 / 9.0, 1.0, 1.0],
    a: &[
        &[],
        &[1.0 / 5.0],
        &[3.0 / 40.0, 9.0 / 40.0],
        &[44.0 / 45.0, -56.0 / 15.0, 32.0 / 9.0],
        &[
            19372.0 / 6561.0,
            -25360.0 / 2187.0,
            64448.0 / 6561.0,
            -212.0 / 729.0,
        ],
        &[
            9017.0 / 3168.0,
            -355.0 / 33.0,
            46732.0 / 5247.0,
            49.0 / 176.0,
            -5103.0 / 18656.0,
        ],
        &[
            35.0 / 384.0,
            0.0,
            500.0 / 1113.0,
            125.0 / 192.0,
            -2187.0 / 6784.0,
            11.0 / 84.0,
        ],
    ],
    b: &[
        35.0 / 384.0,
        0.0,
        500.0 / 1113.0,
        125.0 / 192.0,
        -2187.0 / 6784.0,
        11.0 / 84.0,
        0.0,
    ],
    fsal: true,
    e: &[
        35.0 / 384.0 - 1951.0 / 21600.0,
        0.0,
        500.0 / 1113.0 - 22642.0 / 50085.0,
        125.0 / 192.0 - 451.0 / 720.0,
        -2187.0 / 6784.0 + 12231.0 / 42400.0,
        11.0 / 84.0 - 649.0 / 6300.0,
        -1.0 / 60.0,
    ],
    mid: &[
        6025192743.0 / 30085553152.0 / 2.0,
        0.0,
        51252292925.0 / 65400821598.0 / 2.0,
        -2691868925.0 / 45128329728.0 / 2.0,
        187940372067.0 / 1594534317056.0 / 2.0,
        -1776094331.0 / 19743644256.0 / 2.0,
        11237099.0 / 235043384.0 / 2.0,
    ],
};

/// Tsitouras (2011), "Runge–Kutta pairs of order 5(4) satisfying only the first
/// column simplifying assumption", with the coefficients of OrdinaryDiffEq.jl.
static TSIT5: Tableau = Tableau {
    c: &[0.0, 0.161, 0.327, 0.9, 0.980_025_540_904_509_7, 1.0, 1.0],
    a: &[
        &[],
        &[0.161],
        &[-0.008_480_655_492_356_989, 0.335_480_655_492_357],
        &[
            2.897_153_057_105_493,
            -6.359_448_489_975_075,
            4.362_295_432_869_581_5,
        ],
        &[
            5.325_864_828_439_257,
            -11.748_883_564_062_828,
            7.495_539_342_889_836,
            -0.092_495_066_361_755_25,
        ],
        &[
            5.861_455_442_946_42,
            -12.920_969_317_847_11,
            8.159_367_898_576_159,
            -0.071_584_973_281_401,
            -0.028_269_050_394_068_383,
        ],
        TSIT5_B6,
    ],
    b: &[
        TSIT5_B6[0],
        TSIT5_B6[1],
        TSIT5_B6[2],
        TSIT5_B6[3],
        TSIT5_B6[4],
        TSIT5_B6[5],
        0.0,
    ],
    fsal: true,
    e: &[
        -0.001_780_011_052_225_771_4,
        -0.000_816_434_459_656_746_9,
        0.007_880_878_010_261_996,
        -0.144_711_007_173_262_9,
        0.582_357_165_452_555_2,
        -0.458_082_105_929_186_95,
        1.0 / 66.0,
    ],
    mid: &TSIT5_MID,
};

const TSIT5_B6: &[f64] = &[
    0.096_460_766_818_065_23,
    0.01,
    0.479_889_650_414_499_6,
    1.379_008_574_103_742,
    -3.290_069_515_436_081,
    2.324_710_524_099_774,
];

/// Tsitouras' interpolation weights `b_i(theta)` (solution at `t + theta h` is
/// `y + h sum_i b_i(theta) k_i`). The constants keep the published digits.
#[allow(clippy::excessive_precision)]
pub(crate) const fn tsit5_dense(x: f64) -> [f64; 7] {
    [
        -1.053_088_497_729_021_6
            * x
            * (x - 1.329_989_018_975_141_2)
            * (x * x - 1.436_402_854_171_635_1 * x + 0.713_981_691_707_420_9),
        0.1017 * x * x * (x * x - 2.196_656_833_824_975_4 * x + 1.294_985_250_737_463_1),
        2.490_627_285_651_252_8
            * x
            * x
            * (x * x - 2.385_356_454_720_616_6 * x + 1.578_034_682_080_924_9),
        -16.548_102_889_244_902
            * (x - 1.217_129_272_955_332_4)
            * (x - 0.616_204_060_378_000_9)
            * x
            * x,
        47.379_521_962_819_28
            * (x - 1.203_071_208_372_362_6)
            * (x - 0.658_047_292_653_547_4)
            * x
            * x,
        -34.870_657_861_496_61 * (x - 1.2) * (x - 2.0 / 3.0) * x * x,
        2.5 * (x - 1.0) * (x - 0.6) * x * x,
    ]
}

const TSIT5_MID: [f64; 7] = tsit5_dense(0.5);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_sum_to_nodes_and_weights_to_one() {
        for m in Method::ALL {
            let t = tableau(m);
            assert_eq!(t.a.len(), t.stages(), "{m}");
            assert_eq!(t.b.len(), t.stages(), "{m}");
            for (i, row) in t.a.iter().enumerate() {
                assert_eq!(row.len(), i, "{m} row {i}");
                let s: f64 = row.iter().sum();
                assert!((s - t.c[i]).abs() < 1e-14, "{m} row {i}: {s} vs {}", t.c[i]);
            }
            let sb: f64 = t.b.iter().sum();
            assert!((sb - 1.0).abs() < 1e-14, "{m}: sum b = {sb}");
            if m.is_adaptive() {
                assert!(t.fsal);
                assert_eq!(t.a[t.stages() - 1], &t.b[..t.stages() - 1], "{m}");
                let se: f64 = t.e.iter().sum();
                assert!(se.abs() < 1e-14, "{m}: sum e = {se}");
                let sm: f64 = t.mid.iter().sum();
                assert!((sm - 0.5).abs() < 1e-12, "{m}: sum mid = {sm}");
            }
        }
    }

    /// The order conditions up to order 4 (`b.c^k = 1/(k+1)`, `b.A.c = 1/6`, ...),
    /// checked for the methods of order >= 4; the order-5 behaviour is measured by
    /// the convergence tests.
    #[test]
    fn order_four_conditions() {
        for m in [Method::Rk4, Method::Dopri5, Method::Tsit5] {
            let t = tableau(m);
            let s = t.stages();
            let ac: Vec<f64> = (0..s)
                .map(|i| (0..i).map(|j| t.a[i][j] * t.c[j]).sum())
                .collect();
            let ac2: Vec<f64> = (0..s)
                .map(|i| (0..i).map(|j| t.a[i][j] * t.c[j] * t.c[j]).sum())
                .collect();
            let aac: Vec<f64> = (0..s)
                .map(|i| (0..i).map(|j| t.a[i][j] * ac[j]).sum())
                .collect();
            let dot = |u: &dyn Fn(usize) -> f64| (0..s).map(|i| t.b[i] * u(i)).sum::<f64>();
            let conds = [
                (dot(&|i| t.c[i]), 1.0 / 2.0),
                (dot(&|i| t.c[i].powi(2)), 1.0 / 3.0),
                (dot(&|i| ac[i]), 1.0 / 6.0),
                (dot(&|i| t.c[i].powi(3)), 1.0 / 4.0),
                (dot(&|i| t.c[i] * ac[i]), 1.0 / 8.0),
                (dot(&|i| ac2[i]), 1.0 / 12.0),
                (dot(&|i| aac[i]), 1.0 / 24.0),
            ];
            for (k, (got, want)) in conds.iter().enumerate() {
                assert!(
                    (got - want).abs() < 1e-12,
                    "{m} condition {k}: {got} vs {want}"
                );
            }
        }
    }

    #[test]
    fn tsit5_interpolant_ends_at_the_solution_weights() {
        assert_eq!(tsit5_dense(0.0), [0.0; 7]);
        let end = tsit5_dense(1.0);
        for (i, (e, b)) in end.iter().zip(TSIT5.b).enumerate() {
            assert!((e - b).abs() < 1e-12, "b_{i}(1) = {e} vs b_{i} = {b}");
        }
    }
}
