// Batched Monte Carlo tree search: one thread per game, every game's tree in the buffers
// below (struct of arrays, mctx-style, children stored sparsely: an expanded node owns a
// contiguous run of edges, one per legal move).
//
// Prepended by src/search/gpu.rs: the constants GAMES, NODE_CAPACITY, EDGE_CAPACITY,
// MAX_DEPTH, STATE_WORDS, ACTIONS, OBSERVATION_LEN, SIMULATIONS, the root policy's
// constants (POLICY, C_PUCT, FPU_*, DIRICHLET_*, MAX_CONSIDERED, C_VISIT, C_SCALE,
// GUMBEL_NOISE, REUSE), and the game's search adapter, which defines GameState and
// game_load / game_store / game_reset / game_apply / game_is_over / game_terminal_value /
// game_list_legal / game_write_observation(lane, lanes) in terms of the search_*
// accessors defined here. Self-play (shaders/selfplay/play.wgsl) is appended to this file
// to play moves from the searched roots; it uses the tree, the slots and the random
// streams below.
//
// Conventions (as in src/search/reference.rs): an edge's value sum is from the view of
// the player who chooses it; a node's raw value from its own mover's view.

const NONE: u32 = 0xffffffffu;
const EXPANDED: u32 = 1u;
const TERMINAL: u32 = 2u;
const POLICY_ALPHAZERO: u32 = 0u;
const POLICY_GUMBEL: u32 = 1u;

struct Node {
    first_edge: u32,
    num_edges: u32,
    flags: u32,
    visits: u32,
    raw_value: f32,
    terminal_value: f32,
    parent_edge: u32,
    padding: u32,
}

struct Edge {
    action: u32,
    child: u32,
    visits: u32,
    value_sum: f32,
    prior: f32,
    raw_prior: f32,
    logit: f32,
    gumbel: f32,
}

// The search state of one game slot (src/search/gpu.rs `SearchSlot` is its Rust twin).
struct Slot {
    root: u32,
    node_count: u32,
    edge_count: u32,
    leaf: u32,
    path_len: u32,
    needs_eval: u32,
    rng_state: u32,
    rng_increment: u32,
    // Expansions dropped because a pool was full (a leaf then stays unexpanded).
    overflow: u32,
    // 1 when this game has nothing to evaluate or back up in the current step.
    skip: u32,
}

@group(0) @binding(0) var<storage, read_write> slots: array<Slot>;
@group(0) @binding(1) var<storage, read_write> nodes: array<Node>;
@group(0) @binding(2) var<storage, read_write> edges: array<Edge>;
@group(0) @binding(3) var<storage, read_write> states: array<u32>;
@group(0) @binding(4) var<storage, read_write> paths: array<u32>;
@group(0) @binding(5) var<storage, read_write> observations: array<f32>;
@group(0) @binding(6) var<storage, read> logits: array<f32>;
@group(0) @binding(7) var<storage, read> values: array<f32>;

// ---- accessors for the game adapter ----

var<private> state_base: u32;
var<private> emit_base: u32;
// One past the last edge slot of the game being expanded.
var<private> emit_end: u32;
var<private> observation_base: u32;

fn search_state_word(i: u32) -> u32 {
    return states[state_base + i];
}

fn search_set_state_word(i: u32, value: u32) {
    states[state_base + i] = value;
}

// Records legal action number `i` of the node being expanded (i < the node's count).
fn search_emit_legal(i: u32, action: u32) {
    if emit_base + i < emit_end {
        edges[emit_base + i].action = action;
    }
}

fn search_emit_observation(i: u32, value: f32) {
    observations[observation_base + i] = value;
}

// ---- random numbers (PCG32, one stream per game) ----

var<private> rng_state: u32;
var<private> rng_increment: u32;

fn random_u32() -> u32 {
    let old = rng_state;
    rng_state = old * 747796405u + rng_increment;
    let word = ((old >> ((old >> 28u) + 4u)) ^ old) * 277803737u;
    return (word >> 22u) ^ word;
}

// Uniform in (0, 1).
fn random_open() -> f32 {
    return (f32(random_u32() >> 8u) + 0.5) / 16777216.0;
}

