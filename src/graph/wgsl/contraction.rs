//! Matrix products and convolutions: a [`MatmulSpec`] for the template of
//! `graph::kernels`, with operands read in place (strided) and the kernel's pointwise
//! epilogue rendered as the template's `epilogue` function.

use std::fmt::Write;

use super::generate::{Binding, Emitter};
use super::index::{BufferNames, Ix};
use crate::graph::fuse::{FusionPlan, KernelKind, Source, resolve};
use crate::graph::ir::{Node, Op, TensorId};
use crate::graph::kernels::conv::grad_weight_splits;
use crate::graph::kernels::{
    AdapterCaps, BoardConv, ConvShape, Epilogue, KernelError, MatmulSpec, Operand, Template,
    choose_coop_tiles, choose_tiles, conv2d_forward, conv2d_grad_input, conv2d_grad_weight,
    coop_suits, coop_tiles_override,
};
use crate::graph::program::Precision;
use crate::graph::shape::Shape;
use crate::graph::strided::{affine_view, matrix_layout};

/// A contraction kernel ready for the template: its spec and what to bind (0 = A, 1 = B,
/// 2 = C, then the epilogue's reads).
///
/// With `splits > 1` the reduction is cut into that many slices, the template writes their
/// partial sums (`[splits, m, n]`) to the scratch buffer, and a second kernel
/// ([`Contraction::sum`]) adds them up and applies the epilogue.
pub struct Contraction {
    pub spec: MatmulSpec,
    pub template: Template,
    pub bindings: Vec<Binding>,
    pub splits: u32,
    /// The epilogue, moved to the sum kernel when split.
    pub epilogue: Epilogue,
}

/// The power of two gradient operands are multiplied by before rounding to f16 on tensor
/// cores, for a convolution over `batch` images: gradients of a batch-mean loss shrink
/// like 1/batch, so `16 · batch` (rounded up) brings them back to per-sample sizes with
/// 16× headroom above f16's smallest normal value (6.1e-5), leaving room for per-sample
/// gradients up to 65,504 / 16 = 4,094.
pub fn gradient_scale(batch: u32) -> f32 {
    (16 * batch.max(1)).next_power_of_two() as f32
}

impl Contraction {
    /// Floats of partial sums the split needs (0 unsplit).
    pub fn scratch_len(&self) -> u64 {
        if self.splits > 1 {
            u64::from(self.splits) * u64::from(self.spec.m) * u64::from(self.spec.n)
        } else {
            0
        }
    }

    /// The kernel that sums the partial products and applies the epilogue, and its
    /// bindings (0 = scratch, 1 = the result, then the epilogue's), when split.
    pub fn sum(&self) -> Option<(String, Vec<Binding>, [u32; 3])> {
        if self.splits <= 1 {
            return None;
        }
        let count = u64::from(self.spec.m) * u64::from(self.spec.n);
        let (workgroups, thread) = super::generate::grid(count);
        let mut declarations = String::new();
        for (offset, declaration) in self.epilogue.bindings.iter().enumerate() {
            let _ = writeln!(
                declarations,
                "@group(0) @binding({}) {declaration}",
                offset + 2
            );
        }
        let wgsl = format!(
            "@group(0) @binding(0) var<storage, read> partial: array<f32>;
@group(0) @binding(1) var<storage, read_write> result: array<f32>;
{declarations}
{epilogue}
@compute @workgroup_size({workgroup})
{main}
    let gid = vec3<u32>(wid.x * {workgroup}u + lid, wid.y, 0u);
    let i = {thread};
    if i >= {count}u {{
        return;
    }}
    var acc = 0.0f;
    for (var s = 0u; s < {splits}u; s++) {{
        acc += partial[s * {count}u + i];
    }}
    result[i] = epilogue(acc, 0u, i / {n}u, i % {n}u);
}}
",
            epilogue = self.epilogue.body,
            main = super::merge::FINISHING_MAIN,
            workgroup = super::generate::WORKGROUP,
            splits = self.splits,
            n = self.spec.n,
        );
        let mut bindings = vec![Binding::Scratch, self.bindings[2].clone()];
        bindings.extend_from_slice(&self.bindings[3..]);
        Some((super::index::with_prelude(wgsl), bindings, workgroups))
    }

    /// The template's own bindings: with a split, C is the scratch buffer and the epilogue
    /// moves to the sum kernel.
    pub fn template_bindings(&self) -> Vec<Binding> {
        if self.splits > 1 {
            vec![
                self.bindings[0].clone(),
                self.bindings[1].clone(),
                Binding::Scratch,
            ]
        } else {
            self.bindings.clone()
        }
    }
}

