//! Checkpoints: every persistent tensor of a compiled program (parameters and optimizer
//! state) in a safetensors file, and the rest of the run's state in a JSON file that names
//! the tensors file and holds its SHA-256.
//!
//! Layout, inside `<run dir>/checkpoints/`:
//! - `ckpt-<iteration:08>.safetensors`: f32 little-endian tensors by name; the header's
//!   metadata marks each name `parameter` or `state`.
//! - `ckpt-<iteration:08>.json`: a [`CheckpointRecord`].
//!
//! There is no pointer file. The latest checkpoint is the highest iteration with a JSON
//! file, and it is what a run hands out (`--checkpoint RUN`: docs/TRAINING.md says why
//! there is no gating). The store keeps the last N checkpoints and deletes older ones.
//!
//! Crash safety. A save writes the tensors file atomically (temporary file, fsync,
//! rename, fsync of the directory), then the JSON the same way: the JSON's rename is the
//! commit point. Before it, the new checkpoint does not exist for readers (an orphan
//! tensors file is ignored and removed later); after it, it is complete and durable.
//! Old checkpoints are deleted only after that, JSON first, so a half-deleted one is an
//! ignored orphan too. Whatever instant a writer dies, the
//! directory holds the previous complete checkpoint or the new one; loading checks the
//! SHA-256, so a pair that does not belong together is reported, never loaded.

mod layout;
mod tensors;

use std::collections::HashMap;
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::metrics::IterationMetrics;
use super::{RunDirError, durable};
use crate::graph::{Graph, Program};
use crate::storage;
pub use layout::{CHECKPOINTS_DIRECTORY, latest_iteration, locate};
use layout::{
    JSON_EXTENSION, TENSORS_EXTENSION, checkpoint_names, file_name, file_path, list_checkpoints,
    list_files,
};
pub use tensors::StoredTensor;
use tensors::{decode_tensors, encode_tensors, sha256_hex};

/// The JSON format this code writes.
pub const FORMAT_VERSION: u64 = 2;
/// The formats it reads: 1 (written with gating: its `best_iteration` is ignored, the
/// latest checkpoint is what a run hands out) and 2.
pub const READABLE_VERSIONS: [u64; 2] = [1, 2];

/// What a program expects from a checkpoint, checked by [`Checkpoint::restore`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Restore {
    /// A training step being resumed: the checkpoint and the program hold the same
    /// tensors, parameters and optimizer state alike.
    Training,
    /// An inference program: every tensor it has comes from the checkpoint; the
    /// checkpoint's other states (the optimizer's) are not needed, but a parameter the
    /// program lacks means another network and is an error.
    Inference,
}

/// The run's state besides the tensors, as the trainer hands it to
/// [`CheckpointStore::save`]. The JSON values are the trainer's business; `network` must
/// hold exactly what decides the weights' meaning (kind, widths, depths; for the edge
/// GNN not n, since its weights do not depend on it): loading compares it field by field.
#[derive(Clone, Copy, Debug)]
pub struct RunState<'a> {
    pub iteration: u64,
    pub network: &'a Value,
    pub config: &'a Value,
    pub rng_state: &'a Value,
    /// The metric history up to and including this iteration.
    pub metrics: &'a [IterationMetrics],
    /// Wall time of the run so far, seconds, summed over resumed sessions.
    pub elapsed_seconds: f64,
}

/// The JSON half of a checkpoint.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckpointRecord {
    pub format_version: u64,
    pub iteration: u64,
    pub network: Value,
    pub config: Value,
    pub rng_state: Value,
    #[serde(deserialize_with = "super::metrics::number_or_nan")]
    pub elapsed_seconds: f64,
    /// When it was written, seconds since the Unix epoch.
    pub saved_at_unix_seconds: u64,
    /// The tensors file's name, in the same directory.
    pub tensors_file: String,
    pub tensors_bytes: u64,
    /// SHA-256 of the tensors file, lowercase hex.
    pub tensors_sha256: String,
    pub metrics: Vec<IterationMetrics>,
}

/// Where a save went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SavedCheckpoint {
    pub iteration: u64,
    /// The JSON file: what `--checkpoint` accepts.
    pub path: PathBuf,
}

