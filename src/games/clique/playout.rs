//! Random playouts on the CPU, move for move what `shaders/games/clique/random_playout.wgsl`
//! does on the GPU (same PCG, same choice of move), so one checks the other; also the CPU
//! reference rate of the benchmark.

use super::state::CliqueState;
use super::{CliqueConfig, edge_index};

/// PCG-RXS-M-XS 32/32, as `pcg_next` in random_playout.wgsl.
pub fn pcg_next(state: &mut u32) -> u32 {
    let old = *state;
    *state = old.wrapping_mul(747796405).wrapping_add(2891336453);
    let word = ((old >> ((old >> 28) + 4)) ^ old).wrapping_mul(277803737);
    (word >> 22) ^ word
}

/// The initial PCG state of thread `index` for `seed` (SplitMix64 of both).
pub fn initial_rng_state(seed: u64, index: u32) -> u32 {
    let mut z = seed ^ u64::from(index).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    (z ^ (z >> 31)) as u32
}

/// `[batch]` initial PCG states.
pub fn initial_rng_states(seed: u64, batch: u32) -> Vec<u32> {
    (0..batch)
        .map(|index| initial_rng_state(seed, index))
        .collect()
}

/// The uncoloured edge of rank `rank` in action order, as (u, v).
fn empty_edge(state: &CliqueState, rank: u32) -> (u32, u32) {
    let mut remaining = rank;
    for u in 0..state.config().n - 1 {
        let mut empty = state.empty_above(u);
        let count = empty.count_ones();
        if remaining < count {
            for _ in 0..remaining {
                empty &= empty - 1;
            }
            return (u, empty.trailing_zeros());
        }
        remaining -= count;
    }
    unreachable!("rank {rank} beyond the uncoloured edges")
}

/// One thread of the random-playout kernel: `steps` random moves, starting a new game
/// before a move whenever the game is over, counting finished games in `finished`.
pub fn random_playout(state: &mut CliqueState, rng: &mut u32, finished: &mut u32, steps: u32) {
    let config = state.config();
    for _ in 0..steps {
        if state.is_over() {
            *finished += 1;
            *state = CliqueState::new(config);
        }
        let empty = (config.num_edges() as u32) - state.moves_played();
        let rank = pcg_next(rng) % empty;
        let (u, v) = empty_edge(state, rank);
        debug_assert!(edge_index(config.n, u, v) < config.num_edges());
        state.claim(u, v);
    }
}

/// Plays `steps` random moves in each of `games` games on `threads` CPU threads and
/// returns the moves played (= games × steps) — the CPU reference of the benchmark.
pub fn cpu_playout_moves(
    config: CliqueConfig,
    games: u32,
    steps: u32,
    threads: usize,
    seed: u64,
) -> u64 {
    let threads = threads.max(1);
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|thread| {
                scope.spawn(move || {
                    let mut moves = 0u64;
                    for game in (thread as u32..games).step_by(threads) {
                        let mut state = CliqueState::new(config);
                        let mut rng = initial_rng_state(seed, game);
                        let mut finished = 0;
                        random_playout(&mut state, &mut rng, &mut finished, steps);
                        moves += u64::from(steps);
                        std::hint::black_box(&state);
                    }
                    moves
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|worker| worker.join().unwrap_or(0))
            .sum()
    })
}
