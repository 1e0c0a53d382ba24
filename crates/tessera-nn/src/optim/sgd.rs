//! `torch.optim.SGD`.

use super::{buffer, set_options, Optimizer, OptimizerCore};
use tessera_core::Tensor;

/// Stochastic gradient descent with momentum, dampening, Nesterov momentum and weight
/// decay (`torch.optim.SGD`), PyTorch's update:
///
/// ```text
/// g = grad + weight_decay * p
/// buf = g (first step), else momentum * buf + (1 - dampening) * g
/// g = g + momentum * buf (nesterov), else buf
/// p = p - lr * g
/// ```
pub struct Sgd {
    core: OptimizerCore,
}

impl Sgd {
    /// Plain SGD with learning rate `lr`; set other options with [`Sgd::with`].
    pub fn new(params: Vec<Tensor>, lr: f64) -> Sgd {
        Sgd::with(params, &[("lr", lr)])
    }

    /// SGD with options by PyTorch's names: `lr`, `momentum`, `dampening`,
    /// `weight_decay`, `nesterov` (0 or 1), `maximize` (0 or 1); the rest default to 0.
    ///
    /// # Panics
    /// If an option is unknown or negative, or `nesterov` is set without momentum and
    /// zero dampening (as PyTorch).
    pub fn with(params: Vec<Tensor>, options: &[(&str, f64)]) -> Sgd {
        let mut d = vec![
            ("lr", 1e-3),
            ("momentum", 0.0),
            ("dampening", 0.0),
            ("weight_decay", 0.0),
            ("nesterov", 0.0),
            ("maximize", 0.0),
        ];
        set_options("SGD", &mut d, options);
        let get = |k: &str| d.iter().find(|(n, _)| *n == k).map(|p| p.1).unwrap_or(0.0);
        assert!(
            get("nesterov") == 0.0 || (get("momentum") > 0.0 && get("dampening") == 0.0),
            "SGD: Nesterov momentum requires a momentum and zero dampening"
        );
        Sgd {
            core: OptimizerCore::new(params, &d),
        }
    }
}

impl Optimizer for Sgd {
    fn core(&self) -> &OptimizerCore {
        &self.core
    }
    fn core_mut(&mut self) -> &mut OptimizerCore {
        &mut self.core
    }
    fn step(&mut self) {
        self.core.for_each(|o, p, grad, st| {
            let (lr, mom, damp, wd) = (o["lr"], o["momentum"], o["dampening"], o["weight_decay"]);
            let mut g = if o["maximize"] != 0.0 { -&grad } else { grad };
            if wd != 0.0 {
                g = &g + &(p * wd);
            }
            if mom != 0.0 {
                let first = !st.buffers.contains_key("momentum_buffer");
                let buf = buffer(st, "momentum_buffer", || g.deep_clone());
                if !first {
                    buf.mul_(mom).add_(&(&g * (1.0 - damp)));
                }
                g = if o["nesterov"] != 0.0 {
                    &g + &(&buf * mom)
                } else {
                    buf
                };
            }
            st.step += 1;
            p.add_(&(&g * -lr));
        });
    }
}
