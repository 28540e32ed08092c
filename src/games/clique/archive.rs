//! The Ramsey counterexample archive: every drawn `avoid` game is a 2-colouring of K_n with
//! no K_s in colour 0 and no K_t in colour 1 (s = t = k unless the game was set up with
//! two sizes), a witness that R(s,t) > n. Wherever such a game ends (self-play,
//! evaluation, the app), [`RamseyArchive::record`] checks it independently and appends it.
//! The witness search (`crate::ramsey`) archives its witnesses through
//! [`RamseyArchive::record_colourings`].
//!
//! Format: `<run dir>/ramsey/counterexamples.jsonl`, one JSON object a line:
//! `{"n", "k", "t" (only when t ≠ k), "graph6" (the colour-0 graph), "canonical_graph6"
//! (its canonical form), "source", "time_unix_ms"}`; `k` is the clique size colour 0
//! avoids (s), `t` the one colour 1 avoids, and a line without `t` (every line of older
//! archives) has t = k. Appends are followed by fsync; a torn last line (a crash
//! mid-append) is skipped by readers and cut off when the archive is next opened for
//! writing. Counts: distinct labelled colourings (the colour-0 graph determines the
//! colouring) and distinct colour-0 graphs up to isomorphism, per (n, s, t).

use std::collections::{BTreeMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::canonical::canonical_form;
use super::detection::{contains_clique, has_clique_exhaustive};
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
        "the independent check rejects this colouring of K_{n} as a witness that R({s},{t}) > {n}: {reason}; the rules that drew this game are wrong"
    )]
    CheckFailed {
        n: u32,
        s: u32,
        t: u32,
        reason: String,
    },
    #[error(
        "the independent check rejects this colouring of K_{n} as a witness that R({s},{t}) > {n}: {reason}; the search that found it is wrong"
    )]
    WitnessRejected {
        n: u32,
        s: u32,
        t: u32,
        reason: String,
    },
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
    /// The clique size colour 0 avoids: k of the clique game, s of R(s,t).
    pub k: u32,
    /// The clique size colour 1 avoids when it differs from `k` (t of R(s,t)); `None`
    /// means t = k, as in every line written before asymmetric witnesses existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub t: Option<u32>,
    /// The colour-0 (player 0's) graph in graph6.
    pub graph6: String,
    /// The canonical form of that graph in graph6: equal for isomorphic graphs.
    pub canonical_graph6: String,
    /// Where the game was played ("selfplay", "eval", "app", …).
    pub source: String,
    pub time_unix_ms: u64,
}

impl RamseyRecord {
    /// (s, t): the clique sizes colour 0 and colour 1 avoid.
    pub fn clique_sizes(&self) -> (u32, u32) {
        (self.k, self.t.unwrap_or(self.k))
    }
}

/// Counts of one board: K_n with colour 0 avoiding K_k (s) and colour 1 avoiding K_t.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct BoardCounts {
    pub n: u32,
    pub k: u32,
    pub t: u32,
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
    check_witness(n, k, k, colour0)
}

/// k-subsets beyond which [`check_witness`] searches depth first instead of testing each
/// one: C(64, 6) ≈ 7.5e7 subsets take about a second, C(64, 8) ≈ 4.4e9 over a minute.
const EXHAUSTIVE_SUBSETS_LIMIT: u128 = 100_000_000;

/// C(n, k), exactly (n ≤ 64 fits a u128).
fn binomial(n: u32, k: u32) -> u128 {
    if k > n {
        return 0;
    }
    let k = k.min(n - k);
    (0..k).fold(1u128, |product, i| {
        product * u128::from(n - i) / u128::from(i + 1)
    })
}

/// Does the graph on 0..n hold a K_k? Tests every k-subset ([`has_clique_exhaustive`])
/// while there are at most [`EXHAUSTIVE_SUBSETS_LIMIT`] of them, else searches depth first
/// ([`contains_clique`]); both are independent of the witness search's clique counter.
fn has_clique_checked(graph: &[u64], n: u32, k: u32) -> bool {
    if binomial(n, k) <= EXHAUSTIVE_SUBSETS_LIMIT {
        has_clique_exhaustive(graph, n, k)
    } else {
        contains_clique(graph, all_vertices(n), k)
    }
}

