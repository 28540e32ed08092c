// The replay ring buffer on the GPU: finished games' trajectories are appended after every
// move of self-play, each position as many times as its copies slot says (policy-surprise
// weighting; once each without it). Where each game's records go is an exclusive prefix sum
// (scan) of the finished games' record counts, so every game writes its own contiguous run
// without atomics. When the games finishing at one move store more records than the ring
// holds, only the last CAPACITY of them (in game order) are written, as appending them one
// after another would leave: no slot is written twice in one commit.
//
// Prepended by src/selfplay/gpu_replay.rs: GAMES, TRAJECTORY_LEN, RECORD_WORDS, CAPACITY
// (records in the ring), BLOCKS (= ceil(GAMES / 256)), and struct SelfPlayGame
// (self_play_game.wgsl). The host twin is `ReplayRing::commit` in src/selfplay/replay.rs.
//
// Records are compact (src/selfplay/record.rs: u32 words, the tail's four floats as their
// bits, last). A ring record is a trajectory record with its last float (the mover)
// replaced by the value target from that mover's view: the search's value where the record
// has one (a random-opening position), else the game's outcome.

struct Header {
    // Next record to write.
    head: u32,
    // Records held (at most CAPACITY).
    count: u32,
    // Records ever written.
    written: u32,
}

@group(0) @binding(0) var<storage, read> games: array<SelfPlayGame>;
@group(0) @binding(1) var<storage, read> trajectories: array<u32>;
@group(0) @binding(2) var<storage, read_write> ring: array<u32>;
@group(0) @binding(3) var<storage, read_write> header: Header;
// [GAMES] exclusive offsets within each block of 256 games, then [BLOCKS + 1] block
// offsets (the last one the grand total).
@group(0) @binding(4) var<storage, read_write> offsets: array<u32>;

const SCAN_WIDTH: u32 = 256u;
var<workgroup> scan: array<u32, SCAN_WIDTH>;

// Inclusive Hillis–Steele scan of `value` across the workgroup; returns the inclusive sum.
fn workgroup_scan(lid: u32, value: u32) -> u32 {
    scan[lid] = value;
    workgroupBarrier();
    for (var offset = 1u; offset < SCAN_WIDTH; offset <<= 1u) {
        var add = 0u;
        if lid >= offset {
            add = scan[lid - offset];
        }
        workgroupBarrier();
        scan[lid] += add;
        workgroupBarrier();
    }
    return scan[lid];
}

// Pass 1: each block of 256 games scans its finished games' record counts.
@compute @workgroup_size(256)
fn scan_games(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let g = wid.x * SCAN_WIDTH + lid;
    var length = 0u;
    if g < GAMES {
        length = games[g].finished_records;
    }
    let inclusive = workgroup_scan(lid, length);
    if g < GAMES {
        offsets[g] = inclusive - length;
    }
    if lid == SCAN_WIDTH - 1u {
        offsets[GAMES + wid.x] = inclusive;
    }
}

// Pass 2: one workgroup scans the block totals (BLOCKS ≤ 256) into block offsets, with
// the grand total after them.
@compute @workgroup_size(256)
fn scan_blocks(@builtin(local_invocation_index) lid: u32) {
    var total = 0u;
    if lid < BLOCKS {
        total = offsets[GAMES + lid];
    }
    let inclusive = workgroup_scan(lid, total);
    if lid < BLOCKS {
        offsets[GAMES + lid] = inclusive - total;
    }
    if lid == SCAN_WIDTH - 1u {
        offsets[GAMES + BLOCKS] = inclusive;
    }
}

// Pass 3: every finished game copies its trajectory to its run of the ring. Workgroup
// (x, g) copies words 64x .. 64x + 63 of every record of game g, one word per thread, so
// a game's copy is spread over RECORD_WORDS / 64 workgroups (a dense chess record had
// 10,628 floats: one thread per game copying them all ran for minutes, and lavapipe
// stopped such a thread after about 65,000 loop iterations).
@compute @workgroup_size(64)
fn commit(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let g = wid.y;
    let i = wid.x * 64u + lid;
    if g >= GAMES || i >= RECORD_WORDS {
        return;
    }
    let length = min(games[g].finished_length, TRAJECTORY_LEN);
    if length == 0u {
        return;
    }
    // This game's first record's place among the records of this commit, and how many of
    // them the later ones of the same commit overwrite.
    var index = offsets[GAMES + g / SCAN_WIDTH] + offsets[g];
    let total = offsets[GAMES + BLOCKS];
    let overwritten = select(0u, total - CAPACITY, total > CAPACITY);
    var next = header.head + index;
    let value0 = games[g].finished_value0;
    // The record's tail: search value, surprise, copies, mover.
    let tail = RECORD_WORDS - 4u;
    for (var t = 0u; t < length; t++) {
        let source = (g * TRAJECTORY_LEN + t) * RECORD_WORDS;
        var word = trajectories[source + i];
        if i + 1u == RECORD_WORDS {
            // The mover's slot becomes the value target from the mover's view.
            var value = select(value0, -value0, bitcast<f32>(word) > 0.5);
            let search_value = bitcast<f32>(trajectories[source + tail]);
            if search_value <= 1.0 {
                value = search_value;
            }
            word = bitcast<u32>(value);
        }
        let copies = u32(bitcast<f32>(trajectories[source + tail + 2u]));
        for (var c = 0u; c < copies; c++) {
            if index >= overwritten {
                ring[(next % CAPACITY) * RECORD_WORDS + i] = word;
            }
            next += 1u;
            index += 1u;
        }
    }
}

// Pass 4: moves the head past what was written.
@compute @workgroup_size(1)
fn advance() {
    let total = offsets[GAMES + BLOCKS];
    header.head = (header.head + total) % CAPACITY;
    header.count = min(header.count + total, CAPACITY);
    header.written += total;
}
