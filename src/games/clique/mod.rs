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
    /// a draw and a Ramsey counterexample (a witness that R(k,k) > n). The only mode where
    /// the two colours may avoid different sizes: colour 0 avoids K_s (`k`), colour 1
    /// avoids K_t (`t`), and a draw is a witness that R(s,t) > n.
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

/// One clique game: K_n, the clique size of each colour, and the mode. Build it with
/// [`CliqueConfig::new`] (one size) or [`CliqueConfig::with_sizes`] (two, avoid mode
/// only), which check 3 ≤ k, t ≤ n ≤ 64.
///
/// Stored (run directories, checkpoints, tree files) as `{"n", "k", "mode"}` plus `"t"`
/// only when t ≠ k, so files written before the two sizes existed read as t = k.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "StoredCliqueConfig", into = "StoredCliqueConfig")]
pub struct CliqueConfig {
    /// Vertices of the board K_n.
    pub n: u32,
    /// Size of the clique that ends the game in colour 0 (player 0's): k, or s of R(s,t).
    pub k: u32,
    /// Size of the clique that ends the game in colour 1 (player 1's): t of R(s,t). Equal
    /// to `k` except in [`Mode::Avoid`] played for an off-diagonal Ramsey number.
    pub t: u32,
    pub mode: Mode,
}

/// The serialized form of [`CliqueConfig`]: `t` is left out when it equals `k`.
#[derive(Serialize, Deserialize)]
struct StoredCliqueConfig {
    n: u32,
    k: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    t: Option<u32>,
    mode: Mode,
}

impl From<StoredCliqueConfig> for CliqueConfig {
    fn from(stored: StoredCliqueConfig) -> Self {
        Self {
            n: stored.n,
            k: stored.k,
            t: stored.t.unwrap_or(stored.k),
            mode: stored.mode,
        }
    }
}

impl From<CliqueConfig> for StoredCliqueConfig {
    fn from(config: CliqueConfig) -> Self {
        Self {
            n: config.n,
            k: config.k,
            t: (config.t != config.k).then_some(config.t),
            mode: config.mode,
        }
    }
}

impl CliqueConfig {
    /// A checked configuration with one clique size for both colours: 3 ≤ k ≤ n ≤ 64.
    pub fn new(n: u32, k: u32, mode: Mode) -> Result<Self, GameError> {
        Self::with_sizes(n, CliqueSizes::same(k), mode)
    }

    /// A checked configuration where colour 0's clique has `sizes.s` vertices and colour
    /// 1's `sizes.t`: both in 3..=n, n in 3..=64, and two different sizes only in
    /// [`Mode::Avoid`] (in the other modes one clique size decides the game).
    pub fn with_sizes(n: u32, sizes: CliqueSizes, mode: Mode) -> Result<Self, GameError> {
        if !(MIN_CLIQUE..=MAX_VERTICES).contains(&n) {
            return Err(GameError::InvalidConfig(format!(
                "n = {n} is not supported: the board K_n needs {MIN_CLIQUE} <= n <= {MAX_VERTICES}"
            )));
        }
        for size in [sizes.s, sizes.t] {
            if !(MIN_CLIQUE..=n).contains(&size) {
                return Err(GameError::InvalidConfig(format!(
                    "k = {size} is not supported for n = {n}: the clique size needs {MIN_CLIQUE} <= k <= n"
                )));
            }
        }
        if sizes.s != sizes.t && mode != Mode::Avoid {
            return Err(GameError::InvalidConfig(format!(
                "k = {sizes} gives the two colours different clique sizes, which only avoid mode \
                 plays (R(s,t) witnesses); {mode} mode takes one size, such as k = {}",
                sizes.s
            )));
        }
        Ok(Self {
            n,
            k: sizes.s,
            t: sizes.t,
            mode,
        })
    }

    /// The clique sizes of colour 0 and colour 1.
    pub fn sizes(&self) -> CliqueSizes {
        CliqueSizes {
            s: self.k,
            t: self.t,
        }
    }

    /// The size of the clique that counts in `player`'s colour (0 or 1).
    pub fn clique_size(&self, player: u8) -> u32 {
        if player == 0 { self.k } else { self.t }
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

/// The clique sizes of the two colours: colour 0 (player 0) must avoid or complete K_s,
/// colour 1 K_t. Written `K` when both are K and `S,T` otherwise, as the `--k` flag takes
/// them (see [`CliqueSizes::from_str`](std::str::FromStr)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CliqueSizes {
    pub s: u32,
    pub t: u32,
}

impl CliqueSizes {
    /// Both colours' size is `k`.
    pub fn same(k: u32) -> Self {
        Self { s: k, t: k }
    }
}

impl std::fmt::Display for CliqueSizes {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.s == self.t {
            write!(formatter, "{}", self.s)
        } else {
            write!(formatter, "{},{}", self.s, self.t)
        }
    }
}

impl std::str::FromStr for CliqueSizes {
    type Err = String;

    /// `"K"` (both colours) or `"S,T"` (colour 0 avoids K_S, colour 1 K_T); spaces allowed.
    fn from_str(text: &str) -> Result<Self, String> {
        let size = |part: &str| {
            part.trim().parse::<u32>().map_err(|_| {
                format!("{text:?} is not a clique size: give one size (4) or two (3,4)")
            })
        };
        match text.split_once(',') {
            None => size(text).map(Self::same),
            Some((s, t)) => Ok(Self {
                s: size(s)?,
                t: size(t)?,
            }),
        }
    }
}

/// Written as the number `K` when both sizes are K, else as the string `"S,T"`.
impl Serialize for CliqueSizes {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self.s == self.t {
            serializer.serialize_u32(self.s)
        } else {
            serializer.collect_str(self)
        }
    }
}

/// Read from a number `K`, a string `"K"` or `"S,T"`, or a list `[S, T]` (how a TOML
/// config file may write `k`).
impl<'de> Deserialize<'de> for CliqueSizes {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Written {
            One(u32),
            Text(String),
            Pair([u32; 2]),
        }
        match Written::deserialize(deserializer).map_err(|_| {
            serde::de::Error::custom(
                "k must be one clique size (k = 4) or two in a string (k = \"3,4\")",
            )
        })? {
            Written::One(k) => Ok(Self::same(k)),
            Written::Text(text) => text.parse().map_err(serde::de::Error::custom),
            Written::Pair([s, t]) => Ok(Self { s, t }),
        }
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
