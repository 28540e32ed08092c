//! The Play tab: play the agent on the clique board or the chess board
//! ([`super::chess_play`]). Click an open edge to claim it; the agent answers with the move
//! its search chooses (run a slice per frame, never blocking). Choose sides and the agent's
//! simulations, take moves back, and optionally see the agent's policy as heat on the open
//! edges with its value estimate.

use std::time::Duration;

use eframe::egui;

use super::board::{BoardView, CliqueBoard, Overlay, completed_clique};
use super::chess_play::ChessPlay;
use super::network::{LoadedNetwork, NetworkPicker};
use crate::backend::Compute;
use crate::evaluate::without_noise;
use crate::games::GameState;
use crate::games::clique::{CliqueConfig, CliqueState, Mode, Status};
use crate::search::interactive::InteractiveSearch;
use crate::search::{FirstPlayUrgency, RootPolicy, SearchConfig};

const FRAME_BUDGET: Duration = Duration::from_millis(12);

/// `wgzero play`'s default simulations.
const DEFAULT_SIMULATIONS: u32 = 100;

/// The agent's view of a position: its prior per action and its value for the player to
/// move (from its network alone).
#[derive(Clone, Debug)]
pub struct Analysis {
    pub moves_played: usize,
    pub priors: Vec<f32>,
    pub value: f32,
}

/// The game a tab shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum GameChoice {
    #[default]
    Clique,
    Chess,
}

/// The Game selector of the Play and Search tabs.
pub fn game_choice_ui(ui: &mut egui::Ui, choice: &mut GameChoice) {
    ui.horizontal(|ui| {
        ui.label("Game:");
        ui.selectable_value(choice, GameChoice::Clique, "clique");
        ui.selectable_value(choice, GameChoice::Chess, "chess");
    });
}

pub struct PlayTab {
    /// Which board the tab shows.
    pub game_choice: GameChoice,
    /// The chess board's game (the rest of the fields are the clique game's).
    pub chess: ChessPlay,
    pub picker: NetworkPicker,
    network: Option<LoadedNetwork>,
    /// The moves of the game so far.
    pub moves: Vec<usize>,
    /// The player the person plays (0 moves first).
    pub human: u8,
    pub simulations: u32,
    pub show_policy: bool,
    /// The agent's search for its move, in progress.
    thinking: Option<InteractiveSearch<CliqueState>>,
    /// The network's analysis of the current position, in progress or done.
    analysing: Option<InteractiveSearch<CliqueState>>,
    pub analysis: Option<Analysis>,
    board: CliqueBoard,
    pub error: Option<String>,
    loaded_once: bool,
}

impl Default for PlayTab {
    fn default() -> Self {
        Self {
            game_choice: GameChoice::default(),
            chess: ChessPlay::default(),
            picker: NetworkPicker::default(),
            network: None,
            moves: Vec::new(),
            human: 0,
            simulations: DEFAULT_SIMULATIONS,
            show_policy: false,
            thinking: None,
            analysing: None,
            analysis: None,
            board: CliqueBoard::default(),
            error: None,
            loaded_once: false,
        }
    }
}

impl PlayTab {
    pub fn game(&self) -> CliqueConfig {
        self.network.as_ref().map_or_else(
            || CliqueConfig::new(6, 3, Mode::Symmetric).expect("K_6, k = 3 is valid"),
            |network| network.game,
        )
    }

    pub fn network(&self) -> Option<&LoadedNetwork> {
        self.network.as_ref()
    }

    /// The position after the moves played.
    pub fn state(&self) -> CliqueState {
        CliqueState::from_actions(self.game(), &self.moves).expect("the tab only keeps legal moves")
    }

    /// Whether the agent is searching for its move.
    pub fn is_thinking(&self) -> bool {
        self.thinking.is_some()
    }

    pub fn load_network(&mut self, compute: &Compute) {
        self.loaded_once = true;
        match self.picker.choice.load(compute) {
            Ok(network) => {
                self.network = Some(network);
                self.error = None;
                self.new_game();
            }
            Err(error) => self.error = Some(error),
        }
    }

    pub fn new_game(&mut self) {
        self.moves.clear();
        self.thinking = None;
        self.analysing = None;
        self.analysis = None;
    }

