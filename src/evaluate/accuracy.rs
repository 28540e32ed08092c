//! Optimal-move accuracy: over positions reached by random play where not every legal
//! move has the same exact value (by the game's
//! [`ExactSolver`](crate::games::ExactSolver)), the share where the chosen move keeps the
//! position's value. The raw policy chooses the legal move with the highest logit (ties
//! to the lowest index); the search chooses what [`ReferenceSearch`] plays at temperature
//! 0.

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use super::EvaluateError;
use crate::games::{Game, GameState};
use crate::search::{Evaluator, ReferenceSearch, RootPolicy, SearchConfig};

/// Random positions analysed per wanted position at most. Some boards have few positions
/// whose moves differ in value: 0.6 % of random positions of asymmetric K_6, k = 3 (400
/// of them take 0.8 s), none on K_3.
const ATTEMPTS_PER_POSITION: usize = 200;

/// Solver nodes (positions visited, table hits included) after which
/// [`AccuracySet::new`] stops looking: about 5 s on one core. Counting nodes rather than
/// seconds keeps the set a function of its seed. The largest seen for 400 positions on a
/// clique board up to K_7: 3.9 million (k = 5 or 6, where few positions qualify).
pub const SOLVER_NODE_BUDGET: u64 = 5_000_000;

/// One accuracy position with its exact solution.
#[derive(Clone, Debug, PartialEq)]
pub struct AccuracyPosition<S> {
    pub state: S,
    /// 1 win, 0 draw, −1 loss for the player to move, with best play by both.
    pub value: i8,
    /// The legal moves that keep `value`, increasing; never all the legal moves.
    pub optimal_moves: Vec<usize>,
}

/// The positions the optimal-move accuracy is measured on, built once per run.
///
/// Each position is a uniformly chosen non-terminal position of a uniformly random game
/// (seeded), kept when its legal moves do not all have the same exact value. Repeats are
/// kept: the set weighs positions as random play reaches them.
#[derive(Clone, Debug)]
pub struct AccuracySet<S> {
    positions: Vec<AccuracyPosition<S>>,
    /// `[positions, observation_len]` network inputs.
    observations: Vec<f32>,
    num_actions: usize,
}

impl<S: GameState> AccuracySet<S> {
    /// Draws up to `count` positions of `game` with its exact solver. It stops early after
    /// `200 · count` random positions or [`SOLVER_NODE_BUDGET`] solver nodes, so on boards
    /// where few positions qualify the set can be smaller (see [`Self::len`]). `None` when
    /// the game has no practical solver here, when `count` is 0, or when no qualifying
    /// position was found.
    pub fn new<G: Game<State = S>>(
        game: &G,
        count: usize,
        seed: u64,
    ) -> Result<Option<Self>, EvaluateError> {
        if count == 0 {
            return Ok(None);
        }
        let Some(mut solver) = game.solver()? else {
            return Ok(None);
        };
        let mut rng = StdRng::seed_from_u64(seed);
        let mut positions = Vec::with_capacity(count);
        for _ in 0..ATTEMPTS_PER_POSITION * count {
            if positions.len() == count || solver.nodes() > SOLVER_NODE_BUDGET {
                break;
            }
            let state = random_position(game, &mut rng)?;
            let analysis = solver.analyse(&state)?;
            if analysis.optimal_moves.len() < analysis.move_values.len() {
                positions.push(AccuracyPosition {
                    state,
                    value: analysis.value,
                    optimal_moves: analysis.optimal_moves,
                });
            }
        }
        Ok(Self::from_positions(positions))
    }

    /// A set of given positions (`None` if there are none). Each position must not be
    /// over, and its optimal moves legal there.
    pub fn from_positions(positions: Vec<AccuracyPosition<S>>) -> Option<Self> {
        let first = positions.first()?;
        let observation_len = first.state.observation_len();
        let num_actions = first.state.num_actions();
        let mut observations = vec![0.0; positions.len() * observation_len];
        for (position, row) in positions
            .iter()
            .zip(observations.chunks_exact_mut(observation_len))
        {
            position.state.write_observation(row);
        }
        Some(Self {
            positions,
            observations,
            num_actions,
        })
    }

    pub fn positions(&self) -> &[AccuracyPosition<S>] {
        &self.positions
    }

    pub fn len(&self) -> usize {
        self.positions.len()
    }

    /// Never true for a constructed set; here for completeness with [`AccuracySet::len`].
    pub fn is_empty(&self) -> bool {
        self.positions.is_empty()
    }

    /// `[positions, observation_len]`: the network inputs of the positions.
    pub fn observations(&self) -> &[f32] {
        &self.observations
    }

