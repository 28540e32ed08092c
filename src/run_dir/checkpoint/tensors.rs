//! The tensors file: every persistent value of a program as f32 little-endian tensors in
//! safetensors format, the header's metadata marking each name `parameter` or `state`;
//! and the SHA-256 that ties it to its JSON.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::run_dir::RunDirError;

const PARAMETER_MARK: &str = "parameter";
const STATE_MARK: &str = "state";

/// One tensor of a loaded checkpoint.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredTensor {
    pub name: String,
    pub shape: Vec<usize>,
    /// A parameter (trained) rather than a state (optimizer moments, step, learning rate).
    pub trainable: bool,
    /// Row-major values, `shape.iter().product()` of them.
    pub values: Vec<f32>,
}

/// `tensors` as a safetensors file's bytes.
pub(super) fn encode_tensors(
    tensors: &[StoredTensor],
    directory: &Path,
) -> Result<Vec<u8>, RunDirError> {
    let mut bytes_by_name = BTreeMap::new();
    let mut marks = HashMap::new();
    for tensor in tensors {
        let bytes: Vec<u8> = tensor
            .values
            .iter()
            .flat_map(|value| value.to_le_bytes())
            .collect();
        let mark = if tensor.trainable {
            PARAMETER_MARK
        } else {
            STATE_MARK
        };
        marks.insert(tensor.name.clone(), mark.to_owned());
        bytes_by_name.insert(tensor.name.clone(), (tensor.shape.clone(), bytes));
    }
    let mut views = Vec::with_capacity(bytes_by_name.len());
    for (name, (shape, bytes)) in &bytes_by_name {
        let view =
            safetensors::tensor::TensorView::new(safetensors::Dtype::F32, shape.clone(), bytes)
                .map_err(|error| RunDirError::Corrupt {
                    path: directory.to_path_buf(),
                    reason: format!("the program's {name:?} does not match its shape: {error}"),
                })?;
        views.push((name.as_str(), view));
    }
    safetensors::serialize(views, Some(marks)).map_err(|error| RunDirError::Corrupt {
        path: directory.to_path_buf(),
        reason: format!("the tensors cannot be written as safetensors: {error}"),
    })
}

/// Parses a safetensors file written by [`encode_tensors`].
pub(super) fn decode_tensors(bytes: &[u8]) -> Result<Vec<StoredTensor>, String> {
    let bad = |error: safetensors::SafeTensorError| format!("bad safetensors data: {error}");
    let (_, metadata) = safetensors::SafeTensors::read_metadata(bytes).map_err(bad)?;
    let marks = metadata.metadata().clone().unwrap_or_default();
    let file = safetensors::SafeTensors::deserialize(bytes).map_err(bad)?;
    let mut tensors = Vec::with_capacity(file.len());
    for (name, view) in file.iter() {
        if view.dtype() != safetensors::Dtype::F32 {
            return Err(format!(
                "tensor {name:?} is {:?}; wgzero checkpoints hold f32",
                view.dtype()
            ));
        }
        let trainable = match marks.get(name).map(String::as_str) {
            Some(PARAMETER_MARK) => true,
            Some(STATE_MARK) => false,
            _ => {
                return Err(format!(
                    "tensor {name:?} is not marked {PARAMETER_MARK:?} or {STATE_MARK:?} in \
                     the header's metadata"
                ));
            }
        };
        let values = view
            .data()
            .chunks_exact(4)
            .map(|chunk| f32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]))
            .collect();
        tensors.push(StoredTensor {
            name: name.to_owned(),
            shape: view.shape().to_vec(),
            trainable,
            values,
        });
    }
    tensors.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(tensors)
}

/// Lowercase hex SHA-256.
pub(super) fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}
