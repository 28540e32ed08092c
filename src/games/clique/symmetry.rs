//! Vertex relabelling: the symmetry group S_n of the clique game, for data augmentation.
//!
//! Relabelling vertex v as `map[v]` sends edge `{u, v}` to `{map[u], map[v]}` and keeps every
//! rule, so a position, its legal moves, its value and its policy all transform together:
//! `policy_of(permuted state)[permute_action(a)] == policy_of(state)[a]`.

use super::state::CliqueState;
use super::{edge_index, endpoints, num_edges};
use crate::games::GameError;

/// A permutation of the vertices 0..n, with its action of the edges precomputed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VertexPermutation {
    /// `[n]`: vertex v becomes `map[v]`.
    map: Vec<u32>,
    /// `[E]`: edge a becomes `edge_map[a]`.
    edge_map: Vec<u32>,
}

impl VertexPermutation {
    /// Checks that `map` is a permutation of 0..map.len().
    pub fn new(map: Vec<u32>) -> Result<Self, GameError> {
        let n = map.len() as u32;
        let mut seen = vec![false; map.len()];
        for &image in &map {
            if image >= n || std::mem::replace(&mut seen[image as usize], true) {
                return Err(GameError::InvalidConfig(format!(
                    "{map:?} is not a vertex permutation: it must hold each of 0..{n} once"
                )));
            }
        }
        let edge_map = (0..num_edges(n))
            .map(|action| {
                let (u, v) = endpoints(n, action);
                edge_index(n, map[u as usize], map[v as usize]) as u32
            })
            .collect();
        Ok(Self { map, edge_map })
    }

    pub fn identity(n: u32) -> Self {
        Self::new((0..n).collect()).unwrap_or_else(|_| unreachable!("0..n is a permutation"))
    }

    pub fn n(&self) -> u32 {
        self.map.len() as u32
    }

    /// `[n]`: vertex v becomes `vertex_map()[v]`.
    pub fn vertex_map(&self) -> &[u32] {
        &self.map
    }

    pub fn inverse(&self) -> Self {
        let mut inverse = vec![0; self.map.len()];
        for (vertex, &image) in self.map.iter().enumerate() {
            inverse[image as usize] = vertex as u32;
        }
        Self::new(inverse).unwrap_or_else(|_| unreachable!("the inverse of a permutation"))
    }

    /// The image of edge `action` (< E).
    pub fn permute_action(&self, action: usize) -> usize {
        self.edge_map[action] as usize
    }

    /// `[E]` values per action moved to the relabelled actions: `out[permute_action(a)] =
    /// values[a]`. Works for policies, visit counts and legal masks.
    pub fn permute_policy<T: Copy + Default>(&self, values: &[T]) -> Vec<T> {
        let mut out = vec![T::default(); values.len()];
        for (action, &value) in values.iter().enumerate() {
            out[self.edge_map[action] as usize] = value;
        }
        out
    }

    /// The relabelled position (same turn, move count and status).
    pub fn permute_state(&self, state: &CliqueState) -> Result<CliqueState, GameError> {
        let n = state.config().n;
        if n != self.n() {
            return Err(GameError::InvalidConfig(format!(
                "a permutation of {} vertices cannot relabel a board with n = {n}",
                self.n()
            )));
        }
        let mut adjacency = vec![0u64; 2 * n as usize];
        for player in 0..2u8 {
            for (vertex, &neighbours) in state.adjacency(player).iter().enumerate() {
                let mut image = 0u64;
                let mut rest = neighbours;
                while rest != 0 {
                    image |= 1 << self.map[rest.trailing_zeros() as usize];
                    rest &= rest - 1;
                }
                adjacency[player as usize * n as usize + self.map[vertex] as usize] = image;
            }
        }
        let last_action = state.last_action().map(|a| self.edge_map[a as usize]);
        Ok(state.with_graphs(adjacency, last_action))
    }
}
