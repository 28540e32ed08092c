//! WGSL for fused pointwise, reduction and segment-sum kernels. Row kernels (the soft
//! cross-entropy) are in `rows.rs`; matrix products and convolutions come from the
//! templates in `graph::kernels` (see `contraction.rs`).

use std::fmt::Write;

use super::index::{BufferNames, Ix, literal, value_at_flat, with_prelude};
use super::merge::FINISHING_MAIN;
use super::rows::rows;
use crate::graph::fuse::{FusionPlan, Kernel, KernelKind, is_view_like};
use crate::graph::ir::{BinaryOp, Node, Op, ReduceOp, TensorId, UnaryOp};

/// Threads per workgroup of generated kernels: the browser baseline's maximum.
pub const WORKGROUP: u32 = 256;
/// Workgroups per grid dimension (the WebGPU limit).
pub const MAX_GROUPS: u32 = crate::gpu::MAX_WORKGROUPS_PER_DIMENSION;

/// What a binding of a generated kernel holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Binding {
    /// A tensor's buffer (f32).
    Tensor(TensorId),
    /// The index table of a gather node (u32).
    GatherTable(TensorId),
    /// The CSR table of a scatter-add node: segment offsets, then input positions (u32).
    SegmentTable(TensorId),
    /// The program's scratch buffer of partial sums (split contractions and reductions).
    Scratch,
    /// A region of the scratch buffer (what the program binds for `Scratch`): byte offset
    /// and length.
    ScratchRegion { offset: u64, bytes: u64 },
}

/// A generated kernel: source, what to bind, and how many workgroups to launch.
#[derive(Clone, Debug)]
pub struct Generated {
    pub wgsl: String,
    pub bindings: Vec<Binding>,
    pub workgroups: [u32; 3],
}

/// A 1-D or 2-D grid covering `threads` threads of [`WORKGROUP`]-sized groups, and the
/// WGSL expression of a thread's flat id.
pub fn grid(threads: u64) -> ([u32; 3], String) {
    let workgroups = crate::gpu::workgroup_grid(threads.div_ceil(u64::from(WORKGROUP)));
    if workgroups[1] == 1 {
        (workgroups, "gid.x".to_owned())
    } else {
        (
            workgroups,
            format!("(gid.x + gid.y * {}u)", MAX_GROUPS * WORKGROUP),
        )
    }
}

/// Bindings of one dispatch (a kernel, or a batch of pointwise kernels) and the WGSL
/// declarations for them.
pub(super) struct Layout {
    pub names: BufferNames,
    pub declarations: String,
    pub bindings: Vec<Binding>,
}

/// The bindings of kernels `positions` of `plan`, dispatched together, then `extra`.
pub(super) fn layout(
    nodes: &[Node],
    plan: &FusionPlan,
    positions: &[usize],
    extra: &[Binding],
) -> Layout {
    let mut tensors = Vec::new();
    let mut tables = Vec::new();
    for &position in positions {
        let buffers = plan.buffers(nodes, position);
        tensors.extend(buffers.tensors);
        tables.extend(buffers.tables);
    }
    tensors.sort_unstable();
    tensors.dedup();
    tables.sort_unstable();
    tables.dedup();
    let computes = |id: &TensorId| {
        positions
            .iter()
            .any(|&position| plan.kernels[position].members.contains(id))
    };
    // A target whose new value is stored in place shares that value's buffer, and one
    // buffer may not be bound read-only beside read-write.
    let writes = |id: &TensorId| {
        (plan.materialized[id.index()] && computes(id))
            || plan
                .in_place
                .iter()
                .any(|(value, target)| target == id && computes(value))
    };
    // A value stored in place is stored through its target's binding when the dispatch
    // binds the target too: two bindings of one buffer, one of them writable, are an
    // error in WebGPU (native wgpu lets them pass), and the binding saved counts toward
    // the limit of storage buffers per stage.
    let through_target: Vec<(TensorId, TensorId)> = plan
        .in_place
        .iter()
        .filter(|(value, target)| {
            tensors.binary_search(value).is_ok() && tensors.binary_search(target).is_ok()
        })
        .map(|(&value, &target)| (value, target))
        .collect();
    tensors.retain(|id| !through_target.iter().any(|(value, _)| value == id));
    let mut bindings: Vec<Binding> = tensors.into_iter().map(Binding::Tensor).collect();
    bindings.extend(tables.into_iter().map(Binding::GatherTable));
    bindings.extend_from_slice(extra);
    let mut names = BufferNames::default();
    let mut declarations = String::new();
    for (slot, binding) in bindings.iter().enumerate() {
        let (name, element, access) = match binding {
            Binding::Tensor(id) => {
                let name = format!("b{slot}");
                names.tensors.insert(*id, name.clone());
                (name, "f32", if writes(id) { "read_write" } else { "read" })
            }
            Binding::GatherTable(id) => {
                let name = format!("g{slot}");
                names.tables.insert(*id, name.clone());
                (name, "u32", "read")
            }
            Binding::SegmentTable(_) => (format!("s{slot}"), "u32", "read"),
            Binding::Scratch | Binding::ScratchRegion { .. } => {
                unreachable!("only split kernels bind the scratch buffer")
            }
        };
        let _ = writeln!(
            declarations,
            "@group(0) @binding({slot}) var<storage, {access}> {name}: array<{element}>;"
        );
    }
    for (value, target) in through_target {
        let name = names.tensors[&target].clone();
        names.tensors.insert(value, name);
    }
    Layout {
        names,
        declarations,
        bindings,
    }
}

