//! A multilayer perceptron with a policy head and a tanh value head.

use serde::{Deserialize, Serialize};

use super::{Heads, Network, he_normal};
use crate::graph::{Graph, Init, Tensor};

/// `input → hidden[0] → … → (policy logits, tanh value)`, ReLU between layers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mlp {
    pub input: usize,
    pub hidden: Vec<usize>,
    pub actions: usize,
}

impl Mlp {
    fn layer(graph: &Graph, name: &str, x: Tensor, width: usize, fan_init: Init) -> Tensor {
        let fan_in = x.shape.dim(-1);
        let weight = graph.parameter(&format!("{name}.weight"), [fan_in, width], fan_init);
        let bias = graph.parameter(&format!("{name}.bias"), [width], Init::Zeros);
        graph.linear(x, weight, Some(bias))
    }
}

impl Network for Mlp {
    fn observation_len(&self) -> usize {
        self.input
    }

    fn num_actions(&self) -> usize {
        self.actions
    }

    fn forward(&self, graph: &Graph, observations: Tensor) -> Heads {
        let mut x = observations;
        for (index, &width) in self.hidden.iter().enumerate() {
            let fan_in = x.shape.dim(-1);
            x = graph.relu(Self::layer(
                graph,
                &format!("mlp.{index}"),
                x,
                width,
                he_normal(fan_in),
            ));
        }
        let fan_in = x.shape.dim(-1);
        let small = Init::Normal {
            std: (1.0 / fan_in as f32).sqrt() * 0.1,
        };
        let policy_logits = Self::layer(graph, "mlp.policy", x, self.actions, small);
        let value = graph.tanh(Self::layer(graph, "mlp.value", x, 1, small));
        Heads {
            policy_logits,
            value,
        }
    }
}
