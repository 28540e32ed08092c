//! Matches between two players, colours alternating, networks moving by their raw policy
//! (sampled from the softmax for the first [`MatchSettings::sampled_moves`] plies of a
//! game so that games differ, then the top legal move). The games of a match advance in
//! lockstep: one network call per player per ply, for every game where it is to move.
//!
//! [`MatchPlay`] is a match in steps (the trainer evaluates without waiting);
//! [`play_match`] is the blocking loop for tools. A match can record its first games move
//! by move, with each network move's priors and value ([`MatchPlay::recording`]).

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use serde::{Deserialize, Serialize};

use super::EvaluateError;
use super::accuracy::top_legal_move;
use crate::games::GameState;
use crate::run_dir::games::{ChildRecord, MoveRecord, PlayedGame};
use crate::search::Evaluator;
use crate::search::evaluator::Outputs;

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
    /// (wins + draws / 2) / games, in [0, 1]; 0 for an empty match.
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

/// One side of a match.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    First,
    Second,
}

/// What a match needs next.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum MatchStep {
    /// `side`'s network must evaluate `rows` observations ([`MatchPlay::observations`]);
    /// pass its outputs to the next [`MatchPlay::step`].
    Evaluate { side: Side, rows: usize },
    /// Every game is over.
    Finished(MatchResult),
}

/// A recorded game of a match.
#[derive(Clone, Debug, PartialEq)]
pub struct MatchGame {
    /// The game's number in the match; the first side is player `index mod 2` in it.
    pub index: u32,
    /// Every move with the mover's view: a network's priors (softmax of its logits over
    /// the legal moves; no visits: matches do not search) and value, a random player's
    /// uniform priors and no value.
    pub game: PlayedGame,
}

/// A match in steps. The first player is player 0 (moves first) in even games and player
/// 1 in odd ones. Each round asks the first player, then the second, for every game where
/// it is to move.
pub struct MatchPlay<S: GameState> {
    states: Vec<S>,
    settings: MatchSettings,
    /// Whether each side is a network (else it plays random legal moves).
    networks: [bool; 2],
    rng: StdRng,
    /// The side to ask next in this round.
    next: Side,
    /// Whether anyone moved in this round.
    moved: bool,
    /// The games awaiting the evaluation of `next`'s network.
    movers: Vec<usize>,
    observations: Vec<f32>,
    /// The moves so far of each recorded game (the first ones).
    records: Vec<Vec<MoveRecord>>,
}

impl<S: GameState> MatchPlay<S> {
    pub fn new(
        start: &S,
        settings: MatchSettings,
        first_is_network: bool,
        second_is_network: bool,
    ) -> Self {
        Self {
            states: vec![start.clone(); settings.games as usize],
            settings,
            networks: [first_is_network, second_is_network],
            rng: StdRng::seed_from_u64(settings.seed),
            next: Side::First,
            moved: false,
            movers: Vec::new(),
            observations: Vec::new(),
            records: Vec::new(),
        }
    }

    /// Records every move of the match's first `games` games ([`Self::recorded_games`]).
    pub fn recording(mut self, games: u32) -> Self {
        self.records = vec![Vec::new(); self.states.len().min(games as usize)];
        self
    }

    /// The recorded games that are over, in game order.
    pub fn recorded_games(&self) -> Vec<MatchGame> {
        self.records
            .iter()
            .zip(&self.states)
            .enumerate()
            .filter_map(|(index, (moves, state))| {
                let value = state.terminal_value()?;
                // The value is for the player to move at the end.
                let outcome = if state.to_move() == 0 { value } else { -value };
                Some(MatchGame {
                    index: index as u32,
                    game: PlayedGame {
                        moves: moves.clone(),
                        outcome,
                    },
                })
            })
            .collect()
    }

    /// Games finished so far.
    pub fn finished_games(&self) -> usize {
        self.states
            .iter()
            .filter(|state| state.terminal_value().is_some())
            .count()
    }

    /// The observations the last [`MatchStep::Evaluate`] asks for.
    pub fn observations(&self) -> &[f32] {
        &self.observations
    }

    /// Goes on: `outputs` answers the evaluation the previous step asked for.
    pub fn step(&mut self, outputs: Option<&Outputs>) -> Result<MatchStep, EvaluateError> {
        if !self.movers.is_empty() {
            let outputs = outputs.ok_or_else(|| {
                EvaluateError::Config("the match is waiting for network outputs".into())
            })?;
            self.play_network_moves(outputs)?;
            self.advance_side();
        }
        loop {
            let first_to_move = self.next == Side::First;
            // The player number the first side has in game g is g mod 2.
            let movers: Vec<usize> = (0..self.states.len())
                .filter(|&game| {
                    let state = &self.states[game];
                    state.terminal_value().is_none()
                        && (usize::from(state.to_move()) == game % 2) == first_to_move
                })
                .collect();
            if !movers.is_empty() {
                self.moved = true;
                if self.networks[self.next as usize] {
                    return Ok(self.ask(movers));
                }
                for game in movers {
                    let legal = self.states[game].legal_actions();
                    let action = legal[self.rng.random_range(0..legal.len())];
                    if let Some(record) = self.records.get_mut(game) {
                        let uniform = vec![1.0 / legal.len() as f32; legal.len()];
                        record.push(move_record(action, None, &legal, &uniform));
                    }
                    self.states[game].apply(action)?;
                }
            }
            if self.next == Side::Second && !self.moved {
                return Ok(MatchStep::Finished(self.result()));
            }
            self.advance_side();
        }
    }

