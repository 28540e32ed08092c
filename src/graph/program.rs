//! A compiled graph on one backend: set inputs, run the whole step, read results.

use std::sync::Arc;

use super::GraphError;
use super::cpu::CpuProgram;
use super::ir::Graph;
use super::wgsl::{GpuProgram, KernelInfo};
use crate::backend::Compute;
use crate::gpu::{Gpu, Readback, readback};

/// The arithmetic of the GPU's convolutions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Precision {
    /// f32 throughout (the CPU interpreter's arithmetic).
    #[default]
    F32,
    /// Convolutions (forward and both gradients) multiply f16-rounded operands on tensor
    /// cores, summing in f32, where the adapter offers f16 cooperative matrices
    /// ([`crate::graph::kernels::coop`]); everything else, and every adapter without them,
    /// stays f32. Like TF32, operands keep 10 mantissa bits; gradient operands are scaled
    /// by a power of two to keep them in f16's range.
    F16TensorCores,
}

/// How to compile.
#[derive(Clone, Debug)]
pub struct CompileOptions {
    /// Fuse pointwise chains and epilogues into kernels (GPU). Off gives one kernel per op,
    /// which tests compare against.
    pub fuse: bool,
    /// Seed of the initial parameter values.
    pub seed: u64,
    /// The convolutions' arithmetic on the GPU (the CPU backend is always f32).
    pub precision: Precision,
}

impl Default for CompileOptions {
    fn default() -> Self {
        Self {
            fuse: true,
            seed: 0,
            precision: Precision::F32,
        }
    }
}

/// A graph compiled for the CPU or the GPU.
pub enum Program {
    Cpu(CpuProgram),
    Gpu(GpuProgram),
}

impl Program {
    pub fn compile(
        graph: &Graph,
        compute: &Compute,
        options: &CompileOptions,
    ) -> Result<Self, GraphError> {
        match compute {
            Compute::Cpu => Ok(Program::Cpu(CpuProgram::compile(graph, options.seed)?)),
            Compute::Gpu(gpu) => Ok(Program::Gpu(GpuProgram::compile(graph, gpu, options)?)),
        }
    }

    /// Copies `data` into the input, parameter or state called `name`.
    pub fn write(&mut self, name: &str, data: &[f32]) -> Result<(), GraphError> {
        match self {
            Program::Cpu(program) => program.write(name, data),
            Program::Gpu(program) => program.write(name, data),
        }
    }

    /// Runs the whole step once.
    pub fn run(&mut self) -> Result<(), GraphError> {
        match self {
            Program::Cpu(program) => program.run(),
            Program::Gpu(program) => program.run(),
        }
    }

    /// Reads the output, parameter or state called `name`.
    pub fn read(&self, name: &str) -> Result<Vec<f32>, GraphError> {
        match self {
            Program::Cpu(program) => program.read(name),
            Program::Gpu(program) => program.read(name),
        }
    }

    /// Starts bringing the named values (inputs, parameters, states or outputs) back to
    /// the host without waiting: the CPU backend reads them at once, the GPU submits the
    /// copies and maps them. Values written or runs started before are included.
    pub fn start_read(&self, names: &[&str]) -> Result<PendingRead, GraphError> {
        match self {
            Program::Cpu(program) => {
                let values = names
                    .iter()
                    .map(|name| program.read(name))
                    .collect::<Result<_, _>>()?;
                Ok(PendingRead::Ready(Some(values)))
            }
            Program::Gpu(program) => Ok(PendingRead::Gpu {
                gpu: Arc::clone(program.gpu()),
                readback: program.start_read(names)?,
            }),
        }
    }

