//! What one training iteration measured, its one-line summary, and the run's metric log:
//! `<run dir>/metrics.jsonl` (one JSON record a line, the source of truth) and
//! `<run dir>/metrics.csv` (the same records as a table, derived from the JSONL).
//!
//! Crash safety: each record is appended with one write and fsynced, JSONL first, then
//! CSV. A crash can leave a torn last JSONL line (readers skip it; [`MetricsLog::open`]
//! cuts it off) or a CSV one row behind or torn ([`MetricsLog::open`] rewrites the CSV
//! atomically from the JSONL whenever the two disagree).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Deserializer, Serialize};

use super::{RunDirError, durable};
use crate::storage::File;

/// File name of the JSONL log inside a run directory.
pub const JSONL_FILE: &str = "metrics.jsonl";
/// File name of the CSV log inside a run directory.
pub const CSV_FILE: &str = "metrics.csv";

/// One training iteration's measurements. Rates are fractions in [0, 1]; `None` means
/// "not measured this iteration" (no solver for this board, evaluation skipped).
///
/// Non-finite floats (a diverged loss) are written to JSON as `null` and read back as NaN.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IterationMetrics {
    /// Iteration number; strictly increasing along a run.
    pub iteration: u64,
    /// Wall time since the run started, summed over resumed sessions, seconds.
    pub elapsed_seconds: f64,
    /// Training loss (policy + value), mean over the iteration's training steps.
    #[serde(deserialize_with = "number_or_nan")]
    pub loss: f64,
    /// Policy cross-entropy against the search's visit distribution, nats.
    #[serde(deserialize_with = "number_or_nan")]
    pub policy_loss: f64,
    /// Mean squared error of the value head against the game outcome.
    #[serde(deserialize_with = "number_or_nan")]
    pub value_loss: f64,
    /// Mean entropy of the raw policy over self-play positions, nats.
    #[serde(deserialize_with = "number_or_nan")]
    pub policy_entropy: f64,
    /// The learning rate of the iteration's training steps (NaN in logs written before it
    /// was recorded).
    #[serde(default = "nan", deserialize_with = "number_or_nan")]
    pub learning_rate: f64,
    /// Mean length of the iteration's self-play games, moves.
    #[serde(deserialize_with = "number_or_nan")]
    pub mean_game_length: f64,
    /// Share of the iteration's self-play games won by the first player (player 0).
    #[serde(deserialize_with = "number_or_nan")]
    pub first_player_win_rate: f64,
    /// Share of the iteration's self-play games drawn.
    #[serde(deserialize_with = "number_or_nan")]
    pub draw_rate: f64,
    /// The network's win share against a uniformly random player.
    pub random_win_rate: Option<f64>,
    /// The draw share against a uniformly random player.
    pub random_draw_rate: Option<f64>,
    /// The network's win share against the network of the previous evaluation (logs
    /// written with gating held the share against the gated best here, as `best_win_rate`).
    #[serde(default, alias = "best_win_rate")]
    pub previous_win_rate: Option<f64>,
    /// The draw share against the network of the previous evaluation.
    #[serde(default, alias = "best_draw_rate")]
    pub previous_draw_rate: Option<f64>,
    /// Optimal-move accuracy of the raw policy's top move, on positions the solver handles.
    pub policy_accuracy: Option<f64>,
    /// Optimal-move accuracy of the move chosen by search.
    pub search_accuracy: Option<f64>,
    /// Self-play positions generated per second of self-play.
    #[serde(deserialize_with = "number_or_nan")]
    pub positions_per_second: f64,
    /// Network evaluations (one observation each) per second of self-play.
    #[serde(deserialize_with = "number_or_nan")]
    pub evaluations_per_second: f64,
    /// Self-play games finished this iteration.
    pub games_played: u64,
    /// Counterexamples (full boards without a monochromatic K_k) found so far in the run.
    pub counterexamples_total: u64,
    /// Of those, how many are distinct up to isomorphism.
    pub counterexamples_distinct: u64,
    /// The compute backend, as `Compute::name` says it ("cpu", "gpu (NVIDIA H100 …)").
    pub backend: String,
}

fn nan() -> f64 {
    f64::NAN
}

/// Reads a float written by serde_json, which writes non-finite floats as `null`.
pub(super) fn number_or_nan<'de, D: Deserializer<'de>>(deserializer: D) -> Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(deserializer)?.unwrap_or(f64::NAN))
}

/// The CSV columns, in order: the JSON field names. A run written with another column list
/// gets its CSV rewritten from the JSONL by [`MetricsLog::open`].
pub const CSV_COLUMNS: [&str; 22] = [
    "iteration",
    "elapsed_seconds",
    "loss",
    "policy_loss",
    "value_loss",
    "policy_entropy",
    "learning_rate",
    "mean_game_length",
    "first_player_win_rate",
    "draw_rate",
    "random_win_rate",
    "random_draw_rate",
    "previous_win_rate",
    "previous_draw_rate",
    "policy_accuracy",
    "search_accuracy",
    "positions_per_second",
    "evaluations_per_second",
    "games_played",
    "counterexamples_total",
    "counterexamples_distinct",
    "backend",
];

