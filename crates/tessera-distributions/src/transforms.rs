//! Transforms (`torch.distributions.transforms`): `ExpTransform`, `AffineTransform`,
//! `SigmoidTransform`, `TanhTransform`, `PowerTransform`, `SoftmaxTransform`,
//! `StickBreakingTransform`, `LowerCholeskyTransform`, `CorrCholeskyTransform`,
//! `ComposeTransform`, inverses (`.inv()`) and a one-entry cache ([`Cached`]): maps with their
//! log-determinant Jacobians, for [`crate::TransformedDistribution`].
//!
//! ```
//! use std::sync::Arc;
//! use tessera_core::{tensor, DType};
//! use tessera_distributions::transforms::*;
//! let t: TransformRef = ComposeTransform::new(vec![
//!     Arc::new(AffineTransform::new(&tensor!(1.0, dtype = DType::F64), &tensor!(2.0, dtype = DType::F64), 0)),
//!     Arc::new(ExpTransform),
//! ]);
//! let x = tensor!([0.0, 0.5], dtype = DType::F64);
//! let y = t.forward(&x);                       // exp(1 + 2x)
//! assert!((y.get::<f64>(&[0]) - 1f64.exp()).abs() < 1e-15);
//! assert!(t.inv().forward(&y).allclose(&x));   // the inverse maps back
//! // log|dy/dx| = ln 2 + (1 + 2x)
//! let ladj = t.log_abs_det_jacobian(&x, &y).unwrap();
//! assert!((ladj.get::<f64>(&[1]) - (2f64.ln() + 2.0)).abs() < 1e-15);
//! ```

use crate::constraints::Constraint;
use crate::distribution::not_implemented;
use crate::util::{diag_embed, diagonal, tril_mask};
use std::sync::{Arc, Mutex};
use tessera_core::{DType, Result, Tensor};

/// A shared transform.
pub type TransformRef = Arc<dyn Transform>;

/// A transform `y = f(x)` (`torch.distributions.transforms.Transform`).
pub trait Transform: Send + Sync + 'static {
    /// PyTorch's name (`ExpTransform()`), for messages.
    fn repr(&self) -> String;
    /// `y = f(x)`.
    fn forward(&self, x: &Tensor) -> Tensor;
    /// `x = f⁻¹(y)` (a pseudo-inverse for non-bijective transforms).
    fn inverse(&self, y: &Tensor) -> Tensor;
    /// `ln |det ∂y/∂x|`, summed over the domain's event dims.
    ///
    /// # Errors
    /// For transforms that do not define it (PyTorch's `NotImplementedError`).
    fn log_abs_det_jacobian(&self, x: &Tensor, y: &Tensor) -> Result<Tensor>;
    /// Where `x` lives (its `event_dim` is the transform's input event dims).
    fn domain(&self) -> Constraint;
    /// Where `y` lives.
    fn codomain(&self) -> Constraint;
    /// Whether the transform is a bijection.
    fn bijective(&self) -> bool {
        true
    }
    /// +1 or -1 for monotone transforms of one variable.
    ///
    /// # Errors
    /// For transforms without a sign.
    fn sign(&self) -> Result<Tensor> {
        Err(not_implemented(&self.repr(), "sign"))
    }
    /// The output shape for an input of `shape`.
    fn forward_shape(&self, shape: &[usize]) -> Vec<usize> {
        shape.to_vec()
    }
    /// The input shape for an output of `shape`.
    fn inverse_shape(&self, shape: &[usize]) -> Vec<usize> {
        shape.to_vec()
    }
    /// 0 (no caching) or 1 (the last `(x, y)` pair is reused).
    fn cache_size(&self) -> usize {
        0
    }
    /// For [`TransformExt::inv`]: the transform this is the inverse of.
    fn inverted(&self) -> Option<TransformRef> {
        None
    }
}

/// `.inv()` on a shared transform: the inverse of the inverse is the original (the same
/// `Arc`), as `t.inv.inv is t` in PyTorch.
pub trait TransformExt {
    /// The inverse transform.
    fn inv(&self) -> TransformRef;
}

impl TransformExt for TransformRef {
    fn inv(&self) -> TransformRef {
        match self.inverted() {
            Some(t) => t,
            None => Arc::new(Inverse(self.clone())),
        }
    }
}

