//! Chess as the training loop sees it ([`Game`] for [`ChessConfig`]): the full rules from
//! the standard start, the AlphaZero action encoding and observation planes, and the
//! networks that fit them. Its rules inside the GPU search ([`crate::games::GpuGame`]) are
//! in [`super::search`].

use serde::{Deserialize, Serialize};

use super::encoding::{MOVE_TYPES, NUM_ACTIONS, OBSERVATION_LEN, OBSERVATION_PLANES};
use super::{ChessGame, DEFAULT_PLY_CAP};
use crate::games::{Game, GameError, GameInfo, GpuGame, PlayDefaults};
use crate::nn::Network;
use crate::nn::mlp::Mlp;
use crate::nn::resnet::ResNet;
use crate::nn::spec::NetworkSpec;

/// The longest chess game a run may play before it is scored as a draw.
pub const MAX_PLY_CAP: u32 = 2048;

/// Width of the residual net's value head.
const VALUE_HIDDEN: usize = 64;

/// Chess as a training game: the full rules from the standard start, a game stopped and
/// scored as a draw after `ply_cap` plies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ChessConfig {
    pub ply_cap: u32,
}

impl Default for ChessConfig {
    fn default() -> Self {
        Self {
            ply_cap: DEFAULT_PLY_CAP,
        }
    }
}

impl ChessConfig {
    /// A checked configuration: 1 ≤ `ply_cap` ≤ [`MAX_PLY_CAP`].
    pub fn new(ply_cap: u32) -> Result<Self, GameError> {
        if !(1..=MAX_PLY_CAP).contains(&ply_cap) {
            return Err(GameError::InvalidConfig(format!(
                "--ply-cap {ply_cap} is outside 1..={MAX_PLY_CAP}"
            )));
        }
        Ok(Self { ply_cap })
    }

    /// The residual net `filters` × `blocks` over the 8 × 8 board planes.
    pub fn resnet(filters: usize, blocks: usize) -> ResNet {
        ResNet {
            height: 8,
            width: 8,
            input_planes: OBSERVATION_PLANES,
            filters,
            blocks,
            policy_planes: MOVE_TYPES,
            value_hidden: VALUE_HIDDEN,
        }
    }
}

impl GameInfo for ChessConfig {
    fn label(&self) -> String {
        if self.ply_cap == DEFAULT_PLY_CAP {
            "chess".to_owned()
        } else {
            format!("chess-cap{}", self.ply_cap)
        }
    }

    fn num_actions(&self) -> usize {
        NUM_ACTIONS
    }

    fn observation_len(&self) -> usize {
        OBSERVATION_LEN
    }

    fn max_game_length(&self) -> u32 {
        self.ply_cap
    }

    fn network(&self, spec: &NetworkSpec) -> Result<Box<dyn Network>, GameError> {
        match spec {
            NetworkSpec::ResNet { filters, blocks } => {
                Ok(Box::new(Self::resnet(*filters, *blocks)))
            }
            NetworkSpec::Mlp { hidden } => Ok(Box::new(Mlp {
                input: OBSERVATION_LEN,
                hidden: hidden.clone(),
                actions: NUM_ACTIONS,
            })),
            NetworkSpec::Gnn { .. } => Err(GameError::InvalidConfig(
                "--net gnn is the clique game's edge network; chess takes --net resnet (or mlp)"
                    .into(),
            )),
        }
    }

    fn network_descriptor(&self, spec: &NetworkSpec) -> serde_json::Value {
        match spec {
            NetworkSpec::ResNet { filters, blocks } => serde_json::json!({
                "kind": "resnet", "filters": filters, "blocks": blocks,
                "input_planes": OBSERVATION_PLANES, "policy_planes": MOVE_TYPES,
                "value_hidden": VALUE_HIDDEN,
            }),
            NetworkSpec::Mlp { hidden } => serde_json::json!({
                "kind": "mlp", "hidden": hidden, "input": OBSERVATION_LEN, "actions": NUM_ACTIONS,
            }),
            NetworkSpec::Gnn { hidden, layers } => serde_json::json!({
                "kind": "gnn", "hidden": hidden, "layers": layers,
            }),
        }
    }

    fn play_defaults(&self) -> PlayDefaults {
        PlayDefaults {
            network: NetworkSpec::ResNet {
                filters: 64,
                blocks: 6,
            },
            games_in_flight: 64,
            // Games of a barely trained network last a few hundred plies; an iteration
            // plays enough of them that games finish and training starts in the first ones.
            moves_per_iteration: 256,
            // Every ply sampled in proportion to the visits. AlphaZero sampled the first 30
            // only; from zero with 32 simulations that ended 76 of the 87 self-play games
            // recorded in 5.5 H100-minutes by threefold repetition, and made the value
            // target 0 nearly everywhere (docs/CHESS.md, "Training chess").
            temperature_moves: self.ply_cap,
            random_opening: 0,
            // A record holds the 7,616-float observation and dense 4,672-move policy and mask
            // rows (68 KB): 3.4 GB when full.
            replay_capacity: 50_000,
            // Games against the random mover can last the whole ply cap.
            evaluation_games: 20,
        }
    }

    fn runs_on_gpu_search(&self) -> bool {
        true
    }
}

impl Game for ChessConfig {
    type State = ChessGame;

    fn initial_state(&self) -> ChessGame {
        ChessGame::default().with_ply_cap(self.ply_cap)
    }

    fn gpu(&self) -> Option<&dyn GpuGame> {
        Some(self)
    }
}
