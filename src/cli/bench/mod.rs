//! `wgzero bench <what>`: benchmarks that print one JSON object per measurement.

mod kernels;

use clap::Subcommand;

use super::GlobalOptions;

#[derive(Subcommand)]
pub enum BenchCommand {
    /// The compute-bound kernel templates: square matmuls and 3x3 convolutions.
    Kernels(kernels::KernelsArgs),
}

pub fn run(global: &GlobalOptions, command: &BenchCommand) -> anyhow::Result<()> {
    match command {
        BenchCommand::Kernels(args) => kernels::run(global, args),
    }
}
