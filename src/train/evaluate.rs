//! Evaluation of a network: how often it plays the game-theoretically right move, and how
//! it fares in matches. The trainer calls this every iteration; `wgzero eval` and
//! `wgzero play` use it on checkpoints.
//!
//! - **Optimal-move accuracy** ([`AccuracySet`], [`policy_accuracy`], [`search_accuracy`]):
//!   over positions reached by random play where not every legal move has the same exact
//!   value (by [`Solver`]), the share where the chosen move keeps the position's value.
//!   The raw policy chooses the legal move with the highest logit (ties to the lowest
//!   index); the search chooses what [`ReferenceSearch`] plays at temperature 0.
//! - **Matches** ([`play_match`]): games between two [`Player`]s, colours alternating,
//!   networks moving by their raw policy (sampled from the softmax for the first
//!   [`MatchSettings::sampled_moves`] plies of a game so that games differ, then the top
//!   legal move). The games of a match advance in lockstep: one network call per player
//!   per ply, for every game where that player is to move.
//!
//! Every function takes a `&mut dyn Evaluator` that must accept as many positions in one
//! call as there are accuracy positions or match games; [`ChunkedEvaluator`] splits larger
//! calls for an evaluator compiled for fewer.

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use serde::{Deserialize, Serialize};

use super::TrainError;
use super::checkpoint::{Checkpoint, Restore};
use super::config::TrainConfig;
use crate::backend::Compute;
use crate::games::GameState;
use crate::games::clique::solver::{Analysis, Solver};
use crate::games::clique::{CliqueConfig, CliqueState, Status};
use crate::graph::Graph;
use crate::nn::{self, spec::NetworkSpec};
use crate::search::{
    Evaluator, ProgramEvaluator, ReferenceSearch, RootPolicy, SearchConfig, SearchError,
};

/// The largest board the accuracy is measured on. The solver itself takes n ≤ 11, but on
/// K_8 one solve of the empty board takes 18 s and 400 MB (k = 4, symmetric) to 66 s and
/// 1.6 GB (k = 4, asymmetric); on K_7 it takes at most 0.11 s (k = 4, avoid), and later
/// positions of a set reuse the solver's table.
pub const MAX_ACCURACY_VERTICES: u32 = 7;

/// Random positions analysed per wanted position at most. Some boards have few positions
/// whose moves differ in value: 0.6 % of random positions of asymmetric K_6, k = 3 (400
/// of them take 0.8 s), none on K_3.
const ATTEMPTS_PER_POSITION: usize = 200;

/// Solver nodes (positions visited, table hits included) after which
/// [`AccuracySet::new`] stops looking: about 5 s on one core. Counting nodes rather than
/// seconds keeps the set a function of its seed. The largest seen for 400 positions on a
/// board up to K_7: 3.9 million (k = 5 or 6, where few positions qualify).
pub const SOLVER_NODE_BUDGET: u64 = 5_000_000;

/// One accuracy position with its exact solution.
#[derive(Clone, Debug, PartialEq)]
pub struct AccuracyPosition {
    pub state: CliqueState,
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
pub struct AccuracySet {
    config: CliqueConfig,
    positions: Vec<AccuracyPosition>,
    /// `[positions, observation_len]` network inputs.
    observations: Vec<f32>,
}

impl AccuracySet {
    /// Draws up to `count` positions of `config` with the exact solver. It stops early
    /// after `200 · count` random positions or [`SOLVER_NODE_BUDGET`] solver nodes, so on
    /// boards where few positions qualify the set can be smaller (see [`Self::len`]).
    /// `None` when the board is larger than [`MAX_ACCURACY_VERTICES`], when `count` is 0,
    /// or when no qualifying position was found.
    pub fn new(config: CliqueConfig, count: usize, seed: u64) -> Result<Option<Self>, TrainError> {
        if config.n > MAX_ACCURACY_VERTICES || count == 0 {
            return Ok(None);
        }
        let mut solver = Solver::new(config).map_err(solver_error)?;
        let mut rng = StdRng::seed_from_u64(seed);
        let mut positions = Vec::with_capacity(count);
        for _ in 0..ATTEMPTS_PER_POSITION * count {
            if positions.len() == count || solver.nodes() > SOLVER_NODE_BUDGET {
                break;
            }
            let state = random_position(config, &mut rng)?;
            let Analysis {
                value,
                optimal_moves,
                move_values,
            } = solver.analyse(&state).map_err(solver_error)?;
            if optimal_moves.len() < move_values.len() {
                positions.push(AccuracyPosition {
                    state,
                    value,
                    optimal_moves,
                });
            }
        }
        Ok(Self::from_positions(config, positions))
    }

