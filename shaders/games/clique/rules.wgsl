// The clique game's rules over one state: a library of functions that every clique kernel
// (and later the tree search's kernels) concatenates and calls. It mirrors the Rust
// reference, src/games/clique/state.rs, word for word.
//
// Needs, from the generated prelude (src/games/clique/gpu.rs, `library_source`):
//   CLIQUE_N, CLIQUE_K (colour 0's clique size), CLIQUE_T (colour 1's; = K outside avoid
//   mode), CLIQUE_EDGES (= N(N-1)/2), CLIQUE_MODE, CLIQUE_ADJACENCY_LEN (= 2N),
//   CLIQUE_STACK_LEN (>= max(K, T)-3, >= 1), CLIQUE_ALL_VERTICES (the set 0..N)
// and, from mask32.wgsl or mask64.wgsl, the CliqueMask type and its mask_* functions.

const CLIQUE_SYMMETRIC: u32 = 0u;
const CLIQUE_ASYMMETRIC: u32 = 1u;
const CLIQUE_AVOID: u32 = 2u;

// Status codes (Status::code in Rust).
const CLIQUE_ONGOING: u32 = 0u;
const CLIQUE_WON_BY_0: u32 = 1u;
const CLIQUE_WON_BY_1: u32 = 2u;
const CLIQUE_DRAW: u32 = 3u;

// last_action before the first move; an action slot that the apply kernel skips.
const CLIQUE_NO_ACTION: u32 = 0xffffffffu;

// One position. The storage layout (u32 words) is the Rust `CliqueState::to_words`.
struct CliqueState {
    moves_played: u32,
    // 0 or 1; flips after every move, the last one included.
    to_move: u32,
    status: u32,
    last_action: u32,
    // [2, N]: adjacency[p * N + v] holds the vertices w with {v, w} in player p's colour.
    adjacency: array<CliqueMask, CLIQUE_ADJACENCY_LEN>,
}

fn clique_reset(s: ptr<function, CliqueState>) {
    (*s).moves_played = 0u;
    (*s).to_move = 0u;
    (*s).status = CLIQUE_ONGOING;
    (*s).last_action = CLIQUE_NO_ACTION;
    for (var i = 0u; i < CLIQUE_ADJACENCY_LEN; i++) {
        (*s).adjacency[i] = CLIQUE_MASK_EMPTY;
    }
}

// Index of edge (u, u+1), the first of row u in the lexicographic order.
fn clique_row_start(u: u32) -> u32 {
    return u * (2u * CLIQUE_N - u - 1u) / 2u;
}

// The action of edge {u, v}, u < v.
fn clique_edge_index(u: u32, v: u32) -> u32 {
    return clique_row_start(u) + v - u - 1u;
}

// Endpoints (u, v), u < v, of an action < CLIQUE_EDGES.
fn clique_edge_endpoints(action: u32) -> vec2<u32> {
    var u = 0u;
    var rest = action;
    // Terminates for any action: once u reaches N the row length wraps to 0xffffffff.
    loop {
        let row = CLIQUE_N - 1u - u;
        if rest < row {
            break;
        }
        rest -= row;
        u += 1u;
    }
    return vec2<u32>(u, u + 1u + rest);
}

fn clique_is_over(s: ptr<function, CliqueState>) -> bool {
    return (*s).status != CLIQUE_ONGOING;
}

// Vertices w > u with {u, w} still uncoloured.
fn clique_empty_above(s: ptr<function, CliqueState>, u: u32) -> CliqueMask {
    let used = (*s).adjacency[u] | (*s).adjacency[CLIQUE_N + u];
    return ~used & mask_above(u);
}

fn clique_is_legal(s: ptr<function, CliqueState>, action: u32) -> bool {
    if clique_is_over(s) || action >= CLIQUE_EDGES {
        return false;
    }
    let edge = clique_edge_endpoints(action);
    return mask_has(clique_empty_above(s, edge.x), edge.y);
}

