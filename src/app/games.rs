//! The Games tab: the self-play and evaluation games a run recorded (`games.jsonl`),
//! replayed with a move slider; at each move the position, the prior and the visit share
//! of every legal move, the move played, and the value the player to move saw.

use std::path::{Path, PathBuf};

use eframe::egui;

use super::board::{BoardView, CliqueBoard, Overlay, completed_clique};
use super::chess_board::{ChessBoard, move_name, status_line};
use crate::games::chess::ChessGame;
use crate::games::clique::{CliqueState, endpoints};
use crate::games::{GameSpec, GameState};
use crate::run_dir::games::{GameRecord, GameSource, Opponent, read_game_records_from};

/// What the heat on the board shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Heat {
    #[default]
    VisitShare,
    Prior,
}

#[derive(Default)]
pub struct GamesTab {
    /// The run directory typed (empty: the active run's).
    pub path: String,
    loaded_path: Option<PathBuf>,
    /// Where the next incremental read starts in the file.
    offset: u64,
    pub records: Vec<GameRecord>,
    /// The game shown (index into `records`) and the move the slider is at: the position
    /// before that move (`moves.len()`: the final position).
    pub selected: Option<usize>,
    pub move_index: usize,
    pub heat: Heat,
    board: CliqueBoard,
    chess_board: ChessBoard,
    pub error: Option<String>,
}

/// One line naming a recorded game.
pub fn describe(record: &GameRecord) -> String {
    let sides = match record.game {
        GameSpec::Clique(_) => ["red", "blue"],
        GameSpec::Chess(_) => ["white", "black"],
    };
    let who = match record.source {
        GameSource::SelfPlay { slot, simulations } => {
            format!("self-play (slot {slot}, {simulations} simulations)")
        }
        GameSource::Evaluation {
            opponent,
            network_player,
        } => format!(
            "evaluation vs {} (the network is {})",
            match opponent {
                Opponent::Random => "random",
                Opponent::Previous => "the previous network",
            },
            [
                format!("{}, first", sides[0]),
                format!("{}, second", sides[1])
            ][network_player as usize & 1]
        ),
    };
    let result = match record.outcome {
        o if o > 0.0 => format!("{} won", sides[0]),
        o if o < 0.0 => format!("{} won", sides[1]),
        _ => "draw".to_owned(),
    };
    format!(
        "iteration {}: {who}, {} moves, {result}",
        record.iteration,
        record.moves.len()
    )
}

impl GamesTab {
    /// Reads new records of the typed run directory, or of `active` when none is typed.
    pub fn refresh(&mut self, active: Option<&Path>) {
        let path = if self.path.trim().is_empty() {
            match active {
                Some(path) => path.to_owned(),
                None => return,
            }
        } else {
            PathBuf::from(self.path.trim())
        };
        if self.loaded_path.as_deref() != Some(path.as_path()) {
            self.loaded_path = Some(path.clone());
            self.offset = 0;
            self.records.clear();
            self.selected = None;
            self.error = None;
        }
        match read_game_records_from(&path, self.offset) {
            Ok(read) => {
                if read.restarted {
                    self.records.clear();
                    self.selected = None;
                }
                self.records.extend(read.records);
                self.offset = read.next_offset;
                self.error = None;
            }
            Err(error) => self.error = Some(error.to_string()),
        }
    }

    /// Shows game `index` from its first move.
    pub fn select(&mut self, index: usize) {
        if index < self.records.len() {
            self.selected = Some(index);
            self.move_index = 0;
        }
    }

    pub fn games_ui(&mut self, ui: &mut egui::Ui) {
        egui::Panel::left("recorded games")
            .resizable(true)
            .default_size(380.0)
            .show(ui, |ui| self.list_ui(ui));
        egui::CentralPanel::default_margins().show(ui, |ui| self.replay_ui(ui));
    }

