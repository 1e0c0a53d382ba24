//! The adjoint method (Chen et al. 2018, torchdiffeq's `odeint_adjoint`): gradients
//! of a loss on the solution with respect to `y0` and parameters, in memory that
//! does not grow with the number of steps.
//!
//! tessera-core has no way yet for a library to attach its own backward to a
//! tensor in the graph, so [`odeint_adjoint`] returns an [`AdjointSolution`]: the
//! solution, and a [`AdjointSolution::backward`] that takes `dL/dys` and returns
//! `dL/dy0` and `dL/dparams`.

use crate::norm::Norm;
use crate::solve::{solve, times_of, Stats};
use crate::Options;
use std::sync::Arc;
use tessera_core::autograd::{self, enable_grad, no_grad, Saves};
use tessera_core::{Result, Tensor};

/// Solves like [`odeint`](crate::odeint) with gradient recording off, keeping what
/// the adjoint method needs to compute gradients later with
/// [`AdjointSolution::backward`].
///
/// `params` are the tensors `f` captures whose gradients are wanted (torchdiffeq's
/// `adjoint_params`); they must be float tensors that require grad, since the
/// vector-Jacobian products reach them through the graph `f` records. The backward pass solves the
/// augmented system `[y, a, a_p]` backwards in time, with `a' = -a^T df/dy` and
/// `a_p' = -a^T df/dp` evaluated as vector-Jacobian products by
/// [`autograd::grad`], restarting `y` from the stored solution at each requested
/// time and adding `dL/dy(t_i)` to `a` there. It uses the same options as the
/// forward solve and, as torchdiffeq, the largest of the RMS norms of `y`, `a` and
/// `a_p` for step-size control. Memory is that of a few states, however many steps
/// are taken; the gradients agree with backpropagation through the solver
/// ([`odeint`](crate::odeint)) up to the solver tolerance.
///
/// ```
/// use tessera_core::{tensor, DType, Tensor};
/// use tessera_ode::{odeint_adjoint, Options};
///
/// // y' = -k y: y(1) = y0 e^{-k}, so dy(1)/dy0 = e^{-k} and dy(1)/dk = -y0 e^{-k}.
/// let k = tensor!([0.7], dtype = DType::F64);
/// k.requires_grad_(true);
/// let y0 = tensor!([2.0], dtype = DType::F64);
/// let t = tensor!([0.0, 1.0], dtype = DType::F64);
/// let f = |_t: &Tensor, y: &Tensor| -(y * &k);
/// let sol = odeint_adjoint(&f, &y0, &t, &[k.clone()], &Options::default()).unwrap();
/// // L = y(1): dL/dys is 0 at t = 0 and 1 at t = 1.
/// let grads = sol.backward(&tensor!([[0.0], [1.0]], dtype = DType::F64)).unwrap();
/// let e = (-0.7f64).exp();
/// assert!((grads.y0.item::<f64>() - e).abs() < 1e-7);
/// assert!((grads.params[0].item::<f64>() + 2.0 * e).abs() < 1e-7);
/// ```
///
/// # Errors
/// As [`odeint`](crate::odeint), for the forward solve.
///
/// # Panics
/// As [`odeint`](crate::odeint), or if a parameter is not a float tensor that
/// requires grad.
pub fn odeint_adjoint<F>(
    f: F,
    y0: &Tensor,
    t: &Tensor,
    params: &[Tensor],
    options: &Options,
) -> Result<AdjointSolution<F>>
where
    F: Fn(&Tensor, &Tensor) -> Tensor,
{
    for (i, p) in params.iter().enumerate() {
        assert!(
            p.is_floating_point() && p.requires_grad(),
            "odeint_adjoint: params[{i}] must be a float tensor that requires grad, got dtype {} with requires_grad = {}",
            p.dtype(),
            p.requires_grad()
        );
    }
    let times = times_of("odeint_adjoint", t);
    let input = y0.clone();
    let y0 = y0.detach();
    let (ys, stats) = {
        let _g = no_grad();
        solve(&f, &y0, &times, options, &Norm::rms(y0.numel()))?
    };
    Ok(AdjointSolution {
        ys: Tensor::stack(&ys, 0),
        f,
        input,
        y0,
        times,
        params: params.to_vec(),
        options: options.clone(),
        stats,
    })
}

