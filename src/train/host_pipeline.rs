//! The host pipeline: the [`Pipeline`] for games without a GPU search adapter and for
//! machines without a GPU. Self-play runs the CPU reference search ([`HostSelfPlay`]),
//! positions go to a replay ring in host memory ([`ReplayRing`], the twin of the GPU's),
//! and the networks run as compiled programs on the given backend: the CPU backend
//! normally, or the GPU, whose evaluations and losses come back without waiting.
//!
//! Two programs share the network's parameters by name: the training step (forward, the
//! AlphaZero loss, backward, Adam; at `batch_size`) and an inference pass for the search
//! (at `games_in_flight` rows, smaller batches padded). Both start from the same seed, so
//! they begin equal; publishing copies every trainable parameter from the training
//! program to the inference program.

use std::collections::VecDeque;

use web_time::Instant;

use super::TrainError;
use super::config::{TrainConfig, precision_label};
use super::pipeline::{
    Completed, LossReport, Pipeline, TrainingStep, compile_training_step, play_settings_of,
};
use crate::backend::Compute;
use crate::games::{FinalStateArchive, Game};
use crate::graph::PendingRead;
use crate::graph::optim::LEARNING_RATE;
use crate::nn::names;
use crate::run_dir::checkpoint::{StoredTensor, snapshot_tensors};
use crate::run_dir::replay::{ReplaySnapshot, Ring};
use crate::search::{Evaluator, ProgramEvaluator};
use crate::selfplay::SelfPlayReport;
use crate::selfplay::host::{HostSelfPlay, HostStep};
use crate::selfplay::replay::{Batch, ReplayRing, SampleRng, sampler_seeds};

/// Seed offset of the training batches' sampling and augmentation.
const BATCH_STREAM: u64 = 0x7a41_2b0c_e5d1_0003;

/// The loss terms a training step reports, in this order.
const LOSS_NAMES: [&str; 4] = [
    names::LOSS,
    names::POLICY_LOSS,
    names::VALUE_LOSS,
    names::POLICY_ENTROPY,
];

/// The loss terms of one training step (before its update).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepLosses {
    pub loss: f32,
    pub policy_loss: f32,
    pub value_loss: f32,
    /// Mean entropy (nats) of the masked policy over the batch.
    pub policy_entropy: f32,
}

/// Queued work.
enum Job {
    Play {
        remaining: u32,
    },
    Train {
        done: u32,
        total: u32,
        sums: [f64; 4],
    },
    Snapshot,
    /// A read of the replay ring's newest `records` positions.
    ReplayRead {
        records: usize,
    },
}

/// Self-play, replay and training on the host.
pub struct HostPipeline<G: Game> {
    game: G,
    config: TrainConfig,
    compute: Compute,
    /// Its trainable parameters are what publishing copies to `inference`.
    step: TrainingStep,
    inference: ProgramEvaluator,
    self_play: HostSelfPlay<G>,
    replay: ReplayRing,
    archive: Option<Box<dyn FinalStateArchive<G::State>>>,
    /// The training batches' random streams, one per row.
    batch_rngs: Vec<SampleRng>,
    batch: Batch,
    queue: VecDeque<Job>,
    /// Whether self-play's network call is in flight.
    evaluating: bool,
    /// A training step's losses, or a snapshot, on their way back.
    reading: Option<PendingRead>,
    /// What self-play did since its last report.
    report: SelfPlayReport,
    /// Why the game's GPU self-play is not used, where it exists but does not fit.
    not_on_gpu: Option<String>,
}

impl<G: Game> HostPipeline<G> {
    /// Records why the GPU pipeline was not taken (said by [`Pipeline::description`]).
    pub fn with_reason(mut self, not_on_gpu: Option<String>) -> Self {
        self.not_on_gpu = not_on_gpu;
        self
    }

    /// Builds both programs on `compute`, seeded from `config.seed`, an empty replay ring
    /// and `config.games_in_flight` fresh games. Drawn games go to `archive`.
    pub fn new(
        game: G,
        config: &TrainConfig,
        compute: Compute,
        archive: Option<Box<dyn FinalStateArchive<G::State>>>,
    ) -> Result<Self, TrainError> {
        let network = game.network(&config.network)?;
        let games = config.games_in_flight as usize;
        let step = compile_training_step(config, network.as_ref(), &compute)?;
        let inference = ProgramEvaluator::new(network.as_ref(), &compute, games, config.seed)?;
        let settings = play_settings_of(config, archive.is_some());
        let self_play =
            HostSelfPlay::new(game.clone(), games, config.search, settings, config.seed)?;
        let capacity = usize::try_from(config.replay_capacity).map_err(|_| {
            TrainError::Config(format!(
                "--replay-capacity {} does not fit this machine's memory",
                config.replay_capacity
            ))
        })?;
        let replay = ReplayRing::new(capacity, self_play.record_layout());
        let batch_rngs = sampler_seeds(config.seed ^ BATCH_STREAM, config.batch_size)
            .into_iter()
            .map(SampleRng)
            .collect();
        let mut pipeline = Self {
            game,
            config: config.clone(),
            compute,
            step,
            inference,
            self_play,
            replay,
            archive,
            batch_rngs,
            batch: Batch::default(),
            queue: VecDeque::new(),
            evaluating: false,
            reading: None,
            report: SelfPlayReport::default(),
            not_on_gpu: None,
        };
        pipeline.publish()?;
        Ok(pipeline)
    }

