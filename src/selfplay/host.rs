//! Self-play on the host: games in lockstep through the CPU reference search (one batched
//! network call per simulation for all games), moves sampled in proportion to the root
//! visits for the first `temperature_moves` moves of each game and the search policy's
//! choice after (uniformly at random during a game's random opening), finished games
//! replaced at once. It records the same samples as the GPU's `play_moves`
//! ([`super::record`]), weighs a finished game's by policy surprise and commits them to a
//! [`ReplayRing`].
//!
//! The first [`PlaySettings::trace_games`] game slots' games are traced move by move
//! ([`HostSelfPlay::take_traced_games`]), as the GPU's `play_moves` traces them.
//!
//! It advances in steps ([`HostSelfPlay::step`]): each either asks for one network call or
//! plays one move in every game, so a driver can evaluate on the GPU without waiting and
//! stop between steps.

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use super::record::{NO_SEARCH_VALUE, PlaySettings, RecordLayout};
use super::replay::ReplayRing;
use super::surprise::{policy_surprise, replay_weights, weight_copies};
use super::trace::{TracedGame, move_record};
use super::{SelfPlayError, SelfPlayReport};
use crate::games::{Game, GameState};
use crate::run_dir::games::{MoveRecord, PlayedGame};
use crate::search::evaluator::Outputs;
use crate::search::reference::Step;
use crate::search::{ReferenceSearch, SearchConfig, SearchResult};

/// Seed offsets, so the search's noise and the move sampling draw independent streams.
const SEARCH_STREAM: u64 = 0x5ea4_c4a1_17e5_0001;
const MOVE_STREAM: u64 = 0x5ea4_c4a1_17e5_0002;

/// What one [`HostSelfPlay::step`] needs or did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostStep {
    /// Evaluate `rows` observations ([`HostSelfPlay::observations`]) and pass the outputs
    /// to the next step.
    Evaluate { rows: usize },
    /// Every game played one move.
    Moved,
}

/// Games in flight on the CPU reference search, with their unfinished trajectories.
pub struct HostSelfPlay<G: Game> {
    game: G,
    settings: PlaySettings,
    /// Each game's random opening length.
    openings: Vec<u32>,
    search: ReferenceSearch<G::State>,
    /// Per game: its records so far, `[moves, record floats]`.
    trajectories: Vec<Vec<f32>>,
    rng: StdRng,
    layout: RecordLayout,
    /// Scratch for one legal mask.
    mask: Vec<bool>,
    /// Whether a search is under way.
    searching: bool,
    /// The moves so far of each traced slot's game (the first `trace_games` slots).
    traces: Vec<Vec<MoveRecord>>,
    /// Traced games finished and not taken yet.
    traced: Vec<TracedGame>,
}

impl<G: Game> HostSelfPlay<G> {
    /// `games` ≥ 1 fresh games, searched with `search`; `seed` fixes the search noise and
    /// the move sampling.
    pub fn new(
        game: G,
        games: usize,
        search: SearchConfig,
        settings: PlaySettings,
        seed: u64,
    ) -> Result<Self, SelfPlayError> {
        if games == 0 {
            return Err(SelfPlayError::Config(
                "self-play needs at least one game in flight (--games)".into(),
            ));
        }
        let start = game.initial_state();
        let roots = vec![start.clone(); games];
        let mut rng = StdRng::seed_from_u64(seed ^ MOVE_STREAM);
        let openings = (0..games)
            .map(|_| rng.random_range(0..=settings.random_opening))
            .collect();
        Ok(Self {
            layout: RecordLayout {
                observation_len: start.observation_len(),
                actions: start.num_actions(),
            },
            mask: vec![false; start.num_actions()],
            search: ReferenceSearch::new(roots, search, seed ^ SEARCH_STREAM)?,
            trajectories: vec![Vec::new(); games],
            game,
            settings,
            openings,
            rng,
            searching: false,
            traces: vec![Vec::new(); games.min(settings.trace_games as usize)],
            traced: Vec::new(),
        })
    }

    /// Games in flight.
    pub fn games(&self) -> usize {
        self.trajectories.len()
    }

    /// The layout of the records it commits.
    pub fn record_layout(&self) -> RecordLayout {
        self.layout
    }

    /// The observations the last [`HostStep::Evaluate`] asks to evaluate.
    pub fn observations(&self) -> &[f32] {
        self.search.observations()
    }

    /// The traced slots' games finished since the last call, in the order they ended.
    pub fn take_traced_games(&mut self) -> Vec<TracedGame> {
        std::mem::take(&mut self.traced)
    }

    /// The position game `game` is at.
    pub fn state(&self, game: usize) -> &G::State {
        self.search.root_state(game)
    }

