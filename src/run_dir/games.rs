//! Recorded games: `<run dir>/games.jsonl`, one [`GameRecord`] a line, a sample of the
//! run's self-play games and of its evaluation games with what the players saw at every
//! move (the priors, the visit counts, the value), for replaying them move by move (the
//! app's game viewer).
//!
//! - **What is recorded.** In the iterations [`records_games_at`] names (every one up to
//!   99, then every 10th up to 999, every 100th up to 9,999, and so on: about 90 a decade,
//!   so a long run's file grows with the logarithm of its length), at most
//!   `record_games` self-play games (the games that the first `record_games` game slots
//!   finished during the iteration) and the first `record_games` games of each evaluation
//!   match (games 0 and 1 have the trained network playing first, then second).
//! - **Self-describing.** Each record names its game ([`GameSpec`]: replay the actions
//!   from its initial position with its rules), the iteration that played it, who played
//!   ([`GameSource`]) and the outcome; each move its legal root children.
//! - **Crash safety.** The trainer appends an iteration's records with one write and an
//!   fsync before that iteration's checkpoint is committed ([`GameLog::append`]). A crash
//!   can leave a torn last line (readers skip it); a resumed run keeps the records of the
//!   iterations up to its checkpoint and drops later ones, whose iterations were lost, as
//!   the metric log does ([`GameLog::open`]).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Deserializer, Serialize};

use super::{RunDirError, durable};
use crate::games::GameSpec;
use crate::storage::File;

/// File name of the game records inside a run directory.
pub const GAMES_FILE: &str = "games.jsonl";

/// The record format this wgzero writes (each record's `format`).
pub const GAME_RECORD_FORMAT: u32 = 1;

/// Games recorded per recorded iteration from self-play and per evaluation match, unless
/// the run says otherwise (`--record-games`).
pub const DEFAULT_RECORD_GAMES: u32 = 2;

/// One root child: a legal move of the position, as the player to move saw it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChildRecord {
    /// The move (the game's action index).
    pub action: u32,
    /// The network's prior probability of the move: the softmax of its logits over the
    /// legal moves, before any root noise. A random player's prior is uniform. A diverged
    /// network's NaN is written as `null` and read back as NaN.
    #[serde(deserialize_with = "number_or_nan")]
    pub prior: f32,
    /// Search simulations through the move (0 where no search ran: evaluation games).
    /// The visit share is `visits / Σ visits` over the position's children.
    pub visits: u32,
}

/// One move of a recorded game and what its player saw before playing it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MoveRecord {
    /// The move played.
    pub action: u32,
    /// The value of the position before the move, **from the view of the player to
    /// move**, in [−1, 1]: the search's mean value of the root (its network evaluation and
    /// every simulation backed up through it) in self-play; the network's value head in
    /// evaluation games; `None` for a random player's moves (or a diverged network's NaN).
    pub value: Option<f32>,
    /// The legal moves of the position, in increasing action order, with their priors and
    /// visit counts.
    pub children: Vec<ChildRecord>,
}

/// Which opponent an evaluation game was played against.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Opponent {
    /// A uniformly random legal move.
    Random,
    /// The network of the previous evaluation.
    Previous,
}

/// Who played a recorded game.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum GameSource {
    /// Self-play: the network against itself, every move searched with `simulations`
    /// simulations (with root noise, moves sampled as the run's settings say). `slot` is
    /// the game slot that played it.
    SelfPlay { slot: u32, simulations: u32 },
    /// An evaluation match game: the trained network (moving by its raw policy, no search)
    /// against `opponent`, the network being player `network_player` (0 moves first).
    /// Against the previous network, both sides' moves carry their own network's priors
    /// and values.
    Evaluation {
        opponent: Opponent,
        network_player: u8,
    },
}

/// A finished game as a player of it recorded it, before the trainer files it.
#[derive(Clone, Debug, PartialEq)]
pub struct PlayedGame {
    pub moves: Vec<MoveRecord>,
    /// The result for player 0 (who moves first): 1 a win, 0 a draw, −1 a loss.
    pub outcome: f32,
}

