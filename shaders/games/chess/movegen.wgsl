// Chess WGSL library, part 5: legal move generation, one origin square at a time.
//
// `chess_context` computes what every origin square needs (king danger squares, checkers,
// pinned pieces, the squares that answer a check); `chess_targets` then gives the legal
// destinations of the piece on one square. The moves of a position, in the canonical order
// shared with the Rust twin (src/games/chess/playout.rs), are: origin squares ascending,
// destinations ascending, and for a pawn reaching the last rank the promotions queen, rook,
// bishop, knight.

struct ChessContext {
    own: vec2<u32>,
    enemy: vec2<u32>,
    occupied: vec2<u32>,
    // Squares the opponent attacks with our king lifted off the board.
    danger: vec2<u32>,
    checkers: vec2<u32>,
    pinned: vec2<u32>,
    // Destinations that resolve a check (everything not our own when not in check).
    allowed: vec2<u32>,
    king: u32,
    checker_count: u32,
    black: u32,
}

// Every square attacked by the pieces of `by_black`'s colour, with `occupied` as blockers.
fn chess_attacked_squares(position: ChessPosition, by_black: bool, occupied: vec2<u32>) -> vec2<u32> {
    let them = select(position.white, position.black, by_black);
    var attacked = chess_pawn_attacks(position.pawns & them, by_black)
        | chess_knight_attacks(position.knights & them)
        | chess_king_attacks(position.kings & them);
    var diagonal = (position.bishops | position.queens) & them;
    while chess_any(diagonal) {
        attacked |= chess_bishop_attacks(chess_lowest(diagonal), occupied);
        diagonal = chess_without_lowest(diagonal);
    }
    var straight = (position.rooks | position.queens) & them;
    while chess_any(straight) {
        attacked |= chess_rook_attacks(chess_lowest(straight), occupied);
        straight = chess_without_lowest(straight);
    }
    return attacked;
}

fn chess_context(position: ChessPosition) -> ChessContext {
    var context: ChessContext;
    let black = chess_black_to_move(position);
    context.black = select(0u, 1u, black);
    context.own = select(position.white, position.black, black);
    context.enemy = select(position.black, position.white, black);
    context.occupied = context.own | context.enemy;
    let king_bit = position.kings & context.own;
    let king = chess_lowest(king_bit);
    context.king = king;
    context.danger = chess_attacked_squares(position, !black, context.occupied & ~king_bit);

    let straight = (position.rooks | position.queens) & context.enemy;
    let diagonal = (position.bishops | position.queens) & context.enemy;
    context.checkers = (chess_rook_attacks(king, context.occupied) & straight)
        | (chess_bishop_attacks(king, context.occupied) & diagonal)
        | (chess_knight_attacks(king_bit) & position.knights & context.enemy)
        | (chess_pawn_attacks(king_bit, black) & position.pawns & context.enemy);
    context.checker_count = chess_count(context.checkers);

    // Enemy sliders that would attack the king through exactly one of our pieces pin it.
    var snipers = (chess_rook_attacks(king, context.enemy) & straight)
        | (chess_bishop_attacks(king, context.enemy) & diagonal);
    var pinned = CHESS_EMPTY;
    while chess_any(snipers) {
        let blockers = chess_between(king, chess_lowest(snipers)) & context.occupied;
        snipers = chess_without_lowest(snipers);
        if chess_count(blockers) == 1u && chess_any(blockers & context.own) {
            pinned |= blockers;
        }
    }
    context.pinned = pinned;

    if context.checker_count == 0u {
        context.allowed = ~context.own;
    } else if context.checker_count == 1u {
        context.allowed = chess_between(king, chess_lowest(context.checkers)) | context.checkers;
    } else {
        context.allowed = CHESS_EMPTY;
    }
    return context;
}

