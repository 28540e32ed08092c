//! Fusion: grouping the graph's nodes into kernels.
//!
//! - Pointwise chains over one iteration space become one kernel (several outputs allowed).
//! - Pointwise ops after a reduction, segment sum, row op, matrix product or convolution
//!   fold into that kernel as an epilogue; a pointwise group feeding only a reduction or
//!   segment sum folds into it as a prologue (computed on the fly inside the reduction
//!   loop).
//! - View ops (reshape, permute, expand, slice, concat) and gathers are never kernels of
//!   their own: their consumers read through them with rewritten indices.
//! - Fills are inlined as literals; leaves (inputs, parameters, states, constants) are
//!   buffers; an assign commits its (materialised) value at the end of the step.
//!
//! A node joins an existing kernel only if every other value it reads is produced by an
//! earlier kernel, so the kernel order stays a valid schedule.

use std::collections::HashMap;

use super::ir::{Graph, Node, Op, TensorId};
use super::shape::Shape;
use super::strided::{affine_view, matrix_layout};

/// What a kernel computes; `node` is its central op.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KernelKind {
    /// Members evaluated per element of one iteration space.
    Pointwise,
    /// Members before `node` are the prologue (per input element), after it the epilogue.
    Reduce { node: TensorId },
    /// Scatter-add as a segment sum; prologue and epilogue as for `Reduce`.
    Segment { node: TensorId },
    /// Matrix product or convolution; members after `node` are a single-output epilogue.
    Contraction { node: TensorId },
    /// A row-wise op over the last axis (the soft cross-entropy or its gradient), a
    /// workgroup per row; members after `node` are an epilogue per output element. A
    /// gradient kernel may also compute `loss`, the soft cross-entropy of the same inputs,
    /// from the same pass over each row.
    Rows {
        node: TensorId,
        loss: Option<TensorId>,
    },
}

impl KernelKind {
    /// Bindings a kernel of this kind may need beside its buffers ([`FusionPlan::buffers`]):
    /// a split reduction binds its partial sums too. A split contraction needs none: its
    /// product binds A, B and the partial sums, its sum the partial sums, C and the
    /// epilogue's buffers.
    pub fn extra_bindings(&self) -> usize {
        usize::from(matches!(self, KernelKind::Reduce { .. }))
    }
}

#[derive(Clone, Debug)]
pub struct Kernel {
    pub kind: KernelKind,
    /// Nodes computed by this kernel, in topological order.
    pub members: Vec<TensorId>,
}

impl Kernel {
    /// Whether `id` is in the kernel's prologue (computed per input element of its
    /// reduction) rather than at its output elements.
    pub fn in_prologue(&self, id: TensorId) -> bool {
        match self.kind {
            KernelKind::Reduce { node } | KernelKind::Segment { node } => id < node,
            _ => false,
        }
    }
}

/// Where a value a kernel member reads comes from.
#[derive(Clone, Debug, PartialEq)]
pub enum Source {
    /// Another member of the same kernel, at the same flat index.
    Member(TensorId),
    /// A buffer, read through `views` (consumer side first) from the materialised `base`.
    Load {
        views: Vec<TensorId>,
        base: TensorId,
    },
    /// A fill, inlined.
    Literal(f32),
}

/// The result of fusion.
#[derive(Clone, Debug)]
pub struct FusionPlan {
    pub kernels: Vec<Kernel>,
    /// Kernel index of every member node.
    pub kernel_of: Vec<Option<usize>>,
    /// Nodes that need a buffer: leaves, and members read outside their kernel, outputs
    /// and assigned values.
    pub materialized: Vec<bool>,
    /// Assigned values stored straight into their targets' buffers, value → target: none
    /// from [`fuse`]; the GPU backend chooses them after fusion (`wgsl/in_place.rs`).
    pub in_place: HashMap<TensorId, TensorId>,
}

