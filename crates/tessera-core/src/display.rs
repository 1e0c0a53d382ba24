//! Printing tensors as PyTorch does (`torch._tensor_str`).
//!
//! [`Tensor`]'s `Display` (and `Debug`) output is character for character what
//! `print(t)` shows in PyTorch with the default print options; [`Tensor::format_with`]
//! takes other options, as `torch.set_printoptions` sets them.

use crate::storage::StorageElement;
use crate::{dispatch, DType, Element, Tensor};
use std::fmt;

/// Options for printing tensors: PyTorch's `torch.set_printoptions`.
///
/// The defaults are PyTorch's: precision 4, threshold 1000, edge items 3, line width
/// 80 and automatic scientific notation. The fields are public; the builder methods
/// of the same names return a modified copy.
///
/// ```
/// use tessera_core::{tensor, PrintOptions};
/// let x = tensor!([1.12345, 2.0]);
/// assert_eq!(x.to_string(), "tensor([1.1235, 2.0000])");
/// let opts = PrintOptions::default().precision(2);
/// assert_eq!(x.format_with(&opts), "tensor([1.12, 2.00])");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PrintOptions {
    /// Digits after the decimal point for floats (default 4).
    pub precision: usize,
    /// Tensors with more than this many elements are summarized with `...`
    /// (default 1000; `usize::MAX` never summarizes, PyTorch's `threshold=inf`).
    pub threshold: usize,
    /// How many items a summarized dimension shows at its start and at its end
    /// (default 3). With 0, a summarized tensor prints as `[...]` and its size is
    /// added as a `size=` suffix, as in PyTorch.
    pub edgeitems: usize,
    /// Characters per line before rows of numbers wrap (default 80).
    pub linewidth: usize,
    /// `Some(true)` forces scientific notation for floats, `Some(false)` forbids it,
    /// `None` (the default) lets the values decide, as PyTorch's `_Formatter` does.
    pub sci_mode: Option<bool>,
}

impl Default for PrintOptions {
    fn default() -> Self {
        PrintOptions {
            precision: 4,
            threshold: 1000,
            edgeitems: 3,
            linewidth: 80,
            sci_mode: None,
        }
    }
}

impl PrintOptions {
    /// PyTorch's `profile="short"`: precision 2, edge items 2.
    pub fn short() -> Self {
        PrintOptions {
            precision: 2,
            edgeitems: 2,
            ..Self::default()
        }
    }

    /// PyTorch's `profile="full"`: never summarize.
    pub fn full() -> Self {
        PrintOptions {
            threshold: usize::MAX,
            ..Self::default()
        }
    }

    /// With `precision` digits after the decimal point.
    pub fn precision(mut self, precision: usize) -> Self {
        self.precision = precision;
        self
    }

    /// Summarizing tensors of more than `threshold` elements.
    pub fn threshold(mut self, threshold: usize) -> Self {
        self.threshold = threshold;
        self
    }

    /// Showing `edgeitems` items at each end of a summarized dimension.
    pub fn edgeitems(mut self, edgeitems: usize) -> Self {
        self.edgeitems = edgeitems;
        self
    }

    /// Wrapping rows at `linewidth` characters.
    pub fn linewidth(mut self, linewidth: usize) -> Self {
        self.linewidth = linewidth;
        self
    }

    /// Forcing (`Some(true)`), forbidding (`Some(false)`) or auto-selecting (`None`)
    /// scientific notation.
    pub fn sci_mode(mut self, sci_mode: Option<bool>) -> Self {
        self.sci_mode = sci_mode;
        self
    }
}

impl fmt::Display for Tensor {
    /// Formats as PyTorch's `str(t)` with the default [`PrintOptions`]; a precision
    /// in the format string (`{:.2}`) sets [`PrintOptions::precision`].
    ///
    /// ```
    /// let x = tessera_core::tensor!([[1.0, -2.5], [0.125, 4.0]]);
    /// assert_eq!(x.to_string(), "tensor([[ 1.0000, -2.5000],\n        [ 0.1250,  4.0000]])");
    /// assert_eq!(format!("{x:.1}"), "tensor([[ 1.0, -2.5],\n        [ 0.1,  4.0]])");
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut opts = PrintOptions::default();
        if let Some(p) = f.precision() {
            opts.precision = p;
        }
        f.write_str(&self.format_with(&opts))
    }
}

