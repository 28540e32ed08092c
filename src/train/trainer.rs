//! The training loop for any game: self-play → training → evaluation → game records →
//! checkpoint → metrics, one iteration after another, advanced in slices by
//! [`Trainer::advance`].
//!
//! `advance` never waits for the GPU: it queues work on the pipeline, collects what has
//! finished, runs host work (evaluation, the CPU pipeline, checkpoints) until its time
//! budget is spent, and returns what happened as [`TrainerEvent`]s. When it returns because
//! it waits for the GPU, [`Advance::waiting_for`] names the submission: a blocking driver
//! (the CLI) may wait for it; a UI simply calls again next frame. The CLI, the desktop app
//! and the web app all drive this same API.

use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::time::Duration;

use web_time::Instant;

use super::TrainError;
use super::config::{ConfigError, TrainConfig};
use super::pipeline::{Completed, LossReport, Pipeline, build_parts};
use crate::backend::Compute;
use crate::evaluate::{Evaluation, Measured};
use crate::run_dir::checkpoint::{Checkpoint, CheckpointStore, Restore, RunState, StoredTensor};
use crate::run_dir::games::{GameLog, GameRecord, GameSource, PlayedGame, records_games_at};
use crate::run_dir::metrics::{IterationMetrics, MetricsLog};
use crate::run_dir::replay::{self, ReplaySnapshot};
use crate::selfplay::SelfPlayReport;

/// What the trainer tells its driver.
#[derive(Clone, Debug)]
pub enum TrainerEvent {
    /// Progress inside an iteration: `done` of `total` units of `phase`.
    Progress {
        phase: &'static str,
        done: u64,
        total: u64,
    },
    /// A finished game the game's archive kept (avoid mode: a Ramsey counterexample),
    /// checked independently first.
    Archived {
        description: String,
        new_up_to_isomorphism: bool,
    },
    Checkpoint {
        iteration: u64,
        path: PathBuf,
    },
    /// An iteration finished.
    Iteration(Box<IterationMetrics>),
    /// The replay buffer's newest `positions` were saved beside the checkpoint of
    /// `iteration` (`bytes` bytes), for a resumed run to train on at once.
    ReplaySaved {
        iteration: u64,
        positions: u64,
        bytes: u64,
    },
}

/// Seconds between the saves of the replay buffer during a run (a session's end saves it
/// too: [`Trainer::save_replay`]).
pub const REPLAY_SAVE_SECONDS: f64 = 300.0;

/// Bytes of replay saved by default: the newest positions up to this size.
pub const DEFAULT_REPLAY_SAVE_BYTES: u64 = 1 << 30;

/// What one [`Trainer::advance`] did.
#[derive(Debug, Default)]
pub struct Advance {
    pub events: Vec<TrainerEvent>,
    /// The GPU submission the trainer's next progress depends on, if any: a blocking
    /// driver may wait for it before the next call. `None` on the host, or between
    /// iterations.
    pub waiting_for: Option<wgpu::SubmissionIndex>,
}

/// Where an iteration stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    /// Between iterations: the next advance starts one.
    Start,
    /// Self-play moves completed of this iteration's.
    SelfPlay { done: u32 },
    /// Training steps queued; their completions arrive.
    Training,
    /// The evaluation runs (the snapshot may arrive meanwhile).
    Evaluating,
    /// Waiting for the snapshot of the trained values.
    Snapshot,
    /// Between iterations, waiting for the replay read [`Trainer::save_replay`] asked for.
    SavingReplay,
}

/// What the iteration in progress has gathered.
#[derive(Default)]
struct Iteration {
    report: SelfPlayReport,
    /// The run clock's seconds when self-play started (pauses do not count).
    play_started: f64,
    play_seconds: f64,
    losses: LossReport,
    learning_rate: f32,
    measured: Option<Measured>,
    snapshot: Option<Vec<StoredTensor>>,
    /// Games recorded for `games.jsonl`, and how many of them are self-play's.
    recorded: Vec<GameRecord>,
    self_play_recorded: u32,
}

/// The run's wall time: earlier sessions' plus this one's, without pauses.
struct RunClock {
    /// Seconds of earlier sessions (before a resume).
    before: f64,
    started: Instant,
    /// Seconds paused in this session, before the pause in progress.
    paused: f64,
    paused_since: Option<Instant>,
}

