//! The run directory's durable files: what a training run leaves on disk, written so that
//! a crash at any moment (kill -9 included) loses at most the work since the last
//! checkpoint and never leaves a half-written file behind.
//!
//! ```text
//! <run dir>/
//!   checkpoints/ckpt-<iteration:08>.safetensors   every persistent tensor, by name
//!   checkpoints/ckpt-<iteration:08>.json          the rest, and the tensors file's SHA-256
//!   checkpoints/replay.safetensors                the replay buffer's newest positions
//!   metrics.jsonl, metrics.csv                    one record per iteration (IterationMetrics)
//!   games.jsonl                                   a sample of the games played (GameRecord)
//!   plots.png                                     the curves, redrawn every iteration
//! ```
//!
//! Files, in the order a trainer uses them: `durable` (atomic writes and fsyncs, the one
//! place that touches the disk's ordering) → `checkpoint` (save, keep the last N, locate
//! and load) → `metrics` (the per-iteration record, its log and its summary line) →
//! `games` (recorded games, for replaying them) → `plots` (plots.png). No trainer logic lives here: the trainer decides what to save and
//! when; this module makes it durable and reads it back.
//!
//! The files themselves are [`crate::storage`]'s: `std::fs` natively; in a browser tab a
//! file tree in memory, stored in IndexedDB at each of `durable`'s fsyncs, so a run
//! directory written there survives a reload with the same guarantees.

pub mod checkpoint;
pub mod durable;
pub mod games;
pub mod metrics;
#[cfg(not(target_arch = "wasm32"))]
pub mod plots;
pub mod replay;

use std::path::PathBuf;

use crate::graph::GraphError;

/// Everything that can go wrong reading or writing a run directory; each message says
/// which file and what to change.
#[derive(Debug, thiserror::Error)]
pub enum RunDirError {
    #[error("could not {action} {}: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}", not_found_message(looked_for, reason, available))]
    NotFound {
        looked_for: PathBuf,
        reason: String,
        /// What exists nearby (checkpoint files or run directories), for the message.
        available: Vec<String>,
    },
    #[error(
        "{} is corrupt: {reason}. Delete it (and its .safetensors/.json partner) to fall \
         back to an older checkpoint, or load another checkpoint",
        path.display()
    )]
    Corrupt { path: PathBuf, reason: String },
    #[error(
        "{}, line {line}, is corrupt: {reason}. Delete that line (or the file) to keep the \
         other records",
        path.display()
    )]
    CorruptLine {
        path: PathBuf,
        line: usize,
        reason: String,
    },
    #[error(
        "{} does not fit this network: {difference}. Load it with the network it was \
         trained with, or start a new run",
        path.display()
    )]
    Incompatible { path: PathBuf, difference: String },
    #[error(
        "{} has checkpoint format version {found}, but this wgzero reads version \
         {supported} only: use the wgzero that wrote it",
        path.display()
    )]
    UnsupportedVersion {
        path: PathBuf,
        found: u64,
        supported: u64,
    },
    #[error(
        "cannot save iteration {iteration} in {}: it already holds iteration {latest}. \
         Resume from its latest checkpoint or write to a new run directory",
        directory.display()
    )]
    IterationNotAfterLatest {
        directory: PathBuf,
        iteration: u64,
        latest: u64,
    },
    #[error(
        "{} already holds a checkpoint ({}): an export goes into an empty or new folder. \
         Choose another one, or empty it",
        directory.display(),
        found.join(", ")
    )]
    NotEmpty {
        directory: PathBuf,
        /// The checkpoint files found there.
        found: Vec<String>,
    },
    #[error("could not draw {}: {reason}", path.display())]
    Plot { path: PathBuf, reason: String },
    #[error(transparent)]
    Program(#[from] GraphError),
}

fn not_found_message(looked_for: &std::path::Path, reason: &str, available: &[String]) -> String {
    let listing = if available.is_empty() {
        "nothing loadable is there".to_owned()
    } else {
        format!("available: {}", available.join(", "))
    };
    format!("{}: {reason} ({listing})", looked_for.display())
}
