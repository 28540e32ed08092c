//! The GPU witness search against its CPU twin: flip deltas equal `Board::flip_delta` on
//! random colourings, and GPU chains take exactly the CPU chains' steps (colourings, draws,
//! counters, temperatures, tabu lists, restarts and witnesses), for annealing and tabu
//! search: started on the GPU, and after leaving the GPU as a snapshot and coming back.

use wgzero::ramsey::anneal::{AnnealSchedule, EdgeChoice};
use wgzero::ramsey::board::Board;
use wgzero::ramsey::chain::{Chain, ChainSettings, LocalSearch};
use wgzero::ramsey::gpu::GpuSearch;
use wgzero::ramsey::rng::Pcg32;
use wgzero::ramsey::search::{Method, Search};
use wgzero::ramsey::tabu::TabuSettings;
use wgzero::ramsey::{Colouring, Problem};
use wgzero::testing::test_gpu;

#[test]
fn gpu_flip_deltas_equal_the_cpu_twin_on_random_colourings() {
    let Some(gpu) = test_gpu() else { return };
    // Both vertex-set words (n ≤ 32 and n > 32), symmetric and asymmetric problems, and a
    // colour-0 density that leaves many monochromatic cliques of each colour. (lavapipe
    // ends every loop of an invocation once 65,535 iterations of all its loops together
    // have run, so boards here stay small enough for one recount: docs/TESTING.md.)
    for (n, s, t, density) in [
        (8u32, 3u32, 3u32, 1u32 << 31),
        (17, 4, 4, 1 << 31),
        (24, 4, 5, 3 << 29),
        (36, 5, 5, 1 << 31),
        (45, 3, 6, 1 << 31),
    ] {
        let problem = Problem::new(n, s, t).unwrap();
        let settings = Method::Anneal.default_settings(&problem);
        let mut search = Search::new(problem, settings, 3, 3, Vec::new()).snapshot();
        let mut rng = Pcg32::new(u64::from(n), 9);
        let colourings: Vec<Colouring> = (0..3)
            .map(|_| Colouring::random(n, density, &mut rng))
            .collect();
        for (chain, colouring) in search.chains.iter_mut().zip(&colourings) {
            chain.colouring = colouring.graph6();
        }
        let gpu_search = GpuSearch::new(gpu.clone(), &search).unwrap();
        // A dispatch of no steps recounts the boards from the colourings.
        let mut gpu_search = gpu_search;
        gpu_search.submit(0);
        let deltas = gpu_search.flip_deltas().unwrap();
        let edges = (n * (n - 1) / 2) as usize;
        for (index, colouring) in colourings.iter().enumerate() {
            let board = Board::new(problem, colouring.clone());
            for edge in 0..edges {
                assert_eq!(
                    i64::from(deltas[index * edges + edge]),
                    board.flip_delta(edge as u32),
                    "{} chain {index} edge {edge}",
                    problem.describe()
                );
            }
        }
    }
}

