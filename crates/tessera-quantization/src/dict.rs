//! The dict form of a [`QConfigMapping`] (PyTorch's `QConfigMapping.to_dict()` /
//! `from_dict()`), as JSON: `{"": qconfig, "object_type": [[type, qconfig], ...],
//! "module_name_regex": [[pattern, qconfig], ...], "module_name": [[name, qconfig], ...],
//! "module_name_object_type_order": [[name, type, index, qconfig], ...]}`, a qconfig being
//! `null` or `{"activation": observer, "weight": observer}` and an observer
//! `{"observer": "MinMaxObserver", "args": {"dtype": "torch.qint8", ...}}` (the keyword
//! arguments of PyTorch's `with_args`).

use crate::observer::{ObserverDType, ObserverKind, ObserverSpec};
use crate::{QConfig, QConfigMapping, QScheme};
use serde_json::{json, Map, Value};
use tessera_core::{Error, Result};

fn bad(what: &str, v: &Value) -> Error {
    Error::format("QConfigMapping dict", format!("{what}: {v}"))
}

/// An observer spec as `{"observer": ..., "args": {...}}`, every argument written.
pub fn observer_to_value(s: &ObserverSpec) -> Value {
    let mut args = Map::new();
    args.insert("dtype".into(), json!(s.dtype.torch_name()));
    args.insert("qscheme".into(), json!(s.qscheme.torch_name()));
    args.insert("reduce_range".into(), json!(s.reduce_range));
    if let Some(q) = s.quant_min {
        args.insert("quant_min".into(), json!(q));
    }
    if let Some(q) = s.quant_max {
        args.insert("quant_max".into(), json!(q));
    }
    args.insert("eps".into(), json!(s.eps as f64));
    args.insert("is_dynamic".into(), json!(s.is_dynamic));
    match s.kind {
        ObserverKind::MovingAverageMinMax { averaging_constant } => {
            args.insert("averaging_constant".into(), json!(averaging_constant));
        }
        ObserverKind::PerChannelMinMax { ch_axis } => {
            args.insert("ch_axis".into(), json!(ch_axis));
        }
        ObserverKind::Histogram { bins } => {
            args.insert("bins".into(), json!(bins));
        }
        ObserverKind::FixedQParams { scale, zero_point } => {
            args.insert("scale".into(), json!(scale));
            args.insert("zero_point".into(), json!(zero_point));
        }
        _ => {}
    }
    json!({"observer": s.kind.class_name(), "args": Value::Object(args)})
}

/// The spec `{"observer": ..., "args": {...}}` describes: the class's defaults with the
/// given arguments applied.
///
/// # Errors
/// [`Error::Format`] for an unknown observer, argument or value.
pub fn observer_from_value(v: &Value) -> Result<ObserverSpec> {
    let name = v["observer"]
        .as_str()
        .ok_or_else(|| bad("observer name", v))?;
    let args = v.get("args").and_then(Value::as_object);
    let get = |k: &str| args.and_then(|a| a.get(k));
    let mut s = match name {
        "MinMaxObserver" => ObserverSpec::min_max(),
        "MovingAverageMinMaxObserver" => ObserverSpec::moving_average_min_max(),
        "PerChannelMinMaxObserver" => ObserverSpec::per_channel_min_max(),
        "HistogramObserver" => ObserverSpec::histogram(),
        "PlaceholderObserver" => ObserverSpec::placeholder(),
        "FixedQParamsObserver" => {
            let scale = get("scale")
                .and_then(Value::as_f64)
                .ok_or_else(|| bad("scale", v))?;
            let zp = get("zero_point")
                .and_then(Value::as_i64)
                .ok_or_else(|| bad("zero_point", v))?;
            ObserverSpec::fixed_qparams(scale, zp)
        }
        "ReuseInputObserver" => ObserverSpec::reuse_input(),
        "NoopObserver" => ObserverSpec::noop(),
        _ => return Err(bad("unknown observer", v)),
    };
    for (k, a) in args.into_iter().flatten() {
        match k.as_str() {
            "dtype" => {
                s.dtype = a
                    .as_str()
                    .and_then(ObserverDType::from_torch_name)
                    .ok_or_else(|| bad("dtype", a))?
            }
            "qscheme" => {
                s.qscheme = a
                    .as_str()
                    .and_then(QScheme::from_torch_name)
                    .ok_or_else(|| bad("qscheme", a))?
            }
            "reduce_range" => s.reduce_range = a.as_bool().ok_or_else(|| bad(k, a))?,
            "is_dynamic" => s.is_dynamic = a.as_bool().ok_or_else(|| bad(k, a))?,
            "quant_min" => s.quant_min = Some(a.as_i64().ok_or_else(|| bad(k, a))?),
            "quant_max" => s.quant_max = Some(a.as_i64().ok_or_else(|| bad(k, a))?),
            "eps" => s.eps = a.as_f64().ok_or_else(|| bad(k, a))? as f32,
            "averaging_constant" => s = s.averaging_constant(a.as_f64().ok_or_else(|| bad(k, a))?),
            "ch_axis" => s = s.ch_axis(a.as_i64().ok_or_else(|| bad(k, a))? as isize),
            "bins" => s = s.bins(a.as_u64().ok_or_else(|| bad(k, a))? as usize),
            "scale" | "zero_point" => {}
            _ => return Err(bad("unknown argument", &json!(k))),
        }
    }
    Ok(s)
}

