//! A searched tree as plain data (JSON for `wgzero search --tree` and the app's tree view).

use serde::Serialize;

/// One game's tree: nodes and edges by index; node `root` is where the search started.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TreeDump {
    pub root: u32,
    pub nodes: Vec<NodeDump>,
    pub edges: Vec<EdgeDump>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NodeDump {
    pub visits: u32,
    /// The network's value, from this node's mover's view (0 until evaluated).
    pub raw_value: f32,
    /// The exact value for the player to move, if the game is over here.
    pub terminal_value: Option<f32>,
    pub expanded: bool,
    /// This node's edges are `edges[first_edge .. first_edge + num_edges]`.
    pub first_edge: u32,
    pub num_edges: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EdgeDump {
    pub action: u32,
    /// The network's prior (before root noise).
    pub prior: f32,
    pub visits: u32,
    /// Mean value from the chooser's view, if visited.
    pub q: Option<f32>,
    /// The node this edge leads to, once created.
    pub child: Option<u32>,
}
