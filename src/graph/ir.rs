//! The graph IR: a flat list of nodes in topological order, each one op over earlier nodes.
//!
//! A graph is built once per configuration with concrete shapes (like a JIT trace) and
//! compiled into a `Program`. Building methods live in `builder.rs` and take `&self`
//! (the node list sits in a `RefCell`) so calls nest: `g.relu(g.add(g.matmul(x, w), b))`.

use std::cell::{Ref, RefCell};
use std::sync::Arc;

use super::shape::Shape;

/// Index of a node in its graph.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TensorId(pub u32);

impl TensorId {
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// A handle to a node's value: its id and its shape. Cheap to copy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Tensor {
    pub id: TensorId,
    pub shape: Shape,
}

/// Pointwise functions of one argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnaryOp {
    Neg,
    Exp,
    Log,
    Tanh,
    Sigmoid,
    Relu,
    Sqrt,
    Rsqrt,
    Square,
    Abs,
    Recip,
}

/// Pointwise functions of two broadcast arguments. Comparisons give 1.0 or 0.0.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    Add,
    Sub,
    Mul,
    Div,
    Max,
    Min,
    Pow,
    Less,
    LessEqual,
    Greater,
    GreaterEqual,
    Equal,
    NotEqual,
}

impl BinaryOp {
    pub fn is_comparison(self) -> bool {
        matches!(
            self,
            BinaryOp::Less
                | BinaryOp::LessEqual
                | BinaryOp::Greater
                | BinaryOp::GreaterEqual
                | BinaryOp::Equal
                | BinaryOp::NotEqual
        )
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReduceOp {
    Sum,
    Max,
}

/// How a parameter or state buffer is first filled. Random draws come from the program's
/// seed and the node's name, so they do not depend on build order.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Init {
    Zeros,
    Constant(f32),
    /// Normal with mean 0 and this standard deviation.
    Normal {
        std: f32,
    },
    /// Uniform on (−bound, bound).
    Uniform {
        bound: f32,
    },
}

/// What a node computes. Inputs are the node's `inputs`, in the order documented here.
#[derive(Clone, Debug, PartialEq)]
pub enum Op {
    /// Fed before each run.
    Input { name: String },
    /// Persistent and trainable.
    Parameter { name: String, init: Init },
    /// Persistent, not trained (optimizer moments, step counters).
    State { name: String, init: Init },
    /// Values baked into the program, row-major.
    Constant { values: Arc<[f32]> },
    /// Every element equal to `value`.
    Fill { value: f32 },
    /// `[x]`.
    Unary(UnaryOp),
    /// `[a, b]`, broadcast to the node's shape.
    Binary(BinaryOp),
    /// `[condition, if_true, if_false]`, broadcast; the condition is true where nonzero.
    Select,
    /// `[x]`, same elements in a new shape.
    Reshape,
    /// `[x]`; output axis `i` is input axis `axes[i]`.
    Permute { axes: Vec<usize> },
    /// `[x]` broadcast to the node's shape (same rank; size-1 axes stretched).
    Expand,
    /// `[x]`; elements `start..start + len` of `axis`, `len` from the node's shape.
    Slice { axis: usize, start: usize },
    /// `[x0, x1, ...]` joined along `axis`.
    Concat { axis: usize },
    /// `[x]` unchanged; no gradient flows back through it (numerical shifts such as the
    /// max subtracted in a softmax).
    StopGradient,
    /// `[x]` reduced over axes `start..end`, which are kept with extent 1.
    Reduce {
        op: ReduceOp,
        start: usize,
        end: usize,
    },
    /// `[a, b]`: `[.., m, k] × [.., k, n] → [.., m, n]`; batch axes broadcast.
    MatMul,
    /// `[input, weight]`: NHWC input `[b, h, w, cin]`, weight `[kernel, kernel, cin, cout]`,
    /// stride 1, 'same' zero padding → `[b, h, w, cout]`.
    Conv2d { kernel: usize },
    /// `[grad_output, weight]` → gradient of a `Conv2d` with respect to its input.
    Conv2dGradInput { kernel: usize },
    /// `[input, grad_output]` → gradient of a `Conv2d` with respect to its weight.
    Conv2dGradWeight { kernel: usize },
    /// `[logits, target, mask]`, all of one shape → per row of the last axis (which the
    /// output drops), `−Σ target · log_softmax(logits)`, the softmax taken over the entries
    /// where `mask` is nonzero (the others count as logit `MASKED_LOGIT`).
    SoftCrossEntropy,
    /// `[logits, target, mask]` → the gradient of `SoftCrossEntropy`'s row loss by the
    /// logits, per unit of row gradient: `softmax · Σ target − target` where `mask` is
    /// nonzero, 0 elsewhere. Same shape as the logits.
    SoftCrossEntropyGrad,
    /// `[x]`: output index `i` along `axis` reads input index `indices[i]`.
    Gather { axis: usize, indices: Arc<[u32]> },
    /// `[x]`: input index `i` along `axis` is added into output index `indices[i]`
    /// (a segment sum); the output extent along `axis` is the node's.
    ScatterAdd { axis: usize, indices: Arc<[u32]> },
    /// `[value]`: at the end of a run, `target` (a parameter or state) takes `value`. Reads
    /// of `target` during the run see the old value. The node's own value is `value`.
    Assign { target: TensorId },
}

impl Op {
    /// Ops computed element by element with no cross-element dependence.
    pub fn is_pointwise(&self) -> bool {
        matches!(
            self,
            Op::Unary(_) | Op::Binary(_) | Op::Select | Op::Fill { .. }
        )
    }

