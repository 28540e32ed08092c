//! The network input: one-hot edge features relative to the player to move, and the static
//! graph structure an edge-aware GNN needs (docs/CLIQUE.md, "Observation").
//!
//! Layout `[E, 3]` row-major f32: for edge e (lexicographic order) the three numbers
//! `(own, opponent, empty)`, exactly one of them 1. "Own" is the player to move's colour.
//! The GNN takes [`edge_endpoints`] to connect edges that share a vertex; both depend only
//! on n, never on k or the mode.

use super::state::CliqueState;
use super::{endpoints, num_edges};
use crate::games::GameState;

/// Features per edge: own, opponent, empty.
pub const FEATURES_PER_EDGE: usize = 3;

/// 3E, the length of one observation.
pub fn observation_len(n: u32) -> usize {
    FEATURES_PER_EDGE * num_edges(n)
}

/// `[E]` endpoints (u, v), u < v, of every edge in action order.
pub fn edge_endpoints(n: u32) -> Vec<(u32, u32)> {
    (0..num_edges(n))
        .map(|action| endpoints(n, action))
        .collect()
}

/// Writes the `[E, 3]` observation of `state` into `out` (`len == 3E`).
pub fn write(state: &CliqueState, out: &mut [f32]) {
    let n = state.config().n;
    let own = state.adjacency(state.to_move());
    let opponent = state.adjacency(1 - state.to_move());
    let mut action = 0;
    for u in 0..n as usize {
        for v in u + 1..n as usize {
            let features = &mut out[FEATURES_PER_EDGE * action..FEATURES_PER_EDGE * (action + 1)];
            let mine = own[u] >> v & 1 == 1;
            let theirs = opponent[u] >> v & 1 == 1;
            features[0] = f32::from(u8::from(mine));
            features[1] = f32::from(u8::from(theirs));
            features[2] = f32::from(u8::from(!mine && !theirs));
            action += 1;
        }
    }
}