fn random_normal() -> f32 {
    return sqrt(-2.0 * log(random_open())) * cos(6.283185307 * random_open());
}

// Marsaglia and Tsang's method; α < 1 via Gamma(α + 1) · U^(1/α).
fn random_gamma(alpha: f32) -> f32 {
    let boost = alpha < 1.0;
    let a = select(alpha, alpha + 1.0, boost);
    let d = a - 1.0 / 3.0;
    let c = 1.0 / sqrt(9.0 * d);
    var sample = d;
    for (var attempt = 0u; attempt < 64u; attempt++) {
        let x = random_normal();
        let v = 1.0 + c * x;
        if v <= 0.0 {
            continue;
        }
        let v3 = v * v * v;
        let u = random_open();
        if log(u) < 0.5 * x * x + d - d * v3 + d * log(v3) {
            sample = d * v3;
            break;
        }
    }
    if boost {
        sample *= pow(random_open(), 1.0 / alpha);
    }
    return sample;
}

fn random_gumbel() -> f32 {
    return -log(-log(random_open()));
}

fn load_rng(g: u32) {
    rng_state = slots[g].rng_state;
    rng_increment = slots[g].rng_increment;
}

fn store_rng(g: u32) {
    slots[g].rng_state = rng_state;
}

// ---- tree helpers ----

fn node_index(g: u32, local: u32) -> u32 {
    return g * NODE_CAPACITY + local;
}

fn edge_index(g: u32, local: u32) -> u32 {
    return g * EDGE_CAPACITY + local;
}

fn select_state(g: u32, local_node: u32) {
    state_base = (g * NODE_CAPACITY + local_node) * STATE_WORDS;
}

// Mean value of a node from its mover's view: its evaluation and every backup through it.
fn node_value(g: u32, local: u32) -> f32 {
    let n = nodes[node_index(g, local)];
    var sum = n.raw_value;
    var visits = 1u;
    for (var i = 0u; i < n.num_edges; i++) {
        let e = edges[edge_index(g, n.first_edge + i)];
        sum += e.value_sum;
        visits += e.visits;
    }
    return sum / f32(visits);
}

fn edge_q(e: Edge) -> f32 {
    return e.value_sum / f32(e.visits);
}

// PUCT: argmax Q + c·P·√N(node)/(1 + N(edge)); ties to the first (lowest action).
fn select_puct(g: u32, local: u32) -> u32 {
    let n = nodes[node_index(g, local)];
    let parent_visits = f32(max(n.visits, 1u));
    var unvisited = FPU_VALUE;
    if FPU_RELATIVE {
        unvisited = node_value(g, local) - FPU_VALUE;
    }
    let scale = C_PUCT * sqrt(parent_visits);
    var best = n.first_edge;
    var best_score = 0.0;
    for (var i = 0u; i < n.num_edges; i++) {
        let e = edges[edge_index(g, n.first_edge + i)];
        var q = unvisited;
        if e.visits > 0u {
            q = edge_q(e);
        }
        let score = q + scale * e.prior / f32(1u + e.visits);
        if i == 0u || score > best_score {
            best = n.first_edge + i;
            best_score = score;
        }
    }
    return best;
}

// σ(completed Q) of child i of a node (Gumbel MuZero), given the node's statistics.
struct SigmaContext {
    mixed: f32,
    low: f32,
    range: f32,
    scale: f32,
}

fn sigma_context(g: u32, local: u32) -> SigmaContext {
    let n = nodes[node_index(g, local)];
    var total = 0u;
    var weighted = 0.0;
    var weight = 0.0;
    var max_visits = 0u;
    for (var i = 0u; i < n.num_edges; i++) {
        let e = edges[edge_index(g, n.first_edge + i)];
        total += e.visits;
        max_visits = max(max_visits, e.visits);
        if e.visits > 0u {
            weighted += e.raw_prior * edge_q(e);
            weight += e.raw_prior;
        }
    }
    var mixed = n.raw_value;
    if weight > 0.0 {
        mixed = (n.raw_value + f32(total) * (weighted / weight)) / (f32(total) + 1.0);
    }
    var low = 3.0e38;
    var high = -3.0e38;
    for (var i = 0u; i < n.num_edges; i++) {
        let e = edges[edge_index(g, n.first_edge + i)];
        var c = mixed;
        if e.visits > 0u {
            c = edge_q(e);
        }
        low = min(low, c);
        high = max(high, c);
    }
    return SigmaContext(mixed, low, max(high - low, 1e-8), (C_VISIT + f32(max_visits)) * C_SCALE);
}

