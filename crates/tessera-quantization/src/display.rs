//! Printing a [`QTensor`] as PyTorch does: the dequantized values, then `size=...,
//! dtype=torch.quint8, quantization_scheme=torch.per_tensor_affine, scale=0.1,
//! zero_point=10` (per channel: `scale=tensor([...], dtype=torch.float64),
//! zero_point=tensor([...]), axis=0`).

use crate::{QParams, QTensor};
use std::fmt;
use tessera_core::{PrintOptions, Tensor};

/// Python's `repr(float)`: the shortest digits that round-trip, fixed notation for
/// exponents from -4 to 15 (`0.0001`, `1e-05`, `1.0`, `1e+16`).
pub(crate) fn py_float_repr(v: f64) -> String {
    if v.is_nan() {
        return "nan".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "inf" } else { "-inf" }.into();
    }
    if v == 0.0 {
        return if v.is_sign_negative() { "-0.0" } else { "0.0" }.into();
    }
    let sci = format!("{:e}", v.abs()); // shortest round-trip digits: "1.2345e-5"
    let (mant, exp) = sci.split_once('e').expect("LowerExp has an exponent");
    let exp: i32 = exp.parse().expect("an integer exponent");
    let digits: String = mant.chars().filter(|c| *c != '.').collect();
    let sign = if v < 0.0 { "-" } else { "" };
    let body = if (-4..16).contains(&exp) {
        if exp >= 0 {
            let e = exp as usize;
            if digits.len() <= e + 1 {
                format!("{digits}{}.0", "0".repeat(e + 1 - digits.len()))
            } else {
                format!("{}.{}", &digits[..=e], &digits[e + 1..])
            }
        } else {
            format!("0.{}{digits}", "0".repeat((-exp - 1) as usize))
        }
    } else {
        let m = if digits.len() == 1 {
            digits.clone()
        } else {
            format!("{}.{}", &digits[..1], &digits[1..])
        };
        format!(
            "{m}e{}{:02}",
            if exp < 0 { '-' } else { '+' },
            exp.unsigned_abs()
        )
    };
    format!("{sign}{body}")
}

/// Python's `str(tuple(shape))`.
fn shape_tuple(shape: &[usize]) -> String {
    match shape {
        [n] => format!("({n},)"),
        _ => format!(
            "({})",
            shape
                .iter()
                .map(usize::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

impl QTensor {
    /// The tensor as PyTorch prints it under the print options `opts`.
    pub fn format_with(&self, opts: &PrintOptions) -> String {
        let mut suffixes = vec![
            format!("size={}", shape_tuple(self.shape())),
            format!("dtype={}", self.dtype()),
            format!("quantization_scheme={}", self.qscheme()),
        ];
        match &self.params {
            QParams::PerTensor { scale, zero_point } => {
                suffixes.push(format!("scale={}", py_float_repr(*scale)));
                suffixes.push(format!("zero_point={zero_point}"));
            }
            QParams::PerChannel {
                scales,
                zero_points,
                axis,
            } => {
                let s = Tensor::from_vec(scales.to_vec(), &[scales.len()]);
                let z = Tensor::from_vec(zero_points.to_vec(), &[zero_points.len()]);
                suffixes.push(format!("scale={}", s.format_with(opts)));
                suffixes.push(format!("zero_point={}", z.format_with(opts)));
                suffixes.push(format!("axis={axis}"));
            }
        }
        self.dequantize().format_with_suffixes(opts, &suffixes)
    }
}

impl fmt::Display for QTensor {
    /// PyTorch's `str(q)` with the default print options (a precision in the format
    /// string sets the precision).
    ///
    /// ```
    /// use tessera_core::tensor;
    /// use tessera_quantization::{quantize_per_tensor, QDType};
    /// let q = quantize_per_tensor(&tensor!([1.0, 2.0]), 0.1, 10, QDType::QUInt8);
    /// assert_eq!(q.to_string(), "tensor([1., 2.], size=(2,), dtype=torch.quint8,\n       quantization_scheme=torch.per_tensor_affine, scale=0.1, zero_point=10)");
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut opts = PrintOptions::default();
        if let Some(p) = f.precision() {
            opts = opts.precision(p);
        }
        f.write_str(&self.format_with(&opts))
    }
}

impl fmt::Debug for QTensor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::py_float_repr;

    #[test]
    fn python_float_repr() {
        for (v, s) in [
            (0.1, "0.1"),
            (1.0, "1.0"),
            (1e-5, "1e-05"),
            (0.0001, "0.0001"),
            (1e16, "1e+16"),
            (1e15, "1000000000000000.0"),
            (0.00390625, "0.00390625"),
            (1.5e-7, "1.5e-07"),
            (-2.5, "-2.5"),
            (123.456, "123.456"),
        ] {
            assert_eq!(py_float_repr(v), s);
        }
    }
}
