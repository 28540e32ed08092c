//! An edge-aware graph network for the clique game on K_n. Edges and vertices carry
//! hidden states that exchange messages each layer; the policy is one logit per edge and
//! the value pools the edges with attention. No weight's shape depends on n, so a network
//! trained on K_n loads on K_m (only the fixed edge list of the graph changes).
//!
//! Observation: `[E, 3]` per position (own, opponent, empty for every edge, edges in the
//! clique game's lexicographic order).

use serde::{Deserialize, Serialize};

use super::{Heads, Network, he_normal};
use crate::graph::{Graph, Init, Tensor};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EdgeGnn {
    /// Vertices of the complete graph.
    pub vertices: usize,
    pub hidden: usize,
    pub layers: usize,
}

impl EdgeGnn {
    pub fn new(vertices: usize) -> Self {
        Self {
            vertices,
            hidden: 64,
            layers: 3,
        }
    }

    pub fn edges(&self) -> usize {
        self.vertices * (self.vertices - 1) / 2
    }

    /// Endpoints (u, v), u < v, of every edge in lexicographic order.
    fn endpoints(&self) -> (Vec<u32>, Vec<u32>) {
        let mut from = Vec::new();
        let mut to = Vec::new();
        for u in 0..self.vertices as u32 {
            for v in u + 1..self.vertices as u32 {
                from.push(u);
                to.push(v);
            }
        }
        (from, to)
    }

    fn dense(graph: &Graph, name: &str, x: Tensor, width: usize, bias: bool) -> Tensor {
        let fan_in = x.shape.dim(-1);
        let weight = graph.parameter(
            &format!("{name}.weight"),
            [fan_in, width],
            he_normal(fan_in),
        );
        let bias = bias.then(|| graph.parameter(&format!("{name}.bias"), [width], Init::Zeros));
        graph.linear(x, weight, bias)
    }
}

impl Network for EdgeGnn {
    fn observation_len(&self) -> usize {
        3 * self.edges()
    }

    fn num_actions(&self) -> usize {
        self.edges()
    }

    fn forward(&self, graph: &Graph, observations: Tensor) -> Heads {
        let batch = observations.shape.dim(0);
        let (edges, hidden, vertices) = (self.edges(), self.hidden, self.vertices);
        let (from, to) = self.endpoints();
        // Each vertex touches n − 1 edges: averaging keeps scales independent of n.
        let degree = 1.0 / (vertices - 1) as f32;
        let to_vertices = |h: Tensor| {
            let summed = graph.add(
                graph.scatter_add(h, 1, &from, vertices),
                graph.scatter_add(h, 1, &to, vertices),
            );
            graph.scale(summed, degree)
        };
        let features = graph.reshape(observations, [batch, edges, 3]);
        let mut edge_state = graph.relu(Self::dense(graph, "gnn.embed", features, hidden, true));
        let mut vertex_state = to_vertices(edge_state);
        for layer in 0..self.layers {
            let name = format!("gnn.layer{layer}");
            let incoming = to_vertices(edge_state);
            let vertex_update = graph.relu(graph.add(
                Self::dense(
                    graph,
                    &format!("{name}.vertex_self"),
                    vertex_state,
                    hidden,
                    true,
                ),
                Self::dense(
                    graph,
                    &format!("{name}.vertex_edges"),
                    incoming,
                    hidden,
                    false,
                ),
            ));
            vertex_state = graph.add(vertex_state, vertex_update);
            let ends = graph.add(
                graph.gather(vertex_state, 1, &from),
                graph.gather(vertex_state, 1, &to),
            );
            let edge_update = graph.relu(graph.add(
                Self::dense(
                    graph,
                    &format!("{name}.edge_self"),
                    edge_state,
                    hidden,
                    true,
                ),
                Self::dense(graph, &format!("{name}.edge_ends"), ends, hidden, false),
            ));
            edge_state = graph.add(edge_state, edge_update);
        }
        let small = |fan_in: usize| Init::Normal {
            std: (1.0 / fan_in as f32).sqrt() * 0.1,
        };
        let policy_weight = graph.parameter("gnn.policy.weight", [hidden, 1], small(hidden));
        let policy_bias = graph.parameter("gnn.policy.bias", [1], Init::Zeros);
        let policy = graph.linear(edge_state, policy_weight, Some(policy_bias));
        let policy_logits = graph.reshape(policy, [batch, edges]);
        // Attention pooling over the edges for the value.
        let score_weight = graph.parameter("gnn.attention.weight", [hidden, 1], small(hidden));
        let scores = graph.reshape(graph.linear(edge_state, score_weight, None), [batch, edges]);
        let attention = graph.reshape(graph.softmax(scores, None), [batch, edges, 1]);
        let pooled = graph.sum(graph.mul(attention, edge_state), &[1], false);
        let value_hidden = graph.relu(Self::dense(graph, "gnn.value.hidden", pooled, hidden, true));
        let out_weight = graph.parameter("gnn.value.out.weight", [hidden, 1], small(hidden));
        let out_bias = graph.parameter("gnn.value.out.bias", [1], Init::Zeros);
        let value = graph.tanh(graph.linear(value_hidden, out_weight, Some(out_bias)));
        Heads {
            policy_logits,
            value,
        }
    }
}
