//! One step of tabu search: flip the best allowed conflicting edge.
//!
//! The step, exactly:
//! 1. for every conflicting edge e in lexicographic order, `delta(e)` = cliques the flip
//!    creates − cliques e lies in now;
//! 2. e is allowed when it is not tabu (`tabu_until[e] ≤ step`) or when the flip would
//!    reach an energy below the best of this run (aspiration);
//! 3. among allowed edges take the smallest delta; ties are broken uniformly by reservoir
//!    sampling: the i-th tie (i ≥ 2) replaces the choice when `rng.below(i) == 0`;
//! 4. when no edge is allowed, take the `rng.below(conflicting_count)`-th conflicting edge;
//! 5. flip it and make it tabu for `tenure` steps: `tabu_until[e] = step + tenure`.
//!
//! Only conflicting edges are candidates: any other flip destroys nothing and cannot lower
//! the energy.

use serde::{Deserialize, Serialize};

use super::board::Board;
use super::rng::Pcg32;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TabuSettings {
    /// Steps a flipped edge stays tabu.
    pub tenure: u32,
}

/// One tabu step at chain step `step` (see the module doc) on a board with a positive
/// energy. `tabu_until` is `[E]`; `run_best_energy` is the lowest energy since the last
/// restart. Returns the edge flipped.
pub fn tabu_step(
    board: &mut Board,
    rng: &mut Pcg32,
    tabu_until: &mut [u64],
    step: u64,
    settings: &TabuSettings,
    run_best_energy: u64,
) -> u32 {
    let energy = board.energy() as i64;
    let mut chosen = None;
    let mut best_delta = i64::MAX;
    let mut ties = 0;
    for rank in 0..board.conflicting_count() {
        let edge = board.conflicting_edge(rank);
        let delta = board.flip_delta(edge);
        let allowed = tabu_until[edge as usize] <= step || energy + delta < run_best_energy as i64;
        if !allowed || delta > best_delta {
            continue;
        }
        if delta < best_delta {
            best_delta = delta;
            chosen = Some(edge);
            ties = 1;
        } else {
            ties += 1;
            if rng.below(ties) == 0 {
                chosen = Some(edge);
            }
        }
    }
    let edge =
        chosen.unwrap_or_else(|| board.conflicting_edge(rng.below(board.conflicting_count())));
    board.flip(edge);
    tabu_until[edge as usize] = step + u64::from(settings.tenure);
    edge
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ramsey::{Colouring, Problem};

    #[test]
    fn a_step_takes_a_best_allowed_edge_and_makes_it_tabu() {
        let problem = Problem::new(20, 4, 4).unwrap();
        let mut rng = Pcg32::new(9, 0);
        let mut board = Board::new(problem, Colouring::random(20, 1 << 31, &mut rng));
        let mut tabu_until = vec![0u64; board.edge_count() as usize];
        let settings = TabuSettings { tenure: 10 };
        let start_energy = board.energy();
        let mut run_best = start_energy;
        for step in 0..60 {
            if board.energy() == 0 {
                break;
            }
            // Expected: the minimum delta over allowed conflicting edges, computed apart.
            let allowed: Vec<(u32, i64)> = (0..board.edge_count())
                .filter(|&edge| board.through(edge) > 0)
                .map(|edge| (edge, board.flip_delta(edge)))
                .filter(|&(edge, delta)| {
                    tabu_until[edge as usize] <= step
                        || board.energy() as i64 + delta < run_best as i64
                })
                .collect();
            let before = board.energy() as i64;
            let edge = tabu_step(
                &mut board,
                &mut rng,
                &mut tabu_until,
                step,
                &settings,
                run_best,
            );
            assert_eq!(tabu_until[edge as usize], step + 10);
            if let Some(minimum) = allowed.iter().map(|&(_, delta)| delta).min() {
                let taken = allowed.iter().find(|&&(e, _)| e == edge).unwrap();
                assert_eq!(taken.1, minimum);
                assert_eq!(board.energy() as i64, before + minimum);
            }
            run_best = run_best.min(board.energy());
        }
        assert!(
            run_best < start_energy / 2,
            "{run_best} from {start_energy}"
        );
    }
}
