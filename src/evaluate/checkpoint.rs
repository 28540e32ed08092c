//! A saved network, ready to evaluate: what `wgzero eval`, `search` and `play` load.

use super::EvaluateError;
use crate::backend::Compute;
use crate::games::GameInfo;
use crate::graph::Graph;
use crate::nn::{self, spec::NetworkSpec};
use crate::run_dir::checkpoint::{Checkpoint, Restore};
use crate::search::ProgramEvaluator;

/// An inference program of `spec` for `game`, compiled on `compute` for `batch` positions
/// per call, holding `checkpoint`'s parameters. An error if the checkpoint was saved for
/// another network (the checkpoint module names the first difference).
pub fn checkpoint_evaluator(
    checkpoint: &Checkpoint,
    game: &dyn GameInfo,
    spec: &NetworkSpec,
    compute: &Compute,
    batch: usize,
) -> Result<ProgramEvaluator, EvaluateError> {
    let network = game.network(spec)?;
    let mut evaluator = ProgramEvaluator::new(network.as_ref(), compute, batch, 0)?;
    // The program's persistent values, by name and shape, come from the graph it was
    // compiled from; building that graph again gives the same list.
    let graph = Graph::new();
    nn::inference(&graph, network.as_ref(), batch);
    checkpoint.restore(
        &game.network_descriptor(spec),
        &graph,
        evaluator.program_mut(),
        Restore::Inference,
    )?;
    Ok(evaluator)
}
