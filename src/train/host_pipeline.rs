//! The host pipeline: the [`Pipeline`] that needs no GPU. Self-play runs the CPU
//! reference search ([`HostSelfPlay`]), positions go to a replay ring in host memory
//! ([`ReplayBuffer`]), and the networks run as compiled programs, normally on the CPU
//! backend (a GPU compute may run the two programs while search and replay stay on the
//! host).
//!
//! Two programs share the network's parameters by name: the training step (forward, the
//! AlphaZero loss, backward, Adam; at `batch_size`) and an inference pass for the search
//! (at `games_in_flight` rows, smaller batches padded). Both start from the same seed, so
//! they begin equal; [`Pipeline::publish`] copies every trainable parameter from the
//! training program to the inference program.

use rand::SeedableRng;
use rand::rngs::StdRng;

use super::TrainError;
use super::config::TrainConfig;
use super::host_selfplay::HostSelfPlay;
use super::pipeline::{LossReport, Pipeline, SelfPlayReport, TrainingStep, compile_training_step};
use super::replay::{Batch, ReplayBuffer};
use crate::backend::Compute;
use crate::nn::names;
use crate::search::{Evaluator, ProgramEvaluator};

/// Seed offset of the training batches' sampling and relabelling.
const BATCH_STREAM: u64 = 0x7a41_2b0c_e5d1_0003;

/// The loss terms of one training step (before its update).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepLosses {
    pub loss: f32,
    pub policy_loss: f32,
    pub value_loss: f32,
    /// Mean entropy (nats) of the masked policy over the batch.
    pub policy_entropy: f32,
}

/// Self-play, replay and training on the host.
pub struct HostPipeline {
    config: TrainConfig,
    compute: Compute,
    /// Its trainable parameters are what `publish` copies to `inference`.
    step: TrainingStep,
    inference: ProgramEvaluator,
    self_play: HostSelfPlay,
    replay: ReplayBuffer,
    rng: StdRng,
    batch: Batch,
}

impl HostPipeline {
    /// Builds both programs on `compute`, seeded from `config.seed`, an empty replay
    /// buffer and `config.games_in_flight` fresh games.
    pub fn new(config: &TrainConfig, compute: Compute) -> Result<Self, TrainError> {
        check(config)?;
        let vertices = config.game.n as usize;
        let network = config.network.build(vertices);
        let games = config.games_in_flight as usize;

        let step = compile_training_step(config, network.as_ref(), &compute)?;
        let inference = ProgramEvaluator::new(network.as_ref(), &compute, games, config.seed)?;

        let self_play = HostSelfPlay::new(
            config.game,
            games,
            config.search,
            config.temperature_moves,
            config.random_opening,
            config.surprise_weight,
            config.seed,
        )?;
        let capacity = usize::try_from(config.replay_capacity).map_err(|_| {
            TrainError::Config(format!(
                "replay_capacity {} does not fit this machine's memory",
                config.replay_capacity
            ))
        })?;
        let replay = ReplayBuffer::new(capacity, network.observation_len(), network.num_actions())?;
        let mut pipeline = Self {
            config: config.clone(),
            compute,
            step,
            inference,
            self_play,
            replay,
            rng: StdRng::seed_from_u64(config.seed ^ BATCH_STREAM),
            batch: Batch::default(),
        };
        pipeline.publish()?;
        Ok(pipeline)
    }

    pub fn config(&self) -> &TrainConfig {
        &self.config
    }

    pub fn replay(&self) -> &ReplayBuffer {
        &self.replay
    }

    pub fn self_play(&self) -> &HostSelfPlay {
        &self.self_play
    }

    /// The inference program self-play uses (batch `games_in_flight`).
    pub fn inference_mut(&mut self) -> &mut ProgramEvaluator {
        &mut self.inference
    }

    /// The inference program's policy logits `[rows, actions]` and values `[rows]` for
    /// `rows` ≤ `games_in_flight` observations (`[rows, observation_len]`).
    pub fn evaluate(
        &mut self,
        observations: &[f32],
        rows: usize,
    ) -> Result<(Vec<f32>, Vec<f32>), TrainError> {
        Ok(self.inference.evaluate(observations, rows)?)
    }

