// Chess WGSL library, part 6: the AlphaZero action encoding and observation planes, as in
// src/games/chess/encoding.rs and docs/CHESS.md. Squares are seen from the side to move
// (flipped vertically, square ^ 56, for black); action = origin * 73 + move type.

const CHESS_NUM_ACTIONS: u32 = 4672u;
const CHESS_MASK_WORDS: u32 = 146u;
const CHESS_OBSERVATION_PLANES: u32 = 20u;
const CHESS_OBSERVATION_LEN: u32 = 1280u;
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

// Entry `index` (plane * 64 + oriented square) of the observation: planes 0-5 the mover's
// P N B R Q K, 6-11 the opponent's, 12 repetitions >= 2, 13 repetitions >= 3, 14 black to
// move, 15-16 the mover's king/queen-side right, 17-18 the opponent's, 19 halfmove * 0.01.
fn chess_observation(position: ChessPosition, repetitions: u32, index: u32) -> f32 {
    let plane = index / 64u;
    let black = chess_black_to_move(position);
    let square = (index % 64u) ^ select(0u, 56u, black);
    if plane < 12u {
        let mine = plane < 6u;
        let color = select(position.black, position.white, mine != black);
        return select(0.0, 1.0, chess_has(chess_kind_board(position, plane % 6u) & color, square));
    }
    let rights = chess_castling_rights(position);
    let own_rights = select(rights & 3u, rights >> 2u, black);
    let their_rights = select(rights >> 2u, rights & 3u, black);
    switch plane {
        case 12u: { return select(0.0, 1.0, repetitions >= 2u); }
        case 13u: { return select(0.0, 1.0, repetitions >= 3u); }
        case 14u: { return select(0.0, 1.0, black); }
        case 15u: { return select(0.0, 1.0, (own_rights & 1u) != 0u); }
        case 16u: { return select(0.0, 1.0, (own_rights & 2u) != 0u); }
        case 17u: { return select(0.0, 1.0, (their_rights & 1u) != 0u); }
        case 18u: { return select(0.0, 1.0, (their_rights & 2u) != 0u); }
        default: { return f32(chess_halfmove_clock(position)) * 0.01; }
    }
}
