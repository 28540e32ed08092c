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
use super::game::ChessGame;
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

/// Observation planes: 12 piece planes, 2 repetition planes, colour, 4 castling planes and
/// the no-progress counter (see [`write_observation`]).
pub const OBSERVATION_PLANES: usize = 20;
pub const OBSERVATION_LEN: usize = OBSERVATION_PLANES * 64;

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
/// (`[OBSERVATION_PLANES][8 ranks][8 files]`, rank 0 = the mover's first rank):
/// planes 0–5 the mover's P N B R Q K, 6–11 the opponent's, 12 all ones if the position
/// occurred at least twice (this time included), 13 at least three times, 14 all ones if
/// black is to move, 15/16 the mover's king-/queen-side castling right, 17/18 the
/// opponent's, 19 the halfmove clock × 0.01.
pub fn write_observation(game: &ChessGame, out: &mut [f32]) {
    out[..OBSERVATION_LEN].fill(0.0);
    let position = game.position();
    let mover = position.side_to_move();
    for (side, color) in [mover, mover.other()].into_iter().enumerate() {
        for kind in PieceKind::ALL {
            let plane = side * 6 + kind.index();
            let mut pieces = position.pieces(color, kind);
            while pieces != 0 {
                let square = pieces.trailing_zeros() as Square;
                pieces &= pieces - 1;
                out[plane * 64 + oriented(square, mover) as usize] = 1.0;
            }
        }
    }
    let repetitions = game.repetition_count();
    let rights = position.castling_rights();
    let (own_king, own_queen, their_king, their_queen) = match mover {
        Color::White => (
            WHITE_KINGSIDE,
            WHITE_QUEENSIDE,
            BLACK_KINGSIDE,
            BLACK_QUEENSIDE,
        ),
        Color::Black => (
            BLACK_KINGSIDE,
            BLACK_QUEENSIDE,
            WHITE_KINGSIDE,
            WHITE_QUEENSIDE,
        ),
    };
    let constant_planes = [
        (12, repetitions >= 2),
        (13, repetitions >= 3),
        (14, mover == Color::Black),
        (15, rights & own_king != 0),
        (16, rights & own_queen != 0),
        (17, rights & their_king != 0),
        (18, rights & their_queen != 0),
    ];
    for (plane, on) in constant_planes {
        if on {
            out[plane * 64..(plane + 1) * 64].fill(1.0);
        }
    }
    let no_progress = position.halfmove_clock() as f32 * 0.01;
    out[19 * 64..20 * 64].fill(no_progress);
}
