//! A graph compiled for wgpu: fused kernels, a static buffer plan, pre-built pipelines and
//! bind groups. `run` records every dispatch into one compute pass and submits once;
//! values stay on the GPU until `read` asks for them.

use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::sync::Arc;

use super::contraction::contraction;
use super::generate::{Binding, generate, pointwise, segment_table};
use crate::gpu::Gpu;
use crate::gpu::timing::Timestamps;
use crate::graph::CompileOptions;
use crate::graph::GraphError;
use crate::graph::fuse::{self, FusionPlan, KernelKind, Source, resolve};
use crate::graph::init::initial_values;
use crate::graph::ir::{Graph, Node, Op, TensorId};
use crate::graph::kernels::{AdapterCaps, MatmulKernel};
use crate::graph::plan::{self, BufferPlan, Lifetime};

/// One dispatch of the step.
struct Step {
    /// The kernels (indices in [`GpuProgram::kernels`]) this dispatch belongs to: one, or a
    /// run of independent pointwise kernels batched into one dispatch.
    kernels: Range<usize>,
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
    /// Gather and segment tables and the split partial sums, kept with the program.
    _tables: Vec<wgpu::Buffer>,
    _scratch: wgpu::Buffer,
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
        let (plan, buffer_of) = plan_buffers(&nodes, &fusion, &outputs, &assigns);
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

