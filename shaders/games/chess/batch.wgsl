// Entry points of the chess rules over a batch of games, appended to the chess library
// (bitboard, attacks, zobrist, position, movegen, encoding, game, random .wgsl). One invocation
// per game; `src/games/chess/gpu.rs` binds the buffers and dispatches.
//
// Invariant kept by every kernel: outcomes[g] is the outcome code of positions[g], except
// that apply_actions writes CHESS_REJECTED (leaving the game untouched) for an illegal
// action or a finished game.

struct ChessParams {
    games: u32,
    ply_cap: u32,
    // Random-playout plies per invocation per dispatch.
    plies_per_invocation: u32,
    // Perft depth below each position: 1 or 2.
    perft_depth: u32,
}

const CHESS_HISTORY: u32 = 128u;
const CHESS_REJECTED: u32 = 255u;
const CHESS_PLAYOUT_COUNTERS: u32 = 8u;

@group(0) @binding(0) var<uniform> params: ChessParams;
// [games]
@group(0) @binding(1) var<storage, read_write> positions: array<ChessPosition>;
// [games][CHESS_HISTORY]: key of the position at ply p in slot p % CHESS_HISTORY.
@group(0) @binding(2) var<storage, read_write> history: array<vec2<u32>>;
// [games]: outcome codes (chess_outcome), or CHESS_REJECTED.
@group(0) @binding(3) var<storage, read_write> outcomes: array<u32>;
// [games]: action per game; CHESS_NO_MOVE leaves the game alone.
@group(0) @binding(4) var<storage, read> actions: array<u32>;
// [games][CHESS_MASK_WORDS]: bit a % 32 of word a / 32 set when action a is legal.
@group(0) @binding(5) var<storage, read_write> legal_masks: array<u32>;
// [games][CHESS_OBSERVATION_LEN]
@group(0) @binding(6) var<storage, read_write> observations: array<f32>;
// [games]: random-playout generator states.
@group(0) @binding(7) var<storage, read_write> random_states: array<u32>;
// [games][CHESS_PLAYOUT_COUNTERS]: plies played, then games ended per outcome code 1-6.
@group(0) @binding(8) var<storage, read_write> playout_counters: array<u32>;
// [games]: perft leaf counts.
@group(0) @binding(9) var<storage, read_write> perft_counts: array<u32>;
// [games][CHESS_PAST_POSITIONS]: the placement (and repetition count) of the position at
// ply p in slot p % CHESS_PAST_POSITIONS, for the observation's history planes.
@group(0) @binding(10) var<storage, read_write> past_positions: array<ChessPastPosition>;

// Remembers `position` (occurring for the `repetitions`-th time) as the one at its ply,
// before a move is played from it.
fn push_past_position(game: u32, position: ChessPosition, repetitions: u32) {
    let slot = game * CHESS_PAST_POSITIONS + position.ply % CHESS_PAST_POSITIONS;
    past_positions[slot] = chess_past_position(position, repetitions);
}

// How often positions[game] == `position` occurred, this time included.
fn repetitions_of(game: u32, position: ChessPosition) -> u32 {
    let reach = chess_repetition_reach(position);
    var count = 1u;
    for (var back = 2u; back <= reach; back += 2u) {
        let slot = game * CHESS_HISTORY + ((position.ply - back) & (CHESS_HISTORY - 1u));
        if all(history[slot] == position.key) {
            count += 1u;
        }
    }
    return count;
}

fn outcome_of(game: u32, position: ChessPosition) -> u32 {
    let context = chess_context(position);
    let legal_moves = chess_count_moves(position, context);
    return chess_outcome(position, context, legal_moves, repetitions_of(game, position), params.ply_cap);
}

@compute @workgroup_size(64)
fn refresh_outcomes(@builtin(global_invocation_id) id: vec3<u32>) {
    let game = id.x;
    if game >= params.games {
        return;
    }
    outcomes[game] = outcome_of(game, positions[game]);
}

@compute @workgroup_size(64)
fn apply_actions(@builtin(global_invocation_id) id: vec3<u32>) {
    let game = id.x;
    if game >= params.games {
        return;
    }
    let action = actions[game];
    if action == CHESS_NO_MOVE {
        return;
    }
    let position = positions[game];
    let chess_move = chess_move_of_action(position, action);
    var legal = outcomes[game] == CHESS_ONGOING && chess_move != CHESS_NO_MOVE;
    if legal {
        let origin = chess_move & 63u;
        let to = (chess_move >> 6u) & 63u;
        let context = chess_context(position);
        let pawn_promotes = chess_has(position.pawns, origin) && chess_has(CHESS_PROMOTION_RANKS, to);
        legal = chess_has(context.own, origin)
            && chess_has(chess_targets(position, context, origin), to)
            && pawn_promotes == ((chess_move >> 12u) != 0u);
    }
    if !legal {
        outcomes[game] = CHESS_REJECTED;
        return;
    }
    push_past_position(game, position, repetitions_of(game, position));
    history[game * CHESS_HISTORY + (position.ply & (CHESS_HISTORY - 1u))] = position.key;
    let next = chess_apply(position, chess_move);
    positions[game] = next;
    outcomes[game] = outcome_of(game, next);
}

