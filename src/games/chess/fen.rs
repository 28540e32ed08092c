//! Forsyth–Edwards Notation: reading (with an error naming the bad field) and writing.

use std::fmt;

use super::ChessError;
use super::bitboard::{
    Color, Piece, PieceKind, RANK_1, RANK_8, Square, bit, parse_square, rank_of, square,
    square_name,
};
use super::position::{BLACK_KINGSIDE, BLACK_QUEENSIDE, Position, WHITE_KINGSIDE, WHITE_QUEENSIDE};

/// FEN of the standard starting position.
pub const STARTING_FEN: &str = "rnbqkbnr/pppppppp/8/8/8/8/PPPPPPPP/RNBQKBNR w KQkq - 0 1";

/// The six fields of a FEN record, for error messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FenField {
    /// The whole record (wrong number of fields).
    Record,
    Placement,
    SideToMove,
    Castling,
    EnPassant,
    HalfmoveClock,
    FullmoveNumber,
}

impl fmt::Display for FenField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FenField::Record => "the record",
            FenField::Placement => "field 1 (piece placement)",
            FenField::SideToMove => "field 2 (side to move)",
            FenField::Castling => "field 3 (castling rights)",
            FenField::EnPassant => "field 4 (en-passant square)",
            FenField::HalfmoveClock => "field 5 (halfmove clock)",
            FenField::FullmoveNumber => "field 6 (fullmove number)",
        })
    }
}

fn error(field: FenField, message: impl Into<String>) -> ChessError {
    ChessError::Fen {
        field,
        message: message.into(),
    }
}

/// (right bit, FEN letter, king square, rook square)
const CASTLING: [(u8, char, Square, Square); 4] = [
    (WHITE_KINGSIDE, 'K', 4, 7),
    (WHITE_QUEENSIDE, 'Q', 4, 0),
    (BLACK_KINGSIDE, 'k', 60, 63),
    (BLACK_QUEENSIDE, 'q', 60, 56),
];

impl Position {
    /// Reads a FEN record. The clocks (fields 5 and 6) may be left out (0 and 1). An
    /// en-passant square is kept only when an en-passant capture is legal.
    pub fn from_fen(fen: &str) -> Result<Position, ChessError> {
        let fields: Vec<&str> = fen.split_whitespace().collect();
        if !(4..=6).contains(&fields.len()) {
            return Err(error(
                FenField::Record,
                format!(
                    "expected 6 space-separated fields (placement, side, castling, en passant, \
                     halfmove clock, fullmove number), found {}",
                    fields.len()
                ),
            ));
        }
        let mut position = Position::empty();
        parse_placement(fields[0], &mut position)?;
        position.side_to_move = match fields[1] {
            "w" => Color::White,
            "b" => Color::Black,
            other => {
                return Err(error(
                    FenField::SideToMove,
                    format!("{other:?} must be \"w\" or \"b\""),
                ));
            }
        };
        position.castling = parse_castling(fields[2], &position)?;
        let en_passant = parse_en_passant(fields[3], &position)?;
        if let Some(text) = fields.get(4) {
            position.halfmove_clock = text.parse().map_err(|_| {
                error(
                    FenField::HalfmoveClock,
                    format!("{text:?} must be a non-negative integer"),
                )
            })?;
        }
        if let Some(text) = fields.get(5) {
            position.fullmove_number = match text.parse::<u32>() {
                Ok(number) if number >= 1 => number,
                _ => {
                    return Err(error(
                        FenField::FullmoveNumber,
                        format!("{text:?} must be a positive integer"),
                    ));
                }
            };
        }
        let us = position.side_to_move;
        let them = us.other();
        let their_king = position.king_square(them);
        if position.attackers_to(their_king, position.occupied()) & position.color_bitboard(us) != 0
        {
            return Err(error(
                FenField::SideToMove,
                format!(
                    "{} to move, but the {} king is already in check",
                    color_name(us),
                    color_name(them)
                ),
            ));
        }
        position.en_passant =
            en_passant.and_then(|target| position.legal_en_passant_target(target));
        position.key = position.compute_key();
        Ok(position)
    }

