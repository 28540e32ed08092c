//! The networks bundled with the library (`wgzero::bundled`), judged by the exact solver:
//! each one, loaded through the public loader from the embedded bytes, plays the optimal
//! move on ≥ 99 % of its run's accuracy positions with its raw policy and on all of them
//! with search, and keeps the value at positions of every depth; `wgzero play` with no
//! checkpoint plays the bundled network (its moves are that network's, and it wins the
//! games the solver says the agent's side wins); `--checkpoint bundled:MODE` evaluates it;
//! the files in assets/networks/ are exactly what is embedded; damaged bytes are errors.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use serde_json::Value;
use wgzero::backend::Compute;
use wgzero::bundled::{self, BundledNetwork, NETWORKS};
use wgzero::evaluate::accuracy::{policy_moves, search_moves};
use wgzero::evaluate::checkpoint::{CheckpointSource, checkpoint_evaluator};
use wgzero::evaluate::{AccuracyPosition, AccuracySet, top_legal_move, without_noise};
use wgzero::games::clique::{CliqueConfig, CliqueState, Mode, Status};
use wgzero::games::{Game, GameSpec, GameState};
use wgzero::run_dir::RunDirError;
use wgzero::run_dir::checkpoint::Checkpoint;
use wgzero::search::{Evaluator, ProgramEvaluator, ReferenceSearch, SearchConfig};
use wgzero::train::config::TrainConfig;

/// The bars every bundled network meets on its run's accuracy set (docs/NETWORKS.md).
const RAW_BAR: f32 = 0.99;
const SEARCH_BAR: f32 = 1.0;
/// On up to 40 positions of one depth, the raw policy may miss 2.
const DEPTH_RAW_BAR: f32 = 0.95;
/// `wgzero play`'s simulations per move (its default --sims).
const PLAY_SIMULATIONS: u32 = 100;

fn network(mode: Mode) -> &'static BundledNetwork {
    clique_networks()
        .find(|(_, game)| game.mode == mode)
        .unwrap()
        .0
}

/// The bundled networks of the clique game (the chess one is tested in tests/uci_engine.rs
/// and measured in docs/CHESS.md), with their boards.
fn clique_networks() -> impl Iterator<Item = (&'static BundledNetwork, CliqueConfig)> {
    NETWORKS.iter().filter_map(|network| match network.game {
        GameSpec::Clique(game) => Some((network, game)),
        GameSpec::Chess(_) => None,
    })
}

fn load_evaluator(
    network: &BundledNetwork,
    batch: usize,
) -> (CliqueConfig, TrainConfig, ProgramEvaluator) {
    let (checkpoint, config) = network.load().unwrap();
    let GameSpec::Clique(game) = config.game else {
        panic!("{} is not a clique network", network.name);
    };
    let evaluator =
        checkpoint_evaluator(&checkpoint, &game, &config.network, &Compute::Cpu, batch).unwrap();
    (game, config, evaluator)
}

/// Up to `count` positions after exactly `depth` uniformly random moves whose legal moves
/// do not all have the same exact value, solved.
fn positions_at_depth(
    game: &CliqueConfig,
    depth: u32,
    count: usize,
    seed: u64,
) -> Vec<AccuracyPosition<CliqueState>> {
    let mut solver = game.solver().unwrap().unwrap();
    let mut rng = StdRng::seed_from_u64(seed);
    let mut positions = Vec::new();
    for _ in 0..20 * count {
        if positions.len() == count {
            break;
        }
        let mut state = game.initial_state();
        while state.moves_played() < depth && !state.is_over() {
            let legal = state.legal_actions();
            state
                .apply(legal[rng.random_range(0..legal.len())])
                .unwrap();
        }
        if state.is_over() {
            continue;
        }
        let analysis = solver.analyse(&state).unwrap();
        if analysis.optimal_moves.len() < analysis.move_values.len() {
            positions.push(AccuracyPosition {
                state,
                value: analysis.value,
                optimal_moves: analysis.optimal_moves,
            });
        }
    }
    positions
}

/// Positions at each depth where moves differ in value: up to 40 after exactly d random
/// moves, for every d (random play's own positions weigh the depths as games reach them).
fn depth_sets(game: &CliqueConfig) -> BTreeMap<u32, AccuracySet<CliqueState>> {
    (0..game.num_edges() as u32)
        .filter_map(|depth| {
            let positions = positions_at_depth(game, depth, 40, 7 + u64::from(depth));
            AccuracySet::from_positions(positions).map(|set| (depth, set))
        })
        .collect()
}

