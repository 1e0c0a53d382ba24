//! The [`Module`] trait (`torch.nn.Module`): parameters, buffers and children under
//! PyTorch's dotted names, train/eval, and `state_dict` / `load_state_dict`.
//!
//! A module lists what it owns through [`Module::visit`], in registration order (the
//! order PyTorch's `__init__` assigns them): its own parameters, buffers and child
//! modules. Everything else (`named_parameters`, `state_dict`, `train`, `to_dtype`, ...)
//! is provided by the trait from that one method, so the names are built one way:
//! `layer1.0.conv1.weight`.

mod containers;
mod slot;
mod state;

pub use containers::{ModuleDict, ModuleList, Sequential};
pub use slot::{Slot, TrainFlag};
pub use state::LoadReport;

use tessera_core::{autograd::no_grad, DType, Result, StateDict, Tensor};

/// One thing a module owns, as [`Module::visit`] reports it.
pub enum Member<'a> {
    /// A parameter (`nn.Parameter`): trained, in `parameters()` and the state dict.
    Parameter(&'a str, &'a Slot),
    /// A buffer (`register_buffer`): in the state dict when `persistent`, not trained.
    Buffer(&'a str, &'a Slot, bool),
    /// A child module.
    Child(&'a str, &'a dyn Module),
}

/// A neural-network module (`torch.nn.Module`).
///
/// Implementors write [`Module::forward`], [`Module::visit`] (their parameters, buffers
/// and children in registration order) and [`Module::train_flag`]; everything else is
/// provided.
///
/// ```
/// use tessera_nn::{Linear, Module, Sequential, ReLU};
/// let net = Sequential::new()
///     .append(Linear::new(4, 8, true))
///     .append(ReLU)
///     .append(Linear::new(8, 2, true));
/// let names: Vec<String> = net.named_parameters().into_iter().map(|(n, _)| n).collect();
/// assert_eq!(names, ["0.weight", "0.bias", "2.weight", "2.bias"]);
/// let y = net.forward(&tessera_core::Tensor::randn(&[3, 4]));
/// assert_eq!(y.shape(), &[3, 2]);
/// ```
pub trait Module: Send + Sync {
    /// The forward pass.
    fn forward(&self, input: &Tensor) -> Tensor;

    /// Calls `f` on each parameter, buffer and child this module registers itself, in
    /// registration order (not recursively). An absent optional parameter (`bias=False`)
    /// is not reported, as PyTorch leaves it out of `named_parameters`.
    fn visit<'a>(&'a self, f: &mut dyn FnMut(Member<'a>));

    /// The module's training flag (`module.training`); `None` for a module without one
    /// of its own (its mode is then only its children's).
    fn train_flag(&self) -> Option<&TrainFlag> {
        None
    }

    /// The module's type name, as PyTorch prints it (`Conv2d`).
    fn type_name(&self) -> &'static str {
        let full = std::any::type_name::<Self>();
        let base = full.split('<').next().unwrap_or(full);
        base.rsplit("::").next().unwrap_or(base)
    }

    /// Whether the module is in training mode (`module.training`). Layers whose forward
    /// does not depend on the mode (`Linear`, `Conv2d`, `ReLU`, pooling) carry no flag of
    /// their own: they report their first child's mode, or `true` when they have no
    /// children (PyTorch keeps a flag on every module; here only the modules it matters
    /// for, and the containers, do).
    fn is_training(&self) -> bool {
        if let Some(f) = self.train_flag() {
            return f.get();
        }
        let mut mode = None;
        self.visit(&mut |m| {
            if let (Member::Child(_, c), None) = (m, mode) {
                mode = Some(c.is_training());
            }
        });
        mode.unwrap_or(true)
    }

    /// Sets training mode on this module and every descendant (`module.train(mode)`).
    fn train(&self, mode: bool) {
        for (_, m) in self.named_modules() {
            if let Some(f) = m.train_flag() {
                f.set(mode);
            }
        }
    }

    /// Evaluation mode (`module.eval()`): `train(false)`.
    fn eval(&self) {
        self.train(false);
    }

    /// `(name, module)` for this module (name `""`) and every descendant, depth first in
    /// registration order (`named_modules()`); a module reached twice is listed once.
    fn named_modules(&self) -> Vec<(String, &dyn Module)> {
        let mut out: Vec<(String, &dyn Module)> = Vec::new();
        collect_modules(self.as_dyn(), String::new(), &mut out);
        out
    }

