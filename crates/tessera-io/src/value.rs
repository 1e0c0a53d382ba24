//! [`Value`]: the tree of Python objects that a `.pth` file holds (what `torch.load`
//! returns), and the way to get a [`StateDict`] out of it.

use tessera_core::{Error, Result, StateDict, Tensor};

/// One object of a `.pth` file: the subset of Python that PyTorch's `weights_only`
/// unpickler accepts.
///
/// Containers own their items: an object that the file references twice (through the
/// pickle memo) appears twice in the tree, except tensors, which are cheap handles that
/// keep sharing one storage.
#[derive(Clone, Debug)]
pub enum Value {
    /// `None`
    None,
    /// `True` / `False`
    Bool(bool),
    /// An `int` that fits in `i64`.
    Int(i64),
    /// An `int` too large for `i64`: its little-endian two's complement bytes.
    BigInt(Vec<u8>),
    /// A `float`.
    Float(f64),
    /// A `str`.
    Str(String),
    /// A `bytes` or `bytearray`.
    Bytes(Vec<u8>),
    /// A `list`.
    List(Vec<Value>),
    /// A `tuple`.
    Tuple(Vec<Value>),
    /// A `set` or `frozenset`, in file order.
    Set(Vec<Value>),
    /// A `dict` or `collections.OrderedDict`.
    Dict(Dict),
    /// A `torch.Size`.
    Size(Vec<i64>),
    /// A `torch.dtype` such as `torch.float16`, by its name without `torch.` (`"float16"`).
    DType(String),
    /// A tensor (a `torch.Tensor` or an `nn.Parameter`; a parameter's `requires_grad`
    /// is set on the tensor).
    Tensor(Tensor),
    /// A quantized tensor (`torch._utils._rebuild_qtensor`), for tessera-quantization.
    QTensor(crate::QTensorRecord),
}

/// A Python `dict` or `OrderedDict`: key/value pairs in order, plus the attributes an
/// `OrderedDict` can carry (`state_dict()` puts the modules' versions in `_metadata`).
#[derive(Clone, Debug, Default)]
pub struct Dict {
    /// The pairs, in insertion order (a key set twice keeps its first position).
    pub items: Vec<(Value, Value)>,
    /// Whether this is a `collections.OrderedDict` (else a plain `dict`).
    pub ordered: bool,
    /// Attributes set on the object (`_metadata` of a `state_dict()`), in order.
    pub attrs: Vec<(String, Value)>,
}

impl Dict {
    /// The value under the string key `key`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.items
            .iter()
            .find(|(k, _)| matches!(k, Value::Str(s) if s == key))
            .map(|(_, v)| v)
    }

    /// The attribute `name` (for example `_metadata`).
    pub fn attr(&self, name: &str) -> Option<&Value> {
        self.attrs.iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }

    /// Sets `key` to `value`, keeping the key's position if present (Python's semantics).
    pub fn insert(&mut self, key: Value, value: Value) {
        match self.items.iter_mut().find(|(k, _)| k.same_key(&key)) {
            Some(slot) => slot.1 = value,
            None => self.items.push((key, value)),
        }
    }
}

