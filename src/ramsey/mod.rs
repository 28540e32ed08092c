//! Witness search for Ramsey numbers: 2-colourings of K_n with no K_s in colour 0 and no
//! K_t in colour 1, each a proof that R(s,t) > n. See `docs/RAMSEY.md` for the design and
//! the measured figures.
//!
//! Files in data-flow order:
//! - `rng`: PCG32, the chains' random numbers (two `u64` words of state);
//! - `colouring`: the state, one `u64` bitset of colour-0 neighbours per vertex;
//! - `counting`: clique counts by bitset recursion, the energy (monochromatic forbidden
//!   cliques) and the exact delta of one flip;
//! - `board`: a colouring with its cliques counted per edge, kept exact across flips;
//! - `anneal`, `tabu`: one step of each local search;
//! - `chain`: one search — its board, random numbers, temperature or tabu list, restarts;
//! - `circulant`: Cayley colourings of Z_n (exhaustive or local search), seeds for chains;
//! - `search`: many chains over the cores, their witnesses checked independently;
//! - `guide`: start colourings from avoid games played by MCTS (a trained network, an
//!   untrained one or none), for the ablation of learning as a guide;
//! - `witnesses`: witnesses up to isomorphism; `checkpoint`: the whole search on disk.
//!
//! Every witness is re-checked by [`crate::games::clique::archive::check_witness`] — code
//! that shares nothing with `counting` — before anyone sees it (see [`verify_witness`]).

pub mod anneal;
pub mod board;
pub mod chain;
pub mod checkpoint;
pub mod circulant;
pub mod colouring;
pub mod counting;
pub mod engine;
pub mod gpu;
pub mod guide;
pub mod rng;
pub mod search;
pub mod tabu;
pub mod witnesses;

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

pub use colouring::Colouring;

use crate::games::clique::archive::{ArchiveError, check_witness};
use crate::run_dir::RunDirError;

/// The most vertices: colourings are `u64` bitsets.
pub const MAX_VERTICES: u32 = 64;

/// Everything that can go wrong in a witness search; each message says what to change.
#[derive(Debug, thiserror::Error)]
pub enum RamseyError {
    #[error("{0}")]
    InvalidProblem(String),
    #[error("not a colouring of K_{n}: {reason}")]
    InvalidColouring { n: u32, reason: String },
    #[error(
        "the search reported a colouring of K_{n} as a witness that R({s},{t}) > {n}, but the \
         independent check rejects it ({reason}): a bug in the search's clique counting"
    )]
    FalseWitness {
        n: u32,
        s: u32,
        t: u32,
        reason: String,
    },
    #[error(transparent)]
    Gpu(#[from] crate::gpu::GpuError),
    #[error("{0}")]
    Unsupported(String),
    #[error(transparent)]
    RunDir(#[from] RunDirError),
    #[error(transparent)]
    Archive(#[from] ArchiveError),
    #[error(
        "{}: {reason}; delete it to start the search afresh, or give another --out",
        path.display()
    )]
    BadCheckpoint { path: PathBuf, reason: String },
}

/// One Ramsey problem: colourings of K_n, colour 0 avoiding K_s and colour 1 avoiding K_t.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Problem {
    pub n: u32,
    pub s: u32,
    pub t: u32,
}

impl Problem {
    /// A checked problem: 2 ≤ n ≤ 64, s ≥ 2 and t ≥ 2 (a clique size above n is allowed:
    /// every colouring avoids it).
    pub fn new(n: u32, s: u32, t: u32) -> Result<Self, RamseyError> {
        if !(2..=MAX_VERTICES).contains(&n) {
            return Err(RamseyError::InvalidProblem(format!(
                "n = {n}: the search colours K_n with 2 <= n <= {MAX_VERTICES}"
            )));
        }
        for (name, size) in [("s", s), ("t", t)] {
            if !(2..=MAX_VERTICES).contains(&size) {
                return Err(RamseyError::InvalidProblem(format!(
                    "{name} = {size}: clique sizes need 2 <= {name} <= {MAX_VERTICES}"
                )));
            }
        }
        Ok(Self { n, s, t })
    }

    /// The clique size colour `colour` must avoid: s for colour 0, t for colour 1.
    pub fn clique_size(&self, colour: u32) -> u32 {
        if colour == 0 { self.s } else { self.t }
    }