    fn search_config(&self, simulations: u32) -> SearchConfig {
        let policy = self
            .network
            .as_ref()
            .and_then(|network| network.run_policy)
            .map_or(
                RootPolicy::AlphaZero {
                    c_puct: 1.25,
                    first_play_urgency: FirstPlayUrgency::Reduction(0.0),
                    dirichlet: None,
                },
                without_noise,
            );
        SearchConfig {
            simulations,
            policy,
            reuse_subtree: false,
        }
    }

    /// Plays `action` for the person, if it is their turn and the move is legal.
    pub fn play(&mut self, action: usize) -> Result<(), String> {
        let mut state = self.state();
        if state.is_over() {
            return Err("the game is over: start a new one".into());
        }
        if state.to_move() != self.human || self.thinking.is_some() {
            return Err("it is the agent's turn".into());
        }
        state.apply(action).map_err(|error| error.to_string())?;
        self.moves.push(action);
        self.analysis = None;
        self.analysing = None;
        Ok(())
    }

    /// Takes back moves until it is the person's turn again (one move of each side).
    pub fn take_back(&mut self) {
        self.thinking = None;
        self.analysing = None;
        self.analysis = None;
        if self.moves.is_empty() {
            return;
        }
        self.moves.pop();
        while !self.moves.is_empty() && self.state().to_move() != self.human {
            self.moves.pop();
        }
    }

    /// The agent's search and the analysis advance by one frame's budget.
    pub fn tick(&mut self, compute: &Compute, ctx: &egui::Context) {
        if self.game_choice == GameChoice::Chess {
            self.chess.tick(ctx);
            return;
        }
        if !self.loaded_once {
            self.load_network(compute);
        }
        if self.network.is_none() {
            return;
        }
        let state = self.state();
        if !state.is_over() && state.to_move() != self.human && self.thinking.is_none() {
            match InteractiveSearch::new(state.clone(), self.search_config(self.simulations)) {
                Ok(mut search) => {
                    search.request_all();
                    self.thinking = Some(search);
                }
                Err(error) => self.error = Some(error.to_string()),
            }
        }
        if self.show_policy
            && !state.is_over()
            && self.analysis.as_ref().map(|a| a.moves_played) != Some(self.moves.len())
            && self.analysing.is_none()
        {
            self.analysing = InteractiveSearch::new(state.clone(), self.search_config(0)).ok();
        }
        let Some(network) = &mut self.network else {
            return;
        };
        if let Some(search) = &mut self.thinking {
            match search.advance(&mut network.evaluator, FRAME_BUDGET) {
                Ok(progress) => {
                    if progress.simulations_done >= progress.target && search.root_evaluated() {
                        let chosen = search.result().chosen;
                        self.thinking = None;
                        self.moves.push(chosen);
                        self.analysis = None;
                    }
                    ctx.request_repaint();
                }
                Err(error) => {
                    self.error = Some(format!("the agent's search failed: {error}"));
                    self.thinking = None;
                }
            }
            // One search at a time: the network holds one evaluation in flight.
            return;
        }
        if let Some(search) = &mut self.analysing {
            match search.advance(&mut network.evaluator, FRAME_BUDGET) {
                Ok(_) if search.root_evaluated() => {
                    let tree = search.tree();
                    let mut priors = vec![0.0; state.num_actions()];
                    for edge in &tree.edges[tree.edges_of(tree.root)] {
                        priors[edge.action as usize] = edge.prior;
                    }
                    self.analysis = Some(Analysis {
                        moves_played: self.moves.len(),
                        priors,
                        value: tree.nodes[tree.root as usize].raw_value,
                    });
                    self.analysing = None;
                }
                Ok(_) => ctx.request_repaint(),
                Err(error) => {
                    self.error = Some(format!("the analysis failed: {error}"));
                    self.analysing = None;
                }
            }
        }
    }

    pub fn play_ui(&mut self, ui: &mut egui::Ui, compute: &Compute) {
        egui::Panel::left("play settings")
            .resizable(true)
            .default_size(300.0)
            .show(ui, |ui| {
                game_choice_ui(ui, &mut self.game_choice);
                ui.separator();
                egui::ScrollArea::vertical().show(ui, |ui| match self.game_choice {
                    GameChoice::Clique => self.settings_ui(ui, compute),
                    GameChoice::Chess => self.chess.settings_ui(ui, compute),
                });
            });
        egui::CentralPanel::default_margins().show(ui, |ui| match self.game_choice {
            GameChoice::Clique => self.board_ui(ui),
            GameChoice::Chess => self.chess.board_ui(ui),
        });
    }

