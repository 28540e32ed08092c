// Ramsey witness search on the GPU: one search chain per thread, the twin of
// src/ramsey/chain.rs (annealing and tabu search) step for step and draw for draw. The prelude
// (src/ramsey/gpu.rs) defines N, S, T, EDGES, WORDS (conflict bitset words), ALL (the
// vertex set), MAX_DEPTH and STATE_WORDS.
//
// Vertex sets are vec2<u32>: x holds vertices 0..31, y vertices 32..63. Colour 0 of edge
// {u, v} is bit v of colourings[u]. Buffers are chain-major: chain c's vertices at
// c * N, its edges at c * EDGES, its conflict words at c * WORDS.

struct Params {
    chains: u32,
    steps: u32,
    patience: u32,
    starts: u32,
    stages: u32,
    steps_per_temperature: u32,
    colour0_threshold: u32,
    // 0: any edge, uniformly; 1: a conflicting edge, uniformly.
    edge_choice: u32,
    // 0: annealing; 1: tabu search (src/ramsey/tabu.rs).
    local_search: u32,
    // Tabu search: the steps a flipped edge stays tabu.
    tenure: u32,
}

// The words of a chain's state.
const RNG_STATE: u32 = 0u;        // 2 words, low first
const RNG_INCREMENT: u32 = 2u;    // 2 words
const ENERGY: u32 = 4u;
const RUN_BEST: u32 = 5u;
const BEST_ENERGY: u32 = 6u;
const CONFLICTING: u32 = 7u;
const STEPS: u32 = 8u;            // 2 words
const FLIPS: u32 = 10u;           // 2 words
const RESTARTS: u32 = 12u;
const WITNESSES: u32 = 13u;
const SINCE: u32 = 14u;           // steps since the run's lowest energy
const STAGE: u32 = 15u;           // the temperature's index in the schedule
const AT_STAGE: u32 = 16u;        // steps at that temperature
const WITNESS_HELD: u32 = 17u;    // 1 while witnesses[c] holds one the host has not taken
const REBUILD: u32 = 18u;         // 1: recount the board from the colouring first; 2: start
                                  // the chain (a start colouring from its generator)
const WITNESS_STEP: u32 = 19u;    // 2 words: the step counter when the held witness was found

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> colourings: array<vec2<u32>>;
@group(0) @binding(2) var<storage, read_write> through: array<u32>;
@group(0) @binding(3) var<storage, read_write> conflicts: array<u32>;
@group(0) @binding(4) var<storage, read_write> best: array<vec2<u32>>;
@group(0) @binding(5) var<storage, read_write> witnesses: array<vec2<u32>>;
@group(0) @binding(6) var<storage, read_write> states: array<u32>;
// [stages, 64]: the acceptance threshold of an uphill move of d at stage s, [s * 64 + d - 1].
@group(0) @binding(7) var<storage, read> thresholds: array<u32>;
@group(0) @binding(8) var<storage, read> starts: array<vec2<u32>>;
// Tabu search: [chains, EDGES], the step (low, high) until which each edge is tabu.
@group(0) @binding(9) var<storage, read_write> tabu_until: array<vec2<u32>>;
// Only `flip_deltas` (tests) binds it.
@group(0) @binding(10) var<storage, read_write> deltas: array<i32>;

// ---- 64-bit arithmetic on (low, high) pairs, for PCG32 ----

fn mul_wide(a: u32, b: u32) -> vec2<u32> {
    let a0 = a & 0xffffu;
    let a1 = a >> 16u;
    let b0 = b & 0xffffu;
    let b1 = b >> 16u;
    let p00 = a0 * b0;
    let p01 = a0 * b1;
    let p10 = a1 * b0;
    let p11 = a1 * b1;
    let middle = (p00 >> 16u) + (p01 & 0xffffu) + (p10 & 0xffffu);
    return vec2<u32>((p00 & 0xffffu) | (middle << 16u), p11 + (p01 >> 16u) + (p10 >> 16u) + (middle >> 16u));
}

