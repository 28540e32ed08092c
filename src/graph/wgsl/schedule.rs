//! The order of a compiled step's dispatches: which kernels are built before the buffer
//! plan (contractions, reductions, segment and row kernels), which finishing passes of
//! split kernels wait to be merged, which pointwise kernels share a dispatch, and which
//! independent dispatches run as one (merge.rs).

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use super::contraction::contraction;
use super::generate::{Binding, Generated, MAX_GROUPS, generate, pointwise};
use super::merge::{Part, merge, workgroup_bytes};
use super::program::KernelInfo;
use crate::gpu::used_bindings;
use crate::gpu::{Gpu, GpuError};
use crate::graph::GraphError;
use crate::graph::Precision;
use crate::graph::fuse::{FusionPlan, KernelKind};
use crate::graph::ir::{Node, TensorId};
use crate::graph::kernels::{AdapterCaps, MatmulKernel};

/// Dispatches under one profile label.
pub(super) type Labelled = (String, Vec<Part>);

/// A contraction, reduction, segment or row kernel ready to dispatch: its dispatches (in
/// order), and a split one's finishing pass and partial-sum floats.
pub(super) struct Built {
    dispatches: Vec<Part>,
    finisher: Option<Part>,
    scratch_floats: u64,
    /// For a mergeable finisher: the first kernel reading its results, before which the
    /// deferred pass runs (set once the finisher is known to be mergeable).
    deferred_until: Option<usize>,
}

impl From<Generated> for Part {
    fn from(generated: Generated) -> Self {
        Part {
            wgsl: generated.wgsl,
            bindings: generated.bindings,
            workgroups: generated.workgroups,
        }
    }
}

/// Builds every kernel that is not pointwise, by position. They are built before the
/// buffer plan: a split one's finishing pass may be deferred and merged with others
/// ([`defer_finishers`]), which extends the lifetimes of the tensors that pass binds.
pub(super) fn build_kernels(
    gpu: &Gpu,
    nodes: &[Node],
    fusion: &FusionPlan,
    precision: Precision,
) -> Result<HashMap<usize, Built>, GraphError> {
    let caps = AdapterCaps::of(gpu);
    let mut built = HashMap::new();
    for (position, kernel) in fusion.kernels.iter().enumerate() {
        if kernel.kind == KernelKind::Pointwise {
            continue;
        }
        built.insert(
            position,
            build(gpu, nodes, fusion, position, &caps, precision)?,
        );
    }
    Ok(built)
}

/// Defers every mergeable finishing pass until the first kernel that reads its results,
/// and returns the tensors those passes bind with the kernel they are needed until (their
/// lifetimes in the buffer plan extend that far).
pub(super) fn defer_finishers(
    nodes: &[Node],
    fusion: &FusionPlan,
    built: &mut HashMap<usize, Built>,
) -> Result<Vec<(TensorId, usize)>, GraphError> {
    let mut extended = Vec::new();
    for (&position, kernel) in built.iter_mut() {
        let Some(finisher) = kernel.finisher.as_ref().filter(|part| part.mergeable()) else {
            continue;
        };
        let needed_at = first_reader(nodes, fusion, position);
        kernel.deferred_until = Some(needed_at);
        let used = used_bindings(&finisher.wgsl, "main").map_err(|message| GpuError::Shader {
            label: format!("kernel {position} finish"),
            message,
        })?;
        for index in used {
            if let Binding::Tensor(id) = finisher.bindings[index as usize] {
                extended.push((id, needed_at));
            }
        }
    }
    Ok(extended)
}

