// The network input, [batch, E, 3] f32: for every edge (own, opponent, empty) relative to
// the player to move (src/games/clique/observation.rs). One thread a state.

@group(0) @binding(0) var<storage, read> states: array<CliqueState>;
@group(0) @binding(1) var<storage, read_write> observations: array<f32>;
@group(0) @binding(2) var<uniform> params: BatchParams;

@compute @workgroup_size(CLIQUE_WORKGROUP)
fn observation(@builtin(global_invocation_id) id: vec3<u32>) {
    let i = id.x;
    if i >= params.batch {
        return;
    }
    var s = states[i];
    var at = i * CLIQUE_EDGES * 3u;
    for (var u = 0u; u + 1u < CLIQUE_N; u++) {
        for (var v = u + 1u; v < CLIQUE_N; v++) {
            let features = clique_edge_features(&s, u, v);
            observations[at] = features.x;
            observations[at + 1u] = features.y;
            observations[at + 2u] = features.z;
            at += 3u;
        }
    }
}
