//! Learning-rate schedulers (`torch.optim.lr_scheduler`): [`StepLR`],
//! [`CosineAnnealingLR`], [`LambdaLR`], [`OneCycleLR`].
//!
//! As in PyTorch, making a scheduler takes its first step (epoch 0) and sets each
//! group's learning rate; call [`LrScheduler::step`] after each `optimizer.step()`.
//! The recursive ("chainable") formulas are PyTorch's, so the rates match its values
//! step for step.
//!
//! ```
//! use tessera_core::Tensor;
//! use tessera_nn::optim::{Sgd, Optimizer, lr_scheduler::{LrScheduler, StepLR}};
//! let p = Tensor::zeros(&[1]);
//! p.requires_grad_(true);
//! let mut opt = Sgd::new(vec![p], 1.0);
//! let mut s = StepLR::new(&mut opt, 2, 0.5);
//! let mut lrs = vec![];
//! for _ in 0..5 {
//!     opt.step();
//!     s.step(&mut opt);
//!     lrs.push(opt.param_groups()[0].lr());
//! }
//! assert_eq!(lrs, [1.0, 0.5, 0.5, 0.25, 0.25]);
//! ```

use super::Optimizer;
use std::f64::consts::PI;

/// A learning-rate scheduler.
pub trait LrScheduler {
    /// The rates for the current epoch, given the groups' current rates.
    fn compute(&mut self, current: &[f64]) -> Vec<f64>;
    /// The epoch counter (`last_epoch`).
    fn last_epoch_mut(&mut self) -> &mut i64;

    /// Advances one epoch and writes the new rates into the optimizer's groups.
    fn step(&mut self, opt: &mut dyn Optimizer) {
        *self.last_epoch_mut() += 1;
        let cur: Vec<f64> = opt.param_groups().iter().map(|g| g.lr()).collect();
        let new = self.compute(&cur);
        for (g, lr) in opt.param_groups_mut().iter_mut().zip(new) {
            g.set("lr", lr);
        }
    }
}

fn base_lrs(opt: &dyn Optimizer) -> Vec<f64> {
    opt.param_groups().iter().map(|g| g.lr()).collect()
}

/// Multiplies the rate by `gamma` every `step_size` epochs (`StepLR`).
pub struct StepLR {
    step_size: usize,
    gamma: f64,
    last_epoch: i64,
}

impl StepLR {
    /// Takes the first step.
    ///
    /// # Panics
    /// If `step_size` is 0.
    pub fn new(opt: &mut dyn Optimizer, step_size: usize, gamma: f64) -> StepLR {
        assert!(step_size > 0, "StepLR: step_size must be positive");
        let mut s = StepLR {
            step_size,
            gamma,
            last_epoch: -1,
        };
        s.step(opt);
        s
    }
}

impl LrScheduler for StepLR {
    fn compute(&mut self, cur: &[f64]) -> Vec<f64> {
        if self.last_epoch == 0 || self.last_epoch % self.step_size as i64 != 0 {
            cur.to_vec()
        } else {
            cur.iter().map(|l| l * self.gamma).collect()
        }
    }
    fn last_epoch_mut(&mut self) -> &mut i64 {
        &mut self.last_epoch
    }
}

/// Cosine annealing from the base rate to `eta_min` over `t_max` epochs
/// (`CosineAnnealingLR`), by PyTorch's recursive formula.
pub struct CosineAnnealingLR {
    t_max: usize,
    eta_min: f64,
    base: Vec<f64>,
    last_epoch: i64,
}

impl CosineAnnealingLR {
    /// Takes the first step.
    ///
    /// # Panics
    /// If `t_max` is 0.
    pub fn new(opt: &mut dyn Optimizer, t_max: usize, eta_min: f64) -> CosineAnnealingLR {
        assert!(t_max > 0, "CosineAnnealingLR: T_max must be positive");
        let mut s = CosineAnnealingLR {
            t_max,
            eta_min,
            base: base_lrs(opt),
            last_epoch: -1,
        };
        s.step(opt);
        s
    }
}

impl LrScheduler for CosineAnnealingLR {
    fn compute(&mut self, cur: &[f64]) -> Vec<f64> {
        let (e, t) = (self.last_epoch, self.t_max as f64);
        if e == 0 {
            return cur.to_vec();
        }
        if (e - 1 - self.t_max as i64).rem_euclid(2 * self.t_max as i64) == 0 {
            return cur
                .iter()
                .zip(&self.base)
                .map(|(l, b)| l + (b - self.eta_min) * (1.0 - (PI / t).cos()) / 2.0)
                .collect();
        }
        let ef = e as f64;
        cur.iter()
            .map(|l| {
                (1.0 + (PI * ef / t).cos()) / (1.0 + (PI * (ef - 1.0) / t).cos())
                    * (l - self.eta_min)
                    + self.eta_min
            })
            .collect()
    }
    fn last_epoch_mut(&mut self) -> &mut i64 {
        &mut self.last_epoch
    }
}