/// True for ops that consumers read through instead of running.
pub fn is_view_like(op: &Op) -> bool {
    // An assign's own value is its input's: read through it like a reshape.
    op.is_view() || matches!(op, Op::Gather { .. } | Op::Assign { .. })
}

fn is_leaf(op: &Op) -> bool {
    matches!(
        op,
        Op::Input { .. } | Op::Parameter { .. } | Op::State { .. } | Op::Constant { .. }
    )
}

/// Resolves input `id` of a member of `kernel` read in an iteration space of `space`
/// elements: through reshapes to a member of the same kernel with as many elements, to a
/// fill, or through views to a buffer (a member of another kernel, a leaf, or a concat).
pub fn resolve(
    nodes: &[Node],
    kernel_of: &[Option<usize>],
    kernel: Option<usize>,
    id: TensorId,
    space: usize,
) -> Source {
    let mut views = Vec::new();
    let mut current = id;
    let mut only_reshapes = true;
    loop {
        let node = &nodes[current.index()];
        // A fill computed by a kernel of its own (an output) is a buffer like any member.
        if let Some(owner) = kernel_of[current.index()] {
            if kernel == Some(owner) && only_reshapes && node.shape.num_elements() == space {
                return Source::Member(current);
            }
            return Source::Load {
                views,
                base: current,
            };
        }
        if let Op::Fill { value } = node.op {
            return Source::Literal(value);
        }
        // A concat has several bases; the code generator resolves it part by part, so it
        // ends the chain here as the base.
        if is_view_like(&node.op) && !matches!(node.op, Op::Concat { .. }) {
            only_reshapes &= node.op.keeps_flat_index();
            views.push(current);
            current = node.inputs[0];
            continue;
        }
        return Source::Load {
            views,
            base: current,
        };
    }
}

/// The element count of the space in which `member` reads its inputs: its own, except
/// for a reduction or segment sum, which reads its input element by element.
pub fn read_space(nodes: &[Node], kernel: &Kernel, member: TensorId) -> usize {
    match kernel.kind {
        KernelKind::Reduce { node }
        | KernelKind::Segment { node }
        | KernelKind::Rows { node, .. }
            if node == member =>
        {
            nodes[nodes[member.index()].inputs[0].index()]
                .shape
                .num_elements()
        }
        _ => nodes[member.index()].shape.num_elements(),
    }
}

/// Groups the live nodes of `graph` into kernels. With `fuse` off every computing node is
/// a kernel of its own. `max_buffers` bounds the distinct buffers one kernel binds: the
/// read budget shrinks until every kernel fits (unfused kernels always do).
pub fn fuse(graph: &Graph, fuse: bool, max_buffers: usize) -> FusionPlan {
    if !fuse {
        return group(graph, false, 0);
    }
    let mut read_budget = max_buffers.saturating_sub(1);
    loop {
        let plan = group(graph, true, read_budget);
        let nodes = graph.nodes();
        let fits = (0..plan.kernels.len()).all(|position| {
            plan.buffers(&nodes, position).len() + plan.kernels[position].kind.extra_bindings()
                <= max_buffers
        });
        if fits || read_budget <= 2 {
            return if fits { plan } else { group(graph, false, 0) };
        }
        read_budget -= 1;
    }
}