fn add64(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
    let low = a.x + b.x;
    return vec2<u32>(low, a.y + b.y + select(0u, 1u, low < a.x));
}

fn mul64(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
    let low = mul_wide(a.x, b.x);
    return vec2<u32>(low.x, low.y + a.x * b.y + a.y * b.x);
}

// 6364136223846793005, PCG's multiplier.
const PCG_MULTIPLIER: vec2<u32> = vec2<u32>(0x4c957f2du, 0x5851f42du);

var<private> rng_state: vec2<u32>;
var<private> rng_increment: vec2<u32>;

fn next_u32() -> u32 {
    let old = rng_state;
    rng_state = add64(mul64(old, PCG_MULTIPLIER), rng_increment);
    // ((old >> 18) ^ old) >> 27, truncated to 32 bits.
    let shifted = vec2<u32>((old.x >> 18u) | (old.y << 14u), old.y >> 18u) ^ old;
    let xorshifted = (shifted.x >> 27u) | (shifted.y << 5u);
    let rotation = old.y >> 27u;
    return (xorshifted >> rotation) | (xorshifted << ((32u - rotation) & 31u));
}

fn below(bound: u32) -> u32 {
    return next_u32() % bound;
}

// ---- vertex sets ----

fn mask_bit(v: u32) -> vec2<u32> {
    let bit = 1u << (v & 31u);
    return select(vec2<u32>(bit, 0u), vec2<u32>(0u, bit), v >= 32u);
}

fn mask_count(m: vec2<u32>) -> u32 {
    return countOneBits(m.x) + countOneBits(m.y);
}

fn mask_lowest(m: vec2<u32>) -> u32 {
    return select(32u + countTrailingZeros(m.y), countTrailingZeros(m.x), m.x != 0u);
}

fn mask_without_lowest(m: vec2<u32>) -> vec2<u32> {
    if m.x != 0u {
        return vec2<u32>(m.x & (m.x - 1u), m.y);
    }
    return vec2<u32>(0u, m.y & (m.y - 1u));
}

// ---- one chain's board ----

var<private> chain: u32;

fn clique_size(colour: u32) -> u32 {
    return select(S, T, colour == 1u);
}

fn colour_of(u: u32, v: u32) -> u32 {
    let row = colourings[chain * N + u];
    let word = select(row.x, row.y, v >= 32u);
    return 1u - ((word >> (v & 31u)) & 1u);
}

fn neighbours(v: u32, colour: u32) -> vec2<u32> {
    let row = colourings[chain * N + v];
    let coloured = select(row, ~row, colour == 1u);
    return coloured & ALL & ~mask_bit(v);
}

fn edge_index(a: u32, b: u32) -> u32 {
    let low = min(a, b);
    let high = max(a, b);
    return low * (2u * N - low - 1u) / 2u + (high - low - 1u);
}

// The size-cliques of colour `colour` inside `candidates`, each counted once from its lowest
// vertex (src/ramsey/counting.rs, count_cliques).
fn count_cliques(candidates: vec2<u32>, colour: u32, size: u32) -> u32 {
    if size == 0u {
        return 1u;
    }
    var rest: array<vec2<u32>, MAX_DEPTH>;
    rest[0] = candidates;
    var depth = 0u;
    var total = 0u;
    loop {
        let need = size - depth;
        let here = rest[depth];
        if need == 1u || mask_count(here) < need {
            if need == 1u {
                total += mask_count(here);
            }
            if depth == 0u {
                break;
            }
            depth -= 1u;
            continue;
        }
        let v = mask_lowest(here);
        let later = mask_without_lowest(here);
        rest[depth] = later;
        rest[depth + 1u] = later & neighbours(v, colour);
        depth += 1u;
    }
    return total;
}

