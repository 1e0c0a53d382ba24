//! The backward pass: walks the graph from an output in reverse topological order,
//! summing the gradients that reach each node.

use super::mode::with_grad_mode;
use super::node::Node;
use crate::Tensor;
use std::collections::HashMap;
use std::sync::Arc;

/// Where the gradients of the walk go.
pub(crate) enum Sink<'a> {
    /// Accumulate into leaves' `.grad` (and retained non-leaf grads): `backward()`.
    Leaves,
    /// Capture the gradients of these tensors: `autograd::grad`.
    Capture(&'a [Tensor], Vec<Option<Tensor>>),
}

fn key(n: &Arc<Node>) -> usize {
    Arc::as_ptr(n) as usize
}

/// Nodes reachable from `roots`, parents after all their children (so processing
/// in this order sees every gradient of a node before the node runs). Iterative:
/// graphs can be very deep.
fn topo_order(roots: &[Arc<Node>]) -> Vec<Arc<Node>> {
    let mut order = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut stack: Vec<(Arc<Node>, bool)> = roots.iter().map(|r| (r.clone(), false)).collect();
    while let Some((n, expanded)) = stack.pop() {
        if expanded {
            order.push(n);
            continue;
        }
        if !seen.insert(key(&n)) {
            continue;
        }
        stack.push((n.clone(), true));
        for t in &n.inputs {
            if let Some(c) = t.grad_fn() {
                if !seen.contains(&key(&c)) {
                    stack.push((c, false));
                }
            }
        }
    }
    order.reverse();
    order
}

fn add_grad(slot: &mut Option<Tensor>, g: Tensor) {
    *slot = Some(match slot.take() {
        None => g,
        Some(old) => &old + &g,
    });
}

/// Backpropagates `grads` from `outputs`.
pub(crate) fn run(
    outputs: &[Tensor],
    grads: &[Tensor],
    retain_graph: bool,
    create_graph: bool,
    sink: &mut Sink,
) {
    with_grad_mode(create_graph, || {
        let mut pending: HashMap<usize, Tensor> = HashMap::new();
        let mut roots = Vec::new();
        for (o, g) in outputs.iter().zip(grads) {
            match o.grad_fn() {
                Some(n) => {
                    let mut slot = pending.remove(&key(&n));
                    add_grad(&mut slot, g.clone());
                    pending.insert(key(&n), slot.unwrap());
                    roots.push(n);
                }
                None => deliver_leaf(o, g.clone(), create_graph, sink),
            }
        }
        for node in topo_order(&roots) {
            let Some(g) = pending.remove(&key(&node)) else {
                continue;
            };
            if let Some(slot) = node.retained.get() {
                let mut s = slot.lock().unwrap_or_else(|e| e.into_inner());
                add_grad(&mut s, if create_graph { g.clone() } else { g.detach() });
            }
            if let Sink::Capture(targets, found) = sink {
                for (i, t) in targets.iter().enumerate() {
                    if t.grad_fn().is_some_and(|n| key(&n) == key(&node)) {
                        add_grad(&mut found[i], g.clone());
                    }
                }
            }
            let input_grads = node.apply(&g, retain_graph);
            for (input, ig) in node.inputs.iter().zip(input_grads) {
                let Some(ig) = ig else { continue };
                if !input.requires_grad() {
                    continue;
                }
                debug_assert_eq!(ig.shape(), input.shape(), "{}: gradient shape", node.name);
                match input.grad_fn() {
                    Some(n) => {
                        let mut slot = pending.remove(&key(&n));
                        add_grad(&mut slot, ig);
                        pending.insert(key(&n), slot.unwrap());
                    }
                    None => deliver_leaf(input, ig, create_graph, sink),
                }
            }
        }
    });
}

fn deliver_leaf(leaf: &Tensor, g: Tensor, create_graph: bool, sink: &mut Sink) {
    let g = if create_graph { g } else { g.detach() };
    match sink {
        Sink::Leaves => {
            let slot = leaf.grad_slot();
            let mut s = slot.lock().unwrap_or_else(|e| e.into_inner());
            add_grad(&mut s, g);
        }
        Sink::Capture(targets, found) => {
            for (i, t) in targets.iter().enumerate() {
                if t.grad_fn().is_none() && Arc::ptr_eq(&t.inner, &leaf.inner) {
                    add_grad(&mut found[i], g.clone());
                }
            }
        }
    }
}
