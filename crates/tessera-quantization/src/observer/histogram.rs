//! `HistogramObserver`: a running histogram of the values, and PyTorch's search for the
//! `[min, max]` sub-range whose quantization error (L2, over the histogram) is least.
//!
//! Each step is PyTorch's in its dtypes (`f32` tensors, `f64` Python scalars cast to
//! `f32` where they meet a tensor): `torch.histc`, `torch.linspace`, `bucketize`,
//! `bincount`, floor division. One difference: PyTorch sums the error terms of a
//! candidate range with its vectorized `f32` reduction, tessera in `f64` rounded to `f32`;
//! the search compares those sums, so the two could only part on a near-tie. Hand-written:
//! these are PyTorch's own formulas, which no crate reproduces.

use super::minmax::{aminmax, as_f32, Uniform};
use super::qparams::{qparams, warn_not_run};
use super::{qparams_tensors, Observer, ObserverKind, ObserverSpec};
use std::sync::Mutex;
use tessera_core::Tensor;

/// `torch.linspace(start, end, steps)` for `f32` on the CPU: `start + step * i` for the
/// first half, `end - step * (steps - 1 - i)` for the rest, in `f32`.
fn linspace_f32(start: f32, end: f32, steps: usize) -> Vec<f32> {
    if steps == 1 {
        return vec![start];
    }
    let step = (end - start) / (steps - 1) as f32;
    let half = steps / 2;
    (0..steps)
        .map(|i| {
            if i < half {
                start + step * i as f32
            } else {
                end - step * (steps - 1 - i) as f32
            }
        })
        .collect()
}

/// `torch.histc(x, bins, min, max)` in `f32`: `min == max` takes the data's range, a
/// still empty range grows by 1 on each side; values outside are not counted; the last
/// bin is closed.
///
/// # Panics
/// With PyTorch's text if the range is not finite.
fn histc(x: &[f32], bins: usize, min: f64, max: f64) -> Vec<f32> {
    let (mut lo, mut hi) = (min, max);
    if lo == hi && !x.is_empty() {
        let (a, b) = aminmax(x);
        lo = a as f64;
        hi = b as f64;
    }
    if lo == hi {
        lo -= 1.0;
        hi += 1.0;
    }
    if !(lo.is_finite() && hi.is_finite()) {
        // C++'s stream output, as PyTorch's message has it: `nan`, `inf`.
        let c = |v: f64| format!("{v}").to_lowercase();
        panic!("torch.histc: range of [{}, {}] is not finite", c(lo), c(hi));
    }
    let edges = linspace_f32(lo as f32, hi as f32, bins + 1);
    let (left, right) = (edges[0], edges[bins]);
    let mut hist = vec![0f32; bins];
    for &v in x {
        if !(v >= left && v <= right) {
            continue;
        }
        let mut pos = ((v - left) * bins as f32 / (right - left)) as usize;
        if pos == bins {
            pos -= 1;
        }
        hist[pos] += 1.0;
    }
    hist
}

/// `torch.div(a, b, rounding_mode="floor")` for `f32` (`c10::div_floor_floating`).
fn div_floor(a: f32, b: f32) -> f32 {
    if b == 0.0 {
        return a / b;
    }
    let m = a % b;
    let mut div = (a - m) / b;
    if m != 0.0 && (b < 0.0) != (m < 0.0) {
        div -= 1.0;
    }
    if div != 0.0 {
        let mut f = div.floor();
        if div - f > 0.5 {
            f += 1.0;
        }
        f
    } else {
        0f32.copysign(a / b)
    }
}

/// The observer's state: the histogram over `[min, max]`, `(inf, -inf)` before data.
#[derive(Clone, Debug)]
struct State {
    histogram: Vec<f32>,
    min: f32,
    max: f32,
}

/// `HistogramObserver`: a histogram of `bins` bins over the running range; `calculate_qparams`
/// searches the sub-range with the least quantization error (PyTorch's
/// `_non_linear_param_search`) and computes the qparams of that range.
///
/// Infinite inputs are dropped (with PyTorch's warning); NaN input panics, as
/// `torch.histc` raises on it.
#[derive(Debug)]
pub struct HistogramObserver {
    base: Uniform,
    bins: usize,
    dst_nbins: usize,
    state: Mutex<State>,
}

const UPSAMPLE: usize = 16;

