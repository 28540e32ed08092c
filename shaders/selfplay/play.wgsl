// Self-play over the batched search: plays each game's chosen move after a search,
// records the game's training samples (its trajectory), weighs them by policy surprise
// when the game ends, logs drawn games' final positions, traces the moves of the first
// TRACE_GAMES game slots, and starts finished games afresh. One thread per game, as in the
// search.
//
// Appended by src/selfplay/gpu.rs to the search shader (shaders/search/mcts.wgsl, with its
// constants and the game's adapter) and the SelfPlayGame record
// (shaders/selfplay/self_play_game.wgsl), after the constants TEMPERATURE_MOVES,
// LATE_POWER, RANDOM_OPENING, SURPRISE_WEIGHT, REPLAY_FRACTION, NO_SEARCH_VALUE, RECORD,
// LOG_DRAWS, TRAJECTORY_LEN, RECORD_WORDS, RECORD_LEGAL, DRAW_LOG_LEN, TRACE_GAMES,
// TRACE_RING, TRACE_HEADER and TRACE_WORDS.

// With RECORD: [GAMES, TRAJECTORY_LEN, RECORD_WORDS] compact training samples of the game
// in progress, one per move (src/selfplay/record.rs): the root's search state
// (STATE_WORDS), the count of its legal moves, their actions (RECORD_LEGAL slots) and
// policy targets (RECORD_LEGAL slots, f32 bits), then, as f32 bits, the search's value
// inside the random opening (NO_SEARCH_VALUE elsewhere), the policy surprise, the replay
// copies, and the mover (0 or 1).
@group(0) @binding(8) var<storage, read_write> trajectories: array<u32>;

// Offset of the tail (search value, surprise, copies, mover) in a record.
const RECORD_TAIL_AT: u32 = STATE_WORDS + 1u + 2u * RECORD_LEGAL;

fn trajectory_float(i: u32) -> f32 {
    return bitcast<f32>(trajectories[i]);
}

fn set_trajectory_float(i: u32, value: f32) {
    trajectories[i] = bitcast<u32>(value);
}

@group(0) @binding(9) var<storage, read_write> self_play: array<SelfPlayGame>;

// What self-play logs for the host, in one binding (play_moves binds 8 storage buffers,
// WebGPU's default limit per shader stage). First the final positions of drawn games (in
// avoid mode, Ramsey counterexample candidates): `draws` counts every draw ever logged,
// and words[0 .. DRAW_LOG_LEN · STATE_WORDS] are a ring of the last DRAW_LOG_LEN of them.
// From word TRACE_BASE, the moves of the first TRACE_GAMES game slots, for recording whole
// games (src/selfplay/trace.rs assembles them): per slot a ring of TRACE_RING moves of
// TRACE_WORDS words, move m of the slot (counted from 1 since the start) at ring index
// (m − 1) mod TRACE_RING: [m, the move's index in its game, action, the root's value
// (f32 bits, the mover's view), children, ended, outcome for player 0 (f32 bits), 0],
// then per legal root child [action, prior (f32 bits), visits].
struct PlayLog {
    draws: atomic<u32>,
    words: array<u32>,
}
@group(0) @binding(10) var<storage, read_write> play_log: PlayLog;

const TRACE_BASE: u32 = DRAW_LOG_LEN * STATE_WORDS;

// Word i of the traces.
fn set_trace(i: u32, value: u32) {
    play_log.words[TRACE_BASE + i] = value;
}

// Starts every game afresh: the initial position as a one-node tree.
@compute @workgroup_size(64)
fn reset_games(@builtin(global_invocation_id) id: vec3<u32>) {
    let g = id.x;
    if g >= GAMES {
        return;
    }
    var state: GameState;
    game_reset(&state);
    start_tree(g, &state);
    self_play[g].moves = 0u;
    self_play[g].last_action = NONE;
}

// How many uniformly random moves open game g's current game: uniform in
// 0..=RANDOM_OPENING, a hash of the game's stream and its count of finished games, so it
// stays fixed while the game lasts.
fn opening_length(g: u32) -> u32 {
    if RANDOM_OPENING == 0u {
        return 0u;
    }
    var h = slots[g].rng_increment ^ (self_play[g].finished * 2654435769u);
    h = h * 747796405u + 2891336453u;
    h = ((h >> ((h >> 28u) + 4u)) ^ h) * 277803737u;
    h = (h >> 22u) ^ h;
    return h % (RANDOM_OPENING + 1u);
}

