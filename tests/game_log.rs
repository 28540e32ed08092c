//! `<run dir>/games.jsonl` (`run_dir::games`): records round-trip through the log; the
//! reader skips a torn last line and names the file and line of a corrupt one; a record
//! format from the future is refused; reopening at a checkpoint's iteration drops later
//! records and a torn tail; an incremental reader sees each record once.

use std::fs;

use wgzero::games::GameSpec;
use wgzero::run_dir::RunDirError;
use wgzero::run_dir::games::{
    ChildRecord, GAMES_FILE, GameLog, GameRecord, GameSource, MoveRecord, Opponent, PlayedGame,
    read_game_records, read_game_records_from,
};

fn record(iteration: u64, outcome: f32) -> GameRecord {
    let children = |visits: [u32; 2]| {
        vec![
            ChildRecord {
                action: 0,
                prior: 0.25,
                visits: visits[0],
            },
            ChildRecord {
                action: 3,
                prior: 0.75,
                visits: visits[1],
            },
        ]
    };
    let source = if iteration.is_multiple_of(2) {
        GameSource::SelfPlay {
            slot: 1,
            simulations: 8,
        }
    } else {
        GameSource::Evaluation {
            opponent: Opponent::Previous,
            network_player: 1,
        }
    };
    GameRecord::new(
        iteration,
        GameSpec::default(),
        source,
        PlayedGame {
            moves: vec![
                MoveRecord {
                    action: 3,
                    value: Some(-0.5),
                    children: children([2, 6]),
                },
                MoveRecord {
                    action: 0,
                    value: None,
                    children: children([0, 0]),
                },
            ],
            outcome,
        },
    )
}

#[test]
fn records_round_trip_and_a_torn_last_line_is_skipped_then_cut() {
    let run = tempfile::tempdir().unwrap();
    let mut log = GameLog::open(run.path(), 0).unwrap();
    log.append(&[record(1, 1.0), record(2, 0.0)]).unwrap();
    log.append(&[]).unwrap();
    log.append(&[record(3, -1.0)]).unwrap();
    drop(log);
    let expected = vec![record(1, 1.0), record(2, 0.0), record(3, -1.0)];
    assert_eq!(read_game_records(run.path()).unwrap(), expected);
    // A writer killed inside an append leaves part of a line.
    let path = run.path().join(GAMES_FILE);
    let whole = fs::read_to_string(&path).unwrap();
    let line = serde_json::to_string(&record(4, 1.0)).unwrap();
    fs::write(&path, format!("{whole}{}", &line[..line.len() / 2])).unwrap();
    assert_eq!(read_game_records(run.path()).unwrap(), expected);
    // Reopening (a resumed run at iteration 3) cuts it off and appends after it.
    let mut log = GameLog::open(run.path(), 3).unwrap();
    assert_eq!(fs::read_to_string(&path).unwrap(), whole);
    log.append(&[record(4, 1.0)]).unwrap();
    let mut all = expected.clone();
    all.push(record(4, 1.0));
    assert_eq!(read_game_records(run.path()).unwrap(), all);
}

#[test]
fn a_corrupt_line_is_an_error_naming_the_file_and_the_line() {
    let run = tempfile::tempdir().unwrap();
    let mut log = GameLog::open(run.path(), 0).unwrap();
    log.append(&[record(1, 1.0), record(2, 0.0)]).unwrap();
    drop(log);
    let path = run.path().join(GAMES_FILE);
    let mut text = fs::read_to_string(&path).unwrap();
    let first_end = text.find('\n').unwrap() + 1;
    text.insert_str(first_end, "{\"format\": 1, \"iteration\": oops}\n");
    fs::write(&path, &text).unwrap();
    for error in [
        read_game_records(run.path()).unwrap_err(),
        GameLog::open(run.path(), 5).err().unwrap(),
    ] {
        let message = error.to_string();
        assert!(
            matches!(error, RunDirError::CorruptLine { line: 2, .. }),
            "{message}"
        );
        assert!(
            message.contains(GAMES_FILE) && message.contains("line 2"),
            "{message}"
        );
    }
    // A record of a newer format is named as such.
    let newer = serde_json::to_string(&record(1, 1.0))
        .unwrap()
        .replace("\"format\":1", "\"format\":9");
    fs::write(&path, format!("{newer}\n")).unwrap();
    let error = read_game_records(run.path()).unwrap_err().to_string();
    assert!(
        error.contains("line 1") && error.contains("format 9"),
        "{error}"
    );
}

#[test]
fn reopening_at_a_checkpoint_drops_the_records_of_later_iterations() {
    let run = tempfile::tempdir().unwrap();
    let mut log = GameLog::open(run.path(), 0).unwrap();
    log.append(&[
        record(1, 1.0),
        record(2, 0.0),
        record(2, 1.0),
        record(3, -1.0),
    ])
    .unwrap();
    drop(log);
    GameLog::open(run.path(), 2).unwrap();
    assert_eq!(
        read_game_records(run.path()).unwrap(),
        [record(1, 1.0), record(2, 0.0), record(2, 1.0)]
    );
    // A new run (iteration 0) keeps nothing a crashed one left before its first checkpoint.
    GameLog::open(run.path(), 0).unwrap();
    assert_eq!(read_game_records(run.path()).unwrap(), []);
}

#[test]
fn an_incremental_reader_sees_each_record_once_and_restarts_after_a_rewrite() {
    let run = tempfile::tempdir().unwrap();
    let empty = read_game_records_from(run.path(), 0).unwrap();
    assert_eq!((empty.records.len(), empty.next_offset), (0, 0));
    let mut log = GameLog::open(run.path(), 0).unwrap();
    log.append(&[record(1, 1.0)]).unwrap();
    let first = read_game_records_from(run.path(), 0).unwrap();
    assert_eq!(first.records, [record(1, 1.0)]);
    log.append(&[record(2, 0.0), record(3, 1.0)]).unwrap();
    let second = read_game_records_from(run.path(), first.next_offset).unwrap();
    assert_eq!(second.records, [record(2, 0.0), record(3, 1.0)]);
    assert!(!second.restarted);
    let third = read_game_records_from(run.path(), second.next_offset).unwrap();
    assert!(third.records.is_empty() && third.next_offset == second.next_offset);
    drop(log);
    // A resumed run at iteration 1 rewrites the file shorter: the reader starts over.
    GameLog::open(run.path(), 1).unwrap();
    let after = read_game_records_from(run.path(), second.next_offset).unwrap();
    assert!(after.restarted);
    assert_eq!(after.records, [record(1, 1.0)]);
}

#[test]
fn a_diverged_networks_nan_survives_as_nan_and_no_value() {
    let run = tempfile::tempdir().unwrap();
    let mut diverged = record(1, 0.0);
    diverged.moves[0].children[0].prior = f32::NAN;
    diverged.moves[0].value = None;
    let mut log = GameLog::open(run.path(), 0).unwrap();
    log.append(&[diverged]).unwrap();
    let back = &read_game_records(run.path()).unwrap()[0];
    assert!(back.moves[0].children[0].prior.is_nan());
    assert_eq!(back.moves[0].value, None);
}
