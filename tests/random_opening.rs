//! Self-play's random openings on the GPU: with greedy play and no root noise every game
//! plays the same first move, unless the games open with random moves, which then spread
//! over the board. (The host self-play's twin of this test is in `selfplay::host`.)

use std::collections::BTreeSet;

use wgzero::backend::Compute;
use wgzero::games::clique::{CliqueConfig, Mode};
use wgzero::graph::{CompileOptions, Graph, Program};
use wgzero::nn::{self, uniform::Uniform};
use wgzero::search::gpu::GpuSearch;
use wgzero::search::{FirstPlayUrgency, RootPolicy, SearchConfig};
use wgzero::selfplay::gpu::GpuSelfPlay;
use wgzero::selfplay::record::PlaySettings;
use wgzero::testing::test_gpu;

const GAMES: u32 = 64;

/// The distinct first moves of `GAMES` fresh games played with `random_opening`.
fn first_moves(random_opening: u32) -> Option<BTreeSet<u32>> {
    let gpu = test_gpu()?;
    let config = CliqueConfig::new(6, 3, Mode::Avoid).unwrap();
    let network = Uniform {
        observation_len: 3 * config.num_edges(),
        actions: config.num_edges(),
    };
    let graph = Graph::new();
    nn::inference(&graph, &network, GAMES as usize);
    let options = CompileOptions {
        fuse: true,
        seed: 5,
        ..CompileOptions::default()
    };
    let Program::Gpu(program) =
        Program::compile(&graph, &Compute::Gpu(gpu.clone()), &options).unwrap()
    else {
        unreachable!("compiled for the GPU")
    };
    let search = SearchConfig {
        simulations: 4,
        policy: RootPolicy::AlphaZero {
            c_puct: 1.5,
            first_play_urgency: FirstPlayUrgency::Reduction(0.0),
            dirichlet: None,
        },
        reuse_subtree: false,
    };
    let play = PlaySettings {
        temperature_moves: 0,
        late_temperature: 0.0,
        random_opening,
        surprise_weight: 0.0,
        replay_fraction: 1.0,
        record: false,
        log_draws: false,
        trace_games: 0,
    };
    let engine = GpuSearch::new(&gpu, &config, program, search, GAMES, 9).unwrap();
    let self_play = GpuSelfPlay::new(&gpu, &engine, &config, play).unwrap();
    self_play.reset();
    engine.submit(|engine, pass| {
        engine.record_search(pass);
        self_play.record_play(pass);
    });
    let games = self_play.read_games().unwrap();
    assert!(games.iter().all(|game| game.moves == 1), "one move each");
    Some(games.iter().map(|game| game.last_action).collect())
}

#[test]
fn greedy_play_without_an_opening_repeats_one_first_move() {
    let Some(moves) = first_moves(0) else { return };
    assert_eq!(moves.len(), 1, "first moves {moves:?}");
}

#[test]
fn random_openings_spread_the_first_moves_over_the_board() {
    let Some(moves) = first_moves(14) else { return };
    // 64 games, 14 in 15 of them opening at random over 15 edges: all but a handful of
    // edges are hit (fewer than 8 happens with probability far below 1e-9).
    assert!(moves.len() >= 8, "first moves {moves:?}");
    assert!(
        moves.iter().all(|&action| action < 15),
        "legal edges only: {moves:?}"
    );
}