    /// Goes on: `outputs` answers the evaluation the previous step asked for (`None`
    /// otherwise). When a search ends, every game plays its move; finished games are
    /// counted in `report`, committed to `replay`, their final positions pushed to
    /// `drawn` when drawn (with `log_draws`), and replaced by fresh games.
    pub fn step(
        &mut self,
        outputs: Option<&Outputs>,
        replay: &mut ReplayRing,
        report: &mut SelfPlayReport,
        drawn: &mut Vec<G::State>,
    ) -> Result<HostStep, SelfPlayError> {
        if !self.searching {
            self.search.start();
            self.searching = true;
        }
        let results = match self.search.step(outputs)? {
            Step::Evaluate { rows } => {
                report.evaluations += rows as u64;
                return Ok(HostStep::Evaluate { rows });
            }
            Step::Finished(results) => results,
        };
        self.searching = false;
        for (game, result) in results.iter().enumerate() {
            self.record(game, result);
            let moves_played = self.search.root_state(game).moves_played();
            let action = if moves_played < self.openings[game] && !result.children.is_empty() {
                result.children[self.rng.random_range(0..result.children.len())].action
            } else {
                self.choose(result, moves_played)
            };
            if let Some(trace) = self.traces.get_mut(game) {
                trace.push(move_record(result, action));
            }
            self.search.advance(game, action)?;
            report.positions += 1;
            if self.search.root_state(game).terminal_value().is_some() {
                self.finish(game, replay, report, drawn)?;
            }
        }
        Ok(HostStep::Moved)
    }

    /// Appends the position at game `game`'s root and the search's target to its
    /// trajectory, as `record_sample` in play.wgsl does.
    fn record(&mut self, game: usize, result: &SearchResult) {
        let state = self.search.root_state(game);
        let layout = self.layout;
        let trajectory = &mut self.trajectories[game];
        let start = trajectory.len();
        trajectory.resize(start + layout.floats(), 0.0);
        let record = &mut trajectory[start..];
        state.write_observation(&mut record[..layout.observation_len]);
        record[layout.policy()..layout.mask()].copy_from_slice(&result.policy_target);
        state.legal_mask(&mut self.mask);
        for (slot, &legal) in record[layout.mask()..layout.tail()]
            .iter_mut()
            .zip(&self.mask)
        {
            *slot = f32::from(u8::from(legal));
        }
        let in_opening = state.moves_played() < self.openings[game];
        let tail = &mut record[layout.tail()..];
        tail[0] = if in_opening {
            search_value(result)
        } else {
            NO_SEARCH_VALUE
        };
        tail[1] = policy_surprise(
            &result.policy_target,
            result
                .children
                .iter()
                .map(|child| (child.action, child.prior)),
        );
        tail[2] = 1.0;
        tail[3] = f32::from(state.to_move());
    }

    /// The move to play: sampled in proportion to the root visits (the policy target when
    /// nothing was visited) for the first `temperature_moves` moves; after them in
    /// proportion to visits^(1/τ) with a late temperature τ > 0, else the search's pick.
    fn choose(&mut self, result: &SearchResult, moves_played: u32) -> usize {
        if moves_played < self.settings.temperature_moves {
            return sample_by_visits(result, &mut self.rng);
        }
        let tau = self.settings.late_temperature;
        if tau > 0.0 {
            let draw = self.rng.random::<f32>();
            if let Some(action) = sample_by_sharpened_visits(result, tau, draw) {
                return action;
            }
        }
        result.chosen
    }

    /// Weighs game `game`'s finished trajectory, commits it to `replay`, counts it, and
    /// starts a new game in its place.
    fn finish(
        &mut self,
        game: usize,
        replay: &mut ReplayRing,
        report: &mut SelfPlayReport,
        drawn: &mut Vec<G::State>,
    ) -> Result<(), SelfPlayError> {
        let final_state = self.search.root_state(game).clone();
        let value = final_state.terminal_value().unwrap_or(0.0);
        let to_move = final_state.to_move();
        // The result for player 0: the terminal value is for the player to move now.
        let value0 = if to_move == 0 { value } else { -value };
        let layout = self.layout;
        let trajectory = &mut self.trajectories[game];
        let surprises: Vec<f32> = trajectory
            .chunks_exact(layout.floats())
            .map(|record| record[layout.tail() + 1])
            .collect();
        let weights = replay_weights(
            &surprises,
            self.settings.surprise_weight,
            self.settings.replay_fraction,
        );
        let mut records = 0;
        for (record, weight) in trajectory.chunks_exact_mut(layout.floats()).zip(weights) {
            let copies = weight_copies(weight, self.rng.random());
            record[layout.tail() + 2] = copies as f32;
            records += u64::from(copies);
        }
        replay.commit(trajectory, value0);
        trajectory.clear();
        if let Some(trace) = self.traces.get_mut(game) {
            self.traced.push(TracedGame {
                slot: game as u32,
                game: PlayedGame {
                    moves: std::mem::take(trace),
                    outcome: value0,
                },
            });
        }
        report.games += 1;
        report.records += records;
        report.total_length += u64::from(final_state.moves_played());
        if value == 0.0 {
            report.draws += 1;
            if self.settings.log_draws {
                drawn.push(final_state);
            }
        } else {
            let winner = if value > 0.0 { to_move } else { 1 - to_move };
            report.wins[usize::from(winner)] += 1;
        }
        self.openings[game] = self.rng.random_range(0..=self.settings.random_opening);
        self.search.reset(game, self.game.initial_state())?;
        Ok(())
    }
}

