//! The contract between the trainer and a backend's self-play and learning, and the
//! hand-over from a run's [`GameSpec`](crate::games::GameSpec) to the typed game. The GPU
//! pipeline (search, replay buffer and training all on the GPU) and the host pipeline (the
//! CPU reference search, a host replay ring, the networks on any backend) implement the
//! same trait, so the trainer loop is written once and names no game.
//!
//! Work is queued (self-play moves, training steps, a snapshot of the trained values) and
//! completes later: [`Pipeline::poll`] does host work until a deadline and collects what
//! the GPU finished, never waiting for it.

use std::path::Path;

use serde::{Deserialize, Serialize};
use web_time::Instant;

use super::TrainError;
use super::config::TrainConfig;
use super::gpu_pipeline::GpuPipeline;
use super::host_pipeline::HostPipeline;
use crate::backend::Compute;
use crate::evaluate::{Evaluation, EvaluationSettings, PeriodicEvaluation};
use crate::games::{Archived, Game, GameVisitor};
use crate::graph::{CompileOptions, Graph, Precision, Program};
use crate::nn::{self, Network};
use crate::run_dir::checkpoint::StoredTensor;
use crate::run_dir::replay::ReplaySnapshot;
use crate::selfplay::SelfPlayError;
use crate::selfplay::SelfPlayReport;
use crate::selfplay::record::PlaySettings;
use crate::selfplay::trace::TracedGame;

/// The training step both pipelines run, compiled.
pub struct TrainingStep {
    pub graph: Graph,
    pub program: Program,
    /// Names of the trainable parameters (what publishing copies to self-play's network).
    pub parameters: Vec<String>,
    /// The convolutions' arithmetic it was compiled with (`--precision` on this compute).
    pub precision: Precision,
}

impl TrainingStep {
    /// The names of every persistent value (parameters and optimizer state), in
    /// [`Graph::persistent_values`] order: what a snapshot reads.
    pub fn persistent_names(&self) -> Vec<String> {
        self.graph
            .persistent_values()
            .into_iter()
            .map(|(name, _, _)| name)
            .collect()
    }

    /// Writes `tensors` (a checkpoint's) into the program by name.
    pub fn write(&mut self, tensors: &[StoredTensor]) -> Result<(), TrainError> {
        for tensor in tensors {
            self.program.write(&tensor.name, &tensor.values)?;
        }
        Ok(())
    }
}

/// Builds and compiles the training step on `compute`: `network`'s forward pass at
/// `config.batch_size`, the AlphaZero loss, backward and the update of
/// [`TrainConfig::update`], plus the policy entropy; fused, initialised from `config.seed`.
pub(super) fn compile_training_step(
    config: &TrainConfig,
    network: &dyn Network,
    compute: &Compute,
) -> Result<TrainingStep, TrainError> {
    let graph = Graph::new();
    let tensors = nn::training_step(
        &graph,
        network,
        config.batch_size as usize,
        &config.update(),
    )?;
    nn::add_policy_entropy(&graph, &tensors);
    let precision = config.precision.resolve(compute)?;
    let options = CompileOptions {
        fuse: true,
        seed: config.seed,
        precision,
    };
    let program = Program::compile(&graph, compute, &options)?;
    let parameters = graph.parameter_names();
    Ok(TrainingStep {
        graph,
        program,
        parameters,
        precision,
    })
}

/// Mean loss terms over training steps.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LossReport {
    pub steps: u32,
    pub loss: f32,
    pub policy_loss: f32,
    pub value_loss: f32,
    /// Mean entropy of the network's policy over the legal moves of the batch (nats).
    pub policy_entropy: f32,
}

/// Work a pipeline finished, in the order it was queued.
#[derive(Clone, Debug)]
pub enum Completed {
    /// `moves` more moves of self-play in every game, what they did, what the game's
    /// archive kept of the games that ended, and the traced slots' games that ended
    /// ([`TrainConfig::record_games`] slots traced).
    Played {
        moves: u32,
        report: SelfPlayReport,
        archived: Vec<Archived>,
        traced: Vec<TracedGame>,
    },
    /// `done` of the `total` steps of one queued training; `losses` are the means over the
    /// `done` steps. The last one of a training also published the parameters.
    Trained {
        done: u32,
        total: u32,
        losses: LossReport,
    },
    /// Every persistent value of the training step, in [`Graph::persistent_values`] order.
    Snapshot(Vec<StoredTensor>),
    /// The newest positions of the replay buffer ([`Pipeline::queue_replay_read`]); its
    /// iteration is left for the trainer to set.
    Replay(ReplaySnapshot),
}

