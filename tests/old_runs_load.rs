//! Run directories written before this version still load: `tests/fixtures/run-format-1`
//! was written by `wgzero train` at checkpoint format 1 (gating: its JSON names iteration 1
//! the best; the clique settings stored bare; `best_*` metric columns). Its latest
//! checkpoint is what it hands out now, it resumes and trains on, and `wgzero eval` reads
//! it. A format from the future is refused with an error naming its version.

use std::path::{Path, PathBuf};
use std::process::Command;

use wgzero::backend::Compute;
use wgzero::games::GameSpec;
use wgzero::run_dir::RunDirError;
use wgzero::run_dir::checkpoint::Checkpoint;
use wgzero::testing::blocking;
use wgzero::train::config::TrainConfig;
use wgzero::train::{Trainer, TrainerEvent};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/run-format-1")
}

/// A copy of the fixture to write into.
fn copy_of_fixture() -> tempfile::TempDir {
    let copy = tempfile::tempdir().unwrap();
    let checkpoints = copy.path().join("checkpoints");
    std::fs::create_dir(&checkpoints).unwrap();
    for entry in std::fs::read_dir(fixture().join("checkpoints")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, checkpoints.join(path.file_name().unwrap())).unwrap();
    }
    for file in ["metrics.jsonl", "metrics.csv"] {
        std::fs::copy(fixture().join(file), copy.path().join(file)).unwrap();
    }
    copy
}

#[test]
fn a_format_1_run_hands_out_its_latest_checkpoint_with_its_settings() {
    let checkpoint = Checkpoint::load(&fixture()).unwrap();
    assert_eq!(checkpoint.record().format_version, 1);
    assert_eq!(
        checkpoint.record().iteration,
        2,
        "the latest, not the gated best (iteration 1)"
    );
    let config = TrainConfig::from_checkpoint(&checkpoint).unwrap();
    let GameSpec::Clique(game) = config.game else {
        panic!("a clique run: {:?}", config.game)
    };
    assert_eq!((game.n, game.k), (4, 3));
    assert_eq!(config.games_in_flight, 4);
    config.validate().unwrap();
}

#[test]
fn a_format_1_run_resumes_and_keeps_its_history() {
    let run = copy_of_fixture();
    let mut trainer = Trainer::resume(run.path(), &Compute::Cpu).unwrap();
    assert_eq!(trainer.iteration(), 2);
    let events = blocking::iteration(&mut trainer).unwrap();
    let metrics = events
        .iter()
        .find_map(|event| match event {
            TrainerEvent::Iteration(metrics) => Some(metrics),
            _ => None,
        })
        .unwrap();
    assert_eq!(metrics.iteration, 3);
    assert!(metrics.loss.is_finite());
    let history = trainer.history();
    assert_eq!(history.len(), 3);
    // The gating match of format 1 reads as the match against an earlier network.
    assert_eq!(history[1].previous_win_rate, Some(0.13500000536441803));
    let latest = Checkpoint::load(run.path()).unwrap();
    assert_eq!(latest.record().iteration, 3);
    assert_eq!(
        latest.record().format_version,
        wgzero::run_dir::checkpoint::FORMAT_VERSION
    );
}

#[test]
fn wgzero_eval_reads_a_format_1_run() {
    let output = Command::new(env!("CARGO_BIN_EXE_wgzero"))
        .args([
            "--backend",
            "cpu",
            "eval",
            "--json",
            "--eval-games",
            "10",
            "--checkpoint",
        ])
        .arg(fixture())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let line: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(line["iteration"], 2);
    assert!(line["policy_accuracy"].as_f64().is_some(), "{line}");
}

#[test]
fn a_checkpoint_of_a_newer_format_names_its_version() {
    let run = copy_of_fixture();
    let json = run.path().join("checkpoints/ckpt-00000002.json");
    let text = std::fs::read_to_string(&json).unwrap();
    std::fs::write(
        &json,
        text.replace("\"format_version\": 1", "\"format_version\": 7"),
    )
    .unwrap();
    let error = Checkpoint::load(run.path()).unwrap_err();
    assert!(
        matches!(error, RunDirError::UnsupportedVersion { found: 7, .. }),
        "{error}"
    );
    assert!(error.to_string().contains("version 7"), "{error}");
}
