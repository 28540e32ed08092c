//! A training run's settings, with defaults that train the clique game out of the box.

use serde::{Deserialize, Serialize};

use crate::games::clique::{CliqueConfig, Mode};
use crate::graph::optim::{Optimizer, UpdateConfig};
use crate::nn::spec::NetworkSpec;
use crate::search::{FirstPlayUrgency, RootPolicy, SearchConfig};

/// Gradients with a larger global norm are scaled down to it before the update.
pub const GRADIENT_CLIP_NORM: f32 = 5.0;

/// Where a decaying learning rate ends, as a share of `learning_rate`.
pub const LEARNING_RATE_FLOOR: f64 = 0.05;

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
    /// Each self-play game opens with r uniformly random moves, r uniform in
    /// `0..=random_opening` per game (still searched and recorded, with the search's value
    /// as value target: the game's outcome after random moves says little about them), so
    /// that self-play keeps reaching the positions where a side has erred. 0: none (what
    /// checkpoints saved before the field existed ran with).
    #[serde(default)]
    pub random_opening: u32,
    /// Policy-surprise weighting of the replay, λ in [0, 1]: position t of a finished game
    /// of length L is stored w_t = (1 − λ) + λ·L·s_t / Σs times in expectation, s_t the
    /// KL divergence of the search's policy target from the network's prior there. The
    /// game's total stays L; positions where the search taught the network something are
    /// trained on more often. 0: every position once (what checkpoints saved before the
    /// field existed ran with).
    #[serde(default)]
    pub surprise_weight: f32,
    /// Positions the replay buffer holds.
    pub replay_capacity: u64,
    /// Self-play moves (per game in flight) per iteration.
    pub moves_per_iteration: u32,
    /// Training steps per iteration.
    pub train_steps_per_iteration: u32,
    pub batch_size: u32,
    pub learning_rate: f32,
    /// Cosine decay of the learning rate over this many seconds of run time (resumed
    /// sessions included), from `learning_rate` down to `LEARNING_RATE_FLOOR` times it,
    /// which it keeps afterwards. `None`: constant.
    #[serde(default)]
    pub learning_rate_decay_seconds: Option<f64>,
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
            // Every move sampled in proportion to the visits: self-play then reaches the
            // positions random play reaches, which the accuracy is measured on (docs/TRAINING.md).
            temperature_moves: game.num_edges() as u32,
            // Openings of every length up to the whole game but its last move, their
            // positions valued by the search, with policy-surprise weighting: together they
            // took avoid and asymmetric K_6 past 99 % (docs/TRAINING.md, device runs 15-17).
            random_opening: game.num_edges() as u32 - 1,
            surprise_weight: 0.8,
            replay_capacity: 100_000,
            moves_per_iteration: 8,
            train_steps_per_iteration: 32,
            batch_size: 256,
            learning_rate: 2e-3,
            learning_rate_decay_seconds: None,
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

    /// The optimizer update of the training step (both pipelines): Adam at the initial
    /// learning rate (the trainer writes the scheduled one each iteration), L2, and global
    /// gradient-norm clipping at [`GRADIENT_CLIP_NORM`].
    pub fn update(&self) -> UpdateConfig {
        UpdateConfig {
            optimizer: Optimizer::adam(),
            learning_rate: self.learning_rate,
            l2: self.l2,
            clip_global_norm: Some(GRADIENT_CLIP_NORM),
        }
    }

    /// The learning rate after `elapsed_seconds` of run time.
    pub fn learning_rate_at(&self, elapsed_seconds: f64) -> f32 {
        let Some(total) = self.learning_rate_decay_seconds else {
            return self.learning_rate;
        };
        let progress = (elapsed_seconds / total).clamp(0.0, 1.0);
        let cosine = 0.5 * (1.0 + (std::f64::consts::PI * progress).cos());
        let factor = LEARNING_RATE_FLOOR + (1.0 - LEARNING_RATE_FLOOR) * cosine;
        (f64::from(self.learning_rate) * factor) as f32
    }

    pub fn default_clique() -> Self {
        Self::for_game(CliqueConfig::new(6, 3, Mode::Symmetric).expect("valid default board"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_learning_rate_follows_a_cosine_to_its_floor_and_stays() {
        let mut config = TrainConfig::default_clique();
        config.learning_rate = 1e-3;
        assert_eq!(config.learning_rate_at(1e9), 1e-3, "constant without decay");
        config.learning_rate_decay_seconds = Some(100.0);
        let at = |seconds: f64| f64::from(config.learning_rate_at(seconds));
        let close = |a: f64, b: f64| (a - b).abs() < 1e-9;
        assert!(close(at(0.0), 1e-3));
        assert!(close(at(50.0), 1e-3 * (1.0 + LEARNING_RATE_FLOOR) / 2.0));
        // cos(π/4)-point: floor + (1 − floor)(1 + √½)/2.
        let quarter = LEARNING_RATE_FLOOR
            + (1.0 - LEARNING_RATE_FLOOR) * (1.0 + std::f64::consts::FRAC_1_SQRT_2) / 2.0;
        assert!(close(at(25.0), 1e-3 * quarter));
        assert!(close(at(100.0), 1e-3 * LEARNING_RATE_FLOOR));
        assert!(close(at(1e6), 1e-3 * LEARNING_RATE_FLOOR));
        let mut previous = f64::INFINITY;
        for step in 0..=100 {
            let rate = at(f64::from(step));
            assert!(rate <= previous, "never rises");
            previous = rate;
        }
    }
}
