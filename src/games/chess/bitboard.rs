//! Squares, colours, piece kinds and 64-bit bitboards.
//!
//! Squares are numbered a1 = 0, b1 = 1, …, h1 = 7, a2 = 8, …, h8 = 63 (file + 8 × rank), and
//! bit `s` of a bitboard is square `s`. The WGSL rules use the same numbering with a bitboard
//! split into two `u32` halves (`x` = squares 0–31, `y` = squares 32–63).

/// A square index, 0 (a1) to 63 (h8).
pub type Square = u8;

/// A set of squares, bit `s` for square `s`.
pub type Bitboard = u64;

pub const FILE_A: Bitboard = 0x0101_0101_0101_0101;
pub const FILE_H: Bitboard = FILE_A << 7;
pub const RANK_1: Bitboard = 0xff;
pub const RANK_8: Bitboard = RANK_1 << 56;

/// The square on `file` (0 = a) and `rank` (0 = rank 1).
pub const fn square(file: u8, rank: u8) -> Square {
    file + 8 * rank
}

pub const fn file_of(square: Square) -> u8 {
    square & 7
}

pub const fn rank_of(square: Square) -> u8 {
    square >> 3
}

/// The bitboard holding only `square`.
pub const fn bit(square: Square) -> Bitboard {
    1 << square
}

/// The square as seen from the other side of the board (a1 ↔ a8): vertical flip.
pub const fn flip_vertical(square: Square) -> Square {
    square ^ 56
}

/// Name of a square, "a1" … "h8".
pub fn square_name(square: Square) -> String {
    let file = (b'a' + file_of(square)) as char;
    let rank = (b'1' + rank_of(square)) as char;
    format!("{file}{rank}")
}

/// Parses "a1" … "h8".
pub fn parse_square(text: &str) -> Option<Square> {
    let bytes = text.as_bytes();
    if bytes.len() != 2 {
        return None;
    }
    let file = bytes[0].wrapping_sub(b'a');
    let rank = bytes[1].wrapping_sub(b'1');
    (file < 8 && rank < 8).then(|| square(file, rank))
}

/// Iterates the squares of a bitboard, lowest first.
#[derive(Clone, Copy)]
pub struct Squares(pub Bitboard);

impl Iterator for Squares {
    type Item = Square;

    fn next(&mut self) -> Option<Square> {
        if self.0 == 0 {
            return None;
        }
        let square = self.0.trailing_zeros() as Square;
        self.0 &= self.0 - 1;
        Some(square)
    }
}

/// The side to move or the owner of a piece. `White = 0`, `Black = 1`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Color {
    White = 0,
    Black = 1,
}

impl Color {
    pub const fn other(self) -> Color {
        match self {
            Color::White => Color::Black,
            Color::Black => Color::White,
        }
    }

    pub const fn index(self) -> usize {
        self as usize
    }
}

/// A piece without its colour, in the order used by bitboard arrays, Zobrist keys and
/// observation planes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PieceKind {
    Pawn = 0,
    Knight = 1,
    Bishop = 2,
    Rook = 3,
    Queen = 4,
    King = 5,
}

impl PieceKind {
    pub const ALL: [PieceKind; 6] = [
        PieceKind::Pawn,
        PieceKind::Knight,
        PieceKind::Bishop,
        PieceKind::Rook,
        PieceKind::Queen,
        PieceKind::King,
    ];

    pub const fn index(self) -> usize {
        self as usize
    }

    /// Lower-case letter as in UCI promotions and black FEN pieces: p n b r q k.
    pub const fn letter(self) -> char {
        match self {
            PieceKind::Pawn => 'p',
            PieceKind::Knight => 'n',
            PieceKind::Bishop => 'b',
            PieceKind::Rook => 'r',
            PieceKind::Queen => 'q',
            PieceKind::King => 'k',
        }
    }

    /// The kind named by a letter of either case.
    pub fn from_letter(letter: char) -> Option<PieceKind> {
        PieceKind::ALL
            .into_iter()
            .find(|kind| kind.letter() == letter.to_ascii_lowercase())
    }
}

/// A coloured piece.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Piece {
    pub color: Color,
    pub kind: PieceKind,
}

impl Piece {
    /// FEN letter: upper case for white.
    pub fn letter(self) -> char {
        match self.color {
            Color::White => self.kind.letter().to_ascii_uppercase(),
            Color::Black => self.kind.letter(),
        }
    }
}

/// Shifts a bitboard one step in a compass direction, dropping squares that leave the board.
pub const fn shift_north(board: Bitboard) -> Bitboard {
    board << 8
}

pub const fn shift_south(board: Bitboard) -> Bitboard {
    board >> 8
}

pub const fn shift_east(board: Bitboard) -> Bitboard {
    (board & !FILE_H) << 1
}

pub const fn shift_west(board: Bitboard) -> Bitboard {
    (board & !FILE_A) >> 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn square_names_round_trip() {
        for s in 0..64u8 {
            assert_eq!(parse_square(&square_name(s)), Some(s));
        }
        assert_eq!(square_name(0), "a1");
        assert_eq!(square_name(63), "h8");
        assert_eq!(parse_square("i1"), None);
        assert_eq!(parse_square("a9"), None);
        assert_eq!(parse_square("a"), None);
    }

    #[test]
    fn squares_iterates_lowest_first() {
        let squares: Vec<Square> = Squares(bit(3) | bit(40) | bit(63)).collect();
        assert_eq!(squares, vec![3, 40, 63]);
    }

    #[test]
    fn shifts_drop_squares_leaving_the_board() {
        assert_eq!(shift_east(bit(7)), 0);
        assert_eq!(shift_west(bit(8)), 0);
        assert_eq!(shift_north(bit(63)), 0);
        assert_eq!(shift_east(bit(0)), bit(1));
    }
}
