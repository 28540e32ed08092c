//! The one configuration surface: argument groups that every command shares (the game,
//! the network, the search, the run), each flag bounded, and the same settings read from
//! a TOML file (`--config FILE`, keys named as the flags with `_` for `-`), flags winning
//! over the file. Everything ends in a [`TrainConfig`] checked by
//! [`TrainConfig::validate`], whose errors name the flag to change.

use std::path::Path;

use clap::{Args, CommandFactory, ValueEnum};
use serde::{Deserialize, Serialize};
use wgzero::games::clique::{CliqueConfig, CliqueSizes, Mode};
use wgzero::games::{ChessConfig, GameSpec};
use wgzero::nn::spec::{MAX_DEPTH, MAX_WIDTH, NetworkSpec};
use wgzero::search::{RootPolicy, SearchConfig};
use wgzero::train::config::{
    ConfigError, MAX_BATCH, MAX_EVALUATION, MAX_GAMES, MAX_PER_ITERATION, MAX_RECORD_GAMES,
    MAX_REPLAY_CAPACITY, MAX_SIMULATIONS, TrainConfig, TrainPrecision,
};

/// A float flag's value in `least..=most` (clap's parser for bounded floats).
fn float_in(text: &str, least: f64, most: f64) -> Result<f64, String> {
    let value: f64 = text
        .parse()
        .map_err(|_| format!("{text:?} is not a number"))?;
    if value.is_finite() && (least..=most).contains(&value) {
        Ok(value)
    } else {
        Err(format!("{value} is not in {least}..={most}"))
    }
}

fn learning_rate(text: &str) -> Result<f32, String> {
    let value = float_in(text, 0.0, 10.0)? as f32;
    if value > 0.0 {
        Ok(value)
    } else {
        Err("the learning rate must be above 0".into())
    }
}

fn unit_interval(text: &str) -> Result<f32, String> {
    float_in(text, 0.0, 1.0).map(|value| value as f32)
}

fn c_puct(text: &str) -> Result<f32, String> {
    float_in(text, 0.0, 100.0).map(|value| value as f32)
}

/// The `--k` flag: one clique size `K` or two, `S,T`, each in 3..=64 (3..=n is checked
/// with the board).
pub fn clique_sizes(text: &str) -> Result<CliqueSizes, String> {
    let sizes: CliqueSizes = text.parse()?;
    for size in [sizes.s, sizes.t] {
        if !(3..=64).contains(&size) {
            return Err(format!("{size} is not in 3..=64"));
        }
    }
    Ok(sizes)
}

/// A number of seconds for a tool (a benchmark's budget): above 0, at most 10^6.
pub fn seconds(text: &str) -> Result<f64, String> {
    let value = float_in(text, 0.0, 1e6)?;
    if value > 0.0 {
        Ok(value)
    } else {
        Err("a number of seconds above 0".into())
    }
}

/// A number of minutes above 0 and at most `most`; the error names the range.
pub fn minutes_up_to(text: &str, most: f64) -> Result<f64, String> {
    let value: f64 = text
        .parse()
        .map_err(|_| format!("{text:?} is not a number of minutes"))?;
    if value.is_finite() && value > 0.0 && value <= most {
        Ok(value)
    } else {
        Err(format!("{value} is not in (0, {most}] minutes"))
    }
}

/// A number of minutes: above 0, at most 10^7.
pub fn minutes(text: &str) -> Result<f64, String> {
    let value = float_in(text, 0.0, 1e7)?;
    if value > 0.0 {
        Ok(value)
    } else {
        Err("a number of minutes above 0".into())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GameName {
    /// The clique game on K_n (--n, --k, --mode).
    Clique,
    /// Chess from the standard start (--ply-cap).
    Chess,
}

/// The game and its settings.
#[derive(Args, Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct GameArgs {
    /// The game [default: clique].
    #[arg(long, value_enum)]
    pub game: Option<GameName>,
    /// Vertices of K_n (clique), 3..=64 [default: 6].
    #[arg(long, value_parser = clap::value_parser!(u32).range(3..=64))]
    pub n: Option<u32>,
    /// Clique size (clique), 3..=n [default: 3]. `--mode avoid` also takes two, S,T:
    /// player 0 must avoid K_S in its colour, player 1 K_T (a drawn game is a witness
    /// that R(S,T) > n). In a --config file: k = 4 or k = "3,4".
    #[arg(long, value_parser = clique_sizes)]
    pub k: Option<CliqueSizes>,
    /// Who wins (clique) [default: symmetric].
    #[arg(long, value_enum)]
    pub mode: Option<Mode>,
    /// Plies after which a chess game is stopped and scored a draw [default: 512].
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=2048))]
    pub ply_cap: Option<u32>,
}

