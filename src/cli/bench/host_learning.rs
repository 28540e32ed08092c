//! `wgzero bench host-learning`: time to accuracy of the host pipeline. Runs the plain
//! AlphaZero loop (play `moves_per_iteration` moves, train `train_steps_per_iteration`
//! steps, publish) for a wall-time budget and prints, every `--every` seconds of that
//! budget, the raw policy's optimal-move accuracy against the exact solver. It has no
//! gating, checkpoints or evaluation matches: it measures what the settings can learn in
//! a given time, so the trainer's defaults can be chosen from it.
//!
//! Accuracy: the trainer's own measure, [`AccuracySet`] (seeded by the run's seed) and
//! [`policy_accuracy`], on the CPU backend. Time spent measuring is not counted in the
//! budget.

use std::time::{Duration, Instant};

use anyhow::bail;
use clap::Args;
use serde::Serialize;
use wgzero::backend::Compute;
use wgzero::evaluate::AccuracySet;
use wgzero::evaluate::accuracy::policy_accuracy;
use wgzero::games::{Game, GameSpec, GameVisitor};
use wgzero::search::ProgramEvaluator;
use wgzero::selfplay::SelfPlayReport;
use wgzero::train::config::TrainConfig;
use wgzero::train::host_pipeline::HostPipeline;
use wgzero::train::pipeline::{Completed, LossReport, Pipeline};

use super::host_pipeline::{finish, policy_name};
use crate::cli::GlobalOptions;
use crate::cli::settings::TrainSettings;

#[derive(Args)]
pub struct HostLearningArgs {
    /// The run's settings, as `wgzero train` takes them.
    #[command(flatten)]
    settings: TrainSettings,
    /// Wall-time budget of the loop, in seconds (measurements excluded).
    #[arg(long, default_value_t = 300.0, value_parser = crate::cli::settings::seconds)]
    seconds: f64,
    /// Measure the accuracy every this many seconds of the budget.
    #[arg(long, default_value_t = 30.0, value_parser = crate::cli::settings::seconds)]
    every: f64,
    /// Accuracy positions.
    #[arg(long, default_value_t = 400, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=100000))]
    positions: usize,
}

#[derive(Serialize)]
struct Line {
    bench: &'static str,
    game: GameSpec,
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
    let config = args.settings.config()?;
    config.game.visit(Learning {
        config: &config,
        compute: &compute,
        args,
    })
}

struct Learning<'a> {
    config: &'a TrainConfig,
    compute: &'a Compute,
    args: &'a HostLearningArgs,
}

impl GameVisitor for Learning<'_> {
    type Output = anyhow::Result<()>;

    fn visit<G: Game>(self, game: G) -> anyhow::Result<()> {
        let Learning {
            config,
            compute,
            args,
        } = self;
        let Some(positions) = AccuracySet::new(&game, args.positions, config.seed)? else {
            bail!(
                "no accuracy positions on {}: the game needs an exact solver for this board, \
                 and random play must reach positions whose moves differ in value",
                game.label()
            );
        };
        let network = game.network(&config.network)?;
        let mut measure = ProgramEvaluator::new(
            network.as_ref(),
            &Compute::Cpu,
            positions.len(),
            config.seed,
        )?;
        let mut pipeline = HostPipeline::new(game, config, compute.clone(), None)?;
        let (mut self_play, mut training) = (Duration::ZERO, Duration::ZERO);
        let mut report = SelfPlayReport::default();
        let mut iterations = 0u64;
        let mut last_losses = LossReport::default();
        let mut next_measurement = 0.0;
        loop {
            let elapsed = (self_play + training).as_secs_f64();
            if elapsed >= next_measurement || elapsed >= args.seconds {
                let step = pipeline.training_step();
                for name in &step.parameters {
                    let values = step.program.start_read(&[name.as_str()])?.wait()?;
                    measure.program_mut().write(name, &values[0])?;
                }
                let score = f64::from(policy_accuracy(&positions, &mut measure)?);
                let line = Line {
                    bench: "host_learning",
                    game: config.game,
                    net: format!("{:?}", config.network),
                    policy: policy_name(config),
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
            pipeline.queue_play(config.moves_per_iteration)?;
            for done in finish(&mut pipeline, compute)? {
                if let Completed::Played { report: part, .. } = done {
                    report.add(&part);
                }
            }
            self_play += start.elapsed();
            let start = Instant::now();
            if pipeline.replay_len() > 0 && config.train_steps_per_iteration > 0 {
                pipeline.queue_train(config.train_steps_per_iteration)?;
                for done in finish(&mut pipeline, compute)? {
                    if let Completed::Trained { losses, .. } = done {
                        last_losses = losses;
                    }
                }
            }
            training += start.elapsed();
            iterations += 1;
        }
    }
}
