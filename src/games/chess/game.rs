//! A chess game: the current position, the keys of every earlier position (for threefold
//! repetition), the placement of the last few (for the observation's history planes), the
//! moves played (for PGN), and the game-end rules. Implements [`GameState`] with the
//! AlphaZero action encoding.

use super::ChessError;
use super::bitboard::{Bitboard, Color, PieceKind};
use super::encoding::{self, NUM_ACTIONS, OBSERVATION_LEN};
use super::movegen::{MoveList, count_legal_moves, legal_moves};
use super::position::{Move, Position};
use crate::games::{GameError, GameState};

/// Plies after which a game is stopped and scored as a draw, unless configured otherwise.
pub const DEFAULT_PLY_CAP: u32 = 512;

/// Earlier positions a game keeps for the observation's history planes (AlphaZero's T = 8
/// steps: the current position and these).
pub const PAST_POSITIONS: usize = 7;

/// An earlier position as the observation's history planes see it: its piece placement and
/// how often it had occurred, that time included, when it was the position to move from
/// ([`ChessGame::repetition_count`] then).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PastPosition {
    /// Pawns, knights, bishops, rooks, queens, kings (both colours).
    pub by_kind: [Bitboard; 6],
    /// White's pieces, black's pieces.
    pub by_color: [Bitboard; 2],
    pub repetitions: u32,
}

impl PastPosition {
    /// `position`'s placement, occurring for the `repetitions`-th time.
    pub fn new(position: &Position, repetitions: u32) -> PastPosition {
        PastPosition {
            by_kind: PieceKind::ALL.map(|kind| position.kind_bitboard(kind)),
            by_color: [
                position.color_bitboard(Color::White),
                position.color_bitboard(Color::Black),
            ],
            repetitions,
        }
    }

    pub fn pieces(&self, color: Color, kind: PieceKind) -> Bitboard {
        self.by_kind[kind.index()] & self.by_color[color.index()]
    }
}

/// Why a game ended. Codes ([`Outcome::code`]) are shared with the WGSL rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The side to move is mated: a loss for it.
    Checkmate,
    Stalemate,
    InsufficientMaterial,
    /// 100 half-moves without a capture or pawn move.
    FiftyMoveRule,
    /// The position occurred for the third time.
    ThreefoldRepetition,
    /// The configured ply cap was reached.
    PlyCap,
}

impl Outcome {
    /// 1 checkmate, 2 stalemate, 3 insufficient material, 4 fifty-move rule, 5 threefold
    /// repetition, 6 ply cap (0 means the game goes on).
    pub fn code(self) -> u32 {
        match self {
            Outcome::Checkmate => 1,
            Outcome::Stalemate => 2,
            Outcome::InsufficientMaterial => 3,
            Outcome::FiftyMoveRule => 4,
            Outcome::ThreefoldRepetition => 5,
            Outcome::PlyCap => 6,
        }
    }

    /// The value for the side to move: −1 when mated, else 0.
    pub fn value(self) -> f32 {
        match self {
            Outcome::Checkmate => -1.0,
            _ => 0.0,
        }
    }
}

/// A game from a start position, with history.
#[derive(Clone, Debug)]
pub struct ChessGame {
    start: Position,
    position: Position,
    /// `history[i]` is the key of the position before move `i`.
    history: Vec<u64>,
    /// The positions before the last [`PAST_POSITIONS`] moves, most recent first (only the
    /// first min(ply, [`PAST_POSITIONS`]) are real).
    past: [PastPosition; PAST_POSITIONS],
    moves: Vec<Move>,
    ply_cap: u32,
}

impl Default for ChessGame {
    fn default() -> Self {
        ChessGame::new(Position::starting())
    }
}

impl ChessGame {
    /// A game starting at `start`, with the default ply cap.
    pub fn new(start: Position) -> ChessGame {
        ChessGame {
            position: start.clone(),
            start,
            history: Vec::new(),
            past: [PastPosition::default(); PAST_POSITIONS],
            moves: Vec::new(),
            ply_cap: DEFAULT_PLY_CAP,
        }
    }

    pub fn from_fen(fen: &str) -> Result<ChessGame, ChessError> {
        Ok(ChessGame::new(Position::from_fen(fen)?))
    }

    /// Sets the number of plies after which the game is a draw (at least 1).
    pub fn with_ply_cap(mut self, ply_cap: u32) -> ChessGame {
        self.ply_cap = ply_cap.max(1);
        self
    }

    pub fn ply_cap(&self) -> u32 {
        self.ply_cap
    }

    pub fn position(&self) -> &Position {
        &self.position
    }

    pub fn start(&self) -> &Position {
        &self.start
    }

    /// The moves played so far.
    pub fn moves(&self) -> &[Move] {
        &self.moves
    }

    /// Plies played since the start position.
    pub fn ply(&self) -> u32 {
        self.moves.len() as u32
    }