impl GameArgs {
    /// The game these flags choose.
    pub fn spec(&self) -> Result<GameSpec, ConfigError> {
        match self.game.unwrap_or(GameName::Clique) {
            GameName::Clique => {
                if self.ply_cap.is_some() {
                    return Err(ConfigError::new(
                        "--ply-cap",
                        "--ply-cap is a chess setting; the clique game ends when the board fills",
                    ));
                }
                let sizes = self.k.unwrap_or(CliqueSizes::same(3));
                let mode = self.mode.unwrap_or(Mode::Symmetric);
                if sizes.s != sizes.t && mode != Mode::Avoid {
                    return Err(ConfigError::new(
                        "--k",
                        format!(
                            "--k {sizes} gives the two players different clique sizes, which \
                             only --mode avoid plays (R(s,t) witnesses); --mode {mode} takes \
                             one size, such as --k {}",
                            sizes.s
                        ),
                    ));
                }
                let config = CliqueConfig::with_sizes(self.n.unwrap_or(6), sizes, mode)
                    .map_err(|error| ConfigError::new("--k", error.to_string()))?;
                Ok(GameSpec::Clique(config))
            }
            GameName::Chess => {
                for (flag, given) in [
                    ("--n", self.n.is_some()),
                    ("--k", self.k.is_some()),
                    ("--mode", self.mode.is_some()),
                ] {
                    if given {
                        return Err(ConfigError::new(
                            flag,
                            format!("{flag} is a clique setting; chess takes --ply-cap"),
                        ));
                    }
                }
                let config =
                    ChessConfig::new(self.ply_cap.unwrap_or(ChessConfig::default().ply_cap))
                        .map_err(|error| ConfigError::new("--ply-cap", error.to_string()))?;
                Ok(GameSpec::Chess(config))
            }
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NetName {
    /// A multilayer perceptron (--hidden, --layers).
    Mlp,
    /// The clique game's edge-aware graph network (--hidden, --layers).
    Gnn,
    /// A residual CNN over the board (--filters, --blocks).
    Resnet,
}

/// The network.
#[derive(Args, Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct NetworkArgs {
    /// The network [default: the game's: mlp for clique, resnet for chess].
    #[arg(long, value_enum)]
    pub net: Option<NetName>,
    /// Width of the MLP's hidden layers or of the GNN's states [default: 256 (mlp),
    /// 64 (gnn)].
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=MAX_WIDTH as u64))]
    pub hidden: Option<u64>,
    /// The MLP's hidden layers or the GNN's layers [default: 2 (mlp), 3 (gnn)].
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=MAX_DEPTH as u64))]
    pub layers: Option<u64>,
    /// Filters of the residual net [default: 64].
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=MAX_WIDTH as u64))]
    pub filters: Option<u64>,
    /// Residual blocks [default: 6].
    #[arg(long, value_parser = clap::value_parser!(u64).range(0..=MAX_DEPTH as u64))]
    pub blocks: Option<u64>,
}