/// The inverse of a transform (`_InverseTransform`).
pub struct Inverse(TransformRef);

impl Transform for Inverse {
    fn repr(&self) -> String {
        format!("_InverseTransform({})", self.0.repr())
    }
    fn forward(&self, x: &Tensor) -> Tensor {
        self.0.inverse(x)
    }
    fn inverse(&self, y: &Tensor) -> Tensor {
        self.0.forward(y)
    }
    fn log_abs_det_jacobian(&self, x: &Tensor, y: &Tensor) -> Result<Tensor> {
        Ok(-self.0.log_abs_det_jacobian(y, x)?)
    }
    fn domain(&self) -> Constraint {
        self.0.codomain()
    }
    fn codomain(&self) -> Constraint {
        self.0.domain()
    }
    fn bijective(&self) -> bool {
        self.0.bijective()
    }
    fn sign(&self) -> Result<Tensor> {
        self.0.sign()
    }
    fn forward_shape(&self, shape: &[usize]) -> Vec<usize> {
        self.0.inverse_shape(shape)
    }
    fn inverse_shape(&self, shape: &[usize]) -> Vec<usize> {
        self.0.forward_shape(shape)
    }
    fn cache_size(&self) -> usize {
        self.0.cache_size()
    }
    fn inverted(&self) -> Option<TransformRef> {
        Some(self.0.clone())
    }
}

/// A transform with `cache_size = 1`: the last `(x, y)` pair is remembered, so
/// `inverse(forward(x))` returns `x` itself (the same tensor) and vice versa.
pub struct Cached {
    inner: TransformRef,
    last: Mutex<Option<(Tensor, Tensor)>>,
}

impl Cached {
    /// Wraps `inner` with a one-entry cache.
    pub fn new(inner: TransformRef) -> Arc<Cached> {
        Arc::new(Cached {
            inner,
            last: Mutex::new(None),
        })
    }
}

fn same(a: &Tensor, b: &Tensor) -> bool {
    a.shares_storage(b) && a.layout() == b.layout() && a.dtype() == b.dtype()
}

impl Transform for Cached {
    fn repr(&self) -> String {
        self.inner.repr()
    }
    fn forward(&self, x: &Tensor) -> Tensor {
        let mut c = self.last.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((cx, cy)) = c.as_ref() {
            if same(cx, x) {
                return cy.clone();
            }
        }
        let y = self.inner.forward(x);
        *c = Some((x.clone(), y.clone()));
        y
    }
    fn inverse(&self, y: &Tensor) -> Tensor {
        let mut c = self.last.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((cx, cy)) = c.as_ref() {
            if same(cy, y) {
                return cx.clone();
            }
        }
        let x = self.inner.inverse(y);
        *c = Some((x.clone(), y.clone()));
        x
    }
    fn log_abs_det_jacobian(&self, x: &Tensor, y: &Tensor) -> Result<Tensor> {
        self.inner.log_abs_det_jacobian(x, y)
    }
    fn domain(&self) -> Constraint {
        self.inner.domain()
    }
    fn codomain(&self) -> Constraint {
        self.inner.codomain()
    }
    fn bijective(&self) -> bool {
        self.inner.bijective()
    }
    fn sign(&self) -> Result<Tensor> {
        self.inner.sign()
    }
    fn forward_shape(&self, shape: &[usize]) -> Vec<usize> {
        self.inner.forward_shape(shape)
    }
    fn inverse_shape(&self, shape: &[usize]) -> Vec<usize> {
        self.inner.inverse_shape(shape)
    }
    fn cache_size(&self) -> usize {
        1
    }
}

/// Sums the rightmost `dims` dims (`_sum_rightmost`).
pub(crate) fn sum_rightmost(t: &Tensor, dims: usize) -> Tensor {
    if dims == 0 {
        return t.clone();
    }
    let d: Vec<isize> = (1..=dims as isize).map(|i| -i).collect();
    t.sum_dim(d, false)
}

fn one() -> Tensor {
    Tensor::full_dtype(&[], 1.0, DType::F64)
}

/// `y = exp(x)`.
pub struct ExpTransform;

