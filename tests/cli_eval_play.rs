//! `wgzero eval` and `wgzero play` end to end on checkpoints written here: a small MLP on
//! K_5 whose parameters are set to known random values. The reference is that MLP's
//! forward pass written out in f64 from those values: the accuracy `eval` reports and
//! every move the `play` agent makes with `--sims 0` must be what it says. The rules
//! (`CliqueState`) check each game `play` prints. Errors are checked by their messages.

use std::io::Write;
use std::num::NonZeroUsize;
use std::path::Path;
use std::process::{Command, Stdio};

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use serde_json::{Value, json};
use wgzero::backend::Compute;
use wgzero::evaluate::AccuracySet;
use wgzero::evaluate::accuracy::policy_accuracy;
use wgzero::games::GameState;
use wgzero::games::clique::{CliqueConfig, CliqueState, Mode, Status};
use wgzero::games::{GameInfo, GameSpec};
use wgzero::graph::{CompileOptions, Graph, Program};
use wgzero::nn::{self, spec::NetworkSpec};
use wgzero::run_dir::checkpoint::{CheckpointStore, RunState, snapshot_tensors};
use wgzero::search::ProgramEvaluator;
use wgzero::testing::test_gpu;
use wgzero::train::config::TrainConfig;

const HIDDEN: usize = 12;

fn game(n: u32, mode: Mode) -> CliqueConfig {
    CliqueConfig::new(n, 3, mode).unwrap()
}

/// Parameters by name, drawn at random: a network no initialisation would produce.
type Parameters = Vec<(String, Vec<f32>)>;

/// Saves a checkpoint of `spec` on `game` at `iteration` in `run_dir` with random
/// parameters from `seed`; returns them.
fn write_checkpoint(
    run_dir: &Path,
    game: CliqueConfig,
    spec: &NetworkSpec,
    seed: u64,
    iteration: u64,
) -> Parameters {
    let network = game.network(spec).unwrap();
    let graph = Graph::new();
    nn::inference(&graph, network.as_ref(), 1);
    let mut program = Program::compile(&graph, &Compute::Cpu, &CompileOptions::default()).unwrap();
    let mut rng = StdRng::seed_from_u64(seed);
    let mut parameters = Vec::new();
    for (name, shape, _) in graph.persistent_values() {
        let count: usize = shape.dims().iter().product();
        let values: Vec<f32> = (0..count)
            .map(|_| rng.random::<f32>() * 2.0 - 1.0)
            .collect();
        program.write(&name, &values).unwrap();
        parameters.push((name, values));
    }
    let mut config = TrainConfig::for_game(GameSpec::Clique(game));
    config.network = spec.clone();
    config.accuracy_positions = 60;
    config.evaluation_games = 20;
    config.accuracy_simulations = 10;
    let mut store = CheckpointStore::open(run_dir, NonZeroUsize::new(5).unwrap()).unwrap();
    let state = RunState {
        iteration,
        network: &game.network_descriptor(spec),
        config: &serde_json::to_value(&config).unwrap(),
        rng_state: &json!(null),
        metrics: &[],
        elapsed_seconds: 0.0,
    };
    let values = parameters
        .iter()
        .map(|(_, values)| values.clone())
        .collect();
    store
        .save(&state, &snapshot_tensors(&graph, values))
        .unwrap();
    parameters
}

fn mlp() -> NetworkSpec {
    NetworkSpec::Mlp {
        hidden: vec![HIDDEN],
    }
}

