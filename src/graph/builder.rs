//! Building graphs: one method per primitive op, each checking and inferring shapes.
//!
//! Shape errors panic with a message naming the op and the shapes: graphs are built by
//! network code from validated configurations, so a mismatch is a bug in that code, not a
//! user error.

use std::sync::Arc;

use super::cpu::pointwise::{binary_value, unary_value};
use super::ir::{BinaryOp, Graph, Init, Op, ReduceOp, Tensor, UnaryOp};
use super::shape::Shape;

impl Graph {
    // ---- leaves ----

    pub fn input(&self, name: &str, shape: impl Into<Shape>) -> Tensor {
        self.check_unique(name);
        self.push(Op::Input { name: name.into() }, &[], shape.into())
    }

    pub fn parameter(&self, name: &str, shape: impl Into<Shape>, init: Init) -> Tensor {
        self.check_unique(name);
        self.push(
            Op::Parameter {
                name: name.into(),
                init,
            },
            &[],
            shape.into(),
        )
    }

    pub fn state(&self, name: &str, shape: impl Into<Shape>, init: Init) -> Tensor {
        self.check_unique(name);
        self.push(
            Op::State {
                name: name.into(),
                init,
            },
            &[],
            shape.into(),
        )
    }

    fn check_unique(&self, name: &str) {
        assert!(
            self.find(name).is_none(),
            "the name {name:?} is already used by an input, parameter or state"
        );
    }

    pub fn constant(&self, values: &[f32], shape: impl Into<Shape>) -> Tensor {
        let shape = shape.into();
        assert_eq!(
            values.len(),
            shape.num_elements(),
            "constant of shape {shape:?} needs {} values",
            shape.num_elements()
        );
        self.push(
            Op::Constant {
                values: Arc::from(values),
            },
            &[],
            shape,
        )
    }

    pub fn fill(&self, value: f32, shape: impl Into<Shape>) -> Tensor {
        self.push(Op::Fill { value }, &[], shape.into())
    }

    /// A rank-0 constant; broadcasts against anything.
    pub fn scalar(&self, value: f32) -> Tensor {
        self.fill(value, Shape::scalar())
    }

    // ---- pointwise ----

    pub fn unary(&self, op: UnaryOp, x: Tensor) -> Tensor {
        if let Some(value) = self.fill_value(x) {
            return self.fill(unary_value(op, value), x.shape);
        }
        self.push(Op::Unary(op), &[x], x.shape)
    }

    pub fn binary(&self, op: BinaryOp, a: Tensor, b: Tensor) -> Tensor {
        let shape = Shape::broadcast(a.shape, b.shape).unwrap_or_else(|| {
            panic!(
                "{op:?}: shapes {:?} and {:?} do not broadcast",
                a.shape, b.shape
            )
        });
        if let (Some(a), Some(b)) = (self.fill_value(a), self.fill_value(b)) {
            return self.fill(binary_value(op, a, b), shape);
        }
        self.push(Op::Binary(op), &[a, b], shape)
    }

    /// The value of `x` if it is a fill, directly or through single-input views: ops on
    /// fills alone fold into fills when built (a loss's `1 · 1/n` would otherwise be a
    /// one-element kernel of its own, and its readers could not inline it).
    pub(crate) fn fill_value(&self, x: Tensor) -> Option<f32> {
        let nodes = self.nodes();
        let mut current = x.id;
        loop {
            let node = &nodes[current.index()];
            match node.op {
                Op::Fill { value } => return Some(value),
                Op::Reshape
                | Op::Permute { .. }
                | Op::Expand
                | Op::Slice { .. }
                | Op::StopGradient => {
                    current = node.inputs[0];
                }
                _ => return None,
            }
        }
    }

    /// `if condition != 0 { if_true } else { if_false }`, broadcast.
    pub fn select(&self, condition: Tensor, if_true: Tensor, if_false: Tensor) -> Tensor {
        let shape = Shape::broadcast(condition.shape, if_true.shape)
            .and_then(|s| Shape::broadcast(s, if_false.shape))
            .unwrap_or_else(|| {
                panic!(
                    "select: shapes {:?}, {:?}, {:?} do not broadcast",
                    condition.shape, if_true.shape, if_false.shape
                )
            });
        if let (Some(condition), Some(if_true), Some(if_false)) = (
            self.fill_value(condition),
            self.fill_value(if_true),
            self.fill_value(if_false),
        ) {
            return self.fill(if condition != 0.0 { if_true } else { if_false }, shape);
        }
        self.push(Op::Select, &[condition, if_true, if_false], shape)
    }

