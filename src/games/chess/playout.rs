//! Random playout: the generator and move choice of the `random_playout` kernel
//! (`shaders/games/chess/batch.wgsl`), and its CPU twin on the Rust rules, which must reach
//! the same positions, generator states and counters.
//!
//! Each ply, the kernel walks the mover's pieces by ascending origin square; a piece with
//! `c > 0` legal moves adds `c` to the running total `t` and, with one generator draw
//! `u = random % t`, takes over the choice as its `u`-th move if `u < c` (weighted
//! reservoir sampling: every legal move is equally likely, in one pass, without a move
//! list). Moves of a piece are ordered by destination, promotions queen, rook, bishop,
//! knight. A finished game is counted by its outcome code and restarts from the standard
//! starting position.

use super::game::ChessGame;
use super::gpu::PLAYOUT_COUNTERS;
use super::position::Move;

/// One step of PCG-RXS-M-XS 32 (identical to `chess_random` in WGSL).
pub fn random_word(state: &mut u32) -> u32 {
    let next = state.wrapping_mul(747_796_405).wrapping_add(2_891_336_453);
    *state = next;
    let word = ((next >> ((next >> 28) + 4)) ^ next).wrapping_mul(277_803_737);
    (word >> 22) ^ word
}

/// Order of promotions within one destination: queen, rook, bishop, knight.
fn promotion_rank(chess_move: &Move) -> u8 {
    chess_move
        .promotion
        .map_or(0, |kind| 4 - kind.index() as u8)
}

/// The move the kernel picks in `game`, drawing from `state`; `None` without legal moves.
pub fn choose_move(game: &ChessGame, state: &mut u32) -> Option<Move> {
    let mut moves: Vec<Move> = game.legal_moves().iter().copied().collect();
    moves.sort_by_key(|m| (m.from, m.to, promotion_rank(m)));
    let mut total = 0u32;
    let mut chosen = None;
    for group in moves.chunk_by(|a, b| a.from == b.from) {
        let count = group.len() as u32;
        total += count;
        let pick = random_word(state) % total;
        if pick < count {
            chosen = Some(group[pick as usize]);
        }
    }
    chosen
}

/// Plays `plies` steps of the kernel on one game: `counters[0]` counts moves played,
/// `counters[code]` games ended with outcome `code` (each restarts from the starting
/// position with the same ply cap).
pub fn play_random(
    game: &mut ChessGame,
    state: &mut u32,
    plies: u32,
    counters: &mut [u32; PLAYOUT_COUNTERS],
) {
    for _ in 0..plies {
        let chosen = choose_move(game, state);
        match (game.outcome(), chosen) {
            (None, Some(chess_move)) => {
                game.play_unchecked(chess_move);
                counters[0] += 1;
            }
            (outcome, _) => {
                let code = outcome.map_or(0, |o| o.code()) as usize;
                counters[code] += 1;
                *game = ChessGame::default().with_ply_cap(game.ply_cap());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_legal_move_is_chosen_about_equally_often() {
        let game = ChessGame::default();
        let mut state = 7;
        let mut counts = std::collections::HashMap::new();
        let draws = 20_000;
        for _ in 0..draws {
            let chess_move = choose_move(&game, &mut state).unwrap();
            *counts.entry(chess_move).or_insert(0u32) += 1;
        }
        assert_eq!(counts.len(), 20);
        // Expected 1000 each; a binomial deviation of 5 sigma is about 150.
        for (chess_move, count) in counts {
            assert!(
                (850..1150).contains(&count),
                "{chess_move:?} chosen {count} times"
            );
        }
    }
}