    /// A set of given positions (`None` if there are none). Each position must be of
    /// `config` and not over, and its optimal moves legal there.
    pub fn from_positions(config: CliqueConfig, positions: Vec<AccuracyPosition>) -> Option<Self> {
        if positions.is_empty() {
            return None;
        }
        let observation_len = positions[0].state.observation_len();
        let mut observations = vec![0.0; positions.len() * observation_len];
        for (position, row) in positions
            .iter()
            .zip(observations.chunks_exact_mut(observation_len))
        {
            position.state.write_observation(row);
        }
        Some(Self {
            config,
            positions,
            observations,
        })
    }

    pub fn config(&self) -> CliqueConfig {
        self.config
    }

    pub fn positions(&self) -> &[AccuracyPosition] {
        &self.positions
    }

    pub fn len(&self) -> usize {
        self.positions.len()
    }

    /// Never true for a constructed set; here for completeness with [`AccuracySet::len`].
    pub fn is_empty(&self) -> bool {
        self.positions.is_empty()
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
}

/// A uniformly chosen non-terminal position of one uniformly random game.
fn random_position(config: CliqueConfig, rng: &mut StdRng) -> Result<CliqueState, TrainError> {
    let mut state = CliqueState::new(config);
    let mut trajectory = Vec::with_capacity(config.num_edges());
    while !state.is_over() {
        trajectory.push(state.clone());
        let legal = state.legal_actions();
        state.apply(legal[rng.random_range(0..legal.len())])?;
    }
    let chosen = rng.random_range(0..trajectory.len());
    Ok(trajectory.swap_remove(chosen))
}

fn solver_error(error: crate::games::clique::solver::SolverError) -> TrainError {
    TrainError::Config(format!("optimal-move accuracy: {error}"))
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

/// Optimal-move accuracy of the raw policy: the share of `set`'s positions where the
/// legal move with the highest logit keeps the position's value. One evaluator call of
/// `set.len()` positions.
pub fn policy_accuracy(
    set: &AccuracySet,
    evaluator: &mut dyn Evaluator,
) -> Result<f32, TrainError> {
    let (chosen, _) = policy_moves(set, evaluator)?;
    Ok(set.share_optimal(&chosen))
}

/// The raw policy's move at each of `set`'s positions (its top legal move), and the
/// `[positions, actions]` logits it was read from. One evaluator call.
pub fn policy_moves(
    set: &AccuracySet,
    evaluator: &mut dyn Evaluator,
) -> Result<(Vec<usize>, Vec<f32>), TrainError> {
    let actions = set.config.num_edges();
    let (logits, _) = evaluator.evaluate(&set.observations, set.len())?;
    let chosen = set
        .positions
        .iter()
        .zip(logits.chunks_exact(actions))
        .map(|(position, logits)| top_legal_move(logits, &position.state.legal_actions()))
        .collect();
    Ok((chosen, logits))
}

/// Optimal-move accuracy with search: the share of `set`'s positions where the move
/// [`ReferenceSearch`] plays at temperature 0 after `simulations` simulations keeps the
/// position's value. With 0 simulations it equals [`policy_accuracy`] under the AlphaZero
/// policy.
pub fn search_accuracy(
    set: &AccuracySet,
    evaluator: &mut dyn Evaluator,
    simulations: u32,
    policy: RootPolicy,
) -> Result<f32, TrainError> {
    let chosen = search_moves(set, evaluator, simulations, policy)?;
    Ok(set.share_optimal(&chosen))
}

/// The move [`ReferenceSearch`] plays at temperature 0 after `simulations` simulations at
/// each of `set`'s positions. One search over all positions at once (evaluator calls of
/// up to `set.len()` positions); root noise is turned off ([`without_noise`]), so the
/// moves are deterministic.
pub fn search_moves(
    set: &AccuracySet,
    evaluator: &mut dyn Evaluator,
    simulations: u32,
    policy: RootPolicy,
) -> Result<Vec<usize>, TrainError> {
    let config = SearchConfig {
        simulations,
        policy: without_noise(policy),
        reuse_subtree: false,
    };
    let roots = set.positions.iter().map(|p| p.state.clone()).collect();
    let mut search = ReferenceSearch::new(roots, config, 0)?;
    let results = search.run(evaluator)?;
    Ok(results.iter().map(|result| result.chosen).collect())
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

/// Who plays one side of a match.
pub enum Player<'a> {
    /// A network moving by its raw policy.
    Network(&'a mut dyn Evaluator),
    /// A uniformly random legal move.
    Random,
}

/// Plies sampled from the policy's softmax at the start of every match game (then the top
/// legal move): enough that games differ, few enough that the match measures the policy.
pub const DEFAULT_SAMPLED_MOVES: u32 = 2;

/// How a match is played.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatchSettings {
    /// Games in the match; the first player moves first in the even-numbered ones.
    pub games: u32,
    /// Plies at the start of each game (both players' moves counted) that a network
    /// samples from the softmax of its legal logits instead of playing the top move.
    pub sampled_moves: u32,
    /// Seeds the sampling and the random player; a match is a function of its seed.
    pub seed: u64,
}

impl MatchSettings {
    /// `games` games with [`DEFAULT_SAMPLED_MOVES`] sampled plies.
    pub fn new(games: u32, seed: u64) -> Self {
        Self {
            games,
            sampled_moves: DEFAULT_SAMPLED_MOVES,
            seed,
        }
    }
}

/// A match's outcome from the first player's view.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct MatchResult {
    pub games: u32,
    pub wins: u32,
    pub draws: u32,
    pub losses: u32,
    /// (wins + draws / 2) / games, in [0, 1]; 0 for an empty match. Gating compares it
    /// with the threshold (default 0.55).
    pub score: f32,
}

impl MatchResult {
    pub fn from_counts(wins: u32, draws: u32, losses: u32) -> Self {
        let games = wins + draws + losses;
        let score = if games == 0 {
            0.0
        } else {
            (wins as f32 + 0.5 * draws as f32) / games as f32
        };
        Self {
            games,
            wins,
            draws,
            losses,
            score,
        }
    }