impl RunClock {
    fn new(before: f64) -> Self {
        Self {
            before,
            started: Instant::now(),
            paused: 0.0,
            paused_since: None,
        }
    }

    fn seconds(&self) -> f64 {
        let pausing = self
            .paused_since
            .map_or(0.0, |since| since.elapsed().as_secs_f64());
        self.before + self.started.elapsed().as_secs_f64() - self.paused - pausing
    }

    fn pause(&mut self) {
        self.paused_since.get_or_insert_with(Instant::now);
    }

    fn resume(&mut self) {
        if let Some(since) = self.paused_since.take() {
            self.paused += since.elapsed().as_secs_f64();
        }
    }
}

pub struct Trainer {
    config: TrainConfig,
    run_dir: PathBuf,
    pipeline: Box<dyn Pipeline>,
    evaluation: Box<dyn Evaluation>,
    store: CheckpointStore,
    metrics: MetricsLog,
    games: GameLog,
    /// Iterations completed (the latest checkpoint's).
    iteration: u64,
    clock: RunClock,
    stage: Stage,
    current: Iteration,
    /// (records, distinct up to isomorphism) of the game's archive, if it keeps one.
    archived: (u64, u64),
    replay: ReplaySaving,
}

/// How the replay buffer is saved beside the checkpoints.
struct ReplaySaving {
    /// At most this many bytes of the newest positions; 0 saves none.
    limit_bytes: u64,
    /// When the last read for saving was queued (or the session started).
    last: Instant,
    /// The checkpoint iteration of a read on its way.
    reading: Option<u64>,
    /// What a resume did with the saved replay.
    note: Option<String>,
}

impl ReplaySaving {
    fn new(note: Option<String>) -> Self {
        Self {
            limit_bytes: DEFAULT_REPLAY_SAVE_BYTES,
            last: Instant::now(),
            reading: None,
            note,
        }
    }
}

/// Refills `pipeline`'s replay buffer from `run_dir`'s saved replay where its layout
/// fits; says what happened. A missing or unreadable file does not stop a resume.
fn restore_saved_replay(run_dir: &Path, pipeline: &mut dyn Pipeline) -> Result<String, TrainError> {
    let saved = match replay::load(run_dir) {
        Ok(Some(saved)) => saved,
        Ok(None) => {
            return Ok("no saved replay: training starts once self-play fills a batch".into());
        }
        Err(error) => return Ok(format!("saved replay not restored: {error}")),
    };
    let layout = pipeline.replay_layout();
    if saved.layout != layout {
        return Ok(format!(
            "saved replay not restored: its records ({}) are not this pipeline's ({layout})",
            saved.layout
        ));
    }
    pipeline.restore_replay(&saved)?;
    Ok(format!(
        "replay: {} positions restored (saved with iteration {})",
        saved.len(),
        saved.iteration
    ))
}

/// The seed of a session's random streams (self-play noise and sampling, replay draws,
/// augmentation): the run's seed for its first session, mixed with the iteration it
/// resumes from after that, so a resumed session does not replay the first one's draws.
fn session_seed(seed: u64, iteration: u64) -> u64 {
    if iteration == 0 {
        seed
    } else {
        seed ^ iteration.wrapping_mul(0xD1B5_4A32_D192_ED03)
    }
}

impl Trainer {
    /// Starts a new run in `run_dir` (which must not hold checkpoints yet).
    pub fn new(config: TrainConfig, run_dir: &Path, compute: &Compute) -> Result<Self, TrainError> {
        config.validate()?;
        // Before the run directory is made: a precision this compute lacks is a setting.
        config.precision.resolve(compute)?;
        let store = CheckpointStore::open(run_dir, keep(&config))?;
        if let Some(latest) = store.latest_iteration() {
            return Err(TrainError::Config(format!(
                "{} already holds a run (checkpoint of iteration {latest}); continue it with \
                 --resume {}, or choose another --out",
                run_dir.display(),
                run_dir.display()
            )));
        }
        let parts = build_parts(&config, compute, run_dir, session_seed(config.seed, 0))?;
        Ok(Self {
            metrics: MetricsLog::open(run_dir)?,
            games: GameLog::open(run_dir, 0)?,
            config,
            run_dir: run_dir.to_owned(),
            pipeline: parts.pipeline,
            evaluation: parts.evaluation,
            store,
            iteration: 0,
            clock: RunClock::new(0.0),
            stage: Stage::Start,
            current: Iteration::default(),
            archived: (0, 0),
            replay: ReplaySaving::new(None),
        })
    }