/// The MLP's policy logits in f64: relu(x·W0 + b0)·Wp + bp.
fn reference_logits(parameters: &Parameters, state: &CliqueState) -> Vec<f64> {
    let get = |name: &str| -> &[f32] {
        &parameters
            .iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("no {name}"))
            .1
    };
    let mut observation = vec![0.0; state.observation_len()];
    state.write_observation(&mut observation);
    let actions = state.num_actions();
    let (w0, b0) = (get("mlp.0.weight"), get("mlp.0.bias"));
    let hidden: Vec<f64> = (0..HIDDEN)
        .map(|j| {
            let sum: f64 = observation
                .iter()
                .enumerate()
                .map(|(i, &x)| f64::from(x) * f64::from(w0[i * HIDDEN + j]))
                .sum();
            (sum + f64::from(b0[j])).max(0.0)
        })
        .collect();
    let (wp, bp) = (get("mlp.policy.weight"), get("mlp.policy.bias"));
    (0..actions)
        .map(|a| {
            let sum: f64 = (0..HIDDEN)
                .map(|j| hidden[j] * f64::from(wp[j * actions + a]))
                .sum();
            sum + f64::from(bp[a])
        })
        .collect()
}

/// The legal move with the highest reference logit (ties to the lowest index).
fn reference_move(parameters: &Parameters, state: &CliqueState) -> usize {
    let logits = reference_logits(parameters, state);
    let legal = state.legal_actions();
    let mut best = legal[0];
    for &action in &legal[1..] {
        if logits[action] > logits[best] {
            best = action;
        }
    }
    best
}

fn wgzero(args: &[&str], input: Option<&str>) -> (bool, String, String) {
    wgzero_on("cpu", args, input)
}

fn wgzero_on(backend: &str, args: &[&str], input: Option<&str>) -> (bool, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_wgzero"))
        .args(args)
        .args(["--backend", backend])
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("wgzero runs");
    if let Some(input) = input {
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(input.as_bytes()).unwrap();
    }
    let output = child.wait_with_output().unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn eval_json(args: &[&str]) -> Value {
    eval_json_on("cpu", args)
}

fn eval_json_on(backend: &str, args: &[&str]) -> Value {
    let mut all = vec!["eval", "--json"];
    all.extend_from_slice(args);
    let (ok, stdout, stderr) = wgzero_on(backend, &all, None);
    assert!(ok, "{stderr}");
    assert_eq!(stdout.lines().count(), 1, "exactly one line: {stdout}");
    serde_json::from_str(&stdout).unwrap()
}

fn assert_match_adds_up(result: &Value, games: u64) {
    let count = |key: &str| result[key].as_u64().unwrap();
    assert_eq!(count("games"), games);
    assert_eq!(count("wins") + count("draws") + count("losses"), games);
    let score = (count("wins") as f64 + 0.5 * count("draws") as f64) / games as f64;
    assert!((result["score"].as_f64().unwrap() - score).abs() < 1e-6);
}

#[test]
fn eval_reports_the_accuracy_of_the_saved_network() {
    let run = tempfile::tempdir().unwrap();
    let config = game(5, Mode::Symmetric);
    write_checkpoint(run.path(), config, &mlp(), 21, 1);
    // The run directory hands out its latest checkpoint (no gating keeps an older one).
    let parameters = write_checkpoint(run.path(), config, &mlp(), 22, 2);
    let run_dir = run.path().to_str().unwrap();

    let line = eval_json(&[
        "--checkpoint",
        run_dir,
        "--accuracy-positions",
        "150",
        "--eval-games",
        "30",
        "--accuracy-sims",
        "40",
        "--seed",
        "5",
    ]);
    assert_eq!(
        line["iteration"], 2,
        "a run directory means its latest checkpoint"
    );
    assert_eq!(line["positions"], 150);
    let set = AccuracySet::new(&config, 150, 5).unwrap().unwrap();
    let hits = set
        .positions()
        .iter()
        .filter(|p| {
            p.optimal_moves
                .contains(&reference_move(&parameters, &p.state))
        })
        .count();
    let expected = hits as f64 / 150.0;
    assert!(0.0 < expected && expected < 1.0, "{expected}");
    let reported = line["policy_accuracy"].as_f64().unwrap();
    assert!(
        (reported - expected).abs() < 1e-6,
        "{reported} vs {expected}"
    );
    let searched = line["search_accuracy"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&searched));
    assert_eq!(line["simulations"], 40);
    assert_eq!(line["against"], "random");
    assert_match_adds_up(&line["match"], 30);
    assert_eq!(
        line["network"],
        game(5, Mode::Symmetric).network_descriptor(&mlp())
    );

    // The run's own settings are the defaults; --sims 0 skips the search accuracy.
    let defaults = eval_json(&["--checkpoint", run_dir, "--accuracy-sims", "0"]);
    assert_eq!(defaults["positions"], 60);
    assert_eq!(defaults["search_accuracy"], Value::Null);
    assert_match_adds_up(&defaults["match"], 20);

    // A checkpoint file loads that checkpoint, either half of it.
    let tensors = run.path().join("checkpoints/ckpt-00000001.safetensors");
    let first = eval_json(&[
        "--checkpoint",
        tensors.to_str().unwrap(),
        "--accuracy-sims",
        "0",
    ]);
    assert_eq!(first["iteration"], 1);
    assert_ne!(first["policy_accuracy"], defaults["policy_accuracy"]);

    // Text by default.
    let (ok, stdout, stderr) = wgzero(&["eval", "--checkpoint", run_dir], None);
    assert!(ok, "{stderr}");
    assert!(
        stdout.contains("optimal-move accuracy on 60 positions: raw policy"),
        "{stdout}"
    );
    assert!(stdout.contains("with 10 simulations"), "{stdout}");
    assert!(
        stdout.contains("match against random (20 games"),
        "{stdout}"
    );
}

