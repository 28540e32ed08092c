//! What the tests of recorded games share: an independent check of a game record against
//! the game's own Rust rules (every action legal, the children exactly the legal moves,
//! the recorded outcome the rules' terminal value, priors a distribution, searched moves'
//! visits summing to the simulations).
#![allow(dead_code)] // Each test file uses its own part.

use wgzero::games::{Game, GameState, GameVisitor};
use wgzero::run_dir::games::{GameRecord, GameSource, Opponent};

/// Replays `record` with its game's rules and checks every move; panics naming the record
/// and the move that is wrong.
pub fn check_record(record: &GameRecord) {
    record.game.visit(Replay { record });
}

struct Replay<'a> {
    record: &'a GameRecord,
}

impl GameVisitor for Replay<'_> {
    type Output = ();

    fn visit<G: Game>(self, game: G) {
        let record = self.record;
        let label = |index: usize| {
            format!(
                "iteration {} {:?}, move {index} of {}",
                record.iteration,
                record.source,
                record.moves.len()
            )
        };
        assert!(!record.moves.is_empty(), "{}", label(0));
        let mut state = game.initial_state();
        for (index, played) in record.moves.iter().enumerate() {
            let label = label(index);
            assert!(
                state.terminal_value().is_none(),
                "{label}: the game was over"
            );
            let mover = state.to_move();
            let legal: Vec<u32> = state.legal_actions().iter().map(|&a| a as u32).collect();
            let children: Vec<u32> = played.children.iter().map(|c| c.action).collect();
            assert_eq!(children, legal, "{label}: the children are the legal moves");
            let prior_sum: f32 = played.children.iter().map(|c| c.prior).sum();
            assert!(
                (prior_sum - 1.0).abs() < 1e-4,
                "{label}: priors sum to {prior_sum}"
            );
            assert!(played.children.iter().all(|c| c.prior >= 0.0), "{label}");
            let visits: u32 = played.children.iter().map(|c| c.visits).sum();
            match record.source {
                GameSource::SelfPlay { simulations, .. } => {
                    assert_eq!(visits, simulations, "{label}: visits");
                    let value = played.value.expect("a searched move has a value");
                    assert!((-1.0..=1.0).contains(&value), "{label}: value {value}");
                }
                GameSource::Evaluation {
                    opponent,
                    network_player,
                } => {
                    assert_eq!(visits, 0, "{label}: matches do not search");
                    let random = opponent == Opponent::Random && mover != network_player;
                    if random {
                        assert_eq!(played.value, None, "{label}: a random move has no value");
                        let uniform = 1.0 / legal.len() as f32;
                        assert!(
                            played
                                .children
                                .iter()
                                .all(|c| (c.prior - uniform).abs() < 1e-6),
                            "{label}: a random player's priors are uniform"
                        );
                    } else {
                        let value = played.value.expect("a network move has a value");
                        assert!((-1.0..=1.0).contains(&value), "{label}: value {value}");
                    }
                }
            }
            state
                .apply(played.action as usize)
                .unwrap_or_else(|error| panic!("{label}: {error}"));
        }
        let value = state
            .terminal_value()
            .unwrap_or_else(|| panic!("{}: the game is not over", label(record.moves.len())));
        let for_player_0 = if state.to_move() == 0 { value } else { -value };
        assert_eq!(
            record.outcome,
            for_player_0,
            "{}: outcome",
            label(record.moves.len())
        );
    }
}