    pub fn neg(&self, x: Tensor) -> Tensor {
        self.unary(UnaryOp::Neg, x)
    }
    pub fn exp(&self, x: Tensor) -> Tensor {
        self.unary(UnaryOp::Exp, x)
    }
    pub fn log(&self, x: Tensor) -> Tensor {
        self.unary(UnaryOp::Log, x)
    }
    pub fn tanh(&self, x: Tensor) -> Tensor {
        self.unary(UnaryOp::Tanh, x)
    }
    pub fn sigmoid(&self, x: Tensor) -> Tensor {
        self.unary(UnaryOp::Sigmoid, x)
    }
    pub fn relu(&self, x: Tensor) -> Tensor {
        self.unary(UnaryOp::Relu, x)
    }
    pub fn sqrt(&self, x: Tensor) -> Tensor {
        self.unary(UnaryOp::Sqrt, x)
    }
    pub fn rsqrt(&self, x: Tensor) -> Tensor {
        self.unary(UnaryOp::Rsqrt, x)
    }
    pub fn square(&self, x: Tensor) -> Tensor {
        self.unary(UnaryOp::Square, x)
    }
    pub fn abs(&self, x: Tensor) -> Tensor {
        self.unary(UnaryOp::Abs, x)
    }
    pub fn recip(&self, x: Tensor) -> Tensor {
        self.unary(UnaryOp::Recip, x)
    }
    pub fn add(&self, a: Tensor, b: Tensor) -> Tensor {
        self.binary(BinaryOp::Add, a, b)
    }
    pub fn sub(&self, a: Tensor, b: Tensor) -> Tensor {
        self.binary(BinaryOp::Sub, a, b)
    }
    pub fn mul(&self, a: Tensor, b: Tensor) -> Tensor {
        self.binary(BinaryOp::Mul, a, b)
    }
    pub fn div(&self, a: Tensor, b: Tensor) -> Tensor {
        self.binary(BinaryOp::Div, a, b)
    }
    pub fn maximum(&self, a: Tensor, b: Tensor) -> Tensor {
        self.binary(BinaryOp::Max, a, b)
    }
    pub fn minimum(&self, a: Tensor, b: Tensor) -> Tensor {
        self.binary(BinaryOp::Min, a, b)
    }
    pub fn pow(&self, a: Tensor, b: Tensor) -> Tensor {
        self.binary(BinaryOp::Pow, a, b)
    }
    pub fn less(&self, a: Tensor, b: Tensor) -> Tensor {
        self.binary(BinaryOp::Less, a, b)
    }
    pub fn less_equal(&self, a: Tensor, b: Tensor) -> Tensor {
        self.binary(BinaryOp::LessEqual, a, b)
    }
    pub fn greater(&self, a: Tensor, b: Tensor) -> Tensor {
        self.binary(BinaryOp::Greater, a, b)
    }
    pub fn greater_equal(&self, a: Tensor, b: Tensor) -> Tensor {
        self.binary(BinaryOp::GreaterEqual, a, b)
    }
    pub fn equal(&self, a: Tensor, b: Tensor) -> Tensor {
        self.binary(BinaryOp::Equal, a, b)
    }
    pub fn not_equal(&self, a: Tensor, b: Tensor) -> Tensor {
        self.binary(BinaryOp::NotEqual, a, b)
    }
    /// `x * factor` for a constant factor.
    pub fn scale(&self, x: Tensor, factor: f32) -> Tensor {
        self.mul(x, self.scalar(factor))
    }
    /// `x + offset` for a constant offset.
    pub fn shift(&self, x: Tensor, offset: f32) -> Tensor {
        self.add(x, self.scalar(offset))
    }

    // ---- views ----

    pub fn reshape(&self, x: Tensor, shape: impl Into<Shape>) -> Tensor {
        let shape = shape.into();
        assert_eq!(
            x.shape.num_elements(),
            shape.num_elements(),
            "reshape: {:?} and {shape:?} hold different numbers of elements",
            x.shape
        );
        if shape == x.shape {
            return x;
        }
        self.push(Op::Reshape, &[x], shape)
    }

    /// `x`, but gradients stop here.
    pub fn stop_gradient(&self, x: Tensor) -> Tensor {
        self.push(Op::StopGradient, &[x], x.shape)
    }

