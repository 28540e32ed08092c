//! Completing a partly coloured K_n greedily, edge by edge: how a finished avoid game (a
//! draw fills the board; a loss leaves edges uncoloured) becomes a start colouring.
//!
//! The rule: the uncoloured edges are taken in a random order, and each gets the colour
//! that completes fewer monochromatic forbidden cliques (K_s in colour 0, K_t in the
//! other) *among the edges coloured so far*; on a tie the colour is drawn at random. An edge
//! {u, v} given colour c completes one forbidden clique per K_{k_c − 2} in the common
//! colour-c neighbourhood of u and v, counting coloured edges only (k_0 = s, k_1 = t), so
//! each step costs two clique counts ([`count_cliques`]).

use crate::games::clique::CliqueState;
use crate::ramsey::counting::count_cliques;
use crate::ramsey::rng::Pcg32;
use crate::ramsey::{Colouring, Problem, RamseyError};

/// A partial 2-colouring of K_n (n ≤ 64): each colour's graph as `[n]` bitsets; an edge in
/// neither graph is uncoloured.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartialColouring {
    n: u32,
    /// `[2][n]`: `graphs[c][v]` has bit w set when {v, w} has colour c.
    graphs: [Vec<u64>; 2],
}

impl PartialColouring {
    /// K_n with no edge coloured.
    pub fn empty(n: u32) -> Self {
        Self {
            n,
            graphs: [vec![0; n as usize], vec![0; n as usize]],
        }
    }

    /// The position of an avoid game as a partial colouring: player p's edges have colour
    /// p (player 0 avoids K_s in colour 0, player 1 avoids K_t in colour 1).
    pub fn from_avoid_game(state: &CliqueState) -> Self {
        Self {
            n: state.config().n,
            graphs: [state.adjacency(0).to_vec(), state.adjacency(1).to_vec()],
        }
    }

    pub fn n(&self) -> u32 {
        self.n
    }

    /// The colour of {u, v} (u ≠ v), or `None` while it is uncoloured.
    pub fn colour(&self, u: u32, v: u32) -> Option<u32> {
        (0..2).find(|&colour| self.graphs[colour as usize][u as usize] >> v & 1 == 1)
    }

    /// Gives {u, v} (u ≠ v, both < n) colour `colour` (0 or 1), replacing any colour it had.
    pub fn set(&mut self, u: u32, v: u32, colour: u32) {
        debug_assert!(u != v && u < self.n && v < self.n && colour < 2);
        for (c, graph) in self.graphs.iter_mut().enumerate() {
            if c as u32 == colour {
                graph[u as usize] |= 1 << v;
                graph[v as usize] |= 1 << u;
            } else {
                graph[u as usize] &= !(1 << v);
                graph[v as usize] &= !(1 << u);
            }
        }
    }

    /// The uncoloured edges (u, v), u < v, in lexicographic order.
    pub fn uncoloured_edges(&self) -> Vec<(u32, u32)> {
        let mut edges = Vec::new();
        for u in 0..self.n {
            for v in u + 1..self.n {
                if self.colour(u, v).is_none() {
                    edges.push((u, v));
                }
            }
        }
        edges
    }

    /// The forbidden cliques of colour `colour` that giving {u, v} that colour would
    /// complete, counting only the edges coloured now.
    pub fn cliques_completed(&self, problem: &Problem, u: u32, v: u32, colour: u32) -> u64 {
        let graph = &self.graphs[colour as usize];
        let common = graph[u as usize] & graph[v as usize];
        // The colour's own graph is stored, so no mask turns it into another colour's.
        count_cliques(graph, 0, common, problem.clique_size(colour) - 2)
    }

    /// Fills every uncoloured edge by the rule of this module, in an order drawn from
    /// `rng` (a uniform shuffle), and returns the complete colouring.
    pub fn complete(self, problem: &Problem, rng: &mut Pcg32) -> Result<Colouring, RamseyError> {
        let mut order = self.uncoloured_edges();
        // Fisher–Yates.
        for i in (1..order.len()).rev() {
            let j = rng.below(i as u32 + 1) as usize;
            order.swap(i, j);
        }
        self.complete_in_order(problem, &order, rng)
    }

    /// Fills the edges of `order`, in that order, by the rule of this module (ties drawn
    /// from `rng`); every uncoloured edge must be in `order`.
    pub fn complete_in_order(
        mut self,
        problem: &Problem,
        order: &[(u32, u32)],
        rng: &mut Pcg32,
    ) -> Result<Colouring, RamseyError> {
        if problem.n != self.n {
            return Err(RamseyError::InvalidColouring {
                n: self.n,
                reason: format!("it was to be completed for {}", problem.describe()),
            });
        }
        for &(u, v) in order {
            let in_colour0 = self.cliques_completed(problem, u, v, 0);
            let in_colour1 = self.cliques_completed(problem, u, v, 1);
            let colour = match in_colour0.cmp(&in_colour1) {
                std::cmp::Ordering::Less => 0,
                std::cmp::Ordering::Greater => 1,
                std::cmp::Ordering::Equal => rng.below(2),
            };
            self.set(u, v, colour);
        }
        if let Some((u, v)) = self.uncoloured_edges().first() {
            return Err(RamseyError::InvalidColouring {
                n: self.n,
                reason: format!("edge {u}-{v} was left uncoloured"),
            });
        }
        let [colour0, _] = self.graphs;
        Colouring::from_adjacency(self.n, colour0)
    }
}
