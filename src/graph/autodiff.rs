//! Reverse-mode differentiation on the IR, producing more IR in the same graph.
//!
//! Contract: every backward rule consumes its incoming gradient — each contribution it
//! returns is the gradient itself or is computed from it. `gradients` checks this for every
//! rule it applies, so a rule that forgot the chain rule fails loudly in every test.
//!
//! Rules prefer a node's output over its input where both work (relu, tanh, sigmoid, exp),
//! so that fused kernels need not keep pre-activations alive.

use std::collections::HashMap;

use super::GraphError;
use super::ir::{BinaryOp, Graph, Op, ReduceOp, Tensor, TensorId, UnaryOp};
use super::shape::Shape;

/// Appends to `graph` the gradient of the one-element `loss` with respect to each of `wrt`
/// (zeros where `loss` does not depend on it).
pub fn gradients(graph: &Graph, loss: Tensor, wrt: &[Tensor]) -> Result<Vec<Tensor>, GraphError> {
    if loss.shape.num_elements() != 1 {
        return Err(GraphError::NotDifferentiable(format!(
            "the loss must hold one element, it has shape {:?}",
            loss.shape
        )));
    }
    let depends = dependence(graph, wrt);
    let mut grads: HashMap<TensorId, Tensor> = HashMap::new();
    grads.insert(loss.id, graph.fill(1.0, loss.shape));
    for index in (0..=loss.id.index()).rev() {
        let id = TensorId(index as u32);
        let Some(&grad) = grads.get(&id) else {
            continue;
        };
        if !depends[index] {
            continue;
        }
        let node = graph.node(id);
        let first_new = graph.len();
        let contributions = backward_rule(graph, id, grad)?;
        check_consumes(graph, grad, first_new, &contributions, &node.op);
        for (input_position, contribution) in contributions {
            let input = node.inputs[input_position];
            if !depends[input.index()] {
                continue;
            }
            let total = match grads.get(&input) {
                Some(&existing) => graph.add(existing, contribution),
                None => contribution,
            };
            grads.insert(input, total);
        }
    }
    Ok(wrt
        .iter()
        .map(|t| {
            grads
                .get(&t.id)
                .copied()
                .unwrap_or_else(|| graph.fill(0.0, t.shape))
        })
        .collect())
}

/// For every node, whether it depends on any of `wrt`.
fn dependence(graph: &Graph, wrt: &[Tensor]) -> Vec<bool> {
    let nodes = graph.nodes();
    let mut depends = vec![false; nodes.len()];
    for t in wrt {
        depends[t.id.index()] = true;
    }
    for (index, node) in nodes.iter().enumerate() {
        if node.inputs.iter().any(|i| depends[i.index()]) {
            depends[index] = true;
        }
    }
    depends
}

/// Panics unless every contribution is `grad` or reads it through nodes built by the rule.
/// A constant `grad` (a fill) may give constant contributions: ops on fills fold when built.
fn check_consumes(
    graph: &Graph,
    grad: Tensor,
    first_new: usize,
    contributions: &[(usize, Tensor)],
    op: &Op,
) {
    let constant = graph.fill_value(grad).is_some();
    let nodes = graph.nodes();
    let mut reads_grad = vec![false; nodes.len()];
    reads_grad[grad.id.index()] = true;
    for index in first_new..nodes.len() {
        reads_grad[index] = nodes[index].inputs.iter().any(|i| reads_grad[i.index()]);
    }
    for (_, contribution) in contributions {
        let folded = constant && matches!(nodes[contribution.id.index()].op, Op::Fill { .. });
        assert!(
            reads_grad[contribution.id.index()] || folded,
            "the backward rule of {} does not consume its incoming gradient",
            op.name()
        );
    }
}

/// Sums `grad` down to `shape`, undoing NumPy broadcasting.
pub fn unbroadcast(graph: &Graph, grad: Tensor, shape: Shape) -> Tensor {
    if grad.shape == shape {
        return grad;
    }
    let extra = grad.shape.rank() - shape.rank();
    let mut axes: Vec<isize> = (0..extra as isize).collect();
    for axis in 0..shape.rank() {
        if shape.dims()[axis] == 1 && grad.shape.dims()[axis + extra] != 1 {
            axes.push((axis + extra) as isize);
        }
    }
    let summed = graph.sum(grad, &axes, true);
    graph.reshape(summed, shape)
}

