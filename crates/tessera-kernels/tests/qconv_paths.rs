//! Every path of `qconv2d_nhwc` (in-place runs with and without padding, taps gathered
//! when a kernel row's bytes are no multiple of 4, im2col for groups and horizontal
//! dilation, pointwise) against the definition: an explicit im2col (padding filled with
//! the activation zero point) through `qgemm_u8i8_reference`, on every backend, over odd
//! sizes, strides, paddings, batches, partial tiles and split pixel ranges.

mod common;
use common::Lcg;
use tessera_kernels::quant::*;
use tessera_kernels::{available_backends, with_backend};

/// The convolution written plainly: per group, the im2col matrix `[pixels, kh * kw * cg]`
/// ordered `(ky, kx, c)`, then the reference GEMM.
fn reference(x: &[u8], s: &Conv2dShape, w: &PackedConvWeightI8, rq: &[Requant]) -> Vec<u8> {
    let (oh, ow) = s.output();
    let (h, wd) = s.input;
    let (kh, kw) = s.kernel;
    let g = s.groups;
    let (cg, og) = (s.in_channels / g, s.out_channels / g);
    let kg = kh * kw * cg;
    let px = s.out_pixels();
    let mut out = vec![0u8; px * s.out_channels];
    for gi in 0..g {
        let zp = rq[gi].clone();
        let mut cols = vec![0u8; px * kg];
        for p in 0..px {
            let (b, oy, ox) = (p / (oh * ow), p % (oh * ow) / ow, p % ow);
            for ky in 0..kh {
                for kx in 0..kw {
                    let iy = (oy * s.stride.0 + ky * s.dilation.0) as isize - s.padding.0 as isize;
                    let ix = (ox * s.stride.1 + kx * s.dilation.1) as isize - s.padding.1 as isize;
                    for ci in 0..cg {
                        let v = if iy >= 0 && ix >= 0 && (iy as usize) < h && (ix as usize) < wd {
                            let (iy, ix) = (iy as usize, ix as usize);
                            x[((b * h + iy) * wd + ix) * s.in_channels + gi * cg + ci]
                        } else {
                            ACT_ZP
                        };
                        cols[p * kg + (ky * kw + kx) * cg + ci] = v;
                    }
                }
            }
        }
        let mut part = vec![0u8; px * og];
        qgemm_u8i8_reference(&cols, px, kg, w.group(gi), &zp, &mut part, og);
        for p in 0..px {
            out[p * s.out_channels + gi * og..p * s.out_channels + (gi + 1) * og]
                .copy_from_slice(&part[p * og..(p + 1) * og]);
        }
    }
    out
}

const ACT_ZP: u8 = 61;

#[test]
fn every_conv_path_equals_the_definition_on_every_backend() {
    let mut rng = Lcg(29);
    // (batch, c, (h, w), oc, kernel, stride, padding, dilation, groups)
    #[allow(clippy::type_complexity)]
    let shapes: [(
        usize,
        usize,
        (usize, usize),
        usize,
        (usize, usize),
        (usize, usize),
        (usize, usize),
        (usize, usize),
        usize,
    ); 14] = [
        (2, 16, (9, 11), 40, (3, 3), (1, 1), (1, 1), (1, 1), 1),
        (1, 8, (7, 5), 33, (3, 3), (2, 2), (1, 1), (1, 1), 1),
        (3, 4, (6, 6), 32, (3, 3), (1, 1), (0, 0), (1, 1), 1),
        (2, 12, (8, 7), 64, (1, 1), (2, 2), (0, 0), (1, 1), 1),
        (1, 3, (13, 12), 16, (7, 7), (2, 2), (3, 3), (1, 1), 1),
        (2, 5, (6, 9), 20, (3, 2), (1, 2), (2, 0), (1, 1), 1),
        (1, 8, (10, 10), 24, (3, 3), (1, 1), (2, 2), (2, 1), 1),
        (2, 20, (5, 4), 70, (2, 3), (3, 1), (1, 2), (1, 1), 1),
        (1, 8, (9, 9), 16, (3, 3), (1, 1), (2, 2), (1, 2), 1),
        (2, 8, (6, 7), 12, (3, 3), (1, 1), (1, 1), (1, 1), 4),
        (1, 6, (5, 5), 6, (3, 3), (2, 1), (1, 1), (1, 1), 6),
        (2, 16, (4, 6), 40, (1, 1), (1, 1), (0, 0), (1, 1), 1),
        (1, 4, (1, 1), 8, (3, 3), (1, 1), (1, 1), (1, 1), 1),
        (2, 64, (3, 17), 64, (3, 3), (1, 1), (1, 1), (1, 1), 1),
    ];
    for (t, &(batch, c, input, oc, kernel, stride, padding, dilation, groups)) in
        shapes.iter().enumerate()
    {
        let s = Conv2dShape {
            batch,
            in_channels: c,
            input,
            out_channels: oc,
            kernel,
            stride,
            padding,
            dilation,
            groups,
        };
        let n = batch * input.0 * input.1 * c;
        let x: Vec<u8> = (0..n).map(|_| rng.below(256) as u8).collect();
        let wlen = oc * (c / groups) * kernel.0 * kernel.1;
        let wv: Vec<i8> = (0..wlen).map(|_| rng.below(256) as u8 as i8).collect();
        let scales: Vec<f32> = (0..oc).map(|j| 0.002 + j as f32 * 1e-4).collect();
        // Nonzero weight zero points on odd shapes: the row offsets sum the in-place runs.
        let zps: Vec<i32> = (0..oc)
            .map(|j| if t % 2 == 1 { j as i32 % 5 - 2 } else { 0 })
            .collect();
        let bias: Vec<f32> = (0..oc).map(|j| j as f32 * 0.3 - 5.0).collect();
        let w = PackedConvWeightI8::pack(
            &wv,
            oc,
            c / groups,
            kernel,
            groups,
            WeightQuant::PerChannel {
                scales: &scales,
                zero_points: &zps,
            },
        );
        let rq = w.requant(&QGemmParams {
            a_scale: 0.03,
            a_zero_point: ACT_ZP as i32,
            bias: Some(&bias),
            out_scale: 0.4,
            out_zero_point: 90,
            relu: t % 3 == 0,
        });
        let want = reference(&x, &s, &w, &rq);
        let px = s.out_pixels();
        for b in available_backends() {
            for splits in [1, 3, 7] {
                let mut got = vec![0xAAu8; px * oc];
                let step = px.div_ceil(splits).max(1);
                with_backend(b, || {
                    for (i, chunk) in got.chunks_mut(step * oc).enumerate() {
                        let p0 = i * step;
                        let p1 = p0 + chunk.len() / oc;
                        qconv2d_nhwc(&x, &s, &w, &rq, p0..p1, chunk);
                    }
                });
                assert_eq!(got, want, "shape {t} ({s:?}) on {b:?}, {splits} splits");
            }
        }
    }
}
