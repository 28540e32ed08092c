//! The network the Search and Play tabs use: for the clique game a bundled one (K_6, k = 3,
//! by mode; the default, so both tabs work with no run of one's own), a checkpoint, or the
//! uniform net; for chess a chess checkpoint or the uniform net. Each loads as a
//! one-position evaluator on the app's compute.

use std::path::PathBuf;

use eframe::egui;

use crate::backend::Compute;
use crate::bundled;
use crate::evaluate::checkpoint::{CheckpointSource, checkpoint_evaluator};
use crate::evaluate::without_noise;
use crate::games::clique::{CliqueConfig, Mode};
use crate::games::{ChessConfig, GameInfo, GameSpec};
use crate::nn::uniform::Uniform;
use crate::search::tree_file::NetworkSource;
use crate::search::{ProgramEvaluator, RootPolicy};
use crate::train::TrainConfig;

/// Which network to use.
#[derive(Clone, Debug, PartialEq)]
pub enum NetworkChoice {
    /// The network shipped with wgzero for K_6, k = 3 in this mode.
    Bundled(Mode),
    /// A checkpoint: a run directory (its latest checkpoint) or a checkpoint file.
    Checkpoint(PathBuf),
    /// Uniform priors and value 0 (plain MCTS) on a board of one's choice.
    Uniform(CliqueConfig),
}

impl Default for NetworkChoice {
    fn default() -> Self {
        NetworkChoice::Bundled(Mode::Symmetric)
    }
}

/// A network ready to evaluate one position at a time.
pub struct LoadedNetwork {
    pub game: CliqueConfig,
    pub evaluator: ProgramEvaluator,
    pub source: NetworkSource,
    /// The root policy of the run that trained it (noise off), if it comes from a run.
    pub run_policy: Option<RootPolicy>,
    /// One line: which network, trained how far.
    pub description: String,
}

impl NetworkChoice {
    /// Loads the choice on `compute`; an error says what is wrong and what to pick instead.
    pub fn load(&self, compute: &Compute) -> Result<LoadedNetwork, String> {
        let (checkpoint, config, source) = match self {
            NetworkChoice::Uniform(game) => {
                let network = Uniform {
                    observation_len: 3 * game.num_edges(),
                    actions: game.num_edges(),
                };
                let evaluator = ProgramEvaluator::new(&network, compute, 1, 0)
                    .map_err(|error| error.to_string())?;
                return Ok(LoadedNetwork {
                    game: *game,
                    evaluator,
                    source: NetworkSource::Uniform,
                    run_policy: None,
                    description: format!(
                        "the uniform network (priors uniform, value 0) on {}",
                        GameSpec::Clique(*game).info().label()
                    ),
                });
            }
            NetworkChoice::Bundled(mode) => {
                let game = GameSpec::Clique(
                    CliqueConfig::new(6, 3, *mode).map_err(|error| error.to_string())?,
                );
                let network = bundled::for_game(&game).map_err(|error| error.to_string())?;
                let (checkpoint, config) = network.load().map_err(|error| error.to_string())?;
                let source = NetworkSource::Bundled {
                    name: network.name.to_owned(),
                };
                (checkpoint, config, source)
            }
            NetworkChoice::Checkpoint(path) => {
                let (checkpoint, config) = CheckpointSource::Path(path.clone())
                    .load(&GameSpec::default())
                    .map_err(|error| error.to_string())?;
                let source = NetworkSource::Checkpoint {
                    path: checkpoint.path().to_owned(),
                    iteration: checkpoint.record().iteration,
                    tensors_sha256: checkpoint.record().tensors_sha256.clone(),
                };
                (checkpoint, config, source)
            }
        };
        let TrainConfig {
            game: GameSpec::Clique(game),
            network,
            search,
            ..
        } = &config
        else {
            return Err(format!(
                "this network plays {}: choose Game: chess above to load it on the chess board",
                config.game.name()
            ));
        };
        let evaluator = checkpoint_evaluator(&checkpoint, game, network, compute, 1)
            .map_err(|error| error.to_string())?;
        let description = match &source {
            NetworkSource::Bundled { name } => format!(
                "bundled network {name} (iteration {})",
                checkpoint.record().iteration
            ),
            _ => format!(
                "{} (iteration {}, {})",
                checkpoint.path().display(),
                checkpoint.record().iteration,
                GameSpec::Clique(*game).info().label()
            ),
        };
        Ok(LoadedNetwork {
            game: *game,
            evaluator,
            source,
            run_policy: Some(without_noise(search.policy)),
            description,
        })
    }
}

