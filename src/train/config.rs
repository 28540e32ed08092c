//! A training run's settings, with defaults that suit each game, and the one place that
//! checks them: [`TrainConfig::validate`], whose errors name the flag to change.

use serde::{Deserialize, Serialize};

use crate::backend::Compute;
use crate::games::GameSpec;
use crate::graph::Precision;
use crate::graph::optim::{Optimizer, UpdateConfig};
use crate::nn::spec::NetworkSpec;
use crate::run_dir::RunDirError;
use crate::run_dir::checkpoint::Checkpoint;
use crate::run_dir::games::DEFAULT_RECORD_GAMES;
use crate::search::{FirstPlayUrgency, RootPolicy, SearchConfig};

/// Gradients with a larger global norm are scaled down to it before the update.
pub const GRADIENT_CLIP_NORM: f32 = 5.0;

/// Where a decaying learning rate ends, as a share of `learning_rate`.
pub const LEARNING_RATE_FLOOR: f64 = 0.05;

/// Everything that defines a run (saved in every checkpoint).
///
/// Fields added after the first runs carry `#[serde(default)]` with the value those runs
/// ran with, so their checkpoints still load.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    pub game: GameSpec,
    pub network: NetworkSpec,
    /// Games played at once.
    pub games_in_flight: u32,
    pub search: SearchConfig,
    /// Moves sampled in proportion to visit counts at the start of each game; after them,
    /// `late_temperature` decides.
    pub temperature_moves: u32,
    /// The temperature τ of the moves after `temperature_moves`: sampled in proportion to
    /// visits^(1/τ), τ in (0, 1]; 0 plays the most visited move (AlphaZero's greedy play).
    #[serde(default)]
    pub late_temperature: f32,
    /// Each self-play game opens with r uniformly random moves, r uniform in
    /// `0..=random_opening` per game (still searched and recorded, with the search's value
    /// as value target: the game's outcome after random moves says little about them), so
    /// that self-play keeps reaching the positions where a side has erred. 0: none.
    #[serde(default)]
    pub random_opening: u32,
    /// Policy-surprise weighting of the replay, λ in [0, 1]: position t of a finished game
    /// of length L is stored w_t = (1 − λ) + λ·L·s_t / Σs times in expectation, s_t the
    /// KL divergence of the search's policy target from the network's prior there. The
    /// game's total stays L. 0: every position once.
    #[serde(default)]
    pub surprise_weight: f32,
    /// The share of a finished game's positions the replay stores, in expectation: each
    /// position's surprise weight is scaled by it and rounded at random. Below 1 the
    /// replay holds the positions of more games (successive positions of a game share its
    /// outcome, so few games teach the value head those games rather than positions).
    /// Runs saved before this setting stored every position (1).
    #[serde(default = "default_replay_fraction")]
    pub replay_fraction: f32,
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
    /// See each training sample under a random symmetry of the game, where it has some.
    pub augment: bool,
    /// Evaluate (accuracy, matches) every this many iterations; 0 never.
    pub evaluate_every: u32,
    /// Games per evaluation match.
    pub evaluation_games: u32,
    /// Positions for the optimal-move accuracy.
    pub accuracy_positions: u32,
    /// Simulations for the accuracy with search.
    pub accuracy_simulations: u32,
    /// Games recorded into `<run dir>/games.jsonl` in the iterations
    /// [`records_games_at`](crate::run_dir::games::records_games_at) names: at most this
    /// many self-play games (the first this many game slots are traced) and the first this
    /// many games of each evaluation match. 0: none. Recording changes nothing of the
    /// training, so a run written before it records with the default when resumed.
    #[serde(default = "default_record_games")]
    pub record_games: u32,
    pub keep_checkpoints: usize,
    pub seed: u64,
    /// The arithmetic of the networks' convolutions on the GPU (training and self-play).
    /// Runs saved before this setting ran in f32, and resume so.
    #[serde(default = "TrainPrecision::earlier_runs")]
    pub precision: TrainPrecision,
}

/// `--precision`: the arithmetic of a run's convolutions on the GPU.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum TrainPrecision {
    /// f16 tensor cores where the adapter offers them, else f32.
    #[default]
    Auto,
    /// f32 throughout.
    F32,
    /// f16 tensor cores; an error on an adapter (or backend) without them.
    F16,
}

impl TrainPrecision {
    /// What configurations written before the setting existed ran with.
    fn earlier_runs() -> Self {
        Self::F32
    }