    /// Output axis `i` is input axis `axes[i]`.
    pub fn permute(&self, x: Tensor, axes: &[usize]) -> Tensor {
        let mut seen = axes.to_vec();
        seen.sort_unstable();
        assert!(
            seen == (0..x.shape.rank()).collect::<Vec<_>>(),
            "permute: {axes:?} is not a permutation of the axes of {:?}",
            x.shape
        );
        if axes.iter().enumerate().all(|(i, &a)| i == a) {
            return x;
        }
        let dims: Vec<usize> = axes.iter().map(|&a| x.shape.dims()[a]).collect();
        self.push(
            Op::Permute {
                axes: axes.to_vec(),
            },
            &[x],
            Shape::new(&dims),
        )
    }

    /// Swaps the last two axes.
    pub fn transpose(&self, x: Tensor) -> Tensor {
        let rank = x.shape.rank();
        assert!(rank >= 2, "transpose needs rank ≥ 2, got {:?}", x.shape);
        let mut axes: Vec<usize> = (0..rank).collect();
        axes.swap(rank - 2, rank - 1);
        self.permute(x, &axes)
    }

    /// Broadcasts `x` to `shape` (NumPy rules: leading axes added, size-1 axes stretched).
    pub fn expand(&self, x: Tensor, shape: impl Into<Shape>) -> Tensor {
        let shape = shape.into();
        assert!(
            Shape::broadcast(x.shape, shape) == Some(shape),
            "expand: {:?} does not broadcast to {shape:?}",
            x.shape
        );
        if x.shape == shape {
            return x;
        }
        let mut padded = vec![1; shape.rank() - x.shape.rank()];
        padded.extend_from_slice(x.shape.dims());
        let x = self.reshape(x, Shape::new(&padded));
        if x.shape == shape {
            return x;
        }
        self.push(Op::Expand, &[x], shape)
    }

    pub fn slice(&self, x: Tensor, axis: isize, start: usize, len: usize) -> Tensor {
        let axis = x.shape.axis(axis);
        assert!(
            len > 0 && start + len <= x.shape.dims()[axis],
            "slice: {start}..{} is out of range for axis {axis} of {:?}",
            start + len,
            x.shape
        );
        if len == x.shape.dims()[axis] {
            return x;
        }
        self.push(Op::Slice { axis, start }, &[x], x.shape.with_dim(axis, len))
    }

    pub fn concat(&self, parts: &[Tensor], axis: isize) -> Tensor {
        assert!(!parts.is_empty(), "concat needs at least one tensor");
        let axis = parts[0].shape.axis(axis);
        let mut total = 0;
        for part in parts {
            assert!(
                part.shape.rank() == parts[0].shape.rank()
                    && (0..part.shape.rank())
                        .all(|a| a == axis || part.shape.dims()[a] == parts[0].shape.dims()[a]),
                "concat: {:?} does not match {:?} outside axis {axis}",
                part.shape,
                parts[0].shape
            );
            total += part.shape.dims()[axis];
        }
        if parts.len() == 1 {
            return parts[0];
        }
        self.push(
            Op::Concat { axis },
            parts,
            parts[0].shape.with_dim(axis, total),
        )
    }

    // ---- reductions ----

    /// Reduces over `axes` (negative ones count from the end). Non-adjacent axes become
    /// several reductions, each over a contiguous run of axes.
    pub fn reduce(&self, op: ReduceOp, x: Tensor, axes: &[isize], keep_dims: bool) -> Tensor {
        let mut resolved: Vec<usize> = axes.iter().map(|&a| x.shape.axis(a)).collect();
        resolved.sort_unstable();
        resolved.dedup();
        let mut result = x;
        // Contiguous runs, innermost first.
        let mut runs: Vec<(usize, usize)> = Vec::new();
        for &axis in &resolved {
            match runs.last_mut() {
                Some((_, end)) if *end == axis => *end += 1,
                _ => runs.push((axis, axis + 1)),
            }
        }
        for &(start, end) in runs.iter().rev() {
            let mut dims = result.shape.dims().to_vec();
            for dim in &mut dims[start..end] {
                *dim = 1;
            }
            if (start..end).all(|a| result.shape.dims()[a] == 1) {
                continue;
            }
            result = self.push(Op::Reduce { op, start, end }, &[result], Shape::new(&dims));
        }
        if keep_dims {
            return result;
        }
        let kept: Vec<usize> = (0..x.shape.rank())
            .filter(|a| !resolved.contains(a))
            .map(|a| result.shape.dims()[a])
            .collect();
        self.reshape(result, Shape::new(&kept))
    }

    pub fn sum(&self, x: Tensor, axes: &[isize], keep_dims: bool) -> Tensor {
        self.reduce(ReduceOp::Sum, x, axes, keep_dims)
    }

    pub fn max(&self, x: Tensor, axes: &[isize], keep_dims: bool) -> Tensor {
        self.reduce(ReduceOp::Max, x, axes, keep_dims)
    }

