//! Self-play on the host: `games` clique games in lockstep through the CPU reference
//! search (one batched network call per simulation for all games), moves sampled in
//! proportion to the root visits for the first `temperature_moves` moves of each game and
//! the search policy's choice after (but uniformly at random during a game's random
//! opening, if any), finished games replaced at once. Every move records
//! the mover's observation, the legal mask, the search's policy target, the mover, the
//! search's value and its surprise; when a game ends its positions go to the replay buffer
//! with the outcome from each mover's view as value target (the search's value inside the
//! random opening), each as many times as its surprise weight draws ([`surprise_weights`]).

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use super::TrainError;
use super::pipeline::SelfPlayReport;
use super::replay::{ReplayBuffer, policy_surprise, surprise_weights, weight_copies};
use crate::games::GameState;
use crate::games::clique::{CliqueConfig, CliqueState, Status};
use crate::search::{Evaluator, ReferenceSearch, SearchConfig, SearchError, SearchResult};

/// Seed offsets, so the search's noise and the move sampling draw independent streams.
const SEARCH_STREAM: u64 = 0x5ea4_c4a1_17e5_0001;
const MOVE_STREAM: u64 = 0x5ea4_c4a1_17e5_0002;

/// The positions one game in flight has played so far.
#[derive(Clone, Debug, Default)]
struct Trajectory {
    /// `[moves, observation_len]`
    observations: Vec<f32>,
    /// `[moves, actions]`, 1 legal / 0 not.
    legal_masks: Vec<f32>,
    /// `[moves, actions]`
    policy_targets: Vec<f32>,
    /// `[moves]`: the player to move at each position.
    movers: Vec<u8>,
    /// `[moves]`: the search's value for the mover where the position is in the game's
    /// random opening (its value target there).
    opening_values: Vec<Option<f32>>,
    /// `[moves]`: the search's [`policy_surprise`] at each position.
    surprises: Vec<f32>,
}

impl Trajectory {
    fn clear(&mut self) {
        self.observations.clear();
        self.legal_masks.clear();
        self.policy_targets.clear();
        self.movers.clear();
        self.opening_values.clear();
        self.surprises.clear();
    }
}

/// Games in flight on the CPU reference search, with their unfinished trajectories.
pub struct HostSelfPlay {
    game: CliqueConfig,
    temperature_moves: u32,
    /// Random openings are `0..=random_opening` moves long.
    random_opening: u32,
    /// Each game's random opening length.
    openings: Vec<u32>,
    /// λ of [`surprise_weights`].
    surprise_weight: f32,
    search: ReferenceSearch<CliqueState>,
    trajectories: Vec<Trajectory>,
    rng: StdRng,
    observation_len: usize,
    actions: usize,
    /// Scratch for one legal mask.
    mask: Vec<bool>,
}

/// Counts the rows the search asks the network for.
struct CountingEvaluator<'a> {
    inner: &'a mut dyn Evaluator,
    rows: u64,
}

impl Evaluator for CountingEvaluator<'_> {
    fn evaluate(
        &mut self,
        observations: &[f32],
        batch: usize,
    ) -> Result<(Vec<f32>, Vec<f32>), SearchError> {
        self.rows += batch as u64;
        self.inner.evaluate(observations, batch)
    }
}

impl HostSelfPlay {
    /// `games` ≥ 1 fresh games of `game`, searched with `search`; `seed` fixes the search
    /// noise and the move sampling. Each game's first r moves, r uniform in
    /// `0..=random_opening`, are uniformly random legal moves; `surprise_weight` is the λ of
    /// [`surprise_weights`].
    pub fn new(
        game: CliqueConfig,
        games: usize,
        search: SearchConfig,
        temperature_moves: u32,
        random_opening: u32,
        surprise_weight: f32,
        seed: u64,
    ) -> Result<Self, TrainError> {
        if games == 0 {
            return Err(TrainError::Config(
                "games_in_flight must be at least 1".into(),
            ));
        }
        let start = CliqueState::new(game);
        let roots = vec![start.clone(); games];
        let mut rng = StdRng::seed_from_u64(seed ^ MOVE_STREAM);
        let openings = (0..games)
            .map(|_| rng.random_range(0..=random_opening))
            .collect();
        Ok(Self {
            game,
            temperature_moves,
            random_opening,
            openings,
            surprise_weight,
            search: ReferenceSearch::new(roots, search, seed ^ SEARCH_STREAM)?,
            trajectories: vec![Trajectory::default(); games],
            rng,
            observation_len: start.observation_len(),
            actions: start.num_actions(),
            mask: vec![false; start.num_actions()],
        })
    }

    /// Games in flight.
    pub fn games(&self) -> usize {
        self.trajectories.len()
    }

    /// The position game `game` is at.
    pub fn state(&self, game: usize) -> &CliqueState {
        self.search.root_state(game)
    }