    /// Share of games won, in [0, 1].
    pub fn win_rate(&self) -> f32 {
        share(self.wins, self.games)
    }

    /// Share of games drawn, in [0, 1].
    pub fn draw_rate(&self) -> f32 {
        share(self.draws, self.games)
    }
}

fn share(count: u32, total: u32) -> f32 {
    if total == 0 {
        0.0
    } else {
        count as f32 / total as f32
    }
}

/// Plays `settings.games` games of `config` between `first` and `second` and counts them
/// from `first`'s view. `first` is player 0 (moves first) in even games and player 1 in
/// odd ones. Each loop round asks each player once for every game where it is to move.
pub fn play_match<'a>(
    config: CliqueConfig,
    mut first: Player<'a>,
    mut second: Player<'a>,
    settings: &MatchSettings,
) -> Result<MatchResult, TrainError> {
    let games = settings.games as usize;
    let mut states = vec![CliqueState::new(config); games];
    let mut rng = StdRng::seed_from_u64(settings.seed);
    // The player number `first` has in game g.
    let first_seat = |game: usize| (game % 2) as u8;
    loop {
        let mut moved = false;
        for first_to_move in [true, false] {
            let movers: Vec<usize> = (0..games)
                .filter(|&game| {
                    let state = &states[game];
                    !state.is_over() && (state.to_move() == first_seat(game)) == first_to_move
                })
                .collect();
            if movers.is_empty() {
                continue;
            }
            let player = if first_to_move {
                &mut first
            } else {
                &mut second
            };
            let actions = choose_moves(player, &states, &movers, settings.sampled_moves, &mut rng)?;
            for (&game, action) in movers.iter().zip(actions) {
                states[game].apply(action)?;
            }
            moved = true;
        }
        if !moved {
            break;
        }
    }
    let (mut wins, mut draws, mut losses) = (0, 0, 0);
    for (game, state) in states.iter().enumerate() {
        match state.status() {
            Status::Won(player) if player == first_seat(game) => wins += 1,
            Status::Won(_) => losses += 1,
            Status::Draw => draws += 1,
            Status::Ongoing => unreachable!("the loop ends only when every game is over"),
        }
    }
    Ok(MatchResult::from_counts(wins, draws, losses))
}

/// `player`'s moves in the games `movers` (each not over, `player` to move).
fn choose_moves(
    player: &mut Player<'_>,
    states: &[CliqueState],
    movers: &[usize],
    sampled_moves: u32,
    rng: &mut StdRng,
) -> Result<Vec<usize>, TrainError> {
    let evaluator = match player {
        Player::Random => {
            return Ok(movers
                .iter()
                .map(|&game| {
                    let legal = states[game].legal_actions();
                    legal[rng.random_range(0..legal.len())]
                })
                .collect());
        }
        Player::Network(evaluator) => evaluator,
    };
    let observation_len = states[0].observation_len();
    let actions = states[0].num_actions();
    let mut observations = vec![0.0; movers.len() * observation_len];
    for (&game, row) in movers
        .iter()
        .zip(observations.chunks_exact_mut(observation_len))
    {
        states[game].write_observation(row);
    }
    let (logits, _) = evaluator.evaluate(&observations, movers.len())?;
    Ok(movers
        .iter()
        .zip(logits.chunks_exact(actions))
        .map(|(&game, logits)| {
            let legal = states[game].legal_actions();
            if states[game].moves_played() < sampled_moves {
                sample_softmax(logits, &legal, rng)
            } else {
                top_legal_move(logits, &legal)
            }
        })
        .collect())
}

/// A legal action drawn with probability softmax(logits over `legal`).
fn sample_softmax(logits: &[f32], legal: &[usize], rng: &mut StdRng) -> usize {
    let max = legal
        .iter()
        .map(|&action| logits[action])
        .fold(f32::NEG_INFINITY, f32::max);
    let weights: Vec<f64> = legal
        .iter()
        .map(|&action| f64::from(logits[action] - max).exp())
        .collect();
    let total: f64 = weights.iter().sum();
    if !total.is_finite() || total <= 0.0 {
        return legal[rng.random_range(0..legal.len())];
    }
    let mut draw = rng.random::<f64>() * total;
    for (&action, &weight) in legal.iter().zip(&weights) {
        if draw < weight {
            return action;
        }
        draw -= weight;
    }
    legal[legal.len() - 1]
}

/// Splits calls larger than `max_batch` positions into calls of at most `max_batch`, for
/// an evaluator compiled for a smaller batch than a set or match needs.
pub struct ChunkedEvaluator<'a> {
    pub inner: &'a mut dyn Evaluator,
    pub max_batch: usize,
}

