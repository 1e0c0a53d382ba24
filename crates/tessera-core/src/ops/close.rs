//! `isclose` and `allclose` with PyTorch's defaults.

use crate::{DType, Tensor};

/// Tolerances for [`Tensor::isclose_with`]; `Default` is PyTorch's
/// (`rtol = 1e-5`, `atol = 1e-8`, `equal_nan = false`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tolerance {
    /// Relative tolerance, times `|other|`.
    pub rtol: f64,
    /// Absolute tolerance.
    pub atol: f64,
    /// Whether two NaNs count as close.
    pub equal_nan: bool,
}

impl Default for Tolerance {
    fn default() -> Self {
        Tolerance {
            rtol: 1e-5,
            atol: 1e-8,
            equal_nan: false,
        }
    }
}

impl Tolerance {
    /// PyTorch's defaults with another `rtol` and `atol`.
    pub fn new(rtol: f64, atol: f64) -> Tolerance {
        Tolerance {
            rtol,
            atol,
            ..Tolerance::default()
        }
    }
}

impl Tensor {
    /// Where `|self - other| <= atol + rtol * |other|` (`torch.isclose`) with
    /// PyTorch's default tolerances; infinities are close to themselves only.
    ///
    /// # Panics
    /// If the shapes do not broadcast.
    pub fn isclose(&self, other: &Tensor) -> Tensor {
        self.isclose_with(other, Tolerance::default())
    }

    /// [`Tensor::isclose`] with explicit tolerances.
    ///
    /// # Panics
    /// If the shapes do not broadcast or a tolerance is negative.
    pub fn isclose_with(&self, other: &Tensor, tol: Tolerance) -> Tensor {
        assert!(
            tol.rtol >= 0.0 && tol.atol >= 0.0,
            "isclose: tolerances must be non-negative, got {tol:?}"
        );
        let (a, b) = (self.to_dtype(DType::F64), other.to_dtype(DType::F64));
        super::binary::zip_map("isclose", &a, &b, move |x: f64, y: f64| {
            if x == y {
                return true;
            }
            if x.is_nan() || y.is_nan() {
                return tol.equal_nan && x.is_nan() && y.is_nan();
            }
            if x.is_infinite() || y.is_infinite() {
                return false;
            }
            (x - y).abs() <= tol.atol + tol.rtol * y.abs()
        })
    }

    /// Whether every element is close (`torch.allclose`) with PyTorch's defaults.
    ///
    /// ```
    /// use tessera_core::tensor;
    /// assert!(tensor!([1.0, 2.0]).allclose(&tensor!([1.0, 2.000001])));
    /// ```
    ///
    /// # Panics
    /// If the shapes do not broadcast.
    pub fn allclose(&self, other: &Tensor) -> bool {
        self.allclose_with(other, Tolerance::default())
    }

    /// [`Tensor::allclose`] with explicit tolerances.
    ///
    /// # Panics
    /// If the shapes do not broadcast.
    pub fn allclose_with(&self, other: &Tensor, tol: Tolerance) -> bool {
        self.isclose_with(other, tol).all().item::<bool>()
    }
}

#[cfg(test)]
mod tests {
    use super::Tolerance;
    use crate::tensor;

    #[test]
    fn defaults_and_specials() {
        let a = tensor!([1.0, f32::NAN, f32::INFINITY, 0.0]);
        let b = tensor!([1.0 + 5e-6, f32::NAN, f32::INFINITY, 1e-7]);
        assert_eq!(
            a.isclose(&b).to_vec::<bool>(),
            vec![true, false, true, false]
        );
        let t = Tolerance {
            equal_nan: true,
            ..Tolerance::new(0.0, 1e-6)
        };
        assert_eq!(
            a.isclose_with(&b, t).to_vec::<bool>(),
            vec![false, true, true, true]
        );
        assert!(!tensor!([f32::INFINITY]).allclose(&tensor!([f32::NEG_INFINITY])));
    }
}
