//! A compiled graph on one backend: set inputs, run the whole step, read results.

use super::GraphError;
use super::cpu::CpuProgram;
use super::ir::Graph;
use crate::backend::Compute;

/// How to compile.
#[derive(Clone, Debug)]
pub struct CompileOptions {
    /// Fuse pointwise chains and epilogues into kernels (GPU). Off gives one kernel per op,
    /// which tests compare against.
    pub fuse: bool,
    /// Seed of the initial parameter values.
    pub seed: u64,
}

impl Default for CompileOptions {
    fn default() -> Self {
        Self {
            fuse: true,
            seed: 0,
        }
    }
}

/// A graph compiled for the CPU or the GPU.
pub enum Program {
    Cpu(CpuProgram),
}

impl Program {
    pub fn compile(
        graph: &Graph,
        compute: &Compute,
        options: &CompileOptions,
    ) -> Result<Self, GraphError> {
        match compute {
            Compute::Cpu | Compute::Gpu(_) => {
                Ok(Program::Cpu(CpuProgram::compile(graph, options.seed)?))
            }
        }
    }

    /// Copies `data` into the input, parameter or state called `name`.
    pub fn write(&mut self, name: &str, data: &[f32]) -> Result<(), GraphError> {
        match self {
            Program::Cpu(program) => program.write(name, data),
        }
    }

    /// Runs the whole step once.
    pub fn run(&mut self) -> Result<(), GraphError> {
        match self {
            Program::Cpu(program) => program.run(),
        }
    }

    /// Reads the output, parameter or state called `name`.
    pub fn read(&self, name: &str) -> Result<Vec<f32>, GraphError> {
        match self {
            Program::Cpu(program) => program.read(name),
        }
    }

    /// Bytes of all buffers of the static plan.
    pub fn peak_bytes(&self) -> u64 {
        match self {
            Program::Cpu(program) => program.peak_bytes(),
        }
    }
}
