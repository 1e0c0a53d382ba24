//! Ops on tensors.