impl Transform for ExpTransform {
    fn repr(&self) -> String {
        "ExpTransform()".into()
    }
    fn forward(&self, x: &Tensor) -> Tensor {
        x.exp()
    }
    fn inverse(&self, y: &Tensor) -> Tensor {
        y.log()
    }
    fn log_abs_det_jacobian(&self, x: &Tensor, _y: &Tensor) -> Result<Tensor> {
        Ok(x.clone())
    }
    fn domain(&self) -> Constraint {
        Constraint::Real
    }
    fn codomain(&self) -> Constraint {
        Constraint::positive()
    }
    fn sign(&self) -> Result<Tensor> {
        Ok(one())
    }
}

/// `y = loc + scale * x`, over `event_dim` rightmost dims.
pub struct AffineTransform {
    /// The shift.
    pub loc: Tensor,
    /// The scale.
    pub scale: Tensor,
    /// How many rightmost dims form an event.
    pub event_dim: usize,
}

impl AffineTransform {
    /// `AffineTransform(loc, scale, event_dim)`.
    pub fn new(loc: &Tensor, scale: &Tensor, event_dim: usize) -> AffineTransform {
        AffineTransform {
            loc: loc.clone(),
            scale: scale.clone(),
            event_dim,
        }
    }
}

impl Transform for AffineTransform {
    fn repr(&self) -> String {
        "AffineTransform()".into()
    }
    fn forward(&self, x: &Tensor) -> Tensor {
        &self.loc + &self.scale * x
    }
    fn inverse(&self, y: &Tensor) -> Tensor {
        (y - &self.loc) / &self.scale
    }
    fn log_abs_det_jacobian(&self, x: &Tensor, _y: &Tensor) -> Result<Tensor> {
        let shape = x.shape().to_vec();
        let r = self.scale.abs().log().to_dtype(x.dtype());
        let r = r.expand(tessera_core::layout::broadcast_shapes(
            "AffineTransform.log_abs_det_jacobian",
            r.shape(),
            &shape,
        ));
        let r = sum_rightmost(&r, self.event_dim);
        Ok(r.expand(shape[..shape.len() - self.event_dim].to_vec()))
    }
    fn domain(&self) -> Constraint {
        Constraint::independent(Constraint::Real, self.event_dim)
    }
    fn codomain(&self) -> Constraint {
        Constraint::independent(Constraint::Real, self.event_dim)
    }
    fn sign(&self) -> Result<Tensor> {
        Ok(self.scale.sign())
    }
    fn forward_shape(&self, shape: &[usize]) -> Vec<usize> {
        let s = tessera_core::layout::broadcast_shapes("AffineTransform", shape, self.loc.shape());
        tessera_core::layout::broadcast_shapes("AffineTransform", &s, self.scale.shape())
    }
    fn inverse_shape(&self, shape: &[usize]) -> Vec<usize> {
        self.forward_shape(shape)
    }
}

/// `y = sigmoid(x)`.
pub struct SigmoidTransform;

fn tiny_eps(d: DType) -> (f64, f64) {
    match d {
        DType::F32 => (f32::MIN_POSITIVE as f64, f32::EPSILON as f64),
        _ => (f64::MIN_POSITIVE, f64::EPSILON),
    }
}

impl Transform for SigmoidTransform {
    fn repr(&self) -> String {
        "SigmoidTransform()".into()
    }
    fn forward(&self, x: &Tensor) -> Tensor {
        let (tiny, eps) = tiny_eps(x.dtype());
        x.sigmoid().clamp(Some(tiny), Some(1.0 - eps))
    }
    fn inverse(&self, y: &Tensor) -> Tensor {
        let (tiny, eps) = tiny_eps(y.dtype());
        let y = y.clamp(Some(tiny), Some(1.0 - eps));
        y.log() - (-&y).log1p()
    }
    fn log_abs_det_jacobian(&self, x: &Tensor, _y: &Tensor) -> Result<Tensor> {
        Ok(-(-x).softplus() - x.softplus())
    }
    fn domain(&self) -> Constraint {
        Constraint::Real
    }
    fn codomain(&self) -> Constraint {
        Constraint::unit_interval()
    }
    fn sign(&self) -> Result<Tensor> {
        Ok(one())
    }
}

