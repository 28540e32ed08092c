// Training batches drawn from the replay ring on the GPU, written straight into the
// training program's input buffers. A workgroup of 64 lanes per batch row: lane 0 draws a
// held record uniformly with the row's random stream, the lanes expand it (compact in the
// ring) into its dense form in the row's scratch (`decode_record`, decode.wgsl), then
// `write_row(record, row, lane, lanes)` fills the row. With augmentation, `write_row` has
// lane 0 run the game's `augment_sample(record, row)` (its Symmetries' WGSL), which draws a
// random symmetry with next_random() (after the record's draw, on lane 0's stream), reads
// the dense record's floats from `dense` starting at float `record` ([observation, policy
// target, legal mask, …]) and writes row `row` of `observations`, `policy_target` and
// `legal_mask`, moving the three together; without it `write_row` is `copy_row`, every lane
// copying its share. The value target is the record's last float either way. The host twin
// is `ReplayRing::sample_batch` over the dense records (src/selfplay/replay.rs).
//
// (It was one thread per row, expanding and copying a chess row's 26,000 floats alone:
// docs/CHESS.md has the step times before and after.)
//
// Prepended by src/selfplay/gpu_replay.rs: BATCH, RECORD_WORDS, DENSE_FLOATS,
// OBSERVATION_LEN, ACTIONS, struct Header (replay.wgsl) and decode.wgsl with the game's
// adapter; appended: `write_row` (and the game's `augment_sample`).

@group(0) @binding(1) var<storage, read> header: Header;
@group(0) @binding(2) var<storage, read_write> rng_states: array<u32>;
@group(0) @binding(3) var<storage, read_write> observations: array<f32>;
@group(0) @binding(4) var<storage, read_write> policy_target: array<f32>;
@group(0) @binding(5) var<storage, read_write> legal_mask: array<f32>;
@group(0) @binding(6) var<storage, read_write> value_target: array<f32>;

var<private> rng: u32;

// PCG-style step (selfplay::replay::SampleRng is its host twin).
fn next_random() -> u32 {
    let old = rng;
    rng = old * 747796405u + 2891336453u;
    let word = ((old >> ((old >> 28u) + 4u)) ^ old) * 277803737u;
    return (word >> 22u) ^ word;
}

// Row `row` of the batch is the dense record at float `record` of `dense`, as it is; lane
// `lane` of `lanes` copies its share.
fn copy_row(record: u32, row: u32, lane: u32, lanes: u32) {
    for (var i = lane; i < OBSERVATION_LEN; i += lanes) {
        observations[row * OBSERVATION_LEN + i] = dense[record + i];
    }
    for (var a = lane; a < ACTIONS; a += lanes) {
        policy_target[row * ACTIONS + a] = dense[record + OBSERVATION_LEN + a];
        legal_mask[row * ACTIONS + a] = dense[record + OBSERVATION_LEN + ACTIONS + a];
    }
}

// The record lane 0 drew, for every lane of the row's workgroup.
var<workgroup> drawn_record: u32;

// Row b of the batch is workgroup b (workgroups along x, then rows of them along y).
@compute @workgroup_size(64)
fn sample_batch(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
    @builtin(local_invocation_index) lane: u32,
) {
    let b = wid.y * groups.x + wid.x;
    if b >= BATCH {
        return;
    }
    if lane == 0u {
        rng = rng_states[b];
        let count = max(header.count, 1u);
        drawn_record = (next_random() % count) * RECORD_WORDS;
    }
    let record = workgroupUniformLoad(&drawn_record);
    let decoded = b * DENSE_FLOATS;
    decode_record(record, decoded, lane, 64u);
    storageBarrier();
    write_row(decoded, b, lane, 64u);
    if lane == 0u {
        value_target[b] = dense[decoded + DENSE_FLOATS - 1u];
        rng_states[b] = rng;
    }
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