/// The picker's state: the choice and the text of its fields.
#[derive(Default)]
pub struct NetworkPicker {
    pub choice: NetworkChoice,
    /// The checkpoint path being typed.
    pub path: String,
    /// Checkpoint files being picked in the browser.
    #[cfg(target_arch = "wasm32")]
    upload: Option<super::transfer::browser::Upload>,
    /// Why the last upload was refused.
    upload_error: Option<String>,
}

/// Where uploaded checkpoints are stored (each as a run directory of its own).
pub const RUNS_DIRECTORY: &str = "runs";

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Bundled,
    Checkpoint,
    Uniform,
}

impl NetworkPicker {
    /// The picker's widgets; true when the user asks to load the choice (a change of kind,
    /// of mode, or Load).
    pub fn picker_ui(&mut self, ui: &mut egui::Ui) -> bool {
        let mut load = false;
        let kind = match self.choice {
            NetworkChoice::Bundled(_) => Kind::Bundled,
            NetworkChoice::Checkpoint(_) => Kind::Checkpoint,
            NetworkChoice::Uniform(_) => Kind::Uniform,
        };
        let mut picked = kind;
        ui.horizontal(|ui| {
            ui.label("Network:");
            ui.selectable_value(&mut picked, Kind::Bundled, "bundled");
            ui.selectable_value(&mut picked, Kind::Checkpoint, "checkpoint");
            ui.selectable_value(&mut picked, Kind::Uniform, "uniform");
        });
        if picked != kind {
            self.choice = match picked {
                Kind::Bundled => NetworkChoice::Bundled(Mode::Symmetric),
                Kind::Checkpoint => NetworkChoice::Checkpoint(PathBuf::from(self.path.trim())),
                Kind::Uniform => NetworkChoice::Uniform(
                    CliqueConfig::new(6, 3, Mode::Symmetric).expect("K_6, k = 3 is valid"),
                ),
            };
            // A checkpoint waits for its path and Load.
            load = picked != Kind::Checkpoint;
        }
        match &mut self.choice {
            NetworkChoice::Bundled(mode) => {
                ui.horizontal(|ui| {
                    ui.label("K_6, k = 3:");
                    for option in [Mode::Symmetric, Mode::Asymmetric, Mode::Avoid] {
                        load |= ui.selectable_value(mode, option, option.name()).changed();
                    }
                });
            }
            NetworkChoice::Checkpoint(path) => {
                let label = ui.label("Checkpoint (run directory or file)");
                ui.add(
                    egui::TextEdit::singleline(&mut self.path)
                        .hint_text("runs/…")
                        .desired_width(f32::INFINITY),
                )
                .labelled_by(label.id);
                if ui.button("Load network").clicked() {
                    *path = PathBuf::from(self.path.trim());
                    load = true;
                }
                #[cfg(target_arch = "wasm32")]
                {
                    if ui
                        .button("Upload checkpoint files…")
                        .on_hover_text(
                            "Pick a checkpoint's two files (ckpt-<iteration>.json and its \
                             .safetensors), made by wgzero on a desktop or downloaded here",
                        )
                        .clicked()
                    {
                        match super::transfer::browser::Upload::pick(".json,.safetensors") {
                            Ok(upload) => self.upload = Some(upload),
                            Err(error) => self.upload_error = Some(error),
                        }
                    }
                    if let Some(received) = self.upload.as_ref().and_then(|upload| upload.take()) {
                        self.upload = None;
                        match received.and_then(|files| {
                            super::transfer::import_pair(
                                &files,
                                std::path::Path::new(RUNS_DIRECTORY),
                            )
                        }) {
                            Ok(run_dir) => {
                                self.path = run_dir.display().to_string();
                                *path = run_dir;
                                self.upload_error = None;
                                load = true;
                            }
                            Err(error) => self.upload_error = Some(error),
                        }
                    } else if self.upload.is_some() {
                        ui.ctx()
                            .request_repaint_after(std::time::Duration::from_millis(100));
                    }
                }
                if let Some(error) = &self.upload_error {
                    ui.colored_label(ui.visuals().error_fg_color, error);
                }
            }
            NetworkChoice::Uniform(game) => {
                let (mut n, mut k, mut mode) = (game.n, game.k, game.mode);
                ui.horizontal(|ui| {
                    ui.add(egui::DragValue::new(&mut n).range(3..=64).prefix("n = "));
                    ui.add(egui::DragValue::new(&mut k).range(3..=n).prefix("k = "));
                });
                ui.horizontal(|ui| {
                    for option in [Mode::Symmetric, Mode::Asymmetric, Mode::Avoid] {
                        ui.selectable_value(&mut mode, option, option.name());
                    }
                });
                if (n, k.min(n), mode) != (game.n, game.k, game.mode)
                    && let Ok(changed) = CliqueConfig::new(n, k.min(n), mode)
                {
                    *game = changed;
                    load = true;
                }
            }
        }
        load
    }
}

