//! Property tests: random shapes, views (narrow, permute, expand, select, reshape,
//! transpose, unsqueeze) and ops, compared with a naive reference that tracks, for every
//! element of a view, which element of the base tensor it is; and hostile sizes near
//! the `usize` and `isize` limits, which must panic naming the op, never crash.

use proptest::prelude::*;
use std::panic::{catch_unwind, AssertUnwindSafe};
use tessera_core::{DType, Tensor};

/// A view in the reference model: its shape and, row-major, the base index of each element.
#[derive(Clone, Debug)]
struct Model {
    shape: Vec<usize>,
    src: Vec<usize>,
}

fn strides_of(shape: &[usize]) -> Vec<usize> {
    let mut s = vec![1; shape.len()];
    for i in (0..shape.len().saturating_sub(1)).rev() {
        s[i] = s[i + 1] * shape[i + 1].max(1);
    }
    s
}

impl Model {
    fn base(shape: &[usize]) -> Model {
        Model {
            shape: shape.to_vec(),
            src: (0..shape.iter().product()).collect(),
        }
    }

    /// A new view of `shape` whose element at multi-index `i` is this one's at `f(i)`.
    fn remap(&self, shape: Vec<usize>, f: impl Fn(&[usize]) -> Vec<usize>) -> Model {
        let n: usize = shape.iter().product();
        let (new_st, old_st) = (strides_of(&shape), strides_of(&self.shape));
        let src = (0..n)
            .map(|k| {
                let idx: Vec<usize> = new_st
                    .iter()
                    .zip(&shape)
                    .map(|(&s, &d)| (k / s) % d)
                    .collect();
                let old = f(&idx);
                self.src[old.iter().zip(&old_st).map(|(i, s)| i * s).sum::<usize>()]
            })
            .collect();
        Model { shape, src }
    }
}

/// One view op, with parameters drawn as fractions so they fit any shape.
#[derive(Clone, Debug)]
enum ViewOp {
    Narrow(usize, f64, f64),
    Permute(u64),
    Transpose(usize, usize),
    Select(usize, f64),
    Unsqueeze(usize),
    Expand(usize),
    Flatten,
    Reshape2,
}

fn view_op() -> impl Strategy<Value = ViewOp> {
    prop_oneof![
        (0..4usize, 0.0..1.0f64, 0.0..1.0f64).prop_map(|(d, a, b)| ViewOp::Narrow(d, a, b)),
        any::<u64>().prop_map(ViewOp::Permute),
        (0..4usize, 0..4usize).prop_map(|(a, b)| ViewOp::Transpose(a, b)),
        (0..4usize, 0.0..1.0f64).prop_map(|(d, f)| ViewOp::Select(d, f)),
        (0..5usize).prop_map(ViewOp::Unsqueeze),
        (1..4usize).prop_map(ViewOp::Expand),
        Just(ViewOp::Flatten),
        Just(ViewOp::Reshape2),
    ]
}

