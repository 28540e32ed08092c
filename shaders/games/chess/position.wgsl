// Chess WGSL library, part 4: the position and playing a move on it.
//
// `ChessPosition` mirrors `GpuPosition` in src/games/chess/gpu.rs (22 u32 words). A move
// is packed in a u32: origin | to << 6 | promotion << 12, promotion 0 none, 1 knight,
// 2 bishop, 3 rook, 4 queen (the piece-kind numbers). Castling is the king's two-square
// move; en passant is the pawn's diagonal move onto the en-passant square.

struct ChessPosition {
    pawns: vec2<u32>,
    knights: vec2<u32>,
    bishops: vec2<u32>,
    rooks: vec2<u32>,
    queens: vec2<u32>,
    kings: vec2<u32>,
    white: vec2<u32>,
    black: vec2<u32>,
    // Zobrist key, (low, high) halves.
    key: vec2<u32>,
    // Bit 0: black to move. Bits 1-4: castling rights (white king side, white queen side,
    // black king side, black queen side). Bits 8-15: en-passant square, 64 when none (set
    // only when an en-passant capture is legal). Bits 16-31: halfmove clock.
    info: u32,
    fullmove: u32,
    // Plies played since the start of the game (for the ply cap and the history ring).
    ply: u32,
    padding: u32,
}

const CHESS_PAWN: u32 = 0u;
const CHESS_KNIGHT: u32 = 1u;
const CHESS_BISHOP: u32 = 2u;
const CHESS_ROOK: u32 = 3u;
const CHESS_QUEEN: u32 = 4u;
const CHESS_KING: u32 = 5u;
const CHESS_NO_PIECE: u32 = 6u;
const CHESS_NO_SQUARE: u32 = 64u;

fn chess_black_to_move(position: ChessPosition) -> bool {
    return (position.info & 1u) != 0u;
}

fn chess_castling_rights(position: ChessPosition) -> u32 {
    return (position.info >> 1u) & 15u;
}

fn chess_en_passant_square(position: ChessPosition) -> u32 {
    return (position.info >> 8u) & 0xffu;
}

fn chess_halfmove_clock(position: ChessPosition) -> u32 {
    return position.info >> 16u;
}

fn chess_start_position() -> ChessPosition {
    var position: ChessPosition;
    position.pawns = vec2<u32>(0x0000ff00u, 0x00ff0000u);
    position.knights = vec2<u32>(0x00000042u, 0x42000000u);
    position.bishops = vec2<u32>(0x00000024u, 0x24000000u);
    position.rooks = vec2<u32>(0x00000081u, 0x81000000u);
    position.queens = vec2<u32>(0x00000008u, 0x08000000u);
    position.kings = vec2<u32>(0x00000010u, 0x10000000u);
    position.white = vec2<u32>(0x0000ffffu, 0u);
    position.black = vec2<u32>(0u, 0xffff0000u);
    position.info = (15u << 1u) | (CHESS_NO_SQUARE << 8u);
    position.fullmove = 1u;
    position.ply = 0u;
    position.padding = 0u;
    var key = chess_castling_key(15u);
    for (var square = 0u; square < 64u; square += 1u) {
        let kind = chess_kind_at(position, square);
        if kind != CHESS_NO_PIECE {
            key ^= chess_piece_key(select(0u, 1u, square >= 32u), kind, square);
        }
    }
    position.key = key;
    return position;
}

fn chess_kind_board(position: ChessPosition, kind: u32) -> vec2<u32> {
    switch kind {
        case 0u: { return position.pawns; }
        case 1u: { return position.knights; }
        case 2u: { return position.bishops; }
        case 3u: { return position.rooks; }
        case 4u: { return position.queens; }
        case 5u: { return position.kings; }
        default: { return CHESS_EMPTY; }
    }
}

// The kind of the piece on `square`, CHESS_NO_PIECE if empty.
fn chess_kind_at(position: ChessPosition, square: u32) -> u32 {
    if chess_has(position.pawns, square) { return CHESS_PAWN; }
    if chess_has(position.knights, square) { return CHESS_KNIGHT; }
    if chess_has(position.bishops, square) { return CHESS_BISHOP; }
    if chess_has(position.rooks, square) { return CHESS_ROOK; }
    if chess_has(position.queens, square) { return CHESS_QUEEN; }
    if chess_has(position.kings, square) { return CHESS_KING; }
    return CHESS_NO_PIECE;
}

// Adds or removes (XOR) a piece of `color` (0 white, 1 black) and `kind` on `square`,
// keeping the key up to date.
fn chess_toggle(position: ptr<function, ChessPosition>, color: u32, kind: u32, square: u32) {
    let bit = chess_bit(square);
    switch kind {
        case 0u: { (*position).pawns ^= bit; }
        case 1u: { (*position).knights ^= bit; }
        case 2u: { (*position).bishops ^= bit; }
        case 3u: { (*position).rooks ^= bit; }
        case 4u: { (*position).queens ^= bit; }
        default: { (*position).kings ^= bit; }
    }
    if color == 0u {
        (*position).white ^= bit;
    } else {
        (*position).black ^= bit;
    }
    (*position).key ^= chess_piece_key(color, kind, square);
}