impl Tensor {
    /// The tensor as PyTorch prints it under the print options `opts`
    /// (`torch.set_printoptions(**opts); str(t)`), without changing any global state.
    ///
    /// ```
    /// use tessera_core::{PrintOptions, Tensor};
    /// let x = Tensor::arange(0, 10);
    /// let opts = PrintOptions::default().threshold(5);
    /// assert_eq!(x.format_with(&opts), "tensor([0, 1, 2,  ..., 7, 8, 9])");
    /// let y = Tensor::from_vec(vec![1.5f64, 1e-5], &[2]);
    /// assert_eq!(y.to_string(), "tensor([1.5000e+00, 1.0000e-05], dtype=torch.float64)");
    /// assert_eq!(
    ///     y.format_with(&PrintOptions::default().sci_mode(Some(false))),
    ///     "tensor([1.5000, 0.0000], dtype=torch.float64)"
    /// );
    /// ```
    pub fn format_with(&self, opts: &PrintOptions) -> String {
        const PREFIX: &str = "tensor(";
        let indent = PREFIX.len();
        let mut suffixes = Vec::new();
        let body = if self.numel() == 0 {
            // Empty tensors: the shape unless it is (0,), the dtype unless it is the
            // default float dtype (there are no values to tell ints from floats).
            if self.dim() != 1 {
                suffixes.push(format!("size={}", shape_tuple(self.shape())));
            }
            if self.dtype() != DType::DEFAULT_FLOAT {
                suffixes.push(format!("dtype={}", self.dtype()));
            }
            "[]".to_string()
        } else {
            if opts.edgeitems == 0 {
                suffixes.push(format!("size={}", shape_tuple(self.shape())));
            }
            if !matches!(
                self.dtype(),
                DType::DEFAULT_FLOAT | DType::I64 | DType::Bool
            ) {
                suffixes.push(format!("dtype={}", self.dtype()));
            }
            self.values_str(opts, indent)
        };
        add_suffixes(format!("{PREFIX}{body}"), &suffixes, indent, opts.linewidth)
    }

    /// `torch._tensor_str._tensor_str`: the values' part of the printout, indented for a
    /// prefix of `indent` characters.
    fn values_str(&self, opts: &PrintOptions, indent: usize) -> String {
        if self.numel() == 0 {
            return "[]".to_string();
        }
        let data = self.storage().read_for("Display");
        dispatch!(self.dtype(), T => {
            let s = T::slice(&data).expect("storage dtype matches the tensor's");
            Printer::new(self, opts, &|i| Value::of(s[i])).tensor_str(indent)
        })
    }

    /// The tensor printed as PyTorch prints it, with `suffixes` (`"name=value"`) instead
    /// of the ones core chooses (`size=`, `dtype=`): for types that print a tensor's
    /// values with their own suffixes, as a quantized tensor prints its dequantized
    /// values with `dtype=torch.quint8, quantization_scheme=..., scale=..., zero_point=...`.
    ///
    /// ```
    /// use tessera_core::{tensor, PrintOptions};
    /// let s = tensor!([0.5, 1.0]).format_with_suffixes(&PrintOptions::default(), &["dtype=torch.quint8".into()]);
    /// assert_eq!(s, "tensor([0.5000, 1.0000], dtype=torch.quint8)");
    /// ```
    pub fn format_with_suffixes(&self, opts: &PrintOptions, suffixes: &[String]) -> String {
        const PREFIX: &str = "tensor(";
        let body = self.values_str(opts, PREFIX.len());
        add_suffixes(
            format!("{PREFIX}{body}"),
            suffixes,
            PREFIX.len(),
            opts.linewidth,
        )
    }
}