    /// Continues the run in `run_dir` from its latest checkpoint: network, optimizer state,
    /// metric history and iteration count, and the replay buffer's newest positions as
    /// last saved ([`crate::run_dir::replay`]; without them it refills by self-play, and
    /// training waits until it holds a batch).
    pub fn resume(run_dir: &Path, compute: &Compute) -> Result<Self, TrainError> {
        Self::resume_with(run_dir, compute, |_| Ok(()))
    }

    /// [`Trainer::resume`] with `changes` made to the run's settings first (the schedule:
    /// games, steps, learning rate, search; the game and the network must stay, as the
    /// checkpoint's tensors fix them). The changed settings are checked, and the run's
    /// later checkpoints carry them.
    pub fn resume_with(
        run_dir: &Path,
        compute: &Compute,
        changes: impl FnOnce(&mut TrainConfig) -> Result<(), ConfigError>,
    ) -> Result<Self, TrainError> {
        let checkpoint = Checkpoint::load(run_dir)?;
        let record = checkpoint.record();
        let mut config = TrainConfig::from_checkpoint(&checkpoint)?;
        let (game, network) = (config.game, config.network.clone());
        changes(&mut config)?;
        if config.game != game || config.network != network {
            return Err(TrainError::Config(
                "a resumed run keeps its game and its network (the checkpoint's tensors are \
                 theirs): start a new run with --out to change them"
                    .into(),
            ));
        }
        config.validate()?;
        let seed = session_seed(config.seed, record.iteration);
        let mut parts = build_parts(&config, compute, run_dir, seed)?;
        let network = config.game.info().network_descriptor(&config.network);
        let tensors: Vec<StoredTensor> = checkpoint
            .check(
                &network,
                &parts.pipeline.training_step().graph,
                Restore::Training,
            )?
            .into_iter()
            .cloned()
            .collect();
        parts.pipeline.restore(&tensors)?;
        let replay_note = restore_saved_replay(run_dir, parts.pipeline.as_mut())?;
        // The vs-previous match of the first evaluation plays the resumed network.
        parts
            .evaluation
            .set_previous(&parts.pipeline.training_step().program)?;
        let store = CheckpointStore::open(run_dir, keep(&config))?;
        let metrics = MetricsLog::resume(run_dir, &record.metrics)?;
        let games = GameLog::open(run_dir, record.iteration)?;
        let archived = record.metrics.last().map_or((0, 0), |m| {
            (m.counterexamples_total, m.counterexamples_distinct)
        });
        Ok(Self {
            iteration: record.iteration,
            clock: RunClock::new(record.elapsed_seconds),
            config,
            run_dir: run_dir.to_owned(),
            pipeline: parts.pipeline,
            evaluation: parts.evaluation,
            store,
            metrics,
            games,
            stage: Stage::Start,
            current: Iteration::default(),
            archived,
            replay: ReplaySaving::new(Some(replay_note)),
        })
    }

    pub fn config(&self) -> &TrainConfig {
        &self.config
    }

    /// Iterations completed.
    pub fn iteration(&self) -> u64 {
        self.iteration
    }

    pub fn run_dir(&self) -> &Path {
        &self.run_dir
    }

    pub fn history(&self) -> &[IterationMetrics] {
        self.metrics.history()
    }

    /// The GPU the trainer's work runs on, if any (what a blocking driver waits on).
    pub fn gpu(&self) -> Option<&std::sync::Arc<crate::gpu::Gpu>> {
        match self.pipeline.compute() {
            Compute::Gpu(gpu) => Some(gpu),
            Compute::Cpu => None,
        }
    }

    /// One line: which pipeline runs where, and why (and, resumed, what became of the
    /// saved replay).
    pub fn description(&self) -> String {
        match &self.replay.note {
            Some(note) => format!("{}; {note}", self.pipeline.description()),
            None => self.pipeline.description(),
        }
    }

