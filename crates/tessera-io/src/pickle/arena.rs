//! The unpickler's objects ([`Obj`]), the allowed globals ([`Global`]) and what each
//! does when the pickle calls it (REDUCE, NEWOBJ, BUILD), and the final conversion of
//! the arena into a [`Value`] tree with its tensors.

use super::read::{err, Id};
use crate::element::FileDType;
use crate::value::{Dict, Value};
use std::sync::Arc;
use tessera_core::{Error, Layout, Result, Storage, Tensor};

/// A global that the pickle may name: each is interpreted here, never looked up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Global {
    OrderedDict,
    RebuildTensorV2,
    RebuildTensorV3,
    RebuildParameter,
    RebuildParameterWithState,
    RebuildFromTypeV2,
    TensorClass,
    ParameterClass,
    Size,
    CodecsEncode,
    Set,
    FrozenSet,
    Storage(FileDType),
    UntypedStorage,
    /// `torch._utils._rebuild_qtensor`
    RebuildQTensor,
    /// `torch.per_tensor_affine` (`false`) or `torch.per_channel_affine` (`true`)
    QScheme(bool),
}

impl Global {
    /// The object a GLOBAL opcode pushes for `module.name`.
    ///
    /// # Errors
    /// If `module.name` is not on the allow-list.
    pub(crate) fn resolve(module: &str, name: &str) -> Result<Obj> {
        use Global::*;
        let g = match (module, name) {
            ("collections", "OrderedDict") => OrderedDict,
            ("torch._utils", "_rebuild_tensor_v2") => RebuildTensorV2,
            ("torch._utils", "_rebuild_tensor_v3") => RebuildTensorV3,
            ("torch._utils", "_rebuild_parameter") => RebuildParameter,
            ("torch._utils", "_rebuild_parameter_with_state") => RebuildParameterWithState,
            ("torch._tensor", "_rebuild_from_type_v2") => RebuildFromTypeV2,
            ("torch._utils", "_rebuild_qtensor") => RebuildQTensor,
            ("torch", "per_tensor_affine") => QScheme(false),
            ("torch", "per_channel_affine") => QScheme(true),
            ("torch", "Tensor") | ("torch._tensor", "Tensor") => TensorClass,
            ("torch.nn.parameter", "Parameter") | ("torch.nn", "Parameter") => ParameterClass,
            ("torch", "Size") => Size,
            ("_codecs", "encode") => CodecsEncode,
            ("builtins", "set") | ("__builtin__", "set") => Set,
            ("builtins", "frozenset") | ("__builtin__", "frozenset") => FrozenSet,
            ("torch", "UntypedStorage") | ("torch.storage", "UntypedStorage") => UntypedStorage,
            ("torch", n) if n.ends_with("Storage") => Storage(FileDType::from_storage_name(n)?),
            // The quantized dtypes appear as values (a quantized Linear's
            // `_packed_params.dtype`), never as a tensor's element type.
            ("torch", n)
                if FileDType::from_torch_name(n).is_ok()
                    || matches!(n, "qint8" | "quint8" | "qint32") =>
            {
                return Ok(Obj::DType(n.to_string()));
            }
            _ => {
                return Err(err(format!(
                    "unsupported global {module}.{name}: tessera's unpickler only rebuilds tensors and plain containers, and never executes code from a file"
                )));
            }
        };
        Ok(Obj::Global(g))
    }
}

/// An object in the arena; containers hold ids.
#[derive(Debug)]
pub(crate) enum Obj {
    None,
    Bool(bool),
    Int(i64),
    BigInt(Vec<u8>),
    Float(f64),
    Str(String),
    Bytes(Vec<u8>),
    List(Vec<Id>),
    Tuple(Vec<Id>),
    Set(Vec<Id>),
    Dict {
        items: Vec<(Id, Id)>,
        ordered: bool,
        attrs: Vec<(String, Id)>,
    },
    Size(Vec<i64>),
    DType(String),
    Global(Global),
    StorageRef(usize),
    Tensor(usize),
    QTensor(usize),
}

