//! Attack sets: precomputed tables for pawns, knights and kings, magic bitboards for the
//! sliders, and the `between` / `line` masks used for pins and checks.
//!
//! The magic multipliers are searched for once per process with a fixed seed (a few
//! milliseconds) and every table entry is checked against ray stepping when it is filled,
//! so a bad multiplier cannot go unnoticed.

use std::sync::OnceLock;

use super::bitboard::{Bitboard, Color, Square, Squares, bit, file_of, rank_of};

const ROOK_DIRECTIONS: [(i8, i8); 4] = [(0, 1), (1, 0), (0, -1), (-1, 0)];
const BISHOP_DIRECTIONS: [(i8, i8); 4] = [(1, 1), (1, -1), (-1, -1), (-1, 1)];
const KNIGHT_STEPS: [(i8, i8); 8] = [
    (1, 2),
    (2, 1),
    (2, -1),
    (1, -2),
    (-1, -2),
    (-2, -1),
    (-2, 1),
    (-1, 2),
];
const KING_STEPS: [(i8, i8); 8] = [
    (0, 1),
    (1, 1),
    (1, 0),
    (1, -1),
    (0, -1),
    (-1, -1),
    (-1, 0),
    (-1, 1),
];

/// The square `steps` (file, rank) away from `from`, if on the board.
fn offset(from: Square, (file_step, rank_step): (i8, i8)) -> Option<Square> {
    let file = file_of(from) as i8 + file_step;
    let rank = rank_of(from) as i8 + rank_step;
    ((0..8).contains(&file) && (0..8).contains(&rank)).then(|| (file + 8 * rank) as Square)
}

/// Slider attacks by stepping each ray until it leaves the board or hits `occupied`: the
/// slow reference the magic tables are filled from and checked against.
pub fn ray_attacks(from: Square, occupied: Bitboard, directions: &[(i8, i8)]) -> Bitboard {
    let mut attacks = 0;
    for &direction in directions {
        let mut square = from;
        while let Some(next) = offset(square, direction) {
            attacks |= bit(next);
            if occupied & bit(next) != 0 {
                break;
            }
            square = next;
        }
    }
    attacks
}

/// One square's magic: `attacks[offset + ((occupied & mask) * magic) >> shift]`.
#[derive(Clone, Copy, Default)]
struct Magic {
    mask: Bitboard,
    magic: u64,
    shift: u32,
    offset: usize,
}

impl Magic {
    fn index(&self, occupied: Bitboard) -> usize {
        self.offset + ((occupied & self.mask).wrapping_mul(self.magic) >> self.shift) as usize
    }
}

struct Tables {
    knight: [Bitboard; 64],
    king: [Bitboard; 64],
    /// `[color][square]`: the squares a pawn of `color` on `square` attacks.
    pawn: [[Bitboard; 64]; 2],
    rook_magics: [Magic; 64],
    bishop_magics: [Magic; 64],
    slider_attacks: Vec<Bitboard>,
    /// `[a][b]`: the squares strictly between `a` and `b` on a shared line, else empty.
    between: Vec<Bitboard>,
    /// `[a][b]`: the whole board-wide line through `a` and `b` (both included), else empty.
    line: Vec<Bitboard>,
}

fn tables() -> &'static Tables {
    static TABLES: OnceLock<Tables> = OnceLock::new();
    TABLES.get_or_init(build_tables)
}

fn step_table(steps: &[(i8, i8)]) -> [Bitboard; 64] {
    let mut table = [0; 64];
    for (from, entry) in table.iter_mut().enumerate() {
        for &step in steps {
            if let Some(to) = offset(from as Square, step) {
                *entry |= bit(to);
            }
        }
    }
    table
}

/// Squares whose occupancy matters for a slider on `from`: each ray without its last square.
fn relevant_mask(from: Square, directions: &[(i8, i8)]) -> Bitboard {
    let mut mask = 0;
    for &direction in directions {
        let mut square = from;
        while let Some(next) = offset(square, direction) {
            if offset(next, direction).is_none() {
                break;
            }
            mask |= bit(next);
            square = next;
        }
    }
    mask
}

/// xorshift64*, only for the magic search.
struct SearchRandom(u64);

impl SearchRandom {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn sparse(&mut self) -> u64 {
        self.next() & self.next() & self.next()
    }
}

/// Finds a magic for every square and fills its slice of `attacks`.
fn build_magics(
    directions: &[(i8, i8)],
    attacks: &mut Vec<Bitboard>,
    random: &mut SearchRandom,
) -> [Magic; 64] {
    let mut magics = [Magic::default(); 64];
    for (from, magic) in magics.iter_mut().enumerate() {
        let from = from as Square;
        let mask = relevant_mask(from, directions);
        let bits = mask.count_ones();
        // Every subset of the mask (carry-rippler enumeration) with its true attack set.
        let mut occupancies = Vec::with_capacity(1 << bits);
        let mut subset: Bitboard = 0;
        loop {
            occupancies.push((subset, ray_attacks(from, subset, directions)));
            subset = subset.wrapping_sub(mask) & mask;
            if subset == 0 {
                break;
            }
        }
        let size = 1usize << bits;
        let offset = attacks.len();
        attacks.resize(offset + size, 0);
        let mut epoch = vec![0u32; size];
        let mut attempt = 0u32;
        'search: loop {
            attempt += 1;
            let candidate = Magic {
                mask,
                magic: random.sparse(),
                shift: 64 - bits,
                offset,
            };
            if (mask.wrapping_mul(candidate.magic) >> 56).count_ones() < 6 {
                continue;
            }
            for &(occupied, expected) in &occupancies {
                let slot = candidate.index(occupied) - offset;
                if epoch[slot] != attempt {
                    epoch[slot] = attempt;
                    attacks[offset + slot] = expected;
                } else if attacks[offset + slot] != expected {
                    continue 'search;
                }
            }
            *magic = candidate;
            break;
        }
    }
    magics
}

