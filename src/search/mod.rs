//! Monte Carlo tree search, and nothing else (as in mctx): the root policies (AlphaZero
//! PUCT with Dirichlet noise, Gumbel MuZero), a CPU reference search and the batched GPU
//! search, which compute the same thing. Games enter through `games::GameState` (the
//! reference) and `games::GpuGame` (the GPU search's WGSL adapter); playing moves,
//! recording samples and replay are `selfplay`'s business.

pub mod config;
pub mod evaluator;
pub mod gpu;
pub mod interactive;
pub mod reference;
pub mod selection;
pub mod summary;
pub mod tree;
pub mod tree_dump;
pub mod tree_file;

pub use config::{FirstPlayUrgency, RootPolicy, SearchConfig};
pub use evaluator::{Evaluator, HostEvaluator, Outputs, ProgramEvaluator, UniformEvaluator};
pub use interactive::{InteractiveSearch, Pause, Progress};
pub use reference::ReferenceSearch;
pub use selection::{ChildSelection, NodeSelection, SelectionRule, selection_at};
pub use tree::{SearchInfo, SearchLimits, TreeConfig, TreeSearch};
pub use tree_file::{NetworkSource, TreeFile, TreeFileError, TreeProblem};

use serde::Serialize;

use crate::games::GameError;
use crate::graph::GraphError;

/// Errors of the search layer, each naming what to change.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("invalid search setting: {0}")]
    Config(String),
    #[error("game {0} is already over; there is nothing to search")]
    GameOver(usize),
    #[error(transparent)]
    Game(#[from] GameError),
    #[error(transparent)]
    Graph(#[from] GraphError),
    #[error(transparent)]
    Gpu(#[from] crate::gpu::GpuError),
}

/// What the search found for one root child.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ChildStats {
    pub action: usize,
    /// The network's prior (before root noise).
    pub prior: f32,
    pub visits: u32,
    /// Mean value from the view of the player choosing it; `None` if never visited.
    pub q: Option<f32>,
}

/// The outcome of one search from one root.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SearchResult {
    /// The move the policy plays at temperature 0.
    pub chosen: usize,
    /// Root children in action order.
    pub children: Vec<ChildStats>,
    /// The training target over all actions: visit frequencies (AlphaZero) or the
    /// completed-Q improved policy (Gumbel).
    pub policy_target: Vec<f32>,
    /// Mean value of the root from its mover's view.
    pub root_value: f32,
}