    /// E = n(n−1)/2, the edges of K_n.
    pub fn edge_count(&self) -> usize {
        crate::games::clique::num_edges(self.n)
    }

    /// "R(4,5) on K_24".
    pub fn describe(&self) -> String {
        format!("R({},{}) on K_{}", self.s, self.t, self.n)
    }

    /// The probability (as a threshold on a `u32` draw) of colour 0 in random starting
    /// colourings: 1/2 when s = t, else the p at which the expected numbers of K_s in colour
    /// 0, C(n,s)·p^C(s,2), and of K_t in colour 1, C(n,t)·(1−p)^C(t,2), are equal — so
    /// the colour that must avoid the smaller clique starts sparser.
    pub fn colour0_threshold(&self) -> u32 {
        if self.s == self.t {
            return 1 << 31;
        }
        let ln_binomial = |n: u32, k: u32| -> f64 {
            (0..k.min(n))
                .map(|i| f64::from(n - i).ln() - f64::from(i + 1).ln())
                .sum()
        };
        let pairs = |k: u32| f64::from(k * (k - 1) / 2);
        // Increasing in p: the log of (expected colour-0 cliques / expected colour-1 ones).
        let balance = |p: f64| {
            ln_binomial(self.n, self.s) + pairs(self.s) * p.ln()
                - ln_binomial(self.n, self.t)
                - pairs(self.t) * (1.0 - p).ln()
        };
        let (mut low, mut high) = (1e-6, 1.0 - 1e-6);
        for _ in 0..60 {
            let middle = (low + high) / 2.0;
            if balance(middle) < 0.0 {
                low = middle;
            } else {
                high = middle;
            }
        }
        (low * 4_294_967_296.0).clamp(1.0, f64::from(u32::MAX)) as u32
    }
}

/// The independent check of a witness ([`check_witness`]: every k-subset, or a
/// depth-first search where the subsets are too many), as a [`RamseyError::FalseWitness`]
/// when it fails.
pub fn verify_witness(problem: &Problem, colouring: &Colouring) -> Result<(), RamseyError> {
    if colouring.n() != problem.n {
        return Err(RamseyError::FalseWitness {
            n: problem.n,
            s: problem.s,
            t: problem.t,
            reason: format!("it colours K_{}", colouring.n()),
        });
    }
    check_witness(problem.n, problem.s, problem.t, colouring.adjacency()).map_err(|reason| {
        RamseyError::FalseWitness {
            n: problem.n,
            s: problem.s,
            t: problem.t,
            reason,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_outside_the_ranges_are_rejected_naming_the_value() {
        assert!(Problem::new(17, 4, 4).is_ok());
        assert!(Problem::new(2, 2, 2).is_ok());
        for ((n, s, t), name) in [
            ((1, 3, 3), "n = 1"),
            ((65, 3, 3), "n = 65"),
            ((10, 1, 3), "s = 1"),
            ((10, 3, 0), "t = 0"),
            ((10, 3, 65), "t = 65"),
        ] {
            let error = Problem::new(n, s, t).unwrap_err().to_string();
            assert!(error.contains(name), "{error}");
        }
    }

    #[test]
    fn the_starting_density_balances_the_expected_clique_counts() {
        assert_eq!(Problem::new(17, 4, 4).unwrap().colour0_threshold(), 1 << 31);
        let problem = Problem::new(24, 4, 5).unwrap();
        let p = f64::from(problem.colour0_threshold()) / 4_294_967_296.0;
        assert!((0.3..0.5).contains(&p), "{p}");
        // C(24,4) p^6 = C(24,5) (1-p)^10 at the balance point.
        let colour0 = 10626.0 * p.powi(6);
        let colour1 = 42504.0 * (1.0 - p).powi(10);
        assert!(
            (colour0 / colour1 - 1.0).abs() < 1e-3,
            "{colour0} {colour1}"
        );
        // Swapping s and t swaps the colours' densities.
        let swapped = Problem::new(24, 5, 4).unwrap().colour0_threshold();
        let q = f64::from(swapped) / 4_294_967_296.0;
        assert!((p + q - 1.0).abs() < 1e-6, "{p} {q}");
    }
}