/// Gives every split kernel a region of the scratch buffer of its own (offsets aligned to
/// `alignment` bytes), so that its partial sums survive until its possibly deferred
/// finishing pass; returns the scratch buffer's size in bytes.
pub(super) fn assign_scratch(built: &mut HashMap<usize, Built>, alignment: u64) -> u64 {
    let mut scratch_bytes = 0u64;
    let mut positions: Vec<usize> = built.keys().copied().collect();
    positions.sort_unstable();
    for position in positions {
        let kernel = built.get_mut(&position).expect("listed");
        if kernel.scratch_floats == 0 {
            continue;
        }
        let region = Binding::ScratchRegion {
            offset: scratch_bytes,
            bytes: kernel.scratch_floats * 4,
        };
        scratch_bytes = (scratch_bytes + kernel.scratch_floats * 4).next_multiple_of(alignment);
        for part in kernel.dispatches.iter_mut().chain(&mut kernel.finisher) {
            for binding in &mut part.bindings {
                if *binding == Binding::Scratch {
                    *binding = region.clone();
                }
            }
        }
    }
    scratch_bytes
}

/// The step's dispatches in order, under their profile labels, and the kernel list
/// ([`super::GpuProgram::kernels`]): runs of pointwise kernels batched ([`batches`]),
/// every other kernel's dispatches from `built` (or generated here), and the deferred
/// finishing passes merged and flushed before the first kernel that needs one of them.
pub(super) fn order(
    nodes: &[Node],
    fusion: &FusionPlan,
    buffer_of: &HashMap<TensorId, usize>,
    mut built: HashMap<usize, Built>,
    fuse: bool,
    max_buffers: usize,
) -> (Vec<Labelled>, Vec<KernelInfo>) {
    let mut kernels = Vec::new();
    let mut pending: Vec<Labelled> = Vec::new();
    // Finishing passes waiting to be merged: (first kernel reading the result, kernel,
    // pass).
    let mut deferred: Vec<(usize, usize, Part)> = Vec::new();
    for run in batches(nodes, fusion, buffer_of, fuse, max_buffers) {
        if deferred
            .iter()
            .any(|(needed_at, _, _)| *needed_at < run.end)
        {
            flush(&mut deferred, max_buffers, &mut pending, &mut kernels);
        }
        if run.len() > 1 {
            let positions: Vec<usize> = run.clone().collect();
            let batched = pointwise(nodes, fusion, &positions);
            for position in run.clone() {
                let mut info = kernel_info(nodes, fusion, position);
                info.shaders.push(batched.wgsl.clone());
                info.batch = Some(run.clone());
                kernels.push(info);
            }
            pending.push((
                format!(
                    "{:3}-{} pointwise batch of {} kernels",
                    run.start,
                    run.end - 1,
                    run.len()
                ),
                vec![Part::from(batched)],
            ));
            continue;
        }
        let position = run.start;
        let mut info = kernel_info(nodes, fusion, position);
        let label = format!("{position:3} {} {}", info.kind, info.ops.join(" → "));
        let dispatches = match built.remove(&position) {
            Some(kernel) => {
                info.shaders
                    .extend(kernel.dispatches.iter().map(|part| part.wgsl.clone()));
                let mut dispatches = kernel.dispatches;
                if let Some(finisher) = kernel.finisher {
                    info.shaders.push(finisher.wgsl.clone());
                    match kernel.deferred_until {
                        Some(needed_at) => deferred.push((needed_at, position, finisher)),
                        None => dispatches.push(finisher),
                    }
                }
                dispatches
            }
            None => {
                let (generated, _) = generate(nodes, fusion, position);
                info.shaders
                    .extend(generated.iter().map(|part| part.wgsl.clone()));
                generated.into_iter().map(Part::from).collect()
            }
        };
        kernels.push(info);
        pending.push((label, dispatches));
    }
    flush(&mut deferred, max_buffers, &mut pending, &mut kernels);
    (pending, kernels)
}

