//! Containers: [`Sequential`], [`ModuleList`], [`ModuleDict`] (`nn.Sequential`, ...).

use super::{Member, Module, TrainFlag};
use indexmap::IndexMap;
use tessera_core::Tensor;

/// Modules applied one after the other (`nn.Sequential`); children are named `"0"`,
/// `"1"`, ... as in PyTorch.
///
/// ```
/// use tessera_nn::{Linear, Module, ReLU, Sequential};
/// let net = Sequential::new().append(Linear::new(2, 3, true)).append(ReLU);
/// assert_eq!(net.len(), 2);
/// assert_eq!(net.forward(&tessera_core::Tensor::ones(&[5, 2])).shape(), &[5, 3]);
/// ```
#[derive(Default)]
pub struct Sequential {
    names: Vec<String>,
    modules: Vec<Box<dyn Module>>,
    training: TrainFlag,
}

impl Sequential {
    /// An empty sequence (its forward is the identity).
    pub fn new() -> Sequential {
        Sequential::default()
    }

    /// Appends `m` (named by its index); returns the sequence.
    pub fn append(mut self, m: impl Module + 'static) -> Sequential {
        self.push(Box::new(m));
        self
    }

    /// Appends a boxed module (`seq.append(m)`).
    pub fn push(&mut self, m: Box<dyn Module>) {
        self.names.push(self.modules.len().to_string());
        self.modules.push(m);
    }

    /// The number of modules.
    pub fn len(&self) -> usize {
        self.modules.len()
    }

    /// Whether the sequence is empty.
    pub fn is_empty(&self) -> bool {
        self.modules.is_empty()
    }

    /// The module at `i` (`seq[i]`).
    ///
    /// # Panics
    /// If `i` is out of range.
    pub fn get(&self, i: usize) -> &dyn Module {
        self.modules
            .get(i)
            .unwrap_or_else(|| {
                panic!(
                    "Sequential: index {i} is out of range ({} modules)",
                    self.len()
                )
            })
            .as_ref()
    }
}

impl Module for Sequential {
    fn forward(&self, input: &Tensor) -> Tensor {
        let mut x = input.clone();
        for m in &self.modules {
            x = m.forward(&x);
        }
        x
    }

    fn visit<'a>(&'a self, f: &mut dyn FnMut(Member<'a>)) {
        for (n, m) in self.names.iter().zip(&self.modules) {
            f(Member::Child(n, m.as_ref()));
        }
    }

    fn train_flag(&self) -> Option<&TrainFlag> {
        Some(&self.training)
    }

    crate::as_dyn!();
}

/// A list of modules, named `"0"`, `"1"`, ... (`nn.ModuleList`). It holds and names
/// modules; it has no forward of its own.
#[derive(Default)]
pub struct ModuleList {
    inner: Sequential,
}

impl ModuleList {
    /// An empty list.
    pub fn new() -> ModuleList {
        ModuleList::default()
    }

    /// Appends `m`; returns the list.
    pub fn append(mut self, m: impl Module + 'static) -> ModuleList {
        self.inner.push(Box::new(m));
        self
    }

    /// Appends a boxed module (`list.append(m)`).
    pub fn push(&mut self, m: Box<dyn Module>) {
        self.inner.push(m)
    }

    /// The number of modules.
    pub fn len(&self) -> usize {
        self.inner.len()
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.inner.is_empty()
    }

    /// The module at `i` (`list[i]`).
    ///
    /// # Panics
    /// If `i` is out of range.
    pub fn get(&self, i: usize) -> &dyn Module {
        self.inner.get(i)
    }

    /// The modules in order.
    pub fn iter(&self) -> impl Iterator<Item = &dyn Module> {
        self.inner.modules.iter().map(|m| m.as_ref())
    }
}

impl Module for ModuleList {
    /// # Panics
    /// Always, as PyTorch's `ModuleList` has no `forward`: iterate over it instead.
    fn forward(&self, _input: &Tensor) -> Tensor {
        panic!("ModuleList: has no forward; call its modules in a loop")
    }

    fn visit<'a>(&'a self, f: &mut dyn FnMut(Member<'a>)) {
        self.inner.visit(f)
    }

    fn train_flag(&self) -> Option<&TrainFlag> {
        self.inner.train_flag()
    }

    crate::as_dyn!();
}

/// Modules by name, in insertion order (`nn.ModuleDict`). It has no forward of its own.
#[derive(Default)]
pub struct ModuleDict {
    modules: IndexMap<String, Box<dyn Module>>,
    training: TrainFlag,
}

impl ModuleDict {
    /// An empty dict.
    pub fn new() -> ModuleDict {
        ModuleDict::default()
    }

    /// Inserts `m` under `name` (replacing an existing one in place); returns the dict.
    ///
    /// # Panics
    /// If `name` contains a `.` or is empty, as PyTorch's `add_module`.
    pub fn insert(mut self, name: &str, m: impl Module + 'static) -> ModuleDict {
        assert!(
            !name.is_empty() && !name.contains('.'),
            "ModuleDict: module name can't contain \".\" or be empty, got {name:?}"
        );
        self.modules.insert(name.to_string(), Box::new(m));
        self
    }

    /// The module named `name`.
    pub fn get(&self, name: &str) -> Option<&dyn Module> {
        self.modules.get(name).map(|m| m.as_ref())
    }

    /// The number of modules.
    pub fn len(&self) -> usize {
        self.modules.len()
    }

    /// Whether the dict is empty.
    pub fn is_empty(&self) -> bool {
        self.modules.is_empty()
    }
}

impl Module for ModuleDict {
    /// # Panics
    /// Always, as PyTorch's `ModuleDict` has no `forward`.
    fn forward(&self, _input: &Tensor) -> Tensor {
        panic!("ModuleDict: has no forward; call its modules by name")
    }

    fn visit<'a>(&'a self, f: &mut dyn FnMut(Member<'a>)) {
        for (n, m) in &self.modules {
            f(Member::Child(n, m.as_ref()));
        }
    }

    fn train_flag(&self) -> Option<&TrainFlag> {
        Some(&self.training)
    }

    crate::as_dyn!();
}
