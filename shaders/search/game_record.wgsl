// The per-game record of the GPU search (src/search/gpu.rs `GameRecord` is its Rust twin),
// shared by the search kernels and the replay kernels.

struct Game {
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
    // Moves played in the current game.
    moves: u32,
    // Moves played and games finished since the counters were cleared.
    positions: u32,
    finished: u32,
    // Outcome counts of finished games: wins of player 0, of player 1, draws.
    wins0: u32,
    wins1: u32,
    draws: u32,
    // The action played last (NONE before the first).
    last_action: u32,
    // 1 when this game has nothing to evaluate or back up in the current step.
    skip: u32,
    // Length of the game that ended at the last move (0 if none ended), and its result
    // for player 0 (1 win, 0 draw, −1 loss).
    finished_length: u32,
    finished_value0: f32,
    // Sum of the lengths of the games finished since the counters were cleared.
    finished_moves: u32,
    // Replay records the game that ended at the last move stores (its positions'
    // surprise-weighted copies; 0 if none ended).
    finished_records: u32,
}
