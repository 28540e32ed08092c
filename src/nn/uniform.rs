//! The network that knows nothing: every logit 0 (a uniform prior over the legal moves)
//! and value 0. Search with it is plain MCTS guided only by terminal positions.

use super::{Heads, Network};
use crate::graph::{Graph, Tensor};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Uniform {
    pub observation_len: usize,
    pub actions: usize,
}

impl Network for Uniform {
    fn observation_len(&self) -> usize {
        self.observation_len
    }

    fn num_actions(&self) -> usize {
        self.actions
    }

    fn forward(&self, graph: &Graph, observations: Tensor) -> Heads {
        let batch = observations.shape.dim(0);
        Heads {
            policy_logits: graph.fill(0.0, [batch, self.actions]),
            value: graph.fill(0.0, [batch, 1]),
        }
    }
}
