//! The pickler: writes a [`Value`] as pickle protocol 2, the way `torch.save` does, so
//! that `torch.load(..., weights_only=True)` reads it. Tensors become
//! `torch._utils._rebuild_tensor_v2` calls over persistent storage ids; tensors that
//! share a storage share one id (and one record in the file).

use crate::element::FileDType;
use crate::value::Value;
use std::collections::HashMap;
use std::sync::Arc;
use tessera_core::{Storage, Tensor};

/// Pickles values and collects the storages their tensors use.
#[derive(Default)]
pub(crate) struct Pickler {
    pub out: Vec<u8>,
    /// The storages, in the order of their keys ("0", "1", ...).
    pub storages: Vec<Arc<Storage>>,
    index: HashMap<usize, usize>,
}

impl Pickler {
    /// Pickles `v` as a whole protocol-2 pickle (PROTO ... STOP).
    pub fn dump(&mut self, v: &Value) {
        self.out.extend_from_slice(&[0x80, 2]);
        self.value(v);
        self.out.push(b'.');
    }

    fn global(&mut self, module: &str, name: &str) {
        self.out.push(b'c');
        self.out.extend_from_slice(module.as_bytes());
        self.out.push(b'\n');
        self.out.extend_from_slice(name.as_bytes());
        self.out.push(b'\n');
    }

    fn str(&mut self, s: &str) {
        self.out.push(b'X');
        self.out.extend_from_slice(&(s.len() as u32).to_le_bytes());
        self.out.extend_from_slice(s.as_bytes());
    }

    fn int(&mut self, i: i64) {
        if (0..256).contains(&i) {
            self.out.extend_from_slice(&[b'K', i as u8]);
        } else if (0..65536).contains(&i) {
            self.out.push(b'M');
            self.out.extend_from_slice(&(i as u16).to_le_bytes());
        } else if i32::try_from(i).is_ok() {
            self.out.push(b'J');
            self.out.extend_from_slice(&(i as i32).to_le_bytes());
        } else {
            self.long(&i.to_le_bytes());
        }
    }

    fn long(&mut self, le: &[u8]) {
        if le.len() < 256 {
            self.out.extend_from_slice(&[0x8a, le.len() as u8]);
        } else {
            self.out.push(0x8b);
            self.out.extend_from_slice(&(le.len() as u32).to_le_bytes());
        }
        self.out.extend_from_slice(le);
    }

    fn tuple(&mut self, items: impl ExactSizeIterator<Item = impl FnOnce(&mut Self)>) {
        match items.len() {
            0 => self.out.push(b')'),
            n @ 1..=3 => {
                for f in items {
                    f(self);
                }
                self.out.push(0x84 + n as u8);
            }
            _ => {
                self.out.push(b'(');
                for f in items {
                    f(self);
                }
                self.out.push(b't');
            }
        }
    }

    fn ints(&mut self, v: &[i64]) {
        self.tuple(v.iter().map(|&i| move |p: &mut Self| p.int(i)));
    }

    fn empty_ordered_dict(&mut self) {
        self.global("collections", "OrderedDict");
        self.out.extend_from_slice(b")R");
    }