/// Views and fills that must be computed into a buffer by a kernel of their own: outputs
/// and assigned values (which must be plain buffers), and matrix or convolution operands
/// that strided reads cannot express.
fn forced_copies(graph: &Graph, nodes: &[Node], live: &[bool]) -> Vec<bool> {
    let unassigned = vec![None; nodes.len()];
    let mut forced = vec![false; nodes.len()];
    let is_computed = |id: TensorId| {
        let op = &nodes[id.index()].op;
        !is_view_like(op) && !matches!(op, Op::Fill { .. })
    };
    let plain_buffer = |id: TensorId, forced: &mut Vec<bool>| {
        if !is_computed(id) {
            forced[id.index()] = true;
        }
    };
    for (_, id) in graph.outputs() {
        plain_buffer(id, &mut forced);
    }
    for (index, node) in nodes.iter().enumerate() {
        if !live[index] {
            continue;
        }
        match node.op {
            Op::Assign { .. } => plain_buffer(node.inputs[0], &mut forced),
            Op::MatMul => {
                let rank = node.shape.rank();
                let batch = Shape::new(&node.shape.dims()[..rank - 2]);
                for &operand in &node.inputs {
                    let readable = match resolve(nodes, &unassigned, None, operand, 0) {
                        Source::Load { views, base } if is_computed(base) => {
                            affine_view(nodes, &views, base).is_some_and(|affine| {
                                matrix_layout(&affine, nodes[operand.index()].shape, batch)
                                    .is_some()
                            })
                        }
                        _ => false,
                    };
                    if !readable {
                        forced[operand.index()] = true;
                    }
                }
            }
            Op::Conv2d { .. } | Op::Conv2dGradInput { .. } | Op::Conv2dGradWeight { .. } => {
                for &operand in &node.inputs {
                    let shape = nodes[operand.index()].shape;
                    let readable = match resolve(nodes, &unassigned, None, operand, 0) {
                        Source::Load { views, base } if is_computed(base) => {
                            affine_view(nodes, &views, base)
                                .is_some_and(|affine| affine.is_contiguous(shape))
                        }
                        _ => false,
                    };
                    if !readable {
                        forced[operand.index()] = true;
                    }
                }
            }
            _ => {}
        }
    }
    forced
}