// The root child the policy plays: a uniformly random one during the game's random
// opening (above); then, with either policy, the first TEMPERATURE_MOVES moves
// of a game are sampled ∝ visits (as the host pipeline does); after them, with a late
// temperature τ > 0 (LATE_POWER = 1/τ), sampled ∝ visits^(1/τ) (the host twin is
// selfplay::host::sample_by_sharpened_visits); else AlphaZero takes the most visited
// (ties: higher prior, lower action) and Gumbel takes argmax g + logit + σ(q) among the
// most visited.
fn chosen_edge(g: u32) -> u32 {
    let slot = slots[g];
    let moves = self_play[g].moves;
    let root = nodes[node_index(g, slot.root)];
    if moves < opening_length(g) && root.num_edges > 0u {
        return root.first_edge + random_u32() % root.num_edges;
    }
    var most = 0u;
    var total = 0u;
    for (var i = 0u; i < root.num_edges; i++) {
        let e = edges[edge_index(g, root.first_edge + i)];
        most = max(most, e.visits);
        total += e.visits;
    }
    if moves < TEMPERATURE_MOVES && total > 0u {
        var pick = random_u32() % total;
        for (var i = 0u; i < root.num_edges; i++) {
            let visits = edges[edge_index(g, root.first_edge + i)].visits;
            if pick < visits {
                return root.first_edge + i;
            }
            pick -= visits;
        }
    }
    if LATE_POWER > 0.0 && most > 0u {
        let power = LATE_POWER;
        var sum = 0.0;
        for (var i = 0u; i < root.num_edges; i++) {
            sum += sharpened_visits(edges[edge_index(g, root.first_edge + i)].visits, most, power);
        }
        var pick = random_open() * sum;
        for (var i = 0u; i < root.num_edges; i++) {
            let weight = sharpened_visits(edges[edge_index(g, root.first_edge + i)].visits, most, power);
            if weight > 0.0 && pick < weight {
                return root.first_edge + i;
            }
            pick -= weight;
        }
    }
    if POLICY == POLICY_GUMBEL {
        let chosen = select_considered(g, slot.root, most);
        return select(chosen, root.first_edge, chosen == NONE);
    }
    var best = root.first_edge;
    for (var i = 1u; i < root.num_edges; i++) {
        let e = edges[edge_index(g, root.first_edge + i)];
        let b = edges[edge_index(g, best)];
        if e.visits > b.visits || (e.visits == b.visits && e.raw_prior > b.raw_prior) {
            best = root.first_edge + i;
        }
    }
    return best;
}

// A root child's weight under the late temperature: (visits / most)^power, 0 unvisited.
fn sharpened_visits(visits: u32, most: u32, power: f32) -> f32 {
    if visits == 0u {
        return 0.0;
    }
    return pow(f32(visits) / f32(most), power);
}

