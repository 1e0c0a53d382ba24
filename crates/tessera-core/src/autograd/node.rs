//! Graph nodes: what an op records so its gradient can be computed later.

use super::mode::{is_grad_enabled, no_grad};
use crate::storage::Storage;
use crate::tensor::TensorImpl;
use crate::Tensor;
use std::sync::{Arc, Mutex, OnceLock, Weak};

/// `(grad_output, output, inputs) -> grad per input` (`None`: no gradient).
pub(crate) type BackwardFn =
    Box<dyn Fn(&Tensor, &Tensor, &[Tensor]) -> Vec<Option<Tensor>> + Send + Sync>;

/// A grad slot shared by a tensor and the node that fills it.
pub(crate) type GradSlot = Arc<Mutex<Option<Tensor>>>;

/// What an op's backward reads, so in-place changes to it can be detected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Saves {
    /// Nothing (e.g. `add`).
    Nothing,
    /// The inputs (e.g. `mul`).
    Inputs,
    /// The output (e.g. `exp`).
    Output,
    /// Both.
    Both,
}

/// One recorded op (`grad_fn` in PyTorch).
pub struct Node {
    pub(crate) name: &'static str,
    pub(crate) inputs: Vec<Tensor>,
    backward: Mutex<Option<BackwardFn>>,
    frees: bool,
    saved: Vec<(Arc<Storage>, u64)>,
    pub(crate) output: OnceLock<Weak<TensorImpl>>,
    pub(crate) retained: OnceLock<GradSlot>,
}

impl std::fmt::Debug for Node {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "<{}Backward>", self.name)
    }
}

impl Node {
    /// The op's name (`exp`, `matmul`, ...).
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Runs the backward function, checking saved tensors were not modified in place.
    ///
    /// # Panics
    /// If the graph was already freed by an earlier `backward()`, or a saved tensor
    /// was modified in place since the op ran.
    pub(crate) fn apply(&self, grad: &Tensor, retain_graph: bool) -> Vec<Option<Tensor>> {
        for (storage, version) in &self.saved {
            let now = storage.version();
            assert_eq!(
                now, *version,
                "{}: one of the variables needed for gradient computation has been modified by an inplace operation: it is at version {now}; expected version {version} instead",
                self.name
            );
        }
        let out = self
            .output
            .get()
            .and_then(Weak::upgrade)
            .map(|inner| Tensor { inner })
            .expect("the output of a node is alive while its graph is walked");
        let mut slot = self.backward.lock().unwrap_or_else(|e| e.into_inner());
        let f = slot.as_ref().unwrap_or_else(|| {
            panic!(
                "{}: trying to backward through the graph a second time (or directly access saved tensors after they have already been freed); call backward with retain_graph = true the first time if you need to",
                self.name
            )
        });
        let grads = f(grad, &out, &self.inputs);
        if self.frees && !retain_graph {
            *slot = None;
        }
        grads
    }
}

impl Drop for Node {
    /// Frees long chains without recursion (an ODE solve can record 10^5 nodes).
    fn drop(&mut self) {
        let mut stack = std::mem::take(&mut self.inputs);
        while let Some(t) = stack.pop() {
            if let Ok(mut imp) = Arc::try_unwrap(t.inner) {
                if let Some(node) = imp.grad_fn.take() {
                    if let Ok(mut n) = Arc::try_unwrap(node) {
                        stack.append(&mut n.inputs);
                    }
                }
            }
        }
    }
}

/// Whether an op on `inputs` must record a node.
fn needs_grad(inputs: &[&Tensor]) -> bool {
    is_grad_enabled() && inputs.iter().any(|t| t.requires_grad())
}