#[test]
fn eval_on_the_gpu_reports_what_the_cpu_does() {
    if test_gpu().is_none() {
        return;
    }
    let run = tempfile::tempdir().unwrap();
    write_checkpoint(run.path(), game(5, Mode::Symmetric), &mlp(), 31, 1);
    let args = [
        "--checkpoint",
        run.path().to_str().unwrap(),
        "--accuracy-positions",
        "40",
        "--accuracy-sims",
        "8",
        "--eval-games",
        "10",
    ];
    let cpu = eval_json_on("cpu", &args);
    let gpu = eval_json_on("gpu", &args);
    assert!(gpu["backend"].as_str().unwrap().starts_with("gpu"), "{gpu}");
    for key in ["policy_accuracy", "search_accuracy", "match"] {
        assert_eq!(gpu[key], cpu[key], "{key}");
    }
}

#[test]
fn eval_plays_another_checkpoint_and_a_gnn() {
    let run = tempfile::tempdir().unwrap();
    let other = tempfile::tempdir().unwrap();
    let config = game(5, Mode::Avoid);
    let gnn = NetworkSpec::Gnn {
        hidden: 8,
        layers: 2,
    };
    write_checkpoint(run.path(), config, &mlp(), 3, 1);
    write_checkpoint(other.path(), config, &gnn, 4, 1);
    let line = eval_json(&[
        "--checkpoint",
        run.path().to_str().unwrap(),
        "--against",
        other.path().to_str().unwrap(),
        "--eval-games",
        "24",
    ]);
    assert!(
        line["against"]
            .as_str()
            .unwrap()
            .ends_with("ckpt-00000001.json")
    );
    assert_match_adds_up(&line["match"], 24);
    // The GNN evaluates on its own too.
    let gnn_line = eval_json(&["--checkpoint", other.path().to_str().unwrap()]);
    assert_eq!(
        gnn_line["network"],
        game(5, Mode::Symmetric).network_descriptor(&gnn)
    );
    assert!(gnn_line["policy_accuracy"].is_number());
}