/// The gradient contributions of node `id` to its inputs, as (input position, tensor).
fn backward_rule(
    graph: &Graph,
    id: TensorId,
    g: Tensor,
) -> Result<Vec<(usize, Tensor)>, GraphError> {
    let node = graph.node(id);
    let y = graph.tensor(id);
    let x = |i: usize| graph.tensor(node.inputs[i]);
    let zero = || graph.scalar(0.0);
    let one = || graph.scalar(1.0);
    Ok(match &node.op {
        Op::Input { .. }
        | Op::Parameter { .. }
        | Op::State { .. }
        | Op::Constant { .. }
        | Op::Fill { .. } => vec![],
        Op::Unary(op) => {
            let x0 = x(0);
            let dx = match op {
                UnaryOp::Neg => graph.neg(g),
                UnaryOp::Exp => graph.mul(g, y),
                UnaryOp::Log => graph.div(g, x0),
                UnaryOp::Tanh => graph.mul(g, graph.sub(one(), graph.square(y))),
                UnaryOp::Sigmoid => graph.mul(g, graph.mul(y, graph.sub(one(), y))),
                // relu(x) is nonzero exactly where x > 0, so the output is the mask itself:
                // one node reading y and g, which fuses into the epilogue of the kernel
                // producing g (a `greater` beside it would leave the chain).
                UnaryOp::Relu => graph.select(y, g, zero()),
                UnaryOp::Sqrt => graph.div(graph.scale(g, 0.5), y),
                UnaryOp::Rsqrt => graph.mul(g, graph.scale(graph.mul(y, graph.square(y)), -0.5)),
                UnaryOp::Square => graph.mul(g, graph.scale(x0, 2.0)),
                UnaryOp::Abs => graph.select(
                    graph.greater(x0, zero()),
                    g,
                    graph.select(graph.less(x0, zero()), graph.neg(g), zero()),
                ),
                UnaryOp::Recip => graph.neg(graph.mul(g, graph.square(y))),
            };
            vec![(0, dx)]
        }
        Op::Binary(op) => {
            let (a, b) = (x(0), x(1));
            let (da, db) = match op {
                BinaryOp::Add => (g, g),
                BinaryOp::Sub => (g, graph.neg(g)),
                BinaryOp::Mul => (graph.mul(g, b), graph.mul(g, a)),
                BinaryOp::Div => {
                    let da = graph.div(g, b);
                    (da, graph.neg(graph.mul(da, y)))
                }
                BinaryOp::Max | BinaryOp::Min => {
                    let a_wins = if *op == BinaryOp::Max {
                        graph.greater_equal(a, b)
                    } else {
                        graph.less_equal(a, b)
                    };
                    (
                        graph.select(a_wins, g, zero()),
                        graph.select(a_wins, zero(), g),
                    )
                }
                BinaryOp::Pow => (
                    graph.mul(g, graph.mul(b, graph.pow(a, graph.sub(b, one())))),
                    graph.mul(g, graph.mul(y, graph.log(a))),
                ),
                _ => return Ok(vec![]),
            };
            vec![
                (0, unbroadcast(graph, da, a.shape)),
                (1, unbroadcast(graph, db, b.shape)),
            ]
        }
        Op::Select => {
            let condition = x(0);
            vec![
                (
                    1,
                    unbroadcast(graph, graph.select(condition, g, zero()), x(1).shape),
                ),
                (
                    2,
                    unbroadcast(graph, graph.select(condition, zero(), g), x(2).shape),
                ),
            ]
        }
        Op::Reshape => vec![(0, graph.reshape(g, x(0).shape))],
        Op::StopGradient => vec![],
        Op::Permute { axes } => {
            let mut inverse = vec![0; axes.len()];
            for (position, &axis) in axes.iter().enumerate() {
                inverse[axis] = position;
            }
            vec![(0, graph.permute(g, &inverse))]
        }
        Op::Expand => {
            let x0 = x(0);
            let axes: Vec<isize> = (0..x0.shape.rank())
                .filter(|&a| x0.shape.dims()[a] == 1 && y.shape.dims()[a] != 1)
                .map(|a| a as isize)
                .collect();
            vec![(0, graph.sum(g, &axes, true))]
        }
        Op::Slice { axis, start } => {
            let x0 = x(0);
            let (axis, start) = (*axis, *start);
            let len = y.shape.dims()[axis];
            let after = x0.shape.dims()[axis] - start - len;
            let mut parts = Vec::new();
            if start > 0 {
                parts.push(graph.fill(0.0, x0.shape.with_dim(axis, start)));
            }
            parts.push(g);
            if after > 0 {
                parts.push(graph.fill(0.0, x0.shape.with_dim(axis, after)));
            }
            vec![(0, graph.concat(&parts, axis as isize))]
        }
        Op::Concat { axis } => {
            let mut start = 0;
            (0..node.inputs.len())
                .map(|i| {
                    let len = x(i).shape.dims()[*axis];
                    let part = graph.slice(g, *axis as isize, start, len);
                    start += len;
                    (i, part)
                })
                .collect()
        }
        Op::Reduce { op, start, end } => {
            let x0 = x(0);
            match op {
                ReduceOp::Sum => vec![(0, graph.expand(g, x0.shape))],
                ReduceOp::Max => {
                    let at_max = graph.equal(x0, graph.expand(y, x0.shape));
                    // Tied maxima share the gradient, so that it sums to the incoming one
                    // (max(x, x) = x must have gradient 1, not 2).
                    let axes: Vec<isize> = (*start..*end).map(|a| a as isize).collect();
                    let share = graph.div(g, graph.sum(at_max, &axes, true));
                    let spread = graph.expand(share, x0.shape);
                    vec![(0, graph.select(at_max, spread, zero()))]
                }
            }
        }
        Op::MatMul => {
            let (a, b) = (x(0), x(1));
            vec![
                (0, matmul_grad_a(graph, g, b, a.shape)),
                (1, matmul_grad_b(graph, a, g, b.shape)),
            ]
        }
        Op::Conv2d { kernel } => vec![
            (0, graph.conv2d_grad_input(g, x(1))),
            (1, graph.conv2d_grad_weight(x(0), g, *kernel)),
        ],
        Op::SoftCrossEntropy => {
            let (logits, target, mask) = (x(0), x(1), x(2));
            // One gradient per row, spread over the row's entries.
            let per_row = graph.expand(
                graph.reshape(g, logits.shape.with_dim(y.shape.rank(), 1)),
                logits.shape,
            );
            let d_logits = graph.soft_cross_entropy_grad(logits, target, Some(mask));
            let log_probabilities = graph.log_softmax(logits, Some(mask));
            vec![
                (0, graph.mul(per_row, d_logits)),
                (1, graph.neg(graph.mul(per_row, log_probabilities))),
            ]
        }
        Op::Gather { axis, indices } => {
            let size = x(0).shape.dims()[*axis];
            vec![(0, graph.scatter_add(g, *axis as isize, indices, size))]
        }
        Op::ScatterAdd { axis, indices } => vec![(0, graph.gather(g, *axis as isize, indices))],
        Op::Conv2dGradInput { .. }
        | Op::Conv2dGradWeight { .. }
        | Op::SoftCrossEntropyGrad
        | Op::Assign { .. } => {
            return Err(GraphError::NotDifferentiable(format!(
                "{} has no backward rule (second derivatives and assigns are not supported)",
                node.op.name()
            )));
        }
    })
}

/// `∂/∂a` of `a × b` given the output gradient `g`: `g × bᵀ`, summed to `a_shape`.
fn matmul_grad_a(graph: &Graph, g: Tensor, b: Tensor, a_shape: Shape) -> Tensor {
    let product = graph.matmul(g, graph.transpose(b));
    unbroadcast(graph, product, a_shape)
}

/// `∂/∂b` of `a × b`: `aᵀ × g`, summed to `b_shape`. When `b` is shared by every batch
/// (rank 2) the batch is folded into the product's inner extent instead of summed after.
fn matmul_grad_b(graph: &Graph, a: Tensor, g: Tensor, b_shape: Shape) -> Tensor {
    let (ra, rg) = (a.shape.rank(), g.shape.rank());
    if b_shape.rank() == 2 && rg > 2 && ra == rg {
        let k = a.shape.dims()[ra - 1];
        let n = g.shape.dims()[rg - 1];
        let rows = a.shape.num_elements() / k;
        let a_flat = graph.reshape(a, [rows, k]);
        let g_flat = graph.reshape(g, [rows, n]);
        return graph.matmul(graph.transpose(a_flat), g_flat);
    }
    let product = graph.matmul(graph.transpose(a), g);
    unbroadcast(graph, product, b_shape)
}