fn build(
    gpu: &Gpu,
    nodes: &[Node],
    fusion: &FusionPlan,
    position: usize,
    caps: &AdapterCaps,
    precision: Precision,
) -> Result<Built, GraphError> {
    if let KernelKind::Contraction { .. } = fusion.kernels[position].kind {
        let built =
            contraction(nodes, fusion, position, caps, precision).map_err(GraphError::Kernel)?;
        let (wgsl, workgroups) =
            MatmulKernel::shader(gpu, &built.spec, built.template).map_err(GraphError::Kernel)?;
        let first = Part {
            wgsl,
            bindings: built.template_bindings(),
            workgroups,
        };
        return Ok(Built {
            dispatches: vec![first],
            finisher: built.sum().map(|(wgsl, bindings, workgroups)| Part {
                wgsl,
                bindings,
                workgroups,
            }),
            scratch_floats: built.scratch_len(),
            deferred_until: None,
        });
    }
    let (mut generated, scratch_floats) = generate(nodes, fusion, position);
    let finisher = (scratch_floats > 0 && generated.len() == 2)
        .then(|| generated.pop().map(Part::from))
        .flatten();
    Ok(Built {
        dispatches: generated.into_iter().map(Part::from).collect(),
        finisher,
        scratch_floats,
        deferred_until: None,
    })
}

/// The first kernel after `position` that reads a value kernel `position` writes (the end
/// of the step if none does): where its deferred finishing pass must have run.
pub(super) fn first_reader(nodes: &[Node], fusion: &FusionPlan, position: usize) -> usize {
    let written: Vec<TensorId> = fusion.kernels[position]
        .members
        .iter()
        .copied()
        .filter(|id| fusion.materialized[id.index()])
        .collect();
    (position + 1..fusion.kernels.len())
        .find(|&later| {
            fusion
                .buffers(nodes, later)
                .tensors
                .iter()
                .any(|id| written.contains(id))
        })
        .unwrap_or(fusion.kernels.len())
}

/// Dispatches the `deferred` finishing passes now: merged into as few dispatches as the
/// adapter's binding and grid limits allow. Each merged shader is listed with the first
/// kernel it finishes.
fn flush(
    deferred: &mut Vec<(usize, usize, Part)>,
    max_buffers: usize,
    pending: &mut Vec<Labelled>,
    kernels: &mut [KernelInfo],
) {
    let mut groups: Vec<Vec<(usize, Part)>> = Vec::new();
    for (_, position, part) in deferred.drain(..) {
        let fits = groups.last().is_some_and(|group| {
            bindings_and_grid_fit(
                group.iter().map(|(_, member)| member).chain([&part]),
                max_buffers,
            )
        });
        if !fits {
            groups.push(Vec::new());
        }
        groups.last_mut().expect("pushed").push((position, part));
    }
    for group in groups {
        let positions: Vec<usize> = group.iter().map(|(position, _)| *position).collect();
        let parts: Vec<Part> = group.into_iter().map(|(_, part)| part).collect();
        let merged = if parts.len() == 1 {
            parts.into_iter().next().expect("one part")
        } else {
            let merged = merge(&parts);
            kernels[positions[0]].shaders.push(merged.wgsl.clone());
            merged
        };
        let list = positions
            .iter()
            .map(|p| p.to_string())
            .collect::<Vec<_>>()
            .join(", ");
        pending.push((format!("finishing passes of kernels {list}"), vec![merged]));
    }
}

/// Whether `parts` fit one merged dispatch: together they bind at most `max_buffers`
/// buffers and have at most [`MAX_GROUPS`] workgroups.
fn bindings_and_grid_fit<'a>(
    parts: impl Iterator<Item = &'a Part> + Clone,
    max_buffers: usize,
) -> bool {
    parts.clone().map(Part::declared_bindings).sum::<usize>() <= max_buffers
        && parts.map(Part::groups).sum::<u64>() <= u64::from(MAX_GROUPS)
}

/// A buffer, or a byte range of the scratch buffer, that a dispatch binds.
#[derive(Clone, Copy)]
enum Resource {
    Slot(usize),
    Scratch { start: u64, end: u64 },
}

