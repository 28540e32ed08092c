// Batched Monte Carlo tree search: one thread per game, every game's tree in the buffers
// below (struct of arrays, mctx-style, children stored sparsely: an expanded node owns a
// contiguous run of edges, one per legal move).
//
// Prepended by src/search/gpu.rs: the constants GAMES, NODE_CAPACITY, EDGE_CAPACITY,
// MAX_DEPTH, STATE_WORDS, ACTIONS, OBSERVATION_LEN, SIMULATIONS, the root policy's
// constants (POLICY, C_PUCT, FPU_*, DIRICHLET_*, MAX_CONSIDERED, C_VISIT, C_SCALE,
// GUMBEL_NOISE, TEMPERATURE_MOVES, REUSE), and the game's search adapter, which defines
// GameState and game_load / game_store / game_reset / game_apply / game_is_over /
// game_terminal_value / game_list_legal / game_write_observation in terms of the
// search_* accessors defined here.
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

// struct Game: shaders/search/game_record.wgsl, prepended by the host.


@group(0) @binding(0) var<storage, read_write> games: array<Game>;
@group(0) @binding(1) var<storage, read_write> nodes: array<Node>;
@group(0) @binding(2) var<storage, read_write> edges: array<Edge>;
@group(0) @binding(3) var<storage, read_write> states: array<u32>;
@group(0) @binding(4) var<storage, read_write> paths: array<u32>;
@group(0) @binding(5) var<storage, read_write> observations: array<f32>;
@group(0) @binding(6) var<storage, read> logits: array<f32>;
@group(0) @binding(7) var<storage, read> values: array<f32>;
// With RECORD: [GAMES, TRAJECTORY_LEN, RECORD_FLOATS] training samples of the game in
// progress, one per move: observation (OBSERVATION_LEN), policy target (ACTIONS), legal
// mask (ACTIONS), then the mover (0 or 1).
@group(0) @binding(8) var<storage, read_write> trajectories: array<f32>;

// Final positions of drawn games (in avoid mode, Ramsey counterexample candidates): a
// ring of DRAW_LOG_LEN states; `count` counts every draw ever logged.
struct DrawLog {
    count: atomic<u32>,
    states: array<u32>,
}
@group(0) @binding(9) var<storage, read_write> draw_log: DrawLog;

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

var<private> observation_to_trajectory: bool;

fn search_emit_observation(i: u32, value: f32) {
    if observation_to_trajectory {
        trajectories[observation_base + i] = value;
    } else {
        observations[observation_base + i] = value;
    }
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
    rng_state = games[g].rng_state;
    rng_increment = games[g].rng_increment;
}