impl Obj {
    /// A short name for error messages.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Obj::None => "None",
            Obj::Bool(_) => "bool",
            Obj::Int(_) | Obj::BigInt(_) => "int",
            Obj::Float(_) => "float",
            Obj::Str(_) => "str",
            Obj::Bytes(_) => "bytes",
            Obj::List(_) => "list",
            Obj::Tuple(_) => "tuple",
            Obj::Set(_) => "set",
            Obj::Dict { .. } => "dict",
            Obj::Size(_) => "torch.Size",
            Obj::DType(_) => "torch.dtype",
            Obj::Global(_) => "global",
            Obj::StorageRef(_) => "storage",
            Obj::Tensor(_) => "tensor",
            Obj::QTensor(_) => "quantized tensor",
        }
    }
}

/// A storage the pickle references: its key (the file name under `data/`, or the
/// legacy format's key), its element type (`None` for an untyped storage, whose
/// `numel` counts bytes) and its size.
#[derive(Clone, Debug)]
pub(crate) struct StorageSpec {
    pub key: String,
    pub dtype: Option<FileDType>,
    pub numel: u64,
}

/// A tensor the pickle rebuilds: a view into storage `storage`.
#[derive(Clone, Debug)]
pub(crate) struct TensorSpec {
    pub storage: usize,
    pub dtype: FileDType,
    pub offset: i64,
    pub size: Vec<i64>,
    pub stride: Vec<i64>,
    pub requires_grad: bool,
}

/// A quantized tensor the pickle rebuilds: its values (a tensor spec) and parameters.
#[derive(Clone, Debug)]
pub(crate) struct QTensorSpec {
    pub tensor: usize,
    pub params: QParamsSpec,
    pub requires_grad: bool,
}

/// The quantizer parameters of a [`QTensorSpec`]; per-channel ones are tensor specs.
#[derive(Clone, Debug)]
pub(crate) enum QParamsSpec {
    PerTensor {
        scale: f64,
        zero_point: i64,
    },
    PerChannel {
        scales: usize,
        zero_points: usize,
        axis: i64,
    },
}

/// The result of running a pickle.
#[derive(Debug, Default)]
pub(crate) struct Pickled {
    pub arena: Vec<Obj>,
    pub root: Id,
    pub storages: Vec<StorageSpec>,
    pub tensors: Vec<TensorSpec>,
    pub qtensors: Vec<QTensorSpec>,
    /// Where the pickle's STOP ended (the legacy format reads on from there).
    pub end: usize,
    /// How many more items the machine may copy (the arguments of calls, lists made
    /// into sets, sizes read into tensors): a pickle can reference one large object from
    /// the memo many times, so its work is budgeted, not just its length.
    pub work_left: usize,
}

/// The work a pickle of `len` bytes may cause: far more than any real file needs
/// (each item is copied a few times at most), and still linear in its length.
pub(crate) fn work_budget(len: usize) -> usize {
    len.saturating_mul(16).saturating_add(1 << 20)
}

impl Pickled {
    /// Spends `n` units of the work budget.
    fn charge(&mut self, n: usize) -> Result<()> {
        self.work_left = self.work_left.checked_sub(n).ok_or_else(|| {
            err("the pickle copies its objects so often that loading it would not end")
        })?;
        Ok(())
    }

    fn tuple(&self, id: Id, what: &str) -> Result<&[Id]> {
        match &self.arena[id] {
            Obj::Tuple(t) => Ok(t),
            o => Err(err(format!("{what} expects a tuple, got a {}", o.kind()))),
        }
    }

    fn int(&self, id: Id, what: &str) -> Result<i64> {
        match self.arena[id] {
            Obj::Int(i) => Ok(i),
            Obj::Bool(b) => Ok(b as i64),
            ref o => Err(err(format!("{what}: expected an int, got a {}", o.kind()))),
        }
    }

    fn ints(&mut self, id: Id, what: &str) -> Result<Vec<i64>> {
        let n = match &self.arena[id] {
            Obj::Tuple(t) | Obj::List(t) => t.len(),
            Obj::Size(s) => s.len(),
            _ => 0,
        };
        self.charge(n)?;
        let items = match &self.arena[id] {
            Obj::Tuple(t) | Obj::List(t) => t,
            Obj::Size(s) => return Ok(s.clone()),
            o => {
                return Err(err(format!(
                    "{what}: expected a tuple of ints, got a {}",
                    o.kind()
                )))
            }
        };
        items.iter().map(|&i| self.int(i, what)).collect()
    }