/// `y = tanh(x)`.
pub struct TanhTransform;

impl Transform for TanhTransform {
    fn repr(&self) -> String {
        "TanhTransform()".into()
    }
    fn forward(&self, x: &Tensor) -> Tensor {
        x.tanh()
    }
    fn inverse(&self, y: &Tensor) -> Tensor {
        // atanh, without cancellation near 0
        (y.log1p() - (-y).log1p()) * 0.5
    }
    fn log_abs_det_jacobian(&self, x: &Tensor, _y: &Tensor) -> Result<Tensor> {
        Ok(((-x) + std::f64::consts::LN_2 - (x * -2.0).softplus()) * 2.0)
    }
    fn domain(&self) -> Constraint {
        Constraint::Real
    }
    fn codomain(&self) -> Constraint {
        Constraint::interval(-1.0, 1.0)
    }
    fn sign(&self) -> Result<Tensor> {
        Ok(one())
    }
}

/// `y = x^exponent` on positive `x`.
pub struct PowerTransform {
    /// The exponent.
    pub exponent: Tensor,
}

impl PowerTransform {
    /// `PowerTransform(exponent)`.
    pub fn new(exponent: &Tensor) -> PowerTransform {
        PowerTransform {
            exponent: exponent.clone(),
        }
    }
}

impl Transform for PowerTransform {
    fn repr(&self) -> String {
        "PowerTransform()".into()
    }
    fn forward(&self, x: &Tensor) -> Tensor {
        x.pow(&self.exponent)
    }
    fn inverse(&self, y: &Tensor) -> Tensor {
        y.pow(self.exponent.reciprocal())
    }
    fn log_abs_det_jacobian(&self, x: &Tensor, y: &Tensor) -> Result<Tensor> {
        Ok((&self.exponent * y / x).abs().log())
    }
    fn domain(&self) -> Constraint {
        Constraint::positive()
    }
    fn codomain(&self) -> Constraint {
        Constraint::positive()
    }
    fn sign(&self) -> Result<Tensor> {
        Ok(self.exponent.sign())
    }
    fn forward_shape(&self, shape: &[usize]) -> Vec<usize> {
        tessera_core::layout::broadcast_shapes("PowerTransform", shape, self.exponent.shape())
    }
    fn inverse_shape(&self, shape: &[usize]) -> Vec<usize> {
        self.forward_shape(shape)
    }
}

/// `y = softmax(x)` over the last dim; not bijective (the inverse is `log y`).
pub struct SoftmaxTransform;

impl Transform for SoftmaxTransform {
    fn repr(&self) -> String {
        "SoftmaxTransform()".into()
    }
    fn forward(&self, x: &Tensor) -> Tensor {
        x.softmax(-1)
    }
    fn inverse(&self, y: &Tensor) -> Tensor {
        y.log()
    }
    fn log_abs_det_jacobian(&self, _x: &Tensor, _y: &Tensor) -> Result<Tensor> {
        Err(not_implemented(&self.repr(), "log_abs_det_jacobian"))
    }
    fn domain(&self) -> Constraint {
        Constraint::independent(Constraint::Real, 1)
    }
    fn codomain(&self) -> Constraint {
        Constraint::Simplex
    }
    fn bijective(&self) -> bool {
        false
    }
}

/// Cumulative sum over the last dim as a product with a triangular matrix of ones
/// (differentiable with core's matmul).
fn cumsum_last(x: &Tensor) -> Tensor {
    let n = x.size(-1);
    x.matmul(&tril_mask(n, n, x.dtype()).mt())
}

/// Maps `R^n` onto the simplex in `R^{n+1}` by stick breaking (`StickBreakingTransform`).
pub struct StickBreakingTransform;

impl StickBreakingTransform {
    fn offset_log(n: usize, dtype: DType) -> Tensor {
        // ln(n, n-1, ..., 1)
        let v: Vec<f64> = (0..n).map(|i| ((n - i) as f64).ln()).collect();
        Tensor::from_vec(v, &[n]).to_dtype(dtype)
    }
}

