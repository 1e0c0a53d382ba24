//! [`Method`] and the builder-style [`Options`] of [`odeint`](crate::odeint), with
//! torchdiffeq's defaults.

use std::fmt;
use std::str::FromStr;

/// An integration method, named as in torchdiffeq's `method=` argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Method {
    /// Forward Euler, order 1, one function evaluation per step (`"euler"`).
    Euler,
    /// The explicit midpoint rule, order 2, two evaluations per step (`"midpoint"`).
    Midpoint,
    /// Kutta's 3/8 rule, order 4, four evaluations per step: the same fourth-order
    /// method as torchdiffeq's `"rk4"` (it has a smaller error constant than the
    /// classic RK4 tableau).
    Rk4,
    /// Dormand–Prince 5(4) with Shampine's embedded error estimate and 4th-order
    /// dense output, adaptive (`"dopri5"`, torchdiffeq's default). Six evaluations per
    /// step (first same as last).
    Dopri5,
    /// Tsitouras 5(4), adaptive, with its own 4th-order interpolant (`"tsit5"`).
    /// Six evaluations per step (first same as last); usually a little cheaper than
    /// Dopri5 at the same tolerance.
    Tsit5,
}

impl Method {
    /// Every method, fixed-step ones first.
    pub const ALL: [Method; 5] = [
        Method::Euler,
        Method::Midpoint,
        Method::Rk4,
        Method::Dopri5,
        Method::Tsit5,
    ];

    /// The torchdiffeq name: `"euler"`, `"midpoint"`, `"rk4"`, `"dopri5"`, `"tsit5"`.
    pub fn name(self) -> &'static str {
        match self {
            Method::Euler => "euler",
            Method::Midpoint => "midpoint",
            Method::Rk4 => "rk4",
            Method::Dopri5 => "dopri5",
            Method::Tsit5 => "tsit5",
        }
    }

    /// Whether the method chooses its own step sizes from `rtol` and `atol`.
    pub fn is_adaptive(self) -> bool {
        matches!(self, Method::Dopri5 | Method::Tsit5)
    }

    /// The order of accuracy of the solution (global error `O(h^order)`).
    pub fn order(self) -> u32 {
        match self {
            Method::Euler => 1,
            Method::Midpoint => 2,
            Method::Rk4 => 4,
            Method::Dopri5 | Method::Tsit5 => 5,
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The error of parsing an unknown method name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownMethod(pub String);

impl fmt::Display for UnknownMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid method \"{}\"; must be one of \"euler\", \"midpoint\", \"rk4\", \"dopri5\", \"tsit5\"",
            self.0
        )
    }
}

impl std::error::Error for UnknownMethod {}

impl FromStr for Method {
    type Err = UnknownMethod;

    /// Parses a torchdiffeq method name.
    ///
    /// ```
    /// use tessera_ode::Method;
    /// assert_eq!("dopri5".parse::<Method>(), Ok(Method::Dopri5));
    /// assert!("adams".parse::<Method>().is_err());
    /// ```
    fn from_str(s: &str) -> Result<Method, UnknownMethod> {
        [
            Method::Euler,
            Method::Midpoint,
            Method::Rk4,
            Method::Dopri5,
            Method::Tsit5,
        ]
        .into_iter()
        .find(|m| m.name() == s)
        .ok_or_else(|| UnknownMethod(s.to_string()))
    }
}

/// Options of [`odeint`](crate::odeint), built from [`Options::default`] with the
/// chainable setters. The defaults are torchdiffeq's: `Dopri5`, `rtol = 1e-7`,
/// `atol = 1e-9`, safety factor 0.9, step growth at most 10x and shrink at most 5x per
/// step, `max_num_steps = 2^31 - 1`.
///
/// ```
/// use tessera_ode::{Method, Options};
/// let opts = Options::default().method(Method::Tsit5).rtol(1e-6).atol(1e-8);
/// assert_eq!(opts.rtol, 1e-6);
/// let fixed = Options::default().method(Method::Rk4).step_size(0.01);
/// assert_eq!(fixed.step_size, Some(0.01));
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Options {
    /// The integration method.
    pub method: Method,
    /// Relative tolerance of the adaptive methods (ignored by fixed-step ones).
    pub rtol: f64,
    /// Absolute tolerance of the adaptive methods (ignored by fixed-step ones).
    pub atol: f64,
    /// Largest step of the fixed-step methods. `None` steps exactly from each
    /// requested time to the next. Otherwise each interval between requested times is
    /// split into the fewest equal steps no longer than `step_size`, so every requested
    /// time is reached by a step (torchdiffeq instead uses a global grid and linear
    /// interpolation, which loses the method's order off the grid). Ignored by the
    /// adaptive methods.
    pub step_size: Option<f64>,
    /// First step of the adaptive methods; `None` selects it with Hairer's algorithm
    /// (as torchdiffeq, at the cost of one extra function evaluation).
    pub first_step: Option<f64>,
    /// Most steps (accepted plus rejected) an adaptive solve may take in total before
    /// it returns an error. A fixed-step solve that would need more steps (a
    /// `step_size` far too small for the interval) returns the error before its first step.
    pub max_num_steps: usize,
    /// Safety factor on the optimal step size (adaptive methods).
    pub safety: f64,
    /// Largest factor by which a step may grow (adaptive methods).
    pub ifactor: f64,
    /// Smallest factor to which a rejected step may shrink (adaptive methods).
    pub dfactor: f64,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            method: Method::Dopri5,
            rtol: 1e-7,
            atol: 1e-9,
            step_size: None,
            first_step: None,
            max_num_steps: (1usize << 31) - 1,
            safety: 0.9,
            ifactor: 10.0,
            dfactor: 0.2,
        }
    }
}

