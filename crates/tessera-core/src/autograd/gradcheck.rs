//! `gradcheck` and `gradgradcheck`: compare the first and second derivatives autograd
//! computes with finite differences.

use super::mode::{enable_grad, no_grad};
use crate::{DType, Error, Generator, Result, Tensor};

/// Settings of [`gradcheck`]; the defaults are PyTorch's (`eps = 1e-6`,
/// `atol = 1e-5`, `rtol = 1e-3`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GradcheckOptions {
    /// Finite-difference step.
    pub eps: f64,
    /// Absolute tolerance.
    pub atol: f64,
    /// Relative tolerance (times the numerical value).
    pub rtol: f64,
}

impl Default for GradcheckOptions {
    fn default() -> Self {
        GradcheckOptions {
            eps: 1e-6,
            atol: 1e-5,
            rtol: 1e-3,
        }
    }
}

/// Checks the Jacobian of `f` at `inputs` computed by autograd against central
/// finite differences (`torch.autograd.gradcheck`). Inputs that require grad
/// must be `F64`; `f` may return any shape.
///
/// ```
/// use tessera_core::{autograd, tensor, DType};
/// let x = tensor!([0.3, -1.2], dtype = DType::F64);
/// x.requires_grad_(true);
/// autograd::gradcheck(|v| v[0].expm1().mul(&v[0]), &[x], Default::default()).unwrap();
/// ```
///
/// # Errors
/// `Error::Numerical` naming the input, the entries and both values where they differ.
///
/// # Panics
/// If an input that requires grad is not `F64`, or no input requires grad.
pub fn gradcheck(
    f: impl Fn(&[Tensor]) -> Tensor,
    inputs: &[Tensor],
    opts: GradcheckOptions,
) -> Result<()> {
    assert!(
        inputs.iter().any(|t| t.requires_grad()),
        "gradcheck: no input requires grad"
    );
    for t in inputs.iter().filter(|t| t.requires_grad()) {
        assert_eq!(
            t.dtype(),
            DType::F64,
            "gradcheck: inputs must be float64 (got {})",
            t.dtype()
        );
    }
    let y = f(inputs);
    let n_out = y.numel();
    // Analytic Jacobian, one output entry at a time.
    let mut analytic: Vec<Vec<Vec<f64>>> = inputs
        .iter()
        .map(|t| vec![vec![0.0; t.numel()]; n_out])
        .collect();
    if y.requires_grad() {
        for j in 0..n_out {
            let mut onehot = vec![0.0; n_out];
            onehot[j] = 1.0;
            let g = Tensor::from_vec(onehot, y.shape()).to_dtype(y.dtype());
            let gs = super::grad(std::slice::from_ref(&y), inputs, &[g], true, false);
            for (k, gk) in gs.into_iter().enumerate() {
                if let Some(gk) = gk {
                    analytic[k][j] = gk.to_dtype(DType::F64).to_vec::<f64>();
                }
            }
        }
    }
    // Numerical Jacobian by central differences on detached copies.
    let _g = no_grad();
    for (k, t) in inputs.iter().enumerate() {
        if !t.requires_grad() {
            continue;
        }
        let base = t.to_vec::<f64>();
        for i in 0..t.numel() {
            let eval = |delta: f64| {
                let mut v = base.clone();
                v[i] += delta;
                let mut args: Vec<Tensor> = inputs.to_vec();
                args[k] = Tensor::from_vec(v, t.shape());
                f(&args).to_dtype(DType::F64).to_vec::<f64>()
            };
            let (plus, minus) = (eval(opts.eps), eval(-opts.eps));
            for j in 0..n_out {
                let num = (plus[j] - minus[j]) / (2.0 * opts.eps);
                let ana = analytic[k][j][i];
                let ok = (ana - num).abs() <= opts.atol + opts.rtol * num.abs()
                    || (ana.is_nan() && num.is_nan());
                if !ok {
                    return Err(Error::numerical(
                        "gradcheck",
                        format!(
                            "Jacobian mismatch for output {j} with respect to input {k}, element {i}: analytic {ana}, numerical {num}"
                        ),
                    ));
                }
            }
        }
    }
    Ok(())
}

