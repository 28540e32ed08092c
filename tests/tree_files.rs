//! The stepped search, the selection terms it shows (N, P, Q, U) and tree files:
//! - stepping in chunks of 1, 10, 100 computes exactly one `ReferenceSearch::run`;
//! - U is the exploration term selection uses (hand-computed values), and the child with
//!   the highest score is the one the next simulation walks, at every node of its path;
//! - `wgzero search --tree` writes a file whose root children are `--json`'s, and
//!   `--show-tree` reads it back;
//! - save → load is identical, and the U values of a loaded file are the live search's;
//! - every kind of bad file is an error naming the file, never a panic.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde_json::{Value, json};
use wgzero::games::clique::state::CliqueState;
use wgzero::games::clique::{CliqueConfig, Mode};
use wgzero::games::{GameSpec, GameState};
use wgzero::search::tree_dump::{EdgeDump, NodeDump, TreeDump};
use wgzero::search::tree_file::replay;
use wgzero::search::{
    Evaluator, FirstPlayUrgency, HostEvaluator, InteractiveSearch, NetworkSource, Outputs, Pause,
    ReferenceSearch, RootPolicy, SearchConfig, SearchError, SelectionRule, TreeFile, TreeFileError,
    TreeProblem, UniformEvaluator, selection_at,
};

fn puct(simulations: u32) -> SearchConfig {
    SearchConfig {
        simulations,
        policy: RootPolicy::AlphaZero {
            c_puct: 1.25,
            first_play_urgency: FirstPlayUrgency::Reduction(0.0),
            dirichlet: None,
        },
        reuse_subtree: false,
    }
}

fn gumbel(simulations: u32, considered: u32) -> SearchConfig {
    SearchConfig {
        simulations,
        policy: RootPolicy::Gumbel {
            max_considered: considered,
            c_visit: 50.0,
            c_scale: 0.1,
            gumbel_noise: false,
        },
        reuse_subtree: false,
    }
}

/// Avoid K_6, k = 3, after two moves: short enough that terminal positions enter the tree.
fn avoid_game() -> (CliqueConfig, Vec<usize>, CliqueState) {
    let config = CliqueConfig::new(6, 3, Mode::Avoid).unwrap();
    let position = vec![0, 14];
    let state = CliqueState::from_actions(config, &position).unwrap();
    (config, position, state)
}