/// Python's `str(tuple(shape))`: `()`, `(5,)`, `(2, 3)`.
pub(crate) fn shape_tuple(shape: &[usize]) -> String {
    match shape {
        [] => "()".to_string(),
        [n] => format!("({n},)"),
        _ => {
            let parts: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
            format!("({})", parts.join(", "))
        }
    }
}

/// `torch._tensor_str._add_suffixes`: `, suffix` on the last line, or on a new line
/// when it would pass the line width.
fn add_suffixes(s: String, suffixes: &[String], indent: usize, linewidth: usize) -> String {
    let mut out = s;
    // PyTorch's `len(s) - s.rfind("\n") + 1`, where rfind gives -1 without a newline.
    let mut last_line_len = match out.rfind('\n') {
        Some(p) => out.len() - p + 1,
        None => out.len() + 2,
    };
    for suffix in suffixes {
        if last_line_len + suffix.len() + 2 > linewidth {
            out.push_str(",\n");
            out.push_str(&" ".repeat(indent));
            out.push_str(suffix);
            last_line_len = indent + suffix.len();
        } else {
            out.push_str(", ");
            out.push_str(suffix);
            last_line_len += suffix.len() + 2;
        }
    }
    out.push(')');
    out
}

/// One element, as Python sees it after `.item()` / `.tolist()`.
#[derive(Clone, Copy, Debug)]
enum Value {
    Float(f64),
    Int(i64),
    Bool(bool),
}

impl Value {
    fn of<T: Element>(x: T) -> Value {
        if T::DTYPE.is_float() {
            Value::Float(x.to_f64())
        } else if T::DTYPE == DType::Bool {
            Value::Bool(x.is_nonzero())
        } else {
            Value::Int(x.to_i64())
        }
    }
}

/// Python's `f"{v:.{precision}f}"`.
fn fmt_fixed(v: f64, precision: usize) -> String {
    if v.is_nan() {
        "nan".to_string()
    } else {
        // Rust and Python both round the exact binary value, ties to even.
        format!("{v:.precision$}")
    }
}

/// Python's `f"{v:.{precision}e}"`: a signed exponent of at least two digits.
fn fmt_sci(v: f64, precision: usize) -> String {
    if !v.is_finite() {
        return fmt_fixed(v, precision);
    }
    let s = format!("{v:.precision$e}");
    let (mantissa, exp) = s.split_once('e').expect("LowerExp output has an exponent");
    let exp: i32 = exp.parse().expect("LowerExp exponent is an integer");
    let sign = if exp < 0 { '-' } else { '+' };
    format!("{mantissa}e{sign}{:02}", exp.unsigned_abs())
}

/// `torch._tensor_str._Formatter`: chooses the notation and the column width from
/// the values that will be printed.
struct Formatter {
    int_mode: bool,
    sci_mode: bool,
    max_width: usize,
    precision: usize,
}

impl Formatter {
    /// The state before looking at any value: width 1, fixed notation.
    fn initial(precision: usize) -> Formatter {
        Formatter {
            int_mode: true,
            sci_mode: false,
            max_width: 1,
            precision,
        }
    }

    fn new(floating: bool, values: &[Value], opts: &PrintOptions) -> Formatter {
        let mut f = Formatter::initial(opts.precision);
        if !floating {
            for &v in values {
                f.max_width = f.max_width.max(f.format_plain(v).len());
            }
            return f;
        }
        let nonzero_finite: Vec<f64> = values
            .iter()
            .filter_map(|v| match *v {
                Value::Float(x) if x.is_finite() && x != 0.0 => Some(x),
                _ => None,
            })
            .collect();
        if nonzero_finite.is_empty() {
            // PyTorch returns here, before even applying a forced sci_mode.
            return f;
        }
        let min = nonzero_finite
            .iter()
            .fold(f64::INFINITY, |m, x| m.min(x.abs()));
        let max = nonzero_finite.iter().fold(0.0f64, |m, x| m.max(x.abs()));
        f.int_mode = nonzero_finite.iter().all(|x| *x == x.ceil());
        f.sci_mode = opts
            .sci_mode
            .unwrap_or(max / min > 1000.0 || max > 1.0e8 || min < 1.0e-4);
        for &x in &nonzero_finite {
            let width = if f.sci_mode {
                fmt_sci(x, f.precision).len()
            } else if f.int_mode {
                fmt_fixed(x, 0).len() + 1
            } else {
                fmt_fixed(x, f.precision).len()
            };
            f.max_width = f.max_width.max(width);
        }
        f
    }

