//! The exact solver against plain minimax on tiny boards (own naive rules: colours per
//! edge, every k-subset through the new edge checked), avoid mode with two clique sizes
//! included, and its reach on n <= 6, k = 3.

use std::time::Instant;

use wgzero::games::GameState;
use wgzero::games::clique::archive::check_witness;
use wgzero::games::clique::solver::{Solver, SolverError};
use wgzero::games::clique::{
    CliqueConfig, CliqueSizes, CliqueState, Mode, Status, edge_index, num_edges,
};

const MODES: [Mode; 3] = [Mode::Symmetric, Mode::Asymmetric, Mode::Avoid];

/// A position for the brute force: `colour[e]` is 0, 1, or 2 for uncoloured.
struct Naive {
    n: u32,
    /// The clique size of each colour.
    sizes: [u32; 2],
    mode: Mode,
    colour: Vec<u8>,
}

impl Naive {
    fn colour_of(&self, u: u32, v: u32) -> u8 {
        self.colour[edge_index(self.n, u, v)]
    }

    /// Does `player` own a clique of its size through edge {u, v}? Every subset of that
    /// size holding u and v.
    fn clique_through(&self, player: u8, u: u32, v: u32) -> bool {
        let others: Vec<u32> = (0..self.n).filter(|&w| w != u && w != v).collect();
        let need = (self.sizes[player as usize] - 2) as usize;
        let mut chosen = Vec::new();
        fn search(
            naive: &Naive,
            player: u8,
            others: &[u32],
            need: usize,
            chosen: &mut Vec<u32>,
            u: u32,
            v: u32,
        ) -> bool {
            if chosen.len() == need {
                let mut all = chosen.clone();
                all.extend([u, v]);
                return all.iter().enumerate().all(|(i, &a)| {
                    all[i + 1..]
                        .iter()
                        .all(|&b| naive.colour_of(a, b) == player)
                });
            }
            for (i, &w) in others.iter().enumerate() {
                chosen.push(w);
                if search(naive, player, &others[i + 1..], need, chosen, u, v) {
                    return true;
                }
                chosen.pop();
            }
            false
        }
        search(self, player, &others, need, &mut chosen, u, v)
    }

    /// Minimax value for the player to move (`mover`), after `played` moves.
    fn value(&mut self, mover: u8, played: usize) -> i8 {
        let edges = self.colour.len();
        let mut best = -2;
        for edge in 0..edges {
            if self.colour[edge] != 2 {
                continue;
            }
            let value = self.move_value(mover, played, edge);
            best = best.max(value);
        }
        best
    }

    fn move_value(&mut self, mover: u8, played: usize, edge: usize) -> i8 {
        let (u, v) = wgzero::games::clique::edge_endpoints(self.n)[edge];
        self.colour[edge] = mover;
        let counts = self.mode != Mode::Asymmetric || mover == 0;
        let value = if counts && self.clique_through(mover, u, v) {
            if self.mode == Mode::Avoid { -1 } else { 1 }
        } else if played + 1 == self.colour.len() {
            match self.mode {
                Mode::Asymmetric => {
                    if mover == 1 {
                        1
                    } else {
                        -1
                    }
                }
                _ => 0,
            }
        } else {
            -self.value(1 - mover, played + 1)
        };
        self.colour[edge] = 2;
        value
    }
}

fn naive_of(state: &CliqueState) -> Naive {
    let config = state.config();
    Naive {
        n: config.n,
        sizes: [config.k, config.t],
        mode: config.mode,
        colour: (0..num_edges(config.n))
            .map(|a| state.owner(a).unwrap_or(2))
            .collect(),
    }
}

/// Positions reached by random legal moves from the start, of every length that is not over.
fn random_positions(
    config: CliqueConfig,
    count: usize,
    min_moves: usize,
    seed: u64,
) -> Vec<CliqueState> {
    let mut random = seed;
    let mut positions = Vec::new();
    while positions.len() < count {
        let mut state = CliqueState::new(config);
        loop {
            if state.moves_played() as usize >= min_moves && !state.is_over() {
                positions.push(state.clone());
            }
            if state.is_over() || positions.len() >= count {
                break;
            }
            let legal = state.legal_actions();
            random = random
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            state
                .apply(legal[(random >> 33) as usize % legal.len()])
                .unwrap();
        }
    }
    positions
}

fn check_against_brute_force(config: CliqueConfig, positions: &[CliqueState], symmetry: bool) {
    let mut solver = Solver::with_symmetry(config, symmetry).unwrap();
    for state in positions {
        let analysis = solver.analyse(state).unwrap();
        let mut naive = naive_of(state);
        let mover = state.to_move();
        let played = state.moves_played() as usize;
        let legal = state.legal_actions();
        let values: Vec<(usize, i8)> = legal
            .iter()
            .map(|&a| (a, naive.move_value(mover, played, a)))
            .collect();
        assert_eq!(
            analysis.move_values, values,
            "{config:?} position {:?}",
            state
        );
        let best = values.iter().map(|&(_, v)| v).max().unwrap();
        assert_eq!(analysis.value, best);
        assert_eq!(solver.value(state).unwrap(), best);
    }
}

