//! `torch.optim.Adam` and `torch.optim.AdamW`.

use super::{buffer, lerp_, set_options, Optimizer, OptimizerCore};
use std::collections::BTreeMap;
use tessera_core::Tensor;

fn options(name: &str, wd: f64, given: &[(&str, f64)]) -> Vec<(&'static str, f64)> {
    let mut d = vec![
        ("lr", 1e-3),
        ("beta1", 0.9),
        ("beta2", 0.999),
        ("eps", 1e-8),
        ("weight_decay", wd),
        ("amsgrad", 0.0),
        ("maximize", 0.0),
    ];
    set_options(name, &mut d, given);
    for b in ["beta1", "beta2"] {
        let v = d.iter().find(|(n, _)| *n == b).unwrap().1;
        assert!(
            (0.0..1.0).contains(&v),
            "{name}: invalid beta parameter: {v}"
        );
    }
    d
}

/// The shared update; `decoupled` is AdamW's weight decay (`p *= 1 - lr * wd`).
fn adam_step(core: &mut OptimizerCore, decoupled: bool) {
    core.for_each(|o: &BTreeMap<String, f64>, p, grad, st| {
        let (lr, b1, b2, eps, wd) = (o["lr"], o["beta1"], o["beta2"], o["eps"], o["weight_decay"]);
        let mut g = if o["maximize"] != 0.0 { -&grad } else { grad };
        st.step += 1;
        if decoupled {
            p.mul_(1.0 - lr * wd);
        } else if wd != 0.0 {
            g = &g + &(p * wd);
        }
        let m = buffer(st, "exp_avg", || p.zeros_like());
        let v = buffer(st, "exp_avg_sq", || p.zeros_like());
        lerp_(&m, &g, 1.0 - b1);
        v.mul_(b2).add_(&(&(&g * &g) * (1.0 - b2)));
        let step = st.step as f64;
        let bc1 = 1.0 - b1.powf(step);
        let bc2 = 1.0 - b2.powf(step);
        let step_size = lr / bc1;
        let bc2_sqrt = bc2.sqrt();
        let denom = if o["amsgrad"] != 0.0 {
            let vmax = buffer(st, "max_exp_avg_sq", || p.zeros_like());
            vmax.copy_(&vmax.maximum(&v));
            vmax.sqrt() / bc2_sqrt + eps
        } else {
            v.sqrt() / bc2_sqrt + eps
        };
        p.add_(&(&(&m / &denom) * -step_size));
    });
}

/// Adam (`torch.optim.Adam`): PyTorch's update, with `amsgrad`, `maximize` and L2
/// weight decay added to the gradient.
///
/// Options by name: `lr` (1e-3), `beta1` (0.9), `beta2` (0.999), `eps` (1e-8),
/// `weight_decay` (0), `amsgrad`, `maximize` (0 or 1).
pub struct Adam {
    core: OptimizerCore,
}

impl Adam {
    /// Adam with learning rate `lr` and PyTorch's other defaults.
    pub fn new(params: Vec<Tensor>, lr: f64) -> Adam {
        Adam::with(params, &[("lr", lr)])
    }

    /// Adam with options by name.
    ///
    /// # Panics
    /// If an option is unknown or negative, or a beta is not in `[0, 1)`.
    pub fn with(params: Vec<Tensor>, given: &[(&str, f64)]) -> Adam {
        Adam {
            core: OptimizerCore::new(params, &options("Adam", 0.0, given)),
        }
    }
}

impl Optimizer for Adam {
    fn core(&self) -> &OptimizerCore {
        &self.core
    }
    fn core_mut(&mut self) -> &mut OptimizerCore {
        &mut self.core
    }
    fn step(&mut self) {
        adam_step(&mut self.core, false)
    }
}

/// AdamW (`torch.optim.AdamW`): Adam with decoupled weight decay (default 1e-2), applied
/// as `p *= 1 - lr * weight_decay` before the Adam update, as PyTorch.
pub struct AdamW {
    core: OptimizerCore,
}

impl AdamW {
    /// AdamW with learning rate `lr` and PyTorch's other defaults.
    pub fn new(params: Vec<Tensor>, lr: f64) -> AdamW {
        AdamW::with(params, &[("lr", lr)])
    }

    /// AdamW with options by name (as [`Adam`], `weight_decay` defaulting to 1e-2).
    ///
    /// # Panics
    /// As [`Adam::with`].
    pub fn with(params: Vec<Tensor>, given: &[(&str, f64)]) -> AdamW {
        AdamW {
            core: OptimizerCore::new(params, &options("AdamW", 1e-2, given)),
        }
    }
}

impl Optimizer for AdamW {
    fn core(&self) -> &OptimizerCore {
        &self.core
    }
    fn core_mut(&mut self) -> &mut OptimizerCore {
        &mut self.core
    }
    fn step(&mut self) {
        adam_step(&mut self.core, true)
    }
}