/// The writer of a run's checkpoints. One writer per run directory at a time.
#[derive(Debug)]
pub struct CheckpointStore {
    directory: PathBuf,
    keep_last: NonZeroUsize,
    latest_iteration: Option<u64>,
}

impl CheckpointStore {
    /// Opens (creating it if needed) `<run_dir>/checkpoints/`, which will keep the last
    /// `keep_last` checkpoints. Removes temporary files a killed writer left.
    pub fn open(run_dir: &Path, keep_last: NonZeroUsize) -> Result<Self, RunDirError> {
        let directory = run_dir.join(CHECKPOINTS_DIRECTORY);
        durable::create_directory(&directory)?;
        durable::remove_temporaries(&directory)?;
        let latest_iteration = match list_checkpoints(&directory)?.last() {
            // Read, so that a damaged latest checkpoint is reported now, not overwritten.
            Some((iteration, path)) => read_record(path).map(|_| Some(*iteration))?,
            None => None,
        };
        Ok(Self {
            directory,
            keep_last,
            latest_iteration,
        })
    }

    /// The `checkpoints/` folder.
    pub fn directory(&self) -> &Path {
        &self.directory
    }

    /// The highest saved iteration; a new save must be after it.
    pub fn latest_iteration(&self) -> Option<u64> {
        self.latest_iteration
    }

    /// Saves `tensors` (every persistent value of the training step: see
    /// [`snapshot_tensors`]) and `state`, durably, then deletes the checkpoints that fall
    /// out of the last `keep_last`. `state.iteration` must be after the latest.
    pub fn save(
        &mut self,
        state: &RunState<'_>,
        tensors: &[StoredTensor],
    ) -> Result<SavedCheckpoint, RunDirError> {
        if let Some(latest) = self.latest_iteration
            && state.iteration <= latest
        {
            return Err(RunDirError::IterationNotAfterLatest {
                directory: self.directory.clone(),
                iteration: state.iteration,
                latest,
            });
        }
        let saved = write_pair(&self.directory, state, tensors)?;
        self.latest_iteration = Some(state.iteration);

        self.remove_old()?;
        Ok(saved)
    }

    /// Deletes the checkpoints outside the last `keep_last`, JSON first, and tensors files
    /// without a JSON (left by a crash).
    fn remove_old(&self) -> Result<(), RunDirError> {
        let checkpoints = list_checkpoints(&self.directory)?;
        let first_kept = checkpoints.len().saturating_sub(self.keep_last.get());
        let mut kept = Vec::new();
        for (index, (iteration, json_path)) in checkpoints.iter().enumerate() {
            if index >= first_kept {
                kept.push(*iteration);
            } else {
                durable::remove_file(json_path)?;
            }
        }
        for (iteration, tensors_path) in list_files(&self.directory, TENSORS_EXTENSION)? {
            if !kept.contains(&iteration) {
                durable::remove_file(&tensors_path)?;
            }
        }
        durable::sync_directory(&self.directory)
    }
}

/// A loaded checkpoint whose tensors file matched its SHA-256.
#[derive(Clone, Debug)]
pub struct Checkpoint {
    path: PathBuf,
    record: CheckpointRecord,
    tensors: Vec<StoredTensor>,
}

impl Checkpoint {
    /// Loads from what a user names: a run directory or its `checkpoints/` folder (the
    /// latest checkpoint), or a checkpoint's `.json` or `.safetensors` file.
    ///
    /// A run being trained may save a newer checkpoint and delete an old one between the
    /// lookup and the read: the lookup is then repeated (twice at most).
    pub fn load(path: &Path) -> Result<Self, RunDirError> {
        let mut json_path = locate(path)?;
        let mut attempts = 1;
        loop {
            let error = match Self::load_file(&json_path) {
                Ok(checkpoint) => return Ok(checkpoint),
                Err(error) => error,
            };
            match locate(path) {
                Ok(moved) if moved != json_path && attempts < 3 => json_path = moved,
                _ => return Err(error),
            }
            attempts += 1;
        }
    }