/// The agent a chess board plays or searches with.
#[derive(Clone, Debug, PartialEq)]
pub enum ChessNetworkChoice {
    /// Uniform priors and value 0: plain MCTS over the rules.
    Uniform,
    /// The chess network shipped with wgzero (`bundled:chess`, docs/NETWORKS.md).
    Bundled,
    /// A chess checkpoint: a run directory (its latest checkpoint) or a checkpoint file.
    Checkpoint(PathBuf),
}

/// A chess network ready to evaluate one position at a time.
pub struct ChessNetwork {
    pub game: ChessConfig,
    pub evaluator: ProgramEvaluator,
    pub source: NetworkSource,
    /// The root policy of the run that trained it (noise off), if it comes from a run.
    pub run_policy: Option<RootPolicy>,
    /// One line: which network, trained how far.
    pub description: String,
}

impl ChessNetworkChoice {
    /// Loads the choice on `compute`; an error says what is wrong and what to pick instead.
    pub fn load(&self, compute: &Compute) -> Result<ChessNetwork, String> {
        let source = match self {
            ChessNetworkChoice::Uniform => {
                let game = ChessConfig::default();
                let network = Uniform {
                    observation_len: game.observation_len(),
                    actions: game.num_actions(),
                };
                let evaluator = ProgramEvaluator::new(&network, compute, 1, 0)
                    .map_err(|error| error.to_string())?;
                return Ok(ChessNetwork {
                    game,
                    evaluator,
                    source: NetworkSource::Uniform,
                    run_policy: None,
                    description: "the uniform network (priors uniform, value 0) on chess"
                        .to_owned(),
                });
            }
            ChessNetworkChoice::Bundled => CheckpointSource::Bundled(Some(
                bundled::for_game(&GameSpec::Chess(ChessConfig::default()))
                    .map_err(|error| error.to_string())?,
            )),
            ChessNetworkChoice::Checkpoint(path) => {
                if path.as_os_str().is_empty() {
                    return Err("type a chess run directory or checkpoint file, then Load".into());
                }
                CheckpointSource::Path(path.clone())
            }
        };
        let (checkpoint, config) = source
            .load(&GameSpec::Chess(ChessConfig::default()))
            .map_err(|error| error.to_string())?;
        let TrainConfig {
            game: GameSpec::Chess(game),
            network,
            search,
            ..
        } = &config
        else {
            return Err(format!(
                "{} holds a {} network, not a chess one (wgzero train --game chess trains \
                 one; choose Game: clique for this one)",
                checkpoint.path().display(),
                config.game.name()
            ));
        };
        let evaluator = checkpoint_evaluator(&checkpoint, game, network, compute, 1)
            .map_err(|error| error.to_string())?;
        Ok(ChessNetwork {
            game: *game,
            evaluator,
            source: match &source {
                CheckpointSource::Bundled(Some(shipped)) => NetworkSource::Bundled {
                    name: shipped.name.to_owned(),
                },
                _ => NetworkSource::Checkpoint {
                    path: checkpoint.path().to_owned(),
                    iteration: checkpoint.record().iteration,
                    tensors_sha256: checkpoint.record().tensors_sha256.clone(),
                },
            },
            run_policy: Some(without_noise(search.policy)),
            description: format!(
                "{} (iteration {}, {})",
                checkpoint.path().display(),
                checkpoint.record().iteration,
                game.label()
            ),
        })
    }
}