    /// The direct children (`named_children()`).
    fn named_children(&self) -> Vec<(String, &dyn Module)> {
        let mut out = Vec::new();
        self.visit(&mut |m| {
            if let Member::Child(n, c) = m {
                out.push((n.to_string(), c));
            }
        });
        out
    }

    /// `(dotted name, parameter)` for every parameter (`named_parameters()`), each tensor
    /// once even when shared.
    fn named_parameters(&self) -> Vec<(String, Tensor)> {
        let mut out = Vec::new();
        self.visit_recursive("", &mut |name, m| {
            if let Member::Parameter(_, s) = m {
                out.push((name.to_string(), s.get()));
            }
        });
        dedup(out)
    }

    /// The parameters (`parameters()`), in `named_parameters` order.
    fn parameters(&self) -> Vec<Tensor> {
        self.named_parameters()
            .into_iter()
            .map(|(_, t)| t)
            .collect()
    }

    /// `(dotted name, buffer)` for every buffer, persistent or not (`named_buffers()`).
    fn named_buffers(&self) -> Vec<(String, Tensor)> {
        let mut out = Vec::new();
        self.visit_recursive("", &mut |name, m| {
            if let Member::Buffer(_, s, _) = m {
                out.push((name.to_string(), s.get()));
            }
        });
        dedup(out)
    }

