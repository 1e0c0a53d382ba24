//! Constraints (`torch.distributions.constraints`): values that say where a parameter
//! or a sample lives, with [`Constraint::check`] and PyTorch's names for messages.
//!
//! ```
//! use tessera_core::tensor;
//! use tessera_distributions::constraints::Constraint;
//! let ok = Constraint::positive().check(&tensor!([1.0, -1.0, 0.0]));
//! assert_eq!(ok.to_vec::<bool>(), vec![true, false, false]);
//! assert_eq!(Constraint::positive().to_string(), "GreaterThan(lower_bound=0.0)");
//! ```

use std::fmt;
use tessera_core::{DType, Tensor};

/// A constraint on a tensor's values. Bounds are tensors (broadcast against the value),
/// as in PyTorch, so a support can depend on parameters (`Uniform`'s interval).
#[derive(Clone, Debug)]
pub enum Constraint {
    /// Any non-NaN real (`constraints.real`).
    Real,
    /// 0 or 1 (`constraints.boolean`).
    Boolean,
    /// Integers `>= 0` (`constraints.nonnegative_integer`).
    NonNegativeInteger,
    /// Integers in `[lower, upper]` (`constraints.integer_interval`).
    IntegerInterval(i64, i64),
    /// `x > bound` (`constraints.greater_than`, `positive`).
    GreaterThan(Tensor),
    /// `x >= bound` (`constraints.greater_than_eq`, `nonnegative`).
    GreaterThanEq(Tensor),
    /// `x < bound` (`constraints.less_than`).
    LessThan(Tensor),
    /// `lower <= x <= upper` (`constraints.interval`, `unit_interval`).
    Interval(Tensor, Tensor),
    /// `lower <= x < upper` (`constraints.half_open_interval`).
    HalfOpenInterval(Tensor, Tensor),
    /// Nonnegative vectors summing to 1 along the last dim, within 1e-6 (`constraints.simplex`).
    Simplex,
    /// Lower-triangular matrices (`constraints.lower_triangular`).
    LowerTriangular,
    /// Lower-triangular matrices with a positive diagonal (`constraints.lower_cholesky`).
    LowerCholesky,
    /// Lower Cholesky factors of correlation matrices: rows of unit norm
    /// (`constraints.corr_cholesky`).
    CorrCholesky,
    /// Symmetric positive-definite matrices (`constraints.positive_definite`):
    /// symmetric within 1e-6 and a Cholesky factorization succeeds.
    PositiveDefinite,
    /// `base` with its rightmost `n` dims made event dims (`constraints.independent`).
    Independent(Box<Constraint>, usize),
}

fn scalar_like(v: f64) -> Tensor {
    Tensor::full_dtype(&[], v, DType::F64)
}

impl Constraint {
    /// `x > 0` (`constraints.positive`).
    pub fn positive() -> Constraint {
        Constraint::GreaterThan(scalar_like(0.0))
    }
    /// `x >= 0` (`constraints.nonnegative`).
    pub fn nonnegative() -> Constraint {
        Constraint::GreaterThanEq(scalar_like(0.0))
    }
    /// `x > v` (`constraints.greater_than(v)`).
    pub fn greater_than(v: f64) -> Constraint {
        Constraint::GreaterThan(scalar_like(v))
    }
    /// `x >= v` (`constraints.greater_than_eq(v)`).
    pub fn greater_than_eq(v: f64) -> Constraint {
        Constraint::GreaterThanEq(scalar_like(v))
    }
    /// `x < v` (`constraints.less_than(v)`).
    pub fn less_than(v: f64) -> Constraint {
        Constraint::LessThan(scalar_like(v))
    }
    /// `lo <= x <= hi` (`constraints.interval(lo, hi)`).
    pub fn interval(lo: f64, hi: f64) -> Constraint {
        Constraint::Interval(scalar_like(lo), scalar_like(hi))
    }
    /// `0 <= x <= 1` (`constraints.unit_interval`).
    pub fn unit_interval() -> Constraint {
        Constraint::interval(0.0, 1.0)
    }
    /// `base` over the rightmost `n` dims (`constraints.independent(base, n)`).
    pub fn independent(base: Constraint, n: usize) -> Constraint {
        if n == 0 {
            base
        } else {
            Constraint::Independent(Box::new(base), n)
        }
    }

