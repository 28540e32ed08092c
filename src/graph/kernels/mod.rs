//! Compute-bound kernel templates of the graph compiler: one register-blocked matmul
//! template, specialised on shapes, with pluggable operand loaders (strided matrices,
//! implicit-GEMM convolution) and a fused pointwise epilogue, plus the choice of its tile
//! shape per adapter. Convolution forward and both backward passes run through the same
//! template. On tensor cores the same specs run on the cooperative-matrix variant
//! ([`coop`]), and 3×3 convolutions of small boards on the board-resident one
//! ([`board`]). See `docs/kernel-archetypes.md`.
//!
//! Flow: [`MatmulSpec`] (what) + [`Template`] (how: [`choose_tiles`] per [`AdapterCaps`],
//! [`choose_coop_tiles`], or a [`BoardConv`]) → the shader ([`matmul_wgsl`],
//! [`coop_wgsl`], [`board_wgsl`]) → [`MatmulKernel`] (pipeline, bind, dispatch).

pub mod board;
pub mod conv;
pub mod coop;
mod loaders;
pub mod matmul;
pub mod runner;
pub mod spec;
pub mod tuning;

pub use board::{BoardConv, BoardPass, board_wgsl, board_workgroups};
pub use conv::{
    ConvShape, conv2d_forward, conv2d_grad_input, conv2d_grad_weight, grad_weight_splits,
};
pub use coop::{CoopTiles, choose_coop_tiles, coop_suits, coop_tiles_override, coop_wgsl};
pub use matmul::{matmul_wgsl, workgroups};
pub use runner::{MatmulKernel, Template, run_matmul};
pub use spec::{Epilogue, MatmulSpec, Operand};
pub use tuning::{AdapterCaps, CANDIDATES, Tiles, choose_tiles};

use crate::gpu::GpuError;

/// Why a kernel could not be generated or run; each message says what to change.
#[derive(Debug, thiserror::Error)]
pub enum KernelError {
    #[error(
        "matmul shape batch {batch}, m {m}, n {n}, k {k} is empty; every extent must be at least 1"
    )]
    EmptyShape { batch: u32, m: u32, n: u32, k: u32 },
    #[error(
        "operand {operand} would hold {floats} floats, more than u32 indices reach; split the batch"
    )]
    TooLarge { operand: &'static str, floats: u64 },
    #[error(
        "operand {operand} uses a vectorized custom loader but its contiguous extent {extent} is not a multiple of 4; use a scalar loader"
    )]
    VectorLoaderExtent { operand: &'static str, extent: u32 },
    #[error("tiles {tiles} are invalid: {reason}")]
    InvalidTiles { tiles: String, reason: String },
    #[error(
        "tiles {tiles} need {needed} {what}, the adapter offers {available}; choose smaller tiles (see choose_tiles)"
    )]
    ExceedsAdapter {
        tiles: String,
        what: &'static str,
        needed: u32,
        available: u32,
    },
    #[error(
        "the kernel binds {needed} storage buffers, the adapter allows {available} per stage; fuse fewer inputs into the epilogue"
    )]
    TooManyBindings { needed: u32, available: u32 },
    #[error(
        "dispatch of {workgroups:?} workgroups exceeds 65535 in one dimension; use larger tiles or split the batch"
    )]
    TooManyWorkgroups { workgroups: [u32; 3] },
    #[error("{adapter} offers no f16 cooperative matrices (tensor cores); use f32 precision on it")]
    NoTensorCores { adapter: String },
    #[error("convolution {reason}")]
    InvalidConv { reason: String },
    #[error(
        "buffer for {name} holds {bytes} bytes, the kernel reads up to {needed}; pass a buffer of the spec's shape"
    )]
    BufferTooSmall {
        name: String,
        bytes: u64,
        needed: u64,
    },
    #[error("expected {expected} floats for {name}, got {actual}")]
    WrongLength {
        name: String,
        expected: u64,
        actual: u64,
    },
    #[error(transparent)]
    Gpu(#[from] GpuError),
}
