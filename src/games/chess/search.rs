//! Chess inside the GPU tree search ([`GpuGame`] for [`ChessConfig`]): the WGSL adapter
//! (`shaders/games/chess/search_adapter.wgsl` over the chess library) and the host side of
//! its state layout, [`search_words`], which packs a [`ChessGame`] into a search root.
//!
//! A node's state is the position plus the keys of the earlier positions a repetition can
//! still reach, so every game-end rule inside the tree is exactly [`ChessGame::outcome`]'s,
//! threefold repetition over the game's known history included, plus the placements of the
//! last 7 positions with their repetition counts, so its observation is exactly
//! [`super::encoding::write_observation`]'s (docs/CHESS.md, "The search adapter").

use super::ChessGame;
use super::adapter::ChessConfig;
use super::encoding::{NUM_ACTIONS, OBSERVATION_LEN};
use super::game::PAST_POSITIONS;
use super::gpu::{GpuPastPosition, GpuPosition, wgsl_library};
use crate::games::{GameError, GpuGame};

const SEARCH_ADAPTER: &str = include_str!("../../../shaders/games/chess/search_adapter.wgsl");

/// Entries of a node's key ring: a repetition decides the outcome only while the halfmove
/// clock is below 100, so it never reaches further back than 99 plies.
pub const SEARCH_KEYS: usize = 100;
/// `u32` words of a [`GpuPosition`].
pub const POSITION_WORDS: usize = std::mem::size_of::<GpuPosition>() / 4;
/// Words of one past placement in a node's state: pawns, knights, bishops, rooks, queens,
/// kings and white's pieces, (low, high) each.
pub const PAST_WORDS: usize = 14;
/// The first word of the past placements in a node's state.
pub const PAST_BASE: usize = POSITION_WORDS + 2 * SEARCH_KEYS;
/// The word of the past placements' repetition counts: min(count, 3) in bits `2e..2e + 1`
/// for entry `e`.
pub const PAST_REPETITIONS_WORD: usize = PAST_BASE + PAST_WORDS * PAST_POSITIONS;
/// `u32` words of one node's state (321): the position; the key ring (low, high per entry;
/// the key of the position at ply `p` in entry `p % SEARCH_KEYS`); the ring of past
/// placements (the position at ply `p` in entry `p % PAST_POSITIONS`, [`PAST_WORDS`]
/// each); their repetition counts.
pub const SEARCH_STATE_WORDS: usize = PAST_REPETITIONS_WORD + 1;
/// The most legal moves of any chess position (a known bound, reached by a constructed
/// position); each expanded node reserves this many edges in the capacity computation.
pub const MAX_LEGAL_MOVES: u32 = 218;

/// `game` as the state words of a search root ([`SEARCH_STATE_WORDS`]): its position, the
/// keys of its earlier positions that a repetition can reach, and its past placements. The
/// game's ply cap must be `config`'s, which the adapter compiles in.
pub fn search_words(config: &ChessConfig, game: &ChessGame) -> Result<Vec<u32>, GameError> {
    if game.ply_cap() != config.ply_cap {
        return Err(GameError::InvalidPosition(format!(
            "a game with ply cap {} cannot be searched under ply cap {}",
            game.ply_cap(),
            config.ply_cap
        )));
    }
    let position = GpuPosition::of_game(game);
    let mut words = vec![0u32; SEARCH_STATE_WORDS];
    words[..POSITION_WORDS].copy_from_slice(bytemuck::cast_slice(std::slice::from_ref(&position)));
    let history = game.history();
    let live = (game.position().halfmove_clock() as usize)
        .min(history.len())
        .min(SEARCH_KEYS);
    for (ply, &key) in history.iter().enumerate().skip(history.len() - live) {
        let word = POSITION_WORDS + 2 * (ply % SEARCH_KEYS);
        words[word] = key as u32;
        words[word + 1] = (key >> 32) as u32;
    }
    let past_ring = GpuPastPosition::ring_of(game);
    let live = game.past_positions().len();
    let ply = game.ply() as usize;
    for back in 1..=live {
        let entry = (ply - back) % PAST_POSITIONS;
        let past = &past_ring[entry];
        let word = PAST_BASE + PAST_WORDS * entry;
        words[word..word + PAST_WORDS].copy_from_slice(bytemuck::cast_slice(&past.boards));
        words[PAST_REPETITIONS_WORD] |= past.repetitions.min(3) << (2 * entry);
    }
    Ok(words)
}

