//! `wgzero train` records games (`<run dir>/games.jsonl`) by default: a CPU-backend run of
//! two iterations writes self-play and evaluation games that replay legally with the
//! game's own Rust rules, with the recorded outcome the rules' terminal value, the visit
//! counts of every searched move summing to the simulations and the priors to 1; a resumed
//! run drops what was written after its checkpoint (and a torn last line) and keeps
//! appending, with the search's and the run's flags given to `--resume` (not the network's).

mod game_records;

use std::path::Path;
use std::process::Command;

use wgzero::games::GameSpec;
use wgzero::games::clique::{CliqueConfig, Mode};
use wgzero::run_dir::checkpoint::Checkpoint;
use wgzero::run_dir::games::{GAMES_FILE, GameSource, Opponent, read_game_records};
use wgzero::train::config::TrainConfig;

fn wgzero(args: &[&str]) -> (bool, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_wgzero"))
        .args(["--backend", "cpu"])
        .args(args)
        .output()
        .expect("wgzero runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

const SIMULATIONS: u32 = 12;

fn train(run_dir: &Path) {
    let (ok, stderr) = wgzero(&[
        "train",
        "--n",
        "5",
        "--mode",
        "avoid",
        "--iterations",
        "2",
        "--games",
        "8",
        "--sims",
        "12",
        "--moves-per-iteration",
        "12",
        "--batch",
        "16",
        "--train-steps",
        "2",
        "--eval-games",
        "6",
        "--accuracy-positions",
        "20",
        "--accuracy-sims",
        "4",
        "--out",
        run_dir.to_str().unwrap(),
    ]);
    assert!(ok, "{stderr}");
}

#[test]
fn a_cpu_run_records_games_that_replay_with_the_rules() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    train(&run);
    let records = read_game_records(&run).unwrap();
    let game = GameSpec::Clique(CliqueConfig::new(5, 3, Mode::Avoid).unwrap());
    let (mut self_play, mut random, mut previous) = (0, [0; 2], [0; 2]);
    for record in &records {
        assert_eq!(record.game, game);
        assert!([1, 2].contains(&record.iteration), "{}", record.iteration);
        game_records::check_record(record);
        match record.source {
            GameSource::SelfPlay { slot, simulations } => {
                assert!(slot < 2, "the first two slots are traced: {slot}");
                assert_eq!(simulations, SIMULATIONS);
                self_play += 1;
            }
            GameSource::Evaluation {
                opponent: Opponent::Random,
                network_player,
            } => random[usize::from(network_player)] += 1,
            GameSource::Evaluation {
                opponent: Opponent::Previous,
                network_player,
            } => previous[usize::from(network_player)] += 1,
        }
    }
    // 24 moves of two traced slots on K_5 (games of at most 10 moves): at least 2 games,
    // at most 2 an iteration.
    assert!((2..=4).contains(&self_play), "{self_play} self-play games");
    // Games 0 and 1 of each match (the network first, then second): two evaluations
    // against the random player, one against the previous network (the first has none).
    assert_eq!(random, [2, 2]);
    assert_eq!(previous, [1, 1]);
    let iterations: Vec<u64> = records.iter().map(|r| r.iteration).collect();
    assert!(iterations.is_sorted(), "{iterations:?}");

    // A crash after iteration 2's checkpoint and before iteration 3's leaves records of
    // iteration 3 and a torn line; resuming drops them and appends iteration 3 anew.
    let path = run.join(GAMES_FILE);
    let written = std::fs::read_to_string(&path).unwrap();
    let mut lost = records[0].clone();
    lost.iteration = 3;
    let mut damaged = written.clone();
    damaged.push_str(&serde_json::to_string(&lost).unwrap());
    damaged.push_str("\n{\"format\":1,\"iter");
    std::fs::write(&path, damaged).unwrap();
    let (ok, stderr) = wgzero(&[
        "train",
        "--resume",
        run.to_str().unwrap(),
        "--iterations",
        "1",
    ]);
    assert!(ok, "{stderr}");
    let resumed = std::fs::read_to_string(&path).unwrap();
    assert!(
        resumed.starts_with(&written),
        "the records before stay as they were"
    );
    let after = read_game_records(&run).unwrap();
    assert_eq!(after[..records.len()], records[..]);
    let new = &after[records.len()..];
    assert!(!new.is_empty() && new.iter().all(|r| r.iteration == 3));
    assert!(
        !new.contains(&lost),
        "the lost iteration's record was dropped"
    );
    new.iter().for_each(game_records::check_record);
}

#[test]
fn record_games_0_records_none() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    let (ok, stderr) = wgzero(&[
        "train",
        "--n",
        "4",
        "--iterations",
        "1",
        "--games",
        "4",
        "--sims",
        "4",
        "--batch",
        "8",
        "--eval-games",
        "2",
        "--accuracy-positions",
        "10",
        "--record-games",
        "0",
        "--out",
        run.to_str().unwrap(),
    ]);
    assert!(ok, "{stderr}");
    assert_eq!(read_game_records(&run).unwrap(), []);
}

#[test]
fn a_resumed_run_takes_new_schedule_flags_and_keeps_its_network() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    train(&run);
    let run_arg = run.to_str().unwrap();
    // The network cannot change: refused with the flag named, and the run left as it was.
    let (ok, stderr) = wgzero(&[
        "train",
        "--resume",
        run_arg,
        "--hidden",
        "8",
        "--iterations",
        "1",
    ]);
    assert!(!ok);
    assert!(
        stderr.contains("--hidden cannot change in a resumed run"),
        "{stderr}"
    );
    let before = Checkpoint::load(&run).unwrap().record().iteration;
    assert_eq!(before, 2);
    // The search's and the run's flags apply from the resumed iteration on, and the run's
    // next checkpoint carries them.
    let (ok, stderr) = wgzero(&[
        "train",
        "--resume",
        run_arg,
        "--sims",
        "5",
        "--train-steps",
        "3",
        "--iterations",
        "1",
    ]);
    assert!(ok, "{stderr}");
    let checkpoint = Checkpoint::load(&run).unwrap();
    assert_eq!(checkpoint.record().iteration, 3);
    let config = TrainConfig::from_checkpoint(&checkpoint).unwrap();
    assert_eq!(config.search.simulations, 5);
    assert_eq!(config.train_steps_per_iteration, 3);
    assert_eq!(
        config.batch_size, 16,
        "the settings not given stay the run's"
    );
    // The games of the resumed iteration were searched with the new budget.
    let records = read_game_records(&run).unwrap();
    let self_play: Vec<(u64, u32)> = records
        .iter()
        .filter_map(|record| match record.source {
            GameSource::SelfPlay { simulations, .. } => Some((record.iteration, simulations)),
            GameSource::Evaluation { .. } => None,
        })
        .collect();
    assert!(self_play.iter().any(|&(iteration, _)| iteration == 3));
    for (iteration, simulations) in self_play {
        let expected = if iteration == 3 { 5 } else { SIMULATIONS };
        assert_eq!(simulations, expected, "iteration {iteration}");
    }
}
