//! The Search tab: set up a clique position (click edges, or type the moves) or a chess
//! position ([`super::chess_search`]), choose a network, the simulations and the root
//! policy, and search — all at once or a step at a time (+1, +10, +100), watching the tree
//! grow. Trees save to and open from tree files (`wgzero search --tree` writes the same
//! format).

use std::path::{Path, PathBuf};
use std::time::Duration;

use eframe::egui;

use super::board::{BoardView, CliqueBoard, Overlay};
use super::chess_search::ChessSearch;
use super::network::{LoadedNetwork, NetworkPicker};
use super::play::{GameChoice, game_choice_ui};
use super::tree_view::{TreeSource, TreeView};
use crate::backend::Compute;
use crate::games::clique::{CliqueConfig, CliqueState};
use crate::games::{GameSpec, GameState};
use crate::search::interactive::InteractiveSearch;
use crate::search::tree_file::TreeFile;
use crate::search::{FirstPlayUrgency, RootPolicy, SearchConfig};

/// Search work per frame: the rest draws the UI.
const FRAME_BUDGET: Duration = Duration::from_millis(12);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PolicyChoice {
    Puct,
    Gumbel,
}

/// The search settings of the tab.
#[derive(Clone, Debug)]
pub struct SearchSettings {
    pub simulations: u32,
    pub policy: PolicyChoice,
    pub c_puct: f32,
    pub considered: u32,
}

impl Default for SearchSettings {
    /// `wgzero search`'s defaults without a checkpoint.
    fn default() -> Self {
        Self {
            simulations: 200,
            policy: PolicyChoice::Puct,
            c_puct: 1.25,
            considered: 16,
        }
    }
}

/// What the Search section's buttons ask for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SearchRequest {
    /// A new search from the position, all its simulations.
    Run,
    /// A new search from the position, nothing simulated yet.
    New,
    /// More simulations of the search (a new one if there is none).
    Step(u32),
}

impl SearchSettings {
    /// The Search section: simulations, root policy and its constant, and the buttons.
    pub fn settings_ui(&mut self, ui: &mut egui::Ui) -> Option<SearchRequest> {
        let mut request = None;
        ui.horizontal(|ui| {
            let label = ui.label("Simulations");
            ui.add(egui::DragValue::new(&mut self.simulations).range(1..=1_000_000))
                .labelled_by(label.id);
        });
        ui.horizontal(|ui| {
            ui.label("Root policy");
            ui.selectable_value(&mut self.policy, PolicyChoice::Puct, "PUCT");
            ui.selectable_value(&mut self.policy, PolicyChoice::Gumbel, "Gumbel");
        });
        match self.policy {
            PolicyChoice::Puct => {
                ui.horizontal(|ui| {
                    let label = ui.label("c_puct");
                    ui.add(
                        egui::DragValue::new(&mut self.c_puct)
                            .range(0.0..=100.0)
                            .speed(0.01),
                    )
                    .labelled_by(label.id);
                });
            }
            PolicyChoice::Gumbel => {
                ui.horizontal(|ui| {
                    let label = ui.label("Actions considered");
                    ui.add(egui::DragValue::new(&mut self.considered).range(1..=4096))
                        .labelled_by(label.id);
                });
            }
        }
        ui.horizontal(|ui| {
            if ui
                .button("Run search")
                .on_hover_text("A new search from the position, all its simulations")
                .clicked()
            {
                request = Some(SearchRequest::Run);
            }
            if ui
                .button("New search")
                .on_hover_text("A new search from the position; step it with +1, +10, +100")
                .clicked()
            {
                request = Some(SearchRequest::New);
            }
        });
        ui.horizontal(|ui| {
            for step in [1, 10, 100] {
                if ui.button(format!("+{step}")).clicked() {
                    request = Some(SearchRequest::Step(step));
                }
            }
        });
        request
    }

