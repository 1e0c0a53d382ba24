//! [`Slot`] (a registered tensor a module owns) and [`TrainFlag`] (`module.training`).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use tessera_core::Tensor;

/// A registered parameter or buffer: a shared, replaceable tensor handle.
///
/// Cloning a `Slot` shares it. The tensor inside is read with [`Slot::get`] (a cheap
/// handle clone) and replaced with [`Slot::set`] (`module.to(dtype)` does that); values
/// change in place through the tensor itself (`load_state_dict`, optimizers).
#[derive(Clone)]
pub struct Slot(Arc<RwLock<Tensor>>);

impl Slot {
    /// A slot holding `t` as it is (a buffer).
    pub fn new(t: Tensor) -> Slot {
        Slot(Arc::new(RwLock::new(t)))
    }

    /// A slot holding `t` as a parameter: a leaf that requires grad (`nn.Parameter(t)`).
    ///
    /// # Panics
    /// If `t` is not a float tensor.
    pub fn parameter(t: Tensor) -> Slot {
        let t = t.detach();
        t.requires_grad_(true);
        Slot::new(t)
    }

    /// The tensor (a handle sharing its storage).
    pub fn get(&self) -> Tensor {
        self.0.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Replaces the tensor.
    pub fn set(&self, t: Tensor) {
        *self.0.write().unwrap_or_else(|e| e.into_inner()) = t;
    }
}

impl std::fmt::Debug for Slot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let t = self.get();
        write!(f, "Slot({:?}, {})", t.shape(), t.dtype())
    }
}

/// A module's training flag (`module.training`), `true` when made.
#[derive(Debug)]
pub struct TrainFlag(AtomicBool);

impl Default for TrainFlag {
    fn default() -> Self {
        TrainFlag(AtomicBool::new(true))
    }
}

impl TrainFlag {
    /// The current mode.
    pub fn get(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    /// Sets the mode.
    pub fn set(&self, training: bool) {
        self.0.store(training, Ordering::Relaxed)
    }
}