impl IterationMetrics {
    /// The CSV cells, in [`CSV_COLUMNS`] order. `None` is an empty cell.
    fn csv_cells(&self) -> [String; CSV_COLUMNS.len()] {
        let optional = |value: Option<f64>| value.map(|v| v.to_string()).unwrap_or_default();
        [
            self.iteration.to_string(),
            self.elapsed_seconds.to_string(),
            self.loss.to_string(),
            self.policy_loss.to_string(),
            self.value_loss.to_string(),
            self.policy_entropy.to_string(),
            self.learning_rate.to_string(),
            self.mean_game_length.to_string(),
            self.first_player_win_rate.to_string(),
            self.draw_rate.to_string(),
            optional(self.random_win_rate),
            optional(self.random_draw_rate),
            optional(self.previous_win_rate),
            optional(self.previous_draw_rate),
            optional(self.policy_accuracy),
            optional(self.search_accuracy),
            self.positions_per_second.to_string(),
            self.evaluations_per_second.to_string(),
            self.games_played.to_string(),
            self.counterexamples_total.to_string(),
            self.counterexamples_distinct.to_string(),
            csv_quoted(&self.backend),
        ]
    }

    /// Whether a self-play game finished this iteration (its rates mean something).
    fn games_this_iteration(&self) -> bool {
        !self.mean_game_length.is_nan()
    }

    /// One line for the terminal, e.g.
    /// `iter 12 | loss 1.2340 (policy 1.0000 value 0.2340) | entropy 2.310 | length 12.4 |
    /// first wins 48.0% draws 10.0% | vs random 95.0%/3.0% | vs previous 58.0%/10.0% |
    /// accuracy 91.2% search 97.0% | 1234 pos/s` (without line breaks). "vs X a/b" are the
    /// win and draw shares; parts that were not measured are left out.
    pub fn summary_line(&self) -> String {
        let percent = |share: f64| format!("{:.1}%", 100.0 * share);
        let losses = if self.loss.is_nan() {
            // No training step ran (the replay buffer held less than a batch).
            "no training yet".to_owned()
        } else {
            format!(
                "loss {:.4} (policy {:.4} value {:.4}) | entropy {:.3}",
                self.loss, self.policy_loss, self.value_loss, self.policy_entropy
            )
        };
        let length = if self.games_this_iteration() {
            format!(
                "length {:.1} | first wins {} draws {}",
                self.mean_game_length,
                percent(self.first_player_win_rate),
                percent(self.draw_rate)
            )
        } else {
            "no game finished".to_owned()
        };
        let mut line = format!("iter {} | {losses} | {length}", self.iteration);
        for (label, win, draw) in [
            ("vs random", self.random_win_rate, self.random_draw_rate),
            (
                "vs previous",
                self.previous_win_rate,
                self.previous_draw_rate,
            ),
        ] {
            if let Some(win) = win {
                let _ = write!(line, " | {label} {}", percent(win));
                if let Some(draw) = draw {
                    let _ = write!(line, "/{}", percent(draw));
                }
            }
        }
        match (self.policy_accuracy, self.search_accuracy) {
            (Some(policy), Some(search)) => {
                let _ = write!(
                    line,
                    " | accuracy {} search {}",
                    percent(policy),
                    percent(search)
                );
            }
            (Some(policy), None) => {
                let _ = write!(line, " | accuracy {}", percent(policy));
            }
            (None, Some(search)) => {
                let _ = write!(line, " | accuracy search {}", percent(search));
            }
            (None, None) => {}
        }
        if self.counterexamples_total > 0 {
            let _ = write!(
                line,
                " | counterexamples {} ({} distinct)",
                self.counterexamples_total, self.counterexamples_distinct
            );
        }
        let _ = write!(line, " | {:.0} pos/s", self.positions_per_second);
        line
    }
}

/// Quotes a CSV cell when it holds a comma, a quote or a line break (RFC 4180).
fn csv_quoted(cell: &str) -> String {
    if cell.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", cell.replace('"', "\"\""))
    } else {
        cell.to_owned()
    }
}

fn csv_header() -> String {
    let mut header = CSV_COLUMNS.join(",");
    header.push('\n');
    header
}

fn csv_row(record: &IterationMetrics) -> String {
    let mut row = record.csv_cells().join(",");
    row.push('\n');
    row
}

fn jsonl_line(record: &IterationMetrics) -> String {
    // Serializing a struct of numbers, options and a string cannot fail.
    let mut line = serde_json::to_string(record).unwrap_or_default();
    line.push('\n');
    line
}

fn csv_content(history: &[IterationMetrics]) -> String {
    let mut content = csv_header();
    for record in history {
        content.push_str(&csv_row(record));
    }
    content
}