#[test]
fn solver_matches_brute_force_minimax_on_tiny_boards() {
    for mode in MODES {
        // n = 4: every position from the start on (6 edges).
        let config = CliqueConfig::new(4, 3, mode).unwrap();
        check_against_brute_force(config, &random_positions(config, 200, 0, 1), true);
        check_against_brute_force(config, &random_positions(config, 200, 0, 1), false);
        // n = 5, k = 3 and 4: positions with at least 3 moves played (≤ 7! move orders).
        for k in [3, 4] {
            let config = CliqueConfig::new(5, k, mode).unwrap();
            let positions = random_positions(config, 40, 3, 2 + u64::from(k));
            check_against_brute_force(config, &positions, true);
        }
        // n = 6, k = 4 late positions.
        let config = CliqueConfig::new(6, 4, mode).unwrap();
        check_against_brute_force(config, &random_positions(config, 20, 8, 9), true);
    }
}

fn avoid(n: u32, s: u32, t: u32) -> CliqueConfig {
    CliqueConfig::with_sizes(n, CliqueSizes { s, t }, Mode::Avoid).unwrap()
}

#[test]
fn solver_matches_brute_force_minimax_with_two_clique_sizes() {
    for (s, t) in [(3, 4), (4, 3)] {
        let config = avoid(4, s, t);
        check_against_brute_force(config, &random_positions(config, 200, 0, 3), true);
        let config = avoid(5, s, t);
        check_against_brute_force(config, &random_positions(config, 60, 3, 4), true);
        check_against_brute_force(config, &random_positions(config, 30, 3, 5), false);
        let config = avoid(6, s, t);
        check_against_brute_force(config, &random_positions(config, 20, 8, 6), true);
    }
}

/// Both players follow the solver's first optimal move from the empty board to the end:
/// the final status must be the value it promised, and a drawn end must be a witness that
/// R(s,t) > n by the archive's independent check.
fn play_optimally(config: CliqueConfig) -> (i8, CliqueState) {
    let mut solver = Solver::new(config).unwrap();
    let mut state = CliqueState::new(config);
    let promised = solver.analyse(&state).unwrap().value;
    while !state.is_over() {
        let analysis = solver.analyse(&state).unwrap();
        state.apply(analysis.optimal_moves[0]).unwrap();
    }
    let for_player_0 = match state.status() {
        Status::Won(0) => 1,
        Status::Won(_) => -1,
        _ => 0,
    };
    assert_eq!(for_player_0, promised, "{config:?}: {state:?}");
    (promised, state)
}

#[test]
fn optimal_play_with_two_clique_sizes_ends_as_the_solver_says() {
    // K_6: a drawn game gives colour 0 8 edges and colour 1 7. Triangle-free graphs on 6
    // vertices with no independent 4-set have up to 9 edges, so both (3,4) and (4,3) may
    // end in a draw; whichever way the solver decides, its line must end as promised.
    for (s, t) in [(3, 4), (4, 3)] {
        let config = avoid(6, s, t);
        let (value, state) = play_optimally(config);
        eprintln!("K_6 avoid k={s},{t}: value {value} for player 0");
        if value == 0 {
            check_witness(6, s, t, state.adjacency(0)).unwrap();
        }
    }
}

#[test]
fn every_mode_of_n_up_to_6_with_k_3_is_solved_in_seconds() {
    for n in 3..=6 {
        for mode in MODES {
            let config = CliqueConfig::new(n, 3, mode).unwrap();
            let start = Instant::now();
            let mut solver = Solver::new(config).unwrap();
            let analysis = solver.analyse(&CliqueState::new(config)).unwrap();
            eprintln!(
                "n={n} k=3 {mode}: value {} optimal {:?} in {:.2} s ({} table entries, {} nodes)",
                analysis.value,
                analysis.optimal_moves,
                start.elapsed().as_secs_f64(),
                solver.table_len(),
                solver.nodes()
            );
            if n == 6 && mode == Mode::Asymmetric {
                // R(3,3) = 6: the attacker always gets a triangle... unless the defender
                // fills the board first; with n = 6 every colouring has one, and the
                // attacker's colour must hold it for the attacker to win.
                assert!(analysis.value != 0);
            }
            if mode == Mode::Avoid && n == 6 {
                // Every 2-colouring of K_6 has a monochromatic triangle: no draws.
                assert!(analysis.value != 0);
            }
        }
    }
}

#[test]
fn the_solver_rejects_what_it_cannot_answer() {
    let config = CliqueConfig::new(5, 3, Mode::Symmetric).unwrap();
    let mut solver = Solver::new(config).unwrap();
    let over = CliqueState::from_actions(config, &[0, 9, 1, 8, 4]).unwrap();
    assert!(over.is_over());
    assert_eq!(solver.analyse(&over), Err(SolverError::GameOver));
    assert_eq!(solver.value(&over).unwrap(), -1);
    let other = CliqueState::new(CliqueConfig::new(5, 4, Mode::Symmetric).unwrap());
    assert!(matches!(
        solver.analyse(&other),
        Err(SolverError::WrongConfig { .. })
    ));
    assert!(matches!(
        Solver::new(CliqueConfig::new(12, 3, Mode::Avoid).unwrap()),
        Err(SolverError::TooLarge(12))
    ));
}
