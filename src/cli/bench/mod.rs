//! `wgzero bench <what>`: benchmarks that print one JSON object per measurement.

mod chess;
mod clique;
mod kernels;

use clap::Subcommand;

use super::GlobalOptions;

#[derive(Subcommand)]
pub enum BenchCommand {
    /// The compute-bound kernel templates: square matmuls and 3x3 convolutions.
    Kernels(kernels::KernelsArgs),
    /// Chess rules: CPU perft nodes/s on one core, GPU random-playout positions/s.
    Chess(chess::ChessBenchArgs),
    /// Random-playout throughput of the clique rules (WGSL on the GPU, and the Rust rules on
    /// the CPU for reference).
    Clique(clique::CliqueBenchArgs),
}

pub fn run(global: &GlobalOptions, command: &BenchCommand) -> anyhow::Result<()> {
    match command {
        BenchCommand::Kernels(args) => kernels::run(global, args),
        BenchCommand::Chess(args) => chess::run(global, args),
        BenchCommand::Clique(args) => clique::run(global, args),
    }
}
