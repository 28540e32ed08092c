//! The WGSL clique rules against the Rust rules: every kernel validates for every mask
//! width, random games agree step by step (states, legal masks, outcomes, observations),
//! and the random-playout kernel plays exactly the moves of its Rust twin.
//!
//! Avoid mode with two clique sizes (colour 0 avoids K_s, colour 1 K_t) is checked on
//! boards where the sizes matter: K_8 with (3,4), K_9 with (4,3), K_33 with (4,5).
//!
//! WGZERO_CLIQUE_CROSS_GAMES sets the games per (n, k, mode) of the cross-check (CI default
//! small; `wgzero clique cross-check` runs the full count).

use std::sync::Arc;

use wgzero::games::clique::cross_check::cross_check;
use wgzero::games::clique::gpu::{CliqueBatch, Kernel, kernel_source};
use wgzero::games::clique::playout::{initial_rng_states, random_playout};
use wgzero::games::clique::{CliqueConfig, CliqueSizes, CliqueState, Mode};
use wgzero::gpu::validate_wgsl;
use wgzero::testing::test_gpu;

const MODES: [Mode; 3] = [Mode::Symmetric, Mode::Asymmetric, Mode::Avoid];

fn config(n: u32, k: u32, mode: Mode) -> CliqueConfig {
    CliqueConfig::new(n, k, mode).unwrap()
}

/// Avoid mode where colour 0 avoids K_s and colour 1 K_t.
fn avoid(n: u32, s: u32, t: u32) -> CliqueConfig {
    CliqueConfig::with_sizes(n, CliqueSizes { s, t }, Mode::Avoid).unwrap()
}

/// (n, s, t) boards of avoid mode with two sizes: both mask widths, either size larger.
const TWO_SIZES: [(u32, u32, u32); 4] = [(8, 3, 4), (9, 4, 3), (33, 4, 5), (64, 3, 6)];

#[test]
fn every_kernel_validates_for_both_mask_widths_and_every_mode() {
    for (n, k) in [
        (3, 3),
        (6, 3),
        (17, 4),
        (32, 6),
        (33, 5),
        (43, 5),
        (64, 6),
        (64, 64),
    ] {
        for mode in MODES {
            for kernel in Kernel::ALL {
                let source = kernel_source(config(n, k, mode), kernel, 64);
                if let Err(message) = validate_wgsl(&source, naga::valid::Capabilities::empty()) {
                    panic!("{kernel:?} for n={n} k={k} {mode}: {message}");
                }
            }
        }
    }
    for (n, s, t) in TWO_SIZES {
        for kernel in Kernel::ALL {
            let source = kernel_source(avoid(n, s, t), kernel, 64);
            if let Err(message) = validate_wgsl(&source, naga::valid::Capabilities::empty()) {
                panic!("{kernel:?} for n={n} k={s},{t} avoid: {message}");
            }
        }
    }
}

