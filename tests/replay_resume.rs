//! A run's replay buffer is saved beside its checkpoints when a session ends, and a
//! resumed run trains on it at once: with one self-play move an iteration, no game ends in
//! the resumed session's first iteration, so that iteration trains only if the saved replay
//! was restored — as it is with the file, and is not without it. On the CPU backend (the
//! host pipeline) and, where there is a GPU, the GPU pipeline (its ring read back without
//! waiting and written back on resume).

use std::path::Path;
use std::process::Command;

use serde_json::Value;
use wgzero::run_dir::replay::{self, replay_path};

fn wgzero(backend: &str, args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_wgzero"))
        .args(["--backend", backend])
        .args(args)
        .output()
        .expect("wgzero runs");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "{args:?}: {stderr}");
    stderr
}

/// The last iteration's training steps and policy loss in `run`'s metrics.
fn last_training(run: &Path) -> (u64, Option<f64>) {
    let text = std::fs::read_to_string(run.join("metrics.jsonl")).unwrap();
    let last: Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    (
        last["iteration"].as_u64().unwrap(),
        last["policy_loss"].as_f64().filter(|loss| loss.is_finite()),
    )
}

#[test]
fn a_resumed_run_trains_at_once_on_the_saved_replay() {
    resumes_with_its_replay("cpu");
    if wgzero::testing::test_gpu().is_some() {
        resumes_with_its_replay("gpu");
    }
}

fn resumes_with_its_replay(backend: &str) {
    let wgzero = |args: &[&str]| wgzero(backend, args);
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    let run_arg = run.to_str().unwrap();
    // K_5, k = 3: a game lasts at least 5 moves, so one move an iteration ends none at once.
    let stderr = wgzero(&[
        "train",
        "--n",
        "5",
        "--k",
        "3",
        "--games",
        "16",
        "--sims",
        "4",
        "--batch",
        "8",
        "--moves-per-iteration",
        "1",
        "--train-steps",
        "1",
        "--eval-games",
        "0",
        "--accuracy-positions",
        "0",
        "--iterations",
        "14",
        "--out",
        run_arg,
    ]);
    assert!(stderr.contains("replay saved"), "{stderr}");
    let saved = replay::load(&run)
        .unwrap()
        .expect("the session's end saved the replay");
    assert_eq!(saved.iteration, 14);
    assert!(saved.len() >= 8, "{} positions", saved.len());
    let (_, loss) = last_training(&run);
    assert!(loss.is_some(), "the first session trained by its end");

    // Resumed without the file (a copy of the run): the first iteration cannot train.
    let bare = dir.path().join("bare");
    copy_dir(&run, &bare);
    std::fs::remove_file(replay_path(&bare)).unwrap();
    let stderr = wgzero(&[
        "train",
        "--resume",
        bare.to_str().unwrap(),
        "--iterations",
        "1",
    ]);
    assert!(stderr.contains("no saved replay"), "{stderr}");
    assert_eq!(last_training(&bare), (15, None));

    // Resumed with it: the positions come back, and the first iteration trains.
    let stderr = wgzero(&["train", "--resume", run_arg, "--iterations", "1"]);
    let restored = format!(
        "replay: {} positions restored (saved with iteration 14)",
        saved.len()
    );
    assert!(stderr.contains(&restored), "{stderr}");
    let (iteration, loss) = last_training(&run);
    assert_eq!(iteration, 15);
    assert!(
        loss.is_some(),
        "the resumed run trained on the restored replay"
    );
    let resaved = replay::load(&run).unwrap().unwrap();
    assert_eq!(resaved.iteration, 15);
    assert_eq!(resaved.layout, saved.layout);
    // The positions saved before are the oldest of the ones saved now, in order (the
    // ring held fewer than its capacity, so none was dropped).
    assert!(resaved.words.starts_with(&saved.words));

    // --replay-save-mb 0 saves none: the file stays the one of iteration 15.
    let stderr = wgzero(&[
        "train",
        "--resume",
        run_arg,
        "--iterations",
        "1",
        "--replay-save-mb",
        "0",
    ]);
    assert!(!stderr.contains("replay saved"), "{stderr}");
    assert_eq!(last_training(&run).0, 16);
    assert_eq!(replay::load(&run).unwrap().unwrap().iteration, 15);
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}
