//! Move notation: UCI long algebraic (`e2e4`, `e7e8q`, castling as the king's move `e1g1`)
//! and Standard Algebraic Notation (`Nf3`, `exd5`, `O-O`, `e8=Q#`).

use super::ChessError;
use super::bitboard::{PieceKind, Square, file_of, parse_square, rank_of, square_name};
use super::movegen::{count_legal_moves, legal_moves};
use super::position::{Move, Position};

/// The UCI text of a move.
pub fn uci(chess_move: Move) -> String {
    let mut text = square_name(chess_move.from) + &square_name(chess_move.to);
    if let Some(kind) = chess_move.promotion {
        text.push(kind.letter());
    }
    text
}

fn notation_error(text: &str, reason: impl Into<String>) -> ChessError {
    ChessError::Notation {
        text: text.to_owned(),
        reason: reason.into(),
    }
}

/// Reads a UCI move and checks that it is legal in `position`.
pub fn parse_uci(position: &Position, text: &str) -> Result<Move, ChessError> {
    let trimmed = text.trim();
    let squares = trimmed.get(0..2).zip(trimmed.get(2..4));
    let Some((Some(from), Some(to))) = squares.map(|(a, b)| (parse_square(a), parse_square(b)))
    else {
        return Err(notation_error(
            text,
            "a UCI move is two squares and an optional promotion letter, like e2e4 or e7e8q",
        ));
    };
    let promotion = match trimmed.get(4..) {
        None | Some("") => None,
        Some(letter) => match letter {
            "q" | "r" | "b" | "n" => letter.chars().next().and_then(PieceKind::from_letter),
            _ => {
                return Err(notation_error(
                    text,
                    "the promotion letter must be one of q r b n",
                ));
            }
        },
    };
    let chess_move = Move {
        from,
        to,
        promotion,
    };
    if legal_moves(position).contains(&chess_move) {
        Ok(chess_move)
    } else {
        Err(notation_error(text, "not a legal move in this position"))
    }
}

fn piece_letter(kind: PieceKind) -> char {
    kind.letter().to_ascii_uppercase()
}

/// The SAN text of the legal move `chess_move` in `position`, with `+` or `#`.
pub fn san(position: &Position, chess_move: Move) -> String {
    let Some(kind) = position.kind_at(chess_move.from) else {
        return uci(chess_move);
    };
    let Move {
        from,
        to,
        promotion,
    } = chess_move;
    let mut text = String::new();
    if kind == PieceKind::King && from.abs_diff(to) == 2 {
        text.push_str(if to > from { "O-O" } else { "O-O-O" });
    } else {
        let capture = position.kind_at(to).is_some()
            || (kind == PieceKind::Pawn && file_of(from) != file_of(to));
        if kind == PieceKind::Pawn {
            if capture {
                text.push((b'a' + file_of(from)) as char);
            }
        } else {
            text.push(piece_letter(kind));
            text.push_str(&disambiguation(position, kind, from, to));
        }
        if capture {
            text.push('x');
        }
        text.push_str(&square_name(to));
        if let Some(promoted) = promotion {
            text.push('=');
            text.push(piece_letter(promoted));
        }
    }
    let next = position.play(chess_move);
    if next.in_check() {
        text.push(if count_legal_moves(&next) == 0 {
            '#'
        } else {
            '+'
        });
    }
    text
}

/// File, rank or both of the origin when another piece of the same kind can also reach `to`.
fn disambiguation(position: &Position, kind: PieceKind, from: Square, to: Square) -> String {
    let rivals: Vec<Square> = legal_moves(position)
        .iter()
        .filter(|m| m.to == to && m.from != from && position.kind_at(m.from) == Some(kind))
        .map(|m| m.from)
        .collect();
    if rivals.is_empty() {
        return String::new();
    }
    let file = (b'a' + file_of(from)) as char;
    let rank = (b'1' + rank_of(from)) as char;
    if rivals.iter().all(|&r| file_of(r) != file_of(from)) {
        file.to_string()
    } else if rivals.iter().all(|&r| rank_of(r) != rank_of(from)) {
        rank.to_string()
    } else {
        format!("{file}{rank}")
    }
}

/// SAN without check marks, annotations or the promotion '=' (and zeros read as letter O).
fn normalize_san(text: &str) -> String {
    text.trim()
        .trim_end_matches(['+', '#', '!', '?'])
        .replace('0', "O")
        .replace('=', "")
}

/// Reads a SAN move (check marks and `!?` annotations optional) legal in `position`.
pub fn parse_san(position: &Position, text: &str) -> Result<Move, ChessError> {
    let wanted = normalize_san(text);
    legal_moves(position)
        .iter()
        .copied()
        .find(|&m| normalize_san(&san(position, m)) == wanted)
        .ok_or_else(|| notation_error(text, "no legal move in this position has this SAN"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn position(fen: &str) -> Position {
        Position::from_fen(fen).unwrap()
    }

    #[test]
    fn san_of_known_moves() {
        let start = Position::starting();
        assert_eq!(san(&start, parse_uci(&start, "g1f3").unwrap()), "Nf3");
        assert_eq!(san(&start, parse_uci(&start, "e2e4").unwrap()), "e4");
        // Fool's mate.
        let fools = position("rnbqkbnr/pppp1ppp/8/4p3/6P1/5P2/PPPPP2P/RNBQKBNR b KQkq - 0 2");
        assert_eq!(san(&fools, parse_uci(&fools, "d8h4").unwrap()), "Qh4#");
        // Both knights reach d2 from different files; both rooks reach a4 from one file.
        let ambiguous = position("4k3/8/8/R7/8/8/8/RN2KN2 w - - 0 1");
        assert_eq!(san(&ambiguous, Move::new(1, 11)), "Nbd2");
        assert_eq!(san(&ambiguous, Move::new(32, 24)), "R5a4");
        let castle = position("r3k2r/8/8/8/8/8/8/R3K2R w KQkq - 0 1");
        assert_eq!(san(&castle, Move::new(4, 6)), "O-O");
        assert_eq!(san(&castle, Move::new(4, 2)), "O-O-O");
        let promote = position("8/1P6/8/8/8/8/8/k1K5 w - - 0 1");
        let underpromotion = Move {
            from: 49,
            to: 57,
            promotion: Some(PieceKind::Knight),
        };
        assert_eq!(san(&promote, underpromotion), "b8=N");
        let en_passant = position("4k3/8/8/3pP3/8/8/8/4K3 w - d6 0 1");
        assert_eq!(san(&en_passant, Move::new(36, 43)), "exd6");
    }

    #[test]
    fn parse_round_trips_every_legal_move() {
        let kiwipete =
            position("r3k2r/p1ppqpb1/bn2pnp1/3PN3/1p2P3/2N2Q1p/PPPBBPPP/R3K2R w KQkq - 0 1");
        for &m in legal_moves(&kiwipete).iter() {
            assert_eq!(parse_san(&kiwipete, &san(&kiwipete, m)).unwrap(), m);
            assert_eq!(parse_uci(&kiwipete, &uci(m)).unwrap(), m);
        }
    }

    #[test]
    fn bad_notation_is_an_error() {
        let start = Position::starting();
        assert!(parse_uci(&start, "e2e5").is_err());
        assert!(parse_uci(&start, "e2").is_err());
        assert!(parse_uci(&start, "e7e8x").is_err());
        assert!(parse_san(&start, "Nf6").is_err());
        assert_eq!(parse_san(&start, "Nf3!?").unwrap(), Move::new(6, 21));
    }
}
