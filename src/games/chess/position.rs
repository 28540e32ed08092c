//! A chess position as bitboards, and playing a move on it.
//!
//! The en-passant square is kept only when an en-passant capture is legal (as python-chess
//! writes FEN by default), so two positions are the same position for the repetition rule
//! exactly when they are equal here apart from the clocks, and the Zobrist key can include
//! the en-passant file unconditionally.

use super::attacks::{
    bishop_attacks, king_attacks, knight_attacks, pawn_attacks, queen_attacks, rook_attacks,
};
use super::bitboard::{
    Bitboard, Color, Piece, PieceKind, Square, Squares, bit, file_of, shift_east, shift_north,
    shift_south, shift_west,
};
use super::zobrist;

/// Castling right bits of [`Position::castling_rights`].
pub const WHITE_KINGSIDE: u8 = 1;
pub const WHITE_QUEENSIDE: u8 = 2;
pub const BLACK_KINGSIDE: u8 = 4;
pub const BLACK_QUEENSIDE: u8 = 8;

/// Squares of one colour (a1 is dark).
pub const DARK_SQUARES: Bitboard = 0xAA55_AA55_AA55_AA55;

/// A move: from, to, and the piece a pawn promotes to. Castling is the king's two-square
/// move (e1g1), en passant the pawn's diagonal move to the empty square.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Move {
    pub from: Square,
    pub to: Square,
    pub promotion: Option<PieceKind>,
}

impl Move {
    pub const fn new(from: Square, to: Square) -> Move {
        Move {
            from,
            to,
            promotion: None,
        }
    }
}

/// Piece placement, side to move, castling rights, en-passant square and clocks, with the
/// Zobrist key kept up to date.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Position {
    pub(super) by_kind: [Bitboard; 6],
    pub(super) by_color: [Bitboard; 2],
    pub(super) side_to_move: Color,
    pub(super) castling: u8,
    pub(super) en_passant: Option<Square>,
    pub(super) halfmove_clock: u32,
    pub(super) fullmove_number: u32,
    pub(super) key: u64,
}

/// The rights that survive a move touching `square` (the king or a rook leaving or being
/// captured on its original square).
fn castling_kept_after_touching(square: Square) -> u8 {
    match square {
        0 => !WHITE_QUEENSIDE,
        4 => !(WHITE_KINGSIDE | WHITE_QUEENSIDE),
        7 => !WHITE_KINGSIDE,
        56 => !BLACK_QUEENSIDE,
        60 => !(BLACK_KINGSIDE | BLACK_QUEENSIDE),
        63 => !BLACK_KINGSIDE,
        _ => 0xf,
    }
}

impl Position {
    /// The standard starting position.
    pub fn starting() -> Position {
        let pawns = 0x00ff_0000_0000_ff00;
        let knights = 0x4200_0000_0000_0042;
        let bishops = 0x2400_0000_0000_0024;
        let rooks = 0x8100_0000_0000_0081;
        let queens = 0x0800_0000_0000_0008;
        let kings = 0x1000_0000_0000_0010;
        let mut position = Position {
            by_kind: [pawns, knights, bishops, rooks, queens, kings],
            by_color: [0xffff, 0xffff << 48],
            side_to_move: Color::White,
            castling: 0xf,
            en_passant: None,
            halfmove_clock: 0,
            fullmove_number: 1,
            key: 0,
        };
        position.key = position.compute_key();
        position
    }

    /// An empty board, white to move, no rights: the start for FEN parsing.
    pub(super) fn empty() -> Position {
        Position {
            by_kind: [0; 6],
            by_color: [0; 2],
            side_to_move: Color::White,
            castling: 0,
            en_passant: None,
            halfmove_clock: 0,
            fullmove_number: 1,
            key: 0,
        }
    }

    pub fn side_to_move(&self) -> Color {
        self.side_to_move
    }

    /// Bits [`WHITE_KINGSIDE`] | [`WHITE_QUEENSIDE`] | [`BLACK_KINGSIDE`] | [`BLACK_QUEENSIDE`].
    pub fn castling_rights(&self) -> u8 {
        self.castling
    }

    /// The square a pawn could capture en passant onto, only when such a capture is legal.
    pub fn en_passant(&self) -> Option<Square> {
        self.en_passant
    }

    /// Half-moves since the last capture or pawn move (the 50-move rule's counter).
    pub fn halfmove_clock(&self) -> u32 {
        self.halfmove_clock
    }

    pub fn fullmove_number(&self) -> u32 {
        self.fullmove_number
    }

