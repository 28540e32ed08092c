//! `wgzero bench host-learning`: time to accuracy of the host pipeline. Runs the plain
//! AlphaZero loop (play `moves_per_iteration` moves, train `train_steps_per_iteration`
//! steps, publish) for a wall-time budget and prints, every `--every` seconds of that
//! budget, the raw policy's optimal-move accuracy against the exact solver. It has no
//! gating, checkpoints or evaluation matches: it measures what the settings can learn in
//! a given time, so the trainer's defaults can be chosen from it.
//!
//! Accuracy positions: a uniformly chosen non-terminal position of a uniformly random
//! game, kept when its legal moves do not all have the same exact value; the score is the
//! share where the highest legal logit is an optimal move. Time spent measuring is not
//! counted in the budget.

use std::time::{Duration, Instant};

use anyhow::bail;
use clap::Args;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use serde::Serialize;
use wgzero::games::GameState;
use wgzero::games::clique::solver::Solver;
use wgzero::games::clique::{CliqueConfig, CliqueState};
use wgzero::train::host_pipeline::HostPipeline;
use wgzero::train::pipeline::{LossReport, Pipeline, SelfPlayReport};

use super::host_pipeline::{ConfigArgs, policy_name, train_config};
use crate::cli::GlobalOptions;

#[derive(Args)]
pub struct HostLearningArgs {
    #[command(flatten)]
    config: ConfigArgs,
    /// Wall-time budget of the loop, in seconds (measurements excluded).
    #[arg(long, default_value_t = 300.0)]
    seconds: f64,
    /// Measure the accuracy every this many seconds of the budget.
    #[arg(long, default_value_t = 30.0)]
    every: f64,
    /// Accuracy positions.
    #[arg(long, default_value_t = 400)]
    positions: usize,
}

#[derive(Serialize)]
struct Line {
    bench: &'static str,
    n: u32,
    k: u32,
    mode: String,
    net: String,
    policy: &'static str,
    games: u32,
    sims: u32,
    batch: u32,
    moves_per_iteration: u32,
    train_steps: u32,
    learning_rate: f32,
    /// Seconds of the loop so far (measurements excluded).
    seconds: f64,
    iterations: u64,
    positions: u64,
    games_finished: u64,
    mean_game_length: f64,
    replay: u64,
    loss: f32,
    policy_loss: f32,
    value_loss: f32,
    policy_entropy: f32,
    /// Raw-policy optimal-move accuracy.
    accuracy: f64,
    /// Seconds spent in self-play and in training (and publish).
    self_play_seconds: f64,
    train_seconds: f64,
}

/// A uniformly chosen non-terminal position of one uniformly random game.
fn random_position(config: CliqueConfig, rng: &mut StdRng) -> anyhow::Result<CliqueState> {
    let mut state = CliqueState::new(config);
    let mut trajectory = Vec::new();
    while !state.is_over() {
        trajectory.push(state.clone());
        let legal = state.legal_actions();
        state.apply(legal[rng.random_range(0..legal.len())])?;
    }
    let chosen = rng.random_range(0..trajectory.len());
    Ok(trajectory.swap_remove(chosen))
}

/// Decisive positions with their optimal moves.
fn accuracy_positions(
    config: CliqueConfig,
    count: usize,
) -> anyhow::Result<Vec<(CliqueState, Vec<usize>)>> {
    let mut solver = Solver::new(config)?;
    let mut rng = StdRng::seed_from_u64(0xacc);
    let mut positions = Vec::with_capacity(count);
    for _ in 0..20 * count {
        if positions.len() == count {
            break;
        }
        let state = random_position(config, &mut rng)?;
        let analysis = solver.analyse(&state)?;
        if analysis.optimal_moves.len() < analysis.move_values.len() {
            positions.push((state, analysis.optimal_moves));
        }
    }
    if positions.is_empty() {
        bail!("random play on {config:?} reaches no position whose moves differ in value");
    }
    Ok(positions)
}

fn accuracy(
    pipeline: &mut HostPipeline,
    positions: &[(CliqueState, Vec<usize>)],
) -> anyhow::Result<f64> {
    let rows = pipeline.config().games_in_flight as usize;
    let mut correct = 0usize;
    for chunk in positions.chunks(rows) {
        let observation_len = chunk[0].0.observation_len();
        let mut observations = vec![0.0; chunk.len() * observation_len];
        for ((state, _), row) in chunk
            .iter()
            .zip(observations.chunks_exact_mut(observation_len))
        {
            state.write_observation(row);
        }
        let (logits, _) = pipeline.evaluate(&observations, chunk.len())?;
        for (row, (state, optimal)) in chunk.iter().enumerate() {
            let actions = state.num_actions();
            let row_logits = &logits[row * actions..(row + 1) * actions];
            let best = state
                .legal_actions()
                .into_iter()
                .max_by(|&a, &b| row_logits[a].total_cmp(&row_logits[b]).then(b.cmp(&a)));
            correct += usize::from(best.is_some_and(|best| optimal.contains(&best)));
        }
    }
    Ok(correct as f64 / positions.len() as f64)
}

pub fn run(global: &GlobalOptions, args: &HostLearningArgs) -> anyhow::Result<()> {
    let compute = global.compute()?;
    let config = train_config(&args.config)?;
    let positions = accuracy_positions(config.game, args.positions)?;
    let mut pipeline = HostPipeline::new(&config, compute)?;
    let (mut self_play, mut training) = (Duration::ZERO, Duration::ZERO);
    let mut report = SelfPlayReport::default();
    let mut iterations = 0u64;
    let mut last_losses = LossReport::default();
    let mut next_measurement = 0.0;
    loop {
        let elapsed = (self_play + training).as_secs_f64();
        if elapsed >= next_measurement || elapsed >= args.seconds {
            let score = accuracy(&mut pipeline, &positions)?;
            let line = Line {
                bench: "host_learning",
                n: config.game.n,
                k: config.game.k,
                mode: config.game.mode.to_string(),
                net: format!("{:?}", config.network),
                policy: policy_name(&config),
                games: config.games_in_flight,
                sims: config.search.simulations,
                batch: config.batch_size,
                moves_per_iteration: config.moves_per_iteration,
                train_steps: config.train_steps_per_iteration,
                learning_rate: config.learning_rate,
                seconds: elapsed,
                iterations,
                positions: report.positions,
                games_finished: report.games,
                mean_game_length: report.total_length as f64 / report.games.max(1) as f64,
                replay: pipeline.replay_len(),
                loss: last_losses.loss,
                policy_loss: last_losses.policy_loss,
                value_loss: last_losses.value_loss,
                policy_entropy: last_losses.policy_entropy,
                accuracy: score,
                self_play_seconds: self_play.as_secs_f64(),
                train_seconds: training.as_secs_f64(),
            };
            println!("{}", serde_json::to_string(&line)?);
            next_measurement += args.every;
            if elapsed >= args.seconds {
                return Ok(());
            }
        }
        let start = Instant::now();
        report.add(pipeline.play(config.moves_per_iteration)?);
        self_play += start.elapsed();
        let start = Instant::now();
        if pipeline.replay_len() > 0 {
            last_losses = pipeline.train(config.train_steps_per_iteration)?;
            pipeline.publish()?;
        }
        training += start.elapsed();
        iterations += 1;
    }
}
