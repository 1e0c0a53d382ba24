//! `nn.Conv1d` and `nn.Conv2d`.

use crate::functional::{self, ConvOptions};
use crate::module::{Member, Module, Slot};
use tessera_core::Tensor;

/// 2-D convolution (`nn.Conv2d(in, out, kernel_size, stride, padding, dilation, groups,
/// bias)`): `weight` `[out, in / groups, kH, kW]`, `bias` `[out]`, PyTorch's default init.
pub struct Conv2d {
    /// `[out_channels, in_channels / groups, kH, kW]`
    pub weight: Slot,
    /// `[out_channels]`, if made with `bias = true`.
    pub bias: Option<Slot>,
    /// Stride, padding, dilation, groups.
    pub options: ConvOptions,
}

impl Conv2d {
    /// A `kernel x kernel` convolution.
    ///
    /// # Panics
    /// If the channels are not divisible by `options.groups`.
    pub fn new(cin: usize, cout: usize, kernel: usize, options: ConvOptions, bias: bool) -> Conv2d {
        Conv2d::with_kernel(cin, cout, (kernel, kernel), options, bias)
    }

    /// A `kh x kw` convolution.
    ///
    /// # Panics
    /// If the channels are not divisible by `options.groups`.
    pub fn with_kernel(
        cin: usize,
        cout: usize,
        (kh, kw): (usize, usize),
        options: ConvOptions,
        bias: bool,
    ) -> Conv2d {
        let g = options.groups;
        assert!(
            g > 0 && cin.is_multiple_of(g) && cout.is_multiple_of(g),
            "Conv2d: in_channels ({cin}) and out_channels ({cout}) must be divisible by groups ({g})"
        );
        let (weight, bias) = super::default_weight_bias(&[cout, cin / g, kh, kw], bias);
        Conv2d {
            weight,
            bias,
            options,
        }
    }
}

impl Module for Conv2d {
    fn forward(&self, x: &Tensor) -> Tensor {
        let b = self.bias.as_ref().map(Slot::get);
        functional::conv2d(x, &self.weight.get(), b.as_ref(), self.options)
    }
    fn visit<'a>(&'a self, f: &mut dyn FnMut(Member<'a>)) {
        f(Member::Parameter("weight", &self.weight));
        if let Some(b) = &self.bias {
            f(Member::Parameter("bias", b));
        }
    }
    crate::as_dyn!();
}

/// 1-D convolution (`nn.Conv1d`): `weight` `[out, in / groups, k]`; options use their
/// second component.
pub struct Conv1d {
    /// `[out_channels, in_channels / groups, k]`
    pub weight: Slot,
    /// `[out_channels]`, if made with `bias = true`.
    pub bias: Option<Slot>,
    /// Stride, padding, dilation, groups.
    pub options: ConvOptions,
}

impl Conv1d {
    /// A convolution with a kernel of `kernel` taps.
    ///
    /// # Panics
    /// If the channels are not divisible by `options.groups`.
    pub fn new(cin: usize, cout: usize, kernel: usize, options: ConvOptions, bias: bool) -> Conv1d {
        let g = options.groups;
        assert!(
            g > 0 && cin.is_multiple_of(g) && cout.is_multiple_of(g),
            "Conv1d: in_channels ({cin}) and out_channels ({cout}) must be divisible by groups ({g})"
        );
        let (weight, bias) = super::default_weight_bias(&[cout, cin / g, kernel], bias);
        Conv1d {
            weight,
            bias,
            options,
        }
    }
}

impl Module for Conv1d {
    fn forward(&self, x: &Tensor) -> Tensor {
        let b = self.bias.as_ref().map(Slot::get);
        functional::conv1d(x, &self.weight.get(), b.as_ref(), self.options)
    }
    fn visit<'a>(&'a self, f: &mut dyn FnMut(Member<'a>)) {
        f(Member::Parameter("weight", &self.weight));
        if let Some(b) = &self.bias {
            f(Member::Parameter("bias", b));
        }
    }
    crate::as_dyn!();
}
