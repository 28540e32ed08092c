//! The training loop: self-play → replay → training → evaluation and gating → checkpoint
//! → metrics, one iteration per [`Trainer::step`]. The CLI and the app drive the same
//! `Trainer` and follow it through [`TrainerEvent`]s.

use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::sync::mpsc::Sender;
use std::time::Instant;

use super::TrainError;
use super::checkpoint::{Checkpoint, CheckpointStore, Restore, RunState, Standing, Which};
use super::config::TrainConfig;
use super::evaluate::{
    AccuracySet, MatchSettings, Player, play_match, policy_accuracy, search_accuracy,
};
use super::gpu_pipeline::GpuPipeline;
use super::host_pipeline::HostPipeline;
use super::metrics::{IterationMetrics, MetricsLog};
use super::pipeline::{LossReport, Pipeline, SelfPlayReport};
use super::plots::write_plots;
use crate::backend::Compute;
use crate::games::clique::Mode;
use crate::games::clique::archive::RamseyArchive;
use crate::graph::optim::LEARNING_RATE;
use crate::graph::{Graph, Program};
use crate::nn;
use crate::search::ProgramEvaluator;

/// What the trainer tells its driver.
#[derive(Clone, Debug)]
pub enum TrainerEvent {
    /// Progress inside an iteration: `done` of `total` units of `phase`.
    Progress {
        phase: &'static str,
        done: u64,
        total: u64,
    },
    /// A new Ramsey counterexample (avoid mode), verified and archived.
    Counterexample {
        n: u32,
        k: u32,
        new_up_to_isomorphism: bool,
    },
    Checkpoint {
        iteration: u64,
        path: PathBuf,
        best: bool,
    },
    /// An iteration finished.
    Iteration(Box<IterationMetrics>),
}

/// Self-play moves (per game in flight) between progress reports.
const MOVES_PER_REPORT: u32 = 2;
/// Training steps between progress reports.
const STEPS_PER_REPORT: u32 = 16;

pub struct Trainer {
    config: TrainConfig,
    run_dir: PathBuf,
    pipeline: Box<dyn Pipeline>,
    store: CheckpointStore,
    metrics: MetricsLog,
    archive: Option<RamseyArchive>,
    iteration: u64,
    /// Wall time of earlier sessions of this run (before a resume).
    elapsed_before: f64,
    started: Instant,
    events: Option<Sender<TrainerEvent>>,
    evaluation: Evaluation,
}

/// The evaluation's state: the solver-labelled positions, and networks for the candidate
/// (the parameters training has reached) and the best (the last to pass gating).
struct Evaluation {
    accuracy: Option<AccuracySet>,
    candidate: ProgramEvaluator,
    best: ProgramEvaluator,
    /// Whether `best` holds a network yet (the first evaluation makes the candidate best).
    has_best: bool,
    /// Positions per call the evaluation networks were compiled for.
    batch: usize,
    /// Trainable parameter names, copied from the training program.
    parameters: Vec<String>,
}

/// What one evaluation measured, and whether the candidate passed gating.
struct Measured {
    policy_accuracy: Option<f64>,
    search_accuracy: Option<f64>,
    random: (f64, f64),
    best: Option<(f64, f64)>,
    promoted: bool,
}

impl Evaluation {
    fn new(config: &TrainConfig, compute: &Compute, graph: &Graph) -> Result<Self, TrainError> {
        let accuracy =
            AccuracySet::new(config.game, config.accuracy_positions as usize, config.seed)?;
        let batch = accuracy
            .as_ref()
            .map_or(0, AccuracySet::len)
            .max(config.evaluation_games as usize)
            .max(1);
        let network = config.network.build(config.game.n as usize);
        Ok(Self {
            accuracy,
            candidate: ProgramEvaluator::new(network.as_ref(), compute, batch, config.seed)?,
            best: ProgramEvaluator::new(network.as_ref(), compute, batch, config.seed)?,
            has_best: false,
            batch,
            parameters: graph.parameter_names(),
        })
    }