// Whether the side to move may capture en passant from `origin` onto `en_passant_target` without
// leaving its king attacked (both pawns leave their squares; this catches the pins along
// the rank and diagonals that ordinary pin detection misses).
fn chess_en_passant_is_legal(position: ChessPosition, origin: u32, en_passant_target: u32) -> bool {
    let black = chess_black_to_move(position);
    let captured = select(en_passant_target - 8u, en_passant_target + 8u, black);
    let own = select(position.white, position.black, black);
    let enemies = select(position.black, position.white, black) & ~chess_bit(captured);
    let occupied = ((position.white | position.black) ^ chess_bit(origin) ^ chess_bit(captured))
        | chess_bit(en_passant_target);
    let king_bit = position.kings & own;
    let king = chess_lowest(king_bit);
    let straight = (position.rooks | position.queens) & enemies;
    let diagonal = (position.bishops | position.queens) & enemies;
    let attackers = (chess_rook_attacks(king, occupied) & straight)
        | (chess_bishop_attacks(king, occupied) & diagonal)
        | (chess_knight_attacks(king_bit) & position.knights & enemies)
        | (chess_pawn_attacks(king_bit, black) & position.pawns & enemies);
    return !chess_any(attackers);
}

// The rights that survive a move touching `square` (king or rook leaving, rook captured).
fn chess_castling_kept(square: u32) -> u32 {
    switch square {
        case 0u: { return 15u & ~2u; }
        case 4u: { return 15u & ~3u; }
        case 7u: { return 15u & ~1u; }
        case 56u: { return 15u & ~8u; }
        case 60u: { return 15u & ~12u; }
        case 63u: { return 15u & ~4u; }
        default: { return 15u; }
    }
}

// The position after the legal move `chess_move` (legality is not checked).
fn chess_apply(position: ChessPosition, chess_move: u32) -> ChessPosition {
    var next = position;
    let origin = chess_move & 63u;
    let to = (chess_move >> 6u) & 63u;
    let promotion = chess_move >> 12u;
    let black = chess_black_to_move(position);
    let us = select(0u, 1u, black);
    let them = 1u - us;
    let kind = chess_kind_at(position, origin);
    let captured = chess_kind_at(position, to);
    let en_passant = chess_en_passant_square(position);

    chess_toggle(&next, us, kind, origin);
    if captured != CHESS_NO_PIECE {
        chess_toggle(&next, them, captured, to);
    }
    chess_toggle(&next, us, select(kind, promotion, promotion != 0u), to);
    if kind == CHESS_PAWN && to == en_passant {
        chess_toggle(&next, them, CHESS_PAWN, select(to - 8u, to + 8u, black));
    }
    if kind == CHESS_KING && (origin == to + 2u || to == origin + 2u) {
        let kingside = to > origin;
        let rook_from = select(origin - 4u, origin + 3u, kingside);
        let rook_to = select(origin - 1u, origin + 1u, kingside);
        chess_toggle(&next, us, CHESS_ROOK, rook_from);
        chess_toggle(&next, us, CHESS_ROOK, rook_to);
    }
    let rights = chess_castling_rights(position);
    let kept = rights & chess_castling_kept(origin) & chess_castling_kept(to);
    next.key ^= chess_castling_key(rights ^ kept);
    if en_passant != CHESS_NO_SQUARE {
        next.key ^= chess_feature_key(CHESS_EN_PASSANT_FEATURE + (en_passant & 7u));
    }
    next.key ^= chess_feature_key(CHESS_SIDE_FEATURE);
    let irreversible = kind == CHESS_PAWN || captured != CHESS_NO_PIECE;
    let halfmove = select(min(chess_halfmove_clock(position) + 1u, 0xffffu), 0u, irreversible);
    next.info = select(1u, 0u, black) | (kept << 1u) | (CHESS_NO_SQUARE << 8u) | (halfmove << 16u);
    if black {
        next.fullmove += 1u;
    }
    next.ply = position.ply + 1u;

    if kind == CHESS_PAWN && (to == origin + 16u || origin == to + 16u) {
        let skipped = (origin + to) / 2u;
        // Pawns of the side now to move that attack the skipped square.
        var capturers = chess_pawn_attacks(chess_bit(skipped), black)
            & next.pawns & select(next.black, next.white, black);
        var legal = false;
        while chess_any(capturers) {
            let capturer = chess_lowest(capturers);
            capturers = chess_without_lowest(capturers);
            legal = legal || chess_en_passant_is_legal(next, capturer, skipped);
        }
        if legal {
            next.info = (next.info & ~(0xffu << 8u)) | (skipped << 8u);
            next.key ^= chess_feature_key(CHESS_EN_PASSANT_FEATURE + (skipped & 7u));
        }
    }
    return next;
}

// Dead positions: no pawns, rooks or queens, and at most one minor piece, or only bishops
// all on squares of one colour.
fn chess_insufficient_material(position: ChessPosition) -> bool {
    if chess_any(position.pawns | position.rooks | position.queens) {
        return false;
    }
    let minors = position.knights | position.bishops;
    if chess_count(minors) <= 1u {
        return true;
    }
    let dark = vec2<u32>(0xAA55AA55u, 0xAA55AA55u);
    return !chess_any(position.knights)
        && (!chess_any(position.bishops & dark) || !chess_any(position.bishops & ~dark));
}
