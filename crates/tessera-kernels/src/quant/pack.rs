//! The packed i8 weight matrix: panels of [`PANEL_COLS`] output channels, the reduction
//! dimension in groups of four bytes (the operand layout of `vpdpbusd`), with the
//! quantization parameters and FBGEMM's column offsets.

/// Output channels per packed panel (two 512-bit vectors of i32 accumulators).
pub const PANEL_COLS: usize = 32;

/// How i8 weights are quantized: one scale and zero point, or one per output channel
/// (PyTorch's `per_tensor_affine` / `per_channel_affine` along axis 0).
#[derive(Clone, Copy, Debug)]
pub enum WeightQuant<'a> {
    /// One scale and zero point for the whole matrix.
    PerTensor {
        /// The scale, as the f32 FBGEMM keeps (PyTorch's f64 `q_scale()` rounded to f32).
        scale: f32,
        /// The zero point, in `[-128, 127]`.
        zero_point: i32,
    },
    /// One scale and zero point per output channel (row of the `[n, k]` weight).
    PerChannel {
        /// `n` scales (f32 roundings of PyTorch's f64 per-channel scales).
        scales: &'a [f32],
        /// `n` zero points, each in `[-128, 127]`.
        zero_points: &'a [i32],
    },
}

/// An `[n, k]` i8 weight matrix (`n` output channels, reduction length `k`), packed for
/// [`qgemm_u8i8`](super::qgemm_u8i8), with its quantization parameters and column offsets
/// `col_offset[j] = sum_k w[j, k] - k * zp[j]` (FBGEMM's `col_offsets`, computed in
/// wrapping i32 arithmetic).
///
/// ```
/// use tessera_kernels::quant::{PackedWeightI8, WeightQuant};
/// let w: Vec<i8> = vec![1, -2, 3, 4, 5, -6]; // [2, 3]
/// let p = PackedWeightI8::pack(&w, 2, 3, WeightQuant::PerTensor { scale: 0.5, zero_point: 1 });
/// assert_eq!(p.col_offsets(), &[2 - 3, 3 - 3]);
/// assert_eq!(p.unpack(), w);
/// ```
#[derive(Clone, Debug)]
pub struct PackedWeightI8 {
    n: usize,
    k: usize,
    /// `k` rounded up to a multiple of 4.
    kp: usize,
    /// `ceil(n / PANEL_COLS)` panels of `kp * PANEL_COLS` bytes: `[k / 4][PANEL_COLS][4]`,
    /// zero-padded past `n` and `k`.
    data: Vec<i8>,
    col_offsets: Vec<i32>,
    /// One per output channel (a per-tensor value repeated).
    scales: Vec<f32>,
    zero_points: Vec<i32>,
    per_channel: bool,
}

impl PackedWeightI8 {
    /// Packs the row-major `[n, k]` matrix `w` (row `j` is output channel `j`).
    ///
    /// # Panics
    /// If `w.len() != n * k`, if per-channel slices do not have `n` entries, or if a zero
    /// point is outside `[-128, 127]`.
    pub fn pack(w: &[i8], n: usize, k: usize, quant: WeightQuant<'_>) -> Self {
        assert_eq!(
            w.len(),
            n * k,
            "PackedWeightI8::pack: weight slice of length {} is not [n={n}, k={k}]",
            w.len()
        );
        let (scales, zero_points, per_channel) = match quant {
            WeightQuant::PerTensor { scale, zero_point } => {
                (vec![scale; n], vec![zero_point; n], false)
            }
            WeightQuant::PerChannel {
                scales,
                zero_points,
            } => {
                assert!(
                    scales.len() == n && zero_points.len() == n,
                    "PackedWeightI8::pack: per-channel qparams have {} scales and {} zero \
                     points for n={n} output channels",
                    scales.len(),
                    zero_points.len()
                );
                (scales.to_vec(), zero_points.to_vec(), true)
            }
        };
        if let Some(z) = zero_points.iter().find(|z| !(-128..=127).contains(*z)) {
            panic!("PackedWeightI8::pack: weight zero point {z} is outside [-128, 127] (qint8)");
        }
        let kp = k.div_ceil(4) * 4;
        let panels = n.div_ceil(PANEL_COLS);
        let mut data = vec![0i8; panels * kp * PANEL_COLS];
        for j in 0..n {
            let (panel, c) = (j / PANEL_COLS, j % PANEL_COLS);
            let base = panel * kp * PANEL_COLS;
            for (kk, &v) in w[j * k..(j + 1) * k].iter().enumerate() {
                data[base + (kk / 4) * PANEL_COLS * 4 + c * 4 + kk % 4] = v;
            }
        }
        let col_offsets = (0..n)
            .map(|j| {
                let sum = w[j * k..(j + 1) * k]
                    .iter()
                    .fold(0i32, |s, &v| s.wrapping_add(v as i32));
                sum.wrapping_sub(zero_points[j].wrapping_mul(k as i32))
            })
            .collect();
        PackedWeightI8 {
            n,
            k,
            kp,
            data,
            col_offsets,
            scales,
            zero_points,
            per_channel,
        }
    }

    /// The row-major `[n, k]` weights back.
    pub fn unpack(&self) -> Vec<i8> {
        let mut w = vec![0i8; self.n * self.k];
        for j in 0..self.n {
            let (panel, c) = (j / PANEL_COLS, j % PANEL_COLS);
            let base = panel * self.kp * PANEL_COLS;
            for kk in 0..self.k {
                w[j * self.k + kk] = self.data[base + (kk / 4) * PANEL_COLS * 4 + c * 4 + kk % 4];
            }
        }
        w
    }

    /// Output channels.
    pub fn n(&self) -> usize {
        self.n
    }
    /// Reduction length.
    pub fn k(&self) -> usize {
        self.k
    }
    /// `k` rounded up to a multiple of 4 (the packed reduction length).
    pub(crate) fn kp(&self) -> usize {
        self.kp
    }
    /// Whether the weights were packed with per-channel qparams.
    pub fn is_per_channel(&self) -> bool {
        self.per_channel
    }
    /// The scales, one per output channel (a per-tensor scale repeated `n` times).
    pub fn scales(&self) -> &[f32] {
        &self.scales
    }
    /// The zero points, one per output channel.
    pub fn zero_points(&self) -> &[i32] {
        &self.zero_points
    }
    /// FBGEMM's column offsets, `sum_k w[j, k] - k * zp[j]` (wrapping).
    pub fn col_offsets(&self) -> &[i32] {
        &self.col_offsets
    }
    /// Whether some weight zero point is nonzero (then the GEMM needs row offsets).
    pub(crate) fn has_weight_zero_point(&self) -> bool {
        self.zero_points.iter().any(|&z| z != 0)
    }
    /// Panel `p`: `kp * PANEL_COLS` bytes.
    pub(crate) fn panel(&self, p: usize) -> &[i8] {
        let len = self.kp * PANEL_COLS;
        &self.data[p * len..(p + 1) * len]
    }
    /// Number of panels of [`PANEL_COLS`] output channels (the last one zero-padded).
    pub fn panels(&self) -> usize {
        self.n.div_ceil(PANEL_COLS)
    }
}