    fn is_empty_state(&self, id: Id) -> bool {
        match &self.arena[id] {
            Obj::None => true,
            Obj::Dict { items, attrs, .. } => items.is_empty() && attrs.is_empty(),
            // (state, slots) pairs: one level only, so no input can make this recurse.
            Obj::Tuple(t) => t.iter().all(|&i| match &self.arena[i] {
                Obj::None => true,
                Obj::Dict { items, attrs, .. } => items.is_empty() && attrs.is_empty(),
                _ => false,
            }),
            _ => false,
        }
    }

    fn tensor_index(&self, id: Id, what: &str) -> Result<usize> {
        match self.arena[id] {
            Obj::Tensor(t) => Ok(t),
            ref o => Err(err(format!(
                "{what}: expected a tensor, got a {}",
                o.kind()
            ))),
        }
    }

    /// `_rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks[, metadata])`
    /// and `_v3(..., hooks, dtype[, metadata])`.
    fn rebuild_tensor(&mut self, a: &[Id], v3: bool) -> Result<Obj> {
        let what = if v3 {
            "_rebuild_tensor_v3"
        } else {
            "_rebuild_tensor_v2"
        };
        let n = if v3 { 7 } else { 6 };
        if a.len() != n && a.len() != n + 1 {
            return Err(err(format!("{what} takes {n} or {} arguments", n + 1)));
        }
        let Obj::StorageRef(storage) = self.arena[a[0]] else {
            return Err(err(format!(
                "{what}: the first argument is a {}, not a storage",
                self.arena[a[0]].kind()
            )));
        };
        let dtype = if v3 {
            match &self.arena[a[6]] {
                Obj::DType(name) => FileDType::from_torch_name(name)?,
                o => return Err(err(format!("{what}: the dtype is a {}", o.kind()))),
            }
        } else {
            self.storages[storage].dtype.ok_or_else(|| {
                err(format!(
                    "{what}: an untyped storage needs _rebuild_tensor_v3's dtype"
                ))
            })?
        };
        let requires_grad = matches!(self.arena[a[4]], Obj::Bool(true));
        let spec = TensorSpec {
            storage,
            dtype,
            offset: self.int(a[1], what)?,
            size: self.ints(a[2], what)?,
            stride: self.ints(a[3], what)?,
            requires_grad,
        };
        self.tensors.push(spec);
        Ok(Obj::Tensor(self.tensors.len() - 1))
    }

    /// `_rebuild_qtensor(storage, offset, size, stride, quantizer_params, requires_grad,
    /// hooks)`: the values as a plain tensor over the storage, and the parameters
    /// `(per_tensor_affine, scale, zero_point)` or `(per_channel_affine, scales,
    /// zero_points, axis)`.
    fn rebuild_qtensor(&mut self, a: &[Id]) -> Result<Obj> {
        const WHAT: &str = "_rebuild_qtensor";
        if a.len() != 7 {
            return Err(err("_rebuild_qtensor takes 7 arguments"));
        }
        let Obj::StorageRef(storage) = self.arena[a[0]] else {
            return Err(err(format!(
                "{WHAT}: the first argument is a {}, not a storage",
                self.arena[a[0]].kind()
            )));
        };
        let dtype = self.storages[storage]
            .dtype
            .ok_or_else(|| err(format!("{WHAT}: an untyped storage has no quantized dtype")))?;
        let q = self.tuple(a[4], WHAT)?.to_vec();
        let params = match (q.first().map(|&i| &self.arena[i]), q.len()) {
            (Some(Obj::Global(Global::QScheme(false))), 3) => QParamsSpec::PerTensor {
                scale: match self.arena[q[1]] {
                    Obj::Float(f) => f,
                    Obj::Int(i) => i as f64,
                    ref o => return Err(err(format!("{WHAT}: the scale is a {}", o.kind()))),
                },
                zero_point: self.int(q[2], WHAT)?,
            },
            (Some(Obj::Global(Global::QScheme(true))), 4) => QParamsSpec::PerChannel {
                scales: self.tensor_index(q[1], WHAT)?,
                zero_points: self.tensor_index(q[2], WHAT)?,
                axis: self.int(q[3], WHAT)?,
            },
            _ => {
                return Err(err(format!(
                    "{WHAT}: only (per_tensor_affine, scale, zero_point) and (per_channel_affine, scales, zero_points, axis) quantizers are supported"
                )))
            }
        };
        let spec = TensorSpec {
            storage,
            dtype,
            offset: self.int(a[1], WHAT)?,
            size: self.ints(a[2], WHAT)?,
            stride: self.ints(a[3], WHAT)?,
            requires_grad: false,
        };
        self.tensors.push(spec);
        self.qtensors.push(QTensorSpec {
            tensor: self.tensors.len() - 1,
            params,
            requires_grad: matches!(self.arena[a[5]], Obj::Bool(true)),
        });
        Ok(Obj::QTensor(self.qtensors.len() - 1))
    }