    /// One training step on `batch` (exactly `batch_size` rows): returns the loss terms
    /// at the parameters before the step's update.
    pub fn train_batch(&mut self, batch: &Batch) -> Result<StepLosses, TrainError> {
        let training = &mut self.step.program;
        training.write(names::OBSERVATIONS, &batch.observations)?;
        training.write(names::LEGAL_MASK, &batch.legal_masks)?;
        training.write(names::POLICY_TARGET, &batch.policy_targets)?;
        training.write(names::VALUE_TARGET, &batch.value_targets)?;
        training.run()?;
        let scalar = |name: &str| -> Result<f32, TrainError> {
            Ok(training.read(name)?.first().copied().unwrap_or(f32::NAN))
        };
        Ok(StepLosses {
            loss: scalar(names::LOSS)?,
            policy_loss: scalar(names::POLICY_LOSS)?,
            value_loss: scalar(names::VALUE_LOSS)?,
            policy_entropy: scalar(names::POLICY_ENTROPY)?,
        })
    }

    /// Draws a training batch from the replay buffer as `train` does (uniform, relabelled
    /// when `config.augment`).
    pub fn draw_batch(&mut self) -> Result<Batch, TrainError> {
        let mut batch = Batch::default();
        self.fill_batch(&mut batch)?;
        Ok(batch)
    }

    fn fill_batch(&mut self, batch: &mut Batch) -> Result<(), TrainError> {
        let relabel = self.config.augment.then_some(self.config.game.n);
        let rows = self.config.batch_size as usize;
        if self.replay.draw_batch(rows, relabel, &mut self.rng, batch) {
            Ok(())
        } else {
            Err(TrainError::EmptyReplay)
        }
    }
}

/// The settings the host pipeline cannot run with, each named.
fn check(config: &TrainConfig) -> Result<(), TrainError> {
    if config.games_in_flight == 0 {
        return Err(TrainError::Config(
            "games_in_flight must be at least 1".into(),
        ));
    }
    if config.batch_size == 0 {
        return Err(TrainError::Config("batch_size must be at least 1".into()));
    }
    if !(config.learning_rate.is_finite() && config.learning_rate > 0.0) {
        return Err(TrainError::Config(format!(
            "learning_rate must be a finite number > 0, got {}",
            config.learning_rate
        )));
    }
    if !(config.l2.is_finite() && config.l2 >= 0.0) {
        return Err(TrainError::Config(format!(
            "l2 must be a finite number ≥ 0, got {}",
            config.l2
        )));
    }
    config.search.check()?;
    Ok(())
}

impl Pipeline for HostPipeline {
    fn play(&mut self, moves: u32) -> Result<SelfPlayReport, TrainError> {
        self.self_play
            .play(moves, &mut self.inference, &mut self.replay)
    }

    fn replay_len(&self) -> u64 {
        self.replay.len() as u64
    }

    fn train(&mut self, steps: u32) -> Result<LossReport, TrainError> {
        if self.replay.is_empty() {
            return Err(TrainError::EmptyReplay);
        }
        // The batch's buffers are reused from call to call.
        let mut batch = std::mem::take(&mut self.batch);
        let mut sums = [0.0f64; 4];
        for _ in 0..steps {
            self.fill_batch(&mut batch)?;
            let losses = self.train_batch(&batch)?;
            let terms = [
                losses.loss,
                losses.policy_loss,
                losses.value_loss,
                losses.policy_entropy,
            ];
            for (sum, term) in sums.iter_mut().zip(terms) {
                *sum += f64::from(term);
            }
        }
        self.batch = batch;
        let mean = |sum: f64| {
            if steps > 0 {
                (sum / f64::from(steps)) as f32
            } else {
                0.0
            }
        };
        Ok(LossReport {
            steps,
            loss: mean(sums[0]),
            policy_loss: mean(sums[1]),
            value_loss: mean(sums[2]),
            policy_entropy: mean(sums[3]),
        })
    }

    fn publish(&mut self) -> Result<(), TrainError> {
        for name in &self.step.parameters {
            let values = self.step.program.read(name)?;
            self.inference.program_mut().write(name, &values)?;
        }
        Ok(())
    }

    fn training_step(&self) -> &TrainingStep {
        &self.step
    }

    fn training_step_mut(&mut self) -> &mut TrainingStep {
        &mut self.step
    }

    fn compute(&self) -> &Compute {
        &self.compute
    }
}