#[test]
fn eval_errors_name_the_problem() {
    // A run directory holding one best MLP checkpoint of `board`, made from `seed`.
    let best_run = |board: CliqueConfig, seed: u64| {
        let dir = tempfile::tempdir().unwrap();
        write_checkpoint(dir.path(), board, &mlp(), seed, 1);
        dir
    };
    let run = best_run(game(5, Mode::Symmetric), 1);
    let run_dir = run.path().to_str().unwrap();
    let failure = |args: &[&str]| {
        let mut all = vec!["eval"];
        all.extend_from_slice(args);
        let (ok, _, stderr) = wgzero(&all, None);
        assert!(!ok, "{args:?} should fail");
        stderr
    };

    let missing = run.path().join("nothing-here");
    let stderr = failure(&["--checkpoint", missing.to_str().unwrap()]);
    assert!(stderr.contains("no such file or directory"), "{stderr}");

    // Another board: the MLP's shapes do not fit K_6.
    let other = best_run(game(6, Mode::Symmetric), 2);
    let stderr = failure(&[
        "--checkpoint",
        run_dir,
        "--against",
        other.path().to_str().unwrap(),
    ]);
    assert!(stderr.contains("does not fit this network"), "{stderr}");

    // Another mode.
    let avoid = best_run(game(5, Mode::Avoid), 2);
    let stderr = failure(&[
        "--checkpoint",
        run_dir,
        "--against",
        avoid.path().to_str().unwrap(),
    ]);
    assert!(stderr.contains("networks of one game"), "{stderr}");

    // A config that is not a training configuration.
    let json_path = run.path().join("checkpoints/ckpt-00000001.json");
    let original = std::fs::read_to_string(&json_path).unwrap();
    let mut record: Value = serde_json::from_str(&original).unwrap();
    record["config"] = json!({ "game": "clique" });
    std::fs::write(&json_path, serde_json::to_string(&record).unwrap()).unwrap();
    let stderr = failure(&["--checkpoint", run_dir]);
    assert!(
        stderr.contains("not a wgzero training configuration"),
        "{stderr}"
    );
    std::fs::write(&json_path, original).unwrap();

    // A damaged tensors file.
    let tensors = run.path().join("checkpoints/ckpt-00000001.safetensors");
    let bytes = std::fs::read(&tensors).unwrap();
    std::fs::write(&tensors, &bytes[..bytes.len() - 4]).unwrap();
    let stderr = failure(&["--checkpoint", run_dir]);
    assert!(stderr.contains("is corrupt"), "{stderr}");
}

/// The moves `play` printed at the end, and its result line.
fn final_moves(stdout: &str) -> (Vec<usize>, String) {
    let line = stdout
        .lines()
        .find(|line| line.starts_with("result: "))
        .unwrap_or_else(|| panic!("no result line: {stdout}"));
    let (result, moves) = line.split_once("; moves: ").unwrap();
    let moves = moves.split(',').map(|m| m.parse().unwrap()).collect();
    (moves, result.trim_start_matches("result: ").to_owned())
}

/// Every edge index in turn, after some bad lines: taken edges are rejected, so the game
/// goes on until it ends.
fn every_edge(config: CliqueConfig, bad_lines: &str) -> String {
    let mut input = bad_lines.to_owned();
    for action in 0..config.num_edges() {
        input.push_str(&format!("{action}\n"));
    }
    input
}

