//! `clamp`: `maximum` and `minimum` with scalar bounds, NaN kept, PyTorch's integer bound
//! rules.

use super::{binary, binary_, binary_out, promote, Maximum, Minimum, Rhs};
use crate::autograd::{record, Saves};
use crate::ops::out::{plan, OutPlan};
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
            if let Some(lo) = min.and_then(|b| effective_bound(&r, b, true)) {
                r = binary::<Maximum>(&Rhs::from(&r), &Rhs::Scalar(lo));
            }
            if let Some(hi) = max.and_then(|b| effective_bound(&r, b, false)) {
                r = binary::<Minimum>(&Rhs::from(&r), &Rhs::Scalar(hi));
            }
            if r.shares_storage(self) {
                r = r.deep_clone(); // no bound had an effect: still a new tensor
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

/// A bound as it applies to `x`: NaN in the tensor stays NaN, a NaN bound gives NaN. An
/// integer bound outside an integer tensor's range (casting it would wrap) has no effect
/// on the harmless side (`None`) and panics on the other, as PyTorch.
fn effective_bound(x: &Tensor, bound: Scalar, is_min: bool) -> Option<Scalar> {
    if let (Scalar::Int(v), true) = (bound, x.dtype().is_int()) {
        let fits = dispatch!(x.dtype(), T => crate::Element::to_i64(<T as crate::Element>::from_i64(v)) == v);
        if !fits && (v < 0) == is_min {
            return None;
        }
        assert!(
            fits,
            "clamp: {} value {v} is outside the representable range of {}",
            if is_min { "min" } else { "max" },
            x.dtype()
        );
    }
    Some(bound)
}

/// [`Tensor::clamp`] written into `out` (`torch.clamp(x, min, max, out=out)`): straight
/// into `out`'s storage (one pass per bound) when `x` already has the result dtype and
/// `out` is contiguous and shares no storage with `x`; through a temporary otherwise.
///
/// ```
/// use tessera_core::{ops::clamp_out, tensor, Tensor};
/// let mut out = Tensor::zeros(&[3]);
/// clamp_out(&tensor!([-2.0, 0.5, 9.0]), Some(0.0), Some(1.0), &mut out);
/// assert_eq!(out.to_vec::<f32>(), [0.0, 0.5, 1.0]);
/// ```
///
/// # Panics
/// As [`Tensor::clamp`], and if `out` is not empty and its shape differs from the
/// result's, or its dtype from the result's (an empty `out` is resized); if `x` or `out`
/// requires grad while grad mode is on.
pub fn clamp_out(
    x: &Tensor,
    min: Option<impl Into<Scalar>>,
    max: Option<impl Into<Scalar>>,
    out: &mut Tensor,
) {
    let (min, max) = (min.map(Into::into), max.map(Into::into));
    // Scalar bounds only raise the dtype's category: each bound keeping `x`'s dtype
    // means the result has it.
    let keeps_dtype = (min.is_some() || max.is_some())
        && min
            .iter()
            .chain(&max)
            .all(|&b| promote(&Rhs::from(x), &Rhs::Scalar(b)) == x.dtype());
    if keeps_dtype {
        let lo = min.and_then(|b| effective_bound(x, b, true));
        let hi = max.and_then(|b| effective_bound(x, b, false));
        let direct = matches!(
            plan("clamp", x.shape(), x.dtype(), &[x], out),
            OutPlan::Direct(_)
        );
        match (direct, lo, hi) {
            (true, Some(lo), hi) => {
                binary_out::<Maximum>(&Rhs::from(x), &Rhs::Scalar(lo), out);
                if let Some(hi) = hi {
                    let _no_graph = crate::autograd::no_grad();
                    binary_::<Minimum>(out, &Rhs::Scalar(hi));
                }
                return;
            }
            (true, None, Some(hi)) => {
                return binary_out::<Minimum>(&Rhs::from(x), &Rhs::Scalar(hi), out)
            }
            _ => {}
        }
    }
    crate::ops::out::write_out("clamp", &[x], || x.clamp(min, max), out)
}
