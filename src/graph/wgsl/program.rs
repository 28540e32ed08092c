//! A graph compiled for wgpu: fused kernels, a static buffer plan, pre-built pipelines and
//! bind groups. `run` records every dispatch into one compute pass and submits once;
//! values stay on the GPU until `read` asks for them.

use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::sync::Arc;

use super::contraction::contraction;
use super::generate::{Binding, Generated, MAX_GROUPS, generate, pointwise, segment_table};
use super::merge::{Part, merge, workgroup_bytes};
use crate::gpu::timing::Timestamps;
use crate::gpu::used_bindings;
use crate::gpu::{Gpu, GpuError};
use crate::graph::CompileOptions;
use crate::graph::GraphError;
use crate::graph::fuse::{self, FusionPlan, KernelKind, Source, resolve};
use crate::graph::init::initial_values;
use crate::graph::ir::{Graph, Node, Op, TensorId};
use crate::graph::kernels::{AdapterCaps, MatmulKernel};
use crate::graph::plan::{self, BufferPlan, Lifetime};

/// One dispatch of the step.
struct Step {
    /// The kernel(s) it runs, for profiles: one kernel's index and ops, a batch of
    /// pointwise kernels, merged finishing passes, or several of these merged (joined by
    /// " + ").
    label: String,
    /// The shader as run (after merging), for `--dump-shaders`.
    wgsl: String,
    pipeline: Arc<wgpu::ComputePipeline>,
    bind_group: wgpu::BindGroup,
    workgroups: [u32; 3],
}

/// A kernel as listed by [`GpuProgram::kernels`]: its kind and the ops fused into it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KernelInfo {
    pub kind: String,
    pub ops: Vec<String>,
    /// The WGSL of each dispatch of the kernel (two for a split contraction).
    pub shaders: Vec<String>,
    /// The kernels sharing its one dispatch, when it is batched with other pointwise
    /// kernels (then `shaders` holds the batch's shader).
    pub batch: Option<Range<usize>>,
}

/// A graph compiled for the GPU.
pub struct GpuProgram {
    gpu: Arc<Gpu>,
    nodes: Vec<Node>,
    /// Buffer of every materialised tensor.
    buffer_of: HashMap<TensorId, usize>,
    buffers: Vec<wgpu::Buffer>,
    /// Gather and segment tables, kept with the program.
    _tables: Vec<wgpu::Buffer>,
    /// The split kernels' partial sums.
    scratch: wgpu::Buffer,
    steps: Vec<Step>,
    /// (value tensor, target tensor): copied at the end of each run.
    assigns: Vec<(TensorId, TensorId)>,
    names: HashMap<String, TensorId>,
    outputs: HashMap<String, TensorId>,
    plan: BufferPlan,
    kernels: Vec<KernelInfo>,
}

fn is_leaf(op: &Op) -> bool {
    matches!(
        op,
        Op::Input { .. } | Op::Parameter { .. } | Op::State { .. } | Op::Constant { .. }
    )
}