fn cross_games(default: u64) -> u64 {
    std::env::var("WGZERO_CLIQUE_CROSS_GAMES")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

#[test]
fn random_games_agree_step_by_step_with_the_rust_rules() {
    let Some(gpu) = test_gpu() else { return };
    // (n, k, slots, CI games): the boards, fewer games on the big ones in CI.
    for (n, k, slots, ci_games) in [
        (5, 3, 256, 512),
        (6, 3, 256, 512),
        (7, 4, 256, 512),
        (17, 4, 128, 256),
        (43, 5, 16, 16),
    ] {
        for mode in MODES {
            let games = cross_games(ci_games);
            let report = cross_check(
                &gpu,
                config(n, k, mode),
                games,
                slots.min(games as u32).max(1),
                17 + n as u64,
            )
            .unwrap_or_else(|error| panic!("n={n} k={k} {mode}: {error}"));
            eprintln!("{}", serde_json::to_string(&report).unwrap());
            assert!(report.games >= games);
            assert!(report.moves > 0 && report.illegal_actions > 0);
        }
    }
}

#[test]
fn random_avoid_games_with_two_clique_sizes_agree_step_by_step_with_the_rust_rules() {
    let Some(gpu) = test_gpu() else { return };
    for (n, s, t) in TWO_SIZES.into_iter().take(3) {
        let games = cross_games(if n > 32 { 32 } else { 512 });
        let report = cross_check(
            &gpu,
            avoid(n, s, t),
            games,
            (games as u32).min(256),
            29 + n as u64,
        )
        .unwrap_or_else(|error| panic!("n={n} k={s},{t} avoid: {error}"));
        eprintln!("{}", serde_json::to_string(&report).unwrap());
        assert!(report.games >= games && (report.k, report.t) == (s, t));
    }
}

#[test]
fn the_playout_kernel_plays_the_moves_of_its_rust_twin() {
    let Some(gpu) = test_gpu() else { return };
    for (config, batch, steps) in [
        (config(5, 3, Mode::Avoid), 37, 100),
        (config(6, 3, Mode::Symmetric), 64, 100),
        (config(17, 4, Mode::Asymmetric), 16, 200),
        (config(40, 5, Mode::Symmetric), 4, 1400),
        (avoid(8, 3, 4), 32, 200),
    ] {
        let CliqueConfig { n, k, mode, .. } = config;
        let batch_games = CliqueBatch::new(Arc::clone(&gpu), config, batch, 32).unwrap();
        let rng_states = initial_rng_states(99, batch);
        batch_games.write_rng_states(&rng_states).unwrap();
        // Dispatches of 50 steps, each starting from the state the previous one stored.
        // (llvmpipe ends loops early once one invocation has run ~65,535 loop iterations
        // in total, so long dispatches are for real GPUs.)
        batch_games.set_playout_steps(50);
        batch_games.submit(|pass| {
            for _ in 0..steps / 50 {
                batch_games.encode_random_playout(pass);
            }
        });
        let gpu_states = batch_games.read_states().unwrap();
        let gpu_rng: Vec<u32> = gpu.read(&batch_games.rng_states, batch as usize).unwrap();
        let gpu_finished: Vec<u32> = gpu.read(&batch_games.finished, batch as usize).unwrap();
        let mut total_finished = 0;
        for game in 0..batch as usize {
            let mut state = CliqueState::new(config);
            let (mut rng, mut finished) = (rng_states[game], 0);
            random_playout(&mut state, &mut rng, &mut finished, steps / 50 * 50);
            assert_eq!(gpu_states[game], state, "n={n} k={k} {mode} game {game}");
            assert_eq!((gpu_rng[game], gpu_finished[game]), (rng, finished));
            total_finished += finished;
        }
        assert!(
            total_finished > 0,
            "no game finished: the test would not see auto-reset"
        );
    }
}

#[test]
fn batch_reads_and_writes_round_trip_and_reject_wrong_shapes() {
    let Some(gpu) = test_gpu() else { return };
    let config = config(6, 3, Mode::Symmetric);
    let batch = CliqueBatch::new(Arc::clone(&gpu), config, 3, 64).unwrap();
    let states = vec![
        CliqueState::new(config),
        CliqueState::from_actions(config, &[0, 5, 1]).unwrap(),
        CliqueState::from_actions(config, &[0, 14, 1, 13, 5]).unwrap(),
    ];
    batch.write_states(&states).unwrap();
    assert_eq!(batch.read_states().unwrap(), states);
    assert!(states[2].is_over());
    let outcomes = batch.outcomes().unwrap();
    assert_eq!(outcomes, vec![[0.0, 0.0], [0.0, 0.0], [1.0, -1.0]]);
    assert!(batch.write_actions(&[0, 1]).is_err());
    assert!(batch.write_states(&states[..2]).is_err());
    assert!(CliqueBatch::new(gpu, config, 0, 64).is_err());
}
