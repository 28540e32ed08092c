//! A graph compiled for wgpu: fused kernels, a static buffer plan, pre-built pipelines and
//! bind groups. `run` records every dispatch into one compute pass and submits once;
//! values stay on the GPU until `read` asks for them.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;

use super::generate::{Binding, segment_table};
use super::in_place;
use super::merge::Part;
use super::schedule::{self, MergeLimits};
use crate::gpu::timing::Timestamps;
use crate::gpu::{Gpu, ReadRange, Readback};
use crate::graph::CompileOptions;
use crate::graph::GraphError;
use crate::graph::fuse::{self, FusionPlan, Source, resolve};
use crate::graph::init::initial_values;
use crate::graph::ir::{Graph, Node, Op, TensorId};
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
    /// (value tensor, target tensor) of the assigns not stored in place: copied at the end
    /// of each run.
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
    /// Compiles `graph` for `gpu`: fusion, the kernels that are not pointwise (built first,
    /// as deferring their finishing passes extends lifetimes), the buffer plan and its
    /// buffers, scratch regions, the dispatch order with merges (`schedule.rs`), and last
    /// every pipeline and bind group.
    pub fn compile(
        graph: &Graph,
        gpu: &Arc<Gpu>,
        options: &CompileOptions,
    ) -> Result<Self, GraphError> {
        let nodes = graph.nodes().clone();
        let max_buffers = gpu.limits.max_storage_buffers_per_shader_stage as usize;
        let mut fusion = fuse::fuse(graph, options.fuse, max_buffers);
        let outputs: HashMap<String, TensorId> = graph.outputs().into_iter().collect();
        let (names, assigns) = names_and_assigns(&nodes, &fusion);
        fusion.in_place = in_place::in_place_assigns(&nodes, &fusion, &assigns);
        // Only the assigns not stored in place are copied.
        let assigns: Vec<(TensorId, TensorId)> = assigns
            .into_iter()
            .filter(|(value, _)| !fusion.in_place.contains_key(value))
            .collect();
        let mut built = schedule::build_kernels(gpu, &nodes, &fusion, options.precision)?;
        let extended = schedule::defer_finishers(&nodes, &fusion, &mut built)?;
        let (plan, buffer_of) = plan_buffers(&nodes, &fusion, &outputs, &assigns, &extended);
        let alignment = u64::from(gpu.limits.min_storage_buffer_offset_alignment).max(4);
        let scratch_bytes = schedule::assign_scratch(&mut built, alignment);
        check_sizes(gpu, &nodes, &buffer_of, scratch_bytes)?;
        let buffers = allocate(gpu, &nodes, &plan, &buffer_of, options.seed);
        let (mut pending, kernels) = schedule::order(
            &nodes,
            &fusion,
            &buffer_of,
            built,
            options.fuse,
            max_buffers,
        );
        if options.fuse {
            let limits = MergeLimits {
                buffers: max_buffers,
                workgroup_bytes: u64::from(gpu.limits.max_compute_workgroup_storage_size),
            };
            pending = schedule::merge_independent(pending, &buffer_of, limits);
        }
        let scratch = gpu.storage_buffer("split partial sums", scratch_bytes.max(4));
        let resources = Resources {
            nodes: &nodes,
            buffers: &buffers,
            buffer_of: &buffer_of,
            scratch: &scratch,
        };
        let mut tables = Vec::new();
        let mut steps = Vec::new();
        for (label, parts) in pending {
            for part in parts {
                steps.push(resources.step(gpu, &label, part, &mut tables)?);
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

    /// Reads a value back, waiting for the GPU: for tools and tests (the training path
    /// uses [`GpuProgram::record_read`]).
    pub fn read(&self, name: &str) -> Result<Vec<f32>, GraphError> {
        let id = self.lookup(name)?;
        let count = self.nodes[id.index()].shape.num_elements();
        Ok(self.gpu.read(&self.buffers[self.buffer_of[&id]], count)?)
    }

    /// Records into `encoder` copies of the named values (inputs, parameters, states or
    /// outputs) into one staging buffer; submit it, then hand the submission to
    /// [`Readback::submitted`]. Part `i` of the readback holds `names[i]`'s f32s.
    pub fn record_read(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        names: &[&str],
    ) -> Result<Readback, GraphError> {
        let mut ranges = Vec::with_capacity(names.len());
        for name in names {
            let id = self.lookup(name)?;
            let count = self.nodes[id.index()].shape.num_elements();
            ranges.push(ReadRange::elements::<f32>(
                &self.buffers[self.buffer_of[&id]],
                count,
            ));
        }
        Ok(self.gpu.record_readback(encoder, &ranges)?)
    }

    /// Submits copies of the named values and starts bringing them back (no waiting).
    pub fn start_read(&self, names: &[&str]) -> Result<Readback, GraphError> {
        let mut encoder = self
            .gpu
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("program read"),
            });
        let mut readback = self.record_read(&mut encoder, names)?;
        readback.submitted(self.gpu.queue.submit([encoder.finish()]));
        Ok(readback)
    }

    /// Records copies of the named values of `from` into the same names of `self` (both
    /// on one device), for example trained parameters into an inference program.
    pub fn record_copy_from(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        from: &GpuProgram,
        names: &[String],
    ) -> Result<(), GraphError> {
        for name in names {
            let source = from.lookup(name)?;
            let target = self.lookup(name)?;
            let bytes = self.nodes[target.index()].shape.num_elements() as u64 * 4;
            let from_bytes = from.nodes[source.index()].shape.num_elements() as u64 * 4;
            if bytes != from_bytes {
                return Err(GraphError::WrongLength {
                    name: name.clone(),
                    expected: bytes as usize / 4,
                    got: from_bytes as usize / 4,
                });
            }
            encoder.copy_buffer_to_buffer(
                &from.buffers[from.buffer_of[&source]],
                0,
                &self.buffers[self.buffer_of[&target]],
                0,
                bytes,
            );
        }
        Ok(())
    }

    /// The device the program runs on.
    pub fn gpu(&self) -> &Arc<Gpu> {
        &self.gpu
    }

    /// How many assigns are copied at the end of each run (the rest are stored in place by
    /// the kernels that compute them).
    pub fn assign_copies(&self) -> usize {
        self.assigns.len()
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

/// The names of the graph's inputs, parameters and states, and its assigns as (value's
/// buffer tensor, target) pairs: fusion materialises every assigned value.
fn names_and_assigns(
    nodes: &[Node],
    fusion: &FusionPlan,
) -> (HashMap<String, TensorId>, Vec<(TensorId, TensorId)>) {
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
                    resolve(nodes, &fusion.kernel_of, None, node.inputs[0], 0)
                else {
                    unreachable!("fusion materialises assigned values")
                };
                assigns.push((base, *target));
            }
            _ => {}
        }
    }
    (names, assigns)
}

