//! One step of simulated annealing: Metropolis on the energy (monochromatic forbidden
//! cliques) with single-edge flips.
//!
//! The step, exactly (a GPU twin must do the same, in the same order of draws):
//! 1. choose an edge: [`EdgeChoice::Conflicting`] takes the `r`-th conflicting edge (one in
//!    some monochromatic forbidden clique) in lexicographic order with
//!    `r = rng.below(conflicting_count)`; [`EdgeChoice::Uniform`] takes `rng.below(E)`;
//! 2. `delta` = cliques the flip creates − cliques the edge lies in now;
//! 3. accept when `delta ≤ 0` without a draw; otherwise draw `x = rng.next_u32()` and accept
//!    when `delta ≤ 64` and `x < thresholds[delta − 1]`, where the table holds
//!    `⌊exp(−d / T) · 2^32⌋` (f32, saturating) for d = 1..=64 at the current temperature T;
//! 4. flip the edge if accepted.
//!
//! Uphill moves of more than 64 are never taken: at T ≤ 4 their probability would be below
//! e^-16. The thresholds change only when the temperature does (every
//! `steps_per_temperature` steps, [`AnnealSchedule::next_temperature`]), so a step costs one
//! clique count and no transcendental function; a kernel may compute the same table with
//! WGSL's `exp` or receive it.

use serde::{Deserialize, Serialize};

use super::board::Board;
use super::rng::Pcg32;

/// Uphill deltas with an acceptance threshold; larger ones are rejected.
pub const ACCEPTANCE_TABLE_LEN: usize = 64;

/// Which edges a step proposes to flip.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum EdgeChoice {
    /// Any edge, uniformly.
    Uniform,
    /// An edge of some monochromatic forbidden clique, uniformly among those: only these
    /// flips can lower the energy.
    Conflicting,
}

/// The temperature schedule: a sawtooth. From `start_temperature` the temperature is
/// multiplied by `cooling` every `steps_per_temperature` steps; when it would fall below
/// `end_temperature` it returns to `start_temperature` (a reheat: the colouring is kept).
/// `start_temperature == end_temperature` is Metropolis at a fixed temperature.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct AnnealSchedule {
    /// Temperature at each (re)start and after each reheat.
    pub start_temperature: f32,
    /// The lowest temperature of a cycle.
    pub end_temperature: f32,
    /// Factor applied to the temperature every `steps_per_temperature` steps (≤ 1).
    pub cooling: f32,
    pub steps_per_temperature: u32,
    pub edge_choice: EdgeChoice,
}

impl AnnealSchedule {
    /// The temperature of the next stage: cooled, or reheated to the start when cooling
    /// would go below the end temperature (f32 arithmetic, as a kernel does it).
    pub fn next_temperature(&self, temperature: f32) -> f32 {
        let cooled = temperature * self.cooling;
        if cooled < self.end_temperature {
            self.start_temperature
        } else {
            cooled
        }
    }
}

/// The acceptance thresholds of uphill moves at one temperature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Acceptance {
    /// `[64]`: `thresholds[d − 1]` = ⌊exp(−d / T) · 2^32⌋.
    thresholds: [u32; ACCEPTANCE_TABLE_LEN],
}

impl Acceptance {
    pub fn at(temperature: f32) -> Self {
        let mut thresholds = [0; ACCEPTANCE_TABLE_LEN];
        for (index, threshold) in thresholds.iter_mut().enumerate() {
            let delta = (index + 1) as f32;
            // `as` saturates: exp(−d/T) · 2^32 = 2^32 (T huge) becomes u32::MAX.
            *threshold = ((-delta / temperature).exp() * 4_294_967_296.0) as u32;
        }
        Self { thresholds }
    }

    /// `thresholds[d − 1]` for d = 1..=64.
    pub fn thresholds(&self) -> &[u32; ACCEPTANCE_TABLE_LEN] {
        &self.thresholds
    }

    /// Whether an uphill move of `delta` (> 0) is taken with the draw `draw`.
    pub fn accepts(&self, delta: i64, draw: u32) -> bool {
        delta <= ACCEPTANCE_TABLE_LEN as i64 && draw < self.thresholds[delta as usize - 1]
    }
}

/// One Metropolis step (see the module doc); returns whether the edge flipped. With
/// [`EdgeChoice::Conflicting`] the board must have energy > 0.
pub fn anneal_step(
    board: &mut Board,
    rng: &mut Pcg32,
    acceptance: &Acceptance,
    edge_choice: EdgeChoice,
) -> bool {
    let edge = match edge_choice {
        EdgeChoice::Uniform => rng.below(board.edge_count()),
        EdgeChoice::Conflicting => board.conflicting_edge(rng.below(board.conflicting_count())),
    };
    let delta = board.flip_delta(edge);
    let accepted = delta <= 0 || acceptance.accepts(delta, rng.next_u32());
    if accepted {
        board.flip(edge);
    }
    accepted
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ramsey::{Colouring, Problem};

    #[test]
    fn thresholds_follow_the_boltzmann_factor() {
        let acceptance = Acceptance::at(1.0);
        let expected = (-1.0f64).exp() * 4_294_967_296.0;
        assert!((f64::from(acceptance.thresholds[0]) - expected).abs() / expected < 1e-6);
        assert!(acceptance.accepts(1, 0));
        assert!(!acceptance.accepts(1, u32::MAX));
        assert!(!acceptance.accepts(65, 0));
        assert!(!Acceptance::at(0.0).accepts(1, 0));
        assert!(Acceptance::at(1e30).accepts(64, u32::MAX - 1));
    }

    #[test]
    fn uphill_moves_are_taken_at_the_metropolis_rate_and_steps_keep_the_energy_exact() {
        // With PCG32 draws, the accepted fraction of uphill moves of delta d is exp(-d/T).
        let problem = Problem::new(17, 4, 4).unwrap();
        let mut rng = Pcg32::new(5, 0);
        let acceptance = Acceptance::at(0.7);
        let mut proposals = [0u64; 4];
        let mut accepted = [0u64; 4];
        for _ in 0..200_000 {
            let delta = 1 + rng.below(3) as i64;
            proposals[delta as usize] += 1;
            accepted[delta as usize] += u64::from(acceptance.accepts(delta, rng.next_u32()));
        }
        for delta in 1..4 {
            let rate = accepted[delta] as f64 / proposals[delta] as f64;
            let expected = (-(delta as f64) / 0.7).exp();
            assert!(
                (rate - expected).abs() < 0.01,
                "delta {delta}: {rate} vs {expected}"
            );
        }
        // A step on a random board: the energy changes by the delta it reports.
        let mut board = Board::new(problem, Colouring::random(17, 1 << 31, &mut rng));
        for _ in 0..500 {
            if board.energy() == 0 {
                break;
            }
            let before = board.colouring().clone();
            let energy = board.energy();
            let flipped = anneal_step(&mut board, &mut rng, &acceptance, EdgeChoice::Conflicting);
            assert_eq!(flipped, &before != board.colouring());
            assert_eq!(
                board.energy(),
                crate::ramsey::counting::energy(board.colouring(), &problem)
            );
            if !flipped {
                assert_eq!(board.energy(), energy);
            }
        }
    }
}