fn group(graph: &Graph, fuse: bool, read_budget: usize) -> FusionPlan {
    let nodes = graph.nodes().clone();
    let live = graph.live();
    let forced = forced_copies(graph, &nodes, &live);
    // Readers of every node; a graph output counts as a reader of its own (the node
    // itself stands for it, which no real reader can be).
    let mut consumers: Vec<Vec<TensorId>> = vec![Vec::new(); nodes.len()];
    for (index, node) in nodes.iter().enumerate() {
        if live[index] {
            for input in &node.inputs {
                consumers[input.index()].push(TensorId(index as u32));
            }
        }
    }
    for (_, output) in graph.outputs() {
        consumers[output.index()].push(output);
    }
    // Pointwise nodes that read only leaves and literals "float": they join the kernel of
    // their first pointwise reader (an optimizer's `β·m` joins the rest of the update) or
    // get a kernel of their own just before a reader that cannot take them.
    let mut floating = vec![false; nodes.len()];
    let mut state = Grouping {
        nodes: &nodes,
        consumers: &consumers,
        kernels: Vec::new(),
        kernel_of: vec![None; nodes.len()],
        read_budget,
        fuse,
    };
    for index in 0..nodes.len() {
        let id = TensorId(index as u32);
        let node = &nodes[index];
        if !live[index]
            || is_leaf(&node.op)
            || (!forced[index] && (is_view_like(&node.op) || matches!(node.op, Op::Fill { .. })))
        {
            continue;
        }
        if node.op.is_pointwise() || forced[index] {
            let space = node.shape.num_elements();
            let pull = if fuse && !forced[index] {
                memberable(&nodes, &floating, &state.kernel_of, id, space)
            } else {
                None
            };
            match pull {
                Some(pull) => {
                    if !state.has_candidates(id) {
                        floating[index] = true;
                        continue;
                    }
                    if !state.try_join(id, &pull) {
                        state.new_pointwise(&pull, id);
                    }
                }
                None => {
                    let closure = floating_closure(&nodes, &floating, &state.kernel_of, id);
                    state.flush(&closure, &mut floating);
                    if !(fuse && state.try_join(id, &[])) {
                        state.new_pointwise(&[], id);
                    }
                }
            }
            continue;
        }
        let closure = floating_closure(&nodes, &floating, &state.kernel_of, id);
        state.flush(&closure, &mut floating);
        let kind = match node.op {
            Op::Reduce { .. } => KernelKind::Reduce { node: id },
            Op::ScatterAdd { .. } => KernelKind::Segment { node: id },
            Op::SoftCrossEntropy | Op::SoftCrossEntropyGrad => KernelKind::Rows {
                node: id,
                loss: None,
            },
            _ => KernelKind::Contraction { node: id },
        };
        if fuse && let Some(position) = state.loss_kernel(id) {
            // The gradient joins its loss's kernel, where its inputs are already available.
            let kernel = state.kernels[position].as_mut().expect("live kernel");
            let loss = kernel.members[0];
            kernel.kind = KernelKind::Rows {
                node: id,
                loss: Some(loss),
            };
            kernel.members.push(id);
            state.kernel_of[id.index()] = Some(position);
            continue;
        }
        let mut members = vec![id];
        if fuse
            && matches!(kind, KernelKind::Reduce { .. } | KernelKind::Segment { .. })
            && let Some(prologue) =
                absorbable_prologue(&nodes, &consumers, &state.kernels, &state.kernel_of, id)
        {
            let absorbed = state.kernels[prologue].take().expect("live kernel");
            members = absorbed.members;
            members.push(id);
        }
        let new_index = state.kernels.len();
        for member in &members {
            state.kernel_of[member.index()] = Some(new_index);
        }
        state.kernels.push(Some(Kernel { kind, members }));
    }
    // Floating nodes nobody pulled in (outputs read by no kernel) get kernels last.
    let rest: Vec<TensorId> = (0..nodes.len())
        .filter(|&i| floating[i] && state.kernel_of[i].is_none())
        .map(|i| TensorId(i as u32))
        .collect();
    state.flush(&rest, &mut floating);
    let Grouping {
        kernels, kernel_of, ..
    } = state;

    // Drop absorbed kernels, renumbering.
    let mut renumber = vec![usize::MAX; kernels.len()];
    let mut compact = Vec::new();
    for (old, kernel) in kernels.into_iter().enumerate() {
        if let Some(kernel) = kernel {
            renumber[old] = compact.len();
            compact.push(kernel);
        }
    }
    let mut kernel_of = kernel_of;
    for slot in kernel_of.iter_mut().flatten() {
        *slot = renumber[*slot];
    }
    let materialized = materialization(graph, &nodes, &live, &kernel_of, &compact);
    FusionPlan {
        kernels: compact,
        kernel_of,
        materialized,
        in_place: HashMap::new(),
    }
}

/// The kernels built so far and what grouping needs to extend them.
struct Grouping<'a> {
    nodes: &'a [Node],
    consumers: &'a [Vec<TensorId>],
    kernels: Vec<Option<Kernel>>,
    kernel_of: Vec<Option<usize>>,
    read_budget: usize,
    fuse: bool,
}