    /// Sum over every axis, as a scalar.
    pub fn sum_all(&self, x: Tensor) -> Tensor {
        let axes: Vec<isize> = (0..x.shape.rank() as isize).collect();
        self.sum(x, &axes, false)
    }

    // ---- linear algebra ----

    /// `[.., m, k] × [.., k, n] → [.., m, n]`; batch axes broadcast. Rank-1 operands are
    /// not promoted: reshape them first.
    pub fn matmul(&self, a: Tensor, b: Tensor) -> Tensor {
        let (ra, rb) = (a.shape.rank(), b.shape.rank());
        assert!(
            ra >= 2 && rb >= 2,
            "matmul needs rank ≥ 2 operands, got {:?} and {:?}",
            a.shape,
            b.shape
        );
        let (m, k) = (a.shape.dims()[ra - 2], a.shape.dims()[ra - 1]);
        let (k2, n) = (b.shape.dims()[rb - 2], b.shape.dims()[rb - 1]);
        assert_eq!(
            k, k2,
            "matmul: inner extents differ in {:?} × {:?}",
            a.shape, b.shape
        );
        let batch_a = Shape::new(&a.shape.dims()[..ra - 2]);
        let batch_b = Shape::new(&b.shape.dims()[..rb - 2]);
        let batch = Shape::broadcast(batch_a, batch_b).unwrap_or_else(|| {
            panic!(
                "matmul: batch axes of {:?} and {:?} do not broadcast",
                a.shape, b.shape
            )
        });
        // An operand broadcast along some batch axes but not others has no single batch
        // stride: spell the broadcast out (an expand) so kernels read plain batches.
        let spread = |x: Tensor, own: Shape, rows: usize, cols: usize| {
            let padded = Shape::broadcast(own, Shape::new(&vec![1; batch.rank()])).expect("pads");
            let partial = padded
                .dims()
                .iter()
                .zip(batch.dims())
                .any(|(&o, &b)| o != b)
                && padded.dims().iter().any(|&o| o != 1);
            if partial {
                let mut full = batch.dims().to_vec();
                full.extend([rows, cols]);
                self.expand(x, Shape::new(&full))
            } else {
                x
            }
        };
        let a = spread(a, batch_a, m, k);
        let b = spread(b, batch_b, k, n);
        let mut dims = batch.dims().to_vec();
        dims.extend([m, n]);
        self.push(Op::MatMul, &[a, b], Shape::new(&dims))
    }

    /// NHWC `[b, h, w, cin]` ⊛ `[kernel, kernel, cin, cout]`, stride 1, 'same' padding.
    pub fn conv2d(&self, input: Tensor, weight: Tensor) -> Tensor {
        let kernel = check_conv(input.shape, weight.shape);
        let d = input.shape.dims();
        let cout = weight.shape.dims()[3];
        self.push(
            Op::Conv2d { kernel },
            &[input, weight],
            Shape::new(&[d[0], d[1], d[2], cout]),
        )
    }

    /// Gradient of [`Graph::conv2d`] with respect to its input.
    pub fn conv2d_grad_input(&self, grad_output: Tensor, weight: Tensor) -> Tensor {
        let w = weight.shape.dims();
        let d = grad_output.shape.dims();
        assert!(
            grad_output.shape.rank() == 4 && d[3] == w[3],
            "conv2d_grad_input: grad {:?} does not match weight {:?}",
            grad_output.shape,
            weight.shape
        );
        self.push(
            Op::Conv2dGradInput { kernel: w[0] },
            &[grad_output, weight],
            Shape::new(&[d[0], d[1], d[2], w[2]]),
        )
    }

    /// Gradient of [`Graph::conv2d`] with respect to its weight.
    pub fn conv2d_grad_weight(&self, input: Tensor, grad_output: Tensor, kernel: usize) -> Tensor {
        let i = input.shape.dims();
        let g = grad_output.shape.dims();
        assert!(
            input.shape.rank() == 4 && grad_output.shape.rank() == 4 && i[..3] == g[..3],
            "conv2d_grad_weight: input {:?} does not match grad {:?}",
            input.shape,
            grad_output.shape
        );
        self.push(
            Op::Conv2dGradWeight { kernel },
            &[input, grad_output],
            Shape::new(&[kernel, kernel, i[3], g[3]]),
        )
    }

    // ---- losses ----

