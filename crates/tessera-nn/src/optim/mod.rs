//! `torch.optim`: [`Sgd`], [`Adam`], [`AdamW`], [`RmsProp`] with parameter groups and
//! state dicts, the learning-rate schedulers of [`lr_scheduler`], and
//! [`clip_grad_norm_`].
//!
//! Each optimizer follows PyTorch's single-tensor update (`foreach=False`) operation
//! for operation; updates run under `no_grad` on the parameters in place.

mod adam;
mod clip;
pub mod lr_scheduler;
mod rmsprop;
mod sgd;

pub use adam::{Adam, AdamW};
pub use clip::clip_grad_norm_;
pub use rmsprop::RmsProp;
pub use sgd::Sgd;

use std::collections::BTreeMap;
use tessera_core::{Error, Result, StateDict, Tensor};

/// A group of parameters with its hyper-parameters (`optimizer.param_groups[i]`):
/// numbers by PyTorch's names (`"lr"`, `"momentum"`, `"weight_decay"`, `"beta1"`,
/// `"beta2"`, ...; booleans as 0 or 1).
#[derive(Clone, Debug)]
pub struct ParamGroup {
    /// The parameters.
    pub params: Vec<Tensor>,
    /// The hyper-parameters.
    pub options: BTreeMap<String, f64>,
}

impl ParamGroup {
    /// The hyper-parameter `key`.
    ///
    /// # Panics
    /// If the group has no such option.
    pub fn get(&self, key: &str) -> f64 {
        *self
            .options
            .get(key)
            .unwrap_or_else(|| panic!("ParamGroup: no option {key:?}"))
    }

    /// The learning rate.
    pub fn lr(&self) -> f64 {
        self.get("lr")
    }

    /// Sets the hyper-parameter `key`.
    pub fn set(&mut self, key: &str, v: f64) {
        self.options.insert(key.to_string(), v);
    }
}

/// One parameter's optimizer state: the step count and named buffers.
#[derive(Clone, Debug, Default)]
pub struct ParamState {
    /// Steps taken (PyTorch's `state["step"]`).
    pub step: u64,
    /// Buffers (`"momentum_buffer"`, `"exp_avg"`, `"exp_avg_sq"`, ...).
    pub buffers: StateDict,
}

/// `optimizer.state_dict()`: per-parameter state by index (counted across groups, as
/// PyTorch numbers them) and each group's options with its parameter indices.
#[derive(Clone, Debug, Default)]
pub struct OptimizerState {
    /// State of the parameters that have any.
    pub state: BTreeMap<usize, ParamState>,
    /// `(options, parameter indices)` per group.
    pub param_groups: Vec<(BTreeMap<String, f64>, Vec<usize>)>,
}

/// The groups and per-parameter state every optimizer keeps.
#[derive(Clone, Debug, Default)]
pub struct OptimizerCore {
    /// The parameter groups.
    pub groups: Vec<ParamGroup>,
    /// Options new groups start from.
    pub defaults: BTreeMap<String, f64>,
    /// State per parameter, indexed as in [`OptimizerState`].
    pub state: Vec<ParamState>,
}

impl OptimizerCore {
    fn new(params: Vec<Tensor>, defaults: &[(&str, f64)]) -> OptimizerCore {
        let defaults: BTreeMap<String, f64> =
            defaults.iter().map(|(k, v)| (k.to_string(), *v)).collect();
        let mut c = OptimizerCore {
            groups: vec![],
            defaults,
            state: vec![],
        };
        c.add_group(params, &[]);
        c
    }

    fn add_group(&mut self, params: Vec<Tensor>, overrides: &[(&str, f64)]) {
        for p in &params {
            assert!(
                p.is_leaf() && p.dtype().is_float(),
                "optimizer: can't optimize a non-leaf or non-float Tensor (shape {:?}, dtype {})",
                p.shape(),
                p.dtype()
            );
        }
        let mut options = self.defaults.clone();
        for (k, v) in overrides {
            options.insert(k.to_string(), *v);
        }
        self.state
            .extend(std::iter::repeat_with(ParamState::default).take(params.len()));
        self.groups.push(ParamGroup { params, options });
    }

    /// Runs `f(group options, param, grad, state)` on every parameter with a gradient,
    /// without recording.
    fn for_each(
        &mut self,
        mut f: impl FnMut(&BTreeMap<String, f64>, &Tensor, Tensor, &mut ParamState),
    ) {
        let _g = tessera_core::autograd::no_grad();
        let mut i = 0;
        for g in &self.groups {
            for p in &g.params {
                if let Some(grad) = p.grad() {
                    f(&g.options, p, grad, &mut self.state[i]);
                }
                i += 1;
            }
        }
    }

    fn state_dict(&self) -> OptimizerState {
        let mut out = OptimizerState::default();
        let mut i = 0;
        for g in &self.groups {
            let idx: Vec<usize> = (i..i + g.params.len()).collect();
            for j in idx.clone() {
                let s = &self.state[j];
                if s.step > 0 || !s.buffers.is_empty() {
                    let buffers = s.buffers.iter().map(|(k, t)| (k, t.deep_clone())).collect();
                    out.state.insert(
                        j,
                        ParamState {
                            step: s.step,
                            buffers,
                        },
                    );
                }
            }
            i += g.params.len();
            out.param_groups.push((g.options.clone(), idx));
        }
        out
    }