fn set_through(edge: u32, count: u32) {
    let at = chain * EDGES + edge;
    let was = through[at] > 0u;
    through[at] = count;
    if was != (count > 0u) {
        conflicts[chain * WORDS + edge / 32u] ^= 1u << (edge % 32u);
        if count > 0u {
            states[chain * STATE_WORDS + CONFLICTING] += 1u;
        } else {
            states[chain * STATE_WORDS + CONFLICTING] -= 1u;
        }
    }
}

fn change_through(edge: u32, add: bool) {
    let count = through[chain * EDGES + edge];
    set_through(edge, select(count - 1u, count + 1u, add));
}

// Adds (or removes) one for every edge other than {u, v} of every clique of `colour`
// through {u, v}; returns how many cliques there were (board.rs, update_cliques_through).
fn update_cliques_through(u: u32, v: u32, colour: u32, add: bool) -> u32 {
    let size = clique_size(colour) - 2u;
    let candidates = neighbours(u, colour) & neighbours(v, colour);
    if size == 0u {
        return 1u;
    }
    var rest: array<vec2<u32>, MAX_DEPTH>;
    var members: array<u32, MAX_DEPTH>;
    rest[0] = candidates;
    var depth = 0u;
    var cliques = 0u;
    loop {
        let need = size - depth;
        let here = rest[depth];
        if mask_count(here) < need {
            if depth == 0u {
                break;
            }
            depth -= 1u;
            continue;
        }
        let w = mask_lowest(here);
        let later = mask_without_lowest(here);
        rest[depth] = later;
        members[depth] = w;
        if need > 1u {
            rest[depth + 1u] = later & neighbours(w, colour);
            depth += 1u;
            continue;
        }
        // members[0..=depth] is a clique.
        cliques += 1u;
        for (var i = 0u; i <= depth; i++) {
            let a = members[i];
            change_through(edge_index(a, u), add);
            change_through(edge_index(a, v), add);
            for (var j = i + 1u; j <= depth; j++) {
                change_through(edge_index(a, members[j]), add);
            }
        }
    }
    return cliques;
}

fn endpoints(edge: u32) -> vec2<u32> {
    var u = 0u;
    var start = 0u;
    loop {
        let row = N - 1u - u;
        if edge < start + row {
            break;
        }
        start += row;
        u += 1u;
    }
    return vec2<u32>(u, u + 1u + edge - start);
}

fn flip_colour(u: u32, v: u32) {
    colourings[chain * N + u] ^= mask_bit(v);
    colourings[chain * N + v] ^= mask_bit(u);
}

fn flip_delta(edge: u32) -> i32 {
    let uv = endpoints(edge);
    let other = 1u - colour_of(uv.x, uv.y);
    let candidates = neighbours(uv.x, other) & neighbours(uv.y, other);
    let created = count_cliques(candidates, other, clique_size(other) - 2u);
    return i32(created) - i32(through[chain * EDGES + edge]);
}

fn flip(edge: u32) {
    let uv = endpoints(edge);
    let old = colour_of(uv.x, uv.y);
    let destroyed = through[chain * EDGES + edge];
    update_cliques_through(uv.x, uv.y, old, false);
    flip_colour(uv.x, uv.y);
    let created = update_cliques_through(uv.x, uv.y, 1u - old, true);
    set_through(edge, created);
    let at = chain * STATE_WORDS + ENERGY;
    states[at] = states[at] + created - destroyed;
}

// The r-th conflicting edge in lexicographic order.
fn conflicting_edge(rank: u32) -> u32 {
    var rest = rank;
    for (var word = 0u; word < WORDS; word++) {
        var bits = conflicts[chain * WORDS + word];
        let ones = countOneBits(bits);
        if rest < ones {
            for (var i = 0u; i < rest; i++) {
                bits &= bits - 1u;
            }
            return word * 32u + countTrailingZeros(bits);
        }
        rest -= ones;
    }
    return 0u;
}