// Castling destinations of the king (g1/c1 or g8/c8) when legal; the caller checks that the
// side to move is not in check.
fn chess_castling_targets(position: ChessPosition, context: ChessContext) -> vec2<u32> {
    let black = context.black != 0u;
    let base = select(0u, 56u, black);
    let rights = chess_castling_rights(position);
    var targets = CHESS_EMPTY;
    if (rights & select(1u, 4u, black)) != 0u {
        let path = chess_bit(base + 5u) | chess_bit(base + 6u);
        if !chess_any((context.occupied | context.danger) & path) {
            targets |= chess_bit(base + 6u);
        }
    }
    if (rights & select(2u, 8u, black)) != 0u {
        let empty_needed = chess_bit(base + 1u) | chess_bit(base + 2u) | chess_bit(base + 3u);
        let safe_needed = chess_bit(base + 2u) | chess_bit(base + 3u);
        if !chess_any(context.occupied & empty_needed) && !chess_any(context.danger & safe_needed) {
            targets |= chess_bit(base + 2u);
        }
    }
    return targets;
}

// Legal destinations of our piece on `origin`.
fn chess_targets(position: ChessPosition, context: ChessContext, origin: u32) -> vec2<u32> {
    let from_bit = chess_bit(origin);
    if chess_any(position.kings & from_bit) {
        var targets = chess_king_attacks(from_bit) & ~context.own & ~context.danger;
        if context.checker_count == 0u {
            targets |= chess_castling_targets(position, context);
        }
        return targets;
    }
    if context.checker_count > 1u {
        return CHESS_EMPTY;
    }
    var targets = CHESS_EMPTY;
    let pawn = chess_any(position.pawns & from_bit);
    let black = context.black != 0u;
    if pawn {
        let empty = ~context.occupied;
        let single = select(chess_north(from_bit), chess_south(from_bit), black) & empty;
        let start_rank = select(1u, 6u, black);
        var double = CHESS_EMPTY;
        if (origin >> 3u) == start_rank {
            double = select(chess_north(single), chess_south(single), black) & empty;
        }
        targets = single | double | (chess_pawn_attacks(from_bit, black) & context.enemy);
    } else if chess_any(position.knights & from_bit) {
        targets = chess_knight_attacks(from_bit);
    } else {
        if chess_any((position.bishops | position.queens) & from_bit) {
            targets |= chess_bishop_attacks(origin, context.occupied);
        }
        if chess_any((position.rooks | position.queens) & from_bit) {
            targets |= chess_rook_attacks(origin, context.occupied);
        }
    }
    targets &= context.allowed;
    if chess_any(context.pinned & from_bit) {
        targets &= chess_line_through(context.king, origin);
    }
    let en_passant = chess_en_passant_square(position);
    if pawn && en_passant != CHESS_NO_SQUARE
        && chess_has(chess_pawn_attacks(from_bit, black), en_passant)
        && chess_en_passant_is_legal(position, origin, en_passant) {
        targets |= chess_bit(en_passant);
    }
    return targets;
}

// Number of moves from `origin` to `targets`: four per destination for a promoting pawn.
fn chess_moves_in(position: ChessPosition, origin: u32, targets: vec2<u32>) -> u32 {
    let count = chess_count(targets);
    if chess_has(position.pawns, origin) {
        return count + 3u * chess_count(targets & CHESS_PROMOTION_RANKS);
    }
    return count;
}

// The `index`-th move (canonical order) from `origin` to `targets`, packed.
fn chess_move_in(position: ChessPosition, origin: u32, targets: vec2<u32>, index: u32) -> u32 {
    if chess_has(position.pawns, origin) && chess_any(targets & CHESS_PROMOTION_RANKS) {
        let to = chess_nth_square(targets, index / 4u);
        let promotion = CHESS_QUEEN - (index % 4u);
        return origin | (to << 6u) | (promotion << 12u);
    }
    return origin | (chess_nth_square(targets, index) << 6u);
}

// The number of legal moves.
fn chess_count_moves(position: ChessPosition, context: ChessContext) -> u32 {
    var count = 0u;
    var origins = context.own;
    if context.checker_count > 1u {
        origins = position.kings & context.own;
    }
    while chess_any(origins) {
        let origin = chess_lowest(origins);
        origins = chess_without_lowest(origins);
        count += chess_moves_in(position, origin, chess_targets(position, context, origin));
    }
    return count;
}