// After a search: plays each game's chosen move, keeps the chosen subtree when REUSE is
// on and the pools have room for another search, and starts a new game when one ends.
@compute @workgroup_size(64)
fn play_moves(@builtin(global_invocation_id) id: vec3<u32>) {
    let g = id.x;
    if g >= GAMES {
        return;
    }
    load_rng(g);
    let e = chosen_edge(g);
    store_rng(g);
    if RECORD {
        record_sample(g);
    }
    let traced = g < TRACE_GAMES;
    let trace_at = (g * TRACE_RING + self_play[g].positions % TRACE_RING) * TRACE_WORDS;
    if traced {
        trace_root(g, trace_at);
    }
    let edge = edges[edge_index(g, e)];
    let slot = slots[g];
    var game = self_play[g];
    game.finished_length = 0u;
    game.finished_records = 0u;
    game.finished_value0 = 0.0;
    var state: GameState;
    if edge.child != NONE {
        select_state(g, edge.child);
        state = game_load();
    } else {
        select_state(g, slot.root);
        state = game_load();
        game_apply(&state, edge.action);
    }
    game.positions += 1u;
    game.moves += 1u;
    game.last_action = edge.action;
    let over = game_is_over(&state);
    if traced {
        set_trace(trace_at, game.positions);
        set_trace(trace_at + 1u, game.moves - 1u);
        set_trace(trace_at + 2u, edge.action);
        set_trace(trace_at + 5u, select(0u, 1u, over));
    }
    if over {
        // The value is for the player to move now; the player who just moved is the other.
        let value = game_terminal_value(&state);
        let to_move = game.moves % 2u;
        if value == 0.0 {
            game.draws += 1u;
        } else if (value > 0.0) == (to_move == 0u) {
            game.wins0 += 1u;
        } else {
            game.wins1 += 1u;
        }
        game.finished += 1u;
        game.finished_length = game.moves;
        game.finished_moves += game.moves;
        game.finished_value0 = select(-value, value, to_move == 0u);
        if RECORD {
            // The random stream goes on from chosen_edge's draws.
            load_rng(g);
            game.finished_records = weigh_trajectory(g, game.moves);
            game.records += game.finished_records;
            store_rng(g);
            if LOG_DRAWS && value == 0.0 {
                log_draw(g, &state);
            }
        }
        game.moves = 0u;
        game_reset(&state);
    }
    if traced {
        set_trace(trace_at + 6u, bitcast<u32>(game.finished_value0));
    }
    let room = slot.node_count + SIMULATIONS + 1u <= NODE_CAPACITY
        && slot.edge_count + (SIMULATIONS + 1u) * GAME_MAX_LEGAL <= EDGE_CAPACITY;
    self_play[g] = game;
    if REUSE && !over && edge.child != NONE && room {
        slots[g].root = edge.child;
        nodes[node_index(g, edge.child)].parent_edge = NONE;
    } else {
        start_tree(g, &state);
    }
}

// The search's view of game g's current root, into its trace entry at `at` (before the
// move is played): the root's value (node_value: its evaluation and every backup through
// it, as src/search/summary.rs computes root_value) and every root child's action, prior
// (the network's, before noise) and visits, in the order the search expanded them.
fn trace_root(g: u32, at: u32) {
    let root_node = slots[g].root;
    let root = nodes[node_index(g, root_node)];
    let count = min(root.num_edges, (TRACE_WORDS - TRACE_HEADER) / 3u);
    for (var i = 0u; i < count; i++) {
        let e = edges[edge_index(g, root.first_edge + i)];
        let child = at + TRACE_HEADER + 3u * i;
        set_trace(child, e.action);
        set_trace(child + 1u, bitcast<u32>(e.raw_prior));
        set_trace(child + 2u, e.visits);
    }
    set_trace(at + 3u, bitcast<u32>(node_value(g, root_node)));
    set_trace(at + 4u, count);
    set_trace(at + 7u, 0u);
}

