//! `wgzero train`: the main job. Builds a [`Trainer`] (new run or `--resume`), runs it on
//! a worker thread, and shows its events: progress bars inside an iteration, one summary
//! line per iteration, counterexamples and checkpoints.

use std::path::PathBuf;
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use wgzero::games::clique::{CliqueConfig, Mode};
use wgzero::nn::spec::NetworkSpec;
use wgzero::search::RootPolicy;
use wgzero::train::config::TrainConfig;
use wgzero::train::metrics::IterationMetrics;
use wgzero::train::trainer::{Trainer, TrainerEvent};

use super::GlobalOptions;

/// How long `wgzero train` runs when given neither --minutes nor --iterations: the README's
/// main job ends within 15 minutes, with the last iteration and the final evaluation.
const DEFAULT_MINUTES: f64 = 14.0;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum NetName {
    Mlp,
    Gnn,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum PolicyName {
    /// AlphaZero PUCT with Dirichlet noise at the root.
    Puct,
    /// Gumbel MuZero (sequential halving; completed-Q policy targets).
    Gumbel,
}

#[derive(Args)]
pub struct TrainArgs {
    /// The game (the clique game on K_n).
    #[arg(long, default_value = "clique")]
    game: String,
    /// Vertices of K_n.
    #[arg(long, default_value_t = 6)]
    n: u32,
    /// Clique size.
    #[arg(long, default_value_t = 3)]
    k: u32,
    #[arg(long, value_enum, default_value_t = Mode::Symmetric)]
    mode: Mode,
    /// Run directory (checkpoints, metrics, plots); default runs/clique-n<N>-k<K>-<mode>-<time>.
    #[arg(long, value_name = "RUN_DIR")]
    out: Option<PathBuf>,
    /// Continue the run in this directory from its latest checkpoint (its settings apply;
    /// other training options are ignored).
    #[arg(long, value_name = "RUN_DIR", conflicts_with = "out")]
    resume: Option<PathBuf>,
    /// Stop after this many minutes of wall time (checked between iterations). Without
    /// --minutes or --iterations a run stops after 14 minutes.
    #[arg(long, conflicts_with = "iterations")]
    minutes: Option<f64>,
    /// Stop after this many iterations (of this session).
    #[arg(long)]
    iterations: Option<u64>,
    #[arg(long, value_enum, default_value_t = NetName::Mlp)]
    net: NetName,
    /// Hidden width (MLP layers, or GNN states).
    #[arg(long)]
    hidden: Option<usize>,
    /// Games played at once.
    #[arg(long)]
    games: Option<u32>,
    /// Simulations per move.
    #[arg(long)]
    sims: Option<u32>,
    #[arg(long, value_enum, default_value_t = PolicyName::Puct)]
    policy: PolicyName,
    /// Moves at the start of each game sampled in proportion to the visit counts (the rest
    /// are the search's choice) [default: every move of the game].
    #[arg(long)]
    temperature_moves: Option<u32>,
    /// Each self-play game opens with r uniformly random moves, r drawn uniformly from
    /// 0..=R for every game (the searches still run and are recorded; an r at least the
    /// game's length makes the whole game random); positions inside the opening take the
    /// search's value as value target [default: the board's edges − 1; 0 turns openings
    /// off].
    #[arg(long, value_name = "R")]
    random_opening: Option<u32>,
    /// Policy-surprise weighting of the replay, λ in [0, 1]: a finished game's positions
    /// are stored (1 − λ) + λ·L·s/Σs times in expectation (L its length, s the KL divergence
    /// of the search's target from the network's prior), so positions where the search
    /// corrected the network are trained on more often [default: 0.8; 0 stores each
    /// position once].
    #[arg(long, value_name = "LAMBDA", allow_negative_numbers = true)]
    surprise_weight: Option<f32>,
    /// Weight of the Dirichlet noise mixed into the root priors in self-play (PUCT);
    /// 0 turns it off [default: 0.25].
    #[arg(long, value_name = "EPSILON")]
    noise: Option<f32>,
    /// Training batch size.
    #[arg(long)]
    batch: Option<u32>,
    #[arg(long)]
    learning_rate: Option<f32>,
    /// Decay the learning rate along a cosine to 5% of it over this many minutes of run
    /// time, then keep it there. Default: constant (it learned better in docs/TRAINING.md).
    #[arg(long, value_name = "MINUTES")]
    lr_decay_minutes: Option<f64>,
    /// Self-play moves per game per iteration.
    #[arg(long)]
    moves_per_iteration: Option<u32>,
    /// Training steps per iteration.
    #[arg(long)]
    train_steps: Option<u32>,
    /// Positions the replay buffer holds.
    #[arg(long)]
    replay_capacity: Option<u64>,
    /// Train without random vertex relabelling of the samples.
    #[arg(long)]
    no_augment: bool,
    #[arg(long)]
    seed: Option<u64>,
}

fn config_from(args: &TrainArgs) -> anyhow::Result<TrainConfig> {
    if args.game != "clique" {
        bail!(
            "--game {:?} cannot be trained yet; use --game clique",
            args.game
        );
    }
    let game = CliqueConfig::new(args.n, args.k, args.mode)?;
    let mut config = TrainConfig::for_game(game);
    config.network = match (args.net, args.hidden) {
        (NetName::Mlp, None) => NetworkSpec::default_mlp(),
        (NetName::Mlp, Some(width)) => NetworkSpec::Mlp {
            hidden: vec![width, width],
        },
        (NetName::Gnn, None) => NetworkSpec::default_gnn(),
        (NetName::Gnn, Some(width)) => NetworkSpec::Gnn {
            hidden: width,
            layers: 3,
        },
    };
    if let Some(games) = args.games {
        config.games_in_flight = games;
    }
    if let Some(sims) = args.sims {
        config.search.simulations = sims;
    }
    if args.policy == PolicyName::Gumbel {
        config.search.policy = RootPolicy::gumbel();
    }
    if let Some(moves) = args.temperature_moves {
        config.temperature_moves = moves;
    }
    if let Some(moves) = args.random_opening {
        let most = 4 * game.num_edges() as u32;
        if moves > most {
            bail!(
                "--random-opening {moves} is over {most}, four times the board's {} edges; \
                 an r of the game's length or more already plays the whole game at random",
                game.num_edges()
            );
        }
        config.random_opening = moves;
    }
    if let Some(lambda) = args.surprise_weight {
        if !(0.0..=1.0).contains(&lambda) {
            bail!(
                "--surprise-weight {lambda} is outside [0, 1]: 0 stores every position once, \
                 1 distributes each game's positions by surprise alone"
            );
        }
        config.surprise_weight = lambda;
    }
    if let Some(epsilon) = args.noise {
        config.search.policy = with_noise(config.search.policy, epsilon)?;
    }
    if let Some(batch) = args.batch {
        config.batch_size = batch;
    }
    if let Some(rate) = args.learning_rate {
        config.learning_rate = rate;
    }
    config.learning_rate_decay_seconds = args.lr_decay_minutes.map(|minutes| minutes * 60.0);
    if let Some(moves) = args.moves_per_iteration {
        config.moves_per_iteration = moves;
    }
    if let Some(steps) = args.train_steps {
        config.train_steps_per_iteration = steps;
    }
    if let Some(capacity) = args.replay_capacity {
        config.replay_capacity = capacity;
    }
    config.augment = !args.no_augment;
    if let Some(seed) = args.seed {
        config.seed = seed;
    }
    Ok(config)
}

/// `policy` with its root Dirichlet noise weighted `epsilon` (0: none).
fn with_noise(policy: RootPolicy, epsilon: f32) -> anyhow::Result<RootPolicy> {
    if !(0.0..=1.0).contains(&epsilon) {
        bail!("--noise {epsilon} must be a weight between 0 and 1");
    }
    match policy {
        RootPolicy::AlphaZero {
            c_puct,
            first_play_urgency,
            dirichlet,
        } => Ok(RootPolicy::AlphaZero {
            c_puct,
            first_play_urgency,
            dirichlet: (epsilon > 0.0)
                .then(|| (dirichlet.map_or(0.5, |(alpha, _)| alpha), epsilon)),
        }),
        RootPolicy::Gumbel { .. } => {
            bail!("--noise applies to --policy puct; Gumbel explores with its own Gumbel noise")
        }
    }
}

fn default_run_dir(config: &TrainConfig) -> PathBuf {
    let seconds = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    PathBuf::from("runs").join(format!(
        "clique-n{}-k{}-{}-{seconds}",
        config.game.n, config.game.k, config.game.mode
    ))
}

pub fn run(global: &GlobalOptions, args: &TrainArgs) -> anyhow::Result<()> {
    let compute = global.compute()?;
    let (run_dir, config) = match &args.resume {
        Some(run_dir) => (run_dir.clone(), None),
        None => {
            let config = config_from(args)?;
            let run_dir = args.out.clone().unwrap_or_else(|| default_run_dir(&config));
            (run_dir, Some(config))
        }
    };
    let minutes = match (args.minutes, args.iterations) {
        (Some(minutes), _) if !(minutes.is_finite() && minutes > 0.0) => {
            bail!("--minutes {minutes} must be a positive number of minutes")
        }
        (Some(minutes), _) => Some(minutes),
        (None, None) => Some(DEFAULT_MINUTES),
        (None, Some(_)) => None,
    };
    let deadline = minutes.map(|m| Instant::now() + Duration::from_secs_f64(m * 60.0));
    let iterations = args.iterations;
    let (sender, receiver) = mpsc::channel();
    let worker_dir = run_dir.clone();
    // The trainer lives on its own thread (built there: GPU and CPU programs stay on it);
    // this thread draws its events.
    let worker = std::thread::spawn(move || -> Result<Option<IterationMetrics>, String> {
        let mut trainer = match config {
            Some(config) => Trainer::new(config, &worker_dir, &compute, Some(sender)),
            None => Trainer::resume(&worker_dir, &compute, Some(sender)),
        }
        .map_err(|e| e.to_string())?;
        let mut last = None;
        let mut done = 0;
        loop {
            if iterations.is_some_and(|limit| done >= limit)
                || deadline.is_some_and(|d| Instant::now() >= d)
            {
                return Ok(last);
            }
            last = Some(trainer.step().map_err(|e| e.to_string())?);
            done += 1;
        }
    });
    eprintln!("run directory: {}", run_dir.display());
    let bar = ProgressBar::new(1);
    bar.set_style(
        ProgressStyle::with_template("{prefix:>10} [{bar:30}] {pos}/{len} {msg}")
            .context("progress style")?
            .progress_chars("=> "),
    );
    let mut counterexamples = 0u64;
    for event in receiver {
        match event {
            TrainerEvent::Progress { phase, done, total } => {
                bar.set_prefix(phase);
                bar.set_length(total);
                bar.set_position(done);
            }
            TrainerEvent::Iteration(metrics) => {
                bar.suspend(|| println!("{}", metrics.summary_line()))
            }
            TrainerEvent::Counterexample {
                n,
                k,
                new_up_to_isomorphism,
            } => {
                counterexamples += 1;
                if new_up_to_isomorphism {
                    bar.suspend(|| {
                        println!(
                            "new Ramsey counterexample: a 2-colouring of K_{n} with no \
                             monochromatic K_{k} (R({k},{k}) > {n}); {counterexamples} found \
                             this session"
                        )
                    });
                }
            }
            TrainerEvent::Checkpoint { .. } => {}
        }
    }
    bar.finish_and_clear();
    let last = worker
        .join()
        .map_err(|_| anyhow::anyhow!("the training thread panicked"))?
        .map_err(anyhow::Error::msg)?;
    match last {
        Some(metrics) => {
            println!("finished: {}", metrics.summary_line());
            println!("{}", final_accuracy_line(&metrics));
        }
        None => println!("no iteration ran (the time or iteration limit was already reached)"),
    }
    println!("run directory: {}", run_dir.display());
    Ok(())
}

/// The run's closing line: optimal-move accuracy against the exact solver, from the last
/// iteration's evaluation.
fn final_accuracy_line(metrics: &IterationMetrics) -> String {
    match (metrics.policy_accuracy, metrics.search_accuracy) {
        (Some(policy), Some(search)) => format!(
            "final accuracy against the solver: raw policy {:.1}%, with search {:.1}% \
             (iteration {}, {:.1} minutes)",
            100.0 * policy,
            100.0 * search,
            metrics.iteration,
            metrics.elapsed_seconds / 60.0
        ),
        (Some(policy), None) => format!(
            "final accuracy against the solver: raw policy {:.1}% (iteration {})",
            100.0 * policy,
            metrics.iteration
        ),
        _ => "final accuracy against the solver: not measured (the board is too large for \
              the solver, or the last iteration had no evaluation)"
            .to_owned(),
    }
}
