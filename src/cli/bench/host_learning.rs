//! `wgzero bench host-learning`: time to accuracy of the host pipeline. Runs the plain
//! AlphaZero loop (play `moves_per_iteration` moves, train `train_steps_per_iteration`
//! steps, publish) for a wall-time budget and prints, every `--every` seconds of that
//! budget, the raw policy's optimal-move accuracy against the exact solver. It has no
//! gating, checkpoints or evaluation matches: it measures what the settings can learn in
//! a given time, so the trainer's defaults can be chosen from it.
//!
//! Accuracy: the trainer's own measure, [`AccuracySet`] (seeded by the run's seed) and
//! [`policy_accuracy`]. Time spent measuring is not counted in the budget.

use std::time::{Duration, Instant};

use anyhow::bail;
use clap::Args;
use serde::Serialize;
use wgzero::train::evaluate::{
    AccuracySet, ChunkedEvaluator, MAX_ACCURACY_VERTICES, policy_accuracy,
};
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

pub fn run(global: &GlobalOptions, args: &HostLearningArgs) -> anyhow::Result<()> {
    let compute = global.compute()?;
    let config = train_config(&args.config)?;
    let Some(positions) = AccuracySet::new(config.game, args.positions, config.seed)? else {
        bail!(
            "no accuracy positions on {:?}: the solver handles n ≤ {MAX_ACCURACY_VERTICES}, \
             and random play must reach positions whose moves differ in value",
            config.game
        );
    };
    let mut pipeline = HostPipeline::new(&config, compute)?;
    let rows = config.games_in_flight as usize;
    let (mut self_play, mut training) = (Duration::ZERO, Duration::ZERO);
    let mut report = SelfPlayReport::default();
    let mut iterations = 0u64;
    let mut last_losses = LossReport::default();
    let mut next_measurement = 0.0;
    loop {
        let elapsed = (self_play + training).as_secs_f64();
        if elapsed >= next_measurement || elapsed >= args.seconds {
            let mut evaluator = ChunkedEvaluator {
                inner: pipeline.inference_mut(),
                max_batch: rows,
            };
            let score = f64::from(policy_accuracy(&positions, &mut evaluator)?);
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
