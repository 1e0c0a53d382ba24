//! Fake quantization for quantization-aware training: `x` quantized and dequantized in
//! float (`torch.fake_quantize_per_tensor_affine`, `..._per_channel_affine`), with the
//! straight-through gradient, and the [`FakeQuantize`] module.
//!
//! The arithmetic is ATen's: `q = (int64)(zp + round_half_even(x * (1.0f32 / scale)))` (an
//! `f32` sum; NaN gives `qmin`; `+inf` gives `qmax` per tensor but `qmin` per channel,
//! as PyTorch's x86 kernels do), `y = ((clamp(q, qmin, qmax) - zp) as f64 * scale as f64) as f32`; the gradient is
//! the output gradient where `qmin <= q <= qmax` and 0 elsewhere.

use crate::observer::{Observer, ObserverSpec};
use std::sync::{Arc, Mutex};
use tessera_core::autograd::{custom_op_saving, Saves};
use tessera_core::{DType, Tensor};

/// The `int64` conversion of ATen's x86 kernels: NaN gives `i64::MIN`; beyond the range
/// the per-tensor kernel saturates, the per-channel one gives `i64::MIN` (`cvttss2si`).
fn to_i64(v: f32, saturate: bool) -> i64 {
    if v.is_nan() {
        i64::MIN
    } else if saturate || (-9.223372e18f32..9.223372e18f32).contains(&v) {
        v as i64
    } else {
        i64::MIN
    }
}

/// One value: `(y, in_range)`.
#[inline]
fn fake_one(
    x: f32,
    scale: f32,
    inv: f32,
    zp: i64,
    q_range: (i64, i64),
    saturate: bool,
) -> (f32, bool) {
    let (qmin, qmax) = q_range;
    let q = to_i64(zp as f32 + (x * inv).round_ties_even(), saturate);
    let c = q.clamp(qmin, qmax);
    (
        (((c - zp) as f64) * scale as f64) as f32,
        q >= qmin && q <= qmax,
    )
}

/// Runs the op on `x` with per-channel `(scale, zp)` over `[outer, channels, inner]`.
fn fake_quant(
    name: &'static str,
    x: &Tensor,
    scales: &[f32],
    zps: &[i64],
    inner: usize,
    (qmin, qmax): (i64, i64),
    per_channel: bool,
) -> Tensor {
    assert_eq!(
        x.dtype(),
        DType::F32,
        "{name}: expects an F32 tensor, got {}",
        x.dtype()
    );
    if qmin > qmax {
        panic!("`quant_min` should be less than or equal to `quant_max`.");
    }
    let v: Vec<f32> = x.detach().to_vec();
    let mut y = vec![0f32; v.len()];
    let mut mask = vec![0f32; v.len()];
    let c = scales.len();
    for (i, (&xv, (yv, m))) in v.iter().zip(y.iter_mut().zip(mask.iter_mut())).enumerate() {
        let ch = (i / inner.max(1)) % c.max(1);
        let s = scales[ch];
        let (r, ok) = fake_one(xv, s, 1.0f32 / s, zps[ch], (qmin, qmax), !per_channel);
        *yv = r;
        *m = if ok { 1.0 } else { 0.0 };
    }
    let shape = x.shape().to_vec();
    let mask = Tensor::from_vec(mask, &shape);
    let saved = mask.clone();
    custom_op_saving(
        name,
        &[x],
        Saves::Nothing,
        &[&mask],
        || Tensor::from_vec(y, &shape),
        move |g, _, _| vec![Some(g * &saved)],
    )
}

/// `torch.fake_quantize_per_tensor_affine(x, scale, zero_point, quant_min, quant_max)`:
/// `x` quantized and dequantized, in `F32`, differentiable with the straight-through
/// gradient (1 where the value was in range, 0 where it was clamped).
///
/// ```
/// use tessera_core::tensor;
/// use tessera_quantization::fake_quantize_per_tensor_affine;
/// let x = tensor!([0.04, 0.26, 100.0]);
/// x.requires_grad_(true);
/// let y = fake_quantize_per_tensor_affine(&x, 0.1, 0, 0, 255);
/// assert_eq!(y.to_vec::<f32>(), vec![0.0, 0.3, 25.5]);
/// y.sum().backward();
/// assert_eq!(x.grad().unwrap().to_vec::<f32>(), vec![1.0, 1.0, 0.0]);
/// ```
///
/// # Panics
/// If `x` is not `F32`, or `quant_min > quant_max` (PyTorch's text).
pub fn fake_quantize_per_tensor_affine(
    x: &Tensor,
    scale: f64,
    zero_point: i64,
    quant_min: i64,
    quant_max: i64,
) -> Tensor {
    fake_quant(
        "fake_quantize_per_tensor_affine",
        x,
        &[scale as f32],
        &[zero_point],
        x.numel(),
        (quant_min, quant_max),
        false,
    )
}