/// Applies `op` to the tensor and the model alike (or skips it where it does not apply).
fn apply(t: &Tensor, m: &Model, op: &ViewOp) -> (Tensor, Model) {
    let r = m.shape.len();
    match *op {
        ViewOp::Narrow(d, a, b) if r > 0 => {
            let d = d % r;
            let size = m.shape[d];
            let start = ((size as f64) * a) as usize;
            let len = (((size - start) as f64) * b) as usize;
            let mut shape = m.shape.clone();
            shape[d] = len;
            let v = m.remap(shape, |i| {
                let mut o = i.to_vec();
                o[d] += start;
                o
            });
            (t.narrow(d as isize, start, len), v)
        }
        ViewOp::Permute(seed) if r > 0 => {
            let mut perm: Vec<usize> = (0..r).collect();
            let mut s = seed;
            for i in (1..r).rev() {
                perm.swap(i, (s % (i as u64 + 1)) as usize);
                s /= i as u64 + 1;
            }
            let shape = perm.iter().map(|&p| m.shape[p]).collect();
            let v = m.remap(shape, |i| {
                let mut o = vec![0; r];
                for (k, &p) in perm.iter().enumerate() {
                    o[p] = i[k];
                }
                o
            });
            (t.permute(perm.clone()), v)
        }
        ViewOp::Transpose(a, b) if r > 0 => {
            let (a, b) = (a % r, b % r);
            let mut shape = m.shape.clone();
            shape.swap(a, b);
            let v = m.remap(shape, |i| {
                let mut o = i.to_vec();
                o.swap(a, b);
                o
            });
            (t.transpose(a as isize - r as isize, b as isize), v)
        }
        ViewOp::Select(d, f) if r > 0 && m.shape[d % r] > 0 => {
            let d = d % r;
            let i0 = ((m.shape[d] as f64) * f) as usize;
            let mut shape = m.shape.clone();
            shape.remove(d);
            let v = m.remap(shape, |i| {
                let mut o = i.to_vec();
                o.insert(d, i0);
                o
            });
            // Negative indices count from the end.
            (t.select(d as isize, i0 as isize - m.shape[d] as isize), v)
        }
        ViewOp::Unsqueeze(d) => {
            let d = d % (r + 1);
            let mut shape = m.shape.clone();
            shape.insert(d, 1);
            let v = m.remap(shape, |i| {
                let mut o = i.to_vec();
                o.remove(d);
                o
            });
            (t.unsqueeze(d as isize), v)
        }
        ViewOp::Expand(n) if r > 0 && r < 5 => {
            // Every size-1 dim grows to n, and a new leading dim of n appears.
            let mut shape = vec![n];
            shape.extend(m.shape.iter().map(|&d| if d == 1 { n } else { d }));
            let ones: Vec<bool> = m.shape.iter().map(|&d| d == 1).collect();
            let v = m.remap(shape.clone(), |i| {
                i[1..]
                    .iter()
                    .zip(&ones)
                    .map(|(&k, &one)| if one { 0 } else { k })
                    .collect()
            });
            (t.expand(shape), v)
        }
        ViewOp::Flatten => {
            let n = m.src.len();
            (
                t.flatten(),
                Model {
                    shape: vec![n],
                    src: m.src.clone(),
                },
            )
        }
        ViewOp::Reshape2 if m.src.len().is_multiple_of(2) && !m.src.is_empty() => {
            let n = m.src.len();
            (
                t.reshape([2, -1]),
                Model {
                    shape: vec![2, n / 2],
                    src: m.src.clone(),
                },
            )
        }
        _ => (t.clone(), m.clone()),
    }
}

