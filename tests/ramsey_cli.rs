//! `wgzero ramsey` and `wgzero bench ramsey` end to end: witnesses printed as graph6 and
//! confirmed by a third party (networkx), archived and verifiable, bad flags named, a
//! search stopped by its time limit or killed with SIGKILL resumed without losing what it
//! had found.
//!
//! The networkx check needs python3 with networkx (Debian's python3-networkx; `.ci/run`
//! installs it). Without it the check is skipped, unless `WGZERO_REQUIRE_GPU` is set (as in
//! CI), when the test fails naming what is missing.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use wgzero::games::clique::archive::{check_witness, verify};
use wgzero::games::clique::graph6;

fn wgzero(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wgzero"))
        .args(args)
        .output()
        .expect("the wgzero binary runs")
}

fn fresh_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("wgzero-ramsey-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The stdout lines that are graph6 (not the JSON summary).
fn graph6_lines(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .filter(|line| !line.starts_with('{') && !line.trim().is_empty())
        .map(str::to_owned)
        .collect()
}

/// The JSON summary line of `--json`.
fn summary(stdout: &str) -> serde_json::Value {
    let line = stdout
        .lines()
        .rfind(|line| line.starts_with('{'))
        .unwrap_or_else(|| panic!("no JSON summary in {stdout:?}"));
    serde_json::from_str(line).unwrap()
}

/// Runs `check` (Python source reading graph6 lines on stdin) with networkx; `None` when
/// python3 or networkx is missing and CI does not require them.
fn networkx(check: &str, input: &str) -> Option<String> {
    if !wgzero::testing::python_module("networkx", "apt-get install python3-networkx") {
        return None;
    }
    let mut child = Command::new("python3")
        .args(["-c", check])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "networkx check failed: {}",
        text(&output.stderr)
    );
    Some(text(&output.stdout))
}

/// For each graph6 line: vertices, clique number of the graph and of its complement.
const CLIQUE_NUMBERS: &str = r#"
import sys
import networkx as nx
for line in sys.stdin:
    line = line.strip()
    if not line:
        continue
    graph = nx.from_graph6_bytes(line.encode())
    colour0 = max(len(c) for c in nx.find_cliques(graph))
    colour1 = max(len(c) for c in nx.find_cliques(nx.complement(graph)))
    print(graph.number_of_nodes(), colour0, colour1)
"#;

