//! The wgpu backend: WGSL generated for each fused kernel, and the compiled program that
//! replays them.

mod contraction;
mod generate;
mod in_place;
mod index;
mod merge;
mod program;
mod rows;
mod schedule;

pub use program::{GpuProgram, KernelInfo};