    /// The batch the evaluation networks were compiled for.
    fn candidate_batch(&self) -> usize {
        self.batch
    }

    fn copy_parameters(
        names: &[String],
        from: &Program,
        to: &mut Program,
    ) -> Result<(), TrainError> {
        for name in names {
            to.write(name, &from.read(name)?)?;
        }
        Ok(())
    }

    fn measure(
        &mut self,
        config: &TrainConfig,
        training: &Program,
        iteration: u64,
    ) -> Result<Measured, TrainError> {
        Self::copy_parameters(&self.parameters, training, self.candidate.program_mut())?;
        let (policy_accuracy, search_accuracy) = match &self.accuracy {
            Some(set) => (
                Some(f64::from(policy_accuracy(set, &mut self.candidate)?)),
                Some(f64::from(search_accuracy(
                    set,
                    &mut self.candidate,
                    config.accuracy_simulations,
                    config.search.policy,
                )?)),
            ),
            None => (None, None),
        };
        let seed = config.seed ^ iteration.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let settings = MatchSettings::new(config.evaluation_games, seed);
        let random = play_match(
            config.game,
            Player::Network(&mut self.candidate),
            Player::Random,
            &settings,
        )?;
        let (best, promoted) = if self.has_best {
            let result = play_match(
                config.game,
                Player::Network(&mut self.candidate),
                Player::Network(&mut self.best),
                &settings,
            )?;
            let promoted = result.score >= config.gating_threshold;
            (
                Some((f64::from(result.win_rate()), f64::from(result.draw_rate()))),
                promoted,
            )
        } else {
            (None, true)
        };
        if promoted {
            Self::copy_parameters(
                &self.parameters,
                self.candidate.program(),
                self.best.program_mut(),
            )?;
            self.has_best = true;
        }
        Ok(Measured {
            policy_accuracy,
            search_accuracy,
            random: (f64::from(random.win_rate()), f64::from(random.draw_rate())),
            best,
            promoted,
        })
    }
}

/// The pipeline for a session that starts at `iteration`: the GPU pipeline on a GPU, the
/// host pipeline on the CPU backend. Its random streams (self-play noise and sampling,
/// replay draws, augmentation) are seeded from the run's seed and that iteration, the
/// checkpoint's RNG state, so a resumed session does not replay the first session's draws.
fn build_pipeline(
    config: &TrainConfig,
    compute: &Compute,
    iteration: u64,
) -> Result<Box<dyn Pipeline>, TrainError> {
    let mut session = config.clone();
    if iteration > 0 {
        session.seed = config.seed ^ iteration.wrapping_mul(0xD1B5_4A32_D192_ED03);
    }
    match compute {
        Compute::Gpu(gpu) => Ok(Box::new(GpuPipeline::new(&session, gpu)?)),
        Compute::Cpu => Ok(Box::new(HostPipeline::new(&session, Compute::Cpu)?)),
    }
}

impl Trainer {
    /// Starts a new run in `run_dir` (which must not hold checkpoints yet).
    pub fn new(
        config: TrainConfig,
        run_dir: &Path,
        compute: &Compute,
        events: Option<Sender<TrainerEvent>>,
    ) -> Result<Self, TrainError> {
        check(&config)?;
        let store = CheckpointStore::open(run_dir, keep(&config))?;
        if let Some(latest) = store.latest_iteration() {
            return Err(TrainError::Config(format!(
                "{} already holds a run (checkpoint of iteration {latest}); continue it with \
                 --resume {}, or choose another --out",
                run_dir.display(),
                run_dir.display()
            )));
        }
        let pipeline = build_pipeline(&config, compute, 0)?;
        let archive = open_archive(&config, run_dir)?;
        let evaluation = Evaluation::new(&config, compute, &pipeline.training_step().graph)?;
        Ok(Self {
            evaluation,
            metrics: MetricsLog::open(run_dir)?,
            config,
            run_dir: run_dir.to_owned(),
            pipeline,
            store,
            archive,
            iteration: 0,
            elapsed_before: 0.0,
            started: Instant::now(),
            events,
        })
    }

