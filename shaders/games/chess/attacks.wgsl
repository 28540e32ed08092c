// Chess WGSL library, part 2: attack sets without tables.
//
// Knights, kings and pawns attack by shifting whole bitboards. Sliders use hyperbola
// quintessence with a full 64-bit bit reversal (so it also works along ranks): along one
// line mask m through the slider s, attacks = ((o - s) ^ rev(rev(o) - rev(s))) & m with
// o = occupied & m, where m excludes s. Line masks are computed arithmetically. No lookup
// table is bound, so the library needs no bindings of its own.

// Set-wise knight attacks of every knight in `knights`.
fn chess_knight_attacks(knights: vec2<u32>) -> vec2<u32> {
    let west1 = chess_west(knights);
    let west2 = chess_west(west1);
    let east1 = chess_east(knights);
    let east2 = chess_east(east1);
    let one = west1 | east1;
    let two = west2 | east2;
    return chess_north(chess_north(one)) | chess_south(chess_south(one)) | chess_north(two)
        | chess_south(two);
}

// The squares a single king on `king` (one bit) attacks.
fn chess_king_attacks(king: vec2<u32>) -> vec2<u32> {
    let row = king | chess_east(king) | chess_west(king);
    return (row | chess_north(row) | chess_south(row)) & ~king;
}

// Set-wise attacks of pawns of one colour (`black` true for black pawns).
fn chess_pawn_attacks(pawns: vec2<u32>, black: bool) -> vec2<u32> {
    let forward = select(chess_north(pawns), chess_south(pawns), black);
    return chess_east(forward) | chess_west(forward);
}

fn chess_rank_mask(square: u32) -> vec2<u32> {
    let rank = square >> 3u;
    let word = 0xffu << ((rank & 3u) * 8u);
    return select(vec2<u32>(word, 0u), vec2<u32>(0u, word), rank >= 4u);
}

fn chess_file_mask(square: u32) -> vec2<u32> {
    let word = 0x01010101u << (square & 7u);
    return vec2<u32>(word, word);
}

// The a1-h8-parallel diagonal through `square`.
fn chess_diagonal_mask(square: u32) -> vec2<u32> {
    let long_diagonal = vec2<u32>(0x08040201u, 0x80402010u);
    let rank = square >> 3u;
    let file = square & 7u;
    if rank >= file {
        return chess_shift_up(long_diagonal, (rank - file) * 8u);
    }
    return chess_shift_down(long_diagonal, (file - rank) * 8u);
}

// The h1-a8-parallel anti-diagonal through `square`.
fn chess_anti_diagonal_mask(square: u32) -> vec2<u32> {
    let long_anti_diagonal = vec2<u32>(0x10204080u, 0x01020408u);
    let sum = (square >> 3u) + (square & 7u);
    if sum >= 7u {
        return chess_shift_up(long_anti_diagonal, (sum - 7u) * 8u);
    }
    return chess_shift_down(long_anti_diagonal, (7u - sum) * 8u);
}

// Slider attacks from `square` along the line `mask` (which contains `square`).
fn chess_line_attacks(square: u32, occupied: vec2<u32>, mask: vec2<u32>) -> vec2<u32> {
    let slider = chess_bit(square);
    let line = mask & ~slider;
    let forward = occupied & line;
    let upward = chess_subtract(forward, slider);
    let downward = chess_subtract(chess_reverse(forward), chess_reverse(slider));
    return (upward ^ chess_reverse(downward)) & line;
}

fn chess_rook_attacks(square: u32, occupied: vec2<u32>) -> vec2<u32> {
    return chess_line_attacks(square, occupied, chess_rank_mask(square))
        | chess_line_attacks(square, occupied, chess_file_mask(square));
}

fn chess_bishop_attacks(square: u32, occupied: vec2<u32>) -> vec2<u32> {
    return chess_line_attacks(square, occupied, chess_diagonal_mask(square))
        | chess_line_attacks(square, occupied, chess_anti_diagonal_mask(square));
}

// The whole line through squares a and b if they share a rank, file or diagonal, else empty.
fn chess_line_through(a: u32, b: u32) -> vec2<u32> {
    if (a >> 3u) == (b >> 3u) {
        return chess_rank_mask(a);
    }
    if (a & 7u) == (b & 7u) {
        return chess_file_mask(a);
    }
    let mask = chess_diagonal_mask(a);
    if chess_has(mask, b) {
        return mask;
    }
    let anti = chess_anti_diagonal_mask(a);
    if chess_has(anti, b) {
        return anti;
    }
    return CHESS_EMPTY;
}

// Squares strictly between a and b on a shared line (along a line, square indices are
// monotonic, so "between" is an index range of the line), else empty.
fn chess_between(a: u32, b: u32) -> vec2<u32> {
    let low = min(a, b);
    let high = max(a, b);
    return chess_line_through(a, b) & chess_below(high) & ~chess_below(low + 1u);
}
