//! Chess in the Play tab: play the agent (a chess checkpoint, or the uniform net's plain
//! MCTS) from the start or a FEN, or play both sides yourself without one. The agent's
//! search runs a slice per frame, as the clique game's does; its policy (the network's
//! prior, or the visit shares of a search) can be drawn as arrows.

use std::time::Duration;

use eframe::egui;

use super::board::{BoardView, Overlay};
use super::chess_board::{ChessBoard, status_line};
use super::network::{ChessNetwork, ChessNetworkPicker};
use crate::backend::Compute;
use crate::evaluate::without_noise;
use crate::games::chess::{ChessGame, Color, Position, STARTING_FEN, notation};
use crate::games::{ChessConfig, GameState};
use crate::search::interactive::InteractiveSearch;
use crate::search::{FirstPlayUrgency, RootPolicy, SearchConfig};

const FRAME_BUDGET: Duration = Duration::from_millis(12);

/// The agent's view of a position: a probability per action (its prior, or its search's
/// visit shares) and its value for the player to move.
#[derive(Clone, Debug)]
pub struct ChessAnalysis {
    pub moves_played: usize,
    /// Simulations the analysis searched (0: the network's prior).
    pub simulations: u32,
    pub policy: Vec<f32>,
    pub value: f32,
}

pub struct ChessPlay {
    pub picker: ChessNetworkPicker,
    network: Option<ChessNetwork>,
    /// The game so far, from its start position.
    game: ChessGame,
    /// The actions played, in order.
    pub moves: Vec<usize>,
    /// The side the person plays against the agent (without an agent, both).
    pub human: Color,
    pub simulations: u32,
    pub show_policy: bool,
    /// Simulations of the search whose visit shares are drawn (0: the network's prior).
    pub policy_simulations: u32,
    thinking: Option<InteractiveSearch<ChessGame>>,
    analysing: Option<InteractiveSearch<ChessGame>>,
    pub analysis: Option<ChessAnalysis>,
    pub board: ChessBoard,
    /// The FEN typed.
    pub fen: String,
    pub error: Option<String>,
}

impl Default for ChessPlay {
    fn default() -> Self {
        Self {
            picker: ChessNetworkPicker::default(),
            network: None,
            game: ChessGame::default(),
            moves: Vec::new(),
            human: Color::White,
            simulations: 100,
            show_policy: true,
            policy_simulations: 0,
            thinking: None,
            analysing: None,
            analysis: None,
            board: ChessBoard::default(),
            fen: String::new(),
            error: None,
        }
    }
}

fn side_name(color: Color) -> &'static str {
    match color {
        Color::White => "white",
        Color::Black => "black",
    }
}

impl ChessPlay {
    pub fn network(&self) -> Option<&ChessNetwork> {
        self.network.as_ref()
    }

    /// The game as it stands.
    pub fn game(&self) -> &ChessGame {
        &self.game
    }

    /// Whether the agent is searching for its move.
    pub fn is_thinking(&self) -> bool {
        self.thinking.is_some()
    }

    /// The game's rules for this agent (its training ply cap; the default without one).
    fn config(&self) -> ChessConfig {
        self.network
            .as_ref()
            .map_or_else(ChessConfig::default, |network| network.game)
    }

    pub fn load_network(&mut self, compute: &Compute) {
        match &self.picker.choice {
            None => {
                self.network = None;
                self.error = None;
                self.stop_searches();
            }
            Some(choice) => match choice.load(compute) {
                Ok(network) => {
                    self.network = Some(network);
                    self.error = None;
                    let start = self.game.start().clone();
                    self.restart(start);
                }
                Err(error) => self.error = Some(error),
            },
        }
    }

    fn stop_searches(&mut self) {
        self.thinking = None;
        self.analysing = None;
        self.analysis = None;
    }

    /// A new game from `start`.
    fn restart(&mut self, start: Position) {
        self.game = ChessGame::new(start).with_ply_cap(self.config().ply_cap);
        self.moves.clear();
        self.board.put_down();
        self.stop_searches();
    }

    /// A new game from the start position of the current one.
    pub fn new_game(&mut self) {
        let start = self.game.start().clone();
        self.restart(start);
    }