impl Layout {
    /// An emitter for the members of kernel `position` that reads and stores through these
    /// bindings.
    pub(super) fn emitter<'a>(
        &'a self,
        nodes: &'a [Node],
        plan: &'a FusionPlan,
        position: usize,
    ) -> Emitter<'a> {
        Emitter {
            nodes,
            plan,
            position,
            names: &self.names,
            stores: true,
        }
    }
}

fn unary(op: UnaryOp, x: &str) -> String {
    match op {
        UnaryOp::Neg => format!("(-{x})"),
        UnaryOp::Exp => format!("exp({x})"),
        UnaryOp::Log => format!("log({x})"),
        // tanh saturates to ±1 in f32 beyond |x| ≈ 9; clamping keeps drivers' exp-based
        // implementations away from inf/inf.
        UnaryOp::Tanh => format!("tanh(clamp({x}, -15.0f, 15.0f))"),
        UnaryOp::Sigmoid => format!("(1.0f / (1.0f + exp(-{x})))"),
        UnaryOp::Relu => format!("max({x}, 0.0f)"),
        UnaryOp::Sqrt => format!("sqrt({x})"),
        UnaryOp::Rsqrt => format!("inverseSqrt({x})"),
        UnaryOp::Square => format!("({x} * {x})"),
        UnaryOp::Abs => format!("abs({x})"),
        UnaryOp::Recip => format!("(1.0f / {x})"),
    }
}

fn binary(op: BinaryOp, a: &str, b: &str) -> String {
    let compare = |symbol: &str| format!("select(0.0f, 1.0f, {a} {symbol} {b})");
    match op {
        BinaryOp::Add => format!("({a} + {b})"),
        BinaryOp::Sub => format!("({a} - {b})"),
        BinaryOp::Mul => format!("({a} * {b})"),
        BinaryOp::Div => format!("({a} / {b})"),
        BinaryOp::Max => format!("max({a}, {b})"),
        BinaryOp::Min => format!("min({a}, {b})"),
        BinaryOp::Pow => format!("pow({a}, {b})"),
        BinaryOp::Less => compare("<"),
        BinaryOp::LessEqual => compare("<="),
        BinaryOp::Greater => compare(">"),
        BinaryOp::GreaterEqual => compare(">="),
        BinaryOp::Equal => compare("=="),
        BinaryOp::NotEqual => compare("!="),
    }
}

/// Context for emitting member statements of one kernel.
pub(super) struct Emitter<'a> {
    pub nodes: &'a [Node],
    pub plan: &'a FusionPlan,
    pub position: usize,
    pub names: &'a BufferNames,
    /// Store materialised members (off in contraction epilogues, whose template stores).
    pub stores: bool,
}