/// The positions of `set` where `chosen` loses value, as the moves of each side, for
/// messages (`wgzero search --position` replays them).
fn misses(set: &AccuracySet<CliqueState>, chosen: &[usize]) -> Vec<String> {
    set.positions()
        .iter()
        .zip(chosen)
        .filter(|(position, action)| !position.optimal_moves.contains(action))
        .map(|(position, action)| {
            let edges = |player| -> Vec<usize> {
                (0..position.state.num_actions())
                    .filter(|&edge| position.state.owner(edge) == Some(player))
                    .collect()
            };
            format!(
                "X {:?} O {:?}: played {action}, optimal {:?}",
                edges(0),
                edges(1),
                position.optimal_moves
            )
        })
        .collect()
}

#[test]
fn each_clique_network_meets_the_bars_on_its_runs_accuracy_positions() {
    for (network, bundled_game) in clique_networks() {
        let (game, config, _) = load_evaluator(network, 1);
        assert_eq!(game, bundled_game, "{}", network.name);

        // The run's accuracy set: what `wgzero eval --checkpoint bundled:MODE` measures.
        let set = AccuracySet::new(&game, config.accuracy_positions as usize, config.seed)
            .unwrap()
            .unwrap();
        assert_eq!(set.len(), 400, "{}", network.name);
        let (_, _, mut evaluator) = load_evaluator(network, set.len());
        let (policy, _) = policy_moves(&set, &mut evaluator).unwrap();
        let searched = search_moves(
            &set,
            &mut evaluator,
            config.accuracy_simulations,
            config.search.policy,
        )
        .unwrap();
        let (raw, search) = (set.share_optimal(&policy), set.share_optimal(&searched));
        assert!(
            raw >= RAW_BAR,
            "{}: raw {raw}, misses {:#?}",
            network.name,
            misses(&set, &policy)
        );
        assert!(
            search >= SEARCH_BAR,
            "{}: search {search}, misses {:#?}",
            network.name,
            misses(&set, &searched)
        );

        // The set holds positions of every depth where moves differ in value.
        let depths: BTreeSet<u32> = set
            .positions()
            .iter()
            .map(|position| position.state.moves_played())
            .collect();
        let wanted: BTreeSet<u32> = depth_sets(&game).into_keys().collect();
        assert!(
            wanted.is_subset(&depths),
            "{}: the set's depths {depths:?} miss some of {wanted:?}",
            network.name
        );
    }
}

#[test]
fn each_clique_network_keeps_the_value_at_every_depth() {
    for (network, _) in clique_networks() {
        let (game, config, _) = load_evaluator(network, 1);
        for (depth, set) in depth_sets(&game) {
            let (_, _, mut evaluator) = load_evaluator(network, set.len());
            let (policy, _) = policy_moves(&set, &mut evaluator).unwrap();
            let searched =
                search_moves(&set, &mut evaluator, PLAY_SIMULATIONS, config.search.policy).unwrap();
            let raw = set.share_optimal(&policy);
            assert!(
                raw >= DEPTH_RAW_BAR,
                "{} at depth {depth}: raw {raw}, misses {:#?}",
                network.name,
                misses(&set, &policy)
            );
            assert!(
                set.share_optimal(&searched) == 1.0,
                "{} at depth {depth}: with {PLAY_SIMULATIONS} simulations, misses {:#?}",
                network.name,
                misses(&set, &searched)
            );
        }
    }
}

#[test]
fn the_files_in_assets_are_what_is_embedded_and_load_the_same() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(bundled::NETWORKS_DIRECTORY);
    let mut folders: Vec<String> = std::fs::read_dir(&root)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    folders.sort();
    let mut names: Vec<&str> = NETWORKS.iter().map(|network| network.name).collect();
    names.sort();
    assert_eq!(folders, names, "one folder per bundled network in {root:?}");
    for network in &NETWORKS {
        let folder = root.join(network.name);
        let mut files: Vec<String> = std::fs::read_dir(&folder)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().into_string().unwrap())
            .collect();
        files.sort();
        assert_eq!(
            files, network.file_names,
            "{folder:?} holds exactly one checkpoint"
        );
        assert_eq!(
            std::fs::read(folder.join(network.file_names[0])).unwrap(),
            network.json
        );
        assert_eq!(
            std::fs::read(folder.join(network.file_names[1])).unwrap(),
            network.tensors
        );

        // The folder is a checkpoint folder (`--checkpoint assets/networks/NAME`), the same
        // network as the embedded bytes; parameters only, and one metrics record.
        let from_files = Checkpoint::load(&folder).unwrap();
        let embedded = network.checkpoint().unwrap();
        assert_eq!(from_files.record(), embedded.record());
        assert_eq!(from_files.tensors(), embedded.tensors());
        assert_eq!(embedded.path(), Path::new(&network.label()));
        assert!(embedded.tensors().iter().all(|tensor| tensor.trainable));
        assert_eq!(embedded.record().metrics.len(), 1);
        assert_eq!(
            embedded.record().metrics[0].iteration,
            embedded.record().iteration
        );
    }
}

