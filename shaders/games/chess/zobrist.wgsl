// Chess WGSL library, part 3: Zobrist keys, computed on the fly exactly as the Rust rules
// do (src/games/chess/zobrist.rs): the key of feature i is
// (lowbias32(2i + 0x5EED), lowbias32(2i + 0x5EEE)) as (low, high) halves of a u64.
// Features: piece (color * 6 + kind) * 64 + square, black to move 768, castling bit i
// 769 + i, en-passant file f 773 + f.

const CHESS_SIDE_FEATURE: u32 = 768u;
const CHESS_CASTLING_FEATURE: u32 = 769u;
const CHESS_EN_PASSANT_FEATURE: u32 = 773u;

fn chess_lowbias32(value: u32) -> u32 {
    var x = value;
    x ^= x >> 16u;
    x *= 0x7feb352du;
    x ^= x >> 15u;
    x *= 0x846ca68bu;
    x ^= x >> 16u;
    return x;
}

fn chess_feature_key(index: u32) -> vec2<u32> {
    return vec2<u32>(chess_lowbias32(index * 2u + 0x5EEDu), chess_lowbias32(index * 2u + 0x5EEEu));
}

// `color` 0 white / 1 black, `kind` 0 pawn ... 5 king.
fn chess_piece_key(color: u32, kind: u32, square: u32) -> vec2<u32> {
    return chess_feature_key((color * 6u + kind) * 64u + square);
}

// XOR of the keys of the castling-right bits set in `rights` (4 bits).
fn chess_castling_key(rights: u32) -> vec2<u32> {
    var key = CHESS_EMPTY;
    for (var index = 0u; index < 4u; index += 1u) {
        if ((rights >> index) & 1u) != 0u {
            key ^= chess_feature_key(CHESS_CASTLING_FEATURE + index);
        }
    }
    return key;
}