impl GpuProgram {
    pub fn compile(
        graph: &Graph,
        gpu: &Arc<Gpu>,
        options: &CompileOptions,
    ) -> Result<Self, GraphError> {
        let seed = options.seed;
        let nodes = graph.nodes().clone();
        let max_buffers = gpu.limits.max_storage_buffers_per_shader_stage as usize;
        let fusion = fuse::fuse(graph, options.fuse, max_buffers);
        let outputs: HashMap<String, TensorId> = graph.outputs().into_iter().collect();
        let mut names = HashMap::new();
        let mut assigns = Vec::new();
        for (index, node) in nodes.iter().enumerate() {
            let id = TensorId(index as u32);
            match &node.op {
                Op::Input { name } | Op::Parameter { name, .. } | Op::State { name, .. } => {
                    names.insert(name.clone(), id);
                }
                Op::Assign { target } => {
                    let Source::Load { base, .. } =
                        resolve(&nodes, &fusion.kernel_of, None, node.inputs[0], 0)
                    else {
                        unreachable!("fusion materialises assigned values")
                    };
                    assigns.push((base, *target));
                }
                _ => {}
            }
        }
        // Contractions, reductions and segment sums are built before the buffer plan: a
        // split one's finishing pass may be deferred and merged with others (merge.rs),
        // which extends the lifetimes of the tensors that pass binds.
        let caps = AdapterCaps::of(gpu);
        let mut built: HashMap<usize, Built> = HashMap::new();
        for (position, kernel) in fusion.kernels.iter().enumerate() {
            if kernel.kind == KernelKind::Pointwise {
                continue;
            }
            built.insert(
                position,
                build(gpu, &nodes, &fusion, position, &caps, options.precision)?,
            );
        }
        let mut extended = Vec::new();
        for (&position, kernel) in &mut built {
            let Some(finisher) = kernel.finisher.as_ref().filter(|part| part.mergeable()) else {
                continue;
            };
            let needed_at = first_reader(&nodes, &fusion, position);
            kernel.deferred_until = Some(needed_at);
            let used =
                used_bindings(&finisher.wgsl, "main").map_err(|message| GpuError::Shader {
                    label: format!("kernel {position} finish"),
                    message,
                })?;
            for index in used {
                if let Binding::Tensor(id) = finisher.bindings[index as usize] {
                    extended.push((id, needed_at));
                }
            }
        }
        let (plan, buffer_of) = plan_buffers(&nodes, &fusion, &outputs, &assigns, &extended);
        let buffers: Vec<wgpu::Buffer> = plan
            .slot_bytes
            .iter()
            .enumerate()
            .map(|(slot, &bytes)| gpu.storage_buffer(&format!("slot {slot}"), bytes))
            .collect();
        for (index, node) in nodes.iter().enumerate() {
            let Some(&slot) = buffer_of.get(&TensorId(index as u32)) else {
                continue;
            };
            let values = match &node.op {
                Op::Parameter { name, init } | Op::State { name, init } => {
                    initial_values(*init, node.shape.num_elements(), seed, name)
                }
                Op::Constant { values } => values.to_vec(),
                _ => continue,
            };
            gpu.queue
                .write_buffer(&buffers[slot], 0, bytemuck::cast_slice(&values));
        }
        // Every split kernel gets a region of the scratch buffer of its own, so that its
        // partial sums survive until its (possibly deferred) finishing pass.
        let alignment = u64::from(gpu.limits.min_storage_buffer_offset_alignment).max(4);
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

        let mut kernels = Vec::new();
        // (label, its dispatches)
        let mut pending: Vec<Labelled> = Vec::new();
        // Finishing passes waiting to be merged: (first kernel reading the result, kernel,
        // pass).
        let mut deferred: Vec<(usize, usize, Part)> = Vec::new();
        let max_buffers = gpu.limits.max_storage_buffers_per_shader_stage as usize;
        let runs = batches(&nodes, &fusion, &buffer_of, options.fuse, max_buffers);
        for run in runs {
            if deferred
                .iter()
                .any(|(needed_at, _, _)| *needed_at < run.end)
            {
                flush(&mut deferred, max_buffers, &mut pending, &mut kernels);
            }
            if run.len() > 1 {
                let positions: Vec<usize> = run.clone().collect();
                let batched = pointwise(&nodes, &fusion, &positions);
                for position in run.clone() {
                    let mut info = kernel_info(&nodes, &fusion, position);
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
            let mut info = kernel_info(&nodes, &fusion, position);
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
                    let (generated, _) = generate(&nodes, &fusion, position);
                    info.shaders
                        .extend(generated.iter().map(|part| part.wgsl.clone()));
                    generated.into_iter().map(Part::from).collect()
                }
            };
            kernels.push(info);
            pending.push((label, dispatches));
        }
        flush(&mut deferred, max_buffers, &mut pending, &mut kernels);
        if options.fuse {
            let limits = MergeLimits {
                buffers: max_buffers,
                workgroup_bytes: u64::from(gpu.limits.max_compute_workgroup_storage_size),
            };
            pending = merge_independent(pending, &buffer_of, limits);
        }

        let scratch = gpu.storage_buffer("split partial sums", scratch_bytes.max(4));
        let mut tables = Vec::new();
        let mut steps = Vec::new();
        for (label, parts) in pending {
            for part in parts {
                // Pipelines are built only now, once merges are known, so that no part
                // merged into another is compiled for nothing.
                // SAFETY: generated kernels guard their thread index against the element
                // count and index tensors bound at their full size (scratch regions at
                // their planned size); the templates' accesses are in bounds by
                // construction and their epilogues read tensors of the bound shapes; a
                // merged shader runs each part at that part's own workgroup index.
                let pipeline = unsafe { gpu.pipeline_unchecked(&label, &part.wgsl, "main") }?;
                let Part {
                    wgsl,
                    bindings,
                    workgroups,
                } = part;
                let first_table = tables.len();
                for binding in &bindings {
                    match binding {
                        Binding::GatherTable(id) => {
                            let Op::Gather { indices, .. } = &nodes[id.index()].op else {
                                unreachable!("gather table of a non-gather node")
                            };
                            tables.push(gpu.upload("gather indices", indices));
                        }
                        Binding::SegmentTable(id) => {
                            let node = &nodes[id.index()];
                            let Op::ScatterAdd { axis, indices } = &node.op else {
                                unreachable!("segment table of a non-scatter node")
                            };
                            let table = segment_table(indices, node.shape.dims()[*axis]);
                            tables.push(gpu.upload("segment table", &table));
                        }
                        _ => {}
                    }
                }
                let mut next_table = first_table;
                let ranges: Vec<wgpu::BufferBinding> = bindings
                    .iter()
                    .map(|binding| match binding {
                        Binding::Tensor(id) => buffers[buffer_of[id]].as_entire_buffer_binding(),
                        Binding::Scratch => {
                            unreachable!("split kernels bind their own scratch regions")
                        }
                        &Binding::ScratchRegion { offset, bytes } => wgpu::BufferBinding {
                            buffer: &scratch,
                            offset,
                            size: std::num::NonZeroU64::new(bytes),
                        },
                        Binding::GatherTable(_) | Binding::SegmentTable(_) => {
                            next_table += 1;
                            tables[next_table - 1].as_entire_buffer_binding()
                        }
                    })
                    .collect();
                let bind_group = gpu.bind_used_ranges(&pipeline, &wgsl, "main", &ranges)?;
                steps.push(Step {
                    label: label.clone(),
                    wgsl: wgsl.clone(),
                    pipeline,
                    bind_group,
                    workgroups,
                });
            }
        }
        gpu.check()?;
        Ok(Self {
            gpu: Arc::clone(gpu),
            nodes,
            buffer_of,
            buffers,
            _tables: tables,
            scratch,
            steps,
            assigns,
            names,
            outputs,
            plan,
            kernels,
        })
    }

