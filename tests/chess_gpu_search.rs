//! Chess inside the GPU search equals the CPU reference search on `ChessGame`: with root
//! noise off and the same network (a small MLP with random weights, evaluated on the same
//! device), both build the same tree. Every node of every tree is compared (visits,
//! values, terminal flags, the legal actions of expanded nodes) and checked against the
//! Rust rules replayed along the path, so the game-end rules (checkmate, stalemate,
//! insufficient material, fifty moves, threefold repetition over the game's history, ply
//! cap) and the observation planes are exact at every depth.

use std::collections::BTreeMap;
use std::sync::Arc;

use wgzero::backend::Compute;
use wgzero::games::chess::encoding::OBSERVATION_LEN;
use wgzero::games::chess::notation::parse_uci;
use wgzero::games::chess::search::search_words;
use wgzero::games::chess::{ChessGame, Outcome};
use wgzero::games::{ChessConfig, GameState};
use wgzero::gpu::Gpu;
use wgzero::nn::mlp::Mlp;
use wgzero::search::gpu::GpuSearch;
use wgzero::search::tree_dump::TreeDump;
use wgzero::search::{
    FirstPlayUrgency, ProgramEvaluator, ReferenceSearch, RootPolicy, SearchConfig, SearchResult,
};
use wgzero::testing::{gpu_inference_program, test_gpu};

const PLY_CAP: u32 = 60;
const SIMULATIONS: u32 = 32;

fn game_from(fen: &str, moves: &[&str]) -> ChessGame {
    let mut game = ChessGame::from_fen(fen).unwrap().with_ply_cap(PLY_CAP);
    for text in moves {
        let chess_move = parse_uci(game.position(), text).unwrap();
        game.play(chess_move).unwrap();
    }
    game
}

/// Positions from random games of several lengths (a fixed generator), none of them over.
fn random_positions() -> Vec<ChessGame> {
    let mut x = 0x5EED_u64;
    let mut found = Vec::new();
    for plies in [0, 1, 3, 8, 15, 30, 45, 58, 59] {
        loop {
            let mut game = ChessGame::default().with_ply_cap(PLY_CAP);
            for _ in 0..plies {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let legal = game.legal_actions();
                if legal.is_empty() {
                    break;
                }
                game.apply(legal[(x >> 33) as usize % legal.len()]).unwrap();
            }
            if game.ply() == plies && game.terminal_value().is_none() {
                found.push(game);
                break;
            }
        }
    }
    found
}

/// Positions whose trees meet every game-end rule within a few plies.
fn constructed_positions() -> Vec<ChessGame> {
    let start = wgzero::games::chess::STARTING_FEN;
    let rook_ending = "7k/8/8/8/8/8/8/R6K w - - 0 1";
    let shuffle = ["h1g1", "h8g8", "g1h1", "g8h8", "h1g1", "h8g8"];
    vec![
        // Knights out and back twice: the start position's third occurrence is 2 plies away.
        game_from(start, &["g1f3", "g8f6", "f3g1", "f6g8", "g1f3", "g8f6"]),
        // ... and 1 ply away.
        game_from(
            start,
            &["g1f3", "g8f6", "f3g1", "f6g8", "g1f3", "g8f6", "f3g1"],
        ),
        // Kings shuffling in a rook ending (few moves, so the tree goes deep).
        game_from(rook_ending, &shuffle),
        // ... one ply further: the third occurrence is 1 ply away.
        game_from(rook_ending, &[&shuffle[..], &["g1h1"]].concat()),
        // The fifty-move rule 2 plies away.
        game_from("7k/8/8/8/8/8/8/R6K w - - 98 70", &[]),
        // Both: halfmove clock 98 after a shuffle.
        game_from("7k/8/8/8/8/8/8/R6K w - - 92 70", &shuffle),
        // Mate in one (Ra8#), and the same with black to move (mate 2 plies away).
        game_from("6k1/5ppp/8/8/8/8/5PPP/R5K1 w - - 0 1", &[]),
        game_from("6k1/5ppp/8/8/8/8/5PPP/R5K1 b - - 0 1", &[]),
        // Scholar's mate available (Qxf7#).
        game_from(
            "r1bqkb1r/pppp1ppp/2n2n2/4p2Q/2B1P3/8/PPPP1PPP/RNB1K1NR w KQkq - 4 4",
            &[],
        ),
        // Stalemating moves: Kg1/Kg2/Kh2 and some queen moves; Kc7, Kc6, Ka6; Kg3.
        game_from("k7/8/1Q6/8/8/8/8/7K w - - 0 1", &[]),
        game_from("k7/P7/1K6/8/8/8/8/8 w - - 0 1", &[]),
        game_from("8/8/8/8/8/5k2/7p/7K b - - 0 1", &[]),
        // Bxe3 leaves king and bishop against king.
        game_from("8/8/4k3/8/3b4/4N3/4K3/8 b - - 0 1", &[]),
    ]
}