impl Transform for StickBreakingTransform {
    fn repr(&self) -> String {
        "StickBreakingTransform()".into()
    }
    fn forward(&self, x: &Tensor) -> Tensor {
        let n = x.size(-1);
        let (tiny, eps) = tiny_eps(x.dtype());
        let z = (x - Self::offset_log(n, x.dtype()))
            .sigmoid()
            .clamp(Some(tiny), Some(1.0 - eps));
        // cumprod(1 - z) = exp(cumsum(log1p(-z)))
        let zc = cumsum_last(&(-&z).log1p()).exp();
        let mut ones_shape = x.shape().to_vec();
        *ones_shape.last_mut().expect("1-D at least") = 1;
        let ones = Tensor::ones_dtype(&ones_shape, x.dtype());
        Tensor::cat(&[z, ones.clone()], -1) * Tensor::cat(&[ones, zc], -1)
    }
    fn inverse(&self, y: &Tensor) -> Tensor {
        let n = y.size(-1) - 1;
        let crop = y.narrow(-1, 0, n);
        let (tiny, _) = tiny_eps(y.dtype());
        let sf = (1.0 - cumsum_last(&crop)).clamp(Some(tiny), None::<f64>);
        crop.log() - sf.log() + Self::offset_log(n, y.dtype())
    }
    fn log_abs_det_jacobian(&self, x: &Tensor, y: &Tensor) -> Result<Tensor> {
        let n = x.size(-1);
        let x = x - Self::offset_log(n, x.dtype());
        let logsig = -(-&x).softplus();
        Ok((-&x + logsig + y.narrow(-1, 0, n).log()).sum_dim(-1, false))
    }
    fn domain(&self) -> Constraint {
        Constraint::independent(Constraint::Real, 1)
    }
    fn codomain(&self) -> Constraint {
        Constraint::Simplex
    }
    fn forward_shape(&self, shape: &[usize]) -> Vec<usize> {
        let mut s = shape.to_vec();
        *s.last_mut()
            .expect("StickBreakingTransform needs at least 1 dim") += 1;
        s
    }
    fn inverse_shape(&self, shape: &[usize]) -> Vec<usize> {
        let mut s = shape.to_vec();
        *s.last_mut()
            .expect("StickBreakingTransform needs at least 1 dim") -= 1;
        s
    }
}

/// Unconstrained square matrices to lower-triangular ones with a positive diagonal:
/// the strict lower part is kept, the diagonal exponentiated (`LowerCholeskyTransform`).
pub struct LowerCholeskyTransform;

impl Transform for LowerCholeskyTransform {
    fn repr(&self) -> String {
        "LowerCholeskyTransform()".into()
    }
    fn forward(&self, x: &Tensor) -> Tensor {
        let n = x.size(-1);
        let strict = tril_mask(n, n, x.dtype()) - Tensor::eye_dtype(n, n, x.dtype());
        x * strict + diag_embed(&diagonal(x).exp())
    }
    fn inverse(&self, y: &Tensor) -> Tensor {
        let n = y.size(-1);
        let strict = tril_mask(n, n, y.dtype()) - Tensor::eye_dtype(n, n, y.dtype());
        y * strict + diag_embed(&diagonal(y).log())
    }
    /// The diagonal's sum: `ln |det J| = Σ x_ii` (PyTorch leaves this undefined).
    fn log_abs_det_jacobian(&self, x: &Tensor, _y: &Tensor) -> Result<Tensor> {
        Ok(diagonal(x).sum_dim(-1, false))
    }
    fn domain(&self) -> Constraint {
        Constraint::independent(Constraint::Real, 2)
    }
    fn codomain(&self) -> Constraint {
        Constraint::LowerCholesky
    }
}

/// Index of each `(i, j)` of an `n x n` matrix in the row-major list of the entries
/// with `j - i <= offset` (PyTorch's `tril_indices` order), or `fill` elsewhere.
fn tril_index_map(n: usize, offset: isize, fill: i64) -> (Tensor, Vec<i64>) {
    let mut map = vec![fill; n * n];
    let mut picks = vec![];
    let mut k = 0;
    for i in 0..n {
        for j in 0..n {
            if (j as isize) - (i as isize) <= offset {
                map[i * n + j] = k;
                picks.push((i * n + j) as i64);
                k += 1;
            }
        }
    }
    (Tensor::from_vec(map, &[n * n]), picks)
}

