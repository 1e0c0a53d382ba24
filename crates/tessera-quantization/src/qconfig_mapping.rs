//! `QConfigMapping` (`torch.ao.quantization.QConfigMapping`): which qconfig each module
//! (or function call) of a model gets, with PyTorch's precedence.

use crate::QConfig;
use regex::Regex;
use tessera_nn::Module;

/// Which [`QConfig`] each part of a model gets (`None` leaves it in float).
///
/// Resolution for a module named `name` of type `object_type`, the `index`-th module of
/// that type in its parent (PyTorch's FX order), lowest precedence first:
/// 1. the global qconfig ([`QConfigMapping::set_global`]);
/// 2. the module's type ([`QConfigMapping::set_object_type`]);
/// 3. the first module-name regex, in insertion order, that matches at the start of the
///    name (Python's `re.match`) ([`QConfigMapping::set_module_name_regex`]);
/// 4. the module name, or else the nearest parent name, that has an entry
///    ([`QConfigMapping::set_module_name`]): a parent's entry beats the child's regex and
///    type entries;
/// 5. the parent's name with the type and index
///    ([`QConfigMapping::set_module_name_object_type_order`]).
///
/// An entry set to `None` is an entry: it turns quantization off where it applies.
/// Setting a key again replaces its qconfig in place (Python's dict order).
///
/// Object types are names: a module type by its class name, as tessera-nn's
/// [`Module::type_name`] gives it (`"Linear"`, `"Conv2d"`), a function by its qualified
/// name (`"torch.sigmoid"`, `"torch.nn.functional.layer_norm"`), a method by its name
/// (`"reshape"`).
///
/// ```
/// use tessera_quantization::{get_default_qconfig, QConfigMapping};
/// let q = get_default_qconfig("x86");
/// let m = QConfigMapping::new()
///     .set_global(Some(q.clone()))
///     .set_object_type("Linear", None)
///     .set_module_name("head", Some(q.clone()));
/// assert_eq!(m.qconfig_for_module("body.fc", "Linear", 0), None);
/// assert_eq!(m.qconfig_for_module("head.fc", "Linear", 0), Some(q.clone()));
/// assert_eq!(m.qconfig_for_module("body.conv", "Conv2d", 0), Some(q));
/// ```
#[derive(Clone, Debug, Default)]
pub struct QConfigMapping {
    pub(crate) global: Option<QConfig>,
    pub(crate) object_type: Vec<(String, Option<QConfig>)>,
    pub(crate) module_name_regex: Vec<(String, Regex, Option<QConfig>)>,
    pub(crate) module_name: Vec<(String, Option<QConfig>)>,
    pub(crate) module_name_object_type_order: Vec<(String, String, usize, Option<QConfig>)>,
}

impl PartialEq for QConfigMapping {
    fn eq(&self, o: &Self) -> bool {
        let regexes = |m: &QConfigMapping| -> Vec<(String, Option<QConfig>)> {
            m.module_name_regex
                .iter()
                .map(|(p, _, q)| (p.clone(), q.clone()))
                .collect()
        };
        self.global == o.global
            && self.object_type == o.object_type
            && regexes(self) == regexes(o)
            && self.module_name == o.module_name
            && self.module_name_object_type_order == o.module_name_object_type_order
    }
}

/// Sets `key` in an insertion-ordered list, replacing in place.
fn upsert<K: PartialEq, V>(list: &mut Vec<(K, V)>, key: K, value: V) {
    match list.iter_mut().find(|(k, _)| *k == key) {
        Some(e) => e.1 = value,
        None => list.push((key, value)),
    }
}

/// Python's `_parent_name`: `"a.b.c"` -> `"a.b"`, `"a"` -> `""`.
fn parent_name(name: &str) -> &str {
    name.rsplit_once('.').map_or("", |(p, _)| p)
}

impl QConfigMapping {
    /// An empty mapping: everything resolves to `None` (float).
    pub fn new() -> QConfigMapping {
        QConfigMapping::default()
    }

    /// `set_global(qconfig)`.
    pub fn set_global(mut self, qconfig: Option<QConfig>) -> Self {
        self.global = qconfig;
        self
    }

    /// `set_object_type(object_type, qconfig)`.
    pub fn set_object_type(mut self, object_type: &str, qconfig: Option<QConfig>) -> Self {
        upsert(&mut self.object_type, object_type.to_string(), qconfig);
        self
    }

    /// `set_module_name_regex(pattern, qconfig)`: `pattern` must match at the start of a
    /// module's name (Python's `re.match`; the `regex` crate's syntax).
    ///
    /// # Panics
    /// If `pattern` is not a valid regex.
    pub fn set_module_name_regex(mut self, pattern: &str, qconfig: Option<QConfig>) -> Self {
        let re = Regex::new(&format!("^(?:{pattern})")).unwrap_or_else(|e| {
            panic!("QConfigMapping::set_module_name_regex: bad pattern {pattern:?}: {e}")
        });
        match self
            .module_name_regex
            .iter_mut()
            .find(|(p, _, _)| p == pattern)
        {
            Some(e) => e.2 = qconfig,
            None => self
                .module_name_regex
                .push((pattern.to_string(), re, qconfig)),
        }
        self
    }