/// Workgroups a hardware GPU needs to be busy; a software one runs a few at a time.
fn busy_workgroups(caps: &AdapterCaps) -> u64 {
    if caps.software { 4 } else { 512 }
}

/// The shallowest slice of a split dense product. A small product such as a value head's
/// `[64, 1024]ᵀ × [1024, 64]` weight gradient fills only a few tiles, so its time is the
/// chain of k steps of one slice, each waiting on a load: shallow slices keep that chain
/// short (docs/performance-history.md, "Fewer dispatches", change 4).
const MIN_SLICE_DEPTH: u32 = 64;

/// Slices for a plain `[m, k]ᵀ × [k, n]` product (the weight gradient of a dense layer):
/// enough that the tiles keep the GPU busy, each at least `MIN_SLICE_DEPTH` deep, dividing
/// k.
fn matmul_splits(spec: &MatmulSpec, caps: &AdapterCaps) -> u32 {
    let tiles = choose_tiles(spec, caps);
    let workgroups =
        u64::from(spec.m.div_ceil(tiles.tile_m)) * u64::from(spec.n.div_ceil(tiles.tile_n));
    let wanted = busy_workgroups(caps).div_ceil(workgroups.max(1)) as u32;
    let deepest = (spec.k / MIN_SLICE_DEPTH).max(1);
    let mut splits = wanted.clamp(1, deepest);
    while splits > 1 && !spec.k.is_multiple_of(splits) {
        splits -= 1;
    }
    splits
}

/// The buffer an operand is read from and, for matmuls, its strided layout in a product
/// with batch shape `batch`. Fusion guarantees operands are expressible (it copies the
/// others first).
fn operand(
    nodes: &[Node],
    plan: &FusionPlan,
    tensor: TensorId,
    batch: Option<Shape>,
) -> (TensorId, Option<Operand>) {
    let Source::Load { views, base } = resolve(nodes, &plan.kernel_of, None, tensor, 0) else {
        unreachable!("fusion materialises literal operands")
    };
    let affine = affine_view(nodes, &views, base).expect("fusion copies non-strided operands");
    let layout = batch.map(|batch| {
        let layout = matrix_layout(&affine, nodes[tensor.index()].shape, batch)
            .expect("fusion copies operands without a matrix layout");
        Operand::strided(layout.transposed, layout.batch_stride as u32)
    });
    (base, layout)
}