    /// Loads the checkpoint whose JSON file is `json_path`, checking the tensors file's
    /// size and SHA-256.
    pub fn load_file(json_path: &Path) -> Result<Self, RunDirError> {
        let record = read_record(json_path)?;
        let corrupt = |path: &Path, reason: String| RunDirError::Corrupt {
            path: path.to_path_buf(),
            reason,
        };
        if record.tensors_file.contains(['/', '\\']) || record.tensors_file.starts_with('.') {
            return Err(corrupt(
                json_path,
                format!(
                    "its tensors file {:?} is not a file name in the same folder",
                    record.tensors_file
                ),
            ));
        }
        let tensors_path = json_path.with_file_name(&record.tensors_file);
        let bytes = match storage::read_file(&tensors_path) {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return Err(corrupt(
                    json_path,
                    format!("its tensors file {} is missing", tensors_path.display()),
                ));
            }
            Err(source) => {
                return Err(RunDirError::Io {
                    action: "read",
                    path: tensors_path,
                    source,
                });
            }
        };
        let tensors = check_tensors(&record, &bytes, json_path, &tensors_path)?;
        Ok(Self {
            path: json_path.to_path_buf(),
            record,
            tensors,
        })
    }

    /// A checkpoint from its two files' bytes in memory (embedded in the program with
    /// `include_bytes!`, or fetched by a browser): `json` is the JSON file, `tensors` the
    /// safetensors file it names, checked as [`Checkpoint::load_file`] checks files (format
    /// version, size and SHA-256, then the tensors' format). `label` names it in messages
    /// and is what [`Checkpoint::path`] returns, such as `bundled:clique-n6-k3-avoid`.
    pub fn from_bytes(label: &str, json: &[u8], tensors: &[u8]) -> Result<Self, RunDirError> {
        let label = Path::new(label);
        let record = parse_record(json, label)?;
        let tensors = check_tensors(&record, tensors, label, label)?;
        Ok(Self {
            path: label.to_path_buf(),
            record,
            tensors,
        })
    }

    /// Writes a copy of this checkpoint for inference into `directory` (created if
    /// missing; it must hold no checkpoint yet), under the usual names
    /// (`ckpt-<iteration:08>.{safetensors,json}`), written as a run's are: the parameters
    /// without the optimizer state, the metrics of the last iteration only, the rest as
    /// it is. The copy loads and verifies as any checkpoint and restores inference
    /// programs ([`Restore::Inference`]); without the optimizer state it cannot resume a
    /// run. About a third of the tensors' size for Adam, and the JSON stays small however
    /// long the run was.
    pub fn export_for_inference(&self, directory: &Path) -> Result<SavedCheckpoint, RunDirError> {
        durable::create_directory(directory)?;
        let found: Vec<String> = [JSON_EXTENSION, TENSORS_EXTENSION]
            .into_iter()
            .map(|extension| list_files(directory, extension))
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .flatten()
            .map(|(iteration, path)| {
                let extension = path.extension().and_then(|e| e.to_str()).unwrap_or("");
                file_name(iteration, extension)
            })
            .collect();
        if !found.is_empty() {
            return Err(RunDirError::NotEmpty {
                directory: directory.to_path_buf(),
                found,
            });
        }
        let parameters: Vec<StoredTensor> = self
            .tensors
            .iter()
            .filter(|tensor| tensor.trainable)
            .cloned()
            .collect();
        let record = &self.record;
        let last_metrics = record.metrics.last().map(std::slice::from_ref);
        let state = RunState {
            iteration: record.iteration,
            network: &record.network,
            config: &record.config,
            rng_state: &record.rng_state,
            metrics: last_metrics.unwrap_or_default(),
            elapsed_seconds: record.elapsed_seconds,
        };
        write_pair(directory, &state, &parameters)
    }

    /// The JSON file it was loaded from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn record(&self) -> &CheckpointRecord {
        &self.record
    }

    /// Its tensors, sorted by name.
    pub fn tensors(&self) -> &[StoredTensor] {
        &self.tensors
    }

    /// Writes the checkpoint's tensors into `program` (compiled from `graph`) after
    /// [`Checkpoint::check`]ing that they fit. Nothing is written unless everything fits.
    /// The optimizer's states include `optimizer.learning_rate`: a run resumed with
    /// another learning rate writes it after restoring.
    pub fn restore(
        &self,
        network: &Value,
        graph: &Graph,
        program: &mut Program,
        restore: Restore,
    ) -> Result<(), RunDirError> {
        let saved = self.check(network, graph, restore)?;
        for tensor in saved {
            program.write(&tensor.name, &tensor.values)?;
        }
        Ok(())
    }

    /// Checks that the checkpoint fits a program compiled from `graph` for the network
    /// `network` describes: the descriptors must be equal, and the tensors' names and
    /// shapes match as `restore` says. Returns the tensors the program takes, in
    /// [`Graph::persistent_values`] order; the error names the first difference.
    pub fn check(
        &self,
        network: &Value,
        graph: &Graph,
        restore: Restore,
    ) -> Result<Vec<&StoredTensor>, RunDirError> {
        let incompatible = |difference: String| RunDirError::Incompatible {
            path: self.path.clone(),
            difference,
        };
        if let Some(difference) = first_difference("network", &self.record.network, network) {
            return Err(incompatible(difference));
        }
        let saved: HashMap<&str, &StoredTensor> = self
            .tensors
            .iter()
            .map(|tensor| (tensor.name.as_str(), tensor))
            .collect();
        let wanted = graph.persistent_values();
        for (name, shape, trainable) in &wanted {
            let kind = if *trainable { "parameter" } else { "state" };
            match saved.get(name.as_str()) {
                None => {
                    return Err(incompatible(format!(
                        "the program's {kind} {name:?} {shape:?} is not in the checkpoint"
                    )));
                }
                Some(tensor) if tensor.shape != shape.dims() => {
                    return Err(incompatible(format!(
                        "{kind} {name:?} has shape {:?} in the checkpoint but {shape:?} in \
                         the program",
                        tensor.shape
                    )));
                }
                Some(_) => {}
            }
        }
        for tensor in &self.tensors {
            let in_program = wanted.iter().any(|(name, _, _)| *name == tensor.name);
            let needed = match restore {
                Restore::Training => true,
                Restore::Inference => tensor.trainable,
            };
            if !in_program && needed {
                let kind = if tensor.trainable {
                    "parameter"
                } else {
                    "optimizer state"
                };
                return Err(incompatible(format!(
                    "the checkpoint's {kind} {:?} {:?} is not in the program",
                    tensor.name, tensor.shape
                )));
            }
        }
        Ok(wanted
            .iter()
            .map(|(name, _, _)| saved[name.as_str()])
            .collect())
    }
}

