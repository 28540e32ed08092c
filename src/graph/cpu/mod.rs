//! The CPU backend: an interpreter of the graph IR, node by node, over a static buffer
//! plan. It is the reference for the GPU backend in tests and the fallback where no GPU
//! exists. Matrix products use the `gemm` crate; large loops run on rayon's threads.

mod layout;
mod linalg;
pub(crate) mod pointwise;
mod reduce;
mod strided;

use std::collections::HashMap;

use super::GraphError;
use super::init::initial_values;
use super::ir::{Graph, Node, Op, TensorId};
use super::plan::{self, BufferPlan, Lifetime};

/// A graph compiled for the CPU: every node's value has a slot in a static plan.
pub struct CpuProgram {
    nodes: Vec<Node>,
    live: Vec<bool>,
    /// Slot of each node's value.
    slot_of: Vec<usize>,
    slots: Vec<Vec<f32>>,
    plan: BufferPlan,
    names: HashMap<String, TensorId>,
    outputs: HashMap<String, TensorId>,
    /// (target, assign node): the assign's value is copied into the target after each run.
    assigns: Vec<(TensorId, TensorId)>,
    /// im2col matrix, kept between runs.
    scratch: Vec<f32>,
}

fn is_leaf(op: &Op) -> bool {
    matches!(
        op,
        Op::Input { .. }
            | Op::Parameter { .. }
            | Op::State { .. }
            | Op::Constant { .. }
            | Op::Fill { .. }
    )
}

impl CpuProgram {
    pub fn compile(graph: &Graph, seed: u64) -> Result<Self, GraphError> {
        let nodes = graph.nodes().clone();
        let outputs: HashMap<String, TensorId> = graph.outputs().into_iter().collect();
        let end = nodes.len();
        let live = graph.live();
        let mut last_use: Vec<usize> = (0..nodes.len()).collect();
        for (index, node) in nodes.iter().enumerate() {
            for input in &node.inputs {
                last_use[input.index()] = last_use[input.index()].max(index);
            }
        }
        let mut names = HashMap::new();
        let mut assigns = Vec::new();
        let lifetimes: Vec<Lifetime> = nodes
            .iter()
            .enumerate()
            .map(|(index, node)| {
                match &node.op {
                    Op::Input { name } | Op::Parameter { name, .. } | Op::State { name, .. } => {
                        names.insert(name.clone(), TensorId(index as u32));
                    }
                    Op::Assign { target } => assigns.push((*target, TensorId(index as u32))),
                    _ => {}
                }
                let id = TensorId(index as u32);
                if !live[index] {
                    // Dead nodes are never run; a zero-byte slot keeps indices aligned.
                    return Lifetime {
                        tensor: id,
                        bytes: 0,
                        first: index,
                        last: index,
                        pinned: false,
                    };
                }
                let pinned = is_leaf(&node.op)
                    || matches!(node.op, Op::Assign { .. })
                    || outputs.values().any(|&output| output == id);
                Lifetime {
                    tensor: id,
                    bytes: node.shape.num_elements() as u64 * 4,
                    first: index,
                    last: if pinned { end } else { last_use[index] },
                    pinned,
                }
            })
            .collect();
        let plan = plan::plan(&lifetimes);
        let mut slots: Vec<Vec<f32>> = plan
            .slot_bytes
            .iter()
            .map(|&bytes| vec![0.0; bytes as usize / 4])
            .collect();
        for (index, node) in nodes.iter().enumerate() {
            if !live[index] {
                // A dead leaf has no slot of its own: zero bytes, or another tensor's.
                continue;
            }
            let slot = &mut slots[plan.slot_of[index]];
            match &node.op {
                Op::Parameter { name, init } | Op::State { name, init } => {
                    *slot = initial_values(*init, node.shape.num_elements(), seed, name);
                }
                Op::Constant { values } => slot.copy_from_slice(values),
                Op::Fill { value } => slot.fill(*value),
                _ => {}
            }
        }
        Ok(Self {
            slot_of: plan.slot_of.clone(),
            nodes,
            live,
            slots,
            plan,
            names,
            outputs,
            assigns,
            scratch: Vec::new(),
        })
    }

    /// Bytes of all planned buffers, persistent values included.
    pub fn peak_bytes(&self) -> u64 {
        self.plan.peak_bytes()
    }

    fn value(&self, id: TensorId) -> &[f32] {
        let count = self.nodes[id.index()].shape.num_elements();
        &self.slots[self.slot_of[id.index()]][..count]
    }

    /// Copies `data` into the input, parameter or state called `name`.
    pub fn write(&mut self, name: &str, data: &[f32]) -> Result<(), GraphError> {
        let id = *self
            .names
            .get(name)
            .ok_or_else(|| GraphError::UnknownName(name.to_owned()))?;
        let expected = self.nodes[id.index()].shape.num_elements();
        if data.len() != expected {
            return Err(GraphError::WrongLength {
                name: name.to_owned(),
                expected,
                got: data.len(),
            });
        }
        self.slots[self.slot_of[id.index()]][..expected].copy_from_slice(data);
        Ok(())
    }

