//! The WGSL chess rules against the Rust rules and against published perft counts:
//! GPU perft, the random-playout kernel against its CPU twin, and the full cross-check
//! (legal masks, successor positions, outcomes, observations and history on positions
//! from random games; `WGZERO_CHESS_CROSS_POSITIONS` sets how many, default 100,000).

use std::time::Instant;

use wgzero::games::chess::ChessGame;
use wgzero::games::chess::Position;
use wgzero::games::chess::cross_check::{CrossCheckConfig, cross_check};
use wgzero::games::chess::gpu::{
    ChessBatch, ChessKernel, GpuPosition, PLAYOUT_COUNTERS, initial_random_states,
};
use wgzero::games::chess::perft::{REFERENCE_POSITIONS, divide, perft_gpu};
use wgzero::games::chess::playout::play_random;
use wgzero::testing::test_gpu;

#[test]
fn gpu_perft_matches_the_published_counts_and_the_cpu_divide() {
    let Some(gpu) = test_gpu() else { return };
    let mut batch = ChessBatch::new(&gpu, 1024, 512).unwrap();
    let depths = [
        ("start", 3),
        ("kiwipete", 3),
        ("position3", 4),
        ("position4", 3),
        ("position5", 3),
        ("position6", 3),
    ];
    for (name, fen, counts) in REFERENCE_POSITIONS {
        let position = Position::from_fen(fen).unwrap();
        let deepest = depths.iter().find(|(n, _)| *n == name).unwrap().1;
        for depth in 1..=deepest {
            let started = Instant::now();
            let count = perft_gpu(&mut batch, &position, depth).unwrap();
            let nodes = count.nodes;
            eprintln!(
                "gpu perft {name} depth {depth}: {nodes} in {:?}",
                started.elapsed()
            );
            assert_eq!(nodes, counts[depth as usize - 1], "{name} depth {depth}");
            assert_eq!(
                count.divide,
                divide(&position, depth),
                "{name} depth {depth}"
            );
        }
    }
}

#[test]
fn random_playout_kernel_matches_its_cpu_twin() {
    let Some(gpu) = test_gpu() else { return };
    let games = 64;
    let ply_cap = 40;
    let plies = 150;
    let mut batch = ChessBatch::new(&gpu, games, ply_cap).unwrap();
    batch.seed_playout(99);
    batch.set_playout_plies(plies / 3);
    let started = Instant::now();
    batch.submit(&[
        ChessKernel::RandomPlayout,
        ChessKernel::RandomPlayout,
        ChessKernel::RandomPlayout,
    ]);
    let positions = batch.read_positions().unwrap();
    eprintln!(
        "{games} games x {plies} plies on the GPU in {:?}",
        started.elapsed()
    );
    let states = batch.read_random_states().unwrap();
    let counters = batch.read_playout_counters().unwrap();
    let mut twin_states = initial_random_states(99, games);
    let mut finished = 0;
    for game_index in 0..games {
        let mut game = ChessGame::default().with_ply_cap(ply_cap);
        let mut twin_counters = [0u32; PLAYOUT_COUNTERS];
        play_random(
            &mut game,
            &mut twin_states[game_index],
            plies,
            &mut twin_counters,
        );
        assert_eq!(
            positions[game_index],
            GpuPosition::of_game(&game),
            "game {game_index}"
        );
        assert_eq!(
            states[game_index], twin_states[game_index],
            "game {game_index}"
        );
        let range = game_index * PLAYOUT_COUNTERS..(game_index + 1) * PLAYOUT_COUNTERS;
        assert_eq!(counters[range], twin_counters, "game {game_index}");
        finished += twin_counters[1..].iter().sum::<u32>();
    }
    // With a 40-ply cap every game restarted at least three times.
    assert!(finished >= 3 * games as u32, "{finished}");
}

#[test]
fn gpu_and_rust_agree_on_positions_from_random_games() {
    let Some(gpu) = test_gpu() else { return };
    let positions = std::env::var("WGZERO_CHESS_CROSS_POSITIONS")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(100_000);
    let config = CrossCheckConfig {
        positions,
        ..CrossCheckConfig::default()
    };
    let report = cross_check(&gpu, &config).unwrap();
    eprintln!("{}", serde_json::to_string(&report).unwrap());
    assert!(report.positions_compared >= positions);
    // Every way for a game to end but the ply cap (next test) was met and agreed on.
    assert!(
        report.outcomes[1..6].iter().all(|&count| count > 0),
        "{report:?}"
    );
}

#[test]
fn gpu_and_rust_agree_on_the_ply_cap() {
    let Some(gpu) = test_gpu() else { return };
    let config = CrossCheckConfig {
        positions: 5_000,
        games: 64,
        ply_cap: 30,
        ..CrossCheckConfig::default()
    };
    let report = cross_check(&gpu, &config).unwrap();
    assert!(report.outcomes[6] > 0, "{report:?}");
}
