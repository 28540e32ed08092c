// Expands compact replay records (src/selfplay/record.rs) into their dense form:
// [observation (OBSERVATION_LEN), policy target (ACTIONS), legal mask (ACTIONS), search
// value, surprise, copies, value target]. A workgroup expands a record, each lane a share
// of its floats (neighbouring lanes neighbouring floats): the observation comes from the
// record's search state through the game's search adapter (`game_write_observation`), the
// policy target and legal mask from the listed (action, target) pairs. The host twin is
// `CompactLayout::expand` with the game's Rust observation.
//
// Prepended by src/selfplay/gpu_replay.rs: STATE_WORDS, ACTIONS, OBSERVATION_LEN,
// RECORD_LEGAL, RECORD_WORDS, DENSE_FLOATS and the game's search adapter, which this file
// gives the search_* accessors it is written over (reading the record's state words;
// nothing is stored or expanded here).

@group(0) @binding(0) var<storage, read> ring: array<u32>;
// Dense records: the sampler's per-row scratch ([BATCH, DENSE_FLOATS]), or decode_ring's
// output ([records, DENSE_FLOATS]).
@group(0) @binding(12) var<storage, read_write> dense: array<f32>;

var<private> record_base: u32;
var<private> dense_base: u32;

fn search_state_word(i: u32) -> u32 {
    return ring[record_base + i];
}

fn search_set_state_word(i: u32, value: u32) {}

fn search_emit_legal(i: u32, action: u32) {}

fn search_emit_observation(i: u32, value: f32) {
    dense[dense_base + i] = value;
}

// Writes the dense form of the ring record starting at word `record` to `dense` from
// float `out`; lane `lane` of the workgroup's `lanes` writes its share. Every lane of the
// workgroup calls it with the same record (it holds a barrier).
fn decode_record(record: u32, out: u32, lane: u32, lanes: u32) {
    record_base = record;
    dense_base = out;
    game_write_observation(lane, lanes);
    let policy = out + OBSERVATION_LEN;
    let mask = policy + ACTIONS;
    for (var a = lane; a < ACTIONS; a += lanes) {
        dense[policy + a] = 0.0;
        dense[mask + a] = 0.0;
    }
    // The listed actions' targets land on the zeros above, some written by other lanes.
    storageBarrier();
    let listed = min(ring[record + STATE_WORDS], RECORD_LEGAL);
    let actions = record + STATE_WORDS + 1u;
    for (var i = lane; i < listed; i += lanes) {
        let action = ring[actions + i];
        dense[policy + action] = bitcast<f32>(ring[actions + RECORD_LEGAL + i]);
        dense[mask + action] = 1.0;
    }
    let tail = record + RECORD_WORDS - 4u;
    for (var k = lane; k < 4u; k += lanes) {
        dense[mask + ACTIONS + k] = bitcast<f32>(ring[tail + k]);
    }
}

// Tools and tests: record r of the ring into dense record r, a workgroup of 64 lanes per
// record (workgroups along x, then rows of them along y).
@compute @workgroup_size(64)
fn decode_ring(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
    @builtin(local_invocation_index) lane: u32,
) {
    let r = wid.y * groups.x + wid.x;
    if r >= arrayLength(&dense) / DENSE_FLOATS {
        return;
    }
    decode_record(r * RECORD_WORDS, r * DENSE_FLOATS, lane, 64u);
}
