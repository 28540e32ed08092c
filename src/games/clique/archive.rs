//! The Ramsey counterexample archive: every drawn `avoid` game is a 2-colouring of K_n with
//! no monochromatic K_k, a witness that R(k,k) > n. Wherever such a game ends (self-play,
//! evaluation, the app), [`RamseyArchive::record`] checks it independently and appends it.
//!
//! Format: `<run dir>/ramsey/counterexamples.jsonl`, one JSON object a line:
//! `{"n", "k", "graph6" (the colour-0 graph), "canonical_graph6" (its canonical form),
//! "source", "time_unix_ms"}`. Appends are followed by fsync; a torn last line (a crash
//! mid-append) is skipped by readers and cut off when the archive is next opened for
//! writing. Counts: distinct labelled colourings (the colour-0 graph determines the
//! colouring) and distinct colour-0 graphs up to isomorphism, per (n, k).

use std::collections::{BTreeMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::canonical::canonical_form;
use super::detection::has_clique_exhaustive;
use super::state::{CliqueState, Status};
use super::{Mode, all_vertices, graph6};
use crate::storage::{self, File};

/// The archive file inside the run directory.
pub const ARCHIVE_FILE: &str = "ramsey/counterexamples.jsonl";

#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("only avoid-mode games are counterexamples (this game is {0})")]
    NotAvoid(Mode),
    #[error(
        "only drawn games (full board, no monochromatic K_k) are counterexamples; this one is {0:?}"
    )]
    NotDrawn(Status),
    #[error(
        "the independent check rejects this colouring of K_{n}: {reason}; the rules that drew this game are wrong"
    )]
    CheckFailed { n: u32, k: u32, reason: String },
    #[error("{path} line {line}: {message}")]
    Corrupt {
        path: PathBuf,
        line: usize,
        message: String,
    },
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> ArchiveError + '_ {
    move |source| ArchiveError::Io {
        path: path.to_owned(),
        source,
    }
}

/// One line of the archive.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RamseyRecord {
    pub n: u32,
    pub k: u32,
    /// The colour-0 (player 0's) graph in graph6.
    pub graph6: String,
    /// The canonical form of that graph in graph6: equal for isomorphic graphs.
    pub canonical_graph6: String,
    /// Where the game was played ("selfplay", "eval", "app", …).
    pub source: String,
    pub time_unix_ms: u64,
}

/// Counts of one board size.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct BoardCounts {
    pub n: u32,
    pub k: u32,
    /// Lines recorded (every drawn game, repeats included).
    pub records: u64,
    pub distinct_labelled: u64,
    pub distinct_up_to_isomorphism: u64,
}

/// What [`RamseyArchive::record`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordOutcome {
    /// This labelled colouring was not in the archive before.
    pub new_labelled: bool,
    /// No isomorphic colour-0 graph was in the archive before.
    pub new_up_to_isomorphism: bool,
}

/// The independent check: K_n fully 2-coloured (colour 1 = the complement of colour 0) and
/// no k-subset monochromatic, testing every k-subset in both colours.
pub fn check_counterexample(n: u32, k: u32, colour0: &[u64]) -> Result<(), String> {
    let all = all_vertices(n);
    for (v, &neighbours) in colour0.iter().enumerate() {
        if neighbours & !all != 0 || neighbours >> v & 1 == 1 {
            return Err(format!(
                "vertex {v} has neighbours outside 0..{n} or a loop"
            ));
        }
    }
    let colour1: Vec<u64> = (0..n as usize)
        .map(|v| !colour0[v] & all & !(1 << v))
        .collect();
    for (colour, graph) in [(0, colour0), (1, &colour1[..])] {
        if has_clique_exhaustive(graph, n, k) {
            return Err(format!("colour {colour} holds a K_{k}"));
        }
    }
    Ok(())
}

/// Parses every complete line of an archive file; a torn last line (no newline, not valid
/// JSON) is reported, not an error. Returns the records and whether the tail was torn.
fn read_records(path: &Path) -> Result<(Vec<RamseyRecord>, bool), ArchiveError> {
    let text = storage::read_text(path).map_err(io_error(path))?;
    let mut records = Vec::new();
    let mut torn = false;
    let ends_with_newline = text.ends_with('\n');
    let lines: Vec<&str> = text.split('\n').collect();
    for (index, line) in lines.iter().enumerate() {
        let last = index + 1 == lines.len();
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<RamseyRecord>(line) {
            Ok(record) => records.push(record),
            Err(_) if last && !ends_with_newline => torn = true,
            Err(error) => {
                return Err(ArchiveError::Corrupt {
                    path: path.to_owned(),
                    line: index + 1,
                    message: error.to_string(),
                });
            }
        }
    }
    Ok((records, torn))
}

/// The archive of one run, open for appending, with its distinct sets in memory.
pub struct RamseyArchive {
    path: PathBuf,
    file: File,
    labelled: HashSet<(u32, u32, String)>,
    up_to_isomorphism: HashSet<(u32, u32, String)>,
    counts: BTreeMap<(u32, u32), BoardCounts>,
}