#[test]
fn damaged_bytes_are_errors_never_panics() {
    let network = &NETWORKS[0];
    let corrupt = |json: &[u8], tensors: &[u8], needle: &str| {
        let error = Checkpoint::from_bytes("bundled:test", json, tensors).unwrap_err();
        assert!(
            matches!(error, RunDirError::Corrupt { .. }),
            "{needle}: {error}"
        );
        let message = error.to_string();
        assert!(message.contains(needle), "{message} lacks {needle:?}");
        assert!(message.contains("bundled:test"), "{message}");
    };
    let tensors = network.tensors.to_vec();

    let mut flipped = tensors.clone();
    flipped[tensors.len() / 2] ^= 0x10;
    corrupt(network.json, &flipped, "SHA-256");
    corrupt(network.json, &tensors[..tensors.len() - 1], "truncated");
    corrupt(network.json, &[], "truncated");
    corrupt(
        &network.json[..network.json.len() / 2],
        &tensors,
        "bad JSON",
    );
    corrupt(b"", &tensors, "bad JSON");
    corrupt(b"{\"name\": 1}", &tensors, "not a wgzero checkpoint");

    // A JSON whose size and hash agree with bytes that are not safetensors.
    use sha2::Digest;
    let garbage = b"\xff\xff\xff\xff\xff\xff\xff\x7fnot safetensors".to_vec();
    let mut record: Value = serde_json::from_slice(network.json).unwrap();
    record["tensors_bytes"] = garbage.len().into();
    record["tensors_sha256"] = sha2::Sha256::digest(&garbage)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect::<String>()
        .into();
    let json = serde_json::to_vec(&record).unwrap();
    corrupt(&json, &garbage, "bad safetensors data");
}