    /// Saves at most `bytes` of the replay buffer's newest positions from now on (0: none).
    pub fn set_replay_save_limit(&mut self, bytes: u64) {
        self.replay.limit_bytes = bytes;
    }

    /// Saves the replay buffer now, beside the latest checkpoint (a session's end); call
    /// between iterations, then [`Trainer::advance`] until
    /// [`Trainer::between_iterations`]. Returns false where there is nothing to wait for
    /// (no checkpoint yet, or saving is off).
    pub fn save_replay(&mut self) -> Result<bool, TrainError> {
        if self.stage != Stage::Start {
            return Err(TrainError::Config(
                "the replay is saved between iterations".into(),
            ));
        }
        if self.replay.reading.is_none() && !self.queue_replay_read(true)? {
            return Ok(false);
        }
        self.stage = Stage::SavingReplay;
        Ok(true)
    }

    /// Queues a read of the replay for saving, if saving is on, a checkpoint exists and
    /// (unless `now`) the last save is [`REPLAY_SAVE_SECONDS`] old. Returns whether queued.
    fn queue_replay_read(&mut self, now: bool) -> Result<bool, TrainError> {
        let due = now || self.replay.last.elapsed().as_secs_f64() >= REPLAY_SAVE_SECONDS;
        if !due || self.replay.limit_bytes == 0 || self.iteration == 0 {
            return Ok(false);
        }
        let record_bytes = self.pipeline.replay_record_bytes().max(1) as u64;
        let records = (self.replay.limit_bytes / record_bytes) as usize;
        self.pipeline.queue_replay_read(records)?;
        self.replay.reading = Some(self.iteration);
        self.replay.last = Instant::now();
        Ok(true)
    }

    /// Writes a replay read to the run directory.
    fn save_replay_read(
        &mut self,
        mut snapshot: ReplaySnapshot,
        events: &mut Vec<TrainerEvent>,
    ) -> Result<(), TrainError> {
        let Some(iteration) = self.replay.reading.take() else {
            return Ok(());
        };
        if snapshot.is_empty() {
            return Ok(());
        }
        snapshot.iteration = iteration;
        let bytes = replay::save(&self.run_dir, &snapshot)?;
        events.push(TrainerEvent::ReplaySaved {
            iteration,
            positions: snapshot.len() as u64,
            bytes,
        });
        Ok(())
    }

    /// True between iterations: stopping here loses nothing (the last iteration's
    /// checkpoint is written).
    pub fn between_iterations(&self) -> bool {
        self.stage == Stage::Start
    }

    /// Wall time of the run, resumed sessions included and pauses left out, seconds.
    pub fn elapsed_seconds(&self) -> f64 {
        self.clock.seconds()
    }

    /// Stops the run's clock while its driver pauses (the time and the learning rate's
    /// decay then count training time only).
    pub fn pause_clock(&mut self) {
        self.clock.pause();
    }

    /// Starts the run's clock again after [`Trainer::pause_clock`].
    pub fn resume_clock(&mut self) {
        self.clock.resume();
    }

    /// Works for at most about `budget` (one slice of host work may overrun it) and
    /// returns what happened. Returns early, with [`Advance::waiting_for`] set, when only
    /// the GPU can make progress.
    pub fn advance(&mut self, budget: Duration) -> Result<Advance, TrainError> {
        let deadline = Instant::now() + budget;
        let mut advance = Advance::default();
        loop {
            let progressed = match self.stage {
                Stage::Start => {
                    self.start_iteration()?;
                    true
                }
                Stage::SelfPlay { .. }
                | Stage::Training
                | Stage::Snapshot
                | Stage::SavingReplay => {
                    let completed = self.pipeline.poll(deadline)?;
                    let any = !completed.is_empty();
                    for done in completed {
                        self.complete(done, &mut advance.events)?;
                    }
                    any
                }
                Stage::Evaluating => self.evaluate(deadline, &mut advance.events)?,
            };
            if self.stage == Stage::Snapshot && self.current.snapshot.is_some() {
                self.finish_iteration(&mut advance.events)?;
                // Back to the driver between iterations: that is where it may stop.
                return Ok(advance);
            }
            if self.stage == Stage::SavingReplay && self.replay.reading.is_none() {
                self.stage = Stage::Start;
                return Ok(advance);
            }
            let waiting = self.waiting_on();
            if (!progressed && waiting.is_some()) || Instant::now() >= deadline {
                advance.waiting_for = waiting;
                return Ok(advance);
            }
        }
    }

