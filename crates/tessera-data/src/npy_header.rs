//! The header of a `.npy` file, read from a memory map.
//!
//! tessera-core parses `.npy` headers too, but privately and only as part of reading a
//! whole file into a tensor; [`crate::NpyDataset`] needs the header alone (dtype, byte
//! order, shape and where the data starts) to read rows in place, so this small
//! parser lives here rather than widening core's API.

use tessera_core::DType;

/// What [`crate::NpyDataset`] needs from a header.
#[derive(Debug, PartialEq)]
pub(crate) struct NpyHeader {
    pub(crate) dtype: DType,
    pub(crate) big_endian: bool,
    pub(crate) fortran_order: bool,
    pub(crate) shape: Vec<usize>,
    /// The offset of the first data byte.
    pub(crate) data_offset: usize,
}

/// Parses the preamble and header dict of `bytes` (a whole file). The message of an
/// error says what is wrong, without the file name.
pub(crate) fn parse(bytes: &[u8]) -> Result<NpyHeader, String> {
    if bytes.len() < 10 || !bytes.starts_with(b"\x93NUMPY") {
        return Err("not an .npy file (no \\x93NUMPY magic string)".into());
    }
    let (len_bytes, start) = match (bytes[6], bytes[7]) {
        (1, 0) => (2, 10),
        (2, 0) | (3, 0) => (4, 12),
        (major, minor) => return Err(format!("unsupported .npy format version {major}.{minor}")),
    };
    if bytes.len() < start {
        return Err("truncated header length".into());
    }
    let header_len = bytes[8..8 + len_bytes]
        .iter()
        .rev()
        .fold(0usize, |n, &b| (n << 8) | b as usize);
    let end = start + header_len;
    let text = bytes
        .get(start..end)
        .ok_or_else(|| format!("truncated header: {header_len} bytes announced"))?;
    let text = std::str::from_utf8(text).map_err(|_| "header is not UTF-8".to_string())?;
    let descr = value_of(text, "descr")?;
    let Some(code) = quoted(descr) else {
        return Err(format!(
            "unsupported dtype {}: only plain numeric arrays are supported",
            descr.trim()
        ));
    };
    let (dtype, big_endian) = dtype_of(code)?;
    let fortran_order = match value_of(text, "fortran_order")?.trim_start() {
        v if v.starts_with("True") => true,
        v if v.starts_with("False") => false,
        v => return Err(format!("bad fortran_order value {v:?}")),
    };
    let shape_text = value_of(text, "shape")?.trim_start();
    let close = shape_text
        .find(')')
        .filter(|_| shape_text.starts_with('('))
        .ok_or_else(|| format!("bad shape {shape_text:?}"))?;
    let shape = shape_text[1..close]
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.trim_end_matches('L')
                .parse::<usize>()
                .map_err(|_| format!("bad dimension {s:?} in the shape"))
        })
        .collect::<Result<Vec<usize>, String>>()?;
    Ok(NpyHeader {
        dtype,
        big_endian,
        fortran_order,
        shape,
        data_offset: end,
    })
}

/// The text after `'key':` in the header dict.
fn value_of<'a>(text: &'a str, key: &str) -> Result<&'a str, String> {
    for quote in ['\'', '"'] {
        let pattern = format!("{quote}{key}{quote}");
        if let Some(at) = text.find(&pattern) {
            let rest = text[at + pattern.len()..].trim_start();
            if let Some(value) = rest.strip_prefix(':') {
                return Ok(value);
            }
        }
    }
    Err(format!(
        "header has no '{key}' entry: {:?}",
        text.trim_end()
    ))
}

/// The contents of the quoted string at the start of `value`, if it starts with one.
fn quoted(value: &str) -> Option<&str> {
    let value = value.trim_start();
    let quote = value.chars().next().filter(|c| *c == '\'' || *c == '"')?;
    let rest = &value[1..];
    rest.find(quote).map(|end| &rest[..end])
}

/// The dtype and byte order of a numpy type string such as `<f4`.
fn dtype_of(code: &str) -> Result<(DType, bool), String> {
    let (order, kind) = match code.as_bytes().first() {
        Some(b'<' | b'>' | b'|' | b'=') => (code.as_bytes()[0], &code[1..]),
        _ => (b'|', code),
    };
    let dtype = match kind {
        "b1" => DType::Bool,
        "u1" => DType::U8,
        "i1" => DType::I8,
        "i4" => DType::I32,
        "i8" => DType::I64,
        "f4" => DType::F32,
        "f8" => DType::F64,
        _ => {
            return Err(format!(
                "unsupported dtype {code:?}: NpyDataset reads b1, u1, i1, i4, i8, f4 and f8"
            ))
        }
    };
    let big_endian = order == b'>' || (order == b'=' && cfg!(target_endian = "big"));
    Ok((dtype, big_endian))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tessera_core::{tensor, Tensor};

    #[test]
    fn reads_what_core_writes() {
        let bytes = tensor!([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]).to_npy_bytes();
        let h = parse(&bytes).unwrap();
        assert_eq!(
            (h.dtype, h.big_endian, h.fortran_order, h.shape.clone()),
            (DType::F32, false, false, vec![2, 3])
        );
        assert_eq!(bytes.len() - h.data_offset, 24);
        let h = parse(&Tensor::scalar(3i64).to_npy_bytes()).unwrap();
        assert_eq!((h.dtype, h.shape), (DType::I64, vec![]));
    }

    #[test]
    fn rejects_bad_headers() {
        let good = tensor!([1, 2]).to_npy_bytes();
        let mut bad_magic = good.clone();
        bad_magic[1] = b'X';
        assert!(parse(&bad_magic).unwrap_err().contains("magic"));
        assert!(parse(&good[..20]).unwrap_err().contains("truncated header"));
        let mut v9 = good.clone();
        v9[6] = 9;
        assert!(parse(&v9).unwrap_err().contains("version 9.0"));
        for (code, want) in [
            ("'<f2'", "unsupported dtype"),
            ("[('a', '<f4')]", "unsupported dtype"),
        ] {
            let text = format!("{{'descr': {code}, 'fortran_order': False, 'shape': (2,), }}\n");
            let mut b = b"\x93NUMPY\x01\x00".to_vec();
            b.extend_from_slice(&(text.len() as u16).to_le_bytes());
            b.extend_from_slice(text.as_bytes());
            assert!(parse(&b).unwrap_err().contains(want), "{code}");
        }
        assert_eq!(dtype_of(">i4").unwrap(), (DType::I32, true));
        assert!(dtype_of("<U3").is_err());
    }
}