#[test]
fn play_agent_moves_are_the_saved_policy_and_the_result_follows_the_rules() {
    let run = tempfile::tempdir().unwrap();
    let config = game(5, Mode::Symmetric);
    let parameters = write_checkpoint(run.path(), config, &mlp(), 8, 1);
    let run_dir = run.path().to_str().unwrap();
    for (side, agent_seat) in [("--human-first", 1u8), ("--agent-first", 0u8)] {
        let input = every_edge(config, "hello\n99\n3-3\n1-7\n\n");
        let (ok, stdout, stderr) = wgzero(
            &["play", "--checkpoint", run_dir, "--sims", "0", side],
            Some(&input),
        );
        assert!(ok, "{stderr}");
        if agent_seat == 1 {
            assert!(stdout.contains("\"hello\" is not a move"), "{stdout}");
            assert!(stdout.contains("there is no edge 99"), "{stdout}");
            assert!(stdout.contains("3-3 is not an edge"), "{stdout}");
            assert!(stdout.contains("\"7\" is not a vertex"), "{stdout}");
        }
        assert!(stdout.contains("is taken by"), "{stdout}");
        let (moves, result) = final_moves(&stdout);
        let mut state = CliqueState::new(config);
        let mut agent_moves = 0;
        for &action in &moves {
            if state.to_move() == agent_seat {
                assert_eq!(action, reference_move(&parameters, &state), "{stdout}");
                agent_moves += 1;
            }
            state.apply(action).unwrap();
        }
        assert!(state.is_over());
        assert!(agent_moves >= 2);
        let expected = match state.status() {
            Status::Won(player) if player == agent_seat => "the agent wins",
            Status::Won(_) => "you win",
            _ => "draw",
        };
        assert_eq!(result, expected);
        // The human's moves are the lowest free edges: exactly what the input offered.
        let human: Vec<usize> = moves
            .iter()
            .enumerate()
            .filter(|(ply, _)| (*ply % 2) as u8 != agent_seat)
            .map(|(_, &action)| action)
            .collect();
        assert!(human.windows(2).all(|pair| pair[0] < pair[1]), "{human:?}");
    }
}

#[test]
fn play_with_search_uses_vertex_pairs_and_ends_on_end_of_input() {
    let run = tempfile::tempdir().unwrap();
    let config = game(5, Mode::Avoid);
    write_checkpoint(run.path(), config, &mlp(), 9, 1);
    let run_dir = run.path().to_str().unwrap();

    // Moves as vertex pairs in either order; the agent searches.
    let mut input = String::new();
    for u in 0..5 {
        for v in (0..u).rev() {
            input.push_str(&format!("{u}-{v}\n"));
        }
    }
    let (ok, stdout, stderr) = wgzero(
        &["play", "--checkpoint", run_dir, "--sims", "30"],
        Some(&input),
    );
    assert!(ok, "{stderr}");
    assert!(stdout.contains("searches 30 simulations"), "{stdout}");
    let (moves, _) = final_moves(&stdout);
    let state = CliqueState::from_actions(config, &moves).unwrap();
    assert!(state.is_over());
    // The board shows the claimed edges' marks.
    assert!(stdout.contains(" X") && stdout.contains(" O"), "{stdout}");

    // Input ends before the game: a clean exit that says so.
    let (ok, stdout, stderr) = wgzero(
        &["play", "--checkpoint", run_dir, "--human-first"],
        Some("0\n"),
    );
    assert!(ok, "{stderr}");
    assert!(stdout.contains("end of input"), "{stdout}");
    assert!(!stdout.contains("result:"), "{stdout}");

    let (ok, _, stderr) = wgzero(
        &[
            "play",
            "--checkpoint",
            run_dir,
            "--human-first",
            "--agent-first",
        ],
        Some(""),
    );
    assert!(!ok);
    assert!(stderr.contains("cannot be used with"), "{stderr}");
}