    pub fn config(&self) -> &TrainConfig {
        &self.config
    }

    pub fn replay(&self) -> &ReplayRing {
        &self.replay
    }

    pub fn self_play(&self) -> &HostSelfPlay<G> {
        &self.self_play
    }

    /// The inference program self-play uses (batch `games_in_flight`).
    pub fn inference_mut(&mut self) -> &mut ProgramEvaluator {
        &mut self.inference
    }

    /// Copies the trained parameters to self-play's network.
    fn publish(&mut self) -> Result<(), TrainError> {
        self.inference
            .program_mut()
            .copy_values_from(&self.step.program, &self.step.parameters)?;
        Ok(())
    }

    /// Draws a training batch from the replay ring as training does (uniform, under a
    /// random symmetry when `config.augment`).
    pub fn draw_batch(&mut self) -> Result<Batch, TrainError> {
        let mut batch = Batch::default();
        self.fill_batch(&mut batch)?;
        Ok(batch)
    }

    fn fill_batch(&mut self, batch: &mut Batch) -> Result<(), TrainError> {
        let symmetries = self
            .config
            .augment
            .then(|| self.game.symmetries())
            .flatten();
        if self
            .replay
            .sample_batch(&mut self.batch_rngs, symmetries, batch)
        {
            Ok(())
        } else {
            Err(TrainError::EmptyReplay)
        }
    }

    fn write_batch(&mut self, batch: &Batch) -> Result<(), TrainError> {
        let training = &mut self.step.program;
        training.write(names::OBSERVATIONS, &batch.observations)?;
        training.write(names::LEGAL_MASK, &batch.legal_masks)?;
        training.write(names::POLICY_TARGET, &batch.policy_targets)?;
        training.write(names::VALUE_TARGET, &batch.value_targets)?;
        Ok(())
    }

    /// One training step on `batch` (exactly `batch_size` rows), waiting for its losses:
    /// the loss terms at the parameters before the step's update (tests and tools).
    pub fn train_batch(&mut self, batch: &Batch) -> Result<StepLosses, TrainError> {
        self.write_batch(batch)?;
        self.step.program.run()?;
        let values = self.step.program.start_read(&LOSS_NAMES)?.wait()?;
        Ok(step_losses(&values))
    }

    /// One unit of queued work; `false` when it waits for the GPU.
    fn work(&mut self, completed: &mut Vec<Completed>) -> Result<bool, TrainError> {
        let Some(job) = self.queue.front_mut() else {
            return Ok(false);
        };
        match job {
            Job::Play { remaining } => {
                let outputs = if self.evaluating {
                    match self.inference.poll()? {
                        Some(outputs) => {
                            self.evaluating = false;
                            Some(outputs)
                        }
                        None => return Ok(false),
                    }
                } else {
                    None
                };
                let mut drawn = Vec::new();
                let step = self.self_play.step(
                    outputs.as_ref(),
                    &mut self.replay,
                    &mut self.report,
                    &mut drawn,
                )?;
                match step {
                    HostStep::Evaluate { rows } => {
                        self.inference.start(self.self_play.observations(), rows)?;
                        self.evaluating = true;
                    }
                    HostStep::Moved => {
                        *remaining -= 1;
                        if *remaining == 0 {
                            self.queue.pop_front();
                        }
                        let archived = match &mut self.archive {
                            Some(archive) if !drawn.is_empty() => archive.record(&drawn)?,
                            _ => Vec::new(),
                        };
                        completed.push(Completed::Played {
                            moves: 1,
                            report: std::mem::take(&mut self.report),
                            archived,
                            traced: self.self_play.take_traced_games(),
                        });
                    }
                }
            }
            Job::Train { done, total, sums } => match &mut self.reading {
                None => {
                    let mut batch = std::mem::take(&mut self.batch);
                    self.fill_batch(&mut batch)?;
                    self.write_batch(&batch)?;
                    self.batch = batch;
                    self.step.program.run()?;
                    self.reading = Some(self.step.program.start_read(&LOSS_NAMES)?);
                }
                Some(reading) => {
                    let Some(values) = reading.poll()? else {
                        return Ok(false);
                    };
                    self.reading = None;
                    let losses = step_losses(&values);
                    let terms = [
                        losses.loss,
                        losses.policy_loss,
                        losses.value_loss,
                        losses.policy_entropy,
                    ];
                    for (sum, term) in sums.iter_mut().zip(terms) {
                        *sum += f64::from(term);
                    }
                    *done += 1;
                    let mean = |sum: f64| (sum / f64::from(*done)) as f32;
                    completed.push(Completed::Trained {
                        done: *done,
                        total: *total,
                        losses: LossReport {
                            steps: *done,
                            loss: mean(sums[0]),
                            policy_loss: mean(sums[1]),
                            value_loss: mean(sums[2]),
                            policy_entropy: mean(sums[3]),
                        },
                    });
                    if done == total {
                        self.queue.pop_front();
                        self.publish()?;
                    }
                }
            },
            Job::Snapshot => match &mut self.reading {
                None => {
                    let names = self.step.persistent_names();
                    let names: Vec<&str> = names.iter().map(String::as_str).collect();
                    self.reading = Some(self.step.program.start_read(&names)?);
                }
                Some(reading) => {
                    let Some(values) = reading.poll()? else {
                        return Ok(false);
                    };
                    self.reading = None;
                    self.queue.pop_front();
                    completed.push(Completed::Snapshot(snapshot_tensors(
                        &self.step.graph,
                        values,
                    )));
                }
            },
            Job::ReplayRead { records } => {
                let records = *records;
                self.queue.pop_front();
                let ring = Ring {
                    words: bytemuck::cast_slice(self.replay.records()),
                    record_words: self.replay.layout().floats(),
                    capacity: self.replay.capacity(),
                    head: self.replay.head(),
                    held: self.replay.len(),
                    written: self.replay.written(),
                };
                let layout = self.replay_layout();
                completed.push(Completed::Replay(ReplaySnapshot::newest(
                    &ring, records, layout, 0,
                )));
            }
        }
        Ok(true)
    }
}