    /// The number of rightmost dims that make up one event (0 for elementwise ones).
    pub fn event_dim(&self) -> usize {
        match self {
            Constraint::Simplex => 1,
            Constraint::LowerTriangular
            | Constraint::LowerCholesky
            | Constraint::CorrCholesky
            | Constraint::PositiveDefinite => 2,
            Constraint::Independent(b, n) => b.event_dim() + n,
            _ => 0,
        }
    }

    /// Whether the constrained values are discrete (`is_discrete`).
    pub fn is_discrete(&self) -> bool {
        match self {
            Constraint::Boolean
            | Constraint::NonNegativeInteger
            | Constraint::IntegerInterval(..) => true,
            Constraint::Independent(b, _) => b.is_discrete(),
            _ => false,
        }
    }

    /// A `Bool` tensor of `value`'s shape less the [`event_dim`](Self::event_dim)
    /// rightmost dims: whether each event satisfies the constraint.
    ///
    /// # Panics
    /// If `value` has fewer dims than the constraint's event dims, or its shape does not
    /// broadcast with a bound's.
    pub fn check(&self, value: &Tensor) -> Tensor {
        let _ng = tessera_core::autograd::no_grad();
        let v = if value.dtype().is_float() {
            value.clone()
        } else {
            value.to_dtype(DType::F64)
        };
        let b = |t: &Tensor| t.to_dtype(v.dtype());
        match self {
            Constraint::Real => v.eq(&v),
            Constraint::Boolean => v.eq(0.0).logical_or(&v.eq(1.0)),
            Constraint::NonNegativeInteger => v.eq(v.floor()).logical_and(&v.ge(0.0)),
            Constraint::IntegerInterval(lo, hi) => v
                .eq(v.floor())
                .logical_and(&v.ge(*lo as f64))
                .logical_and(&v.le(*hi as f64)),
            Constraint::GreaterThan(t) => v.gt(b(t)),
            Constraint::GreaterThanEq(t) => v.ge(b(t)),
            Constraint::LessThan(t) => v.lt(b(t)),
            Constraint::Interval(lo, hi) => v.ge(b(lo)).logical_and(&v.le(b(hi))),
            Constraint::HalfOpenInterval(lo, hi) => v.ge(b(lo)).logical_and(&v.lt(b(hi))),
            Constraint::Simplex => {
                let nonneg = v.ge(0.0).all_dim(-1, false);
                let sums = (v.sum_dim(-1, false) - 1.0).abs().lt(1e-6);
                nonneg.logical_and(&sums)
            }
            Constraint::LowerTriangular => {
                let n = v.size(-1);
                let tril = crate::util::tril_mask(n, n, v.dtype());
                v.eq(&(&v * &tril)).all_dim([-2, -1], false)
            }
            Constraint::LowerCholesky => {
                let lower = Constraint::LowerTriangular.check(&v);
                let diag_pos = crate::util::diagonal(&v).gt(0.0).all_dim(-1, false);
                lower.logical_and(&diag_pos)
            }
            Constraint::CorrCholesky => {
                let lower = Constraint::LowerCholesky.check(&v);
                let norms = v.square().sum_dim(-1, false).sqrt();
                let unit = (norms - 1.0).abs().le(1e-4).all_dim(-1, false);
                lower.logical_and(&unit)
            }
            Constraint::PositiveDefinite => {
                let sym = v.sub(v.mt()).abs().le(1e-6).all_dim([-2, -1], false);
                let info = match tessera_linalg::cholesky_ex(&v, false, false) {
                    Ok((_, info)) => info.eq(0),
                    Err(_) => sym.zeros_like().to_dtype(DType::Bool),
                };
                sym.logical_and(&info)
            }
            Constraint::Independent(base, n) => {
                let r = base.check(&v);
                if *n == 0 {
                    return r;
                }
                let dims: Vec<isize> = (1..=*n as isize).map(|d| -d).collect();
                r.all_dim(dims, false)
            }
        }
    }
}

