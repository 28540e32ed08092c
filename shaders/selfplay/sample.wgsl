// Training batches drawn from the replay ring on the GPU, written straight into the
// training program's input buffers. With AUGMENT each sample is seen under a random
// relabelling π of the board's vertices: edge {u, v} becomes {π(u), π(v)}, so the
// observation's edge rows, the policy target and the legal mask move together.
//
// Prepended by src/selfplay/gpu_replay.rs: BATCH, RECORD_FLOATS, VERTICES, EDGES,
// OBSERVATION_LEN (= 3 EDGES), AUGMENT; and struct Header (replay.wgsl).

@group(0) @binding(0) var<storage, read> ring: array<f32>;
@group(0) @binding(1) var<storage, read> header: Header;
@group(0) @binding(2) var<storage, read_write> rng_states: array<u32>;
@group(0) @binding(3) var<storage, read_write> observations: array<f32>;
@group(0) @binding(4) var<storage, read_write> policy_target: array<f32>;
@group(0) @binding(5) var<storage, read_write> legal_mask: array<f32>;
@group(0) @binding(6) var<storage, read_write> value_target: array<f32>;

var<private> rng: u32;

fn next_random() -> u32 {
    let old = rng;
    rng = old * 747796405u + 2891336453u;
    let word = ((old >> ((old >> 28u) + 4u)) ^ old) * 277803737u;
    return (word >> 22u) ^ word;
}

fn edge_of(u: u32, v: u32) -> u32 {
    let low = min(u, v);
    let high = max(u, v);
    return low * (2u * VERTICES - low - 1u) / 2u + high - low - 1u;
}

@compute @workgroup_size(64)
fn sample_batch(@builtin(global_invocation_id) id: vec3<u32>) {
    let b = id.x;
    if b >= BATCH {
        return;
    }
    rng = rng_states[b];
    let count = max(header.count, 1u);
    let record = (next_random() % count) * RECORD_FLOATS;
    var relabel: array<u32, 64>;
    for (var v = 0u; v < VERTICES; v++) {
        relabel[v] = v;
    }
    if AUGMENT {
        // Fisher–Yates.
        for (var v = VERTICES - 1u; v > 0u; v--) {
            let w = next_random() % (v + 1u);
            let kept = relabel[v];
            relabel[v] = relabel[w];
            relabel[w] = kept;
        }
    }
    var e = 0u;
    for (var u = 0u; u + 1u < VERTICES; u++) {
        for (var v = u + 1u; v < VERTICES; v++) {
            let to = edge_of(relabel[u], relabel[v]);
            for (var f = 0u; f < 3u; f++) {
                observations[(b * EDGES + to) * 3u + f] = ring[record + e * 3u + f];
            }
            policy_target[b * EDGES + to] = ring[record + OBSERVATION_LEN + e];
            legal_mask[b * EDGES + to] = ring[record + OBSERVATION_LEN + EDGES + e];
            e += 1u;
        }
    }
    value_target[b] = ring[record + RECORD_FLOATS - 1u];
    rng_states[b] = rng;
}

// Running sums of the training step's loss terms: [loss, policy, value, entropy, steps].
@group(0) @binding(7) var<storage, read> loss: array<f32>;
@group(0) @binding(8) var<storage, read> policy_loss: array<f32>;
@group(0) @binding(9) var<storage, read> value_loss: array<f32>;
@group(0) @binding(10) var<storage, read> entropy: array<f32>;
@group(0) @binding(11) var<storage, read_write> sums: array<f32>;

@compute @workgroup_size(1)
fn accumulate_losses() {
    sums[0] += loss[0];
    sums[1] += policy_loss[0];
    sums[2] += value_loss[0];
    sums[3] += entropy[0];
    sums[4] += 1.0;
}