/// Builds the contraction kernel `position` of `plan` (central node `node`).
pub fn contraction(
    nodes: &[Node],
    plan: &FusionPlan,
    position: usize,
    caps: &AdapterCaps,
    precision: Precision,
) -> Result<Contraction, KernelError> {
    let kernel = &plan.kernels[position];
    let KernelKind::Contraction { node } = kernel.kind else {
        unreachable!("not a contraction kernel")
    };
    let central = &nodes[node.index()];
    let out_shape = central.shape;
    let (a_input, b_input) = (central.inputs[0], central.inputs[1]);
    let mut splits = 1;
    // Which operand is a gradient (scaled on tensor cores), for convolutions.
    let mut conv_gradient = None;
    // The image a 3×3 convolution pass reads, for the board template.
    let mut board = None;
    let tensor_cores = precision == Precision::F16TensorCores && caps.tensor_cores;
    let (mut spec, a, b) = match central.op {
        Op::MatMul => {
            let rank = out_shape.rank();
            let batch = Shape::new(&out_shape.dims()[..rank - 2]);
            let (a, a_layout) = operand(nodes, plan, a_input, Some(batch));
            let (b, b_layout) = operand(nodes, plan, b_input, Some(batch));
            let a_shape = nodes[a_input.index()].shape;
            let spec = MatmulSpec {
                batch: batch.num_elements() as u32,
                m: out_shape.dims()[rank - 2] as u32,
                n: out_shape.dims()[rank - 1] as u32,
                k: a_shape.dims()[a_shape.rank() - 1] as u32,
                a: a_layout.expect("matmul layout"),
                b: b_layout.expect("matmul layout"),
                epilogue: Epilogue::identity(),
                accumulate: false,
            };
            (spec, a, b)
        }
        Op::Conv2d { kernel: size }
        | Op::Conv2dGradInput { kernel: size }
        | Op::Conv2dGradWeight { kernel: size } => {
            let (a, _) = operand(nodes, plan, a_input, None);
            let (b, _) = operand(nodes, plan, b_input, None);
            let first = nodes[a_input.index()].shape.dims().to_vec();
            let second = nodes[b_input.index()].shape.dims().to_vec();
            let (in_channels, out_channels) = match central.op {
                Op::Conv2d { .. } => (first[3], second[3]),
                // [grad_output, weight]: the weight says both.
                Op::Conv2dGradInput { .. } => (second[2], second[3]),
                // [input, grad_output].
                _ => (first[3], second[3]),
            };
            let shape = ConvShape {
                batch: first[0] as u32,
                height: first[1] as u32,
                width: first[2] as u32,
                in_channels: in_channels as u32,
                out_channels: out_channels as u32,
                kernel: size as u32,
            };
            let spec = match central.op {
                Op::Conv2d { .. } => {
                    conv_gradient = Some((shape.batch, None));
                    board = (size == 3).then(|| BoardConv::forward(&shape));
                    conv2d_forward(&shape)?
                }
                Op::Conv2dGradInput { .. } => {
                    conv_gradient = Some((shape.batch, Some(0)));
                    board = (size == 3).then(|| BoardConv::grad_input(&shape));
                    conv2d_grad_input(&shape)?
                }
                _ => {
                    conv_gradient = Some((shape.batch, Some(1)));
                    board = (size == 3).then(|| BoardConv::grad_weight(&shape));
                    splits = grad_weight_splits(&shape, caps);
                    if tensor_cores {
                        // Slices of a power-of-two pixel count divide the board batches
                        // into whole 32-deep k steps, which runs faster than a count that
                        // splits them (docs/kernel-archetypes.md, "Precision").
                        splits = splits
                            .next_power_of_two()
                            .min((shape.pixels() / 256).max(1));
                    }
                    conv2d_grad_weight(&shape, splits)?
                }
            };
            (spec, a, b)
        }
        ref other => unreachable!("{} is not a contraction", other.name()),
    };
    if let (
        Op::MatMul,
        1,
        Operand::Strided {
            transposed: true, ..
        },
        Operand::Strided {
            transposed: false, ..
        },
    ) = (&central.op, spec.batch, &spec.a, &spec.b)
    {
        splits = matmul_splits(&spec, caps);
        if splits > 1 {
            // Slice z of the reduction: rows z·k/s.. of both stored operands.
            let depth = spec.k / splits;
            spec.a = Operand::strided(true, depth * spec.m);
            spec.b = Operand::strided(false, depth * spec.n);
            spec.batch = splits;
            spec.k = depth;
        }
    }
    let tip = *kernel.members.last().expect("non-empty kernel");
    let mut bindings = vec![Binding::Tensor(a), Binding::Tensor(b), Binding::Tensor(tip)];
    let fused = epilogue(nodes, plan, position, node, &spec, &mut bindings);
    let epilogue = if splits > 1 {
        fused
    } else {
        spec.epilogue = fused.clone();
        fused
    };
    let template = match conv_gradient {
        Some((batch, gradient)) if tensor_cores && coop_suits(&spec) => {
            let scale = |operand| {
                if gradient == Some(operand) {
                    gradient_scale(batch)
                } else {
                    1.0
                }
            };
            let forced = coop_tiles_override()?;
            match board {
                // A forced tile shape measures the implicit-GEMM template on every product.
                Some(conv) if forced.is_none() && conv.validate(&spec).is_ok() => Template::Board {
                    conv,
                    scale_a: scale(0),
                    scale_b: scale(1),
                },
                _ => Template::Coop {
                    tiles: forced.unwrap_or_else(|| choose_coop_tiles(&spec)),
                    scale_a: scale(0),
                    scale_b: scale(1),
                },
            }
        }
        _ => Template::Fma(choose_tiles(&spec, caps)),
    };
    Ok(Contraction {
        spec,
        template,
        bindings,
        splits,
        epilogue,
    })
}