impl Value {
    /// The Python type name, for error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::None => "NoneType",
            Value::Bool(_) => "bool",
            Value::Int(_) | Value::BigInt(_) => "int",
            Value::Float(_) => "float",
            Value::Str(_) => "str",
            Value::Bytes(_) => "bytes",
            Value::List(_) => "list",
            Value::Tuple(_) => "tuple",
            Value::Set(_) => "set",
            Value::Dict(d) if d.ordered => "OrderedDict",
            Value::Dict(_) => "dict",
            Value::Size(_) => "torch.Size",
            Value::DType(_) => "torch.dtype",
            Value::Tensor(_) => "Tensor",
            Value::QTensor(_) => "Tensor (quantized)",
        }
    }

    /// Whether two keys are equal as Python dict keys (scalars and strings; other
    /// kinds compare unequal, so they are kept as separate entries).
    fn same_key(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Str(a), Value::Str(b)) => a == b,
            (Value::Int(a), Value::Int(b)) => a == b,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Bool(a), Value::Int(b)) | (Value::Int(b), Value::Bool(a)) => *b == *a as i64,
            (Value::None, Value::None) => true,
            (Value::Bytes(a), Value::Bytes(b)) => a == b,
            _ => false,
        }
    }

    /// The value under the string key `key`, if this is a dict.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Dict(d) => d.get(key),
            _ => None,
        }
    }

    /// The tensor, if this is one.
    pub fn as_tensor(&self) -> Option<&Tensor> {
        match self {
            Value::Tensor(t) => Some(t),
            _ => None,
        }
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The integer, if this is an `int` that fits in `i64` (or a `bool`, as in Python).
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            Value::Bool(b) => Some(*b as i64),
            _ => None,
        }
    }

    /// The dict, if this is one.
    pub fn as_dict(&self) -> Option<&Dict> {
        match self {
            Value::Dict(d) => Some(d),
            _ => None,
        }
    }

    /// The items of a list or tuple.
    pub fn as_seq(&self) -> Option<&[Value]> {
        match self {
            Value::List(v) | Value::Tuple(v) => Some(v),
            _ => None,
        }
    }

    /// The [`StateDict`] that this value is: a `dict` or `OrderedDict` whose keys are
    /// strings and whose values are tensors, as `module.state_dict()` saves it.
    ///
    /// # Errors
    /// If this is not a dict, or a key is not a string, or a value is not a tensor. The
    /// message names the offending key, so a checkpoint that wraps its weights (say
    /// `{"model": state_dict, "epoch": 3}`) says where to look: `value.get("model")`.
    pub fn to_state_dict(&self) -> Result<StateDict> {
        let Value::Dict(d) = self else {
            return Err(Error::Msg(format!(
                "expected a state dict (a dict of str -> Tensor), got a {}",
                self.type_name()
            )));
        };
        let mut sd = StateDict::new();
        for (k, v) in &d.items {
            let Value::Str(key) = k else {
                return Err(Error::Msg(format!(
                    "expected a state dict (a dict of str -> Tensor), but a key is a {}",
                    k.type_name()
                )));
            };
            let Value::Tensor(t) = v else {
                return Err(Error::Msg(format!(
                    "expected a state dict (a dict of str -> Tensor), but the value under {key:?} is a {}{}",
                    v.type_name(),
                    if matches!(v, Value::Dict(_)) {
                        format!(" (the weights may be inside it: value.get({key:?}))")
                    } else {
                        String::new()
                    }
                )));
            };
            sd.insert(key.clone(), t.clone());
        }
        Ok(sd)
    }
}

impl From<Tensor> for Value {
    fn from(t: Tensor) -> Value {
        Value::Tensor(t)
    }
}

impl From<&StateDict> for Value {
    /// An `OrderedDict` of str -> Tensor (the tensors are shared, not copied).
    fn from(sd: &StateDict) -> Value {
        Value::Dict(Dict {
            items: sd
                .iter()
                .map(|(k, t)| (Value::Str(k.to_string()), Value::Tensor(t.clone())))
                .collect(),
            ordered: true,
            attrs: Vec::new(),
        })
    }
}

impl From<StateDict> for Value {
    fn from(sd: StateDict) -> Value {
        Value::from(&sd)
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Value {
        Value::Int(v)
    }
}

impl From<f64> for Value {
    fn from(v: f64) -> Value {
        Value::Float(v)
    }
}

impl From<bool> for Value {
    fn from(v: bool) -> Value {
        Value::Bool(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Value {
        Value::Str(v.to_string())
    }
}

impl From<String> for Value {
    fn from(v: String) -> Value {
        Value::Str(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_dict_round_trips_through_value_and_names_bad_entries() {
        let mut sd = StateDict::new();
        sd.insert("w", Tensor::zeros(&[2]));
        let v = Value::from(&sd);
        assert_eq!(v.type_name(), "OrderedDict");
        let back = v.to_state_dict().unwrap();
        assert!(back["w"].shares_storage(&sd["w"]));

        let mut d = Dict::default();
        d.insert(Value::from("model"), v.clone());
        d.insert(Value::from("epoch"), Value::Int(3));
        d.insert(Value::from("epoch"), Value::Int(4));
        assert_eq!(d.items.len(), 2);
        let outer = Value::Dict(d);
        assert_eq!(outer.get("epoch").and_then(Value::as_int), Some(4));
        let err = outer.to_state_dict().unwrap_err().to_string();
        assert!(err.contains("\"model\" is a OrderedDict") && err.contains("value.get(\"model\")"));
        assert!(Value::List(vec![]).to_state_dict().is_err());
    }
}