// The training sample of game g's current root: its search state (the sampler writes the
// observation from it), the search's policy target (visit shares for AlphaZero, the
// completed-Q improved policy for Gumbel) of each legal move, and the mover. Written at the
// game's move index.
fn record_sample(g: u32) {
    let root_node = slots[g].root;
    let moves = self_play[g].moves;
    let base = (g * TRAJECTORY_LEN + min(moves, TRAJECTORY_LEN - 1u)) * RECORD_WORDS;
    select_state(g, root_node);
    for (var i = 0u; i < STATE_WORDS; i++) {
        trajectories[base + i] = states[state_base + i];
    }
    let root = nodes[node_index(g, root_node)];
    let listed = min(root.num_edges, RECORD_LEGAL);
    let actions = base + STATE_WORDS + 1u;
    let targets = actions + RECORD_LEGAL;
    trajectories[base + STATE_WORDS] = listed;
    var total = 0u;
    for (var i = 0u; i < listed; i++) {
        let e = edges[edge_index(g, root.first_edge + i)];
        trajectories[actions + i] = e.action;
        total += e.visits;
    }
    if POLICY == POLICY_GUMBEL {
        let context = sigma_context(g, root_node);
        var high = -3.0e38;
        for (var i = 0u; i < listed; i++) {
            let e = edges[edge_index(g, root.first_edge + i)];
            high = max(high, e.logit + sigma_of(context, e));
        }
        var normaliser = 0.0;
        for (var i = 0u; i < listed; i++) {
            let e = edges[edge_index(g, root.first_edge + i)];
            normaliser += exp(e.logit + sigma_of(context, e) - high);
        }
        for (var i = 0u; i < listed; i++) {
            let e = edges[edge_index(g, root.first_edge + i)];
            set_trajectory_float(targets + i, exp(e.logit + sigma_of(context, e) - high) / normaliser);
        }
    } else {
        for (var i = 0u; i < listed; i++) {
            let e = edges[edge_index(g, root.first_edge + i)];
            var share = e.raw_prior;
            if total > 0u {
                share = f32(e.visits) / f32(total);
            }
            set_trajectory_float(targets + i, share);
        }
    }
    // The policy surprise KL(target ‖ prior) over the legal moves (the network's prior
    // before noise, renormalised; selfplay::surprise::policy_surprise is its host twin);
    // the search's value (its most visited move's mean value) for the value target of a
    // random-opening position.
    var prior_total = 0.0;
    var most = 0u;
    var search_value = NO_SEARCH_VALUE;
    for (var i = 0u; i < listed; i++) {
        let e = edges[edge_index(g, root.first_edge + i)];
        prior_total += e.raw_prior;
        if e.visits > most {
            most = e.visits;
            search_value = edge_q(e);
        }
    }
    var surprise = 0.0;
    if prior_total > 0.0 {
        for (var i = 0u; i < listed; i++) {
            let e = edges[edge_index(g, root.first_edge + i)];
            let share = trajectory_float(targets + i);
            if share > 0.0 {
                surprise += share * log(share / max(e.raw_prior / prior_total, 1.0e-6));
            }
        }
    }
    if moves >= opening_length(g) {
        search_value = NO_SEARCH_VALUE;
    } else if most == 0u {
        search_value = nodes[node_index(g, root_node)].raw_value;
    }
    let tail = base + RECORD_TAIL_AT;
    set_trajectory_float(tail, search_value);
    set_trajectory_float(tail + 1u, max(surprise, 0.0));
    set_trajectory_float(tail + 2u, 1.0);
    set_trajectory_float(tail + 3u, f32(moves % 2u));
}

// The replay copies of each position of game g's finished trajectory of `length` moves
// (written over its records' copies slot), by policy-surprise weighting and the replay
// fraction f: w_t = f·((1 − λ) + λ·L·s_t / Σs), stored ⌊w_t⌋ times plus once more with
// probability frac(w_t) (selfplay::surprise::replay_weights and weight_copies are the host
// twins). Returns the total.
fn weigh_trajectory(g: u32, length: u32) -> u32 {
    let count = min(length, TRAJECTORY_LEN);
    if SURPRISE_WEIGHT == 0.0 && REPLAY_FRACTION == 1.0 {
        return count;
    }
    var total = 0.0;
    for (var t = 0u; t < count; t++) {
        total += trajectory_float((g * TRAJECTORY_LEN + t) * RECORD_WORDS + RECORD_TAIL_AT + 1u);
    }
    let lambda = select(0.0, SURPRISE_WEIGHT, total > 0.0);
    var records = 0u;
    for (var t = 0u; t < count; t++) {
        let base = (g * TRAJECTORY_LEN + t) * RECORD_WORDS + RECORD_TAIL_AT;
        var surprise_weight = 1.0 - lambda;
        if lambda > 0.0 {
            surprise_weight += lambda * f32(count) * trajectory_float(base + 1u) / total;
        }
        let weight = REPLAY_FRACTION * surprise_weight;
        let whole = floor(weight);
        let copies = u32(whole) + select(0u, 1u, random_open() < weight - whole);
        set_trajectory_float(base + 2u, f32(copies));
        records += copies;
    }
    return records;
}

// Copies a finished game's final position into the draw log. The game's tree is about to
// be restarted, so node slot 1 serves as the staging place for the words.
fn log_draw(g: u32, state: ptr<function, GameState>) {
    let slot = atomicAdd(&play_log.draws, 1u) % DRAW_LOG_LEN;
    select_state(g, 1u);
    game_store(state);
    for (var i = 0u; i < STATE_WORDS; i++) {
        play_log.words[slot * STATE_WORDS + i] = states[state_base + i];
    }
}