impl NetworkArgs {
    /// The network these flags choose, from the game's `default` for what they leave out.
    pub fn spec(&self, default: &NetworkSpec) -> Result<NetworkSpec, ConfigError> {
        let kind = self.net.unwrap_or(match default {
            NetworkSpec::Mlp { .. } => NetName::Mlp,
            NetworkSpec::Gnn { .. } => NetName::Gnn,
            NetworkSpec::ResNet { .. } => NetName::Resnet,
        });
        let refuse = |flag: &'static str, given: bool, net: &str| {
            if given {
                Err(ConfigError::new(
                    flag,
                    format!("{flag} does not apply to --net {net}"),
                ))
            } else {
                Ok(())
            }
        };
        let width = |value: Option<u64>, fallback: usize| value.map_or(fallback, |v| v as usize);
        let spec = match kind {
            NetName::Mlp => {
                refuse("--filters", self.filters.is_some(), "mlp")?;
                refuse("--blocks", self.blocks.is_some(), "mlp")?;
                let (width_default, depth_default) = match default {
                    NetworkSpec::Mlp { hidden } if !hidden.is_empty() => (hidden[0], hidden.len()),
                    _ => (256, 2),
                };
                NetworkSpec::Mlp {
                    hidden: vec![
                        width(self.hidden, width_default);
                        width(self.layers, depth_default)
                    ],
                }
            }
            NetName::Gnn => {
                refuse("--filters", self.filters.is_some(), "gnn")?;
                refuse("--blocks", self.blocks.is_some(), "gnn")?;
                let (hidden, layers) = match default {
                    NetworkSpec::Gnn { hidden, layers } => (*hidden, *layers),
                    _ => (64, 3),
                };
                NetworkSpec::Gnn {
                    hidden: width(self.hidden, hidden),
                    layers: width(self.layers, layers),
                }
            }
            NetName::Resnet => {
                refuse("--hidden", self.hidden.is_some(), "resnet")?;
                refuse("--layers", self.layers.is_some(), "resnet")?;
                let (filters, blocks) = match default {
                    NetworkSpec::ResNet { filters, blocks } => (*filters, *blocks),
                    _ => (64, 6),
                };
                NetworkSpec::ResNet {
                    filters: width(self.filters, filters),
                    blocks: width(self.blocks, blocks),
                }
            }
        };
        spec.validate()
            .map_err(|error| ConfigError::new(error.flag, error.to_string()))?;
        Ok(spec)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PolicyName {
    /// AlphaZero PUCT (with Dirichlet noise at the root in self-play).
    Puct,
    /// Gumbel MuZero (sequential halving; completed-Q policy targets).
    Gumbel,
}

/// The search.
#[derive(Args, Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct SearchArgs {
    /// Simulations per move, 0..=100000; 0 plays the network's priors [default: 32 in
    /// training, 200 in `wgzero search`, 50 in `bench selfplay`].
    #[arg(long, value_parser = clap::value_parser!(u32).range(0..=MAX_SIMULATIONS as i64))]
    pub sims: Option<u32>,
    /// The root policy [default: puct].
    #[arg(long, value_enum)]
    pub policy: Option<PolicyName>,
    /// PUCT's exploration constant, 0..=100 [default: 1.5 in training, 1.25 elsewhere].
    #[arg(long, value_parser = c_puct)]
    pub c_puct: Option<f32>,
    /// Weight of the Dirichlet noise mixed into the root priors in self-play (PUCT), 0..=1;
    /// 0 turns it off.
    #[arg(long, value_name = "EPSILON", value_parser = unit_interval)]
    pub noise: Option<f32>,
    /// Root actions Gumbel considers [default: 16].
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub considered: Option<u32>,
    /// Keep the chosen child's subtree for the next move.
    #[arg(long)]
    pub reuse_subtree: bool,
}