    /// Continues the run in `run_dir` from its latest checkpoint: network, optimizer state,
    /// metric history and iteration count. The replay buffer refills by self-play.
    pub fn resume(
        run_dir: &Path,
        compute: &Compute,
        events: Option<Sender<TrainerEvent>>,
    ) -> Result<Self, TrainError> {
        let checkpoint = Checkpoint::load(run_dir, Which::Latest)?;
        let record = checkpoint.record();
        let config: TrainConfig =
            serde_json::from_value(record.config.clone()).map_err(|error| {
                TrainError::Config(format!(
                    "the checkpoint {} holds no readable training configuration ({error}); it was \
                 not written by `wgzero train`",
                    checkpoint.path().display()
                ))
            })?;
        check(&config)?;
        let mut pipeline = build_pipeline(&config, compute, record.iteration)?;
        let network = config.network.descriptor(config.game.n as usize);
        let step = pipeline.training_step_mut();
        checkpoint.restore(&network, &step.graph, &mut step.program, Restore::Training)?;
        pipeline.publish()?;
        let store = CheckpointStore::open(run_dir, keep(&config))?;
        let metrics = MetricsLog::resume(run_dir, &record.metrics)?;
        let archive = open_archive(&config, run_dir)?;
        let mut evaluation = Evaluation::new(&config, compute, &pipeline.training_step().graph)?;
        // The gating opponent is the run's best checkpoint.
        let best = Checkpoint::load(run_dir, Which::Best)?;
        let inference = Graph::new();
        let built = config.network.build(config.game.n as usize);
        nn::inference(&inference, built.as_ref(), evaluation.candidate_batch());
        best.restore(
            &network,
            &inference,
            evaluation.best.program_mut(),
            Restore::Inference,
        )?;
        evaluation.has_best = true;
        Ok(Self {
            evaluation,
            iteration: record.iteration,
            elapsed_before: record.elapsed_seconds,
            config,
            run_dir: run_dir.to_owned(),
            pipeline,
            store,
            metrics,
            archive,
            started: Instant::now(),
            events,
        })
    }

    pub fn config(&self) -> &TrainConfig {
        &self.config
    }

    pub fn iteration(&self) -> u64 {
        self.iteration
    }

    pub fn run_dir(&self) -> &Path {
        &self.run_dir
    }

    pub fn history(&self) -> &[IterationMetrics] {
        self.metrics.history()
    }

    fn emit(&self, event: TrainerEvent) {
        if let Some(events) = &self.events {
            // A driver that stopped listening does not stop training.
            let _ = events.send(event);
        }
    }

    fn elapsed(&self) -> f64 {
        self.elapsed_before + self.started.elapsed().as_secs_f64()
    }

    fn self_play(&mut self) -> Result<(SelfPlayReport, f64), TrainError> {
        let start = Instant::now();
        let total = self.config.moves_per_iteration;
        let mut report = SelfPlayReport::default();
        let mut done = 0;
        while done < total {
            let now = MOVES_PER_REPORT.min(total - done);
            report.add(self.pipeline.play(now)?);
            done += now;
            self.emit(TrainerEvent::Progress {
                phase: "self-play",
                done: u64::from(done),
                total: u64::from(total),
            });
        }
        Ok((report, start.elapsed().as_secs_f64()))
    }