    /// The compiler's precision for this setting on `compute`; an error naming
    /// `--precision` where f16 is asked for and `compute` has no f16 tensor cores.
    pub fn resolve(self, compute: &Compute) -> Result<Precision, ConfigError> {
        let tensor_cores = match compute {
            Compute::Gpu(gpu) => gpu.tensor_cores(),
            Compute::Cpu => false,
        };
        match (self, tensor_cores) {
            (Self::F32, _) | (Self::Auto, false) => Ok(Precision::F32),
            (Self::Auto | Self::F16, true) => Ok(Precision::F16TensorCores),
            (Self::F16, false) => {
                let place = match compute {
                    Compute::Gpu(gpu) => format!(
                        "{} offers no f16 cooperative matrices (tensor cores)",
                        gpu.info.name
                    ),
                    Compute::Cpu => "the CPU backend computes in f32".to_owned(),
                };
                Err(ConfigError::new(
                    "--precision",
                    format!("--precision f16: {place}; use --precision auto or f32"),
                ))
            }
        }
    }
}

/// How a run's precision reads in its pipeline's description.
pub fn precision_label(precision: Precision) -> &'static str {
    match precision {
        Precision::F32 => "f32",
        Precision::F16TensorCores => "f16 tensor cores",
    }
}

/// A setting out of bounds, or settings that cannot work together; the message names the
/// flag (or config-file key: the same name) to change.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ConfigError {
    /// The flag to change, such as `--sims`.
    pub flag: &'static str,
    pub message: String,
}

impl ConfigError {
    pub fn new(flag: &'static str, message: impl Into<String>) -> Self {
        Self {
            flag,
            message: message.into(),
        }
    }
}

/// The most games in flight (the GPU replay's scan handles 256² games).
pub const MAX_GAMES: u32 = 65_536;
/// The most simulations per move.
pub const MAX_SIMULATIONS: u32 = 100_000;
/// The largest training batch.
pub const MAX_BATCH: u32 = 65_536;
/// The most self-play moves or training steps per iteration.
pub const MAX_PER_ITERATION: u32 = 100_000;
/// The largest replay buffer, in positions.
pub const MAX_REPLAY_CAPACITY: u64 = 1_000_000_000;
/// The most games, positions or simulations of an evaluation.
pub const MAX_EVALUATION: u32 = 100_000;
/// The most games recorded per recorded iteration and source (`--record-games`).
pub const MAX_RECORD_GAMES: u32 = 256;

fn default_record_games() -> u32 {
    DEFAULT_RECORD_GAMES
}

fn default_replay_fraction() -> f32 {
    1.0
}

/// Checks `least <= value <= most` for the flag.
fn within<T: PartialOrd + std::fmt::Display>(
    flag: &'static str,
    value: T,
    least: T,
    most: T,
    hint: &str,
) -> Result<(), ConfigError> {
    if least <= value && value <= most {
        Ok(())
    } else {
        Err(ConfigError::new(
            flag,
            format!("{flag} {value} is outside {least}..={most}: {hint}"),
        ))
    }
}

/// Checks a float is finite and in `least..=most` (or above `least` when `open` is set).
fn within_float(
    flag: &'static str,
    value: f64,
    least: f64,
    most: f64,
    open: bool,
    hint: &str,
) -> Result<(), ConfigError> {
    let low_ok = if open { value > least } else { value >= least };
    if value.is_finite() && low_ok && value <= most {
        Ok(())
    } else {
        let low = if open { "(" } else { "[" };
        Err(ConfigError::new(
            flag,
            format!("{flag} {value} is outside {low}{least}, {most}]: {hint}"),
        ))
    }
}

impl TrainConfig {
    /// Defaults for a game: its network and self-play settings, AlphaZero search with
    /// Dirichlet noise, Adam.
    pub fn for_game(game: GameSpec) -> Self {
        let defaults = game.info().play_defaults();
        Self {
            game,
            network: defaults.network,
            games_in_flight: defaults.games_in_flight,
            search: SearchConfig {
                simulations: 32,
                policy: RootPolicy::AlphaZero {
                    c_puct: 1.5,
                    first_play_urgency: FirstPlayUrgency::Reduction(0.0),
                    dirichlet: Some((0.5, 0.25)),
                },
                reuse_subtree: false,
            },
            temperature_moves: defaults.temperature_moves,
            late_temperature: 0.0,
            random_opening: defaults.random_opening,
            surprise_weight: 0.8,
            replay_fraction: 1.0,
            replay_capacity: defaults.replay_capacity,
            moves_per_iteration: defaults.moves_per_iteration,
            train_steps_per_iteration: 32,
            batch_size: 256,
            learning_rate: 2e-3,
            learning_rate_decay_seconds: None,
            l2: 1e-4,
            augment: true,
            evaluate_every: 1,
            evaluation_games: defaults.evaluation_games,
            accuracy_positions: 400,
            accuracy_simulations: 50,
            record_games: DEFAULT_RECORD_GAMES,
            keep_checkpoints: 3,
            seed: 1,
            precision: TrainPrecision::Auto,
        }
    }

