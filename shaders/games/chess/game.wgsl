// Chess WGSL library, part 7: the game-end rules, in the order of the Rust
// `ChessGame::outcome`: no legal move (checkmate or stalemate), then insufficient material,
// the fifty-move rule, threefold repetition and the ply cap (all draws).

const CHESS_ONGOING: u32 = 0u;
const CHESS_CHECKMATE: u32 = 1u;
const CHESS_STALEMATE: u32 = 2u;
const CHESS_INSUFFICIENT_MATERIAL: u32 = 3u;
const CHESS_FIFTY_MOVE_RULE: u32 = 4u;
const CHESS_THREEFOLD_REPETITION: u32 = 5u;
const CHESS_PLY_CAP: u32 = 6u;

// The outcome code of `position` given its number of legal moves and how often it has
// occurred (this time included).
fn chess_outcome(
    position: ChessPosition,
    context: ChessContext,
    legal_moves: u32,
    repetitions: u32,
    ply_cap: u32,
) -> u32 {
    if legal_moves == 0u {
        return select(CHESS_STALEMATE, CHESS_CHECKMATE, context.checker_count > 0u);
    }
    if chess_insufficient_material(position) {
        return CHESS_INSUFFICIENT_MATERIAL;
    }
    if chess_halfmove_clock(position) >= 100u {
        return CHESS_FIFTY_MOVE_RULE;
    }
    if repetitions >= 3u {
        return CHESS_THREEFOLD_REPETITION;
    }
    if position.ply >= ply_cap {
        return CHESS_PLY_CAP;
    }
    return CHESS_ONGOING;
}

// How many earlier plies can hold the same position: same side to move, since the last
// capture or pawn move, and within the known history (at most 127 plies back).
fn chess_repetition_reach(position: ChessPosition) -> u32 {
    return min(min(chess_halfmove_clock(position), position.ply), 127u);
}