    fn learn(&mut self) -> Result<Option<LossReport>, TrainError> {
        if self.pipeline.replay_len() < u64::from(self.config.batch_size) {
            return Ok(None);
        }
        let total = self.config.train_steps_per_iteration;
        let mut sums = LossReport::default();
        let mut done = 0;
        while done < total {
            let now = STEPS_PER_REPORT.min(total - done);
            let part = self.pipeline.train(now)?;
            let weight = now as f32;
            sums.loss += part.loss * weight;
            sums.policy_loss += part.policy_loss * weight;
            sums.value_loss += part.value_loss * weight;
            sums.policy_entropy += part.policy_entropy * weight;
            done += now;
            self.emit(TrainerEvent::Progress {
                phase: "training",
                done: u64::from(done),
                total: u64::from(total),
            });
        }
        self.pipeline.publish()?;
        let steps = total.max(1) as f32;
        Ok(Some(LossReport {
            steps: total,
            loss: sums.loss / steps,
            policy_loss: sums.policy_loss / steps,
            value_loss: sums.value_loss / steps,
            policy_entropy: sums.policy_entropy / steps,
        }))
    }

    /// Archives every drawn avoid-mode game; returns how many were new up to isomorphism.
    fn archive_draws(&mut self, report: &SelfPlayReport) -> Result<(), TrainError> {
        let Some(archive) = &mut self.archive else {
            return Ok(());
        };
        let outcomes = archive.record_all(&report.drawn_final_states, "self-play")?;
        for outcome in outcomes {
            let new_up_to_isomorphism = outcome.new_up_to_isomorphism;
            self.emit(TrainerEvent::Counterexample {
                n: self.config.game.n,
                k: self.config.game.k,
                new_up_to_isomorphism,
            });
        }
        Ok(())
    }

    /// One iteration: self-play, training, archive, checkpoint, metrics, plots.
    pub fn step(&mut self) -> Result<IterationMetrics, TrainError> {
        let (report, play_seconds) = self.self_play()?;
        self.archive_draws(&report)?;
        let learning_rate = self.config.learning_rate_at(self.elapsed());
        self.pipeline
            .training_step_mut()
            .program
            .write(LEARNING_RATE, &[learning_rate])?;
        let losses = self.learn()?.unwrap_or_default();
        self.iteration += 1;
        let (total, distinct) = self.archive.as_ref().map_or((0, 0), |archive| {
            archive.counts().iter().fold((0, 0), |(t, d), c| {
                (t + c.records, d + c.distinct_up_to_isomorphism)
            })
        });
        let games = report.games.max(1) as f64;
        let previous_games = self.metrics.history().last().map_or(0, |m| m.games_played);
        let evaluate = self.config.evaluate_every > 0
            && self
                .iteration
                .is_multiple_of(u64::from(self.config.evaluate_every));
        let measured = if evaluate {
            self.emit(TrainerEvent::Progress {
                phase: "evaluation",
                done: 0,
                total: 1,
            });
            let measured = self.evaluation.measure(
                &self.config,
                &self.pipeline.training_step().program,
                self.iteration,
            )?;
            self.emit(TrainerEvent::Progress {
                phase: "evaluation",
                done: 1,
                total: 1,
            });
            Some(measured)
        } else {
            None
        };
        let record = IterationMetrics {
            iteration: self.iteration,
            elapsed_seconds: self.elapsed(),
            loss: f64::from(losses.loss),
            policy_loss: f64::from(losses.policy_loss),
            value_loss: f64::from(losses.value_loss),
            policy_entropy: f64::from(losses.policy_entropy),
            learning_rate: f64::from(learning_rate),
            mean_game_length: report.total_length as f64 / games,
            first_player_win_rate: report.wins[0] as f64 / games,
            draw_rate: report.draws as f64 / games,
            random_win_rate: measured.as_ref().map(|m| m.random.0),
            random_draw_rate: measured.as_ref().map(|m| m.random.1),
            best_win_rate: measured.as_ref().and_then(|m| m.best.map(|b| b.0)),
            best_draw_rate: measured.as_ref().and_then(|m| m.best.map(|b| b.1)),
            policy_accuracy: measured.as_ref().and_then(|m| m.policy_accuracy),
            search_accuracy: measured.as_ref().and_then(|m| m.search_accuracy),
            positions_per_second: report.positions as f64 / play_seconds.max(1e-9),
            evaluations_per_second: report.evaluations as f64 / play_seconds.max(1e-9),
            games_played: previous_games + report.games,
            counterexamples_total: total,
            counterexamples_distinct: distinct,
            backend: self.pipeline.compute().name(),
        };
        let standing = if measured.as_ref().is_some_and(|m| m.promoted) {
            Standing::Best
        } else {
            Standing::Candidate
        };
        self.checkpoint(&record, standing)?;
        self.metrics.append(&record)?;
        write_plots(&self.run_dir, self.metrics.history())?;
        self.emit(TrainerEvent::Iteration(Box::new(record.clone())));
        Ok(record)
    }