    /// Ops that only re-index their input (no arithmetic).
    pub fn is_view(&self) -> bool {
        matches!(
            self,
            Op::Reshape
                | Op::Permute { .. }
                | Op::Expand
                | Op::Slice { .. }
                | Op::Concat { .. }
                | Op::StopGradient
        )
    }

    /// Views that keep every element at its flat index (consumers read the same layout).
    pub fn keeps_flat_index(&self) -> bool {
        matches!(self, Op::Reshape | Op::StopGradient | Op::Assign { .. })
    }

    /// Ops holding values that live across runs.
    pub fn is_persistent(&self) -> bool {
        matches!(self, Op::Parameter { .. } | Op::State { .. })
    }

    /// A short name for kernel listings.
    pub fn name(&self) -> String {
        match self {
            Op::Input { name } => format!("input:{name}"),
            Op::Parameter { name, .. } => format!("param:{name}"),
            Op::State { name, .. } => format!("state:{name}"),
            Op::Constant { .. } => "constant".into(),
            Op::Fill { value } => format!("fill({value})"),
            Op::Unary(op) => format!("{op:?}").to_lowercase(),
            Op::Binary(op) => format!("{op:?}").to_lowercase(),
            Op::Select => "select".into(),
            Op::Reshape => "reshape".into(),
            Op::StopGradient => "stop_gradient".into(),
            Op::Permute { axes } => format!("permute{axes:?}"),
            Op::Expand => "expand".into(),
            Op::Slice { axis, start } => format!("slice(axis {axis}, from {start})"),
            Op::Concat { axis } => format!("concat(axis {axis})"),
            Op::Reduce { op, start, end } => {
                format!(
                    "reduce_{}({start}..{end})",
                    format!("{op:?}").to_lowercase()
                )
            }
            Op::MatMul => "matmul".into(),
            Op::Conv2d { kernel } => format!("conv{kernel}x{kernel}"),
            Op::Conv2dGradInput { kernel } => format!("conv{kernel}x{kernel}_grad_input"),
            Op::Conv2dGradWeight { kernel } => format!("conv{kernel}x{kernel}_grad_weight"),
            Op::SoftCrossEntropy => "soft_cross_entropy".into(),
            Op::SoftCrossEntropyGrad => "soft_cross_entropy_grad".into(),
            Op::Gather { axis, .. } => format!("gather(axis {axis})"),
            Op::ScatterAdd { axis, .. } => format!("scatter_add(axis {axis})"),
            Op::Assign { target } => format!("assign(to %{})", target.0),
        }
    }
}

/// One node: an op, its inputs (earlier nodes) and its output shape.
#[derive(Clone, Debug)]
pub struct Node {
    pub op: Op,
    pub inputs: Vec<TensorId>,
    pub shape: Shape,
}

/// A static computation graph with named inputs, parameters, states and outputs.
#[derive(Default)]
pub struct Graph {
    nodes: RefCell<Vec<Node>>,
    outputs: RefCell<Vec<(String, TensorId)>>,
}

impl Graph {
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a node whose shape the caller has already checked.
    pub(crate) fn push(&self, op: Op, inputs: &[Tensor], shape: Shape) -> Tensor {
        let mut nodes = self.nodes.borrow_mut();
        let id = TensorId(nodes.len() as u32);
        nodes.push(Node {
            op,
            inputs: inputs.iter().map(|t| t.id).collect(),
            shape,
        });
        Tensor { id, shape }
    }

