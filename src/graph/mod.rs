//! The tensor-graph compiler.
//!
//! Processing order, one file or folder per stage:
//! `shape`, `ir` + `builder` (build a graph) → `composite` (softmax, norms, losses built
//! from primitives) → `autodiff` (reverse mode, producing more IR) → `optim` (updates as
//! IR + assigns) → `plan` (static buffers) → `cpu` (the interpreter) | `fuse` + `wgsl`
//! (kernels for wgpu, with `kernels` the matmul/conv templates) → `program` (the
//! compiled step, replayed).

pub mod autodiff;
pub mod builder;
pub mod composite;
pub mod cpu;
pub mod fuse;
pub mod init;
pub mod ir;
pub mod kernels;
pub mod optim;
pub mod plan;
pub mod program;
pub mod shape;
pub mod strided;
pub mod wgsl;

pub use ir::{BinaryOp, Graph, Init, Op, ReduceOp, Tensor, TensorId, UnaryOp};
pub use program::{CompileOptions, PendingRead, Precision, Program};
pub use shape::Shape;

use crate::gpu::GpuError;

/// Errors from compiling or running a program; each names what to change.
#[derive(Debug, thiserror::Error)]
pub enum GraphError {
    #[error("the program has no input, parameter, state or output called {0:?}")]
    UnknownName(String),
    #[error("{name:?} holds {expected} values, but {got} were given")]
    WrongLength {
        name: String,
        expected: usize,
        got: usize,
    },
    #[error("the graph cannot be differentiated: {0}")]
    NotDifferentiable(String),
    #[error("{0}")]
    Unsupported(String),
    #[error(transparent)]
    Gpu(#[from] GpuError),
    #[error(transparent)]
    Kernel(#[from] kernels::KernelError),
}
