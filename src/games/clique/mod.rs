//! The clique game on K_n.
//!
//! Two players alternately claim uncoloured edges of the complete graph K_n, player 0
//! first. Edges are indexed lexicographically: for pairs (u, v) with u < v, u is the outer
//! loop, so for n = 6: (0,1) = 0 … (0,5) = 4, (1,2) = 5 … (4,5) = 14. An action is an edge
//! index, and there are E = n(n−1)/2 of them. The [`Mode`] says who wins.
//!
//! Data flow: [`CliqueState`] (the Rust reference rules) ⇄ [`gpu::CliqueBatch`] (the same
//! rules in WGSL over a batch), [`solver::Solver`] (exact values of small boards),
//! [`archive::RamseyArchive`] (drawn avoid games = Ramsey counterexamples).

pub mod adapter;
pub mod archive;
pub mod canonical;
pub mod cross_check;
pub mod detection;
pub mod gpu;
pub mod graph6;
pub mod observation;
pub mod playout;
pub mod solver;
pub mod state;
pub mod symmetry;

use serde::{Deserialize, Serialize};

pub use observation::{edge_endpoints, observation_len};
pub use state::{CliqueState, Status};

use super::GameError;

/// The largest supported board: vertex sets are `u64` bitsets.
pub const MAX_VERTICES: u32 = 64;
/// The smallest clique size: K_2 would be any single edge.
pub const MIN_CLIQUE: u32 = 3;

/// Who wins.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Completing a K_k in your own colour wins; a full board without one is a draw.
    Symmetric,
    /// Player 0 (attacker) wins by completing a K_k in its colour; player 1 (defender) wins
    /// when the board fills without one. The defender's own cliques do not matter.
    Asymmetric,
    /// Completing a K_k in your own colour loses; a full board with no monochromatic K_k is
    /// a draw and a Ramsey counterexample (a witness that R(k,k) > n).
    Avoid,
}

impl Mode {
    /// The mode's number in the WGSL rules (`CLIQUE_MODE`).
    pub fn wgsl_code(self) -> u32 {
        match self {
            Mode::Symmetric => 0,
            Mode::Asymmetric => 1,
            Mode::Avoid => 2,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Mode::Symmetric => "symmetric",
            Mode::Asymmetric => "asymmetric",
            Mode::Avoid => "avoid",
        }
    }
}

impl std::fmt::Display for Mode {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(self.name())
    }
}

/// One clique game: K_n, cliques of size k, and the mode. Build it with
/// [`CliqueConfig::new`], which checks 3 ≤ k ≤ n ≤ 64.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CliqueConfig {
    /// Vertices of the board K_n.
    pub n: u32,
    /// Size of the clique that ends the game.
    pub k: u32,
    pub mode: Mode,
}

impl CliqueConfig {
    /// A checked configuration: 3 ≤ k ≤ n ≤ 64.
    pub fn new(n: u32, k: u32, mode: Mode) -> Result<Self, GameError> {
        if !(MIN_CLIQUE..=MAX_VERTICES).contains(&n) {
            return Err(GameError::InvalidConfig(format!(
                "n = {n} is not supported: the board K_n needs {MIN_CLIQUE} <= n <= {MAX_VERTICES}"
            )));
        }
        if !(MIN_CLIQUE..=n).contains(&k) {
            return Err(GameError::InvalidConfig(format!(
                "k = {k} is not supported for n = {n}: the clique size needs {MIN_CLIQUE} <= k <= n"
            )));
        }
        Ok(Self { n, k, mode })
    }

    /// E = n(n−1)/2, the number of edges and of actions.
    pub fn num_edges(&self) -> usize {
        num_edges(self.n)
    }

    /// u32 words of one vertex set in WGSL: 1 for n ≤ 32, else 2 (a `vec2<u32>`).
    pub fn mask_words(&self) -> usize {
        if self.n <= 32 { 1 } else { 2 }
    }
}

/// E = n(n−1)/2.
pub fn num_edges(n: u32) -> usize {
    let n = n as usize;
    n * (n - 1) / 2
}

/// Index of the first edge (u, u+1) of row u in the lexicographic order.
pub fn row_start(n: u32, u: u32) -> usize {
    let (n, u) = (n as usize, u as usize);
    u * (2 * n - u - 1) / 2
}

/// The action index of edge {u, v} (either order; u ≠ v, both < n).
pub fn edge_index(n: u32, u: u32, v: u32) -> usize {
    let (low, high) = if u < v { (u, v) } else { (v, u) };
    row_start(n, low) + (high - low - 1) as usize
}

/// The endpoints (u, v), u < v, of edge `action` (< E).
pub fn endpoints(n: u32, action: usize) -> (u32, u32) {
    let mut rest = action;
    let mut u = 0;
    loop {
        let row = (n - 1 - u) as usize;
        if rest < row {
            return (u, u + 1 + rest as u32);
        }
        rest -= row;
        u += 1;
    }
}

/// The bitset of vertices 0..n.
pub fn all_vertices(n: u32) -> u64 {
    if n >= 64 { u64::MAX } else { (1u64 << n) - 1 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edge_order_is_lexicographic() {
        let n = 6;
        let mut expected = 0;
        for u in 0..n {
            for v in u + 1..n {
                assert_eq!(edge_index(n, u, v), expected);
                assert_eq!(edge_index(n, v, u), expected);
                assert_eq!(endpoints(n, expected), (u, v));
                expected += 1;
            }
        }
        assert_eq!(expected, num_edges(n));
        assert_eq!(edge_index(6, 0, 5), 4);
        assert_eq!(edge_index(6, 1, 2), 5);
        assert_eq!(edge_index(6, 4, 5), 14);
    }

    #[test]
    fn configs_outside_the_range_are_rejected_with_the_range() {
        assert!(CliqueConfig::new(64, 6, Mode::Avoid).is_ok());
        assert!(CliqueConfig::new(3, 3, Mode::Symmetric).is_ok());
        for (n, k) in [(2, 3), (65, 4), (6, 2), (5, 6), (0, 0)] {
            let error = CliqueConfig::new(n, k, Mode::Symmetric).unwrap_err();
            assert!(error.to_string().contains("<="), "{error}");
        }
    }
}
