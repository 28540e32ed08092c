//! The AlphaZero encoding: 4672 actions (8 × 8 origin squares × 73 move types) and the
//! observation planes, both seen from the side to move (the board is flipped vertically
//! for black, so "forward" is always towards rank 8). docs/CHESS.md has the tables.
//!
//! Action `a = origin × 73 + move_type`, with `origin = file + 8 × rank` in the mover's view:
//! - move types 0–55: queen-direction moves, `direction × 7 + (distance − 1)`, directions
//!   N, NE, E, SE, S, SW, W, NW (N = forward). Queen promotions are these moves.
//! - 56–63: knight moves (file, rank) steps (1,2) (2,1) (2,−1) (1,−2) (−1,−2) (−2,−1)
//!   (−2,1) (−1,2).
//! - 64–72: under-promotions `64 + 3 × direction + piece`, direction 0 = capture towards
//!   file − 1, 1 = straight, 2 = capture towards file + 1; piece 0 knight, 1 bishop, 2 rook.

use super::bitboard::{Color, PieceKind, Square, file_of, flip_vertical, rank_of, square};
use super::game::{ChessGame, PAST_POSITIONS, PastPosition};
use super::position::{
    BLACK_KINGSIDE, BLACK_QUEENSIDE, Move, Position, WHITE_KINGSIDE, WHITE_QUEENSIDE,
};

/// 8 × 8 × 73.
pub const NUM_ACTIONS: usize = 4672;
pub const MOVE_TYPES: usize = 73;

/// (file, rank) steps of the eight queen directions, in move-type order.
pub const QUEEN_DIRECTIONS: [(i8, i8); 8] = [
    (0, 1),
    (1, 1),
    (1, 0),
    (1, -1),
    (0, -1),
    (-1, -1),
    (-1, 0),
    (-1, 1),
];

/// (file, rank) steps of the eight knight moves, in move-type order.
pub const KNIGHT_STEPS: [(i8, i8); 8] = [
    (1, 2),
    (2, 1),
    (2, -1),
    (1, -2),
    (-1, -2),
    (-2, -1),
    (-2, 1),
    (-1, 2),
];

/// Under-promotion pieces in move-type order.
pub const UNDERPROMOTIONS: [PieceKind; 3] = [PieceKind::Knight, PieceKind::Bishop, PieceKind::Rook];

/// History steps of the observation: the current position and the
/// [`PAST_POSITIONS`] before it, most recent first (AlphaZero's T = 8).
pub const HISTORY_STEPS: usize = PAST_POSITIONS + 1;
/// Planes per history step: the mover's P N B R Q K, the opponent's, and the two
/// repetition planes (that position occurred at least twice, at least three times).
pub const STEP_PLANES: usize = 14;
/// Planes after the history: colour, total move count, the mover's queen-/king-side
/// castling rights, the opponent's, and the no-progress counter.
pub const CONSTANT_PLANES: usize = 7;
/// AlphaZero's 8 × 8 × 119 input: 8 × 14 history planes and 7 constant planes (see
/// [`write_observation`]).
pub const OBSERVATION_PLANES: usize = HISTORY_STEPS * STEP_PLANES + CONSTANT_PLANES;
pub const OBSERVATION_LEN: usize = OBSERVATION_PLANES * 64;
/// The total-move-count plane holds the game's plies × this (1/512, pgx's scaling by
/// AlphaZero's 512-ply cap; a power of two, so the multiply is exact on every backend).
pub const MOVE_COUNT_SCALE: f32 = 1.0 / 512.0;
/// The no-progress plane holds the halfmove clock × this.
pub const NO_PROGRESS_SCALE: f32 = 0.01;

fn oriented(square: Square, mover: Color) -> Square {
    match mover {
        Color::White => square,
        Color::Black => flip_vertical(square),
    }
}

/// The action index of `chess_move` played by `mover`.
pub fn action_of(chess_move: Move, mover: Color) -> usize {
    let from = oriented(chess_move.from, mover);
    let to = oriented(chess_move.to, mover);
    let file_step = file_of(to) as i8 - file_of(from) as i8;
    let rank_step = rank_of(to) as i8 - rank_of(from) as i8;
    let move_type = match chess_move.promotion {
        Some(kind) if kind != PieceKind::Queen => {
            let piece = UNDERPROMOTIONS
                .iter()
                .position(|&candidate| candidate == kind)
                .unwrap_or(0);
            64 + 3 * (file_step + 1) as usize + piece
        }
        _ => {
            if let Some(knight) = KNIGHT_STEPS
                .iter()
                .position(|&step| step == (file_step, rank_step))
            {
                56 + knight
            } else {
                let distance = file_step.abs().max(rank_step.abs());
                let unit = (file_step.signum(), rank_step.signum());
                let direction = QUEEN_DIRECTIONS
                    .iter()
                    .position(|&step| step == unit)
                    .unwrap_or(0);
                direction * 7 + (distance as usize - 1)
            }
        }
    };
    from as usize * MOVE_TYPES + move_type
}