/// `torch.fake_quantize_per_channel_affine(x, scales, zero_points, axis, quant_min,
/// quant_max)`: as [`fake_quantize_per_tensor_affine`] with the scale (as `f32`) and zero
/// point of each index along `axis`.
///
/// # Panics
/// If `x` is not `F32`, `axis` is out of range, the lengths of `scales` and
/// `zero_points` differ from dim `axis`, or `quant_min > quant_max`.
pub fn fake_quantize_per_channel_affine(
    x: &Tensor,
    scales: &Tensor,
    zero_points: &Tensor,
    axis: isize,
    quant_min: i64,
    quant_max: i64,
) -> Tensor {
    let a = tessera_core::layout::normalize_dim("fake_quantize_per_channel_affine", axis, x.dim());
    let c = x.shape()[a];
    assert!(
        scales.numel() == c && zero_points.numel() == c,
        "fake_quantize_per_channel_affine: dimensions of scale and zero-point are not consistent with input tensor ({} scales, {} zero points, {c} channels along axis {a} of {:?})",
        scales.numel(),
        zero_points.numel(),
        x.shape()
    );
    let s: Vec<f32> = scales.to_dtype(DType::F32).to_vec();
    let z: Vec<i64> = zero_points.to_dtype(DType::I64).to_vec();
    let inner = x.shape()[a + 1..].iter().product();
    fake_quant(
        "fake_quantize_per_channel_affine",
        x,
        &s,
        &z,
        inner,
        (quant_min, quant_max),
        true,
    )
}

/// `torch.ao.quantization.FakeQuantize`: observes its input (when the observer is
/// enabled), takes the observer's current qparams, and fake-quantizes (when enabled).
///
/// ```
/// use tessera_core::tensor;
/// use tessera_quantization::{observer::ObserverSpec, FakeQuantize};
/// let fq = FakeQuantize::new(ObserverSpec::moving_average_min_max().quant_range(0, 255));
/// let y = fq.forward(&tensor!([-1.0, 0.0, 1.0]));
/// assert_eq!(fq.zero_point(), vec![127]); // as PyTorch: -1 / (2/255 in f32) is -127.49999
/// assert_eq!(y.shape(), &[3]);
/// ```
pub struct FakeQuantize {
    observer: Arc<dyn Observer>,
    /// `(scale, zero_point)` as the last observation set them (`[1.0]`, `[0]` at first).
    qparams: Mutex<(Vec<f32>, Vec<i64>)>,
    observer_enabled: std::sync::atomic::AtomicBool,
    fake_quant_enabled: std::sync::atomic::AtomicBool,
}

impl FakeQuantize {
    /// A `FakeQuantize` around a fresh observer from `observer` (PyTorch's default is
    /// `MovingAverageMinMaxObserver`).
    ///
    /// # Panics
    /// As the observer's constructor.
    pub fn new(observer: ObserverSpec) -> FakeQuantize {
        FakeQuantize {
            observer: observer.build(),
            qparams: Mutex::new((vec![1.0], vec![0])),
            observer_enabled: true.into(),
            fake_quant_enabled: true.into(),
        }
    }

    /// The observer (`activation_post_process`).
    pub fn observer(&self) -> &Arc<dyn Observer> {
        &self.observer
    }

    /// The current scales.
    pub fn scale(&self) -> Vec<f32> {
        self.qparams.lock().unwrap().0.clone()
    }

    /// The current zero points.
    pub fn zero_point(&self) -> Vec<i64> {
        self.qparams.lock().unwrap().1.clone()
    }

    /// `enable_observer(enabled)`.
    pub fn enable_observer(&self, enabled: bool) {
        self.observer_enabled
            .store(enabled, std::sync::atomic::Ordering::Relaxed);
    }

    /// `enable_fake_quant(enabled)`.
    pub fn enable_fake_quant(&self, enabled: bool) {
        self.fake_quant_enabled
            .store(enabled, std::sync::atomic::Ordering::Relaxed);
    }

    /// `forward(x)`: observe, update the qparams, fake-quantize (differentiable).
    ///
    /// # Panics
    /// As [`fake_quantize_per_tensor_affine`] and the observer's `forward`.
    pub fn forward(&self, x: &Tensor) -> Tensor {
        use std::sync::atomic::Ordering::Relaxed;
        if self.observer_enabled.load(Relaxed) {
            self.observer.forward(&x.detach());
            let (s, z) = self.observer.calculate_qparams();
            *self.qparams.lock().unwrap() = (s.to_vec(), z.to_vec());
        }
        if !self.fake_quant_enabled.load(Relaxed) {
            return x.clone();
        }
        let (s, z) = self.qparams.lock().unwrap().clone();
        let (qmin, qmax) = self.observer.quant_range();
        match self.observer.ch_axis() {
            Some(axis) => fake_quantize_per_channel_affine(
                x,
                &Tensor::from_vec(s.clone(), &[s.len()]),
                &Tensor::from_vec(z.clone(), &[z.len()]),
                axis,
                qmin,
                qmax,
            ),
            None => fake_quantize_per_tensor_affine(x, s[0] as f64, z[0], qmin, qmax),
        }
    }
}