impl Grouping<'_> {
    /// Kernels pointwise node `id` may join: those computing a value it reads, and recent
    /// pointwise kernels reading the same buffers (sibling fusion: an optimizer's updates
    /// of `m`, `v` and the parameter all read the gradient).
    fn candidates(&self, id: TensorId) -> Vec<usize> {
        const SIBLING_WINDOW: usize = 8;
        let count = self.nodes[id.index()].shape.num_elements();
        let bases: Vec<TensorId> = self.nodes[id.index()]
            .inputs
            .iter()
            .filter_map(
                |&input| match resolve(self.nodes, &self.kernel_of, None, input, count) {
                    Source::Load { base, .. } => Some(base),
                    _ => None,
                },
            )
            .collect();
        let mut candidates: Vec<usize> = bases
            .iter()
            .filter_map(|base| self.kernel_of[base.index()])
            .collect();
        let recent = self.kernels.len().saturating_sub(SIBLING_WINDOW)..self.kernels.len();
        for position in recent {
            let Some(kernel) = &self.kernels[position] else {
                continue;
            };
            if kernel.kind == KernelKind::Pointwise
                && kernel_reads(self.nodes, &self.kernel_of, kernel, position)
                    .tensors
                    .iter()
                    .any(|read| bases.contains(read))
            {
                candidates.push(position);
            }
        }
        candidates.sort_unstable();
        candidates.dedup();
        candidates
    }

    /// For soft cross-entropy gradient `id`, the kernel computing the loss over the same
    /// inputs (autodiff builds the gradient from the loss's own), if that kernel computes
    /// nothing else yet: one pass over each row then gives both.
    fn loss_kernel(&self, id: TensorId) -> Option<usize> {
        let node = &self.nodes[id.index()];
        if node.op != Op::SoftCrossEntropyGrad {
            return None;
        }
        self.kernels.iter().position(|kernel| {
            kernel.as_ref().is_some_and(|kernel| {
                let [member] = kernel.members[..] else {
                    return false;
                };
                let candidate = &self.nodes[member.index()];
                kernel.kind
                    == KernelKind::Rows {
                        node: member,
                        loss: None,
                    }
                    && candidate.op == Op::SoftCrossEntropy
                    && candidate.inputs == node.inputs
            })
        })
    }

    fn has_candidates(&self, id: TensorId) -> bool {
        !self.candidates(id).is_empty()
    }

    /// Tries to add pointwise node `id` (with the floating nodes `pull` it needs) to an
    /// existing kernel; returns whether it did.
    fn try_join(&mut self, id: TensorId, pull: &[TensorId]) -> bool {
        let count = self.nodes[id.index()].shape.num_elements();
        for candidate in self.candidates(id).into_iter().rev() {
            let Some(kernel) = &self.kernels[candidate] else {
                continue;
            };
            let takes_pull = match kernel.kind {
                KernelKind::Pointwise => true,
                // A reduction's epilogue runs per output element, so floating nodes of
                // that size fit (after the reduction, where the epilogue sits).
                KernelKind::Reduce { node }
                | KernelKind::Segment { node }
                | KernelKind::Rows { node, .. } => pull.iter().all(|&p| p > node),
                // A contraction's epilogue is one chain, with no room beside it.
                KernelKind::Contraction { .. } => false,
            };
            if !pull.is_empty() && !takes_pull {
                continue;
            }
            // Measured on the kernel as it stands: pulled nodes sort before its members, so
            // the trial's first member could be a pulled node of another size.
            if space(self.nodes, kernel) != count {
                continue;
            }
            for &p in pull {
                self.kernel_of[p.index()] = Some(candidate);
            }
            let mut trial = kernel.clone();
            trial.members.extend_from_slice(pull);
            trial.members.sort_unstable();
            if accepts(
                self.nodes,
                self.consumers,
                &self.kernel_of,
                &trial,
                candidate,
                id,
                count,
                self.read_budget,
            ) {
                self.kernel_of[id.index()] = Some(candidate);
                trial.members.push(id);
                self.kernels[candidate] = Some(trial);
                return true;
            }
            for &p in pull {
                self.kernel_of[p.index()] = None;
            }
        }
        false
    }

    /// A new pointwise kernel of `pull` (in order) and then `id`.
    fn new_pointwise(&mut self, pull: &[TensorId], id: TensorId) {
        let position = self.kernels.len();
        let mut members = pull.to_vec();
        members.push(id);
        for m in &members {
            self.kernel_of[m.index()] = Some(position);
        }
        self.kernels.push(Some(Kernel {
            kind: KernelKind::Pointwise,
            members,
        }));
    }

    /// Gives the floating nodes `floaters` (in id order) kernels now, joining each other
    /// where they can.
    fn flush(&mut self, floaters: &[TensorId], floating: &mut [bool]) {
        for &f in floaters {
            if self.kernel_of[f.index()].is_some() {
                continue;
            }
            floating[f.index()] = false;
            if !(self.fuse && self.try_join(f, &[])) {
                self.new_pointwise(&[], f);
            }
        }
    }
}