fn sigma_of(context: SigmaContext, e: Edge) -> f32 {
    var c = context.mixed;
    if e.visits > 0u {
        c = edge_q(e);
    }
    return context.scale * ((c - context.low) / context.range);
}

// Gumbel MuZero below the root: argmax π'(a) − N(a)/(1 + ΣN).
fn select_improved(g: u32, local: u32) -> u32 {
    let n = nodes[node_index(g, local)];
    let context = sigma_context(g, local);
    var high = -3.0e38;
    var total = 0u;
    for (var i = 0u; i < n.num_edges; i++) {
        let e = edges[edge_index(g, n.first_edge + i)];
        high = max(high, e.logit + sigma_of(context, e));
        total += e.visits;
    }
    var normaliser = 0.0;
    for (var i = 0u; i < n.num_edges; i++) {
        let e = edges[edge_index(g, n.first_edge + i)];
        normaliser += exp(e.logit + sigma_of(context, e) - high);
    }
    var best = n.first_edge;
    var best_score = 0.0;
    for (var i = 0u; i < n.num_edges; i++) {
        let e = edges[edge_index(g, n.first_edge + i)];
        let probability = exp(e.logit + sigma_of(context, e) - high) / normaliser;
        let score = probability - f32(e.visits) / f32(1u + total);
        if i == 0u || score > best_score {
            best = n.first_edge + i;
            best_score = score;
        }
    }
    return best;
}

// Gumbel MuZero at the root: among children with exactly `considered_visit` visits,
// argmax g + logit + σ(q). NONE if no child has that count.
fn select_considered(g: u32, local: u32, considered_visit: u32) -> u32 {
    let n = nodes[node_index(g, local)];
    let context = sigma_context(g, local);
    var max_logit = -3.0e38;
    for (var i = 0u; i < n.num_edges; i++) {
        max_logit = max(max_logit, edges[edge_index(g, n.first_edge + i)].logit);
    }
    var best = NONE;
    var best_score = 0.0;
    for (var i = 0u; i < n.num_edges; i++) {
        let e = edges[edge_index(g, n.first_edge + i)];
        if e.visits != considered_visit {
            continue;
        }
        let score = max(e.gumbel + (e.logit - max_logit) + sigma_of(context, e), -1e9);
        if best == NONE || score > best_score {
            best = n.first_edge + i;
            best_score = score;
        }
    }
    return best;
}

// Sequential halving's visit count for simulation `index` with `considered` actions
// (mctx's get_sequence_of_considered_visits, computed on the fly).
fn considered_visit(considered: u32, index: u32) -> u32 {
    if considered <= 1u {
        return index;
    }
    let log2 = u32(ceil(log2(f32(considered)) - 1e-6));
    var position = 0u;
    var visits = 0u;
    var remaining = considered;
    loop {
        let extra = max(1u, SIMULATIONS / (log2 * remaining));
        let span = extra * remaining;
        if index < position + span {
            return visits + (index - position) / remaining;
        }
        position += span;
        visits += extra;
        remaining = max(2u, remaining / 2u);
    }
    return visits;
}

fn choose_edge(g: u32, local: u32, at_root: bool) -> u32 {
    if POLICY == POLICY_ALPHAZERO {
        return select_puct(g, local);
    }
    if at_root {
        let n = nodes[node_index(g, local)];
        var total = 0u;
        for (var i = 0u; i < n.num_edges; i++) {
            total += edges[edge_index(g, n.first_edge + i)].visits;
        }
        let considered = min(MAX_CONSIDERED, n.num_edges);
        let index = min(total, max(SIMULATIONS, 1u) - 1u);
        let chosen = select_considered(g, local, considered_visit(considered, index));
        if chosen != NONE {
            return chosen;
        }
    }
    return select_improved(g, local);
}