/// A deterministic stand-in for a trained network: logits and value hashed from the
/// observation, so priors differ and values are not all 0.
fn hashed_network(num_actions: usize) -> impl Evaluator {
    HostEvaluator::new(move |observations: &[f32], rows: usize| {
        let len = observations.len() / rows.max(1);
        let mut outputs = Outputs::default();
        for row in observations.chunks_exact(len).take(rows) {
            let mut hash = 1469598103934665603u64;
            for (i, &x) in row.iter().enumerate() {
                if x != 0.0 {
                    hash = (hash ^ i as u64).wrapping_mul(1099511628211);
                }
            }
            for action in 0..num_actions {
                let h = (hash ^ action as u64).wrapping_mul(0x9E3779B97F4A7C15);
                outputs
                    .logits
                    .push(((h >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0);
            }
            outputs
                .values
                .push(((hash >> 40) as f32 / (1u64 << 24) as f32) * 1.6 - 0.8);
        }
        Ok::<_, SearchError>(outputs)
    })
}

/// An evaluator whose results come back only after a few polls (as a GPU readback does).
struct Slow<E> {
    inner: E,
    polls_left: u32,
}

impl<E: Evaluator> Evaluator for Slow<E> {
    fn start(&mut self, observations: &[f32], rows: usize) -> Result<(), SearchError> {
        self.polls_left = 2;
        self.inner.start(observations, rows)
    }
    fn poll(&mut self) -> Result<Option<Outputs>, SearchError> {
        if self.polls_left > 0 {
            self.polls_left -= 1;
            return Ok(None);
        }
        self.inner.poll()
    }
    fn wait(&mut self) -> Result<Outputs, SearchError> {
        self.inner.wait()
    }
}

/// Advances with a zero budget until the requested simulations are done; returns how
/// many times it found the evaluation still in flight.
fn run_to_target<S: GameState>(
    search: &mut InteractiveSearch<S>,
    evaluator: &mut dyn Evaluator,
) -> u32 {
    let mut evaluating = 0;
    for _ in 0..1_000_000 {
        let progress = search.advance(evaluator, Duration::ZERO).unwrap();
        assert!(progress.simulations_done <= progress.target);
        match progress.pause {
            Pause::Reached => {
                assert_eq!(progress.simulations_done, progress.target);
                return evaluating;
            }
            Pause::Evaluating => evaluating += 1,
            Pause::OutOfTime => {}
        }
    }
    panic!("the search never reached its target");
}

fn one_shot(state: &CliqueState, config: SearchConfig) -> (TreeDump, wgzero::search::SearchResult) {
    let mut search = ReferenceSearch::new(vec![state.clone()], config, 0).unwrap();
    let mut evaluator = hashed_network(state.num_actions());
    let result = search.run(&mut evaluator).unwrap().remove(0);
    (search.tree(0), result)
}

#[test]
fn stepping_in_chunks_equals_one_search() {
    let (_, _, state) = avoid_game();
    let chunks = [1, 10, 100, 1, 10, 28];
    for config in [puct(150), gumbel(150, 4)] {
        let mut search = InteractiveSearch::new(state.clone(), config).unwrap();
        let mut evaluator = Slow {
            inner: hashed_network(state.num_actions()),
            polls_left: 0,
        };
        // The root is evaluated before any simulation is asked for.
        run_to_target(&mut search, &mut evaluator);
        assert!(search.root_evaluated());
        assert_eq!(search.simulations_done(), 0);
        assert_eq!(search.tree().nodes[0].visits, 1);
        let mut evaluating = 0;
        for chunk in chunks {
            assert_eq!(search.request(chunk), chunk);
            evaluating += run_to_target(&mut search, &mut evaluator);
        }
        assert_eq!(search.simulations_done(), 150);
        assert!(evaluating >= 150, "every evaluation waited for 2 polls");
        let (tree, result) = one_shot(&state, config);
        assert_eq!(search.tree(), tree, "{:?}", config.policy);
        assert_eq!(search.result(), result);
    }
}

#[test]
fn puct_extends_its_total_and_gumbel_does_not() {
    let (_, _, state) = avoid_game();
    let mut search = InteractiveSearch::new(state.clone(), puct(20)).unwrap();
    let mut evaluator = hashed_network(state.num_actions());
    let mut done = 0;
    for chunk in [1, 10, 100] {
        assert_eq!(search.request(chunk), chunk);
        run_to_target(&mut search, &mut evaluator);
        done += chunk;
        // PUCT's tree after `done` simulations is that of a search of `done`.
        let (tree, result) = one_shot(&state, puct(done));
        assert_eq!(search.tree(), tree, "after {done}");
        assert_eq!(search.result(), result);
    }
    assert_eq!(search.simulations(), 111);

    let mut search = InteractiveSearch::new(state.clone(), gumbel(30, 4)).unwrap();
    assert_eq!(search.request(25), 25);
    assert_eq!(search.request(10), 5, "Gumbel stops at its total");
    assert_eq!(search.request(10), 0);
    run_to_target(&mut search, &mut evaluator);
    assert_eq!(search.simulations(), 30);
    assert_eq!(search.tree(), one_shot(&state, gumbel(30, 4)).0);
}

#[test]
fn root_noise_is_refused() {
    let (_, _, state) = avoid_game();
    let mut noisy = puct(10);
    noisy.policy = RootPolicy::alphazero();
    assert!(InteractiveSearch::new(state.clone(), noisy).is_err());
    let mut noisy = gumbel(10, 4);
    noisy.policy = RootPolicy::gumbel();
    assert!(InteractiveSearch::new(state, noisy).is_err());
}

fn edge(action: u32, prior: f32, visits: u32, value_sum: f32, child: Option<u32>) -> EdgeDump {
    EdgeDump {
        action,
        prior,
        logit: prior.ln(),
        visits,
        value_sum,
        q: (visits > 0).then(|| value_sum / visits as f32),
        child,
    }
}

fn node(visits: u32, raw_value: f32, first_edge: u32, num_edges: u32) -> NodeDump {
    NodeDump {
        visits,
        raw_value,
        terminal_value: None,
        expanded: num_edges > 0,
        first_edge,
        num_edges,
    }
}

/// A root with three children: P = 0.5, 0.3, 0.2; N = 3, 1, 0; value sums 1.5, −0.5.
fn hand_tree() -> TreeDump {
    TreeDump {
        root: 0,
        nodes: vec![node(5, 0.2, 0, 3), node(3, 0.0, 3, 0), node(1, 0.0, 3, 0)],
        edges: vec![
            edge(4, 0.5, 3, 1.5, Some(1)),
            edge(7, 0.3, 1, -0.5, Some(2)),
            edge(9, 0.2, 0, 0.0, None),
        ],
    }
}

#[test]
fn u_values_by_hand() {
    let tree = hand_tree();
    let close = |a: f32, b: f32| assert!((a - b).abs() < 1e-5, "{a} vs {b}");
    let policy = |first_play_urgency| RootPolicy::AlphaZero {
        c_puct: 1.5,
        first_play_urgency,
        dirichlet: None,
    };
    // U = 1.5 · P · √5 / (1 + N): √5 = 2.2360680.
    let selection = selection_at(&tree, 0, &policy(FirstPlayUrgency::Reduction(0.0)), 10).unwrap();
    let u: Vec<f32> = selection.children.iter().map(|c| c.u).collect();
    close(u[0], 0.419_262_75);
    close(u[1], 0.503_115_3);
    close(u[2], 0.670_820_4);
    let q: Vec<Option<f32>> = selection.children.iter().map(|c| c.q).collect();
    assert_eq!(q, [Some(0.5), Some(-0.5), None]);
    // The node's value: (0.2 + 1.5 − 0.5) / (1 + 4) = 0.24, the unvisited child's Q.
    close(selection.value, 0.24);
    let SelectionRule::Puct {
        first_play_value, ..
    } = selection.rule
    else {
        panic!("{:?}", selection.rule)
    };
    close(first_play_value, 0.24);
    // Scores 0.919, 0.003, 0.911: the first child is walked next.
    close(selection.children[2].score.unwrap(), 0.910_820_4);
    assert_eq!(selection.next, Some(0));
    // An optimistic first-play value sends the search to the unvisited child.
    let selection = selection_at(&tree, 0, &policy(FirstPlayUrgency::Absolute(1.0)), 10).unwrap();
    close(selection.children[2].score.unwrap(), 1.670_820_4);
    assert_eq!(selection.next, Some(2));

    // Gumbel below the root (node 0 is not the root here): U = −N / (1 + ΣN).
    let mut below = tree.clone();
    below.nodes.push(node(0, 0.0, 3, 0));
    below.root = 3;
    let policy = gumbel(10, 4).policy;
    let selection = selection_at(&below, 0, &policy, 10).unwrap();
    assert_eq!(selection.rule, SelectionRule::GumbelImproved);
    let u: Vec<f32> = selection.children.iter().map(|c| c.u).collect();
    close(u[0], -0.6);
    close(u[1], -0.2);
    close(u[2], 0.0);
    // At the root with 4 of 10 simulations done: the schedule for 3 considered actions
    // and 10 simulations is 0,0,0,1,1,1,2,2,3,3, so the next simulation is for children
    // with 1 visit: only the second. U = logit − max logit = ln(0.3 / 0.5).
    let selection = selection_at(&tree, 0, &policy, 10).unwrap();
    assert_eq!(
        selection.rule,
        SelectionRule::GumbelRoot {
            considered_visits: 1
        }
    );
    close(selection.children[1].u, (0.3f32 / 0.5).ln());
    assert_eq!(selection.children[0].score, None);
    assert_eq!(selection.next, Some(1));
}

/// Every node of the path the next simulation walks, as predicted from the tree before
/// it: (node, edge walked).
fn predicted_path(tree: &TreeDump, policy: &RootPolicy, simulations: u32) -> Vec<(u32, u32)> {
    let mut path = Vec::new();
    let mut node = tree.root;
    while let Some(selection) = selection_at(tree, node, policy, simulations) {
        let Some(next) = selection.next else { break };
        let chosen = &selection.children[next];
        let best = selection
            .children
            .iter()
            .filter_map(|c| c.score)
            .fold(f32::NEG_INFINITY, f32::max);
        assert_eq!(
            chosen.score,
            Some(best),
            "the next child has the highest score"
        );
        path.push((node, chosen.edge));
        match chosen.child {
            Some(child) => node = child,
            None => break,
        }
    }
    path
}

#[test]
fn the_highest_score_is_walked_next() {
    let (_, _, state) = avoid_game();
    let absolute = SearchConfig {
        policy: RootPolicy::AlphaZero {
            c_puct: 2.0,
            first_play_urgency: FirstPlayUrgency::Absolute(-0.2),
            dirichlet: None,
        },
        ..puct(80)
    };
    for config in [puct(80), absolute, gumbel(80, 4)] {
        let mut search = InteractiveSearch::new(state.clone(), config).unwrap();
        let mut evaluator = hashed_network(state.num_actions());
        run_to_target(&mut search, &mut evaluator);
        let mut deep = 0;
        for _ in 0..80 {
            let before = search.tree();
            let path = predicted_path(&before, &config.policy, 80);
            search.request(1);
            run_to_target(&mut search, &mut evaluator);
            let after = search.tree();
            let walked: Vec<u32> = (0..before.edges.len() as u32)
                .filter(|&e| after.edges[e as usize].visits > before.edges[e as usize].visits)
                .collect();
            let predicted: Vec<u32> = path.iter().map(|&(_, e)| e).collect();
            assert_eq!(walked, predicted, "{:?}", config.policy);
            deep = deep.max(path.len());
            if let RootPolicy::AlphaZero { c_puct, .. } = config.policy {
                // U against an f64 re-computation of c·P·√N/(1 + n).
                let selection = selection_at(&before, before.root, &config.policy, 80).unwrap();
                let parent = before.nodes[before.root as usize].visits.max(1) as f64;
                for c in &selection.children {
                    let u = c_puct as f64 * c.prior as f64 * parent.sqrt() / (1 + c.visits) as f64;
                    assert!((c.u as f64 - u).abs() < 1e-5, "{} vs {u}", c.u);
                }
            }
        }
        assert!(deep >= 3, "paths reached depth {deep}");
    }
}

fn search_to_file(
    config: SearchConfig,
    simulations_done: u32,
) -> (TreeFile, InteractiveSearch<CliqueState>) {
    let (game, position, state) = avoid_game();
    let mut search = InteractiveSearch::new(state.clone(), config).unwrap();
    let mut evaluator = hashed_network(state.num_actions());
    search.request(simulations_done);
    run_to_target(&mut search, &mut evaluator);
    let network = NetworkSource::Checkpoint {
        path: "runs/example/checkpoints/iteration-7.json".into(),
        iteration: 7,
        tensors_sha256: "ab".repeat(32),
    };
    let file = TreeFile::from_search(GameSpec::Clique(game), position, network, &search);
    (file, search)
}

#[test]
fn saved_trees_reopen_identical_with_the_live_u_values() {
    let directory = tempfile::tempdir().unwrap();
    for (config, done) in [(puct(60), 60), (gumbel(60, 4), 45), (puct(30), 0)] {
        let (file, search) = search_to_file(config, done);
        let path = directory.path().join("tree.json");
        file.save(&path).unwrap();
        let loaded = TreeFile::load(&path).unwrap();
        assert_eq!(loaded, file);
        assert_eq!(loaded.simulations_done, done);
        assert_eq!(
            loaded.to_json(&path).unwrap(),
            std::fs::read_to_string(&path).unwrap()
        );
        for node in 0..loaded.tree.nodes.len() as u32 {
            assert_eq!(
                loaded.selection(node),
                search.selection(node),
                "node {node}"
            );
        }
        assert_eq!(loaded.root_result(), search.result());
        // Every node's position is its moves from the start, replayed.
        let GameSpec::Clique(game) = loaded.game else {
            unreachable!()
        };
        for node in 0..loaded.tree.nodes.len() as u32 {
            let moves = loaded.moves_to(node).unwrap();
            let state = loaded.position_of(&game, node).unwrap();
            assert_eq!(state.moves_played() as usize, moves.len());
            assert_eq!(state.to_words(), replay(&game, &moves).unwrap().to_words());
            assert_eq!(
                state.terminal_value(),
                loaded.tree.nodes[node as usize].terminal_value
            );
        }
    }
}

fn wgzero(args: &[&str]) -> (bool, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_wgzero"))
        .args(args)
        .output()
        .expect("wgzero runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn cli_tree_files_agree_with_json() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("tree.json");
    let path_text = path.to_str().unwrap();
    for policy in ["puct", "gumbel"] {
        let (ok, stdout, stderr) = wgzero(&[
            "search",
            "--n",
            "5",
            "--k",
            "3",
            "--position",
            "3,7,1",
            "--sims",
            "120",
            "--policy",
            policy,
            "--json",
            "--tree",
            path_text,
            "--backend",
            "cpu",
        ]);
        assert!(ok, "{stderr}");
        let line: Value = serde_json::from_str(&stdout).unwrap();
        let file = TreeFile::load(&path).unwrap();
        assert_eq!(file.position, [3, 7, 1]);
        assert_eq!(file.simulations, 120);
        assert_eq!(file.simulations_done, 120);
        assert_eq!(file.network, NetworkSource::Uniform);
        assert_eq!(file.game.info().label(), "clique-n5-k3-symmetric");
        let selection = file.selection(file.tree.root).unwrap();
        // JSON numbers read back as f32 are the f32 written.
        let float = |v: &Value| v.as_f64().map(|x| x as f32);
        let printed: Vec<(u64, u64, Option<f32>, Option<f32>)> = line["children"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                let number = |key: &str| c[key].as_u64().unwrap();
                (
                    number("action"),
                    number("visits"),
                    float(&c["prior"]),
                    float(&c["q"]),
                )
            })
            .collect();
        let from_file: Vec<(u64, u64, Option<f32>, Option<f32>)> = selection
            .children
            .iter()
            .map(|c| (c.action as u64, c.visits as u64, Some(c.prior), c.q))
            .collect();
        assert_eq!(printed, from_file, "{policy}");
        assert_eq!(line["chosen"], file.root_result().chosen);

        let (ok, stdout, stderr) = wgzero(&["search", "--show-tree", path_text, "--json"]);
        assert!(ok, "{stderr}");
        let shown: Value = serde_json::from_str(&stdout).unwrap();
        assert_eq!(shown["chosen"], line["chosen"]);
        for (c, s) in selection
            .children
            .iter()
            .zip(shown["children"].as_array().unwrap())
        {
            assert_eq!(s["visits"], c.visits);
            assert_eq!(float(&s["u"]), Some(c.u));
        }
        assert_eq!(
            shown["children"].as_array().unwrap().len(),
            selection.children.len()
        );
    }
    let (ok, stdout, stderr) = wgzero(&["search", "--show-tree", path_text, "--node", "1"]);
    assert!(ok, "{stderr}");
    for label in [
        "N visits",
        "P prior",
        "Q value",
        "U",
        "node 1",
        "network: uniform",
    ] {
        assert!(stdout.contains(label), "{label}: {stdout}");
    }
    let (ok, _, stderr) = wgzero(&["search", "--show-tree", path_text, "--sims", "3"]);
    assert!(!ok && stderr.contains("--show-tree"), "{stderr}");
    std::fs::write(&path, "{\"format_version\": 1, \"game\": 3}").unwrap();
    let (ok, _, stderr) = wgzero(&["search", "--show-tree", path_text]);
    assert!(!ok, "a corrupt file fails");
    assert!(
        stderr.contains(path_text) && !stderr.contains("panicked"),
        "{stderr}"
    );
}

/// Paths into a file's JSON: the first non-root node that has children, one of its
/// edges with a child, and that child.
fn landmarks(file: &TreeFile) -> (usize, usize, usize) {
    let tree = &file.tree;
    for (e, edge) in tree.edges.iter().enumerate() {
        if let Some(child) = edge.child {
            let owner = tree.edge_owners()[e].unwrap() as usize;
            if owner != tree.root as usize && tree.nodes[child as usize].num_edges > 0 {
                return (owner, e, child as usize);
            }
        }
    }
    panic!("the tree is too shallow")
}

#[test]
fn bad_tree_files_are_errors_naming_the_file() {
    let (file, _) = search_to_file(puct(60), 60);
    let origin = Path::new("bad-tree.json");
    let good: Value = serde_json::to_value(&file).unwrap();
    let (inner, inner_edge, grandchild) = landmarks(&file);
    let nodes = file.tree.nodes.len();
    type Mutation = Box<dyn Fn(&mut Value)>;
    type Expected = fn(&TreeFileError) -> bool;
    let cases: Vec<(&str, Mutation, Expected)> = vec![
        (
            "format 2",
            Box::new(|v| v["format_version"] = json!(2)),
            |e| matches!(e, TreeFileError::UnsupportedVersion { .. }),
        ),
        (
            "format as text",
            Box::new(|v| v["format_version"] = json!("1")),
            |e| matches!(e, TreeFileError::UnsupportedVersion { .. }),
        ),
        (
            "no tree",
            Box::new(|v| drop(v.as_object_mut().unwrap().remove("tree"))),
            |e| matches!(e, TreeFileError::NotATreeFile { .. }),
        ),
        (
            "negative visits",
            Box::new(|v| v["tree"]["nodes"][0]["visits"] = json!(-1)),
            |e| matches!(e, TreeFileError::NotATreeFile { .. }),
        ),
        (
            "unknown game",
            Box::new(|v| v["game"] = json!({"go": {"size": 19}})),
            |e| matches!(e, TreeFileError::NotATreeFile { .. }),
        ),
        (
            "k above n",
            Box::new(|v| v["game"]["clique"]["k"] = json!(9)),
            |e| {
                matches!(
                    e,
                    TreeFileError::Invalid {
                        problem: TreeProblem::Game(_),
                        ..
                    }
                )
            },
        ),
        (
            "root out of range",
            Box::new(|v| v["tree"]["root"] = json!(1_000_000)),
            |e| {
                matches!(
                    e,
                    TreeFileError::Invalid {
                        problem: TreeProblem::OutOfRange(_),
                        ..
                    }
                )
            },
        ),
        (
            "child out of range",
            Box::new(move |v| v["tree"]["edges"][inner_edge]["child"] = json!(nodes)),
            |e| {
                matches!(
                    e,
                    TreeFileError::Invalid {
                        problem: TreeProblem::OutOfRange(_),
                        ..
                    }
                )
            },
        ),
        (
            "edges out of range",
            Box::new(|v| v["tree"]["nodes"][0]["first_edge"] = json!(u32::MAX)),
            |e| {
                matches!(
                    e,
                    TreeFileError::Invalid {
                        problem: TreeProblem::OutOfRange(_),
                        ..
                    }
                )
            },
        ),
        (
            "overlapping edges",
            Box::new(|v| v["tree"]["nodes"][0]["num_edges"] = json!(8)),
            |e| {
                matches!(
                    e,
                    TreeFileError::Invalid {
                        problem: TreeProblem::Structure(_),
                        ..
                    }
                )
            },
        ),
        (
            "cycle to the root",
            Box::new(move |v| v["tree"]["edges"][inner_edge]["child"] = json!(0)),
            |e| {
                matches!(
                    e,
                    TreeFileError::Invalid {
                        problem: TreeProblem::Cycle { .. },
                        ..
                    }
                )
            },
        ),
        (
            "cycle to its own node",
            Box::new(move |v| v["tree"]["edges"][inner_edge]["child"] = json!(inner)),
            |e| {
                matches!(
                    e,
                    TreeFileError::Invalid {
                        problem: TreeProblem::Cycle { .. },
                        ..
                    }
                )
            },
        ),
        (
            "shared child",
            Box::new(move |v| v["tree"]["edges"][0]["child"] = json!(grandchild)),
            |e| {
                matches!(
                    e,
                    TreeFileError::Invalid {
                        problem: TreeProblem::Structure(_),
                        ..
                    }
                )
            },
        ),
        (
            "action already played",
            Box::new(|v| v["tree"]["edges"][0]["action"] = json!(0)),
            |e| {
                matches!(
                    e,
                    TreeFileError::Invalid {
                        problem: TreeProblem::IllegalAction { action: 0, .. },
                        ..
                    }
                )
            },
        ),
        (
            "action beyond the board",
            Box::new(move |v| v["tree"]["edges"][inner_edge]["action"] = json!(999)),
            |e| {
                matches!(
                    e,
                    TreeFileError::Invalid {
                        problem: TreeProblem::IllegalAction { action: 999, .. },
                        ..
                    }
                )
            },
        ),
        (
            "edges out of order",
            Box::new(|v| {
                v["tree"]["edges"][1]["action"] = json!(1);
                v["tree"]["edges"][2]["action"] = json!(2);
            }),
            |e| {
                matches!(
                    e,
                    TreeFileError::Invalid {
                        problem: TreeProblem::Position { .. },
                        ..
                    }
                )
            },
        ),
        (
            "edge visits",
            Box::new(move |v| {
                let visits = v["tree"]["edges"][inner_edge]["visits"].as_u64().unwrap();
                v["tree"]["edges"][inner_edge]["visits"] = json!(visits + 1);
            }),
            |e| {
                matches!(
                    e,
                    TreeFileError::Invalid {
                        problem: TreeProblem::Counts(_),
                        ..
                    }
                )
            },
        ),
        (
            "root visits",
            Box::new(|v| v["tree"]["nodes"][0]["visits"] = json!(60)),
            |e| {
                matches!(
                    e,
                    TreeFileError::Invalid {
                        problem: TreeProblem::Counts(_),
                        ..
                    }
                )
            },
        ),
        (
            "simulations done",
            Box::new(|v| v["simulations_done"] = json!(59)),
            |e| {
                matches!(
                    e,
                    TreeFileError::Invalid {
                        problem: TreeProblem::Counts(_),
                        ..
                    }
                )
            },
        ),
        (
            "prior above 1",
            Box::new(|v| v["tree"]["edges"][0]["prior"] = json!(2.0)),
            |e| {
                matches!(
                    e,
                    TreeFileError::Invalid {
                        problem: TreeProblem::Values(_),
                        ..
                    }
                )
            },
        ),
        (
            "Q not the mean",
            Box::new(move |v| v["tree"]["edges"][inner_edge]["q"] = json!(0.75)),
            |e| {
                matches!(
                    e,
                    TreeFileError::Invalid {
                        problem: TreeProblem::Values(_),
                        ..
                    }
                )
            },
        ),
        (
            "terminal where the game goes on",
            Box::new(move |v| v["tree"]["nodes"][inner]["terminal_value"] = json!(1.0)),
            |e| {
                matches!(
                    e,
                    TreeFileError::Invalid {
                        problem: TreeProblem::Position { .. },
                        ..
                    }
                )
            },
        ),
        (
            "root noise",
            Box::new(|v| v["policy"]["AlphaZero"]["dirichlet"] = json!([0.3, 0.25])),
            |e| {
                matches!(
                    e,
                    TreeFileError::Invalid {
                        problem: TreeProblem::Search(_),
                        ..
                    }
                )
            },
        ),
        (
            "a move played twice",
            Box::new(|v| v["position"] = json!([0, 0])),
            |e| {
                matches!(
                    e,
                    TreeFileError::Invalid {
                        problem: TreeProblem::RootPosition(_),
                        ..
                    }
                )
            },
        ),
        (
            "a move beyond the board",
            Box::new(|v| v["position"] = json!([0, 99])),
            |e| {
                matches!(
                    e,
                    TreeFileError::Invalid {
                        problem: TreeProblem::RootPosition(_),
                        ..
                    }
                )
            },
        ),
        (
            // Avoid K_6: player 0 claims (0,1), (0,2), (1,2) and loses.
            "a finished root position",
            Box::new(|v| v["position"] = json!([0, 14, 1, 13, 5])),
            |e| {
                matches!(
                    e,
                    TreeFileError::Invalid {
                        problem: TreeProblem::RootPosition(_),
                        ..
                    }
                )
            },
        ),
    ];
    for (name, mutate, expected) in &cases {
        let mut value = good.clone();
        mutate(&mut value);
        let error = TreeFile::from_json(&value.to_string(), origin)
            .err()
            .unwrap_or_else(|| panic!("{name}: loaded"));
        assert!(expected(&error), "{name}: {error}");
        assert!(
            error.to_string().contains("bad-tree.json"),
            "{name}: {error}"
        );
    }
    for text in [
        "",
        "{ not json",
        "42",
        "[1, 2]",
        "{\"format_version\": null}",
    ] {
        let error = TreeFile::from_json(text, origin).unwrap_err();
        assert!(
            matches!(
                error,
                TreeFileError::NotATreeFile { .. } | TreeFileError::UnsupportedVersion { .. }
            ),
            "{text:?}: {error}"
        );
        assert!(error.to_string().contains("bad-tree.json"));
    }
    let missing = Path::new("/nonexistent/tree.json");
    let error = TreeFile::load(missing).unwrap_err();
    assert!(
        matches!(error, TreeFileError::Io { .. })
            && error.to_string().contains("/nonexistent/tree.json")
    );
    // Saving refuses what loading would refuse.
    let mut broken = file.clone();
    broken.tree.edges[inner_edge].visits += 1;
    assert!(
        broken
            .save(&std::env::temp_dir().join("never-written.json"))
            .is_err()
    );
    assert!(!std::env::temp_dir().join("never-written.json").exists());
}

#[test]
fn damaged_text_never_panics() {
    let (file, _) = search_to_file(gumbel(40, 4), 40);
    let text = serde_json::to_string(&file).unwrap();
    let origin = Path::new("damaged.json");
    let mut loaded = 0;
    for cut in (0..text.len()).step_by(text.len() / 60 + 1) {
        assert!(TreeFile::from_json(&text[..cut], origin).is_err());
    }
    // Every digit, changed to another: a load either succeeds (and the tree is valid) or
    // names the file.
    let digits: Vec<usize> = text
        .bytes()
        .enumerate()
        .filter(|(_, b)| b.is_ascii_digit())
        .map(|(i, _)| i)
        .collect();
    for (n, &at) in digits.iter().enumerate().step_by(digits.len() / 400 + 1) {
        let mut bytes = text.clone().into_bytes();
        bytes[at] = b'0' + ((bytes[at] - b'0' + 1 + n as u8 % 8) % 10);
        let damaged = String::from_utf8(bytes).unwrap();
        match TreeFile::from_json(&damaged, origin) {
            Ok(file) => {
                loaded += 1;
                file.validate().unwrap();
                file.selection(file.tree.root);
            }
            Err(error) => assert!(error.to_string().contains("damaged.json")),
        }
    }
    assert!(loaded < digits.len(), "some damage is caught");
}

#[test]
fn a_gpu_evaluator_is_polled_never_waited_for() {
    let Some(gpu) = wgzero::testing::test_gpu() else {
        return;
    };
    let config = CliqueConfig::new(5, 3, Mode::Symmetric).unwrap();
    let state = CliqueState::from_actions(config, &[3, 7, 1]).unwrap();
    let network = wgzero::nn::uniform::Uniform {
        observation_len: 3 * config.num_edges(),
        actions: config.num_edges(),
    };
    let compute = wgzero::backend::Compute::Gpu(gpu.clone());
    let mut evaluator = wgzero::search::ProgramEvaluator::new(&network, &compute, 1, 0).unwrap();
    let mut search = InteractiveSearch::new(state.clone(), puct(12)).unwrap();
    search.request_all();
    gpu.forbid_waits(true);
    run_to_target(&mut search, &mut evaluator);
    gpu.forbid_waits(false);
    let mut reference = ReferenceSearch::new(vec![state.clone()], puct(12), 0).unwrap();
    let result = reference
        .run(&mut UniformEvaluator::new(config.num_edges()))
        .unwrap()
        .remove(0);
    assert_eq!(search.result(), result);
    assert_eq!(search.tree(), reference.tree(0));
}
