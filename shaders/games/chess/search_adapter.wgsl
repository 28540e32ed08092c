// Chess's search adapter: the game_* functions of shaders/search/mcts.wgsl in terms of the
// chess rules library (shaders/games/chess/*.wgsl, prepended) and of the search's state
// accessors. src/games/chess/search.rs prepends the constant CHESS_SEARCH_PLY_CAP.
//
// A node's state words (CHESS_SEARCH_WORDS = 321): the ChessPosition (22 words, as
// GpuPosition), then a ring of CHESS_SEARCH_KEYS Zobrist keys (low, high): the key of the
// position at ply p of the game in entry p % CHESS_SEARCH_KEYS. Only the entries a
// repetition can still reach are live: the last min(halfmove clock, ply, CHESS_SEARCH_KEYS)
// plies. A repetition decides the outcome only while the halfmove clock is below 100 (the
// fifty-move rule comes first), so 100 entries make the threefold rule exact; loads and
// stores copy the live entries alone, a cost proportional to the halfmove clock.
// Then the observation's history: a ring of CHESS_PAST_POSITIONS placements (14 words
// each: the six kind boards and white's, low and high) with the position at ply p in
// entry p % CHESS_PAST_POSITIONS, live for the last min(ply, CHESS_PAST_POSITIONS) plies;
// and one word of their repetition counts, min(count, 3) in bits 2e..2e+1 for entry e.

const GAME_MAX_LEGAL: u32 = 218u;
const CHESS_SEARCH_KEYS: u32 = 100u;
const CHESS_POSITION_WORDS: u32 = 22u;
const CHESS_SEARCH_PAST_BASE: u32 = CHESS_POSITION_WORDS + 2u * CHESS_SEARCH_KEYS;
// Words of one past placement in the state: the 7 boards of a ChessPastPosition.
const CHESS_SEARCH_PAST_WORDS: u32 = 14u;
const CHESS_SEARCH_REPETITIONS_WORD: u32 =
    CHESS_SEARCH_PAST_BASE + CHESS_SEARCH_PAST_WORDS * CHESS_PAST_POSITIONS;
const CHESS_SEARCH_WORDS: u32 = CHESS_SEARCH_REPETITIONS_WORD + 1u;
// GameState.outcome before it is computed.
const CHESS_OUTCOME_UNKNOWN: u32 = 0xffffffffu;

struct ChessSearchState {
    position: ChessPosition,
    keys: array<vec2<u32>, CHESS_SEARCH_KEYS>,
    // The placement of the position at ply p in entry p % CHESS_PAST_POSITIONS (the last
    // min(ply, CHESS_PAST_POSITIONS) plies are live).
    past: array<ChessPastPosition, CHESS_PAST_POSITIONS>,
    // The outcome code, cached by chess_search_outcome (CHESS_OUTCOME_UNKNOWN until then).
    outcome: u32,
}

alias GameState = ChessSearchState;

// Earlier plies whose keys the state holds: those a repetition can reach.
fn chess_search_live_keys(position: ChessPosition) -> u32 {
    return min(min(chess_halfmove_clock(position), position.ply), CHESS_SEARCH_KEYS);
}

fn chess_search_key_entry(ply: u32) -> u32 {
    return ply % CHESS_SEARCH_KEYS;
}

// Earlier plies whose placements the state holds: those the history planes show.
fn chess_search_live_past(position: ChessPosition) -> u32 {
    return min(position.ply, CHESS_PAST_POSITIONS);
}

// The position of the stored state (its first CHESS_POSITION_WORDS words).
fn chess_search_stored_position() -> ChessPosition {
    var p: ChessPosition;
    p.pawns = chess_search_stored_board(0u);
    p.knights = chess_search_stored_board(2u);
    p.bishops = chess_search_stored_board(4u);
    p.rooks = chess_search_stored_board(6u);
    p.queens = chess_search_stored_board(8u);
    p.kings = chess_search_stored_board(10u);
    p.white = chess_search_stored_board(12u);
    p.black = chess_search_stored_board(14u);
    p.key = chess_search_stored_board(16u);
    p.info = search_state_word(18u);
    p.fullmove = search_state_word(19u);
    p.ply = search_state_word(20u);
    p.padding = 0u;
    return p;
}

// Two consecutive state words from `word` (a bitboard or a key, low word first).
fn chess_search_stored_board(word: u32) -> vec2<u32> {
    return vec2<u32>(search_state_word(word), search_state_word(word + 1u));
}