    /// What each dispatch of the step runs, in order: a kernel's index and ops, a batch of
    /// pointwise kernels, merged finishing passes, or independent dispatches merged into one
    /// (joined by " + ").
    pub fn dispatch_labels(&self) -> Vec<&str> {
        self.steps.iter().map(|step| step.label.as_str()).collect()
    }

    /// The WGSL each dispatch of one step runs, in order: merged dispatches as merged.
    pub fn dispatch_shaders(&self) -> Vec<&str> {
        self.steps.iter().map(|step| step.wgsl.as_str()).collect()
    }

    /// The kernels of one step, in order, with the ops fused into each.
    pub fn kernels(&self) -> &[KernelInfo] {
        &self.kernels
    }

    /// Dispatches one step records.
    pub fn dispatches(&self) -> usize {
        self.steps.len()
    }

    pub fn peak_bytes(&self) -> u64 {
        self.plan.peak_bytes()
    }

    /// Bytes of the split kernels' partial sums, beside the planned buffers (every split
    /// kernel has a region of its own, so that deferred finishing passes can find them).
    pub fn scratch_bytes(&self) -> u64 {
        self.scratch.size()
    }

    /// The buffer holding the input, parameter, state or output called `name` (for kernels
    /// of other layers that read or fill it in place).
    pub fn buffer(&self, name: &str) -> Result<&wgpu::Buffer, GraphError> {
        let id = self.lookup(name)?;
        Ok(&self.buffers[self.buffer_of[&id]])
    }

    fn lookup(&self, name: &str) -> Result<TensorId, GraphError> {
        self.outputs
            .get(name)
            .or_else(|| self.names.get(name))
            .copied()
            .ok_or_else(|| GraphError::UnknownName(name.to_owned()))
    }

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
        self.gpu.queue.write_buffer(
            &self.buffers[self.buffer_of[&id]],
            0,
            bytemuck::cast_slice(data),
        );
        Ok(())
    }

    pub fn read(&self, name: &str) -> Result<Vec<f32>, GraphError> {
        let id = self.lookup(name)?;
        let count = self.nodes[id.index()].shape.num_elements();
        Ok(self.gpu.read(&self.buffers[self.buffer_of[&id]], count)?)
    }

    /// Records every dispatch of the step into `pass`. A program with assigns also needs
    /// their copies, which only [`GpuProgram::record`] adds.
    pub fn record_dispatches(&self, pass: &mut wgpu::ComputePass) {
        for step in &self.steps {
            pass.set_pipeline(&step.pipeline);
            pass.set_bind_group(0, &step.bind_group, &[]);
            let [x, y, z] = step.workgroups;
            pass.dispatch_workgroups(x, y, z);
        }
    }

    /// [`GpuProgram::record_dispatches`] with a timestamp after every kernel, labelled with
    /// the kernel's index and ops (for per-kernel profiles). With `repeats` > 1 each
    /// dispatch runs that many times back to back before its timestamp (the kernel on warm
    /// caches, as kernel benchmarks time it; the values computed are then meaningless).
    pub fn record_dispatches_timed(
        &self,
        pass: &mut wgpu::ComputePass,
        timer: &Timestamps,
        repeats: u32,
    ) {
        for step in &self.steps {
            pass.set_pipeline(&step.pipeline);
            pass.set_bind_group(0, &step.bind_group, &[]);
            let [x, y, z] = step.workgroups;
            for _ in 0..repeats.max(1) {
                pass.dispatch_workgroups(x, y, z);
            }
            timer.mark(pass, step.label.clone());
        }
    }

    /// Records the whole step (every dispatch, then the assigns' copies) into `encoder`.
    pub fn record(&self, encoder: &mut wgpu::CommandEncoder) {
        {
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("graph step"),
                timestamp_writes: None,
            });
            self.record_dispatches(&mut pass);
        }
        for (value, target) in &self.assigns {
            let bytes = self.nodes[target.index()].shape.num_elements() as u64 * 4;
            encoder.copy_buffer_to_buffer(
                &self.buffers[self.buffer_of[value]],
                0,
                &self.buffers[self.buffer_of[target]],
                0,
                bytes,
            );
        }
    }

    /// Runs the step with one submit; does not wait for it.
    pub fn run(&mut self) -> Result<(), GraphError> {
        let mut encoder = self
            .gpu
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: None });
        self.record(&mut encoder);
        self.gpu.queue.submit([encoder.finish()]);
        Ok(self.gpu.check()?)
    }
}

