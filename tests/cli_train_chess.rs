//! Chess trains on the generic loop: `wgzero train --game chess --iterations 2 --backend cpu
//! --filters 16 --blocks 1` plays self-play games to their end, trains a small residual net
//! on them, and checkpoints it (the game is only an adapter: nothing in the trainer knows
//! chess). The checkpoint is a chess network `wgzero eval` loads and plays with. The games
//! it recorded (`games.jsonl`) replay with the chess rules. With `--backend gpu`, chess
//! runs the GPU pipeline (its rules inside the GPU search and self-play), says so, and
//! fits a replay capacity too large for the adapter.

mod game_records;

use std::process::Command;

use serde_json::Value;
use wgzero::run_dir::games::{GameSource, read_game_records};

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
fn chess_trains_end_to_end_on_the_cpu_backend() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("chess");
    let run_dir = run.to_str().unwrap();
    let (ok, stdout, stderr) = wgzero(&[
        "train",
        "--game",
        "chess",
        "--iterations",
        "2",
        "--backend",
        "cpu",
        "--filters",
        "16",
        "--blocks",
        "1",
        "--out",
        run_dir,
    ]);
    assert!(ok, "{stdout}{stderr}");
    assert!(stderr.contains("host pipeline"), "{stderr}");
    let history: Vec<Value> = std::fs::read_to_string(run.join("metrics.jsonl"))
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(history.len(), 2, "two iterations");
    let last = &history[1];
    assert!(
        last["games_played"].as_u64().unwrap() > 0,
        "games finished: {last}"
    );
    assert!(
        last["loss"].as_f64().is_some_and(f64::is_finite),
        "the second iteration trained: {last}"
    );
    assert!(
        last["random_win_rate"].is_number(),
        "it was evaluated: {last}"
    );
    let checkpoint: Value = serde_json::from_str(
        &std::fs::read_to_string(run.join("checkpoints/ckpt-00000002.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(checkpoint["config"]["game"]["chess"]["ply_cap"], 512);
    assert_eq!(checkpoint["network"]["kind"], "resnet");
    assert_eq!(checkpoint["network"]["filters"], 16);
    assert_eq!(checkpoint["network"]["blocks"], 1);
    let records = read_game_records(&run).unwrap();
    let evaluation = records
        .iter()
        .filter(|record| matches!(record.source, GameSource::Evaluation { .. }))
        .count();
    // Games 0 and 1 of the match against the random player in both evaluations, of the
    // one against the previous network in the second.
    assert_eq!(evaluation, 6, "{} records", records.len());
    records.iter().for_each(game_records::check_record);

    let (ok, stdout, stderr) = wgzero(&[
        "--backend",
        "cpu",
        "eval",
        "--checkpoint",
        run_dir,
        "--eval-games",
        "4",
        "--json",
    ]);
    assert!(ok, "{stderr}");
    let line: Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(line["iteration"], 2);
    assert_eq!(line["positions"], 0, "no solver for chess");
    assert_eq!(line["match"]["games"], 4);
}

/// `wgzero train` of a tiny chess net (8 filters, 1 block) for one iteration on the GPU
/// backend, with the run in `run` and the `extra` flags; returns what [`wgzero`] does.
fn train_tiny_on_gpu(run: &std::path::Path, extra: &[&str]) -> (bool, String, String) {
    let mut args = vec![
        "train",
        "--game",
        "chess",
        "--backend",
        "gpu",
        "--iterations",
        "1",
        "--filters",
        "8",
        "--blocks",
        "1",
        "--out",
        run.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    wgzero(&args)
}

#[test]
fn chess_runs_the_gpu_pipeline_on_a_gpu() {
    if wgzero::testing::test_gpu().is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("chess-gpu");
    // Games of 8 plies, so that the 8 moves of the iteration finish them; a replay
    // capacity of 3,048-byte records over lavapipe's 128 MiB binding limit.
    let (ok, stdout, stderr) = train_tiny_on_gpu(
        &run,
        &[
            "--sims",
            "4",
            "--games",
            "4",
            "--ply-cap",
            "8",
            "--moves-per-iteration",
            "8",
            "--train-steps",
            "1",
            "--eval-games",
            "2",
            "--replay-capacity",
            "60000",
        ],
    );
    assert!(ok, "{stdout}{stderr}");
    assert!(stderr.contains("GPU pipeline"), "{stderr}");
    assert!(stderr.contains("replay capacity lowered"), "{stderr}");
    let metrics = std::fs::read_to_string(run.join("metrics.jsonl")).unwrap();
    let last: Value = serde_json::from_str(metrics.lines().last().unwrap()).unwrap();
    assert_eq!(last["games_played"], 4, "{last}");
    assert_eq!(last["mean_game_length"], 8.0, "{last}");
    let records = read_game_records(&run).unwrap();
    assert!(
        records
            .iter()
            .any(|record| matches!(record.source, GameSource::SelfPlay { .. })),
        "self-play games were recorded"
    );
    records.iter().for_each(game_records::check_record);
}

#[test]
fn chess_settings_that_overflow_gpu_self_play_train_on_the_host_and_say_why() {
    if wgzero::testing::test_gpu().is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("chess-fallback");
    // 64 games of up to 1,000 plies keep 64,000 compact records of 3,048 bytes in flight
    // (195 MB): more than lavapipe's 128 MiB binding limit.
    let (ok, stdout, stderr) = train_tiny_on_gpu(
        &run,
        &[
            "--sims",
            "2",
            "--moves-per-iteration",
            "1",
            "--eval-games",
            "0",
            "--ply-cap",
            "1000",
            "--replay-capacity",
            "64000",
        ],
    );
    assert!(ok, "{stdout}{stderr}");
    assert!(
        stderr.contains("host pipeline")
            && stderr.contains("GPU self-play does not fit these settings")
            && stderr.contains("--ply-cap"),
        "{stderr}"
    );
    assert!(run.join("checkpoints").is_dir());
}

#[test]
fn chess_defaults_run_gpu_self_play() {
    if wgzero::testing::test_gpu().is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("chess-defaults");
    // The default 64 games of up to 512 plies stage 99.9 MB of compact records (3,048
    // bytes: 321 state words, 218 listed actions and targets), within lavapipe's 128 MiB
    // (134 MB) binding limit, and the ring needs no room for every game finishing at once.
    // The default ring of 50,000 positions (152 MB) is lowered to what lavapipe binds.
    let (ok, stdout, stderr) = train_tiny_on_gpu(
        &run,
        &[
            "--sims",
            "2",
            "--moves-per-iteration",
            "1",
            "--eval-games",
            "0",
        ],
    );
    assert!(ok, "{stdout}{stderr}");
    assert!(stderr.contains("GPU pipeline"), "{stderr}");
    assert!(run.join("checkpoints").is_dir());
}