    /// The Zobrist key (see [`zobrist`]).
    pub fn key(&self) -> u64 {
        self.key
    }

    pub fn pieces(&self, color: Color, kind: PieceKind) -> Bitboard {
        self.by_kind[kind.index()] & self.by_color[color.index()]
    }

    pub fn kind_bitboard(&self, kind: PieceKind) -> Bitboard {
        self.by_kind[kind.index()]
    }

    pub fn color_bitboard(&self, color: Color) -> Bitboard {
        self.by_color[color.index()]
    }

    pub fn occupied(&self) -> Bitboard {
        self.by_color[0] | self.by_color[1]
    }

    pub fn kind_at(&self, square: Square) -> Option<PieceKind> {
        PieceKind::ALL
            .into_iter()
            .find(|kind| self.by_kind[kind.index()] & bit(square) != 0)
    }

    pub fn piece_at(&self, square: Square) -> Option<Piece> {
        let kind = self.kind_at(square)?;
        let color = if self.by_color[0] & bit(square) != 0 {
            Color::White
        } else {
            Color::Black
        };
        Some(Piece { color, kind })
    }

    /// The king of `color`; the position always has exactly one per side.
    pub fn king_square(&self, color: Color) -> Square {
        self.pieces(color, PieceKind::King).trailing_zeros() as Square
    }

    pub(super) fn put(&mut self, piece: Piece, square: Square) {
        self.by_kind[piece.kind.index()] |= bit(square);
        self.by_color[piece.color.index()] |= bit(square);
        self.key ^= zobrist::piece_key(piece.color, piece.kind, square);
    }

    fn remove(&mut self, piece: Piece, square: Square) {
        self.by_kind[piece.kind.index()] &= !bit(square);
        self.by_color[piece.color.index()] &= !bit(square);
        self.key ^= zobrist::piece_key(piece.color, piece.kind, square);
    }

    /// Pieces of either colour attacking `square` given the occupancy `occupied`.
    pub fn attackers_to(&self, square: Square, occupied: Bitboard) -> Bitboard {
        let diagonal =
            self.by_kind[PieceKind::Bishop.index()] | self.by_kind[PieceKind::Queen.index()];
        let straight =
            self.by_kind[PieceKind::Rook.index()] | self.by_kind[PieceKind::Queen.index()];
        (pawn_attacks(Color::White, square) & self.pieces(Color::Black, PieceKind::Pawn))
            | (pawn_attacks(Color::Black, square) & self.pieces(Color::White, PieceKind::Pawn))
            | (knight_attacks(square) & self.by_kind[PieceKind::Knight.index()])
            | (king_attacks(square) & self.by_kind[PieceKind::King.index()])
            | (bishop_attacks(square, occupied) & diagonal)
            | (rook_attacks(square, occupied) & straight)
    }

    /// The enemy pieces giving check to the side to move.
    pub fn checkers(&self) -> Bitboard {
        let us = self.side_to_move;
        self.attackers_to(self.king_square(us), self.occupied()) & self.by_color[us.other().index()]
    }

    pub fn in_check(&self) -> bool {
        self.checkers() != 0
    }

    /// Every square `color` attacks, with `occupied` as the blockers.
    pub fn attacked_squares(&self, color: Color, occupied: Bitboard) -> Bitboard {
        let pawns = self.pieces(color, PieceKind::Pawn);
        let forward = match color {
            Color::White => shift_north(pawns),
            Color::Black => shift_south(pawns),
        };
        let mut attacked = shift_east(forward) | shift_west(forward);
        for from in Squares(self.pieces(color, PieceKind::Knight)) {
            attacked |= knight_attacks(from);
        }
        for from in Squares(self.pieces(color, PieceKind::Bishop)) {
            attacked |= bishop_attacks(from, occupied);
        }
        for from in Squares(self.pieces(color, PieceKind::Rook)) {
            attacked |= rook_attacks(from, occupied);
        }
        for from in Squares(self.pieces(color, PieceKind::Queen)) {
            attacked |= queen_attacks(from, occupied);
        }
        attacked | king_attacks(self.king_square(color))
    }

    /// Whether the side to move may capture en passant from `from` onto `target` without
    /// leaving its king attacked (the captured pawn and the capturer both leave their
    /// squares, which can open a rank or diagonal to the king).
    pub fn en_passant_capture_is_legal(&self, from: Square, target: Square) -> bool {
        let us = self.side_to_move;
        let them = us.other();
        let captured = match us {
            Color::White => target - 8,
            Color::Black => target + 8,
        };
        let occupied = (self.occupied() ^ bit(from) ^ bit(captured)) | bit(target);
        let king = self.king_square(us);
        let enemies = self.by_color[them.index()] & !bit(captured);
        self.attackers_to(king, occupied) & enemies == 0
    }

