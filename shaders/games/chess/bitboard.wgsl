// Chess WGSL library, part 1: 64-bit bitboards as vec2<u32>.
//
// WGSL has no 64-bit integers, so a bitboard is a vec2<u32>: x holds squares 0-31 (a1-h4),
// y squares 32-63 (a5-h8), bit s of the 64-bit value being square s = file + 8 * rank, as in
// the Rust rules (src/games/chess/bitboard.rs). Every name of the chess library starts
// with `chess_` so the library can be concatenated with other WGSL.

const CHESS_EMPTY: vec2<u32> = vec2<u32>(0u, 0u);
const CHESS_FULL: vec2<u32> = vec2<u32>(0xffffffffu, 0xffffffffu);
const CHESS_FILE_A: vec2<u32> = vec2<u32>(0x01010101u, 0x01010101u);
const CHESS_FILE_H: vec2<u32> = vec2<u32>(0x80808080u, 0x80808080u);
// Ranks 1 and 8, where pawns promote.
const CHESS_PROMOTION_RANKS: vec2<u32> = vec2<u32>(0x000000ffu, 0xff000000u);

fn chess_bit(square: u32) -> vec2<u32> {
    let word = 1u << (square & 31u);
    return select(vec2<u32>(word, 0u), vec2<u32>(0u, word), square >= 32u);
}

fn chess_any(board: vec2<u32>) -> bool {
    return (board.x | board.y) != 0u;
}

fn chess_has(board: vec2<u32>, square: u32) -> bool {
    let word = select(board.x, board.y, square >= 32u);
    return ((word >> (square & 31u)) & 1u) != 0u;
}

fn chess_count(board: vec2<u32>) -> u32 {
    return countOneBits(board.x) + countOneBits(board.y);
}

// Index of the lowest set square; meaningless for an empty board.
fn chess_lowest(board: vec2<u32>) -> u32 {
    return select(32u + firstTrailingBit(board.y), firstTrailingBit(board.x), board.x != 0u);
}

fn chess_without_lowest(board: vec2<u32>) -> vec2<u32> {
    if board.x != 0u {
        return vec2<u32>(board.x & (board.x - 1u), board.y);
    }
    return vec2<u32>(0u, board.y & (board.y - 1u));
}

// The n-th (0-based) set square of `board`, counting from the lowest.
fn chess_nth_square(board: vec2<u32>, n: u32) -> u32 {
    var rest = board;
    for (var skipped = 0u; skipped < n; skipped += 1u) {
        rest = chess_without_lowest(rest);
    }
    return chess_lowest(rest);
}

// 64-bit left shift by 0-63.
fn chess_shift_up(board: vec2<u32>, amount: u32) -> vec2<u32> {
    if amount >= 32u {
        return vec2<u32>(0u, board.x << (amount - 32u));
    }
    if amount == 0u {
        return board;
    }
    return vec2<u32>(board.x << amount, (board.y << amount) | (board.x >> (32u - amount)));
}

// 64-bit logical right shift by 0-63.
fn chess_shift_down(board: vec2<u32>, amount: u32) -> vec2<u32> {
    if amount >= 32u {
        return vec2<u32>(board.y >> (amount - 32u), 0u);
    }
    if amount == 0u {
        return board;
    }
    return vec2<u32>((board.x >> amount) | (board.y << (32u - amount)), board.y >> amount);
}

// 64-bit a - b (mod 2^64).
fn chess_subtract(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
    let borrow = select(0u, 1u, a.x < b.x);
    return vec2<u32>(a.x - b.x, a.y - b.y - borrow);
}

// Reverses all 64 bits (square s <-> square 63 - s).
fn chess_reverse(board: vec2<u32>) -> vec2<u32> {
    return vec2<u32>(reverseBits(board.y), reverseBits(board.x));
}

// One step towards rank 8 / rank 1 / file h / file a; squares leaving the board drop.
fn chess_north(board: vec2<u32>) -> vec2<u32> {
    return vec2<u32>(board.x << 8u, (board.y << 8u) | (board.x >> 24u));
}

fn chess_south(board: vec2<u32>) -> vec2<u32> {
    return vec2<u32>((board.x >> 8u) | (board.y << 24u), board.y >> 8u);
}

fn chess_east(board: vec2<u32>) -> vec2<u32> {
    let kept = board & ~CHESS_FILE_H;
    return vec2<u32>(kept.x << 1u, (kept.y << 1u) | (kept.x >> 31u));
}

fn chess_west(board: vec2<u32>) -> vec2<u32> {
    let kept = board & ~CHESS_FILE_A;
    return vec2<u32>((kept.x >> 1u) | (kept.y << 31u), kept.y >> 1u);
}

// Squares with index strictly below `square`.
fn chess_below(square: u32) -> vec2<u32> {
    if square >= 32u {
        return vec2<u32>(0xffffffffu, (1u << (square - 32u)) - 1u);
    }
    return vec2<u32>((1u << square) - 1u, 0u);
}