impl HistogramObserver {
    /// A `HistogramObserver` with the arguments of `spec` (its `bins` if it is a histogram
    /// spec, else 2048).
    ///
    /// # Panics
    /// As [`super::MinMaxObserver::new`], and with `is_dynamic`.
    pub fn new(spec: ObserverSpec) -> HistogramObserver {
        let bins = match spec.kind {
            ObserverKind::Histogram { bins } => bins,
            _ => 2048,
        };
        if spec.is_dynamic {
            panic!("HistogramObserver doesn't support dynamic quantization");
        }
        let bits = spec.dtype.qdtype().map_or(8, |d| d.size_in_bytes() * 8);
        HistogramObserver {
            base: Uniform::new("HistogramObserver", spec, false),
            bins,
            dst_nbins: 1usize << bits.min(32),
            state: Mutex::new(State {
                histogram: vec![0.0; bins],
                min: f32::INFINITY,
                max: f32::NEG_INFINITY,
            }),
        }
    }

    /// The histogram and its `(min, max)`.
    pub fn histogram(&self) -> (Vec<f32>, f32, f32) {
        let s = self.state.lock().unwrap();
        (s.histogram.clone(), s.min, s.max)
    }

    /// `_upscale_histogram`: each bin split in 16 and the pieces' midpoints assigned to
    /// the bins of `[new_min, new_max]`.
    fn upscale(&self, hist: &[f32], orig: (f32, f32), new: (f32, f32)) -> Vec<f32> {
        let n = self.bins * UPSAMPLE;
        let bin_size = (orig.1 - orig.0) / n as f32;
        let mids = linspace_f32(orig.0, orig.1, n + 1);
        let bounds = linspace_f32(new.0, new.1, self.bins + 1);
        let mut out = vec![0f32; self.bins];
        for (i, &m) in mids[..n].iter().enumerate() {
            let mid = m + 0.5 * bin_size;
            let above = bounds.partition_point(|&b| b <= mid) as i64 - 1;
            let b = above.clamp(0, self.bins as i64 - 1) as usize;
            out[b] += hist[i / UPSAMPLE] / UPSAMPLE as f32;
        }
        out
    }

    /// `_compute_quantization_error` for the bins `start..=end`.
    fn quantization_error(&self, s: &State, start: usize, end: usize) -> f64 {
        let bins = self.bins;
        let bin_width = (s.max as f64 - s.min as f64) / bins as f64;
        let dst_w = bin_width * (end - start + 1) as f64 / self.dst_nbins as f64;
        if dst_w == 0.0 {
            return 0.0;
        }
        let (bw, dw) = (bin_width as f32, dst_w as f32);
        let half = (dst_w / 2.0) as f32;
        let neg_half = (-dst_w / 2.0) as f32;
        let top = (self.dst_nbins - 1) as f32;
        let norm3 = |b: f32, e: f32, d: f32| ((e * e * e - b * b * b) / 3.0) * d;
        let mut total = 0f64;
        for i in 0..bins {
            let begin = (i as i64 - start as i64) as f32 * bw;
            let end_ = begin + bw;
            let dbb = div_floor(begin, dw).clamp(0.0, top);
            let dbb_center = (dbb + 0.5) * dw;
            let dbe = div_floor(end_, dw).clamp(0.0, top);
            let density = s.histogram[i] / bw;
            let mut norm = 0f32;
            norm += norm3(begin - dbb_center, half, density);
            norm += (dbe - dbb - 1.0) * norm3(neg_half, half, density);
            let dbe_center = dbe * dw + half;
            norm += norm3(neg_half, end_ - dbe_center, density);
            total += norm as f64;
        }
        total as f32 as f64
    }

