//! `wgzero bench <what>`: benchmarks that print one JSON object per measurement.

mod chess;
mod clique;
mod host_learning;
mod host_pipeline;
mod kernels;
mod programs;
mod ramsey;
mod selfplay;
#[cfg(feature = "app")]
mod tree_view;

use clap::Subcommand;

use super::GlobalOptions;

#[derive(Subcommand)]
pub enum BenchCommand {
    /// The compute-bound kernel templates: square matmuls and 3x3 convolutions.
    Kernels(kernels::KernelsArgs),
    /// Chess rules: CPU perft nodes/s on one core, GPU random-playout positions/s.
    Chess(chess::ChessBenchArgs),
    /// Pure self-play throughput of the GPU search on the clique game (positions/s,
    /// evaluations/s), optionally with a per-kernel time breakdown.
    Selfplay(selfplay::SelfplayArgs),
    /// Random-playout throughput of the clique rules (WGSL on the GPU, and the Rust rules on
    /// the CPU for reference).
    Clique(clique::CliqueBenchArgs),
    /// The Ramsey witness search on one core: steps/s of a chain, and seconds to a first
    /// witness on small targets for each method.
    Ramsey(ramsey::RamseyBenchArgs),
    /// Host pipeline throughput: CPU reference self-play positions/s (with the network's
    /// share of the time) and training steps/s.
    HostPipeline(host_pipeline::HostPipelineArgs),
    /// Time to accuracy of the host pipeline: the plain loop (play, train, publish) for a
    /// time budget, with the raw policy's optimal-move accuracy against the solver.
    HostLearning(host_learning::HostLearningArgs),
    /// Frame times of the app's search-tree view on a large tree (CPU side: layout,
    /// culling, tessellation).
    #[cfg(feature = "app")]
    TreeView(tree_view::TreeViewArgs),
}

pub fn run(global: &GlobalOptions, command: &BenchCommand) -> anyhow::Result<()> {
    match command {
        BenchCommand::Kernels(args) => kernels::run(global, args),
        BenchCommand::Chess(args) => chess::run(global, args),
        BenchCommand::Selfplay(args) => selfplay::run(global, args),
        BenchCommand::Clique(args) => clique::run(global, args),
        BenchCommand::Ramsey(args) => ramsey::run(global, args),
        BenchCommand::HostPipeline(args) => host_pipeline::run(global, args),
        BenchCommand::HostLearning(args) => host_learning::run(global, args),
        #[cfg(feature = "app")]
        BenchCommand::TreeView(args) => tree_view::run(args),
    }
}