    /// Writes the position as FEN (the en-passant square only when a capture there is legal).
    pub fn to_fen(&self) -> String {
        let mut placement = String::new();
        for rank in (0..8).rev() {
            let mut empty = 0;
            for file in 0..8 {
                match self.piece_at(square(file, rank)) {
                    Some(piece) => {
                        if empty > 0 {
                            placement.push_str(&empty.to_string());
                            empty = 0;
                        }
                        placement.push(piece.letter());
                    }
                    None => empty += 1,
                }
            }
            if empty > 0 {
                placement.push_str(&empty.to_string());
            }
            if rank > 0 {
                placement.push('/');
            }
        }
        let side = match self.side_to_move {
            Color::White => "w",
            Color::Black => "b",
        };
        let castling: String = CASTLING
            .iter()
            .filter(|(right, ..)| self.castling & right != 0)
            .map(|&(_, letter, ..)| letter)
            .collect();
        let castling = if castling.is_empty() {
            "-".to_owned()
        } else {
            castling
        };
        let en_passant = self.en_passant.map_or("-".to_owned(), square_name);
        format!(
            "{placement} {side} {castling} {en_passant} {} {}",
            self.halfmove_clock, self.fullmove_number
        )
    }
}

fn color_name(color: Color) -> &'static str {
    match color {
        Color::White => "white",
        Color::Black => "black",
    }
}

fn parse_placement(text: &str, position: &mut Position) -> Result<(), ChessError> {
    let ranks: Vec<&str> = text.split('/').collect();
    if ranks.len() != 8 {
        return Err(error(
            FenField::Placement,
            format!("{text:?} has {} ranks separated by '/', not 8", ranks.len()),
        ));
    }
    for (row, rank_text) in ranks.iter().enumerate() {
        let rank = 7 - row as u8;
        let mut file = 0u32;
        for symbol in rank_text.chars() {
            if let Some(skip) = symbol.to_digit(10).filter(|&d| (1..=8).contains(&d)) {
                file += skip;
            } else if let Some(kind) = PieceKind::from_letter(symbol) {
                let color = if symbol.is_ascii_uppercase() {
                    Color::White
                } else {
                    Color::Black
                };
                if file < 8 {
                    position.put(Piece { color, kind }, square(file as u8, rank));
                }
                file += 1;
            } else {
                return Err(error(
                    FenField::Placement,
                    format!(
                        "{symbol:?} in rank {} is neither a piece letter (PNBRQK pnbrqk) nor a \
                         digit 1-8",
                        rank + 1
                    ),
                ));
            }
        }
        if file != 8 {
            return Err(error(
                FenField::Placement,
                format!(
                    "rank {} ({rank_text:?}) describes {file} squares, not 8",
                    rank + 1
                ),
            ));
        }
    }
    for color in [Color::White, Color::Black] {
        let kings = position.pieces(color, PieceKind::King).count_ones();
        if kings != 1 {
            return Err(error(
                FenField::Placement,
                format!(
                    "{} has {kings} kings; exactly one is needed",
                    color_name(color)
                ),
            ));
        }
    }
    if position.kind_bitboard(PieceKind::Pawn) & (RANK_1 | RANK_8) != 0 {
        return Err(error(
            FenField::Placement,
            "a pawn stands on the first or last rank",
        ));
    }
    Ok(())
}

fn parse_castling(text: &str, position: &Position) -> Result<u8, ChessError> {
    if text == "-" {
        return Ok(0);
    }
    let mut rights = 0;
    for symbol in text.chars() {
        let Some(&(right, _, king, rook)) = CASTLING.iter().find(|entry| entry.1 == symbol) else {
            return Err(error(
                FenField::Castling,
                format!("{symbol:?} in {text:?} is not one of K Q k q (or \"-\" for none)"),
            ));
        };
        if rights & right != 0 {
            return Err(error(
                FenField::Castling,
                format!("{symbol:?} appears twice in {text:?}"),
            ));
        }
        let color = if symbol.is_ascii_uppercase() {
            Color::White
        } else {
            Color::Black
        };
        let king_home = position.pieces(color, PieceKind::King) & bit(king) != 0;
        let rook_home = position.pieces(color, PieceKind::Rook) & bit(rook) != 0;
        if !king_home || !rook_home {
            return Err(error(
                FenField::Castling,
                format!(
                    "right {symbol:?} needs the {} king on {} and a rook on {}",
                    color_name(color),
                    square_name(king),
                    square_name(rook)
                ),
            ));
        }
        rights |= right;
    }
    Ok(rights)
}