    pub fn nodes(&self) -> Ref<'_, Vec<Node>> {
        self.nodes.borrow()
    }

    pub fn len(&self) -> usize {
        self.nodes.borrow().len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.borrow().is_empty()
    }

    pub fn node(&self, id: TensorId) -> Node {
        self.nodes.borrow()[id.index()].clone()
    }

    pub fn tensor(&self, id: TensorId) -> Tensor {
        Tensor {
            id,
            shape: self.nodes.borrow()[id.index()].shape,
        }
    }

    /// Marks `tensor` as a named result that programs can read back.
    pub fn output(&self, name: &str, tensor: Tensor) {
        let mut outputs = self.outputs.borrow_mut();
        assert!(
            outputs.iter().all(|(existing, _)| existing != name),
            "output name {name:?} is used twice"
        );
        outputs.push((name.to_owned(), tensor.id));
    }

    pub fn outputs(&self) -> Vec<(String, TensorId)> {
        self.outputs.borrow().clone()
    }

    /// The id of the input, parameter or state called `name`.
    pub fn find(&self, name: &str) -> Option<TensorId> {
        self.nodes
            .borrow()
            .iter()
            .position(|node| match &node.op {
                Op::Input { name: n }
                | Op::Parameter { name: n, .. }
                | Op::State { name: n, .. } => n == name,
                _ => false,
            })
            .map(|index| TensorId(index as u32))
    }

    /// Every persistent value (parameters and states) as (name, shape, trainable), in
    /// build order: what a checkpoint saves and loads by name.
    pub fn persistent_values(&self) -> Vec<(String, Shape, bool)> {
        self.nodes
            .borrow()
            .iter()
            .filter_map(|node| match &node.op {
                Op::Parameter { name, .. } => Some((name.clone(), node.shape, true)),
                Op::State { name, .. } => Some((name.clone(), node.shape, false)),
                _ => None,
            })
            .collect()
    }

    /// The names of the trainable parameters, in build order.
    pub fn parameter_names(&self) -> Vec<String> {
        self.persistent_values()
            .into_iter()
            .filter(|(_, _, trainable)| *trainable)
            .map(|(name, _, _)| name)
            .collect()
    }

    /// Every trainable parameter, in build order.
    pub fn parameters(&self) -> Vec<Tensor> {
        self.nodes
            .borrow()
            .iter()
            .enumerate()
            .filter(|(_, node)| matches!(node.op, Op::Parameter { .. }))
            .map(|(index, node)| Tensor {
                id: TensorId(index as u32),
                shape: node.shape,
            })
            .collect()
    }

    /// For every node, whether an output or an assign depends on it (dead nodes are not
    /// compiled).
    pub fn live(&self) -> Vec<bool> {
        let nodes = self.nodes.borrow();
        let mut live = vec![false; nodes.len()];
        for (_, id) in self.outputs.borrow().iter() {
            live[id.index()] = true;
        }
        for (index, node) in nodes.iter().enumerate() {
            if matches!(node.op, Op::Assign { .. } | Op::Input { .. }) || node.op.is_persistent() {
                live[index] = true;
            }
        }
        for index in (0..nodes.len()).rev() {
            if live[index] {
                for input in &nodes[index].inputs {
                    live[input.index()] = true;
                }
            }
        }
        live
    }

    /// For every node, how many later nodes read it (outputs and assigns count as readers).
    pub fn use_counts(&self) -> Vec<usize> {
        let nodes = self.nodes.borrow();
        let mut counts = vec![0; nodes.len()];
        for node in nodes.iter() {
            for input in &node.inputs {
                counts[input.index()] += 1;
            }
        }
        for (_, id) in self.outputs.borrow().iter() {
            counts[id.index()] += 1;
        }
        counts
    }

    /// A readable listing, one node per line: `%3 = matmul(%1, %2) [8, 16]`.
    pub fn listing(&self) -> String {
        let nodes = self.nodes.borrow();
        let mut text = String::new();
        for (index, node) in nodes.iter().enumerate() {
            let inputs: Vec<String> = node.inputs.iter().map(|i| format!("%{}", i.0)).collect();
            text.push_str(&format!(
                "%{index} = {}({}) {:?}\n",
                node.op.name(),
                inputs.join(", "),
                node.shape
            ));
        }
        text
    }
}