    /// Cross-entropy against soft targets along the last axis, per row:
    /// `−Σ target · log_softmax(logits)`, the softmax over the entries where `mask` is
    /// nonzero (all of them without a mask). Masked entries must have target 0. One
    /// primitive ([`Op::SoftCrossEntropy`]), so that the GPU reads each row once instead of
    /// running the half-dozen reductions and pointwise passes of its composite form.
    pub fn soft_cross_entropy(
        &self,
        logits: Tensor,
        target: Tensor,
        mask: Option<Tensor>,
    ) -> Tensor {
        let inputs = self.cross_entropy_inputs("soft_cross_entropy", logits, target, mask);
        let rows = &logits.shape.dims()[..logits.shape.rank() - 1];
        self.push(Op::SoftCrossEntropy, &inputs, Shape::new(rows))
    }

    /// The gradient of [`Graph::soft_cross_entropy`]'s row loss by the logits, per unit of
    /// row gradient ([`Op::SoftCrossEntropyGrad`]).
    pub fn soft_cross_entropy_grad(
        &self,
        logits: Tensor,
        target: Tensor,
        mask: Option<Tensor>,
    ) -> Tensor {
        let inputs = self.cross_entropy_inputs("soft_cross_entropy_grad", logits, target, mask);
        self.push(Op::SoftCrossEntropyGrad, &inputs, logits.shape)
    }

    /// `[logits, target, mask]` with a mask of ones standing in for none.
    fn cross_entropy_inputs(
        &self,
        op: &str,
        logits: Tensor,
        target: Tensor,
        mask: Option<Tensor>,
    ) -> [Tensor; 3] {
        let mask = mask.unwrap_or_else(|| self.fill(1.0, logits.shape));
        assert!(
            logits.shape.rank() >= 1 && target.shape == logits.shape && mask.shape == logits.shape,
            "{op}: logits {:?}, target {:?} and mask {:?} must have one shape of rank ≥ 1",
            logits.shape,
            target.shape,
            mask.shape
        );
        [logits, target, mask]
    }

    // ---- indexing ----

    /// Output index `i` along `axis` reads input index `indices[i]`.
    pub fn gather(&self, x: Tensor, axis: isize, indices: &[u32]) -> Tensor {
        let axis = x.shape.axis(axis);
        let extent = x.shape.dims()[axis];
        assert!(
            indices.iter().all(|&i| (i as usize) < extent),
            "gather: an index is ≥ the extent {extent} of axis {axis}"
        );
        self.push(
            Op::Gather {
                axis,
                indices: Arc::from(indices),
            },
            &[x],
            x.shape.with_dim(axis, indices.len()),
        )
    }

    /// Adds input index `i` along `axis` into output index `indices[i]`; the output has
    /// extent `size` along `axis` (a segment sum, the transpose of [`Graph::gather`]).
    pub fn scatter_add(&self, x: Tensor, axis: isize, indices: &[u32], size: usize) -> Tensor {
        let axis = x.shape.axis(axis);
        assert_eq!(
            indices.len(),
            x.shape.dims()[axis],
            "scatter_add: one index per element of axis {axis} of {:?}",
            x.shape
        );
        assert!(
            indices.iter().all(|&i| (i as usize) < size),
            "scatter_add: an index is ≥ the output extent {size}"
        );
        self.push(
            Op::ScatterAdd {
                axis,
                indices: Arc::from(indices),
            },
            &[x],
            x.shape.with_dim(axis, size),
        )
    }

    // ---- side effects ----

    /// At the end of a run, the parameter or state `target` takes `value`.
    pub fn assign(&self, target: Tensor, value: Tensor) -> Tensor {
        assert!(
            self.node(target.id).op.is_persistent(),
            "assign: the target must be a parameter or state"
        );
        assert_eq!(
            target.shape, value.shape,
            "assign: value shape differs from the target's"
        );
        assert!(
            !self
                .nodes()
                .iter()
                .any(|node| matches!(node.op, Op::Assign { target: t } if t == target.id)),
            "assign: the target is already assigned in this graph"
        );
        self.push(Op::Assign { target: target.id }, &[value], value.shape)
    }
}

/// Checks a conv's input and weight shapes; returns the kernel size.
fn check_conv(input: Shape, weight: Shape) -> usize {
    let (i, w) = (input.dims(), weight.dims());
    assert!(
        input.rank() == 4 && weight.rank() == 4,
        "conv2d needs NHWC input and [k, k, cin, cout] weight, got {input:?} and {weight:?}"
    );
    assert!(
        w[0] == w[1] && (w[0] == 1 || w[0] == 3),
        "conv2d supports 1x1 and 3x3 kernels, got {weight:?}"
    );
    assert_eq!(
        i[3], w[2],
        "conv2d: input channels of {input:?} differ from the weight's {weight:?}"
    );
    w[0]
}