impl RamseyArchive {
    /// Opens (creating) `<run_dir>/ramsey/counterexamples.jsonl`; a torn last line left by
    /// a crash is cut off.
    pub fn open(run_dir: &Path) -> Result<Self, ArchiveError> {
        let path = run_dir.join(ARCHIVE_FILE);
        let directory = path.parent().unwrap_or(run_dir).to_owned();
        storage::create_dir_all(&directory).map_err(io_error(&directory))?;
        let created = !storage::exists(&path);
        let file = File::open_append(&path).map_err(io_error(&path))?;
        if created {
            // Make the new directory entry itself durable.
            storage::sync_directory(&directory).map_err(io_error(&directory))?;
        }
        let (records, torn) = read_records(&path)?;
        if torn {
            let text = storage::read_file(&path).map_err(io_error(&path))?;
            let keep = text.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
            file.set_len(keep as u64).map_err(io_error(&path))?;
            file.sync_all().map_err(io_error(&path))?;
        }
        let mut archive = Self {
            path,
            file,
            labelled: HashSet::new(),
            up_to_isomorphism: HashSet::new(),
            counts: BTreeMap::new(),
        };
        for record in records {
            archive.count(&record);
        }
        Ok(archive)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn count(&mut self, record: &RamseyRecord) -> RecordOutcome {
        let (n, k) = (record.n, record.k);
        let new_labelled = self.labelled.insert((n, k, record.graph6.clone()));
        let new_up_to_isomorphism =
            self.up_to_isomorphism
                .insert((n, k, record.canonical_graph6.clone()));
        let counts = self.counts.entry((n, k)).or_insert(BoardCounts {
            n,
            k,
            ..BoardCounts::default()
        });
        counts.records += 1;
        counts.distinct_labelled += u64::from(new_labelled);
        counts.distinct_up_to_isomorphism += u64::from(new_up_to_isomorphism);
        RecordOutcome {
            new_labelled,
            new_up_to_isomorphism,
        }
    }

    /// Checks `final_state` (a drawn avoid game) with [`check_counterexample`] and appends
    /// it, durably, with `source`.
    pub fn record(
        &mut self,
        final_state: &CliqueState,
        source: &str,
    ) -> Result<RecordOutcome, ArchiveError> {
        let mut outcomes = self.record_all(std::slice::from_ref(final_state), source)?;
        Ok(outcomes.remove(0))
    }

    /// [`record`](Self::record) for many final states with one fsync: every state is
    /// checked before any is written, then all are appended and made durable together.
    pub fn record_all(
        &mut self,
        final_states: &[CliqueState],
        source: &str,
    ) -> Result<Vec<RecordOutcome>, ArchiveError> {
        use rayon::prelude::*;
        // Checks and canonical forms are independent per state: spread them over the cores.
        let records = final_states
            .par_iter()
            .map(|state| Self::checked_record(state, source))
            .collect::<Result<Vec<_>, _>>()?;
        let mut lines = String::new();
        for record in &records {
            let line = serde_json::to_string(record).map_err(|error| ArchiveError::Io {
                path: self.path.clone(),
                source: error.into(),
            })?;
            lines.push_str(&line);
            lines.push('\n');
        }
        if !records.is_empty() {
            self.file
                .write_all(lines.as_bytes())
                .and_then(|()| self.file.sync_data())
                .map_err(io_error(&self.path))?;
        }
        Ok(records.iter().map(|record| self.count(record)).collect())
    }

    /// The archive record of a drawn avoid game, checked to be a counterexample.
    fn checked_record(
        final_state: &CliqueState,
        source: &str,
    ) -> Result<RamseyRecord, ArchiveError> {
        let config = final_state.config();
        if config.mode != Mode::Avoid {
            return Err(ArchiveError::NotAvoid(config.mode));
        }
        if final_state.status() != Status::Draw {
            return Err(ArchiveError::NotDrawn(final_state.status()));
        }
        let colour0 = final_state.adjacency(0);
        let colour1 = final_state.adjacency(1);
        let all = all_vertices(config.n);
        for v in 0..config.n as usize {
            if colour0[v] | colour1[v] | 1 << v != all {
                return Err(ArchiveError::CheckFailed {
                    n: config.n,
                    k: config.k,
                    reason: format!("vertex {v} has uncoloured edges"),
                });
            }
        }
        check_counterexample(config.n, config.k, colour0).map_err(|reason| {
            ArchiveError::CheckFailed {
                n: config.n,
                k: config.k,
                reason,
            }
        })?;
        let record = RamseyRecord {
            n: config.n,
            k: config.k,
            graph6: graph6::encode(config.n, colour0),
            canonical_graph6: graph6::encode(config.n, &canonical_form(config.n, colour0)),
            source: source.to_owned(),
            time_unix_ms: web_time::SystemTime::now()
                .duration_since(web_time::UNIX_EPOCH)
                .map_or(0, |elapsed| elapsed.as_millis() as u64),
        };
        Ok(record)
    }

    /// Counts per (n, k), in increasing order.
    pub fn counts(&self) -> Vec<BoardCounts> {
        self.counts.values().cloned().collect()
    }
}

/// The file of the archive `path` names: a run directory, its `ramsey/` folder or the file.
fn archive_file(path: &Path) -> PathBuf {
    if storage::is_file(path) {
        path.to_owned()
    } else if storage::is_file(path.join("counterexamples.jsonl")) {
        path.join("counterexamples.jsonl")
    } else {
        path.join(ARCHIVE_FILE)
    }
}

/// The independent check of one record: its graph6 decodes to an n-vertex graph, the
/// colouring is a counterexample ([`check_counterexample`]), and the stored canonical form
/// is the graph's. Returns n and the canonical form, or what is wrong.
fn check_record(record: &RamseyRecord) -> Result<(u32, String), String> {
    let (n, adjacency) = graph6::decode(&record.graph6).map_err(|e| e.to_string())?;
    if n != record.n || !(3..=n).contains(&record.k) {
        return Err(format!(
            "n = {}, k = {} do not fit a graph of {n} vertices",
            record.n, record.k
        ));
    }
    check_counterexample(n, record.k, &adjacency)
        .map_err(|reason| format!("not a counterexample: {reason}"))?;
    let canonical = graph6::encode(n, &canonical_form(n, &adjacency));
    if canonical != record.canonical_graph6 {
        return Err(format!(
            "stored canonical form {} but the graph's is {canonical}",
            record.canonical_graph6
        ));
    }
    Ok((n, canonical))
}

/// The archived witnesses of one board that are isomorphic to each other.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WitnessClass {
    pub n: u32,
    pub k: u32,
    /// The first record of the class (its colour-0 graph in graph6).
    pub example: RamseyRecord,
    /// Records of the class (every game that ended in it, repeats included).
    pub found: u64,
    /// Distinct labelled colourings in the class.
    pub distinct_labelled: u64,
    /// The independent check of every record in the class: `Err` names the first failure.
    pub verified: Result<(), String>,
}