/// Dispatches under one profile label.
type Labelled = (String, Vec<Part>);

/// A contraction, reduction or segment kernel ready to dispatch: its dispatches (in
/// order), and a split one's finishing pass and partial-sum floats.
struct Built {
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

fn build(
    gpu: &Gpu,
    nodes: &[Node],
    fusion: &FusionPlan,
    position: usize,
    caps: &AdapterCaps,
    precision: crate::graph::Precision,
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
fn first_reader(nodes: &[Node], fusion: &FusionPlan, position: usize) -> usize {
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
struct MergeLimits {
    buffers: usize,
    workgroup_bytes: u64,
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
fn merge_independent(
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

/// Tensors up to this size get buffers of their own. A shared buffer orders the kernels
/// that use it: one that overwrites a slot cannot run in the same dispatch as an earlier
/// kernel still reading it, which kept the loss's row reductions apart. Sharing small
/// buffers saves little, and costs memory where a small tensor takes a large free slot
/// (best fit) that a large tensor then has to do without: the chess training step's plan
/// went from 337 to 305 MB with this.
const OWN_SLOT_BYTES: u64 = 1 << 20;

/// Lifetimes of materialised tensors in kernel steps, and their buffer slots. Leaves,
/// outputs, assigned values and tensors of at most [`OWN_SLOT_BYTES`] are pinned.
fn plan_buffers(
    nodes: &[Node],
    fusion: &FusionPlan,
    outputs: &HashMap<String, TensorId>,
    assigns: &[(TensorId, TensorId)],
    extended: &[(TensorId, usize)],
) -> (BufferPlan, HashMap<TensorId, usize>) {
    let end = fusion.kernels.len();
    let mut first: HashMap<TensorId, usize> = HashMap::new();
    let mut last: HashMap<TensorId, usize> = HashMap::new();
    for position in 0..fusion.kernels.len() {
        for id in fusion.buffers(nodes, position).tensors {
            first.entry(id).or_insert(position);
            last.insert(id, position);
        }
    }
    // Deferred finishing passes use what they bind until (at most) these kernels.
    for &(id, until) in extended {
        let entry = last.entry(id).or_insert(until);
        *entry = (*entry).max(until);
    }
    let mut tensors: Vec<TensorId> = (0..nodes.len())
        .map(|index| TensorId(index as u32))
        .filter(|id| fusion.materialized[id.index()])
        .collect();
    tensors.sort_unstable();
    let output_ids: Vec<TensorId> = outputs.values().copied().collect();
    let lifetimes: Vec<Lifetime> = tensors
        .iter()
        .map(|&id| {
            let bytes = nodes[id.index()].shape.num_elements() as u64 * 4;
            let pinned = is_leaf(&nodes[id.index()].op)
                || output_ids.contains(&id)
                || assigns.iter().any(|(value, _)| *value == id)
                || bytes <= OWN_SLOT_BYTES;
            Lifetime {
                tensor: id,
                bytes,
                first: if pinned {
                    0
                } else {
                    first.get(&id).copied().unwrap_or(0)
                },
                last: if pinned {
                    end
                } else {
                    last.get(&id).copied().unwrap_or(0)
                },
                pinned,
            }
        })
        .collect();
    let plan = plan::plan(&lifetimes);
    let buffer_of = tensors
        .iter()
        .enumerate()
        .map(|(index, &id)| (id, plan.slot_of[index]))
        .collect();
    (plan, buffer_of)
}
