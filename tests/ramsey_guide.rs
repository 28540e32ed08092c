//! Guided start colourings (`ramsey::guide`) against independent references: the greedy
//! fill replayed edge by edge with a brute-force clique count (every k-subset tested pair by
//! pair), energies recounted the same way, the clique rules (`CliqueState`) for what a
//! game may colour; a tiny avoid run trained here for one iteration on the CPU backend,
//! and runs of another game written here, for the run checks.

use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use serde_json::json;
use wgzero::backend::Compute;
use wgzero::games::clique::{CliqueConfig, CliqueState, Mode};
use wgzero::games::{GameInfo, GameSpec, GameState};
use wgzero::graph::{CompileOptions, Graph, Program};
use wgzero::nn;
use wgzero::ramsey::counting::energy;
use wgzero::ramsey::guide::fill::PartialColouring;
use wgzero::ramsey::guide::{self, GuideError, GuideSettings, GuidedStarts, StartSource};
use wgzero::ramsey::rng::Pcg32;
use wgzero::ramsey::{Colouring, Problem};
use wgzero::run_dir::checkpoint::{CheckpointStore, RunState, snapshot_tensors};
use wgzero::testing::{on_every_backend, tiny_train_config};
use wgzero::train::trainer::Trainer;

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("wgzero-guide-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// An avoid run on K_6, k = 3, trained here for one iteration on the CPU backend (once per
/// test process).
fn trained_run() -> &'static Path {
    static RUN: OnceLock<PathBuf> = OnceLock::new();
    RUN.get_or_init(|| {
        let dir = temp_dir("trained");
        let mut config = tiny_train_config();
        config.game = GameSpec::Clique(CliqueConfig::new(6, 3, Mode::Avoid).unwrap());
        config.evaluate_every = 0;
        let mut trainer = Trainer::new(config, &dir, &Compute::Cpu).unwrap();
        while trainer.iteration() < 1 || !trainer.between_iterations() {
            trainer.advance(Duration::from_millis(200)).unwrap();
        }
        dir
    })
}

/// A run directory holding one checkpoint of `game`'s default-sized tiny MLP, with
/// parameters at their initial values: what a run of another game looks like to the guide.
fn written_run(name: &str, game: CliqueConfig) -> PathBuf {
    let dir = temp_dir(name);
    let mut config = tiny_train_config();
    config.game = GameSpec::Clique(game);
    let network = game.network(&config.network).unwrap();
    let graph = Graph::new();
    nn::inference(&graph, network.as_ref(), 1);
    let program = Program::compile(&graph, &Compute::Cpu, &CompileOptions::default()).unwrap();
    let values = graph
        .persistent_values()
        .into_iter()
        .map(|(name, _, _)| program.read(&name).unwrap())
        .collect();
    let mut store = CheckpointStore::open(&dir, NonZeroUsize::new(2).unwrap()).unwrap();
    let state = RunState {
        iteration: 1,
        network: &game.network_descriptor(&config.network),
        config: &serde_json::to_value(&config).unwrap(),
        rng_state: &json!(null),
        metrics: &[],
        elapsed_seconds: 0.0,
    };
    store
        .save(&state, &snapshot_tensors(&graph, values))
        .unwrap();
    dir
}

/// The K_k of colour `colour` containing {u, v}, every other edge among the coloured
/// ones: each (k − 2)-subset of the other vertices, tested pair by pair. Shares no code
/// with the bitset counting.
fn brute_force_completed(partial: &PartialColouring, k: u32, u: u32, v: u32, colour: u32) -> u64 {
    let others: Vec<u32> = (0..partial.n()).filter(|&w| w != u && w != v).collect();
    let mut count = 0;
    for subset in 0u64..1 << others.len() {
        if subset.count_ones() != k - 2 {
            continue;
        }
        let mut members = vec![u, v];
        members.extend(
            (0..others.len())
                .filter(|&i| subset >> i & 1 == 1)
                .map(|i| others[i]),
        );
        let monochromatic = members.iter().enumerate().all(|(i, &a)| {
            members[i + 1..].iter().all(|&b| {
                (a, b) == (u, v) || (a, b) == (v, u) || partial.colour(a, b) == Some(colour)
            })
        });
        count += u64::from(monochromatic);
    }
    count
}