    /// `_non_linear_param_search`: the `(min, max)` to quantize with.
    fn param_search(&self, s: &State) -> (f32, f32) {
        let bins = self.bins;
        let bin_width = (s.max - s.min) / bins as f32;
        let total = s.histogram.iter().map(|&v| v as f64).sum::<f64>() as f32 as f64;
        let mut csum = Vec::with_capacity(bins);
        let mut acc = 0f64;
        for &v in &s.histogram {
            acc += v as f64;
            csum.push(acc as f32);
        }
        let step = 1e-5f64;
        let (mut alpha, mut beta) = (0.0f64, 1.0f64);
        let (mut start, mut end) = (0usize, bins - 1);
        let mut norm_min = f64::INFINITY;
        while alpha < beta {
            let next_alpha = alpha + step;
            let next_beta = beta - step;
            let (mut l, mut r) = (start, end);
            while l < end && csum[l] < (next_alpha * total) as f32 {
                l += 1;
            }
            while r > start && csum[r] > (next_beta * total) as f32 {
                r -= 1;
            }
            let (mut next_start, mut next_end) = (start, end);
            if (l - start) > (end - r) {
                next_start = l;
                alpha = next_alpha;
            } else {
                next_end = r;
                beta = next_beta;
            }
            if next_start == start && next_end == end {
                continue;
            }
            let norm = self.quantization_error(s, next_start, next_end);
            if norm > norm_min {
                break;
            }
            norm_min = norm;
            start = next_start;
            end = next_end;
        }
        (
            s.min + bin_width * start as f32,
            s.min + bin_width * (end + 1) as f32,
        )
    }
}

impl Observer for HistogramObserver {
    /// # Panics
    /// If `x` holds NaN (PyTorch's `torch.histc` raises).
    fn forward(&self, x: &Tensor) -> Tensor {
        if x.numel() == 0 {
            return x.clone();
        }
        let mut v = as_f32(x);
        let (mut lo, mut hi) = aminmax(&v);
        if lo == f32::NEG_INFINITY || hi == f32::INFINITY {
            eprintln!(
                "warning: HistogramObserver: torch.inf detected in input tensor, ignoring input"
            );
            v.retain(|a| a.abs() != f32::INFINITY);
            if v.is_empty() {
                return x.clone();
            }
            (lo, hi) = aminmax(&v);
        }
        let mut s = self.state.lock().unwrap();
        if s.min == f32::INFINITY || s.max == f32::NEG_INFINITY {
            *s = State {
                histogram: histc(&v, self.bins, lo as f64, hi as f64),
                min: lo,
                max: hi,
            };
            return x.clone();
        }
        let new_min = lo.min(s.min);
        let new_max = hi.max(s.max);
        let update = histc(&v, self.bins, new_min as f64, new_max as f64);
        if new_min == s.min && new_max == s.max {
            for (h, u) in s.histogram.iter_mut().zip(&update) {
                *h += u;
            }
            return x.clone();
        }
        let combined: Vec<f32> = if s.min == s.max {
            let total: f32 = s.histogram.iter().map(|&v| v as f64).sum::<f64>() as f32;
            let moved = histc(&[s.min], self.bins, new_min as f64, new_max as f64);
            moved
                .iter()
                .zip(&update)
                .map(|(m, u)| m * total + u)
                .collect()
        } else {
            let up = self.upscale(&s.histogram, (s.min, s.max), (new_min, new_max));
            update.iter().zip(&up).map(|(u, t)| u + t).collect()
        };
        *s = State {
            histogram: combined,
            min: new_min,
            max: new_max,
        };
        x.clone()
    }

    fn calculate_qparams(&self) -> (Tensor, Tensor) {
        let s = self.state.lock().unwrap().clone();
        if s.min == f32::INFINITY && s.max == f32::NEG_INFINITY {
            warn_not_run("HistogramObserver");
            return qparams_tensors(vec![1.0], vec![0]);
        }
        let (lo, hi) = self.param_search(&s);
        let (sc, z) = qparams("HistogramObserver", &[lo], &[hi], &self.base.config);
        qparams_tensors(sc, z)
    }

    fn spec(&self) -> &ObserverSpec {
        &self.base.spec
    }

    fn quant_range(&self) -> (i64, i64) {
        (self.base.config.quant_min, self.base.config.quant_max)
    }

    fn reset(&self) {
        *self.state.lock().unwrap() = State {
            histogram: vec![0.0; self.bins],
            min: f32::INFINITY,
            max: f32::NEG_INFINITY,
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histc_closes_the_last_bin_and_widens_an_empty_range() {
        assert_eq!(histc(&[0.0, 0.5, 1.0], 2, 0.0, 1.0), vec![1.0, 2.0]);
        assert_eq!(histc(&[1.0, 1.0], 4, 1.0, 1.0), vec![0.0, 0.0, 2.0, 0.0]);
    }

    #[test]
    fn floor_division_as_python() {
        assert_eq!(div_floor(-0.5, 0.25), -2.0);
        assert_eq!(div_floor(0.7, 0.25), 2.0);
        assert_eq!(div_floor(-0.1, 0.25), -1.0);
    }
}
