//! The wgpu backend: WGSL generated for each fused kernel, and the compiled program that
//! replays them.

mod contraction;
mod generate;
mod index;
mod merge;
mod program;

pub use program::{GpuProgram, KernelInfo};