/// Checks second derivatives (`torch.autograd.gradgradcheck`): the vector-Jacobian product
/// `v -> vᵀ J_f(x)` that autograd computes with `create_graph`, as a function of the inputs
/// `x` and of `v`, is itself checked by [`gradcheck`] against central finite differences.
/// A backward formula built from ops autograd does not record, or with a wrong derivative
/// of its own, fails here while passing `gradcheck`.
///
/// `grad_output` is `v` (the shape of `f`'s output, `F64`); `None` draws it from a fixed
/// seed, as PyTorch draws a random one. Inputs that require grad must be `F64`.
///
/// ```
/// use tessera_core::{autograd, tensor, DType};
/// let x = tensor!([0.3, -1.2], dtype = DType::F64);
/// x.requires_grad_(true);
/// // d/dx tanh = 1 - tanh^2, differentiated once more by the check.
/// autograd::gradgradcheck(|v| v[0].tanh(), &[x], None, Default::default()).unwrap();
/// ```
///
/// # Errors
/// `Error::Numerical` as [`gradcheck`]: the mismatching entry of the Jacobian of the
/// first derivative (its inputs are `f`'s inputs followed by `v`; its output is the
/// flattened gradients of the inputs that require grad, one after the other).
///
/// # Panics
/// As [`gradcheck`], and if `grad_output` is not `F64` or has another shape than `f`'s
/// output.
pub fn gradgradcheck(
    f: impl Fn(&[Tensor]) -> Tensor,
    inputs: &[Tensor],
    grad_output: Option<&Tensor>,
    opts: GradcheckOptions,
) -> Result<()> {
    let wants: Vec<bool> = inputs.iter().map(Tensor::requires_grad).collect();
    assert!(
        wants.iter().any(|&w| w),
        "gradgradcheck: no input requires grad"
    );
    let v = match grad_output {
        Some(g) => {
            assert_eq!(
                g.dtype(),
                DType::F64,
                "gradgradcheck: grad_output must be float64 (got {})",
                g.dtype()
            );
            g.detach()
        }
        None => {
            let shape = {
                let _g = no_grad();
                f(inputs).shape().to_vec()
            };
            Generator::new(0x6772_6164).randn(&shape, DType::F64)
        }
    };
    v.requires_grad_(true);
    let n = inputs.len();
    // The first derivative as a function of (inputs, v): one flat vector.
    let first = |args: &[Tensor]| -> Tensor {
        // gradcheck evaluates its finite differences without grad and on fresh copies of
        // the inputs: record again, and mark the copies as the originals were marked.
        let _g = enable_grad();
        let (xs, v) = (&args[..n], &args[n]);
        for (x, &w) in xs.iter().zip(&wants) {
            if w && !x.requires_grad() {
                x.requires_grad_(true);
            }
        }
        let y = f(xs);
        assert_eq!(
            y.shape(),
            v.shape(),
            "gradgradcheck: grad_output has shape {:?} and the output has shape {:?}",
            v.shape(),
            y.shape()
        );
        let grads = if y.requires_grad() {
            super::grad(
                std::slice::from_ref(&y),
                xs,
                &[v.to_dtype(y.dtype())],
                true,
                true,
            )
        } else {
            vec![None; n]
        };
        let flat: Vec<Tensor> = xs
            .iter()
            .zip(grads)
            .zip(&wants)
            .filter(|(_, &w)| w)
            .map(|((x, g), _)| match g {
                Some(g) => g.to_dtype(DType::F64).reshape([-1]),
                None => Tensor::zeros_dtype(&[x.numel()], DType::F64),
            })
            .collect();
        Tensor::cat(&flat, 0)
    };
    let mut all: Vec<Tensor> = inputs.to_vec();
    all.push(v);
    gradcheck(first, &all, opts)
}
