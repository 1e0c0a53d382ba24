//! Reverse-mode automatic differentiation with PyTorch's semantics.
//!
//! A float tensor marked with [`Tensor::requires_grad_`] is a leaf; every op on it
//! records a node (`grad_fn`), and [`Tensor::backward`] walks the graph back,
//! accumulating gradients into the leaves' [`Tensor::grad`].
//!
//! ```
//! use tessera_core::tensor;
//! let x = tensor!([0.0, 1.0, 2.0], dtype = tessera_core::DType::F64);
//! x.requires_grad_(true);
//! let y = x.expm1().sum();
//! y.backward();
//! // d/dx (e^x - 1) = e^x
//! let g = x.grad().unwrap().to_vec::<f64>();
//! for (g, x) in g.iter().zip([0.0f64, 1.0, 2.0]) {
//!     assert!((g - x.exp()).abs() <= 2.0 * f64::EPSILON * x.exp());
//! }
//! ```
//!
//! - A tensor used several times gets the sum of its gradients; gradients
//!   accumulate across `backward()` calls until [`Tensor::zero_grad`].
//! - A graph is freed by `backward()`; a second `backward()` through ops that saved
//!   tensors panics unless the first used `retain_graph` ([`Tensor::backward_opts`]).
//! - Modifying in place a tensor that a recorded op saved is detected through the
//!   storage's version counter: `backward()` then panics, naming the op.
//! - `create_graph` records the backward pass itself, for higher derivatives.
//! - In-place ops on a tensor that requires grad panic while grad mode is on (use
//!   [`no_grad`] for optimizer updates). PyTorch rebases the history of non-leaf
//!   tensors instead; tessera does not do that yet.

mod engine;
mod gradcheck;
mod mode;
mod node;

pub use gradcheck::{gradcheck, gradgradcheck, GradcheckOptions};
pub use mode::{enable_grad, is_grad_enabled, no_grad, NoGradGuard};
pub use node::sum_to_shape;
pub use node::Node;
pub use node::Saves;
pub use node::{custom_op, custom_op_saving};
pub(crate) use node::{custom_op as record, custom_op_saving as record_saving, GradSlot};

use crate::Tensor;
use engine::Sink;
use std::sync::Arc;

/// Gradients of `outputs` with respect to `inputs` (`torch.autograd.grad`):
/// vector-Jacobian products with `grad_outputs` (one per output, same shapes).
/// Leaves' `.grad` is left untouched. An input that no output depends on gets `None`.
///
/// ```
/// use tessera_core::{autograd, tensor, DType};
/// let x = tensor!([3.0], dtype = DType::F64);
/// x.requires_grad_(true);
/// let y = &x * &x * &x;
/// let g = autograd::grad(&[y], &[x.clone()], &[tensor!([1.0], dtype = DType::F64)], false, true);
/// let dy = g[0].clone().unwrap(); // 3x^2 = 27, with its own graph
/// assert_eq!(dy.item::<f64>(), 27.0);
/// let d2 = autograd::grad(&[dy], &[x], &[tensor!([1.0], dtype = DType::F64)], false, false);
/// assert_eq!(d2[0].as_ref().unwrap().item::<f64>(), 18.0); // 6x
/// ```
///
/// # Panics
/// If the lengths of `outputs` and `grad_outputs` differ, shapes differ, an output
/// does not require grad, or the graph was already freed.
pub fn grad(
    outputs: &[Tensor],
    inputs: &[Tensor],
    grad_outputs: &[Tensor],
    retain_graph: bool,
    create_graph: bool,
) -> Vec<Option<Tensor>> {
    check_outputs("autograd::grad", outputs, grad_outputs);
    let mut sink = Sink::Capture(inputs, vec![None; inputs.len()]);
    engine::run(
        outputs,
        grad_outputs,
        retain_graph || create_graph,
        create_graph,
        &mut sink,
    );
    match sink {
        Sink::Capture(_, found) => found,
        Sink::Leaves => unreachable!("the sink was built as Capture"),
    }
}

fn check_outputs(op: &str, outputs: &[Tensor], grads: &[Tensor]) {
    assert_eq!(
        outputs.len(),
        grads.len(),
        "{op}: {} outputs but {} gradients",
        outputs.len(),
        grads.len()
    );
    for (o, g) in outputs.iter().zip(grads) {
        assert!(
            o.requires_grad(),
            "{op}: element of the outputs does not require grad and does not have a grad_fn"
        );
        assert_eq!(
            o.shape(),
            g.shape(),
            "{op}: mismatch in shape: grad_output has shape {:?} and output has shape {:?}",
            g.shape(),
            o.shape()
        );
    }
}