impl Options {
    /// The defaults (same as [`Options::default`]).
    pub fn new() -> Options {
        Options::default()
    }

    /// Sets the method.
    pub fn method(mut self, method: Method) -> Options {
        self.method = method;
        self
    }

    /// Sets the relative tolerance.
    pub fn rtol(mut self, rtol: f64) -> Options {
        self.rtol = rtol;
        self
    }

    /// Sets the absolute tolerance.
    pub fn atol(mut self, atol: f64) -> Options {
        self.atol = atol;
        self
    }

    /// Sets the largest step of the fixed-step methods.
    pub fn step_size(mut self, step_size: f64) -> Options {
        self.step_size = Some(step_size);
        self
    }

    /// Sets the first step of the adaptive methods.
    pub fn first_step(mut self, first_step: f64) -> Options {
        self.first_step = Some(first_step);
        self
    }

    /// Sets the step budget (adaptive methods; fixed-step solves check it up front).
    pub fn max_num_steps(mut self, max_num_steps: usize) -> Options {
        self.max_num_steps = max_num_steps;
        self
    }

    /// Sets the safety factor of the step-size controller.
    pub fn safety(mut self, safety: f64) -> Options {
        self.safety = safety;
        self
    }

    /// Sets the largest growth factor of the step size.
    pub fn ifactor(mut self, ifactor: f64) -> Options {
        self.ifactor = ifactor;
        self
    }

    /// Sets the smallest shrink factor of the step size.
    pub fn dfactor(mut self, dfactor: f64) -> Options {
        self.dfactor = dfactor;
        self
    }

    /// Panics with a message naming the bad option, if any.
    pub(crate) fn validate(&self, op: &str) {
        let m = self.method;
        assert!(
            self.rtol >= 0.0 && self.atol >= 0.0 && self.rtol.is_finite() && self.atol.is_finite(),
            "{op}: rtol and atol must be finite and non-negative, got rtol = {}, atol = {}",
            self.rtol,
            self.atol
        );
        assert!(
            !m.is_adaptive() || self.rtol > 0.0 || self.atol > 0.0,
            "{op}: rtol and atol cannot both be zero for {m}"
        );
        if let Some(h) = self.step_size {
            assert!(
                h > 0.0 && h.is_finite(),
                "{op}: step_size must be positive and finite, got {h}"
            );
        }
        if let Some(h) = self.first_step {
            assert!(
                h > 0.0 && h.is_finite(),
                "{op}: first_step must be positive and finite, got {h}"
            );
        }
        assert!(
            self.safety > 0.0 && self.safety <= 1.0,
            "{op}: safety must be in (0, 1], got {}",
            self.safety
        );
        assert!(
            self.ifactor >= 1.0 && self.dfactor > 0.0 && self.dfactor <= 1.0,
            "{op}: need ifactor >= 1 and 0 < dfactor <= 1, got ifactor = {}, dfactor = {}",
            self.ifactor,
            self.dfactor
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for m in [
            Method::Euler,
            Method::Midpoint,
            Method::Rk4,
            Method::Dopri5,
            Method::Tsit5,
        ] {
            assert_eq!(m.name().parse::<Method>(), Ok(m));
            assert_eq!(m.to_string(), m.name());
        }
        let e = "bosh3".parse::<Method>().unwrap_err();
        assert!(e.to_string().contains("bosh3"));
    }

    #[test]
    fn defaults_are_torchdiffeqs() {
        let o = Options::new();
        assert_eq!(o.method, Method::Dopri5);
        assert_eq!((o.rtol, o.atol), (1e-7, 1e-9));
        assert_eq!((o.safety, o.ifactor, o.dfactor), (0.9, 10.0, 0.2));
        assert_eq!(o.max_num_steps, 2147483647);
    }

    #[test]
    #[should_panic(expected = "step_size must be positive")]
    fn negative_step_size_panics() {
        Options::new().step_size(-0.1).validate("odeint");
    }
}