    /// Plays `moves` moves in every game, evaluating with `evaluator` (which must take
    /// batches of [`HostSelfPlay::games`] rows); finished games go to `replay` and restart.
    pub fn play(
        &mut self,
        moves: u32,
        evaluator: &mut dyn Evaluator,
        replay: &mut ReplayBuffer,
    ) -> Result<SelfPlayReport, TrainError> {
        let mut counting = CountingEvaluator {
            inner: evaluator,
            rows: 0,
        };
        let mut report = SelfPlayReport::default();
        for _ in 0..moves {
            let results = self.search.run(&mut counting)?;
            for (game, result) in results.iter().enumerate() {
                self.record(game, result);
                let moves_played = self.search.root_state(game).moves_played();
                let action = if moves_played < self.openings[game] && !result.children.is_empty() {
                    result.children[self.rng.random_range(0..result.children.len())].action
                } else {
                    self.choose(result, moves_played)
                };
                self.search.advance(game, action)?;
                report.positions += 1;
                if self.search.root_state(game).is_over() {
                    self.finish(game, replay, &mut report)?;
                }
            }
        }
        report.evaluations = counting.rows;
        Ok(report)
    }

    /// Appends the position at game `game`'s root and the search's target to its trajectory.
    fn record(&mut self, game: usize, result: &SearchResult) {
        let state = self.search.root_state(game);
        let trajectory = &mut self.trajectories[game];
        let start = trajectory.observations.len();
        trajectory
            .observations
            .resize(start + self.observation_len, 0.0);
        state.write_observation(&mut trajectory.observations[start..]);
        state.legal_mask(&mut self.mask);
        trajectory
            .legal_masks
            .extend(self.mask.iter().map(|&legal| f32::from(u8::from(legal))));
        trajectory
            .policy_targets
            .extend_from_slice(&result.policy_target);
        trajectory.movers.push(state.to_move());
        let in_opening = state.moves_played() < self.openings[game];
        trajectory
            .opening_values
            .push(in_opening.then(|| search_value(result)));
        trajectory.surprises.push(policy_surprise(
            &result.policy_target,
            result
                .children
                .iter()
                .map(|child| (child.action, child.prior)),
        ));
    }

    /// The move to play: sampled in proportion to the root visits (the policy target when
    /// nothing was visited) for the first `temperature_moves` moves, else the search's pick.
    fn choose(&mut self, result: &SearchResult, moves_played: u32) -> usize {
        if moves_played >= self.temperature_moves {
            return result.chosen;
        }
        let total: u32 = result.children.iter().map(|child| child.visits).sum();
        if total > 0 {
            let mut draw = self.rng.random_range(0..total);
            for child in &result.children {
                if draw < child.visits {
                    return child.action;
                }
                draw -= child.visits;
            }
        } else {
            let total: f32 = result.policy_target.iter().sum();
            let mut draw = self.rng.random::<f32>() * total;
            for child in &result.children {
                let weight = result.policy_target[child.action];
                if draw < weight {
                    return child.action;
                }
                draw -= weight;
            }
        }
        // Rounding left the draw past the end: the last legal move.
        result
            .children
            .last()
            .map_or(result.chosen, |child| child.action)
    }

    /// Moves game `game`'s finished trajectory into `replay` with value targets, counts
    /// it, and starts a new game in its place.
    fn finish(
        &mut self,
        game: usize,
        replay: &mut ReplayBuffer,
        report: &mut SelfPlayReport,
    ) -> Result<(), TrainError> {
        let final_state = self.search.root_state(game).clone();
        let trajectory = &self.trajectories[game];
        let (o, a) = (self.observation_len, self.actions);
        let weights = surprise_weights(&trajectory.surprises, self.surprise_weight);
        for (index, (&mover, weight)) in trajectory.movers.iter().zip(weights).enumerate() {
            let copies = weight_copies(weight, self.rng.random());
            let value = match final_state.status() {
                Status::Won(winner) if winner == mover => 1.0,
                Status::Won(_) => -1.0,
                Status::Draw | Status::Ongoing => 0.0,
            };
            let value = trajectory.opening_values[index].unwrap_or(value);
            for _ in 0..copies {
                replay.push(
                    &trajectory.observations[index * o..(index + 1) * o],
                    &trajectory.legal_masks[index * a..(index + 1) * a],
                    &trajectory.policy_targets[index * a..(index + 1) * a],
                    value,
                );
            }
        }
        report.games += 1;
        report.total_length += u64::from(final_state.moves_played());
        match final_state.status() {
            Status::Won(winner) => report.wins[usize::from(winner)] += 1,
            Status::Draw | Status::Ongoing => {
                report.draws += 1;
                report.drawn_final_states.push(final_state);
            }
        }
        self.trajectories[game].clear();
        self.openings[game] = self.rng.random_range(0..=self.random_opening);
        self.search.reset(game, CliqueState::new(self.game))?;
        Ok(())
    }
}

