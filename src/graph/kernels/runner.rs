//! Running one matmul kernel: the pipeline, bind groups with size checks, dispatch, and a
//! one-call host round trip for tests and benchmarks.

use std::sync::Arc;

use super::board::{BoardConv, board_wgsl, board_workgroups};
use super::coop::{CoopTiles, coop_wgsl, coop_workgroups};
use super::spec::MatmulSpec;
use super::tuning::{AdapterCaps, Tiles};
use super::{KernelError, matmul_wgsl, workgroups};
use crate::gpu::Gpu;

/// Which template computes a matmul, with its parameters.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Template {
    /// f32 fused multiply-adds, register-blocked ([`super::matmul`]).
    Fma(Tiles),
    /// f16 cooperative matrices with f32 accumulation ([`super::coop`]); the operands are
    /// multiplied by `scale_a` / `scale_b` before rounding to f16.
    Coop {
        tiles: CoopTiles,
        scale_a: f32,
        scale_b: f32,
    },
    /// A 3×3 convolution pass over small boards on f16 cooperative matrices, each input
    /// row staged once per workgroup for all nine taps ([`super::board`]); operands scaled
    /// as for `Coop`.
    Board {
        conv: BoardConv,
        scale_a: f32,
        scale_b: f32,
    },
}

impl From<Tiles> for Template {
    fn from(tiles: Tiles) -> Self {
        Template::Fma(tiles)
    }
}

impl From<&Tiles> for Template {
    fn from(tiles: &Tiles) -> Self {
        Template::Fma(*tiles)
    }
}

impl Template {
    /// A short name for benchmark output.
    pub fn name(&self) -> String {
        match self {
            Template::Fma(tiles) => tiles.name(),
            Template::Coop { tiles, .. } => tiles.name(),
            Template::Board { conv, .. } => conv.name(),
        }
    }

    /// Invocations per workgroup.
    pub fn threads(&self) -> u32 {
        match self {
            Template::Fma(tiles) => tiles.threads(),
            Template::Coop { tiles, .. } => tiles.threads(),
            Template::Board { conv, .. } => conv.threads(),
        }
    }

    /// Workgroup memory per workgroup, in bytes.
    pub fn workgroup_storage_bytes(&self) -> u32 {
        match self {
            Template::Fma(tiles) => tiles.workgroup_storage_bytes(),
            Template::Coop { tiles, .. } => tiles.workgroup_storage_bytes(),
            Template::Board { conv, .. } => conv.workgroup_storage_bytes(),
        }
    }

    /// The cooperative-matrix template with unscaled operands.
    pub fn coop(tiles: CoopTiles) -> Self {
        Template::Coop {
            tiles,
            scale_a: 1.0,
            scale_b: 1.0,
        }
    }
}

/// A compiled matmul: its spec, template, WGSL, pipeline and dispatch size.
pub struct MatmulKernel {
    pub spec: MatmulSpec,
    pub template: Template,
    pub wgsl: String,
    pub pipeline: Arc<wgpu::ComputePipeline>,
    pub workgroups: [u32; 3],
}

impl MatmulKernel {
    /// Generates the shader and builds it as an unchecked pipeline (no bounds checks, no
    /// workgroup-memory zeroing), after checking the tiles and binding count against the
    /// device's caps.
    ///
    /// # Safety
    /// The template's own accesses are in bounds by construction, and [`Self::bind`] checks
    /// the strided operands and C. Custom loaders and the epilogue are trusted code: they
    /// must only read or write their bindings in bounds for every buffer later bound.
    ///
    /// [`Template::Coop`] and [`Template::Board`] need an adapter with [`AdapterCaps::tensor_cores`].
    pub unsafe fn new(
        gpu: &Gpu,
        spec: MatmulSpec,
        template: impl Into<Template>,
    ) -> Result<Self, KernelError> {
        let template = template.into();
        let (wgsl, workgroups) = Self::shader(gpu, &spec, template)?;
        let label = format!(
            "matmul {}x{}x{} {}",
            spec.m,
            spec.n,
            spec.k,
            template.name()
        );
        // SAFETY: forwarded to the caller (see above).
        let pipeline = unsafe { gpu.pipeline_unchecked(&label, &wgsl, "main") }?;
        Ok(Self {
            workgroups,
            spec,
            template,
            wgsl,
            pipeline,
        })
    }

    /// The shader computing `spec` with `template` and its workgroup grid, after the
    /// checks of [`Self::new`], without building a pipeline (for callers that build it
    /// later, or merge it with others first).
    pub fn shader(
        gpu: &Gpu,
        spec: &MatmulSpec,
        template: Template,
    ) -> Result<(String, [u32; 3]), KernelError> {
        let caps = AdapterCaps::of(gpu);
        if spec.storage_buffers() > caps.max_storage_buffers_per_stage {
            return Err(KernelError::TooManyBindings {
                needed: spec.storage_buffers(),
                available: caps.max_storage_buffers_per_stage,
            });
        }
        Ok(match &template {
            Template::Fma(tiles) => {
                tiles.check(&caps)?;
                (matmul_wgsl(spec, tiles)?, workgroups(spec, tiles))
            }
            Template::Coop {
                tiles,
                scale_a,
                scale_b,
            } => {
                tensor_core_fit(gpu, &caps, &tiles.name(), tiles.workgroup_storage_bytes())?;
                (
                    coop_wgsl(spec, tiles, *scale_a, *scale_b)?,
                    coop_workgroups(spec, tiles),
                )
            }
            Template::Board {
                conv,
                scale_a,
                scale_b,
            } => {
                tensor_core_fit(gpu, &caps, &conv.name(), conv.workgroup_storage_bytes())?;
                (
                    board_wgsl(spec, conv, *scale_a, *scale_b)?,
                    board_workgroups(spec, conv),
                )
            }
        })
    }