// Recounts every edge's cliques, the conflict bits and the energy (Board::new).
fn rebuild() {
    let base = chain * STATE_WORDS;
    var conflicting = 0u;
    for (var word = 0u; word < WORDS; word++) {
        conflicts[chain * WORDS + word] = 0u;
    }
    var edge = 0u;
    for (var u = 0u; u < N; u++) {
        for (var v = u + 1u; v < N; v++) {
            let colour = colour_of(u, v);
            let count = count_cliques(neighbours(u, colour) & neighbours(v, colour), colour, clique_size(colour) - 2u);
            through[chain * EDGES + edge] = count;
            if count > 0u {
                conflicts[chain * WORDS + edge / 32u] |= 1u << (edge % 32u);
                conflicting += 1u;
            }
            edge += 1u;
        }
    }
    states[base + CONFLICTING] = conflicting;
    states[base + ENERGY] = count_cliques(ALL, 0u, S) + count_cliques(ALL, 1u, T);
}

fn note_energy() {
    let base = chain * STATE_WORDS;
    if states[base + ENERGY] < states[base + BEST_ENERGY] {
        states[base + BEST_ENERGY] = states[base + ENERGY];
        for (var v = 0u; v < N; v++) {
            best[chain * N + v] = colourings[chain * N + v];
        }
    }
}

fn reset_run() {
    let base = chain * STATE_WORDS;
    if params.local_search == 1u {
        for (var edge = 0u; edge < EDGES; edge++) {
            tabu_until[chain * EDGES + edge] = vec2<u32>(0u, 0u);
        }
    }
    states[base + STAGE] = 0u;
    states[base + AT_STAGE] = 0u;
    states[base + RUN_BEST] = states[base + ENERGY];
    states[base + SINCE] = 0u;
    note_energy();
}

// A fresh random colouring, or one of the start colourings (chain.rs, start_colouring).
fn restart() {
    if params.starts == 0u {
        for (var v = 0u; v < N; v++) {
            colourings[chain * N + v] = vec2<u32>(0u, 0u);
        }
        for (var u = 0u; u < N; u++) {
            for (var v = u + 1u; v < N; v++) {
                if next_u32() < params.colour0_threshold {
                    flip_colour(u, v);
                }
            }
        }
    } else {
        let start = below(params.starts);
        for (var v = 0u; v < N; v++) {
            colourings[chain * N + v] = starts[start * N + v];
        }
    }
    rebuild();
    reset_run();
}

fn increment64(word: u32) {
    let low = states[word] + 1u;
    states[word] = low;
    if low == 0u {
        states[word + 1u] += 1u;
    }
}

// a <= b for (low, high) pairs.
fn at_most64(a: vec2<u32>, b: vec2<u32>) -> bool {
    return a.y < b.y || (a.y == b.y && a.x <= b.x);
}

// One annealing step (anneal.rs, anneal_step); returns whether it flipped.
fn anneal_step() -> bool {
    let base = chain * STATE_WORDS;
    var edge: u32;
    if params.edge_choice == 0u {
        edge = below(EDGES);
    } else {
        edge = conflicting_edge(below(states[base + CONFLICTING]));
    }
    let delta = flip_delta(edge);
    var accepted = delta <= 0;
    if !accepted {
        let draw = next_u32();
        accepted = delta <= 64 && draw < thresholds[states[base + STAGE] * 64u + u32(delta) - 1u];
    }
    if accepted {
        flip(edge);
    }
    return accepted;
}

// One tabu step at chain step `now` (tabu.rs, tabu_step): the best allowed conflicting
// edge, ties broken by reservoir sampling, a random conflicting edge when none is allowed.
fn tabu_step(now: vec2<u32>) {
    let base = chain * STATE_WORDS;
    let energy = i32(states[base + ENERGY]);
    let run_best = i32(states[base + RUN_BEST]);
    var chosen = EDGES;
    var best_delta = 0x7fffffff;
    var ties = 0u;
    for (var word = 0u; word < WORDS; word++) {
        var bits = conflicts[chain * WORDS + word];
        while bits != 0u {
            let edge = word * 32u + countTrailingZeros(bits);
            bits &= bits - 1u;
            let delta = flip_delta(edge);
            let allowed = at_most64(tabu_until[chain * EDGES + edge], now) || energy + delta < run_best;
            if !allowed || delta > best_delta {
                continue;
            }
            if delta < best_delta {
                best_delta = delta;
                chosen = edge;
                ties = 1u;
            } else {
                ties += 1u;
                if below(ties) == 0u {
                    chosen = edge;
                }
            }
        }
    }
    if chosen == EDGES {
        chosen = conflicting_edge(below(states[base + CONFLICTING]));
    }
    flip(chosen);
    tabu_until[chain * EDGES + chosen] = add64(now, vec2<u32>(params.tenure, 0u));
}