/// The archive at `path` (as [`verify`] takes it) grouped into classes up to isomorphism,
/// in order of first appearance, each re-checked independently; also whether the last
/// line was torn. A missing archive is an empty gallery.
pub fn witness_classes(path: &Path) -> Result<(Vec<WitnessClass>, bool), ArchiveError> {
    let file = archive_file(path);
    if !storage::exists(&file) {
        return Ok((Vec::new(), false));
    }
    let (records, torn) = read_records(&file)?;
    let mut classes: Vec<WitnessClass> = Vec::new();
    let mut index_of: BTreeMap<(u32, u32, String), usize> = BTreeMap::new();
    let mut labelled = HashSet::new();
    for record in records {
        let checked = check_record(&record);
        // A record that fails its check is a class of its own under its stored form.
        let key = (
            record.n,
            record.k,
            checked
                .as_ref()
                .map_or_else(|_| record.canonical_graph6.clone(), |(_, c)| c.clone()),
        );
        let new_labelled = labelled.insert((record.n, record.k, record.graph6.clone()));
        let index = *index_of.entry(key).or_insert_with(|| {
            classes.push(WitnessClass {
                n: record.n,
                k: record.k,
                example: record.clone(),
                found: 0,
                distinct_labelled: 0,
                verified: Ok(()),
            });
            classes.len() - 1
        });
        let class = &mut classes[index];
        class.found += 1;
        class.distinct_labelled += u64::from(new_labelled);
        if let (Ok(()), Err(reason)) = (&class.verified, checked) {
            class.verified = Err(reason);
        }
    }
    Ok((classes, torn))
}

/// What [`verify`] found.
#[derive(Clone, Debug, Serialize)]
pub struct VerifyReport {
    pub file: PathBuf,
    pub records: u64,
    /// The last line was torn (skipped).
    pub torn_last_line: bool,
    pub boards: Vec<BoardCounts>,
}

/// Re-checks an archive: `path` is a run directory, its `ramsey/` folder or the file. Every
/// record is decoded, checked with [`check_counterexample`], and its canonical form
/// recomputed; the first bad record is an error naming its line.
pub fn verify(path: &Path) -> Result<VerifyReport, ArchiveError> {
    let file = archive_file(path);
    let (records, torn) = read_records(&file)?;
    let mut labelled = HashSet::new();
    let mut up_to_isomorphism = HashSet::new();
    let mut counts: BTreeMap<(u32, u32), BoardCounts> = BTreeMap::new();
    for (index, record) in records.iter().enumerate() {
        let (n, canonical) = check_record(record).map_err(|message| ArchiveError::Corrupt {
            path: file.clone(),
            line: index + 1,
            message,
        })?;
        let board = counts.entry((n, record.k)).or_insert(BoardCounts {
            n,
            k: record.k,
            ..BoardCounts::default()
        });
        board.records += 1;
        board.distinct_labelled += u64::from(labelled.insert((n, record.k, record.graph6.clone())));
        board.distinct_up_to_isomorphism +=
            u64::from(up_to_isomorphism.insert((n, record.k, canonical)));
    }
    Ok(VerifyReport {
        file,
        records: records.len() as u64,
        torn_last_line: torn,
        boards: counts.into_values().collect(),
    })
}