fn qconfig_to_value(q: &Option<QConfig>) -> Value {
    match q {
        None => Value::Null,
        Some(q) => json!({
            "activation": observer_to_value(&q.activation),
            "weight": observer_to_value(&q.weight),
        }),
    }
}

/// A qconfig (`null` or `{"activation": ..., "weight": ...}`) from its dict form.
///
/// # Errors
/// [`Error::Format`] if it is neither.
pub fn qconfig_from_value(v: &Value) -> Result<Option<QConfig>> {
    if v.is_null() {
        return Ok(None);
    }
    Ok(Some(QConfig::new(
        observer_from_value(&v["activation"])?,
        observer_from_value(&v["weight"])?,
    )))
}

fn entries<'a>(d: &'a Value, key: &str) -> Result<&'a [Value]> {
    match d.get(key) {
        None => Ok(&[]),
        Some(v) => v.as_array().map(Vec::as_slice).ok_or_else(|| bad(key, v)),
    }
}

fn str_of<'a>(v: &'a Value, what: &str) -> Result<&'a str> {
    v.as_str().ok_or_else(|| bad(what, v))
}

impl QConfigMapping {
    /// The dict form (module docs), PyTorch's `to_dict()` as JSON.
    pub fn to_dict(&self) -> Value {
        json!({
            "": qconfig_to_value(&self.global),
            "object_type": self.object_type.iter()
                .map(|(k, q)| json!([k, qconfig_to_value(q)])).collect::<Vec<_>>(),
            "module_name_regex": self.module_name_regex.iter()
                .map(|(k, _, q)| json!([k, qconfig_to_value(q)])).collect::<Vec<_>>(),
            "module_name": self.module_name.iter()
                .map(|(k, q)| json!([k, qconfig_to_value(q)])).collect::<Vec<_>>(),
            "module_name_object_type_order": self.module_name_object_type_order.iter()
                .map(|(n, t, i, q)| json!([n, t, i, qconfig_to_value(q)])).collect::<Vec<_>>(),
        })
    }

    /// The mapping of a dict form (PyTorch's `QConfigMapping.from_dict`); missing keys are
    /// empty.
    ///
    /// # Errors
    /// [`Error::Format`] if an entry does not have the module docs' shape, names an unknown
    /// observer or argument, or a regex is invalid.
    pub fn from_dict(d: &Value) -> Result<QConfigMapping> {
        let mut m = QConfigMapping::new();
        if let Some(g) = d.get("") {
            m = m.set_global(qconfig_from_value(g)?);
        }
        for e in entries(d, "object_type")? {
            m = m.set_object_type(str_of(&e[0], "object type")?, qconfig_from_value(&e[1])?);
        }
        for e in entries(d, "module_name_regex")? {
            let p = str_of(&e[0], "regex")?;
            regex::Regex::new(p).map_err(|err| {
                Error::format("QConfigMapping dict", format!("regex {p:?}: {err}"))
            })?;
            m = m.set_module_name_regex(p, qconfig_from_value(&e[1])?);
        }
        for e in entries(d, "module_name")? {
            m = m.set_module_name(str_of(&e[0], "module name")?, qconfig_from_value(&e[1])?);
        }
        for e in entries(d, "module_name_object_type_order")? {
            let i = e[2].as_u64().ok_or_else(|| bad("index", &e[2]))? as usize;
            m = m.set_module_name_object_type_order(
                str_of(&e[0], "module name")?,
                str_of(&e[1], "object type")?,
                i,
                qconfig_from_value(&e[3])?,
            );
        }
        Ok(m)
    }
}