    /// `set_module_name(module_name, qconfig)`: the module and, unless they have their
    /// own, its descendants.
    pub fn set_module_name(mut self, module_name: &str, qconfig: Option<QConfig>) -> Self {
        upsert(&mut self.module_name, module_name.to_string(), qconfig);
        self
    }

    /// `set_module_name_object_type_order(module_name, object_type, index, qconfig)`: the
    /// `index`-th call of `object_type` inside the module `module_name`.
    pub fn set_module_name_object_type_order(
        mut self,
        module_name: &str,
        object_type: &str,
        index: usize,
        qconfig: Option<QConfig>,
    ) -> Self {
        let key = (module_name.to_string(), object_type.to_string(), index);
        match self
            .module_name_object_type_order
            .iter_mut()
            .find(|e| (e.0.as_str(), e.1.as_str(), e.2) == (key.0.as_str(), key.1.as_str(), key.2))
        {
            Some(e) => e.3 = qconfig,
            None => self
                .module_name_object_type_order
                .push((key.0, key.1, key.2, qconfig)),
        }
        self
    }

    /// The global qconfig.
    pub fn global(&self) -> Option<&QConfig> {
        self.global.as_ref()
    }

    /// The entry for `object_type`, if set (`Some(None)`: set to `None`).
    pub fn object_type_entry(&self, object_type: &str) -> Option<&Option<QConfig>> {
        self.object_type
            .iter()
            .find(|(k, _)| k == object_type)
            .map(|(_, q)| q)
    }

    /// Steps 1 to 4 of the resolution (PyTorch's
    /// `_maybe_adjust_qconfig_for_module_type_or_name`).
    fn type_or_name(&self, module_name: &str, object_type: &str) -> Option<QConfig> {
        let by_type = match self.object_type_entry(object_type) {
            Some(q) => q.clone(),
            None => self.global.clone(),
        };
        let by_regex = self
            .module_name_regex
            .iter()
            .find(|(_, re, _)| re.is_match(module_name))
            .map_or(by_type, |(_, _, q)| q.clone());
        let mut name = module_name;
        while !name.is_empty() {
            if let Some((_, q)) = self.module_name.iter().find(|(k, _)| k == name) {
                return q.clone();
            }
            name = parent_name(name);
        }
        by_regex
    }

    /// Step 5 (PyTorch's `_maybe_adjust_qconfig_for_module_name_object_type_order`).
    fn with_order(
        &self,
        path: &str,
        object_type: &str,
        index: usize,
        fallback: Option<QConfig>,
    ) -> Option<QConfig> {
        self.module_name_object_type_order
            .iter()
            .find(|e| e.0 == path && e.1 == object_type && e.2 == index)
            .map_or(fallback, |e| e.3.clone())
    }

    /// The qconfig of the module `module_name` of type `object_type`, the `index`-th
    /// module of that type called in its parent (PyTorch's resolution for an FX
    /// `call_module` node; see the type's docs for the precedence).
    pub fn qconfig_for_module(
        &self,
        module_name: &str,
        object_type: &str,
        index: usize,
    ) -> Option<QConfig> {
        let q = self.type_or_name(module_name, object_type);
        self.with_order(parent_name(module_name), object_type, index, q)
    }

    /// The qconfig of the `index`-th call of the function `function` inside the module
    /// `module_path` (an FX `call_function` node): the function's type entry or the
    /// global qconfig, overridden by a `module_name_object_type_order` entry.
    pub fn qconfig_for_function(
        &self,
        module_path: &str,
        function: &str,
        index: usize,
    ) -> Option<QConfig> {
        let q = match self.object_type_entry(function) {
            Some(q) => q.clone(),
            None => self.global.clone(),
        };
        self.with_order(module_path, function, index, q)
    }

    /// `(name, qconfig)` for every module of `model` below the root, in `named_modules`
    /// order, each module's index being its position among its parent's children of the
    /// same type (registration order, which is call order for `Sequential`).
    pub fn qconfigs_for_model(&self, model: &dyn Module) -> Vec<(String, Option<QConfig>)> {
        let mut out = Vec::new();
        for (name, m) in model.named_modules() {
            if name.is_empty() {
                continue;
            }
            let parent = parent_name(&name);
            let ty = m.type_name();
            let index = model
                .named_modules()
                .into_iter()
                .filter(|(n, c)| parent_name(n) == parent && !n.is_empty() && c.type_name() == ty)
                .take_while(|(n, _)| *n != name)
                .count();
            out.push((name.clone(), self.qconfig_for_module(&name, ty, index)));
        }
        out
    }
}