// ---- kernels ----

// Walks every game from its root to a leaf, creating the leaf's node (state = parent's
// state after the edge's action) if the edge had none, and flags whether the leaf needs
// the network (write_observations then writes its observation).
@compute @workgroup_size(64)
fn select_leaves(@builtin(global_invocation_id) id: vec3<u32>) {
    let g = id.x;
    if g >= GAMES {
        return;
    }
    var game = slots[g];
    var local = game.root;
    var depth = 0u;
    loop {
        let n = nodes[node_index(g, local)];
        if (n.flags & EXPANDED) == 0u || (n.flags & TERMINAL) != 0u || n.num_edges == 0u
            || depth >= MAX_DEPTH {
            break;
        }
        let e = choose_edge(g, local, local == game.root);
        let child = edges[edge_index(g, e)].child;
        if child != NONE {
            paths[g * MAX_DEPTH + depth] = e;
            depth += 1u;
            local = child;
            continue;
        }
        if game.node_count >= NODE_CAPACITY {
            // No room: the walk ends at this expanded node, which then counts as a leaf
            // valued by its current mean.
            game.overflow += 1u;
            break;
        }
        paths[g * MAX_DEPTH + depth] = e;
        depth += 1u;
        let created = game.node_count;
        game.node_count += 1u;
        select_state(g, local);
        var state = game_load();
        game_apply(&state, edges[edge_index(g, e)].action);
        select_state(g, created);
        game_store(&state);
        var flags = 0u;
        var terminal_value = 0.0;
        if game_is_over(&state) {
            flags = TERMINAL;
            terminal_value = game_terminal_value(&state);
        }
        nodes[node_index(g, created)] = Node(0u, 0u, flags, 0u, 0.0, terminal_value, e, 0u);
        edges[edge_index(g, e)].child = created;
        local = created;
        break;
    }
    game.leaf = local;
    game.path_len = depth;
    game.skip = 0u;
    let leaf = nodes[node_index(g, local)];
    game.needs_eval = select(0u, 1u, (leaf.flags & (EXPANDED | TERMINAL)) == 0u);
    slots[g] = game;
}

// After select_leaves or evaluate_roots: the observation of every leaf that needs the
// network, one workgroup per game (game = workgroup x + y * workgroups in x), its threads
// sharing the writes as the adapter's lanes.
@compute @workgroup_size(64)
fn write_observations(
    @builtin(workgroup_id) group: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
    @builtin(local_invocation_index) lane: u32,
) {
    let g = group.x + group.y * groups.x;
    if g >= GAMES || slots[g].needs_eval == 0u {
        return;
    }
    select_state(g, slots[g].leaf);
    observation_base = g * OBSERVATION_LEN;
    game_write_observation(lane, 64u);
}