impl Resource {
    fn overlaps(self, other: Resource) -> bool {
        match (self, other) {
            (Resource::Slot(a), Resource::Slot(b)) => a == b,
            (Resource::Scratch { start, end }, Resource::Scratch { start: s, end: e }) => {
                start < e && s < end
            }
            _ => false,
        }
    }
}

/// What `part` binds, each with whether it may write there. Gather and segment tables are
/// read-only uploads of their own.
fn accesses(part: &Part, buffer_of: &HashMap<TensorId, usize>) -> Vec<(Resource, bool)> {
    part.bindings
        .iter()
        .enumerate()
        .filter_map(|(index, binding)| {
            let resource = match binding {
                Binding::Tensor(id) => Resource::Slot(buffer_of[id]),
                &Binding::ScratchRegion { offset, bytes } => Resource::Scratch {
                    start: offset,
                    end: offset + bytes,
                },
                Binding::Scratch => Resource::Scratch {
                    start: 0,
                    end: u64::MAX,
                },
                Binding::GatherTable(_) | Binding::SegmentTable(_) => return None,
            };
            Some((resource, part.writes(index)))
        })
        .collect()
}

/// Whether two dispatches touch a common buffer where either may write: they must then run
/// one after the other.
fn conflict(x: &[(Resource, bool)], y: &[(Resource, bool)]) -> bool {
    x.iter()
        .any(|&(a, wa)| y.iter().any(|&(b, wb)| (wa || wb) && a.overlaps(b)))
}

/// What one merged dispatch may use.
#[derive(Clone, Copy)]
pub(super) struct MergeLimits {
    pub buffers: usize,
    pub workgroup_bytes: u64,
}

/// Dispatches a merge may look ahead for a partner (see [`merge_independent`]).
const MERGE_WINDOW: usize = 8;

/// A dispatch waiting to be merged: its profile label, part and what it binds.
struct Queued {
    label: String,
    part: Part,
    accesses: Vec<(Resource, bool)>,
}

/// Merges dispatches that touch no buffer another of them writes (buffers as planned, so
/// that reused slots count) into one dispatch (merge.rs), as far as the adapter's
/// bindings, workgroup memory and grid limits allow, among dispatches of one workgroup
/// size. Each merged dispatch starts at the first dispatch not yet taken and takes, in
/// order, every later one among the next [`MERGE_WINDOW`] that fits and conflicts neither
/// with it nor with the dispatches it moves ahead of. In the backward pass of a residual
/// net a layer's grad input, grad weight and bias gradient all read only its output's
/// gradient and run as one; the value head's last bias gradient joins the policy head's.
pub(super) fn merge_independent(
    pending: Vec<Labelled>,
    buffer_of: &HashMap<TensorId, usize>,
    limits: MergeLimits,
) -> Vec<Labelled> {
    let mut queue: std::collections::VecDeque<Queued> = pending
        .into_iter()
        .flat_map(|(label, parts)| parts.into_iter().map(move |part| (label.clone(), part)))
        .map(|(label, part)| Queued {
            accesses: accesses(&part, buffer_of),
            label,
            part,
        })
        .collect();
    let fits = |group: &[Queued], next: &Queued| {
        let first = &group[0].part;
        let part = &next.part;
        let parts = || group.iter().chain(std::iter::once(next)).map(|q| &q.part);
        part.mergeable()
            && first.mergeable()
            && part.workgroup_size() == first.workgroup_size()
            && !group
                .iter()
                .any(|member| conflict(&member.accesses, &next.accesses))
            && bindings_and_grid_fit(parts(), limits.buffers)
            && workgroup_bytes(parts()).is_some_and(|bytes| bytes <= limits.workgroup_bytes)
    };
    let mut merged = Vec::new();
    while let Some(first) = queue.pop_front() {
        let mut group = vec![first];
        let mut index = 0;
        while index < queue.len().min(MERGE_WINDOW) {
            let overtakes = |queued: &Queued| {
                queue
                    .iter()
                    .take(index)
                    .any(|skipped| conflict(&skipped.accesses, &queued.accesses))
            };
            if fits(&group, &queue[index]) && !overtakes(&queue[index]) {
                group.push(queue.remove(index).expect("index in range"));
            } else {
                index += 1;
            }
        }
        let mut labels: Vec<String> = Vec::new();
        for queued in &group {
            if labels.last() != Some(&queued.label) {
                labels.push(queued.label.clone());
            }
        }
        let label = labels.join(" + ");
        if group.len() == 1 {
            let queued = group.pop().expect("one dispatch");
            merged.push((label, vec![queued.part]));
            continue;
        }
        let parts: Vec<Part> = group.into_iter().map(|queued| queued.part).collect();
        merged.push((label, vec![merge(&parts)]));
    }
    merged
}

