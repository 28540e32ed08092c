//! The trainer advances in slices and never blocks: on the GPU, `advance` returns while
//! its self-play readback is still on its way, and a whole iteration (self-play, training,
//! evaluation, checkpoint) completes by polling alone, with every blocking wait on the
//! device turned into a panic (`Gpu::forbid_waits`); on the CPU backend a short slice
//! returns before the iteration is done. The library's training path names no blocking
//! primitive. (Its own test binary: the wait ban applies to the process's shared device.)
//! The GPU iteration's recorded games come back through the same readbacks.

mod game_records;

use std::path::Path;
use std::time::Duration;

use web_time::Instant;
use wgzero::backend::Compute;
use wgzero::run_dir::games::{GameSource, read_game_records};
use wgzero::testing::{test_gpu, tiny_train_config};
use wgzero::train::{Trainer, TrainerEvent};

fn finished(events: &[TrainerEvent]) -> bool {
    events
        .iter()
        .any(|event| matches!(event, TrainerEvent::Iteration(_)))
}

#[test]
fn on_the_gpu_advance_returns_while_a_readback_is_pending_and_never_waits() {
    let Some(gpu) = test_gpu() else { return };
    let run = tempfile::tempdir().unwrap();
    let mut trainer =
        Trainer::new(tiny_train_config(), run.path(), &Compute::Gpu(gpu.clone())).unwrap();
    gpu.forbid_waits(true);
    let first = trainer.advance(Duration::ZERO).unwrap();
    assert!(
        first.waiting_for.is_some(),
        "the first slice queues self-play and returns while its results are on their way"
    );
    assert!(
        !first.events.iter().any(|event| matches!(
            event,
            TrainerEvent::Progress {
                phase: "self-play",
                ..
            }
        )),
        "no self-play result can be back yet: {:?}",
        first.events
    );
    let started = Instant::now();
    let mut waiting_slices = 0;
    let mut phases = Vec::new();
    loop {
        let advance = trainer.advance(Duration::from_millis(2)).unwrap();
        waiting_slices += usize::from(advance.waiting_for.is_some());
        for event in &advance.events {
            if let TrainerEvent::Progress { phase, .. } = event
                && !phases.contains(phase)
            {
                phases.push(phase);
            }
        }
        if finished(&advance.events) {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(900),
            "no iteration after 15 minutes of polling"
        );
    }
    gpu.forbid_waits(false);
    assert!(
        waiting_slices > 0,
        "some slices returned waiting for the GPU"
    );
    for phase in ["self-play", "training"] {
        assert!(phases.contains(&phase), "{phase} progress in {phases:?}");
    }
    let metrics = &trainer.history()[0];
    assert!(metrics.loss.is_finite(), "it trained: {metrics:?}");
    assert!(metrics.policy_accuracy.is_some(), "it evaluated");
    assert!(run.path().join("checkpoints/ckpt-00000001.json").is_file());
    // Two traced slots, 12 moves of K_5 (games of at most 10 moves): two self-play games;
    // games 0 and 1 of the match against the random player.
    let records = read_game_records(run.path()).unwrap();
    let self_play = records
        .iter()
        .filter(|record| matches!(record.source, GameSource::SelfPlay { .. }))
        .count();
    assert_eq!((self_play, records.len()), (2, 4), "{records:?}");
    records.iter().for_each(game_records::check_record);
}

#[test]
fn on_the_cpu_a_short_slice_returns_before_the_iteration_is_done() {
    let run = tempfile::tempdir().unwrap();
    let mut config = tiny_train_config();
    // Enough work that an iteration takes far longer than one slice.
    config.games_in_flight = 256;
    config.search.simulations = 32;
    config.replay_capacity = 10_000;
    let mut trainer = Trainer::new(config, run.path(), &Compute::Cpu).unwrap();
    let first = trainer.advance(Duration::from_millis(1)).unwrap();
    assert!(!finished(&first.events), "one slice did a whole iteration");
    assert!(!trainer.between_iterations());
    assert!(
        first.waiting_for.is_none(),
        "nothing to wait for on the CPU"
    );
    let mut slices = 1;
    while !finished(&trainer.advance(Duration::from_millis(20)).unwrap().events) {
        slices += 1;
    }
    assert!(slices > 2, "the iteration came in slices: {slices}");
    assert!(trainer.between_iterations());
}

/// The source files of the library's training path.
fn training_path_sources() -> Vec<std::path::PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    for folder in ["train", "selfplay", "search", "evaluate", "run_dir"] {
        let mut stack = vec![root.join(folder)];
        while let Some(directory) = stack.pop() {
            for entry in std::fs::read_dir(&directory).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|extension| extension == "rs") {
                    files.push(path);
                }
            }
        }
    }
    assert!(files.len() > 20, "{files:?}");
    files
}

#[test]
fn the_training_path_names_no_blocking_primitive_and_no_std_clock() {
    for file in training_path_sources() {
        let text = std::fs::read_to_string(&file).unwrap();
        for forbidden in [
            "block_on",
            "PollType::Wait",
            "std::time::Instant",
            "std::time::SystemTime",
        ] {
            assert!(
                !text.contains(forbidden),
                "{} names {forbidden}",
                file.display()
            );
        }
        for line in text.lines().filter(|line| line.contains("std::time::{")) {
            assert!(
                !line.contains("Instant") && !line.contains("SystemTime"),
                "{}: {line} (the std clock panics in a browser: use web_time)",
                file.display()
            );
        }
    }
}