/// The result of [`odeint_adjoint`]: the solution, and the means to compute its
/// gradients by the adjoint method.
pub struct AdjointSolution<F> {
    ys: Tensor,
    f: F,
    /// The `y0` given, a node of the caller's graph.
    input: Tensor,
    /// The same, detached.
    y0: Tensor,
    times: Vec<f64>,
    params: Vec<Tensor>,
    options: Options,
    stats: Stats,
}

/// Gradients computed by [`AdjointSolution::backward`].
#[derive(Clone, Debug)]
pub struct AdjointGradients {
    /// `dL/dy0`, of `y0`'s shape.
    pub y0: Tensor,
    /// `dL/dp` for each parameter, of its shape and dtype (zeros for a parameter `f`
    /// does not use).
    pub params: Vec<Tensor>,
    /// The counts of the backward solves, summed over the intervals.
    pub stats: Stats,
}

impl<F> AdjointSolution<F>
where
    F: Fn(&Tensor, &Tensor) -> Tensor,
{
    /// The solution at every requested time, stacked (shape `[t.len(), ...y0.shape]`),
    /// outside any autograd graph.
    pub fn ys(&self) -> &Tensor {
        &self.ys
    }

    /// The counts of the forward solve.
    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// Given `grad_ys = dL/dys` (the shape of [`AdjointSolution::ys`]), returns
    /// `dL/dy0` and `dL/dparams` by solving the adjoint system backwards from the
    /// last requested time to the first.
    ///
    /// # Errors
    /// As [`odeint`](crate::odeint), for the backward solves (the augmented system
    /// can blow up where the forward one did not, e.g. for an unstable backward flow).
    ///
    /// # Panics
    /// If `grad_ys` has another shape than the solution.
    pub fn backward(&self, grad_ys: &Tensor) -> Result<AdjointGradients> {
        assert_eq!(
            grad_ys.shape(),
            self.ys.shape(),
            "AdjointSolution::backward: grad_ys has shape {:?} but the solution has shape {:?}",
            grad_ys.shape(),
            self.ys.shape()
        );
        let _g = no_grad();
        let dtype = self.y0.dtype();
        let shape = self.y0.shape().to_vec();
        let m = self.y0.numel();
        let sizes: Vec<usize> = self.params.iter().map(Tensor::numel).collect();
        let n_p: usize = sizes.iter().sum();
        let grad_ys = grad_ys.detach().to_dtype(dtype);
        let last = self.times.len() - 1;
        let mut adj = grad_ys.select(0, last as isize).contiguous();
        let mut adj_p = Tensor::zeros_dtype(&[n_p], dtype);
        let mut stats = Stats::default();
        let norm = Norm::mixed(vec![m, m, n_p]);
        let aug_f = |t: &Tensor, aug: &Tensor| self.augmented(t, aug, &shape, &sizes);
        for i in (1..=last).rev() {
            let y_i = self.ys.select(0, i as isize);
            let aug0 = Tensor::cat(
                &[y_i.reshape(&[m][..]), adj.reshape(&[m][..]), adj_p.clone()],
                0,
            );
            let (augs, s) = solve(
                &aug_f,
                &aug0,
                &[self.times[i], self.times[i - 1]],
                &self.options,
                &norm,
            )?;
            stats.nfe += s.nfe;
            stats.n_accepted += s.n_accepted;
            stats.n_rejected += s.n_rejected;
            let aug1 = &augs[1];
            adj = aug1.narrow(0, m, m).reshape(&shape[..]) + grad_ys.select(0, i as isize - 1);
            adj_p = aug1.narrow(0, 2 * m, n_p).contiguous();
        }
        let mut params = Vec::with_capacity(self.params.len());
        let mut start = 0;
        for (p, &n) in self.params.iter().zip(&sizes) {
            params.push(
                adj_p
                    .narrow(0, start, n)
                    .reshape(p.shape())
                    .to_dtype(p.dtype()),
            );
            start += n;
        }
        Ok(AdjointGradients {
            y0: adj,
            params,
            stats,
        })
    }

    /// The solution as a tensor recorded in the autograd graph, like the return value
    /// of torchdiffeq's `odeint_adjoint`: `backward()` on anything computed from it
    /// runs [`AdjointSolution::backward`] and accumulates `dL/dy0` into the `y0`
    /// given (if it requires grad) and `dL/dp` into the parameters' `.grad`. The op
    /// saves `y0` and the parameters, so modifying them in place before `backward()`
    /// is detected.
    ///
    /// ```
    /// use tessera_core::{tensor, DType, Tensor};
    /// use tessera_ode::{odeint_adjoint, Options};
    ///
    /// let k = tensor!([0.7], dtype = DType::F64);
    /// k.requires_grad_(true);
    /// let y0 = tensor!([2.0], dtype = DType::F64);
    /// y0.requires_grad_(true);
    /// let t = tensor!([0.0, 1.0], dtype = DType::F64);
    /// // The graph keeps f: it owns what it captures (a handle to the same k).
    /// let kf = k.clone();
    /// let f = move |_t: &Tensor, y: &Tensor| -(y * &kf);
    /// let ys = odeint_adjoint(f, &y0, &t, &[k.clone()], &Options::default()).unwrap().into_tensor();
    /// ys.select(0, 1).sum().backward();
    /// let e = (-0.7f64).exp();
    /// assert!((y0.grad().unwrap().item::<f64>() - e).abs() < 1e-7);
    /// assert!((k.grad().unwrap().item::<f64>() + 2.0 * e).abs() < 1e-7);
    /// ```
    ///
    /// # Panics
    /// In `backward()`, if the adjoint solve fails (a backward pass cannot return an
    /// error); [`AdjointSolution::backward`] returns it instead.
    pub fn into_tensor(self) -> Tensor
    where
        F: Send + Sync + 'static,
    {
        let ys = self.ys.clone();
        let mut inputs = vec![self.input.clone()];
        inputs.extend(self.params.iter().cloned());
        let refs: Vec<&Tensor> = inputs.iter().collect();
        let dtype = self.input.dtype();
        let sol = Arc::new(self);
        autograd::custom_op(
            "odeint_adjoint",
            &refs,
            // The trajectory is the output, and backward reads it.
            Saves::Both,
            move || ys,
            move |g, _, _| {
                let grads = sol
                    .backward(g)
                    .unwrap_or_else(|e| panic!("odeint_adjoint backward: {e}"));
                std::iter::once(Some(grads.y0.to_dtype(dtype)))
                    .chain(grads.params.into_iter().map(Some))
                    .collect()
            },
        )
    }

    /// The augmented dynamics `[f, -a^T df/dy, -a^T df/dp]` at `[y, a, a_p]`.
    fn augmented(&self, t: &Tensor, aug: &Tensor, shape: &[usize], sizes: &[usize]) -> Tensor {
        let m = self.y0.numel();
        let dtype = aug.dtype();
        let y = aug.narrow(0, 0, m).reshape(shape).detach();
        let adj = aug.narrow(0, m, m).reshape(shape);
        let _g = enable_grad();
        y.requires_grad_(true);
        let fy = (self.f)(t, &y);
        let mut inputs = Vec::with_capacity(1 + self.params.len());
        inputs.push(y.clone());
        inputs.extend(self.params.iter().cloned());
        // retain_graph: f may capture tensors computed from the parameters (w = 2 p),
        // whose recorded history every evaluation walks again.
        let vjps = if fy.requires_grad() {
            autograd::grad(std::slice::from_ref(&fy), &inputs, &[-&adj], true, false)
        } else {
            vec![None; inputs.len()]
        };
        let _off = no_grad();
        let mut parts = Vec::with_capacity(inputs.len() + 1);
        parts.push(fy.detach().reshape(&[m][..]));
        let numels = std::iter::once(m).chain(sizes.iter().copied());
        for (g, n) in vjps.into_iter().zip(numels) {
            parts.push(match g {
                Some(g) => g.detach().to_dtype(dtype).reshape(&[n][..]),
                None => Tensor::zeros_dtype(&[n], dtype),
            });
        }
        Tensor::cat(&parts, 0)
    }
}
