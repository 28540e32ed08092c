// Chess WGSL library, part 8: the random-number generator of the random playout
// (PCG-RXS-M-XS 32, one u32 of state), identical to `random_word` in
// src/games/chess/playout.rs so the CPU twin draws the same numbers.

// One step: advances `state` and returns 32 random bits.
fn chess_random(state: ptr<function, u32>) -> u32 {
    let next = *state * 747796405u + 2891336453u;
    *state = next;
    let word = ((next >> ((next >> 28u) + 4u)) ^ next) * 277803737u;
    return (word >> 22u) ^ word;
}