// The stored past placement in history entry `entry` (live entries only).
fn chess_search_stored_past(entry: u32) -> ChessPastPosition {
    var past: ChessPastPosition;
    let word = CHESS_SEARCH_PAST_BASE + CHESS_SEARCH_PAST_WORDS * entry;
    for (var board = 0u; board < 7u; board++) {
        past.boards[board] = chess_search_stored_board(word + 2u * board);
    }
    let repetitions = search_state_word(CHESS_SEARCH_REPETITIONS_WORD);
    past.repetitions = (repetitions >> (2u * entry)) & 3u;
    past.padding = 0u;
    return past;
}

fn game_load() -> ChessSearchState {
    var s: ChessSearchState;
    let p = chess_search_stored_position();
    s.position = p;
    let live = chess_search_live_keys(p);
    for (var back = 1u; back <= live; back++) {
        let entry = chess_search_key_entry(p.ply - back);
        s.keys[entry] = chess_search_stored_board(CHESS_POSITION_WORDS + 2u * entry);
    }
    for (var back = 1u; back <= chess_search_live_past(p); back++) {
        let entry = (p.ply - back) % CHESS_PAST_POSITIONS;
        s.past[entry] = chess_search_stored_past(entry);
    }
    s.outcome = CHESS_OUTCOME_UNKNOWN;
    return s;
}

fn game_store(s: ptr<function, ChessSearchState>) {
    let p = (*s).position;
    search_set_state_word(0u, p.pawns.x);
    search_set_state_word(1u, p.pawns.y);
    search_set_state_word(2u, p.knights.x);
    search_set_state_word(3u, p.knights.y);
    search_set_state_word(4u, p.bishops.x);
    search_set_state_word(5u, p.bishops.y);
    search_set_state_word(6u, p.rooks.x);
    search_set_state_word(7u, p.rooks.y);
    search_set_state_word(8u, p.queens.x);
    search_set_state_word(9u, p.queens.y);
    search_set_state_word(10u, p.kings.x);
    search_set_state_word(11u, p.kings.y);
    search_set_state_word(12u, p.white.x);
    search_set_state_word(13u, p.white.y);
    search_set_state_word(14u, p.black.x);
    search_set_state_word(15u, p.black.y);
    search_set_state_word(16u, p.key.x);
    search_set_state_word(17u, p.key.y);
    search_set_state_word(18u, p.info);
    search_set_state_word(19u, p.fullmove);
    search_set_state_word(20u, p.ply);
    search_set_state_word(21u, 0u);
    let live = chess_search_live_keys(p);
    for (var back = 1u; back <= live; back++) {
        let entry = chess_search_key_entry(p.ply - back);
        let word = CHESS_POSITION_WORDS + 2u * entry;
        let key = (*s).keys[entry];
        search_set_state_word(word, key.x);
        search_set_state_word(word + 1u, key.y);
    }
    var repetitions = 0u;
    for (var back = 1u; back <= chess_search_live_past(p); back++) {
        let entry = (p.ply - back) % CHESS_PAST_POSITIONS;
        let word = CHESS_SEARCH_PAST_BASE + CHESS_SEARCH_PAST_WORDS * entry;
        let past = (*s).past[entry];
        for (var board = 0u; board < 7u; board++) {
            search_set_state_word(word + 2u * board, past.boards[board].x);
            search_set_state_word(word + 2u * board + 1u, past.boards[board].y);
        }
        repetitions |= min(past.repetitions, 3u) << (2u * entry);
    }
    search_set_state_word(CHESS_SEARCH_REPETITIONS_WORD, repetitions);
}

fn game_reset(s: ptr<function, ChessSearchState>) {
    (*s).position = chess_start_position();
    (*s).outcome = CHESS_OUTCOME_UNKNOWN;
}

// Plays the legal `action` (the search only plays actions it listed): the old key joins
// the key ring and the old placement the past positions, then the move is made.
fn game_apply(s: ptr<function, ChessSearchState>, action: u32) {
    let p = (*s).position;
    (*s).past[p.ply % CHESS_PAST_POSITIONS] = chess_past_position(p, chess_search_repetitions(s));
    (*s).keys[chess_search_key_entry(p.ply)] = p.key;
    (*s).position = chess_apply(p, chess_move_of_action(p, action));
    (*s).outcome = CHESS_OUTCOME_UNKNOWN;
}

// How often the current position has occurred, this time included (ChessGame's
// repetition_count over the live keys).
fn chess_search_repetitions(s: ptr<function, ChessSearchState>) -> u32 {
    let p = (*s).position;
    let reach = chess_search_live_keys(p);
    var count = 1u;
    for (var back = 2u; back <= reach; back += 2u) {
        if all((*s).keys[chess_search_key_entry(p.ply - back)] == p.key) {
            count += 1u;
        }
    }
    return count;
}

