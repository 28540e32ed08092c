//! What the search asks of a network: policy logits and a value for a batch of positions,
//! computed on the CPU at once or on the GPU without waiting.

use crate::backend::Compute;
use crate::graph::{CompileOptions, Graph, PendingRead, Program};
use crate::nn::{self, Network, names};

use super::SearchError;

/// A network's outputs for a batch of `rows` positions.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Outputs {
    /// `[rows, num_actions]` policy logits.
    pub logits: Vec<f32>,
    /// `[rows]` values for the player to move, in (−1, 1).
    pub values: Vec<f32>,
}

/// Evaluates batches of observations (`[rows, observation_len]`, row-major). One
/// evaluation is in flight at a time: [`Evaluator::start`] it, then [`Evaluator::poll`]
/// until it is done (the training loop never waits), or [`Evaluator::wait`] for it.
pub trait Evaluator {
    /// Starts evaluating `rows` observations.
    fn start(&mut self, observations: &[f32], rows: usize) -> Result<(), SearchError>;
    /// The evaluation in flight once it is done; `None` while it runs. Never blocks.
    fn poll(&mut self) -> Result<Option<Outputs>, SearchError>;
    /// Blocks until the evaluation in flight is done (tools and tests).
    fn wait(&mut self) -> Result<Outputs, SearchError>;
    /// Evaluates and waits: `(logits, values)`.
    fn evaluate(
        &mut self,
        observations: &[f32],
        rows: usize,
    ) -> Result<(Vec<f32>, Vec<f32>), SearchError> {
        self.start(observations, rows)?;
        let outputs = self.wait()?;
        Ok((outputs.logits, outputs.values))
    }
}

fn nothing_in_flight() -> SearchError {
    SearchError::Config("no evaluation is in flight: start one first".into())
}

/// An evaluator computed on the host at once, by a function of the observations and the
/// row count (test networks, solvers posing as networks).
pub struct HostEvaluator<F> {
    compute: F,
    pending: Option<Outputs>,
}

impl<F> HostEvaluator<F>
where
    F: FnMut(&[f32], usize) -> Result<Outputs, SearchError>,
{
    pub fn new(compute: F) -> Self {
        Self {
            compute,
            pending: None,
        }
    }
}

impl<F> Evaluator for HostEvaluator<F>
where
    F: FnMut(&[f32], usize) -> Result<Outputs, SearchError>,
{
    fn start(&mut self, observations: &[f32], rows: usize) -> Result<(), SearchError> {
        self.pending = Some((self.compute)(observations, rows)?);
        Ok(())
    }

    fn poll(&mut self) -> Result<Option<Outputs>, SearchError> {
        self.wait().map(Some)
    }

    fn wait(&mut self) -> Result<Outputs, SearchError> {
        self.pending.take().ok_or_else(nothing_in_flight)
    }
}

/// A network that knows nothing: uniform logits, value 0. Search with it is pure MCTS
/// with random-free rollouts replaced by a neutral value; terminal positions still count.
pub struct UniformEvaluator {
    pub num_actions: usize,
    pending: Option<usize>,
}

impl UniformEvaluator {
    pub fn new(num_actions: usize) -> Self {
        Self {
            num_actions,
            pending: None,
        }
    }
}

impl Evaluator for UniformEvaluator {
    fn start(&mut self, _observations: &[f32], rows: usize) -> Result<(), SearchError> {
        self.pending = Some(rows);
        Ok(())
    }

    fn poll(&mut self) -> Result<Option<Outputs>, SearchError> {
        self.wait().map(Some)
    }

    fn wait(&mut self) -> Result<Outputs, SearchError> {
        let rows = self.pending.take().ok_or_else(nothing_in_flight)?;
        Ok(Outputs {
            logits: vec![0.0; rows * self.num_actions],
            values: vec![0.0; rows],
        })
    }
}

/// A network compiled for one batch size on one backend. Smaller batches are padded.
pub struct ProgramEvaluator {
    program: Program,
    batch: usize,
    observation_len: usize,
    num_actions: usize,
    padded: Vec<f32>,
    /// The outputs on their way back, and the rows they are for.
    pending: Option<(PendingRead, usize)>,
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
            pending: None,
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

    /// Positions per call at most.
    pub fn batch(&self) -> usize {
        self.batch
    }

    /// The GPU submission the evaluation in flight comes back with, if any (what a
    /// blocking driver may wait for).
    pub fn pending_submission(&self) -> Option<wgpu::SubmissionIndex> {
        self.pending
            .as_ref()
            .and_then(|(read, _)| read.submission().cloned())
    }

    fn outputs(&self, mut values: Vec<Vec<f32>>, rows: usize) -> Outputs {
        let mut outputs = Outputs {
            values: values.pop().unwrap_or_default(),
            logits: values.pop().unwrap_or_default(),
        };
        outputs.logits.truncate(rows * self.num_actions);
        outputs.values.truncate(rows);
        outputs
    }
}

impl Evaluator for ProgramEvaluator {
    fn start(&mut self, observations: &[f32], rows: usize) -> Result<(), SearchError> {
        if rows > self.batch {
            return Err(SearchError::Config(format!(
                "the evaluator was compiled for {} positions, {rows} were given",
                self.batch
            )));
        }
        let used = rows * self.observation_len;
        self.padded[..used].copy_from_slice(&observations[..used]);
        self.padded[used..].fill(0.0);
        self.program.write(names::OBSERVATIONS, &self.padded)?;
        self.program.run()?;
        let read = self
            .program
            .start_read(&[names::POLICY_LOGITS, names::VALUE])?;
        self.pending = Some((read, rows));
        Ok(())
    }

    fn poll(&mut self) -> Result<Option<Outputs>, SearchError> {
        let (read, rows) = self.pending.as_mut().ok_or_else(nothing_in_flight)?;
        let rows = *rows;
        match read.poll()? {
            Some(values) => {
                self.pending = None;
                Ok(Some(self.outputs(values, rows)))
            }
            None => Ok(None),
        }
    }

    fn wait(&mut self) -> Result<Outputs, SearchError> {
        let (read, rows) = self.pending.take().ok_or_else(nothing_in_flight)?;
        let values = read.wait()?;
        Ok(self.outputs(values, rows))
    }
}