    /// A new game from the standard start position.
    pub fn set_start_position(&mut self) {
        self.fen = STARTING_FEN.to_owned();
        self.restart(Position::starting());
        self.error = None;
    }

    /// A new game from the FEN typed; a bad FEN changes nothing and says what is wrong.
    pub fn set_fen(&mut self) {
        match Position::from_fen(self.fen.trim()) {
            Ok(position) => {
                self.restart(position);
                self.error = None;
            }
            Err(error) => self.error = Some(format!("the FEN: {error}")),
        }
    }

    /// Whether the person moves now: always without an agent, else on their side's turn.
    pub fn human_to_move(&self) -> bool {
        self.network.is_none() || self.game.position().side_to_move() == self.human
    }

    /// Plays `action` for the person, if it is their turn and the move is legal.
    pub fn play(&mut self, action: usize) -> Result<(), String> {
        if self.game.outcome().is_some() {
            return Err("the game is over: start a new one".into());
        }
        if !self.human_to_move() || self.thinking.is_some() {
            return Err("it is the agent's turn".into());
        }
        self.game.apply(action).map_err(|error| error.to_string())?;
        self.moves.push(action);
        self.analysing = None;
        self.analysis = None;
        Ok(())
    }

    /// Takes back moves until it is the person's turn again (one move of each side
    /// against the agent, one move without it).
    pub fn take_back(&mut self) {
        self.stop_searches();
        if self.moves.is_empty() {
            return;
        }
        let mut moves = self.moves.clone();
        moves.pop();
        let replay = |moves: &[usize]| {
            let mut game =
                ChessGame::new(self.game.start().clone()).with_ply_cap(self.game.ply_cap());
            for &action in moves {
                game.apply(action).expect("the tab only keeps legal moves");
            }
            game
        };
        let mut game = replay(&moves);
        while self.network.is_some()
            && !moves.is_empty()
            && game.position().side_to_move() != self.human
        {
            moves.pop();
            game = replay(&moves);
        }
        self.game = game;
        self.moves = moves;
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

    /// The agent's search and the analysis advance by one frame's budget.
    pub fn tick(&mut self, ctx: &egui::Context) {
        if self.network.is_none() || self.game.outcome().is_some() {
            return;
        }
        if !self.human_to_move() && self.thinking.is_none() {
            match InteractiveSearch::new(self.game.clone(), self.search_config(self.simulations)) {
                Ok(mut search) => {
                    search.request_all();
                    self.thinking = Some(search);
                }
                Err(error) => self.error = Some(error.to_string()),
            }
        }
        let analysed = self
            .analysis
            .as_ref()
            .is_some_and(|a| a.moves_played == self.moves.len());
        if self.show_policy && !analysed && self.analysing.is_none() {
            self.analysing = InteractiveSearch::new(
                self.game.clone(),
                self.search_config(self.policy_simulations),
            )
            .ok()
            .map(|mut search| {
                search.request_all();
                search
            });
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
                        match self.game.apply(chosen) {
                            Ok(()) => self.moves.push(chosen),
                            Err(error) => {
                                self.error = Some(format!("the agent chose {chosen}: {error}"))
                            }
                        }
                        self.analysis = None;
                        self.analysing = None;
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
                Ok(progress)
                    if progress.simulations_done >= progress.target && search.root_evaluated() =>
                {
                    let tree = search.tree();
                    let edges = &tree.edges[tree.edges_of(tree.root)];
                    let mut policy = vec![0.0; self.game.num_actions()];
                    let visits: u32 = edges.iter().map(|edge| edge.visits).sum();
                    for edge in edges {
                        policy[edge.action as usize] = if visits > 0 {
                            edge.visits as f32 / visits as f32
                        } else {
                            edge.prior
                        };
                    }
                    self.analysis = Some(ChessAnalysis {
                        moves_played: self.moves.len(),
                        simulations: progress.simulations_done,
                        policy,
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

    pub fn settings_ui(&mut self, ui: &mut egui::Ui, compute: &Compute) {
        ui.heading("Agent");
        if self.picker.picker_ui(ui, Some("none (two players)")) {
            self.load_network(compute);
        }
        match &self.network {
            Some(network) => {
                ui.label(&network.description);
            }
            None => {
                ui.label("No agent: you play both sides.");
            }
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
            ui.selectable_value(&mut self.human, Color::White, "white");
            ui.selectable_value(&mut self.human, Color::Black, "black");
        });
        if self.human != before {
            self.board.flipped = self.human == Color::Black;
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
            ui.checkbox(&mut self.board.flipped, "Flip board");
        });
        ui.checkbox(&mut self.show_policy, "Show the agent's policy as arrows");
        ui.horizontal(|ui| {
            let label = ui.label("Policy search simulations (0: the prior)");
            if ui
                .add(egui::DragValue::new(&mut self.policy_simulations).range(0..=100_000))
                .labelled_by(label.id)
                .changed()
            {
                self.analysis = None;
                self.analysing = None;
            }
        });
        ui.separator();
        ui.heading("Position");
        let label = ui.label("FEN");
        ui.add(
            egui::TextEdit::singleline(&mut self.fen)
                .hint_text(STARTING_FEN)
                .desired_width(f32::INFINITY),
        )
        .labelled_by(label.id);
        ui.horizontal(|ui| {
            if ui.button("Set FEN").clicked() {
                self.set_fen();
            }
            if ui.button("Start position").clicked() {
                self.set_start_position();
            }
        });
        ui.label("Now:");
        ui.add(
            egui::Label::new(egui::RichText::new(self.game.position().to_fen()).monospace()).wrap(),
        );
        if let Some(error) = &self.error {
            ui.colored_label(ui.visuals().error_fg_color, error);
        }
    }

    pub fn board_ui(&mut self, ui: &mut egui::Ui) {
        let heading = match &self.network {
            Some(_) => format!(
                "Chess — you are {}, the agent is {}",
                side_name(self.human),
                side_name(self.human.other())
            ),
            None => "Chess — two players".to_owned(),
        };
        ui.label(egui::RichText::new(heading).strong());
        let over = self.game.outcome().is_some();
        let status = status_line(&self.game);
        let turn = if over {
            status
        } else if self.thinking.is_some() {
            format!("{status}: the agent is thinking…")
        } else if self.human_to_move() {
            format!("{status}: click a piece, then its square")
        } else {
            format!("{status}: the agent's move")
        };
        ui.label(turn);
        let analysis = self
            .analysis
            .as_ref()
            .filter(|a| self.show_policy && a.moves_played == self.moves.len() && !over);
        let mut overlay = Overlay::default();
        if let Some(analysis) = analysis {
            ui.label(format!(
                "arrows: the agent's {}; its value for {} (to move): {:+.3}",
                if analysis.simulations == 0 {
                    "prior".to_owned()
                } else {
                    format!("visit shares after {} simulations", analysis.simulations)
                },
                side_name(self.game.position().side_to_move()),
                analysis.value
            ));
            overlay.heat = Some(analysis.policy.clone());
        }
        let interactive = !over && self.human_to_move() && self.thinking.is_none();
        let size = ui
            .available_width()
            .min(ui.available_height() - 90.0)
            .max(200.0);
        if let Some(action) = self
            .board
            .board_ui(ui, &self.game, &overlay, interactive, size)
            && let Err(error) = self.play(action)
        {
            self.error = Some(error);
        }
        self.board.promotion_ui(ui);
        ui.label(self.move_list());
    }

    /// The moves so far in SAN, numbered ("1. e4 e5 2. Nf3").
    pub fn move_list(&self) -> String {
        let mut replay = ChessGame::new(self.game.start().clone());
        let mut text = String::new();
        for &chess_move in self.game.moves() {
            let position = replay.position();
            let number = position.fullmove_number();
            match position.side_to_move() {
                Color::White => text.push_str(&format!("{number}. ")),
                Color::Black if text.is_empty() => text.push_str(&format!("{number}… ")),
                Color::Black => {}
            }
            text.push_str(&notation::san(position, chess_move));
            text.push(' ');
            replay.play_unchecked(chess_move);
        }
        if text.is_empty() {
            "no moves yet".to_owned()
        } else {
            text.trim_end().to_owned()
        }
    }
}
