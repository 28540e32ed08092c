//! `wgzero bench <what>`: benchmarks that print one JSON object per measurement.

mod chess;

use clap::Subcommand;

use super::GlobalOptions;

#[derive(Subcommand)]
pub enum BenchCommand {
    /// Chess rules: CPU perft nodes/s on one core, GPU random-playout positions/s.
    Chess(chess::ChessBenchArgs),
}

pub fn run(global: &GlobalOptions, command: &BenchCommand) -> anyhow::Result<()> {
    match command {
        BenchCommand::Chess(args) => chess::run(global, args),
    }
}