fn random_partial(n: u32, rng: &mut Pcg32) -> PartialColouring {
    let mut partial = PartialColouring::empty(n);
    for u in 0..n {
        for v in u + 1..n {
            match rng.below(3) {
                0 => partial.set(u, v, 0),
                1 => partial.set(u, v, 1),
                _ => {}
            }
        }
    }
    partial
}

#[test]
fn each_filled_edge_takes_the_colour_completing_fewer_cliques() {
    let mut rng = Pcg32::new(31, 0);
    let mut ties = 0;
    let mut decided = 0;
    for (n, s, t) in [
        (6u32, 3u32, 3u32),
        (8, 3, 3),
        (9, 4, 4),
        (9, 3, 4),
        (10, 4, 3),
    ] {
        let problem = Problem::new(n, s, t).unwrap();
        for _ in 0..20 {
            let partial = random_partial(n, &mut rng);
            let mut order = partial.uncoloured_edges();
            order.reverse();
            let completed = partial
                .clone()
                .complete_in_order(&problem, &order, &mut rng)
                .unwrap();
            // Replay the fill: before each edge, the edges coloured so far are the
            // partial colouring's and the earlier filled ones (with their final colours).
            let mut replay = partial.clone();
            for &(u, v) in &order {
                let chosen = completed.colour(u, v);
                let here =
                    brute_force_completed(&replay, problem.clique_size(chosen), u, v, chosen);
                let other = 1 - chosen;
                let there = brute_force_completed(&replay, problem.clique_size(other), u, v, other);
                assert!(
                    here <= there,
                    "n={n} s={s} t={t}: {u}-{v} got colour {chosen} completing {here} \
                     cliques, colour {other} would complete {there}"
                );
                if here == there {
                    ties += 1;
                } else {
                    decided += 1;
                }
                replay.set(u, v, chosen);
            }
            // The partial colouring's edges keep their colours.
            for u in 0..n {
                for v in u + 1..n {
                    if let Some(colour) = partial.colour(u, v) {
                        assert_eq!(completed.colour(u, v), colour);
                    }
                }
            }
        }
    }
    // Both branches of the rule were exercised.
    assert!(ties > 50 && decided > 50, "{ties} ties, {decided} decided");
}

#[test]
fn ties_are_broken_at_random() {
    // On an empty K_4 with s = t = 3 the first edges complete nothing in either colour.
    let problem = Problem::new(4, 3, 3).unwrap();
    let first_colours: std::collections::BTreeSet<u32> = (0..32)
        .map(|stream| {
            let mut rng = Pcg32::new(5, stream);
            let colouring = PartialColouring::empty(4)
                .complete_in_order(
                    &problem,
                    &[(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)],
                    &mut rng,
                )
                .unwrap();
            colouring.colour(0, 1)
        })
        .collect();
    assert_eq!(first_colours.len(), 2);
}

#[test]
fn a_game_position_becomes_a_full_colouring_with_the_players_colours() {
    let game = CliqueConfig::new(7, 3, Mode::Avoid).unwrap();
    let problem = Problem::new(7, 3, 3).unwrap();
    let mut rng = Pcg32::new(9, 1);
    for _ in 0..20 {
        let mut state = CliqueState::new(game);
        while !state.is_over() {
            let legal = state.legal_actions();
            state
                .apply(legal[rng.below(legal.len() as u32) as usize])
                .unwrap();
        }
        let partial = PartialColouring::from_avoid_game(&state);
        let colouring = partial.clone().complete(&problem, &mut rng).unwrap();
        Colouring::from_adjacency(7, colouring.adjacency().to_vec()).unwrap();
        for action in 0..game.num_edges() {
            let (u, v) = wgzero::games::clique::endpoints(7, action);
            if let Some(player) = state.owner(action) {
                assert_eq!(colouring.colour(u, v), u32::from(player));
            }
        }
        // R(3,3) = 6: every colouring of K_7 has a monochromatic triangle.
        assert!(energy(&colouring, &problem) > 0);
    }
}

