//! What the search asks of a network: policy logits and a value for a batch of positions.

use crate::backend::Compute;
use crate::graph::{CompileOptions, Graph, Program};
use crate::nn::{self, Network, names};

use super::SearchError;

/// Evaluates a batch of observations (`[batch, observation_len]`, row-major) into policy
/// logits `[batch, num_actions]` and values `[batch]` for the player to move.
pub trait Evaluator {
    fn evaluate(
        &mut self,
        observations: &[f32],
        batch: usize,
    ) -> Result<(Vec<f32>, Vec<f32>), SearchError>;
}

/// A network that knows nothing: uniform logits, value 0. Search with it is pure MCTS
/// with random-free rollouts replaced by a neutral value; terminal positions still count.
pub struct UniformEvaluator {
    pub num_actions: usize,
}

impl Evaluator for UniformEvaluator {
    fn evaluate(
        &mut self,
        _observations: &[f32],
        batch: usize,
    ) -> Result<(Vec<f32>, Vec<f32>), SearchError> {
        Ok((vec![0.0; batch * self.num_actions], vec![0.0; batch]))
    }
}

/// A network compiled for one batch size on one backend. Smaller batches are padded.
pub struct ProgramEvaluator {
    program: Program,
    batch: usize,
    observation_len: usize,
    num_actions: usize,
    padded: Vec<f32>,
}

impl ProgramEvaluator {
    pub fn new(
        network: &dyn Network,
        compute: &Compute,
        batch: usize,
        seed: u64,
    ) -> Result<Self, SearchError> {
        let graph = Graph::new();
        nn::inference(&graph, network, batch);
        let options = CompileOptions {
            fuse: true,
            seed,
            ..CompileOptions::default()
        };
        let program = Program::compile(&graph, compute, &options)?;
        Ok(Self {
            program,
            batch,
            observation_len: network.observation_len(),
            num_actions: network.num_actions(),
            padded: vec![0.0; batch * network.observation_len()],
        })
    }

    pub fn program(&self) -> &Program {
        &self.program
    }

    /// The compiled program (to load parameters into it by name).
    pub fn program_mut(&mut self) -> &mut Program {
        &mut self.program
    }

    /// The compiled program, for a caller that runs it itself (the GPU search).
    pub fn into_program(self) -> Program {
        self.program
    }
}

impl Evaluator for ProgramEvaluator {
    fn evaluate(
        &mut self,
        observations: &[f32],
        batch: usize,
    ) -> Result<(Vec<f32>, Vec<f32>), SearchError> {
        if batch > self.batch {
            return Err(SearchError::Config(format!(
                "the evaluator was compiled for {} positions, {batch} were given",
                self.batch
            )));
        }
        let used = batch * self.observation_len;
        self.padded[..used].copy_from_slice(&observations[..used]);
        self.padded[used..].fill(0.0);
        self.program.write(names::OBSERVATIONS, &self.padded)?;
        self.program.run()?;
        let mut logits = self.program.read(names::POLICY_LOGITS)?;
        logits.truncate(batch * self.num_actions);
        let mut values = self.program.read(names::VALUE)?;
        values.truncate(batch);
        Ok((logits, values))
    }
}
