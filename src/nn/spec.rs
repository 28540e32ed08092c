//! Which network to build, as serialisable data (run configurations and checkpoints).

use serde::{Deserialize, Serialize};

use super::Network;
use super::gnn::EdgeGnn;
use super::mlp::Mlp;

/// A network for the clique game on K_n, described independently of n where it can be.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum NetworkSpec {
    /// One-hot edge observation → hidden layers → (per-edge logits, tanh value).
    Mlp { hidden: Vec<usize> },
    /// The edge-aware GNN (weights independent of n).
    Gnn { hidden: usize, layers: usize },
}

impl NetworkSpec {
    pub fn default_mlp() -> Self {
        NetworkSpec::Mlp {
            hidden: vec![256, 256],
        }
    }

    pub fn default_gnn() -> Self {
        NetworkSpec::Gnn {
            hidden: 64,
            layers: 3,
        }
    }

    /// The network for the clique game on K_`vertices`.
    pub fn build(&self, vertices: usize) -> Box<dyn Network> {
        let edges = vertices * (vertices - 1) / 2;
        match self {
            NetworkSpec::Mlp { hidden } => Box::new(Mlp {
                input: 3 * edges,
                hidden: hidden.clone(),
                actions: edges,
            }),
            NetworkSpec::Gnn { hidden, layers } => Box::new(EdgeGnn {
                vertices,
                hidden: *hidden,
                layers: *layers,
            }),
        }
    }

    /// What decides the meaning of the weights, for checkpoint compatibility checks: the
    /// MLP's shapes depend on n, the GNN's do not (a K_n GNN loads on K_m).
    pub fn descriptor(&self, vertices: usize) -> serde_json::Value {
        match self {
            NetworkSpec::Mlp { hidden } => serde_json::json!({
                "kind": "mlp", "hidden": hidden, "vertices": vertices,
            }),
            NetworkSpec::Gnn { hidden, layers } => serde_json::json!({
                "kind": "gnn", "hidden": hidden, "layers": layers,
            }),
        }
    }
}
