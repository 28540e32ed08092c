//! `wgzero clique solve | verify | cross-check` and `wgzero bench clique` end to end: the
//! documented output shapes, answers that agree with the library, and clear errors.

use std::process::{Command, Output};

use wgzero::games::GameState;
use wgzero::games::clique::archive::RamseyArchive;
use wgzero::games::clique::solver::Solver;
use wgzero::games::clique::{CliqueConfig, CliqueState, Mode, Status};
use wgzero::testing::test_gpu;

fn wgzero(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wgzero"))
        .args(args)
        .output()
        .expect("the wgzero binary runs")
}

fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "wgzero failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn solve_prints_one_json_line_that_agrees_with_the_library() {
    let text = stdout(&wgzero(&[
        "clique",
        "solve",
        "--n",
        "6",
        "--k",
        "3",
        "--mode",
        "symmetric",
        "--position",
        "3,7,1",
        "--json",
    ]));
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(text.starts_with("{\"value\":"), "{text}");
    let line: serde_json::Value = serde_json::from_str(&text).unwrap();
    let config = CliqueConfig::new(6, 3, Mode::Symmetric).unwrap();
    let state = CliqueState::from_actions(config, &[3, 7, 1]).unwrap();
    let analysis = Solver::new(config).unwrap().analyse(&state).unwrap();
    assert_eq!(line["value"], i64::from(analysis.value));
    let moves: Vec<usize> = serde_json::from_value(line["optimal_moves"].clone()).unwrap();
    assert_eq!(moves, analysis.optimal_moves);
    // The start of Sim (n = 6, k = 3, avoid) is a second-player win.
    let start = stdout(&wgzero(&[
        "clique", "solve", "--n", "6", "--k", "3", "--mode", "avoid", "--json",
    ]));
    assert!(start.starts_with("{\"value\":-1,"), "{start}");
    let readable = stdout(&wgzero(&[
        "clique",
        "solve",
        "--n",
        "5",
        "--k",
        "3",
        "--mode",
        "avoid",
        "--position",
        "0",
    ]));
    assert!(readable.contains("optimal moves:"), "{readable}");
}

#[test]
fn solve_rejects_bad_positions_with_clear_errors() {
    for (position, expected) in [
        ("3,3", "taken"),
        ("3,15", "0..15"),
        ("x", "not an edge index"),
        ("0,14,1,13,5", "already over"),
    ] {
        let output = wgzero(&[
            "clique",
            "solve",
            "--n",
            "6",
            "--k",
            "3",
            "--mode",
            "symmetric",
            "--position",
            position,
        ]);
        assert!(!output.status.success(), "{position} was accepted");
        let error = String::from_utf8_lossy(&output.stderr);
        assert!(error.contains(expected), "{position}: {error}");
    }
    let output = wgzero(&["clique", "solve", "--n", "6", "--k", "7", "--mode", "avoid"]);
    assert!(String::from_utf8_lossy(&output.stderr).contains("3 <= k <= n"));
}

#[test]
fn verify_reports_the_counts_of_an_archive() {
    let dir = std::env::temp_dir().join(format!("wgzero-cli-verify-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let config = CliqueConfig::new(5, 3, Mode::Avoid).unwrap();
    let mut archive = RamseyArchive::open(&dir).unwrap();
    // The pentagon 0-1-2-3-4 in colour 0 and the pentagram in colour 1, in two labellings.
    let pentagon = |order: [u32; 5]| {
        let mut state = CliqueState::new(config);
        let cycle: Vec<(u32, u32)> = (0..5).map(|i| (order[i], order[(i + 1) % 5])).collect();
        let star: Vec<(u32, u32)> = (0..5).map(|i| (order[i], order[(i + 2) % 5])).collect();
        for (a, b) in cycle.iter().zip(&star) {
            state
                .apply(wgzero::games::clique::edge_index(5, a.0, a.1))
                .unwrap();
            state
                .apply(wgzero::games::clique::edge_index(5, b.0, b.1))
                .unwrap();
        }
        assert_eq!(state.status(), Status::Draw);
        state
    };
    for order in [[0, 1, 2, 3, 4], [0, 2, 4, 1, 3], [0, 1, 2, 3, 4]] {
        archive.record(&pentagon(order), "cli-test").unwrap();
    }
    drop(archive);
    let path = dir.to_string_lossy().into_owned();
    let report: serde_json::Value =
        serde_json::from_str(&stdout(&wgzero(&["clique", "verify", &path, "--json"]))).unwrap();
    assert_eq!(report["records"], 3);
    assert_eq!(report["boards"][0]["distinct_labelled"], 2);
    assert_eq!(report["boards"][0]["distinct_up_to_isomorphism"], 1);
    let text = stdout(&wgzero(&["clique", "verify", &path]));
    assert!(
        text.contains("2 distinct labelled colourings, 1 up to isomorphism"),
        "{text}"
    );
    let missing = wgzero(&["clique", "verify", "/nonexistent/wgzero-run"]);
    assert!(!missing.status.success());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn cross_check_and_bench_run_on_the_gpu_and_print_json_lines() {
    if test_gpu().is_none() {
        return;
    }
    let text = stdout(&wgzero(&[
        "--backend",
        "gpu",
        "clique",
        "cross-check",
        "--boards",
        "5:3",
        "--modes",
        "avoid",
        "--games",
        "64",
        "--slots",
        "32",
    ]));
    let report: serde_json::Value = serde_json::from_str(text.trim()).unwrap();
    assert_eq!(report["games"], 64);
    let text = stdout(&wgzero(&[
        "--backend",
        "gpu",
        "bench",
        "clique",
        "--n",
        "6",
        "--k",
        "3",
        "--batch",
        "64",
        "--steps-per-dispatch",
        "20",
        "--dispatches-per-submit",
        "2",
        "--submits",
        "1",
        "--cpu-seconds",
        "0.05",
    ]));
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["backend"], "gpu");
    assert_eq!(lines[0]["positions"], 64 * 20 * 2);
    assert_eq!(lines[0]["checked_games"], 32);
    assert_eq!(lines[1]["backend"], "cpu");
    let output = wgzero(&["--backend", "cpu", "bench", "clique"]);
    assert!(String::from_utf8_lossy(&output.stderr).contains("needs a GPU adapter"));
}
