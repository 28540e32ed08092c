//! `wgzero chess …`: perft (CPU or GPU) and the GPU-against-Rust cross-check.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use wgzero::backend::{self, BackendChoice, Compute};
use wgzero::games::chess::cross_check::{CrossCheckConfig, cross_check};
use wgzero::games::chess::gpu::{ChessBatch, GPU_PERFT_BATCH};
use wgzero::games::chess::perft::{PerftCount, divide, perft, perft_gpu};
use wgzero::games::chess::{DEFAULT_PLY_CAP, Position, STARTING_FEN};
use wgzero::gpu::Gpu;

use super::GlobalOptions;

#[derive(Subcommand)]
pub enum ChessCommand {
    /// Count the leaves of the legal-move tree (perft), on the CPU or with --gpu.
    Perft(PerftArgs),
    /// Play random games on the GPU and in Rust side by side and compare every legal mask,
    /// outcome, observation, successor position and history ring; prints a JSON report.
    CrossCheck(CrossCheckArgs),
}

#[derive(Args)]
pub struct PerftArgs {
    /// The position, as FEN.
    #[arg(long, default_value = STARTING_FEN)]
    fen: String,
    /// Plies to search.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=20))]
    depth: u32,
    /// Also print the count below each root move.
    #[arg(long)]
    divide: bool,
    /// Count with the WGSL rules on the GPU (the CPU walks down to a frontier, the GPU
    /// counts the last two plies).
    #[arg(long)]
    gpu: bool,
    /// Print exactly one JSON line: {"nodes": N} (and "divide" with --divide).
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
pub struct CrossCheckArgs {
    /// Compare at least this many positions.
    #[arg(long, default_value_t = 100_000, value_parser = clap::value_parser!(u64).range(1..=1000000000))]
    positions: u64,
    /// Games in flight on the GPU.
    #[arg(long, default_value_t = 1024, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=1048576))]
    games: usize,
    /// Plies after which a game is drawn.
    #[arg(long, default_value_t = DEFAULT_PLY_CAP, value_parser = clap::value_parser!(u32).range(1..=2048))]
    ply_cap: u32,
    #[arg(long, default_value_t = 1)]
    seed: u32,
    /// Skip comparing the observation planes (faster).
    #[arg(long)]
    skip_observations: bool,
}

pub fn run(global: &GlobalOptions, command: &ChessCommand) -> anyhow::Result<()> {
    match command {
        ChessCommand::Perft(args) => perft_command(global, args),
        ChessCommand::CrossCheck(args) => cross_check_command(global, args),
    }
}

/// The GPU named by `--adapter`, or the best one (software included).
pub fn open_gpu(global: &GlobalOptions) -> anyhow::Result<Arc<Gpu>> {
    let resolved = backend::resolve(BackendChoice::Gpu, global.adapter.as_deref())?;
    eprintln!("{}", resolved.reason);
    match resolved.compute {
        Compute::Gpu(gpu) => Ok(gpu),
        Compute::Cpu => bail!("no GPU adapter could be opened; run without --gpu"),
    }
}

fn perft_command(global: &GlobalOptions, args: &PerftArgs) -> anyhow::Result<()> {
    let position = Position::from_fen(&args.fen)?;
    let started = Instant::now();
    let count = if args.gpu {
        let gpu = open_gpu(global)?;
        let games = GPU_PERFT_BATCH.min(ChessBatch::most_games(&gpu));
        let mut batch = ChessBatch::new(&gpu, games, DEFAULT_PLY_CAP)
            .context("creating the GPU chess batch")?;
        perft_gpu(&mut batch, &position, args.depth)?
    } else {
        PerftCount {
            nodes: perft(&position, args.depth, true),
            divide: if args.divide {
                divide(&position, args.depth)
            } else {
                Vec::new()
            },
        }
    };
    let PerftCount {
        nodes,
        divide: split,
    } = count;
    let seconds = started.elapsed().as_secs_f64();
    if args.json {
        let mut line = serde_json::Map::new();
        line.insert("nodes".into(), nodes.into());
        if args.divide {
            let by_move: BTreeMap<&str, u64> = split
                .iter()
                .map(|(name, count)| (name.as_str(), *count))
                .collect();
            line.insert("divide".into(), serde_json::to_value(by_move)?);
        }
        println!("{}", serde_json::Value::Object(line));
    } else {
        if args.divide {
            for (name, count) in &split {
                println!("{name}: {count}");
            }
        }
        println!(
            "nodes {nodes} (depth {}, {}, {seconds:.3} s, {:.0} nodes/s)",
            args.depth,
            if args.gpu { "GPU" } else { "CPU" },
            nodes as f64 / seconds.max(1e-9)
        );
    }
    Ok(())
}

fn cross_check_command(global: &GlobalOptions, args: &CrossCheckArgs) -> anyhow::Result<()> {
    let gpu = open_gpu(global)?;
    let config = CrossCheckConfig {
        positions: args.positions,
        games: args.games,
        ply_cap: args.ply_cap,
        seed: args.seed,
        compare_observations: !args.skip_observations,
    };
    let report = cross_check(&gpu, &config)?;
    println!("{}", serde_json::to_string(&report)?);
    Ok(())
}