// Expands each evaluated leaf with the network's policy (softmax over the legal moves)
// and value, then backs the leaf's value up the path, flipping its sign every ply.
@compute @workgroup_size(64)
fn expand_and_backup(@builtin(global_invocation_id) id: vec3<u32>) {
    let g = id.x;
    if g >= GAMES {
        return;
    }
    var game = slots[g];
    if game.skip == 1u {
        return;
    }
    let leaf_index = node_index(g, game.leaf);
    var leaf = nodes[leaf_index];
    var value = leaf.terminal_value;
    if game.needs_eval == 1u {
        value = values[g];
        select_state(g, game.leaf);
        var state = game_load();
        emit_base = edge_index(g, game.edge_count);
        emit_end = edge_index(g, EDGE_CAPACITY);
        let count = game_list_legal(&state);
        if game.edge_count + count <= EDGE_CAPACITY {
            var high = -3.0e38;
            for (var i = 0u; i < count; i++) {
                let action = edges[emit_base + i].action;
                high = max(high, logits[g * ACTIONS + action]);
            }
            var total = 0.0;
            for (var i = 0u; i < count; i++) {
                let action = edges[emit_base + i].action;
                total += exp(logits[g * ACTIONS + action] - high);
            }
            for (var i = 0u; i < count; i++) {
                let action = edges[emit_base + i].action;
                let logit = logits[g * ACTIONS + action];
                let prior = exp(logit - high) / total;
                edges[emit_base + i] = Edge(action, NONE, 0u, 0.0, prior, prior, logit, 0.0);
            }
            leaf.first_edge = game.edge_count;
            leaf.num_edges = count;
            leaf.flags |= EXPANDED;
            game.edge_count += count;
        } else {
            game.overflow += 1u;
        }
        leaf.raw_value = value;
    } else if (leaf.flags & TERMINAL) == 0u {
        // An expanded node reached because the node pool was full.
        value = node_value(g, game.leaf);
    }
    leaf.visits += 1u;
    nodes[leaf_index] = leaf;
    for (var i = game.path_len; i > 0u; i--) {
        value = -value;
        let e = edge_index(g, paths[g * MAX_DEPTH + i - 1u]);
        edges[e].visits += 1u;
        edges[e].value_sum += value;
    }
    // The nodes above the leaf: the root and every child on the path but the last.
    var local = game.root;
    for (var i = 0u; i < game.path_len; i++) {
        nodes[node_index(g, local)].visits += 1u;
        local = edges[edge_index(g, paths[g * MAX_DEPTH + i])].child;
    }
    slots[g] = game;
}

// After the root's evaluation: root noise for this search (Dirichlet-mixed priors or
// Gumbel draws), and the root's own visit.
@compute @workgroup_size(64)
fn prepare_root(@builtin(global_invocation_id) id: vec3<u32>) {
    let g = id.x;
    if g >= GAMES {
        return;
    }
    load_rng(g);
    let root = nodes[node_index(g, slots[g].root)];
    if POLICY == POLICY_ALPHAZERO && DIRICHLET_EPSILON > 0.0 {
        var total = 0.0;
        for (var i = 0u; i < root.num_edges; i++) {
            let draw = random_gamma(DIRICHLET_ALPHA);
            edges[edge_index(g, root.first_edge + i)].gumbel = draw;
            total += draw;
        }
        total = max(total, 1e-30);
        for (var i = 0u; i < root.num_edges; i++) {
            let e = edge_index(g, root.first_edge + i);
            edges[e].prior = (1.0 - DIRICHLET_EPSILON) * edges[e].raw_prior
                + DIRICHLET_EPSILON * edges[e].gumbel / total;
            edges[e].gumbel = 0.0;
        }
    } else {
        for (var i = 0u; i < root.num_edges; i++) {
            let e = edge_index(g, root.first_edge + i);
            edges[e].prior = edges[e].raw_prior;
            var draw = 0.0;
            if POLICY == POLICY_GUMBEL && GUMBEL_NOISE {
                draw = random_gumbel();
            }
            edges[e].gumbel = draw;
        }
    }
    store_rng(g);
}

// Before a search: games whose root has not been evaluated get it evaluated (flagged for
// write_observations; the next expand_and_backup expands it); the others skip that step.
@compute @workgroup_size(64)
fn evaluate_roots(@builtin(global_invocation_id) id: vec3<u32>) {
    let g = id.x;
    if g >= GAMES {
        return;
    }
    var game = slots[g];
    let root = nodes[node_index(g, game.root)];
    game.leaf = game.root;
    game.path_len = 0u;
    if (root.flags & (EXPANDED | TERMINAL)) == 0u {
        game.needs_eval = 1u;
        game.skip = 0u;
    } else {
        game.needs_eval = 0u;
        game.skip = 1u;
    }
    slots[g] = game;
}

// Makes `state` the one node of game g's tree.
fn start_tree(g: u32, state: ptr<function, GameState>) {
    select_state(g, 0u);
    game_store(state);
    var flags = 0u;
    var terminal_value = 0.0;
    if game_is_over(state) {
        flags = TERMINAL;
        terminal_value = game_terminal_value(state);
    }
    nodes[node_index(g, 0u)] = Node(0u, 0u, flags, 0u, 0.0, terminal_value, NONE, 0u);
    slots[g].root = 0u;
    slots[g].node_count = 1u;
    slots[g].edge_count = 0u;
}
