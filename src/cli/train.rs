//! `wgzero train`: the main job. Builds a [`Trainer`] (new run or `--resume`) and drives it
//! with [`Trainer::advance`], the API the app drives too, waiting for the GPU between
//! slices (the library never waits); shows its events: progress bars inside an iteration,
//! one summary line per iteration, archived games and the final accuracy.

use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use web_time::Instant;
use wgzero::backend::Compute;
use wgzero::run_dir::metrics::IterationMetrics;
use wgzero::train::config::TrainConfig;
use wgzero::train::{Trainer, TrainerEvent};

use super::GlobalOptions;
use super::settings::TrainSettings;

/// How long `wgzero train` runs when given neither --minutes nor --iterations: the README's
/// main job ends within 15 minutes, with the last iteration and the final evaluation.
const DEFAULT_MINUTES: f64 = 14.0;

/// Host work per slice between looks at the clock and the events.
const SLICE: Duration = Duration::from_millis(50);

#[derive(Args)]
pub struct TrainArgs {
    #[command(flatten)]
    settings: TrainSettings,
    /// Read the run's settings from this TOML file (keys named as the flags, with _ for
    /// -); flags given as well win over it.
    #[arg(long, value_name = "FILE", conflicts_with = "resume")]
    config: Option<PathBuf>,
    /// Run directory (checkpoints, metrics, plots); default runs/<game>-<time>.
    #[arg(long, value_name = "RUN_DIR")]
    out: Option<PathBuf>,
    /// Continue the run in this directory from its latest checkpoint, with its settings;
    /// the search's and the run's flags given change them from here on (the game's and the
    /// network's cannot change).
    #[arg(long, value_name = "RUN_DIR", conflicts_with = "out")]
    resume: Option<PathBuf>,
    /// Stop after this many minutes of wall time (checked between iterations). Without
    /// --minutes or --iterations a run stops after 14 minutes.
    #[arg(
        long,
        conflicts_with = "iterations",
        value_parser = |text: &str| super::settings::minutes_up_to(text, 1e7),
        allow_negative_numbers = true
    )]
    minutes: Option<f64>,
    /// Stop after this many iterations (of this session).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=1_000_000_000))]
    iterations: Option<u64>,
    /// Save at most this many MiB of the replay buffer's newest positions beside the
    /// checkpoints (every 5 minutes and when the session ends), which a resumed run trains
    /// on at once; 0 saves none [default: 1024].
    #[arg(long, value_name = "MIB", value_parser = clap::value_parser!(u64).range(0..=1_048_576))]
    replay_save_mb: Option<u64>,
}

/// The run's configuration from the flags and `--config`.
pub fn config_from(args: &TrainArgs) -> anyhow::Result<TrainConfig> {
    let settings = match &args.config {
        Some(path) => args.settings.over_file(path)?,
        None => args.settings.clone(),
    };
    Ok(settings.config()?)
}

fn default_run_dir(config: &TrainConfig) -> PathBuf {
    let seconds = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    PathBuf::from("runs").join(format!("{}-{seconds}", config.game.info().label()))
}

pub fn run(global: &GlobalOptions, args: &TrainArgs) -> anyhow::Result<()> {
    let config = match &args.resume {
        Some(_) => None,
        None => Some(config_from(args)?),
    };
    let compute = global.compute()?;
    let (mut trainer, run_dir) = match (&args.resume, config) {
        (Some(run_dir), _) => {
            let trainer = Trainer::resume_with(run_dir, &compute, |config| {
                args.settings.over_resumed(config)
            })?;
            (trainer, run_dir.clone())
        }
        (None, Some(config)) => {
            let run_dir = args.out.clone().unwrap_or_else(|| default_run_dir(&config));
            (Trainer::new(config, &run_dir, &compute)?, run_dir)
        }
        (None, None) => unreachable!("a new run has a configuration"),
    };
    if let Some(mib) = args.replay_save_mb {
        trainer.set_replay_save_limit(mib << 20);
    }
    eprintln!("{}", trainer.description());
    eprintln!("run directory: {}", run_dir.display());
    let minutes = match (args.minutes, args.iterations) {
        (Some(minutes), _) => Some(minutes),
        (None, None) => Some(DEFAULT_MINUTES),
        (None, Some(_)) => None,
    };
    let deadline = minutes.map(|m| Instant::now() + Duration::from_secs_f64(m * 60.0));
    let last = drive(&mut trainer, &compute, deadline, args.iterations)?;
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

/// Advances `trainer` until the deadline or the iteration limit (checked between
/// iterations), showing its events; waits for the GPU when the trainer does. Returns the
/// last iteration's metrics.
fn drive(
    trainer: &mut Trainer,
    compute: &Compute,
    deadline: Option<Instant>,
    iterations: Option<u64>,
) -> anyhow::Result<Option<IterationMetrics>> {
    let bar = ProgressBar::new(1);
    bar.set_style(
        ProgressStyle::with_template("{prefix:>16} [{bar:30}] {pos}/{len} {msg}")
            .context("progress style")?
            .progress_chars("=> "),
    );
    let mut last = None;
    let mut done = 0;
    let mut archived = 0u64;
    let mut replay_saved = false;
    loop {
        if trainer.between_iterations()
            && (iterations.is_some_and(|limit| done >= limit)
                || deadline.is_some_and(|d| Instant::now() >= d))
        {
            // The session ends: its replay goes beside the last checkpoint first.
            if !replay_saved && trainer.save_replay()? {
                replay_saved = true;
                continue;
            }
            break;
        }
        let advance = trainer.advance(SLICE)?;
        for event in advance.events {
            match event {
                TrainerEvent::Progress { phase, done, total } => {
                    bar.set_prefix(phase);
                    bar.set_length(total);
                    bar.set_position(done);
                }
                TrainerEvent::Iteration(metrics) => {
                    bar.suspend(|| println!("{}", metrics.summary_line()));
                    last = Some(*metrics);
                    done += 1;
                }
                TrainerEvent::Archived {
                    description,
                    new_up_to_isomorphism,
                } => {
                    archived += 1;
                    if new_up_to_isomorphism {
                        bar.suspend(|| {
                            println!(
                                "archived: {description}, new up to isomorphism; {archived} \
                                 archived this session"
                            )
                        });
                    }
                }
                TrainerEvent::Checkpoint { .. } => {}
                TrainerEvent::ReplaySaved {
                    iteration,
                    positions,
                    bytes,
                } => bar.suspend(|| {
                    eprintln!(
                        "replay saved: its newest {positions} positions ({:.1} MiB) with \
                         iteration {iteration}",
                        bytes as f64 / f64::from(1 << 20)
                    )
                }),
            }
        }
        if let (Some(submission), Compute::Gpu(gpu)) = (advance.waiting_for, compute) {
            // The CLI may block: the trainer only says what it waits for.
            gpu.wait_for(Some(submission))?;
        }
    }
    bar.finish_and_clear();
    Ok(last)
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
        _ => "final accuracy against the solver: not measured (the game has no solver for this \
              board, or the last iteration had no evaluation)"
            .to_owned(),
    }
}