/// CPU chains driven to the GPU chains' step counts, compared snapshot for snapshot.
/// Returns the restarts and witnesses the chains had (so a test can say it saw both).
fn assert_twins(
    problem: Problem,
    settings: ChainSettings,
    chains: u32,
    rounds: usize,
    steps: u32,
) -> (u64, u64) {
    let gpu = test_gpu().expect("checked by the caller");
    let seed = 17;
    let mut cpu: Vec<Chain> = (0..u64::from(chains))
        .map(|stream| Chain::new(problem, settings, seed, stream, &[]))
        .collect();
    // Chains started on the GPU are the chains a CPU search starts with.
    let mut gpu_search =
        GpuSearch::start(gpu.clone(), problem, settings, seed, chains, &[]).unwrap();
    gpu_search.submit(0);
    assert_eq!(
        gpu_search.snapshot().unwrap(),
        Search::new(problem, settings, seed, chains, Vec::new()).snapshot()
    );
    let mut gpu_witnesses = Vec::new();
    let mut cpu_witnesses = Vec::new();
    for round in 0..rounds {
        if round == rounds / 2 {
            // Halfway, the search leaves the GPU as a checkpoint would and comes back.
            gpu_search = GpuSearch::new(gpu.clone(), &gpu_search.snapshot().unwrap()).unwrap();
        }
        let (witnesses, _) = gpu_search.advance(steps).unwrap();
        gpu_witnesses.extend(
            witnesses
                .into_iter()
                .map(|w| (w.chain, w.step, w.colouring)),
        );
        let snapshot = gpu_search.snapshot().unwrap();
        // A chain holds at most one witness a round (then waits); a round reports each
        // labelled colouring once, from the first chain (in chain order) that found it.
        let mut this_round: Vec<(usize, u64, Colouring)> = Vec::new();
        for (index, (chain, expected)) in cpu.iter_mut().zip(&snapshot.chains).enumerate() {
            // A GPU chain waits while it holds an untaken witness, so it may be behind.
            let behind = expected.counters.steps - chain.counters().steps;
            chain.run(behind, &[]);
            for found in chain.take_found() {
                if this_round
                    .iter()
                    .all(|(_, _, seen)| *seen != found.colouring)
                {
                    this_round.push((index, found.step, found.colouring));
                }
            }
            assert_eq!(
                &chain.snapshot(),
                expected,
                "{} chain {index} after round {round}",
                problem.describe()
            );
        }
        cpu_witnesses.extend(this_round);
    }
    gpu_witnesses.sort_by_key(|w| (w.0, w.1));
    cpu_witnesses.sort_by_key(|w| (w.0, w.1));
    assert_eq!(gpu_witnesses, cpu_witnesses);
    let restarts = cpu.iter().map(|chain| chain.counters().restarts).sum();
    (restarts, cpu_witnesses.len() as u64)
}

fn anneal(edge_choice: EdgeChoice, patience: u64) -> ChainSettings {
    ChainSettings {
        local_search: LocalSearch::Anneal(AnnealSchedule {
            start_temperature: 1.5,
            end_temperature: 0.3,
            cooling: 0.9,
            steps_per_temperature: 7,
            edge_choice,
        }),
        patience,
    }
}

#[test]
fn gpu_chains_take_the_cpu_chains_steps_with_restarts_and_witnesses() {
    if test_gpu().is_none() {
        return;
    }
    // R(3,3) on K_5: witnesses every few steps (the slot fills and empties); short
    // patience: restarts; both edge choices; and a board past 32 vertices.
    let (restarts, witnesses) = assert_twins(
        Problem::new(5, 3, 3).unwrap(),
        anneal(EdgeChoice::Conflicting, 30),
        6,
        4,
        40,
    );
    assert!(witnesses > 6, "{witnesses} witnesses");
    let (more_restarts, _) = assert_twins(
        Problem::new(9, 3, 4).unwrap(),
        anneal(EdgeChoice::Uniform, 25),
        4,
        3,
        60,
    );
    assert!(restarts + more_restarts > 0, "no restarts");
    assert_twins(
        Problem::new(17, 4, 4).unwrap(),
        anneal(EdgeChoice::Conflicting, 1_000),
        3,
        2,
        150,
    );
    assert_twins(
        Problem::new(36, 5, 4).unwrap(),
        anneal(EdgeChoice::Conflicting, 40),
        2,
        2,
        30,
    );
}

fn tabu(tenure: u32, patience: u64) -> ChainSettings {
    ChainSettings {
        local_search: LocalSearch::Tabu(TabuSettings { tenure }),
        patience,
    }
}

#[test]
fn gpu_tabu_chains_take_the_cpu_chains_steps_with_restarts_and_witnesses() {
    if test_gpu().is_none() {
        return;
    }
    // R(3,3) on K_5: witnesses within a few steps; a tenure long enough that no conflicting
    // edge is allowed at times (the random fallback). Then R(3,4) on K_9, which has no
    // witness, so short patience restarts; R(4,4) on K_17 and a board past 32 vertices; each
    // through a snapshot halfway.
    let (_, witnesses) = assert_twins(Problem::new(5, 3, 3).unwrap(), tabu(6, 5), 6, 4, 20);
    assert!(witnesses > 6, "{witnesses} witnesses");
    let (restarts, _) = assert_twins(Problem::new(9, 3, 4).unwrap(), tabu(8, 10), 4, 4, 30);
    assert!(restarts > 0, "no restarts");
    assert_twins(Problem::new(17, 4, 4).unwrap(), tabu(8, 340), 3, 2, 40);
    assert_twins(Problem::new(36, 5, 4).unwrap(), tabu(8, 40), 2, 2, 6);
}
