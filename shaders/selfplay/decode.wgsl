// Expands compact replay records (src/selfplay/record.rs) into their dense form:
// [observation (OBSERVATION_LEN), policy target (ACTIONS), legal mask (ACTIONS), search
// value, surprise, copies, value target]. The observation comes from the record's search
// state through the game's search adapter (`game_write_observation`, one lane), the
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
// float `out`.
fn decode_record(record: u32, out: u32) {
    record_base = record;
    dense_base = out;
    game_write_observation(0u, 1u);
    let policy = out + OBSERVATION_LEN;
    let mask = policy + ACTIONS;
    for (var a = 0u; a < ACTIONS; a++) {
        dense[policy + a] = 0.0;
        dense[mask + a] = 0.0;
    }
    let listed = min(ring[record + STATE_WORDS], RECORD_LEGAL);
    let actions = record + STATE_WORDS + 1u;
    for (var i = 0u; i < listed; i++) {
        let action = ring[actions + i];
        dense[policy + action] = bitcast<f32>(ring[actions + RECORD_LEGAL + i]);
        dense[mask + action] = 1.0;
    }
    let tail = record + RECORD_WORDS - 4u;
    for (var k = 0u; k < 4u; k++) {
        dense[mask + ACTIONS + k] = bitcast<f32>(ring[tail + k]);
    }
}

// Tools and tests: record r of the ring into dense record r.
@compute @workgroup_size(64)
fn decode_ring(@builtin(global_invocation_id) id: vec3<u32>) {
    let r = id.x;
    if r >= arrayLength(&dense) / DENSE_FLOATS {
        return;
    }
    decode_record(r * RECORD_WORDS, r * DENSE_FLOATS);
}
