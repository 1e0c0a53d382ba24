//! The unpickler: a small allow-list machine in the spirit of PyTorch's `weights_only`
//! unpickler. It knows the opcodes of pickle protocols 0 to 5 that data needs, and a
//! fixed list of globals, each of which it *interprets* (it never calls anything named
//! by the file): `collections.OrderedDict`, the tensor and parameter rebuild functions of
//! `torch._utils` and `torch._tensor`, the storage classes, `torch.Size`, the dtypes,
//! `_codecs.encode` (how protocol 2 stores `bytes`), `builtins.set` / `frozenset`.
//! Anything else is an `Err` naming the opcode or the global.
//!
//! Objects live in an arena (a flat vector) while the pickle runs, so the memo shares
//! them as Python does, and no input can make the machine copy a structure: its memory is
//! linear in the pickle's length, every length read from the input is checked against
//! the bytes that remain before anything is allocated, and the final tree is built under
//! a node budget and a depth limit (a pickle whose memo references build an exponential
//! tree, or a cycle, is an `Err`).

use super::arena::{Global, Obj, StorageSpec};
use std::collections::HashMap;
use tessera_core::{Error, Result};

pub(crate) use super::arena::Pickled;

/// Object id in the arena.
pub(crate) type Id = usize;

/// A format error from the unpickler.
pub(crate) fn err(msg: impl Into<String>) -> Error {
    Error::format("pickle", msg)
}

/// Runs the pickle in `data` and returns the arena and the root object.
pub(crate) fn unpickle(data: &[u8]) -> Result<Pickled> {
    let mut m = Machine {
        data,
        pos: 0,
        p: Pickled {
            work_left: super::arena::work_budget(data.len()),
            ..Pickled::default()
        },
        stack: Vec::new(),
        marks: Vec::new(),
        memo: HashMap::new(),
        storage_index: HashMap::new(),
    };
    let root = m.run()?;
    m.p.root = root;
    m.p.end = m.pos;
    Ok(m.p)
}

struct Machine<'a> {
    data: &'a [u8],
    pos: usize,
    p: Pickled,
    stack: Vec<Id>,
    marks: Vec<usize>,
    memo: HashMap<u64, Id>,
    storage_index: HashMap<String, usize>,
}

/// Opcode names, for error messages.
fn opcode_name(op: u8) -> &'static str {
    match op {
        b'b' => "BUILD",
        b'i' => "INST",
        b'o' => "OBJ",
        0x81 => "NEWOBJ",
        0x92 => "NEWOBJ_EX",
        0x82 => "EXT1",
        0x83 => "EXT2",
        0x84 => "EXT4",
        0x97 => "NEXT_BUFFER",
        0x98 => "READONLY_BUFFER",
        b'P' => "PERSID",
        _ => "an unknown opcode",
    }
}