impl Evaluator for ChunkedEvaluator<'_> {
    fn evaluate(
        &mut self,
        observations: &[f32],
        batch: usize,
    ) -> Result<(Vec<f32>, Vec<f32>), SearchError> {
        if self.max_batch == 0 {
            return Err(SearchError::Config(
                "a chunked evaluator needs max_batch ≥ 1".into(),
            ));
        }
        if batch == 0 {
            return self.inner.evaluate(observations, 0);
        }
        let observation_len = observations.len() / batch;
        let mut logits = Vec::new();
        let mut values = Vec::with_capacity(batch);
        for start in (0..batch).step_by(self.max_batch) {
            let rows = self.max_batch.min(batch - start);
            let chunk = &observations[start * observation_len..(start + rows) * observation_len];
            let (chunk_logits, chunk_values) = self.inner.evaluate(chunk, rows)?;
            logits.extend(chunk_logits);
            values.extend(chunk_values);
        }
        Ok((logits, values))
    }
}

/// The run configuration a checkpoint was saved with (its JSON's `config`).
pub fn checkpoint_config(checkpoint: &Checkpoint) -> Result<TrainConfig, TrainError> {
    serde_json::from_value(checkpoint.record().config.clone()).map_err(|error| {
        super::RunDirError::Corrupt {
            path: checkpoint.path().to_path_buf(),
            reason: format!("its config is not a wgzero training configuration: {error}"),
        }
        .into()
    })
}

/// An inference program of `spec` for K_`vertices`, compiled on `compute` for `batch`
/// positions per call, holding `checkpoint`'s parameters. An error if the checkpoint was
/// saved for another network (the checkpoint module names the first difference).
pub fn checkpoint_evaluator(
    checkpoint: &Checkpoint,
    spec: &NetworkSpec,
    vertices: u32,
    compute: &Compute,
    batch: usize,
) -> Result<ProgramEvaluator, TrainError> {
    let network = spec.build(vertices as usize);
    let mut evaluator = ProgramEvaluator::new(network.as_ref(), compute, batch, 0)?;
    // The program's persistent values, by name and shape, come from the graph it was
    // compiled from; building that graph again gives the same list.
    let graph = Graph::new();
    nn::inference(&graph, network.as_ref(), batch);
    checkpoint.restore(
        &spec.descriptor(vertices as usize),
        &graph,
        evaluator.program_mut(),
        Restore::Inference,
    )?;
    Ok(evaluator)
}