    /// `_rebuild_parameter(data, requires_grad, hooks[, state])`.
    fn rebuild_parameter(&mut self, a: &[Id]) -> Result<Obj> {
        if !(3..=4).contains(&a.len()) {
            return Err(err("_rebuild_parameter takes 3 or 4 arguments"));
        }
        let t = self.tensor_index(a[0], "_rebuild_parameter")?;
        let mut spec = self.tensors[t].clone();
        spec.requires_grad = matches!(self.arena[a[1]], Obj::Bool(true));
        self.tensors.push(spec);
        Ok(Obj::Tensor(self.tensors.len() - 1))
    }

    /// What calling the global `f` with the tuple `args` gives (REDUCE).
    pub(crate) fn reduce(&mut self, f: Id, args: Id) -> Result<Obj> {
        let Obj::Global(g) = self.arena[f] else {
            return Err(err(format!(
                "REDUCE calls a {}, which is not an allowed global",
                self.arena[f].kind()
            )));
        };
        let a = self.tuple(args, "REDUCE")?.to_vec();
        self.charge(a.len())?;
        match g {
            Global::OrderedDict => self.new_dict(&a, true),
            Global::Set | Global::FrozenSet => match a.as_slice() {
                [] => Ok(Obj::Set(Vec::new())),
                [l] => match &self.arena[*l] {
                    Obj::List(v) | Obj::Tuple(v) | Obj::Set(v) => {
                        let v = v.clone();
                        self.charge(v.len())?;
                        Ok(Obj::Set(v))
                    }
                    o => Err(err(format!("set() of a {}", o.kind()))),
                },
                _ => Err(err("set() takes at most one argument")),
            },
            Global::RebuildTensorV2 => self.rebuild_tensor(&a, false),
            Global::RebuildTensorV3 => self.rebuild_tensor(&a, true),
            Global::RebuildQTensor => self.rebuild_qtensor(&a),
            Global::RebuildParameter | Global::RebuildParameterWithState => {
                self.rebuild_parameter(&a)
            }
            Global::RebuildFromTypeV2 => {
                // (func, new_type, args, state): a tensor subclass. Only torch.Tensor and
                // nn.Parameter are allowed, and only without extra state.
                if a.len() != 4 {
                    return Err(err("_rebuild_from_type_v2 takes 4 arguments"));
                }
                if !matches!(
                    self.arena[a[1]],
                    Obj::Global(Global::TensorClass | Global::ParameterClass)
                ) {
                    return Err(err(
                        "_rebuild_from_type_v2: only torch.Tensor and nn.Parameter are supported",
                    ));
                }
                if !self.is_empty_state(a[3]) {
                    return Err(err(
                        "_rebuild_from_type_v2: tensors with Python attributes are not supported",
                    ));
                }
                let inner = self.reduce(a[0], a[2])?;
                if !matches!(inner, Obj::Tensor(_)) {
                    return Err(err("_rebuild_from_type_v2 did not make a tensor"));
                }
                Ok(inner)
            }
            Global::Size => match a.as_slice() {
                [t] => Ok(Obj::Size(self.ints(*t, "torch.Size")?)),
                [] => Ok(Obj::Size(Vec::new())),
                _ => Err(err("torch.Size takes one argument")),
            },
            Global::CodecsEncode => {
                // Protocol 2's `bytes`: _codecs.encode(text, "latin1").
                let [s, enc] = a.as_slice() else {
                    return Err(err("_codecs.encode takes 2 arguments"));
                };
                match (&self.arena[*s], &self.arena[*enc]) {
                    (Obj::Str(s), Obj::Str(e)) if e == "latin1" || e == "latin-1" => {
                        let bytes = s
                            .chars()
                            .map(|c| u8::try_from(c as u32))
                            .collect::<Result<Vec<u8>, _>>()
                            .map_err(|_| err("_codecs.encode: a character is not latin-1"))?;
                        Ok(Obj::Bytes(bytes))
                    }
                    _ => Err(err("_codecs.encode is only supported for (str, 'latin1')")),
                }
            }
            Global::TensorClass
            | Global::ParameterClass
            | Global::Storage(_)
            | Global::UntypedStorage
            | Global::QScheme(_) => {
                Err(err(format!("calling {g:?} from a pickle is not supported")))
            }
        }
    }