/// One line of `games.jsonl`: a whole game.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GameRecord {
    /// The record format ([`GAME_RECORD_FORMAT`]).
    pub format: u32,
    /// The training iteration that played it (as in the metrics and checkpoints; the
    /// iteration a self-play game ended in).
    pub iteration: u64,
    /// The game and its settings: the moves replay from its initial position.
    pub game: GameSpec,
    pub source: GameSource,
    /// Every move from the initial position to the end, in order.
    pub moves: Vec<MoveRecord>,
    /// The result for player 0 (who moves first): 1 a win, 0 a draw, −1 a loss.
    pub outcome: f32,
}

impl GameRecord {
    pub fn new(iteration: u64, game: GameSpec, source: GameSource, played: PlayedGame) -> Self {
        Self {
            format: GAME_RECORD_FORMAT,
            iteration,
            game,
            source,
            moves: played.moves,
            outcome: played.outcome,
        }
    }
}

/// Whether the trainer records games in `iteration` (counted from 1): every iteration
/// up to 99, then every 10th up to 999, every 100th up to 9,999, and so on.
pub fn records_games_at(iteration: u64) -> bool {
    let mut step = 1u64;
    let mut bound = 100u64;
    while iteration >= bound {
        step = step.saturating_mul(10);
        bound = bound.saturating_mul(10);
        if bound == u64::MAX {
            break;
        }
    }
    iteration > 0 && iteration.is_multiple_of(step)
}

/// Reads a float written by serde_json, which writes non-finite floats as `null`.
fn number_or_nan<'de, D: Deserializer<'de>>(deserializer: D) -> Result<f32, D::Error> {
    Ok(Option::<f32>::deserialize(deserializer)?.unwrap_or(f32::NAN))
}

fn line_of(record: &GameRecord) -> String {
    // Numbers, strings, options and enums: serializing cannot fail.
    let mut line = serde_json::to_string(record).unwrap_or_default();
    line.push('\n');
    line
}

/// The complete lines of a JSONL file's bytes: `(line number from 1, byte range)`; a last
/// line without its newline (a torn append) is left out.
fn complete_lines(bytes: &[u8]) -> Vec<(usize, std::ops::Range<usize>)> {
    let mut lines = Vec::new();
    let mut start = 0;
    for (index, _) in bytes.iter().enumerate().filter(|(_, byte)| **byte == b'\n') {
        lines.push((lines.len() + 1, start..index + 1));
        start = index + 1;
    }
    lines
}

/// Parses one complete line (`None` for a blank one).
fn parse_line(path: &Path, number: usize, line: &[u8]) -> Result<Option<GameRecord>, RunDirError> {
    let corrupt = |reason: String| RunDirError::CorruptLine {
        path: path.to_path_buf(),
        line: number,
        reason,
    };
    let text = std::str::from_utf8(line)
        .map_err(|error| corrupt(format!("it is not UTF-8 text: {error}")))?;
    if text.trim().is_empty() {
        return Ok(None);
    }
    let record: GameRecord = serde_json::from_str(text)
        .map_err(|error| corrupt(format!("it is not a game record: {error}")))?;
    if record.format > GAME_RECORD_FORMAT {
        return Err(corrupt(format!(
            "its record format {} is newer than this wgzero reads ({GAME_RECORD_FORMAT}): \
             use the wgzero that wrote it",
            record.format
        )));
    }
    Ok(Some(record))
}

/// Every game record of the run in `run_dir`, oldest first, without changing anything. A
/// run without `games.jsonl` (written before games were recorded, or recording none) has
/// none; a torn last line (a writer killed mid-append) is skipped; any other line that is
/// not a record is an error naming the file and the line.
pub fn read_game_records(run_dir: &Path) -> Result<Vec<GameRecord>, RunDirError> {
    Ok(read_game_records_from(run_dir, 0)?.records)
}