    pub fn config(&self) -> SearchConfig {
        let policy = match self.policy {
            PolicyChoice::Puct => RootPolicy::AlphaZero {
                c_puct: self.c_puct,
                first_play_urgency: FirstPlayUrgency::Reduction(0.0),
                dirichlet: None,
            },
            PolicyChoice::Gumbel => RootPolicy::Gumbel {
                max_considered: self.considered,
                c_visit: 50.0,
                c_scale: 0.1,
                gumbel_noise: false,
            },
        };
        SearchConfig {
            simulations: self.simulations,
            policy,
            reuse_subtree: false,
        }
    }

    /// Takes a run's root policy (noise already off), as `wgzero search --checkpoint` does.
    pub fn follow(&mut self, policy: &RootPolicy) {
        match *policy {
            RootPolicy::AlphaZero { c_puct, .. } => {
                self.policy = PolicyChoice::Puct;
                self.c_puct = c_puct;
            }
            RootPolicy::Gumbel { max_considered, .. } => {
                self.policy = PolicyChoice::Gumbel;
                self.considered = max_considered;
            }
        }
    }
}

/// The tree shown: a live search's snapshot or a file opened.
struct Shown {
    file: TreeFile,
    generation: u64,
}

/// The selected node's position and principal variation, kept while the tree and the
/// selection stay (finding a node's path walks the whole tree: too slow for every frame).
struct SelectedNode {
    /// The tree's generation and the node.
    key: (u64, u32),
    position: Result<(CliqueState, Vec<usize>), String>,
}

pub struct SearchTab {
    /// Which game the tab searches.
    pub game_choice: GameChoice,
    /// The chess side of the tab (the rest of the fields but the settings, the tree file
    /// path and the expand count are the clique game's).
    pub chess: ChessSearch,
    pub picker: NetworkPicker,
    network: Option<LoadedNetwork>,
    /// The root position's moves.
    pub position: Vec<usize>,
    /// The moves typed ("3, 7, 1").
    pub position_text: String,
    pub settings: SearchSettings,
    search: Option<InteractiveSearch<CliqueState>>,
    shown: Option<Shown>,
    generation: u64,
    selected: Option<SelectedNode>,
    pub tree_view: TreeView,
    setup_board: CliqueBoard,
    node_board: CliqueBoard,
    /// The tree file path typed.
    pub tree_path: String,
    /// How many of the most visited nodes "Expand the most visited" expands.
    pub expand_count: u32,
    pub error: Option<String>,
    pub message: Option<String>,
    loaded_once: bool,
}

impl Default for SearchTab {
    fn default() -> Self {
        Self {
            game_choice: GameChoice::default(),
            chess: ChessSearch::default(),
            picker: NetworkPicker::default(),
            network: None,
            position: Vec::new(),
            position_text: String::new(),
            settings: SearchSettings::default(),
            search: None,
            shown: None,
            generation: 0,
            selected: None,
            tree_view: TreeView::default(),
            setup_board: CliqueBoard::default(),
            node_board: CliqueBoard::default(),
            tree_path: String::new(),
            expand_count: 50,
            error: None,
            message: None,
            loaded_once: false,
        }
    }
}

impl SearchTab {
    /// The game of the loaded network (K_6, k = 3 symmetric until one loads).
    pub fn game(&self) -> CliqueConfig {
        self.network.as_ref().map_or_else(
            || match GameSpec::default() {
                GameSpec::Clique(config) => config,
                GameSpec::Chess(_) => unreachable!("the default game is the clique game"),
            },
            |network| network.game,
        )
    }

    pub fn network(&self) -> Option<&LoadedNetwork> {
        self.network.as_ref()
    }

    /// The tree shown, if any.
    pub fn tree_file(&self) -> Option<&TreeFile> {
        self.shown.as_ref().map(|shown| &shown.file)
    }

    /// Simulations done by the live search (0 without one).
    pub fn simulations_done(&self) -> u32 {
        self.search.as_ref().map_or(0, |s| s.simulations_done())
    }