/// Parses a JSONL log. Returns the records of the complete lines and the byte length of
/// that complete part; a last line without its newline (a torn append, possibly cut inside
/// a UTF-8 character) is skipped. A bad complete line is corruption.
fn parse_jsonl(path: &Path, bytes: &[u8]) -> Result<(Vec<IterationMetrics>, usize), RunDirError> {
    let corrupt = |reason: String| RunDirError::Corrupt {
        path: path.to_path_buf(),
        reason,
    };
    let complete_length = bytes
        .iter()
        .rposition(|&byte| byte == b'\n')
        .map_or(0, |index| index + 1);
    let text = std::str::from_utf8(&bytes[..complete_length])
        .map_err(|error| corrupt(format!("it is not UTF-8 text: {error}")))?;
    let mut records = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let record: IterationMetrics = serde_json::from_str(line).map_err(|error| {
            corrupt(format!(
                "line {} is not a metrics record: {error}",
                index + 1
            ))
        })?;
        records.push(record);
    }
    Ok((records, complete_length))
}

/// Reads a run's metric history from `<run dir>/metrics.jsonl` without changing anything;
/// a torn last line is skipped.
pub fn read_history(run_dir: &Path) -> Result<Vec<IterationMetrics>, RunDirError> {
    let path = run_dir.join(JSONL_FILE);
    let bytes = durable::read_bytes(&path)?.ok_or_else(|| RunDirError::NotFound {
        looked_for: path.clone(),
        reason: "no metrics log: is this a run directory?".to_owned(),
        available: Vec::new(),
    })?;
    Ok(parse_jsonl(&path, &bytes)?.0)
}

/// The run's metric log, open for appending. One writer per run directory.
pub struct MetricsLog {
    run_dir: PathBuf,
    jsonl_path: PathBuf,
    csv_path: PathBuf,
    jsonl: File,
    csv: File,
    history: Vec<IterationMetrics>,
}

impl MetricsLog {
    /// Opens (or creates) the log of `run_dir` to append to it, after repairing what a
    /// crash may have left: a torn last JSONL line is cut off, the CSV is rewritten from
    /// the JSONL when they disagree, and temporary files in `run_dir` are removed.
    pub fn open(run_dir: &Path) -> Result<Self, RunDirError> {
        durable::create_directory(run_dir)?;
        // Left by a writer killed while replacing the CSV or plots.png.
        durable::remove_temporaries(run_dir)?;
        let jsonl_path = run_dir.join(JSONL_FILE);
        let csv_path = run_dir.join(CSV_FILE);
        let history = match durable::read_bytes(&jsonl_path)? {
            Some(bytes) => {
                let (history, complete_length) = parse_jsonl(&jsonl_path, &bytes)?;
                if complete_length < bytes.len() {
                    durable::truncate(&jsonl_path, complete_length as u64)?;
                }
                history
            }
            None => Vec::new(),
        };
        let expected_csv = csv_content(&history);
        if durable::read_bytes(&csv_path)?.as_deref() != Some(expected_csv.as_bytes()) {
            durable::write_atomically(&csv_path, expected_csv.as_bytes())?;
        }
        Ok(Self {
            run_dir: run_dir.to_path_buf(),
            jsonl: durable::open_for_append(&jsonl_path)?,
            csv: durable::open_for_append(&csv_path)?,
            jsonl_path,
            csv_path,
            history,
        })
    }

    /// Opens the log of a run resumed from a checkpoint: both files are rewritten
    /// atomically to hold exactly `history` (the checkpoint's metric history), dropping
    /// records of iterations after the checkpoint, whose work was lost.
    pub fn resume(run_dir: &Path, history: &[IterationMetrics]) -> Result<Self, RunDirError> {
        durable::create_directory(run_dir)?;
        let jsonl: String = history.iter().map(jsonl_line).collect();
        durable::write_atomically(&run_dir.join(JSONL_FILE), jsonl.as_bytes())?;
        durable::write_atomically(&run_dir.join(CSV_FILE), csv_content(history).as_bytes())?;
        Self::open(run_dir)
    }

    /// Appends one record to both files, durably. Its iteration must be after the last
    /// record's.
    pub fn append(&mut self, record: &IterationMetrics) -> Result<(), RunDirError> {
        if let Some(last) = self.history.last()
            && record.iteration <= last.iteration
        {
            return Err(RunDirError::IterationNotAfterLatest {
                directory: self.run_dir.clone(),
                iteration: record.iteration,
                latest: last.iteration,
            });
        }
        durable::append(
            &mut self.jsonl,
            &self.jsonl_path,
            jsonl_line(record).as_bytes(),
        )?;
        durable::append(&mut self.csv, &self.csv_path, csv_row(record).as_bytes())?;
        self.history.push(record.clone());
        Ok(())
    }

    /// Every record of the run so far, oldest first.
    pub fn history(&self) -> &[IterationMetrics] {
        &self.history
    }
}