#[test]
fn a_colouring_for_another_board_is_refused() {
    let problem = Problem::new(6, 3, 3).unwrap();
    let mut rng = Pcg32::new(1, 0);
    assert!(
        PartialColouring::empty(5)
            .complete(&problem, &mut rng)
            .is_err()
    );
    // An order that misses an uncoloured edge is refused too.
    assert!(
        PartialColouring::empty(6)
            .complete_in_order(&problem, &[(0, 1)], &mut rng)
            .is_err()
    );
}

/// The monochromatic forbidden cliques of `colouring`, every s- and t-subset tested pair by
/// pair.
fn brute_force_energy(colouring: &Colouring, problem: &Problem) -> u64 {
    let n = colouring.n();
    let mut total = 0;
    for subset in 0u64..1 << n {
        let members: Vec<u32> = (0..n).filter(|&v| subset >> v & 1 == 1).collect();
        for colour in [0, 1] {
            if members.len() as u32 != problem.clique_size(colour) {
                continue;
            }
            let monochromatic = members.iter().enumerate().all(|(i, &a)| {
                members[i + 1..]
                    .iter()
                    .all(|&b| colouring.colour(a, b) == colour)
            });
            total += u64::from(monochromatic);
        }
    }
    total
}

/// Checks what every source promises: `count` complete colourings of K_n with their
/// energies, and every edge coloured by play or by the fill.
fn check_starts(problem: &Problem, built: &GuidedStarts, count: usize) {
    assert_eq!(built.colourings.len(), count);
    assert_eq!(built.energies.len(), count);
    for (colouring, &energy) in built.colourings.iter().zip(&built.energies) {
        assert_eq!(colouring.n(), problem.n);
        // A full colouring: a valid colour-0 graph (colour 1 is its complement).
        Colouring::from_adjacency(problem.n, colouring.adjacency().to_vec()).unwrap();
        assert_eq!(energy, brute_force_energy(colouring, problem));
    }
    let edges = u64::from(problem.n * (problem.n - 1) / 2);
    assert_eq!(
        built.played_edges + built.filled_edges,
        edges * count as u64
    );
    assert!(built.seconds > 0.0);
}

fn settings(count: usize, simulations: u32, seed: u64) -> GuideSettings {
    GuideSettings {
        // Fewer slots than games, so finished games' slots start new ones.
        games_in_flight: 8,
        ..GuideSettings::new(count, simulations, seed)
    }
}

#[test]
fn learned_starts_are_complete_colourings_on_every_backend() {
    let problem = Problem::new(6, 3, 3).unwrap();
    let source = StartSource::Learned {
        run: trained_run().to_path_buf(),
    };
    on_every_backend(|compute| {
        let built = guide::starts(&problem, &source, &settings(20, 8, 3), compute).unwrap();
        check_starts(&problem, &built, 20);
        // R(3,3) = 6: every game on K_6 ends with a triangle, and every colouring has one.
        assert_eq!(built.draws, 0);
        assert!(built.energies.iter().all(|&energy| energy > 0));
        // Games end at their first triangle, so the fill colours something.
        assert!(built.played_edges > 0 && built.filled_edges > 0);
        assert!(
            built.description.starts_with("learned: "),
            "{}",
            built.description
        );
    });
}

#[test]
fn a_fixed_seed_gives_the_same_starts_and_another_seed_other_ones() {
    let problem = Problem::new(6, 3, 3).unwrap();
    for source in [
        StartSource::Learned {
            run: trained_run().to_path_buf(),
        },
        StartSource::Untrained {
            run: trained_run().to_path_buf(),
        },
        StartSource::Uniform,
        StartSource::Random,
    ] {
        let make =
            |seed| guide::starts(&problem, &source, &settings(24, 4, seed), &Compute::Cpu).unwrap();
        let (first, again, other) = (make(5), make(5), make(6));
        check_starts(&problem, &first, 24);
        assert_eq!(first.colourings, again.colourings, "{}", source.name());
        assert_eq!(first.energies, again.energies);
        assert_ne!(first.colourings, other.colourings, "{}", source.name());
    }
}