/// What [`read_game_records_from`] read.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordsRead {
    /// The complete records from the offset on, oldest first.
    pub records: Vec<GameRecord>,
    /// The byte offset after the last complete line: where the next read starts.
    pub next_offset: u64,
    /// The file was shorter than the offset asked for (a resumed run rewrote it without
    /// the records of lost iterations), so it was read from the start: `records` replace
    /// everything read before. A rewrite that has grown past the offset again by the next
    /// read is not seen: a reader that may miss a resume (it reads rarely) checks that the
    /// records' iterations do not go back.
    pub restarted: bool,
}

/// The records of `run_dir`'s `games.jsonl` from byte `offset` on (0: all), for a reader
/// following a live run: pass the returned [`RecordsRead::next_offset`] next time.
/// Tolerates a torn last line as [`read_game_records`] does.
pub fn read_game_records_from(run_dir: &Path, offset: u64) -> Result<RecordsRead, RunDirError> {
    let path = run_dir.join(GAMES_FILE);
    let Some(bytes) = durable::read_bytes(&path)? else {
        return Ok(RecordsRead {
            records: Vec::new(),
            next_offset: 0,
            restarted: offset > 0,
        });
    };
    let restarted = offset > bytes.len() as u64;
    let start = if restarted { 0 } else { offset as usize };
    let tail = &bytes[start..];
    // Line numbers count from the start of the file, for the error message.
    let lines_before = bytes[..start].iter().filter(|&&byte| byte == b'\n').count();
    let mut records = Vec::new();
    let mut end = 0;
    for (number, range) in complete_lines(tail) {
        if let Some(record) = parse_line(&path, lines_before + number, &tail[range.clone()])? {
            records.push(record);
        }
        end = range.end;
    }
    Ok(RecordsRead {
        records,
        next_offset: (start + end) as u64,
        restarted,
    })
}

/// The run's game records, open for appending. One writer per run directory.
pub struct GameLog {
    path: PathBuf,
    file: File,
}

impl GameLog {
    /// Opens (or creates) `run_dir`'s `games.jsonl` to append to it, keeping the records
    /// of iterations up to `iteration` (the checkpoint a run resumes from; 0 for a new
    /// run): later ones belong to iterations whose work was lost, and a torn last line is
    /// a crash's leftover; both are dropped (the file is rewritten atomically).
    pub fn open(run_dir: &Path, iteration: u64) -> Result<Self, RunDirError> {
        durable::create_directory(run_dir)?;
        let path = run_dir.join(GAMES_FILE);
        if let Some(bytes) = durable::read_bytes(&path)? {
            let mut kept = Vec::with_capacity(bytes.len());
            for (number, range) in complete_lines(&bytes) {
                let line = &bytes[range];
                if parse_line(&path, number, line)?.is_some_and(|r| r.iteration <= iteration) {
                    kept.extend_from_slice(line);
                }
            }
            if kept.len() < bytes.len() {
                durable::write_atomically(&path, &kept)?;
            }
        }
        Ok(Self {
            file: durable::open_for_append(&path)?,
            path,
        })
    }

    /// Appends `records` durably: one write, then an fsync. A crash inside it leaves a
    /// prefix of the lines, the last one possibly torn.
    pub fn append(&mut self, records: &[GameRecord]) -> Result<(), RunDirError> {
        if records.is_empty() {
            return Ok(());
        }
        let text: String = records.iter().map(line_of).collect();
        durable::append(&mut self.file, &self.path, text.as_bytes())
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn games_are_recorded_in_every_iteration_to_99_then_ever_more_sparsely() {
        let recorded: Vec<u64> = (0..12_000).filter(|&i| records_games_at(i)).collect();
        assert_eq!(recorded[..3], [1, 2, 3]);
        assert!((1..=99).all(records_games_at));
        assert!(!records_games_at(0));
        assert!(records_games_at(100) && !records_games_at(105) && records_games_at(110));
        assert!(records_games_at(1_000) && !records_games_at(1_010) && records_games_at(1_100));
        assert!(records_games_at(10_000) && !records_games_at(10_100));
        // 99 + 90 + 90 + 2 (10,000 and 11,000).
        assert_eq!(recorded.len(), 99 + 90 + 90 + 2);
        // No overflow at the end of the range.
        assert!(!records_games_at(u64::MAX));
    }
}