    /// Calls `f(dotted_name, member)` on every parameter and buffer of this module and its
    /// descendants, in `state_dict` order (a module's own members before its children's).
    fn visit_recursive(&self, prefix: &str, f: &mut dyn FnMut(&str, Member<'_>)) {
        // PyTorch's order: the module's own parameters, then its own buffers, then each
        // child in registration order.
        let mut children: Vec<(String, &dyn Module)> = Vec::new();
        let mut buffers = Vec::new();
        self.visit(&mut |m| match m {
            Member::Child(n, c) => children.push((format!("{prefix}{n}"), c)),
            Member::Parameter(n, _) => f(&format!("{prefix}{n}"), m),
            Member::Buffer(n, s, p) => buffers.push((format!("{prefix}{n}"), s, p)),
        });
        for (name, s, p) in buffers {
            let short = &name[prefix.len()..];
            f(&name, Member::Buffer(short, s, p));
        }
        for (n, c) in children {
            c.visit_recursive(&format!("{n}."), f);
        }
    }

    /// Sets `requires_grad` on every parameter (`requires_grad_(flag)`).
    fn requires_grad_(&self, requires_grad: bool) {
        for p in self.parameters() {
            p.requires_grad_(requires_grad);
        }
    }

    /// Clears every parameter's gradient (`zero_grad(set_to_none=True)`).
    fn zero_grad(&self) {
        for p in self.parameters() {
            p.zero_grad();
        }
    }

    /// Converts every float parameter and buffer to `dtype` (`module.to(dtype)`); integer
    /// buffers (`num_batches_tracked`) keep theirs, as in PyTorch. Parameters stay leaves
    /// that require grad; gradients are dropped.
    ///
    /// # Panics
    /// If `dtype` is not a float dtype.
    fn to_dtype(&self, dtype: DType) {
        assert!(
            dtype.is_float(),
            "Module::to_dtype: nn.Module.to only accepts floating point dtypes, got {dtype}"
        );
        self.visit_recursive("", &mut |_, m| match m {
            Member::Parameter(_, s) => {
                let t = s.get();
                if t.dtype().is_float() && t.dtype() != dtype {
                    let n = t.detach().to_dtype(dtype);
                    n.requires_grad_(t.requires_grad());
                    s.set(n);
                }
            }
            Member::Buffer(_, s, _) => {
                let t = s.get();
                if t.dtype().is_float() && t.dtype() != dtype {
                    s.set(t.to_dtype(dtype));
                }
            }
            Member::Child(..) => {}
        });
    }

    /// Calls `f` on every module, children first and this module last (`module.apply(fn)`).
    fn apply(&self, f: &mut dyn FnMut(&str, &dyn Module)) {
        let mut all = self.named_modules();
        all.reverse();
        for (n, m) in all {
            f(&n, m);
        }
    }

    /// The parameters and persistent buffers by dotted name (`state_dict()`): the same
    /// tensors (handles), detached, as PyTorch returns them.
    fn state_dict(&self) -> StateDict {
        let mut sd = StateDict::new();
        self.visit_recursive("", &mut |name, m| match m {
            Member::Parameter(_, s) | Member::Buffer(_, s, true) if !sd.contains_key(name) => {
                sd.insert(name, s.get().detach());
            }
            _ => {}
        });
        sd
    }

    /// Copies `state` into the parameters and persistent buffers (`load_state_dict`).
    ///
    /// With `strict`, keys missing from `state` and keys it has that the module does not
    /// are errors, as in PyTorch; without, they are reported in the returned
    /// [`LoadReport`]. A shape mismatch is an error either way. Values are cast to the
    /// destination's dtype.
    ///
    /// # Errors
    /// `Error::Msg` with PyTorch's message (`Error(s) in loading state_dict for ResNet:
    /// Missing key(s) in state_dict: "fc.bias". ...`). Nothing is changed when it fails.
    fn load_state_dict(&self, state: &StateDict, strict: bool) -> Result<LoadReport> {
        let mut dest: Vec<(String, Slot)> = Vec::new();
        self.visit_recursive("", &mut |name, m| match m {
            Member::Parameter(_, s) | Member::Buffer(_, s, true) => {
                dest.push((name.to_string(), s.clone()))
            }
            _ => {}
        });
        let report = state::check(self.type_name(), &dest, state, strict)?;
        let _g = no_grad();
        for (name, slot) in &dest {
            if let Some(src) = state.get(name) {
                slot.get().copy_(src);
            }
        }
        Ok(report)
    }

    /// `self` as a trait object.
    fn as_dyn(&self) -> &dyn Module;

    /// `self` as [`std::any::Any`], for code that needs a module's concrete type
    /// (quantization's `fuse_modules` and `convert` read a `Conv2d`'s options and a
    /// `BatchNorm2d`'s statistics). `None` unless the implementor provides it; the
    /// [`as_dyn!`](crate::as_dyn) macro does.
    fn as_any(&self) -> Option<&dyn std::any::Any> {
        None
    }
}

fn collect_modules<'a>(m: &'a dyn Module, name: String, out: &mut Vec<(String, &'a dyn Module)>) {
    // A module reached twice (shared) is listed once. Identity is the address together
    // with the type (a struct and its first field share an address) and never holds for
    // zero-sized modules (`ReLU`), which all may share one address.
    let ptr = m as *const dyn Module as *const ();
    let same = |o: &dyn Module| {
        std::ptr::eq(o as *const dyn Module as *const (), ptr)
            && std::mem::size_of_val(m) > 0
            && o.type_name() == m.type_name()
    };
    if out.iter().any(|(_, o)| same(*o)) {
        return;
    }
    out.push((name.clone(), m));
    let mut children: Vec<(String, &'a dyn Module)> = Vec::new();
    m.visit(&mut |c| {
        if let Member::Child(n, c) = c {
            children.push((n.to_string(), c));
        }
    });
    for (n, c) in children {
        let full = if name.is_empty() {
            n
        } else {
            format!("{name}.{n}")
        };
        collect_modules(c, full, out);
    }
}

/// Keeps the first name of each tensor (PyTorch's `remove_duplicate=True`).
fn dedup(v: Vec<(String, Tensor)>) -> Vec<(String, Tensor)> {
    let mut out: Vec<(String, Tensor)> = Vec::with_capacity(v.len());
    for (n, t) in v {
        if !out.iter().any(|(_, o)| same_tensor(o, &t)) {
            out.push((n, t));
        }
    }
    out
}

fn same_tensor(a: &Tensor, b: &Tensor) -> bool {
    a.shares_storage(b) && a.layout() == b.layout()
}

/// Implements [`Module::as_dyn`] and [`Module::as_any`] (the methods every module writes
/// the same way).
#[macro_export]
macro_rules! as_dyn {
    () => {
        fn as_dyn(&self) -> &dyn $crate::Module {
            self
        }
        fn as_any(&self) -> Option<&dyn ::std::any::Any> {
            Some(self)
        }
    };
}