    fn advance_side(&mut self) {
        match self.next {
            Side::First => self.next = Side::Second,
            Side::Second => {
                self.next = Side::First;
                self.moved = false;
            }
        }
    }

    fn ask(&mut self, movers: Vec<usize>) -> MatchStep {
        let observation_len = self.states[0].observation_len();
        self.observations
            .resize(movers.len() * observation_len, 0.0);
        for (&game, row) in movers
            .iter()
            .zip(self.observations.chunks_exact_mut(observation_len))
        {
            self.states[game].write_observation(row);
        }
        let rows = movers.len();
        self.movers = movers;
        MatchStep::Evaluate {
            side: self.next,
            rows,
        }
    }

    fn play_network_moves(&mut self, outputs: &Outputs) -> Result<(), EvaluateError> {
        let actions = self.states[0].num_actions();
        if outputs.logits.len() < self.movers.len() * actions {
            return Err(EvaluateError::Config(format!(
                "the network returned {} logits for {} positions of {actions} actions",
                outputs.logits.len(),
                self.movers.len()
            )));
        }
        let movers = std::mem::take(&mut self.movers);
        for (row, (&game, logits)) in movers
            .iter()
            .zip(outputs.logits.chunks_exact(actions))
            .enumerate()
        {
            let legal = self.states[game].legal_actions();
            let action = if self.states[game].moves_played() < self.settings.sampled_moves {
                sample_softmax(logits, &legal, &mut self.rng)
            } else {
                top_legal_move(logits, &legal)
            };
            if let Some(record) = self.records.get_mut(game) {
                let value = outputs.values.get(row).copied();
                let priors = legal_softmax(logits, &legal);
                record.push(move_record(action, value, &legal, &priors));
            }
            self.states[game].apply(action)?;
        }
        Ok(())
    }

    fn result(&self) -> MatchResult {
        let (mut wins, mut draws, mut losses) = (0, 0, 0);
        for (game, state) in self.states.iter().enumerate() {
            let value = state.terminal_value().unwrap_or(0.0);
            // The value is for the player to move at the end; the first side is player
            // game mod 2.
            let first_to_move = usize::from(state.to_move()) == game % 2;
            let for_first = if first_to_move { value } else { -value };
            if for_first > 0.0 {
                wins += 1;
            } else if for_first < 0.0 {
                losses += 1;
            } else {
                draws += 1;
            }
        }
        MatchResult::from_counts(wins, draws, losses)
    }
}

/// Plays `settings.games` games from `start` between `first` and `second`, waiting for
/// each network call (tools), and counts them from `first`'s view.
pub fn play_match<'a, S: GameState>(
    start: &S,
    mut first: Player<'a>,
    mut second: Player<'a>,
    settings: &MatchSettings,
) -> Result<MatchResult, EvaluateError> {
    let is_network = |player: &Player| matches!(player, Player::Network(_));
    let mut play = MatchPlay::new(start, *settings, is_network(&first), is_network(&second));
    let mut outputs = None;
    loop {
        match play.step(outputs.as_ref())? {
            MatchStep::Finished(result) => return Ok(result),
            MatchStep::Evaluate { side, rows } => {
                let player = match side {
                    Side::First => &mut first,
                    Side::Second => &mut second,
                };
                let Player::Network(evaluator) = player else {
                    unreachable!("random players are never asked to evaluate")
                };
                evaluator.start(play.observations(), rows)?;
                outputs = Some(evaluator.wait()?);
            }
        }
    }
}

/// The record of a move: `action` played where the legal moves `legal` had `priors`.
fn move_record(action: usize, value: Option<f32>, legal: &[usize], priors: &[f32]) -> MoveRecord {
    MoveRecord {
        action: action as u32,
        value: value.filter(|value| value.is_finite()),
        children: legal
            .iter()
            .zip(priors)
            .map(|(&action, &prior)| ChildRecord {
                action: action as u32,
                prior,
                visits: 0,
            })
            .collect(),
    }
}

/// softmax(logits over `legal`), in `legal`'s order.
fn legal_softmax(logits: &[f32], legal: &[usize]) -> Vec<f32> {
    let max = legal
        .iter()
        .map(|&action| logits[action])
        .fold(f32::NEG_INFINITY, f32::max);
    let weights: Vec<f64> = legal
        .iter()
        .map(|&action| f64::from(logits[action] - max).exp())
        .collect();
    let total: f64 = weights.iter().sum();
    weights
        .iter()
        .map(|&weight| (weight / total) as f32)
        .collect()
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