    /// Whether the live search has work requested and not done.
    pub fn is_searching(&self) -> bool {
        self.search
            .as_ref()
            .is_some_and(|s| s.simulations_done() < s.target() || !s.root_evaluated())
    }

    /// Loads the picker's network (and takes its run's root policy).
    pub fn load_network(&mut self, compute: &Compute) {
        self.loaded_once = true;
        match self.picker.choice.load(compute) {
            Ok(network) => {
                if let Some(policy) = &network.run_policy {
                    self.settings.follow(policy);
                }
                // The position stays if it is one of the new network's game; the tree
                // shown (a search's or a file's) stays until the next search.
                if CliqueState::from_actions(network.game, &self.position).is_err() {
                    self.position.clear();
                    self.position_text.clear();
                }
                self.message = Some(format!("network: {}", network.description));
                self.network = Some(network);
                self.error = None;
                self.search = None;
            }
            Err(error) => self.error = Some(error),
        }
    }

    fn root_state(&self) -> Result<CliqueState, String> {
        CliqueState::from_actions(self.game(), &self.position)
            .map_err(|error| format!("the position: {error}"))
    }

    /// Starts a new search from the position with the settings; nothing is simulated until
    /// [`SearchTab::request`].
    pub fn new_search(&mut self) -> Result<(), String> {
        let state = self.root_state()?;
        if state.is_over() {
            return Err("the game is over in this position: there is nothing to search".into());
        }
        let search = InteractiveSearch::new(state, self.settings.config())
            .map_err(|error| error.to_string())?;
        self.search = Some(search);
        self.tree_view.reset();
        self.refresh_shown();
        Ok(())
    }

    /// Asks for `more` simulations, starting a search if there is none.
    pub fn request(&mut self, more: Option<u32>) {
        self.error = None;
        if self.search.is_none()
            && let Err(error) = self.new_search()
        {
            self.error = Some(error);
            return;
        }
        if let Some(search) = &mut self.search {
            match more {
                Some(more) => {
                    let granted = search.request(more);
                    if granted < more {
                        self.message = Some(format!(
                            "{granted} of {more} simulations: a Gumbel search plans its root \
                             for its total; search again with more simulations to go further"
                        ));
                    }
                }
                None => search.request_all(),
            }
        }
    }

    fn refresh_shown(&mut self) {
        let (Some(search), Some(network)) = (&self.search, &self.network) else {
            return;
        };
        self.generation += 1;
        self.shown = Some(Shown {
            file: TreeFile::from_search(
                GameSpec::Clique(network.game),
                self.position.clone(),
                network.source.clone(),
                search,
            ),
            generation: self.generation,
        });
    }

    /// Advances the live search by one frame's budget (never waits).
    pub fn tick(&mut self, compute: &Compute, ctx: &egui::Context) {
        if self.game_choice == GameChoice::Chess {
            self.chess.tick(compute, &mut self.settings, ctx);
            return;
        }
        if !self.loaded_once {
            self.load_network(compute);
        }
        let (Some(search), Some(network)) = (&mut self.search, &mut self.network) else {
            return;
        };
        let before = (search.simulations_done(), search.root_evaluated());
        if search.simulations_done() >= search.target() && search.root_evaluated() {
            return;
        }
        match search.advance(&mut network.evaluator, FRAME_BUDGET) {
            Ok(_) => {
                if (search.simulations_done(), search.root_evaluated()) != before {
                    self.refresh_shown();
                }
                ctx.request_repaint();
            }
            Err(error) => {
                self.error = Some(format!("the search failed: {error}"));
                self.search = None;
            }
        }
    }

    /// Writes the tree shown to `path`.
    pub fn save_tree(&mut self, path: &Path) {
        match &self.shown {
            Some(shown) => match shown.file.save(path) {
                Ok(()) => self.message = Some(format!("saved {}", path.display())),
                Err(error) => self.error = Some(error.to_string()),
            },
            None => self.error = Some("no tree to save: search first".into()),
        }
    }

