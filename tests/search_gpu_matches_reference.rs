//! The GPU search and the CPU reference search compute the same thing: with root noise off
//! and the same network outputs, every root child gets the same visit count.

use std::sync::Arc;

use wgzero::backend::Compute;
use wgzero::games::GameState;
use wgzero::games::clique::state::CliqueState;
use wgzero::games::clique::{CliqueConfig, Mode};
use wgzero::gpu::Gpu;
use wgzero::nn::{Network, mlp::Mlp, uniform::Uniform};
use wgzero::search::gpu::GpuSearch;
use wgzero::search::{
    Evaluator, FirstPlayUrgency, ProgramEvaluator, ReferenceSearch, RootPolicy, SearchConfig,
    SearchResult,
};
use wgzero::testing::{gpu_inference_program, seeded_positions, test_gpu};

fn gpu_search(
    config: CliqueConfig,
    search: SearchConfig,
    network: &dyn Network,
    gpu: &Arc<Gpu>,
    roots: &[CliqueState],
) -> Vec<SearchResult> {
    let games = roots.len() as u32;
    let engine = GpuSearch::new(
        gpu,
        &config,
        gpu_inference_program(network, gpu, roots.len()),
        search,
        games,
        1,
    )
    .unwrap();
    let words: Vec<u32> = roots.iter().flat_map(|s| s.to_words()).collect();
    let terminal: Vec<Option<f32>> = roots.iter().map(|s| s.terminal_value()).collect();
    engine.set_roots(&words, &terminal).unwrap();
    engine.submit(|engine, pass| engine.record_search(pass));
    engine.read_results(config.num_edges()).unwrap()
}

fn reference_search(
    search: SearchConfig,
    evaluator: &mut dyn Evaluator,
    roots: &[CliqueState],
) -> Vec<SearchResult> {
    let mut reference = ReferenceSearch::new(roots.to_vec(), search, 1).unwrap();
    reference.run(evaluator).unwrap()
}

fn compare(gpu: &[SearchResult], cpu: &[SearchResult]) {
    for (index, (g, c)) in gpu.iter().zip(cpu).enumerate() {
        let visits = |r: &SearchResult| {
            r.children
                .iter()
                .map(|c| (c.action, c.visits))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            visits(g),
            visits(c),
            "position {index}: GPU vs CPU visit counts"
        );
        assert_eq!(g.chosen, c.chosen, "position {index}: chosen move");
        for (a, b) in g.children.iter().zip(&c.children) {
            assert!((a.prior - b.prior).abs() < 1e-5, "position {index}: priors");
        }
    }
}

fn policies() -> Vec<RootPolicy> {
    vec![
        RootPolicy::AlphaZero {
            c_puct: 1.25,
            first_play_urgency: FirstPlayUrgency::Reduction(0.1),
            dirichlet: None,
        },
        RootPolicy::AlphaZero {
            c_puct: 2.0,
            first_play_urgency: FirstPlayUrgency::Absolute(-1.0),
            dirichlet: None,
        },
        RootPolicy::Gumbel {
            max_considered: 4,
            c_visit: 50.0,
            c_scale: 0.1,
            gumbel_noise: false,
        },
    ]
}

#[test]
fn uniform_network_same_visits() {
    let Some(gpu) = test_gpu() else { return };
    for (mode, n) in [(Mode::Symmetric, 5), (Mode::Avoid, 6)] {
        let config = CliqueConfig::new(n, 3, mode).unwrap();
        let roots = seeded_positions(config, 6, 11);
        let network = Uniform {
            observation_len: 3 * config.num_edges(),
            actions: config.num_edges(),
        };
        for policy in policies() {
            let search = SearchConfig {
                simulations: 40,
                policy,
                reuse_subtree: false,
            };
            let mut evaluator = wgzero::search::UniformEvaluator::new(config.num_edges());
            let cpu = reference_search(search, &mut evaluator, &roots);
            let gpu_results = gpu_search(config, search, &network, &gpu, &roots);
            compare(&gpu_results, &cpu);
        }
    }
}

#[test]
fn trained_looking_network_same_visits() {
    let Some(gpu) = test_gpu() else { return };
    let config = CliqueConfig::new(6, 3, Mode::Symmetric).unwrap();
    let roots = seeded_positions(config, 5, 29);
    let network = Mlp {
        input: 3 * config.num_edges(),
        hidden: vec![16],
        actions: config.num_edges(),
    };
    for policy in policies() {
        let search = SearchConfig {
            simulations: 30,
            policy,
            reuse_subtree: false,
        };
        // The reference evaluates with the same network on the same device, so both
        // searches see bit-identical network outputs.
        let mut evaluator =
            ProgramEvaluator::new(&network, &Compute::Gpu(gpu.clone()), roots.len(), 3).unwrap();
        let cpu = reference_search(search, &mut evaluator, &roots);
        let gpu_results = gpu_search(config, search, &network, &gpu, &roots);
        compare(&gpu_results, &cpu);
    }
}