/// The entries below diagonal `offset` of the last two dims, row by row
/// (`tril_matrix_to_vec`).
fn tril_to_vec(y: &Tensor, offset: isize) -> Tensor {
    let n = y.size(-1);
    let (_, picks) = tril_index_map(n, offset, 0);
    let k = picks.len();
    y.flatten_dims(-2, -1)
        .index_select(-1, &Tensor::from_vec(picks, &[k]))
}

/// Maps unconstrained vectors of length `D (D - 1) / 2` to lower Cholesky factors of
/// `D x D` correlation matrices (`CorrCholeskyTransform`): `tanh`, then stick breaking
/// on the squares, row by row. Its log-det-Jacobian is PyTorch's (that of `x` and the
/// flattened strict lower triangle of `y`).
pub struct CorrCholeskyTransform;

impl CorrCholeskyTransform {
    fn dim_of(n: usize) -> usize {
        let d = ((0.25 + 2.0 * n as f64).sqrt() + 0.5).round() as usize;
        assert_eq!(
            d * (d - 1) / 2,
            n,
            "CorrCholeskyTransform: Input is not a flattend lower-diagonal number ({n})"
        );
        d
    }
}

impl Transform for CorrCholeskyTransform {
    fn repr(&self) -> String {
        "CorrCholeskyTransform()".into()
    }
    fn forward(&self, x: &Tensor) -> Tensor {
        let (_, eps) = tiny_eps(x.dtype());
        let x = x.tanh().clamp(Some(-1.0 + eps), Some(1.0 - eps));
        let n = x.size(-1);
        let d = Self::dim_of(n);
        // strictly lower matrix from the vector: index into [x, 0]
        let mut zshape = x.shape().to_vec();
        *zshape.last_mut().expect("1-D") = 1;
        let padded = Tensor::cat(&[x.clone(), Tensor::zeros_dtype(&zshape, x.dtype())], -1);
        let (map, _) = tril_index_map(d, -1, n as i64);
        let mut shape = x.shape()[..x.dim() - 1].to_vec();
        shape.extend([d, d]);
        let r = padded.index_select(-1, &map).reshape(shape);
        let z = r.square();
        // cumprod(sqrt(1 - z)) = exp(cumsum(0.5 * log1p(-z)))
        let cp = cumsum_last(&((-&z).log1p() * 0.5)).exp();
        let mut oshape = r.shape().to_vec();
        *oshape.last_mut().expect("2-D") = 1;
        let shifted = Tensor::cat(
            &[
                Tensor::ones_dtype(&oshape, r.dtype()),
                cp.narrow(-1, 0, d - 1),
            ],
            -1,
        );
        (r + Tensor::eye_dtype(d, d, x.dtype())) * shifted
    }
    fn inverse(&self, y: &Tensor) -> Tensor {
        let d = y.size(-1);
        let c = 1.0 - cumsum_last(&y.square());
        let mut oshape = y.shape().to_vec();
        *oshape.last_mut().expect("2-D") = 1;
        let shifted = Tensor::cat(
            &[
                Tensor::ones_dtype(&oshape, y.dtype()),
                c.narrow(-1, 0, d - 1),
            ],
            -1,
        );
        let t = tril_to_vec(y, -1) / tril_to_vec(&shifted, -1).sqrt();
        (t.log1p() - (-&t).log1p()) * 0.5
    }
    fn log_abs_det_jacobian(&self, x: &Tensor, y: &Tensor) -> Result<Tensor> {
        let c = 1.0 - cumsum_last(&y.square());
        let sb = tril_to_vec(&c, -2).log().sum_dim(-1, false) * 0.5;
        let th = (x + (x * -2.0).softplus() - std::f64::consts::LN_2).sum_dim(-1, false) * -2.0;
        Ok(sb + th)
    }
    fn domain(&self) -> Constraint {
        Constraint::independent(Constraint::Real, 1)
    }
    fn codomain(&self) -> Constraint {
        Constraint::CorrCholesky
    }
    fn forward_shape(&self, shape: &[usize]) -> Vec<usize> {
        let n = *shape
            .last()
            .expect("CorrCholeskyTransform needs at least 1 dim");
        let d = Self::dim_of(n);
        let mut s = shape[..shape.len() - 1].to_vec();
        s.extend([d, d]);
        s
    }
    fn inverse_shape(&self, shape: &[usize]) -> Vec<usize> {
        let r = shape.len();
        let n = shape[r - 2] * (shape[r - 1] - 1) / 2;
        let mut s = shape[..r - 2].to_vec();
        s.push(n);
        s
    }
}