    /// Opens the tree file at `path` (it is checked whole; a bad file changes nothing).
    pub fn open_tree(&mut self, path: &Path) {
        match TreeFile::load(path) {
            Ok(file) => match file.game {
                GameSpec::Clique(_) => {
                    self.game_choice = GameChoice::Clique;
                    self.search = None;
                    self.position = file.position.clone();
                    self.position_text = join_moves(&self.position);
                    self.generation += 1;
                    self.shown = Some(Shown {
                        file,
                        generation: self.generation,
                    });
                    self.tree_view.reset();
                    self.error = None;
                    self.message = Some(format!("opened {}", path.display()));
                }
                GameSpec::Chess(_) => {
                    self.game_choice = GameChoice::Chess;
                    self.chess.show_file(file, path);
                }
            },
            Err(error) => match self.game_choice {
                GameChoice::Clique => self.error = Some(error.to_string()),
                GameChoice::Chess => self.chess.error = Some(error.to_string()),
            },
        }
    }

    fn set_position(&mut self, moves: Vec<usize>) {
        match CliqueState::from_actions(self.game(), &moves) {
            Ok(_) => {
                self.position = moves;
                self.position_text = join_moves(&self.position);
                self.search = None;
                self.error = None;
            }
            Err(error) => self.error = Some(format!("the position: {error}")),
        }
    }

    pub fn search_ui(&mut self, ui: &mut egui::Ui, compute: &Compute) {
        egui::Panel::left("search settings")
            .resizable(true)
            .default_size(330.0)
            .show(ui, |ui| {
                egui::ScrollArea::vertical().show(ui, |ui| {
                    game_choice_ui(ui, &mut self.game_choice);
                    ui.separator();
                    self.settings_ui(ui, compute);
                });
            });
        let chess = self.game_choice == GameChoice::Chess;
        egui::Panel::right("search node")
            .resizable(true)
            .default_size(360.0)
            .show(ui, |ui| {
                egui::ScrollArea::vertical().show(ui, |ui| {
                    if chess {
                        self.chess.node_ui(ui);
                    } else {
                        self.node_ui(ui);
                    }
                });
            });
        egui::CentralPanel::default_margins().show(ui, |ui| {
            if chess {
                self.chess.tree_ui(ui, &mut self.expand_count);
            } else {
                self.tree_ui(ui);
            }
        });
    }

    fn settings_ui(&mut self, ui: &mut egui::Ui, compute: &Compute) {
        let chess = self.game_choice == GameChoice::Chess;
        if chess {
            self.chess.setup_ui(ui, compute, &mut self.settings);
        } else {
            self.clique_setup_ui(ui, compute);
        }
        ui.separator();
        ui.heading("Search");
        let request = self.settings.settings_ui(ui);
        if chess {
            if let Some(request) = request {
                self.chess.request(request, &self.settings);
            }
            self.chess.progress_ui(ui);
        } else {
            match request {
                Some(SearchRequest::Run) => {
                    self.search = None;
                    self.request(None);
                }
                Some(SearchRequest::New) => {
                    self.search = None;
                    self.request(Some(0));
                }
                Some(SearchRequest::Step(step)) => self.request(Some(step)),
                None => {}
            }
            if let Some(search) = &self.search {
                ui.label(format!(
                    "{} of {} simulations{}",
                    search.simulations_done(),
                    search.target().max(search.simulations_done()),
                    if self.is_searching() { " …" } else { "" }
                ));
            }
        }
        self.tree_file_ui(ui);
    }