/// Self-play, the replay buffer and learning, on one backend.
pub trait Pipeline {
    /// Queues `moves` moves in every game in flight (finished games restart at once, their
    /// positions go to the replay buffer).
    fn queue_play(&mut self, moves: u32) -> Result<(), TrainError>;
    /// Queues `steps` training steps on batches sampled from the replay buffer, then the
    /// publication of the trained parameters to self-play's network.
    fn queue_train(&mut self, steps: u32) -> Result<(), TrainError>;
    /// Queues a snapshot of every persistent value of the training step (a checkpoint).
    fn queue_snapshot(&mut self) -> Result<(), TrainError>;
    /// Queues a read of the replay buffer's newest `records` positions (a
    /// [`Completed::Replay`]), to save beside the checkpoint.
    fn queue_replay_read(&mut self, records: usize) -> Result<(), TrainError>;
    /// Refills the replay buffer with a saved replay of [`Pipeline::replay_layout`]
    /// (its newest positions where it holds more than the buffer). Nothing may be queued.
    fn restore_replay(&mut self, snapshot: &ReplaySnapshot) -> Result<(), TrainError>;
    /// What one replay record's words are; a saved replay restores only into its equal.
    fn replay_layout(&self) -> String;
    /// Bytes of one replay record.
    fn replay_record_bytes(&self) -> usize;
    /// Does host work until `deadline` and collects what finished, in queue order. Never
    /// waits for the GPU.
    fn poll(&mut self, deadline: Instant) -> Result<Vec<Completed>, TrainError>;
    /// Whether nothing is queued.
    fn is_idle(&self) -> bool;
    /// The GPU submission the oldest queued work waits for, if any.
    fn waiting_on(&self) -> Option<wgpu::SubmissionIndex>;
    /// Positions in the replay buffer as of the last completed self-play.
    fn replay_len(&self) -> u64;
    /// The training step (its graph names the persistent values).
    fn training_step(&self) -> &TrainingStep;
    /// Writes `tensors` (a checkpoint's) into the training step and publishes them to
    /// self-play's network. Nothing may be queued.
    fn restore(&mut self, tensors: &[StoredTensor]) -> Result<(), TrainError>;
    /// The learning rate of the training steps queued from now on.
    fn set_learning_rate(&mut self, rate: f32) -> Result<(), TrainError>;
    fn compute(&self) -> &Compute;
    /// One line: which pipeline runs where, and why.
    fn description(&self) -> String;
}

/// The settings of self-play a run's configuration gives (`log_draws` where the game
/// archives drawn games; the first `record_games` slots traced for the game records).
pub fn play_settings_of(config: &TrainConfig, log_draws: bool) -> PlaySettings {
    PlaySettings {
        temperature_moves: config.temperature_moves,
        late_temperature: config.late_temperature,
        random_opening: config.random_opening,
        record: true,
        surprise_weight: config.surprise_weight,
        replay_fraction: config.replay_fraction,
        log_draws,
        trace_games: config.record_games,
    }
}

/// What the trainer builds from a run's configuration: the pipeline and the periodic
/// evaluation, typed by the run's game.
pub(super) struct Parts {
    pub pipeline: Box<dyn Pipeline>,
    pub evaluation: Box<dyn Evaluation>,
}

/// Builds the [`Parts`] of `config` on `compute`, self-play's archive in `run_dir`.
/// `session_seed` seeds self-play's streams (the trainer varies it per session, so a resumed
/// run does not repeat the first session's draws).
pub(super) fn build_parts(
    config: &TrainConfig,
    compute: &Compute,
    run_dir: &Path,
    session_seed: u64,
) -> Result<Parts, TrainError> {
    config.game.visit(BuildParts {
        config,
        compute,
        run_dir,
        session_seed,
    })
}

struct BuildParts<'a> {
    config: &'a TrainConfig,
    compute: &'a Compute,
    run_dir: &'a Path,
    session_seed: u64,
}

impl GameVisitor for BuildParts<'_> {
    type Output = Result<Parts, TrainError>;

    fn visit<G: Game>(self, game: G) -> Self::Output {
        let mut session = self.config.clone();
        session.seed = self.session_seed;
        let archive = game.open_archive(self.run_dir)?;
        let host = |archive, why: Option<String>| -> Result<Box<dyn Pipeline>, TrainError> {
            let pipeline =
                HostPipeline::new(game.clone(), &session, self.compute.clone(), archive)?;
            Ok(Box::new(pipeline.with_reason(why)))
        };
        let pipeline: Box<dyn Pipeline> = match (self.compute, game.gpu()) {
            (Compute::Gpu(gpu), Some(_)) => {
                match GpuPipeline::new(game.clone(), &session, gpu, archive) {
                    Ok(pipeline) => Box::new(pipeline),
                    // Settings whose GPU self-play buffers exceed the adapter's limits (chess's
                    // long games of large records) still train, on the host.
                    Err(TrainError::SelfPlay(SelfPlayError::DoesNotFit(reason))) => {
                        host(game.open_archive(self.run_dir)?, Some(reason))?
                    }
                    Err(error) => return Err(error),
                }
            }
            (_, _) => host(archive, None)?,
        };
        let network = game.network(&self.config.network)?;
        let evaluation = PeriodicEvaluation::new(
            game,
            network.as_ref(),
            self.compute,
            &pipeline.training_step().graph,
            EvaluationSettings {
                games: self.config.evaluation_games,
                accuracy_positions: self.config.accuracy_positions,
                accuracy_simulations: self.config.accuracy_simulations,
                policy: self.config.search.policy,
                seed: self.config.seed,
                recorded_games: self.config.record_games,
            },
        )?;
        Ok(Parts {
            pipeline,
            evaluation: Box::new(evaluation),
        })
    }
}