    /// The configuration a checkpoint was saved with (its JSON's `config`); configurations
    /// of earlier formats are read as they were run.
    pub fn from_checkpoint(checkpoint: &Checkpoint) -> Result<Self, RunDirError> {
        serde_json::from_value(checkpoint.record().config.clone()).map_err(|error| {
            RunDirError::Corrupt {
                path: checkpoint.path().to_path_buf(),
                reason: format!(
                    "its config is not a wgzero training configuration (checkpoint format \
                     version {}): {error}",
                    checkpoint.record().format_version
                ),
            }
        })
    }

    /// Checks every setting against its bounds and the settings against each other.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let info = self.game.info();
        self.game
            .validate()
            .map_err(|error| ConfigError::new("--game", error.to_string()))?;
        self.network
            .validate()
            .map_err(|error| ConfigError::new(error.flag, error.to_string()))?;
        info.network(&self.network)
            .map_err(|error| ConfigError::new("--net", error.to_string()))?;
        within(
            "--games",
            self.games_in_flight,
            1,
            MAX_GAMES,
            "the games played at once",
        )?;
        within(
            "--sims",
            self.search.simulations,
            0,
            MAX_SIMULATIONS,
            "simulations per move (0 plays the network's priors)",
        )?;
        self.validate_policy()?;
        let length = info.max_game_length();
        within(
            "--temperature-moves",
            self.temperature_moves,
            0,
            MAX_PER_ITERATION.max(length),
            "moves per game sampled in proportion to the visits",
        )?;
        within(
            "--random-opening",
            self.random_opening,
            0,
            4 * length,
            "an opening as long as the game already plays the whole game at random",
        )?;
        within_float(
            "--late-temperature",
            f64::from(self.late_temperature),
            0.0,
            1.0,
            false,
            "0 plays the most visited move after the sampled ones, 1 samples in proportion to \
             the visits",
        )?;
        within_float(
            "--surprise-weight",
            f64::from(self.surprise_weight),
            0.0,
            1.0,
            false,
            "0 stores every position once, 1 distributes a game's positions by surprise alone",
        )?;
        within_float(
            "--replay-fraction",
            f64::from(self.replay_fraction),
            0.0,
            1.0,
            true,
            "the share of a game's positions the replay stores (1: all of them)",
        )?;
        within(
            "--batch",
            self.batch_size,
            1,
            MAX_BATCH,
            "positions per training step",
        )?;
        within(
            "--moves-per-iteration",
            self.moves_per_iteration,
            1,
            MAX_PER_ITERATION,
            "self-play moves per game in each iteration",
        )?;
        within(
            "--train-steps",
            self.train_steps_per_iteration,
            0,
            MAX_PER_ITERATION,
            "training steps per iteration",
        )?;
        within(
            "--replay-capacity",
            self.replay_capacity,
            1,
            MAX_REPLAY_CAPACITY,
            "positions the replay buffer holds",
        )?;
        let per_round = u64::from(self.games_in_flight) * u64::from(length);
        if self.replay_capacity < per_round {
            return Err(ConfigError::new(
                "--replay-capacity",
                format!(
                    "--replay-capacity {} is below one round of games ({} games × {length} \
                     moves = {per_round}); raise it or lower --games",
                    self.replay_capacity, self.games_in_flight
                ),
            ));
        }
        within_float(
            "--learning-rate",
            f64::from(self.learning_rate),
            0.0,
            10.0,
            true,
            "Adam's step size",
        )?;
        if let Some(seconds) = self.learning_rate_decay_seconds {
            within_float(
                "--lr-decay-minutes",
                seconds / 60.0,
                0.0,
                1e7,
                true,
                "minutes of run time over which the learning rate decays",
            )?;
        }
        within_float(
            "--l2",
            f64::from(self.l2),
            0.0,
            1.0,
            false,
            "the weight decay",
        )?;
        within(
            "--evaluate-every",
            self.evaluate_every,
            0,
            1_000_000,
            "iterations between evaluations (0: never)",
        )?;
        within(
            "--eval-games",
            self.evaluation_games,
            0,
            MAX_EVALUATION,
            "games per evaluation match",
        )?;
        within(
            "--accuracy-positions",
            self.accuracy_positions,
            0,
            MAX_EVALUATION,
            "positions of the optimal-move accuracy",
        )?;
        within(
            "--accuracy-sims",
            self.accuracy_simulations,
            0,
            MAX_SIMULATIONS,
            "simulations of the accuracy with search",
        )?;
        within(
            "--record-games",
            self.record_games,
            0,
            MAX_RECORD_GAMES,
            "games recorded per recorded iteration from self-play and from each evaluation \
             match (0: none)",
        )?;
        within(
            "--keep-checkpoints",
            self.keep_checkpoints,
            1,
            1000,
            "checkpoints a run keeps",
        )?;
        Ok(())
    }

    fn validate_policy(&self) -> Result<(), ConfigError> {
        match self.search.policy {
            RootPolicy::AlphaZero {
                c_puct,
                first_play_urgency,
                dirichlet,
            } => {
                within_float(
                    "--c-puct",
                    f64::from(c_puct),
                    0.0,
                    100.0,
                    false,
                    "PUCT's exploration constant",
                )?;
                let value = match first_play_urgency {
                    FirstPlayUrgency::Absolute(value) | FirstPlayUrgency::Reduction(value) => value,
                };
                within_float(
                    "--policy",
                    f64::from(value),
                    -2.0,
                    2.0,
                    false,
                    "the first-play urgency",
                )?;
                if let Some((alpha, epsilon)) = dirichlet {
                    within_float(
                        "--noise",
                        f64::from(epsilon),
                        0.0,
                        1.0,
                        false,
                        "the weight of the root's Dirichlet noise",
                    )?;
                    within_float(
                        "--noise",
                        f64::from(alpha),
                        0.0,
                        100.0,
                        true,
                        "the Dirichlet noise's α",
                    )?;
                }
            }
            RootPolicy::Gumbel {
                max_considered,
                c_visit,
                c_scale,
                ..
            } => {
                within(
                    "--policy",
                    max_considered,
                    1,
                    4096,
                    "Gumbel's considered actions",
                )?;
                within_float(
                    "--policy",
                    f64::from(c_visit),
                    0.0,
                    1e6,
                    false,
                    "Gumbel's c_visit",
                )?;
                within_float(
                    "--policy",
                    f64::from(c_scale),
                    0.0,
                    1e6,
                    false,
                    "Gumbel's c_scale",
                )?;
            }
        }
        Ok(())
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_learning_rate_follows_a_cosine_to_its_floor_and_stays() {
        let mut config = TrainConfig::for_game(GameSpec::default());
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

    #[test]
    fn precision_defaults_to_auto_earlier_runs_resume_in_f32_and_the_cpu_refuses_f16() {
        let config = TrainConfig::for_game(GameSpec::default());
        assert_eq!(config.precision, TrainPrecision::Auto);
        let mut saved = serde_json::to_value(&config).unwrap();
        assert_eq!(saved["precision"], "auto");
        saved.as_object_mut().unwrap().remove("precision");
        let earlier: TrainConfig = serde_json::from_value(saved).unwrap();
        assert_eq!(earlier.precision, TrainPrecision::F32);
        let cpu = Compute::Cpu;
        assert_eq!(TrainPrecision::Auto.resolve(&cpu), Ok(Precision::F32));
        assert_eq!(TrainPrecision::F32.resolve(&cpu), Ok(Precision::F32));
        let error = TrainPrecision::F16.resolve(&cpu).unwrap_err();
        assert_eq!(error.flag, "--precision");
    }

    #[test]
    fn every_bound_names_its_flag() {
        let valid = TrainConfig::for_game(GameSpec::default());
        assert_eq!(valid.validate(), Ok(()));
        type Change = Box<dyn Fn(&mut TrainConfig)>;
        let cases: Vec<(&str, Change)> = vec![
            ("--sims", Box::new(|c| c.search.simulations = 4_000_000_000)),
            (
                "--hidden",
                Box::new(|c| c.network = NetworkSpec::Mlp { hidden: vec![0] }),
            ),
            ("--games", Box::new(|c| c.games_in_flight = 0)),
            ("--batch", Box::new(|c| c.batch_size = 0)),
            ("--learning-rate", Box::new(|c| c.learning_rate = f32::NAN)),
            ("--surprise-weight", Box::new(|c| c.surprise_weight = 1.5)),
            ("--replay-fraction", Box::new(|c| c.replay_fraction = 0.0)),
            (
                "--late-temperature",
                Box::new(|c| c.late_temperature = -0.5),
            ),
            ("--replay-capacity", Box::new(|c| c.replay_capacity = 10)),
            ("--keep-checkpoints", Box::new(|c| c.keep_checkpoints = 0)),
            ("--record-games", Box::new(|c| c.record_games = 1_000)),
            (
                "--net",
                Box::new(|c| {
                    c.network = NetworkSpec::ResNet {
                        filters: 8,
                        blocks: 1,
                    }
                }),
            ),
        ];
        for (flag, change) in cases {
            let mut config = valid.clone();
            change(&mut config);
            let error = config.validate().expect_err(flag);
            assert_eq!(error.flag, flag, "{error}");
            assert!(error.message.contains(flag), "{error}");
        }
    }
}