    fn list_ui(&mut self, ui: &mut egui::Ui) {
        let label = ui.label("Run directory");
        ui.add(
            egui::TextEdit::singleline(&mut self.path)
                .hint_text("the active run")
                .desired_width(f32::INFINITY),
        )
        .labelled_by(label.id);
        if let Some(error) = &self.error {
            ui.colored_label(ui.visuals().error_fg_color, error);
        }
        match &self.loaded_path {
            None => {
                ui.label("No run: start one in Train, or type a run directory.");
                return;
            }
            Some(path) if self.records.is_empty() && self.error.is_none() => {
                ui.label(format!(
                    "{}: no games recorded yet (they are written at the end of each recorded \
                     iteration)",
                    path.display()
                ));
                return;
            }
            _ => {}
        }
        ui.label(format!(
            "{} recorded games, newest first",
            self.records.len()
        ));
        let mut clicked = None;
        let rows = self.records.len();
        egui::ScrollArea::vertical().show_rows(ui, 18.0, rows, |ui, range| {
            for row in range {
                // Newest first.
                let index = rows - 1 - row;
                let selected = self.selected == Some(index);
                if ui
                    .selectable_label(selected, describe(&self.records[index]))
                    .clicked()
                {
                    clicked = Some(index);
                }
            }
        });
        if let Some(index) = clicked {
            self.select(index);
        }
    }

    /// A chess record at the slider's move: the board with the move's visit shares (or
    /// priors) as arrows, and the moves in SAN.
    fn chess_replay_ui(&mut self, ui: &mut egui::Ui, game: &ChessGame) {
        let Some(record) = self.selected.and_then(|i| self.records.get(i)) else {
            return;
        };
        let length = record.moves.len();
        let current = record.moves.get(self.move_index);
        let mut overlay = Overlay::default();
        if let Some(current) = current {
            let total: u32 = current.children.iter().map(|c| c.visits).sum();
            let mut heat = vec![0.0; crate::games::chess::encoding::NUM_ACTIONS];
            for child in &current.children {
                if let Some(slot) = heat.get_mut(child.action as usize) {
                    *slot = match self.heat {
                        Heat::VisitShare if total > 0 => child.visits as f32 / total as f32,
                        Heat::VisitShare => 0.0,
                        Heat::Prior => child.prior,
                    };
                }
            }
            overlay.heat = Some(heat);
        }
        ui.horizontal_top(|ui| {
            let size = (ui.available_height() - 10.0).clamp(200.0, 520.0);
            self.chess_board.board_ui(ui, game, &overlay, false, size);
            ui.vertical(|ui| {
                ui.label(status_line(game));
                ui.checkbox(&mut self.chess_board.flipped, "Flip board");
                let Some(current) = current else {
                    ui.label(format!("the final position after {length} moves"));
                    return;
                };
                ui.label(format!(
                    "move {} of {length}: {} played",
                    self.move_index + 1,
                    move_name(game, current.action as usize)
                ));
                ui.label(match current.value {
                    Some(value) => format!("value for the mover before the move: {value:+.3}"),
                    None => "value: none (a random player)".to_owned(),
                });
                let total: u32 = current.children.iter().map(|c| c.visits).sum();
                let mut children = current.children.clone();
                children.sort_by(|a, b| {
                    b.visits
                        .cmp(&a.visits)
                        .then(b.prior.total_cmp(&a.prior))
                        .then(a.action.cmp(&b.action))
                });
                ui.label("legal moves: prior P, visits N, visit share");
                for child in children {
                    let share = if total > 0 {
                        format!("{:.3}", child.visits as f32 / total as f32)
                    } else {
                        "–".to_owned()
                    };
                    let played = if child.action == current.action {
                        "  ← played"
                    } else {
                        ""
                    };
                    ui.monospace(format!(
                        "{:<7} P {:.3}  N {:>4}  share {share}{played}",
                        move_name(game, child.action as usize),
                        child.prior,
                        child.visits
                    ));
                }
            });
        });
    }