/// The chess agent picker's state: no agent (where the tab allows it), uniform, the
/// bundled network, or a checkpoint by path (in a browser, also uploaded).
#[derive(Default)]
pub struct ChessNetworkPicker {
    /// `None`: no agent.
    pub choice: Option<ChessNetworkChoice>,
    /// The checkpoint path being typed.
    pub path: String,
    /// Checkpoint files being picked in the browser.
    #[cfg(target_arch = "wasm32")]
    upload: Option<super::transfer::browser::Upload>,
    /// Why the last upload was refused.
    upload_error: Option<String>,
}

impl ChessNetworkPicker {
    /// A picker set to `choice`.
    pub fn with(choice: Option<ChessNetworkChoice>) -> Self {
        Self {
            choice,
            ..Self::default()
        }
    }

    /// The picker's widgets (`none` names the no-agent choice, where the tab has one);
    /// true when the user asks to load the choice (a change of kind, or Load).
    pub fn picker_ui(&mut self, ui: &mut egui::Ui, none: Option<&str>) -> bool {
        #[derive(Clone, Copy, PartialEq, Eq)]
        enum Kind {
            None,
            Uniform,
            Bundled,
            Checkpoint,
        }
        let kind = match self.choice {
            None => Kind::None,
            Some(ChessNetworkChoice::Uniform) => Kind::Uniform,
            Some(ChessNetworkChoice::Bundled) => Kind::Bundled,
            Some(ChessNetworkChoice::Checkpoint(_)) => Kind::Checkpoint,
        };
        let mut picked = kind;
        ui.horizontal_wrapped(|ui| {
            ui.label("Network:");
            if let Some(none) = none {
                ui.selectable_value(&mut picked, Kind::None, none);
            }
            ui.selectable_value(&mut picked, Kind::Checkpoint, "chess checkpoint");
            ui.selectable_value(&mut picked, Kind::Uniform, "uniform");
            ui.selectable_value(&mut picked, Kind::Bundled, "bundled")
                .on_hover_text("the chess network shipped with wgzero (docs/NETWORKS.md)");
        });
        let mut load = false;
        if picked != kind {
            self.choice = match picked {
                Kind::None => None,
                Kind::Uniform => Some(ChessNetworkChoice::Uniform),
                Kind::Bundled => Some(ChessNetworkChoice::Bundled),
                Kind::Checkpoint => Some(ChessNetworkChoice::Checkpoint(PathBuf::from(
                    self.path.trim(),
                ))),
            };
            // A checkpoint waits for its path and Load.
            load = picked != Kind::Checkpoint;
        }
        if let Some(ChessNetworkChoice::Checkpoint(path)) = &mut self.choice {
            let label = ui.label("Chess checkpoint (run directory or file)");
            ui.add(
                egui::TextEdit::singleline(&mut self.path)
                    .hint_text("runs/chess-…")
                    .desired_width(f32::INFINITY),
            )
            .labelled_by(label.id);
            if ui.button("Load chess network").clicked() {
                *path = PathBuf::from(self.path.trim());
                load = true;
            }
            #[cfg(target_arch = "wasm32")]
            {
                if ui
                    .button("Upload chess checkpoint files…")
                    .on_hover_text(
                        "Pick a chess checkpoint's two files (ckpt-<iteration>.json and its \
                         .safetensors), made by wgzero train --game chess on a desktop",
                    )
                    .clicked()
                {
                    match super::transfer::browser::Upload::pick(".json,.safetensors") {
                        Ok(upload) => self.upload = Some(upload),
                        Err(error) => self.upload_error = Some(error),
                    }
                }
                if let Some(received) = self.upload.as_ref().and_then(|upload| upload.take()) {
                    self.upload = None;
                    match received.and_then(|files| {
                        super::transfer::import_pair(&files, std::path::Path::new(RUNS_DIRECTORY))
                    }) {
                        Ok(run_dir) => {
                            self.path = run_dir.display().to_string();
                            *path = run_dir;
                            self.upload_error = None;
                            load = true;
                        }
                        Err(error) => self.upload_error = Some(error),
                    }
                } else if self.upload.is_some() {
                    ui.ctx()
                        .request_repaint_after(std::time::Duration::from_millis(100));
                }
            }
            if let Some(error) = &self.upload_error {
                ui.colored_label(ui.visuals().error_fg_color, error);
            }
        }
        load
    }
}
