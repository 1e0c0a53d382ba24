//! `load_state_dict`'s checks: missing and unexpected keys, shape mismatches, reported
//! with PyTorch's wording before anything is copied.

use super::Slot;
use tessera_core::{Error, Result, StateDict};

/// What a non-strict `load_state_dict` skipped (PyTorch's `_IncompatibleKeys`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LoadReport {
    /// Keys the module has that the state dict lacks (left unchanged).
    pub missing_keys: Vec<String>,
    /// Keys of the state dict the module does not have (ignored).
    pub unexpected_keys: Vec<String>,
}

fn torch_size(s: &[usize]) -> String {
    let parts: Vec<String> = s.iter().map(|d| d.to_string()).collect();
    format!("torch.Size([{}])", parts.join(", "))
}

fn quoted(keys: &[String]) -> String {
    keys.iter()
        .map(|k| format!("\"{k}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Validates `state` against the destinations; `Err` with PyTorch's message on failure.
pub(super) fn check(
    module: &str,
    dest: &[(String, Slot)],
    state: &StateDict,
    strict: bool,
) -> Result<LoadReport> {
    let mut report = LoadReport::default();
    let mut mismatches = Vec::new();
    for (name, slot) in dest {
        match state.get(name) {
            None => report.missing_keys.push(name.clone()),
            Some(src) => {
                let have = slot.get();
                if src.shape() != have.shape() {
                    mismatches.push(format!(
                        "size mismatch for {name}: copying a param with shape {} from checkpoint, the shape in current model is {}.",
                        torch_size(src.shape()),
                        torch_size(have.shape())
                    ));
                }
            }
        }
    }
    for k in state.keys() {
        if !dest.iter().any(|(n, _)| n == k) {
            report.unexpected_keys.push(k.to_string());
        }
    }
    let mut errors = Vec::new();
    if strict {
        if !report.missing_keys.is_empty() {
            errors.push(format!(
                "Missing key(s) in state_dict: {}. ",
                quoted(&report.missing_keys)
            ));
        }
        if !report.unexpected_keys.is_empty() {
            errors.push(format!(
                "Unexpected key(s) in state_dict: {}. ",
                quoted(&report.unexpected_keys)
            ));
        }
    }
    errors.extend(mismatches);
    if errors.is_empty() {
        Ok(report)
    } else {
        Err(Error::Msg(format!(
            "Error(s) in loading state_dict for {module}:\n\t{}",
            errors.join("\n\t")
        )))
    }
}