    /// The bind group of A, B, C and the epilogue's buffers (bindings 0, 1, 2, 3…), after
    /// checking that the strided operands and C are large enough for the spec.
    pub fn bind(
        &self,
        gpu: &Gpu,
        a: &wgpu::Buffer,
        b: &wgpu::Buffer,
        c: &wgpu::Buffer,
        epilogue: &[&wgpu::Buffer],
    ) -> Result<wgpu::BindGroup, KernelError> {
        for (name, buffer, floats) in [
            ("A", a, self.spec.a_len()),
            ("B", b, self.spec.b_len()),
            ("C", c, Some(self.spec.output_len())),
        ] {
            if let Some(floats) = floats
                && buffer.size() < floats * 4
            {
                return Err(KernelError::BufferTooSmall {
                    name: name.to_owned(),
                    bytes: buffer.size(),
                    needed: floats * 4,
                });
            }
        }
        if epilogue.len() != self.spec.epilogue.bindings.len() {
            return Err(KernelError::WrongLength {
                name: "epilogue buffers".to_owned(),
                expected: self.spec.epilogue.bindings.len() as u64,
                actual: epilogue.len() as u64,
            });
        }
        let mut buffers = vec![a, b, c];
        buffers.extend_from_slice(epilogue);
        Ok(gpu.bind_buffers(&self.pipeline, &buffers))
    }

    /// Records one dispatch of the kernel into `pass`.
    pub fn record(&self, pass: &mut wgpu::ComputePass, bind_group: &wgpu::BindGroup) {
        pass.set_pipeline(&self.pipeline);
        pass.set_bind_group(0, bind_group, &[]);
        let [x, y, z] = self.workgroups;
        pass.dispatch_workgroups(x, y, z);
    }
}

/// Checks that the adapter runs the tensor-core templates and offers `bytes` of workgroup
/// memory for `tiles`.
fn tensor_core_fit(
    gpu: &Gpu,
    caps: &AdapterCaps,
    tiles: &str,
    bytes: u32,
) -> Result<(), KernelError> {
    if !caps.tensor_cores {
        return Err(KernelError::NoTensorCores {
            adapter: gpu.info.name.clone(),
        });
    }
    if bytes > caps.max_workgroup_storage_bytes {
        return Err(KernelError::ExceedsAdapter {
            tiles: tiles.to_owned(),
            what: "workgroup storage bytes",
            needed: bytes,
            available: caps.max_workgroup_storage_bytes,
        });
    }
    Ok(())
}

/// Uploads `a`, `b`, the epilogue's buffers and C's initial value (`c_initial`, used with
/// `accumulate`; zeros if `None`), runs the kernel once and reads C back
/// (`[batch, m, n]`).
///
/// # Safety
/// As for [`MatmulKernel::new`]: custom loaders and the epilogue must stay in bounds of
/// the data given here.
pub unsafe fn run_matmul(
    gpu: &Gpu,
    spec: &MatmulSpec,
    template: impl Into<Template>,
    a: &[f32],
    b: &[f32],
    c_initial: Option<&[f32]>,
    epilogue: &[&[f32]],
) -> Result<Vec<f32>, KernelError> {
    for (name, expected, actual) in [
        ("A", spec.a_len(), a.len()),
        ("B", spec.b_len(), b.len()),
        (
            "C",
            c_initial.map(|_| spec.output_len()),
            c_initial.map_or(0, <[f32]>::len),
        ),
    ] {
        if let Some(expected) = expected
            && expected != actual as u64
        {
            return Err(KernelError::WrongLength {
                name: name.to_owned(),
                expected,
                actual: actual as u64,
            });
        }
    }
    // SAFETY: forwarded to the caller.
    let kernel = unsafe { MatmulKernel::new(gpu, spec.clone(), template) }?;
    let a_buffer = gpu.upload("matmul A", a);
    let b_buffer = gpu.upload("matmul B", b);
    let c_buffer = match c_initial {
        Some(values) => gpu.upload("matmul C", values),
        None => gpu.storage_buffer("matmul C", spec.output_len() * 4),
    };
    let epilogue_buffers: Vec<wgpu::Buffer> = epilogue
        .iter()
        .enumerate()
        .map(|(index, values)| gpu.upload(&format!("epilogue {index}"), values))
        .collect();
    let epilogue_refs: Vec<&wgpu::Buffer> = epilogue_buffers.iter().collect();
    let bind_group = kernel.bind(gpu, &a_buffer, &b_buffer, &c_buffer, &epilogue_refs)?;
    gpu.dispatch(&kernel.pipeline, &bind_group, kernel.workgroups);
    Ok(gpu.read(&c_buffer, spec.output_len() as usize)?)
}