/// The persistent values of `graph` (in [`Graph::persistent_values`] order) with `values`,
/// the values read from its program in that order, as checkpoint tensors.
pub fn snapshot_tensors(graph: &Graph, values: Vec<Vec<f32>>) -> Vec<StoredTensor> {
    graph
        .persistent_values()
        .into_iter()
        .zip(values)
        .map(|((name, shape, trainable), values)| StoredTensor {
            name,
            shape: shape.dims().to_vec(),
            trainable,
            values,
        })
        .collect()
}

/// Checks a tensors file's bytes against its record (size, then SHA-256) and decodes
/// them; `json_path` and `tensors_path` name the two files in errors.
fn check_tensors(
    record: &CheckpointRecord,
    bytes: &[u8],
    json_path: &Path,
    tensors_path: &Path,
) -> Result<Vec<StoredTensor>, RunDirError> {
    let corrupt = |reason: String| RunDirError::Corrupt {
        path: tensors_path.to_path_buf(),
        reason,
    };
    if bytes.len() as u64 != record.tensors_bytes {
        return Err(corrupt(format!(
            "it has {} bytes where {} says {} (truncated or replaced)",
            bytes.len(),
            json_path.display(),
            record.tensors_bytes
        )));
    }
    let hash = sha256_hex(bytes);
    if hash != record.tensors_sha256 {
        return Err(corrupt(format!(
            "its SHA-256 is {hash} where {} says {} (damaged, or not this checkpoint's \
             tensors)",
            json_path.display(),
            record.tensors_sha256
        )));
    }
    decode_tensors(bytes).map_err(corrupt)
}

