//! Where checkpoints lie: `<run dir>/checkpoints/ckpt-<iteration:08>.{json,safetensors}`,
//! how the folder is listed, and how what a user names (a run directory, its checkpoints
//! folder, either file of a checkpoint) resolves to a checkpoint's JSON file.

use std::path::{Path, PathBuf};

use crate::run_dir::RunDirError;
use crate::storage;

/// The folder of a run directory that holds the checkpoints.
pub const CHECKPOINTS_DIRECTORY: &str = "checkpoints";

const PREFIX: &str = "ckpt-";
pub(super) const JSON_EXTENSION: &str = "json";
pub(super) const TENSORS_EXTENSION: &str = "safetensors";

/// Resolves what a user names to a checkpoint's JSON file (a run directory's latest): see
/// [`Checkpoint::load`](super::Checkpoint::load).
pub fn locate(path: &Path) -> Result<PathBuf, RunDirError> {
    let not_found = |reason: &str, available: Vec<String>| RunDirError::NotFound {
        looked_for: path.to_path_buf(),
        reason: reason.to_owned(),
        available,
    };
    if storage::is_file(path) {
        let directory = path.parent().unwrap_or(Path::new("."));
        return match path.extension().and_then(|extension| extension.to_str()) {
            Some(JSON_EXTENSION) => Ok(path.to_path_buf()),
            Some(TENSORS_EXTENSION) => {
                let json_path = path.with_extension(JSON_EXTENSION);
                if storage::is_file(&json_path) {
                    Ok(json_path)
                } else {
                    Err(not_found(
                        "a .safetensors file is loaded through its .json partner, which is \
                         missing",
                        checkpoint_names(directory),
                    ))
                }
            }
            _ => Err(not_found(
                "a checkpoint is a run directory or a .json or .safetensors checkpoint file",
                checkpoint_names(directory),
            )),
        };
    }
    if !storage::is_dir(path) {
        let parent = match path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        let mut available = run_directories(parent);
        available.extend(checkpoint_names(parent));
        return Err(not_found("no such file or directory", available));
    }
    let directory = if storage::is_dir(path.join(CHECKPOINTS_DIRECTORY)) {
        path.join(CHECKPOINTS_DIRECTORY)
    } else if !list_checkpoints(path)?.is_empty() {
        path.to_path_buf()
    } else {
        return Err(not_found(
            "not a run directory: it has no checkpoints/ folder",
            run_directories(path),
        ));
    };
    let checkpoints = list_checkpoints(&directory)?;
    let Some((_, latest)) = checkpoints.last() else {
        return Err(not_found("the run has no checkpoint yet", Vec::new()));
    };
    Ok(latest.clone())
}

pub(super) fn file_name(iteration: u64, extension: &str) -> String {
    format!("{PREFIX}{iteration:08}.{extension}")
}

pub(super) fn file_path(directory: &Path, iteration: u64, extension: &str) -> PathBuf {
    directory.join(file_name(iteration, extension))
}

/// The iteration of a `ckpt-<digits>.<extension>` file name.
fn parse_file_name(name: &str, extension: &str) -> Option<u64> {
    let digits = name
        .strip_prefix(PREFIX)?
        .strip_suffix(extension)?
        .strip_suffix('.')?;
    if digits.is_empty() || !digits.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// The `ckpt-*.<extension>` files of `directory`, by increasing iteration.
pub(super) fn list_files(
    directory: &Path,
    extension: &str,
) -> Result<Vec<(u64, PathBuf)>, RunDirError> {
    let entries = storage::read_dir(directory).map_err(|source| RunDirError::Io {
        action: "list",
        path: directory.to_path_buf(),
        source,
    })?;
    let mut found = Vec::new();
    for entry in entries {
        if let Some(iteration) = entry
            .file_name()
            .and_then(|name| name.to_str())
            .and_then(|name| parse_file_name(name, extension))
        {
            found.push((iteration, entry));
        }
    }
    found.sort();
    Ok(found)
}

/// The iteration of the latest complete checkpoint in `run_dir`, if any (what a resume
/// continues from).
pub fn latest_iteration(run_dir: &Path) -> Option<u64> {
    let checkpoints = list_checkpoints(&run_dir.join(CHECKPOINTS_DIRECTORY)).ok()?;
    checkpoints.last().map(|(iteration, _)| *iteration)
}

/// The complete checkpoints (their JSON files) of `directory`, by increasing iteration.
pub(super) fn list_checkpoints(directory: &Path) -> Result<Vec<(u64, PathBuf)>, RunDirError> {
    list_files(directory, JSON_EXTENSION)
}

/// The checkpoint JSON names in `directory`, for error messages.
pub(super) fn checkpoint_names(directory: &Path) -> Vec<String> {
    list_checkpoints(directory)
        .unwrap_or_default()
        .into_iter()
        .map(|(iteration, _)| file_name(iteration, JSON_EXTENSION))
        .collect()
}

/// The run directories (folders with a `checkpoints/` folder) in `directory`, for error
/// messages.
fn run_directories(directory: &Path) -> Vec<String> {
    let Ok(entries) = storage::read_dir(directory) else {
        return Vec::new();
    };
    let mut found: Vec<String> = entries
        .into_iter()
        .filter(|path| storage::is_dir(path.join(CHECKPOINTS_DIRECTORY)))
        .map(|path| path.display().to_string())
        .collect();
    found.sort();
    found
}
