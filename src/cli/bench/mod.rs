//! `wgzero bench <what>`: benchmarks that print one JSON object per measurement.

mod chess;
mod kernels;

use clap::Subcommand;

use super::GlobalOptions;

#[derive(Subcommand)]
pub enum BenchCommand {
    /// The compute-bound kernel templates: square matmuls and 3x3 convolutions.
    Kernels(kernels::KernelsArgs),
    /// Chess rules: CPU perft nodes/s on one core, GPU random-playout positions/s.
    Chess(chess::ChessBenchArgs),
}

pub fn run(global: &GlobalOptions, command: &BenchCommand) -> anyhow::Result<()> {
    match command {
        BenchCommand::Kernels(args) => kernels::run(global, args),
        BenchCommand::Chess(args) => chess::run(global, args),
    }
}