/// The move an action stands for in `position`, if it is on the board (not necessarily
/// legal). A queen-direction pawn move onto the last rank is a queen promotion.
pub fn move_of(action: usize, position: &Position) -> Option<Move> {
    if action >= NUM_ACTIONS {
        return None;
    }
    let mover = position.side_to_move();
    let from = (action / MOVE_TYPES) as Square;
    let move_type = action % MOVE_TYPES;
    let (step, promotion) = if move_type < 56 {
        let (file_step, rank_step) = QUEEN_DIRECTIONS[move_type / 7];
        let distance = (move_type % 7) as i8 + 1;
        ((file_step * distance, rank_step * distance), None)
    } else if move_type < 64 {
        (KNIGHT_STEPS[move_type - 56], None)
    } else {
        let index = move_type - 64;
        ((index as i8 / 3 - 1, 1), Some(UNDERPROMOTIONS[index % 3]))
    };
    let file = file_of(from) as i8 + step.0;
    let rank = rank_of(from) as i8 + step.1;
    if !(0..8).contains(&file) || !(0..8).contains(&rank) {
        return None;
    }
    let to = square(file as u8, rank as u8);
    let real_from = oriented(from, mover);
    let real_to = oriented(to, mover);
    let promotion = promotion.or_else(|| {
        let pawn = position.kind_at(real_from) == Some(PieceKind::Pawn);
        (pawn && rank == 7 && move_type < 56).then_some(PieceKind::Queen)
    });
    Some(Move {
        from: real_from,
        to: real_to,
        promotion,
    })
}

/// Writes the observation of `game` from the mover's view into `out`
/// (`[OBSERVATION_PLANES][8 ranks][8 files]`, rank 0 = the mover's first rank, the board
/// flipped vertically for black). Planes `14 t … 14 t + 13` are history step `t` (0 the
/// current position, `t` the position `t` plies earlier): the mover's P N B R Q K, the
/// opponent's (mover = the side to move now, in every step), then all ones if that position
/// had occurred at least twice, at least three times, when it was played from. Steps
/// before the game's start are zeros. Then 112 all ones if black is to move, 113 the plies
/// played × [`MOVE_COUNT_SCALE`], 114/115 the mover's queen-/king-side castling right,
/// 116/117 the opponent's, 118 the halfmove clock × [`NO_PROGRESS_SCALE`].
pub fn write_observation(game: &ChessGame, out: &mut [f32]) {
    out[..OBSERVATION_LEN].fill(0.0);
    let position = game.position();
    let mover = position.side_to_move();
    let current = PastPosition::new(position, game.repetition_count());
    let steps = std::iter::once(&current).chain(game.past_positions());
    for (step, past) in steps.enumerate() {
        write_step(
            past,
            mover,
            &mut out[step * STEP_PLANES * 64..][..STEP_PLANES * 64],
        );
    }
    let rights = position.castling_rights();
    let (own_queen, own_king, their_queen, their_king) = match mover {
        Color::White => (
            WHITE_QUEENSIDE,
            WHITE_KINGSIDE,
            BLACK_QUEENSIDE,
            BLACK_KINGSIDE,
        ),
        Color::Black => (
            BLACK_QUEENSIDE,
            BLACK_KINGSIDE,
            WHITE_QUEENSIDE,
            WHITE_KINGSIDE,
        ),
    };
    let first = HISTORY_STEPS * STEP_PLANES;
    let constant_planes = [
        flag(mover == Color::Black),
        game.ply() as f32 * MOVE_COUNT_SCALE,
        flag(rights & own_queen != 0),
        flag(rights & own_king != 0),
        flag(rights & their_queen != 0),
        flag(rights & their_king != 0),
        position.halfmove_clock() as f32 * NO_PROGRESS_SCALE,
    ];
    for (offset, value) in constant_planes.into_iter().enumerate() {
        let plane = first + offset;
        out[plane * 64..(plane + 1) * 64].fill(value);
    }
}

fn flag(on: bool) -> f32 {
    if on { 1.0 } else { 0.0 }
}

/// One history step's [`STEP_PLANES`] planes of `past`, seen by `mover`, into `out`
/// (zeroed).
fn write_step(past: &PastPosition, mover: Color, out: &mut [f32]) {
    for (side, color) in [mover, mover.other()].into_iter().enumerate() {
        for kind in PieceKind::ALL {
            let plane = side * 6 + kind.index();
            let mut pieces = past.pieces(color, kind);
            while pieces != 0 {
                let square = pieces.trailing_zeros() as Square;
                pieces &= pieces - 1;
                out[plane * 64 + oriented(square, mover) as usize] = 1.0;
            }
        }
    }
    for (plane, at_least) in [(12, 2), (13, 3)] {
        if past.repetitions >= at_least {
            out[plane * 64..(plane + 1) * 64].fill(1.0);
        }
    }
}