    /// The clique game's Network and Position sections.
    fn clique_setup_ui(&mut self, ui: &mut egui::Ui, compute: &Compute) {
        ui.heading("Network");
        if self.picker.picker_ui(ui) {
            self.load_network(compute);
        }
        if let Some(network) = &self.network {
            ui.label(&network.description);
        }
        ui.separator();
        ui.heading("Position");
        let game = self.game();
        if let Ok(state) = self.root_state() {
            let overlay = Overlay {
                last_move: state.last_action().map(|a| a as usize),
                ..Overlay::default()
            };
            let size = ui.available_width().min(300.0);
            if let Some(action) = self.setup_board.board_ui(ui, &state, &overlay, true, size) {
                let mut moves = self.position.clone();
                moves.push(action);
                self.set_position(moves);
            }
            ui.label(format!(
                "{}: move {}, {} to play",
                GameSpec::Clique(game).info().label(),
                self.position.len() + 1,
                ["red (player 0)", "blue (player 1)"][state.to_move() as usize & 1]
            ));
        }
        let label = ui.label("Moves (edge indices)");
        ui.add(
            egui::TextEdit::singleline(&mut self.position_text)
                .hint_text("3, 7, 1")
                .desired_width(f32::INFINITY),
        )
        .labelled_by(label.id);
        ui.horizontal(|ui| {
            if ui.button("Set position").clicked() {
                match parse_moves(&self.position_text) {
                    Ok(moves) => self.set_position(moves),
                    Err(error) => self.error = Some(error),
                }
            }
            if ui.button("Undo move").clicked() && !self.position.is_empty() {
                let mut moves = self.position.clone();
                moves.pop();
                self.set_position(moves);
            }
            if ui.button("Clear").clicked() {
                self.set_position(Vec::new());
            }
        });
    }

    fn tree_file_ui(&mut self, ui: &mut egui::Ui) {
        ui.separator();
        ui.heading("Tree file");
        let label = ui.label("Tree file path");
        ui.add(
            egui::TextEdit::singleline(&mut self.tree_path)
                .hint_text("tree.json")
                .desired_width(f32::INFINITY),
        )
        .labelled_by(label.id);
        ui.horizontal(|ui| {
            let path = PathBuf::from(self.tree_path.trim());
            let given = !self.tree_path.trim().is_empty();
            if ui
                .add_enabled(given, egui::Button::new("Save tree"))
                .clicked()
            {
                if self.game_choice == GameChoice::Chess {
                    self.chess.save_tree(&path);
                } else {
                    self.save_tree(&path);
                }
            }
            if ui
                .add_enabled(given, egui::Button::new("Open tree"))
                .clicked()
            {
                self.open_tree(&path);
            }
        });
        let (error, message) = match self.game_choice {
            GameChoice::Clique => (&self.error, &self.message),
            GameChoice::Chess => (&self.chess.error, &self.chess.message),
        };
        if let Some(error) = error {
            ui.colored_label(ui.visuals().error_fg_color, error);
        }
        if let Some(message) = message {
            ui.label(message);
        }
    }

