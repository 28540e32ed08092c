//! A searched tree as plain data: what `GpuSearch::read_tree` and `ReferenceSearch::tree`
//! return, and the `tree` of a tree file (`tree_file.rs`, `wgzero search --tree`).

use serde::{Deserialize, Serialize};

/// One game's tree: nodes and edges by index; node `root` is where the search started.
/// A node's edges are contiguous and in increasing action order; an edge leads to a node
/// once a simulation has walked it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TreeDump {
    pub root: u32,
    pub nodes: Vec<NodeDump>,
    pub edges: Vec<EdgeDump>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NodeDump {
    /// One for the node's own evaluation (or each time a terminal node is reached), plus
    /// one per simulation that passed through it: 1 + Σ its edges' visits once expanded.
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

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EdgeDump {
    pub action: u32,
    /// The network's prior: softmax of its logits over the legal moves (before root noise).
    pub prior: f32,
    /// The network's logit for this move (Gumbel's scores use it).
    pub logit: f32,
    pub visits: u32,
    /// Sum of the values backed up through this edge, from the chooser's view.
    pub value_sum: f32,
    /// Mean value from the chooser's view (`value_sum / visits`), if visited.
    pub q: Option<f32>,
    /// The node this edge leads to, once created.
    pub child: Option<u32>,
}

impl TreeDump {
    /// The edge indices of `node`'s children (empty for a node out of range).
    pub fn edges_of(&self, node: u32) -> std::ops::Range<usize> {
        match self.nodes.get(node as usize) {
            Some(n) => {
                let first = n.first_edge as usize;
                let end = first.saturating_add(n.num_edges as usize);
                first.min(self.edges.len())..end.min(self.edges.len())
            }
            None => 0..0,
        }
    }

    /// For every node, the edge that leads to it (`None` for the root and for nodes no
    /// edge leads to). Where several edges lead to one node (a malformed tree), the last.
    pub fn parent_edges(&self) -> Vec<Option<u32>> {
        let mut parents = vec![None; self.nodes.len()];
        for (index, edge) in self.edges.iter().enumerate() {
            if let Some(child) = edge.child
                && let Some(parent) = parents.get_mut(child as usize)
            {
                *parent = Some(index as u32);
            }
        }
        parents
    }

    /// The actions from the root to `node`, in order; `None` if no path from the root
    /// leads there. Walks [`Self::parent_edges`] up, so it also ends on a malformed tree.
    pub fn actions_to(&self, node: u32) -> Option<Vec<usize>> {
        let parents = self.parent_edges();
        let owners = self.edge_owners();
        let mut actions = Vec::new();
        let mut current = node;
        while current != self.root {
            if actions.len() > self.nodes.len() {
                return None;
            }
            let edge = (*parents.get(current as usize)?)?;
            actions.push(self.edges[edge as usize].action as usize);
            current = owners[edge as usize]?;
        }
        actions.reverse();
        Some(actions)
    }

    /// For every edge, the node whose edge range holds it (the first, if ranges overlap).
    pub fn edge_owners(&self) -> Vec<Option<u32>> {
        let mut owners = vec![None; self.edges.len()];
        for node in 0..self.nodes.len() as u32 {
            for edge in self.edges_of(node) {
                owners[edge].get_or_insert(node);
            }
        }
        owners
    }
}