#[test]
fn a_gnn_trained_on_one_board_evaluates_on_another_and_an_mlp_says_it_cannot() {
    let run = tempfile::tempdir().unwrap();
    let gnn = NetworkSpec::Gnn {
        hidden: 8,
        layers: 2,
    };
    let parameters = write_checkpoint(run.path(), game(5, Mode::Symmetric), &gnn, 9, 1);
    let line = eval_json(&[
        "--checkpoint",
        run.path().to_str().unwrap(),
        "--n",
        "6",
        "--accuracy-positions",
        "80",
        "--accuracy-sims",
        "0",
        "--eval-games",
        "10",
    ]);
    assert_eq!(line["game"]["clique"]["n"], 6);
    // The reference: the K_6 network built here with the parameters the K_5 checkpoint
    // was written from.
    let board = game(6, Mode::Symmetric);
    let set = AccuracySet::new(&board, 80, 1).unwrap().unwrap();
    let network = board.network(&gnn).unwrap();
    let mut evaluator =
        ProgramEvaluator::new(network.as_ref(), &Compute::Cpu, set.len(), 0).unwrap();
    for (name, values) in &parameters {
        evaluator.program_mut().write(name, values).unwrap();
    }
    let expected = policy_accuracy(&set, &mut evaluator).unwrap();
    assert_eq!(line["positions"], set.len());
    assert!((line["policy_accuracy"].as_f64().unwrap() - f64::from(expected)).abs() < 1e-6);

    let mlp_run = tempfile::tempdir().unwrap();
    write_checkpoint(mlp_run.path(), game(5, Mode::Symmetric), &mlp(), 3, 1);
    let (ok, _, stderr) = wgzero(
        &[
            "eval",
            "--checkpoint",
            mlp_run.path().to_str().unwrap(),
            "--n",
            "6",
        ],
        None,
    );
    assert!(!ok);
    assert!(stderr.contains("only GNN checkpoints"), "{stderr}");
}

/// The legal softmax of the reference logits, by action.
fn reference_priors(parameters: &Parameters, state: &CliqueState) -> Vec<(usize, f64)> {
    let logits = reference_logits(parameters, state);
    let legal = state.legal_actions();
    let high = legal
        .iter()
        .map(|&a| logits[a])
        .fold(f64::NEG_INFINITY, f64::max);
    let total: f64 = legal.iter().map(|&a| (logits[a] - high).exp()).sum();
    legal
        .iter()
        .map(|&a| (a, (logits[a] - high).exp() / total))
        .collect()
}

#[test]
fn eval_misses_are_the_positions_the_saved_network_gets_wrong() {
    let run = tempfile::tempdir().unwrap();
    let config = game(5, Mode::Avoid);
    let parameters = write_checkpoint(run.path(), config, &mlp(), 23, 1);
    let run_dir = run.path().to_str().unwrap();
    let line = eval_json(&[
        "--checkpoint",
        run_dir,
        "--accuracy-positions",
        "120",
        "--seed",
        "4",
        "--accuracy-sims",
        "0",
        "--eval-games",
        "2",
        "--misses",
    ]);
    let set = AccuracySet::new(&config, 120, 4).unwrap().unwrap();
    let expected: Vec<usize> = (0..set.len())
        .filter(|&i| {
            let position = &set.positions()[i];
            !position
                .optimal_moves
                .contains(&reference_move(&parameters, &position.state))
        })
        .collect();
    assert!(!expected.is_empty() && expected.len() < set.len());

    let misses = line["misses"].as_array().unwrap();
    let mut listed: Vec<usize> = misses
        .iter()
        .flat_map(|miss| miss["indices"].as_array().unwrap().iter())
        .map(|index| index.as_u64().unwrap() as usize)
        .collect();
    listed.sort_unstable();
    assert_eq!(listed, expected, "every missed position, once");
    for miss in misses {
        let first = miss["indices"][0].as_u64().unwrap() as usize;
        let position = &set.positions()[first];
        // The listed moves reach the position, and repeats are the same position.
        let moves: Vec<usize> = serde_json::from_value(miss["moves"].clone()).unwrap();
        let reached = CliqueState::from_actions(config, &moves).unwrap();
        assert_eq!(reached.adjacency(0), position.state.adjacency(0));
        assert_eq!(reached.adjacency(1), position.state.adjacency(1));
        for index in miss["indices"].as_array().unwrap() {
            let other = &set.positions()[index.as_u64().unwrap() as usize];
            assert_eq!(other.state.adjacency(0), position.state.adjacency(0));
            assert_eq!(other.state.adjacency(1), position.state.adjacency(1));
        }
        let optimal: Vec<usize> = serde_json::from_value(miss["optimal_moves"].clone()).unwrap();
        assert_eq!(optimal, position.optimal_moves);
        assert_eq!(miss["value"], i64::from(position.value));
        assert_eq!(miss["moves_played"], position.state.moves_played());
        // The policy's top moves are the reference softmax's, best first.
        let mut priors = reference_priors(&parameters, &position.state);
        priors.sort_by(|a, b| b.1.total_cmp(&a.1));
        for (listed, (action, prior)) in miss["policy_top"].as_array().unwrap().iter().zip(&priors)
        {
            assert_eq!(listed[0].as_u64().unwrap() as usize, *action);
            assert!((listed[1].as_f64().unwrap() - prior).abs() < 1e-4);
        }
        assert_eq!(
            miss["policy_top"][0][0].as_u64().unwrap() as usize,
            reference_move(&parameters, &position.state)
        );
        assert_eq!(miss["search_move"], Value::Null, "--sims 0: no search");
    }
    let counts = line["miss_counts"].as_array().unwrap();
    let sum = |key: &str| counts.iter().map(|c| c[key].as_u64().unwrap()).sum::<u64>();
    assert_eq!(sum("positions"), set.len() as u64);
    assert_eq!(sum("misses"), expected.len() as u64);

    let (ok, stdout, stderr) = wgzero(
        &[
            "eval",
            "--checkpoint",
            run_dir,
            "--accuracy-positions",
            "120",
            "--seed",
            "4",
            "--misses",
        ],
        None,
    );
    assert!(ok, "{stderr}");
    assert!(
        stdout.contains(&format!(
            "raw-policy misses: {} positions of the set",
            expected.len()
        )),
        "{stdout}"
    );
    assert!(stdout.contains("reached by the moves"), "{stdout}");

    // No positions to list: an error that says why, not a silent report.
    let (ok, _, stderr) = wgzero(
        &[
            "eval",
            "--checkpoint",
            run_dir,
            "--accuracy-positions",
            "0",
            "--misses",
        ],
        None,
    );
    assert!(!ok);
    assert!(
        stderr.contains("--misses") && stderr.contains("--accuracy-positions"),
        "{stderr}"
    );
}