        let mut tables = Vec::new();
        let mut steps = Vec::new();
        let mut kernels = Vec::new();
        let caps = AdapterCaps::of(gpu);
        let mut scratch_floats = 0u64;
        // (kernels, their dispatches)
        let mut pending = Vec::new();
        let runs = batches(
            &nodes,
            &fusion,
            &buffer_of,
            options.fuse,
            gpu.limits.max_storage_buffers_per_shader_stage as usize,
        );
        for run in runs {
            if run.len() > 1 {
                let positions: Vec<usize> = run.clone().collect();
                let batched = pointwise(&nodes, &fusion, &positions);
                // SAFETY: as for single pointwise kernels below: each part guards its
                // thread range and indexes tensors bound at their full size.
                let pipeline = unsafe {
                    gpu.pipeline_unchecked(
                        &format!("kernels {}..{}", run.start, run.end),
                        &batched.wgsl,
                        "main",
                    )
                }?;
                for position in run.clone() {
                    let mut info = kernel_info(&nodes, &fusion, position);
                    info.shaders.push(batched.wgsl.clone());
                    info.batch = Some(run.clone());
                    kernels.push(info);
                }
                pending.push((
                    run,
                    vec![(pipeline, batched.bindings, batched.workgroups, batched.wgsl)],
                ));
                continue;
            }
            let position = run.start;
            let kernel = &fusion.kernels[position];
            let mut info = kernel_info(&nodes, &fusion, position);
            let label = format!("kernel {position}");
            // (pipeline, bindings, workgroups) of each dispatch of this kernel.
            let mut dispatches = Vec::new();
            if let KernelKind::Contraction { .. } = kernel.kind {
                let built = contraction(&nodes, &fusion, position, &caps, options.precision)
                    .map_err(GraphError::Kernel)?;
                // SAFETY: the template's accesses are in bounds by construction; the
                // epilogue reads its bindings at indices of tensors of the bound shapes.
                let compiled =
                    unsafe { MatmulKernel::new(gpu, built.spec.clone(), built.template) }
                        .map_err(GraphError::Kernel)?;
                info.shaders.push(compiled.wgsl.clone());
                dispatches.push((
                    compiled.pipeline,
                    built.template_bindings(),
                    compiled.workgroups,
                    compiled.wgsl,
                ));
                if let Some((wgsl, bindings, workgroups)) = built.sum() {
                    // SAFETY: the sum kernel guards its index against the element count.
                    let pipeline =
                        unsafe { gpu.pipeline_unchecked(&format!("{label} sum"), &wgsl, "main") }?;
                    info.shaders.push(wgsl.clone());
                    scratch_floats = scratch_floats.max(built.scratch_len());
                    dispatches.push((pipeline, bindings, workgroups, wgsl));
                }
            } else {
                let (generated, scratch) = generate(&nodes, &fusion, position);
                scratch_floats = scratch_floats.max(scratch);
                for part in generated {
                    // SAFETY: generated kernels guard the thread index against the element
                    // count, and every index they form is a coordinate of a tensor bound
                    // at its full size (the scratch buffer at its planned size).
                    let pipeline = unsafe { gpu.pipeline_unchecked(&label, &part.wgsl, "main") }?;
                    info.shaders.push(part.wgsl.clone());
                    dispatches.push((pipeline, part.bindings, part.workgroups, part.wgsl));
                }
            }
            kernels.push(info);
            pending.push((run, dispatches));
        }
        let scratch = gpu.storage_buffer("split partial sums", scratch_floats * 4);
        for (run, dispatches) in pending {
            for (pipeline, bindings, workgroups, wgsl) in dispatches {
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
                        Binding::Tensor(_) | Binding::Scratch => {}
                    }
                }
                let mut next_table = tables.len()
                    - bindings
                        .iter()
                        .filter(|b| matches!(b, Binding::GatherTable(_) | Binding::SegmentTable(_)))
                        .count();
                let mut resources: Vec<&wgpu::Buffer> = Vec::new();
                for binding in &bindings {
                    match binding {
                        Binding::Tensor(id) => resources.push(&buffers[buffer_of[id]]),
                        Binding::Scratch => resources.push(&scratch),
                        _ => {
                            resources.push(&tables[next_table]);
                            next_table += 1;
                        }
                    }
                }
                let bind_group = gpu.bind_used(&pipeline, &wgsl, "main", &resources)?;
                steps.push(Step {
                    kernels: run.clone(),
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
            _scratch: scratch,
            steps,
            assigns,
            names,
            outputs,
            plan,
            kernels,
        })
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
            let first = step.kernels.start;
            let label = if step.kernels.len() == 1 {
                let info = &self.kernels[first];
                format!("{first:3} {} {}", info.kind, info.ops.join(" → "))
            } else {
                format!(
                    "{first:3}-{} pointwise batch of {} kernels",
                    step.kernels.end - 1,
                    step.kernels.len()
                )
            };
            timer.mark(pass, label);
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

/// Kernel `position` as listed by [`GpuProgram::kernels`], without its shaders yet.
fn kernel_info(nodes: &[Node], fusion: &FusionPlan, position: usize) -> KernelInfo {
    let kernel = &fusion.kernels[position];
    KernelInfo {
        kind: match kernel.kind {
            KernelKind::Pointwise => "pointwise".into(),
            KernelKind::Reduce { .. } => "reduce".into(),
            KernelKind::Segment { .. } => "segment".into(),
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

/// Lifetimes of materialised tensors in kernel steps, and their buffer slots. Leaves,
/// outputs and assigned values are pinned.
fn plan_buffers(
    nodes: &[Node],
    fusion: &FusionPlan,
    outputs: &HashMap<String, TensorId>,
    assigns: &[(TensorId, TensorId)],
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
    let mut tensors: Vec<TensorId> = (0..nodes.len())
        .map(|index| TensorId(index as u32))
        .filter(|id| fusion.materialized[id.index()])
        .collect();
    tensors.sort_unstable();
    let output_ids: Vec<TensorId> = outputs.values().copied().collect();
    let lifetimes: Vec<Lifetime> = tensors
        .iter()
        .map(|&id| {
            let pinned = is_leaf(&nodes[id.index()].op)
                || output_ids.contains(&id)
                || assigns.iter().any(|(value, _)| *value == id);
            Lifetime {
                tensor: id,
                bytes: nodes[id.index()].shape.num_elements() as u64 * 4,
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