/// The base rate times `f(epoch)` (`LambdaLR`), one function for every group.
pub struct LambdaLR {
    f: Box<dyn Fn(usize) -> f64>,
    base: Vec<f64>,
    last_epoch: i64,
}

impl LambdaLR {
    /// Takes the first step.
    pub fn new(opt: &mut dyn Optimizer, f: impl Fn(usize) -> f64 + 'static) -> LambdaLR {
        let mut s = LambdaLR {
            f: Box::new(f),
            base: base_lrs(opt),
            last_epoch: -1,
        };
        s.step(opt);
        s
    }
}

impl LrScheduler for LambdaLR {
    fn compute(&mut self, _cur: &[f64]) -> Vec<f64> {
        let k = (self.f)(self.last_epoch as usize);
        self.base.iter().map(|b| b * k).collect()
    }
    fn last_epoch_mut(&mut self) -> &mut i64 {
        &mut self.last_epoch
    }
}

/// The 1cycle policy (`OneCycleLR`, two phases, cosine annealing): from
/// `max_lr / div_factor` up to `max_lr` over `pct_start` of `total_steps`, then down to
/// `initial / final_div_factor`. With `cycle_momentum` the group's `"momentum"` (SGD,
/// RMSprop) or `"beta1"` (Adam) moves inversely between `max_momentum` and
/// `base_momentum`.
pub struct OneCycleLR {
    phases: [(f64, f64, f64, f64, f64); 2],
    total_steps: usize,
    cycle_momentum: bool,
    last_epoch: i64,
    momentum: Vec<f64>,
}

impl OneCycleLR {
    /// PyTorch's defaults: `pct_start = 0.3`, `div_factor = 25`,
    /// `final_div_factor = 1e4`, momentum cycled between 0.85 and 0.95. Takes the first
    /// step.
    ///
    /// # Panics
    /// If `total_steps` is 0.
    pub fn new(opt: &mut dyn Optimizer, max_lr: f64, total_steps: usize) -> OneCycleLR {
        OneCycleLR::with(opt, max_lr, total_steps, 0.3, 25.0, 1e4, true)
    }

    /// All of the two-phase cosine options.
    ///
    /// # Panics
    /// If `total_steps` is 0 or `pct_start` is outside `[0, 1]`.
    pub fn with(
        opt: &mut dyn Optimizer,
        max_lr: f64,
        total_steps: usize,
        pct_start: f64,
        div_factor: f64,
        final_div_factor: f64,
        cycle_momentum: bool,
    ) -> OneCycleLR {
        assert!(total_steps > 0, "OneCycleLR: total_steps must be positive");
        assert!(
            (0.0..=1.0).contains(&pct_start),
            "OneCycleLR: expected float between 0 and 1 pct_start, but got {pct_start}"
        );
        let initial = max_lr / div_factor;
        let min_lr = initial / final_div_factor;
        let (base_m, max_m) = (0.85, 0.95);
        let mut s = OneCycleLR {
            phases: [
                (
                    pct_start * total_steps as f64 - 1.0,
                    initial,
                    max_lr,
                    max_m,
                    base_m,
                ),
                ((total_steps - 1) as f64, max_lr, min_lr, base_m, max_m),
            ],
            total_steps,
            cycle_momentum,
            last_epoch: -1,
            momentum: vec![],
        };
        s.step(opt);
        s
    }
}

fn anneal_cos(start: f64, end: f64, pct: f64) -> f64 {
    end + (start - end) / 2.0 * ((PI * pct).cos() + 1.0)
}

impl LrScheduler for OneCycleLR {
    fn compute(&mut self, cur: &[f64]) -> Vec<f64> {
        let step = self.last_epoch as f64;
        assert!(
            self.last_epoch as usize <= self.total_steps,
            "OneCycleLR: tried to step {} times; the specified number of total steps is {}",
            self.last_epoch,
            self.total_steps
        );
        let mut start = 0.0;
        let (mut lr, mut m) = (0.0, 0.0);
        for (i, &(end, l0, l1, m0, m1)) in self.phases.iter().enumerate() {
            if step <= end || i == self.phases.len() - 1 {
                let pct = (step - start) / (end - start);
                lr = anneal_cos(l0, l1, pct);
                m = anneal_cos(m0, m1, pct);
                break;
            }
            start = end;
        }
        self.momentum = vec![m; cur.len()];
        vec![lr; cur.len()]
    }
    fn last_epoch_mut(&mut self) -> &mut i64 {
        &mut self.last_epoch
    }
    fn step(&mut self, opt: &mut dyn Optimizer) {
        self.last_epoch += 1;
        let cur: Vec<f64> = opt.param_groups().iter().map(|g| g.lr()).collect();
        let new = self.compute(&cur);
        let cycle = self.cycle_momentum;
        for (i, (g, lr)) in opt.param_groups_mut().iter_mut().zip(new).enumerate() {
            g.set("lr", lr);
            if cycle {
                let key = if g.options.contains_key("momentum") {
                    "momentum"
                } else {
                    "beta1"
                };
                if g.options.contains_key(key) {
                    g.set(key, self.momentum[i]);
                }
            }
        }
    }
}