    fn load_state_dict(&mut self, s: &OptimizerState) -> Result<()> {
        if s.param_groups.len() != self.groups.len() {
            return Err(Error::Msg(format!(
                "loaded state dict has a different number of parameter groups ({} instead of {})",
                s.param_groups.len(),
                self.groups.len()
            )));
        }
        for ((_, idx), g) in s.param_groups.iter().zip(&self.groups) {
            if idx.len() != g.params.len() {
                return Err(Error::Msg(
                    "loaded state dict contains a parameter group that doesn't match the size of optimizer's group".into(),
                ));
            }
        }
        let params: Vec<&Tensor> = self.groups.iter().flat_map(|g| &g.params).collect();
        let total = params.len();
        // Map the saved indices onto ours, group by group, and check buffer shapes first.
        let mut mapped: Vec<(usize, &ParamState)> = Vec::new();
        let mut ours = 0;
        for (_, idx) in &s.param_groups {
            for &saved in idx {
                if let Some(st) = s.state.get(&saved) {
                    for (k, t) in st.buffers.iter() {
                        if t.shape() != params[ours].shape() && t.numel() != 1 {
                            return Err(Error::Msg(format!(
                                "loaded state for parameter {ours} has {k} of shape {:?}, the parameter has shape {:?}",
                                t.shape(),
                                params[ours].shape()
                            )));
                        }
                    }
                    mapped.push((ours, st));
                }
                ours += 1;
            }
        }
        let mut state = vec![ParamState::default(); total];
        for (i, st) in mapped {
            let dtype = params[i].dtype();
            state[i] = ParamState {
                step: st.step,
                buffers: st
                    .buffers
                    .iter()
                    .map(|(k, t)| (k, t.to_dtype(dtype).deep_clone()))
                    .collect(),
            };
        }
        for ((opts, _), g) in s.param_groups.iter().zip(&mut self.groups) {
            g.options = opts.clone();
        }
        self.state = state;
        Ok(())
    }
}

/// An optimizer (`torch.optim.Optimizer`).
pub trait Optimizer {
    /// Groups and state.
    fn core(&self) -> &OptimizerCore;
    /// Groups and state, mutably.
    fn core_mut(&mut self) -> &mut OptimizerCore;
    /// One update of every parameter that has a gradient (`optimizer.step()`).
    fn step(&mut self);

    /// The parameter groups (`optimizer.param_groups`).
    fn param_groups(&self) -> &[ParamGroup] {
        &self.core().groups
    }
    /// The parameter groups, mutably (schedulers set `"lr"` here).
    fn param_groups_mut(&mut self) -> &mut [ParamGroup] {
        &mut self.core_mut().groups
    }
    /// Clears every parameter's gradient (`zero_grad(set_to_none=True)`).
    fn zero_grad(&self) {
        for g in &self.core().groups {
            for p in &g.params {
                p.zero_grad();
            }
        }
    }
    /// Adds a group; options not in `overrides` come from the defaults
    /// (`add_param_group`).
    ///
    /// # Panics
    /// If a parameter is not a float leaf.
    fn add_param_group(&mut self, params: Vec<Tensor>, overrides: &[(&str, f64)]) {
        self.core_mut().add_group(params, overrides)
    }
    /// A copy of the state (`optimizer.state_dict()`).
    fn state_dict(&self) -> OptimizerState {
        self.core().state_dict()
    }
    /// Restores a state (`optimizer.load_state_dict`): group options and per-parameter
    /// buffers, cast to each parameter's dtype.
    ///
    /// # Errors
    /// `Error::Msg` with PyTorch's message when the number or sizes of the groups differ,
    /// or a buffer's shape does not match its parameter; nothing is changed then.
    fn load_state_dict(&mut self, state: &OptimizerState) -> Result<()> {
        self.core_mut().load_state_dict(state)
    }
}

/// The buffer `name` of a parameter's state, created by `init` on first use.
fn buffer(st: &mut ParamState, name: &str, init: impl FnOnce() -> Tensor) -> Tensor {
    if let Some(t) = st.buffers.get(name) {
        return t.clone();
    }
    let t = init();
    st.buffers.insert(name, t.clone());
    t
}

/// `a + w (b - a)` in place into `a`, as `torch.lerp_` computes it for `w < 0.5` (and
/// `b - (b - a)(1 - w)` otherwise).
fn lerp_(a: &Tensor, b: &Tensor, w: f64) {
    let d = b - a;
    if w < 0.5 {
        a.add_(&(&d * w));
    } else {
        a.copy_(&(b - &(&d * (1.0 - w))));
    }
}

/// Overwrites the defaults `d` with the options `given` by name (PyTorch's keyword
/// arguments of an optimizer's constructor).
///
/// # Panics
/// If an option is unknown to `d` or negative, naming the optimizer.
pub(crate) fn set_options(name: &str, d: &mut [(&str, f64)], given: &[(&str, f64)]) {
    for (k, v) in given {
        let slot = d
            .iter_mut()
            .find(|(n, _)| n == k)
            .unwrap_or_else(|| panic!("{name}: unknown option {k:?}"));
        assert!(*v >= 0.0, "{name}: invalid {k} value: {v}");
        slot.1 = *v;
    }
}