/// Applies `parts` in order (`ComposeTransform`); the empty composition is the identity.
pub struct ComposeTransform {
    /// The transforms, applied first to last.
    pub parts: Vec<TransformRef>,
}

impl ComposeTransform {
    /// `ComposeTransform(parts)`.
    pub fn new(parts: Vec<TransformRef>) -> Arc<ComposeTransform> {
        Arc::new(ComposeTransform { parts })
    }
}

impl Transform for ComposeTransform {
    fn repr(&self) -> String {
        let v: Vec<String> = self.parts.iter().map(|p| p.repr()).collect();
        format!("ComposeTransform(\n    {}\n)", v.join(",\n    "))
    }
    fn forward(&self, x: &Tensor) -> Tensor {
        self.parts.iter().fold(x.clone(), |x, p| p.forward(&x))
    }
    fn inverse(&self, y: &Tensor) -> Tensor {
        self.parts
            .iter()
            .rev()
            .fold(y.clone(), |y, p| p.inverse(&y))
    }
    fn log_abs_det_jacobian(&self, x: &Tensor, y: &Tensor) -> Result<Tensor> {
        if self.parts.is_empty() {
            return Ok(x.zeros_like());
        }
        let mut xs = vec![x.clone()];
        for p in &self.parts[..self.parts.len() - 1] {
            let next = p.forward(xs.last().expect("non-empty"));
            xs.push(next);
        }
        xs.push(y.clone());
        let mut event_dim = self.domain().event_dim();
        let mut total: Option<Tensor> = None;
        for (i, p) in self.parts.iter().enumerate() {
            let term = sum_rightmost(
                &p.log_abs_det_jacobian(&xs[i], &xs[i + 1])?,
                event_dim - p.domain().event_dim(),
            );
            event_dim = event_dim + p.codomain().event_dim() - p.domain().event_dim();
            total = Some(match total {
                None => term,
                Some(t) => t + term,
            });
        }
        Ok(total.expect("non-empty"))
    }
    fn domain(&self) -> Constraint {
        let Some(first) = self.parts.first() else {
            return Constraint::Real;
        };
        let domain = first.domain();
        let mut ed = self.parts.last().expect("non-empty").codomain().event_dim() as isize;
        for p in self.parts.iter().rev() {
            ed -= p.codomain().event_dim() as isize;
            ed += p.domain().event_dim() as isize;
            ed = ed.max(p.domain().event_dim() as isize);
        }
        let base = domain.event_dim() as isize;
        if ed > base {
            Constraint::independent(domain, (ed - base) as usize)
        } else {
            domain
        }
    }
    fn codomain(&self) -> Constraint {
        let Some(last) = self.parts.last() else {
            return Constraint::Real;
        };
        let codomain = last.codomain();
        let mut ed = self.parts[0].domain().event_dim() as isize;
        for p in &self.parts {
            ed -= p.domain().event_dim() as isize;
            ed += p.codomain().event_dim() as isize;
            ed = ed.max(p.codomain().event_dim() as isize);
        }
        let base = codomain.event_dim() as isize;
        if ed > base {
            Constraint::independent(codomain, (ed - base) as usize)
        } else {
            codomain
        }
    }
    fn bijective(&self) -> bool {
        self.parts.iter().all(|p| p.bijective())
    }
    fn sign(&self) -> Result<Tensor> {
        let mut s = one();
        for p in &self.parts {
            s = s * p.sign()?;
        }
        Ok(s)
    }
    fn forward_shape(&self, shape: &[usize]) -> Vec<usize> {
        self.parts
            .iter()
            .fold(shape.to_vec(), |s, p| p.forward_shape(&s))
    }
    fn inverse_shape(&self, shape: &[usize]) -> Vec<usize> {
        self.parts
            .iter()
            .rev()
            .fold(shape.to_vec(), |s, p| p.inverse_shape(&s))
    }
}
