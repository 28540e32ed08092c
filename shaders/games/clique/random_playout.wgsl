// Random playouts for throughput measurements and as a rules stress test: every thread
// owns one state and plays params.steps uniformly random legal moves, starting a new game
// (auto-reset) before a move whenever its game is over. finished[i] counts the games
// thread i has completed. src/games/clique/playout.rs computes the same on the CPU.

@group(0) @binding(0) var<storage, read_write> states: array<CliqueState>;
@group(0) @binding(1) var<storage, read_write> rng_states: array<u32>;
@group(0) @binding(2) var<storage, read_write> finished: array<u32>;
@group(0) @binding(3) var<uniform> params: BatchParams;

// PCG-RXS-M-XS 32/32 (O'Neill): one LCG step, then a permuted output.
fn pcg_next(state: ptr<function, u32>) -> u32 {
    let old = *state;
    *state = old * 747796405u + 2891336453u;
    let word = ((old >> ((old >> 28u) + 4u)) ^ old) * 277803737u;
    return (word >> 22u) ^ word;
}

@compute @workgroup_size(CLIQUE_WORKGROUP)
fn random_playout(@builtin(global_invocation_id) id: vec3<u32>) {
    let i = id.x;
    if i >= params.batch {
        return;
    }
    var s = states[i];
    var rng = rng_states[i];
    var games = finished[i];
    for (var step = 0u; step < params.steps; step++) {
        if clique_is_over(&s) {
            games += 1u;
            clique_reset(&s);
        }
        let rank = pcg_next(&rng) % clique_empty_count(&s);
        let edge = clique_empty_edge(&s, rank);
        clique_claim(&s, edge.x, edge.y, edge.z);
    }
    states[i] = s;
    rng_states[i] = rng;
    finished[i] = games;
}