    fn replay_ui(&mut self, ui: &mut egui::Ui) {
        let Some(record) = self.selected.and_then(|i| self.records.get(i)) else {
            ui.label("Choose a game on the left.");
            return;
        };
        ui.label(egui::RichText::new(describe(record)).strong());
        let length = record.moves.len();
        self.move_index = self.move_index.min(length);
        ui.horizontal(|ui| {
            if ui.button("First move").clicked() {
                self.move_index = 0;
            }
            if ui.button("Previous move").clicked() {
                self.move_index = self.move_index.saturating_sub(1);
            }
            ui.add(egui::Slider::new(&mut self.move_index, 0..=length).text("move"));
            if ui.button("Next move").clicked() {
                self.move_index = (self.move_index + 1).min(length);
            }
            if ui.button("Last move").clicked() {
                self.move_index = length;
            }
        });
        ui.horizontal(|ui| {
            ui.label("Heat:");
            ui.selectable_value(&mut self.heat, Heat::VisitShare, "visit share");
            ui.selectable_value(&mut self.heat, Heat::Prior, "prior");
        });
        let actions: Vec<usize> = record.moves[..self.move_index]
            .iter()
            .map(|m| m.action as usize)
            .collect();
        let config = match record.game {
            GameSpec::Clique(config) => config,
            GameSpec::Chess(chess) => {
                let mut game = ChessGame::default().with_ply_cap(chess.ply_cap);
                for (index, &action) in actions.iter().enumerate() {
                    if let Err(error) = game.apply(action) {
                        ui.colored_label(
                            ui.visuals().error_fg_color,
                            format!("this record does not replay: move {index}: {error}"),
                        );
                        return;
                    }
                }
                self.chess_replay_ui(ui, &game);
                return;
            }
        };
        let state = match CliqueState::from_actions(config, &actions) {
            Ok(state) => state,
            Err(error) => {
                ui.colored_label(
                    ui.visuals().error_fg_color,
                    format!("this record does not replay: {error}"),
                );
                return;
            }
        };
        let current = record.moves.get(self.move_index);
        let mut overlay = Overlay {
            last_move: state.last_action().map(|a| a as usize),
            ..Overlay::default()
        };
        if let Some(current) = current {
            let total: u32 = current.children.iter().map(|c| c.visits).sum();
            let mut heat = vec![0.0; config.num_edges()];
            for child in &current.children {
                if let Some(slot) = heat.get_mut(child.action as usize) {
                    *slot = match self.heat {
                        Heat::VisitShare if total > 0 => child.visits as f32 / total as f32,
                        Heat::VisitShare => 0.0,
                        Heat::Prior => child.prior,
                    };
                }
            }
            let most = heat.iter().copied().fold(0.0f32, f32::max).max(1e-6);
            overlay.heat = Some(heat.iter().map(|h| h / most).collect());
            overlay.line = vec![current.action as usize];
        } else if let Some(last) = state.last_action()
            && let Some(player) = state.owner(last as usize)
            && let Some(clique) = completed_clique(&state, player)
        {
            overlay.highlight = clique;
        }
        ui.horizontal_top(|ui| {
            let size = (ui.available_height() - 10.0).clamp(200.0, 520.0);
            self.board.board_ui(ui, &state, &overlay, false, size);
            ui.vertical(|ui| match current {
                Some(current) => {
                    let mover = ["red", "blue"][state.to_move() as usize & 1];
                    let (u, v) = endpoints(config.n, current.action as usize);
                    ui.label(format!(
                        "move {} of {length}: {mover} played edge {u}–{v}",
                        self.move_index + 1
                    ));
                    ui.label(match current.value {
                        Some(value) => format!("value for {mover} before the move: {value:+.3}"),
                        None => "value: none (a random player)".to_owned(),
                    });
                    let total: u32 = current.children.iter().map(|c| c.visits).sum();
                    let mut children = current.children.clone();
                    children.sort_by(|a, b| {
                        b.visits
                            .cmp(&a.visits)
                            .then(b.prior.total_cmp(&a.prior))
                            .then(a.action.cmp(&b.action))
                    });
                    ui.label("legal moves: prior P, visits N, visit share");
                    for child in children {
                        let (u, v) = endpoints(config.n, child.action as usize);
                        let share = if total > 0 {
                            format!("{:.3}", child.visits as f32 / total as f32)
                        } else {
                            "–".to_owned()
                        };
                        let played = if child.action == current.action {
                            "  ← played"
                        } else {
                            ""
                        };
                        ui.monospace(format!(
                            "edge {u}–{v}  P {:.3}  N {:>4}  share {share}{played}",
                            child.prior, child.visits
                        ));
                    }
                }
                None => {
                    ui.label(format!("the final position after {length} moves"));
                }
            });
        });
    }
}
