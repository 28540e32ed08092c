//! The wgpu backend: WGSL generated for each fused kernel, and the compiled program that
//! replays them.

mod contraction;
mod generate;
mod index;
mod merge;
mod program;
mod rows;
mod schedule;

pub use program::{GpuProgram, KernelInfo};
