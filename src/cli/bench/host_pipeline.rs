//! `wgzero bench host-pipeline`: throughput of the host pipeline (CPU reference search,
//! host replay, compiled network programs): self-play positions/s with the share of time
//! spent in the network, and training steps/s. One JSON line per measurement.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use serde::Serialize;
use wgzero::games::clique::{CliqueConfig, Mode};
use wgzero::nn::spec::NetworkSpec;
use wgzero::search::{Evaluator, ProgramEvaluator, RootPolicy, SearchError};
use wgzero::train::config::TrainConfig;
use wgzero::train::host_pipeline::HostPipeline;
use wgzero::train::host_selfplay::HostSelfPlay;
use wgzero::train::pipeline::Pipeline;
use wgzero::train::replay::ReplayBuffer;

use crate::cli::GlobalOptions;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum PolicyName {
    /// The default config's AlphaZero PUCT with Dirichlet noise.
    Alphazero,
    /// Gumbel MuZero with Gumbel noise (`--considered` root actions).
    Gumbel,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum NetName {
    Mlp,
    Gnn,
}

/// The run settings both host benchmarks take (defaults: the training config's).
#[derive(Args)]
pub struct ConfigArgs {
    #[arg(long, default_value_t = 6)]
    n: u32,
    #[arg(long, default_value_t = 3)]
    k: u32,
    #[arg(long, value_enum, default_value_t = Mode::Symmetric)]
    mode: Mode,
    /// Games in flight.
    #[arg(long)]
    games: Option<u32>,
    /// Simulations per move.
    #[arg(long)]
    sims: Option<u32>,
    #[arg(long, value_enum, default_value_t = PolicyName::Alphazero)]
    policy: PolicyName,
    /// Root actions Gumbel considers.
    #[arg(long, default_value_t = 16)]
    considered: u32,
    /// Keep the chosen child's subtree.
    #[arg(long)]
    reuse_subtree: bool,
    #[arg(long, value_enum, default_value_t = NetName::Mlp)]
    net: NetName,
    /// Hidden widths: the MLP's layers (comma-separated), or the GNN's width.
    #[arg(long, value_delimiter = ',')]
    hidden: Option<Vec<usize>>,
    /// GNN layers.
    #[arg(long, default_value_t = 3)]
    layers: usize,
    /// Training batch.
    #[arg(long)]
    batch: Option<u32>,
    /// Moves sampled in proportion to visits at the start of each game.
    #[arg(long)]
    temperature_moves: Option<u32>,
    #[arg(long)]
    learning_rate: Option<f32>,
    /// Self-play moves (per game in flight) per iteration.
    #[arg(long)]
    moves_per_iteration: Option<u32>,
    /// Training steps per iteration.
    #[arg(long)]
    train_steps: Option<u32>,
    #[arg(long)]
    replay_capacity: Option<u64>,
    #[arg(long)]
    seed: Option<u64>,
}

#[derive(Args)]
pub struct HostPipelineArgs {
    #[command(flatten)]
    config: ConfigArgs,
    /// Seconds of timed self-play, then of timed training.
    #[arg(long, default_value_t = 10.0)]
    seconds: f64,
}

#[derive(Serialize)]
struct SelfPlayLine {
    bench: &'static str,
    n: u32,
    k: u32,
    mode: String,
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
    n: u32,
    net: String,
    batch: u32,
    steps_per_s: f64,
    samples_per_s: f64,
    steps: u64,
    seconds: f64,
    backend: String,
}

/// Times the network calls of the evaluator it wraps.
struct TimedEvaluator {
    inner: ProgramEvaluator,
    busy: Duration,
}

impl Evaluator for TimedEvaluator {
    fn evaluate(
        &mut self,
        observations: &[f32],
        batch: usize,
    ) -> Result<(Vec<f32>, Vec<f32>), SearchError> {
        let start = Instant::now();
        let result = self.inner.evaluate(observations, batch);
        self.busy += start.elapsed();
        result
    }
}

/// The training config the arguments describe.
pub fn train_config(args: &ConfigArgs) -> anyhow::Result<TrainConfig> {
    let game = CliqueConfig::new(args.n, args.k, args.mode)?;
    let mut config = TrainConfig::for_game(game);
    let set = |target: &mut u32, value: Option<u32>| {
        if let Some(value) = value {
            *target = value;
        }
    };
    set(&mut config.games_in_flight, args.games);
    set(&mut config.search.simulations, args.sims);
    set(&mut config.batch_size, args.batch);
    set(&mut config.temperature_moves, args.temperature_moves);
    set(&mut config.moves_per_iteration, args.moves_per_iteration);
    set(&mut config.train_steps_per_iteration, args.train_steps);
    if let Some(learning_rate) = args.learning_rate {
        config.learning_rate = learning_rate;
    }
    if let Some(capacity) = args.replay_capacity {
        config.replay_capacity = capacity;
    }
    if let Some(seed) = args.seed {
        config.seed = seed;
    }
    config.search.reuse_subtree = args.reuse_subtree;
    if args.policy == PolicyName::Gumbel {
        config.search.policy = RootPolicy::Gumbel {
            max_considered: args.considered,
            c_visit: 50.0,
            c_scale: 0.1,
            gumbel_noise: true,
        };
    }
    config.network = match (args.net, &args.hidden) {
        (NetName::Mlp, None) => NetworkSpec::default_mlp(),
        (NetName::Mlp, Some(hidden)) => NetworkSpec::Mlp {
            hidden: hidden.clone(),
        },
        (NetName::Gnn, hidden) => NetworkSpec::Gnn {
            hidden: match hidden.as_deref() {
                None => 64,
                Some([width]) => *width,
                Some(_) => bail!("--hidden takes one width for the GNN"),
            },
            layers: args.layers,
        },
    };
    Ok(config)
}

/// The search policy's name for JSON lines.
pub fn policy_name(config: &TrainConfig) -> &'static str {
    match config.search.policy {
        RootPolicy::AlphaZero { .. } => "alphazero",
        RootPolicy::Gumbel { .. } => "gumbel",
    }
}