// chess_search_repetitions of the stored state `p` was loaded from, read from its key ring.
fn chess_search_stored_repetitions(p: ChessPosition) -> u32 {
    let reach = chess_search_live_keys(p);
    var count = 1u;
    for (var back = 2u; back <= reach; back += 2u) {
        let word = CHESS_POSITION_WORDS + 2u * chess_search_key_entry(p.ply - back);
        if all(chess_search_stored_board(word) == p.key) {
            count += 1u;
        }
    }
    return count;
}

fn chess_search_outcome(s: ptr<function, ChessSearchState>) -> u32 {
    if (*s).outcome == CHESS_OUTCOME_UNKNOWN {
        let p = (*s).position;
        let context = chess_context(p);
        let legal_moves = chess_count_moves(p, context);
        (*s).outcome = chess_outcome(
            p,
            context,
            legal_moves,
            chess_search_repetitions(s),
            CHESS_SEARCH_PLY_CAP,
        );
    }
    return (*s).outcome;
}

fn game_is_over(s: ptr<function, ChessSearchState>) -> bool {
    return chess_search_outcome(s) != CHESS_ONGOING;
}

fn game_terminal_value(s: ptr<function, ChessSearchState>) -> f32 {
    return select(0.0, -1.0, chess_search_outcome(s) == CHESS_CHECKMATE);
}

// The legal actions in increasing order (as the reference search expands them): the moves
// are generated by origin square, so their actions go into a 4672-bit mask first, which is
// then read out in order. Only called for positions that are not over (the search expands
// no terminal node), so every generated move is legal in the game.
fn game_list_legal(s: ptr<function, ChessSearchState>) -> u32 {
    let p = (*s).position;
    let context = chess_context(p);
    let black = context.black != 0u;
    var mask: array<u32, CHESS_MASK_WORDS>;
    var origins = context.own;
    if context.checker_count > 1u {
        origins = p.kings & context.own;
    }
    while chess_any(origins) {
        let origin = chess_lowest(origins);
        origins = chess_without_lowest(origins);
        let targets = chess_targets(p, context, origin);
        let moves = chess_moves_in(p, origin, targets);
        for (var index = 0u; index < moves; index++) {
            let action = chess_action_of(chess_move_in(p, origin, targets, index), black);
            mask[action >> 5u] |= 1u << (action & 31u);
        }
    }
    var count = 0u;
    for (var word = 0u; word < CHESS_MASK_WORDS; word++) {
        var bits = mask[word];
        while bits != 0u {
            let bit = firstTrailingBit(bits);
            bits &= bits - 1u;
            search_emit_legal(count, word * 32u + bit);
            count += 1u;
        }
    }
    return count;
}

// The 119 x 8 x 8 planes of shaders/games/chess/encoding.wgsl for the stored state: 8
// history steps (the current position, then the live past positions, most recent first;
// zeros before the game's start) and the 7 constant planes. Lane `lane` of `lanes` writes
// the squares lane, lane + lanes, … of every plane, so that 64 lanes write each plane's 64
// consecutive floats together (the search's write_observations); one lane writes it all.
// It reads the stored words alone (no game_load), each lane only what its planes show.
fn game_write_observation(lane: u32, lanes: u32) {
    let p = chess_search_stored_position();
    let black = chess_black_to_move(p);
    let known = chess_search_live_past(p);
    for (var step = 0u; step < CHESS_HISTORY_STEPS; step++) {
        let base = step * CHESS_STEP_LEN;
        if step > known {
            for (var index = lane; index < CHESS_STEP_LEN; index += lanes) {
                search_emit_observation(base + index, 0.0);
            }
            continue;
        }
        var past: ChessPastPosition;
        if step == 0u {
            past = chess_past_position(p, chess_search_stored_repetitions(p));
        } else {
            past = chess_search_stored_past((p.ply - step) % CHESS_PAST_POSITIONS);
        }
        for (var index = lane; index < CHESS_STEP_LEN; index += lanes) {
            search_emit_observation(base + index, chess_history_entry(past, black, index));
        }
    }
    let constant_base = CHESS_HISTORY_STEPS * CHESS_STEP_LEN;
    for (var index = lane; index < CHESS_CONSTANT_PLANES * 64u; index += lanes) {
        search_emit_observation(constant_base + index, chess_constant_entry(p, index));
    }
}