impl SearchArgs {
    /// Applies the flags to `search` (the defaults of a run, or of a tool).
    pub fn apply(&self, search: &mut SearchConfig) -> Result<(), ConfigError> {
        if let Some(sims) = self.sims {
            search.simulations = sims;
        }
        match self.policy {
            Some(PolicyName::Gumbel) if !matches!(search.policy, RootPolicy::Gumbel { .. }) => {
                search.policy = RootPolicy::gumbel();
            }
            Some(PolicyName::Puct) if !matches!(search.policy, RootPolicy::AlphaZero { .. }) => {
                search.policy = RootPolicy::alphazero();
            }
            _ => {}
        }
        match &mut search.policy {
            RootPolicy::AlphaZero {
                c_puct, dirichlet, ..
            } => {
                if let Some(value) = self.c_puct {
                    *c_puct = value;
                }
                if let Some(epsilon) = self.noise {
                    let alpha = dirichlet.map_or(0.5, |(alpha, _)| alpha);
                    *dirichlet = (epsilon > 0.0).then_some((alpha, epsilon));
                }
                if self.considered.is_some() {
                    return Err(ConfigError::new(
                        "--considered",
                        "--considered applies to --policy gumbel",
                    ));
                }
            }
            RootPolicy::Gumbel { max_considered, .. } => {
                if self.c_puct.is_some() {
                    return Err(ConfigError::new(
                        "--c-puct",
                        "--c-puct applies to --policy puct; Gumbel has no exploration constant",
                    ));
                }
                if self.noise.is_some() {
                    return Err(ConfigError::new(
                        "--noise",
                        "--noise applies to --policy puct; Gumbel explores with its own Gumbel \
                         noise",
                    ));
                }
                if let Some(considered) = self.considered {
                    *max_considered = considered;
                }
            }
        }
        if self.reuse_subtree {
            search.reuse_subtree = true;
        }
        Ok(())
    }
}

/// The run: self-play, replay, training, evaluation and checkpoints.
#[derive(Args, Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct RunArgs {
    /// Games played at once [default: 256 (clique), 64 (chess)].
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=MAX_GAMES as i64))]
    pub games: Option<u32>,
    /// Training batch size [default: 256].
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=MAX_BATCH as i64))]
    pub batch: Option<u32>,
    /// Adam's learning rate, in (0, 10] [default: 0.002].
    #[arg(long, value_parser = learning_rate)]
    pub learning_rate: Option<f32>,
    /// Decay the learning rate along a cosine to 5% of it over this many minutes of run
    /// time, then keep it there [default: constant].
    #[arg(long, value_name = "MINUTES", value_parser = minutes)]
    pub lr_decay_minutes: Option<f64>,
    /// Weight decay (L2), 0..=1 [default: 0.0001].
    #[arg(long, value_parser = unit_interval)]
    pub l2: Option<f32>,
    /// Self-play moves per game per iteration [default: 8 (clique), 256 (chess)].
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=MAX_PER_ITERATION as i64))]
    pub moves_per_iteration: Option<u32>,
    /// Training steps per iteration [default: 32].
    #[arg(long, value_parser = clap::value_parser!(u32).range(0..=MAX_PER_ITERATION as i64))]
    pub train_steps: Option<u32>,
    /// Positions the replay buffer holds [default: 100000 (clique), 50000 (chess)].
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=MAX_REPLAY_CAPACITY))]
    pub replay_capacity: Option<u64>,
    /// Moves at the start of each game sampled in proportion to the visit counts (the rest
    /// are the search's choice) [default: the whole game].
    #[arg(long, value_parser = clap::value_parser!(u32).range(0..=MAX_PER_ITERATION as i64))]
    pub temperature_moves: Option<u32>,
    /// The temperature τ of the moves after --temperature-moves: each sampled in proportion
    /// to visits^(1/τ), τ in (0, 1], so that play stays varied but mostly strong; 0 plays
    /// the most visited move [default: 0].
    #[arg(long, value_name = "TAU", value_parser = unit_interval)]
    pub late_temperature: Option<f32>,
    /// Each self-play game opens with r uniformly random moves, r drawn uniformly from
    /// 0..=R for every game (the searches still run and are recorded); positions inside
    /// the opening take the search's value as value target [default: the board's edges − 1
    /// (clique), 0 (chess); 0 turns openings off].
    #[arg(long, value_name = "R")]
    pub random_opening: Option<u32>,
    /// Policy-surprise weighting of the replay, λ in [0, 1]: a finished game's positions
    /// are stored (1 − λ) + λ·L·s/Σs times in expectation (L its length, s the KL divergence
    /// of the search's target from the network's prior) [default: 0.8; 0 stores each
    /// position once].
    #[arg(long, value_name = "LAMBDA", allow_negative_numbers = true)]
    pub surprise_weight: Option<f32>,
    /// The share of each finished game's positions the replay stores, in expectation (each
    /// at random, over the surprise weighting): a replay of the same capacity then holds
    /// the positions of more games, whose outcomes the value head learns from rather than
    /// memorising a few games' [default: 1, every position].
    #[arg(long, value_name = "F", allow_negative_numbers = true)]
    pub replay_fraction: Option<f32>,
    /// Train without random symmetries of the samples (clique: vertex relabelling).
    #[arg(long)]
    pub no_augment: bool,
    /// Evaluate every this many iterations; 0 never [default: 1].
    #[arg(long, value_parser = clap::value_parser!(u32).range(0..=1_000_000))]
    pub evaluate_every: Option<u32>,
    /// Games per evaluation match [default: 200 (clique), 20 (chess)].
    #[arg(long, value_parser = clap::value_parser!(u32).range(0..=MAX_EVALUATION as i64))]
    pub eval_games: Option<u32>,
    /// Positions of the optimal-move accuracy (games with an exact solver) [default: 400].
    #[arg(long, value_parser = clap::value_parser!(u32).range(0..=MAX_EVALUATION as i64))]
    pub accuracy_positions: Option<u32>,
    /// Simulations of the accuracy with search [default: 50].
    #[arg(long, value_parser = clap::value_parser!(u32).range(0..=MAX_SIMULATIONS as i64))]
    pub accuracy_sims: Option<u32>,
    /// Games recorded into the run directory's games.jsonl (moves with the priors, visit
    /// counts and values the players saw): at most N self-play games and the first N games
    /// of each evaluation match, in iterations 1–99, then every 10th to 999, every 100th to
    /// 9999, and so on; 0 records none [default: 2].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(0..=MAX_RECORD_GAMES as i64))]
    pub record_games: Option<u32>,
    /// Checkpoints a run keeps [default: 3].
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=1000))]
    pub keep_checkpoints: Option<u64>,
    #[arg(long)]
    pub seed: Option<u64>,
    /// The convolutions' arithmetic on the GPU, in training and self-play: auto takes the
    /// f16 tensor cores where the adapter offers them (summing in f32), f32 forces f32,
    /// f16 requires them [default: auto].
    #[arg(long, value_enum)]
    pub precision: Option<TrainPrecision>,
}

