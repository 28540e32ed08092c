//! Killing `wgzero train` at any moment, also in the middle of writing a checkpoint, loses
//! at most the work since the last checkpoint: after every SIGKILL the run directory holds
//! a complete latest checkpoint, its metrics agree with it, and `--resume` continues from
//! exactly that iteration.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use wgzero::run_dir::checkpoint::Checkpoint;
use wgzero::run_dir::metrics::read_history;

/// Kills per test run; `WGZERO_TRAIN_KILLS` raises it for a longer run by hand.
fn kills() -> usize {
    std::env::var("WGZERO_TRAIN_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(6)
}

fn train(run_dir: &Path, resume: bool) -> Child {
    let mut command = Command::new(env!("CARGO_BIN_EXE_wgzero"));
    command.arg("train");
    if resume {
        command.args(["--resume", run_dir.to_str().unwrap()]);
    } else {
        command.args([
            "--out",
            run_dir.to_str().unwrap(),
            "--n",
            "5",
            "--k",
            "3",
            "--games",
            "8",
            "--sims",
            "2",
            "--batch",
            "16",
            "--moves-per-iteration",
            "2",
            "--train-steps",
            "2",
            "--replay-capacity",
            "200",
        ]);
    }
    command
        .args(["--backend", "cpu"])
        // Slow the checkpoint writes down so that kills land inside them too.
        .env("WGZERO_CRASH_TEST_PAUSE_MICROS", "2000")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("wgzero runs")
}

fn latest(run_dir: &Path) -> Option<u64> {
    Checkpoint::load(run_dir).ok().map(|c| c.record().iteration)
}

#[test]
fn sigkill_at_any_moment_loses_nothing_checkpointed() {
    let run_dir = std::env::temp_dir().join(format!("wgzero-kill9-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&run_dir);
    let mut seen = 0u64;
    let mut seed = 0x9e37_79b9_u64;
    for round in 0..kills() {
        let mut child = train(&run_dir, round > 0 && latest(&run_dir).is_some());
        // Wait for progress past the last checkpoint, then kill at a pseudo-random moment.
        let start = Instant::now();
        while latest(&run_dir).unwrap_or(0) <= seen && start.elapsed() < Duration::from_secs(60) {
            if let Ok(Some(status)) = child.try_wait() {
                panic!("wgzero train exited by itself: {status}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        std::thread::sleep(Duration::from_millis((seed >> 33) % 400));
        child.kill().expect("SIGKILL");
        child.wait().unwrap();

        let checkpoint =
            Checkpoint::load(&run_dir).expect("a complete latest checkpoint after the kill");
        let iteration = checkpoint.record().iteration;
        assert!(
            iteration >= seen.max(1),
            "the latest checkpoint went back: {iteration} < {seen}"
        );
        // The metrics log may be one iteration ahead of a checkpoint interrupted mid-write
        // or behind it; resuming rewrites it to the checkpoint's history.
        let history = read_history(&run_dir).unwrap_or_default();
        assert!(history.len() as u64 >= iteration.saturating_sub(1));
        seen = iteration;
    }
    // A last resume runs on from exactly the latest checkpoint.
    let status = Command::new(env!("CARGO_BIN_EXE_wgzero"))
        .args([
            "train",
            "--resume",
            run_dir.to_str().unwrap(),
            "--iterations",
            "1",
            "--backend",
            "cpu",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    assert_eq!(latest(&run_dir), Some(seen + 1));
    let history = read_history(&run_dir).unwrap();
    assert_eq!(history.len() as u64, seen + 1);
    assert!(
        history
            .windows(2)
            .all(|w| w[1].iteration == w[0].iteration + 1)
    );
    std::fs::remove_dir_all(&run_dir).unwrap();
}
