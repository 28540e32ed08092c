// Self-play's record of one game slot (src/selfplay/gpu.rs `SelfPlayGame` is its Rust
// twin): the game in progress and counters since the start. Shared by the play kernels
// (play.wgsl) and the replay kernels (replay.wgsl).

struct SelfPlayGame {
    // Moves played in the current game.
    moves: u32,
    // The action played last (NONE before the first).
    last_action: u32,
    // Moves played and games finished since the start.
    positions: u32,
    finished: u32,
    // Outcome counts of finished games: wins of player 0, of player 1, draws.
    wins0: u32,
    wins1: u32,
    draws: u32,
    // Length of the game that ended at the last move (0 if none ended), and its result
    // for player 0 (1 win, 0 draw, −1 loss).
    finished_length: u32,
    finished_value0: f32,
    // Sum of the lengths of the games finished since the start.
    finished_moves: u32,
    // Replay records the game that ended at the last move stores (its positions'
    // surprise-weighted copies; 0 if none ended).
    finished_records: u32,
    // Replay records stored from this slot since the start.
    records: u32,
}