fn parse_en_passant(text: &str, position: &Position) -> Result<Option<Square>, ChessError> {
    if text == "-" {
        return Ok(None);
    }
    let Some(target) = parse_square(text) else {
        return Err(error(
            FenField::EnPassant,
            format!("{text:?} is not a square like \"e3\" (or \"-\" for none)"),
        ));
    };
    let us = position.side_to_move;
    let (expected_rank, pushed, origin) = match us {
        Color::White => (5, target.wrapping_sub(8), target.wrapping_add(8)),
        Color::Black => (2, target.wrapping_add(8), target.wrapping_sub(8)),
    };
    if rank_of(target) != expected_rank {
        return Err(error(
            FenField::EnPassant,
            format!(
                "{text} is not on rank {} where {} could capture en passant",
                expected_rank + 1,
                color_name(us)
            ),
        ));
    }
    let pushed_pawn = position.pieces(us.other(), PieceKind::Pawn) & bit(pushed) != 0;
    let path_empty = position.occupied() & (bit(target) | bit(origin)) == 0;
    if !pushed_pawn || !path_empty {
        return Err(error(
            FenField::EnPassant,
            format!(
                "{text} needs a {} pawn on {} that just moved two squares from {}",
                color_name(us.other()),
                square_name(pushed),
                square_name(origin)
            ),
        ));
    }
    Ok(Some(target))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(fen: &str) -> FenField {
        match Position::from_fen(fen) {
            Err(ChessError::Fen { field, .. }) => field,
            other => panic!("{fen:?} should be rejected, got {other:?}"),
        }
    }

    #[test]
    fn round_trips_known_positions() {
        for fen in [
            STARTING_FEN,
            "r3k2r/p1ppqpb1/bn2pnp1/3PN3/1p2P3/2N2Q1p/PPPBBPPP/R3K2R w KQkq - 0 1",
            "8/2p5/3p4/KP5r/1R3p1k/8/4P1P1/8 w - - 0 1",
            "rnbq1k1r/pp1Pbppp/2p5/8/2B5/8/PPP1NnPP/RNBQK2R w KQ - 1 8",
            "rnbqkbnr/ppp1p1pp/8/3pPp2/8/8/PPPP1PPP/RNBQKBNR w KQkq f6 0 3",
        ] {
            assert_eq!(Position::from_fen(fen).unwrap().to_fen(), fen);
        }
        assert_eq!(
            Position::from_fen(STARTING_FEN).unwrap(),
            Position::starting()
        );
    }

    #[test]
    fn an_en_passant_square_without_a_legal_capture_is_dropped() {
        let position =
            Position::from_fen("rnbqkbnr/pppp1ppp/8/4p3/8/8/PPPPPPPP/RNBQKBNR w KQkq e6 0 2")
                .unwrap();
        assert_eq!(position.en_passant(), None);
        assert!(position.to_fen().contains(" - 0 2"));
    }

    #[test]
    fn each_bad_field_is_named() {
        let start = "rnbqkbnr/pppppppp/8/8/8/8/PPPPPPPP/RNBQKBNR";
        assert_eq!(
            field_of("rnbqkbnr/pppppppp w KQkq - 0 1"),
            FenField::Placement
        );
        assert_eq!(
            field_of(&format!("{start}X w KQkq - 0 1")),
            FenField::Placement
        );
        assert_eq!(
            field_of("rnbqkbnr/pppppppp/8/8/8/8/PPPPPPPP/RNBQ1BNR w kq - 0 1"),
            FenField::Placement
        );
        assert_eq!(
            field_of(&format!("{start} x KQkq - 0 1")),
            FenField::SideToMove
        );
        assert_eq!(
            field_of(&format!("{start} w KQkx - 0 1")),
            FenField::Castling
        );
        assert_eq!(
            field_of("rnbqkbn1/pppppppp/8/8/8/8/PPPPPPPP/RNBQKBNR w KQkq - 0 1"),
            FenField::Castling
        );
        assert_eq!(
            field_of(&format!("{start} w KQkq e4 0 1")),
            FenField::EnPassant
        );
        assert_eq!(
            field_of(&format!("{start} w KQkq e6 0 1")),
            FenField::EnPassant
        );
        assert_eq!(
            field_of(&format!("{start} w KQkq - x 1")),
            FenField::HalfmoveClock
        );
        assert_eq!(
            field_of(&format!("{start} w KQkq - 0 0")),
            FenField::FullmoveNumber
        );
        assert_eq!(field_of(&format!("{start} w")), FenField::Record);
        // Black in check with white to move cannot arise.
        assert_eq!(
            field_of("4k3/4R3/8/8/8/8/8/4K3 w - - 0 1"),
            FenField::SideToMove
        );
    }

    #[test]
    fn the_message_names_the_field() {
        let message = Position::from_fen("8/8/8/8/8/8/8/8 w - - 0 1")
            .unwrap_err()
            .to_string();
        assert!(message.contains("field 1 (piece placement)"), "{message}");
    }
}
