//! PyTorch's legacy format (`torch.save(..., _use_new_zipfile_serialization=False)`, and
//! every file from before PyTorch 1.6): five pickles in a row (a magic number, the
//! protocol version 1001, system info, the object, the sorted storage keys), then each
//! storage as an 8-byte element count and its raw bytes, in the order of the keys.

use super::read::resolve_storages;
use crate::pickle::arena::Obj;
use crate::pickle::read::unpickle;
use crate::value::Value;
use std::collections::HashMap;
use tessera_core::{Error, Result};

fn err(msg: impl Into<String>) -> Error {
    Error::format("pth (legacy)", msg)
}

/// `0x1950a86a20f9469cfc6c`, little-endian: the legacy format's magic number.
const MAGIC: [u8; 10] = [0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];

pub(crate) fn load_legacy(bytes: &[u8]) -> Result<Value> {
    let mut pos = 0;
    let magic = unpickle(bytes)?;
    pos += magic.end;
    if !matches!(&magic.arena[magic.root], Obj::BigInt(b) if b[..] == MAGIC) {
        return Err(err(
            "not a PyTorch file: a pickle without the legacy format's magic number",
        ));
    }
    let proto = unpickle(&bytes[pos..])?;
    pos += proto.end;
    if !matches!(proto.arena[proto.root], Obj::Int(1001)) {
        return Err(err("unsupported legacy protocol version (expected 1001)"));
    }
    let info = unpickle(&bytes[pos..])?;
    pos += info.end;
    let mut little = true;
    if let Obj::Dict { items, .. } = &info.arena[info.root] {
        for &(k, v) in items {
            if matches!(&info.arena[k], Obj::Str(s) if s == "little_endian") {
                little = !matches!(info.arena[v], Obj::Bool(false));
            }
        }
    }
    let obj = unpickle(&bytes[pos..])?;
    pos += obj.end;
    let keys = unpickle(&bytes[pos..])?;
    pos += keys.end;
    let Obj::List(key_ids) = &keys.arena[keys.root] else {
        return Err(err("the storage key list is missing"));
    };
    // Each storage: an int64 element count in the file's byte order, then its bytes.
    let dtypes = obj.storage_dtypes()?;
    let by_key: HashMap<&str, usize> = obj
        .storages
        .iter()
        .enumerate()
        .map(|(i, s)| (s.key.as_str(), i))
        .collect();
    let mut data: HashMap<String, &[u8]> = HashMap::new();
    for &k in key_ids {
        let Obj::Str(key) = &keys.arena[k] else {
            return Err(err("a storage key is not a string"));
        };
        let head: [u8; 8] = bytes
            .get(pos..pos + 8)
            .ok_or_else(|| err(format!("truncated before storage {key:?}")))?
            .try_into()
            .expect("8 bytes");
        pos += 8;
        let count = if little {
            u64::from_le_bytes(head)
        } else {
            u64::from_be_bytes(head)
        };
        let &i = by_key
            .get(key.as_str())
            .ok_or_else(|| err(format!("storage {key:?} is not referenced by the object")))?;
        let elem = if obj.storages[i].dtype.is_some() {
            dtypes[i].size() as u64
        } else {
            1
        };
        if count != obj.storages[i].numel {
            return Err(err(format!(
                "storage {key:?} has {count} elements in the file but the object says {}",
                obj.storages[i].numel
            )));
        }
        let n = count
            .checked_mul(elem)
            .filter(|&n| n <= (bytes.len() - pos) as u64)
            .ok_or_else(|| {
                err(format!(
                    "storage {key:?} claims {count} elements but the file ends first (truncated)"
                ))
            })? as usize;
        data.insert(key.clone(), &bytes[pos..pos + n]);
        pos += n;
    }
    let storages = resolve_storages(&obj, |key, expected, dtype| {
        let d = data
            .get(key)
            .ok_or_else(|| err(format!("storage {key:?} is missing from the file")))?;
        if d.len() as u64 != expected {
            return Err(err(format!("storage {key:?} has the wrong size")));
        }
        dtype.decode(d, little)
    })?;
    obj.into_value(&storages)
}
