//! Which network to build, as serialisable data (run configurations and checkpoints). The
//! game builds it (`GameInfo::network`): sizes of inputs and outputs are the game's.

use serde::{Deserialize, Serialize};

/// Widths and depths of a network, checked by [`NetworkSpec::validate`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum NetworkSpec {
    /// Observation → hidden layers → (policy logits, tanh value).
    Mlp { hidden: Vec<usize> },
    /// The clique game's edge-aware GNN (weights independent of n).
    Gnn { hidden: usize, layers: usize },
    /// A residual CNN over a board: `filters` channels, `blocks` residual blocks.
    #[serde(rename = "resnet")]
    ResNet { filters: usize, blocks: usize },
}

/// The widest layer a network may have (MLP and GNN widths, CNN filters).
pub const MAX_WIDTH: usize = 8192;
/// The most layers (MLP hidden layers, GNN layers, residual blocks).
pub const MAX_DEPTH: usize = 64;

/// A network setting out of bounds, naming the flag to change.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{flag} {value} is outside {range}: {hint}")]
pub struct NetworkSpecError {
    pub flag: &'static str,
    pub value: usize,
    pub range: String,
    pub hint: &'static str,
}

impl NetworkSpec {
    pub fn default_mlp() -> Self {
        NetworkSpec::Mlp {
            hidden: vec![256, 256],
        }
    }

    pub fn default_gnn() -> Self {
        NetworkSpec::Gnn {
            hidden: 64,
            layers: 3,
        }
    }

    /// The name `--net` takes.
    pub fn kind(&self) -> &'static str {
        match self {
            NetworkSpec::Mlp { .. } => "mlp",
            NetworkSpec::Gnn { .. } => "gnn",
            NetworkSpec::ResNet { .. } => "resnet",
        }
    }

    /// Checks every width and depth: 1..=[`MAX_WIDTH`] wide, 1..=[`MAX_DEPTH`] deep (a
    /// residual net may have 0 blocks: stem and heads only).
    pub fn validate(&self) -> Result<(), NetworkSpecError> {
        let width = |flag, value: usize| {
            check(flag, value, 1, MAX_WIDTH, "a layer needs at least one unit")
        };
        let depth = |flag, value: usize, least| {
            check(
                flag,
                value,
                least,
                MAX_DEPTH,
                "deeper networks are not supported",
            )
        };
        match self {
            NetworkSpec::Mlp { hidden } => {
                depth("--layers", hidden.len(), 1)?;
                hidden.iter().try_for_each(|&w| width("--hidden", w))
            }
            NetworkSpec::Gnn { hidden, layers } => {
                width("--hidden", *hidden)?;
                depth("--layers", *layers, 1)
            }
            NetworkSpec::ResNet { filters, blocks } => {
                width("--filters", *filters)?;
                depth("--blocks", *blocks, 0)
            }
        }
    }
}

fn check(
    flag: &'static str,
    value: usize,
    least: usize,
    most: usize,
    hint: &'static str,
) -> Result<(), NetworkSpecError> {
    if (least..=most).contains(&value) {
        Ok(())
    } else {
        Err(NetworkSpecError {
            flag,
            value,
            range: format!("{least}..={most}"),
            hint,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_and_depths_out_of_bounds_name_their_flag() {
        assert!(NetworkSpec::default_mlp().validate().is_ok());
        let zero = NetworkSpec::Mlp { hidden: vec![0, 8] };
        assert_eq!(zero.validate().unwrap_err().flag, "--hidden");
        let deep = NetworkSpec::Gnn {
            hidden: 8,
            layers: 65,
        };
        assert_eq!(deep.validate().unwrap_err().flag, "--layers");
        let stem_only = NetworkSpec::ResNet {
            filters: 16,
            blocks: 0,
        };
        assert!(stem_only.validate().is_ok());
        let wide = NetworkSpec::ResNet {
            filters: MAX_WIDTH + 1,
            blocks: 1,
        };
        assert!(
            wide.validate()
                .unwrap_err()
                .to_string()
                .contains("--filters")
        );
    }
}
