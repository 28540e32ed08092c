// Chess WGSL library, part 6: the AlphaZero action encoding and observation planes, as in
// src/games/chess/encoding.rs and docs/CHESS.md. Squares are seen from the side to move
// (flipped vertically, square ^ 56, for black); action = origin * 73 + move type.

const CHESS_NUM_ACTIONS: u32 = 4672u;
const CHESS_MASK_WORDS: u32 = 146u;
// AlphaZero's 8 x 8 x 119 input: 8 history steps of 14 planes, then 7 constant planes.
const CHESS_PAST_POSITIONS: u32 = 7u;
const CHESS_HISTORY_STEPS: u32 = 8u;
const CHESS_STEP_PLANES: u32 = 14u;
// Entries of one history step (CHESS_STEP_PLANES * 64).
const CHESS_STEP_LEN: u32 = 896u;
const CHESS_CONSTANT_PLANES: u32 = 7u;
const CHESS_OBSERVATION_PLANES: u32 = 119u;
const CHESS_OBSERVATION_LEN: u32 = 7616u;
// Plies played x 1/512 (exact: a power of two), halfmove clock x 0.01.
const CHESS_MOVE_COUNT_SCALE: f32 = 0.001953125;
const CHESS_NO_PROGRESS_SCALE: f32 = 0.01;
const CHESS_NO_MOVE: u32 = 0xffffffffu;

// Index 0-7 of a queen direction N NE E SE S SW W NW from unit steps.
fn chess_queen_direction(file_step: i32, rank_step: i32) -> u32 {
    if file_step == 0 {
        return select(4u, 0u, rank_step > 0);
    }
    if file_step > 0 {
        return u32(2 - rank_step);
    }
    return u32(6 + rank_step);
}

// Index 0-7 of a knight step in the order (1,2) (2,1) (2,-1) (1,-2) (-1,-2) (-2,-1) (-2,1) (-1,2).
fn chess_knight_direction(file_step: i32, rank_step: i32) -> u32 {
    if file_step > 0 {
        if rank_step > 0 {
            return select(1u, 0u, file_step == 1);
        }
        return select(3u, 2u, file_step == 2);
    }
    if rank_step < 0 {
        return select(5u, 4u, file_step == -1);
    }
    return select(7u, 6u, file_step == -2);
}

// The action index of a packed move played by the side `black`.
fn chess_action_of(chess_move: u32, black: bool) -> u32 {
    let flip = select(0u, 56u, black);
    let origin = (chess_move & 63u) ^ flip;
    let to = ((chess_move >> 6u) & 63u) ^ flip;
    let promotion = chess_move >> 12u;
    let file_step = i32(to & 7u) - i32(origin & 7u);
    let rank_step = i32(to >> 3u) - i32(origin >> 3u);
    var move_type: u32;
    if promotion != 0u && promotion != CHESS_QUEEN {
        move_type = 64u + 3u * u32(file_step + 1) + (promotion - 1u);
    } else if file_step != 0 && rank_step != 0 && abs(file_step) != abs(rank_step) {
        move_type = 56u + chess_knight_direction(file_step, rank_step);
    } else {
        let distance = u32(max(abs(file_step), abs(rank_step)));
        move_type = chess_queen_direction(sign(file_step), sign(rank_step)) * 7u + distance - 1u;
    }
    return origin * 73u + move_type;
}