    fn new_dict(&mut self, a: &[Id], ordered: bool) -> Result<Obj> {
        let mut items = Vec::new();
        match a {
            [] => {}
            [l] => {
                let pairs = match &self.arena[*l] {
                    Obj::List(v) | Obj::Tuple(v) => v.clone(),
                    o => return Err(err(format!("OrderedDict() of a {}", o.kind()))),
                };
                self.charge(pairs.len())?;
                for p in pairs {
                    match self.tuple(p, "OrderedDict()")? {
                        [k, v] => items.push((*k, *v)),
                        _ => return Err(err("OrderedDict(): an item is not a pair")),
                    }
                }
            }
            _ => return Err(err("OrderedDict() takes at most one argument")),
        }
        Ok(Obj::Dict {
            items,
            ordered,
            attrs: Vec::new(),
        })
    }

    /// `cls.__new__(cls, *args)` (NEWOBJ), for the classes that allow it.
    pub(crate) fn newobj(&mut self, cls: Id, args: Id) -> Result<Obj> {
        let a = self.tuple(args, "NEWOBJ")?.to_vec();
        self.charge(a.len())?;
        match self.arena[cls] {
            Obj::Global(Global::OrderedDict) => self.new_dict(&a, true),
            Obj::Global(Global::Set | Global::FrozenSet) => self.reduce(cls, args),
            ref o => Err(err(format!("NEWOBJ of a {} is not supported", o.kind()))),
        }
    }

    /// `obj.__setstate__(state)` (BUILD): attributes of an `OrderedDict` (its
    /// `_metadata`), and empty state on tensors.
    pub(crate) fn build(&mut self, obj: Id, state: Id) -> Result<()> {
        if self.is_empty_state(state) {
            return Ok(());
        }
        let new_attrs: Vec<(String, Id)> = match &self.arena[state] {
            Obj::Dict { items, .. } => items
                .iter()
                .map(|&(k, v)| match &self.arena[k] {
                    Obj::Str(s) => Ok((s.clone(), v)),
                    _ => Err(err("BUILD: an attribute name is not a string")),
                })
                .collect::<Result<_>>()?,
            o => {
                return Err(err(format!(
                    "BUILD with a {} as state is not supported",
                    o.kind()
                )))
            }
        };
        match &mut self.arena[obj] {
            Obj::Dict { attrs, .. } => {
                for (k, v) in new_attrs {
                    match attrs.iter_mut().find(|(n, _)| *n == k) {
                        Some(slot) => slot.1 = v,
                        None => attrs.push((k, v)),
                    }
                }
                Ok(())
            }
            o => Err(err(format!(
                "BUILD: setting attributes on a {} is not supported",
                o.kind()
            ))),
        }
    }

    /// For each storage, its element type: its own, or for an untyped storage the one
    /// its tensors view it as (which must agree).
    pub(crate) fn storage_dtypes(&self) -> Result<Vec<FileDType>> {
        let mut out: Vec<Option<FileDType>> = self.storages.iter().map(|s| s.dtype).collect();
        for t in &self.tensors {
            match out[t.storage] {
                None => out[t.storage] = Some(t.dtype),
                Some(d) if d != t.dtype => {
                    return Err(err(format!(
                        "storage {:?} is viewed as both {d:?} and {:?}",
                        self.storages[t.storage].key, t.dtype
                    )))
                }
                Some(_) => {}
            }
        }
        // A storage no tensor views: keep it as bytes.
        Ok(out
            .into_iter()
            .map(|d| d.unwrap_or(FileDType::U8))
            .collect())
    }

    /// The number of bytes storage `i` must have in the file, given its element type.
    pub(crate) fn storage_bytes(&self, i: usize, dtype: FileDType) -> Result<u64> {
        let s = &self.storages[i];
        match s.dtype {
            None => Ok(s.numel),
            Some(_) => s
                .numel
                .checked_mul(dtype.size() as u64)
                .ok_or_else(|| err(format!("storage {:?}: size {} overflows", s.key, s.numel))),
        }
    }