/// The search's value of its root for the mover: the mean value of the most visited
/// child (the first in action order on a tie, as `record_sample` in mcts.wgsl), the move
/// the search stands behind; the root's value if nothing was visited.
fn search_value(result: &SearchResult) -> f32 {
    let most = result.children.iter().map(|child| child.visits).max();
    result
        .children
        .iter()
        .find(|child| child.visits > 0 && Some(child.visits) == most)
        .and_then(|child| child.q)
        .unwrap_or(result.root_value)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::games::clique::Mode;
    use crate::search::{FirstPlayUrgency, RootPolicy, UniformEvaluator};

    fn noise_free(simulations: u32) -> SearchConfig {
        SearchConfig {
            simulations,
            policy: RootPolicy::AlphaZero {
                c_puct: 1.5,
                first_play_urgency: FirstPlayUrgency::Reduction(0.0),
                dirichlet: None,
            },
            reuse_subtree: false,
        }
    }

    /// The distinct first moves of 64 fresh games played greedily, without root noise, with
    /// `random_opening` (the GPU twin is tests/random_opening.rs).
    fn first_moves(random_opening: u32) -> BTreeSet<u32> {
        let game = CliqueConfig::new(6, 3, Mode::Avoid).unwrap();
        let search = noise_free(4);
        let mut self_play = HostSelfPlay::new(game, 64, search, 0, random_opening, 0.0, 7).unwrap();
        let mut evaluator = UniformEvaluator {
            num_actions: game.num_edges(),
        };
        let mut replay = ReplayBuffer::new(64, 45, 15).unwrap();
        self_play.play(1, &mut evaluator, &mut replay).unwrap();
        (0..64)
            .map(|game| {
                self_play
                    .state(game)
                    .last_action()
                    .expect("one move played")
            })
            .collect()
    }

    #[test]
    fn greedy_play_without_an_opening_repeats_one_first_move() {
        assert_eq!(first_moves(0).len(), 1);
    }

    #[test]
    fn random_openings_spread_the_first_moves_over_the_board() {
        let moves = first_moves(14);
        assert!(moves.len() >= 8, "first moves {moves:?}");
    }

    /// The replay after 40 moves of 32 games on K_5 (avoid) with a uniform network.
    fn replay_after(random_opening: u32, surprise_weight: f32) -> (ReplayBuffer, SelfPlayReport) {
        let game = CliqueConfig::new(5, 3, Mode::Avoid).unwrap();
        let mut self_play = HostSelfPlay::new(
            game,
            32,
            noise_free(24),
            10,
            random_opening,
            surprise_weight,
            3,
        )
        .unwrap();
        let mut evaluator = UniformEvaluator {
            num_actions: game.num_edges(),
        };
        let mut replay = ReplayBuffer::new(10_000, 30, 10).unwrap();
        let report = self_play.play(40, &mut evaluator, &mut replay).unwrap();
        (replay, report)
    }

    /// The replay's samples, as (policy surprise under the uniform prior, value target).
    fn surprises_and_values(replay: &ReplayBuffer) -> Vec<(f32, f32)> {
        (0..replay.len())
            .map(|index| {
                let sample = replay.sample(index);
                let legal = (0..10).filter(|&a| sample.legal_mask[a] > 0.0);
                let surprise = policy_surprise(&sample.policy_target, legal.map(|a| (a, 1.0)));
                (surprise, sample.value_target)
            })
            .collect()
    }

    #[test]
    fn without_weighting_or_openings_every_position_is_stored_once_with_its_outcome() {
        let (replay, report) = replay_after(0, 0.0);
        assert_eq!(replay.len() as u64, report.total_length);
        for (_, value) in surprises_and_values(&replay) {
            assert!([-1.0, 0.0, 1.0].contains(&value), "outcome {value}");
        }
    }

    #[test]
    fn surprise_weighting_stores_positions_by_what_the_search_changed() {
        let (replay, report) = replay_after(0, 1.0);
        let samples = surprises_and_values(&replay);
        // λ = 1: weight ∝ surprise, so a position the search left at the prior (a single
        // legal move, or visits spread evenly) is never stored, and the count stays near
        // the positions played (Σw = L per game, rounded at random).
        assert!(samples.iter().all(|&(surprise, _)| surprise > 1e-6));
        let stored = replay.len() as f64;
        let played = report.total_length as f64;
        assert!(
            (0.7 * played..1.3 * played).contains(&stored),
            "{stored} stored for {played}"
        );
        // Surprising positions are stored more than once: some samples repeat.
        let distinct: BTreeSet<Vec<u32>> = (0..replay.len())
            .map(|index| {
                let sample = replay.sample(index);
                sample.observation.iter().map(|x| x.to_bits()).collect()
            })
            .collect();
        assert!(distinct.len() < replay.len(), "no position was repeated");
    }

    #[test]
    fn random_opening_positions_take_the_search_value_as_target() {
        // Openings as long as the game: every position is in one, so its target is the
        // search's value, which under a uniform network (value 0) is a fraction wherever
        // the search reached a game's end but did not prove it (without openings every
        // target is an outcome, ±1 or 0: the test above).
        let (replay, _) = replay_after(10, 0.0);
        let samples = surprises_and_values(&replay);
        let fractional = samples
            .iter()
            .filter(|&&(_, value)| ![-1.0, 0.0, 1.0].contains(&value))
            .count();
        assert!(
            fractional > samples.len() / 10,
            "{fractional} of {}",
            samples.len()
        );
        assert!(
            samples
                .iter()
                .all(|&(_, value)| (-1.0..=1.0).contains(&value))
        );
    }
}
