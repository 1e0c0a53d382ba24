//! The user's `f(t, y)` seen by the solvers: time as `f64`, direction reversal,
//! shape and dtype checks, and the count of function evaluations.

use std::cell::Cell;
use tessera_core::{DType, Tensor};

/// `f` wrapped for the solvers. The solvers always integrate forwards in an internal
/// time `s`; a decreasing `t` is solved as `s = -t` with `dy/ds = -f(-s, y)`, as in
/// torchdiffeq.
pub(crate) struct Rhs<'f> {
    f: &'f dyn Fn(&Tensor, &Tensor) -> Tensor,
    /// `t = sign * s`.
    sign: f64,
    shape: Vec<usize>,
    dtype: DType,
    nfe: Cell<usize>,
}

impl<'f> Rhs<'f> {
    /// Wraps `f` for a state shaped and typed like `y0`.
    pub fn new(f: &'f dyn Fn(&Tensor, &Tensor) -> Tensor, y0: &Tensor, reversed: bool) -> Rhs<'f> {
        Rhs {
            f,
            sign: if reversed { -1.0 } else { 1.0 },
            shape: y0.shape().to_vec(),
            dtype: y0.dtype(),
            nfe: Cell::new(0),
        }
    }

    /// The user's time of internal time `s`.
    pub fn time(&self, s: f64) -> f64 {
        self.sign * s
    }

    /// `dy/ds` at internal time `s`.
    ///
    /// # Panics
    /// If `f` returns a tensor of another shape or dtype than the state's.
    pub fn eval(&self, s: f64, y: &Tensor) -> Tensor {
        let t = Tensor::scalar(self.time(s)).to_dtype(self.dtype);
        let dy = (self.f)(&t, y);
        self.nfe.set(self.nfe.get() + 1);
        assert!(
            dy.shape() == self.shape.as_slice() && dy.dtype() == self.dtype,
            "odeint: f(t, y) returned shape {:?} and dtype {} for a state of shape {:?} and dtype {}",
            dy.shape(),
            dy.dtype(),
            self.shape,
            self.dtype
        );
        if self.sign < 0.0 {
            -dy
        } else {
            dy
        }
    }

    /// Function evaluations so far.
    pub fn nfe(&self) -> usize {
        self.nfe.get()
    }
}