#[test]
fn games_differ_within_one_call() {
    let problem = Problem::new(6, 3, 3).unwrap();
    let source = StartSource::Learned {
        run: trained_run().to_path_buf(),
    };
    let built = guide::starts(&problem, &source, &settings(32, 8, 1), &Compute::Cpu).unwrap();
    let distinct: std::collections::BTreeSet<String> =
        built.colourings.iter().map(Colouring::graph6).collect();
    assert!(distinct.len() > 16, "{} distinct of 32", distinct.len());
}

#[test]
fn search_builds_better_starts_than_random_colourings_on_k5() {
    // R(3,3) = 6, so K_5 has witnesses (the pentagon and its complement); about 1 % of random
    // colourings are one. Greedy MCTS with uniform priors sees the triangles coming.
    let problem = Problem::new(5, 3, 3).unwrap();
    let mut greedy = GuideSettings::new(64, 64, 2);
    greedy.sampled_moves = 2;
    let searched = guide::starts(&problem, &StartSource::Uniform, &greedy, &Compute::Cpu).unwrap();
    let random = guide::starts(&problem, &StartSource::Random, &greedy, &Compute::Cpu).unwrap();
    check_starts(&problem, &searched, 64);
    check_starts(&problem, &random, 64);
    assert!(
        searched.mean_energy() < random.mean_energy(),
        "search {} vs random {}",
        searched.mean_energy(),
        random.mean_energy()
    );
    assert!(searched.witnesses() > random.witnesses());
    assert_eq!(searched.draws, searched.witnesses());
}

#[test]
fn a_run_of_another_board_or_mode_is_refused_naming_the_difference() {
    let trained = trained_run().to_path_buf();
    let symmetric = written_run(
        "symmetric",
        CliqueConfig::new(6, 3, Mode::Symmetric).unwrap(),
    );
    let cases = [
        (
            Problem::new(7, 3, 3).unwrap(),
            trained.clone(),
            "K_6, not K_7",
        ),
        (
            Problem::new(6, 4, 4).unwrap(),
            trained.clone(),
            "k = 3, not 4",
        ),
        (
            Problem::new(6, 3, 3).unwrap(),
            symmetric.clone(),
            "symmetric, not avoid",
        ),
    ];
    for (problem, run, difference) in cases {
        for source in [
            StartSource::Learned { run: run.clone() },
            StartSource::Untrained { run: run.clone() },
        ] {
            let error =
                guide::starts(&problem, &source, &settings(4, 2, 1), &Compute::Cpu).unwrap_err();
            assert!(matches!(error, GuideError::RunMismatch { .. }), "{error:?}");
            let message = error.to_string();
            assert!(message.contains(difference), "{message}");
            assert!(message.contains(&run.display().to_string()), "{message}");
            assert!(message.contains("--mode avoid"), "{message}");
        }
    }
    let missing = StartSource::Learned {
        run: temp_dir("missing"),
    };
    let problem = Problem::new(6, 3, 3).unwrap();
    let error = guide::starts(&problem, &missing, &settings(4, 2, 1), &Compute::Cpu).unwrap_err();
    assert!(
        error.to_string().contains("wgzero-guide-missing"),
        "{error}"
    );
}

#[test]
fn two_clique_sizes_play_the_avoid_game_for_r_s_t() {
    // R(3,4) = 9: K_8 has witnesses, and the avoid game with k = 3,4 is played for them.
    let problem = Problem::new(8, 3, 4).unwrap();
    let uniform = guide::starts(
        &problem,
        &StartSource::Uniform,
        &settings(6, 8, 1),
        &Compute::Cpu,
    )
    .unwrap();
    check_starts(&problem, &uniform, 6);
    // Sizes a board cannot take are named.
    let error = guide::starts(
        &Problem::new(8, 2, 4).unwrap(),
        &StartSource::Uniform,
        &settings(4, 2, 1),
        &Compute::Cpu,
    )
    .unwrap_err();
    assert!(matches!(error, GuideError::Unsupported(_)), "{error:?}");
    assert!(error.to_string().contains("k = 2,4"), "{error}");
}

#[test]
fn no_games_make_no_starts() {
    let problem = Problem::new(6, 3, 3).unwrap();
    let built = guide::starts(
        &problem,
        &StartSource::Uniform,
        &settings(0, 2, 1),
        &Compute::Cpu,
    )
    .unwrap();
    assert!(built.colourings.is_empty() && built.energies.is_empty());
}
