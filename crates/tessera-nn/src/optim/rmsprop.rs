//! `torch.optim.RMSprop`.

use super::{buffer, lerp_, set_options, Optimizer, OptimizerCore};
use tessera_core::Tensor;

/// RMSprop (`torch.optim.RMSprop`), PyTorch's update with `centered`, `momentum` and
/// weight decay. Options by name: `lr` (1e-2), `alpha` (0.99), `eps` (1e-8),
/// `weight_decay` (0), `momentum` (0), `centered` (0 or 1), `maximize` (0 or 1).
pub struct RmsProp {
    core: OptimizerCore,
}

impl RmsProp {
    /// RMSprop with learning rate `lr` and PyTorch's other defaults.
    pub fn new(params: Vec<Tensor>, lr: f64) -> RmsProp {
        RmsProp::with(params, &[("lr", lr)])
    }

    /// RMSprop with options by name.
    ///
    /// # Panics
    /// If an option is unknown or negative.
    pub fn with(params: Vec<Tensor>, given: &[(&str, f64)]) -> RmsProp {
        let mut d = vec![
            ("lr", 1e-2),
            ("alpha", 0.99),
            ("eps", 1e-8),
            ("weight_decay", 0.0),
            ("momentum", 0.0),
            ("centered", 0.0),
            ("maximize", 0.0),
        ];
        set_options("RMSprop", &mut d, given);
        RmsProp {
            core: OptimizerCore::new(params, &d),
        }
    }
}

impl Optimizer for RmsProp {
    fn core(&self) -> &OptimizerCore {
        &self.core
    }
    fn core_mut(&mut self) -> &mut OptimizerCore {
        &mut self.core
    }
    fn step(&mut self) {
        self.core.for_each(|o, p, grad, st| {
            let (lr, alpha, eps, wd, mom) = (
                o["lr"],
                o["alpha"],
                o["eps"],
                o["weight_decay"],
                o["momentum"],
            );
            let mut g = if o["maximize"] != 0.0 { -&grad } else { grad };
            st.step += 1;
            if wd != 0.0 {
                g = &g + &(p * wd);
            }
            let sq = buffer(st, "square_avg", || p.zeros_like());
            sq.mul_(alpha).add_(&(&(&g * &g) * (1.0 - alpha)));
            let avg = if o["centered"] != 0.0 {
                let ga = buffer(st, "grad_avg", || p.zeros_like());
                lerp_(&ga, &g, 1.0 - alpha);
                (&sq - &(&ga * &ga)).sqrt()
            } else {
                sq.sqrt()
            };
            let avg = avg + eps;
            if mom > 0.0 {
                let buf = buffer(st, "momentum_buffer", || p.zeros_like());
                buf.mul_(mom).add_(&(&g / &avg));
                p.add_(&(&buf * -lr));
            } else {
                p.add_(&(&(&g / &avg) * -lr));
            }
        });
    }
}