fn shape() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(0..5usize, 0..4)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Any chain of views reads the base elements the reference says, and ops on the
    /// view (elementwise, reductions, in-place writes) agree with the reference.
    #[test]
    fn views_and_ops_match_the_reference(shape in shape(), ops in prop::collection::vec(view_op(), 0..6)) {
        let n: usize = shape.iter().product();
        let base_vals: Vec<f64> = (0..n).map(|i| i as f64 * 0.5 - 3.0).collect();
        let base = Tensor::from_vec(base_vals.clone(), &shape);
        let (mut t, mut m) = (base.clone(), Model::base(&shape));
        for op in &ops {
            (t, m) = apply(&t, &m, op);
            prop_assert_eq!(t.shape(), &m.shape[..]);
        }
        let want: Vec<f64> = m.src.iter().map(|&i| base_vals[i]).collect();
        prop_assert_eq!(t.to_vec::<f64>(), want.clone());
        prop_assert_eq!(t.numel(), want.len());
        prop_assert!(t.layout().storage_extent() <= t.storage().len());

        // Elementwise, against the same op on the reference values.
        let e = t.exp().to_vec::<f64>();
        prop_assert!(e.iter().zip(&want).all(|(a, b)| (a - b.exp()).abs() <= 1e-15 * b.exp().max(1.0)));
        prop_assert_eq!(t.add(&t).to_vec::<f64>(), want.iter().map(|v| v + v).collect::<Vec<_>>());
        prop_assert_eq!(t.to_dtype(DType::F32).to_vec::<f32>(), want.iter().map(|&v| v as f32).collect::<Vec<_>>());

        // A reduction over the last dim, against a naive sum.
        if let Some(&last) = m.shape.last() {
            let rows: usize = m.shape[..m.shape.len() - 1].iter().product();
            let got = t.sum_dim(-1, false).to_vec::<f64>();
            let naive: Vec<f64> = (0..rows)
                .map(|r| want[r * last..(r + 1) * last].iter().sum())
                .collect();
            prop_assert_eq!(got.len(), naive.len());
            prop_assert!(got.iter().zip(&naive).all(|(a, b)| (a - b).abs() <= 1e-12 * (1.0 + b.abs())));
        }

        // In place through the view (unless expanded: several elements share one slot).
        let overlapping = t.shape().iter().zip(t.strides()).any(|(&d, &s)| d > 1 && s == 0);
        if !overlapping {
            t.add_(1.0);
            let mut expect = base_vals.clone();
            // A reshape that had to copy leaves the base alone.
            if t.shares_storage(&base) {
                for &i in &m.src {
                    expect[i] += 1.0;
                }
            }
            prop_assert_eq!(base.to_vec::<f64>(), expect);
        }
    }

    /// Matrix products of random (possibly strided, possibly empty) views against the
    /// naive triple loop.
    #[test]
    fn matmul_matches_the_naive_product(m in 0..6usize, k in 0..6usize, n in 0..6usize, ta in any::<bool>(), tb in any::<bool>()) {
        let mk = |r: usize, c: usize, t: bool, s: f64| {
            let v: Vec<f64> = (0..r * c).map(|i| (i as f64 * s).sin()).collect();
            if t { Tensor::from_vec(v, &[c, r]).t() } else { Tensor::from_vec(v, &[r, c]) }
        };
        let (a, b) = (mk(m, k, ta, 0.7), mk(k, n, tb, 1.3));
        let (av, bv) = (a.to_vec::<f64>(), b.to_vec::<f64>());
        let got = a.matmul(&b).to_vec::<f64>();
        for i in 0..m {
            for j in 0..n {
                let want: f64 = (0..k).map(|p| av[i * k + p] * bv[p * n + j]).sum();
                prop_assert!((got[i * n + j] - want).abs() <= 1e-12);
            }
        }
    }

    /// Sizes near the `usize` and `isize` limits: a clear panic that names the op, or a
    /// correct result; never a crash, an abort or a wrong count.
    #[test]
    fn hostile_sizes_panic_naming_the_op(
        a in prop_oneof![Just(usize::MAX), Just(usize::MAX - 1), Just(isize::MAX as usize), Just(isize::MAX as usize + 1), Just(1usize << 32), Just(1usize << 62), 0..4usize],
        b in prop_oneof![Just(usize::MAX), Just(isize::MAX as usize), Just(1usize << 33), Just(1usize << 31), 0..4usize],
        which in 0..6usize,
    ) {
        let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0], &[3, 1]);
        let (a128, b128) = (a as u128, b as u128);
        let mul = |x: u128, y: u128| x.saturating_mul(y);
        // Each case: the op's name, its result (the element count) and the true count.
        let (op, result, truth) = match which {
            // 2^40 more elements: a nonzero count is always far beyond this machine's memory.
            0 => ("zeros", catch_unwind(|| Tensor::zeros(&[a, b, 1 << 40]).numel()), mul(mul(a128, b128), 1 << 40)),
            1 => ("narrow", catch_unwind(AssertUnwindSafe(|| x.narrow(0, a, b).numel())), b128),
            2 => ("expand", catch_unwind(AssertUnwindSafe(|| x.expand([3, a, b]).numel())), mul(mul(3, a128), b128)),
            3 => ("reshape", catch_unwind(AssertUnwindSafe(|| x.reshape([a, b]).numel())), mul(a128, b128)),
            4 => ("from_vec", catch_unwind(|| Tensor::from_vec(vec![0u8; 2], &[a, b]).numel()), mul(a128, b128)),
            _ => ("narrow", catch_unwind(AssertUnwindSafe(|| x.narrow(1, a, b).sum().item::<f32>() as usize)), 0),
        };
        match result {
            Ok(numel) => {
                // What succeeds has its true element count.
                if which != 5 {
                    prop_assert_eq!(numel as u128, truth);
                }
            }
            Err(e) => {
                let msg = e.downcast_ref::<String>().cloned().unwrap_or_default();
                prop_assert!(msg.contains(op), "{}: message {:?}", op, msg);
            }
        }
    }
}
