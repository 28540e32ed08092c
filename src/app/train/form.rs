//! The new-run form: the game and board, the network, the search and the run's main
//! settings. It starts from the CLI's defaults (`TrainConfig::for_game`) and is checked by
//! the one check the CLI uses, `TrainConfig::validate`.

use eframe::egui;

use crate::games::clique::{CliqueConfig, CliqueSizes, Mode};
use crate::games::{ChessConfig, GameSpec};
use crate::nn::spec::NetworkSpec;
use crate::search::RootPolicy;
use crate::train::{ConfigError, TrainConfig};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GameChoice {
    Clique,
    Chess,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NetworkChoice {
    Mlp,
    Gnn,
    ResNet,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PolicyChoice {
    Puct,
    Gumbel,
}

/// The form's values; [`RunForm::config`] turns them into a checked configuration.
#[derive(Clone, Debug)]
pub struct RunForm {
    pub game: GameChoice,
    pub n: u32,
    /// Colour 0's clique size (both colours' outside avoid mode).
    pub k: u32,
    /// Colour 1's clique size in avoid mode (ignored in the other modes).
    pub t: u32,
    pub mode: Mode,
    pub ply_cap: u32,
    pub network: NetworkChoice,
    /// MLP: hidden width; GNN: state width; ResNet: filters.
    pub width: usize,
    /// MLP: hidden layers; GNN: layers; ResNet: residual blocks.
    pub depth: usize,
    pub simulations: u32,
    pub policy: PolicyChoice,
    pub games_in_flight: u32,
    pub batch_size: u32,
    pub learning_rate: f32,
    /// The run directory; empty: `runs/<game>-<time>`.
    pub run_dir: String,
}

impl Default for RunForm {
    fn default() -> Self {
        let mut form = Self {
            game: GameChoice::Clique,
            n: 6,
            k: 3,
            t: 3,
            mode: Mode::Symmetric,
            ply_cap: ChessConfig::default().ply_cap,
            network: NetworkChoice::Mlp,
            width: 0,
            depth: 0,
            simulations: 0,
            policy: PolicyChoice::Puct,
            games_in_flight: 0,
            batch_size: 0,
            learning_rate: 0.0,
            run_dir: String::new(),
        };
        form.reset_to_defaults();
        form
    }
}

impl RunForm {
    fn spec(&self) -> Result<GameSpec, ConfigError> {
        match self.game {
            GameChoice::Clique => {
                let t = if self.mode == Mode::Avoid {
                    self.t
                } else {
                    self.k
                };
                let sizes = CliqueSizes { s: self.k, t };
                CliqueConfig::with_sizes(self.n, sizes, self.mode)
                    .map(GameSpec::Clique)
                    .map_err(|error| ConfigError::new("--k", error.to_string()))
            }
            GameChoice::Chess => ChessConfig::new(self.ply_cap)
                .map(GameSpec::Chess)
                .map_err(|error| ConfigError::new("--ply-cap", error.to_string())),
        }
    }

    /// Takes the CLI's defaults for the chosen game (its network, games in flight, search
    /// and learning settings).
    pub fn reset_to_defaults(&mut self) {
        let Ok(spec) = self.spec() else {
            return;
        };
        let defaults = TrainConfig::for_game(spec);
        self.set_network(&defaults.network);
        self.simulations = defaults.search.simulations;
        self.policy = match defaults.search.policy {
            RootPolicy::AlphaZero { .. } => PolicyChoice::Puct,
            RootPolicy::Gumbel { .. } => PolicyChoice::Gumbel,
        };
        self.games_in_flight = defaults.games_in_flight;
        self.batch_size = defaults.batch_size;
        self.learning_rate = defaults.learning_rate;
    }

    fn set_network(&mut self, network: &NetworkSpec) {
        (self.network, self.width, self.depth) = match network {
            NetworkSpec::Mlp { hidden } => (
                NetworkChoice::Mlp,
                hidden.first().copied().unwrap_or(256),
                hidden.len(),
            ),
            NetworkSpec::Gnn { hidden, layers } => (NetworkChoice::Gnn, *hidden, *layers),
            NetworkSpec::ResNet { filters, blocks } => (NetworkChoice::ResNet, *filters, *blocks),
        };
    }

    /// The run these values describe, checked as `wgzero train` checks its flags.
    pub fn config(&self) -> Result<TrainConfig, ConfigError> {
        let mut config = TrainConfig::for_game(self.spec()?);
        config.network = match self.network {
            NetworkChoice::Mlp => NetworkSpec::Mlp {
                hidden: vec![self.width; self.depth],
            },
            NetworkChoice::Gnn => NetworkSpec::Gnn {
                hidden: self.width,
                layers: self.depth,
            },
            NetworkChoice::ResNet => NetworkSpec::ResNet {
                filters: self.width,
                blocks: self.depth,
            },
        };
        config
            .network
            .validate()
            .map_err(|error| ConfigError::new(error.flag, error.to_string()))?;
        config.search.simulations = self.simulations;
        if self.policy == PolicyChoice::Gumbel {
            config.search.policy = RootPolicy::gumbel();
        }
        config.games_in_flight = self.games_in_flight;
        config.batch_size = self.batch_size;
        config.learning_rate = self.learning_rate;
        config.validate()?;
        Ok(config)
    }

    /// The form's widgets; true when a value changed.
    pub fn form_ui(&mut self, ui: &mut egui::Ui) -> bool {
        let before = self.clone();
        let mut game_changed = false;
        egui::Grid::new("run form")
            .num_columns(2)
            .spacing([12.0, 6.0])
            .show(ui, |ui| {
                ui.label("Game");
                ui.horizontal(|ui| {
                    game_changed |= ui
                        .selectable_value(&mut self.game, GameChoice::Clique, "Clique")
                        .changed();
                    game_changed |= ui
                        .selectable_value(&mut self.game, GameChoice::Chess, "Chess")
                        .changed();
                });
                ui.end_row();
                match self.game {
                    GameChoice::Clique => {
                        ui.label("Board: n, k");
                        ui.horizontal(|ui| {
                            game_changed |= ui
                                .add(
                                    egui::DragValue::new(&mut self.n)
                                        .range(3..=64)
                                        .prefix("n = "),
                                )
                                .changed();
                            game_changed |= ui
                                .add(
                                    egui::DragValue::new(&mut self.k)
                                        .range(3..=self.n.max(3))
                                        .prefix("k = "),
                                )
                                .changed();
                            if self.mode == Mode::Avoid {
                                game_changed |= ui
                                    .add(
                                        egui::DragValue::new(&mut self.t)
                                            .range(3..=self.n.max(3))
                                            .prefix("t = "),
                                    )
                                    .on_hover_text(
                                        "Player 1's clique size: player 0 must avoid K_k, \
                                         player 1 K_t; a draw shows R(k,t) > n",
                                    )
                                    .changed();
                            }
                        });
                        ui.end_row();
                        ui.label("Mode");
                        ui.horizontal(|ui| {
                            for mode in [Mode::Symmetric, Mode::Asymmetric, Mode::Avoid] {
                                game_changed |= ui
                                    .selectable_value(&mut self.mode, mode, mode.name())
                                    .changed();
                            }
                        });
                        ui.end_row();
                    }
                    GameChoice::Chess => {
                        let label = ui.label("Ply cap");
                        ui.add(egui::DragValue::new(&mut self.ply_cap).range(1..=2048))
                            .labelled_by(label.id);
                        ui.end_row();
                    }
                }
                ui.label("Network");
                ui.horizontal(|ui| {
                    ui.selectable_value(&mut self.network, NetworkChoice::Mlp, "MLP");
                    if self.game == GameChoice::Clique {
                        ui.selectable_value(&mut self.network, NetworkChoice::Gnn, "GNN");
                    }
                    ui.selectable_value(&mut self.network, NetworkChoice::ResNet, "ResNet");
                });
                ui.end_row();
                let (width, depth) = match self.network {
                    NetworkChoice::Mlp => ("Hidden width", "Hidden layers"),
                    NetworkChoice::Gnn => ("State width", "Layers"),
                    NetworkChoice::ResNet => ("Filters", "Residual blocks"),
                };
                let label = ui.label(width);
                ui.add(egui::DragValue::new(&mut self.width).range(1..=8192))
                    .labelled_by(label.id);
                ui.end_row();
                let label = ui.label(depth);
                ui.add(egui::DragValue::new(&mut self.depth).range(0..=64))
                    .labelled_by(label.id);
                ui.end_row();
                let label = ui.label("Simulations per move");
                ui.add(egui::DragValue::new(&mut self.simulations).range(0..=100_000))
                    .labelled_by(label.id);
                ui.end_row();
                ui.label("Root policy");
                ui.horizontal(|ui| {
                    ui.selectable_value(&mut self.policy, PolicyChoice::Puct, "PUCT");
                    ui.selectable_value(&mut self.policy, PolicyChoice::Gumbel, "Gumbel");
                });
                ui.end_row();
                let label = ui.label("Games in flight");
                ui.add(egui::DragValue::new(&mut self.games_in_flight).range(1..=65_536))
                    .labelled_by(label.id);
                ui.end_row();
                let label = ui.label("Batch size");
                ui.add(egui::DragValue::new(&mut self.batch_size).range(1..=65_536))
                    .labelled_by(label.id);
                ui.end_row();
                let label = ui.label("Learning rate");
                ui.add(
                    egui::DragValue::new(&mut self.learning_rate)
                        .range(1e-6..=10.0)
                        .speed(1e-4)
                        .max_decimals(6),
                )
                .labelled_by(label.id);
                ui.end_row();
                let label = ui.label("Run directory");
                ui.add(
                    egui::TextEdit::singleline(&mut self.run_dir)
                        .hint_text("runs/<game>-<time>")
                        .desired_width(180.0),
                )
                .labelled_by(label.id);
                ui.end_row();
            });
        if game_changed {
            self.k = self.k.min(self.n);
            self.t = self.t.min(self.n);
            self.reset_to_defaults();
        }
        if ui
            .button("Defaults")
            .on_hover_text("The CLI's defaults for this game")
            .clicked()
        {
            self.reset_to_defaults();
        }
        before.differs(self)
    }

    fn differs(&self, other: &Self) -> bool {
        format!("{self:?}") != format!("{other:?}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_the_clis() {
        let form = RunForm::default();
        assert_eq!(
            form.config().unwrap(),
            TrainConfig::for_game(GameSpec::default())
        );
    }

    #[test]
    fn bad_values_name_what_to_change() {
        let mut form = RunForm {
            k: 9,
            ..RunForm::default()
        };
        assert_eq!(form.config().unwrap_err().flag, "--k");
        form.k = 3;
        form.batch_size = 0;
        assert_eq!(form.config().unwrap_err().flag, "--batch");
    }
}