/// Kernel `position` as listed by [`GpuProgram::kernels`], without its shaders yet.
fn kernel_info(nodes: &[Node], fusion: &FusionPlan, position: usize) -> KernelInfo {
    let kernel = &fusion.kernels[position];
    KernelInfo {
        kind: match kernel.kind {
            KernelKind::Pointwise => "pointwise".into(),
            KernelKind::Reduce { .. } => "reduce".into(),
            KernelKind::Segment { .. } => "segment".into(),
            KernelKind::Rows { .. } => "rows".into(),
            KernelKind::Contraction { .. } => "contraction".into(),
        },
        ops: kernel
            .members
            .iter()
            .map(|m| nodes[m.index()].op.name())
            .collect(),
        shaders: Vec::new(),
        batch: None,
    }
}

/// The kernels in dispatch order, as runs dispatched together: with `fuse`, consecutive
/// pointwise kernels share one dispatch (see [`pointwise`]) while none of them writes a
/// buffer another reads or writes (buffers as planned, so that reused slots count) and
/// together they bind at most `max_buffers` buffers and cover fewer than 2^31 elements (a
/// u32 thread index); every other kernel is a run of its own.
fn batches(
    nodes: &[Node],
    fusion: &FusionPlan,
    buffer_of: &HashMap<TensorId, usize>,
    fuse: bool,
    max_buffers: usize,
) -> Vec<Range<usize>> {
    let mut runs = Vec::new();
    let mut start = 0;
    // Of the open run: buffers read, buffers written, bindings and elements.
    let mut reads = HashSet::new();
    let mut writes = HashSet::new();
    let mut bound = 0;
    let mut elements = 0u64;
    for (position, kernel) in fusion.kernels.iter().enumerate() {
        let buffers = fusion.buffers(nodes, position);
        let (written, read): (Vec<TensorId>, Vec<TensorId>) = buffers
            .tensors
            .iter()
            .partition(|id| fusion.materialized[id.index()] && kernel.members.contains(id));
        let written: HashSet<usize> = written.iter().map(|id| buffer_of[id]).collect();
        let read: HashSet<usize> = read.iter().map(|id| buffer_of[id]).collect();
        let batchable = fuse && kernel.kind == KernelKind::Pointwise;
        let count = nodes[kernel.members[0].index()].shape.num_elements() as u64;
        let joins = batchable
            && position > start
            && written.is_disjoint(&reads)
            && written.is_disjoint(&writes)
            && read.is_disjoint(&writes)
            && bound + buffers.len() <= max_buffers
            && elements + count < 1 << 31;
        if !joins && position > start {
            runs.push(start..position);
            start = position;
            reads.clear();
            writes.clear();
            bound = 0;
            elements = 0;
        }
        if batchable {
            reads.extend(read);
            writes.extend(written);
            bound += buffers.len();
            elements += count;
        } else {
            runs.push(position..position + 1);
            start = position + 1;
        }
    }
    if start < fusion.kernels.len() {
        runs.push(start..fusion.kernels.len());
    }
    runs
}