    /// Builds the value tree, making the tensors over `storages` (one per storage spec).
    pub(crate) fn into_value(self, storages: &[Arc<Storage>]) -> Result<Value> {
        let mut b = Builder {
            p: &self,
            storages,
            tensors: vec![None; self.tensors.len()],
            budget: (8 * self.arena.len()).max(1 << 20),
            bytes_left: work_budget(self.end),
        };
        b.value(self.root, 0)
    }
}

/// Converts arena objects to values under a node budget and a depth limit.
struct Builder<'a> {
    p: &'a Pickled,
    storages: &'a [Arc<Storage>],
    tensors: Vec<Option<Tensor>>,
    /// Nodes the tree may still have.
    budget: usize,
    /// Bytes of strings, bytes and sizes the tree may still copy (one memoized string
    /// referenced a million times would otherwise be copied a million times).
    bytes_left: usize,
}

/// A dict key as Python compares it, for the scalar and string keys that files use.
#[derive(PartialEq, Eq, Hash)]
enum KeyRepr {
    Str(String),
    Int(i64),
    Bytes(Vec<u8>),
    None,
}

impl KeyRepr {
    fn of(v: &Value) -> Option<KeyRepr> {
        Some(match v {
            Value::Str(s) => KeyRepr::Str(s.clone()),
            Value::Int(i) => KeyRepr::Int(*i),
            Value::Bool(b) => KeyRepr::Int(*b as i64),
            Value::Bytes(b) => KeyRepr::Bytes(b.clone()),
            Value::None => KeyRepr::None,
            _ => return None,
        })
    }
}

/// The deepest nesting a file may have: far more than checkpoints use (a state dict is
/// 2 deep, a training checkpoint 4 or 5), and little enough that converting it, or
/// dropping the result, stays well within a thread's stack even in debug builds.
const MAX_DEPTH: usize = 100;

impl Builder<'_> {
    fn value(&mut self, id: Id, depth: usize) -> Result<Value> {
        if depth > MAX_DEPTH {
            return Err(err(format!(
                "objects nested more than {MAX_DEPTH} deep (or a container that contains itself)"
            )));
        }
        if self.budget == 0 {
            return Err(err(
                "the pickle references its objects so often that the result would be huge",
            ));
        }
        self.budget -= 1;
        let p = self.p;
        let copied = match &p.arena[id] {
            Obj::Str(s) => s.len(),
            Obj::Bytes(b) | Obj::BigInt(b) => b.len(),
            Obj::Size(s) => 8 * s.len(),
            _ => 0,
        };
        self.bytes_left = self.bytes_left.checked_sub(copied).ok_or_else(|| {
            err("the pickle references its objects so often that the result would be huge")
        })?;
        let seq = |b: &mut Self, v: &[Id]| -> Result<Vec<Value>> {
            v.iter().map(|&i| b.value(i, depth + 1)).collect()
        };
        Ok(match &p.arena[id] {
            Obj::None => Value::None,
            Obj::Bool(b) => Value::Bool(*b),
            Obj::Int(i) => Value::Int(*i),
            Obj::BigInt(b) => Value::BigInt(b.clone()),
            Obj::Float(f) => Value::Float(*f),
            Obj::Str(s) => Value::Str(s.clone()),
            Obj::Bytes(b) => Value::Bytes(b.clone()),
            Obj::List(v) => Value::List(seq(self, v)?),
            Obj::Tuple(v) => Value::Tuple(seq(self, v)?),
            Obj::Set(v) => Value::Set(seq(self, v)?),
            Obj::Dict {
                items,
                ordered,
                attrs,
            } => {
                let mut d = Dict {
                    items: Vec::with_capacity(items.len()),
                    ordered: *ordered,
                    attrs: Vec::with_capacity(attrs.len()),
                };
                // Python's semantics: a key set twice keeps its first position and its
                // last value; found by hash, so a dict of n keys costs O(n).
                let mut index: std::collections::HashMap<KeyRepr, usize> =
                    std::collections::HashMap::new();
                for &(k, v) in items {
                    let k = self.value(k, depth + 1)?;
                    let v = self.value(v, depth + 1)?;
                    match KeyRepr::of(&k) {
                        Some(r) => match index.get(&r) {
                            Some(&i) => d.items[i].1 = v,
                            None => {
                                index.insert(r, d.items.len());
                                d.items.push((k, v));
                            }
                        },
                        None => d.items.push((k, v)),
                    }
                }
                for (k, v) in attrs {
                    d.attrs.push((k.clone(), self.value(*v, depth + 1)?));
                }
                Value::Dict(d)
            }
            Obj::Size(s) => Value::Size(s.clone()),
            Obj::DType(n) => Value::DType(n.clone()),
            Obj::Tensor(t) => Value::Tensor(self.tensor(*t)?),
            Obj::QTensor(q) => Value::QTensor(self.qtensor(*q)?),
            o @ (Obj::Global(_) | Obj::StorageRef(_)) => {
                return Err(err(format!(
                    "a bare {} in the result is not supported",
                    o.kind()
                )))
            }
        })
    }

    fn tensor(&mut self, t: usize) -> Result<Tensor> {
        if let Some(x) = &self.tensors[t] {
            return Ok(x.clone());
        }
        let spec = &self.p.tensors[t];
        let storage = &self.storages[spec.storage];
        let x = make_tensor(spec, storage, &self.p.storages[spec.storage].key)?;
        self.tensors[t] = Some(x.clone());
        Ok(x)
    }
}

