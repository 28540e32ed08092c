//! A training run's settings, with defaults that train the clique game out of the box.

use serde::{Deserialize, Serialize};

use crate::games::clique::{CliqueConfig, Mode};
use crate::nn::spec::NetworkSpec;
use crate::search::{FirstPlayUrgency, RootPolicy, SearchConfig};

/// Everything that defines a run (saved in every checkpoint).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    pub game: CliqueConfig,
    pub network: NetworkSpec,
    /// Games played at once.
    pub games_in_flight: u32,
    pub search: SearchConfig,
    /// Moves sampled in proportion to visit counts at the start of each game; greedy after.
    pub temperature_moves: u32,
    /// Positions the replay buffer holds.
    pub replay_capacity: u64,
    /// Self-play moves (per game in flight) per iteration.
    pub moves_per_iteration: u32,
    /// Training steps per iteration.
    pub train_steps_per_iteration: u32,
    pub batch_size: u32,
    pub learning_rate: f32,
    pub l2: f32,
    /// Relabel vertices at random in every training sample.
    pub augment: bool,
    /// Evaluate (accuracy, vs random, gating) every this many iterations.
    pub evaluate_every: u32,
    /// Games per evaluation match.
    pub evaluation_games: u32,
    /// Positions for the optimal-move accuracy.
    pub accuracy_positions: u32,
    /// Simulations for the accuracy with search.
    pub accuracy_simulations: u32,
    /// Score (win 1, draw ½) the candidate needs against the best to replace it.
    pub gating_threshold: f32,
    pub keep_checkpoints: usize,
    pub seed: u64,
}

impl TrainConfig {
    /// Defaults for a board: the MLP, AlphaZero search with Dirichlet noise.
    pub fn for_game(game: CliqueConfig) -> Self {
        Self {
            game,
            network: NetworkSpec::default_mlp(),
            games_in_flight: 256,
            search: SearchConfig {
                simulations: 32,
                policy: RootPolicy::AlphaZero {
                    c_puct: 1.5,
                    first_play_urgency: FirstPlayUrgency::Reduction(0.0),
                    dirichlet: Some((0.5, 0.25)),
                },
                reuse_subtree: false,
            },
            temperature_moves: 4,
            replay_capacity: 100_000,
            moves_per_iteration: 8,
            train_steps_per_iteration: 32,
            batch_size: 256,
            learning_rate: 2e-3,
            l2: 1e-4,
            augment: true,
            evaluate_every: 1,
            evaluation_games: 200,
            accuracy_positions: 400,
            accuracy_simulations: 50,
            gating_threshold: 0.55,
            keep_checkpoints: 3,
            seed: 1,
        }
    }

    pub fn default_clique() -> Self {
        Self::for_game(CliqueConfig::new(6, 3, Mode::Symmetric).expect("valid default board"))
    }
}