    /// Keys of the earlier positions, oldest first (`history()[i]` before move `i`).
    pub fn history(&self) -> &[u64] {
        &self.history
    }

    /// The placements of the positions before the last min(ply, [`PAST_POSITIONS`]) moves,
    /// most recent first, each with its repetition count at the time. Positions before the
    /// game's start are unknown (a game from a FEN has none).
    pub fn past_positions(&self) -> &[PastPosition] {
        &self.past[..self.moves.len().min(PAST_POSITIONS)]
    }

    pub fn legal_moves(&self) -> MoveList {
        legal_moves(&self.position)
    }

    /// How often the current position has occurred in this game, this time included. Only
    /// positions with the same side to move since the last capture or pawn move can match.
    pub fn repetition_count(&self) -> u32 {
        let reach = (self.position.halfmove_clock() as usize).min(self.history.len());
        let key = self.position.key();
        1 + (2..=reach)
            .step_by(2)
            .filter(|&back| self.history[self.history.len() - back] == key)
            .count() as u32
    }

    /// Why the game is over, if it is. Checkmate and stalemate come first (a mating move
    /// wins even on the 100th half-move), then the draws.
    pub fn outcome(&self) -> Option<Outcome> {
        self.outcome_with_ply_cap(self.ply_cap)
    }

    /// [`ChessGame::outcome`] as if the ply cap were `ply_cap`.
    pub fn outcome_with_ply_cap(&self, ply_cap: u32) -> Option<Outcome> {
        if count_legal_moves(&self.position) == 0 {
            return Some(if self.position.in_check() {
                Outcome::Checkmate
            } else {
                Outcome::Stalemate
            });
        }
        if self.position.insufficient_material() {
            Some(Outcome::InsufficientMaterial)
        } else if self.position.halfmove_clock() >= 100 {
            Some(Outcome::FiftyMoveRule)
        } else if self.repetition_count() >= 3 {
            Some(Outcome::ThreefoldRepetition)
        } else if self.ply() >= ply_cap {
            Some(Outcome::PlyCap)
        } else {
            None
        }
    }

    /// Plays `chess_move` if it is legal and the game is not over.
    pub fn play(&mut self, chess_move: Move) -> Result<(), GameError> {
        if self.outcome().is_some() {
            return Err(GameError::GameOver);
        }
        if !self.legal_moves().contains(&chess_move) {
            return Err(GameError::IllegalAction {
                action: encoding::action_of(chess_move, self.position.side_to_move()),
                legal: self.describe_legal_actions(),
            });
        }
        self.play_unchecked(chess_move);
        Ok(())
    }

    /// Plays a move known to be legal in a game known not to be over.
    pub fn play_unchecked(&mut self, chess_move: Move) {
        self.past.copy_within(..PAST_POSITIONS - 1, 1);
        self.past[0] = PastPosition::new(&self.position, self.repetition_count());
        self.history.push(self.position.key());
        self.moves.push(chess_move);
        self.position = self.position.play(chess_move);
    }

    fn describe_legal_actions(&self) -> String {
        let mover = self.position.side_to_move();
        let mut actions: Vec<(usize, Move)> = self
            .legal_moves()
            .iter()
            .map(|&m| (encoding::action_of(m, mover), m))
            .collect();
        actions.sort_unstable();
        actions
            .iter()
            .map(|(action, m)| format!("{action} ({})", super::notation::uci(*m)))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl GameState for ChessGame {
    fn num_actions(&self) -> usize {
        NUM_ACTIONS
    }

    fn moves_played(&self) -> u32 {
        self.ply()
    }

    fn to_move(&self) -> u8 {
        match self.position.side_to_move() {
            Color::White => 0,
            Color::Black => 1,
        }
    }

    fn legal_mask(&self, mask: &mut [bool]) {
        mask.fill(false);
        if self.outcome().is_some() {
            return;
        }
        let mover = self.position.side_to_move();
        for &chess_move in self.legal_moves().iter() {
            mask[encoding::action_of(chess_move, mover)] = true;
        }
    }

    fn apply(&mut self, action: usize) -> Result<(), GameError> {
        if self.outcome().is_some() {
            return Err(GameError::GameOver);
        }
        let legal = self.legal_moves();
        let chosen = encoding::move_of(action, &self.position).filter(|m| legal.contains(m));
        match chosen {
            Some(chess_move) => {
                self.play_unchecked(chess_move);
                Ok(())
            }
            None => Err(GameError::IllegalAction {
                action,
                legal: self.describe_legal_actions(),
            }),
        }
    }

    fn terminal_value(&self) -> Option<f32> {
        self.outcome().map(Outcome::value)
    }

    fn observation_len(&self) -> usize {
        OBSERVATION_LEN
    }

    fn write_observation(&self, out: &mut [f32]) {
        encoding::write_observation(self, out);
    }
}
