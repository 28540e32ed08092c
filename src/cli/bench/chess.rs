//! `wgzero bench chess`: CPU perft nodes/s on one core with and without bulk counting at
//! the leaves, and GPU random-playout positions/s (one position = one move played; every
//! invocation plays its own game, restarting finished games). One JSON line each.

use std::time::Instant;

use clap::Args;
use serde_json::json;
use wgzero::games::chess::attacks;
use wgzero::games::chess::gpu::{ChessBatch, ChessKernel, PLAYOUT_COUNTERS};
use wgzero::games::chess::perft::{REFERENCE_POSITIONS, perft};
use wgzero::games::chess::{DEFAULT_PLY_CAP, Position};

use super::super::GlobalOptions;
use super::super::chess::open_gpu;

#[derive(Args)]
pub struct ChessBenchArgs {
    /// Perft depth from the start position (Kiwipete is searched one ply less).
    #[arg(long, default_value_t = 6, value_parser = clap::value_parser!(u32).range(1..=12))]
    perft_depth: u32,
    /// Games (invocations) of the random playout.
    #[arg(long, default_value_t = 16384, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=4194304))]
    games: usize,
    /// Plies each game plays per dispatch.
    #[arg(long, default_value_t = 256, value_parser = clap::value_parser!(u32).range(1..=65536))]
    plies_per_dispatch: u32,
    /// Timed dispatches (after one untimed warm-up dispatch).
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=1000000))]
    dispatches: u32,
    /// Plies after which a playout game is drawn and restarts.
    #[arg(long, default_value_t = DEFAULT_PLY_CAP, value_parser = clap::value_parser!(u32).range(1..=2048))]
    ply_cap: u32,
    /// Skip the CPU perft measurements.
    #[arg(long)]
    skip_cpu: bool,
    /// Skip the GPU playout measurement.
    #[arg(long)]
    skip_gpu: bool,
}

pub fn run(global: &GlobalOptions, args: &ChessBenchArgs) -> anyhow::Result<()> {
    if !args.skip_cpu {
        cpu_perft(args)?;
    }
    if !args.skip_gpu {
        gpu_playout(global, args)?;
    }
    Ok(())
}

fn cpu_perft(args: &ChessBenchArgs) -> anyhow::Result<()> {
    attacks::warm_up();
    for (name, fen, _) in REFERENCE_POSITIONS.iter().take(2) {
        let position = Position::from_fen(fen)?;
        // Kiwipete branches about twice as much: one ply less keeps the runs comparable.
        let depth = if *name == "start" {
            args.perft_depth
        } else {
            args.perft_depth.saturating_sub(1)
        };
        for bulk_counting in [true, false] {
            let started = Instant::now();
            let nodes = perft(&position, depth, bulk_counting);
            let seconds = started.elapsed().as_secs_f64();
            println!(
                "{}",
                json!({
                    "bench": "chess_perft_cpu",
                    "position": name,
                    "depth": depth,
                    "bulk_counting": bulk_counting,
                    "threads": 1,
                    "nodes": nodes,
                    "seconds": seconds,
                    "nodes_per_second": nodes as f64 / seconds,
                })
            );
        }
    }
    Ok(())
}

fn gpu_playout(global: &GlobalOptions, args: &ChessBenchArgs) -> anyhow::Result<()> {
    let gpu = open_gpu(global)?;
    let mut batch = ChessBatch::new(&gpu, args.games, args.ply_cap)?;
    batch.seed_playout(12345);
    batch.set_playout_plies(args.plies_per_dispatch);
    // Warm-up: pipeline creation happened in `new`; this takes the first-dispatch costs
    // and spreads the games over different plies.
    batch.submit(&[ChessKernel::RandomPlayout]);
    gpu.wait()?;
    let warm_up: Vec<u32> = batch.read_playout_counters()?;
    let started = Instant::now();
    for _ in 0..args.dispatches {
        batch.submit(&[ChessKernel::RandomPlayout]);
    }
    gpu.wait()?;
    let seconds = started.elapsed().as_secs_f64();
    let counters = batch.read_playout_counters()?;
    let mut totals = [0u64; PLAYOUT_COUNTERS];
    for (index, (&after, &before)) in counters.iter().zip(&warm_up).enumerate() {
        totals[index % PLAYOUT_COUNTERS] += u64::from(after - before);
    }
    let positions = totals[0];
    println!(
        "{}",
        json!({
            "bench": "chess_random_playout_gpu",
            "adapter": gpu.info.name,
            "driver": format!("{} {}", gpu.info.driver, gpu.info.driver_info),
            "games": args.games,
            "plies_per_dispatch": args.plies_per_dispatch,
            "dispatches": args.dispatches,
            "ply_cap": args.ply_cap,
            "positions": positions,
            "seconds": seconds,
            "positions_per_second": positions as f64 / seconds,
            "games_finished": totals[1..7].iter().sum::<u64>(),
            "finished_by_outcome": {
                "checkmate": totals[1],
                "stalemate": totals[2],
                "insufficient_material": totals[3],
                "fifty_move_rule": totals[4],
                "threefold_repetition": totals[5],
                "ply_cap": totals[6],
            },
        })
    );
    Ok(())
}
