//! The arena's openings: random starts of a few plies, each played twice with the colours
//! swapped, so that games differ and neither player gets the better side more often. By
//! default a UCI engine (Stockfish at depth 10) scores each candidate, and only balanced
//! ones (within ±50 centipawns) are kept.

use std::collections::HashSet;

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use super::ArenaError;
use super::player::{Score, UciEngine, UciEngineSpec};
use crate::games::chess::notation::uci;
use crate::games::chess::{ChessGame, Move};

/// Where the openings come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OpeningSource {
    /// Random plies, kept when `engine` scores the position within `window` centipawns.
    Scored { engine: UciEngineSpec, window: i32 },
    /// Random plies, unscored.
    Random,
    /// Every game from the standard start (games between deterministic players repeat).
    Start,
}

/// How many candidates may be drawn per opening kept before giving up.
const ATTEMPTS_PER_OPENING: usize = 50;

/// `count` distinct openings of `plies` random legal plies (each leaving the game going),
/// drawn with `seed`. `progress` hears each one kept.
pub fn openings(
    count: usize,
    plies: u32,
    source: &OpeningSource,
    seed: u64,
    progress: &mut dyn FnMut(usize),
) -> Result<Vec<Vec<Move>>, ArenaError> {
    if *source == OpeningSource::Start {
        return Ok(vec![Vec::new(); count]);
    }
    let mut engine = match source {
        OpeningSource::Scored { engine, .. } => Some(UciEngine::start(engine)?),
        _ => None,
    };
    let mut rng = StdRng::seed_from_u64(seed);
    let mut seen = HashSet::new();
    let mut kept = Vec::with_capacity(count);
    let mut attempts = 0;
    while kept.len() < count {
        attempts += 1;
        if attempts > ATTEMPTS_PER_OPENING * count.max(1) {
            return Err(ArenaError::Settings(format!(
                "only {} of {count} openings of {plies} plies were found in {} tries; widen \
                 --opening-window, or use --openings random",
                kept.len(),
                attempts - 1
            )));
        }
        let Some(game) = random_start(plies, &mut rng) else {
            continue;
        };
        if !seen.insert(game.position().key()) {
            continue;
        }
        if let (
            Some(engine),
            OpeningSource::Scored {
                engine: spec,
                window,
            },
        ) = (&mut engine, source)
        {
            match engine.score(&game, spec.limit)? {
                Score::Centipawns(cp) if cp.abs() <= *window => {}
                _ => continue,
            }
        }
        kept.push(game.moves().to_vec());
        progress(kept.len());
    }
    Ok(kept)
}

/// A game of `plies` uniformly random legal moves from the start, or `None` if it ended
/// on the way.
fn random_start(plies: u32, rng: &mut StdRng) -> Option<ChessGame> {
    let mut game = ChessGame::default();
    for _ in 0..plies {
        if game.outcome().is_some() {
            return None;
        }
        let moves = game.legal_moves();
        game.play_unchecked(moves.as_slice()[rng.random_range(0..moves.len())]);
    }
    game.outcome().is_none().then_some(game)
}

/// An opening as UCI moves separated by spaces (for reports).
pub fn describe(opening: &[Move]) -> String {
    let moves: Vec<String> = opening.iter().map(|&m| uci(m)).collect();
    if moves.is_empty() {
        "startpos".into()
    } else {
        moves.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_openings_are_distinct_legal_and_repeatable() {
        let draw = |seed| openings(40, 4, &OpeningSource::Random, seed, &mut |_| {}).unwrap();
        let first = draw(3);
        assert_eq!(first, draw(3));
        assert_ne!(first, draw(4));
        let mut positions = HashSet::new();
        for opening in &first {
            assert_eq!(opening.len(), 4);
            let mut game = ChessGame::default();
            for &chess_move in opening {
                game.play(chess_move).expect("legal");
            }
            assert!(game.outcome().is_none());
            assert!(
                positions.insert(game.position().key()),
                "{}",
                describe(opening)
            );
        }
    }

    #[test]
    fn the_start_source_gives_empty_openings() {
        let openings = openings(3, 4, &OpeningSource::Start, 1, &mut |_| {}).unwrap();
        assert_eq!(openings, vec![Vec::<Move>::new(); 3]);
        assert_eq!(describe(&openings[0]), "startpos");
    }
}
