//! `wgzero bench host-pipeline`: throughput of the host pipeline (CPU reference search,
//! host replay, compiled network programs): self-play positions/s with the share of time
//! spent in the network, and training steps/s. One JSON line per measurement.

use std::time::{Duration, Instant};

use clap::Args;
use serde::Serialize;
use wgzero::backend::Compute;
use wgzero::games::{Game, GameSpec, GameVisitor};
use wgzero::search::{Evaluator, ProgramEvaluator, RootPolicy};
use wgzero::selfplay::SelfPlayReport;
use wgzero::selfplay::host::{HostSelfPlay, HostStep};
use wgzero::selfplay::replay::ReplayRing;
use wgzero::train::config::TrainConfig;
use wgzero::train::host_pipeline::HostPipeline;
use wgzero::train::pipeline::{Completed, Pipeline, play_settings_of};

use crate::cli::GlobalOptions;
use crate::cli::settings::TrainSettings;

#[derive(Args)]
pub struct HostPipelineArgs {
    /// The run's settings, as `wgzero train` takes them.
    #[command(flatten)]
    settings: TrainSettings,
    /// Seconds of timed self-play, then of timed training.
    #[arg(long, default_value_t = 10.0, value_parser = crate::cli::settings::seconds)]
    seconds: f64,
}

#[derive(Serialize)]
struct SelfPlayLine {
    bench: &'static str,
    game: GameSpec,
    net: String,
    policy: String,
    games: u32,
    sims: u32,
    reuse_subtree: bool,
    positions_per_s: f64,
    evals_per_s: f64,
    games_per_s: f64,
    mean_game_length: f64,
    /// Share of the wall time spent in the network (the rest: tree search and recording).
    network_share: f64,
    seconds: f64,
    backend: String,
}

#[derive(Serialize)]
struct TrainLine {
    bench: &'static str,
    game: GameSpec,
    net: String,
    batch: u32,
    steps_per_s: f64,
    samples_per_s: f64,
    steps: u64,
    seconds: f64,
    backend: String,
}

/// The search policy's name for JSON lines.
pub fn policy_name(config: &TrainConfig) -> &'static str {
    match config.search.policy {
        RootPolicy::AlphaZero { .. } => "puct",
        RootPolicy::Gumbel { .. } => "gumbel",
    }
}

/// Runs what is queued on `pipeline` to the end, waiting for the GPU where the networks
/// run there (a benchmark may block).
pub fn finish(pipeline: &mut dyn Pipeline, compute: &Compute) -> anyhow::Result<Vec<Completed>> {
    let mut completed = Vec::new();
    while !pipeline.is_idle() {
        completed.extend(pipeline.poll(web_time::Instant::now() + Duration::from_secs(1))?);
        if let (Some(submission), Compute::Gpu(gpu)) = (pipeline.waiting_on(), compute) {
            gpu.wait_for(Some(submission))?;
        }
    }
    Ok(completed)
}

pub fn run(global: &GlobalOptions, args: &HostPipelineArgs) -> anyhow::Result<()> {
    let compute = global.compute()?;
    let config = args.settings.config()?;
    config.game.visit(Bench {
        config: &config,
        compute: &compute,
        seconds: args.seconds,
    })
}

struct Bench<'a> {
    config: &'a TrainConfig,
    compute: &'a Compute,
    seconds: f64,
}

impl GameVisitor for Bench<'_> {
    type Output = anyhow::Result<()>;

    fn visit<G: Game>(self, game: G) -> anyhow::Result<()> {
        let Bench {
            config,
            compute,
            seconds: budget,
        } = self;
        let net = format!("{:?}", config.network);
        let network = game.network(&config.network)?;
        // Self-play alone, with its network calls timed.
        let games = config.games_in_flight as usize;
        let mut evaluator = ProgramEvaluator::new(network.as_ref(), compute, games, config.seed)?;
        let mut self_play = HostSelfPlay::new(
            game.clone(),
            games,
            config.search,
            play_settings_of(config, false),
            config.seed,
        )?;
        let capacity = usize::try_from(config.replay_capacity)?;
        let mut replay = ReplayRing::new(capacity, self_play.record_layout());
        let mut busy = Duration::ZERO;
        let mut report = SelfPlayReport::default();
        let mut moves = 0u32;
        let mut started = None;
        let mut outputs = None;
        loop {
            match self_play.step(
                outputs.take().as_ref(),
                &mut replay,
                &mut report,
                &mut Vec::new(),
            )? {
                HostStep::Evaluate { rows } => {
                    let start = Instant::now();
                    evaluator.start(self_play.observations(), rows)?;
                    outputs = Some(evaluator.wait()?);
                    busy += start.elapsed();
                }
                HostStep::Moved => {
                    moves += 1;
                    // Two moves of warm-up, then the clock runs.
                    if moves == 2 {
                        started = Some(Instant::now());
                        report = SelfPlayReport::default();
                        busy = Duration::ZERO;
                    }
                }
            }
            if started.is_some_and(|start| start.elapsed().as_secs_f64() >= budget) {
                break;
            }
        }
        let seconds = started.map_or(0.0, |start| start.elapsed().as_secs_f64());
        let line = SelfPlayLine {
            bench: "host_selfplay",
            game: config.game,
            net: net.clone(),
            policy: policy_name(config).to_owned(),
            games: config.games_in_flight,
            sims: config.search.simulations,
            reuse_subtree: config.search.reuse_subtree,
            positions_per_s: report.positions as f64 / seconds,
            evals_per_s: report.evaluations as f64 / seconds,
            games_per_s: report.games as f64 / seconds,
            mean_game_length: report.total_length as f64 / report.games.max(1) as f64,
            network_share: busy.as_secs_f64() / seconds,
            seconds,
            backend: compute.name(),
        };
        println!("{}", serde_json::to_string(&line)?);

        // Training steps on a buffer filled by a few moves of self-play.
        let mut pipeline = HostPipeline::new(game, config, compute.clone(), None)?;
        while pipeline.replay_len() == 0 {
            pipeline.queue_play(4)?;
            finish(&mut pipeline, compute)?;
        }
        pipeline.queue_train(2)?;
        finish(&mut pipeline, compute)?;
        let start = Instant::now();
        let mut steps = 0u64;
        while start.elapsed().as_secs_f64() < budget {
            pipeline.queue_train(4)?;
            finish(&mut pipeline, compute)?;
            steps += 4;
        }
        let seconds = start.elapsed().as_secs_f64();
        let line = TrainLine {
            bench: "host_train",
            game: config.game,
            net,
            batch: config.batch_size,
            steps_per_s: steps as f64 / seconds,
            samples_per_s: (steps * u64::from(config.batch_size)) as f64 / seconds,
            steps,
            seconds,
            backend: compute.name(),
        };
        println!("{}", serde_json::to_string(&line)?);
        Ok(())
    }
}
