//! metrics.jsonl / metrics.csv: records come back as written, the CSV matches the JSONL
//! column for column, a reopened run appends, a crash's torn line is tolerated and
//! repaired, and the summary line says what was measured.

use std::fs;
use std::io::Write;
use std::path::Path;

use wgzero::run_dir::RunDirError;
use wgzero::run_dir::metrics::{
    self, CSV_COLUMNS, CSV_FILE, IterationMetrics, JSONL_FILE, MetricsLog,
};

fn record(iteration: u64) -> IterationMetrics {
    IterationMetrics {
        iteration,
        elapsed_seconds: 1.25 * iteration as f64,
        loss: 1.0 / iteration as f64,
        policy_loss: 0.75 / iteration as f64,
        value_loss: 0.25 / iteration as f64,
        policy_entropy: 2.0,
        learning_rate: 2e-3,
        mean_game_length: 11.5,
        first_player_win_rate: 0.625,
        draw_rate: 0.125,
        random_win_rate: Some(0.9),
        random_draw_rate: Some(0.05),
        previous_win_rate: None,
        previous_draw_rate: None,
        policy_accuracy: Some(0.875),
        search_accuracy: None,
        positions_per_second: 1234.4,
        evaluations_per_second: 98765.0,
        games_played: 32,
        counterexamples_total: 0,
        counterexamples_distinct: 0,
        backend: "gpu (NVIDIA H100 80GB HBM3, Vulkan)".to_owned(),
    }
}

/// Splits a CSV line into cells with RFC 4180 quoting, independently of the writer.
fn csv_cells(line: &str) -> Vec<String> {
    let mut cells = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                cells.last_mut().unwrap().push('"');
            }
            ('"', _) => quoted = !quoted,
            (',', false) => cells.push(String::new()),
            _ => cells.last_mut().unwrap().push(c),
        }
    }
    cells
}