    /// True when neither side can ever mate: no pawns, rooks or queens, and either at most
    /// one minor piece in total or only bishops, all on squares of one colour.
    pub fn insufficient_material(&self) -> bool {
        let heavy_or_pawns = self.by_kind[PieceKind::Pawn.index()]
            | self.by_kind[PieceKind::Rook.index()]
            | self.by_kind[PieceKind::Queen.index()];
        if heavy_or_pawns != 0 {
            return false;
        }
        let knights = self.by_kind[PieceKind::Knight.index()];
        let bishops = self.by_kind[PieceKind::Bishop.index()];
        if (knights | bishops).count_ones() <= 1 {
            return true;
        }
        knights == 0 && (bishops & DARK_SQUARES == 0 || bishops & !DARK_SQUARES == 0)
    }

    /// The key recomputed from scratch (the incremental one must always equal it).
    pub fn compute_key(&self) -> u64 {
        let mut key = 0;
        for color in [Color::White, Color::Black] {
            for kind in PieceKind::ALL {
                for square in Squares(self.pieces(color, kind)) {
                    key ^= zobrist::piece_key(color, kind, square);
                }
            }
        }
        if self.side_to_move == Color::Black {
            key ^= zobrist::side_key();
        }
        key ^= zobrist::castling_key(self.castling);
        if let Some(square) = self.en_passant {
            key ^= zobrist::en_passant_key(file_of(square));
        }
        key
    }

    /// The en-passant square after a double push that crossed `skipped`, if the side now
    /// to move has a legal en-passant capture there.
    pub(super) fn legal_en_passant_target(&self, skipped: Square) -> Option<Square> {
        let us = self.side_to_move;
        let capturers = pawn_attacks(us.other(), skipped) & self.pieces(us, PieceKind::Pawn);
        Squares(capturers)
            .any(|from| self.en_passant_capture_is_legal(from, skipped))
            .then_some(skipped)
    }

    /// The position after the legal move `chess_move` (not checked for legality).
    pub fn play(&self, chess_move: Move) -> Position {
        let mut next = self.clone();
        let us = self.side_to_move;
        let them = us.other();
        let Move {
            from,
            to,
            promotion,
        } = chess_move;
        let Some(kind) = self.kind_at(from) else {
            return next;
        };
        let mover = Piece { color: us, kind };
        let captured = self.kind_at(to);
        next.remove(mover, from);
        if let Some(captured) = captured {
            next.remove(
                Piece {
                    color: them,
                    kind: captured,
                },
                to,
            );
        }
        let placed = Piece {
            color: us,
            kind: promotion.unwrap_or(kind),
        };
        next.put(placed, to);
        let mut irreversible = captured.is_some() || kind == PieceKind::Pawn;
        if kind == PieceKind::Pawn && self.en_passant == Some(to) {
            let victim = match us {
                Color::White => to - 8,
                Color::Black => to + 8,
            };
            next.remove(
                Piece {
                    color: them,
                    kind: PieceKind::Pawn,
                },
                victim,
            );
        }
        if kind == PieceKind::King && from.abs_diff(to) == 2 {
            let (rook_from, rook_to) = if to > from {
                (from + 3, from + 1)
            } else {
                (from - 4, from - 1)
            };
            let rook = Piece {
                color: us,
                kind: PieceKind::Rook,
            };
            next.remove(rook, rook_from);
            next.put(rook, rook_to);
        }
        let castling =
            self.castling & castling_kept_after_touching(from) & castling_kept_after_touching(to);
        next.key ^= zobrist::castling_key(self.castling ^ castling);
        next.castling = castling;
        if let Some(square) = self.en_passant {
            next.key ^= zobrist::en_passant_key(file_of(square));
        }
        next.en_passant = None;
        next.side_to_move = them;
        next.key ^= zobrist::side_key();
        if kind == PieceKind::Pawn && from.abs_diff(to) == 16 {
            let skipped = (from + to) / 2;
            if let Some(square) = next.legal_en_passant_target(skipped) {
                next.en_passant = Some(square);
                next.key ^= zobrist::en_passant_key(file_of(square));
            }
        }
        if promotion.is_some() {
            irreversible = true;
        }
        next.halfmove_clock = if irreversible {
            0
        } else {
            self.halfmove_clock + 1
        };
        if us == Color::Black {
            next.fullmove_number += 1;
        }
        next
    }
}