    fn value(&mut self, v: &Value) {
        match v {
            Value::None => self.out.push(b'N'),
            Value::Bool(b) => self.out.push(if *b { 0x88 } else { 0x89 }),
            Value::Int(i) => self.int(*i),
            Value::BigInt(b) => self.long(b),
            Value::Float(f) => {
                self.out.push(b'G');
                self.out.extend_from_slice(&f.to_be_bytes());
            }
            Value::Str(s) => self.str(s),
            Value::Bytes(b) => {
                // Protocol 2 has no bytes opcode for Python 3: _codecs.encode(latin1 text).
                self.global("_codecs", "encode");
                let text: String = b.iter().map(|&c| c as char).collect();
                self.str(&text);
                self.str("latin1");
                self.out.extend_from_slice(&[0x86, b'R']);
            }
            Value::List(items) => {
                self.out.push(b']');
                if !items.is_empty() {
                    self.out.push(b'(');
                    for x in items {
                        self.value(x);
                    }
                    self.out.push(b'e');
                }
            }
            Value::Tuple(items) => self.tuple(items.iter().map(|x| move |p: &mut Self| p.value(x))),
            Value::Set(items) => {
                self.global("builtins", "set");
                self.value(&Value::List(items.clone()));
                self.out.extend_from_slice(&[0x85, b'R']);
            }
            Value::Dict(d) => {
                if d.ordered {
                    self.empty_ordered_dict();
                } else {
                    self.out.push(b'}');
                }
                if !d.items.is_empty() {
                    self.out.push(b'(');
                    for (k, x) in &d.items {
                        self.value(k);
                        self.value(x);
                    }
                    self.out.push(b'u');
                }
                if !d.attrs.is_empty() {
                    self.out.extend_from_slice(b"}(");
                    for (k, x) in &d.attrs {
                        self.str(k);
                        self.value(x);
                    }
                    self.out.extend_from_slice(b"ub");
                }
            }
            Value::Size(s) => {
                self.global("torch", "Size");
                self.ints(s);
                self.out.extend_from_slice(&[0x85, b'R']);
            }
            Value::DType(name) => self.global("torch", name),
            Value::Tensor(t) => self.tensor(t),
            Value::QTensor(q) => self.qtensor(q),
        }
    }

    /// The persistent id `('storage', torch.<class>, key, 'cpu', numel)` of `t`'s storage
    /// (`class` defaults to the storage's dtype's), registering the storage.
    fn storage_id(&mut self, t: &Tensor, class: Option<&str>) {
        let addr = Arc::as_ptr(t.storage()) as usize;
        let next = self.storages.len();
        let key = *self.index.entry(addr).or_insert(next);
        if key == next {
            self.storages.push(t.storage().clone());
        }
        let storage = &self.storages[key];
        let (ty, numel) = (FileDType::of(storage.dtype()), storage.len());
        self.out.push(b'(');
        self.str("storage");
        self.global("torch", class.unwrap_or(ty.storage_name()));
        self.str(&key.to_string());
        self.str("cpu");
        self.int(numel as i64);
        self.out.extend_from_slice(b"tQ");
    }

    /// The offset, size and stride arguments of a rebuild call.
    fn layout_args(&mut self, t: &Tensor) {
        self.int(t.storage_offset() as i64);
        let size: Vec<i64> = t.shape().iter().map(|&d| d as i64).collect();
        let stride: Vec<i64> = t.strides().iter().map(|&d| d as i64).collect();
        self.ints(&size);
        self.ints(&stride);
    }

    fn tensor(&mut self, t: &Tensor) {
        self.global("torch._utils", "_rebuild_tensor_v2");
        self.out.push(b'(');
        self.storage_id(t, None);
        self.layout_args(t);
        self.out.push(if t.requires_grad() { 0x88 } else { 0x89 });
        self.empty_ordered_dict();
        self.out.extend_from_slice(b"tR");
    }

    /// `_rebuild_qtensor(storage, offset, size, stride, quantizer_params, requires_grad,
    /// hooks)`, as PyTorch writes a quantized tensor.
    fn qtensor(&mut self, q: &crate::QTensorRecord) {
        self.global("torch._utils", "_rebuild_qtensor");
        self.out.push(b'(');
        self.storage_id(&q.values, q.storage_name());
        self.layout_args(&q.values);
        self.out.push(b'(');
        match &q.params {
            crate::QParamsRecord::PerTensorAffine { scale, zero_point } => {
                self.global("torch", "per_tensor_affine");
                self.value(&Value::Float(*scale));
                self.int(*zero_point);
            }
            crate::QParamsRecord::PerChannelAffine {
                scales,
                zero_points,
                axis,
            } => {
                self.global("torch", "per_channel_affine");
                self.tensor(scales);
                self.tensor(zero_points);
                self.int(*axis);
            }
        }
        self.out.push(b't');
        self.out.push(if q.requires_grad { 0x88 } else { 0x89 });
        self.empty_ordered_dict();
        self.out.extend_from_slice(b"tR");
    }
}
