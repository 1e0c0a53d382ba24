//! NumPy `.npy` files: [`Tensor::read_npy`], [`Tensor::write_npy`] and their in-memory
//! forms [`Tensor::from_npy_bytes`], [`Tensor::to_npy_bytes`].
//!
//! Reading takes format versions 1.0, 2.0 and 3.0, C or Fortran order, little- or
//! big-endian data, for the dtypes tessera has: `|b1`, `|u1`, `|i1`, `i4`, `i8`,
//! `f4`, `f8`. Writing produces exactly the bytes `numpy.save` writes for a C-order
//! little-endian array (version 1.0, or 2.0 when the header does not fit).

use crate::storage::StorageElement;
use crate::{dispatch, DType, Error, Result, Tensor};
use std::path::Path;

const MAGIC: &[u8; 6] = b"\x93NUMPY";
/// numpy aligns the start of the data to this many bytes.
const ARRAY_ALIGN: usize = 64;
/// numpy leaves room for the growth axis to reach this many digits.
const GROWTH_AXIS_MAX_DIGITS: usize = 21;

fn err(message: impl Into<String>) -> Error {
    Error::format("npy", message)
}

/// An element type with a fixed-size binary form in `.npy` data.
trait NpyElement: StorageElement {
    /// The type code and size, as in `<f4` without the byte order.
    const CODE: &'static str;
    /// Decodes one element from exactly `size_in_bytes` bytes.
    fn decode(bytes: &[u8], big_endian: bool) -> Result<Self>;
    /// Appends the little-endian bytes.
    fn encode(self, out: &mut Vec<u8>);
}

macro_rules! impl_npy_number {
    ($($t:ty => $code:literal),*) => {$(
        impl NpyElement for $t {
            const CODE: &'static str = $code;
            #[inline]
            fn decode(bytes: &[u8], big_endian: bool) -> Result<Self> {
                let a = bytes.try_into().expect("caller passes the element size");
                Ok(if big_endian { <$t>::from_be_bytes(a) } else { <$t>::from_le_bytes(a) })
            }
            #[inline]
            fn encode(self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }
        }
    )*};
}
impl_npy_number!(u8 => "u1", i8 => "i1", i32 => "i4", i64 => "i8", f32 => "f4", f64 => "f8");

impl NpyElement for bool {
    const CODE: &'static str = "b1";
    fn decode(bytes: &[u8], _big_endian: bool) -> Result<Self> {
        match bytes[0] {
            0 => Ok(false),
            1 => Ok(true),
            b => Err(err(format!(
                "invalid byte {b} in a bool array (must be 0 or 1)"
            ))),
        }
    }
    fn encode(self, out: &mut Vec<u8>) {
        out.push(self as u8);
    }
}

/// The `descr` for writing: byte order `|` for one-byte types, else `<`.
fn descr_of(dtype: DType) -> String {
    let code = dispatch!(dtype, T => <T as NpyElement>::CODE);
    let order = if dtype.size_in_bytes() == 1 { '|' } else { '<' };
    format!("{order}{code}")
}

/// Parses a `descr` into the dtype and whether the data is big-endian.
fn parse_descr(descr: &str) -> Result<(DType, bool)> {
    let unsupported = || {
        err(format!(
            "unsupported dtype {descr:?}: tessera reads |b1, |u1, |i1, i4, i8, f4 and f8"
        ))
    };
    let (order, code) = match descr.chars().next() {
        Some(c @ ('<' | '>' | '|' | '=')) => (c, &descr[1..]),
        _ => ('|', descr),
    };
    let dtype = DType::ALL
        .into_iter()
        .find(|&d| dispatch!(d, T => <T as NpyElement>::CODE) == code)
        .ok_or_else(unsupported)?;
    if order == '|' && dtype.size_in_bytes() > 1 {
        return Err(unsupported());
    }
    // '=' (which numpy never writes) is native order: the reading host's, as in numpy.
    let big_endian = order == '>' || (order == '=' && cfg!(target_endian = "big"));
    Ok((dtype, big_endian))
}