    /// The value without padding.
    fn format_plain(&self, v: Value) -> String {
        match v {
            Value::Float(x) => {
                if self.sci_mode {
                    fmt_sci(x, self.precision)
                } else if self.int_mode {
                    let mut s = fmt_fixed(x, 0);
                    if x.is_finite() {
                        s.push('.');
                    }
                    s
                } else {
                    fmt_fixed(x, self.precision)
                }
            }
            Value::Int(i) => i.to_string(),
            Value::Bool(b) => if b { "True" } else { "False" }.to_string(),
        }
    }

    /// The value right-aligned to the column width.
    fn format(&self, v: Value) -> String {
        let s = self.format_plain(v);
        format!("{s:>width$}", width = self.max_width)
    }
}

/// Walks a tensor's elements in logical order through its layout, so views print
/// their logical values and only the printed elements are read.
struct Printer<'a> {
    opts: &'a PrintOptions,
    shape: &'a [usize],
    strides: &'a [usize],
    offset: usize,
    summarize: bool,
    get: &'a dyn Fn(usize) -> Value,
    formatter: Formatter,
}

impl<'a> Printer<'a> {
    fn new(t: &'a Tensor, opts: &'a PrintOptions, get: &'a dyn Fn(usize) -> Value) -> Self {
        let mut p = Printer {
            opts,
            shape: t.shape(),
            strides: t.strides(),
            offset: t.storage_offset(),
            summarize: t.numel() > opts.threshold,
            get,
            // Replaced below, once the values to print are known.
            formatter: Formatter::initial(opts.precision),
        };
        let mut values = Vec::new();
        p.collect_summarized(0, p.offset, &mut values);
        p.formatter = Formatter::new(t.dtype().is_float(), &values, opts);
        p
    }

    /// Whether dimension `d` of size `n` is cut to its edge items.
    fn cut(&self, n: usize) -> bool {
        self.summarize && n > 2 * self.opts.edgeitems
    }

    /// The indices of dimension `d` that `get_summarized_data` keeps.
    fn kept(&self, d: usize) -> Vec<usize> {
        let n = self.shape[d];
        let e = self.opts.edgeitems;
        let last = d + 1 == self.shape.len();
        if !self.summarize {
            (0..n).collect()
        } else if e == 0 && !last {
            // `self.new_empty([0] * dim)`
            Vec::new()
        } else if self.cut(n) && e > 0 {
            (0..e).chain(n - e..n).collect()
        } else {
            // Includes PyTorch's `cat(self[:0], self[-0:])`, which is all of `self`.
            (0..n).collect()
        }
    }

    /// The values `torch._tensor_str.get_summarized_data` would keep, in order.
    fn collect_summarized(&self, d: usize, at: usize, out: &mut Vec<Value>) {
        if d == self.shape.len() {
            out.push((self.get)(at));
            return;
        }
        for i in self.kept(d) {
            self.collect_summarized(d + 1, at + i * self.strides[d], out);
        }
    }

    /// `torch._tensor_str._tensor_str` for a non-empty tensor.
    fn tensor_str(&self, indent: usize) -> String {
        self.sub_str(0, self.offset, indent)
    }

