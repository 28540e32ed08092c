// The chess search adapter outside the search, for the cross-check (src/games/chess/
// cross_check.rs): one invocation per game plays the game's action on its search state
// (game_load, game_apply, game_store, as the search's expansion does); then `observe`
// writes every game's observation from the stored state as the search's
// write_observations does (a workgroup per game, 64 lanes). Appended to the adapter (and
// the chess library); src/games/chess/cross_check.rs prepends PROBE_GAMES.

// [PROBE_GAMES][CHESS_SEARCH_WORDS]
@group(0) @binding(0) var<storage, read_write> probe_states: array<u32>;
// [PROBE_GAMES]: the action to play first, CHESS_NO_MOVE for none.
@group(0) @binding(1) var<storage, read> probe_actions: array<u32>;
// [PROBE_GAMES][CHESS_OBSERVATION_LEN]
@group(0) @binding(2) var<storage, read_write> probe_observations: array<f32>;

var<private> probe_state_base: u32;
var<private> probe_observation_base: u32;

fn search_state_word(i: u32) -> u32 {
    return probe_states[probe_state_base + i];
}

fn search_set_state_word(i: u32, value: u32) {
    probe_states[probe_state_base + i] = value;
}

fn search_emit_legal(i: u32, action: u32) {}

fn search_emit_observation(i: u32, value: f32) {
    probe_observations[probe_observation_base + i] = value;
}

@compute @workgroup_size(64)
fn probe(@builtin(global_invocation_id) id: vec3<u32>) {
    let game = id.x;
    if game >= PROBE_GAMES {
        return;
    }
    probe_state_base = game * CHESS_SEARCH_WORDS;
    let action = probe_actions[game];
    if action != CHESS_NO_MOVE {
        var state = game_load();
        game_apply(&state, action);
        game_store(&state);
    }
}

@compute @workgroup_size(64)
fn observe(
    @builtin(workgroup_id) group: vec3<u32>,
    @builtin(local_invocation_index) lane: u32,
) {
    let game = group.x;
    probe_state_base = game * CHESS_SEARCH_WORDS;
    probe_observation_base = game * CHESS_OBSERVATION_LEN;
    game_write_observation(lane, 64u);
}