/// Refuses, with a message naming the limit, a program whose largest tensor does not fit
/// one storage binding (or buffer) of `gpu`, or whose split kernels' partial sums do not
/// fit one buffer: WebGPU's defaults are 128 MiB and 256 MiB.
fn check_sizes(
    gpu: &Gpu,
    nodes: &[Node],
    buffer_of: &HashMap<TensorId, usize>,
    scratch_bytes: u64,
) -> Result<(), GraphError> {
    let binding_limit = gpu
        .limits
        .max_storage_buffer_binding_size
        .min(gpu.limits.max_buffer_size);
    let largest = buffer_of
        .keys()
        .map(|id| &nodes[id.index()].shape)
        .max_by_key(|shape| shape.num_elements());
    if let Some(shape) = largest {
        let bytes = shape.num_elements() as u64 * 4;
        if bytes > binding_limit {
            return Err(GraphError::Unsupported(format!(
                "a {:?} tensor of the program needs {bytes} bytes, over this device's \
                 {binding_limit}-byte storage binding limit: use a smaller batch or network",
                shape.dims()
            )));
        }
    }
    if scratch_bytes > gpu.limits.max_buffer_size {
        return Err(GraphError::Unsupported(format!(
            "the program's partial sums need {scratch_bytes} bytes, over this device's {}-byte \
             buffer limit: use a smaller batch or network",
            gpu.limits.max_buffer_size
        )));
    }
    Ok(())
}

