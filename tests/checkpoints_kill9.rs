//! kill -9: a writer that trains and checkpoints in a loop (this test binary itself,
//! started again with an environment variable) is killed with SIGKILL at random moments,
//! many times; after every kill the run directory loads to a complete, hash-valid
//! checkpoint at least as new as the last save the writer reported, and the writer
//! resumes from it. `WGZERO_CHECKPOINT_CRASH_KILLS` sets the number of kills (40).

mod checkpoint_fixtures;

use std::fs;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use checkpoint_fixtures::{descriptor, keep, metrics_record, training_program};
use rand::{RngExt, SeedableRng};
use serde_json::json;
use wgzero::backend::Compute;
use wgzero::graph::optim;
use wgzero::nn::mlp::Mlp;
use wgzero::run_dir::checkpoint::{
    CHECKPOINTS_DIRECTORY, Checkpoint, CheckpointStore, Restore, RunState, snapshot_tensors,
};
use wgzero::run_dir::durable;

const WRITER_ENV: &str = "WGZERO_CHECKPOINT_CRASH_WRITER";
const KILLS_ENV: &str = "WGZERO_CHECKPOINT_CRASH_KILLS";
const CRASH_TEST: &str = "checkpoints_survive_kill_9_at_any_moment";
const CRASH_KEEP_LAST: usize = 2;

/// About 100 KB of tensors with the Adam moments: as large as the JSON (whose metric
/// history grows to about as much), so that kills land in both kinds of write.
fn crash_mlp() -> Mlp {
    Mlp {
        input: 32,
        hidden: vec![64, 64],
        actions: 32,
    }
}

/// The child process: resumes from the run's latest checkpoint (if any), then trains one
/// step and saves one checkpoint per iteration until killed; prints `saved N` after each
/// save returns.
fn crash_writer(run_dir: &Path) {
    let mlp = crash_mlp();
    let network = descriptor(&mlp);
    let (graph, mut program) = training_program(&mlp, &Compute::Cpu, 1);
    let mut store = CheckpointStore::open(run_dir, keep(CRASH_KEEP_LAST)).unwrap();
    let mut metrics = Vec::new();
    if store.latest_iteration().is_some() {
        let checkpoint = Checkpoint::load(run_dir).unwrap();
        checkpoint
            .restore(&network, &graph, &mut program, Restore::Training)
            .unwrap();
        metrics = checkpoint.record().metrics.clone();
    }
    let started = Instant::now();
    let mut iteration = store.latest_iteration().unwrap_or(0);
    // A safety limit, so that a writer nobody kills still ends.
    while started.elapsed() < Duration::from_secs(30) {
        iteration += 1;
        program.run().unwrap();
        metrics.push(metrics_record(iteration));
        let state = RunState {
            iteration,
            network: &network,
            config: &json!({ "writer": "crash test" }),
            rng_state: &json!({ "iteration": iteration }),
            metrics: &metrics,
            elapsed_seconds: iteration as f64,
        };
        let values = graph
            .persistent_values()
            .iter()
            .map(|(name, _, _)| program.read(name).unwrap())
            .collect();
        store
            .save(&state, &snapshot_tensors(&graph, values))
            .unwrap();
        println!("saved {iteration}");
    }
}

/// Checks the run directory after a kill: the latest checkpoint is complete, hash-valid,
/// consistent within itself (its tensors' Adam step is its iteration), at least as new as
/// the last save the writer reported, restorable. Returns the latest iteration.
fn check_after_kill(run_dir: &Path, acknowledged: u64) -> u64 {
    // Every checkpoint the folder lists is complete: a crash leaves orphan tensors files
    // at most, never a JSON without its tensors.
    for entry in fs::read_dir(run_dir.join(CHECKPOINTS_DIRECTORY)).unwrap() {
        let path = entry.unwrap().path();
        if path
            .extension()
            .is_some_and(|extension| extension == "json")
        {
            Checkpoint::load_file(&path).unwrap();
        }
    }
    let latest = Checkpoint::load(run_dir).unwrap();
    let iteration = latest.record().iteration;
    assert!(
        iteration >= acknowledged,
        "the writer reported iteration {acknowledged} saved, but the latest is {iteration}"
    );
    assert_eq!(latest.record().rng_state, json!({ "iteration": iteration }));
    assert_eq!(latest.record().metrics.len() as u64, iteration);
    let step = latest
        .tensors()
        .iter()
        .find(|tensor| tensor.name == optim::STEP)
        .unwrap();
    assert_eq!(
        step.values,
        [iteration as f32],
        "tensors of another iteration"
    );

    let mlp = crash_mlp();
    let (graph, mut program) = training_program(&mlp, &Compute::Cpu, 9);
    latest
        .restore(&descriptor(&mlp), &graph, &mut program, Restore::Training)
        .unwrap();
    iteration
}

#[test]
fn checkpoints_survive_kill_9_at_any_moment() {
    if let Ok(run_dir) = std::env::var(WRITER_ENV) {
        crash_writer(Path::new(&run_dir));
        return;
    }
    let kills: usize = std::env::var(KILLS_ENV)
        .ok()
        .and_then(|count| count.parse().ok())
        .unwrap_or(40);
    let seed: u64 = rand::rng().random();
    eprintln!("kill -9 test: {kills} kills, seed {seed}");
    let mut random = rand::rngs::StdRng::seed_from_u64(seed);
    let run_dir = tempfile::tempdir().unwrap();
    let test_binary = std::env::current_exe().unwrap();
    let mut latest = 0;
    let mut mid_write = 0;
    for kill in 0..kills {
        let mut child = Command::new(&test_binary)
            .args(["--exact", CRASH_TEST, "--nocapture", "--test-threads=1"])
            .env(WRITER_ENV, run_dir.path())
            // Slow every durable step down, so that kills land inside writes.
            .env(durable::CRASH_TEST_PAUSE_ENV, "300")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        // Wait for the child's first line (the harness's "running 1 test") so the kill
        // lands in the writer, then a random time within a few saves.
        let mut first_line = String::new();
        stdout.read_line(&mut first_line).unwrap();
        std::thread::sleep(Duration::from_micros(random.random_range(0..150_000)));
        child.kill().unwrap();
        let status = child.wait().unwrap();
        let mut rest = String::new();
        stdout.read_to_string(&mut rest).unwrap();
        let acknowledged = rest
            .lines()
            .filter_map(|line| line.strip_prefix("saved ")?.parse::<u64>().ok())
            .max()
            .unwrap_or(latest);
        assert!(!status.success(), "the writer ended by itself: {rest}");

        let folder = run_dir.path().join(CHECKPOINTS_DIRECTORY);
        let left: Vec<String> = fs::read_dir(&folder)
            .map(|entries| {
                entries
                    .map(|entry| entry.unwrap().file_name().into_string().unwrap())
                    .collect()
            })
            .unwrap_or_default();
        if left.iter().any(|name| name.contains(".tmp-")) {
            mid_write += 1;
        }
        if acknowledged == 0 && !left.iter().any(|name| name.ends_with(".json")) {
            // Killed before its first checkpoint: nothing to load yet.
            continue;
        }
        let now = check_after_kill(run_dir.path(), acknowledged);
        assert!(
            now >= latest,
            "kill {kill}: the latest went back from {latest} to {now}"
        );
        latest = now;
    }
    eprintln!(
        "kill -9 test: {kills} kills, {mid_write} inside a file write, reached iteration {latest}"
    );
    assert!(latest > 0, "no checkpoint was ever written");
}