impl GpuGame for ChessConfig {
    fn state_words(&self) -> u32 {
        SEARCH_STATE_WORDS as u32
    }

    fn num_actions(&self) -> u32 {
        NUM_ACTIONS as u32
    }

    fn observation_len(&self) -> u32 {
        OBSERVATION_LEN as u32
    }

    fn max_legal(&self) -> u32 {
        MAX_LEGAL_MOVES
    }

    fn max_game_length(&self) -> u32 {
        self.ply_cap
    }

    fn search_adapter(&self) -> String {
        format!(
            "const CHESS_SEARCH_PLY_CAP: u32 = {}u;\n{}\n{SEARCH_ADAPTER}",
            self.ply_cap,
            wgsl_library()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::games::chess::notation::parse_uci;

    #[test]
    fn words_hold_the_position_and_only_the_reachable_keys() {
        let config = ChessConfig::new(40).unwrap();
        let mut game = ChessGame::default().with_ply_cap(40);
        for text in ["e2e4", "e7e5", "g1f3", "b8c6", "f3g1"] {
            let chess_move = parse_uci(game.position(), text).unwrap();
            game.play(chess_move).unwrap();
        }
        let words = search_words(&config, &game).unwrap();
        assert_eq!(words.len(), SEARCH_STATE_WORDS);
        let position = GpuPosition::of_game(&game);
        let position_words: &[u32] = bytemuck::cast_slice(std::slice::from_ref(&position));
        assert_eq!(&words[..POSITION_WORDS], position_words);
        // Halfmove clock 3 after e7e5: the keys before plies 2, 3 and 4 are live.
        let history = game.history();
        for (ply, &key) in history.iter().enumerate() {
            let word = POSITION_WORDS + 2 * ply;
            let expected = if ply >= 2 {
                [key as u32, (key >> 32) as u32]
            } else {
                [0, 0]
            };
            assert_eq!(words[word..word + 2], expected, "ply {ply}");
        }
        let other = ChessConfig::new(41).unwrap();
        assert!(search_words(&other, &game).is_err());
    }

    #[test]
    fn words_hold_the_last_seven_placements_in_their_ring() {
        let config = ChessConfig::new(40).unwrap();
        let moves = [
            "g1f3", "g8f6", "f3g1", "f6g8", "g1f3", "g8f6", "f3g1", "f6g8", "e2e4",
        ];
        let mut game = ChessGame::default().with_ply_cap(40);
        let mut positions = vec![game.position().clone()];
        for text in moves {
            let chess_move = parse_uci(game.position(), text).unwrap();
            // The threefold repetition at ply 8 ends the game: play on regardless.
            game.play_unchecked(chess_move);
            positions.push(game.position().clone());
        }
        let words = search_words(&config, &game).unwrap();
        // Plies 2..=8 are live; the start position recurs at plies 4 and 8 (its second and
        // third occurrence), the position after g1f3 at ply 5.
        let mut expected_repetitions = 0;
        for (ply, position) in positions.iter().enumerate().take(9).skip(2) {
            let entry = ply % PAST_POSITIONS;
            let word = PAST_BASE + PAST_WORDS * entry;
            let mut boards = Vec::new();
            for kind in crate::games::chess::PieceKind::ALL {
                let bits = position.kind_bitboard(kind);
                boards.extend([bits as u32, (bits >> 32) as u32]);
            }
            let white = position.color_bitboard(crate::games::chess::Color::White);
            boards.extend([white as u32, (white >> 32) as u32]);
            assert_eq!(&words[word..word + PAST_WORDS], &boards[..], "ply {ply}");
            let repetitions = match ply {
                4..=7 => 2,
                8 => 3,
                _ => 1,
            };
            expected_repetitions |= repetitions << (2 * entry);
        }
        assert_eq!(words[PAST_REPETITIONS_WORD], expected_repetitions);
    }
}