impl Emitter<'_> {
    /// `let v<id> = ...;` for pointwise or view member `id` at flat index `index` of its
    /// own shape, then its store if it is materialised.
    pub fn member(&self, id: TensorId, index: &Ix, body: &mut String) {
        let node = &self.nodes[id.index()];
        let operand = |i: usize| {
            value_at_flat(
                self.nodes,
                &self.plan.kernel_of,
                Some(self.position),
                self.names,
                node.inputs[i],
                index,
                node.shape,
            )
        };
        let value = match &node.op {
            Op::Unary(op) => unary(*op, &operand(0)),
            Op::Binary(op) => binary(*op, &operand(0), &operand(1)),
            Op::Select => format!(
                "select({}, {}, {} != 0.0f)",
                operand(2),
                operand(1),
                operand(0)
            ),
            Op::Fill { value } => literal(*value),
            op if is_view_like(op) => self.view_member(id, index),
            other => unreachable!("{} is not a pointwise member", other.name()),
        };
        let _ = writeln!(body, "    let v{} = {value};", id.0);
        self.store(id, index, body);
    }

    /// A view materialised by a copy: read its input through it.
    fn view_member(&self, id: TensorId, index: &Ix) -> String {
        let node = &self.nodes[id.index()];
        // Pretend the view is an unmaterialised node so that the load walks through it.
        let mut kernel_of = self.plan.kernel_of.clone();
        kernel_of[id.index()] = None;
        value_at_flat(
            self.nodes,
            &kernel_of,
            Some(self.position),
            self.names,
            id,
            index,
            node.shape,
        )
    }

    pub(super) fn store(&self, id: TensorId, index: &Ix, body: &mut String) {
        if self.stores && self.plan.materialized[id.index()] {
            let name = &self.names.tensors[&id];
            let _ = writeln!(body, "    {name}[{}] = v{};", index.render(), id.0);
        }
    }
}

/// Generates kernel `position` of `plan` (pointwise, reduction, segment sum or row op): one
/// dispatch, or two for a reduction split into partial sums (which bind the program's
/// scratch buffer). Also returns the scratch floats it needs.
pub fn generate(nodes: &[Node], plan: &FusionPlan, position: usize) -> (Vec<Generated>, u64) {
    let kernel = &plan.kernels[position];
    match kernel.kind {
        KernelKind::Pointwise => (vec![pointwise(nodes, plan, &[position])], 0),
        KernelKind::Reduce { node } => reduction(nodes, plan, position, node),
        KernelKind::Segment { node } => (vec![segment(nodes, plan, position, node)], 0),
        KernelKind::Rows { node, loss } => (vec![rows(nodes, plan, position, node, loss)], 0),
        KernelKind::Contraction { .. } => {
            unreachable!("contractions are generated by contraction.rs")
        }
    }
}