/// The independent check of an R(s,t) witness: K_n fully 2-coloured (colour 1 = the
/// complement of colour 0), no K_s in colour 0 and no K_t in colour 1.
pub fn check_witness(n: u32, s: u32, t: u32, colour0: &[u64]) -> Result<(), String> {
    if colour0.len() != n as usize {
        return Err(format!("{} adjacency rows for {n} vertices", colour0.len()));
    }
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
    for (colour, graph, k) in [(0, colour0, s), (1, &colour1[..], t)] {
        if has_clique_checked(graph, n, k) {
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
    labelled: HashSet<(u32, u32, u32, String)>,
    up_to_isomorphism: HashSet<(u32, u32, u32, String)>,
    counts: BTreeMap<(u32, u32, u32), BoardCounts>,
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
        let n = record.n;
        let (k, t) = record.clique_sizes();
        let new_labelled = self.labelled.insert((n, k, t, record.graph6.clone()));
        let new_up_to_isomorphism =
            self.up_to_isomorphism
                .insert((n, k, t, record.canonical_graph6.clone()));
        let counts = self.counts.entry((n, k, t)).or_insert(BoardCounts {
            n,
            k,
            t,
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

    /// Checks `final_state` (a drawn avoid game) with [`check_witness`] against its
    /// config's clique sizes (colour 0 `k`, colour 1 `t`) and appends it, durably, with
    /// `source`, under those (s, t).
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
        self.append(&records)
    }

    /// Checks each colouring of K_n (`[n]` colour-0 adjacency bitsets) with
    /// [`check_witness`] as a witness that R(s,t) > n, then appends them all with one
    /// fsync; one that fails the check is an error and none is written.
    pub fn record_colourings(
        &mut self,
        n: u32,
        (s, t): (u32, u32),
        colourings: &[Vec<u64>],
        source: &str,
    ) -> Result<Vec<RecordOutcome>, ArchiveError> {
        use rayon::prelude::*;
        let records = colourings
            .par_iter()
            .map(|colour0| {
                check_witness(n, s, t, colour0)
                    .map_err(|reason| ArchiveError::WitnessRejected { n, s, t, reason })?;
                Ok(RamseyRecord {
                    n,
                    k: s,
                    t: (t != s).then_some(t),
                    graph6: graph6::encode(n, colour0),
                    canonical_graph6: graph6::encode(n, &canonical_form(n, colour0)),
                    source: source.to_owned(),
                    time_unix_ms: now_unix_ms(),
                })
            })
            .collect::<Result<Vec<_>, ArchiveError>>()?;
        self.append(&records)
    }

    /// Appends checked records with one fsync and counts them.
    fn append(&mut self, records: &[RamseyRecord]) -> Result<Vec<RecordOutcome>, ArchiveError> {
        let mut lines = String::new();
        for record in records {
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
        let (n, s, t) = (config.n, config.k, config.t);
        let rejected = |reason| ArchiveError::CheckFailed { n, s, t, reason };
        for v in 0..n as usize {
            if colour0[v] | colour1[v] | 1 << v != all {
                return Err(rejected(format!("vertex {v} has uncoloured edges")));
            }
        }
        check_witness(n, s, t, colour0).map_err(rejected)?;
        let record = RamseyRecord {
            n: config.n,
            k: s,
            t: (t != s).then_some(t),
            graph6: graph6::encode(config.n, colour0),
            canonical_graph6: graph6::encode(config.n, &canonical_form(config.n, colour0)),
            source: source.to_owned(),
            time_unix_ms: now_unix_ms(),
        };
        Ok(record)
    }

    /// Counts per (n, s, t), in increasing order.
    pub fn counts(&self) -> Vec<BoardCounts> {
        self.counts.values().cloned().collect()
    }
}

fn now_unix_ms() -> u64 {
    web_time::SystemTime::now()
        .duration_since(web_time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_millis() as u64)
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
/// colouring is a witness ([`check_witness`]), and the stored canonical form is the
/// graph's. Returns n and the canonical form, or what is wrong.
fn check_record(record: &RamseyRecord) -> Result<(u32, String), String> {
    let (n, adjacency) = graph6::decode(&record.graph6).map_err(|e| e.to_string())?;
    let (s, t) = record.clique_sizes();
    if n != record.n || s < 2 || t < 2 {
        return Err(format!(
            "n = {}, clique sizes {s} and {t} do not fit a graph of {n} vertices (each \
             clique size is at least 2)",
            record.n
        ));
    }
    check_witness(n, s, t, &adjacency)
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
    /// The clique size colour 0 avoids (s).
    pub k: u32,
    /// The clique size colour 1 avoids (t; equal to k for the clique game's witnesses).
    pub t: u32,
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
    let mut index_of: BTreeMap<(u32, u32, u32, String), usize> = BTreeMap::new();
    let mut labelled = HashSet::new();
    for record in records {
        let checked = check_record(&record);
        let (k, t) = record.clique_sizes();
        // A record that fails its check is a class of its own under its stored form.
        let key = (
            record.n,
            k,
            t,
            checked
                .as_ref()
                .map_or_else(|_| record.canonical_graph6.clone(), |(_, c)| c.clone()),
        );
        let new_labelled = labelled.insert((record.n, k, t, record.graph6.clone()));
        let index = *index_of.entry(key).or_insert_with(|| {
            classes.push(WitnessClass {
                n: record.n,
                k,
                t,
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
/// record is decoded, checked with [`check_witness`] against its (s, t), and its canonical form
/// recomputed; the first bad record is an error naming its line.
pub fn verify(path: &Path) -> Result<VerifyReport, ArchiveError> {
    let file = archive_file(path);
    let (records, torn) = read_records(&file)?;
    let mut labelled = HashSet::new();
    let mut up_to_isomorphism = HashSet::new();
    let mut counts: BTreeMap<(u32, u32, u32), BoardCounts> = BTreeMap::new();
    for (index, record) in records.iter().enumerate() {
        let (n, canonical) = check_record(record).map_err(|message| ArchiveError::Corrupt {
            path: file.clone(),
            line: index + 1,
            message,
        })?;
        let (k, t) = record.clique_sizes();
        let board = counts.entry((n, k, t)).or_insert(BoardCounts {
            n,
            k,
            t,
            ..BoardCounts::default()
        });
        board.records += 1;
        board.distinct_labelled += u64::from(labelled.insert((n, k, t, record.graph6.clone())));
        board.distinct_up_to_isomorphism +=
            u64::from(up_to_isomorphism.insert((n, k, t, canonical)));
    }
    Ok(VerifyReport {
        file,
        records: records.len() as u64,
        torn_last_line: torn,
        boards: counts.into_values().collect(),
    })
}