/// The bases `id` reads through views (every part of a concat).
fn read_bases(nodes: &[Node], kernel_of: &[Option<usize>], id: TensorId) -> Vec<(TensorId, bool)> {
    // (base, reached through reshapes only)
    let mut bases = Vec::new();
    let mut stack: Vec<(TensorId, bool)> = nodes[id.index()]
        .inputs
        .iter()
        .map(|&input| (input, true))
        .collect();
    while let Some((current, only_reshapes)) = stack.pop() {
        let node = &nodes[current.index()];
        if kernel_of[current.index()].is_none() && is_view_like(&node.op) {
            let keeps = only_reshapes && node.op.keeps_flat_index();
            for &input in &node.inputs {
                stack.push((input, keeps));
            }
            continue;
        }
        bases.push((current, only_reshapes));
    }
    bases
}

/// Every floating node `id` reads, directly or through other floating nodes, in id order.
fn floating_closure(
    nodes: &[Node],
    floating: &[bool],
    kernel_of: &[Option<usize>],
    id: TensorId,
) -> Vec<TensorId> {
    let mut found = std::collections::BTreeSet::new();
    let mut stack = vec![id];
    while let Some(current) = stack.pop() {
        for (base, _) in read_bases(nodes, kernel_of, current) {
            if floating[base.index()] && kernel_of[base.index()].is_none() && found.insert(base) {
                stack.push(base);
            }
        }
    }
    found.into_iter().collect()
}

/// The floating nodes pointwise node `id` needs, if all of them can be computed in the
/// same kernel as `id` (same element count, read through reshapes only, and the same
/// for their own floating inputs); `None` if some cannot.
fn memberable(
    nodes: &[Node],
    floating: &[bool],
    kernel_of: &[Option<usize>],
    id: TensorId,
    space: usize,
) -> Option<Vec<TensorId>> {
    let mut found = std::collections::BTreeSet::new();
    let mut stack = vec![id];
    while let Some(current) = stack.pop() {
        for (base, only_reshapes) in read_bases(nodes, kernel_of, current) {
            if !(floating[base.index()] && kernel_of[base.index()].is_none()) {
                continue;
            }
            if !only_reshapes || nodes[base.index()].shape.num_elements() != space {
                return None;
            }
            if found.insert(base) {
                stack.push(base);
            }
        }
    }
    Some(found.into_iter().collect())
}

/// The element count of the space a node joining `kernel` is evaluated in.
fn space(nodes: &[Node], kernel: &Kernel) -> usize {
    match kernel.kind {
        KernelKind::Pointwise => nodes[kernel.members[0].index()].shape.num_elements(),
        KernelKind::Reduce { node }
        | KernelKind::Segment { node }
        | KernelKind::Rows { node, .. }
        | KernelKind::Contraction { node } => nodes[node.index()].shape.num_elements(),
    }
}

