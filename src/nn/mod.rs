//! Networks as graph builders: each adds its parameters (by name) and its forward pass to
//! a [`Graph`]. The AlphaZero loss and the training step are built here too, so the
//! trainer, the search and the benchmarks share one definition.
//!
//! Parameters are named `<layer>.<weight|bias>`; a training program and an inference
//! program built from the same network share values by name.

pub mod gnn;
pub mod mlp;
pub mod resnet;
pub mod spec;
pub mod uniform;

use crate::graph::optim::{self, UpdateConfig};
use crate::graph::{Graph, GraphError, Tensor, autodiff};

/// What a network returns for a batch: policy logits `[batch, actions]` and values
/// `[batch, 1]` in (−1, 1).
#[derive(Clone, Copy, Debug)]
pub struct Heads {
    pub policy_logits: Tensor,
    pub value: Tensor,
}

/// A network that maps a batch of observations to policy logits and values.
pub trait Network {
    /// Floats of one observation (its shape is the network's business).
    fn observation_len(&self) -> usize;
    /// Size of the policy head.
    fn num_actions(&self) -> usize;
    /// Adds the forward pass for `observations` (`[batch, observation_len]`).
    fn forward(&self, graph: &Graph, observations: Tensor) -> Heads;
}

/// Names of the graph inputs and outputs of the programs built here.
pub mod names {
    pub const OBSERVATIONS: &str = "observations";
    pub const LEGAL_MASK: &str = "legal_mask";
    pub const POLICY_TARGET: &str = "policy_target";
    pub const VALUE_TARGET: &str = "value_target";
    pub const POLICY_LOGITS: &str = "policy_logits";
    pub const VALUE: &str = "value";
    pub const LOSS: &str = "loss";
    pub const POLICY_LOSS: &str = "policy_loss";
    pub const VALUE_LOSS: &str = "value_loss";
    pub const POLICY_ENTROPY: &str = "policy_entropy";
}

/// Adds an inference pass for `batch` observations: outputs `policy_logits` and `value`.
pub fn inference(graph: &Graph, network: &dyn Network, batch: usize) -> Heads {
    let observations = graph.input(names::OBSERVATIONS, [batch, network.observation_len()]);
    let heads = network.forward(graph, observations);
    graph.output(names::POLICY_LOGITS, heads.policy_logits);
    graph.output(names::VALUE, heads.value);
    heads
}

/// Adds one AlphaZero training step for a batch of `batch` samples: the loss
/// `CE(policy target, masked softmax) + (value − target)²`, its gradients, and the
/// optimizer update. Inputs: observations, legal mask (1 legal / 0 not), policy target
/// (0 on illegal actions), value target `[batch, 1]`. Outputs: the loss and its terms.
pub fn training_step(
    graph: &Graph,
    network: &dyn Network,
    batch: usize,
    update: &UpdateConfig,
) -> Result<TrainingTensors, GraphError> {
    let actions = network.num_actions();
    let observations = graph.input(names::OBSERVATIONS, [batch, network.observation_len()]);
    let mask = graph.input(names::LEGAL_MASK, [batch, actions]);
    let policy_target = graph.input(names::POLICY_TARGET, [batch, actions]);
    let value_target = graph.input(names::VALUE_TARGET, [batch, 1]);
    let heads = network.forward(graph, observations);
    let policy_loss =
        graph.mean_all(graph.soft_cross_entropy(heads.policy_logits, policy_target, Some(mask)));
    let value_loss = graph.mse(heads.value, value_target);
    let loss = graph.add(policy_loss, value_loss);
    let parameters = graph.parameters();
    let gradients = autodiff::gradients(graph, loss, &parameters)?;
    optim::add_update(graph, &parameters, &gradients, update);
    graph.output(names::LOSS, loss);
    graph.output(names::POLICY_LOSS, policy_loss);
    graph.output(names::VALUE_LOSS, value_loss);
    Ok(TrainingTensors { heads, mask })
}

/// Tensors of a training step that diagnostics build on.
#[derive(Clone, Copy, Debug)]
pub struct TrainingTensors {
    pub heads: Heads,
    /// The legal mask input `[batch, actions]`.
    pub mask: Tensor,
}

/// Adds the output `policy_entropy`: the mean entropy (nats) of the masked policy over the
/// batch, a diagnostic that nothing is trained on.
pub fn add_policy_entropy(graph: &Graph, tensors: &TrainingTensors) {
    let logits = graph.stop_gradient(tensors.heads.policy_logits);
    let probabilities = graph.softmax(logits, Some(tensors.mask));
    let log_probabilities = graph.log_softmax(logits, Some(tensors.mask));
    let entropy = graph.neg(graph.sum(graph.mul(probabilities, log_probabilities), &[-1], false));
    graph.output(names::POLICY_ENTROPY, graph.mean_all(entropy));
}

/// He initialisation for a layer feeding a ReLU: normal with std √(2 / fan_in).
pub fn he_normal(fan_in: usize) -> crate::graph::Init {
    crate::graph::Init::Normal {
        std: (2.0 / fan_in as f32).sqrt(),
    }
}