// Does `candidates` hold `size` (>= 1) vertices pairwise adjacent in `player`'s graph?
// Depth-first search without recursion (WGSL has none), the Rust `contains_clique`:
// stack[d] holds the candidates adjacent to the d vertices chosen so far and above the
// last one chosen.
fn clique_contains_clique(s: ptr<function, CliqueState>, player: u32, candidates: CliqueMask, size: u32) -> bool {
    if mask_count(candidates) < size {
        return false;
    }
    if size <= 1u {
        return true;
    }
    let base = player * CLIQUE_N;
    var stack: array<CliqueMask, CLIQUE_STACK_LEN>;
    stack[0] = candidates;
    var depth = 0u;
    // Every pass removes one candidate or pops a level, so the loop ends; a level is
    // pushed only while depth + 2 < size, so depth <= size - 2 <= max(K, T) - 4 < CLIQUE_STACK_LEN.
    loop {
        let remaining = stack[depth];
        if mask_count(remaining) + depth < size {
            if depth == 0u {
                return false;
            }
            depth -= 1u;
            continue;
        }
        let vertex = mask_lowest(remaining);
        let rest = remaining & ~mask_bit(vertex);
        stack[depth] = rest;
        let next = rest & (*s).adjacency[base + vertex];
        if depth + 2u == size {
            if !mask_is_empty(next) {
                return true;
            }
            continue;
        }
        depth += 1u;
        stack[depth] = next;
    }
    return false;
}

// Claims {u, v} (u < v, uncoloured, game ongoing) for the player to move and settles the
// status: the incremental test asks whether the common neighbourhood of u and v in the
// mover's graph holds a K_{size-2}, size being the mover's colour's clique size.
fn clique_claim(s: ptr<function, CliqueState>, u: u32, v: u32, action: u32) {
    let player = (*s).to_move;
    let base = player * CLIQUE_N;
    (*s).adjacency[base + u] |= mask_bit(v);
    (*s).adjacency[base + v] |= mask_bit(u);
    (*s).moves_played += 1u;
    (*s).last_action = action;
    var formed = false;
    if CLIQUE_MODE != CLIQUE_ASYMMETRIC || player == 0u {
        let neighbours_of_both = (*s).adjacency[base + u] & (*s).adjacency[base + v];
        let size = select(CLIQUE_K, CLIQUE_T, player == 1u);
        formed = clique_contains_clique(s, player, neighbours_of_both, size - 2u);
    }
    if formed {
        if CLIQUE_MODE == CLIQUE_AVOID {
            (*s).status = CLIQUE_WON_BY_0 + (1u - player);
        } else {
            (*s).status = CLIQUE_WON_BY_0 + player;
        }
    } else if (*s).moves_played == CLIQUE_EDGES {
        if CLIQUE_MODE == CLIQUE_ASYMMETRIC {
            (*s).status = CLIQUE_WON_BY_1;
        } else {
            (*s).status = CLIQUE_DRAW;
        }
    }
    (*s).to_move = 1u - player;
}

// Plays `action` if it is legal and returns whether it did; otherwise leaves the state.
fn clique_apply(s: ptr<function, CliqueState>, action: u32) -> bool {
    if !clique_is_legal(s, action) {
        return false;
    }
    let edge = clique_edge_endpoints(action);
    clique_claim(s, edge.x, edge.y, action);
    return true;
}

// The value for the player to move: 1 won, 0 drawn (or still ongoing), -1 lost.
fn clique_terminal_value(s: ptr<function, CliqueState>) -> f32 {
    let status = (*s).status;
    if status == CLIQUE_ONGOING || status == CLIQUE_DRAW {
        return 0.0;
    }
    if status - CLIQUE_WON_BY_0 == (*s).to_move {
        return 1.0;
    }
    return -1.0;
}

fn clique_empty_count(s: ptr<function, CliqueState>) -> u32 {
    return CLIQUE_EDGES - (*s).moves_played;
}

// The uncoloured edge of rank `rank` (< clique_empty_count) in action order, as
// (u, v, action).
fn clique_empty_edge(s: ptr<function, CliqueState>, rank: u32) -> vec3<u32> {
    var remaining = rank;
    for (var u = 0u; u + 1u < CLIQUE_N; u++) {
        let empty = clique_empty_above(s, u);
        let count = mask_count(empty);
        if remaining < count {
            let v = mask_select(empty, remaining);
            return vec3<u32>(u, v, clique_edge_index(u, v));
        }
        remaining -= count;
    }
    return vec3<u32>(0u, 0u, CLIQUE_NO_ACTION);
}

// The owner of {u, v} relative to the player to move: (own, opponent, empty) one-hot.
fn clique_edge_features(s: ptr<function, CliqueState>, u: u32, v: u32) -> vec3<f32> {
    let player = (*s).to_move;
    let own = mask_has((*s).adjacency[player * CLIQUE_N + u], v);
    let opponent = mask_has((*s).adjacency[(1u - player) * CLIQUE_N + u], v);
    return vec3<f32>(f32(own), f32(opponent), f32(!own && !opponent));
}