#[test]
fn search_with_a_checkpoint_uses_its_network_and_its_game() {
    let run = tempfile::tempdir().unwrap();
    let config = game(5, Mode::Asymmetric);
    let parameters = write_checkpoint(run.path(), config, &mlp(), 24, 1);
    let run_dir = run.path().to_str().unwrap();
    let moves = [4, 0, 7];
    let state = CliqueState::from_actions(config, &moves).unwrap();
    let search_json = |sims: &str| -> Value {
        let (ok, stdout, stderr) = wgzero(
            &[
                "search",
                "--checkpoint",
                run_dir,
                "--position",
                "4,0,7",
                "--sims",
                sims,
                "--json",
            ],
            None,
        );
        assert!(ok, "{stderr}");
        serde_json::from_str(&stdout).unwrap()
    };
    let line = search_json("0");
    assert_eq!(line["chosen"], reference_move(&parameters, &state));
    let children = line["children"].as_array().unwrap();
    let priors = reference_priors(&parameters, &state);
    assert_eq!(children.len(), priors.len());
    for (child, (action, prior)) in children.iter().zip(&priors) {
        assert_eq!(child["action"], *action);
        assert!((child["prior"].as_f64().unwrap() - prior).abs() < 1e-4);
    }

    // With simulations the search spends them all; the game (K_5) is the checkpoint's.
    let line = search_json("64");
    let visits: u64 = line["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["visits"].as_u64().unwrap())
        .sum();
    assert_eq!(visits, 64);

    // The game comes from the checkpoint: --n with --checkpoint is refused.
    let (ok, _, stderr) = wgzero(
        &["search", "--checkpoint", run_dir, "--n", "6", "--sims", "0"],
        None,
    );
    assert!(!ok);
    assert!(
        stderr.contains("--n") && stderr.contains("--checkpoint"),
        "{stderr}"
    );
}
