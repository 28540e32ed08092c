//! `wgzero bench clique`: positions per second (moves applied) of random playouts with the
//! WGSL rules at a given batch, many steps per dispatch and several dispatches per submit;
//! then the Rust rules on every CPU thread for reference.

use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, bail};
use clap::Args;
use serde::Serialize;
use wgzero::backend::{self, Compute};
use wgzero::games::clique::gpu::CliqueBatch;
use wgzero::games::clique::playout::{cpu_playout_moves, initial_rng_states, random_playout};
use wgzero::games::clique::{CliqueConfig, CliqueState, Mode};

use crate::cli::GlobalOptions;

#[derive(Args)]
pub struct CliqueBenchArgs {
    /// Vertices of K_n.
    #[arg(long, default_value_t = 6, value_parser = clap::value_parser!(u32).range(3..=64))]
    n: u32,
    /// Clique size.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(3..=64))]
    k: u32,
    #[arg(long, value_enum, default_value_t = Mode::Symmetric)]
    mode: Mode,
    /// Games played at once (one GPU thread each).
    #[arg(long, default_value_t = 16384, value_parser = clap::value_parser!(u32).range(1..=16777216))]
    batch: u32,
    /// Random moves each thread plays per dispatch.
    #[arg(long, default_value_t = 1024, value_parser = clap::value_parser!(u32).range(1..=1000000))]
    steps_per_dispatch: u32,
    /// Dispatches recorded into one submit.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=10000))]
    dispatches_per_submit: u32,
    /// Timed submits (after one untimed warm-up submit).
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=1000000))]
    submits: u32,
    /// Threads per workgroup.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=1024))]
    workgroup_size: u32,
    /// Seconds (about) of the CPU reference measurement; 0 skips it.
    #[arg(long, default_value_t = 2.0, value_parser = crate::cli::settings::seconds)]
    cpu_seconds: f64,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Games whose final GPU state is compared with the Rust twin of the playout kernel
    /// after the measurement (0 skips the check).
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u32).range(0..=1000000))]
    check_games: u32,
}

#[derive(Serialize)]
struct Measurement {
    bench: &'static str,
    backend: &'static str,
    device: String,
    n: u32,
    k: u32,
    mode: Mode,
    batch: u32,
    workgroup_size: Option<u32>,
    steps_per_dispatch: u32,
    dispatches: u32,
    threads: Option<usize>,
    /// Games whose final state matched the Rust twin of the kernel.
    checked_games: Option<u32>,
    positions: u64,
    games_finished: Option<u64>,
    seconds: f64,
    positions_per_second: f64,
}

pub fn run(global: &GlobalOptions, args: &CliqueBenchArgs) -> anyhow::Result<()> {
    let config = CliqueConfig::new(args.n, args.k, args.mode)?;
    let resolved = backend::resolve(global.backend, global.adapter.as_deref())?;
    let Compute::Gpu(gpu) = resolved.compute else {
        bail!(
            "wgzero bench clique measures the WGSL rules and needs a GPU adapter, but the CPU \
             backend was chosen ({}); pass --backend gpu to force a software adapter",
            resolved.reason
        );
    };
    let batch = CliqueBatch::new(Arc::clone(&gpu), config, args.batch, args.workgroup_size)
        .context("setting up the clique batch")?;
    batch.write_rng_states(&initial_rng_states(args.seed, args.batch))?;
    batch.set_playout_steps(args.steps_per_dispatch);
    let submit = || {
        batch.submit(|pass| {
            for _ in 0..args.dispatches_per_submit {
                batch.encode_random_playout(pass);
            }
        })
    };
    submit();
    gpu.wait()?;
    let finished_before: Vec<u32> = gpu.read(&batch.finished, args.batch as usize)?;
    let start = Instant::now();
    for _ in 0..args.submits {
        submit();
    }
    gpu.wait()?;
    let seconds = start.elapsed().as_secs_f64();
    let finished_after: Vec<u32> = gpu.read(&batch.finished, args.batch as usize)?;
    let games: u64 = finished_after
        .iter()
        .zip(&finished_before)
        .map(|(after, before)| u64::from(after.wrapping_sub(*before)))
        .sum();
    // The states must still be valid positions after all those moves, and the first
    // check_games must be exactly where the Rust twin of the kernel ends up.
    let states = batch
        .read_states()
        .context("checking the states after the playouts")?;
    let rng_states = initial_rng_states(args.seed, args.batch);
    let steps_per_thread =
        args.steps_per_dispatch * args.dispatches_per_submit * (args.submits + 1);
    for game in 0..args.check_games.min(args.batch) as usize {
        let mut state = CliqueState::new(config);
        let (mut rng, mut finished) = (rng_states[game], 0);
        random_playout(&mut state, &mut rng, &mut finished, steps_per_thread);
        if state != states[game] {
            bail!(
                "game {game}: the GPU playout ended in a different state than its Rust twin after {steps_per_thread} moves"
            );
        }
    }
    let dispatches = args.dispatches_per_submit * args.submits;
    let positions =
        u64::from(args.batch) * u64::from(args.steps_per_dispatch) * u64::from(dispatches);
    print_line(&Measurement {
        bench: "clique_random_playout",
        backend: "gpu",
        device: gpu.info.name.clone(),
        n: config.n,
        k: config.k,
        mode: config.mode,
        batch: args.batch,
        workgroup_size: Some(args.workgroup_size),
        steps_per_dispatch: args.steps_per_dispatch,
        dispatches,
        threads: None,
        checked_games: Some(args.check_games.min(args.batch)),
        positions,
        games_finished: Some(games),
        seconds,
        positions_per_second: positions as f64 / seconds,
    })?;

    if args.cpu_seconds > 0.0 {
        let threads = std::thread::available_parallelism().map_or(1, |count| count.get());
        let games = 64 * threads as u32;
        // Calibrate: double the steps until a run takes a tenth of cpu_seconds, then time
        // one run long enough for cpu_seconds.
        let mut steps = 16u32;
        let rate = loop {
            let probe_start = Instant::now();
            let moves = cpu_playout_moves(config, games, steps, threads, args.seed);
            let elapsed = probe_start.elapsed().as_secs_f64();
            if elapsed >= args.cpu_seconds / 10.0 || steps >= 1 << 24 {
                break moves as f64 / elapsed.max(1e-9);
            }
            steps *= 2;
        };
        let steps = ((rate * args.cpu_seconds) / f64::from(games)).clamp(16.0, 1e8) as u32;
        let start = Instant::now();
        let positions = cpu_playout_moves(config, games, steps, threads, args.seed);
        let seconds = start.elapsed().as_secs_f64();
        print_line(&Measurement {
            bench: "clique_random_playout",
            backend: "cpu",
            device: format!("{threads} CPU threads"),
            n: config.n,
            k: config.k,
            mode: config.mode,
            batch: games,
            workgroup_size: None,
            steps_per_dispatch: steps,
            dispatches: 1,
            threads: Some(threads),
            checked_games: None,
            positions,
            games_finished: None,
            seconds,
            positions_per_second: positions as f64 / seconds,
        })?;
    }
    Ok(())
}

fn print_line(measurement: &Measurement) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string(measurement)?);
    Ok(())
}