fn build_tables() -> Tables {
    let mut slider_attacks = Vec::new();
    let mut random = SearchRandom(0x9E37_79B9_7F4A_7C15);
    let rook_magics = build_magics(&ROOK_DIRECTIONS, &mut slider_attacks, &mut random);
    let bishop_magics = build_magics(&BISHOP_DIRECTIONS, &mut slider_attacks, &mut random);
    let mut pawn = [[0; 64]; 2];
    for from in 0..64u8 {
        for (color, rank_step) in [(0, 1), (1, -1)] {
            for file_step in [-1, 1] {
                if let Some(to) = offset(from, (file_step, rank_step)) {
                    pawn[color][from as usize] |= bit(to);
                }
            }
        }
    }
    let mut between = vec![0; 64 * 64];
    let mut line = vec![0; 64 * 64];
    for a in 0..64u8 {
        for directions in [&ROOK_DIRECTIONS, &BISHOP_DIRECTIONS] {
            let from_a = ray_attacks(a, 0, directions);
            for b in Squares(from_a) {
                let index = a as usize * 64 + b as usize;
                between[index] =
                    ray_attacks(a, bit(b), directions) & ray_attacks(b, bit(a), directions);
                line[index] = (from_a & ray_attacks(b, 0, directions)) | bit(a) | bit(b);
            }
        }
    }
    Tables {
        knight: step_table(&KNIGHT_STEPS),
        king: step_table(&KING_STEPS),
        pawn,
        rook_magics,
        bishop_magics,
        slider_attacks,
        between,
        line,
    }
}

/// Builds the tables now rather than on first use (keeps set-up out of timings).
pub fn warm_up() {
    tables();
}

pub fn knight_attacks(from: Square) -> Bitboard {
    tables().knight[from as usize]
}

pub fn king_attacks(from: Square) -> Bitboard {
    tables().king[from as usize]
}

/// The squares a pawn of `color` on `from` attacks (captures diagonally forward).
pub fn pawn_attacks(color: Color, from: Square) -> Bitboard {
    tables().pawn[color.index()][from as usize]
}

pub fn rook_attacks(from: Square, occupied: Bitboard) -> Bitboard {
    let tables = tables();
    tables.slider_attacks[tables.rook_magics[from as usize].index(occupied)]
}

pub fn bishop_attacks(from: Square, occupied: Bitboard) -> Bitboard {
    let tables = tables();
    tables.slider_attacks[tables.bishop_magics[from as usize].index(occupied)]
}

pub fn queen_attacks(from: Square, occupied: Bitboard) -> Bitboard {
    rook_attacks(from, occupied) | bishop_attacks(from, occupied)
}

/// Squares strictly between `a` and `b` if they share a rank, file or diagonal, else empty.
pub fn between(a: Square, b: Square) -> Bitboard {
    tables().between[a as usize * 64 + b as usize]
}

/// The full line through `a` and `b` (edge to edge) if they share one, else empty.
pub fn line(a: Square, b: Square) -> Bitboard {
    tables().line[a as usize * 64 + b as usize]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fixed pseudo-random walk over occupancies: magic lookups equal ray stepping.
    #[test]
    fn magic_lookups_equal_ray_stepping() {
        let mut random = SearchRandom(12345);
        for from in 0..64u8 {
            for _ in 0..200 {
                let occupied = random.next() & random.next();
                assert_eq!(
                    rook_attacks(from, occupied),
                    ray_attacks(from, occupied, &ROOK_DIRECTIONS)
                );
                assert_eq!(
                    bishop_attacks(from, occupied),
                    ray_attacks(from, occupied, &BISHOP_DIRECTIONS)
                );
            }
        }
    }

    #[test]
    fn step_tables_match_hand_counts() {
        assert_eq!(knight_attacks(0).count_ones(), 2);
        assert_eq!(knight_attacks(27).count_ones(), 8);
        assert_eq!(king_attacks(0).count_ones(), 3);
        assert_eq!(king_attacks(27).count_ones(), 8);
        assert_eq!(pawn_attacks(Color::White, 8), bit(17));
        assert_eq!(pawn_attacks(Color::Black, 12), bit(3) | bit(5));
    }

    #[test]
    fn between_and_line_masks() {
        // a1 and h8 share the long diagonal.
        assert_eq!(between(0, 63).count_ones(), 6);
        assert_eq!(line(0, 63), 0x8040_2010_0804_0201);
        assert_eq!(between(0, 1), 0);
        assert_eq!(line(0, 1), 0xff);
        // a1 and b3 share no line.
        assert_eq!(between(0, 17), 0);
        assert_eq!(line(0, 17), 0);
    }
}