fn network() -> Mlp {
    Mlp {
        input: OBSERVATION_LEN,
        hidden: vec![8],
        actions: 4672,
    }
}

fn policies() -> Vec<RootPolicy> {
    vec![
        // Unvisited moves look lost: narrow, deep trees.
        RootPolicy::AlphaZero {
            c_puct: 0.5,
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

/// What the walk over the trees met: terminal nodes per outcome, and the deepest node.
#[derive(Default)]
struct Coverage {
    outcomes: BTreeMap<&'static str, usize>,
    deepest: usize,
}

fn outcome_name(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Checkmate => "checkmate",
        Outcome::Stalemate => "stalemate",
        Outcome::InsufficientMaterial => "insufficient material",
        Outcome::FiftyMoveRule => "fifty-move rule",
        Outcome::ThreefoldRepetition => "threefold repetition",
        Outcome::PlyCap => "ply cap",
    }
}

fn place(label: &str, path: &[u32]) -> String {
    format!("{label}, path {path:?}")
}

/// Walks both trees from node `g` (GPU) and `c` (CPU), both at `game`, and compares them.
#[allow(clippy::too_many_arguments)]
fn compare_nodes(
    gpu: &TreeDump,
    cpu: &TreeDump,
    g: u32,
    c: u32,
    game: &ChessGame,
    path: &mut Vec<u32>,
    coverage: &mut Coverage,
    label: &str,
) {
    let (gn, cn) = (&gpu.nodes[g as usize], &cpu.nodes[c as usize]);
    coverage.deepest = coverage.deepest.max(path.len());
    assert_eq!(gn.visits, cn.visits, "{}: node visits", place(label, path));
    assert_eq!(gn.expanded, cn.expanded, "{}: expanded", place(label, path));
    assert_eq!(
        gn.terminal_value,
        cn.terminal_value,
        "{}: terminal",
        place(label, path)
    );
    assert_eq!(
        gn.terminal_value,
        game.terminal_value(),
        "{}: terminal value against the rules",
        place(label, path)
    );
    if let Some(outcome) = game.outcome() {
        *coverage.outcomes.entry(outcome_name(outcome)).or_default() += 1;
    }
    assert!(
        (gn.raw_value - cn.raw_value).abs() < 1e-4,
        "{}: network value {} vs {} (observation planes)",
        place(label, path),
        gn.raw_value,
        cn.raw_value
    );
    if !gn.expanded {
        return;
    }
    let actions = |tree: &TreeDump, node: u32| -> Vec<u32> {
        tree.edges[tree.edges_of(node)]
            .iter()
            .map(|e| e.action)
            .collect()
    };
    let legal: Vec<u32> = game.legal_actions().iter().map(|&a| a as u32).collect();
    assert_eq!(
        actions(gpu, g),
        legal,
        "{}: legal actions",
        place(label, path)
    );
    assert_eq!(
        actions(cpu, c),
        legal,
        "{}: reference legal actions",
        place(label, path)
    );
    for (ge, ce) in gpu.edges[gpu.edges_of(g)]
        .iter()
        .zip(&cpu.edges[cpu.edges_of(c)])
    {
        path.push(ge.action);
        assert_eq!(ge.visits, ce.visits, "{}: edge visits", place(label, path));
        assert!(
            (ge.value_sum - ce.value_sum).abs() < 1e-3,
            "{}: edge value sum {} vs {}",
            place(label, path),
            ge.value_sum,
            ce.value_sum
        );
        assert!(
            (ge.prior - ce.prior).abs() < 1e-5,
            "{}: prior",
            place(label, path)
        );
        match (ge.child, ce.child) {
            (Some(gc), Some(cc)) => {
                let mut next = game.clone();
                next.apply(ge.action as usize).unwrap();
                compare_nodes(gpu, cpu, gc, cc, &next, path, coverage, label);
            }
            (None, None) => {}
            _ => panic!("{}: child created on one side only", place(label, path)),
        }
        path.pop();
    }
}

fn search_both(
    gpu: &Arc<Gpu>,
    config: ChessConfig,
    roots: &[ChessGame],
    search: SearchConfig,
) -> (
    GpuSearch,
    Vec<SearchResult>,
    ReferenceSearch<ChessGame>,
    Vec<SearchResult>,
) {
    let network = network();
    let mut evaluator =
        ProgramEvaluator::new(&network, &Compute::Gpu(gpu.clone()), roots.len(), 3).unwrap();
    let mut reference = ReferenceSearch::new(roots.to_vec(), search, 1).unwrap();
    let cpu = reference.run(&mut evaluator).unwrap();
    let engine = GpuSearch::new(
        gpu,
        &config,
        gpu_inference_program(&network, gpu, roots.len()),
        search,
        roots.len() as u32,
        1,
    )
    .unwrap();
    let words: Vec<u32> = roots
        .iter()
        .flat_map(|game| search_words(&config, game).unwrap())
        .collect();
    let terminal: Vec<Option<f32>> = roots.iter().map(|g| g.terminal_value()).collect();
    engine.set_roots(&words, &terminal).unwrap();
    engine.submit(|engine, pass| engine.record_search(pass));
    let results = engine.read_results(4672).unwrap();
    (engine, results, reference, cpu)
}

#[test]
fn gpu_trees_equal_the_reference_trees_at_every_depth() {
    let Some(gpu) = test_gpu() else { return };
    let config = ChessConfig::new(PLY_CAP).unwrap();
    let mut roots = random_positions();
    roots.extend(constructed_positions());
    let mut coverage = Coverage::default();
    for policy in policies() {
        let search = SearchConfig {
            simulations: SIMULATIONS,
            policy,
            reuse_subtree: false,
        };
        let (engine, gpu_results, reference, cpu_results) =
            search_both(&gpu, config, &roots, search);
        for (index, root) in roots.iter().enumerate() {
            let label = format!("{policy:?}, root {index}");
            let (g, c) = (&gpu_results[index], &cpu_results[index]);
            let visits = |r: &SearchResult| -> Vec<(usize, u32)> {
                r.children.iter().map(|c| (c.action, c.visits)).collect()
            };
            assert_eq!(visits(g), visits(c), "{label}: root visit counts");
            assert_eq!(g.chosen, c.chosen, "{label}: chosen move");
            assert!(
                (g.root_value - c.root_value).abs() < 1e-4,
                "{label}: root value {} vs {}",
                g.root_value,
                c.root_value
            );
            let gpu_tree = engine.read_tree(index as u32).unwrap();
            let cpu_tree = reference.tree(index);
            compare_nodes(
                &gpu_tree,
                &cpu_tree,
                gpu_tree.root,
                cpu_tree.root,
                root,
                &mut Vec::new(),
                &mut coverage,
                &label,
            );
        }
    }
    // The comparison is only as good as what the trees met.
    for rule in [
        "checkmate",
        "stalemate",
        "insufficient material",
        "fifty-move rule",
        "threefold repetition",
        "ply cap",
    ] {
        assert!(
            coverage.outcomes.get(rule).copied().unwrap_or(0) > 0,
            "no tree met the {rule}: {:?}",
            coverage.outcomes
        );
    }
    assert!(coverage.deepest >= 6, "deepest node {}", coverage.deepest);
    eprintln!(
        "terminal nodes met: {:?}; deepest node {} plies below its root",
        coverage.outcomes, coverage.deepest
    );
}