fn wgzero(args: &[&str], input: &str) -> (bool, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_wgzero"))
        .args(args)
        .args(["--backend", "cpu"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("wgzero runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Every edge index in turn: taken edges are rejected, so the human plays the lowest free
/// edge until the game ends.
fn every_edge(game: &CliqueConfig) -> String {
    (0..game.num_edges())
        .map(|edge| format!("{edge}\n"))
        .collect()
}

/// The moves `play` printed at the end, and its result.
fn final_moves(stdout: &str) -> (Vec<usize>, String) {
    let line = stdout
        .lines()
        .find(|line| line.starts_with("result: "))
        .unwrap_or_else(|| panic!("no result line: {stdout}"));
    let (result, moves) = line.split_once("; moves: ").unwrap();
    let moves = moves.split(',').map(|m| m.parse().unwrap()).collect();
    (moves, result.trim_start_matches("result: ").to_owned())
}

#[test]
fn play_without_a_checkpoint_plays_the_bundled_network_and_wins() {
    // Symmetric (the default game), agent first, raw policy: each agent move is the
    // bundled network's top legal move, computed here from the embedded bytes.
    let symmetric = network(Mode::Symmetric);
    let (game, _, mut evaluator) = load_evaluator(symmetric, 1);
    let (ok, stdout, stderr) = wgzero(
        &["play", "--sims", "0", "--agent-first"],
        &every_edge(&game),
    );
    assert!(ok, "{stderr}");
    assert!(
        stdout.contains("the network bundled with wgzero, bundled:clique-n6-k3-symmetric"),
        "{stdout}"
    );
    let (moves, result) = final_moves(&stdout);
    let mut state = CliqueState::new(game);
    for &action in &moves {
        if state.to_move() == 0 {
            let mut observation = vec![0.0; state.observation_len()];
            state.write_observation(&mut observation);
            let (logits, _) = evaluator.evaluate(&observation, 1).unwrap();
            assert_eq!(
                action,
                top_legal_move(&logits, &state.legal_actions()),
                "{stdout}"
            );
        }
        state.apply(action).unwrap();
    }
    // The first player wins K_6, k = 3 with best play (the solver's value).
    assert_eq!(state.status(), Status::Won(0), "{stdout}");
    assert_eq!(result, "the agent wins");

    // Avoid mode, the human first and the agent searching (the defaults): the second
    // player wins with best play, and every agent move keeps that win by the solver.
    let (avoid_network, avoid) = clique_networks()
        .find(|(_, game)| game.mode == Mode::Avoid)
        .unwrap();
    let (ok, stdout, stderr) = wgzero(&["play", "--mode", "avoid"], &every_edge(&avoid));
    assert!(ok, "{stderr}");
    assert!(stdout.contains("bundled:clique-n6-k3-avoid"), "{stdout}");
    let (moves, result) = final_moves(&stdout);
    let mut solver = avoid.solver().unwrap().unwrap();
    let mut state = CliqueState::new(avoid);
    for &action in &moves {
        if state.to_move() == 1 {
            let analysis = solver.analyse(&state).unwrap();
            assert_eq!(analysis.value, 1, "{stdout}");
            assert!(analysis.optimal_moves.contains(&action), "{stdout}");
        }
        state.apply(action).unwrap();
    }
    assert_eq!(result, "the agent wins", "{stdout}");

    // The agent's search is the library's search with the bundled network.
    let (_, config, mut evaluator) = load_evaluator(avoid_network, 1);
    let mut state = CliqueState::new(avoid);
    state.apply(moves[0]).unwrap();
    let search = SearchConfig {
        simulations: 100,
        policy: without_noise(config.search.policy),
        reuse_subtree: false,
    };
    let mut reference = ReferenceSearch::new(vec![state], search, 0).unwrap();
    assert_eq!(reference.run(&mut evaluator).unwrap()[0].chosen, moves[1]);
}

#[test]
fn play_names_what_to_pass_where_nothing_is_bundled() {
    let (ok, _, stderr) = wgzero(&["play", "--n", "7"], "");
    assert!(!ok);
    for needle in [
        "no network is bundled for clique-n7-k3-symmetric",
        "bundled:clique-n6-k3-avoid",
        "wgzero train --n 7 --k 3 --mode symmetric",
        "--checkpoint",
    ] {
        assert!(stderr.contains(needle), "{stderr} lacks {needle:?}");
    }
    let (ok, _, stderr) = wgzero(
        &[
            "play",
            "--checkpoint",
            "bundled:avoid",
            "--mode",
            "symmetric",
        ],
        "",
    );
    assert!(!ok);
    assert!(
        stderr.contains("--mode: bundled:clique-n6-k3-avoid plays"),
        "{stderr}"
    );
}

#[test]
fn eval_and_export_take_bundled_networks() {
    let (ok, stdout, stderr) = wgzero(
        &[
            "eval",
            "--checkpoint",
            "bundled:avoid",
            "--json",
            "--eval-games",
            "20",
            "--against",
            "bundled:clique-n6-k3-avoid",
        ],
        "",
    );
    assert!(ok, "{stderr}");
    let line: Value = serde_json::from_str(&stdout).unwrap();
    let avoid = network(Mode::Avoid).checkpoint().unwrap();
    assert_eq!(line["checkpoint"], "bundled:clique-n6-k3-avoid");
    assert_eq!(line["against"], "bundled:clique-n6-k3-avoid");
    assert_eq!(line["game"]["clique"]["mode"], "avoid");
    assert_eq!(line["iteration"], avoid.record().iteration);
    assert_eq!(line["positions"], 400);
    assert!(line["policy_accuracy"].as_f64().unwrap() >= f64::from(RAW_BAR));
    assert_eq!(
        line["search_accuracy"].as_f64().unwrap(),
        f64::from(SEARCH_BAR)
    );

    // A bare `bundled` is the main job's game.
    let (ok, stdout, stderr) = wgzero(
        &[
            "eval",
            "--checkpoint",
            "bundled",
            "--json",
            "--eval-games",
            "2",
            "--accuracy-sims",
            "0",
        ],
        "",
    );
    assert!(ok, "{stderr}");
    let line: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(line["checkpoint"], "bundled:clique-n6-k3-symmetric");

    // An unknown name is a usage error listing the names.
    let (ok, _, stderr) = wgzero(&["eval", "--checkpoint", "bundled:k7"], "");
    assert!(!ok);
    assert!(
        stderr.contains("bundled:clique-n6-k3-asymmetric"),
        "{stderr}"
    );

    // `wgzero export` of a bundled network writes the same network as files.
    let out = tempfile::tempdir().unwrap();
    let folder = out.path().join("copy");
    let folder_text = folder.to_str().unwrap();
    let (ok, _, stderr) = wgzero(
        &[
            "export",
            "--checkpoint",
            "bundled:avoid",
            "--out",
            folder_text,
        ],
        "",
    );
    assert!(ok, "{stderr}");
    let copy = Checkpoint::load(&folder).unwrap();
    assert_eq!(copy.tensors(), avoid.tensors());
    assert_eq!(copy.record().metrics, avoid.record().metrics);
    // Loaded as the user names it.
    let (checkpoint, _) = CheckpointSource::parse(folder_text)
        .unwrap()
        .load(&GameSpec::default())
        .unwrap();
    assert_eq!(checkpoint.tensors(), avoid.tensors());
    // A second export into the same folder would mix two networks: refused.
    let (ok, _, stderr) = wgzero(
        &[
            "export",
            "--checkpoint",
            "bundled:avoid",
            "--out",
            folder_text,
        ],
        "",
    );
    assert!(!ok);
    assert!(stderr.contains("already holds a checkpoint"), "{stderr}");
}