    /// The root's children (N, visit share, P, Q, U) and the selected node's position.
    fn node_ui(&mut self, ui: &mut egui::Ui) {
        let Some(shown) = &self.shown else {
            ui.label("No tree yet: set up a position and press Run search, or open a tree file.");
            return;
        };
        let file = &shown.file;
        let game = match file.game {
            GameSpec::Clique(game) => game,
            GameSpec::Chess(_) => return,
        };
        ui.heading("Root children");
        ui.label(
            "N visits · share of the root's visits · P the network's prior · Q the value for \
             the player choosing · U the exploration term; most visited first",
        );
        if let Some(selection) = file.selection(file.tree.root) {
            let total: u32 = selection.children.iter().map(|c| c.visits).sum();
            let mut order: Vec<usize> = (0..selection.children.len()).collect();
            order.sort_by_key(|&i| (std::cmp::Reverse(selection.children[i].visits), i));
            egui::Grid::new("root children")
                .num_columns(6)
                .show(ui, |ui| {
                    for header in ["move", "N", "share", "P", "Q", "U"] {
                        ui.strong(header);
                    }
                    ui.end_row();
                    for i in order {
                        let child = &selection.children[i];
                        let share = if total > 0 {
                            child.visits as f32 / total as f32
                        } else {
                            0.0
                        };
                        let (u, v) = crate::games::clique::endpoints(game.n, child.action as usize);
                        ui.label(format!("edge {u}–{v}"));
                        ui.monospace(child.visits.to_string());
                        ui.monospace(format!("{share:.3}"));
                        ui.monospace(format!("{:.3}", child.prior));
                        ui.monospace(child.q.map_or("–".to_owned(), |q| format!("{q:+.3}")));
                        ui.monospace(format!("{:.3}", child.u));
                        ui.end_row();
                    }
                });
        }
        ui.separator();
        let node = self.tree_view.selected;
        ui.heading(format!("Node {node}"));
        let key = (shown.generation, node);
        let selected = match &mut self.selected {
            Some(selected) if selected.key == key => selected,
            slot => slot.insert(SelectedNode {
                key,
                position: file
                    .position_of(&game, node)
                    .map(|state| {
                        let line = TreeView::principal_variation(&file.tree, node)
                            .into_iter()
                            .map(|a| a as usize)
                            .collect();
                        (state, line)
                    })
                    .map_err(|error| error.to_string()),
            }),
        };
        match &selected.position {
            Ok((state, line)) => {
                let line = line.clone();
                let names: Vec<String> = line
                    .iter()
                    .map(|&a| self.node_board.move_name(state, a))
                    .collect();
                let overlay = Overlay {
                    line,
                    last_move: state.last_action().map(|a| a as usize),
                    ..Overlay::default()
                };
                let size = ui.available_width().min(340.0);
                self.node_board.board_ui(ui, state, &overlay, false, size);
                let data = &file.tree.nodes[node as usize];
                ui.label(format!(
                    "after {} moves; N {}, network value {:+.3} for the player to move{}",
                    state.moves_played(),
                    data.visits,
                    data.raw_value,
                    data.terminal_value
                        .map_or(String::new(), |v| format!("; game over, value {v:+.0}"))
                ));
                ui.label(if names.is_empty() {
                    "principal variation: none (no visited child)".to_owned()
                } else {
                    format!("principal variation: {}", names.join(", "))
                });
            }
            Err(error) => {
                ui.colored_label(ui.visuals().error_fg_color, error.to_string());
            }
        }
    }

    fn tree_ui(&mut self, ui: &mut egui::Ui) {
        let Some(shown) = &self.shown else {
            ui.label("The tree appears here.");
            return;
        };
        ui.horizontal(|ui| {
            ui.label(format!(
                "{} nodes, {} simulations",
                shown.file.tree.nodes.len(),
                shown.file.simulations_done
            ));
            if ui.button("Expand the most visited").clicked() {
                self.tree_view
                    .expand_most_visited(&shown.file.tree, self.expand_count as usize);
            }
            let label = ui.label("nodes:");
            ui.add(egui::DragValue::new(&mut self.expand_count).range(1..=100_000))
                .labelled_by(label.id);
            if ui.button("Collapse all").clicked() {
                self.tree_view.collapse_all(&shown.file.tree);
            }
            if ui.button("Whole tree").clicked() {
                self.tree_view.show_whole_tree();
            }
            ui.label("drag to pan, scroll to zoom; + / − expands; click a node for its position");
        });
        let n = match shown.file.game {
            GameSpec::Clique(game) => game.n,
            GameSpec::Chess(_) => return,
        };
        let move_name = move |_node: u32, action: u32| {
            let (u, v) = crate::games::clique::endpoints(n, action as usize);
            format!("edge {u}–{v}")
        };
        let source = TreeSource {
            tree: &shown.file.tree,
            policy: &shown.file.policy,
            simulations: shown.file.simulations,
            move_name: &move_name,
            generation: shown.generation,
        };
        self.tree_view.tree_ui(ui, &source);
    }
}

fn join_moves(moves: &[usize]) -> String {
    moves
        .iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Moves typed as edge indices separated by commas or spaces.
pub fn parse_moves(text: &str) -> Result<Vec<usize>, String> {
    text.split([',', ' '])
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(|part| {
            part.parse::<usize>()
                .map_err(|_| format!("{part:?} is not an edge index (give moves as 3, 7, 1)"))
        })
        .collect()
}