// The packed move an action stands for in `position` (not checked for legality), or
// CHESS_NO_MOVE if it leaves the board. A queen-direction pawn move onto the last rank is a
// queen promotion.
fn chess_move_of_action(position: ChessPosition, action: u32) -> u32 {
    if action >= CHESS_NUM_ACTIONS {
        return CHESS_NO_MOVE;
    }
    let black = chess_black_to_move(position);
    let flip = select(0u, 56u, black);
    let origin = action / 73u;
    let move_type = action % 73u;
    var file_step: i32;
    var rank_step: i32;
    var promotion = 0u;
    if move_type < 56u {
        let direction = move_type / 7u;
        let distance = i32(move_type % 7u) + 1;
        // N NE E SE S SW W NW
        let files = array<i32, 8>(0, 1, 1, 1, 0, -1, -1, -1);
        let ranks = array<i32, 8>(1, 1, 0, -1, -1, -1, 0, 1);
        file_step = files[direction] * distance;
        rank_step = ranks[direction] * distance;
    } else if move_type < 64u {
        let knight_files = array<i32, 8>(1, 2, 2, 1, -1, -2, -2, -1);
        let knight_ranks = array<i32, 8>(2, 1, -1, -2, -2, -1, 1, 2);
        file_step = knight_files[move_type - 56u];
        rank_step = knight_ranks[move_type - 56u];
    } else {
        let index = move_type - 64u;
        file_step = i32(index / 3u) - 1;
        rank_step = 1;
        promotion = index % 3u + 1u;
    }
    let file = i32(origin & 7u) + file_step;
    let rank = i32(origin >> 3u) + rank_step;
    if file < 0 || file > 7 || rank < 0 || rank > 7 {
        return CHESS_NO_MOVE;
    }
    let to = u32(file + 8 * rank);
    let real_from = origin ^ flip;
    if promotion == 0u && move_type < 56u && rank == 7 && chess_has(position.pawns, real_from) {
        promotion = CHESS_QUEEN;
    }
    return real_from | ((to ^ flip) << 6u) | (promotion << 12u);
}

// An earlier position as the history planes see it (PastPosition in
// src/games/chess/game.rs, GpuPastPosition in gpu.rs): boards 0-5 the pawns, knights,
// bishops, rooks, queens and kings of both colours, board 6 white's pieces (black's are the
// rest), and how often the position had occurred, that time included, when it was played
// from. 16 words.
struct ChessPastPosition {
    boards: array<vec2<u32>, 7>,
    repetitions: u32,
    padding: u32,
}

fn chess_past_position(position: ChessPosition, repetitions: u32) -> ChessPastPosition {
    var past: ChessPastPosition;
    past.boards[0] = position.pawns;
    past.boards[1] = position.knights;
    past.boards[2] = position.bishops;
    past.boards[3] = position.rooks;
    past.boards[4] = position.queens;
    past.boards[5] = position.kings;
    past.boards[6] = position.white;
    past.repetitions = repetitions;
    past.padding = 0u;
    return past;
}

// Entry `index` (plane * 64 + oriented square, plane 0-13) of one history step showing
// `past` to the side to move now (`black`): planes 0-5 the mover's P N B R Q K, 6-11 the
// opponent's, 12 repetitions >= 2, 13 repetitions >= 3.
fn chess_history_entry(past: ChessPastPosition, black: bool, index: u32) -> f32 {
    let plane = index / 64u;
    if plane >= 12u {
        return select(0.0, 1.0, past.repetitions >= plane - 10u);
    }
    let square = (index % 64u) ^ select(0u, 56u, black);
    var boards = past.boards;
    let white = boards[6];
    // The mover's pieces for planes 0-5 are white's when white moves.
    let wanted_white = (plane < 6u) != black;
    let pieces = boards[plane % 6u] & select(~white, white, wanted_white);
    return select(0.0, 1.0, chess_has(pieces, square));
}

// Entry `index` (plane * 64 + oriented square, plane 0-6) of the constant planes after the
// history (planes 112-118 of the observation): 0 black to move, 1 plies played x 1/512,
// 2-3 the mover's queen/king-side right, 4-5 the opponent's, 6 halfmove clock x 0.01.
fn chess_constant_entry(position: ChessPosition, index: u32) -> f32 {
    let plane = index / 64u;
    let black = chess_black_to_move(position);
    let rights = chess_castling_rights(position);
    // Bit 0 king side, bit 1 queen side.
    let own_rights = select(rights & 3u, rights >> 2u, black);
    let their_rights = select(rights >> 2u, rights & 3u, black);
    switch plane {
        case 0u: { return select(0.0, 1.0, black); }
        case 1u: { return f32(position.ply) * CHESS_MOVE_COUNT_SCALE; }
        case 2u: { return select(0.0, 1.0, (own_rights & 2u) != 0u); }
        case 3u: { return select(0.0, 1.0, (own_rights & 1u) != 0u); }
        case 4u: { return select(0.0, 1.0, (their_rights & 2u) != 0u); }
        case 5u: { return select(0.0, 1.0, (their_rights & 1u) != 0u); }
        default: { return f32(chess_halfmove_clock(position)) * CHESS_NO_PROGRESS_SCALE; }
    }
}