    fn checkpoint(
        &mut self,
        record: &IterationMetrics,
        standing: Standing,
    ) -> Result<(), TrainError> {
        let network = self.config.network.descriptor(self.config.game.n as usize);
        let config =
            serde_json::to_value(&self.config).map_err(|e| TrainError::Config(e.to_string()))?;
        let rng_state =
            serde_json::json!({ "seed": self.config.seed, "iteration": self.iteration });
        let mut history = self.metrics.history().to_vec();
        history.push(record.clone());
        let state = RunState {
            iteration: self.iteration,
            network: &network,
            config: &config,
            rng_state: &rng_state,
            metrics: &history,
            elapsed_seconds: record.elapsed_seconds,
        };
        let step = self.pipeline.training_step();
        let saved = self
            .store
            .save(&state, &step.graph, &step.program, standing)?;
        self.emit(TrainerEvent::Checkpoint {
            iteration: saved.iteration,
            path: saved.path,
            best: saved.best_iteration == saved.iteration,
        });
        Ok(())
    }
}

fn keep(config: &TrainConfig) -> NonZeroUsize {
    NonZeroUsize::new(config.keep_checkpoints).unwrap_or(NonZeroUsize::MIN)
}

fn open_archive(config: &TrainConfig, run_dir: &Path) -> Result<Option<RamseyArchive>, TrainError> {
    if config.game.mode == Mode::Avoid {
        Ok(Some(RamseyArchive::open(run_dir)?))
    } else {
        Ok(None)
    }
}

/// Rejects settings that cannot work, saying what to change.
pub fn check(config: &TrainConfig) -> Result<(), TrainError> {
    let bad = |message: String| Err(TrainError::Config(message));
    if config.games_in_flight == 0 {
        return bad("--games must be at least 1".into());
    }
    if config.batch_size == 0 {
        return bad("--batch must be at least 1".into());
    }
    if config.moves_per_iteration == 0 {
        return bad("--moves-per-iteration must be at least 1".into());
    }
    if !(config.learning_rate > 0.0 && config.learning_rate.is_finite()) {
        return bad(format!(
            "--learning-rate must be positive, got {}",
            config.learning_rate
        ));
    }
    if let Some(seconds) = config.learning_rate_decay_seconds
        && !(seconds > 0.0 && seconds.is_finite())
    {
        return bad(format!(
            "--lr-decay-minutes must be a positive number of minutes, got {}",
            seconds / 60.0
        ));
    }
    if !(0.0..=1.0).contains(&config.gating_threshold) {
        return bad(format!(
            "--gating-threshold must be between 0 and 1, got {}",
            config.gating_threshold
        ));
    }
    let per_round = u64::from(config.games_in_flight) * config.game.num_edges() as u64;
    if config.replay_capacity < per_round {
        return bad(format!(
            "--replay-capacity {} is below one round of games ({} games × {} moves = {per_round}); raise it",
            config.replay_capacity,
            config.games_in_flight,
            config.game.num_edges()
        ));
    }
    config.search.check()?;
    Ok(())
}
