//! Chess inside the GPU tree search ([`GpuGame`] for [`ChessConfig`]): the WGSL adapter
//! (`shaders/games/chess/search_adapter.wgsl` over the chess library) and the host side of
//! its state layout, [`search_words`], which packs a [`ChessGame`] into a search root.
//!
//! A node's state is the position plus the keys of the earlier positions a repetition can
//! still reach, so every game-end rule inside the tree is exactly [`ChessGame::outcome`]'s,
//! threefold repetition over the game's known history included (docs/CHESS.md, "The search
//! adapter").

use super::ChessGame;
use super::adapter::ChessConfig;
use super::encoding::{NUM_ACTIONS, OBSERVATION_LEN};
use super::gpu::{GpuPosition, wgsl_library};
use crate::games::{GameError, GpuGame};

const SEARCH_ADAPTER: &str = include_str!("../../../shaders/games/chess/search_adapter.wgsl");

/// Entries of a node's key ring: a repetition decides the outcome only while the halfmove
/// clock is below 100, so it never reaches further back than 99 plies.
pub const SEARCH_KEYS: usize = 100;
/// `u32` words of a [`GpuPosition`].
pub const POSITION_WORDS: usize = std::mem::size_of::<GpuPosition>() / 4;
/// `u32` words of one node's state: the position, then the key ring (low, high per entry;
/// the key of the position at ply `p` in entry `p % SEARCH_KEYS`).
pub const SEARCH_STATE_WORDS: usize = POSITION_WORDS + 2 * SEARCH_KEYS;
/// The most legal moves of any chess position (a known bound, reached by a constructed
/// position); each expanded node reserves this many edges in the capacity computation.
pub const MAX_LEGAL_MOVES: u32 = 218;

/// `game` as the state words of a search root ([`SEARCH_STATE_WORDS`]): its position and
/// the keys of its earlier positions that a repetition can reach. The game's ply cap must
/// be `config`'s, which the adapter compiles in.
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
}