/// Whether `kernel` (at position `position`; its space already checked to have `count`
/// elements) can take pointwise node `id` without reading more than `read_budget` distinct
/// buffers.
#[allow(clippy::too_many_arguments)]
fn accepts(
    nodes: &[Node],
    consumers: &[Vec<TensorId>],
    kernel_of: &[Option<usize>],
    kernel: &Kernel,
    position: usize,
    id: TensorId,
    count: usize,
    read_budget: usize,
) -> bool {
    let existing = kernel_reads(nodes, kernel_of, kernel, position);
    let epilogue_reads_before = existing.len();
    let mut reads: Vec<TensorId> = existing.tensors;
    reads.extend(existing.tables);
    // A (copied) view reads its input through itself; anything else reads its inputs.
    let reads_of_node: Vec<Source> = if is_view_like(&nodes[id.index()].op) {
        vec![resolve(nodes, kernel_of, Some(position), id, count)]
    } else {
        nodes[id.index()]
            .inputs
            .iter()
            .map(|&input| resolve(nodes, kernel_of, Some(position), input, count))
            .collect()
    };
    for source in reads_of_node {
        match source {
            Source::Literal(_) => {}
            Source::Member(member) => {
                if kernel.in_prologue(member) {
                    return false;
                }
                if let KernelKind::Contraction { .. } = kernel.kind {
                    // A contraction's epilogue is one chain: only its tip may be read, and
                    // only by this node.
                    let tip = *kernel.members.last().expect("non-empty");
                    if member != tip || consumers[tip.index()].len() != 1 {
                        return false;
                    }
                }
            }
            Source::Load { base, views } => {
                for base in concat_bases(nodes, kernel_of, base) {
                    match kernel_of[base.index()] {
                        // Reading a value of this (or a later) kernel through a non-reshape
                        // view would need it materialised before the kernel runs.
                        Some(k) if k >= position => return false,
                        _ => reads.push(base),
                    }
                }
                reads.extend(
                    views
                        .iter()
                        .filter(|v| matches!(nodes[v.index()].op, Op::Gather { .. })),
                );
            }
        }
    }
    reads.sort_unstable();
    reads.dedup();
    if let KernelKind::Contraction { .. } = kernel.kind {
        // Contraction epilogues bind at most two extra buffers (e.g. bias and residual)
        // beside the operands they already read.
        return reads.len() <= epilogue_reads_before.max(2) + 2 && reads.len() <= read_budget;
    }
    reads.len() <= read_budget
}

/// Buffers the members of `kernel` read: bases of loads, and gather index tables (also
/// those of gather members, which copy through their own table).
fn kernel_reads(
    nodes: &[Node],
    kernel_of: &[Option<usize>],
    kernel: &Kernel,
    position: usize,
) -> KernelBuffers {
    let mut reads = KernelBuffers::default();
    for &member in &kernel.members {
        if let Op::Gather { .. } = nodes[member.index()].op {
            reads.tables.push(member);
        }
        let space = read_space(nodes, kernel, member);
        for &input in &nodes[member.index()].inputs {
            if let Source::Load { base, views } =
                resolve(nodes, kernel_of, Some(position), input, space)
            {
                reads.tensors.extend(concat_bases(nodes, kernel_of, base));
                reads.tables.extend(
                    views
                        .iter()
                        .filter(|v| matches!(nodes[v.index()].op, Op::Gather { .. })),
                );
            }
        }
    }
    reads.tensors.sort_unstable();
    reads.tensors.dedup();
    reads.tables.sort_unstable();
    reads.tables.dedup();
    reads
}

/// The buffers one kernel binds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KernelBuffers {
    /// Tensors read or written (f32).
    pub tensors: Vec<TensorId>,
    /// Gather nodes whose index tables are read (u32).
    pub tables: Vec<TensorId>,
}