/// A value in the header dict.
#[derive(Debug, PartialEq)]
enum HeaderValue {
    Str(String),
    Bool(bool),
    Tuple(Vec<usize>),
    /// A list, kept as text: the `descr` of a structured dtype.
    List(String),
}

/// A minimal parser for the Python dict literal of an `.npy` header.
struct HeaderParser<'a> {
    s: &'a [u8],
    pos: usize,
}

impl<'a> HeaderParser<'a> {
    fn skip_ws(&mut self) {
        while self.pos < self.s.len() && self.s[self.pos].is_ascii_whitespace() {
            self.pos += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.skip_ws();
        self.s.get(self.pos).copied()
    }

    fn expect(&mut self, c: u8) -> Result<()> {
        if self.peek() == Some(c) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.error(&format!("expected '{}'", c as char)))
        }
    }

    fn error(&self, what: &str) -> Error {
        err(format!(
            "bad header {:?}: {what} at byte {}",
            String::from_utf8_lossy(self.s),
            self.pos
        ))
    }

    fn string(&mut self) -> Result<String> {
        let quote = match self.peek() {
            Some(q @ (b'\'' | b'"')) => q,
            _ => return Err(self.error("expected a string")),
        };
        let start = self.pos + 1;
        let len = self.s[start..]
            .iter()
            .position(|&c| c == quote)
            .ok_or_else(|| self.error("unterminated string"))?;
        self.pos = start + len + 1;
        String::from_utf8(self.s[start..start + len].to_vec())
            .map_err(|_| self.error("string is not UTF-8"))
    }

    fn integer(&mut self) -> Result<usize> {
        self.skip_ws();
        let start = self.pos;
        while self.pos < self.s.len() && self.s[self.pos].is_ascii_digit() {
            self.pos += 1;
        }
        let text = std::str::from_utf8(&self.s[start..self.pos]).expect("ASCII digits");
        let n = text
            .parse()
            .map_err(|_| self.error("expected a non-negative dimension size"))?;
        // Python 2 wrote longs as `3L`.
        if self.s.get(self.pos) == Some(&b'L') {
            self.pos += 1;
        }
        Ok(n)
    }

    fn value(&mut self) -> Result<HeaderValue> {
        match self.peek() {
            Some(b'\'' | b'"') => Ok(HeaderValue::Str(self.string()?)),
            Some(b'(') => {
                self.pos += 1;
                let mut dims = Vec::new();
                while self.peek() != Some(b')') {
                    dims.push(self.integer()?);
                    if self.peek() == Some(b',') {
                        self.pos += 1;
                    } else if self.peek() != Some(b')') {
                        return Err(self.error("expected ',' or ')' in the shape"));
                    }
                }
                self.pos += 1;
                Ok(HeaderValue::Tuple(dims))
            }
            Some(b'[') => {
                let start = self.pos;
                let (mut depth, mut quote) = (0usize, None);
                loop {
                    let c = *self
                        .s
                        .get(self.pos)
                        .ok_or_else(|| self.error("unterminated list"))?;
                    self.pos += 1;
                    match (quote, c) {
                        (Some(q), _) if c == q => quote = None,
                        (Some(_), _) => {}
                        (None, b'\'' | b'"') => quote = Some(c),
                        (None, b'[' | b'(') => depth += 1,
                        (None, b']' | b')') => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                let text = String::from_utf8_lossy(&self.s[start..self.pos]).into_owned();
                Ok(HeaderValue::List(text))
            }
            _ => {
                let rest = &self.s[self.pos..];
                for (word, v) in [(&b"True"[..], true), (&b"False"[..], false)] {
                    if rest.starts_with(word) {
                        self.pos += word.len();
                        return Ok(HeaderValue::Bool(v));
                    }
                }
                Err(self.error("expected a string, a bool or a shape tuple"))
            }
        }
    }

    /// The dict as `(key, value)` pairs.
    fn dict(&mut self) -> Result<Vec<(String, HeaderValue)>> {
        self.expect(b'{')?;
        let mut out = Vec::new();
        while self.peek() != Some(b'}') {
            let key = self.string()?;
            self.expect(b':')?;
            out.push((key, self.value()?));
            if self.peek() == Some(b',') {
                self.pos += 1;
            } else if self.peek() != Some(b'}') {
                return Err(self.error("expected ',' or '}'"));
            }
        }
        self.pos += 1;
        if self.peek().is_some() {
            return Err(self.error("unexpected text after the dict"));
        }
        Ok(out)
    }
}

/// The parsed header: dtype, byte order, order and shape.
struct Header {
    dtype: DType,
    big_endian: bool,
    fortran_order: bool,
    shape: Vec<usize>,
}

fn parse_header(text: &[u8]) -> Result<Header> {
    let pairs = HeaderParser { s: text, pos: 0 }.dict()?;
    let (mut descr, mut fortran, mut shape) = (None, None, None);
    for (key, value) in pairs {
        match (key.as_str(), value) {
            ("descr", HeaderValue::Str(s)) => descr = Some(s),
            ("fortran_order", HeaderValue::Bool(b)) => fortran = Some(b),
            ("shape", HeaderValue::Tuple(t)) => shape = Some(t),
            ("descr", HeaderValue::List(l)) => {
                return Err(err(format!(
                    "unsupported dtype {l}: structured arrays are not supported"
                )))
            }
            (k, v) => return Err(err(format!("unexpected header entry '{k}': {v:?}"))),
        }
    }
    let missing = |k: &str| err(format!("header has no '{k}' entry"));
    let (dtype, big_endian) = parse_descr(&descr.ok_or_else(|| missing("descr"))?)?;
    Ok(Header {
        dtype,
        big_endian,
        fortran_order: fortran.ok_or_else(|| missing("fortran_order"))?,
        shape: shape.ok_or_else(|| missing("shape"))?,
    })
}

/// Splits a file into its header and data, checking the preamble.
fn split(bytes: &[u8]) -> Result<(Header, &[u8])> {
    if bytes.len() < MAGIC.len() + 2 || &bytes[..MAGIC.len()] != MAGIC {
        return Err(err(
            "not an .npy file (missing the \\x93NUMPY magic string)",
        ));
    }
    let (major, minor) = (bytes[6], bytes[7]);
    let len_size = match (major, minor) {
        (1, 0) => 2,
        (2, 0) | (3, 0) => 4,
        _ => return Err(err(format!("unsupported format version {major}.{minor}"))),
    };
    let rest = &bytes[8..];
    if rest.len() < len_size {
        return Err(err("truncated header length"));
    }
    let header_len = if len_size == 2 {
        u16::from_le_bytes([rest[0], rest[1]]) as usize
    } else {
        u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize
    };
    let rest = &rest[len_size..];
    if rest.len() < header_len {
        return Err(err(format!(
            "truncated header: {header_len} bytes announced, {} present",
            rest.len()
        )));
    }
    let (text, data) = rest.split_at(header_len);
    if major < 3 && !text.is_ascii() {
        return Err(err(format!(
            "version {major}.0 header is not ASCII (only 3.0 allows UTF-8)"
        )));
    }
    Ok((parse_header(text)?, data))
}

impl Tensor {
    /// Reads a NumPy `.npy` file (`torch.from_numpy(np.load(path))`).
    ///
    /// Accepts format versions 1.0, 2.0 and 3.0; C- or Fortran-ordered data (the
    /// tensor is always contiguous, in C order); little- or big-endian data; dtypes
    /// `|b1`, `|u1`, `|i1`, `i4`, `i8`, `f4` and `f8`.
    ///
    /// ```
    /// # fn main() -> tessera_core::Result<()> {
    /// use tessera_core::{tensor, Tensor};
    /// let path = std::env::temp_dir().join("tessera_doc_read_npy.npy");
    /// tensor!([[1, 2], [3, 4]]).write_npy(&path)?;
    /// let t = Tensor::read_npy(&path)?;
    /// assert_eq!(t.shape(), &[2, 2]);
    /// assert_eq!(t.to_vec::<i64>(), vec![1, 2, 3, 4]);
    /// # std::fs::remove_file(&path).ok();
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::Io`] if the file cannot be read; [`Error::Format`] if it is not a
    /// valid `.npy` file (bad magic, unsupported version, malformed header, a dtype
    /// tessera does not have, missing or extra data).
    pub fn read_npy(path: impl AsRef<Path>) -> Result<Tensor> {
        let path = path.as_ref();
        let bytes =
            std::fs::read(path).map_err(|e| Error::io(format!("reading {}", path.display()), e))?;
        Tensor::from_npy_bytes(&bytes)
    }

    /// Parses the bytes of a `.npy` file; see [`Tensor::read_npy`].
    ///
    /// ```
    /// use tessera_core::{tensor, Tensor};
    /// let bytes = tensor!([1.5, -2.0]).to_npy_bytes();
    /// let t = Tensor::from_npy_bytes(&bytes).unwrap();
    /// assert_eq!(t.to_vec::<f32>(), vec![1.5, -2.0]);
    /// assert!(Tensor::from_npy_bytes(&bytes[..bytes.len() - 1]).is_err());
    /// ```
    ///
    /// # Errors
    /// [`Error::Format`] if the bytes are not a valid `.npy` file of a supported dtype.
    pub fn from_npy_bytes(bytes: &[u8]) -> Result<Tensor> {
        let (h, data) = split(bytes)?;
        let size = h.dtype.size_in_bytes();
        // The byte size of the non-zero dims must be addressable, even when a zero dim
        // makes the array empty: strides are products of the dims.
        let too_large = || err(format!("shape {:?} is too large", h.shape));
        let extent = h
            .shape
            .iter()
            .filter(|&&d| d != 0)
            .try_fold(size, |n, &d| n.checked_mul(d))
            .filter(|&n| n <= isize::MAX as usize)
            .ok_or_else(too_large)?;
        let expected = if h.shape.contains(&0) { 0 } else { extent };
        if data.len() != expected {
            return Err(err(format!(
                "shape {:?} of {} needs {expected} data bytes but the file has {}",
                h.shape,
                h.dtype,
                data.len()
            )));
        }
        let shape = &h.shape;
        dispatch!(h.dtype, T => {
            let values = data
                .chunks_exact(size)
                .map(|b| <T as NpyElement>::decode(b, h.big_endian))
                .collect::<Result<Vec<T>>>()?;
            Ok(if h.fortran_order && shape.len() > 1 {
                // Column-major data is the C-order data of the reversed shape, transposed.
                let reversed: Vec<usize> = shape.iter().rev().copied().collect();
                let dims: Vec<usize> = (0..shape.len()).rev().collect();
                Tensor::from_vec(values, &reversed).permute(dims).deep_clone()
            } else {
                Tensor::from_vec(values, shape)
            })
        })
    }

    /// The bytes of a `.npy` file holding this tensor's logical values in C order,
    /// exactly as `numpy.save` writes them (little-endian, format 1.0 unless the
    /// header needs 2.0).
    ///
    /// ```
    /// let t = tessera_core::tensor!([true, false]);
    /// let bytes = t.to_npy_bytes();
    /// assert!(bytes.starts_with(b"\x93NUMPY\x01\x00"));
    /// assert_eq!(bytes.len() % 64, 2); // 64-byte aligned header, then 2 bytes of data
    /// ```
    pub fn to_npy_bytes(&self) -> Vec<u8> {
        let shape = crate::display::shape_tuple(self.shape());
        let mut header = format!(
            "{{'descr': '{}', 'fortran_order': False, 'shape': {shape}, }}",
            descr_of(self.dtype())
        );
        if let Some(first) = self.shape().first() {
            let digits = first.to_string().len();
            header.push_str(&" ".repeat(GROWTH_AXIS_MAX_DIGITS.saturating_sub(digits)));
        }
        let bytes = self.numel().saturating_mul(self.dtype().size_in_bytes());
        let mut out = crate::storage::try_with_capacity(bytes.saturating_add(header.len() + 80))
            .unwrap_or_else(|| {
                crate::storage::out_of_memory("to_npy_bytes", self.shape(), self.dtype())
            });
        // The header text plus its final newline, padded so the data is aligned.
        let hlen = header.len() + 1;
        let pad_for =
            |len_size: usize| ARRAY_ALIGN - (MAGIC.len() + 2 + len_size + hlen) % ARRAY_ALIGN;
        // Version 1.0 stores the header length in a u16; numpy moves to 2.0 beyond that.
        let small = hlen + pad_for(2) <= u16::MAX as usize;
        let pad = pad_for(if small { 2 } else { 4 });
        out.extend_from_slice(MAGIC);
        if small {
            out.extend_from_slice(&[1, 0]);
            out.extend_from_slice(&((hlen + pad) as u16).to_le_bytes());
        } else {
            out.extend_from_slice(&[2, 0]);
            out.extend_from_slice(&((hlen + pad) as u32).to_le_bytes());
        }
        out.extend_from_slice(header.as_bytes());
        out.resize(out.len() + pad, b' ');
        out.push(b'\n');
        dispatch!(self.dtype(), T => self.with_contiguous(|s: &[T]| {
            for &x in s {
                x.encode(&mut out);
            }
        }));
        out
    }

    /// Writes the tensor to a `.npy` file that `numpy.load` reads
    /// (`np.save(path, t.numpy())`); see [`Tensor::to_npy_bytes`].
    ///
    /// ```
    /// # fn main() -> tessera_core::Result<()> {
    /// use tessera_core::{tensor, Tensor};
    /// let path = std::env::temp_dir().join("tessera_doc_write_npy.npy");
    /// let x = tensor!([[1.0, 2.0], [3.0, 4.0]]).t(); // views are written in logical order
    /// x.write_npy(&path)?;
    /// assert_eq!(Tensor::read_npy(&path)?.to_vec::<f32>(), vec![1.0, 3.0, 2.0, 4.0]);
    /// # std::fs::remove_file(&path).ok();
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::Io`] if the file cannot be written.
    pub fn write_npy(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        std::fs::write(path, self.to_npy_bytes())
            .map_err(|e| Error::io(format!("writing {}", path.display()), e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descr_parsing() {
        assert_eq!(parse_descr("<f8").unwrap(), (DType::F64, false));
        assert_eq!(parse_descr(">i4").unwrap(), (DType::I32, true));
        assert_eq!(parse_descr("|b1").unwrap(), (DType::Bool, false));
        assert_eq!(parse_descr("u1").unwrap(), (DType::U8, false));
        assert!(parse_descr("|f4").is_err());
        assert!(parse_descr("<f2").is_err());
        assert!(parse_descr("<U3").is_err());
        assert!(parse_descr("").is_err());
    }

    #[test]
    fn header_parsing() {
        let h = parse_header(b"{'descr': '>f4', 'fortran_order': True, 'shape': (3L, 4), }  \n")
            .unwrap();
        assert_eq!(
            (h.dtype, h.big_endian, h.fortran_order, h.shape),
            (DType::F32, true, true, vec![3, 4])
        );
        let h =
            parse_header(b"{\"shape\": (), \"fortran_order\": False, \"descr\": \"|u1\"}").unwrap();
        assert_eq!((h.dtype, h.shape), (DType::U8, vec![]));
        for bad in [
            &b"{'descr': '<f4', 'fortran_order': False}"[..],
            b"{'descr': '<f4', 'fortran_order': 0, 'shape': (1,)}",
            b"{'descr': '<f4', 'fortran_order': False, 'shape': (-1,)}",
            b"{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,)}",
            b"{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 'y'}",
            b"{'descr': '<f4', 'fortran_order': False, 'shape': (1,)} junk",
            b"{'descr': '<f4",
            b"",
        ] {
            let e = parse_header(bad).err().expect("must fail");
            assert!(matches!(e, Error::Format { format: "npy", .. }), "{e}");
        }
    }
}