impl RunArgs {
    pub fn apply(&self, config: &mut TrainConfig) {
        let set = |target: &mut u32, value: Option<u32>| {
            if let Some(value) = value {
                *target = value;
            }
        };
        set(&mut config.games_in_flight, self.games);
        set(&mut config.batch_size, self.batch);
        set(&mut config.moves_per_iteration, self.moves_per_iteration);
        set(&mut config.train_steps_per_iteration, self.train_steps);
        set(&mut config.temperature_moves, self.temperature_moves);
        set(&mut config.random_opening, self.random_opening);
        set(&mut config.evaluate_every, self.evaluate_every);
        set(&mut config.evaluation_games, self.eval_games);
        set(&mut config.accuracy_positions, self.accuracy_positions);
        set(&mut config.accuracy_simulations, self.accuracy_sims);
        set(&mut config.record_games, self.record_games);
        if let Some(rate) = self.learning_rate {
            config.learning_rate = rate;
        }
        if let Some(minutes) = self.lr_decay_minutes {
            config.learning_rate_decay_seconds = Some(minutes * 60.0);
        }
        if let Some(l2) = self.l2 {
            config.l2 = l2;
        }
        if let Some(capacity) = self.replay_capacity {
            config.replay_capacity = capacity;
        }
        if let Some(tau) = self.late_temperature {
            config.late_temperature = tau;
        }
        if let Some(lambda) = self.surprise_weight {
            config.surprise_weight = lambda;
        }
        if let Some(fraction) = self.replay_fraction {
            config.replay_fraction = fraction;
        }
        if self.no_augment {
            config.augment = false;
        }
        if let Some(keep) = self.keep_checkpoints {
            config.keep_checkpoints = keep as usize;
        }
        if let Some(seed) = self.seed {
            config.seed = seed;
        }
        if let Some(precision) = self.precision {
            config.precision = precision;
        }
    }
}

