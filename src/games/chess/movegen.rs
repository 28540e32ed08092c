//! Legal move generation with pins and check evasion, no make-and-test: the king never
//! steps onto an attacked square, pinned pieces move only along their pin line, a check is
//! answered only by capturing or blocking the checker (or by the king; a double check only
//! by the king), en passant is verified by removing both pawns, and castling needs empty
//! squares between and no attacked square on the king's path.
//!
//! One generator feeds two sinks: a move list, and a bare counter that adds whole target
//! sets by popcount (bulk counting for perft and the random playout twin).

use super::attacks::{
    between, bishop_attacks, king_attacks, knight_attacks, line, pawn_attacks, rook_attacks,
};
use super::bitboard::{
    Bitboard, Color, PieceKind, RANK_1, RANK_8, Square, Squares, bit, shift_east, shift_north,
    shift_south, shift_west,
};
use super::position::{
    BLACK_KINGSIDE, BLACK_QUEENSIDE, Move, Position, WHITE_KINGSIDE, WHITE_QUEENSIDE,
};

const PROMOTION_RANKS: Bitboard = RANK_1 | RANK_8;

/// The most legal moves any chess position has is 218.
pub const MAX_MOVES: usize = 256;

/// A fixed-capacity list of moves (no allocation in the perft hot loop).
#[derive(Clone)]
pub struct MoveList {
    moves: [Move; MAX_MOVES],
    len: usize,
}

impl Default for MoveList {
    fn default() -> Self {
        MoveList {
            moves: [Move::new(0, 0); MAX_MOVES],
            len: 0,
        }
    }
}

impl MoveList {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn as_slice(&self) -> &[Move] {
        &self.moves[..self.len]
    }

    pub fn iter(&self) -> std::slice::Iter<'_, Move> {
        self.as_slice().iter()
    }

    pub fn contains(&self, chess_move: &Move) -> bool {
        self.as_slice().contains(chess_move)
    }

    fn push(&mut self, chess_move: Move) {
        self.moves[self.len] = chess_move;
        self.len += 1;
    }
}

/// Receives the legal moves: whole target sets per origin square, or single moves.
trait Sink {
    /// Non-pawn moves from `from` to each square of `targets`.
    fn piece_moves(&mut self, from: Square, targets: Bitboard);
    /// Pawn moves to each square of `targets`, each from `to + from_offset`; moves onto the
    /// last rank are four promotions each.
    fn pawn_moves(&mut self, targets: Bitboard, from_offset: i8);
    fn single(&mut self, chess_move: Move);
}

const PROMOTIONS: [PieceKind; 4] = [
    PieceKind::Queen,
    PieceKind::Rook,
    PieceKind::Bishop,
    PieceKind::Knight,
];

impl Sink for MoveList {
    fn piece_moves(&mut self, from: Square, targets: Bitboard) {
        for to in Squares(targets) {
            self.push(Move::new(from, to));
        }
    }

    fn pawn_moves(&mut self, targets: Bitboard, from_offset: i8) {
        for to in Squares(targets) {
            let from = (to as i8 + from_offset) as Square;
            if PROMOTION_RANKS & bit(to) != 0 {
                for promotion in PROMOTIONS {
                    self.push(Move {
                        from,
                        to,
                        promotion: Some(promotion),
                    });
                }
            } else {
                self.push(Move::new(from, to));
            }
        }
    }

    fn single(&mut self, chess_move: Move) {
        self.push(chess_move);
    }
}

/// Counts moves without listing them.
struct Counter(u64);

impl Sink for Counter {
    fn piece_moves(&mut self, _from: Square, targets: Bitboard) {
        self.0 += u64::from(targets.count_ones());
    }

    fn pawn_moves(&mut self, targets: Bitboard, _from_offset: i8) {
        self.0 += u64::from(targets.count_ones())
            + 3 * u64::from((targets & PROMOTION_RANKS).count_ones());
    }

    fn single(&mut self, _chess_move: Move) {
        self.0 += 1;
    }
}

/// Every legal move of `position`.
pub fn legal_moves(position: &Position) -> MoveList {
    let mut list = MoveList::default();
    generate(position, &mut list);
    list
}

/// The number of legal moves of `position`, without listing them.
pub fn count_legal_moves(position: &Position) -> u64 {
    let mut counter = Counter(0);
    generate(position, &mut counter);
    counter.0
}

