//! `clamp`: `maximum` and `minimum` with scalar bounds, NaN kept, PyTorch's integer bound
//! rules.

use super::{binary, BinaryOp, Maximum, Minimum, Rhs};
use crate::autograd::{record, Saves};
use crate::{dispatch, Scalar, Tensor};

impl Tensor {
    /// `self` clamped to `[min, max]` (`torch.clamp`); either bound may be `None`.
    /// NaN stays NaN. The result dtype follows promotion with the bounds (an integer
    /// tensor clamped by float bounds becomes float).
    ///
    /// ```
    /// let y = tessera_core::tensor!([-2.0, 0.5, 9.0]).clamp(Some(0.0), Some(1.0));
    /// assert_eq!(y.to_vec::<f32>(), vec![0.0, 0.5, 1.0]);
    /// ```
    ///
    /// # Panics
    /// If both bounds are `None`, as PyTorch.
    pub fn clamp(&self, min: Option<impl Into<Scalar>>, max: Option<impl Into<Scalar>>) -> Tensor {
        let (min, max) = (min.map(Into::into), max.map(Into::into));
        assert!(
            min.is_some() || max.is_some(),
            "clamp: at least one of 'min' or 'max' must not be None"
        );
        let forward = || {
            let mut r = self.clone();
            if let Some(lo) = min {
                r = clamp_bound::<Maximum>(&r, lo);
            }
            if let Some(hi) = max {
                r = clamp_bound::<Minimum>(&r, hi);
            }
            r
        };
        // The gradient passes where min <= x <= max, bounds included, as PyTorch.
        record(
            "clamp",
            &[self],
            Saves::Inputs,
            forward,
            move |g, _, inputs| {
                let x = &inputs[0];
                let mut inside = x.eq(x);
                if let Some(lo) = min {
                    inside = inside.logical_and(&x.ge(lo));
                }
                if let Some(hi) = max {
                    inside = inside.logical_and(&x.le(hi));
                }
                vec![Some(g.where_(&inside, 0.0))]
            },
        )
    }

    /// In-place [`Tensor::clamp`]; returns `self`.
    ///
    /// # Panics
    /// If both bounds are `None`, or a float bound is given for an integer tensor.
    pub fn clamp_(
        &self,
        min: Option<impl Into<Scalar>>,
        max: Option<impl Into<Scalar>>,
    ) -> &Tensor {
        self.assert_no_internal_overlap("clamp_");
        let r = self.clamp(min, max);
        assert!(
            r.dtype() == self.dtype(),
            "clamp_: result type {} can't be cast to the desired output type {}",
            r.dtype(),
            self.dtype()
        );
        self.copy_(&r)
    }
}

/// One side of a clamp: NaN in the tensor stays NaN, a NaN bound gives NaN. An integer
/// bound outside an integer tensor's range (casting it would wrap) changes nothing on the
/// harmless side and panics on the other, as PyTorch.
fn clamp_bound<O: BinaryOp>(x: &Tensor, bound: Scalar) -> Tensor {
    if let (Scalar::Int(v), true) = (bound, x.dtype().is_int()) {
        let fits = dispatch!(x.dtype(), T => crate::Element::to_i64(<T as crate::Element>::from_i64(v)) == v);
        let is_min = O::NAME == Maximum::NAME;
        if !fits && (v < 0) == is_min {
            return x.deep_clone();
        }
        assert!(
            fits,
            "clamp: {} value {v} is outside the representable range of {}",
            if is_min { "min" } else { "max" },
            x.dtype()
        );
    }
    binary::<O>(&Rhs::from(x), &Rhs::Scalar(bound))
}

/// [`Tensor::clamp`] written into `out` (`torch.clamp(x, min, max, out=out)`), through a
/// temporary.
///
/// # Panics
/// As [`Tensor::clamp`], and if `out` is not empty and its shape differs from the
/// result's, or its dtype from the result's (an empty `out` is resized).
pub fn clamp_out(
    x: &Tensor,
    min: Option<impl Into<Scalar>>,
    max: Option<impl Into<Scalar>>,
    out: &mut Tensor,
) {
    crate::ops::out::write_out("clamp", &[x], || x.clamp(min, max), out)
}