@compute @workgroup_size(64)
fn write_legal_masks(@builtin(global_invocation_id) id: vec3<u32>) {
    let game = id.x;
    if game >= params.games {
        return;
    }
    let position = positions[game];
    let base = game * CHESS_MASK_WORDS;
    for (var word = 0u; word < CHESS_MASK_WORDS; word += 1u) {
        legal_masks[base + word] = 0u;
    }
    let context = chess_context(position);
    let legal_moves = chess_count_moves(position, context);
    let outcome = chess_outcome(position, context, legal_moves, repetitions_of(game, position), params.ply_cap);
    outcomes[game] = outcome;
    if outcome != CHESS_ONGOING {
        return;
    }
    let black = context.black != 0u;
    var origins = context.own;
    while chess_any(origins) {
        let origin = chess_lowest(origins);
        origins = chess_without_lowest(origins);
        let targets = chess_targets(position, context, origin);
        let count = chess_moves_in(position, origin, targets);
        for (var index = 0u; index < count; index += 1u) {
            let action = chess_action_of(chess_move_in(position, origin, targets, index), black);
            let word = base + (action >> 5u);
            legal_masks[word] = legal_masks[word] | (1u << (action & 31u));
        }
    }
}

@compute @workgroup_size(64)
fn write_observations(@builtin(global_invocation_id) id: vec3<u32>) {
    let game = id.x;
    if game >= params.games {
        return;
    }
    let position = positions[game];
    let black = chess_black_to_move(position);
    // History steps known: the current position and the earlier ones since the game's start.
    let known = min(position.ply, CHESS_PAST_POSITIONS);
    let base = game * CHESS_OBSERVATION_LEN;
    for (var step = 0u; step < CHESS_HISTORY_STEPS; step += 1u) {
        let step_base = base + step * CHESS_STEP_LEN;
        if step > known {
            for (var index = 0u; index < CHESS_STEP_LEN; index += 1u) {
                observations[step_base + index] = 0.0;
            }
            continue;
        }
        var past: ChessPastPosition;
        if step == 0u {
            past = chess_past_position(position, repetitions_of(game, position));
        } else {
            past = past_positions[game * CHESS_PAST_POSITIONS + (position.ply - step) % CHESS_PAST_POSITIONS];
        }
        for (var index = 0u; index < CHESS_STEP_LEN; index += 1u) {
            observations[step_base + index] = chess_history_entry(past, black, index);
        }
    }
    let constant_base = base + CHESS_HISTORY_STEPS * CHESS_STEP_LEN;
    for (var index = 0u; index < CHESS_CONSTANT_PLANES * 64u; index += 1u) {
        observations[constant_base + index] = chess_constant_entry(position, index);
    }
}

// Random games: each invocation plays `plies_per_invocation` plies of its game with uniformly
// random legal moves (one pass over the origin squares with weighted reservoir sampling),
// restarting from the initial position whenever a game ends.
@compute @workgroup_size(64)
fn random_playout(@builtin(global_invocation_id) id: vec3<u32>) {
    let game = id.x;
    if game >= params.games {
        return;
    }
    var position = positions[game];
    var state = random_states[game];
    var plies = 0u;
    for (var step = 0u; step < params.plies_per_invocation; step += 1u) {
        let context = chess_context(position);
        var total = 0u;
        var chosen = 0u;
        var origins = context.own;
        if context.checker_count > 1u {
            origins = position.kings & context.own;
        }
        while chess_any(origins) {
            let origin = chess_lowest(origins);
            origins = chess_without_lowest(origins);
            let targets = chess_targets(position, context, origin);
            let count = chess_moves_in(position, origin, targets);
            if count != 0u {
                total += count;
                let pick = chess_random(&state) % total;
                if pick < count {
                    chosen = chess_move_in(position, origin, targets, pick);
                }
            }
        }
        // Repetitions are counted only when they could change the outcome (and then the
        // game goes on, and the history planes need the count).
        var outcome = chess_outcome(position, context, total, 1u, params.ply_cap);
        var repetitions = 1u;
        if outcome == CHESS_ONGOING || outcome == CHESS_PLY_CAP {
            repetitions = repetitions_of(game, position);
            if repetitions >= 3u {
                outcome = CHESS_THREEFOLD_REPETITION;
            }
        }
        if outcome != CHESS_ONGOING {
            let counter = game * CHESS_PLAYOUT_COUNTERS + outcome;
            playout_counters[counter] = playout_counters[counter] + 1u;
            position = chess_start_position();
            continue;
        }
        push_past_position(game, position, repetitions);
        history[game * CHESS_HISTORY + (position.ply & (CHESS_HISTORY - 1u))] = position.key;
        position = chess_apply(position, chosen);
        plies += 1u;
    }
    positions[game] = position;
    random_states[game] = state;
    let counter = game * CHESS_PLAYOUT_COUNTERS;
    playout_counters[counter] = playout_counters[counter] + plies;
}

// Leaf count of the move tree `perft_depth` (1 or 2) plies below each position.
@compute @workgroup_size(64)
fn perft(@builtin(global_invocation_id) id: vec3<u32>) {
    let game = id.x;
    if game >= params.games {
        return;
    }
    let position = positions[game];
    let context = chess_context(position);
    if params.perft_depth < 2u {
        perft_counts[game] = chess_count_moves(position, context);
        return;
    }
    var leaves = 0u;
    var origins = context.own;
    while chess_any(origins) {
        let origin = chess_lowest(origins);
        origins = chess_without_lowest(origins);
        let targets = chess_targets(position, context, origin);
        let count = chess_moves_in(position, origin, targets);
        for (var index = 0u; index < count; index += 1u) {
            let child = chess_apply(position, chess_move_in(position, origin, targets, index));
            leaves += chess_count_moves(child, chess_context(child));
        }
    }
    perft_counts[game] = leaves;
}
