//! The witness search on disk: `<run dir>/ramsey/search.json`, the whole state of a search
//! (every chain's colouring, random numbers, temperature or tabu list and counters; the
//! start colourings; the witness classes found; the time searched), replaced atomically
//! (`run_dir::durable::write_atomically`), so a kill at any moment leaves either the
//! previous checkpoint or the new one and loses at most the steps since it.
//!
//! The witnesses themselves are also appended to the run's archive
//! (`ramsey/counterexamples.jsonl`) the moment they are found.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::RamseyError;
use super::search::{Method, SearchSnapshot};
use super::witnesses::WitnessEntry;
use crate::run_dir::durable;

/// The checkpoint inside a run directory.
pub const CHECKPOINT_FILE: &str = "ramsey/search.json";

/// The format written; a reader refuses other versions.
pub const FORMAT_VERSION: u32 = 1;

/// Everything needed to continue a search.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SearchCheckpoint {
    pub format_version: u32,
    pub method: Method,
    pub search: SearchSnapshot,
    /// Seconds spent searching by every run of this search so far.
    pub elapsed_seconds: f64,
    /// Witness classes found so far, in order of discovery.
    pub witnesses: Vec<WitnessEntry>,
}

/// `<run_dir>/ramsey/search.json`.
pub fn checkpoint_path(run_dir: &Path) -> PathBuf {
    run_dir.join(CHECKPOINT_FILE)
}

/// Writes the checkpoint atomically (creating `ramsey/` if needed).
pub fn save(run_dir: &Path, checkpoint: &SearchCheckpoint) -> Result<(), RamseyError> {
    let path = checkpoint_path(run_dir);
    if let Some(directory) = path.parent() {
        durable::create_directory(directory)?;
    }
    let text = serde_json::to_string(checkpoint).map_err(|error| RamseyError::BadCheckpoint {
        path: path.clone(),
        reason: error.to_string(),
    })?;
    durable::write_atomically(&path, text.as_bytes())?;
    Ok(())
}

/// The checkpoint of `run_dir`, or `None` when there is none.
pub fn load(run_dir: &Path) -> Result<Option<SearchCheckpoint>, RamseyError> {
    let path = checkpoint_path(run_dir);
    let Some(bytes) = durable::read_bytes(&path)? else {
        return Ok(None);
    };
    let bad = |reason: String| RamseyError::BadCheckpoint {
        path: path.clone(),
        reason,
    };
    let checkpoint: SearchCheckpoint =
        serde_json::from_slice(&bytes).map_err(|error| bad(error.to_string()))?;
    if checkpoint.format_version != FORMAT_VERSION {
        return Err(bad(format!(
            "format version {} (this program reads {FORMAT_VERSION})",
            checkpoint.format_version
        )));
    }
    Ok(Some(checkpoint))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ramsey::Problem;
    use crate::ramsey::search::Search;

    #[test]
    fn a_saved_checkpoint_loads_back_equal_and_a_damaged_one_is_an_error() {
        let dir =
            std::env::temp_dir().join(format!("wgzero-ramsey-checkpoint-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(load(&dir).unwrap(), None);
        let problem = Problem::new(10, 3, 4).unwrap();
        for method in [Method::Anneal, Method::Tabu] {
            let mut search =
                Search::new(problem, method.default_settings(&problem), 4, 2, Vec::new());
            search.advance(500).unwrap();
            let checkpoint = SearchCheckpoint {
                format_version: FORMAT_VERSION,
                method,
                search: search.snapshot(),
                elapsed_seconds: 1.25,
                witnesses: Vec::new(),
            };
            save(&dir, &checkpoint).unwrap();
            assert_eq!(load(&dir).unwrap(), Some(checkpoint));
        }
        std::fs::write(checkpoint_path(&dir), "{\"format_version\":1,").unwrap();
        let error = load(&dir).unwrap_err().to_string();
        assert!(
            error.contains("search.json") && error.contains("delete it"),
            "{error}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