fn step_losses(values: &[Vec<f32>]) -> StepLosses {
    let scalar = |index: usize| {
        values
            .get(index)
            .and_then(|value| value.first())
            .copied()
            .unwrap_or(f32::NAN)
    };
    StepLosses {
        loss: scalar(0),
        policy_loss: scalar(1),
        value_loss: scalar(2),
        policy_entropy: scalar(3),
    }
}

impl<G: Game> Pipeline for HostPipeline<G> {
    fn queue_play(&mut self, moves: u32) -> Result<(), TrainError> {
        if moves > 0 {
            self.queue.push_back(Job::Play { remaining: moves });
        }
        Ok(())
    }

    fn queue_train(&mut self, steps: u32) -> Result<(), TrainError> {
        if self.replay.is_empty() {
            return Err(TrainError::EmptyReplay);
        }
        if steps > 0 {
            self.queue.push_back(Job::Train {
                done: 0,
                total: steps,
                sums: [0.0; 4],
            });
        }
        Ok(())
    }

    fn queue_snapshot(&mut self) -> Result<(), TrainError> {
        self.queue.push_back(Job::Snapshot);
        Ok(())
    }

    fn queue_replay_read(&mut self, records: usize) -> Result<(), TrainError> {
        self.queue.push_back(Job::ReplayRead { records });
        Ok(())
    }

    fn restore_replay(&mut self, snapshot: &ReplaySnapshot) -> Result<(), TrainError> {
        if !self.queue.is_empty() {
            return Err(TrainError::Config(
                "cannot restore the replay while work is queued".into(),
            ));
        }
        self.replay
            .restore(bytemuck::cast_slice(&snapshot.words), snapshot.written);
        Ok(())
    }

    fn replay_layout(&self) -> String {
        self.replay.layout().describe()
    }

    fn replay_record_bytes(&self) -> usize {
        self.replay.layout().floats() * 4
    }

    fn poll(&mut self, deadline: Instant) -> Result<Vec<Completed>, TrainError> {
        let mut completed = Vec::new();
        while self.work(&mut completed)? && Instant::now() < deadline {}
        Ok(completed)
    }

    fn is_idle(&self) -> bool {
        self.queue.is_empty()
    }

    fn waiting_on(&self) -> Option<wgpu::SubmissionIndex> {
        if self.evaluating {
            return self.inference.pending_submission();
        }
        self.reading
            .as_ref()
            .and_then(|reading| reading.submission().cloned())
    }

    fn replay_len(&self) -> u64 {
        self.replay.len() as u64
    }

    fn training_step(&self) -> &TrainingStep {
        &self.step
    }

    fn restore(&mut self, tensors: &[StoredTensor]) -> Result<(), TrainError> {
        if !self.queue.is_empty() {
            return Err(TrainError::Config(
                "cannot restore values while work is queued".into(),
            ));
        }
        self.step.write(tensors)?;
        self.publish()
    }

    fn set_learning_rate(&mut self, rate: f32) -> Result<(), TrainError> {
        Ok(self.step.program.write(LEARNING_RATE, &[rate])?)
    }

    fn compute(&self) -> &Compute {
        &self.compute
    }

    fn description(&self) -> String {
        let place = match &self.compute {
            Compute::Cpu => "the CPU backend".to_owned(),
            Compute::Gpu(gpu) => format!(
                "{} (the networks only; convolutions in {})",
                gpu.info.name,
                precision_label(self.step.precision)
            ),
        };
        let why = match (&self.not_on_gpu, self.game.runs_on_gpu_search()) {
            (Some(reason), _) => format!("; GPU self-play does not fit these settings: {reason}"),
            (None, true) => String::new(),
            (None, false) => "; this game has no GPU search yet".to_owned(),
        };
        format!("host pipeline: the CPU reference search with the networks on {place}{why}")
    }
}