#[test]
fn r44_witnesses_on_k17_are_found_printed_archived_and_confirmed_by_networkx() {
    for method in ["anneal", "tabu", "circulant"] {
        let dir = fresh_dir(&format!("k17-{method}"));
        let started = Instant::now();
        let output = wgzero(&[
            "ramsey",
            "--s",
            "4",
            "--t",
            "4",
            "--n",
            "17",
            "--backend",
            "cpu",
            "--method",
            method,
            "--minutes",
            "1",
            "--json",
            "--out",
            dir.to_str().unwrap(),
        ]);
        let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
        assert!(output.status.success(), "{method}: {stderr}");
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "{method} took {:?}",
            started.elapsed()
        );
        assert!(stderr.contains("backend: cpu"), "{stderr}");
        let lines = graph6_lines(&stdout);
        assert_eq!(lines.len(), 1, "{stdout}");
        let (n, adjacency) = graph6::decode(&lines[0]).unwrap();
        assert_eq!(n, 17);
        check_witness(17, 4, 4, &adjacency).unwrap();
        let line = summary(&stdout);
        assert_eq!(line["witnesses"], 1);
        assert_eq!(line["reached"], true);
        assert_eq!(line["best_energy"], 0);
        assert_eq!(line["method"], method);
        // The archive holds it, and its own verification accepts it.
        let report = verify(&dir).unwrap();
        assert_eq!(report.records, 1);
        assert_eq!(
            (report.boards[0].n, report.boards[0].k, report.boards[0].t),
            (17, 4, 4)
        );
        if let Some(numbers) = networkx(CLIQUE_NUMBERS, &stdout_graph6(&lines)) {
            let numbers: Vec<u32> = numbers
                .split_whitespace()
                .map(|number| number.parse().unwrap())
                .collect();
            assert_eq!(numbers[0], 17);
            assert!(
                numbers[1] < 4 && numbers[2] < 4,
                "networkx finds cliques {numbers:?}"
            );
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}

fn stdout_graph6(lines: &[String]) -> String {
    lines.iter().map(|line| format!("{line}\n")).collect()
}

#[test]
fn asymmetric_witnesses_are_distinct_up_to_isomorphism_and_confirmed_by_networkx() {
    // R(3,4) = 9: K_8 has exactly 3 witnesses up to isomorphism.
    let dir = fresh_dir("k8");
    let output = wgzero(&[
        "ramsey",
        "--s",
        "3",
        "--t",
        "4",
        "--n",
        "8",
        "--count",
        "3",
        "--minutes",
        "1",
        "--json",
        "--out",
        dir.to_str().unwrap(),
    ]);
    let stdout = text(&output.stdout);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let lines = graph6_lines(&stdout);
    assert_eq!(lines.len(), 3);
    let report = verify(&dir).unwrap();
    assert_eq!(report.boards[0].distinct_up_to_isomorphism, 3);
    assert_eq!((report.boards[0].k, report.boards[0].t), (3, 4));
    if let Some(numbers) = networkx(CLIQUE_NUMBERS, &stdout_graph6(&lines)) {
        for line in numbers.lines() {
            let numbers: Vec<u32> = line
                .split_whitespace()
                .map(|x| x.parse().unwrap())
                .collect();
            assert!(
                numbers[0] == 8 && numbers[1] < 3 && numbers[2] < 4,
                "{numbers:?}"
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_flags_are_named_errors_not_panics() {
    let dir = fresh_dir("flags");
    let out = dir.to_str().unwrap();
    for (args, flag, code) in [
        (vec!["--s", "1", "--t", "4", "--n", "17"], "--s", 2),
        (vec!["--s", "4", "--t", "0", "--n", "17"], "--t", 2),
        (vec!["--s", "4", "--t", "4", "--n", "65"], "--n", 2),
        (vec!["--s", "4", "--t", "4", "--n", "1"], "--n", 2),
        (
            vec!["--s", "4", "--t", "4", "--n", "17", "--minutes", "0"],
            "--minutes",
            2,
        ),
        (
            vec!["--s", "4", "--t", "4", "--n", "17", "--count", "0"],
            "--count",
            2,
        ),
        (
            vec!["--s", "4", "--t", "4", "--n", "17", "--method", "genetic"],
            "--method",
            2,
        ),
        (
            vec![
                "--s", "4", "--t", "4", "--n", "17", "--resume", "--out", out,
            ],
            "--resume",
            1,
        ),
    ] {
        let mut all = vec!["ramsey"];
        all.extend(&args);
        let output = wgzero(&all);
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(code), "{args:?}: {stderr}");
        assert!(stderr.contains(flag), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    // A finished search's directory is not overwritten without --resume.
    let first = wgzero(&["ramsey", "--s", "3", "--t", "3", "--n", "5", "--out", out]);
    assert!(first.status.success(), "{}", text(&first.stderr));
    let again = wgzero(&["ramsey", "--s", "3", "--t", "3", "--n", "5", "--out", out]);
    assert_eq!(again.status.code(), Some(1));
    assert!(
        text(&again.stderr).contains("--resume"),
        "{}",
        text(&again.stderr)
    );
    let other = wgzero(&[
        "ramsey", "--s", "3", "--t", "3", "--n", "5", "--out", out, "--resume", "--seed", "9",
    ]);
    assert!(
        text(&other.stderr).contains("--seed 9"),
        "{}",
        text(&other.stderr)
    );
    let mismatch = wgzero(&[
        "ramsey", "--s", "3", "--t", "3", "--n", "6", "--out", out, "--resume",
    ]);
    assert!(
        text(&mismatch.stderr).contains("R(3,3) on K_5"),
        "{}",
        text(&mismatch.stderr)
    );
    // A damaged checkpoint is an error naming the file and what to do.
    std::fs::write(dir.join("ramsey/search.json"), "{\"format_version\":1}").unwrap();
    let damaged = wgzero(&[
        "ramsey", "--s", "3", "--t", "3", "--n", "5", "--out", out, "--resume",
    ]);
    let stderr = text(&damaged.stderr);
    assert_eq!(damaged.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("search.json") && stderr.contains("delete it"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}

fn saved_search(dir: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(dir.join("ramsey/search.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn total_steps(search: &serde_json::Value) -> u64 {
    search["search"]["chains"]
        .as_array()
        .unwrap()
        .iter()
        .map(|chain| chain["counters"]["steps"].as_u64().unwrap())
        .sum()
}

#[test]
fn a_search_out_of_time_resumes_with_its_time_steps_and_witnesses() {
    // K_8 has 3 witness classes for R(3,4): 50 can never be reached, so both runs end by
    // time, having found some.
    let dir = fresh_dir("resume");
    let out = dir.to_str().unwrap();
    let args = [
        "ramsey",
        "--s",
        "3",
        "--t",
        "4",
        "--n",
        "8",
        "--count",
        "50",
        "--minutes",
        "0.02",
        "--json",
        "--out",
        out,
    ];
    let first = wgzero(&args);
    assert_eq!(first.status.code(), Some(1));
    let stderr = text(&first.stderr);
    assert!(
        stderr.contains("time is up") && stderr.contains("--resume"),
        "{stderr}"
    );
    let first_summary = summary(&text(&first.stdout));
    let found_first = first_summary["witnesses"].as_u64().unwrap();
    assert!(found_first >= 1);
    let saved = saved_search(&dir);
    let steps_first = total_steps(&saved);
    assert!(saved["elapsed_seconds"].as_f64().unwrap() >= 1.0);

    let mut resumed_args = args.to_vec();
    resumed_args.push("--resume");
    let second = wgzero(&resumed_args);
    assert_eq!(second.status.code(), Some(1));
    assert!(
        text(&second.stderr).contains("resuming"),
        "{}",
        text(&second.stderr)
    );
    let second_summary = summary(&text(&second.stdout));
    assert!(second_summary["witnesses"].as_u64().unwrap() >= found_first);
    assert!(
        second_summary["elapsed_seconds"].as_f64().unwrap()
            > first_summary["elapsed_seconds"].as_f64().unwrap() + 1.0
    );
    assert!(second_summary["steps"].as_u64().unwrap() > steps_first);
    let first_witnesses = first_summary["witness_graph6"].as_array().unwrap();
    let second_witnesses = second_summary["witness_graph6"].as_array().unwrap();
    assert_eq!(
        &second_witnesses[..first_witnesses.len()],
        &first_witnesses[..]
    );
    // Only classes new to the search were printed the second time.
    let printed = graph6_lines(&text(&second.stdout));
    assert_eq!(
        printed.len(),
        second_witnesses.len() - first_witnesses.len()
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_search_killed_with_sigkill_resumes_from_its_last_checkpoint() {
    // R(5,5) on K_42 is far beyond a few seconds of annealing from random colourings: the
    // run only ends by the kill.
    let dir = fresh_dir("kill");
    let out = dir.to_str().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_wgzero"))
        .args([
            "ramsey",
            "--s",
            "5",
            "--t",
            "5",
            "--n",
            "42",
            "--method",
            "anneal",
            "--chains",
            "2",
            "--checkpoint-seconds",
            "0.3",
            "--out",
            out,
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let path = dir.join("ramsey/search.json");
    let mut seen_elapsed = 0.0;
    while seen_elapsed < 1.0 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no checkpoint after a minute"
        );
        std::thread::sleep(Duration::from_millis(50));
        if let Ok(text) = std::fs::read_to_string(&path) {
            let saved: serde_json::Value =
                serde_json::from_str(&text).expect("a checkpoint is never torn");
            seen_elapsed = saved["elapsed_seconds"].as_f64().unwrap();
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let saved = saved_search(&dir);
    let elapsed_saved = saved["elapsed_seconds"].as_f64().unwrap();
    assert!(elapsed_saved >= seen_elapsed);
    let steps_saved = total_steps(&saved);
    let resumed = wgzero(&[
        "ramsey",
        "--s",
        "5",
        "--t",
        "5",
        "--n",
        "42",
        "--minutes",
        "0.01",
        "--json",
        "--resume",
        "--out",
        out,
    ]);
    assert_eq!(resumed.status.code(), Some(1), "{}", text(&resumed.stderr));
    let line = summary(&text(&resumed.stdout));
    assert!(line["elapsed_seconds"].as_f64().unwrap() > elapsed_saved);
    assert!(line["steps"].as_u64().unwrap() > steps_saved);
    assert_eq!(line["chains"], 2);
    assert!(line["best_energy"].as_u64().unwrap() > 0);
    let leftovers: Vec<_> = std::fs::read_dir(dir.join("ramsey"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.contains(".tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_benchmark_prints_json_lines_for_rates_and_times_to_witness() {
    let output = wgzero(&[
        "bench",
        "ramsey",
        "--rate-boards",
        "4:4:12",
        "--rate-seconds",
        "0.2",
        "--targets",
        "3:3:5,3:4:8",
        "--seeds",
        "2",
        "--timeout-seconds",
        "20",
    ]);
    let stdout = text(&output.stdout);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // Two local searches' rates, then 2 targets × 3 methods.
    assert_eq!(lines.len(), 2 + 6, "{stdout}");
    for line in &lines[..2] {
        assert_eq!(line["bench"], "ramsey_step_rate");
        assert!(line["steps_per_second"].as_f64().unwrap() > 0.0);
    }
    for line in &lines[2..] {
        assert_eq!(line["bench"], "ramsey_time_to_witness");
        assert_eq!(line["found"], 2, "{line}");
    }
}

#[test]
fn the_gpu_search_finds_witnesses_and_a_search_moves_between_cpu_and_gpu() {
    if wgzero::testing::test_gpu().is_none() {
        return;
    }
    let dir = fresh_dir("gpu");
    let out = dir.to_str().unwrap();
    let k17 = wgzero(&[
        "ramsey",
        "--s",
        "4",
        "--t",
        "4",
        "--n",
        "17",
        "--backend",
        "gpu",
        "--chains",
        "64",
        "--method",
        "anneal",
        "--json",
        "--out",
        out,
    ]);
    let (stdout, stderr) = (text(&k17.stdout), text(&k17.stderr));
    assert!(k17.status.success(), "{stderr}");
    assert!(stderr.contains("backend: gpu"), "{stderr}");
    let line = summary(&stdout);
    assert_eq!(
        (line["backend"].as_str(), line["witnesses"].as_u64()),
        (Some("gpu"), Some(1))
    );
    assert!(line["first_witness_seconds"].as_f64().is_some(), "{line}");
    let lines = graph6_lines(&stdout);
    let (_, adjacency) = graph6::decode(&lines[0]).unwrap();
    check_witness(17, 4, 4, &adjacency).unwrap();
    if let Some(numbers) = networkx(CLIQUE_NUMBERS, &stdout_graph6(&lines)) {
        assert_eq!(
            numbers.split_whitespace().collect::<Vec<_>>(),
            ["17", "3", "3"]
        );
    }
    let _ = std::fs::remove_dir_all(&dir);

    // R(3,4) on K_8 never reaches 50 classes (it has 3): each run ends by time, and the
    // next, on the other backend, continues the same chains.
    let mut steps = 0;
    let mut classes = 0;
    for (round, backend) in ["cpu", "gpu", "cpu"].into_iter().enumerate() {
        let mut args = vec![
            "ramsey",
            "--s",
            "3",
            "--t",
            "4",
            "--n",
            "8",
            "--count",
            "50",
            "--minutes",
            "0.01",
            "--json",
            "--out",
            out,
            "--backend",
            backend,
            "--method",
            "anneal",
        ];
        args.extend(if round == 0 {
            ["--chains", "4"].as_slice()
        } else {
            ["--resume"].as_slice()
        });
        let run = wgzero(&args);
        assert_eq!(run.status.code(), Some(1), "{}", text(&run.stderr));
        let line = summary(&text(&run.stdout));
        assert_eq!(line["backend"], backend);
        assert_eq!(line["chains"], 4);
        let now = line["steps"].as_u64().unwrap();
        assert!(now > steps, "{backend}: {now} steps after {steps}");
        let found = line["witnesses"].as_u64().unwrap();
        assert!(
            found >= classes && found >= 1,
            "{backend}: {found} after {classes}"
        );
        (steps, classes) = (now, found);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn learned_starts_come_from_an_avoid_run_and_bad_guides_are_named() {
    // A tiny avoid run for R(4,3) on K_7 (drawn games exist there), trained one iteration.
    let dir = fresh_dir("guided");
    let run = dir.join("run");
    let run_arg = run.to_str().unwrap();
    let trained = wgzero(&[
        "--backend",
        "cpu",
        "train",
        "--mode",
        "avoid",
        "--n",
        "7",
        "--k",
        "4,3",
        "--iterations",
        "1",
        "--games",
        "8",
        "--batch",
        "8",
        "--train-steps",
        "1",
        "--hidden",
        "16",
        "--out",
        run_arg,
    ]);
    assert!(trained.status.success(), "{}", text(&trained.stderr));
    let out = dir.join("search");
    let out_arg = out.to_str().unwrap();
    let search = |extra: &[&str]| {
        let mut args = vec![
            "--backend",
            "cpu",
            "ramsey",
            "--s",
            "4",
            "--t",
            "3",
            "--n",
            "7",
            "--method",
            "tabu",
            "--json",
            "--out",
            out_arg,
        ];
        args.extend_from_slice(extra);
        wgzero(&args)
    };
    let guided = search(&[
        "--starts",
        "learned",
        "--guide-run",
        run_arg,
        "--guide-games",
        "12",
        "--guide-sims",
        "4",
    ]);
    let stderr = text(&guided.stderr);
    assert!(guided.status.success(), "{stderr}");
    assert!(stderr.contains("starts: 12 games of learned"), "{stderr}");
    let line = summary(&text(&guided.stdout));
    assert_eq!(line["guided_starts"]["source"], "learned", "{line}");
    assert_eq!(line["guided_starts"]["games"], 12, "{line}");
    let lines = graph6_lines(&text(&guided.stdout));
    let (_, adjacency) = graph6::decode(&lines[0]).unwrap();
    check_witness(7, 4, 3, &adjacency).unwrap();
    // The starts are part of the checkpoint: a resume may not ask for others.
    let again = search(&["--resume", "--starts", "uniform"]);
    assert_eq!(again.status.code(), Some(1));
    assert!(
        text(&again.stderr).contains("leave --starts uniform out"),
        "{}",
        text(&again.stderr)
    );
    let _ = std::fs::remove_dir_all(&out);
    // A learned source needs its run, and the run must be for this problem.
    let unnamed = search(&["--starts", "learned"]);
    assert!(
        text(&unnamed.stderr).contains("--guide-run RUN"),
        "{}",
        text(&unnamed.stderr)
    );
    let _ = std::fs::remove_dir_all(&out);
    let other = wgzero(&[
        "--backend",
        "cpu",
        "ramsey",
        "--s",
        "3",
        "--t",
        "4",
        "--n",
        "7",
        "--out",
        out_arg,
        "--starts",
        "untrained",
        "--guide-run",
        run_arg,
    ]);
    let stderr = text(&other.stderr);
    assert_eq!(other.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("k = 4,3, not 3,4"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}
