//! The contract between the trainer and a backend's self-play and learning: the GPU
//! pipeline (search, replay buffer and training all on the GPU) and the host pipeline
//! (the CPU reference search, a host replay buffer, the CPU backend) implement the same
//! trait, so the trainer loop is written once.

use serde::{Deserialize, Serialize};

use super::TrainError;
use super::config::TrainConfig;
use crate::backend::Compute;
use crate::games::clique::CliqueState;
use crate::graph::{CompileOptions, Graph, Program};
use crate::nn::{self, Network};

/// The training step both pipelines run, compiled.
pub struct TrainingStep {
    pub graph: Graph,
    pub program: Program,
    /// Names of the trainable parameters (what `publish` copies to self-play's network).
    pub parameters: Vec<String>,
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
    let options = CompileOptions {
        fuse: true,
        seed: config.seed,
        ..CompileOptions::default()
    };
    let program = Program::compile(&graph, compute, &options)?;
    let parameters = graph.parameter_names();
    Ok(TrainingStep {
        graph,
        program,
        parameters,
    })
}

/// What self-play did since the last call.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SelfPlayReport {
    /// Moves played (one position each).
    pub positions: u64,
    /// Network evaluations (rows of the batched forward passes).
    pub evaluations: u64,
    /// Games finished, and how.
    pub games: u64,
    pub wins: [u64; 2],
    pub draws: u64,
    /// Sum of the finished games' lengths in moves.
    pub total_length: u64,
    /// Final positions of drawn games (in avoid mode, Ramsey counterexample candidates).
    pub drawn_final_states: Vec<CliqueState>,
}

impl SelfPlayReport {
    pub fn add(&mut self, other: SelfPlayReport) {
        self.positions += other.positions;
        self.evaluations += other.evaluations;
        self.games += other.games;
        self.wins[0] += other.wins[0];
        self.wins[1] += other.wins[1];
        self.draws += other.draws;
        self.total_length += other.total_length;
        self.drawn_final_states.extend(other.drawn_final_states);
    }
}

/// Mean loss terms over the training steps of one call.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LossReport {
    pub steps: u32,
    pub loss: f32,
    pub policy_loss: f32,
    pub value_loss: f32,
    /// Mean entropy of the network's policy over the legal moves of the batch (nats).
    pub policy_entropy: f32,
}

/// Self-play, the replay buffer and learning, on one backend.
pub trait Pipeline {
    /// Plays `moves` moves in every game in flight (finished games restart at once) and
    /// adds every finished game's positions to the replay buffer.
    fn play(&mut self, moves: u32) -> Result<SelfPlayReport, TrainError>;
    /// Positions in the replay buffer.
    fn replay_len(&self) -> u64;
    /// Runs `steps` training steps on batches sampled from the replay buffer.
    fn train(&mut self, steps: u32) -> Result<LossReport, TrainError>;
    /// Makes self-play use the parameters training has reached.
    fn publish(&mut self) -> Result<(), TrainError>;
    /// The training step (for checkpoints: its graph's persistent values in its program).
    fn training_step(&self) -> &TrainingStep;
    /// The same, writable (to restore a checkpoint).
    fn training_step_mut(&mut self) -> &mut TrainingStep;
    fn compute(&self) -> &Compute;
}