/// The search's value of its root for the mover: the mean value of the most visited
/// child (the first in action order on a tie, as `record_sample` in play.wgsl), the move
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

/// A root move drawn in proportion to the root visits, or to the policy target when nothing
/// was visited (a search of no simulations); `result.chosen` when the root has no move.
pub fn sample_by_visits(result: &SearchResult, rng: &mut StdRng) -> usize {
    let total: u32 = result.children.iter().map(|child| child.visits).sum();
    if total > 0 {
        let mut draw = rng.random_range(0..total);
        for child in &result.children {
            if draw < child.visits {
                return child.action;
            }
            draw -= child.visits;
        }
    } else {
        let total: f32 = result.policy_target.iter().sum();
        let mut draw = rng.random::<f32>() * total;
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

/// The root child whose share of the weights (visits / most visits)^(1/τ) holds `draw`
/// (uniform in [0, 1)): a move drawn in proportion to visits^(1/τ), never an unvisited one.
/// `None` when nothing was visited, or when rounding leaves the draw past the end (the caller
/// plays the search's pick). The play kernel's late temperature is its twin.
pub fn sample_by_sharpened_visits(result: &SearchResult, tau: f32, draw: f32) -> Option<usize> {
    let most = result.children.iter().map(|child| child.visits).max()?;
    if most == 0 {
        return None;
    }
    let power = 1.0 / tau;
    let weight = |visits: u32| {
        if visits == 0 {
            0.0
        } else {
            (visits as f32 / most as f32).powf(power)
        }
    };
    let total: f32 = result
        .children
        .iter()
        .map(|child| weight(child.visits))
        .sum();
    let mut draw = draw * total;
    for child in &result.children {
        let weight = weight(child.visits);
        if weight > 0.0 && draw < weight {
            return Some(child.action);
        }
        draw -= weight;
    }
    None
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::games::clique::{CliqueConfig, Mode};
    use crate::search::{ChildStats, Evaluator, FirstPlayUrgency, RootPolicy, UniformEvaluator};

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

    fn settings(temperature_moves: u32, random_opening: u32, surprise_weight: f32) -> PlaySettings {
        PlaySettings {
            temperature_moves,
            late_temperature: 0.0,
            random_opening,
            record: true,
            surprise_weight,
            replay_fraction: 1.0,
            log_draws: false,
            trace_games: 0,
        }
    }

    /// Plays `moves` moves of every game with a uniform network.
    fn play(
        self_play: &mut HostSelfPlay<CliqueConfig>,
        moves: u32,
        replay: &mut ReplayRing,
    ) -> SelfPlayReport {
        let mut evaluator = UniformEvaluator::new(self_play.record_layout().actions);
        let mut report = SelfPlayReport::default();
        let mut outputs = None;
        let mut played = 0;
        while played < moves {
            match self_play
                .step(
                    outputs.take().as_ref(),
                    replay,
                    &mut report,
                    &mut Vec::new(),
                )
                .unwrap()
            {
                HostStep::Evaluate { rows } => {
                    evaluator.start(self_play.observations(), rows).unwrap();
                    outputs = Some(evaluator.wait().unwrap());
                }
                HostStep::Moved => played += 1,
            }
        }
        report
    }

    /// The distinct first moves of 64 fresh games played greedily, without root noise, with
    /// `random_opening` (the GPU twin is tests/random_opening.rs).
    fn first_moves(random_opening: u32) -> BTreeSet<u32> {
        let game = CliqueConfig::new(6, 3, Mode::Avoid).unwrap();
        let mut self_play =
            HostSelfPlay::new(game, 64, noise_free(4), settings(0, random_opening, 0.0), 7)
                .unwrap();
        let mut replay = ReplayRing::new(64, self_play.record_layout());
        play(&mut self_play, 1, &mut replay);
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
    fn replay_after(random_opening: u32, surprise_weight: f32) -> (ReplayRing, SelfPlayReport) {
        replay_with(settings(10, random_opening, surprise_weight))
    }

    fn replay_with(settings: PlaySettings) -> (ReplayRing, SelfPlayReport) {
        let game = CliqueConfig::new(5, 3, Mode::Avoid).unwrap();
        let mut self_play = HostSelfPlay::new(game, 32, noise_free(24), settings, 3).unwrap();
        let mut replay = ReplayRing::new(10_000, self_play.record_layout());
        let report = play(&mut self_play, 40, &mut replay);
        (replay, report)
    }

    /// The replay's records, as (policy surprise under the uniform prior, value target).
    fn surprises_and_values(replay: &ReplayRing) -> Vec<(f32, f32)> {
        let layout = replay.layout();
        (0..replay.len())
            .map(|slot| {
                let record = replay.record(slot);
                let target = &record[layout.policy()..layout.mask()];
                let mask = &record[layout.mask()..layout.tail()];
                let legal = (0..layout.actions).filter(|&a| mask[a] > 0.0);
                let surprise = policy_surprise(target, legal.map(|a| (a, 1.0)));
                (surprise, record[layout.floats() - 1])
            })
            .collect()
    }

    #[test]
    fn without_weighting_or_openings_every_position_is_stored_once_with_its_outcome() {
        let (replay, report) = replay_after(0, 0.0);
        assert_eq!(replay.len() as u64, report.total_length);
        assert_eq!(report.records, report.total_length);
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
        assert_eq!(report.records, replay.len() as u64);
        assert!(
            (0.7 * played..1.3 * played).contains(&stored),
            "{stored} stored for {played}"
        );
        // Surprising positions are stored more than once: some records repeat.
        let distinct: BTreeSet<Vec<u32>> = (0..replay.len())
            .map(|slot| {
                let record = replay.record(slot);
                record[..replay.layout().observation_len]
                    .iter()
                    .map(|x| x.to_bits())
                    .collect()
            })
            .collect();
        assert!(distinct.len() < replay.len(), "no position was repeated");
    }

    #[test]
    fn a_replay_fraction_stores_that_share_of_the_positions() {
        let (replay, report) = replay_with(PlaySettings {
            replay_fraction: 0.25,
            ..settings(10, 0, 0.0)
        });
        // Each position is kept once with probability 1/4: the count is binomial.
        let (stored, played) = (replay.len() as f64, report.total_length as f64);
        assert_eq!(report.records, replay.len() as u64);
        let spread = (played * 0.25 * 0.75).sqrt();
        assert!(
            (stored - 0.25 * played).abs() < 4.0 * spread,
            "{stored} stored of {played}"
        );
        for (_, value) in surprises_and_values(&replay) {
            assert!([-1.0, 0.0, 1.0].contains(&value), "outcome {value}");
        }
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

    #[test]
    fn a_late_temperature_samples_in_proportion_to_sharpened_visits() {
        let children = [(3, 8), (5, 4), (9, 0), (11, 4), (12, 1)]
            .map(|(action, visits)| ChildStats {
                action,
                prior: 0.2,
                visits,
                q: None,
            })
            .to_vec();
        let result = SearchResult {
            chosen: 3,
            children,
            policy_target: vec![0.0; 16],
            root_value: 0.0,
        };
        // τ = 1/2: weights (v / 8)^2 = 1, 1/4, 0, 1/4, 1/64.
        let weights = [64.0, 16.0, 0.0, 16.0, 1.0];
        let total: f64 = weights.iter().sum();
        let draws = 20_000;
        let mut counts = [0usize; 16];
        for k in 0..draws {
            let draw = (k as f32 + 0.5) / draws as f32;
            let action = sample_by_sharpened_visits(&result, 0.5, draw).expect("a move");
            counts[action] += 1;
        }
        for ((action, _), weight) in [(3, 8), (5, 4), (9, 0), (11, 4), (12, 1)]
            .iter()
            .zip(weights)
        {
            let expected = draws as f64 * weight / total;
            let seen = counts[*action] as f64;
            assert!(
                (seen - expected).abs() <= 2.0,
                "action {action}: {seen} against {expected}"
            );
        }
        assert_eq!(counts[9], 0, "an unvisited move is never played");
        // τ = 1 is in proportion to the visits; nothing visited leaves the search's pick.
        assert_eq!(sample_by_sharpened_visits(&result, 1.0, 0.4), Some(3));
        assert_eq!(sample_by_sharpened_visits(&result, 1.0, 0.6), Some(5));
        let unvisited = SearchResult {
            children: result
                .children
                .iter()
                .map(|c| ChildStats {
                    visits: 0,
                    ..c.clone()
                })
                .collect(),
            ..result.clone()
        };
        assert_eq!(sample_by_sharpened_visits(&unvisited, 0.5, 0.3), None);
    }
}