fn bound(t: &Tensor) -> String {
    if t.numel() == 1 {
        format!("{:?}", t.to_dtype(DType::F64).reshape([1]).get::<f64>(&[0]))
    } else {
        format!("{t}")
    }
}

impl fmt::Display for Constraint {
    /// PyTorch's `repr` of the constraint (`GreaterThan(lower_bound=0.0)`, ...).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Constraint::Real => write!(f, "Real()"),
            Constraint::Boolean => write!(f, "Boolean()"),
            Constraint::NonNegativeInteger => write!(f, "IntegerGreaterThan(lower_bound=0)"),
            Constraint::IntegerInterval(a, b) => {
                write!(f, "IntegerInterval(lower_bound={a}, upper_bound={b})")
            }
            Constraint::GreaterThan(t) => write!(f, "GreaterThan(lower_bound={})", bound(t)),
            Constraint::GreaterThanEq(t) => {
                write!(f, "GreaterThanEq(lower_bound={})", bound(t))
            }
            Constraint::LessThan(t) => write!(f, "LessThan(upper_bound={})", bound(t)),
            Constraint::Interval(a, b) => write!(
                f,
                "Interval(lower_bound={}, upper_bound={})",
                bound(a),
                bound(b)
            ),
            Constraint::HalfOpenInterval(a, b) => write!(
                f,
                "HalfOpenInterval(lower_bound={}, upper_bound={})",
                bound(a),
                bound(b)
            ),
            Constraint::Simplex => write!(f, "Simplex()"),
            Constraint::LowerTriangular => write!(f, "LowerTriangular()"),
            Constraint::LowerCholesky => write!(f, "LowerCholesky()"),
            Constraint::CorrCholesky => write!(f, "CorrCholesky()"),
            Constraint::PositiveDefinite => write!(f, "PositiveDefinite()"),
            Constraint::Independent(b, n) => write!(f, "IndependentConstraint({b}, {n})"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tessera_core::tensor;

    #[test]
    fn checks() {
        let x = tensor!([0.0, 0.5, 1.0, f64::NAN], dtype = DType::F64);
        assert_eq!(
            Constraint::Real.check(&x).to_vec::<bool>(),
            vec![true, true, true, false]
        );
        assert_eq!(
            Constraint::unit_interval().check(&x).to_vec::<bool>(),
            vec![true, true, true, false]
        );
        assert_eq!(
            Constraint::Boolean.check(&x).to_vec::<bool>(),
            vec![true, false, true, false]
        );
        let s = tensor!([[0.2, 0.8], [0.5, 0.6]]);
        assert_eq!(
            Constraint::Simplex.check(&s).to_vec::<bool>(),
            vec![true, false]
        );
        let l = tensor!([[[1.0, 0.0], [2.0, 3.0]], [[1.0, 1.0], [0.0, 1.0]]]);
        assert_eq!(
            Constraint::LowerCholesky.check(&l).to_vec::<bool>(),
            vec![true, false]
        );
        let pd = tensor!([[[2.0, 1.0], [1.0, 2.0]], [[1.0, 2.0], [2.0, 1.0]]]);
        assert_eq!(
            Constraint::PositiveDefinite.check(&pd).to_vec::<bool>(),
            vec![true, false]
        );
        let ind = Constraint::independent(Constraint::positive(), 1);
        assert_eq!(ind.check(&s.sub(0.3)).to_vec::<bool>(), vec![false, true]);
        assert_eq!(ind.event_dim(), 1);
        assert_eq!(
            ind.to_string(),
            "IndependentConstraint(GreaterThan(lower_bound=0.0), 1)"
        );
        assert!(Constraint::IntegerInterval(0, 3).is_discrete());
    }
}