/// Writes a checkpoint of `state` and `tensors` into `directory` durably: the tensors
/// file, then the JSON, whose rename is the commit point.
fn write_pair(
    directory: &Path,
    state: &RunState<'_>,
    tensors: &[StoredTensor],
) -> Result<SavedCheckpoint, RunDirError> {
    let tensors = encode_tensors(tensors, directory)?;
    let tensors_path = file_path(directory, state.iteration, TENSORS_EXTENSION);
    durable::write_atomically(&tensors_path, &tensors)?;

    let record = CheckpointRecord {
        format_version: FORMAT_VERSION,
        iteration: state.iteration,
        network: state.network.clone(),
        config: state.config.clone(),
        rng_state: state.rng_state.clone(),
        elapsed_seconds: state.elapsed_seconds,
        saved_at_unix_seconds: web_time::SystemTime::now()
            .duration_since(web_time::UNIX_EPOCH)
            .map_or(0, |since| since.as_secs()),
        tensors_file: file_name(state.iteration, TENSORS_EXTENSION),
        tensors_bytes: tensors.len() as u64,
        tensors_sha256: sha256_hex(&tensors),
        metrics: state.metrics.to_vec(),
    };
    let json_path = file_path(directory, state.iteration, JSON_EXTENSION);
    let json = serde_json::to_vec_pretty(&record).map_err(|error| RunDirError::Corrupt {
        path: json_path.clone(),
        reason: format!("the run state cannot be written as JSON: {error}"),
    })?;
    // The commit point: from here on the new checkpoint exists, complete.
    durable::write_atomically(&json_path, &json)?;
    Ok(SavedCheckpoint {
        iteration: state.iteration,
        path: json_path,
    })
}

/// Reads and checks a checkpoint's JSON file.
fn read_record(json_path: &Path) -> Result<CheckpointRecord, RunDirError> {
    let bytes = match storage::read_file(json_path) {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            let directory = json_path.parent().unwrap_or(Path::new("."));
            return Err(RunDirError::NotFound {
                looked_for: json_path.to_path_buf(),
                reason: "no such checkpoint".to_owned(),
                available: checkpoint_names(directory),
            });
        }
        Err(source) => {
            return Err(RunDirError::Io {
                action: "read",
                path: json_path.to_path_buf(),
                source,
            });
        }
    };
    parse_record(&bytes, json_path)
}

/// Parses and checks a checkpoint's JSON; `json_path` names it in errors.
fn parse_record(bytes: &[u8], json_path: &Path) -> Result<CheckpointRecord, RunDirError> {
    let corrupt = |reason: String| RunDirError::Corrupt {
        path: json_path.to_path_buf(),
        reason,
    };
    let value: Value =
        serde_json::from_slice(bytes).map_err(|error| corrupt(format!("bad JSON: {error}")))?;
    let version = value
        .get("format_version")
        .and_then(Value::as_u64)
        .ok_or_else(|| corrupt("it has no format_version: not a wgzero checkpoint".to_owned()))?;
    if !READABLE_VERSIONS.contains(&version) {
        return Err(RunDirError::UnsupportedVersion {
            path: json_path.to_path_buf(),
            found: version,
            supported: FORMAT_VERSION,
        });
    }
    serde_json::from_value(value).map_err(|error| corrupt(format!("bad checkpoint JSON: {error}")))
}

/// The first place where two JSON values differ (keys in sorted order), as
/// `network.hidden is 64 in the checkpoint but 32 for this program`.
fn first_difference(path: &str, saved: &Value, wanted: &Value) -> Option<String> {
    match (saved, wanted) {
        (Value::Object(saved_map), Value::Object(wanted_map)) => {
            let keys: std::collections::BTreeSet<&String> =
                saved_map.keys().chain(wanted_map.keys()).collect();
            keys.into_iter().find_map(|key| {
                let inner = format!("{path}.{key}");
                match (saved_map.get(key), wanted_map.get(key)) {
                    (Some(a), Some(b)) => first_difference(&inner, a, b),
                    (None, Some(b)) => Some(format!(
                        "{inner} is absent in the checkpoint but {b} for this program"
                    )),
                    (Some(a), None) => Some(format!(
                        "{inner} is {a} in the checkpoint but absent for this program"
                    )),
                    (None, None) => None,
                }
            })
        }
        (Value::Array(saved_items), Value::Array(wanted_items))
            if saved_items.len() == wanted_items.len() =>
        {
            saved_items
                .iter()
                .zip(wanted_items)
                .enumerate()
                .find_map(|(index, (a, b))| first_difference(&format!("{path}[{index}]"), a, b))
        }
        _ if saved == wanted => None,
        _ => Some(format!(
            "{path} is {saved} in the checkpoint but {wanted} for this program"
        )),
    }
}