    fn settings_ui(&mut self, ui: &mut egui::Ui, compute: &Compute) {
        ui.heading("Agent");
        if self.picker.picker_ui(ui) {
            self.load_network(compute);
        }
        if let Some(network) = &self.network {
            ui.label(&network.description);
        }
        ui.horizontal(|ui| {
            let label = ui.label("Agent's simulations");
            ui.add(egui::DragValue::new(&mut self.simulations).range(0..=100_000))
                .labelled_by(label.id);
        });
        ui.separator();
        ui.heading("You play");
        let before = self.human;
        ui.horizontal(|ui| {
            ui.selectable_value(&mut self.human, 0, "red (moves first)");
            ui.selectable_value(&mut self.human, 1, "blue (moves second)");
        });
        if self.human != before {
            self.new_game();
        }
        ui.horizontal(|ui| {
            if ui.button("New game").clicked() {
                self.new_game();
            }
            if ui
                .add_enabled(!self.moves.is_empty(), egui::Button::new("Take back"))
                .clicked()
            {
                self.take_back();
            }
        });
        ui.checkbox(&mut self.show_policy, "Show the agent's policy and value");
        ui.separator();
        let game = self.game();
        ui.label(match game.mode {
            Mode::Symmetric => {
                "Complete a K_k in your colour first to win; a full board without one is a draw."
                    .to_owned()
            }
            Mode::Asymmetric => {
                "Red wins by completing a K_k in red; blue wins if the board fills without one."
                    .to_owned()
            }
            Mode::Avoid if game.k == game.t => {
                "Completing a K_k in your own colour loses; a full board without one is a draw \
                 (a Ramsey witness)."
                    .to_owned()
            }
            Mode::Avoid => format!(
                "Red loses by completing a K_{} in red, blue by completing a K_{} in blue; a full \
                 board without either is a draw (a witness that R({},{}) > {}).",
                game.k, game.t, game.k, game.t, game.n
            ),
        });
        if let Some(error) = &self.error {
            ui.colored_label(ui.visuals().error_fg_color, error);
        }
    }

    fn board_ui(&mut self, ui: &mut egui::Ui) {
        let state = self.state();
        let config = state.config();
        let status = state.status();
        let mut overlay = Overlay {
            last_move: state.last_action().map(|a| a as usize),
            ..Overlay::default()
        };
        if status != Status::Ongoing
            && let Some(last) = state.last_action()
            && let Some(player) = state.owner(last as usize)
            && let Some(clique) = completed_clique(&state, player)
        {
            overlay.highlight = clique;
        }
        let analysis = self
            .analysis
            .as_ref()
            .filter(|a| self.show_policy && a.moves_played == self.moves.len());
        if let Some(analysis) = analysis {
            let most = analysis
                .priors
                .iter()
                .copied()
                .fold(0.0f32, f32::max)
                .max(1e-6);
            overlay.heat = Some(analysis.priors.iter().map(|p| p / most).collect());
        }
        let you = self.board.player_colour(self.human).1;
        let agent = self.board.player_colour(1 - self.human).1;
        ui.label(
            egui::RichText::new(format!(
                "K_{}, k = {}, {} mode — you are {you}, the agent is {agent}",
                config.n,
                config.sizes(),
                config.mode.name()
            ))
            .strong(),
        );
        let turn = match status {
            Status::Ongoing if self.thinking.is_some() => "the agent is thinking…".to_owned(),
            Status::Ongoing if state.to_move() == self.human => {
                "your move: click an open edge".to_owned()
            }
            Status::Ongoing => "the agent's move".to_owned(),
            Status::Won(player) if player == self.human => "you win".to_owned(),
            Status::Won(_) => "the agent wins".to_owned(),
            Status::Draw if config.mode == Mode::Avoid => {
                "draw: the board is full with no monochromatic K_k — a Ramsey witness".to_owned()
            }
            Status::Draw => "draw".to_owned(),
        };
        ui.label(&turn);
        if let Some(analysis) = analysis {
            ui.label(format!(
                "the agent's value for {} (to move): {:+.3}",
                self.board.player_colour(state.to_move()).1,
                analysis.value
            ));
        }
        let interactive =
            status == Status::Ongoing && state.to_move() == self.human && self.thinking.is_none();
        let size = ui
            .available_width()
            .min(ui.available_height() - 20.0)
            .max(200.0);
        if let Some(action) = self.board.board_ui(ui, &state, &overlay, interactive, size)
            && let Err(error) = self.play(action)
        {
            self.error = Some(error);
        }
    }
}