    /// `_tensor_str_with_formatter` on the sub-tensor of dims `d..` at storage index `at`.
    fn sub_str(&self, d: usize, at: usize, indent: usize) -> String {
        let rank = self.shape.len();
        if d == rank {
            return self.formatter.format((self.get)(at));
        }
        if d + 1 == rank {
            return self.vector_str(d, at, indent);
        }
        let n = self.shape[d];
        let e = self.opts.edgeitems;
        let sub = |i: usize| self.sub_str(d + 1, at + i * self.strides[d], indent + 1);
        let slices: Vec<String> = if self.cut(n) {
            (0..e)
                .map(sub)
                .chain(std::iter::once("...".to_string()))
                .chain((n - e..n).map(sub))
                .collect()
        } else {
            (0..n).map(sub).collect()
        };
        let sep = format!(",{}{}", "\n".repeat(rank - d - 1), " ".repeat(indent + 1));
        format!("[{}]", slices.join(&sep))
    }

    /// `_vector_str`: one row, wrapped at the line width.
    fn vector_str(&self, d: usize, at: usize, indent: usize) -> String {
        let n = self.shape[d];
        let e = self.opts.edgeitems;
        let element_length = self.formatter.max_width as i64 + 2;
        let per_line = (self.opts.linewidth as i64 - indent as i64)
            .div_euclid(element_length)
            .max(1) as usize;
        let val = |i: usize| self.formatter.format((self.get)(at + i * self.strides[d]));
        let data: Vec<String> = if self.summarize && e == 0 {
            vec!["...".to_string()]
        } else if self.cut(n) {
            (0..e)
                .map(val)
                .chain(std::iter::once(" ...".to_string()))
                .chain((n - e..n).map(val))
                .collect()
        } else {
            (0..n).map(val).collect()
        };
        let lines: Vec<String> = data.chunks(per_line).map(|c| c.join(", ")).collect();
        let sep = format!(",\n{}", " ".repeat(indent + 1));
        format!("[{}]", lines.join(&sep))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tensor;

    #[test]
    fn sci_formatting_matches_python() {
        assert_eq!(fmt_sci(123456.0, 4), "1.2346e+05");
        assert_eq!(fmt_sci(-1e-5, 4), "-1.0000e-05");
        assert_eq!(fmt_sci(1e300, 2), "1.00e+300");
        assert_eq!(fmt_sci(f64::NEG_INFINITY, 4), "-inf");
        assert_eq!(fmt_sci(-f64::NAN, 4), "nan");
        assert_eq!(fmt_fixed(0.03125, 4), "0.0312");
        assert_eq!(shape_tuple(&[0]), "(0,)");
        assert_eq!(shape_tuple(&[2, 0, 3]), "(2, 0, 3)");
    }

    #[test]
    fn transposed_prints_logical_values() {
        let x = Tensor::from_vec((0..12).map(|v| v as f32 * 0.5).collect(), &[3, 4]);
        let t = x.t();
        assert!(!t.is_contiguous());
        assert_eq!(t.to_string(), t.deep_clone().to_string());
        let ints = tensor!([[1, 2], [3, 4]]).t();
        assert_eq!(ints.to_string(), "tensor([[1, 3],\n        [2, 4]])");
    }

    #[test]
    fn views_print_their_own_elements() {
        let x = Tensor::arange(0, 24).reshape([2, 3, 4]);
        let v = x.permute([2, 0, 1]).narrow(0, 1, 2);
        assert_eq!(v.to_string(), v.deep_clone().to_string());
        let row = x.select(1, 2);
        assert_eq!(row.to_string(), row.deep_clone().to_string());
        let wide = Tensor::arange(0, 3000).reshape([30, 100]).t();
        assert_eq!(wide.to_string(), wide.deep_clone().to_string());
        let e = tensor!([1.5, -2.0]).unsqueeze(0).expand([3, 2]);
        assert_eq!(e.to_string(), e.deep_clone().to_string());
    }

    #[test]
    fn options_builders_set_fields() {
        let o = PrintOptions::short().linewidth(40).sci_mode(Some(true));
        assert_eq!((o.precision, o.edgeitems, o.linewidth), (2, 2, 40));
        assert_eq!(o.sci_mode, Some(true));
        assert_eq!(PrintOptions::full().threshold, usize::MAX);
    }
}