/// Records a custom differentiable op (PyTorch's `autograd.Function`), for crates
/// built on tessera-core: `forward` computes the output (with recording off), and
/// `backward(grad_output, output, inputs)` returns one gradient per input (`None`
/// for inputs that get none), each of its input's shape. Use tensor ops in
/// `backward` so that `create_graph` can differentiate it again. `saves` names
/// what `backward` reads, so in-place changes to it are detected.
///
/// ```
/// use tessera_core::{autograd::{self, Saves}, tensor, DType};
/// let x = tensor!([2.0], dtype = DType::F64);
/// x.requires_grad_(true);
/// // cube with a hand-written derivative
/// let y = autograd::custom_op("cube", &[&x], Saves::Inputs, || &x * &x * &x, |g, _, inputs| {
///     vec![Some(g * &inputs[0] * &inputs[0] * 3.0)]
/// });
/// y.sum().backward();
/// assert_eq!(x.grad().unwrap().item::<f64>(), 12.0);
/// ```
///
/// `forward` runs with recording off, so ops it calls internally leave no nodes; an
/// output that is not a float tensor is returned without a node. A `backward` that
/// reads other tensors (captured index or mask tensors) must name them through
/// [`custom_op_saving`], or an in-place change to them goes unnoticed.
pub fn custom_op(
    name: &'static str,
    inputs: &[&Tensor],
    saves: Saves,
    forward: impl FnOnce() -> Tensor,
    backward: impl Fn(&Tensor, &Tensor, &[Tensor]) -> Vec<Option<Tensor>> + Send + Sync + 'static,
) -> Tensor {
    custom_op_saving(name, inputs, saves, &[], forward, backward)
}

/// [`custom_op`] whose `backward` also reads `also_saved`: tensors that are not inputs
/// (an index, a mask, a time grid), integer ones included. Modifying one of them in
/// place after the op ran makes `backward()` panic, naming the op, as PyTorch does,
/// instead of computing a wrong gradient.
///
/// ```should_panic
/// use tessera_core::{autograd::{self, Saves}, tensor, DType};
/// let x = tensor!([1.0, 2.0], dtype = DType::F64);
/// x.requires_grad_(true);
/// let w = tensor!([3.0, 4.0], dtype = DType::F64);
/// let wc = w.clone();
/// let y = autograd::custom_op_saving("scale", &[&x], Saves::Nothing, &[&w], || &x * &w,
///     move |g, _, _| vec![Some(g * &wc)]);
/// w.fill_(0.0);
/// y.sum().backward(); // panics: "scale: one of the variables needed ... modified"
/// ```
pub fn custom_op_saving(
    name: &'static str,
    inputs: &[&Tensor],
    saves: Saves,
    also_saved: &[&Tensor],
    forward: impl FnOnce() -> Tensor,
    backward: impl Fn(&Tensor, &Tensor, &[Tensor]) -> Vec<Option<Tensor>> + Send + Sync + 'static,
) -> Tensor {
    if !needs_grad(inputs) {
        return forward();
    }
    let out = {
        let _g = no_grad();
        forward()
    };
    if !out.dtype().is_float() {
        return out;
    }
    attach(name, inputs, saves, also_saved, out, Box::new(backward))
}

/// Gives `out` a `grad_fn` node with `backward`.
pub(crate) fn attach(
    name: &'static str,
    inputs: &[&Tensor],
    saves: Saves,
    also_saved: &[&Tensor],
    out: Tensor,
    backward: BackwardFn,
) -> Tensor {
    let version = |t: &Tensor| (t.storage().clone(), t.storage().version());
    let mut saved: Vec<(Arc<Storage>, u64)> = also_saved.iter().map(|t| version(t)).collect();
    if matches!(saves, Saves::Inputs | Saves::Both) {
        saved.extend(inputs.iter().map(|t| version(t)));
    }
    if matches!(saves, Saves::Output | Saves::Both) {
        saved.push(version(&out));
    }
    let node = Arc::new(Node {
        name,
        inputs: inputs.iter().map(|t| (*t).clone()).collect(),
        backward: Mutex::new(Some(backward)),
        frees: !saved.is_empty(),
        saved,
        output: OnceLock::new(),
        retained: OnceLock::new(),
    });
    let t = out.with_grad_fn(node.clone());
    node.output
        .set(Arc::downgrade(&t.inner))
        .expect("a new node has no output yet");
    t
}

/// Sums `g` down to `shape`, undoing broadcasting (over leading dims and dims where
/// `shape` has size 1): the gradient of an input that was broadcast.
///
/// # Panics
/// If `shape` does not broadcast to `g`'s shape.
pub fn sum_to_shape(g: &Tensor, shape: &[usize]) -> Tensor {
    if g.shape() == shape {
        return g.clone();
    }
    let lead = g.dim() - shape.len();
    let mut dims: Vec<isize> = (0..lead as isize).collect();
    for (i, &s) in shape.iter().enumerate() {
        if s == 1 && g.shape()[lead + i] != 1 {
            dims.push((lead + i) as isize);
        }
    }
    let r = if dims.is_empty() {
        g.clone()
    } else {
        g.sum_dim(dims, true)
    };
    r.reshape(shape)
}
