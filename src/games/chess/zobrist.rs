//! Zobrist keys: a position's 64-bit key is the XOR of one pseudo-random key per feature
//! (each piece on its square, black to move, each castling right, the en-passant file).
//!
//! Feature keys are not a stored random table but a fixed integer hash of the feature index
//! (`lowbias32`, two calls for the two halves), so the WGSL rules compute identical keys
//! on the fly without binding a table (`shaders/games/chess/zobrist.wgsl`).
//!
//! Feature indices: piece `(color × 6 + kind) × 64 + square` (0–767), black to move 768,
//! castling right bit `i` 769 + i, en-passant file `f` 773 + f.

use super::bitboard::{Color, PieceKind, Square};

pub const SIDE_FEATURE: u32 = 768;
pub const CASTLING_FEATURE: u32 = 769;
pub const EN_PASSANT_FEATURE: u32 = 773;
pub const FEATURE_COUNT: usize = 781;

/// Chris Wellons' `lowbias32` integer hash (a bijection on `u32`).
pub const fn lowbias32(mut x: u32) -> u32 {
    x ^= x >> 16;
    x = x.wrapping_mul(0x7feb_352d);
    x ^= x >> 15;
    x = x.wrapping_mul(0x846c_a68b);
    x ^= x >> 16;
    x
}

/// The key of feature `index`: low half `lowbias32(2i + 0x5EED)`, high half
/// `lowbias32(2i + 0x5EEE)`. Distinct for every feature because `lowbias32` is a bijection.
pub const fn feature_key(index: u32) -> u64 {
    let low = lowbias32(index.wrapping_mul(2).wrapping_add(0x5EED)) as u64;
    let high = lowbias32(index.wrapping_mul(2).wrapping_add(0x5EEE)) as u64;
    low | (high << 32)
}

const fn build_keys() -> [u64; FEATURE_COUNT] {
    let mut keys = [0; FEATURE_COUNT];
    let mut index = 0;
    while index < FEATURE_COUNT {
        keys[index] = feature_key(index as u32);
        index += 1;
    }
    keys
}

static KEYS: [u64; FEATURE_COUNT] = build_keys();

pub fn piece_key(color: Color, kind: PieceKind, square: Square) -> u64 {
    KEYS[(color.index() * 6 + kind.index()) * 64 + square as usize]
}

pub fn side_key() -> u64 {
    KEYS[SIDE_FEATURE as usize]
}

/// XOR of the keys of every castling right bit set in `rights` (4 bits).
pub fn castling_key(rights: u8) -> u64 {
    (0..4)
        .filter(|bit| rights & (1 << bit) != 0)
        .fold(0, |key, bit| key ^ KEYS[CASTLING_FEATURE as usize + bit])
}

pub fn en_passant_key(file: u8) -> u64 {
    KEYS[EN_PASSANT_FEATURE as usize + file as usize]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feature_keys_are_distinct_in_both_halves() {
        let mut halves: Vec<u32> = KEYS
            .iter()
            .flat_map(|&key| [key as u32, (key >> 32) as u32])
            .collect();
        halves.sort_unstable();
        halves.dedup();
        assert_eq!(halves.len(), 2 * FEATURE_COUNT);
    }
}