    /// The output, parameter or state called `name`.
    pub fn read(&self, name: &str) -> Result<Vec<f32>, GraphError> {
        let id = self
            .outputs
            .get(name)
            .or_else(|| self.names.get(name))
            .ok_or_else(|| GraphError::UnknownName(name.to_owned()))?;
        Ok(self.value(*id).to_vec())
    }

    /// Runs every node once, then commits the assigns.
    pub fn run(&mut self) -> Result<(), GraphError> {
        for index in 0..self.nodes.len() {
            if !self.live[index] || is_leaf(&self.nodes[index].op) {
                continue;
            }
            let out_slot = self.slot_of[index];
            let mut out = std::mem::take(&mut self.slots[out_slot]);
            let mut scratch = std::mem::take(&mut self.scratch);
            let count = self.nodes[index].shape.num_elements();
            self.execute(index, &mut out[..count], &mut scratch);
            self.slots[out_slot] = out;
            self.scratch = scratch;
        }
        for &(target, assign) in &self.assigns {
            // Copied, not swapped: the assign node's own value stays `value` for reads.
            let (target_slot, assign_slot) =
                (self.slot_of[target.index()], self.slot_of[assign.index()]);
            let value = std::mem::take(&mut self.slots[assign_slot]);
            self.slots[target_slot].copy_from_slice(&value);
            self.slots[assign_slot] = value;
        }
        Ok(())
    }

    fn execute(&self, index: usize, out: &mut [f32], scratch: &mut Vec<f32>) {
        let node = &self.nodes[index];
        let shape = node.shape;
        let input = |i: usize| {
            let id = node.inputs[i];
            (self.value(id), self.nodes[id.index()].shape)
        };
        match &node.op {
            Op::Unary(op) => pointwise::unary(*op, input(0).0, out),
            Op::Binary(op) => pointwise::binary(*op, input(0), input(1), out, shape),
            Op::Select => pointwise::select(input(0), input(1), input(2), out, shape),
            Op::Reshape | Op::Assign { .. } | Op::StopGradient => out.copy_from_slice(input(0).0),
            Op::Permute { axes } => {
                let (x, x_shape) = input(0);
                layout::permute(x, x_shape, axes, out, shape);
            }
            Op::Expand => {
                let (x, x_shape) = input(0);
                layout::expand(x, x_shape, out, shape);
            }
            Op::Slice { axis, start } => {
                let (x, x_shape) = input(0);
                layout::slice(x, x_shape, *axis, *start, out, shape);
            }
            Op::Concat { axis } => {
                let parts: Vec<_> = (0..node.inputs.len()).map(input).collect();
                layout::concat(&parts, *axis, out, shape);
            }
            Op::Reduce { op, start, end } => {
                let (x, x_shape) = input(0);
                reduce::reduce(*op, x, x_shape, *start, *end, out);
            }
            Op::MatMul => {
                let ((a, a_shape), (b, b_shape)) = (input(0), input(1));
                linalg::matmul(a, a_shape, b, b_shape, out, shape);
            }
            Op::Conv2d { .. } => {
                let ((x, x_shape), (w, w_shape)) = (input(0), input(1));
                linalg::conv2d(x, x_shape, w, w_shape, out, scratch);
            }
            Op::Conv2dGradInput { .. } => {
                let ((g, g_shape), (w, w_shape)) = (input(0), input(1));
                linalg::conv2d_grad_input(g, g_shape, w, w_shape, out, scratch);
            }
            Op::Conv2dGradWeight { kernel } => {
                let ((x, x_shape), (g, g_shape)) = (input(0), input(1));
                linalg::conv2d_grad_weight(x, x_shape, g, g_shape, *kernel, out, scratch);
            }
            Op::SoftCrossEntropy | Op::SoftCrossEntropyGrad => {
                let ((logits, logits_shape), (target, _), (mask, _)) =
                    (input(0), input(1), input(2));
                let length = logits_shape.dim(-1);
                if let Op::SoftCrossEntropy = node.op {
                    reduce::soft_cross_entropy(logits, target, mask, length, out);
                } else {
                    reduce::soft_cross_entropy_grad(logits, target, mask, length, out);
                }
            }
            Op::Gather { axis, indices } => {
                let (x, x_shape) = input(0);
                linalg::gather(x, x_shape, *axis, indices, out);
            }
            Op::ScatterAdd { axis, indices } => {
                let (x, x_shape) = input(0);
                linalg::scatter_add(x, x_shape, *axis, indices, out, shape);
            }
            Op::Input { .. }
            | Op::Parameter { .. }
            | Op::State { .. }
            | Op::Constant { .. }
            | Op::Fill { .. } => unreachable!("leaves are not executed"),
        }
    }
}