    /// The GPU submission the next progress depends on, if any.
    fn waiting_on(&self) -> Option<wgpu::SubmissionIndex> {
        match self.stage {
            Stage::Start => None,
            Stage::Evaluating => self.evaluation.waiting_on(),
            _ => self.pipeline.waiting_on(),
        }
    }

    fn start_iteration(&mut self) -> Result<(), TrainError> {
        self.current = Iteration {
            play_started: self.clock.seconds(),
            ..Iteration::default()
        };
        self.pipeline.queue_play(self.config.moves_per_iteration)?;
        self.stage = Stage::SelfPlay { done: 0 };
        Ok(())
    }

    fn complete(
        &mut self,
        done: Completed,
        events: &mut Vec<TrainerEvent>,
    ) -> Result<(), TrainError> {
        match done {
            Completed::Played {
                moves,
                report,
                archived,
                traced,
            } => {
                self.current.report.add(&report);
                let simulations = self.config.search.simulations;
                for traced in traced {
                    if self.current.self_play_recorded < self.config.record_games {
                        self.current.self_play_recorded += 1;
                        let source = GameSource::SelfPlay {
                            slot: traced.slot,
                            simulations,
                        };
                        self.record_game(source, traced.game);
                    }
                }
                for kept in archived {
                    self.archived.0 += 1;
                    self.archived.1 += u64::from(kept.new_up_to_isomorphism);
                    events.push(TrainerEvent::Archived {
                        description: kept.description,
                        new_up_to_isomorphism: kept.new_up_to_isomorphism,
                    });
                }
                let Stage::SelfPlay { done } = self.stage else {
                    return Err(TrainError::Config("self-play finished out of order".into()));
                };
                let done = done + moves;
                let total = self.config.moves_per_iteration;
                events.push(TrainerEvent::Progress {
                    phase: "self-play",
                    done: u64::from(done),
                    total: u64::from(total),
                });
                self.stage = Stage::SelfPlay { done };
                if done >= total {
                    self.current.play_seconds = self.clock.seconds() - self.current.play_started;
                    self.start_training()?;
                }
            }
            Completed::Trained {
                done,
                total,
                losses,
            } => {
                self.current.losses = losses;
                events.push(TrainerEvent::Progress {
                    phase: "training",
                    done: u64::from(done),
                    total: u64::from(total),
                });
                if done >= total {
                    self.after_training()?;
                }
            }
            Completed::Snapshot(tensors) => self.current.snapshot = Some(tensors),
            Completed::Replay(snapshot) => self.save_replay_read(snapshot, events)?,
        }
        Ok(())
    }

    /// Queues the iteration's training steps, unless the replay buffer holds less than a
    /// batch (early iterations).
    fn start_training(&mut self) -> Result<(), TrainError> {
        let learning_rate = self.config.learning_rate_at(self.elapsed_seconds());
        self.current.learning_rate = learning_rate;
        let steps = self.config.train_steps_per_iteration;
        if steps == 0 || self.pipeline.replay_len() < u64::from(self.config.batch_size) {
            return self.after_training();
        }
        self.pipeline.set_learning_rate(learning_rate)?;
        self.pipeline.queue_train(steps)?;
        self.stage = Stage::Training;
        Ok(())
    }

    /// Queues the snapshot for the checkpoint and starts the evaluation, if due.
    fn after_training(&mut self) -> Result<(), TrainError> {
        self.pipeline.queue_snapshot()?;
        let next = self.iteration + 1;
        let due = self.config.evaluate_every > 0
            && next.is_multiple_of(u64::from(self.config.evaluate_every));
        if due {
            self.evaluation
                .start(&self.pipeline.training_step().program, next)?;
            self.stage = Stage::Evaluating;
        } else {
            self.stage = Stage::Snapshot;
        }
        Ok(())
    }