impl Machine<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8]> {
        if n > self.data.len() - self.pos {
            return Err(err(format!(
                "truncated: an opcode at byte {} needs {n} bytes but {} remain",
                self.pos,
                self.data.len() - self.pos
            )));
        }
        let s = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }

    fn arr<const N: usize>(&mut self) -> Result<[u8; N]> {
        Ok(self.take(N)?.try_into().expect("N bytes"))
    }

    /// A length read from the input, checked against what remains.
    fn len_of(&mut self, n: u64) -> Result<usize> {
        let remain = (self.data.len() - self.pos) as u64;
        if n > remain {
            return Err(err(format!(
                "truncated or corrupt: a length of {n} at byte {} exceeds the {remain} bytes that remain",
                self.pos
            )));
        }
        Ok(n as usize)
    }

    /// A newline-terminated line (text opcodes), without the newline.
    fn line(&mut self) -> Result<&str> {
        let rest = &self.data[self.pos..];
        let n = rest
            .iter()
            .position(|&b| b == b'\n')
            .ok_or_else(|| err("truncated: a text opcode has no end of line"))?;
        self.pos += n + 1;
        std::str::from_utf8(&rest[..n]).map_err(|_| err("a text opcode is not UTF-8"))
    }

    fn push(&mut self, o: Obj) -> Id {
        let id = self.p.arena.len();
        self.p.arena.push(o);
        self.stack.push(id);
        id
    }

    fn pop(&mut self) -> Result<Id> {
        let floor = self.marks.last().copied().unwrap_or(0);
        if self.stack.len() <= floor {
            return Err(err(format!("stack underflow at byte {}", self.pos)));
        }
        Ok(self.stack.pop().expect("checked"))
    }

    fn top(&self) -> Result<Id> {
        let floor = self.marks.last().copied().unwrap_or(0);
        if self.stack.len() <= floor {
            return Err(err(format!("stack underflow at byte {}", self.pos)));
        }
        Ok(*self.stack.last().expect("checked"))
    }

    /// The items since the last MARK, removing them and the mark.
    fn pop_mark(&mut self) -> Result<Vec<Id>> {
        let m = self
            .marks
            .pop()
            .ok_or_else(|| err(format!("no MARK for the opcode at byte {}", self.pos - 1)))?;
        Ok(self.stack.split_off(m))
    }

    fn memo_put(&mut self, key: u64) -> Result<()> {
        let id = self.top()?;
        self.memo.insert(key, id);
        Ok(())
    }

    fn memo_get(&mut self, key: u64) -> Result<()> {
        let id = *self
            .memo
            .get(&key)
            .ok_or_else(|| err(format!("memo key {key} was never stored")))?;
        self.stack.push(id);
        Ok(())
    }

    fn str_obj(&mut self, n: u64) -> Result<Obj> {
        let n = self.len_of(n)?;
        let s = std::str::from_utf8(self.take(n)?)
            .map_err(|_| err("a string is not valid UTF-8"))?
            .to_string();
        Ok(Obj::Str(s))
    }

    fn bytes_obj(&mut self, n: u64) -> Result<Obj> {
        let n = self.len_of(n)?;
        Ok(Obj::Bytes(self.take(n)?.to_vec()))
    }

    /// A Python 2 `str` (BINSTRING): bytes, read as text when they are UTF-8 (as
    /// `encoding="utf-8"` does for checkpoints that Python 2 wrote).
    fn py2_str(&mut self, n: u64) -> Result<Obj> {
        let n = self.len_of(n)?;
        let b = self.take(n)?;
        Ok(match std::str::from_utf8(b) {
            Ok(s) => Obj::Str(s.to_string()),
            Err(_) => Obj::Bytes(b.to_vec()),
        })
    }

    fn long(&mut self, n: u64) -> Result<Obj> {
        let n = self.len_of(n)?;
        let b = self.take(n)?;
        Ok(long_from_le(b))
    }

    fn run(&mut self) -> Result<Id> {
        loop {
            let at = self.pos;
            let op = self.u8()?;
            match op {
                0x80 => {
                    let v = self.u8()?;
                    if v > 5 {
                        return Err(err(format!("unsupported pickle protocol {v}")));
                    }
                }
                0x95 => {
                    // FRAME: a length hint; the frame's bytes follow inline.
                    let n = u64::from_le_bytes(self.arr()?);
                    self.len_of(n)?;
                }
                b'.' => {
                    let id = self.pop()?;
                    if !self.marks.is_empty() || !self.stack.is_empty() {
                        return Err(err("STOP with items left on the stack"));
                    }
                    return Ok(id);
                }
                b'(' => self.marks.push(self.stack.len()),
                b'0' => {
                    self.pop()?;
                }
                b'1' => {
                    self.pop_mark()?;
                }
                b'2' => {
                    let id = self.top()?;
                    self.stack.push(id);
                }
                b'N' => {
                    self.push(Obj::None);
                }
                0x88 => {
                    self.push(Obj::Bool(true));
                }
                0x89 => {
                    self.push(Obj::Bool(false));
                }
                b'J' => {
                    let v = i32::from_le_bytes(self.arr()?);
                    self.push(Obj::Int(v as i64));
                }
                b'K' => {
                    let v = self.u8()?;
                    self.push(Obj::Int(v as i64));
                }
                b'M' => {
                    let v = u16::from_le_bytes(self.arr()?);
                    self.push(Obj::Int(v as i64));
                }
                0x8a => {
                    let n = self.u8()? as u64;
                    let o = self.long(n)?;
                    self.push(o);
                }
                0x8b => {
                    let n = i32::from_le_bytes(self.arr()?);
                    if n < 0 {
                        return Err(err("LONG4 with a negative length"));
                    }
                    let o = self.long(n as u64)?;
                    self.push(o);
                }
                b'I' => {
                    let line = self.line()?.trim().to_string();
                    let o = match line.as_str() {
                        "00" => Obj::Bool(false),
                        "01" => Obj::Bool(true),
                        s => Obj::Int(
                            s.parse()
                                .map_err(|_| err(format!("INT {s:?} is not an int64")))?,
                        ),
                    };
                    self.push(o);
                }
                b'L' => {
                    let line = self.line()?.trim().trim_end_matches('L').to_string();
                    let v: i64 = line
                        .parse()
                        .map_err(|_| err(format!("LONG {line:?} is not an int64")))?;
                    self.push(Obj::Int(v));
                }
                b'G' => {
                    let v = f64::from_be_bytes(self.arr()?);
                    self.push(Obj::Float(v));
                }
                b'F' => {
                    let line = self.line()?.trim().to_string();
                    let v: f64 = line
                        .parse()
                        .map_err(|_| err(format!("FLOAT {line:?} is not a float")))?;
                    self.push(Obj::Float(v));
                }
                b'X' => {
                    let n = u32::from_le_bytes(self.arr()?) as u64;
                    let o = self.str_obj(n)?;
                    self.push(o);
                }
                0x8c => {
                    let n = self.u8()? as u64;
                    let o = self.str_obj(n)?;
                    self.push(o);
                }
                0x8d => {
                    let n = u64::from_le_bytes(self.arr()?);
                    let o = self.str_obj(n)?;
                    self.push(o);
                }
                b'T' => {
                    let n = i32::from_le_bytes(self.arr()?);
                    if n < 0 {
                        return Err(err("BINSTRING with a negative length"));
                    }
                    let o = self.py2_str(n as u64)?;
                    self.push(o);
                }
                b'U' => {
                    let n = self.u8()? as u64;
                    let o = self.py2_str(n)?;
                    self.push(o);
                }
                b'B' => {
                    let n = u32::from_le_bytes(self.arr()?) as u64;
                    let o = self.bytes_obj(n)?;
                    self.push(o);
                }
                b'C' => {
                    let n = self.u8()? as u64;
                    let o = self.bytes_obj(n)?;
                    self.push(o);
                }
                0x8e | 0x96 => {
                    let n = u64::from_le_bytes(self.arr()?);
                    let o = self.bytes_obj(n)?;
                    self.push(o);
                }
                b']' => {
                    self.push(Obj::List(Vec::new()));
                }
                b'}' => {
                    self.push(Obj::Dict {
                        items: Vec::new(),
                        ordered: false,
                        attrs: Vec::new(),
                    });
                }
                b')' => {
                    self.push(Obj::Tuple(Vec::new()));
                }
                0x8f => {
                    self.push(Obj::Set(Vec::new()));
                }
                b'l' => {
                    let items = self.pop_mark()?;
                    self.push(Obj::List(items));
                }
                b't' => {
                    let items = self.pop_mark()?;
                    self.push(Obj::Tuple(items));
                }
                b'd' => {
                    let items = self.pop_mark()?;
                    let pairs = pairs(&items)?;
                    self.push(Obj::Dict {
                        items: pairs,
                        ordered: false,
                        attrs: Vec::new(),
                    });
                }
                0x91 => {
                    let items = self.pop_mark()?;
                    self.push(Obj::Set(items));
                }
                0x85..=0x87 => {
                    let n = (op - 0x84) as usize;
                    let mut items = vec![0; n];
                    for slot in items.iter_mut().rev() {
                        *slot = self.pop()?;
                    }
                    self.push(Obj::Tuple(items));
                }
                b'a' => {
                    let v = self.pop()?;
                    let l = self.top()?;
                    self.extend_list(l, vec![v])?;
                }
                b'e' => {
                    let items = self.pop_mark()?;
                    let l = self.top()?;
                    self.extend_list(l, items)?;
                }
                b's' => {
                    let v = self.pop()?;
                    let k = self.pop()?;
                    let d = self.top()?;
                    self.set_items(d, vec![(k, v)])?;
                }
                b'u' => {
                    let items = self.pop_mark()?;
                    let d = self.top()?;
                    self.set_items(d, pairs(&items)?)?;
                }
                0x90 => {
                    let items = self.pop_mark()?;
                    let s = self.top()?;
                    match &mut self.p.arena[s] {
                        Obj::Set(v) => v.extend(items),
                        o => return Err(err(format!("ADDITEMS on a {}", o.kind()))),
                    }
                }
                b'q' => {
                    let k = self.u8()? as u64;
                    self.memo_put(k)?;
                }
                b'r' => {
                    let k = u32::from_le_bytes(self.arr()?) as u64;
                    self.memo_put(k)?;
                }
                b'p' => {
                    let line = self.line()?.trim().to_string();
                    let k = line
                        .parse()
                        .map_err(|_| err(format!("PUT {line:?} is not an index")))?;
                    self.memo_put(k)?;
                }
                0x94 => {
                    let k = self.memo.len() as u64;
                    self.memo_put(k)?;
                }
                b'h' => {
                    let k = self.u8()? as u64;
                    self.memo_get(k)?;
                }
                b'j' => {
                    let k = u32::from_le_bytes(self.arr()?) as u64;
                    self.memo_get(k)?;
                }
                b'g' => {
                    let line = self.line()?.trim().to_string();
                    let k = line
                        .parse()
                        .map_err(|_| err(format!("GET {line:?} is not an index")))?;
                    self.memo_get(k)?;
                }
                b'c' => {
                    let module = self.line()?.to_string();
                    let name = self.line()?.to_string();
                    let o = Global::resolve(&module, &name)?;
                    self.push(o);
                }
                0x93 => {
                    let name = self.pop()?;
                    let module = self.pop()?;
                    let (Obj::Str(m), Obj::Str(n)) = (&self.p.arena[module], &self.p.arena[name])
                    else {
                        return Err(err("STACK_GLOBAL needs two strings"));
                    };
                    let o = Global::resolve(&m.clone(), &n.clone())?;
                    self.push(o);
                }
                b'R' => {
                    let args = self.pop()?;
                    let f = self.pop()?;
                    let o = self.p.reduce(f, args)?;
                    self.push(o);
                }
                0x81 => {
                    let args = self.pop()?;
                    let cls = self.pop()?;
                    let o = self.p.newobj(cls, args)?;
                    self.push(o);
                }
                b'b' => {
                    let state = self.pop()?;
                    let obj = self.top()?;
                    self.p.build(obj, state)?;
                }
                b'Q' => {
                    let pid = self.pop()?;
                    let o = self.persistent_load(pid)?;
                    self.push(o);
                }
                _ => {
                    return Err(err(format!(
                        "unsupported opcode 0x{op:02x} ({}) at byte {at}: tessera's unpickler only rebuilds data, it never executes code from a file",
                        opcode_name(op)
                    )));
                }
            }
        }
    }

    fn extend_list(&mut self, l: Id, items: Vec<Id>) -> Result<()> {
        match &mut self.p.arena[l] {
            Obj::List(v) => {
                v.extend(items);
                Ok(())
            }
            o => Err(err(format!("APPEND to a {}", o.kind()))),
        }
    }

    fn set_items(&mut self, d: Id, new: Vec<(Id, Id)>) -> Result<()> {
        match &mut self.p.arena[d] {
            Obj::Dict { items, .. } => {
                items.extend(new);
                Ok(())
            }
            o => Err(err(format!("SETITEM on a {}", o.kind()))),
        }
    }

    /// `('storage', storage_type, key, location, numel[, view_metadata])`: a reference
    /// to a storage whose bytes are stored outside the pickle.
    fn persistent_load(&mut self, pid: Id) -> Result<Obj> {
        let a = &self.p.arena;
        let Obj::Tuple(t) = &a[pid] else {
            return Err(err(format!(
                "a persistent id is a {}, not a tuple",
                a[pid].kind()
            )));
        };
        if !(5..=6).contains(&t.len()) || !matches!(&a[t[0]], Obj::Str(s) if s == "storage") {
            return Err(err(
                "unsupported persistent id (expected ('storage', type, key, location, numel))",
            ));
        }
        let dtype = match &a[t[1]] {
            Obj::Global(Global::Storage(d)) => Some(*d),
            Obj::Global(Global::UntypedStorage) => None,
            o => {
                return Err(err(format!(
                    "a persistent id names a {} as its storage type",
                    o.kind()
                )))
            }
        };
        let Obj::Str(key) = &a[t[2]] else {
            return Err(err("a storage key is not a string"));
        };
        let numel = match &a[t[4]] {
            Obj::Int(n) if *n >= 0 => *n as u64,
            _ => return Err(err("a storage size is not a non-negative int")),
        };
        if t.len() == 6 && !matches!(a[t[5]], Obj::None) {
            return Err(err(
                "storage views of the pre-0.4 format (view metadata in a persistent id) are not supported",
            ));
        }
        let spec = StorageSpec {
            key: key.clone(),
            dtype,
            numel,
        };
        let idx = match self.storage_index.get(key) {
            Some(&i) => {
                let old = &self.p.storages[i];
                if old.dtype != spec.dtype || old.numel != spec.numel {
                    return Err(err(format!(
                        "storage {key:?} is referenced with two types or sizes"
                    )));
                }
                i
            }
            None => {
                self.storage_index
                    .insert(spec.key.clone(), self.p.storages.len());
                self.p.storages.push(spec);
                self.p.storages.len() - 1
            }
        };
        Ok(Obj::StorageRef(idx))
    }
}

