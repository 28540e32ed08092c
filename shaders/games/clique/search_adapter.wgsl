// The clique game's search adapter: the game_* functions of shaders/search/mcts.wgsl in
// terms of the clique rules library (shaders/games/clique/rules.wgsl), which is prepended,
// and of the search's state accessors. Generated parts (the mask loads and stores for
// n ≤ 32 or n > 32) come from src/games/clique/adapter.rs as CLIQUE_LOAD_MASK and
// CLIQUE_STORE_MASK functions.

const GAME_MAX_LEGAL: u32 = CLIQUE_EDGES;
alias GameState = CliqueState;

fn game_load() -> CliqueState {
    var s: CliqueState;
    s.moves_played = search_state_word(0u);
    s.to_move = search_state_word(1u);
    s.status = search_state_word(2u);
    s.last_action = search_state_word(3u);
    for (var i = 0u; i < CLIQUE_ADJACENCY_LEN; i++) {
        s.adjacency[i] = clique_load_mask(i);
    }
    return s;
}

fn game_store(s: ptr<function, CliqueState>) {
    search_set_state_word(0u, (*s).moves_played);
    search_set_state_word(1u, (*s).to_move);
    search_set_state_word(2u, (*s).status);
    search_set_state_word(3u, (*s).last_action);
    for (var i = 0u; i < CLIQUE_ADJACENCY_LEN; i++) {
        clique_store_mask(i, (*s).adjacency[i]);
    }
}

fn game_reset(s: ptr<function, CliqueState>) {
    clique_reset(s);
}

fn game_apply(s: ptr<function, CliqueState>, action: u32) {
    _ = clique_apply(s, action);
}

fn game_is_over(s: ptr<function, CliqueState>) -> bool {
    return clique_is_over(s);
}

fn game_terminal_value(s: ptr<function, CliqueState>) -> f32 {
    return clique_terminal_value(s);
}

fn game_list_legal(s: ptr<function, CliqueState>) -> u32 {
    var count = 0u;
    for (var action = 0u; action < CLIQUE_EDGES; action++) {
        if clique_is_legal(s, action) {
            search_emit_legal(count, action);
            count += 1u;
        }
    }
    return count;
}

// [E, 3]: (own, opponent, empty) per edge for the player to move, for the stored state.
// Lane `lane` of `lanes` writes the edges lane, lane + lanes, … (one lane writes them all).
fn game_write_observation(lane: u32, lanes: u32) {
    var s = game_load();
    // Edge `edge` is {u, v}; stepping `lanes` edges on wraps into the following rows.
    let first = clique_edge_endpoints(min(lane, CLIQUE_EDGES - 1u));
    var u = first.x;
    var v = first.y;
    for (var edge = lane; edge < CLIQUE_EDGES; edge += lanes) {
        let features = clique_edge_features(&s, u, v);
        search_emit_observation(3u * edge, features.x);
        search_emit_observation(3u * edge + 1u, features.y);
        search_emit_observation(3u * edge + 2u, features.z);
        v += lanes;
        while v >= CLIQUE_N && u + 2u < CLIQUE_N {
            u += 1u;
            v = v - CLIQUE_N + u + 1u;
        }
    }
}
