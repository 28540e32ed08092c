//! Argument parsing and dispatch to the subcommands.

#[cfg(feature = "app")]
mod app;
mod arena;
mod bench;
mod board;
mod chess;
mod clique;
mod eval;
mod export;
mod info;
mod play;
mod ramsey;
mod search;
mod settings;
mod train;
mod uci;

use clap::{Args, Parser, Subcommand};
use wgzero::backend::BackendChoice;

#[derive(Parser)]
#[command(
    name = "wgzero",
    version,
    about = "AlphaZero training on any GPU through WebGPU"
)]
struct Cli {
    #[command(flatten)]
    global: GlobalOptions,
    #[command(subcommand)]
    command: Command,
}

/// Options every computing command shares.
#[derive(Args, Clone, Debug)]
pub struct GlobalOptions {
    /// Where compute runs: a hardware GPU if present (auto), any GPU adapter (gpu), or the
    /// CPU backend (cpu).
    #[arg(long, global = true, value_enum, default_value_t = BackendChoice::Auto)]
    pub backend: BackendChoice,
    /// Use the GPU adapter whose name contains this text (case-insensitive). Also read from
    /// WGZERO_ADAPTER. WGPU_BACKEND=vulkan|metal|dx12|gl limits the graphics APIs searched.
    #[arg(long, global = true, value_name = "NAME")]
    pub adapter: Option<String>,
}

impl GlobalOptions {
    /// Resolves the backend and says in one line (on stderr) which one runs, and why.
    pub fn compute(&self) -> anyhow::Result<wgzero::backend::Compute> {
        let resolved = wgzero::backend::resolve(self.backend, self.adapter.as_deref())?;
        eprintln!("backend: {} — {}", resolved.compute.name(), resolved.reason);
        Ok(resolved.compute)
    }
}

#[derive(Subcommand)]
enum Command {
    /// List GPU adapters and say which backend wgzero would use, and why.
    Info(info::InfoArgs),
    /// Chess rules: perft on the CPU or GPU, GPU-against-Rust cross-check.
    #[command(subcommand)]
    Chess(chess::ChessCommand),
    /// The clique game: exact solver, counterexample archive check, GPU rules cross-check.
    #[command(subcommand)]
    Clique(clique::CliqueCommand),
    /// Throughput measurements (JSON lines).
    #[command(subcommand)]
    Bench(bench::BenchCommand),
    /// Search one position and print the root's children (visits, priors, values).
    Search(search::SearchArgs),
    /// Find Ramsey witnesses: 2-colourings of K_n with no K_s in colour 0 and no K_t in
    /// colour 1 (local search on the CPU), printed as graph6 and archived.
    Ramsey(ramsey::RamseyArgs),
    /// Train an agent by self-play (the main job): clique n=6, k=3, symmetric by default.
    Train(train::TrainArgs),
    // about and long_about are in eval.rs, play.rs, export.rs and uci.rs (a doc comment here would
    // hide them).
    Eval(eval::EvalArgs),
    Play(play::PlayArgs),
    Arena(arena::ArenaArgs),
    Export(export::ExportArgs),
    Uci(uci::UciArgs),
    /// Open the app: train and steer runs with live plots, explore search trees, play the
    /// agent, browse Ramsey witnesses and recorded games.
    #[cfg(feature = "app")]
    App(app::AppArgs),
}

pub fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Info(args) => info::run(&cli.global, &args),
        Command::Chess(command) => chess::run(&cli.global, &command),
        Command::Clique(command) => clique::run(&cli.global, &command),
        Command::Bench(command) => bench::run(&cli.global, &command),
        Command::Search(args) => search::run(&cli.global, &args),
        Command::Ramsey(args) => ramsey::run(&cli.global, &args),
        Command::Train(args) => train::run(&cli.global, &args),
        Command::Eval(args) => eval::run(&cli.global, &args),
        Command::Play(args) => play::run(&cli.global, &args),
        Command::Arena(args) => arena::run(&cli.global, &args),
        Command::Export(args) => export::run(&args),
        Command::Uci(args) => uci::run(&cli.global, &args),
        #[cfg(feature = "app")]
        Command::App(args) => app::run(&cli.global, &args),
    }
}

/// Whether `error` is a setting to change (exit code 2, as clap's usage errors).
pub fn is_usage_error(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause.is::<wgzero::train::ConfigError>()
            || matches!(
                cause.downcast_ref::<wgzero::train::TrainError>(),
                Some(wgzero::train::TrainError::Settings(_))
            )
            || cause
                .downcast_ref::<wgzero::uci::UciError>()
                .is_some_and(wgzero::uci::UciError::is_setting)
            || matches!(
                cause.downcast_ref::<wgzero::arena::ArenaError>(),
                Some(wgzero::arena::ArenaError::Settings(_))
            )
    })
}