/// Pairs up `[k0, v0, k1, v1, ...]`.
fn pairs(items: &[Id]) -> Result<Vec<(Id, Id)>> {
    if !items.len().is_multiple_of(2) {
        return Err(err("a dict's items are not key/value pairs"));
    }
    Ok(items.chunks_exact(2).map(|c| (c[0], c[1])).collect())
}

/// A Python int from its little-endian two's complement bytes (LONG1 / LONG4).
fn long_from_le(b: &[u8]) -> Obj {
    if b.is_empty() {
        return Obj::Int(0);
    }
    if b.len() <= 8 {
        let neg = b[b.len() - 1] & 0x80 != 0;
        let mut a = if neg { [0xff; 8] } else { [0; 8] };
        a[..b.len()].copy_from_slice(b);
        return Obj::Int(i64::from_le_bytes(a));
    }
    // Longer encodings can still hold an i64 (with redundant sign bytes).
    let neg = b[b.len() - 1] & 0x80 != 0;
    let fill = if neg { 0xff } else { 0 };
    if b[8..].iter().all(|&x| x == fill) && ((b[7] & 0x80 != 0) == neg) {
        return Obj::Int(i64::from_le_bytes(b[..8].try_into().expect("8 bytes")));
    }
    Obj::BigInt(b.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longs_decode_like_python() {
        assert!(matches!(long_from_le(&[]), Obj::Int(0)));
        assert!(matches!(long_from_le(&[0xff]), Obj::Int(-1)));
        assert!(matches!(long_from_le(&[0x80, 0x00]), Obj::Int(128)));
        assert!(matches!(
            long_from_le(&[0, 0, 0, 0, 0, 0, 0, 0x80, 0xff]),
            Obj::Int(i64::MIN)
        ));
        assert!(matches!(
            long_from_le(&[0, 0, 0, 0, 0, 0, 0, 0x80, 0x00]),
            Obj::BigInt(_)
        ));
    }

    #[test]
    fn forbidden_things_are_named() {
        let e = unpickle(b"\x80\x02cos\nsystem\n.").unwrap_err().to_string();
        assert!(e.contains("os.system"), "{e}");
        let e = unpickle(b"\x80\x02i").unwrap_err().to_string();
        assert!(e.contains("0x69 (INST)"), "{e}");
        let e = unpickle(b"\x80\x02X\xff\xff\xff\x7fab")
            .unwrap_err()
            .to_string();
        assert!(e.contains("exceeds"), "{e}");
        assert!(unpickle(b"").is_err());
        assert!(unpickle(b"0").is_err());
        assert!(unpickle(b"N(.").is_err());
    }
}