impl Tensor {
    /// Marks a leaf as needing gradients (`x.requires_grad_(b)`); returns `self`.
    ///
    /// # Panics
    /// If the tensor is not a float tensor (for `true`), or is not a leaf (for `false`).
    pub fn requires_grad_(&self, requires_grad: bool) -> &Tensor {
        if requires_grad {
            assert!(
                self.dtype().is_float(),
                "requires_grad_: only Tensors of floating point dtype can require gradients (got {})",
                self.dtype()
            );
        }
        if self.grad_fn().is_some() {
            assert!(
                requires_grad,
                "requires_grad_: you can only change requires_grad flags of leaf variables"
            );
            return self;
        }
        self.inner
            .requires_grad
            .store(requires_grad, std::sync::atomic::Ordering::Relaxed);
        self
    }

    /// Whether gradients flow to this tensor: a leaf marked with `requires_grad_`,
    /// or the result of an op recorded on one.
    pub fn requires_grad(&self) -> bool {
        self.inner.grad_fn.is_some()
            || self
                .inner
                .requires_grad
                .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Whether this tensor was not made by a recorded op (`x.is_leaf`).
    pub fn is_leaf(&self) -> bool {
        self.inner.grad_fn.is_none()
    }

    /// The node that made this tensor, if recorded (`x.grad_fn`).
    pub fn grad_fn(&self) -> Option<Arc<Node>> {
        self.inner.grad_fn.clone()
    }

    pub(crate) fn grad_slot(&self) -> GradSlot {
        self.inner.grad.get_or_init(Default::default).clone()
    }

    /// The accumulated gradient (`x.grad`): set on leaves by `backward()`, and on
    /// non-leaves that called [`Tensor::retain_grad`].
    pub fn grad(&self) -> Option<Tensor> {
        self.inner
            .grad
            .get()
            .and_then(|s| s.lock().unwrap_or_else(|e| e.into_inner()).clone())
    }

    /// Clears the accumulated gradient (`x.grad = None`).
    pub fn zero_grad(&self) {
        if let Some(s) = self.inner.grad.get() {
            *s.lock().unwrap_or_else(|e| e.into_inner()) = None;
        }
    }

    /// Keeps the gradient of a non-leaf tensor after `backward()` (`x.retain_grad()`);
    /// a no-op on leaves.
    pub fn retain_grad(&self) {
        if let Some(n) = &self.inner.grad_fn {
            let slot = self.grad_slot();
            let _ = n.retained.set(slot);
        }
    }

    /// A tensor sharing storage with `self` but outside the graph (`x.detach()`).
    pub fn detach(&self) -> Tensor {
        self.with_layout(self.layout().clone())
    }

    /// `backward()` on a one-element output: gradients of it with respect to every
    /// leaf that requires grad accumulate into their `.grad`.
    ///
    /// # Panics
    /// If the tensor has more than one element (use [`Tensor::backward_with`]), does
    /// not require grad, or its graph was freed by an earlier `backward()`.
    pub fn backward(&self) {
        assert!(
            self.numel() == 1,
            "backward: grad can be implicitly created only for scalar outputs (shape {:?})",
            self.shape()
        );
        self.backward_opts(None, false, false);
    }

    /// `backward(gradient)`: backpropagates `grad` (same shape as `self`).
    ///
    /// # Panics
    /// As [`Tensor::backward`], and if `grad`'s shape differs.
    pub fn backward_with(&self, grad: &Tensor) {
        self.backward_opts(Some(grad), false, false);
    }

    /// `backward(gradient, retain_graph, create_graph)`. `grad = None` means ones
    /// (one-element outputs only). `retain_graph` keeps the graph for another
    /// backward; `create_graph` records the backward pass so the gradients can be
    /// differentiated again (it implies `retain_graph`).
    ///
    /// # Panics
    /// As [`Tensor::backward_with`].
    pub fn backward_opts(&self, grad: Option<&Tensor>, retain_graph: bool, create_graph: bool) {
        let g = match grad {
            Some(g) => g.to_dtype(self.dtype()),
            None => {
                assert!(
                    self.numel() == 1,
                    "backward: grad can be implicitly created only for scalar outputs (shape {:?})",
                    self.shape()
                );
                self.ones_like()
            }
        };
        check_outputs(
            "backward",
            std::slice::from_ref(self),
            std::slice::from_ref(&g),
        );
        engine::run(
            std::slice::from_ref(self),
            &[g],
            retain_graph || create_graph,
            create_graph,
            &mut Sink::Leaves,
        );
    }

    /// Panics if an in-place op may not write this tensor: it requires grad while
    /// grad mode is on.
    pub(crate) fn check_inplace(&self, op: &str) {
        if is_grad_enabled() && self.requires_grad() {
            if self.is_leaf() {
                panic!("{op}: a leaf Variable that requires grad is being used in an in-place operation; wrap it in autograd::no_grad() if it is an update");
            }
            panic!("{op}: in-place operations on tensors that require grad are not supported; use the out-of-place form");
        }
    }
}