/// One dispatch computing the pointwise kernels `positions` of `plan`, which must not
/// depend on each other: a grid over all their elements, each thread computing one element
/// of one kernel (batching the optimizer's small per-parameter updates saves a dispatch
/// each, whose fixed cost exceeds their work: docs/PERFORMANCE.md, "What a dispatch
/// costs").
pub fn pointwise(nodes: &[Node], plan: &FusionPlan, positions: &[usize]) -> Generated {
    let layout = layout(nodes, plan, positions, &[]);
    let index = Ix::var("i");
    let mut body = String::new();
    let mut start = 0u64;
    for &position in positions {
        let kernel = &plan.kernels[position];
        assert_eq!(
            kernel.kind,
            KernelKind::Pointwise,
            "batching a non-pointwise kernel"
        );
        let count = nodes[kernel.members[0].index()].shape.num_elements() as u64;
        let emitter = layout.emitter(nodes, plan, position);
        let mut members = String::new();
        for &member in &kernel.members {
            emitter.member(member, &index, &mut members);
        }
        let end = start + count;
        if positions.len() == 1 {
            let _ = write!(
                body,
                "    let i = t;\n    if i >= {count}u {{\n        return;\n    }}\n{members}"
            );
        } else {
            let _ = write!(
                body,
                "    if t < {end}u {{\n    let i = t - {start}u;\n{members}    return;\n    }}\n"
            );
        }
        start = end;
    }
    let (workgroups, thread) = grid(start);
    let wgsl = format!(
        "{declarations}
@compute @workgroup_size({WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {{
    let t = {thread};
{body}}}
",
        declarations = layout.declarations
    );
    Generated {
        wgsl: with_prelude(wgsl),
        bindings: layout.bindings,
        workgroups,
    }
}

/// Splits members of a reduction-like kernel into the prologue (before `node`) and the
/// epilogue (after it).
pub(super) fn split_members(kernel: &Kernel, node: TensorId) -> (Vec<TensorId>, Vec<TensorId>) {
    let prologue = kernel
        .members
        .iter()
        .copied()
        .filter(|&m| m < node)
        .collect();
    let epilogue = kernel
        .members
        .iter()
        .copied()
        .filter(|&m| m > node)
        .collect();
    (prologue, epilogue)
}

/// The reduced input's value at flat input index `index`, after the prologue.
fn reduced_input(emitter: &Emitter, node: TensorId, index: &Ix) -> String {
    let input = emitter.nodes[node.index()].inputs[0];
    let shape = emitter.nodes[input.index()].shape;
    value_at_flat(
        emitter.nodes,
        &emitter.plan.kernel_of,
        Some(emitter.position),
        emitter.names,
        input,
        index,
        shape,
    )
}

/// `acc ⊕ x` for a reduction.
fn combine(op: ReduceOp, acc: &str, x: &str) -> String {
    match op {
        ReduceOp::Sum => format!("{acc} + {x}"),
        ReduceOp::Max => format!("max({acc}, {x})"),
    }
}

/// Reductions with fewer outputs than this are split into chunks (a thread per output
/// would leave most of the GPU idle).
const SPLIT_OUTPUTS: u64 = 1 << 14;
/// Threads a split reduction's first pass aims for: enough loads in flight to stream a
/// large GPU's memory (a quarter as many summed a 64-filter net's bias gradients well
/// below memory speed: docs/performance-history.md, "One-stage tensor-core tiles").
const SPLIT_THREADS: u64 = 1 << 20;
/// The fewest rows one thread of the first pass sums.
const SPLIT_ROWS: u64 = 16;
/// Threads a grouped first pass (below) aims for, and the most rows one thread sums.
const GROUPED_THREADS: u64 = 1 << 18;
const GROUPED_MAX_ROWS: u64 = 64;
/// Contiguous rows (`inner == 1`) are reduced one workgroup per row unless there are fewer
/// than this many rows of at least `FEW_ROWS_LENGTH` elements, where a workgroup per row
/// would leave most of the GPU idle (a value head's bias gradient is one row of 65,536:
/// docs/performance-history.md, "Board-resident convolutions").
const FEW_ROWS: u64 = 256;
const FEW_ROWS_LENGTH: u64 = 4096;
/// Loads in flight per thread in the reduction loops (one accumulator each).
pub(super) const UNROLL: u32 = 4;

/// `UNROLL` guarded loop steps: step `lane` sets `ii` to `index(lane)` when `guard(lane)`
/// holds, evaluates the prologue `per_input` and folds the reduced input into `acc{lane}`.
fn unrolled_steps(
    op: ReduceOp,
    per_input: &str,
    x: &str,
    index: impl Fn(u32) -> String,
    guard: impl Fn(u32) -> String,
) -> String {
    let body = per_input
        .replace("\n    ", "\n        ")
        .replace("    let", "        let");
    let mut steps = String::new();
    for lane in 0..UNROLL {
        let _ = writeln!(
            steps,
            "        if {guard} {{\n            let ii = {index};\n{body}            acc{lane} = {step};\n        }}",
            guard = guard(lane),
            index = index(lane),
            step = combine(op, &format!("acc{lane}"), &format!("({x})")),
        );
    }
    steps
}

/// Declares the `UNROLL` accumulators.
pub(super) fn accumulators(identity: &str) -> String {
    (0..UNROLL)
        .map(|lane| format!("    var acc{lane} = {identity};\n"))
        .collect()
}

/// The `UNROLL` accumulators combined.
fn combined(op: ReduceOp) -> String {
    combine(
        op,
        &combine(op, "acc0", "acc1"),
        &combine(op, "acc2", "acc3"),
    )
}

/// A workgroup tree over `partial` from `lid < width` for `width` = 128, 64, … down to
/// `last` (a power of two): afterwards `partial[0..last]` holds the combined values of the
/// lanes `lid ≡ i (mod last)`, and `acc` of thread `lid < last` the same.
fn tree(op: ReduceOp, partial: &str, last: u32) -> String {
    let merge = combine(op, "acc", &format!("{partial}[lid + width]"));
    format!(
        "    {partial}[lid] = acc;
    workgroupBarrier();
    for (var width = {half}u; width >= {last}u; width >>= 1u) {{
        if lid < width {{
            acc = {merge};
            {partial}[lid] = acc;
        }}
        workgroupBarrier();
    }}
",
        half = WORKGROUP / 2,
    )
}

fn reduction(
    nodes: &[Node],
    plan: &FusionPlan,
    position: usize,
    node: TensorId,
) -> (Vec<Generated>, u64) {
    let kernel = &plan.kernels[position];
    let Op::Reduce { op, start, end } = nodes[node.index()].op else {
        unreachable!("reduction kernel without a reduce node")
    };
    let input_shape = nodes[nodes[node.index()].inputs[0].index()].shape;
    let dims = input_shape.dims();
    let outer: u64 = dims[..start].iter().product::<usize>() as u64;
    let length: u64 = dims[start..end].iter().product::<usize>() as u64;
    let inner: u64 = dims[end..].iter().product::<usize>() as u64;
    let layout = layout(nodes, plan, &[position], &[]);
    let emitter = layout.emitter(nodes, plan, position);
    let (prologue, epilogue) = split_members(kernel, node);
    let identity = match op {
        ReduceOp::Sum => literal(0.0),
        ReduceOp::Max => literal(f32::NEG_INFINITY),
    };
    let mut per_input = String::new();
    let input_index = Ix::var("ii");
    for &member in &prologue {
        emitter.member(member, &input_index, &mut per_input);
    }
    let x = reduced_input(&emitter, node, &input_index);
    let mut finish = String::new();
    let output_index = Ix::var("oi");
    let _ = writeln!(finish, "    let v{} = acc;", node.0);
    emitter.store(node, &output_index, &mut finish);
    for &member in &epilogue {
        emitter.member(member, &output_index, &mut finish);
    }
    let outputs = outer * inner;
    let declarations = &layout.declarations;
    let accumulators = accumulators(&identity);
    let all = combined(op);
    // A few long rows (a single-channel head's bias gradient: one row of 65,536) would
    // leave all but a few workgroups idle: they take the split path below.
    let few_long_rows = outputs < FEW_ROWS && length >= FEW_ROWS_LENGTH;
    if inner == 1 && length >= 64 && !few_long_rows {
        // One workgroup per output row: threads stride over the row, `UNROLL` loads in
        // flight each, then a tree combine.
        let (workgroups, _) = grid(outputs * u64::from(WORKGROUP));
        let group = if workgroups[1] > 1 {
            format!("(wid.x + wid.y * {MAX_GROUPS}u)")
        } else {
            "wid.x".to_owned()
        };
        let stride = WORKGROUP * UNROLL;
        let steps = unrolled_steps(
            op,
            &per_input,
            &x,
            |lane| format!("oi * {length}u + r + {}u", lane * WORKGROUP),
            |lane| format!("r + {}u < {length}u", lane * WORKGROUP),
        );
        let tree = tree(op, "partial", 1);
        let wgsl = format!(
            "{declarations}
var<workgroup> partial: array<f32, {WORKGROUP}>;

@compute @workgroup_size({WORKGROUP})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {{
    let oi = {group};
    if oi >= {outputs}u {{
        return;
    }}
{accumulators}    for (var r = lid; r < {length}u; r += {stride}u) {{
{steps}    }}
    var acc = {all};
{tree}    if lid == 0u {{
{finish}    }}
}}
"
        );
        let generated = Generated {
            wgsl: with_prelude(wgsl),
            bindings: layout.bindings,
            workgroups,
        };
        return (vec![generated], 0);
    }
    // Few outputs over long reductions (bias gradients: 64 columns over 65,536 rows) would
    // leave most of the GPU idle: split the rows into chunks, sum each chunk in a first
    // pass (prologue included), then sum the chunks and apply the epilogue.
    if outputs < SPLIT_OUTPUTS && length >= 256 {
        let scratch_slot = layout.bindings.len();
        let scratch = format!(
            "@group(0) @binding({scratch_slot}) var<storage, read_write> partial: array<f32>;"
        );
        // The second pass only reads the partial sums (merged with other finishing passes,
        // it may share the scratch buffer with them: one usage per dispatch).
        let scratch_read = scratch.replace("read_write", "read");
        let grouped = outer == 1 && u64::from(WORKGROUP) % inner == 0;
        let (partials, first_groups, chunks) = if grouped {
            // Pass 1, grouped: a workgroup is `lanes` row lanes × `inner` columns (a warp
            // reads whole rows, coalesced); each thread sums rows `lane + lanes·j` of the
            // group's chunk, then the lanes combine in a workgroup tree, so that only one
            // partial per column and workgroup goes to memory.
            let lanes = u64::from(WORKGROUP) / inner;
            let per_thread = (length * inner)
                .div_ceil(GROUPED_THREADS)
                .clamp(u64::from(UNROLL), GROUPED_MAX_ROWS)
                .next_multiple_of(u64::from(UNROLL));
            let chunk = lanes * per_thread;
            let chunks = length.div_ceil(chunk);
            let steps = unrolled_steps(
                op,
                &per_input,
                &x,
                |lane| format!("(r + {}u) * {inner}u + column", u64::from(lane) * lanes),
                |lane| format!("r + {}u < end", u64::from(lane) * lanes),
            );
            let tree = tree(op, "shared_partial", inner as u32);
            let wgsl = format!(
                "{declarations}{scratch}
var<workgroup> shared_partial: array<f32, {WORKGROUP}>;

@compute @workgroup_size({WORKGROUP})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {{
    let part = wid.x;
    let column = lid % {inner}u;
    let lane = lid / {inner}u;
{accumulators}    let end = min((part + 1u) * {chunk}u, {length}u);
    for (var r = part * {chunk}u + lane; r < end; r += {stride}u) {{
{steps}    }}
    var acc = {all};
{tree}    if lid < {inner}u {{
        partial[column * {chunks}u + part] = acc;
    }}
}}
",
                stride = lanes * u64::from(UNROLL),
            );
            (wgsl, [chunks as u32, 1, 1], chunks)
        } else {
            // Pass 1, a thread per (chunk, output), reading `UNROLL` rows per loop turn.
            let chunks = (SPLIT_THREADS / outputs)
                .min(length.div_ceil(SPLIT_ROWS))
                .max(2);
            let chunk = length.div_ceil(chunks);
            let steps = unrolled_steps(
                op,
                &per_input,
                &x,
                |lane| format!("(outer * {length}u + r + {lane}u) * {inner}u + column"),
                |lane| format!("r + {lane}u < end"),
            );
            let (groups, thread) = grid(chunks * outputs);
            let wgsl = format!(
                "{declarations}{scratch}
@compute @workgroup_size({WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {{
    let t = {thread};
    if t >= {total}u {{
        return;
    }}
    let part = t / {outputs}u;
    let oi = t % {outputs}u;
    let outer = oi / {inner}u;
    let column = oi % {inner}u;
{accumulators}    let end = min((part + 1u) * {chunk}u, {length}u);
    for (var r = part * {chunk}u; r < end; r += {UNROLL}u) {{
{steps}    }}
    partial[oi * {chunks}u + part] = {all};
}}
",
                total = chunks * outputs,
            );
            (wgsl, groups, chunks)
        };
        // Pass 2: one workgroup per output sums its chunks (stored contiguously by pass
        // 1, so that these reads coalesce), then a tree.
        let gather = combine(op, "acc", &format!("partial[oi * {chunks}u + c]"));
        let tree = tree(op, "shared_partial", 1);
        let finishing = format!(
            "{declarations}{scratch_read}
var<workgroup> shared_partial: array<f32, {WORKGROUP}>;

@compute @workgroup_size({WORKGROUP})
{FINISHING_MAIN}
    let oi = wid.x;
    if oi >= {outputs}u {{
        return;
    }}
    var acc = {identity};
    for (var c = lid; c < {chunks}u; c += {WORKGROUP}u) {{
        acc = {gather};
    }}
{tree}    if lid == 0u {{
{finish}    }}
}}
"
        );
        let second_groups = [outputs as u32, 1, 1];
        let mut bindings = layout.bindings.clone();
        bindings.push(Binding::Scratch);
        return (
            vec![
                Generated {
                    wgsl: with_prelude(partials),
                    bindings: bindings.clone(),
                    workgroups: first_groups,
                },
                Generated {
                    wgsl: with_prelude(finishing),
                    bindings,
                    workgroups: second_groups,
                },
            ],
            chunks * outputs,
        );
    }
    // One thread per output; consecutive threads read consecutive inner elements.
    let (workgroups, thread) = grid(outputs);
    let step = combine(op, "acc", &x);
    let wgsl = format!(
        "{declarations}
@compute @workgroup_size({WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {{
    let oi = {thread};
    if oi >= {outputs}u {{
        return;
    }}
    let outer = oi / {inner}u;
    let column = oi % {inner}u;
    var acc = {identity};
    for (var r = 0u; r < {length}u; r++) {{
        let ii = (outer * {length}u + r) * {inner}u + column;
{per_input}        acc = {step};
    }}
{finish}}}
"
    );
    let generated = Generated {
        wgsl: with_prelude(wgsl),
        bindings: layout.bindings,
        workgroups,
    };
    (vec![generated], 0)
}

/// CSR form of a scatter-add's indices: `offsets[s]..offsets[s + 1]` are the positions
/// (into `order`) of the inputs that land in segment `s`. Laid out as one table: the
/// `size + 1` offsets, then the positions.
pub fn segment_table(indices: &[u32], size: usize) -> Vec<u32> {
    let mut counts = vec![0u32; size + 1];
    for &index in indices {
        counts[index as usize + 1] += 1;
    }
    for s in 0..size {
        counts[s + 1] += counts[s];
    }
    let mut order = vec![0u32; indices.len()];
    let mut next = counts.clone();
    for (position, &index) in indices.iter().enumerate() {
        order[next[index as usize] as usize] = position as u32;
        next[index as usize] += 1;
    }
    let mut table = counts;
    table.extend(order);
    table
}

fn segment(nodes: &[Node], plan: &FusionPlan, position: usize, node: TensorId) -> Generated {
    let kernel = &plan.kernels[position];
    let Op::ScatterAdd { axis, .. } = &nodes[node.index()].op else {
        unreachable!("segment kernel without a scatter-add node")
    };
    let out_shape = nodes[node.index()].shape;
    let input_shape = nodes[nodes[node.index()].inputs[0].index()].shape;
    let dims = out_shape.dims();
    let size = dims[*axis] as u64;
    let inner: u64 = dims[axis + 1..].iter().product::<usize>() as u64;
    let length = input_shape.dims()[*axis] as u64;
    let outputs = out_shape.num_elements() as u64;
    let layout = layout(nodes, plan, &[position], &[Binding::SegmentTable(node)]);
    let table = format!("s{}", layout.bindings.len() - 1);
    let emitter = layout.emitter(nodes, plan, position);
    let (prologue, epilogue) = split_members(kernel, node);
    let mut per_input = String::new();
    let input_index = Ix::var("ii");
    for &member in &prologue {
        emitter.member(member, &input_index, &mut per_input);
    }
    let x = reduced_input(&emitter, node, &input_index);
    let mut finish = String::new();
    let output_index = Ix::var("oi");
    let _ = writeln!(finish, "    let v{} = acc;", node.0);
    emitter.store(node, &output_index, &mut finish);
    for &member in &epilogue {
        emitter.member(member, &output_index, &mut finish);
    }
    let (workgroups, thread) = grid(outputs);
    let wgsl = format!(
        "{declarations}
@compute @workgroup_size({WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {{
    let oi = {thread};
    if oi >= {outputs}u {{
        return;
    }}
    let outer = oi / {span}u;
    let segment = (oi / {inner}u) % {size}u;
    let column = oi % {inner}u;
    var acc = 0.0f;
    for (var q = {table}[segment]; q < {table}[segment + 1u]; q++) {{
        let t = {table}[{offsets} + q];
        let ii = (outer * {length}u + t) * {inner}u + column;
{per_input}        acc = acc + ({x});
    }}
{finish}}}
",
        declarations = layout.declarations,
        span = size * inner,
        offsets = size + 1,
    );
    Generated {
        wgsl: with_prelude(wgsl),
        bindings: layout.bindings,
        workgroups,
    }
}
