//! Search is right without learning: with a uniform prior and a zero value, enough
//! simulations make the most-visited root move an optimal one by the exact solver, on
//! random n=5, k=3 positions of every mode, for the CPU reference and the GPU search.
//!
//! The positions are 3 to 7 random plies deep, so 2,500 simulations nearly exhaust their
//! game trees (at most 7! move orders): a search whose backups had the wrong sign, or that
//! missed terminal positions, would still pick losing moves there.

use wgzero::games::GameState;
use wgzero::games::clique::solver::Solver;
use wgzero::games::clique::state::CliqueState;
use wgzero::games::clique::{CliqueConfig, Mode};
use wgzero::search::gpu::GpuSearch;
use wgzero::search::{
    FirstPlayUrgency, ReferenceSearch, RootPolicy, SearchConfig, UniformEvaluator,
};
use wgzero::testing::test_gpu;

/// Random positions whose legal moves do not all have the same solved value, with the
/// solver's optimal moves.
fn decisive_positions(
    config: CliqueConfig,
    count: usize,
    seed: u64,
) -> Vec<(CliqueState, Vec<usize>)> {
    let mut solver = Solver::new(config).unwrap();
    let mut found = Vec::new();
    let mut x = seed;
    while found.len() < count {
        let mut state = CliqueState::new(config);
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let plies = 3 + (x >> 40) as usize % 5;
        for _ in 0..plies {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            if state.terminal_value().is_some() {
                break;
            }
            let legal = state.legal_actions();
            state
                .apply(legal[(x >> 33) as usize % legal.len()])
                .unwrap();
        }
        if state.terminal_value().is_some() {
            continue;
        }
        let analysis = solver.analyse(&state).unwrap();
        if analysis.optimal_moves.len() < analysis.move_values.len() {
            found.push((state, analysis.optimal_moves));
        }
    }
    found
}

fn puct(simulations: u32) -> SearchConfig {
    SearchConfig {
        simulations,
        policy: RootPolicy::AlphaZero {
            c_puct: 1.0,
            first_play_urgency: FirstPlayUrgency::Reduction(0.0),
            dirichlet: None,
        },
        reuse_subtree: false,
    }
}

const MODES: [Mode; 3] = [Mode::Symmetric, Mode::Asymmetric, Mode::Avoid];

#[test]
fn reference_search_finds_optimal_moves() {
    for (index, mode) in MODES.into_iter().enumerate() {
        let config = CliqueConfig::new(5, 3, mode).unwrap();
        let positions = decisive_positions(config, 12, 7 + index as u64);
        let roots: Vec<CliqueState> = positions.iter().map(|(s, _)| s.clone()).collect();
        let mut search = ReferenceSearch::new(roots, puct(2500), 5).unwrap();
        let mut evaluator = UniformEvaluator::new(config.num_edges());
        let results = search.run(&mut evaluator).unwrap();
        for ((state, optimal), result) in positions.iter().zip(&results) {
            assert!(
                optimal.contains(&result.chosen),
                "{mode}: after {:?} the search chose {} but the optimal moves are {optimal:?}: {:?}",
                state,
                result.chosen,
                result.children
            );
        }
    }
}

#[test]
fn gpu_search_finds_optimal_moves() {
    let Some(gpu) = test_gpu() else { return };
    for (index, mode) in MODES.into_iter().enumerate() {
        let config = CliqueConfig::new(5, 3, mode).unwrap();
        let positions = decisive_positions(config, 12, 100 + index as u64);
        let network = wgzero::nn::uniform::Uniform {
            observation_len: 3 * config.num_edges(),
            actions: config.num_edges(),
        };
        let graph = wgzero::graph::Graph::new();
        wgzero::nn::inference(&graph, &network, positions.len());
        let program = match wgzero::graph::Program::compile(
            &graph,
            &wgzero::backend::Compute::Gpu(gpu.clone()),
            &Default::default(),
        )
        .unwrap()
        {
            wgzero::graph::Program::Gpu(program) => program,
            wgzero::graph::Program::Cpu(_) => unreachable!(),
        };
        let engine = GpuSearch::new(
            &gpu,
            &config,
            program,
            puct(2500),
            positions.len() as u32,
            9,
        )
        .unwrap();
        let words: Vec<u32> = positions.iter().flat_map(|(s, _)| s.to_words()).collect();
        let terminal = vec![None; positions.len()];
        engine.set_roots(&words, &terminal).unwrap();
        engine.submit(|engine, pass| engine.record_search(pass));
        let results = engine.read_results(config.num_edges()).unwrap();
        for ((state, optimal), result) in positions.iter().zip(&results) {
            assert!(
                optimal.contains(&result.chosen),
                "{mode}: after {state:?} the GPU search chose {} but the optimal moves are {optimal:?}",
                result.chosen
            );
        }
    }
}