    /// Copies the named values of `from` into the same names of `self` without a round
    /// trip through the host where both run on one GPU (a buffer copy, submitted, not
    /// waited for); on the CPU backend, at once.
    pub fn copy_values_from(&mut self, from: &Program, names: &[String]) -> Result<(), GraphError> {
        match (self, from) {
            (Program::Gpu(to), Program::Gpu(from)) => {
                let gpu = to.gpu();
                let mut encoder =
                    gpu.device
                        .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                            label: Some("copy values"),
                        });
                to.record_copy_from(&mut encoder, from, names)?;
                gpu.queue.submit([encoder.finish()]);
                Ok(())
            }
            (Program::Cpu(to), Program::Cpu(from)) => {
                for name in names {
                    to.write(name, &from.read(name)?)?;
                }
                Ok(())
            }
            _ => Err(GraphError::Unsupported(
                "copying values between a CPU and a GPU program: read them back first".into(),
            )),
        }
    }

    /// Bytes of all buffers of the static plan.
    pub fn peak_bytes(&self) -> u64 {
        match self {
            Program::Cpu(program) => program.peak_bytes(),
            Program::Gpu(program) => program.peak_bytes(),
        }
    }

    /// The kernels one step runs, with the ops fused into each (GPU); the CPU backend
    /// interprets node by node and lists none.
    pub fn kernels(&self) -> &[KernelInfo] {
        match self {
            Program::Cpu(_) => &[],
            Program::Gpu(program) => program.kernels(),
        }
    }

    /// Dispatches one step records (GPU); 0 on the CPU backend.
    pub fn dispatches(&self) -> usize {
        match self {
            Program::Cpu(_) => 0,
            Program::Gpu(program) => program.dispatches(),
        }
    }

    /// What each dispatch of one step runs (GPU): see [`GpuProgram::dispatch_labels`];
    /// none on the CPU backend.
    pub fn dispatch_labels(&self) -> Vec<&str> {
        match self {
            Program::Cpu(_) => Vec::new(),
            Program::Gpu(program) => program.dispatch_labels(),
        }
    }

    /// The kernel list as text, one kernel per line; batched kernels name their batch.
    pub fn kernel_listing(&self) -> String {
        self.kernels()
            .iter()
            .enumerate()
            .map(|(index, kernel)| {
                let batch = match &kernel.batch {
                    Some(run) => format!("   [one dispatch with {}..={}]", run.start, run.end - 1),
                    None => String::new(),
                };
                format!(
                    "{index:3} {:<11} {}{batch}\n",
                    kernel.kind,
                    kernel.ops.join(" → ")
                )
            })
            .collect()
    }
}

/// Values of a program on their way to the host ([`Program::start_read`]): one `Vec<f32>`
/// per name asked for, in that order.
pub enum PendingRead {
    /// Read at once (CPU backend); taken by the first poll.
    Ready(Option<Vec<Vec<f32>>>),
    /// Copies from the GPU being mapped.
    Gpu { gpu: Arc<Gpu>, readback: Readback },
}

impl PendingRead {
    /// The values once they are back; `None` while they are on their way. Never blocks.
    pub fn poll(&mut self) -> Result<Option<Vec<Vec<f32>>>, GraphError> {
        match self {
            PendingRead::Ready(values) => values
                .take()
                .map(Some)
                .ok_or_else(|| GraphError::Unsupported("these values were taken already".into())),
            PendingRead::Gpu { gpu, readback } => Ok(readback.try_take(gpu)?.map(|parts| {
                parts
                    .iter()
                    .map(|bytes| readback::elements(bytes))
                    .collect()
            })),
        }
    }

    /// Blocks until the values are back (tools and tests).
    pub fn wait(self) -> Result<Vec<Vec<f32>>, GraphError> {
        match self {
            PendingRead::Ready(values) => values
                .ok_or_else(|| GraphError::Unsupported("these values were taken already".into())),
            PendingRead::Gpu { gpu, readback } => Ok(readback
                .wait(&gpu)?
                .iter()
                .map(|bytes| readback::elements(bytes))
                .collect()),
        }
    }

    /// The GPU submission the values travel with (what a blocking driver may wait for).
    pub fn submission(&self) -> Option<&wgpu::SubmissionIndex> {
        match self {
            PendingRead::Ready(_) => None,
            PendingRead::Gpu { readback, .. } => readback.submission(),
        }
    }
}
