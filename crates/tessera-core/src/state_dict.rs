//! [`StateDict`]: named tensors in insertion order, PyTorch's `state_dict()`.
//!
//! The one type that `nn` modules produce and accept, that `tessera::load` and
//! `tessera::save` read and write, and that the hub hands out; it lives in core so that
//! those areas agree on it without depending on each other.

use crate::Tensor;
use indexmap::IndexMap;

/// Named tensors in insertion order: PyTorch's `OrderedDict[str, Tensor]` as returned by
/// `module.state_dict()` (`"layer1.0.conv1.weight" -> Tensor`).
///
/// Keys keep the order they were inserted in, as PyTorch's `OrderedDict` does; inserting
/// an existing key replaces its tensor and keeps its position.
///
/// ```
/// use tessera_core::{StateDict, Tensor};
///
/// let mut sd = StateDict::new();
/// sd.insert("fc.weight", Tensor::zeros(&[2, 3]));
/// sd.insert("fc.bias", Tensor::zeros(&[2]));
/// assert_eq!(sd.keys().collect::<Vec<_>>(), ["fc.weight", "fc.bias"]);
/// assert_eq!(sd["fc.bias"].shape(), &[2]);
/// ```
#[derive(Clone, Debug, Default)]
pub struct StateDict {
    entries: IndexMap<String, Tensor>,
}

impl StateDict {
    /// An empty state dict.
    pub fn new() -> Self {
        Self::default()
    }

    /// Inserts `tensor` under `key`, returning the tensor it replaces. A new key goes
    /// last; an existing key keeps its position.
    pub fn insert(&mut self, key: impl Into<String>, tensor: Tensor) -> Option<Tensor> {
        self.entries.insert(key.into(), tensor)
    }

    /// The tensor under `key`.
    pub fn get(&self, key: &str) -> Option<&Tensor> {
        self.entries.get(key)
    }

    /// Whether `key` is present.
    pub fn contains_key(&self, key: &str) -> bool {
        self.entries.contains_key(key)
    }

    /// Removes `key`, keeping the order of the others.
    pub fn remove(&mut self, key: &str) -> Option<Tensor> {
        self.entries.shift_remove(key)
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The keys, in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.entries.keys().map(String::as_str)
    }

    /// The tensors, in order.
    pub fn values(&self) -> impl Iterator<Item = &Tensor> {
        self.entries.values()
    }

    /// `(key, tensor)` pairs, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Tensor)> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v))
    }
}

impl std::ops::Index<&str> for StateDict {
    type Output = Tensor;

    /// # Panics
    /// If `key` is absent; the message names the key.
    fn index(&self, key: &str) -> &Tensor {
        self.entries
            .get(key)
            .unwrap_or_else(|| panic!("StateDict: no key {key:?}"))
    }
}

impl<K: Into<String>> FromIterator<(K, Tensor)> for StateDict {
    fn from_iter<I: IntoIterator<Item = (K, Tensor)>>(iter: I) -> Self {
        let mut sd = StateDict::new();
        sd.extend(iter);
        sd
    }
}

impl<K: Into<String>> Extend<(K, Tensor)> for StateDict {
    fn extend<I: IntoIterator<Item = (K, Tensor)>>(&mut self, iter: I) {
        for (k, v) in iter {
            self.insert(k, v);
        }
    }
}

impl IntoIterator for StateDict {
    type Item = (String, Tensor);
    type IntoIter = indexmap::map::IntoIter<String, Tensor>;

    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_is_insertion_order_and_replacing_keeps_position() {
        let mut sd: StateDict = [("b", Tensor::zeros(&[1])), ("a", Tensor::zeros(&[2]))]
            .into_iter()
            .collect();
        assert!(sd.insert("b", Tensor::zeros(&[3])).is_some());
        assert_eq!(sd.keys().collect::<Vec<_>>(), ["b", "a"]);
        assert_eq!(sd["b"].shape(), &[3]);
        sd.insert("c", Tensor::zeros(&[0]));
        assert_eq!(sd.remove("b").unwrap().shape(), &[3]);
        assert_eq!(sd.keys().collect::<Vec<_>>(), ["a", "c"]);
        assert_eq!(sd.len(), 2);
        assert!(!sd.is_empty() && sd.contains_key("c") && sd.get("b").is_none());
    }

    #[test]
    #[should_panic(expected = "StateDict: no key \"missing\"")]
    fn indexing_a_missing_key_names_it() {
        let _ = &StateDict::new()["missing"];
    }
}