    /// Runs the evaluation until `deadline`; also collects the snapshot meanwhile.
    /// Returns whether anything progressed.
    fn evaluate(
        &mut self,
        deadline: Instant,
        events: &mut Vec<TrainerEvent>,
    ) -> Result<bool, TrainError> {
        for done in self.pipeline.poll(deadline)? {
            self.complete(done, events)?;
        }
        let before = self.evaluation.stage();
        let measured = self.evaluation.advance(deadline)?;
        let stage = self.evaluation.stage();
        if let Some(measured) = measured {
            self.current.measured = Some(measured);
            for (source, game) in self.evaluation.take_recorded_games() {
                self.record_game(source, game);
            }
            self.stage = Stage::Snapshot;
            return Ok(true);
        }
        if stage != before {
            events.push(TrainerEvent::Progress {
                phase: stage.name,
                done: stage.done,
                total: stage.total,
            });
        }
        Ok(stage != before || self.evaluation.waiting_on().is_none())
    }

    /// Keeps a finished game for the iteration's records, if it records games.
    fn record_game(&mut self, source: GameSource, game: PlayedGame) {
        let iteration = self.iteration + 1;
        if records_games_at(iteration) {
            let record = GameRecord::new(iteration, self.config.game, source, game);
            self.current.recorded.push(record);
        }
    }

    /// Writes the iteration's game records, checkpoint, metrics and plots. The records go
    /// first, so that a committed checkpoint always has its iteration's records on disk (a
    /// resumed run drops those of later iterations).
    fn finish_iteration(&mut self, events: &mut Vec<TrainerEvent>) -> Result<(), TrainError> {
        let tensors = self.current.snapshot.take().unwrap_or_default();
        self.games.append(&self.current.recorded)?;
        self.iteration += 1;
        let record = self.metrics_record();
        let network = self
            .config
            .game
            .info()
            .network_descriptor(&self.config.network);
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
        let saved = self.store.save(&state, &tensors)?;
        events.push(TrainerEvent::Checkpoint {
            iteration: saved.iteration,
            path: saved.path,
        });
        self.metrics.append(&record)?;
        #[cfg(not(target_arch = "wasm32"))]
        crate::run_dir::plots::write_plots(&self.run_dir, self.metrics.history())?;
        events.push(TrainerEvent::Iteration(Box::new(record)));
        self.stage = Stage::Start;
        // Read now, between iterations, so the saved replay matches this checkpoint.
        self.queue_replay_read(false)?;
        Ok(())
    }

    fn metrics_record(&self) -> IterationMetrics {
        let current = &self.current;
        let report = &current.report;
        // NaN marks what this iteration did not measure: no game finished, no training.
        let games = if report.games == 0 {
            f64::NAN
        } else {
            report.games as f64
        };
        let previous_games = self.metrics.history().last().map_or(0, |m| m.games_played);
        let measured = current.measured.unwrap_or_default();
        let seconds = current.play_seconds.max(1e-9);
        let losses = if current.losses.steps == 0 {
            LossReport {
                steps: 0,
                loss: f32::NAN,
                policy_loss: f32::NAN,
                value_loss: f32::NAN,
                policy_entropy: f32::NAN,
            }
        } else {
            current.losses
        };
        IterationMetrics {
            iteration: self.iteration,
            elapsed_seconds: self.elapsed_seconds(),
            loss: f64::from(losses.loss),
            policy_loss: f64::from(losses.policy_loss),
            value_loss: f64::from(losses.value_loss),
            policy_entropy: f64::from(losses.policy_entropy),
            learning_rate: f64::from(current.learning_rate),
            mean_game_length: report.total_length as f64 / games,
            first_player_win_rate: report.wins[0] as f64 / games,
            draw_rate: report.draws as f64 / games,
            random_win_rate: measured.random.map(|(win, _)| win),
            random_draw_rate: measured.random.map(|(_, draw)| draw),
            previous_win_rate: measured.previous.map(|(win, _)| win),
            previous_draw_rate: measured.previous.map(|(_, draw)| draw),
            policy_accuracy: measured.policy_accuracy,
            search_accuracy: measured.search_accuracy,
            positions_per_second: report.positions as f64 / seconds,
            evaluations_per_second: report.evaluations as f64 / seconds,
            games_played: previous_games + report.games,
            counterexamples_total: self.archived.0,
            counterexamples_distinct: self.archived.1,
            backend: self.pipeline.compute().name(),
        }
    }
}

fn keep(config: &TrainConfig) -> NonZeroUsize {
    NonZeroUsize::new(config.keep_checkpoints).unwrap_or(NonZeroUsize::MIN)
}