/// The planned buffers, with parameters, states and constants holding their initial
/// values.
fn allocate(
    gpu: &Gpu,
    nodes: &[Node],
    plan: &BufferPlan,
    buffer_of: &HashMap<TensorId, usize>,
    seed: u64,
) -> Vec<wgpu::Buffer> {
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
    buffers
}

/// What a dispatch's bindings resolve to.
struct Resources<'a> {
    nodes: &'a [Node],
    buffers: &'a [wgpu::Buffer],
    buffer_of: &'a HashMap<TensorId, usize>,
    scratch: &'a wgpu::Buffer,
}

impl Resources<'_> {
    /// The pipeline and bind group of `part`, uploading the gather and segment tables it
    /// binds into `tables`. Pipelines are built only now, once merges are known, so that
    /// no part merged into another is compiled for nothing.
    fn step(
        &self,
        gpu: &Gpu,
        label: &str,
        part: Part,
        tables: &mut Vec<wgpu::Buffer>,
    ) -> Result<Step, GraphError> {
        // SAFETY: generated kernels guard their thread index against the element count and
        // index tensors bound at their full size (scratch regions at their planned size);
        // the templates' accesses are in bounds by construction and their epilogues read
        // tensors of the bound shapes; a merged shader runs each part at that part's own
        // workgroup index.
        let pipeline = unsafe { gpu.pipeline_unchecked(label, &part.wgsl, "main") }?;
        let Part {
            wgsl,
            bindings,
            workgroups,
        } = part;
        let first_table = tables.len();
        for binding in &bindings {
            match binding {
                Binding::GatherTable(id) => {
                    let Op::Gather { indices, .. } = &self.nodes[id.index()].op else {
                        unreachable!("gather table of a non-gather node")
                    };
                    tables.push(gpu.upload("gather indices", indices));
                }
                Binding::SegmentTable(id) => {
                    let node = &self.nodes[id.index()];
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
                Binding::Tensor(id) => self.buffers[self.buffer_of[id]].as_entire_buffer_binding(),
                Binding::Scratch => unreachable!("split kernels bind their own scratch regions"),
                &Binding::ScratchRegion { offset, bytes } => wgpu::BufferBinding {
                    buffer: self.scratch,
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
        Ok(Step {
            label: label.to_owned(),
            wgsl,
            pipeline,
            bind_group,
            workgroups,
        })
    }
}

/// Tensors up to this size get buffers of their own. A shared buffer orders the kernels
/// that use it: one that overwrites a slot cannot run in the same dispatch as an earlier
/// kernel still reading it, which kept the loss's row reductions apart. Sharing small
/// buffers saves little, and costs memory where a small tensor takes a large free slot
/// (best fit) that a large tensor then has to do without: the chess training step's plan
/// went from 337 to 305 MB with this.
const OWN_SLOT_BYTES: u64 = 1 << 20;

/// Lifetimes of materialised tensors in kernel steps, and their buffer slots. Leaves,
/// outputs, assigned values (copied at the end of the step) and tensors of at most
/// [`OWN_SLOT_BYTES`] are pinned; values stored in place share their targets' slots.
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
    // Values stored in place take their targets' buffers (below).
    let mut tensors: Vec<TensorId> = (0..nodes.len())
        .map(|index| TensorId(index as u32))
        .filter(|id| fusion.materialized[id.index()] && !fusion.in_place.contains_key(id))
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
    let mut buffer_of: HashMap<TensorId, usize> = tensors
        .iter()
        .enumerate()
        .map(|(index, &id)| (id, plan.slot_of[index]))
        .collect();
    for (value, target) in &fusion.in_place {
        buffer_of.insert(*value, buffer_of[target]);
    }
    (plan, buffer_of)
}