fn lines(path: &Path) -> Vec<String> {
    fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn records_round_trip_through_both_files() {
    let run_dir = tempfile::tempdir().unwrap();
    let mut log = MetricsLog::open(run_dir.path()).unwrap();
    let written: Vec<_> = (1..=4).map(record).collect();
    for r in &written {
        log.append(r).unwrap();
    }
    assert_eq!(log.history(), written.as_slice());
    assert_eq!(metrics::read_history(run_dir.path()).unwrap(), written);

    let csv = lines(&run_dir.path().join(CSV_FILE));
    assert_eq!(
        csv.len(),
        1 + written.len(),
        "one header and one row per record"
    );
    assert_eq!(csv_cells(&csv[0]), CSV_COLUMNS);
    let jsonl = lines(&run_dir.path().join(JSONL_FILE));
    for (row, json_line) in csv[1..].iter().zip(&jsonl) {
        // Every CSV cell equals the JSON field of its column's name.
        let json: serde_json::Value = serde_json::from_str(json_line).unwrap();
        let object = json.as_object().unwrap();
        assert_eq!(
            object.len(),
            CSV_COLUMNS.len(),
            "a JSON field has no CSV column"
        );
        for (column, cell) in CSV_COLUMNS.iter().zip(csv_cells(row)) {
            let field = &object[*column];
            match field {
                serde_json::Value::Null => assert_eq!(cell, "", "{column}"),
                serde_json::Value::String(text) => assert_eq!(&cell, text, "{column}"),
                number => assert_eq!(
                    cell.parse::<f64>().unwrap(),
                    number.as_f64().unwrap(),
                    "{column}"
                ),
            }
        }
    }
}

#[test]
fn reopening_a_run_appends_and_writes_the_header_once() {
    let run_dir = tempfile::tempdir().unwrap();
    MetricsLog::open(run_dir.path())
        .unwrap()
        .append(&record(1))
        .unwrap();
    let mut reopened = MetricsLog::open(run_dir.path()).unwrap();
    assert_eq!(reopened.history(), [record(1)]);
    reopened.append(&record(2)).unwrap();
    let csv = lines(&run_dir.path().join(CSV_FILE));
    assert_eq!(csv.len(), 3);
    assert_eq!(
        csv.iter()
            .filter(|line| line.starts_with("iteration,"))
            .count(),
        1
    );
    assert_eq!(
        metrics::read_history(run_dir.path()).unwrap(),
        [record(1), record(2)]
    );
    // An iteration that is not after the last one is refused, and nothing is written.
    let error = reopened.append(&record(2)).unwrap_err();
    assert!(
        matches!(
            error,
            RunDirError::IterationNotAfterLatest {
                iteration: 2,
                latest: 2,
                ..
            }
        ),
        "{error}"
    );
    assert_eq!(lines(&run_dir.path().join(JSONL_FILE)).len(), 2);
}

#[test]
fn a_torn_last_line_is_skipped_on_read_and_cut_off_on_open() {
    let run_dir = tempfile::tempdir().unwrap();
    let mut log = MetricsLog::open(run_dir.path()).unwrap();
    log.append(&record(1)).unwrap();
    log.append(&record(2)).unwrap();
    drop(log);
    // A crash in the middle of the third append, inside a UTF-8 character: part of a JSON
    // line, no CSV row; and a temporary file of an interrupted plots.png replacement.
    let mut third = record(3);
    third.backend = "cpu – 2 cores".to_owned();
    let third = serde_json::to_string(&third).unwrap();
    let inside_the_dash = third.find('–').unwrap() + 1;
    let jsonl_path = run_dir.path().join(JSONL_FILE);
    fs::OpenOptions::new()
        .append(true)
        .open(&jsonl_path)
        .unwrap()
        .write_all(&third.as_bytes()[..inside_the_dash])
        .unwrap();
    let temporary = run_dir.path().join(".plots.png.tmp-4242");
    fs::write(&temporary, b"half an image").unwrap();
    assert_eq!(
        metrics::read_history(run_dir.path()).unwrap(),
        [record(1), record(2)]
    );

    let mut log = MetricsLog::open(run_dir.path()).unwrap();
    assert_eq!(log.history(), [record(1), record(2)]);
    assert!(!temporary.exists());
    log.append(&record(3)).unwrap();
    assert_eq!(
        metrics::read_history(run_dir.path()).unwrap(),
        [record(1), record(2), record(3)]
    );
    assert_eq!(lines(&jsonl_path).len(), 3);
    assert_eq!(lines(&run_dir.path().join(CSV_FILE)).len(), 4);
}

#[test]
fn a_csv_behind_or_torn_is_rewritten_from_the_jsonl() {
    let run_dir = tempfile::tempdir().unwrap();
    let mut log = MetricsLog::open(run_dir.path()).unwrap();
    for iteration in 1..=3 {
        log.append(&record(iteration)).unwrap();
    }
    drop(log);
    let csv_path = run_dir.path().join(CSV_FILE);
    let complete = fs::read_to_string(&csv_path).unwrap();
    // A crash between the JSONL append and the CSV one, then one in the middle of a row.
    let without_last_row = &complete[..complete.trim_end().rfind('\n').unwrap() + 1];
    for damaged in [without_last_row, &complete[..complete.len() - 7]] {
        fs::write(&csv_path, damaged).unwrap();
        MetricsLog::open(run_dir.path()).unwrap();
        assert_eq!(fs::read_to_string(&csv_path).unwrap(), complete);
    }
}

#[test]
fn a_corrupt_line_inside_the_log_is_an_error_naming_it() {
    let run_dir = tempfile::tempdir().unwrap();
    let mut log = MetricsLog::open(run_dir.path()).unwrap();
    log.append(&record(1)).unwrap();
    drop(log);
    let jsonl_path = run_dir.path().join(JSONL_FILE);
    let mut text = fs::read_to_string(&jsonl_path).unwrap();
    text.push_str("{\"iteration\": oops}\n");
    text.push_str(&serde_json::to_string(&record(2)).unwrap());
    text.push('\n');
    fs::write(&jsonl_path, text).unwrap();
    for error in [
        metrics::read_history(run_dir.path()).unwrap_err(),
        MetricsLog::open(run_dir.path()).err().unwrap(),
    ] {
        assert!(matches!(error, RunDirError::Corrupt { .. }), "{error}");
        assert!(error.to_string().contains("line 2"), "{error}");
    }
}

#[test]
fn resume_rewrites_the_log_to_the_checkpoint_history() {
    let run_dir = tempfile::tempdir().unwrap();
    let mut log = MetricsLog::open(run_dir.path()).unwrap();
    for iteration in 1..=5 {
        log.append(&record(iteration)).unwrap();
    }
    drop(log);
    // The checkpoint was written after iteration 3; iterations 4 and 5 were lost.
    let checkpoint_history: Vec<_> = (1..=3).map(record).collect();
    let mut log = MetricsLog::resume(run_dir.path(), &checkpoint_history).unwrap();
    assert_eq!(log.history(), checkpoint_history.as_slice());
    log.append(&record(4)).unwrap();
    assert_eq!(
        metrics::read_history(run_dir.path()).unwrap(),
        (1..=4).map(record).collect::<Vec<_>>()
    );
    assert_eq!(lines(&run_dir.path().join(CSV_FILE)).len(), 5);
}

#[test]
fn non_finite_values_survive_as_nan() {
    let run_dir = tempfile::tempdir().unwrap();
    let mut diverged = record(1);
    diverged.loss = f64::NAN;
    diverged.value_loss = f64::INFINITY;
    let mut log = MetricsLog::open(run_dir.path()).unwrap();
    log.append(&diverged).unwrap();
    let back = &metrics::read_history(run_dir.path()).unwrap()[0];
    assert!(back.loss.is_nan() && back.value_loss.is_nan());
    assert_eq!(back.policy_loss, diverged.policy_loss);
}

#[test]
fn read_history_of_a_folder_without_a_log_is_not_found() {
    let run_dir = tempfile::tempdir().unwrap();
    let error = metrics::read_history(run_dir.path()).unwrap_err();
    assert!(matches!(error, RunDirError::NotFound { .. }), "{error}");
}

#[test]
fn the_summary_line_shows_what_was_measured() {
    let mut r = record(7);
    r.loss = 1.23456;
    r.policy_loss = 1.0;
    r.value_loss = 0.23456;
    assert_eq!(
        r.summary_line(),
        "iter 7 | loss 1.2346 (policy 1.0000 value 0.2346) | entropy 2.000 | length 11.5 | \
         first wins 62.5% draws 12.5% | vs random 90.0%/5.0% | accuracy 87.5% | 1234 pos/s"
    );
    r.previous_win_rate = Some(0.58);
    r.previous_draw_rate = Some(0.1);
    r.search_accuracy = Some(0.97);
    r.random_win_rate = None;
    r.counterexamples_total = 12;
    r.counterexamples_distinct = 5;
    assert_eq!(
        r.summary_line(),
        "iter 7 | loss 1.2346 (policy 1.0000 value 0.2346) | entropy 2.000 | length 11.5 | \
         first wins 62.5% draws 12.5% | vs previous 58.0%/10.0% | accuracy 87.5% search 97.0% | \
         counterexamples 12 (5 distinct) | 1234 pos/s"
    );
}