/// Pieces of the side to move pinned to its king, and the checkers.
pub fn pins_and_checkers(position: &Position) -> (Bitboard, Bitboard) {
    let us = position.side_to_move();
    let them = us.other();
    let own = position.color_bitboard(us);
    let enemy = position.color_bitboard(them);
    let occupied = own | enemy;
    let king = position.king_square(us);
    let checkers = position.attackers_to(king, occupied) & enemy;
    let queens = position.pieces(them, PieceKind::Queen);
    let snipers = (rook_attacks(king, enemy) & (position.pieces(them, PieceKind::Rook) | queens))
        | (bishop_attacks(king, enemy) & (position.pieces(them, PieceKind::Bishop) | queens));
    let mut pinned = 0;
    for sniper in Squares(snipers) {
        let blockers = between(king, sniper) & occupied;
        if blockers.count_ones() == 1 && blockers & own != 0 {
            pinned |= blockers;
        }
    }
    (pinned, checkers)
}

fn generate(position: &Position, sink: &mut impl Sink) {
    let us = position.side_to_move();
    let them = us.other();
    let own = position.color_bitboard(us);
    let enemy = position.color_bitboard(them);
    let occupied = own | enemy;
    let king = position.king_square(us);

    let danger = position.attacked_squares(them, occupied ^ bit(king));
    sink.piece_moves(king, king_attacks(king) & !own & !danger);

    let (pinned, checkers) = pins_and_checkers(position);
    if checkers.count_ones() > 1 {
        return;
    }
    let allowed = if checkers == 0 {
        !own
    } else {
        between(king, checkers.trailing_zeros() as Square) | checkers
    };

    for from in Squares(position.pieces(us, PieceKind::Knight) & !pinned) {
        sink.piece_moves(from, knight_attacks(from) & allowed);
    }
    let queens = position.pieces(us, PieceKind::Queen);
    for from in Squares(position.pieces(us, PieceKind::Bishop) | queens) {
        let mut targets = bishop_attacks(from, occupied) & allowed;
        if pinned & bit(from) != 0 {
            targets &= line(king, from);
        }
        sink.piece_moves(from, targets);
    }
    for from in Squares(position.pieces(us, PieceKind::Rook) | queens) {
        let mut targets = rook_attacks(from, occupied) & allowed;
        if pinned & bit(from) != 0 {
            targets &= line(king, from);
        }
        sink.piece_moves(from, targets);
    }

    generate_pawn_moves(position, sink, pinned, allowed, king);

    if let Some(target) = position.en_passant() {
        let capturers = pawn_attacks(them, target) & position.pieces(us, PieceKind::Pawn);
        for from in Squares(capturers) {
            if position.en_passant_capture_is_legal(from, target) {
                sink.single(Move::new(from, target));
            }
        }
    }

    if checkers == 0 {
        generate_castling(position, sink, occupied, danger);
    }
}

fn generate_pawn_moves(
    position: &Position,
    sink: &mut impl Sink,
    pinned: Bitboard,
    allowed: Bitboard,
    king: Square,
) {
    let us = position.side_to_move();
    let enemy = position.color_bitboard(us.other());
    let empty = !position.occupied();
    let pawns = position.pieces(us, PieceKind::Pawn);
    let free = pawns & !pinned;
    let (forward, up, double_rank): (fn(Bitboard) -> Bitboard, i8, Bitboard) = match us {
        Color::White => (shift_north, 8, RANK_1 << 16),
        Color::Black => (shift_south, -8, RANK_8 >> 16),
    };
    let single = forward(free) & empty;
    let double = forward(single & double_rank) & empty;
    sink.pawn_moves(single & allowed, -up);
    sink.pawn_moves(double & allowed, -2 * up);
    let ahead = forward(free);
    sink.pawn_moves(shift_west(ahead) & enemy & allowed, 1 - up);
    sink.pawn_moves(shift_east(ahead) & enemy & allowed, -1 - up);

    for from in Squares(pawns & pinned) {
        let pin_line = line(king, from) & allowed;
        let mut targets = pawn_attacks(us, from) & enemy;
        let one = forward(bit(from)) & empty;
        targets |= one | (forward(one & double_rank) & empty);
        for to in Squares(targets & pin_line) {
            sink.pawn_moves(bit(to), from as i8 - to as i8);
        }
    }
}

fn generate_castling(
    position: &Position,
    sink: &mut impl Sink,
    occupied: Bitboard,
    danger: Bitboard,
) {
    let rights = position.castling_rights();
    let (kingside, queenside, base) = match position.side_to_move() {
        Color::White => (WHITE_KINGSIDE, WHITE_QUEENSIDE, 0),
        Color::Black => (BLACK_KINGSIDE, BLACK_QUEENSIDE, 56),
    };
    let king = base + 4;
    if rights & kingside != 0 {
        let path = bit(base + 5) | bit(base + 6);
        if occupied & path == 0 && danger & path == 0 {
            sink.single(Move::new(king, base + 6));
        }
    }
    if rights & queenside != 0 {
        let empty_needed = bit(base + 1) | bit(base + 2) | bit(base + 3);
        let safe_needed = bit(base + 2) | bit(base + 3);
        if occupied & empty_needed == 0 && danger & safe_needed == 0 {
            sink.single(Move::new(king, base + 2));
        }
    }
}
