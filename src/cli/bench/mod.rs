//! `wgzero bench <what>`: throughput measurements, one JSON object per line.

mod clique;

use clap::Subcommand;

use super::GlobalOptions;

#[derive(Subcommand)]
pub enum BenchCommand {
    /// Random-playout throughput of the clique rules (WGSL on the GPU, and the Rust rules on
    /// the CPU for reference).
    Clique(clique::CliqueBenchArgs),
}

pub fn run(global: &GlobalOptions, command: &BenchCommand) -> anyhow::Result<()> {
    match command {
        BenchCommand::Clique(args) => clique::run(global, args),
    }
}