pub fn run(global: &GlobalOptions, args: &HostPipelineArgs) -> anyhow::Result<()> {
    let compute = global.compute()?;
    let config = train_config(&args.config)?;
    let net = format!("{:?}", config.network);
    let policy = policy_name(&config).to_owned();
    let network = config.network.build(config.game.n as usize);

    // Self-play alone, with its network calls timed.
    let games = config.games_in_flight as usize;
    let mut evaluator = TimedEvaluator {
        inner: ProgramEvaluator::new(network.as_ref(), &compute, games, config.seed)?,
        busy: Duration::ZERO,
    };
    let mut self_play = HostSelfPlay::new(
        config.game,
        games,
        config.search,
        config.temperature_moves,
        config.random_opening,
        config.surprise_weight,
        config.seed,
    )?;
    let capacity = usize::try_from(config.replay_capacity).context("replay capacity")?;
    let mut replay = ReplayBuffer::new(capacity, network.observation_len(), network.num_actions())?;
    self_play.play(2, &mut evaluator, &mut replay)?;
    evaluator.busy = Duration::ZERO;
    let start = Instant::now();
    let mut report = wgzero::train::pipeline::SelfPlayReport::default();
    while start.elapsed().as_secs_f64() < args.seconds {
        report.add(self_play.play(1, &mut evaluator, &mut replay)?);
    }
    let seconds = start.elapsed().as_secs_f64();
    let line = SelfPlayLine {
        bench: "host_selfplay",
        n: config.game.n,
        k: config.game.k,
        mode: config.game.mode.to_string(),
        net: net.clone(),
        policy,
        games: config.games_in_flight,
        sims: config.search.simulations,
        reuse_subtree: config.search.reuse_subtree,
        positions_per_s: report.positions as f64 / seconds,
        evals_per_s: report.evaluations as f64 / seconds,
        games_per_s: report.games as f64 / seconds,
        mean_game_length: report.total_length as f64 / report.games.max(1) as f64,
        network_share: evaluator.busy.as_secs_f64() / seconds,
        seconds,
        backend: compute.name(),
    };
    println!("{}", serde_json::to_string(&line)?);

    // Training steps on a buffer filled by a few moves of self-play.
    let mut pipeline = HostPipeline::new(&config, compute.clone())?;
    while pipeline.replay_len() == 0 {
        pipeline.play(4)?;
    }
    pipeline.train(2)?;
    let start = Instant::now();
    let mut steps = 0u64;
    while start.elapsed().as_secs_f64() < args.seconds {
        pipeline.train(4)?;
        steps += 4;
    }
    let seconds = start.elapsed().as_secs_f64();
    let line = TrainLine {
        bench: "host_train",
        n: config.game.n,
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