impl KernelBuffers {
    pub fn len(&self) -> usize {
        self.tensors.len() + self.tables.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl FusionPlan {
    /// The buffers kernel `position` binds: what its members read, and the members it
    /// writes (materialised ones).
    pub fn buffers(&self, nodes: &[Node], position: usize) -> KernelBuffers {
        let kernel = &self.kernels[position];
        let mut all = kernel_reads(nodes, &self.kernel_of, kernel, position);
        all.tensors.extend(
            kernel
                .members
                .iter()
                .filter(|m| self.materialized[m.index()]),
        );
        all.tensors.sort_unstable();
        all.tensors.dedup();
        all
    }
}

/// The materialised tensors a load from `base` reads: the parts of a concat (recursively
/// through their views), or `base` itself.
pub fn concat_bases(nodes: &[Node], kernel_of: &[Option<usize>], base: TensorId) -> Vec<TensorId> {
    if kernel_of[base.index()].is_none()
        && let Op::Concat { .. } = nodes[base.index()].op
    {
        let mut all = Vec::new();
        for &part in &nodes[base.index()].inputs {
            if let Source::Load { base, .. } = resolve(nodes, kernel_of, None, part, 0) {
                all.extend(concat_bases(nodes, kernel_of, base));
            }
        }
        return all;
    }
    vec![base]
}

/// The pointwise kernel whose result feeds reduction `id` through reshapes only, if no
/// kernel scheduled before `id` reads any of its values (moving it into the reduction
/// then keeps the schedule valid).
fn absorbable_prologue(
    nodes: &[Node],
    consumers: &[Vec<TensorId>],
    kernels: &[Option<Kernel>],
    kernel_of: &[Option<usize>],
    id: TensorId,
) -> Option<usize> {
    let input = nodes[id.index()].inputs[0];
    let space = nodes[input.index()].shape.num_elements();
    let Source::Load { views, base } = resolve(nodes, kernel_of, None, input, space) else {
        return None;
    };
    if views
        .iter()
        .any(|v| !nodes[v.index()].op.keeps_flat_index())
    {
        return None;
    }
    let position = kernel_of[base.index()]?;
    let kernel = kernels[position].as_ref()?;
    if kernel.kind != KernelKind::Pointwise
        || nodes[base.index()].shape.num_elements() != nodes[input.index()].shape.num_elements()
    {
        return None;
    }
    // Readers already scheduled, seen through views: they must be members or `id`.
    fn scheduled_readers_ok(
        nodes: &[Node],
        consumers: &[Vec<TensorId>],
        kernel_of: &[Option<usize>],
        value: TensorId,
        reduction: TensorId,
        position: usize,
    ) -> bool {
        consumers[value.index()].iter().all(|&consumer| {
            // `consumer == value` is the graph-output marker, not a read.
            if consumer >= reduction || consumer == value {
                return true;
            }
            if is_view_like(&nodes[consumer.index()].op) {
                return scheduled_readers_ok(
                    nodes, consumers, kernel_of, consumer, reduction, position,
                );
            }
            kernel_of[consumer.index()] == Some(position)
        })
    }
    kernel
        .members
        .iter()
        .all(|&member| scheduled_readers_ok(nodes, consumers, kernel_of, member, id, position))
        .then_some(position)
}

fn materialization(
    graph: &Graph,
    nodes: &[Node],
    live: &[bool],
    kernel_of: &[Option<usize>],
    kernels: &[Kernel],
) -> Vec<bool> {
    let mut materialized = vec![false; nodes.len()];
    for (index, node) in nodes.iter().enumerate() {
        if live[index] && is_leaf(&node.op) {
            materialized[index] = true;
        }
    }
    let need = |id: TensorId, materialized: &mut Vec<bool>| {
        if let Source::Load { base, .. } = resolve(nodes, kernel_of, None, id, 0) {
            for base in concat_bases(nodes, kernel_of, base) {
                materialized[base.index()] = true;
            }
        }
    };
    for (_, id) in graph.outputs() {
        need(id, &mut materialized);
    }
    for (index, node) in nodes.iter().enumerate() {
        if !live[index] {
            continue;
        }
        if let Op::Assign { .. } = node.op {
            need(node.inputs[0], &mut materialized);
        }
    }
    for (position, kernel) in kernels.iter().enumerate() {
        for &member in &kernel.members {
            let space = read_space(nodes, kernel, member);
            for &input in &nodes[member.index()].inputs {
                if let Source::Load { base, .. } =
                    resolve(nodes, kernel_of, Some(position), input, space)
                {
                    for base in concat_bases(nodes, kernel_of, base) {
                        materialized[base.index()] = true;
                    }
                }
            }
        }
    }
    materialized
}
