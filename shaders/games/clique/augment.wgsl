// Data augmentation for the clique game inside the replay sampler
// (shaders/selfplay/sample.wgsl states the contract of augment_sample): a uniformly random
// relabelling π of the board's vertices, drawn by Fisher–Yates with next_random(); edge
// {u, v} becomes {π(u), π(v)}, so the observation's edge rows, the policy target and the
// legal mask move together. The host twin is `Symmetries::augment` in
// src/games/clique/adapter.rs.
//
// Prepended by src/games/clique/adapter.rs: CLIQUE_VERTICES; the sampler provides
// OBSERVATION_LEN (= 3 ACTIONS), ACTIONS (the edges), the bindings and next_random().

fn clique_edge_of(u: u32, v: u32) -> u32 {
    let low = min(u, v);
    let high = max(u, v);
    return low * (2u * CLIQUE_VERTICES - low - 1u) / 2u + high - low - 1u;
}

fn augment_sample(record: u32, row: u32) {
    var relabel: array<u32, 64>;
    for (var v = 0u; v < CLIQUE_VERTICES; v++) {
        relabel[v] = v;
    }
    for (var v = CLIQUE_VERTICES - 1u; v > 0u; v--) {
        let w = next_random() % (v + 1u);
        let kept = relabel[v];
        relabel[v] = relabel[w];
        relabel[w] = kept;
    }
    var e = 0u;
    for (var u = 0u; u + 1u < CLIQUE_VERTICES; u++) {
        for (var v = u + 1u; v < CLIQUE_VERTICES; v++) {
            let to = clique_edge_of(relabel[u], relabel[v]);
            for (var f = 0u; f < 3u; f++) {
                observations[(row * ACTIONS + to) * 3u + f] = dense[record + e * 3u + f];
            }
            policy_target[row * ACTIONS + to] = dense[record + OBSERVATION_LEN + e];
            legal_mask[row * ACTIONS + to] = dense[record + OBSERVATION_LEN + ACTIONS + e];
            e += 1u;
        }
    }
}
