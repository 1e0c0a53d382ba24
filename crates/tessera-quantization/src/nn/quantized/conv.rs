//! Quantized 2-D convolution: [`PackedConv2d`] (`quantized::conv2d_prepack`) and the op.

use super::layout::{act_qparams, check_out_qparams, from_nhwc, par_panels, par_rows, with_nhwc};
use super::linear::{bias_vec, pack_weight};
use crate::QTensor;
use tessera_core::runtime::pool::usable_threads;
use tessera_core::runtime::Output;
use tessera_core::Tensor;
use tessera_kernels::quant::{
    qconv2d_nhwc, qconv2d_nhwc_panels, Conv2dShape, PackedConvWeightI8, QGemmParams, PANEL_COLS,
};
use tessera_nn::functional::{ConvOptions, Padding};

/// The explicit `(h, w)` padding of `o` for a `kernel` (`"same"` only when it is
/// symmetric, as PyTorch's quantized convolutions require).
fn explicit_padding(op: &str, o: &ConvOptions, kernel: (usize, usize)) -> (usize, usize) {
    match o.padding {
        Padding::Explicit(h, w) => (h, w),
        Padding::Valid => (0, 0),
        Padding::Same => {
            let th = o.dilation.0 * (kernel.0.max(1) - 1);
            let tw = o.dilation.1 * (kernel.1.max(1) - 1);
            assert!(
                o.stride == (1, 1) && th.is_multiple_of(2) && tw.is_multiple_of(2),
                "{op}: padding='same' needs stride 1 and a symmetric padding (kernel {kernel:?}, \
                 dilation {:?})",
                o.dilation
            );
            (th / 2, tw / 2)
        }
    }
}

/// A `qint8` convolution weight `[out, in / groups, kh, kw]` (per tensor, or per channel
/// along axis 0), an optional f32 bias and the convolution's options, packed for the int8
/// kernels (PyTorch's `torch.ops.quantized.conv2d_prepack`).
#[derive(Clone)]
pub struct PackedConv2d {
    packed: PackedConvWeightI8,
    weight: QTensor,
    bias: Option<Tensor>,
    bias_f32: Option<Vec<f32>>,
    options: ConvOptions,
}

impl PackedConv2d {
    /// Packs `weight` and `bias` with `options` (stride, padding, dilation, groups).
    ///
    /// # Panics
    /// If the weight is not a 4-D `qint8` tensor quantized per tensor or per channel along
    /// axis 0, `groups` does not divide its output channels, or the bias does not match.
    pub fn new(weight: &QTensor, bias: Option<&Tensor>, options: ConvOptions) -> PackedConv2d {
        let op = "quantized::conv2d_prepack";
        assert_eq!(
            weight.dim(),
            4,
            "{op}: the weight must be 4-D [out, in / groups, kh, kw], got shape {:?}",
            weight.shape()
        );
        let s = weight.shape();
        let (oc, cg, kh, kw) = (s[0], s[1], s[2], s[3]);
        PackedConv2d {
            packed: pack_weight(op, weight, oc, |w, q| {
                PackedConvWeightI8::pack(w, oc, cg, (kh, kw), options.groups, q)
            }),
            weight: weight.clone(),
            bias: bias.cloned(),
            bias_f32: bias_vec(op, bias, oc),
            options,
        }
    }

    /// The quantized weight (`conv2d_unpack`).
    pub fn weight(&self) -> &QTensor {
        &self.weight
    }
    /// The float bias.
    pub fn bias(&self) -> Option<&Tensor> {
        self.bias.as_ref()
    }
    /// Stride, padding, dilation and groups.
    pub fn options(&self) -> ConvOptions {
        self.options
    }
}

/// `torch.ops.quantized.conv2d(x, packed, scale, zero_point)` (and `conv2d_relu` when
/// `relu`): `x` is a 4-D `quint8` per-tensor tensor `[N, C, H, W]` (any layout); the
/// result is `quint8` with the given qparams, channels-last, equal bit for bit to
/// PyTorch's fbgemm engine (but see `tessera_kernels::quant::qconv2d_nhwc` on depthwise
/// convolutions with 8-bit activations). Threaded over the output pixels, or over the
/// output channels when the weights outweigh the (im2col'd) input, as in the last stages of
/// a ResNet at batch 1.
///
/// # Panics
/// If `x` is not 4-D per-tensor `quint8`, its channels do not match the weight, the kernel
/// is larger than the padded input, or the output qparams are out of range.
pub fn conv2d(x: &QTensor, w: &PackedConv2d, scale: f64, zero_point: i64, relu: bool) -> QTensor {
    let op = if relu {
        "quantized::conv2d_relu"
    } else {
        "quantized::conv2d"
    };
    let (a_scale, a_zp) = act_qparams(op, x);
    check_out_qparams(op, scale, zero_point);
    let ws = w.weight.shape();
    let o = w.options;
    assert!(
        x.dim() == 4 && x.shape()[1] == ws[1] * o.groups,
        "{op}: input of shape {:?} does not match the weight {:?} with groups={}",
        x.shape(),
        ws,
        o.groups
    );
    let shape = Conv2dShape {
        batch: x.shape()[0],
        in_channels: x.shape()[1],
        input: (x.shape()[2], x.shape()[3]),
        out_channels: ws[0],
        kernel: (ws[2], ws[3]),
        stride: o.stride,
        padding: explicit_padding(op, &o, (ws[2], ws[3])),
        dilation: o.dilation,
        groups: o.groups,
    };
    let (oh, ow) = shape.output();
    let rq = w.packed.requant(&QGemmParams {
        a_scale,
        a_zero_point: a_zp,
        bias: w.bias_f32.as_deref(),
        out_scale: scale as f32,
        out_zero_point: zero_point as i32,
        relu,
    });
    let oc = shape.out_channels;
    // Zeroed memory that may be a dropped tensor's buffer (no page faults from call to call).
    let mut buf = Output::<u8>::zeroed(op, shape.out_pixels() * oc);
    let out = buf.as_mut_slice();
    let macs_per_pixel = ws[1] * ws[2] * ws[3] * oc;
    with_nhwc(op, x, |input| {
        let panels = w.packed.group(0).panels();
        let threads = usable_threads();
        // Few output pixels and large weights (ResNet's last stages at batch 1): split the
        // output channels, so each thread reads its part of the weights once, rather than
        // the pixels, which makes every thread read all of them.
        let weight_bytes = panels * PANEL_COLS * macs_per_pixel / oc;
        let input_bytes = shape.out_pixels() * macs_per_pixel / oc;
        if o.groups == 1 && threads > 1 && panels >= threads && weight_bytes > input_bytes {
            let all = 0..shape.out_pixels();
            par_panels(out, oc, panels, threads, |ps, part| {
                qconv2d_nhwc_panels(input, &shape, &w.packed, &rq, all.clone(), ps, part);
            });
            return;
        }
        par_rows(out, oc, 1, macs_per_pixel, |p0, chunk| {
            let p1 = p0 + chunk.len() / oc;
            qconv2d_nhwc(input, &shape, &w.packed, &rq, p0..p1, chunk);
        });
    });
    from_nhwc(buf.into_vec(), [shape.batch, oc, oh, ow], scale, zero_point)
}
