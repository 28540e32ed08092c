//! Chess: the full rules in Rust (the reference) and the same rules in WGSL over a batch of
//! positions (`shaders/games/chess/`), with the AlphaZero 8 × 8 × 73 action encoding.
//!
//! - [`bitboard`], [`attacks`]: squares and attack sets (magic bitboards for sliders);
//! - [`position`], [`movegen`]: a position, playing a move, and legal move generation;
//! - [`zobrist`], [`game`]: keys, history, and the game-end rules ([`ChessGame`] implements
//!   [`GameState`](crate::games::GameState));
//! - [`fen`], [`notation`], [`pgn`]: FEN, UCI and SAN, PGN export;
//! - [`encoding`]: actions and observation planes; [`perft`]: move-tree counts;
//! - [`gpu`]: the WGSL rules on a batch ([`gpu::ChessBatch`]), [`playout`] the random playout
//!   and its CPU twin, [`cross_check`] GPU-against-Rust agreement;
//! - [`search`]: chess inside the GPU tree search (its adapter and root states).
//!
//! docs/CHESS.md describes the representation, encoding, planes and GPU layout.

pub mod adapter;
pub mod attacks;
pub mod bitboard;
pub mod cross_check;
pub mod encoding;
pub mod fen;
pub mod game;
pub mod gpu;
pub mod movegen;
pub mod notation;
pub mod perft;
pub mod pgn;
pub mod playout;
pub mod position;
pub mod search;
pub mod zobrist;

pub use bitboard::{Color, Piece, PieceKind, Square};
pub use fen::{FenField, STARTING_FEN};
pub use game::{ChessGame, DEFAULT_PLY_CAP, Outcome};
pub use position::{Move, Position};

use crate::games::GameError;

/// Bad chess input (FEN, move text), each message saying what is wrong and where.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ChessError {
    #[error("invalid FEN, {field}: {message}")]
    Fen { field: FenField, message: String },
    #[error("cannot read move {text:?}: {reason}")]
    Notation { text: String, reason: String },
}

impl From<ChessError> for GameError {
    fn from(error: ChessError) -> GameError {
        GameError::InvalidPosition(error.to_string())
    }
}