// One chain step (chain.rs, Chain::run). Returns false when the chain must wait: it holds a
// witness the host has not taken yet.
fn step() -> bool {
    let base = chain * STATE_WORDS;
    if states[base + ENERGY] == 0u {
        if states[base + WITNESS_HELD] != 0u {
            return false;
        }
        increment64(base + STEPS);
        states[base + WITNESS_STEP] = states[base + STEPS];
        states[base + WITNESS_STEP + 1u] = states[base + STEPS + 1u];
        for (var v = 0u; v < N; v++) {
            witnesses[chain * N + v] = colourings[chain * N + v];
        }
        states[base + WITNESS_HELD] = 1u;
        states[base + WITNESSES] += 1u;
        restart();
        return true;
    }
    increment64(base + STEPS);
    var flipped = true;
    if params.local_search == 1u {
        tabu_step(vec2<u32>(states[base + STEPS], states[base + STEPS + 1u]));
    } else {
        flipped = anneal_step();
    }
    if flipped {
        increment64(base + FLIPS);
    }
    if states[base + ENERGY] < states[base + RUN_BEST] {
        states[base + RUN_BEST] = states[base + ENERGY];
        states[base + SINCE] = 0u;
        note_energy();
    } else {
        states[base + SINCE] += 1u;
        if states[base + SINCE] >= params.patience {
            states[base + RESTARTS] += 1u;
            restart();
            return true;
        }
    }
    if params.local_search == 1u {
        return true;
    }
    states[base + AT_STAGE] += 1u;
    if states[base + AT_STAGE] >= params.steps_per_temperature {
        // The sawtooth: cooler each stage, back to the start after the last.
        states[base + STAGE] = (states[base + STAGE] + 1u) % params.stages;
        states[base + AT_STAGE] = 0u;
    }
    return true;
}

fn load_rng() {
    let base = chain * STATE_WORDS;
    rng_state = vec2<u32>(states[base + RNG_STATE], states[base + RNG_STATE + 1u]);
    rng_increment = vec2<u32>(states[base + RNG_INCREMENT], states[base + RNG_INCREMENT + 1u]);
}

fn store_rng() {
    let base = chain * STATE_WORDS;
    states[base + RNG_STATE] = rng_state.x;
    states[base + RNG_STATE + 1u] = rng_state.y;
}

@compute @workgroup_size(WORKGROUP)
fn run_chains(@builtin(global_invocation_id) id: vec3<u32>) {
    if id.x >= params.chains {
        return;
    }
    chain = id.x;
    load_rng();
    let base = chain * STATE_WORDS;
    if states[base + REBUILD] == 1u {
        rebuild();
    } else if states[base + REBUILD] == 2u {
        restart();
    }
    states[base + REBUILD] = 0u;
    for (var i = 0u; i < params.steps; i++) {
        if !step() {
            break;
        }
    }
    store_rng();
}

// For tests: the delta of flipping each edge of each chain, `deltas[c * EDGES + e]`.
@compute @workgroup_size(WORKGROUP)
fn flip_deltas(@builtin(global_invocation_id) id: vec3<u32>) {
    if id.x >= params.chains * EDGES {
        return;
    }
    chain = id.x / EDGES;
    deltas[id.x] = flip_delta(id.x % EDGES);
}