impl Builder<'_> {
    fn qtensor(&mut self, q: usize) -> Result<crate::QTensorRecord> {
        let spec = self.p.qtensors[q].clone();
        let params = match spec.params {
            QParamsSpec::PerTensor { scale, zero_point } => {
                crate::QParamsRecord::PerTensorAffine { scale, zero_point }
            }
            QParamsSpec::PerChannel {
                scales,
                zero_points,
                axis,
            } => crate::QParamsRecord::PerChannelAffine {
                scales: self.tensor(scales)?,
                zero_points: self.tensor(zero_points)?,
                axis,
            },
        };
        Ok(crate::QTensorRecord {
            values: self.tensor(spec.tensor)?,
            params,
            requires_grad: spec.requires_grad,
        })
    }
}

/// A tensor over `storage` with the spec's layout, after checking every number.
fn make_tensor(spec: &TensorSpec, storage: &Arc<Storage>, key: &str) -> Result<Tensor> {
    let bad = |m: String| Error::format("pth", format!("tensor over storage {key:?}: {m}"));
    if spec.size.len() != spec.stride.len() {
        return Err(bad(format!(
            "size {:?} and stride {:?} have different lengths",
            spec.size, spec.stride
        )));
    }
    let to_usize = |v: &[i64], what: &str| -> Result<Vec<usize>> {
        v.iter()
            .map(|&x| usize::try_from(x).map_err(|_| bad(format!("negative {what} {v:?}"))))
            .collect()
    };
    let size = to_usize(&spec.size, "size")?;
    let stride = to_usize(&spec.stride, "stride")?;
    let offset = usize::try_from(spec.offset)
        .map_err(|_| bad(format!("negative storage offset {}", spec.offset)))?;
    // The layout's reach, with checked arithmetic (Layout::new would panic on overflow).
    let extent = if size.contains(&0) {
        Some(0)
    } else {
        size.iter()
            .zip(&stride)
            .try_fold(offset, |a, (&d, &s)| a.checked_add((d - 1).checked_mul(s)?))
            .and_then(|r| r.checked_add(1))
            .filter(|_| {
                size.iter()
                    .try_fold(1usize, |a, &d| a.checked_mul(d))
                    .is_some_and(|n| n <= isize::MAX as usize)
            })
    };
    match extent {
        Some(e) if e <= storage.len() && e <= isize::MAX as usize => {}
        Some(e) => {
            return Err(bad(format!(
                "size {size:?}, stride {stride:?} and offset {offset} reach element {e}, but the storage has only {} (the storage is shorter than the tensor claims)",
                storage.len()
            )))
        }
        None => {
            return Err(bad(format!(
                "size {size:?}, stride {stride:?} and offset {offset} overflow"
            )))
        }
    }
    let t = Tensor::from_storage(storage.clone(), Layout::new(size, stride, offset));
    if spec.requires_grad {
        if !t.dtype().is_float() {
            return Err(bad(format!("a {} tensor cannot require grad", t.dtype())));
        }
        t.requires_grad_(true);
    }
    Ok(t)
}