/// The members after the central node as the template's `epilogue` function, declaring
/// the buffers they read (appended to `bindings`).
fn epilogue(
    nodes: &[Node],
    plan: &FusionPlan,
    position: usize,
    node: TensorId,
    spec: &MatmulSpec,
    bindings: &mut Vec<Binding>,
) -> Epilogue {
    let kernel = &plan.kernels[position];
    let members: Vec<TensorId> = kernel
        .members
        .iter()
        .copied()
        .filter(|&m| m > node)
        .collect();
    if members.is_empty() {
        return Epilogue::identity();
    }
    let buffers = plan.buffers(nodes, position);
    let operands = [bindings[0].clone(), bindings[1].clone()];
    let mut names = BufferNames::default();
    let mut declarations = Vec::new();
    for id in buffers.tensors {
        let binding = Binding::Tensor(id);
        // The operands and the output are bound already; the epilogue reads operands
        // through extra bindings of its own only if it needs them.
        if members.contains(&id) || (id == node) {
            continue;
        }
        if operands.contains(&binding) && !epilogue_reads(nodes, plan, position, &members, id) {
            continue;
        }
        let name = format!("e{}", declarations.len());
        declarations.push(format!("var<storage, read> {name}: array<f32>;"));
        names.tensors.insert(id, name);
        bindings.push(binding);
    }
    for id in buffers.tables {
        let name = format!("e{}", declarations.len());
        declarations.push(format!("var<storage, read> {name}: array<u32>;"));
        names.tables.insert(id, name);
        bindings.push(Binding::GatherTable(id));
    }
    let emitter = Emitter {
        nodes,
        plan,
        position,
        names: &names,
        stores: false,
    };
    let mut body = String::new();
    let index = Ix::var("oi");
    for &member in &members {
        emitter.member(member, &index, &mut body);
    }
    let tip = members.last().expect("non-empty");
    let mut text = String::new();
    let _ = write!(
        text,
        "fn epilogue(value: f32, batch: u32, row: u32, col: u32) -> f32 {{
    let oi = (batch * {m}u + row) * {n}u + col;
    let v{node} = value;
{body}    return v{tip};
}}
",
        m = spec.m,
        n = spec.n,
        node = node.0,
        tip = tip.0,
    );
    Epilogue {
        bindings: declarations,
        body: text,
    }
}

/// Whether the epilogue `members` load tensor `id` from its buffer.
fn epilogue_reads(
    nodes: &[Node],
    plan: &FusionPlan,
    position: usize,
    members: &[TensorId],
    id: TensorId,
) -> bool {
    members.iter().any(|&member| {
        let space = nodes[member.index()].shape.num_elements();
        nodes[member.index()].inputs.iter().any(|&input| {
            matches!(
                resolve(nodes, &plan.kernel_of, Some(position), input, space),
                Source::Load { base, .. } if crate::graph::fuse::concat_bases(nodes, &plan.kernel_of, base).contains(&id)
            )
        })
    })
}