    /// The share of positions where `chosen[i]` is one of position i's optimal moves.
    pub fn share_optimal(&self, chosen: &[usize]) -> f32 {
        let hits = self
            .positions
            .iter()
            .zip(chosen)
            .filter(|(position, action)| position.optimal_moves.contains(action))
            .count();
        hits as f32 / self.positions.len() as f32
    }

    /// The raw policy's move at each position (its top legal move) from the
    /// `[positions, actions]` logits of the set's observations.
    pub fn policy_moves(&self, logits: &[f32]) -> Vec<usize> {
        self.positions
            .iter()
            .zip(logits.chunks_exact(self.num_actions))
            .map(|(position, logits)| top_legal_move(logits, &position.state.legal_actions()))
            .collect()
    }

    /// A reference search from every position, root noise off, for the search accuracy.
    pub fn search(
        &self,
        simulations: u32,
        policy: RootPolicy,
    ) -> Result<ReferenceSearch<S>, EvaluateError> {
        let config = SearchConfig {
            simulations,
            policy: without_noise(policy),
            reuse_subtree: false,
        };
        let roots = self.positions.iter().map(|p| p.state.clone()).collect();
        Ok(ReferenceSearch::new(roots, config, 0)?)
    }
}

/// A uniformly chosen non-terminal position of one uniformly random game.
fn random_position<G: Game>(game: &G, rng: &mut StdRng) -> Result<G::State, EvaluateError> {
    let mut state = game.initial_state();
    let mut trajectory = Vec::new();
    while state.terminal_value().is_none() {
        trajectory.push(state.clone());
        let legal = state.legal_actions();
        state.apply(legal[rng.random_range(0..legal.len())])?;
    }
    let chosen = rng.random_range(0..trajectory.len());
    Ok(trajectory.swap_remove(chosen))
}

/// The legal action with the highest logit, ties to the lowest index (NaN never wins).
/// `logits` has one entry per action; `legal` is increasing and not empty.
pub fn top_legal_move(logits: &[f32], legal: &[usize]) -> usize {
    let mut best = legal[0];
    for &action in &legal[1..] {
        if logits[action] > logits[best] {
            best = action;
        }
    }
    best
}

/// The raw policy's move at each of `set`'s positions and the `[positions, actions]`
/// logits it was read from; one evaluator call, waited for (tools).
pub fn policy_moves<S: GameState>(
    set: &AccuracySet<S>,
    evaluator: &mut dyn Evaluator,
) -> Result<(Vec<usize>, Vec<f32>), EvaluateError> {
    let (logits, _) = evaluator.evaluate(set.observations(), set.len())?;
    Ok((set.policy_moves(&logits), logits))
}

/// Optimal-move accuracy of the raw policy (tools; the trainer steps instead).
pub fn policy_accuracy<S: GameState>(
    set: &AccuracySet<S>,
    evaluator: &mut dyn Evaluator,
) -> Result<f32, EvaluateError> {
    let (chosen, _) = policy_moves(set, evaluator)?;
    Ok(set.share_optimal(&chosen))
}

/// The move [`ReferenceSearch`] plays at temperature 0 after `simulations` simulations at
/// each of `set`'s positions: one search over all positions at once, root noise off
/// ([`without_noise`]), so the moves are deterministic (tools).
pub fn search_moves<S: GameState>(
    set: &AccuracySet<S>,
    evaluator: &mut dyn Evaluator,
    simulations: u32,
    policy: RootPolicy,
) -> Result<Vec<usize>, EvaluateError> {
    let results = set.search(simulations, policy)?.run(evaluator)?;
    Ok(results.iter().map(|result| result.chosen).collect())
}

/// Optimal-move accuracy with search (tools). With 0 simulations it equals
/// [`policy_accuracy`] under the AlphaZero policy.
pub fn search_accuracy<S: GameState>(
    set: &AccuracySet<S>,
    evaluator: &mut dyn Evaluator,
    simulations: u32,
    policy: RootPolicy,
) -> Result<f32, EvaluateError> {
    let chosen = search_moves(set, evaluator, simulations, policy)?;
    Ok(set.share_optimal(&chosen))
}

/// `policy` with its root noise off: no Dirichlet noise (AlphaZero), no Gumbel draws.
pub fn without_noise(policy: RootPolicy) -> RootPolicy {
    match policy {
        RootPolicy::AlphaZero {
            c_puct,
            first_play_urgency,
            ..
        } => RootPolicy::AlphaZero {
            c_puct,
            first_play_urgency,
            dirichlet: None,
        },
        RootPolicy::Gumbel {
            max_considered,
            c_visit,
            c_scale,
            ..
        } => RootPolicy::Gumbel {
            max_considered,
            c_visit,
            c_scale,
            gumbel_noise: false,
        },
    }
}