fn store_rng(g: u32) {
    games[g].rng_state = rng_state;
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
// state after the edge's action) if the edge had none, and writes the leaf's observation
// for the network when it needs an evaluation.
@compute @workgroup_size(64)
fn select_leaves(@builtin(global_invocation_id) id: vec3<u32>) {
    let g = id.x;
    if g >= GAMES {
        return;
    }
    var game = games[g];
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
    if game.needs_eval == 1u {
        select_state(g, local);
        var state = game_load();
        observation_base = g * OBSERVATION_LEN;
        game_write_observation(&state);
    }
    games[g] = game;
}

// Expands each evaluated leaf with the network's policy (softmax over the legal moves)
// and value, then backs the leaf's value up the path, flipping its sign every ply.
@compute @workgroup_size(64)
fn expand_and_backup(@builtin(global_invocation_id) id: vec3<u32>) {
    let g = id.x;
    if g >= GAMES {
        return;
    }
    var game = games[g];
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
    games[g] = game;
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
    let root = nodes[node_index(g, games[g].root)];
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

// Before a search: games whose root has not been evaluated get it evaluated (the next
// expand_and_backup expands it); the others skip that step.
@compute @workgroup_size(64)
fn evaluate_roots(@builtin(global_invocation_id) id: vec3<u32>) {
    let g = id.x;
    if g >= GAMES {
        return;
    }
    var game = games[g];
    let root = nodes[node_index(g, game.root)];
    game.leaf = game.root;
    game.path_len = 0u;
    if (root.flags & (EXPANDED | TERMINAL)) == 0u {
        game.needs_eval = 1u;
        game.skip = 0u;
        select_state(g, game.root);
        var state = game_load();
        observation_base = g * OBSERVATION_LEN;
        game_write_observation(&state);
    } else {
        game.needs_eval = 0u;
        game.skip = 1u;
    }
    games[g] = game;
}

// Starts every game afresh: the initial position as a one-node tree.
@compute @workgroup_size(64)
fn reset_games(@builtin(global_invocation_id) id: vec3<u32>) {
    let g = id.x;
    if g >= GAMES {
        return;
    }
    var state: GameState;
    game_reset(&state);
    start_tree(g, &state);
    games[g].moves = 0u;
    games[g].last_action = NONE;
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
    games[g].root = 0u;
    games[g].node_count = 1u;
    games[g].edge_count = 0u;
}

// How many uniformly random moves open game g's current game: uniform in
// 0..=RANDOM_OPENING, a hash of the game's stream and its count of finished games, so it
// stays fixed while the game lasts.
fn opening_length(g: u32) -> u32 {
    if RANDOM_OPENING == 0u {
        return 0u;
    }
    var h = games[g].rng_increment ^ (games[g].finished * 2654435769u);
    h = h * 747796405u + 2891336453u;
    h = ((h >> ((h >> 28u) + 4u)) ^ h) * 277803737u;
    h = (h >> 22u) ^ h;
    return h % (RANDOM_OPENING + 1u);
}

// The root child the policy plays: a uniformly random one during the game's random
// opening (above); then, with either policy, the first TEMPERATURE_MOVES moves
// of a game are sampled ∝ visits (as the host pipeline does); after them AlphaZero takes
// the most visited (ties: higher prior, lower action) and Gumbel takes argmax
// g + logit + σ(q) among the most visited.
fn chosen_edge(g: u32) -> u32 {
    let game = games[g];
    let root = nodes[node_index(g, game.root)];
    if game.moves < opening_length(g) && root.num_edges > 0u {
        return root.first_edge + random_u32() % root.num_edges;
    }
    var most = 0u;
    var total = 0u;
    for (var i = 0u; i < root.num_edges; i++) {
        let e = edges[edge_index(g, root.first_edge + i)];
        most = max(most, e.visits);
        total += e.visits;
    }
    if game.moves < TEMPERATURE_MOVES && total > 0u {
        var pick = random_u32() % total;
        for (var i = 0u; i < root.num_edges; i++) {
            let visits = edges[edge_index(g, root.first_edge + i)].visits;
            if pick < visits {
                return root.first_edge + i;
            }
            pick -= visits;
        }
    }
    if POLICY == POLICY_GUMBEL {
        let chosen = select_considered(g, game.root, most);
        return select(chosen, root.first_edge, chosen == NONE);
    }
    var best = root.first_edge;
    for (var i = 1u; i < root.num_edges; i++) {
        let e = edges[edge_index(g, root.first_edge + i)];
        let b = edges[edge_index(g, best)];
        if e.visits > b.visits || (e.visits == b.visits && e.raw_prior > b.raw_prior) {
            best = root.first_edge + i;
        }
    }
    return best;
}

// After a search: plays each game's chosen move, keeps the chosen subtree when REUSE is
// on and the pools have room for another search, and starts a new game when one ends.
@compute @workgroup_size(64)
fn play_moves(@builtin(global_invocation_id) id: vec3<u32>) {
    let g = id.x;
    if g >= GAMES {
        return;
    }
    load_rng(g);
    let e = chosen_edge(g);
    store_rng(g);
    if RECORD {
        record_sample(g);
    }
    let edge = edges[edge_index(g, e)];
    var game = games[g];
    game.finished_length = 0u;
    game.finished_records = 0u;
    game.finished_value0 = 0.0;
    var state: GameState;
    if edge.child != NONE {
        select_state(g, edge.child);
        state = game_load();
    } else {
        select_state(g, game.root);
        state = game_load();
        game_apply(&state, edge.action);
    }
    game.positions += 1u;
    game.moves += 1u;
    game.last_action = edge.action;
    let over = game_is_over(&state);
    if over {
        // The value is for the player to move now; the player who just moved is the other.
        let value = game_terminal_value(&state);
        let to_move = game.moves % 2u;
        if value == 0.0 {
            game.draws += 1u;
        } else if (value > 0.0) == (to_move == 0u) {
            game.wins0 += 1u;
        } else {
            game.wins1 += 1u;
        }
        game.finished += 1u;
        game.finished_length = game.moves;
        game.finished_moves += game.moves;
        game.finished_value0 = select(-value, value, to_move == 0u);
        if RECORD {
            // The RNG stream goes on from chosen_edge's draws; `game` is written back below.
            game.finished_records = weigh_trajectory(g, game.moves);
            game.rng_state = rng_state;
            if value == 0.0 {
                log_draw(g, &state);
            }
        }
        game.moves = 0u;
        game_reset(&state);
    }
    let room = game.node_count + SIMULATIONS + 1u <= NODE_CAPACITY
        && game.edge_count + (SIMULATIONS + 1u) * GAME_MAX_LEGAL <= EDGE_CAPACITY;
    games[g] = game;
    if REUSE && !over && edge.child != NONE && room {
        games[g].root = edge.child;
        nodes[node_index(g, edge.child)].parent_edge = NONE;
    } else {
        start_tree(g, &state);
    }
}

// The training sample of game g's current root: its observation, the search's policy
// target (visit shares for AlphaZero, the completed-Q improved policy for Gumbel), the
// legal mask, and the mover. Written at the game's move index.
fn record_sample(g: u32) {
    let game = games[g];
    let base = (g * TRAJECTORY_LEN + min(game.moves, TRAJECTORY_LEN - 1u)) * RECORD_FLOATS;
    select_state(g, game.root);
    var state = game_load();
    observation_base = base;
    observation_to_trajectory = true;
    game_write_observation(&state);
    observation_to_trajectory = false;
    let policy = base + OBSERVATION_LEN;
    let mask = policy + ACTIONS;
    for (var a = 0u; a < ACTIONS; a++) {
        trajectories[policy + a] = 0.0;
        trajectories[mask + a] = 0.0;
    }
    let root = nodes[node_index(g, game.root)];
    var total = 0u;
    for (var i = 0u; i < root.num_edges; i++) {
        total += edges[edge_index(g, root.first_edge + i)].visits;
    }
    if POLICY == POLICY_GUMBEL {
        let context = sigma_context(g, game.root);
        var high = -3.0e38;
        for (var i = 0u; i < root.num_edges; i++) {
            let e = edges[edge_index(g, root.first_edge + i)];
            high = max(high, e.logit + sigma_of(context, e));
        }
        var normaliser = 0.0;
        for (var i = 0u; i < root.num_edges; i++) {
            let e = edges[edge_index(g, root.first_edge + i)];
            normaliser += exp(e.logit + sigma_of(context, e) - high);
        }
        for (var i = 0u; i < root.num_edges; i++) {
            let e = edges[edge_index(g, root.first_edge + i)];
            trajectories[policy + e.action] = exp(e.logit + sigma_of(context, e) - high) / normaliser;
        }
    } else {
        for (var i = 0u; i < root.num_edges; i++) {
            let e = edges[edge_index(g, root.first_edge + i)];
            var share = e.raw_prior;
            if total > 0u {
                share = f32(e.visits) / f32(total);
            }
            trajectories[policy + e.action] = share;
        }
    }
    // The legal mask; the policy surprise KL(target ‖ prior) over the legal moves (the
    // network's prior before noise, renormalised; train::replay::policy_surprise is its
    // host twin); the search's value (its most visited move's mean value) for the value
    // target of a random-opening position.
    var prior_total = 0.0;
    var most = 0u;
    var search_value = NO_SEARCH_VALUE;
    for (var i = 0u; i < root.num_edges; i++) {
        let e = edges[edge_index(g, root.first_edge + i)];
        trajectories[mask + e.action] = 1.0;
        prior_total += e.raw_prior;
        if e.visits > most {
            most = e.visits;
            search_value = edge_q(e);
        }
    }
    var surprise = 0.0;
    if prior_total > 0.0 {
        for (var i = 0u; i < root.num_edges; i++) {
            let e = edges[edge_index(g, root.first_edge + i)];
            let share = trajectories[policy + e.action];
            if share > 0.0 {
                surprise += share * log(share / max(e.raw_prior / prior_total, 1.0e-6));
            }
        }
    }
    if game.moves >= opening_length(g) {
        search_value = NO_SEARCH_VALUE;
    } else if most == 0u {
        search_value = nodes[node_index(g, game.root)].raw_value;
    }
    trajectories[mask + ACTIONS] = search_value;
    trajectories[mask + ACTIONS + 1u] = max(surprise, 0.0);
    trajectories[mask + ACTIONS + 2u] = 1.0;
    trajectories[mask + ACTIONS + 3u] = f32(game.moves % 2u);
}

// The replay copies of each position of game g's finished trajectory of `length` moves
// (written over its records' copies slot), by policy-surprise weighting:
// w_t = (1 − λ) + λ·L·s_t / Σs, stored ⌊w_t⌋ times plus once more with probability
// frac(w_t) (train::replay::surprise_weights and weight_copies are the host twins).
// Returns the total.
fn weigh_trajectory(g: u32, length: u32) -> u32 {
    let count = min(length, TRAJECTORY_LEN);
    if SURPRISE_WEIGHT == 0.0 {
        return count;
    }
    let tail = OBSERVATION_LEN + 2u * ACTIONS;
    var total = 0.0;
    for (var t = 0u; t < count; t++) {
        total += trajectories[(g * TRAJECTORY_LEN + t) * RECORD_FLOATS + tail + 1u];
    }
    if total <= 0.0 {
        return count;
    }
    var records = 0u;
    for (var t = 0u; t < count; t++) {
        let base = (g * TRAJECTORY_LEN + t) * RECORD_FLOATS + tail;
        let weight = (1.0 - SURPRISE_WEIGHT)
            + SURPRISE_WEIGHT * f32(count) * trajectories[base + 1u] / total;
        let whole = floor(weight);
        let copies = u32(whole) + select(0u, 1u, random_open() < weight - whole);
        trajectories[base + 2u] = f32(copies);
        records += copies;
    }
    return records;
}

// Copies a finished game's final position into the draw log. The game's tree is about to
// be restarted, so node slot 1 serves as the staging place for the words.
fn log_draw(g: u32, state: ptr<function, GameState>) {
    let slot = atomicAdd(&draw_log.count, 1u) % DRAW_LOG_LEN;
    select_state(g, 1u);
    game_store(state);
    for (var i = 0u; i < STATE_WORDS; i++) {
        draw_log.states[slot * STATE_WORDS + i] = states[state_base + i];
    }
}