/// Every setting of a training run: the flags of `wgzero train`, or the keys of a
/// `--config` TOML file.
#[derive(Args, Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct TrainSettings {
    #[command(flatten)]
    #[serde(flatten)]
    pub game: GameArgs,
    #[command(flatten)]
    #[serde(flatten)]
    pub network: NetworkArgs,
    #[command(flatten)]
    #[serde(flatten)]
    pub search: SearchArgs,
    #[command(flatten)]
    #[serde(flatten)]
    pub run: RunArgs,
}

/// A clap command holding just the settings (to list their names).
#[derive(clap::Parser)]
struct SettingsOnly {
    #[command(flatten)]
    settings: TrainSettings,
}

impl TrainSettings {
    /// The run configuration: the game's defaults, then these settings; checked.
    pub fn config(&self) -> Result<TrainConfig, ConfigError> {
        let game = self.game.spec()?;
        let mut config = TrainConfig::for_game(game);
        config.network = self.network.spec(&config.network)?;
        self.search.apply(&mut config.search)?;
        self.run.apply(&mut config);
        config.validate()?;
        Ok(config)
    }

    /// Changes a resumed run's `config` by the flags given: the search's and the run's
    /// (steps, games, learning rate, …). The game's and the network's flags are refused:
    /// the checkpoint fixes them. The resume checks the changed configuration
    /// (`Trainer::resume_with`).
    pub fn over_resumed(&self, config: &mut TrainConfig) -> Result<(), ConfigError> {
        let game = &self.game;
        let network = &self.network;
        let fixed = [
            ("--game", game.game.is_some()),
            ("--n", game.n.is_some()),
            ("--k", game.k.is_some()),
            ("--mode", game.mode.is_some()),
            ("--ply-cap", game.ply_cap.is_some()),
            ("--net", network.net.is_some()),
            ("--hidden", network.hidden.is_some()),
            ("--layers", network.layers.is_some()),
            ("--filters", network.filters.is_some()),
            ("--blocks", network.blocks.is_some()),
        ];
        if let Some((flag, _)) = fixed.iter().find(|(_, given)| *given) {
            return Err(ConfigError::new(
                flag,
                format!(
                    "{flag} cannot change in a resumed run: its checkpoint fixes the game and \
                     the network; leave {flag} out, or start a new run with --out"
                ),
            ));
        }
        self.search.apply(&mut config.search)?;
        self.run.apply(config);
        Ok(())
    }

    /// The settings of the TOML file at `path` (keys named as the flags, `-` as `_`),
    /// with `self` (the flags given) over them.
    pub fn over_file(&self, path: &Path) -> Result<TrainSettings, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|error| {
            ConfigError::new("--config", format!("--config {}: {error}", path.display()))
        })?;
        let file: toml::Table = toml::from_str(&text).map_err(|error| {
            ConfigError::new(
                "--config",
                format!("--config {} is not valid TOML: {error}", path.display()),
            )
        })?;
        let known: Vec<String> = SettingsOnly::command()
            .get_arguments()
            .map(|argument| argument.get_id().to_string())
            .collect();
        if let Some(unknown) = file.keys().find(|key| !known.contains(key)) {
            return Err(ConfigError::new(
                "--config",
                format!(
                    "--config {}: unknown setting {unknown:?}; the settings are the flags of \
                     `wgzero train` with _ for -: {}",
                    path.display(),
                    known.join(", ")
                ),
            ));
        }
        let mut merged = serde_json::to_value(&file).map_err(|error| {
            ConfigError::new("--config", format!("--config {}: {error}", path.display()))
        })?;
        let flags = serde_json::to_value(self)
            .map_err(|error| ConfigError::new("--config", format!("the flags: {error}")))?;
        if let (Some(merged), Some(flags)) = (merged.as_object_mut(), flags.as_object()) {
            for (key, value) in flags {
                // Flags left out (null) and switches not given (false) keep the file's.
                if !(value.is_null() || *value == serde_json::Value::Bool(false)) {
                    merged.insert(key.clone(), value.clone());
                }
            }
        }
        let settings: TrainSettings = serde_json::from_value(merged).map_err(|error| {
            ConfigError::new("--config", format!("--config {}: {error}", path.display()))
        })?;
        // A file's values get the flags' bounds too (clap checked only the flags).
        settings.config()?;
        Ok(settings)
    }
}
